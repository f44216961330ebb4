/*
 * msgreader.h - streaming message reader.
 *
 * Feed a message (RFC 5322) in chunks of any size; the reader keeps the
 * header block, split into fields with their raw bytes (bare LF line
 * ends turned into CRLF, folding kept), and hands body bytes through to
 * the body callback as they arrive, untouched and unbuffered.  When the
 * empty line that ends the header block is seen (or input ends before
 * it), the headers callback runs once, before any body byte.
 *
 * A line in the header block that is neither a field nor a
 * continuation (no colon, or continuation before any field) is kept as
 * a field with an empty name: it cannot be signed, but it is part of
 * the message.  Exceeding MS_MAX_HEADERS, MS_MAX_FIELD_BYTES or
 * MS_MAX_HEADER_BYTES puts the reader in an error state: feed returns
 * MS_ERR_LIMIT, the rest of the input is ignored, and the caller turns
 * that into a verdict.
 */
#ifndef MAILSEAL_MSGREADER_H
#define MAILSEAL_MSGREADER_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "status.h"

typedef void (*msgreader_headers_fn)(void *arg);
typedef void (*msgreader_body_fn)(void *arg, const unsigned char *p,
				  size_t len);

struct msg_field_pos {
	size_t off;                     /* in hdr */
	size_t len;                     /* raw bytes, final CRLF included */
	size_t name_len;                /* 0: not a field */
};

enum msgreader_state {
	MR_HEADERS = 0,
	MR_BODY,
	MR_DONE,
	MR_ERROR,
};

struct msgreader {
	enum msgreader_state state;
	struct buf hdr;                 /* the header block, CRLF ends */
	struct msg_field_pos *fields;
	size_t nfields;
	size_t fields_cap;
	size_t line_start;              /* offset of the current line */
	int cr_held;                    /* last byte fed was CR */
	uint64_t body_bytes;
	msgreader_headers_fn on_headers;
	msgreader_body_fn on_body;
	void *arg;
	struct ms_error err;
};

/* msgreader_init - ready to read; callbacks may be NULL */
void msgreader_init(struct msgreader *mr, msgreader_headers_fn on_headers,
		    msgreader_body_fn on_body, void *arg);
/* msgreader_free - release the header block */
void msgreader_free(struct msgreader *mr);
/* msgreader_feed - the next chunk of the message */
enum ms_status msgreader_feed(struct msgreader *mr, const unsigned char *p,
			      size_t len);
/* msgreader_finish - end of input; runs on_headers if not yet run */
enum ms_status msgreader_finish(struct msgreader *mr);

/* msgreader_nfields - number of fields (valid after on_headers) */
size_t msgreader_nfields(const struct msgreader *mr);
/* msgreader_field - raw bytes of field i, final CRLF included */
const unsigned char *msgreader_field(const struct msgreader *mr, size_t i,
				     size_t *len);
/* msgreader_field_name - name of field i (not NUL-terminated) */
const unsigned char *msgreader_field_name(const struct msgreader *mr,
					  size_t i, size_t *len);
/* msgreader_field_value - bytes after the colon, final CRLF excluded */
const unsigned char *msgreader_field_value(const struct msgreader *mr,
					   size_t i, size_t *len);
/* msgreader_field_is - is field i called name (case-insensitive)? */
int msgreader_field_is(const struct msgreader *mr, size_t i,
		       const char *name, size_t name_len);

#endif
