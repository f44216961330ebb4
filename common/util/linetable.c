/*
 * linetable.c - files of lines (linetable.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "linetable.h"
#include "xalloc.h"

enum ms_status linetable_parse(const char *text, linetable_fn fn, void *arg,
			       struct ms_error *err)
{
	char *copy = xstrdup(text), *line = copy;
	unsigned lineno = 0;
	enum ms_status st = MS_OK;

	while (line && st == MS_OK) {
		char *nl = strchr(line, '\n'), *hash;

		if (nl)
			*nl = 0;
		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		st = fn(arg, line, lineno, err);
		line = nl ? nl + 1 : NULL;
	}
	free(copy);
	return st;
}

enum ms_status linetable_load(const char *path, size_t max, linetable_fn fn,
			      void *arg, struct ms_error *err)
{
	struct buf data;
	enum ms_status st;

	buf_init(&data, max);
	st = buf_load_file(&data, path, err);
	if (st == MS_OK && memchr(data.data, 0, data.len))
		st = ms_error_set(err, MS_ERR_USAGE, "%s: NUL byte", path);
	if (st == MS_OK)
		st = linetable_parse(buf_str(&data), fn, arg, err);
	buf_free(&data);
	return st;
}
