/*
 * keyrec.c - the DKIM key record parser (RFC 6376 section 3.6.1).
 */
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "crypto.h"
#include "keyrec.h"
#include "ms_limits.h"
#include "tagvalue.h"

static int kr_is_fws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* kr_list_has - does the colon-separated list in t contain word
 * (case-insensitive, FWS around items ignored)? */
static int kr_list_has(const struct tag *t, const char *word)
{
	const unsigned char *p = t->value, *end = t->value + t->value_len;
	size_t wl = strlen(word);

	while (p <= end) {
		const unsigned char *colon = memchr(p, ':', (size_t)(end - p));
		const unsigned char *s = p, *e = colon ? colon : end;

		while (s < e && kr_is_fws(*s))
			s++;
		while (e > s && kr_is_fws(e[-1]))
			e--;
		if ((size_t)(e - s) == wl &&
		    strncasecmp((const char *)s, word, wl) == 0)
			return 1;
		if (!colon)
			break;
		p = colon + 1;
	}
	return 0;
}

/* keyrec_parse - parse one key record */
enum ms_status keyrec_parse(const unsigned char *p, size_t len,
			    struct keyrec *key, struct ms_error *err)
{
	struct tag_list list;
	const struct tag *t;
	struct buf der;
	enum ms_status st;

	memset(key, 0, sizeof(*key));
	if (len > MS_MAX_KEY_RECORD)
		return ms_error_set(err, MS_ERR_LIMIT,
				    "key record longer than %d bytes",
				    MS_MAX_KEY_RECORD);
	st = tagvalue_parse(p, len, &list, err);
	if (st != MS_OK)
		return st;
	t = tagvalue_find(&list, "v");
	if (t) {
		if (t != &list.tags[0])
			return ms_error_set(err, MS_ERR_SYNTAX,
					    "v= is not the first tag of the key record");
		if (!tagvalue_eq(t, "DKIM1"))
			return ms_error_set(err, MS_ERR_UNSUPPORTED,
					    "key record version v=%.*s is not DKIM1",
					    (int)t->value_len, (const char *)t->value);
	}
	key->type = KEYREC_RSA;
	t = tagvalue_find(&list, "k");
	if (t) {
		if (tagvalue_eq_nocase(t, "rsa"))
			key->type = KEYREC_RSA;
		else if (tagvalue_eq_nocase(t, "ed25519"))
			key->type = KEYREC_ED25519;
		else
			key->type = KEYREC_OTHER;
	}
	t = tagvalue_find(&list, "h");
	key->sha256_ok = !t || kr_list_has(t, "sha256");
	t = tagvalue_find(&list, "s");
	key->email_ok = !t || kr_list_has(t, "*") || kr_list_has(t, "email");
	t = tagvalue_find(&list, "t");
	if (t) {
		key->testing = kr_list_has(t, "y");
		key->strict = kr_list_has(t, "s");
	}
	t = tagvalue_find(&list, "p");
	if (!t)
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "key record has no p= tag");
	buf_init(&der, MS_MAX_KEY_RECORD);
	if (base64_decode(t->value, t->value_len, &der) != MS_OK) {
		buf_free(&der);
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "key record p= is not valid base64");
	}
	if (der.len == 0) {
		buf_free(&der);
		key->revoked = 1;
		return MS_OK;
	}
	switch (key->type) {
	case KEYREC_RSA:
		st = crypto_pubkey_rsa(der.data, der.len, &key->pkey, err);
		break;
	case KEYREC_ED25519:
		st = crypto_pubkey_ed25519(der.data, der.len, &key->pkey, err);
		break;
	case KEYREC_OTHER:
		st = MS_OK;             /* unusable, reported by the caller */
		break;
	}
	buf_free(&der);
	if (st != MS_OK)
		return st;
	if (key->pkey)
		key->bits = crypto_key_bits(key->pkey);
	return MS_OK;
}

/* keyrec_release - free what keyrec_parse allocated */
void keyrec_release(struct keyrec *key)
{
	crypto_pkey_free(key->pkey);
	key->pkey = NULL;
}
