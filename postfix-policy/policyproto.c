/*
 * policyproto.c - the policy delegation protocol's request reader.
 */
#include <string.h>

#include "policyproto.h"

/* pp_request_end - through the first empty line, or 0 */
size_t pp_request_end(const unsigned char *p, size_t len)
{
	size_t i = 0;

	/* an empty line: LF at the start, or LF after LF (CR allowed) */
	while (i < len) {
		const unsigned char *nl = memchr(p + i, '\n', len - i);
		size_t line = nl ? (size_t)(nl - (p + i)) : len - i;

		if (!nl)
			return 0;
		if (line == 0 || (line == 1 && p[i] == '\r'))
			return (size_t)(nl - p) + 1;
		i += line + 1;
	}
	return 0;
}

static int pp_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* pp_parse - read one complete request */
enum ms_status pp_parse(const unsigned char *p, size_t len,
			struct pp_request *rq, struct ms_error *err)
{
	size_t i = 0, lineno = 0, k;

	memset(rq, 0, sizeof(*rq));
	arena_init(&rq->arena);
	if (len > PP_MAX_REQUEST)
		return ms_error_set(err, MS_ERR_LIMIT,
				    "request longer than %d bytes", PP_MAX_REQUEST);
	while (i < len) {
		const unsigned char *nl = memchr(p + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - p) : len, n, eq;

		lineno++;
		n = end - i;
		if (n && p[i + n - 1] == '\r')
			n--;
		if (n == 0)             /* the empty line ends the request */
			return end + 1 >= len ? MS_OK
			       : ms_error_set(err, MS_ERR_SYNTAX,
					      "bytes after the empty line");
		for (eq = 0; eq < n && pp_name_char(p[i + eq]); eq++)
			;
		if (eq == 0 || eq == n || p[i + eq] != '=')
			return ms_error_set(err, MS_ERR_SYNTAX,
					    "line %zu is not name=value", lineno);
		if (memchr(p + i + eq + 1, 0, n - eq - 1))
			return ms_error_set(err, MS_ERR_SYNTAX,
					    "line %zu has a NUL byte", lineno);
		if (rq->n == PP_MAX_ATTRS)
			return ms_error_set(err, MS_ERR_LIMIT,
					    "more than %d attributes", PP_MAX_ATTRS);
		for (k = 0; k < rq->n; k++)
			if (rq->a[k].name_len == eq &&
			    memcmp(rq->a[k].name, p + i, eq) == 0)
				return ms_error_set(err, MS_ERR_SYNTAX,
						    "attribute %.*s given twice",
						    (int)eq, (const char *)p + i);
		rq->a[rq->n].name_len = eq;
		rq->a[rq->n].name = arena_memdup(&rq->arena, p + i, eq);
		rq->a[rq->n].value = arena_memdup(&rq->arena, p + i + eq + 1,
						  n - eq - 1);
		rq->n++;
		if (!nl)
			break;
		i = end + 1;
	}
	return ms_error_set(err, MS_ERR_SYNTAX, "no empty line ends the request");
}

/* pp_free - release the request's strings */
void pp_free(struct pp_request *rq)
{
	arena_free(&rq->arena);
	rq->n = 0;
}

/* pp_get - the value of name, or NULL */
const char *pp_get(const struct pp_request *rq, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < rq->n; i++)
		if (rq->a[i].name_len == n && memcmp(rq->a[i].name, name, n) == 0)
			return rq->a[i].value;
	return NULL;
}

/* pp_get_or - the value of name, or "" */
const char *pp_get_or(const struct pp_request *rq, const char *name)
{
	const char *v = pp_get(rq, name);

	return v ? v : "";
}

static int pp_hex(int c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* pp_xtext_decode - "+XX" escapes into bytes */
enum ms_status pp_xtext_decode(const char *s, struct buf *out)
{
	enum ms_status st = MS_OK;

	buf_reset(out);
	for (; *s && st == MS_OK; s++) {
		if (*s != '+') {
			st = buf_putc(out, (unsigned char)*s);
			continue;
		}
		if (pp_hex(s[1]) < 0 || pp_hex(s[2]) < 0) {
			st = MS_ERR_SYNTAX;
			break;
		}
		st = buf_putc(out, pp_hex(s[1]) << 4 | pp_hex(s[2]));
		s += 2;
	}
	if (st != MS_OK)
		buf_reset(out);
	return st;
}

/* pp_reply - "action=ACTION\n\n" */
enum ms_status pp_reply(struct buf *out, const char *action)
{
	if (strchr(action, '\n') || strchr(action, '\r'))
		return MS_ERR_SYNTAX;
	return buf_printf(out, "action=%s\n\n", action);
}
