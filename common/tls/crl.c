/*
 * crl.c - the serials a CRL revokes (crl.h).
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crl.h"

/* crl_is_pem - does p[0..len) have a PEM CRL's first line? */
static int crl_is_pem(const unsigned char *p, size_t len)
{
	static const char begin[] = "-----BEGIN X509 CRL-----";
	size_t i;

	for (i = 0; i + sizeof(begin) - 1 <= len; i++)
		if (memcmp(p + i, begin, sizeof(begin) - 1) == 0)
			return 1;
	return 0;
}

/* crl_parse - PEM when it looks like it, else DER */
static X509_CRL *crl_parse(const unsigned char *p, size_t len)
{
	X509_CRL *c = NULL;

	if (crl_is_pem(p, len)) {
		BIO *b = BIO_new_mem_buf(p, (int)len);

		if (b)
			c = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
		BIO_free(b);
	} else {
		const unsigned char *q = p;

		c = d2i_X509_CRL(NULL, &q, (long)len);
		if (c && (size_t)(q - p) != len) {
			X509_CRL_free(c);
			c = NULL;
		}
	}
	if (!c)
		ERR_clear_error();      /* what OpenSSL noted: said our way */
	return c;
}

/* crl_check - the CRL's issuer is the CA of ca_pem, whose key signed it */
static enum ms_status crl_check(X509_CRL *c, const char *ca_pem,
				struct ms_error *err)
{
	BIO *b = BIO_new_mem_buf(ca_pem, -1);
	X509 *ca = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = ca ? X509_get0_pubkey(ca) : NULL;
	enum ms_status st = MS_OK;

	BIO_free(b);
	if (!ca || !k)
		st = ms_error_set(err, MS_ERR_SYNTAX,
				  "the CA certificate is not PEM X.509");
	else if (X509_NAME_cmp(X509_CRL_get_issuer(c),
			       X509_get_subject_name(ca)) != 0)
		st = ms_error_set(err, MS_ERR_CRYPTO,
				  "the CRL was not issued by that CA (its issuer differs)");
	else if (X509_CRL_verify(c, k) != 1)
		st = ms_error_set(err, MS_ERR_CRYPTO,
				  "the CRL's signature does not verify with the CA's key");
	if (st != MS_OK)
		ERR_clear_error();      /* said our way */
	X509_free(ca);
	return st;
}

enum ms_status crl_read(const unsigned char *p, size_t len,
			const char *ca_pem, struct arena *a,
			struct crl_list *out, struct ms_error *err)
{
	STACK_OF(X509_REVOKED) *rev;
	X509_CRL *c;
	char serial[CERTINFO_SERIAL_MAX];
	int i, n;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > CRL_MAX_BYTES)
		return ms_error_set(err, MS_ERR_LIMIT, "a CRL of %zu bytes", len);
	c = crl_parse(p, len);
	if (!c)
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "not a CRL (PEM \"X509 CRL\" or DER)");
	if (ca_pem && crl_check(c, ca_pem, err) != MS_OK) {
		X509_CRL_free(c);
		return err->code;
	}
	X509_NAME_oneline(X509_CRL_get_issuer(c), out->issuer_dn,
			  sizeof(out->issuer_dn));
	rev = X509_CRL_get_REVOKED(c);
	n = rev ? sk_X509_REVOKED_num(rev) : 0;
	out->serials = arena_alloc(a, (size_t)(n ? n : 1) * sizeof(*out->serials));
	for (i = 0; i < n; i++) {
		const X509_REVOKED *r = sk_X509_REVOKED_value(rev, i);

		certinfo_serial_issuer(X509_REVOKED_get0_serialNumber(r),
				       X509_CRL_get_issuer(c), serial,
				       out->issuer);
		out->serials[out->n++] = arena_strdup(a, serial);
	}
	if (n == 0) {
		char dummy[CERTINFO_SERIAL_MAX];
		ASN1_INTEGER *zero = ASN1_INTEGER_new();

		certinfo_serial_issuer(zero, X509_CRL_get_issuer(c), dummy,
				       out->issuer);
		ASN1_INTEGER_free(zero);
	}
	X509_CRL_free(c);
	return MS_OK;
}
