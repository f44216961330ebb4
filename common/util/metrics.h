/*
 * metrics.h - the process's counters of what mailseal did, and their
 * Prometheus text exposition (format 0.0.4), for an operator's graphs.
 *
 * One fixed set of series, every name prefixed mailseal_ (the table of
 * families is in metrics.c, the list for administrators in
 * docs/postfix.md): messages by role and action, results by method and
 * result, refusals by enhanced status code, lookups by layer (the
 * in-process cache, Redis, DNS) with latency histograms for Redis and
 * DNS, configuration reloads, connections, and the pushes of these
 * counters to the farm's Redis.  Each series is one slot of a fixed
 * array: a slot number is computed from the labels by the macros
 * below, so that counting costs one relaxed atomic add on the mail
 * path, takes no lock and allocates nothing, from any thread.  The
 * counters are global to the process: a forked child starts with its
 * parent's values (what a pusher compares against is copied with
 * them, so nothing is counted twice).
 *
 * A snapshot (struct metrics_snap) is a copy of every slot in the form
 * the exposition shows: a histogram's buckets cumulative, its sum in
 * microseconds.  Snapshots subtract (what to push since the last push)
 * and add (a farm's total), are named slot by slot (metrics_slot_name:
 * the field names of the farm's Redis hash, redis/SCHEMA.md) and are
 * rendered as exposition text, several at once with a node label.
 *
 * Nothing here fails: an unknown enhanced status code is counted as
 * "other", a value past a label's range is a caller's bug (assert).
 */
#ifndef MAILSEAL_METRICS_H
#define MAILSEAL_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

enum metric_role { MROLE_SIGN, MROLE_VERIFY, MROLE_SKIP, MROLE_NONE, MROLE_N };
enum metric_action { MACT_ACCEPT, MACT_REJECT, MACT_TEMPFAIL, MACT_QUARANTINE,
		     MACT_N };
enum metric_method { MMETH_DKIM, MMETH_SPF, MMETH_DMARC, MMETH_N };
/* the words of every method's results (not every method has each) */
enum metric_result { MRES_PASS, MRES_FAIL, MRES_SOFTFAIL, MRES_NEUTRAL,
		     MRES_NONE, MRES_POLICY, MRES_TEMPERROR, MRES_PERMERROR,
		     MRES_N };
/* the enhanced status codes of the engine's refusals */
enum metric_refusal { MREF_4_3_0, MREF_4_3_5, MREF_4_4_3, MREF_4_7_0,
		      MREF_5_6_0, MREF_5_7_1, MREF_5_7_20, MREF_5_7_22,
		      MREF_5_7_23, MREF_5_7_24, MREF_OTHER, MREF_N };
/* node: the node's shared-memory cache (nodecache.h), Exim with
 * mailseal_prewarm */
enum metric_layer { MLAYER_LOCAL, MLAYER_REDIS, MLAYER_DNS, MLAYER_NODE,
		   MLAYER_N };
/* what a lookup of a layer gave: local hit/miss; Redis hit, miss,
 * error (failed or timed out), skipped (Redis in back-off: not asked),
 * bad (a value that failed its HMAC or format check); DNS answer
 * (records), notfound (NXDOMAIN/NODATA), tempfail */
enum metric_outcome { MOUT_HIT, MOUT_MISS, MOUT_ERROR, MOUT_SKIPPED, MOUT_BAD,
		      MOUT_ANSWER, MOUT_NOTFOUND, MOUT_TEMPFAIL, MOUT_N };
/* the layers with a latency histogram */
enum metric_timed { MTIMED_REDIS, MTIMED_DNS, MTIMED_N };
enum metric_conn { MCONN_POLICY, MCONN_MILTER, MCONN_N };
enum metric_okfail { MOK, MFAILED, MOKFAIL_N };

/* a histogram's upper bounds, microseconds (the last, +Inf, is its
 * count) */
#define METRICS_BUCKETS 13
#define METRICS_HIST_SLOTS (METRICS_BUCKETS + 2)        /* + count, sum */

/* the first slot of each family, in the order of metrics.c's table */
enum {
	MSLOT_MESSAGES = 0,
	MSLOT_RESULTS = MSLOT_MESSAGES + MROLE_N * MACT_N,
	MSLOT_REFUSALS = MSLOT_RESULTS + MMETH_N * MRES_N,
	MSLOT_LOOKUPS = MSLOT_REFUSALS + MREF_N,
	MSLOT_LATENCY = MSLOT_LOOKUPS + MLAYER_N * MOUT_N,
	MSLOT_RELOADS = MSLOT_LATENCY + MTIMED_N * METRICS_HIST_SLOTS,
	MSLOT_CONN_TOTAL = MSLOT_RELOADS + MOKFAIL_N,
	MSLOT_CONN_NOW = MSLOT_CONN_TOTAL + MCONN_N,
	MSLOT_PUSHES = MSLOT_CONN_NOW + MCONN_N,
	METRICS_NSLOTS = MSLOT_PUSHES + MOKFAIL_N
};

#define MSLOT_MESSAGE(role, action) (MSLOT_MESSAGES + (role) * MACT_N + (action))
#define MSLOT_RESULT(method, res)   (MSLOT_RESULTS + (method) * MRES_N + (res))
#define MSLOT_REFUSAL(r)            (MSLOT_REFUSALS + (r))
#define MSLOT_LOOKUP(layer, out)    (MSLOT_LOOKUPS + (layer) * MOUT_N + (out))
#define MSLOT_RELOAD(okfail)        (MSLOT_RELOADS + (okfail))
#define MSLOT_CONNECTIONS(kind)     (MSLOT_CONN_TOTAL + (kind))
#define MSLOT_CONNECTED(kind)       (MSLOT_CONN_NOW + (kind))
#define MSLOT_PUSH(okfail)          (MSLOT_PUSHES + (okfail))

struct metrics_snap {
	uint64_t v[METRICS_NSLOTS];
};

/* metrics_add - n more in a counter slot */
void metrics_add(unsigned slot, uint64_t n);
/* metrics_inc - one more */
#define metrics_inc(slot) metrics_add((slot), 1)
/* metrics_set - a gauge's value */
void metrics_set(unsigned slot, uint64_t value);
/* metrics_observe - one lookup of a timed layer that took us
 * microseconds */
void metrics_observe(enum metric_timed layer, uint64_t us);
/* metrics_refusal_of - the slot label of enhanced status code dsn */
enum metric_refusal metrics_refusal_of(const char *dsn);

/* metrics_snapshot - every slot now */
void metrics_snapshot(struct metrics_snap *s);
/* metrics_hold - every slot as it is (raw: for metrics_put_back) */
void metrics_hold(struct metrics_snap *s);
/* metrics_put_back - every slot as metrics_hold saw it: work done
 * meanwhile is not counted (policy_warm; one thread only) */
void metrics_put_back(const struct metrics_snap *s);
/* metrics_reset - every slot to zero (tests; a process that starts
 * counting anew) */
void metrics_reset(void);
/* metrics_is_counter - may the slot be summed and pushed as a
 * difference (a counter or a histogram's part, not a gauge)? */
int metrics_is_counter(unsigned slot);
/* metrics_delta - out = now - before for the counter slots (a slot
 * that went down, as after metrics_reset, counts from zero); gauges 0;
 * the number of slots that differ */
size_t metrics_delta(const struct metrics_snap *now,
		     const struct metrics_snap *before,
		     struct metrics_snap *out);
/* metrics_sum - into += add, counter slots only */
void metrics_sum(struct metrics_snap *into, const struct metrics_snap *add);

/* metrics_slot_name - the series of slot as the exposition names it
 * (mailseal_messages_total{role="sign",action="accept"}; a histogram's
 * _bucket{...,le="0.005"}, _count and _sum), into out (reset first);
 * the field names of the farm's Redis hash */
void metrics_slot_name(unsigned slot, struct buf *out);
/* metrics_slot_find - the slot named p[0..len), or -1 */
int metrics_slot_find(const char *p, size_t len);

/* metrics_render - the exposition text of n snapshots: each family
 * once (# HELP, # TYPE), then its series from each snapshot, with
 * node="NAME" added when nodes[k] is not NULL (nodes may be NULL: no
 * node label at all).  Gauges only when with_gauges. */
void metrics_render(struct buf *out, const struct metrics_snap *const *snaps,
		    const char *const *nodes, size_t n, int with_gauges);

/* METRICS_CONTENT_TYPE - what an HTTP answer with the text says */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
