/*
 * fuzz_certinfo.c - libFuzzer target: a client certificate's DER as
 * Exim hands it over (certinfo_from_der: the public key hash and the
 * DNS names), then the TLS policy's name comparison on what it read.
 *
 * Checked on every input that parses: at most CERTINFO_MAX_NAMES names,
 * each non-empty printable ASCII without spaces, NUL-terminated; a name
 * carries itself unless it is a wildcard or starts with a dot (neither
 * is a host's name).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "certinfo.h"
#include "tlspolicy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certinfo ci;
	struct ms_error err;
	struct arena a;
	size_t i, k;

	arena_init(&a);
	if (certinfo_from_der(data, size, &a, &ci, &err) == MS_OK) {
		if (ci.nnames > CERTINFO_MAX_NAMES)
			__builtin_trap();
		for (i = 0; i < ci.nnames; i++) {
			const char *n = ci.names[i];

			if (!*n)
				__builtin_trap();
			for (k = 0; n[k]; k++)
				if ((unsigned char)n[k] <= 0x20 ||
				    (unsigned char)n[k] >= 0x7f)
					__builtin_trap();
			if (n[0] != '*' && n[0] != '.' && !tls_name_match(n, n))
				__builtin_trap();
			(void)tls_name_match(".example.com", n);
		}
	}
	arena_free(&a);
	return 0;
}
