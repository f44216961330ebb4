/*
 * test_farmvalue.c - cached key answers: round trips, HMAC, malformed
 * values.
 */
#include <stdlib.h>
#include <string.h>

#include "farmvalue.h"
#include "unit.h"

static void answer(struct key_answer *a, int found)
{
	static const unsigned char r1[] = "v=DKIM1; k=rsa; p=AAAA";
	static const unsigned char r2[] = "v=DKIM1; k=ed25519; p=BBBB";

	memset(a, 0, sizeof(*a));
	a->status = found ? KEY_FOUND : KEY_NOTFOUND;
	a->dnssec = found;
	if (found) {
		a->records[0] = r1;
		a->record_len[0] = sizeof(r1) - 1;
		a->records[1] = r2;
		a->record_len[1] = sizeof(r2) - 1;
		a->nrecords = 2;
	}
}

int main(void)
{
	const char *name = "sel._domainkey.example.com";
	struct key_answer in, out;
	struct arena arena;
	struct buf v;
	uint64_t exp = 0;
	size_t i;
	int all_rejected = 1;

	arena_init(&arena);
	buf_init(&v, BUF_UNLIMITED);

	answer(&in, 1);
	CHECK(farmvalue_encode(name, &in, 1900000000, "", &v) == MS_OK,
	      "farmvalue: encode without secret");
	CHECK(farmvalue_decode(name, v.data, v.len, "", &arena, &out, &exp) == MS_OK &&
	      out.status == KEY_FOUND && out.nrecords == 2 && out.dnssec == 1 &&
	      exp == 1900000000 && out.record_len[1] == in.record_len[1] &&
	      memcmp(out.records[1], in.records[1], in.record_len[1]) == 0,
	      "farmvalue: round trip without secret");

	buf_reset(&v);
	CHECK(farmvalue_encode(name, &in, 1900000000, "s3cret", &v) == MS_OK,
	      "farmvalue: encode with secret");
	CHECK(farmvalue_decode(name, v.data, v.len, "s3cret", &arena, &out, &exp) == MS_OK &&
	      out.nrecords == 2, "farmvalue: round trip with secret");
	CHECK(farmvalue_decode(name, v.data, v.len, "other", &arena, &out, &exp) == MS_ERR_CRYPTO,
	      "farmvalue: another secret fails the HMAC");
	CHECK(farmvalue_decode("sel._domainkey.example.org", v.data, v.len, "s3cret",
			       &arena, &out, &exp) == MS_ERR_CRYPTO,
	      "farmvalue: a value moved to another name fails the HMAC");
	for (i = 0; i < v.len; i++) {
		v.data[i] ^= 0x01;
		if (farmvalue_decode(name, v.data, v.len, "s3cret", &arena, &out,
				     &exp) == MS_OK)
			all_rejected = 0;
		v.data[i] ^= 0x01;
	}
	CHECK(all_rejected, "farmvalue: every one-bit change is rejected");
	CHECK(farmvalue_decode(name, v.data, v.len - 32, "", &arena, &out, &exp) == MS_OK,
	      "farmvalue: the body without its HMAC is well-formed");
	CHECK(farmvalue_decode(name, v.data, v.len - 32, "s3cret", &arena, &out, &exp) != MS_OK,
	      "farmvalue: with a secret, a value without HMAC is rejected");

	buf_reset(&v);
	answer(&in, 0);
	CHECK(farmvalue_encode(name, &in, 1800000000, "", &v) == MS_OK &&
	      farmvalue_decode(name, v.data, v.len, "", &arena, &out, &exp) == MS_OK &&
	      out.status == KEY_NOTFOUND && out.nrecords == 0,
	      "farmvalue: a negative answer round-trips");

	/* the DNSSEC byte: what a validating node may take from the farm */
	{
		static const struct { int dnssec, validated; char byte; } t[] = {
			{ 0, 0, '0' },          /* from a node that does not validate */
			{ 1, 1, '1' },          /* validated, secure */
			{ 0, 1, '2' },          /* validated, the name needs no signature */
		};

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			answer(&in, 1);
			in.dnssec = t[i].dnssec;
			in.validated = t[i].validated;
			buf_reset(&v);
			CHECK(farmvalue_encode(name, &in, 1900000000, "s3cret", &v) == MS_OK &&
			      v.data[5] == (unsigned char)t[i].byte &&
			      farmvalue_decode(name, v.data, v.len, "s3cret", &arena, &out,
					       &exp) == MS_OK &&
			      out.dnssec == t[i].dnssec && out.validated == t[i].validated,
			      "farmvalue: dnssec=%d validated=%d is stored as '%c' and read back",
			      t[i].dnssec, t[i].validated, t[i].byte);
		}
		answer(&in, 1);
		in.dnssec = 0;
		buf_reset(&v);
		farmvalue_encode(name, &in, 1900000000, "", &v);
		v.data[5] = '3';
		CHECK(farmvalue_decode(name, v.data, v.len, "", &arena, &out, &exp) == MS_ERR_SYNTAX,
		      "farmvalue: an unknown DNSSEC byte is malformed");
	}

	/* malformed values */
	{
		static const struct {
			const char *what;
			const char *bytes;
			size_t len;
		} bad[] = {
			{ "empty", "", 0 },
			{ "wrong magic", "XXXXF0\0\0\0\0\0\0\0\1\0", 15 },
			{ "bad status", "MSK1Q0\0\0\0\0\0\0\0\1\0", 15 },
			{ "found with no records", "MSK1F0\0\0\0\0\0\0\0\1\0", 15 },
			{ "not found with a record", "MSK1N0\0\0\0\0\0\0\0\1\1\0\0\0\1x", 20 },
			{ "record longer than the value", "MSK1F0\0\0\0\0\0\0\0\1\1\0\0\0\11x", 20 },
			{ "trailing bytes", "MSK1F0\0\0\0\0\0\0\0\1\1\0\0\0\1xy", 21 },
			{ "too many records", "MSK1F0\0\0\0\0\0\0\0\1\x63", 15 },
			{ "truncated length", "MSK1F0\0\0\0\0\0\0\0\1\1\0\0", 17 },
		};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			CHECK(farmvalue_decode(name, (const unsigned char *)bad[i].bytes,
					       bad[i].len, "", &arena, &out, &exp) == MS_ERR_SYNTAX,
			      "farmvalue: malformed (%s) rejected", bad[i].what);
	}
	buf_free(&v);
	arena_free(&arena);
	return unit_done();
}
