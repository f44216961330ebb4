/*
 * rediscluster.c - Redis Cluster: key slots, the slot map from CLUSTER
 * SLOTS, a connection per master, MOVED / ASK.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msclock.h"
#include "numparse.h"
#include "rediscluster.h"
#include "xalloc.h"

/* rc_crc16 - bitwise CRC16/XMODEM: small beats fast here, a key is
 * tens of bytes and one is hashed per command */
uint16_t rc_crc16(const unsigned char *p, size_t len)
{
	uint16_t crc = 0;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (b = 0; b < 8; b++)
			crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021
						      : crc << 1);
	}
	return crc;
}

/* rc_slot - the key's slot, by its hash tag when it has one */
unsigned rc_slot(const unsigned char *key, size_t len)
{
	const unsigned char *open = memchr(key, '{', len), *close;

	if (open) {
		size_t rest = len - (size_t)(open - key) - 1;

		close = memchr(open + 1, '}', rest);
		if (close && close > open + 1)
			return rc_crc16(open + 1, (size_t)(close - open - 1)) &
			       (RC_SLOTS - 1);
	}
	return rc_crc16(key, len) & (RC_SLOTS - 1);
}

/* rc_is - argument i is the word w (any case) */
static int rc_is(const char *arg, size_t len, const char *w)
{
	return len == strlen(w) && strncasecmp(arg, w, len) == 0;
}

/* rc_command_slot - the slot of the command's first key */
int rc_command_slot(int argc, const char **argv, const size_t *lens)
{
	uint64_t nkeys;

	if (argc < 2)
		return -1;
	if (rc_is(argv[0], lens[0], "EVAL") || rc_is(argv[0], lens[0], "EVALSHA")) {
		if (argc < 4 || num_parse_u64((const unsigned char *)argv[2],
					      lens[2], (uint64_t)argc - 3,
					      &nkeys) != MS_OK || nkeys == 0)
			return -1;
		return (int)rc_slot((const unsigned char *)argv[3], lens[3]);
	}
	return (int)rc_slot((const unsigned char *)argv[1], lens[1]);
}

/* rc_node_index - addr's index in m, added when new; -1 when full */
static int rc_node_index(struct rcmap *m, const char *host, size_t hlen,
			 int port)
{
	size_t i;

	for (i = 0; i < m->nnodes; i++)
		if (m->nodes[i].port == port &&
		    strlen(m->nodes[i].host) == hlen &&
		    memcmp(m->nodes[i].host, host, hlen) == 0)
			return (int)i;
	if (m->nnodes == RC_MAX_NODES)
		return -1;
	memcpy(m->nodes[m->nnodes].host, host, hlen);
	m->nodes[m->nnodes].host[hlen] = 0;
	m->nodes[m->nnodes].port = port;
	return (int)m->nnodes++;
}

/* rc_host_ok - a host name or address we can connect to: no NUL, no
 * space, not empty, not "?" (a node whose address is unknown) */
static int rc_host_ok(const char *h, size_t len)
{
	size_t i;

	if (len == 0 || len > RC_MAX_HOST || (len == 1 && h[0] == '?'))
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)h[i] <= ' ' || (unsigned char)h[i] > '~')
			return 0;
	return 1;
}

/* rcmap_parse - CLUSTER SLOTS: [[start, end, [host, port, ...], replica...]...] */
enum ms_status rcmap_parse(struct rcmap *m, const redisReply *r)
{
	struct rcmap *t;
	size_t i;

	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0)
		return MS_ERR_SYNTAX;
	t = xcalloc(1, sizeof(*t));
	for (i = 0; i < r->elements; i++) {
		const redisReply *e = r->element[i], *master;
		long long lo, hi, s;
		int idx;

		if (!e || e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
		    e->element[0]->type != REDIS_REPLY_INTEGER ||
		    e->element[1]->type != REDIS_REPLY_INTEGER)
			goto bad;
		lo = e->element[0]->integer;
		hi = e->element[1]->integer;
		master = e->element[2];
		if (lo < 0 || hi < lo || hi >= RC_SLOTS ||
		    master->type != REDIS_REPLY_ARRAY || master->elements < 2 ||
		    master->element[0]->type != REDIS_REPLY_STRING ||
		    master->element[1]->type != REDIS_REPLY_INTEGER ||
		    master->element[1]->integer <= 0 ||
		    master->element[1]->integer > 65535)
			goto bad;
		if (!rc_host_ok(master->element[0]->str, master->element[0]->len))
			continue;       /* a master we cannot name: its slots unknown */
		idx = rc_node_index(t, master->element[0]->str,
				    master->element[0]->len,
				    (int)master->element[1]->integer);
		if (idx < 0)
			goto bad;
		for (s = lo; s <= hi; s++)
			t->owner[s] = (uint8_t)(idx + 1);
	}
	memcpy(m, t, sizeof(*m));
	free(t);
	return MS_OK;
bad:
	free(t);
	return MS_ERR_SYNTAX;
}

/* rcmap_node - the master of slot */
const struct rc_addr *rcmap_node(const struct rcmap *m, unsigned slot)
{
	if (slot >= RC_SLOTS || !m->owner[slot])
		return NULL;
	return &m->nodes[m->owner[slot] - 1];
}

/* rcmap_set - slot now served by addr */
enum ms_status rcmap_set(struct rcmap *m, unsigned slot,
			 const struct rc_addr *addr)
{
	int idx;

	if (slot >= RC_SLOTS)
		return MS_ERR_SYNTAX;
	idx = rc_node_index(m, addr->host, strlen(addr->host), addr->port);
	if (idx < 0)
		return MS_ERR_LIMIT;
	m->owner[slot] = (uint8_t)(idx + 1);
	return MS_OK;
}

/* rc_redirect_parse - "MOVED|ASK SLOT HOST:PORT" */
enum rc_redirect rc_redirect_parse(const char *p, size_t len,
				   unsigned *slot, struct rc_addr *addr)
{
	enum rc_redirect kind;
	const char *sp, *colon, *end = p + len;
	uint64_t n, port;
	size_t hlen;

	if (len > 6 && memcmp(p, "MOVED ", 6) == 0) {
		kind = RC_MOVED;
		p += 6;
	} else if (len > 4 && memcmp(p, "ASK ", 4) == 0) {
		kind = RC_ASK;
		p += 4;
	} else {
		return RC_NONE;
	}
	sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp || num_parse_u64((const unsigned char *)p, (size_t)(sp - p),
				 RC_SLOTS - 1, &n) != MS_OK)
		return RC_NONE;
	p = sp + 1;
	colon = NULL;
	for (const char *q = p; q < end; q++)   /* the last: IPv6 has more */
		if (*q == ':')
			colon = q;
	if (!colon)
		return RC_NONE;
	hlen = (size_t)(colon - p);
	if (!rc_host_ok(p, hlen) ||
	    num_parse_u64((const unsigned char *)colon + 1,
			  (size_t)(end - colon - 1), 65535, &port) != MS_OK ||
	    port == 0)
		return RC_NONE;
	memcpy(addr->host, p, hlen);
	addr->host[hlen] = 0;
	addr->port = (int)port;
	*slot = (unsigned)n;
	return kind;
}

/* a connection to one master */
struct rc_conn {
	struct rc_addr addr;
	redisContext *c;
};

struct rcluster {
	struct rcmap map;
	int stale;                      /* a MOVED came: ask again */
	struct rc_addr *seeds;
	size_t nseeds;
	struct rc_conn conns[RC_MAX_NODES];
	size_t nconns;
	struct rc_io io;
	unsigned long redirects;
};

/* rcluster_new - a cluster known by its seeds */
struct rcluster *rcluster_new(const struct rc_addr *seeds, size_t nseeds,
			      const struct rc_io *io)
{
	struct rcluster *rc = xcalloc(1, sizeof(*rc));

	rc->seeds = xcalloc(nseeds ? nseeds : 1, sizeof(*rc->seeds));
	memcpy(rc->seeds, seeds, nseeds * sizeof(*seeds));
	rc->nseeds = nseeds;
	rc->io = *io;
	return rc;
}

/* rcluster_disconnect - every connection closed */
void rcluster_disconnect(struct rcluster *rc)
{
	size_t i;

	for (i = 0; i < rc->nconns; i++)
		redisFree(rc->conns[i].c);
	rc->nconns = 0;
}

/* rcluster_free - the connections closed, everything released */
void rcluster_free(struct rcluster *rc)
{
	if (!rc)
		return;
	rcluster_disconnect(rc);
	free(rc->seeds);
	free(rc);
}

/* rcluster_redirects - MOVED and ASK followed */
unsigned long rcluster_redirects(const struct rcluster *rc)
{
	return rc->redirects;
}

/* rc_conn - the connection to master a, opened when new */
static redisContext *rc_conn(struct rcluster *rc, const struct rc_addr *a)
{
	redisContext *c;
	char what[160];
	size_t i;
	int err;

	for (i = 0; i < rc->nconns; i++)
		if (rc->conns[i].addr.port == a->port &&
		    strcmp(rc->conns[i].addr.host, a->host) == 0)
			return rc->conns[i].c;
	if (rc->nconns == RC_MAX_NODES)
		rcluster_disconnect(rc);        /* a cluster reshaped many times */
	c = rc->io.connect(rc->io.arg, a);
	if (!c || c->err) {
		err = errno;
		snprintf(what, sizeof(what), "cannot connect: %s",
			 c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		rc->io.fail(rc->io.arg, a, what, err);
		return NULL;
	}
	rc->conns[rc->nconns].addr = *a;
	rc->conns[rc->nconns++].c = c;
	return c;
}

/* rc_learn - the slot map from the first known master (or seed) that
 * answers CLUSTER SLOTS within io.learn_ms; 0 (fail called) when none
 * does.  A refused connection costs nothing, a black hole a timeout. */
static int rc_learn(struct rcluster *rc)
{
	static const char *argv[] = { "CLUSTER", "SLOTS" };
	static const size_t lens[] = { 7, 5 };
	struct rc_addr known[RC_MAX_NODES];
	size_t i, nknown = rc->map.nnodes;
	uint64_t until = ms_clock_ms() + rc->io.learn_ms;

	memcpy(known, rc->map.nodes, nknown * sizeof(known[0]));
	for (i = 0; i < nknown + rc->nseeds && ms_clock_ms() < until; i++) {
		const struct rc_addr *a = i < nknown ? &known[i]
						     : &rc->seeds[i - nknown];
		redisContext *c = rc->io.connect(rc->io.arg, a);
		redisReply *r;
		int ok;

		if (!c || c->err) {
			if (c)
				redisFree(c);
			continue;
		}
		r = redisCommandArgv(c, 2, argv, lens);
		ok = r && rcmap_parse(&rc->map, r) == MS_OK;
		if (r)
			freeReplyObject(r);
		redisFree(c);
		if (ok) {
			rc->stale = 0;
			return 1;
		}
	}
	rc->io.fail(rc->io.arg, NULL, "no node answers CLUSTER SLOTS", 0);
	return 0;
}

/* rcluster_ready - the connection to the master of slot */
redisContext *rcluster_ready(struct rcluster *rc, int slot)
{
	unsigned s = slot < 0 ? 0 : (unsigned)slot;
	const struct rc_addr *a;

	if ((rc->stale || !rc->map.nnodes) && !rc_learn(rc))
		return NULL;
	a = rcmap_node(&rc->map, s);
	if (!a) {                       /* a map from before a change */
		if (!rc_learn(rc))
			return NULL;
		a = rcmap_node(&rc->map, s);
	}
	if (!a) {
		rc->io.fail(rc->io.arg, NULL, "no master serves the key's slot", 0);
		return NULL;
	}
	return rc_conn(rc, a);
}

/* rcluster_redirect - MOVED (the map updated) or ASK (*ask filled) */
enum rc_redirect rcluster_redirect(struct rcluster *rc, const redisReply *r,
				   struct rc_addr *ask)
{
	struct rc_addr a;
	unsigned slot;
	enum rc_redirect k;

	if (r->type != REDIS_REPLY_ERROR || !r->str)
		return RC_NONE;
	k = rc_redirect_parse(r->str, r->len, &slot, &a);
	if (k == RC_MOVED) {
		if (rcmap_set(&rc->map, slot, &a) != MS_OK)
			return RC_NONE;
		rc->stale = 1;
		rc->redirects++;
	} else if (k == RC_ASK) {
		*ask = a;
		rc->redirects++;
	}
	return k;
}

/* rcluster_send - argv to its slot's master, redirections followed */
redisReply *rcluster_send(struct rcluster *rc, int argc, const char **argv,
			  const size_t *lens, int max_redirects)
{
	static const char *asking[] = { "ASKING" };
	static const size_t asking_l[] = { 6 };
	int slot = rc_command_slot(argc, argv, lens), tries, asked = 0;
	struct rc_addr ask;

	for (tries = 0; tries <= max_redirects; tries++) {
		redisContext *c = asked ? rc_conn(rc, &ask) : rcluster_ready(rc, slot);
		redisReply *r;

		if (!c)
			return NULL;
		if (asked) {
			r = redisCommandArgv(c, 1, asking, asking_l);
			if (r && r->type == REDIS_REPLY_ERROR)
				return r;
			if (r)
				freeReplyObject(r);
		}
		r = asked && c->err ? NULL : redisCommandArgv(c, argc, argv, lens);
		if (!r) {
			int err = errno;
			char what[160];

			snprintf(what, sizeof(what), "%s",
				 c->err ? c->errstr : "no reply");
			rc->io.fail(rc->io.arg, asked ? &ask : rcmap_node(&rc->map,
				    slot < 0 ? 0 : (unsigned)slot), what, err);
			return NULL;
		}
		switch (rcluster_redirect(rc, r, &ask)) {
		case RC_NONE:
			return r;
		case RC_MOVED:
			asked = 0;
			break;
		case RC_ASK:
			asked = 1;
			break;
		}
		freeReplyObject(r);
	}
	rc->io.fail(rc->io.arg, NULL, "too many redirections", 0);
	return NULL;
}
