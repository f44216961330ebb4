/*
 * tlspins.c - certificate pins per sending domain.
 */
#include <stdlib.h>
#include <string.h>

#include "dkim_sig.h"
#include "domainlist.h"
#include "linetable.h"
#include "tlspins.h"
#include "xalloc.h"

#define TLSPINS_MAX_FILE (4 * 1024 * 1024)

struct tlspin_line {
	char *pattern;
	unsigned char (*fp)[TLSPIN_LEN];
	size_t nfp;
};

struct tlspins {
	struct tlspin_line *l;
	size_t n, cap;
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* tlspin_parse_hex - 64 hex digits, colons between pairs allowed */
int tlspin_parse_hex(const char *s, size_t len, unsigned char out[TLSPIN_LEN])
{
	size_t i = 0, k = 0;

	while (k < TLSPIN_LEN) {
		int hi, lo;

		if (i + 2 > len || (hi = hexval(s[i])) < 0 ||
		    (lo = hexval(s[i + 1])) < 0)
			return -1;
		out[k++] = (unsigned char)(hi << 4 | lo);
		i += 2;
		if (k < TLSPIN_LEN && i < len && s[i] == ':')
			i++;
	}
	return i == len ? 0 : -1;
}

void tlspins_free(struct tlspins *tp)
{
	size_t i;

	if (!tp)
		return;
	for (i = 0; i < tp->n; i++) {
		free(tp->l[i].pattern);
		free(tp->l[i].fp);
	}
	free(tp->l);
	free(tp);
}

/* tp_line - one line of the file, already cut from comments */
static enum ms_status tp_line(struct tlspins *tp, char *line,
			      const char *origin, unsigned lineno,
			      struct ms_error *err)
{
	struct tlspin_line *l;
	char *tok, *save = NULL;
	const char *dom;

	tok = strtok_r(line, " \t\r", &save);
	if (!tok)
		return MS_OK;
	dom = tok[0] == '.' ? tok + 1 : tok;
	if (!dkim_domain_valid(dom, strlen(dom)))
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s:%u: \"%s\" is not a domain", origin,
				    lineno, tok);
	if (tp->n == tp->cap) {
		tp->cap = tp->cap ? tp->cap * 2 : 16;
		tp->l = xrealloc(tp->l, tp->cap * sizeof(*tp->l));
	}
	l = &tp->l[tp->n++];
	memset(l, 0, sizeof(*l));
	l->pattern = xstrdup(tok);
	while ((tok = strtok_r(NULL, " \t\r", &save)) != NULL) {
		l->fp = xrealloc(l->fp, (l->nfp + 1) * sizeof(*l->fp));
		if (tlspin_parse_hex(tok, strlen(tok), l->fp[l->nfp]) != 0)
			return ms_error_set(err, MS_ERR_USAGE,
					    "%s:%u: \"%.80s\" is not a SHA-256 fingerprint (64 hex digits)",
					    origin, lineno, tok);
		l->nfp++;
	}
	if (l->nfp == 0)
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s:%u: %s has no fingerprint", origin,
				    lineno, l->pattern);
	return MS_OK;
}

struct tp_ctx {
	struct tlspins *tp;
	const char *origin;
};

static enum ms_status tp_line_fn(void *arg, char *line, unsigned lineno,
				 struct ms_error *err)
{
	struct tp_ctx *c = arg;

	return tp_line(c->tp, line, c->origin, lineno, err);
}

/* tlspins_parse - the pins from text */
struct tlspins *tlspins_parse(const char *text, const char *origin,
			      struct ms_error *err)
{
	struct tp_ctx c = { xcalloc(1, sizeof(*c.tp)), origin };

	if (linetable_parse(text, tp_line_fn, &c, err) != MS_OK) {
		tlspins_free(c.tp);
		return NULL;
	}
	return c.tp;
}

/* tlspins_load - read path */
struct tlspins *tlspins_load(const char *path, struct ms_error *err)
{
	struct tp_ctx c = { xcalloc(1, sizeof(*c.tp)), path };

	if (linetable_load(path, TLSPINS_MAX_FILE, tp_line_fn, &c, err) != MS_OK) {
		tlspins_free(c.tp);
		return NULL;
	}
	return c.tp;
}

/* tp_find - the most specific line for domain */
static const struct tlspin_line *tp_find(const struct tlspins *tp,
					 const char *domain)
{
	const struct tlspin_line *best = NULL;
	size_t i, weight = 0;

	for (i = 0; tp && i < tp->n; i++) {
		size_t w = domain_match_weight(tp->l[i].pattern, domain);

		if (w > weight) {
			best = &tp->l[i];
			weight = w;
		}
	}
	return best;
}

/* tlspins_for - the pattern of domain's line, or NULL */
const char *tlspins_for(const struct tlspins *tp, const char *domain)
{
	const struct tlspin_line *l = tp_find(tp, domain);

	return l ? l->pattern : NULL;
}

/* tp_has - is fp (text) one of l's pins? */
static int tp_has(const struct tlspin_line *l, const char *fp)
{
	unsigned char b[TLSPIN_LEN];
	size_t i;

	if (!fp || !*fp || tlspin_parse_hex(fp, strlen(fp), b) != 0)
		return 0;
	for (i = 0; i < l->nfp; i++)
		if (memcmp(l->fp[i], b, TLSPIN_LEN) == 0)
			return 1;
	return 0;
}

/* tlspins_match - does a fingerprint match a pin of domain's line? */
int tlspins_match(const struct tlspins *tp, const char *domain,
		  const char *cert_fp, const char *pubkey_fp)
{
	const struct tlspin_line *l = tp_find(tp, domain);

	return l && (tp_has(l, cert_fp) || tp_has(l, pubkey_fp));
}
