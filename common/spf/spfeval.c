/*
 * spfeval.c - check_host() of RFC 7208: the record lookup and
 * selection (4.4, 4.5), term evaluation (4.6, 5), redirect and exp (6),
 * the lookup limits (4.6.4), and the two identities (2.3, 2.4).
 *
 * One struct spf_eval lives for one identity check: the client address
 * in both forms, the counters every nested check_host() shares, and
 * the record that decided the result (for exp=).  A nested check is a
 * recursive call; the lookup limit bounds its depth.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "msclock.h"
#include "netlist.h"
#include "ms_limits.h"
#include "spf.h"
#include "spfmacro.h"
#include "spfrecord.h"

#define SPF_EXP_MAX 512                 /* bytes of an explanation */

struct spf_eval {
	struct dnsq *dns;
	struct arena *a;
	const struct spf_request *rq;
	int v4;                         /* the client as IPv4 (also mapped) */
	unsigned char ip[16];           /* v4: the first 4 bytes */
	char ip_dot[80];                /* %{i} */
	char ip_text[INET6_ADDRSTRLEN]; /* %{c} */
	char now[24];                   /* %{t} */
	unsigned dns_terms;
	unsigned voids;
	/* %{p}: the client's validated names, found on first use */
	int ptr_done;
	const char *ptr_names[SPF_MAX_PTR];
	size_t nptr;
	const char *cur_domain;         /* %{d} of the check running */
	/* the record whose result stands, for exp= */
	const struct spf_record *decided;
	const char *decided_domain, *decided_sender;
	const char *reason;             /* why, for errors */
};

/* the outcome of one term */
enum spf_match { M_NO = 0, M_YES, M_ERROR };

/* spf_result_str - as Authentication-Results writes it */
const char *spf_result_str(enum spf_result r)
{
	switch (r) {
	case SPF_NONE:      return "none";
	case SPF_NEUTRAL:   return "neutral";
	case SPF_PASS:      return "pass";
	case SPF_FAIL:      return "fail";
	case SPF_SOFTFAIL:  return "softfail";
	case SPF_TEMPERROR: return "temperror";
	case SPF_PERMERROR: return "permerror";
	}
	return "permerror";
}

/* se_why - set the reason (formatted into the arena) */
static void se_why(struct spf_eval *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void se_why(struct spf_eval *e, const char *fmt, ...)
{
	char tmp[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	e->reason = arena_strdup(e->a, tmp);
}

/* spf_domain_usable - may check_host() look name up at all: printable
 * ASCII, labels of 1 to 63 bytes, at least two of them (section 4.3) */
static int spf_domain_usable(const char *d)
{
	size_t len = strlen(d), label = 0, labels = 0, i;

	if (len && d[len - 1] == '.')
		len--;
	if (len == 0 || len > MS_MAX_DOMAIN || d[0] == '[')
		return 0;       /* nothing, too long, an address literal */
	for (i = 0; i <= len; i++) {
		if (i == len || d[i] == '.') {
			if (label == 0 || label > 63)
				return 0;
			labels++;
			/* a last label of digits only is an address, never a
			 * top-level domain (192.0.2.1) */
			if (i == len && strspn(d + i - label, "0123456789") == label)
				return 0;
			label = 0;
			continue;
		}
		if ((unsigned char)d[i] <= 0x20 || (unsigned char)d[i] >= 0x7f)
			return 0;
		label++;
	}
	return labels >= 2;
}

/* se_lookup - ask the DNS, unless the caller's deadline has passed */
static void se_lookup(struct spf_eval *e, const char *name, enum dnsq_type t,
		      struct dnsq_answer *ans)
{
	if (e->rq->deadline_ms && ms_clock_ms() >= e->rq->deadline_ms) {
		memset(ans, 0, sizeof(*ans));
		ans->status = DNSQ_TEMPFAIL;
		ans->reason = "the DNS time budget is spent";
		return;
	}
	dnsq_lookup(e->dns, name, t, e->rq->deadline_ms, e->a, ans);
}

/* se_void - one more void lookup: past the limit, a permerror */
static int se_void(struct spf_eval *e, const char *name)
{
	if (++e->voids <= SPF_MAX_VOID)
		return 0;
	se_why(e, "more than %d void DNS lookups (the last: %s)", SPF_MAX_VOID,
	       name);
	return 1;
}

/* se_in_net - is the client in net/bits (v4: 4 bytes, else 16)? */
static int se_in_net(const struct spf_eval *e, const unsigned char *net,
		     int v4, unsigned bits)
{
	size_t full = bits / 8, i;
	unsigned rest = bits % 8;

	if (v4 != e->v4)
		return 0;
	for (i = 0; i < full; i++)
		if (e->ip[i] != net[i])
			return 0;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));

		if ((e->ip[full] & mask) != (net[full] & mask))
			return 0;
	}
	return 1;
}

/* se_reverse_name - the in-addr.arpa / ip6.arpa name of the client */
static void se_reverse_name(const struct spf_eval *e, char *out, size_t n)
{
	size_t i, off = 0;

	if (e->v4) {
		snprintf(out, n, "%u.%u.%u.%u.in-addr.arpa", e->ip[3], e->ip[2],
			 e->ip[1], e->ip[0]);
		return;
	}
	for (i = 16; i-- > 0 && off + 4 < n;)
		off += (size_t)snprintf(out + off, n - off, "%x.%x.",
					e->ip[i] & 15, e->ip[i] >> 4);
	snprintf(out + off, n - off, "ip6.arpa");
}

/* se_ask - look name up for a term: 1 with records, 0 without (a void
 * lookup, counted when count_void), -1 with *err set: temperror on a
 * DNS failure, permerror past the void limit */
static int se_ask(struct spf_eval *e, const char *name, enum dnsq_type t,
		  int count_void, struct dnsq_answer *ans, enum spf_result *err)
{
	se_lookup(e, name, t, ans);
	if (ans->status == DNSQ_TEMPFAIL) {
		se_why(e, "%s lookup of %s: %s", dnsq_type_str(t), name,
		       ans->reason ? ans->reason : "DNS failed");
		*err = SPF_TEMPERROR;
		return -1;
	}
	if (ans->status == DNSQ_OK)
		return 1;
	if (count_void && se_void(e, name)) {
		*err = SPF_PERMERROR;
		return -1;
	}
	return 0;
}

/* se_has_addr - does name have the client's address (A or AAAA) in
 * the network of cidr4/cidr6 bits?  As se_ask for errors. */
static enum spf_match se_has_addr(struct spf_eval *e, const char *name,
				  unsigned cidr4, unsigned cidr6,
				  int count_void, enum spf_result *err)
{
	struct dnsq_answer ans;
	size_t i;
	int r = se_ask(e, name, e->v4 ? DNSQ_A : DNSQ_AAAA, count_void, &ans,
		       err);

	if (r <= 0)
		return r < 0 ? M_ERROR : M_NO;
	for (i = 0; i < ans.n; i++)
		if (se_in_net(e, ans.rr[i].addr, e->v4, e->v4 ? cidr4 : cidr6))
			return M_YES;
	return M_NO;
}

/* se_ptr_names - the client's validated names (PTR, then forward), at
 * most SPF_MAX_PTR PTR names looked at; DNS errors skip a name */
static void se_ptr_names(struct spf_eval *e, int count_void, int *toomany)
{
	struct dnsq_answer ptr;
	enum spf_result ignored;
	char rev[80];
	size_t i;

	e->ptr_done = 1;
	se_reverse_name(e, rev, sizeof(rev));
	se_lookup(e, rev, DNSQ_PTR, &ptr);
	if (ptr.status != DNSQ_OK) {
		if (ptr.status != DNSQ_TEMPFAIL && count_void && se_void(e, rev))
			*toomany = 1;
		return;
	}
	for (i = 0; i < ptr.n && i < SPF_MAX_PTR; i++) {
		if (!ptr.rr[i].name || !spf_domain_usable(ptr.rr[i].name))
			continue;
		if (se_has_addr(e, ptr.rr[i].name, 32, 128, 0, &ignored) == M_YES)
			e->ptr_names[e->nptr++] = ptr.rr[i].name;
	}
}

/* name_within - is n the domain d or a name below it? */
static int name_within(const char *n, const char *d)
{
	size_t nl = strlen(n), dl = strlen(d);

	if (dl && d[dl - 1] == '.')
		dl--;
	if (nl && n[nl - 1] == '.')
		nl--;
	if (nl == dl)
		return strncasecmp(n, d, nl) == 0;
	return nl > dl && n[nl - dl - 1] == '.' &&
	       strncasecmp(n + nl - dl, d, dl) == 0;
}

/* se_macro_p - %{p}: a validated name of the client, one within the
 * domain being checked if there is one; "unknown" otherwise */
static const char *se_macro_p(void *arg)
{
	struct spf_eval *e = arg;
	int toomany = 0;
	size_t i;

	if (!e->ptr_done)
		se_ptr_names(e, 0, &toomany);
	for (i = 0; i < e->nptr; i++)
		if (name_within(e->ptr_names[i], e->cur_domain))
			return e->ptr_names[i];
	return e->nptr ? e->ptr_names[0] : "unknown";
}

/* se_expand - a domain-spec expanded for domain and sender (NULL and a
 * reason on a failure) */
static const char *se_expand(struct spf_eval *e, const char *spec, size_t len,
			     const char *domain, const char *sender,
			     int explanation)
{
	struct spf_macro_ctx ctx = { 0 };
	const char *at = strrchr(sender, '@');
	struct ms_error err;
	struct buf out;
	const char *r = NULL;

	ctx.s = sender;
	ctx.l = at ? arena_memdup(e->a, sender, (size_t)(at - sender)) : "postmaster";
	ctx.o = at ? at + 1 : sender;
	ctx.d = domain;
	ctx.i = e->ip_dot;
	ctx.v = e->v4 ? "in-addr" : "ip6";
	ctx.h = e->rq->helo && *e->rq->helo ? e->rq->helo : "unknown";
	ctx.c = e->ip_text;
	ctx.r = e->rq->receiver;
	ctx.t = e->now;
	ctx.p = se_macro_p;
	ctx.arg = e;
	e->cur_domain = domain;
	buf_init(&out, explanation ? SPF_EXP_MAX : 4 * MS_MAX_DOMAIN);
	if (spf_macro_expand(spec, len, &ctx, explanation, &out, &err) != MS_OK)
		se_why(e, "%s", err.msg);
	else
		r = explanation ? arena_strdup(e->a, buf_str(&out))
				: arena_strdup(e->a, spf_domain_trim(buf_str(&out)));
	buf_free(&out);
	return r;
}

/* se_target - the domain a mechanism names: its domain-spec expanded,
 * or the current domain */
static const char *se_target(struct spf_eval *e, const struct spf_term *t,
			     const char *domain, const char *sender)
{
	return t->spec ? se_expand(e, t->spec, t->spec_len, domain, sender, 0)
		       : domain;
}

static enum spf_result check_host(struct spf_eval *e, const char *domain,
				  const char *sender, int depth);

/* mech_include - a pass of the target matches; its none is an error */
static enum spf_match mech_include(struct spf_eval *e, const char *target,
				   const char *sender, int depth,
				   enum spf_result *err)
{
	enum spf_result r = check_host(e, target, sender, depth + 1);

	switch (r) {
	case SPF_PASS:
		return M_YES;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL:
		return M_NO;
	case SPF_TEMPERROR:
	case SPF_PERMERROR:
		*err = r;
		return M_ERROR;
	case SPF_NONE:
		se_why(e, "include:%s has no SPF record (%s)", target,
		       e->reason ? e->reason : "none");
		*err = SPF_PERMERROR;
		return M_ERROR;
	}
	return M_NO;
}

/* mech_mx - the addresses of the target's MX hosts */
static enum spf_match mech_mx(struct spf_eval *e, const struct spf_term *t,
			      const char *target, enum spf_result *err)
{
	struct dnsq_answer mx;
	enum spf_match m;
	size_t i;
	int r = se_ask(e, target, DNSQ_MX, 1, &mx, err);

	if (r <= 0)
		return r < 0 ? M_ERROR : M_NO;
	if (mx.n + mx.dropped > SPF_MAX_MX) {
		se_why(e, "%s has more than %d MX names", target, SPF_MAX_MX);
		*err = SPF_PERMERROR;
		return M_ERROR;
	}
	for (i = 0; i < mx.n; i++) {
		if (!mx.rr[i].name || !spf_domain_usable(mx.rr[i].name))
			continue;       /* a null MX (".") has no address */
		m = se_has_addr(e, mx.rr[i].name, t->cidr4, t->cidr6, 1, err);
		if (m != M_NO)
			return m;
	}
	return M_NO;
}

/* mech_eval - does term t of domain's record match? */
static enum spf_match mech_eval(struct spf_eval *e, const struct spf_term *t,
				const char *domain, const char *sender,
				int depth, enum spf_result *err)
{
	struct dnsq_answer ans;
	const char *target = NULL;
	int r, toomany = 0;
	size_t i;

	if (t->mech == SPF_M_ALL)
		return M_YES;
	if (t->mech == SPF_M_IP4 || t->mech == SPF_M_IP6)
		return se_in_net(e, t->net, t->mech == SPF_M_IP4,
				 t->mech == SPF_M_IP4 ? t->cidr4 : t->cidr6)
		       ? M_YES : M_NO;
	if (++e->dns_terms > SPF_MAX_DNS_TERMS) {
		se_why(e, "more than %d DNS-querying terms (at %.*s in %s)",
		       SPF_MAX_DNS_TERMS, (int)t->text_len, t->text, domain);
		*err = SPF_PERMERROR;
		return M_ERROR;
	}
	target = se_target(e, t, domain, sender);
	if (!target) {
		*err = SPF_PERMERROR;
		return M_ERROR;
	}
	switch (t->mech) {
	case SPF_M_INCLUDE:
		return mech_include(e, target, sender, depth, err);
	case SPF_M_A:
		return se_has_addr(e, target, t->cidr4, t->cidr6, 1, err);
	case SPF_M_MX:
		return mech_mx(e, t, target, err);
	case SPF_M_PTR:
		if (!e->ptr_done)
			se_ptr_names(e, 1, &toomany);
		if (toomany) {
			*err = SPF_PERMERROR;
			return M_ERROR;
		}
		for (i = 0; i < e->nptr; i++)
			if (name_within(e->ptr_names[i], target))
				return M_YES;
		return M_NO;
	case SPF_M_EXISTS:      /* always A, whatever the client */
		r = se_ask(e, target, DNSQ_A, 1, &ans, err);
		return r < 0 ? M_ERROR : r ? M_YES : M_NO;
	default:
		return M_NO;
	}
}

/* se_record - the one SPF record of domain into rec: SPF_PASS as "got
 * it", else the result check_host() ends with */
static enum spf_result se_record(struct spf_eval *e, const char *domain,
				 int depth, struct spf_record *rec)
{
	struct dnsq_answer ans;
	struct ms_error err;
	const struct dnsq_rr *found = NULL;
	size_t i, n = 0;

	se_lookup(e, domain, DNSQ_TXT, &ans);
	if (ans.status == DNSQ_TEMPFAIL) {
		se_why(e, "TXT lookup of %s: %s", domain,
		       ans.reason ? ans.reason : "DNS failed");
		return SPF_TEMPERROR;
	}
	if (ans.status != DNSQ_OK) {
		se_why(e, "%s %s", domain, ans.status == DNSQ_NXDOMAIN
		       ? "does not exist" : "has no TXT record");
		if (depth > 0 && se_void(e, domain))
			return SPF_PERMERROR;
		return SPF_NONE;
	}
	for (i = 0; i < ans.n; i++)
		if (spf_record_is(ans.rr[i].txt, ans.rr[i].txt_len)) {
			found = &ans.rr[i];
			n++;
		}
	if (n == 0) {
		se_why(e, "%s has no v=spf1 record", domain);
		return SPF_NONE;
	}
	if (n > 1) {
		se_why(e, "%s has %zu v=spf1 records", domain, n);
		return SPF_PERMERROR;
	}
	if (spf_record_parse((const char *)found->txt, found->txt_len, rec,
			     &err) != MS_OK) {
		se_why(e, "the SPF record of %s: %s", domain, err.msg);
		return SPF_PERMERROR;
	}
	return SPF_PASS;
}

/* qual_result - the result a matching term's qualifier gives */
static enum spf_result qual_result(char q)
{
	return q == '-' ? SPF_FAIL : q == '~' ? SPF_SOFTFAIL
	       : q == '?' ? SPF_NEUTRAL : SPF_PASS;
}

/* check_host - section 4 */
static enum spf_result check_host(struct spf_eval *e, const char *domain,
				  const char *sender, int depth)
{
	struct spf_record *rec;
	enum spf_result r;
	size_t i;
	int has_all = 0;

	if (!spf_domain_usable(domain)) {
		se_why(e, "\"%s\" is not a usable domain name", domain);
		return SPF_NONE;
	}
	rec = arena_alloc(e->a, sizeof(*rec));
	r = se_record(e, domain, depth, rec);
	if (r != SPF_PASS)
		return r;
	for (i = 0; i < rec->nterms; i++) {
		const struct spf_term *t = &rec->term[i];
		enum spf_result err = SPF_PERMERROR;
		enum spf_match m;

		has_all |= t->mech == SPF_M_ALL;
		m = mech_eval(e, t, domain, sender, depth, &err);
		if (m == M_ERROR)
			return err;
		if (m == M_YES) {
			e->decided = rec;
			e->decided_domain = domain;
			e->decided_sender = sender;
			e->reason = arena_memdup(e->a, t->text, t->text_len);
			return qual_result(t->qualifier);
		}
	}
	if (rec->redirect && !has_all) {
		const char *target;

		if (++e->dns_terms > SPF_MAX_DNS_TERMS) {
			se_why(e, "more than %d DNS-querying terms (at redirect= in %s)",
			       SPF_MAX_DNS_TERMS, domain);
			return SPF_PERMERROR;
		}
		target = se_expand(e, rec->redirect, rec->redirect_len, domain,
				   sender, 0);
		if (!target)
			return SPF_PERMERROR;
		r = check_host(e, target, sender, depth + 1);
		if (r == SPF_NONE) {
			se_why(e, "redirect=%s has no SPF record (%s)", target,
			       e->reason ? e->reason : "none");
			return SPF_PERMERROR;
		}
		return r;
	}
	e->decided = rec;
	e->decided_domain = domain;
	e->decided_sender = sender;
	se_why(e, "no term of %s's record matched (the default is neutral)",
	       domain);
	return SPF_NEUTRAL;
}

/* se_explain - the exp= text of the record that failed, or NULL */
static const char *se_explain(struct spf_eval *e)
{
	const struct spf_record *rec = e->decided;
	struct dnsq_answer ans;
	const char *target, *text, *saved = e->reason;
	size_t i;

	if (!rec || !rec->exp)
		return NULL;
	target = se_expand(e, rec->exp, rec->exp_len, e->decided_domain,
			   e->decided_sender, 0);
	if (!target || !spf_domain_usable(target))
		goto none;
	se_lookup(e, target, DNSQ_TXT, &ans);
	if (ans.status != DNSQ_OK || ans.n != 1)
		goto none;
	for (i = 0; i < ans.rr[0].txt_len; i++)
		if (ans.rr[0].txt[i] < 0x20 || ans.rr[0].txt[i] > 0x7e)
			goto none;
	text = se_expand(e, (const char *)ans.rr[0].txt, ans.rr[0].txt_len,
			 e->decided_domain, e->decided_sender, 1);
	e->reason = saved;
	return text;
none:
	e->reason = saved;      /* exp= problems are not the verdict's */
	return NULL;
}

/* se_init - the client address in every form the macros need; 0 when
 * it is not an address */
static int se_init(struct spf_eval *e, struct dnsq *dns,
		   const struct spf_request *rq, struct arena *a)
{
	size_t i, off = 0;

	memset(e, 0, sizeof(*e));
	e->dns = dns;
	e->a = a;
	e->rq = rq;
	snprintf(e->now, sizeof(e->now), "%" PRId64,
		 (int64_t)(rq->now ? rq->now : time(NULL)));
	if (!rq->ip || netaddr_parse(rq->ip, e->ip, &e->v4) != 0)
		return 0;
	if (e->v4) {
		snprintf(e->ip_dot, sizeof(e->ip_dot), "%u.%u.%u.%u", e->ip[0],
			 e->ip[1], e->ip[2], e->ip[3]);
		memcpy(e->ip_text, e->ip_dot, strlen(e->ip_dot) + 1);
		return 1;
	}
	for (i = 0; i < 16; i++)
		off += (size_t)snprintf(e->ip_dot + off, sizeof(e->ip_dot) - off,
					"%s%x.%x", i ? "." : "", e->ip[i] >> 4,
					e->ip[i] & 15);
	inet_ntop(AF_INET6, e->ip, e->ip_text, sizeof(e->ip_text));
	return 1;
}

/* spf_run - check_host() for one identity */
static void spf_run(struct dnsq *dns, const struct spf_request *rq,
		    struct arena *a, const char *identity, const char *domain,
		    const char *sender, struct spf_outcome *out)
{
	struct spf_eval e;
	unsigned long q0 = dns->queries;

	memset(out, 0, sizeof(*out));
	out->identity = identity;
	out->domain = domain;
	out->sender = sender;
	if (!se_init(&e, dns, rq, a)) {
		out->result = SPF_TEMPERROR;
		out->reason = "the client address cannot be read";
		return;
	}
	out->result = check_host(&e, domain, sender, 0);
	out->reason = e.reason;
	if (out->result == SPF_PASS || out->result == SPF_FAIL ||
	    out->result == SPF_SOFTFAIL || out->result == SPF_NEUTRAL)
		out->mechanism = e.reason;
	if (out->result == SPF_FAIL)
		out->explanation = se_explain(&e);
	out->dns_terms = e.dns_terms;
	out->voids = e.voids;
	out->queries = dns->queries - q0;
}

/* postmaster_of - "postmaster@DOMAIN" in the arena */
static const char *postmaster_of(struct arena *a, const char *domain)
{
	char *s = arena_alloc(a, strlen(domain) + 12);

	sprintf(s, "postmaster@%s", domain);
	return s;
}

/* spf_check_mailfrom - the MAIL FROM identity */
void spf_check_mailfrom(struct dnsq *dns, const struct spf_request *rq,
			struct arena *a, struct spf_outcome *out)
{
	const char *from = rq->mail_from ? rq->mail_from : "";
	const char *at = strrchr(from, '@');
	const char *helo = rq->helo ? rq->helo : "";

	if (!*from)             /* the null sender: the HELO's postmaster */
		spf_run(dns, rq, a, "mailfrom", helo, postmaster_of(a, helo), out);
	else if (!at || at == from)     /* no local part: postmaster's */
		spf_run(dns, rq, a, "mailfrom", at ? at + 1 : from,
			postmaster_of(a, at ? at + 1 : from), out);
	else
		spf_run(dns, rq, a, "mailfrom", at + 1, from, out);
}

/* spf_check_helo - the HELO identity */
void spf_check_helo(struct dnsq *dns, const struct spf_request *rq,
		    struct arena *a, struct spf_outcome *out)
{
	const char *helo = rq->helo ? rq->helo : "";

	if (!spf_domain_usable(helo)) {
		memset(out, 0, sizeof(*out));
		out->identity = "helo";
		out->domain = helo;
		out->result = SPF_NONE;
		out->reason = "the HELO name is not a domain name";
		return;
	}
	spf_run(dns, rq, a, "helo", helo, postmaster_of(a, helo), out);
}
