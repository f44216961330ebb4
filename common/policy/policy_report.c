/*
 * policy_report.c - a message's DMARC aggregate-report rows, counted in
 * the farm.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dmarcrow.h"
#include "dmarcstore.h"
#include "farmcache.h"
#include "policy_int.h"
#include "policy_report.h"

/* policy_report_init - from the configuration */
enum ms_status policy_report_init(struct policy_report *pr,
				  const struct ms_config *cfg,
				  struct farmcache *shared,
				  struct ms_error *err)
{
	memset(pr, 0, sizeof(*pr));
	pr->max_rows = cfg->dmarc_report_max_rows;
	pr->retention = cfg->dmarc_report_retention;
	if (cfg->check_dmarc != MS_YES || cfg->dmarc_reports != MS_YES ||
	    (!config_has_redis(cfg)))
		return MS_OK;
	if (!shared) {
		if (farmcache_open(cfg, &pr->own, err) != MS_OK)
			return err->code;
		shared = pr->own;
	}
	pr->farm = shared;
	return MS_OK;
}

/* policy_report_free - release what init made */
void policy_report_free(struct policy_report *pr)
{
	farmcache_free(pr->own);
	memset(pr, 0, sizeof(*pr));
}

/* addr_domain - the lower-case domain of an envelope address ("" for
 * the null path or an address without one), in the arena */
static const char *addr_domain(struct arena *a, const char *addr)
{
	const char *at, *end;
	char *d;
	size_t i, n;

	if (!addr)
		return "";
	at = strrchr(addr, '@');
	if (!at)
		return "";
	at++;
	end = at + strcspn(at, ">");
	n = (size_t)(end - at);
	if (n == 0 || n > MS_MAX_DOMAIN)
		return "";
	d = arena_memdup(a, at, n);
	for (i = 0; i < n; i++)
		d[i] = (char)tolower((unsigned char)d[i]);
	return d;
}

static int level_of(enum dmarc_policy p)
{
	return p == DMARC_P_REJECT ? 2 : p == DMARC_P_QUARANTINE ? 1 : 0;
}

static const char *const level_words[] = { "none", "quarantine", "reject" };

/* add_reason - one override reason, when there is room */
static void add_reason(struct dmarc_row *r, const char *type,
		       const char *comment)
{
	if (r->nreasons < MS_DMARC_ROW_REASONS) {
		r->reasons[r->nreasons].type = type;
		r->reasons[r->nreasons++].comment = comment;
	}
}

/* row_reasons - why the disposition applied (level) is not what the
 * domain's policy asked of this message */
static void row_reasons(struct dmarc_row *r, const struct policy_msg *m,
			size_t i, int applied)
{
	const struct dmarc_outcome *d = &m->dmarc.out[i];
	int asked = d->result == DMARC_FAIL ? level_of(d->disposition) : 0;
	unsigned setting;

	if (d->result == DMARC_FAIL && d->rec.testing &&
	    level_of(d->policy) != asked)
		add_reason(r, "policy_test_mode", "t=y");
	if (applied > asked) {
		add_reason(r, "other", "refused or held for another reason "
			   "than this domain's DMARC policy");
	} else if (applied < asked) {
		if (m->dmarc.exempt[i]) {
			add_reason(r, "local_policy", "dmarc_exempt");
			return;
		}
		setting = asked == 2 ? m->p->dmarc.on_reject
			  : m->p->dmarc.on_quarantine;
		add_reason(r, "local_policy", asked == 2
			   ? (setting == MS_DMARC_QUARANTINE
			      ? "on_dmarc_reject = quarantine"
			      : "on_dmarc_reject = tag")
			   : "on_dmarc_quarantine = tag");
	}
}

/* sig_rank - RFC 9990's order: strictly aligned pass, relaxed aligned
 * pass, other pass, the rest */
static int sig_rank(const struct dkim_sig_result *s, const char *author)
{
	if (s->result != DKIM_RES_PASS)
		return 3;
	if (strcasecmp(s->domain, author) == 0)
		return 0;
	return pol_aligned(s->domain, author) ? 1 : 2;
}

/* row_sigs - the DKIM results, best first */
static void row_sigs(struct dmarc_row *r, const struct dkim_verify_outcome *oc,
		     const char *author)
{
	int rank;
	size_t i;

	for (rank = 0; rank <= 3; rank++)
		for (i = 0; i < oc->nresults && r->nsigs < MS_DMARC_ROW_SIGS;
		     i++) {
			const struct dkim_sig_result *s = &oc->results[i];

			if (!s->domain || !s->selector || !*s->domain ||
			    !*s->selector || strlen(s->domain) > MS_MAX_DOMAIN ||
			    strlen(s->selector) > MS_MAX_DOMAIN ||
			    sig_rank(s, author) != rank)
				continue;
			r->sigs[r->nsigs].domain = s->domain;
			r->sigs[r->nsigs].selector = s->selector;
			r->sigs[r->nsigs++].result = dkim_result_str(s->result);
		}
}

/* policy_report_record - the rows of one message */
void policy_report_record(struct policy_report *pr, struct policy_msg *m,
			  const struct dkim_verify_outcome *oc,
			  const struct policy_verdict *v)
{
	char ip[46], day[16];
	const char *env_from, *env_to;
	struct buf row;
	struct tm tm;
	time_t now;
	int applied;
	size_t i;

	if (!pr->farm || !oc || !m->dmarc_checked ||
	    v->action == POLICY_TEMPFAIL ||
	    !dmarc_row_ip_canon(m->client_ip, ip))
		return;
	now = time(NULL);
	if (!gmtime_r(&now, &tm) ||
	    strftime(day, sizeof(day), "%Y-%m-%d", &tm) != 10)
		return;
	applied = v->action == POLICY_REJECT ? 2 : v->quarantine ? 1 : 0;
	env_from = addr_domain(&m->arena, m->mail_from);
	env_to = addr_domain(&m->arena, m->rcpt);
	buf_init(&row, MS_DMARC_ROW_MAX);
	for (i = 0; i < m->dmarc.n; i++) {
		const struct dmarc_outcome *d = &m->dmarc.out[i];
		struct dmarc_row r = { 0 };
		int itemized;

		if (!d->policy_domain || !d->rec.rua || !*d->rec.rua ||
		    (d->result != DMARC_PASS && d->result != DMARC_FAIL))
			continue;
		r.policy_domain = d->policy_domain;
		r.p = dmarc_policy_str(d->rec.p);
		r.sp = dmarc_policy_str(d->rec.sp);
		r.np = dmarc_policy_str(d->rec.np);
		r.adkim = d->rec.adkim;
		r.aspf = d->rec.aspf;
		r.testing = d->rec.testing ? 'y' : 'n';
		/* RFC 9989's DNS Tree Walk found the record, at the author
		 * domain itself or above it: never the Public Suffix List */
		r.discovery = "treewalk";
		r.rua = d->rec.rua;
		r.source_ip = ip;
		r.disposition = level_words[applied];
		r.dkim = d->dkim_aligned ? "pass" : "fail";
		r.spf = d->spf_aligned ? "pass" : "fail";
		row_reasons(&r, m, i, applied);
		r.header_from = d->author;
		r.envelope_from = env_from;
		r.envelope_to = env_to;
		r.spf_scope = "mfrom";
		if (m->spf_checked && m->spf.domain) {
			r.spf_domain = m->spf.domain;
			r.spf_result = spf_result_str(m->spf.result);
		} else {
			r.spf_domain = env_from;
			r.spf_result = "none";
		}
		row_sigs(&r, oc, d->author);
		buf_reset(&row);
		if (dmarc_row_serialize(&r, &row) != MS_OK)
			continue;       /* a value no report may hold */
		if (dmarcstore_count(pr->farm, day, d->policy_domain, row.data,
				     row.len, pr->max_rows, pr->retention,
				     &itemized) != FARM_HIT)
			pr->lost++;
		else if (itemized)
			pr->recorded++;
		else
			pr->dropped++;
	}
	buf_free(&row);
}
