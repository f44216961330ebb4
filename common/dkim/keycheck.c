/*
 * keycheck.c - a published key record against a private key.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "keycheck.h"
#include "keyrec.h"
#include "ms_limits.h"

static void kc_set(struct keycheck *out, enum keycheck_status st,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void kc_set(struct keycheck *out, enum keycheck_status st,
		   const char *fmt, ...)
{
	va_list ap;

	out->status = st;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* kc_type - the key type's name as k= writes it */
static const char *kc_type(enum dkim_alg alg)
{
	return alg == DKIM_ALG_ED25519_SHA256 ? "ed25519" : "rsa";
}

/* keycheck_record - one record against pkey */
void keycheck_record(const unsigned char *p, size_t len, EVP_PKEY *pkey,
		     struct keycheck *out)
{
	enum dkim_alg alg = crypto_key_alg(pkey);
	struct ms_error err;
	struct keyrec key;

	out->testing = 0;
	out->bits = 0;
	if (keyrec_parse(p, len, &key, &err) != MS_OK) {
		kc_set(out, KEYCHECK_MALFORMED, "the record does not parse: %s",
		       err.msg);
		goto out;
	}
	out->testing = key.testing;
	out->bits = key.bits;
	if (key.revoked) {
		kc_set(out, KEYCHECK_REVOKED, "the key is revoked (p= is empty)");
	} else if (key.type == KEYREC_OTHER) {
		kc_set(out, KEYCHECK_WRONG_TYPE,
		       "the record's k= names a key type that is neither rsa "
		       "nor ed25519");
	} else if ((key.type == KEYREC_RSA) != (alg == DKIM_ALG_RSA_SHA256)) {
		kc_set(out, KEYCHECK_WRONG_TYPE,
		       "the record holds an %s key, the private key is %s",
		       key.type == KEYREC_RSA ? "rsa" : "ed25519", kc_type(alg));
	} else if (!crypto_key_same(key.pkey, pkey)) {
		kc_set(out, KEYCHECK_MISMATCH,
		       "the record holds another %s key (%u bits) than the "
		       "private key's", kc_type(alg), key.bits);
	} else if (!key.sha256_ok) {
		kc_set(out, KEYCHECK_UNUSABLE,
		       "the record's h= does not allow sha256");
	} else if (!key.email_ok) {
		kc_set(out, KEYCHECK_UNUSABLE,
		       "the record's s= does not allow email");
	} else if (key.type == KEYREC_RSA && key.bits < MS_MIN_RSA_BITS) {
		kc_set(out, KEYCHECK_UNUSABLE,
		       "an RSA key of %u bits is too small (RFC 8301)", key.bits);
	} else {
		kc_set(out, KEYCHECK_OK, "the record holds the public key (%s, "
		       "%u bits)%s", kc_type(alg), key.bits,
		       key.testing ? "; it says t=y (testing)" : "");
	}
out:
	keyrec_release(&key);
}

/* keycheck_answer - a key source's answer against pkey */
void keycheck_answer(const struct key_answer *ans, EVP_PKEY *pkey,
		     struct keycheck *out)
{
	memset(out, 0, sizeof(*out));
	out->dnssec = ans->dnssec;
	out->validated = ans->validated;
	switch (ans->status) {
	case KEY_TEMPFAIL:
		kc_set(out, KEYCHECK_TEMPFAIL, "DNS gave no answer: %s",
		       ans->reason ? ans->reason : "temporary failure");
		return;
	case KEY_NOTFOUND:
		if (ans->nxdomain)
			kc_set(out, KEYCHECK_NXDOMAIN, "no such name (NXDOMAIN)");
		else
			kc_set(out, KEYCHECK_NODATA,
			       "the name has no TXT record (NODATA)");
		return;
	case KEY_FOUND:
		break;
	}
	if (ans->nrecords == 0) {
		kc_set(out, KEYCHECK_NODATA, "the name has no TXT record (NODATA)");
		return;
	}
	if (ans->nrecords > 1) {
		kc_set(out, KEYCHECK_MULTIPLE, "%zu TXT records: verifiers take "
		       "none of them (RFC 6376 3.6.2.2)", ans->nrecords);
		return;
	}
	keycheck_record(ans->records[0], ans->record_len[0], pkey, out);
}

/* keycheck_lookup - ask ks and judge */
void keycheck_lookup(struct keysource *ks, const char *domain,
		     const char *selector, EVP_PKEY *pkey,
		     struct keycheck *out)
{
	char name[2 * MS_MAX_DOMAIN + 16];
	struct key_answer ans;
	struct arena a;

	snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);
	arena_init(&a);
	keysource_lookup(ks, name, &a, &ans);
	keycheck_answer(&ans, pkey, out);
	arena_free(&a);
}

/* keycheck_status_str - the verdict's name */
const char *keycheck_status_str(enum keycheck_status s)
{
	switch (s) {
	case KEYCHECK_OK:         return "ok";
	case KEYCHECK_NXDOMAIN:   return "nxdomain";
	case KEYCHECK_NODATA:     return "nodata";
	case KEYCHECK_TEMPFAIL:   return "tempfail";
	case KEYCHECK_REVOKED:    return "revoked";
	case KEYCHECK_MISMATCH:   return "mismatch";
	case KEYCHECK_WRONG_TYPE: return "wrong-type";
	case KEYCHECK_MALFORMED:  return "malformed";
	case KEYCHECK_MULTIPLE:   return "multiple";
	case KEYCHECK_UNUSABLE:   return "unusable";
	}
	return "?";
}

/* keycheck_absent - no record at all at the name */
int keycheck_absent(enum keycheck_status s)
{
	return s == KEYCHECK_NXDOMAIN || s == KEYCHECK_NODATA;
}
