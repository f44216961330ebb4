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
