/*
 * dnsq.c - the DNS question interface: dispatch and names.
 */
#include <string.h>

#include "dnsq.h"

/* dnsq_lookup - ask q (counts the query) */
void dnsq_lookup(struct dnsq *q, const char *name, enum dnsq_type t,
		 uint64_t deadline_ms, struct arena *a, struct dnsq_answer *ans)
{
	memset(ans, 0, sizeof(*ans));
	q->queries++;
	q->ops->lookup(q, name, t, deadline_ms, a, ans);
}

/* dnsq_destroy - release q */
void dnsq_destroy(struct dnsq *q)
{
	if (q)
		q->ops->destroy(q);
}

/* dnsq_type_str - "A", "MX", ... */
const char *dnsq_type_str(enum dnsq_type t)
{
	switch (t) {
	case DNSQ_A:    return "A";
	case DNSQ_PTR:  return "PTR";
	case DNSQ_MX:   return "MX";
	case DNSQ_TXT:  return "TXT";
	case DNSQ_AAAA: return "AAAA";
	}
	return "?";
}

/* dnsq_status_str - "ok", "nodata", "nxdomain", "tempfail" */
const char *dnsq_status_str(enum dnsq_status s)
{
	switch (s) {
	case DNSQ_OK:       return "ok";
	case DNSQ_NODATA:   return "nodata";
	case DNSQ_NXDOMAIN: return "nxdomain";
	case DNSQ_TEMPFAIL: return "tempfail";
	}
	return "?";
}
