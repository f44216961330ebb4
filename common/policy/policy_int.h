/*
 * policy_int.h - the policy engine's insides, shared by its files
 * (policy.c: role, message, finish; verdict.c: the verdict rules and
 * texts; sender.c: the envelope-stage rule).  Not for front ends: they
 * use policy.h.  Names are prefixed pol_ so that nothing clashes with an
 * MTA's own symbols when the engine is compiled into Exim.
 */
#ifndef MAILSEAL_POLICY_INT_H
#define MAILSEAL_POLICY_INT_H

#include "addr.h"
#include "arena.h"
#include "buf.h"
#include "dkim_sign.h"
#include "dkim_verify.h"
#include "dnsqmem.h"
#include "domainlist.h"
#include "filewatch.h"
#include "keychain.h"
#include "ms_limits.h"
#include "sendrights.h"
#include "msgreader.h"
#include "policy.h"
#include "policy_dmarc.h"
#include "policy_report.h"
#include "policy_spf.h"
#include "revstore.h"
#include "signtable.h"
#include "tlspins.h"
#include "tlspolicy.h"

#define POLICY_HOST_MAX 256

struct policy_tables {
	struct signtable *signtable;    /* NULL: never sign */
	struct domainlist *require;     /* NULL: nothing required */
	struct domainlist *require_tls; /* NULL: no TLS requirement */
	struct tlspins *pins;           /* NULL: no pins */
	struct tlspolicy *tls;          /* tls_policy; NULL: the legacy
					 * require_tls and tls_pins */
	struct sendrights *rights;      /* NULL: any submitter, any From */
	struct revset *revs;            /* the farm's revocations, one copy
					 * for the engines over these tables;
					 * NULL without Redis */
	struct dnsqmem *dnsmem;         /* SPF's and DMARC's answers in
					 * memory, shared by the engines over
					 * these tables (dnsqmem.h); NULL:
					 * each engine its own, or none */
	struct filewatch files;         /* the files they were read from,
					 * stamped before each was read */
};

struct policy {
	const struct policy_tables *tables;
	struct policy_tables *own_tables;       /* when not shared */
	struct keychain chain;
	struct dkim_verifier *verifier;
	char *authserv_id;              /* NULL: the front end's host name */
	char hostname[POLICY_HOST_MAX];
	unsigned on_temperror;
	unsigned on_signature_fail;
	unsigned on_bad_from;
	unsigned max_signatures;
	struct policy_spf spf;
	struct policy_dmarc dmarc;
	struct policy_report report;    /* DMARC aggregate-report rows */
	struct revset *revs;            /* the tables' (borrowed), once the
					 * engine has a farm connection */
	struct dnsq *dns;               /* SPF's (and DMARC's) DNS source */
	struct dnsq *own_dns;           /* ours to free: the resolver */
	char stats_node[256];           /* farm_stats: the node's name in
					 * Redis; "": counters not pushed */
	uint64_t node_cursor;           /* policy_preload: the node's ring */
};

struct policy_msg {
	struct policy *p;
	struct arena arena;
	struct msgreader mr;            /* ours: when the role is open */
	const struct msgreader *hdrs;   /* whichever holds the header block */
	int direct;                     /* fed to the verifier as it comes */
	enum policy_mode mode;
	int may_sign;                   /* authenticated, local or told to */
	int client_submitter;           /* no AUTH, but a sending_rights
					 * [ADDRESS] line for the client */
	const char *txid;
	const char *auth_user;
	int local;
	const char *local_user;         /* NULL: not shown */
	const char *rights_refused;     /* sending_rights: the refusal text */
	const char *client_ip, *helo, *mail_from;
	const char *rcpt;               /* the first RCPT TO, or NULL */
	const char *client_spki;        /* hex, or NULL */
	const char *authserv_id;
	enum policy_role role;
	int spf_checked;
	int spf_known;                  /* checked before DATA: facts.spf */
	int dmarc_checked;
	uint64_t deadline;              /* of every DNS lookup: one budget */
	struct policy_dmarc_run dmarc;
	struct spf_outcome spf;
	struct dkim_signer *signer;
	struct dkim_sign *sign;
	struct dkim_verify *verify;
	/* the author, from every From field */
	int from_read;                  /* msg_read_from has run */
	size_t nfrom_fields;
	struct addr_list from;
	const char *from_bad;           /* why the From cannot be used */
	const char *sign_note;          /* why an eligible message is unsigned */
	const struct signtable_entry *keys[MS_MAX_SIGN_KEYS];
	size_t nkeys;                   /* the table lines it is signed with */
	struct buf fields;              /* header fields to add */
	struct policy_header add[MS_MAX_SIGN_KEYS + 1];
	size_t nadd;
	struct policy_removal *remove;
	size_t nremove;
};

/* pol_put_safe - s as printable ASCII into b (see verdict.c) */
void pol_put_safe(struct buf *b, const char *s);
/* pol_copy_out - b into a fixed array of the verdict, cut to fit */
void pol_copy_out(char *dst, size_t size, const struct buf *b);
/* pol_verdict_accept - the plain accept every verdict starts from */
void pol_verdict_accept(struct policy_verdict *v);
/* pol_verdict_set - action, code, enhanced code and formatted text */
void pol_verdict_set(struct policy_verdict *v, enum policy_action action,
		     unsigned code, const char *dsn, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* pol_aligned - may a signature of d stand for author domain a? */
int pol_aligned(const char *d, const char *a);
/* pol_from_has_domain - is d among the first n From domains? */
int pol_from_has_domain(const struct addr_list *a, size_t n, const char *d);
/* pol_spf_verdict - what the settings make of SPF outcome o for a
 * client at ip: 1 and v set (550 5.7.23, 550 5.7.24, 451 4.4.3) when
 * they refuse it, 0 when the message goes on */
int pol_spf_verdict(const struct policy *p, const struct spf_outcome *o,
		    const char *ip, struct policy_verdict *v);
/* pol_spf_copy - o into *to, its strings copied into a */
void pol_spf_copy(struct spf_outcome *to, const struct spf_outcome *o,
		  struct arena *a);
/* pol_judge - the verdict rules of a verified message (verdict.c) */
void pol_judge(struct policy_msg *m, const struct dkim_verify_outcome *oc,
	       struct policy_verdict *v);

/* sigrecord.c: what the farm remembers of accepted mail */

/* pol_sig_record - for each signature of the accepted message m that
 * passed, its details in the farm's record of it (Redis; nothing
 * without one) */
void pol_sig_record(struct policy_msg *m,
		    const struct dkim_verify_outcome *oc);

/* revoked.c: the farm's revocations */

/* pol_revoked_signer - does a passing signature of oc come from a
 * revoked domain?  1: v refuses it (550 5.7.1, naming the revocation) */
int pol_revoked_signer(struct policy_msg *m,
		       const struct dkim_verify_outcome *oc,
		       struct policy_verdict *v);
/* pol_revoked_key - is the client certificate's key (32 bytes) revoked?
 * 1: v refuses the session's mail (550 5.7.1) */
int pol_revoked_key(const struct policy *p, const unsigned char *spki,
		    struct policy_verdict *v);
/* pol_revoked_serial - is the client certificate one a CA's imported
 * CRL revokes ("serial:ISSUER:SERIAL")?  1: v refuses (550 5.7.1) */
int pol_revoked_serial(const struct policy *p, const char *serial_id,
		       struct policy_verdict *v);

/* rights.c: the sending_rights rule */

/* pol_rights_refuse - with a sending_rights table, may the submitter
 * of m (its SMTP AUTH identity, or the local user) use every From
 * mailbox of it?  1 when not: rights_refused (and sign_note) say
 * which From and which user, and the message is neither signed nor
 * verified; 0 otherwise (no table, or every From allowed) */
int pol_rights_refuse(struct policy_msg *m);

/* count.c: what the engine decided, to the process's counters
 * (metrics.h); the only calls from the engine to them */

/* pol_count_message - m's verdict v and the results evaluated for it
 * (oc: its DKIM outcome, NULL when it was not verified) */
void pol_count_message(const struct policy_msg *m,
		       const struct dkim_verify_outcome *oc,
		       const struct policy_verdict *v);
/* pol_count_spf - an SPF check before DATA, and what v answered */
void pol_count_spf(const struct spf_outcome *o,
		   const struct policy_verdict *v);
/* pol_count_refusal - v, when it refuses or defers */
void pol_count_refusal(const struct policy_verdict *v);
/* pol_count_error - a verdict given without an engine */
void pol_count_error(const struct policy_verdict *v);
/* pol_count_init - farm_stats and its node name into p (pushed only
 * with a farm: redis_url, redis_sentinels or redis_cluster); an invalid name is an
 * error naming the setting */
enum ms_status pol_count_init(struct policy *p, const struct ms_config *cfg,
			      struct ms_error *err);

#endif
