/*
 * tlspolicy.c - the sending-domain TLS policy table (tlspolicy.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_sig.h"
#include "domainlist.h"
#include "linetable.h"
#include "tlspolicy.h"
#include "xalloc.h"

#define TLSPOLICY_MAX_FILE (16 * 1024 * 1024)
#define TLSPOLICY_MAX_NAMES 32
#define TLSPOLICY_MAX_PINS 16

struct tlspolicy {
	struct tlspolicy_entry *l;
	size_t n, cap;
};

static const char *const tp_modes[] = { "off", "log", "test", "require" };

const char *tls_mode_str(enum tls_mode m)
{
	return (unsigned)m < 4 ? tp_modes[m] : "?";
}

static int tp_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* tp_caseeq - ASCII letter case ignored */
static int tp_caseeq(const char *a, const char *b)
{
	for (; *a && tp_lower((unsigned char)*a) == tp_lower((unsigned char)*b);
	     a++, b++)
		;
	return *a == *b;
}

/* tp_suffix - is s a name strictly under parent (".example.com" form:
 * parent with its leading dot)? */
static int tp_under(const char *s, const char *dotparent)
{
	size_t ls = strlen(s), lp = strlen(dotparent);

	return ls > lp && tp_caseeq(s + ls - lp, dotparent);
}

int tls_name_match(const char *want, const char *cert)
{
	if (!want || !cert || !*want || !*cert)
		return 0;
	if (cert[0] == '*' && cert[1] == '.') {
		const char *dot;

		/* a wildcard stands for exactly one label */
		if (want[0] == '.')
			return tp_caseeq(want, cert + 1) || tp_under(want, cert + 1);
		dot = strchr(want, '.');
		return dot && dot > want && tp_caseeq(dot, cert + 1);
	}
	if (want[0] == '.')
		return tp_under(cert, want);
	return tp_caseeq(want, cert);
}

void tlspolicy_free(struct tlspolicy *tp)
{
	size_t i, k;

	if (!tp)
		return;
	for (i = 0; i < tp->n; i++) {
		free((char *)tp->l[i].pattern);
		for (k = 0; k < tp->l[i].nnames; k++)
			free(tp->l[i].names[k]);
		free(tp->l[i].names);
		free(tp->l[i].pins);
	}
	free(tp->l);
	free(tp);
}

/* tp_domain_ok - a DOMAIN or name= value: a domain, ".domain" allowed */
static int tp_domain_ok(const char *s)
{
	const char *d = s[0] == '.' ? s + 1 : s;

	return dkim_domain_valid(d, strlen(d));
}

/* tp_word - one word after the mode: name=HOST or pin=HEX */
static enum ms_status tp_word(struct tlspolicy_entry *e, const char *tok,
			      const char *origin, unsigned lineno,
			      struct ms_error *err)
{
	if (strncmp(tok, "name=", 5) == 0) {
		if (!tp_domain_ok(tok + 5))
			return ms_error_set(err, MS_ERR_USAGE,
					    "%s:%u: \"%.80s\" is not a host name",
					    origin, lineno, tok + 5);
		if (e->nnames == TLSPOLICY_MAX_NAMES)
			return ms_error_set(err, MS_ERR_USAGE,
					    "%s:%u: more than %d names",
					    origin, lineno, TLSPOLICY_MAX_NAMES);
		e->names = xrealloc(e->names, (e->nnames + 1) * sizeof(*e->names));
		e->names[e->nnames++] = xstrdup(tok + 5);
		return MS_OK;
	}
	if (strncmp(tok, "pin=", 4) == 0) {
		if (e->npins == TLSPOLICY_MAX_PINS)
			return ms_error_set(err, MS_ERR_USAGE,
					    "%s:%u: more than %d pins",
					    origin, lineno, TLSPOLICY_MAX_PINS);
		e->pins = xrealloc(e->pins, (e->npins + 1) * sizeof(*e->pins));
		if (tlspin_parse_hex(tok + 4, strlen(tok + 4), e->pins[e->npins]) != 0)
			return ms_error_set(err, MS_ERR_USAGE,
					    "%s:%u: \"%.80s\" is not a SHA-256 public key hash (64 hex digits)",
					    origin, lineno, tok + 4);
		e->npins++;
		return MS_OK;
	}
	return ms_error_set(err, MS_ERR_USAGE,
			    "%s:%u: \"%.80s\" is neither name=HOST nor pin=HEX",
			    origin, lineno, tok);
}

/* tp_line - one line, already cut from its comment */
static enum ms_status tp_line(struct tlspolicy *tp, char *line,
			      const char *origin, unsigned lineno,
			      struct ms_error *err)
{
	struct tlspolicy_entry *e;
	char *tok, *save = NULL;
	size_t m;

	tok = strtok_r(line, " \t\r", &save);
	if (!tok)
		return MS_OK;
	if (!tp_domain_ok(tok))
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s:%u: \"%.80s\" is not a domain", origin,
				    lineno, tok);
	if (tp->n == tp->cap) {
		tp->cap = tp->cap ? tp->cap * 2 : 16;
		tp->l = xrealloc(tp->l, tp->cap * sizeof(*tp->l));
	}
	e = &tp->l[tp->n++];
	memset(e, 0, sizeof(*e));
	e->pattern = xstrdup(tok);
	tok = strtok_r(NULL, " \t\r", &save);
	for (m = 0; tok && m < 4 && strcmp(tok, tp_modes[m]) != 0; m++)
		;
	if (!tok || m == 4)
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s:%u: %s: the mode must be off, log, test or require, not \"%.40s\"",
				    origin, lineno, e->pattern, tok ? tok : "");
	e->mode = (enum tls_mode)m;
	while ((tok = strtok_r(NULL, " \t\r", &save)) != NULL)
		if (tp_word(e, tok, origin, lineno, err) != MS_OK)
			return err->code;
	return MS_OK;
}

struct tp_ctx {
	struct tlspolicy *tp;
	const char *origin;
};

static enum ms_status tp_line_fn(void *arg, char *line, unsigned lineno,
				 struct ms_error *err)
{
	struct tp_ctx *c = arg;

	return tp_line(c->tp, line, c->origin, lineno, err);
}

struct tlspolicy *tlspolicy_parse(const char *text, const char *origin,
				  struct ms_error *err)
{
	struct tp_ctx c = { xcalloc(1, sizeof(*c.tp)), origin };

	if (linetable_parse(text, tp_line_fn, &c, err) != MS_OK) {
		tlspolicy_free(c.tp);
		return NULL;
	}
	return c.tp;
}

struct tlspolicy *tlspolicy_load(const char *path, struct ms_error *err)
{
	struct tp_ctx c = { xcalloc(1, sizeof(*c.tp)), path };

	if (linetable_load(path, TLSPOLICY_MAX_FILE, tp_line_fn, &c,
			   err) != MS_OK) {
		tlspolicy_free(c.tp);
		return NULL;
	}
	return c.tp;
}

size_t tlspolicy_size(const struct tlspolicy *tp)
{
	return tp ? tp->n : 0;
}

const struct tlspolicy_entry *tlspolicy_find(const struct tlspolicy *tp,
					     const char *domain)
{
	const struct tlspolicy_entry *best = NULL;
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

/* tp_names_ok - does a name of the certificate carry one of e's? */
static int tp_names_ok(const struct tlspolicy_entry *e,
		       const struct tls_client *c)
{
	size_t i, k;

	for (i = 0; i < e->nnames; i++)
		for (k = 0; k < c->nnames; k++)
			if (tls_name_match(e->names[i], c->names[k]))
				return 1;
	return 0;
}

/* tp_pins_ok - is the certificate's public key one of e's pins? */
static int tp_pins_ok(const struct tlspolicy_entry *e,
		      const struct tls_client *c)
{
	size_t i;

	for (i = 0; c->spki && i < e->npins; i++)
		if (memcmp(e->pins[i], c->spki, TLSPIN_LEN) == 0)
			return 1;
	return 0;
}

const char *tlspolicy_why(const struct tlspolicy_entry *e,
			  const struct tls_client *c, char *why, size_t n)
{
	if (!c->encrypted)
		snprintf(why, n, "this session is not encrypted");
	else if (!c->verified)
		snprintf(why, n, "no client certificate that verifies was presented");
	else if (e->nnames && !tp_names_ok(e, c))
		snprintf(why, n, "the client certificate (%.100s) does not carry a name of that domain's servers",
			 c->nnames ? c->names[0] : "no DNS name");
	else if (e->npins && !c->spki)
		snprintf(why, n, "the client certificate's public key hash is not known as SHA-256");
	else if (e->npins && !tp_pins_ok(e, c))
		snprintf(why, n, "the client certificate's public key is not one pinned for that domain");
	else
		return NULL;
	return why;
}
