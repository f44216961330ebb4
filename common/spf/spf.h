/*
 * spf.h - SPF evaluation (RFC 7208): check_host() for the MAIL FROM and
 * the HELO identities.
 *
 * Lookups go through a struct dnsq (dns/dnsq.h): a zone file, the
 * resolver, or the farm's cache chain.  Limits of section 4.6.4: at
 * most SPF_MAX_DNS_TERMS terms that cause lookups (include, a, mx,
 * ptr, exists, redirect) over the whole evaluation, at most
 * SPF_MAX_VOID void lookups (NXDOMAIN or no answer), at most
 * SPF_MAX_MX names per mx (more is a permerror) and SPF_MAX_PTR names
 * per ptr (the rest are ignored); past any, a permerror.  A DNS error
 * or timeout (the caller's deadline) is a temperror, never a "none".
 *
 * Results and reasons live in the caller's arena.  Nothing here logs.
 */
#ifndef MAILSEAL_SPF_H
#define MAILSEAL_SPF_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "arena.h"
#include "dnsq.h"

#define SPF_MAX_DNS_TERMS 10
#define SPF_MAX_VOID 2
#define SPF_MAX_MX 10
#define SPF_MAX_PTR 10

enum spf_result {
	SPF_NONE = 0,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};

struct spf_request {
	const char *ip;                 /* client address, IPv4 or IPv6 text */
	const char *helo;               /* HELO/EHLO name, or NULL */
	const char *mail_from;          /* envelope sender; "" = null sender */
	const char *receiver;           /* %{r}: this host; NULL: "unknown" */
	time_t now;                     /* %{t}; 0: the clock */
	uint64_t deadline_ms;           /* ms_clock_ms time; 0: none */
};

struct spf_outcome {
	enum spf_result result;
	const char *identity;           /* "mailfrom" or "helo" */
	const char *domain;             /* the domain checked */
	const char *sender;             /* <sender> as evaluated */
	const char *mechanism;          /* the term that matched, or NULL */
	const char *reason;             /* why, for errors and "none" */
	const char *explanation;        /* exp= text on fail, or NULL */
	unsigned dns_terms;             /* of SPF_MAX_DNS_TERMS */
	unsigned voids;
	unsigned long queries;          /* lookups asked */
};

/* spf_check_mailfrom - the MAIL FROM identity (the HELO name's
 * postmaster for a null sender, section 2.4) */
void spf_check_mailfrom(struct dnsq *dns, const struct spf_request *rq,
			struct arena *a, struct spf_outcome *out);
/* spf_check_helo - the HELO identity (section 2.3): "none" when the
 * HELO name is not a domain (an address literal, one label) */
void spf_check_helo(struct dnsq *dns, const struct spf_request *rq,
		    struct arena *a, struct spf_outcome *out);
/* spf_result_str - "pass", "fail", ... as Authentication-Results writes
 * them */
const char *spf_result_str(enum spf_result r);

#endif
