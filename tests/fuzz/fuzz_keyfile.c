/*
 * fuzz_keyfile.c - libFuzzer target: the key file parser and a lookup.
 */
#include <stddef.h>
#include <stdint.h>

#include "keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keysource *ks = keyfile_parse(data, size, "fuzz", NULL);
	struct key_answer ans;
	struct arena arena;

	if (!ks)
		return 0;
	arena_init(&arena);
	keysource_lookup(ks, "sel._domainkey.example.com", &arena, &ans);
	keysource_lookup(ks, "SEL._domainkey.example.com.", &arena, &ans);
	arena_free(&arena);
	keysource_destroy(ks);
	return 0;
}
