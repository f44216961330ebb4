/*
 * test_tagvalue.c - the tag-list grammar of RFC 6376 section 3.2:
 *
 *   tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  =  ALPHA *ALNUMPUNC          ALNUMPUNC = ALPHA / DIGIT / "_"
 *   tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
 *   tval      =  1*VALCHAR                 VALCHAR = %x21-3A / %x3C-7E
 *   FWS       =  [*WSP CRLF] 1*WSP
 *
 * Names and value slices, FWS stripped around both, duplicates and bad
 * bytes refused, the b= deletion span (section 3.7), the lookups.
 */
#include <stdio.h>
#include <string.h>

#include "tagvalue.h"
#include "unit.h"

#define esc unit_esc        /* printable form for check names */

static int is_fws_byte(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

#define MAXT 4

struct tcase {
	const char *in;
	size_t len;                     /* 0: strlen(in) */
	enum ms_status st;
	size_t count;
	const char *names[MAXT];
	const char *values[MAXT];
};

static const struct tcase cases[] = {
	/* plain */
	{ "a=1", 0, MS_OK, 1, { "a" }, { "1" } },
	{ "a=1;", 0, MS_OK, 1, { "a" }, { "1" } },
	{ "a=1;b=2", 0, MS_OK, 2, { "a", "b" }, { "1", "2" } },
	{ "a=1; b=2;", 0, MS_OK, 2, { "a", "b" }, { "1", "2" } },
	{ "a=1;b=2;c=3;d=4", 0, MS_OK, 4, { "a", "b", "c", "d" }, { "1", "2", "3", "4" } },
	{ "v=1; a=rsa-sha256; d=example.net", 0, MS_OK, 3,
	  { "v", "a", "d" }, { "1", "rsa-sha256", "example.net" } },
	/* FWS around names and values */
	{ " a = 1 ; b = 2 ; ", 0, MS_OK, 2, { "a", "b" }, { "1", "2" } },
	{ "\ta\t=\t1\t", 0, MS_OK, 1, { "a" }, { "1" } },
	{ "a=1 ;", 0, MS_OK, 1, { "a" }, { "1" } },
	{ "a=1 ; ", 0, MS_OK, 1, { "a" }, { "1" } },
	{ "\r\n a=b", 0, MS_OK, 1, { "a" }, { "b" } },
	{ "a\r\n =b", 0, MS_OK, 1, { "a" }, { "b" } },
	{ "a=\r\n b", 0, MS_OK, 1, { "a" }, { "b" } },
	{ "a=b\r\n ;c=d", 0, MS_OK, 2, { "a", "c" }, { "b", "d" } },
	{ "a=b;\r\n\tc=d", 0, MS_OK, 2, { "a", "c" }, { "b", "d" } },
	{ "a=b \r\n ;c=d", 0, MS_OK, 2, { "a", "c" }, { "b", "d" } },
	{ "a=b;\r\n ", 0, MS_OK, 1, { "a" }, { "b" } },
	/* folded value: inner FWS kept */
	{ "a=b\r\n c", 0, MS_OK, 1, { "a" }, { "b\r\n c" } },
	{ "a=b \r\n\tc", 0, MS_OK, 1, { "a" }, { "b \r\n\tc" } },
	{ "a = x \r\n y ; b = z", 0, MS_OK, 2, { "a", "b" }, { "x \r\n y", "z" } },
	{ "a=x y  z", 0, MS_OK, 1, { "a" }, { "x y  z" } },
	{ "h=from : to :\r\n subject", 0, MS_OK, 1, { "h" }, { "from : to :\r\n subject" } },
	/* empty values */
	{ "a=", 0, MS_OK, 1, { "a" }, { "" } },
	{ "a=;", 0, MS_OK, 1, { "a" }, { "" } },
	{ "a=;b=", 0, MS_OK, 2, { "a", "b" }, { "", "" } },
	{ "a= ;b=\r\n\t;", 0, MS_OK, 2, { "a", "b" }, { "", "" } },
	{ "a=  ", 0, MS_OK, 1, { "a" }, { "" } },
	/* VALCHAR: %x21-3A / %x3C-7E, so '=' and ':' are value bytes */
	{ "a=b=c", 0, MS_OK, 1, { "a" }, { "b=c" } },
	{ "a=!", 0, MS_OK, 1, { "a" }, { "!" } },
	{ "a=~", 0, MS_OK, 1, { "a" }, { "~" } },
	{ "a=:<>\"\\", 0, MS_OK, 1, { "a" }, { ":<>\"\\" } },
	{ "p=MIGf+/==", 0, MS_OK, 1, { "p" }, { "MIGf+/==" } },
	/* names */
	{ "Ab_9=v", 0, MS_OK, 1, { "Ab_9" }, { "v" } },
	{ "bh=x", 0, MS_OK, 1, { "bh" }, { "x" } },
	{ "Z=1", 0, MS_OK, 1, { "Z" }, { "1" } },
	{ "a=1;A=2", 0, MS_OK, 2, { "a", "A" }, { "1", "2" } },  /* case-sensitive */
	/* duplicates */
	{ "a=1; a=2", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a=1; b=2; a=1", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a=; a=", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "bh=1; b=2; bh=3", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	/* bad names */
	{ "1a=1", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "_a=1", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "-a=1", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a-b=1", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a.b=1", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a b=1", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "=1", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ " =1", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "\xc3\xa9=1", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a;b=1", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a=1;b", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a=1;;b=2", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a=1;;", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ ";a=1", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a=1; ;b=2", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	/* bad value bytes */
	{ "a=\x01", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a=b\x7f", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a=\xc3\xa9", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a=b\xff", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a=b\0c", 5, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a=b\vc", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	/* CR and LF only as part of FWS (CRLF followed by WSP) */
	{ "a=b\rc", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a=b\nc", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a=b\r\nc", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
	{ "a=b;\r\nc=d", 0, MS_ERR_SYNTAX, 0, { 0 }, { 0 } },
};

/* check_slices - every value lies inside its span; the span starts
 * right after "=", ends at ";" or the end, and the bytes of the span
 * outside the value are FWS */
static int check_slices(const unsigned char *p, size_t len,
			const struct tag_list *list)
{
	size_t i, j;

	for (i = 0; i < list->count; i++) {
		const struct tag *t = &list->tags[i];
		size_t voff;

		if (t->span_start > t->span_end || t->span_end > len ||
		    t->span_start == 0 || p[t->span_start - 1] != '=')
			return 0;
		if (t->span_end != len && p[t->span_end] != ';')
			return 0;
		if (t->value < p + t->span_start ||
		    t->value + t->value_len > p + t->span_end)
			return 0;
		voff = (size_t)(t->value - p);
		for (j = t->span_start; j < voff; j++)
			if (!is_fws_byte(p[j]))
				return 0;
		for (j = voff + t->value_len; j < t->span_end; j++)
			if (!is_fws_byte(p[j]))
				return 0;
		if (t->value_len && (is_fws_byte(t->value[0]) ||
				     is_fws_byte(t->value[t->value_len - 1])))
			return 0;
		if (t->name < p || t->name + t->name_len > p + len)
			return 0;
	}
	return 1;
}

static void test_cases(void)
{
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		const unsigned char *p = (const unsigned char *)c->in;
		struct tag_list list;
		struct ms_error err;
		enum ms_status st;
		int ok;

		ms_error_clear(&err);
		st = tagvalue_parse(p, len, &list, &err);
		ok = st == c->st;
		if (ok && st == MS_OK) {
			ok = list.count == c->count;
			for (k = 0; ok && k < c->count; k++) {
				const struct tag *t = &list.tags[k];

				ok = t->name_len == strlen(c->names[k]) &&
				     memcmp(t->name, c->names[k], t->name_len) == 0 &&
				     t->value_len == strlen(c->values[k]) &&
				     memcmp(t->value, c->values[k], t->value_len) == 0;
			}
			ok = ok && check_slices(p, len, &list);
		}
		CHECK(ok, "tag-list \"%s\": %s%s%s", esc(c->in, len),
		      ms_status_str(st), st != MS_OK && err.msg[0] ? " - " : "",
		      st != MS_OK ? err.msg : "");
		if (st != MS_OK)
			CHECK(err.msg[0] != 0, "tag-list \"%s\": the error has a reason",
			      esc(c->in, len));
	}
}

static void test_spans(void)
{
	static const char in1[] = "a=1; b= x ;c=";
	static const char in2[] = "v=1; b=ab\r\n cd ; c=x";
	static const char in3[] = "v=1; bh=Zm9v; b=\r\n Zm9v\r\n YmFy";
	struct tag_list list;
	const struct tag *t;
	char del[64];

	tagvalue_parse((const unsigned char *)in1, sizeof(in1) - 1, &list, NULL);
	t = tagvalue_find(&list, "a");
	CHECK(t && t->span_start == 2 && t->span_end == 3, "tag-list span: a=1;");
	t = tagvalue_find(&list, "b");
	CHECK(t && t->span_start == 7 && t->span_end == 10 &&
	      t->value == (const unsigned char *)in1 + 8 && t->value_len == 1,
	      "tag-list span: \" x \" is [7,10), value x at 8");
	t = tagvalue_find(&list, "c");
	CHECK(t && t->span_start == 13 && t->span_end == 13 && t->value_len == 0,
	      "tag-list span: empty value at the end is [13,13)");

	tagvalue_parse((const unsigned char *)in2, sizeof(in2) - 1, &list, NULL);
	t = tagvalue_find(&list, "b");
	CHECK(t && t->span_start == 7 && t->span_end == 15 && t->value_len == 7 &&
	      memcmp(t->value, "ab\r\n cd", 7) == 0,
	      "tag-list span: folded b= value ab\\r\\n cd, span [7,15)");
	if (t) {
		/* section 3.7: the field with the b= value deleted */
		snprintf(del, sizeof(del), "%.*s%s", (int)t->span_start, in2,
			 in2 + t->span_end);
		CHECK(strcmp(del, "v=1; b=; c=x") == 0,
		      "tag-list span: deleting b= gives \"%s\"", esc(del, strlen(del)));
	}

	tagvalue_parse((const unsigned char *)in3, sizeof(in3) - 1, &list, NULL);
	t = tagvalue_find(&list, "b");
	CHECK(t && t->span_end == sizeof(in3) - 1 &&
	      t->span_start == (size_t)(strstr(in3, " b=") - in3) + 3,
	      "tag-list span: b= last, span runs to the end");
	if (t) {
		snprintf(del, sizeof(del), "%.*s%s", (int)t->span_start, in3,
			 in3 + t->span_end);
		CHECK(strcmp(del, "v=1; bh=Zm9v; b=") == 0,
		      "tag-list span: deleting the last b= gives \"%s\"", del);
	}
	t = tagvalue_find(&list, "bh");
	CHECK(t && tagvalue_eq(t, "Zm9v"), "tag-list: bh is not b (find matches whole names)");
}

static void test_lookups(void)
{
	static const char in[] = "v=DKIM1; k=RSA; h=sha256; bh=abc; b=";
	struct tag_list list;
	const struct tag *t;

	CHECK(tagvalue_parse((const unsigned char *)in, sizeof(in) - 1, &list, NULL) == MS_OK &&
	      list.count == 5, "tag-list lookups: parse");
	t = tagvalue_find(&list, "v");
	CHECK(t && tagvalue_eq(t, "DKIM1") && !tagvalue_eq(t, "dkim1") &&
	      !tagvalue_eq(t, "DKIM") && !tagvalue_eq(t, "DKIM11") && !tagvalue_eq(t, ""),
	      "tagvalue_eq is exact");
	t = tagvalue_find(&list, "k");
	CHECK(t && tagvalue_eq_nocase(t, "rsa") && tagvalue_eq_nocase(t, "RSA") &&
	      tagvalue_eq_nocase(t, "rSa") && !tagvalue_eq_nocase(t, "rs") &&
	      !tagvalue_eq_nocase(t, "rsa1") && !tagvalue_eq_nocase(t, "ed25519"),
	      "tagvalue_eq_nocase ignores ASCII case only");
	t = tagvalue_find(&list, "b");
	CHECK(t && t->value_len == 0 && tagvalue_eq(t, "") && !tagvalue_eq(t, "x"),
	      "tagvalue_eq on an empty value");
	CHECK(tagvalue_find(&list, "V") == NULL && tagvalue_find(&list, "x") == NULL &&
	      tagvalue_find(&list, "") == NULL && tagvalue_find(&list, "bhx") == NULL,
	      "tagvalue_find: names are case-sensitive and whole");
	CHECK(tagvalue_find(&list, "h") && tagvalue_find(&list, "bh") &&
	      tagvalue_find(&list, "h") != tagvalue_find(&list, "bh"),
	      "tagvalue_find: h and bh are different tags");
}

static void test_limits(void)
{
	char many[MS_MAX_TAGS * 8 + 16];
	struct tag_list list;
	size_t n = 0;
	int k;

	for (k = 0; k < MS_MAX_TAGS; k++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "t%d=%d;", k, k);
	CHECK(tagvalue_parse((const unsigned char *)many, n, &list, NULL) == MS_OK &&
	      list.count == MS_MAX_TAGS, "tag-list: exactly MS_MAX_TAGS (%d) tags", MS_MAX_TAGS);
	n += (size_t)snprintf(many + n, sizeof(many) - n, "u=1");
	CHECK(tagvalue_parse((const unsigned char *)many, n, &list, NULL) == MS_ERR_LIMIT,
	      "tag-list: MS_MAX_TAGS + 1 tags is MS_ERR_LIMIT");
}

int main(void)
{
	test_cases();
	test_spans();
	test_lookups();
	test_limits();
	return unit_done();
}
