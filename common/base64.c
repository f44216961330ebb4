/*
 * base64.c - base64 for DKIM tag values: FWS is skipped, padding is
 * required, everything else is an error.
 */
#include "base64.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* value of each byte: 0..63, B64_WS for skippable whitespace, B64_PAD
 * for '=', B64_BAD otherwise */
enum { B64_BAD = 0xff, B64_WS = 0xfe, B64_PAD = 0xfd };

static unsigned char b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	switch (c) {
	case '+':  return 62;
	case '/':  return 63;
	case '=':  return B64_PAD;
	case ' ': case '\t': case '\r': case '\n':
		return B64_WS;
	}
	return B64_BAD;
}

/* base64_decode - append the decoded bytes of p[0..len) to out */
enum ms_status base64_decode(const unsigned char *p, size_t len,
			     struct buf *out)
{
	unsigned char quad[4];
	size_t nq = 0, npad = 0, i, start = out->len;

	for (i = 0; i < len; i++) {
		unsigned char v = b64_value(p[i]);

		if (v == B64_WS)
			continue;
		if (v == B64_BAD)
			goto bad;
		if (v == B64_PAD) {
			/* '=' only in the last two places of a quad */
			if (nq < 2)
				goto bad;
			npad++;
			quad[nq++] = 0;
		} else {
			if (npad)
				goto bad;       /* data after padding */
			quad[nq++] = v;
		}
		if (nq == 4) {
			unsigned char o[3];
			size_t n = 3 - npad;

			o[0] = (unsigned char)(quad[0] << 2 | quad[1] >> 4);
			o[1] = (unsigned char)(quad[1] << 4 | quad[2] >> 2);
			o[2] = (unsigned char)(quad[2] << 6 | quad[3]);
			if (buf_append(out, o, n) != MS_OK) {
				buf_truncate(out, start);
				return MS_ERR_LIMIT;
			}
			nq = 0;
			if (npad)
				npad = 3;       /* nothing may follow */
		}
	}
	if (nq != 0)
		goto bad;
	return MS_OK;
bad:
	buf_truncate(out, start);
	return MS_ERR_SYNTAX;
}

/* base64_encode - append the encoding of p[0..len) to out */
enum ms_status base64_encode(const unsigned char *p, size_t len,
			     struct buf *out)
{
	size_t i;
	char o[4];

	if (len / 3 > ((size_t)-1) / 8 ||
	    buf_reserve(out, (len + 2) / 3 * 4) != MS_OK)
		return MS_ERR_LIMIT;
	for (i = 0; i + 2 < len; i += 3) {
		o[0] = b64_alphabet[p[i] >> 2];
		o[1] = b64_alphabet[(p[i] & 3) << 4 | p[i + 1] >> 4];
		o[2] = b64_alphabet[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		o[3] = b64_alphabet[p[i + 2] & 63];
		buf_append(out, o, 4);
	}
	if (i < len) {
		o[0] = b64_alphabet[p[i] >> 2];
		if (i + 1 < len) {
			o[1] = b64_alphabet[(p[i] & 3) << 4 | p[i + 1] >> 4];
			o[2] = b64_alphabet[(p[i + 1] & 15) << 2];
		} else {
			o[1] = b64_alphabet[(p[i] & 3) << 4];
			o[2] = '=';
		}
		o[3] = '=';
		buf_append(out, o, 4);
	}
	return MS_OK;
}
