/*
 * keyfile.h - a key source read from a file.
 *
 * Each line: NAME TXT-DATA, where NAME is selector._domainkey.domain
 * (trailing dot optional, case-insensitive) and TXT-DATA is either bare
 * text or zone-file quoted strings ("..." "...", concatenated, with \"
 * \\ and \DDD escapes).  A zone-file line as "mailseal keygen" writes
 * it (NAME [TTL] [IN] TXT ( "..." "..." )) is accepted too, on one line
 * or continued over lines inside parentheses.  '#' or ';' outside
 * quotes starts a comment.  Several lines with one name give several
 * records.  Names not in the file are KEY_NOTFOUND.  Answers carry a TTL
 * of one day, for caches in front of the file.
 */
#ifndef MAILSEAL_KEYFILE_H
#define MAILSEAL_KEYFILE_H

#include <stddef.h>
#include "keysource.h"
#include "status.h"

/* keyfile_open - read and parse path */
struct keysource *keyfile_open(const char *path, struct ms_error *err);
/* keyfile_parse - parse file contents; origin names it in errors */
struct keysource *keyfile_parse(const unsigned char *p, size_t len,
				const char *origin, struct ms_error *err);

#endif
