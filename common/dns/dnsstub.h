/*
 * dnsstub.h - TXT lookups as a stub resolver: one query to the
 * configured servers over UDP (EDNS0, 4096 bytes), over TCP when the
 * answer comes truncated, in the calling thread, under our own
 * deadline.
 *
 * resolver.h uses it when no DNSSEC trust anchor is configured: no
 * worker thread, no resolver context to build, so a process that lives
 * for one SMTP session (Exim's) pays almost nothing for DNS it may not
 * need.  The servers must be recursive resolvers (or, in tests, the
 * authoritative server of the zones asked); answers are not validated
 * (with a trust anchor libunbound does that).
 *
 * Answers are read by glibc's ns_parse (libresolv) and checked: the ID,
 * the response bit, the question (our name, TXT, IN).  A server that
 * does not answer in time, answers SERVFAIL or REFUSED, or answers with
 * something that does not parse, makes the next server be asked, and
 * when none is left, a temporary failure.
 */
#ifndef MAILSEAL_DNSSTUB_H
#define MAILSEAL_DNSSTUB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "arena.h"
#include "resolver.h"
#include "status.h"

#define DNSSTUB_MAX_SERVERS 8

struct dnsstub_server {
	struct sockaddr_storage sa;
	socklen_t len;
	char name[64];                  /* as configured, for messages */
};

struct dnsstub {
	struct dnsstub_server server[DNSSTUB_MAX_SERVERS];
	size_t nservers;
	uint16_t next_id;
};

/* dns_server_split - a server as the settings write it ("IP",
 * "IP:PORT", "[IPv6]:PORT", "IPv6") into host and port ("" when none);
 * -1 when malformed */
int dns_server_split(const char *s, size_t n, char *host, size_t hostsize,
		     char *port, size_t portsize);
/* dnsstub_add_server - "IP", "IP:PORT", "[IPv6]:PORT" or "IPv6" */
enum ms_status dnsstub_add_server(struct dnsstub *s, const char *spec,
				  size_t n, struct ms_error *err);
/* dnsstub_check_servers - is list (servers separated by blanks or
 * commas, as dns_resolver takes them) usable, each one as
 * dnsstub_add_server reads it?  The error names the first bad one. */
enum ms_status dnsstub_check_servers(const char *list, struct ms_error *err);
/* dnsstub_resolv_conf - the nameserver lines of path (port 53) */
enum ms_status dnsstub_resolv_conf(struct dnsstub *s, const char *path,
				   struct ms_error *err);
/* dnsstub_query - the query for name's TXT records into q (room for
 * 512 bytes): its length, or -1 when name cannot be a DNS name */
int dnsstub_query(const char *name, uint16_t id, unsigned char *q);
/* dnsstub_answer - read a response to query id for name into out
 * (records copied into arena); returns 0 when it is an answer to our
 * question (out->status says which), 1 when it is truncated (ask again
 * over TCP), -1 when it is not an answer to our question */
int dnsstub_answer(const unsigned char *msg, size_t len, const char *name,
		   uint16_t id, struct arena *arena, struct dns_txt *out);
/* dnsstub_txt - ask the servers, giving up at timeout_ms */
void dnsstub_txt(struct dnsstub *s, const char *name, unsigned timeout_ms,
		 struct arena *arena, struct dns_txt *out);

#endif
