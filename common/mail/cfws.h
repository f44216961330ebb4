/*
 * cfws.h - folding whitespace and comments (RFC 5322 3.2.2), the one
 * skipper for every structured-header parser (From addresses,
 * Authentication-Results).
 *
 * Comments nest and may hold quoted pairs.  Bare CR and LF count as
 * whitespace: header values reach the parsers unfolded or with their
 * CRLF folds kept, and either reads the same.
 */
#ifndef MAILSEAL_CFWS_H
#define MAILSEAL_CFWS_H

#include <stddef.h>

/* cfws_skip - the position after the CFWS that starts at pos; sets
 * *unterminated (when not NULL) and returns len for a comment that
 * never closes */
size_t cfws_skip(const unsigned char *p, size_t len, size_t pos,
		 int *unterminated);

#endif
