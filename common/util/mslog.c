/*
 * mslog.c - the logging hook.
 */
#include <stdarg.h>
#include <stdio.h>

#include "mslog.h"

/* set once at start-up by the front end, read-only afterwards */
static ms_log_fn ms_log_sink;

/* ms_log_set_sink - install fn (NULL: stderr) */
void ms_log_set_sink(ms_log_fn fn)
{
	ms_log_sink = fn;
}

/* ms_log - format one line and give it to the sink */
void ms_log(enum ms_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info" };
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (ms_log_sink)
		ms_log_sink(level, line);
	else
		fprintf(stderr, "mailseal: %s: %s\n", names[level], line);
}
