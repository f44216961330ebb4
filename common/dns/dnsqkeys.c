/*
 * dnsqkeys.c - DKIM key lookups over a DNS question source.
 */
#include <stdlib.h>
#include <string.h>

#include "dnsqkeys.h"
#include "xalloc.h"

struct dnsqkeys {
	struct keysource base;
	struct dnsq *q;
};

static void dk_lookup(struct keysource *ks, const char *name,
		      uint64_t deadline_ms, struct arena *arena,
		      struct key_answer *ans)
{
	struct dnsqkeys *k = (struct dnsqkeys *)ks;
	struct dnsq_answer a;
	size_t i;

	memset(ans, 0, sizeof(*ans));
	dnsq_lookup(k->q, name, DNSQ_TXT, deadline_ms, arena, &a);
	ans->ttl = a.ttl;
	switch (a.status) {
	case DNSQ_OK:
		ans->status = KEY_FOUND;
		for (i = 0; i < a.n && ans->nrecords < MS_MAX_KEY_RECORDS; i++) {
			ans->records[ans->nrecords] = a.rr[i].txt;
			ans->record_len[ans->nrecords++] = a.rr[i].txt_len;
		}
		break;
	case DNSQ_NODATA:
	case DNSQ_NXDOMAIN:
		ans->status = KEY_NOTFOUND;
		ans->nxdomain = a.status == DNSQ_NXDOMAIN;
		break;
	case DNSQ_TEMPFAIL:
		ans->status = KEY_TEMPFAIL;
		ans->reason = a.reason ? a.reason : "DNS failure";
		break;
	}
}

static void dk_destroy(struct keysource *ks)
{
	free(ks);
}

static const struct keysource_ops dk_ops = { dk_lookup, dk_destroy };

/* dnsqkeys_new - a key source over q */
struct keysource *dnsqkeys_new(struct dnsq *q)
{
	struct dnsqkeys *k = xcalloc(1, sizeof(*k));

	k->base.ops = &dk_ops;
	k->q = q;
	return &k->base;
}
