/*
 * test_aresq.c - the non-validating DNS path: server lists as the
 * settings write them (dnsservers), DNS responses read into answers
 * (dnsanswer: every rcode, CNAME on the way, SOA minimum of negative
 * answers, malformed records and messages), and c-ares questions
 * (aresq) against a small DNS server in a child process: TCP after a
 * truncated UDP answer, a silent first server, the lookup's timeout and
 * the caller's deadline, no descriptor or thread left, and a forked
 * process asking with its own channel.
 * The same against a real server (nsd) is in tests/dns/t-dns.sh.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aresq.h"
#include "dnsanswer.h"
#include "dnsservers.h"
#include "msclock.h"
#include "unit.h"

/* ---- DNS messages, built for the tests ---- */

struct msg {
	unsigned char b[4096];
	size_t n;
};

static void m_u16(struct msg *m, unsigned v)
{
	m->b[m->n++] = (unsigned char)(v >> 8);
	m->b[m->n++] = (unsigned char)v;
}

static void m_u32(struct msg *m, uint32_t v)
{
	m_u16(m, v >> 16);
	m_u16(m, v & 0xffff);
}

static void m_bytes(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* m_name - name uncompressed ("" is the root) */
static void m_name(struct msg *m, const char *name)
{
	while (*name) {
		size_t l = strcspn(name, ".");

		m->b[m->n++] = (unsigned char)l;
		m_bytes(m, name, l);
		name += l + (name[l] == '.');
	}
	m->b[m->n++] = 0;
}

/* m_start - header and question */
static void m_start(struct msg *m, unsigned id, unsigned flags,
		    const char *qname, unsigned qtype, unsigned an, unsigned ns)
{
	m->n = 0;
	m_u16(m, id);
	m_u16(m, flags);
	m_u16(m, 1);
	m_u16(m, an);
	m_u16(m, ns);
	m_u16(m, 0);
	m_name(m, qname);
	m_u16(m, qtype);
	m_u16(m, 1);
}

/* m_rr - a record owned by the question's name (pointer to 12) */
static void m_rr(struct msg *m, unsigned type, uint32_t ttl,
		 const void *rd, size_t rdlen)
{
	m_u16(m, 0xc00c);
	m_u16(m, type);
	m_u16(m, 1);
	m_u32(m, ttl);
	m_u16(m, (unsigned)rdlen);
	m_bytes(m, rd, rdlen);
}

/* m_soa - an SOA record in the authority section */
static void m_soa(struct msg *m, uint32_t ttl, uint32_t minimum)
{
	size_t at;

	m_u16(m, 0xc00c);
	m_u16(m, 6);
	m_u16(m, 1);
	m_u32(m, ttl);
	at = m->n;
	m_u16(m, 0);
	m_name(m, "ns.test");
	m_name(m, "hostmaster.test");
	m_u32(m, 1);
	m_u32(m, 3600);
	m_u32(m, 600);
	m_u32(m, 86400);
	m_u32(m, minimum);
	m->b[at] = (unsigned char)((m->n - at - 2) >> 8);
	m->b[at + 1] = (unsigned char)(m->n - at - 2);
}

/* ---- server lists ---- */

static void test_servers(void)
{
	static const struct {
		const char *spec, *host, *port;
		int rc;
	} t[] = {
		{ "127.0.0.1", "127.0.0.1", "", 0 },
		{ "127.0.0.1:5353", "127.0.0.1", "5353", 0 },
		{ "[::1]:5353", "::1", "5353", 0 },
		{ "::1", "::1", "", 0 },
		{ "[::1", "", "", -1 },
		{ "[::1]x", "", "", -1 },
		{ "127.0.0.1:", "", "", -1 },
		{ "127.0.0.1:53x", "", "", -1 },
	};
	char host[80], port[8], *csv;
	struct ms_error err;
	const char *p = " ,a\tbb, ", *s;
	size_t i, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = dnsservers_split(t[i].spec, strlen(t[i].spec), host,
					  sizeof(host), port, sizeof(port));

		CHECK(rc == t[i].rc && (rc || (!strcmp(host, t[i].host) &&
					       !strcmp(port, t[i].port))),
		      "dnsservers_split(\"%s\") = %d \"%s\" \"%s\"", t[i].spec,
		      t[i].rc, t[i].host, t[i].port);
	}
	s = dnsservers_next(&p, &n);
	CHECK(s && n == 1 && *s == 'a' && (s = dnsservers_next(&p, &n)) &&
	      n == 2 && !strncmp(s, "bb", 2) && !dnsservers_next(&p, &n),
	      "dnsservers_next: blanks and commas separate, empty items skipped");
	csv = dnsservers_csv("127.0.0.1  ::1,[::1]:5353,, 10.0.0.1:54", &err);
	CHECK(csv && !strcmp(csv, "127.0.0.1:53,[::1]:53,[::1]:5353,10.0.0.1:54"),
	      "dnsservers_csv: c-ares' form, port 53 when none (%s)",
	      csv ? csv : err.msg);
	free(csv);
	csv = dnsservers_csv("", &err);
	CHECK(csv && !*csv, "dnsservers_csv: an empty list is \"\" (resolv.conf)");
	free(csv);
	CHECK(dnsservers_check("127.0.0.1:5353 [::1]:53", &err) == MS_OK,
	      "dnsservers_check: IPv4 and IPv6 with ports");
	CHECK(dnsservers_check("127.0.0.1 mx.example.com", &err) == MS_ERR_USAGE &&
	      strstr(err.msg, "\"mx.example.com\" is not an IP address"),
	      "dnsservers_check: a host name is refused, named (%s)", err.msg);
	CHECK(dnsservers_check("127.0.0.1:70000", &err) == MS_ERR_USAGE &&
	      dnsservers_check("127.0.0.1:0", &err) == MS_ERR_USAGE &&
	      dnsservers_check("127.0.0.1:+53", &err) == MS_ERR_USAGE,
	      "dnsservers_check: ports 0, past 65535 or signed are refused");
	CHECK(dnsservers_check("1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 "
			       "6.6.6.6 7.7.7.7 8.8.8.8 9.9.9.9", &err) ==
	      MS_ERR_USAGE && strstr(err.msg, "more than 8"),
	      "dnsservers_check: at most %d servers", DNSSERVERS_MAX);
}

/* ---- responses ---- */

#define TXT_RD "\x09v=DKIM1; \x05p=abc"
#define QN "sel._domainkey.example.com"

static void test_txt_join(void)
{
	unsigned char out[16];

	CHECK(dnsanswer_txt((const unsigned char *)"\x03" "abc\x00\x02" "de", 8,
			    out) == 5 && !memcmp(out, "abcde", 5),
	      "dnsanswer_txt: strings joined, an empty one included");
	CHECK(dnsanswer_txt((const unsigned char *)"\x05" "abc", 4, out) == -1,
	      "dnsanswer_txt: a string past the rdata is refused");
	CHECK(dnsanswer_txt(out, 0, out) == 0, "dnsanswer_txt: empty rdata");
}

static void test_answers(void)
{
	static const unsigned char cname[] = "\xc0\x0c";
	struct dnsq_answer ans;
	struct msg m;
	struct arena a;
	size_t i;

	arena_init(&a);
	m_start(&m, 7, 0x8580, QN, 16, 2, 0);
	m_rr(&m, 16, 300, TXT_RD, sizeof(TXT_RD) - 1);
	m_rr(&m, 16, 120, "\x02" "hi", 3);
	dnsanswer_read(m.b, m.n, DNSQ_TXT, &a, &ans);
	CHECK(ans.status == DNSQ_OK && ans.n == 2 && ans.rr[0].txt_len == 14 &&
	      !memcmp(ans.rr[0].txt, "v=DKIM1; p=abc", 15) && ans.ttl == 120,
	      "TXT: strings joined, NUL-terminated; the smallest TTL");

	m_start(&m, 7, 0x8180, QN, 16, 2, 0);
	m_rr(&m, 5, 60, cname, 2);
	m_rr(&m, 16, 300, TXT_RD, sizeof(TXT_RD) - 1);
	dnsanswer_read(m.b, m.n, DNSQ_TXT, &a, &ans);
	CHECK(ans.status == DNSQ_OK && ans.n == 1 && ans.ttl == 300,
	      "a CNAME on the way is passed over");

	m_start(&m, 7, 0x8583, QN, 16, 0, 1);
	m_soa(&m, 600, 120);
	dnsanswer_read(m.b, m.n, DNSQ_TXT, &a, &ans);
	CHECK(ans.status == DNSQ_NXDOMAIN && ans.ttl == 120,
	      "NXDOMAIN: the SOA's minimum when below its TTL (%u)", ans.ttl);
	m_start(&m, 7, 0x8580, QN, 16, 0, 1);
	m_soa(&m, 30, 3600);
	dnsanswer_read(m.b, m.n, DNSQ_TXT, &a, &ans);
	CHECK(ans.status == DNSQ_NODATA && ans.ttl == 30,
	      "NODATA: the SOA's TTL when below its minimum (%u)", ans.ttl);
	m_start(&m, 7, 0x8580, QN, 16, 1, 0);
	m_rr(&m, 1, 300, "\x7f\0\0\1", 4);
	dnsanswer_read(m.b, m.n, DNSQ_TXT, &a, &ans);
	CHECK(ans.status == DNSQ_NODATA && ans.ttl == DNSANSWER_NEG_TTL,
	      "NODATA: only another type; no SOA: %d s", DNSANSWER_NEG_TTL);

	m_start(&m, 7, 0x8182, QN, 16, 0, 0);
	dnsanswer_read(m.b, m.n, DNSQ_TXT, &a, &ans);
	CHECK(ans.status == DNSQ_TEMPFAIL && strstr(ans.reason, "SERVFAIL"),
	      "SERVFAIL: temporary");
	m_start(&m, 7, 0x8185, QN, 16, 0, 0);
	dnsanswer_read(m.b, m.n, DNSQ_TXT, &a, &ans);
	CHECK(ans.status == DNSQ_TEMPFAIL && strstr(ans.reason, "REFUSED"),
	      "REFUSED: temporary");
	m_start(&m, 7, 0x8184, QN, 16, 0, 0);
	dnsanswer_read(m.b, m.n, DNSQ_TXT, &a, &ans);
	CHECK(ans.status == DNSQ_TEMPFAIL && ans.reason,
	      "another rcode (NOTIMP): temporary");

	m_start(&m, 7, 0x8580, QN, 16, 1, 0);
	m_rr(&m, 16, 300, TXT_RD, sizeof(TXT_RD) - 1);
	m.b[m.n - 6] = 0x40;    /* the second string now runs past */
	dnsanswer_read(m.b, m.n, DNSQ_TXT, &a, &ans);
	CHECK(ans.status == DNSQ_TEMPFAIL && strstr(ans.reason, "malformed"),
	      "a TXT string past its rdata: temporary, never NODATA");
	m_start(&m, 7, 0x8580, QN, 16, 1, 0);
	m_rr(&m, 16, 300, TXT_RD, sizeof(TXT_RD) - 1);
	dnsanswer_read(m.b, m.n - 3, DNSQ_TXT, &a, &ans);
	CHECK(ans.status == DNSQ_TEMPFAIL,
	      "a message cut inside a record: temporary");
	dnsanswer_read(m.b, 5, DNSQ_TXT, &a, &ans);
	CHECK(ans.status == DNSQ_TEMPFAIL && ans.reason,
	      "five bytes: not a message");

	m_start(&m, 7, 0x8580, "example.com", 15, 2, 0);
	m_rr(&m, 15, 300, "\0\x0a\4mail\xc0\x0c", 9);
	m_rr(&m, 15, 300, "\0\x14\2MX\7Example\3COM\0", 18);
	dnsanswer_read(m.b, m.n, DNSQ_MX, &a, &ans);
	CHECK(ans.status == DNSQ_OK && ans.n == 2 && ans.rr[0].pref == 10 &&
	      !strcmp(ans.rr[0].name, "mail.example.com") &&
	      ans.rr[1].pref == 20 && !strcmp(ans.rr[1].name, "mx.example.com"),
	      "MX: preference and exchange, compressed or not, lower case");
	m_start(&m, 7, 0x8580, "example.com", 15, 2, 0);
	/* the exchange runs on into the next record's owner name */
	m_rr(&m, 15, 300, "\0\x0a\4mail", 7);
	m_rr(&m, 1, 300, "\1\2\3\4", 4);
	dnsanswer_read(m.b, m.n, DNSQ_MX, &a, &ans);
	CHECK(ans.status == DNSQ_TEMPFAIL,
	      "MX: an exchange past the end of its rdata is malformed");
	m_start(&m, 7, 0x8580, "1.2.0.192.in-addr.arpa", 12, 1, 0);
	m_rr(&m, 12, 300, "\4host\xc0\x16", 7);
	dnsanswer_read(m.b, m.n, DNSQ_PTR, &a, &ans);
	CHECK(ans.status == DNSQ_OK && !strcmp(ans.rr[0].name, "host.in-addr.arpa"),
	      "PTR: a compressed target (%s)", ans.status == DNSQ_OK
	      ? ans.rr[0].name : "-");
	m_start(&m, 7, 0x8580, "example.com", 1, 1, 0);
	m_rr(&m, 1, 300, "\xc0\0\2\1", 4);
	dnsanswer_read(m.b, m.n, DNSQ_A, &a, &ans);
	CHECK(ans.status == DNSQ_OK && !memcmp(ans.rr[0].addr, "\xc0\0\2\1", 4),
	      "A: four bytes");
	m_start(&m, 7, 0x8580, "example.com", 28, 1, 0);
	m_rr(&m, 28, 300, "\x20\x01\x0d\xb8", 4);
	dnsanswer_read(m.b, m.n, DNSQ_AAAA, &a, &ans);
	CHECK(ans.status == DNSQ_TEMPFAIL, "AAAA of four bytes: malformed");

	m_start(&m, 7, 0x8580, "example.com", 1, DNSQ_MAX_RRS + 3, 0);
	for (i = 0; i < DNSQ_MAX_RRS + 3; i++)
		m_rr(&m, 1, 300, "\xc0\0\2\1", 4);
	dnsanswer_read(m.b, m.n, DNSQ_A, &a, &ans);
	CHECK(ans.status == DNSQ_OK && ans.n == DNSQ_MAX_RRS && ans.dropped == 3,
	      "at most %d records kept, the rest counted", DNSQ_MAX_RRS);
	arena_free(&a);
}

/* ---- c-ares against a server in a child process ---- */

struct server {
	pid_t pid;
	int udp_port, tcp_port, silent_port;
};

/* bound - a socket of type on 127.0.0.1, any port; its port in *port */
static int bound(int type, int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, type, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0 ||
	    (type == SOCK_STREAM && listen(fd, 8) != 0))
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

/* reply - the server's answer to the query q; tcp: over TCP */
static void reply(const unsigned char *q, size_t qlen, int tcp, struct msg *m)
{
	char name[256], text[16];
	unsigned id, type;
	size_t i = 12, n = 0;

	m->n = 0;
	if (qlen < 17)
		return;
	id = (unsigned)q[0] << 8 | q[1];
	while (i < qlen && q[i] && n + q[i] + 1 < sizeof(name)) {
		if (n)
			name[n++] = '.';
		memcpy(name + n, q + i + 1, q[i]);
		n += q[i];
		i += (size_t)q[i] + 1;
	}
	name[n] = 0;
	if (i + 5 > qlen)
		return;
	type = (unsigned)q[i + 1] << 8 | q[i + 2];
	if (!strcmp(name, "ok.test")) {
		m_start(m, id, 0x8580, name, type, 1, 0);
		m_rr(m, 16, 300, TXT_RD, sizeof(TXT_RD) - 1);
	} else if (!strcmp(name, "big.test") && !tcp) {
		m_start(m, id, 0x8780, name, type, 0, 0);       /* TC */
	} else if (!strcmp(name, "big.test")) {
		unsigned char rd[8 * 251];

		for (i = 0; i < 8; i++) {
			rd[i * 251] = 250;
			memset(rd + i * 251 + 1, 'a' + (int)i, 250);
		}
		m_start(m, id, 0x8580, name, type, 1, 0);
		m_rr(m, 16, 60, rd, sizeof(rd));
	} else if (!strcmp(name, "nx.test")) {
		m_start(m, id, 0x8583, name, type, 0, 1);
		m_soa(m, 600, 120);
	} else if (!strcmp(name, "fail.test")) {
		m_start(m, id, 0x8182, name, type, 0, 0);
	} else if (!strcmp(name, "id.test")) {
		n = (size_t)snprintf(text + 1, sizeof(text) - 1, "%u", id);
		text[0] = (char)n;
		m_start(m, id, 0x8580, name, type, 1, 0);
		m_rr(m, 16, 0, text, n + 1);
	} else {
		m_start(m, id, 0x8185, name, type, 0, 0);       /* REFUSED */
	}
}

/* serve - the child: answer over UDP and TCP until killed */
static void serve(int udp, int tcp)
{
	for (;;) {
		struct pollfd p[2] = { { udp, POLLIN, 0 }, { tcp, POLLIN, 0 } };
		unsigned char q[512];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		struct msg m;
		ssize_t n;

		if (poll(p, 2, -1) < 0)
			continue;
		if (p[0].revents & POLLIN) {
			n = recvfrom(udp, q, sizeof(q), 0, (struct sockaddr *)&from,
				     &fl);
			reply(q, n > 0 ? (size_t)n : 0, 0, &m);
			if (m.n)
				(void)sendto(udp, m.b, m.n, 0,
					     (struct sockaddr *)&from, fl);
		}
		if (p[1].revents & POLLIN) {
			int c = accept(tcp, NULL, NULL);
			unsigned char len[2];

			if (c < 0)
				continue;
			if (recv(c, len, 2, MSG_WAITALL) == 2 &&
			    (n = recv(c, q, (size_t)(len[0] << 8 | len[1]),
				      MSG_WAITALL)) > 0) {
				reply(q, (size_t)n, 1, &m);
				len[0] = (unsigned char)(m.n >> 8);
				len[1] = (unsigned char)m.n;
				(void)send(c, len, 2, 0);
				(void)send(c, m.b, m.n, 0);
			}
			close(c);
		}
	}
}

/* server_start - the server on loopback (UDP and TCP on one port) and
 * a UDP socket that never answers */
static int server_start(struct server *s)
{
	int udp, tcp = -1, silent, tries;

	/* the UDP port, then TCP on the same number */
	for (tries = 0; tries < 20 && tcp < 0; tries++) {
		struct sockaddr_in sa = { .sin_family = AF_INET };

		udp = bound(SOCK_DGRAM, &s->udp_port);
		if (udp < 0)
			return -1;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons((uint16_t)s->udp_port);
		tcp = socket(AF_INET, SOCK_STREAM, 0);
		if (bind(tcp, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    listen(tcp, 8) != 0) {
			close(tcp);
			close(udp);
			tcp = -1;
		}
	}
	silent = bound(SOCK_DGRAM, &s->silent_port);
	if (tcp < 0 || silent < 0)
		return -1;
	s->tcp_port = s->udp_port;
	s->pid = fork();
	if (s->pid == 0)
		serve(udp, tcp);        /* the silent socket stays unread */
	close(udp);
	close(tcp);
	close(silent);
	return s->pid > 0 ? 0 : -1;
}

static void server_stop(struct server *s)
{
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
}

/* open_fds - descriptors open now */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* threads - this process's threads */
static int threads(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	int n = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Threads:", 8))
			n = atoi(line + 8);
	if (f)
		fclose(f);
	return n;
}

/* ask_id - the query ID the server saw for id.test, -1 on failure */
static long ask_id(struct dnsq *q)
{
	struct dnsq_answer ans;
	struct arena a;
	long id = -1;

	arena_init(&a);
	dnsq_lookup(q, "id.test", DNSQ_TXT, 0, &a, &ans);
	if (ans.status == DNSQ_OK)
		id = atol((const char *)ans.rr[0].txt);
	arena_free(&a);
	return id;
}

/* test_fork - children of a process whose channel is open ask with
 * channels of their own: were they sharing their parent's, their query
 * IDs would be the same sequence */
static void test_fork(struct dnsq *q)
{
	long ids[2][2];
	int fds[2], i;

	CHECK(ask_id(q) >= 0, "fork: the parent asks first");
	if (pipe(fds) != 0)
		return;
	for (i = 0; i < 2; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			long mine[2] = { ask_id(q), ask_id(q) };

			(void)!write(fds[1], mine, sizeof(mine));
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		if (read(fds[0], ids[i], sizeof(ids[i])) != sizeof(ids[i]))
			ids[i][0] = ids[i][1] = -1;
	}
	close(fds[0]);
	close(fds[1]);
	CHECK(ids[0][0] >= 0 && ids[0][1] >= 0 && ids[1][0] >= 0 &&
	      ids[1][1] >= 0, "fork: each child gets its answers");
	CHECK(ids[0][0] != ids[1][0] || ids[0][1] != ids[1][1],
	      "fork: the children's query IDs differ (%ld %ld, %ld %ld)",
	      ids[0][0], ids[0][1], ids[1][0], ids[1][1]);
}

static void test_aresq(void)
{
	struct server s;
	struct ms_error err;
	struct dnsq_answer ans;
	struct dnsq *q, *two, *quiet, *pertry;
	struct arena a;
	char list[128];
	int fds_before = open_fds();

	if (server_start(&s) != 0) {
		unit_failf("aresq: the test server", "cannot start: %s",
			   strerror(errno));
		return;
	}
	arena_init(&a);
	snprintf(list, sizeof(list), "127.0.0.1:%d", s.udp_port);
	q = aresq_new_bounded(list, 2000, &err);
	dnsq_lookup(q, "ok.test", DNSQ_TXT, 0, &a, &ans);
	CHECK(ans.status == DNSQ_OK && ans.n == 1 &&
	      !strcmp((const char *)ans.rr[0].txt, "v=DKIM1; p=abc") &&
	      ans.ttl == 300, "aresq: a TXT record over UDP, its TTL");
	dnsq_lookup(q, "big.test", DNSQ_TXT, 0, &a, &ans);
	CHECK(ans.status == DNSQ_OK && ans.n == 1 && ans.rr[0].txt_len == 2000,
	      "aresq: a truncated UDP answer is asked again over TCP (%s)",
	      dnsq_status_str(ans.status));
	dnsq_lookup(q, "nx.test", DNSQ_TXT, 0, &a, &ans);
	CHECK(ans.status == DNSQ_NXDOMAIN && ans.ttl == 120,
	      "aresq: NXDOMAIN, the SOA minimum as TTL");
	dnsq_lookup(q, "fail.test", DNSQ_TXT, 0, &a, &ans);
	CHECK(ans.status == DNSQ_TEMPFAIL && ans.reason,
	      "aresq: SERVFAIL is a temporary failure (%s)",
	      ans.reason ? ans.reason : "-");
	dnsq_lookup(q, "a..test", DNSQ_TXT, 0, &a, &ans);
	CHECK(ans.status == DNSQ_NXDOMAIN, "aresq: an empty label: no such name");

	snprintf(list, sizeof(list), "127.0.0.1:%d, 127.0.0.1:%d", s.silent_port,
		 s.udp_port);
	two = aresq_new_bounded(list, 600, &err);
	dnsq_lookup(two, "ok.test", DNSQ_TXT, 0, &a, &ans);
	CHECK(ans.status == DNSQ_OK,
	      "aresq: a silent first server: the second answers within the "
	      "lookup's time (%s)", ans.reason ? ans.reason : "ok");
	snprintf(list, sizeof(list), "127.0.0.1:%d", s.silent_port);
	quiet = aresq_new_bounded(list, 300, &err);
	dnsq_lookup(quiet, "ok.test", DNSQ_TXT, 0, &a, &ans);
	CHECK(ans.status == DNSQ_TEMPFAIL && ans.reason &&
	      !strcmp(ans.reason, "DNS lookup timed out after 300 ms"),
	      "aresq: no answer: temporary, timed out after the lookup's time (%s)",
	      ans.reason ? ans.reason : "-");
	dnsq_lookup(quiet, "ok.test", DNSQ_TXT, ms_clock_ms() + 100, &a, &ans);
	CHECK(ans.status == DNSQ_TEMPFAIL && ans.reason &&
	      strstr(ans.reason, "timed out after") &&
	      atoi(strstr(ans.reason, "after") + 6) <= 100,
	      "aresq: the caller's deadline cuts the lookup (%s)",
	      ans.reason ? ans.reason : "-");
	pertry = aresq_new(list, 100, &err);
	dnsq_lookup(pertry, "ok.test", DNSQ_TXT, 0, &a, &ans);
	CHECK(ans.status == DNSQ_TEMPFAIL && ans.reason &&
	      !strcmp(ans.reason, "timed out"),
	      "aresq_new: no answer: temporary, \"timed out\"");

	CHECK(open_fds() == fds_before,
	      "aresq: no descriptor stays open between lookups (%d, %d before)",
	      open_fds(), fds_before);
	CHECK(threads() == 1, "aresq: no thread started (%d)", threads());
	test_fork(q);

	dnsq_destroy(q);
	dnsq_destroy(two);
	dnsq_destroy(quiet);
	dnsq_destroy(pertry);
	arena_free(&a);
	server_stop(&s);
	CHECK(aresq_new("127.0.0.1 ns.example", 1000, &err) == NULL &&
	      strstr(err.msg, "ns.example"),
	      "aresq_new: a server that is not an address is refused");
}

int main(void)
{
	test_servers();
	test_txt_join();
	test_answers();
	test_aresq();
	return unit_done();
}
