/*
 * test_signtable.c - the signing table: patterns, several keys per
 * domain, errors that name file and line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "signtable.h"
#include "unit.h"

int main(void)
{
	char dir[] = "/tmp/mailseal-st-XXXXXX", rsa[256], ed[256], text[2048];
	const struct signtable_entry *e;
	struct signtable *st;
	struct ms_error err;
	EVP_PKEY *k;
	size_t n;

	if (!mkdtemp(dir)) {
		unit_failf("signtable: temp dir", "mkdtemp failed");
		return unit_done();
	}
	snprintf(rsa, sizeof(rsa), "%s/rsa.pem", dir);
	snprintf(ed, sizeof(ed), "%s/ed.pem", dir);
	crypto_keygen(DKIM_ALG_RSA_SHA256, 2048, &k, &err);
	crypto_write_private_pem(k, rsa, &err);
	crypto_pkey_free(k);
	crypto_keygen(DKIM_ALG_ED25519_SHA256, 0, &k, &err);
	crypto_write_private_pem(k, ed, &err);
	crypto_pkey_free(k);

	snprintf(text, sizeof(text),
		 "# domain selector key\n"
		 "example.com   rsa2026 %s\n"
		 "example.com   ed2026  %s   # dual signing\n"
		 ".example.com  sub     %s\n"
		 "\n"
		 "other.example ed      %s\n", rsa, ed, rsa, ed);
	st = signtable_parse(text, "signing_table", &err);
	CHECK(st != NULL, "signing table parses (%s)", st ? "" : err.msg);
	if (st) {
		n = signtable_lookup(st, "example.com", &e);
		CHECK(n == 2 && e && strcmp(e[0].domain, "example.com") == 0 &&
		      crypto_key_alg(e[0].pkey) != crypto_key_alg(e[1].pkey),
		      "example.com: two keys, RSA and Ed25519");
		n = signtable_lookup(st, "Mail.Example.COM", &e);
		CHECK(n == 1 && strcmp(e[0].selector, "sub") == 0 &&
		      strcmp(e[0].domain, "example.com") == 0,
		      "a subdomain: the .example.com line, signing as example.com");
		n = signtable_lookup(st, "other.example", &e);
		CHECK(n == 1 && crypto_key_alg(e[0].pkey) == DKIM_ALG_ED25519_SHA256,
		      "other.example: its Ed25519 key");
		n = signtable_lookup(st, "example.org", &e);
		CHECK(n == 0 && e == NULL, "a domain not in the table: nothing");
		signtable_free(st);
	}

	snprintf(text, sizeof(text), "example.com rsa %s\nexample.net ed %s/missing.pem\n",
		 rsa, dir);
	st = signtable_parse(text, "signing_table", &err);
	CHECK(!st && strstr(err.msg, "signing_table:2:") && strstr(err.msg, "missing.pem"),
	      "an unreadable key names table line and key file (%s)", err.msg);
	st = signtable_parse("example.com rsa\n", "signing_table", &err);
	CHECK(!st && strstr(err.msg, "signing_table:1: expected DOMAIN SELECTOR KEYFILE"),
	      "a short line is refused");
	st = signtable_parse("exa mple..com rsa /x\n", "signing_table", &err);
	CHECK(!st, "a bad domain is refused");
	st = signtable_load("/nonexistent/signing_table", &err);
	CHECK(!st && err.code == MS_ERR_IO, "a missing table is an I/O error");

	unlink(rsa);
	unlink(ed);
	rmdir(dir);
	return unit_done();
}
