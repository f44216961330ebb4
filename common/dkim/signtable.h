/*
 * signtable.h - the signing table: which keys sign mail from which
 * domain (the signing_table setting).
 *
 * A file of lines "DOMAIN SELECTOR KEYFILE": DOMAIN as domainlist.h
 * reads it (".example.com" for its subdomains), the selector, and a
 * PEM private key whose type gives the algorithm.  Several lines for
 * one DOMAIN give several signatures (RSA and Ed25519, say).  '#'
 * starts a comment.  Every key is loaded once, when the table is; an
 * unreadable or unusable key is an error naming file and line, so a
 * broken table is noticed before any message is accepted unsigned.
 *
 * The signing domain (d=) of a line is its DOMAIN without the leading
 * dot: a ".example.com" line signs mail from a.example.com as
 * example.com, with the key published under example.com.
 *
 * signtable_fields is the one reader of a line's fields, shared with
 * the editor of the table (stedit.h).
 */
#ifndef MAILSEAL_SIGNTABLE_H
#define MAILSEAL_SIGNTABLE_H

#include <stddef.h>
#include "status.h"

typedef struct evp_pkey_st EVP_PKEY;

#define SIGNTABLE_MAX_FILE (4 * 1024 * 1024)    /* bytes of the table */

struct signtable_entry {
	const char *pattern;            /* as written */
	const char *domain;             /* d= */
	const char *selector;           /* s= */
	const char *keyfile;
	EVP_PKEY *pkey;                 /* owned by the table */
};

struct signtable;

/* one field of a line: a slice of the line */
struct signtable_field {
	const char *p;
	size_t len;
};

/* signtable_fields - the blank-separated fields of one line (len bytes,
 * no newline; '#' starts a comment that runs to its end), the first n
 * of them into f; returns how many there are (more than n when there
 * are more) */
size_t signtable_fields(const char *line, size_t len,
			struct signtable_field *f, size_t n);

/* signtable_load - read path and every key it names */
struct signtable *signtable_load(const char *path, struct ms_error *err);
/* signtable_parse - the same from text; keys are still read from disk */
struct signtable *signtable_parse(const char *text, const char *origin,
				  struct ms_error *err);
/* signtable_entries - every line of the table (*n of them), grouped by
 * pattern */
const struct signtable_entry *signtable_entries(const struct signtable *st,
						size_t *n);
/* signtable_free - release the table and its keys */
void signtable_free(struct signtable *st);
/* signtable_lookup - the entries for mail from domain (the most
 * specific pattern that matches, every line of it); returns how many,
 * with *first pointing at them (consecutive), 0 when none */
size_t signtable_lookup(const struct signtable *st, const char *domain,
			const struct signtable_entry **first);

#endif
