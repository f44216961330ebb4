/*
 * buf.c - the byte buffer for untrusted bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

/* buf_init - empty buffer that may grow to max bytes */
void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max > BUF_UNLIMITED ? BUF_UNLIMITED : max;
}

/* buf_free - release the data */
void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* buf_reset - make it empty, keep the storage */
void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}

/* buf_reserve - make room for n more bytes (and the NUL) */
enum ms_status buf_reserve(struct buf *b, size_t n)
{
	size_t need, cap;

	if (n > b->max || b->len > b->max - n)
		return MS_ERR_LIMIT;
	need = b->len + n + 1;
	if (need <= b->cap)
		return MS_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > BUF_UNLIMITED / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	b->data[b->len] = 0;            /* a fresh buffer is "" too */
	return MS_OK;
}

/* buf_append - append n bytes */
enum ms_status buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) != MS_OK)
		return MS_ERR_LIMIT;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return MS_OK;
}

/* buf_puts - append a C string */
enum ms_status buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* buf_putc - append one byte */
enum ms_status buf_putc(struct buf *b, int c)
{
	unsigned char ch = (unsigned char)c;

	return buf_append(b, &ch, 1);
}

/* buf_printf - append formatted text */
enum ms_status buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MS_ERR_SYNTAX;
	if (buf_reserve(b, (size_t)n) != MS_OK)
		return MS_ERR_LIMIT;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return MS_OK;
}

/* buf_truncate - shorten to len bytes */
void buf_truncate(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = 0;
	}
}

/* buf_str - the data as a C string */
const char *buf_str(const struct buf *b)
{
	return b->data ? (const char *)b->data : "";
}

/* buf_load_file - the whole file at path appended to b */
enum ms_status buf_load_file(struct buf *b, const char *path,
			     struct ms_error *err)
{
	unsigned char chunk[8192];
	enum ms_status st = MS_OK;
	size_t n, start = b->len;
	FILE *f = fopen(path, "rbe");        /* e: close on exec */

	if (!f)
		return ms_error_set(err, MS_ERR_IO, "%s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(b, chunk, n) != MS_OK) {
			st = ms_error_set(err, MS_ERR_LIMIT, "%s: larger than %zu bytes",
					  path, b->max);
			break;
		}
	}
	if (st == MS_OK && ferror(f))
		st = ms_error_set(err, MS_ERR_IO, "%s: %s", path, strerror(errno));
	fclose(f);
	if (st != MS_OK)
		buf_truncate(b, start);
	return st;
}
