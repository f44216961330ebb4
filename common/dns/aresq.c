/*
 * aresq.c - DNS questions through c-ares, answers read by dnsanswer.c.
 */
#include <ares.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aresq.h"
#include "dnsanswer.h"
#include "dnsservers.h"
#include "metrics.h"
#include "msclock.h"
#include "ms_limits.h"
#include "xalloc.h"

struct aresq {
	struct dnsq base;
	char *servers;                  /* c-ares' CSV form, "" default */
	unsigned timeout_ms;            /* per try, or per lookup: */
	int per_lookup;                 /* aresq_new_bounded */
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

/* aq_init - a channel whose tries wait try_ms each; 0 when made */
static int aq_init(struct aresq *q, unsigned try_ms, const char **why)
{
	struct ares_options o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.flags = ARES_FLAG_EDNS | ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	o.ednspsz = 4096;
	o.timeout = (int)try_ms;
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
	return 0;
}

/* aq_nservers - how many servers the channel asks */
static unsigned aq_nservers(ares_channel ch)
{
	struct ares_addr_port_node *list = NULL, *s;
	unsigned n = 0;

	if (ares_get_servers_ports(ch, &list) != ARES_SUCCESS)
		return 1;
	for (s = list; s; s = s->next)
		n++;
	ares_free_data(list);
	return n ? n : 1;
}

/* aq_open - the channel of this process */
static int aq_open(struct aresq *q, const char **why)
{
	unsigned n;

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
	if (aq_init(q, q->timeout_ms, why) != 0)
		return -1;
	/* a lookup's time is shared by the servers, each asked once in
	 * turn (c-ares gives every try the same time): how many there are
	 * is known once c-ares has read /etc/resolv.conf */
	if (q->per_lookup && (n = aq_nservers(q->ch)) > 1) {
		ares_destroy(q->ch);
		q->ch = NULL;
		if (aq_init(q, q->timeout_ms / n ? q->timeout_ms / n : 1, why) != 0)
			return -1;
	}
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

/* aq_failed - why no answer came: the reason of a TEMPFAIL, or the
 * name cannot be asked at all */
static void aq_failed(const struct aresq *q, int status, unsigned allowed_ms,
		      struct arena *a, struct dnsq_answer *ans)
{
	char reason[160];

	switch (status) {
	case ARES_ENOTFOUND:    /* said without the answer itself */
		ans->status = DNSQ_NXDOMAIN;
		ans->ttl = DNSANSWER_NEG_TTL;
		return;
	case ARES_ENODATA:
		ans->status = DNSQ_NODATA;
		ans->ttl = DNSANSWER_NEG_TTL;
		return;
	case ARES_EBADNAME:
		ans->status = DNSQ_NXDOMAIN;
		ans->reason = "not a DNS name";
		return;
	case ARES_ETIMEOUT:
	case ARES_ECANCELLED:
		if (q->per_lookup)
			snprintf(reason, sizeof(reason),
				 "DNS lookup timed out after %u ms", allowed_ms);
		else
			snprintf(reason, sizeof(reason), "timed out");
		break;
	case ARES_ECONNREFUSED:
		/* c-ares says "Could not contact DNS servers" also when
		 * every server answered REFUSED or SERVFAIL */
		snprintf(reason, sizeof(reason), "no DNS server gave an answer "
			 "(each refused, failed or could not be reached)");
		break;
	default:
		snprintf(reason, sizeof(reason), "%s", ares_strerror(status));
		break;
	}
	ans->status = DNSQ_TEMPFAIL;
	ans->reason = arena_strdup(a, reason);
}

/* aq_lookup - one question */
static void aq_lookup(struct dnsq *dq, const char *name, enum dnsq_type t,
		      uint64_t deadline_ms, struct arena *a,
		      struct dnsq_answer *ans)
{
	struct aresq *q = (struct aresq *)dq;
	struct aq_wait w = { 0 };
	uint64_t now = ms_clock_ms();
	uint64_t longest = q->per_lookup ? q->timeout_ms : q->timeout_ms * 2u;
	const char *why = NULL;
	char reason[160];
	uint64_t started;

	ans->status = DNSQ_TEMPFAIL;
	if (!deadline_ms || deadline_ms > now + longest)
		deadline_ms = now + longest;
	if (strlen(name) > MS_MAX_DOMAIN) {
		ans->status = DNSQ_NXDOMAIN;
		ans->reason = "not a DNS name";
		return;
	}
	if (aq_open(q, &why) != 0) {
		snprintf(reason, sizeof(reason), "DNS: %s", why);
		ans->reason = arena_strdup(a, reason);
		return;
	}
	started = ms_clock_us();
	ares_query(q->ch, name, ns_c_in, (int)t, aq_callback, &w);
	aq_wait_for(q, &w, deadline_ms);
	if (w.abuf)             /* an answer: its rcode says what it is */
		dnsanswer_read(w.abuf, (size_t)w.alen, t, a, ans);
	else
		aq_failed(q, w.status, deadline_ms > now ?
			  (unsigned)(deadline_ms - now) : 0, a, ans);
	free(w.abuf);
	metrics_observe(MTIMED_DNS, ms_clock_us() - started);
	metrics_inc(MSLOT_LOOKUP(MLAYER_DNS, ans->status == DNSQ_OK ? MOUT_ANSWER
				 : ans->status == DNSQ_TEMPFAIL ? MOUT_TEMPFAIL
				 : MOUT_NOTFOUND));
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

/* aq_new - a source asking servers, timeout_ms a try or a lookup */
static struct dnsq *aq_new(const char *servers, unsigned timeout_ms,
			   int per_lookup, struct ms_error *err)
{
	char *csv = dnsservers_csv(servers, err);
	struct aresq *q;

	if (!csv)
		return NULL;
	q = xcalloc(1, sizeof(*q));
	q->base.ops = &aq_ops;
	q->servers = csv;
	q->timeout_ms = timeout_ms ? timeout_ms : 2000;
	q->per_lookup = per_lookup;
	return &q->base;
}

/* aresq_new - a source asking servers, timeout_ms per try */
struct dnsq *aresq_new(const char *servers, unsigned timeout_ms,
		       struct ms_error *err)
{
	return aq_new(servers, timeout_ms, 0, err);
}

/* aresq_new_bounded - a source asking servers, timeout_ms per lookup */
struct dnsq *aresq_new_bounded(const char *servers, unsigned timeout_ms,
			       struct ms_error *err)
{
	return aq_new(servers, timeout_ms, 1, err);
}
