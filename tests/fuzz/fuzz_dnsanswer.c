/*
 * fuzz_dnsanswer.c - libFuzzer target: the stub resolver's reader of
 * DNS responses (dnsstub_answer), as a server or a spoofer might send
 * them.  The query ID is taken from the input itself, so that mutations
 * get past the ID check and into ns_parse and the TXT copying.
 *
 * Checked: an answer has at most MS_MAX_KEY_RECORDS records, each
 * NUL-terminated at its length and no longer than the input; a failure
 * has a reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dnsstub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena arena;
	struct dns_txt out;
	uint16_t id;
	size_t i;
	int r;

	if (size < 2)
		return 0;
	id = (uint16_t)(data[0] << 8 | data[1]);
	arena_init(&arena);
	memset(&out, 0, sizeof(out));
	r = dnsstub_answer(data, size, "sel._domainkey.example.com", id, &arena,
			   &out);
	if (r == 0) {
		if (out.nrecords > MS_MAX_KEY_RECORDS)
			__builtin_trap();
		if (out.status != DNS_OK && !out.reason)
			__builtin_trap();
		for (i = 0; i < out.nrecords; i++)
			if (out.record_len[i] > size || out.records[i][out.record_len[i]])
				__builtin_trap();
	}
	arena_free(&arena);
	return 0;
}
