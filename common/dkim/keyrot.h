/*
 * keyrot.h - the state of one domain's key rotation, as `mailseal key`
 * keeps it in KEY_DIR/DOMAIN/rotation (docs/keys.md has the states and
 * the commands that move them on).
 *
 * The file is written by mailseal and read back by it (an
 * administrator may repair it by hand); lines of blank-separated
 * fields, '#' starts a comment:
 *
 *     domain example.com
 *     state grace                       publish | grace | done
 *     started 1773482400                Unix time the rotation began
 *     since 1773486000                  ... the state began
 *     key OLDSEL OLDKEYFILE NEWSEL NEWKEYFILE
 *     key - - NEWSEL NEWKEYFILE         a key added, replacing none
 *
 * Every line but `key` exactly once, `key` from one to
 * MS_MAX_SIGN_KEYS times, each new selector once.  Errors name the
 * origin and the line.  The struct owns its strings (keyrot_free).
 */
#ifndef MAILSEAL_KEYROT_H
#define MAILSEAL_KEYROT_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "ms_limits.h"
#include "status.h"

enum keyrot_state {
	KEYROT_PUBLISH = 1,             /* new keys made, not signing yet */
	KEYROT_GRACE,                   /* old and new keys both sign */
	KEYROT_DONE,                    /* the old keys no longer sign */
};

struct keyrot_key {
	char *old_selector;             /* NULL: a key added */
	char *old_keyfile;
	char *new_selector;
	char *new_keyfile;
};

struct keyrot {
	char *domain;
	enum keyrot_state state;
	uint64_t started;               /* Unix time */
	uint64_t since;                 /* of the state */
	size_t nkeys;
	struct keyrot_key key[MS_MAX_SIGN_KEYS];
};

#define KEYROT_MAX_FILE (64 * 1024)

/* keyrot_parse - a state file's bytes into r (emptied first; freed
 * on error); origin names them in errors */
enum ms_status keyrot_parse(const unsigned char *p, size_t len,
			    const char *origin, struct keyrot *r,
			    struct ms_error *err);
/* keyrot_load - the state file at path */
enum ms_status keyrot_load(const char *path, struct keyrot *r,
			   struct ms_error *err);
/* keyrot_format - r as a state file, appended to out */
enum ms_status keyrot_format(const struct keyrot *r, struct buf *out);
/* keyrot_add_key - one more pair (strings copied; old_selector NULL
 * for none); MS_ERR_LIMIT past MS_MAX_SIGN_KEYS */
enum ms_status keyrot_add_key(struct keyrot *r, const char *old_selector,
			      const char *old_keyfile,
			      const char *new_selector,
			      const char *new_keyfile);
/* keyrot_free - release the strings; r is empty again */
void keyrot_free(struct keyrot *r);
/* keyrot_state_str - "publish", "grace", "done" */
const char *keyrot_state_str(enum keyrot_state s);

#endif
