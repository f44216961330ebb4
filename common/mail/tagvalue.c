/*
 * tagvalue.c - the tag-list parser of RFC 6376 section 3.2.
 *
 * A hand-written scanner over (p, len); it records slices and never
 * writes to the input.  FWS is SP and HTAB, and CRLF only when
 * whitespace follows it (a folded line); a CR or LF anywhere else makes
 * the list invalid, which matters for key records, which come from DNS
 * rather than from a split header block.
 */
#include <string.h>
#include <strings.h>

#include "tagvalue.h"

/* tv_fws - the length of the FWS at p[i] (0 if none): SP, HTAB, or a
 * CRLF followed by SP or HTAB */
static size_t tv_fws(const unsigned char *p, size_t len, size_t i)
{
	if (i < len && (p[i] == ' ' || p[i] == '\t'))
		return 1;
	if (i + 2 < len && p[i] == '\r' && p[i + 1] == '\n' &&
	    (p[i + 2] == ' ' || p[i + 2] == '\t'))
		return 3;
	return 0;
}

/* tv_skip - past any FWS from p[i] */
static size_t tv_skip(const unsigned char *p, size_t len, size_t i)
{
	size_t n;

	while ((n = tv_fws(p, len, i)) > 0)
		i += n;
	return i;
}

static int tv_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int tv_is_namechar(unsigned char c)
{
	return tv_is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* VALCHAR = %x21-3A / %x3C-7E: printable except ';' */
static int tv_is_valchar(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';';
}

/* tagvalue_parse - parse p[0..len) into list */
enum ms_status tagvalue_parse(const unsigned char *p, size_t len,
			      struct tag_list *list, struct ms_error *err)
{
	size_t i = 0;

	list->count = 0;
	while (i < len) {
		struct tag *t;
		size_t name_start, name_end, vstart, vend, k;

		i = tv_skip(p, len, i);
		if (i == len)
			break;          /* trailing FWS, or ";" then FWS */
		if (!tv_is_alpha(p[i]))
			return ms_error_set(err, MS_ERR_SYNTAX,
					    "tag name does not start with a letter at offset %zu", i);
		name_start = i;
		while (i < len && tv_is_namechar(p[i]))
			i++;
		name_end = i;
		i = tv_skip(p, len, i);
		if (i == len || p[i] != '=')
			return ms_error_set(err, MS_ERR_SYNTAX,
					    "tag \"%.*s\" has no \"=\"",
					    (int)(name_end - name_start),
					    (const char *)p + name_start);
		i++;
		if (list->count == MS_MAX_TAGS)
			return ms_error_set(err, MS_ERR_LIMIT,
					    "more than %d tags", MS_MAX_TAGS);
		t = &list->tags[list->count];
		t->name = p + name_start;
		t->name_len = name_end - name_start;
		t->span_start = i;
		i = tv_skip(p, len, i);
		vstart = vend = i;
		while (i < len && p[i] != ';') {
			size_t n;

			if (tv_is_valchar(p[i])) {
				vend = ++i;
			} else if ((n = tv_fws(p, len, i)) > 0) {
				i += n;
			} else {
				return ms_error_set(err, MS_ERR_SYNTAX,
						    "tag \"%.*s\" has a byte 0x%02x not allowed in a value",
						    (int)t->name_len,
						    (const char *)t->name, p[i]);
			}
		}
		t->span_end = i;
		t->value = p + vstart;
		t->value_len = vend - vstart;
		for (k = 0; k < list->count; k++) {
			if (list->tags[k].name_len == t->name_len &&
			    memcmp(list->tags[k].name, t->name, t->name_len) == 0)
				return ms_error_set(err, MS_ERR_SYNTAX,
						    "tag \"%.*s\" occurs twice",
						    (int)t->name_len,
						    (const char *)t->name);
		}
		list->count++;
		if (i < len)
			i++;            /* the ";" */
	}
	return MS_OK;
}

/* tagvalue_find - the tag called name, or NULL */
const struct tag *tagvalue_find(const struct tag_list *list,
				const char *name)
{
	size_t n = strlen(name), k;

	for (k = 0; k < list->count; k++) {
		const struct tag *t = &list->tags[k];

		if (t->name_len == n && memcmp(t->name, name, n) == 0)
			return t;
	}
	return NULL;
}

/* tagvalue_eq - does value equal the C string s (exactly)? */
int tagvalue_eq(const struct tag *t, const char *s)
{
	size_t n = strlen(s);

	return t->value_len == n && memcmp(t->value, s, n) == 0;
}

/* tagvalue_eq_nocase - the same, ASCII case-insensitive */
int tagvalue_eq_nocase(const struct tag *t, const char *s)
{
	size_t n = strlen(s);

	return t->value_len == n &&
	       strncasecmp((const char *)t->value, s, n) == 0;
}
