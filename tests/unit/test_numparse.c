/*
 * test_numparse.c - num_parse_u64, the one strict number parser: ASCII
 * digits only (leading zeros fine), no sign, space, empty string or
 * trailing junk, nothing above max, nothing past UINT64_MAX.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "numparse.h"
#include "unit.h"

#define ANY_ERR ((enum ms_status)-1)    /* any status but MS_OK */

#define esc unit_esc        /* printable form for check names */

static void test_table(void)
{
	static const struct {
		const char *in;
		size_t len;             /* 0: strlen(in) */
		uint64_t max;
		enum ms_status st;
		uint64_t want;
	} t[] = {
		/* plain digits */
		{ "0", 0, 10, MS_OK, 0 },
		{ "1", 0, 10, MS_OK, 1 },
		{ "9", 0, 9, MS_OK, 9 },
		{ "10", 0, 10, MS_OK, 10 },
		{ "1528637909", 0, UINT64_MAX, MS_OK, 1528637909ULL },
		{ "4294967296", 0, UINT64_MAX, MS_OK, 4294967296ULL },
		/* leading zeros */
		{ "00", 0, 10, MS_OK, 0 },
		{ "007", 0, 10, MS_OK, 7 },
		{ "0010", 0, 10, MS_OK, 10 },
		{ "00000000000000000000000000000000001", 0, UINT64_MAX, MS_OK, 1 },
		{ "000000000000000000000018446744073709551615", 0, UINT64_MAX,
		  MS_OK, UINT64_MAX },
		/* max respected */
		{ "11", 0, 10, MS_ERR_LIMIT, 0 },
		{ "0011", 0, 10, MS_ERR_LIMIT, 0 },
		{ "1", 0, 0, MS_ERR_LIMIT, 0 },
		{ "0", 0, 0, MS_OK, 0 },
		{ "000", 0, 0, MS_OK, 0 },
		{ "100", 0, 99, MS_ERR_LIMIT, 0 },
		{ "99", 0, 99, MS_OK, 99 },
		{ "256", 0, 255, MS_ERR_LIMIT, 0 },
		{ "255", 0, 255, MS_OK, 255 },
		{ "18446744073709551614", 0, UINT64_MAX - 1, MS_OK, UINT64_MAX - 1 },
		{ "18446744073709551615", 0, UINT64_MAX - 1, MS_ERR_LIMIT, 0 },
		/* overflow of 64 bits */
		{ "18446744073709551615", 0, UINT64_MAX, MS_OK, UINT64_MAX },
		{ "18446744073709551616", 0, UINT64_MAX, MS_ERR_LIMIT, 0 },
		{ "18446744073709551620", 0, UINT64_MAX, MS_ERR_LIMIT, 0 },
		{ "28446744073709551615", 0, UINT64_MAX, MS_ERR_LIMIT, 0 },
		{ "184467440737095516150", 0, UINT64_MAX, MS_ERR_LIMIT, 0 },
		{ "99999999999999999999999999999999", 0, UINT64_MAX, MS_ERR_LIMIT, 0 },
		/* empty */
		{ "", 0, 10, MS_ERR_SYNTAX, 0 },
		{ "", 0, UINT64_MAX, MS_ERR_SYNTAX, 0 },
		/* signs */
		{ "+1", 0, 10, MS_ERR_SYNTAX, 0 },
		{ "-1", 0, 10, MS_ERR_SYNTAX, 0 },
		{ "-0", 0, 10, MS_ERR_SYNTAX, 0 },
		{ "+", 0, 10, MS_ERR_SYNTAX, 0 },
		{ "-", 0, 10, MS_ERR_SYNTAX, 0 },
		/* spaces */
		{ " 1", 0, 10, MS_ERR_SYNTAX, 0 },
		{ "1 ", 0, 10, MS_ERR_SYNTAX, 0 },
		{ "1 2", 0, 100, MS_ERR_SYNTAX, 0 },
		{ "\t1", 0, 10, MS_ERR_SYNTAX, 0 },
		{ "1\r\n", 0, 10, MS_ERR_SYNTAX, 0 },
		{ "1\n", 0, 10, MS_ERR_SYNTAX, 0 },
		{ " ", 0, 10, MS_ERR_SYNTAX, 0 },
		/* junk */
		{ "1x", 0, 10, MS_ERR_SYNTAX, 0 },
		{ "x1", 0, 10, MS_ERR_SYNTAX, 0 },
		{ "0x10", 0, 100, MS_ERR_SYNTAX, 0 },
		{ "1e3", 0, 10000, MS_ERR_SYNTAX, 0 },
		{ "1.0", 0, 10, MS_ERR_SYNTAX, 0 },
		{ "1,000", 0, 10000, MS_ERR_SYNTAX, 0 },
		{ "1_000", 0, 10000, MS_ERR_SYNTAX, 0 },
		{ "/", 0, 10, MS_ERR_SYNTAX, 0 },        /* '0' - 1 */
		{ ":", 0, 10, MS_ERR_SYNTAX, 0 },        /* '9' + 1 */
		{ "1/", 0, 100, MS_ERR_SYNTAX, 0 },
		{ "1:", 0, 100, MS_ERR_SYNTAX, 0 },
		{ "\xd9\xa1", 0, 10, MS_ERR_SYNTAX, 0 },   /* ARABIC-INDIC ONE */
		{ "\xef\xbc\x91", 0, 10, MS_ERR_SYNTAX, 0 }, /* FULLWIDTH ONE */
		{ "1\0", 2, 10, MS_ERR_SYNTAX, 0 },       /* NUL inside the length */
		{ "\0" "1", 2, 10, MS_ERR_SYNTAX, 0 },
		{ "99999999999999999999999x", 0, UINT64_MAX, ANY_ERR, 0 },
		/* only len bytes are read */
		{ "123abc", 3, 1000, MS_OK, 123 },
		{ "12 ", 2, 1000, MS_OK, 12 },
		{ "5-", 1, 10, MS_OK, 5 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len = t[i].len ? t[i].len : strlen(t[i].in);
		uint64_t v = 12345;
		enum ms_status st = num_parse_u64((const unsigned char *)t[i].in,
						  len, t[i].max, &v);
		int ok;

		if (t[i].st == ANY_ERR)
			ok = st != MS_OK;
		else
			ok = st == t[i].st && (st != MS_OK || v == t[i].want);
		CHECK(ok, "numparse \"%s\" (len %zu, max %llu): %s, want %s",
		      esc(t[i].in, len), len, (unsigned long long)t[i].max,
		      ms_status_str(st),
		      t[i].st == ANY_ERR ? "an error" : ms_status_str(t[i].st));
	}
}

/* every value 0..2000 against a set of maxima, compared with the
 * obvious answer; with and without leading zeros */
static void test_sweep(void)
{
	static const uint64_t maxes[] = { 0, 1, 9, 10, 11, 15, 99, 100, 101,
					  255, 999, 1000, 1999, UINT64_MAX };
	size_t m;
	unsigned v;
	int bad = 0;

	for (m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
		for (v = 0; v <= 2000; v++) {
			char s[32];
			int z;

			for (z = 0; z < 2; z++) {
				int n = snprintf(s, sizeof(s), z ? "000%u" : "%u", v);
				uint64_t out = 777777;
				enum ms_status st = num_parse_u64(
					(const unsigned char *)s, (size_t)n,
					maxes[m], &out);
				enum ms_status want = v <= maxes[m] ? MS_OK : MS_ERR_LIMIT;

				if (st != want || (st == MS_OK && out != v)) {
					if (bad < 5)
						printf("# sweep: \"%s\" max %llu -> %s\n", s,
						       (unsigned long long)maxes[m],
						       ms_status_str(st));
					bad++;
				}
			}
		}
	}
	CHECK(bad == 0, "numparse sweep 0..2000 x %zu maxima (%d wrong)",
	      sizeof(maxes) / sizeof(maxes[0]), bad);
}

/* every power of ten and its neighbours up to 10^19 */
static void test_powers(void)
{
	uint64_t p = 1;
	int k, bad = 0;

	for (k = 0; k <= 19; k++) {
		uint64_t cand[3];
		int j;

		cand[0] = p - 1;
		cand[1] = p;
		cand[2] = p + 1;
		for (j = 0; j < 3; j++) {
			char s[32];
			int n = snprintf(s, sizeof(s), "%llu",
					 (unsigned long long)cand[j]);
			uint64_t out = 0;

			if (num_parse_u64((const unsigned char *)s, (size_t)n,
					  UINT64_MAX, &out) != MS_OK || out != cand[j])
				bad++;
			/* the same with max one below: limit */
			if (cand[j] > 0 &&
			    num_parse_u64((const unsigned char *)s, (size_t)n,
					  cand[j] - 1, &out) != MS_ERR_LIMIT)
				bad++;
		}
		if (k < 19)
			p *= 10;
	}
	CHECK(bad == 0, "numparse powers of ten and neighbours (%d wrong)", bad);
}

int main(void)
{
	test_table();
	test_sweep();
	test_powers();
	return unit_done();
}
