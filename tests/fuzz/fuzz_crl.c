/*
 * fuzz_crl.c - libFuzzer target: a certificate revocation list as
 * `mailseal revoke import-crl` reads it (crl_read: PEM or DER, from a
 * private or federation CA, so bytes of another party), without a CA
 * certificate to check it against.
 *
 * Checked on every input that reads: the issuer is 32 hex digits (the
 * form certinfo.h names issuers by), the issuer's name a NUL-terminated
 * string inside its field, and each serial in certinfo_serial_issuer's
 * form: "-" when negative, then lower-case hex without a leading zero,
 * or "h" and 64 hex digits (a serial of more than 32 bytes).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "crl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crl_list out;
	struct ms_error err;
	struct arena a;
	size_t i, k;

	arena_init(&a);
	memset(&out, 0, sizeof(out));
	if (crl_read(data, size, NULL, &a, &out, &err) == MS_OK) {
		if (strlen(out.issuer) != 32 ||
		    strspn(out.issuer, "0123456789abcdef") != 32)
			__builtin_trap();
		if (!memchr(out.issuer_dn, 0, sizeof(out.issuer_dn)))
			__builtin_trap();
		for (i = 0; i < out.n; i++) {
			const char *s = out.serials[i];

			if (s[0] == '-')
				s++;
			if (s[0] == 'h' && strlen(s + 1) != 64)
				__builtin_trap();
			if (s[0] == 'h')
				s++;
			else if (!s[0] || (s[0] == '0' && (s[1] || s != out.serials[i])))
				__builtin_trap();       /* no leading zero, no -0 */
			for (k = 0; s[k]; k++)
				if (!strchr("0123456789abcdef", s[k]))
					__builtin_trap();
		}
	}
	arena_free(&a);
	return 0;
}
