/*
 * status.h - status codes of library calls and the small error struct
 * a callee fills for its caller.
 *
 * A status says what kind of failure happened (input, resource, system);
 * it is separate from protocol results such as dkim=pass.  The callee
 * writes a human sentence into struct ms_error; the caller decides
 * whether and how to log it.
 */
#ifndef MAILSEAL_STATUS_H
#define MAILSEAL_STATUS_H

#include <stddef.h>

enum ms_status {
	MS_OK = 0,
	MS_ERR_SYNTAX,          /* malformed input */
	MS_ERR_LIMIT,           /* input exceeds a limit of limits.h */
	MS_ERR_UNSUPPORTED,     /* well-formed but not something we do */
	MS_ERR_NOTFOUND,        /* lookup found nothing (permanent) */
	MS_ERR_TEMP,            /* temporary failure: try again later */
	MS_ERR_IO,              /* system call failed */
	MS_ERR_CRYPTO,          /* OpenSSL refused an operation */
	MS_ERR_USAGE,           /* bad arguments or configuration */
	MS_ERR_STATE,           /* call out of order */
};

#define MS_ERRMSG_MAX 256

struct ms_error {
	enum ms_status code;
	char msg[MS_ERRMSG_MAX];
};

/* ms_status_str - short name of a status, for logs */
const char *ms_status_str(enum ms_status st);

/* ms_error_set - fill err (if not NULL) and return code */
enum ms_status ms_error_set(struct ms_error *err, enum ms_status code,
			    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ms_error_clear - reset err to MS_OK with an empty message */
void ms_error_clear(struct ms_error *err);

#endif
