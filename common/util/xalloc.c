/*
 * xalloc.c - allocation with one failure hook.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void xalloc_default_fail(size_t size)
{
	fprintf(stderr, "mailseal: out of memory (%zu bytes)\n", size);
	abort();
}

/* Written once at start-up by an embedder, read-only afterwards. */
static xalloc_fail_fn xalloc_fail = xalloc_default_fail;

/* xalloc_set_fail_hook - install fn (NULL restores the default) */
void xalloc_set_fail_hook(xalloc_fail_fn fn)
{
	xalloc_fail = fn ? fn : xalloc_default_fail;
}

static void *xalloc_check(void *p, size_t size)
{
	if (!p) {
		xalloc_fail(size);
		abort();                /* the hook must not return */
	}
	return p;
}

void *xmalloc(size_t size)
{
	return xalloc_check(malloc(size ? size : 1), size);
}

void *xcalloc(size_t n, size_t size)
{
	if (size && n > (size_t)-1 / size)
		xalloc_check(NULL, (size_t)-1);
	return xalloc_check(calloc(n ? n : 1, size ? size : 1), n * size);
}

void *xrealloc(void *p, size_t size)
{
	return xalloc_check(realloc(p, size ? size : 1), size);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);

	memcpy(d, s, n);
	d[n] = 0;
	return d;
}
