/*
 * dkim_sig.h - the DKIM-Signature parser (RFC 6376 section 3.5).
 *
 * dkimsig_parse takes the field value (the bytes after the colon, the
 * final CRLF excluded) and fills a struct dkim_sig whose strings and
 * decoded blobs live in the caller's arena.  The input is not modified.
 *
 * What it checks: required tags (v a b bh d h s), v=1, known
 * canonicalizations, q= includes dns/txt, d= and s= are domain-shaped,
 * i= (if any) lies within d=, h= names From, numbers are strict, and
 * x= is not before t=.  Failures return MS_ERR_SYNTAX (or
 * MS_ERR_UNSUPPORTED for an unknown algorithm or version) with a reason
 * in err; these make the signature a permerror.  rsa-sha1 parses (so it
 * can be reported) but has alg DKIM_ALG_RSA_SHA1, which never passes.
 */
#ifndef MAILSEAL_DKIM_SIG_H
#define MAILSEAL_DKIM_SIG_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "status.h"

enum dkim_alg {
	DKIM_ALG_UNKNOWN = 0,
	DKIM_ALG_RSA_SHA256,
	DKIM_ALG_ED25519_SHA256,
	DKIM_ALG_RSA_SHA1,
};

enum dkim_canon {
	DKIM_CANON_SIMPLE = 0,
	DKIM_CANON_RELAXED,
};

struct dkim_sig {
	enum dkim_alg alg;
	const char *alg_name;           /* a= as written */
	enum dkim_canon hdr_canon;
	enum dkim_canon body_canon;
	const char *domain;             /* d=, as written */
	const char *selector;           /* s= */
	const char *identity;           /* i=, or NULL */
	const char **headers;           /* h=, names as written */
	size_t nheaders;
	unsigned char *sig;             /* b=, decoded */
	size_t sig_len;
	char b_prefix[9];               /* b=, first 8 characters (header.b) */
	unsigned char *bh;              /* bh=, decoded */
	size_t bh_len;
	int has_length;
	uint64_t length;                /* l= */
	int has_timestamp;
	uint64_t timestamp;             /* t= */
	int has_expire;
	uint64_t expire;                /* x= */
	/* where the b= value lies in the parsed bytes (section 3.7) */
	size_t b_span_start;
	size_t b_span_end;
};

/* dkimsig_parse - parse a DKIM-Signature field value */
enum ms_status dkimsig_parse(const unsigned char *p, size_t len,
			     struct arena *arena, struct dkim_sig *sig,
			     struct ms_error *err);

/* dkim_alg_name - "rsa-sha256" ... */
const char *dkim_alg_name(enum dkim_alg alg);
/* dkim_canon_name - "simple" or "relaxed" */
const char *dkim_canon_name(enum dkim_canon c);
/* dkim_canon_parse - "relaxed/simple" etc.; missing body part = simple */
enum ms_status dkim_canon_parse(const char *s, size_t len,
				enum dkim_canon *hdr, enum dkim_canon *body);

/* dkim_domain_valid - shaped like a domain name or selector? */
int dkim_domain_valid(const char *s, size_t len);

#endif
