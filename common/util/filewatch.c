/*
 * filewatch.c - file stamps and watches.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "filewatch.h"
#include "xalloc.h"

/* filestamp_take - the stamp of path now */
void filestamp_take(const char *path, struct filestamp *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (stat(path, &st) != 0)
		return;
	s->present = 1;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime = st.st_mtim;
}

/* filestamp_equal - the same file state? */
int filestamp_equal(const struct filestamp *a, const struct filestamp *b)
{
	if (a->present != b->present)
		return 0;
	return !a->present ||
	       (a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
		a->mtime.tv_sec == b->mtime.tv_sec &&
		a->mtime.tv_nsec == b->mtime.tv_nsec);
}

/* filestamp_changed - does path differ from s now? */
int filestamp_changed(const char *path, const struct filestamp *s)
{
	struct filestamp now;

	filestamp_take(path, &now);
	return !filestamp_equal(&now, s);
}

/* filewatch_init - an empty watch */
void filewatch_init(struct filewatch *w)
{
	memset(w, 0, sizeof(*w));
}

/* filewatch_add - stamp path and watch it */
void filewatch_add(struct filewatch *w, const char *path)
{
	assert(w->n < FILEWATCH_MAX);
	w->path[w->n] = xstrdup(path);
	filestamp_take(path, &w->st[w->n]);
	w->n++;
}

/* filewatch_which - the first watched file that changed */
const char *filewatch_which(const struct filewatch *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (filestamp_changed(w->path[i], &w->st[i]))
			return w->path[i];
	return NULL;
}

/* filewatch_retake - the paths of src, stamped now */
void filewatch_retake(const struct filewatch *src, struct filewatch *dst)
{
	size_t i;

	filewatch_init(dst);
	for (i = 0; i < src->n; i++)
		filewatch_add(dst, src->path[i]);
}

/* filewatch_free - release the paths */
void filewatch_free(struct filewatch *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->path[i]);
	filewatch_init(w);
}
