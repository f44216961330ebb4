/*
 * test_canon.c - canonicalization (RFC 6376 section 3.4).
 *
 * The example of section 3.4.5, byte for byte, header and body, simple
 * and relaxed, both field by field and read through the message reader;
 * the end-of-body rules (empty body: simple "\r\n", relaxed ""; trailing
 * empty lines removed; a missing final CRLF added); bare LF read as
 * CRLF; and a differential check: every split of sample bodies (1-byte
 * chunks and all 2-part splits) canonicalizes to the same bytes as one
 * chunk.  The known body hashes of RFC 6376 3.4.3/3.4.4 (empty body)
 * and of the RFC 8463 example close it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "bodyhash.h"
#include "canon.h"
#include "msgreader.h"
#include "unit.h"

/* the section 3.4.5 example input:
 *   A: <SP> X <CRLF>
 *   B <SP> : <SP> Y <HTAB><CRLF>
 *   <HTAB> Z <SP><SP><CRLF>
 *   <CRLF>
 *   <SP> C <SP><CRLF>
 *   D <SP><HTAB><SP> E <CRLF>
 *   <CRLF>
 *   <CRLF>
 */
static const char ex_field_a[] = "A: X\r\n";
static const char ex_field_b[] = "B : Y\t\r\n\tZ  \r\n";
static const char ex_body[] = " C \r\nD \t E\r\n\r\n\r\n";
static const char ex_message[] =
	"A: X\r\n"
	"B : Y\t\r\n"
	"\tZ  \r\n"
	"\r\n"
	" C \r\n"
	"D \t E\r\n"
	"\r\n"
	"\r\n";
/* relaxed:  a:X <CRLF>  b:Y <SP> Z <CRLF>  /  <SP> C <CRLF>  D <SP> E <CRLF> */
static const char ex_relaxed_headers[] = "a:X\r\nb:Y Z\r\n";
static const char ex_relaxed_body[] = " C\r\nD E\r\n";
/* simple: headers unchanged / <SP> C <SP><CRLF>  D <SP><HTAB><SP> E <CRLF> */
static const char ex_simple_headers[] = "A: X\r\nB : Y\t\r\n\tZ  \r\n";
static const char ex_simple_body[] = " C \r\nD \t E\r\n";

#define esc unit_esc        /* printable form for check names */

static const char *mode_name(enum dkim_canon m)
{
	return m == DKIM_CANON_RELAXED ? "relaxed" : "simple";
}

/* the sink: collects into a buf and checks the piece size */
struct collect {
	struct buf out;
	size_t calls;
	int oversize;
};

static void collect_sink(void *arg, const unsigned char *p, size_t len)
{
	struct collect *c = arg;

	if (len > MS_CANON_STAGE)
		c->oversize++;
	c->calls++;
	buf_append(&c->out, p, len);
}

static struct canon_body cb;    /* large (a stage buffer): not on the stack */

/* canon_chunks - canonicalize b fed in pieces of `step` (0: one piece) */
static void canon_chunks(enum dkim_canon mode, const void *b, size_t len,
			 size_t step, struct collect *c)
{
	const unsigned char *p = b;
	size_t i;

	buf_init(&c->out, BUF_UNLIMITED);
	c->calls = 0;
	c->oversize = 0;
	canon_body_init(&cb, mode, collect_sink, c);
	if (!step || step >= len) {
		canon_body_feed(&cb, p, len);
	} else {
		for (i = 0; i < len; i += step)
			canon_body_feed(&cb, p + i, len - i < step ? len - i : step);
	}
	canon_body_finish(&cb);
}

/* canon_split - the same in two pieces, split at `at` */
static void canon_split(enum dkim_canon mode, const void *b, size_t len,
			size_t at, struct collect *c)
{
	const unsigned char *p = b;

	buf_init(&c->out, BUF_UNLIMITED);
	c->calls = 0;
	c->oversize = 0;
	canon_body_init(&cb, mode, collect_sink, c);
	canon_body_feed(&cb, p, at);
	canon_body_feed(&cb, p + at, len - at);
	canon_body_finish(&cb);
}

static int buf_is(const struct buf *b, const void *want, size_t len)
{
	return b->len == len && (len == 0 || memcmp(b->data, want, len) == 0);
}

static void header_case(enum dkim_canon mode, const char *raw, const char *want,
			const char *what)
{
	struct buf out;
	enum ms_status st;

	buf_init(&out, BUF_UNLIMITED);
	st = canon_header(mode, (const unsigned char *)raw, strlen(raw), &out);
	CHECK(st == MS_OK && buf_is(&out, want, strlen(want)),
	      "canon header %s: %s: \"%s\" -> \"%s\" (got \"%s\")", mode_name(mode), what,
	      esc(raw, strlen(raw)), esc(want, strlen(want)), esc(out.data, out.len));
	buf_free(&out);
}

static void body_case(enum dkim_canon mode, const char *raw, size_t len,
		      const char *want, const char *what)
{
	struct collect c;

	canon_chunks(mode, raw, len, 0, &c);
	CHECK(buf_is(&c.out, want, strlen(want)) && cb.out_len == c.out.len,
	      "canon body %s: %s: \"%s\" -> \"%s\" (got \"%s\")", mode_name(mode), what,
	      esc(raw, len), esc(want, strlen(want)), esc(c.out.data, c.out.len));
	buf_free(&c.out);
}

/* section 3.4.5, field by field and body */
static void test_rfc_example(void)
{
	struct buf h;

	header_case(DKIM_CANON_RELAXED, ex_field_a, "a:X\r\n", "RFC 6376 3.4.5 field A");
	header_case(DKIM_CANON_RELAXED, ex_field_b, "b:Y Z\r\n", "RFC 6376 3.4.5 field B");
	header_case(DKIM_CANON_SIMPLE, ex_field_a, "A: X\r\n", "RFC 6376 3.4.5 field A");
	header_case(DKIM_CANON_SIMPLE, ex_field_b, "B : Y\t\r\n\tZ  \r\n", "RFC 6376 3.4.5 field B");
	body_case(DKIM_CANON_RELAXED, ex_body, sizeof(ex_body) - 1, ex_relaxed_body,
		  "RFC 6376 3.4.5 body");
	body_case(DKIM_CANON_SIMPLE, ex_body, sizeof(ex_body) - 1, ex_simple_body,
		  "RFC 6376 3.4.5 body");

	/* both fields into one buf: the canonical header block */
	buf_init(&h, BUF_UNLIMITED);
	canon_header(DKIM_CANON_RELAXED, (const unsigned char *)ex_field_a,
		     sizeof(ex_field_a) - 1, &h);
	canon_header(DKIM_CANON_RELAXED, (const unsigned char *)ex_field_b,
		     sizeof(ex_field_b) - 1, &h);
	CHECK(buf_is(&h, ex_relaxed_headers, sizeof(ex_relaxed_headers) - 1),
	      "canon: RFC 6376 3.4.5 relaxed headers appended in turn");
	buf_free(&h);
}

/* the example message read through the message reader: its fields, then
 * the body it passes on */
static void mr_body(void *arg, const unsigned char *p, size_t len)
{
	(void)arg;
	canon_body_feed(&cb, p, len);
}

static void test_rfc_example_message(enum dkim_canon mode, size_t step)
{
	struct msgreader mr;
	struct collect c;
	struct buf h;
	size_t i, n;
	const char *want_h = mode == DKIM_CANON_RELAXED ? ex_relaxed_headers : ex_simple_headers;
	const char *want_b = mode == DKIM_CANON_RELAXED ? ex_relaxed_body : ex_simple_body;

	buf_init(&c.out, BUF_UNLIMITED);
	c.calls = 0;
	c.oversize = 0;
	canon_body_init(&cb, mode, collect_sink, &c);
	msgreader_init(&mr, NULL, mr_body, NULL);
	for (i = 0; i < sizeof(ex_message) - 1; i += step)
		msgreader_feed(&mr, (const unsigned char *)ex_message + i,
			       sizeof(ex_message) - 1 - i < step ? sizeof(ex_message) - 1 - i : step);
	msgreader_finish(&mr);
	canon_body_finish(&cb);
	buf_init(&h, BUF_UNLIMITED);
	n = msgreader_nfields(&mr);
	for (i = 0; i < n; i++) {
		const unsigned char *raw;
		size_t len;

		raw = msgreader_field(&mr, i, &len);
		canon_header(mode, raw, len, &h);
	}
	CHECK(n == 2 && buf_is(&h, want_h, strlen(want_h)),
	      "canon: RFC 6376 3.4.5 message through the reader (chunks of %zu), %s headers: \"%s\"",
	      step, mode_name(mode), esc(h.data, h.len));
	CHECK(buf_is(&c.out, want_b, strlen(want_b)),
	      "canon: RFC 6376 3.4.5 message through the reader (chunks of %zu), %s body: \"%s\"",
	      step, mode_name(mode), esc(c.out.data, c.out.len));
	buf_free(&h);
	buf_free(&c.out);
	msgreader_free(&mr);
}

static void test_headers(void)
{
	static const struct {
		const char *raw;
		const char *relaxed;
		const char *what;
	} t[] = {
		{ "Subject: Is dinner ready?\r\n", "subject:Is dinner ready?\r\n", "plain" },
		{ "SUBJECT:  Hello   World  \r\n", "subject:Hello World\r\n", "runs of spaces, name lower-cased" },
		{ "X-Name\t:\tv\r\n", "x-name:v\r\n", "tabs around the colon" },
		{ "Subject: a\r\n\tb\r\n", "subject:a b\r\n", "unfolded, the fold one space" },
		{ "Subject: a \r\n \r\n b\r\n", "subject:a b\r\n", "two folds with spaces" },
		{ "Subject:\r\n b\r\n", "subject:b\r\n", "value only on the continuation line" },
		{ "X:\r\n", "x:\r\n", "empty value" },
		{ "X:   \r\n", "x:\r\n", "value of only spaces" },
		{ "X: \t \r\n", "x:\r\n", "value of spaces and tabs" },
		{ "To: a@b.example,\r\n  c@d.example\r\n", "to:a@b.example, c@d.example\r\n", "folded address list" },
		{ "X-Mixed-Case: KeepValueCase\r\n", "x-mixed-case:KeepValueCase\r\n", "value case kept" },
		{ "X: a:b: c\r\n", "x:a:b: c\r\n", "colons in the value kept" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		header_case(DKIM_CANON_RELAXED, t[i].raw, t[i].relaxed, t[i].what);
		header_case(DKIM_CANON_SIMPLE, t[i].raw, t[i].raw, t[i].what);
	}
	/* canon_header appends */
	{
		struct buf out;

		buf_init(&out, BUF_UNLIMITED);
		buf_puts(&out, "pre|");
		canon_header(DKIM_CANON_RELAXED, (const unsigned char *)"A: X\r\n", 6, &out);
		CHECK(strcmp(buf_str(&out), "pre|a:X\r\n") == 0, "canon header appends to out");
		buf_free(&out);
		buf_init(&out, 3);
		CHECK(canon_header(DKIM_CANON_SIMPLE, (const unsigned char *)"A: X\r\n", 6,
				   &out) == MS_ERR_LIMIT,
		      "canon header past the maximum of out: MS_ERR_LIMIT");
		buf_free(&out);
	}
}

static void test_body_rules(void)
{
	static const struct {
		const char *raw;
		const char *simple;
		const char *relaxed;
		const char *what;
	} t[] = {
		/* empty bodies (errata 1376: relaxed empty body is empty) */
		{ "", "\r\n", "", "empty body" },
		{ "\r\n", "\r\n", "", "one empty line" },
		{ "\r\n\r\n\r\n", "\r\n", "", "only empty lines" },
		{ "\n\n", "\r\n", "", "only empty lines, bare LF" },
		/* trailing empty lines */
		{ "a\r\n\r\n", "a\r\n", "a\r\n", "one trailing empty line" },
		{ "a\r\n\r\n\r\n\r\n\r\n", "a\r\n", "a\r\n", "four trailing empty lines" },
		{ "x\r\n\r\ny\r\n\r\n", "x\r\n\r\ny\r\n", "x\r\n\r\ny\r\n", "inner empty line kept" },
		{ "x\r\n\r\n\r\n\r\ny\r\n", "x\r\n\r\n\r\n\r\ny\r\n", "x\r\n\r\n\r\n\r\ny\r\n", "inner empty lines kept" },
		/* whitespace-only lines: empty for relaxed only */
		{ "a\r\n \r\n\t\r\n", "a\r\n \r\n\t\r\n", "a\r\n", "trailing lines of whitespace" },
		{ " \r\n\t\r\n", " \r\n\t\r\n", "", "body of whitespace lines" },
		{ "a\r\n  \r\nb\r\n", "a\r\n  \r\nb\r\n", "a\r\n\r\nb\r\n", "inner whitespace line" },
		/* missing final CRLF */
		{ "abc", "abc\r\n", "abc\r\n", "no final CRLF" },
		{ "a  b", "a  b\r\n", "a b\r\n", "no final CRLF, inner spaces" },
		{ "a\r\nb", "a\r\nb\r\n", "a\r\nb\r\n", "second line without CRLF" },
		{ "abc  ", "abc  \r\n", "abc\r\n", "no final CRLF, trailing spaces" },
		{ " ", " \r\n", "", "a single space, no CRLF" },
		{ "a\r\n\r\nb", "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n", "empty line then text without CRLF" },
		/* relaxed whitespace */
		{ "a \t b\t\r\n", "a \t b\t\r\n", "a b\r\n", "inner run and trailing tab" },
		{ "  a\r\n", "  a\r\n", " a\r\n", "leading run becomes one space" },
		{ "\ta\r\n", "\ta\r\n", " a\r\n", "leading tab becomes one space" },
		{ "a b\r\n", "a b\r\n", "a b\r\n", "single space kept" },
		/* bare LF line ends */
		{ "a\nb\n", "a\r\nb\r\n", "a\r\nb\r\n", "bare LF" },
		{ "a\nb\n\n\n", "a\r\nb\r\n", "a\r\nb\r\n", "bare LF with trailing empty lines" },
		{ "a\r\nb\nc\r\n", "a\r\nb\r\nc\r\n", "a\r\nb\r\nc\r\n", "mixed CRLF and LF" },
		{ "a \n", "a \r\n", "a\r\n", "trailing space before bare LF" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		body_case(DKIM_CANON_SIMPLE, t[i].raw, strlen(t[i].raw), t[i].simple, t[i].what);
		body_case(DKIM_CANON_RELAXED, t[i].raw, strlen(t[i].raw), t[i].relaxed, t[i].what);
	}
}

/* bodies written with CRLF and the same with bare LF canonicalize alike */
static void test_bare_lf(void)
{
	static const char *const samples[] = {
		"Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n",
		" C \r\nD \t E\r\n\r\n\r\n",
		"line  with   runs \t\r\n\r\n\r\nx\r\n\r\n",
		"\r\n\r\n",
		"no final line end",
		"  \r\n\t\r\n \r\n",
		"a\r\n.\r\n..\r\n",
	};
	size_t i;
	int mode;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		char lf[256];
		size_t n = 0;
		const char *s;

		for (s = samples[i]; *s; s++)
			if (!(s[0] == '\r' && s[1] == '\n'))
				lf[n++] = *s;
		for (mode = 0; mode < 2; mode++) {
			struct collect a, b;

			canon_chunks((enum dkim_canon)mode, samples[i], strlen(samples[i]), 0, &a);
			canon_chunks((enum dkim_canon)mode, lf, n, 0, &b);
			CHECK(a.out.len == b.out.len &&
			      (a.out.len == 0 || memcmp(a.out.data, b.out.data, a.out.len) == 0),
			      "canon body %s: bare LF same as CRLF: \"%s\"",
			      mode_name((enum dkim_canon)mode), esc(samples[i], strlen(samples[i])));
			buf_free(&a.out);
			buf_free(&b.out);
		}
	}
}

/* every split: 1-byte chunks, all chunk sizes up to 9, all 2-part
 * splits, against one chunk */
static void test_splits(void)
{
	static const char *const samples[] = {
		" C \r\nD \t E\r\n\r\n\r\n",
		"Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n",
		"a \t \r\n\r\n  b\t\t\r\n\r\n \r\n\r\n",
		"x\r\r\ny \r\n\r\n",            /* CR before CRLF */
		"bare\nlf \n\n mixed\r\n\t\n\r\n",
		"\r\n\r\n\r\n",
		"trailing spaces no CRLF   ",
		"  \t  ",
		"\r",
		"a\r",
		"a\rb\r\n",                     /* CR inside a line */
		"",
	};
	size_t i, at, step;
	int mode;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		size_t len = strlen(samples[i]);

		for (mode = 0; mode < 2; mode++) {
			struct collect whole, part;
			int bad = 0, first_bad = -1;

			canon_chunks((enum dkim_canon)mode, samples[i], len, 0, &whole);
			for (step = 1; step <= 9; step++) {
				canon_chunks((enum dkim_canon)mode, samples[i], len, step, &part);
				if (!buf_is(&part.out, whole.out.data, whole.out.len)) {
					bad++;
					if (first_bad < 0)
						first_bad = (int)(1000 + step);
				}
				buf_free(&part.out);
			}
			for (at = 0; at <= len; at++) {
				canon_split((enum dkim_canon)mode, samples[i], len, at, &part);
				if (!buf_is(&part.out, whole.out.data, whole.out.len)) {
					bad++;
					if (first_bad < 0)
						first_bad = (int)at;
				}
				buf_free(&part.out);
			}
			CHECK(bad == 0,
			      "canon body %s: 1..9-byte chunks and all %zu two-part splits equal one chunk: \"%s\" (%d differ, first %d)",
			      mode_name((enum dkim_canon)mode), len + 1,
			      esc(samples[i], len), bad, first_bad);
			buf_free(&whole.out);
		}
	}
}

/* a body larger than the stage: bytes that canonicalization changes
 * reach the sink in pieces of at most MS_CANON_STAGE (relaxed, with
 * its runs of whitespace); lines that need no change may go in one
 * piece of any size (simple); out_len counts it all */
static void test_large(void)
{
	size_t lines = 5000, i, n = 0;
	char *body = malloc(lines * 64);
	struct collect c;
	int mode;

	if (!body)
		return;
	for (i = 0; i < lines; i++)
		n += (size_t)sprintf(body + n, "line %zu   with  runs  \t\r\n", i);
	for (mode = 0; mode < 2; mode++) {
		struct collect one;

		canon_chunks((enum dkim_canon)mode, body, n, 0, &c);
		canon_chunks((enum dkim_canon)mode, body, n, 1, &one);
		if (mode == DKIM_CANON_RELAXED)
			CHECK(c.oversize == 0 && c.calls > 1,
			      "canon body %s: %zu changed bytes reach the sink in pieces of at most MS_CANON_STAGE (%zu calls, %d too big)",
			      mode_name((enum dkim_canon)mode), n, c.calls, c.oversize);
		else
			CHECK(c.calls >= 1 && c.out.len == n,
			      "canon body %s: %zu unchanged bytes reach the sink whole (%zu calls)",
			      mode_name((enum dkim_canon)mode), n, c.calls);
		CHECK(c.out.len == cb.out_len,
		      "canon body %s: out_len counts every canonical byte (%llu of %zu)",
		      mode_name((enum dkim_canon)mode), (unsigned long long)cb.out_len, c.out.len);
		CHECK(buf_is(&one.out, c.out.data, c.out.len),
		      "canon body %s: %zu bytes fed one at a time, same output",
		      mode_name((enum dkim_canon)mode), n);
		if (mode == DKIM_CANON_SIMPLE)
			CHECK(c.out.len == n, "canon body simple: large body unchanged");
		buf_free(&c.out);
		buf_free(&one.out);
	}
	free(body);
}

/* ref_canon - the body rules of RFC 6376 3.4.3 and 3.4.4 written out
 * plainly: lines end in LF (a CR right before it belongs to the line
 * end); text after the last LF is a last line; simple drops trailing
 * empty lines and makes an empty body one CRLF; relaxed turns each WSP
 * run into one SP, drops WSP at line ends, then trailing empty lines */
static void ref_canon(enum dkim_canon mode, const unsigned char *p, size_t len,
		      struct buf *out)
{
	size_t i = 0, keep = 0;

	buf_init(out, BUF_UNLIMITED);
	while (i < len) {
		size_t s = i, e, line_start = out->len;
		int wsp = 0;

		while (i < len && p[i] != '\n')
			i++;
		e = i;
		if (i < len) {
			i++;                    /* the LF */
			if (e > s && p[e - 1] == '\r')
				e--;
		}
		if (mode == DKIM_CANON_SIMPLE) {
			buf_append(out, p + s, e - s);
		} else {
			size_t k;

			for (k = s; k < e; k++) {
				if (p[k] == ' ' || p[k] == '\t') {
					wsp = 1;
					continue;
				}
				if (wsp)
					buf_putc(out, ' ');
				wsp = 0;
				buf_putc(out, p[k]);
			}
		}
		if (out->len > line_start)
			keep = out->len + 2;    /* the line had content */
		buf_append(out, "\r\n", 2);
	}
	buf_truncate(out, keep);
	if (mode == DKIM_CANON_SIMPLE && out->len == 0)
		buf_append(out, "\r\n", 2);
}

/* random bodies made of the bytes that matter, long enough for the
 * 8- and 16-byte fast paths, against ref_canon, whole and in random
 * pieces */
static void test_reference(void)
{
	static const char alphabet[] = "  \t\r\n\n\r\nab.x";
	unsigned seed = 424242;
	int t, mode, bad_whole = 0, bad_split = 0;
	unsigned char body[600];

	for (t = 0; t < 3000; t++) {
		size_t len, i;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % sizeof(body);
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			/* mostly plain text, so the fast paths get long runs */
			if ((seed >> 20) % 4)
				body[i] = (unsigned char)("abcdefgh ij\r\n"[(seed >> 8) % 13]);
			else
				body[i] = (unsigned char)alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
		}
		for (mode = 0; mode < 2; mode++) {
			struct buf ref;
			struct collect whole, part;
			size_t step;

			seed = seed * 1103515245u + 12345u;
			step = (seed >> 8) % 40 + 1;
			ref_canon((enum dkim_canon)mode, body, len, &ref);
			canon_chunks((enum dkim_canon)mode, body, len, 0, &whole);
			canon_chunks((enum dkim_canon)mode, body, len, step, &part);
			if (!buf_is(&whole.out, ref.data, ref.len)) {
				if (bad_whole++ < 3)
					printf("# reference %s differs for \"%s\"\n",
					       mode_name((enum dkim_canon)mode), esc(body, len));
			}
			if (!buf_is(&part.out, ref.data, ref.len))
				bad_split++;
			buf_free(&ref);
			buf_free(&whole.out);
			buf_free(&part.out);
		}
	}
	CHECK(bad_whole == 0, "canon body: 6000 random bodies (0..599 bytes) match a plain reference (%d differ)",
	      bad_whole);
	CHECK(bad_split == 0, "canon body: the same fed in random pieces match the reference (%d differ)",
	      bad_split);
}

/* body hashes (base64 of SHA-256) of known bodies */
static void bh_case(enum dkim_canon mode, const char *body, const char *want,
		    const char *what)
{
	struct bodyhash_set *set = bodyhash_new();
	struct ms_error err;
	struct buf b64;
	int idx = bodyhash_add(set, mode, BODYHASH_NOLIMIT);
	const unsigned char *d;

	bodyhash_feed(set, (const unsigned char *)body, strlen(body));
	buf_init(&b64, 128);
	if (idx >= 0 && bodyhash_finish(set, &err) == MS_OK &&
	    (d = bodyhash_digest(set, idx, NULL)) != NULL)
		base64_encode(d, BODYHASH_DIGEST, &b64);
	CHECK(strcmp(buf_str(&b64), want) == 0, "body hash %s: %s (%s)",
	      mode_name(mode), what, buf_str(&b64));
	buf_free(&b64);
	bodyhash_free(set);
}

static void test_body_hashes(void)
{
	/* RFC 6376 3.4.3 and 3.4.4 */
	bh_case(DKIM_CANON_SIMPLE, "", "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=",
		"empty body (RFC 6376 3.4.3)");
	bh_case(DKIM_CANON_RELAXED, "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
		"empty body (RFC 6376 3.4.4)");
	bh_case(DKIM_CANON_SIMPLE, "\r\n\r\n", "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=",
		"empty lines only");
	/* RFC 8463 Appendix A: relaxed body hash of the example body */
	bh_case(DKIM_CANON_RELAXED,
		"Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n",
		"2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=", "RFC 8463 A.3 body");
	/* RFC 6376 Appendix A: the same text with one space, simple */
	bh_case(DKIM_CANON_SIMPLE,
		"Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n",
		"2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=", "RFC 6376 A.2 body");
	bh_case(DKIM_CANON_SIMPLE,
		"Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n\r\n\r\n",
		"2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=", "RFC 6376 A.2 body with trailing empty lines");
}

int main(void)
{
	test_rfc_example();
	test_rfc_example_message(DKIM_CANON_RELAXED, sizeof(ex_message));
	test_rfc_example_message(DKIM_CANON_SIMPLE, sizeof(ex_message));
	test_rfc_example_message(DKIM_CANON_RELAXED, 1);
	test_rfc_example_message(DKIM_CANON_SIMPLE, 1);
	test_headers();
	test_body_rules();
	test_bare_lf();
	test_splits();
	test_large();
	test_reference();
	test_body_hashes();
	return unit_done();
}
