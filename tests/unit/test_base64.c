/*
 * test_base64.c - base64 as DKIM uses it: RFC 4648 vectors, folding
 * whitespace (SP, HTAB, CR, LF) skipped anywhere, padding required and
 * checked, every other byte rejected; encode/decode round trips.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "unit.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

#define esc unit_esc        /* printable form for check names */

static void test_decode_table(void)
{
	static const struct {
		const char *in;
		size_t len;             /* 0: strlen(in) */
		const char *out;        /* NULL: must be rejected */
	} t[] = {
		/* RFC 4648 section 10 */
		{ "", 0, "" },
		{ "Zg==", 0, "f" },
		{ "Zm8=", 0, "fo" },
		{ "Zm9v", 0, "foo" },
		{ "Zm9vYg==", 0, "foob" },
		{ "Zm9vYmE=", 0, "fooba" },
		{ "Zm9vYmFy", 0, "foobar" },
		{ "AAEC/f7/", 0, "\x00\x01\x02\xfd\xfe\xff" },
		{ "+/+/", 0, "\xfb\xff\xbf" },
		/* folding whitespace anywhere */
		{ " Zm9vYmFy", 0, "foobar" },
		{ "Zm9vYmFy ", 0, "foobar" },
		{ "Zm9v YmFy", 0, "foobar" },
		{ "Z m 9 v Y m F y", 0, "foobar" },
		{ "\tZm9v\tYmFy\t", 0, "foobar" },
		{ "Zm9v\r\n YmFy", 0, "foobar" },
		{ "Zm9v\r\n\tYmFy\r\n", 0, "foobar" },
		{ "Zm\r\n 9v\r\n Ym\r\n Fy", 0, "foobar" },
		{ "Zm9v\nYmFy", 0, "foobar" },
		{ "Zm9v\rYmFy", 0, "foobar" },
		{ "Zm9vYg=\r\n =", 0, "foob" },
		{ "Zm9vYg= =", 0, "foob" },
		{ "Zm9vYg==  \r\n ", 0, "foob" },
		{ " \r\n\t ", 0, "" },
		/* padding */
		{ "Zm9vYg", 0, NULL },          /* missing */
		{ "Zm9vYg=", 0, NULL },         /* half */
		{ "Zm9vYmE", 0, NULL },
		{ "Zg", 0, NULL },
		{ "Z", 0, NULL },
		{ "Zm9", 0, NULL },
		{ "Zm9vY", 0, NULL },
		{ "Zm9vY===", 0, NULL },        /* three '=' */
		{ "Z===", 0, NULL },
		{ "====", 0, NULL },
		{ "=", 0, NULL },
		{ "==", 0, NULL },
		{ "Zm8==", 0, NULL },           /* extra '=' */
		{ "Zg===", 0, NULL },
		{ "Zg==Zg==", 0, NULL },        /* data after padding */
		{ "Zg==Zm9v", 0, NULL },
		{ "Zm8=Zg==", 0, NULL },
		{ "Zg=a", 0, NULL },
		{ "Z=g=", 0, NULL },
		{ "=Zg=", 0, NULL },
		{ "Zm9v=", 0, NULL },
		/* bytes outside the alphabet */
		{ "Zm9v!", 0, NULL },
		{ "Zm9v-_", 0, NULL },          /* base64url alphabet */
		{ "Zm-v", 0, NULL },
		{ "Zm_v", 0, NULL },
		{ "Zm9v.", 0, NULL },
		{ "Zm9v;", 0, NULL },
		{ "Zm9\x80", 0, NULL },
		{ "Zm9v\xff", 0, NULL },
		{ "Zm\0" "9v", 5, NULL },          /* NUL */
		{ "Zm9v\v", 0, NULL },          /* VT is not FWS */
		{ "Zm9v\f", 0, NULL },          /* FF is not FWS */
		{ "Zm9v\x01", 0, NULL },
		{ "Zm9v\x7f", 0, NULL },
		{ "\"Zm9v\"", 0, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len = t[i].len ? t[i].len : strlen(t[i].in);
		struct buf b;
		enum ms_status st;

		buf_init(&b, 1024);
		st = base64_decode((const unsigned char *)t[i].in, len, &b);
		if (t[i].out) {
			size_t want = strlen(t[i].out);

			/* one vector decodes to bytes with a NUL first */
			if (strcmp(t[i].in, "AAEC/f7/") == 0)
				want = 6;
			CHECK(st == MS_OK && b.len == want &&
			      memcmp(buf_str(&b), t[i].out, want) == 0,
			      "base64 decode \"%s\" (%s, %zu bytes, want %zu)",
			      esc(t[i].in, len), ms_status_str(st), b.len, want);
		} else {
			CHECK(st != MS_OK, "base64 rejects \"%s\" (%s)",
			      esc(t[i].in, len), ms_status_str(st));
		}
		buf_free(&b);
	}
}

static void test_encode_table(void)
{
	static const struct {
		const char *in;
		const char *out;
	} t[] = {
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
		{ "\xfb\xff\xbf", "+/+/" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b;
		enum ms_status st;

		buf_init(&b, 1024);
		st = base64_encode((const unsigned char *)t[i].in, strlen(t[i].in),
				   &b);
		CHECK(st == MS_OK && strcmp(buf_str(&b), t[i].out) == 0 &&
		      b.len == strlen(t[i].out),
		      "base64 encode \"%s\" -> \"%s\"", esc(t[i].in, strlen(t[i].in)),
		      t[i].out);
		buf_free(&b);
	}
}

/* both directions append to what the buf holds */
static void test_append(void)
{
	struct buf b;

	buf_init(&b, 1024);
	buf_puts(&b, "xy");
	CHECK(base64_decode((const unsigned char *)"Zm9v", 4, &b) == MS_OK &&
	      b.len == 5 && strcmp(buf_str(&b), "xyfoo") == 0,
	      "base64 decode appends to the buffer");
	CHECK(base64_encode((const unsigned char *)"f", 1, &b) == MS_OK &&
	      strcmp(buf_str(&b), "xyfooZg==") == 0,
	      "base64 encode appends to the buffer");
	buf_free(&b);

	buf_init(&b, 2);
	CHECK(base64_decode((const unsigned char *)"Zm9vYmFy", 8, &b) == MS_ERR_LIMIT,
	      "base64 decode past the buffer's maximum: MS_ERR_LIMIT");
	buf_free(&b);
	/* a maximum that holds the output exactly is enough */
	buf_init(&b, 3);
	CHECK(base64_decode((const unsigned char *)"Zm9v", 4, &b) == MS_OK &&
	      b.len == 3 && memcmp(b.data, "foo", 3) == 0,
	      "base64 decode into a buffer whose maximum is exactly the output (3 bytes)");
	buf_free(&b);
	buf_init(&b, 6);
	CHECK(base64_decode((const unsigned char *)"Zm9v\r\n YmFy", 11, &b) == MS_OK &&
	      b.len == 6 && memcmp(b.data, "foobar", 6) == 0,
	      "base64 decode with FWS into a buffer whose maximum is exactly the output (6 bytes)");
	buf_free(&b);
	buf_init(&b, 8);
	CHECK(base64_encode((const unsigned char *)"foobar", 6, &b) == MS_OK &&
	      b.len == 8 && strcmp(buf_str(&b), "Zm9vYmFy") == 0,
	      "base64 encode into a buffer whose maximum is exactly the output (8 bytes)");
	buf_free(&b);
	buf_init(&b, 3);
	CHECK(base64_encode((const unsigned char *)"foobar", 6, &b) == MS_ERR_LIMIT,
	      "base64 encode past the buffer's maximum: MS_ERR_LIMIT");
	buf_free(&b);
}

static uint32_t rnd_state = 2463534242u;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* encode then decode gives the bytes back, for every length 0..300 and
 * every byte value; also with FWS inserted into the encoding */
static void test_round_trips(void)
{
	unsigned char data[512];
	size_t n, i;
	int bad_plain = 0, bad_shape = 0, bad_fws = 0, bad_all = 0;

	for (n = 0; n <= 300; n++) {
		struct buf enc, dec, fws;

		for (i = 0; i < n; i++)
			data[i] = (unsigned char)rnd();
		buf_init(&enc, 4096);
		buf_init(&dec, 4096);
		buf_init(&fws, 8192);
		if (base64_encode(data, n, &enc) != MS_OK) {
			bad_shape++;
			goto next;
		}
		/* shape: 4 * ceil(n / 3) characters of the alphabet, '=' only
		 * as padding */
		if (enc.len != (n + 2) / 3 * 4)
			bad_shape++;
		for (i = 0; i < enc.len; i++) {
			int pad = enc.data[i] == '=';

			if (!pad && !strchr(alphabet, enc.data[i]))
				bad_shape++;
			if (pad && i < enc.len - (n % 3 ? 3 - n % 3 : 0))
				bad_shape++;
		}
		if (base64_decode(enc.data, enc.len, &dec) != MS_OK ||
		    dec.len != n || (n && memcmp(dec.data, data, n) != 0))
			bad_plain++;
		/* the same with "\r\n " or "\t" or " " every few characters */
		for (i = 0; i < enc.len; i++) {
			if (i && i % 7 == 0)
				buf_puts(&fws, (i / 7) % 3 == 0 ? "\r\n " :
					 (i / 7) % 3 == 1 ? "\t" : " ");
			buf_putc(&fws, enc.data[i]);
		}
		buf_reset(&dec);
		if (base64_decode(fws.data ? fws.data : (const unsigned char *)"",
				  fws.len, &dec) != MS_OK ||
		    dec.len != n || (n && memcmp(dec.data, data, n) != 0))
			bad_fws++;
next:
		buf_free(&enc);
		buf_free(&dec);
		buf_free(&fws);
	}
	CHECK(bad_shape == 0, "base64 encode: length 4*ceil(n/3), alphabet, padding at the end (n = 0..300; %d wrong)", bad_shape);
	CHECK(bad_plain == 0, "base64 round trip, n = 0..300 random bytes (%d wrong)", bad_plain);
	CHECK(bad_fws == 0, "base64 round trip with FWS inserted, n = 0..300 (%d wrong)", bad_fws);

	for (i = 0; i < 256; i++)
		data[i] = (unsigned char)i;
	{
		struct buf enc, dec;

		buf_init(&enc, 4096);
		buf_init(&dec, 4096);
		if (base64_encode(data, 256, &enc) != MS_OK ||
		    base64_decode(enc.data, enc.len, &dec) != MS_OK ||
		    dec.len != 256 || memcmp(dec.data, data, 256) != 0)
			bad_all++;
		buf_free(&enc);
		buf_free(&dec);
	}
	CHECK(bad_all == 0, "base64 round trip of all 256 byte values");
}

/* every single byte value placed in a valid encoding: only the
 * alphabet and FWS are accepted */
static void test_every_byte(void)
{
	int c, bad = 0;

	for (c = 0; c < 256; c++) {
		unsigned char in[9];
		struct buf b;
		enum ms_status st;
		int ok_byte = (c && strchr(alphabet, c)) || c == ' ' ||
			      c == '\t' || c == '\r' || c == '\n';

		/* "Zm9v" + c + "YmFy" is 9 characters: with an alphabet byte
		 * it is misaligned (invalid); with FWS it decodes "foobar" */
		memcpy(in, "Zm9v", 4);
		in[4] = (unsigned char)c;
		memcpy(in + 5, "YmFy", 4);
		buf_init(&b, 64);
		st = base64_decode(in, 9, &b);
		if (ok_byte && !strchr(alphabet, c)) {
			if (st != MS_OK || b.len != 6 || memcmp(b.data, "foobar", 6))
				bad++;
		} else if (st == MS_OK) {
			bad++;
		}
		buf_free(&b);
		/* and in place of a data character of "Zm9v": "Zm9" + c
		 * ('=' there is padding with non-zero bits, which RFC 4648
		 * lets a decoder take or leave) */
		if (c == '=')
			continue;
		in[0] = 'Z'; in[1] = 'm'; in[2] = '9'; in[3] = (unsigned char)c;
		buf_init(&b, 64);
		st = base64_decode(in, 4, &b);
		if ((c && strchr(alphabet, c)) != (st == MS_OK))
			bad++;
		buf_free(&b);
	}
	CHECK(bad == 0, "base64: each of the 256 byte values accepted exactly when alphabet or FWS (%d wrong)", bad);
}

int main(void)
{
	test_decode_table();
	test_encode_table();
	test_append();
	test_round_trips();
	test_every_byte();
	return unit_done();
}
