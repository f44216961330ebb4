/*
 * fuzz_httpreq.c - libFuzzer target: the HTTP request head of
 * mailseal-policyd's /metrics (httpreq_parse).
 *
 * Checked: a complete head ends in LF within the input and within
 * HTTPREQ_MAX bytes, its path is inside it and starts with '/'; the
 * head alone reads the same as the head with what followed it; a
 * prefix of an input never reads as a complete head of another length,
 * and what a prefix found malformed stays malformed.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "httpreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpreq r, again, part;
	enum httpreq_status st = httpreq_parse(data, size, &r), sp;
	size_t cut = size / 2;

	if (st == HTTPREQ_DONE) {
		if (r.head_len == 0 || r.head_len > size ||
		    r.head_len > HTTPREQ_MAX || data[r.head_len - 1] != '\n')
			__builtin_trap();
		if (r.path < data || r.path + r.path_len > data + r.head_len ||
		    r.path_len == 0 || r.path[0] != '/')
			__builtin_trap();
		if (httpreq_parse(data, r.head_len, &again) != HTTPREQ_DONE ||
		    again.head_len != r.head_len || again.method != r.method ||
		    again.path != r.path || again.path_len != r.path_len ||
		    again.minor != r.minor)
			__builtin_trap();
	}
	sp = httpreq_parse(data, cut, &part);
	if (sp == HTTPREQ_DONE && (st != HTTPREQ_DONE ||
				   part.head_len != r.head_len))
		__builtin_trap();
	if (sp == HTTPREQ_BAD && st != HTTPREQ_BAD)
		__builtin_trap();
	return 0;
}
