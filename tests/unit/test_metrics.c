/*
 * test_metrics.c - the counters and their exposition: counting from
 * threads, histograms, snapshots and differences, slot names both
 * ways, and the text format (every line checked against the grammar
 * of the text exposition format 0.0.4).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "unit.h"

#define THREADS 4
#define PER_THREAD 100000

static void *count_many(void *arg)
{
	unsigned i;

	(void)arg;
	for (i = 0; i < PER_THREAD; i++) {
		metrics_inc(MSLOT_MESSAGE(MROLE_VERIFY, MACT_ACCEPT));
		metrics_observe(MTIMED_DNS, i % 3000);
	}
	return NULL;
}

/* line_ok - one sample line: name, optional {labels}, one value */
static int line_ok(const char *l, size_t n)
{
	size_t i = 0;
	int seen_digit = 0;

	if (n == 0)
		return 0;
	if (!((l[0] >= 'a' && l[0] <= 'z') || (l[0] >= 'A' && l[0] <= 'Z') ||
	      l[0] == '_' || l[0] == ':'))
		return 0;
	while (i < n && (l[i] == '_' || l[i] == ':' ||
			 (l[i] >= 'a' && l[i] <= 'z') ||
			 (l[i] >= 'A' && l[i] <= 'Z') ||
			 (l[i] >= '0' && l[i] <= '9')))
		i++;
	if (i < n && l[i] == '{') {
		i++;
		for (;;) {              /* name="value" pairs */
			size_t s = i;

			while (i < n && ((l[i] >= 'a' && l[i] <= 'z') ||
					 l[i] == '_'))
				i++;
			if (i == s || i + 1 >= n || l[i] != '=' || l[i + 1] != '"')
				return 0;
			i += 2;
			while (i < n && l[i] != '"') {
				if (l[i] == '\\') {
					if (i + 1 >= n || !strchr("\\\"n", l[i + 1]))
						return 0;
					i++;
				}
				i++;
			}
			if (i >= n)
				return 0;
			i++;
			if (i < n && l[i] == ',') {
				i++;
				continue;
			}
			if (i < n && l[i] == '}') {
				i++;
				break;
			}
			return 0;
		}
	}
	if (i >= n || l[i] != ' ')
		return 0;
	for (i++; i < n; i++) {
		if (l[i] >= '0' && l[i] <= '9')
			seen_digit = 1;
		else if (l[i] != '.')
			return 0;
	}
	return seen_digit;
}

/* text_ok - every line a comment of HELP/TYPE or a sample */
static int text_ok(const struct buf *b, char *bad, size_t badlen)
{
	const char *p = buf_str(b), *end = p + b->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n;

		if (!nl) {
			snprintf(bad, badlen, "no final newline");
			return 0;
		}
		n = (size_t)(nl - p);
		if (!(n > 7 && (strncmp(p, "# HELP ", 7) == 0 ||
				strncmp(p, "# TYPE ", 7) == 0)) && !line_ok(p, n)) {
			snprintf(bad, badlen, "%.*s", (int)(n > 120 ? 120 : n), p);
			return 0;
		}
		p = nl + 1;
	}
	return 1;
}

/* has_line - the text holds this exact line */
static int has_line(const struct buf *b, const char *line)
{
	const char *p = buf_str(b);
	size_t n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == buf_str(b) || p[-1] == '\n') && p[n] == '\n')
			return 1;
		p += n;
	}
	return 0;
}

static void test_threads(void)
{
	pthread_t t[THREADS];
	struct metrics_snap s;
	unsigned i;
	const uint64_t *h = &s.v[MSLOT_LATENCY + MTIMED_DNS * METRICS_HIST_SLOTS];

	metrics_reset();
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, count_many, NULL);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	metrics_snapshot(&s);
	CHECK(s.v[MSLOT_MESSAGE(MROLE_VERIFY, MACT_ACCEPT)] ==
	      (uint64_t)THREADS * PER_THREAD,
	      "threads: %d x %d adds, none lost (%llu)", THREADS, PER_THREAD,
	      (unsigned long long)s.v[MSLOT_MESSAGE(MROLE_VERIFY, MACT_ACCEPT)]);
	/* i % 3000 us: of each thread's 100000, 33 whole rounds of 3000
	 * and 0..999: 33 * 501 + 501 at most 500 us, 33 * 1001 + 1000 at
	 * most 1000 us */
	CHECK(h[METRICS_BUCKETS] == (uint64_t)THREADS * PER_THREAD,
	      "threads: histogram count");
	CHECK(h[0] == THREADS * (33 * 501 + 501) &&
	      h[1] == THREADS * (33 * 1001 + 1000),
	      "threads: the first buckets (%llu, %llu)",
	      (unsigned long long)h[0], (unsigned long long)h[1]);
	CHECK(h[METRICS_BUCKETS - 1] == h[METRICS_BUCKETS],
	      "threads: the last finite bucket holds everything under 5 s");
}

static void test_histogram(void)
{
	struct metrics_snap s;
	struct buf b;
	const uint64_t *h = &s.v[MSLOT_LATENCY + MTIMED_REDIS * METRICS_HIST_SLOTS];

	metrics_reset();
	metrics_observe(MTIMED_REDIS, 400);       /* <= 0.0005 */
	metrics_observe(MTIMED_REDIS, 500);       /* <= 0.0005: bounds inclusive */
	metrics_observe(MTIMED_REDIS, 501);       /* <= 0.001 */
	metrics_observe(MTIMED_REDIS, 30000);     /* <= 0.05 */
	metrics_observe(MTIMED_REDIS, 7000000);   /* only +Inf */
	metrics_snapshot(&s);
	CHECK(h[0] == 2 && h[1] == 3 && h[5] == 3 && h[6] == 4 &&
	      h[METRICS_BUCKETS - 1] == 4 && h[METRICS_BUCKETS] == 5,
	      "histogram: buckets cumulative in the snapshot (%llu %llu %llu %llu)",
	      (unsigned long long)h[0], (unsigned long long)h[1],
	      (unsigned long long)h[6], (unsigned long long)h[METRICS_BUCKETS]);
	CHECK(h[METRICS_BUCKETS + 1] == 400 + 500 + 501 + 30000 + 7000000,
	      "histogram: the sum in microseconds");
	buf_init(&b, BUF_UNLIMITED);
	{
		const struct metrics_snap *one[] = { &s };

		metrics_render(&b, one, NULL, 1, 1);
	}
	CHECK(has_line(&b, "mailseal_lookup_duration_seconds_bucket{layer=\"redis\",le=\"0.0005\"} 2"),
	      "histogram: first bucket line");
	CHECK(has_line(&b, "mailseal_lookup_duration_seconds_bucket{layer=\"redis\",le=\"5\"} 4"),
	      "histogram: last finite bucket line");
	CHECK(has_line(&b, "mailseal_lookup_duration_seconds_bucket{layer=\"redis\",le=\"+Inf\"} 5"),
	      "histogram: +Inf is the count");
	CHECK(has_line(&b, "mailseal_lookup_duration_seconds_count{layer=\"redis\"} 5"),
	      "histogram: _count line");
	CHECK(has_line(&b, "mailseal_lookup_duration_seconds_sum{layer=\"redis\"} 7.031401"),
	      "histogram: _sum in seconds");
	CHECK(strstr(buf_str(&b), "# TYPE mailseal_lookup_duration_seconds histogram\n") != NULL,
	      "histogram: its TYPE line");
	buf_free(&b);
}

static void test_render(void)
{
	struct metrics_snap s;
	struct buf b;
	char bad[160] = "";
	const struct metrics_snap *one[1];

	metrics_reset();
	metrics_inc(MSLOT_MESSAGE(MROLE_SIGN, MACT_ACCEPT));
	metrics_inc(MSLOT_MESSAGE(MROLE_SIGN, MACT_ACCEPT));
	metrics_inc(MSLOT_RESULT(MMETH_DKIM, MRES_PASS));
	metrics_inc(MSLOT_REFUSAL(metrics_refusal_of("5.7.20")));
	metrics_inc(MSLOT_REFUSAL(metrics_refusal_of("5.9.99")));
	metrics_inc(MSLOT_LOOKUP(MLAYER_REDIS, MOUT_SKIPPED));
	metrics_set(MSLOT_CONNECTED(MCONN_MILTER), 7);
	metrics_snapshot(&s);
	one[0] = &s;
	buf_init(&b, BUF_UNLIMITED);
	metrics_render(&b, one, NULL, 1, 1);
	CHECK(text_ok(&b, bad, sizeof(bad)), "render: every line is exposition text (%s)",
	      bad);
	CHECK(has_line(&b, "mailseal_messages_total{role=\"sign\",action=\"accept\"} 2"),
	      "render: messages by role and action");
	CHECK(has_line(&b, "mailseal_messages_total{role=\"verify\",action=\"reject\"} 0"),
	      "render: known series shown at zero");
	CHECK(has_line(&b, "mailseal_results_total{method=\"dkim\",result=\"pass\"} 1"),
	      "render: results");
	CHECK(!strstr(buf_str(&b), "method=\"dkim\",result=\"softfail\""),
	      "render: DKIM has no softfail series");
	CHECK(has_line(&b, "mailseal_results_total{method=\"spf\",result=\"softfail\"} 0"),
	      "render: SPF has one");
	CHECK(has_line(&b, "mailseal_refusals_total{dsn=\"5.7.20\"} 1") &&
	      has_line(&b, "mailseal_refusals_total{dsn=\"other\"} 1"),
	      "render: refusals by code, an unknown one as other");
	CHECK(has_line(&b, "mailseal_lookups_total{layer=\"redis\",outcome=\"skipped\"} 1"),
	      "render: lookups by layer");
	CHECK(has_line(&b, "mailseal_connections{kind=\"milter\"} 7"),
	      "render: a gauge");
	CHECK(strstr(buf_str(&b), "# TYPE mailseal_messages_total counter\n# HELP") == NULL &&
	      strstr(buf_str(&b), "# HELP mailseal_messages_total ") == buf_str(&b),
	      "render: HELP then TYPE, once a family");
	buf_reset(&b);
	metrics_render(&b, one, NULL, 1, 0);
	CHECK(!strstr(buf_str(&b), "mailseal_connections{"),
	      "render: gauges left out when asked");
	buf_free(&b);
}

static void test_nodes(void)
{
	struct metrics_snap a = { { 0 } }, c = { { 0 } }, total = { { 0 } };
	const struct metrics_snap *snaps[] = { &total, &a, &c };
	const char *nodes[] = { NULL, "mx1", "odd\"node\\x\ny" };
	struct buf b;
	char bad[160] = "";

	a.v[MSLOT_MESSAGE(MROLE_VERIFY, MACT_REJECT)] = 3;
	c.v[MSLOT_MESSAGE(MROLE_VERIFY, MACT_REJECT)] = 4;
	a.v[MSLOT_CONNECTED(MCONN_POLICY)] = 9;
	metrics_sum(&total, &a);
	metrics_sum(&total, &c);
	CHECK(total.v[MSLOT_MESSAGE(MROLE_VERIFY, MACT_REJECT)] == 7 &&
	      total.v[MSLOT_CONNECTED(MCONN_POLICY)] == 0,
	      "sum: counters add, gauges do not");
	buf_init(&b, BUF_UNLIMITED);
	metrics_render(&b, snaps, nodes, 3, 0);
	CHECK(text_ok(&b, bad, sizeof(bad)), "nodes: exposition text (%s)", bad);
	CHECK(has_line(&b, "mailseal_messages_total{role=\"verify\",action=\"reject\"} 7"),
	      "nodes: the total without a node label");
	CHECK(has_line(&b, "mailseal_messages_total{node=\"mx1\",role=\"verify\",action=\"reject\"} 3"),
	      "nodes: one node's series");
	CHECK(has_line(&b, "mailseal_messages_total{node=\"odd\\\"node\\\\x\\ny\",role=\"verify\",action=\"reject\"} 4"),
	      "nodes: a node name escaped");
	buf_free(&b);
}

static void test_names_and_delta(void)
{
	struct metrics_snap before, now, d;
	struct buf name;
	unsigned s;
	int all = 1, distinct = 1;
	size_t n;

	buf_init(&name, BUF_UNLIMITED);
	for (s = 0; s < METRICS_NSLOTS; s++) {
		metrics_slot_name(s, &name);
		if (metrics_slot_find(buf_str(&name), name.len) != (int)s) {
			all = 0;
			unit_failf("slot names", "%s does not name slot %u",
				   buf_str(&name), s);
			break;
		}
		if (strncmp(buf_str(&name), "mailseal_", 9) != 0)
			distinct = 0;
	}
	CHECK(all, "slot names: every slot found by its name");
	CHECK(distinct, "slot names: all prefixed mailseal_");
	metrics_slot_name(MSLOT_LATENCY + METRICS_BUCKETS + 1, &name);
	CHECK(strcmp(buf_str(&name), "mailseal_lookup_duration_seconds_sum{layer=\"redis\"}") == 0,
	      "slot names: a histogram's sum (%s)", buf_str(&name));
	CHECK(metrics_slot_find("mailseal_nothing{a=\"b\"}", 23) == -1 &&
	      metrics_slot_find("mailseal_messages_total", 23) == -1,
	      "slot names: unknown names are -1");
	buf_free(&name);

	metrics_reset();
	metrics_inc(MSLOT_RESULT(MMETH_SPF, MRES_FAIL));
	metrics_snapshot(&before);
	metrics_inc(MSLOT_RESULT(MMETH_SPF, MRES_FAIL));
	metrics_add(MSLOT_RESULT(MMETH_DMARC, MRES_PASS), 5);
	metrics_observe(MTIMED_DNS, 2000);
	metrics_set(MSLOT_CONNECTED(MCONN_POLICY), 3);
	metrics_snapshot(&now);
	n = metrics_delta(&now, &before, &d);
	CHECK(d.v[MSLOT_RESULT(MMETH_SPF, MRES_FAIL)] == 1 &&
	      d.v[MSLOT_RESULT(MMETH_DMARC, MRES_PASS)] == 5 &&
	      d.v[MSLOT_CONNECTED(MCONN_POLICY)] == 0,
	      "delta: counters by difference, gauges left out");
	/* spf fail, dmarc pass, the histogram: 2 ms is in the bucket
	 * le=0.0025 and every cumulative one above it (11 of 13), its
	 * count, its sum */
	CHECK(n == 2 + 11 + 2, "delta: slots that changed (%zu)", n);
	metrics_reset();
	metrics_snapshot(&now);
	CHECK(metrics_delta(&now, &before, &d) == 0,
	      "delta: a counter that went down counts from zero");
}

int main(void)
{
	test_threads();
	test_histogram();
	test_render();
	test_nodes();
	test_names_and_delta();
	return unit_done();
}
