/*
 * tlspins.h - certificate pins per sending domain (the tls_pins
 * setting): which client certificates may carry mail from a domain of
 * require_tls.
 *
 * A file of lines "DOMAIN FINGERPRINT...": DOMAIN as domainlist.h
 * reads it (".example.com" for its subdomains; the most specific line
 * wins), then one or more SHA-256 fingerprints of the certificate or of
 * its public key, in hex, with or without colons (as Postfix's
 * ccert_fingerprint and ccert_pubkey_fingerprint, or "openssl x509
 * -fingerprint -sha256" print them).  '#' starts a comment.  Errors
 * name the file and line.
 */
#ifndef MAILSEAL_TLSPINS_H
#define MAILSEAL_TLSPINS_H

#include <stddef.h>
#include "status.h"

#define TLSPIN_LEN 32                   /* SHA-256 */

struct tlspins;

/* tlspins_load - read path */
struct tlspins *tlspins_load(const char *path, struct ms_error *err);
/* tlspins_parse - the same from text; origin names it in errors */
struct tlspins *tlspins_parse(const char *text, const char *origin,
			      struct ms_error *err);
/* tlspins_free - release it (NULL is fine) */
void tlspins_free(struct tlspins *tp);
/* tlspins_for - is there a line for domain?  (the pattern, or NULL) */
const char *tlspins_for(const struct tlspins *tp, const char *domain);
/* tlspins_match - does one of the fingerprints (hex text as the MTA
 * gives it; NULL or "" for none) match a pin of domain's line? */
int tlspins_match(const struct tlspins *tp, const char *domain,
		  const char *cert_fp, const char *pubkey_fp);
/* tlspin_parse_hex - a fingerprint's text into 32 bytes; -1 if it is
 * not 64 hex digits (colons between pairs allowed) */
int tlspin_parse_hex(const char *s, size_t len, unsigned char out[TLSPIN_LEN]);

#endif
