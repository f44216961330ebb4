/*
 * test_buf.c - the byte buffer: growth, the hard maximum (MS_ERR_LIMIT
 * and the buffer left as it was), printf, NUL-termination, truncate,
 * reset, load_file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "unit.h"

/* nul_ok - the data is NUL-terminated right after len */
static int nul_ok(const struct buf *b)
{
	return b->data ? b->cap > b->len && b->data[b->len] == 0
		       : b->len == 0;
}

static void test_empty(void)
{
	struct buf b;

	buf_init(&b, 100);
	CHECK(b.len == 0 && buf_str(&b) != NULL && strcmp(buf_str(&b), "") == 0,
	      "buf: a new buf is empty and buf_str gives \"\"");
	CHECK(b.max == 100, "buf: max is kept");
	CHECK(buf_append(&b, "", 0) == MS_OK && b.len == 0 && buf_str(&b)[0] == 0,
	      "buf: appending nothing");
	CHECK(buf_puts(&b, "") == MS_OK && b.len == 0, "buf: buf_puts of \"\"");
	buf_free(&b);
	CHECK(b.data == NULL && b.len == 0, "buf: freed buf is empty");
	buf_free(&b);                   /* twice is harmless */
	buf_init(&b, 10);
	CHECK(buf_puts(&b, "again") == MS_OK && strcmp(buf_str(&b), "again") == 0,
	      "buf: usable after free and init");
	buf_free(&b);
}

/* buf_reserve on an empty buffer allocates storage: buf_str must still
 * be "" (the header promises NUL-termination at all times).  Freed
 * blocks full of junk are left on the heap first, so that a missing NUL
 * shows. */
static void test_reserve_nul(void)
{
	int k, bad = 0;

	for (k = 0; k < 8; k++) {
		size_t sz[] = { 8, 64, 65, 100, 128, 200 };
		size_t j;
		struct buf b;

		for (j = 0; j < sizeof(sz) / sizeof(sz[0]); j++) {
			char *junk = malloc(sz[j] + (size_t)k);

			if (junk) {
				memset(junk, 'Z', sz[j] + (size_t)k);
				free(junk);
			}
		}
		buf_init(&b, 1000);
		if (buf_reserve(&b, 10 + (size_t)k) != MS_OK || b.len != 0 ||
		    strcmp(buf_str(&b), "") != 0)
			bad++;
		buf_free(&b);
	}
	CHECK(bad == 0, "buf: after buf_reserve on an empty buffer, buf_str is \"\" (%d of 8 not)",
	      bad);
}

static void test_growth(void)
{
	struct buf b;
	size_t i;
	int bad = 0, badnul = 0;

	buf_init(&b, BUF_UNLIMITED);
	for (i = 0; i < 100000; i++) {
		if (buf_putc(&b, 'a' + (int)(i % 26)) != MS_OK)
			bad++;
		if (!nul_ok(&b) || b.len != i + 1 || b.cap < b.len)
			badnul++;
	}
	for (i = 0; i < b.len; i++)
		if (b.data[i] != 'a' + (int)(i % 26))
			bad++;
	CHECK(bad == 0 && b.len == 100000,
	      "buf: 100000 single-byte appends, contents intact");
	CHECK(badnul == 0, "buf: NUL-terminated and len <= cap after every append");
	buf_free(&b);

	/* big appends */
	buf_init(&b, BUF_UNLIMITED);
	{
		static unsigned char big[70000];
		int k;

		memset(big, 'z', sizeof(big));
		bad = 0;
		for (k = 0; k < 5; k++)
			if (buf_append(&b, big, sizeof(big)) != MS_OK)
				bad++;
		CHECK(bad == 0 && b.len == 5 * sizeof(big) && nul_ok(&b) &&
		      b.data[0] == 'z' && b.data[b.len - 1] == 'z',
		      "buf: large appends grow the buffer");
	}
	buf_free(&b);

	/* reserve */
	buf_init(&b, 1000);
	buf_puts(&b, "abc");
	CHECK(buf_reserve(&b, 500) == MS_OK && b.cap >= b.len + 500 && b.len == 3 &&
	      strcmp(buf_str(&b), "abc") == 0,
	      "buf: reserve makes room and keeps contents");
	{
		unsigned char *before = b.data;
		size_t k;

		for (k = 0; k < 500; k++)
			buf_putc(&b, 'x');
		CHECK(b.data == before && b.len == 503,
		      "buf: appends within reserved room do not move the data");
	}
	CHECK(buf_reserve(&b, 498) == MS_ERR_LIMIT,
	      "buf: reserve past the maximum is MS_ERR_LIMIT");
	CHECK(buf_reserve(&b, 497) == MS_OK, "buf: reserve up to the maximum");
	CHECK(buf_reserve(&b, (size_t)-1) == MS_ERR_LIMIT,
	      "buf: reserve of SIZE_MAX is MS_ERR_LIMIT (no overflow)");
	CHECK(buf_reserve(&b, (size_t)-1 - 2) == MS_ERR_LIMIT,
	      "buf: reserve of SIZE_MAX - 2 is MS_ERR_LIMIT (no overflow)");
	buf_free(&b);
}

static void test_limit(void)
{
	struct buf b;
	unsigned char *data;
	size_t cap;

	buf_init(&b, 10);
	CHECK(buf_append(&b, "0123456789", 10) == MS_OK && b.len == 10 && nul_ok(&b),
	      "buf: filling to exactly the maximum");
	data = b.data;
	cap = b.cap;
	CHECK(buf_putc(&b, 'x') == MS_ERR_LIMIT, "buf: putc past the maximum: MS_ERR_LIMIT");
	CHECK(b.len == 10 && memcmp(b.data, "0123456789", 10) == 0 && nul_ok(&b),
	      "buf: ... buffer unchanged");
	CHECK(buf_append(&b, "xy", 2) == MS_ERR_LIMIT && b.len == 10 &&
	      strcmp(buf_str(&b), "0123456789") == 0,
	      "buf: append past the maximum: MS_ERR_LIMIT, unchanged");
	CHECK(buf_puts(&b, "x") == MS_ERR_LIMIT && b.len == 10,
	      "buf: puts past the maximum: MS_ERR_LIMIT, unchanged");
	CHECK(buf_printf(&b, "%d", 7) == MS_ERR_LIMIT && b.len == 10 &&
	      strcmp(buf_str(&b), "0123456789") == 0,
	      "buf: printf past the maximum: MS_ERR_LIMIT, unchanged");
	CHECK(buf_append(&b, "", 0) == MS_OK && b.len == 10,
	      "buf: appending nothing to a full buffer is fine");
	CHECK(b.data == data && b.cap == cap,
	      "buf: failed appends did not reallocate");
	buf_free(&b);

	/* an append that does not fit is refused whole, not cut */
	buf_init(&b, 10);
	buf_puts(&b, "abcdef");
	CHECK(buf_append(&b, "ghijklm", 7) == MS_ERR_LIMIT && b.len == 6 &&
	      strcmp(buf_str(&b), "abcdef") == 0,
	      "buf: a partly fitting append is refused whole");
	CHECK(buf_printf(&b, "%s", "12345") == MS_ERR_LIMIT && b.len == 6 &&
	      strcmp(buf_str(&b), "abcdef") == 0,
	      "buf: a partly fitting printf is refused whole");
	CHECK(buf_printf(&b, "%s", "1234") == MS_OK && b.len == 10 &&
	      strcmp(buf_str(&b), "abcdef1234") == 0,
	      "buf: a printf that just fits");
	buf_free(&b);

	buf_init(&b, 0);
	CHECK(buf_putc(&b, 'a') == MS_ERR_LIMIT && b.len == 0 &&
	      strcmp(buf_str(&b), "") == 0,
	      "buf: max 0 takes nothing");
	buf_free(&b);

	buf_init(&b, 5);
	buf_append(&b, "12345", 5);
	buf_reset(&b);
	CHECK(b.len == 0 && strcmp(buf_str(&b), "") == 0 &&
	      buf_append(&b, "abcde", 5) == MS_OK && buf_putc(&b, 'f') == MS_ERR_LIMIT,
	      "buf: reset empties; the maximum still holds");
	buf_free(&b);
}

static void test_printf(void)
{
	struct buf b;
	char big[5000];

	buf_init(&b, BUF_UNLIMITED);
	CHECK(buf_printf(&b, "%s=%d;", "t", 1528637909) == MS_OK &&
	      strcmp(buf_str(&b), "t=1528637909;") == 0 && b.len == 13 && nul_ok(&b),
	      "buf: printf formats");
	CHECK(buf_printf(&b, " %llu", (unsigned long long)UINT64_MAX) == MS_OK &&
	      strcmp(buf_str(&b), "t=1528637909; 18446744073709551615") == 0,
	      "buf: printf appends");
	CHECK(buf_printf(&b, "%s", "") == MS_OK && b.len == 34,
	      "buf: printf of nothing");
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	buf_reset(&b);
	CHECK(buf_printf(&b, "<%s>", big) == MS_OK && b.len == sizeof(big) + 1 &&
	      b.data[0] == '<' && b.data[b.len - 1] == '>' && nul_ok(&b),
	      "buf: printf of 5000 bytes grows the buffer");
	buf_free(&b);

	/* embedded NUL through append is kept; len counts it */
	buf_init(&b, 100);
	buf_append(&b, "a\0b", 3);
	CHECK(b.len == 3 && b.data[1] == 0 && b.data[2] == 'b' && nul_ok(&b),
	      "buf: NUL bytes inside the data are data");
	buf_free(&b);
}

static void test_truncate(void)
{
	struct buf b;

	buf_init(&b, 100);
	buf_puts(&b, "hello world");
	buf_truncate(&b, 5);
	CHECK(b.len == 5 && strcmp(buf_str(&b), "hello") == 0 && nul_ok(&b),
	      "buf: truncate shortens and keeps the NUL");
	buf_truncate(&b, 5);
	CHECK(b.len == 5 && strcmp(buf_str(&b), "hello") == 0,
	      "buf: truncate to the same length");
	buf_truncate(&b, 0);
	CHECK(b.len == 0 && strcmp(buf_str(&b), "") == 0,
	      "buf: truncate to 0");
	buf_puts(&b, "x");
	CHECK(strcmp(buf_str(&b), "x") == 0, "buf: append after truncate");
	buf_free(&b);
}

static void test_load_file(void)
{
	char path[] = "/tmp/mailseal-test-buf-XXXXXX";
	char path2[] = "/tmp/mailseal-test-buf-XXXXXX";
	struct ms_error err;
	struct buf b;
	int fd = mkstemp(path);
	static unsigned char data[20000];
	size_t i;

	if (fd < 0) {
		unit_failf("buf: load_file", "mkstemp failed");
		return;
	}
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7);
	if (write(fd, data, sizeof(data)) != (ssize_t)sizeof(data)) {
		close(fd);
		unlink(path);
		unit_failf("buf: load_file", "write failed");
		return;
	}
	close(fd);

	buf_init(&b, BUF_UNLIMITED);
	buf_puts(&b, "pre");
	ms_error_clear(&err);
	CHECK(buf_load_file(&b, path, &err) == MS_OK && b.len == 3 + sizeof(data) &&
	      memcmp(b.data, "pre", 3) == 0 &&
	      memcmp(b.data + 3, data, sizeof(data)) == 0 && nul_ok(&b),
	      "buf: load_file appends the whole file");
	buf_free(&b);

	buf_init(&b, 1000);
	ms_error_clear(&err);
	CHECK(buf_load_file(&b, path, &err) == MS_ERR_LIMIT,
	      "buf: load_file of a file larger than the maximum: MS_ERR_LIMIT");
	CHECK(strstr(err.msg, path) != NULL, "buf: ... the error names the file (\"%s\")",
	      err.msg);
	buf_free(&b);
	unlink(path);

	buf_init(&b, 1000);
	ms_error_clear(&err);
	CHECK(buf_load_file(&b, path, &err) == MS_ERR_IO &&
	      strstr(err.msg, path) != NULL,
	      "buf: load_file of a missing file: MS_ERR_IO naming it (\"%s\")", err.msg);
	buf_free(&b);

	/* an empty file */
	fd = mkstemp(path2);
	if (fd >= 0) {
		close(fd);
		buf_init(&b, 10);
		CHECK(buf_load_file(&b, path2, &err) == MS_OK && b.len == 0 &&
		      strcmp(buf_str(&b), "") == 0,
		      "buf: load_file of an empty file");
		buf_free(&b);
		unlink(path2);
	} else {
		unit_failf("buf: load_file of an empty file", "mkstemp failed");
	}
}

int main(void)
{
	test_empty();
	test_reserve_nul();
	test_growth();
	test_limit();
	test_printf();
	test_truncate();
	test_load_file();
	return unit_done();
}
