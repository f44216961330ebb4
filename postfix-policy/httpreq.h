/*
 * httpreq.h - the head of an HTTP/1.x request (RFC 9112), as far as
 * mailseal-policyd's /metrics needs it: the request line and the end of
 * the header fields.  The bytes come from any client that can reach
 * metrics_listen: nothing here trusts them, writes to them or reads
 * past them.
 *
 * httpreq_parse is given every byte received so far and says whether
 * the head is complete (and then what it asks for), incomplete, or
 * malformed.  A head is at most HTTPREQ_MAX bytes (request line and
 * fields, to the empty line): one that does not end within them is
 * HTTPREQ_TOO_BIG, whatever follows.  Line ends are CRLF, or a bare LF
 * (RFC 9112 section 2.2 allows a recipient to take it); a bare CR, a
 * NUL or another control byte (but HTAB inside a field), an obsolete
 * folded field, a field without a name or colon, a request line
 * without exactly two single spaces, a version other than HTTP/1.0 or
 * HTTP/1.1, or a target that is not an origin-form path ("/...")
 * make it HTTPREQ_BAD.  The fields themselves are not read.
 */
#ifndef MAILSEAL_HTTPREQ_H
#define MAILSEAL_HTTPREQ_H

#include <stddef.h>

#define HTTPREQ_MAX 4096
#define HTTPREQ_MAX_FIELDS 64

enum httpreq_status {
	HTTPREQ_MORE = 0,               /* incomplete: read more */
	HTTPREQ_DONE,                   /* complete: see the request */
	HTTPREQ_BAD,                    /* malformed: 400 */
	HTTPREQ_TOO_BIG,                /* past HTTPREQ_MAX or the field
					 * count: 431 */
};

enum httpreq_method {
	HTTPREQ_GET = 0,
	HTTPREQ_HEAD,
	HTTPREQ_OTHER,                  /* a valid token we do not serve */
};

struct httpreq {
	enum httpreq_method method;
	const unsigned char *path;      /* the target's path, in the input */
	size_t path_len;                /* (without ?query) */
	int minor;                      /* HTTP/1.minor */
	size_t head_len;                /* bytes up to the empty line's end */
};

/* httpreq_parse - the head in p[0..len) into r (when DONE) */
enum httpreq_status httpreq_parse(const unsigned char *p, size_t len,
				  struct httpreq *r);
/* httpreq_path_is - is r's path exactly s? */
int httpreq_path_is(const struct httpreq *r, const char *s);

#endif
