/*
 * main.c - the mailseal command: dispatch to a subcommand.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "policy.h"

static const char cli_usage[] =
	"usage: mailseal [-c CONFIG] COMMAND [OPTIONS]\n"
	"\n"
	"commands:\n"
	"  keygen -d DOMAIN -s SELECTOR [-t rsa|ed25519] [-b BITS] [-o DIR]\n"
	"  sign   -d DOMAIN -s SELECTOR -k KEY.pem [-a ALG] [-c HDR/BODY]\n"
	"         [-H h1:h2:...] [-i IDENTITY] [-x SECONDS] [-d ... -s ... -k ...]\n"
	"         [--out-dir DIR] [FILE...]\n"
	"  verify [--key-file KEYS] [--max-signatures N] [--stats] [FILE...]\n"
	"  policy [--auth USER] [--local] [--mode sign|verify|skip]\n"
	"         [--key-file KEYS] [--txid ID] [--hostname NAME] [--message] FILE\n"
	"  config [--all]     the settings that differ from the defaults\n"
	"  config check       validate the configuration, exit 1 on error\n"
	"\n"
	"See mailseal(1).\n";

/* cli_error - "mailseal: ..." on stderr */
void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("mailseal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const struct {
	const char *name;
	int (*fn)(const struct ms_config *cfg, int argc, char **argv);
} cli_commands[] = {
	{ "keygen", cmd_keygen },
	{ "sign", cmd_sign },
	{ "verify", cmd_verify },
	{ "policy", cmd_policy },
};

int main(int argc, char **argv)
{
	const char *path = MAILSEAL_DEFAULT_CONFIG;
	struct ms_config cfg;
	struct ms_error err;
	int explicit = 0, absent = 0, i = 1, rc;
	size_t k;

	if (argc > 2 && strcmp(argv[1], "-c") == 0) {
		path = argv[2];
		explicit = 1;
		i = 3;
	}
	if (i >= argc) {
		fputs(cli_usage, stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ||
	    strcmp(argv[i], "help") == 0) {
		fputs(cli_usage, stdout);
		return CLI_OK;
	}
	config_init(&cfg);
	/* an absent default file means the defaults; a named one must
	 * exist, and one that cannot be read is an error, never absent */
	if (config_load_opt(&cfg, path, !explicit, &absent, &err) != MS_OK) {
		config_free(&cfg);
		if (strcmp(argv[i], "config") == 0)
			fprintf(stderr, "%s\n", err.msg);
		else
			cli_error("%s", err.msg);
		if (strcmp(argv[i], "config") == 0)
			return 1;               /* the check failed */
		return err.code == MS_ERR_IO ? CLI_IO : CLI_USAGE;
	}
	if (strcmp(argv[i], "config") == 0) {
		rc = cmd_config(&cfg, absent ? NULL : path, argc - i, argv + i);
		config_free(&cfg);
		return rc;
	}
	for (k = 0; k < sizeof(cli_commands) / sizeof(cli_commands[0]); k++) {
		if (strcmp(argv[i], cli_commands[k].name) == 0) {
			rc = cli_commands[k].fn(&cfg, argc - i, argv + i);
			config_free(&cfg);
			return rc;
		}
	}
	config_free(&cfg);
	cli_error("unknown command \"%s\"", argv[i]);
	fputs(cli_usage, stderr);
	return CLI_USAGE;
}

/* cmd_config - show or check the configuration */
int cmd_config(const struct ms_config *cfg, const char *path, int argc,
	       char **argv)
{
	if (argc == 1) {
		config_print(cfg, stdout, 0);
		return CLI_OK;
	}
	if (argc == 2 && strcmp(argv[1], "--all") == 0) {
		config_print(cfg, stdout, 1);
		return CLI_OK;
	}
	if (argc == 2 && strcmp(argv[1], "check") == 0) {
		const char *name = path ? path : "(no configuration file: defaults)";

		/* loading validated every setting; the files they name: */
		if (*cfg->dns_trust_anchor &&
		    access(cfg->dns_trust_anchor, R_OK) != 0) {
			fprintf(stderr, "%s: dns_trust_anchor %s: %s\n", name,
				cfg->dns_trust_anchor, strerror(errno));
			return 1;
		}
		/* the signing table (every key) and require_signed */
		{
			struct ms_error err;
			struct policy *p = policy_new(cfg, &err);

			if (!p) {
				fprintf(stderr, "%s: %s\n", name, err.msg);
				return 1;
			}
			policy_free(p);
		}
		/* not an error, but what a multi-tenant farm must know */
		if (*cfg->signing_table)
			fprintf(stderr, "%s: warning: any authenticated user, and "
				"any local user through sendmail(1), can sign for "
				"every domain of %s: mailseal has no per-user "
				"sending rights yet (docs/policy.md)\n", name,
				cfg->signing_table);
		printf("%s: ok\n", name);
		return CLI_OK;
	}
	cli_error("config: expected no argument, --all or check");
	return CLI_USAGE;
}
