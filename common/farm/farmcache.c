/*
 * farmcache.c - the farm's shared cache in Redis: connection handling
 * (lazy, timeouts, back-off, Sentinel, Cluster) and the few commands we
 * send.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "buf.h"
#include "config.h"
#include "farmcache.h"
#include "farmcache_int.h"
#include "farmvalue.h"
#include "metrics.h"
#include "msclock.h"
#include "mslog.h"
#include "numparse.h"
#include "rediscluster.h"
#include "xalloc.h"

#define FC_KEY_PREFIX "mailseal:key:"
/* redirections followed for one command before giving up */
#define FC_MAX_REDIRECTS 5
#define FC_MAX_VALUE (MS_MAX_KEY_RECORDS * (MS_MAX_KEY_RECORD + 4) + 64)
/* at most one outage announced (and its end) per this many ms: a Redis
 * that comes and goes does not flood the log */
#define FC_LOG_INTERVAL_MS (60 * 1000)

/* what every process and thread of a node shares: whether an outage
 * was announced (and its end not yet), when, and when the node last
 * said anything, so that it says it once (fc_node_get) */
struct fc_node {
	atomic_int down;
	_Atomic uint64_t since;         /* ms_clock_ms (CLOCK_MONOTONIC) */
	_Atomic uint64_t last_log;
};

struct fc_endpoint {
	char *host;                     /* NULL: unix socket in path */
	char *path;
	int port;
};

struct farmcache {
	struct fc_endpoint direct;
	struct fc_endpoint *sentinels;
	size_t nsentinels;
	struct rcluster *cluster;       /* redis_cluster, or NULL */
	char *master_name;
	char *user;
	char *password;
	unsigned db;
	unsigned timeout_ms;
	unsigned backoff_ms;
	char *secret;
	redisContext *c;
	pid_t c_pid;                    /* the process c was opened in */
	uint64_t down_until;            /* ms_clock_ms: skip Redis until */
	char last_error[160];
	struct farmcache_stats stats;
	int outage;                     /* since the last failure, no reply */
	struct fc_node *node;           /* the node's, for the log */
	char where[96];                 /* the Redis asked last, for the log */
};

/* fc_node_get - the node's shared outage state: one page shared with
 * every process forked after the first farmcache_new (Exim's daemon
 * builds the engine before it forks its sessions), and by the threads
 * of a process (the Postfix daemon's workers).  Only lock-free atomics
 * live there, so it is fork-safe; it is never unmapped. */
static struct fc_node *fc_node_get(void)
{
	static _Atomic(struct fc_node *) shared;
	static struct fc_node private;  /* when no shared page can be had */
	struct fc_node *n = atomic_load(&shared), *none = NULL;
	void *p;

	if (n)
		return n;
	p = mmap(NULL, sizeof(*n), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		p = &private;
	else if (!atomic_is_lock_free(&((struct fc_node *)p)->last_log)) {
		munmap(p, sizeof(*n));
		p = &private;
	}
	if (!atomic_compare_exchange_strong(&shared, &none, p)) {
		if (p != &private)
			munmap(p, sizeof(*n));
		return none;
	}
	return p;
}

static void fc_endpoint_free(struct fc_endpoint *e)
{
	free(e->host);
	free(e->path);
	e->host = e->path = NULL;
}

/* fc_parse_hostport - "host", "host:port" or "[v6]:port" */
static enum ms_status fc_parse_hostport(const char *s, size_t n,
					struct fc_endpoint *e, int def_port)
{
	const char *colon = NULL, *hs = s, *he = s + n;
	uint64_t port = (uint64_t)def_port;

	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close)
			return MS_ERR_SYNTAX;
		hs = s + 1;
		he = close;
		if (close + 1 < s + n) {
			if (close[1] != ':')
				return MS_ERR_SYNTAX;
			colon = close + 1;
		}
	} else {
		colon = memchr(s, ':', n);
		if (colon)
			he = colon;
	}
	if (he == hs)
		return MS_ERR_SYNTAX;
	if (colon && num_parse_u64((const unsigned char *)colon + 1,
				   (size_t)(s + n - colon - 1), 65535,
				   &port) != MS_OK)
		return MS_ERR_SYNTAX;
	if (port == 0)
		return MS_ERR_SYNTAX;
	e->host = xstrndup(hs, (size_t)(he - hs));
	e->port = (int)port;
	return MS_OK;
}

/* fc_parse_url - redis://[user:password@]host[:port][/db], unix:/path */
static enum ms_status fc_parse_url(struct farmcache *fc, const char *url,
				   struct ms_error *err)
{
	const char *p, *at, *slash, *end;
	uint64_t db = 0;

	if (strncmp(url, "unix:", 5) == 0) {
		if (url[5] != '/')
			goto bad;
		fc->direct.path = xstrdup(url + 5);
		return MS_OK;
	}
	if (strncmp(url, "redis://", 8) != 0)
		goto bad;
	p = url + 8;
	end = p + strlen(p);
	slash = strchr(p, '/');
	if (slash) {
		if (num_parse_u64((const unsigned char *)slash + 1,
				  strlen(slash + 1), 1000000, &db) != MS_OK)
			goto bad;
		end = slash;
	}
	at = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));

		if (colon) {
			if (colon > p)
				fc->user = xstrndup(p, (size_t)(colon - p));
			fc->password = xstrndup(colon + 1, (size_t)(at - colon - 1));
		} else {
			fc->password = xstrndup(p, (size_t)(at - p));
		}
		p = at + 1;
	}
	if (fc_parse_hostport(p, (size_t)(end - p), &fc->direct, 6379) != MS_OK)
		goto bad;
	fc->db = (unsigned)db;
	return MS_OK;
bad:
	/* the message goes to logs: never the password it may hold */
	at = strrchr(url, '@');
	return ms_error_set(err, MS_ERR_USAGE,
			    "redis_url \"%s%s\" is not redis://[user:password@]host[:port][/db] or unix:/path",
			    at ? "...@" : "", at ? at + 1 : url);
}

/* fc_parse_list - "host:port host:port,host:port" into *list */
static enum ms_status fc_parse_list(const char *p, struct fc_endpoint **list,
				    size_t *n, int def_port, const char *what,
				    struct ms_error *err)
{
	while (*p) {
		size_t len = strcspn(p, " \t,");

		if (len) {
			*list = xrealloc(*list, (*n + 1) * sizeof(**list));
			memset(&(*list)[*n], 0, sizeof(**list));
			if (fc_parse_hostport(p, len, &(*list)[(*n)++],
					      def_port) != MS_OK)
				return ms_error_set(err, MS_ERR_USAGE,
						    "%s: bad address \"%.*s\"",
						    what, (int)len, p);
		}
		p += len;
		p += strspn(p, " \t,");
	}
	return MS_OK;
}

static void fc_endpoints_free(struct fc_endpoint *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fc_endpoint_free(&list[i]);
	free(list);
}

static redisContext *fc_cluster_connect(void *arg, const struct rc_addr *a);
static void fc_cluster_fail(void *arg, const struct rc_addr *where,
			    const char *what, int errno_was);

/* fc_cluster_open - the cluster of these seeds (host names of at most
 * RC_MAX_HOST bytes, no unix socket) */
static int fc_cluster_open(struct farmcache *fc, const struct fc_endpoint *e,
			   size_t n, struct ms_error *err)
{
	/* the map asked of node after node for three timeouts at most: a
	 * refused connection costs nothing, a black hole one timeout */
	struct rc_io io = { fc_cluster_connect, fc_cluster_fail, fc,
			    3 * fc->timeout_ms };
	struct rc_addr *a = xcalloc(n, sizeof(*a));
	size_t i;

	for (i = 0; i < n; i++) {
		if (strlen(e[i].host) > RC_MAX_HOST) {
			free(a);
			ms_error_set(err, MS_ERR_USAGE,
				     "redis_cluster: a host name is too long");
			return 0;
		}
		snprintf(a[i].host, sizeof(a[i].host), "%s", e[i].host);
		a[i].port = e[i].port;
	}
	fc->cluster = rcluster_new(a, n, &io);
	free(a);
	snprintf(fc->where, sizeof(fc->where), "cluster");
	return 1;
}

/* farmcache_new - check the settings; connects on first use */
struct farmcache *farmcache_new(const struct farmcache_opts *o,
				struct ms_error *err)
{
	struct farmcache *fc = xcalloc(1, sizeof(*fc));
	struct fc_endpoint *seeds = NULL;
	size_t nseeds = 0;

	fc->node = fc_node_get();      /* before any fork: shared with it */
	fc->timeout_ms = o->timeout_ms ? o->timeout_ms : 50;
	fc->backoff_ms = o->backoff_ms ? o->backoff_ms : 1000;
	fc->secret = xstrdup(o->secret ? o->secret : "");
	fc->master_name = xstrdup(o->master_name ? o->master_name : "mailseal");
	if (o->url && *o->url && fc_parse_url(fc, o->url, err) != MS_OK)
		goto fail;
	if (fc_parse_list(o->sentinels ? o->sentinels : "", &fc->sentinels,
			  &fc->nsentinels, 26379, "redis_sentinels",
			  err) != MS_OK ||
	    fc_parse_list(o->cluster ? o->cluster : "", &seeds, &nseeds,
			  6379, "redis_cluster", err) != MS_OK)
		goto fail;
	if (nseeds && (fc->direct.host || fc->direct.path || fc->nsentinels)) {
		ms_error_set(err, MS_ERR_USAGE,
			     "redis_cluster is set with redis_url or redis_sentinels: choose one");
		goto fail;
	}
	if (!fc->direct.host && !fc->direct.path && !fc->nsentinels && !nseeds) {
		ms_error_set(err, MS_ERR_USAGE,
			     "none of redis_url, redis_sentinels, redis_cluster is set");
		goto fail;
	}
	if (nseeds && !fc_cluster_open(fc, seeds, nseeds, err))
		goto fail;
	fc_endpoints_free(seeds, nseeds);
	return fc;
fail:
	fc_endpoints_free(seeds, nseeds);
	farmcache_free(fc);
	return NULL;
}

/* fc_disconnect - drop every connection (the cluster's too) */
static void fc_disconnect(struct farmcache *fc)
{
	if (fc->c) {
		redisFree(fc->c);
		fc->c = NULL;
	}
	if (fc->cluster)
		rcluster_disconnect(fc->cluster);
}

/* farmcache_free - close the connection and release everything */
void farmcache_free(struct farmcache *fc)
{
	size_t i;

	if (!fc)
		return;
	fc_disconnect(fc);
	fc_endpoint_free(&fc->direct);
	for (i = 0; i < fc->nsentinels; i++)
		fc_endpoint_free(&fc->sentinels[i]);
	free(fc->sentinels);
	rcluster_free(fc->cluster);
	free(fc->master_name);
	free(fc->user);
	free(fc->password);
	free(fc->secret);
	free(fc);
}

static struct timeval fc_tv(unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

/* fc_connect_to - a blocking connection with our timeouts, closed on
 * exec: an MTA runs deliveries and pipe commands (a .forward's
 * "|program") from the process that received the message, and an
 * inherited descriptor would be an open, authenticated Redis session
 * for them.  hiredis 0.14 cannot ask for SOCK_CLOEXEC; the flag is set
 * right after the connect, in the calling thread, and no front end
 * runs a program from another thread meanwhile. */
static redisContext *fc_connect_to(const struct farmcache *fc,
				   const struct fc_endpoint *e)
{
	struct timeval tv = fc_tv(fc->timeout_ms);
	redisContext *c = e->path ? redisConnectUnixWithTimeout(e->path, tv)
				  : redisConnectWithTimeout(e->host, e->port, tv);

	if (c && !c->err && (redisSetTimeout(c, tv) != REDIS_OK ||
			     fcntl(c->fd, F_SETFD, FD_CLOEXEC) != 0)) {
		redisFree(c);
		return NULL;
	}
	return c;
}

/* fc_command - send argv (explicit lengths); NULL on any failure */
static redisReply *fc_command(redisContext *c, int argc, const char **argv,
			      const size_t *lens)
{
	return redisCommandArgv(c, argc, argv, lens);
}

/* fc_fail - a failure: skip Redis for the back-off interval; the first
 * failure of an outage is logged, once for the node (at most one a
 * FC_LOG_INTERVAL_MS) */
static void fc_fail(struct farmcache *fc, const char *what, int timed_out)
{
	struct fc_node *n = fc->node;
	uint64_t now = ms_clock_ms(), last;
	int up = 0;

	snprintf(fc->last_error, sizeof(fc->last_error), "%s", what);
	fc->stats.errors++;
	if (timed_out)
		fc->stats.timeouts++;
	fc_disconnect(fc);
	fc->down_until = now + fc->backoff_ms;
	if (!fc->outage) {
		fc->outage = 1;
		fc->stats.outages++;
	}
	last = atomic_load(&n->last_log);
	if (atomic_load(&n->down) || (last && now - last < FC_LOG_INTERVAL_MS) ||
	    !atomic_compare_exchange_strong(&n->down, &up, 1))
		return;                 /* told already, or lately */
	atomic_store(&n->since, now);
	atomic_store(&n->last_log, now);
	ms_log(MS_LOG_WARN,
	       "Redis %s unavailable (%s): skipped, keys come from DNS meanwhile",
	       fc->where, what);
}

/* fc_ok - Redis answered: the end of an outage, logged when its start
 * was (by whichever process of the node sees it first) */
static void fc_ok(struct farmcache *fc)
{
	struct fc_node *n = fc->node;
	uint64_t now;
	int down = 1;

	fc->outage = 0;
	if (!atomic_load(&n->down) ||
	    !atomic_compare_exchange_strong(&n->down, &down, 0))
		return;
	now = ms_clock_ms();
	atomic_store(&n->last_log, now);
	ms_log(MS_LOG_WARN, "Redis %s is back after %llu ms", fc->where,
	       (unsigned long long)(now - atomic_load(&n->since)));
}

/* fc_timed_out - was a failure with errno err a timeout? (hiredis
 * reports a socket timeout as an I/O error with errno EAGAIN) */
static int fc_timed_out(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == ETIMEDOUT ||
	       err == EINPROGRESS;
}

/* fc_sentinel_master - ask each sentinel where the master is */
static int fc_sentinel_master(struct farmcache *fc, struct fc_endpoint *out)
{
	size_t i;

	for (i = 0; i < fc->nsentinels; i++) {
		const char *argv[] = { "SENTINEL", "get-master-addr-by-name",
				       fc->master_name };
		size_t lens[] = { 8, 23, strlen(fc->master_name) };
		redisContext *c = fc_connect_to(fc, &fc->sentinels[i]);
		redisReply *r;
		uint64_t port;

		if (!c || c->err) {
			if (c)
				redisFree(c);
			continue;
		}
		r = fc_command(c, 3, argv, lens);
		if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		    r->element[0]->type == REDIS_REPLY_STRING &&
		    r->element[1]->type == REDIS_REPLY_STRING &&
		    num_parse_u64((const unsigned char *)r->element[1]->str,
				  r->element[1]->len, 65535, &port) == MS_OK) {
			out->host = xstrndup(r->element[0]->str,
					     r->element[0]->len);
			out->path = NULL;
			out->port = (int)port;
			freeReplyObject(r);
			redisFree(c);
			return 1;
		}
		if (r)
			freeReplyObject(r);
		redisFree(c);
	}
	return 0;
}

/* fc_setup - one set-up command on a new connection (AUTH, SELECT) */
static int fc_setup(struct farmcache *fc, int argc, const char **argv,
		    const size_t *lens, const char *what)
{
	redisReply *r = fc_command(fc->c, argc, argv, lens);
	int err = errno;
	char msg[160];

	if (r && r->type != REDIS_REPLY_ERROR) {
		freeReplyObject(r);
		return 1;
	}
	if (r) {
		snprintf(msg, sizeof(msg), "Redis refused %s", what);
		freeReplyObject(r);
		fc_fail(fc, msg, 0);
	} else {
		snprintf(msg, sizeof(msg), "%s: %s", what, fc->c->errstr);
		fc_fail(fc, msg, fc_timed_out(err));
	}
	return 0;
}

/* fc_ready - a usable connection, or NULL while Redis is skipped */
static redisContext *fc_ready(struct farmcache *fc)
{
	struct fc_endpoint master = { 0 };
	const struct fc_endpoint *e = &fc->direct;

	if (fc->c && fc->c_pid != getpid()) {
		/* inherited over a fork: the parent's, not ours to use */
		redisFree(fc->c);
		fc->c = NULL;
	}
	if (fc->c)
		return fc->c;
	if (fc->down_until && ms_clock_ms() < fc->down_until) {
		fc->stats.skipped++;
		return NULL;
	}
	if (fc->nsentinels) {
		if (!fc_sentinel_master(fc, &master)) {
			snprintf(fc->where, sizeof(fc->where), "master %s (Sentinel)",
				 fc->master_name);
			fc_fail(fc, "no Sentinel knows the master", 0);
			return NULL;
		}
		e = &master;
	}
	if (e->path)
		snprintf(fc->where, sizeof(fc->where), "%s", e->path);
	else
		snprintf(fc->where, sizeof(fc->where), "%s%s%s:%d",
			 fc->nsentinels ? fc->master_name : "",
			 fc->nsentinels ? " at " : "", e->host, e->port);
	fc->c = fc_connect_to(fc, e);
	fc->c_pid = getpid();
	fc_endpoint_free(&master);
	if (!fc->c || fc->c->err) {
		int err = errno;
		char what[160];

		snprintf(what, sizeof(what), "cannot connect: %s",
			 fc->c ? fc->c->errstr : "out of memory");
		fc_fail(fc, what, fc_timed_out(err));
		return NULL;
	}
	if (fc->password) {
		const char *argv[] = { "AUTH", fc->user ? fc->user : fc->password,
				       fc->password };
		size_t lens[] = { 4, strlen(argv[1]), strlen(fc->password) };

		if (!fc_setup(fc, fc->user ? 3 : 2, argv, lens, "AUTH"))
			return NULL;
	}
	if (fc->db) {
		char db[16];
		const char *argv[] = { "SELECT", db };
		size_t lens[2] = { 6, 0 };

		snprintf(db, sizeof(db), "%u", fc->db);
		lens[1] = strlen(db);
		if (!fc_setup(fc, 2, argv, lens, "SELECT"))
			return NULL;
	}
	fc->down_until = 0;
	return fc->c;
}


/* fc_cluster_connect - rc_io's connect: ours, with our timeouts */
static redisContext *fc_cluster_connect(void *arg, const struct rc_addr *a)
{
	struct fc_endpoint e = { .host = (char *)a->host, .port = a->port };

	return fc_connect_to(arg, &e);
}

/* fc_cluster_fail - rc_io's fail: as any failure, named by the node */
static void fc_cluster_fail(void *arg, const struct rc_addr *where,
			    const char *what, int errno_was)
{
	struct farmcache *fc = arg;

	if (where)
		snprintf(fc->where, sizeof(fc->where), "cluster node %.60s:%d",
			 where->host, where->port);
	else
		snprintf(fc->where, sizeof(fc->where), "cluster");
	fc_fail(fc, what, errno_was && fc_timed_out(errno_was));
}

/* fc_cluster_gate - may the cluster be asked now?  Connections
 * inherited over a fork dropped; 0 while Redis is skipped */
static int fc_cluster_gate(struct farmcache *fc)
{
	if (fc->c_pid != getpid()) {
		/* the parent's, not ours to use */
		rcluster_disconnect(fc->cluster);
		fc->c_pid = getpid();
	}
	if (fc->down_until && ms_clock_ms() < fc->down_until) {
		fc->stats.skipped++;
		return 0;
	}
	fc->down_until = 0;
	return 1;
}

/* fc_run - one command; NULL (and the node skipped) on failure; an
 * error reply (READONLY after a failover, OOM, ...) counts as failure */
static redisReply *fc_run(struct farmcache *fc, int argc, const char **argv,
			  const size_t *lens)
{
	redisContext *c = fc->cluster ? NULL : fc_ready(fc);
	redisReply *r;

	if (fc->cluster ? !fc_cluster_gate(fc) : !c)
		return NULL;
	r = fc->cluster ? rcluster_send(fc->cluster, argc, argv, lens,
					FC_MAX_REDIRECTS)
			: fc_command(c, argc, argv, lens);
	if (fc->cluster)
		fc->stats.redirects = rcluster_redirects(fc->cluster);
	if (!r) {
		int err = errno;
		char what[160];

		if (fc->cluster)
			return NULL;    /* failed, and said so, already */
		snprintf(what, sizeof(what), "%s",
			 c->err ? c->errstr : "no reply");
		fc_fail(fc, what, fc_timed_out(err));
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		char what[160];

		snprintf(what, sizeof(what), "error reply: %.*s", (int)r->len,
			 r->str ? r->str : "error");
		freeReplyObject(r);
		if (fc->cluster)        /* which node answered is rcluster's */
			snprintf(fc->where, sizeof(fc->where), "cluster");
		fc_fail(fc, what, 0);
		return NULL;
	}
	fc_ok(fc);
	return r;
}

/* fc_lookup - fc_run for a lookup (GET), its time and a failure told to
 * the process's counters; the caller tells a hit, miss or bad value */
static redisReply *fc_lookup(struct farmcache *fc, int argc,
			     const char **argv, const size_t *lens)
{
	unsigned long skipped = fc->stats.skipped;
	uint64_t started = ms_clock_us();
	redisReply *r = fc_run(fc, argc, argv, lens);

	if (fc->stats.skipped != skipped) {
		metrics_inc(MSLOT_LOOKUP(MLAYER_REDIS, MOUT_SKIPPED));
		return NULL;
	}
	metrics_observe(MTIMED_REDIS, ms_clock_us() - started);
	if (!r)
		metrics_inc(MSLOT_LOOKUP(MLAYER_REDIS, MOUT_ERROR));
	return r;
}

/* fc_found - a lookup's outcome, in the cache's counters and the
 * process's */
static void fc_found(struct farmcache *fc, enum farm_result res)
{
	switch (res) {
	case FARM_HIT:
		fc->stats.hits++;
		metrics_inc(MSLOT_LOOKUP(MLAYER_REDIS, MOUT_HIT));
		break;
	case FARM_MISS:
		fc->stats.misses++;
		metrics_inc(MSLOT_LOOKUP(MLAYER_REDIS, MOUT_MISS));
		break;
	case FARM_BAD:
		fc->stats.bad++;
		metrics_inc(MSLOT_LOOKUP(MLAYER_REDIS, MOUT_BAD));
		break;
	case FARM_ERROR:
		break;
	}
}

/* farmcache_get_key - a cached key answer */
enum farm_result farmcache_get_key(struct farmcache *fc, const char *name,
				   struct arena *arena, struct key_answer *ans,
				   unsigned *ttl_left)
{
	struct buf key;
	const char *argv[2];
	size_t lens[2];
	redisReply *r;
	uint64_t expires = 0, now = (uint64_t)time(NULL);
	enum ms_status st;

	buf_init(&key, BUF_UNLIMITED);
	buf_puts(&key, FC_KEY_PREFIX);
	buf_puts(&key, name);
	argv[0] = "GET";
	lens[0] = 3;
	argv[1] = buf_str(&key);
	lens[1] = key.len;
	r = fc_lookup(fc, 2, argv, lens);
	buf_free(&key);
	if (!r)
		return FARM_ERROR;
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		fc_found(fc, FARM_MISS);
		return FARM_MISS;
	}
	st = farmvalue_decode(name, (const unsigned char *)r->str, r->len,
			      fc->secret, arena, ans, &expires);
	freeReplyObject(r);
	if (st != MS_OK) {
		fc_found(fc, FARM_BAD);
		snprintf(fc->last_error, sizeof(fc->last_error),
			 "cached key %s %s", name, st == MS_ERR_CRYPTO
			 ? "failed its HMAC check" : "is malformed");
		return FARM_BAD;
	}
	if (expires <= now) {
		fc_found(fc, FARM_MISS);
		return FARM_MISS;
	}
	*ttl_left = (unsigned)(expires - now);
	fc_found(fc, FARM_HIT);
	return FARM_HIT;
}

/* farmcache_put_key - keep an answer for ttl seconds */
enum farm_result farmcache_put_key(struct farmcache *fc, const char *name,
				   const struct key_answer *ans, unsigned ttl)
{
	struct buf key, val;
	char ttls[16];
	const char *argv[5];
	size_t lens[5];
	redisReply *r;

	if (ttl == 0)
		return FARM_MISS;
	buf_init(&key, BUF_UNLIMITED);
	buf_init(&val, FC_MAX_VALUE);
	buf_puts(&key, FC_KEY_PREFIX);
	buf_puts(&key, name);
	if (farmvalue_encode(name, ans, (uint64_t)time(NULL) + ttl, fc->secret,
			     &val) != MS_OK) {
		buf_free(&key);
		buf_free(&val);
		return FARM_ERROR;
	}
	snprintf(ttls, sizeof(ttls), "%u", ttl);
	argv[0] = "SET";    lens[0] = 3;
	argv[1] = buf_str(&key); lens[1] = key.len;
	argv[2] = (const char *)val.data; lens[2] = val.len;
	argv[3] = "EX";     lens[3] = 2;
	argv[4] = ttls;     lens[4] = strlen(ttls);
	r = fc_run(fc, 5, argv, lens);
	buf_free(&key);
	buf_free(&val);
	if (!r)
		return FARM_ERROR;
	freeReplyObject(r);
	return FARM_HIT;
}

/* farmcache_get_value - the bytes at key */
enum farm_result farmcache_get_value(struct farmcache *fc, const char *key,
				     size_t key_len, struct arena *arena,
				     const unsigned char **value,
				     size_t *value_len)
{
	const char *argv[2] = { "GET", key };
	size_t lens[2] = { 3, key_len };
	redisReply *r = fc_lookup(fc, 2, argv, lens);

	if (!r)
		return FARM_ERROR;
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		fc_found(fc, FARM_MISS);
		return FARM_MISS;
	}
	*value = (const unsigned char *)arena_memdup(arena, r->str, r->len);
	*value_len = r->len;
	freeReplyObject(r);
	fc_found(fc, FARM_HIT);
	return FARM_HIT;
}

/* farmcache_put_value - keep value at key for ttl seconds */
enum farm_result farmcache_put_value(struct farmcache *fc, const char *key,
				     size_t key_len,
				     const unsigned char *value,
				     size_t value_len, unsigned ttl)
{
	char ttls[16];
	const char *argv[5] = { "SET", key, (const char *)value, "EX", ttls };
	size_t lens[5] = { 3, key_len, value_len, 2, 0 };
	redisReply *r;

	if (ttl == 0)
		return FARM_MISS;
	snprintf(ttls, sizeof(ttls), "%u", ttl);
	lens[4] = strlen(ttls);
	r = fc_run(fc, 5, argv, lens);
	if (!r)
		return FARM_ERROR;
	freeReplyObject(r);
	return FARM_HIT;
}

/* farmcache_secret - the farm secret */
const char *farmcache_secret(const struct farmcache *fc)
{
	return fc->secret;
}

/* farmcache_stats - counters */
const struct farmcache_stats *farmcache_stats(const struct farmcache *fc)
{
	return &fc->stats;
}

/* farmcache_last_error - what the last failure was */
const char *farmcache_last_error(const struct farmcache *fc)
{
	return fc->last_error;
}

/* farmcache_run - one command for the farm layer's other modules */
redisReply *farmcache_run(struct farmcache *fc, int argc, const char **argv,
			  const size_t *lens)
{
	return fc_run(fc, argc, argv, lens);
}

/* farmcache_run_array - CMD KEY, an array expected */
redisReply *farmcache_run_array(struct farmcache *fc, const char *cmd,
				const char *key, size_t key_len)
{
	const char *argv[2] = { cmd, key };
	size_t lens[2] = { strlen(cmd), key_len };
	redisReply *r = fc_run(fc, 2, argv, lens);

	if (r && r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		r = NULL;
	}
	return r;
}

/* fc_many_slot - the slot of the first command of n that names a key */
static int fc_many_slot(size_t n, const int *argc, const char **const *argv,
			const size_t *const *lens)
{
	size_t i;
	int slot = -1;

	for (i = 0; i < n && slot < 0; i++)
		slot = rc_command_slot(argc[i], argv[i], lens[i]);
	return slot;
}

/* farmcache_run_many - n commands sent together, their replies read
 * after: one round trip (two when a cluster's slot moved: every reply
 * is read, so the connection stays in step, and all are sent again to
 * the new master; the keys of one batch share a slot) */
redisReply *farmcache_run_many(struct farmcache *fc, size_t n,
			       const int *argc, const char **const *argv,
			       const size_t *const *lens)
{
	int slot = fc->cluster ? fc_many_slot(n, argc, argv, lens) : -1, again;
	redisContext *c;
	redisReply *last = NULL, *bad = NULL;
	struct rc_addr ask;
	char what[160];
	size_t i;
	int err, tries = 0;

retry:
	if (fc->cluster)
		c = fc_cluster_gate(fc) ? rcluster_ready(fc->cluster, slot) : NULL;
	else
		c = fc_ready(fc);
	if (!c)
		return NULL;
	for (i = 0; i < n; i++)
		if (redisAppendCommandArgv(c, argc[i], argv[i], lens[i]) != REDIS_OK)
			goto io;
	for (i = 0; i < n; i++) {
		void *rp = NULL;
		redisReply *r;

		if (redisGetReply(c, &rp) != REDIS_OK || !rp)
			goto io;
		r = rp;
		if (r->type == REDIS_REPLY_ERROR && !bad) {
			bad = r;        /* the first error; the rest read */
			continue;
		}
		if (last)
			freeReplyObject(last);
		last = r;
	}
	if (bad) {
		again = fc->cluster &&
			rcluster_redirect(fc->cluster, bad, &ask) == RC_MOVED &&
			tries++ < FC_MAX_REDIRECTS;
		if (fc->cluster)
			fc->stats.redirects = rcluster_redirects(fc->cluster);
		snprintf(what, sizeof(what), "error reply: %.*s",
			 (int)bad->len, bad->str ? bad->str : "error");
		freeReplyObject(bad);
		bad = NULL;
		if (last)
			freeReplyObject(last);
		last = NULL;
		if (again)
			goto retry;
		fc_fail(fc, what, 0);
		return NULL;
	}
	fc_ok(fc);
	return last;
io:
	err = errno;
	snprintf(what, sizeof(what), "%s", c->err ? c->errstr : "no reply");
	if (last)
		freeReplyObject(last);
	if (bad)
		freeReplyObject(bad);
	fc_fail(fc, what, fc_timed_out(err));
	return NULL;
}

/* farmcache_open - the farm the configuration names, or none */
enum ms_status farmcache_open(const struct ms_config *cfg,
			      struct farmcache **out, struct ms_error *err)
{
	struct farmcache_opts fo = {
		.url = cfg->redis_url,
		.sentinels = cfg->redis_sentinels,
		.cluster = cfg->redis_cluster,
		.master_name = cfg->redis_master_name,
		.timeout_ms = cfg->redis_timeout_ms,
		.secret = cfg->cache_secret,
	};

	*out = NULL;
	if (!config_has_redis(cfg))
		return MS_OK;
	*out = farmcache_new(&fo, err);
	return *out ? MS_OK : err ? err->code : MS_ERR_USAGE;
}
