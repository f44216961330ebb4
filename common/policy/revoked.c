/*
 * revoked.c - the farm's revocations, enforced (docs/abuse.md): mail
 * with a passing DKIM signature of a revoked domain (or of a subdomain
 * of one) is refused at the end of DATA; a client whose certificate's
 * key is revoked is refused before DATA.  The engine's copy of the
 * revocations (revstore.h) is refreshed every revocation_refresh and
 * kept while Redis is away: what is known goes on being enforced, and
 * nothing is ever refused for lack of Redis.  A pending revocation (a
 * protected identity, or the hourly cap) is not enforced.
 */
#include <string.h>

#include "hex.h"
#include "policy_int.h"

int pol_revoked_signer(struct policy_msg *m,
		       const struct dkim_verify_outcome *oc,
		       struct policy_verdict *v)
{
	struct revset *s = m->p->revs;
	size_t i;

	if (!s)
		return 0;
	revset_refresh(s, m->p->chain.farm, 0);
	for (i = 0; i < oc->nresults; i++) {
		const struct dkim_sig_result *r = &oc->results[i];
		char which[REV_IDENTITY_MAX];
		uint64_t id = 0;

		if (r->result != DKIM_RES_PASS || !r->domain ||
		    revset_domain(s, r->domain, which, sizeof(which),
				  &id) != REV_REVOKED)
			continue;
		pol_verdict_set(v, POLICY_REJECT, 550, "5.7.1",
			    "mail signed by %s is refused: this mail farm revoked "
			    "the right of %s to send (revocation %llu)",
			    r->domain, which, (unsigned long long)id);
		return 1;
	}
	return 0;
}

/* rv_identity - is identity (as revstore.h writes it) revoked?  Its
 * revocation's id into *id */
static int rv_identity(const struct policy *p, const char *identity,
		       uint64_t *id)
{
	if (!p->revs || !identity)
		return 0;
	revset_refresh(p->revs, p->chain.farm, 0);
	return revset_identity(p->revs, identity, id) == REV_REVOKED;
}

int pol_revoked_key(const struct policy *p, const unsigned char *spki,
		    struct policy_verdict *v)
{
	char ident[REV_IDENTITY_MAX] = "spki:";
	uint64_t id = 0;

	if (!spki)
		return 0;
	hex_lower(spki, TLSPIN_LEN, ident + 5);
	if (!rv_identity(p, ident, &id))
		return 0;
	pol_verdict_set(v, POLICY_REJECT, 550, "5.7.1",
		    "the client certificate's key is refused: this mail farm "
		    "revoked its right to send (revocation %llu)",
		    (unsigned long long)id);
	return 1;
}

int pol_revoked_serial(const struct policy *p, const char *serial_id,
		       struct policy_verdict *v)
{
	uint64_t id = 0;

	if (!rv_identity(p, serial_id, &id))
		return 0;
	pol_verdict_set(v, POLICY_REJECT, 550, "5.7.1",
		    "the client certificate is refused: its CA revoked it "
		    "(the CRL this mail farm imported: revocation %llu)",
		    (unsigned long long)id);
	return 1;
}
