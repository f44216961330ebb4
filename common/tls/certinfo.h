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

struct certinfo {
	unsigned char spki[TLSPIN_LEN]; /* SHA-256 of the SubjectPublicKeyInfo */
	const char *names[CERTINFO_MAX_NAMES];  /* in the arena */
	size_t nnames;
};

/* certinfo_from_der - ci from len bytes of DER (the whole input must be
 * one certificate); MS_ERR_SYNTAX (err says why) otherwise */
enum ms_status certinfo_from_der(const unsigned char *der, size_t len,
				 struct arena *a, struct certinfo *ci,
				 struct ms_error *err);

#endif
