/*
 * fuzz_milterflow.c - libFuzzer target, structure-aware: whole SMTP
 * sessions of messages through mailseal-policyd's milter side, as
 * Postfix sends them, with the messages from the input.  Where
 * fuzz_session feeds raw bytes (most of which end at the framing), this
 * target always builds a well-formed conversation, so that what the
 * fuzzer varies reaches the engine: verification, signing, SPF, DMARC,
 * the verdict and the header changes.
 *
 * Input: byte 0 picks the session's shape (bit 0: the sender is
 * authenticated, {auth_authen} with MAIL; bit 1: the protocol steps
 * offered at negotiation, none or all; bit 2: SMFIC_ABORT after each
 * message; bit 3: no HELO; bits 4-5: body chunk size 1, 7, 512 or
 * 65535; bit 6: IPv6 client; bit 7: header values with a leading
 * space), byte 1 the envelope (client address, MAIL FROM, HELO name,
 * as fuzz_policy); the rest is one or more messages separated by a
 * line holding a single dot ("\n.\n", as in SMTP DATA), at most 4.
 * Each message's header block (to the first empty line) becomes one
 * SMFIC_HEADER per field (continuation lines kept, CRLF turned to LF as
 * Postfix hands them over); the rest is the body, CRLF, in chunks.
 *
 * The engine is the daemon's own (gen_load of a configuration: a
 * signing table with an Ed25519 key for example.com, require_signed
 * example.com, check_spf, check_dmarc), given to the worker once, but
 * built with the golden keys (golden_keys.h) and answering SPF and
 * DMARC from a zone, as fuzz_policy: no DNS, so a message takes
 * microseconds.  Replies go to /dev/null.  Checked: no crash, no leak,
 * no sanitizer report; every session ends.
 */
#define _GNU_SOURCE             /* memfd_create */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_table.h"
#include "golden_keys.h"
#include "keyfile.h"
#include "milterproto.h"
#include "policy.h"
#include "policyd.h"
#include "zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MESSAGES 4

static const char zone_text[] =
	"example.com TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
	"pass.example TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
	"fail.example TXT \"v=spf1 -all exp=e.fail.example\"\n"
	"e.fail.example TXT \"%{s} from %{i} at %{t} via %{r}: %{l}\"\n"
	"temp.example TIMEOUT\n"
	"_dmarc.example.com TXT \"v=DMARC1; p=reject; sp=quarantine\"\n"
	"_dmarc.pass.example TXT \"v=DMARC1; p=reject\"\n"
	"_dmarc.fail.example TXT \"v=DMARC1; p=none\"\n";

static char conf[128], input[128];
static int out_fd = -1;
static struct worker w;
static struct buf pk;           /* the session being built */

static void remove_conf(void)
{
	unlink(conf);
}

static void setup(void)
{
	struct ms_error err;
	struct generation *g;
	struct keysource *ks;
	struct dnsq *zone;
	const char *table = fuzz_table_make("input");
	FILE *f;

	snprintf(conf, sizeof(conf), "%s.conf", table);
	snprintf(input, sizeof(input), "%s", fuzz_extra);
	atexit(remove_conf);
	f = fopen(conf, "w");
	if (!f)
		__builtin_trap();
	fprintf(f, "signing_table = %s\nrequire_signed = example.com\n"
		"authserv_id = mx.example.net\ndns_resolver = 127.0.0.1:9\n"
		"dns_timeout = 10ms\ndns_message_budget = 20ms\n"
		"check_spf = yes\ncheck_dmarc = yes\nreceived_spf = yes\n",
		table);
	fclose(f);
	dlog_init(0);
	g = gen_load(conf, &err);
	if (!g)
		__builtin_trap();
	gen_install(g);
	ks = keyfile_parse((const unsigned char *)keys, sizeof(keys) - 1,
			   "fuzz-keys", &err);
	zone = zonefile_parse((const unsigned char *)zone_text,
			      sizeof(zone_text) - 1, "fuzz-zone", &err);
	if (!ks || !zone)
		__builtin_trap();
	/* the worker's engine for the current generation, as
	 * worker_engine would build it, but with keys and DNS of our own:
	 * kept for the whole run (ks and zone too) */
	w.gen = gen_hold();
	w.engine = policy_new_with_keys(&w.gen->cfg, ks, &err);
	if (!w.engine)
		__builtin_trap();
	policy_set_dns(w.engine, zone);
	out_fd = open("/dev/null", O_WRONLY);
	if (out_fd < 0)
		__builtin_trap();
	buf_init(&pk, 1u << 24);
}

/* put - one packet: length, command, data */
static void put(char cmd, const void *p, size_t len)
{
	unsigned char h[5];
	uint32_t n = (uint32_t)len + 1;

	h[0] = (unsigned char)(n >> 24);
	h[1] = (unsigned char)(n >> 16);
	h[2] = (unsigned char)(n >> 8);
	h[3] = (unsigned char)n;
	h[4] = (unsigned char)cmd;
	if (buf_append(&pk, h, 5) != MS_OK ||
	    (len && buf_append(&pk, p, len) != MS_OK))
		__builtin_trap();
}

/* macros - an SMFIC_MACRO for cmd: NAME, VALUE pairs, NULL-ended */
static void macros(int cmd, ...)
{
	unsigned char m[1024];
	size_t len = 0, a;
	const char *s;
	va_list ap;

	m[len++] = (unsigned char)cmd;
	va_start(ap, cmd);
	while ((s = va_arg(ap, const char *)) && len + strlen(s) + 1 < sizeof(m)) {
		a = strlen(s) + 1;
		memcpy(m + len, s, a);
		len += a;
	}
	va_end(ap);
	put('D', m, len);
}

/* message - one transaction from p[0..len) */
static void message(const uint8_t *p, size_t len, unsigned shape,
		    const char *from, unsigned n)
{
	char qid[16], *v;
	size_t i = 0, chunk;
	static const size_t chunks[] = { 1, 7, 512, 65535 };
	struct buf body;

	snprintf(qid, sizeof(qid), "FUZZ%u", n);
	if (shape & 1)
		macros('M', "{mail_addr}", from, "{auth_authen}", "fuzzer",
		       "{auth_type}", "PLAIN", "i", qid, (char *)NULL);
	else
		macros('M', "{mail_addr}", from, "i", qid, (char *)NULL);
	{
		char env[300];
		int k = snprintf(env, sizeof(env), "<%s>", from);

		put('M', env, (size_t)k + 1);
	}
	put('R', "<rcpt@example.net>", 19);
	put('T', NULL, 0);
	/* the header block: one field per line and its continuations */
	while (i < len && p[i] != '\n' && !(p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')) {
		size_t start = i, colon = 0, end, k, o = 0;

		while (i < len) {
			if (p[i] == '\n') {
				if (i + 1 < len && (p[i + 1] == ' ' || p[i + 1] == '\t')) {
					i++;
					continue;
				}
				break;
			}
			if (!colon && p[i] == ':')
				colon = i + 1;
			i++;
		}
		end = i;
		if (i < len)
			i++;            /* the LF */
		if (!colon)
			continue;       /* an MTA passes no such line */
		/* NAME \0 VALUE \0, CRLF as LF, leading space by bit 7 */
		v = malloc(end - start + 3);
		if (!v)
			__builtin_trap();
		for (k = start; k < colon - 1; k++)
			v[o++] = p[k] ? (char)p[k] : ' ';
		v[o++] = 0;
		k = colon;
		if (!(shape & 0x80))
			while (k < end && p[k] == ' ')
				k++;
		for (; k < end; k++)
			if (!(p[k] == '\r' && k + 1 < end && p[k + 1] == '\n'))
				v[o++] = p[k] ? (char)p[k] : ' ';
		while (o > 0 && v[o - 1] == '\r')
			o--;
		v[o++] = 0;
		macros('L', "i", qid, (char *)NULL);
		put('L', v, o);
		free(v);
	}
	if (i < len && p[i] == '\r')
		i++;
	if (i < len)
		i++;                    /* the empty line */
	put('N', NULL, 0);
	/* the body, CRLF, in chunks */
	buf_init(&body, 1u << 24);
	for (; i < len; i++) {
		if (p[i] == '\n' && (body.len == 0 || body.data[body.len - 1] != '\r'))
			buf_append(&body, "\r", 1);
		buf_append(&body, &p[i], 1);
	}
	chunk = chunks[(shape >> 4) & 3];
	for (i = 0; i < body.len; i += chunk)
		put('B', body.data + i, body.len - i < chunk ? body.len - i : chunk);
	buf_free(&body);
	macros('E', "i", qid, (char *)NULL);
	put('E', NULL, 0);
	if (shape & 4)
		put('A', NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ips4[] = { "192.0.2.7", "203.0.113.9" };
	static const char *const ips6[] = { "2001:db8::1", "::ffff:192.0.2.7" };
	static const char *const froms[] = { "a@pass.example", "b@fail.example",
					     "", "alice@example.com",
					     "d@temp.example", "e@[192.0.2.1]",
					     "f", "bob@example.com" };
	unsigned char opt[12] = { 0, 0, 0, 6, 0, 0, 1, 0xFF, 0, 0, 0, 0 };
	unsigned shape, env, n = 0;
	const char *ip, *from, *helo;
	char con[128];
	struct conn c;
	size_t k, off;
	int fd;

	if (out_fd < 0)
		setup();
	if (size < 2)
		return 0;
	shape = data[0];
	env = data[1];
	data += 2;
	size -= 2;
	ip = (shape & 0x40) ? ips6[env & 1] : ips4[env & 1];
	from = froms[(env >> 1) & 7];
	helo = (env & 0x10) ? "pass.example" : "[192.0.2.7]";

	buf_reset(&pk);
	if (shape & 2)
		opt[9] = 0x1F, opt[10] = 0xFF, opt[11] = 0xFF;
	put('O', opt, sizeof(opt));
	macros('C', "j", "mx.example.net", "{daemon_name}", "fuzz", (char *)NULL);
	k = (size_t)snprintf(con, sizeof(con), "client.example%c%c%c%c%s",
			     0, (shape & 0x40) ? '6' : '4', 0, 25, ip) + 1;
	put('C', con, k);
	if (!(shape & 8))
		put('H', helo, strlen(helo) + 1);
	for (off = 0; n < MAX_MESSAGES && (off < size || n == 0); n++) {
		const uint8_t *end = NULL;
		size_t i;

		for (i = off; i + 3 <= size; i++)
			if (data[i] == '\n' && data[i + 1] == '.' && data[i + 2] == '\n') {
				end = data + i + 1;
				break;
			}
		if (!end || n == MAX_MESSAGES - 1)
			end = data + size;
		message(data + off, (size_t)(end - (data + off)), shape, from, n);
		off = (size_t)(end - data) + (end < data + size ? 2 : 0);
	}
	put('Q', NULL, 0);

	/* in memory: a file on disk cost more than the session itself */
	fd = memfd_create("fuzz-input", MFD_CLOEXEC);
	if (fd < 0 || write(fd, pk.data, pk.len) != (ssize_t)pk.len ||
	    lseek(fd, 0, SEEK_SET) != 0)
		__builtin_trap();
	conn_init(&c, fd, out_fd, 1000, MILTER_MAX_PACKET + 8);
	milter_serve(&w, &c);
	conn_free(&c);
	close(fd);
	return 0;
}
