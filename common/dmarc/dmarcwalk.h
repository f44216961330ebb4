/*
 * dmarcwalk.h - the DNS Tree Walk of RFC 9989 section 4.10: policy
 * discovery (4.10.1) and the Organizational Domain (4.10.2).
 *
 * A walk asks for TXT records at _dmarc.TARGET, TARGET being the domain
 * itself, then, when it has 8 labels or more, its last 7 labels, then
 * one label fewer each time down to one label: at most MS_DMARC_WALK_MAX
 * queries.  At one name, TXT strings that are not DMARC records are
 * discarded; when more than one DMARC record remains (or the only one
 * cannot be parsed) they are all discarded, and the walk goes on to the
 * parent as if the name had none.  (The RFC can also be read as "stop
 * with no policy"; going on lets the parent's policy protect the name,
 * where stopping would give a forger a domain without any: see
 * docs/dmarc.md.)  Such a name is noted, for the log.
 *
 * Policy discovery stops at the first usable record.  The
 * Organizational Domain walk stops at a record with psd=n (that domain)
 * or, above the starting domain, psd=y (the domain one label below it);
 * otherwise it is the domain with the fewest labels that has a record,
 * or, when none has one, the starting domain itself.
 *
 * Both walks of one evaluation share a struct dmarc_dns, which
 * remembers every name it asked about: the second walk over the same
 * names costs nothing.  A DNS failure (TEMPFAIL, or the deadline) makes
 * the walk DMARC_WALK_TEMPFAIL: never "no policy".  Everything lives in
 * the arena given.
 */
#ifndef MAILSEAL_DMARCWALK_H
#define MAILSEAL_DMARCWALK_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "dmarcrecord.h"
#include "dnsq.h"
#include "ms_limits.h"

#define DMARC_MEMO_MAX (4 * MS_DMARC_WALK_MAX)

enum dmarc_name_state {
	DMARC_NAME_NONE = 0,            /* no usable record */
	DMARC_NAME_ONE,                 /* one record: rec */
	DMARC_NAME_TEMPFAIL,
};

struct dmarc_name {
	const char *domain;             /* below _dmarc, lower case */
	enum dmarc_name_state state;
	struct dmarc_record rec;
};

struct dmarc_dns {
	struct dnsq *dns;
	uint64_t deadline_ms;           /* ms_clock_ms time; 0: none */
	struct arena *a;
	struct dmarc_name memo[DMARC_MEMO_MAX];
	size_t nmemo;
	unsigned long queries;          /* asked of dns */
	const char *note;               /* the first discarded name: why */
	const char *fail_reason;        /* the first DNS failure: what */
};

enum dmarc_walk {
	DMARC_WALK_FOUND = 0,
	DMARC_WALK_NONE,
	DMARC_WALK_TEMPFAIL,
};

/* dmarc_dns_init - an empty memory of names over dns */
void dmarc_dns_init(struct dmarc_dns *d, struct dnsq *dns,
		    uint64_t deadline_ms, struct arena *a);
/* dmarc_find_policy - policy discovery from domain (lower case, no
 * final dot): FOUND with *out the name holding the record */
enum dmarc_walk dmarc_find_policy(struct dmarc_dns *d, const char *domain,
				  const struct dmarc_name **out);
/* dmarc_org_domain - the Organizational Domain of domain into *org (a
 * suffix of domain); FOUND or TEMPFAIL */
enum dmarc_walk dmarc_org_domain(struct dmarc_dns *d, const char *domain,
				 const char **org);
/* dmarc_walk_targets - the names a walk from domain asks about, in
 * order, as suffixes of domain: their number (at most
 * MS_DMARC_WALK_MAX) */
size_t dmarc_walk_targets(const char *domain,
			  const char *out[MS_DMARC_WALK_MAX]);

#endif
