/*
 * ploop.c - the policy side's event loop: every policy client
 * connection in one thread, with epoll and non-blocking sockets.
 *
 * Deciding a policy request never waits (no DNS, no Redis: the sender
 * stage reads loaded tables only), so a few threads can answer all of
 * them: one loop per two cores (at least one, at most PL_MAX_LOOPS),
 * connections handed out in turn; no thread switch per request, and
 * latency stays flat however many smtpd processes keep connections
 * open.  (One loop answers well over 100,000 requests a second; on a
 * small machine a second one mostly competes with the milter threads
 * and Postfix's own processes for the cores, which shows as latency.)  A connection's bytes
 * are read until the socket has no more; every complete request in
 * them is answered in order; replies go out at once, or when the
 * socket takes them.  Idle connections are closed after
 * request_timeout, and one whose request is not complete packet_timeout
 * after its first bytes (a client dripping a byte now and then would
 * otherwise hold its connection forever); at a shutdown every connection is closed (between
 * requests, where a policy client always is once answered).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
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
#define PL_MAX_LOOPS 4

struct pl_conn {
	int fd;
	int want_out;                   /* EPOLLOUT is armed */
	struct buf in, out;
	size_t in_pos, out_pos;
	uint64_t last;                  /* ms_clock_ms of the last activity */
	uint64_t started;               /* first bytes of an unanswered request */
	struct pl_conn *prev, *next;
};

struct pl_loop {
	int epoll;
	int wake[2];
	pthread_t thread;
	pthread_mutex_t lock;
	int *new_fds;                   /* handed over, not yet watched */
	size_t nnew, capnew;
	struct pl_conn *conns;
};

static struct pl_loop pl_loops[PL_MAX_LOOPS];
static atomic_uint pl_count;            /* connections handed over, not closed */
static unsigned pl_nloops, pl_turn;
static unsigned pl_timeout_ms;

/* pl_gone - one connection less (closed, or never watched) */
static void pl_gone(void)
{
	atomic_fetch_sub(&pl_count, 1);
	daemon_wake();
}

static void pl_close(struct pl_loop *lp, struct pl_conn *c)
{
	epoll_ctl(lp->epoll, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	pl_gone();
	if (c->prev)
		c->prev->next = c->next;
	else
		lp->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

static void pl_watch(struct pl_loop *lp, int fd)
{
	struct pl_conn *c = xcalloc(1, sizeof(*c));
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
		dlog(LOG_WARNING, "policy client: cannot make the socket non-blocking: %s",
		     strerror(errno));
		close(fd);
		free(c);
		pl_gone();
		return;
	}
	c->fd = fd;
	buf_init(&c->in, PP_MAX_REQUEST + PL_READ);
	buf_init(&c->out, 1 << 20);
	c->last = ms_clock_ms();
	ev.data.ptr = c;
	if (epoll_ctl(lp->epoll, EPOLL_CTL_ADD, fd, &ev) != 0) {
		dlog(LOG_WARNING, "policy client: epoll: %s", strerror(errno));
		close(fd);
		buf_free(&c->in);
		buf_free(&c->out);
		free(c);
		pl_gone();
		return;
	}
	c->next = lp->conns;
	if (lp->conns)
		lp->conns->prev = c;
	lp->conns = c;
}

/* pl_flush - write what is pending; 0 all out, 1 the socket is full
 * (EPOLLOUT armed until it takes the rest), -1 an error */
static int pl_flush(struct pl_loop *lp, struct pl_conn *c)
{
	struct epoll_event ev = { .data.ptr = c };

	while (c->out_pos < c->out.len) {
		ssize_t n = write(c->fd, c->out.data + c->out_pos,
				  c->out.len - c->out_pos);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->want_out) {
				ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
				epoll_ctl(lp->epoll, EPOLL_CTL_MOD, c->fd, &ev);
				c->want_out = 1;
			}
			return 1;
		}
		if (n <= 0)
			return -1;
		c->out_pos += (size_t)n;
	}
	buf_reset(&c->out);
	c->out_pos = 0;
	if (c->want_out) {
		ev.events = EPOLLIN | EPOLLRDHUP;
		epoll_ctl(lp->epoll, EPOLL_CTL_MOD, c->fd, &ev);
		c->want_out = 0;
	}
	return 0;
}

/* pl_input - read what there is, answer every complete request; -1 to
 * close the connection */
static int pl_input(struct pl_loop *lp, struct worker *w, struct pl_conn *c)
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
	if (!c->in.len)
		c->started = 0;
	else if (!c->started)
		c->started = c->last;
	if (pl_flush(lp, c) < 0)
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
	struct pl_loop *lp = arg;
	struct epoll_event ev[PL_EVENTS];
	struct worker w = { 0 };
	uint64_t next_sweep = ms_clock_ms() + PL_TICK_MS;

	while (!daemon_stopping()) {
		int n = epoll_wait(lp->epoll, ev, PL_EVENTS, PL_TICK_MS), i;
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

				while (read(lp->wake[0], b, sizeof(b)) > 0)
					;
				pthread_mutex_lock(&lp->lock);
				for (k = 0; k < lp->nnew; k++)
					pl_watch(lp, lp->new_fds[k]);
				lp->nnew = 0;
				pthread_mutex_unlock(&lp->lock);
				continue;
			}
			if ((ev[i].events & EPOLLOUT) && pl_flush(lp, c) < 0) {
				pl_close(lp, c);
				continue;
			}
			if ((ev[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
			    pl_input(lp, &w, c) != 0)
				pl_close(lp, c);
		}
		now = ms_clock_ms();
		if (now >= next_sweep) {
			struct pl_conn *c = lp->conns, *nx;

			for (; c; c = nx) {
				nx = c->next;
				if (c->started && now - c->started > policyd_packet_timeout_ms) {
					dlog(LOG_WARNING, "policy client: a request not complete after %u ms (packet_timeout); closing",
					     policyd_packet_timeout_ms);
					pl_close(lp, c);
				} else if (now - c->last > pl_timeout_ms) {
					pl_close(lp, c);
				}
			}
			next_sweep = now + PL_TICK_MS;
		}
	}
	while (lp->conns)
		pl_close(lp, lp->conns);
	worker_exit(&w);
	return NULL;
}

/* ploop_start - the threads that serve every policy connection: one
 * per two cores, at least one, at most PL_MAX_LOOPS */
int ploop_start(void)
{
	long half = sysconf(_SC_NPROCESSORS_ONLN) / 2;
	unsigned i;

	pl_timeout_ms = policyd_request_timeout_ms;
	pl_nloops = half < 1 ? 1 : half > PL_MAX_LOOPS ? PL_MAX_LOOPS
						      : (unsigned)half;
	for (i = 0; i < pl_nloops; i++) {
		struct pl_loop *lp = &pl_loops[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

		pthread_mutex_init(&lp->lock, NULL);
		lp->epoll = epoll_create1(EPOLL_CLOEXEC);
		if (lp->epoll < 0 || pipe(lp->wake) != 0 ||
		    fcntl(lp->wake[0], F_SETFL, O_NONBLOCK) != 0 ||
		    fcntl(lp->wake[1], F_SETFL, O_NONBLOCK) != 0 ||
		    epoll_ctl(lp->epoll, EPOLL_CTL_ADD, lp->wake[0], &ev) != 0 ||
		    pthread_create(&lp->thread, NULL, pl_main, lp) != 0) {
			dlog(LOG_ERR, "policy loop: %s", strerror(errno));
			pl_nloops = i;
			return -1;
		}
	}
	return 0;
}

/* ploop_add - hand an accepted connection to the next loop */
void ploop_add(int fd)
{
	struct pl_loop *lp = &pl_loops[pl_turn++ % pl_nloops];

	atomic_fetch_add(&pl_count, 1);
	pthread_mutex_lock(&lp->lock);
	if (lp->nnew == lp->capnew) {
		lp->capnew = lp->capnew ? lp->capnew * 2 : 64;
		lp->new_fds = xrealloc(lp->new_fds, lp->capnew * sizeof(int));
	}
	lp->new_fds[lp->nnew++] = fd;
	pthread_mutex_unlock(&lp->lock);
	if (write(lp->wake[1], "", 1) < 0) {
		/* full: a wake-up is pending already */
	}
}

/* ploop_count - policy connections held */
unsigned ploop_count(void)
{
	return atomic_load(&pl_count);
}

/* ploop_stop - close the connections, end the threads */
void ploop_stop(void)
{
	unsigned i;

	for (i = 0; i < pl_nloops; i++)
		if (write(pl_loops[i].wake[1], "", 1) < 0) {
			/* full: it wakes anyway */
		}
	for (i = 0; i < pl_nloops; i++) {
		pthread_join(pl_loops[i].thread, NULL);
		close(pl_loops[i].epoll);
		close(pl_loops[i].wake[0]);
		close(pl_loops[i].wake[1]);
		free(pl_loops[i].new_fds);
	}
	pl_nloops = 0;
}
