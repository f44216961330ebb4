/*
 * fuzz_dmarcrow.c - libFuzzer target: what the report reader takes
 * from Redis, all of it untrusted bytes: a stored row (dmarc_row_parse)
 * and its count (dmarcstore_count_parse), the input split at its first
 * NUL byte (row before, count after), and the row again behind an HMAC
 * (dmarcstore_field_row).
 *
 * Checked on every row that parses: it serializes back to exactly the
 * input (one form per row), dmarc_row_check accepts it, and the XML
 * writer turns it into a document without a byte XML 1.0 forbids.  A
 * count that parses is 1 to INT64_MAX.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "dmarcrow.h"
#include "dmarcstore.h"
#include "dmarcxml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_row(const uint8_t *p, size_t len)
{
	const struct dmarc_row *rows[1];
	struct dmarc_report_meta m = { .org_name = "o", .email = "e@x",
				       .report_id = "r", .begin = 0, .end = 1 };
	uint64_t count = 1;
	struct dmarc_row r;
	struct arena a;
	struct buf b;
	size_t i;

	arena_init(&a);
	buf_init(&b, 1 << 20);
	if (dmarc_row_parse(p, len, &a, &r) == MS_OK) {
		if (dmarc_row_check(&r) || dmarc_row_serialize(&r, &b) != MS_OK ||
		    b.len != len || memcmp(b.data, p, len) != 0)
			__builtin_trap();
		buf_reset(&b);
		rows[0] = &r;
		if (dmarcxml_write(&m, rows, &count, 1, &b) != MS_OK)
			__builtin_trap();
		for (i = 0; i < b.len; i++)
			if (b.data[i] < 0x20 && b.data[i] != '\n' &&
			    b.data[i] != '\t')
				__builtin_trap();
	}
	buf_free(&b);
	arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t rlen = nul ? (size_t)(nul - data) : size, len;
	uint64_t n = 0;

	check_row(data, rlen);
	if (nul && dmarcstore_count_parse((const char *)nul + 1,
					  size - rlen - 1, &n) == MS_OK &&
	    (n == 0 || n > INT64_MAX))
		__builtin_trap();
	if (dmarcstore_field_row("k", "2026-05-01", "example.com", data, rlen,
				 &len) == MS_OK)
		check_row(data, len);
	return 0;
}
