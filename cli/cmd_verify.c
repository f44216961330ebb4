/*
 * cmd_verify.c - mailseal verify: one line per signature per message.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dkim_verify.h"
#include "keychain.h"
#include "keyfile.h"
#include "ms_limits.h"
#include "numparse.h"

/* verify_print - "FILE<TAB>dkim=RESULT header.d=... reason=..." */
static void verify_print(const char *name, const struct dkim_sig_result *r)
{
	const char *p;

	printf("%s\tdkim=%s", name, dkim_result_str(r->result));
	if (r->domain)
		printf(" header.d=%s", r->domain);
	if (r->selector)
		printf(" header.s=%s", r->selector);
	if (r->alg) {
		fputs(" header.a=", stdout);
		for (p = r->alg; *p; p++)       /* a= is untrusted text */
			putchar((unsigned char)*p > 32 && *p != 127 ? *p : '?');
	}
	if (r->dnssec)
		fputs(" dnssec=yes", stdout);
	if (r->seen_count)
		printf(" seen=%llu", (unsigned long long)r->seen_count);
	if (r->reason) {
		fputs(" reason=\"", stdout);
		for (p = r->reason; *p; p++) {
			unsigned char c = (unsigned char)*p;

			if (c == '"' || c == '\\')
				putchar('\\');
			putchar(c >= 32 && c != 127 ? c : '?');
		}
		putchar('"');
	}
	putchar('\n');
}

/* verify_feed - one chunk to the verifier */
static void verify_feed(void *arg, const unsigned char *p, size_t len)
{
	dkim_verify_feed(arg, p, len);
}

/* verify_one - verify the message in `in`, print its lines */
static int verify_one(struct dkim_verifier *v, FILE *in, const char *name)
{
	struct dkim_verify *m = dkim_verify_begin(v);
	struct dkim_verify_outcome oc;
	struct ms_error err, rerr;
	enum cli_read r;
	char path[PATH_MAX];
	size_t i;
	int rc = CLI_OK;

	/* the CLI's transaction is the file */
	dkim_verify_set_txid(m, strcmp(name, "-") != 0 && realpath(name, path)
			     ? path : name);
	r = cli_read_message(in, verify_feed, m, NULL, 0, NULL, &rerr);
	if (r != CLI_READ_END && r != CLI_READ_HEADER_LIMIT) {
		cli_error("%s: %s", name, rerr.msg);
		rc = CLI_IO;
		goto out;
	}
	if (dkim_verify_finish(m, &oc, &err) != MS_OK) {
		cli_error("%s: %s", name, err.msg);
		rc = CLI_IO;
		goto out;
	}
	if (oc.nresults == 0 && oc.skipped == 0)
		printf("%s\tdkim=none\n", name);
	for (i = 0; i < oc.nresults; i++)
		verify_print(name, &oc.results[i]);
	for (i = 0; i < oc.skipped; i++)
		printf("%s\tdkim=policy reason=\"not evaluated: more than %zu signatures\"\n",
		       name, oc.nresults);
	fflush(stdout);         /* each message's verdict as soon as it is known */
	/* the verdict says it too; the status tells a script that this
	 * input was not read as a message */
	if (r == CLI_READ_HEADER_LIMIT) {
		cli_error("%s: %s; the rest was not read", name, rerr.msg);
		rc = CLI_IO;
	}
out:
	dkim_verify_free(m);
	return rc;
}

/* what the command line of verify says */
struct verify_args {
	const char *key_file;
	int stats;
	int have_max;                   /* --max-signatures was given */
	uint64_t max;
	int first_file;
};

/* verify_parse - the options; quiet: no message on a usage error (the
 * command itself says it later) */
static int verify_parse(int argc, char **argv, struct verify_args *a,
			int quiet)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *o = argv[i];

		if (strcmp(o, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(o, "--stats") == 0) {
			a->stats = 1;
			continue;
		}
		if (i + 1 >= argc) {
			if (!quiet)
				cli_error("verify: option %s needs a value", o);
			return CLI_USAGE;
		}
		if (strcmp(o, "--key-file") == 0)
			a->key_file = argv[++i];
		else if (strcmp(o, "--max-signatures") == 0) {
			const char *val = argv[++i];

			if (num_parse_u64((const unsigned char *)val, strlen(val),
					  MS_MAX_SIGS, &a->max) != MS_OK ||
			    a->max == 0) {
				if (!quiet)
					cli_error("verify: --max-signatures takes 1 to %d",
						  MS_MAX_SIGS);
				return CLI_USAGE;
			}
			a->have_max = 1;
		} else {
			if (!quiet)
				cli_error("verify: unknown option %s", o);
			return CLI_USAGE;
		}
	}
	a->first_file = i;
	return CLI_OK;
}

/* verify_config_need - with --key-file, verify takes one setting,
 * max_signatures, and none when --max-signatures is given; a usage
 * error is reported before any configuration is read */
enum cli_config_need verify_config_need(int argc, char **argv)
{
	struct verify_args a;

	if (verify_parse(argc, argv, &a, 1) != CLI_OK)
		return CLI_CONFIG_NONE;
	if (!a.key_file)
		return CLI_CONFIG_REQUIRED;
	return a.have_max ? CLI_CONFIG_NONE : CLI_CONFIG_OPTIONAL;
}

int cmd_verify(const struct ms_config *cfg, int argc, char **argv)
{
	struct dkim_verifier_opts opts = { 0 };
	struct dkim_verifier *v = NULL;
	struct keysource *ks = NULL;
	struct keychain chain = { 0 };
	struct verify_args a;
	const char *key_file;
	struct ms_error err;
	uint64_t max;
	int i, stats, rc;

	rc = verify_parse(argc, argv, &a, 0);
	if (rc != CLI_OK)
		return rc;
	key_file = a.key_file;
	stats = a.stats;
	max = a.have_max ? a.max : cfg->max_signatures;
	i = a.first_file;
	if (key_file) {
		ks = keyfile_open(key_file, &err);
		if (!ks) {
			cli_error("verify: %s", err.msg);
			return err.code == MS_ERR_IO ? CLI_IO : CLI_USAGE;
		}
	} else {
		if (keychain_open(&chain, cfg, &err) != MS_OK) {
			cli_error("verify: %s", err.msg);
			return CLI_USAGE;
		}
		keychain_verifier_opts(&chain, cfg, &opts);
		ks = chain.ks;
	}
	opts.max_sigs = (size_t)max;
	v = dkim_verifier_new(&opts, ks);
	if (i == argc) {
		rc = verify_one(v, stdin, "-");
		goto out;
	}
	for (; i < argc; i++) {
		FILE *in;

		if (strcmp(argv[i], "-") == 0) {
			if (verify_one(v, stdin, "-") != CLI_OK)
				rc = CLI_IO;
			continue;
		}
		in = fopen(argv[i], "rb");
		if (!in) {
			cli_error("%s: %s", argv[i], strerror(errno));
			rc = CLI_IO;
			continue;
		}
		if (verify_one(v, in, argv[i]) != CLI_OK)
			rc = CLI_IO;
		fclose(in);
	}
out:
	if (stats) {
		struct keychain_stats kst = { 0 };

		if (chain.ks)
			keychain_stats(&chain, &kst);
		printf("stats: dns_queries=%lu local_hits=%lu redis_hits=%lu redis_errors=%lu"
		       " redis_timeouts=%lu redis_skipped=%lu redis_outages=%lu"
		       " redis_unvalidated=%lu redis_redirects=%lu\n",
		       kst.dns_queries, kst.local_hits, kst.redis_hits,
		       kst.redis_errors, kst.redis_timeouts, kst.redis_skipped,
		       kst.redis_outages, kst.redis_unvalidated,
		       kst.redis_redirects);
	}
	dkim_verifier_free(v);
	if (chain.ks)
		keychain_close(&chain);
	else
		keysource_destroy(ks);
	return rc;
}
