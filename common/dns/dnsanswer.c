/*
 * dnsanswer.c - DNS responses read with ns_parse into dnsq answers.
 */
#include <arpa/nameser.h>
#include <ctype.h>
#include <resolv.h>
#include <string.h>

#include "dnsanswer.h"

/* dnsanswer_txt - the strings of one TXT rdata, joined */
long dnsanswer_txt(const unsigned char *rd, size_t len, unsigned char *dst)
{
	size_t i = 0, n = 0;

	while (i < len) {
		size_t sl = rd[i++];

		if (sl > len - i)
			return -1;      /* a string runs past the rdata */
		memcpy(dst + n, rd + i, sl);
		n += sl;
		i += sl;
	}
	return (long)n;
}

/* da_name - the domain name at p in rdata that ends at end, lower
 * case, no final dot; NULL when it does not expand or runs past the
 * rdata (ns_name_uncompress is bounded by the message, not the record) */
static const char *da_name(const ns_msg *h, const unsigned char *p,
			   const unsigned char *end, struct arena *a)
{
	char name[NS_MAXDNAME];
	size_t i, n;
	int l;

	l = ns_name_uncompress(ns_msg_base(*h), ns_msg_end(*h), p, name,
			       sizeof(name));
	if (l < 0 || l > end - p)
		return NULL;
	n = strlen(name);
	if (n > 1 && name[n - 1] == '.')
		name[--n] = 0;
	for (i = 0; i < n; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	return arena_strdup(a, name);
}

/* da_rr - one answer record of the type asked into r; 0 when well
 * formed */
static int da_rr(const ns_msg *h, const ns_rr *rr, enum dnsq_type t,
		 struct arena *a, struct dnsq_rr *r)
{
	const unsigned char *d = ns_rr_rdata(*rr);
	size_t len = ns_rr_rdlen(*rr);
	unsigned char *txt;
	long n;

	memset(r, 0, sizeof(*r));
	switch (t) {
	case DNSQ_A:
	case DNSQ_AAAA:
		if (len != (t == DNSQ_A ? 4u : 16u))
			return -1;
		memcpy(r->addr, d, len);
		return 0;
	case DNSQ_MX:
		if (len < 3)
			return -1;
		r->pref = (uint16_t)(d[0] << 8 | d[1]);
		r->name = da_name(h, d + 2, d + len, a);
		return r->name ? 0 : -1;
	case DNSQ_PTR:
		if (len < 1)
			return -1;
		r->name = da_name(h, d, d + len, a);
		return r->name ? 0 : -1;
	case DNSQ_TXT:
		txt = arena_alloc(a, len + 1);
		n = dnsanswer_txt(d, len, txt);
		if (n < 0)
			return -1;
		txt[n] = 0;
		r->txt = txt;
		r->txt_len = (size_t)n;
		return 0;
	}
	return -1;
}

/* da_negative_ttl - the TTL of a negative answer: the SOA's, at most
 * its minimum field (RFC 2308); DNSANSWER_NEG_TTL without one */
static uint32_t da_negative_ttl(ns_msg *h)
{
	int i, n = ns_msg_count(*h, ns_s_ns);
	ns_rr rr;

	for (i = 0; i < n; i++) {
		const unsigned char *d, *end;
		char tmp[NS_MAXDNAME];
		int l;
		uint32_t min;

		if (ns_parserr(h, ns_s_ns, i, &rr) != 0)
			break;
		if (ns_rr_type(rr) != ns_t_soa)
			continue;
		d = ns_rr_rdata(rr);
		end = d + ns_rr_rdlen(rr);
		/* mname, rname, then serial refresh retry expire minimum */
		if ((l = ns_name_uncompress(ns_msg_base(*h), ns_msg_end(*h), d,
					    tmp, sizeof(tmp))) < 0 || l > end - d)
			break;
		d += l;
		if ((l = ns_name_uncompress(ns_msg_base(*h), ns_msg_end(*h), d,
					    tmp, sizeof(tmp))) < 0 || l > end - d)
			break;
		d += l;
		if (end - d < 20)
			break;
		min = (uint32_t)d[16] << 24 | (uint32_t)d[17] << 16 |
		      (uint32_t)d[18] << 8 | d[19];
		return ns_rr_ttl(rr) < min ? ns_rr_ttl(rr) : min;
	}
	return DNSANSWER_NEG_TTL;
}

/* da_rcode - what a response that is not NOERROR says; 0 for NOERROR */
static int da_rcode(int rcode, ns_msg *h, struct dnsq_answer *ans)
{
	switch (rcode) {
	case ns_r_noerror:
		return 0;
	case ns_r_nxdomain:
		ans->status = DNSQ_NXDOMAIN;
		ans->ttl = da_negative_ttl(h);
		return 1;
	case ns_r_servfail:
		ans->reason = "DNS server failure (SERVFAIL)";
		break;
	case ns_r_refused:
		ans->reason = "the DNS server refused the query (REFUSED)";
		break;
	case ns_r_formerr:
		ans->reason = "the DNS server could not read the query (FORMERR)";
		break;
	default:
		ans->reason = "the DNS server answered with an error";
		break;
	}
	ans->status = DNSQ_TEMPFAIL;
	return 1;
}

/* dnsanswer_read - the response in msg into ans */
void dnsanswer_read(const unsigned char *msg, size_t len, enum dnsq_type t,
		    struct arena *a, struct dnsq_answer *ans)
{
	ns_msg h;
	ns_rr rr;
	int i, n;

	memset(ans, 0, sizeof(*ans));
	if (len > NS_MAXMSG || ns_initparse(msg, (int)len, &h) != 0) {
		ans->status = DNSQ_TEMPFAIL;
		ans->reason = "the DNS answer cannot be read";
		return;
	}
	if (da_rcode(ns_msg_getflag(h, ns_f_rcode), &h, ans))
		return;
	n = ns_msg_count(h, ns_s_an);
	ans->rr = arena_alloc(a, (size_t)(n < DNSQ_MAX_RRS ? n : DNSQ_MAX_RRS) *
				 sizeof(*ans->rr) + 1);
	for (i = 0; i < n; i++) {
		struct dnsq_rr r;

		if (ns_parserr(&h, ns_s_an, i, &rr) != 0)
			goto broken;
		if ((int)ns_rr_type(rr) != (int)t || ns_rr_class(rr) != ns_c_in)
			continue;       /* a CNAME on the way, an RRSIG ... */
		if (da_rr(&h, &rr, t, a, &r) != 0)
			goto broken;
		if (ans->n == DNSQ_MAX_RRS) {
			ans->dropped++;
			continue;
		}
		if (ans->n == 0 || ns_rr_ttl(rr) < ans->ttl)
			ans->ttl = ns_rr_ttl(rr);
		ans->rr[ans->n++] = r;
	}
	if (ans->n == 0) {
		ans->status = DNSQ_NODATA;
		ans->ttl = da_negative_ttl(&h);
		return;
	}
	ans->status = DNSQ_OK;  /* never "secure": nothing here validates */
	return;
broken:
	memset(ans, 0, sizeof(*ans));
	ans->status = DNSQ_TEMPFAIL;
	ans->reason = "a record in the DNS answer is malformed";
}
