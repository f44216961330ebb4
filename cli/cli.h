/*
 * cli.h - the mailseal command: shared pieces of the subcommands.
 *
 * Exit status of every subcommand: 0 done (whatever the verdicts),
 * 1 an input or output failed, or a message's header block broke a
 * limit and was read no further (named on stderr), 2 usage error;
 * testkey and key also 1 for a record that does not hold its key, and
 * 3 (CLI_LATER) for "ask again later".
 */
#ifndef MAILSEAL_CLI_H
#define MAILSEAL_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "dkim_sig.h"
#include "status.h"

#define CLI_OK 0
#define CLI_IO 1
#define CLI_USAGE 2
#define CLI_LATER 3     /* testkey, key step: DNS could not say, or a
			 * rotation waits: nothing wrong, ask again later */

/* cli_error - "mailseal: ..." on stderr */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A message that must be read twice but comes on a pipe is spooled to
 * a file; this much by default (above the message size limits of
 * Exim, 50 MB, and Postfix, 10 MB), more with --max-spool. */
#define CLI_SPOOL_MAX_DEFAULT ((uint64_t)64 << 20)

/* what cli_read_message saw */
enum cli_read {
	CLI_READ_END = 0,               /* the whole input was fed */
	CLI_READ_HEADER_LIMIT,          /* the header block broke a limit:
					 * the rest was not read */
	CLI_READ_SPOOL_FULL,            /* more than spool_max bytes */
	CLI_READ_ERROR,                 /* reading or spooling failed */
};

/* cli_feed_fn - hands the next chunk of a message to an engine */
typedef void (*cli_feed_fn)(void *arg, const unsigned char *p, size_t len);

/* cli_read_message - feed the message in `in` to feed(arg) chunk by
 * chunk, to its end or until its header block breaks a limit of
 * ms_limits.h (the engines ignore the rest, and /dev/zero never ends).
 * With spool, every byte read is copied there too, at most spool_max,
 * and the spool is rewound at the end.  nread (may be NULL) gets the
 * bytes fed; err says why on anything but CLI_READ_END. */
enum cli_read cli_read_message(FILE *in, cli_feed_fn feed, void *arg,
			       FILE *spool, uint64_t spool_max,
			       uint64_t *nread, struct ms_error *err);
/* cli_spool_open - an anonymous read-write file in $TMPDIR or /tmp */
FILE *cli_spool_open(struct ms_error *err);
/* cli_parse_size - "N", "Nk", "NM", "NG" (powers of 1024), above 0;
 * -1 for anything else */
int cli_parse_size(const char *s, uint64_t *out);

typedef struct evp_pkey_st EVP_PKEY;

/* a key pair made on disk (keymake.c) */
struct cli_newkey {
	char *priv_path;                /* DIR/SELECTOR.private, mode 0600 */
	char *txt_path;                 /* DIR/SELECTOR.txt: zone_line */
	char *zone_line;                /* the record to publish, as a
					 * zone-file line (no newline) */
};

/* cli_mkdirs - path and every missing directory above it, made with
 * mode (less the umask); CLI_OK, or an error printed */
int cli_mkdirs(const char *path, unsigned mode);
/* cli_key_make - a new key of alg (RSA of bits) for selector at
 * domain, written into the directory dir (which exists): the private
 * key (never over an existing one) and its record; CLI_OK, or an error
 * printed and nothing left behind */
int cli_key_make(const char *domain, const char *selector,
		 enum dkim_alg alg, unsigned bits, const char *dir,
		 struct cli_newkey *out);
/* cli_key_record - the DKIM key record of pkey ("v=DKIM1; k=TYPE;
 * p=...") appended to rec; CLI_OK, or an error said */
int cli_key_record(EVP_PKEY *pkey, struct buf *rec);
/* cli_newkey_free - release what cli_key_make filled */
void cli_newkey_free(struct cli_newkey *k);
/* cli_zone_line - "SELECTOR._domainkey.DOMAIN.<TAB>IN<TAB>TXT<TAB>(
 * "..." ... )", record cut into strings of at most 255 bytes;
 * allocated */
char *cli_zone_line(const char *domain, const char *selector,
		    const char *record);

struct keysource;
struct keycheck;

/* cli_key_dns - the key source of testkey and key: DNS itself (the
 * configured resolver; libunbound, validating, with dns_trust_anchor),
 * never a cache; the caller destroys it */
struct keysource *cli_key_dns(const struct ms_config *cfg);
/* cli_keycheck_print - one verdict as a line: "NAME: VERDICT: why
 * (key FILE); DNSSEC ..." */
void cli_keycheck_print(FILE *out, const struct ms_config *cfg,
			const char *domain, const char *selector,
			const char *keyfile, const struct keycheck *kc);
/* cli_keycheck_rc - a verdict's exit status: CLI_OK, CLI_LATER for a
 * temporary failure, CLI_IO for any other */
int cli_keycheck_rc(const struct keycheck *kc);
/* cli_worse - two exit statuses of CLI_OK, CLI_LATER and CLI_IO as
 * one: CLI_IO over CLI_LATER over CLI_OK */
int cli_worse(int a, int b);

/* what a command takes from the configuration file: a command that
 * needs no setting must work whatever state the file is in */
enum cli_config_need {
	CLI_CONFIG_NONE = 0,            /* not read: the defaults */
	CLI_CONFIG_OPTIONAL,            /* read; one that does not load is a
					 * warning, and the defaults serve */
	CLI_CONFIG_REQUIRED,            /* one that does not load stops it */
};

/* verify_config_need - what `verify ARGS` takes from it */
enum cli_config_need verify_config_need(int argc, char **argv);

/* config_warn_exim - `config check`: warn on stderr when
 * dns_message_budget is not below Exim's local_scan_timeout (asks
 * exim4 -bP when it is on PATH); never fails */
void config_warn_exim(const struct ms_config *cfg, const char *path);
/* config_warn_postfix - `config check`: warn on stderr when Postfix's
 * restrictions let client certificates grant relaying while a TLS
 * policy is configured (postconf on PATH; nothing when it is not) */
void config_warn_postfix(const struct ms_config *cfg, const char *path);
/* cli_ask - run argv from PATH, its standard output into answer (at most
 * size bytes) within timeout_ms: the length, or -1 (could not run, too
 * slow: killed, or a non-zero exit) */
long cli_ask(char *const argv[], unsigned char *answer, size_t size,
	     unsigned timeout_ms);

/* each command gets the loaded configuration (the defaults when it
 * needs none) */
int cmd_keygen(const struct ms_config *cfg, int argc, char **argv);
int cmd_sign(const struct ms_config *cfg, int argc, char **argv);
int cmd_verify(const struct ms_config *cfg, int argc, char **argv);
int cmd_policy(const struct ms_config *cfg, int argc, char **argv);
int cmd_spf(const struct ms_config *cfg, int argc, char **argv);
int cmd_dmarc_report(const struct ms_config *cfg, int argc, char **argv);
int cmd_complaint(const struct ms_config *cfg, int argc, char **argv);
/* cmd_revoke - "revoke ..." and "complaints ..." (argv[0] says which) */
int cmd_revoke(const struct ms_config *cfg, int argc, char **argv);
int cmd_stats(const struct ms_config *cfg, int argc, char **argv);
int cmd_testkey(const struct ms_config *cfg, int argc, char **argv);
int cmd_key(const struct ms_config *cfg, int argc, char **argv);
int cmd_config(const struct ms_config *cfg, const char *path, int argc,
	       char **argv);

#endif
