/*
 * nodecache.c - the node's shared-memory cache (nodecache.h).
 *
 * A slot: the sequence number and the writer's claim time (atomics),
 * then, written only under an odd sequence number, the layout version,
 * key length, value length, expiry, the key's hash and a checksum of
 * all of these and the bytes, then the key and the value.  A reader
 * first compares the key's hash (an atomic, read without a copy) and
 * copies a slot only when it may be the one.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "msclock.h"
#include "nodecache.h"
#include "xalloc.h"

#define NC_MAGIC "MSNC"
#define NC_LAYOUT 1                     /* of the header and the slots */
#define NC_RING 64                      /* keys put lately, for the parent */
#define NC_RING_ENTRY 128
/* the region's header: magic, layout, slot count, the ring's head,
 * then the ring; the slots start on a page */
#define NC_HEAD 12288
_Static_assert(64 + NC_RING * NC_RING_ENTRY <= NC_HEAD, "ring too large");

/* one key of the ring: its number (the ring's index + 1) once whole */
struct nc_note {
	_Atomic uint64_t seq;
	uint8_t len;
	char key[NC_RING_ENTRY - 9];
};

struct nc_slot {
	_Atomic uint32_t seq;           /* odd: a writer is in it */
	uint32_t pad;
	_Atomic uint64_t claimed_ms;    /* when the writer claimed it */
	_Atomic uint64_t hash;          /* of the key; 0: empty */
	/* the rest only under an even, unchanged seq */
	uint64_t expires_ms;
	uint64_t check;                 /* nc_check of all below and data */
	uint32_t value_len;
	uint16_t key_len;
	uint8_t layout;                 /* NC_LAYOUT */
	uint8_t pad2;
	unsigned char data[];           /* the key, then the value */
};

#define NC_DATA (NODECACHE_SLOT - sizeof(struct nc_slot))

struct nodecache {
	unsigned char *region;
	size_t size;
	size_t nslots;                  /* a power of two */
	uint64_t stale_ms;
	void (*write_hook)(void);       /* tests */
	struct nodecache_stats stats;   /* this process's */
};

/* nc_hash - the key's hash, never 0 (0 marks an empty slot) */
static uint64_t nc_hash(const char *key, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	while (n--) {
		h ^= (unsigned char)*key++;
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

/* nc_mix - fold p[0..n) into h, eight bytes at a time */
static uint64_t nc_mix(uint64_t h, const unsigned char *p, size_t n)
{
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* nc_check - the checksum a slot's copy must carry */
static uint64_t nc_check(uint64_t hash, uint64_t expires_ms,
			 uint32_t value_len, uint16_t key_len,
			 const unsigned char *data)
{
	unsigned char head[22];

	memcpy(head, &hash, 8);
	memcpy(head + 8, &expires_ms, 8);
	memcpy(head + 16, &value_len, 4);
	memcpy(head + 20, &key_len, 2);
	return nc_mix(nc_mix(0xcbf29ce484222325ULL ^ NC_LAYOUT, head,
			     sizeof(head)), data, (size_t)key_len + value_len);
}

static _Atomic uint64_t *nc_ring_head(struct nodecache *nc)
{
	return (_Atomic uint64_t *)(void *)(nc->region + 16);
}

static struct nc_note *nc_note_at(struct nodecache *nc, uint64_t i)
{
	return (struct nc_note *)(void *)(nc->region + 64 +
					  (i % NC_RING) * NC_RING_ENTRY);
}

/* nc_note - say that key was put, for nodecache_recent: a key too long
 * for the ring is not said.  Two writers that meet on one entry (64
 * puts apart) may leave a mixed key there: a reader that takes it only
 * looks a key up that is not there, or another one that is. */
static void nc_note(struct nodecache *nc, const char *key, size_t klen)
{
	uint64_t i;
	struct nc_note *e;

	if (klen > sizeof(e->key))
		return;
	i = atomic_fetch_add_explicit(nc_ring_head(nc), 1,
				      memory_order_relaxed);
	e = nc_note_at(nc, i);
	atomic_store_explicit(&e->seq, 0, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	e->len = (uint8_t)klen;
	memcpy(e->key, key, klen);
	atomic_store_explicit(&e->seq, i + 1, memory_order_release);
}

static struct nc_slot *nc_slot_at(struct nodecache *nc, size_t i)
{
	return (struct nc_slot *)(nc->region + NC_HEAD +
				  (i & (nc->nslots - 1)) * NODECACHE_SLOT);
}

/* nc_region_ok - the region's header is this version's */
static int nc_region_ok(const struct nodecache *nc)
{
	return memcmp(nc->region, NC_MAGIC, 4) == 0 &&
	       nc->region[4] == NC_LAYOUT;
}

/* nodecache_new - a shared region of slots slots */
struct nodecache *nodecache_new(size_t slots)
{
	struct nodecache *nc;
	size_t n = 1;
	void *m;

	if (!slots)
		return NULL;
	while (n < slots && n < NODECACHE_MAX_SLOTS)
		n *= 2;
	if (n < NODECACHE_PROBE)
		n = NODECACHE_PROBE;
	m = mmap(NULL, NC_HEAD + n * NODECACHE_SLOT, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	nc = xcalloc(1, sizeof(*nc));
	nc->region = m;
	nc->size = NC_HEAD + n * NODECACHE_SLOT;
	nc->nslots = n;
	nc->stale_ms = NODECACHE_STALE_MS;
	memcpy(nc->region, NC_MAGIC, 4);
	nc->region[4] = NC_LAYOUT;
	memcpy(nc->region + 8, &n, sizeof(n));
	return nc;
}

/* nodecache_free - unmap it */
void nodecache_free(struct nodecache *nc)
{
	if (!nc)
		return;
	munmap(nc->region, nc->size);
	free(nc);
}

/* nc_read - copy slot s into copy when it holds key intact; 1 then */
static int nc_read(struct nodecache *nc, struct nc_slot *s, const char *key,
		   size_t klen, uint64_t hash, struct nc_slot *copy)
{
	uint32_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
	size_t n;

	if (seq & 1 ||
	    atomic_load_explicit(&s->hash, memory_order_relaxed) != hash)
		return 0;
	/* the fixed part, then as many bytes as it says (never past the
	 * slot: whatever it says is checked before it is used) */
	memcpy(copy, s, sizeof(*copy));
	n = (size_t)copy->key_len + copy->value_len;
	if (n > NC_DATA)
		n = NC_DATA;
	memcpy(copy->data, s->data, n);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&s->seq, memory_order_relaxed) != seq) {
		nc->stats.torn++;
		return 0;
	}
	n = (size_t)copy->key_len + copy->value_len;
	if (copy->layout != NC_LAYOUT || n > NC_DATA ||
	    copy->key_len != klen || memcmp(copy->data, key, klen) != 0)
		return 0;
	if (nc_check(hash, copy->expires_ms, copy->value_len, copy->key_len,
		     copy->data) != copy->check) {
		nc->stats.torn++;
		return 0;
	}
	return 1;
}

/* nodecache_get - the value at key, unexpired and intact */
const unsigned char *nodecache_get(struct nodecache *nc, const char *key,
				   uint64_t now_ms, struct arena *a,
				   size_t *len, uint64_t *expires_ms)
{
	size_t klen = strlen(key), i;
	uint64_t hash = nc_hash(key, klen);
	struct nc_slot *copy;
	const unsigned char *v = NULL;

	if (!nc || !nc_region_ok(nc) || klen > NC_DATA)
		return NULL;
	copy = xmalloc(NODECACHE_SLOT);
	for (i = 0; i < NODECACHE_PROBE; i++) {
		if (!nc_read(nc, nc_slot_at(nc, hash + i), key, klen, hash,
			     copy))
			continue;
		if (copy->expires_ms <= now_ms)
			break;
		*len = copy->value_len;
		*expires_ms = copy->expires_ms;
		v = (const unsigned char *)arena_memdup(a, copy->data + klen, copy->value_len);
		break;
	}
	free(copy);
	if (v)
		nc->stats.hits++;
	else
		nc->stats.misses++;
	return v;
}

/* nc_claim - make s ours without waiting: the odd sequence number we
 * hold it under, or 0 when it cannot be had */
static uint32_t nc_claim(struct nodecache *nc, struct nc_slot *s,
			 uint64_t now)
{
	uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);

	if (seq & 1) {
		/* a writer is in it, or died in it */
		uint64_t at = atomic_load_explicit(&s->claimed_ms,
						   memory_order_relaxed);

		if (now < at + nc->stale_ms ||
		    !atomic_compare_exchange_strong_explicit(
			    &s->seq, &seq, seq + 2, memory_order_acq_rel,
			    memory_order_relaxed))
			return 0;
		nc->stats.takeovers++;
		seq += 2;
	} else if (!atomic_compare_exchange_strong_explicit(
			   &s->seq, &seq, seq + 1, memory_order_acq_rel,
			   memory_order_relaxed)) {
		return 0;
	} else {
		seq += 1;
	}
	atomic_store_explicit(&s->claimed_ms, now, memory_order_relaxed);
	return seq;
}

/* nc_release - end the claim held under mine: even again.  When a
 * writer took it over meanwhile (we were stopped past stale_ms), the
 * number is not ours and stays; what we wrote over the other writer's
 * bytes is then caught by the checksum. */
static void nc_release(struct nc_slot *s, uint32_t mine)
{
	atomic_compare_exchange_strong_explicit(&s->seq, &mine, mine + 1,
						memory_order_release,
						memory_order_relaxed);
}

/* nc_pick - the slot of key's window a put should take: the key's own,
 * else an empty or expired one, else the one expiring first */
static struct nc_slot *nc_pick(struct nodecache *nc, uint64_t hash,
			       uint64_t now)
{
	struct nc_slot *s, *best = NULL;
	uint64_t best_exp = UINT64_MAX, h;
	size_t i;

	for (i = 0; i < NODECACHE_PROBE; i++) {
		s = nc_slot_at(nc, hash + i);
		h = atomic_load_explicit(&s->hash, memory_order_relaxed);
		if (h == hash)
			return s;
		if (h == 0 || s->expires_ms <= now)
			return s;
		if (s->expires_ms < best_exp) {
			best_exp = s->expires_ms;
			best = s;
		}
	}
	return best;
}

/* nc_write - fill claimed slot s with key and value */
static void nc_write(struct nodecache *nc, struct nc_slot *s,
		     const char *key, size_t klen, uint64_t hash,
		     const void *value, size_t len, uint64_t expires_ms)
{
	s->layout = NC_LAYOUT;
	s->key_len = (uint16_t)klen;
	s->value_len = (uint32_t)len;
	s->expires_ms = expires_ms;
	if (nc->write_hook)
		nc->write_hook();
	memcpy(s->data, key, klen);
	if (len)
		memcpy(s->data + klen, value, len);
	s->check = nc_check(hash, expires_ms, (uint32_t)len, (uint16_t)klen,
			    s->data);
	atomic_store_explicit(&s->hash, hash, memory_order_relaxed);
}

/* nodecache_put - keep value at key, without waiting */
void nodecache_put(struct nodecache *nc, const char *key, const void *value,
		   size_t len, uint64_t expires_ms)
{
	size_t klen = strlen(key);
	uint64_t hash = nc_hash(key, klen), now = ms_clock_ms();
	struct nc_slot *s;
	uint32_t mine;

	if (!nc || !nc_region_ok(nc))
		return;
	if (klen > NC_DATA || len > NC_DATA - klen) {
		nc->stats.too_big++;
		return;
	}
	s = nc_pick(nc, hash, now);
	if (!s || !(mine = nc_claim(nc, s, now))) {
		nc->stats.busy++;
		return;
	}
	nc_write(nc, s, key, klen, hash, value, len, expires_ms);
	nc_release(s, mine);
	nc->stats.puts++;
	nc_note(nc, key, klen);
}

/* nodecache_remove - forget key */
void nodecache_remove(struct nodecache *nc, const char *key)
{
	size_t klen = strlen(key), i;
	uint64_t hash = nc_hash(key, klen), now = ms_clock_ms();
	struct nc_slot *s;
	uint32_t mine;

	if (!nc || !nc_region_ok(nc))
		return;
	for (i = 0; i < NODECACHE_PROBE; i++) {
		s = nc_slot_at(nc, hash + i);
		if (atomic_load_explicit(&s->hash, memory_order_relaxed) != hash ||
		    !(mine = nc_claim(nc, s, now)))
			continue;
		/* recheck under the claim: the slot may have changed hands */
		if (atomic_load_explicit(&s->hash, memory_order_relaxed) == hash &&
		    s->key_len == klen && memcmp(s->data, key, klen) == 0)
			atomic_store_explicit(&s->hash, 0, memory_order_relaxed);
		nc_release(s, mine);
	}
}

/* nodecache_recent - the keys put since *cursor */
size_t nodecache_recent(struct nodecache *nc, uint64_t *cursor,
			char keys[][NODECACHE_NOTE_MAX + 1], size_t max)
{
	uint64_t head, i, seq;
	struct nc_note *e;
	size_t n = 0, len;

	if (!nc || !nc_region_ok(nc))
		return 0;
	head = atomic_load_explicit(nc_ring_head(nc), memory_order_acquire);
	if (*cursor > head || head - *cursor > NC_RING)
		*cursor = head > NC_RING ? head - NC_RING : 0;
	for (i = *cursor; i < head && n < max; i++) {
		e = nc_note_at(nc, i);
		seq = atomic_load_explicit(&e->seq, memory_order_acquire);
		if (seq != i + 1)
			continue;               /* being written, or overrun */
		len = e->len;
		if (len > NODECACHE_NOTE_MAX)
			continue;
		memcpy(keys[n], e->key, len);
		keys[n][len] = 0;
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&e->seq, memory_order_relaxed) == seq &&
		    strlen(keys[n]) == len)
			n++;
	}
	*cursor = i;
	return n;
}

/* nodecache_slots - its slots */
size_t nodecache_slots(const struct nodecache *nc)
{
	return nc ? nc->nslots : 0;
}

/* nodecache_stats - this process's counters */
const struct nodecache_stats *nodecache_stats(const struct nodecache *nc)
{
	return &nc->stats;
}

/* nodecache_region - the mapped bytes */
unsigned char *nodecache_region(struct nodecache *nc, size_t *size)
{
	*size = nc->size;
	return nc->region;
}

/* nodecache_set_stale_ms - the dead-writer delay */
void nodecache_set_stale_ms(struct nodecache *nc, uint64_t ms)
{
	nc->stale_ms = ms;
}

/* nodecache_set_write_hook - tests */
void nodecache_set_write_hook(struct nodecache *nc, void (*fn)(void))
{
	nc->write_hook = fn;
}

static struct nodecache *nc_process;

/* nodecache_process - the process's region */
struct nodecache *nodecache_process(void)
{
	return nc_process;
}

/* nodecache_process_init - map it once */
void nodecache_process_init(size_t slots)
{
	if (!slots) {
		nodecache_free(nc_process);
		nc_process = NULL;
		return;
	}
	if (!nc_process)
		nc_process = nodecache_new(slots);
}
