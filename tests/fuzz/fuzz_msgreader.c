/*
 * fuzz_msgreader.c - libFuzzer target: the streaming message reader
 * (msgreader_feed in fuzzed chunks, msgreader_finish, then every field
 * through msgreader_field / _name / _value / _is).
 *
 * Input layout: byte 0 = K, then K % 8 split bytes, then the message.
 * Chunk lengths cycle through the split bytes ((b + 1) << ((K >> 3) & 3)
 * for 1 to 2048 bytes; with no split bytes the message goes whole);
 * K & 0x80 also feeds an empty chunk between pieces.
 *
 * Checked: the same message fed whole gives the same status, fields
 * and body bytes as fed in pieces; on_headers runs once, before any
 * body byte; body bytes are the tail of the input, untouched; fields
 * tile the header block, end in CRLF, contain no bare LF, continue only
 * with a folded (WSP-led) line, and their name and value lie inside.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "harness_only.h"
#include "msgreader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	struct msgreader mr;
	struct buf body;
	int headers_seen;
	enum ms_status st;
};

static void on_headers(void *arg)
{
	struct run *r = arg;

	if (r->headers_seen++)
		__builtin_trap();       /* twice */
}

HARNESS_ONLY static void on_body(void *arg, const unsigned char *p, size_t len)
{
	struct run *r = arg;

	if (!r->headers_seen || len == 0 || !p)
		__builtin_trap();       /* body before headers, or empty call */
	if (buf_append(&r->body, p, len) != MS_OK)
		__builtin_trap();
}

static void run_start(struct run *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, BUF_UNLIMITED);
	msgreader_init(&r->mr, on_headers, on_body, r);
}

static void run_end(struct run *r)
{
	if (r->st == MS_OK)
		r->st = msgreader_finish(&r->mr);
	if (r->st == MS_OK && r->headers_seen != 1)
		__builtin_trap();
}

static void run_free(struct run *r)
{
	msgreader_free(&r->mr);
	buf_free(&r->body);
}

static int is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

HARNESS_ONLY static void check_fields(const struct run *r)
{
	const struct msgreader *mr = &r->mr;
	size_t n, k, next = 0;

	for (n = 0; n < msgreader_nfields(mr); n++) {
		size_t len, nl, vl;
		const unsigned char *raw = msgreader_field(mr, n, &len);
		const unsigned char *name = msgreader_field_name(mr, n, &nl);
		const unsigned char *val = msgreader_field_value(mr, n, &vl);

		if (len < 2 || raw[len - 2] != '\r' || raw[len - 1] != '\n')
			__builtin_trap();
		if ((size_t)(raw - mr->hdr.data) != next)
			__builtin_trap();       /* fields do not tile the block */
		next += len;
		if (name != raw || nl > len - 2 || memchr(name, ':', nl))
			__builtin_trap();
		if (val < raw + nl || val + vl > raw + len - 2)
			__builtin_trap();
		if (nl && (val == raw + nl || val[-1] != ':'))
			__builtin_trap();       /* value starts after a colon */
		for (k = 0; k < len; k++) {
			if (raw[k] != '\n')
				continue;
			if (k == 0 || raw[k - 1] != '\r')
				__builtin_trap();       /* bare LF kept */
			if (k + 1 < len && !is_wsp(raw[k + 1]))
				__builtin_trap();       /* unfolded continuation */
		}
		if (nl && !msgreader_field_is(mr, n, (const char *)name, nl))
			__builtin_trap();
		(void)msgreader_field_is(mr, n, "from", 4);
	}
	if (next > mr->hdr.len)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char nothing[1];
	struct run whole, parts;
	const uint8_t *split, *msg;
	size_t nsplit, n, i, c;
	unsigned shift, k;
	int empties;

	if (size < 1)
		return 0;
	k = data[0];
	nsplit = k % 8;
	if (size < 1 + nsplit)
		return 0;
	shift = (k >> 3) & 3;
	empties = (k & 0x80) != 0;
	split = data + 1;
	msg = data + 1 + nsplit;
	n = size - 1 - nsplit;

	run_start(&whole);
	whole.st = msgreader_feed(&whole.mr, n ? msg : nothing, n);
	run_end(&whole);

	run_start(&parts);
	for (i = 0, c = 0; i < n && parts.st == MS_OK; c++) {
		size_t len = nsplit ? ((size_t)split[c % nsplit] + 1) << shift : n;

		if (len > n - i)
			len = n - i;
		parts.st = msgreader_feed(&parts.mr, msg + i, len);
		if (empties && parts.st == MS_OK)
			parts.st = msgreader_feed(&parts.mr, nothing, 0);
		i += len;
	}
	run_end(&parts);

	if (whole.st != parts.st)
		__builtin_trap();
	if (whole.st == MS_OK) {
		check_fields(&whole);
		check_fields(&parts);
		if (msgreader_nfields(&whole.mr) != msgreader_nfields(&parts.mr))
			__builtin_trap();
		for (i = 0; i < msgreader_nfields(&whole.mr); i++) {
			size_t la, lb;
			const unsigned char *a = msgreader_field(&whole.mr, i, &la);
			const unsigned char *b = msgreader_field(&parts.mr, i, &lb);

			if (la != lb || memcmp(a, b, la) != 0)
				__builtin_trap();
		}
		if (whole.body.len != parts.body.len ||
		    (whole.body.len &&
		     memcmp(whole.body.data, parts.body.data, whole.body.len) != 0))
			__builtin_trap();
		/* the body is the input's tail, byte for byte */
		if (whole.body.len > n ||
		    (whole.body.len &&
		     memcmp(whole.body.data, msg + n - whole.body.len,
			    whole.body.len) != 0))
			__builtin_trap();
	}
	run_free(&whole);
	run_free(&parts);
	return 0;
}
