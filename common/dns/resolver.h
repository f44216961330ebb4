/*
 * resolver.h - validated DNS TXT lookups (DNSSEC) with our own
 * deadline, through libunbound.  dnskeys.h uses it for DKIM keys when
 * a trust anchor is configured; without one, keys are asked through
 * c-ares (aresq.h), which does not validate.
 *
 * libunbound's blocking call has no deadline of its own, so every
 * lookup goes through its asynchronous interface (a worker thread of
 * the context) and is cancelled when the caller's time is up.  No
 * descriptor of it is inherited over exec (libunbound opens its own
 * without the flag: the resolver sets it on those that last, not on
 * the query sockets its worker opens and closes during a lookup, which
 * is why a front end must not run programs while a lookup is under way
 * in another thread).  Create the resolver lazily in the process that
 * uses it (after any fork) and free it before that process must be
 * free of threads: inside Exim, at the end of each local_scan call.
 *
 * Answers are copied into the caller's arena: each TXT record with its
 * strings concatenated, the TTL, and the DNSSEC verdict.  Timeouts,
 * SERVFAIL, REFUSED and DNSSEC failures are DNS_TEMPFAIL; NXDOMAIN and
 * NODATA are permanent.
 */
#ifndef MAILSEAL_RESOLVER_H
#define MAILSEAL_RESOLVER_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "ms_limits.h"
#include "status.h"

enum dns_status {
	DNS_OK = 0,
	DNS_NXDOMAIN,
	DNS_NODATA,
	DNS_TEMPFAIL,
};

struct dns_txt {
	enum dns_status status;
	size_t nrecords;
	const unsigned char *records[MS_MAX_KEY_RECORDS];
	size_t record_len[MS_MAX_KEY_RECORDS];
	uint32_t ttl;
	int secure;                     /* DNSSEC-validated */
	const char *reason;             /* for failures, in the arena */
};

struct resolver;

/* resolver_new - servers: "" for /etc/resolv.conf, else a list as
 * dnsservers.h reads it; trust_anchor: a file of DS/DNSKEY records to
 * validate with (not empty: without one, there is nothing to ask
 * libunbound for) */
struct resolver *resolver_new(const char *servers, const char *trust_anchor,
			      struct ms_error *err);
/* resolver_free - stop the worker and release everything */
void resolver_free(struct resolver *r);
/* resolver_txt - the TXT records at name, waiting at most timeout_ms */
void resolver_txt(struct resolver *r, const char *name, unsigned timeout_ms,
		  struct arena *arena, struct dns_txt *out);

#endif
