/*
 * fuzz_verify.c - libFuzzer target: a whole message through the
 * verifier (dkim_verifier_new, dkim_verify_begin / feed / finish), with
 * keys from a fixed key file parsed by keyfile_parse and a fixed clock.
 *
 * The key file is tests/golden/keys (zone-file lines as keygen writes
 * them and bare lines: RSA and Ed25519 keys, a revoked key, two records
 * at one name, t=y, t=s, h=sha1, s=other, a k= mismatch and a 512-bit
 * key), so the golden cases, signed with those keys, are seeds that
 * reach every verdict, and mutations of them reach the crypto.  If the
 * golden keys are remade, paste the new file here.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1795367300     /* just after the golden cases' t= */
#define FUZZ_MAX_SIGS 5

static const char keys[] =
	"rsa._domainkey.example.com.\tIN\tTXT\t( \"v=DKIM1; k=rsa; p=MIIB"
	"IjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqTxp+exIX+CHK5bNfceq"
	"16brHHV+hZvBDaXg1L6vVBxYUduSCc6MogeyCc2D7aB+PIlrFqkVIl9+OThB"
	"DT7k5PBiAbfPupK6kTtdTOmFgCXfblotpZIcpyJKKIQGqn5TcVh/K7GBA9i9"
	"HyWVQsPRQqgZKlo5h8CPKKWJWamBh5tlaz1q+LxGMFwxZqVW1JEnf\" \"N6SA"
	"4CYwDDOEFsurzY5pwyw45kd2Hrvj9fbmtaiyxDexjp0siRnaB8TlSL/hrcj8"
	"GnUpa83VIe5CM3oTN9Q9uuhVLbt7flEsVIX5k7X8rlGMMM7KLtlWenkKiM8z"
	"eBuyYofj1cbMesso6VyR33vfQIDAQAB\" )\n"
	"ed._domainkey.example.com.\tIN\tTXT\t( \"v=DKIM1; k=ed25519; p=K"
	"79U9kq8wbZGDbjcLONL2u7h+Bfp5dKIdz7PBkytwDg=\" )\n"
	"old._domainkey.example.com v=DKIM1; p=\n"
	"two._domainkey.example.com v=DKIM1; k=rsa; p=MIIBIjANBgkqhki"
	"G9w0BAQEFAAOCAQ8AMIIBCgKCAQEA4U1RmzDggrz70icgmCWAoer9pYoGdo4"
	"PnGtcBtGfMXe6HJrwLzeIozz02iKdGliPF7DllHig/55JYEFA/nRASoCgXDT"
	"UQMMUM206qS3baGlxMsY2To0uqFscvfvYIU545NQRSMu4DJo93ss5gci3SRM"
	"InwR9ZNa/7isHkXs3HOCTbSL+aHf4nyV1GabaMeCm0cCncJtW2LAtyk3Jz3n"
	"tkxHIPM4+SCUFkk94pzw7kj9w6CXBebPgkHEl+SBAOzIe2fDpYfDcVPp4xZf"
	"JH4uDS2RinXGjNgxsTtg+QJiVTvVvK9T2dWjdKFtMVqwKbyhzUu140ZScSb6"
	"ZOkRu/a9DxwIDAQAB\n"
	"two._domainkey.example.com v=DKIM1; k=rsa; p=MIIBIjANBgkqhki"
	"G9w0BAQEFAAOCAQ8AMIIBCgKCAQEA4U1RmzDggrz70icgmCWAoer9pYoGdo4"
	"PnGtcBtGfMXe6HJrwLzeIozz02iKdGliPF7DllHig/55JYEFA/nRASoCgXDT"
	"UQMMUM206qS3baGlxMsY2To0uqFscvfvYIU545NQRSMu4DJo93ss5gci3SRM"
	"InwR9ZNa/7isHkXs3HOCTbSL+aHf4nyV1GabaMeCm0cCncJtW2LAtyk3Jz3n"
	"tkxHIPM4+SCUFkk94pzw7kj9w6CXBebPgkHEl+SBAOzIe2fDpYfDcVPp4xZf"
	"JH4uDS2RinXGjNgxsTtg+QJiVTvVvK9T2dWjdKFtMVqwKbyhzUu140ZScSb6"
	"ZOkRu/a9DxwIDAQAB\n"
	"tst._domainkey.example.com v=DKIM1; t=y; k=rsa; p=MIIBIjANBg"
	"kqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArv7SLyOMtSYBG5K1mo8ED/NvTq"
	"FGf141QEc7G4INAIQaDlSwoBq8h0acLa6fUi5uAHMvI3LIkCnQEz8nH2f9yD"
	"RHmqW2vpqqHvIQOOxub7vtOfsUtXsppQ4XsrVi9v4SpVZDuRXeL7nhOpyuz5"
	"ad3m+wP3/dZCVby+sFzZYwxANurIexbsUcZwgqQbuYeXUqic8nresDkfYpMn"
	"P3WkmlNC743b9NWl0MPgO8gD3i/BAVrbiFG3kduGgTzJZtYchlRkcFO5tASs"
	"0jP83xWB/RX2f+MZZDn9Lobd9xQXb0ZWYDJrdSWp17Xsf1JyKXE89TG6jE4f"
	"dRO+Whd/HOmJWaNQIDAQAB\n"
	"strict._domainkey.example.com v=DKIM1; t=s; k=rsa; p=MIIBIjA"
	"NBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA4i1DQLbfAUSmoHamVAnNXbR"
	"JZFlIUeOohwMOAhzYFzIg7abGtYPWOQj2PMsmYnPpzck6ZPGdmiUDT3AvJcQ"
	"hIy+b8RG5RtDEtJjJ50uQNVYfJy6oflcyRD6b/gar5ls0bPK6yOQDb2/tPNE"
	"AUCnWx1X0D1SsNVWKs6kq8lL4m2CTNJPkz4snSQZ3oGq2/E3y6ug4louAemm"
	"vDRCG0qaTbCpNHIY+t3b4iCNYFExdSaWXbl/CNC7mKX8SX2qbaF9aWcKBUaK"
	"AmHrDOqv4hBCFLrWIOWGyXlJhSCtdSlCq5iX61Km4URsgGHq8qnoRlliKdhp"
	"R3FwGbCuRFe6/K7CMhwIDAQAB\n"
	"hsha1._domainkey.example.com v=DKIM1; h=sha1; k=rsa; p=MIIBI"
	"jANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwlpR2QgdUh6JmYSvUCWcS"
	"u5OYN3wpvngO+ndUxdsugdau9gA84EIDTZLRHkPjvGQu/ah7rwuY+IROfZDB"
	"VbDlwx90/xFKCVuTodp3NVJasTU0HqfeorTjcUwp9UlOYnTANrC/7tEzPaAV"
	"aEdDwFpTli5Y3CZwZzZuGsGrHVtb6uFtZXMzxeYkZPFH+F8zfnBccymqCuAt"
	"PYonsFPyYmJoygLlb64rIBhNh6zxjlI+o1LPkAVNi9kWqHSjZdQmaxiojEO9"
	"/2RxtabdXIkzCTIkoAIdnQU5glJ8ZryEXphFPOZybFotYsxDIdmFRmsnkf6U"
	"bXWXdXj37eWdIcvfxhwTwIDAQAB\n"
	"sother._domainkey.example.com v=DKIM1; s=other; k=rsa; p=MII"
	"BIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqt7neSWk4SsiLD/WQ6R"
	"Quj8IG+iecvx1S+ItPZ+v1V884ljHgl5dOS3CFsHbYJGAXQDoT3YLKRf9dZd"
	"qZQCjfUf+m/VX/QooXQnWqDkVPpbIEmGdCPsjZdnan/nYxaXslbx0QYwVzi4"
	"qLosaF/H3vx8yJYWRIA51lU7ba1Uy3TmzRwPv9tzu965I5gkmuEdfaDefAc6"
	"W6hxTdE6Edr4QPJWnlcyr3mlIEmRfufEoZUf5kxkhYew+dvrfa5iD0tHAsGS"
	"TVWthI508mIoGudGXZyEKR3XehXpCUyHbv5/yzQuLqRamYqwXnI9IUgwaqY1"
	"dw2I5yyVIOoWQy7RSB0Ex4wIDAQAB\n"
	"mism._domainkey.example.com k=ed25519; p=K79U9kq8wbZGDbjcLON"
	"L2u7h+Bfp5dKIdz7PBkytwDg=\n"
	"small._domainkey.example.com v=DKIM1; k=rsa; p=MFwwDQYJKoZIh"
	"vcNAQEBBQADSwAwSAJBAMYtcVpc1QMs9aKmAZKs6qvYAHoJbc5Hl8nFRj7nN"
	"kX29wyaMqWpEs7MH3+RhLYGXTIuhM2AUNAYySgmE/H6De8CAwEAAQ==\n";

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
