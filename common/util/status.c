/*
 * status.c - status names and the error struct.
 */
#include <stdarg.h>
#include <stdio.h>

#include "status.h"

/* ms_status_str - short name of a status, for logs */
const char *ms_status_str(enum ms_status st)
{
	switch (st) {
	case MS_OK:               return "ok";
	case MS_ERR_SYNTAX:       return "syntax error";
	case MS_ERR_LIMIT:        return "limit exceeded";
	case MS_ERR_UNSUPPORTED:  return "unsupported";
	case MS_ERR_NOTFOUND:     return "not found";
	case MS_ERR_TEMP:         return "temporary failure";
	case MS_ERR_IO:           return "I/O error";
	case MS_ERR_CRYPTO:       return "crypto error";
	case MS_ERR_USAGE:        return "usage error";
	case MS_ERR_STATE:        return "out of order";
	}
	return "unknown status";
}

/* ms_error_set - fill err (if not NULL) and return code */
enum ms_status ms_error_set(struct ms_error *err, enum ms_status code,
			    const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ms_error_clear - reset err */
void ms_error_clear(struct ms_error *err)
{
	if (err) {
		err->code = MS_OK;
		err->msg[0] = 0;
	}
}
