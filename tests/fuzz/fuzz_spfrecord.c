/*
 * fuzz_spfrecord.c - libFuzzer target: the SPF record parser
 * (spf_record_parse, RFC 7208 section 12's ABNF).
 *
 * Checked on every record that parses: at most SPF_MAX_TERMS terms;
 * every slice (term text, domain-spec, redirect, exp) lies inside the
 * input; CIDR lengths in range; a term's domain-spec passes the
 * domain-spec check again; qualifiers are one of + - ~ ?.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "spfmacro.h"
#include "spfrecord.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const char *s, size_t n, const uint8_t *data, size_t size)
{
	return !s || ((const uint8_t *)s >= data &&
		      (const uint8_t *)s + n <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct spf_record rec;
	struct ms_error err;
	size_t i;

	(void)spf_record_is(data, size);
	if (spf_record_parse((const char *)data, size, &rec, &err) != MS_OK)
		return 0;
	if (rec.nterms > SPF_MAX_TERMS ||
	    !inside(rec.redirect, rec.redirect_len, data, size) ||
	    !inside(rec.exp, rec.exp_len, data, size))
		__builtin_trap();
	for (i = 0; i < rec.nterms; i++) {
		const struct spf_term *t = &rec.term[i];

		if (!inside(t->text, t->text_len, data, size) ||
		    !inside(t->spec, t->spec_len, data, size) ||
		    t->cidr4 > 32 || t->cidr6 > 128 || !strchr("+-~?", t->qualifier) ||
		    !t->qualifier)
			__builtin_trap();
		if (t->spec && spf_domain_spec_check(t->spec, t->spec_len, &err) != MS_OK)
			__builtin_trap();
		(void)spf_mech_str(t->mech);
	}
	return 0;
}
