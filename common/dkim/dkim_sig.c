/*
 * dkim_sig.c - the DKIM-Signature parser (RFC 6376 section 3.5).
 *
 * The tag-list parser does the lexing; this file gives each tag its
 * meaning through a table of handlers, then checks what involves
 * several tags (required tags, i= within d=, x= after t=).
 */
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "dkim_sig.h"
#include "ms_limits.h"
#include "numparse.h"
#include "tagvalue.h"

/* tag values (numbers) are at most 76 digits, but ours must fit u64 */
#define SIG_MAX_NUMBER UINT64_MAX

struct sig_parse {
	struct arena *arena;
	struct dkim_sig *sig;
	struct ms_error *err;
	int have_v, have_a, have_b, have_bh, have_d, have_h, have_s;
};

typedef enum ms_status (*sig_tag_fn)(struct sig_parse *sp,
				     const struct tag *t);

static int sig_is_fws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* dkim_domain_valid - shaped like a domain name or selector? */
int dkim_domain_valid(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > MS_MAX_DOMAIN)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

/* dkim_alg_name - "rsa-sha256" ... */
const char *dkim_alg_name(enum dkim_alg alg)
{
	switch (alg) {
	case DKIM_ALG_RSA_SHA256:      return "rsa-sha256";
	case DKIM_ALG_ED25519_SHA256:  return "ed25519-sha256";
	case DKIM_ALG_RSA_SHA1:        return "rsa-sha1";
	case DKIM_ALG_UNKNOWN:         break;
	}
	return "unknown";
}

/* dkim_canon_name - "simple" or "relaxed" */
const char *dkim_canon_name(enum dkim_canon c)
{
	return c == DKIM_CANON_RELAXED ? "relaxed" : "simple";
}

static int sig_canon_word(const char *s, size_t len, enum dkim_canon *c)
{
	if (len == 6 && strncasecmp(s, "simple", 6) == 0)
		*c = DKIM_CANON_SIMPLE;
	else if (len == 7 && strncasecmp(s, "relaxed", 7) == 0)
		*c = DKIM_CANON_RELAXED;
	else
		return 0;
	return 1;
}

/* dkim_canon_parse - "relaxed/simple" etc.; missing body part = simple */
enum ms_status dkim_canon_parse(const char *s, size_t len,
				enum dkim_canon *hdr, enum dkim_canon *body)
{
	const char *slash = memchr(s, '/', len);

	if (!slash) {
		*body = DKIM_CANON_SIMPLE;
		return sig_canon_word(s, len, hdr) ? MS_OK : MS_ERR_SYNTAX;
	}
	if (!sig_canon_word(s, (size_t)(slash - s), hdr) ||
	    !sig_canon_word(slash + 1, len - (size_t)(slash - s) - 1, body))
		return MS_ERR_SYNTAX;
	return MS_OK;
}

/* sig_copy_nofws - the value with FWS removed, in the arena */
static char *sig_copy_nofws(struct arena *a, const struct tag *t)
{
	char *d = arena_alloc(a, t->value_len + 1);
	size_t i, k = 0;

	for (i = 0; i < t->value_len; i++)
		if (!sig_is_fws(t->value[i]))
			d[k++] = (char)t->value[i];
	d[k] = 0;
	return d;
}

static enum ms_status sig_blob(struct sig_parse *sp, const struct tag *t,
			       unsigned char **out, size_t *out_len)
{
	struct buf b;
	enum ms_status st;

	buf_init(&b, 64 * 1024);
	st = base64_decode(t->value, t->value_len, &b);
	if (st != MS_OK) {
		buf_free(&b);
		return ms_error_set(sp->err, MS_ERR_SYNTAX,
				    "%.*s= is not valid base64", (int)t->name_len,
				    (const char *)t->name);
	}
	*out = (unsigned char *)arena_memdup(sp->arena, b.data ? b.data :
					     (unsigned char *)"", b.len);
	*out_len = b.len;
	buf_free(&b);
	return MS_OK;
}

static enum ms_status sig_number(struct sig_parse *sp, const struct tag *t,
				 uint64_t *out)
{
	enum ms_status st = num_parse_u64(t->value, t->value_len,
					  SIG_MAX_NUMBER, out);

	if (st != MS_OK)
		return ms_error_set(sp->err, MS_ERR_SYNTAX,
				    "%.*s= is not a valid number",
				    (int)t->name_len, (const char *)t->name);
	return MS_OK;
}

static enum ms_status sig_tag_v(struct sig_parse *sp, const struct tag *t)
{
	sp->have_v = 1;
	if (!tagvalue_eq(t, "1"))
		return ms_error_set(sp->err, MS_ERR_UNSUPPORTED,
				    "unsupported version v=%.*s",
				    (int)t->value_len, (const char *)t->value);
	return MS_OK;
}

static enum ms_status sig_tag_a(struct sig_parse *sp, const struct tag *t)
{
	struct dkim_sig *sig = sp->sig;

	sp->have_a = 1;
	sig->alg_name = arena_memdup(sp->arena, t->value, t->value_len);
	if (tagvalue_eq_nocase(t, "rsa-sha256"))
		sig->alg = DKIM_ALG_RSA_SHA256;
	else if (tagvalue_eq_nocase(t, "ed25519-sha256"))
		sig->alg = DKIM_ALG_ED25519_SHA256;
	else if (tagvalue_eq_nocase(t, "rsa-sha1"))
		sig->alg = DKIM_ALG_RSA_SHA1;
	else
		sig->alg = DKIM_ALG_UNKNOWN;
	return MS_OK;
}

static enum ms_status sig_tag_b(struct sig_parse *sp, const struct tag *t)
{
	struct dkim_sig *sig = sp->sig;

	sp->have_b = 1;
	sig->b_span_start = t->span_start;
	sig->b_span_end = t->span_end;
	{
		size_t i, k = 0;

		for (i = 0; i < t->value_len && k < sizeof(sig->b_prefix) - 1; i++)
			if (!sig_is_fws(t->value[i]))
				sig->b_prefix[k++] = (char)t->value[i];
		sig->b_prefix[k] = 0;
	}
	return sig_blob(sp, t, &sig->sig, &sig->sig_len);
}

static enum ms_status sig_tag_bh(struct sig_parse *sp, const struct tag *t)
{
	sp->have_bh = 1;
	return sig_blob(sp, t, &sp->sig->bh, &sp->sig->bh_len);
}

static enum ms_status sig_tag_c(struct sig_parse *sp, const struct tag *t)
{
	if (dkim_canon_parse((const char *)t->value, t->value_len,
			     &sp->sig->hdr_canon, &sp->sig->body_canon) != MS_OK)
		return ms_error_set(sp->err, MS_ERR_SYNTAX,
				    "unknown canonicalization c=%.*s",
				    (int)t->value_len, (const char *)t->value);
	return MS_OK;
}

static enum ms_status sig_tag_d(struct sig_parse *sp, const struct tag *t)
{
	sp->have_d = 1;
	if (!dkim_domain_valid((const char *)t->value, t->value_len))
		return ms_error_set(sp->err, MS_ERR_SYNTAX,
				    "d= is not a domain name");
	sp->sig->domain = arena_memdup(sp->arena, t->value, t->value_len);
	return MS_OK;
}

static enum ms_status sig_tag_s(struct sig_parse *sp, const struct tag *t)
{
	sp->have_s = 1;
	if (!dkim_domain_valid((const char *)t->value, t->value_len))
		return ms_error_set(sp->err, MS_ERR_SYNTAX,
				    "s= is not a valid selector");
	sp->sig->selector = arena_memdup(sp->arena, t->value, t->value_len);
	return MS_OK;
}

/* field-name = 1*ftext, ftext = %d33-57 / %d59-126 */
static int sig_is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

static enum ms_status sig_tag_h(struct sig_parse *sp, const struct tag *t)
{
	struct dkim_sig *sig = sp->sig;
	const unsigned char *p = t->value, *end = t->value + t->value_len;
	size_t n = 1, i, k = 0;
	int have_from = 0;

	sp->have_h = 1;
	for (i = 0; i < t->value_len; i++)
		if (p[i] == ':')
			n++;
	if (n > MS_MAX_SIGNED_HEADERS)
		return ms_error_set(sp->err, MS_ERR_SYNTAX,
				    "h= lists more than %d names",
				    MS_MAX_SIGNED_HEADERS);
	sig->headers = arena_alloc(sp->arena, n * sizeof(*sig->headers));
	while (p <= end) {
		const unsigned char *s, *e, *colon;

		colon = memchr(p, ':', (size_t)(end - p));
		if (!colon)
			colon = end;
		s = p;
		e = colon;
		while (s < e && sig_is_fws(*s))
			s++;
		while (e > s && sig_is_fws(e[-1]))
			e--;
		if (s == e)
			return ms_error_set(sp->err, MS_ERR_SYNTAX,
					    "h= has an empty name");
		for (i = 0; s + i < e; i++)
			if (!sig_is_ftext(s[i]))
				return ms_error_set(sp->err, MS_ERR_SYNTAX,
						    "h= has a bad name");
		if (e - s == 4 && strncasecmp((const char *)s, "from", 4) == 0)
			have_from = 1;
		sig->headers[k++] = arena_memdup(sp->arena, s, (size_t)(e - s));
		p = colon + 1;
	}
	sig->nheaders = k;
	if (!have_from)
		return ms_error_set(sp->err, MS_ERR_SYNTAX,
				    "h= does not include From");
	return MS_OK;
}

/* sig_hex - the value of hex digit c, or -1 */
static int sig_hex(unsigned char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* sig_tag_i - i= is dkim-quoted-printable (RFC 6376 section 3.5,
 * 2.11): "=40" is '@'.  Decoded before anything compares it with d=. */
static enum ms_status sig_tag_i(struct sig_parse *sp, const struct tag *t)
{
	char *v = sig_copy_nofws(sp->arena, t);
	size_t i, k = 0;

	for (i = 0; v[i]; i++) {
		int hi, lo;

		if (v[i] != '=') {
			v[k++] = v[i];
			continue;
		}
		hi = sig_hex((unsigned char)v[i + 1]);
		lo = hi < 0 ? -1 : sig_hex((unsigned char)v[i + 2]);
		if (lo < 0 || (hi == 0 && lo == 0))
			return ms_error_set(sp->err, MS_ERR_SYNTAX,
					    "i= has a bad quoted-printable escape");
		v[k++] = (char)(hi * 16 + lo);
		i += 2;
	}
	v[k] = 0;
	sp->sig->identity = v;
	return MS_OK;
}

static enum ms_status sig_tag_l(struct sig_parse *sp, const struct tag *t)
{
	sp->sig->has_length = 1;
	return sig_number(sp, t, &sp->sig->length);
}

static enum ms_status sig_tag_q(struct sig_parse *sp, const struct tag *t)
{
	const unsigned char *p = t->value, *end = t->value + t->value_len;

	while (p < end) {
		const unsigned char *colon = memchr(p, ':', (size_t)(end - p));
		const unsigned char *s = p, *e = colon ? colon : end;

		while (s < e && sig_is_fws(*s))
			s++;
		while (e > s && sig_is_fws(e[-1]))
			e--;
		if (e - s == 7 && strncasecmp((const char *)s, "dns/txt", 7) == 0)
			return MS_OK;
		p = colon ? colon + 1 : end;
	}
	return ms_error_set(sp->err, MS_ERR_UNSUPPORTED,
			    "q= does not offer dns/txt");
}

static enum ms_status sig_tag_t(struct sig_parse *sp, const struct tag *t)
{
	sp->sig->has_timestamp = 1;
	return sig_number(sp, t, &sp->sig->timestamp);
}

static enum ms_status sig_tag_x(struct sig_parse *sp, const struct tag *t)
{
	sp->sig->has_expire = 1;
	return sig_number(sp, t, &sp->sig->expire);
}

static const struct sig_tag_entry {
	const char *name;
	sig_tag_fn fn;
} sig_tags[] = {
	{ .name = "v",  .fn = sig_tag_v },
	{ .name = "a",  .fn = sig_tag_a },
	{ .name = "b",  .fn = sig_tag_b },
	{ .name = "bh", .fn = sig_tag_bh },
	{ .name = "c",  .fn = sig_tag_c },
	{ .name = "d",  .fn = sig_tag_d },
	{ .name = "h",  .fn = sig_tag_h },
	{ .name = "i",  .fn = sig_tag_i },
	{ .name = "l",  .fn = sig_tag_l },
	{ .name = "q",  .fn = sig_tag_q },
	{ .name = "s",  .fn = sig_tag_s },
	{ .name = "t",  .fn = sig_tag_t },
	{ .name = "x",  .fn = sig_tag_x },
};

/* sig_identity_ok - does i= lie within d= (RFC 6376 section 3.5)? */
static int sig_identity_ok(const char *identity, const char *domain)
{
	const char *at = strrchr(identity, '@');
	size_t il, dl;

	if (!at)
		return 0;
	at++;
	il = strlen(at);
	dl = strlen(domain);
	if (il == dl)
		return strcasecmp(at, domain) == 0;
	return il > dl && at[il - dl - 1] == '.' &&
	       strcasecmp(at + il - dl, domain) == 0;
}

/* dkimsig_parse - parse a DKIM-Signature field value */
enum ms_status dkimsig_parse(const unsigned char *p, size_t len,
			     struct arena *arena, struct dkim_sig *sig,
			     struct ms_error *err)
{
	struct tag_list list;
	struct sig_parse sp;
	enum ms_status st;
	size_t k, e;

	memset(sig, 0, sizeof(*sig));
	memset(&sp, 0, sizeof(sp));
	sp.arena = arena;
	sp.sig = sig;
	sp.err = err;
	st = tagvalue_parse(p, len, &list, err);
	if (st != MS_OK)
		return st;
	for (k = 0; k < list.count; k++) {
		const struct tag *t = &list.tags[k];

		for (e = 0; e < sizeof(sig_tags) / sizeof(sig_tags[0]); e++) {
			const struct sig_tag_entry *te = &sig_tags[e];

			if (strlen(te->name) == t->name_len &&
			    memcmp(te->name, t->name, t->name_len) == 0) {
				st = te->fn(&sp, t);
				if (st != MS_OK)
					return st;
				break;
			}
		}
	}
	if (!sp.have_v || !sp.have_a || !sp.have_b || !sp.have_bh ||
	    !sp.have_d || !sp.have_h || !sp.have_s)
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "required tag missing:%s%s%s%s%s%s%s",
				    sp.have_v ? "" : " v=", sp.have_a ? "" : " a=",
				    sp.have_b ? "" : " b=", sp.have_bh ? "" : " bh=",
				    sp.have_d ? "" : " d=", sp.have_h ? "" : " h=",
				    sp.have_s ? "" : " s=");
	if (sig->alg == DKIM_ALG_UNKNOWN)
		return ms_error_set(err, MS_ERR_UNSUPPORTED,
				    "unknown algorithm a=%s", sig->alg_name);
	if (sig->identity && !sig_identity_ok(sig->identity, sig->domain))
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "i= is not within d=%s", sig->domain);
	if (sig->has_timestamp && sig->has_expire &&
	    sig->expire <= sig->timestamp)
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "x= is not after t=");
	return MS_OK;
}
