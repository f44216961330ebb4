/*
 * preload.c - what the children fetched, taken into the parent's own
 * caches before its next fork (policy_preload).
 *
 * Exim's daemon forks a session per connection; each session inherits
 * the daemon's engine, in-process caches included.  The node's shared
 * cache (nodecache.h) spares a session the DNS and Redis round trips
 * for what another session fetched, but each would still decode the
 * answer and parse the key again, for itself.  So at each connection
 * the daemon takes a few of the answers sessions put into the node's
 * cache since its last look (the node's ring of recent keys) into its
 * own engine: keys parsed, with their verification contexts, and SPF
 * and DMARC answers in its in-process cache; every session forked
 * after that starts with them ready.  Only memory is read: a key or
 * answer no longer in the node's cache is skipped, never asked of
 * Redis or DNS (the daemon must not wait on the network).
 */
#include <string.h>

#include "dkim_verify.h"
#include "dnsqcache.h"
#include "keycache.h"
#include "msclock.h"
#include "nodecache.h"
#include "policy.h"
#include "policy_int.h"

/* at most this many per connection: the daemon accepts the next
 * connection only after it */
#define PRELOAD_MAX 4

/* pl_type - the question type a DNS answer's key starts with */
static int pl_type(const char *key, enum dnsq_type *t, const char **name)
{
	static const enum dnsq_type types[] = { DNSQ_A, DNSQ_AAAA, DNSQ_MX,
						DNSQ_PTR, DNSQ_TXT };
	size_t i, n;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n = strlen(dnsq_type_str(types[i]));
		if (strncmp(key, dnsq_type_str(types[i]), n) == 0 &&
		    key[n] == ':' && key[n + 1]) {
			*t = types[i];
			*name = key + n + 1;
			return 1;
		}
	}
	return 0;
}

/* pl_answer - a DNS answer into the engine's in-process cache */
static void pl_answer(struct policy *p, const char *name, enum dnsq_type t)
{
	struct dnsq_answer ans;
	struct arena a;

	if (!p->dns)
		return;
	arena_init(&a);
	dnsqcache_memory_only(p->dns, 1);
	dnsq_lookup(p->dns, name, t, ms_clock_ms() + 1000, &a, &ans);
	dnsqcache_memory_only(p->dns, 0);
	arena_free(&a);
}

/* policy_preload - take what the node's sessions fetched lately */
size_t policy_preload(struct policy *p)
{
	char keys[PRELOAD_MAX][NODECACHE_NOTE_MAX + 1];
	struct nodecache *nc = nodecache_process();
	const char *name;
	enum dnsq_type t;
	size_t n, i, taken = 0;

	if (!p || !nc || !p->chain.ks)
		return 0;
	n = nodecache_recent(nc, &p->node_cursor, keys, PRELOAD_MAX);
	for (i = 0; i < n; i++) {
		if (strncmp(keys[i], "key:", 4) == 0) {
			keycache_memory_only(p->chain.ks, 1);
			taken += (size_t)dkim_verifier_preload(p->verifier,
							       keys[i] + 4);
			keycache_memory_only(p->chain.ks, 0);
		} else if (pl_type(keys[i], &t, &name)) {
			pl_answer(p, name, t);
			taken++;
		}
	}
	return taken;
}
