/*
 * fuzz_canon.c - libFuzzer target: header and streamed body
 * canonicalization.  Feeding a body in pieces must give exactly the
 * bytes that feeding it whole gives; the split points come from the
 * first input byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "canon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void collect(void *arg, const unsigned char *p, size_t len)
{
	buf_append(arg, p, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct canon_body cb;
	struct buf whole, parts, hdr;
	size_t step, i;
	int mode;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	for (mode = 0; mode < 2; mode++) {
		buf_init(&whole, BUF_UNLIMITED);
		buf_init(&parts, BUF_UNLIMITED);
		canon_body_init(&cb, (enum dkim_canon)mode, collect, &whole);
		canon_body_feed(&cb, data, size);
		canon_body_finish(&cb);
		canon_body_init(&cb, (enum dkim_canon)mode, collect, &parts);
		for (i = 0; i < size; i += step)
			canon_body_feed(&cb, data + i, size - i < step ? size - i : step);
		canon_body_finish(&cb);
		if (whole.len != parts.len ||
		    (whole.len && memcmp(whole.data, parts.data, whole.len) != 0))
			__builtin_trap();
		/* canonical output never ends in an empty line */
		if (whole.len >= 4 && memcmp(whole.data + whole.len - 4, "\r\n\r\n", 4) == 0)
			__builtin_trap();
		buf_free(&whole);
		buf_free(&parts);
		buf_init(&hdr, BUF_UNLIMITED);
		(void)canon_header((enum dkim_canon)mode, data, size, &hdr);
		buf_free(&hdr);
	}
	return 0;
}
