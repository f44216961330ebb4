/*
 * count.c - what the engine decided, told to the process's counters
 * (metrics.h): the one place where verdicts and results become
 * figures, so that every front end counts the same way.
 *
 * A message is counted once, at the end of its data; a result where it
 * was evaluated (SPF before DATA is counted there, not again when the
 * message hands it over); a refusal wherever it was answered (at the
 * envelope or at the end of the data).
 */
#include <stdio.h>

#include "farmstats.h"
#include "metrics.h"
#include "policy_int.h"

_Static_assert(sizeof(((struct policy *)0)->stats_node) > FARMSTATS_NODE_MAX,
	       "struct policy: stats_node too small");

static const enum metric_result dkim_words[] = {
	[DKIM_RES_NONE] = MRES_NONE,
	[DKIM_RES_PASS] = MRES_PASS,
	[DKIM_RES_FAIL] = MRES_FAIL,
	[DKIM_RES_NEUTRAL] = MRES_NEUTRAL,
	[DKIM_RES_POLICY] = MRES_POLICY,
	[DKIM_RES_TEMPERROR] = MRES_TEMPERROR,
	[DKIM_RES_PERMERROR] = MRES_PERMERROR,
};

static const enum metric_result spf_words[] = {
	[SPF_NONE] = MRES_NONE,
	[SPF_NEUTRAL] = MRES_NEUTRAL,
	[SPF_PASS] = MRES_PASS,
	[SPF_FAIL] = MRES_FAIL,
	[SPF_SOFTFAIL] = MRES_SOFTFAIL,
	[SPF_TEMPERROR] = MRES_TEMPERROR,
	[SPF_PERMERROR] = MRES_PERMERROR,
};

static const enum metric_result dmarc_words[] = {
	[DMARC_NONE] = MRES_NONE,
	[DMARC_PASS] = MRES_PASS,
	[DMARC_FAIL] = MRES_FAIL,
	[DMARC_TEMPERROR] = MRES_TEMPERROR,
};

#define OF(table, r) ((size_t)(r) < sizeof(table) / sizeof(table[0]) \
		      ? table[r] : MRES_NONE)

/* pol_count_refusal - a refusal or deferral answered */
void pol_count_refusal(const struct policy_verdict *v)
{
	if (v->action != POLICY_ACCEPT)
		metrics_inc(MSLOT_REFUSAL(metrics_refusal_of(v->dsn)));
}

/* pol_count_spf - an SPF check made, and what was answered for it */
void pol_count_spf(const struct spf_outcome *o,
		   const struct policy_verdict *v)
{
	metrics_inc(MSLOT_RESULT(MMETH_SPF, OF(spf_words, o->result)));
	pol_count_refusal(v);
}

/* pol_count_message - one message's verdict and the results evaluated
 * for it (oc: its DKIM outcome, NULL when not verified) */
void pol_count_message(const struct policy_msg *m,
		       const struct dkim_verify_outcome *oc,
		       const struct policy_verdict *v)
{
	static const enum metric_role roles[] = {
		[POLICY_ROLE_SKIP] = MROLE_SKIP,
		[POLICY_ROLE_SIGN] = MROLE_SIGN,
		[POLICY_ROLE_VERIFY] = MROLE_VERIFY,
	};
	enum metric_action action;
	size_t i;

	action = v->action == POLICY_REJECT ? MACT_REJECT
		 : v->action == POLICY_TEMPFAIL ? MACT_TEMPFAIL
		 : v->quarantine ? MACT_QUARANTINE : MACT_ACCEPT;
	metrics_inc(MSLOT_MESSAGE(roles[v->role], action));
	pol_count_refusal(v);
	for (i = 0; oc && i < oc->nresults; i++)
		metrics_inc(MSLOT_RESULT(MMETH_DKIM,
					 OF(dkim_words, oc->results[i].result)));
	if (oc && oc->nresults == 0 && oc->skipped == 0)
		metrics_inc(MSLOT_RESULT(MMETH_DKIM, MRES_NONE));
	if (m && m->spf_checked && !m->spf_known)
		metrics_inc(MSLOT_RESULT(MMETH_SPF, OF(spf_words, m->spf.result)));
	for (i = 0; m && m->dmarc_checked && i < m->dmarc.n; i++)
		metrics_inc(MSLOT_RESULT(MMETH_DMARC,
					 OF(dmarc_words, m->dmarc.out[i].result)));
}

/* pol_count_error - a verdict given without an engine */
void pol_count_error(const struct policy_verdict *v)
{
	metrics_inc(MSLOT_MESSAGE(MROLE_NONE, MACT_TEMPFAIL));
	pol_count_refusal(v);
}

/* pol_count_init - farm_stats and the node name */
enum ms_status pol_count_init(struct policy *p, const struct ms_config *cfg,
			      struct ms_error *err)
{
	char where[300];

	p->stats_node[0] = 0;
	if (*cfg->farm_stats_node && !farmstats_node_ok(cfg->farm_stats_node))
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s: \"%s\" is not a node name (1 to %d letters, digits, '.', '-' or '_')",
				    config_where(cfg, "farm_stats_node", where,
						 sizeof(where)),
				    cfg->farm_stats_node, FARMSTATS_NODE_MAX);
	if (cfg->farm_stats != MS_YES || !p->chain.farm)
		return MS_OK;
	if (*cfg->farm_stats_node)
		snprintf(p->stats_node, sizeof(p->stats_node), "%s",
			 cfg->farm_stats_node);
	else
		farmstats_default_node(p->stats_node, sizeof(p->stats_node));
	return MS_OK;
}

/* policy_push_stats - the process's counters to the farm */
void policy_push_stats(struct policy *p)
{
	if (p && p->stats_node[0] && p->chain.farm)
		(void)farmstats_push(p->chain.farm, p->stats_node);
}
