/*
 * policy_spf.c - the engine's SPF step: settings, exemptions, the run.
 */
#include <string.h>

#include "msclock.h"
#include "policy.h"
#include "policy_spf.h"

/* policy_spf_on - is SPF evaluated under cfg? */
int policy_spf_on(const struct ms_config *cfg)
{
	return cfg->check_spf == MS_YES || cfg->check_dmarc == MS_YES;
}

/* policy_spf_init - from the configuration */
enum ms_status policy_spf_init(struct policy_spf *ps,
			       const struct ms_config *cfg,
			       struct ms_error *err)
{
	char where[320];
	struct ms_error e;

	memset(ps, 0, sizeof(*ps));
	/* DMARC needs the SPF result: with check_dmarc, SPF is evaluated
	 * too (its own refusals still follow on_spf_fail, tag by default) */
	ps->check = policy_spf_on(cfg);
	ps->on_fail = cfg->on_spf_fail;
	ps->on_permerror = cfg->on_spf_permerror;
	ps->budget_ms = cfg->dns_message_budget_ms;
	ps->received = cfg->received_spf == MS_YES;
	if (*cfg->trusted_networks) {
		ps->trusted = netlist_parse(cfg->trusted_networks, &e);
		if (!ps->trusted)
			return ms_error_set(err, MS_ERR_USAGE, "%s: %s",
					    config_where(cfg, "trusted_networks",
							 where, sizeof(where)),
					    e.msg);
	}
	return MS_OK;
}

/* policy_spf_free - release what init made */
void policy_spf_free(struct policy_spf *ps)
{
	netlist_free(ps->trusted);
	memset(ps, 0, sizeof(*ps));
}

/* policy_spf_run - check one transaction's MAIL FROM identity */
int policy_spf_run(const struct policy_spf *ps, struct dnsq *dns,
		   uint64_t deadline_ms, const char *ip,
		   const char *helo, const char *mail_from, int exempt,
		   struct arena *a, struct spf_outcome *out)
{
	struct spf_request rq = { 0 };

	if (!ps->check || !dns || exempt || !ip || !*ip || !mail_from ||
	    netlist_match(ps->trusted, ip))
		return 0;
	rq.ip = ip;
	rq.helo = helo;
	rq.mail_from = mail_from;
	rq.deadline_ms = deadline_ms ? deadline_ms : ms_clock_ms() + ps->budget_ms;
	spf_check_mailfrom(dns, &rq, a, out);
	return 1;
}
