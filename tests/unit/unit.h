/*
 * unit.h - the smallest table-driven test harness.
 *
 * Each check prints "ok NAME" or "not ok NAME - why"; tests/run counts
 * those lines.  main() is the test file's own; it ends with
 * "return unit_done();".
 */
#ifndef MAILSEAL_UNIT_H
#define MAILSEAL_UNIT_H

#include <stddef.h>

/* unit_check - record one check */
void unit_check(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* unit_fail - record a failure with a reason */
void unit_failf(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* unit_pass - record a pass */
void unit_pass(const char *name);
/* unit_done - exit status: 0 when nothing failed */
int unit_done(void);
/* unit_esc - p[0..len) with CR, LF, TAB, other control and 8-bit bytes
 * written as escapes, for check names (a raw CR or LF would break the
 * one-line-per-check protocol); the string lives until the fourth call
 * after this one */
const char *unit_esc(const void *p, size_t len);
/* unit_read_file - whole file into a malloc'd buffer (NUL-terminated);
 * path relative to $MAILSEAL_ROOT (or the cwd); NULL on error */
unsigned char *unit_read_file(const char *path, size_t *len);

#define CHECK(cond, ...) unit_check((cond), __VA_ARGS__)

#endif
