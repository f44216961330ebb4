/*
 * metricsd.c - mailseal-policyd's /metrics: the process's counters
 * (metrics.h) as Prometheus text over HTTP, on metrics_listen.
 *
 * One thread of its own, one poll loop, non-blocking sockets: nothing
 * here holds a lock the mail path takes (the counters are read as
 * atomics; the connection gauges are set by the daemon's callback,
 * which takes the pool's lock for a moment and does no I/O), and no
 * client can hold it up:
 *  - at most MD_MAX_CLIENTS connections at once; past that the
 *    listener is not polled and new ones wait in the listen queue;
 *  - each connection has MD_TIMEOUT_MS from its accept to send its
 *    request head and read the answer, then it is closed (a client
 *    that drips a byte at a time, or never reads, loses its slot);
 *  - a request head is at most HTTPREQ_MAX bytes (httpreq.h): past it,
 *    431; malformed, 400;
 *  - only GET (and HEAD) of /metrics is answered with the text; any
 *    other path 404, any other method 405; every answer closes the
 *    connection.
 */
#define _GNU_SOURCE             /* accept4, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "httpreq.h"
#include "metrics.h"
#include "msclock.h"
#include "policyd.h"
#include "xalloc.h"

#define MD_MAX_CLIENTS 16
#define MD_TIMEOUT_MS 5000
#define MD_DRAIN_MAX 65536              /* unread bytes discarded at close */

struct md_client {
	int fd;
	uint64_t deadline;              /* ms_clock_ms */
	struct buf in;
	struct buf out;                 /* the answer, once known */
	size_t sent;
};

static struct {
	pthread_t thread;
	int running;
	int stop[2];                    /* a byte: stop */
	struct listener ls[MAX_LISTEN];
	size_t nls;
	void (*gauges)(void);
	struct md_client c[MD_MAX_CLIENTS];
	size_t nc;
} md = { .stop = { -1, -1 } };

/* md_close - the end of a client: what it still sent is read and
 * dropped (a bounded amount), so that closing with unread bytes does
 * not reset the connection before it has read its answer */
static void md_close(size_t i)
{
	struct md_client *c = &md.c[i];
	char sink[4096];
	size_t drained = 0;
	ssize_t n;

	shutdown(c->fd, SHUT_WR);
	while (drained < MD_DRAIN_MAX &&
	       (n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
		drained += (size_t)n;
	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	md.c[i] = md.c[--md.nc];
}

/* md_answer - the whole answer into c->out */
static void md_answer(struct md_client *c, unsigned code, const char *reason,
		      const char *extra, const struct buf *body, int head_only)
{
	static const char plain[] = "text/plain; charset=utf-8";

	buf_printf(&c->out, "HTTP/1.1 %u %s\r\nContent-Type: %s\r\n"
		   "Content-Length: %zu\r\nConnection: close\r\n%s\r\n", code,
		   reason, code == 200 ? METRICS_CONTENT_TYPE : plain,
		   body->len, extra ? extra : "");
	if (!head_only)
		buf_append(&c->out, body->data, body->len);
}

/* md_respond - what a complete (or broken) request head gets */
static void md_respond(struct md_client *c, enum httpreq_status st,
		       const struct httpreq *r)
{
	struct buf body;

	buf_init(&body, BUF_UNLIMITED);
	if (st == HTTPREQ_TOO_BIG) {
		buf_puts(&body, "request head too large\n");
		md_answer(c, 431, "Request Header Fields Too Large", NULL, &body, 0);
	} else if (st == HTTPREQ_BAD) {
		buf_puts(&body, "bad request\n");
		md_answer(c, 400, "Bad Request", NULL, &body, 0);
	} else if (r->method == HTTPREQ_OTHER) {
		buf_puts(&body, "only GET is served\n");
		md_answer(c, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n",
			  &body, 0);
	} else if (!httpreq_path_is(r, "/metrics")) {
		buf_puts(&body, "not found: the counters are at /metrics\n");
		md_answer(c, 404, "Not Found", NULL, &body,
			  r->method == HTTPREQ_HEAD);
	} else {
		struct metrics_snap s;
		const struct metrics_snap *one[] = { &s };

		if (md.gauges)
			md.gauges();
		metrics_snapshot(&s);
		metrics_render(&body, one, NULL, 1, 1);
		md_answer(c, 200, "OK", NULL, &body, r->method == HTTPREQ_HEAD);
	}
	buf_free(&body);
}

/* md_write - send what the client will take; 1 when all of it is sent
 * or it cannot take more (closed), 0 to wait */
static int md_write(struct md_client *c)
{
	while (c->sent < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->sent,
				 c->out.len - c->sent, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : 1;
	}
	return 1;
}

/* md_read - what a client sent; 1 when it is done with (answered in
 * full, gone), 0 to wait */
static int md_read(struct md_client *c)
{
	unsigned char chunk[1024];
	struct httpreq r;
	enum httpreq_status st;
	ssize_t n;

	for (;;) {
		size_t room = HTTPREQ_MAX - c->in.len;

		n = recv(c->fd, chunk, room < sizeof(chunk) ? room : sizeof(chunk),
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return 1;       /* gone before it asked */
		buf_append(&c->in, chunk, (size_t)n);
		st = httpreq_parse(c->in.data, c->in.len, &r);
		if (st == HTTPREQ_MORE && c->in.len < HTTPREQ_MAX)
			continue;
		if (st == HTTPREQ_MORE)
			st = HTTPREQ_TOO_BIG;
		md_respond(c, st, &r);
		return md_write(c);
	}
}

/* md_accept - new clients, while there is room */
static void md_accept(int lfd, uint64_t now)
{
	while (md.nc < MD_MAX_CLIENTS) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct md_client *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				dlog(LOG_WARNING, "metrics: accept: %s", strerror(errno));
			return;
		}
		c = &md.c[md.nc++];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->deadline = now + MD_TIMEOUT_MS;
		buf_init(&c->in, HTTPREQ_MAX);
		buf_init(&c->out, BUF_UNLIMITED);
	}
}

static void *md_main(void *arg)
{
	struct pollfd pfd[1 + MAX_LISTEN + MD_MAX_CLIENTS];

	(void)arg;
	for (;;) {
		uint64_t now = ms_clock_ms(), next = 0;
		size_t np = 0, i, first_client;
		int wait_ms;

		for (i = 0; i < md.nc; ) {      /* out of time: closed */
			if (md.c[i].deadline <= now) {
				md_close(i);
				continue;
			}
			if (!next || md.c[i].deadline < next)
				next = md.c[i].deadline;
			i++;
		}
		pfd[np++] = (struct pollfd){ .fd = md.stop[0], .events = POLLIN };
		for (i = 0; i < md.nls && md.nc < MD_MAX_CLIENTS; i++)
			pfd[np++] = (struct pollfd){ .fd = md.ls[i].fd,
						     .events = POLLIN };
		first_client = np;
		for (i = 0; i < md.nc; i++)
			pfd[np++] = (struct pollfd){
				.fd = md.c[i].fd,
				.events = md.c[i].out.len ? POLLOUT : POLLIN };
		wait_ms = next ? (int)(next - now) : -1;
		if (poll(pfd, np, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			dlog(LOG_ERR, "metrics: poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		/* clients first, from the last, as md_close moves the last
		 * into the closed one's place */
		for (i = np; i-- > first_client;) {
			struct md_client *c = &md.c[i - first_client];
			int done;

			if (!pfd[i].revents)
				continue;
			done = c->out.len ? md_write(c) : md_read(c);
			if (done)
				md_close(i - first_client);
		}
		now = ms_clock_ms();
		for (i = 1; i < first_client; i++)
			if (pfd[i].revents & POLLIN)
				md_accept(pfd[i].fd, now);
	}
	while (md.nc)
		md_close(md.nc - 1);
	return NULL;
}

/* metricsd_start - serve /metrics on the listeners (taken over) */
int metricsd_start(const struct listener *ls, size_t n, void (*gauges)(void))
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n && i < MAX_LISTEN; i++) {
		md.ls[i] = ls[i];
		fcntl(md.ls[i].fd, F_SETFL, fcntl(md.ls[i].fd, F_GETFL) | O_NONBLOCK);
	}
	md.nls = i;
	md.gauges = gauges;
	if (pipe2(md.stop, O_CLOEXEC) != 0 ||
	    (errno = pthread_create(&md.thread, NULL, md_main, NULL)) != 0) {
		dlog(LOG_ERR, "metrics: cannot start: %s", strerror(errno));
		return -1;
	}
	md.running = 1;
	for (i = 0; i < md.nls; i++)
		dlog(LOG_INFO, "serving /metrics on %s", md.ls[i].spec);
	return 0;
}

/* metricsd_stop - end the thread, close the listeners */
void metricsd_stop(void)
{
	size_t i;

	if (md.running) {
		if (write(md.stop[1], "", 1) < 0) {
			/* cannot be: the pipe is empty */
		}
		pthread_join(md.thread, NULL);
		md.running = 0;
	}
	for (i = 0; i < md.nls; i++)
		listen_close(&md.ls[i], 0);
	md.nls = 0;
}
