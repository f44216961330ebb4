/*
 * smtpload.c - an SMTP load generator for receive-path benchmarks.
 *
 *   smtpload [-h HOST] [-p PORT] [-c SESSIONS] [-n COUNT] [-m PER_SESSION]
 *            [-f SENDER] [-r RECIPIENT] [-e EHLO_NAME] [-t TIMEOUT] DIR
 *
 * Keeps SESSIONS SMTP sessions open at once to HOST:PORT (127.0.0.1:25,
 * 20 sessions) and sends COUNT messages (1000) through them, PER_SESSION
 * (10) per session: banner, EHLO, then for each message MAIL, RCPT, DATA
 * and the message, each command waiting for its reply (multiline replies
 * are read to their last line; no PIPELINING, no RSET).  After its last
 * message a session writes QUIT and closes at once: Exim holds the reply
 * to QUIT for about 200 ms, and that wait is not the server's receive
 * cost.  TIMEOUT (30 s) bounds the wait for each reply.
 *
 * The messages are the files of DIR whose names end in ".eml", sorted by
 * name and sent round-robin.  They are put in wire form before the clock
 * starts: bare LF and CRLF line ends both become CRLF, lines that begin
 * with "." are dot-stuffed, ".\r\n" ends the data.
 *
 * One thread and poll(): the generator should cost the machine little
 * next to the server it loads.  TCP_NODELAY on every socket, or a 30 KB
 * message can wait for a delayed ACK before its last segment goes out.
 *
 * Counting.  A message is sent once its MAIL command is written; it is
 * accepted on a 2xx reply to its final dot, failed on any other reply or
 * a transport error after MAIL.  A refused MAIL, RCPT or DATA closes the
 * session; the messages it had not started go to new sessions.  A refusal
 * of the dot fails that message only.  A session that fails before MAIL
 * (connect, banner, EHLO) is a session error; after 100 of them no new
 * sessions open and the messages never started are reported as unsent.
 *
 * Output (stdout): one line of name=value pairs,
 *
 *   sent= accepted= failed= unsent= sessions= session_errors= bytes=
 *   elapsed_s= msgs_per_s= lat_p50_ms= lat_p99_ms= cpu_s=
 *
 * where elapsed runs from the first connect to the last reply to a dot,
 * msgs_per_s is accepted / elapsed, the latency is from the last byte of
 * a message written to the whole reply to it read, and cpu_s is the CPU
 * time (user + system) smtpload itself used, corpus loading included.
 * Then one line per stage and reply code other than the one expected,
 * "reply stage=rcpt code=451 n=3", and per stage and transport error,
 * "error stage=banner what=eof n=1".  The text of the first few
 * unexpected replies goes to stderr.
 *
 * Exit status: 0 every message accepted, 1 anything else, 2 bad usage or
 * set-up (unreadable corpus, unknown host).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define BENCH_PROG "smtpload"
#include "benchcli.h"     /* die, xrealloc, now, parse_num, cpu_seconds */

#define REPLY_MAX       65536   /* bytes of one reply, all its lines */
#define MAX_SESSION_ERRORS 100
#define MAX_SAID        5       /* unexpected replies echoed to stderr */
#define ADDR_MAX        512     /* sender, recipient, EHLO name */

enum stage {
	ST_CONNECT, ST_BANNER, ST_EHLO, ST_MAIL, ST_RCPT, ST_DATA, ST_DOT,
	ST_NSTAGE
};

static const char *const stage_name[ST_NSTAGE] = {
	[ST_CONNECT] = "connect", [ST_BANNER] = "banner", [ST_EHLO] = "ehlo",
	[ST_MAIL] = "mail", [ST_RCPT] = "rcpt", [ST_DATA] = "data",
	[ST_DOT] = "dot",
};

/* the first digit of the reply each stage waits for */
static const int stage_expect[ST_NSTAGE] = {
	[ST_BANNER] = 2, [ST_EHLO] = 2, [ST_MAIL] = 2, [ST_RCPT] = 2,
	[ST_DATA] = 3, [ST_DOT] = 2,
};

enum xerr { XE_CONNECT, XE_EOF, XE_IO, XE_TIMEOUT, XE_PROTO, XE_N };

static const char *const xerr_name[XE_N] = {
	[XE_CONNECT] = "connect", [XE_EOF] = "eof", [XE_IO] = "io",
	[XE_TIMEOUT] = "timeout", [XE_PROTO] = "bad-reply",
};

struct buf {
	char *p;
	size_t len;
	size_t cap;
};

struct msg {
	unsigned char *wire;    /* dot-stuffed, CRLF, ends with ".\r\n" */
	size_t len;
};

struct conn {
	int fd;                 /* -1: slot free */
	enum stage st;
	const char *out;        /* what is being written, and how far */
	size_t outlen;
	size_t outoff;
	char *cmd;              /* room for one command line */
	struct buf in;          /* reply bytes read, not yet consumed */
	unsigned long left;     /* messages of this session not started */
	double t_dot;           /* the last byte of the message went out */
	double deadline;
};

struct opts {
	const char *host;
	const char *port;
	const char *sender;
	const char *rcpt;
	const char *ehlo;
	const char *dir;
	unsigned long conc;
	unsigned long count;
	unsigned long per;
	unsigned long timeout;
};

/* the run's tallies */
static struct {
	unsigned long sent, accepted, failed, sessions, session_errors;
	unsigned long long bytes;
	unsigned long replies[ST_NSTAGE][1000];
	unsigned long errors[ST_NSTAGE][XE_N];
	unsigned said;
	double *lat;
	size_t nlat;
	double t_start, t_last;
} tally;

/* the work not yet handed to a session, and the corpus */
static unsigned long pool;
static unsigned long next_msg;
static struct msg *msgs;
static size_t nmsgs;
static int stopping;

/* buf_reserve - room for n more bytes; 0 past max */
static int buf_reserve(struct buf *b, size_t n, size_t max)
{
	size_t cap;

	if (n > max || b->len > max - n)
		return 0;
	if (b->len + n <= b->cap)
		return 1;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap = cap > max / 2 ? max : cap * 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
	return 1;
}

/* buf_add - append n bytes to a corpus buffer (no limit but memory) */
static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (!buf_reserve(b, n, SIZE_MAX / 2))
		die("message too large");
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* wire_form - a message file's bytes as DATA sends them */
static void wire_form(const unsigned char *p, size_t len, struct msg *m)
{
	struct buf w = { 0 };
	size_t i = 0, e, n;

	while (i < len) {
		for (e = i; e < len && p[e] != '\n'; e++)
			;
		n = e - i;
		if (n > 0 && e < len && p[e - 1] == '\r')
			n--;            /* CRLF: the CR is re-added below */
		if (p[i] == '.')
			buf_add(&w, ".", 1);
		buf_add(&w, p + i, n);
		buf_add(&w, "\r\n", 2);
		i = e < len ? e + 1 : e;
	}
	buf_add(&w, ".\r\n", 3);
	m->wire = (unsigned char *)w.p;
	m->len = w.len;
}

/* slurp - a whole file */
static unsigned char *slurp(const char *path, size_t *len)
{
	struct buf b = { 0 };
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		die("%s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(f))
		die("%s: read error", path);
	fclose(f);
	*len = b.len;
	return (unsigned char *)b.p;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* corpus_load - every DIR/ *.eml, sorted by name, in wire form */
static void corpus_load(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, *path;
	size_t n = 0, i, len, plen;
	struct stat st;
	unsigned char *raw;

	if (!d)
		die("%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || de->d_name[0] == '.' ||
		    strcmp(de->d_name + len - 4, ".eml") != 0)
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n] = xrealloc(NULL, len + 1);
		memcpy(names[n++], de->d_name, len + 1);
	}
	closedir(d);
	if (n == 0)
		die("%s: no *.eml files", dir);
	qsort(names, n, sizeof(*names), name_cmp);
	msgs = xrealloc(NULL, n * sizeof(*msgs));
	for (i = 0; i < n; i++) {
		plen = strlen(dir) + strlen(names[i]) + 2;
		path = xrealloc(NULL, plen);
		snprintf(path, plen, "%s/%s", dir, names[i]);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			die("%s: not a regular file", path);
		raw = slurp(path, &len);
		wire_form(raw, len, &msgs[nmsgs++]);
		free(raw);
		free(path);
		free(names[i]);
	}
	free(names);
}

/* say_reply - echo one of the first unexpected replies to stderr */
static void say_reply(const struct conn *c, const char *p, size_t n)
{
	if (tally.said++ >= MAX_SAID)
		return;
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	fprintf(stderr, "smtpload: %s: %.*s\n", stage_name[c->st],
		n > 300 ? 300 : (int)n, p);
}

/* conn_send - start writing a command or a message */
static void conn_send(struct conn *c, const char *p, size_t n)
{
	c->out = p;
	c->outlen = n;
	c->outoff = 0;
}

/* conn_wait - from now on, wait (at most the timeout) for stage st */
static void conn_wait(struct conn *c, enum stage st, const struct opts *o)
{
	c->st = st;
	c->deadline = now() + (double)o->timeout;
}

/* conn_close - write QUIT, do not wait for its reply, hand back the
 * messages not started */
static void conn_close(struct conn *c, unsigned long *active)
{
	static const char quit[] = "QUIT\r\n";

	/* best effort: a full socket buffer or a reset changes nothing */
	if (c->st != ST_CONNECT &&
	    send(c->fd, quit, sizeof(quit) - 1,
		 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		errno = 0;
	close(c->fd);
	c->fd = -1;
	c->in.len = 0;
	c->out = NULL;
	pool += c->left;
	c->left = 0;
	(*active)--;
}

/* conn_fail - a transport error or a refusal at the current stage */
static void conn_fail(struct conn *c, unsigned long *active)
{
	if (c->st >= ST_MAIL)
		tally.failed++;
	else
		tally.session_errors++;
	if (tally.session_errors >= MAX_SESSION_ERRORS)
		stopping = 1;
	conn_close(c, active);
}

/* conn_error - count a transport error, then fail */
static void conn_error(struct conn *c, enum xerr e, unsigned long *active)
{
	tally.errors[c->st][e]++;
	conn_fail(c, active);
}

/* next_message - MAIL for the session's next message, or close */
static void next_message(struct conn *c, const struct opts *o,
			 unsigned long *active)
{
	int n;

	if (c->left == 0 || stopping) {
		conn_close(c, active);
		return;
	}
	c->left--;
	tally.sent++;
	n = snprintf(c->cmd, 3 * ADDR_MAX, "MAIL FROM:<%s>\r\n", o->sender);
	conn_send(c, c->cmd, (size_t)n);
	conn_wait(c, ST_MAIL, o);
}

/* conn_reply - one complete reply arrived for the current stage */
static void conn_reply(struct conn *c, int code, const char *text,
		       size_t tlen, const struct opts *o, unsigned long *active)
{
	const struct msg *m;
	double t = now();
	int ok = code / 100 == stage_expect[c->st], n;

	if (!ok) {
		tally.replies[c->st][code]++;
		say_reply(c, text, tlen);
	}
	if (c->st == ST_DOT) {
		if (c->outoff == c->outlen)
			tally.lat[tally.nlat++] = t - c->t_dot;
		tally.t_last = t;
		if (ok) {
			tally.accepted++;
		} else {
			tally.failed++;
			if (c->outoff < c->outlen) {
				/* refused while we were still writing it */
				conn_close(c, active);
				return;
			}
		}
		next_message(c, o, active);
		return;
	}
	if (!ok || c->outoff < c->outlen) {
		if (ok)
			tally.errors[c->st][XE_PROTO]++;
		conn_fail(c, active);
		return;
	}
	switch (c->st) {
	case ST_BANNER:
		n = snprintf(c->cmd, 3 * ADDR_MAX, "EHLO %s\r\n", o->ehlo);
		conn_send(c, c->cmd, (size_t)n);
		conn_wait(c, ST_EHLO, o);
		break;
	case ST_EHLO:
		next_message(c, o, active);
		break;
	case ST_MAIL:
		n = snprintf(c->cmd, 3 * ADDR_MAX, "RCPT TO:<%s>\r\n", o->rcpt);
		conn_send(c, c->cmd, (size_t)n);
		conn_wait(c, ST_RCPT, o);
		break;
	case ST_RCPT:
		conn_send(c, "DATA\r\n", 6);
		conn_wait(c, ST_DATA, o);
		break;
	case ST_DATA:
		m = &msgs[next_msg++ % nmsgs];
		conn_send(c, (const char *)m->wire, m->len);
		tally.bytes += m->len;
		conn_wait(c, ST_DOT, o);
		break;
	default:
		abort();        /* ST_CONNECT and ST_DOT never get here */
	}
}

/* reply_end - length of the first complete reply in p, 0 if none yet,
 * -1 if malformed; *code gets its code */
static long reply_end(const char *p, size_t n, int *code)
{
	size_t i = 0, e;
	int first = -1, c;

	while (i < n) {
		for (e = i; e < n && p[e] != '\n'; e++)
			;
		if (e == n)
			return 0;       /* an incomplete line */
		if (e - i < 3 || p[i] < '2' || p[i] > '5' ||
		    p[i + 1] < '0' || p[i + 1] > '9' ||
		    p[i + 2] < '0' || p[i + 2] > '9')
			return -1;
		c = (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
		if (first < 0)
			first = c;
		else if (c != first)
			return -1;
		if (e - i == 3 || p[i + 3] != '-') {
			*code = c;
			return (long)(e + 1);
		}
		i = e + 1;
	}
	return 0;
}

/* conn_readable - read what the server sent; handle complete replies */
static void conn_readable(struct conn *c, const struct opts *o,
			  unsigned long *active)
{
	ssize_t r;
	long end;
	int code;

	if (!buf_reserve(&c->in, 4096, REPLY_MAX)) {
		conn_error(c, XE_PROTO, active);
		return;
	}
	r = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len, 0);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (r <= 0) {
		conn_error(c, r == 0 ? XE_EOF : XE_IO, active);
		return;
	}
	c->in.len += (size_t)r;
	while (c->fd >= 0 &&
	       (end = reply_end(c->in.p, c->in.len, &code)) != 0) {
		if (end < 0) {
			conn_error(c, XE_PROTO, active);
			return;
		}
		conn_reply(c, code, c->in.p, (size_t)end, o, active);
		if (c->fd < 0)
			return;
		memmove(c->in.p, c->in.p + end, c->in.len - (size_t)end);
		c->in.len -= (size_t)end;
	}
}

/* conn_writable - write more of the pending command or message */
static void conn_writable(struct conn *c, unsigned long *active)
{
	ssize_t r;

	r = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		 MSG_NOSIGNAL);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		conn_error(c, XE_IO, active);
		return;
	}
	c->outoff += (size_t)r;
	if (c->outoff == c->outlen && c->st == ST_DOT)
		c->t_dot = now();
}

/* conn_open - a new session in a free slot, connecting */
static int conn_open(struct conn *c, const struct addrinfo *ai,
		     const struct opts *o)
{
	int one = 1, fd;

	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		die("socket options: %s", strerror(errno));
	c->fd = fd;
	c->out = NULL;
	c->outlen = c->outoff = 0;
	c->in.len = 0;
	c->left = pool < o->per ? pool : o->per;
	pool -= c->left;
	tally.sessions++;
	conn_wait(c, ST_CONNECT, o);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		c->st = ST_BANNER;
		return 0;
	}
	if (errno == EINPROGRESS)
		return 0;
	return -1;
}

/* conn_connected - the non-blocking connect finished */
static void conn_connected(struct conn *c, const struct opts *o,
			   unsigned long *active)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
		conn_error(c, XE_CONNECT, active);
		return;
	}
	conn_wait(c, ST_BANNER, o);
}

/* percentile - nearest rank, pm per mille, of the sorted v[0..n) */
static double percentile(const double *v, size_t n, size_t pm)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (n * pm + 999) / 1000;
	return v[k > 0 ? k - 1 : 0];
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* report - the summary line and the detail lines */
static void report(void)
{
	double el = tally.t_last > tally.t_start ?
		    tally.t_last - tally.t_start : 0;
	double cpu = cpu_seconds();
	int s, k;

	qsort(tally.lat, tally.nlat, sizeof(double), dbl_cmp);
	printf("sent=%lu accepted=%lu failed=%lu unsent=%lu sessions=%lu "
	       "session_errors=%lu bytes=%llu elapsed_s=%.3f msgs_per_s=%.1f "
	       "lat_p50_ms=%.2f lat_p99_ms=%.2f cpu_s=%.3f\n",
	       tally.sent, tally.accepted, tally.failed, pool, tally.sessions,
	       tally.session_errors, tally.bytes, el,
	       el > 0 ? (double)tally.accepted / el : 0.0,
	       percentile(tally.lat, tally.nlat, 500) * 1e3,
	       percentile(tally.lat, tally.nlat, 990) * 1e3, cpu);
	for (s = 0; s < ST_NSTAGE; s++)
		for (k = 0; k < 1000; k++)
			if (tally.replies[s][k])
				printf("reply stage=%s code=%d n=%lu\n",
				       stage_name[s], k, tally.replies[s][k]);
	for (s = 0; s < ST_NSTAGE; s++)
		for (k = 0; k < XE_N; k++)
			if (tally.errors[s][k])
				printf("error stage=%s what=%s n=%lu\n",
				       stage_name[s], xerr_name[k],
				       tally.errors[s][k]);
}

static void usage(void)
	__attribute__((noreturn));

static void usage(void)
{
	fputs("usage: smtpload [-h HOST] [-p PORT] [-c SESSIONS] [-n COUNT] "
	      "[-m PER_SESSION]\n"
	      "                [-f SENDER] [-r RECIPIENT] [-e EHLO_NAME] "
	      "[-t TIMEOUT_S] DIR\n", stderr);
	exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int ch;

	*o = (struct opts){
		.host = "127.0.0.1", .port = "25",
		.sender = "load@smtpload.example", .rcpt = "sink@example.net",
		.ehlo = "smtpload.example", .conc = 20, .count = 1000,
		.per = 10, .timeout = 30,
	};
	while ((ch = getopt(argc, argv, "h:p:c:n:m:f:r:e:t:")) != -1) {
		switch (ch) {
		case 'h': o->host = optarg; break;
		case 'p': o->port = optarg; break;
		case 'f': o->sender = optarg; break;
		case 'r': o->rcpt = optarg; break;
		case 'e': o->ehlo = optarg; break;
		case 'c':
			if (!parse_num(optarg, 1, 10000, &o->conc))
				die("-c: 1 to 10000 sessions");
			break;
		case 'n':
			if (!parse_num(optarg, 1, 100000000, &o->count))
				die("-n: 1 to 100000000 messages");
			break;
		case 'm':
			if (!parse_num(optarg, 1, 1000000, &o->per))
				die("-m: 1 to 1000000 messages per session");
			break;
		case 't':
			if (!parse_num(optarg, 1, 3600, &o->timeout))
				die("-t: 1 to 3600 seconds");
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	o->dir = argv[optind];
	if (strlen(o->sender) >= ADDR_MAX || strlen(o->rcpt) >= ADDR_MAX ||
	    strlen(o->ehlo) >= ADDR_MAX)
		die("sender, recipient and EHLO name: under %d bytes", ADDR_MAX);
	if (strpbrk(o->sender, "\r\n<>") || strpbrk(o->rcpt, "\r\n<>") ||
	    strpbrk(o->ehlo, "\r\n"))
		die("sender, recipient and EHLO name: no CR, LF or angle brackets");
}

int main(int argc, char **argv)
{
	struct opts o;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	struct conn *conns;
	struct pollfd *pfd;
	unsigned long active = 0, i;
	double t, next;
	int rc, tmo;

	parse_opts(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	if ((rc = getaddrinfo(o.host, o.port, &hints, &ai)) != 0)
		die("%s port %s: %s", o.host, o.port, gai_strerror(rc));
	corpus_load(o.dir);

	conns = xrealloc(NULL, o.conc * sizeof(*conns));
	pfd = xrealloc(NULL, o.conc * sizeof(*pfd));
	for (i = 0; i < o.conc; i++) {
		conns[i] = (struct conn){ .fd = -1 };
		conns[i].cmd = xrealloc(NULL, 3 * ADDR_MAX);
	}
	tally.lat = xrealloc(NULL, o.count * sizeof(double));
	pool = o.count;

	tally.t_start = now();
	for (;;) {
		for (i = 0; i < o.conc && pool > 0 && !stopping; i++) {
			if (conns[i].fd >= 0)
				continue;
			active++;
			if (conn_open(&conns[i], ai, &o) != 0)
				conn_error(&conns[i], XE_CONNECT, &active);
		}
		if (active == 0)
			break;

		t = now();
		next = t + 3600;
		for (i = 0; i < o.conc; i++) {
			struct conn *c = &conns[i];

			pfd[i] = (struct pollfd){ .fd = c->fd };
			if (c->fd < 0)
				continue;
			if (c->st == ST_CONNECT || c->outoff < c->outlen)
				pfd[i].events |= POLLOUT;
			if (c->st != ST_CONNECT)
				pfd[i].events |= POLLIN;
			if (c->deadline < next)
				next = c->deadline;
		}
		tmo = next <= t ? 0 : (int)((next - t) * 1000) + 1;
		if (poll(pfd, (nfds_t)o.conc, tmo) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}

		t = now();
		for (i = 0; i < o.conc; i++) {
			struct conn *c = &conns[i];
			short ev = pfd[i].revents;

			if (c->fd < 0 || c->fd != pfd[i].fd)
				continue;
			if (c->st == ST_CONNECT) {
				if (ev)
					conn_connected(c, &o, &active);
			} else {
				if ((ev & POLLOUT) && c->outoff < c->outlen)
					conn_writable(c, &active);
				if (c->fd >= 0 && (ev & (POLLIN | POLLHUP | POLLERR)))
					conn_readable(c, &o, &active);
			}
			if (c->fd >= 0 && c->deadline <= t)
				conn_error(c, XE_TIMEOUT, &active);
		}
	}
	report();
	freeaddrinfo(ai);
	for (i = 0; i < o.conc; i++) {
		free(conns[i].cmd);
		free(conns[i].in.p);
	}
	free(conns);
	free(pfd);
	for (i = 0; i < nmsgs; i++)
		free(msgs[i].wire);
	free(msgs);
	free(tally.lat);
	return tally.accepted == o.count ? 0 : 1;
}
