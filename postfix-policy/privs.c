/*
 * privs.c - the service user: the daemon started as root becomes the
 * `user` of its configuration once it holds what only root may open
 * (its sockets, pid file, log file and keys), and `-t` run as root
 * checks the files as that user too, since a key root can read may be
 * one the daemon, once it runs as that user, cannot read at its next
 * reload.
 *
 * Errors are logged naming the file and line of `user`.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "policyd.h"

/* user_where - "FILE:LINE: " of the user setting */
static void user_where(char *out, size_t n, const char *file,
		       const struct ms_config *cfg)
{
	unsigned line = config_line(cfg, "user");

	if (line)
		snprintf(out, n, "%s:%u: ", file, line);
	else
		snprintf(out, n, "%s: ", file);
}

/* user_lookup - the account of `user`; NULL, logged, when there is none */
static const struct passwd *user_lookup(const char *file,
					const struct ms_config *cfg)
{
	const struct passwd *pw = getpwnam(cfg->user);
	char at[4200];

	if (!pw) {
		user_where(at, sizeof(at), file, cfg);
		dlog(LOG_ERR, "%suser %s: no such user", at, cfg->user);
	}
	return pw;
}

/* become - this process takes the user's uid, gid and groups (its
 * supplementary groups too: socket_group membership is how the
 * service user is let into a directory of postfix's); 0 or -1 */
static int become(const struct passwd *pw, char *why, size_t n)
{
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(why, n, "%s", strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		snprintf(why, n, "root could be taken back");
		return -1;
	}
	return 0;
}

/* privs_drop - started as root with `user`: become it; the log file
 * (log_fd, -1 for none) is given to it so that a reopen at SIGHUP
 * works.  As root without `user`, say that it stays root; not as root,
 * `user` must name the account it already runs as.  0 or -1 (logged) */
int privs_drop(const char *file, const struct ms_config *cfg, int log_fd)
{
	const struct passwd *pw;
	char at[4200], why[256];

	if (!*cfg->user) {
		if (geteuid() == 0)
			dlog(LOG_WARNING, "%s: running as root: set user (the service user, for example mailseal) for the daemon to drop root once its sockets are open",
			     file);
		return 0;
	}
	if (!(pw = user_lookup(file, cfg)))
		return -1;
	user_where(at, sizeof(at), file, cfg);
	if (geteuid() != 0) {
		if (geteuid() == pw->pw_uid)
			return 0;
		dlog(LOG_ERR, "%suser %s: the daemon runs as uid %ld, not as root, and cannot become %s",
		     at, cfg->user, (long)geteuid(), cfg->user);
		return -1;
	}
	if (log_fd >= 0 && fchown(log_fd, pw->pw_uid, pw->pw_gid) != 0)
		dlog(LOG_WARNING, "log_file: chown to %s: %s", cfg->user,
		     strerror(errno));
	if (become(pw, why, sizeof(why)) != 0) {
		dlog(LOG_ERR, "%suser %s: %s", at, cfg->user, why);
		return -1;
	}
	dlog(LOG_INFO, "running as user %s (uid %ld)", cfg->user,
	     (long)pw->pw_uid);
	return 0;
}

/* privs_check_as_user - for -t: run as root with `user`, load the
 * configuration again in a child that became the user, so that a file
 * only root can read is an error now, not at the next reload; as root
 * without `user`, say that the check proves nothing for another user.
 * 0 or 1 (logged) */
int privs_check_as_user(const char *file, const struct ms_config *cfg)
{
	const struct passwd *pw;
	char why[256];
	int status;
	pid_t pid;

	if (!*cfg->user) {
		if (geteuid() == 0)
			dlog(LOG_WARNING, "%s: checked as root, who can read every file: the daemon's user may not; set user, or run the check as that user (runuser -u mailseal -- mailseal-policyd -t -c %s)",
			     file, file);
		return 0;
	}
	if (!(pw = user_lookup(file, cfg)))
		return 1;
	if (geteuid() != 0)
		return 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		dlog(LOG_ERR, "fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		struct generation *g;
		struct ms_error err;

		if (become(pw, why, sizeof(why)) != 0) {
			dlog(LOG_ERR, "user %s: %s", cfg->user, why);
			_exit(1);
		}
		g = gen_load(file, &err);
		if (!g) {
			dlog(LOG_ERR, "as user %s: %s", cfg->user, err.msg);
			_exit(1);
		}
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
