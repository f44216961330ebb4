/*
 * spfrecord.c - the SPF record parser: a table of mechanisms, one
 * function per argument form.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "spfmacro.h"
#include "spfrecord.h"

/* what a mechanism takes after its name */
enum spf_arg {
	ARG_NONE,                       /* all */
	ARG_DOMAIN,                     /* include, exists: ":" domain-spec */
	ARG_OPT_DOMAIN_CIDR,            /* a, mx: [":" domain-spec] [cidr] */
	ARG_OPT_DOMAIN,                 /* ptr: [":" domain-spec] */
	ARG_IP4,
	ARG_IP6,
};

static const struct {
	const char *name;
	enum spf_mech mech;
	enum spf_arg arg;
} spf_mechs[] = {
	{ "all", SPF_M_ALL, ARG_NONE },
	{ "include", SPF_M_INCLUDE, ARG_DOMAIN },
	{ "a", SPF_M_A, ARG_OPT_DOMAIN_CIDR },
	{ "mx", SPF_M_MX, ARG_OPT_DOMAIN_CIDR },
	{ "ptr", SPF_M_PTR, ARG_OPT_DOMAIN },
	{ "ip4", SPF_M_IP4, ARG_IP4 },
	{ "ip6", SPF_M_IP6, ARG_IP6 },
	{ "exists", SPF_M_EXISTS, ARG_DOMAIN },
};

/* spf_mech_str - "all", "include", ... */
const char *spf_mech_str(enum spf_mech m)
{
	size_t i;

	for (i = 0; i < sizeof(spf_mechs) / sizeof(spf_mechs[0]); i++)
		if (spf_mechs[i].mech == m)
			return spf_mechs[i].name;
	return "?";
}

/* spf_record_is - "v=spf1" then a space or the end */
int spf_record_is(const unsigned char *p, size_t len)
{
	return len >= 6 && strncasecmp((const char *)p, "v=spf1", 6) == 0 &&
	       (len == 6 || p[6] == ' ');
}

/* sr_cidr - "/N" at p[0..n), 0 <= N <= max, no leading zero */
static int sr_cidr(const char *p, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (n < 2 || p[0] != '/' || n > 4 || (n > 2 && p[1] == '0'))
		return -1;
	for (i = 1; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* sr_dual_cidr - a trailing [ "/" N4 ] [ "//" N6 ] of t[0..*n): takes
 * it off *n */
static int sr_dual_cidr(const char *t, size_t *n, struct spf_term *term)
{
	size_t e = *n, s;

	/* "//N6" at the end */
	for (s = e; s > 0 && isdigit((unsigned char)t[s - 1]); s--)
		;
	if (s >= 2 && s < e && t[s - 1] == '/' && t[s - 2] == '/') {
		if (sr_cidr(t + s - 1, e - s + 1, 128, &term->cidr6) != 0)
			return -1;
		e = s - 2;
	}
	/* "/N4" before it */
	for (s = e; s > 0 && isdigit((unsigned char)t[s - 1]); s--)
		;
	if (s >= 1 && s < e && t[s - 1] == '/') {
		if (sr_cidr(t + s - 1, e - s + 1, 32, &term->cidr4) != 0)
			return -1;
		e = s - 1;
	}
	*n = e;
	return 0;
}

/* sr_ip4 - dotted quad, each number without leading zero */
static int sr_ip4(const char *p, size_t n, unsigned char out[4])
{
	char tmp[16];
	size_t i;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)p[i]) && p[i] != '.')
			return -1;
	for (i = 0; i + 1 < n; i++)
		if ((i == 0 || p[i - 1] == '.') && p[i] == '0' &&
		    isdigit((unsigned char)p[i + 1]))
			return -1;
	memcpy(tmp, p, n);
	tmp[n] = 0;
	return inet_pton(AF_INET, tmp, out) == 1 ? 0 : -1;
}

/* sr_ip6 - an IPv6 address (the forms inet_pton reads) */
static int sr_ip6(const char *p, size_t n, unsigned char out[16])
{
	char tmp[64];

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, p, n);
	tmp[n] = 0;
	return inet_pton(AF_INET6, tmp, out) == 1 ? 0 : -1;
}

/* sr_net - ip4/ip6 network with an optional prefix length */
static enum ms_status sr_net(struct spf_term *term, const char *a, size_t n,
			     struct ms_error *err)
{
	const char *slash = memchr(a, '/', n);
	size_t an = slash ? (size_t)(slash - a) : n;
	int v6 = term->mech == SPF_M_IP6;

	if ((v6 ? sr_ip6(a, an, term->net) : sr_ip4(a, an, term->net)) != 0)
		return ms_error_set(err, MS_ERR_SYNTAX, "\"%.*s\" is not an %s address",
				    (int)(an > 60 ? 60 : an), a, v6 ? "IPv6" : "IPv4");
	if (slash && sr_cidr(slash, n - an, v6 ? 128 : 32,
			     v6 ? &term->cidr6 : &term->cidr4) != 0)
		return ms_error_set(err, MS_ERR_SYNTAX, "bad prefix length \"%.*s\"",
				    (int)((n - an) > 20 ? 20 : n - an), slash);
	return MS_OK;
}

/* sr_directive - [qualifier] mechanism [arguments] */
static enum ms_status sr_directive(const char *t, size_t n,
				   struct spf_term *term, struct ms_error *err)
{
	size_t i, nl, k;

	memset(term, 0, sizeof(*term));
	term->text = t;
	term->text_len = n;
	term->qualifier = '+';
	term->cidr4 = 32;
	term->cidr6 = 128;
	if (n && strchr("+-~?", t[0])) {
		term->qualifier = t[0];
		t++;
		n--;
	}
	for (nl = 0; nl < n && t[nl] != ':' && t[nl] != '/'; nl++)
		;
	for (k = 0; k < sizeof(spf_mechs) / sizeof(spf_mechs[0]); k++)
		if (strlen(spf_mechs[k].name) == nl &&
		    strncasecmp(spf_mechs[k].name, t, nl) == 0)
			break;
	if (k == sizeof(spf_mechs) / sizeof(spf_mechs[0]))
		return ms_error_set(err, MS_ERR_SYNTAX, "unknown mechanism \"%.*s\"",
				    (int)(nl > 40 ? 40 : nl), t);
	term->mech = spf_mechs[k].mech;
	i = nl;
	switch (spf_mechs[k].arg) {
	case ARG_NONE:
		if (i != n)
			goto bad_arg;
		return MS_OK;
	case ARG_DOMAIN:
		if (i == n || t[i] != ':')
			return ms_error_set(err, MS_ERR_SYNTAX, "%s needs \":domain\"",
					    spf_mechs[k].name);
		term->spec = t + i + 1;
		term->spec_len = n - i - 1;
		break;
	case ARG_OPT_DOMAIN_CIDR:
		if (sr_dual_cidr(t, &n, term) != 0)
			return ms_error_set(err, MS_ERR_SYNTAX, "bad prefix length in \"%.*s\"",
					    (int)(term->text_len > 80 ? 80 : term->text_len),
					    term->text);
		/* fall through */
	case ARG_OPT_DOMAIN:
		if (i == n)
			return MS_OK;
		if (t[i] != ':')
			goto bad_arg;
		term->spec = t + i + 1;
		term->spec_len = n - i - 1;
		break;
	case ARG_IP4:
	case ARG_IP6:
		if (i == n || t[i] != ':')
			goto bad_arg;
		return sr_net(term, t + i + 1, n - i - 1, err);
	}
	return spf_domain_spec_check(term->spec, term->spec_len, err);
bad_arg:
	return ms_error_set(err, MS_ERR_SYNTAX, "bad arguments in \"%.*s\"",
			    (int)(term->text_len > 80 ? 80 : term->text_len),
			    term->text);
}

/* sr_modifier_name - the length of a modifier's name (RFC 7208's name
 * rule) if t is one ("name=..."), else 0 */
static size_t sr_modifier_name(const char *t, size_t n)
{
	size_t i;

	if (n == 0 || !isalpha((unsigned char)t[0]))
		return 0;
	for (i = 1; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c == '=')
			return i;
		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return 0;
	}
	return 0;
}

/* sr_modifier - redirect=, exp= or an unknown one */
static enum ms_status sr_modifier(struct spf_record *rec, const char *t,
				  size_t n, size_t nl, struct ms_error *err)
{
	const char *v = t + nl + 1;
	size_t vl = n - nl - 1;
	const char **slot = NULL;
	size_t *slot_len = NULL;

	if (nl == 8 && strncasecmp(t, "redirect", 8) == 0) {
		slot = &rec->redirect;
		slot_len = &rec->redirect_len;
	} else if (nl == 3 && strncasecmp(t, "exp", 3) == 0) {
		slot = &rec->exp;
		slot_len = &rec->exp_len;
	}
	if (!slot)              /* unknown: ignored, if well-formed */
		return spf_macro_check(v, vl, 0, err);
	if (*slot)
		return ms_error_set(err, MS_ERR_SYNTAX, "%.*s= appears twice",
				    (int)nl, t);
	*slot = v;
	*slot_len = vl;
	return spf_domain_spec_check(v, vl, err);
}

/* spf_record_parse - p[0..len) into rec */
enum ms_status spf_record_parse(const char *p, size_t len,
				struct spf_record *rec, struct ms_error *err)
{
	size_t i;

	rec->nterms = 0;
	rec->redirect = rec->exp = NULL;
	rec->redirect_len = rec->exp_len = 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			return ms_error_set(err, MS_ERR_SYNTAX,
					    "the record has a byte that is not printable ASCII (0x%02x)",
					    (unsigned char)p[i]);
	if (!spf_record_is((const unsigned char *)p, len))
		return ms_error_set(err, MS_ERR_SYNTAX, "not a v=spf1 record");
	i = 6;
	while (i < len) {
		size_t s, n, nl;
		enum ms_status st;

		while (i < len && p[i] == ' ')
			i++;
		if (i == len)
			break;
		for (s = i; i < len && p[i] != ' '; i++)
			;
		n = i - s;
		nl = sr_modifier_name(p + s, n);
		if (nl) {
			st = sr_modifier(rec, p + s, n, nl, err);
		} else {
			if (rec->nterms == SPF_MAX_TERMS)
				return ms_error_set(err, MS_ERR_SYNTAX,
						    "more than %d terms", SPF_MAX_TERMS);
			st = sr_directive(p + s, n, &rec->term[rec->nterms], err);
			if (st == MS_OK)
				rec->nterms++;
		}
		if (st != MS_OK)
			return st;
	}
	return MS_OK;
}
