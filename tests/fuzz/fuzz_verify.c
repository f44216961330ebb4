/*
 * fuzz_verify.c - libFuzzer target: a whole message through the
 * verifier, with keys from a fixed key file (an RSA and an Ed25519
 * key, a revoked one, two records at one name).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "authres.h"
#include "dkim_verify.h"
#include "keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char keys[] =
	"rsa._domainkey.example.com v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAld8P4aqcj3sBp9IWJZodjrsO81V3EltQCUw8q8l6903rPorMvvs7es672ObWvtj/itXnM8l9L/719/xlus+YTUEV+nOgiIyPKe8/PCzmOHb60O7NaXaAr6e8cg/U4w+dsWUk51QIoBsul+TRNEJWpraP+oHekJtFBdXmRzAA2RH1o+yh31l4T99v3xOxqxtsqlNbTahIxpHnS+wat/WU8tVOf+bsBbgy2ME0jqoLUErJE3kNmJkO4kLam8QM/n+MaKRAednLvOrfKCz+H3MzBocCu+OaD9QxLxjyNTYPiNXaCz8kkBV4T+N8LJTpG4FbIcYm4FViW8/7mrHIuPKr/wIDAQAB\n"
	"ed._domainkey.example.com v=DKIM1; k=ed25519; p=wxrgh57IT2pqOYTWBDi8ilfeRBY1AOeuJw8UtWkgOrA=\n"
	"old._domainkey.example.com v=DKIM1; p=\n"
	"two._domainkey.example.com v=DKIM1; p=\n"
	"two._domainkey.example.com v=DKIM1; p=\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct keysource *ks;
	static struct dkim_verifier *v;
	struct dkim_verify_outcome oc;
	struct dkim_verify *m;
	struct buf ar;

	if (!ks) {
		struct dkim_verifier_opts o = { .max_sigs = 5, .now = 1800000000 };

		ks = keyfile_parse((const unsigned char *)keys, sizeof(keys) - 1,
				   "fuzz-keys", NULL);
		v = dkim_verifier_new(&o, ks);
	}
	m = dkim_verify_begin(v);
	dkim_verify_feed(m, data, size / 2);
	dkim_verify_feed(m, data + size / 2, size - size / 2);
	if (dkim_verify_finish(m, &oc, NULL) == MS_OK) {
		buf_init(&ar, BUF_UNLIMITED);
		(void)authres_format("mx.example.net", oc.results, oc.nresults, &ar);
		buf_free(&ar);
	}
	dkim_verify_free(m);
	return 0;
}
