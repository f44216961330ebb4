/*
 * dnsqmem.h - the in-process layer of the DNS answer cache (dnsqcache.h)
 * as one store that the threads of a process share: an LRU cache
 * (lru.h) under a lock, holding encoded answers (dnsqvalue.h).
 *
 * Postfix's daemon has one per configuration generation, shared by
 * every engine built over it (each worker's, each SPF thread's and each
 * policy event loop's): an answer one thread fetched is in memory for
 * all, which is what lets a policy loop answer an SPF check from memory
 * without handing it to a thread (policy_check_spf_cached).  The lock
 * is held for the copy of one value only, never across I/O.  Under Exim
 * each process has its own (a forked child works on its copy).
 */
#ifndef MAILSEAL_DNSQMEM_H
#define MAILSEAL_DNSQMEM_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"

struct dnsqmem;

/* dnsqmem_new - an empty store of at most entries values and bytes
 * bytes; NULL when entries is 0 (no in-process cache) */
struct dnsqmem *dnsqmem_new(size_t entries, size_t bytes);
/* dnsqmem_free - release it (NULL is fine) */
void dnsqmem_free(struct dnsqmem *m);
/* dnsqmem_get - a copy in a of the value at key, when it expires after
 * now_ms; *len its length, *expires_ms its expiry; NULL when none */
const unsigned char *dnsqmem_get(struct dnsqmem *m, const char *key,
				 uint64_t now_ms, struct arena *a, size_t *len,
				 uint64_t *expires_ms);
/* dnsqmem_put - keep value at key until expires_ms */
void dnsqmem_put(struct dnsqmem *m, const char *key, const void *value,
		 size_t len, uint64_t expires_ms);
/* dnsqmem_remove - forget key (absent is fine) */
void dnsqmem_remove(struct dnsqmem *m, const char *key);
/* dnsqmem_count - values held */
size_t dnsqmem_count(struct dnsqmem *m);

#endif
