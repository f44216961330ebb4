/*
 * policy_dmarc.c - the engine's DMARC step: settings, the author
 * domains, the inputs DMARC takes from DKIM and SPF.
 */
#include <string.h>
#include <strings.h>

#include "policy_dmarc.h"

/* policy_dmarc_init - from the configuration */
enum ms_status policy_dmarc_init(struct policy_dmarc *pd,
				 const struct ms_config *cfg,
				 struct ms_error *err)
{
	memset(pd, 0, sizeof(*pd));
	pd->check = cfg->check_dmarc == MS_YES;
	pd->on_reject = cfg->on_dmarc_reject;
	pd->on_quarantine = cfg->on_dmarc_quarantine;
	pd->max_authors = cfg->max_author_domains;
	if (pd->max_authors == 0 || pd->max_authors > MS_DMARC_MAX_AUTHORS)
		pd->max_authors = MS_DMARC_MAX_AUTHORS;
	if (*cfg->dmarc_exempt) {
		pd->exempt = domainlist_load(cfg->dmarc_exempt, "dmarc_exempt",
					     err);
		if (!pd->exempt)
			return err->code;
	}
	return MS_OK;
}

/* policy_dmarc_free - release what init made */
void policy_dmarc_free(struct policy_dmarc *pd)
{
	domainlist_free(pd->exempt);
	memset(pd, 0, sizeof(*pd));
}

/* auth_of - what a DKIM result counts as for DMARC */
static enum dmarc_auth auth_of(enum dkim_result r)
{
	return r == DKIM_RES_PASS ? DMARC_AUTH_PASS
	       : r == DKIM_RES_TEMPERROR ? DMARC_AUTH_TEMP : DMARC_AUTH_OTHER;
}

/* policy_dmarc_eval - every distinct author domain */
int policy_dmarc_eval(const struct policy_dmarc *pd, struct dnsq *dns,
		      const struct addr_list *from,
		      const struct dkim_sig_result *res, size_t nres,
		      const struct spf_outcome *spf, uint64_t deadline_ms,
		      struct arena *a, struct policy_dmarc_run *run)
{
	struct dmarc_request rq = { 0 };
	struct dmarc_sig *sigs = NULL;
	size_t i, k;

	memset(run, 0, sizeof(*run));
	if (!pd->check || !dns || from->n == 0)
		return 0;
	if (nres)
		sigs = arena_alloc(a, nres * sizeof(*sigs));
	for (i = 0; i < nres; i++) {
		sigs[i].domain = res[i].domain;
		sigs[i].selector = res[i].selector;
		sigs[i].result = auth_of(res[i].result);
	}
	rq.sigs = sigs;
	rq.nsigs = nres;
	rq.deadline_ms = deadline_ms;
	if (spf && spf->domain) {
		rq.spf_domain = spf->domain;
		rq.spf = spf->result == SPF_PASS ? DMARC_AUTH_PASS
			 : spf->result == SPF_TEMPERROR ? DMARC_AUTH_TEMP
			 : DMARC_AUTH_OTHER;
	}
	for (i = 0; i < from->n; i++) {
		int seen = 0;

		for (k = 0; k < i; k++)
			seen |= strcasecmp(from->domain[k], from->domain[i]) == 0;
		if (seen)
			continue;
		if (run->n == pd->max_authors) {
			run->over++;
			continue;
		}
		rq.author = from->domain[i];
		dmarc_evaluate(dns, &rq, a, &run->out[run->n]);
		run->exempt[run->n] = pd->exempt &&
			domainlist_match(pd->exempt, run->out[run->n].author);
		run->queries += run->out[run->n].queries;
		run->n++;
	}
	return 1;
}
