/*
 * arena.c - per-message arena: a list of chunks, freed together.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "xalloc.h"

#define ARENA_CHUNK 4096

struct arena_chunk {
	struct arena_chunk *next;
	size_t used;
	size_t size;
	alignas(max_align_t) unsigned char data[];
};

/* arena_init - empty arena */
void arena_init(struct arena *a)
{
	a->head = NULL;
	a->total = 0;
}

/* arena_free - release everything allocated from a */
void arena_free(struct arena *a)
{
	struct arena_chunk *c, *next;

	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->total = 0;
}

/* arena_alloc - n zeroed bytes aligned for any type */
void *arena_alloc(struct arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	struct arena_chunk *c = a->head;
	size_t size;
	void *p;

	if (n > (size_t)-1 / 2)
		return xmalloc((size_t)-1);     /* reaches the hook */
	n = (n + align - 1) & ~(align - 1);
	if (!c || c->size - c->used < n) {
		size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		c = xmalloc(sizeof(*c) + size);
		c->used = 0;
		c->size = size;
		/* a big block goes behind the current chunk so that the
		 * current one keeps serving small requests */
		if (a->head && n > ARENA_CHUNK) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	p = c->data + c->used;
	c->used += n;
	a->total += n;
	memset(p, 0, n);
	return p;
}

/* arena_memdup - copy of n bytes, NUL-terminated */
char *arena_memdup(struct arena *a, const void *p, size_t n)
{
	char *d = arena_alloc(a, n + 1);

	if (n)
		memcpy(d, p, n);
	d[n] = 0;
	return d;
}

/* arena_strdup - copy of a C string */
char *arena_strdup(struct arena *a, const char *s)
{
	return arena_memdup(a, s, strlen(s));
}
