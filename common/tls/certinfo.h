/*
 * certinfo.h - what the TLS policy needs of a client certificate that
 * the MTA hands over whole (Exim: ${base64:$tls_in_peercert}, the DER):
 * the SHA-256 of its SubjectPublicKeyInfo (what a pin= of tls_policy and
 * Postfix's ccert_pubkey_fingerprint hold) and its DNS names (the
 * subjectAltName dNSName entries, or the subject's CN when it has
 * none, as RFC 6125 falls back).  The certificate is untrusted input
 * (parsed by OpenSSL; names that are not printable ASCII are dropped,
 * at most CERTINFO_MAX_NAMES kept); only a certificate the MTA verified
 * should be asked.
 */
#ifndef MAILSEAL_CERTINFO_H
#define MAILSEAL_CERTINFO_H

#include <stddef.h>
#include "arena.h"
#include "status.h"
#include "tlspins.h"

#define CERTINFO_MAX_NAMES 32
#define CERTINFO_MAX_DER (64 * 1024)

/* a serial as text: "-" when negative, then lower-case hex without
 * leading zeros for up to 32 bytes (RFC 5280 allows 20; CAs and CRLs
 * exceed it), or "h" and the SHA-256 of its bytes in hex past 32: every
 * serial its own text; and a NUL */
#define CERTINFO_SERIAL_MAX 67

struct certinfo {
	unsigned char spki[TLSPIN_LEN]; /* SHA-256 of the SubjectPublicKeyInfo */
	char serial[CERTINFO_SERIAL_MAX];       /* as above ("0": zero) */
	char issuer[33];                /* 16 bytes of the SHA-256 of the
					 * issuer name's DER, hex */
	const char *names[CERTINFO_MAX_NAMES];  /* in the arena */
	size_t nnames;
};

/* certinfo_from_der - ci from len bytes of DER (the whole input must be
 * one certificate); MS_ERR_SYNTAX (err says why) otherwise */
enum ms_status certinfo_from_der(const unsigned char *der, size_t len,
				 struct arena *a, struct certinfo *ci,
				 struct ms_error *err);

/* certinfo_serial_issuer - a serial number as lower-case hex without
 * leading zeros, and its issuer's name as 16 bytes of the SHA-256 of
 * its DER, in hex: how a certificate and a CRL entry name the same
 * certificate ("serial:ISSUER:SERIAL", revstore.h) */
struct asn1_string_st;
struct X509_name_st;
void certinfo_serial_issuer(const struct asn1_string_st *serial,
			    const struct X509_name_st *issuer,
			    char out_serial[CERTINFO_SERIAL_MAX],
			    char out_issuer[33]);

#endif
