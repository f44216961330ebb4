/*
 * tagvalue.h - the tag-list parser of RFC 6376 section 3.2.
 *
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *
 * The parser never writes to its input.  Results are slices into the
 * input, so the input must outlive the list.  A duplicate tag name, a
 * bad name, a value byte outside VALCHAR/FWS, or more than MS_MAX_TAGS
 * tags make the whole list invalid (MS_ERR_SYNTAX / MS_ERR_LIMIT).
 * Tag names are case-sensitive, as the RFC says.
 */
#ifndef MAILSEAL_TAGVALUE_H
#define MAILSEAL_TAGVALUE_H

#include <stddef.h>
#include "ms_limits.h"
#include "status.h"

struct tag {
	const unsigned char *name;
	size_t name_len;
	const unsigned char *value;     /* without surrounding FWS */
	size_t value_len;
	/* The span after "=" up to the ";" (or the end), surrounding
	 * whitespace included: what "b=" deletion removes (section 3.7). */
	size_t span_start;
	size_t span_end;
};

struct tag_list {
	struct tag tags[MS_MAX_TAGS];
	size_t count;
};

/* tagvalue_parse - parse p[0..len) into list */
enum ms_status tagvalue_parse(const unsigned char *p, size_t len,
			      struct tag_list *list, struct ms_error *err);

/* tagvalue_find - the tag called name, or NULL */
const struct tag *tagvalue_find(const struct tag_list *list,
				const char *name);

/* tagvalue_eq - does value equal the C string s (exactly)? */
int tagvalue_eq(const struct tag *t, const char *s);

/* tagvalue_eq_nocase - the same, ASCII case-insensitive */
int tagvalue_eq_nocase(const struct tag *t, const char *s);

#endif
