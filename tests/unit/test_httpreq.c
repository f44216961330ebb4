/*
 * test_httpreq.c - the HTTP request head of /metrics, table-driven:
 * each head whole, and each of its prefixes (a client that sends a
 * byte at a time must read as incomplete, never as done or bad, until
 * the byte that decides).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpreq.h"
#include "unit.h"

struct hcase {
	const char *name;
	const char *in;
	enum httpreq_status want;
	enum httpreq_method method;
	const char *path;               /* when DONE */
};

static const struct hcase cases[] = {
	{ "plain GET", "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	  HTTPREQ_DONE, HTTPREQ_GET, "/metrics" },
	{ "HTTP/1.0 without fields", "GET /metrics HTTP/1.0\r\n\r\n",
	  HTTPREQ_DONE, HTTPREQ_GET, "/metrics" },
	{ "bare LF line ends", "GET /metrics HTTP/1.1\nHost: x\n\n",
	  HTTPREQ_DONE, HTTPREQ_GET, "/metrics" },
	{ "a query is not the path", "GET /metrics?x=1 HTTP/1.1\r\n\r\n",
	  HTTPREQ_DONE, HTTPREQ_GET, "/metrics" },
	{ "HEAD", "HEAD / HTTP/1.1\r\nUser-Agent: a\tb\r\n\r\n",
	  HTTPREQ_DONE, HTTPREQ_HEAD, "/" },
	{ "another method", "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
	  HTTPREQ_DONE, HTTPREQ_OTHER, "/metrics" },
	{ "lower-case get is another method", "get /metrics HTTP/1.1\r\n\r\n",
	  HTTPREQ_DONE, HTTPREQ_OTHER, "/metrics" },
	{ "incomplete head", "GET /metrics HTTP/1.1\r\nHost: x\r\n",
	  HTTPREQ_MORE, 0, NULL },
	{ "HTTP/2", "GET /metrics HTTP/2.0\r\n\r\n", HTTPREQ_BAD, 0, NULL },
	{ "HTTP/0.9 style", "GET /metrics\r\n\r\n", HTTPREQ_BAD, 0, NULL },
	{ "absolute form", "GET http://x/metrics HTTP/1.1\r\n\r\n", HTTPREQ_BAD, 0, NULL },
	{ "two spaces", "GET  /metrics HTTP/1.1\r\n\r\n", HTTPREQ_BAD, 0, NULL },
	{ "leading empty line", "\r\nGET /metrics HTTP/1.1\r\n\r\n", HTTPREQ_BAD, 0, NULL },
	{ "bare CR", "GET /metrics HTTP/1.1\rHost: x\r\n\r\n", HTTPREQ_BAD, 0, NULL },
	{ "NUL in a field", "GET /metrics HTTP/1.1\r\nA: b\0c\r\n\r\n", HTTPREQ_BAD, 0, NULL },
	{ "obsolete fold", "GET /metrics HTTP/1.1\r\nA: b\r\n c\r\n\r\n", HTTPREQ_BAD, 0, NULL },
	{ "field without a colon", "GET /metrics HTTP/1.1\r\nA b\r\n\r\n", HTTPREQ_BAD, 0, NULL },
	{ "field name with a space", "GET /metrics HTTP/1.1\r\nA b: c\r\n\r\n", HTTPREQ_BAD, 0, NULL },
	{ "binary", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", HTTPREQ_BAD, 0, NULL },
	{ "8-bit in the target", "GET /m\xe9trics HTTP/1.1\r\n\r\n", HTTPREQ_BAD, 0, NULL },
};

static void check_case(const struct hcase *c, size_t len)
{
	struct httpreq r;
	enum httpreq_status st = httpreq_parse((const unsigned char *)c->in,
					       len, &r);
	size_t k;
	int prefix_ok = 1;

	CHECK(st == c->want &&
	      (st != HTTPREQ_DONE || (r.method == c->method &&
				      httpreq_path_is(&r, c->path))),
	      "%s: %d (want %d)", c->name, st, c->want);
	if (st == HTTPREQ_DONE)
		CHECK(r.head_len <= len && r.head_len >= 4,
		      "%s: the head's length", c->name);
	/* every prefix: more, until it is decided */
	for (k = 0; k < len; k++) {
		enum httpreq_status sp = httpreq_parse((const unsigned char *)c->in,
						       k, &r);

		if (sp == HTTPREQ_DONE && c->want != HTTPREQ_DONE)
			prefix_ok = 0;
		if (sp == HTTPREQ_BAD && c->want != HTTPREQ_BAD)
			prefix_ok = 0;
	}
	CHECK(prefix_ok, "%s: its prefixes read as incomplete", c->name);
}

static void check_limits(void)
{
	unsigned char *big = malloc(HTTPREQ_MAX * 2);
	struct httpreq r;
	size_t n, i;

	/* a head that does not end in HTTPREQ_MAX bytes */
	n = (size_t)snprintf((char *)big, HTTPREQ_MAX * 2,
			     "GET /metrics HTTP/1.1\r\nX-Big: ");
	memset(big + n, 'a', HTTPREQ_MAX * 2 - n);
	CHECK(httpreq_parse(big, HTTPREQ_MAX - 1, &r) == HTTPREQ_MORE,
	      "one byte short of the limit: incomplete");
	CHECK(httpreq_parse(big, HTTPREQ_MAX, &r) == HTTPREQ_TOO_BIG &&
	      httpreq_parse(big, HTTPREQ_MAX * 2, &r) == HTTPREQ_TOO_BIG,
	      "a head past %d bytes is too big", HTTPREQ_MAX);
	/* one that ends exactly at the limit */
	memcpy(big + HTTPREQ_MAX - 4, "\r\n\r\n", 4);
	CHECK(httpreq_parse(big, HTTPREQ_MAX * 2, &r) == HTTPREQ_DONE &&
	      r.head_len == HTTPREQ_MAX, "a head of exactly %d bytes is complete",
	      HTTPREQ_MAX);
	/* too many fields */
	n = (size_t)snprintf((char *)big, HTTPREQ_MAX * 2, "GET / HTTP/1.1\r\n");
	for (i = 0; i <= HTTPREQ_MAX_FIELDS; i++)
		n += (size_t)snprintf((char *)big + n, HTTPREQ_MAX * 2 - n, "A:\r\n");
	n += (size_t)snprintf((char *)big + n, HTTPREQ_MAX * 2 - n, "\r\n");
	CHECK(httpreq_parse(big, n, &r) == HTTPREQ_TOO_BIG,
	      "more than %d fields is too big", HTTPREQ_MAX_FIELDS);
	free(big);
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hcase *c = &cases[i];
		/* lengths from the table, NULs included */
		size_t len = strlen(c->in);

		if (strcmp(c->name, "NUL in a field") == 0)
			len = sizeof("GET /metrics HTTP/1.1\r\nA: b\0c\r\n\r\n") - 1;
		check_case(c, len);
	}
	check_limits();
	return unit_done();
}
