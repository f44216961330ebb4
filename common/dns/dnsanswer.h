/*
 * dnsanswer.h - DNS wire data read into our terms: a response message
 * into a dnsq_answer (dnsq.h), and the strings of one TXT rdata joined.
 *
 * The bytes come from the network (a server, or a spoofer that guessed
 * the query ID): nothing here trusts a length or a count, writes to its
 * input, or reads past it.  glibc's ns_parse (libresolv) walks the
 * message; names are expanded with its bounds.
 *
 * dnsanswer_read takes a response whose header and question the
 * transport has matched to its query (c-ares does: ID, name, type,
 * class).  It reads:
 *   - the rcode: NOERROR goes on, NXDOMAIN is DNSQ_NXDOMAIN, SERVFAIL,
 *     REFUSED and the rest are DNSQ_TEMPFAIL with a reason;
 *   - the answer section: records of the type asked, class IN, others
 *     (a CNAME on the way, an RRSIG) passed over; the TTL is the
 *     smallest of theirs; at most DNSQ_MAX_RRS kept, the rest counted;
 *   - none of the type asked: DNSQ_NODATA;
 *   - a negative answer's TTL: its SOA's TTL, at most the SOA's minimum
 *     field (RFC 2308 section 5), 300 s when there is no SOA.
 * A message that does not parse, or a record of the type asked that is
 * malformed (an A of 5 bytes, a TXT string past its rdata, a name that
 * does not expand), is DNSQ_TEMPFAIL: a broken answer is never read as
 * "no such record", which would be cached.
 *
 * Records and reasons live in the caller's arena; TXT records are their
 * strings joined and NUL-terminated (not counted in txt_len).
 */
#ifndef MAILSEAL_DNSANSWER_H
#define MAILSEAL_DNSANSWER_H

#include <stddef.h>
#include "arena.h"
#include "dnsq.h"

#define DNSANSWER_NEG_TTL 300           /* a negative answer without SOA */

/* dnsanswer_read - the response msg (len bytes) to a question of type
 * t into ans */
void dnsanswer_read(const unsigned char *msg, size_t len, enum dnsq_type t,
		    struct arena *a, struct dnsq_answer *ans);
/* dnsanswer_txt - the strings of one TXT rdata (length-prefixed, RFC
 * 1035 section 3.3.14) joined into dst, which has room for len bytes;
 * returns the length, or -1 when a string runs past the rdata */
long dnsanswer_txt(const unsigned char *rd, size_t len, unsigned char *dst);

#endif
