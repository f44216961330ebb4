/*
 * policyload.c - a load generator for Postfix policy servers
 * (SMTPD_POLICY_README's delegation protocol) over a unix socket.
 *
 *   policyload -s SOCKET [-c CONNS] [-T THREADS] [-d SECONDS | -n COUNT]
 *              [-w SECONDS] [-e EXPECT] [-t TIMEOUT] [-F CERT_FP] [-P PUBKEY_FP]
 *
 * Opens CONNS (64) connections to SOCKET and keeps them, as smtpd keeps
 * its policy connections; each has one request outstanding at a time:
 * write a request, read the whole reply, write the next.  First a
 * warm-up, not counted, of at least -w SECONDS (1) and until every
 * connection has had a reply (spawn(8) starts one child per connection;
 * servers fill their caches), then the measured part: -d SECONDS (5) or
 * -n COUNT requests, whichever is given (the last one wins).  At its end
 * no new request is written; the ones in flight are awaited and counted.
 *
 * THREADS (2) threads share the connections, each with its own epoll
 * set: one thread alone is the bottleneck of a fast server on a machine
 * where other processes compete for the cores (the scheduler shares the
 * cores out per thread).
 *
 * The requests are smtpd_access_policy requests at the RCPT stage with
 * the 29 attributes Postfix 3.7 sends there, in its order (captured from
 * Debian's Postfix 3.7 by tests/postfix's policy recorder), rotating over
 * four kinds of client, so that a server's decision code sees what it
 * sees in production:
 *
 *   mx       inbound MX, no TLS, no SASL          alice@sender.example.org
 *   mx-tls   inbound over STARTTLS, no client certificate
 *                                                bob@other.example.org
 *   submit   submission: TLS + sasl_username carol, port 587
 *                                                carol@sender.example.org
 *   pinned   TLS with a verified client certificate (ccert_subject,
 *            ccert_issuer xtext-encoded, both fingerprints -F / -P)
 *                                                pay@bank.example.org
 *
 * Each request has its own instance and client_port (one transaction
 * each: no server may answer from a per-transaction cache).  The client
 * addresses are in 192.0.2.0/24 (TEST-NET-1: attribute values only, no
 * traffic goes there), the HELO names are mail.DOMAIN.
 *
 * A reply must be "action=..." lines ending with an empty line; with -e,
 * its action must begin with EXPECT (case-insensitive) or it counts as
 * unexpected.  TIMEOUT (10 s) bounds the wait for each reply.
 *
 * Output (stdout): one line of name=value pairs,
 *
 *   requests= unexpected= errors= conns= threads= elapsed_s= req_per_s=
 *   lat_p50_ms= lat_p99_ms= lat_max_ms= cpu_s=
 *
 * counting the measured part only: latency from the first byte of a
 * request written to the last byte of its reply read; cpu_s the user +
 * system time of policyload itself over the whole run.  The first few
 * unexpected replies go to stderr.  Exit status: 0 every reply as
 * expected and no connection lost, 1 otherwise, 2 bad usage or set-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BENCH_PROG "policyload"
#include "benchcli.h"     /* die, xrealloc, now, parse_num, cpu_seconds */

#define MAX_CONNS       4096
#define MAX_THREADS     64
#define REQ_MAX         4096    /* one request, formatted */
#define REPLY_MAX       8192    /* one reply, all its lines */
#define MAX_SAID        5       /* unexpected replies echoed to stderr */
#define CONNECT_TRIES   100     /* 50 ms apart: a server still starting */

struct conn {
	int fd;                 /* -1: lost */
	char req[REQ_MAX];
	size_t reqlen, reqoff;
	char in[REPLY_MAX];
	size_t inlen;
	double t_sent;          /* first byte of the request written */
	int busy;               /* a request is outstanding */
	int answered;           /* has had a reply */
	int want_out;           /* EPOLLOUT is asked for */
};

struct opts {
	const char *sock;
	const char *expect;
	const char *cert_fp;
	const char *pubkey_fp;
	unsigned long conns;
	unsigned long threads;
	unsigned long count;    /* 0: by time */
	double seconds;
	double warmup;
	double timeout;
};

enum phase { PH_WARMUP, PH_MEASURE, PH_DRAIN };

/* one thread's connections and tallies */
struct loader {
	pthread_t tid;
	unsigned idx;
	const struct opts *o;
	int ep;
	struct conn *conns;
	size_t nconns;
	unsigned long count;    /* this thread's share of -n */
	unsigned long seq;      /* requests written, all phases */
	unsigned long inflight; /* requests awaiting their reply */
	enum phase ph;
	unsigned long requests, unexpected, errors;
	uint32_t *lat;          /* ns, saturated */
	size_t nlat, caplat;
	double t_last;
};

/* what the threads share */
static atomic_ulong n_answered;         /* connections that had a reply */
static atomic_ulong n_lost;             /* connections lost */
static atomic_ulong n_said;             /* messages echoed to stderr */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static int measuring;                   /* under start_lock */
static double t_start, t_warm_end;      /* t_start under start_lock */

/* build_request - thread idx's n-th request, into c->req */
static void build_request(struct conn *c, unsigned long n, unsigned idx,
			  const struct opts *o)
{
	static const struct kind {
		const char *sender, *domain, *rcpt;
		int host, tls, sasl, cert;
		unsigned server_port;
	} kinds[] = {
		{ "alice", "sender.example.org", "postmaster", 10, 0, 0, 0, 25 },
		{ "bob", "other.example.org", "info", 20, 1, 0, 0, 25 },
		{ "carol", "sender.example.org", "dave", 30, 1, 1, 0, 587 },
		{ "pay", "bank.example.org", "accounts", 40, 1, 0, 1, 25 },
	};
	const struct kind *k = &kinds[(n + idx) % (sizeof(kinds) / sizeof(kinds[0]))];
	int len;

	len = snprintf(c->req, sizeof(c->req),
		"request=smtpd_access_policy\n"
		"protocol_state=RCPT\n"
		"protocol_name=ESMTP\n"
		"client_address=192.0.2.%d\n"
		"client_name=mail.%s\n"
		"client_port=%lu\n"
		"reverse_client_name=mail.%s\n"
		"server_address=198.51.100.25\n"
		"server_port=%u\n"
		"helo_name=mail.%s\n"
		"sender=%s@%s\n"
		"recipient=%s@mx.example.net\n"
		"recipient_count=0\n"
		"queue_id=\n"
		"instance=%lx.%lx.%lx.0\n"
		"size=%lu\n"
		"etrn_domain=\n"
		"stress=\n"
		"sasl_method=%s\n"
		"sasl_username=%s\n"
		"sasl_sender=\n"
		"ccert_subject=%s\n"
		"ccert_issuer=%s\n"
		"ccert_fingerprint=%s\n"
		"ccert_pubkey_fingerprint=%s\n"
		"encryption_protocol=%s\n"
		"encryption_cipher=%s\n"
		"encryption_keysize=%s\n"
		"policy_context=\n"
		"\n",
		k->host, k->domain, 1024 + n % 60000, k->domain,
		k->server_port, k->domain, k->sender, k->domain, k->rcpt,
		(unsigned long)getpid() & 0xffff, n, (unsigned long)idx,
		3000 + n * 7919 % 27000,
		k->sasl ? "PLAIN" : "", k->sasl ? k->sender : "",
		k->cert ? "mx.bank.example.org" : "",
		k->cert ? "Bank+20Example+20Issuing+20CA" : "",
		k->cert ? o->cert_fp : "", k->cert ? o->pubkey_fp : "",
		k->tls ? "TLSv1.3" : "",
		k->tls ? "TLS_AES_256_GCM_SHA384" : "",
		k->tls ? "256" : "");
	if (len < 0 || (size_t)len >= sizeof(c->req))
		die("request too long");
	c->reqlen = (size_t)len;
	c->reqoff = 0;
}

/* say - one of the first few messages to stderr */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&n_said, 1) >= MAX_SAID)
		return;
	fputs("policyload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* conn_lost - a transport error or a malformed reply */
static void conn_lost(struct loader *L, struct conn *c, const char *why)
{
	L->errors++;
	atomic_fetch_add(&n_lost, 1);
	say("connection lost: %s", why);
	epoll_ctl(L->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	if (c->busy)
		L->inflight--;
	c->busy = 0;
}

/* conn_write - write what is left of the request; watch for room when
 * the socket is full */
static void conn_write(struct loader *L, struct conn *c)
{
	struct epoll_event ev = { .data.ptr = c };
	ssize_t r;

	while (c->reqoff < c->reqlen) {
		r = send(c->fd, c->req + c->reqoff, c->reqlen - c->reqoff,
			 MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev.events = EPOLLIN | EPOLLOUT;
			epoll_ctl(L->ep, EPOLL_CTL_MOD, c->fd, &ev);
			c->want_out = 1;
			return;
		}
		if (r <= 0) {
			conn_lost(L, c, strerror(errno));
			return;
		}
		c->reqoff += (size_t)r;
	}
	if (c->want_out) {      /* a system call per request otherwise */
		ev.events = EPOLLIN;
		epoll_ctl(L->ep, EPOLL_CTL_MOD, c->fd, &ev);
		c->want_out = 0;
	}
}

/* conn_start - write the next request */
static void conn_start(struct loader *L, struct conn *c)
{
	build_request(c, L->seq++, L->idx, L->o);
	c->busy = 1;
	L->inflight++;
	c->t_sent = now();
	conn_write(L, c);
}

/* check_reply - count one complete reply */
static void check_reply(struct loader *L, const char *p, size_t n,
			double lat)
{
	const struct opts *o = L->o;
	int bad = n < 9 || strncmp(p, "action=", 7) != 0;

	if (!bad && o->expect &&
	    strncasecmp(p + 7, o->expect, strlen(o->expect)) != 0)
		bad = 1;
	if (L->ph == PH_WARMUP)
		return;
	L->requests++;
	if (bad) {
		L->unexpected++;
		say("unexpected reply: %.*s", (int)(n > 300 ? 300 : n), p);
	}
	if (L->nlat == L->caplat) {
		L->caplat = L->caplat ? L->caplat * 2 : 1 << 16;
		L->lat = xrealloc(L->lat, L->caplat * sizeof(*L->lat));
	}
	L->lat[L->nlat++] = lat > 4.0 ? UINT32_MAX : (uint32_t)(lat * 1e9);
}

/* reply_end - the length of the reply at the front of p (through its
 * empty line), 0 when incomplete */
static size_t reply_end(const char *p, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (p[i] == '\n' && p[i - 1] == '\n')
			return i + 1;
	return 0;
}

/* conn_read - read what came; handle a complete reply; returns 1 when
 * a reply was done */
static int conn_read(struct loader *L, struct conn *c)
{
	ssize_t r;
	size_t end;
	double t;

	r = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (r <= 0) {
		conn_lost(L, c, r == 0 ? "closed by the server" : strerror(errno));
		return 0;
	}
	c->inlen += (size_t)r;
	end = reply_end(c->in, c->inlen);
	if (end == 0) {
		if (c->inlen == sizeof(c->in))
			conn_lost(L, c, "reply too long");
		return 0;
	}
	if (!c->busy || end != c->inlen) {
		conn_lost(L, c, "reply without a request");
		return 0;
	}
	t = now();
	if (!c->answered) {
		c->answered = 1;
		atomic_fetch_add(&n_answered, 1);
	}
	check_reply(L, c->in, end, t - c->t_sent);
	if (L->ph != PH_WARMUP)
		L->t_last = t;
	c->inlen = 0;
	c->busy = 0;
	L->inflight--;
	return 1;
}

/* measure_start - when the measured part began, once the warm-up is
 * over for all threads; 0 while it is not */
static double measure_start(const struct opts *o, double t)
{
	double s = 0;

	pthread_mutex_lock(&start_lock);
	if (!measuring && t >= t_warm_end &&
	    atomic_load(&n_answered) + atomic_load(&n_lost) >= o->conns) {
		measuring = 1;
		t_start = t;
	}
	if (measuring)
		s = t_start;
	pthread_mutex_unlock(&start_lock);
	return s;
}

/* loader_run - one thread's event loop */
static void *loader_run(void *arg)
{
	struct loader *L = arg;
	const struct opts *o = L->o;
	struct epoll_event evs[256];
	double t_now, t0 = 0;
	size_t i;
	int n, k;

	for (i = 0; i < L->nconns; i++)
		conn_start(L, &L->conns[i]);
	for (;;) {
		unsigned long alive = 0;

		t_now = now();
		if (L->ph == PH_WARMUP && (t0 = measure_start(o, t_now)) > 0) {
			L->ph = PH_MEASURE;
			L->t_last = t0;
		}
		if (L->ph == PH_MEASURE && !o->count && t_now >= t0 + o->seconds)
			L->ph = PH_DRAIN;
		if (L->ph == PH_MEASURE && o->count &&
		    L->requests + L->inflight >= L->count)
			L->ph = PH_DRAIN;
		for (i = 0; i < L->nconns; i++) {
			struct conn *c = &L->conns[i];

			if (c->fd < 0)
				continue;
			alive++;
			if (c->busy && t_now - c->t_sent > o->timeout)
				conn_lost(L, c, "reply timeout");
		}
		if (alive == 0 || (L->ph == PH_DRAIN && L->inflight == 0))
			break;
		n = epoll_wait(L->ep, evs, sizeof(evs) / sizeof(evs[0]), 20);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait: %s", strerror(errno));
		for (k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;

			if (c->fd < 0)
				continue;
			if ((evs[k].events & EPOLLOUT) && c->reqoff < c->reqlen)
				conn_write(L, c);
			if (c->fd >= 0 &&
			    (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
			    conn_read(L, c) && L->ph != PH_DRAIN &&
			    !(o->count && L->ph == PH_MEASURE &&
			      L->requests + L->inflight >= L->count))
				conn_start(L, c);
		}
	}
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* pct - the p-th percentile of sorted latencies, in ms */
static double pct(const uint32_t *lat, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return (double)lat[i] / 1e6;
}

static void usage(void)
{
	fputs("usage: policyload -s SOCKET [-c CONNS] [-T THREADS] [-d SECONDS | -n COUNT]\n"
	      "                  [-w SECONDS] [-e EXPECT] [-t TIMEOUT] [-F CERT_FP] [-P PUBKEY_FP]\n",
	      stderr);
	exit(2);
}

/* connect_one - a connection to the server, retried while it starts */
static int connect_one(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, i;

	if (strlen(path) >= sizeof(sa.sun_path))
		die("%s: path too long", path);
	strcpy(sa.sun_path, path);
	for (i = 0; i < CONNECT_TRIES; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
			return fd;
		}
		close(fd);
		usleep(50000);
	}
	die("%s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
	struct opts o = {
		.conns = 64, .threads = 2, .seconds = 5, .warmup = 1, .timeout = 10,
		.cert_fp = "6A:1B:0E:7C:53:9F:22:D4:81:3A:C5:6E:97:0B:F8:14:5D:A2:3C:E9:70:4B:1F:86:D3:2E:59:C0:7A:18:B4:E5",
		.pubkey_fp = "40:06:3D:DA:96:87:8D:6D:B9:29:8B:7B:81:9E:8A:D3:A8:8F:79:54:2C:32:CA:03:8B:FB:7D:B3:9E:0B:DA:59",
	};
	struct loader *L;
	struct conn *conns;
	unsigned long v, i, requests = 0, unexpected = 0, errors = 0, t;
	uint32_t *lat;
	size_t nlat = 0, at = 0;
	double cpu, t_last = 0, el;
	int opt;

	while ((opt = getopt(argc, argv, "s:c:T:d:n:w:e:t:F:P:")) != -1) {
		switch (opt) {
		case 's': o.sock = optarg; break;
		case 'c':
			if (!parse_num(optarg, 1, MAX_CONNS, &o.conns))
				usage();
			break;
		case 'T':
			if (!parse_num(optarg, 1, MAX_THREADS, &o.threads))
				usage();
			break;
		case 'd':
			if (!parse_num(optarg, 1, 3600, &v))
				usage();
			o.seconds = (double)v;
			o.count = 0;
			break;
		case 'n':
			if (!parse_num(optarg, 1, 100000000, &o.count))
				usage();
			break;
		case 'w':
			if (!parse_num(optarg, 0, 600, &v))
				usage();
			o.warmup = (double)v;
			break;
		case 'e': o.expect = optarg; break;
		case 't':
			if (!parse_num(optarg, 1, 600, &v))
				usage();
			o.timeout = (double)v;
			break;
		case 'F': o.cert_fp = optarg; break;
		case 'P': o.pubkey_fp = optarg; break;
		default: usage();
		}
	}
	if (!o.sock || optind != argc)
		usage();
	if (o.threads > o.conns)
		o.threads = o.conns;
	conns = calloc(o.conns, sizeof(*conns));
	L = calloc(o.threads, sizeof(*L));
	if (!conns || !L)
		die("out of memory");
	for (i = 0; i < o.conns; i++)
		conns[i].fd = connect_one(o.sock);
	for (t = 0; t < o.threads; t++) {
		size_t first = o.conns * t / o.threads, last = o.conns * (t + 1) / o.threads;

		L[t].idx = (unsigned)t;
		L[t].o = &o;
		L[t].conns = conns + first;
		L[t].nconns = last - first;
		L[t].count = o.count * (t + 1) / o.threads - o.count * t / o.threads;
		L[t].ep = epoll_create1(EPOLL_CLOEXEC);
		if (L[t].ep < 0)
			die("epoll_create1: %s", strerror(errno));
		for (i = 0; i < L[t].nconns; i++) {
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &L[t].conns[i] };

			if (epoll_ctl(L[t].ep, EPOLL_CTL_ADD, L[t].conns[i].fd, &ev) != 0)
				die("epoll_ctl: %s", strerror(errno));
		}
	}
	t_warm_end = now() + o.warmup;
	for (t = 0; t < o.threads; t++)
		if (pthread_create(&L[t].tid, NULL, loader_run, &L[t]) != 0)
			die("pthread_create failed");
	for (t = 0; t < o.threads; t++) {
		pthread_join(L[t].tid, NULL);
		requests += L[t].requests;
		unexpected += L[t].unexpected;
		errors += L[t].errors;
		nlat += L[t].nlat;
		if (L[t].t_last > t_last)
			t_last = L[t].t_last;
	}
	lat = xrealloc(NULL, nlat * sizeof(*lat));
	for (t = 0; t < o.threads; t++) {
		if (L[t].nlat)
			memcpy(lat + at, L[t].lat, L[t].nlat * sizeof(*lat));
		at += L[t].nlat;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_u32);
	cpu = cpu_seconds();
	el = measuring ? t_last - t_start : 0;
	printf("requests=%lu unexpected=%lu errors=%lu conns=%lu threads=%lu "
	       "elapsed_s=%.3f req_per_s=%.0f lat_p50_ms=%.3f "
	       "lat_p99_ms=%.3f lat_max_ms=%.3f cpu_s=%.2f\n",
	       requests, unexpected, errors, o.conns, o.threads,
	       el, el > 0 ? (double)requests / el : 0.0,
	       pct(lat, nlat, 50), pct(lat, nlat, 99), pct(lat, nlat, 100), cpu);
	return unexpected || errors || requests == 0 ? 1 : 0;
}
