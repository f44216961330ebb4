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
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "milterproto.h"
#include "policyd.h"
#include "policyproto.h"
#include "xalloc.h"

#define SHUTDOWN_GRACE_S 30

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
	int pid_fd = -1;

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
	if (listen_check(path, &g->cfg) != 0) {
		gen_release(g);
		return 1;
	}
	if (test_only) {
		printf("%s: ok\n", path);
		gen_release(g);
		return 0;
	}
	policyd_request_timeout_ms = g->cfg.request_timeout_ms;
	policyd_packet_timeout_ms = g->cfg.packet_timeout_ms;
	policyd_message_timeout_ms = g->cfg.message_timeout_ms;
	max_threads = g->cfg.max_connections;
	gen_install(g);
	signal(SIGPIPE, SIG_IGN);
	if (stdio_mode)
		return serve_stdio();

	if (!*g->cfg.policy_listen && !*g->cfg.milter_listen) {
		dlog(LOG_ERR, "%s: neither policy_listen nor milter_listen is set", path);
		return 1;
	}
	/* a second instance started by mistake must not take the sockets
	 * over: when it exits, the running one would be unreachable */
	if (*g->cfg.pid_file) {
		snprintf(pid_file, sizeof(pid_file), "%s", g->cfg.pid_file);
		pid_fd = pidfile_lock(pid_file);
		if (pid_fd == -2)
			return 1;
		if (pid_fd < 0)
			pid_file[0] = 0;        /* logged; the sockets still tell */
	}
	if (listen_in_use(g->cfg.policy_listen) || listen_in_use(g->cfg.milter_listen)) {
		if (pid_fd >= 0)
			close(pid_fd);  /* not ours to remove: it may be the other's */
		return 1;
	}
	if (listen_all(g->cfg.policy_listen, JOB_POLICY, &g->cfg, ls, &nls) != 0 ||
	    listen_all(g->cfg.milter_listen, JOB_MILTER, &g->cfg, ls, &nls) != 0) {
		for (i = 0; i < nls; i++)
			listen_close(&ls[i], 1);
		if (pid_fd >= 0)
			pidfile_remove(pid_fd, pid_file);
		return 1;
	}
	if (!foreground)
		go_background();
	if (pid_fd >= 0 && pidfile_write(pid_fd, pid_file) != 0) {
		pidfile_remove(pid_fd, pid_file);
		pid_fd = -1;
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
	for (i = 0; i < nls; i++)
		listen_close(&ls[i], 1);
	ploop_stop();
	pool_stop();
	if (pid_fd >= 0)
		pidfile_remove(pid_fd, pid_file);
	dlog(LOG_INFO, "stopped");
	return rc;
}
