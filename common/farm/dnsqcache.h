/*
 * dnsqcache.h - the farm's cache chain for the DNS questions of the
 * sender-policy methods (dnsq.h: SPF, DMARC): a struct dnsq that
 * answers from an in-process LRU cache (lru.h) first, then from the
 * node's shared cache when the process has one (nodecache.h: Exim's
 * sessions under mailseal_prewarm), then from the farm's Redis
 * (farmcache.h, values in the format of dnsqvalue.h, with the farm's
 * HMAC), and only then asks the source it wraps (the resolver).
 *
 * What the source answers is kept, in both caches, for its TTL:
 * records for at most max_ttl seconds, NODATA and NXDOMAIN for the TTL
 * the answer carries (the SOA's, RFC 2308) but at most neg_ttl (0: not
 * cached); a TTL of 0 is not cached; TEMPFAIL never.  An answer from
 * Redis fills the local cache for the time it has left (bounded the
 * same way), and carries that time as its TTL.  Entries are keyed by
 * type and name, the name in lower case without a final dot, so that
 * varying the case cannot bypass the caches.  A name longer than
 * MS_MAX_DOMAIN goes to the source uncached.
 *
 * A value in Redis that fails its HMAC check or is malformed is a miss:
 * logged (ms_log, warning), counted, asked of the source and replaced.
 * A value of another kind or version (a node of an older or newer
 * version shares the Redis) is a miss too, counted, not logged.  A
 * Redis failure is a miss (farmcache.h: time-outs, back-off and the
 * node's warnings are its own).
 *
 * The cache owns the source it wraps; the farm connection is borrowed
 * (NULL: no Redis), or owned after dnsqcache_own_farm.  Nothing opens a
 * connection before the first lookup.  Not thread-safe: one per thread
 * (the Postfix daemon's workers each have an engine), and a forked
 * child works on its own copy of the local cache; but the in-process
 * layer may be a store that several caches of one process share
 * (dnsqmem.h, opts.shared), and then what one thread fetched is in
 * memory for all.
 *
 * Memory-only mode (dnsqcache_memory_only): a question the in-process
 * layer cannot answer is not asked of Redis or the source; it gets a
 * temporary failure and counts in memory_misses, so that a caller that
 * must not wait (a policy event loop) can tell an outcome made from
 * memory alone from one that needed the network, and hand the latter
 * to a thread.
 */
#ifndef MAILSEAL_DNSQCACHE_H
#define MAILSEAL_DNSQCACHE_H

#include <stddef.h>
#include "dnsq.h"

struct farmcache;
struct dnsqmem;
struct nodecache;

/* the local cache's byte bound when the options give none */
#define DNSQCACHE_LOCAL_BYTES ((size_t)16 << 20)

struct dnsqcache_opts {
	size_t local_size;              /* entries; 0: no local cache */
	size_t local_bytes;             /* 0: DNSQCACHE_LOCAL_BYTES */
	unsigned max_ttl;               /* seconds, answers with records */
	unsigned neg_ttl;               /* seconds, NODATA/NXDOMAIN; 0: not
					 * cached */
	struct dnsqmem *shared;         /* the in-process layer, borrowed
					 * (local_size and local_bytes then
					 * unused); NULL: one of its own */
	struct nodecache *node;         /* the node's shared cache, after
					 * the in-process layer (nodecache.h),
					 * borrowed; NULL: none */
};

struct dnsqcache_stats {
	unsigned long lookups;          /* questions asked of the cache */
	unsigned long local_hits;
	unsigned long node_hits;        /* the node's shared cache */
	unsigned long redis_hits;
	unsigned long redis_bad;        /* HMAC or format: ignored, logged */
	unsigned long redis_foreign;    /* another kind or version: ignored */
	unsigned long source_lookups;   /* asked of the wrapped source (DNS) */
	unsigned long tempfails;        /* of which: temporary failures */
	unsigned long memory_misses;    /* memory-only: not in memory */
};

/* dnsqcache_new - a caching source over src (taken over); farm may be
 * NULL and is borrowed */
struct dnsq *dnsqcache_new(struct dnsq *src, struct farmcache *farm,
			   const struct dnsqcache_opts *o);
/* dnsqcache_own_farm - q releases its farm connection when destroyed */
void dnsqcache_own_farm(struct dnsq *q);
/* dnsqcache_memory_only - on (1): answer from the in-process layer
 * alone, a miss being a counted temporary failure; off (0): the chain */
void dnsqcache_memory_only(struct dnsq *q, int on);
/* dnsqcache_stats - the counters of q; NULL when q is not a dnsqcache */
const struct dnsqcache_stats *dnsqcache_stats(const struct dnsq *q);
/* dnsqcache_farm - the farm connection q uses (NULL: none, or q is not
 * a dnsqcache) */
struct farmcache *dnsqcache_farm(const struct dnsq *q);
/* dnsqcache_source - the wrapped source (NULL: q is not a dnsqcache) */
struct dnsq *dnsqcache_source(struct dnsq *q);

#endif
