/*
 * dnskeys.h - a key source that asks DNS (through resolver.h).
 *
 * Each lookup waits at most the per-lookup timeout, and never past the
 * caller's deadline (the per-message DNS budget).  The source owns its
 * resolver, created on the first lookup so that a process that forks
 * creates it after the fork.
 */
#ifndef MAILSEAL_DNSKEYS_H
#define MAILSEAL_DNSKEYS_H

#include "keysource.h"
#include "status.h"

struct dnskeys_stats {
	unsigned long queries;          /* lookups sent to DNS */
};

/* dnskeys_new - servers and trust_anchor as resolver_new takes them */
struct keysource *dnskeys_new(const char *servers, const char *trust_anchor,
			      unsigned timeout_ms);
/* dnskeys_stats - counters of the source (ks must be a dnskeys) */
const struct dnskeys_stats *dnskeys_stats(const struct keysource *ks);
/* dnskeys_close - free the resolver (and its worker thread) now; the
 * next lookup makes a new one */
void dnskeys_close(struct keysource *ks);

#endif
