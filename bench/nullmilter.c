/*
 * nullmilter.c - bench/postfix.sh's "null-milter": a milter that does no
 * work, so that what Postfix itself spends on a milter can be measured
 * apart from what the filter spends.  It agrees to exactly the protocol
 * mailseal-policyd's milter agrees to (no UNKNOWN, DATA or RCPT events,
 * no reply to any event but the end of the message, header fields with
 * their leading space, macros only at CONNECT, MAIL, EOH and EOM, the
 * same few names), reads every packet, and at the end of each message
 * inserts one fixed Authentication-Results field (mailseal inserts one
 * too: Postfix's cleanup edits the queue file the same way) and says
 * continue.  Nothing is parsed beyond the framing.
 *
 *   usage: nullmilter SOCKET-PATH AUTHSERV-ID [eom-only]
 *
 * With eom-only it also declines CONNECT, HELO, MAIL, the header fields,
 * the end of headers and the body (SMFIP_NOCONNECT ... SMFIP_NOBODY):
 * Postfix then sends the negotiation, the end-of-message macros and the
 * end of the message only, the least any milter that adds a field can
 * ask of it.
 *
 * One process, one thread, poll(); stops on SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAXCONN 512
#define MAXPKT (1024 * 1024)

/* the milter protocol's numbers (Sendmail's libmilter/mfdef.h facts) */
#define P_NOUNKNOWN 0x000100u
#define P_NODATA    0x000200u
#define P_NORCPT    0x000008u
#define P_NOREPLIES 0x0ff080u   /* NR_HDR and NR_CONN..NR_BODY */
#define P_NOEVENTS  0x00007fu   /* NOCONNECT, NOHELO, NOMAIL, NORCPT, NOBODY, NOHDRS, NOEOH */
#define P_LEADSPC   0x100000u
#define F_ADDHDRS   0x01u
#define F_CHGHDRS   0x10u
#define F_SETSYMLIST 0x100u

struct conn {
	int fd;
	unsigned char *in;
	size_t len, cap;
};

static volatile sig_atomic_t stop;
static const char *authserv;
static uint32_t want_no;         /* eom-only: P_NOEVENTS */

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void put32(unsigned char *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* add - one reply packet to out */
static size_t add(unsigned char *out, size_t at, char cmd, const void *data, size_t n)
{
	put32(out + at, (uint32_t)n + 1);
	out[at + 4] = (unsigned char)cmd;
	if (n)
		memcpy(out + at + 5, data, n);
	return at + 5 + n;
}

/* packet - one packet from the MTA; -1 to close */
static int packet(struct conn *c, unsigned char cmd, const unsigned char *d, size_t n)
{
	unsigned char out[1024], data[512];
	size_t at = 0, k = 0;

	switch (cmd) {
	case 'O': {             /* OPTNEG: version, actions, protocol */
		uint32_t ver, act, proto, offered;
		static const struct { uint32_t stage; const char *names; } lists[] = {
			{ 0, "j {daemon_name}" }, { 2, "i {auth_authen}" }, { 6, "i" }, { 5, "i" },
		};
		size_t i;

		if (n < 12)
			return -1;
		memcpy(&ver, d, 4);
		memcpy(&act, d + 4, 4);
		memcpy(&proto, d + 8, 4);
		ver = ntohl(ver);
		act = ntohl(act);
		proto = ntohl(proto);
		offered = proto;
		proto &= P_NOUNKNOWN | P_NODATA | P_NORCPT | P_NOREPLIES | P_LEADSPC;
		proto |= want_no & offered;
		put32(data, ver < 6 ? ver : 6);
		put32(data + 4, F_ADDHDRS | F_CHGHDRS | (act & F_SETSYMLIST));
		put32(data + 8, proto);
		k = 12;
		if (act & F_SETSYMLIST)
			for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
				size_t l = strlen(lists[i].names) + 1;

				put32(data + k, lists[i].stage);
				memcpy(data + k + 4, lists[i].names, l);
				k += 4 + l;
			}
		at = add(out, at, 'O', data, k);
		break;
	}
	case 'E': {             /* end of message: one field, continue */
		int l = snprintf((char *)data + 4, sizeof(data) - 4, "%s%c %s; none%c",
				 "Authentication-Results", 0, authserv, 0);

		put32(data, 1);
		at = add(out, at, 'i', data, 4 + (size_t)l);
		at = add(out, at, 'c', NULL, 0);
		break;
	}
	case 'Q':
		return -1;
	default:                /* every other event: no reply agreed */
		return 0;
	}
	return write_all(c->fd, out, at);
}

/* readable - bytes in; whole packets handled; -1 to close */
static int readable(struct conn *c)
{
	ssize_t r;
	size_t off = 0;

	if (c->cap - c->len < 65536) {
		size_t cap = c->cap ? c->cap * 2 : 131072;
		unsigned char *p = realloc(c->in, cap);

		if (!p)
			return -1;
		c->in = p;
		c->cap = cap;
	}
	r = read(c->fd, c->in + c->len, c->cap - c->len);
	if (r <= 0)
		return r < 0 && errno == EINTR ? 0 : -1;
	c->len += (size_t)r;
	while (c->len - off >= 5) {
		uint32_t n;

		memcpy(&n, c->in + off, 4);
		n = ntohl(n);
		if (n == 0 || n > MAXPKT)
			return -1;
		if (c->len - off < 4 + (size_t)n)
			break;
		if (packet(c, c->in[off + 4], c->in + off + 5, n - 1) < 0)
			return -1;
		off += 4 + n;
	}
	memmove(c->in, c->in + off, c->len - off);
	c->len -= off;
	return 0;
}

int main(int argc, char **argv)
{
	static struct conn conns[MAXCONN];
	static struct pollfd pfd[MAXCONN + 1];
	struct sockaddr_un sun;
	struct sigaction sa;
	int lfd, i, n = 0;

	if (argc == 4 && strcmp(argv[3], "eom-only") == 0) {
		want_no = P_NOEVENTS;
		argc--;
	}
	if (argc != 3 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: nullmilter SOCKET-PATH AUTHSERV-ID [eom-only]\n");
		return 2;
	}
	authserv = argv[2];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, argv[1]);
	unlink(argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(argv[1], 0666) < 0 || listen(lfd, 256) < 0) {
		perror(argv[1]);
		return 1;
	}
	while (!stop) {
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < n; i++) {
			pfd[i + 1].fd = conns[i].fd;
			pfd[i + 1].events = POLLIN;
			pfd[i + 1].revents = 0;
		}
		if (poll(pfd, (nfds_t)n + 1, 1000) < 0)
			continue;
		for (i = n - 1; i >= 0; i--) {
			if (!pfd[i + 1].revents)
				continue;
			if (readable(&conns[i]) < 0) {
				close(conns[i].fd);
				free(conns[i].in);
				conns[i] = conns[n - 1];
				memset(&conns[n - 1], 0, sizeof(conns[0]));
				n--;
			}
		}
		if ((pfd[0].revents & POLLIN) && n < MAXCONN) {
			int fd = accept(lfd, NULL, NULL);

			if (fd >= 0) {
				memset(&conns[n], 0, sizeof(conns[0]));
				conns[n++].fd = fd;
			}
		}
	}
	unlink(argv[1]);
	return 0;
}
