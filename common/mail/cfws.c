/*
 * cfws.c - folding whitespace and comments.
 */
#include "cfws.h"

/* cfws_skip - the position after the CFWS that starts at pos */
size_t cfws_skip(const unsigned char *p, size_t len, size_t pos,
		 int *unterminated)
{
	while (pos < len) {
		unsigned char c = p[pos];
		unsigned depth = 0;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			pos++;
			continue;
		}
		if (c != '(')
			break;
		for (; pos < len; pos++) {
			c = p[pos];
			if (c == '\\')
				pos++;          /* the quoted byte, whatever it is */
			else if (c == '(')
				depth++;
			else if (c == ')' && --depth == 0)
				break;
		}
		if (pos >= len) {
			if (unterminated)
				*unterminated = 1;
			return len;
		}
		pos++;                          /* the closing parenthesis */
	}
	return pos;
}
