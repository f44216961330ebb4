/*
 * cmd_policy.c - mailseal policy: what the MTA front ends would do with
 * a message, from the same engine (common/policy/policy.h), for dry runs and
 * tests.
 *
 *   mailseal policy [--auth USER] [--local] [--mode sign|verify|skip]
 *                   [--key-file KEYS | --dns-file ZONEFILE] [--txid ID]
 *                   [--hostname NAME] [--ip IP] [--helo NAME]
 *                   [--mail-from ADDR] [--rcpt ADDR]
 *                   [--message [--max-spool SIZE]] FILE
 *
 * --ip, --helo and --mail-from give the envelope, for SPF (check_spf);
 * --rcpt the first recipient (a DMARC report row's envelope_to).  With
 * check_dmarc and a Redis, the message is counted in the farm's DMARC
 * report data as a node would count it;
 * --dns-file answers every lookup (keys, SPF) from a file of zone lines.
 *
 * Prints the verdict ("action=... code=... dsn=... role=...", and
 * quarantine="WHY" for a message the MTA would hold), then one
 * "remove=NAME#N" line per header field the MTA would delete, one
 * "add=" line per field it would insert (folds shown as \r\n), and
 * "log=" with the log line.  With --message, prints instead the message
 * as the MTA would pass it on (added fields on top, removed ones
 * dropped; header lines end in CRLF, the body is copied as it is); a
 * message that is not accepted prints nothing there and the verdict
 * goes to stderr.  That reads the message twice: a FILE that is not a
 * regular file (/dev/stdin on a pipe) is spooled, at most SIZE bytes.
 *
 * A header block over a limit is a verdict like any other, but reading
 * stops there and the exit status is 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "dnsqkeys.h"
#include "keyfile.h"
#include "zonefile.h"
#include "ms_limits.h"
#include "msgreader.h"
#include "policy.h"

/* print_escaped - s with CR and LF shown as \r and \n */
static void print_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\r')
			fputs("\\r", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

static void print_verdict(FILE *out, const struct policy_verdict *v)
{
	size_t i;

	fprintf(out, "action=%s code=%u dsn=%s role=%s", policy_action_str(v->action),
		v->code, v->dsn, policy_role_str(v->role));
	if (v->action != POLICY_ACCEPT)
		fprintf(out, " text=\"%s\"", v->text);
	if (v->action == POLICY_ACCEPT && v->quarantine)
		fprintf(out, " quarantine=\"%s\"", v->quarantine_why);
	fputc('\n', out);
	for (i = 0; i < v->nremove; i++)
		fprintf(out, "remove=%s#%zu\n", v->remove[i].name,
			v->remove[i].nth);
	for (i = 0; i < v->nadd; i++) {
		fputs("add=", out);
		print_escaped(out, v->add[i].field);
		fputc('\n', out);
	}
	fprintf(out, "log=%s\n", v->log);
}

/* policy_feed_chunk - one chunk to the engine */
static void policy_feed_chunk(void *arg, const unsigned char *p, size_t len)
{
	policy_feed(arg, p, len);
}

/* print_message - the message as passed on: re-read from in */
static int print_message(FILE *in, const struct policy_verdict *v,
			 unsigned char *chunk)
{
	struct msgreader mr;
	size_t i, r = 0, n;

	for (i = 0; i < v->nadd; i++)
		fputs(v->add[i].field, stdout);
	/* the header block again, to drop the removed fields by index */
	rewind(in);
	msgreader_init(&mr, NULL, NULL, NULL);
	while (mr.state == MR_HEADERS &&
	       (n = fread(chunk, 1, 1, in)) > 0)
		msgreader_feed(&mr, chunk, n);
	msgreader_finish(&mr);
	for (i = 0; i < msgreader_nfields(&mr); i++) {
		const unsigned char *f;
		size_t len;

		if (r < v->nremove && v->remove[r].index == i) {
			r++;
			continue;
		}
		f = msgreader_field(&mr, i, &len);
		fwrite(f, 1, len, stdout);
	}
	msgreader_free(&mr);
	fputs("\r\n", stdout);
	while ((n = fread(chunk, 1, MS_IO_CHUNK, in)) > 0)
		fwrite(chunk, 1, n, stdout);
	return ferror(in) ? CLI_IO : CLI_OK;
}

int cmd_policy(const struct ms_config *cfg, int argc, char **argv)
{
	struct policy_facts f = { .txid = "cli" };
	struct policy_verdict v;
	struct policy_msg *m;
	struct policy *p;
	struct keysource *ks = NULL;
	const char *key_file = NULL, *dns_file = NULL;
	struct dnsq *dns = NULL;
	struct ms_error err;
	unsigned char *chunk;
	FILE *in, *spool = NULL;
	struct stat st;
	enum cli_read r;
	uint64_t spool_max = CLI_SPOOL_MAX_DEFAULT;
	int i, message = 0, rc = CLI_OK;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *o = argv[i];

		if (strcmp(o, "--local") == 0) {
			f.local_submission = 1;
			continue;
		}
		if (strcmp(o, "--message") == 0) {
			message = 1;
			continue;
		}
		if (i + 1 >= argc) {
			cli_error("policy: option %s needs a value", o);
			return CLI_USAGE;
		}
		if (strcmp(o, "--auth") == 0) {
			f.auth_user = argv[++i];
		} else if (strcmp(o, "--mode") == 0) {
			int mode = policy_mode_parse(argv[++i]);

			if (mode < 0) {
				cli_error("policy: --mode takes sign, verify or skip");
				return CLI_USAGE;
			}
			f.mode = (enum policy_mode)mode;
		} else if (strcmp(o, "--key-file") == 0) {
			key_file = argv[++i];
		} else if (strcmp(o, "--txid") == 0) {
			f.txid = argv[++i];
		} else if (strcmp(o, "--hostname") == 0) {
			f.hostname = argv[++i];
		} else if (strcmp(o, "--ip") == 0) {
			f.client_ip = argv[++i];
		} else if (strcmp(o, "--helo") == 0) {
			f.helo = argv[++i];
		} else if (strcmp(o, "--mail-from") == 0) {
			f.mail_from = argv[++i];
		} else if (strcmp(o, "--rcpt") == 0) {
			f.rcpt = argv[++i];
		} else if (strcmp(o, "--dns-file") == 0) {
			dns_file = argv[++i];
		} else if (strcmp(o, "--max-spool") == 0) {
			if (cli_parse_size(argv[++i], &spool_max) != 0) {
				cli_error("policy: --max-spool takes a size in bytes, or with k, M or G");
				return CLI_USAGE;
			}
		} else {
			cli_error("policy: unknown option %s", o);
			return CLI_USAGE;
		}
	}
	if (i + 1 != argc) {
		cli_error("policy: expected one message file");
		return CLI_USAGE;
	}
	if (key_file && dns_file) {
		cli_error("policy: --key-file or --dns-file, not both");
		return CLI_USAGE;
	}
	if (key_file && !(ks = keyfile_open(key_file, &err))) {
		cli_error("policy: %s", err.msg);
		return err.code == MS_ERR_IO ? CLI_IO : CLI_USAGE;
	}
	/* one zone file answers the keys and SPF */
	if (dns_file) {
		dns = zonefile_load(dns_file, &err);
		if (!dns) {
			cli_error("policy: %s", err.msg);
			return err.code == MS_ERR_IO ? CLI_IO : CLI_USAGE;
		}
		ks = dnsqkeys_new(dns);
	}
	if (f.client_ip && !f.mail_from)
		f.mail_from = "";       /* --ip alone: the null sender */
	p = ks ? policy_new_with_keys(cfg, ks, &err) : policy_new(cfg, &err);
	if (!p) {
		cli_error("policy: %s", err.msg);
		keysource_destroy(ks);
		dnsq_destroy(dns);
		return CLI_USAGE;
	}
	if (dns)
		policy_set_dns(p, dns);
	in = fopen(argv[i], "rb");
	if (!in) {
		cli_error("%s: %s", argv[i], strerror(errno));
		policy_free(p);
		keysource_destroy(ks);
		dnsq_destroy(dns);
		return CLI_IO;
	}
	/* --message reads the message twice: a pipe or a device is
	 * spooled as it is read the first time */
	if (message && (fstat(fileno(in), &st) != 0 || !S_ISREG(st.st_mode)) &&
	    !(spool = cli_spool_open(&err))) {
		cli_error("%s: %s", argv[i], err.msg);
		fclose(in);
		policy_free(p);
		keysource_destroy(ks);
		dnsq_destroy(dns);
		return CLI_IO;
	}
	chunk = malloc(MS_IO_CHUNK);
	if (!chunk) {
		cli_error("out of memory");
		if (spool)
			fclose(spool);
		fclose(in);
		policy_free(p);
		keysource_destroy(ks);
		dnsq_destroy(dns);
		return CLI_IO;
	}
	m = policy_begin(p, &f);
	r = cli_read_message(in, policy_feed_chunk, m, spool, spool_max, NULL,
			     &err);
	if (r == CLI_READ_SPOOL_FULL || r == CLI_READ_ERROR) {
		cli_error("%s: %s", argv[i], err.msg);
		rc = CLI_IO;
	} else {
		policy_finish(m, &v);
		if (!message)
			print_verdict(stdout, &v);
		else if (v.action != POLICY_ACCEPT)
			print_verdict(stderr, &v);
		else
			rc = print_message(spool ? spool : in, &v, chunk);
		/* the verdict says it too; the status tells a script that
		 * this input was not read as a message */
		if (r == CLI_READ_HEADER_LIMIT) {
			cli_error("%s: %s; the rest was not read", argv[i],
				  err.msg);
			rc = CLI_IO;
		}
	}
	policy_msg_free(m);
	free(chunk);
	if (spool)
		fclose(spool);
	fclose(in);
	policy_free(p);
	keysource_destroy(ks);
	dnsq_destroy(dns);
	return rc;
}
