/*
 * fuzz_txtrdata.c - libFuzzer target: TXT rdata (length-prefixed
 * strings) as dnsanswer_txt joins them, for c-ares' answers and for
 * the rdata libunbound hands the validating resolver.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dnsanswer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *dst = malloc(size + 1);
	long n;

	if (!dst)
		return 0;
	n = dnsanswer_txt(data, size, dst);
	/* the strings never add up to more than the rdata */
	if (n > (long)size)
		__builtin_trap();
	free(dst);
	return 0;
}
