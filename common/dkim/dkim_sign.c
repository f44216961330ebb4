/*
 * dkim_sign.c - DKIM signing, streaming, several keys in one pass.
 *
 * The signature field is built tag by tag into a folder that breaks
 * lines before 78 columns; b= is last and empty while the header hash
 * is computed, then the folded signature is appended.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "bodyhash.h"
#include "crypto.h"
#include "dkim_sign.h"
#include "hdrhash.h"
#include "ms_limits.h"
#include "msgreader.h"
#include "xalloc.h"

#define SIGN_WIDTH 78           /* columns, a folding tab counted as 8 */
#define SIGN_TAB 8

static const char *const sign_default_names[] = {
	"from", "to", "cc", "subject", "date", "message-id",
	"in-reply-to", "references", "reply-to", "mime-version",
	"content-type", "content-transfer-encoding",
};
#define SIGN_NDEFAULT (sizeof(sign_default_names) / sizeof(sign_default_names[0]))

struct sign_key {
	char *domain;
	char *selector;
	char *identity;
	EVP_PKEY *pkey;
	enum dkim_alg alg;
	enum dkim_canon hdr_canon;
	enum dkim_canon body_canon;
	char **headers;                 /* NULL: the default, over-signed */
	size_t nheaders;
	uint64_t expire_after;
};

struct dkim_signer {
	struct sign_key keys[MS_MAX_SIGN_KEYS];
	size_t n;
};

struct dkim_sign {
	struct dkim_signer *s;
	time_t now;
	struct msgreader mr;
	struct bodyhash_set *bh;
	int bh_idx[MS_MAX_SIGN_KEYS];
	struct buf scratch;
};

/* dkim_sign_default_headers - the default list, colon-separated */
const char *dkim_sign_default_headers(void)
{
	return "from:to:cc:subject:date:message-id:in-reply-to:references:"
	       "reply-to:mime-version:content-type:content-transfer-encoding";
}

/* dkim_signer_new - an empty signer */
struct dkim_signer *dkim_signer_new(void)
{
	return xcalloc(1, sizeof(struct dkim_signer));
}

static void sign_key_release(struct sign_key *k)
{
	size_t i;

	free(k->domain);
	free(k->selector);
	free(k->identity);
	crypto_pkey_free(k->pkey);
	for (i = 0; i < k->nheaders; i++)
		free(k->headers[i]);
	free(k->headers);
	memset(k, 0, sizeof(*k));
}

/* dkim_signer_free - release it and its key references */
void dkim_signer_free(struct dkim_signer *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		sign_key_release(&s->keys[i]);
	free(s);
}

/* sign_parse_headers - split "a:b:c" into names; From required */
static enum ms_status sign_parse_headers(struct sign_key *k, const char *list,
					 struct ms_error *err)
{
	const char *p = list;
	int have_from = 0;

	k->headers = xcalloc(MS_MAX_SIGNED_HEADERS, sizeof(char *));
	while (*p) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p), i;

		if (n == 0)
			return ms_error_set(err, MS_ERR_USAGE,
					    "empty header name in \"%s\"", list);
		for (i = 0; i < n; i++)
			if ((unsigned char)p[i] <= 32 || (unsigned char)p[i] > 126)
				return ms_error_set(err, MS_ERR_USAGE,
						    "bad header name in \"%s\"", list);
		if (k->nheaders == MS_MAX_SIGNED_HEADERS)
			return ms_error_set(err, MS_ERR_USAGE,
					    "more than %d header names",
					    MS_MAX_SIGNED_HEADERS);
		if (n == 4 && strncasecmp(p, "from", 4) == 0)
			have_from = 1;
		k->headers[k->nheaders++] = xstrndup(p, n);
		p = e ? e + 1 : p + n;
		if (e && !*p)
			return ms_error_set(err, MS_ERR_USAGE,
					    "empty header name in \"%s\"", list);
	}
	if (!have_from)
		return ms_error_set(err, MS_ERR_USAGE,
				    "the signed headers must include From");
	return MS_OK;
}

/* dkim_signer_add - add a key */
enum ms_status dkim_signer_add(struct dkim_signer *s,
			       const struct dkim_sign_key *key,
			       struct ms_error *err)
{
	struct sign_key *k;
	enum ms_status st;

	if (s->n == MS_MAX_SIGN_KEYS)
		return ms_error_set(err, MS_ERR_USAGE,
				    "more than %d signing keys", MS_MAX_SIGN_KEYS);
	if (!key->domain || !dkim_domain_valid(key->domain, strlen(key->domain)))
		return ms_error_set(err, MS_ERR_USAGE, "bad signing domain \"%s\"",
				    key->domain ? key->domain : "");
	if (!key->selector ||
	    !dkim_domain_valid(key->selector, strlen(key->selector)))
		return ms_error_set(err, MS_ERR_USAGE, "bad selector \"%s\"",
				    key->selector ? key->selector : "");
	if (!key->pkey)
		return ms_error_set(err, MS_ERR_USAGE, "no private key");
	if (crypto_key_alg(key->pkey) == DKIM_ALG_UNKNOWN)
		return ms_error_set(err, MS_ERR_USAGE,
				    "the key is neither RSA nor Ed25519");
	if (key->identity) {
		const char *at = strrchr(key->identity, '@');
		size_t il, dl = strlen(key->domain);

		il = at ? strlen(at + 1) : 0;
		if (!at || il < dl || strcasecmp(at + 1 + il - dl, key->domain) ||
		    (il > dl && at[il - dl] != '.'))
			return ms_error_set(err, MS_ERR_USAGE,
					    "identity \"%s\" is not within %s",
					    key->identity, key->domain);
		for (il = 0; key->identity[il]; il++)
			if ((unsigned char)key->identity[il] <= 32 ||
			    key->identity[il] == ';' ||
			    (unsigned char)key->identity[il] > 126)
				return ms_error_set(err, MS_ERR_USAGE,
						    "identity \"%s\" has a byte not allowed in i=",
						    key->identity);
	}
	k = &s->keys[s->n];
	memset(k, 0, sizeof(*k));
	if (key->headers) {
		st = sign_parse_headers(k, key->headers, err);
		if (st != MS_OK) {
			sign_key_release(k);
			return st;
		}
	}
	k->domain = xstrdup(key->domain);
	k->selector = xstrdup(key->selector);
	k->identity = key->identity ? xstrdup(key->identity) : NULL;
	k->pkey = crypto_pkey_ref(key->pkey);
	k->alg = crypto_key_alg(key->pkey);
	k->hdr_canon = key->hdr_canon;
	k->body_canon = key->body_canon;
	k->expire_after = key->expire_after;
	s->n++;
	return MS_OK;
}

static void ds_on_headers(void *arg)
{
	struct dkim_sign *m = arg;
	size_t i;

	for (i = 0; i < m->s->n; i++)
		m->bh_idx[i] = bodyhash_add(m->bh, m->s->keys[i].body_canon,
					    BODYHASH_NOLIMIT);
}

static void ds_on_body(void *arg, const unsigned char *p, size_t len)
{
	struct dkim_sign *m = arg;

	bodyhash_feed(m->bh, p, len);
}

/* dkim_sign_begin - a context for one message */
struct dkim_sign *dkim_sign_begin(struct dkim_signer *s, time_t now)
{
	struct dkim_sign *m = xmalloc(sizeof(*m));

	m->s = s;
	m->now = now ? now : time(NULL);
	msgreader_init(&m->mr, ds_on_headers, ds_on_body, m);
	m->bh = bodyhash_new();
	buf_init(&m->scratch, MS_MAX_HEADER_BYTES + 4096);
	return m;
}

/* dkim_sign_feed - the next chunk of the message */
void dkim_sign_feed(struct dkim_sign *m, const unsigned char *p, size_t len)
{
	(void)msgreader_feed(&m->mr, p, len);   /* errors kept for finish */
}

/* dkim_sign_free - release the context */
void dkim_sign_free(struct dkim_sign *m)
{
	if (!m)
		return;
	msgreader_free(&m->mr);
	bodyhash_free(m->bh);
	buf_free(&m->scratch);
	free(m);
}

/* the folder: appends to a buf, tracking the column of the last line */
struct folder {
	struct buf *out;
	size_t col;
};

static void fold_break(struct folder *f)
{
	buf_append(f->out, "\r\n\t", 3);
	f->col = SIGN_TAB;
}

/* fold_item - an unbreakable item, preceded by a space or a break */
static void fold_item(struct folder *f, const char *s, size_t n)
{
	if (f->col + 1 + n > SIGN_WIDTH)
		fold_break(f);
	else {
		buf_putc(f->out, ' ');
		f->col++;
	}
	buf_append(f->out, s, n);
	f->col += n;
}

/* fold_chunks - text that may be broken anywhere (base64) */
static void fold_chunks(struct folder *f, const char *s, size_t n)
{
	while (n) {
		size_t room, k;

		if (f->col >= SIGN_WIDTH)
			fold_break(f);
		room = SIGN_WIDTH - f->col;
		k = n < room ? n : room;
		buf_append(f->out, s, k);
		f->col += k;
		s += k;
		n -= k;
	}
}

/* fold_list - "h=a:b:c;" broken after colons where needed */
static void fold_list(struct folder *f, const char *const *names, size_t n)
{
	size_t i;

	fold_item(f, "h=", 2);
	for (i = 0; i < n; i++) {
		size_t len = strlen(names[i]) + 1;      /* with ':' or ';' */

		if (f->col + len > SIGN_WIDTH)
			fold_break(f);
		buf_puts(f->out, names[i]);
		buf_putc(f->out, i + 1 < n ? ':' : ';');
		f->col += len;
	}
}

/* sign_h_list - the h= names for key k: the explicit list, or the
 * default names each over-signed (count in the message + 1) */
static size_t sign_h_list(const struct dkim_sign *m, const struct sign_key *k,
			  const char **names)
{
	size_t n = 0, d, i, nf = msgreader_nfields(&m->mr);

	if (k->headers) {
		for (i = 0; i < k->nheaders; i++)
			names[n++] = k->headers[i];
		return n;
	}
	for (d = 0; d < SIGN_NDEFAULT; d++) {
		const char *name = sign_default_names[d];
		size_t nl = strlen(name), count = 1;

		for (i = 0; i < nf; i++)
			if (msgreader_field_is(&m->mr, i, name, nl))
				count++;
		while (count-- && n < MS_MAX_SIGNED_HEADERS)
			names[n++] = name;
	}
	return n;
}

/* sign_one - append the DKIM-Signature field of key i to out */
static enum ms_status sign_one(struct dkim_sign *m, size_t ki,
			       struct buf *out, struct ms_error *err)
{
	const struct sign_key *k = &m->s->keys[ki];
	const char *names[MS_MAX_SIGNED_HEADERS];
	unsigned char digest[32];
	struct buf field, b64, sig;
	struct folder f;
	char item[512];
	size_t nnames, start;
	enum ms_status st;
	int n;

	buf_init(&field, 64 * 1024);
	buf_init(&b64, 64 * 1024);
	buf_init(&sig, 16 * 1024);
	f.out = &field;
	buf_puts(&field, "DKIM-Signature: v=1;");
	f.col = field.len;
#define FOLD_ITEM(...) do { \
		n = snprintf(item, sizeof(item), __VA_ARGS__); \
		fold_item(&f, item, (size_t)n); \
	} while (0)
	FOLD_ITEM("a=%s;", dkim_alg_name(k->alg));
	FOLD_ITEM("c=%s/%s;", dkim_canon_name(k->hdr_canon),
		  dkim_canon_name(k->body_canon));
	FOLD_ITEM("d=%s;", k->domain);
	FOLD_ITEM("s=%s;", k->selector);
	if (k->identity)
		FOLD_ITEM("i=%s;", k->identity);
	FOLD_ITEM("t=%llu;", (unsigned long long)m->now);
	if (k->expire_after)
		FOLD_ITEM("x=%llu;", (unsigned long long)m->now + k->expire_after);
#undef FOLD_ITEM
	nnames = sign_h_list(m, k, names);
	fold_list(&f, names, nnames);
	base64_encode(bodyhash_digest(m->bh, m->bh_idx[ki], NULL),
		      BODYHASH_DIGEST, &b64);
	fold_item(&f, "bh=", 3);
	fold_chunks(&f, buf_str(&b64), b64.len);
	buf_putc(&field, ';');
	f.col++;
	fold_item(&f, "b=", 2);
	st = hdrhash_compute(&m->mr, k->hdr_canon, names, nnames, field.data,
			     field.len, &m->scratch, digest);
	if (st != MS_OK) {
		ms_error_set(err, st, "header hash failed");
		goto out;
	}
	st = crypto_sign_digest(k->pkey, digest, &sig, err);
	if (st != MS_OK)
		goto out;
	buf_reset(&b64);
	base64_encode(sig.data, sig.len, &b64);
	fold_chunks(&f, buf_str(&b64), b64.len);
	start = out->len;
	if (buf_append(out, field.data, field.len) != MS_OK ||
	    buf_append(out, "\r\n", 2) != MS_OK) {
		buf_truncate(out, start);
		st = ms_error_set(err, MS_ERR_LIMIT, "output too large");
	}
out:
	buf_free(&field);
	buf_free(&b64);
	buf_free(&sig);
	return st;
}

/* dkim_sign_finish - append every DKIM-Signature field to out */
enum ms_status dkim_sign_finish(struct dkim_sign *m, struct buf *out,
				struct ms_error *err)
{
	enum ms_status st;
	size_t i, nf, start = out->len;
	int have_from = 0;

	if (m->s->n == 0)
		return ms_error_set(err, MS_ERR_USAGE, "no signing key");
	st = msgreader_finish(&m->mr);
	if (st != MS_OK)
		return ms_error_set(err, st, "cannot sign: %s", m->mr.err.msg);
	nf = msgreader_nfields(&m->mr);
	for (i = 0; i < nf; i++)
		if (msgreader_field_is(&m->mr, i, "from", 4))
			have_from = 1;
	if (!have_from)
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "cannot sign: the message has no From header");
	st = bodyhash_finish(m->bh, err);
	if (st != MS_OK)
		return st;
	for (i = 0; i < m->s->n; i++) {
		if (m->bh_idx[i] < 0) {
			buf_truncate(out, start);
			return ms_error_set(err, MS_ERR_LIMIT, "too many body hashes");
		}
		st = sign_one(m, i, out, err);
		if (st != MS_OK) {
			buf_truncate(out, start);
			return st;
		}
	}
	return MS_OK;
}
