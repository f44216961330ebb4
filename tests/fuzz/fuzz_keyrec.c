/*
 * fuzz_keyrec.c - libFuzzer target: the key record parser.
 */
#include <stddef.h>
#include <stdint.h>

#include "keyrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyrec key;

	if (keyrec_parse(data, size, &key, NULL) == MS_OK &&
	    !key.revoked && key.type != KEYREC_OTHER && !key.pkey)
		__builtin_trap();
	keyrec_release(&key);
	return 0;
}
