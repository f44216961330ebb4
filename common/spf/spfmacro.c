/*
 * spfmacro.c - SPF macro strings: one scanner serves the check and the
 * expansion, so that what is accepted is exactly what can be expanded.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ms_limits.h"
#include "spfmacro.h"

#define SPF_MACRO_PARTS 128             /* parts a value is split into */

static const char spf_delims[] = ".-+,/_=";

/* sm_value - the value of macro letter c (lower case), NULL for a
 * letter that is not one */
static const char *sm_value(const struct spf_macro_ctx *ctx, char c)
{
	const char *v = NULL;

	switch (c) {
	case 's': v = ctx->s; break;
	case 'l': v = ctx->l; break;
	case 'o': v = ctx->o; break;
	case 'd': v = ctx->d; break;
	case 'i': v = ctx->i; break;
	case 'v': v = ctx->v; break;
	case 'h': v = ctx->h; break;
	case 'c': v = ctx->c; break;
	case 'r': v = ctx->r; break;
	case 't': v = ctx->t; break;
	case 'p':
		v = ctx->p ? ctx->p(ctx->arg) : NULL;
		break;
	default:
		return NULL;
	}
	return v ? v : "unknown";
}

/* sm_escape - c as it goes into a URL-escaped value (RFC 3986
 * unreserved characters stay) */
static enum ms_status sm_escape(struct buf *out, unsigned char c)
{
	if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
		return buf_putc(out, c);
	return buf_printf(out, "%%%02X", c);
}

/* sm_put - the transformed value: split on delims, keep the right-most
 * keep parts (0: all) after an optional reversal, join with '.' */
static enum ms_status sm_put(struct buf *out, const char *v, unsigned keep,
			     int reverse, const char *delims, int escape)
{
	const char *part[SPF_MACRO_PARTS];
	size_t plen[SPF_MACRO_PARTS], n = 0, i, first;
	const char *s = v;
	enum ms_status st = MS_OK;

	for (;;) {
		size_t l = strcspn(s, delims);

		if (n == SPF_MACRO_PARTS) {
			/* more parts than anyone writes: the rest is one */
			plen[n - 1] = strlen(part[n - 1]);
			break;
		}
		part[n] = s;
		plen[n++] = l;
		if (!s[l])
			break;
		s += l + 1;
	}
	if (reverse)
		for (i = 0; i < n / 2; i++) {
			const char *tp = part[i];
			size_t tl = plen[i];

			part[i] = part[n - 1 - i];
			plen[i] = plen[n - 1 - i];
			part[n - 1 - i] = tp;
			plen[n - 1 - i] = tl;
		}
	first = keep && keep < n ? n - keep : 0;
	for (i = first; i < n && st == MS_OK; i++) {
		size_t k;

		if (i > first)
			st = buf_putc(out, '.');
		for (k = 0; k < plen[i] && st == MS_OK; k++)
			st = escape ? sm_escape(out, (unsigned char)part[i][k])
				    : buf_putc(out, part[i][k]);
	}
	return st;
}

/* sm_scan - check p[0..len) and, when out is given, expand it */
static enum ms_status sm_scan(const char *p, size_t len,
			      const struct spf_macro_ctx *ctx, int explanation,
			      struct buf *out, struct ms_error *err)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)p[i];
		char letter, delims[sizeof(spf_delims)];
		unsigned keep = 0;
		int reverse = 0, upper;
		size_t nd = 0;

		if (c != '%') {
			if (c < 0x21 || c > 0x7e) {
				if (!(explanation && c == ' '))
					return ms_error_set(err, MS_ERR_SYNTAX,
							    "a character that may not appear in a macro string (0x%02x)",
							    c);
			}
			if (out && buf_putc(out, c) != MS_OK)
				return MS_ERR_LIMIT;
			i++;
			continue;
		}
		if (i + 1 >= len)
			return ms_error_set(err, MS_ERR_SYNTAX,
					    "a '%%' at the end of a macro string");
		c = (unsigned char)p[i + 1];
		if (c == '%' || c == '_' || c == '-') {
			if (out && buf_puts(out, c == '%' ? "%" : c == '_' ? " "
							   : "%20") != MS_OK)
				return MS_ERR_LIMIT;
			i += 2;
			continue;
		}
		if (c != '{')
			return ms_error_set(err, MS_ERR_SYNTAX,
					    "'%%%c' is not a macro (%%{...}, %%%%, %%_ or %%-)",
					    c >= 0x21 && c <= 0x7e ? c : '?');
		i += 2;
		if (i >= len)
			return ms_error_set(err, MS_ERR_SYNTAX, "an unclosed macro");
		letter = (char)tolower((unsigned char)p[i]);
		upper = isupper((unsigned char)p[i]);
		if (!strchr("slodipvhcrt", letter) || !p[i] ||
		    (!explanation && strchr("crt", letter)))
			return ms_error_set(err, MS_ERR_SYNTAX,
					    "%%{%c} is not a macro letter here%s",
					    isprint((unsigned char)p[i]) ? p[i] : '?',
					    !explanation && strchr("crt", letter) && p[i]
					    ? " (c, r and t are for explanations only)" : "");
		i++;
		if (i < len && isdigit((unsigned char)p[i])) {
			unsigned long v = 0;

			while (i < len && isdigit((unsigned char)p[i])) {
				if (v < 100000)
					v = v * 10 + (unsigned)(p[i] - '0');
				i++;
			}
			if (v == 0)
				return ms_error_set(err, MS_ERR_SYNTAX,
						    "a macro keeping zero parts");
			keep = v > SPF_MACRO_PARTS ? SPF_MACRO_PARTS : (unsigned)v;
		}
		if (i < len && (p[i] == 'r' || p[i] == 'R')) {
			reverse = 1;
			i++;
		}
		while (i < len && p[i] && strchr(spf_delims, p[i])) {
			if (!memchr(delims, p[i], nd))
				delims[nd++] = p[i];
			i++;
		}
		if (i >= len || p[i] != '}')
			return ms_error_set(err, MS_ERR_SYNTAX,
					    "a macro not closed by '}'");
		i++;
		if (!out)
			continue;
		if (nd == 0)
			delims[nd++] = '.';
		delims[nd] = 0;
		if (sm_put(out, sm_value(ctx, letter), keep, reverse, delims,
			   upper) != MS_OK)
			return MS_ERR_LIMIT;
	}
	return MS_OK;
}

/* spf_macro_check - is p[0..len) a macro-string? */
enum ms_status spf_macro_check(const char *p, size_t len, int explanation,
			       struct ms_error *err)
{
	return sm_scan(p, len, NULL, explanation, NULL, err);
}

/* spf_macro_expand - append the expansion of p[0..len) to out */
enum ms_status spf_macro_expand(const char *p, size_t len,
				const struct spf_macro_ctx *ctx,
				int explanation, struct buf *out,
				struct ms_error *err)
{
	enum ms_status st;

	/* checked whole first: a syntax error past the point where the
	 * output would overflow is still a syntax error (a permerror) */
	st = sm_scan(p, len, NULL, explanation, NULL, err);
	if (st == MS_OK)
		st = sm_scan(p, len, ctx, explanation, out, err);
	if (st == MS_ERR_LIMIT)
		return ms_error_set(err, MS_ERR_LIMIT, "the expansion is too long");
	return st;
}

/* sm_toplabel - RFC 7208's toplabel: letters, digits and inner
 * hyphens, not all digits */
static int sm_toplabel(const char *p, size_t n)
{
	size_t i, alpha = 0;

	if (n == 0 || n > 63 || p[0] == '-' || p[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (isalpha(c))
			alpha++;
		else if (!isdigit(c) && c != '-')
			return 0;
	}
	return alpha > 0 || memchr(p, '-', n) != NULL;
}

/* spf_domain_spec_check - a macro-string with a domain-end */
enum ms_status spf_domain_spec_check(const char *p, size_t len,
				     struct ms_error *err)
{
	enum ms_status st = spf_macro_check(p, len, 0, err);
	size_t end = len, dot;

	if (st != MS_OK)
		return st;
	if (len == 0)
		return ms_error_set(err, MS_ERR_SYNTAX, "an empty domain");
	/* a macro at the end: "}" closing one, or %% %_ %- */
	if (p[len - 1] == '}' ||
	    (len >= 2 && p[len - 2] == '%' && strchr("%_-", p[len - 1]) &&
	     (len < 3 || p[len - 3] != '%')))
		return MS_OK;
	if (p[end - 1] == '.')
		end--;
	for (dot = end; dot > 0 && p[dot - 1] != '.'; dot--)
		;
	if (dot == 0 || !sm_toplabel(p + dot, end - dot))
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "\"%.*s\" does not end in a top-level domain",
				    (int)(len > 100 ? 100 : len), p);
	return MS_OK;
}

/* spf_domain_trim - drop left labels until 253 characters fit */
const char *spf_domain_trim(const char *s)
{
	while (strlen(s) > MS_MAX_DOMAIN) {
		const char *dot = strchr(s, '.');

		if (!dot)
			break;
		s = dot + 1;
	}
	return s;
}
