/*
 * dnsservers.h - the DNS servers of the dns_resolver setting: a list of
 * "IP", "IP:PORT", "[IPv6]:PORT" or a bare "IPv6", separated by blanks
 * or commas.  Addresses only: a host name would need DNS to find DNS.
 *
 * The one reader of that list: the configuration check (keychain.h),
 * c-ares (aresq.h, which takes the list in its own form) and libunbound
 * (resolver.h, one forwarder at a time) all go through it.
 *
 * Errors are MS_ERR_USAGE and name the server as written.  The
 * functions never write to the list; what they return is the caller's.
 */
#ifndef MAILSEAL_DNSSERVERS_H
#define MAILSEAL_DNSSERVERS_H

#include <stddef.h>
#include "status.h"

#define DNSSERVERS_MAX 8                /* servers in one list */

/* dnsservers_next - the next server of the list at *p (its length in
 * *n), moving *p past it; NULL when none is left */
const char *dnsservers_next(const char **p, size_t *n);
/* dnsservers_split - one server (s, n bytes) into host and port text
 * (port "" when none is written); -1 when malformed or too long */
int dnsservers_split(const char *s, size_t n, char *host, size_t hostsize,
		     char *port, size_t portsize);
/* dnsservers_check - is every server of list an IP address with an
 * optional port from 1 to 65535, and are there at most DNSSERVERS_MAX?
 * The error names the first bad one. */
enum ms_status dnsservers_check(const char *list, struct ms_error *err);
/* dnsservers_csv - list (checked) as c-ares' ares_set_servers_ports_csv
 * takes it: "IP:PORT" and "[IPv6]:PORT", port 53 when none is written,
 * separated by single commas; "" for an empty list.  Allocated: the
 * caller frees it; NULL with err set when the list does not check. */
char *dnsservers_csv(const char *list, struct ms_error *err);

#endif
