/*
 * fuzz_verify.c - libFuzzer target: a whole message through the
 * verifier (dkim_verifier_new, dkim_verify_begin / feed / finish), with
 * keys from a fixed key file parsed by keyfile_parse and a fixed clock.
 *
 * The key file is tests/golden/keys (zone-file lines as keygen writes
 * them and bare lines: RSA and Ed25519 keys, a revoked key, two records
 * at one name, t=y, t=s, h=sha1, s=other, a k= mismatch and a 512-bit
 * key; golden_keys.h), so the golden cases, signed with those keys, are
 * seeds that reach every verdict, and mutations of them reach the
 * crypto.
 *
 * The message is fed in three pieces (split points from its length).
 * Checked: at most max_sigs results, each with a known result and a
 * reason unless it passed; the Authentication-Results writer accepts
 * every outcome.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "authres.h"
#include "dkim_verify.h"
#include "keyfile.h"
#include "golden_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1795367300     /* just after the golden cases' t= */
#define FUZZ_MAX_SIGS 5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct keysource *ks;
	static struct dkim_verifier *v;
	static const unsigned char nothing[1];
	struct dkim_verify_outcome oc;
	struct dkim_verify *m;
	struct ms_error err;
	size_t a = size / 3, b = size - size / 3, i;
	struct buf ar;

	if (!ks) {
		struct dkim_verifier_opts o;

		memset(&o, 0, sizeof(o));
		o.max_sigs = FUZZ_MAX_SIGS;
		o.now = FUZZ_NOW;
		ks = keyfile_parse((const unsigned char *)keys, sizeof(keys) - 1,
				   "fuzz-keys", &err);
		if (!ks)
			__builtin_trap();       /* the embedded key file is bad */
		v = dkim_verifier_new(&o, ks);
	}
	m = dkim_verify_begin(v);
	if (size == 0)
		data = nothing;
	dkim_verify_feed(m, data, a);
	dkim_verify_feed(m, data + a, b - a);
	dkim_verify_feed(m, data + b, size - b);
	if (dkim_verify_finish(m, &oc, &err) == MS_OK) {
		if (oc.nresults > FUZZ_MAX_SIGS || (oc.nresults && !oc.results))
			__builtin_trap();
		for (i = 0; i < oc.nresults; i++) {
			const struct dkim_sig_result *r = &oc.results[i];

			if (r->result <= DKIM_RES_NONE ||
			    r->result > DKIM_RES_PERMERROR)
				__builtin_trap();
			if (r->result != DKIM_RES_PASS && !r->reason)
				__builtin_trap();
			if (r->reason)
				(void)strlen(r->reason);
			if (r->domain)
				(void)strlen(r->domain);
			if (r->selector)
				(void)strlen(r->selector);
			if (r->alg)
				(void)strlen(r->alg);
			if (memchr(r->b_prefix, 0, sizeof(r->b_prefix)) == NULL)
				__builtin_trap();
		}
		buf_init(&ar, BUF_UNLIMITED);
		if (authres_format("mx.example.net", oc.results, oc.nresults,
				   &ar) != MS_OK)
			__builtin_trap();
		buf_free(&ar);
	}
	dkim_verify_free(m);
	return 0;
}
