/*
 * arena.h - per-message arena.
 *
 * Parse products and results of one message are allocated here and
 * released together by arena_free.  Allocations are never freed one by
 * one.  Out of memory goes to the xalloc hook.
 */
#ifndef MAILSEAL_ARENA_H
#define MAILSEAL_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t total;                   /* bytes handed out, for tests */
};

/* arena_init - empty arena */
void arena_init(struct arena *a);
/* arena_free - release everything allocated from a */
void arena_free(struct arena *a);
/* arena_alloc - n zeroed bytes aligned for any type */
void *arena_alloc(struct arena *a, size_t n);
/* arena_memdup - copy of n bytes, NUL-terminated */
char *arena_memdup(struct arena *a, const void *p, size_t n);
/* arena_strdup - copy of a C string */
char *arena_strdup(struct arena *a, const char *s);

#endif
