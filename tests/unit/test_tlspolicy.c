/*
 * test_tlspolicy.c - the sending-domain TLS policy: the table (modes,
 * names, pins, errors naming the line), certificate names, what a
 * certificate's DER yields (public key hash, DNS names), and the
 * engine's envelope-stage rule in its four modes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certinfo.h"
#include "config.h"
#include "policy.h"
#include "tlspolicy.h"
#include "unit.h"

static char dir[] = "/tmp/ms-tlspolicy-XXXXXX";

/* a certificate made here: Ed25519, CN cn, the SANs given (NULL: no
 * subjectAltName), self-signed; its DER into *der, and the SHA-256 of
 * its public key computed independently of certinfo (EVP_PKEY DER) */
static int make_cert(const char *cn, const char *sans, unsigned char **der,
		     int *derlen, unsigned char spki[32])
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *x = X509_new();
	X509_NAME *n;
	unsigned char *pub = NULL;
	unsigned int mdlen;
	int publen, ok = 0;

	if (!k || !x)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
				   (const unsigned char *)"test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (sans) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL,
							NID_subject_alt_name,
							sans);

		if (!e)
			goto out;
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	if (!X509_sign(x, k, NULL))
		goto out;
	*der = NULL;
	*derlen = i2d_X509(x, der);
	publen = i2d_PUBKEY(k, &pub);
	ok = *derlen > 0 && publen > 0 &&
	     EVP_Digest(pub, (size_t)publen, spki, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(pub);
out:
	X509_free(x);
	EVP_PKEY_free(k);
	return ok;
}

static void hex(const unsigned char *b, size_t n, char *out, int colons)
{
	size_t i;

	for (i = 0; i < n; i++)
		out += sprintf(out, colons && i ? ":%02X" : "%02x", b[i]);
}

static void test_names(void)
{
	static const struct {
		const char *want, *cert;
		int match;
	} t[] = {
		{ "mx1.example.com", "mx1.example.com", 1 },
		{ "mx1.example.com", "MX1.Example.COM", 1 },
		{ "mx1.example.com", "mx2.example.com", 0 },
		{ "mx1.example.com", "*.example.com", 1 },
		{ "a.mx1.example.com", "*.example.com", 0 },
		{ "example.com", "*.example.com", 0 },
		{ ".example.com", "mx1.example.com", 1 },
		{ ".example.com", "example.com", 0 },
		{ ".example.com", "mx1.example.com.evil", 0 },
		{ ".example.com", "*.example.com", 1 },
		{ "mx1.example.com", "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(tls_name_match(t[i].want, t[i].cert) == t[i].match,
		      "name: policy %s, certificate %s: %s", t[i].want,
		      t[i].cert, t[i].match ? "carried" : "not carried");
}

static void test_table(void)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "bank.example\n", "t:1: bank.example: the mode must be" },
		{ "# c\nbank.example demand\n", "t:2: bank.example: the mode must be off, log, test or require, not \"demand\"" },
		{ "bank.example require name=\n", "t:1: \"\" is not a host name" },
		{ "bank.example require pin=abcd\n", "t:1: \"abcd\" is not a SHA-256 public key hash" },
		{ "bank.example require cn=x\n", "t:1: \"cn=x\" is neither name=HOST nor pin=HEX" },
		{ "bank..example require\n", "t:1: \"bank..example\" is not a domain" },
	};
	struct ms_error err;
	struct tlspolicy *tp;
	const struct tlspolicy_entry *e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tp = tlspolicy_parse(bad[i].text, "t", &err);
		CHECK(!tp && strstr(err.msg, bad[i].want),
		      "table: an error names the line: %s", tp ? "(parsed)" : err.msg);
		tlspolicy_free(tp);
	}
	tp = tlspolicy_parse("bank.example require name=mx1.bank.example name=.mail.bank.example "
			     "pin=AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89 "
			     "pin=0000000000000000000000000000000000000000000000000000000000000000\n"
			     ".bank.example test\n"
			     "shop.example log name=mx.shop.example  # trying it out\n"
			     "old.example off\n", "t", &err);
	CHECK(tp && tlspolicy_size(tp) == 4, "table: four lines, comments and spacing (%s)",
	      tp ? "ok" : err.msg);
	if (!tp)
		return;
	e = tlspolicy_find(tp, "bank.example");
	CHECK(e && e->mode == TLS_MODE_REQUIRE && e->nnames == 2 && e->npins == 2 &&
	      e->pins[0][0] == 0xab, "table: require with two names and two pins (colon and plain hex)");
	e = tlspolicy_find(tp, "eu.bank.example");
	CHECK(e && e->mode == TLS_MODE_TEST && !strcmp(e->pattern, ".bank.example"),
	      "table: a subdomain takes the .bank.example line");
	CHECK(tlspolicy_find(tp, "other.example") == NULL, "table: an unlisted domain has no line");
	CHECK(!strcmp(tls_mode_str(tlspolicy_find(tp, "old.example")->mode), "off"),
	      "table: off is a mode");
	tlspolicy_free(tp);
}

static void test_certinfo(void)
{
	unsigned char *der = NULL, spki[32];
	struct certinfo ci;
	struct ms_error err;
	struct arena a;
	int len;

	arena_init(&a);
	if (!make_cert("client one", "DNS:mx1.bank.example, DNS:*.mail.bank.example, IP:192.0.2.1",
		       &der, &len, spki)) {
		unit_failf("certinfo", "cannot make a certificate");
		arena_free(&a);
		return;
	}
	CHECK(certinfo_from_der(der, (size_t)len, &a, &ci, &err) == MS_OK &&
	      !memcmp(ci.spki, spki, 32) && ci.nnames == 2 &&
	      !strcmp(ci.names[0], "mx1.bank.example") &&
	      !strcmp(ci.names[1], "*.mail.bank.example"),
	      "certinfo: the public key's SHA-256 and the DNS SANs (not the IP, not the CN)");
	CHECK(certinfo_from_der(der, (size_t)len - 1, &a, &ci, &err) != MS_OK,
	      "certinfo: a truncated certificate is refused (%s)", err.msg);
	{
		unsigned char *more = malloc((size_t)len + 1);

		memcpy(more, der, (size_t)len);
		more[len] = 0;
		CHECK(certinfo_from_der(more, (size_t)len + 1, &a, &ci, &err) != MS_OK &&
		      strstr(err.msg, "bytes after"),
		      "certinfo: bytes after the certificate are refused");
		free(more);
	}
	CHECK(certinfo_from_der((const unsigned char *)"not der", 7, &a, &ci, &err) != MS_OK,
	      "certinfo: garbage is refused (%s)", err.msg);
	OPENSSL_free(der);
	if (make_cert("mx9.shop.example", NULL, &der, &len, spki))
		CHECK(certinfo_from_der(der, (size_t)len, &a, &ci, &err) == MS_OK &&
		      ci.nnames == 1 && !strcmp(ci.names[0], "mx9.shop.example"),
		      "certinfo: without SANs, the CN is the name");
	OPENSSL_free(der);
	arena_free(&a);
}

/* serial_text - certinfo's text of the serial given in hex */
static void serial_text(const char *hex_serial, const X509_NAME *issuer,
			char out[CERTINFO_SERIAL_MAX])
{
	ASN1_INTEGER *i = ASN1_INTEGER_new();
	BIGNUM *bn = NULL;
	char iss[33];

	BN_hex2bn(&bn, hex_serial);
	BN_to_ASN1_INTEGER(bn, i);
	certinfo_serial_issuer(i, issuer, out, iss);
	BN_free(bn);
	ASN1_INTEGER_free(i);
}

/* certinfo_serial_issuer: a serial as text, one text per serial: long
 * (past RFC 5280's 20 bytes, which real CAs and CRLs break) and negative
 * serials included */
static void test_serials(void)
{
	X509_NAME *issuer = X509_NAME_new();
	ASN1_INTEGER *i = ASN1_INTEGER_new();
	char a[CERTINFO_SERIAL_MAX], b[CERTINFO_SERIAL_MAX], iss[33];

	X509_NAME_add_entry_by_txt(issuer, "CN", MBSTRING_ASC,
				   (const unsigned char *)"CA", -1, -1, 0);
	ASN1_INTEGER_set(i, 0x1234);
	certinfo_serial_issuer(i, issuer, a, iss);
	CHECK(!strcmp(a, "1234") && strlen(iss) == 32, "serial: 0x1234 is \"1234\" (%s)", a);
	serial_text("0", issuer, a);
	CHECK(!strcmp(a, "0"), "serial: zero is \"0\" (%s)", a);
	serial_text("-1234", issuer, b);
	CHECK(!strcmp(b, "-1234"), "serial: a negative serial keeps its sign (%s)", b);
	/* 20 bytes: the longest RFC 5280 allows, in full */
	serial_text("7f0102030405060708090a0b0c0d0e0f10111213", issuer, a);
	CHECK(!strcmp(a, "7f0102030405060708090a0b0c0d0e0f10111213"),
	      "serial: 20 bytes in full (%s)", a);
	/* two of 24 bytes that share their first 20: not the same text */
	serial_text("7f0102030405060708090a0b0c0d0e0f1011121314151617", issuer, a);
	serial_text("7f0102030405060708090a0b0c0d0e0f10111213ffffffff", issuer, b);
	CHECK(strcmp(a, b) != 0 && strlen(a) < CERTINFO_SERIAL_MAX,
	      "serial: past 20 bytes, serials that differ stay apart (%s, %s)", a, b);
	/* past 32 bytes: "h" and a hash, still one text per serial */
	serial_text("7f0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021", issuer, a);
	serial_text("7f0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2022", issuer, b);
	CHECK(a[0] == 'h' && strlen(a) == 65 && strcmp(a, b) != 0,
	      "serial: past 32 bytes, \"h\" and the SHA-256 (%s)", a);
	ASN1_INTEGER_free(i);
	X509_NAME_free(issuer);
}

/* the engine's rule: the verdict for a sender and what the MTA told */
static void test_rule(void)
{
	unsigned char *der = NULL, spki[32], other[32];
	char spki_hex[100], spki_colons[100], path[300];
	struct ms_config cfg;
	struct ms_error err;
	struct policy *p;
	struct policy_verdict v;
	struct certinfo ci;
	struct arena a;
	int len;
	FILE *f;

	arena_init(&a);
	if (!make_cert("x", "DNS:mx1.bank.example", &der, &len, spki) ||
	    certinfo_from_der(der, (size_t)len, &a, &ci, &err) != MS_OK) {
		unit_failf("rule", "cannot make a certificate");
		return;
	}
	OPENSSL_free(der);
	memset(other, 0x11, sizeof(other));
	hex(spki, 32, spki_hex, 0);
	hex(spki, 32, spki_colons, 1);
	snprintf(path, sizeof(path), "%s/tls.policy", dir);
	f = fopen(path, "w");
	fprintf(f, "bank.example require name=mx1.bank.example pin=%s\n"
		"test.example test name=mx1.bank.example\n"
		"log.example log pin=%s\n"
		"off.example off\n", spki_hex,
		"1111111111111111111111111111111111111111111111111111111111111111");
	fclose(f);
	config_init(&cfg);
	config_set(&cfg, "tls_policy", path, "t", 1, &err);
	p = policy_new(&cfg, &err);
	CHECK(p != NULL, "rule: an engine with tls_policy (%s)", p ? "" : err.msg);
	if (!p) {
		config_free(&cfg);
		return;
	}
	{
		/* Exim: the DER's names and key */
		struct policy_tls t = { .encrypted = 1, .verified_subject = "mx1.bank.example",
					.names = ci.names, .nnames = ci.nnames, .spki = ci.spki };

		policy_check_sender(p, "a@bank.example", &t, &v);
		CHECK(v.action == POLICY_ACCEPT && !v.log_accept,
		      "rule: require, the right name and pin (Exim's view): accepted");
		t.spki = other;
		policy_check_sender(p, "a@bank.example", &t, &v);
		CHECK(v.action == POLICY_REJECT && v.code == 550 && !strcmp(v.dsn, "5.7.1") &&
		      strstr(v.text, "public key is not one pinned"),
		      "rule: require, another key: 550 5.7.1 (%s)", v.text);
		t.spki = ci.spki;
		t.encrypted = 0;
		policy_check_sender(p, "a@bank.example", &t, &v);
		CHECK(v.action == POLICY_REJECT && strstr(v.text, "not encrypted") &&
		      strstr(v.log, "tls_policy=require tls=no"),
		      "rule: require, plain SMTP: refused (%s)", v.log);
	}
	{
		/* Postfix: the one verified name, the key's hash as text */
		struct policy_tls t = { .encrypted = 1, .verified_subject = "mx1.bank.example",
					.cert_fp = "AB", .pubkey_fp = spki_colons };

		policy_check_sender(p, "a@Bank.Example", &t, &v);
		CHECK(v.action == POLICY_ACCEPT, "rule: require, Postfix's ccert_subject and pubkey fingerprint: accepted");
		t.verified_subject = "mx2.bank.example";
		policy_check_sender(p, "a@bank.example", &t, &v);
		CHECK(v.action == POLICY_REJECT &&
		      strstr(v.text, "(mx2.bank.example) does not carry a name"),
		      "rule: require, another name: refused (%s)", v.text);
		t.verified_subject = "mx1.bank.example";
		t.pubkey_fp = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
		policy_check_sender(p, "a@bank.example", &t, &v);
		CHECK(v.action == POLICY_REJECT && strstr(v.text, "not known as SHA-256"),
		      "rule: require, an MD5 pubkey fingerprint: refused, saying the digest is unknown (%s)", v.text);
		t.pubkey_fp = spki_colons;
		t.verified_subject = "";
		policy_check_sender(p, "a@bank.example", &t, &v);
		CHECK(v.action == POLICY_REJECT && strstr(v.text, "no client certificate that verifies"),
		      "rule: require, a certificate that did not verify: refused");
		t.verified_subject = "mx9.elsewhere.example";
		policy_check_sender(p, "a@test.example", &t, &v);
		CHECK(v.action == POLICY_TEMPFAIL && v.code == 451 && !strcmp(v.dsn, "4.7.1") &&
		      strstr(v.text, "test mode"),
		      "rule: test mode, a wrong name: deferred 451 4.7.1 (%s)", v.text);
		policy_check_sender(p, "a@log.example", &t, &v);
		CHECK(v.action == POLICY_ACCEPT && v.log_accept &&
		      strstr(v.log, "tls_policy=log") && strstr(v.log, "would_refuse=\"the client certificate's public key is not one pinned"),
		      "rule: log mode, a wrong pin: accepted, logged (%s)", v.log);
		t.encrypted = 0;
		policy_check_sender(p, "a@off.example", &t, &v);
		CHECK(v.action == POLICY_ACCEPT && !v.log_accept, "rule: off: accepted, not logged");
		policy_check_sender(p, "a@unlisted.example", &t, &v);
		CHECK(v.action == POLICY_ACCEPT && !v.log_accept, "rule: an unlisted domain: accepted");
		policy_check_sender(p, "", &t, &v);
		CHECK(v.action == POLICY_ACCEPT, "rule: the null sender: accepted");
	}
	policy_free(p);
	config_set(&cfg, "require_tls", "bank.example", "t", 2, &err);
	p = policy_new(&cfg, &err);
	CHECK(!p && strstr(err.msg, "tls_policy replaces require_tls and tls_pins"),
	      "rule: tls_policy with require_tls: an error naming the setting (%s)",
	      p ? "loaded" : err.msg);
	policy_free(p);
	config_free(&cfg);
	arena_free(&a);
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(dir)) {
		unit_failf("setup", "cannot make %s", dir);
		return unit_done();
	}
	test_names();
	test_table();
	test_certinfo();
	test_serials();
	test_rule();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return unit_done();
}
