/*
 * farmcache.h - the mail farm's shared cache in Redis (hiredis).
 *
 * Two things live there: DNS answers for DKIM keys (so that one node's
 * lookup serves every node), and a record per verified signature (first
 * seen, last seen, number of distinct transactions that carried it).
 * The key schema is in redis/SCHEMA.md.
 *
 * Redis is a cache, never a requirement: the connection is opened
 * lazily (after any fork; one inherited over a fork is dropped and
 * opened anew in the child), every command has a short timeout, and a
 * failure makes the node skip Redis for a back-off interval, during
 * which calls return FARM_ERROR at once.  The first failure of an
 * outage and the first reply after it are logged (ms_log, warnings)
 * once for the node: the threads of a process and the processes forked
 * after the first farmcache_new (Exim's sessions of a pre-warmed
 * daemon) share that state in one page of shared memory; at most one
 * outage a minute is told, so that a flapping Redis cannot flood the
 * log.  The counters (farmcache_stats, per farmcache) count every
 * failure.  With Sentinel, the master is
 * discovered on each (re)connect, so a failover is followed.  With
 * Redis Cluster (rediscluster.h), the slot map is learnt from the seed
 * nodes on first use, each command goes to the master of its key's slot,
 * MOVED (the map asked again) and ASK are followed, replicas are never
 * written to, and a master that fails is skipped like a lone Redis
 * until the map names its successor.  Commands
 * are sent with explicit lengths (redisCommandArgv); no untrusted text
 * is ever formatted into a command.  Every connection (Sentinel's too)
 * is closed on exec: the programs an MTA runs never inherit it.
 *
 * With a secret, every cached key answer carries an HMAC-SHA256 over
 * its name and value; a value whose HMAC does not check is reported as
 * FARM_BAD and must be replaced from DNS, so that write access to Redis
 * alone cannot plant a key.
 */
#ifndef MAILSEAL_FARMCACHE_H
#define MAILSEAL_FARMCACHE_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "keysource.h"
#include "status.h"

enum farm_result {
	FARM_HIT = 0,
	FARM_MISS,
	FARM_ERROR,                     /* Redis down, slow or refusing */
	FARM_BAD,                       /* a value failed its HMAC check */
};

struct farmcache_opts {
	const char *url;                /* redis://[user:pass@]host[:port][/db] or unix:/path */
	const char *sentinels;          /* "host:port host:port", or "" */
	const char *cluster;            /* Redis Cluster's seed nodes, or "" */
	const char *master_name;
	unsigned timeout_ms;            /* connect and command timeout */
	unsigned backoff_ms;            /* skip Redis this long after a failure */
	const char *secret;             /* "" or NULL: no HMAC */
};

struct farmcache_stats {
	unsigned long hits;
	unsigned long misses;
	unsigned long errors;           /* failed connects and commands */
	unsigned long timeouts;         /* of which: out of time */
	unsigned long skipped;          /* requests not sent: Redis skipped */
	unsigned long outages;          /* times the node began skipping it */
	unsigned long bad;
	unsigned long redirects;        /* MOVED and ASK followed (Cluster) */
};

struct farm_sig {
	uint64_t count;                 /* distinct transactions */
	uint64_t first_seen;            /* unix time */
	uint64_t last_seen;
};

struct farmcache;

/* farmcache_new - check the settings; connects on first use */
struct farmcache *farmcache_new(const struct farmcache_opts *o,
				struct ms_error *err);
/* farmcache_open - the farm the configuration names (redis_url or
 * redis_sentinels or redis_cluster, redis_master_name, redis_timeout, cache_secret) into
 * *out, NULL when it names none; nothing connects until first used */
struct ms_config;
enum ms_status farmcache_open(const struct ms_config *cfg,
			      struct farmcache **out, struct ms_error *err);
/* farmcache_free - close the connection and release everything */
void farmcache_free(struct farmcache *fc);
/* farmcache_get_key - a cached key answer (into arena) and the seconds
 * it has left */
enum farm_result farmcache_get_key(struct farmcache *fc, const char *name,
				   struct arena *arena, struct key_answer *ans,
				   unsigned *ttl_left);
/* farmcache_put_key - keep an answer for ttl seconds */
enum farm_result farmcache_put_key(struct farmcache *fc, const char *name,
				   const struct key_answer *ans, unsigned ttl);
/* farmcache_get_value - the bytes at key (copied into arena,
 * NUL-terminated), for a kind of value the caller encodes and checks
 * itself (dnsqvalue.h); FARM_MISS when there are none */
enum farm_result farmcache_get_value(struct farmcache *fc, const char *key,
				     size_t key_len, struct arena *arena,
				     const unsigned char **value,
				     size_t *value_len);
/* farmcache_put_value - keep value at key for ttl seconds */
enum farm_result farmcache_put_value(struct farmcache *fc, const char *key,
				     size_t key_len,
				     const unsigned char *value,
				     size_t value_len, unsigned ttl);
/* farmcache_secret - the farm secret for HMACs ("" without one) */
const char *farmcache_secret(const struct farmcache *fc);
/* ---- the records of passing signatures: sigstore.c ---- */

/* farmcache_note_signature - record that transaction txid carried the
 * signature whose b= hashes to id (32 bytes); fills what the farm knows
 * of it, this transaction included */
enum farm_result farmcache_note_signature(struct farmcache *fc,
					  const unsigned char *id,
					  const char *txid, uint64_t now,
					  unsigned ttl, struct farm_sig *out);

/* what an accepted message tells of a passing signature (NULL or "":
 * not known) */
struct farm_sig_details {
	const char *domain, *selector;  /* d=, s= */
	const char *aligned;            /* the author (From) domain it is
					 * aligned with, for DMARC */
	const char *client_ip;          /* the SMTP client */
	const char *client_spki;        /* SHA-256 of its certificate's
					 * public key, hex */
};
/* the farm's record of a signature (fields absent: NULL) */
struct farm_sig_record {
	uint64_t first, last;           /* Unix times; 0: no record */
	uint64_t accepted;              /* 0: never part of accepted mail */
	const char *domain, *selector, *aligned, *client_ip, *client_spki;
};
/* farmcache_sig_record - the record of signature id (strings in a);
 * FARM_MISS when there is none */
enum farm_result farmcache_sig_record(struct farmcache *fc,
				      const unsigned char *id,
				      struct arena *a,
				      struct farm_sig_record *rec);
/* farmcache_sig_details - add d to the record of signature id (the
 * transaction's client only if none is recorded yet) and keep it ttl
 * seconds */
enum farm_result farmcache_sig_details(struct farmcache *fc,
				       const unsigned char *id,
				       const struct farm_sig_details *d,
				       uint64_t now, unsigned ttl);
/* farmcache_stats - counters */
const struct farmcache_stats *farmcache_stats(const struct farmcache *fc);
/* farmcache_last_error - what the last failure was, for logs */
const char *farmcache_last_error(const struct farmcache *fc);

#endif
