/*
 * benchcli.h - what the load generators (bench/smtpload.c and
 * bench/policyload.c) share: the set-up error, memory, the clock, number
 * arguments and their own CPU time.
 *
 * Static inline functions: each tool is one .c file that the scripts
 * compile on their own (bench/lib.sh's bench_cc), and a tool need not use
 * all of them.  Define BENCH_PROG, the tool's name for its messages,
 * before including it:
 *
 *   #define BENCH_PROG "smtpload"
 *   #include "benchcli.h"
 *
 * (bench/benchutil.h is the other shared header, of the signing and
 * verifying drivers bench/bench_*.c.)
 */
#ifndef BENCHCLI_H
#define BENCHCLI_H

#ifndef BENCH_PROG
#error "define BENCH_PROG before including benchcli.h"
#endif

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

/* die - a set-up error: say it, exit 2 */
static inline void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static inline void die(const char *fmt, ...)
{
	va_list ap;

	fputs(BENCH_PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* xrealloc - realloc, or exit on out of memory */
static inline void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		die("out of memory");
	return q;
}

/* now - seconds on the monotonic clock */
static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* parse_num - a decimal in [min, max]: no sign, no space, no junk */
static inline int parse_num(const char *s, unsigned long min,
			    unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	if (!*s)
		return 0;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		if (v > (ULONG_MAX - (unsigned long)(*p - '0')) / 10)
			return 0;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < min || v > max)
		return 0;
	*out = v;
	return 1;
}

/* cpu_seconds - user + system time of this process so far (0 when
 * getrusage fails) */
static inline double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

#endif
