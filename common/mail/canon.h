/*
 * canon.h - canonicalization (RFC 6376 section 3.4).
 *
 * Header fields: canon_header appends the canonical form of one field
 * (raw bytes as received, CRLF line ends, final CRLF included) to out.
 *
 * Bodies stream: canon_body_feed takes raw body bytes in chunks of any
 * size (lines end in CRLF or bare LF, a CR split from its LF across
 * chunks is handled) and passes canonical bytes to the sink: changed
 * bytes gathered in pieces of at most MS_CANON_STAGE, and runs of whole
 * lines that need no change straight from the input, in one piece of
 * any size.  Trailing empty lines are held back as a
 * count, never buffered, so memory is constant.  canon_body_finish
 * applies the end-of-body rules (simple: an empty body is one CRLF;
 * both: a missing final CRLF is added).
 */
#ifndef MAILSEAL_CANON_H
#define MAILSEAL_CANON_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "dkim_sig.h"
#include "ms_limits.h"

/* canon_header - append the canonical form of one field */
enum ms_status canon_header(enum dkim_canon mode, const unsigned char *raw,
			    size_t len, struct buf *out);

typedef void (*canon_sink_fn)(void *arg, const unsigned char *p, size_t len);

struct canon_body {
	enum dkim_canon mode;
	canon_sink_fn sink;
	void *sink_arg;
	uint64_t out_len;               /* canonical bytes produced so far */
	uint64_t empty_lines;           /* held-back empty lines */
	int line_has_content;           /* current line has output */
	int wsp_pending;                /* relaxed: WSP seen, not yet emitted */
	int cr_held;                    /* chunk ended in CR */
	size_t stage_len;
	unsigned char stage[MS_CANON_STAGE];
};

/* canon_body_init - start a body in the given mode */
void canon_body_init(struct canon_body *cb, enum dkim_canon mode,
		     canon_sink_fn sink, void *sink_arg);
/* canon_body_feed - canonicalize the next chunk */
void canon_body_feed(struct canon_body *cb, const unsigned char *p,
		     size_t len);
/* canon_body_finish - end of body; flushes everything to the sink */
void canon_body_finish(struct canon_body *cb);

#endif
