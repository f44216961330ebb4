/*
 * test_dnsqcache.c - the cache chain of the sender-policy DNS questions:
 * the stored value (dnsqvalue: round trips, HMAC, truncation, other
 * versions), the bounded LRU, the chain over a zone file (hits, TTL
 * expiry, negative caching, temporary failures, the bound), and two
 * chains sharing a real redis-server on loopback (a value with a bad
 * HMAC, truncated, or of an older version is a miss and is replaced).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "dnsqcache.h"
#include "dnsqmem.h"
#include "dnsqvalue.h"
#include "farmcache.h"
#include "lru.h"
#include "mslog.h"
#include "zonefile.h"
#include "unit.h"

static const char zone[] =
	"example.com 300 TXT \"v=spf1 \" \"mx -all\"\n"
	"example.com 300 MX 10 mx1.example.com\n"
	"example.com 300 MX 20 mx2.example.com\n"
	"mx1.example.com 300 A 192.0.2.1\n"
	"mx1.example.com 300 AAAA 2001:db8::1\n"
	"1.2.0.192.in-addr.arpa 300 PTR mx1.example.com\n"
	"short.example 1 TXT \"v=spf1 -all\"\n"
	"slow.example TIMEOUT\n"
	"gone.example NXDOMAIN\n"
	"a.example 300 A 192.0.2.10\n"
	"b.example 300 A 192.0.2.11\n"
	"c.example 300 A 192.0.2.12\n";

static unsigned long log_warnings;

static void count_log(enum ms_log_level level, const char *msg)
{
	(void)msg;
	if (level == MS_LOG_WARN)
		log_warnings++;
}

static struct dnsq *zone_src(void)
{
	struct ms_error err;
	struct dnsq *z = zonefile_parse((const unsigned char *)zone,
					strlen(zone), "zone", &err);

	if (!z) {
		fprintf(stderr, "zone: %s\n", err.msg);
		exit(1);
	}
	return z;
}

/* ask - the status of one lookup; the answer's first record, if any,
 * into *first (TXT as text, else the name, else the first byte) */
static enum dnsq_status ask(struct dnsq *q, const char *name,
			    enum dnsq_type t, char *first, size_t size,
			    uint32_t *ttl)
{
	struct dnsq_answer ans;
	struct arena a;

	arena_init(&a);
	dnsq_lookup(q, name, t, 0, &a, &ans);
	if (first && size) {
		first[0] = 0;
		if (ans.n && ans.rr[0].txt)
			snprintf(first, size, "%.*s", (int)ans.rr[0].txt_len,
				 (const char *)ans.rr[0].txt);
		else if (ans.n && ans.rr[0].name)
			snprintf(first, size, "%u %s", ans.rr[0].pref,
				 ans.rr[0].name);
		else if (ans.n)
			snprintf(first, size, "%u.%u", ans.rr[0].addr[0],
				 ans.rr[0].addr[15]);
	}
	if (ttl)
		*ttl = ans.ttl;
	arena_free(&a);
	return ans.status;
}

/* ---- the value -------------------------------------------------------- */

/* same - do two answers say the same? */
static int same(const struct dnsq_answer *x, const struct dnsq_answer *y,
		enum dnsq_type t)
{
	size_t i;

	if (x->status != y->status || x->n != y->n || x->secure != y->secure ||
	    x->dropped != y->dropped)
		return 0;
	for (i = 0; i < x->n; i++) {
		const struct dnsq_rr *a = &x->rr[i], *b = &y->rr[i];

		switch (t) {
		case DNSQ_A:
			if (memcmp(a->addr, b->addr, 4))
				return 0;
			break;
		case DNSQ_AAAA:
			if (memcmp(a->addr, b->addr, 16))
				return 0;
			break;
		case DNSQ_MX:
			if (a->pref != b->pref)
				return 0;
			/* fall through */
		case DNSQ_PTR:
			if (strcmp(a->name, b->name))
				return 0;
			break;
		case DNSQ_TXT:
			if (a->txt_len != b->txt_len ||
			    memcmp(a->txt, b->txt, a->txt_len))
				return 0;
			break;
		}
	}
	return 1;
}

static void test_value_roundtrip(void)
{
	static const struct { const char *name; enum dnsq_type t; } qs[] = {
		{ "example.com", DNSQ_TXT }, { "example.com", DNSQ_MX },
		{ "mx1.example.com", DNSQ_A }, { "mx1.example.com", DNSQ_AAAA },
		{ "1.2.0.192.in-addr.arpa", DNSQ_PTR },
		{ "example.com", DNSQ_A },              /* NODATA */
		{ "nowhere.example", DNSQ_TXT },        /* NXDOMAIN */
	};
	struct dnsq *z = zone_src();
	size_t i, k;

	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		for (k = 0; k < 2; k++) {
			const char *secret = k ? "farm-secret" : "";
			struct dnsq_answer ans, back;
			struct arena a;
			struct buf v;
			uint64_t exp = 0;
			enum ms_status st;

			arena_init(&a);
			buf_init(&v, DNSQVALUE_MAX);
			dnsq_lookup(z, qs[i].name, qs[i].t, 0, &a, &ans);
			st = dnsqvalue_encode(qs[i].name, qs[i].t, &ans,
					      1234567890, secret, &v);
			CHECK(st == MS_OK && dnsqvalue_decode(qs[i].name, qs[i].t,
							      v.data, v.len, secret,
							      &a, &back, &exp) == MS_OK &&
			      exp == 1234567890 && same(&ans, &back, qs[i].t),
			      "dnsqvalue: %s %s (%s) round trip%s",
			      dnsq_type_str(qs[i].t), qs[i].name,
			      dnsq_status_str(ans.status), k ? " with HMAC" : "");
			buf_free(&v);
			arena_free(&a);
		}
	}
	dnsq_destroy(z);
}

static void test_value_refused(void)
{
	struct dnsq *z = zone_src();
	struct dnsq_answer ans, back;
	struct arena a;
	struct buf v;
	uint64_t exp;
	size_t n, bad = 0;

	arena_init(&a);
	buf_init(&v, DNSQVALUE_MAX);
	dnsq_lookup(z, "example.com", DNSQ_MX, 0, &a, &ans);
	dnsqvalue_encode("example.com", DNSQ_MX, &ans, 99, "s1", &v);

	CHECK(dnsqvalue_decode("example.com", DNSQ_MX, v.data, v.len, "s2", &a,
			       &back, &exp) == MS_ERR_CRYPTO,
	      "dnsqvalue: another farm secret fails the HMAC check");
	CHECK(dnsqvalue_decode("example.org", DNSQ_MX, v.data, v.len, "s1", &a,
			       &back, &exp) == MS_ERR_CRYPTO,
	      "dnsqvalue: a value moved to another name fails the HMAC check");
	CHECK(dnsqvalue_decode("example.com", DNSQ_TXT, v.data, v.len, "s1", &a,
			       &back, &exp) == MS_ERR_CRYPTO,
	      "dnsqvalue: a value moved to another type fails the HMAC check");
	v.data[20] ^= 1;
	CHECK(dnsqvalue_decode("example.com", DNSQ_MX, v.data, v.len, "s1", &a,
			       &back, &exp) == MS_ERR_CRYPTO,
	      "dnsqvalue: one flipped bit fails the HMAC check");
	v.data[20] ^= 1;
	for (n = 0; n < v.len; n++)
		bad += dnsqvalue_decode("example.com", DNSQ_MX, v.data, n, "s1",
					&a, &back, &exp) == MS_OK;
	CHECK(bad == 0, "dnsqvalue: no truncation of a value with HMAC decodes");
	buf_reset(&v);
	dnsqvalue_encode("example.com", DNSQ_MX, &ans, 99, "", &v);
	for (n = 0, bad = 0; n < v.len; n++)
		bad += dnsqvalue_decode("example.com", DNSQ_MX, v.data, n, "",
					&a, &back, &exp) == MS_OK;
	CHECK(bad == 0, "dnsqvalue: no truncation of a value decodes");
	CHECK(dnsqvalue_decode("example.com", DNSQ_MX, v.data, v.len, "", &a,
			       &back, &exp) == MS_OK,
	      "dnsqvalue: the whole value decodes");
	v.data[3] = '0';
	CHECK(dnsqvalue_decode("example.com", DNSQ_MX, v.data, v.len, "", &a,
			       &back, &exp) == MS_ERR_UNSUPPORTED,
	      "dnsqvalue: an older version (MSD0) is another kind of value");
	v.data[3] = '2';
	CHECK(dnsqvalue_decode("example.com", DNSQ_MX, v.data, v.len, "s1", &a,
			       &back, &exp) == MS_ERR_UNSUPPORTED,
	      "dnsqvalue: a later version (MSD2) is another kind of value, "
	      "before any HMAC");
	v.data[3] = '1';
	memcpy(v.data, "MSK1", 4);
	CHECK(dnsqvalue_decode("example.com", DNSQ_MX, v.data, v.len, "", &a,
			       &back, &exp) == MS_ERR_UNSUPPORTED,
	      "dnsqvalue: a DKIM key value is another kind of value");
	memcpy(v.data, "MSD1", 4);
	v.data[4] = 'D';                /* NODATA with records */
	CHECK(dnsqvalue_decode("example.com", DNSQ_MX, v.data, v.len, "", &a,
			       &back, &exp) == MS_ERR_SYNTAX,
	      "dnsqvalue: NODATA with records is malformed");
	v.data[4] = 'O';
	v.data[18] = 3;                 /* says 3 records, holds 2 */
	CHECK(dnsqvalue_decode("example.com", DNSQ_MX, v.data, v.len, "", &a,
			       &back, &exp) == MS_ERR_SYNTAX,
	      "dnsqvalue: a record count past the data is malformed");
	v.data[18] = 1;                 /* says 1, holds 2: trailing bytes */
	CHECK(dnsqvalue_decode("example.com", DNSQ_MX, v.data, v.len, "", &a,
			       &back, &exp) == MS_ERR_SYNTAX,
	      "dnsqvalue: bytes after the last record are malformed");
	v.data[18] = 2;
	v.data[21] = 200;               /* a name length past the end */
	CHECK(dnsqvalue_decode("example.com", DNSQ_MX, v.data, v.len, "", &a,
			       &back, &exp) == MS_ERR_SYNTAX,
	      "dnsqvalue: a name length past the end is malformed");
	buf_reset(&v);
	ans.status = DNSQ_TEMPFAIL;
	CHECK(dnsqvalue_encode("example.com", DNSQ_MX, &ans, 99, "", &v) ==
	      MS_ERR_UNSUPPORTED && v.len == 0,
	      "dnsqvalue: a temporary failure is never encoded");
	buf_free(&v);
	arena_free(&a);
	dnsq_destroy(z);
}

/* ---- the LRU ---------------------------------------------------------- */

static void test_lru(void)
{
	struct lru *l = lru_new(2, 1 << 20);
	size_t len;
	uint64_t exp;

	lru_put(l, "a", 1, "1", 1, 1000);
	lru_put(l, "b", 1, "2", 1, 1000);
	CHECK(lru_get(l, "a", 1, 10, &len, &exp) != NULL, "lru: a hit");
	lru_put(l, "c", 1, "3", 1, 1000);       /* b is the oldest now */
	CHECK(lru_count(l) == 2 && !lru_get(l, "b", 1, 10, &len, &exp) &&
	      lru_get(l, "a", 1, 10, &len, &exp) &&
	      lru_get(l, "c", 1, 10, &len, &exp),
	      "lru: at its bound the least recently used goes");
	CHECK(!lru_get(l, "c", 1, 1000, &len, &exp) && lru_count(l) == 1,
	      "lru: an entry is gone at its expiry");
	lru_free(l);

	l = lru_new(1000, 8 * 1024);
	{
		char key[16], val[200];
		int i;

		memset(val, 'x', sizeof(val));
		for (i = 0; i < 500; i++) {
			snprintf(key, sizeof(key), "k%d", i);
			lru_put(l, key, strlen(key), val, sizeof(val), 1000);
		}
		CHECK(lru_bytes(l) <= 8 * 1024 && lru_count(l) < 500 &&
		      lru_get(l, "k499", 4, 10, &len, &exp),
		      "lru: bounded in bytes too (%zu entries, %zu bytes)",
		      lru_count(l), lru_bytes(l));
	}
	{
		static char big[2048];

		lru_put(l, "big", 3, big, sizeof(big), 1000);
		CHECK(!lru_get(l, "big", 3, 10, &len, &exp),
		      "lru: a value over an eighth of the bound is not kept");
	}
	lru_free(l);
	CHECK(lru_new(0, 100) == NULL, "lru: size 0 is no cache");
}

/* ---- the chain over a zone file -------------------------------------- */

static void test_chain_local(void)
{
	struct dnsqcache_opts o = { .local_size = 100, .max_ttl = 3600,
				    .neg_ttl = 60 };
	struct dnsq *src = zone_src();
	struct dnsq *q = dnsqcache_new(src, NULL, &o);
	const struct dnsqcache_stats *st = dnsqcache_stats(q);
	enum dnsq_status st0, st1;
	char first[128];
	uint32_t ttl;

	CHECK(ask(q, "example.com", DNSQ_TXT, first, sizeof(first), NULL) == DNSQ_OK &&
	      strcmp(first, "v=spf1 mx -all") == 0 && src->queries == 1,
	      "dnsqcache: a miss asks the source");
	st0 = ask(q, "Example.COM.", DNSQ_TXT, first, sizeof(first), &ttl);
	CHECK(st0 == DNSQ_OK && strcmp(first, "v=spf1 mx -all") == 0 &&
	      src->queries == 1 &&
	      st->local_hits == 1 && ttl > 0 && ttl <= 300,
	      "dnsqcache: a hit (another case, a final dot) from the local cache, "
	      "ttl %u", ttl);
	CHECK(ask(q, "example.com", DNSQ_MX, first, sizeof(first), NULL) == DNSQ_OK &&
	      src->queries == 2, "dnsqcache: another type is another entry");
	CHECK(ask(q, "example.com", DNSQ_MX, first, sizeof(first), NULL) == DNSQ_OK &&
	      strcmp(first, "10 mx1.example.com") == 0 && src->queries == 2,
	      "dnsqcache: MX records from the cache");
	ask(q, "1.2.0.192.in-addr.arpa", DNSQ_PTR, NULL, 0, NULL);
	CHECK(ask(q, "1.2.0.192.in-addr.arpa", DNSQ_PTR, first, sizeof(first), NULL) ==
	      DNSQ_OK && strcmp(first, "0 mx1.example.com") == 0 && src->queries == 3,
	      "dnsqcache: PTR records from the cache");
	ask(q, "mx1.example.com", DNSQ_AAAA, NULL, 0, NULL);
	CHECK(ask(q, "mx1.example.com", DNSQ_AAAA, first, sizeof(first), NULL) ==
	      DNSQ_OK && strcmp(first, "32.1") == 0 && src->queries == 4,
	      "dnsqcache: AAAA records from the cache");

	st0 = ask(q, "gone.example", DNSQ_TXT, NULL, 0, NULL);
	st1 = ask(q, "gone.example", DNSQ_TXT, NULL, 0, &ttl);
	CHECK(st0 == DNSQ_NXDOMAIN && st1 == DNSQ_NXDOMAIN &&
	      src->queries == 5 && ttl > 0 && ttl <= 60,
	      "dnsqcache: NXDOMAIN is cached, at most neg_ttl (ttl %u)", ttl);
	CHECK(ask(q, "mx1.example.com", DNSQ_TXT, NULL, 0, NULL) == DNSQ_NODATA &&
	      ask(q, "mx1.example.com", DNSQ_TXT, NULL, 0, NULL) == DNSQ_NODATA &&
	      src->queries == 6, "dnsqcache: NODATA is cached");
	CHECK(ask(q, "slow.example", DNSQ_TXT, NULL, 0, NULL) == DNSQ_TEMPFAIL &&
	      ask(q, "slow.example", DNSQ_TXT, NULL, 0, NULL) == DNSQ_TEMPFAIL &&
	      src->queries == 8 && st->tempfails == 2,
	      "dnsqcache: a temporary failure is never cached");

	ask(q, "short.example", DNSQ_TXT, NULL, 0, NULL);
	ask(q, "short.example", DNSQ_TXT, NULL, 0, NULL);
	CHECK(src->queries == 9, "dnsqcache: a 1 s TTL is a hit before it runs out");
	usleep(1100 * 1000);
	ask(q, "short.example", DNSQ_TXT, NULL, 0, NULL);
	CHECK(src->queries == 10, "dnsqcache: past its TTL an answer is asked again");
	CHECK(st->lookups == 17 && st->source_lookups == 10 &&
	      st->local_hits == 7 && st->redis_hits == 0,
	      "dnsqcache: counters (lookups %lu, local %lu, source %lu)",
	      st->lookups, st->local_hits, st->source_lookups);
	dnsq_destroy(q);

	/* bounds: two entries; max_ttl 1 s; no negative caching */
	{
		struct dnsqcache_opts b = { .local_size = 2, .max_ttl = 1,
					    .neg_ttl = 0 };

		src = zone_src();
		q = dnsqcache_new(src, NULL, &b);
		ask(q, "a.example", DNSQ_A, NULL, 0, NULL);
		ask(q, "b.example", DNSQ_A, NULL, 0, NULL);
		ask(q, "a.example", DNSQ_A, NULL, 0, NULL);     /* b oldest */
		ask(q, "c.example", DNSQ_A, NULL, 0, NULL);     /* b goes */
		CHECK(src->queries == 3, "dnsqcache: within the bound, hits");
		ask(q, "a.example", DNSQ_A, NULL, 0, NULL);
		ask(q, "c.example", DNSQ_A, NULL, 0, NULL);
		ask(q, "b.example", DNSQ_A, NULL, 0, NULL);
		CHECK(src->queries == 4,
		      "dnsqcache: local_size 2 keeps two entries, the least "
		      "recently used evicted");
		ask(q, "gone.example", DNSQ_A, NULL, 0, NULL);
		ask(q, "gone.example", DNSQ_A, NULL, 0, NULL);
		CHECK(src->queries == 6, "dnsqcache: neg_ttl 0 caches no NXDOMAIN");
		usleep(1100 * 1000);
		ask(q, "b.example", DNSQ_A, NULL, 0, &ttl);
		CHECK(src->queries == 7,
		      "dnsqcache: max_ttl bounds a 300 s TTL (asked again after 1 s)");
		dnsq_destroy(q);
	}
}

/* ---- two chains sharing a real Redis --------------------------------- */

static pid_t redis_pid;

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* redis_up - a redis-server on 127.0.0.1:port; a connection to it */
static redisContext *redis_up(int port)
{
	char ports[16];
	int i;

	snprintf(ports, sizeof(ports), "%d", port);
	redis_pid = fork();
	if (redis_pid == 0) {
		execlp("redis-server", "redis-server", "--port", ports, "--bind",
		       "127.0.0.1", "--save", "", "--appendonly", "no",
		       "--logfile", "/dev/null", (char *)NULL);
		_exit(127);
	}
	for (i = 0; redis_pid > 0 && i < 100; i++) {
		redisContext *c = redisConnect("127.0.0.1", port);
		redisReply *r = c && !c->err ? redisCommand(c, "PING") : NULL;

		if (r) {
			freeReplyObject(r);
			return c;
		}
		if (c)
			redisFree(c);
		usleep(50 * 1000);
	}
	return NULL;
}

static void redis_down(void)
{
	if (redis_pid > 0) {
		kill(redis_pid, SIGTERM);
		waitpid(redis_pid, NULL, 0);
		redis_pid = 0;
	}
}

static struct farmcache *farm_at(int port, const char *secret)
{
	char url[64];
	struct farmcache_opts fo = { .url = url, .timeout_ms = 500,
				     .secret = secret };
	struct ms_error err;

	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
	return farmcache_new(&fo, &err);
}

/* rget - the bytes at key, into buf */
static size_t rget(redisContext *c, const char *key, unsigned char *buf,
		   size_t size)
{
	redisReply *r = redisCommand(c, "GET %s", key);
	size_t n = 0;

	if (r && r->type == REDIS_REPLY_STRING && r->len <= size) {
		memcpy(buf, r->str, r->len);
		n = r->len;
	}
	if (r)
		freeReplyObject(r);
	return n;
}

static void rset(redisContext *c, const char *key, const unsigned char *v,
		 size_t len)
{
	redisReply *r = redisCommand(c, "SET %s %b EX 300", key, v, len);

	if (r)
		freeReplyObject(r);
}

static long long rexists(redisContext *c, const char *key)
{
	redisReply *r = redisCommand(c, "EXISTS %s", key);
	long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

	if (r)
		freeReplyObject(r);
	return n;
}

static void test_chain_farm(void)
{
	struct dnsqcache_opts o = { .local_size = 100, .max_ttl = 3600,
				    .neg_ttl = 60 };
	int port = free_port();
	redisContext *rc = port > 0 ? redis_up(port) : NULL;
	struct farmcache *fa, *fb, *fx;
	struct dnsq *src_a, *src_b, *src_x, *a, *b, *x;
	const struct dnsqcache_stats *sb;
	unsigned char good[4096], v[4096];
	size_t n;
	char first[128];
	const char *key = "mailseal:dns:TXT:example.com";

	if (!rc) {
		unit_failf("dnsqcache: redis-server on 127.0.0.1",
			   "cannot start redis-server (Debian: redis-server)");
		redis_down();
		return;
	}
	fa = farm_at(port, "farm-secret");
	fb = farm_at(port, "farm-secret");
	fx = farm_at(port, "another-secret");
	src_a = zone_src();
	src_b = zone_src();
	src_x = zone_src();
	a = dnsqcache_new(src_a, fa, &o);
	b = dnsqcache_new(src_b, fb, &o);
	x = dnsqcache_new(src_x, fx, &o);
	dnsqcache_own_farm(a);
	dnsqcache_own_farm(b);
	dnsqcache_own_farm(x);
	sb = dnsqcache_stats(b);

	ask(a, "example.com", DNSQ_TXT, NULL, 0, NULL);
	ask(a, "gone.example", DNSQ_TXT, NULL, 0, NULL);
	CHECK(ask(b, "EXAMPLE.com", DNSQ_TXT, first, sizeof(first), NULL) == DNSQ_OK &&
	      strcmp(first, "v=spf1 mx -all") == 0 && src_b->queries == 0 &&
	      sb->redis_hits == 1,
	      "dnsqcache+redis: a second node takes the first node's answer from Redis");
	CHECK(ask(b, "gone.example", DNSQ_TXT, NULL, 0, NULL) == DNSQ_NXDOMAIN &&
	      src_b->queries == 0 && sb->redis_hits == 2,
	      "dnsqcache+redis: and its NXDOMAIN");
	ask(b, "example.com", DNSQ_TXT, NULL, 0, NULL);
	CHECK(sb->local_hits == 1 && sb->redis_hits == 2,
	      "dnsqcache+redis: what came from Redis fills the local cache");
	ask(a, "slow.example", DNSQ_TXT, NULL, 0, NULL);
	CHECK(rexists(rc, "mailseal:dns:TXT:slow.example") == 0,
	      "dnsqcache+redis: a temporary failure is not stored in Redis");
	{
		redisReply *r = redisCommand(rc, "TTL %s", "mailseal:dns:TXT:gone.example");

		CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer > 0 &&
		      r->integer <= 60,
		      "dnsqcache+redis: an NXDOMAIN lives at most neg_ttl in Redis (%lld)",
		      r ? r->integer : -1LL);
		if (r)
			freeReplyObject(r);
	}

	/* a node with another secret: what it finds fails the check */
	log_warnings = 0;
	n = rget(rc, key, good, sizeof(good));
	CHECK(ask(x, "example.com", DNSQ_TXT, first, sizeof(first), NULL) == DNSQ_OK &&
	      src_x->queries == 1 && dnsqcache_stats(x)->redis_bad == 1 &&
	      log_warnings == 1,
	      "dnsqcache+redis: a value with a bad HMAC is a miss, logged, asked of DNS");
	n = rget(rc, key, v, sizeof(v));
	CHECK(n > 0 && (n != sizeof(good) || memcmp(v, good, n) != 0),
	      "dnsqcache+redis: and replaced by the fresh answer");

	/* node b, its local cache emptied (a new chain), reads what x wrote */
	dnsq_destroy(b);
	src_b = zone_src();
	b = dnsqcache_new(src_b, farm_at(port, "farm-secret"), &o);
	dnsqcache_own_farm(b);
	sb = dnsqcache_stats(b);
	CHECK(ask(b, "example.com", DNSQ_TXT, NULL, 0, NULL) == DNSQ_OK &&
	      src_b->queries == 1 && sb->redis_bad == 1,
	      "dnsqcache+redis: the other secret's value is refused by this farm's nodes");
	n = rget(rc, key, good, sizeof(good));  /* ours again */

	/* truncated: every node ignores it */
	rset(rc, key, good, n - 1);
	dnsq_destroy(b);
	src_b = zone_src();
	b = dnsqcache_new(src_b, farm_at(port, "farm-secret"), &o);
	dnsqcache_own_farm(b);
	sb = dnsqcache_stats(b);
	CHECK(ask(b, "example.com", DNSQ_TXT, first, sizeof(first), NULL) == DNSQ_OK &&
	      strcmp(first, "v=spf1 mx -all") == 0 && src_b->queries == 1 &&
	      sb->redis_bad == 1 && sb->redis_hits == 0,
	      "dnsqcache+redis: a truncated value is a miss");

	/* an older version of the value: a miss, not a warning */
	memcpy(v, good, n);
	v[3] = '0';
	rset(rc, key, v, n);
	dnsq_destroy(b);
	src_b = zone_src();
	b = dnsqcache_new(src_b, farm_at(port, "farm-secret"), &o);
	dnsqcache_own_farm(b);
	sb = dnsqcache_stats(b);
	log_warnings = 0;
	CHECK(ask(b, "example.com", DNSQ_TXT, NULL, 0, NULL) == DNSQ_OK &&
	      src_b->queries == 1 && sb->redis_foreign == 1 && sb->redis_bad == 0 &&
	      log_warnings == 0,
	      "dnsqcache+redis: a value of an older version is a miss (not logged)");
	n = rget(rc, key, v, sizeof(v));
	CHECK(n > 4 && memcmp(v, "MSD1", 4) == 0,
	      "dnsqcache+redis: and replaced by the current version");

	/* a value whose own expiry has passed (its Redis TTL changed) */
	{
		struct dnsq_answer ans;
		struct arena ar;
		struct buf old;

		arena_init(&ar);
		buf_init(&old, DNSQVALUE_MAX);
		dnsq_lookup(src_a, "example.com", DNSQ_TXT, 0, &ar, &ans);
		ans.rr[0].txt = (const unsigned char *)"v=spf1 +all";
		ans.rr[0].txt_len = 11;
		dnsqvalue_encode("example.com", DNSQ_TXT, &ans,
				 (uint64_t)time(NULL) - 1, "farm-secret", &old);
		rset(rc, key, old.data, old.len);
		buf_free(&old);
		arena_free(&ar);
	}
	dnsq_destroy(b);
	src_b = zone_src();
	b = dnsqcache_new(src_b, farm_at(port, "farm-secret"), &o);
	dnsqcache_own_farm(b);
	CHECK(ask(b, "example.com", DNSQ_TXT, first, sizeof(first), NULL) == DNSQ_OK &&
	      strcmp(first, "v=spf1 mx -all") == 0 && src_b->queries == 1,
	      "dnsqcache+redis: a value past its own expiry is a miss");

	/* Redis gone: answers come from DNS, nothing fails */
	redis_down();
	ask(a, "mx1.example.com", DNSQ_A, NULL, 0, NULL);
	CHECK(ask(a, "mx1.example.com", DNSQ_A, first, sizeof(first), NULL) == DNSQ_OK &&
	      farmcache_stats(dnsqcache_farm(a))->errors >= 1,
	      "dnsqcache+redis: with Redis down the chain answers from DNS");

	dnsq_destroy(a);
	dnsq_destroy(b);
	dnsq_destroy(x);
	redisFree(rc);
}

/* test_shared_memory - two caches over one shared in-process store: what
 * one fetched the other answers from memory; memory-only mode answers a
 * miss with a counted temporary failure and asks nobody; threads putting
 * and getting at once keep the store sound */
struct mem_thread_arg {
	struct dnsqmem *m;
	int id;
	unsigned long bad;
};

static void *mem_thread(void *arg)
{
	struct mem_thread_arg *t = arg;
	char key[32], val[32];
	int i;

	for (i = 0; i < 20000; i++) {
		struct arena a;
		const unsigned char *v;
		size_t len;
		uint64_t exp;

		snprintf(key, sizeof(key), "k%d", i % 300);
		snprintf(val, sizeof(val), "value of k%d", i % 300);
		arena_init(&a);
		if (i % 3 == t->id % 3)
			dnsqmem_put(t->m, key, val, strlen(val), 1000000);
		v = dnsqmem_get(t->m, key, 10, &a, &len, &exp);
		if (v && (len != strlen(val) || memcmp(v, val, len) != 0))
			t->bad++;
		arena_free(&a);
	}
	return NULL;
}

static void test_shared_memory(void)
{
	struct dnsqcache_opts o = { .max_ttl = 3600, .neg_ttl = 60 };
	struct dnsqmem *m = dnsqmem_new(100, 1 << 20);
	struct dnsq *src_a = zone_src(), *src_b = zone_src();
	struct dnsq *a, *b;
	const struct dnsqcache_stats *sb;
	char first[128];
	pthread_t th[4];
	struct mem_thread_arg ta[4];
	unsigned long bad = 0;
	int i;

	o.shared = m;
	a = dnsqcache_new(src_a, NULL, &o);
	b = dnsqcache_new(src_b, NULL, &o);
	sb = dnsqcache_stats(b);
	dnsqcache_memory_only(b, 1);
	CHECK(ask(b, "example.com", DNSQ_TXT, NULL, 0, NULL) == DNSQ_TEMPFAIL &&
	      sb->memory_misses == 1 && src_b->queries == 0,
	      "dnsqcache: memory-only, not in memory: a temporary failure, counted, nothing asked");
	CHECK(ask(a, "example.com", DNSQ_TXT, first, sizeof(first), NULL) == DNSQ_OK &&
	      src_a->queries == 1, "dnsqcache: the other cache asks its source");
	CHECK(ask(b, "Example.com", DNSQ_TXT, first, sizeof(first), NULL) == DNSQ_OK &&
	      strcmp(first, "v=spf1 mx -all") == 0 && sb->memory_misses == 1 &&
	      src_b->queries == 0 && sb->local_hits == 1,
	      "dnsqcache: memory-only: the answer the other cache fetched, from the shared store");
	CHECK(ask(b, "gone.example", DNSQ_TXT, NULL, 0, NULL) == DNSQ_TEMPFAIL &&
	      sb->memory_misses == 2,
	      "dnsqcache: memory-only: a name never asked is a miss, not NXDOMAIN");
	dnsqcache_memory_only(b, 0);
	CHECK(ask(b, "gone.example", DNSQ_TXT, NULL, 0, NULL) == DNSQ_NXDOMAIN &&
	      src_b->queries == 1, "dnsqcache: memory-only off: the source again");
	dnsq_destroy(a);
	dnsq_destroy(b);
	CHECK(dnsqmem_count(m) >= 2, "dnsqcache: the shared store outlives the caches that borrow it");
	dnsqmem_free(m);

	m = dnsqmem_new(200, 64 << 10);
	for (i = 0; i < 4; i++) {
		ta[i] = (struct mem_thread_arg){ .m = m, .id = i };
		pthread_create(&th[i], NULL, mem_thread, &ta[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		bad += ta[i].bad;
	}
	CHECK(bad == 0 && dnsqmem_count(m) <= 200,
	      "dnsqmem: four threads putting and getting at once: every value read whole (%lu bad), the bound kept",
	      bad);
	dnsqmem_free(m);
	CHECK(dnsqmem_new(0, 100) == NULL, "dnsqmem: size 0 is no store");
}

int main(void)
{
	ms_log_set_sink(count_log);
	test_value_roundtrip();
	test_value_refused();
	test_lru();
	test_chain_local();
	test_shared_memory();
	test_chain_farm();
	redis_down();
	return unit_done();
}
