/*
 * test_sign_verify.c - round trips through dkim_signer and dkim_verifier
 * with keys made by crypto_keygen (RSA 2048 and Ed25519) and a key
 * source from keyfile_parse of records built here from
 * crypto_public_record.
 *
 * All four canonicalization pairs pass for both algorithms; dual signing
 * gives two signatures that both pass; a changed body, a changed signed
 * header or an added From (over-signing) fail; a testing key (t=y)
 * turns a failure into neutral; what cannot be evaluated is a
 * permerror: a revoked key, a 512-bit RSA key (RFC 8301), an expired
 * x=, an empty b=, i= outside d= (also once its quoted-printable is
 * decoded), a missing key; signatures past max_sigs are counted as skipped;
 * an unsigned message has no result.  The DKIM-Signature produced is
 * folded to 78 columns, carries t= and parses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"
#include "crypto.h"
#include "dkim_sig.h"
#include "dkim_sign.h"
#include "dkim_verify.h"
#include "keyfile.h"
#include "unit.h"

#define NOW 1700000000          /* the signing clock of most tests */
#define MAXR 8

static const char msg_text[] =
	"From: Alice Example <alice@example.com>\r\n"
	"To: Bob <bob@example.net>\r\n"
	"Subject: Round trip\r\n"
	"Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n"
	"Message-ID: <rt-1@example.com>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain; charset=us-ascii\r\n"
	"\r\n"
	"Hello  Bob,\r\n"
	"\r\n"
	"This is a test.   \r\n"
	"\tIndented line.\r\n"
	"\r\n"
	"\r\n";

static EVP_PKEY *k_rsa, *k_ed, *k_rsa512;
static struct keysource *ks;

#define esc unit_esc        /* printable form for check names */

/* ---- signing ---- */

static struct dkim_sign_key key(const char *sel, EVP_PKEY *pkey, enum dkim_canon h,
				enum dkim_canon b)
{
	struct dkim_sign_key k;

	memset(&k, 0, sizeof(k));
	k.domain = "example.com";
	k.selector = sel;
	k.pkey = pkey;
	k.hdr_canon = h;
	k.body_canon = b;
	return k;
}

/* sign - sign msg with keys; sigs gets the fields, out the signed
 * message (fields + msg); chunk 0 feeds it whole */
static enum ms_status sign(const struct dkim_sign_key *keys, size_t nkeys, time_t now,
			   const void *msg, size_t len, size_t chunk, struct buf *sigs,
			   struct buf *out, struct ms_error *err)
{
	struct dkim_signer *s = dkim_signer_new();
	struct dkim_sign *m;
	enum ms_status st = MS_OK;
	size_t i;

	buf_init(sigs, 1 << 20);
	buf_init(out, 1 << 22);
	ms_error_clear(err);
	for (i = 0; i < nkeys && st == MS_OK; i++)
		st = dkim_signer_add(s, &keys[i], err);
	if (st != MS_OK) {
		dkim_signer_free(s);
		return st;
	}
	m = dkim_sign_begin(s, now);
	if (!chunk)
		chunk = len ? len : 1;
	for (i = 0; i < len; i += chunk)
		dkim_sign_feed(m, (const unsigned char *)msg + i, len - i < chunk ? len - i : chunk);
	st = dkim_sign_finish(m, sigs, err);
	dkim_sign_free(m);
	dkim_signer_free(s);
	if (st == MS_OK) {
		buf_append(out, sigs->data, sigs->len);
		buf_append(out, msg, len);
	}
	return st;
}

/* ---- verifying ---- */

struct outcome {
	enum ms_status st;
	size_t n, skipped;
	enum dkim_result r[MAXR];
	char reason[MAXR][200];
	char alg[MAXR][32];
	unsigned bits[MAXR];
	int testing[MAXR];
	uint64_t seen[MAXR];
};

static unsigned seen_calls;
static char seen_txid[64];

static uint64_t seen_fn(void *arg, const unsigned char *sig_id, const char *txid)
{
	(void)arg;
	(void)sig_id;
	seen_calls++;
	snprintf(seen_txid, sizeof(seen_txid), "%s", txid);
	return 3;
}

static void verify_opts(const struct dkim_verifier_opts *opts, const void *msg, size_t len,
			size_t chunk, const char *txid, struct outcome *o)
{
	struct dkim_verifier *v = dkim_verifier_new(opts, ks);
	struct dkim_verify *m = dkim_verify_begin(v);
	struct dkim_verify_outcome oc;
	struct ms_error err;
	size_t i;

	memset(o, 0, sizeof(*o));
	if (txid)
		dkim_verify_set_txid(m, txid);
	if (!chunk)
		chunk = len ? len : 1;
	for (i = 0; i < len; i += chunk)
		dkim_verify_feed(m, (const unsigned char *)msg + i, len - i < chunk ? len - i : chunk);
	ms_error_clear(&err);
	o->st = dkim_verify_finish(m, &oc, &err);
	if (o->st == MS_OK) {
		o->n = oc.nresults;
		o->skipped = oc.skipped;
		for (i = 0; i < oc.nresults && i < MAXR; i++) {
			o->r[i] = oc.results[i].result;
			snprintf(o->reason[i], sizeof(o->reason[i]), "%s",
				 oc.results[i].reason ? oc.results[i].reason : "");
			snprintf(o->alg[i], sizeof(o->alg[i]), "%s",
				 oc.results[i].alg ? oc.results[i].alg : "");
			o->bits[i] = oc.results[i].key_bits;
			o->testing[i] = oc.results[i].testing;
			o->seen[i] = oc.results[i].seen_count;
		}
	}
	dkim_verify_free(m);
	dkim_verifier_free(v);
}

static void verify(time_t now, const struct buf *msg, struct outcome *o)
{
	struct dkim_verifier_opts opts;

	memset(&opts, 0, sizeof(opts));
	opts.now = now;
	verify_opts(&opts, msg->data, msg->len, 0, NULL, o);
}

static int one(const struct outcome *o, enum dkim_result r)
{
	return o->st == MS_OK && o->n == 1 && o->r[0] == r;
}

static int all(const struct outcome *o, size_t n, enum dkim_result r)
{
	size_t i;

	if (o->st != MS_OK || o->n != n)
		return 0;
	for (i = 0; i < n; i++)
		if (o->r[i] != r)
			return 0;
	return 1;
}

/* replace - a copy of in with the first `from` replaced by `to` */
static int replace(const struct buf *in, const char *from, const char *to, struct buf *out)
{
	const char *p = strstr(buf_str(in), from);
	size_t off;

	buf_init(out, BUF_UNLIMITED);
	if (!p)
		return 0;
	off = (size_t)(p - buf_str(in));
	buf_append(out, in->data, off);
	buf_puts(out, to);
	buf_append(out, in->data + off + strlen(from), in->len - off - strlen(from));
	return 1;
}

/* replace_b_empty - in into out with the b= tag of its signature made
 * empty (its value moved to an unknown tag, which verifiers ignore) */
static int replace_b_empty(const struct buf *in, struct buf *out)
{
	const char *s = buf_str(in), *p;

	buf_init(out, BUF_UNLIMITED);
	for (p = s; (p = strstr(p, "b=")) != NULL; p += 2)
		if (p > s && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == ';'))
			break;
	if (!p)
		return 0;
	buf_append(out, s, (size_t)(p - s));
	buf_puts(out, "b=; xb=");
	buf_append(out, p + 2, in->len - (size_t)(p + 2 - s));
	return 1;
}

/* ---- set-up ---- */

#define LONG_DOMAIN "a-very-long-subdomain-name-for-folding-tests.mail.example.com"
#define LONG_SEL "a-rather-long-selector-name-2024-01"

static void add_record_at(struct buf *file, const char *sel, const char *domain,
			  const char *tags, EVP_PKEY *pkey)
{
	struct buf pub, b64;
	struct ms_error err;

	buf_init(&pub, 8192);
	buf_init(&b64, 16384);
	if (pkey && crypto_public_record(pkey, &pub, &err) == MS_OK)
		base64_encode(pub.data, pub.len, &b64);
	buf_printf(file, "%s._domainkey.%s v=DKIM1; %s; p=%s\n", sel, domain, tags,
		   buf_str(&b64));
	buf_free(&pub);
	buf_free(&b64);
}

static void add_record(struct buf *file, const char *sel, const char *tags, EVP_PKEY *pkey)
{
	add_record_at(file, sel, "example.com", tags, pkey);
}

static int setup(void)
{
	struct ms_error err;
	struct buf file;
	EVP_PKEY *tiny = NULL;

	if (crypto_keygen(DKIM_ALG_RSA_SHA256, 2048, &k_rsa, &err) != MS_OK ||
	    crypto_keygen(DKIM_ALG_ED25519_SHA256, 0, &k_ed, &err) != MS_OK) {
		unit_failf("sign/verify: keys", "crypto_keygen: %s", err.msg);
		return 0;
	}
	CHECK(crypto_keygen(DKIM_ALG_RSA_SHA256, 512, &tiny, &err) != MS_OK && tiny == NULL,
	      "crypto_keygen refuses RSA 512 (%s)", err.msg);
	crypto_pkey_free(tiny);
	/* OpenSSL itself still makes 512-bit keys, which is what a sender
	 * with an old key would publish */
	k_rsa512 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)512);
	if (!k_rsa512)
		printf("# OpenSSL would not make an RSA 512 key: that check is skipped\n");

	buf_init(&file, 1 << 20);
	buf_puts(&file, "# records of test_sign_verify\n");
	add_record(&file, "rsa", "k=rsa", k_rsa);
	add_record(&file, "ed", "k=ed25519", k_ed);
	add_record(&file, "revoked", "k=rsa", NULL);
	add_record(&file, "testing", "k=rsa; t=y", k_rsa);
	add_record(&file, "strict", "k=rsa; t=s", k_rsa);
	add_record(&file, "sha1only", "k=rsa; h=sha1", k_rsa);
	add_record(&file, "other", "k=rsa; s=other", k_rsa);
	add_record(&file, "edtesting", "k=ed25519; t=y", k_ed);
	if (k_rsa512)
		add_record(&file, "small", "k=rsa", k_rsa512);
	add_record_at(&file, LONG_SEL, LONG_DOMAIN, "k=rsa", k_rsa);
	ks = keyfile_parse(file.data, file.len, "test_sign_verify", &err);
	CHECK(ks != NULL, "sign/verify: key file of %zu bytes parses (%s)", file.len,
	      ks ? "" : err.msg);
	buf_free(&file);
	return ks != NULL;
}

/* ---- the tests ---- */

static void test_canon_pairs(void)
{
	static const enum dkim_canon c[2] = { DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED };
	int a, h, b;

	for (a = 0; a < 2; a++) {
		for (h = 0; h < 2; h++) {
			for (b = 0; b < 2; b++) {
				struct dkim_sign_key k = key(a ? "ed" : "rsa", a ? k_ed : k_rsa,
							     c[h], c[b]);
				struct buf sigs, signed_msg, t;
				struct ms_error err;
				struct outcome o;
				enum ms_status st;
				char cname[40];

				snprintf(cname, sizeof(cname), "c=%s/%s;", dkim_canon_name(c[h]),
					 dkim_canon_name(c[b]));
				st = sign(&k, 1, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs,
					  &signed_msg, &err);
				CHECK(st == MS_OK && strstr(buf_str(&sigs), cname) &&
				      strstr(buf_str(&sigs), a ? "a=ed25519-sha256;" : "a=rsa-sha256;"),
				      "sign %s %s (%s)", a ? "ed25519" : "rsa", cname, err.msg);
				verify(NOW + 60, &signed_msg, &o);
				CHECK(one(&o, DKIM_RES_PASS),
				      "round trip %s %s: pass (%s \"%s\")", a ? "ed25519" : "rsa",
				      cname, dkim_result_str(o.r[0]), o.reason[0]);
				/* whitespace added inside a body line: relaxed
				 * body passes, simple fails */
				if (replace(&signed_msg, "Hello  Bob", "Hello \t Bob", &t)) {
					verify(NOW + 60, &t, &o);
					CHECK(one(&o, c[b] == DKIM_CANON_RELAXED ? DKIM_RES_PASS
										  : DKIM_RES_FAIL),
					      "round trip %s %s: body whitespace changed: %s (%s)",
					      a ? "ed25519" : "rsa", cname,
					      c[b] == DKIM_CANON_RELAXED ? "pass" : "fail",
					      dkim_result_str(o.r[0]));
				}
				buf_free(&t);
				/* header case and spacing changed: relaxed header
				 * passes, simple fails */
				if (replace(&signed_msg, "Subject: Round trip", "SUBJECT:  Round trip", &t)) {
					verify(NOW + 60, &t, &o);
					CHECK(one(&o, c[h] == DKIM_CANON_RELAXED ? DKIM_RES_PASS
										  : DKIM_RES_FAIL),
					      "round trip %s %s: header case/space changed: %s (%s)",
					      a ? "ed25519" : "rsa", cname,
					      c[h] == DKIM_CANON_RELAXED ? "pass" : "fail",
					      dkim_result_str(o.r[0]));
				}
				buf_free(&t);
				/* a word of the body changed: fail in every mode */
				if (replace(&signed_msg, "This is a test.", "This is a tost.", &t)) {
					verify(NOW + 60, &t, &o);
					CHECK(one(&o, DKIM_RES_FAIL),
					      "round trip %s %s: body changed: fail (%s)",
					      a ? "ed25519" : "rsa", cname, dkim_result_str(o.r[0]));
				}
				buf_free(&t);
				buf_free(&sigs);
				buf_free(&signed_msg);
			}
		}
	}
}

/* streaming: the signature does not depend on how the message is fed
 * (both algorithms sign deterministically), nor the verdict */
static void test_chunking(void)
{
	struct dkim_sign_key keys[2];
	struct buf s1, m1, s2, m2;
	struct ms_error err;
	size_t chunk;
	int bad_sig = 0, bad_ver = 0;

	keys[0] = key("rsa", k_rsa, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE);
	keys[1] = key("ed", k_ed, DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED);
	sign(keys, 2, NOW, msg_text, sizeof(msg_text) - 1, 0, &s1, &m1, &err);
	for (chunk = 1; chunk < sizeof(msg_text); chunk = chunk < 8 ? chunk + 1 : chunk * 2) {
		struct dkim_verifier_opts opts;
		struct outcome o;

		sign(keys, 2, NOW, msg_text, sizeof(msg_text) - 1, chunk, &s2, &m2, &err);
		if (s1.len != s2.len || memcmp(s1.data, s2.data, s1.len) != 0)
			bad_sig++;
		memset(&opts, 0, sizeof(opts));
		opts.now = NOW;
		verify_opts(&opts, m1.data, m1.len, chunk, NULL, &o);
		if (!all(&o, 2, DKIM_RES_PASS))
			bad_ver++;
		buf_free(&s2);
		buf_free(&m2);
	}
	CHECK(bad_sig == 0, "sign: fed in chunks of 1..8, 16, 32, ... the same signature fields (%d differ)",
	      bad_sig);
	CHECK(bad_ver == 0, "verify: fed in chunks of 1..8, 16, 32, ... both pass (%d not)", bad_ver);
	buf_free(&s1);
	buf_free(&m1);
}

static size_t count_str(const struct buf *b, const char *s)
{
	size_t n = 0;
	const char *p = buf_str(b);

	while ((p = strstr(p, s)) != NULL) {
		n++;
		p += strlen(s);
	}
	return n;
}

static void test_dual(void)
{
	struct dkim_sign_key keys[2];
	struct buf sigs, sm, t;
	struct ms_error err;
	struct outcome o;
	enum ms_status st;

	keys[0] = key("rsa", k_rsa, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	keys[1] = key("ed", k_ed, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	st = sign(keys, 2, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err);
	CHECK(st == MS_OK && count_str(&sigs, "DKIM-Signature:") == 2 &&
	      strncmp(buf_str(&sigs), "DKIM-Signature:", 15) == 0,
	      "dual signing: two DKIM-Signature fields");
	verify(NOW + 1, &sm, &o);
	CHECK(all(&o, 2, DKIM_RES_PASS), "dual signing: both pass (%s \"%s\", %s \"%s\")",
	      dkim_result_str(o.r[0]), o.reason[0], dkim_result_str(o.r[1]), o.reason[1]);
	CHECK(o.n == 2 && strcmp(o.alg[0], "rsa-sha256") == 0 && o.bits[0] == 2048 &&
	      strcmp(o.alg[1], "ed25519-sha256") == 0 && o.bits[1] == 256,
	      "dual signing: rsa-sha256 (2048) then ed25519-sha256 (256)");

	/* body changed */
	if (replace(&sm, "Indented line.", "Indented lime.", &t)) {
		verify(NOW + 1, &t, &o);
		CHECK(all(&o, 2, DKIM_RES_FAIL), "dual signing: body changed: both fail");
	}
	buf_free(&t);
	/* signed header changed */
	if (replace(&sm, "To: Bob <bob@example.net>", "To: Eve <eve@example.net>", &t)) {
		verify(NOW + 1, &t, &o);
		CHECK(all(&o, 2, DKIM_RES_FAIL), "dual signing: To changed: both fail (%s)",
		      o.reason[0]);
	}
	buf_free(&t);
	/* an added From, above the original (after the signatures) */
	if (replace(&sm, "From: Alice", "From: Mallory <m@evil.example>\r\nFrom: Alice", &t)) {
		verify(NOW + 1, &t, &o);
		CHECK(all(&o, 2, DKIM_RES_FAIL), "dual signing: a second From added above: both fail (over-signed)");
	}
	buf_free(&t);
	/* an added From at the bottom of the header block */
	if (replace(&sm, "Content-Type: text/plain; charset=us-ascii\r\n",
		    "Content-Type: text/plain; charset=us-ascii\r\nFrom: Mallory <m@evil.example>\r\n", &t)) {
		verify(NOW + 1, &t, &o);
		CHECK(all(&o, 2, DKIM_RES_FAIL), "dual signing: a second From added below: both fail (over-signed)");
	}
	buf_free(&t);
	/* an added Cc: absent from the message, yet in h= (over-signed) */
	if (replace(&sm, "Subject: Round trip\r\n", "Subject: Round trip\r\nCc: x@evil.example\r\n", &t)) {
		verify(NOW + 1, &t, &o);
		CHECK(all(&o, 2, DKIM_RES_FAIL), "dual signing: an added Cc fails (absent headers are signed too)");
	}
	buf_free(&t);
	/* an unsigned header added: still pass */
	if (replace(&sm, "Subject: Round trip\r\n", "Subject: Round trip\r\nX-Spam-Score: 0\r\n", &t)) {
		verify(NOW + 1, &t, &o);
		CHECK(all(&o, 2, DKIM_RES_PASS), "dual signing: an added unsigned header: both still pass");
	}
	buf_free(&t);
	/* a Received added on top, as relays do */
	buf_init(&t, BUF_UNLIMITED);
	buf_puts(&t, "Received: from relay.example.net by mx.example.org; Mon, 01 Jan 2024 00:00:01 +0000\r\n");
	buf_append(&t, sm.data, sm.len);
	verify(NOW + 1, &t, &o);
	CHECK(all(&o, 2, DKIM_RES_PASS), "dual signing: a Received added on top: both pass");
	buf_free(&t);
	/* the signed message with bare LF line ends */
	{
		size_t i;

		buf_init(&t, BUF_UNLIMITED);
		for (i = 0; i < sm.len; i++)
			if (!(sm.data[i] == '\r' && i + 1 < sm.len && sm.data[i + 1] == '\n'))
				buf_putc(&t, sm.data[i]);
		verify(NOW + 1, &t, &o);
		CHECK(all(&o, 2, DKIM_RES_PASS), "dual signing: the message with bare LF line ends passes");
		buf_free(&t);
	}
	/* the farm's signature record: seen() runs for each pass with the
	 * transaction id */
	{
		struct dkim_verifier_opts opts;

		memset(&opts, 0, sizeof(opts));
		opts.now = NOW;
		opts.seen = seen_fn;
		seen_calls = 0;
		verify_opts(&opts, sm.data, sm.len, 0, "tx-42", &o);
		CHECK(all(&o, 2, DKIM_RES_PASS) && seen_calls == 2 && o.seen[0] == 3 &&
		      o.seen[1] == 3 && strcmp(seen_txid, "tx-42") == 0,
		      "verify: seen() told of each pass with the txid, its count reported");
	}
	buf_free(&sigs);
	buf_free(&sm);
}

/* a message signed with LF line ends verifies in CRLF form and back */
static void test_lf_signing(void)
{
	struct dkim_sign_key k = key("rsa", k_rsa, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE);
	struct buf lf, sigs, sm, crlf;
	struct ms_error err;
	struct outcome o;
	size_t i;

	buf_init(&lf, 4096);
	for (i = 0; i < sizeof(msg_text) - 1; i++)
		if (msg_text[i] != '\r')
			buf_putc(&lf, msg_text[i]);
	sign(&k, 1, NOW, lf.data, lf.len, 0, &sigs, &sm, &err);
	buf_init(&crlf, 8192);
	buf_append(&crlf, sigs.data, sigs.len);
	buf_puts(&crlf, msg_text);
	verify(NOW, &crlf, &o);
	CHECK(one(&o, DKIM_RES_PASS), "simple/simple: signed with bare LF, verified with CRLF: pass (%s)",
	      o.reason[0]);
	verify(NOW, &sm, &o);
	CHECK(one(&o, DKIM_RES_PASS), "simple/simple: signed and verified with bare LF: pass (%s)",
	      o.reason[0]);
	buf_free(&lf);
	buf_free(&sigs);
	buf_free(&sm);
	buf_free(&crlf);
}

static void test_keys(void)
{
	struct buf sigs, sm, t;
	struct ms_error err;
	struct outcome o;
	struct dkim_sign_key k;

	/* revoked */
	k = key("revoked", k_rsa, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	sign(&k, 1, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err);
	verify(NOW, &sm, &o);
	CHECK(one(&o, DKIM_RES_PERMERROR), "key record with empty p= (revoked): permerror (%s \"%s\")",
	      dkim_result_str(o.r[0]), o.reason[0]);
	buf_free(&sigs);
	buf_free(&sm);

	/* testing: pass stays pass, failure becomes neutral */
	k = key("testing", k_rsa, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	sign(&k, 1, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err);
	verify(NOW, &sm, &o);
	CHECK(one(&o, DKIM_RES_PASS) && o.testing[0], "key t=y, untouched message: pass, testing set");
	if (replace(&sm, "This is a test.", "This is a tost.", &t)) {
		verify(NOW, &t, &o);
		CHECK(one(&o, DKIM_RES_NEUTRAL) && o.testing[0],
		      "key t=y, body changed: neutral (%s \"%s\")", dkim_result_str(o.r[0]), o.reason[0]);
	}
	buf_free(&t);
	buf_free(&sigs);
	buf_free(&sm);
	k = key("edtesting", k_ed, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE);
	sign(&k, 1, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err);
	if (replace(&sm, "Subject: Round trip", "Subject: Round trap", &t)) {
		verify(NOW, &t, &o);
		CHECK(one(&o, DKIM_RES_NEUTRAL), "ed25519 key t=y, header changed: neutral (%s)",
		      dkim_result_str(o.r[0]));
	}
	buf_free(&t);
	buf_free(&sigs);
	buf_free(&sm);

	/* RSA 512 (RFC 8301: under 1024 bits never passes) */
	if (k_rsa512) {
		k = key("small", k_rsa512, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
		if (sign(&k, 1, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err) == MS_OK) {
			verify(NOW, &sm, &o);
			CHECK(o.st == MS_OK && o.n == 1 &&
			      o.r[0] == DKIM_RES_PERMERROR && o.bits[0] == 512,
			      "RSA 512 key: not a pass (%s \"%s\", %u bits)", dkim_result_str(o.r[0]),
			      o.reason[0], o.bits[0]);
		} else {
			/* the signer may refuse such a key: then sign with the
			 * 2048 key against the 512-bit record */
			buf_free(&sigs);
			buf_free(&sm);
			k = key("small", k_rsa, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
			sign(&k, 1, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err);
			verify(NOW, &sm, &o);
			CHECK(o.n == 1 && o.r[0] != DKIM_RES_PASS,
			      "RSA 512 key record: not a pass (%s)", dkim_result_str(o.r[0]));
		}
		buf_free(&sigs);
		buf_free(&sm);
	}

	/* missing key */
	k = key("nokey", k_rsa, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	sign(&k, 1, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err);
	verify(NOW, &sm, &o);
	CHECK(one(&o, DKIM_RES_PERMERROR), "no key record at the selector: permerror (%s \"%s\")",
	      dkim_result_str(o.r[0]), o.reason[0]);
	buf_free(&sigs);
	buf_free(&sm);

	/* a key of the other type: never a pass */
	k = key("rsa", k_ed, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	sign(&k, 1, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err);
	verify(NOW, &sm, &o);
	CHECK(o.n == 1 && o.r[0] != DKIM_RES_PASS && o.r[0] != DKIM_RES_NONE,
	      "ed25519 signature against an RSA record: %s (\"%s\")", dkim_result_str(o.r[0]),
	      o.reason[0]);
	buf_free(&sigs);
	buf_free(&sm);

	/* h=sha1 only, s=other: the key may not be used */
	k = key("sha1only", k_rsa, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	sign(&k, 1, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err);
	verify(NOW, &sm, &o);
	CHECK(o.n == 1 && o.r[0] != DKIM_RES_PASS, "key with h=sha1 only: not a pass (%s)",
	      dkim_result_str(o.r[0]));
	buf_free(&sigs);
	buf_free(&sm);
	k = key("other", k_rsa, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	sign(&k, 1, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err);
	verify(NOW, &sm, &o);
	CHECK(o.n == 1 && o.r[0] != DKIM_RES_PASS, "key with s=other: not a pass (%s)",
	      dkim_result_str(o.r[0]));
	buf_free(&sigs);
	buf_free(&sm);

	/* t=s: i= must be d= itself */
	k = key("strict", k_rsa, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	k.identity = "@example.com";
	sign(&k, 1, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err);
	verify(NOW, &sm, &o);
	CHECK(one(&o, DKIM_RES_PASS), "key t=s, i=@example.com: pass (%s)", o.reason[0]);
	buf_free(&sigs);
	buf_free(&sm);
	k.identity = "joe@sub.example.com";
	sign(&k, 1, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err);
	verify(NOW, &sm, &o);
	CHECK(o.n == 1 && o.r[0] != DKIM_RES_PASS, "key t=s, i= in a subdomain: not a pass (%s)",
	      dkim_result_str(o.r[0]));
	buf_free(&sigs);
	buf_free(&sm);
}

static void test_identity_and_expiry(void)
{
	struct buf sigs, sm, t;
	struct ms_error err;
	struct outcome o;
	struct dkim_sign_key k;
	char want[64];

	/* i= within d= */
	k = key("rsa", k_rsa, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	k.identity = "joe@sub.example.com";
	CHECK(sign(&k, 1, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err) == MS_OK &&
	      strstr(buf_str(&sigs), "i=joe@sub.example.com;"),
	      "sign with i=joe@sub.example.com");
	verify(NOW, &sm, &o);
	CHECK(one(&o, DKIM_RES_PASS), "i= in a subdomain of d=: pass");
	buf_free(&sigs);
	buf_free(&sm);

	/* i= outside d=, made by hand from a good signature */
	k.identity = "@example.com";
	sign(&k, 1, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err);
	if (replace(&sm, "i=@example.com;", "i=@example.org;", &t)) {
		verify(NOW, &t, &o);
		CHECK(one(&o, DKIM_RES_PERMERROR), "i= outside d= (crafted): permerror (%s \"%s\")",
		      dkim_result_str(o.r[0]), o.reason[0]);
	} else {
		unit_failf("i= outside d=", "no i=@example.com; in \"%s\"", esc(sigs.data, sigs.len));
	}
	buf_free(&t);
	/* i= is dkim-quoted-printable: "=40" is '@', decoded before the
	 * comparison with d= */
	if (replace(&sm, "i=@example.com;", "i=joe=40x=2Eorg=40example.com;", &t)) {
		verify(NOW, &t, &o);
		CHECK(one(&o, DKIM_RES_FAIL),
		      "i=joe=40x=2Eorg=40example.com is within d= once decoded: read, "
		      "then the changed field fails (%s \"%s\")",
		      dkim_result_str(o.r[0]), o.reason[0]);
		buf_free(&t);
	}
	if (replace(&sm, "i=@example.com;", "i=joe=40example=2Eorg;", &t)) {
		verify(NOW, &t, &o);
		CHECK(one(&o, DKIM_RES_PERMERROR),
		      "i=joe=40example=2Eorg is joe@example.org once decoded: outside d=, permerror (%s \"%s\")",
		      dkim_result_str(o.r[0]), o.reason[0]);
		buf_free(&t);
	}
	if (replace(&sm, "i=@example.com;", "i=joe=4@example.com;", &t)) {
		verify(NOW, &t, &o);
		CHECK(one(&o, DKIM_RES_PERMERROR), "i= with a broken =XX escape: permerror (%s \"%s\")",
		      dkim_result_str(o.r[0]), o.reason[0]);
		buf_free(&t);
	}
	/* an empty b=: nothing to check, a permerror */
	if (replace_b_empty(&sm, &t)) {
		verify(NOW, &t, &o);
		CHECK(one(&o, DKIM_RES_PERMERROR), "an empty b=: permerror (%s \"%s\")",
		      dkim_result_str(o.r[0]), o.reason[0]);
		buf_free(&t);
	}
	/* the same for a=rsa-sha1 (RFC 8301) */
	if (replace(&sm, "a=rsa-sha256;", "a=rsa-sha1;", &t)) {
		verify(NOW, &t, &o);
		CHECK(o.n == 1 && (o.r[0] == DKIM_RES_PERMERROR || o.r[0] == DKIM_RES_FAIL),
		      "a=rsa-sha1 (crafted): never a pass (%s)", dkim_result_str(o.r[0]));
	}
	buf_free(&t);
	/* the signer refuses an identity outside d= */
	{
		struct dkim_signer *s = dkim_signer_new();

		k.identity = "joe@example.org";
		CHECK(dkim_signer_add(s, &k, &err) != MS_OK, "signer: i= outside d= refused (%s)",
		      err.msg);
		k.identity = "joe@badexample.com";
		CHECK(dkim_signer_add(s, &k, &err) != MS_OK, "signer: i=joe@badexample.com refused for d=example.com");
		dkim_signer_free(s);
	}
	buf_free(&sigs);
	buf_free(&sm);

	/* x=: signed long ago with a short expiry */
	k = key("ed", k_ed, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	k.expire_after = 3600;
	sign(&k, 1, 1000000000, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err);
	snprintf(want, sizeof(want), "x=%d;", 1000000000 + 3600);
	CHECK(strstr(buf_str(&sigs), "t=1000000000;") && strstr(buf_str(&sigs), want),
	      "sign with expire_after 3600: t=1000000000 and %s", want);
	verify(1000000000 + 60, &sm, &o);
	CHECK(one(&o, DKIM_RES_PASS), "x= in the future: pass");
	verify(1000000000 + 7200, &sm, &o);
	CHECK(one(&o, DKIM_RES_PERMERROR), "x= in the past: permerror (%s \"%s\")", dkim_result_str(o.r[0]),
	      o.reason[0]);
	buf_free(&sigs);
	buf_free(&sm);
}

static void test_counts(void)
{
	struct dkim_sign_key keys[7];
	struct buf sigs, sm, plain;
	struct ms_error err;
	struct outcome o;
	struct dkim_verifier_opts opts;
	size_t i;

	for (i = 0; i < 7; i++)
		keys[i] = key(i % 2 ? "ed" : "rsa", i % 2 ? k_ed : k_rsa,
			      i % 3 ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE,
			      i % 4 ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED);
	CHECK(sign(keys, 3, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err) == MS_OK &&
	      count_str(&sigs, "DKIM-Signature:") == 3, "three keys: three signatures");
	memset(&opts, 0, sizeof(opts));
	opts.now = NOW;
	opts.max_sigs = 2;
	verify_opts(&opts, sm.data, sm.len, 0, NULL, &o);
	CHECK(all(&o, 2, DKIM_RES_PASS) && o.skipped == 1,
	      "max_sigs 2, three signatures: two results, one skipped (%zu, %zu)", o.n, o.skipped);
	buf_free(&sigs);
	buf_free(&sm);

	CHECK(sign(keys, 7, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err) == MS_OK &&
	      count_str(&sigs, "DKIM-Signature:") == 7, "seven keys: seven signatures");
	verify(NOW, &sm, &o);
	CHECK(all(&o, MS_DEFAULT_MAX_SIGS, DKIM_RES_PASS) && o.skipped == 7 - MS_DEFAULT_MAX_SIGS,
	      "default max_sigs (%d), seven signatures: %d results, %d skipped (%zu, %zu)",
	      MS_DEFAULT_MAX_SIGS, MS_DEFAULT_MAX_SIGS, 7 - MS_DEFAULT_MAX_SIGS, o.n, o.skipped);
	opts.max_sigs = 7;
	verify_opts(&opts, sm.data, sm.len, 0, NULL, &o);
	CHECK(all(&o, 7, DKIM_RES_PASS) && o.skipped == 0, "max_sigs 7: all seven pass");
	buf_free(&sigs);
	buf_free(&sm);

	/* no signature */
	buf_init(&plain, 4096);
	buf_puts(&plain, msg_text);
	verify(NOW, &plain, &o);
	CHECK(o.st == MS_OK && o.n == 0 && o.skipped == 0, "unsigned message: no results (dkim=none)");
	buf_free(&plain);
}

/* the signature fields themselves */
static int check_folding(const struct buf *sigs, char *why, size_t whysz)
{
	const unsigned char *p = sigs->data, *end = sigs->data + sigs->len;
	size_t line = 0;

	if (sigs->len < 2 || end[-2] != '\r' || end[-1] != '\n') {
		snprintf(why, whysz, "not CRLF-terminated");
		return 0;
	}
	while (p < end) {
		const unsigned char *eol = p;
		size_t cols = 0, bytes;

		while (eol < end && *eol != '\r')
			eol++;
		if (eol + 1 >= end || eol[1] != '\n') {
			snprintf(why, whysz, "line %zu: bare CR or no LF", line);
			return 0;
		}
		bytes = (size_t)(eol - p);
		for (; p < eol; p++) {
			if (*p == '\t')
				cols = (cols / 8 + 1) * 8;
			else
				cols++;
			if (*p == '\n' || *p < 9 || *p > 126) {
				snprintf(why, whysz, "line %zu: byte 0x%02x", line, *p);
				return 0;
			}
		}
		if (cols > 78 || bytes > 78) {
			snprintf(why, whysz, "line %zu: %zu columns, %zu bytes", line, cols, bytes);
			return 0;
		}
		p = eol + 2;
		line++;
		/* a line is a new field or a continuation */
		if (p < end && *p != ' ' && *p != '\t' &&
		    strncmp((const char *)p, "DKIM-Signature:", 15) != 0) {
			snprintf(why, whysz, "line %zu starts neither a field nor with WSP", line);
			return 0;
		}
	}
	return 1;
}

static void test_fields(void)
{
	struct dkim_sign_key keys[3];
	struct buf sigs, sm;
	struct ms_error err;
	char why[200] = "";
	char want[64];

	keys[0] = key("rsa", k_rsa, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	keys[1] = key("ed", k_ed, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE);
	keys[2] = key(LONG_SEL, k_rsa, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE);
	keys[2].domain = LONG_DOMAIN;
	/* "i=" value ";" is 69 bytes: the longest item that fits after a
	 * folding tab (i= has no place for FWS inside) */
	keys[2].identity = "joe@" LONG_DOMAIN;
	keys[2].expire_after = 86400 * 7;
	CHECK(sign(keys, 3, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err) == MS_OK,
	      "sign with three keys, one with long names (%s)", err.msg);
	CHECK(check_folding(&sigs, why, sizeof(why)),
	      "DKIM-Signature fields: folded, no line over 78 columns, continuations start with WSP (%s)",
	      why);
	snprintf(want, sizeof(want), "t=%d;", NOW);
	CHECK(count_str(&sigs, want) == 3, "DKIM-Signature fields: each carries %s", want);
	snprintf(want, sizeof(want), "x=%d;", NOW + 86400 * 7);
	CHECK(count_str(&sigs, want) == 1 && count_str(&sigs, "x=") == 1,
	      "DKIM-Signature fields: x= only where expire_after is set (%s)", want);
	CHECK(count_str(&sigs, " l=") == 0 && count_str(&sigs, "\tl=") == 0,
	      "DKIM-Signature fields: no l=");
	CHECK(count_str(&sigs, "from:from") == 3 || count_str(&sigs, "from:\r\n\tfrom") +
	      count_str(&sigs, "from:from") == 3,
	      "DKIM-Signature fields: From over-signed (from:from) by default");

	/* each field parses, with the values given */
	{
		const char *p = buf_str(&sigs);
		size_t nf = 0;
		int ok = 1;

		while ((p = strstr(p, "DKIM-Signature:")) != NULL) {
			const char *next = strstr(p + 15, "DKIM-Signature:");
			size_t flen = next ? (size_t)(next - p) : strlen(p);
			struct arena arena;
			struct dkim_sig sig;
			struct ms_error e;

			arena_init(&arena);
			/* the value: after the colon, final CRLF excluded */
			if (dkimsig_parse((const unsigned char *)p + 15, flen - 15 - 2, &arena,
					  &sig, &e) != MS_OK ||
			    !sig.has_timestamp || sig.timestamp != NOW ||
			    strcmp(sig.domain, keys[nf].domain) != 0 ||
			    strcmp(sig.selector, keys[nf].selector) != 0 ||
			    sig.hdr_canon != keys[nf].hdr_canon ||
			    sig.body_canon != keys[nf].body_canon || sig.bh_len != 32 ||
			    sig.sig_len != (nf == 1 ? 64u : 256u))
				ok = 0;
			arena_free(&arena);
			nf++;
			p += 15;
			if (nf == 3)
				break;
		}
		CHECK(ok && nf == 3, "DKIM-Signature fields: each parses back with its d=, s=, c=, t=, bh=, b=");
	}
	{
		struct outcome o;

		verify(NOW, &sm, &o);
		CHECK(all(&o, 3, DKIM_RES_PASS), "the three signatures (long names, x=) pass (%s \"%s\")",
		      dkim_result_str(o.r[2]), o.reason[2]);
	}
	buf_free(&sigs);
	buf_free(&sm);
}

static void test_header_list(void)
{
	struct dkim_sign_key k = key("rsa", k_rsa, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
	struct buf sigs, sm, t;
	struct ms_error err;
	struct outcome o;
	struct dkim_signer *s;

	k.headers = "from:subject";
	CHECK(sign(&k, 1, NOW, msg_text, sizeof(msg_text) - 1, 0, &sigs, &sm, &err) == MS_OK &&
	      strstr(buf_str(&sigs), "h=from:subject;"),
	      "explicit header list: h=from:subject; as given");
	if (replace(&sm, "To: Bob", "To: Rob", &t)) {
		verify(NOW, &t, &o);
		CHECK(one(&o, DKIM_RES_PASS), "explicit header list: unsigned To changed: pass");
	}
	buf_free(&t);
	if (replace(&sm, "Subject: Round trip", "Subject: Round trap", &t)) {
		verify(NOW, &t, &o);
		CHECK(one(&o, DKIM_RES_FAIL), "explicit header list: signed Subject changed: fail");
	}
	buf_free(&t);
	buf_free(&sigs);
	buf_free(&sm);

	s = dkim_signer_new();
	k.headers = "to:subject";
	CHECK(dkim_signer_add(s, &k, &err) != MS_OK, "signer: header list without From refused (%s)",
	      err.msg);
	k.headers = "from::to";
	CHECK(dkim_signer_add(s, &k, &err) != MS_OK, "signer: header list with an empty name refused");
	k.headers = NULL;
	k.domain = "exa mple.com";
	CHECK(dkim_signer_add(s, &k, &err) != MS_OK, "signer: bad domain refused");
	k.domain = "example.com";
	k.selector = "";
	CHECK(dkim_signer_add(s, &k, &err) != MS_OK, "signer: empty selector refused");
	k.selector = "rsa";
	k.pkey = NULL;
	CHECK(dkim_signer_add(s, &k, &err) != MS_OK, "signer: no key refused");
	dkim_signer_free(s);

	/* a message without From cannot be signed */
	{
		static const char nofrom[] = "To: b@example.net\r\nSubject: x\r\n\r\nbody\r\n";

		k = key("rsa", k_rsa, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
		CHECK(sign(&k, 1, NOW, nofrom, sizeof(nofrom) - 1, 0, &sigs, &sm, &err) != MS_OK &&
		      sigs.len == 0, "sign: a message without From is refused (%s)", err.msg);
		buf_free(&sigs);
		buf_free(&sm);
	}
	CHECK(dkim_sign_default_headers() && strncmp(dkim_sign_default_headers(), "from", 4) == 0,
	      "dkim_sign_default_headers starts with from");

	/* one signer, several messages */
	{
		struct dkim_signer *sg = dkim_signer_new();
		int r, bad = 0;

		k = key("ed", k_ed, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED);
		dkim_signer_add(sg, &k, &err);
		for (r = 0; r < 3; r++) {
			struct dkim_sign *m = dkim_sign_begin(sg, NOW + r);
			struct buf out, whole;

			buf_init(&out, 1 << 16);
			buf_init(&whole, 1 << 16);
			dkim_sign_feed(m, (const unsigned char *)msg_text, sizeof(msg_text) - 1);
			if (dkim_sign_finish(m, &out, &err) != MS_OK)
				bad++;
			dkim_sign_free(m);
			buf_append(&whole, out.data, out.len);
			buf_puts(&whole, msg_text);
			verify(NOW + 10, &whole, &o);
			if (!one(&o, DKIM_RES_PASS))
				bad++;
			buf_free(&out);
			buf_free(&whole);
		}
		dkim_signer_free(sg);
		CHECK(bad == 0, "one signer signs three messages in turn, all pass");
	}
}

int main(void)
{
	if (!setup()) {
		crypto_pkey_free(k_rsa);
		crypto_pkey_free(k_ed);
		crypto_pkey_free(k_rsa512);
		return unit_done();
	}
	test_canon_pairs();
	test_chunking();
	test_dual();
	test_lf_signing();
	test_keys();
	test_identity_and_expiry();
	test_counts();
	test_fields();
	test_header_list();
	keysource_destroy(ks);
	crypto_pkey_free(k_rsa);
	crypto_pkey_free(k_ed);
	crypto_pkey_free(k_rsa512);
	return unit_done();
}
