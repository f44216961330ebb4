/*
 * test_dnsstub.c - the stub resolver's pieces that need no server: the
 * query it sends (name encoding, EDNS0, limits), server addresses as
 * the settings write them, and the answers it accepts or ignores
 * (wrong ID, wrong question, not a response, truncated, NXDOMAIN,
 * SERVFAIL, NODATA, CNAME then TXT, TXT in several strings).
 * The network side is tested against nsd in tests/dns/t-dns.sh.
 */
#include <string.h>

#include "dnsstub.h"
#include "unit.h"

static const char NAME[] = "sel._domainkey.example.com";

/* answer - a response to NAME with the given flags and answer RRs */
static size_t answer(unsigned char *out, unsigned id, unsigned flags,
		     const char *qname, const unsigned char *an, size_t anlen,
		     unsigned nan)
{
	unsigned char q[512];
	int qlen = dnsstub_query(qname, (uint16_t)id, q);
	size_t qd = (size_t)qlen - 12 - 11;     /* question, without the OPT */

	memcpy(out, q, 12);
	out[2] = (unsigned char)(flags >> 8);
	out[3] = (unsigned char)flags;
	out[6] = 0;
	out[7] = (unsigned char)nan;
	out[10] = out[11] = 0;
	memcpy(out + 12, q + 12, qd);
	if (anlen)
		memcpy(out + 12 + qd, an, anlen);
	return 12 + qd + anlen;
}

static void test_query(void)
{
	unsigned char q[512];
	int n = dnsstub_query(NAME, 0xabcd, q);
	char long_label[80], long_name[300];

	CHECK(n == 12 + 28 + 4 + 11 && q[0] == 0xab && q[1] == 0xcd &&
	      q[2] == 0x01 && q[5] == 1 && q[11] == 1 &&
	      !memcmp(q + 12, "\3sel\12_domainkey\7example\3com\0", 28) &&
	      q[12 + 28 + 1] == 16 && q[12 + 28 + 3] == 1 &&
	      q[12 + 32 + 2] == 41 && q[12 + 32 + 3] == 0x10,
	      "query: header (RD), labels, TXT IN, an EDNS0 OPT offering 4096 bytes (%d bytes)",
	      n);
	CHECK(dnsstub_query("sel._domainkey.example.com.", 1, q) == n,
	      "query: a trailing dot changes nothing");
	memset(long_label, 'a', 64);
	long_label[64] = 0;
	CHECK(dnsstub_query(long_label, 1, q) == -1, "query: a label of 64 bytes is refused");
	memset(long_name, 'a', 260);
	for (n = 60; n < 260; n += 61)
		long_name[n] = '.';
	long_name[260] = 0;
	CHECK(dnsstub_query(long_name, 1, q) == -1, "query: a name past 253 bytes is refused");
	CHECK(dnsstub_query("a..b", 1, q) == -1 && dnsstub_query("", 1, q) == -1,
	      "query: empty labels and an empty name are refused");
}

static void test_servers(void)
{
	static const struct {
		const char *spec, *host, *port;
		int rc;
	} t[] = {
		{ "127.0.0.1", "127.0.0.1", "", 0 },
		{ "127.0.0.1:5353", "127.0.0.1", "5353", 0 },
		{ "[::1]:5353", "::1", "5353", 0 },
		{ "::1", "::1", "", 0 },
		{ "[::1", "", "", -1 },
		{ "127.0.0.1:", "", "", -1 },
		{ "127.0.0.1:53x", "", "", -1 },
	};
	char host[80], port[8];
	struct dnsstub s;
	struct ms_error err;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = dns_server_split(t[i].spec, strlen(t[i].spec), host,
					  sizeof(host), port, sizeof(port));

		CHECK(rc == t[i].rc && (rc || (!strcmp(host, t[i].host) &&
					       !strcmp(port, t[i].port))),
		      "dns_server_split(\"%s\") = %d \"%s\" \"%s\"", t[i].spec,
		      t[i].rc, t[i].host, t[i].port);
	}
	memset(&s, 0, sizeof(s));
	CHECK(dnsstub_add_server(&s, "127.0.0.1:5353", 14, &err) == MS_OK &&
	      dnsstub_add_server(&s, "[::1]:53", 8, &err) == MS_OK && s.nservers == 2,
	      "dnsstub_add_server: IPv4 and IPv6 with ports");
	CHECK(dnsstub_add_server(&s, "mx.example.com", 14, &err) == MS_ERR_USAGE &&
	      strstr(err.msg, "not an IP address"),
	      "dnsstub_add_server: a host name is refused (%s)", err.msg);
	CHECK(dnsstub_add_server(&s, "127.0.0.1:70000", 15, &err) == MS_ERR_USAGE,
	      "dnsstub_add_server: a port past 65535 is refused");
}

static void test_answers(void)
{
	static const unsigned char txt_rr[] =
		"\xc0\x0c\x00\x10\x00\x01\x00\x00\x01\x2c\x00\x0c"
		"\x04v=DK\x06IM1; p";
	static const unsigned char cname_rr[] =
		"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x02\xc0\x0c";
	unsigned char m[1024], an[256];
	struct arena a;
	struct dns_txt out;
	size_t n;

	arena_init(&a);
	n = answer(m, 7, 0x8580, NAME, txt_rr, sizeof(txt_rr) - 1, 1);
	CHECK(dnsstub_answer(m, n, NAME, 7, &a, &out) == 0 && out.status == DNS_OK &&
	      out.nrecords == 1 && out.record_len[0] == 10 &&
	      !memcmp(out.records[0], "v=DKIM1; p", 10) && out.ttl == 300,
	      "answer: one TXT record of two strings, concatenated, with its TTL");
	CHECK(dnsstub_answer(m, n, NAME, 8, &a, &out) == -1,
	      "answer: another ID is not ours");
	CHECK(dnsstub_answer(m, n, "other._domainkey.example.com", 7, &a, &out) == -1,
	      "answer: another question is not ours");
	CHECK(dnsstub_answer(m, n, "SEL._domainkey.EXAMPLE.com.", 7, &a, &out) == 0,
	      "answer: the question compares without case, trailing dot or not");
	n = answer(m, 7, 0x0580, NAME, txt_rr, sizeof(txt_rr) - 1, 1);
	CHECK(dnsstub_answer(m, n, NAME, 7, &a, &out) == -1,
	      "answer: a query (QR clear) is not an answer");
	n = answer(m, 7, 0x8780, NAME, NULL, 0, 0);
	CHECK(dnsstub_answer(m, n, NAME, 7, &a, &out) == 1,
	      "answer: truncated: ask again over TCP");
	n = answer(m, 7, 0x8583, NAME, NULL, 0, 0);
	CHECK(dnsstub_answer(m, n, NAME, 7, &a, &out) == 0 && out.status == DNS_NXDOMAIN,
	      "answer: NXDOMAIN");
	n = answer(m, 7, 0x8182, NAME, NULL, 0, 0);
	CHECK(dnsstub_answer(m, n, NAME, 7, &a, &out) == 0 && out.status == DNS_TEMPFAIL &&
	      strstr(out.reason, "SERVFAIL"), "answer: SERVFAIL is a temporary failure");
	n = answer(m, 7, 0x8580, NAME, NULL, 0, 0);
	CHECK(dnsstub_answer(m, n, NAME, 7, &a, &out) == 0 && out.status == DNS_NODATA,
	      "answer: no answer record: NODATA");
	memcpy(an, cname_rr, sizeof(cname_rr) - 1);
	memcpy(an + sizeof(cname_rr) - 1, txt_rr, sizeof(txt_rr) - 1);
	n = answer(m, 7, 0x8180, NAME, an, sizeof(cname_rr) - 1 + sizeof(txt_rr) - 1, 2);
	CHECK(dnsstub_answer(m, n, NAME, 7, &a, &out) == 0 && out.status == DNS_OK &&
	      out.nrecords == 1 && out.ttl == 300,
	      "answer: a CNAME on the way is passed over");
	n = answer(m, 7, 0x8580, NAME, txt_rr, sizeof(txt_rr) - 3, 1);
	CHECK(dnsstub_answer(m, n, NAME, 7, &a, &out) != 0 || out.status != DNS_OK,
	      "answer: a record cut short is never an answer");
	arena_free(&a);
}

int main(void)
{
	test_query();
	test_servers();
	test_answers();
	return unit_done();
}
