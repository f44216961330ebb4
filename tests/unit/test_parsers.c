/*
 * test_parsers.c - table-driven tests of the small parsers: strict
 * numbers, base64, the tag-list, the DKIM-Signature and the key record.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "dkim_sig.h"
#include "keyrec.h"
#include "numparse.h"
#include "tagvalue.h"
#include "unit.h"

static const unsigned char *U(const char *s)
{
	return (const unsigned char *)s;
}

/* esc - a C string in printable form, for check names */
#define esc(s) unit_esc((s), strlen(s))

static void test_numbers(void)
{
	static const struct {
		const char *in;
		uint64_t max;
		enum ms_status st;
		uint64_t want;
	} t[] = {
		{ "0", 10, MS_OK, 0 },
		{ "007", 10, MS_OK, 7 },
		{ "10", 10, MS_OK, 10 },
		{ "11", 10, MS_ERR_LIMIT, 0 },
		{ "18446744073709551615", UINT64_MAX, MS_OK, UINT64_MAX },
		{ "18446744073709551616", UINT64_MAX, MS_ERR_LIMIT, 0 },
		{ "", 10, MS_ERR_SYNTAX, 0 },
		{ "+1", 10, MS_ERR_SYNTAX, 0 },
		{ "-1", 10, MS_ERR_SYNTAX, 0 },
		{ " 1", 10, MS_ERR_SYNTAX, 0 },
		{ "1 ", 10, MS_ERR_SYNTAX, 0 },
		{ "1x", 10, MS_ERR_SYNTAX, 0 },
		{ "9", 5, MS_ERR_LIMIT, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 12345;
		enum ms_status st = num_parse_u64(U(t[i].in), strlen(t[i].in),
						  t[i].max, &v);

		CHECK(st == t[i].st && (st != MS_OK || v == t[i].want),
		      "numparse \"%s\" (max %llu)", esc(t[i].in),
		      (unsigned long long)t[i].max);
	}
}

static void test_base64(void)
{
	static const struct {
		const char *in;
		const char *out;        /* NULL: must fail */
	} t[] = {
		{ "", "" },
		{ "Zg==", "f" },
		{ "Zm8=", "fo" },
		{ "Zm9v", "foo" },
		{ "Zm9vYmFy", "foobar" },
		{ " Zm9v\r\n\tYmFy ", "foobar" },
		{ "Zm9vYg==", "foob" },
		{ "Zm9vYg", NULL },             /* padding missing */
		{ "Zm9vY===", NULL },
		{ "Z===", NULL },
		{ "Zg==Zg==", NULL },           /* data after padding */
		{ "Zm9v!", NULL },
		{ "Zm9\x80", NULL },
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum ms_status st;

		buf_init(&b, 1024);
		st = base64_decode(U(t[i].in), strlen(t[i].in), &b);
		if (t[i].out)
			CHECK(st == MS_OK && b.len == strlen(t[i].out) &&
			      memcmp(buf_str(&b), t[i].out, b.len) == 0,
			      "base64 decode \"%s\"", esc(t[i].in));
		else
			CHECK(st == MS_ERR_SYNTAX && b.len == 0,
			      "base64 rejects \"%s\"", esc(t[i].in));
		buf_free(&b);
	}
	buf_init(&b, 1024);
	base64_encode(U("foobar"), 6, &b);
	CHECK(strcmp(buf_str(&b), "Zm9vYmFy") == 0, "base64 encode");
	buf_free(&b);
	buf_init(&b, 2);
	CHECK(base64_decode(U("Zm9vYmFy"), 8, &b) == MS_ERR_LIMIT && b.len == 0,
	      "base64 decode past the buffer's maximum: limit, buffer unchanged");
	buf_free(&b);
}

static void test_tagvalue(void)
{
	static const struct {
		const char *in;
		enum ms_status st;
		size_t count;
	} t[] = {
		{ "", MS_OK, 0 },
		{ "a=1", MS_OK, 1 },
		{ "a=1;", MS_OK, 1 },
		{ "a=1; b=2 ;c = 3 ; ", MS_OK, 3 },
		{ " a =\r\n 1\r\n ; b=", MS_OK, 2 },
		{ "a=x y\r\n z", MS_OK, 1 },
		{ "a_1=v", MS_OK, 1 },
		{ "a=1; a=2", MS_ERR_SYNTAX, 0 },       /* duplicate */
		{ "1a=1", MS_ERR_SYNTAX, 0 },
		{ "_a=1", MS_ERR_SYNTAX, 0 },
		{ "a", MS_ERR_SYNTAX, 0 },
		{ "a=1;;b=2", MS_ERR_SYNTAX, 0 },
		{ "a b=1", MS_ERR_SYNTAX, 0 },
		{ "a=\x01", MS_ERR_SYNTAX, 0 },
		{ "a=\xc3\xa9", MS_ERR_SYNTAX, 0 },     /* 8-bit in a value */
	};
	struct tag_list list;
	const struct tag *tag;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum ms_status st = tagvalue_parse(U(t[i].in), strlen(t[i].in),
						   &list, NULL);

		CHECK(st == t[i].st && (st != MS_OK || list.count == t[i].count),
		      "tag-list \"%s\"", esc(t[i].in));
	}
	tagvalue_parse(U("a = x \r\n y ;b=  ; c= 3"), 23, &list, NULL);
	tag = tagvalue_find(&list, "a");
	CHECK(tag && tag->value_len == 6 && memcmp(tag->value, "x \r\n y", 6) == 0,
	      "tag-list: value keeps inner FWS, loses the outer");
	tag = tagvalue_find(&list, "b");
	CHECK(tag && tag->value_len == 0, "tag-list: empty value");
	CHECK(tag && tag->span_start == 14 && tag->span_end == 16,
	      "tag-list: the span of a value includes its whitespace");
	CHECK(tagvalue_find(&list, "A") == NULL, "tag-list: names are case-sensitive");
	{
		char many[64 * 6 + 16];
		size_t n = 0;
		int k;

		for (k = 0; k < 65; k++)
			n += (size_t)snprintf(many + n, sizeof(many) - n, "t%d=1;", k);
		CHECK(tagvalue_parse(U(many), n, &list, NULL) == MS_ERR_LIMIT,
		      "tag-list: more than MS_MAX_TAGS tags");
	}
}

#define SIG_TAIL "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=AAAA"

static void test_dkimsig(void)
{
	static const struct {
		const char *in;
		enum ms_status st;
		const char *what;
	} t[] = {
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; " SIG_TAIL, MS_OK, "minimal" },
		{ "v=1; a=ed25519-sha256; c=relaxed; d=example.com; s=sel; h=From; " SIG_TAIL, MS_OK, "ed25519, c=relaxed" },
		{ "v=1; a=rsa-sha1; d=example.com; s=sel; h=from; " SIG_TAIL, MS_OK, "rsa-sha1 parses" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; i=@example.com; " SIG_TAIL, MS_OK, "i= equal to d=" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; i=u@sub.example.com; " SIG_TAIL, MS_OK, "i= in a subdomain" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; i=u@badexample.com; " SIG_TAIL, MS_ERR_SYNTAX, "i= outside d=" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=to:subject; " SIG_TAIL, MS_ERR_SYNTAX, "h= without From" },
		{ "v=2; a=rsa-sha256; d=example.com; s=sel; h=from; " SIG_TAIL, MS_ERR_UNSUPPORTED, "v=2" },
		{ "v=1; a=rsa-md5; d=example.com; s=sel; h=from; " SIG_TAIL, MS_ERR_UNSUPPORTED, "unknown algorithm" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; b=AAAA", MS_ERR_SYNTAX, "bh= missing" },
		{ "a=rsa-sha256; d=example.com; s=sel; h=from; " SIG_TAIL, MS_ERR_SYNTAX, "v= missing" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; c=loose; " SIG_TAIL, MS_ERR_SYNTAX, "unknown c=" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; t=10; x=5; " SIG_TAIL, MS_ERR_SYNTAX, "x= before t=" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; l=-1; " SIG_TAIL, MS_ERR_SYNTAX, "bad l=" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; q=dns/other; " SIG_TAIL, MS_ERR_UNSUPPORTED, "q= without dns/txt" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; q=x:dns/txt; " SIG_TAIL, MS_OK, "q= with dns/txt" },
		{ "v=1; a=rsa-sha256; d=exa mple.com; s=sel; h=from; " SIG_TAIL, MS_ERR_SYNTAX, "d= with a space" },
		{ "v=1; a=rsa-sha256; d=example..com; s=sel; h=from; " SIG_TAIL, MS_ERR_SYNTAX, "d= with an empty label" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from::to; " SIG_TAIL, MS_ERR_SYNTAX, "h= with an empty name" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AA=A; b=AAAA", MS_ERR_SYNTAX, "bad base64 in bh=" },
		{ "v=1; v=1; a=rsa-sha256; d=example.com; s=sel; h=from; " SIG_TAIL, MS_ERR_SYNTAX, "duplicate tag" },
	};
	struct dkim_sig sig;
	struct arena arena;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ms_error err;
		enum ms_status st;

		arena_init(&arena);
		ms_error_clear(&err);
		st = dkimsig_parse(U(t[i].in), strlen(t[i].in), &arena, &sig, &err);
		CHECK(st == t[i].st, "DKIM-Signature: %s (%s)", t[i].what,
		      st == MS_OK ? "ok" : err.msg);
		arena_free(&arena);
	}
	arena_init(&arena);
	{
		static const char full[] =
			"v=1; a=RSA-SHA256; c=simple/relaxed; d=example.com; s=sel; "
			"h = from : to ; l=12; t=1; x=2; "
			"bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=ab\r\n cdefghijkl";

		CHECK(dkimsig_parse(U(full), sizeof(full) - 1, &arena, &sig, NULL) == MS_OK,
		      "DKIM-Signature: every tag at once");
	}
	CHECK(sig.alg == DKIM_ALG_RSA_SHA256 && sig.hdr_canon == DKIM_CANON_SIMPLE &&
	      sig.body_canon == DKIM_CANON_RELAXED && sig.nheaders == 2 &&
	      strcmp(sig.headers[1], "to") == 0 && sig.has_length && sig.length == 12 &&
	      sig.expire == 2 && sig.bh_len == 32 && strcmp(sig.b_prefix, "abcdefgh") == 0,
	      "DKIM-Signature: fields read as written");
	arena_free(&arena);
	CHECK(dkim_canon_parse("relaxed", 7, &sig.hdr_canon, &sig.body_canon) == MS_OK &&
	      sig.hdr_canon == DKIM_CANON_RELAXED && sig.body_canon == DKIM_CANON_SIMPLE,
	      "c=relaxed alone means relaxed/simple");
}

static void test_keyrec(void)
{
	static const char rsa[] = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";
	static const char ed[] = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
	char in[512];
	struct keyrec k;
	enum ms_status st;

#define KR(fmt, ...) (snprintf(in, sizeof(in), fmt, __VA_ARGS__), \
		      keyrec_release(&k), \
		      st = keyrec_parse(U(in), strlen(in), &k, NULL))
	memset(&k, 0, sizeof(k));
	KR("v=DKIM1; k=rsa; p=%s", rsa);
	CHECK(st == MS_OK && k.type == KEYREC_RSA && k.bits == 1024 && k.pkey &&
	      k.sha256_ok && k.email_ok && !k.testing && !k.strict,
	      "key record: RSA SubjectPublicKeyInfo");
	KR("p=%s", rsa);
	CHECK(st == MS_OK && k.type == KEYREC_RSA, "key record: k= defaults to rsa");
	KR("v=DKIM1; k=ed25519; p=%s", ed);
	CHECK(st == MS_OK && k.type == KEYREC_ED25519 && k.pkey, "key record: Ed25519 raw key");
	KR("v=DKIM1; p=%s", "");
	CHECK(st == MS_OK && k.revoked && !k.pkey, "key record: empty p= is revoked");
	KR("v=DKIM1; t=y:s; p=%s", rsa);
	CHECK(st == MS_OK && k.testing && k.strict, "key record: t=y:s");
	KR("v=DKIM1; h=sha1; p=%s", rsa);
	CHECK(st == MS_OK && !k.sha256_ok, "key record: h=sha1 excludes sha256");
	KR("v=DKIM1; h=sha1 : sha256; p=%s", rsa);
	CHECK(st == MS_OK && k.sha256_ok, "key record: h= list with sha256");
	KR("v=DKIM1; s=email; p=%s", rsa);
	CHECK(st == MS_OK && k.email_ok, "key record: s=email");
	KR("v=DKIM1; s=*; p=%s", rsa);
	CHECK(st == MS_OK && k.email_ok, "key record: s=*");
	KR("v=DKIM1; s=other; p=%s", rsa);
	CHECK(st == MS_OK && !k.email_ok, "key record: s=other is not for email");
	KR("v=DKIM1; k=dsa; p=%s", rsa);
	CHECK(st == MS_OK && k.type == KEYREC_OTHER, "key record: unknown k= is unusable");
	KR("k=rsa; v=DKIM1; p=%s", rsa);
	CHECK(st == MS_ERR_SYNTAX, "key record: v= not first");
	KR("v=DKIM2; p=%s", rsa);
	CHECK(st == MS_ERR_UNSUPPORTED, "key record: v=DKIM2");
	KR("v=DKIM1; k=rsa%s", "");
	CHECK(st == MS_ERR_SYNTAX, "key record: p= missing");
	KR("v=DKIM1; p=%s!", rsa);
	CHECK(st == MS_ERR_SYNTAX, "key record: bad base64");
	KR("v=DKIM1; k=ed25519; p=%s", rsa);
	CHECK(st == MS_ERR_SYNTAX, "key record: k=ed25519 with an RSA key");
	KR("v=DKIM1; k=rsa; p=%s", ed);
	CHECK(st == MS_ERR_SYNTAX, "key record: k=rsa with 32 raw bytes");
	keyrec_release(&k);
#undef KR
}

int main(void)
{
	test_numbers();
	test_base64();
	test_tagvalue();
	test_dkimsig();
	test_keyrec();
	return unit_done();
}
