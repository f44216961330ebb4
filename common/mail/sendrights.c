/*
 * sendrights.c - the sending_rights table (sendrights.h says what a
 * line means).
 */
#include <stdlib.h>
#include <string.h>

#include "domainlist.h"
#include "linetable.h"
#include "netlist.h"
#include "ms_limits.h"
#include "sendrights.h"
#include "xalloc.h"

#define SENDRIGHTS_MAX_FILE (16 * 1024 * 1024)

struct sr_line {
	char *identity;                 /* as written: exact, *@dom, *, <local>,
					 * [ADDR] */
	struct netlist *client;         /* [ADDR/LEN]: the SMTP clients; NULL
					 * for an identity line */
	char **from;                    /* addresses, domains, .domains */
	size_t nfrom;
};

struct sendrights {
	struct sr_line *l;
	size_t n, cap;
};

static int sr_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* sr_caseeq - ASCII letter case ignored (no locale) */
static int sr_caseeq(const char *a, const char *b)
{
	for (; *a && sr_lower((unsigned char)*a) == sr_lower((unsigned char)*b);
	     a++, b++)
		;
	return *a == *b;
}

/* sr_domain_ok - shaped like a domain: letters, digits, '-', '_',
 * dots between non-empty labels */
static int sr_domain_ok(const char *d)
{
	size_t label = 0, len = strlen(d);

	if (len == 0 || len > MS_MAX_DOMAIN)
		return 0;
	for (; *d; d++) {
		unsigned char c = (unsigned char)*d;

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0;
}

/* sr_from_ok - an address (local@domain), a domain or a .domain */
static int sr_from_ok(const char *t)
{
	const char *at = strrchr(t, '@');

	if (at)
		return at > t && sr_domain_ok(at + 1);
	return sr_domain_ok(t[0] == '.' ? t + 1 : t);
}

/* sr_identity_ok - exact (no spaces: the tokenizer saw to it), *@dom,
 * * or <local> */
static int sr_identity_ok(const char *t)
{
	if (t[0] == '*')
		return t[1] == 0 || (t[1] == '@' && sr_domain_ok(t + 2));
	return 1;
}

void sendrights_free(struct sendrights *r)
{
	size_t i, k;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->l[i].identity);
		netlist_free(r->l[i].client);
		for (k = 0; k < r->l[i].nfrom; k++)
			free(r->l[i].from[k]);
		free(r->l[i].from);
	}
	free(r->l);
	free(r);
}

/* sr_line - one line, cut from its comment */
static enum ms_status sr_line(struct sendrights *r, char *line,
			      const char *origin, unsigned lineno,
			      struct ms_error *err)
{
	struct sr_line *l;
	char *tok, *save = NULL;

	tok = strtok_r(line, " \t\r,", &save);
	if (!tok)
		return MS_OK;
	if (!sr_identity_ok(tok))
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s:%u: \"%.80s\" is not an identity (a name, *@DOMAIN, * or %s)",
				    origin, lineno, tok, SENDRIGHTS_LOCAL);
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->l = xrealloc(r->l, r->cap * sizeof(*r->l));
	}
	l = &r->l[r->n++];
	memset(l, 0, sizeof(*l));
	l->identity = xstrdup(tok);
	if (tok[0] == '[') {
		size_t n = strlen(tok);
		char *inner;
		struct ms_error nerr;

		inner = n > 2 && tok[n - 1] == ']' ? xstrndup(tok + 1, n - 2) : NULL;
		l->client = inner && !strpbrk(inner, " ,") ? netlist_parse(inner, &nerr)
			    : NULL;
		free(inner);
		if (!l->client)
			return ms_error_set(err, MS_ERR_USAGE,
					    "%s:%u: \"%.80s\" is not a client address ([ADDRESS] or [ADDRESS/LENGTH])",
					    origin, lineno, tok);
	}
	while ((tok = strtok_r(NULL, " \t\r,", &save)) != NULL) {
		if (!sr_from_ok(tok))
			return ms_error_set(err, MS_ERR_USAGE,
					    "%s:%u: \"%.80s\" is not an address, a domain or .DOMAIN",
					    origin, lineno, tok);
		l->from = xrealloc(l->from, (l->nfrom + 1) * sizeof(*l->from));
		l->from[l->nfrom++] = xstrdup(tok);
	}
	if (l->nfrom == 0)
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s:%u: %.80s has no From address or domain",
				    origin, lineno, l->identity);
	return MS_OK;
}

struct sr_ctx {
	struct sendrights *r;
	const char *origin;
};

static enum ms_status sr_line_fn(void *arg, char *line, unsigned lineno,
				 struct ms_error *err)
{
	struct sr_ctx *c = arg;

	return sr_line(c->r, line, c->origin, lineno, err);
}

/* sendrights_parse - the table from text */
struct sendrights *sendrights_parse(const char *text, const char *origin,
				    struct ms_error *err)
{
	struct sr_ctx c = { xcalloc(1, sizeof(*c.r)), origin };

	if (linetable_parse(text, sr_line_fn, &c, err) != MS_OK) {
		sendrights_free(c.r);
		return NULL;
	}
	return c.r;
}

/* sendrights_load - the table from the file at path */
struct sendrights *sendrights_load(const char *path, struct ms_error *err)
{
	struct sr_ctx c = { xcalloc(1, sizeof(*c.r)), path };

	if (linetable_load(path, SENDRIGHTS_MAX_FILE, sr_line_fn, &c,
			   err) != MS_OK) {
		sendrights_free(c.r);
		return NULL;
	}
	return c.r;
}

size_t sendrights_size(const struct sendrights *r)
{
	return r ? r->n : 0;
}

/* sr_identity_match - does line identity pattern p stand for id? */
static int sr_identity_match(const char *p, const char *id)
{
	const char *at;

	if (strcmp(p, "*") == 0)
		return strcmp(id, SENDRIGHTS_LOCAL) != 0;
	if (p[0] == '*' && p[1] == '@') {
		at = strrchr(id, '@');
		return at && at > id && sr_caseeq(at + 1, p + 2);
	}
	return strcmp(p, id) == 0;
}

/* sr_from_match - does the line's From entry e allow local@domain? */
static int sr_from_match(const char *e, const char *local,
			 const char *domain)
{
	const char *at = strrchr(e, '@');
	size_t i, n;

	if (!at)
		return domain_match(e, domain);
	n = (size_t)(at - e);
	if (strlen(local) != n || !sr_caseeq(at + 1, domain))
		return 0;
	for (i = 0; i < n; i++)
		if (sr_lower((unsigned char)e[i]) !=
		    sr_lower((unsigned char)local[i]))
			return 0;
	return 1;
}

/* sendrights_may - may identity use From local@domain? */
int sendrights_may(const struct sendrights *r, const char *identity,
		   const char *local, const char *domain)
{
	size_t i, k;

	if (!r || !identity || !*identity || !local || !domain)
		return 0;
	for (i = 0; i < r->n; i++) {
		const struct sr_line *l = &r->l[i];

		if (l->client || !sr_identity_match(l->identity, identity))
			continue;
		for (k = 0; k < l->nfrom; k++)
			if (sr_from_match(l->from[k], local, domain))
				return 1;
	}
	return 0;
}

/* sendrights_client_known - has the table a [ADDR] line for ip? */
int sendrights_client_known(const struct sendrights *r, const char *ip)
{
	size_t i;

	if (!r || !ip)
		return 0;
	for (i = 0; i < r->n; i++)
		if (r->l[i].client && netlist_match(r->l[i].client, ip))
			return 1;
	return 0;
}

/* sendrights_client_may - may the SMTP client at ip use From
 * local@domain? */
int sendrights_client_may(const struct sendrights *r, const char *ip,
			  const char *local, const char *domain)
{
	size_t i, k;

	if (!r || !ip || !local || !domain)
		return 0;
	for (i = 0; i < r->n; i++) {
		const struct sr_line *l = &r->l[i];

		if (!l->client || !netlist_match(l->client, ip))
			continue;
		for (k = 0; k < l->nfrom; k++)
			if (sr_from_match(l->from[k], local, domain))
				return 1;
	}
	return 0;
}
