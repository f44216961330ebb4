/*
 * fuzz_authres.c - libFuzzer target: the authserv-id reader of
 * Authentication-Results fields already in a message.
 *
 * Checked: an id is returned only with MS_OK, is never empty, holds no
 * CR or LF, and is no longer than the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "authres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf id;
	enum ms_status st;

	buf_init(&id, 4096);
	st = authres_parse_id(data, size, &id);
	if (st == MS_OK) {
		if (id.len == 0 || id.len > size ||
		    memchr(id.data, '\r', id.len) || memchr(id.data, '\n', id.len))
			__builtin_trap();
		(void)authres_id_eq(buf_str(&id), "mx.example.net");
	} else if (id.len != 0) {
		__builtin_trap();
	}
	(void)authres_claims_id(data, size, "mx.example.net", &id);
	(void)authres_claims_id(data, size, "", &id);
	buf_free(&id);
	return 0;
}
