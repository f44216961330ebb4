/*
 * dkim_verify.c - DKIM verification, streaming.
 *
 * At the end of the header block every DKIM-Signature (up to the cap)
 * is parsed and asks the body-hash set for the hash it needs; the body
 * then streams through the set; at finish each signature is judged in
 * the order RFC 6376 section 6.1 gives: signature syntax, key lookup,
 * key checks, body hash, header signature.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <strings.h>


#include "bodyhash.h"
#include "crypto.h"
#include "dkim_verify.h"
#include "hdrhash.h"
#include "keyrec.h"
#include "msclock.h"
#include "ms_limits.h"
#include "tagvalue.h"
#include "xalloc.h"

/* parsed keys, keyed by the exact record bytes, so a cached entry can
 * never disagree with what the key source says now */
#define PKCACHE_SIZE 64

struct pkcache_entry {
	unsigned char *rec;
	size_t rec_len;
	uint64_t last_used;
	enum ms_status st;
	char reason[MS_ERRMSG_MAX];
	struct keyrec key;
	EVP_PKEY_CTX *vctx;             /* crypto_verify_digest's cache */
};

struct dkim_verifier {
	struct dkim_verifier_opts o;
	struct keysource *ks;
	uint64_t tick;
	struct pkcache_entry cache[PKCACHE_SIZE];
};

struct vsig {
	struct dkim_sig sig;
	enum ms_status parse_st;
	const char *parse_reason;
	size_t field;                   /* index of its header field */
	int bh;                         /* body hash index, -1: none */
};

struct dkim_verify {
	struct dkim_verifier *v;
	struct arena arena;
	struct msgreader mr;
	struct bodyhash_set *bh;
	struct vsig sigs[MS_MAX_SIGS];
	size_t nsigs;
	size_t skipped;
	size_t skipped_relevant;
	dkim_rank_fn rank;
	void *rank_arg;
	struct buf canon;               /* scratch: canonical headers */
	const char *txid;               /* in the arena, or NULL */
	uint64_t deadline;              /* set by the caller; 0: own budget */
};

static const char dkim_sig_name[] = "DKIM-Signature";

/* dkim_result_str - "pass", "fail", ... */
const char *dkim_result_str(enum dkim_result r)
{
	switch (r) {
	case DKIM_RES_NONE:       return "none";
	case DKIM_RES_PASS:       return "pass";
	case DKIM_RES_FAIL:       return "fail";
	case DKIM_RES_NEUTRAL:    return "neutral";
	case DKIM_RES_POLICY:     return "policy";
	case DKIM_RES_TEMPERROR:  return "temperror";
	case DKIM_RES_PERMERROR:  return "permerror";
	}
	return "permerror";
}

/* dkim_verifier_new - long-lived verifier over the key source ks */
struct dkim_verifier *dkim_verifier_new(const struct dkim_verifier_opts *o,
					struct keysource *ks)
{
	struct dkim_verifier *v = xcalloc(1, sizeof(*v));

	if (o)
		v->o = *o;
	if (v->o.max_sigs == 0)
		v->o.max_sigs = MS_DEFAULT_MAX_SIGS;
	if (v->o.max_sigs > MS_MAX_SIGS)
		v->o.max_sigs = MS_MAX_SIGS;
	v->ks = ks;
	return v;
}

/* dkim_verifier_free - release it (not the key source) */
void dkim_verifier_free(struct dkim_verifier *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < PKCACHE_SIZE; i++) {
		free(v->cache[i].rec);
		crypto_verify_cache_free(&v->cache[i].vctx);
		keyrec_release(&v->cache[i].key);
	}
	free(v);
}

/* pkcache_get - the parsed key for a record, parsing it on a miss */
static struct pkcache_entry *pkcache_get(struct dkim_verifier *v,
					       const unsigned char *rec,
					       size_t len)
{
	struct pkcache_entry *e, *victim = &v->cache[0];
	struct ms_error err;
	size_t i;

	v->tick++;
	for (i = 0; i < PKCACHE_SIZE; i++) {
		e = &v->cache[i];
		if (e->rec && e->rec_len == len && memcmp(e->rec, rec, len) == 0) {
			e->last_used = v->tick;
			return e;
		}
		if (e->last_used < victim->last_used)
			victim = e;
	}
	e = victim;
	free(e->rec);
	crypto_verify_cache_free(&e->vctx);
	keyrec_release(&e->key);
	e->rec = (unsigned char *)xstrndup((const char *)rec, len);
	e->rec_len = len;
	e->last_used = v->tick;
	ms_error_clear(&err);
	e->st = keyrec_parse(rec, len, &e->key, &err);
	snprintf(e->reason, sizeof(e->reason), "%s", err.msg);
	if (e->st != MS_OK)
		keyrec_release(&e->key);
	return e;
}

/* dkim_verifier_preload - the key at name, parsed and held */
int dkim_verifier_preload(struct dkim_verifier *v, const char *name)
{
	unsigned char digest[CRYPTO_SHA256_LEN] = { 0 }, sig[512] = { 0 };
	struct pkcache_entry *pk;
	struct key_answer ans;
	struct arena a;
	int held = 0;
	size_t len;

	arena_init(&a);
	keysource_lookup(v->ks, name, &a, &ans);
	if (ans.status == KEY_FOUND && ans.nrecords == 1) {
		pk = pkcache_get(v, ans.records[0], ans.record_len[0]);
		held = pk->st == MS_OK && pk->key.pkey;
		if (held && !pk->vctx) {
			/* a check that fails, for its context (RSA) and the
			 * methods it fetches */
			len = (size_t)EVP_PKEY_get_size(pk->key.pkey);
			(void)crypto_verify_digest(pk->key.pkey, &pk->vctx, digest,
						   sig, len <= sizeof(sig) ? len
						   : sizeof(sig));
			ERR_clear_error();
		}
	}
	arena_free(&a);
	return held;
}

/* dv_take - verify the signature in field i: parse it, start its body
 * hash */
static void dv_take(struct dkim_verify *m, size_t i)
{
	const unsigned char *val;
	struct ms_error err;
	struct vsig *vs = &m->sigs[m->nsigs++];
	size_t vlen;

	vs->field = i;
	vs->bh = -1;
	val = msgreader_field_value(&m->mr, i, &vlen);
	ms_error_clear(&err);
	vs->parse_st = dkimsig_parse(val, vlen, &m->arena, &vs->sig, &err);
	if (vs->parse_st != MS_OK) {
		vs->parse_reason = arena_strdup(&m->arena, err.msg);
		return;
	}
	if (vs->sig.alg == DKIM_ALG_RSA_SHA256 ||
	    vs->sig.alg == DKIM_ALG_ED25519_SHA256)
		vs->bh = bodyhash_add(m->bh, vs->sig.body_canon,
				      vs->sig.has_length ? vs->sig.length
							 : BODYHASH_NOLIMIT);
}

/* dv_rank_of - the caller's rank of the signature in field i, from its
 * d= alone (a field whose tag list cannot be read ranks 0) */
static int dv_rank_of(struct dkim_verify *m, size_t i)
{
	struct tag_list *tl = arena_alloc(&m->arena, sizeof(*tl));
	const unsigned char *val;
	const struct tag *d;
	char dom[MS_MAX_DOMAIN + 1];
	size_t vlen;

	val = msgreader_field_value(&m->mr, i, &vlen);
	if (tagvalue_parse(val, vlen, tl, NULL) != MS_OK)
		return 0;
	d = tagvalue_find(tl, "d");
	if (!d || d->value_len == 0 || d->value_len > MS_MAX_DOMAIN)
		return 0;
	memcpy(dom, d->value, d->value_len);
	dom[d->value_len] = 0;
	return m->rank(m->rank_arg, dom);
}

/* dv_on_headers - the header block is complete: choose the signatures
 * to verify, at most max_sigs: all of them when that is enough; else
 * the highest ranked first, each rank in header order */
static void dv_on_headers(void *arg)
{
	struct dkim_verify *m = arg;
	size_t i, n = msgreader_nfields(&m->mr), total = 0, chosen = 0;
	size_t max = m->v->o.max_sigs;
	int *rank, r, top = 0;

	for (i = 0; i < n; i++)
		total += msgreader_field_is(&m->mr, i, dkim_sig_name,
					    sizeof(dkim_sig_name) - 1);
	if (total <= max || !m->rank) {
		for (i = 0; i < n && m->nsigs < max; i++)
			if (msgreader_field_is(&m->mr, i, dkim_sig_name,
					       sizeof(dkim_sig_name) - 1))
				dv_take(m, i);
		m->skipped = total - m->nsigs;
		return;
	}
	/* rank[i]: -1 not a signature; else its rank, and once chosen
	 * DV_CHOSEN above it */
#define DV_CHOSEN 1000
	rank = arena_alloc(&m->arena, n * sizeof(*rank));
	for (i = 0; i < n; i++) {
		rank[i] = -1;
		if (!msgreader_field_is(&m->mr, i, dkim_sig_name,
					sizeof(dkim_sig_name) - 1))
			continue;
		r = dv_rank_of(m, i);
		rank[i] = r < 0 ? 0 : r >= DV_CHOSEN ? DV_CHOSEN - 1 : r;
		if (rank[i] > top)
			top = rank[i];
	}
	for (r = top; r >= 0 && chosen < max; r--)
		for (i = 0; i < n && chosen < max; i++)
			if (rank[i] == r) {
				rank[i] += DV_CHOSEN;
				chosen++;
			}
	for (i = 0; i < n; i++) {
		if (rank[i] >= DV_CHOSEN) {
			dv_take(m, i);
		} else if (rank[i] >= 0) {
			m->skipped++;
			m->skipped_relevant += rank[i] > 0;
		}
	}
#undef DV_CHOSEN
}

static void dv_on_body(void *arg, const unsigned char *p, size_t len)
{
	struct dkim_verify *m = arg;

	bodyhash_feed(m->bh, p, len);
}

/* dkim_verify_begin - a context for one message */
struct dkim_verify *dkim_verify_begin(struct dkim_verifier *v)
{
	struct dkim_verify *m = xmalloc(sizeof(*m));

	m->v = v;
	arena_init(&m->arena);
	msgreader_init(&m->mr, dv_on_headers, dv_on_body, m);
	m->bh = bodyhash_new();
	m->nsigs = 0;
	m->skipped = 0;
	m->skipped_relevant = 0;
	m->rank = NULL;
	m->rank_arg = NULL;
	buf_init(&m->canon, MS_MAX_HEADER_BYTES + 1024);
	m->txid = NULL;
	return m;
}

/* dkim_verify_set_txid - the transaction this message belongs to */
void dkim_verify_set_txid(struct dkim_verify *m, const char *txid)
{
	m->txid = txid ? arena_strdup(&m->arena, txid) : NULL;
}

/* dkim_verify_set_rank - which signatures to verify first */
void dkim_verify_set_rank(struct dkim_verify *m, dkim_rank_fn rank,
			  void *arg)
{
	m->rank = rank;
	m->rank_arg = arg;
}

/* dkim_verify_feed - the next chunk of the message */
void dkim_verify_feed(struct dkim_verify *m, const unsigned char *p,
		      size_t len)
{
	/* an error state is kept by the reader and reported at finish */
	(void)msgreader_feed(&m->mr, p, len);
}

/* dkim_verify_reader - the message's headers */
const struct msgreader *dkim_verify_reader(const struct dkim_verify *m)
{
	return &m->mr;
}

/* dkim_verify_free - release the context and its results */
void dkim_verify_free(struct dkim_verify *m)
{
	if (!m)
		return;
	msgreader_free(&m->mr);
	bodyhash_free(m->bh);
	buf_free(&m->canon);
	arena_free(&m->arena);
	free(m);
}

static void dv_set(struct dkim_verify *m, struct dkim_sig_result *r,
		   enum dkim_result res, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void dv_set(struct dkim_verify *m, struct dkim_sig_result *r,
		   enum dkim_result res, const char *fmt, ...)
{
	char tmp[MS_ERRMSG_MAX];
	va_list ap;

	r->result = res;
	if (!fmt) {
		r->reason = NULL;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	r->reason = arena_strdup(&m->arena, tmp);
}

/* dv_header_digest - the header hash, with b= emptied from the field */
static int dv_header_digest(struct dkim_verify *m, const struct vsig *vs,
			    unsigned char *digest)
{
	const struct dkim_sig *sig = &vs->sig;
	const unsigned char *raw, *val;
	size_t raw_len, vlen, voff;
	struct buf field;
	int ok;

	raw = msgreader_field(&m->mr, vs->field, &raw_len);
	val = msgreader_field_value(&m->mr, vs->field, &vlen);
	voff = (size_t)(val - raw);
	buf_init(&field, raw_len);
	ok = buf_append(&field, raw, voff + sig->b_span_start) == MS_OK &&
	     buf_append(&field, val + sig->b_span_end,
			vlen - sig->b_span_end) == MS_OK &&
	     hdrhash_compute(&m->mr, sig->hdr_canon,
			     (const char *const *)sig->headers, sig->nheaders,
			     field.data, field.len, &m->canon, digest) == MS_OK;
	buf_free(&field);
	return ok;
}

static int dv_domain_eq(const char *identity, const char *domain)
{
	const char *at = strrchr(identity, '@');

	return at && strcasecmp(at + 1, domain) == 0;
}

/* dv_judge - the result of one parsed signature */
static void dv_judge(struct dkim_verify *m, const struct vsig *vs,
		     struct dkim_sig_result *r, time_t now, uint64_t deadline)
{
	const struct dkim_sig *sig = &vs->sig;
	struct pkcache_entry *pk;
	const struct keyrec *key;
	struct key_answer ans;
	unsigned char digest[CRYPTO_SHA256_LEN];
	const unsigned char *bh;
	uint64_t canon_len = 0;
	char name[2 * MS_MAX_DOMAIN + 16];

	if (sig->alg == DKIM_ALG_RSA_SHA1) {
		dv_set(m, r, DKIM_RES_PERMERROR,
		       "rsa-sha1 is not accepted (RFC 8301)");
		return;
	}
	/* a signature that cannot be evaluated is a permerror, not a fail
	 * (nothing was checked): an expired one, an empty b=, and below a
	 * revoked or too small key */
	if (sig->has_expire && (uint64_t)now > sig->expire) {
		dv_set(m, r, DKIM_RES_PERMERROR, "signature expired (x=)");
		return;
	}
	if (sig->sig_len == 0) {
		dv_set(m, r, DKIM_RES_PERMERROR, "empty b= (no signature)");
		return;
	}
	snprintf(name, sizeof(name), "%s._domainkey.%s", sig->selector,
		 sig->domain);
	keysource_lookup_until(m->v->ks, name, deadline, &m->arena, &ans);
	r->dnssec = ans.dnssec;
	if (ans.status == KEY_TEMPFAIL) {
		dv_set(m, r, DKIM_RES_TEMPERROR, "key lookup failed: %s",
		       ans.reason ? ans.reason : "temporary error");
		return;
	}
	if (ans.status == KEY_NOTFOUND || ans.nrecords == 0) {
		dv_set(m, r, DKIM_RES_PERMERROR, "no key for signature at %s",
		       name);
		return;
	}
	if (ans.nrecords > 1) {
		dv_set(m, r, DKIM_RES_PERMERROR,
		       "%zu key records at %s (RFC 6376 3.6.2.2)",
		       ans.nrecords, name);
		return;
	}
	pk = pkcache_get(m->v, ans.records[0], ans.record_len[0]);
	if (pk->st != MS_OK) {
		dv_set(m, r, DKIM_RES_PERMERROR, "bad key record: %s",
		       pk->reason);
		return;
	}
	key = &pk->key;
	r->testing = key->testing;
	r->key_bits = key->bits;
	if (key->revoked) {
		dv_set(m, r, DKIM_RES_PERMERROR, "key revoked");
		return;
	}
	if (key->type == KEYREC_OTHER ||
	    (key->type == KEYREC_RSA) != (sig->alg == DKIM_ALG_RSA_SHA256)) {
		dv_set(m, r, DKIM_RES_PERMERROR,
		       "key type does not match a=%s", sig->alg_name);
		return;
	}
	if (!key->sha256_ok) {
		dv_set(m, r, DKIM_RES_PERMERROR, "key h= does not allow sha256");
		return;
	}
	if (!key->email_ok) {
		dv_set(m, r, DKIM_RES_PERMERROR, "key s= is not for email");
		return;
	}
	if (key->strict && sig->identity &&
	    !dv_domain_eq(sig->identity, sig->domain)) {
		dv_set(m, r, DKIM_RES_PERMERROR,
		       "key t=s requires the i= domain to be d=");
		return;
	}
	if (key->type == KEYREC_RSA && key->bits < MS_MIN_RSA_BITS) {
		dv_set(m, r, DKIM_RES_PERMERROR,
		       "RSA key of %u bits is too small (RFC 8301)", key->bits);
		return;
	}
	if (vs->bh < 0) {
		dv_set(m, r, DKIM_RES_PERMERROR, "too many distinct body hashes");
		return;
	}
	bh = bodyhash_digest(m->bh, vs->bh, &canon_len);
	if (sig->has_length && canon_len < sig->length) {
		dv_set(m, r, DKIM_RES_FAIL, "body is shorter than l=");
	} else if (sig->bh_len != BODYHASH_DIGEST ||
		   memcmp(sig->bh, bh, BODYHASH_DIGEST) != 0) {
		dv_set(m, r, DKIM_RES_FAIL, "body hash did not verify");
	} else if (!dv_header_digest(m, vs, digest)) {
		dv_set(m, r, DKIM_RES_TEMPERROR, "header hash failed");
		return;
	} else if (!crypto_verify_digest(key->pkey, &pk->vctx, digest,
					 sig->sig, sig->sig_len)) {
		dv_set(m, r, DKIM_RES_FAIL, "signature did not verify");
	} else {
		dv_set(m, r, DKIM_RES_PASS, NULL);
		if (m->v->o.seen && m->txid && r->has_id)
			r->seen_count = m->v->o.seen(m->v->o.seen_arg,
						     r->sig_id, m->txid);
		return;
	}
	if (key->testing)
		dv_set(m, r, DKIM_RES_NEUTRAL, "%s (key in testing mode, t=y)",
		       r->reason);
}

/* dkim_verify_set_deadline - the message's DNS deadline */
void dkim_verify_set_deadline(struct dkim_verify *m, uint64_t deadline_ms)
{
	m->deadline = deadline_ms;
}

/* dkim_verify_finish - end of message: verify every signature */
enum ms_status dkim_verify_finish(struct dkim_verify *m,
				  struct dkim_verify_outcome *out,
				  struct ms_error *err)
{
	time_t now = m->v->o.now ? m->v->o.now : time(NULL);
	uint64_t deadline = m->deadline ? m->deadline
			    : m->v->o.dns_budget_ms
			    ? ms_clock_ms() + m->v->o.dns_budget_ms : 0;
	struct dkim_sig_result *r;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (msgreader_finish(&m->mr) != MS_OK) {
		r = arena_alloc(&m->arena, sizeof(*r));
		dv_set(m, r, DKIM_RES_PERMERROR, "%s", m->mr.err.msg);
		out->results = r;
		out->nresults = 1;
		return MS_OK;
	}
	if (bodyhash_finish(m->bh, err) != MS_OK)
		return err ? err->code : MS_ERR_CRYPTO;
	out->results = arena_alloc(&m->arena,
				   (m->nsigs ? m->nsigs : 1) * sizeof(*r));
	out->nresults = m->nsigs;
	out->skipped = m->skipped;
	out->skipped_relevant = m->skipped_relevant;
	for (i = 0; i < m->nsigs; i++) {
		const struct vsig *vs = &m->sigs[i];

		r = &out->results[i];
		r->domain = vs->sig.domain;
		r->selector = vs->sig.selector;
		r->identity = vs->sig.identity;
		r->alg = vs->sig.alg_name;
		memcpy(r->b_prefix, vs->sig.b_prefix, sizeof(r->b_prefix));
		if (vs->parse_st != MS_OK) {
			dv_set(m, r, DKIM_RES_PERMERROR, "%s", vs->parse_reason);
			continue;
		}
		if (vs->sig.sig_len) {
			unsigned int dl = 0;

			r->has_id = EVP_Digest(vs->sig.sig, vs->sig.sig_len,
					       r->sig_id, &dl, crypto_sha256(),
					       NULL) && dl == sizeof(r->sig_id);
		}
		dv_judge(m, vs, r, now, deadline);
	}
	return MS_OK;
}
