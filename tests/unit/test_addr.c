/*
 * test_addr.c - the From address parser, table-driven.
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "unit.h"

static const struct {
	const char *in;
	const char *domains;    /* space-separated; NULL: must be refused */
} cases[] = {
	{ "joe@example.com", "example.com" },
	{ " Joe Example <joe@Example.COM>", "example.com" },
	{ "\"Joe, the Example\" <joe@example.com>", "example.com" },
	{ "joe@example.com (Joe (the) Example)", "example.com" },
	{ "(c) Joe <joe(c)@(c)example.com(c)>(c)", "example.com" },
	{ "\"joe smith\"@example.com", "example.com" },
	{ "joe@example.com.", "example.com" },
	{ "joe@[192.0.2.1]", "[192.0.2.1]" },
	{ "J. Smith <js@example.com>", "example.com" },
	{ "a@one.example, B <b@two.example>", "one.example two.example" },
	{ "a@one.example,\r\n\tb@two.example", "one.example two.example" },
	{ "<@relay.example:joe@example.com>", "example.com" },
	{ ",a@one.example,,", "one.example" },
	{ "=?utf-8?q?J=C3=B6rg?= <joerg@example.com>", "example.com" },
	{ "j\xc3\xb6rg@b\xc3\xbc" "cher.example", "b\xc3\xbc" "cher.example" },
	{ "", NULL },
	{ "   ", NULL },
	{ "Joe Example", NULL },
	{ "joe@", NULL },
	{ "@example.com", NULL },
	{ "joe@example..com", NULL },
	{ "joe@.example.com", NULL },
	{ "Joe <joe@example.com", NULL },
	{ "Joe <joe>", NULL },
	{ "joe@example.com joe@example.org", NULL },
	{ "joe@example.com <joe@example.com>", NULL },
	{ "Friends: a@one.example, b@two.example;", NULL },
	{ "\"unterminated <joe@example.com>", NULL },
	{ "joe@example.com (unterminated", NULL },
	{ "joe\x01@example.com", NULL },
	{ "joe@[192.0.2.1", NULL },
};

int main(void)
{
	struct addr_list list;
	struct arena arena;
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ms_error err;
		enum ms_status st;
		char got[512] = "";

		arena_init(&arena);
		ms_error_clear(&err);
		st = addr_parse_list((const unsigned char *)cases[i].in,
				     strlen(cases[i].in), &arena, &list, &err);
		for (k = 0; st == MS_OK && k < list.n; k++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
				 k ? " " : "", list.domain[k]);
		if (cases[i].domains)
			CHECK(st == MS_OK && strcmp(got, cases[i].domains) == 0,
			      "From case %zu: domains \"%s\" (got \"%s\"%s%s)", i,
			      cases[i].domains, got, st ? ": " : "", st ? err.msg : "");
		else
			CHECK(st == MS_ERR_SYNTAX && strncmp(err.msg, "From: ", 6) == 0,
			      "From case %zu refused with a reason (%s)", i,
			      st == MS_OK ? "accepted" : err.msg);
		arena_free(&arena);
	}
	{
		char many[80 * 70];
		size_t n = 0;
		struct ms_error err;

		for (k = 0; k < 70; k++)
			n += (size_t)snprintf(many + n, sizeof(many) - n, "%su%zu@example.com",
					      k ? "," : "", k);
		arena_init(&arena);
		CHECK(addr_parse_list((const unsigned char *)many, n, &arena, &list, &err) ==
		      MS_ERR_LIMIT, "From: more than ADDR_MAX addresses is a limit error");
		arena_free(&arena);
	}
	return unit_done();
}
