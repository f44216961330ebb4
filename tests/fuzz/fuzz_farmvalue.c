/*
 * fuzz_farmvalue.c - libFuzzer target: cached key answers read back from
 * Redis (farmvalue_decode), with and without a farm secret.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "farmvalue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct key_answer ans;
	struct arena arena;
	struct buf again;
	uint64_t exp;
	size_t i;

	arena_init(&arena);
	(void)farmvalue_decode("sel._domainkey.example.com", data, size, "secret",
			       &arena, &ans, &exp);
	if (farmvalue_decode("sel._domainkey.example.com", data, size, "", &arena,
			     &ans, &exp) == MS_OK) {
		/* what decodes must encode to the same bytes */
		buf_init(&again, BUF_UNLIMITED);
		if (farmvalue_encode("sel._domainkey.example.com", &ans, exp, "",
				     &again) != MS_OK || again.len != size ||
		    memcmp(again.data, data, size) != 0)
			__builtin_trap();
		for (i = 0; i < ans.nrecords; i++)
			if (ans.records[i][ans.record_len[i]] != 0)
				__builtin_trap();       /* NUL-terminated copies */
		buf_free(&again);
	}
	arena_free(&arena);
	return 0;
}
