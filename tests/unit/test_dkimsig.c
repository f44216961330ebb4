/*
 * test_dkimsig.c - the DKIM-Signature parser (RFC 6376 section 3.5):
 * valid signatures and what is read from them, the required tags, v=,
 * a=, c=, i= within d=, h= with From, t=/x=, l=, q=, d= and s= shape,
 * base64 of b= and bh=, the b= span and prefix.
 */
#include <stdio.h>
#include <string.h>

#include "dkim_sig.h"
#include "ms_limits.h"
#include "unit.h"

#define ANY_ERR ((enum ms_status)-1)

#define BH "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="
#define B "b=dGVzdA=="                  /* "test" */
#define BASE "v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; " BH "; " B

/* esc - a C string in printable form, for check names */
#define esc(s) unit_esc((s), strlen(s))

static enum ms_status parse(const char *in, struct arena *a, struct dkim_sig *sig,
			    struct ms_error *err)
{
	ms_error_clear(err);
	return dkimsig_parse((const unsigned char *)in, strlen(in), a, sig, err);
}

static void test_table(void)
{
	static const struct {
		const char *in;
		enum ms_status st;
		const char *what;
	} t[] = {
		/* valid */
		{ BASE, MS_OK, "minimal" },
		{ BASE ";", MS_OK, "trailing ';'" },
		{ "v=1; a=ed25519-sha256; d=example.com; s=sel; h=From; " BH "; " B, MS_OK, "ed25519-sha256" },
		{ "v=1; a=rsa-sha1; d=example.com; s=sel; h=from; " BH "; " B, MS_OK, "rsa-sha1 parses" },
		{ B "; " BH "; h=from; s=sel; d=example.com; a=rsa-sha256; v=1", MS_OK, "any tag order" },
		{ BASE "; z=foo; zz=bar", MS_OK, "unknown tags ignored" },
		{ BASE "; q=dns/txt", MS_OK, "q=dns/txt" },
		{ BASE "; q=x-other:dns/txt", MS_OK, "q= listing dns/txt second" },
		{ BASE "; q=dns/txt:x-other", MS_OK, "q= listing dns/txt first" },
		{ BASE "; t=1528637909", MS_OK, "t=" },
		{ BASE "; x=1528637909", MS_OK, "x= without t=" },
		{ BASE "; t=10; x=11", MS_OK, "x= after t=" },
		{ BASE "; l=0", MS_OK, "l=0" },
		{ BASE "; l=12345", MS_OK, "l=12345" },
		{ "v=1; a=rsa-sha256; d=a.b.example.com; s=s1.s2; h=from; " BH "; " B, MS_OK, "d= and s= with several labels" },
		{ "v=1; a=rsa-sha256; d=ex-ample.com; s=sel_1; h=from; " BH "; " B, MS_OK, "d= with '-', s= with '_'" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=FROM; " BH "; " B, MS_OK, "h=FROM (names are case-insensitive)" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=to:From:subject; " BH "; " B, MS_OK, "From not first in h=" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from:from:to:to; " BH "; " B, MS_OK, "over-signed h=" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h = from\r\n : to ; " BH "; " B, MS_OK, "h= with FWS around names" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; " BH "; b=dGVz\r\n dA==", MS_OK, "b= folded" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=2jUSOH9NhtVGCQWN\r\n\tr9BrIAPreKQjO6Sn7XIkfJVOzv8=; " B, MS_OK, "bh= folded" },
		/* required tags: v a b bh d h s (each missing in the loop below) */
		/* version */
		{ "v=2; a=rsa-sha256; d=example.com; s=sel; h=from; " BH "; " B, MS_ERR_UNSUPPORTED, "v=2" },
		{ "v=; a=rsa-sha256; d=example.com; s=sel; h=from; " BH "; " B, MS_ERR_UNSUPPORTED, "v= empty" },
		{ "v=1.0; a=rsa-sha256; d=example.com; s=sel; h=from; " BH "; " B, MS_ERR_UNSUPPORTED, "v=1.0" },
		/* algorithm */
		{ "v=1; a=rsa-md5; d=example.com; s=sel; h=from; " BH "; " B, MS_ERR_UNSUPPORTED, "a=rsa-md5" },
		{ "v=1; a=ed448-sha256; d=example.com; s=sel; h=from; " BH "; " B, MS_ERR_UNSUPPORTED, "a=ed448-sha256" },
		{ "v=1; a=rsa-sha512; d=example.com; s=sel; h=from; " BH "; " B, MS_ERR_UNSUPPORTED, "a=rsa-sha512" },
		{ "v=1; a=rsa; d=example.com; s=sel; h=from; " BH "; " B, MS_ERR_UNSUPPORTED, "a=rsa" },
		{ "v=1; a=; d=example.com; s=sel; h=from; " BH "; " B, MS_ERR_UNSUPPORTED, "a= empty" },
		/* canonicalization */
		{ BASE "; c=loose", MS_ERR_SYNTAX, "c=loose" },
		{ BASE "; c=relaxed/", MS_ERR_SYNTAX, "c=relaxed/" },
		{ BASE "; c=/relaxed", MS_ERR_SYNTAX, "c=/relaxed" },
		{ BASE "; c=relaxed/relaxed/relaxed", MS_ERR_SYNTAX, "c= with two slashes" },
		{ BASE "; c=relaxed/nowsp", MS_ERR_SYNTAX, "c=relaxed/nowsp" },
		{ BASE "; c=", MS_ERR_SYNTAX, "c= empty" },
		/* i= within d= */
		{ BASE "; i=@example.com", MS_OK, "i=@d" },
		{ BASE "; i=joe@example.com", MS_OK, "i=user@d" },
		{ BASE "; i=joe@sub.example.com", MS_OK, "i= in a subdomain of d=" },
		{ BASE "; i=joe@a.b.sub.example.com", MS_OK, "i= in a deep subdomain of d=" },
		{ BASE "; i=joe@EXAMPLE.COM", MS_OK, "i= domain in another case" },
		{ BASE "; i=@badexample.com", MS_ERR_SYNTAX, "i= @badexample.com (suffix, not a subdomain)" },
		{ BASE "; i=joe@example.org", MS_ERR_SYNTAX, "i= in another domain" },
		{ BASE "; i=joe@com", MS_ERR_SYNTAX, "i= in the parent of d=" },
		{ BASE "; i=joe@example.com.evil.org", MS_ERR_SYNTAX, "i= with d= as a prefix" },
		{ BASE "; i=joe@", MS_ERR_SYNTAX, "i= with no domain" },
		{ BASE "; i=example.com", MS_ERR_SYNTAX, "i= without '@'" },
		/* h= */
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=to:subject; " BH "; " B, MS_ERR_SYNTAX, "h= without From" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from-x:to; " BH "; " B, MS_ERR_SYNTAX, "h= with from-x only" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=; " BH "; " B, MS_ERR_SYNTAX, "h= empty" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from:; " BH "; " B, MS_ERR_SYNTAX, "h= with a trailing ':'" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=:from; " BH "; " B, MS_ERR_SYNTAX, "h= with a leading ':'" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from::to; " BH "; " B, MS_ERR_SYNTAX, "h= with an empty name" },
		/* t= and x= */
		{ BASE "; t=10; x=5", MS_ERR_SYNTAX, "x= before t=" },
		{ BASE "; t=10; x=10", MS_ERR_SYNTAX, "x= equal to t= (RFC: MUST be greater)" },
		{ BASE "; x=5; t=10", MS_ERR_SYNTAX, "x= before t=, x= written first" },
		{ BASE "; t=abc", MS_ERR_SYNTAX, "t=abc" },
		{ BASE "; t=-1", MS_ERR_SYNTAX, "t=-1" },
		{ BASE "; t=", MS_ERR_SYNTAX, "t= empty" },
		{ BASE "; x=1.5", MS_ERR_SYNTAX, "x=1.5" },
		{ BASE "; t=99999999999999999999999", MS_ERR_SYNTAX, "t= past 64 bits" },
		/* l= */
		{ BASE "; l=-1", MS_ERR_SYNTAX, "l=-1" },
		{ BASE "; l=abc", MS_ERR_SYNTAX, "l=abc" },
		{ BASE "; l=", MS_ERR_SYNTAX, "l= empty" },
		{ BASE "; l=+5", MS_ERR_SYNTAX, "l=+5" },
		{ BASE "; l=12 34", MS_ERR_SYNTAX, "l= with a space inside" },
		{ BASE "; l=0x10", MS_ERR_SYNTAX, "l=0x10" },
		{ BASE "; l=18446744073709551616", MS_ERR_SYNTAX, "l= past 64 bits" },
		/* q= */
		{ BASE "; q=dns/other", ANY_ERR, "q=dns/other" },
		{ BASE "; q=x-foo", ANY_ERR, "q=x-foo" },
		{ BASE "; q=", ANY_ERR, "q= empty" },
		/* d= and s= */
		{ "v=1; a=rsa-sha256; d=exa mple.com; s=sel; h=from; " BH "; " B, MS_ERR_SYNTAX, "d= with a space" },
		{ "v=1; a=rsa-sha256; d=example..com; s=sel; h=from; " BH "; " B, MS_ERR_SYNTAX, "d= with an empty label" },
		{ "v=1; a=rsa-sha256; d=.example.com; s=sel; h=from; " BH "; " B, MS_ERR_SYNTAX, "d= starting with '.'" },
		{ "v=1; a=rsa-sha256; d=; s=sel; h=from; " BH "; " B, MS_ERR_SYNTAX, "d= empty" },
		{ "v=1; a=rsa-sha256; d=exa/mple.com; s=sel; h=from; " BH "; " B, MS_ERR_SYNTAX, "d= with '/'" },
		{ "v=1; a=rsa-sha256; d=example.com; s=; h=from; " BH "; " B, MS_ERR_SYNTAX, "s= empty" },
		{ "v=1; a=rsa-sha256; d=example.com; s=se l; h=from; " BH "; " B, MS_ERR_SYNTAX, "s= with a space" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel@x; h=from; " BH "; " B, MS_ERR_SYNTAX, "s= with '@'" },
		/* base64 */
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AA=A; " B, MS_ERR_SYNTAX, "bad base64 in bh=" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; " BH "; b=dGVzdA=", MS_ERR_SYNTAX, "bad padding in b=" },
		{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; " BH "; b=dGV!dA==", MS_ERR_SYNTAX, "bad character in b=" },
		/* tag-list syntax */
		{ BASE "; v=1", MS_ERR_SYNTAX, "duplicate v=" },
		{ BASE "; d=example.com", MS_ERR_SYNTAX, "duplicate d=" },
		{ BASE "; 1x=2", MS_ERR_SYNTAX, "bad tag name" },
		{ BASE "; junk", MS_ERR_SYNTAX, "tag without '='" },
		{ "", MS_ERR_SYNTAX, "empty value" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dkim_sig sig;
		struct ms_error err;
		struct arena arena;
		enum ms_status st;
		int ok;

		arena_init(&arena);
		st = parse(t[i].in, &arena, &sig, &err);
		ok = t[i].st == ANY_ERR ? st != MS_OK : st == t[i].st;
		CHECK(ok, "DKIM-Signature: %s: %s%s%s", t[i].what, ms_status_str(st),
		      st != MS_OK ? " - " : "", st != MS_OK ? err.msg : "");
		if (st != MS_OK)
			CHECK(err.msg[0] != 0, "DKIM-Signature: %s: the error has a reason",
			      t[i].what);
		arena_free(&arena);
	}
}

/* each required tag left out in turn */
static void test_required(void)
{
	static const char *const tags[] = {
		"v=1", "a=rsa-sha256", "b=dGVzdA==",
		"bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=",
		"d=example.com", "h=from:to", "s=sel",
	};
	size_t n = sizeof(tags) / sizeof(tags[0]), skip, k;

	for (skip = 0; skip <= n; skip++) {
		char in[512];
		size_t len = 0;
		struct dkim_sig sig;
		struct ms_error err;
		struct arena arena;
		enum ms_status st;

		in[0] = 0;
		for (k = 0; k < n; k++)
			if (k != skip)
				len += (size_t)snprintf(in + len, sizeof(in) - len,
							"%s%s", len ? "; " : "", tags[k]);
		arena_init(&arena);
		st = parse(in, &arena, &sig, &err);
		if (skip == n)
			CHECK(st == MS_OK, "DKIM-Signature: all required tags: %s",
			      ms_status_str(st));
		else
			CHECK(st == MS_ERR_SYNTAX,
			      "DKIM-Signature: required tag %.*s missing: %s (%s)",
			      (int)(strchr(tags[skip], '=') - tags[skip]), tags[skip],
			      ms_status_str(st), err.msg);
		arena_free(&arena);
	}
}

static void test_canon(void)
{
	static const struct {
		const char *c;          /* NULL: no c= tag */
		enum dkim_canon h, b;
	} t[] = {
		{ NULL, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE },
		{ "simple", DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE },
		{ "relaxed", DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE },
		{ "simple/simple", DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE },
		{ "simple/relaxed", DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED },
		{ "relaxed/simple", DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE },
		{ "relaxed/relaxed", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char in[512];
		struct dkim_sig sig;
		struct ms_error err;
		struct arena arena;
		enum ms_status st;
		enum dkim_canon h = DKIM_CANON_RELAXED, b = DKIM_CANON_RELAXED;

		if (t[i].c)
			snprintf(in, sizeof(in), "%s; c=%s", BASE, t[i].c);
		else
			snprintf(in, sizeof(in), "%s", BASE);
		arena_init(&arena);
		st = parse(in, &arena, &sig, &err);
		CHECK(st == MS_OK && sig.hdr_canon == t[i].h && sig.body_canon == t[i].b,
		      "DKIM-Signature: c=%s is %s/%s", t[i].c ? t[i].c : "(absent)",
		      dkim_canon_name(t[i].h), dkim_canon_name(t[i].b));
		arena_free(&arena);
		if (t[i].c) {
			st = dkim_canon_parse(t[i].c, strlen(t[i].c), &h, &b);
			CHECK(st == MS_OK && h == t[i].h && b == t[i].b,
			      "dkim_canon_parse \"%s\"", t[i].c);
		}
	}
	{
		enum dkim_canon h, b;

		CHECK(dkim_canon_parse("relaxed/simplex", 15, &h, &b) != MS_OK &&
		      dkim_canon_parse("relax", 5, &h, &b) != MS_OK &&
		      dkim_canon_parse("", 0, &h, &b) != MS_OK &&
		      dkim_canon_parse("/", 1, &h, &b) != MS_OK,
		      "dkim_canon_parse rejects unknown words");
		/* only len bytes are read */
		CHECK(dkim_canon_parse("relaxed/relaxed", 7, &h, &b) == MS_OK &&
		      h == DKIM_CANON_RELAXED && b == DKIM_CANON_SIMPLE,
		      "dkim_canon_parse reads only len bytes");
	}
	CHECK(strcmp(dkim_canon_name(DKIM_CANON_SIMPLE), "simple") == 0 &&
	      strcmp(dkim_canon_name(DKIM_CANON_RELAXED), "relaxed") == 0,
	      "dkim_canon_name");
	CHECK(strcmp(dkim_alg_name(DKIM_ALG_RSA_SHA256), "rsa-sha256") == 0 &&
	      strcmp(dkim_alg_name(DKIM_ALG_ED25519_SHA256), "ed25519-sha256") == 0 &&
	      strcmp(dkim_alg_name(DKIM_ALG_RSA_SHA1), "rsa-sha1") == 0,
	      "dkim_alg_name");
}

/* the ed25519 signature of RFC 8463 Appendix A.3, as its value */
static const char rfc8463_ed[] =
	" v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
	" d=football.example.com; i=@football.example.com;\r\n"
	" q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
	" subject : date : message-id : from : subject : date;\r\n"
	" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
	" b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
	" Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";

static const char rfc8463_rsa[] =
	" v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
	" d=football.example.com; i=@football.example.com;\r\n"
	" q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
	" date : message-id : from : subject : date;\r\n"
	" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
	" b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
	" DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
	" dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=";

static void test_fields(void)
{
	static const char *const names[] = {
		"from", "to", "subject", "date", "message-id", "from", "subject", "date",
	};
	struct dkim_sig sig;
	struct ms_error err;
	struct arena arena;
	enum ms_status st;
	size_t k;
	int hok;

	arena_init(&arena);
	st = parse(rfc8463_ed, &arena, &sig, &err);
	CHECK(st == MS_OK, "DKIM-Signature: RFC 8463 ed25519 signature parses (%s)", err.msg);
	if (st == MS_OK) {
		CHECK(sig.alg == DKIM_ALG_ED25519_SHA256 &&
		      strcmp(sig.alg_name, "ed25519-sha256") == 0,
		      "RFC 8463 ed25519: a=");
		CHECK(sig.hdr_canon == DKIM_CANON_RELAXED && sig.body_canon == DKIM_CANON_RELAXED,
		      "RFC 8463 ed25519: c=relaxed/relaxed");
		CHECK(strcmp(sig.domain, "football.example.com") == 0 &&
		      strcmp(sig.selector, "brisbane") == 0 &&
		      sig.identity && strcmp(sig.identity, "@football.example.com") == 0,
		      "RFC 8463 ed25519: d=, s=, i=");
		hok = sig.nheaders == 8;
		for (k = 0; hok && k < 8; k++)
			hok = strcmp(sig.headers[k], names[k]) == 0;
		CHECK(hok, "RFC 8463 ed25519: h= is 8 names, FWS around the colons removed");
		CHECK(sig.has_timestamp && sig.timestamp == 1528637909 && !sig.has_expire &&
		      !sig.has_length, "RFC 8463 ed25519: t=, no x=, no l=");
		CHECK(sig.sig_len == 64 && sig.sig[0] == 0xfe && sig.bh_len == 32 &&
		      sig.bh[0] == 0xda, "RFC 8463 ed25519: b= 64 bytes, bh= 32 bytes decoded");
		CHECK(strcmp(sig.b_prefix, "/gCrinpc") == 0,
		      "RFC 8463 ed25519: b_prefix \"%s\"", sig.b_prefix);
		CHECK(sig.b_span_end == sizeof(rfc8463_ed) - 1 &&
		      sig.b_span_start == (size_t)(strstr(rfc8463_ed, " b=/") - rfc8463_ed) + 3,
		      "RFC 8463 ed25519: b= span is from after \"b=\" to the end");
	}
	arena_free(&arena);

	arena_init(&arena);
	st = parse(rfc8463_rsa, &arena, &sig, &err);
	CHECK(st == MS_OK && sig.alg == DKIM_ALG_RSA_SHA256 && sig.sig_len == 128 &&
	      strcmp(sig.selector, "test") == 0 && strcmp(sig.b_prefix, "F45dVWDf") == 0,
	      "DKIM-Signature: RFC 8463 rsa-sha256 signature parses (1024-bit b=)");
	arena_free(&arena);

	/* every tag at once, b= in the middle */
	arena_init(&arena);
	{
		static const char full[] =
			"v=1; a=RSA-SHA256; c=simple/relaxed; d=Example.COM; s=sel;"
			" b=ab\r\n cdefghijkl ; h = from : to ; l=12; t=1; x=2; q=dns/txt;"
			" i=joe@sub.example.com; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=";
		const char *b;

		st = parse(full, &arena, &sig, &err);
		CHECK(st == MS_OK, "DKIM-Signature: every tag at once (%s)", err.msg);
		CHECK(st == MS_OK && sig.alg == DKIM_ALG_RSA_SHA256 &&
		      strcmp(sig.alg_name, "RSA-SHA256") == 0,
		      "DKIM-Signature: a= matched without case, alg_name as written");
		CHECK(st == MS_OK && strcmp(sig.domain, "Example.COM") == 0,
		      "DKIM-Signature: d= as written");
		CHECK(st == MS_OK && sig.nheaders == 2 && strcmp(sig.headers[0], "from") == 0 &&
		      strcmp(sig.headers[1], "to") == 0, "DKIM-Signature: h= names");
		CHECK(st == MS_OK && sig.has_length && sig.length == 12 && sig.has_timestamp &&
		      sig.timestamp == 1 && sig.has_expire && sig.expire == 2,
		      "DKIM-Signature: l=, t=, x= values");
		CHECK(st == MS_OK && strcmp(sig.b_prefix, "abcdefgh") == 0,
		      "DKIM-Signature: b_prefix skips FWS (\"%s\")", st == MS_OK ? sig.b_prefix : "");
		b = strstr(full, "b=ab");
		CHECK(st == MS_OK && sig.b_span_start == (size_t)(b - full) + 2 &&
		      full[sig.b_span_end] == ';' &&
		      sig.b_span_end == (size_t)(strstr(full, " ; h") - full) + 1,
		      "DKIM-Signature: b= span in the middle ends at its ';'");
		CHECK(st == MS_OK && sig.sig_len == 9, "DKIM-Signature: b= decoded (9 bytes)");
	}
	arena_free(&arena);

	/* b= empty parses (the signature then cannot verify) and has an
	 * empty span */
	arena_init(&arena);
	{
		static const char emptyb[] = "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; " BH "; b=";

		st = parse(emptyb, &arena, &sig, &err);
		CHECK(st == MS_OK && sig.sig_len == 0 && sig.b_prefix[0] == 0 &&
		      sig.b_span_start == sizeof(emptyb) - 1 &&
		      sig.b_span_end == sizeof(emptyb) - 1,
		      "DKIM-Signature: empty b= (span empty at the end)");
	}
	arena_free(&arena);

	/* the input is not modified */
	{
		char copy[sizeof(rfc8463_ed)];

		memcpy(copy, rfc8463_ed, sizeof(copy));
		arena_init(&arena);
		parse(copy, &arena, &sig, &err);
		CHECK(memcmp(copy, rfc8463_ed, sizeof(copy)) == 0,
		      "DKIM-Signature: the input is not modified");
		arena_free(&arena);
	}
}

static void test_domain_valid(void)
{
	static const struct {
		const char *s;
		int ok;
	} t[] = {
		{ "example.com", 1 }, { "a", 1 }, { "sel-1", 1 }, { "x_y.example", 1 },
		{ "EXAMPLE.COM", 1 }, { "a.b.c.d.e", 1 },
		{ "", 0 }, { ".", 0 }, { "a..b", 0 }, { ".a", 0 }, { "a b", 0 },
		{ "a@b", 0 }, { "a;b", 0 }, { "a/b", 0 }, { "\xc3\xa9.com", 0 },
	};
	char long_label[80], long_name[300];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(dkim_domain_valid(t[i].s, strlen(t[i].s)) == t[i].ok,
		      "dkim_domain_valid \"%s\" is %d", esc(t[i].s), t[i].ok);
	memset(long_label, 'a', 64);
	long_label[64] = 0;
	CHECK(!dkim_domain_valid(long_label, 64), "dkim_domain_valid: a 64-byte label is too long");
	CHECK(dkim_domain_valid(long_label, 63), "dkim_domain_valid: a 63-byte label");
	for (i = 0; i < sizeof(long_name) - 1; i++)
		long_name[i] = i % 4 == 3 ? '.' : 'a';
	long_name[sizeof(long_name) - 1] = 0;
	CHECK(!dkim_domain_valid(long_name, 255), "dkim_domain_valid: 255 bytes is too long");
	CHECK(dkim_domain_valid(long_name, 251), "dkim_domain_valid: 251 bytes");
}

static void test_many_headers(void)
{
	char in[4096];
	size_t len, k;
	struct dkim_sig sig;
	struct ms_error err;
	struct arena arena;
	enum ms_status st;

	len = (size_t)snprintf(in, sizeof(in), "v=1; a=rsa-sha256; d=example.com; s=sel; %s; %s; h=from", BH, B);
	for (k = 1; k < MS_MAX_SIGNED_HEADERS; k++)
		len += (size_t)snprintf(in + len, sizeof(in) - len, ":x%zu", k);
	arena_init(&arena);
	st = parse(in, &arena, &sig, &err);
	CHECK(st == MS_OK && sig.nheaders == MS_MAX_SIGNED_HEADERS,
	      "DKIM-Signature: h= with MS_MAX_SIGNED_HEADERS names");
	arena_free(&arena);
	snprintf(in + len, sizeof(in) - len, ":one-more");
	arena_init(&arena);
	st = parse(in, &arena, &sig, &err);
	CHECK(st != MS_OK, "DKIM-Signature: h= with MS_MAX_SIGNED_HEADERS + 1 names is refused");
	arena_free(&arena);
}

int main(void)
{
	test_table();
	test_required();
	test_canon();
	test_fields();
	test_domain_valid();
	test_many_headers();
	return unit_done();
}
