/*
 * zonefile.h - DNS answers from a file of zone lines, as a struct dnsq:
 * `mailseal --dns-file FILE` and the tests answer every lookup of SPF,
 * DMARC and DKIM from it, with no DNS server.
 *
 * One record a line, fields separated by blanks:
 *
 *     NAME [TTL] TYPE DATA
 *     example.com 300 TXT "v=spf1 ip4:192.0.2.0/24 " "-all"
 *     example.com A 192.0.2.10
 *     example.com AAAA 2001:db8::10
 *     example.com MX 10 mx.example.com
 *     10.2.0.192.in-addr.arpa PTR mx.example.com
 *     slow.example TIMEOUT            (every lookup at it: a timeout)
 *     gone.example NXDOMAIN           (the name does not exist, even
 *                                      if names below it are listed)
 *
 * NAME is case-insensitive, a final dot optional.  TTL defaults to 300.
 * TXT data is one or more quoted strings (\" \\ and \DDD escapes),
 * joined without separators; unquoted, it is the rest of the line.
 * Blank lines and lines starting with '#' or ';' are ignored.
 *
 * Answers: the records of the type asked; NODATA when the name has
 * other records or is an empty non-terminal (a name below it is
 * listed, RFC 8020); NXDOMAIN otherwise.  Errors name the file and the
 * line.  The source is read-only once loaded.
 */
#ifndef MAILSEAL_ZONEFILE_H
#define MAILSEAL_ZONEFILE_H

#include <stddef.h>
#include "dnsq.h"
#include "status.h"

/* zonefile_parse - the source from bytes; origin names them in errors */
struct dnsq *zonefile_parse(const unsigned char *p, size_t len,
			    const char *origin, struct ms_error *err);
/* zonefile_load - the source from a file */
struct dnsq *zonefile_load(const char *path, struct ms_error *err);

#endif
