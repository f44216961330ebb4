/*
 * fuzz_dmarc.c - libFuzzer target: DMARC evaluation (dmarc_evaluate):
 * the DNS Tree Walk, alignment and the policy choice over answers the
 * input makes.
 *
 * The input's first line is the author domain, its second the SPF
 * domain and DKIM d= (separated by a space; the first byte of the line
 * picks their results), the rest a zone file (dns/zonefile.h) that
 * answers every lookup.  Checked: at most 8 TXT lookups per walk and a
 * bounded total; a pass names what passed and aligned; a fail has a
 * policy and a disposition no stricter than it; a temperror has a
 * reason; a policy domain is the author domain or one of its parents.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "dmarc.h"
#include "zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *line(struct arena *a, const uint8_t **p, size_t *n)
{
	const uint8_t *nl = memchr(*p, '\n', *n);
	size_t len = nl ? (size_t)(nl - *p) : *n;
	const char *s = arena_memdup(a, *p, len);

	*p += nl ? len + 1 : len;
	*n -= nl ? len + 1 : len;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_request rq = { 0 };
	struct dmarc_outcome o;
	struct dmarc_sig sig = { 0 };
	struct ms_error err;
	struct dnsq *dns;
	struct arena a;
	const char *ids, *sp;
	size_t al, pl;

	if (size < 3 || size > 4096)
		return 0;
	arena_init(&a);
	rq.author = line(&a, &data, &size);
	ids = line(&a, &data, &size);
	if (!*rq.author || strlen(rq.author) > 253 || memchr(rq.author, 0, 1) ||
	    strlen(ids) < 1) {
		arena_free(&a);
		return 0;
	}
	rq.spf = (enum dmarc_auth)(ids[0] % 3);
	sig.result = (enum dmarc_auth)((ids[0] / 3) % 3);
	sp = strchr(ids + 1, ' ');
	rq.spf_domain = sp ? arena_memdup(&a, ids + 1, (size_t)(sp - ids - 1))
		      : ids + 1;
	if (sp) {
		sig.domain = sp + 1;
		sig.selector = "s";
		rq.sigs = &sig;
		rq.nsigs = 1;
	}
	dns = zonefile_parse(data, size, "fuzz", &err);
	if (!dns) {
		arena_free(&a);
		return 0;
	}
	dmarc_evaluate(dns, &rq, &a, &o);
	if (o.queries > 2 * 8 + 2 * 8 + 3)
		__builtin_trap();
	switch (o.result) {
	case DMARC_PASS:
		if (!o.spf_aligned && !o.dkim_aligned)
			__builtin_trap();
		break;
	case DMARC_FAIL:
		if (!o.policy_domain || !o.policy_tag ||
		    o.disposition > o.policy)
			__builtin_trap();
		break;
	case DMARC_TEMPERROR:
		if (!o.reason)
			__builtin_trap();
		break;
	default:
		break;
	}
	if (o.policy_domain) {
		al = strlen(o.author);
		pl = strlen(o.policy_domain);
		if (pl > al || strcmp(o.author + al - pl, o.policy_domain) ||
		    (pl < al && o.author[al - pl - 1] != '.'))
			__builtin_trap();
	}
	(void)dmarc_result_str(o.result);
	dnsq_destroy(dns);
	arena_free(&a);
	return 0;
}
