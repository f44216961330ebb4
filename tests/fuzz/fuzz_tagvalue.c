/*
 * fuzz_tagvalue.c - libFuzzer target: the tag-list parser
 * (tagvalue_parse, RFC 6376 section 3.2).
 *
 * Checked on every list that parses: at most MS_MAX_TAGS tags; each
 * name is non-empty and found again by tagvalue_find (so names are
 * unique); name, value and span lie inside the input in that order;
 * a value has no FWS at either end.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tagvalue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_fws_byte(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tag_list list;
	char name[256];
	size_t i;

	if (tagvalue_parse(data, size, &list, NULL) != MS_OK)
		return 0;
	if (list.count > MS_MAX_TAGS)
		__builtin_trap();
	for (i = 0; i < list.count; i++) {
		const struct tag *t = &list.tags[i];

		/* slices lie inside the input, spans in order */
		if (t->name < data || t->name + t->name_len > data + size ||
		    t->value < data || t->value + t->value_len > data + size ||
		    t->span_start > t->span_end || t->span_end > size)
			__builtin_trap();
		if (t->name_len == 0 || t->value < t->name + t->name_len ||
		    (size_t)(t->value - data) < t->span_start ||
		    (size_t)(t->value - data) + t->value_len > t->span_end)
			__builtin_trap();
		if (t->value_len && (is_fws_byte(t->value[0]) ||
				     is_fws_byte(t->value[t->value_len - 1])))
			__builtin_trap();
		if (t->name_len < sizeof(name)) {
			memcpy(name, t->name, t->name_len);
			name[t->name_len] = 0;
			if (tagvalue_find(&list, name) != t)
				__builtin_trap();       /* a duplicate name */
			(void)tagvalue_eq(t, "rsa-sha256");
			(void)tagvalue_eq_nocase(t, "DKIM1");
		}
	}
	return 0;
}
