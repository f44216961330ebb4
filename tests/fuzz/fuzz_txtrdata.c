/*
 * fuzz_txtrdata.c - libFuzzer target: TXT rdata from DNS answers
 * (length-prefixed strings), as the resolver concatenates them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "resolver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *dst = malloc(size + 1);
	long n;

	if (!dst)
		return 0;
	n = dns_txt_rdata(data, size, dst);
	/* the strings never add up to more than the rdata */
	if (n > (long)size)
		__builtin_trap();
	free(dst);
	return 0;
}
