/*
 * arf.c - the bounded reader of abuse reports (arf.h).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "arf.h"
#include "base64.h"
#include "buf.h"

#define ARF_MAX_BOUNDARY 70

/* an entity: its header block and its body */
struct ar_entity {
	const unsigned char *h, *b;
	size_t hlen, blen;
};

/* what a header block says of its content */
struct ar_ctype {
	char type[64];                  /* "multipart/report", lower case */
	char boundary[ARF_MAX_BOUNDARY + 1];
	char report_type[64];           /* lower case */
	char cte[32];                   /* Content-Transfer-Encoding */
};

struct ar_state {
	struct arena *a;
	struct arf_report *r;
	struct ms_error *err;
	unsigned parts;
};

static int ar_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* ar_split - the header block of p[0..len) and the body after its empty
 * line (CRLF or LF line ends); an entity with no empty line is all
 * header block */
static void ar_split(const unsigned char *p, size_t len, struct ar_entity *e)
{
	size_t i = 0;

	e->h = p;
	while (i < len) {
		const unsigned char *nl = memchr(p + i, '\n', len - i);
		size_t line_end;

		if (!nl)
			break;
		line_end = (size_t)(nl - p) + 1;
		if (line_end - i == 1 || (line_end - i == 2 && p[i] == '\r')) {
			e->hlen = i;
			e->b = p + line_end;
			e->blen = len - line_end;
			return;
		}
		i = line_end;
	}
	e->hlen = len;
	e->b = p + len;
	e->blen = 0;
}

/* ar_field - the unfolded value of the first field name in the header
 * block h, into out (size bytes, NUL-terminated); -1 when absent or
 * longer than out */
static int ar_field(const unsigned char *h, size_t hlen, const char *name,
		    char *out, size_t size)
{
	size_t nlen = strlen(name), i = 0;

	while (i < hlen) {
		size_t start = i, k, n = 0;

		/* one field: up to a line break not followed by space */
		while (i < hlen) {
			const unsigned char *nl = memchr(h + i, '\n', hlen - i);

			i = nl ? (size_t)(nl - h) + 1 : hlen;
			if (i >= hlen || (h[i] != ' ' && h[i] != '\t'))
				break;
		}
		if (i - start <= nlen || h[start + nlen] != ':')
			continue;
		for (k = 0; k < nlen && ar_lower(h[start + k]) == ar_lower(name[k]); k++)
			;
		if (k < nlen)
			continue;
		for (k = start + nlen + 1; k < i; k++) {
			unsigned char c = h[k];

			if (c == '\r' || c == '\n')
				continue;       /* unfold */
			if (n + 1 >= size)
				return -1;
			out[n++] = (char)c;
		}
		while (n && (out[n - 1] == ' ' || out[n - 1] == '\t'))
			n--;
		out[n] = 0;
		k = 0;
		while (out[k] == ' ' || out[k] == '\t')
			k++;
		memmove(out, out + k, n - k + 1);
		return 0;
	}
	return -1;
}

/* ar_param - the value of parameter name in a Content-Type value v (a
 * token or a quoted string, comments skipped), into out; -1 when absent
 * or too long */
static int ar_param(const char *v, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);
	const char *s = strchr(v, ';');

	while (s) {
		size_t n = 0;

		s++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (strncasecmp(s, name, nlen) == 0) {
			const char *q = s + nlen;

			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == '=') {
				q++;
				while (*q == ' ' || *q == '\t')
					q++;
				if (*q == '"') {
					for (q++; *q && *q != '"'; q++) {
						if (*q == '\\' && q[1])
							q++;
						if (n + 1 >= size)
							return -1;
						out[n++] = *q;
					}
				} else {
					for (; *q && *q != ';' && *q != ' ' &&
					       *q != '\t' && *q != '('; q++) {
						if (n + 1 >= size)
							return -1;
						out[n++] = *q;
					}
				}
				out[n] = 0;
				return n ? 0 : -1;
			}
		}
		/* the next parameter: past a quoted string's ';' too */
		{
			int quoted = 0;

			for (; *s && (quoted || *s != ';'); s++) {
				if (*s == '\\' && quoted && s[1])
					s++;
				else if (*s == '"')
					quoted = !quoted;
			}
			s = *s ? s : NULL;
		}
	}
	return -1;
}

/* ar_ctype - the content type of header block h (text/plain when it
 * says none, as RFC 2045 reads it) */
static void ar_ctype(const unsigned char *h, size_t hlen, struct ar_ctype *ct)
{
	char v[ARF_MAX_FIELD];
	size_t i;

	memset(ct, 0, sizeof(*ct));
	if (ar_field(h, hlen, "Content-Type", v, sizeof(v)) != 0) {
		strcpy(ct->type, "text/plain");
	} else {
		for (i = 0; v[i] && v[i] != ';' && v[i] != ' ' && v[i] != '\t' &&
			    v[i] != '(' && i + 1 < sizeof(ct->type); i++)
			ct->type[i] = (char)ar_lower((unsigned char)v[i]);
		ct->type[i] = 0;
		(void)ar_param(v, "boundary", ct->boundary, sizeof(ct->boundary));
		if (ar_param(v, "report-type", ct->report_type,
			     sizeof(ct->report_type)) == 0)
			for (i = 0; ct->report_type[i]; i++)
				ct->report_type[i] = (char)ar_lower(
					(unsigned char)ct->report_type[i]);
	}
	if (ar_field(h, hlen, "Content-Transfer-Encoding", v, sizeof(v)) == 0)
		for (i = 0; v[i] && i + 1 < sizeof(ct->cte); i++)
			ct->cte[i] = (char)ar_lower((unsigned char)v[i]);
}

/* ar_delim - is the line at p[i..) (i at a line start) a delimiter of
 * boundary b?  1 a delimiter, 2 the close delimiter, 0 not */
static int ar_delim(const unsigned char *p, size_t len, size_t i,
		    const char *b, size_t blen)
{
	if (len - i < 2 + blen || p[i] != '-' || p[i + 1] != '-' ||
	    memcmp(p + i + 2, b, blen) != 0)
		return 0;
	i += 2 + blen;
	if (len - i >= 2 && p[i] == '-' && p[i + 1] == '-')
		return 2;
	/* only transport padding may follow on the line */
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i == len || p[i] == '\n' || (p[i] == '\r' && i + 1 < len &&
					      p[i + 1] == '\n') ? 1 : 0;
}

/* ar_parts - the body parts of multipart body b (boundary bd) into
 * parts (at most max); their count, or -1 on a malformed structure */
static int ar_parts(struct ar_state *st, const unsigned char *p, size_t len,
		    const char *bd, struct ar_entity *parts, int max)
{
	size_t blen = strlen(bd), i = 0, start = 0;
	int n = 0, open = 0;

	while (i <= len) {
		int d = i < len ? ar_delim(p, len, i, bd, blen) : 0;

		if (d) {
			if (open) {
				/* the line break before the delimiter is
				 * the delimiter's */
				size_t end = i;

				if (end > start && p[end - 1] == '\n')
					end--;
				if (end > start && p[end - 1] == '\r')
					end--;
				if (n == max || ++st->parts > ARF_MAX_PARTS)
					return -2;
				ar_split(p + start, end - start, &parts[n++]);
			}
			if (d == 2)
				return n;
			open = 1;
			{
				const unsigned char *nl = memchr(p + i, '\n',
								 len - i);

				if (!nl)
					return n;       /* no part after it */
				start = i = (size_t)(nl - p) + 1;
			}
			continue;
		}
		{
			const unsigned char *nl = i < len
				? memchr(p + i, '\n', len - i) : NULL;

			if (!nl)
				break;
			i = (size_t)(nl - p) + 1;
		}
	}
	/* no close delimiter: the last part runs to the end */
	if (open) {
		if (n == max || ++st->parts > ARF_MAX_PARTS)
			return -2;
		ar_split(p + start, len - start, &parts[n++]);
	}
	return n ? n : -1;
}

/* ar_take - the reported message is part e (of content type ct) */
static enum ms_status ar_take(struct ar_state *st, const struct ar_entity *e,
			      const struct ar_ctype *ct)
{
	struct arf_report *r = st->r;

	r->headers_only = strcmp(ct->type, "text/rfc822-headers") == 0;
	if (strcmp(ct->cte, "quoted-printable") == 0)
		return ms_error_set(st->err, MS_ERR_UNSUPPORTED,
				    "the reported message is quoted-printable: "
				    "its original bytes cannot be recovered");
	if (strcmp(ct->cte, "base64") == 0) {
		struct buf out;
		enum ms_status s;

		buf_init(&out, ARF_MAX_BYTES);
		s = base64_decode(e->b, e->blen, &out);
		if (s != MS_OK) {
			buf_free(&out);
			return ms_error_set(st->err, MS_ERR_SYNTAX,
					    "the reported message is not valid base64");
		}
		r->original = (const unsigned char *)arena_memdup(st->a, out.data,
								  out.len);
		r->original_len = out.len;
		r->decoded = 1;
		buf_free(&out);
	} else {
		r->original = e->b;
		r->original_len = e->blen;
	}
	if (r->original_len == 0)
		return ms_error_set(st->err, MS_ERR_SYNTAX,
				    "the reported message is empty");
	return MS_OK;
}

/* ar_feedback - the fields of the message/feedback-report part */
static void ar_feedback(struct ar_state *st, const struct ar_entity *e)
{
	static const struct {
		const char *name;
		size_t off;
	} f[] = {
		{ "Feedback-Type", offsetof(struct arf_report, feedback_type) },
		{ "User-Agent", offsetof(struct arf_report, user_agent) },
		{ "Source-IP", offsetof(struct arf_report, source_ip) },
		{ "Original-Mail-From", offsetof(struct arf_report, original_mail_from) },
		{ "Reported-Domain", offsetof(struct arf_report, reported_domain) },
	};
	char v[1024];
	size_t i, k;

	/* its fields are the part's body, a header block of their own */
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (ar_field(e->b, e->blen, f[i].name, v, sizeof(v)) != 0)
			continue;
		if (i == 0)
			for (k = 0; v[k]; k++)
				v[k] = (char)ar_lower((unsigned char)v[k]);
		*(const char **)((char *)st->r + f[i].off) =
			arena_strdup(st->a, v);
	}
}

/* ar_walk - find the reported message in entity e, depth levels down */
static enum ms_status ar_walk(struct ar_state *st, const struct ar_entity *e,
			      unsigned depth)
{
	struct ar_entity parts[ARF_MAX_PARTS];
	struct ar_ctype ct, pct;
	int n, i, report;

	ar_ctype(e->h, e->hlen, &ct);
	if (strncmp(ct.type, "multipart/", 10) != 0)
		return MS_ERR_NOTFOUND;
	if (depth >= ARF_MAX_DEPTH)
		return ms_error_set(st->err, MS_ERR_LIMIT,
				    "multipart nested deeper than %d levels",
				    ARF_MAX_DEPTH);
	if (!ct.boundary[0])
		return ms_error_set(st->err, MS_ERR_SYNTAX,
				    "a %s without a boundary", ct.type);
	n = ar_parts(st, e->b, e->blen, ct.boundary, parts,
		     (int)(sizeof(parts) / sizeof(parts[0])));
	if (n == -2)
		return ms_error_set(st->err, MS_ERR_LIMIT,
				    "more than %d MIME parts", ARF_MAX_PARTS);
	if (n < 0)
		return ms_error_set(st->err, MS_ERR_SYNTAX,
				    "no %s part delimited by its boundary",
				    ct.type);
	report = strcmp(ct.type, "multipart/report") == 0 &&
		 strcmp(ct.report_type, "feedback-report") == 0;
	if (report) {
		st->r->kind = ARF_FEEDBACK;
		for (i = 0; i < n; i++) {
			ar_ctype(parts[i].h, parts[i].hlen, &pct);
			if (strcmp(pct.type, "message/feedback-report") == 0)
				ar_feedback(st, &parts[i]);
		}
	}
	for (i = 0; i < n; i++) {
		enum ms_status s;

		ar_ctype(parts[i].h, parts[i].hlen, &pct);
		if (strcmp(pct.type, "message/rfc822") == 0 ||
		    (report && strcmp(pct.type, "text/rfc822-headers") == 0)) {
			if (!report)
				st->r->kind = ARF_FORWARD;
			return ar_take(st, &parts[i], &pct);
		}
		s = ar_walk(st, &parts[i], depth + 1);
		if (s != MS_ERR_NOTFOUND)
			return s;
	}
	return MS_ERR_NOTFOUND;
}

const char *arf_from(const unsigned char *p, size_t len, struct arena *a)
{
	struct ar_entity e;
	char from[ARF_MAX_FIELD];
	struct addr_list al;
	struct ms_error err;
	size_t n;
	char *f;

	ar_split(p, len, &e);
	if (ar_field(e.h, e.hlen, "From", from, sizeof(from)) != 0 ||
	    addr_parse_list((const unsigned char *)from, strlen(from), a, &al,
			    &err) != MS_OK || al.n != 1)
		return NULL;
	n = strlen(al.local[0]) + strlen(al.domain[0]) + 2;
	f = arena_alloc(a, n);
	snprintf(f, n, "%s@%s", al.local[0], al.domain[0]);
	return f;
}

enum ms_status arf_read(const unsigned char *p, size_t len, struct arena *a,
			struct arf_report *r, struct ms_error *err)
{
	struct ar_state st = { a, r, err, 0 };
	struct ar_entity top;
	enum ms_status s;

	memset(r, 0, sizeof(*r));
	if (len > ARF_MAX_BYTES)
		return ms_error_set(err, MS_ERR_LIMIT,
				    "a report of %zu bytes (at most %u)", len,
				    ARF_MAX_BYTES);
	ar_split(p, len, &top);
	r->from = arf_from(p, len, a);
	s = ar_walk(&st, &top, 0);
	if (s == MS_ERR_NOTFOUND)
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "neither an ARF report nor a message with "
				    "one attached (no message/rfc822 part)");
	return s;
}
