/*
 * netlist.h - a list of IP addresses and CIDR ranges ("192.0.2.0/24
 * 2001:db8::/32 198.51.100.7", blank or comma separated), and whether a
 * client address is in it.  An IPv4-mapped IPv6 client matches the
 * IPv4 ranges.  Read-only once parsed.
 */
#ifndef MAILSEAL_NETLIST_H
#define MAILSEAL_NETLIST_H

#include "status.h"

struct netlist;

/* netaddr_parse - address text into 16 bytes: IPv4, and an
 * IPv4-mapped IPv6 address, as *v4 = 1 in the first 4 bytes (both are
 * an IPv4 client to SPF and to these lists); -1 when it is not one */
int netaddr_parse(const char *s, unsigned char out[16], int *v4);

/* netlist_parse - the list in s; NULL and err naming the bad entry */
struct netlist *netlist_parse(const char *s, struct ms_error *err);
/* netlist_match - is address ip (text) in the list?  0 for NULL lists
 * and for text that is not an address */
int netlist_match(const struct netlist *nl, const char *ip);
/* netlist_free - release it (NULL is fine) */
void netlist_free(struct netlist *nl);

#endif
