/*
 * fuzz_base64.c - libFuzzer target: the base64 decoder; what decodes
 * must survive encode-then-decode unchanged.  (The text need not come
 * back the same: like other DKIM implementations, the decoder accepts
 * non-zero padding bits, which change no decoded byte.)
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf dec, enc, again;

	buf_init(&dec, BUF_UNLIMITED);
	buf_init(&enc, BUF_UNLIMITED);
	buf_init(&again, BUF_UNLIMITED);
	if (base64_decode(data, size, &dec) == MS_OK) {
		base64_encode(dec.data ? dec.data : (const unsigned char *)"",
			      dec.len, &enc);
		if (base64_decode(enc.data ? enc.data : (const unsigned char *)"",
				  enc.len, &again) != MS_OK ||
		    again.len != dec.len ||
		    (dec.len && memcmp(again.data, dec.data, dec.len) != 0))
			__builtin_trap();
	}
	buf_free(&dec);
	buf_free(&enc);
	buf_free(&again);
	return 0;
}
