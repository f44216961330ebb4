/*
 * keycheck.h - does DNS publish the public half of a private key?  The
 * verdict of `mailseal testkey` and of every DNS check of the key life
 * cycle (`mailseal key`, docs/keys.md): a key signs only while the
 * record at its name holds it.
 *
 * keycheck_answer judges what a key source answered at
 * SELECTOR._domainkey.DOMAIN: the TXT records come from DNS and are
 * untrusted bytes, read by keyrec_parse (never written to).  The
 * record must be one that our own verifier (and the others) would use
 * for a signature of the key: exactly one TXT record, that parses,
 * not revoked (p= empty), of the key's type, with the same public
 * key, allowing sha256 (h=) and email (s=), an RSA key of at least
 * MS_MIN_RSA_BITS.  t=y (testing) is noted, not refused.
 *
 * The verdict names what was found in reason (no name, no question:
 * the caller prints the name).  Nothing here allocates past the call
 * but for keycheck_lookup's arena, released before it returns.
 */
#ifndef MAILSEAL_KEYCHECK_H
#define MAILSEAL_KEYCHECK_H

#include <stddef.h>
#include "keysource.h"

typedef struct evp_pkey_st EVP_PKEY;

enum keycheck_status {
	KEYCHECK_OK = 0,                /* the record holds the key */
	KEYCHECK_NXDOMAIN,              /* no such name */
	KEYCHECK_NODATA,                /* the name has no TXT record */
	KEYCHECK_TEMPFAIL,              /* could not find out: ask later */
	KEYCHECK_REVOKED,               /* p= empty */
	KEYCHECK_MISMATCH,              /* the public half of another key */
	KEYCHECK_WRONG_TYPE,            /* k= of another type, or unknown */
	KEYCHECK_MALFORMED,             /* the record does not parse */
	KEYCHECK_MULTIPLE,              /* more than one TXT record */
	KEYCHECK_UNUSABLE,              /* h= or s= exclude DKIM email with
					 * sha256, or an RSA key too small */
};

#define KEYCHECK_REASON 256

struct keycheck {
	enum keycheck_status status;
	int dnssec;                     /* the answer was DNSSEC-validated */
	int validated;                  /* a validating resolver gave it
					 * (secure, or proven unsigned) */
	int testing;                    /* the record says t=y */
	unsigned bits;                  /* of the record's key, when read */
	char reason[KEYCHECK_REASON];
};

/* keycheck_record - judge one record (len bytes) against pkey */
void keycheck_record(const unsigned char *p, size_t len, EVP_PKEY *pkey,
		     struct keycheck *out);
/* keycheck_answer - judge a key source's answer against pkey */
void keycheck_answer(const struct key_answer *ans, EVP_PKEY *pkey,
		     struct keycheck *out);
/* keycheck_lookup - ask ks for selector._domainkey.domain, judge the
 * answer (the source's own timeout bounds the wait) */
void keycheck_lookup(struct keysource *ks, const char *domain,
		     const char *selector, EVP_PKEY *pkey,
		     struct keycheck *out);
/* keycheck_status_str - "ok", "nxdomain", "nodata", "tempfail",
 * "revoked", "mismatch", "wrong-type", "malformed", "multiple",
 * "unusable" */
const char *keycheck_status_str(enum keycheck_status s);
/* keycheck_absent - the name has no record at all (NXDOMAIN, NODATA):
 * what a record not published yet, or removed, looks like */
int keycheck_absent(enum keycheck_status s);

#endif
