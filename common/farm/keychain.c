/*
 * keychain.c - the key lookup chain built from the configuration.
 */
#include <string.h>
#include <time.h>

#include "dnskeys.h"
#include "dnsservers.h"
#include "farmcache.h"
#include "keycache.h"
#include "keychain.h"
#include "nodecache.h"

/* kc_seen - the farm's record of a passing signature, kept for
 * signature_retention */
static uint64_t kc_seen(void *arg, const unsigned char *sig_id,
			const char *txid)
{
	struct keychain *kc = arg;
	struct farm_sig fs;

	if (farmcache_note_signature(kc->farm, sig_id, txid,
				     (uint64_t)time(NULL), kc->sig_ttl,
				     &fs) != FARM_HIT)
		return 0;
	return fs.count;
}

/* keychain_open - the chain the configuration describes */
enum ms_status keychain_open(struct keychain *kc, const struct ms_config *cfg,
			     struct ms_error *err)
{
	struct keycache_opts ko = {
		.local_size = cfg->local_cache_size,
		.max_ttl = cfg->key_cache_max_ttl,
		.neg_ttl = cfg->negative_cache_ttl,
		.require_validated = *cfg->dns_trust_anchor != 0,
		.node = nodecache_process(),
	};

	memset(kc, 0, sizeof(*kc));
	kc->sig_ttl = cfg->signature_retention;
	/* the resolver is made at the first lookup: its servers are
	 * checked now, so that a typo fails at start (config check,
	 * mailseal-policyd -t), not on every message */
	if (*cfg->dns_resolver) {
		struct ms_error e;
		char where[320];

		if (dnsservers_check(cfg->dns_resolver, &e) != MS_OK)
			return ms_error_set(err, MS_ERR_USAGE,
					    "%s: %s (servers are written IP, "
					    "IP:PORT, [IPv6]:PORT or IPv6)",
					    config_where(cfg, "dns_resolver",
							 where, sizeof(where)),
					    e.msg);
	}
	if (farmcache_open(cfg, &kc->farm, err) != MS_OK)
		return err ? err->code : MS_ERR_USAGE;
	kc->ks = keycache_new(dnskeys_new(cfg->dns_resolver,
					  cfg->dns_trust_anchor,
					  cfg->dns_timeout_ms), kc->farm, &ko);
	return MS_OK;
}

/* keychain_close - release it all */
void keychain_close(struct keychain *kc)
{
	keysource_destroy(kc->ks);
	farmcache_free(kc->farm);
	kc->ks = NULL;
	kc->farm = NULL;
}

/* keychain_verifier_opts - the verifier options that go with the chain */
void keychain_verifier_opts(struct keychain *kc, const struct ms_config *cfg,
			    struct dkim_verifier_opts *o)
{
	o->max_sigs = cfg->max_signatures;
	o->dns_budget_ms = cfg->dns_message_budget_ms;
	o->seen = kc->farm ? kc_seen : NULL;
	o->seen_arg = kc;
}

/* keychain_stats - what each layer answered so far */
void keychain_stats(const struct keychain *kc, struct keychain_stats *out)
{
	const struct keycache_stats *st = keycache_stats(kc->ks);

	memset(out, 0, sizeof(*out));
	out->dns_queries = dnskeys_stats(keycache_source(kc->ks))->queries;
	out->local_hits = st->local_hits;
	out->redis_hits = st->redis_hits;
	out->redis_unvalidated = st->unvalidated;
	if (kc->farm) {
		const struct farmcache_stats *fs = farmcache_stats(kc->farm);

		out->redis_errors = fs->errors;
		out->redis_timeouts = fs->timeouts;
		out->redis_skipped = fs->skipped;
		out->redis_outages = fs->outages;
		out->redis_redirects = fs->redirects;
	}
}
