/*
 * dnsservers.c - the dns_resolver list: split, checked, and written in
 * c-ares' form.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsservers.h"
#include "numparse.h"
#include "xalloc.h"

#define SEP " \t,"

/* dnsservers_next - the next server of the list */
const char *dnsservers_next(const char **p, size_t *n)
{
	const char *s = *p + strspn(*p, SEP);

	if (!*s) {
		*p = s;
		return NULL;
	}
	*n = strcspn(s, SEP);
	*p = s + *n;
	return s;
}

/* dnsservers_split - "IP", "IP:PORT", "[IPv6]:PORT" or "IPv6" into
 * host and port text */
int dnsservers_split(const char *s, size_t n, char *host, size_t hostsize,
		     char *port, size_t portsize)
{
	const char *p = NULL;
	size_t hl = n;

	if (n == 0 || n >= hostsize)
		return -1;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close)
			return -1;
		hl = (size_t)(close - s - 1);
		memcpy(host, s + 1, hl);
		if (close + 1 < s + n) {
			if (close[1] != ':')
				return -1;
			p = close + 2;
		}
	} else {
		const char *colon = memchr(s, ':', n);

		/* one colon: IPv4 with a port; more: a bare IPv6 address */
		if (colon && !memchr(colon + 1, ':', (size_t)(s + n - colon - 1))) {
			hl = (size_t)(colon - s);
			p = colon + 1;
		}
		memcpy(host, s, hl);
	}
	host[hl] = 0;
	port[0] = 0;
	if (p) {
		size_t pl = (size_t)(s + n - p);

		if (pl == 0 || pl >= portsize || strspn(p, "0123456789") < pl)
			return -1;
		memcpy(port, p, pl);
		port[pl] = 0;
	}
	return 0;
}

/* ds_read - one server into host, its family and its port */
static enum ms_status ds_read(const char *s, size_t n, char *host,
			      size_t hostsize, int *v6, unsigned *port,
			      struct ms_error *err)
{
	char ptext[8];
	unsigned char addr[sizeof(struct in6_addr)];
	uint64_t pn = 53;

	if (dnsservers_split(s, n, host, hostsize, ptext, sizeof(ptext)) != 0)
		return ms_error_set(err, MS_ERR_USAGE, "bad DNS server \"%.*s\"",
				    (int)n, s);
	if (ptext[0] &&
	    (num_parse_u64((const unsigned char *)ptext, strlen(ptext), 65535,
			   &pn) != MS_OK || pn == 0))
		return ms_error_set(err, MS_ERR_USAGE,
				    "bad DNS server port in \"%.*s\"", (int)n, s);
	*v6 = strchr(host, ':') != NULL;
	if (inet_pton(*v6 ? AF_INET6 : AF_INET, host, addr) != 1)
		return ms_error_set(err, MS_ERR_USAGE,
				    "DNS server \"%.*s\" is not an IP address",
				    (int)n, s);
	*port = (unsigned)pn;
	return MS_OK;
}

/* dnsservers_check - is the dns_resolver list usable? */
enum ms_status dnsservers_check(const char *list, struct ms_error *err)
{
	char *csv = dnsservers_csv(list, err);

	if (!csv)
		return err ? err->code : MS_ERR_USAGE;
	free(csv);
	return MS_OK;
}

/* dnsservers_csv - the list in c-ares' form */
char *dnsservers_csv(const char *list, struct ms_error *err)
{
	/* "[" host "]:" port "," for each server at most */
	size_t cap = DNSSERVERS_MAX * (INET6_ADDRSTRLEN + 10) + 1, len = 0;
	char *csv = xmalloc(cap), host[80];
	const char *p = list ? list : "", *s;
	size_t n, count = 0;

	csv[0] = 0;
	while ((s = dnsservers_next(&p, &n)) != NULL) {
		unsigned port = 53;
		int v6 = 0;

		if (ds_read(s, n, host, sizeof(host), &v6, &port, err) != MS_OK)
			goto fail;
		if (++count > DNSSERVERS_MAX) {
			ms_error_set(err, MS_ERR_USAGE, "more than %d DNS servers",
				     DNSSERVERS_MAX);
			goto fail;
		}
		/* inet_pton took host: it fits INET6_ADDRSTRLEN */
		len += (size_t)snprintf(csv + len, cap - len, "%s%s%s%s:%u",
					len ? "," : "", v6 ? "[" : "", host,
					v6 ? "]" : "", port);
	}
	return csv;
fail:
	free(csv);
	return NULL;
}
