/*
 * test_rfc6376.c - the canonicalization example of RFC 6376 section
 * 3.4.5, the empty-body rules (errata 1376), and a differential check:
 * bodies fed whole and in random pieces canonicalize to the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "unit.h"

static void collect(void *arg, const unsigned char *p, size_t len)
{
	buf_append(arg, p, len);
}

static struct canon_body cb;

/* body - canonicalize b (fed in pieces of `step`, 0 = whole) */
static void body(enum dkim_canon mode, const char *b, size_t len, size_t step,
		 struct buf *out)
{
	size_t i;

	buf_init(out, BUF_UNLIMITED);
	canon_body_init(&cb, mode, collect, out);
	if (!step)
		canon_body_feed(&cb, (const unsigned char *)b, len);
	else
		for (i = 0; i < len; i += step)
			canon_body_feed(&cb, (const unsigned char *)b + i,
					len - i < step ? len - i : step);
	canon_body_finish(&cb);
}

static int same(const struct buf *b, const char *want)
{
	return b->len == strlen(want) && memcmp(b->data ? b->data :
		(const unsigned char *)"", want, b->len) == 0;
}

static void header_case(enum dkim_canon mode, const char *raw,
			const char *want, const char *name)
{
	struct buf out;

	buf_init(&out, BUF_UNLIMITED);
	canon_header(mode, (const unsigned char *)raw, strlen(raw), &out);
	CHECK(same(&out, want), "rfc6376 3.4.5: %s header %s", name,
	      mode == DKIM_CANON_RELAXED ? "relaxed" : "simple");
	buf_free(&out);
}

int main(void)
{
	static const char ex_body[] = " C \r\nD \t E\r\n\r\n\r\n";
	static const char *const parts[] = {
		" ", "  ", "\t", "a", "bc", "\r\n", " \t ", "x y", "\r\n\r\n",
		"\n", "\r", "plain text of a line ", "0123456789abcdefghij",
	};
	struct buf out, whole, split;
	int mode, t, bad = 0;
	unsigned seed = 12345;

	/* the example of section 3.4.5 */
	header_case(DKIM_CANON_RELAXED, "A: X\r\n", "a:X\r\n", "A");
	header_case(DKIM_CANON_RELAXED, "B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n", "B");
	header_case(DKIM_CANON_SIMPLE, "A: X\r\n", "A: X\r\n", "A");
	header_case(DKIM_CANON_SIMPLE, "B : Y\t\r\n\tZ  \r\n", "B : Y\t\r\n\tZ  \r\n", "B");
	body(DKIM_CANON_RELAXED, ex_body, sizeof(ex_body) - 1, 0, &out);
	CHECK(same(&out, " C\r\nD E\r\n"), "rfc6376 3.4.5: body relaxed");
	buf_free(&out);
	body(DKIM_CANON_SIMPLE, ex_body, sizeof(ex_body) - 1, 0, &out);
	CHECK(same(&out, " C \r\nD \t E\r\n"), "rfc6376 3.4.5: body simple");
	buf_free(&out);

	/* empty bodies and missing final CRLF */
	body(DKIM_CANON_SIMPLE, "", 0, 0, &out);
	CHECK(same(&out, "\r\n"), "empty body, simple: one CRLF");
	buf_free(&out);
	body(DKIM_CANON_RELAXED, "", 0, 0, &out);
	CHECK(same(&out, ""), "empty body, relaxed: nothing");
	buf_free(&out);
	body(DKIM_CANON_SIMPLE, "\r\n\r\n", 4, 0, &out);
	CHECK(same(&out, "\r\n"), "only empty lines, simple: one CRLF");
	buf_free(&out);
	body(DKIM_CANON_RELAXED, " \r\n\t\r\n", 6, 0, &out);
	CHECK(same(&out, ""), "only blank lines, relaxed: nothing");
	buf_free(&out);
	body(DKIM_CANON_SIMPLE, "abc", 3, 0, &out);
	CHECK(same(&out, "abc\r\n"), "missing final CRLF added, simple");
	buf_free(&out);
	body(DKIM_CANON_RELAXED, "a  b", 4, 0, &out);
	CHECK(same(&out, "a b\r\n"), "missing final CRLF added, relaxed");
	buf_free(&out);
	body(DKIM_CANON_RELAXED, "a\nb\n\n", 5, 0, &out);
	CHECK(same(&out, "a\r\nb\r\n"), "bare LF read as CRLF");
	buf_free(&out);
	body(DKIM_CANON_SIMPLE, "x\r\n\r\ny\r\n\r\n", 10, 0, &out);
	CHECK(same(&out, "x\r\n\r\ny\r\n"), "inner empty lines kept, trailing ones dropped");
	buf_free(&out);

	/* whole versus pieces, both modes, random bodies */
	for (t = 0; t < 4000; t++) {
		char b[2048];
		size_t n = 0;
		int k, nparts = (int)((seed = seed * 1103515245 + 12345) >> 16) % 60;

		for (k = 0; k < nparts; k++) {
			const char *s = parts[((seed = seed * 1103515245 + 12345) >> 16) %
					      (sizeof(parts) / sizeof(parts[0]))];

			memcpy(b + n, s, strlen(s));
			n += strlen(s);
		}
		for (mode = 0; mode < 2; mode++) {
			size_t step = ((seed = seed * 1103515245 + 12345) >> 16) % 9 + 1;

			body((enum dkim_canon)mode, b, n, 0, &whole);
			body((enum dkim_canon)mode, b, n, step, &split);
			if (whole.len != split.len ||
			    (whole.len && memcmp(whole.data, split.data, whole.len)))
				bad++;
			buf_free(&whole);
			buf_free(&split);
		}
	}
	CHECK(bad == 0, "8000 random bodies: whole and split agree (%d differ)", bad);
	return unit_done();
}
