/*
 * revstore.c - complaints, offences and revocations in the farm's Redis,
 * and the node's copy of the revocations (revstore.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "farmcache_int.h"
#include "hex.h"
#include "numparse.h"
#include "revstore.h"
#include "xalloc.h"

#define RS_SEQ "mailseal:{rev}:seq"
#define RS_VERSION "mailseal:{rev}:version"
#define RS_STATE "mailseal:{rev}:state"

/* count one complaint (redis/SCHEMA.md has the keys) */
static const char rs_complain_script[] =
	"local p = 'mailseal:{rev}:'\n"
	"local now, win = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
	"local thr, cap = tonumber(ARGV[3]), tonumber(ARGV[4])\n"
	"local sig, rep, n = ARGV[5], ARGV[6], tonumber(ARGV[9])\n"
	"if redis.call('SADD', p .. 'cmp:' .. sig, rep) == 0 then\n"
	"  return {'repeat'}\n"
	"end\n"
	"redis.call('EXPIRE', p .. 'cmp:' .. sig, win)\n"
	"local cid = redis.call('INCR', KEYS[1])\n"
	"local ids = {}\n"
	"for i = 1, n do ids[i] = ARGV[8 + 2 * i] end\n"
	"local idl = table.concat(ids, ' ')\n"
	"redis.call('HSET', p .. 'c:' .. cid, 'time', now, 'reporter', rep,\n"
	"  'sig', sig, 'evidence', ARGV[7], 'feedback_type', ARGV[8],\n"
	"  'identities', idl)\n"
	"redis.call('EXPIRE', p .. 'c:' .. cid, win)\n"
	"redis.call('ZADD', p .. 'complaints', now, cid)\n"
	"redis.call('ZREMRANGEBYSCORE', p .. 'complaints', '-inf', now - win)\n"
	"redis.call('EXPIRE', p .. 'complaints', win)\n"
	"redis.call('XADD', p .. 'audit', 'MAXLEN', '~', 100000, '*',\n"
	"  'event', 'complaint', 'complaint', cid, 'reporter', rep, 'sig', sig,\n"
	"  'evidence', ARGV[7], 'identities', idl)\n"
	"local out = {'counted', cid, n}\n"
	"for i = 1, n do\n"
	"  local id, prot = ARGV[8 + 2 * i], ARGV[9 + 2 * i] == '1'\n"
	"  local ok = p .. 'off:' .. id\n"
	"  redis.call('ZADD', ok, 'NX', now, sig)\n"
	"  redis.call('ZREMRANGEBYSCORE', ok, '-inf', now - win)\n"
	"  redis.call('EXPIRE', ok, win)\n"
	"  local off = redis.call('ZCARD', ok)\n"
	"  local cur = redis.call('HGET', p .. 'state', id)\n"
	"  local st, rid, changed = 'none', 0, 0\n"
	"  if cur then\n"
	"    st = string.match(cur, '^(%S+)')\n"
	"    rid = tonumber(string.match(cur, ' (%d+)$'))\n"
	"  end\n"
	"  if off >= thr and st ~= 'revoked' then\n"
	"    local new, why = 'revoked', 'threshold'\n"
	"    local hr = p .. 'rate:' .. math.floor(now / 3600)\n"
	"    if prot then\n"
	"      new, why = 'pending', 'protected'\n"
	"    elseif tonumber(redis.call('GET', hr) or '0') >= cap then\n"
	"      new, why = 'pending', 'hourly cap'\n"
	"    end\n"
	"    if new ~= st then\n"
	"      if new == 'revoked' then\n"
	"        redis.call('INCR', hr)\n"
	"        redis.call('EXPIRE', hr, 7200)\n"
	"      end\n"
	"      local sigs = table.concat(redis.call('ZRANGE', ok, 0, -1), ' ')\n"
	"      rid = redis.call('INCR', KEYS[1])\n"
	"      redis.call('HSET', p .. 'r:' .. rid, 'identity', id, 'state', new,\n"
	"        'time', now, 'how', 'complaints', 'why', why,\n"
	"        'offences', sigs, 'complaint', cid)\n"
	"      redis.call('HSET', p .. 'state', id, new .. ' ' .. rid)\n"
	"      redis.call('INCR', p .. 'version')\n"
	"      redis.call('XADD', p .. 'audit', 'MAXLEN', '~', 100000, '*',\n"
	"        'event', new, 'revocation', rid, 'identity', id, 'why', why,\n"
	"        'offences', sigs, 'complaint', cid)\n"
	"      st, changed = new, 1\n"
	"    end\n"
	"  end\n"
	"  out[#out + 1] = off\n"
	"  out[#out + 1] = st\n"
	"  out[#out + 1] = rid\n"
	"  out[#out + 1] = changed\n"
	"end\n"
	"return out\n";

/* an administrator's revocation */
static const char rs_set_script[] =
	"local p = 'mailseal:{rev}:'\n"
	"local rid = redis.call('INCR', KEYS[1])\n"
	"redis.call('HSET', p .. 'r:' .. rid, 'identity', ARGV[2], 'state',\n"
	"  ARGV[3], 'time', ARGV[1], 'how', 'manual', 'by', ARGV[4],\n"
	"  'why', ARGV[5])\n"
	"redis.call('HSET', p .. 'state', ARGV[2], ARGV[3] .. ' ' .. rid)\n"
	"redis.call('INCR', p .. 'version')\n"
	"redis.call('XADD', p .. 'audit', 'MAXLEN', '~', 100000, '*',\n"
	"  'event', ARGV[3], 'revocation', rid, 'identity', ARGV[2],\n"
	"  'by', ARGV[4], 'why', ARGV[5])\n"
	"return rid\n";

/* the end of one: its identity starts afresh (its offences forgotten) */
static const char rs_remove_script[] =
	"local p = 'mailseal:{rev}:'\n"
	"local rid = ARGV[2]\n"
	"local id = redis.call('HGET', p .. 'r:' .. rid, 'identity')\n"
	"if not id then return 0 end\n"
	"local cur = redis.call('HGET', p .. 'state', id)\n"
	"if not cur or string.match(cur, ' (%d+)$') ~= rid then return 0 end\n"
	"redis.call('HDEL', p .. 'state', id)\n"
	"redis.call('DEL', p .. 'off:' .. id)\n"
	"redis.call('HSET', p .. 'r:' .. rid, 'state', 'removed',\n"
	"  'removed_time', ARGV[1], 'removed_by', ARGV[3],\n"
	"  'removed_why', ARGV[4])\n"
	"redis.call('INCR', p .. 'version')\n"
	"redis.call('XADD', p .. 'audit', 'MAXLEN', '~', 100000, '*',\n"
	"  'event', 'removed', 'revocation', rid, 'identity', id,\n"
	"  'by', ARGV[3], 'why', ARGV[4])\n"
	"return 1\n";

const char *rev_state_str(enum rev_state st)
{
	switch (st) {
	case REV_NONE:    return "none";
	case REV_PENDING: return "pending";
	case REV_REVOKED: return "revoked";
	}
	return "?";
}

static enum rev_state rs_state_parse(const char *s, size_t len)
{
	if (len == 7 && memcmp(s, "revoked", 7) == 0)
		return REV_REVOKED;
	if (len == 7 && memcmp(s, "pending", 7) == 0)
		return REV_PENDING;
	return REV_NONE;
}

/* rs_int - an integer reply's value, or a number in a string reply */
static uint64_t rs_int(const redisReply *r)
{
	uint64_t v = 0;

	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer > 0 ? (uint64_t)r->integer : 0;
	if (r->type == REDIS_REPLY_STRING &&
	    num_parse_u64((const unsigned char *)r->str, r->len, UINT64_MAX,
			  &v) == MS_OK)
		return v;
	return 0;
}

enum farm_result revstore_complain(struct farmcache *fc,
				   const struct rev_rules *rules,
				   const struct rev_complaint *c, uint64_t now,
				   struct rev_outcome *out)
{
	const char *argv[4 + 9 + 2 * REV_MAX_IDENTITIES];
	size_t lens[4 + 9 + 2 * REV_MAX_IDENTITIES];
	char nums[5][24], sig[33], nid[8];
	int argc = 0;
	size_t i;
	redisReply *r;

	memset(out, 0, sizeof(*out));
	if (c->nidentities > REV_MAX_IDENTITIES)
		return FARM_ERROR;
	hex_lower(c->sig_id, 16, sig);
	snprintf(nums[0], sizeof(nums[0]), "%llu", (unsigned long long)now);
	snprintf(nums[1], sizeof(nums[1]), "%u", rules->window);
	snprintf(nums[2], sizeof(nums[2]), "%u", rules->threshold);
	snprintf(nums[3], sizeof(nums[3]), "%u", rules->cap_per_hour);
	snprintf(nid, sizeof(nid), "%zu", c->nidentities);
#define RS_ARG(s) (argv[argc] = (s), lens[argc] = strlen(s), argc++)
	RS_ARG("EVAL");
	RS_ARG(rs_complain_script);
	RS_ARG("1");
	RS_ARG(RS_SEQ);
	RS_ARG(nums[0]);
	RS_ARG(nums[1]);
	RS_ARG(nums[2]);
	RS_ARG(nums[3]);
	RS_ARG(sig);
	RS_ARG(c->reporter);
	RS_ARG(c->evidence);
	RS_ARG(c->feedback_type ? c->feedback_type : "");
	RS_ARG(nid);
	for (i = 0; i < c->nidentities; i++) {
		RS_ARG(c->identities[i]);
		RS_ARG(c->protected_id[i] ? "1" : "0");
	}
#undef RS_ARG
	r = farmcache_run(fc, argc, argv, lens);
	if (!r)
		return FARM_ERROR;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		return FARM_ERROR;
	}
	if (strcmp(r->element[0]->str, "counted") == 0 && r->elements >= 3) {
		out->counted = 1;
		out->complaint_id = rs_int(r->element[1]);
		out->n = rs_int(r->element[2]);
		if (out->n > REV_MAX_IDENTITIES || r->elements != 3 + 4 * out->n) {
			freeReplyObject(r);
			return FARM_ERROR;
		}
		for (i = 0; i < out->n; i++) {
			redisReply **e = r->element + 3 + 4 * i;

			out->id[i].offences = rs_int(e[0]);
			out->id[i].state = e[1]->type == REDIS_REPLY_STRING
				? rs_state_parse(e[1]->str, e[1]->len) : REV_NONE;
			out->id[i].revocation_id = rs_int(e[2]);
			out->id[i].changed = rs_int(e[3]) != 0;
		}
	}
	freeReplyObject(r);
	return FARM_HIT;
}

enum farm_result revstore_set(struct farmcache *fc, const char *identity,
			      enum rev_state state, const char *who,
			      const char *why, uint64_t now, uint64_t *id)
{
	char nows[24];
	const char *argv[9] = { "EVAL", rs_set_script, "1", RS_SEQ, nows,
				identity, rev_state_str(state), who, why };
	size_t lens[9], i;
	redisReply *r;

	snprintf(nows, sizeof(nows), "%llu", (unsigned long long)now);
	for (i = 0; i < 9; i++)
		lens[i] = strlen(argv[i]);
	r = farmcache_run(fc, 9, argv, lens);
	if (!r)
		return FARM_ERROR;
	*id = rs_int(r);
	freeReplyObject(r);
	return *id ? FARM_HIT : FARM_ERROR;
}

enum farm_result revstore_remove(struct farmcache *fc, uint64_t id,
				 const char *who, const char *why,
				 uint64_t now)
{
	char nows[24], ids[24];
	const char *argv[8] = { "EVAL", rs_remove_script, "1", RS_SEQ, nows,
				ids, who, why };
	size_t lens[8], i;
	redisReply *r;
	uint64_t done;

	snprintf(nows, sizeof(nows), "%llu", (unsigned long long)now);
	snprintf(ids, sizeof(ids), "%llu", (unsigned long long)id);
	for (i = 0; i < 8; i++)
		lens[i] = strlen(argv[i]);
	r = farmcache_run(fc, 8, argv, lens);
	if (!r)
		return FARM_ERROR;
	done = rs_int(r);
	freeReplyObject(r);
	return done ? FARM_HIT : FARM_MISS;
}

/* rs_cmp_lines - qsort of line pointers */
static int rs_cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* rs_sorted - the lines of tmp (each ending in LF), sorted, into out */
static void rs_sorted(struct buf *tmp, struct buf *out, int numeric)
{
	char *s = (char *)buf_str(tmp), **lines;
	size_t n = 0, i;

	for (i = 0; i < tmp->len; i++)
		n += s[i] == '\n';
	lines = xcalloc(n + 1, sizeof(*lines));
	for (i = 0, n = 0; *s; ) {
		char *nl = strchr(s, '\n');

		lines[n++] = s;
		*nl = 0;
		s = nl + 1;
	}
	if (numeric) {
		/* "ID ..." lines: by the number, then the rest */
		size_t a, b;

		for (a = 1; a < n; a++)
			for (b = a; b > 0 && (strtoull(lines[b - 1], NULL, 10) >
					      strtoull(lines[b], NULL, 10)); b--) {
				char *t = lines[b];

				lines[b] = lines[b - 1];
				lines[b - 1] = t;
			}
	} else {
		qsort(lines, n, sizeof(*lines), rs_cmp_lines);
	}
	for (i = 0; i < n; i++) {
		buf_puts(out, lines[i]);
		buf_putc(out, '\n');
	}
	free(lines);
}

enum farm_result revstore_record(struct farmcache *fc, char kind, uint64_t id,
				 struct buf *out)
{
	char k[64];
	size_t i, n;
	struct buf tmp;
	redisReply *r;

	n = (size_t)snprintf(k, sizeof(k), "mailseal:{rev}:%c:%llu", kind,
			     (unsigned long long)id);
	r = farmcache_run_array(fc, "HGETALL", k, n);
	if (!r)
		return FARM_ERROR;
	if (r->elements % 2) {
		freeReplyObject(r);
		return FARM_ERROR;
	}
	if (r->elements == 0) {
		freeReplyObject(r);
		return FARM_MISS;
	}
	buf_init(&tmp, BUF_UNLIMITED);
	for (i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    r->element[i + 1]->type == REDIS_REPLY_STRING)
			buf_printf(&tmp, "%.*s %.*s\n", (int)r->element[i]->len,
				   r->element[i]->str, (int)r->element[i + 1]->len,
				   r->element[i + 1]->str);
	freeReplyObject(r);
	rs_sorted(&tmp, out, 0);
	buf_free(&tmp);
	return FARM_HIT;
}

enum farm_result revstore_states(struct farmcache *fc, struct buf *out)
{
	const char *argv[2] = { "HGETALL", RS_STATE };
	size_t lens[2] = { 7, sizeof(RS_STATE) - 1 }, i;
	struct buf tmp;
	redisReply *r = farmcache_run(fc, 2, argv, lens);

	if (!r)
		return FARM_ERROR;
	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2) {
		freeReplyObject(r);
		return FARM_ERROR;
	}
	buf_init(&tmp, BUF_UNLIMITED);
	for (i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		const char *sp;

		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
		    !(sp = memchr(v->str, ' ', v->len)))
			continue;
		buf_printf(&tmp, "%.*s %.*s %.*s\n",
			   (int)(v->len - (size_t)(sp - v->str) - 1), sp + 1,
			   (int)(sp - v->str), v->str, (int)k->len, k->str);
	}
	freeReplyObject(r);
	rs_sorted(&tmp, out, 1);
	buf_free(&tmp);
	return FARM_HIT;
}

enum farm_result revstore_complaints(struct farmcache *fc, struct buf *out)
{
	static const char key[] = "mailseal:{rev}:complaints";
	const char *argv[5] = { "ZRANGE", key, "0", "-1", "WITHSCORES" };
	size_t lens[5] = { 6, sizeof(key) - 1, 1, 2, 10 }, i;
	redisReply *r = farmcache_run(fc, 5, argv, lens);

	if (!r)
		return FARM_ERROR;
	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2) {
		freeReplyObject(r);
		return FARM_ERROR;
	}
	for (i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    r->element[i + 1]->type == REDIS_REPLY_STRING)
			buf_printf(out, "%.*s %.*s\n", (int)r->element[i]->len,
				   r->element[i]->str, (int)r->element[i + 1]->len,
				   r->element[i + 1]->str);
	freeReplyObject(r);
	return FARM_HIT;
}

/* ---- the node's copy ---- */

struct rs_entry {
	char identity[REV_IDENTITY_MAX];
	enum rev_state state;
	uint64_t id;
};

/* Shared by the threads of a process: readers under the read lock;
 * one refresh at a time (others skip it: the copy they read is at most
 * one refresh old), its Redis round trips outside the read-write lock,
 * which it takes only to swap the entries. */
struct revset {
	unsigned refresh_s;
	_Atomic uint64_t checked;       /* Unix time of the last refresh */
	uint64_t version;               /* the farm's, of the copy */
	int have;                       /* a copy was ever loaded */
	pthread_mutex_t refreshing;
	pthread_rwlock_t lock;          /* e and n */
	struct rs_entry *e;
	size_t n;
};

struct revset *revset_new(unsigned refresh_s)
{
	struct revset *s = xcalloc(1, sizeof(*s));

	s->refresh_s = refresh_s;
	pthread_mutex_init(&s->refreshing, NULL);
	pthread_rwlock_init(&s->lock, NULL);
	return s;
}

void revset_free(struct revset *s)
{
	if (!s)
		return;
	free(s->e);
	pthread_mutex_destroy(&s->refreshing);
	pthread_rwlock_destroy(&s->lock);
	free(s);
}

size_t revset_count(const struct revset *s)
{
	size_t n;

	if (!s)
		return 0;
	pthread_rwlock_rdlock((pthread_rwlock_t *)&s->lock);
	n = s->n;
	pthread_rwlock_unlock((pthread_rwlock_t *)&s->lock);
	return n;
}

/* rs_load - the whole state, replacing the copy; -1 leaves it as it was */
static int rs_load(struct revset *s, struct farmcache *fc)
{
	const char *argv[2] = { "HGETALL", RS_STATE };
	size_t lens[2] = { 7, sizeof(RS_STATE) - 1 }, i, n = 0;
	struct rs_entry *e;
	redisReply *r = farmcache_run(fc, 2, argv, lens);

	if (!r)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2) {
		freeReplyObject(r);
		return -1;
	}
	e = xcalloc(r->elements / 2 + 1, sizeof(*e));
	for (i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		const char *sp;

		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
		    k->len >= REV_IDENTITY_MAX)
			continue;
		sp = memchr(v->str, ' ', v->len);
		if (!sp)
			continue;
		memcpy(e[n].identity, k->str, k->len);
		e[n].identity[k->len] = 0;
		e[n].state = rs_state_parse(v->str, (size_t)(sp - v->str));
		(void)num_parse_u64((const unsigned char *)sp + 1,
				    v->len - (size_t)(sp - v->str) - 1,
				    UINT64_MAX, &e[n].id);
		if (e[n].state != REV_NONE)
			n++;
	}
	freeReplyObject(r);
	pthread_rwlock_wrlock(&s->lock);
	free(s->e);
	s->e = e;
	s->n = n;
	pthread_rwlock_unlock(&s->lock);
	s->have = 1;
	return 0;
}

void revset_refresh(struct revset *s, struct farmcache *fc, uint64_t now)
{
	const char *argv[2] = { "GET", RS_VERSION };
	size_t lens[2] = { 3, sizeof(RS_VERSION) - 1 };
	redisReply *r;
	uint64_t v;

	if (!s || !fc)
		return;
	if (!now)
		now = (uint64_t)time(NULL);
	if (atomic_load(&s->checked) && now - atomic_load(&s->checked) < s->refresh_s)
		return;
	if (pthread_mutex_trylock(&s->refreshing) != 0)
		return;                 /* another thread is at it */
	atomic_store(&s->checked, now);
	r = farmcache_run(fc, 2, argv, lens);
	if (r) {
		v = r->type == REDIS_REPLY_NIL ? 0 : rs_int(r);
		freeReplyObject(r);
		if ((!s->have || v != s->version) && rs_load(s, fc) == 0)
			s->version = v;
	}                               /* else the copy stays as it was */
	pthread_mutex_unlock(&s->refreshing);
}

static const struct rs_entry *rs_find(const struct revset *s, const char *id)
{
	size_t i;

	for (i = 0; s && i < s->n; i++)
		if (strcmp(s->e[i].identity, id) == 0)
			return &s->e[i];
	return NULL;
}

enum rev_state revset_domain(const struct revset *s, const char *d,
			     char *which, size_t wsize, uint64_t *id)
{
	char key[REV_IDENTITY_MAX];
	const struct rs_entry *e;
	const char *p = d;
	enum rev_state st = REV_NONE;

	pthread_rwlock_rdlock((pthread_rwlock_t *)&s->lock);
	while (p && *p) {
		if (strlen(p) + 8 > sizeof(key))
			break;
		snprintf(key, sizeof(key), "domain:%s", p);
		e = rs_find(s, key);
		if (e) {
			*id = e->id;
			snprintf(which, wsize, "%s", e->identity + 7);
			st = e->state;
			break;
		}
		p = strchr(p, '.');
		if (p)
			p++;
		if (p && !strchr(p, '.'))
			break;          /* never a bare top-level label */
	}
	pthread_rwlock_unlock((pthread_rwlock_t *)&s->lock);
	return st;
}

enum rev_state revset_identity(const struct revset *s, const char *identity,
			       uint64_t *id)
{
	const struct rs_entry *e;
	enum rev_state st = REV_NONE;

	pthread_rwlock_rdlock((pthread_rwlock_t *)&s->lock);
	e = rs_find(s, identity);
	if (e) {
		*id = e->id;
		st = e->state;
	}
	pthread_rwlock_unlock((pthread_rwlock_t *)&s->lock);
	return st;
}
