/*
 * dnsqchain.h - the DNS source of the sender-policy methods (SPF,
 * DMARC) built from the configuration, as the engine (policy.c) and
 * `mailseal spf` need it: the resolver (aresq.h: dns_resolver,
 * dns_timeout) behind the farm's cache chain (dnsqcache.h): the
 * in-process cache (local_cache_size entries), then, when redis_url or
 * redis_sentinels is set, the farm's Redis with cache_secret's HMAC.
 * Answers with records are kept for their TTL, at most
 * key_cache_max_ttl; NODATA/NXDOMAIN for their SOA's TTL, at most
 * negative_cache_ttl; temporary failures never.
 *
 * dnsqchain_open opens nothing that talks to the network: the resolver
 * and Redis connect at the first lookup, in the process (and after any
 * fork) that asks; no thread is started.  A caller that already has a
 * farm connection (the key chain's) lends it, so that a process keeps
 * one connection to Redis; otherwise the chain opens its own.
 */
#ifndef MAILSEAL_DNSQCHAIN_H
#define MAILSEAL_DNSQCHAIN_H

#include "config.h"
#include "dnsq.h"
#include "status.h"

struct farmcache;
struct dnsqmem;

/* what each layer answered; a daemon's metrics, `mailseal spf --stats` */
struct dnsqchain_stats {
	unsigned long lookups;          /* questions asked of the chain */
	unsigned long local_hits;
	unsigned long redis_hits;
	unsigned long dns_queries;      /* questions that reached DNS */
	unsigned long redis_bad;        /* values that failed the HMAC or
					 * were malformed: ignored */
	unsigned long redis_foreign;    /* of another version: ignored */
	unsigned long redis_errors;     /* failed connects and commands of
					 * the farm connection (shared with
					 * the key chain when lent) */
	unsigned long redis_skipped;    /* requests not sent: Redis skipped */
};

/* dnsqchain_open - the chain the configuration describes; farm (may be
 * NULL) is borrowed and must outlive the chain, and so is mem, the
 * in-process layer shared with other chains of the process (NULL: one
 * of its own, of local_cache_size entries); errors name the setting.
 * Release it with dnsq_destroy. */
struct dnsq *dnsqchain_open(const struct ms_config *cfg,
			    struct farmcache *farm, struct dnsqmem *mem,
			    struct ms_error *err);
/* dnsqchain_stats - what each layer of q answered so far; all zero when
 * q is not a chain (a zone file, NULL) */
void dnsqchain_stats(const struct dnsq *q, struct dnsqchain_stats *out);

#endif
