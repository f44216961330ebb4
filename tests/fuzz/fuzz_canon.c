/*
 * fuzz_canon.c - libFuzzer target: streamed body canonicalization
 * (canon_body_feed, both modes) and header canonicalization
 * (canon_header, both modes).
 *
 * Input layout: byte 0 = K, then K % 8 split bytes, then the body.
 * The body is fed in chunks whose lengths cycle through the split bytes
 * ((b + 1) << ((K >> 3) & 3), so 1 to 2048 bytes); with no split bytes
 * it goes whole.  K & 0x80 also feeds an empty chunk between pieces.
 * So chunk boundaries (a CR split from its LF, a run of spaces cut in
 * two, a boundary inside the held-back empty lines) are fuzzed.
 *
 * Checked, for each mode:
 *   - the output fed in pieces equals the output fed in one chunk,
 *     byte for byte (the sink's pieces are gathered in a buf);
 *   - both equal a slow reference written from RFC 6376 3.4.3/3.4.4
 *     (lines end in LF with an optional CR before it; a lone CR is
 *     content; trailing empty lines dropped; missing final CRLF added;
 *     simple: an empty body is CRLF);
 *   - out_len counts exactly the bytes the sink received.
 * canon_header runs on the body bytes too: its relaxed output has no
 * tab or two spaces in a row in the value, no WSP around the colon or
 * at the end, a lower-case name and a final CRLF.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "harness_only.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void collect(void *arg, const unsigned char *p, size_t len)
{
	if (len && !p)
		__builtin_trap();
	if (buf_append(arg, p, len) != MS_OK)
		__builtin_trap();
}

HARNESS_ONLY static int is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/*
 * ref_body - the canonical body the slow, obvious way, into out (room
 * for 2n + 2 bytes: each line gains at most one byte, CR before its LF,
 * and a last line without LF, or an empty simple body, two)
 */
HARNESS_ONLY static size_t ref_body(int relaxed, const unsigned char *p,
				    size_t n, unsigned char *out)
{
	size_t i = 0, empty = 0, k, len = 0;

	while (i < n) {
		const unsigned char *nl = memchr(p + i, '\n', n - i);
		size_t j = nl ? (size_t)(nl - p) : n;   /* end of the line */
		size_t e = j;                           /* end of its content */
		/* the line's content goes after the pending empty lines */
		unsigned char *line = out + len + 2 * empty;
		size_t ll = 0;

		if (nl && e > i && p[e - 1] == '\r')
			e--;
		if (relaxed) {
			int wsp = 0;

			for (k = i; k < e; k++) {
				if (is_wsp(p[k])) {
					wsp = 1;
					continue;
				}
				if (wsp)
					line[ll++] = ' ';
				wsp = 0;
				line[ll++] = p[k];
			}
			/* trailing WSP dropped: a pending wsp is never emitted */
		} else {
			memcpy(line, p + i, e - i);
			ll = e - i;
		}
		if (ll == 0) {
			empty++;
		} else {
			for (; empty; empty--) {
				out[len++] = '\r';
				out[len++] = '\n';
			}
			len += ll;
			out[len++] = '\r';
			out[len++] = '\n';
		}
		i = nl ? j + 1 : n;
	}
	if (!relaxed && len == 0) {
		out[len++] = '\r';
		out[len++] = '\n';
	}
	return len;
}

HARNESS_ONLY static int same(const unsigned char *a, size_t alen,
			     const unsigned char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static void check_header(enum dkim_canon mode, const unsigned char *p,
			  size_t n)
{
	const unsigned char *colon = memchr(p, ':', n);
	struct buf hdr;
	size_t i;

	buf_init(&hdr, BUF_UNLIMITED);
	if (canon_header(mode, p, n, &hdr) == MS_OK &&
	    mode == DKIM_CANON_RELAXED && colon) {
		const unsigned char *o = hdr.data;

		if (hdr.len < 3 || o[hdr.len - 2] != '\r' ||
		    o[hdr.len - 1] != '\n')
			__builtin_trap();
		/* the name: lower case, no WSP before the colon */
		for (i = 0; i < hdr.len && o[i] != ':'; i++)
			if (o[i] >= 'A' && o[i] <= 'Z')
				__builtin_trap();
		if (i == hdr.len || (i > 0 && is_wsp(o[i - 1])))
			__builtin_trap();
		/* the value: no WSP after the colon or at the end, no tab,
		 * no two spaces in a row */
		if (is_wsp(o[i + 1]) || o[hdr.len - 3] == ' ')
			__builtin_trap();
		for (i++; i < hdr.len; i++) {
			if (o[i] == '\t')
				__builtin_trap();
			if (o[i] == ' ' && i + 1 < hdr.len && o[i + 1] == ' ')
				__builtin_trap();
		}
	}
	buf_free(&hdr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct canon_body cb;        /* has a 16 KiB stage */
	static const unsigned char nothing[1];
	const uint8_t *split, *body;
	size_t nsplit, n, i, c;
	unsigned shift, k;
	int mode, empties;
	struct buf whole, parts;
	unsigned char *ref;
	size_t ref_len;

	if (size < 1)
		return 0;
	k = data[0];
	nsplit = k % 8;
	if (size < 1 + nsplit)
		return 0;
	shift = (k >> 3) & 3;
	empties = (k & 0x80) != 0;
	split = data + 1;
	body = data + 1 + nsplit;
	n = size - 1 - nsplit;

	ref = malloc(2 * n + 2);
	if (!ref)
		__builtin_trap();
	buf_init(&whole, BUF_UNLIMITED);
	buf_init(&parts, BUF_UNLIMITED);
	for (mode = DKIM_CANON_SIMPLE; mode <= DKIM_CANON_RELAXED; mode++) {
		buf_reset(&whole);
		buf_reset(&parts);

		canon_body_init(&cb, (enum dkim_canon)mode, collect, &whole);
		canon_body_feed(&cb, n ? body : nothing, n);
		canon_body_finish(&cb);
		if (cb.out_len != whole.len)
			__builtin_trap();

		canon_body_init(&cb, (enum dkim_canon)mode, collect, &parts);
		for (i = 0, c = 0; i < n; c++) {
			size_t len = nsplit ? ((size_t)split[c % nsplit] + 1) << shift
					    : n;

			if (len > n - i)
				len = n - i;
			canon_body_feed(&cb, body + i, len);
			if (empties)
				canon_body_feed(&cb, nothing, 0);
			i += len;
		}
		canon_body_finish(&cb);
		if (cb.out_len != parts.len)
			__builtin_trap();

		ref_len = ref_body(mode == DKIM_CANON_RELAXED, body, n, ref);
		if (!same(whole.data, whole.len, parts.data, parts.len))
			__builtin_trap();       /* chunking changed the output */
		if (!same(whole.data, whole.len, ref, ref_len))
			__builtin_trap();       /* differs from RFC 6376 3.4 */

		check_header((enum dkim_canon)mode, body, n);
	}
	buf_free(&whole);
	buf_free(&parts);
	free(ref);
	return 0;
}
