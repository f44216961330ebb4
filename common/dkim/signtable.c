/*
 * signtable.c - the signing table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "crypto.h"
#include "dkim_sig.h"
#include "domainlist.h"
#include "signtable.h"
#include "xalloc.h"

struct signtable {
	struct signtable_entry *e;
	size_t n;
	size_t cap;
};

/* signtable_fields - the fields of one line */
size_t signtable_fields(const char *line, size_t len,
			struct signtable_field *f, size_t n)
{
	const char *p = line, *end;
	const char *hash = memchr(line, '#', len);
	size_t nf = 0;

	end = hash ? hash : line + len;
	for (;;) {
		const char *start;

		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p == end)
			return nf;
		start = p;
		while (p < end && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (nf < n) {
			f[nf].p = start;
			f[nf].len = (size_t)(p - start);
		}
		nf++;
	}
}

/* st_line - one line (len bytes, no newline) into the table */
static enum ms_status st_line(struct signtable *st, const char *line,
			      size_t len, const char *origin, unsigned lineno,
			      struct ms_error *err)
{
	struct signtable_field f[3];
	struct signtable_entry *e;
	struct ms_error kerr;
	EVP_PKEY *pkey = NULL;
	const char *dom;
	size_t nf, dlen;
	char *keyfile;

	nf = signtable_fields(line, len, f, 3);
	if (nf == 0)
		return MS_OK;
	if (nf != 3)
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s:%u: expected DOMAIN SELECTOR KEYFILE",
				    origin, lineno);
	dom = f[0].p[0] == '.' ? f[0].p + 1 : f[0].p;
	dlen = f[0].len - (size_t)(dom - f[0].p);
	if (!dkim_domain_valid(dom, dlen) ||
	    !dkim_domain_valid(f[1].p, f[1].len))
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s:%u: bad domain or selector", origin, lineno);
	keyfile = xstrndup(f[2].p, f[2].len);
	if (crypto_load_private_pem(keyfile, &pkey, &kerr) != MS_OK) {
		free(keyfile);
		return ms_error_set(err, kerr.code, "%s:%u: %s", origin, lineno,
				    kerr.msg);
	}
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 8;
		st->e = xrealloc(st->e, st->cap * sizeof(*st->e));
	}
	e = &st->e[st->n++];
	e->pattern = xstrndup(f[0].p, f[0].len);
	e->domain = xstrndup(dom, dlen);
	e->selector = xstrndup(f[1].p, f[1].len);
	e->keyfile = keyfile;
	e->pkey = pkey;
	return MS_OK;
}

static int st_cmp(const void *a, const void *b)
{
	const struct signtable_entry *x = a, *y = b;

	return strcasecmp(x->pattern, y->pattern);
}

/* signtable_parse - the table from text */
struct signtable *signtable_parse(const char *text, const char *origin,
				  struct ms_error *err)
{
	struct signtable *st = xcalloc(1, sizeof(*st));
	const char *line = text, *next;
	unsigned lineno = 0;

	for (; line; line = next) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		next = nl ? nl + 1 : NULL;
		lineno++;
		if (st_line(st, line, len, origin, lineno, err) != MS_OK) {
			signtable_free(st);
			return NULL;
		}
	}
	/* the lines of one pattern side by side; their order within the
	 * group does not matter, since every line of it signs */
	if (st->n > 1)
		qsort(st->e, st->n, sizeof(*st->e), st_cmp);
	return st;
}

/* signtable_load - read path and every key it names */
struct signtable *signtable_load(const char *path, struct ms_error *err)
{
	struct signtable *st = NULL;
	struct buf data;

	buf_init(&data, SIGNTABLE_MAX_FILE);
	if (buf_load_file(&data, path, err) == MS_OK) {
		if (memchr(buf_str(&data), 0, data.len))
			ms_error_set(err, MS_ERR_USAGE, "%s: NUL byte", path);
		else
			st = signtable_parse(buf_str(&data), path, err);
	}
	buf_free(&data);
	return st;
}

/* signtable_entries - every line of the table */
const struct signtable_entry *signtable_entries(const struct signtable *st,
						size_t *n)
{
	*n = st->n;
	return st->e;
}

/* signtable_free - release the table and its keys */
void signtable_free(struct signtable *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->n; i++) {
		free((char *)st->e[i].pattern);
		free((char *)st->e[i].domain);
		free((char *)st->e[i].selector);
		free((char *)st->e[i].keyfile);
		crypto_pkey_free(st->e[i].pkey);
	}
	free(st->e);
	free(st);
}

/* signtable_lookup - the entries for mail from domain */
size_t signtable_lookup(const struct signtable *st, const char *domain,
			const struct signtable_entry **first)
{
	size_t i, best = 0, weight = 0, n = 0;

	*first = NULL;
	for (i = 0; i < st->n; i++) {
		size_t w = domain_match_weight(st->e[i].pattern, domain);

		if (w > weight) {
			best = i;
			weight = w;
		}
	}
	if (weight == 0)
		return 0;
	/* every line of that pattern (they are adjacent after sorting) */
	while (best > 0 && strcasecmp(st->e[best - 1].pattern, st->e[best].pattern) == 0)
		best--;
	for (i = best; i < st->n && strcasecmp(st->e[i].pattern, st->e[best].pattern) == 0; i++)
		n++;
	*first = &st->e[best];
	return n;
}
