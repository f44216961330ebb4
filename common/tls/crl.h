/*
 * crl.h - a certificate revocation list (PEM or DER) of a private or
 * federation CA, as `mailseal revoke import-crl` reads it: the issuer
 * and the serial numbers it revokes, named as certinfo.h names a client
 * certificate's ("serial:ISSUER:SERIAL"), so that the farm can enforce
 * them where the MTA shows the certificate (Exim's mailseal_tls).  With
 * the CA's certificate, the CRL's signature is checked first.
 */
#ifndef MAILSEAL_CRL_H
#define MAILSEAL_CRL_H

#include <stddef.h>
#include "arena.h"
#include "certinfo.h"
#include "status.h"

#define CRL_MAX_BYTES (64u << 20)

struct crl_list {
	char issuer[33];                /* certinfo_serial_issuer's form */
	char issuer_dn[256];            /* for people: the issuer's name */
	const char **serials;           /* in the arena */
	size_t n;
};

/* crl_read - the CRL in p[0..len) (PEM or DER); with ca_pem (a CA
 * certificate, PEM text; NULL: not checked) its signature must verify
 * with that key, and the CRL must name that CA as its issuer */
enum ms_status crl_read(const unsigned char *p, size_t len,
			const char *ca_pem, struct arena *a,
			struct crl_list *out, struct ms_error *err);

#endif
