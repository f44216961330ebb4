/*
 * aresq.h - DNS questions (dnsq.h) asked through c-ares: A, AAAA, MX,
 * PTR and TXT from the configured servers (or /etc/resolv.conf), EDNS0
 * and TCP when an answer comes truncated, in the calling thread (c-ares
 * 1.18 starts none), under the caller's deadline.
 *
 * The channel is opened lazily at the first lookup and again in a
 * forked child (a process that inherits one from its parent opens its
 * own: Exim's pre-warmed daemon forks the session processes).  Its
 * sockets are close-on-exec, and c-ares closes them as soon as no
 * question is pending: between lookups the channel holds memory only,
 * so it is kept for the life of the process (nothing to drop when
 * Exim's local_scan returns).  Answers are read by dnsanswer.h: the
 * rcode tells NXDOMAIN from NODATA, TTLs come from the records (or the
 * SOA of a negative answer, RFC 2308).  Any failure to get an answer
 * (timeout, SERVFAIL, REFUSED, no server) is DNSQ_TEMPFAIL with a
 * reason; a name that cannot be asked (empty label, too long) is
 * DNSQ_NXDOMAIN.  Not validating: with a DNSSEC trust anchor, the key
 * lookups use libunbound (resolver.h, through dnskeys.h).
 *
 * Two ways to count time, one per user:
 *   aresq_new (SPF, DMARC): timeout_ms per try; the servers are asked
 *     in turn, a lookup at most two tries' time.
 *   aresq_new_bounded (DKIM keys, dnskeys.h): timeout_ms for the whole
 *     lookup (dns_timeout: "how long one key lookup may wait"), shared
 *     equally by the servers, so that the second is asked in time when
 *     the first is silent; a lookup given up for time says "DNS lookup
 *     timed out after N ms", N the time it was given.
 * Either way the caller's deadline (the message's DNS budget) cuts it.
 */
#ifndef MAILSEAL_ARESQ_H
#define MAILSEAL_ARESQ_H

#include "dnsq.h"
#include "status.h"

/* aresq_new - a source asking servers ("IP[:PORT]" or "[IPv6]:PORT",
 * blank or comma separated; "" for /etc/resolv.conf), each try at most
 * timeout_ms; the servers are checked now, nothing is opened */
struct dnsq *aresq_new(const char *servers, unsigned timeout_ms,
		       struct ms_error *err);
/* aresq_new_bounded - the same, timeout_ms bounding a whole lookup */
struct dnsq *aresq_new_bounded(const char *servers, unsigned timeout_ms,
			       struct ms_error *err);

#endif
