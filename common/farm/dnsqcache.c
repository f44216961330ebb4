/*
 * dnsqcache.c - in-process LRU -> the node's shared cache -> Redis ->
 * source, for dnsq questions.
 *
 * Every cache holds the same bytes (dnsqvalue.h; the local and node
 * copies without an HMAC): one encoder and one defensive parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "dnsqcache.h"
#include "dnsqmem.h"
#include "dnsqvalue.h"
#include "farmcache.h"
#include "ms_limits.h"
#include "msclock.h"
#include "mslog.h"
#include "metrics.h"
#include "nodecache.h"
#include "xalloc.h"

#define DQC_KEY_PREFIX "mailseal:dns:"

struct dnsqcache {
	struct dnsq base;               /* first: the source is a dnsqcache */
	struct dnsq *src;
	struct farmcache *farm;
	int own_farm;
	struct dnsqcache_opts o;
	struct dnsqmem *local;          /* NULL: no in-process cache */
	int own_local;                  /* not o.shared: ours to free */
	int memory_only;                /* dnsqcache_memory_only */
	struct dnsqcache_stats stats;
};

static const struct dnsq_ops dqc_ops;

static struct dnsqcache *dqc_of(const struct dnsq *q)
{
	return q && q->ops == &dqc_ops ? (struct dnsqcache *)q : NULL;
}

/* dqc_norm - name in lower case without a final dot into out (a buffer
 * of MS_MAX_DOMAIN + 1); 0 when it cannot be cached */
static int dqc_norm(const char *name, char *out)
{
	size_t n = strlen(name), i;

	if (n > 1 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > MS_MAX_DOMAIN)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[n] = 0;
	return 1;
}

/* dqc_ttl_for - how long an answer from the source may be kept */
static unsigned dqc_ttl_for(const struct dnsqcache *c,
			    const struct dnsq_answer *ans)
{
	switch (ans->status) {
	case DNSQ_OK:
		return ans->ttl < c->o.max_ttl ? ans->ttl : c->o.max_ttl;
	case DNSQ_NODATA:
	case DNSQ_NXDOMAIN:
		return ans->ttl < c->o.neg_ttl ? ans->ttl : c->o.neg_ttl;
	case DNSQ_TEMPFAIL:
		break;
	}
	return 0;                       /* temporary failures are never kept */
}

/* dqc_keep_local - keep ans in the local cache (and the node's, when
 * there is one) for ttl seconds */
static void dqc_keep_local(struct dnsqcache *c, const char *key,
			   const char *name, enum dnsq_type t,
			   const struct dnsq_answer *ans, unsigned ttl)
{
	struct buf v;

	uint64_t exp_ms = ms_clock_ms() + (uint64_t)ttl * 1000;

	if ((!c->local && !c->o.node) || ttl == 0)
		return;
	buf_init(&v, DNSQVALUE_MAX);
	if (dnsqvalue_encode(name, t, ans, (uint64_t)time(NULL) + ttl, NULL,
			     &v) == MS_OK) {
		if (c->local)
			dnsqmem_put(c->local, key, v.data, v.len, exp_ms);
		if (c->o.node)
			nodecache_put(c->o.node, key, v.data, v.len, exp_ms);
	} else if (c->local) {
		dnsqmem_remove(c->local, key);
	}
	buf_free(&v);
}

/* dqc_decode_kept - ans from v, a value of the local or node cache
 * that expires at exp_ms; 0 when it cannot be read */
static int dqc_decode_kept(const char *name, enum dnsq_type t,
			   const unsigned char *v, size_t len,
			   uint64_t exp_ms, uint64_t now, struct arena *a,
			   struct dnsq_answer *ans)
{
	uint64_t exp;

	if (dnsqvalue_decode(name, t, v, len, NULL, a, ans, &exp) != MS_OK) {
		memset(ans, 0, sizeof(*ans));
		return 0;
	}
	ans->ttl = (uint32_t)((exp_ms - now + 999) / 1000);
	return 1;
}

/* dqc_from_node - the node's shared cache's answer; 1 on a hit (the
 * local cache filled) */
static int dqc_from_node(struct dnsqcache *c, const char *key,
			 const char *name, enum dnsq_type t,
			 struct arena *a, struct dnsq_answer *ans)
{
	const unsigned char *v;
	size_t len;
	uint64_t exp_ms, now = ms_clock_ms();

	if (!c->o.node)
		return 0;
	v = nodecache_get(c->o.node, key, now, a, &len, &exp_ms);
	metrics_inc(MSLOT_LOOKUP(MLAYER_NODE, v ? MOUT_HIT : MOUT_MISS));
	if (!v || !dqc_decode_kept(name, t, v, len, exp_ms, now, a, ans))
		return 0;
	if (c->local)
		dnsqmem_put(c->local, key, v, len, exp_ms);
	return 1;
}

/* dqc_from_local - the local cache's answer; 1 on a hit */
static int dqc_from_local(struct dnsqcache *c, const char *key,
			  const char *name, enum dnsq_type t,
			  struct arena *a, struct dnsq_answer *ans)
{
	const unsigned char *v;
	size_t len;
	uint64_t exp_ms, now = ms_clock_ms();

	if (!c->local)
		return 0;
	v = dnsqmem_get(c->local, key, now, a, &len, &exp_ms);
	if (!v)
		return 0;
	if (!dqc_decode_kept(name, t, v, len, exp_ms, now, a, ans)) {
		dnsqmem_remove(c->local, key);          /* cannot be */
		return 0;
	}
	return 1;
}

/* dqc_from_farm - Redis's answer; 1 on a hit (the local cache filled) */
static int dqc_from_farm(struct dnsqcache *c, const char *key,
			 const char *name, enum dnsq_type t,
			 struct arena *a, struct dnsq_answer *ans)
{
	const unsigned char *v;
	size_t len;
	uint64_t exp = 0, now = (uint64_t)time(NULL);
	unsigned left, cap;
	enum ms_status st;
	struct buf rk;
	enum farm_result fr;

	buf_init(&rk, BUF_UNLIMITED);
	buf_puts(&rk, DQC_KEY_PREFIX);
	buf_puts(&rk, key);
	fr = farmcache_get_value(c->farm, buf_str(&rk), rk.len, a, &v, &len);
	buf_free(&rk);
	if (fr != FARM_HIT)
		return 0;               /* a miss, or Redis down: DNS */
	st = dnsqvalue_decode(name, t, v, len, farmcache_secret(c->farm), a,
			      ans, &exp);
	if (st == MS_ERR_UNSUPPORTED) {
		c->stats.redis_foreign++;
		return 0;
	}
	if (st != MS_OK) {
		c->stats.redis_bad++;
		ms_log(MS_LOG_WARN, "cached DNS answer %s %s; ignored, asking DNS",
		       key, st == MS_ERR_CRYPTO ? "failed its HMAC check"
		       : "is malformed");
		memset(ans, 0, sizeof(*ans));
		return 0;
	}
	cap = ans->status == DNSQ_OK ? c->o.max_ttl : c->o.neg_ttl;
	if (exp <= now || cap == 0) {
		memset(ans, 0, sizeof(*ans));
		return 0;
	}
	/* a value's own expiry (another node's settings, or a Redis TTL
	 * changed by hand) never keeps it past what ours allow */
	left = exp - now < cap ? (unsigned)(exp - now) : cap;
	ans->ttl = left;
	dqc_keep_local(c, key, name, t, ans, left);
	return 1;
}

/* dqc_keep_farm - keep what the source answered in Redis */
static void dqc_keep_farm(struct dnsqcache *c, const char *key,
			  const char *name, enum dnsq_type t,
			  const struct dnsq_answer *ans, unsigned ttl)
{
	struct buf rk, v;

	buf_init(&v, DNSQVALUE_MAX);
	if (dnsqvalue_encode(name, t, ans, (uint64_t)time(NULL) + ttl,
			     farmcache_secret(c->farm), &v) == MS_OK) {
		buf_init(&rk, BUF_UNLIMITED);
		buf_puts(&rk, DQC_KEY_PREFIX);
		buf_puts(&rk, key);
		(void)farmcache_put_value(c->farm, buf_str(&rk), rk.len,
					  v.data, v.len, ttl);
		buf_free(&rk);
	}
	buf_free(&v);
}

/* dqc_not_in_memory - the answer of a question that memory alone
 * cannot answer, in memory-only mode: a temporary failure, counted */
static void dqc_not_in_memory(struct dnsqcache *c, struct dnsq_answer *ans)
{
	c->stats.memory_misses++;
	ans->status = DNSQ_TEMPFAIL;
	ans->reason = "not in the in-process cache";
}

/* dqc_lookup - local cache, Redis, then the source */
static void dqc_lookup(struct dnsq *q, const char *qname, enum dnsq_type t,
		       uint64_t deadline_ms, struct arena *a,
		       struct dnsq_answer *ans)
{
	struct dnsqcache *c = (struct dnsqcache *)q;
	char name[MS_MAX_DOMAIN + 1], key[MS_MAX_DOMAIN + 16];
	unsigned ttl;
	int hit;

	c->stats.lookups++;
	if (!dqc_norm(qname, name)) {
		if (c->memory_only) {
			dqc_not_in_memory(c, ans);
			return;
		}
		c->stats.source_lookups++;
		dnsq_lookup(c->src, qname, t, deadline_ms, a, ans);
		c->stats.tempfails += ans->status == DNSQ_TEMPFAIL;
		return;
	}
	snprintf(key, sizeof(key), "%s:%s", dnsq_type_str(t), name);
	hit = dqc_from_local(c, key, name, t, a, ans);
	if (c->local)
		metrics_inc(MSLOT_LOOKUP(MLAYER_LOCAL, hit ? MOUT_HIT : MOUT_MISS));
	if (hit) {
		c->stats.local_hits++;
		return;
	}
	if (dqc_from_node(c, key, name, t, a, ans)) {
		c->stats.node_hits++;
		return;
	}
	if (c->memory_only) {
		dqc_not_in_memory(c, ans);
		return;
	}
	if (c->farm && dqc_from_farm(c, key, name, t, a, ans)) {
		c->stats.redis_hits++;
		return;
	}
	c->stats.source_lookups++;
	dnsq_lookup(c->src, name, t, deadline_ms, a, ans);
	if (ans->status == DNSQ_TEMPFAIL) {
		c->stats.tempfails++;
		return;
	}
	ttl = dqc_ttl_for(c, ans);
	if (ttl == 0)
		return;
	dqc_keep_local(c, key, name, t, ans, ttl);
	if (c->farm)
		dqc_keep_farm(c, key, name, t, ans, ttl);
}

static void dqc_destroy(struct dnsq *q)
{
	struct dnsqcache *c = (struct dnsqcache *)q;

	if (c->own_local)
		dnsqmem_free(c->local);
	dnsq_destroy(c->src);
	if (c->own_farm)
		farmcache_free(c->farm);
	free(c);
}

static const struct dnsq_ops dqc_ops = { dqc_lookup, dqc_destroy };

/* dnsqcache_new - a caching source over src */
struct dnsq *dnsqcache_new(struct dnsq *src, struct farmcache *farm,
			   const struct dnsqcache_opts *o)
{
	struct dnsqcache *c = xcalloc(1, sizeof(*c));

	c->base.ops = &dqc_ops;
	c->src = src;
	c->farm = farm;
	c->o = *o;
	if (o->shared) {
		c->local = o->shared;
	} else {
		c->local = dnsqmem_new(o->local_size, o->local_bytes
				       ? o->local_bytes : DNSQCACHE_LOCAL_BYTES);
		c->own_local = 1;
	}
	return &c->base;
}

/* dnsqcache_own_farm - q releases its farm connection */
void dnsqcache_own_farm(struct dnsq *q)
{
	struct dnsqcache *c = dqc_of(q);

	if (c)
		c->own_farm = 1;
}

/* dnsqcache_memory_only - answer from the in-process cache alone */
void dnsqcache_memory_only(struct dnsq *q, int on)
{
	struct dnsqcache *c = dqc_of(q);

	if (c)
		c->memory_only = on;
}

/* dnsqcache_stats - the counters of q */
const struct dnsqcache_stats *dnsqcache_stats(const struct dnsq *q)
{
	struct dnsqcache *c = dqc_of(q);

	return c ? &c->stats : NULL;
}

/* dnsqcache_farm - the farm connection q uses */
struct farmcache *dnsqcache_farm(const struct dnsq *q)
{
	struct dnsqcache *c = dqc_of(q);

	return c ? c->farm : NULL;
}

/* dnsqcache_source - the wrapped source */
struct dnsq *dnsqcache_source(struct dnsq *q)
{
	struct dnsqcache *c = dqc_of(q);

	return c ? c->src : NULL;
}
