/*
 * fdexec.c - what a program run by the MTA inherits from mailseal.
 *
 *   fdexec CONFIG NAME...
 *
 * does what a front end does in the process that receives a message:
 * builds the key chain from CONFIG, looks up each key NAME (in-process
 * cache, Redis, DNS, and the answer written back to Redis) and records
 * a signature in the farm; then, with all of it still open, as Exim's
 * delivery process or a pipe transport would, it runs a program: itself
 * again, which lists the descriptors it was given.  Output, one line
 * each: "lookup NAME found|notfound|tempfail", then "fd N -> TARGET"
 * for every descriptor the child holds beyond 0, 1 and 2.  Exit status
 * 0 when the child holds none, 1 when it holds some, 2 on a usage or
 * set-up error.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "keychain.h"
#include "keysource.h"

/* each_fd - call fn for every open descriptor but 0, 1, 2; the count */
static int each_fd(void (*fn)(int fd))
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d) {
		perror("/proc/self/fd");
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd <= 2 || fd == dirfd(d))
			continue;
		fn(fd);
		n++;
	}
	closedir(d);
	return n;
}

static void print_fd(int fd)
{
	char path[64], target[PATH_MAX];
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	len = readlink(path, target, sizeof(target) - 1);
	target[len < 0 ? 0 : len] = 0;
	printf("fd %d -> %s\n", fd, target);
}

/* not_ours - what the test's own caller left open is not mailseal's:
 * keep it from the child */
static void not_ours(int fd)
{
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* list_fds - the child: print every descriptor but 0, 1, 2 */
static int list_fds(void)
{
	int n = each_fd(print_fd);

	return n < 0 ? 2 : n > 0;
}

int main(int argc, char **argv)
{
	static const char *const st[] = { "found", "notfound", "tempfail" };
	struct ms_config cfg;
	struct ms_error err;
	struct keychain kc;
	struct dkim_verifier_opts vo = { 0 };
	unsigned char sig_id[32] = { 1, 2, 3 };
	int i, status;
	pid_t pid;

	if (argc == 2 && strcmp(argv[1], "--list-fds") == 0)
		return list_fds();
	if (argc < 3) {
		fprintf(stderr, "usage: fdexec CONFIG NAME...\n");
		return 2;
	}
	if (each_fd(not_ours) < 0)
		return 2;
	config_init(&cfg);
	if (config_load(&cfg, argv[1], &err) != MS_OK ||
	    keychain_open(&kc, &cfg, &err) != MS_OK) {
		fprintf(stderr, "fdexec: %s\n", err.msg);
		return 2;
	}
	keychain_verifier_opts(&kc, &cfg, &vo);
	for (i = 2; i < argc; i++) {
		struct arena a;
		struct key_answer ans;

		arena_init(&a);
		keysource_lookup(kc.ks, argv[i], &a, &ans);
		printf("lookup %s %s%s%s\n", argv[i], st[ans.status],
		       ans.reason ? ": " : "", ans.reason ? ans.reason : "");
		arena_free(&a);
	}
	if (vo.seen)
		printf("seen %llu\n",
		       (unsigned long long)vo.seen(vo.seen_arg, sig_id, "fdexec"));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "--list-fds", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 2;
	keychain_close(&kc);
	config_free(&cfg);
	return WEXITSTATUS(status);
}
