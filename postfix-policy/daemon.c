/*
 * daemon.c - mailseal-policyd: options, listening sockets, the worker
 * pool, signals, pid file.
 *
 *   mailseal-policyd [-c CONFIG] [-f] [-s] [-t]
 *
 *   -c CONFIG  the configuration (default /etc/mailseal/mailseal.conf)
 *   -f         stay in the foreground and log to stderr
 *   -s         serve one policy client on stdin/stdout and exit, as
 *              Postfix's spawn(8) runs it (logs go to syslog)
 *   -t         check the configuration and the files it names, exit
 *
 * SIGTERM or SIGINT: stop accepting, let each connection finish what
 * it is doing (a request, a message), remove the sockets and the pid
 * file, exit.  SIGHUP: load the configuration again; connections stay
 * open and move to it at their next request or message; a
 * configuration that does not load is logged and the old one kept.
 * Listening addresses, the pid file and max_connections are read at
 * start only.
 */
#define _GNU_SOURCE             /* pipe2, accept4 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "milterproto.h"
#include "policyd.h"
#include "policyproto.h"
#include "xalloc.h"

#define MAX_LISTEN 16
#define SHUTDOWN_GRACE_S 30

enum job_kind { JOB_POLICY, JOB_MILTER };

struct listener {
	int fd;
	enum job_kind kind;
	char spec[256];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];  /* unix */
};

struct job {
	int fd;
	enum job_kind kind;
};

/* the pool: a queue of accepted connections and the threads serving them */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pool_gone = PTHREAD_COND_INITIALIZER;
static struct job *queue;
static size_t q_head, q_len, q_cap;
static unsigned n_threads, n_idle, max_threads;


static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	if (write(sig_pipe[1], &c, 1) < 0) {
		/* the pipe is full: a signal is pending anyway */
	}
	errno = saved;
}

/* ---- listening ---- */

/* listen_one - bind "unix:/path" or "inet:HOST:PORT" */
static int listen_one(const char *spec, enum job_kind kind,
		      const struct ms_config *cfg, struct listener *l)
{
	int fd = -1, one = 1;

	memset(l, 0, sizeof(*l));
	l->kind = kind;
	snprintf(l->spec, sizeof(l->spec), "%s", spec);
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		const char *path = spec + 5;
		struct stat st;

		if (strlen(path) >= sizeof(sa.sun_path) || path[0] != '/') {
			dlog(LOG_ERR, "%s: a unix socket needs an absolute path shorter than %zu bytes",
			     spec, sizeof(sa.sun_path));
			return -1;
		}
		strcpy(sa.sun_path, path);
		/* a socket left by a daemon that died goes; anything else stays */
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			dlog(LOG_ERR, "%s: %s", spec, strerror(errno));
			goto fail;
		}
		strcpy(l->path, path);
		if (chmod(path, cfg->socket_mode) != 0) {
			dlog(LOG_ERR, "%s: chmod: %s", spec, strerror(errno));
			goto fail;
		}
		if (*cfg->socket_group) {
			struct group *gr = getgrnam(cfg->socket_group);

			if (!gr || chown(path, (uid_t)-1, gr->gr_gid) != 0) {
				dlog(LOG_ERR, "%s: socket_group %s: %s", spec,
				     cfg->socket_group,
				     gr ? strerror(errno) : "no such group");
				goto fail;
			}
		}
	} else if (strncmp(spec, "inet:", 5) == 0) {
		char host[200];
		const char *colon = strrchr(spec + 5, ':');
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
					  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
		struct addrinfo *ai = NULL;
		int e;

		if (!colon || colon == spec + 5 ||
		    (size_t)(colon - (spec + 5)) >= sizeof(host)) {
			dlog(LOG_ERR, "%s: expected inet:HOST:PORT", spec);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - (spec + 5)),
			 spec + 5);
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = 0;
		}
		e = getaddrinfo(host, colon + 1, &hints, &ai);
		if (e != 0) {
			dlog(LOG_ERR, "%s: %s", spec, gai_strerror(e));
			return -1;
		}
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			dlog(LOG_ERR, "%s: %s", spec, strerror(errno));
			freeaddrinfo(ai);
			goto fail;
		}
		freeaddrinfo(ai);
	} else {
		dlog(LOG_ERR, "%s: expected unix:/path or inet:HOST:PORT", spec);
		return -1;
	}
	if (listen(fd, 256) != 0) {
		dlog(LOG_ERR, "%s: listen: %s", spec, strerror(errno));
		goto fail;
	}
	l->fd = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (l->path[0])
		unlink(l->path);
	return -1;
}

/* listen_all - every address of a setting; -1 on the first failure */
static int listen_all(const char *value, enum job_kind kind,
		      const struct ms_config *cfg, struct listener *ls,
		      size_t *n)
{
	char *copy = xstrdup(value), *tok, *save = NULL;
	int rc = 0;

	for (tok = strtok_r(copy, " ,\t", &save); tok && rc == 0;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		if (*n == MAX_LISTEN) {
			dlog(LOG_ERR, "more than %d listening addresses", MAX_LISTEN);
			rc = -1;
		} else if (listen_one(tok, kind, cfg, &ls[*n]) == 0) {
			(*n)++;
		} else {
			rc = -1;
		}
	}
	free(copy);
	return rc;
}

/* ---- the pool ---- */

static void serve_job(struct worker *w, const struct job *j)
{
	struct conn c;

	conn_init(&c, j->fd, j->fd, policyd_request_timeout_ms,
		  j->kind == JOB_POLICY ? PP_MAX_REQUEST : MILTER_MAX_PACKET + 8);
	if (j->kind == JOB_POLICY)
		policy_serve(w, &c);
	else
		milter_serve(w, &c);
	conn_free(&c);
	close(j->fd);
}

static void *worker_main(void *arg)
{
	struct worker w = { 0 };

	(void)arg;
	pthread_mutex_lock(&pool_lock);
	for (;;) {
		struct job j;

		while (q_len == 0 && !daemon_stopping())
			pthread_cond_wait(&pool_cond, &pool_lock);
		if (q_len == 0)
			break;          /* stopping, nothing left */
		j = queue[q_head];
		q_head = (q_head + 1) % q_cap;
		q_len--;
		n_idle--;
		pthread_mutex_unlock(&pool_lock);
		serve_job(&w, &j);
		pthread_mutex_lock(&pool_lock);
		n_idle++;
	}
	n_idle--;
	pthread_mutex_unlock(&pool_lock);
	/* counted out only once its engine and OpenSSL's state are gone,
	 * so that a stopping daemon does not exit under it */
	worker_exit(&w);
	pthread_mutex_lock(&pool_lock);
	n_threads--;
	pthread_cond_broadcast(&pool_gone);
	pthread_mutex_unlock(&pool_lock);
	return NULL;
}

/* pool_add - queue a connection; start a thread when none is idle */
static void pool_add(int fd, enum job_kind kind)
{
	static time_t warned;
	pthread_t t;
	pthread_attr_t attr;

	pthread_mutex_lock(&pool_lock);
	if (q_len == q_cap) {
		size_t i, cap = q_cap ? q_cap * 2 : 64;
		struct job *nq = xmalloc(cap * sizeof(*nq));

		for (i = 0; i < q_len; i++)
			nq[i] = queue[(q_head + i) % q_cap];
		free(queue);
		queue = nq;
		q_cap = cap;
		q_head = 0;
	}
	queue[(q_head + q_len) % q_cap] = (struct job){ fd, kind };
	q_len++;
	if (n_idle < q_len && n_threads < max_threads) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 512 * 1024);
		if (pthread_create(&t, &attr, worker_main, NULL) == 0) {
			n_threads++;
			n_idle++;
		} else {
			dlog(LOG_ERR, "cannot start a worker thread: %s",
			     strerror(errno));
		}
		pthread_attr_destroy(&attr);
	} else if (n_idle < q_len && time(NULL) != warned) {
		warned = time(NULL);
		dlog(LOG_WARNING, "all %u connections busy (max_connections); %zu waiting",
		     n_threads, q_len - n_idle);
	}
	pthread_cond_signal(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
}

/* pool_stop - wake every worker and wait, at most the grace time */
static void pool_stop(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += SHUTDOWN_GRACE_S;
	pthread_mutex_lock(&pool_lock);
	pthread_cond_broadcast(&pool_cond);
	while (n_threads > 0)
		if (pthread_cond_timedwait(&pool_gone, &pool_lock, &until) != 0)
			break;
	if (n_threads > 0)
		dlog(LOG_WARNING, "%u connections still busy after %d s; exiting",
		     n_threads, SHUTDOWN_GRACE_S);
	pthread_mutex_unlock(&pool_lock);
}

/* ---- the daemon ---- */

static int write_pid_file(const char *path)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		dlog(LOG_ERR, "pid file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void go_background(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		dlog(LOG_ERR, "fork: %s", strerror(errno));
		exit(1);
	}
	if (pid > 0)
		_exit(0);
	setsid();
	if (chdir("/") != 0) {
		/* nothing of ours is relative */
	}
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

static void usage(void)
{
	fputs("usage: mailseal-policyd [-c CONFIG] [-f] [-s] [-t]\n"
	      "  -c CONFIG  configuration file (default " MAILSEAL_DEFAULT_CONFIG ")\n"
	      "  -f         foreground, log to stderr\n"
	      "  -s         serve one policy client on stdin/stdout (spawn(8))\n"
	      "  -t         check the configuration and exit\n", stderr);
}

/* serve_stdio - one policy client on stdin/stdout */
static int serve_stdio(void)
{
	struct worker w = { 0 };
	struct conn c;

	conn_init(&c, 0, 1, policyd_request_timeout_ms, PP_MAX_REQUEST);
	policy_serve(&w, &c);
	conn_free(&c);
	worker_done(&w);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = MAILSEAL_DEFAULT_CONFIG;
	int foreground = 0, stdio_mode = 0, test_only = 0, opt, rc = 0;
	struct listener ls[MAX_LISTEN];
	struct pollfd pfd[MAX_LISTEN + 1];
	size_t nls = 0, i;
	struct generation *g;
	struct ms_error err;
	struct sigaction sa;
	char pid_file[4096] = "";

	while ((opt = getopt(argc, argv, "c:fsth")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'f': foreground = 1; break;
		case 's': stdio_mode = 1; break;
		case 't': test_only = 1; break;
		default: usage(); return 2;
		}
	}
	if (optind != argc) {
		usage();
		return 2;
	}
	dlog_init(test_only || (foreground && !stdio_mode));
	g = gen_load(path, &err);
	if (!g) {
		dlog(LOG_ERR, "%s", err.msg);
		if (stdio_mode)
			return 1;       /* spawn: Postfix sees the connection drop */
		return 1;
	}
	if (test_only) {
		printf("%s: ok\n", path);
		gen_release(g);
		return 0;
	}
	policyd_request_timeout_ms = g->cfg.request_timeout_ms;
	max_threads = g->cfg.max_connections;
	gen_install(g);
	signal(SIGPIPE, SIG_IGN);
	if (stdio_mode)
		return serve_stdio();

	if (!*g->cfg.policy_listen && !*g->cfg.milter_listen) {
		dlog(LOG_ERR, "%s: neither policy_listen nor milter_listen is set", path);
		return 1;
	}
	if (listen_all(g->cfg.policy_listen, JOB_POLICY, &g->cfg, ls, &nls) != 0 ||
	    listen_all(g->cfg.milter_listen, JOB_MILTER, &g->cfg, ls, &nls) != 0) {
		for (i = 0; i < nls; i++) {
			close(ls[i].fd);
			if (ls[i].path[0])
				unlink(ls[i].path);
		}
		return 1;
	}
	if (!foreground)
		go_background();
	if (*g->cfg.pid_file) {
		snprintf(pid_file, sizeof(pid_file), "%s", g->cfg.pid_file);
		if (write_pid_file(pid_file) != 0)
			pid_file[0] = 0;
	}
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		dlog(LOG_ERR, "pipe: %s", strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (*g->cfg.policy_listen && ploop_start() != 0)
		return 1;
	for (i = 0; i < nls; i++)
		dlog(LOG_INFO, "listening for %s clients on %s",
		     ls[i].kind == JOB_POLICY ? "policy" : "milter", ls[i].spec);
	dlog(LOG_INFO, "started with %s", path);

	while (!daemon_stopping()) {
		int r;

		for (i = 0; i < nls; i++)
			pfd[i] = (struct pollfd){ .fd = ls[i].fd, .events = POLLIN };
		pfd[nls] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN };
		r = poll(pfd, nls + 1, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			dlog(LOG_ERR, "poll: %s", strerror(errno));
			rc = 1;
			break;
		}
		if (pfd[nls].revents & POLLIN) {
			unsigned char sig;

			while (read(sig_pipe[0], &sig, 1) == 1) {
				if (sig == SIGHUP) {
					struct generation *ng = gen_load(path, &err);

					if (ng) {
						gen_install(ng);
						dlog(LOG_INFO, "reloaded %s", path);
					} else {
						dlog(LOG_ERR, "reload failed, keeping the running configuration: %s",
						     err.msg);
					}
				} else {
					dlog(LOG_INFO, "signal %d: stopping", sig);
					daemon_set_stopping();
				}
			}
		}
		for (i = 0; i < nls && !daemon_stopping(); i++) {
			int fd, one = 1;

			if (!(pfd[i].revents & POLLIN))
				continue;
			fd = accept4(ls[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0) {
				if (errno != EINTR && errno != EAGAIN &&
				    errno != ECONNABORTED)
					dlog(LOG_WARNING, "accept on %s: %s",
					     ls[i].spec, strerror(errno));
				continue;
			}
			if (!ls[i].path[0])     /* TCP: no Nagle stalls */
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
					   sizeof(one));
			if (ls[i].kind == JOB_POLICY)
				ploop_add(fd);
			else
				pool_add(fd, ls[i].kind);
		}
	}
	for (i = 0; i < nls; i++) {
		close(ls[i].fd);
		if (ls[i].path[0])
			unlink(ls[i].path);
	}
	ploop_stop();
	pool_stop();
	if (pid_file[0])
		unlink(pid_file);
	dlog(LOG_INFO, "stopped");
	return rc;
}
