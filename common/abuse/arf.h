/*
 * arf.h - the reader of abuse complaints: what a user or a feedback loop
 * sends to an abuse@ address, reduced to what the complaint rules need.
 *
 * Two shapes are read:
 *  - an ARF report (RFC 5965): multipart/report; report-type=
 *    feedback-report, whose second part (message/feedback-report) holds
 *    the report's fields and whose third part is the reported message
 *    (message/rfc822) or its header block only (text/rfc822-headers);
 *  - a message forwarded as an attachment: the first message/rfc822
 *    part of a multipart message (at most ARF_MAX_DEPTH levels deep).
 *
 * The reported message is handed back as the bytes that arrived, not a
 * re-encoding of them: DKIM verifies those bytes.  Its part body runs
 * from after the part's empty line to the line break before the next
 * delimiter (that line break belongs to the delimiter, RFC 2046 section
 * 5.1.1).  A base64 part (which RFC 2046 forbids for message/rfc822,
 * but some mail programs send) is decoded; quoted-printable is refused,
 * since the original bytes cannot be told from its soft line breaks.
 *
 * Limits, so that hostile input costs bounded work: ARF_MAX_BYTES of
 * input, ARF_MAX_PARTS parts in all, ARF_MAX_DEPTH multipart levels, a
 * boundary of at most 70 characters (RFC 2046), ARF_MAX_FIELD bytes of
 * one header field.  What it returns lives in the caller's arena (or in
 * the input).
 */
#ifndef MAILSEAL_ARF_H
#define MAILSEAL_ARF_H

#include <stddef.h>
#include "arena.h"
#include "status.h"

#define ARF_MAX_BYTES (32u << 20)
#define ARF_MAX_PARTS 64
#define ARF_MAX_DEPTH 4
#define ARF_MAX_FIELD 8192

enum arf_kind {
	ARF_FEEDBACK = 1,               /* an RFC 5965 report */
	ARF_FORWARD,                    /* a message with one attached */
};

struct arf_report {
	enum arf_kind kind;
	/* the report's own header: its From (the address, lower-case
	 * domain), for a reporter known by its domain */
	const char *from;
	/* RFC 5965 fields (ARF_FEEDBACK; NULL when absent) */
	const char *feedback_type;      /* abuse, fraud, ... (lower case) */
	const char *user_agent;
	const char *source_ip;
	const char *original_mail_from;
	const char *reported_domain;
	/* the reported message, as it arrived (decoded from base64 when it
	 * was so encoded) */
	const unsigned char *original;
	size_t original_len;
	int headers_only;               /* text/rfc822-headers: no body */
	int decoded;                    /* it was base64 */
};

/* arf_read - r from the len bytes of a report; MS_OK, or an error that
 * says why it is not one (MS_ERR_SYNTAX: no reported message found or
 * a malformed structure; MS_ERR_LIMIT: past a limit; MS_ERR_UNSUPPORTED:
 * a quoted-printable message) */
enum ms_status arf_read(const unsigned char *p, size_t len, struct arena *a,
			struct arf_report *r, struct ms_error *err);

/* arf_from - the one From address of message p[0..len) (its header
 * block), "local@domain" in a with the domain in lower case; NULL when
 * there is not exactly one readable mailbox */
const char *arf_from(const unsigned char *p, size_t len, struct arena *a);

#endif
