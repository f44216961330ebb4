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
 * The same happens, without a signal, within a second of a change to
 * a file of the tables (the signing table that `mailseal key`
 * rewrites, sending_rights ...); a version that does not load is
 * logged once.
 * Listening addresses, the pid file, the connection caps and timeouts
 * are read at start only.  With metrics_listen, a thread of its own
 * answers GET /metrics with the counters (metricsd.c); with farm_stats,
 * another adds them to the farm's Redis (statpush.c).
 *
 * Started as root with `user` set, it binds its sockets, opens its pid
 * and log files and reads its keys as root, then becomes that user
 * (privs.c) before it serves anyone; as root without `user` it says it
 * stays root.  Until it detaches, what it logs goes to stderr as well,
 * and the starting process exits 1 when the daemon did not start.
 *
 * One instance per configuration: the pid file stays locked while the
 * daemon runs (pidfile.c), and a unix socket another process answers
 * on stops a start (listen.c).  The main thread accepts; a kind of
 * connection at its cap (max_connections for milter clients,
 * max_policy_connections for policy clients) is left in the listen
 * queue by not polling its listener, and running out of descriptors
 * backs every listener off for a while instead of spinning on it.
 */
#define _GNU_SOURCE             /* pipe2, accept4 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "filewatch.h"
#include "metrics.h"
#include "milterproto.h"
#include "msclock.h"
#include "policyd.h"
#include "policyproto.h"
#include "xalloc.h"

#define SHUTDOWN_GRACE_S 30
#define TABLE_CHECK_MS 1000     /* how often the tables' files are looked at */

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
/* connections queued or in service: changed under the lock, read
 * without it (the main thread's every turn looks at it) */
static atomic_uint n_milter;


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
		/* the listener goes unpolled only while the pool is full: a
		 * wake-up for each connection would cost the main thread a
		 * switch per message for nothing */
		if (atomic_fetch_sub(&n_milter, 1) >= max_threads)
			daemon_wake();  /* it may be polled again */
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

/* pool_full - are max_connections milter connections in service?  The
 * listener is then not polled: new ones wait in the listen queue */
static int pool_full(void)
{
	return atomic_load(&n_milter) >= max_threads;
}

/* pool_add - queue a connection; start a thread when none is idle.
 * The thread is started and the waiting one signalled after the lock
 * is let go: a worker woken under it would only block on it again */
static void pool_add(int fd, enum job_kind kind)
{
	pthread_t t;
	pthread_attr_t attr;
	int spawn = 0, e;

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
	atomic_fetch_add(&n_milter, 1);
	if (n_idle < q_len && n_threads < max_threads) {
		spawn = 1;              /* counted now, undone if it fails */
		n_threads++;
		n_idle++;
	}
	pthread_mutex_unlock(&pool_lock);
	pthread_cond_signal(&pool_cond);
	if (!spawn)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 512 * 1024);
	e = pthread_create(&t, &attr, worker_main, NULL);
	if (e != 0) {
		/* its error is what it returns; errno is not set */
		dlog(LOG_ERR, "cannot start a worker thread: %s", strerror(e));
		pthread_mutex_lock(&pool_lock);
		n_threads--;
		n_idle--;
		pthread_cond_broadcast(&pool_gone);
		pthread_mutex_unlock(&pool_lock);
	}
	pthread_attr_destroy(&attr);
}

/* pool_gauges - the connections open now, for /metrics */
static void pool_gauges(void)
{
	metrics_set(MSLOT_CONNECTED(MCONN_MILTER), atomic_load(&n_milter));
	metrics_set(MSLOT_CONNECTED(MCONN_POLICY), ploop_count());
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

/* ---- descriptors and accepting ---- */

/* what the daemon holds besides client connections: standard streams,
 * listeners, pipes, the policy loops' epolls, syslog, files read at a
 * reload; and what a milter connection costs: its socket and its
 * worker's engine (a Redis connection, the resolver's sockets) */
#define FD_RESERVE 32
#define FD_PER_MILTER 3
#define FD_WANT_MAX 1048576             /* when the hard limit is unlimited */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 2000
#define WARN_EVERY_MS 10000

/* a warning at most every WARN_EVERY_MS, saying how many were held back */
struct ratelimit {
	uint64_t next;
	unsigned held;
};

/* ratelimit_ok - may a warning go out now?  *held: how many did not */
static int ratelimit_ok(struct ratelimit *rl, uint64_t now, unsigned *held)
{
	if (now < rl->next) {
		rl->held++;
		return 0;
	}
	*held = rl->held;
	rl->held = 0;
	rl->next = now + WARN_EVERY_MS;
	return 1;
}

struct acceptor {
	uint64_t paused_until;          /* after EMFILE: no listener polled */
	unsigned backoff_ms;
	unsigned max_policy;
	struct ratelimit emfile, milter_cap, policy_cap;
};

/* fd_limit_setup - the soft descriptor limit raised to the hard one
 * (each client connection costs one), and how many connections that
 * holds, said at start */
static void fd_limit_setup(const struct ms_config *cfg)
{
	struct rlimit rl;
	unsigned long long was, now, room, need;
	char raised[64] = "";

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? FD_WANT_MAX : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			dlog(LOG_WARNING, "cannot raise the open file limit from %llu to %llu: %s",
			     was, (unsigned long long)rl.rlim_cur, strerror(errno));
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	now = rl.rlim_cur;
	if (now != was)
		snprintf(raised, sizeof(raised), " (raised from %llu)", was);
	room = now > FD_RESERVE ? now - FD_RESERVE : 0;
	need = (unsigned long long)cfg->max_connections * FD_PER_MILTER +
	       cfg->max_policy_connections;
	dlog(LOG_INFO, "open files: limit %llu%s; room for about %llu client connections (max_connections %u, max_policy_connections %u)",
	     now, raised, room, cfg->max_connections, cfg->max_policy_connections);
	if (need > room)
		dlog(LOG_WARNING, "open files: max_connections %u and max_policy_connections %u may need %llu descriptors, more than the limit leaves; past it new connections wait in the listen queue until some close",
		     cfg->max_connections, cfg->max_policy_connections, need);
}

/* kind_full - may no more connections of this kind be taken?  (warned,
 * rate-limited, as the listener goes unpolled) */
static int kind_full(struct acceptor *a, enum job_kind kind, uint64_t now)
{
	unsigned held;

	if (kind == JOB_MILTER) {
		if (!pool_full())
			return 0;
		if (ratelimit_ok(&a->milter_cap, now, &held))
			dlog(LOG_WARNING, "all %u milter connections busy (max_connections); new ones wait in the listen queue",
			     max_threads);
		return 1;
	}
	if (ploop_count() < a->max_policy)
		return 0;
	if (ratelimit_ok(&a->policy_cap, now, &held))
		dlog(LOG_WARNING, "all %u policy connections in use (max_policy_connections); new ones wait in the listen queue",
		     a->max_policy);
	return 1;
}

/* accept_failed - after an accept error: out of descriptors or memory
 * backs every listener off (polling it again at once would find the
 * same connection and spin), with a rate-limited warning */
static void accept_failed(struct acceptor *a, const struct listener *l,
			  uint64_t now)
{
	int e = errno;
	unsigned held;

	if (e == EINTR || e == EAGAIN || e == ECONNABORTED)
		return;
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		a->backoff_ms = a->backoff_ms ? a->backoff_ms * 2 : BACKOFF_MIN_MS;
		if (a->backoff_ms > BACKOFF_MAX_MS)
			a->backoff_ms = BACKOFF_MAX_MS;
		a->paused_until = now + a->backoff_ms;
		if (ratelimit_ok(&a->emfile, now, &held))
			dlog(LOG_WARNING, "accept on %s: %s; not accepting for %u ms (%u more since the last warning)",
			     l->spec, strerror(e), a->backoff_ms, held);
		return;
	}
	dlog(LOG_WARNING, "accept on %s: %s", l->spec, strerror(e));
}

/* accept_one - a connection from a listener that polled readable */
static void accept_one(struct acceptor *a, const struct listener *l)
{
	int fd, one = 1;

	fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		accept_failed(a, l, ms_clock_ms());
		return;
	}
	a->backoff_ms = 0;
	metrics_inc(MSLOT_CONNECTIONS(l->kind == JOB_POLICY ? MCONN_POLICY
				      : MCONN_MILTER));
	if (!l->path[0])        /* TCP: no Nagle stalls */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (l->kind == JOB_POLICY)
		ploop_add(fd);
	else
		pool_add(fd, l->kind);
}

/* on_signals - what the signal pipe holds: SIGHUP reloads, SIGTERM
 * and SIGINT stop, 0 is a wake-up (a connection ended: a listener held
 * back by a cap may be polled again) */
static void on_signals(const char *path)
{
	struct ms_error err;
	unsigned char sig;

	while (read(sig_pipe[0], &sig, 1) == 1) {
		if (sig == 0)
			continue;
		if (sig == SIGHUP) {
			struct generation *ng;

			dlog_reopen();
			ng = gen_load(path, &err);

			metrics_inc(MSLOT_RELOAD(ng ? MOK : MFAILED));
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

/* tables_check - a file of the current tables changed: load the
 * configuration again, as SIGHUP does; the files as they were when a
 * load failed are not tried again, so a broken table is logged once */
static void tables_check(const char *path)
{
	static struct filewatch tried;
	struct generation *g = gen_hold(), *ng;
	struct ms_error err;
	const char *changed;
	char what[512];

	if (!g)
		return;
	changed = policy_tables_changed(g->tables);
	if (!changed || (tried.n && !filewatch_which(&tried))) {
		gen_release(g);
		return;
	}
	snprintf(what, sizeof(what), "%s", changed);
	filewatch_free(&tried);
	filewatch_retake(policy_tables_files(g->tables), &tried);
	gen_release(g);
	ng = gen_load(path, &err);
	metrics_inc(MSLOT_RELOAD(ng ? MOK : MFAILED));
	if (ng) {
		gen_install(ng);
		filewatch_free(&tried);
		dlog(LOG_INFO, "reloaded %s: %s changed", path, what);
	} else {
		dlog(LOG_ERR, "reload failed, keeping the running configuration: "
		     "%s changed, but: %s", what, err.msg);
	}
}

/* accept_loop - accept and hand out connections, and read signals,
 * until a shutdown; a listener is not polled while its kind is at its
 * cap (connections wait in the listen queue) or for a while after
 * accept ran out of descriptors; 0, or 1 on a poll error */
static int accept_loop(struct listener *ls, size_t nls, const char *path,
		       const struct ms_config *cfg)
{
	struct acceptor a = { .max_policy = cfg->max_policy_connections };
	struct pollfd pfd[MAX_LISTEN + 1];
	size_t which[MAX_LISTEN], np, i;
	uint64_t checked = ms_clock_ms();

	while (!daemon_stopping()) {
		uint64_t now = ms_clock_ms();
		int paused = now < a.paused_until, full[2], r, wait;

		full[JOB_POLICY] = kind_full(&a, JOB_POLICY, now);
		full[JOB_MILTER] = kind_full(&a, JOB_MILTER, now);
		for (i = np = 0; i < nls; i++) {
			if (paused || full[ls[i].kind])
				continue;
			pfd[np] = (struct pollfd){ .fd = ls[i].fd, .events = POLLIN };
			which[np++] = i;
		}
		pfd[np] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN };
		wait = TABLE_CHECK_MS;
		if (paused && a.paused_until - now < TABLE_CHECK_MS)
			wait = (int)(a.paused_until - now);
		r = poll(pfd, np + 1, wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			dlog(LOG_ERR, "poll: %s", strerror(errno));
			return 1;
		}
		if (pfd[np].revents & POLLIN)
			on_signals(path);
		if (ms_clock_ms() - checked >= TABLE_CHECK_MS &&
		    !daemon_stopping()) {
			tables_check(path);
			checked = ms_clock_ms();
		}
		for (i = 0; i < np && !daemon_stopping(); i++)
			if (pfd[i].revents & POLLIN)
				accept_one(&a, &ls[which[i]]);
	}
	return 0;
}

/* ---- the daemon ---- */

/* go_background - fork and detach; the parent waits until the child
 * says it started (a byte on the pipe: exit 0) or ends without saying
 * so (exit 1), so that a failed start is seen by whoever started it.
 * In the child: the pipe's write end, for start_done */
static int go_background(void)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe2(ready, O_CLOEXEC) != 0) {
		dlog(LOG_ERR, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		dlog(LOG_ERR, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		ssize_t r;

		close(ready[1]);
		do
			r = read(ready[0], &c, 1);
		while (r < 0 && errno == EINTR);
		_exit(r == 1 ? 0 : 1);
	}
	close(ready[0]);
	setsid();
	if (chdir("/") != 0) {
		/* nothing of ours is relative */
	}
	return ready[1];
}

/* start_done - tell the waiting parent the daemon runs, and let go of
 * the terminal: from now on the log is syslog or the log_file */
static void start_done(int ready_fd)
{
	int fd;

	if (ready_fd < 0)
		return;
	if (write(ready_fd, "1", 1) < 0) {
		/* the parent is gone: nobody waits */
	}
	close(ready_fd);
	dlog_detached();
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
	struct listener ls[MAX_LISTEN], mls[MAX_LISTEN];
	size_t nls = 0, nmls = 0, i;
	struct generation *g;
	struct ms_error err;
	struct sigaction sa;
	char pid_file[4096] = "";
	static char abs_path[4096];
	int pid_fd = -1, ready_fd = -1;

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
	/* a daemon works from /: a relative -c must still find the
	 * configuration at each reload */
	if (!foreground && !stdio_mode && !test_only && path[0] != '/') {
		if (!getcwd(abs_path, sizeof(abs_path)) ||
		    strlen(abs_path) + strlen(path) + 2 > sizeof(abs_path)) {
			fprintf(stderr, "mailseal-policyd: %s: cannot make the path absolute\n",
				path);
			return 1;
		}
		strcat(abs_path, "/");
		strcat(abs_path, path);
		path = abs_path;
	}
	/* a daemon says what stops its start on stderr too, until it
	 * detaches; spawn(8)'s stdout is the policy client */
	dlog_init(!stdio_mode);
	if (!test_only && !foreground && dlog_open("") != 0)
		return 1;
	if (stdio_mode)
		(void)dlog_open("");
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
		rc = privs_check_as_user(path, &g->cfg);
		if (rc == 0)
			printf("%s: ok\n", path);
		gen_release(g);
		return rc;
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
	if (*g->cfg.log_file && dlog_open(g->cfg.log_file) != 0) {
		if (pid_fd >= 0)
			pidfile_remove(pid_fd, pid_file);
		return 1;
	}
	if (listen_in_use(g->cfg.policy_listen) || listen_in_use(g->cfg.milter_listen)) {
		if (pid_fd >= 0)
			close(pid_fd);  /* not ours to remove: it may be the other's */
		return 1;
	}
	if (listen_all(path, "policy_listen", JOB_POLICY, &g->cfg, ls, &nls) != 0 ||
	    listen_all(path, "milter_listen", JOB_MILTER, &g->cfg, ls, &nls) != 0 ||
	    listen_all(path, "metrics_listen", JOB_METRICS, &g->cfg, mls,
		       &nmls) != 0 ||
	    privs_drop(path, &g->cfg, dlog_file_fd()) != 0) {
		for (i = 0; i < nls; i++)
			listen_close(&ls[i], 1);
		for (i = 0; i < nmls; i++)
			listen_close(&mls[i], 0);
		if (pid_fd >= 0)
			pidfile_remove(pid_fd, pid_file);
		return 1;
	}
	if (!foreground && (ready_fd = go_background()) < 0)
		return 1;
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
	daemon_set_wake_fd(sig_pipe[1]);
	fd_limit_setup(&g->cfg);
	if (*g->cfg.policy_listen && ploop_start(&g->cfg) != 0)
		return 1;
	if (metricsd_start(mls, nmls, pool_gauges) != 0 ||
	    statpush_start(&g->cfg) != 0)
		return 1;
	for (i = 0; i < nls; i++)
		dlog(LOG_INFO, "listening for %s clients on %s",
		     ls[i].kind == JOB_POLICY ? "policy" : "milter", ls[i].spec);
	dlog(LOG_INFO, "started with %s", path);
	start_done(ready_fd);

	rc = accept_loop(ls, nls, path, &g->cfg);
	for (i = 0; i < nls; i++)
		listen_close(&ls[i], 1);
	metricsd_stop();
	ploop_stop();
	pool_stop();
	statpush_stop();        /* the last push counts every message */
	if (pid_fd >= 0)
		pidfile_remove(pid_fd, pid_file);
	dlog(LOG_INFO, "stopped");
	return rc;
}
