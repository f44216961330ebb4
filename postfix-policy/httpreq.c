/*
 * httpreq.c - the head of an HTTP/1.x request: one pass over the lines
 * received so far, named states, no copy.
 */
#include <string.h>

#include "httpreq.h"

/* tchar - a byte of a token (RFC 9110 section 5.6.2) */
static int tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* vchar - a visible byte of a target (no space, no control) */
static int vchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

/* line_end - where the line starting at i ends (the LF's index), len
 * when not yet received; *bad when a bare CR or a control byte is in
 * it (HTAB allowed when tab_ok) */
static size_t line_end(const unsigned char *p, size_t len, size_t i,
		       int tab_ok, int *bad)
{
	for (; i < len; i++) {
		unsigned char c = p[i];

		if (c == '\n')
			return i;
		if (c == '\r') {
			if (i + 1 < len && p[i + 1] != '\n')
				*bad = 1;
			continue;
		}
		if ((c < 0x20 && !(c == '\t' && tab_ok)) || c == 0x7f)
			*bad = 1;
	}
	return len;
}

/* content_end - the line's end without its CR */
static size_t content_end(const unsigned char *p, size_t start, size_t lf)
{
	return lf > start && p[lf - 1] == '\r' ? lf - 1 : lf;
}

/* request_line - METHOD SP TARGET SP HTTP/1.x in p[s..e) */
static enum httpreq_status request_line(const unsigned char *p, size_t s,
					size_t e, struct httpreq *r)
{
	size_t i = s, m, t, q;

	while (i < e && tchar(p[i]))
		i++;
	if (i == s || i >= e || p[i] != ' ')
		return HTTPREQ_BAD;
	m = i - s;
	r->method = m == 3 && memcmp(p + s, "GET", 3) == 0 ? HTTPREQ_GET
		    : m == 4 && memcmp(p + s, "HEAD", 4) == 0 ? HTTPREQ_HEAD
		    : HTTPREQ_OTHER;
	t = ++i;
	while (i < e && vchar(p[i]))
		i++;
	if (i == t || i >= e || p[i] != ' ' || p[t] != '/')
		return HTTPREQ_BAD;
	for (q = t; q < i && p[q] != '?' && p[q] != '#'; q++)
		;
	r->path = p + t;
	r->path_len = q - t;
	i++;
	if (e - i != 8 || memcmp(p + i, "HTTP/1.", 7) != 0 ||
	    (p[i + 7] != '0' && p[i + 7] != '1'))
		return HTTPREQ_BAD;
	r->minor = p[i + 7] - '0';
	return HTTPREQ_DONE;
}

/* field_line - NAME ":" value in p[s..e) */
static int field_line(const unsigned char *p, size_t s, size_t e)
{
	size_t i = s;

	while (i < e && tchar(p[i]))
		i++;
	return i > s && i < e && p[i] == ':';
}

/* httpreq_parse - the head received so far */
enum httpreq_status httpreq_parse(const unsigned char *p, size_t len,
				  struct httpreq *r)
{
	enum { REQUEST_LINE, FIELDS } state = REQUEST_LINE;
	size_t i = 0, lf, e, fields = 0;
	int bad = 0;

	memset(r, 0, sizeof(*r));
	while (i < len && i < HTTPREQ_MAX) {
		lf = line_end(p, len < HTTPREQ_MAX ? len : HTTPREQ_MAX, i,
			      state == FIELDS, &bad);
		if (bad)
			return HTTPREQ_BAD;
		if (lf >= len || lf >= HTTPREQ_MAX)
			break;          /* the line is not all here */
		e = content_end(p, i, lf);
		switch (state) {
		case REQUEST_LINE:
			if (request_line(p, i, e, r) != HTTPREQ_DONE)
				return HTTPREQ_BAD;
			state = FIELDS;
			break;
		case FIELDS:
			if (e == i) {   /* the empty line: the end */
				r->head_len = lf + 1;
				return HTTPREQ_DONE;
			}
			if (p[i] == ' ' || p[i] == '\t' || !field_line(p, i, e))
				return HTTPREQ_BAD;     /* obs-fold, no name */
			if (++fields > HTTPREQ_MAX_FIELDS)
				return HTTPREQ_TOO_BIG;
			break;
		}
		i = lf + 1;
	}
	return len >= HTTPREQ_MAX ? HTTPREQ_TOO_BIG : HTTPREQ_MORE;
}

/* httpreq_path_is - exactly s */
int httpreq_path_is(const struct httpreq *r, const char *s)
{
	size_t n = strlen(s);

	return r->path_len == n && memcmp(r->path, s, n) == 0;
}
