/*
 * policy.h - the policy engine: what to do with one message, for every
 * front end (the Exim module, the Postfix milter, the CLI).
 *
 * A front end hands over the facts of the transaction it knows
 * (authenticated user, local submission, transaction id, a per-message
 * override) and streams the message; the engine answers with one
 * verdict: accept (perhaps with header fields to add and to remove),
 * reject (5xx) or tempfail (4xx), with the enhanced status code, the
 * reply text and one log line.  The front end only translates that
 * into its MTA's terms, so both MTAs apply the same rules with the
 * same texts.
 *
 * The rules (docs/policy.md has them for administrators):
 *  - sign when the submitter authenticated, or submitted locally, or
 *    the override says "sign", and a From domain is in the signing
 *    table (one signature per table line of the most specific match);
 *    unauthenticated mail is never signed unless the override says so;
 *  - otherwise verify, and add one Authentication-Results field;
 *  - a From domain in require_signed needs a passing signature whose
 *    d= is that domain or a parent of it, else 550 5.7.20 / 5.7.22;
 *  - with check_spf, the MAIL FROM identity of unauthenticated,
 *    non-local mail from outside trusted_networks is checked (RFC 7208):
 *    fail follows on_spf_fail (550 5.7.23), permerror on_spf_permerror
 *    (550 5.7.24), temperror on_temperror (451 4.4.3); the result goes
 *    into Authentication-Results as spf=;
 *  - with check_dmarc, each author domain of unauthenticated, non-local
 *    mail from outside trusted_networks is evaluated (RFC 9989): a fail
 *    under p=reject follows on_dmarc_reject (550 5.7.1 by default),
 *    under p=quarantine on_dmarc_quarantine (held by default), a
 *    temperror on_temperror (451 4.4.3); the strictest author domain
 *    decides; dmarc= goes into Authentication-Results with header.from;
 *  - a verdict decided by a temperror follows on_temperror (451 4.4.3
 *    by default); a failed signature with nothing passing follows
 *    on_signature_fail (tagged by default);
 *  - a message without exactly one From field, or whose From cannot be
 *    read, follows on_bad_from (550 5.7.1 by default), whatever the
 *    role: several From fields are how a signed message is made to
 *    show another author;
 *  - Authentication-Results fields that claim our authserv-id are
 *    removed (RFC 8601 section 5), whatever the role;
 *  - anything that stops the engine from deciding (an unusable key,
 *    out of resources) is a tempfail, never an unsigned or unverified
 *    accept.
 *
 * A struct policy is long-lived (per process, built from the
 * configuration); it opens nothing on the network until the first
 * message needs it.  Each message gets a policy_msg; the verdict and
 * everything it points to live until policy_msg_free.
 */
#ifndef MAILSEAL_POLICY_H
#define MAILSEAL_POLICY_H

#include <stddef.h>
#include "config.h"
#include "keychain.h"
#include "keysource.h"
#include "spf.h"
#include "status.h"

enum policy_mode {
	POLICY_AUTO = 0,                /* decide from the facts */
	POLICY_SIGN,                    /* sign if the From domain has keys */
	POLICY_VERIFY,                  /* verify, never sign */
	POLICY_SKIP,                    /* leave the message alone */
};

enum policy_role {
	POLICY_ROLE_SKIP = 0,
	POLICY_ROLE_SIGN,
	POLICY_ROLE_VERIFY,
};

enum policy_action {
	POLICY_ACCEPT = 0,
	POLICY_REJECT,                  /* 5xx */
	POLICY_TEMPFAIL,                /* 4xx: the client keeps the message */
};

struct policy_facts {
	const char *txid;               /* the MTA's id of the transaction */
	const char *auth_user;          /* SMTP AUTH identity, NULL or "": none */
	int local_submission;           /* submitted on this host, not over TCP */
	const char *local_user;         /* its Unix login, when the MTA shows
					 * it; NULL or "": unknown */
	const char *hostname;           /* authserv-id when none is configured */
	enum policy_mode mode;          /* per-message override */
	/* the envelope, for SPF: NULL when the front end does not know */
	const char *client_ip;          /* the SMTP client's address */
	const char *helo;               /* its HELO/EHLO name */
	const char *mail_from;          /* MAIL FROM, "" for the null sender */
	const char *rcpt;               /* the first RCPT TO, for DMARC
					 * reports (envelope_to); NULL: unknown */
	const char *client_spki;        /* SHA-256 of the public key of the
					 * client's verified certificate, hex;
					 * NULL: none or not known */
	/* the SPF outcome of this very transaction when the front end
	 * checked it before DATA (policy_check_spf); NULL: the engine
	 * checks at the end of the message.  A front end must never hand
	 * over an outcome of another session or transaction. */
	const struct spf_outcome *spf;
};

/* a header field to add: name, value (after the colon and its space,
 * CRLF folds kept, no final CRLF) and the whole CRLF-ended field */
struct policy_header {
	const char *name;
	const char *value;
	const char *field;
};

/* a header field to remove: its index among all fields fed, and its
 * rank (1-based) among the fields of the same name, as milters count */
struct policy_removal {
	size_t index;
	size_t nth;
	const char *name;
};

#define POLICY_TEXT_MAX 400
#define POLICY_LOG_MAX  1200

struct policy_verdict {
	enum policy_action action;
	enum policy_role role;
	unsigned code;                  /* 250, 451, 550 */
	char dsn[8];                    /* "2.0.0", "5.7.20", "4.4.3" ... */
	char text[POLICY_TEXT_MAX];     /* reply text, printable ASCII */
	char log[POLICY_LOG_MAX];       /* one line, no message id */
	const struct policy_header *add;/* to insert at the top, topmost first */
	size_t nadd;
	const struct policy_removal *remove;
	size_t nremove;
	/* an accepted message to hold (DMARC p=quarantine, or p=reject
	 * with on_dmarc_reject = quarantine): Postfix's HOLD queue, a
	 * frozen message or a header in Exim (exim_quarantine); why, for
	 * the MTA's log and the milter's quarantine reason */
	int quarantine;
	char quarantine_why[POLICY_TEXT_MAX];
	/* an envelope-stage accept whose log line must be written all the
	 * same (tls_policy's log mode: what would have been refused) */
	int log_accept;
};

struct policy;
struct policy_msg;
struct policy_tables;

/* policy_new - the engine the configuration describes: loads the
 * signing table (every key), the require_signed list, and sets up the
 * key lookup chain; errors name the file and line */
struct policy *policy_new(const struct ms_config *cfg, struct ms_error *err);
/* policy_tables_load - the files the configuration names (the signing
 * table with every key, require_signed), read-only once loaded: one
 * copy may serve the engines of several threads */
struct policy_tables *policy_tables_load(const struct ms_config *cfg,
					 struct ms_error *err);
/* policy_tables_free - release them (NULL is fine) */
void policy_tables_free(struct policy_tables *t);
/* policy_tables_changed - a file the tables were read from (the
 * signing table, sending_rights, tls_policy, tls_pins, require_signed
 * and require_tls when they name a file) that changed since it was read:
 * another inode (replaced by rename, as `mailseal key` does), size or
 * modification time, or it came or went; NULL when none did.  A few
 * stat(2) calls; the key files the signing table names are not watched
 * (a new key comes with a new table line). */
const char *policy_tables_changed(const struct policy_tables *t);
/* policy_tables_files - those files, as stamped when read */
struct filewatch;
const struct filewatch *policy_tables_files(const struct policy_tables *t);
/* policy_files - the files of the engine's tables, as stamped: a front
 * end that keeps an engine between messages builds a new one when one
 * of them changed */
const struct filewatch *policy_files(const struct policy *p);
/* policy_new_shared - an engine over tables t (borrowed: they must
 * outlive it) with its own key lookup chain; one per thread */
struct policy *policy_new_shared(const struct ms_config *cfg,
				 const struct policy_tables *t,
				 struct ms_error *err);
/* policy_new_with_keys - the same with keys from ks (borrowed: a key
 * file, for the CLI and the tests) instead of DNS and Redis */
struct policy *policy_new_with_keys(const struct ms_config *cfg,
				    struct keysource *ks,
				    struct ms_error *err);
/* policy_set_dns - answer the engine's SPF and DMARC lookups from q (borrowed:
 * it must outlive the engine) instead of the configured resolver: a
 * zone file, for `mailseal policy --dns-file` and the tests */
struct dnsq;
void policy_set_dns(struct policy *p, struct dnsq *q);
/* policy_free - release it all (NULL is fine) */
void policy_free(struct policy *p);
/* policy_prepare - do now what the first message would do and a
 * forked child can inherit (start OpenSSL); for a parent about to fork
 * the processes that use the engine */
void policy_prepare(struct policy *p);
/* policy_warm - run the verification path once in this process, on a
 * fixed message of its own answered from memory (warm.c), so that a
 * process about to fork hands its children a started engine: no DNS,
 * no Redis, nothing logged or counted, nothing kept.  policy_prepare
 * calls it.  1 when the message verified as it must (DKIM with both
 * algorithms, SPF and DMARC passing). */
int policy_warm(void);
/* policy_warm_sign - sign once, in this process, with a throw-away key
 * of each algorithm (warm.c), so that forked children find signing
 * started; policy_prepare calls it when the engine has a signing table */
void policy_warm_sign(void);
/* policy_preload - in a process that forks (Exim's daemon, at each
 * connection), take a few of the keys and DNS answers its children put
 * into the node's shared cache since the last call into this engine's
 * own caches (keys parsed): the next children inherit them ready.
 * Memory only, never the network; the number taken (preload.c). */
size_t policy_preload(struct policy *p);
/* policy_share_node - in a parent about to fork the processes that use
 * the engines it builds (Exim's daemon), map the node's shared cache
 * of cfg's shared_cache_size slots (nodecache.h), before the engines
 * are built: their caches then share what each child learns with the
 * others.  Once mapped, its size stays for the life of the process;
 * shared_cache_size = 0 unmaps it for engines built later.  Returns
 * the slots of the region mapped (0: none). */
size_t policy_share_node(const struct ms_config *cfg);
/* policy_refresh - bring the engine's copy of the farm's revocations
 * up to date when it is due (every revocation_refresh); an Exim daemon
 * calls it before it forks, so that its sessions inherit a fresh copy.
 * The engine also does it itself before it needs the copy. */
void policy_refresh(struct policy *p);
/* policy_idle - drop what must not outlive a message in an embedding
 * process (the resolver's worker thread); the next message makes it
 * again.  The Exim module calls it at the end of every local_scan. */
void policy_idle(struct policy *p);
/* policy_cache_stats - the key chain's counters (DNS, caches, Redis
 * failures and outages) for a daemon's metrics; zeros when the engine
 * was given its keys */
void policy_cache_stats(const struct policy *p, struct keychain_stats *out);
/* policy_push_stats - with farm_stats = yes and a farm, add what the
 * process's counters (metrics.h) gained since its last push to this
 * node's counters in Redis (farmstats.h): one round trip, none while
 * Redis is away (counted as skipped; the counts wait for the next
 * push).  Nothing without farm_stats or a farm. */
void policy_push_stats(struct policy *p);

/* policy_begin - a context for one message (facts are copied) */
struct policy_msg *policy_begin(struct policy *p,
				const struct policy_facts *facts);
/* policy_feed - the next chunk of the message: header block, empty
 * line, body, in any chunk sizes; CRLF or bare LF line ends */
void policy_feed(struct policy_msg *m, const unsigned char *p, size_t len);
/* policy_finish - end of the message: the verdict (never fails: an
 * internal problem is a tempfail verdict) */
void policy_finish(struct policy_msg *m, struct policy_verdict *v);
/* policy_msg_free - release the context and what the verdict points to */
void policy_msg_free(struct policy_msg *m);

enum policy_error {
	POLICY_ERR_CONFIG,              /* 451 4.3.5: configuration unusable */
	POLICY_ERR_LOCAL,               /* 451 4.3.0: any other local problem */
};

/* policy_error_verdict - the verdict for a front end that cannot ask
 * the engine (the configuration did not load, the spool cannot be
 * read): a tempfail, with why (naming the file) in the log line only */
void policy_error_verdict(struct policy_verdict *v, enum policy_error kind,
			  const char *why);

/* what the MTA knows of the TLS session when the envelope arrives */
struct policy_tls {
	int encrypted;                  /* the session is under TLS */
	const char *verified_subject;   /* of a client certificate that
					 * verified; NULL or "": none did */
	const char *cert_fp;            /* SHA-256 of the certificate
					 * presented, hex, verified or not */
	const char *pubkey_fp;          /* SHA-256 of its public key, hex
					 * (Postfix: the digest it is told) */
	/* what the MTA shows whole (Exim: the DER, certinfo.h); NULL: the
	 * verified_subject is the certificate's one name, and the
	 * public key hash is pubkey_fp when that is SHA-256 */
	const char *const *names;       /* DNS names of the certificate */
	size_t nnames;
	const unsigned char *spki;      /* SHA-256 of its public key */
	const char *serial_id;          /* "serial:ISSUER:SERIAL" of a
					 * verified one (certinfo.h); NULL:
					 * not shown (Postfix) */
};

/* policy_check_sender - the envelope-stage rule for mail from the
 * envelope sender (an address; "" for the null sender): a domain of
 * require_tls must come over TLS with a client certificate that
 * verified and, when tls_pins has a line for it, one of its pins;
 * otherwise 550 5.7.1 naming what is missing.  Fills text, codes and
 * the log line; adds no header. */
void policy_check_sender(const struct policy *p, const char *sender,
			 const struct policy_tls *tls,
			 struct policy_verdict *v);

/* policy_check_spf - the SPF step before DATA (Postfix's policy side
 * at RCPT, Exim's RCPT ACL): checks the MAIL FROM identity of the
 * envelope in f when check_spf is on and the client is not exempt
 * (authenticated, local, trusted_networks), into *o (strings in a);
 * v gets what the settings make of it (accept, 550 5.7.23, 550 5.7.24,
 * 451 4.4.3) and a log line.  0 when nothing was checked (v: accept,
 * *o untouched). */
int policy_check_spf(const struct policy *p, const struct policy_facts *f,
		     struct arena *a, struct spf_outcome *o,
		     struct policy_verdict *v);
/* policy_check_spf_cached - policy_check_spf from the in-process cache
 * alone, for a caller that must not wait (a policy event loop): -1
 * when an answer it needed is not in memory (nothing was decided: ask
 * policy_check_spf where waiting is fine); otherwise as
 * policy_check_spf.  Never a network round trip. */
int policy_check_spf_cached(const struct policy *p,
			    const struct policy_facts *f, struct arena *a,
			    struct spf_outcome *o, struct policy_verdict *v);

/* policy_spf_on - is SPF evaluated under cfg (check_spf, or check_dmarc,
 * which needs it)?  For a front end that decides where to check it. */
int policy_spf_on(const struct ms_config *cfg);

/* policy_role_str - "sign", "verify", "skip" */
const char *policy_role_str(enum policy_role r);
/* policy_action_str - "accept", "reject", "tempfail" */
const char *policy_action_str(enum policy_action a);

/* policy_mode_parse - "sign", "verify", "skip", or "" / NULL for
 * POLICY_AUTO; -1 for anything else */
int policy_mode_parse(const char *s);

#endif
