/*
 * resolver.c - TXT lookups through libunbound's asynchronous interface,
 * polled until an answer or our deadline.
 */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <unbound.h>

#include "msclock.h"
#include "resolver.h"
#include "xalloc.h"

#define DNS_TYPE_TXT 16
#define DNS_CLASS_IN 1
#define DNS_RCODE_SERVFAIL 2

struct resolver {
	struct ub_ctx *ctx;
};

/* the state of one lookup, filled by the callback */
struct lookup {
	int done;
	struct arena *arena;
	struct dns_txt *out;
};

/* res_add_server - "IP", "IP:PORT", "[IPv6]:PORT" or "IPv6" */
static enum ms_status res_add_server(struct ub_ctx *ctx, const char *s,
				     size_t n, struct ms_error *err)
{
	char host[80], spec[96];
	const char *port = NULL;
	size_t hl = n;
	int rc;

	if (n == 0 || n >= sizeof(host))
		return ms_error_set(err, MS_ERR_USAGE, "bad DNS server \"%.*s\"",
				    (int)n, s);
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close)
			return ms_error_set(err, MS_ERR_USAGE,
					    "bad DNS server \"%.*s\"", (int)n, s);
		hl = (size_t)(close - s - 1);
		memcpy(host, s + 1, hl);
		if (close + 1 < s + n) {
			if (close[1] != ':')
				return ms_error_set(err, MS_ERR_USAGE,
						    "bad DNS server \"%.*s\"", (int)n, s);
			port = close + 2;
		}
	} else {
		const char *colon = memchr(s, ':', n);

		/* one colon: IPv4 with a port; more: a bare IPv6 address */
		if (colon && !memchr(colon + 1, ':', (size_t)(s + n - colon - 1))) {
			hl = (size_t)(colon - s);
			port = colon + 1;
		}
		memcpy(host, s, hl);
	}
	host[hl] = 0;
	if (port)
		snprintf(spec, sizeof(spec), "%s@%.*s", host,
			 (int)(s + n - port), port);
	else
		snprintf(spec, sizeof(spec), "%s", host);
	rc = ub_ctx_set_fwd(ctx, spec);
	if (rc != 0)
		return ms_error_set(err, MS_ERR_USAGE, "DNS server \"%.*s\": %s",
				    (int)n, s, ub_strerror(rc));
	return MS_OK;
}

/* resolver_new - a context with its own worker thread */
struct resolver *resolver_new(const char *servers, const char *trust_anchor,
			      struct ms_error *err)
{
	struct resolver *r = xcalloc(1, sizeof(*r));
	const char *p = servers ? servers : "";
	int rc, have = 0;

	r->ctx = ub_ctx_create();
	if (!r->ctx) {
		free(r);
		ms_error_set(err, MS_ERR_TEMP, "cannot create a DNS resolver");
		return NULL;
	}
	rc = ub_ctx_async(r->ctx, 1);
	while (rc == 0 && *p) {
		size_t n = strcspn(p, " \t,");

		if (n) {
			if (res_add_server(r->ctx, p, n, err) != MS_OK)
				goto fail;
			have = 1;
		}
		p += n;
		p += strspn(p, " \t,");
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
	if (rc == 0 && trust_anchor && *trust_anchor) {
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
		ms_error_set(err, MS_ERR_USAGE, "DNS resolver set-up: %s%s%s",
			     ub_strerror(rc), trust_anchor && *trust_anchor
			     ? " (trust anchor " : "",
			     trust_anchor && *trust_anchor ? trust_anchor : "");
		goto fail;
	}
	return r;
fail:
	ub_ctx_delete(r->ctx);
	free(r);
	return NULL;
}

/* resolver_free - stop the worker and release everything */
void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	ub_ctx_delete(r->ctx);
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

/* dns_txt_rdata - the strings of one TXT rdata, concatenated */
long dns_txt_rdata(const unsigned char *rd, size_t len, unsigned char *dst)
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
	n = dns_txt_rdata(rd, len, dst);
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

/* resolver_txt - the TXT records at name, waiting at most timeout_ms */
void resolver_txt(struct resolver *r, const char *name, unsigned timeout_ms,
		  struct arena *arena, struct dns_txt *out)
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
		return;
	}
	while (!lk.done) {
		uint64_t now = ms_clock_ms();
		struct pollfd pfd;

		if (now >= deadline) {
			ub_cancel(r->ctx, id);
			res_fail(&lk, DNS_TEMPFAIL,
				 "DNS lookup timed out after %u ms", timeout_ms);
			return;
		}
		pfd.fd = ub_fd(r->ctx);
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int)(deadline - now));
		if (rc < 0 && errno != EINTR) {
			ub_cancel(r->ctx, id);
			res_fail(&lk, DNS_TEMPFAIL, "DNS lookup failed: poll: %s",
				 strerror(errno));
			return;
		}
		if (rc > 0)
			ub_process(r->ctx);
	}
}
