/*
 * test_dmarcrow.c - DMARC aggregate-report rows and their XML: the one
 * canonical serialization (a golden string, round trips, every
 * non-canonical or invalid form refused), the stored counts, the HMAC
 * of a stored row, and the RFC 9990 writer (every element, escaping,
 * what our schema cannot carry).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dmarcrow.h"
#include "dmarcstore.h"
#include "dmarcxml.h"
#include "unit.h"

#define esc unit_esc

static struct dmarc_row base_row(void)
{
	struct dmarc_row r = {
		.policy_domain = "example.com", .p = "reject", .sp = "",
		.np = "", .adkim = 'r', .aspf = 's', .testing = 'n',
		.discovery = "treewalk", .rua = "mailto:d@example.com",
		.source_ip = "192.0.2.1", .disposition = "none",
		.dkim = "pass", .spf = "fail",
		.header_from = "example.com", .envelope_from = "",
		.envelope_to = "rx.example", .spf_domain = "helo.example",
		.spf_scope = "mfrom", .spf_result = "none",
	};

	return r;
}

static void test_golden(void)
{
	struct dmarc_row r = base_row();
	struct buf b;
	static const char want[] =
		"R1 example.com reject - - r s n treewalk mailto:d@example.com "
		"192.0.2.1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom none 0";

	buf_init(&b, 4096);
	CHECK(dmarc_row_serialize(&r, &b) == MS_OK &&
	      strcmp(buf_str(&b), want) == 0, "golden row: %s",
	      esc(b.data, b.len));
	buf_free(&b);
}

static void test_round_trip(void)
{
	struct dmarc_row r = base_row(), back;
	struct buf b, b2;
	struct arena a;

	r.rua = "mailto:a@x.example!10m, mailto:%62@y.example \xc3\xa9";
	r.np = "quarantine";
	r.sp = "none";
	r.testing = 'y';
	r.source_ip = "2001:db8::1";
	r.nreasons = 2;
	r.reasons[0].type = "local_policy";
	r.reasons[0].comment = "on_dmarc_reject = tag";
	r.reasons[1].type = "policy_test_mode";
	r.reasons[1].comment = "-";
	r.nsigs = 2;
	r.sigs[0] = (struct dmarc_row_sig){ "example.com", "s1", "pass" };
	r.sigs[1] = (struct dmarc_row_sig){ "other.example", "a b", "permerror" };
	buf_init(&b, 4096);
	buf_init(&b2, 4096);
	arena_init(&a);
	CHECK(dmarc_row_serialize(&r, &b) == MS_OK, "full row serializes");
	CHECK(strstr(buf_str(&b), "%2C") == NULL &&
	      strstr(buf_str(&b), "!10m,%20mailto:%2562@y.example%20%C3%A9"),
	      "escapes: space, %% and 8-bit bytes: %s", esc(b.data, b.len));
	CHECK(strstr(buf_str(&b), " %2D ") != NULL, "a lone - is %%2D");
	CHECK(dmarc_row_parse(b.data, b.len, &a, &back) == MS_OK,
	      "full row parses back");
	CHECK(dmarc_row_serialize(&back, &b2) == MS_OK && b2.len == b.len &&
	      memcmp(b.data, b2.data, b.len) == 0, "round trip is exact");
	CHECK(strcmp(back.rua, r.rua) == 0 && strcmp(back.sigs[1].selector,
						     "a b") == 0 &&
	      strcmp(back.reasons[1].comment, "-") == 0 &&
	      back.testing == 'y' && strcmp(back.np, "quarantine") == 0,
	      "values come back");
	CHECK(dmarc_row_same_policy(&r, &back), "same policy");
	back.rua = "mailto:other@example.com";
	CHECK(!dmarc_row_same_policy(&r, &back), "another rua: another policy");
	arena_free(&a);
	buf_free(&b);
	buf_free(&b2);
}

static void test_refused(void)
{
	static const char *const bad[] = {
		"",
		"R1",
		"R2 example.com reject - - r s n treewalk mailto:d@example.com "
		"192.0.2.1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom none 0",
		/* trailing space, double space */
		"R1 example.com reject - - r s n treewalk mailto:d@example.com "
		"192.0.2.1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom none 0 ",
		"R1 example.com reject - -  r s n treewalk mailto:d@example.com "
		"192.0.2.1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom none 0",
		/* a field missing, one too many */
		"R1 example.com reject - - r s n treewalk mailto:d@example.com "
		"192.0.2.1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom none",
		"R1 example.com reject - - r s n treewalk mailto:d@example.com "
		"192.0.2.1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom none 0 x",
		/* words outside the schema */
		"R1 example.com block - - r s n treewalk mailto:d@example.com "
		"192.0.2.1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom none 0",
		"R1 example.com reject - - r s n treewalk mailto:d@example.com "
		"192.0.2.1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom unknown 0",
		"R1 example.com reject - - r s n treewalk mailto:d@example.com "
		"192.0.2.1 none pass fail 1 sampled_out - example.com - "
		"rx.example helo.example mfrom none 0",
		/* an address not in canonical form */
		"R1 example.com reject - - r s n treewalk mailto:d@example.com "
		"::ffff:192.0.2.1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom none 0",
		"R1 example.com reject - - r s n treewalk mailto:d@example.com "
		"2001:DB8::1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom none 0",
		/* escapes that are not the canonical ones */
		"R1 %65xample.com reject - - r s n treewalk mailto:d@example.com "
		"192.0.2.1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom none 0",
		"R1 example.com reject - - r s n treewalk mailto:d%2fx "
		"192.0.2.1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom none 0",
		"R1 example.com reject - - r s n treewalk mailto:d%00x "
		"192.0.2.1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom none 0",
		"R1 example.com reject - - r s n treewalk mailto:d%2 "
		"192.0.2.1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom none 0",
		/* counts: a leading zero, more signatures than the limit */
		"R1 example.com reject - - r s n treewalk mailto:d@example.com "
		"192.0.2.1 none pass fail 00 example.com - rx.example "
		"helo.example mfrom none 0",
		"R1 example.com reject - - r s n treewalk mailto:d@example.com "
		"192.0.2.1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom none 9",
		/* an empty header_from, an empty rua */
		"R1 example.com reject - - r s n treewalk mailto:d@example.com "
		"192.0.2.1 none pass fail 0 - - rx.example "
		"helo.example mfrom none 0",
		"R1 example.com reject - - r s n treewalk - "
		"192.0.2.1 none pass fail 0 example.com - rx.example "
		"helo.example mfrom none 0",
	};
	struct dmarc_row r;
	struct arena a;
	size_t i;

	arena_init(&a);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(dmarc_row_parse((const unsigned char *)bad[i],
				      strlen(bad[i]), &a, &r) == MS_ERR_SYNTAX,
		      "refused: %s", esc(bad[i], strlen(bad[i])));
	arena_free(&a);
}

static void test_invalid_rows(void)
{
	struct dmarc_row r = base_row();
	struct buf b;
	char ip[46];

	buf_init(&b, 4096);
	r.disposition = "pass";
	CHECK(dmarc_row_serialize(&r, &b) == MS_ERR_SYNTAX && b.len == 0,
	      "a disposition we never apply is refused");
	r = base_row();
	r.source_ip = "not-an-ip";
	CHECK(dmarc_row_check(&r) != NULL, "a source that is no address");
	r = base_row();
	r.nsigs = MS_DMARC_ROW_SIGS + 1;
	CHECK(dmarc_row_check(&r) != NULL, "too many signatures");
	CHECK(dmarc_row_ip_canon("::ffff:192.0.2.7", ip) &&
	      strcmp(ip, "192.0.2.7") == 0, "an IPv4-mapped address is IPv4");
	CHECK(dmarc_row_ip_canon("2001:DB8:0::1", ip) &&
	      strcmp(ip, "2001:db8::1") == 0, "IPv6 canonical form");
	CHECK(!dmarc_row_ip_canon("192.0.2", ip) && !dmarc_row_ip_canon(NULL, ip),
	      "no address, no form");
	buf_free(&b);
}

static void test_counts_and_mac(void)
{
	static const struct {
		const char *s;
		int ok;
		uint64_t n;
	} t[] = {
		{ "1", 1, 1 }, { "42", 1, 42 },
		{ "9223372036854775807", 1, 9223372036854775807ULL },
		{ "0", 0, 0 }, { "01", 0, 0 }, { "-1", 0, 0 }, { "", 0, 0 },
		{ "9223372036854775808", 0, 0 }, { "1 ", 0, 0 }, { "+1", 0, 0 },
	};
	const unsigned char row[] = "R1 x";
	struct buf f;
	uint64_t n;
	size_t i, len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum ms_status st = dmarcstore_count_parse(t[i].s, strlen(t[i].s),
							   &n);

		CHECK(t[i].ok ? st == MS_OK && n == t[i].n : st != MS_OK,
		      "count \"%s\"", t[i].s);
	}
	buf_init(&f, 4096);
	CHECK(dmarcstore_field("s3cret", "2026-05-01", "example.com", row, 4,
			       &f) == MS_OK && f.len == 4 + 1 + 32,
	      "field: row, space, 32 hex digits");
	CHECK(dmarcstore_field_row("s3cret", "2026-05-01", "example.com",
				   f.data, f.len, &len) == MS_OK && len == 4,
	      "its HMAC checks");
	CHECK(dmarcstore_field_row("s3cret", "2026-05-02", "example.com",
				   f.data, f.len, &len) == MS_ERR_CRYPTO,
	      "moved to another day: refused");
	CHECK(dmarcstore_field_row("s3cret", "2026-05-01", "example.net",
				   f.data, f.len, &len) == MS_ERR_CRYPTO,
	      "moved to another domain: refused");
	f.data[1] = '2';
	CHECK(dmarcstore_field_row("s3cret", "2026-05-01", "example.com",
				   f.data, f.len, &len) == MS_ERR_CRYPTO,
	      "a changed row: refused");
	CHECK(dmarcstore_field_row("s3cret", "2026-05-01", "example.com",
				   row, 4, &len) == MS_ERR_SYNTAX,
	      "no HMAC where the farm has a secret: refused");
	CHECK(dmarcstore_field_row("", "2026-05-01", "example.com", row, 4,
				   &len) == MS_OK && len == 4,
	      "without a secret the field is the row");
	CHECK(dmarcstore_day_ok("2026-05-01") && !dmarcstore_day_ok("2026-5-01") &&
	      !dmarcstore_day_ok("2026-05-01x") && !dmarcstore_day_ok("2026/05/01"),
	      "day shape");
	buf_free(&f);
}

static int has(const struct buf *b, const char *s)
{
	return strstr(buf_str(b), s) != NULL;
}

static void test_xml(void)
{
	struct dmarc_row r1 = base_row(), r2 = base_row();
	const struct dmarc_row *rows[2] = { &r1, &r2 };
	const uint64_t counts[2] = { 7, 1 };
	const char *errors[2] = { "first & one", "second" };
	struct dmarc_report_meta m = {
		.org_name = "Org <&> \"q\" 'a'", .email = "r@rx.example",
		.extra_contact = "tel:+1", .report_id = "id1@rx.example",
		.begin = 1777593600, .end = 1777679999,
		.errors = errors, .nerrors = 2,
	};
	static const char *const elems[] = {
		"<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">",
		"<version>1.0</version>", "<report_metadata>",
		"<org_name>Org &lt;&amp;&gt; &quot;q&quot; &apos;a&apos;</org_name>",
		"<email>r@rx.example</email>",
		"<extra_contact_info>tel:+1</extra_contact_info>",
		"<report_id>id1@rx.example</report_id>",
		"<begin>1777593600</begin>", "<end>1777679999</end>",
		"<error>first &amp; one; second</error>",
		"<policy_published>", "<domain>example.com</domain>",
		"<discovery_method>treewalk</discovery_method>", "<p>reject</p>",
		"<sp>reject</sp>", "<adkim>r</adkim>", "<aspf>s</aspf>",
		"<testing>n</testing>", "<record>", "<row>",
		"<source_ip>192.0.2.1</source_ip>", "<count>7</count>",
		"<policy_evaluated>", "<disposition>none</disposition>",
		"<dkim>pass</dkim>", "<spf>fail</spf>",
		"<type>local_policy</type>", "<comment>dmarc_exempt</comment>",
		"<type>other</type>",
		"<comment>policy_test_mode: t=y</comment>", "<identifiers>",
		"<envelope_to>rx.example</envelope_to>",
		"<envelope_from></envelope_from>",
		"<header_from>a?b&lt;?\xc3\xa9</header_from>", "<auth_results>",
		"<selector>sel</selector>", "<result>temperror</result>",
		"<domain>helo.example</domain>", "<scope>mfrom</scope>",
		"<result>none</result>", "<count>1</count>", "</feedback>",
	};
	struct buf b;
	size_t i;

	r1.nreasons = 2;
	r1.reasons[0] = (struct dmarc_row_reason){ "local_policy", "dmarc_exempt" };
	r1.reasons[1] = (struct dmarc_row_reason){ "policy_test_mode", "t=y" };
	r1.header_from = "a\x01" "b<\xff\xc3\xa9";
	r1.nsigs = 1;
	r1.sigs[0] = (struct dmarc_row_sig){ "example.com", "sel", "temperror" };
	r2.envelope_to = "";
	buf_init(&b, 1 << 20);
	CHECK(dmarcxml_write(&m, rows, counts, 2, &b) == MS_OK, "report written");
	for (i = 0; i < sizeof(elems) / sizeof(elems[0]); i++)
		CHECK(has(&b, elems[i]), "xml has %s", esc(elems[i], strlen(elems[i])));
	CHECK(!has(&b, "<np>") && !has(&b, "policy_test_mode</type>") &&
	      !has(&b, "mailto:"), "no np, no policy_test_mode type, no rua");
	CHECK(strstr(strstr(buf_str(&b), "<count>1</count>"), "<envelope_to>")
	      == NULL, "an unknown envelope_to is left out");
	buf_reset(&b);
	r2.p = "none";
	CHECK(dmarcxml_write(&m, rows, counts, 2, &b) == MS_ERR_USAGE &&
	      b.len == 0, "two policies in one report: refused");
	CHECK(dmarcxml_write(&m, rows, counts, 0, &b) == MS_ERR_USAGE,
	      "no record: refused (the schema wants one)");
	buf_free(&b);
	buf_init(&b, 100);
	r2 = base_row();
	CHECK(dmarcxml_write(&m, rows, counts, 2, &b) == MS_ERR_LIMIT &&
	      b.len == 0, "too large for out: nothing half written");
	buf_free(&b);
}

int main(void)
{
	test_golden();
	test_round_trip();
	test_refused();
	test_invalid_rows();
	test_counts_and_mac();
	test_xml();
	return unit_done();
}
