/*
 * tagvalue.c - the tag-list parser of RFC 6376 section 3.2.
 *
 * A hand-written scanner over (p, len) with named states; it records
 * slices and never writes to the input.  FWS is taken loosely as any
 * run of SP, HTAB, CR and LF: the header block was already split into
 * fields, so a CRLF here is always followed by whitespace.
 */
#include <string.h>
#include <strings.h>

#include "tagvalue.h"

static int tv_is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
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

		while (i < len && tv_is_wsp(p[i]))
			i++;
		if (i == len)
			break;          /* trailing FWS, or ";" then FWS */
		if (!tv_is_alpha(p[i]))
			return ms_error_set(err, MS_ERR_SYNTAX,
					    "tag name does not start with a letter at offset %zu", i);
		name_start = i;
		while (i < len && tv_is_namechar(p[i]))
			i++;
		name_end = i;
		while (i < len && tv_is_wsp(p[i]))
			i++;
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
		while (i < len && tv_is_wsp(p[i]))
			i++;
		vstart = vend = i;
		while (i < len && p[i] != ';') {
			if (tv_is_valchar(p[i]))
				vend = i + 1;
			else if (!tv_is_wsp(p[i]))
				return ms_error_set(err, MS_ERR_SYNTAX,
						    "tag \"%.*s\" has a byte 0x%02x not allowed in a value",
						    (int)t->name_len,
						    (const char *)t->name, p[i]);
			i++;
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
