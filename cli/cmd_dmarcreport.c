/*
 * cmd_dmarcreport.c - mailseal dmarc-report: the DMARC aggregate
 * reports (RFC 9990) of one UTC day, from the farm's counters in Redis.
 *
 *   mailseal dmarc-report --day YYYY-MM-DD --out DIR [--send]
 *                         [--dns-file ZONEFILE] [--sendmail PATH]
 *
 * One gzip-compressed XML file per Policy Domain (and per published
 * policy, when it changed during the day: RFC 9990 allows one policy
 * per report) in DIR, named as RFC 9990 says:
 * RECEIVER!POLICY-DOMAIN!BEGIN!END!UNIQUE-ID.xml.gz, RECEIVER being the
 * domain of dmarc_report_email.  UNIQUE-ID is derived from the day and
 * the policy, so a report made again has the same name (and Report-ID),
 * as the RFC asks of a re-sent report; an existing file is never
 * overwritten (the command stops with an error naming it).
 *
 * With --send, each report goes to each mailto: URI of the record's
 * rua=, as one message (Subject "Report Domain: ... Submitter: ...
 * Report-ID: ...", the gzip as an application/gzip attachment) piped to
 * dmarc_report_sendmail (or --sendmail) run as "PATH -t -oi".  A URI
 * whose host is in another Organizational Domain than the Policy
 * Domain is used only when <policy-domain>._report._dmarc.<host> has
 * a TXT record that is a DMARC record (RFC 9990 section 4), asked of
 * the configured resolver or of --dns-file; a rua= in that record
 * replaces the URI when its host is the same, and stops the sending
 * when it is not.  A URI whose !size limit the message passes is not
 * used.  Only mailto: URIs are supported.
 *
 * Output: one line per report ("report DOMAIN FILE records=N
 * messages=N dropped=N"), per sent message ("sent DOMAIN ADDRESS") and
 * per refused URI ("refused DOMAIN URI: why").  Exit 0 when every
 * report was written (and sent where it could be), 1 on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "aresq.h"
#include "base64.h"
#include "cli.h"
#include "crypto.h"
#include "dmarcrecord.h"
#include "dmarcrow.h"
#include "dmarcstore.h"
#include "dmarcwalk.h"
#include "dmarcxml.h"
#include "farmcache.h"
#include "zonefile.h"

#define DR_MAX_REPORT (64u << 20)       /* bytes of one XML document */
#define DR_REDIS_TIMEOUT_MS 5000        /* a batch job may wait longer */
#define DR_MAX_URIS 8

struct dr_ctx {
	const struct ms_config *cfg;
	const char *day, *out_dir, *sendmail;
	const char *org, *email, *receiver;
	uint64_t begin, end;
	int send;
	struct dnsq *dns;
	struct arena a;
	int failed;
};

/* addr_safe - an address we may put in a header: atext, dots, one @ */
static int addr_safe(const char *s, size_t n)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
				 "RSTUVWXYZ0123456789.!#$&'*+/=?^_`{|}~-@";
	const char *at;

	if (n == 0 || n > 320 || strspn(s, ok) < n)
		return 0;
	at = memchr(s, '@', n);
	return at && at > s && at < s + n - 1 && !memchr(at + 1, '@',
				(size_t)(s + n - at - 1));
}

/* name_safe - a domain we may put in a file name and a header */
static int name_safe(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
				 "RSTUVWXYZ0123456789.-_";
	size_t n = strlen(s);

	return n > 0 && n <= MS_MAX_DOMAIN && s[0] != '.' && s[0] != '-' &&
	       strspn(s, ok) == n;
}

/* day_begin - the Unix time of 00:00 UTC of day (YYYY-MM-DD) */
static int day_begin(const char *day, uint64_t *out)
{
	struct tm tm = { 0 };
	char back[16];
	time_t t;

	if (!dmarcstore_day_ok(day) ||
	    sscanf(day, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday) != 3)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	/* 2026-02-30 is not a day */
	if (t == (time_t)-1 || !gmtime_r(&t, &tm) ||
	    strftime(back, sizeof(back), "%Y-%m-%d", &tm) != 10 ||
	    strcmp(back, day) != 0)
		return 0;
	*out = (uint64_t)t;
	return 1;
}

/* gzip_bytes - p[0..n) as a gzip member (RFC 1952) into out */
static int gzip_bytes(const unsigned char *p, size_t n, struct buf *out)
{
	z_stream z = { 0 };
	unsigned char chunk[16384];
	int st;

	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)n;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		st = deflate(&z, Z_FINISH);
		if (st == Z_STREAM_ERROR ||
		    buf_append(out, chunk, sizeof(chunk) - z.avail_out) != MS_OK) {
			deflateEnd(&z);
			return 0;
		}
	} while (st != Z_STREAM_END);
	deflateEnd(&z);
	return 1;
}

/* write_new - bytes into a new file: never over an existing one */
static int write_new(const char *path, const unsigned char *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	size_t off = 0;

	if (fd < 0) {
		cli_error("%s: %s%s", path, strerror(errno),
			  errno == EEXIST ? " (a report is never overwritten)"
			  : "");
		return 0;
	}
	while (off < n) {
		ssize_t w = write(fd, p + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			cli_error("%s: %s", path, strerror(errno));
			close(fd);
			unlink(path);
			return 0;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0) {
		cli_error("%s: %s", path, strerror(errno));
		unlink(path);
		return 0;
	}
	return 1;
}

/* unique_id - 16 hex digits of SHA-256 over the day and the policy:
 * the same report made again has the same name */
static void unique_id(const char *day, const struct dmarc_row *r,
		      char out[17])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[CRYPTO_SHA256_LEN];
	unsigned int mdlen = 0;
	struct buf b;
	size_t i;

	buf_init(&b, BUF_UNLIMITED);
	buf_printf(&b, "%s|%s|%s|%s|%s|%c|%c|%c|%s|%s", day, r->policy_domain,
		   r->p, r->sp, r->np, r->adkim, r->aspf, r->testing,
		   r->discovery, r->rua);
	memset(md, 0, sizeof(md));
	EVP_Digest(b.data, b.len, md, &mdlen, crypto_sha256(), NULL);
	buf_free(&b);
	for (i = 0; i < 8; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[16] = 0;
}

/* size_limit - a URI's !size suffix in bytes; 0: none, -1: bad */
static long long size_limit(const char *s)
{
	unsigned long long n = 0;
	const char *p = s;

	if (!*s)
		return 0;
	while (*p >= '0' && *p <= '9' && n < (1ull << 40))
		n = n * 10 + (unsigned)(*p++ - '0');
	if (p == s)
		return -1;
	switch (*p) {
	case 0:        break;
	case 'k': case 'K': n <<= 10; p++; break;
	case 'm': case 'M': n <<= 20; p++; break;
	case 'g': case 'G': n <<= 30; p++; break;
	case 't': case 'T': n <<= 40; p++; break;
	default:       return -1;
	}
	return *p || n == 0 ? -1 : (long long)n;
}

struct dr_uri {
	char addr[321];
	char host[MS_MAX_DOMAIN + 1];
	long long limit;
};

/* parse_uris - the mailto: URIs of a rua= value; others are noted */
static size_t parse_uris(struct dr_ctx *x, const char *domain,
			 const char *rua, struct dr_uri *u)
{
	size_t n = 0;

	while (*rua) {
		size_t len = strcspn(rua, ","), alen;
		const char *s = rua, *e = rua + len, *bang;

		rua = *e ? e + 1 : e;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == s)
			continue;
		if ((size_t)(e - s) < 7 || strncasecmp(s, "mailto:", 7) != 0) {
			printf("refused %s %.*s: only mailto: URIs are supported\n",
			       domain, (int)(e - s), s);
			continue;
		}
		s += 7;
		bang = memchr(s, '!', (size_t)(e - s));
		alen = (size_t)((bang ? bang : e) - s);
		if (n == DR_MAX_URIS || !addr_safe(s, alen)) {
			printf("refused %s mailto:%.*s: %s\n", domain,
			       (int)(e - s), s, n == DR_MAX_URIS
			       ? "too many URIs" : "not an address we can use");
			continue;
		}
		memcpy(u[n].addr, s, alen);
		u[n].addr[alen] = 0;
		snprintf(u[n].host, sizeof(u[n].host), "%s",
			 strchr(u[n].addr, '@') + 1);
		{
			char lim[32] = "";

			if (bang)
				snprintf(lim, sizeof(lim), "%.*s",
					 (int)(e - bang - 1), bang + 1);
			u[n].limit = size_limit(lim);
		}
		if (u[n].limit < 0) {
			printf("refused %s mailto:%s: bad size limit\n", domain,
			       u[n].addr);
			continue;
		}
		n++;
	}
	(void)x;
	return n;
}

/* same_org - are a and b in one Organizational Domain (RFC 9989 Tree
 * Walk)?  -1 when DNS failed */
static int same_org(struct dr_ctx *x, const char *a, const char *b)
{
	struct dmarc_dns dd;
	const char *oa, *ob;

	if (strcasecmp(a, b) == 0)
		return 1;
	dmarc_dns_init(&dd, x->dns, 0, &x->a);
	if (dmarc_org_domain(&dd, a, &oa) != DMARC_WALK_FOUND ||
	    dmarc_org_domain(&dd, b, &ob) != DMARC_WALK_FOUND)
		return -1;
	return strcasecmp(oa, ob) == 0;
}

/* check_destination - RFC 9990 section 4 for one URI: 1 to send (u may
 * be replaced by the consumer's own URI), 0 refused (said why) */
static int check_destination(struct dr_ctx *x, const char *domain,
			     struct dr_uri *u)
{
	struct dnsq_answer ans;
	struct dr_uri over[DR_MAX_URIS];
	char name[600];
	size_t i, k, nover;
	int same;

	for (i = 0; u->host[i]; i++)
		u->host[i] = (char)((u->host[i] >= 'A' && u->host[i] <= 'Z')
				    ? u->host[i] + 32 : u->host[i]);
	same = same_org(x, domain, u->host);
	if (same < 0) {
		printf("refused %s mailto:%s: DNS failed for the Organizational "
		       "Domain; try again later\n", domain, u->addr);
		return 0;
	}
	if (same)
		return 1;
	if ((size_t)snprintf(name, sizeof(name), "%s._report._dmarc.%s",
			     domain, u->host) > MS_MAX_DOMAIN) {
		printf("refused %s mailto:%s: %s._report._dmarc.%s is too long "
		       "for DNS\n", domain, u->addr, domain, u->host);
		return 0;
	}
	dnsq_lookup(x->dns, name, DNSQ_TXT, 0, &x->a, &ans);
	if (ans.status == DNSQ_TEMPFAIL) {
		printf("refused %s mailto:%s: %s: temporary DNS failure; try "
		       "again later\n", domain, u->addr, name);
		return 0;
	}
	for (i = 0; ans.status == DNSQ_OK && i < ans.n; i++) {
		struct dmarc_record rec;
		const char *why;

		if (dmarc_record_parse(ans.rr[i].txt, ans.rr[i].txt_len, &x->a,
				       &rec, &why) != DMARC_REC_OK)
			continue;
		if (!rec.rua)
			return 1;
		/* the consumer's own rua= replaces ours, at the same host */
		nover = parse_uris(x, domain, rec.rua, over);
		for (k = 0; k < nover; k++)
			if (strcasecmp(over[k].host, u->host) != 0) {
				printf("refused %s mailto:%s: %s names another "
				       "host\n", domain, u->addr, name);
				return 0;
			}
		if (nover)
			*u = over[0];
		return 1;
	}
	printf("refused %s mailto:%s: %s has no DMARC record (the external "
	       "destination is not authorized)\n", domain, u->addr, name);
	return 0;
}

/* build_message - the report message to one address */
static void build_message(struct dr_ctx *x, const char *domain,
			  const char *to, const char *rid, const char *fname,
			  const struct buf *gz, struct buf *msg)
{
	struct buf b64;
	char date[64], boundary[64];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(boundary, sizeof(boundary), "=_mailseal_%.16s", rid);
	buf_printf(msg, "From: %s\r\nTo: %s\r\n", x->email, to);
	buf_printf(msg, "Subject: Report Domain: %s Submitter: %s\r\n"
		   " Report-ID: <%s>\r\n", domain, x->receiver, rid);
	buf_printf(msg, "Date: %s\r\nMessage-ID: <%s>\r\n", date, rid);
	buf_puts(msg, "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n");
	buf_printf(msg, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n",
		   boundary);
	buf_printf(msg, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
		   "DMARC aggregate report (RFC 9990) from %s for %s,\r\n"
		   "UTC day %s.\r\n\r\n", boundary, x->receiver, domain, x->day);
	buf_printf(msg, "--%s\r\nContent-Type: application/gzip; name=\"%s\"\r\n"
		   "Content-Disposition: attachment; filename=\"%s\"\r\n"
		   "Content-Transfer-Encoding: base64\r\n\r\n", boundary, fname,
		   fname);
	buf_init(&b64, BUF_UNLIMITED);
	base64_encode(gz->data, gz->len, &b64);
	for (i = 0; i < b64.len; i += 76) {
		buf_append(msg, b64.data + i, b64.len - i < 76 ? b64.len - i : 76);
		buf_puts(msg, "\r\n");
	}
	buf_free(&b64);
	buf_printf(msg, "--%s--\r\n", boundary);
}

/* run_sendmail - msg to PATH -t -oi; 1 when it exited 0 */
static int run_sendmail(const char *path, const struct buf *msg)
{
	int fds[2], status;
	size_t off = 0;
	pid_t pid;

	if (pipe(fds) != 0)
		return 0;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return 0;
	}
	if (pid == 0) {
		char *const argv[] = { (char *)path, (char *)"-t", (char *)"-oi",
				       NULL };

		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execv(path, argv);
		_exit(127);
	}
	close(fds[0]);
	while (off < msg->len) {
		ssize_t w = write(fds[1], msg->data + off, msg->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 0;
	return off == msg->len && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* send_report - the report to each destination its rua= allows */
static void send_report(struct dr_ctx *x, const struct dmarc_row *pol,
			const char *rid, const char *fname,
			const struct buf *gz)
{
	struct dr_uri u[DR_MAX_URIS];
	size_t i, n = parse_uris(x, pol->policy_domain, pol->rua, u);

	for (i = 0; i < n; i++) {
		struct buf msg;

		if (!check_destination(x, pol->policy_domain, &u[i]))
			continue;
		buf_init(&msg, BUF_UNLIMITED);
		build_message(x, pol->policy_domain, u[i].addr, rid, fname, gz,
			      &msg);
		if (u[i].limit && (long long)msg.len > u[i].limit) {
			printf("refused %s mailto:%s: the message (%zu bytes) is "
			       "over the URI's size limit\n", pol->policy_domain,
			       u[i].addr, msg.len);
		} else if (run_sendmail(x->sendmail, &msg)) {
			printf("sent %s %s\n", pol->policy_domain, u[i].addr);
		} else {
			cli_error("dmarc-report: %s -t failed for the report of "
				  "%s to %s", x->sendmail, pol->policy_domain,
				  u[i].addr);
			x->failed = 1;
		}
		buf_free(&msg);
	}
}

/* one_report - the report of the rows rows[0..n) of one policy */
static void one_report(struct dr_ctx *x, const struct dmarcstore_domain *d,
		       const struct dmarc_row *const *rows,
		       const uint64_t *counts, size_t n, int first)
{
	char uid[17], rid[400], fname[600], path[4096], err1[200], err2[200];
	const char *errors[2];
	struct dmarc_report_meta m = { 0 };
	struct buf xml, gz;
	uint64_t messages = 0;
	size_t i;

	unique_id(x->day, rows[0], uid);
	snprintf(rid, sizeof(rid), "%s.%s@%s", uid, x->day, x->receiver);
	snprintf(fname, sizeof(fname), "%s!%s!%llu!%llu!%s.xml.gz",
		 x->receiver, d->domain, (unsigned long long)x->begin,
		 (unsigned long long)x->end, uid);
	snprintf(path, sizeof(path), "%s/%s", x->out_dir, fname);
	m.org_name = x->org;
	m.email = x->email;
	m.report_id = rid;
	m.begin = x->begin;
	m.end = x->end;
	m.errors = errors;
	/* what is not itemized is said, in the domain's first report */
	if (first && d->dropped) {
		snprintf(err1, sizeof(err1), "%llu messages are not itemized: "
			 "the receiver's limit of distinct rows per domain and "
			 "day was reached", (unsigned long long)d->dropped);
		errors[m.nerrors++] = err1;
	}
	if (first && d->bad) {
		snprintf(err2, sizeof(err2), "%zu stored rows could not be read "
			 "and are not reported", d->bad);
		errors[m.nerrors++] = err2;
	}
	buf_init(&xml, DR_MAX_REPORT);
	buf_init(&gz, DR_MAX_REPORT);
	if (dmarcxml_write(&m, rows, counts, n, &xml) != MS_OK ||
	    !gzip_bytes(xml.data, xml.len, &gz)) {
		cli_error("dmarc-report: %s: the report is too large", path);
		x->failed = 1;
	} else if (!write_new(path, gz.data, gz.len)) {
		x->failed = 1;
	} else {
		for (i = 0; i < n; i++)
			messages += counts[i];
		printf("report %s %s records=%zu messages=%llu dropped=%llu\n",
		       d->domain, path, n, (unsigned long long)messages,
		       (unsigned long long)(first ? d->dropped : 0));
		if (x->send)
			send_report(x, rows[0], rid, fname, &gz);
	}
	buf_free(&xml);
	buf_free(&gz);
}

/* domain_reports - the reports of one Policy Domain: its rows parsed
 * (untrusted bytes) and grouped by published policy */
static void domain_reports(struct dr_ctx *x, const struct dmarcstore_domain *d)
{
	struct dmarc_row *rows = arena_alloc(&x->a, (d->n + 1) * sizeof(*rows));
	const struct dmarc_row **grp = arena_alloc(&x->a,
						    (d->n + 1) * sizeof(*grp));
	uint64_t *counts = arena_alloc(&x->a, (d->n + 1) * sizeof(*counts));
	char *done = arena_alloc(&x->a, d->n + 1);
	struct dmarcstore_domain dd = *d;
	size_t i, k, n = 0, ng;
	int first = 1;

	if (!name_safe(d->domain)) {
		cli_error("dmarc-report: day %s: a stored domain is not a "
			  "domain name; skipped", x->day);
		x->failed = 1;
		return;
	}
	for (i = 0; i < d->n; i++) {
		if (dmarc_row_parse(d->e[i].row, d->e[i].len, &x->a,
				    &rows[n]) != MS_OK ||
		    strcmp(rows[n].policy_domain, d->domain) != 0) {
			dd.bad++;
			continue;
		}
		counts[n] = d->e[i].count;
		done[n++] = 0;
	}
	if (dd.bad)
		cli_error("dmarc-report: %s: %zu stored rows are malformed or "
			  "failed their HMAC check; not reported", d->domain,
			  dd.bad);
	for (i = 0; i < n; i++) {
		uint64_t *gc;

		if (done[i])
			continue;
		gc = arena_alloc(&x->a, (n + 1) * sizeof(*gc));
		for (ng = 0, k = i; k < n; k++)
			if (!done[k] && dmarc_row_same_policy(&rows[i], &rows[k])) {
				done[k] = 1;
				gc[ng] = counts[k];
				grp[ng++] = &rows[k];
			}
		one_report(x, &dd, grp, gc, ng, first);
		first = 0;
	}
	if (n == 0 && (dd.dropped || dd.bad)) {
		cli_error("dmarc-report: %s: no readable rows (%llu messages "
			  "dropped, %zu rows unreadable): no report",
			  d->domain, (unsigned long long)dd.dropped, dd.bad);
		x->failed = 1;
	}
}

int cmd_dmarc_report(const struct ms_config *cfg, int argc, char **argv)
{
	struct dr_ctx x = { .cfg = cfg };
	struct farmcache_opts fo = { 0 };
	struct farmcache *fc;
	struct dmarcstore_domain *ds;
	struct ms_error err;
	struct stat st;
	const char *dns_file = NULL, *at;
	char host[256];
	size_t n, i;
	int k;

	x.sendmail = cfg->dmarc_report_sendmail;
	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--send") == 0) {
			x.send = 1;
			continue;
		}
		if (k + 1 >= argc) {
			cli_error("dmarc-report: option %s needs a value", argv[k]);
			return CLI_USAGE;
		}
		if (strcmp(argv[k], "--day") == 0)
			x.day = argv[++k];
		else if (strcmp(argv[k], "--out") == 0)
			x.out_dir = argv[++k];
		else if (strcmp(argv[k], "--dns-file") == 0)
			dns_file = argv[++k];
		else if (strcmp(argv[k], "--sendmail") == 0)
			x.sendmail = argv[++k];
		else {
			cli_error("dmarc-report: unknown option %s", argv[k]);
			return CLI_USAGE;
		}
	}
	if (!x.day || !x.out_dir) {
		cli_error("dmarc-report: --day YYYY-MM-DD and --out DIR are required");
		return CLI_USAGE;
	}
	if (!day_begin(x.day, &x.begin)) {
		cli_error("dmarc-report: --day %s is not a day written YYYY-MM-DD",
			  x.day);
		return CLI_USAGE;
	}
	x.end = x.begin + 86399;
	if (stat(x.out_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cli_error("dmarc-report: %s: not a directory", x.out_dir);
		return CLI_IO;
	}
	if (!config_has_redis(cfg)) {
		cli_error("dmarc-report: no redis_url, redis_sentinels or redis_cluster: the "
			  "report data is in the farm's Redis");
		return CLI_USAGE;
	}
	x.email = cfg->dmarc_report_email;
	at = strrchr(x.email, '@');
	if (!addr_safe(x.email, strlen(x.email)) || !at || !name_safe(at + 1)) {
		cli_error("dmarc-report: dmarc_report_email \"%s\" is not an "
			  "address (it is the reports' contact and From)",
			  x.email);
		return CLI_USAGE;
	}
	x.receiver = at + 1;
	if (gethostname(host, sizeof(host) - 1) != 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = 0;
	x.org = *cfg->dmarc_report_org ? cfg->dmarc_report_org : host;
	if (x.send) {
		x.dns = dns_file ? zonefile_load(dns_file, &err)
				 : aresq_new(cfg->dns_resolver,
					     cfg->dns_timeout_ms, &err);
		if (!x.dns) {
			cli_error("dmarc-report: %s", err.msg);
			return CLI_USAGE;
		}
	}
	fo.url = cfg->redis_url;
	fo.sentinels = cfg->redis_sentinels;
	fo.cluster = cfg->redis_cluster;
	fo.master_name = cfg->redis_master_name;
	fo.timeout_ms = cfg->redis_timeout_ms > DR_REDIS_TIMEOUT_MS
			? cfg->redis_timeout_ms : DR_REDIS_TIMEOUT_MS;
	fo.secret = cfg->cache_secret;
	fc = farmcache_new(&fo, &err);
	if (!fc) {
		cli_error("dmarc-report: %s", err.msg);
		dnsq_destroy(x.dns);
		return CLI_USAGE;
	}
	arena_init(&x.a);
	if (dmarcstore_read_day(fc, x.day, &x.a, &ds, &n) != FARM_HIT) {
		cli_error("dmarc-report: Redis: %s", farmcache_last_error(fc));
		x.failed = 1;
		n = 0;
	}
	for (i = 0; i < n; i++)
		domain_reports(&x, &ds[i]);
	if (n == 0 && !x.failed)
		printf("no report data for %s\n", x.day);
	arena_free(&x.a);
	farmcache_free(fc);
	dnsq_destroy(x.dns);
	return x.failed ? CLI_IO : CLI_OK;
}
