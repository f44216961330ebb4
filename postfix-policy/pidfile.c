/*
 * pidfile.c - the pid file, locked for as long as the daemon runs.
 *
 * The lock (flock, kept across the fork into the background) is what
 * tells a second instance, started by mistake, that one is running: it
 * refuses to start instead of taking over the sockets (and, when it
 * exits, leaving the running one unreachable).  A pid file left by a
 * daemon that died is not locked, and is reused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <syslog.h>
#include <unistd.h>

#include "policyd.h"

/* pidfile_lock - open and lock path: the descriptor, -1 on an error,
 * -2 when another process holds it (both logged) */
int pidfile_lock(const char *path)
{
	char pid[32] = "";
	ssize_t n;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0) {
		dlog(LOG_ERR, "pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno != EWOULDBLOCK) {
		dlog(LOG_ERR, "pid file %s: lock: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	n = pread(fd, pid, sizeof(pid) - 1, 0);
	pid[n > 0 ? n : 0] = 0;
	pid[strcspn(pid, "\n")] = 0;
	dlog(LOG_ERR, "already running: pid file %s is locked by process %s; not starting",
	     path, *pid ? pid : "(unknown)");
	close(fd);
	return -2;
}

/* pidfile_write - our pid into the locked file (after the fork) */
int pidfile_write(int fd, const char *path)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		dlog(LOG_ERR, "pid file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* pidfile_remove - unlink it, then let the lock go */
void pidfile_remove(int fd, const char *path)
{
	unlink(path);
	close(fd);
}
