/*
 * test_rfc8463.c - the example of RFC 8463 Appendix A: one message with
 * an ed25519-sha256 and an rsa-sha256 signature, both of which pass;
 * a changed body fails both.  Keys from the RFC's records, read through
 * the key file source as zone-file lines.
 */
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "dkim_verify.h"
#include "keyfile.h"
#include "unit.h"

static int verify(struct dkim_verifier *v, const unsigned char *msg, size_t len,
		  size_t chunk, enum dkim_result *r, size_t *n)
{
	struct dkim_verify_outcome oc;
	struct dkim_verify *m = dkim_verify_begin(v);
	struct ms_error err;
	size_t i;

	for (i = 0; i < len; i += chunk)
		dkim_verify_feed(m, msg + i, len - i < chunk ? len - i : chunk);
	if (dkim_verify_finish(m, &oc, &err) != MS_OK) {
		dkim_verify_free(m);
		return -1;
	}
	*n = oc.nresults;
	for (i = 0; i < oc.nresults && i < 2; i++)
		r[i] = oc.results[i].result;
	dkim_verify_free(m);
	return 0;
}

int main(void)
{
	struct dkim_verifier_opts o = { .now = 1528637909 + 86400 };
	enum dkim_result r[2] = { DKIM_RES_NONE, DKIM_RES_NONE };
	struct keysource *ks;
	struct dkim_verifier *v;
	struct ms_error err;
	unsigned char *msg;
	size_t len, n = 0, chunk;
	char *p;

	unsigned char *keys;
	size_t keys_len;

	msg = unit_read_file("tests/unit/data/rfc8463.eml", &len);
	keys = unit_read_file("tests/unit/data/rfc8463.keys", &keys_len);
	ks = keys ? keyfile_parse(keys, keys_len, "rfc8463.keys", &err) : NULL;
	free(keys);
	if (!msg || !ks) {
		unit_failf("rfc8463: test data", "cannot read the message or keys");
		return unit_done();
	}
	v = dkim_verifier_new(&o, ks);
	for (chunk = 1; chunk <= len; chunk = chunk < 64 ? chunk * 7 : len) {
		n = 0;
		CHECK(verify(v, msg, len, chunk, r, &n) == 0 && n == 2 &&
		      r[0] == DKIM_RES_PASS && r[1] == DKIM_RES_PASS,
		      "rfc8463 A.3: ed25519-sha256 and rsa-sha256 pass (chunks of %zu)", chunk);
		if (chunk == len)
			break;
	}
	p = strstr((char *)msg, "We lost the game.");
	if (p) {
		p[3] = 'w';             /* "We lost" -> "We wost" */
		CHECK(verify(v, msg, len, len, r, &n) == 0 && n == 2 &&
		      r[0] == DKIM_RES_FAIL && r[1] == DKIM_RES_FAIL,
		      "rfc8463 A.3: a changed body fails both signatures");
	}
	dkim_verifier_free(v);
	keysource_destroy(ks);
	free(msg);
	return unit_done();
}
