/*
 * conn.c - a client connection: buffered reads under an idle timeout
 * that also watch for a shutdown, and whole writes.
 *
 * The idle timeout restarts with every read, so alone it lets a client
 * that sends a byte now and then keep its worker forever: the caller
 * also sets c->deadline, by when what it waits for (a packet, a
 * message) must be complete.  Writes wait at most packet_timeout for a
 * client that does not read.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "msclock.h"
#include "policyd.h"

#define CONN_READ 65536
#define CONN_TICK_MS 500                /* how often a wait looks at shutdown */

void conn_init(struct conn *c, int in, int out, unsigned timeout_ms,
	       size_t max)
{
	struct timeval tick = { 0, CONN_TICK_MS * 1000 };
	struct timeval wmax = { policyd_packet_timeout_ms / 1000,
				(policyd_packet_timeout_ms % 1000) * 1000 };

	/* on a socket a read waits at most a tick by itself: one system
	 * call per read instead of poll and read */
	c->timed_reads = setsockopt(in, SOL_SOCKET, SO_RCVTIMEO, &tick,
				    sizeof(tick)) == 0;
	(void)setsockopt(out, SOL_SOCKET, SO_SNDTIMEO, &wmax, sizeof(wmax));
	c->deadline = 0;
	c->in = in;
	c->out = out;
	c->timeout_ms = timeout_ms;
	c->rpos = 0;
	c->idle_ok = 1;
	buf_init(&c->rbuf, max + CONN_READ);
	(void)buf_reserve(&c->rbuf, CONN_READ);  /* data is never NULL */
}

void conn_free(struct conn *c)
{
	buf_free(&c->rbuf);
}

/* conn_consume - drop n used bytes from the front */
void conn_consume(struct conn *c, size_t n)
{
	c->rpos += n;
	if (c->rpos == c->rbuf.len) {
		buf_reset(&c->rbuf);
		c->rpos = 0;
	}
}

/* conn_fill - read more bytes */
int conn_fill(struct conn *c)
{
	uint64_t deadline = ms_clock_ms() + c->timeout_ms;
	ssize_t n;

	if (c->deadline && c->deadline < deadline)
		deadline = c->deadline;

	if (c->rpos > 0 && c->rpos == c->rbuf.len) {
		buf_reset(&c->rbuf);
		c->rpos = 0;
	}
	if (c->rpos > 0 && c->rbuf.len + CONN_READ > c->rbuf.max) {
		/* move the unread bytes down to make room */
		size_t left = c->rbuf.len - c->rpos;

		memmove(c->rbuf.data, c->rbuf.data + c->rpos, left);
		buf_truncate(&c->rbuf, left);
		c->rpos = 0;
	}
	if (buf_reserve(&c->rbuf, CONN_READ) != MS_OK)
		return -1;              /* the caller's limit is passed */
	for (;;) {
		struct pollfd pfd = { .fd = c->in, .events = POLLIN };
		uint64_t now = ms_clock_ms();
		int wait, r;

		if (c->idle_ok && daemon_stopping())
			return -1;
		if (now >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (!c->timed_reads) {
			wait = deadline - now > CONN_TICK_MS ? CONN_TICK_MS
							      : (int)(deadline - now);
			r = poll(&pfd, 1, wait);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -1;
			if (r == 0)
				continue;
		}
		n = read(c->in, c->rbuf.data + c->rbuf.len,
			 c->rbuf.cap - c->rbuf.len - 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN ||
			      errno == EWOULDBLOCK))
			continue;       /* a tick went by, or a signal */
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		c->rbuf.len += (size_t)n;
		c->rbuf.data[c->rbuf.len] = 0;
		return 1;
	}
}

/* conn_write - all of p */
int conn_write(struct conn *c, const void *p, size_t len)
{
	const unsigned char *s = p;

	while (len > 0) {
		ssize_t n = write(c->out, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;      /* EAGAIN too: packet_timeout passed */
		s += n;
		len -= (size_t)n;
	}
	return 0;
}
