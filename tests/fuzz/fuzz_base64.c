/*
 * fuzz_base64.c - libFuzzer target: the base64 decoder and encoder.
 *
 *   - base64_decode on the input; what decodes must survive
 *     encode-then-decode unchanged and be at most 3/4 of the input.
 *     (The text need not come back the same: like other DKIM
 *     implementations, the decoder accepts non-zero padding bits and
 *     folding whitespace, which change no decoded byte.)
 *   - the input as raw bytes: encode, then decode, gives it back, and
 *     the encoding is 4 * ceil(n / 3) characters.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char *bytes(const struct buf *b)
{
	return b->data ? b->data : (const unsigned char *)"";
}

static int same(const struct buf *b, const unsigned char *p, size_t n)
{
	return b->len == n && (n == 0 || memcmp(b->data, p, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char nothing[1];
	struct buf dec, enc, again;

	if (size == 0)
		data = nothing;
	buf_init(&dec, BUF_UNLIMITED);
	buf_init(&enc, BUF_UNLIMITED);
	buf_init(&again, BUF_UNLIMITED);
	if (base64_decode(data, size, &dec) == MS_OK) {
		if (dec.len > size / 4 * 3)
			__builtin_trap();
		if (base64_encode(bytes(&dec), dec.len, &enc) != MS_OK ||
		    base64_decode(bytes(&enc), enc.len, &again) != MS_OK ||
		    !same(&again, bytes(&dec), dec.len))
			__builtin_trap();
	}
	buf_reset(&enc);
	buf_reset(&again);
	if (base64_encode(data, size, &enc) != MS_OK ||
	    enc.len != (size + 2) / 3 * 4 ||
	    base64_decode(bytes(&enc), enc.len, &again) != MS_OK ||
	    !same(&again, data, size))
		__builtin_trap();
	buf_free(&dec);
	buf_free(&enc);
	buf_free(&again);
	return 0;
}
