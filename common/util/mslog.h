/*
 * mslog.h - the one logging hook of the library.
 *
 * The core logs only what its caller cannot see in a return value
 * (a poisoned cache entry, Redis going away and coming back).  Each
 * front end installs its sink once at start-up: the CLI writes to
 * stderr, the Exim module to Exim's log, the daemon to syslog.  With no
 * sink installed, messages go to stderr.
 */
#ifndef MAILSEAL_MSLOG_H
#define MAILSEAL_MSLOG_H

enum ms_log_level {
	MS_LOG_ERR = 0,
	MS_LOG_WARN,
	MS_LOG_INFO,
};

typedef void (*ms_log_fn)(enum ms_log_level level, const char *msg);

/* ms_log_set_sink - install fn (NULL: stderr) */
void ms_log_set_sink(ms_log_fn fn);
/* ms_log - format one line and give it to the sink */
void ms_log(enum ms_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
