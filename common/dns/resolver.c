/*
 * resolver.c - validated TXT lookups through libunbound's asynchronous
 * interface, polled until an answer or our deadline.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <unbound.h>

#include "dnsanswer.h"
#include "dnsservers.h"
#include "msclock.h"
#include "resolver.h"
#include "xalloc.h"

#define DNS_TYPE_TXT 16
#define DNS_CLASS_IN 1
#define DNS_RCODE_SERVFAIL 2

/* fd sets for res_cloexec_new: the descriptors open at one moment */
struct fdset {
	int *fd;
	size_t n;
};

struct resolver {
	struct ub_ctx *ctx;
	struct fdset before;            /* open before ctx, until its worker
					 * has answered once */
	int answered;
};

/* the state of one lookup, filled by the callback */
struct lookup {
	int done;
	struct arena *arena;
	struct dns_txt *out;
};

/* res_fds - the descriptors open now (/proc/self/fd); empty when it
 * cannot be read */
static void res_fds(struct fdset *s)
{
	DIR *d = opendir("/proc/self/fd");  /* glibc opens it O_CLOEXEC */
	struct dirent *de;
	size_t cap = 0;

	s->fd = NULL;
	s->n = 0;
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9' ||
		    atoi(de->d_name) == dirfd(d))
			continue;
		if (s->n == cap) {
			cap = cap ? 2 * cap : 64;
			s->fd = xrealloc(s->fd, cap * sizeof(*s->fd));
		}
		s->fd[s->n++] = atoi(de->d_name);
	}
	closedir(d);
}

/* res_fdcmp - descriptor order, for qsort and bsearch */
static int res_fdcmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* res_cloexec_new - mark close-on-exec what is open now and was not in
 * before (sorted here): libunbound opens its descriptors (the socket
 * pairs between the caller and its worker) without the flag and does
 * not show them.  A descriptor another thread opened meanwhile gets
 * the flag too, which is what every descriptor of ours wants. */
static void res_cloexec_new(struct fdset *before)
{
	struct fdset now;
	size_t i;

	res_fds(&now);
	if (before->n > 1)
		qsort(before->fd, before->n, sizeof(*before->fd), res_fdcmp);
	for (i = 0; i < now.n; i++) {
		int fl;

		if (before->n && bsearch(&now.fd[i], before->fd, before->n,
					 sizeof(*before->fd), res_fdcmp))
			continue;
		fl = fcntl(now.fd[i], F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC))
			(void)fcntl(now.fd[i], F_SETFD, fl | FD_CLOEXEC);
	}
	free(now.fd);
}

/* res_add_server - one forwarder for libunbound ("IP@PORT") */
static enum ms_status res_add_server(struct ub_ctx *ctx, const char *s,
				     size_t n, struct ms_error *err)
{
	char host[80], port[8], spec[96];
	int rc;

	if (dnsservers_split(s, n, host, sizeof(host), port, sizeof(port)) != 0)
		return ms_error_set(err, MS_ERR_USAGE, "bad DNS server \"%.*s\"",
				    (int)n, s);
	snprintf(spec, sizeof(spec), "%s%s%s", host, port[0] ? "@" : "", port);
	rc = ub_ctx_set_fwd(ctx, spec);
	if (rc != 0)
		return ms_error_set(err, MS_ERR_USAGE, "DNS server \"%.*s\": %s",
				    (int)n, s, ub_strerror(rc));
	return MS_OK;
}

/* resolver_new - a libunbound context with its own worker thread,
 * which validates */
struct resolver *resolver_new(const char *servers, const char *trust_anchor,
			      struct ms_error *err)
{
	struct resolver *r;
	const char *p = servers ? servers : "", *s;
	size_t n;
	int rc, have = 0;

	assert(trust_anchor && *trust_anchor);
	r = xcalloc(1, sizeof(*r));
	/* an MTA runs programs from the process that looked the key up:
	 * none of them may inherit the resolver's descriptors; what
	 * libunbound opens is marked here, and what its worker opens to
	 * set itself up once the first answer is in (res_cloexec_new) */
	res_fds(&r->before);
	r->ctx = ub_ctx_create();
	res_cloexec_new(&r->before);
	if (!r->ctx) {
		free(r->before.fd);
		free(r);
		ms_error_set(err, MS_ERR_TEMP, "cannot create a DNS resolver");
		return NULL;
	}
	rc = ub_ctx_async(r->ctx, 1);
	while (rc == 0 && (s = dnsservers_next(&p, &n)) != NULL) {
		if (res_add_server(r->ctx, s, n, err) != MS_OK)
			goto fail;
		have = 1;
	}
	if (rc == 0 && have) {
		/* forwarders answer for the special-use name test. too (test
		 * zones); "nodefault" does not free it in libunbound 1.17 */
		rc = ub_ctx_set_option(r->ctx, "local-zone:", "test. transparent");
	} else if (rc == 0) {
		rc = ub_ctx_resolvconf(r->ctx, NULL);
		if (rc != 0) {
			ms_error_set(err, MS_ERR_TEMP, "/etc/resolv.conf: %s",
				     ub_strerror(rc));
			goto fail;
		}
	}
	if (rc == 0) {
		/* libunbound reports an unreadable file only at the first
		 * lookup, and then only as "initialization failure" */
		if (access(trust_anchor, R_OK) != 0) {
			ms_error_set(err, MS_ERR_USAGE, "DNS trust anchor %s: %s",
				     trust_anchor, strerror(errno));
			goto fail;
		}
		rc = ub_ctx_add_ta_file(r->ctx, trust_anchor);
	}
	if (rc != 0) {
		ms_error_set(err, MS_ERR_USAGE,
			     "DNS resolver set-up: %s (trust anchor %s)",
			     ub_strerror(rc), trust_anchor);
		goto fail;
	}
	return r;
fail:
	ub_ctx_delete(r->ctx);
	free(r->before.fd);
	free(r);
	return NULL;
}

/* resolver_free - stop the worker and release everything */
void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	if (r->ctx)
		ub_ctx_delete(r->ctx);
	free(r->before.fd);
	free(r);
}

static void res_fail(struct lookup *lk, enum dns_status st, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));

static void res_fail(struct lookup *lk, enum dns_status st, const char *fmt,
		     ...)
{
	char tmp[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	lk->out->status = st;
	lk->out->reason = arena_strdup(lk->arena, tmp);
}

/* res_copy_txt - one TXT record into the answer */
static int res_copy_txt(struct lookup *lk, const unsigned char *rd,
			size_t len)
{
	struct dns_txt *out = lk->out;
	unsigned char *dst;
	long n;

	if (out->nrecords == MS_MAX_KEY_RECORDS)
		return 0;
	dst = arena_alloc(lk->arena, len + 1);
	n = dnsanswer_txt(rd, len, dst);
	if (n < 0)
		return -1;
	dst[n] = 0;
	out->records[out->nrecords] = dst;
	out->record_len[out->nrecords++] = (size_t)n;
	return 0;
}

static void res_callback(void *arg, int err, struct ub_result *result)
{
	struct lookup *lk = arg;
	struct dns_txt *out = lk->out;
	int i;

	lk->done = 1;
	if (err != 0) {
		res_fail(lk, DNS_TEMPFAIL, "DNS lookup failed: %s",
			 ub_strerror(err));
		return;
	}
	out->secure = result->secure;
	out->ttl = result->ttl > 0 ? (uint32_t)result->ttl : 0;
	if (result->bogus) {
		res_fail(lk, DNS_TEMPFAIL, "DNSSEC validation failed: %s",
			 result->why_bogus ? result->why_bogus : "bogus");
	} else if (result->nxdomain) {
		res_fail(lk, DNS_NXDOMAIN, "no such name (NXDOMAIN)");
	} else if (result->rcode == DNS_RCODE_SERVFAIL) {
		res_fail(lk, DNS_TEMPFAIL, "DNS server failure (SERVFAIL)");
	} else if (result->rcode != 0) {
		res_fail(lk, DNS_TEMPFAIL, "DNS error (rcode %d)", result->rcode);
	} else if (!result->havedata) {
		res_fail(lk, DNS_NODATA, "no TXT record (NODATA)");
	} else {
		out->status = DNS_OK;
		for (i = 0; result->data[i]; i++) {
			if (res_copy_txt(lk, (const unsigned char *)result->data[i],
					 (size_t)result->len[i]) != 0) {
				res_fail(lk, DNS_TEMPFAIL,
					 "malformed TXT record in the answer");
				break;
			}
		}
	}
	ub_resolve_free(result);
}

/* res_ub_txt - one lookup through libunbound; 1 when its answer came
 * (whatever it says), 0 when it was given up */
static int res_ub_txt(struct resolver *r, const char *name,
		      unsigned timeout_ms, struct arena *arena,
		      struct dns_txt *out)
{
	struct lookup lk = { .done = 0, .arena = arena, .out = out };
	uint64_t deadline = ms_clock_ms() + timeout_ms;
	int rc, id = 0;

	memset(out, 0, sizeof(*out));
	rc = ub_resolve_async(r->ctx, name, DNS_TYPE_TXT, DNS_CLASS_IN, &lk,
			      res_callback, &id);
	if (rc != 0) {
		res_fail(&lk, DNS_TEMPFAIL, "DNS lookup failed: %s",
			 ub_strerror(rc));
		return 0;
	}
	while (!lk.done) {
		uint64_t now = ms_clock_ms();
		struct pollfd pfd;

		if (now >= deadline) {
			ub_cancel(r->ctx, id);
			res_fail(&lk, DNS_TEMPFAIL,
				 "DNS lookup timed out after %u ms", timeout_ms);
			return 0;
		}
		pfd.fd = ub_fd(r->ctx);
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int)(deadline - now));
		if (rc < 0 && errno != EINTR) {
			ub_cancel(r->ctx, id);
			res_fail(&lk, DNS_TEMPFAIL, "DNS lookup failed: poll: %s",
				 strerror(errno));
			return 0;
		}
		if (rc > 0)
			ub_process(r->ctx);
	}
	return 1;
}

/* resolver_txt - the TXT records at name, waiting at most timeout_ms */
void resolver_txt(struct resolver *r, const char *name, unsigned timeout_ms,
		  struct arena *arena, struct dns_txt *out)
{
	int answered;

	answered = res_ub_txt(r, name, timeout_ms, arena, out);
	if (!r->answered) {
		/* the worker is set up once an answer came: what it
		 * opened is known from then on */
		res_cloexec_new(&r->before);
		r->answered = answered;
		if (answered) {
			free(r->before.fd);
			r->before.fd = NULL;
			r->before.n = 0;
		}
	}
}
