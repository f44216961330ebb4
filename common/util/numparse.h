/*
 * numparse.h - the one strict number parser.
 *
 * Accepts only ASCII digits: no sign, no spaces, no trailing junk, no
 * empty string, and no value above max.  Used wherever a number comes
 * from input or configuration.
 */
#ifndef MAILSEAL_NUMPARSE_H
#define MAILSEAL_NUMPARSE_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

/* num_parse_u64 - parse p[0..len) as a decimal in [0, max] */
enum ms_status num_parse_u64(const unsigned char *p, size_t len,
			     uint64_t max, uint64_t *out);

#endif
