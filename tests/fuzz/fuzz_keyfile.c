/*
 * fuzz_keyfile.c - libFuzzer target: the key file parser
 * (keyfile_parse, then lookups, then keysource_destroy).
 *
 * Besides a fixed name, the first word of the input is looked up (up
 * to 253 bytes), so the fuzzer reaches the found path, case and
 * trailing-dot handling, and several records at one name.  Checked: a
 * found answer has 1 to MS_MAX_KEY_RECORDS records, readable to their
 * end; a missing one has none.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned char sink;

static void lookup(struct keysource *ks, const char *name)
{
	struct key_answer ans;
	struct arena arena;
	size_t i;

	arena_init(&arena);
	memset(&ans, 0, sizeof(ans));
	keysource_lookup(ks, name, &arena, &ans);
	switch (ans.status) {
	case KEY_FOUND:
		if (ans.nrecords == 0 || ans.nrecords > MS_MAX_KEY_RECORDS)
			__builtin_trap();
		for (i = 0; i < ans.nrecords; i++) {
			if (!ans.records[i])
				__builtin_trap();
			if (ans.record_len[i])  /* ASan checks both ends */
				sink ^= ans.records[i][0] ^
					ans.records[i][ans.record_len[i] - 1];
		}
		break;
	case KEY_NOTFOUND:
	case KEY_TEMPFAIL:
		if (ans.nrecords != 0)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	arena_free(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keysource *ks = keyfile_parse(data, size, "fuzz", NULL);
	char first[MS_MAX_DOMAIN + 1];
	size_t n = 0;

	if (!ks)
		return 0;
	while (n < size && n < MS_MAX_DOMAIN && data[n] > ' ' && data[n] < 0x7f)
		n++;
	memcpy(first, data, n);
	first[n] = 0;
	lookup(ks, "sel._domainkey.example.com");
	lookup(ks, "SEL._domainkey.example.com.");
	if (n)
		lookup(ks, first);
	keysource_destroy(ks);
	return 0;
}
