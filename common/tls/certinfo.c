/*
 * certinfo.c - the public key hash and DNS names of a DER certificate.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certinfo.h"
#include "hex.h"

/* ci_name_ok - a name worth comparing: printable ASCII, no space, not
 * empty, not longer than a domain */
static int ci_name_ok(const unsigned char *p, int len)
{
	int i;

	if (len <= 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return 0;
	return 1;
}

/* ci_add - name (len bytes) into ci, when there is room and it is one */
static void ci_add(struct certinfo *ci, struct arena *a,
		   const unsigned char *p, int len)
{
	if (ci->nnames < CERTINFO_MAX_NAMES && ci_name_ok(p, len))
		ci->names[ci->nnames++] = arena_memdup(a, p, (size_t)len);
}

/* ci_sans - the dNSName entries of the subjectAltName */
static void ci_sans(X509 *x, struct certinfo *ci, struct arena *a)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name,
					       NULL, NULL);
	int i;

	if (!gens)
		return;
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DNS)
			ci_add(ci, a, ASN1_STRING_get0_data(g->d.dNSName),
			       ASN1_STRING_length(g->d.dNSName));
	}
	GENERAL_NAMES_free(gens);
}

/* ci_cn - the subject's (last) CN */
static void ci_cn(X509 *x, struct certinfo *ci, struct arena *a)
{
	const X509_NAME *subj = X509_get_subject_name(x);
	int idx = -1, last = -1;
	const ASN1_STRING *s;

	while ((idx = X509_NAME_get_index_by_NID(subj, NID_commonName, idx)) >= 0)
		last = idx;
	if (last < 0)
		return;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, last));
	ci_add(ci, a, ASN1_STRING_get0_data(s), ASN1_STRING_length(s));
}

void certinfo_serial_issuer(const ASN1_INTEGER *serial,
			    const X509_NAME *issuer,
			    char out_serial[CERTINFO_SERIAL_MAX],
			    char out_issuer[33])
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = ASN1_STRING_get0_data(serial);
	int n = ASN1_STRING_length(serial), i, k = 0, first, hashed = 0;
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0;
	int dlen;

	while (n > 1 && *s == 0) {      /* no leading zero bytes */
		s++;
		n--;
	}
	if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER && n > 0 && !(n == 1 && *s == 0))
		out_serial[k++] = '-';
	if (n > 32 && EVP_Digest(s, (size_t)n, md, &mdlen, EVP_sha256(), NULL)) {
		s = md;                 /* too long to write out: its hash */
		n = (int)mdlen;
		hashed = 1;
		out_serial[k++] = 'h';
	}
	first = k;
	for (i = 0; i < n && i < 32; i++) {
		if (i == 0 && !hashed && s[i] < 16) {   /* no leading zero digit */
			if (s[i])
				out_serial[k++] = hex[s[i]];
			continue;
		}
		out_serial[k++] = hex[s[i] >> 4];
		out_serial[k++] = hex[s[i] & 15];
	}
	if (k == first)
		out_serial[k++] = '0';
	out_serial[k] = 0;
	out_issuer[0] = 0;
	dlen = i2d_X509_NAME(issuer, &der);
	if (dlen > 0 && EVP_Digest(der, (size_t)dlen, md, &mdlen, EVP_sha256(),
				   NULL)) {
		hex_lower(md, 16, out_issuer);
	}
	OPENSSL_free(der);
}

enum ms_status certinfo_from_der(const unsigned char *der, size_t len,
				 struct arena *a, struct certinfo *ci,
				 struct ms_error *err)
{
	const unsigned char *p = der;
	unsigned char *spki = NULL;
	unsigned int mdlen = 0;
	X509 *x;
	int n;

	memset(ci, 0, sizeof(*ci));
	if (len == 0 || len > CERTINFO_MAX_DER)
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "a certificate of %zu bytes", len);
	x = d2i_X509(NULL, &p, (long)len);
	if (!x) {
		/* what OpenSSL noted would otherwise meet the next caller
		 * that asks it what went wrong (and it costs allocations) */
		ERR_clear_error();
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "the client certificate is not DER X.509");
	}
	if ((size_t)(p - der) != len) {
		X509_free(x);
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "bytes after the client certificate");
	}
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	if (n <= 0 || !EVP_Digest(spki, (size_t)n, ci->spki, &mdlen,
				  EVP_sha256(), NULL) || mdlen != TLSPIN_LEN) {
		OPENSSL_free(spki);
		X509_free(x);
		return ms_error_set(err, MS_ERR_CRYPTO,
				    "cannot hash the client certificate's public key");
	}
	OPENSSL_free(spki);
	certinfo_serial_issuer(X509_get0_serialNumber(x),
			       X509_get_issuer_name(x), ci->serial, ci->issuer);
	ci_sans(x, ci, a);
	if (ci->nnames == 0)
		ci_cn(x, ci, a);
	X509_free(x);
	return MS_OK;
}
