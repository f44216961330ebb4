/*
 * ploop.c - the policy side's event loop: every policy client
 * connection in one thread, with epoll and non-blocking sockets.
 *
 * Deciding a policy request never waits (no DNS, no Redis: the sender
 * stage reads loaded tables only), so one thread can answer all of
 * them: no thread switch per request, and latency stays flat however
 * many smtpd processes keep connections open.  A connection's bytes
 * are read until the socket has no more; every complete request in
 * them is answered in order; replies go out at once, or when the
 * socket takes them.  Idle connections are closed after
 * request_timeout; at a shutdown every connection is closed (between
 * requests, where a policy client always is once answered).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <syslog.h>
#include <unistd.h>

#include "msclock.h"
#include "policyd.h"
#include "policyproto.h"
#include "xalloc.h"

#define PL_READ 16384
#define PL_EVENTS 64
#define PL_TICK_MS 1000

struct pl_conn {
	int fd;
	struct buf in, out;
	size_t in_pos, out_pos;
	uint64_t last;                  /* ms_clock_ms of the last activity */
	struct pl_conn *prev, *next;
};

static int pl_epoll = -1;
static int pl_wake[2] = { -1, -1 };
static pthread_t pl_thread;
static pthread_mutex_t pl_lock = PTHREAD_MUTEX_INITIALIZER;
static int *pl_new;                     /* handed over, not yet watched */
static size_t pl_nnew, pl_capnew;
static struct pl_conn *pl_conns;
static unsigned pl_timeout_ms;

static void pl_close(struct pl_conn *c)
{
	epoll_ctl(pl_epoll, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		pl_conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

static void pl_watch(int fd)
{
	struct pl_conn *c = xcalloc(1, sizeof(*c));
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
		dlog(LOG_WARNING, "policy client: cannot make the socket non-blocking: %s",
		     strerror(errno));
		close(fd);
		free(c);
		return;
	}
	c->fd = fd;
	buf_init(&c->in, PP_MAX_REQUEST + PL_READ);
	buf_init(&c->out, 1 << 20);
	c->last = ms_clock_ms();
	ev.data.ptr = c;
	if (epoll_ctl(pl_epoll, EPOLL_CTL_ADD, fd, &ev) != 0) {
		dlog(LOG_WARNING, "policy client: epoll: %s", strerror(errno));
		close(fd);
		buf_free(&c->in);
		buf_free(&c->out);
		free(c);
		return;
	}
	c->next = pl_conns;
	if (pl_conns)
		pl_conns->prev = c;
	pl_conns = c;
}

/* pl_flush - write what is pending; 0 all out, 1 the socket is full,
 * -1 an error */
static int pl_flush(struct pl_conn *c)
{
	struct epoll_event ev = { .data.ptr = c };

	while (c->out_pos < c->out.len) {
		ssize_t n = write(c->fd, c->out.data + c->out_pos,
				  c->out.len - c->out_pos);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
			epoll_ctl(pl_epoll, EPOLL_CTL_MOD, c->fd, &ev);
			return 1;
		}
		if (n <= 0)
			return -1;
		c->out_pos += (size_t)n;
	}
	if (c->out_pos) {
		buf_reset(&c->out);
		c->out_pos = 0;
		ev.events = EPOLLIN | EPOLLRDHUP;
		epoll_ctl(pl_epoll, EPOLL_CTL_MOD, c->fd, &ev);
	}
	return 0;
}

/* pl_input - read what there is, answer every complete request; -1 to
 * close the connection */
static int pl_input(struct worker *w, struct pl_conn *c)
{
	int eof = 0;

	for (;;) {
		ssize_t n;

		if (buf_reserve(&c->in, PL_READ) != MS_OK)
			break;          /* full: answer, or refuse, below */
		n = read(c->fd, c->in.data + c->in.len,
			 c->in.cap - c->in.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -1;
		if (n == 0) {
			eof = 1;
			break;
		}
		c->in.len += (size_t)n;
		c->in.data[c->in.len] = 0;
	}
	c->last = ms_clock_ms();
	for (;;) {
		long used = policy_answer(w, c->in.data + c->in_pos,
					  c->in.len - c->in_pos, &c->out);

		if (used < 0)
			return -1;
		if (used == 0)
			break;
		c->in_pos += (size_t)used;
	}
	if (c->in_pos == c->in.len) {
		buf_reset(&c->in);
		c->in_pos = 0;
	} else if (c->in_pos > 0) {
		size_t left = c->in.len - c->in_pos;

		memmove(c->in.data, c->in.data + c->in_pos, left);
		buf_truncate(&c->in, left);
		c->in_pos = 0;
	}
	if (pl_flush(c) < 0)
		return -1;
	if (eof) {
		if (c->in.len)
			dlog(LOG_WARNING, "policy client: closed within a request");
		return -1;
	}
	return 0;
}

static void *pl_main(void *arg)
{
	struct epoll_event ev[PL_EVENTS];
	struct worker w = { 0 };
	uint64_t next_sweep = ms_clock_ms() + PL_TICK_MS;

	(void)arg;
	while (!daemon_stopping()) {
		int n = epoll_wait(pl_epoll, ev, PL_EVENTS, PL_TICK_MS), i;
		uint64_t now;

		if (n < 0 && errno != EINTR) {
			dlog(LOG_ERR, "policy loop: epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			struct pl_conn *c = ev[i].data.ptr;

			if (!c) {               /* the wake-up pipe */
				char b[64];
				size_t k;

				while (read(pl_wake[0], b, sizeof(b)) > 0)
					;
				pthread_mutex_lock(&pl_lock);
				for (k = 0; k < pl_nnew; k++)
					pl_watch(pl_new[k]);
				pl_nnew = 0;
				pthread_mutex_unlock(&pl_lock);
				continue;
			}
			if ((ev[i].events & EPOLLOUT) && pl_flush(c) < 0) {
				pl_close(c);
				continue;
			}
			if ((ev[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
			    pl_input(&w, c) != 0)
				pl_close(c);
		}
		now = ms_clock_ms();
		if (now >= next_sweep) {
			struct pl_conn *c = pl_conns, *nx;

			for (; c; c = nx) {
				nx = c->next;
				if (now - c->last > pl_timeout_ms)
					pl_close(c);
			}
			next_sweep = now + PL_TICK_MS;
		}
	}
	while (pl_conns)
		pl_close(pl_conns);
	worker_done(&w);
	return NULL;
}

/* ploop_start - the thread that serves every policy connection */
int ploop_start(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	pl_timeout_ms = policyd_request_timeout_ms;
	pl_epoll = epoll_create1(EPOLL_CLOEXEC);
	if (pl_epoll < 0 || pipe(pl_wake) != 0 ||
	    fcntl(pl_wake[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(pl_wake[1], F_SETFL, O_NONBLOCK) != 0 ||
	    epoll_ctl(pl_epoll, EPOLL_CTL_ADD, pl_wake[0], &ev) != 0 ||
	    pthread_create(&pl_thread, NULL, pl_main, NULL) != 0) {
		dlog(LOG_ERR, "policy loop: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ploop_add - hand it an accepted connection */
void ploop_add(int fd)
{
	pthread_mutex_lock(&pl_lock);
	if (pl_nnew == pl_capnew) {
		pl_capnew = pl_capnew ? pl_capnew * 2 : 64;
		pl_new = xrealloc(pl_new, pl_capnew * sizeof(*pl_new));
	}
	pl_new[pl_nnew++] = fd;
	pthread_mutex_unlock(&pl_lock);
	if (write(pl_wake[1], "", 1) < 0) {
		/* full: a wake-up is pending already */
	}
}

/* ploop_stop - close its connections, end the thread */
void ploop_stop(void)
{
	if (pl_epoll < 0)
		return;
	if (write(pl_wake[1], "", 1) < 0) {
		/* full: it wakes anyway */
	}
	pthread_join(pl_thread, NULL);
	close(pl_epoll);
	pl_epoll = -1;
}
