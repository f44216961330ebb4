/*
 * spfmacro.h - SPF macro strings (RFC 7208 section 7): syntax check and
 * expansion.
 *
 *   %{s} sender   %{l} its local part   %{o} its domain   %{d} the
 *   domain being checked   %{i} the client address (dotted; IPv6 as 32
 *   dot-separated nibbles)   %{p} its validated name (asked of the
 *   caller, lazily)   %{v} "in-addr" or "ip6"   %{h} the HELO name;
 *   only in explanations: %{c} the address as text, %{r} this host,
 *   %{t} the time.  Transformers: a non-zero count of right-hand parts
 *   and 'r' (reverse); delimiters . - + , / _ = (default '.'); parts
 *   are joined with '.'.  An upper-case letter URL-escapes its value.
 *   %% %_ %- are '%', ' ' and "%20".
 *
 * The parser never writes to its input.  Errors (MS_ERR_SYNTAX, with a
 * message) are permerrors of the record that holds the string.
 */
#ifndef MAILSEAL_SPFMACRO_H
#define MAILSEAL_SPFMACRO_H

#include <stddef.h>
#include "buf.h"
#include "status.h"

struct spf_macro_ctx {
	const char *s, *l, *o, *d, *i, *v, *h, *c, *r, *t;
	/* p - the validated name of the client (%{p}); NULL: "unknown" */
	const char *(*p)(void *arg);
	void *arg;
};

/* spf_macro_check - is p[0..len) a macro-string (explanation: an
 * explanation-string, where c, r, t and spaces are allowed)? */
enum ms_status spf_macro_check(const char *p, size_t len, int explanation,
			       struct ms_error *err);
/* spf_macro_expand - append the expansion of p[0..len) to out */
enum ms_status spf_macro_expand(const char *p, size_t len,
				const struct spf_macro_ctx *ctx,
				int explanation, struct buf *out,
				struct ms_error *err);
/* spf_domain_spec_check - a macro-string that ends as a domain-spec
 * must: with a macro, or with '.' and a top label ('.' optional at the
 * very end) */
enum ms_status spf_domain_spec_check(const char *p, size_t len,
				     struct ms_error *err);
/* spf_domain_trim - an expanded domain past 253 characters loses
 * labels on its left until it fits (section 7.3); returns where the
 * name now starts in s */
const char *spf_domain_trim(const char *s);

#endif
