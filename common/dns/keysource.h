/*
 * keysource.h - where DKIM key records come from.
 *
 * A key source answers one question: the TXT records at a name such as
 * "sel._domainkey.example.com".  The key file (keyfile.h) is one source;
 * DNS and the cache chain are others.  Answers are copied into the
 * caller's arena.  A source distinguishes "no such record" (permanent:
 * NXDOMAIN or NODATA) from "could not find out" (temporary), which the
 * verifier maps to permerror and temperror.
 */
#ifndef MAILSEAL_KEYSOURCE_H
#define MAILSEAL_KEYSOURCE_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "ms_limits.h"
#include "status.h"

enum key_status {
	KEY_FOUND = 0,
	KEY_NOTFOUND,                   /* NXDOMAIN or NODATA */
	KEY_TEMPFAIL,                   /* timeout, SERVFAIL, ... */
};

struct key_answer {
	enum key_status status;
	size_t nrecords;
	const unsigned char *records[MS_MAX_KEY_RECORDS];
	size_t record_len[MS_MAX_KEY_RECORDS];
	uint32_t ttl;
	int dnssec;                     /* answer was DNSSEC-validated */
	int validated;                  /* a validating resolver gave it:
					 * secure (dnssec), or proven to
					 * need no signature (insecure) */
	const char *reason;             /* for KEY_NOTFOUND / KEY_TEMPFAIL */
	int nxdomain;                   /* KEY_NOTFOUND: the name does not
					 * exist (else it has no TXT record);
					 * said by the DNS sources
					 * (dnskeys.h), not by caches */
};

struct keysource;

struct keysource_ops {
	/* lookup - fill ans for name (a NUL-terminated query name); a
	 * source that waits must give up at deadline_ms (ms_clock_ms
	 * clock; 0: no deadline) with KEY_TEMPFAIL */
	void (*lookup)(struct keysource *ks, const char *name,
		       uint64_t deadline_ms, struct arena *arena,
		       struct key_answer *ans);
	/* destroy - release the source */
	void (*destroy)(struct keysource *ks);
};

struct keysource {
	const struct keysource_ops *ops;
};

/* keysource_lookup - ask the source, with no deadline */
void keysource_lookup(struct keysource *ks, const char *name,
		      struct arena *arena, struct key_answer *ans);
/* keysource_lookup_until - ask the source, giving up at deadline_ms */
void keysource_lookup_until(struct keysource *ks, const char *name,
			    uint64_t deadline_ms, struct arena *arena,
			    struct key_answer *ans);
/* keysource_destroy - release the source (NULL is fine) */
void keysource_destroy(struct keysource *ks);

#endif
