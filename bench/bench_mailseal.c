/*
 * bench_mailseal.c - mailseal's library (build/libmailseal.a) in process.
 *
 *   bench_mailseal sign|verify rsa|ed25519 LIST KEYDIR RUNS MINSEC [OUTDIR]
 *
 * Same protocol and output lines as the other drivers (benchutil.h).
 * Signing: one long-lived dkim_signer holding the key loaded once with
 * crypto_load_private_pem (KEYDIR/rsa.pem or ed.pem), relaxed/relaxed,
 * the same explicit header list the peers are given.  Verification: one
 * long-lived dkim_verifier over keyfile_open(KEYDIR/keys.mailseal).
 * Each message is fed in one dkim_*_feed call, as the peers get it.
 */
#include <stdint.h>

#include "crypto.h"
#include "dkim_sign.h"
#include "dkim_verify.h"
#include "keyfile.h"

#include "benchutil.h"

#define DOMAIN "bench.example"
#define SIGN_HDRS "from:to:cc:subject:date:message-id:in-reply-to:" \
	"references:mime-version:content-type:content-transfer-encoding"

struct ctx {
	struct dkim_signer *signer;
	struct dkim_verifier *verifier;
	struct buf fields;
	size_t chunk;                   /* 0: whole message in one feed */
};

static void feed_sign(struct ctx *c, struct dkim_sign *s,
		      const struct bmsg *m)
{
	size_t off, n;

	if (!c->chunk) {
		dkim_sign_feed(s, m->data, m->len);
		return;
	}
	for (off = 0; off < m->len; off += n) {
		n = m->len - off < c->chunk ? m->len - off : c->chunk;
		dkim_sign_feed(s, m->data + off, n);
	}
}

static void feed_verify(struct ctx *c, struct dkim_verify *v,
			const struct bmsg *m)
{
	size_t off, n;

	if (!c->chunk) {
		dkim_verify_feed(v, m->data, m->len);
		return;
	}
	for (off = 0; off < m->len; off += n) {
		n = m->len - off < c->chunk ? m->len - off : c->chunk;
		dkim_verify_feed(v, m->data + off, n);
	}
}

static int one_sign(void *vc, const struct bmsg *m, FILE *out)
{
	struct ctx *c = vc;
	struct dkim_sign *s = dkim_sign_begin(c->signer, 0);
	struct ms_error err;
	int ok;

	if (!s)
		return 0;
	buf_reset(&c->fields);
	feed_sign(c, s, m);
	ok = dkim_sign_finish(s, &c->fields, &err) == MS_OK &&
	     c->fields.len > 0;
	if (!ok) {
		static int said;

		if (!said++)
			fprintf(stderr, "bench_mailseal: sign: %s\n", err.msg);
	}
	dkim_sign_free(s);
	if (ok && out) {
		fwrite(c->fields.data, 1, c->fields.len, out);
		fwrite(m->data, 1, m->len, out);
	}
	return ok;
}

static int one_verify(void *vc, const struct bmsg *m, FILE *out)
{
	struct ctx *c = vc;
	struct dkim_verify *v = dkim_verify_begin(c->verifier);
	struct dkim_verify_outcome oc;
	struct ms_error err;
	int ok = 0;

	(void)out;
	if (!v)
		return 0;
	feed_verify(c, v, m);
	if (dkim_verify_finish(v, &oc, &err) == MS_OK && oc.nresults > 0) {
		ok = oc.results[0].result == DKIM_RES_PASS;
		if (!ok) {
			static int said;

			if (!said++)
				fprintf(stderr, "bench_mailseal: verify %s: "
					"%s (%s)\n", m->path,
					dkim_result_str(oc.results[0].result),
					oc.results[0].reason ?
					oc.results[0].reason : "");
		}
	}
	dkim_verify_free(v);
	return ok;
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	struct bcorpus corpus;
	struct ms_error err;
	char path[4096];
	int sign, ed;

	if (argc < 7)
		bdie("usage: bench_mailseal sign|verify rsa|ed25519 LIST "
		     "KEYDIR RUNS MINSEC [OUTDIR]");
	sign = strcmp(argv[1], "sign") == 0;
	ed = strcmp(argv[2], "ed25519") == 0;
	if (getenv("BENCH_CHUNK"))
		c.chunk = (size_t)strtoul(getenv("BENCH_CHUNK"), NULL, 10);
	bload(argv[3], &corpus);
	buf_init(&c.fields, BUF_UNLIMITED);

	if (sign) {
		struct dkim_sign_key k = { 0 };
		EVP_PKEY *pkey = NULL;

		snprintf(path, sizeof path, "%s/%s.pem", argv[4],
			 ed ? "ed" : "rsa");
		if (crypto_load_private_pem(path, &pkey, &err) != MS_OK) {
			fprintf(stderr, "bench_mailseal: %s\n", err.msg);
			return 2;
		}
		k.domain = DOMAIN;
		k.selector = ed ? "ed2026" : "rsa2026";
		k.pkey = pkey;
		k.hdr_canon = DKIM_CANON_RELAXED;
		k.body_canon = DKIM_CANON_RELAXED;
		k.headers = getenv("BENCH_DEFAULT_HDRS") ? NULL : SIGN_HDRS;
		c.signer = dkim_signer_new();
		if (!c.signer ||
		    dkim_signer_add(c.signer, &k, &err) != MS_OK) {
			fprintf(stderr, "bench_mailseal: %s\n", err.msg);
			return 2;
		}
		crypto_pkey_free(pkey);         /* the signer holds its own */
		brun("mailseal", argv[1], argv[2], &corpus, atoi(argv[5]),
		     atof(argv[6]), one_sign, &c, argc > 7 ? argv[7] : NULL);
		dkim_signer_free(c.signer);
	} else {
		struct dkim_verifier_opts o = { 0 };
		struct keysource *ks;

		snprintf(path, sizeof path, "%s/keys.mailseal", argv[4]);
		ks = keyfile_open(path, &err);
		if (!ks) {
			fprintf(stderr, "bench_mailseal: %s\n", err.msg);
			return 2;
		}
		c.verifier = dkim_verifier_new(&o, ks);
		if (!c.verifier)
			bdie("dkim_verifier_new failed");
		brun("mailseal", argv[1], argv[2], &corpus, atoi(argv[5]),
		     atof(argv[6]), one_verify, &c, NULL);
		dkim_verifier_free(c.verifier);
		keysource_destroy(ks);
	}
	buf_free(&c.fields);
	bfree(&corpus);
	return 0;
}
