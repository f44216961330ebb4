/*
 * dmarceval.c - DMARC evaluation of one author domain: discovery,
 * alignment, the policy that applies.
 */
#include <string.h>
#include <strings.h>

#include "dmarc.h"
#include "dmarcwalk.h"

/* lower - a lower-case copy of s, without a final dot */
static char *lower(struct arena *a, const char *s)
{
	size_t i, n = strlen(s);
	char *c;

	if (n && s[n - 1] == '.')
		n--;
	c = arena_memdup(a, s, n);
	for (i = 0; i < n; i++)
		if (c[i] >= 'A' && c[i] <= 'Z')
			c[i] = (char)(c[i] - 'A' + 'a');
	return c;
}

/* name_ok - can domain be looked up: LDH and '_' labels of 1 to 63
 * bytes, 253 bytes with "_dmarc." in front?  (An address literal, a
 * byte outside ASCII, an empty label: no; RFC 9989 asks the DNS for
 * names only.  A name in U-labels would need IDNA to ask for its
 * A-labels, which is not done: such an author domain gets no DMARC.) */
static int name_ok(const char *d)
{
	size_t label = 0, n = 0;

	for (; *d; d++, n++) {
		unsigned char c = (unsigned char)*d;

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_') || ++label > 63)
			return 0;
	}
	return label > 0 && n + 7 <= 253;
}

/* under - is x org itself or a name below it? */
static int under(const char *x, const char *org)
{
	size_t xl = strlen(x), ol = strlen(org);

	if (xl == ol)
		return strcmp(x, org) == 0;
	return xl > ol && x[xl - ol - 1] == '.' && strcmp(x + xl - ol, org) == 0;
}

enum align {
	ALIGN_NO = 0,
	ALIGN_YES,
	ALIGN_TEMP,                     /* the walk it needs failed */
};

struct eval {
	struct dmarc_dns dns;
	const char *author;
	const char *author_org;         /* NULL until asked */
	int author_org_temp;
};

/* aligned - is identifier x aligned with the author domain in mode m? */
static enum align aligned(struct eval *e, const char *id, char m)
{
	const char *org;
	char *x = lower(e->dns.a, id);

	if (strcmp(x, e->author) == 0)
		return ALIGN_YES;
	if (m == 's' || !name_ok(x))
		return ALIGN_NO;
	{
		/* names without a common last label cannot share an
		 * Organizational Domain: no walk for them */
		const char *xl = strrchr(x, '.'), *al = strrchr(e->author, '.');

		if (strcmp(xl ? xl + 1 : x, al ? al + 1 : e->author) != 0)
			return ALIGN_NO;
	}
	if (!e->author_org && !e->author_org_temp &&
	    dmarc_org_domain(&e->dns, e->author, &e->author_org) ==
	    DMARC_WALK_TEMPFAIL) {
		e->author_org = NULL;
		e->author_org_temp = 1;
	}
	if (e->author_org_temp)
		return ALIGN_TEMP;
	/* org(x) is x or a parent of it: it can only equal org(author)
	 * when x is under org(author) */
	if (!under(x, e->author_org))
		return ALIGN_NO;
	if (dmarc_org_domain(&e->dns, x, &org) == DMARC_WALK_TEMPFAIL)
		return ALIGN_TEMP;
	return strcmp(org, e->author_org) == 0 ? ALIGN_YES : ALIGN_NO;
}

/* exists - does the author domain exist?  1, 0, or -1 for a DNS
 * failure */
static int exists(struct eval *e)
{
	static const enum dnsq_type types[] = { DNSQ_A, DNSQ_AAAA, DNSQ_MX };
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct dnsq_answer ans;

		memset(&ans, 0, sizeof(ans));
		dnsq_lookup(e->dns.dns, e->author, types[i], e->dns.deadline_ms,
			    e->dns.a, &ans);
		e->dns.queries++;
		if (ans.status == DNSQ_TEMPFAIL) {
			if (!e->dns.fail_reason)
				e->dns.fail_reason = ans.reason;
			return -1;
		}
		if (ans.status != DNSQ_NXDOMAIN)
			return 1;
	}
	return 0;
}

/* lower_one - t=y: one step down */
static enum dmarc_policy lower_one(enum dmarc_policy p)
{
	return p == DMARC_P_REJECT ? DMARC_P_QUARANTINE : DMARC_P_NONE;
}

/* choose_policy - p, sp or np for a message that failed; 0, or -1 when
 * the existence test failed */
static int choose_policy(struct eval *e, struct dmarc_outcome *out)
{
	const struct dmarc_record *r = &out->rec;
	enum dmarc_policy sp = r->sp ? r->sp : r->p;
	enum dmarc_policy np = r->np ? r->np : sp;
	int ex;

	out->policy = r->p;
	out->policy_tag = "p";
	if (!out->by_walk)
		return 0;
	out->policy = sp;
	out->policy_tag = r->sp ? "sp" : "p";
	if (np == sp)
		return 0;               /* existence changes nothing */
	ex = exists(e);
	if (ex < 0)
		return -1;
	if (ex == 0) {
		out->policy = np;
		out->policy_tag = r->np ? "np" : out->policy_tag;
	}
	return 0;
}

/* dmarc_evaluate - the DMARC outcome of one author domain */
void dmarc_evaluate(struct dnsq *dns, const struct dmarc_request *rq,
		    struct arena *a, struct dmarc_outcome *out)
{
	const struct dmarc_name *nm;
	struct eval e;
	int temp = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	memset(&e, 0, sizeof(e));
	dmarc_dns_init(&e.dns, dns, rq->deadline_ms, a);
	e.author = out->author = lower(a, rq->author);
	out->result = DMARC_NONE;
	if (!name_ok(e.author)) {
		out->reason = "the author domain is not a name DNS can be asked for";
		goto out;
	}
	switch (dmarc_find_policy(&e.dns, e.author, &nm)) {
	case DMARC_WALK_TEMPFAIL:
		out->result = DMARC_TEMPERROR;
		out->reason = e.dns.fail_reason;
		goto out;
	case DMARC_WALK_NONE:
		goto out;
	default:
		break;
	}
	out->policy_domain = nm->domain;
	out->rec = nm->rec;
	out->by_walk = strcmp(nm->domain, e.author) != 0;
	if (out->rec.unusable) {
		/* no valid p= and nowhere to report: DMARC does not apply */
		out->policy_domain = NULL;
		out->reason = "the policy record has no valid p= and no rua=";
		goto out;
	}
	/* strict matches first: they need no walk */
	for (i = 0; i < rq->nsigs && !out->dkim_aligned; i++) {
		const struct dmarc_sig *s = &rq->sigs[i];

		if (s->domain && s->result == DMARC_AUTH_PASS &&
		    strcasecmp(s->domain, e.author) == 0)
			out->dkim_aligned = s->domain;
	}
	for (i = 0; i < rq->nsigs && !out->dkim_aligned; i++) {
		const struct dmarc_sig *s = &rq->sigs[i];
		enum align al;

		if (!s->domain || s->result == DMARC_AUTH_OTHER)
			continue;
		al = aligned(&e, s->domain, out->rec.adkim);
		if (al == ALIGN_TEMP)
			temp = 1;
		else if (al == ALIGN_YES && s->result == DMARC_AUTH_PASS)
			out->dkim_aligned = s->domain;
		else if (al == ALIGN_YES)
			temp = 1;       /* might have passed */
	}
	if (rq->spf_domain && rq->spf != DMARC_AUTH_OTHER) {
		enum align al = aligned(&e, rq->spf_domain, out->rec.aspf);

		if (al == ALIGN_TEMP)
			temp = 1;
		else if (al == ALIGN_YES && rq->spf == DMARC_AUTH_PASS)
			out->spf_aligned = 1;
		else if (al == ALIGN_YES)
			temp = 1;
	}
	out->disposition = DMARC_P_NONE;
	if (out->dkim_aligned || out->spf_aligned) {
		out->result = DMARC_PASS;
		goto out;
	}
	if (temp) {
		out->result = DMARC_TEMPERROR;
		out->reason = e.dns.fail_reason ? e.dns.fail_reason
			      : "an identifier that may align could not be "
				"checked now";
		goto out;
	}
	out->result = DMARC_FAIL;
	if (choose_policy(&e, out) < 0) {
		out->result = DMARC_TEMPERROR;
		out->reason = e.dns.fail_reason ? e.dns.fail_reason
			      : "the author domain's existence could not be "
				"checked now";
		goto out;
	}
	out->disposition = out->rec.testing ? lower_one(out->policy)
			   : out->policy;
out:
	out->note = e.dns.note;
	out->queries = e.dns.queries;
}

/* dmarc_result_str - the result's word */
const char *dmarc_result_str(enum dmarc_result r)
{
	switch (r) {
	case DMARC_PASS:
		return "pass";
	case DMARC_FAIL:
		return "fail";
	case DMARC_TEMPERROR:
		return "temperror";
	default:
		return "none";
	}
}
