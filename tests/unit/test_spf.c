/*
 * test_spf.c - SPF (RFC 7208): the macro examples of section 7.4, the
 * record parser, and check_host() over a zone file (dns/zonefile.h):
 * every mechanism, qualifiers, include and redirect semantics, exp=,
 * the lookup, void, MX and PTR limits, IPv4-mapped clients, the null
 * sender and the HELO identity, DNS timeouts.
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "spf.h"
#include "spfmacro.h"
#include "spfrecord.h"
#include "unit.h"
#include "zonefile.h"

/* ---- macros: RFC 7208 section 7.4 ---- */

static const char *ptr_example(void *arg)
{
	(void)arg;
	return "mx.example.org";
}

static void test_macros(void)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "%{s}", "strong-bad@email.example.com" },
		{ "%{o}", "email.example.com" },
		{ "%{d}", "email.example.com" },
		{ "%{d4}", "email.example.com" },
		{ "%{d3}", "email.example.com" },
		{ "%{d2}", "example.com" },
		{ "%{d1}", "com" },
		{ "%{dr}", "com.example.email" },
		{ "%{d2r}", "example.email" },
		{ "%{l}", "strong-bad" },
		{ "%{l-}", "strong.bad" },
		{ "%{lr}", "strong-bad" },
		{ "%{lr-}", "bad.strong" },
		{ "%{l1r-}", "strong" },
		{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
		  "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
		  "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net",
		  "example.com.trusted-domains.example.net" },
		{ "%{p}.x", "mx.example.org.x" },
		{ "%%%_%-", "% %20" },
		{ "%{L}", "strong-bad" },
		{ "%{S}", "strong-bad%40email.example.com" },
		{ "%{d999}", "email.example.com" },
	};
	struct spf_macro_ctx ctx = {
		.s = "strong-bad@email.example.com", .l = "strong-bad",
		.o = "email.example.com", .d = "email.example.com",
		.i = "192.0.2.3", .v = "in-addr", .h = "mx.example.org",
		.c = "192.0.2.3", .r = "mx.receiver.example", .t = "1700000000",
		.p = ptr_example,
	};
	static const char *const bad[] = {
		"%", "%{", "%{x}", "%{d0}", "%{d", "%a", "%{c}", "%{dr.-", "a b",
		"%{i}\x80",
	};
	struct ms_error err;
	struct buf out;
	size_t i;

	buf_init(&out, 4096);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&out);
		CHECK(spf_macro_expand(t[i].in, strlen(t[i].in), &ctx, 0, &out,
				       &err) == MS_OK &&
		      strcmp(buf_str(&out), t[i].out) == 0,
		      "macro %s -> %s (got \"%s\")", t[i].in, t[i].out,
		      buf_str(&out));
	}
	ctx.i = "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1";
	ctx.v = "ip6";
	buf_reset(&out);
	spf_macro_expand("%{ir}.%{v}._spf.%{d2}", 21, &ctx, 0, &out, &err);
	CHECK(strcmp(buf_str(&out), "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		     "0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com") == 0,
	      "macro: the IPv6 example of section 7.4 (got %s)", buf_str(&out));
	buf_reset(&out);
	CHECK(spf_macro_expand("%{c} %{r} %{t}", 14, &ctx, 1, &out, &err) == MS_OK &&
	      strcmp(buf_str(&out), "192.0.2.3 mx.receiver.example 1700000000") == 0,
	      "macro: c, r and t in an explanation (got %s)", buf_str(&out));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(spf_macro_check(bad[i], strlen(bad[i]), 0, &err) == MS_ERR_SYNTAX,
		      "macro \"%s\" is a syntax error", unit_esc(bad[i], strlen(bad[i])));
	buf_free(&out);
}

/* ---- the record parser ---- */

static void test_records(void)
{
	static const struct {
		const char *rec;
		int ok;
		size_t nterms;
	} t[] = {
		{ "v=spf1", 1, 0 },
		{ "v=spf1 -all", 1, 1 },
		{ "V=SPF1 IP4:192.0.2.0/24 MX -ALL", 1, 3 },
		{ "v=spf1  a   mx  ", 1, 2 },
		{ "v=spf1 a:example.com/24//64 mx/30 a//64 ptr ptr:x.example ?all", 1, 6 },
		{ "v=spf1 ip6:2001:db8::/32 ip4:192.0.2.1 ~all", 1, 3 },
		{ "v=spf1 include:_spf.example.com exists:%{i}._e.example.com", 1, 2 },
		{ "v=spf1 redirect=_spf.example.com", 1, 0 },
		{ "v=spf1 exp=explain._spf.%{d} -all", 1, 1 },
		{ "v=spf1 foo=bar -all", 1, 1 },
		{ "v=spf1 mx:example.com.", 1, 1 },
		{ "v=spf1 a:%{d}", 1, 1 },
		{ "v=spf1 frobnicate", 0, 0 },
		{ "v=spf1 ip4:192.0.2.0/33", 0, 0 },
		{ "v=spf1 ip4:192.0.2.0/024", 0, 0 },
		{ "v=spf1 ip4:192.0.02.0", 0, 0 },
		{ "v=spf1 ip4:example.com", 0, 0 },
		{ "v=spf1 ip6:2001:db8::/129", 0, 0 },
		{ "v=spf1 a:1.2.3.4", 0, 0 },          /* no top label */
		{ "v=spf1 include", 0, 0 },
		{ "v=spf1 include:", 0, 0 },
		{ "v=spf1 all:example.com", 0, 0 },
		{ "v=spf1 redirect=a.example redirect=b.example", 0, 0 },
		{ "v=spf1 exp=a.example exp=b.example", 0, 0 },
		{ "v=spf1 a:%{x}.example.com", 0, 0 },
		{ "v=spf1 foo=%", 0, 0 },
		{ "v=spf1 -", 0, 0 },
		{ "v=spf1 a:ex\xc3\xa4mple.com", 0, 0 },
		{ "v=spf1 a:example.com\t-all", 0, 0 },
		{ "v=spf10 -all", 0, 0 },
	};
	struct spf_record rec;
	struct ms_error err;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum ms_status st = spf_record_parse(t[i].rec, strlen(t[i].rec),
						     &rec, &err);

		if (t[i].ok)
			CHECK(st == MS_OK && rec.nterms == t[i].nterms,
			      "record \"%s\" parses (%zu terms; %s)", t[i].rec,
			      t[i].nterms, st == MS_OK ? "ok" : err.msg);
		else
			CHECK(st == MS_ERR_SYNTAX, "record \"%s\" is a permerror",
			      unit_esc(t[i].rec, strlen(t[i].rec)));
	}
	spf_record_parse("v=spf1 a:example.com/24//64", 27, &rec, &err);
	CHECK(rec.term[0].cidr4 == 24 && rec.term[0].cidr6 == 64 &&
	      rec.term[0].spec_len == 11, "a:example.com/24//64: both lengths, the domain without them");
	CHECK(spf_record_is((const unsigned char *)"v=spf1", 6) &&
	      !spf_record_is((const unsigned char *)"v=spf10", 7) &&
	      !spf_record_is((const unsigned char *)"spf1", 4),
	      "spf_record_is: v=spf1 then a space or the end");
}

/* ---- check_host() ---- */

static const char zone[] =
	"# test zone\n"
	"pass.example TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
	"split.example TXT \"v=spf1 ip4:192.0.2.0/24 \" \"-all\"\n"
	"soft.example TXT \"v=spf1 ~all\"\n"
	"neutral.example TXT \"v=spf1 ip4:10.0.0.1\"\n"
	"q.example TXT \"v=spf1 ?all\"\n"
	"other.example TXT \"not spf\"\n"
	"other.example A 192.0.2.99\n"
	"two.example TXT \"v=spf1 -all\"\n"
	"two.example TXT \"v=spf1 +all\"\n"
	"bad.example TXT \"v=spf1 frobnicate -all\"\n"
	"upper.example TXT \"V=SPF1 IP4:192.0.2.7 -ALL\"\n"
	/* include */
	"inc.example TXT \"v=spf1 include:pass.example -all\"\n"
	"incnone.example TXT \"v=spf1 include:nothing.example -all\"\n"
	"inctemp.example TXT \"v=spf1 include:slow.example -all\"\n"
	"incfail.example TXT \"v=spf1 include:soft.example ?all\"\n"
	"slow.example TIMEOUT\n"
	/* redirect */
	"red.example TXT \"v=spf1 redirect=pass.example\"\n"
	"rednone.example TXT \"v=spf1 redirect=nothing.example\"\n"
	"redall.example TXT \"v=spf1 ?all redirect=pass.example\"\n"
	/* a, mx */
	"a.example TXT \"v=spf1 a -all\"\n"
	"a.example A 192.0.2.10\n"
	"a.example AAAA 2001:db8::10\n"
	"acidr.example TXT \"v=spf1 a:a.example/24//64 -all\"\n"
	"mx.example TXT \"v=spf1 mx -all\"\n"
	"mx.example MX 10 mail1.mx.example\n"
	"mx.example MX 20 mail2.mx.example\n"
	"mail1.mx.example A 198.51.100.1\n"
	"mail2.mx.example A 198.51.100.2\n"
	"mxmany.example TXT \"v=spf1 mx -all\"\n"
	"mxnull.example TXT \"v=spf1 mx ?all\"\n"
	"mxnull.example MX 0 .\n"
	"mxtemp.example TXT \"v=spf1 mx -all\"\n"
	"mxtemp.example MX 10 slow.example\n"
	/* ptr */
	"ptr.example TXT \"v=spf1 ptr -all\"\n"
	"3.2.0.192.in-addr.arpa PTR host.ptr.example\n"
	"3.2.0.192.in-addr.arpa PTR liar.other.example\n"
	"host.ptr.example A 192.0.2.3\n"
	"liar.other.example A 203.0.113.5\n"
	"ptrother.example TXT \"v=spf1 ptr:other.example -all\"\n"
	/* exists, macros */
	"exists.example TXT \"v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all\"\n"
	"3.2.0.192.alice._spf.exists.example A 127.0.0.2\n"
	/* limits */
	"void.example TXT \"v=spf1 a:n1.example a:n2.example a:n3.example ?all\"\n"
	"void2.example TXT \"v=spf1 a:n1.example a:n2.example ip4:192.0.2.0/24 -all\"\n"
	"deep0.example TXT \"v=spf1 include:deep1.example -all\"\n"
	"deep1.example TXT \"v=spf1 include:deep2.example -all\"\n"
	"deep2.example TXT \"v=spf1 include:deep3.example -all\"\n"
	"deep3.example TXT \"v=spf1 include:deep4.example -all\"\n"
	"deep4.example TXT \"v=spf1 include:deep5.example -all\"\n"
	"deep5.example TXT \"v=spf1 include:deep6.example -all\"\n"
	"deep6.example TXT \"v=spf1 include:deep7.example -all\"\n"
	"deep7.example TXT \"v=spf1 include:deep8.example -all\"\n"
	"deep8.example TXT \"v=spf1 include:deep9.example -all\"\n"
	"deep9.example TXT \"v=spf1 include:deep10.example -all\"\n"
	"deep10.example TXT \"v=spf1 ip4:192.0.2.3 -all\"\n"
	"ten.example TXT \"v=spf1 include:deep1.example -all\"\n"
	"eleven.example TXT \"v=spf1 include:deep0.example -all\"\n"
	/* exp */
	"exp.example TXT \"v=spf1 exp=why.exp.example -all\"\n"
	"why.exp.example TXT \"%{i} may not send for %{d} (%{c})\"\n"
	"expinc.example TXT \"v=spf1 include:exp.example -all exp=why2.exp.example\"\n"
	"why2.exp.example TXT \"outer explanation\"\n"
	/* IPv6, HELO */
	"v6.example TXT \"v=spf1 ip6:2001:db8::/32 -all\"\n"
	"helo.example TXT \"v=spf1 a -all\"\n"
	"helo.example A 192.0.2.3\n"
	"nonascii.example TXT \"v=spf1 a:\\195\\164.example -all\"\n"
	"toptimeout.example TIMEOUT\n";

struct scase {
	const char *name;
	const char *ip;
	const char *helo;
	const char *from;
	enum spf_result want;
	const char *reason_has;         /* or NULL */
};

static const struct scase cases[] = {
	{ "ip4 match: pass", "192.0.2.3", "h.example", "a@pass.example", SPF_PASS, "ip4:192.0.2.0/24" },
	{ "-all: fail", "203.0.113.1", "h.example", "a@pass.example", SPF_FAIL, "-all" },
	{ "record of two strings joined", "192.0.2.3", "h.example", "a@split.example", SPF_PASS, NULL },
	{ "~all: softfail", "203.0.113.1", "h.example", "a@soft.example", SPF_SOFTFAIL, NULL },
	{ "no match, no all: neutral", "203.0.113.1", "h.example", "a@neutral.example", SPF_NEUTRAL, NULL },
	{ "?all: neutral", "203.0.113.1", "h.example", "a@q.example", SPF_NEUTRAL, NULL },
	{ "no SPF among TXT: none", "192.0.2.3", "h.example", "a@other.example", SPF_NONE, "no v=spf1" },
	{ "domain does not exist: none", "192.0.2.3", "h.example", "a@nothing.example", SPF_NONE, "does not exist" },
	{ "two records: permerror", "192.0.2.3", "h.example", "a@two.example", SPF_PERMERROR, "2 v=spf1 records" },
	{ "unknown mechanism: permerror", "192.0.2.3", "h.example", "a@bad.example", SPF_PERMERROR, "frobnicate" },
	{ "upper case record", "192.0.2.7", "h.example", "a@upper.example", SPF_PASS, NULL },
	{ "include pass", "192.0.2.3", "h.example", "a@inc.example", SPF_PASS, "include:pass.example" },
	{ "include not matching: the next term", "203.0.113.1", "h.example", "a@inc.example", SPF_FAIL, NULL },
	{ "include of no record: permerror", "192.0.2.3", "h.example", "a@incnone.example", SPF_PERMERROR, "has no SPF record" },
	{ "include timing out: temperror", "192.0.2.3", "h.example", "a@inctemp.example", SPF_TEMPERROR, "timed out" },
	{ "include's softfail does not match", "192.0.2.3", "h.example", "a@incfail.example", SPF_NEUTRAL, NULL },
	{ "redirect: the target's result", "203.0.113.1", "h.example", "a@red.example", SPF_FAIL, NULL },
	{ "redirect to no record: permerror", "192.0.2.3", "h.example", "a@rednone.example", SPF_PERMERROR, "redirect=" },
	{ "redirect ignored when all is there", "203.0.113.1", "h.example", "a@redall.example", SPF_NEUTRAL, NULL },
	{ "a: pass", "192.0.2.10", "h.example", "a@a.example", SPF_PASS, NULL },
	{ "a: IPv6 client, AAAA", "2001:db8::10", "h.example", "a@a.example", SPF_PASS, NULL },
	{ "a: not the address: fail", "192.0.2.11", "h.example", "a@a.example", SPF_FAIL, NULL },
	{ "a/24: the network", "192.0.2.200", "h.example", "a@acidr.example", SPF_PASS, NULL },
	{ "a//64: the IPv6 network", "2001:db8::ffff", "h.example", "a@acidr.example", SPF_PASS, NULL },
	{ "mx: the second host", "198.51.100.2", "h.example", "a@mx.example", SPF_PASS, NULL },
	{ "mx: not one of them", "198.51.100.3", "h.example", "a@mx.example", SPF_FAIL, NULL },
	{ "mx: a null MX matches nothing", "198.51.100.3", "h.example", "a@mxnull.example", SPF_NEUTRAL, NULL },
	{ "mx: a host timing out: temperror", "198.51.100.3", "h.example", "a@mxtemp.example", SPF_TEMPERROR, NULL },
	{ "ptr: a validated name within the domain", "192.0.2.3", "h.example", "a@ptr.example", SPF_PASS, NULL },
	{ "ptr: a name that does not validate", "192.0.2.3", "h.example", "a@ptrother.example", SPF_FAIL, NULL },
	{ "exists with macros", "192.0.2.3", "h.example", "alice@exists.example", SPF_PASS, NULL },
	{ "exists with macros, another sender", "192.0.2.3", "h.example", "bob@exists.example", SPF_FAIL, NULL },
	{ "three void lookups: permerror", "203.0.113.1", "h.example", "a@void.example", SPF_PERMERROR, "void" },
	{ "two void lookups are allowed", "192.0.2.3", "h.example", "a@void2.example", SPF_PASS, NULL },
	{ "ten DNS terms are allowed", "192.0.2.3", "h.example", "a@ten.example", SPF_PASS, NULL },
	{ "eleven DNS terms: permerror", "192.0.2.3", "h.example", "a@eleven.example", SPF_PERMERROR, "more than 10" },
	{ "IPv4-mapped IPv6 client is IPv4", "::ffff:192.0.2.3", "h.example", "a@pass.example", SPF_PASS, NULL },
	{ "ip6: pass", "2001:db8:1::5", "h.example", "a@v6.example", SPF_PASS, NULL },
	{ "ip6 against an IPv4 client: fail", "192.0.2.3", "h.example", "a@v6.example", SPF_FAIL, NULL },
	{ "ip4 against an IPv6 client: fail", "2001:db8::3", "h.example", "a@pass.example", SPF_FAIL, NULL },
	{ "null sender: the HELO's record", "192.0.2.3", "helo.example", "", SPF_PASS, NULL },
	{ "no local part: postmaster of the domain", "192.0.2.3", "h.example", "@pass.example", SPF_PASS, NULL },
	{ "a non-ASCII name in a record: permerror", "192.0.2.3", "h.example", "a@nonascii.example", SPF_PERMERROR, NULL },
	{ "TXT lookup timing out: temperror", "192.0.2.3", "h.example", "a@toptimeout.example", SPF_TEMPERROR, "timed out" },
	{ "a one-label domain: none", "192.0.2.3", "h.example", "a@localhost", SPF_NONE, NULL },
	{ "an IPv4 literal as the domain: none, no lookup", "192.0.2.3", "h.example", "a@[192.0.2.3]", SPF_NONE, "not a usable domain" },
	{ "a bare IPv4 address as the domain: none", "192.0.2.3", "h.example", "a@192.0.2.3", SPF_NONE, "not a usable domain" },
	{ "null sender after an IPv4-literal HELO: none", "192.0.2.3", "[192.0.2.3]", "", SPF_NONE, "not a usable domain" },
	{ "an unreadable client address: temperror", "not-an-ip", "h.example", "a@pass.example", SPF_TEMPERROR, NULL },
};

static void test_check_host(struct dnsq *dns)
{
	struct spf_outcome o;
	struct arena a;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct scase *c = &cases[i];
		struct spf_request rq = { .ip = c->ip, .helo = c->helo,
					  .mail_from = c->from, .now = 1700000000 };

		arena_init(&a);
		spf_check_mailfrom(dns, &rq, &a, &o);
		CHECK(o.result == c->want &&
		      (!c->reason_has || (o.reason && strstr(o.reason, c->reason_has))),
		      "spf %s: %s (got %s: %s)", c->name, spf_result_str(c->want),
		      spf_result_str(o.result), o.reason ? o.reason : "-");
		arena_free(&a);
	}
}

static void test_exp_and_helo(struct dnsq *dns)
{
	struct spf_request rq = { .ip = "203.0.113.9", .helo = "h.example",
				  .mail_from = "x@exp.example", .now = 1 };
	struct spf_outcome o;
	struct arena a;

	arena_init(&a);
	spf_check_mailfrom(dns, &rq, &a, &o);
	CHECK(o.result == SPF_FAIL && o.explanation &&
	      !strcmp(o.explanation, "203.0.113.9 may not send for exp.example (203.0.113.9)"),
	      "exp=: the explanation expanded (got %s)", o.explanation ? o.explanation : "none");
	rq.mail_from = "x@expinc.example";
	spf_check_mailfrom(dns, &rq, &a, &o);
	CHECK(o.result == SPF_FAIL && o.explanation &&
	      !strcmp(o.explanation, "outer explanation"),
	      "exp=: an included record's exp= is not used (got %s)",
	      o.explanation ? o.explanation : "none");
	rq.mail_from = "x@pass.example";
	spf_check_mailfrom(dns, &rq, &a, &o);
	CHECK(o.result == SPF_FAIL && !o.explanation, "no exp=: no explanation");

	rq.ip = "192.0.2.3";
	rq.helo = "helo.example";
	spf_check_helo(dns, &rq, &a, &o);
	CHECK(o.result == SPF_PASS && !strcmp(o.identity, "helo") &&
	      !strcmp(o.sender, "postmaster@helo.example"),
	      "HELO identity: pass, sender postmaster@HELO");
	rq.helo = "[192.0.2.3]";
	spf_check_helo(dns, &rq, &a, &o);
	CHECK(o.result == SPF_NONE, "HELO identity: an address literal is none");
	rq.helo = "mailhost";
	spf_check_helo(dns, &rq, &a, &o);
	CHECK(o.result == SPF_NONE, "HELO identity: one label is none");
	rq.helo = "10.0.0.1";
	spf_check_helo(dns, &rq, &a, &o);
	CHECK(o.result == SPF_NONE, "HELO identity: a bare address is none");
	arena_free(&a);
}

static void test_zonefile(struct dnsq *dns)
{
	struct dnsq_answer ans;
	struct ms_error err;
	struct arena a;
	struct dnsq *q;

	arena_init(&a);
	dnsq_lookup(dns, "MX.Example.", DNSQ_MX, 0, &a, &ans);
	CHECK(ans.status == DNSQ_OK && ans.n == 2 && ans.rr[0].pref == 10 &&
	      !strcmp(ans.rr[0].name, "mail1.mx.example"),
	      "zone file: MX in file order, names lower case, case-insensitive question");
	dnsq_lookup(dns, "mx.example", DNSQ_A, 0, &a, &ans);
	CHECK(ans.status == DNSQ_NODATA, "zone file: other type at a name: NODATA");
	dnsq_lookup(dns, "in-addr.arpa", DNSQ_TXT, 0, &a, &ans);
	CHECK(ans.status == DNSQ_NODATA, "zone file: an empty non-terminal: NODATA");
	dnsq_lookup(dns, "nowhere.example", DNSQ_TXT, 0, &a, &ans);
	CHECK(ans.status == DNSQ_NXDOMAIN, "zone file: an unlisted name: NXDOMAIN");
	dnsq_lookup(dns, "slow.example", DNSQ_A, 0, &a, &ans);
	CHECK(ans.status == DNSQ_TEMPFAIL, "zone file: TIMEOUT: a temporary failure");
	arena_free(&a);

	q = zonefile_parse((const unsigned char *)"a.example\n", 10, "z", &err);
	CHECK(!q && strstr(err.msg, "z:1:"), "zone file: a line without type: error with line (%s)", err.msg);
	q = zonefile_parse((const unsigned char *)"\n\na.example A 300.1.1.1\n", 23, "z", &err);
	CHECK(!q && strstr(err.msg, "z:3: bad A data"), "zone file: a bad address (%s)", err.msg);
	q = zonefile_parse((const unsigned char *)"a.example TXT \"open\n", 20, "z", &err);
	CHECK(!q && strstr(err.msg, "unclosed"), "zone file: an unclosed quote (%s)", err.msg);
	q = zonefile_parse((const unsigned char *)"a.example SRV x\n", 16, "z", &err);
	CHECK(!q && strstr(err.msg, "unknown type"), "zone file: an unknown type (%s)", err.msg);
}

int main(void)
{
	struct ms_error err;
	struct dnsq *dns = zonefile_parse((const unsigned char *)zone,
					  sizeof(zone) - 1, "test zone", &err);

	test_macros();
	test_records();
	CHECK(dns != NULL, "the test zone loads (%s)", dns ? "ok" : err.msg);
	if (dns) {
		test_zonefile(dns);
		test_check_host(dns);
		test_exp_and_helo(dns);
	}
	dnsq_destroy(dns);
	return unit_done();
}
