/*
 * fuzz_dnsanswer.c - libFuzzer target: DNS responses as c-ares hands
 * them to dnsanswer_read (aresq.c), from a server or a spoofer: every
 * rcode, record type and count, names compressed anywhere, SOA records
 * for the TTL of negative answers.  The type asked is the question's
 * (c-ares has matched it to the query), so that mutations of the
 * question reach the A, AAAA, MX, PTR and TXT readers; TXT when the
 * question does not parse.
 *
 * Checked: at most DNSQ_MAX_RRS records; an answer has at least one;
 * a temporary failure has a reason; each TXT record NUL-terminated at
 * its length and no longer than the input; each MX or PTR name a
 * string shorter than a DNS name can be.
 */
#include <arpa/nameser.h>
#include <resolv.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dnsanswer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* asked - the type of the question in msg; TXT when it has none */
static enum dnsq_type asked(const uint8_t *data, size_t size)
{
	ns_msg h;
	ns_rr rr;

	if (size > NS_MAXMSG || ns_initparse(data, (int)size, &h) != 0 ||
	    ns_parserr(&h, ns_s_qd, 0, &rr) != 0)
		return DNSQ_TXT;
	switch (ns_rr_type(rr)) {
	case ns_t_a:    return DNSQ_A;
	case ns_t_aaaa: return DNSQ_AAAA;
	case ns_t_mx:   return DNSQ_MX;
	case ns_t_ptr:  return DNSQ_PTR;
	default:        return DNSQ_TXT;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum dnsq_type t = asked(data, size);
	struct dnsq_answer ans;
	struct arena arena;
	size_t i;

	arena_init(&arena);
	dnsanswer_read(data, size, t, &arena, &ans);
	if (ans.n > DNSQ_MAX_RRS)
		__builtin_trap();
	if ((ans.status == DNSQ_OK) != (ans.n > 0))
		__builtin_trap();
	if (ans.status == DNSQ_TEMPFAIL && !ans.reason)
		__builtin_trap();
	for (i = 0; i < ans.n; i++) {
		const struct dnsq_rr *r = &ans.rr[i];

		if (t == DNSQ_TXT &&
		    (r->txt_len > size || r->txt[r->txt_len] != 0))
			__builtin_trap();
		if ((t == DNSQ_MX || t == DNSQ_PTR) &&
		    (!r->name || strlen(r->name) >= NS_MAXDNAME))
			__builtin_trap();
	}
	arena_free(&arena);
	return 0;
}
