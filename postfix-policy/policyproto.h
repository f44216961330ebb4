/*
 * policyproto.h - Postfix's policy delegation protocol
 * (SMTPD_POLICY_README): the request reader and the reply writer.
 *
 * A request is a block of "name=value" lines, each ended by LF (a CR
 * before the LF is dropped), and the block by an empty line.  Names are
 * lower-case letters, digits and '_'; values are any bytes but NUL and
 * LF.  A name given twice, a line without '=', a block past
 * PP_MAX_REQUEST bytes or PP_MAX_ATTRS lines are errors: the caller
 * drops that connection (the protocol has no error reply).  Names the
 * caller does not ask for are read and ignored.  The request's strings
 * are copies owned by the request, NUL-terminated.
 */
#ifndef MAILSEAL_POLICYPROTO_H
#define MAILSEAL_POLICYPROTO_H

#include <stddef.h>
#include "arena.h"
#include "buf.h"
#include "status.h"

#define PP_MAX_REQUEST (64 * 1024)
#define PP_MAX_ATTRS 128

struct pp_attr {
	const char *name;
	const char *value;
	size_t name_len;
};

struct pp_request {
	struct arena arena;
	size_t n;
	struct pp_attr a[PP_MAX_ATTRS];
};

/* pp_request_end - the length of the first complete request in
 * p[0..len) (through its empty line), or 0 when more bytes are needed */
size_t pp_request_end(const unsigned char *p, size_t len);
/* pp_parse - read one complete request (len as pp_request_end gave);
 * rq is initialised here and released by pp_free, whatever the result */
enum ms_status pp_parse(const unsigned char *p, size_t len,
			struct pp_request *rq, struct ms_error *err);
/* pp_free - release the request's strings */
void pp_free(struct pp_request *rq);
/* pp_get - the value of name, or NULL when the request has none */
const char *pp_get(const struct pp_request *rq, const char *name);
/* pp_get_or - the value of name, or "" */
const char *pp_get_or(const struct pp_request *rq, const char *name);
/* pp_xtext_decode - an xtext value (RFC 3461: "+XX" for a byte, as
 * Postfix sends ccert_subject) into out, reset first; MS_ERR_SYNTAX
 * for a '+' not followed by two upper-case hex digits */
enum ms_status pp_xtext_decode(const char *s, struct buf *out);
/* pp_reply - "action=ACTION\n\n" into out; ACTION must be one line */
enum ms_status pp_reply(struct buf *out, const char *action);

#endif
