/*
 * keycache.h - the key lookup chain: in-process LRU -> Redis -> source.
 *
 * keycache wraps another key source (DNS, usually) and answers from an
 * in-process LRU cache first, then from the node's shared cache (when
 * the process has one: nodecache.h, Exim's sessions), then from the
 * farm's Redis (when one is given), and only then asks the source.
 * What the source answers is kept: positive answers for min(TTL,
 * max_ttl), NXDOMAIN/NODATA for neg_ttl; temporary failures never.
 * Answers found in a later layer fill the earlier ones.  The keycache owns the source it wraps and borrows
 * the Redis connection.
 *
 * A node that validates DNSSEC (require_validated) takes from either
 * cache only answers that a validating resolver gave (secure, or
 * proven insecure): another node's unvalidated answer may be one that
 * validation would refuse, and is asked of DNS again instead.  A node
 * that does not validate takes any answer.
 */
#ifndef MAILSEAL_KEYCACHE_H
#define MAILSEAL_KEYCACHE_H

#include <stddef.h>
#include "keysource.h"

struct farmcache;
struct nodecache;

struct keycache_opts {
	size_t local_size;              /* entries; 0: no local cache */
	unsigned max_ttl;               /* seconds */
	unsigned neg_ttl;               /* seconds; 0: not cached */
	int require_validated;          /* the node validates DNSSEC */
	struct nodecache *node;         /* the node's shared cache, borrowed;
					 * NULL: none */
};

struct keycache_stats {
	unsigned long lookups;
	unsigned long local_hits;
	unsigned long node_hits;        /* the node's shared cache */
	unsigned long redis_hits;
	unsigned long source_lookups;   /* reached DNS (or the source) */
	unsigned long unvalidated;      /* cached answers passed over for
					 * want of validation */
};

/* keycache_new - a caching source over src (taken over); farm may be
 * NULL (no Redis) and is borrowed */
struct keysource *keycache_new(struct keysource *src,
			       struct farmcache *farm,
			       const struct keycache_opts *o);
/* keycache_memory_only - on: a name neither the in-process cache nor
 * the node's has is not asked of Redis or the source but answered
 * KEY_TEMPFAIL (a parent taking its children's keys into its own
 * caches must never wait on the network: policy_preload) */
void keycache_memory_only(struct keysource *ks, int on);
/* keycache_stats - counters (ks must be a keycache) */
const struct keycache_stats *keycache_stats(const struct keysource *ks);
/* keycache_source - the wrapped source */
struct keysource *keycache_source(struct keysource *ks);

#endif
