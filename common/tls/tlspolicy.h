/*
 * tlspolicy.h - the sending-domain TLS policy (the tls_policy setting):
 * which sending servers may carry mail from a domain, proven by the
 * X.509 client certificate they present over STARTTLS.
 *
 * A file of lines, one per envelope sender domain ('#' starts a
 * comment):
 *
 *   DOMAIN MODE [name=HOST]... [pin=SPKI-SHA256-HEX]...
 *
 * DOMAIN as domainlist.h reads it (".example.com" for its subdomains;
 * the most specific line wins).  MODE is off (no check), log (check and
 * log only), test (a failure defers: 4xx) or require (a failure is
 * refused: 5xx).  name=HOST: a name the client certificate must carry
 * (one of them, when several are given; ".example.com" for any name
 * under it); pin=: the SHA-256 of the certificate's SubjectPublicKeyInfo
 * in hex, colons between pairs allowed (Postfix's
 * ccert_pubkey_fingerprint form); several for a key rollover.  Errors
 * name the file and line.
 */
#ifndef MAILSEAL_TLSPOLICY_H
#define MAILSEAL_TLSPOLICY_H

#include <stddef.h>
#include "status.h"
#include "tlspins.h"

enum tls_mode {
	TLS_MODE_OFF = 0,
	TLS_MODE_LOG,
	TLS_MODE_TEST,
	TLS_MODE_REQUIRE,
};

struct tlspolicy_entry {
	const char *pattern;            /* the DOMAIN as written */
	enum tls_mode mode;
	char **names;
	size_t nnames;
	unsigned char (*pins)[TLSPIN_LEN];
	size_t npins;
};

/* what the MTA knows of the client certificate of a session */
struct tls_client {
	int encrypted;                  /* the session is under TLS */
	int verified;                   /* a certificate verified (the MTA
					 * checked its chain) */
	const char *const *names;       /* of a verified certificate: DNS
					 * names (SANs, or the CN) */
	size_t nnames;
	const unsigned char *spki;      /* SHA-256 of its public key
					 * (TLSPIN_LEN bytes); NULL: unknown */
};

struct tlspolicy;

/* tlspolicy_load - read path */
struct tlspolicy *tlspolicy_load(const char *path, struct ms_error *err);
/* tlspolicy_parse - the same from text; origin names it in errors */
struct tlspolicy *tlspolicy_parse(const char *text, const char *origin,
				  struct ms_error *err);
/* tlspolicy_free - release it (NULL is fine) */
void tlspolicy_free(struct tlspolicy *tp);
/* tlspolicy_size - lines held */
size_t tlspolicy_size(const struct tlspolicy *tp);
/* tlspolicy_find - the most specific line for domain (lower case), or
 * NULL */
const struct tlspolicy_entry *tlspolicy_find(const struct tlspolicy *tp,
					     const char *domain);
/* tlspolicy_why - what the client lacks for entry e: NULL when it meets
 * it, else a reason ("this session is not encrypted", ...) written into
 * why (a buffer of size n) */
const char *tlspolicy_why(const struct tlspolicy_entry *e,
			  const struct tls_client *c, char *why, size_t n);
/* tls_mode_str - "off", "log", "test", "require" */
const char *tls_mode_str(enum tls_mode m);
/* tls_name_match - does the certificate name cert (a DNS name, or a
 * wildcard "*.example.com" standing for one label) carry the policy
 * name want ("host.example.com", or ".example.com": any name under it)?
 * Letter case is ignored. */
int tls_name_match(const char *want, const char *cert);

#endif
