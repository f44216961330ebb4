/*
 * keyrec.h - the DKIM key record parser (RFC 6376 section 3.6.1).
 *
 * keyrec_parse takes one TXT record (its strings already concatenated)
 * and fills a struct keyrec.  The public key is decoded into an OpenSSL
 * EVP_PKEY which the keyrec owns (keyrec_release frees it).  Accepted:
 * v=DKIM1 (first if present), k=rsa|ed25519, h= hash list, s= service
 * list, t= flags, p= (empty means revoked; the record still parses and
 * revoked is set).  RSA p= may be SubjectPublicKeyInfo or a bare
 * RSAPublicKey.  Errors: MS_ERR_SYNTAX / MS_ERR_UNSUPPORTED with reason.
 */
#ifndef MAILSEAL_KEYREC_H
#define MAILSEAL_KEYREC_H

#include <stddef.h>
#include "dkim_sig.h"
#include "status.h"

typedef struct evp_pkey_st EVP_PKEY;

enum keyrec_type {
	KEYREC_RSA = 1,
	KEYREC_ED25519,
	KEYREC_OTHER,                   /* unknown k=: never usable */
};

struct keyrec {
	enum keyrec_type type;
	int revoked;                    /* p= empty */
	int testing;                    /* t=y */
	int strict;                     /* t=s: i= must equal d= */
	int sha256_ok;                  /* h= absent or lists sha256 */
	int email_ok;                   /* s= absent, * or email */
	unsigned bits;                  /* key size (RSA), 256 for Ed25519 */
	EVP_PKEY *pkey;                 /* NULL when revoked */
};

/* keyrec_parse - parse one key record */
enum ms_status keyrec_parse(const unsigned char *p, size_t len,
			    struct keyrec *key, struct ms_error *err);
/* keyrec_release - free what keyrec_parse allocated */
void keyrec_release(struct keyrec *key);

#endif
