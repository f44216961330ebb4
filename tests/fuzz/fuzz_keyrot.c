/*
 * fuzz_keyrot.c - libFuzzer target: a key rotation's state file
 * (keyrot_parse).  Written by mailseal, but an administrator may edit
 * it: no input may crash the reader or leak.
 *
 * Checked on every file that parses: it has a domain, a state, at
 * least one key, every key a new selector and key file; and what
 * keyrot_format writes of it reads back to the same.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "keyrot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fr_streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyrot r, r2;
	struct buf out;
	size_t i;

	if (keyrot_parse(data, size, "fuzz", &r, NULL) != MS_OK)
		return 0;
	if (!r.domain || !r.state || r.nkeys == 0 || r.nkeys > MS_MAX_SIGN_KEYS)
		__builtin_trap();
	buf_init(&out, 4 * KEYROT_MAX_FILE);
	if (keyrot_format(&r, &out) != MS_OK ||
	    keyrot_parse(out.data, out.len, "again", &r2, NULL) != MS_OK)
		__builtin_trap();
	if (strcmp(r.domain, r2.domain) != 0 || r.state != r2.state ||
	    r.started != r2.started || r.since != r2.since || r.nkeys != r2.nkeys)
		__builtin_trap();
	for (i = 0; i < r.nkeys; i++)
		if (!r.key[i].new_selector || !r.key[i].new_keyfile ||
		    !fr_streq(r.key[i].old_selector, r2.key[i].old_selector) ||
		    !fr_streq(r.key[i].old_keyfile, r2.key[i].old_keyfile) ||
		    strcmp(r.key[i].new_selector, r2.key[i].new_selector) != 0 ||
		    strcmp(r.key[i].new_keyfile, r2.key[i].new_keyfile) != 0)
			__builtin_trap();
	keyrot_free(&r2);
	keyrot_free(&r);
	buf_free(&out);
	return 0;
}
