/*
 * msgreader.c - streaming message reader: header block kept and split,
 * body passed through.
 *
 * Header bytes are appended to one buffer with bare LF turned into
 * CRLF; at each line end the line is classified (new field,
 * continuation, end of headers).  Fields are recorded as offsets, since
 * the buffer may move while it grows.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ms_limits.h"
#include "msgreader.h"
#include "xalloc.h"

/* msgreader_init - ready to read */
void msgreader_init(struct msgreader *mr, msgreader_headers_fn on_headers,
		    msgreader_body_fn on_body, void *arg)
{
	memset(mr, 0, sizeof(*mr));
	buf_init(&mr->hdr, MS_MAX_HEADER_BYTES);
	(void)buf_reserve(&mr->hdr, 4096);      /* most header blocks fit */
	mr->on_headers = on_headers;
	mr->on_body = on_body;
	mr->arg = arg;
}

/* msgreader_free - release the header block */
void msgreader_free(struct msgreader *mr)
{
	buf_free(&mr->hdr);
	free(mr->fields);
	mr->fields = NULL;
	mr->nfields = mr->fields_cap = 0;
}

static enum ms_status mr_fail(struct msgreader *mr, const char *what)
{
	mr->state = MR_ERROR;
	return ms_error_set(&mr->err, MS_ERR_LIMIT, "%s", what);
}

static int mr_is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* mr_new_field - the line at line_start begins a field */
static enum ms_status mr_new_field(struct msgreader *mr, size_t line_len)
{
	const unsigned char *line = mr->hdr.data + mr->line_start;
	const unsigned char *colon;
	struct msg_field_pos *f;
	size_t name_len = 0;

	if (mr->nfields == MS_MAX_HEADERS)
		return mr_fail(mr, "more header fields than the limit");
	if (mr->nfields == mr->fields_cap) {
		mr->fields_cap = mr->fields_cap ? mr->fields_cap * 2 : 32;
		mr->fields = xrealloc(mr->fields,
				      mr->fields_cap * sizeof(*mr->fields));
	}
	colon = mr_is_wsp(line[0]) ? NULL : memchr(line, ':', line_len);
	if (colon) {
		name_len = (size_t)(colon - line);
		while (name_len > 0 && mr_is_wsp(line[name_len - 1]))
			name_len--;
	}
	f = &mr->fields[mr->nfields++];
	f->off = mr->line_start;
	f->len = 0;
	f->name_len = name_len;
	return MS_OK;
}

/* mr_line_done - a complete line (CRLF included) ends at hdr.len */
static enum ms_status mr_line_done(struct msgreader *mr)
{
	size_t line_len = mr->hdr.len - mr->line_start;
	const unsigned char *line = mr->hdr.data + mr->line_start;
	struct msg_field_pos *f;
	enum ms_status st;

	if (line_len == 2) {            /* the empty line */
		buf_truncate(&mr->hdr, mr->line_start);
		mr->state = MR_BODY;
		if (mr->on_headers)
			mr->on_headers(mr->arg);
		return MS_OK;
	}
	if (!mr_is_wsp(line[0]) || mr->nfields == 0) {
		st = mr_new_field(mr, line_len);
		if (st != MS_OK)
			return st;
	}
	f = &mr->fields[mr->nfields - 1];
	f->len = mr->hdr.len - f->off;
	if (f->len > MS_MAX_FIELD_BYTES)
		return mr_fail(mr, "a header field is longer than the limit");
	mr->line_start = mr->hdr.len;
	return MS_OK;
}

/* mr_header_bytes - consume header bytes; returns how many were used
 * (fewer than n when the header block ended inside the chunk) */
static size_t mr_header_bytes(struct msgreader *mr, const unsigned char *p,
			      size_t n)
{
	size_t i = 0;

	while (i < n && mr->state == MR_HEADERS) {
		const unsigned char *nl = memchr(p + i, '\n', n - i);
		size_t k = nl ? (size_t)(nl - (p + i)) : n - i;
		int cr_before;

		if (buf_append(&mr->hdr, p + i, k) != MS_OK) {
			mr_fail(mr, "the header block is longer than the limit");
			return n;
		}
		i += k;
		if (!nl)
			break;
		/* a LF: make the line end CRLF */
		cr_before = mr->hdr.len > mr->line_start &&
			    mr->hdr.data[mr->hdr.len - 1] == '\r';
		if (buf_append(&mr->hdr, cr_before ? "\n" : "\r\n",
			       cr_before ? 1 : 2) != MS_OK) {
			mr_fail(mr, "the header block is longer than the limit");
			return n;
		}
		i++;
		if (mr_line_done(mr) != MS_OK)
			return n;
	}
	return i;
}

/* msgreader_feed - the next chunk of the message */
enum ms_status msgreader_feed(struct msgreader *mr, const unsigned char *p,
			      size_t len)
{
	size_t used;

	switch (mr->state) {
	case MR_HEADERS:
		used = mr_header_bytes(mr, p, len);
		if (mr->state == MR_ERROR)
			return mr->err.code;
		p += used;
		len -= used;
		if (mr->state != MR_BODY || len == 0)
			return MS_OK;
		/* FALLTHROUGH */
	case MR_BODY:
		mr->body_bytes += len;
		if (mr->on_body && len)
			mr->on_body(mr->arg, p, len);
		return MS_OK;
	case MR_ERROR:
		return mr->err.code;
	case MR_DONE:
		return ms_error_set(&mr->err, MS_ERR_STATE,
				    "message fed after its end");
	}
	return MS_ERR_STATE;
}

/* msgreader_finish - end of input */
enum ms_status msgreader_finish(struct msgreader *mr)
{
	if (mr->state == MR_ERROR)
		return mr->err.code;
	if (mr->state == MR_HEADERS) {
		/* input ended inside the header block: close the last line */
		if (mr->hdr.len > mr->line_start) {
			if (buf_append(&mr->hdr, "\r\n", 2) != MS_OK)
				return mr_fail(mr,
					       "the header block is longer than the limit");
			if (mr->hdr.len - mr->line_start == 2) {
				buf_truncate(&mr->hdr, mr->line_start);
			} else if (mr_line_done(mr) != MS_OK) {
				return mr->err.code;
			}
		}
		mr->state = MR_BODY;
		if (mr->on_headers)
			mr->on_headers(mr->arg);
	}
	mr->state = MR_DONE;
	return MS_OK;
}

/* msgreader_nfields - number of fields */
size_t msgreader_nfields(const struct msgreader *mr)
{
	return mr->nfields;
}

/* msgreader_field - raw bytes of field i, final CRLF included */
const unsigned char *msgreader_field(const struct msgreader *mr, size_t i,
				     size_t *len)
{
	*len = mr->fields[i].len;
	return mr->hdr.data + mr->fields[i].off;
}

/* msgreader_field_name - name of field i */
const unsigned char *msgreader_field_name(const struct msgreader *mr,
					  size_t i, size_t *len)
{
	*len = mr->fields[i].name_len;
	return mr->hdr.data + mr->fields[i].off;
}

/* msgreader_field_value - bytes after the colon, final CRLF excluded */
const unsigned char *msgreader_field_value(const struct msgreader *mr,
					   size_t i, size_t *len)
{
	const struct msg_field_pos *f = &mr->fields[i];
	const unsigned char *raw = mr->hdr.data + f->off;
	const unsigned char *colon;
	size_t end = f->len >= 2 ? f->len - 2 : f->len;

	colon = f->name_len ? memchr(raw + f->name_len, ':', end - f->name_len)
			    : NULL;
	if (!colon) {
		*len = 0;
		return raw + end;
	}
	*len = end - (size_t)(colon + 1 - raw);
	return colon + 1;
}

/* msgreader_field_is - is field i called name (case-insensitive)? */
int msgreader_field_is(const struct msgreader *mr, size_t i,
		       const char *name, size_t name_len)
{
	const struct msg_field_pos *f = &mr->fields[i];

	return f->name_len == name_len && name_len > 0 &&
	       strncasecmp((const char *)mr->hdr.data + f->off, name,
			   name_len) == 0;
}
