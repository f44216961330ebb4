/*
 * cli.h - the mailseal command: shared pieces of the subcommands.
 *
 * Exit status of every subcommand: 0 done (whatever the verdicts),
 * 1 an input or output failed (named on stderr), 2 usage error.
 */
#ifndef MAILSEAL_CLI_H
#define MAILSEAL_CLI_H

#include <stdio.h>

#include "config.h"

#define CLI_OK 0
#define CLI_IO 1
#define CLI_USAGE 2

/* cli_error - "mailseal: ..." on stderr */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* each command gets the loaded configuration */
int cmd_keygen(const struct ms_config *cfg, int argc, char **argv);
int cmd_sign(const struct ms_config *cfg, int argc, char **argv);
int cmd_verify(const struct ms_config *cfg, int argc, char **argv);
int cmd_policy(const struct ms_config *cfg, int argc, char **argv);
int cmd_config(const struct ms_config *cfg, const char *path, int argc,
	       char **argv);

#endif
