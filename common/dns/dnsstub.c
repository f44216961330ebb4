/*
 * dnsstub.c - a stub resolver for TXT records: UDP with EDNS0, TCP on
 * truncation, our own deadline, glibc's ns_parse to read answers.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "buf.h"
#include "dnsstub.h"
#include "msclock.h"

#define STUB_UDP_MAX 4096               /* what EDNS0 offers */
#define STUB_TCP_MAX 65535
#define STUB_QUERY_MAX 512

/* dns_server_split - "IP", "IP:PORT", "[IPv6]:PORT" or "IPv6" into
 * host and port text (port "" when none); -1 when malformed */
int dns_server_split(const char *s, size_t n, char *host, size_t hostsize,
		     char *port, size_t portsize)
{
	const char *p = NULL;
	size_t hl = n;

	if (n == 0 || n >= hostsize)
		return -1;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close)
			return -1;
		hl = (size_t)(close - s - 1);
		memcpy(host, s + 1, hl);
		if (close + 1 < s + n) {
			if (close[1] != ':')
				return -1;
			p = close + 2;
		}
	} else {
		const char *colon = memchr(s, ':', n);

		/* one colon: IPv4 with a port; more: a bare IPv6 address */
		if (colon && !memchr(colon + 1, ':', (size_t)(s + n - colon - 1))) {
			hl = (size_t)(colon - s);
			p = colon + 1;
		}
		memcpy(host, s, hl);
	}
	host[hl] = 0;
	port[0] = 0;
	if (p) {
		size_t pl = (size_t)(s + n - p);

		if (pl == 0 || pl >= portsize || strspn(p, "0123456789") < pl)
			return -1;
		memcpy(port, p, pl);
		port[pl] = 0;
	}
	return 0;
}

/* dnsstub_add_server - one server address */
enum ms_status dnsstub_add_server(struct dnsstub *s, const char *spec,
				  size_t n, struct ms_error *err)
{
	char host[80], port[8];
	struct dnsstub_server *sv;
	unsigned long pn = 53;

	if (dns_server_split(spec, n, host, sizeof(host), port, sizeof(port)) != 0)
		return ms_error_set(err, MS_ERR_USAGE, "bad DNS server \"%.*s\"",
				    (int)n, spec);
	if (port[0]) {
		pn = strtoul(port, NULL, 10);
		if (pn == 0 || pn > 65535)
			return ms_error_set(err, MS_ERR_USAGE,
					    "bad DNS server port in \"%.*s\"",
					    (int)n, spec);
	}
	if (s->nservers == DNSSTUB_MAX_SERVERS)
		return ms_error_set(err, MS_ERR_USAGE, "more than %d DNS servers",
				    DNSSTUB_MAX_SERVERS);
	sv = &s->server[s->nservers];
	memset(sv, 0, sizeof(*sv));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sv->sa;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)pn);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			goto bad;
		sv->len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&sv->sa;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)pn);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			goto bad;
		sv->len = sizeof(*a);
	}
	snprintf(sv->name, sizeof(sv->name), "%.*s", (int)n, spec);
	s->nservers++;
	return MS_OK;
bad:
	return ms_error_set(err, MS_ERR_USAGE,
			    "DNS server \"%.*s\" is not an IP address", (int)n,
			    spec);
}

/* dnsstub_check_servers - is the dns_resolver list usable? */
enum ms_status dnsstub_check_servers(const char *list, struct ms_error *err)
{
	struct dnsstub probe;
	enum ms_status st = MS_OK;

	memset(&probe, 0, sizeof(probe));
	while (*list && st == MS_OK) {
		size_t n = strcspn(list, " \t,");

		if (n)
			st = dnsstub_add_server(&probe, list, n, err);
		list += n;
		list += strspn(list, " \t,");
	}
	return st;
}

/* dnsstub_resolv_conf - the nameserver lines of path */
enum ms_status dnsstub_resolv_conf(struct dnsstub *s, const char *path,
				   struct ms_error *err)
{
	struct buf data;
	struct ms_error e;
	char *line, *save = NULL;
	enum ms_status st;

	buf_init(&data, 1 << 20);
	st = buf_load_file(&data, path, err);
	if (st != MS_OK) {
		buf_free(&data);
		return MS_ERR_TEMP;
	}
	for (line = strtok_r((char *)data.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *w = line + strspn(line, " \t");
		size_t n;

		if (strncmp(w, "nameserver", 10) != 0 ||
		    (w[10] != ' ' && w[10] != '\t'))
			continue;
		w += 10 + strspn(w + 10, " \t");
		n = strcspn(w, " \t\r#;");
		/* a zone index (fe80::1%eth0) or a bad line is skipped */
		if (n && !memchr(w, '%', n) &&
		    dnsstub_add_server(s, w, n, &e) != MS_OK &&
		    s->nservers == DNSSTUB_MAX_SERVERS)
			break;
	}
	buf_free(&data);
	if (s->nservers == 0)
		return ms_error_set(err, MS_ERR_TEMP, "%s names no DNS server",
				    path);
	return MS_OK;
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* dnsstub_query - the TXT query for name, with an EDNS0 OPT record */
int dnsstub_query(const char *name, uint16_t id, unsigned char *q)
{
	size_t i = 12, n = strlen(name);
	const char *p = name, *end;

	if (n && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return -1;
	memset(q, 0, 12);
	put16(q, id);
	q[2] = 0x01;                    /* RD */
	put16(q + 4, 1);                /* QDCOUNT */
	put16(q + 10, 1);               /* ARCOUNT: the OPT record */
	end = name + n;
	while (p < end) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		size_t l = dot ? (size_t)(dot - p) : (size_t)(end - p);

		if (l == 0 || l > 63)
			return -1;
		q[i++] = (unsigned char)l;
		memcpy(q + i, p, l);
		i += l;
		p += l + 1;
	}
	q[i++] = 0;
	put16(q + i, ns_t_txt);
	put16(q + i + 2, ns_c_in);
	i += 4;
	/* OPT: root name, type 41, class = UDP payload, TTL 0, no rdata */
	q[i++] = 0;
	put16(q + i, ns_t_opt);
	put16(q + i + 2, STUB_UDP_MAX);
	memset(q + i + 4, 0, 6);
	i += 10;
	return (int)i;
}

static const char *rcode_text(int rc)
{
	switch (rc) {
	case ns_r_servfail: return "DNS server failure (SERVFAIL)";
	case ns_r_refused: return "DNS server refused the query (REFUSED)";
	case ns_r_formerr: return "DNS server could not read the query (FORMERR)";
	default: return "DNS error";
	}
}

static void stub_fail(struct arena *arena, struct dns_txt *out,
		      enum dns_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void stub_fail(struct arena *arena, struct dns_txt *out,
		      enum dns_status st, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	out->status = st;
	out->reason = arena_strdup(arena, tmp);
}

/* dnsstub_answer - read a response to our query */
int dnsstub_answer(const unsigned char *msg, size_t len, const char *name,
		   uint16_t id, struct arena *arena, struct dns_txt *out)
{
	size_t nl = strlen(name);
	ns_msg h;
	ns_rr rr;
	int i, n, rcode;
	uint32_t ttl = UINT32_MAX;

	if (len < NS_HFIXEDSZ || len > STUB_TCP_MAX ||
	    ns_initparse(msg, (int)len, &h) != 0 ||
	    ns_msg_id(h) != id || !ns_msg_getflag(h, ns_f_qr) ||
	    ns_msg_getflag(h, ns_f_opcode) != ns_o_query ||
	    ns_msg_count(h, ns_s_qd) != 1 ||
	    ns_parserr(&h, ns_s_qd, 0, &rr) != 0 ||
	    ns_rr_type(rr) != ns_t_txt || ns_rr_class(rr) != ns_c_in)
		return -1;
	if (nl && name[nl - 1] == '.')
		nl--;
	if (strlen(ns_rr_name(rr)) != nl ||
	    strncasecmp(ns_rr_name(rr), name, nl) != 0)
		return -1;
	if (ns_msg_getflag(h, ns_f_tc))
		return 1;
	memset(out, 0, sizeof(*out));
	rcode = ns_msg_getflag(h, ns_f_rcode);
	if (rcode == ns_r_nxdomain) {
		stub_fail(arena, out, DNS_NXDOMAIN, "no such name (NXDOMAIN)");
		return 0;
	}
	if (rcode != ns_r_noerror) {
		stub_fail(arena, out, DNS_TEMPFAIL, "%s", rcode_text(rcode));
		if (rcode != ns_r_servfail && rcode != ns_r_refused &&
		    rcode != ns_r_formerr)
			stub_fail(arena, out, DNS_TEMPFAIL, "DNS error (rcode %d)",
				  rcode);
		return 0;
	}
	n = ns_msg_count(h, ns_s_an);
	for (i = 0; i < n; i++) {
		unsigned char *dst;
		long tl;

		if (ns_parserr(&h, ns_s_an, i, &rr) != 0) {
			stub_fail(arena, out, DNS_TEMPFAIL,
				  "malformed record in the DNS answer");
			return 0;
		}
		if (ns_rr_type(rr) != ns_t_txt || ns_rr_class(rr) != ns_c_in)
			continue;       /* a CNAME on the way, say */
		if (out->nrecords == MS_MAX_KEY_RECORDS)
			continue;
		dst = arena_alloc(arena, (size_t)ns_rr_rdlen(rr) + 1);
		tl = dns_txt_rdata(ns_rr_rdata(rr), ns_rr_rdlen(rr), dst);
		if (tl < 0) {
			stub_fail(arena, out, DNS_TEMPFAIL,
				  "malformed TXT record in the answer");
			return 0;
		}
		dst[tl] = 0;
		out->records[out->nrecords] = dst;
		out->record_len[out->nrecords++] = (size_t)tl;
		if (ns_rr_ttl(rr) < ttl)
			ttl = ns_rr_ttl(rr);
	}
	if (out->nrecords == 0) {
		stub_fail(arena, out, DNS_NODATA, "no TXT record (NODATA)");
		return 0;
	}
	out->status = DNS_OK;
	out->ttl = ttl;
	return 0;
}

/* stub_wait - poll fd for events until deadline: 1 ready, 0 time is
 * up, -1 an error */
static int stub_wait(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		uint64_t now = ms_clock_ms();
		int r;

		if (now >= deadline)
			return 0;
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		return 1;
	}
}

enum ask { ASK_DONE, ASK_TRUNCATED, ASK_TIMEOUT, ASK_ERROR };

/* stub_udp - one question over UDP, sent again once halfway */
static enum ask stub_udp(const struct dnsstub_server *sv, const unsigned char *q,
			 size_t qlen, const char *name, uint16_t id,
			 uint64_t deadline, struct arena *arena,
			 struct dns_txt *out)
{
	unsigned char resp[STUB_UDP_MAX];
	uint64_t start = ms_clock_ms(), resend = start + (deadline - start) / 2;
	int fd, sent_again = 0;
	enum ask rc = ASK_TIMEOUT;

	fd = socket(sv->sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ASK_ERROR;
	if (connect(fd, (const struct sockaddr *)&sv->sa, sv->len) != 0 ||
	    send(fd, q, qlen, 0) != (ssize_t)qlen) {
		close(fd);
		return ASK_ERROR;
	}
	for (;;) {
		int w = stub_wait(fd, POLLIN, sent_again ? deadline : resend);
		ssize_t n;
		int a;

		if (w < 0) {
			rc = ASK_ERROR;
			break;
		}
		if (w == 0) {
			if (sent_again || ms_clock_ms() >= deadline)
				break;
			sent_again = 1;
			if (send(fd, q, qlen, 0) != (ssize_t)qlen) {
				rc = ASK_ERROR;
				break;
			}
			continue;
		}
		n = recv(fd, resp, sizeof(resp), 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {            /* ICMP port unreachable, say */
			rc = ASK_ERROR;
			break;
		}
		a = dnsstub_answer(resp, (size_t)n, name, id, arena, out);
		if (a < 0)
			continue;       /* not the answer to our question */
		rc = a == 1 ? ASK_TRUNCATED : ASK_DONE;
		break;
	}
	close(fd);
	return rc;
}

/* stub_io - all of len bytes written or read under the deadline */
static int stub_io(int fd, unsigned char *p, size_t len, int writing,
		   uint64_t deadline)
{
	while (len > 0) {
		ssize_t n;

		if (stub_wait(fd, writing ? POLLOUT : POLLIN, deadline) != 1)
			return -1;
		n = writing ? write(fd, p, len) : read(fd, p, len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* stub_tcp - the question again over TCP */
static enum ask stub_tcp(const struct dnsstub_server *sv, const unsigned char *q,
			 size_t qlen, const char *name, uint16_t id,
			 uint64_t deadline, struct arena *arena,
			 struct dns_txt *out)
{
	unsigned char lenb[2], *resp = NULL, framed[STUB_QUERY_MAX + 2];
	size_t rlen;
	int fd, err = 0;
	socklen_t el = sizeof(err);
	enum ask rc = ASK_ERROR;

	fd = socket(sv->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ASK_ERROR;
	if (connect(fd, (const struct sockaddr *)&sv->sa, sv->len) != 0) {
		int w;

		if (errno != EINPROGRESS)
			goto out;
		w = stub_wait(fd, POLLOUT, deadline);
		if (w == 0)
			rc = ASK_TIMEOUT;
		if (w != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 ||
		    err != 0)
			goto out;
	}
	put16(framed, (unsigned)qlen);
	memcpy(framed + 2, q, qlen);
	if (stub_io(fd, framed, qlen + 2, 1, deadline) != 0 ||
	    stub_io(fd, lenb, 2, 0, deadline) != 0) {
		rc = ms_clock_ms() >= deadline ? ASK_TIMEOUT : ASK_ERROR;
		goto out;
	}
	rlen = (size_t)lenb[0] << 8 | lenb[1];
	resp = malloc(rlen ? rlen : 1);
	if (!resp || stub_io(fd, resp, rlen, 0, deadline) != 0) {
		rc = ms_clock_ms() >= deadline ? ASK_TIMEOUT : ASK_ERROR;
		goto out;
	}
	/* over TCP a truncated answer is as good as it gets: an error */
	rc = dnsstub_answer(resp, rlen, name, id, arena, out) == 0 ? ASK_DONE
								     : ASK_ERROR;
out:
	free(resp);
	close(fd);
	return rc;
}

/* dnsstub_txt - ask the servers, giving up at timeout_ms */
void dnsstub_txt(struct dnsstub *s, const char *name, unsigned timeout_ms,
		 struct arena *arena, struct dns_txt *out)
{
	uint64_t deadline = ms_clock_ms() + timeout_ms;
	unsigned char q[STUB_QUERY_MAX];
	const char *last = "no DNS server answered";
	uint16_t id;
	size_t i;
	int qlen, timed_out = 0;

	memset(out, 0, sizeof(*out));
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)(s->next_id++ ^ (uint16_t)getpid());
	qlen = dnsstub_query(name, id, q);
	if (qlen < 0) {
		stub_fail(arena, out, DNS_NXDOMAIN, "not a DNS name");
		return;
	}
	if (s->nservers == 0) {
		stub_fail(arena, out, DNS_TEMPFAIL, "no DNS server configured");
		return;
	}
	for (i = 0; i < s->nservers; i++) {
		uint64_t now = ms_clock_ms(), until;
		const struct dnsstub_server *sv = &s->server[i];
		enum ask a;

		if (now >= deadline) {
			timed_out = 1;
			break;
		}
		/* what is left, shared by the servers not asked yet */
		until = now + (deadline - now) / (s->nservers - i);
		a = stub_udp(sv, q, (size_t)qlen, name, id, until, arena, out);
		if (a == ASK_TRUNCATED)
			a = stub_tcp(sv, q, (size_t)qlen, name, id, until, arena,
				     out);
		if (a == ASK_DONE && (out->status != DNS_TEMPFAIL ||
				      i + 1 == s->nservers))
			return;
		if (a == ASK_DONE)
			last = out->reason;     /* SERVFAIL: ask the next one */
		else if (a == ASK_TIMEOUT)
			timed_out = 1;
		else
			last = "the DNS server cannot be reached";
		memset(out, 0, sizeof(*out));
	}
	if (timed_out)
		stub_fail(arena, out, DNS_TEMPFAIL,
			  "DNS lookup timed out after %u ms", timeout_ms);
	else
		stub_fail(arena, out, DNS_TEMPFAIL, "%s", last);
}
