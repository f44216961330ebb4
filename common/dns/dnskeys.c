/*
 * dnskeys.c - DKIM keys from DNS: c-ares, or libunbound to validate.
 */
#include <stdlib.h>
#include <string.h>

#include "aresq.h"
#include "dnskeys.h"
#include "dnsqkeys.h"
#include "metrics.h"
#include "msclock.h"
#include "resolver.h"
#include "xalloc.h"

struct dnskeys {
	struct keysource base;          /* first: the source is a dnskeys */
	char *servers;
	char *trust_anchor;
	unsigned timeout_ms;
	struct resolver *res;           /* validating: made on first use */
	struct dnsq *q;                 /* not: c-ares, made on first use */
	struct keysource *qkeys;        /* ... read as keys */
	struct dnskeys_stats stats;
};

/* dk_open - the backend, made at the first lookup; -1 when it cannot
 * be made (err says why) */
static int dk_open(struct dnskeys *dk, struct ms_error *err)
{
	if (dk->trust_anchor[0]) {
		if (!dk->res)
			dk->res = resolver_new(dk->servers, dk->trust_anchor, err);
		return dk->res ? 0 : -1;
	}
	if (!dk->q) {
		dk->q = aresq_new_bounded(dk->servers, dk->timeout_ms, err);
		if (!dk->q)
			return -1;
		dk->qkeys = dnsqkeys_new(dk->q);
	}
	return 0;
}

/* dk_validated - a lookup through libunbound */
static void dk_validated(struct dnskeys *dk, const char *name,
			 unsigned timeout, struct arena *arena,
			 struct key_answer *ans)
{
	struct dns_txt txt;
	size_t i;

	resolver_txt(dk->res, name, timeout, arena, &txt);
	ans->ttl = txt.ttl;
	ans->dnssec = txt.secure;
	/* an answer that is not bogus (bogus is a temporary failure) is
	 * secure or proven insecure */
	ans->validated = txt.status != DNS_TEMPFAIL;
	ans->reason = txt.reason;
	switch (txt.status) {
	case DNS_OK:
		ans->status = KEY_FOUND;
		for (i = 0; i < txt.nrecords; i++) {
			ans->records[i] = txt.records[i];
			ans->record_len[i] = txt.record_len[i];
		}
		ans->nrecords = txt.nrecords;
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		ans->status = KEY_NOTFOUND;
		ans->nxdomain = txt.status == DNS_NXDOMAIN;
		break;
	case DNS_TEMPFAIL:
		ans->status = KEY_TEMPFAIL;
		break;
	}
}

static void dk_lookup(struct keysource *ks, const char *name,
		      uint64_t deadline_ms, struct arena *arena,
		      struct key_answer *ans)
{
	struct dnskeys *dk = (struct dnskeys *)ks;
	unsigned timeout = dk->timeout_ms;
	struct ms_error err;

	if (deadline_ms) {
		uint64_t now = ms_clock_ms();

		if (now >= deadline_ms) {
			ans->status = KEY_TEMPFAIL;
			ans->reason = "the message's DNS time budget is spent";
			return;
		}
		if (deadline_ms - now < timeout)
			timeout = (unsigned)(deadline_ms - now);
	}
	if (dk_open(dk, &err) != 0) {
		ans->status = KEY_TEMPFAIL;
		ans->reason = arena_strdup(arena, err.msg);
		return;
	}
	dk->stats.queries++;
	if (dk->res) {          /* c-ares counts its own (aresq.c) */
		uint64_t started = ms_clock_us();

		dk_validated(dk, name, timeout, arena, ans);
		metrics_observe(MTIMED_DNS, ms_clock_us() - started);
		metrics_inc(MSLOT_LOOKUP(MLAYER_DNS, ans->status == KEY_FOUND
					 ? MOUT_ANSWER : ans->status == KEY_TEMPFAIL
					 ? MOUT_TEMPFAIL : MOUT_NOTFOUND));
	} else    /* c-ares counts the same time from the same deadline */
		keysource_lookup_until(dk->qkeys, name, deadline_ms, arena, ans);
}

/* dnskeys_close - what must not outlive local_scan goes now */
void dnskeys_close(struct keysource *ks)
{
	struct dnskeys *dk = (struct dnskeys *)ks;

	resolver_free(dk->res);
	dk->res = NULL;
}

static void dk_destroy(struct keysource *ks)
{
	struct dnskeys *dk = (struct dnskeys *)ks;

	dnskeys_close(ks);
	keysource_destroy(dk->qkeys);
	dnsq_destroy(dk->q);
	free(dk->servers);
	free(dk->trust_anchor);
	free(dk);
}

static const struct keysource_ops dk_ops = {
	.lookup = dk_lookup,
	.destroy = dk_destroy,
};

/* dnskeys_new - a DNS key source */
struct keysource *dnskeys_new(const char *servers, const char *trust_anchor,
			      unsigned timeout_ms)
{
	struct dnskeys *dk = xcalloc(1, sizeof(*dk));

	dk->base.ops = &dk_ops;
	dk->servers = xstrdup(servers ? servers : "");
	dk->trust_anchor = xstrdup(trust_anchor ? trust_anchor : "");
	dk->timeout_ms = timeout_ms;
	return &dk->base;
}

/* dnskeys_stats - counters of the source */
const struct dnskeys_stats *dnskeys_stats(const struct keysource *ks)
{
	return &((const struct dnskeys *)ks)->stats;
}
