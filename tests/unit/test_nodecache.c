/*
 * test_nodecache.c - the node's shared-memory cache: what one process
 * puts another forked from the same parent reads; concurrent writers
 * never hand a reader a torn value; a writer killed mid-update costs a
 * miss and its slot is taken over later; a full cache stays bounded;
 * a region or slot of another layout version, and a value of an older
 * format, are misses; and a key cache over it asks its source no more.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dkim_verify.h"
#include "keycache.h"
#include "keyfile.h"
#include "msclock.h"
#include "nodecache.h"
#include "unit.h"

#define FAR (ms_clock_ms() + 3600 * 1000)

/* get - the value at key as a string ("" when absent), in a */
static const char *get(struct nodecache *nc, const char *key,
		       struct arena *a)
{
	size_t len;
	uint64_t exp;
	const unsigned char *v = nodecache_get(nc, key, ms_clock_ms(), a,
					       &len, &exp);
	char *s;

	if (!v)
		return "";
	s = arena_alloc(a, len + 1);
	memcpy(s, v, len);
	return s;
}

static void put(struct nodecache *nc, const char *key, const char *v)
{
	nodecache_put(nc, key, v, strlen(v), FAR);
}

static void test_basics(void)
{
	struct nodecache *nc = nodecache_new(16);
	struct arena a;
	char big[NODECACHE_SLOT];
	size_t size;

	arena_init(&a);
	CHECK(nodecache_new(0) == NULL, "nodecache: 0 slots is none");
	CHECK(nc && nodecache_region(nc, &size) && size > 16 * NODECACHE_SLOT,
	      "nodecache: a region of 16 slots");
	CHECK(*get(nc, "k1", &a) == 0, "nodecache: empty: a miss");
	put(nc, "k1", "one");
	put(nc, "k2", "two");
	CHECK(strcmp(get(nc, "k1", &a), "one") == 0 &&
	      strcmp(get(nc, "k2", &a), "two") == 0,
	      "nodecache: what was put is got");
	put(nc, "k1", "uno");
	CHECK(strcmp(get(nc, "k1", &a), "uno") == 0,
	      "nodecache: a put replaces the key's value");
	nodecache_remove(nc, "k1");
	CHECK(*get(nc, "k1", &a) == 0 && strcmp(get(nc, "k2", &a), "two") == 0,
	      "nodecache: remove forgets that key only");
	nodecache_put(nc, "k3", "x", 1, ms_clock_ms() + 50);
	usleep(80 * 1000);
	CHECK(*get(nc, "k3", &a) == 0, "nodecache: an expired value is a miss");
	memset(big, 'b', sizeof(big));
	nodecache_put(nc, "k4", big, sizeof(big), FAR);
	CHECK(*get(nc, "k4", &a) == 0 && nodecache_stats(nc)->too_big == 1,
	      "nodecache: a value larger than a slot is not kept");
	nodecache_put(nc, "k5", big, NODECACHE_SLOT - 200, FAR);
	CHECK(strlen(get(nc, "k5", &a)) == NODECACHE_SLOT - 200,
	      "nodecache: a value nearly a slot long is kept whole");
	nodecache_put(NULL, "k6", "x", 1, FAR);
	CHECK(nodecache_get(NULL, "k6", 0, &a, &size, &(uint64_t){ 0 }) == NULL,
	      "nodecache: no region: nothing kept, a miss");
	arena_free(&a);
	nodecache_free(nc);
}

/* test_fork_shares - a child's put is the parent's and a sibling's hit */
static void test_fork_shares(void)
{
	struct nodecache *nc = nodecache_new(64);
	struct arena a;
	pid_t pid;
	int status;

	arena_init(&a);
	pid = fork();
	if (pid == 0) {
		put(nc, "child", "from the child");
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CHECK(strcmp(get(nc, "child", &a), "from the child") == 0,
	      "nodecache: a forked child's put is read by its parent");
	pid = fork();
	if (pid == 0) {
		struct arena b;

		arena_init(&b);
		_exit(strcmp(get(nc, "child", &b), "from the child") == 0 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "nodecache: ... and by a sibling forked later");
	arena_free(&a);
	nodecache_free(nc);
}

/* value_of - the one value writer w's generation g puts at key i: the
 * key, the writer, the generation, then a run of one byte that depends
 * on all three, long enough to span several cache lines */
static size_t value_of(int i, int w, int g, char *out)
{
	int n = snprintf(out, 64, "k%d/w%d/g%d/", i, w, g), len;
	char c = (char)('a' + (i * 7 + w * 3 + g) % 26);

	len = n + 600 + (i * 37 + g) % 2000;
	memset(out + n, c, (size_t)(len - n));
	return (size_t)len;
}

/* consistent - is v[0..len) some writer's whole value of key i? */
static int consistent(int i, const unsigned char *v, size_t len)
{
	char want[4096], head[64];
	int w, g;

	if (len >= sizeof(head))
		memcpy(head, v, sizeof(head) - 1), head[sizeof(head) - 1] = 0;
	else
		return 0;
	if (sscanf(head, "k%*d/w%d/g%d/", &w, &g) != 2)
		return 0;
	snprintf(want, 16, "k%d/", i);
	if (strncmp(head, want, strlen(want)) != 0)
		return 0;
	return value_of(i, w, g, want) == len && memcmp(want, v, len) == 0;
}

/* test_concurrent - four processes write and read 64 keys through 16
 * slots as fast as they can: every value read is one a writer wrote
 * whole, of the key asked */
static void test_concurrent(void)
{
	struct nodecache *nc = nodecache_new(16);
	pid_t pids[4];
	int w, bad = 0, hits = 0, status;

	for (w = 0; w < 4; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			struct arena a;
			char buf[4096], key[16];
			int g, i, wrong = 0;
			size_t len;
			uint64_t exp;
			const unsigned char *v;

			arena_init(&a);
			for (g = 0; g < 20000; g++) {
				i = (g * 13 + w * 5) % 64;
				snprintf(key, sizeof(key), "k%d", i);
				len = value_of(i, w, g, buf);
				nodecache_put(nc, key, buf, len, FAR);
				snprintf(key, sizeof(key), "k%d", (i + 7) % 64);
				v = nodecache_get(nc, key, ms_clock_ms(), &a,
						  &len, &exp);
				if (v && !consistent((i + 7) % 64, v, len))
					wrong++;
				if (g % 256 == 0) {
					arena_free(&a);
					arena_init(&a);
				}
			}
			arena_free(&a);
			_exit(wrong > 250 ? 250 : wrong);
		}
	}
	for (w = 0; w < 4; w++) {
		waitpid(pids[w], &status, 0);
		bad += WIFEXITED(status) ? WEXITSTATUS(status) : 1000;
	}
	{
		struct arena a;
		char key[16];
		int i;
		size_t len;
		uint64_t exp;
		const unsigned char *v;

		arena_init(&a);
		for (i = 0; i < 64; i++) {
			snprintf(key, sizeof(key), "k%d", i);
			v = nodecache_get(nc, key, ms_clock_ms(), &a, &len, &exp);
			if (v) {
				hits++;
				bad += !consistent(i, v, len);
			}
		}
		arena_free(&a);
	}
	CHECK(bad == 0, "nodecache: 4 concurrent writers and readers: no torn "
	      "or foreign value read (%d bad)", bad);
	CHECK(hits > 0 && hits <= 16,
	      "nodecache: 64 keys through 16 slots: at most 16 held (%d)", hits);
	nodecache_free(nc);
}

static void die_now(void)
{
	raise(SIGKILL);
}

/* test_killed_writer - a writer killed with its slot claimed: a miss,
 * the slot not taken while the claim is young, taken over once stale */
static void test_killed_writer(void)
{
	struct nodecache *nc = nodecache_new(16);
	struct arena a;
	pid_t pid;
	int status;

	arena_init(&a);
	put(nc, "victim", "old value");
	pid = fork();
	if (pid == 0) {
		nodecache_set_write_hook(nc, die_now);
		put(nc, "victim", "new value");
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "nodecache: the writer was killed mid-update");
	CHECK(*get(nc, "victim", &a) == 0,
	      "nodecache: the half-written slot is a miss, not half a value");
	put(nc, "victim", "third value");
	CHECK(*get(nc, "victim", &a) == 0 && nodecache_stats(nc)->busy == 1,
	      "nodecache: a young claim is not taken: the put is skipped");
	nodecache_set_stale_ms(nc, 100);
	usleep(150 * 1000);
	put(nc, "victim", "fourth value");
	CHECK(strcmp(get(nc, "victim", &a), "fourth value") == 0 &&
	      nodecache_stats(nc)->takeovers == 1,
	      "nodecache: a stale claim is taken over and the slot works again");
	arena_free(&a);
	nodecache_free(nc);
}

/* test_full - many more keys than slots: bounded, the newest kept */
static void test_full(void)
{
	struct nodecache *nc = nodecache_new(16);
	struct arena a;
	char key[16];
	size_t before, after;
	int i, held = 0;

	arena_init(&a);
	nodecache_region(nc, &before);
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "full%d", i);
		put(nc, key, key);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "full%d", i);
		held += strcmp(get(nc, key, &a), key) == 0;
	}
	nodecache_region(nc, &after);
	CHECK(held > 0 && held <= 16 && before == after,
	      "nodecache: 5000 keys into 16 slots: at most 16 held, no growth "
	      "(%d)", held);
	CHECK(strcmp(get(nc, "full4999", &a), "full4999") == 0,
	      "nodecache: a full cache still takes the newest value");
	arena_free(&a);
	nodecache_free(nc);
}

/* test_versions - a region or slot of another layout, damaged bytes */
static void test_versions(void)
{
	struct nodecache *nc = nodecache_new(16);
	struct arena a;
	unsigned char *r;
	size_t size, i;

	arena_init(&a);
	put(nc, "v", "value");
	r = nodecache_region(nc, &size);
	r[4]++;                         /* the header's layout version */
	CHECK(*get(nc, "v", &a) == 0,
	      "nodecache: a region of another layout version is a miss");
	put(nc, "w", "value");
	r[4]--;
	CHECK(*get(nc, "w", &a) == 0 && strcmp(get(nc, "v", &a), "value") == 0,
	      "nodecache: ... and nothing is written to it");
	/* find the slot's copy of "value" and damage one byte of it */
	for (i = 64; i + 5 < size && memcmp(r + i, "vvalue", 6) != 0; i++)
		;
	CHECK(i + 5 < size, "nodecache: the value is in the region");
	r[i + 3] ^= 0x20;
	CHECK(*get(nc, "v", &a) == 0 && nodecache_stats(nc)->torn >= 1,
	      "nodecache: a slot whose bytes changed fails its checksum: a miss");
	put(nc, "v", "value");
	CHECK(strcmp(get(nc, "v", &a), "value") == 0,
	      "nodecache: ... and the next put repairs it");
	arena_free(&a);
	nodecache_free(nc);
}

/* test_recent - what was put, as the parent reads it back */
static void test_recent(void)
{
	struct nodecache *nc = nodecache_new(64);
	char got[8][NODECACHE_NOTE_MAX + 1], key[32], longkey[200];
	uint64_t cursor = 0;
	size_t n;
	int i, status;
	pid_t pid;

	CHECK(nodecache_recent(nc, &cursor, got, 8) == 0,
	      "nodecache: recent: nothing put, nothing said");
	put(nc, "key:a._domainkey.example.com", "v");
	put(nc, "TXT:example.org", "v");
	memset(longkey, 'l', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = 0;
	put(nc, longkey, "v");
	n = nodecache_recent(nc, &cursor, got, 8);
	CHECK(n == 2 && strcmp(got[0], "key:a._domainkey.example.com") == 0 &&
	      strcmp(got[1], "TXT:example.org") == 0,
	      "nodecache: recent: the keys put, oldest first (one too long "
	      "for the ring left out)");
	CHECK(nodecache_recent(nc, &cursor, got, 8) == 0,
	      "nodecache: recent: the cursor moved past them");
	pid = fork();
	if (pid == 0) {
		put(nc, "key:child._domainkey.example.com", "v");
		_exit(0);
	}
	waitpid(pid, &status, 0);
	n = nodecache_recent(nc, &cursor, got, 8);
	CHECK(n == 1 && strcmp(got[0], "key:child._domainkey.example.com") == 0,
	      "nodecache: recent: a child's put is said to the parent");
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		put(nc, key, "v");
	}
	n = nodecache_recent(nc, &cursor, got, 8);
	CHECK(n == 8 && strcmp(got[0], "k36") == 0 && strcmp(got[7], "k43") == 0,
	      "nodecache: recent: 100 puts behind: the last 64 kept, 8 at a "
	      "time (%s..)", n ? got[0] : "");
	nodecache_free(nc);
}

static const char keys[] =
	"a._domainkey.example.com v=DKIM1; p=AAAA\n"
	"b._domainkey.example.com v=DKIM1; p=BBBB\n"
	"e._domainkey.example.com v=DKIM1; k=ed25519; "
	"p=5EgPiRtnLPgQu58W8Qq1sNLo07J++JbOPsWfWDnRROY=\n";

static enum key_status look(struct keysource *ks, const char *name)
{
	struct arena a;
	struct key_answer ans;
	enum key_status st;

	arena_init(&a);
	keysource_lookup(ks, name, &a, &ans);
	st = ans.status;
	arena_free(&a);
	return st;
}

static struct keysource *key_chain(struct nodecache *nc)
{
	struct keycache_opts o = { .local_size = 10, .max_ttl = 3600,
				   .neg_ttl = 60, .node = nc };
	struct ms_error err;

	return keycache_new(keyfile_parse((const unsigned char *)keys,
					  strlen(keys), "keys", &err),
			    NULL, &o);
}

/* test_keycache - a key fetched in one child is a node hit in the
 * next, which asks its source nothing; an older value format is a miss
 * that the source's answer replaces */
static void test_keycache(void)
{
	struct nodecache *nc = nodecache_new(64);
	struct keysource *kc;
	pid_t pid;
	int status;

	pid = fork();
	if (pid == 0) {
		kc = key_chain(nc);
		_exit(look(kc, "a._domainkey.example.com") == KEY_FOUND &&
		      look(kc, "x._domainkey.example.com") == KEY_NOTFOUND &&
		      keycache_stats(kc)->source_lookups == 2 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "nodecache: a session's key cache asks its source first");
	pid = fork();
	if (pid == 0) {
		kc = key_chain(nc);
		_exit(look(kc, "A._domainkey.example.com") == KEY_FOUND &&
		      look(kc, "x._domainkey.example.com") == KEY_NOTFOUND &&
		      keycache_stats(kc)->source_lookups == 0 &&
		      keycache_stats(kc)->node_hits == 2 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "nodecache: the next session's key cache gets the key and the "
	      "missing key from the node, not the source");
	/* a node of an older version left "MSK0" there */
	put(nc, "key:b._domainkey.example.com", "MSK0F0........");
	kc = key_chain(nc);
	CHECK(look(kc, "b._domainkey.example.com") == KEY_FOUND &&
	      keycache_stats(kc)->source_lookups == 1 &&
	      keycache_stats(kc)->node_hits == 0,
	      "nodecache: a value of an older format is a miss: the source answers");
	keysource_destroy(kc);
	kc = key_chain(nc);
	CHECK(look(kc, "b._domainkey.example.com") == KEY_FOUND &&
	      keycache_stats(kc)->node_hits == 1,
	      "nodecache: ... and its answer replaced the old value");
	keysource_destroy(kc);
	nodecache_free(nc);
}

/* test_preload - a parent takes a key a child fetched into its own
 * verifier, from memory only: never its key source */
static void test_preload(void)
{
	struct nodecache *nc = nodecache_new(64);
	struct dkim_verifier_opts vo = { 0 };
	struct dkim_verifier *v;
	struct keysource *kc = key_chain(nc);
	pid_t pid;
	int status, held;

	v = dkim_verifier_new(&vo, kc);
	keycache_memory_only(kc, 1);
	held = dkim_verifier_preload(v, "e._domainkey.example.com");
	CHECK(!held && keycache_stats(kc)->source_lookups == 0,
	      "nodecache: preload of a key nobody fetched: nothing, and the "
	      "source is not asked (memory only)");
	pid = fork();
	if (pid == 0) {
		struct keysource *ck = key_chain(nc);

		_exit(look(ck, "e._domainkey.example.com") == KEY_FOUND ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	held = dkim_verifier_preload(v, "e._domainkey.example.com");
	CHECK(held && keycache_stats(kc)->source_lookups == 0 &&
	      keycache_stats(kc)->node_hits == 1,
	      "nodecache: after a child fetched it, the parent's preload "
	      "holds the parsed key, from the node's cache");
	keycache_memory_only(kc, 0);
	CHECK(look(kc, "e._domainkey.example.com") == KEY_FOUND &&
	      keycache_stats(kc)->local_hits == 1,
	      "nodecache: ... and its in-process cache has it (what the "
	      "next children inherit)");
	dkim_verifier_free(v);
	keysource_destroy(kc);
	nodecache_free(nc);
}

int main(void)
{
	test_basics();
	test_fork_shares();
	test_concurrent();
	test_killed_writer();
	test_full();
	test_versions();
	test_recent();
	test_preload();
	test_keycache();
	return unit_done();
}
