/*
 * test_cloexec.c - the files the library opens are close-on-exec even
 * while it reads them: in a threaded process (the Postfix daemon) a
 * fork and exec in another thread would otherwise pass them on.
 *
 * Each reader runs in a thread on a FIFO, which holds it inside its
 * read (the descriptor open) until this side writes; meanwhile the
 * descriptor's flags are looked at through /proc/self/fd.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "crypto.h"
#include "unit.h"

struct reader {
	const char *path;
	enum ms_status (*read)(const char *path);
	enum ms_status st;
};

static enum ms_status read_buf(const char *path)
{
	struct buf b;
	struct ms_error err;
	enum ms_status st;

	buf_init(&b, 1 << 20);
	st = buf_load_file(&b, path, &err);
	buf_free(&b);
	return st;
}

static enum ms_status read_key(const char *path)
{
	EVP_PKEY *k = NULL;
	struct ms_error err;
	enum ms_status st = crypto_load_private_pem(path, &k, &err);

	EVP_PKEY_free(k);
	return st;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	r->st = r->read(r->path);
	return NULL;
}

/* fd_of - a descriptor open on path other than not, or -1 */
static int fd_of(const char *path, int not)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int found = -1;

	if (!d)
		return -1;
	while (found < 0 && (de = readdir(d)) != NULL) {
		char link[64], target[PATH_MAX];
		ssize_t n;
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.' || fd == not || fd == dirfd(d))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (strcmp(target, path) == 0)
			found = fd;
	}
	closedir(d);
	return found;
}

/* check - path read by fn in a thread: is its descriptor close-on-exec
 * while open?  content is what the reader gets */
static void check(const char *name, const char *path,
		  enum ms_status (*fn)(const char *), const char *content)
{
	struct reader r = { .path = path, .read = fn, .st = MS_ERR_IO };
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	pthread_t t;
	int w, fd = -1, flags = -1, i;

	unlink(path);
	if (mkfifo(path, 0600) != 0 ||
	    pthread_create(&t, NULL, reader_main, &r) != 0) {
		unit_failf(name, "set-up: %s", strerror(errno));
		return;
	}
	/* opening the writing end waits for the reader's open */
	w = open(path, O_WRONLY | O_CLOEXEC);
	for (i = 0; w >= 0 && i < 200 && fd < 0; i++) {
		fd = fd_of(path, w);
		if (fd < 0)
			nanosleep(&tick, NULL);
	}
	if (fd >= 0)
		flags = fcntl(fd, F_GETFD);
	if (w >= 0) {
		if (write(w, content, strlen(content)) < 0)
			unit_failf(name, "write: %s", strerror(errno));
		close(w);
	}
	pthread_join(t, NULL);
	unlink(path);
	if (fd < 0)
		unit_failf(name, "the reader's descriptor was not found");
	else
		CHECK(flags >= 0 && (flags & FD_CLOEXEC) && r.st == MS_OK,
		      "%s (flags %d, read status %d)", name, flags, (int)r.st);
}

int main(void)
{
	char dir[] = "/tmp/ms-cloexec-XXXXXX", path[PATH_MAX];
	unsigned char *pem;
	size_t len;

	if (!mkdtemp(dir)) {
		unit_failf("cloexec: temporary directory", "%s", strerror(errno));
		return unit_done();
	}
	snprintf(path, sizeof(path), "%s/fifo", dir);
	check("cloexec: a file buf_load_file reads (config, tables, resolv.conf)",
	      path, read_buf, "dns_timeout = 2s\n");
	pem = unit_read_file("tests/golden/privkeys/ed.private", &len);
	if (!pem)
		unit_failf("cloexec: a key file", "tests/golden/privkeys/ed.private unreadable");
	else
		check("cloexec: a key file crypto_load_private_pem reads", path,
		      read_key, (const char *)pem);
	free(pem);
	rmdir(dir);
	return unit_done();
}
