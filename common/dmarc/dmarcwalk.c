/*
 * dmarcwalk.c - the DNS Tree Walk: which names, what one name holds,
 * and the two walks over them.
 */
#include <stdio.h>
#include <string.h>

#include "dmarcwalk.h"
#include "msclock.h"

/* labels - how many labels domain has */
static size_t labels(const char *domain)
{
	size_t n = *domain ? 1 : 0;

	for (; *domain; domain++)
		n += *domain == '.';
	return n;
}

/* suffix - the last n labels of domain (n <= labels(domain)) */
static const char *suffix(const char *domain, size_t n)
{
	size_t skip = labels(domain) - n;

	while (skip--)
		domain = strchr(domain, '.') + 1;
	return domain;
}

/* dmarc_walk_targets - the names a walk asks about, in order */
size_t dmarc_walk_targets(const char *domain,
			  const char *out[MS_DMARC_WALK_MAX])
{
	size_t x = labels(domain), n = 0, k;

	if (x == 0)
		return 0;
	out[n++] = domain;
	k = x >= MS_DMARC_WALK_LABELS + 1 ? MS_DMARC_WALK_LABELS : x - 1;
	for (; k >= 1 && n < MS_DMARC_WALK_MAX; k--)
		out[n++] = suffix(domain, k);
	return n;
}

/* dmarc_dns_init - an empty memory of names */
void dmarc_dns_init(struct dmarc_dns *d, struct dnsq *dns,
		    uint64_t deadline_ms, struct arena *a)
{
	memset(d, 0, sizeof(*d));
	d->dns = dns;
	d->deadline_ms = deadline_ms;
	d->a = a;
}

/* note_discarded - remember why the first discarded name was */
static void note_discarded(struct dmarc_dns *d, const char *domain,
			   const char *why)
{
	char *s;
	size_t n;

	if (d->note)
		return;
	n = strlen(domain) + strlen(why) + 32;
	s = arena_alloc(d->a, n);
	snprintf(s, n, "_dmarc.%s: %s", domain, why);
	d->note = s;
}

/* read_answer - what the TXT strings of one name make: one record,
 * or none (several, or one that cannot be parsed, are discarded) */
static void read_answer(struct dmarc_dns *d, struct dmarc_name *nm,
			const struct dnsq_answer *ans)
{
	struct dmarc_record rec;
	size_t i, ndmarc = 0;
	const char *why = NULL, *bad = NULL;

	for (i = 0; i < ans->n; i++) {
		switch (dmarc_record_parse(ans->rr[i].txt, ans->rr[i].txt_len,
					   d->a, &rec, &why)) {
		case DMARC_REC_OK:
			if (ndmarc++ == 0)
				nm->rec = rec;
			break;
		case DMARC_REC_BAD:
			ndmarc++;
			bad = why;
			break;
		default:
			break;
		}
	}
	if (ndmarc == 1 && !bad) {
		nm->state = DMARC_NAME_ONE;
		return;
	}
	memset(&nm->rec, 0, sizeof(nm->rec));
	if (ndmarc > 1)
		note_discarded(d, nm->domain, "several DMARC records, all "
			       "discarded");
	else if (bad)
		note_discarded(d, nm->domain, bad);
}

/* fetch - what _dmarc.domain holds, asked once per evaluation */
static const struct dmarc_name *fetch(struct dmarc_dns *d, const char *domain)
{
	struct dnsq_answer ans;
	struct dmarc_name *nm;
	char qname[MS_MAX_DOMAIN + 16];
	size_t i;

	for (i = 0; i < d->nmemo; i++)
		if (strcmp(d->memo[i].domain, domain) == 0)
			return &d->memo[i];
	if (d->nmemo < DMARC_MEMO_MAX)
		nm = &d->memo[d->nmemo++];
	else
		nm = arena_alloc(d->a, sizeof(*nm));
	memset(nm, 0, sizeof(*nm));
	nm->domain = arena_strdup(d->a, domain);
	if (strlen(domain) + 7 > MS_MAX_DOMAIN)
		return nm;              /* no such name can exist */
	if (d->deadline_ms && ms_clock_ms() >= d->deadline_ms) {
		nm->state = DMARC_NAME_TEMPFAIL;
		if (!d->fail_reason)
			d->fail_reason = "the message's DNS time budget is spent";
		return nm;
	}
	snprintf(qname, sizeof(qname), "_dmarc.%s", domain);
	memset(&ans, 0, sizeof(ans));
	dnsq_lookup(d->dns, qname, DNSQ_TXT, d->deadline_ms, d->a, &ans);
	d->queries++;
	if (ans.status == DNSQ_TEMPFAIL) {
		nm->state = DMARC_NAME_TEMPFAIL;
		if (!d->fail_reason) {
			size_t n = strlen(qname) + 64;
			char *s = arena_alloc(d->a, n);

			snprintf(s, n, "TXT %s: %s", qname,
				 ans.reason ? ans.reason : "DNS failure");
			d->fail_reason = s;
		}
	} else if (ans.status == DNSQ_OK) {
		read_answer(d, nm, &ans);
	}
	return nm;
}

/* dmarc_find_policy - the first usable record, walking up */
enum dmarc_walk dmarc_find_policy(struct dmarc_dns *d, const char *domain,
				  const struct dmarc_name **out)
{
	const char *t[MS_DMARC_WALK_MAX];
	size_t i, n = dmarc_walk_targets(domain, t);

	for (i = 0; i < n; i++) {
		const struct dmarc_name *nm = fetch(d, t[i]);

		if (nm->state == DMARC_NAME_TEMPFAIL)
			return DMARC_WALK_TEMPFAIL;
		if (nm->state == DMARC_NAME_ONE) {
			*out = nm;
			return DMARC_WALK_FOUND;
		}
	}
	return DMARC_WALK_NONE;
}

/* dmarc_org_domain - the Organizational Domain of domain */
enum dmarc_walk dmarc_org_domain(struct dmarc_dns *d, const char *domain,
				 const char **org)
{
	const char *t[MS_DMARC_WALK_MAX], *fewest = NULL;
	size_t i, n = dmarc_walk_targets(domain, t);

	*org = domain;
	for (i = 0; i < n; i++) {
		const struct dmarc_name *nm = fetch(d, t[i]);

		if (nm->state == DMARC_NAME_TEMPFAIL)
			return DMARC_WALK_TEMPFAIL;
		if (nm->state != DMARC_NAME_ONE)
			continue;
		if (nm->rec.psd == 'n') {
			*org = t[i];
			return DMARC_WALK_FOUND;
		}
		if (nm->rec.psd == 'y' && i > 0) {
			/* the domain one label below the PSD, on the way
			 * from the starting domain */
			*org = suffix(domain, labels(t[i]) + 1);
			return DMARC_WALK_FOUND;
		}
		fewest = t[i];
	}
	if (fewest)
		*org = fewest;
	return DMARC_WALK_FOUND;
}
