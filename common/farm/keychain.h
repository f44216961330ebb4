/*
 * keychain.h - the key lookup chain built from the configuration, as
 * every front end (CLI, Exim module, Postfix daemon) needs it: DNS,
 * behind the in-process cache and, when redis_url or redis_sentinels
 * is set, the farm's Redis; and the farm's record of the signatures
 * that pass.
 *
 * keychain_open builds nothing that talks to the network: the resolver
 * and the Redis connection open on first use, so a process may fork
 * after keychain_open.  keychain_close releases everything, resolver
 * thread included.
 */
#ifndef MAILSEAL_KEYCHAIN_H
#define MAILSEAL_KEYCHAIN_H

#include "config.h"
#include "dkim_verify.h"
#include "keysource.h"
#include "status.h"

struct farmcache;

struct keychain {
	struct keysource *ks;           /* the chain (owned) */
	struct farmcache *farm;         /* NULL without Redis (owned) */
	unsigned sig_ttl;               /* signature_retention */
};

/* what each layer answered; a daemon's metrics, the CLI's --stats */
struct keychain_stats {
	unsigned long dns_queries;
	unsigned long local_hits;
	unsigned long redis_hits;
	unsigned long redis_errors;     /* failed connects and commands */
	unsigned long redis_timeouts;   /* of which: out of time */
	unsigned long redis_skipped;    /* requests not sent: Redis skipped */
	unsigned long redis_outages;    /* times the node began skipping it */
	unsigned long redis_redirects;  /* MOVED and ASK followed (Cluster) */
	unsigned long redis_unvalidated; /* cached answers a validating node
					  * passed over (DNSSEC) */
};

/* keychain_open - the chain the configuration describes */
enum ms_status keychain_open(struct keychain *kc, const struct ms_config *cfg,
			     struct ms_error *err);
/* keychain_close - release it all (a zeroed keychain is fine) */
void keychain_close(struct keychain *kc);
/* keychain_verifier_opts - the verifier options that go with the chain:
 * signature cap, per-message DNS budget, the farm's signature record */
void keychain_verifier_opts(struct keychain *kc, const struct ms_config *cfg,
			    struct dkim_verifier_opts *o);
/* keychain_stats - what each layer answered so far */
void keychain_stats(const struct keychain *kc, struct keychain_stats *out);

#endif
