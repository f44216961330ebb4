/*
 * fuzz_tagvalue.c - libFuzzer target: the tag-list parser.
 */
#include <stddef.h>
#include <stdint.h>

#include "tagvalue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tag_list list;
	size_t i;

	if (tagvalue_parse(data, size, &list, NULL) != MS_OK)
		return 0;
	for (i = 0; i < list.count; i++) {
		const struct tag *t = &list.tags[i];

		/* slices lie inside the input, spans in order */
		if (t->name < data || t->name + t->name_len > data + size ||
		    t->value < data || t->value + t->value_len > data + size ||
		    t->span_start > t->span_end || t->span_end > size)
			__builtin_trap();
		(void)tagvalue_find(&list, "b");
	}
	return 0;
}
