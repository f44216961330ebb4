/*
 * aresq.c - DNS questions through c-ares, read with ns_parse.
 */
#include <ares.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aresq.h"
#include "buf.h"
#include "dnsstub.h"
#include "msclock.h"
#include "ms_limits.h"
#include "xalloc.h"

struct aresq {
	struct dnsq base;
	char *servers;                  /* c-ares' CSV form, "" default */
	unsigned timeout_ms;
	ares_channel ch;
	pid_t pid;                      /* the process that opened ch */
};

/* one query's result, filled by the callback */
struct aq_wait {
	int done;
	int status;
	unsigned char *abuf;
	int alen;
};

/* aq_socket_cb - every socket c-ares opens is closed on exec: a
 * delivery or pipe command the MTA runs must not inherit it */
static int aq_socket_cb(ares_socket_t fd, int type, void *arg)
{
	int fl = fcntl(fd, F_GETFD);

	(void)type;
	(void)arg;
	if (fl >= 0)
		(void)fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	return ARES_SUCCESS;
}

static pthread_once_t aq_lib_once = PTHREAD_ONCE_INIT;
static int aq_lib_rc = ARES_SUCCESS;

/* aq_lib_init - c-ares' global start, once per process: the Postfix
 * daemon's worker threads each open a channel of their own */
static void aq_lib_init(void)
{
	aq_lib_rc = ares_library_init(ARES_LIB_INIT_ALL);
}

/* aq_open - the channel of this process */
static int aq_open(struct aresq *q, const char **why)
{
	struct ares_options o;
	int rc;

	if (q->ch && q->pid == getpid())
		return 0;
	if (q->ch) {            /* inherited over fork: ours is a new one */
		ares_destroy(q->ch);
		q->ch = NULL;
	}
	(void)pthread_once(&aq_lib_once, aq_lib_init);
	if (aq_lib_rc != ARES_SUCCESS) {
		*why = "c-ares cannot start";
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.flags = ARES_FLAG_EDNS | ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	o.ednspsz = 4096;
	o.timeout = (int)q->timeout_ms;
	o.tries = 1;
	rc = ares_init_options(&q->ch, &o, ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ |
			       ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc == ARES_SUCCESS && *q->servers)
		rc = ares_set_servers_ports_csv(q->ch, q->servers);
	if (rc != ARES_SUCCESS) {
		*why = ares_strerror(rc);
		if (q->ch)
			ares_destroy(q->ch);
		q->ch = NULL;
		return -1;
	}
	ares_set_socket_callback(q->ch, aq_socket_cb, NULL);
	q->pid = getpid();
	return 0;
}

static void aq_callback(void *arg, int status, int timeouts,
			unsigned char *abuf, int alen)
{
	struct aq_wait *w = arg;

	(void)timeouts;
	w->done = 1;
	w->status = status;
	if (abuf && alen > 0) {
		w->abuf = xmalloc((size_t)alen);
		memcpy(w->abuf, abuf, (size_t)alen);
		w->alen = alen;
	}
}

/* aq_wait_for - drive the channel until w is done or the deadline */
static void aq_wait_for(struct aresq *q, struct aq_wait *w, uint64_t deadline)
{
	while (!w->done) {
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct pollfd pfd[ARES_GETSOCK_MAXNUM];
		struct timeval tv, *tvp;
		uint64_t now = ms_clock_ms();
		int bits, n = 0, i, wait_ms;

		if (now >= deadline) {
			ares_cancel(q->ch);     /* calls back: ARES_ECANCELLED */
			w->done = 1;
			w->status = ARES_ETIMEOUT;
			return;
		}
		bits = ares_getsock(q->ch, socks, ARES_GETSOCK_MAXNUM);
		for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = 0;

			/* ARES_GETSOCK_WRITABLE shifts a signed 1 by 31 */
			if ((unsigned)bits & (1u << i))
				ev |= POLLIN;
			if ((unsigned)bits & (1u << (i + ARES_GETSOCK_MAXNUM)))
				ev |= POLLOUT;
			if (!ev)
				continue;
			pfd[n].fd = socks[i];
			pfd[n].events = ev;
			pfd[n++].revents = 0;
		}
		wait_ms = (int)(deadline - now);
		tvp = ares_timeout(q->ch, NULL, &tv);
		if (tvp && tvp->tv_sec * 1000 + tvp->tv_usec / 1000 < wait_ms)
			wait_ms = (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000);
		if (poll(pfd, (nfds_t)n, wait_ms) < 0 && errno != EINTR)
			wait_ms = 0;
		if (n == 0) {
			ares_process_fd(q->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (i = 0; i < n; i++)
			ares_process_fd(q->ch,
					pfd[i].revents & (POLLIN | POLLERR | POLLHUP)
					? pfd[i].fd : ARES_SOCKET_BAD,
					pfd[i].revents & POLLOUT
					? pfd[i].fd : ARES_SOCKET_BAD);
		if (n && !w->done)      /* timeouts are processed too */
			ares_process_fd(q->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	}
}

/* aq_name - a domain name from rdata, lower case, no final dot; NULL
 * when it does not expand */
static const char *aq_name(const ns_msg *h, const unsigned char *p,
			   struct arena *a)
{
	char name[NS_MAXDNAME];
	size_t i, n;

	if (ns_name_uncompress(ns_msg_base(*h), ns_msg_end(*h), p, name,
			       sizeof(name)) < 0)
		return NULL;
	n = strlen(name);
	if (n > 1 && name[n - 1] == '.')
		name[--n] = 0;
	for (i = 0; i < n; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	return arena_strdup(a, name);
}

/* aq_rr - one answer record of the type asked into r; 0 when usable */
static int aq_rr(const ns_msg *h, const ns_rr *rr, enum dnsq_type t,
		 struct arena *a, struct dnsq_rr *r)
{
	const unsigned char *d = ns_rr_rdata(*rr);
	size_t len = ns_rr_rdlen(*rr), i, n = 0;
	unsigned char *txt;

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
		r->name = aq_name(h, d + 2, a);
		return r->name ? 0 : -1;
	case DNSQ_PTR:
		r->name = aq_name(h, d, a);
		return r->name ? 0 : -1;
	case DNSQ_TXT:
		txt = arena_alloc(a, len + 1);
		for (i = 0; i < len;) {
			size_t sl = d[i++];

			if (i + sl > len)
				return -1;
			memcpy(txt + n, d + i, sl);
			n += sl;
			i += sl;
		}
		r->txt = txt;
		r->txt_len = n;
		return 0;
	}
	return -1;
}

/* aq_negative_ttl - the TTL of a negative answer: the SOA's, at most
 * its minimum field (RFC 2308); 300 without one */
static uint32_t aq_negative_ttl(ns_msg *h)
{
	int i, n = ns_msg_count(*h, ns_s_ns);
	ns_rr rr;

	for (i = 0; i < n; i++) {
		const unsigned char *d, *end;
		char tmp[NS_MAXDNAME];
		int l;
		uint32_t min;

		if (ns_parserr(h, ns_s_ns, i, &rr) != 0 || ns_rr_type(rr) != ns_t_soa)
			continue;
		d = ns_rr_rdata(rr);
		end = d + ns_rr_rdlen(rr);
		/* mname, rname, then serial refresh retry expire minimum */
		if ((l = ns_name_uncompress(ns_msg_base(*h), ns_msg_end(*h), d,
					    tmp, sizeof(tmp))) < 0)
			break;
		d += l;
		if ((l = ns_name_uncompress(ns_msg_base(*h), ns_msg_end(*h), d,
					    tmp, sizeof(tmp))) < 0)
			break;
		d += l;
		if (d + 20 > end)
			break;
		min = (uint32_t)d[16] << 24 | (uint32_t)d[17] << 16 |
		      (uint32_t)d[18] << 8 | d[19];
		return ns_rr_ttl(rr) < min ? ns_rr_ttl(rr) : min;
	}
	return 300;
}

/* aq_read - the answer in abuf into ans */
static void aq_read(const unsigned char *abuf, int alen, enum dnsq_type t,
		    struct arena *a, struct dnsq_answer *ans)
{
	ns_msg h;
	ns_rr rr;
	int i, n;

	if (ns_initparse(abuf, alen, &h) != 0) {
		ans->status = DNSQ_TEMPFAIL;
		ans->reason = "the DNS answer cannot be read";
		return;
	}
	switch (ns_msg_getflag(h, ns_f_rcode)) {
	case ns_r_noerror:
		break;
	case ns_r_nxdomain:
		ans->status = DNSQ_NXDOMAIN;
		ans->ttl = aq_negative_ttl(&h);
		return;
	case ns_r_servfail:
		ans->status = DNSQ_TEMPFAIL;
		ans->reason = "DNS server failure (SERVFAIL)";
		return;
	case ns_r_refused:
		ans->status = DNSQ_TEMPFAIL;
		ans->reason = "the DNS server refused the query (REFUSED)";
		return;
	default:
		ans->status = DNSQ_TEMPFAIL;
		ans->reason = "the DNS server answered with an error";
		return;
	}
	n = ns_msg_count(h, ns_s_an);
	ans->rr = arena_alloc(a, (size_t)(n < DNSQ_MAX_RRS ? n : DNSQ_MAX_RRS) *
				 sizeof(*ans->rr) + 1);
	for (i = 0; i < n; i++) {
		struct dnsq_rr r;

		if (ns_parserr(&h, ns_s_an, i, &rr) != 0)
			break;
		if ((int)ns_rr_type(rr) != (int)t || ns_rr_class(rr) != ns_c_in)
			continue;       /* a CNAME on the way, an RRSIG ... */
		if (aq_rr(&h, &rr, t, a, &r) != 0)
			continue;
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
		ans->ttl = aq_negative_ttl(&h);
		return;
	}
	ans->status = DNSQ_OK;  /* never "secure": nothing here validates */
}

/* aq_lookup - one question */
static void aq_lookup(struct dnsq *dq, const char *name, enum dnsq_type t,
		      uint64_t deadline_ms, struct arena *a,
		      struct dnsq_answer *ans)
{
	struct aresq *q = (struct aresq *)dq;
	struct aq_wait w = { 0 };
	uint64_t now = ms_clock_ms();
	const char *why = NULL;
	char reason[160];

	ans->status = DNSQ_TEMPFAIL;
	if (!deadline_ms || deadline_ms > now + q->timeout_ms * 2u)
		deadline_ms = now + q->timeout_ms * 2u;
	if (strlen(name) > MS_MAX_DOMAIN) {
		ans->status = DNSQ_NXDOMAIN;
		return;
	}
	if (aq_open(q, &why) != 0) {
		snprintf(reason, sizeof(reason), "DNS: %s", why);
		ans->reason = arena_strdup(a, reason);
		return;
	}
	ares_query(q->ch, name, ns_c_in, (int)t, aq_callback, &w);
	aq_wait_for(q, &w, deadline_ms);
	if (w.abuf) {           /* an answer: its rcode says what it is */
		aq_read(w.abuf, w.alen, t, a, ans);
	} else if (w.status == ARES_ENOTFOUND) {
		ans->status = DNSQ_NXDOMAIN;
		ans->ttl = 300;
	} else if (w.status == ARES_ENODATA) {
		ans->status = DNSQ_NODATA;
		ans->ttl = 300;
	} else {
		/* c-ares says "Could not contact DNS servers" also when
		 * every server answered REFUSED or SERVFAIL */
		snprintf(reason, sizeof(reason), "%s",
			 w.status == ARES_ETIMEOUT || w.status == ARES_ECANCELLED
			 ? "timed out"
			 : w.status == ARES_ECONNREFUSED
			 ? "no DNS server gave an answer (each refused, failed or "
			   "could not be reached)"
			 : ares_strerror(w.status));
		ans->reason = arena_strdup(a, reason);
	}
	free(w.abuf);
}

static void aq_destroy(struct dnsq *dq)
{
	struct aresq *q = (struct aresq *)dq;

	if (q->ch && q->pid == getpid())
		ares_destroy(q->ch);
	free(q->servers);
	free(q);
}

static const struct dnsq_ops aq_ops = { aq_lookup, aq_destroy };

/* aresq_new - a source asking servers */
struct dnsq *aresq_new(const char *servers, unsigned timeout_ms,
		       struct ms_error *err)
{
	struct aresq *q;
	const char *p;
	size_t i;

	if (servers && *servers && dnsstub_check_servers(servers, err) != MS_OK)
		return NULL;
	q = xcalloc(1, sizeof(*q));
	q->base.ops = &aq_ops;
	/* c-ares wants them separated by single commas */
	q->servers = xcalloc(1, strlen(servers ? servers : "") + 1);
	for (i = 0, p = servers ? servers : ""; *p;) {
		size_t n = strcspn(p, " \t,");

		if (n) {
			if (i)
				q->servers[i++] = ',';
			memcpy(q->servers + i, p, n);
			i += n;
		}
		p += n;
		p += strspn(p, " \t,");
	}
	q->timeout_ms = timeout_ms ? timeout_ms : 2000;
	return &q->base;
}
