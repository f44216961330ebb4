/*
 * hex.h - bytes as lower-case hex, as the farm names keys, signatures
 * and certificate keys.
 */
#ifndef MAILSEAL_HEX_H
#define MAILSEAL_HEX_H

#include <stddef.h>

/* hex_lower - the n bytes of p as 2n lower-case hex digits and a NUL
 * into out (2n + 1 bytes); out */
char *hex_lower(const unsigned char *p, size_t n, char *out);

#endif
