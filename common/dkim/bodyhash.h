/*
 * bodyhash.h - one pass over a body for every body hash a message needs.
 *
 * Signatures that share a canonicalization share one canonicalizer;
 * each distinct (canonicalization, l= limit) pair gets its own SHA-256
 * context.  So dual signing (RSA and Ed25519, both relaxed) hashes the
 * body once, and verifying five relaxed signatures canonicalizes once.
 * Only SHA-256 is computed: rsa-sha1 is never accepted (RFC 8301).
 */
#ifndef MAILSEAL_BODYHASH_H
#define MAILSEAL_BODYHASH_H

#include <stddef.h>
#include <stdint.h>
#include "dkim_sig.h"
#include "status.h"

#define BODYHASH_NOLIMIT UINT64_MAX
#define BODYHASH_DIGEST 32

struct bodyhash_set;

/* bodyhash_new - an empty set */
struct bodyhash_set *bodyhash_new(void);
/* bodyhash_free - release the set and its contexts */
void bodyhash_free(struct bodyhash_set *set);
/* bodyhash_add - want the hash for mode and limit; returns its index
 * (the same index for the same pair), or -1 past the set's capacity */
int bodyhash_add(struct bodyhash_set *set, enum dkim_canon mode,
		 uint64_t limit);
/* bodyhash_feed - raw body bytes */
void bodyhash_feed(struct bodyhash_set *set, const unsigned char *p,
		   size_t len);
/* bodyhash_finish - end of body; digests become available */
enum ms_status bodyhash_finish(struct bodyhash_set *set,
			       struct ms_error *err);
/* bodyhash_digest - the 32-byte digest of index i; *canon_len gets the
 * whole canonical body length (before any limit) */
const unsigned char *bodyhash_digest(const struct bodyhash_set *set, int i,
				     uint64_t *canon_len);

#endif
