/*
 * sigrecord.c - what the farm remembers of accepted mail: for each
 * signature of an accepted message that passed, the farm's record of
 * it (mailseal:sig:{<id>}, redis/SCHEMA.md) gets the signature's domain
 * and selector, the author domain it is aligned with (DMARC's relaxed
 * alignment), and the client that first delivered it: its address and
 * the public key hash of its verified certificate.  This is what makes
 * a later complaint about the message checkable against the signature
 * itself, and who sent it attributable.  Kept for signature_retention.
 * Without Redis nothing is recorded; a failed write only costs the
 * record (farmcache.h handles the outage).
 */
#include <time.h>

#include "farmcache.h"
#include "policy_int.h"

/* sr_aligned - the first author domain d stands for, or NULL */
static const char *sr_aligned(const struct policy_msg *m, const char *d)
{
	size_t i;

	for (i = 0; d && i < m->from.n; i++)
		if (pol_aligned(d, m->from.domain[i]))
			return m->from.domain[i];
	return NULL;
}

void pol_sig_record(struct policy_msg *m, const struct dkim_verify_outcome *oc)
{
	struct farmcache *fc = m->p->chain.farm;
	uint64_t now = (uint64_t)time(NULL);
	size_t i;

	if (!fc)
		return;
	for (i = 0; i < oc->nresults; i++) {
		const struct dkim_sig_result *r = &oc->results[i];
		struct farm_sig_details d = {
			.domain = r->domain,
			.selector = r->selector,
			.aligned = sr_aligned(m, r->domain),
			.client_ip = m->client_ip,
			.client_spki = m->client_spki,
		};

		if (r->result != DKIM_RES_PASS || !r->has_id)
			continue;
		(void)farmcache_sig_details(fc, r->sig_id, &d, now,
					    m->p->chain.sig_ttl);
	}
}
