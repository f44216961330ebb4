/*
 * bodyhash.c - every body hash of a message in one pass.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bodyhash.h"
#include "canon.h"
#include "crypto.h"
#include "ms_limits.h"
#include "xalloc.h"

#define BODYHASH_MAX (MS_MAX_SIGS + MS_MAX_SIGN_KEYS)

struct bodyhash_sink {
	enum dkim_canon mode;
	uint64_t limit;                 /* bytes to hash at most */
	uint64_t hashed;
	EVP_MD_CTX *ctx;
	unsigned char digest[BODYHASH_DIGEST];
};

struct bodyhash_stream {
	int used;
	struct canon_body cb;
	struct bodyhash_set *set;
};

struct bodyhash_set {
	struct bodyhash_sink sinks[BODYHASH_MAX];
	int nsinks;
	int failed;                     /* a digest call failed */
	int finished;
	struct bodyhash_stream streams[2];      /* simple, relaxed */
};

/* bodyhash_new - an empty set */
struct bodyhash_set *bodyhash_new(void)
{
	/* not calloc: the staging buffers need no zeroing */
	struct bodyhash_set *set = xmalloc(sizeof(*set));

	set->nsinks = 0;
	set->failed = 0;
	set->finished = 0;
	set->streams[0].used = 0;
	set->streams[1].used = 0;
	return set;
}

/* bodyhash_free - release the set and its contexts */
void bodyhash_free(struct bodyhash_set *set)
{
	int i;

	if (!set)
		return;
	for (i = 0; i < set->nsinks; i++)
		EVP_MD_CTX_free(set->sinks[i].ctx);
	free(set);
}

/* bh_sink - canonical bytes of one mode go to every sink of that mode */
static void bh_sink(void *arg, const unsigned char *p, size_t len)
{
	struct bodyhash_stream *bs = arg;
	struct bodyhash_set *set = bs->set;
	int i;

	for (i = 0; i < set->nsinks; i++) {
		struct bodyhash_sink *s = &set->sinks[i];
		uint64_t n = len;

		if (s->mode != bs->cb.mode || s->hashed >= s->limit)
			continue;
		if (n > s->limit - s->hashed)
			n = s->limit - s->hashed;
		if (!EVP_DigestUpdate(s->ctx, p, (size_t)n))
			set->failed = 1;
		s->hashed += n;
	}
}

/* bodyhash_add - want the hash for mode and limit */
int bodyhash_add(struct bodyhash_set *set, enum dkim_canon mode,
		 uint64_t limit)
{
	struct bodyhash_stream *bs;
	struct bodyhash_sink *s;
	int i;

	for (i = 0; i < set->nsinks; i++)
		if (set->sinks[i].mode == mode && set->sinks[i].limit == limit)
			return i;
	if (set->nsinks == BODYHASH_MAX)
		return -1;
	s = &set->sinks[set->nsinks];
	s->ctx = crypto_sha256_ctx();
	if (!s->ctx)
		return -1;
	s->mode = mode;
	s->limit = limit;
	s->hashed = 0;
	bs = &set->streams[mode == DKIM_CANON_RELAXED];
	if (!bs->used) {
		bs->used = 1;
		bs->set = set;
		canon_body_init(&bs->cb, mode, bh_sink, bs);
	}
	return set->nsinks++;
}

/* bodyhash_feed - raw body bytes */
void bodyhash_feed(struct bodyhash_set *set, const unsigned char *p,
		   size_t len)
{
	if (set->streams[0].used)
		canon_body_feed(&set->streams[0].cb, p, len);
	if (set->streams[1].used)
		canon_body_feed(&set->streams[1].cb, p, len);
}

/* bodyhash_finish - end of body; digests become available */
enum ms_status bodyhash_finish(struct bodyhash_set *set,
			       struct ms_error *err)
{
	int i;

	if (set->finished)
		return MS_OK;
	set->finished = 1;
	for (i = 0; i < 2; i++)
		if (set->streams[i].used)
			canon_body_finish(&set->streams[i].cb);
	for (i = 0; i < set->nsinks; i++) {
		unsigned int dl = 0;

		if (!EVP_DigestFinal_ex(set->sinks[i].ctx, set->sinks[i].digest,
					&dl) || dl != BODYHASH_DIGEST)
			set->failed = 1;
	}
	if (set->failed)
		return ms_error_set(err, MS_ERR_CRYPTO,
				    "body hash computation failed");
	return MS_OK;
}

/* bodyhash_digest - the digest of index i */
const unsigned char *bodyhash_digest(const struct bodyhash_set *set, int i,
				     uint64_t *canon_len)
{
	const struct bodyhash_sink *s = &set->sinks[i];

	if (canon_len)
		*canon_len = set->streams[s->mode == DKIM_CANON_RELAXED].cb.out_len;
	return s->digest;
}
