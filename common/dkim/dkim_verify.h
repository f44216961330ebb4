/*
 * dkim_verify.h - DKIM verification (RFC 6376 section 6, RFC 8463,
 * RFC 8301), streaming.
 *
 * A dkim_verifier is long-lived (per process or per configuration): it
 * holds the options, the key source (borrowed, not owned) and a small
 * cache of parsed public keys keyed by the exact record bytes.  Each
 * message gets a dkim_verify context: feed the message in chunks, then
 * finish.  Body hashes are computed as the body streams; keys are
 * fetched at finish.  Results, reasons and strings live in the
 * message's arena and die with dkim_verify_free.
 *
 * Every signature up to max_sigs (default MS_DEFAULT_MAX_SIGS) gets a
 * result in RFC 8601 terms with a human reason; the rest are counted in
 * skipped.  Which ones are verified is the caller's choice when it sets
 * a rank (the author's domains first): otherwise the first in header
 * order.  A message with no DKIM-Signature has nresults == 0
 * (dkim=none).  A message whose header block breaks a limit gets one
 * permerror result saying so.
 */
#ifndef MAILSEAL_DKIM_VERIFY_H
#define MAILSEAL_DKIM_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "dkim_sig.h"
#include "keysource.h"
#include "msgreader.h"
#include "status.h"

enum dkim_result {
	DKIM_RES_NONE = 0,
	DKIM_RES_PASS,
	DKIM_RES_FAIL,
	DKIM_RES_NEUTRAL,
	DKIM_RES_POLICY,
	DKIM_RES_TEMPERROR,
	DKIM_RES_PERMERROR,
};

/* seen - told of every signature that passed (sig_id: SHA-256 of its
 * decoded b= value) in transaction txid; returns how many distinct
 * transactions the farm has seen carry it, this one included (0: not
 * known) */
typedef uint64_t (*dkim_seen_fn)(void *arg, const unsigned char *sig_id,
				 const char *txid);

struct dkim_verifier_opts {
	size_t max_sigs;                /* 0: MS_DEFAULT_MAX_SIGS */
	time_t now;                     /* 0: the clock */
	unsigned dns_budget_ms;         /* key lookups of one message; 0: none */
	dkim_seen_fn seen;              /* NULL: no signature record */
	void *seen_arg;
};

struct dkim_sig_result {
	enum dkim_result result;
	const char *reason;             /* NULL on a plain pass */
	const char *domain;             /* d=, or NULL if unparsable */
	const char *selector;           /* s= */
	const char *identity;           /* i= or NULL */
	const char *alg;                /* a= as written, or NULL */
	char b_prefix[9];               /* first 8 characters of b= */
	unsigned key_bits;              /* 0 when no key was used */
	int testing;                    /* key has t=y */
	int dnssec;                     /* key came DNSSEC-validated */
	uint64_t seen_count;            /* transactions seen carrying it */
	int has_id;                     /* its b= was read: sig_id is set */
	unsigned char sig_id[32];       /* SHA-256 of the decoded b= (the
					 * farm's record is named by its
					 * first 16 bytes) */
};

struct dkim_verify_outcome {
	size_t nresults;
	struct dkim_sig_result *results;
	size_t skipped;                 /* signatures beyond max_sigs */
	size_t skipped_relevant;        /* of them, ranked above 0 */
};

/* rank - how much a signature of domain d (as written in d=) matters
 * to the caller: 0 not at all, higher first.  Asked once per signature
 * when a message has more than max_sigs of them, at the end of its
 * header block (the caller may read the header block then, through
 * dkim_verify_reader). */
typedef int (*dkim_rank_fn)(void *arg, const char *d);

struct dkim_verifier;
struct dkim_verify;

/* dkim_verifier_new - long-lived verifier over the key source ks */
struct dkim_verifier *dkim_verifier_new(const struct dkim_verifier_opts *o,
					struct keysource *ks);
/* dkim_verifier_preload - look name (SELECTOR._domainkey.DOMAIN) up
 * through the verifier's key source and keep its parsed key, with a
 * verification context, in the verifier's cache: what a process about
 * to fork does for keys its children will need (policy_preload).  1
 * when a usable key is now held. */
int dkim_verifier_preload(struct dkim_verifier *v, const char *name);
/* dkim_verifier_free - release it (not the key source) */
void dkim_verifier_free(struct dkim_verifier *v);

/* dkim_verify_begin - a context for one message */
struct dkim_verify *dkim_verify_begin(struct dkim_verifier *v);
/* dkim_verify_set_deadline - the deadline (ms_clock_ms time) of the
 * message's key lookups, when the caller shares one DNS budget between
 * DKIM and other methods; without it, finish starts dns_budget_ms of
 * its own */
void dkim_verify_set_deadline(struct dkim_verify *m, uint64_t deadline_ms);
/* dkim_verify_set_txid - the transaction this message belongs to
 * (copied); used for the farm's signature record */
void dkim_verify_set_txid(struct dkim_verify *m, const char *txid);
/* dkim_verify_set_rank - which signatures to verify first when there
 * are more than max_sigs: those rank ranks highest, in header order
 * within a rank; the rest are skipped and counted (skipped_relevant for
 * those ranked above 0).  Without it, the first max_sigs in header
 * order.  Set it before the header block ends. */
void dkim_verify_set_rank(struct dkim_verify *m, dkim_rank_fn rank,
			  void *arg);
/* dkim_verify_feed - the next chunk of the message */
void dkim_verify_feed(struct dkim_verify *m, const unsigned char *p,
		      size_t len);
/* dkim_verify_finish - end of message: verify every signature */
enum ms_status dkim_verify_finish(struct dkim_verify *m,
				  struct dkim_verify_outcome *out,
				  struct ms_error *err);
/* dkim_verify_reader - the message's headers, for later layers */
const struct msgreader *dkim_verify_reader(const struct dkim_verify *m);
/* dkim_verify_free - release the context and its results */
void dkim_verify_free(struct dkim_verify *m);

/* dkim_result_str - "pass", "fail", ... */
const char *dkim_result_str(enum dkim_result r);

#endif
