/*
 * ploop.c - the policy side's event loop: every policy client
 * connection in one thread, with epoll and non-blocking sockets.
 *
 * Deciding a policy request never waits here (no DNS, no Redis: the
 * sender stage reads loaded tables only, and an SPF check goes to
 * pspf's threads while its connection's answer is parked: the loop
 * reads no further request of that connection until the check comes
 * back through the wake-up pipe, or its wait limit passes and DUNNO is
 * answered), so a few threads can answer all of them: one loop per two cores (at least one, at most PL_MAX_LOOPS),
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
	struct pc_session sess;         /* its transaction's SPF outcome */
	struct spf_job *job;            /* the parked request's check */
	struct pl_conn *prev, *next;
};

struct pl_loop {
	int epoll;
	int wake[2];
	pthread_t thread;
	pthread_mutex_t lock;
	int *new_fds;                   /* handed over, not yet watched */
	size_t nnew, capnew;
	struct spf_job *done;           /* checks back from pspf (under lock) */
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

/* pl_done - a check is finished (in an SPF thread): back to its loop */
static void pl_done(struct spf_job *j)
{
	struct pl_loop *lp = j->loop;

	pthread_mutex_lock(&lp->lock);
	j->next = lp->done;
	lp->done = j;
	pthread_mutex_unlock(&lp->lock);
	if (write(lp->wake[1], "", 1) < 0) {
		/* full: a wake-up is pending already */
	}
}

/* pl_unpark - the connection stops waiting for its check (the job
 * comes back to the loop all the same, and is freed then) */
static void pl_unpark(struct pl_conn *c)
{
	if (!c->job)
		return;
	pspf_cancel(c->job);
	c->job->owner = NULL;
	c->job = NULL;
}

static void pl_close(struct pl_loop *lp, struct pl_conn *c)
{
	pl_unpark(c);
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

/* pl_answer - answer every complete request in order, until one is
 * parked for its SPF check; then write what is pending; -1 to close */
static int pl_answer(struct pl_loop *lp, struct worker *w, struct pl_conn *c)
{
	struct pc_async async = { pl_done, lp, c };

	while (!c->job) {
		long used = policy_answer(w, &c->sess, c->in.data + c->in_pos,
					  c->in.len - c->in_pos, &c->out,
					  &async, &c->job);

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
	if (!c->in.len || c->job)
		c->started = 0;
	else if (!c->started)
		c->started = c->last;
	return pl_flush(lp, c) < 0 ? -1 : 0;
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
	if (c->job && c->in.len >= PP_MAX_REQUEST) {
		/* the socket would stay readable: a client that sends this
		 * much before its answer is not Postfix */
		dlog(LOG_WARNING, "policy client: %zu bytes sent while a request waits for its answer; closing",
		     c->in.len);
		return -1;
	}
	if (pl_answer(lp, w, c) < 0)
		return -1;
	if (eof) {
		if (c->in.len || c->job)
			dlog(LOG_WARNING, "policy client: closed within a request");
		return -1;
	}
	return 0;
}

/* pl_resume - the checks back from pspf: each parked connection gets
 * its answer and goes on with what it sent since */
static void pl_resume(struct pl_loop *lp, struct worker *w)
{
	struct spf_job *j, *next;

	pthread_mutex_lock(&lp->lock);
	j = lp->done;
	lp->done = NULL;
	pthread_mutex_unlock(&lp->lock);
	for (; j; j = next) {
		struct pl_conn *c = j->owner;

		next = j->next;
		if (c) {
			c->job = NULL;
			c->last = ms_clock_ms();
			if (policy_resume(&c->sess, j, &c->out) != 0 ||
			    pl_answer(lp, w, c) != 0)
				pl_close(lp, c);
		}
		free(j);
	}
}

static void *pl_main(void *arg)
{
	struct pl_loop *lp = arg;
	struct epoll_event ev[PL_EVENTS];
	struct worker w = { 0 };
	uint64_t next_sweep = ms_clock_ms() + PL_TICK_MS;

	while (!daemon_stopping()) {
		int n = epoll_wait(lp->epoll, ev, PL_EVENTS, PL_TICK_MS), i;
		int woken;
		uint64_t now;

		if (n < 0 && errno != EINTR) {
			dlog(LOG_ERR, "policy loop: epoll_wait: %s", strerror(errno));
			break;
		}
		woken = 0;
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
				woken = 1;
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
		/* after the events: a connection closed here must not be
		 * one whose event is still in ev[] */
		if (woken)
			pl_resume(lp, &w);
		now = ms_clock_ms();
		if (now >= next_sweep) {
			struct pl_conn *c = lp->conns, *nx;

			for (; c; c = nx) {
				nx = c->next;
				if (c->job) {
					const struct spf_job *j = c->job;

					if (now - j->started <= pspf_limit_ms())
						continue;
					pl_unpark(c);
					if (policy_giveup(j, &c->out) != 0 ||
					    pl_answer(lp, &w, c) != 0)
						pl_close(lp, c);
					continue;
				}
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
int ploop_start(const struct ms_config *cfg)
{
	long half = sysconf(_SC_NPROCESSORS_ONLN) / 2;
	unsigned i;

	if (pspf_start(cfg->max_connections, cfg->dns_message_budget_ms +
		       cfg->dns_timeout_ms + 1000) != 0)
		return -1;
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
		    (errno = pthread_create(&lp->thread, NULL, pl_main, lp)) != 0) {
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
	for (i = 0; i < pl_nloops; i++)
		pthread_join(pl_loops[i].thread, NULL);
	/* the loops let go of every check; the SPF threads hand back
	 * the last ones, freed here */
	pspf_stop();
	for (i = 0; i < pl_nloops; i++) {
		struct spf_job *j = pl_loops[i].done, *next;

		for (; j; j = next) {
			next = j->next;
			free(j);
		}
		pl_loops[i].done = NULL;
		close(pl_loops[i].epoll);
		close(pl_loops[i].wake[0]);
		close(pl_loops[i].wake[1]);
		free(pl_loops[i].new_fds);
	}
	pl_nloops = 0;
}
