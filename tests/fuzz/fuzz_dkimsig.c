/*
 * fuzz_dkimsig.c - libFuzzer target: the DKIM-Signature parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dkim_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_sig sig;
	struct arena arena;
	size_t i;

	arena_init(&arena);
	if (dkimsig_parse(data, size, &arena, &sig, NULL) == MS_OK) {
		if (!sig.domain || !sig.selector || !sig.nheaders ||
		    sig.b_span_start > sig.b_span_end || sig.b_span_end > size)
			__builtin_trap();
		for (i = 0; i < sig.nheaders; i++)
			(void)strlen(sig.headers[i]);
	}
	arena_free(&arena);
	return 0;
}
