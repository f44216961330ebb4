/*
 * benchutil.h - what the C benchmark drivers share: load the corpus into
 * memory, the clock, the run loop and the output lines.
 *
 * Every driver is called the same way:
 *
 *   DRIVER sign|verify rsa|ed25519 LIST KEYDIR RUNS MINSEC [OUTDIR]
 *
 * LIST names one message a line.  The driver loads them all, sets up
 * its keys once, does one untimed pass (the check: how many signatures
 * passed / were made), then RUNS timed runs; each run makes whole passes
 * over the corpus until MINSEC seconds have gone.  With OUTDIR, sign
 * writes each signed message there after the timed runs (for checking
 * by another implementation).  Output lines:
 *
 *   CHECK impl=.. op=.. alg=.. msgs=N ok=K
 *   RUN impl=.. op=.. alg=.. run=I msgs=N bytes=B secs=S ok=K
 */
#ifndef BENCHUTIL_H
#define BENCHUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct bmsg {
	unsigned char *data;
	size_t len;
	char *path;
};

struct bcorpus {
	struct bmsg *m;
	size_t n;
	size_t bytes;
};

static double bnow(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bdie(const char *what)
{
	fprintf(stderr, "bench: %s\n", what);
	exit(2);
}

static unsigned char *bslurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "bench: cannot read %s\n", path);
		exit(2);
	}
	p = malloc((size_t)n + 1);
	if (!p || fread(p, 1, (size_t)n, f) != (size_t)n)
		bdie("read failed");
	p[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void bload(const char *list, struct bcorpus *c)
{
	FILE *f = fopen(list, "r");
	char line[4096];
	size_t cap = 0;

	if (!f)
		bdie("cannot open list");
	memset(c, 0, sizeof *c);
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0])
			continue;
		if (c->n == cap) {
			cap = cap ? cap * 2 : 256;
			c->m = realloc(c->m, cap * sizeof *c->m);
			if (!c->m)
				bdie("out of memory");
		}
		c->m[c->n].path = strdup(line);
		c->m[c->n].data = bslurp(line, &c->m[c->n].len);
		c->bytes += c->m[c->n].len;
		c->n++;
	}
	fclose(f);
	if (c->n == 0)
		bdie("empty corpus");
}

static void bfree(struct bcorpus *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->m[i].data);
		free(c->m[i].path);
	}
	free(c->m);
}

/* the header block's end: offset of the body (after the blank line) */
static inline size_t bbody_off(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i + 3 < len; i++)
		if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' &&
		    p[i + 3] == '\n')
			return i + 4;
	return len;
}

/* one message: 1 when it passed / was signed */
typedef int (*bone_fn)(void *ctx, const struct bmsg *m, FILE *out);

static void brun(const char *impl, const char *op, const char *alg,
		 const struct bcorpus *c, int runs, double minsec,
		 bone_fn one, void *ctx, const char *outdir)
{
	size_t i, ok = 0;
	int r;

	for (i = 0; i < c->n; i++)
		ok += (size_t)one(ctx, &c->m[i], NULL);
	printf("CHECK impl=%s op=%s alg=%s msgs=%zu ok=%zu\n", impl, op, alg,
	       c->n, ok);
	fflush(stdout);
	for (r = 1; r <= runs; r++) {
		size_t msgs = 0, bytes = 0;
		double t0 = bnow(), t;

		ok = 0;
		do {
			for (i = 0; i < c->n; i++)
				ok += (size_t)one(ctx, &c->m[i], NULL);
			msgs += c->n;
			bytes += c->bytes;
			t = bnow() - t0;
		} while (t < minsec);
		printf("RUN impl=%s op=%s alg=%s run=%d msgs=%zu bytes=%zu "
		       "secs=%.6f ok=%zu\n", impl, op, alg, r, msgs, bytes, t,
		       ok);
		fflush(stdout);
	}
	if (outdir) {
		char path[4096];

		for (i = 0; i < c->n; i++) {
			const char *base = strrchr(c->m[i].path, '/');
			FILE *f;

			snprintf(path, sizeof path, "%s/%s", outdir,
				 base ? base + 1 : c->m[i].path);
			f = fopen(path, "wb");
			if (!f)
				bdie("cannot write to outdir");
			one(ctx, &c->m[i], f);
			fclose(f);
		}
	}
}

#endif
