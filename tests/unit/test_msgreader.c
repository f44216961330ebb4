/*
 * test_msgreader.c - the streaming message reader: fields split with
 * their raw bytes, folded continuations kept, bare LF turned into CRLF
 * in the header block, the header/body split at the empty line, body
 * bytes passed through untouched, no empty line (all headers, empty
 * body), lines without a colon kept as nameless fields, the same result
 * for every way of cutting the input into chunks, and the limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms_limits.h"
#include "msgreader.h"
#include "unit.h"

#define esc unit_esc        /* printable form for check names */

/* what the callbacks saw */
struct seen {
	int headers_calls;
	size_t nfields_at_headers;
	int body_before_headers;
	struct buf body;
	struct msgreader *mr;
};

static void on_headers(void *arg)
{
	struct seen *s = arg;

	s->headers_calls++;
	s->nfields_at_headers = msgreader_nfields(s->mr);
}

static void on_body(void *arg, const unsigned char *p, size_t len)
{
	struct seen *s = arg;

	if (!s->headers_calls)
		s->body_before_headers = 1;
	buf_append(&s->body, p, len);
}

/* read - feed msg in pieces of step (0: whole), or split at `at` when
 * step is (size_t)-1 */
static enum ms_status read_msg(struct msgreader *mr, struct seen *s,
			       const char *msg, size_t len, size_t step, size_t at)
{
	enum ms_status st = MS_OK, st2;
	size_t i;

	memset(s, 0, sizeof(*s));
	buf_init(&s->body, BUF_UNLIMITED);
	s->mr = mr;
	msgreader_init(mr, on_headers, on_body, s);
	if (step == (size_t)-1) {
		st = msgreader_feed(mr, (const unsigned char *)msg, at);
		st2 = msgreader_feed(mr, (const unsigned char *)msg + at, len - at);
		if (st == MS_OK)
			st = st2;
	} else if (step == 0 || step >= len) {
		st = msgreader_feed(mr, (const unsigned char *)msg, len);
	} else {
		for (i = 0; i < len; i += step) {
			st2 = msgreader_feed(mr, (const unsigned char *)msg + i,
					     len - i < step ? len - i : step);
			if (st == MS_OK)
				st = st2;
		}
	}
	st2 = msgreader_finish(mr);
	return st != MS_OK ? st : st2;
}

static void done(struct msgreader *mr, struct seen *s)
{
	msgreader_free(mr);
	buf_free(&s->body);
}

/* a field as expected: raw bytes, name and value */
struct fexp {
	const char *raw;
	const char *name;               /* "" for a nameless field */
	const char *value;              /* NULL: not checked */
};

#define MAXF 6

struct mcase {
	const char *what;
	const char *msg;
	size_t nfields;
	struct fexp f[MAXF];
	const char *body;
};

static const struct mcase cases[] = {
	{ "two fields and a body",
	  "From: a@example.com\r\nTo: b@example.net\r\n\r\nHello\r\n", 2,
	  { { "From: a@example.com\r\n", "From", " a@example.com" },
	    { "To: b@example.net\r\n", "To", " b@example.net" } },
	  "Hello\r\n" },
	{ "folded continuation",
	  "Subject: a\r\n b\r\n\tc\r\nTo: x\r\n\r\nbody", 2,
	  { { "Subject: a\r\n b\r\n\tc\r\n", "Subject", " a\r\n b\r\n\tc" },
	    { "To: x\r\n", "To", " x" } },
	  "body" },
	{ "LF-only header block made CRLF, body untouched",
	  "From: a\nSubject: x\n y\n\nline1\nline2\n", 2,
	  { { "From: a\r\n", "From", " a" },
	    { "Subject: x\r\n y\r\n", "Subject", " x\r\n y" } },
	  "line1\nline2\n" },
	{ "mixed CRLF and LF",
	  "From: a\r\nTo: b\nCc: c\r\n\nbody\r\n", 3,
	  { { "From: a\r\n", "From", " a" }, { "To: b\r\n", "To", " b" },
	    { "Cc: c\r\n", "Cc", " c" } },
	  "body\r\n" },
	{ "no empty line: all headers, empty body",
	  "From: a\r\nTo: b\r\n", 2,
	  { { "From: a\r\n", "From", " a" }, { "To: b\r\n", "To", " b" } },
	  "" },
	{ "empty line then nothing: empty body",
	  "From: a\r\n\r\n", 1,
	  { { "From: a\r\n", "From", " a" } },
	  "" },
	{ "body starts after the first empty line only",
	  "From: a\r\n\r\n\r\nX: not a header\r\n", 1,
	  { { "From: a\r\n", "From", " a" } },
	  "\r\nX: not a header\r\n" },
	{ "empty line first: no fields",
	  "\r\nbody\r\n", 0, { { 0, 0, 0 } }, "body\r\n" },
	{ "line without a colon is a nameless field",
	  "From: a\r\ngarbage line\r\nTo: b\r\n\r\nx", 3,
	  { { "From: a\r\n", "From", " a" }, { "garbage line\r\n", "", NULL },
	    { "To: b\r\n", "To", " b" } },
	  "x" },
	{ "continuation before any field is a nameless field",
	  " leading\r\nFrom: a\r\n\r\n", 2,
	  { { " leading\r\n", "", NULL }, { "From: a\r\n", "From", " a" } },
	  "" },
	{ "empty value and value without space",
	  "X-Empty:\r\nX-Tight:v\r\n\r\n", 2,
	  { { "X-Empty:\r\n", "X-Empty", "" }, { "X-Tight:v\r\n", "X-Tight", "v" } },
	  "" },
	{ "colons in the value",
	  "Date: Fri, 11 Jul 2003 21:00:37 -0700\r\n\r\n", 1,
	  { { "Date: Fri, 11 Jul 2003 21:00:37 -0700\r\n", "Date", " Fri, 11 Jul 2003 21:00:37 -0700" } },
	  "" },
	{ "same name twice",
	  "Received: one\r\nReceived: two\r\n\r\n", 2,
	  { { "Received: one\r\n", "Received", " one" }, { "Received: two\r\n", "Received", " two" } },
	  "" },
	{ "body with CR, LF, NUL and 8-bit bytes is passed as is",
	  "From: a\r\n\r\n\xff\x00\r\r\n\n.\r\n", 1,
	  { { "From: a\r\n", "From", " a" } },
	  "\xff\x00\r\r\n\n.\r\n" },
};

static size_t body_len(const struct mcase *c)
{
	/* the NUL case: the body runs to the end of the message */
	if (strstr(c->what, "NUL"))
		return 9;
	return strlen(c->body);
}

static size_t msg_len(const struct mcase *c)
{
	if (strstr(c->what, "NUL"))
		return strlen("From: a\r\n\r\n") + 9;
	return strlen(c->msg);
}

/* check_case - the reader's view of c, after reading it some way */
static int check_case(const struct mcase *c, struct msgreader *mr,
		      struct seen *s, enum ms_status st, char *why, size_t whysz)
{
	size_t i;

	if (st != MS_OK) {
		snprintf(why, whysz, "status %s", ms_status_str(st));
		return 0;
	}
	if (s->headers_calls != 1 || s->body_before_headers) {
		snprintf(why, whysz, "on_headers ran %d times, body before headers %d",
			 s->headers_calls, s->body_before_headers);
		return 0;
	}
	if (msgreader_nfields(mr) != c->nfields || s->nfields_at_headers != c->nfields) {
		snprintf(why, whysz, "%zu fields (%zu at on_headers), want %zu",
			 msgreader_nfields(mr), s->nfields_at_headers, c->nfields);
		return 0;
	}
	for (i = 0; i < c->nfields; i++) {
		const unsigned char *raw, *name, *val;
		size_t rl, nl, vl;

		raw = msgreader_field(mr, i, &rl);
		if (rl != strlen(c->f[i].raw) || memcmp(raw, c->f[i].raw, rl) != 0) {
			snprintf(why, whysz, "field %zu raw \"%s\"", i, esc(raw, rl));
			return 0;
		}
		name = msgreader_field_name(mr, i, &nl);
		if (nl != strlen(c->f[i].name) || (nl && memcmp(name, c->f[i].name, nl) != 0)) {
			snprintf(why, whysz, "field %zu name \"%s\"", i, esc(name, nl));
			return 0;
		}
		if (c->f[i].value) {
			val = msgreader_field_value(mr, i, &vl);
			if (vl != strlen(c->f[i].value) ||
			    (vl && memcmp(val, c->f[i].value, vl) != 0)) {
				snprintf(why, whysz, "field %zu value \"%s\"", i, esc(val, vl));
				return 0;
			}
		}
	}
	if (!(s->body.len == body_len(c) &&
	      (s->body.len == 0 || memcmp(s->body.data, c->body, s->body.len) == 0))) {
		snprintf(why, whysz, "body \"%s\"", esc(s->body.data, s->body.len));
		return 0;
	}
	return 1;
}

static void test_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mcase *c = &cases[i];
		size_t len = msg_len(c), step, at;
		struct msgreader mr;
		struct seen s;
		enum ms_status st;
		char why[600] = "";
		int ok, bad = 0;

		st = read_msg(&mr, &s, c->msg, len, 0, 0);
		ok = check_case(c, &mr, &s, st, why, sizeof(why));
		CHECK(ok, "msgreader: %s%s%s", c->what, ok ? "" : " - ", why);
		done(&mr, &s);

		/* every chunk size 1..9 and every two-part split */
		for (step = 1; step <= 9; step++) {
			st = read_msg(&mr, &s, c->msg, len, step, 0);
			if (!check_case(c, &mr, &s, st, why, sizeof(why)))
				bad++;
			done(&mr, &s);
		}
		for (at = 0; at <= len; at++) {
			st = read_msg(&mr, &s, c->msg, len, (size_t)-1, at);
			if (!check_case(c, &mr, &s, st, why, sizeof(why)))
				bad++;
			done(&mr, &s);
		}
		CHECK(bad == 0, "msgreader: %s: same in chunks of 1..9 and all %zu two-part splits (%d differ%s%s)",
		      c->what, len + 1, bad, bad ? ": " : "", bad ? why : "");
	}
}

static void test_field_is(void)
{
	static const char msg[] =
		"FROM: a\r\nDKIM-Signature: v=1\r\nB : Y\r\nX-From: z\r\nfrom:b\r\n\r\n";
	struct msgreader mr;
	struct seen s;

	read_msg(&mr, &s, msg, sizeof(msg) - 1, 0, 0);
	CHECK(msgreader_nfields(&mr) == 5, "msgreader field_is: 5 fields");
	CHECK(msgreader_field_is(&mr, 0, "from", 4) && msgreader_field_is(&mr, 0, "From", 4) &&
	      msgreader_field_is(&mr, 4, "FROM", 4),
	      "msgreader field_is: case-insensitive");
	CHECK(!msgreader_field_is(&mr, 3, "from", 4) && !msgreader_field_is(&mr, 0, "fro", 3) &&
	      !msgreader_field_is(&mr, 0, "fromx", 5),
	      "msgreader field_is: whole names only");
	CHECK(msgreader_field_is(&mr, 1, "dkim-signature", 14),
	      "msgreader field_is: DKIM-Signature");
	/* "B : Y" (RFC 6376 3.4.5): the name is B, the space before the
	 * colon is not part of it */
	CHECK(msgreader_field_is(&mr, 2, "b", 1),
	      "msgreader field_is: \"B : Y\" is called B");
	{
		size_t vl = 0;
		const unsigned char *v = msgreader_field_value(&mr, 2, &vl);

		CHECK(vl == 2 && memcmp(v, " Y", 2) == 0,
		      "msgreader: value of \"B : Y\" is \" Y\" (\"%s\")", esc(v, vl));
	}
	done(&mr, &s);
}

/* NULL callbacks are allowed; finish runs on_headers once */
static void test_callbacks(void)
{
	struct msgreader mr;
	struct seen s;
	static const char msg[] = "From: a\r\nTo: b\r\n";

	msgreader_init(&mr, NULL, NULL, NULL);
	CHECK(msgreader_feed(&mr, (const unsigned char *)"From: a\r\n\r\nbody", 16) == MS_OK &&
	      msgreader_finish(&mr) == MS_OK && msgreader_nfields(&mr) == 1,
	      "msgreader: NULL callbacks");
	msgreader_free(&mr);

	memset(&s, 0, sizeof(s));
	buf_init(&s.body, 100);
	s.mr = &mr;
	msgreader_init(&mr, on_headers, on_body, &s);
	msgreader_feed(&mr, (const unsigned char *)msg, sizeof(msg) - 1);
	CHECK(s.headers_calls == 0, "msgreader: no empty line yet: on_headers has not run");
	msgreader_finish(&mr);
	CHECK(s.headers_calls == 1 && s.nfields_at_headers == 2,
	      "msgreader: finish runs on_headers");
	done(&mr, &s);

	/* on_headers runs as soon as the empty line is seen, before finish */
	memset(&s, 0, sizeof(s));
	buf_init(&s.body, 100);
	s.mr = &mr;
	msgreader_init(&mr, on_headers, on_body, &s);
	msgreader_feed(&mr, (const unsigned char *)"From: a\r\n\r\n", 11);
	msgreader_feed(&mr, (const unsigned char *)"b", 1);
	CHECK(s.headers_calls == 1 && s.body.len == 1,
	      "msgreader: on_headers at the empty line, body bytes as they come");
	msgreader_finish(&mr);
	CHECK(s.headers_calls == 1, "msgreader: on_headers runs once");
	done(&mr, &s);
}

/* limits: MS_MAX_HEADERS fields, MS_MAX_FIELD_BYTES in one field,
 * MS_MAX_HEADER_BYTES in the block */
static void test_limits(void)
{
	struct msgreader mr;
	struct seen s;
	struct buf m;
	enum ms_status st;
	size_t i;

	buf_init(&m, BUF_UNLIMITED);
	for (i = 0; i < MS_MAX_HEADERS; i++)
		buf_printf(&m, "X-%zu: v\r\n", i);
	buf_puts(&m, "\r\nbody\r\n");
	st = read_msg(&mr, &s, (const char *)m.data, m.len, 0, 0);
	CHECK(st == MS_OK && msgreader_nfields(&mr) == MS_MAX_HEADERS &&
	      s.body.len == 6, "msgreader: exactly MS_MAX_HEADERS (%d) fields", MS_MAX_HEADERS);
	done(&mr, &s);

	buf_reset(&m);
	for (i = 0; i < MS_MAX_HEADERS + 1; i++)
		buf_printf(&m, "X-%zu: v\r\n", i);
	buf_puts(&m, "\r\nbody\r\n");
	st = read_msg(&mr, &s, (const char *)m.data, m.len, 0, 0);
	CHECK(st == MS_ERR_LIMIT && mr.state == MR_ERROR,
	      "msgreader: MS_MAX_HEADERS + 1 fields: MS_ERR_LIMIT, error state (%s)",
	      ms_status_str(st));
	CHECK(s.body.len == 0, "msgreader: ... no body bytes passed on");
	CHECK(msgreader_feed(&mr, (const unsigned char *)"more", 4) == MS_ERR_LIMIT,
	      "msgreader: ... later feeds keep returning MS_ERR_LIMIT");
	done(&mr, &s);

	/* the same fed a line at a time */
	{
		size_t start = 0, k;

		memset(&s, 0, sizeof(s));
		buf_init(&s.body, 100);
		s.mr = &mr;
		msgreader_init(&mr, on_headers, on_body, &s);
		st = MS_OK;
		for (k = 0; k < m.len; k++) {
			if (m.data[k] == '\n') {
				enum ms_status st2 = msgreader_feed(&mr, m.data + start, k + 1 - start);

				if (st == MS_OK)
					st = st2;
				start = k + 1;
			}
		}
		CHECK(st == MS_ERR_LIMIT, "msgreader: MS_MAX_HEADERS + 1 fields fed line by line: MS_ERR_LIMIT");
		done(&mr, &s);
	}

	/* one field past MS_MAX_FIELD_BYTES */
	buf_reset(&m);
	buf_puts(&m, "From: a\r\nX-Big: ");
	for (i = 0; i < MS_MAX_FIELD_BYTES; i++)
		buf_putc(&m, 'a');
	buf_puts(&m, "\r\n\r\nbody");
	st = read_msg(&mr, &s, (const char *)m.data, m.len, 0, 0);
	CHECK(st == MS_ERR_LIMIT, "msgreader: a field over MS_MAX_FIELD_BYTES: MS_ERR_LIMIT (%s)",
	      ms_status_str(st));
	done(&mr, &s);

	/* the same made of folded lines */
	buf_reset(&m);
	buf_puts(&m, "X-Big: x");
	for (i = 0; i < MS_MAX_FIELD_BYTES / 60 + 10; i++)
		buf_puts(&m, "\r\n 123456789012345678901234567890123456789012345678901234567890");
	buf_puts(&m, "\r\n\r\nbody");
	st = read_msg(&mr, &s, (const char *)m.data, m.len, 4096, 0);
	CHECK(st == MS_ERR_LIMIT, "msgreader: a folded field over MS_MAX_FIELD_BYTES: MS_ERR_LIMIT");
	done(&mr, &s);

	/* a field well under the limit is fine */
	buf_reset(&m);
	buf_puts(&m, "X-Big: ");
	for (i = 0; i < MS_MAX_FIELD_BYTES / 2; i++)
		buf_putc(&m, 'a');
	buf_puts(&m, "\r\n\r\nbody");
	st = read_msg(&mr, &s, (const char *)m.data, m.len, 0, 0);
	CHECK(st == MS_OK && msgreader_nfields(&mr) == 1, "msgreader: a field of half MS_MAX_FIELD_BYTES");
	done(&mr, &s);

	/* a header block past MS_MAX_HEADER_BYTES from fields each under
	 * MS_MAX_FIELD_BYTES */
	buf_reset(&m);
	{
		size_t per = MS_MAX_FIELD_BYTES - 1024, nf = MS_MAX_HEADER_BYTES / per + 1, k;

		for (k = 0; k < nf; k++) {
			buf_printf(&m, "X-%zu: ", k);
			for (i = 0; i < per; i++)
				buf_putc(&m, 'b');
			buf_puts(&m, "\r\n");
		}
	}
	buf_puts(&m, "\r\nbody");
	st = read_msg(&mr, &s, (const char *)m.data, m.len, 65536, 0);
	CHECK(st == MS_ERR_LIMIT, "msgreader: a header block over MS_MAX_HEADER_BYTES: MS_ERR_LIMIT (%s)",
	      ms_status_str(st));
	done(&mr, &s);

	/* a large body is no problem: bodies stream */
	buf_reset(&m);
	buf_puts(&m, "From: a\r\n\r\n");
	for (i = 0; i < 3 * 1024 * 1024; i++)
		buf_putc(&m, i % 80 == 79 ? '\n' : 'c');
	st = read_msg(&mr, &s, (const char *)m.data, m.len, 65536, 0);
	CHECK(st == MS_OK && s.body.len == 3 * 1024 * 1024 && mr.body_bytes == s.body.len,
	      "msgreader: a 3 MiB body streams through (body_bytes %llu)",
	      (unsigned long long)mr.body_bytes);
	done(&mr, &s);
	buf_free(&m);
}

int main(void)
{
	test_cases();
	test_field_is();
	test_callbacks();
	test_limits();
	return unit_done();
}
