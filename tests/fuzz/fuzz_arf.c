/*
 * fuzz_arf.c - libFuzzer target: the abuse report reader (arf_read:
 * MIME structure, ARF fields, nested and forwarded messages).
 *
 * Checked on every report that reads: the reported message is not
 * empty and, unless it was base64, lies inside the input (the bytes as
 * they arrived, never a copy that could differ); a headers-only message
 * comes from an ARF report; the fields are NUL-terminated.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "arf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arf_report r;
	struct ms_error err;
	struct arena a;

	arena_init(&a);
	if (arf_read(data, size, &a, &r, &err) == MS_OK) {
		if (!r.original || r.original_len == 0)
			__builtin_trap();
		if (!r.decoded && (r.original < data ||
				   r.original + r.original_len > data + size))
			__builtin_trap();
		if (r.headers_only && r.kind != ARF_FEEDBACK)
			__builtin_trap();
		if (r.feedback_type && strlen(r.feedback_type) > 1024)
			__builtin_trap();
	} else if (!err.msg[0]) {
		__builtin_trap();
	}
	arena_free(&a);
	return 0;
}
