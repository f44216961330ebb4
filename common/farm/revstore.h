/*
 * revstore.h - the farm's complaints, offences and revocations in Redis
 * (redis/SCHEMA.md, "mailseal:{rev}:..."), and each node's in-process
 * copy of the revocations.
 *
 * An identity is "domain:D" (a DKIM domain, lower case), "spki:HEX"
 * (the SHA-256 of a sending certificate's public key, lower-case hex)
 * or "serial:ISSUER:SERIAL" (a certificate a CA's CRL revokes:
 * certinfo.h's names).
 * An offence is a distinct signed message (a distinct b=, named by the
 * farm's signature id) with at least one counted complaint; N offences
 * (threshold) within the window against an identity revoke it, or mark
 * it pending when it is protected or the farm made cap revocations in
 * the hour already.  One Lua script does it all atomically: the repeat
 * check (one complaint per signature and reporter), the complaint's
 * record, the offences of each identity, the state change, the audit
 * entry (a stream), and the version that nodes poll.  Every key has the
 * hash tag {rev}: the script touches one slot of a Redis Cluster.
 *
 * The node's copy (struct revset) is refreshed at most every refresh
 * seconds: the version first (one GET), the whole state only when it
 * changed.  While Redis is away the copy stays as it was: what is known
 * is still enforced, and a failed refresh never refuses mail.  One copy
 * serves every thread of a process (the engines over one configuration
 * share it); a forked child inherits its parent's.
 */
#ifndef MAILSEAL_REVSTORE_H
#define MAILSEAL_REVSTORE_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "buf.h"
#include "farmcache.h"

#define REV_MAX_IDENTITIES 4
#define REV_IDENTITY_MAX 112            /* "serial:" + 32 + ":" + 66 (certinfo.h) */

enum rev_state {
	REV_NONE = 0,
	REV_PENDING,                    /* protected or capped: not enforced */
	REV_REVOKED,
};

/* one counted complaint's inputs */
struct rev_complaint {
	const unsigned char *sig_id;    /* 16 bytes: the farm's signature id */
	const char *reporter;           /* "user:NAME" or "domain:D" */
	const char *evidence;           /* "verified" or "recorded" */
	const char *feedback_type;      /* ARF's, or "" */
	const char *identities[REV_MAX_IDENTITIES];
	int protected_id[REV_MAX_IDENTITIES];
	size_t nidentities;
};

/* what became of it */
struct rev_outcome {
	int counted;                    /* 0: a repeat */
	uint64_t complaint_id;
	size_t n;
	struct {
		uint64_t offences;      /* within the window, this one included */
		enum rev_state state;   /* after it */
		uint64_t revocation_id; /* 0: none */
		int changed;            /* this complaint changed the state */
	} id[REV_MAX_IDENTITIES];
};

struct rev_rules {
	unsigned threshold;             /* offences that revoke */
	unsigned window;                /* seconds */
	unsigned cap_per_hour;          /* revocations by threshold */
};

/* revstore_complain - count complaint c (now: Unix time) */
enum farm_result revstore_complain(struct farmcache *fc,
				   const struct rev_rules *rules,
				   const struct rev_complaint *c, uint64_t now,
				   struct rev_outcome *out);

/* revstore_set - an administrator's revocation of identity (state
 * REV_REVOKED, or REV_PENDING), audited with who and why; *id its id */
enum farm_result revstore_set(struct farmcache *fc, const char *identity,
			      enum rev_state state, const char *who,
			      const char *why, uint64_t now, uint64_t *id);
/* revstore_remove - end revocation id (audited); FARM_MISS when there
 * is none in force by that id */
enum farm_result revstore_remove(struct farmcache *fc, uint64_t id,
				 const char *who, const char *why,
				 uint64_t now);

/* revstore_record - the fields of revocation ('r') or complaint ('c')
 * id, as "name value" lines (sorted by name) into out; FARM_MISS when
 * there is none */
enum farm_result revstore_record(struct farmcache *fc, char kind, uint64_t id,
				 struct buf *out);
/* revstore_states - the identities with a state, as "ID STATE IDENTITY"
 * lines into out (by id) */
enum farm_result revstore_states(struct farmcache *fc, struct buf *out);
/* revstore_complaints - the complaints within the window, as "ID TIME"
 * lines into out (oldest first) */
enum farm_result revstore_complaints(struct farmcache *fc, struct buf *out);

/* the node's copy */
struct revset;

struct revset *revset_new(unsigned refresh_s);
void revset_free(struct revset *s);
/* revset_refresh - at most every refresh seconds (now: Unix time; 0:
 * now), from fc; the copy stays as it was when Redis does not answer */
void revset_refresh(struct revset *s, struct farmcache *fc, uint64_t now);
/* revset_domain - the state of DKIM domain d (lower case) or of the
 * nearest parent of it that has one (its name into which); *id the
 * revocation's id */
enum rev_state revset_domain(const struct revset *s, const char *d,
			     char *which, size_t wsize, uint64_t *id);
/* revset_identity - the state of an identity as written ("serial:..."
 * and the others) */
enum rev_state revset_identity(const struct revset *s, const char *identity,
			       uint64_t *id);
/* revset_count - identities known (any state) */
size_t revset_count(const struct revset *s);

/* rev_state_str - "none", "pending", "revoked" */
const char *rev_state_str(enum rev_state st);

#endif
