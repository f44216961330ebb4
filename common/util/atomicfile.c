/*
 * atomicfile.c - write a temporary file, fsync, rename.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "xalloc.h"

/* af_dir - the directory part of path ("." when it has none) */
static char *af_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* atomicfile_sync_dir - flush the directory of path */
enum ms_status atomicfile_sync_dir(const char *path, struct ms_error *err)
{
	char *dir = af_dir(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	enum ms_status st = MS_OK;

	if (fd < 0 || fsync(fd) != 0)
		st = ms_error_set(err, MS_ERR_IO, "%s: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(dir);
	return st;
}

/* af_write_all - len bytes to fd; -1 with errno */
static int af_write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* af_like - give fd the owner, group and mode of old (the file it
 * replaces); 0, or -1 with err set */
static int af_like(int fd, const char *path, const struct stat *old,
		   struct ms_error *err)
{
	if ((old->st_uid != geteuid() || old->st_gid != getegid()) &&
	    fchown(fd, old->st_uid, old->st_gid) != 0) {
		ms_error_set(err, MS_ERR_IO,
			     "%s: cannot give its new version its owner and "
			     "group (uid %ld, gid %ld): %s; run as root or as "
			     "its owner", path, (long)old->st_uid,
			     (long)old->st_gid, strerror(errno));
		return -1;
	}
	if (fchmod(fd, old->st_mode & 07777) != 0) {
		ms_error_set(err, MS_ERR_IO, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* atomicfile_replace - path gets data, all at once */
enum ms_status atomicfile_replace(const char *path, const void *data,
				  size_t len, unsigned new_mode,
				  struct ms_error *err)
{
	size_t n = strlen(path) + 16;
	char *tmp = xmalloc(n);
	char *slash;
	struct stat old;
	int fd, exists;

	/* ".NAME.XXXXXX" beside it: no reader takes it for the file */
	slash = strrchr(path, '/');
	snprintf(tmp, n, "%.*s.%s.XXXXXX", slash ? (int)(slash - path + 1) : 0,
		 path, slash ? slash + 1 : path);
	exists = stat(path, &old) == 0;
	if (!exists && errno != ENOENT) {
		ms_error_set(err, MS_ERR_IO, "%s: %s", path, strerror(errno));
		free(tmp);
		return MS_ERR_IO;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		ms_error_set(err, MS_ERR_IO, "%s: cannot make a temporary file "
			     "beside it: %s", path, strerror(errno));
		free(tmp);
		return MS_ERR_IO;
	}
	if (exists ? af_like(fd, path, &old, err) != 0
		   : fchmod(fd, new_mode & 07777) != 0) {
		if (!exists)
			ms_error_set(err, MS_ERR_IO, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (af_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		ms_error_set(err, MS_ERR_IO, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		ms_error_set(err, MS_ERR_IO, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		ms_error_set(err, MS_ERR_IO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	free(tmp);
	return atomicfile_sync_dir(path, err);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return MS_ERR_IO;
}
