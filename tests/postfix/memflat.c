/*
 * memflat.c - a load client for tests/postfix/memflat.sh: policy
 * requests and milter messages through one mailseal-policyd, speaking
 * both protocols directly on the daemon's unix sockets, with the
 * daemon's resident memory and open descriptors sampled along the way.
 *
 *   memflat POLICYSOCK MILTERSOCK PID NPOLICY NMILTER STEPS WPOLICY
 *           WMILTER MSG...
 *
 * First a warm-up of WPOLICY requests and WMILTER messages (enough to
 * fill the daemon's fixed tables and caches: its RSS grows while their
 * pages are first touched), then the load in STEPS equal steps; before
 * the warm-up ("sample start"), after it ("sample 0", the baseline)
 * and after each step, once the daemon's descriptor count has settled,
 * one line:
 *
 *   sample STEP POLICY_DONE MILTER_DONE VMRSS_KB FDS THREADS
 *
 * (the counts are of the measured load, the warm-up not included).  Policy requests go
 * as Postfix sends them: on one connection that stays open, one request
 * at a time, with every 50th on a connection of its own (opened, one
 * request, closed).  Milter messages go in sessions as Postfix's smtpd
 * holds them: one connection per SMTP session (negotiation, CONNECT,
 * HELO), then 1 to 4 transactions (MAIL, RCPT, DATA, headers, body,
 * end of message), then QUIT; each MSG file in turn is the message
 * (LF or CRLF); a MSG named "auth:FILE" is sent as an authenticated
 * submission (macro {auth_authen}=alice).
 *
 * Every request must get an action, every message a final reply (the
 * counts of each kind are printed at the end: "replies ..."); the exit
 * status is 1 if one did not (an "error" line says which), 2 on usage.
 * Not a test by itself: the script judges the samples.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_MSGS 16

struct msg {
	char **name, **value;           /* header fields */
	size_t nfields;
	unsigned char *body;            /* CRLF */
	size_t body_len;
	char sender[256];
	int auth;
};

static struct msg msgs[MAX_MSGS];
static size_t nmsgs;
static const char *policy_path, *milter_path;
static long daemon_pid;
static unsigned long n_action, n_accept, n_continue, n_reject, n_tempfail,
	n_discard, n_reply, n_modify;

static void die(const char *what)
{
	printf("error %s\n", what);
	fflush(stdout);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

/* ---- transport ---- */

static int sock_open(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 20 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		die("socket");
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		printf("error connect %s: %s\n", path, strerror(errno));
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static void send_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t n = send(fd, c, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("send: the daemon closed the connection");
		c += n;
		len -= (size_t)n;
	}
}

static void recv_all(int fd, void *p, size_t len)
{
	char *c = p;

	while (len) {
		ssize_t n = recv(fd, c, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("recv: the daemon closed the connection or did not answer");
		c += n;
		len -= (size_t)n;
	}
}

/* ---- policy ---- */

/* policy_one - one request on fd, its reply read to the empty line */
static void policy_one(int fd, unsigned long i)
{
	static const char *const senders[] = {
		"alice@example.com", "bob@example.org", "", "x@forged.example",
		"someone@bank.example",
	};
	char req[1024], rep[4096];
	size_t have = 0;
	int len;

	len = snprintf(req, sizeof(req),
		       "request=smtpd_access_policy\nprotocol_state=RCPT\n"
		       "protocol_name=ESMTP\nclient_address=127.0.%lu.%lu\n"
		       "client_name=client%lu.example\nhelo_name=helo%lu.example\n"
		       "queue_id=Q%lX\nsender=%s\nrecipient=rcpt%lu@example.net\n"
		       "sasl_username=%s\ninstance=%lx.1\n\n",
		       (i >> 8) & 255, i & 255, i % 97, i % 89, i,
		       senders[i % 5], i % 13, i % 7 == 0 ? "alice" : "", i);
	send_all(fd, req, (size_t)len);
	for (;;) {
		ssize_t n;

		if (have >= 4 && !memcmp(rep + have - 2, "\n\n", 2))
			break;
		if (have == sizeof(rep))
			die("policy reply too long");
		n = recv(fd, rep + have, sizeof(rep) - have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("policy: the daemon closed the connection or did not answer");
		have += (size_t)n;
	}
	if (strncmp(rep, "action=", 7) != 0)
		die("policy reply without action=");
	n_action++;
}

/* ---- milter ---- */

static void pkt(int fd, char cmd, const void *data, size_t len)
{
	unsigned char h[5];
	uint32_t n = (uint32_t)len + 1;

	h[0] = (unsigned char)(n >> 24);
	h[1] = (unsigned char)(n >> 16);
	h[2] = (unsigned char)(n >> 8);
	h[3] = (unsigned char)n;
	h[4] = (unsigned char)cmd;
	send_all(fd, h, 5);
	if (len)
		send_all(fd, data, len);
}

/* reply - the next packet's command; its data is skipped */
static char reply(int fd)
{
	static unsigned char skip[65536];
	unsigned char h[5];
	uint32_t n;

	recv_all(fd, h, 4);
	n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	if (n == 0 || n > sizeof(skip))
		die("milter reply of a bad length");
	recv_all(fd, h + 4, 1);
	recv_all(fd, skip, n - 1);
	return (char)h[4];
}

/* step - send a command (its macros first, "NAME\0VALUE\0"...) and
 * want "continue" */
static void step(int fd, char cmd, const void *data, size_t len,
		 const char *macros, size_t mlen)
{
	char r;

	if (mlen) {
		char *d = xmalloc(mlen + 1);

		d[0] = cmd;
		memcpy(d + 1, macros, mlen);
		pkt(fd, 'D', d, mlen + 1);
		free(d);
	}
	pkt(fd, cmd, data, len);
	r = reply(fd);
	if (r != 'c') {
		printf("error milter reply '%c' to '%c'\n", r, cmd);
		exit(1);
	}
}

static size_t macro(char *out, const char *name, const char *value)
{
	size_t a = strlen(name) + 1, b = strlen(value) + 1;

	memcpy(out, name, a);
	memcpy(out + a, value, b);
	return a + b;
}

/* transaction - one message of the session */
static void transaction(int fd, const struct msg *m, unsigned long id)
{
	char mac[1024], qid[32], buf[1024];
	size_t ml, i, off;
	int n;

	snprintf(qid, sizeof(qid), "M%lX", id);
	ml = macro(mac, "{mail_addr}", m->sender);
	if (m->auth) {
		ml += macro(mac + ml, "{auth_authen}", "alice");
		ml += macro(mac + ml, "{auth_type}", "PLAIN");
	}
	ml += macro(mac + ml, "i", qid);
	n = snprintf(buf, sizeof(buf), "<%s>", m->sender);
	step(fd, 'M', buf, (size_t)n + 1, mac, ml);
	step(fd, 'R', "<rcpt@example.net>", 19, NULL, 0);
	step(fd, 'T', NULL, 0, NULL, 0);
	ml = macro(mac, "i", qid);
	for (i = 0; i < m->nfields; i++) {
		size_t a = strlen(m->name[i]) + 1, b = strlen(m->value[i]) + 1;
		char *d = xmalloc(a + b);

		memcpy(d, m->name[i], a);
		memcpy(d + a, m->value[i], b);
		step(fd, 'L', d, a + b, mac, ml);
		free(d);
	}
	step(fd, 'N', NULL, 0, mac, ml);
	for (off = 0; off < m->body_len; off += 65535) {
		size_t len = m->body_len - off < 65535 ? m->body_len - off : 65535;

		step(fd, 'B', m->body + off, len, NULL, 0);
	}
	mac[0] = 'E';
	ml = macro(mac + 1, "i", qid) + 1;
	pkt(fd, 'D', mac, ml);
	pkt(fd, 'E', NULL, 0);
	for (;;) {
		switch (reply(fd)) {
		case 'h': case 'i': case 'm': case '+': case '-': case 'b':
		case 'p': case 'e':
			n_modify++;
			continue;
		case 'a': n_accept++; return;
		case 'c': n_continue++; return;
		case 'r': n_reject++; return;
		case 't': n_tempfail++; return;
		case 'd': n_discard++; return;
		case 'y': n_reply++; return;
		default: die("unknown milter reply at end of message");
		}
	}
}

/* session - one SMTP session of k messages on its own connection */
static void session(unsigned long *next, unsigned long k)
{
	unsigned char opt[12] = { 0, 0, 0, 6, 0, 0, 1, 0xFF, 0, 0, 0, 0 };
	char mac[256], con[64];
	size_t ml, cl;
	unsigned long j;
	int fd = sock_open(milter_path);

	pkt(fd, 'O', opt, sizeof(opt));
	if (reply(fd) != 'O')
		die("milter negotiation");
	ml = macro(mac, "j", "mx.memflat.example");
	ml += macro(mac + ml, "{daemon_name}", "memflat");
	cl = (size_t)snprintf(con, sizeof(con), "client.example%c4%c%c127.0.0.%lu",
			      0, 0, 25, *next % 250 + 1) + 1;
	step(fd, 'C', con, cl, mac, ml);
	step(fd, 'H', "helo.example", 13, NULL, 0);
	for (j = 0; j < k; j++, (*next)++)
		transaction(fd, &msgs[*next % nmsgs], *next);
	pkt(fd, 'Q', NULL, 0);
	close(fd);
}

/* msg_load - a message file: header fields (unfolded to name and value,
 * folds kept as "\n"), body with CRLF line ends */
static void msg_load(struct msg *m, const char *spec)
{
	char *text = NULL, *p, *end, *line;
	size_t cap = 0, len = 0, n;
	FILE *f;

	if (!strncmp(spec, "auth:", 5)) {
		m->auth = 1;
		spec += 5;
	}
	f = fopen(spec, "rb");
	if (!f)
		die("a message file cannot be read");
	for (;;) {
		if (len + 65536 > cap) {
			cap = 2 * cap + 65536;
			text = realloc(text, cap + 1);
			if (!text)
				die("out of memory");
		}
		n = fread(text + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	text[len] = 0;
	/* LF only from here: drop every CR */
	for (p = end = text; p < text + len; p++)
		if (*p != '\r')
			*end++ = *p;
	*end = 0;
	len = (size_t)(end - text);
	m->name = xmalloc(sizeof(char *) * 256);
	m->value = xmalloc(sizeof(char *) * 256);
	snprintf(m->sender, sizeof(m->sender), "sender@example.org");
	p = text;
	while (*p && *p != '\n') {
		line = p;
		p = strchr(p, '\n');
		p = p ? p + 1 : text + len;
		while (*p == ' ' || *p == '\t')  /* continuation lines */
			p = strchr(p, '\n') ? strchr(p, '\n') + 1 : text + len;
		if (p > line && p[-1] == '\n')
			p[-1] = 0;
		{
			char *colon = strchr(line, ':');

			if (!colon || m->nfields == 256)
				continue;
			*colon = 0;
			m->name[m->nfields] = line;
			colon++;
			while (*colon == ' ')
				colon++;
			m->value[m->nfields++] = colon;
			if (!strcasecmp(line, "From")) {
				char *a = strchr(colon, '<'), *b;

				if (a && (b = strchr(a, '>')) && b - a < 250)
					snprintf(m->sender, sizeof(m->sender),
						 "%.*s", (int)(b - a - 1), a + 1);
			}
		}
	}
	if (*p == '\n')
		p++;
	/* the body, CRLF */
	n = strlen(p);
	m->body = xmalloc(2 * n + 1);
	for (m->body_len = 0; *p; p++) {
		if (*p == '\n')
			m->body[m->body_len++] = '\r';
		m->body[m->body_len++] = (unsigned char)*p;
	}
}

/* ---- samples ---- */

static long count_fds(void)
{
	char path[64];
	struct dirent *e;
	long n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/fd", daemon_pid);
	d = opendir(path);
	if (!d)
		die("the daemon is gone (no /proc/PID/fd)");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static long status_field(const char *name)
{
	char path[64], line[256];
	size_t len = strlen(name);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", daemon_pid);
	f = fopen(path, "r");
	if (!f)
		die("the daemon is gone (no /proc/PID/status)");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':')
			v = strtol(line + len + 1, NULL, 10);
	fclose(f);
	return v;
}

/* sample - once the descriptor count has held for 5 looks 20 ms
 * apart (a connection the client closed is closed by the daemon a
 * moment later), or after 2 s */
static void sample(const char *k, unsigned long pol, unsigned long mil)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	long fds = count_fds(), now;
	int same = 0, i;

	for (i = 0; i < 100 && same < 5; i++) {
		nanosleep(&ts, NULL);
		now = count_fds();
		same = now == fds ? same + 1 : 0;
		fds = now;
	}
	printf("sample %s %lu %lu %ld %ld %ld\n", k, pol, mil,
	       status_field("VmRSS"), fds, status_field("Threads"));
	fflush(stdout);
}

/* load - policy requests [*pol, pol_to) and milter messages
 * [*mil, mil_to); *s counts the sessions */
static void load(int pfd, unsigned long *pol, unsigned long pol_to,
		 unsigned long *mil, unsigned long mil_to, unsigned long *s)
{
	for (; *pol < pol_to; (*pol)++) {
		if (*pol % 50 == 49) {
			int fd = sock_open(policy_path);

			policy_one(fd, *pol);
			close(fd);
		} else {
			policy_one(pfd, *pol);
		}
	}
	while (*mil < mil_to) {
		unsigned long n = 1 + (*s)++ % 4;

		if (n > mil_to - *mil)
			n = mil_to - *mil;
		session(mil, n);
	}
}

int main(int argc, char **argv)
{
	unsigned long npol, nmil, steps, wpol, wmil, k, pol, mil, s = 0;
	char name[32];
	int pfd;

	if (argc < 10 || argc - 9 > MAX_MSGS) {
		fprintf(stderr, "usage: memflat POLICYSOCK MILTERSOCK PID NPOLICY "
			"NMILTER STEPS WPOLICY WMILTER MSG...\n");
		return 2;
	}
	policy_path = argv[1];
	milter_path = argv[2];
	daemon_pid = strtol(argv[3], NULL, 10);
	npol = strtoul(argv[4], NULL, 10);
	nmil = strtoul(argv[5], NULL, 10);
	steps = strtoul(argv[6], NULL, 10);
	wpol = strtoul(argv[7], NULL, 10);
	wmil = strtoul(argv[8], NULL, 10);
	if (steps == 0)
		steps = 1;
	for (nmsgs = 0; nmsgs < (size_t)(argc - 9); nmsgs++)
		msg_load(&msgs[nmsgs], argv[9 + nmsgs]);
	pfd = sock_open(policy_path);
	sample("start", 0, 0);
	/* the warm-up's ids come after the load's: none is used twice */
	pol = npol;
	mil = nmil;
	load(pfd, &pol, npol + wpol, &mil, nmil + wmil, &s);
	sample("0", 0, 0);
	pol = mil = 0;
	for (k = 1; k <= steps; k++) {
		load(pfd, &pol, npol * k / steps, &mil, nmil * k / steps, &s);
		snprintf(name, sizeof(name), "%lu", k);
		sample(name, pol, mil);
	}
	close(pfd);
	printf("replies policy-action %lu accept %lu continue %lu reject %lu "
	       "tempfail %lu discard %lu reply %lu modifications %lu\n",
	       n_action, n_accept, n_continue, n_reject, n_tempfail, n_discard,
	       n_reply, n_modify);
	return 0;
}
