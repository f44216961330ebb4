/*
 * fuzz_dnsqvalue.c - libFuzzer target: cached DNS answers of SPF and
 * DMARC read back from Redis (dnsqvalue_decode), for every question
 * type, with and without a farm secret.  What decodes must encode to
 * the same bytes, and every name it gives must be a C string of the
 * length the value said.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dnsqvalue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum dnsq_type types[] = {
	DNSQ_A, DNSQ_AAAA, DNSQ_MX, DNSQ_PTR, DNSQ_TXT,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnsq_answer ans;
	struct arena arena;
	struct buf again;
	uint64_t exp;
	size_t i, k;

	arena_init(&arena);
	for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		(void)dnsqvalue_decode("example.com", types[k], data, size,
				       "secret", &arena, &ans, &exp);
		if (dnsqvalue_decode("example.com", types[k], data, size, "",
				     &arena, &ans, &exp) != MS_OK)
			continue;
		if (ans.n > DNSQ_MAX_RRS || (ans.status == DNSQ_OK) != (ans.n > 0) ||
		    ans.status == DNSQ_TEMPFAIL)
			__builtin_trap();
		for (i = 0; i < ans.n; i++) {
			const struct dnsq_rr *r = &ans.rr[i];

			if ((types[k] == DNSQ_MX || types[k] == DNSQ_PTR) &&
			    (!r->name || !*r->name || strlen(r->name) > 255))
				__builtin_trap();
			if (types[k] == DNSQ_TXT && r->txt[r->txt_len] != 0)
				__builtin_trap();       /* NUL-terminated copies */
		}
		buf_init(&again, DNSQVALUE_MAX);
		if (dnsqvalue_encode("example.com", types[k], &ans, exp, "",
				     &again) != MS_OK || again.len != size ||
		    memcmp(again.data, data, size) != 0)
			__builtin_trap();
		buf_free(&again);
	}
	arena_free(&arena);
	return 0;
}
