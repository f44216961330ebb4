/*
 * dmarc.h - DMARC evaluation of one author domain (RFC 9989 sections
 * 4.4 to 4.10 and 5.3): policy discovery, identifier alignment, and
 * the policy that applies to a message that does not pass.
 *
 * The caller hands over what SPF and DKIM found: the MAIL FROM domain
 * SPF checked and its result (only that identity counts: the HELO
 * check never aligns), and each DKIM signature's d= and result.
 * Strict alignment is equality (ASCII case-insensitive); relaxed
 * alignment is equal Organizational Domains (dmarcwalk.h), asked only
 * when an identifier could be aligned at all.
 *
 * Results: pass (an aligned identifier passed), fail, none (no policy
 * record), temperror (a DNS failure, or an identifier that might have
 * aligned and passed could not be checked now: an SPF or DKIM
 * temperror never turns into a DMARC fail).
 *
 * For a fail, the policy is p= when the record is the author domain's
 * own; otherwise np= when the author domain does not exist (an A, AAAA
 * and MX query all NXDOMAIN, RFC 8020), else sp=, each falling back to
 * the next (np to sp to p).  t=y lowers the disposition one step
 * (reject to quarantine, quarantine to none).
 *
 * Everything lives in the caller's arena.  Nothing here logs.
 */
#ifndef MAILSEAL_DMARC_H
#define MAILSEAL_DMARC_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "dmarcrecord.h"
#include "dnsq.h"

enum dmarc_result {
	DMARC_NONE = 0,
	DMARC_PASS,
	DMARC_FAIL,
	DMARC_TEMPERROR,
};

enum dmarc_auth {
	DMARC_AUTH_OTHER = 0,           /* not a pass, not temporary */
	DMARC_AUTH_PASS,
	DMARC_AUTH_TEMP,                /* could not be checked now */
};

struct dmarc_sig {
	const char *domain;             /* d= */
	const char *selector;           /* s=, for reports */
	enum dmarc_auth result;
};

struct dmarc_request {
	const char *author;             /* the From domain */
	const char *spf_domain;         /* MAIL FROM domain checked, or NULL */
	enum dmarc_auth spf;
	const struct dmarc_sig *sigs;
	size_t nsigs;
	uint64_t deadline_ms;           /* ms_clock_ms time; 0: none */
};

struct dmarc_outcome {
	enum dmarc_result result;
	const char *author;             /* lower case */
	const char *policy_domain;      /* where the record was, or NULL */
	int by_walk;                    /* found above the author domain */
	struct dmarc_record rec;        /* when policy_domain */
	enum dmarc_policy policy;       /* p, sp or np: what applies */
	const char *policy_tag;         /* "p", "sp" or "np" */
	enum dmarc_policy disposition;  /* after t=y; DMARC_P_NONE unless fail */
	int spf_aligned;                /* SPF passed, aligned */
	const char *dkim_aligned;       /* d= of an aligned pass, or NULL */
	const char *reason;             /* for temperror, or NULL */
	const char *note;               /* a discarded record, or NULL */
	unsigned long queries;
};

/* dmarc_evaluate - the DMARC outcome of one author domain */
void dmarc_evaluate(struct dnsq *dns, const struct dmarc_request *rq,
		    struct arena *a, struct dmarc_outcome *out);
/* dmarc_result_str - "none", "pass", "fail", "temperror" */
const char *dmarc_result_str(enum dmarc_result r);

#endif
