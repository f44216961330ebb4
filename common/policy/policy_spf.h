/*
 * policy_spf.h - the engine's SPF step (RFC 7208), for policy.c: which
 * messages are checked, against which DNS, and the settings that turn
 * a result into an action.
 *
 * A message is checked when check_spf = yes, the front end told the
 * client address and the envelope sender, and the client is neither
 * authenticated, nor local, nor in trusted_networks.  Lookups go to
 * the engine's DNS source (policy.c: the configured resolver through
 * c-ares, or a source the caller sets: a zone file for `mailseal
 * policy --dns-file` and the tests), under the message's DNS budget.
 */
#ifndef MAILSEAL_POLICY_SPF_H
#define MAILSEAL_POLICY_SPF_H

#include "arena.h"
#include "config.h"
#include "dnsq.h"
#include "netlist.h"
#include "spf.h"
#include "status.h"

struct policy_spf {
	int check;                      /* check_spf = yes */
	unsigned on_fail;               /* enum ms_on_signature_fail */
	unsigned on_permerror;
	unsigned budget_ms;             /* dns_message_budget */
	int received;                   /* received_spf = yes */
	struct netlist *trusted;        /* NULL: none */
};

/* policy_spf_init - from the configuration; errors name the setting's
 * file and line */
enum ms_status policy_spf_init(struct policy_spf *ps,
			       const struct ms_config *cfg,
			       struct ms_error *err);
/* policy_spf_free - release what init made */
void policy_spf_free(struct policy_spf *ps);
/* policy_spf_run - check the MAIL FROM identity of one transaction when
 * it is to be checked (exempt: authenticated or local), answering by
 * deadline_ms (0: dns_message_budget from now); 1 and *out filled when
 * it was, 0 when not */
int policy_spf_run(const struct policy_spf *ps, struct dnsq *dns,
		   uint64_t deadline_ms, const char *ip,
		   const char *helo, const char *mail_from, int exempt,
		   struct arena *a, struct spf_outcome *out);

#endif
