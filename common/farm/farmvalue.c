/*
 * farmvalue.c - encode and check cached key answers.
 */
#include <string.h>

#include "crypto.h"
#include "farmvalue.h"
#include "ms_limits.h"

#define FV_MAGIC "MSK1"
#define FV_HEAD (4 + 1 + 1 + 8 + 1)
#define FV_MAC FARMVALUE_MAC_LEN
#define FV_LABEL "mailseal-key"

_Static_assert(FARMVALUE_MAC_LEN == CRYPTO_SHA256_LEN, "HMAC-SHA256");

/* farmvalue_mac - the HMAC of a value of kind label */
enum ms_status farmvalue_mac(const char *label, const char *name,
			     const unsigned char *p, size_t len,
			     const char *secret, unsigned char *mac)
{
	struct buf in;
	enum ms_status st;

	buf_init(&in, BUF_UNLIMITED);
	buf_append(&in, label, strlen(label) + 1);      /* with NUL */
	buf_append(&in, name, strlen(name) + 1);
	buf_append(&in, p, len);
	st = crypto_hmac_sha256((const unsigned char *)secret, strlen(secret),
				in.data, in.len, mac);
	buf_free(&in);
	return st;
}

/* farmvalue_seal - append the value's HMAC */
enum ms_status farmvalue_seal(const char *label, const char *name,
			      struct buf *out, size_t start,
			      const char *secret)
{
	unsigned char mac[FARMVALUE_MAC_LEN];

	if (!secret || !*secret)
		return MS_OK;
	if (farmvalue_mac(label, name, out->data + start, out->len - start,
			  secret, mac) != MS_OK) {
		buf_truncate(out, start);
		return MS_ERR_CRYPTO;
	}
	if (buf_append(out, mac, sizeof(mac)) != MS_OK) {
		buf_truncate(out, start);
		return MS_ERR_LIMIT;
	}
	return MS_OK;
}

/* farmvalue_encode - append the value for ans */
enum ms_status farmvalue_encode(const char *name, const struct key_answer *ans,
				uint64_t expires, const char *secret,
				struct buf *out)
{
	unsigned char head[FV_HEAD];
	size_t start = out->len, i;
	int k;

	memcpy(head, FV_MAGIC, 4);
	head[4] = ans->status == KEY_FOUND ? 'F' : 'N';
	head[5] = ans->dnssec ? '1' : ans->validated ? '2' : '0';
	for (k = 0; k < 8; k++)
		head[6 + k] = (unsigned char)(expires >> (56 - 8 * k));
	head[14] = (unsigned char)ans->nrecords;
	if (ans->nrecords > MS_MAX_KEY_RECORDS ||
	    buf_append(out, head, sizeof(head)) != MS_OK)
		goto limit;
	for (i = 0; i < ans->nrecords; i++) {
		size_t n = ans->record_len[i];
		unsigned char len4[4] = {
			(unsigned char)(n >> 24), (unsigned char)(n >> 16),
			(unsigned char)(n >> 8), (unsigned char)n,
		};

		if (n > MS_MAX_KEY_RECORD || buf_append(out, len4, 4) != MS_OK ||
		    buf_append(out, ans->records[i], n) != MS_OK)
			goto limit;
	}
	return farmvalue_seal(FV_LABEL, name, out, start, secret);
limit:
	buf_truncate(out, start);
	return MS_ERR_LIMIT;
}

/* farmvalue_decode - parse and check a cached value */
enum ms_status farmvalue_decode(const char *name, const unsigned char *p,
				size_t len, const char *secret,
				struct arena *arena, struct key_answer *ans,
				uint64_t *expires)
{
	unsigned char mac[FV_MAC];
	size_t body = len, pos, i, n;
	uint64_t exp = 0;
	int k;

	memset(ans, 0, sizeof(*ans));
	if (secret && *secret) {
		if (len < FV_HEAD + FV_MAC)
			return MS_ERR_SYNTAX;
		body = len - FV_MAC;
		if (farmvalue_mac(FV_LABEL, name, p, body, secret, mac) != MS_OK)
			return MS_ERR_CRYPTO;
		if (!crypto_memeq(mac, p + body, FV_MAC))
			return MS_ERR_CRYPTO;
	}
	if (body < FV_HEAD || memcmp(p, FV_MAGIC, 4) != 0 ||
	    (p[4] != 'F' && p[4] != 'N') || !memchr("012", p[5], 3))
		return MS_ERR_SYNTAX;
	for (k = 0; k < 8; k++)
		exp = exp << 8 | p[6 + k];
	n = p[14];
	if (n > MS_MAX_KEY_RECORDS || (p[4] == 'N') != (n == 0))
		return MS_ERR_SYNTAX;
	pos = FV_HEAD;
	for (i = 0; i < n; i++) {
		size_t rl;

		if (body - pos < 4)
			return MS_ERR_SYNTAX;
		rl = (size_t)p[pos] << 24 | (size_t)p[pos + 1] << 16 |
		     (size_t)p[pos + 2] << 8 | p[pos + 3];
		pos += 4;
		if (rl > MS_MAX_KEY_RECORD || rl > body - pos)
			return MS_ERR_SYNTAX;
		ans->records[i] = (const unsigned char *)
			arena_memdup(arena, p + pos, rl);
		ans->record_len[i] = rl;
		pos += rl;
	}
	if (pos != body)
		return MS_ERR_SYNTAX;
	ans->nrecords = n;
	ans->status = p[4] == 'F' ? KEY_FOUND : KEY_NOTFOUND;
	ans->dnssec = p[5] == '1';
	ans->validated = p[5] != '0';
	*expires = exp;
	return MS_OK;
}
