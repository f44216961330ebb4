/*
 * smtpsink.c - the SMTP server bench/eximsign.sh delivers to: it takes
 * every message and keeps none, so that what is measured is the sending
 * MTA's delivery, not a receiver's.
 *
 *   smtpsink PORT COUNTER-FILE KEEP-FILE SELECTOR
 *
 * Listens on 127.0.0.1:PORT.  Each session: a 220 banner; EHLO, HELO,
 * MAIL, RCPT, RSET and NOOP get 250 (EHLO offers no extension, so the
 * client sends one command at a time), DATA gets 354 and the message is
 * read to its final dot, then 250; QUIT gets 221 and the connection is
 * closed; anything else 500.
 *
 * COUNTER-FILE (made here, three 64-bit counters, read by the script
 * while the sink runs; the script zeroes it between runs, when no
 * delivery is under way): [0] messages taken, [1] messages whose header
 * block holds a DKIM-Signature field with the tag "s=SELECTOR;" (the
 * signature the benchmark is after, whoever made it), [2] the time the
 * last message was taken (CLOCK_REALTIME, ns).  The first message taken
 * after [0] became 0 (by the first session to begin one) is written, dot-unstuffed and with CRLF line ends,
 * to KEEP-FILE, for the script's end-to-end check.
 *
 * One thread, poll(); stops on SIGTERM.
 */
#define _GNU_SOURCE             /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXCONN 512
#define LINE 8192

struct sess {
	int fd;
	int data;                       /* inside DATA */
	int in_header;                  /* before the empty line */
	int in_sig;                     /* inside a DKIM-Signature field */
	int signed_;                    /* the field with s=SELECTOR; seen */
	FILE *keep;                     /* this message is being kept */
	size_t len;
	char line[LINE];
};

static volatile sig_atomic_t stop;
static volatile uint64_t *counter;
static const char *keep_path;
static int keeping;                     /* a session is writing KEEP-FILE */
static char want[80];                   /* "s=SELECTOR;" */

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void say(struct sess *s, const char *text)
{
	size_t n = strlen(text), off = 0;

	while (off < n) {
		ssize_t w = write(s->fd, text + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;         /* the peer is gone: its next read says so */
		off += (size_t)w;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* data_line - one line of a message (with its CRLF), or its final dot */
static void data_line(struct sess *s, const char *l, size_t n)
{
	if (n == 3 && memcmp(l, ".\r\n", 3) == 0) {
		if (s->keep) {
			fclose(s->keep);
			keeping = 0;
		}
		s->keep = NULL;
		counter[1] += (uint64_t)s->signed_;
		counter[2] = now_ns();
		counter[0]++;
		s->data = 0;
		say(s, "250 2.0.0 taken\r\n");
		return;
	}
	if (n > 0 && l[0] == '.') {
		l++;
		n--;
	}
	if (s->keep)
		fwrite(l, 1, n, s->keep);
	if (!s->in_header)
		return;
	if (n == 2 && l[0] == '\r') {
		s->in_header = 0;
		return;
	}
	if (l[0] != ' ' && l[0] != '\t')
		s->in_sig = n >= 15 && strncasecmp(l, "DKIM-Signature:", 15) == 0;
	if (s->in_sig && memmem(l, n, want, strlen(want)))
		s->signed_ = 1;
}

static void command(struct sess *s, const char *l)
{
	if (strncasecmp(l, "EHLO", 4) == 0 || strncasecmp(l, "HELO", 4) == 0)
		say(s, "250 sink\r\n");
	else if (strncasecmp(l, "MAIL", 4) == 0 || strncasecmp(l, "RCPT", 4) == 0 ||
		 strncasecmp(l, "RSET", 4) == 0 || strncasecmp(l, "NOOP", 4) == 0)
		say(s, "250 2.0.0 ok\r\n");
	else if (strncasecmp(l, "DATA", 4) == 0) {
		s->data = 1;
		s->in_header = 1;
		s->in_sig = 0;
		s->signed_ = 0;
		if (counter[0] == 0 && keep_path && !keeping) {
			s->keep = fopen(keep_path, "w");
			keeping = s->keep != NULL;
		}
		say(s, "354 go on\r\n");
	} else if (strncasecmp(l, "QUIT", 4) == 0) {
		say(s, "221 2.0.0 bye\r\n");
		shutdown(s->fd, SHUT_WR);
	} else
		say(s, "500 5.5.1 what\r\n");
}

/* readable - bytes from a session; -1: it is over */
static int readable(struct sess *s)
{
	char buf[65536];
	ssize_t n = read(s->fd, buf, sizeof(buf));
	ssize_t i;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s->len < LINE)
			s->line[s->len++] = buf[i];
		if (buf[i] != '\n')
			continue;
		if (s->data) {
			/* a line past LINE: its start was enough to look at */
			data_line(s, s->line, s->len);
		} else {
			s->line[s->len < LINE ? s->len : LINE - 1] = 0;
			command(s, s->line);
		}
		s->len = 0;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct sess *conns[MAXCONN];
	static struct pollfd pfd[MAXCONN + 1];
	struct sockaddr_in sin;
	struct sigaction sa;
	int lfd, cfd, one = 1, i, n = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: smtpsink PORT COUNTER-FILE KEEP-FILE SELECTOR\n");
		return 2;
	}
	keep_path = argv[3];
	snprintf(want, sizeof(want), "s=%s;", argv[4]);
	cfd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (cfd < 0 || ftruncate(cfd, 3 * sizeof(uint64_t)) < 0) {
		perror(argv[2]);
		return 1;
	}
	counter = mmap(NULL, 3 * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
	if (counter == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(lfd, 512) < 0) {
		perror("127.0.0.1");
		return 1;
	}
	while (!stop) {
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < n; i++) {
			pfd[i + 1].fd = conns[i]->fd;
			pfd[i + 1].events = POLLIN;
			pfd[i + 1].revents = 0;
		}
		if (poll(pfd, (nfds_t)n + 1, 1000) < 0)
			continue;
		for (i = n - 1; i >= 0; i--) {
			if (!pfd[i + 1].revents || readable(conns[i]) == 0)
				continue;
			close(conns[i]->fd);
			if (conns[i]->keep) {
				fclose(conns[i]->keep);
				keeping = 0;
			}
			free(conns[i]);
			conns[i] = conns[--n];
		}
		if ((pfd[0].revents & POLLIN) && n < MAXCONN) {
			int fd = accept(lfd, NULL, NULL);
			struct sess *s;

			if (fd < 0)
				continue;
			s = calloc(1, sizeof(*s));
			if (!s) {
				close(fd);
				continue;
			}
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			s->fd = fd;
			conns[n++] = s;
			say(s, "220 sink ESMTP\r\n");
		}
	}
	return 0;
}
