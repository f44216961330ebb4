/*
 * authres.h - the Authentication-Results writer (RFC 8601, with the
 * header.b property of RFC 6008).
 *
 * One field for all DKIM results of a message: authserv-id, then one
 * "dkim=RESULT" resinfo per signature with reason and the properties
 * header.d, header.i (when present), header.s, header.a and header.b
 * (first 8 characters of b=), or "dkim=none".  Values that are not
 * MIME tokens are quoted.  Each resinfo goes on its own folded line.
 *
 * The reader side is what RFC 8601 section 5 needs of a receiver: the
 * authserv-id of a field already in the message, so that one claiming
 * ours can be removed.  The rest of the field is not interpreted.
 */
#ifndef MAILSEAL_AUTHRES_H
#define MAILSEAL_AUTHRES_H

#include <stddef.h>
#include "buf.h"
#include "dkim_verify.h"
#include "status.h"

/* a result of another method than DKIM (spf, and later dmarc): one
 * resinfo "METHOD=RESULT [reason="..."] [PROP=VALUE]" */
struct authres_method {
	const char *method;             /* "spf" */
	const char *result;             /* "pass" */
	const char *reason;             /* or NULL */
	const char *prop;               /* "smtp.mailfrom", or NULL */
	const char *value;              /* its value */
	const char *prop2;              /* a second one ("smtp.helo"), or NULL */
	const char *value2;
};

/* authres_format - append the whole field, CRLF-terminated, to out */
enum ms_status authres_format(const char *authserv_id,
			      const struct dkim_sig_result *res, size_t n,
			      struct buf *out);
/* authres_format_with - the same with the results of other methods
 * after the DKIM ones (none: "dkim=none" still stands first) */
enum ms_status authres_format_with(const char *authserv_id,
				   const struct dkim_sig_result *res, size_t n,
				   const struct authres_method *more,
				   size_t nmore, struct buf *out);
/* authres_append_value - a property value, quoted if it must be */
enum ms_status authres_append_value(struct buf *out, const char *v);

/* authres_parse_id - the authserv-id of an Authentication-Results
 * field, from the bytes after its colon: a token or a quoted string
 * (unquoted into out, which is reset first), after optional CFWS.
 * MS_ERR_SYNTAX when the value starts with neither; MS_ERR_LIMIT when
 * out cannot hold it. */
enum ms_status authres_parse_id(const unsigned char *p, size_t len,
				struct buf *out);
/* authres_id_eq - do two authserv-ids name the same server?  (ASCII
 * case-insensitive, as host names compare; white space around either
 * and one final dot, the DNS root, do not count) */
int authres_id_eq(const char *a, const char *b);
/* authres_claims_id - does the field value p (after the colon) claim
 * authserv-id id?  Yes when its authserv-id is id (authres_id_eq); and
 * when no authserv-id can be read from it (an unclosed quote or
 * comment, nothing but CFWS), yes when id appears in it as a whole
 * name anywhere: a reader more lenient than ours may take it as ours,
 * so a malformed field that names us is treated as a claim.  scratch
 * is reset and used as work space. */
int authres_claims_id(const unsigned char *p, size_t len, const char *id,
		      struct buf *scratch);

#endif
