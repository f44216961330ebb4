/*
 * test_keyrec.c - the DKIM key record parser (RFC 6376 section 3.6.1,
 * RFC 8463): RSA keys as SubjectPublicKeyInfo and as bare RSAPublicKey,
 * Ed25519 raw keys, revocation, t= flags, h= and s= lists, k= unknown,
 * v= placement, bad base64 and bad key bytes.  Parsed keys are checked
 * to really be the keys: a digest signed with the private half verifies
 * with the parsed public half.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "crypto.h"
#include "keyrec.h"
#include "ms_limits.h"
#include "unit.h"

/* RFC 8463 Appendix A.2, test._domainkey.football.example.com (1024) */
static const char rsa1024[] =
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";
/* RFC 8463 Appendix A.2, brisbane._domainkey.football.example.com */
static const char ed_rfc[] = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

/* one RSA 2048 key made with openssl genpkey, as SubjectPublicKeyInfo
 * (openssl pkey -pubout -outform DER) and as the bare PKCS#1
 * RSAPublicKey (openssl rsa -RSAPublicKey_out -outform DER) */
static const char rsa2048_spki[] =
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA6k1qWFy8lPnmwykfT5Sf2J5rQ+IyhQqTS5SvvWk0mIm9uoZKUio+W7YmDdX7rjuJG7ZEMqPazulvVHYWXVrfY1K/7mRDaKFBYcYol2lTLOfvFa8fqMFbWPmBHzrn+3MGwEAGbjAi/VW08E5eWB+qqzFZils414mL1jfh03ZCxF4Kvz3nd0OIX/sFHHT3kvpXZHO7D4zkvcMJXqDCkC4u/Osp1KH0KxMtw55/IqwLMPz5FfW2x76vSAx2Vg91We20V8y0GRqbf1c2HtKE+xpY4P3gPQn8MbQaTBCQMsA/JHKJ4j6/x1AqtrjEf+PBtM3791DZ3udG9zZE/0gETY+lswIDAQAB";
static const char rsa2048_pkcs1[] =
	"MIIBCgKCAQEA6k1qWFy8lPnmwykfT5Sf2J5rQ+IyhQqTS5SvvWk0mIm9uoZKUio+W7YmDdX7rjuJG7ZEMqPazulvVHYWXVrfY1K/7mRDaKFBYcYol2lTLOfvFa8fqMFbWPmBHzrn+3MGwEAGbjAi/VW08E5eWB+qqzFZils414mL1jfh03ZCxF4Kvz3nd0OIX/sFHHT3kvpXZHO7D4zkvcMJXqDCkC4u/Osp1KH0KxMtw55/IqwLMPz5FfW2x76vSAx2Vg91We20V8y0GRqbf1c2HtKE+xpY4P3gPQn8MbQaTBCQMsA/JHKJ4j6/x1AqtrjEf+PBtM3791DZ3udG9zZE/0gETY+lswIDAQAB";
/* an Ed25519 public key wrapped in SubjectPublicKeyInfo: RFC 8463 wants
 * the 32 raw bytes */
static const char ed_spki[] = "MCowBQYDK2VwAyEAE7Lu+ZFyNpTrR+QVQIpiFgNs8sJhD0vWq6A5Qnukgac=";
/* 31 and 33 bytes */
static const char ed_short[] = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUQ==";
static const char ed_long[] = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURoA";
/* valid base64, not DER */
static const char junk_der[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g";

#define ANY_ERR ((enum ms_status)-1)

enum want_type { W_ANY = 0, W_RSA, W_ED, W_OTHER };

struct kcase {
	const char *fmt;                /* one %s: the key */
	const char *key;
	enum ms_status st;
	enum want_type type;
	int revoked, testing, strict, sha256_ok, email_ok;
	unsigned bits;                  /* 0: not checked */
	const char *what;
};

#define OKRSA(f, k, t, s, h, e, bits, what) \
	{ f, k, MS_OK, W_RSA, 0, t, s, h, e, bits, what }
#define FAIL(f, k, what) { f, k, ANY_ERR, W_ANY, 0, 0, 0, 0, 0, 0, what }

static const struct kcase cases[] = {
	/* RSA forms */
	OKRSA("v=DKIM1; k=rsa; p=%s", rsa1024, 0, 0, 1, 1, 1024, "RSA 1024 SubjectPublicKeyInfo (RFC 8463 A.2)"),
	OKRSA("v=DKIM1; k=rsa; p=%s", rsa2048_spki, 0, 0, 1, 1, 2048, "RSA 2048 SubjectPublicKeyInfo"),
	OKRSA("v=DKIM1; k=rsa; p=%s", rsa2048_pkcs1, 0, 0, 1, 1, 2048, "RSA 2048 bare RSAPublicKey"),
	OKRSA("p=%s", rsa2048_spki, 0, 0, 1, 1, 2048, "only p=: k= defaults to rsa, v= optional"),
	OKRSA("v=DKIM1; k=RSA; p=%s", rsa2048_spki, 0, 0, 1, 1, 2048, "k=RSA in capitals"),
	OKRSA("v=DKIM1; p=%s; n=a note; x=unknown", rsa2048_spki, 0, 0, 1, 1, 2048, "n= and unknown tags ignored"),
	OKRSA("v=DKIM1;k=rsa;p=%s;", rsa2048_spki, 0, 0, 1, 1, 2048, "no spaces, trailing ';'"),
	/* Ed25519 */
	{ "v=DKIM1; k=ed25519; p=%s", ed_rfc, MS_OK, W_ED, 0, 0, 0, 1, 1, 256, "Ed25519 raw key (RFC 8463 A.2)" },
	{ "v=DKIM1; k=ED25519; p=%s", ed_rfc, MS_OK, W_ED, 0, 0, 0, 1, 1, 256, "k=ED25519 in capitals" },
	FAIL("v=DKIM1; k=ed25519; p=%s", ed_spki, "Ed25519 key in SubjectPublicKeyInfo (RFC 8463: raw 32 bytes)"),
	FAIL("v=DKIM1; k=ed25519; p=%s", ed_short, "Ed25519 key of 31 bytes"),
	FAIL("v=DKIM1; k=ed25519; p=%s", ed_long, "Ed25519 key of 33 bytes"),
	FAIL("v=DKIM1; k=ed25519; p=%s", rsa1024, "k=ed25519 with an RSA key"),
	FAIL("v=DKIM1; k=rsa; p=%s", ed_rfc, "k=rsa with 32 raw bytes"),
	FAIL("v=DKIM1; k=rsa; p=%s", junk_der, "k=rsa with bytes that are not DER"),
	/* revoked */
	{ "v=DKIM1; k=rsa; p=%s", "", MS_OK, W_RSA, 1, 0, 0, 1, 1, 0, "empty p= is revoked" },
	{ "v=DKIM1; p=%s", "", MS_OK, W_ANY, 1, 0, 0, 1, 1, 0, "empty p=, no k=, is revoked" },
	{ "v=DKIM1; k=ed25519; p=%s", "", MS_OK, W_ED, 1, 0, 0, 1, 1, 0, "empty p= with k=ed25519 is revoked" },
	{ "v=DKIM1; k=rsa; p=%s ", "", MS_OK, W_RSA, 1, 0, 0, 1, 1, 0, "p= of only whitespace is revoked" },
	{ "v=DKIM1; p=%s; k=rsa", "", MS_OK, W_RSA, 1, 0, 0, 1, 1, 0, "empty p= not last is revoked" },
	/* t= flags */
	OKRSA("v=DKIM1; t=y; p=%s", rsa1024, 1, 0, 1, 1, 1024, "t=y"),
	OKRSA("v=DKIM1; t=s; p=%s", rsa1024, 0, 1, 1, 1, 1024, "t=s"),
	OKRSA("v=DKIM1; t=y:s; p=%s", rsa1024, 1, 1, 1, 1, 1024, "t=y:s"),
	OKRSA("v=DKIM1; t=s:y; p=%s", rsa1024, 1, 1, 1, 1, 1024, "t=s:y"),
	OKRSA("v=DKIM1; t= y : s ; p=%s", rsa1024, 1, 1, 1, 1, 1024, "t= y : s with spaces"),
	OKRSA("v=DKIM1; t=x:y; p=%s", rsa1024, 1, 0, 1, 1, 1024, "t= with an unknown flag"),
	OKRSA("v=DKIM1; t=yes; p=%s", rsa1024, 0, 0, 1, 1, 1024, "t=yes is not the flag y"),
	/* h= */
	OKRSA("v=DKIM1; h=sha1; p=%s", rsa1024, 0, 0, 0, 1, 1024, "h=sha1 only: sha256 not allowed"),
	OKRSA("v=DKIM1; h=sha256; p=%s", rsa1024, 0, 0, 1, 1, 1024, "h=sha256"),
	OKRSA("v=DKIM1; h=sha1:sha256; p=%s", rsa1024, 0, 0, 1, 1, 1024, "h=sha1:sha256"),
	OKRSA("v=DKIM1; h=sha256:sha1; p=%s", rsa1024, 0, 0, 1, 1, 1024, "h=sha256:sha1"),
	OKRSA("v=DKIM1; h=sha1 : sha256; p=%s", rsa1024, 0, 0, 1, 1, 1024, "h= with spaces"),
	OKRSA("v=DKIM1; h=sha512; p=%s", rsa1024, 0, 0, 0, 1, 1024, "h=sha512 only"),
	OKRSA("v=DKIM1; h=sha2566; p=%s", rsa1024, 0, 0, 0, 1, 1024, "h=sha2566 is not sha256"),
	/* s= */
	OKRSA("v=DKIM1; s=email; p=%s", rsa1024, 0, 0, 1, 1, 1024, "s=email"),
	OKRSA("v=DKIM1; s=*; p=%s", rsa1024, 0, 0, 1, 1, 1024, "s=*"),
	OKRSA("v=DKIM1; s=other; p=%s", rsa1024, 0, 0, 1, 0, 1024, "s=other: not for email"),
	OKRSA("v=DKIM1; s=other:email; p=%s", rsa1024, 0, 0, 1, 1, 1024, "s=other:email"),
	OKRSA("v=DKIM1; s=emailx; p=%s", rsa1024, 0, 0, 1, 0, 1024, "s=emailx is not email"),
	/* k= unknown: parses, type KEYREC_OTHER (never usable) */
	{ "v=DKIM1; k=dsa; p=%s", rsa1024, MS_OK, W_OTHER, 0, 0, 0, 1, 1, 0, "k=dsa is KEYREC_OTHER" },
	{ "v=DKIM1; k=ed448; p=%s", ed_rfc, MS_OK, W_OTHER, 0, 0, 0, 1, 1, 0, "k=ed448 is KEYREC_OTHER" },
	/* v= */
	FAIL("k=rsa; v=DKIM1; p=%s", rsa1024, "v= not first"),
	FAIL("p=%s; v=DKIM1", rsa1024, "v= last"),
	FAIL("v=DKIM2; p=%s", rsa1024, "v=DKIM2"),
	FAIL("v=; p=%s", rsa1024, "v= empty"),
	FAIL("v=dkim2; p=%s", rsa1024, "v=dkim2"),
	/* p= */
	FAIL("v=DKIM1; k=rsa%s", "", "no p= at all"),
	FAIL("v=DKIM1; p=%s!", rsa1024, "p= with a bad character"),
	FAIL("v=DKIM1; p=%s=", rsa1024, "p= with bad padding"),
	FAIL("v=DKIM1; p=MIGf%s", "MA0", "p= cut short (padding missing)"),
	/* tag-list */
	FAIL("v=DKIM1; p=%s; p=", rsa1024, "p= twice"),
	FAIL("v=DKIM1; k=rsa; k=rsa; p=%s", rsa1024, "k= twice"),
	FAIL("v=DKIM1; 9=x; p=%s", rsa1024, "bad tag name"),
	FAIL("v=DKIM1; p=%s; junk", rsa1024, "tag without '='"),
};

/* subst - fmt with its one "%s" replaced by key (no printf with a
 * format that is not a literal) */
static void subst(char *out, size_t size, const char *fmt, const char *key)
{
	const char *pct = strstr(fmt, "%s");

	if (!pct) {
		snprintf(out, size, "%s", fmt);
		return;
	}
	snprintf(out, size, "%.*s%s%s", (int)(pct - fmt), fmt, key, pct + 2);
}

static void test_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct kcase *c = &cases[i];
		char in[2048];
		struct keyrec k;
		struct ms_error err;
		enum ms_status st;
		int ok;

		subst(in, sizeof(in), c->fmt, c->key);
		memset(&k, 0x5a, sizeof(k));   /* the parser must fill it */
		ms_error_clear(&err);
		st = keyrec_parse((const unsigned char *)in, strlen(in), &k, &err);
		if (c->st == ANY_ERR) {
			ok = st != MS_OK && err.msg[0] != 0;
		} else {
			ok = st == c->st && !!k.revoked == c->revoked &&
			     !!k.testing == c->testing && !!k.strict == c->strict &&
			     !!k.sha256_ok == c->sha256_ok && !!k.email_ok == c->email_ok;
			if (c->type == W_RSA)
				ok = ok && k.type == KEYREC_RSA;
			if (c->type == W_ED)
				ok = ok && k.type == KEYREC_ED25519;
			if (c->type == W_OTHER)
				ok = ok && k.type == KEYREC_OTHER;
			if (c->revoked)
				ok = ok && k.pkey == NULL;
			else if (c->type == W_RSA || c->type == W_ED)
				ok = ok && k.pkey != NULL;
			if (c->bits)
				ok = ok && k.bits == c->bits;
		}
		CHECK(ok, "key record: %s: %s%s%s", c->what, ms_status_str(st),
		      st != MS_OK ? " - " : "", st != MS_OK ? err.msg : "");
		if (st == MS_OK)
			keyrec_release(&k);
	}
}

/* keyrec_release twice, and on an error result, is harmless */
static void test_release(void)
{
	char in[512];
	struct keyrec k;

	snprintf(in, sizeof(in), "v=DKIM1; p=%s", rsa1024);
	keyrec_parse((const unsigned char *)in, strlen(in), &k, NULL);
	keyrec_release(&k);
	keyrec_release(&k);
	CHECK(k.pkey == NULL, "key record: release clears pkey; twice is harmless");
	snprintf(in, sizeof(in), "v=DKIM2; p=%s", rsa1024);
	keyrec_parse((const unsigned char *)in, strlen(in), &k, NULL);
	keyrec_release(&k);
	CHECK(k.pkey == NULL, "key record: release after an error");
}

static void test_limits(void)
{
	size_t n = MS_MAX_KEY_RECORD + 100, len;
	char *in = malloc(n + 1);
	struct keyrec k;
	enum ms_status st;

	if (!in)
		return;
	len = (size_t)snprintf(in, n + 1, "v=DKIM1; p=%s; n=", rsa1024);
	memset(in + len, 'x', n - len);
	in[n] = 0;
	st = keyrec_parse((const unsigned char *)in, n, &k, NULL);
	CHECK(st != MS_OK, "key record: longer than MS_MAX_KEY_RECORD is refused (%s)",
	      ms_status_str(st));
	if (st == MS_OK)
		keyrec_release(&k);
	free(in);
}

/* p= folded with FWS inside, as DNS TXT strings often are */
static void test_folded(void)
{
	char in[1024];
	struct keyrec k;
	enum ms_status st;

	snprintf(in, sizeof(in), "v=DKIM1; k=rsa;\r\n\tp=%.40s \r\n %.40s\t%s",
		 rsa1024, rsa1024 + 40, rsa1024 + 80);
	st = keyrec_parse((const unsigned char *)in, strlen(in), &k, NULL);
	CHECK(st == MS_OK && k.type == KEYREC_RSA && k.bits == 1024,
	      "key record: p= with FWS inside");
	if (st == MS_OK)
		keyrec_release(&k);
}

/* a key made at run time, published as crypto_public_record gives it,
 * parses to the same key: a digest signed with the private key verifies
 * with the parsed one, and not after a change */
static void test_runtime_key(enum dkim_alg alg, unsigned bits, const char *kname)
{
	EVP_PKEY *priv = NULL;
	struct buf pub, b64, rec, sig;
	struct ms_error err;
	struct keyrec k;
	unsigned char digest[CRYPTO_SHA256_LEN];
	enum ms_status st;
	size_t i;

	for (i = 0; i < sizeof(digest); i++)
		digest[i] = (unsigned char)(i * 31 + 7);
	if (crypto_keygen(alg, bits, &priv, &err) != MS_OK) {
		unit_failf("key record: runtime key", "crypto_keygen %s: %s", kname, err.msg);
		return;
	}
	buf_init(&pub, 8192);
	buf_init(&b64, 16384);
	buf_init(&rec, 16384);
	buf_init(&sig, 8192);
	st = crypto_public_record(priv, &pub, &err);
	CHECK(st == MS_OK && (alg != DKIM_ALG_ED25519_SHA256 || pub.len == 32),
	      "key record: crypto_public_record of %s (%zu bytes)", kname, pub.len);
	base64_encode(pub.data, pub.len, &b64);
	buf_printf(&rec, "v=DKIM1; k=%s; p=%s",
		   alg == DKIM_ALG_ED25519_SHA256 ? "ed25519" : "rsa", buf_str(&b64));
	st = keyrec_parse(rec.data, rec.len, &k, &err);
	CHECK(st == MS_OK && k.pkey &&
	      k.type == (alg == DKIM_ALG_ED25519_SHA256 ? KEYREC_ED25519 : KEYREC_RSA) &&
	      k.bits == (alg == DKIM_ALG_ED25519_SHA256 ? 256 : bits),
	      "key record: %s made at run time parses (%u bits)", kname,
	      st == MS_OK ? k.bits : 0);
	if (st == MS_OK && k.pkey) {
		CHECK(crypto_sign_digest(priv, digest, &sig, &err) == MS_OK &&
		      crypto_verify_digest(k.pkey, NULL, digest, sig.data, sig.len) == 1,
		      "key record: %s: a signature by the private key verifies with the parsed key",
		      kname);
		digest[0] ^= 1;
		CHECK(sig.len && crypto_verify_digest(k.pkey, NULL, digest, sig.data, sig.len) == 0,
		      "key record: %s: ... and not for another digest", kname);
		keyrec_release(&k);
	}
	buf_free(&pub);
	buf_free(&b64);
	buf_free(&rec);
	buf_free(&sig);
	crypto_pkey_free(priv);
}

/* the same key as SPKI and as RSAPublicKey verifies the same signature
 * check: both parse to keys of the same size and type */
static void test_rsa_forms_same(void)
{
	char in[1024];
	struct keyrec a, b;
	enum ms_status sa, sb;

	snprintf(in, sizeof(in), "v=DKIM1; p=%s", rsa2048_spki);
	sa = keyrec_parse((const unsigned char *)in, strlen(in), &a, NULL);
	snprintf(in, sizeof(in), "v=DKIM1; p=%s", rsa2048_pkcs1);
	sb = keyrec_parse((const unsigned char *)in, strlen(in), &b, NULL);
	CHECK(sa == MS_OK && sb == MS_OK && a.bits == b.bits &&
	      crypto_key_alg(a.pkey) == DKIM_ALG_RSA_SHA256 &&
	      crypto_key_alg(b.pkey) == DKIM_ALG_RSA_SHA256,
	      "key record: SPKI and RSAPublicKey forms of one key agree");
	if (sa == MS_OK)
		keyrec_release(&a);
	if (sb == MS_OK)
		keyrec_release(&b);
}

int main(void)
{
	test_cases();
	test_release();
	test_limits();
	test_folded();
	test_rsa_forms_same();
	test_runtime_key(DKIM_ALG_ED25519_SHA256, 0, "Ed25519");
	test_runtime_key(DKIM_ALG_RSA_SHA256, 2048, "RSA 2048");
	return unit_done();
}
