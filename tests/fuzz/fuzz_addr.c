/*
 * fuzz_addr.c - libFuzzer target: the From address parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_list list;
	struct arena arena;
	size_t i;

	arena_init(&arena);
	if (addr_parse_list(data, size, &arena, &list, NULL) == MS_OK) {
		if (list.n == 0 || list.n > ADDR_MAX)
			__builtin_trap();
		for (i = 0; i < list.n; i++)
			if (!list.domain[i][0] || strlen(list.local[i]) > size)
				__builtin_trap();
	}
	arena_free(&arena);
	return 0;
}
