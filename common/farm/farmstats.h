/*
 * farmstats.h - the process's counters (metrics.h) added to the farm's
 * Redis, per node, so that a farm whose MTA has no long-lived process
 * (Exim: one process per SMTP connection) still has figures, and
 * `mailseal stats` shows every node's and their total.
 *
 * Keys (redis/SCHEMA.md), no TTL:
 *   mailseal:{stats}:nodes        set of the node names that pushed
 *   mailseal:{stats}:node:NAME    hash: series name (metrics_slot_name)
 *                                 -> its count (decimal, HINCRBY)
 * Both carry the hash tag {stats}: one slot of a Redis Cluster.
 *
 * farmstats_push adds what the counters gained since the last push
 * that succeeded in this process: one round trip (MULTI, SADD, one
 * HINCRBY per series that changed, EXEC, pipelined), never when
 * nothing changed.  It never waits for a Redis that is away: the
 * farm's back-off answers at once (farmcache.h), the push is counted
 * as skipped (mailseal_stats_pushes_total{result="skipped"}) and what
 * it would have added waits for the next push of the process.  A
 * process that ends while Redis is away loses what it had not pushed.
 * What was pushed last is one snapshot per process (copied into a
 * forked child with the counters, so nothing is counted twice); one
 * thread pushes at a time (another that tries meanwhile skips).
 *
 * Node names: 1 to FARMSTATS_NODE_MAX bytes of letters, digits, '.',
 * '-' and '_' (farmstats_node_ok), as the configuration checks.
 */
#ifndef MAILSEAL_FARMSTATS_H
#define MAILSEAL_FARMSTATS_H

#include <stddef.h>
#include "farmcache.h"
#include "metrics.h"
#include "status.h"

#define FARMSTATS_NODE_MAX 253

/* one node's counters as the farm holds them */
struct farmstats_node {
	char *name;
	struct metrics_snap snap;       /* gauges zero */
	size_t unknown;                 /* fields of no series we know
					 * (another version's): left out */
};

/* farmstats_node_ok - may s name a node? */
int farmstats_node_ok(const char *s);
/* farmstats_default_node - the host name, cut at its first dot when
 * it is not a valid node name whole, into out (size n); "localhost"
 * when there is none */
void farmstats_default_node(char *out, size_t n);

/* farmstats_push - the counters' gain since the last push, to node's
 * hash: FARM_HIT when pushed (or nothing to push), FARM_ERROR when
 * skipped (Redis away or failing, or another thread pushing) */
enum farm_result farmstats_push(struct farmcache *fc, const char *node);

/* farmstats_read - every node's counters, sorted by name, into *out
 * (*n of them; farmstats_free releases them); an error (Redis away)
 * names it */
enum ms_status farmstats_read(struct farmcache *fc,
			      struct farmstats_node **out, size_t *n,
			      struct ms_error *err);
/* farmstats_free - what farmstats_read made */
void farmstats_free(struct farmstats_node *nodes, size_t n);
/* farmstats_forget - drop a node's counters (a node taken out of the
 * farm); 1 when it had some, 0 when not, -1 on error */
int farmstats_forget(struct farmcache *fc, const char *node,
		     struct ms_error *err);

#endif
