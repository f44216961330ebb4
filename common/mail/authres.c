/*
 * authres.c - the Authentication-Results writer (RFC 8601, RFC 6008).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "cfws.h"

/* ar_token_char - may c appear in a MIME token (RFC 2045)? */
static int ar_token_char(unsigned char c)
{
	return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?=", c);
}

/* ar_is_token - a MIME token: no space, CTL or tspecial */
static int ar_is_token(const char *v)
{
	if (!*v)
		return 0;
	for (; *v; v++)
		if (!ar_token_char((unsigned char)*v))
			return 0;
	return 1;
}

/* ar_quoted - a quoted-string; control bytes are dropped */
static enum ms_status ar_quoted(struct buf *out, const char *v)
{
	enum ms_status st = buf_putc(out, '"');

	for (; *v && st == MS_OK; v++) {
		unsigned char c = (unsigned char)*v;

		if (c < 32 || c == 127)
			continue;
		if (c == '"' || c == '\\')
			st = buf_putc(out, '\\');
		if (st == MS_OK)
			st = buf_putc(out, c);
	}
	return st == MS_OK ? buf_putc(out, '"') : st;
}

/* authres_append_value - a property value, quoted if it must be */
enum ms_status authres_append_value(struct buf *out, const char *v)
{
	return ar_is_token(v) ? buf_puts(out, v) : ar_quoted(out, v);
}

static enum ms_status ar_prop(struct buf *out, const char *name,
			      const char *v)
{
	enum ms_status st;

	if (!v || !*v)
		return MS_OK;
	st = buf_printf(out, " %s=", name);
	return st == MS_OK ? authres_append_value(out, v) : st;
}

/* ar_is_mailbox - local-part@domain of dot-atom characters: RFC 8601's
 * pvalue takes it unquoted */
static int ar_is_mailbox(const char *v)
{
	const char *at = strchr(v, '@');
	size_t i;

	if (!at || at == v || !at[1] || strchr(at + 1, '@'))
		return 0;
	for (i = 0; v[i]; i++) {
		unsigned char c = (unsigned char)v[i];

		if (!(c > 32 && c < 127 && (isalnum(c) ||
					    strchr("!#$%&'*+/=?^_`{|}~.-@", c))))
			return 0;
	}
	return 1;
}

/* ar_method - one resinfo of another method */
static enum ms_status ar_method(struct buf *out, const struct authres_method *m)
{
	enum ms_status st = buf_printf(out, ";\r\n\t%s=%s", m->method, m->result);

	if (st == MS_OK && m->reason) {
		st = buf_puts(out, " reason=");
		if (st == MS_OK)
			st = ar_quoted(out, m->reason);
	}
	if (st == MS_OK && m->prop && m->value && *m->value) {
		st = buf_printf(out, " %s=", m->prop);
		if (st == MS_OK)
			st = ar_is_mailbox(m->value) ? buf_puts(out, m->value)
						     : authres_append_value(out, m->value);
	}
	if (st == MS_OK && m->prop2 && m->value2 && *m->value2) {
		st = buf_printf(out, " %s=", m->prop2);
		if (st == MS_OK)
			st = authres_append_value(out, m->value2);
	}
	return st;
}

/* authres_format - append the whole field, CRLF-terminated, to out */
enum ms_status authres_format(const char *authserv_id,
			      const struct dkim_sig_result *res, size_t n,
			      struct buf *out)
{
	return authres_format_with(authserv_id, res, n, NULL, 0, out);
}

/* authres_format_with - the same with other methods' results */
enum ms_status authres_format_with(const char *authserv_id,
				   const struct dkim_sig_result *res, size_t n,
				   const struct authres_method *more,
				   size_t nmore, struct buf *out)
{
	enum ms_status st;
	size_t i, start = out->len;

	st = buf_puts(out, "Authentication-Results: ");
	if (st == MS_OK)
		st = authres_append_value(out, authserv_id);
	if (st == MS_OK && n == 0)
		st = buf_puts(out, ";\r\n\tdkim=none");
	for (i = 0; i < n && st == MS_OK; i++) {
		const struct dkim_sig_result *r = &res[i];

		st = buf_printf(out, ";\r\n\tdkim=%s", dkim_result_str(r->result));
		if (st == MS_OK && r->reason) {
			st = buf_puts(out, " reason=");
			if (st == MS_OK)
				st = ar_quoted(out, r->reason);
		}
		if (st == MS_OK)
			st = ar_prop(out, "header.d", r->domain);
		if (st == MS_OK)
			st = ar_prop(out, "header.i", r->identity);
		if (st == MS_OK)
			st = ar_prop(out, "header.s", r->selector);
		if (st == MS_OK)
			st = ar_prop(out, "header.a", r->alg);
		if (st == MS_OK)
			st = ar_prop(out, "header.b", r->b_prefix);
	}
	for (i = 0; i < nmore && st == MS_OK; i++)
		st = ar_method(out, &more[i]);
	if (st == MS_OK)
		st = buf_puts(out, "\r\n");
	if (st != MS_OK)
		buf_truncate(out, start);
	return st;
}

/* authres_parse_id - the authserv-id of a field value */
enum ms_status authres_parse_id(const unsigned char *p, size_t len,
				struct buf *out)
{
	enum ms_status st = MS_OK;
	size_t i = cfws_skip(p, len, 0, NULL);

	buf_reset(out);
	if (i < len && p[i] == '"') {
		for (i++; i < len && p[i] != '"' && st == MS_OK; i++) {
			if (p[i] == '\\' && ++i == len)
				break;
			if (p[i] == '\r' || p[i] == '\n')
				continue;       /* a fold inside the quotes */
			st = buf_putc(out, p[i]);
		}
		if (st == MS_OK && i >= len)
			st = MS_ERR_SYNTAX;     /* no closing quote */
	} else {
		size_t start = i;

		while (i < len && ar_token_char(p[i]))
			i++;
		st = buf_append(out, p + start, i - start);
	}
	if (st == MS_OK && out->len == 0)
		st = MS_ERR_SYNTAX;
	if (st != MS_OK)
		buf_reset(out);
	return st;
}

/* ar_id_span - the significant part of an authserv-id: no white
 * space around it, and no final dot (the DNS root) */
static void ar_id_span(const char *s, size_t *off, size_t *n)
{
	size_t b = 0, e = strlen(s);

	while (b < e && (s[b] == ' ' || s[b] == '\t'))
		b++;
	while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	if (e > b + 1 && s[e - 1] == '.')
		e--;
	*off = b;
	*n = e - b;
}

/* authres_id_eq - do two authserv-ids name the same server? */
int authres_id_eq(const char *a, const char *b)
{
	size_t ao, an, bo, bn;

	ar_id_span(a, &ao, &an);
	ar_id_span(b, &bo, &bn);
	return an == bn && an > 0 && strncasecmp(a + ao, b + bo, an) == 0;
}

/* ar_name_char - may c be part of a host name next to an occurrence? */
static int ar_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* ar_mentions - does name occur in p as a whole name (not inside a
 * longer one: no name character or dot before it, no name character
 * after it, nor a dot followed by one)? */
static int ar_mentions(const unsigned char *p, size_t len, const char *id)
{
	size_t io, n, i;

	ar_id_span(id, &io, &n);
	if (n == 0 || n > len)
		return 0;
	for (i = 0; i + n <= len; i++) {
		size_t e = i + n;

		if (strncasecmp((const char *)p + i, id + io, n) != 0)
			continue;
		if (i > 0 && (ar_name_char(p[i - 1]) || p[i - 1] == '.'))
			continue;
		if (e < len && ar_name_char(p[e]))
			continue;
		if (e + 1 < len && p[e] == '.' && ar_name_char(p[e + 1]))
			continue;
		return 1;
	}
	return 0;
}

/* authres_claims_id - does the field claim authserv-id id? */
int authres_claims_id(const unsigned char *p, size_t len, const char *id,
		      struct buf *scratch)
{
	if (authres_parse_id(p, len, scratch) == MS_OK)
		return authres_id_eq(buf_str(scratch), id);
	return ar_mentions(p, len, id);
}
