/*
 * netlist.c - IP addresses and CIDR ranges.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "netlist.h"
#include "numparse.h"
#include "xalloc.h"

struct net {
	int v4;
	unsigned char addr[16];
	unsigned bits;
};

struct netlist {
	struct net *net;
	size_t n;
};

/* netaddr_parse - address text into 16 bytes */
int netaddr_parse(const char *s, unsigned char out[16], int *v4)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
						  0xff, 0xff };

	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*v4 = 1;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) != 1)
		return -1;
	*v4 = memcmp(out, mapped, 12) == 0;
	if (*v4)
		memmove(out, out + 12, 4);
	return 0;
}

/* nl_in - is a (v4 or not) inside net? */
static int nl_in(const struct net *n, const unsigned char *a, int v4)
{
	size_t full = n->bits / 8;
	unsigned rest = n->bits % 8;

	if (n->v4 != v4 || memcmp(a, n->addr, full) != 0)
		return 0;
	return !rest || ((a[full] ^ n->addr[full]) &
			 (unsigned char)(0xff << (8 - rest))) == 0;
}

/* netlist_parse - the list in s */
struct netlist *netlist_parse(const char *s, struct ms_error *err)
{
	struct netlist *nl = xcalloc(1, sizeof(*nl));
	size_t cap = 0, n = 0;

	while (*s) {
		n = strcspn(s, " \t,");
		char word[80], *slash;
		struct net net;
		uint64_t bits;

		if (n == 0) {
			s++;
			continue;
		}
		if (n >= sizeof(word))
			goto bad;
		memcpy(word, s, n);
		word[n] = 0;
		slash = strchr(word, '/');
		if (slash)
			*slash = 0;
		if (netaddr_parse(word, net.addr, &net.v4) != 0)
			goto bad;
		net.bits = net.v4 ? 32 : 128;
		if (slash) {
			if (num_parse_u64((const unsigned char *)slash + 1,
					  strlen(slash + 1), net.bits, &bits) != MS_OK)
				goto bad;
			/* a mapped address's length counts the IPv6 bits */
			if (net.v4 && strchr(word, ':')) {
				if (bits < 96)
					goto bad;
				bits -= 96;
			}
			net.bits = (unsigned)bits;
		}
		if (nl->n == cap) {
			cap = cap ? cap * 2 : 8;
			nl->net = xrealloc(nl->net, cap * sizeof(*nl->net));
		}
		nl->net[nl->n++] = net;
		s += n;
	}
	return nl;
bad:
	ms_error_set(err, MS_ERR_USAGE, "\"%.*s\" is not an address or CIDR range",
		     (int)(n > 60 ? 60 : n), s);
	netlist_free(nl);
	return NULL;
}

/* netlist_match - is ip in the list? */
int netlist_match(const struct netlist *nl, const char *ip)
{
	unsigned char a[16];
	size_t i;
	int v4;

	if (!nl || !ip || netaddr_parse(ip, a, &v4) != 0)
		return 0;
	for (i = 0; i < nl->n; i++)
		if (nl_in(&nl->net[i], a, v4))
			return 1;
	return 0;
}

/* netlist_free - release it */
void netlist_free(struct netlist *nl)
{
	if (!nl)
		return;
	free(nl->net);
	free(nl);
}
