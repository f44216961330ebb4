/*
 * xalloc.h - allocation with one failure hook.
 *
 * Out of memory is not an input error: every allocation in mailseal goes
 * through these functions, and on failure they call the hook, which by
 * default writes a line to stderr and aborts.  An embedding program may
 * install its own hook; the hook must not return.
 */
#ifndef MAILSEAL_XALLOC_H
#define MAILSEAL_XALLOC_H

#include <stddef.h>

typedef void (*xalloc_fail_fn)(size_t size);

/* xalloc_set_fail_hook - install fn (NULL restores the default) */
void xalloc_set_fail_hook(xalloc_fail_fn fn);

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
