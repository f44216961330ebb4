/*
 * lru.h - a bounded in-process cache of byte values under byte keys,
 * least recently used first out, each entry expiring on the monotonic
 * clock (ms_clock_ms time, given by the caller so that tests and the
 * caller agree on "now").
 *
 * Bounds: at most max_entries entries and max_bytes bytes (keys, values
 * and the bookkeeping of each entry counted); a put that would pass
 * either evicts the least recently used entries first; a value that
 * alone would take more than an eighth of max_bytes is not kept.  Keys
 * and values are copied in; lru_get returns a pointer into the cache,
 * valid until the next lru_put or lru_remove.  Not thread-safe: one
 * cache per thread of the Postfix daemon, per process under Exim (a
 * forked child works on its own copy).
 */
#ifndef MAILSEAL_LRU_H
#define MAILSEAL_LRU_H

#include <stddef.h>
#include <stdint.h>

struct lru;

/* lru_new - an empty cache; NULL when max_entries or max_bytes is 0 */
struct lru *lru_new(size_t max_entries, size_t max_bytes);
/* lru_free - release it (NULL is fine) */
void lru_free(struct lru *l);
/* lru_get - the value at key, when it expires after now_ms (an expired
 * entry is dropped), made the most recently used; *expires_ms tells
 * when it expires; NULL when there is none */
const unsigned char *lru_get(struct lru *l, const void *key, size_t key_len,
			     uint64_t now_ms, size_t *value_len,
			     uint64_t *expires_ms);
/* lru_put - keep value at key until expires_ms, replacing any entry */
void lru_put(struct lru *l, const void *key, size_t key_len,
	     const void *value, size_t value_len, uint64_t expires_ms);
/* lru_remove - forget key (absent is fine) */
void lru_remove(struct lru *l, const void *key, size_t key_len);
/* lru_count - entries held */
size_t lru_count(const struct lru *l);
/* lru_bytes - bytes held, as the bound counts them */
size_t lru_bytes(const struct lru *l);

#endif
