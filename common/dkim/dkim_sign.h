/*
 * dkim_sign.h - DKIM signing, streaming, several keys in one pass.
 *
 * A dkim_signer is long-lived: it holds the keys (parsed once, with an
 * EVP_PKEY reference of its own) and their settings.  Each message gets
 * a dkim_sign context: feed the message, then finish, which yields one
 * complete DKIM-Signature field per key (CRLF-terminated, folded to at
 * most 78 columns) for the caller to put above the message.  The body
 * is hashed once per canonicalization whatever the number of keys.
 *
 * Defaults: relaxed/relaxed; the headers of MS default list, each
 * over-signed (one more h= entry than the message has instances, so no
 * instance can be added later); t= always; x= when expire is set; l=
 * never.  With an explicit header list, h= is that list as given (a
 * name repeated is over-signed by the caller's choice); it must include
 * From.
 */
#ifndef MAILSEAL_DKIM_SIGN_H
#define MAILSEAL_DKIM_SIGN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "buf.h"
#include "dkim_sig.h"
#include "status.h"

typedef struct evp_pkey_st EVP_PKEY;

struct dkim_sign_key {
	const char *domain;
	const char *selector;
	EVP_PKEY *pkey;                 /* the signer takes a reference */
	enum dkim_canon hdr_canon;
	enum dkim_canon body_canon;
	const char *headers;            /* "from:to:..." or NULL: default */
	const char *identity;           /* i= or NULL */
	uint64_t expire_after;          /* x= = t= + this; 0: no x= */
};

struct dkim_signer;
struct dkim_sign;

/* dkim_sign_default_headers - the default list, colon-separated */
const char *dkim_sign_default_headers(void);

/* dkim_signer_new - an empty signer */
struct dkim_signer *dkim_signer_new(void);
/* dkim_signer_add - add a key; checks domain, selector, headers */
enum ms_status dkim_signer_add(struct dkim_signer *s,
			       const struct dkim_sign_key *key,
			       struct ms_error *err);
/* dkim_signer_free - release it and its key references */
void dkim_signer_free(struct dkim_signer *s);

/* dkim_sign_begin - a context for one message; now 0 means the clock */
struct dkim_sign *dkim_sign_begin(struct dkim_signer *s, time_t now);
/* dkim_sign_feed - the next chunk of the message */
void dkim_sign_feed(struct dkim_sign *m, const unsigned char *p,
		    size_t len);
/* dkim_sign_finish - append every DKIM-Signature field to out */
enum ms_status dkim_sign_finish(struct dkim_sign *m, struct buf *out,
				struct ms_error *err);
/* dkim_sign_free - release the context */
void dkim_sign_free(struct dkim_sign *m);

#endif
