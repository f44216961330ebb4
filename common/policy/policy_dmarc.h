/*
 * policy_dmarc.h - the engine's DMARC step (RFC 9989), for policy.c:
 * which author domains are evaluated, with what, and the settings that
 * turn an outcome into an action (verdict.c applies them).
 *
 * With check_dmarc = yes, every distinct domain of the From field of a
 * verified message is evaluated (at most max_author_domains: a message
 * naming more is refused, so that no domain can hide behind the cap),
 * from the DKIM results and the SPF result of the MAIL FROM identity
 * (SPF is evaluated for DMARC even when check_spf is off).
 * Authenticated and local submissions and clients in trusted_networks
 * are not evaluated; author domains in dmarc_exempt are evaluated (the
 * result goes into Authentication-Results) but never refused, held or
 * deferred for DMARC.
 */
#ifndef MAILSEAL_POLICY_DMARC_H
#define MAILSEAL_POLICY_DMARC_H

#include <stddef.h>
#include <stdint.h>
#include "addr.h"
#include "config.h"
#include "dkim_verify.h"
#include "dmarc.h"
#include "domainlist.h"
#include "spf.h"
#include "status.h"

struct policy_dmarc {
	int check;                      /* check_dmarc = yes */
	unsigned on_reject;             /* enum ms_dmarc_action */
	unsigned on_quarantine;
	unsigned max_authors;
	struct domainlist *exempt;      /* NULL: none */
};

/* the outcomes of one message */
struct policy_dmarc_run {
	struct dmarc_outcome out[MS_DMARC_MAX_AUTHORS];
	int exempt[MS_DMARC_MAX_AUTHORS]; /* in dmarc_exempt */
	size_t n;
	size_t over;                    /* author domains past the cap */
	unsigned long queries;
};

/* policy_dmarc_init - from the configuration; errors name the setting */
enum ms_status policy_dmarc_init(struct policy_dmarc *pd,
				 const struct ms_config *cfg,
				 struct ms_error *err);
/* policy_dmarc_free - release what init made */
void policy_dmarc_free(struct policy_dmarc *pd);
/* policy_dmarc_eval - every distinct author domain of from (the first
 * nfrom), with the DKIM results res[0..nres) and the SPF outcome (NULL:
 * SPF was not checked), asking dns by deadline_ms; 1 when evaluated */
int policy_dmarc_eval(const struct policy_dmarc *pd, struct dnsq *dns,
		      const struct addr_list *from,
		      const struct dkim_sig_result *res, size_t nres,
		      const struct spf_outcome *spf, uint64_t deadline_ms,
		      struct arena *a, struct policy_dmarc_run *run);

#endif
