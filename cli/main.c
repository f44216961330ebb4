/*
 * main.c - the mailseal command: dispatch to a subcommand.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char cli_usage[] =
	"usage: mailseal COMMAND [OPTIONS]\n"
	"\n"
	"commands:\n"
	"  keygen -d DOMAIN -s SELECTOR [-t rsa|ed25519] [-b BITS] [-o DIR]\n"
	"  sign   -d DOMAIN -s SELECTOR -k KEY.pem [-a ALG] [-c HDR/BODY]\n"
	"         [-H h1:h2:...] [-i IDENTITY] [-x SECONDS] [-d ... -s ... -k ...]\n"
	"         [--out-dir DIR] [FILE...]\n"
	"  verify --key-file KEYS [--max-signatures N] [FILE...]\n"
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

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(cli_usage, stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "keygen") == 0)
		return cmd_keygen(argc - 1, argv + 1);
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(cli_usage, stdout);
		return CLI_OK;
	}
	cli_error("unknown command \"%s\"", argv[1]);
	fputs(cli_usage, stderr);
	return CLI_USAGE;
}
