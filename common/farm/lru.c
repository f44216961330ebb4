/*
 * lru.c - a bounded in-process cache: chained hash table for finding,
 * a doubly linked list for age (head: most recently used).  An entry
 * is one allocation: its links, then the key, then the value.
 */
#include <stdlib.h>
#include <string.h>

#include "lru.h"
#include "xalloc.h"

#define LRU_MIN_BUCKETS 64
#define LRU_MAX_BUCKETS ((size_t)1 << 20)

struct lru_entry {
	struct lru_entry *hnext;        /* hash chain */
	struct lru_entry *older, *newer;
	size_t hash;
	size_t key_len;
	size_t value_len;
	uint64_t expires_ms;
	unsigned char data[];           /* key, then value */
};

struct lru {
	struct lru_entry **table;
	size_t nbuckets;                /* a power of two */
	size_t count, bytes;
	size_t max_entries, max_bytes;
	struct lru_entry *newest, *oldest;
};

/* lru_hash - FNV-1a over the key */
static size_t lru_hash(const unsigned char *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	while (n--) {
		h ^= *p++;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static size_t lru_size_of(size_t key_len, size_t value_len)
{
	return sizeof(struct lru_entry) + key_len + value_len;
}

/* lru_new - an empty cache */
struct lru *lru_new(size_t max_entries, size_t max_bytes)
{
	struct lru *l;

	if (!max_entries || !max_bytes)
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->max_entries = max_entries;
	l->max_bytes = max_bytes;
	l->nbuckets = LRU_MIN_BUCKETS;
	while (l->nbuckets < max_entries && l->nbuckets < LRU_MAX_BUCKETS)
		l->nbuckets *= 2;
	l->table = xcalloc(l->nbuckets, sizeof(*l->table));
	return l;
}

/* lru_detach - take e out of the age list */
static void lru_detach(struct lru *l, struct lru_entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		l->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		l->oldest = e->newer;
	e->older = e->newer = NULL;
}

/* lru_attach - make e the newest */
static void lru_attach(struct lru *l, struct lru_entry *e)
{
	e->newer = NULL;
	e->older = l->newest;
	if (l->newest)
		l->newest->newer = e;
	l->newest = e;
	if (!l->oldest)
		l->oldest = e;
}

/* lru_drop - unlink e everywhere and free it */
static void lru_drop(struct lru *l, struct lru_entry *e)
{
	struct lru_entry **pp = &l->table[e->hash & (l->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_detach(l, e);
	l->count--;
	l->bytes -= lru_size_of(e->key_len, e->value_len);
	free(e);
}

static struct lru_entry *lru_find(const struct lru *l, const void *key,
				  size_t key_len, size_t hash)
{
	struct lru_entry *e;

	for (e = l->table[hash & (l->nbuckets - 1)]; e; e = e->hnext)
		if (e->hash == hash && e->key_len == key_len &&
		    memcmp(e->data, key, key_len) == 0)
			return e;
	return NULL;
}

/* lru_free - release it */
void lru_free(struct lru *l)
{
	if (!l)
		return;
	while (l->oldest)
		lru_drop(l, l->oldest);
	free(l->table);
	free(l);
}

/* lru_get - the value at key, unexpired */
const unsigned char *lru_get(struct lru *l, const void *key, size_t key_len,
			     uint64_t now_ms, size_t *value_len,
			     uint64_t *expires_ms)
{
	struct lru_entry *e = lru_find(l, key, key_len, lru_hash(key, key_len));

	if (!e)
		return NULL;
	if (e->expires_ms <= now_ms) {
		lru_drop(l, e);
		return NULL;
	}
	lru_detach(l, e);
	lru_attach(l, e);
	*value_len = e->value_len;
	*expires_ms = e->expires_ms;
	return e->data + e->key_len;
}

/* lru_remove - forget key */
void lru_remove(struct lru *l, const void *key, size_t key_len)
{
	struct lru_entry *e = lru_find(l, key, key_len, lru_hash(key, key_len));

	if (e)
		lru_drop(l, e);
}

/* lru_put - keep value at key until expires_ms */
void lru_put(struct lru *l, const void *key, size_t key_len,
	     const void *value, size_t value_len, uint64_t expires_ms)
{
	size_t hash = lru_hash(key, key_len), size, b;
	struct lru_entry *e = lru_find(l, key, key_len, hash);

	if (e)
		lru_drop(l, e);
	if (key_len > l->max_bytes || value_len > l->max_bytes)
		return;
	size = lru_size_of(key_len, value_len);
	if (size > l->max_bytes / 8)
		return;
	while (l->oldest && (l->count >= l->max_entries ||
			     l->bytes + size > l->max_bytes))
		lru_drop(l, l->oldest);
	e = xmalloc(size);
	memset(e, 0, sizeof(*e));
	e->hash = hash;
	e->key_len = key_len;
	e->value_len = value_len;
	e->expires_ms = expires_ms;
	memcpy(e->data, key, key_len);
	if (value_len)
		memcpy(e->data + key_len, value, value_len);
	b = hash & (l->nbuckets - 1);
	e->hnext = l->table[b];
	l->table[b] = e;
	lru_attach(l, e);
	l->count++;
	l->bytes += size;
}

/* lru_count - entries held */
size_t lru_count(const struct lru *l)
{
	return l ? l->count : 0;
}

/* lru_bytes - bytes held */
size_t lru_bytes(const struct lru *l)
{
	return l ? l->bytes : 0;
}
