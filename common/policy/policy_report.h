/*
 * policy_report.h - the engine's DMARC aggregate-report step (RFC
 * 9990): at the end of each verified message, one report row per author
 * domain whose DMARC record asks for aggregate reports (rua=), counted
 * in the farm's Redis (common/farm/dmarcstore.h) for the UTC day.
 *
 * What a row holds: the client address, the author domain, the MAIL
 * FROM and first RCPT TO domains, the SPF domain and result, up to
 * MS_DMARC_ROW_SIGS DKIM results (aligned passes first, as RFC 9990
 * orders them), the disposition the verdict applied (reject, held:
 * quarantine, else none), the override reasons (local_policy for
 * dmarc_exempt and the on_dmarc_* settings, policy_test_mode for t=y,
 * other when the message was refused or held for another reason), and
 * the published policy.  Not recorded: a tempfailed message (the client
 * sends it again), a DMARC temperror or none, a message without a
 * client address (a report row needs one).
 *
 * Recording never changes the verdict and never waits long: one
 * command with the farm's timeout.  A Redis failure loses that row only
 * (counted in `lost`; farmcache.c logs the outage once); a domain over
 * dmarc_report_max_rows counts the message as dropped, in Redis, and
 * its report says so.  With dmarc_reports = no, check_dmarc = no or no
 * Redis configured, nothing is recorded.
 */
#ifndef MAILSEAL_POLICY_REPORT_H
#define MAILSEAL_POLICY_REPORT_H

#include "config.h"
#include "dkim_verify.h"
#include "status.h"

struct farmcache;
struct policy_msg;
struct policy_verdict;

struct policy_report {
	struct farmcache *farm;         /* NULL: nothing is recorded */
	struct farmcache *own;          /* ours, when the key chain has none */
	unsigned max_rows;
	unsigned retention;             /* seconds */
	unsigned long recorded;         /* messages counted in their row */
	unsigned long dropped;          /* counted as dropped (row cap) */
	unsigned long lost;             /* not counted: Redis failed */
};

/* policy_report_init - from the configuration, over the key chain's
 * Redis connection shared (NULL: one of its own when Redis is set) */
enum ms_status policy_report_init(struct policy_report *pr,
				  const struct ms_config *cfg,
				  struct farmcache *shared,
				  struct ms_error *err);
/* policy_report_free - release what init made */
void policy_report_free(struct policy_report *pr);
/* policy_report_record - the rows of message m with its DKIM outcome oc
 * (NULL: it was not verified) and verdict v */
void policy_report_record(struct policy_report *pr, struct policy_msg *m,
			  const struct dkim_verify_outcome *oc,
			  const struct policy_verdict *v);

#endif
