/*
 * key.h - `mailseal key`: key rotation, shared by its files (cmd_key.c:
 * the commands, the files it keeps; keystep.c: moving a rotation on).
 *
 * The states, the commands and what each does are in docs/keys.md.
 * The one rule everything here keeps: a key signs only while DNS
 * publishes its record.  New keys join the signing table only once
 * the record of each is seen in DNS (keycheck.h, asked of DNS itself,
 * never of a cache); a key whose record DNS no longer publishes leaves
 * it at the next step; old keys leave it only after key_grace, while
 * the new ones are still seen.
 *
 * Files: KEY_DIR/DOMAIN/SELECTOR.private and .txt for each new key, and
 * KEY_DIR/DOMAIN/rotation for the state (keyrot.h); KEY_DIR/.lock
 * (flock) keeps two runs apart.  The signing table and the state are
 * replaced atomically (atomicfile.h), the table first: a step that
 * stops between the two is done again, to the same end, by the next
 * run (stedit.h's edits are idempotent).
 */
#ifndef MAILSEAL_CLI_KEY_H
#define MAILSEAL_CLI_KEY_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "keycheck.h"
#include "keyrot.h"
#include "keysource.h"
#include "stedit.h"

/* one run of a key command */
struct keyrun {
	const struct ms_config *cfg;
	struct keysource *ks;           /* DNS, opened on first use */
	int quiet;                      /* -q: say only what changed, and
					 * what is wrong */
	uint64_t now;                   /* Unix time of the run */
};

/* key_path - KEY_DIR/DOMAIN/NAME (NAME NULL: the directory);
 * allocated */
char *key_path(const struct ms_config *cfg, const char *domain,
	       const char *name);
/* key_when - t as "YYYY-MM-DD HH:MM:SS UTC" into buf */
const char *key_when(uint64_t t, char *buf, size_t size);
/* key_table_load - an editor over the signing table; CLI_OK or an
 * error said */
int key_table_load(const struct ms_config *cfg, struct stedit **e);
/* key_table_write - the edited table, checked (every line, every key
 * loads) then replaced atomically; CLI_OK or an error said, the table
 * left as it was */
int key_table_write(const struct ms_config *cfg, const struct stedit *e);
/* key_state_write - the rotation's state file, replaced atomically */
int key_state_write(const struct ms_config *cfg, const struct keyrot *r);
/* key_check - the record of selector at domain against the private
 * key in keyfile, asked of DNS; CLI_OK with kc filled, or an error
 * said (the key file cannot be read) */
int key_check(struct keyrun *k, const char *domain, const char *selector,
	      const char *keyfile, struct keycheck *kc);
/* key_say - "DOMAIN: ..." on stdout */
void key_say(const struct keyrot *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* key_step - move r on by one step if it can; CLI_OK (moved, or
 * nothing left to do), CLI_LATER (waiting: for DNS, or for time), or
 * CLI_IO (something is wrong, said) */
int key_step(struct keyrun *k, struct keyrot *r);

#endif
