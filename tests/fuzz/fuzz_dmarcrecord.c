/*
 * fuzz_dmarcrecord.c - libFuzzer target: the DMARC record parser
 * (dmarc_record_parse, RFC 9989 section 4.7).
 *
 * Checked on every record that parses: p is one of none, quarantine,
 * reject; sp and np unset or one of them; adkim and aspf r or s; psd
 * y, n or u; a record that parses is at least 8 bytes long; the
 * strings kept are NUL-terminated copies no longer than the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "dmarcrecord.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int policy_ok(enum dmarc_policy p, int unset_ok)
{
	return (unset_ok && p == DMARC_P_UNSET) || p == DMARC_P_NONE ||
	       p == DMARC_P_QUARANTINE || p == DMARC_P_REJECT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_record r;
	struct arena a;
	const char *why = NULL;
	enum dmarc_parse st;

	arena_init(&a);
	st = dmarc_record_parse(data, size, &a, &r, &why);
	if (st == DMARC_REC_BAD && !why)
		__builtin_trap();
	if (st == DMARC_REC_OK) {
		if (!policy_ok(r.p, 0) || !policy_ok(r.sp, 1) ||
		    !policy_ok(r.np, 1) || (r.adkim != 'r' && r.adkim != 's') ||
		    (r.aspf != 'r' && r.aspf != 's') || !strchr("ynu", r.psd) ||
		    !r.psd || size < 8)
			__builtin_trap();
		if ((r.rua && strlen(r.rua) > size) ||
		    (r.ruf && strlen(r.ruf) > size) ||
		    (r.fo && strlen(r.fo) > size))
			__builtin_trap();
		(void)dmarc_policy_str(r.p);
	}
	arena_free(&a);
	return 0;
}
