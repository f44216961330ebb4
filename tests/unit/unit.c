/*
 * unit.c - the test harness of unit.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static int unit_failed;

/* unit_check - record one check */
void unit_check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf(cond ? "ok " : "not ok ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		unit_failed++;
	fflush(stdout);
}

/* unit_failf - record a failure with a reason */
void unit_failf(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("not ok %s - ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	unit_failed++;
	fflush(stdout);
}

/* unit_pass - record a pass */
void unit_pass(const char *name)
{
	printf("ok %s\n", name);
	fflush(stdout);
}

/* unit_done - exit status: 0 when nothing failed */
int unit_done(void)
{
	return unit_failed ? 1 : 0;
}

/* unit_read_file - whole file into a malloc'd buffer */
unsigned char *unit_read_file(const char *path, size_t *len)
{
	char full[4096];
	const char *root = getenv("MAILSEAL_ROOT");
	FILE *f;
	unsigned char *data = NULL;
	size_t cap = 0, n = 0, r;

	if (root && path[0] != '/')
		snprintf(full, sizeof(full), "%s/%s", root, path);
	else
		snprintf(full, sizeof(full), "%s", path);
	f = fopen(full, "rb");
	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			unsigned char *nd;

			cap = cap ? cap * 2 : 8192;
			nd = realloc(data, cap);
			if (!nd) {
				free(data);
				fclose(f);
				return NULL;
			}
			data = nd;
		}
		r = fread(data + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	data[n] = 0;
	*len = n;
	return data;
}

/* unit_esc - printable form of p[0..len) for check names */
const char *unit_esc(const void *p, size_t len)
{
	static char out[4][1024];
	static int k;
	const unsigned char *s = p;
	char *o = out[k = (k + 1) % 4];
	size_t n = 0, i;

	for (i = 0; i < len && n < sizeof(out[0]) - 5; i++) {
		unsigned char c = s[i];

		if (c == '\r')
			n += (size_t)snprintf(o + n, 5, "\\r");
		else if (c == '\n')
			n += (size_t)snprintf(o + n, 5, "\\n");
		else if (c == '\t')
			n += (size_t)snprintf(o + n, 5, "\\t");
		else if (c < 32 || c > 126)
			n += (size_t)snprintf(o + n, 5, "\\x%02x", c);
		else
			o[n++] = (char)c;
	}
	o[n] = 0;
	return o;
}
