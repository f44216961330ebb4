/*
 * fuzz_nodecache.c - libFuzzer target: the node's shared cache read
 * back after anything wrote over its region (another version's writer,
 * a stray write, a writer that died half way): slots filled with known
 * keys, then the input written over the region at an offset the input
 * chooses (its first two bytes, in slot-sized steps plus a remainder),
 * then every key got, one removed and put again.  A value got must be
 * within the slot's bounds, and is decoded as the key and DNS caches
 * decode it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dnsqvalue.h"
#include "farmvalue.h"
#include "msclock.h"
#include "nodecache.h"

#define FZ_SLOTS 8
#define FZ_KEYS 12

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nodecache *nc;

static void fz_key(int i, char *out, size_t n)
{
	if (i % 2)
		snprintf(out, n, "key:s%d._domainkey.example.com", i);
	else
		snprintf(out, n, "TXT:d%d.example.com", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *r, val[600];
	size_t rsize, off, len;
	uint64_t exp, far = ms_clock_ms() + 3600 * 1000;
	struct arena a;
	struct key_answer ka;
	struct dnsq_answer da;
	char key[64];
	int i;

	if (!nc)
		nc = nodecache_new(FZ_SLOTS);
	if (!nc)
		return 0;
	r = nodecache_region(nc, &rsize);
	memset(r + 16, 0, rsize - 16);
	for (i = 0; i < FZ_KEYS; i++) {
		fz_key(i, key, sizeof(key));
		memset(val, 'a' + i, sizeof(val));
		nodecache_put(nc, key, val, (size_t)(100 + i * 40), far);
	}
	if (size >= 2) {
		off = ((size_t)data[0] << 8 | data[1]) % rsize;
		len = size - 2 < rsize - off ? size - 2 : rsize - off;
		memcpy(r + off, data + 2, len);
	}
	arena_init(&a);
	for (i = 0; i < FZ_KEYS; i++) {
		const unsigned char *v;

		fz_key(i, key, sizeof(key));
		v = nodecache_get(nc, key, ms_clock_ms(), &a, &len, &exp);
		if (!v)
			continue;
		if (len > NODECACHE_SLOT)
			__builtin_trap();
		if (i % 2)
			(void)farmvalue_decode(key + 4, v, len, NULL, &a, &ka,
					       &exp);
		else
			(void)dnsqvalue_decode(key + 4, DNSQ_TXT, v, len, NULL,
					       &a, &da, &exp);
	}
	{
		char recent[4][NODECACHE_NOTE_MAX + 1];
		uint64_t cursor = data && size > 2 ? data[2] : 0;

		while (nodecache_recent(nc, &cursor, recent, 4) > 0)
			if (strlen(recent[0]) > NODECACHE_NOTE_MAX)
				__builtin_trap();
	}
	nodecache_remove(nc, "TXT:d0.example.com");
	nodecache_put(nc, "TXT:d0.example.com", "x", 1, far);
	(void)nodecache_get(nc, "TXT:d0.example.com", ms_clock_ms(), &a, &len,
			    &exp);
	arena_free(&a);
	/* the header as this version writes it, for the next input */
	memcpy(r, "MSNC\1", 5);
	return 0;
}
