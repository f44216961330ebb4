/*
 * fuzz_dkimsig.c - libFuzzer target: the DKIM-Signature parser
 * (dkimsig_parse, with an arena).
 *
 * Checked on every signature that parses, against what dkim_sig.h
 * promises: a known algorithm; d= and s= domain-shaped; h= non-empty,
 * at most MS_MAX_SIGNED_HEADERS names, From among them; i= (if any)
 * within d=; x= after t=; the b= span inside the input; b_prefix a
 * C string.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "dkim_sig.h"
#include "ms_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int within(const char *identity, const char *domain)
{
	const char *at = strrchr(identity, '@');
	size_t il, dl = strlen(domain);

	if (!at)
		return 0;
	at++;
	il = strlen(at);
	return (il == dl && strcasecmp(at, domain) == 0) ||
	       (il > dl && at[il - dl - 1] == '.' &&
		strcasecmp(at + il - dl, domain) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_sig sig;
	struct arena arena;
	size_t i;
	int from = 0;

	arena_init(&arena);
	if (dkimsig_parse(data, size, &arena, &sig, NULL) == MS_OK) {
		if (!sig.domain || !sig.selector || !sig.alg_name ||
		    !sig.headers || !sig.nheaders ||
		    sig.nheaders > MS_MAX_SIGNED_HEADERS ||
		    sig.b_span_start > sig.b_span_end || sig.b_span_end > size)
			__builtin_trap();
		if (sig.alg == DKIM_ALG_UNKNOWN || !dkim_alg_name(sig.alg))
			__builtin_trap();
		if (!dkim_domain_valid(sig.domain, strlen(sig.domain)) ||
		    !dkim_domain_valid(sig.selector, strlen(sig.selector)))
			__builtin_trap();
		for (i = 0; i < sig.nheaders; i++)
			if (strcasecmp(sig.headers[i], "from") == 0)
				from = 1;
		if (!from)
			__builtin_trap();
		if (sig.identity && !within(sig.identity, sig.domain))
			__builtin_trap();
		if (sig.has_timestamp && sig.has_expire &&
		    sig.expire <= sig.timestamp)
			__builtin_trap();
		if (!memchr(sig.b_prefix, 0, sizeof(sig.b_prefix)))
			__builtin_trap();
		if ((sig.sig_len && !sig.sig) || (sig.bh_len && !sig.bh))
			__builtin_trap();
		(void)dkim_canon_name(sig.hdr_canon);
		(void)dkim_canon_name(sig.body_canon);
	}
	arena_free(&arena);
	return 0;
}
