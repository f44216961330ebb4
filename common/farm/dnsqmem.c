/*
 * dnsqmem.c - a shared, locked in-process store of DNS answers.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dnsqmem.h"
#include "lru.h"
#include "xalloc.h"

struct dnsqmem {
	pthread_mutex_t lock;
	struct lru *lru;
};

struct dnsqmem *dnsqmem_new(size_t entries, size_t bytes)
{
	struct dnsqmem *m;
	struct lru *l = lru_new(entries, bytes);

	if (!l)
		return NULL;
	m = xcalloc(1, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->lru = l;
	return m;
}

void dnsqmem_free(struct dnsqmem *m)
{
	if (!m)
		return;
	lru_free(m->lru);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

const unsigned char *dnsqmem_get(struct dnsqmem *m, const char *key,
				 uint64_t now_ms, struct arena *a, size_t *len,
				 uint64_t *expires_ms)
{
	const unsigned char *v;
	unsigned char *copy = NULL;

	pthread_mutex_lock(&m->lock);
	v = lru_get(m->lru, key, strlen(key), now_ms, len, expires_ms);
	if (v)
		copy = (unsigned char *)arena_memdup(a, v, *len);
	pthread_mutex_unlock(&m->lock);
	return copy;
}

void dnsqmem_put(struct dnsqmem *m, const char *key, const void *value,
		 size_t len, uint64_t expires_ms)
{
	pthread_mutex_lock(&m->lock);
	lru_put(m->lru, key, strlen(key), value, len, expires_ms);
	pthread_mutex_unlock(&m->lock);
}

void dnsqmem_remove(struct dnsqmem *m, const char *key)
{
	pthread_mutex_lock(&m->lock);
	lru_remove(m->lru, key, strlen(key));
	pthread_mutex_unlock(&m->lock);
}

size_t dnsqmem_count(struct dnsqmem *m)
{
	size_t n;

	pthread_mutex_lock(&m->lock);
	n = lru_count(m->lru);
	pthread_mutex_unlock(&m->lock);
	return n;
}
