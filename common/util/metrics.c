/*
 * metrics.c - the counters of the process: one array of atomic slots,
 * the table of families that names them, the exposition writer.
 */
#include <assert.h>
#include <stdatomic.h>
#include <string.h>

#include "metrics.h"

/* relaxed adds: a counter orders nothing, and a scrape that reads one
 * slot a little before another is still a valid exposition */
static _Atomic uint64_t slots[METRICS_NSLOTS];

static const char *const role_words[MROLE_N] = {
	"sign", "verify", "skip", "none"
};
static const char *const action_words[MACT_N] = {
	"accept", "reject", "tempfail", "quarantine"
};
static const char *const method_words[MMETH_N] = { "dkim", "spf", "dmarc" };
static const char *const result_words[MRES_N] = {
	"pass", "fail", "softfail", "neutral", "none", "policy",
	"temperror", "permerror"
};
static const char *const refusal_words[MREF_N] = {
	"4.3.0", "4.3.5", "4.4.3", "4.7.0", "5.6.0", "5.7.1", "5.7.20",
	"5.7.22", "5.7.23", "5.7.24", "other"
};
static const char *const layer_words[MLAYER_N] = { "local", "redis", "dns",
							  "node" };
static const char *const outcome_words[MOUT_N] = {
	"hit", "miss", "error", "skipped", "bad", "answer", "notfound",
	"tempfail"
};
static const char *const timed_words[MTIMED_N] = { "redis", "dns" };
static const char *const conn_words[MCONN_N] = { "policy", "milter" };
static const char *const reload_words[MOKFAIL_N] = { "ok", "failed" };
static const char *const push_words[MOKFAIL_N] = { "ok", "skipped" };

#define BIT(x) (1u << (x))
/* which actions each role has: no engine (none) only defers */
static const uint32_t action_valid[MROLE_N] = {
	[MROLE_SIGN] = BIT(MACT_N) - 1,
	[MROLE_VERIFY] = BIT(MACT_N) - 1,
	[MROLE_SKIP] = BIT(MACT_N) - 1,
	[MROLE_NONE] = BIT(MACT_TEMPFAIL),
};
/* which results each method has (by method) */
static const uint32_t result_valid[MMETH_N] = {
	[MMETH_DKIM] = BIT(MRES_PASS) | BIT(MRES_FAIL) | BIT(MRES_NEUTRAL) |
		       BIT(MRES_NONE) | BIT(MRES_POLICY) | BIT(MRES_TEMPERROR) |
		       BIT(MRES_PERMERROR),
	[MMETH_SPF] = BIT(MRES_PASS) | BIT(MRES_FAIL) | BIT(MRES_SOFTFAIL) |
		      BIT(MRES_NEUTRAL) | BIT(MRES_NONE) | BIT(MRES_TEMPERROR) |
		      BIT(MRES_PERMERROR),
	[MMETH_DMARC] = BIT(MRES_PASS) | BIT(MRES_FAIL) | BIT(MRES_NONE) |
			BIT(MRES_TEMPERROR),
};
/* which outcomes each layer has (by layer) */
static const uint32_t outcome_valid[MLAYER_N] = {
	[MLAYER_LOCAL] = BIT(MOUT_HIT) | BIT(MOUT_MISS),
	[MLAYER_REDIS] = BIT(MOUT_HIT) | BIT(MOUT_MISS) | BIT(MOUT_ERROR) |
			 BIT(MOUT_SKIPPED) | BIT(MOUT_BAD),
	[MLAYER_DNS] = BIT(MOUT_ANSWER) | BIT(MOUT_NOTFOUND) |
		       BIT(MOUT_TEMPFAIL),
	[MLAYER_NODE] = BIT(MOUT_HIT) | BIT(MOUT_MISS),
};

/* a histogram's upper bounds: microseconds, and as the le label */
static const uint64_t bucket_us[METRICS_BUCKETS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000
};
static const char *const bucket_le[METRICS_BUCKETS] = {
	"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
	"0.25", "0.5", "1", "2.5", "5"
};
#define HIST_COUNT METRICS_BUCKETS      /* within a histogram's slots */
#define HIST_SUM (METRICS_BUCKETS + 1)
#define HIST_INF METRICS_HIST_SLOTS     /* not a slot: the +Inf bucket */

enum mkind { MK_COUNTER, MK_GAUGE, MK_HISTOGRAM };

/* one family: up to two labels; a series per pair of their values
 * (the second varies fastest), those valid[first] leaves out skipped */
struct mfamily {
	const char *name;
	const char *help;
	enum mkind kind;
	unsigned first;                 /* its first slot */
	const char *label[2];           /* NULL: no second label */
	const char *const *words[2];
	unsigned n[2];
	const uint32_t *valid;          /* NULL: every pair */
};

#define W(a) a, (unsigned)(sizeof(a) / sizeof(a[0]))

static const struct mfamily families[] = {
	{ "mailseal_messages_total",
	  "Messages given a verdict at the end of the data, by role and action (role none: no engine could be built).",
	  MK_COUNTER, MSLOT_MESSAGES, { "role", "action" },
	  { role_words, action_words }, { MROLE_N, MACT_N }, action_valid },
	{ "mailseal_results_total",
	  "Authentication results evaluated, by method and result (DKIM per signature, DMARC per author domain).",
	  MK_COUNTER, MSLOT_RESULTS, { "method", "result" },
	  { method_words, result_words }, { MMETH_N, MRES_N }, result_valid },
	{ "mailseal_refusals_total",
	  "Refusals (5xx) and deferrals (4xx) the engine answered, at any stage, by enhanced status code.",
	  MK_COUNTER, MSLOT_REFUSALS, { "dsn", NULL },
	  { refusal_words, NULL }, { MREF_N, 1 }, NULL },
	{ "mailseal_lookups_total",
	  "Lookups of DKIM keys and of SPF and DMARC records, by layer (in-process cache, the node's shared cache, Redis, DNS) and outcome.",
	  MK_COUNTER, MSLOT_LOOKUPS, { "layer", "outcome" },
	  { layer_words, outcome_words }, { MLAYER_N, MOUT_N }, outcome_valid },
	{ "mailseal_lookup_duration_seconds",
	  "How long lookups of Redis and DNS took.",
	  MK_HISTOGRAM, MSLOT_LATENCY, { "layer", NULL },
	  { timed_words, NULL }, { MTIMED_N, 1 }, NULL },
	{ "mailseal_config_reloads_total",
	  "Configuration reloads, by result (a failed one keeps the running configuration).",
	  MK_COUNTER, MSLOT_RELOADS, { "result", NULL },
	  { reload_words, NULL }, { MOKFAIL_N, 1 }, NULL },
	{ "mailseal_connections_total",
	  "Client connections accepted, by kind.",
	  MK_COUNTER, MSLOT_CONN_TOTAL, { "kind", NULL },
	  { conn_words, NULL }, { MCONN_N, 1 }, NULL },
	{ "mailseal_connections",
	  "Client connections open now, by kind.",
	  MK_GAUGE, MSLOT_CONN_NOW, { "kind", NULL },
	  { conn_words, NULL }, { MCONN_N, 1 }, NULL },
	{ "mailseal_stats_pushes_total",
	  "Pushes of these counters to the farm's Redis, by result (skipped: Redis away, the counts wait for the next push).",
	  MK_COUNTER, MSLOT_PUSHES, { "result", NULL },
	  { push_words, NULL }, { MOKFAIL_N, 1 }, NULL },
};

#define NFAMILIES (sizeof(families) / sizeof(families[0]))

_Static_assert(MSLOT_PUSHES + MOKFAIL_N == METRICS_NSLOTS,
	       "metrics: the last family ends the slots");

/* fam_slots - how many slots family f has */
static unsigned fam_slots(const struct mfamily *f)
{
	return f->n[0] * f->n[1] * (f->kind == MK_HISTOGRAM
				    ? METRICS_HIST_SLOTS : 1);
}

/* fam_of - the family of slot */
static const struct mfamily *fam_of(unsigned slot)
{
	size_t i;

	for (i = 0; i < NFAMILIES; i++)
		if (slot >= families[i].first &&
		    slot < families[i].first + fam_slots(&families[i]))
			return &families[i];
	return NULL;
}

/* metrics_add - n more in a slot */
void metrics_add(unsigned slot, uint64_t n)
{
	assert(slot < METRICS_NSLOTS);
	atomic_fetch_add_explicit(&slots[slot], n, memory_order_relaxed);
}

/* metrics_set - a gauge's value */
void metrics_set(unsigned slot, uint64_t value)
{
	assert(slot < METRICS_NSLOTS);
	atomic_store_explicit(&slots[slot], value, memory_order_relaxed);
}

/* metrics_observe - one timed lookup: its bucket (kept apart; made
 * cumulative by snapshots), the count and the sum */
void metrics_observe(enum metric_timed layer, uint64_t us)
{
	unsigned base = MSLOT_LATENCY + (unsigned)layer * METRICS_HIST_SLOTS;
	unsigned b;

	assert((unsigned)layer < MTIMED_N);
	for (b = 0; b < METRICS_BUCKETS && us > bucket_us[b]; b++)
		;
	if (b < METRICS_BUCKETS)
		metrics_add(base + b, 1);
	metrics_add(base + HIST_COUNT, 1);
	metrics_add(base + HIST_SUM, us);
}

/* metrics_refusal_of - the label of an enhanced status code */
enum metric_refusal metrics_refusal_of(const char *dsn)
{
	unsigned i;

	for (i = 0; dsn && i < MREF_OTHER; i++)
		if (strcmp(dsn, refusal_words[i]) == 0)
			return (enum metric_refusal)i;
	return MREF_OTHER;
}

/* metrics_snapshot - every slot, histograms made cumulative */
void metrics_snapshot(struct metrics_snap *s)
{
	unsigned i, h, b;

	for (i = 0; i < METRICS_NSLOTS; i++)
		s->v[i] = atomic_load_explicit(&slots[i], memory_order_relaxed);
	for (h = 0; h < MTIMED_N; h++) {
		uint64_t *v = &s->v[MSLOT_LATENCY + h * METRICS_HIST_SLOTS];

		for (b = 1; b < METRICS_BUCKETS; b++)
			v[b] += v[b - 1];
		/* read apart from the buckets: never below them */
		if (v[HIST_COUNT] < v[METRICS_BUCKETS - 1])
			v[HIST_COUNT] = v[METRICS_BUCKETS - 1];
	}
}

/* metrics_hold - every slot, raw */
void metrics_hold(struct metrics_snap *s)
{
	unsigned i;

	for (i = 0; i < METRICS_NSLOTS; i++)
		s->v[i] = atomic_load_explicit(&slots[i], memory_order_relaxed);
}

/* metrics_put_back - every slot as held */
void metrics_put_back(const struct metrics_snap *s)
{
	unsigned i;

	for (i = 0; i < METRICS_NSLOTS; i++)
		atomic_store_explicit(&slots[i], s->v[i], memory_order_relaxed);
}

/* metrics_reset - every slot to zero */
void metrics_reset(void)
{
	unsigned i;

	for (i = 0; i < METRICS_NSLOTS; i++)
		atomic_store_explicit(&slots[i], 0, memory_order_relaxed);
}

/* metrics_is_counter - anything but a gauge */
int metrics_is_counter(unsigned slot)
{
	const struct mfamily *f = fam_of(slot);

	return f && f->kind != MK_GAUGE;
}

/* metrics_delta - now - before, counters only */
size_t metrics_delta(const struct metrics_snap *now,
		     const struct metrics_snap *before,
		     struct metrics_snap *out)
{
	size_t i, n = 0;

	for (i = 0; i < METRICS_NSLOTS; i++) {
		if (!metrics_is_counter((unsigned)i))
			out->v[i] = 0;
		else if (now->v[i] >= before->v[i])
			out->v[i] = now->v[i] - before->v[i];
		else
			out->v[i] = now->v[i];
		n += out->v[i] != 0;
	}
	return n;
}

/* metrics_sum - into += add, counters only */
void metrics_sum(struct metrics_snap *into, const struct metrics_snap *add)
{
	size_t i;

	for (i = 0; i < METRICS_NSLOTS; i++)
		if (metrics_is_counter((unsigned)i))
			into->v[i] += add->v[i];
}

/* put_label_value - v escaped as the exposition format wants */
static void put_label_value(struct buf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_putc(out, '\\');
		if (*v == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *v);
	}
}

/* put_series - the name and labels of one slot of f: index i of the
 * first label, j of the second, part of a histogram (or -1) */
static void put_series(struct buf *out, const struct mfamily *f, unsigned i,
		       unsigned j, int part, const char *node)
{
	buf_puts(out, f->name);
	if (part >= 0)
		buf_puts(out, part == HIST_COUNT ? "_count"
			      : part == HIST_SUM ? "_sum" : "_bucket");
	buf_putc(out, '{');
	if (node) {
		buf_puts(out, "node=\"");
		put_label_value(out, node);
		buf_puts(out, "\",");
	}
	buf_printf(out, "%s=\"%s\"", f->label[0], f->words[0][i]);
	if (f->label[1])
		buf_printf(out, ",%s=\"%s\"", f->label[1], f->words[1][j]);
	if (part >= 0 && (part < HIST_COUNT || part == HIST_INF))
		buf_printf(out, ",le=\"%s\"", part < HIST_COUNT
			   ? bucket_le[part] : "+Inf");
	buf_putc(out, '}');
}

/* slot_parts - where slot sits in its family f */
static void slot_parts(const struct mfamily *f, unsigned slot, unsigned *i,
		       unsigned *j, int *part)
{
	unsigned k = slot - f->first;

	*part = -1;
	if (f->kind == MK_HISTOGRAM) {
		*part = (int)(k % METRICS_HIST_SLOTS);
		k /= METRICS_HIST_SLOTS;
	}
	*i = k / f->n[1];
	*j = k % f->n[1];
}

/* metrics_slot_name - the series of a slot */
void metrics_slot_name(unsigned slot, struct buf *out)
{
	const struct mfamily *f = fam_of(slot);
	unsigned i, j;
	int part;

	assert(f);
	buf_reset(out);
	slot_parts(f, slot, &i, &j, &part);
	put_series(out, f, i, j, part, NULL);
}

/* metrics_slot_find - the slot named p[0..len) */
int metrics_slot_find(const char *p, size_t len)
{
	struct buf name;
	unsigned s;
	int found = -1;

	buf_init(&name, BUF_UNLIMITED);
	for (s = 0; s < METRICS_NSLOTS && found < 0; s++) {
		metrics_slot_name(s, &name);
		if (name.len == len && memcmp(name.data, p, len) == 0)
			found = (int)s;
	}
	buf_free(&name);
	return found;
}

/* put_value - a sample's value: an integer, or a sum of microseconds
 * in seconds */
static void put_value(struct buf *out, uint64_t v, int is_sum)
{
	if (is_sum)
		buf_printf(out, " %llu.%06llu\n", (unsigned long long)(v / 1000000),
			   (unsigned long long)(v % 1000000));
	else
		buf_printf(out, " %llu\n", (unsigned long long)v);
}

/* render_family - f's series of one snapshot */
static void render_family(struct buf *out, const struct mfamily *f,
			  const struct metrics_snap *s, const char *node)
{
	unsigned k, n = fam_slots(f), i, j;
	int part;

	for (k = 0; k < n; k++) {
		slot_parts(f, f->first + k, &i, &j, &part);
		if (f->valid && !(f->valid[i] & BIT(j)))
			continue;
		put_series(out, f, i, j, part, node);
		put_value(out, s->v[f->first + k], part == HIST_SUM);
		if (part == HIST_COUNT - 1) {   /* +Inf: the count */
			put_series(out, f, i, j, HIST_INF, node);
			put_value(out, s->v[f->first + k + 1], 0);
		}
	}
}

/* metrics_render - the exposition of n snapshots */
void metrics_render(struct buf *out, const struct metrics_snap *const *snaps,
		    const char *const *nodes, size_t n, int with_gauges)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	size_t i, k;

	for (i = 0; i < NFAMILIES; i++) {
		const struct mfamily *f = &families[i];

		if (f->kind == MK_GAUGE && !with_gauges)
			continue;
		buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help,
			   f->name, types[f->kind]);
		for (k = 0; k < n; k++)
			render_family(out, f, snaps[k], nodes ? nodes[k] : NULL);
	}
}
