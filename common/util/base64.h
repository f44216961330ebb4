/*
 * base64.h - base64 (RFC 4648) as DKIM uses it.
 *
 * The decoder skips folding whitespace (SP, HTAB, CR, LF) anywhere, as
 * the b=, bh= and p= tags allow, requires correct padding and rejects
 * every other byte.  Output is written to a buf the caller owns.
 */
#ifndef MAILSEAL_BASE64_H
#define MAILSEAL_BASE64_H

#include <stddef.h>
#include "buf.h"

/* base64_decode - append the decoded bytes of p[0..len) to out */
enum ms_status base64_decode(const unsigned char *p, size_t len,
			     struct buf *out);
/* base64_encode - append the encoding of p[0..len) to out */
enum ms_status base64_encode(const unsigned char *p, size_t len,
			     struct buf *out);

#endif
