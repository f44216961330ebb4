/*
 * fuzz_spfmacro.c - libFuzzer target: SPF macro strings (RFC 7208
 * section 7): the check and the expansion must agree (what is checked
 * as valid expands, what is not is refused by both), and an expansion
 * stays within its buffer's bound.  The first byte chooses the
 * explanation form (c, r, t and spaces allowed).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "spfmacro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *ptr_name(void *arg)
{
	(void)arg;
	return "mx.example.org";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spf_macro_ctx ctx = {
		.s = "strong-bad@email.example.com", .l = "strong-bad",
		.o = "email.example.com", .d = "email.example.com",
		.i = "192.0.2.3", .v = "in-addr", .h = "mx.example.org",
		.c = "192.0.2.3", .r = "mx.receiver.example", .t = "1700000000",
		.p = ptr_name,
	};
	struct ms_error err;
	enum ms_status chk, exp;
	struct buf out;
	int explanation;

	if (size == 0)
		return 0;
	explanation = data[0] & 1;
	data++;
	size--;
	buf_init(&out, 4096);
	chk = spf_macro_check((const char *)data, size, explanation, &err);
	exp = spf_macro_expand((const char *)data, size, &ctx, explanation, &out, &err);
	if ((chk == MS_OK) != (exp == MS_OK || exp == MS_ERR_LIMIT) || out.len > 4096)
		__builtin_trap();
	(void)spf_domain_spec_check((const char *)data, size, &err);
	if (exp == MS_OK)
		(void)spf_domain_trim(buf_str(&out));
	buf_free(&out);
	return 0;
}
