/*
 * zonefile.c - DNS answers from a file of zone lines.
 *
 * Records are kept sorted by name (binary search); every ancestor of a
 * listed name is kept in a second sorted list, so that an empty
 * non-terminal answers NODATA, not NXDOMAIN.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "ms_limits.h"
#include "numparse.h"
#include "xalloc.h"
#include "zonefile.h"

#define ZF_MAX_FILE (64 * 1024 * 1024)
#define ZF_DEFAULT_TTL 300

enum zf_kind { ZF_RR, ZF_TIMEOUT, ZF_NXDOMAIN };

struct zf_rec {
	char *name;                     /* lower case, no final dot */
	enum zf_kind kind;
	enum dnsq_type type;
	uint32_t ttl;
	size_t seq;                     /* file order, within one name */
	struct dnsq_rr rr;              /* name/txt point into owned copies */
};

struct zonefile {
	struct dnsq base;
	struct zf_rec *rec;
	size_t n, cap;
	char **names;                   /* every listed name and ancestor */
	size_t nnames, names_cap;
};

/* zf_norm - a copy of name n bytes long: lower case, no final dot;
 * NULL when it cannot be a domain name */
static char *zf_norm(const char *s, size_t n)
{
	char *d;
	size_t i;

	if (n > 1 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > MS_MAX_DOMAIN)
		return NULL;
	d = xstrndup(s, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c <= ' ' || c >= 127)
			goto bad;
		d[i] = (char)tolower(c);
	}
	return d;
bad:
	free(d);
	return NULL;
}

/* zf_word - the next blank-separated word of line [*pos, len) */
static int zf_word(const char *l, size_t len, size_t *pos, const char **w,
		   size_t *wl)
{
	size_t i = *pos;

	while (i < len && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (i == len)
		return 0;
	*w = l + i;
	while (i < len && l[i] != ' ' && l[i] != '\t')
		i++;
	*wl = (size_t)(l + i - *w);
	*pos = i;
	return 1;
}

/* zf_txt - TXT data: quoted strings joined, or the unquoted rest */
static enum ms_status zf_txt(const char *l, size_t len, size_t pos,
			     struct buf *out)
{
	while (pos < len && (l[pos] == ' ' || l[pos] == '\t'))
		pos++;
	if (pos < len && l[pos] != '"')
		return buf_append(out, l + pos, len - pos);
	while (pos < len) {
		if (l[pos] == ' ' || l[pos] == '\t') {
			pos++;
			continue;
		}
		if (l[pos] != '"')
			return MS_ERR_SYNTAX;
		for (pos++; pos < len && l[pos] != '"'; pos++) {
			unsigned char c = (unsigned char)l[pos];

			if (c == '\\' && pos + 3 < len && isdigit((unsigned char)l[pos + 1]) &&
			    isdigit((unsigned char)l[pos + 2]) &&
			    isdigit((unsigned char)l[pos + 3])) {
				unsigned v = (unsigned)(l[pos + 1] - '0') * 100 +
					     (unsigned)(l[pos + 2] - '0') * 10 +
					     (unsigned)(l[pos + 3] - '0');

				if (v > 255)
					return MS_ERR_SYNTAX;
				c = (unsigned char)v;
				pos += 3;
			} else if (c == '\\' && pos + 1 < len) {
				c = (unsigned char)l[++pos];
			}
			if (buf_putc(out, c) != MS_OK)
				return MS_ERR_LIMIT;
		}
		if (pos >= len)
			return MS_ERR_SYNTAX;   /* no closing quote */
		pos++;
	}
	return MS_OK;
}

static int zf_rec_cmp(const void *a, const void *b)
{
	const struct zf_rec *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int zf_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* zf_add_names - name and each of its ancestors into the name list */
static void zf_add_names(struct zonefile *z, const char *name)
{
	const char *p = name;

	for (;;) {
		if (z->nnames == z->names_cap) {
			z->names_cap = z->names_cap ? z->names_cap * 2 : 64;
			z->names = xrealloc(z->names,
					    z->names_cap * sizeof(*z->names));
		}
		z->names[z->nnames++] = xstrdup(p);
		p = strchr(p, '.');
		if (!p)
			break;
		p++;
	}
}

/* zf_line - one record line */
static enum ms_status zf_line(struct zonefile *z, const char *l, size_t len,
			      const char *origin, unsigned line,
			      struct ms_error *err)
{
	const char *w;
	size_t wl, pos = 0;
	struct zf_rec r;
	uint64_t num;
	char tmp[256];

	memset(&r, 0, sizeof(r));
	r.ttl = ZF_DEFAULT_TTL;
	zf_word(l, len, &pos, &w, &wl);
	r.name = zf_norm(w, wl);
	if (!r.name)
		return ms_error_set(err, MS_ERR_SYNTAX, "%s:%u: \"%.*s\" is not a domain name",
				    origin, line, (int)(wl > 80 ? 80 : wl), w);
	if (!zf_word(l, len, &pos, &w, &wl))
		goto missing;
	if (isdigit((unsigned char)*w)) {
		if (num_parse_u64((const unsigned char *)w, wl, UINT32_MAX, &num) != MS_OK) {
			free(r.name);
			return ms_error_set(err, MS_ERR_SYNTAX, "%s:%u: bad TTL \"%.*s\"",
					    origin, line, (int)(wl > 20 ? 20 : wl), w);
		}
		r.ttl = (uint32_t)num;
		if (!zf_word(l, len, &pos, &w, &wl))
			goto missing;
	}
#define IS(s) (wl == strlen(s) && strncasecmp(w, s, wl) == 0)
	if (IS("TIMEOUT") || IS("NXDOMAIN")) {
		r.kind = IS("TIMEOUT") ? ZF_TIMEOUT : ZF_NXDOMAIN;
		goto add;
	}
	r.kind = ZF_RR;
	if (IS("TXT")) {
		struct buf t;

		r.type = DNSQ_TXT;
		buf_init(&t, DNSQ_MAX_TXT);
		if (zf_txt(l, len, pos, &t) != MS_OK) {
			buf_free(&t);
			free(r.name);
			return ms_error_set(err, MS_ERR_SYNTAX,
					    "%s:%u: bad TXT data (an unclosed quote, or over %d bytes)",
					    origin, line, DNSQ_MAX_TXT);
		}
		r.rr.txt_len = t.len;
		r.rr.txt = xmalloc(t.len + 1);
		memcpy((unsigned char *)r.rr.txt, buf_str(&t), t.len + 1);
		buf_free(&t);
		goto add;
	}
	if (IS("A"))
		r.type = DNSQ_A;
	else if (IS("AAAA"))
		r.type = DNSQ_AAAA;
	else if (IS("MX"))
		r.type = DNSQ_MX;
	else if (IS("PTR"))
		r.type = DNSQ_PTR;
	else {
		free(r.name);
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "%s:%u: unknown type \"%.*s\" (A, AAAA, MX, PTR, TXT, TIMEOUT, NXDOMAIN)",
				    origin, line, (int)(wl > 20 ? 20 : wl), w);
	}
#undef IS
	if (!zf_word(l, len, &pos, &w, &wl))
		goto missing;
	if (r.type == DNSQ_MX) {
		if (num_parse_u64((const unsigned char *)w, wl, 65535, &num) != MS_OK)
			goto bad_data;
		r.rr.pref = (uint16_t)num;
		if (!zf_word(l, len, &pos, &w, &wl))
			goto missing;
	}
	if (r.type == DNSQ_MX || r.type == DNSQ_PTR) {
		r.rr.name = zf_norm(w, wl);
		if (!r.rr.name)
			goto bad_data;
	} else {
		if (wl >= sizeof(tmp))
			goto bad_data;
		memcpy(tmp, w, wl);
		tmp[wl] = 0;
		if (inet_pton(r.type == DNSQ_A ? AF_INET : AF_INET6, tmp,
			      r.rr.addr) != 1)
			goto bad_data;
	}
	if (zf_word(l, len, &pos, &w, &wl)) {
		free((char *)r.rr.name);
		goto bad_data;
	}
add:
	if (z->n == z->cap) {
		z->cap = z->cap ? z->cap * 2 : 64;
		z->rec = xrealloc(z->rec, z->cap * sizeof(*z->rec));
	}
	r.seq = z->n;
	z->rec[z->n++] = r;
	zf_add_names(z, r.name);
	return MS_OK;
missing:
	free(r.name);
	return ms_error_set(err, MS_ERR_SYNTAX, "%s:%u: expected NAME [TTL] TYPE DATA",
			    origin, line);
bad_data:
	free(r.name);
	return ms_error_set(err, MS_ERR_SYNTAX, "%s:%u: bad %s data",
			    origin, line, dnsq_type_str(r.type));
}

/* zf_find - the first record of name, or NULL */
static const struct zf_rec *zf_find(const struct zonefile *z, const char *name,
				    size_t *count)
{
	size_t lo = 0, hi = z->n, first;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(z->rec[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < z->n && strcmp(z->rec[lo].name, name) == 0)
		lo++;
	*count = lo - first;
	return *count ? &z->rec[first] : NULL;
}

/* zf_lookup - the records of type t at name */
static void zf_lookup(struct dnsq *q, const char *qname, enum dnsq_type t,
		      uint64_t deadline_ms, struct arena *a,
		      struct dnsq_answer *ans)
{
	struct zonefile *z = (struct zonefile *)q;
	const struct zf_rec *r;
	char *name = zf_norm(qname, strlen(qname));
	size_t i, n = 0, want = 0;

	(void)deadline_ms;
	ans->ttl = ZF_DEFAULT_TTL;
	if (!name) {
		ans->status = DNSQ_NXDOMAIN;
		return;
	}
	r = zf_find(z, name, &n);
	for (i = 0; i < n; i++) {
		if (r[i].kind == ZF_TIMEOUT) {
			ans->status = DNSQ_TEMPFAIL;
			ans->reason = "DNS timed out (zone file: TIMEOUT)";
			goto out;
		}
		if (r[i].kind == ZF_NXDOMAIN) {
			ans->status = DNSQ_NXDOMAIN;
			goto out;
		}
		want += r[i].type == t;
	}
	if (want == 0) {
		const char *key = name;

		ans->status = z->nnames && bsearch(&key, z->names, z->nnames,
						   sizeof(*z->names), zf_str_cmp)
			      ? DNSQ_NODATA : DNSQ_NXDOMAIN;
		goto out;
	}
	ans->status = DNSQ_OK;
	ans->rr = arena_alloc(a, (want < DNSQ_MAX_RRS ? want : DNSQ_MAX_RRS) *
				 sizeof(*ans->rr));
	for (i = 0; i < n; i++) {
		if (r[i].type != t)
			continue;
		if (ans->n == DNSQ_MAX_RRS) {
			ans->dropped++;
			continue;
		}
		if (ans->n == 0 || r[i].ttl < ans->ttl)
			ans->ttl = r[i].ttl;
		ans->rr[ans->n++] = r[i].rr;
	}
out:
	free(name);
}

static void zf_destroy(struct dnsq *q)
{
	struct zonefile *z = (struct zonefile *)q;
	size_t i;

	for (i = 0; i < z->n; i++) {
		free(z->rec[i].name);
		free((char *)z->rec[i].rr.name);
		free((unsigned char *)z->rec[i].rr.txt);
	}
	for (i = 0; i < z->nnames; i++)
		free(z->names[i]);
	free(z->rec);
	free(z->names);
	free(z);
}

static const struct dnsq_ops zf_ops = { zf_lookup, zf_destroy };

/* zonefile_parse - the source from bytes */
struct dnsq *zonefile_parse(const unsigned char *p, size_t len,
			    const char *origin, struct ms_error *err)
{
	struct zonefile *z = xcalloc(1, sizeof(*z));
	unsigned line = 0;
	size_t pos = 0;

	z->base.ops = &zf_ops;
	while (pos < len) {
		const unsigned char *nl = memchr(p + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - p) : len, s = pos, e = end;

		line++;
		pos = nl ? end + 1 : len;
		while (e > s && (p[e - 1] == '\r' || p[e - 1] == ' ' || p[e - 1] == '\t'))
			e--;
		while (s < e && (p[s] == ' ' || p[s] == '\t'))
			s++;
		if (s == e || p[s] == '#' || p[s] == ';')
			continue;
		if (memchr(p + s, 0, e - s)) {
			ms_error_set(err, MS_ERR_SYNTAX, "%s:%u: NUL byte", origin, line);
			goto fail;
		}
		if (zf_line(z, (const char *)p + s, e - s, origin, line, err) != MS_OK)
			goto fail;
	}
	/* sorted by name, in file order within a name */
	if (z->n)
		qsort(z->rec, z->n, sizeof(*z->rec), zf_rec_cmp);
	if (z->nnames)
		qsort(z->names, z->nnames, sizeof(*z->names), zf_str_cmp);
	return &z->base;
fail:
	zf_destroy(&z->base);
	return NULL;
}

/* zonefile_load - the source from a file */
struct dnsq *zonefile_load(const char *path, struct ms_error *err)
{
	struct buf data;
	struct dnsq *q = NULL;

	buf_init(&data, ZF_MAX_FILE);
	if (buf_load_file(&data, path, err) == MS_OK)
		q = zonefile_parse(data.data, data.len, path, err);
	buf_free(&data);
	return q;
}
