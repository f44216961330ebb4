/*
 * dmarcrow.h - one row of a DMARC aggregate report (RFC 9990) and its
 * canonical serialization, the form in which the farm counts rows.
 *
 * A row is what RFC 9990's <record> says of a set of messages (source
 * address, the disposition applied, the DMARC alignment results, the
 * override reasons, the identifiers, the DKIM and SPF results), with
 * the published policy that was evaluated (<policy_published>): two
 * messages with equal rows are one <record> with a count of two, so
 * that the farm's memory grows with distinct rows, not with messages.
 *
 * Serialization: "R1", then each field, in the fixed order of
 * dmarcrow.c, separated by one space.  A field is written as it is,
 * except that every byte outside 0x21..0x7e, and '%', is written %XX
 * (upper-case hex); the empty string is "-" (and the one-byte string
 * "-" is "%2D").  There is exactly one serialization of a row:
 * dmarc_row_parse accepts only that one (a stored field that is not
 * what dmarc_row_serialize would write is malformed), so equal rows
 * are equal strings, and Redis can count them by field.
 *
 * dmarc_row_parse reads untrusted bytes (anything with write access to
 * Redis can put anything there): it checks every value against what a
 * report may hold (the words of RFC 9990's schema, an address in its
 * canonical text form, lengths) and never writes to its input.  Parsed
 * strings live in the caller's arena.  Nothing here does I/O.
 */
#ifndef MAILSEAL_DMARCROW_H
#define MAILSEAL_DMARCROW_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "buf.h"
#include "ms_limits.h"
#include "status.h"

struct dmarc_row_sig {
	const char *domain;             /* d= */
	const char *selector;           /* s= */
	const char *result;             /* RFC 8601 2.7.1: none pass fail
					 * policy neutral temperror permerror */
};

struct dmarc_row_reason {
	const char *type;               /* local_policy, mailing_list, other,
					 * policy_test_mode, trusted_forwarder */
	const char *comment;            /* "" when none */
};

struct dmarc_row {
	/* the published policy (<policy_published>) */
	const char *policy_domain;      /* where the record was found */
	const char *p;                  /* none quarantine reject */
	const char *sp, *np;            /* the same, or "" when not given */
	char adkim, aspf;               /* 'r' or 's' */
	char testing;                   /* 'y' or 'n' */
	const char *discovery;          /* "treewalk" (or "psl") */
	const char *rua;                /* as published */
	/* <row> */
	const char *source_ip;          /* canonical text form */
	const char *disposition;        /* applied: none quarantine reject */
	const char *dkim, *spf;         /* DMARC alignment: pass or fail */
	struct dmarc_row_reason reasons[MS_DMARC_ROW_REASONS];
	size_t nreasons;
	/* <identifiers> */
	const char *header_from;
	const char *envelope_from;      /* "" for the null reverse-path */
	const char *envelope_to;        /* "" when not known */
	/* <auth_results> */
	const char *spf_domain;
	const char *spf_scope;          /* "mfrom" (or "helo") */
	const char *spf_result;         /* RFC 8601 2.7.2 words */
	struct dmarc_row_sig sigs[MS_DMARC_ROW_SIGS];
	size_t nsigs;
};

/* dmarc_row_check - NULL when r may be serialized, else what is wrong
 * (a static string) */
const char *dmarc_row_check(const struct dmarc_row *r);
/* dmarc_row_serialize - append the canonical form of r to out;
 * MS_ERR_SYNTAX when dmarc_row_check refuses it, MS_ERR_LIMIT past
 * MS_DMARC_ROW_MAX bytes (out unchanged on error) */
enum ms_status dmarc_row_serialize(const struct dmarc_row *r, struct buf *out);
/* dmarc_row_parse - p[0..len) into *r (strings in a); MS_ERR_SYNTAX
 * for anything but a canonical serialization of a valid row */
enum ms_status dmarc_row_parse(const unsigned char *p, size_t len,
			       struct arena *a, struct dmarc_row *r);
/* dmarc_row_same_policy - do a and b carry the same published policy
 * (one report each: RFC 9990 allows one policy per report)? */
int dmarc_row_same_policy(const struct dmarc_row *a, const struct dmarc_row *b);
/* dmarc_row_ip_canon - the canonical text form of the address ip into
 * out[46] (an IPv4-mapped IPv6 address as IPv4); 0 when ip is none */
int dmarc_row_ip_canon(const char *ip, char out[46]);

#endif
