/*
 * fuzz_msgreader.c - libFuzzer target: the streaming message reader,
 * fed in pieces whose size comes from the first input byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "msgreader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_body(void *arg, const unsigned char *p, size_t len)
{
	*(size_t *)arg += len;
	if (len && (p[0] == 0xff && p[len - 1] == 0xfe))
		(void)p;        /* touch both ends */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msgreader mr;
	size_t step, i, n, body = 0;

	if (size < 1)
		return 0;
	step = (size_t)data[0] * 7 + 1;
	data++;
	size--;
	msgreader_init(&mr, NULL, on_body, &body);
	for (i = 0; i < size; i += step)
		if (msgreader_feed(&mr, data + i, size - i < step ? size - i : step) != MS_OK)
			break;
	if (msgreader_finish(&mr) == MS_OK) {
		for (n = 0; n < msgreader_nfields(&mr); n++) {
			size_t len, nl, vl;
			const unsigned char *raw = msgreader_field(&mr, n, &len);
			const unsigned char *name = msgreader_field_name(&mr, n, &nl);
			const unsigned char *val = msgreader_field_value(&mr, n, &vl);

			/* every field ends in CRLF; name and value lie inside it */
			if (len < 2 || raw[len - 2] != '\r' || raw[len - 1] != '\n' ||
			    name != raw || nl > len || val < raw || val + vl > raw + len)
				__builtin_trap();
			(void)msgreader_field_is(&mr, n, "from", 4);
		}
		if (body > size)
			__builtin_trap();
	}
	msgreader_free(&mr);
	return 0;
}
