/*
 * dnsq.h - DNS questions of the sender-policy methods (SPF, DMARC): one
 * name, one type (A, AAAA, MX, PTR, TXT), one answer that tells a name
 * that does not exist (NXDOMAIN) from one that has no record of that
 * type (NODATA, RFC 8020 empty non-terminals included) and both from a
 * temporary failure, which is never cached and never read as "none".
 *
 * A struct dnsq is an interface: the zone-file source (zonefile.h: for
 * --dns-file and the tests), c-ares (aresq.h) and the farm's cache
 * chain (dnsqcache.h) implement it; dnsqkeys.h reads DKIM keys over
 * one.  Answers live in the caller's arena.
 *
 * Limits: at most DNSQ_MAX_RRS records are returned (the rest are
 * dropped and counted in `dropped`); a TXT record is its strings joined
 * without separators (RFC 7208 section 3.3, RFC 6376 section 3.6.2.2),
 * at most DNSQ_MAX_TXT bytes.
 */
#ifndef MAILSEAL_DNSQ_H
#define MAILSEAL_DNSQ_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"

#define DNSQ_MAX_RRS 64
#define DNSQ_MAX_TXT 8192

enum dnsq_type {
	DNSQ_A = 1,
	DNSQ_PTR = 12,
	DNSQ_MX = 15,
	DNSQ_TXT = 16,
	DNSQ_AAAA = 28,
};

enum dnsq_status {
	DNSQ_OK = 0,                    /* n >= 1 records */
	DNSQ_NODATA,                    /* the name exists, no such record */
	DNSQ_NXDOMAIN,                  /* the name does not exist */
	DNSQ_TEMPFAIL,                  /* timeout, SERVFAIL, ...: ask later */
};

struct dnsq_rr {
	unsigned char addr[16];         /* A: 4 bytes, AAAA: 16 */
	uint16_t pref;                  /* MX preference */
	const char *name;               /* MX exchange, PTR target: lower
					 * case, no final dot */
	const unsigned char *txt;       /* TXT: the strings joined */
	size_t txt_len;
};

struct dnsq_answer {
	enum dnsq_status status;
	uint32_t ttl;                   /* of the answer (negative: SOA min) */
	int secure;                     /* DNSSEC-validated */
	size_t n;
	struct dnsq_rr *rr;
	size_t dropped;                 /* past DNSQ_MAX_RRS */
	const char *reason;             /* for TEMPFAIL: what failed ("timed
					 * out"), not the question: the
					 * caller names that */
};

struct dnsq;

struct dnsq_ops {
	/* lookup - the records of type t at name (no final dot needed),
	 * answering by deadline_ms (ms_clock_ms time; 0: the source's own
	 * timeout) */
	void (*lookup)(struct dnsq *q, const char *name, enum dnsq_type t,
		       uint64_t deadline_ms, struct arena *a,
		       struct dnsq_answer *ans);
	void (*destroy)(struct dnsq *q);
};

struct dnsq {
	const struct dnsq_ops *ops;
	unsigned long queries;          /* lookups asked of this source */
};

/* dnsq_lookup - ask q (counts the query) */
void dnsq_lookup(struct dnsq *q, const char *name, enum dnsq_type t,
		 uint64_t deadline_ms, struct arena *a, struct dnsq_answer *ans);
/* dnsq_destroy - release q (NULL is fine) */
void dnsq_destroy(struct dnsq *q);
/* dnsq_type_str - "A", "MX", ... */
const char *dnsq_type_str(enum dnsq_type t);
/* dnsq_status_str - "ok", "nodata", "nxdomain", "tempfail" */
const char *dnsq_status_str(enum dnsq_status s);

#endif
