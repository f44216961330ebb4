/*
 * fuzz_policyreq.c - libFuzzer target: the policy delegation request
 * reader (pp_request_end, pp_parse) over a stream of requests, and the
 * xtext decoder on every value.
 *
 * Checked: a request end is within the input and ends in LF; a parsed
 * request has at most PP_MAX_ATTRS attributes with non-empty names of
 * the allowed bytes, no LF in values, and no name twice.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policyproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf x;
	size_t off = 0;

	buf_init(&x, PP_MAX_REQUEST);
	while (off < size) {
		struct pp_request rq;
		struct ms_error err;
		size_t end = pp_request_end(data + off, size - off), i, k;

		if (end == 0)
			break;
		if (end > size - off || data[off + end - 1] != '\n')
			__builtin_trap();
		if (pp_parse(data + off, end, &rq, &err) == MS_OK) {
			if (rq.n > PP_MAX_ATTRS)
				__builtin_trap();
			for (i = 0; i < rq.n; i++) {
				if (!rq.a[i].name[0] || strchr(rq.a[i].value, '\n') ||
				    strspn(rq.a[i].name, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
				    strlen(rq.a[i].name))
					__builtin_trap();
				for (k = 0; k < i; k++)
					if (!strcmp(rq.a[i].name, rq.a[k].name))
						__builtin_trap();
				(void)pp_xtext_decode(rq.a[i].value, &x);
			}
			if (pp_get(&rq, "request") && !pp_get_or(&rq, "request"))
				__builtin_trap();
		}
		pp_free(&rq);
		off += end;
	}
	buf_free(&x);
	return 0;
}
