/*
 * fuzz_keyrec.c - libFuzzer target: the key record parser
 * (keyrec_parse, then keyrec_release whatever the outcome).
 *
 * Checked on every record that parses: a revoked key (empty p=) has
 * no EVP_PKEY; a usable one (RSA or Ed25519, not revoked) has one, and
 * its size (any RSA size: too small is the verifier's verdict, not a
 * parse error; 256 for Ed25519).
 */
#include <stddef.h>
#include <stdint.h>

#include "keyrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyrec key;

	if (keyrec_parse(data, size, &key, NULL) == MS_OK) {
		if (key.revoked && key.pkey)
			__builtin_trap();
		if (!key.revoked && key.type != KEYREC_OTHER) {
			if (!key.pkey)
				__builtin_trap();
			if (key.type == KEYREC_ED25519 && key.bits != 256)
				__builtin_trap();
			if (key.type == KEYREC_RSA && key.bits == 0)
				__builtin_trap();
		}
	}
	keyrec_release(&key);
	return 0;
}
