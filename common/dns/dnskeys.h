/*
 * dnskeys.h - a key source that asks DNS.
 *
 * Without a DNSSEC trust anchor it asks c-ares (aresq.h, read by
 * dnsqkeys.h): in the calling thread, no thread started, its sockets
 * close-on-exec, open only while a lookup is under way, and the
 * channel opened again in a process that forked.  With a trust anchor
 * it asks libunbound (resolver.h), which validates, on a worker thread
 * that dnskeys_close stops.
 *
 * Each lookup waits at most the per-lookup timeout (dns_timeout, shared
 * by the servers when there are several), and never past the caller's
 * deadline (the per-message DNS budget).  The source owns its resolver,
 * created on the first lookup so that a process that forks creates it
 * after the fork.  NXDOMAIN and NODATA are KEY_NOTFOUND; a timeout,
 * SERVFAIL, REFUSED, an answer that cannot be read and (validating) a
 * bogus answer are KEY_TEMPFAIL with a reason.
 */
#ifndef MAILSEAL_DNSKEYS_H
#define MAILSEAL_DNSKEYS_H

#include "keysource.h"
#include "status.h"

struct dnskeys_stats {
	unsigned long queries;          /* lookups sent to DNS */
};

/* dnskeys_new - servers as dnsservers.h reads them ("" for
 * /etc/resolv.conf), trust_anchor "" or a file of DS/DNSKEY records */
struct keysource *dnskeys_new(const char *servers, const char *trust_anchor,
			      unsigned timeout_ms);
/* dnskeys_stats - counters of the source (ks must be a dnskeys) */
const struct dnskeys_stats *dnskeys_stats(const struct keysource *ks);
/* dnskeys_close - what must not outlive an Exim local_scan call goes
 * now: libunbound's context and worker thread (the next lookup makes
 * a new one).  The c-ares channel stays: it has no thread, and no
 * socket open between lookups. */
void dnskeys_close(struct keysource *ks);

#endif
