/*
 * dnsqchain.c - the sender-policy DNS source built from the
 * configuration: resolver -> in-process cache -> Redis.
 */
#include <string.h>

#include "aresq.h"
#include "dnsqcache.h"
#include "dnsqchain.h"
#include "farmcache.h"
#include "nodecache.h"

/* dnsqchain_open - the chain the configuration describes */
struct dnsq *dnsqchain_open(const struct ms_config *cfg,
			    struct farmcache *farm, struct dnsqmem *mem,
			    struct ms_error *err)
{
	struct dnsqcache_opts o = {
		.local_size = cfg->local_cache_size,
		.max_ttl = cfg->key_cache_max_ttl,
		.neg_ttl = cfg->negative_cache_ttl,
		.shared = mem,
		.node = nodecache_process(),
	};
	struct farmcache *own = NULL;
	struct ms_error e;
	struct dnsq *res, *q;
	char where[320];

	res = aresq_new(cfg->dns_resolver, cfg->dns_timeout_ms, &e);
	if (!res) {
		ms_error_set(err, MS_ERR_USAGE, "%s: %s",
			     config_where(cfg, "dns_resolver", where,
					  sizeof(where)), e.msg);
		return NULL;
	}
	if (!farm) {
		if (farmcache_open(cfg, &own, err) != MS_OK) {
			dnsq_destroy(res);
			return NULL;
		}
		farm = own;
	}
	q = dnsqcache_new(res, farm, &o);
	if (own)
		dnsqcache_own_farm(q);
	return q;
}

/* dnsqchain_stats - what each layer answered so far */
void dnsqchain_stats(const struct dnsq *q, struct dnsqchain_stats *out)
{
	const struct dnsqcache_stats *st = dnsqcache_stats(q);
	struct farmcache *farm = dnsqcache_farm(q);

	memset(out, 0, sizeof(*out));
	if (!st)
		return;
	out->lookups = st->lookups;
	out->local_hits = st->local_hits;
	out->redis_hits = st->redis_hits;
	out->dns_queries = st->source_lookups;
	out->redis_bad = st->redis_bad;
	out->redis_foreign = st->redis_foreign;
	if (farm) {
		const struct farmcache_stats *fs = farmcache_stats(farm);

		out->redis_errors = fs->errors;
		out->redis_skipped = fs->skipped;
	}
}
