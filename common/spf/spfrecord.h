/*
 * spfrecord.h - the SPF record parser (RFC 7208 sections 4.5, 4.6, 5,
 * 6 and 12's ABNF).
 *
 *   "v=spf1" *( 1*SP ( [qualifier] mechanism / modifier ) ) *SP
 *
 * Mechanisms all include a mx ptr ip4 ip6 exists (names without regard
 * to case), with their domain-specs (checked as macro strings with a
 * domain end) and CIDR lengths (a and mx take both, "/24//64");
 * modifiers redirect= and exp= at most once each, unknown ones checked
 * for syntax and ignored.  Anything else — an unknown mechanism, a
 * bad CIDR, an address that is not one, a non-ASCII byte, more than
 * SPF_MAX_TERMS terms — makes the record a permerror, with a message.
 *
 * spf_record_is - whether a TXT string is an SPF record at all: it
 * starts "v=spf1" (any case) followed by a space or the end.
 *
 * The parser never writes to its input; terms are slices of it, so the
 * input must outlive the record.
 */
#ifndef MAILSEAL_SPFRECORD_H
#define MAILSEAL_SPFRECORD_H

#include <stddef.h>
#include "status.h"

#define SPF_MAX_TERMS 128

enum spf_mech {
	SPF_M_ALL,
	SPF_M_INCLUDE,
	SPF_M_A,
	SPF_M_MX,
	SPF_M_PTR,
	SPF_M_IP4,
	SPF_M_IP6,
	SPF_M_EXISTS,
};

struct spf_term {
	enum spf_mech mech;
	char qualifier;                 /* '+', '-', '~', '?' */
	const char *spec;               /* domain-spec, or NULL */
	size_t spec_len;
	unsigned cidr4, cidr6;          /* a, mx: 32/128 unless given;
					 * ip4: cidr4; ip6: cidr6 */
	unsigned char net[16];          /* ip4 (4 bytes) / ip6 network */
	const char *text;               /* the term as written */
	size_t text_len;
};

struct spf_record {
	struct spf_term term[SPF_MAX_TERMS];
	size_t nterms;
	const char *redirect;           /* domain-spec, or NULL */
	size_t redirect_len;
	const char *exp;
	size_t exp_len;
};

/* spf_record_is - is this TXT string an SPF (v=spf1) record? */
int spf_record_is(const unsigned char *p, size_t len);
/* spf_record_parse - p[0..len) into rec (MS_ERR_SYNTAX: permerror) */
enum ms_status spf_record_parse(const char *p, size_t len,
				struct spf_record *rec, struct ms_error *err);
/* spf_mech_str - "all", "include", ... */
const char *spf_mech_str(enum spf_mech m);

#endif
