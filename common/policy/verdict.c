/*
 * verdict.c - the verdict rules of the policy engine and their reply
 * texts (docs/policy.md has them as a table): require_signed, SPF, the
 * DKIM temperror and failure settings; and the text helpers every
 * verdict and log line goes through.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy_int.h"


/* put_safe - s as printable ASCII (anything else becomes '?'); a
 * double quote becomes a single one, so that the log's quoted fields
 * stay quoted */
void pol_put_safe(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		buf_putc(b, c == '"' ? '\'' : c >= 32 && c < 127 ? c : '?');
	}
}

/* copy_out - b into a fixed array of the verdict, cut to fit */
void pol_copy_out(char *dst, size_t size, const struct buf *b)
{
	size_t n = b->len < size - 1 ? b->len : size - 1;

	memcpy(dst, b->data ? (const char *)b->data : "", n);
	dst[n] = 0;
}

/* verdict_accept - the plain accept every verdict starts from */
void pol_verdict_accept(struct policy_verdict *v)
{
	v->action = POLICY_ACCEPT;
	v->code = 250;
	memcpy(v->dsn, "2.0.0", 6);
	memcpy(v->text, "ok", 3);
}

/* pol_verdict_set - action, code, enhanced code and formatted text */
void pol_verdict_set(struct policy_verdict *v, enum policy_action action,
			unsigned code, const char *dsn, const char *fmt, ...)
{
	char raw[POLICY_TEXT_MAX];
	struct buf b;
	va_list ap;

	v->action = action;
	v->code = code;
	snprintf(v->dsn, sizeof(v->dsn), "%s", dsn);
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	buf_init(&b, POLICY_TEXT_MAX);
	pol_put_safe(&b, raw);
	pol_copy_out(v->text, sizeof(v->text), &b);
	buf_free(&b);
}

/* aligned - may a signature of d stand for mail from author domain a?
 * (the same domain or a parent of it, never a bare top-level label) */
int pol_aligned(const char *d, const char *a)
{
	size_t dl = strlen(d), al = strlen(a);

	if (!strchr(d, '.'))
		return 0;
	if (dl == al)
		return strcasecmp(d, a) == 0;
	return al > dl && a[al - dl - 1] == '.' &&
	       strcasecmp(a + al - dl, d) == 0;
}


/* from_has_domain - is d already among the first n From domains? */
int pol_from_has_domain(const struct addr_list *a, size_t n, const char *d)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(a->domain[i], d) == 0)
			return 1;
	return 0;
}

/* ---- the verdict rules ---- */

static const char *res_reason(const struct dkim_sig_result *r)
{
	return r->reason ? r->reason : dkim_result_str(r->result);
}

/* verdict_skipped - signatures that may be the author's were left
 * unchecked by max_signatures: not "none verified" (that would be a
 * lie, and permanent), but a temporary failure that says why */
static void verdict_skipped(struct policy_msg *m, struct policy_verdict *v,
			    const char *a,
			    const struct dkim_verify_outcome *oc)
{
	pol_verdict_set(v, POLICY_TEMPFAIL, 451, "4.7.0",
		    "the message has more DKIM signatures than this server "
		    "checks (max_signatures %u): %zu that may be of %s were "
		    "not verified; try again later", m->p->max_signatures,
		    oc->skipped_relevant, a);
}

/* judge_required - the verdict for author domain a of require_signed */
static int judge_required(struct policy_msg *m, const char *a,
			  const struct dkim_verify_outcome *oc,
			  struct policy_verdict *v)
{
	const struct dkim_sig_result *temp = NULL, *bad = NULL, *other = NULL;
	size_t i;

	for (i = 0; i < oc->nresults; i++) {
		const struct dkim_sig_result *r = &oc->results[i];

		if (!r->domain || !pol_aligned(r->domain, a)) {
			if (r->result == DKIM_RES_PASS && !other)
				other = r;
			continue;
		}
		if (r->result == DKIM_RES_PASS)
			return 0;
		if (r->result == DKIM_RES_TEMPERROR && !temp)
			temp = r;
		else if (!bad)
			bad = r;
	}
	if (temp) {
		if (m->p->on_temperror == MS_TEMPERROR_ACCEPT)
			return 0;
		pol_verdict_set(v, POLICY_TEMPFAIL, 451, "4.4.3",
			    "the DKIM signature of %s required for mail from %s "
			    "could not be verified now (%s); try again later",
			    temp->domain, a, res_reason(temp));
		return 1;
	}
	if (oc->skipped_relevant) {
		verdict_skipped(m, v, a, oc);
		return 1;
	}
	if (bad)
		pol_verdict_set(v, POLICY_REJECT, 550, "5.7.20",
			    "mail from %s must carry a valid DKIM signature of "
			    "%s: the signature of %s did not verify (%s)",
			    a, a, bad->domain, res_reason(bad));
	else if (other)
		pol_verdict_set(v, POLICY_REJECT, 550, "5.7.22",
			    "mail from %s must carry a valid DKIM signature of "
			    "%s: it is signed by %s only", a, a, other->domain);
	else if (oc->nresults)
		pol_verdict_set(v, POLICY_REJECT, 550, "5.7.20",
			    "mail from %s must carry a valid DKIM signature of "
			    "%s: no signature of %s verified", a, a, a);
	else
		pol_verdict_set(v, POLICY_REJECT, 550, "5.7.20",
			    "mail from %s must carry a valid DKIM signature of "
			    "%s: the message is not signed", a, a);
	return 1;
}

/* pol_spf_verdict - the SPF result's verdict, when its setting makes one */
int pol_spf_verdict(const struct policy *p, const struct spf_outcome *o,
		    const char *ip, struct policy_verdict *v)
{
	const struct policy_spf *ps = &p->spf;

	switch (o->result) {
	case SPF_TEMPERROR:
		if (p->on_temperror != MS_TEMPERROR_TEMPFAIL)
			return 0;
		pol_verdict_set(v, POLICY_TEMPFAIL, 451, "4.4.3",
			    "the SPF policy of %s could not be evaluated now "
			    "(%s); try again later", o->domain,
			    o->reason ? o->reason : "DNS failure");
		return 1;
	case SPF_FAIL:
		if (ps->on_fail != MS_SIGFAIL_REJECT)
			return 0;
		pol_verdict_set(v, POLICY_REJECT, 550, "5.7.23",
			    "SPF: %s does not allow %s to send its mail%s%s",
			    o->domain, ip ? ip : "this client",
			    o->explanation ? ": " : "",
			    o->explanation ? o->explanation : "");
		return 1;
	case SPF_PERMERROR:
		if (ps->on_permerror != MS_SIGFAIL_REJECT)
			return 0;
		pol_verdict_set(v, POLICY_REJECT, 550, "5.7.24",
			    "SPF: the policy of %s cannot be evaluated (%s)",
			    o->domain, o->reason ? o->reason : "permerror");
		return 1;
	default:
		return 0;
	}
}

/* pol_spf_copy - o into *to, its strings copied into a */
void pol_spf_copy(struct spf_outcome *to, const struct spf_outcome *o,
		  struct arena *a)
{
	*to = *o;
#define CP(f) to->f = o->f ? arena_strdup(a, o->f) : NULL
	CP(identity);
	CP(domain);
	CP(sender);
	CP(mechanism);
	CP(reason);
	CP(explanation);
#undef CP
}

/* dmarc_action - what the settings do with a failing outcome:
 * MS_DMARC_REJECT, _QUARANTINE or _TAG */
static unsigned dmarc_action(const struct policy_dmarc *pd,
			     const struct dmarc_outcome *d)
{
	if (d->result != DMARC_FAIL)
		return MS_DMARC_TAG;
	if (d->disposition == DMARC_P_REJECT)
		return pd->on_reject;
	if (d->disposition == DMARC_P_QUARANTINE)
		return pd->on_quarantine;
	return MS_DMARC_TAG;
}

/* judge_dmarc - the strictest of the author domains' outcomes: a
 * refusal, then a deferral (a domain that could not be evaluated may
 * have asked for one), then a quarantine */
static int judge_dmarc(struct policy_msg *m,
		       const struct dkim_verify_outcome *oc,
		       struct policy_verdict *v)
{
	const struct policy_dmarc *pd = &m->p->dmarc;
	const struct dmarc_outcome *rej = NULL, *temp = NULL, *hold = NULL;
	size_t i;

	if (m->dmarc.over) {
		pol_verdict_set(v, POLICY_REJECT, 550, "5.7.1",
			    "DMARC: the From field names more than %u domains",
			    pd->max_authors);
		return 1;
	}
	for (i = 0; i < m->dmarc.n; i++) {
		const struct dmarc_outcome *d = &m->dmarc.out[i];
		unsigned act = dmarc_action(pd, d);

		if (m->dmarc.exempt[i])
			continue;
		if (d->result == DMARC_TEMPERROR && !temp)
			temp = d;
		else if (act == MS_DMARC_REJECT && !rej)
			rej = d;
		else if (act == MS_DMARC_QUARANTINE && !hold)
			hold = d;
	}
	if ((rej || hold) && oc->skipped_relevant) {
		/* an unchecked signature may be the aligned pass */
		verdict_skipped(m, v, (rej ? rej : hold)->author, oc);
		return 1;
	}
	if (rej) {
		pol_verdict_set(v, POLICY_REJECT, 550, "5.7.1",
			    "DMARC: the policy of %s (%s=%s) refuses mail from "
			    "%s that no aligned SPF or DKIM result "
			    "authenticates", rej->policy_domain,
			    rej->policy_tag, dmarc_policy_str(rej->policy),
			    rej->author);
		return 1;
	}
	if (temp && m->p->on_temperror == MS_TEMPERROR_TEMPFAIL) {
		pol_verdict_set(v, POLICY_TEMPFAIL, 451, "4.4.3",
			    "the DMARC policy of %s could not be evaluated now "
			    "(%s); try again later", temp->author,
			    temp->reason ? temp->reason : "DNS failure");
		return 1;
	}
	if (hold) {
		v->quarantine = 1;
		snprintf(v->quarantine_why, sizeof(v->quarantine_why),
			 "DMARC: the policy of %s (%s=%s) asks that mail from "
			 "%s that does not pass be held", hold->policy_domain,
			 hold->policy_tag, dmarc_policy_str(hold->policy),
			 hold->author);
	}
	return 0;
}

/* pol_judge - the verdict of a verified message */
void pol_judge(struct policy_msg *m, const struct dkim_verify_outcome *oc,
		  struct policy_verdict *v)
{
	const struct dkim_sig_result *temp = NULL, *fail = NULL;
	size_t i;

	for (i = 0; i < m->from.n; i++) {
		if (pol_from_has_domain(&m->from, i, m->from.domain[i]))
			continue;
		if (m->p->tables->require &&
		    domainlist_match(m->p->tables->require, m->from.domain[i]) &&
		    judge_required(m, m->from.domain[i], oc, v))
			return;
	}
	if (m->spf_checked && pol_spf_verdict(m->p, &m->spf, m->client_ip, v))
		return;
	if (m->dmarc_checked && judge_dmarc(m, oc, v))
		return;
	for (i = 0; i < oc->nresults; i++) {
		const struct dkim_sig_result *r = &oc->results[i];

		if (r->result == DKIM_RES_PASS)
			return;                 /* accepted */
		if (r->result == DKIM_RES_TEMPERROR && !temp)
			temp = r;
		if (r->result == DKIM_RES_FAIL && !fail)
			fail = r;
	}
	if (temp && m->p->on_temperror == MS_TEMPERROR_TEMPFAIL)
		pol_verdict_set(v, POLICY_TEMPFAIL, 451, "4.4.3",
			    "the DKIM signature of %s could not be verified now "
			    "(%s); try again later",
			    temp->domain ? temp->domain : "the message",
			    res_reason(temp));
	else if (fail && m->p->on_signature_fail == MS_SIGFAIL_REJECT &&
		 oc->skipped_relevant)
		verdict_skipped(m, v, m->from.n ? m->from.domain[0]
					       : "the author", oc);
	else if (fail && m->p->on_signature_fail == MS_SIGFAIL_REJECT)
		pol_verdict_set(v, POLICY_REJECT, 550, "5.7.20",
			    "the DKIM signature of %s did not verify (%s)",
			    fail->domain ? fail->domain : "the message",
			    res_reason(fail));
}

