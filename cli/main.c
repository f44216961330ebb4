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
	"         [--max-spool SIZE] [--out-dir DIR] [FILE...]\n"
	"  verify [--key-file KEYS] [--max-signatures N] [--stats] [FILE...]\n"
	"  policy [--auth USER] [--local] [--mode sign|verify|skip]\n"
	"         [--key-file KEYS | --dns-file ZONEFILE] [--txid ID] [--hostname NAME]\n"
	"         [--ip IP] [--helo NAME] [--mail-from ADDR] [--rcpt ADDR]\n"
	"         [--message [--max-spool SIZE]] FILE\n"
	"  spf    --ip IP [--helo NAME] [--mail-from ADDR] [--receiver NAME]\n"
	"         [--dns-file ZONEFILE]\n"
	"  dmarc-report --day YYYY-MM-DD --out DIR [--send] [--dns-file ZONEFILE]\n"
	"         [--sendmail PATH]\n"
	"  complaint [--reporter IDENTITY | --reporter-env VAR] < REPORT\n"
	"  revoke add domain DOMAIN|spki HEX [--why TEXT] | remove ID | list | show ID\n"
	"         | import-crl FILE [--ca CERT] [--why TEXT] | export postfix\n"
	"  complaints list | show ID\n"
	"  stats  [--node NAME | --total] | --forget NODE\n"
	"         the farm's counters (farm_stats), Prometheus text\n"
	"  testkey [-d DOMAIN -s SELECTOR -k KEY.pem]   is the key published?\n"
	"  key rotate -d DOMAIN [-t rsa|ed25519]... [-b BITS]\n"
	"  key step [-d DOMAIN] [-q] | key status [-d DOMAIN] | key abort -d DOMAIN\n"
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

/* cli_config_none - for commands that take no setting (keygen; sign,
 * whose keys all come from -k) */
static enum cli_config_need cli_config_none(int argc, char **argv)
{
	return CLI_CONFIG_NONE;
}

/* need NULL: the command needs the configuration */
/* spf_config_need - `spf --dns-file` takes nothing from the file; with
 * DNS it needs the resolver settings */
static enum cli_config_need spf_config_need(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--dns-file") == 0)
			return CLI_CONFIG_NONE;
	return CLI_CONFIG_REQUIRED;
}

static const struct {
	const char *name;
	int (*fn)(const struct ms_config *cfg, int argc, char **argv);
	enum cli_config_need (*need)(int argc, char **argv);
} cli_commands[] = {
	{ "keygen", cmd_keygen, cli_config_none },
	{ "sign", cmd_sign, cli_config_none },
	{ "verify", cmd_verify, verify_config_need },
	{ "policy", cmd_policy, NULL },
	{ "spf", cmd_spf, spf_config_need },
	{ "dmarc-report", cmd_dmarc_report, NULL },
	{ "complaint", cmd_complaint, NULL },
	{ "revoke", cmd_revoke, NULL },
	{ "complaints", cmd_revoke, NULL },
	{ "stats", cmd_stats, NULL },
	{ "testkey", cmd_testkey, NULL },
	{ "key", cmd_key, NULL },
};

/* cli_config_need - what the command line's command takes from the
 * configuration; an unknown command none (it is only refused) */
static enum cli_config_need cli_config_need(int argc, char **argv)
{
	size_t k;

	if (strcmp(argv[0], "config") == 0)
		return CLI_CONFIG_REQUIRED;
	for (k = 0; k < sizeof(cli_commands) / sizeof(cli_commands[0]); k++)
		if (strcmp(argv[0], cli_commands[k].name) == 0)
			return cli_commands[k].need
			       ? cli_commands[k].need(argc, argv)
			       : CLI_CONFIG_REQUIRED;
	return CLI_CONFIG_NONE;
}

/* cli_run - run the command with cfg, or with the defaults when cfg is
 * NULL (a command that needs none, or whose configuration did not load) */
static int cli_run(const struct ms_config *cfg, const char *path, int argc,
		   char **argv)
{
	struct ms_config defaults;
	int rc = -1;
	size_t k;

	config_init(&defaults);
	if (!cfg)
		cfg = &defaults;
	if (strcmp(argv[0], "config") == 0)
		rc = cmd_config(cfg, path, argc, argv);
	for (k = 0; rc < 0 &&
	     k < sizeof(cli_commands) / sizeof(cli_commands[0]); k++)
		if (strcmp(argv[0], cli_commands[k].name) == 0)
			rc = cli_commands[k].fn(cfg, argc, argv);
	config_free(&defaults);
	if (rc >= 0)
		return rc;
	cli_error("unknown command \"%s\"", argv[0]);
	fputs(cli_usage, stderr);
	return CLI_USAGE;
}

int main(int argc, char **argv)
{
	const char *path = MAILSEAL_DEFAULT_CONFIG;
	struct ms_config cfg;
	struct ms_error err;
	enum cli_config_need need;
	int explicit = 0, absent = 0, i = 1, rc;

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
	/* a broken configuration file must not stop what needs none of it */
	need = cli_config_need(argc - i, argv + i);
	if (need == CLI_CONFIG_NONE)
		return cli_run(NULL, path, argc - i, argv + i);

	config_init(&cfg);
	/* an absent default file means the defaults; a named one must
	 * exist, and one that cannot be read is an error, never absent */
	if (config_load_opt(&cfg, path, !explicit, &absent, &err) != MS_OK) {
		config_free(&cfg);
		if (need == CLI_CONFIG_OPTIONAL) {
			cli_error("warning: %s; %s goes on with the default settings",
				  err.msg, argv[i]);
			return cli_run(NULL, path, argc - i, argv + i);
		}
		if (strcmp(argv[i], "config") == 0)
			fprintf(stderr, "%s\n", err.msg);
		else
			cli_error("%s", err.msg);
		if (strcmp(argv[i], "config") == 0)
			return 1;               /* the check failed */
		return err.code == MS_ERR_IO ? CLI_IO : CLI_USAGE;
	}
	rc = cli_run(&cfg, absent ? NULL : path, argc - i, argv + i);
	config_free(&cfg);
	return rc;
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
		if (*cfg->signing_table && !*cfg->sending_rights)
			fprintf(stderr, "%s: warning: any authenticated user, and "
				"any local user through sendmail(1), can sign for "
				"every domain of %s: set sending_rights to say who "
				"may use which From (docs/policy.md)\n", name,
				cfg->signing_table);
		config_warn_exim(cfg, name);
		config_warn_postfix(cfg, name);
		if (*cfg->require_tls || *cfg->tls_pins)
			fprintf(stderr, "%s: warning: require_tls and tls_pins are "
				"deprecated: move them into tls_policy (docs/tls.md)\n",
				name);
		printf("%s: ok\n", name);
		return CLI_OK;
	}
	cli_error("config: expected no argument, --all or check");
	return CLI_USAGE;
}
