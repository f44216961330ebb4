/*
 * linetable.h - the files of lines that several settings name
 * (tls_pins, tls_policy, sending_rights): read whole (bounded, no NUL
 * byte), '#' starting a comment, each line handed to the table's own
 * parser with its number, so that every error can name the file and
 * line.
 */
#ifndef MAILSEAL_LINETABLE_H
#define MAILSEAL_LINETABLE_H

#include <stddef.h>
#include "status.h"

/* one line, its comment cut (it may be written to) */
typedef enum ms_status (*linetable_fn)(void *arg, char *line,
				       unsigned lineno, struct ms_error *err);

/* linetable_parse - every line of text to fn; stops at its first error */
enum ms_status linetable_parse(const char *text, linetable_fn fn, void *arg,
			       struct ms_error *err);
/* linetable_load - the file at path (at most max bytes) through
 * linetable_parse */
enum ms_status linetable_load(const char *path, size_t max, linetable_fn fn,
			      void *arg, struct ms_error *err);

#endif
