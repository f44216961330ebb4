/*
 * aresq.h - DNS questions (dnsq.h) asked through c-ares: A, AAAA, MX,
 * PTR and TXT from the configured servers (or /etc/resolv.conf), EDNS0
 * and TCP when an answer comes truncated, in the calling thread (c-ares
 * 1.18 starts none), under the caller's deadline.
 *
 * The channel is opened lazily at the first lookup and again in a
 * forked child (a process that inherits one from its parent opens its
 * own: Exim's pre-warmed daemon forks the session processes).  Its
 * sockets are close-on-exec.  Answers are read with glibc's ns_parse:
 * the rcode tells NXDOMAIN from NODATA, TTLs come from the records (or
 * the SOA of a negative answer, RFC 2308).  Any failure to get an
 * answer (timeout, SERVFAIL, REFUSED, no server) is DNSQ_TEMPFAIL with
 * a reason.  Not validating: with a DNSSEC trust anchor, the key
 * lookups keep using libunbound (resolver.h).
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

#endif
