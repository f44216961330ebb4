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

#define B64_ROW(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
static const unsigned char b64_table[256] = {
	/* 0x00 */ B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD,
	B64_BAD, B64_BAD, B64_BAD, B64_WS, B64_WS, B64_BAD, B64_BAD, B64_WS,
	B64_BAD, B64_BAD,
	/* 0x10 */ B64_ROW(B64_BAD),
	/* 0x20 */ B64_WS, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD,
	B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, 62, B64_BAD, B64_BAD,
	B64_BAD, 63,
	/* 0x30 */ 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, B64_BAD, B64_BAD,
	B64_BAD, B64_PAD, B64_BAD, B64_BAD,
	/* 0x40 */ B64_BAD, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	/* 0x50 */ 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, B64_BAD,
	B64_BAD, B64_BAD, B64_BAD, B64_BAD,
	/* 0x60 */ B64_BAD, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37,
	38, 39, 40,
	/* 0x70 */ 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, B64_BAD,
	B64_BAD, B64_BAD, B64_BAD, B64_BAD,
	/* 0x80 - 0xff */ B64_ROW(B64_BAD), B64_ROW(B64_BAD),
	B64_ROW(B64_BAD), B64_ROW(B64_BAD), B64_ROW(B64_BAD),
	B64_ROW(B64_BAD), B64_ROW(B64_BAD), B64_ROW(B64_BAD),
};

/* base64_decode - append the decoded bytes of p[0..len) to out */
enum ms_status base64_decode(const unsigned char *p, size_t len,
			     struct buf *out)
{
	unsigned char quad[4], *o;
	size_t nq = 0, npad = 0, i, start = out->len, nchars = 0;

	/* room for exactly what the characters can decode to: whitespace
	 * does not count, and a count that is not a multiple of 4 is
	 * refused below */
	for (i = 0; i < len; i++)
		nchars += b64_table[p[i]] != B64_WS;
	if (buf_reserve(out, nchars / 4 * 3) != MS_OK)
		return MS_ERR_LIMIT;
	o = out->data + out->len;
	for (i = 0; i < len; i++) {
		unsigned char v = b64_table[p[i]];

		if (v < 64) {
			if (npad)
				goto bad;       /* data after padding */
			quad[nq++] = v;
		} else if (v == B64_WS) {
			continue;
		} else if (v == B64_PAD) {
			/* '=' only in the last two places of a quad */
			if (nq < 2)
				goto bad;
			npad++;
			quad[nq++] = 0;
		} else {
			goto bad;
		}
		if (nq == 4) {
			o[0] = (unsigned char)(quad[0] << 2 | quad[1] >> 4);
			o[1] = (unsigned char)(quad[1] << 4 | quad[2] >> 2);
			o[2] = (unsigned char)(quad[2] << 6 | quad[3]);
			o += 3 - npad;
			nq = 0;
			if (npad)
				npad = 3;       /* nothing may follow */
		}
	}
	if (nq != 0)
		goto bad;
	out->len = (size_t)(o - out->data);
	out->data[out->len] = 0;
	return MS_OK;
bad:
	buf_truncate(out, start);
	if (out->data)
		out->data[out->len] = 0;
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
