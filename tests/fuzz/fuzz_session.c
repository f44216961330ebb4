/*
 * fuzz_session.c - libFuzzer target: a whole client session of
 * mailseal-policyd over arbitrary bytes, as a client would send them:
 * the first byte picks a milter session (even) or a policy delegation
 * session (odd), the rest is what the client sends (milter packets in
 * any order and shape; policy requests).
 *
 * The input is a file the session reads; replies go to /dev/null.  The
 * engine has a signing table with one Ed25519 key for example.com
 * (made at start-up in a temporary directory), require_signed
 * example.com, and a DNS server that cannot answer (127.0.0.1:9, 20 ms
 * per message) so that signatures end as temperror quickly.  Checked:
 * no crash, no leak, no sanitizer report; every session ends.
 */
#define _GNU_SOURCE             /* memfd_create */
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
#include "milterproto.h"
#include "policyproto.h"
#include "policyd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char conf[128], input[128];
static int out_fd = -1;

static void remove_conf(void)
{
	unlink(conf);
}

static void setup(void)
{
	struct ms_error err;
	struct generation *g;
	const char *table = fuzz_table_make("input");
	FILE *f;

	/* the configuration goes next to the table; input is the extra */
	snprintf(conf, sizeof(conf), "%s.conf", table);
	snprintf(input, sizeof(input), "%s", fuzz_extra);
	atexit(remove_conf);
	f = fopen(conf, "w");
	if (!f)
		__builtin_trap();
	fprintf(f, "signing_table = %s\nrequire_signed = example.com\n"
		"authserv_id = mx.example.net\ndns_resolver = 127.0.0.1:9\n"
		"dns_timeout = 10ms\ndns_message_budget = 20ms\n"
		"require_tls = bank.example\n", table);
	fclose(f);
	dlog_init(0);
	g = gen_load(conf, &err);
	if (!g)
		__builtin_trap();
	gen_install(g);
	out_fd = open("/dev/null", O_WRONLY);
	if (out_fd < 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct worker w = { 0 };
	struct conn c;
	int fd, milter;

	if (out_fd < 0)
		setup();
	if (size == 0)
		return 0;
	milter = (data[0] & 1) == 0;
	data++;
	size--;
	/* in memory: a file on disk cost more than the session itself */
	fd = memfd_create("fuzz-input", MFD_CLOEXEC);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) ||
	    lseek(fd, 0, SEEK_SET) != 0)
		__builtin_trap();
	if (milter) {
		conn_init(&c, fd, out_fd, 1000, MILTER_MAX_PACKET + 8);
		milter_serve(&w, &c);
	} else {
		conn_init(&c, fd, out_fd, 1000, PP_MAX_REQUEST);
		policy_serve(&w, &c);
	}
	conn_free(&c);
	close(fd);
	worker_done(&w);
	return 0;
}
