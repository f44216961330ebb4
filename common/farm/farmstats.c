/*
 * farmstats.c - the counters of every node in the farm's Redis: one
 * pipelined transaction to add, a set and a hash per node to read.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "farmcache_int.h"
#include "farmstats.h"
#include "numparse.h"
#include "xalloc.h"

#define FS_NODES "mailseal:{stats}:nodes"
#define FS_NODE_PREFIX "mailseal:{stats}:node:"

/* what the counters were at the last push that succeeded, in this
 * process (a forked child inherits it with the counters themselves) */
static struct metrics_snap fs_pushed;
static pthread_mutex_t fs_lock = PTHREAD_MUTEX_INITIALIZER;

/* farmstats_node_ok - letters, digits, '.', '-', '_' */
int farmstats_node_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '-' || s[i] == '_'))
			return 0;
	return i > 0 && i <= FARMSTATS_NODE_MAX;
}

/* farmstats_default_node - the host name, or its first label */
void farmstats_default_node(char *out, size_t n)
{
	char host[FARMSTATS_NODE_MAX + 2] = "";

	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = 0;
	host[sizeof(host) - 1] = 0;
	if (!farmstats_node_ok(host))
		host[strcspn(host, ".")] = 0;
	snprintf(out, n, "%s", farmstats_node_ok(host) ? host : "localhost");
}

/* fs_key - the hash of a node */
static void fs_key(struct buf *k, const char *node)
{
	buf_reset(k);
	buf_puts(k, FS_NODE_PREFIX);
	buf_puts(k, node);
}

/* fs_exec_ok - did EXEC apply every command (no error inside)? */
static int fs_exec_ok(const redisReply *r)
{
	size_t i;

	if (r->type != REDIS_REPLY_ARRAY)
		return 0;
	for (i = 0; i < r->elements; i++)
		if (r->element[i]->type == REDIS_REPLY_ERROR)
			return 0;
	return 1;
}

/* fs_send - MULTI, SADD, an HINCRBY per slot of d that is not 0, EXEC;
 * 0 when applied */
static int fs_send(struct farmcache *fc, const char *node,
		   const struct metrics_snap *d, size_t changed)
{
	size_t ncmd = changed + 3, i, c = 0;
	int *argc = xcalloc(ncmd, sizeof(*argc));
	const char ***argv = xcalloc(ncmd, sizeof(*argv));
	const size_t **lens = xcalloc(ncmd, sizeof(*lens));
	const char **words = xcalloc(ncmd * 4, sizeof(*words));
	size_t *wl = xcalloc(ncmd * 4, sizeof(*wl));
	struct buf key, *names = xcalloc(changed, sizeof(*names));
	char (*nums)[24] = xcalloc(changed, sizeof(*nums));
	redisReply *r;
	unsigned s;
	int ok;

	buf_init(&key, BUF_UNLIMITED);
	fs_key(&key, node);
#define CMD(n) (argc[c] = (n), argv[c] = &words[c * 4], \
		lens[c] = &wl[c * 4], c++)
#define ARG(k, p, l) (words[c * 4 + (k)] = (p), wl[c * 4 + (k)] = (l))
	ARG(0, "MULTI", 5);
	CMD(1);
	ARG(0, "SADD", 4);
	ARG(1, FS_NODES, sizeof(FS_NODES) - 1);
	ARG(2, node, strlen(node));
	CMD(3);
	for (s = 0, i = 0; s < METRICS_NSLOTS; s++) {
		if (!d->v[s])
			continue;
		buf_init(&names[i], BUF_UNLIMITED);
		metrics_slot_name(s, &names[i]);
		snprintf(nums[i], sizeof(nums[i]), "%llu",
			 (unsigned long long)d->v[s]);
		ARG(0, "HINCRBY", 7);
		ARG(1, buf_str(&key), key.len);
		ARG(2, buf_str(&names[i]), names[i].len);
		ARG(3, nums[i], strlen(nums[i]));
		CMD(4);
		i++;
	}
	ARG(0, "EXEC", 4);
	CMD(1);
#undef CMD
#undef ARG
	r = farmcache_run_many(fc, c, argc, argv, lens);
	ok = r && fs_exec_ok(r);
	if (r)
		freeReplyObject(r);
	for (i = 0; i < changed; i++)
		buf_free(&names[i]);
	buf_free(&key);
	free(names);
	free(nums);
	free(wl);
	free(words);
	free(lens);
	free(argv);
	free(argc);
	return ok ? 0 : -1;
}

/* farmstats_push - the gain since the last push, added to node's hash */
enum farm_result farmstats_push(struct farmcache *fc, const char *node)
{
	struct metrics_snap now, d;
	size_t changed;
	int rc;

	if (pthread_mutex_trylock(&fs_lock) != 0) {
		metrics_inc(MSLOT_PUSH(MFAILED));
		return FARM_ERROR;
	}
	metrics_snapshot(&now);
	changed = metrics_delta(&now, &fs_pushed, &d);
	rc = changed ? fs_send(fc, node, &d, changed) : 0;
	if (rc == 0)
		fs_pushed = now;
	pthread_mutex_unlock(&fs_lock);
	if (changed)
		metrics_inc(MSLOT_PUSH(rc == 0 ? MOK : MFAILED));
	return rc == 0 ? FARM_HIT : FARM_ERROR;
}

/* fs_count - a stored count: decimal digits, at most INT64_MAX */
static int fs_count(const redisReply *v, uint64_t *n)
{
	return v->type == REDIS_REPLY_STRING &&
	       num_parse_u64((const unsigned char *)v->str, v->len, INT64_MAX,
			     n) == MS_OK;
}

/* fs_read_node - one node's hash into nd */
static int fs_read_node(struct farmcache *fc, struct farmstats_node *nd)
{
	struct buf key;
	redisReply *r;
	size_t i;

	buf_init(&key, BUF_UNLIMITED);
	fs_key(&key, nd->name);
	r = farmcache_run_array(fc, "HGETALL", buf_str(&key), key.len);
	buf_free(&key);
	if (!r)
		return -1;
	for (i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *f = r->element[i], *v = r->element[i + 1];
		int slot = f->type == REDIS_REPLY_STRING
			   ? metrics_slot_find(f->str, f->len) : -1;
		uint64_t n;

		if (slot < 0 || !metrics_is_counter((unsigned)slot) ||
		    !fs_count(v, &n)) {
			nd->unknown++;
			continue;
		}
		nd->snap.v[slot] = n;
	}
	freeReplyObject(r);
	return 0;
}

static int fs_cmp_node(const void *a, const void *b)
{
	return strcmp(((const struct farmstats_node *)a)->name,
		      ((const struct farmstats_node *)b)->name);
}

/* farmstats_read - every node's counters */
enum ms_status farmstats_read(struct farmcache *fc,
			      struct farmstats_node **out, size_t *n,
			      struct ms_error *err)
{
	struct farmstats_node *nodes;
	redisReply *r;
	size_t i;

	*out = NULL;
	*n = 0;
	r = farmcache_run_array(fc, "SMEMBERS", FS_NODES, sizeof(FS_NODES) - 1);
	if (!r) {
		return ms_error_set(err, MS_ERR_TEMP, "cannot read %s from Redis: %s",
				    FS_NODES, farmcache_last_error(fc));
	}
	nodes = xcalloc(r->elements + 1, sizeof(*nodes));
	for (i = 0; i < r->elements; i++) {
		const redisReply *e = r->element[i];

		if (e->type != REDIS_REPLY_STRING || memchr(e->str, 0, e->len))
			continue;
		nodes[*n].name = xstrndup(e->str, e->len);
		if (!farmstats_node_ok(nodes[*n].name)) {
			free(nodes[*n].name);   /* not a name we wrote */
			continue;
		}
		(*n)++;
	}
	freeReplyObject(r);
	qsort(nodes, *n, sizeof(*nodes), fs_cmp_node);
	for (i = 0; i < *n; i++) {
		if (fs_read_node(fc, &nodes[i]) != 0) {
			farmstats_free(nodes, *n);
			*n = 0;
			return ms_error_set(err, MS_ERR_TEMP,
					    "cannot read the counters of node %s from Redis: %s",
					    nodes[i].name, farmcache_last_error(fc));
		}
	}
	*out = nodes;
	return MS_OK;
}

/* farmstats_free - the nodes read */
void farmstats_free(struct farmstats_node *nodes, size_t n)
{
	size_t i;

	for (i = 0; nodes && i < n; i++)
		free(nodes[i].name);
	free(nodes);
}

/* farmstats_forget - SREM and DEL, in one transaction */
int farmstats_forget(struct farmcache *fc, const char *node,
		     struct ms_error *err)
{
	struct buf key;
	const char *multi[] = { "MULTI" }, *exec[] = { "EXEC" };
	const char *srem[3], *del[2];
	size_t multi_l[] = { 5 }, exec_l[] = { 4 }, srem_l[3], del_l[2];
	const int argc[] = { 1, 3, 2, 1 };
	const char **argv[] = { multi, srem, del, exec };
	const size_t *lens[] = { multi_l, srem_l, del_l, exec_l };
	redisReply *r;
	int had = -1;

	buf_init(&key, BUF_UNLIMITED);
	fs_key(&key, node);
	srem[0] = "SREM";        srem_l[0] = 4;
	srem[1] = FS_NODES;      srem_l[1] = sizeof(FS_NODES) - 1;
	srem[2] = node;          srem_l[2] = strlen(node);
	del[0] = "DEL";          del_l[0] = 3;
	del[1] = buf_str(&key);  del_l[1] = key.len;
	r = farmcache_run_many(fc, 4, argc, argv, lens);
	buf_free(&key);
	if (r && fs_exec_ok(r) && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER &&
	    r->element[1]->type == REDIS_REPLY_INTEGER)
		had = r->element[0]->integer > 0 || r->element[1]->integer > 0;
	if (r)
		freeReplyObject(r);
	if (had < 0)
		ms_error_set(err, MS_ERR_TEMP, "cannot forget node %s in Redis: %s",
			     node, farmcache_last_error(fc));
	return had;
}
