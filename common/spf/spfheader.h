/*
 * spfheader.h - the Received-SPF header field of RFC 7208 section 9.1,
 * for an SPF outcome.
 *
 *   Received-SPF: RESULT (RECEIVER: WHY) client-ip=IP;
 *       envelope-from=SENDER; helo=HELO; receiver=RECEIVER;
 *       identity=mailfrom|helo; [mechanism=TERM;] [problem=TEXT]
 *
 * Values that are not dot-atoms are quoted strings (backslash before a
 * quote or backslash); bytes outside printable ASCII become '?', so that
 * nothing the client sent can break the field.  The field is folded,
 * CRLF-terminated, and appended to out.
 */
#ifndef MAILSEAL_SPFHEADER_H
#define MAILSEAL_SPFHEADER_H

#include "buf.h"
#include "spf.h"
#include "status.h"

/* spf_received_field - append the field for o (client ip, its HELO
 * name, and this host's name as receiver) */
enum ms_status spf_received_field(const struct spf_outcome *o, const char *ip,
				  const char *helo, const char *receiver,
				  struct buf *out);

#endif
