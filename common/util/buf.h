/*
 * buf.h - the one byte-buffer type for untrusted bytes.
 *
 * A buf has a length, a capacity and a hard maximum set at init; growth
 * is overflow-checked and refuses to pass the maximum (the append calls
 * return MS_ERR_LIMIT and leave the buffer unchanged).  The data is kept
 * NUL-terminated for convenience; the NUL is not counted in len.  The
 * buf owns its data; buf_free releases it.
 */
#ifndef MAILSEAL_BUF_H
#define MAILSEAL_BUF_H

#include <stddef.h>
#include "status.h"

struct buf {
	unsigned char *data;
	size_t len;
	size_t cap;
	size_t max;
};

#define BUF_UNLIMITED ((size_t)-1 / 2)

/* buf_init - empty buffer that may grow to max bytes */
void buf_init(struct buf *b, size_t max);
/* buf_free - release the data; the buf may be initialised again */
void buf_free(struct buf *b);
/* buf_reset - make it empty, keep the storage */
void buf_reset(struct buf *b);
/* buf_reserve - make room for n more bytes */
enum ms_status buf_reserve(struct buf *b, size_t n);
/* buf_append - append n bytes */
enum ms_status buf_append(struct buf *b, const void *p, size_t n);
/* buf_puts - append a C string */
enum ms_status buf_puts(struct buf *b, const char *s);
/* buf_putc - append one byte */
enum ms_status buf_putc(struct buf *b, int c);
/* buf_printf - append formatted text */
enum ms_status buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* buf_truncate - shorten to len bytes (len <= b->len) */
void buf_truncate(struct buf *b, size_t len);
/* buf_str - the data as a C string (never NULL) */
const char *buf_str(const struct buf *b);
/* buf_load_file - the whole file at path appended to b (its maximum
 * bounds the size); errors name the file */
enum ms_status buf_load_file(struct buf *b, const char *path,
			     struct ms_error *err);

#endif
