/*
 * keycache.c - the key lookup chain: in-process LRU -> Redis -> source.
 *
 * The local cache is a chained hash table with an LRU list; entries
 * expire on the monotonic clock.
 */
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "buf.h"
#include "farmcache.h"
#include "farmvalue.h"
#include "keycache.h"
#include "metrics.h"
#include "msclock.h"
#include "mslog.h"
#include "nodecache.h"
#include "xalloc.h"

/* the node's shared cache holds key answers under "key:" and the name,
 * in Redis's value format without the HMAC (farmvalue.h) */
#define KC_NODE_PREFIX "key:"

struct kc_entry {
	char *name;
	enum key_status status;
	int dnssec;
	int validated;
	size_t nrecords;
	unsigned char *records[MS_MAX_KEY_RECORDS];
	size_t record_len[MS_MAX_KEY_RECORDS];
	uint64_t expires_ms;
	struct kc_entry *hnext;         /* hash chain */
	struct kc_entry *prev, *next;   /* LRU: head is the newest */
};

struct keycache {
	struct keysource base;          /* first: the source is a keycache */
	struct keysource *src;
	struct farmcache *farm;
	struct keycache_opts o;
	struct kc_entry **table;
	size_t nbuckets;
	size_t count;
	struct kc_entry *head, *tail;
	struct keycache_stats stats;
	int memory_only;                /* keycache_memory_only */
};

static size_t kc_hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static void kc_unlink(struct keycache *kc, struct kc_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		kc->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		kc->tail = e->prev;
	e->prev = e->next = NULL;
}

static void kc_push_front(struct keycache *kc, struct kc_entry *e)
{
	e->prev = NULL;
	e->next = kc->head;
	if (kc->head)
		kc->head->prev = e;
	kc->head = e;
	if (!kc->tail)
		kc->tail = e;
}

static void kc_entry_free(struct kc_entry *e)
{
	size_t i;

	for (i = 0; i < e->nrecords; i++)
		free(e->records[i]);
	free(e->name);
	free(e);
}

static void kc_remove(struct keycache *kc, struct kc_entry *e)
{
	struct kc_entry **pp = &kc->table[kc_hash(e->name) % kc->nbuckets];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	kc_unlink(kc, e);
	kc->count--;
	kc_entry_free(e);
}

static struct kc_entry *kc_find(struct keycache *kc, const char *name)
{
	struct kc_entry *e;

	for (e = kc->table[kc_hash(name) % kc->nbuckets]; e; e = e->hnext)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

/* kc_store - keep ans for ttl seconds, replacing any entry */
static void kc_store(struct keycache *kc, const char *name,
		     const struct key_answer *ans, unsigned ttl)
{
	struct kc_entry *e;
	size_t b, i;

	if (!kc->table || ttl == 0)
		return;
	e = kc_find(kc, name);
	if (e)
		kc_remove(kc, e);
	while (kc->count >= kc->o.local_size && kc->tail)
		kc_remove(kc, kc->tail);
	e = xcalloc(1, sizeof(*e));
	e->name = xstrdup(name);
	e->status = ans->status;
	e->dnssec = ans->dnssec;
	e->validated = ans->validated;
	for (i = 0; i < ans->nrecords; i++) {
		e->records[i] = (unsigned char *)
			xstrndup((const char *)ans->records[i], ans->record_len[i]);
		e->record_len[i] = ans->record_len[i];
	}
	e->nrecords = ans->nrecords;
	e->expires_ms = ms_clock_ms() + (uint64_t)ttl * 1000;
	b = kc_hash(name) % kc->nbuckets;
	e->hnext = kc->table[b];
	kc->table[b] = e;
	kc_push_front(kc, e);
	kc->count++;
}

static void kc_answer_from(const struct kc_entry *e, struct arena *arena,
			   struct key_answer *ans)
{
	size_t i;

	ans->status = e->status;
	ans->dnssec = e->dnssec;
	ans->validated = e->validated;
	ans->nrecords = e->nrecords;
	for (i = 0; i < e->nrecords; i++) {
		ans->records[i] = (const unsigned char *)
			arena_memdup(arena, e->records[i], e->record_len[i]);
		ans->record_len[i] = e->record_len[i];
	}
	if (e->status == KEY_NOTFOUND)
		ans->reason = "no key (cached answer)";
}

static unsigned kc_ttl_for(const struct keycache *kc,
			   const struct key_answer *ans)
{
	if (ans->status == KEY_NOTFOUND)
		return kc->o.neg_ttl;
	if (ans->status != KEY_FOUND)
		return 0;               /* temporary errors are never kept */
	/* a DNS TTL of 0 means "do not cache" */
	return ans->ttl < kc->o.max_ttl ? ans->ttl : kc->o.max_ttl;
}

/* kc_node_key - the node cache's key for name, in a */
static const char *kc_node_key(const char *name, struct arena *a)
{
	size_t n = strlen(name);
	char *k = arena_alloc(a, sizeof(KC_NODE_PREFIX) + n);

	memcpy(k, KC_NODE_PREFIX, sizeof(KC_NODE_PREFIX) - 1);
	memcpy(k + sizeof(KC_NODE_PREFIX) - 1, name, n + 1);
	return k;
}

/* kc_to_node - share ans with the node's other processes for ttl
 * seconds */
static void kc_to_node(struct keycache *kc, const char *name,
		       const struct key_answer *ans, unsigned ttl,
		       struct arena *a)
{
	struct buf v;

	if (!kc->o.node || ttl == 0)
		return;
	buf_init(&v, BUF_UNLIMITED);
	if (farmvalue_encode(name, ans, (uint64_t)time(NULL) + ttl, NULL,
			     &v) == MS_OK)
		nodecache_put(kc->o.node, kc_node_key(name, a), v.data, v.len,
			      ms_clock_ms() + (uint64_t)ttl * 1000);
	buf_free(&v);
}

/* kc_from_node - the node cache's answer; 1 on a hit (*ttl: the
 * seconds it has left) */
static int kc_from_node(struct keycache *kc, const char *name,
			struct arena *a, struct key_answer *ans,
			unsigned *ttl)
{
	const unsigned char *v;
	size_t len;
	uint64_t exp_ms, exp, now = ms_clock_ms();

	if (!kc->o.node)
		return 0;
	v = nodecache_get(kc->o.node, kc_node_key(name, a), now, a, &len,
			  &exp_ms);
	metrics_inc(MSLOT_LOOKUP(MLAYER_NODE, v ? MOUT_HIT : MOUT_MISS));
	if (!v)
		return 0;
	if (farmvalue_decode(name, v, len, NULL, a, ans, &exp) != MS_OK ||
	    (ans->status != KEY_FOUND && ans->status != KEY_NOTFOUND)) {
		memset(ans, 0, sizeof(*ans));
		return 0;
	}
	if (kc->o.require_validated && !ans->validated) {
		kc->stats.unvalidated++;
		memset(ans, 0, sizeof(*ans));
		return 0;
	}
	*ttl = (unsigned)((exp_ms - now + 999) / 1000);
	if (ans->status == KEY_NOTFOUND)
		ans->reason = "no key (cached answer)";
	return 1;
}

static void kc_lookup(struct keysource *ks, const char *query,
		      uint64_t deadline_ms, struct arena *arena,
		      struct key_answer *ans)
{
	struct keycache *kc = (struct keycache *)ks;
	char *name = arena_strdup(arena, query);
	struct kc_entry *e;
	unsigned ttl = 0;
	char *p;

	/* DNS names are case-insensitive: one entry whatever the case, so
	 * that varying it cannot bypass the caches */
	for (p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	e = kc->table ? kc_find(kc, name) : NULL;

	kc->stats.lookups++;
	if (e && kc->o.require_validated && !e->validated) {
		kc->stats.unvalidated++;
		kc_remove(kc, e);
		e = NULL;
	}
	if (e && e->expires_ms > ms_clock_ms()) {
		kc_unlink(kc, e);
		kc_push_front(kc, e);
		kc_answer_from(e, arena, ans);
		kc->stats.local_hits++;
		metrics_inc(MSLOT_LOOKUP(MLAYER_LOCAL, MOUT_HIT));
		return;
	}
	if (kc->table)
		metrics_inc(MSLOT_LOOKUP(MLAYER_LOCAL, MOUT_MISS));
	if (e)
		kc_remove(kc, e);
	if (kc_from_node(kc, name, arena, ans, &ttl)) {
		kc->stats.node_hits++;
		kc_store(kc, name, ans, ttl);
		return;
	}
	if (kc->memory_only) {
		memset(ans, 0, sizeof(*ans));
		ans->status = KEY_TEMPFAIL;
		ans->reason = "not in memory";
		return;
	}
	if (kc->farm) {
		switch (farmcache_get_key(kc->farm, name, arena, ans, &ttl)) {
		case FARM_HIT:
			if (kc->o.require_validated && !ans->validated) {
				/* maybe what validation refuses: ask DNS,
				 * and the farm gets the validated answer */
				kc->stats.unvalidated++;
				break;
			}
			kc->stats.redis_hits++;
			kc_store(kc, name, ans, ttl);
			kc_to_node(kc, name, ans, ttl, arena);
			return;
		case FARM_BAD:
			ms_log(MS_LOG_WARN, "%s; ignored, asking DNS",
			       farmcache_last_error(kc->farm));
			break;
		case FARM_MISS:
		case FARM_ERROR:
			break;
		}
		memset(ans, 0, sizeof(*ans));
	}
	kc->stats.source_lookups++;
	keysource_lookup_until(kc->src, name, deadline_ms, arena, ans);
	ttl = kc_ttl_for(kc, ans);
	if (ttl == 0)
		return;
	kc_store(kc, name, ans, ttl);
	kc_to_node(kc, name, ans, ttl, arena);
	if (kc->farm)
		(void)farmcache_put_key(kc->farm, name, ans, ttl);
}

static void kc_destroy(struct keysource *ks)
{
	struct keycache *kc = (struct keycache *)ks;

	while (kc->head)
		kc_remove(kc, kc->head);
	free(kc->table);
	keysource_destroy(kc->src);
	free(kc);
}

static const struct keysource_ops kc_ops = {
	.lookup = kc_lookup,
	.destroy = kc_destroy,
};

/* keycache_new - a caching source over src */
struct keysource *keycache_new(struct keysource *src,
			       struct farmcache *farm,
			       const struct keycache_opts *o)
{
	struct keycache *kc = xcalloc(1, sizeof(*kc));

	kc->base.ops = &kc_ops;
	kc->src = src;
	kc->farm = farm;
	kc->o = *o;
	if (kc->o.local_size) {
		kc->nbuckets = kc->o.local_size < 64 ? 64 : kc->o.local_size;
		kc->table = xcalloc(kc->nbuckets, sizeof(*kc->table));
	}
	return &kc->base;
}

/* keycache_memory_only - answer from memory alone */
void keycache_memory_only(struct keysource *ks, int on)
{
	((struct keycache *)ks)->memory_only = on;
}

/* keycache_stats - counters */
const struct keycache_stats *keycache_stats(const struct keysource *ks)
{
	return &((const struct keycache *)ks)->stats;
}

/* keycache_source - the wrapped source */
struct keysource *keycache_source(struct keysource *ks)
{
	return ((struct keycache *)ks)->src;
}
