/*
 * test_dmarc.c - DMARC (RFC 9989): the record parser, the DNS Tree
 * Walk (targets, policy discovery, Organizational Domain, psd=, several
 * records at one name), alignment, np/sp/t=, and the evaluation over a
 * zone file (dns/zonefile.h), DNS failures included.
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "dmarc.h"
#include "dmarcrecord.h"
#include "dmarcwalk.h"
#include "unit.h"
#include "zonefile.h"

static void test_records(void)
{
	static const struct {
		const char *txt;
		enum dmarc_parse want;
		enum dmarc_policy p, sp, np;
		char adkim, aspf, psd;
		int t;
	} c[] = {
		{ "v=DMARC1; p=reject", DMARC_REC_OK, DMARC_P_REJECT, 0, 0, 'r', 'r', 'u', 0 },
		{ "v=DMARC1;p=quarantine;sp=none;np=reject;adkim=s;aspf=s;psd=n;t=y",
		  DMARC_REC_OK, DMARC_P_QUARANTINE, DMARC_P_NONE, DMARC_P_REJECT, 's', 's', 'n', 1 },
		{ "v=DMARC1; P=Reject; ADKIM=S", DMARC_REC_OK, DMARC_P_REJECT, 0, 0, 's', 'r', 'u', 0 },
		{ "v=DMARC1", DMARC_REC_OK, DMARC_P_NONE, 0, 0, 'r', 'r', 'u', 0 },
		{ "v=DMARC1; p=bogus; sp=reject", DMARC_REC_OK, DMARC_P_NONE, 0, 0, 'r', 'r', 'u', 0 },
		{ "v=DMARC1; p=reject; pct=0; rf=afrf; ri=1", DMARC_REC_OK, DMARC_P_REJECT, 0, 0, 'r', 'r', 'u', 0 },
		{ "v=DMARC1; p=reject; future=thing;", DMARC_REC_OK, DMARC_P_REJECT, 0, 0, 'r', 'r', 'u', 0 },
		{ "v=DMARC1 ; p = reject ; psd = y", DMARC_REC_OK, DMARC_P_REJECT, 0, 0, 'r', 'r', 'y', 0 },
		{ "v=dmarc1; p=reject", DMARC_REC_NOT, 0, 0, 0, 0, 0, 0, 0 },
		{ "V=DMARC1; p=reject", DMARC_REC_NOT, 0, 0, 0, 0, 0, 0, 0 },
		{ "p=reject; v=DMARC1", DMARC_REC_NOT, 0, 0, 0, 0, 0, 0, 0 },
		{ "v=spf1 -all", DMARC_REC_NOT, 0, 0, 0, 0, 0, 0, 0 },
		{ "v=DMARC10; p=reject", DMARC_REC_NOT, 0, 0, 0, 0, 0, 0, 0 },
		{ "v=DMARC1; p=reject; p=none", DMARC_REC_BAD, 0, 0, 0, 0, 0, 0, 0 },
		{ "v=DMARC1; p=reject; =x", DMARC_REC_BAD, 0, 0, 0, 0, 0, 0, 0 },
	};
	struct arena a;
	size_t i;

	arena_init(&a);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct dmarc_record r;
		const char *why;
		enum dmarc_parse st = dmarc_record_parse(
			(const unsigned char *)c[i].txt, strlen(c[i].txt), &a,
			&r, &why);

		if (c[i].want != DMARC_REC_OK) {
			CHECK(st == c[i].want, "record \"%s\": %s", c[i].txt,
			      c[i].want == DMARC_REC_NOT ? "not DMARC"
			      : "DMARC, unusable");
			continue;
		}
		CHECK(st == DMARC_REC_OK && r.p == c[i].p && r.sp == c[i].sp &&
		      r.np == c[i].np && r.adkim == c[i].adkim &&
		      r.aspf == c[i].aspf && r.psd == c[i].psd &&
		      r.testing == c[i].t, "record \"%s\" read", c[i].txt);
	}
	{
		struct dmarc_record r;
		const char *why, *txt = "v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@example.net";

		dmarc_record_parse((const unsigned char *)txt, strlen(txt), &a,
				   &r, &why);
		CHECK(r.rua && !strcmp(r.rua, "mailto:a@example.com,mailto:b@example.net"),
		      "rua kept as published");
		txt = "v=DMARC1; p=bogus";
		dmarc_record_parse((const unsigned char *)txt, strlen(txt), &a,
				   &r, &why);
		CHECK(r.unusable && r.note != NULL,
		      "no valid p= and no rua=: unusable (no DMARC), noted");
		txt = "v=DMARC1; rua=mailto:r@example.com";
		dmarc_record_parse((const unsigned char *)txt, strlen(txt), &a,
				   &r, &why);
		CHECK(!r.unusable && r.p == DMARC_P_NONE,
		      "no p= but a valid rua=: p=none (monitoring)");
		txt = "v=DMARC1; p=reject; sp=bogus; rua=nonsense";
		dmarc_record_parse((const unsigned char *)txt, strlen(txt), &a,
				   &r, &why);
		CHECK(r.unusable, "a bad sp= and a rua= that is no URI: unusable");
		txt = "v=DMARC1; p=reject; np=bogus; rua=x, mailto:r@example.com";
		dmarc_record_parse((const unsigned char *)txt, strlen(txt), &a,
				   &r, &why);
		CHECK(!r.unusable && r.p == DMARC_P_NONE && r.np == DMARC_P_UNSET,
		      "a bad np= with a valid rua= among others: p=none");
	}
	arena_free(&a);
}

static void test_targets(void)
{
	const char *t[MS_DMARC_WALK_MAX];
	size_t n;

	n = dmarc_walk_targets("a.mail.example.com", t);
	CHECK(n == 4 && !strcmp(t[0], "a.mail.example.com") &&
	      !strcmp(t[1], "mail.example.com") && !strcmp(t[2], "example.com") &&
	      !strcmp(t[3], "com"), "walk: one label fewer each time");
	n = dmarc_walk_targets("a.b.c.d.e.f.g.h.i.j", t);
	CHECK(n == 8 && !strcmp(t[0], "a.b.c.d.e.f.g.h.i.j") &&
	      !strcmp(t[1], "d.e.f.g.h.i.j") && !strcmp(t[7], "j"),
	      "walk: ten labels, then seven, at most eight queries");
	n = dmarc_walk_targets("b.c.d.e.f.g.h.i", t);
	CHECK(n == 8 && !strcmp(t[1], "c.d.e.f.g.h.i"),
	      "walk: eight labels, then seven");
	n = dmarc_walk_targets("localhost", t);
	CHECK(n == 1, "walk: one label, one query");
}

static const char zone[] =
	"_dmarc.reject.example TXT \"v=DMARC1; p=reject\"\n"
	"reject.example A 192.0.2.1\n"
	"_dmarc.quar.example TXT \"v=DMARC1; p=quarantine; sp=reject\"\n"
	"_dmarc.none.example TXT \"v=DMARC1; p=none\"\n"
	"_dmarc.test.example TXT \"v=DMARC1; p=reject; t=y\"\n"
	"_dmarc.strict.example TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"\n"
	"_dmarc.np.example TXT \"v=DMARC1; p=none; sp=quarantine; np=reject\"\n"
	"real.np.example A 192.0.2.2\n"
	"_dmarc.two.example TXT \"v=DMARC1; p=none\"\n"
	"_dmarc.two.example TXT \"v=DMARC1; p=none\"\n"
	"_dmarc.sub.two.example TXT \"v=DMARC1; p=quarantine\"\n"
	"_dmarc.double.parent.example TXT \"v=DMARC1; p=none\"\n"
	"_dmarc.double.parent.example TXT \"v=DMARC1; p=none\"\n"
	"_dmarc.parent.example TXT \"v=DMARC1; p=reject\"\n"
	"_dmarc.junk.example TXT \"v=spf1 -all\"\n"
	"_dmarc.junk.example TXT \"v=DMARC1; p=reject\"\n"
	"_dmarc.psd TXT \"v=DMARC1; p=reject; psd=y\"\n"
	"_dmarc.org.psd TXT \"v=DMARC1; p=none\"\n"
	"_dmarc.gov.psd TXT \"v=DMARC1; p=quarantine; psd=n\"\n"
	"_dmarc.slow.example TIMEOUT\n"
	"_dmarc.slowparent.example TIMEOUT\n"
	"_dmarc.a.b.c.d.e.f.g.h.example TXT \"v=DMARC1; p=reject\"\n"
	"_dmarc.deep.example TXT \"v=DMARC1; p=reject\"\n"
	"_dmarc.org.example TXT \"v=DMARC1; p=reject\"\n"
	"_dmarc.mail.org.example TXT \"v=DMARC1; p=none\"\n"
	"tmo.np.example TIMEOUT\n"
	"_dmarc.nop.example TXT \"v=DMARC1; sp=reject\"\n"
	"_dmarc.nopr.example TXT \"v=DMARC1; sp=reject; rua=mailto:d@nopr.example\"\n";

static void test_walks(struct dnsq *dns)
{
	struct dmarc_dns d;
	const struct dmarc_name *nm;
	const char *org;
	struct arena a;

	arena_init(&a);
	dmarc_dns_init(&d, dns, 0, &a);
	CHECK(dmarc_find_policy(&d, "reject.example", &nm) == DMARC_WALK_FOUND &&
	      !strcmp(nm->domain, "reject.example") && d.queries == 1,
	      "policy: at the author domain, one query");
	CHECK(dmarc_find_policy(&d, "x.y.reject.example", &nm) == DMARC_WALK_FOUND &&
	      !strcmp(nm->domain, "reject.example"),
	      "policy: found by the walk");
	CHECK(dmarc_find_policy(&d, "nothing.example", &nm) == DMARC_WALK_NONE,
	      "policy: none anywhere");
	CHECK(dmarc_find_policy(&d, "sub.two.example", &nm) == DMARC_WALK_FOUND &&
	      !strcmp(nm->domain, "sub.two.example"),
	      "policy: a single record below a name with two");
	CHECK(dmarc_find_policy(&d, "x.double.parent.example", &nm) == DMARC_WALK_FOUND &&
	      !strcmp(nm->domain, "parent.example") && d.note &&
	      strstr(d.note, "double.parent.example"),
	      "policy: several records at a name are discarded, the walk goes on (noted)");
	CHECK(dmarc_find_policy(&d, "junk.example", &nm) == DMARC_WALK_FOUND &&
	      nm->rec.p == DMARC_P_REJECT,
	      "policy: a non-DMARC TXT string beside the record is discarded");
	CHECK(dmarc_find_policy(&d, "slow.example", &nm) == DMARC_WALK_TEMPFAIL,
	      "policy: a timeout at the author domain is a temporary failure");
	CHECK(dmarc_find_policy(&d, "x.slowparent.example", &nm) == DMARC_WALK_TEMPFAIL,
	      "policy: a timeout higher up is a temporary failure, never none");
	CHECK(dmarc_find_policy(&d, "z.a.b.c.d.e.f.g.h.example", &nm) == DMARC_WALK_NONE,
	      "policy: a long name jumps to seven labels (the eighth-label record is not asked)");

	CHECK(dmarc_org_domain(&d, "mail.org.example", &org) == DMARC_WALK_FOUND &&
	      !strcmp(org, "org.example"),
	      "org: the record with the fewest labels");
	CHECK(dmarc_org_domain(&d, "a.b.nothing.example", &org) == DMARC_WALK_FOUND &&
	      !strcmp(org, "a.b.nothing.example"),
	      "org: no record anywhere: the domain itself");
	CHECK(dmarc_org_domain(&d, "x.y.org.psd", &org) == DMARC_WALK_FOUND &&
	      !strcmp(org, "org.psd"),
	      "org: psd=y above: the domain one label below it");
	CHECK(dmarc_org_domain(&d, "x.gov.psd", &org) == DMARC_WALK_FOUND &&
	      !strcmp(org, "gov.psd"),
	      "org: psd=n: that domain");
	CHECK(dmarc_org_domain(&d, "psd", &org) == DMARC_WALK_FOUND &&
	      !strcmp(org, "psd"),
	      "org: psd=y at the starting domain itself: that domain");
	CHECK(dmarc_org_domain(&d, "x.slowparent.example", &org) == DMARC_WALK_TEMPFAIL,
	      "org: a timeout is a temporary failure");
	arena_free(&a);
}

struct ecase {
	const char *name;
	const char *author;
	const char *spf_domain;
	enum dmarc_auth spf;
	const char *dkim;               /* d= of one signature, or NULL */
	enum dmarc_auth dkim_res;
	enum dmarc_result want;
	enum dmarc_policy dis;
	const char *tag;
};

static const struct ecase ecases[] = {
	{ "no record: none", "nothing.example", "nothing.example", DMARC_AUTH_OTHER, NULL, 0, DMARC_NONE, 0, NULL },
	{ "aligned DKIM pass", "reject.example", NULL, 0, "reject.example", DMARC_AUTH_PASS, DMARC_PASS, DMARC_P_NONE, NULL },
	{ "aligned SPF pass", "reject.example", "reject.example", DMARC_AUTH_PASS, NULL, 0, DMARC_PASS, DMARC_P_NONE, NULL },
	{ "relaxed: DKIM of the parent", "mail.org.example", NULL, 0, "org.example", DMARC_AUTH_PASS, DMARC_PASS, DMARC_P_NONE, NULL },
	{ "relaxed: SPF of a sibling", "org.example", "bounce.org.example", DMARC_AUTH_PASS, NULL, 0, DMARC_PASS, DMARC_P_NONE, NULL },
	{ "strict: DKIM of a subdomain does not align", "strict.example", NULL, 0, "a.strict.example", DMARC_AUTH_PASS, DMARC_FAIL, DMARC_P_REJECT, "p" },
	{ "strict: SPF of a subdomain does not align", "strict.example", "a.strict.example", DMARC_AUTH_PASS, NULL, 0, DMARC_FAIL, DMARC_P_REJECT, "p" },
	{ "unaligned DKIM pass: fail", "reject.example", "other.example", DMARC_AUTH_PASS, "other.example", DMARC_AUTH_PASS, DMARC_FAIL, DMARC_P_REJECT, "p" },
	{ "aligned DKIM that failed: fail", "reject.example", NULL, 0, "reject.example", DMARC_AUTH_OTHER, DMARC_FAIL, DMARC_P_REJECT, "p" },
	{ "aligned SPF temperror: temperror, not fail", "reject.example", "reject.example", DMARC_AUTH_TEMP, NULL, 0, DMARC_TEMPERROR, 0, NULL },
	{ "aligned DKIM temperror: temperror, not fail", "reject.example", NULL, 0, "reject.example", DMARC_AUTH_TEMP, DMARC_TEMPERROR, 0, NULL },
	{ "unaligned SPF temperror: fail", "reject.example", "other.example", DMARC_AUTH_TEMP, NULL, 0, DMARC_FAIL, DMARC_P_REJECT, "p" },
	{ "subdomain: sp applies", "x.quar.example", NULL, 0, NULL, 0, DMARC_FAIL, DMARC_P_REJECT, "sp" },
	{ "the domain itself: p, not sp", "quar.example", NULL, 0, NULL, 0, DMARC_FAIL, DMARC_P_QUARANTINE, "p" },
	{ "p=none: fail, nothing to do", "none.example", NULL, 0, NULL, 0, DMARC_FAIL, DMARC_P_NONE, "p" },
	{ "t=y: reject becomes quarantine", "test.example", NULL, 0, NULL, 0, DMARC_FAIL, DMARC_P_QUARANTINE, "p" },
	{ "np: a subdomain that does not exist", "ghost.np.example", NULL, 0, NULL, 0, DMARC_FAIL, DMARC_P_REJECT, "np" },
	{ "np: a subdomain that exists gets sp", "real.np.example", NULL, 0, NULL, 0, DMARC_FAIL, DMARC_P_QUARANTINE, "sp" },
	{ "np: the existence test timing out: temperror", "tmo.np.example", NULL, 0, NULL, 0, DMARC_TEMPERROR, 0, NULL },
	{ "np: a deep name that does not exist", "a.b.ghost.np.example", NULL, 0, NULL, 0, DMARC_FAIL, DMARC_P_REJECT, "np" },
	{ "policy lookup timing out: temperror", "slow.example", "slow.example", DMARC_AUTH_PASS, NULL, 0, DMARC_TEMPERROR, 0, NULL },
	{ "PSD policy for a domain below it", "org.psd", NULL, 0, NULL, 0, DMARC_FAIL, DMARC_P_NONE, "p" },
	{ "PSD policy when the organization has none", "x.nothing.psd", NULL, 0, NULL, 0, DMARC_FAIL, DMARC_P_REJECT, "p" },
	{ "relaxed under a PSD: two organizations do not align", "org.psd", NULL, 0, "other.psd", DMARC_AUTH_PASS, DMARC_FAIL, DMARC_P_NONE, "p" },
	{ "a record without p= nor rua=: DMARC does not apply", "nop.example", NULL, 0, NULL, 0, DMARC_NONE, 0, NULL },
	{ "a record without p= but with rua=: p=none", "nopr.example", NULL, 0, NULL, 0, DMARC_FAIL, DMARC_P_NONE, "p" },
	{ "a subdomain under a record without p= but with rua=: none too", "x.nopr.example", NULL, 0, NULL, 0, DMARC_FAIL, DMARC_P_NONE, "p" },
	{ "an address literal as the author domain: none, no lookup", "[192.0.2.1]", NULL, 0, NULL, 0, DMARC_NONE, 0, NULL },
	{ "a byte outside ASCII in the author domain: none", "b\xc3\xa4nk.example", NULL, 0, NULL, 0, DMARC_NONE, 0, NULL },
	{ "an empty label in the author domain: none", "a..reject.example", NULL, 0, NULL, 0, DMARC_NONE, 0, NULL },
	{ "upper case in d= aligns", "reject.example", NULL, 0, "REJECT.Example", DMARC_AUTH_PASS, DMARC_PASS, DMARC_P_NONE, NULL },
};

static void test_evaluate(struct dnsq *dns)
{
	size_t i;

	for (i = 0; i < sizeof(ecases) / sizeof(ecases[0]); i++) {
		const struct ecase *c = &ecases[i];
		struct dmarc_sig sig = { c->dkim, "s1", c->dkim_res };
		struct dmarc_request rq = {
			.author = c->author,
			.spf_domain = c->spf_domain,
			.spf = c->spf,
			.sigs = c->dkim ? &sig : NULL,
			.nsigs = c->dkim ? 1 : 0,
		};
		struct dmarc_outcome o;
		struct arena a;

		arena_init(&a);
		dmarc_evaluate(dns, &rq, &a, &o);
		CHECK(o.result == c->want &&
		      (c->want != DMARC_FAIL ||
		       (o.disposition == c->dis && o.policy_tag &&
			!strcmp(o.policy_tag, c->tag))),
		      "dmarc: %s (got %s dis=%s tag=%s)", c->name,
		      dmarc_result_str(o.result), dmarc_policy_str(o.disposition),
		      o.policy_tag ? o.policy_tag : "-");
		arena_free(&a);
	}
}

int main(void)
{
	struct ms_error err;
	struct dnsq *dns;

	test_records();
	test_targets();
	dns = zonefile_parse((const unsigned char *)zone, sizeof(zone) - 1,
			     "test zone", &err);
	CHECK(dns != NULL, "zone parses: %s", dns ? "" : err.msg);
	if (dns) {
		test_walks(dns);
		test_evaluate(dns);
		dnsq_destroy(dns);
	}
	return unit_done();
}
