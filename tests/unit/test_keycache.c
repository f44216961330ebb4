/*
 * test_keycache.c - the in-process cache in front of a key source:
 * hits, negative caching, eviction, expiry, temporary failures.  The
 * source behind it is the real key file source.
 */
#include <string.h>
#include <unistd.h>

#include "keycache.h"
#include "keyfile.h"
#include "unit.h"

static const char keys[] =
	"a._domainkey.example.com v=DKIM1; p=AAAA\n"
	"b._domainkey.example.com v=DKIM1; p=BBBB\n"
	"c._domainkey.example.com v=DKIM1; p=CCCC\n";

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

int main(void)
{
	struct keycache_opts o = { .local_size = 2, .max_ttl = 3600, .neg_ttl = 60 };
	struct keycache_opts short_ttl = { .local_size = 10, .max_ttl = 1, .neg_ttl = 0 };
	struct ms_error err;
	struct keysource *kc;
	const struct keycache_stats *st;

	kc = keycache_new(keyfile_parse((const unsigned char *)keys, strlen(keys),
					"keys", &err), NULL, &o);
	st = keycache_stats(kc);
	CHECK(look(kc, "a._domainkey.example.com") == KEY_FOUND && st->source_lookups == 1,
	      "keycache: first lookup reaches the source");
	CHECK(look(kc, "a._domainkey.example.com") == KEY_FOUND && st->local_hits == 1 &&
	      st->source_lookups == 1, "keycache: second lookup is a local hit");
	CHECK(look(kc, "A._DOMAINKEY.example.com") == KEY_FOUND && st->local_hits == 2,
	      "keycache: a name in another case is the same entry");
	CHECK(look(kc, "x._domainkey.example.com") == KEY_NOTFOUND,
	      "keycache: a missing key");
	CHECK(look(kc, "x._domainkey.example.com") == KEY_NOTFOUND && st->local_hits == 3,
	      "keycache: a missing key is cached (negative TTL)");
	/* capacity 2: a, then x; asking b evicts the least recently used (a) */
	look(kc, "b._domainkey.example.com");
	{
		unsigned long before = st->source_lookups;

		look(kc, "a._domainkey.example.com");
		CHECK(st->source_lookups == before + 1,
		      "keycache: the least recently used entry was evicted");
	}
	keysource_destroy(kc);

	kc = keycache_new(keyfile_parse((const unsigned char *)keys, strlen(keys),
					"keys", &err), NULL, &short_ttl);
	st = keycache_stats(kc);
	look(kc, "c._domainkey.example.com");
	look(kc, "c._domainkey.example.com");
	CHECK(st->local_hits == 1, "keycache: hit before expiry");
	usleep(1100 * 1000);
	look(kc, "c._domainkey.example.com");
	CHECK(st->source_lookups == 2, "keycache: an entry past its TTL is fetched again");
	look(kc, "y._domainkey.example.com");
	look(kc, "y._domainkey.example.com");
	CHECK(st->source_lookups == 4, "keycache: negative_cache_ttl 0 caches no missing key");
	keysource_destroy(kc);

	/* a validating node takes no answer from its own cache that was
	 * not validated (a key file is no validating resolver) */
	{
		struct keycache_opts vo = { .local_size = 10, .max_ttl = 3600,
					    .neg_ttl = 60, .require_validated = 1 };

		kc = keycache_new(keyfile_parse((const unsigned char *)keys, strlen(keys),
						"keys", &err), NULL, &vo);
		st = keycache_stats(kc);
		look(kc, "a._domainkey.example.com");
		CHECK(look(kc, "a._domainkey.example.com") == KEY_FOUND &&
		      st->local_hits == 0 && st->source_lookups == 2 && st->unvalidated == 1,
		      "keycache: a validating node asks again rather than use an unvalidated answer");
		keysource_destroy(kc);
	}
	return unit_done();
}
