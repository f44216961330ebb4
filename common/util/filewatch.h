/*
 * filewatch.h - has a file changed since it was read?
 *
 * A stamp is what stat(2) says of a file at one moment: device, inode,
 * size and modification time (to the nanosecond), or that it did not
 * exist.  A file replaced by rename (another inode), rewritten in place
 * (size or time), created or removed gives another stamp.  The engines
 * stamp the files they load (the signing table and the other tables)
 * before reading them, so that a change made while they read is seen
 * the next time, never missed.
 *
 * A watch is a few stamped paths; it owns its copies of the paths
 * (filewatch_free).  Nothing here opens a file or keeps a descriptor.
 */
#ifndef MAILSEAL_FILEWATCH_H
#define MAILSEAL_FILEWATCH_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define FILEWATCH_MAX 8                 /* files in one watch */

struct filestamp {
	int present;                    /* stat() found it */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct filewatch {
	size_t n;
	char *path[FILEWATCH_MAX];
	struct filestamp st[FILEWATCH_MAX];
};

/* filestamp_take - the stamp of path now */
void filestamp_take(const char *path, struct filestamp *s);
/* filestamp_equal - 1 when a and b describe the same file state */
int filestamp_equal(const struct filestamp *a, const struct filestamp *b);
/* filestamp_changed - 1 when path's stamp now differs from s */
int filestamp_changed(const char *path, const struct filestamp *s);

/* filewatch_init - an empty watch */
void filewatch_init(struct filewatch *w);
/* filewatch_add - stamp path now and watch it (at most FILEWATCH_MAX:
 * a caller's bug past it) */
void filewatch_add(struct filewatch *w, const char *path);
/* filewatch_which - the first watched file whose stamp now differs,
 * or NULL when none does */
const char *filewatch_which(const struct filewatch *w);
/* filewatch_retake - dst (initialised or freed) becomes a watch of the
 * paths of src, stamped now */
void filewatch_retake(const struct filewatch *src, struct filewatch *dst);
/* filewatch_free - release the paths; the watch is empty again */
void filewatch_free(struct filewatch *w);

#endif
