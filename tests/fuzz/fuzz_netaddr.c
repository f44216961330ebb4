/*
 * fuzz_netaddr.c - libFuzzer target: client addresses as the MTAs hand
 * them over (netaddr_parse: Postfix's client_address, the milter's
 * CONNECT address, Exim's $sender_host_address) and address lists
 * (netlist_parse, trusted_networks), then netlist_match of the one on
 * the other.
 *
 * The input is split at its first newline: the address before, the
 * list after.  Checked: an address that parses as IPv4 (or
 * IPv4-mapped IPv6) parses again, as IPv4, from the dotted quad of its
 * first 4 bytes, to the same 4 bytes; an address that parses matches a
 * list made of itself alone.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t alen = nl ? (size_t)(nl - data) : size;
	char *addr = malloc(alen + 1), *list, self[128];
	struct netlist *l;
	struct ms_error err;
	unsigned char ip[16], again[16];
	int v4, v4again;

	if (!addr)
		return 0;
	memcpy(addr, data, alen);
	addr[alen] = 0;
	if (memchr(addr, 0, alen)) {
		free(addr);
		return 0;
	}
	if (netaddr_parse(addr, ip, &v4) == 0) {
		if (v4) {
			snprintf(self, sizeof(self), "%u.%u.%u.%u", ip[0], ip[1],
				 ip[2], ip[3]);
			if (netaddr_parse(self, again, &v4again) != 0 || !v4again ||
			    memcmp(ip, again, 4) != 0)
				__builtin_trap();
		}
		if (alen < 100 && !strchr(addr, ' ') && !strchr(addr, ',') &&
		    !strchr(addr, '/')) {
			snprintf(self, sizeof(self), "%s", addr);
			l = netlist_parse(self, &err);
			if (l && !netlist_match(l, addr))
				__builtin_trap();
			netlist_free(l);
		}
	}
	if (nl) {
		size_t llen = size - alen - 1;

		list = malloc(llen + 1);
		if (list) {
			memcpy(list, nl + 1, llen);
			list[llen] = 0;
			l = netlist_parse(list, &err);
			if (l)
				(void)netlist_match(l, addr);
			netlist_free(l);
			free(list);
		}
	}
	free(addr);
	return 0;
}
