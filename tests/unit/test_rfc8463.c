/*
 * test_rfc8463.c - the example of RFC 8463 Appendix A: one message with
 * an ed25519-sha256 and an rsa-sha256 signature (A.3), both of which
 * pass with the key records of A.2; a one-byte change of the body or of
 * a signed header fails both.
 *
 * Data: tests/unit/data/rfc8463.eml (the message, CRLF line ends) and
 * tests/unit/data/rfc8463.keys ("NAME TXT-DATA" lines), read with
 * keyfile_open; rfc8463.zone holds the same records in zone-file form.
 * The transcription was checked independently with dkimpy (Debian's
 * python3-dkim): dkim.DKIM(msg).verify(idx=0 and idx=1) both True with
 * these records, and False for the message with "We lost" changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "dkim_verify.h"
#include "keyfile.h"
#include "unit.h"

#define T_SIG 1528637909        /* t= of both signatures */

/* what one verification gave, copied out of the context's arena */
struct outcome {
	enum ms_status st;
	size_t n, skipped;
	enum dkim_result r[4];
	char reason[4][200];
	char alg[4][32];
	char domain[4][64];
	char selector[4][32];
	char identity[4][64];
	char bpre[4][9];
	unsigned bits[4];
	int testing[4];
	struct buf ar;                  /* Authentication-Results */
};

static void verify(struct dkim_verifier *v, const unsigned char *msg, size_t len,
		   size_t chunk, struct outcome *o)
{
	struct dkim_verify_outcome oc;
	struct dkim_verify *m = dkim_verify_begin(v);
	struct ms_error err;
	size_t i;

	memset(o, 0, sizeof(*o));
	buf_init(&o->ar, 65536);
	if (!chunk)
		chunk = len ? len : 1;
	for (i = 0; i < len; i += chunk)
		dkim_verify_feed(m, msg + i, len - i < chunk ? len - i : chunk);
	ms_error_clear(&err);
	o->st = dkim_verify_finish(m, &oc, &err);
	if (o->st == MS_OK) {
		o->n = oc.nresults;
		o->skipped = oc.skipped;
		for (i = 0; i < oc.nresults && i < 4; i++) {
			const struct dkim_sig_result *r = &oc.results[i];

			o->r[i] = r->result;
			snprintf(o->reason[i], sizeof(o->reason[i]), "%s", r->reason ? r->reason : "");
			snprintf(o->alg[i], sizeof(o->alg[i]), "%s", r->alg ? r->alg : "");
			snprintf(o->domain[i], sizeof(o->domain[i]), "%s", r->domain ? r->domain : "");
			snprintf(o->selector[i], sizeof(o->selector[i]), "%s",
				 r->selector ? r->selector : "");
			snprintf(o->identity[i], sizeof(o->identity[i]), "%s",
				 r->identity ? r->identity : "");
			memcpy(o->bpre[i], r->b_prefix, sizeof(o->bpre[i]));
			o->bits[i] = r->key_bits;
			o->testing[i] = r->testing;
		}
		authres_format("mx.example.net", oc.results, oc.nresults, &o->ar);
	}
	dkim_verify_free(m);
}

static int both(const struct outcome *o, enum dkim_result r)
{
	return o->st == MS_OK && o->n == 2 && o->r[0] == r && o->r[1] == r;
}

/* data_path - a file under $MAILSEAL_ROOT (or the working directory) */
static const char *data_path(const char *rel)
{
	static char path[4096];
	const char *root = getenv("MAILSEAL_ROOT");

	snprintf(path, sizeof(path), "%s/%s", root && *root ? root : ".", rel);
	return path;
}

/* copy_replace - msg with the first `from` replaced by `to` (same length
 * or not), in a new buf */
static int copy_replace(const unsigned char *msg, size_t len, const char *from,
			const char *to, struct buf *out)
{
	const char *p = strstr((const char *)msg, from);

	buf_init(out, BUF_UNLIMITED);
	if (!p)
		return 0;
	buf_append(out, msg, (size_t)((const unsigned char *)p - msg));
	buf_puts(out, to);
	buf_append(out, p + strlen(from), len - (size_t)((const unsigned char *)p - msg) - strlen(from));
	return 1;
}

static void run(struct keysource *ks, const char *kname, const unsigned char *msg,
		size_t len, int full)
{
	struct dkim_verifier_opts opts;
	struct dkim_verifier *v;
	struct outcome o;
	size_t chunk;
	struct buf m;

	memset(&opts, 0, sizeof(opts));
	opts.now = T_SIG + 3600;
	v = dkim_verifier_new(&opts, ks);

	verify(v, msg, len, 0, &o);
	CHECK(both(&o, DKIM_RES_PASS),
	      "rfc8463 A.3 (%s keys): ed25519-sha256 and rsa-sha256 both pass (%zu results: %s \"%s\", %s \"%s\")",
	      kname, o.n, dkim_result_str(o.r[0]), o.reason[0], dkim_result_str(o.r[1]), o.reason[1]);
	if (!full) {
		buf_free(&o.ar);
		dkim_verifier_free(v);
		return;
	}
	CHECK(o.n == 2 && strcmp(o.alg[0], "ed25519-sha256") == 0 && o.bits[0] == 256 &&
	      strcmp(o.selector[0], "brisbane") == 0 && strcmp(o.bpre[0], "/gCrinpc") == 0,
	      "rfc8463: first result is the ed25519 signature (s=brisbane, 256-bit key, b=/gCrinpc)");
	CHECK(o.n == 2 && strcmp(o.alg[1], "rsa-sha256") == 0 && o.bits[1] == 1024 &&
	      strcmp(o.selector[1], "test") == 0 && strcmp(o.bpre[1], "F45dVWDf") == 0,
	      "rfc8463: second result is the rsa signature (s=test, 1024-bit key, b=F45dVWDf)");
	CHECK(o.n == 2 && strcmp(o.domain[0], "football.example.com") == 0 &&
	      strcmp(o.identity[0], "@football.example.com") == 0 && o.reason[0][0] == 0 &&
	      o.reason[1][0] == 0 && !o.testing[0] && !o.testing[1] && o.skipped == 0,
	      "rfc8463: d=, i=, no reason on pass, not testing, none skipped");
	CHECK(strstr(buf_str(&o.ar), "dkim=pass header.d=football.example.com") != NULL &&
	      strstr(buf_str(&o.ar), "header.s=brisbane header.a=ed25519-sha256") != NULL &&
	      strstr(buf_str(&o.ar), "header.s=test header.a=rsa-sha256") != NULL,
	      "rfc8463: Authentication-Results carries both passes");
	buf_free(&o.ar);

	/* any chunking */
	for (chunk = 1; chunk < len; chunk = chunk < 16 ? chunk + 1 : chunk * 3) {
		verify(v, msg, len, chunk, &o);
		CHECK(both(&o, DKIM_RES_PASS), "rfc8463: both pass when fed in chunks of %zu", chunk);
		buf_free(&o.ar);
	}

	/* no x=: a much later clock changes nothing */
	{
		struct dkim_verifier_opts later = opts;
		struct dkim_verifier *v2;

		later.now = 4000000000;
		v2 = dkim_verifier_new(&later, ks);
		verify(v2, msg, len, 0, &o);
		CHECK(both(&o, DKIM_RES_PASS), "rfc8463: both pass with the clock at 4000000000 (no x=)");
		buf_free(&o.ar);
		dkim_verifier_free(v2);
	}

	/* the same message with bare LF line ends */
	{
		size_t i;

		buf_init(&m, BUF_UNLIMITED);
		for (i = 0; i < len; i++)
			if (!(msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n'))
				buf_putc(&m, msg[i]);
		verify(v, m.data, m.len, 0, &o);
		CHECK(both(&o, DKIM_RES_PASS), "rfc8463: the message with bare LF line ends passes both");
		buf_free(&o.ar);
		buf_free(&m);
	}

	/* one byte of the body changed */
	if (copy_replace(msg, len, "We lost the game.", "We wost the game.", &m)) {
		verify(v, m.data, m.len, 0, &o);
		CHECK(both(&o, DKIM_RES_FAIL),
		      "rfc8463: one byte of the body changed fails both (%s \"%s\", %s \"%s\")",
		      dkim_result_str(o.r[0]), o.reason[0], dkim_result_str(o.r[1]), o.reason[1]);
		CHECK(strstr(o.reason[0], "body") && strstr(o.reason[1], "body"),
		      "rfc8463: ... the reason names the body hash");
		buf_free(&o.ar);
	} else {
		unit_failf("rfc8463: body change", "text not found");
	}
	buf_free(&m);

	/* one byte of a signed header changed */
	if (copy_replace(msg, len, "Subject: Is dinner ready?", "Subject: Is dinner readY?", &m)) {
		verify(v, m.data, m.len, 0, &o);
		CHECK(both(&o, DKIM_RES_FAIL),
		      "rfc8463: one byte of Subject changed fails both (%s \"%s\", %s \"%s\")",
		      dkim_result_str(o.r[0]), o.reason[0], dkim_result_str(o.r[1]), o.reason[1]);
		buf_free(&o.ar);
	} else {
		unit_failf("rfc8463: header change", "text not found");
	}
	buf_free(&m);

	/* a second Subject added: h= lists subject twice, so the added
	 * instance is covered and the signatures fail */
	if (copy_replace(msg, len, "Date: Fri", "Subject: Not dinner\r\nDate: Fri", &m)) {
		verify(v, m.data, m.len, 0, &o);
		CHECK(both(&o, DKIM_RES_FAIL), "rfc8463: an added Subject fails both (over-signed)");
		buf_free(&o.ar);
	}
	buf_free(&m);

	/* an unsigned header added: both still pass */
	if (copy_replace(msg, len, "Date: Fri", "X-Extra: added in transit\r\nDate: Fri", &m)) {
		verify(v, m.data, m.len, 0, &o);
		CHECK(both(&o, DKIM_RES_PASS), "rfc8463: an added unsigned header changes nothing");
		buf_free(&o.ar);
	}
	buf_free(&m);

	/* relaxed: whitespace changes in a header and trailing empty lines
	 * in the body are allowed */
	if (copy_replace(msg, len, "Subject: Is dinner ready?", "subject:   Is \t dinner ready?  ", &m)) {
		buf_puts(&m, "\r\n\r\n");
		verify(v, m.data, m.len, 0, &o);
		CHECK(both(&o, DKIM_RES_PASS),
		      "rfc8463: relaxed/relaxed survives header whitespace and case, and trailing empty lines");
		buf_free(&o.ar);
	}
	buf_free(&m);

	dkim_verifier_free(v);
}

int main(void)
{
	struct keysource *ks;
	struct ms_error err;
	unsigned char *msg;
	size_t len;

	msg = unit_read_file("tests/unit/data/rfc8463.eml", &len);
	if (!msg) {
		unit_failf("rfc8463: test data", "cannot read tests/unit/data/rfc8463.eml");
		return unit_done();
	}
	CHECK(len == 1088 && msg[len - 2] == '\r' && msg[len - 1] == '\n',
	      "rfc8463: the message file is 1088 bytes with CRLF line ends (%zu)", len);

	ms_error_clear(&err);
	ks = keyfile_open(data_path("tests/unit/data/rfc8463.keys"), &err);
	CHECK(ks != NULL, "rfc8463: keyfile_open of rfc8463.keys (%s)", err.msg);
	if (ks) {
		run(ks, "NAME TXT-DATA", msg, len, 1);
		keysource_destroy(ks);
	}

	ms_error_clear(&err);
	ks = keyfile_open(data_path("tests/unit/data/rfc8463.zone"), &err);
	CHECK(ks != NULL, "rfc8463: keyfile_open of rfc8463.zone (%s)", err.msg);
	if (ks) {
		run(ks, "zone-file", msg, len, 0);
		keysource_destroy(ks);
	}
	free(msg);
	return unit_done();
}
