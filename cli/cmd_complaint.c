/*
 * cmd_complaint.c - mailseal complaint [--reporter IDENTITY |
 * --reporter-env VARIABLE]: decide
 * on one abuse report read from standard input (what an abuse@ address
 * pipes into; docs/abuse.md), print the decision, log it to syslog
 * (mail facility), and exit 0 whatever it was; 74 when the input could
 * not be read, 75 (EX_TEMPFAIL: the MTA keeps the report and retries)
 * when the decision could not be recorded, 2 on a usage or
 * configuration error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "arf.h"
#include "buf.h"
#include "cli.h"
#include "complaint.h"
#include "keychain.h"

#define CLI_EX_IOERR 74
#define CLI_EX_TEMPFAIL 75

/* cc_protect - revocation_protect's words: domains into dl's text,
 * "spki:HEX" keys into keys (space-separated, lower case) */
static void cc_protect(const char *v, struct buf *domains, struct buf *keys)
{
	const char *s = v;

	while (*s) {
		size_t n;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		n = strcspn(s, " \t,");
		if (n > 5 && strncmp(s, "spki:", 5) == 0) {
			size_t i;

			for (i = 5; i < n; i++)
				buf_putc(keys, (char)(s[i] >= 'A' && s[i] <= 'F'
						      ? s[i] - 'A' + 'a' : s[i]));
			buf_putc(keys, ' ');
		} else if (n) {
			buf_append(domains, s, n);
			buf_putc(domains, ' ');
		}
		s += n;
	}
}

int cmd_complaint(const struct ms_config *cfg, int argc, char **argv)
{
	struct complaint_engine ce = { 0 };
	struct dkim_verifier_opts vo = { 0 };
	struct complaint_decision d;
	struct keychain chain = { 0 };
	struct domainlist *reporters = NULL, *protect = NULL;
	struct buf in, pdom, pkeys;
	const char *reporter = NULL;
	struct ms_error err;
	enum ms_status st;
	int i, rc = CLI_OK;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reporter") == 0 && i + 1 < argc) {
			reporter = argv[++i];
		} else if (strcmp(argv[i], "--reporter-env") == 0 && i + 1 < argc) {
			/* Exim will not put tainted data ($authenticated_id)
			 * on a pipe's command line; its environment may */
			reporter = getenv(argv[++i]);
		} else {
			cli_error("complaint: usage: mailseal complaint [--reporter IDENTITY | --reporter-env VARIABLE] < report");
			return CLI_USAGE;
		}
	}
	buf_init(&in, ARF_MAX_BYTES);
	buf_init(&pdom, BUF_UNLIMITED);
	buf_init(&pkeys, BUF_UNLIMITED);
	for (;;) {
		char chunk[65536];
		size_t n = fread(chunk, 1, sizeof(chunk), stdin);

		if (n && buf_append(&in, chunk, n) != MS_OK) {
			cli_error("complaint: the report is larger than %u bytes", ARF_MAX_BYTES);
			rc = CLI_OK;    /* decided: not a report we read */
			printf("not counted: the report is larger than %u bytes\n", ARF_MAX_BYTES);
			goto out;
		}
		if (n < sizeof(chunk)) {
			if (ferror(stdin)) {
				cli_error("complaint: standard input: %s", strerror(errno));
				rc = CLI_EX_IOERR;
				goto out;
			}
			break;
		}
	}
	if (*cfg->complaint_reporters) {
		reporters = domainlist_load(cfg->complaint_reporters,
					    "complaint_reporters", &err);
		if (!reporters) {
			cli_error("complaint: %s", err.msg);
			rc = CLI_USAGE;
			goto out;
		}
	}
	cc_protect(cfg->revocation_protect, &pdom, &pkeys);
	if (pdom.len) {
		protect = domainlist_parse(buf_str(&pdom), "revocation_protect", &err);
		if (!protect) {
			cli_error("complaint: %s", err.msg);
			rc = CLI_USAGE;
			goto out;
		}
	}
	if (keychain_open(&chain, cfg, &err) != MS_OK) {
		cli_error("complaint: %s", err.msg);
		rc = CLI_USAGE;
		goto out;
	}
	keychain_verifier_opts(&chain, cfg, &vo);
	ce.verifier = dkim_verifier_new(&vo, chain.ks);
	ce.farm = chain.farm;
	ce.reporters = reporters;
	ce.protect = protect;
	ce.protect_spki = buf_str(&pkeys);
	ce.rules.threshold = cfg->complaint_threshold;
	ce.rules.window = cfg->complaint_window;
	ce.rules.cap_per_hour = cfg->revocation_max_per_hour;
	openlog("mailseal", LOG_PID, LOG_MAIL);
	st = complaint_process(&ce, in.data, in.len, reporter, &d, &err);
	if (st != MS_OK) {
		cli_error("complaint: %s", err.msg);
		syslog(LOG_WARNING, "complaint: not decided: %s", err.msg);
		rc = CLI_EX_TEMPFAIL;
	} else {
		printf("%s\n", d.text);
		syslog(LOG_INFO, "complaint: %s", d.text);
	}
	closelog();
	dkim_verifier_free(ce.verifier);
	keychain_close(&chain);
out:
	domainlist_free(reporters);
	domainlist_free(protect);
	buf_free(&pkeys);
	buf_free(&pdom);
	buf_free(&in);
	return rc;
}
