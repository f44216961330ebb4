/*
 * nodecache.h - the node's cache: one region of shared memory that every
 * process of a forking MTA on one machine reads and writes, between
 * each process's own in-process cache and the farm's Redis.
 *
 * Exim forks one process per SMTP session, and what a session's
 * in-process cache learns dies with it: without this layer every
 * session asks Redis or DNS for its keys again.  The region is mapped
 * (MAP_SHARED, anonymous) by the process that will fork, before it
 * forks (mailseal_prewarm in Exim's daemon: policy_prepare), and every
 * child inherits the same pages: what one session fetched, the next
 * reads from memory.  Nothing is ever copied on write, and the daemon
 * itself never writes to it.
 *
 * What it holds are encoded answers, the bytes a cache layer would put
 * in Redis (farmvalue.h for keys, dnsqvalue.h for SPF and DMARC),
 * without the farm's HMAC: never pointers, never OpenSSL objects.  A
 * reader decodes what it gets with the same checks as a value from
 * Redis, so a value it cannot read is a miss.
 *
 * Layout: a header (magic "MSNC", the layout version, the slot count
 * and size), then slots of NODECACHE_SLOT bytes.  A key hashes to a
 * window of NODECACHE_PROBE slots (open addressing); a put takes the
 * slot of the same key, else a free or expired one, else the one that
 * expires first: the cache is bounded and never grows.  A key or value
 * that does not fit a slot is not kept.
 *
 * Concurrency without locks: each slot has a sequence number, odd
 * while a writer is in it.  A writer claims a slot by compare-and-swap
 * from even to odd and never waits: a slot being written is skipped
 * (the answer is simply not kept).  A reader copies the slot and keeps
 * the copy only when the number was even and unchanged across the
 * copy, and when the checksum over the copy matches.  A writer that
 * died in a slot (killed mid-update) leaves it odd: readers miss it,
 * and after NODECACHE_STALE_MS a writer takes it over.  A slot of
 * another layout version, or a region whose header is not this
 * version's, is a miss.
 *
 * Expiry is on the monotonic clock (ms_clock_ms), which every process
 * of the machine shares.
 */
#ifndef MAILSEAL_NODECACHE_H
#define MAILSEAL_NODECACHE_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"

#define NODECACHE_SLOT 4096             /* bytes per slot: one page */
#define NODECACHE_PROBE 8               /* slots a key may live in */
#define NODECACHE_STALE_MS 2000         /* a writer's claim older than
					 * this belongs to a dead writer */
#define NODECACHE_MAX_SLOTS ((size_t)1 << 20)

struct nodecache;

/* this process's counters (not shared) */
struct nodecache_stats {
	unsigned long hits;
	unsigned long misses;
	unsigned long torn;             /* copies that changed under us or
					 * failed the checksum: misses */
	unsigned long puts;
	unsigned long busy;             /* puts skipped: slots being written */
	unsigned long takeovers;        /* claims of a dead writer taken */
	unsigned long too_big;          /* puts of what no slot holds */
};

/* nodecache_new - a region of at least slots slots (rounded up to a
 * power of two, at most NODECACHE_MAX_SLOTS), mapped shared so that
 * children forked later share it; NULL when slots is 0 or the mapping
 * fails */
struct nodecache *nodecache_new(size_t slots);
/* nodecache_free - unmap it (NULL is fine) */
void nodecache_free(struct nodecache *nc);
/* nodecache_get - a copy in a of the value at key when it expires
 * after now_ms; *len its length, *expires_ms its expiry; NULL when
 * there is none (or it could not be read intact) */
const unsigned char *nodecache_get(struct nodecache *nc, const char *key,
				   uint64_t now_ms, struct arena *a,
				   size_t *len, uint64_t *expires_ms);
/* nodecache_put - keep value at key until expires_ms, when a slot can
 * be had without waiting */
void nodecache_put(struct nodecache *nc, const char *key, const void *value,
		   size_t len, uint64_t expires_ms);
/* nodecache_remove - forget key (absent, or being written: nothing) */
void nodecache_remove(struct nodecache *nc, const char *key);
/* the longest key nodecache_recent reports */
#define NODECACHE_NOTE_MAX 119

/* nodecache_recent - up to max keys put (by any process) since *cursor
 * (0 at first), each NUL-terminated into keys, oldest first; *cursor
 * moves past them.  The ring keeps the last 64 puts: what a reader
 * falls behind by more is lost to it, and keys longer than
 * NODECACHE_NOTE_MAX are not in it.  A parent that forks reads it to
 * take into its own caches what its children fetched (policy_preload),
 * so that the next children inherit it ready. */
size_t nodecache_recent(struct nodecache *nc, uint64_t *cursor,
			char keys[][NODECACHE_NOTE_MAX + 1], size_t max);
/* nodecache_slots - its slots (NULL: 0) */
size_t nodecache_slots(const struct nodecache *nc);
/* nodecache_stats - this process's counters */
const struct nodecache_stats *nodecache_stats(const struct nodecache *nc);
/* nodecache_region - the mapped bytes and their size: what tests and
 * the fuzz target write over to play a broken or older writer */
unsigned char *nodecache_region(struct nodecache *nc, size_t *size);
/* nodecache_set_stale_ms - the dead-writer delay (tests) */
void nodecache_set_stale_ms(struct nodecache *nc, uint64_t ms);
/* nodecache_set_write_hook - tests: fn runs in each put with the slot
 * claimed and half written (a writer killed there, or stopped) */
void nodecache_set_write_hook(struct nodecache *nc, void (*fn)(void));

/* the process's region: made by the process that forks (policy_prepare)
 * and read by every cache layer of it and its children; NULL: none */
struct nodecache *nodecache_process(void);
/* nodecache_process_init - map the process's region of slots slots,
 * unless there is one already (its size then stays until the process
 * ends); 0 slots: none */
void nodecache_process_init(size_t slots);

#endif
