/*
 * engine.c - configuration generations, the workers' engines, logging.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "mslog.h"
#include "policyd.h"
#include "xalloc.h"

static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct generation *gen_now;
static unsigned long gen_next_id = 1;
static volatile sig_atomic_t stopping;
static int log_stderr;
unsigned policyd_request_timeout_ms = 300000;   /* set at start */
unsigned policyd_packet_timeout_ms = 60000;
unsigned policyd_message_timeout_ms = 1800000;

int daemon_stopping(void)
{
	return stopping;
}

void daemon_set_stopping(void)
{
	stopping = 1;
}

static int wake_fd = -1;

void daemon_set_wake_fd(int fd)
{
	wake_fd = fd;
}

/* daemon_wake - a 0 byte on the main thread's signal pipe (full: a
 * wake-up is pending anyway) */
void daemon_wake(void)
{
	if (wake_fd >= 0 && write(wake_fd, "", 1) < 0) {
		/* full */
	}
}

/* dlog_sink - the library's own messages */
static void dlog_sink(enum ms_log_level level, const char *msg)
{
	dlog(level == MS_LOG_ERR ? LOG_ERR
	     : level == MS_LOG_WARN ? LOG_WARNING : LOG_INFO, "%s", msg);
}

/* where dlog writes: stderr (-f, -t, and a daemon until it detaches),
 * the log_file, syslog when there is no log_file */
static int log_syslog;
static int log_fd = -1;
static char log_path[4096];

void dlog_init(int to_stderr)
{
	log_stderr = to_stderr;
	ms_log_set_sink(dlog_sink);
}

/* dlog_open - log_file: opened (appended to, created 0640) or, when
 * empty, syslog; the daemon's own log from then on.  0 or -1 (said on
 * stderr) */
int dlog_open(const char *path)
{
	int fd;

	if (!*path) {
		if (!log_syslog)
			openlog("mailseal-policyd", LOG_PID | LOG_NDELAY, LOG_MAIL);
		log_syslog = 1;
		return 0;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
		  0640);
	if (fd < 0) {
		dlog(LOG_ERR, "log_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	if (log_syslog)
		closelog();
	log_syslog = 0;         /* the file replaces syslog */
	snprintf(log_path, sizeof(log_path), "%s", path);
	return 0;
}

/* dlog_reopen - the log_file again (after logrotate moved it), at
 * SIGHUP; the old one is kept when the new one cannot be opened */
void dlog_reopen(void)
{
	if (log_fd >= 0 && log_path[0]) {
		char path[sizeof(log_path)];

		memcpy(path, log_path, sizeof(path));
		(void)dlog_open(path);
	}
}

/* dlog_file_fd - the log_file's descriptor (-1: none), to give it to
 * the service user */
int dlog_file_fd(void)
{
	return log_fd;
}

/* dlog_detached - stderr is gone (the daemon detached) */
void dlog_detached(void)
{
	log_stderr = 0;
}

/* dlog_stamp - the time of a line: 2026-12-02T17:40:01.123Z */
static void dlog_stamp(char *s, size_t n)
{
	struct timespec ts;
	struct tm tm;
	size_t k;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	k = strftime(s, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(s + k, n - k, ".%03uZ",
		 (unsigned)(ts.tv_nsec / 1000000) % 1000);
}

/* dlog - one line, to each place it goes; a line to stderr or the
 * log_file is stamped with the time and written whole at once */
void dlog(int prio, const char *fmt, ...)
{
	static const char *const lv[] = {
		"emerg", "alert", "crit", "error", "warning",
		"notice", "info", "debug"
	};
	char line[2048], out[2200], stamp[40];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_syslog)
		syslog(prio, "%s", line);
	if (!log_stderr && log_fd < 0)
		return;
	dlog_stamp(stamp, sizeof(stamp));
	n = snprintf(out, sizeof(out), "%s mailseal-policyd[%ld]: %s: %s\n",
		     stamp, (long)getpid(), lv[prio & 7], line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(out)) {
		n = sizeof(out) - 1;
		out[n - 1] = '\n';
	}
	if (log_stderr && write(2, out, (size_t)n) < 0) {
		/* nowhere left to say it */
	}
	if (log_fd >= 0 && write(log_fd, out, (size_t)n) < 0) {
		/* the same */
	}
}

static void gen_free(struct generation *g)
{
	policy_tables_free(g->tables);
	config_free(&g->cfg);
	free(g);
}

/* gen_load - a generation from the configuration file */
struct generation *gen_load(const char *path, struct ms_error *err)
{
	struct generation *g = xcalloc(1, sizeof(*g));
	struct policy *probe;

	g->refs = 1;                    /* the caller's */
	config_init(&g->cfg);
	if (config_load(&g->cfg, path, err) != MS_OK)
		goto fail;
	g->tables = policy_tables_load(&g->cfg, err);
	if (!g->tables)
		goto fail;
	/* every setting an engine reads is checked now, not per thread */
	probe = policy_new_shared(&g->cfg, g->tables, err);
	if (!probe)
		goto fail;
	policy_free(probe);
	return g;
fail:
	gen_free(g);
	return NULL;
}

/* gen_install - make g current (the caller's reference becomes the
 * daemon's) */
void gen_install(struct generation *g)
{
	struct generation *old;

	pthread_mutex_lock(&gen_lock);
	g->id = gen_next_id++;
	old = gen_now;
	gen_now = g;
	if (old && --old->refs == 0)
		gen_free(old);
	pthread_mutex_unlock(&gen_lock);
}

struct generation *gen_hold(void)
{
	struct generation *g;

	pthread_mutex_lock(&gen_lock);
	g = gen_now;
	if (g)
		g->refs++;
	pthread_mutex_unlock(&gen_lock);
	return g;
}

void gen_release(struct generation *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&gen_lock);
	if (--g->refs == 0)
		gen_free(g);
	pthread_mutex_unlock(&gen_lock);
}

/* worker_engine - the engine for the current generation */
struct policy *worker_engine(struct worker *w)
{
	struct generation *g;
	struct ms_error err;
	int same;

	pthread_mutex_lock(&gen_lock);
	same = w->gen && w->gen == gen_now && w->engine;
	pthread_mutex_unlock(&gen_lock);
	if (same)
		return w->engine;
	worker_done(w);
	g = gen_hold();
	if (!g)
		return NULL;
	w->engine = policy_new_shared(&g->cfg, g->tables, &err);
	if (!w->engine) {
		dlog(LOG_ERR, "cannot build an engine: %s", err.msg);
		gen_release(g);
		return NULL;
	}
	w->gen = g;
	return w->engine;
}

/* worker_done - release the worker's engine and generation */
void worker_done(struct worker *w)
{
	policy_free(w->engine);
	gen_release(w->gen);
	w->engine = NULL;
	w->gen = NULL;
}

/* worker_exit - the end of a worker thread: its engine, and what
 * OpenSSL keeps per thread */
void worker_exit(struct worker *w)
{
	worker_done(w);
	crypto_thread_done();
}
