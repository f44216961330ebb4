/*
 * fuzz_spf.c - libFuzzer target: SPF evaluation over arbitrary DNS
 * data.  The input is a zone file (dns/zonefile.h: its parser is fuzzed
 * too); the MAIL FROM of a few senders at the zone's domains, from an
 * IPv4, an IPv6 and an IPv4-mapped client, and the HELO identity are
 * evaluated on it.  Checked: every evaluation ends with a result, the
 * lookup limits hold (at most 10 DNS terms, 2 void lookups past which
 * it stops), and a bounded number of queries.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "spf.h"
#include "zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ips[] = { "192.0.2.3", "2001:db8::cb01",
					   "::ffff:192.0.2.3" };
	static const char *const froms[] = { "alice@a.example", "b@b.example",
					     "", "x@%.example" };
	struct ms_error err;
	struct dnsq *dns = zonefile_parse(data, size, "fuzz", &err);
	size_t i, k;

	if (!dns)
		return 0;
	for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++)
		for (k = 0; k < sizeof(froms) / sizeof(froms[0]); k++) {
			struct spf_request rq = { .ip = ips[i], .helo = "h.a.example",
						  .mail_from = froms[k], .now = 1 };
			struct spf_outcome o;
			struct arena a;

			arena_init(&a);
			spf_check_mailfrom(dns, &rq, &a, &o);
			if (o.result > SPF_PERMERROR || o.dns_terms > SPF_MAX_DNS_TERMS + 1 ||
			    o.voids > SPF_MAX_VOID + 1 || o.queries > 2000)
				__builtin_trap();
			(void)spf_result_str(o.result);
			if (k == 0)
				spf_check_helo(dns, &rq, &a, &o);
			arena_free(&a);
		}
	dnsq_destroy(dns);
	return 0;
}
