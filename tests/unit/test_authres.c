/*
 * test_authres.c - the Authentication-Results writer (RFC 8601, RFC
 * 6008 header.b): authserv-id, dkim=none for no signature, one folded
 * line per resinfo, reason always a quoted-string with '"' and '\'
 * escaped, header.d/i/s/a/b as MIME tokens or quoted when they are not
 * tokens ('/' and '@' are tspecials, '+' is not), header.i only when
 * present; the field is a well-formed, CRLF-terminated header field.
 */
#include <stdio.h>
#include <string.h>

#include "authres.h"
#include "unit.h"

#define esc unit_esc        /* printable form for check names */

/* well_formed - a header field: "Name: ", CRLF only as folding (CRLF then
 * WSP) and at the very end, no other CR or LF, no NUL or 8-bit byte */
static int well_formed(const struct buf *b, size_t start)
{
	size_t i;
	const unsigned char *p = b->data + start;
	size_t n = b->len - start;

	if (n < 2 || p[n - 2] != '\r' || p[n - 1] != '\n')
		return 0;
	for (i = 0; i < n - 2; i++) {
		if (p[i] == '\r') {
			if (p[i + 1] != '\n' || (p[i + 2] != ' ' && p[i + 2] != '\t'))
				return 0;
		} else if (p[i] == '\n') {
			if (i == 0 || p[i - 1] != '\r')
				return 0;
		} else if (p[i] == 0 || p[i] > 126) {
			return 0;
		}
	}
	return 1;
}

/* count - occurrences of s in b */
static size_t count(const struct buf *b, const char *s)
{
	size_t n = 0, sl = strlen(s);
	const char *p = buf_str(b);

	while ((p = strstr(p, s)) != NULL) {
		n++;
		p += sl;
	}
	return n;
}

static int has(const struct buf *b, const char *s)
{
	return strstr(buf_str(b), s) != NULL;
}

static struct dkim_sig_result res(enum dkim_result r, const char *reason, const char *d,
				  const char *i, const char *s, const char *a, const char *b)
{
	struct dkim_sig_result x;

	memset(&x, 0, sizeof(x));
	x.result = r;
	x.reason = reason;
	x.domain = d;
	x.identity = i;
	x.selector = s;
	x.alg = a;
	snprintf(x.b_prefix, sizeof(x.b_prefix), "%s", b ? b : "");
	return x;
}

static void test_none(void)
{
	struct buf out;
	enum ms_status st;

	buf_init(&out, 4096);
	st = authres_format("mx.example.net", NULL, 0, &out);
	CHECK(st == MS_OK, "authres: no signature formats");
	CHECK(strncmp(buf_str(&out), "Authentication-Results: mx.example.net;", 39) == 0,
	      "authres: starts with the field name and authserv-id (\"%s\")",
	      esc(out.data, out.len));
	CHECK(has(&out, "dkim=none") && count(&out, "dkim=") == 1,
	      "authres: n = 0 gives dkim=none");
	CHECK(well_formed(&out, 0), "authres: dkim=none field is well formed");
	CHECK(strcmp(buf_str(&out), "Authentication-Results: mx.example.net;\r\n\tdkim=none\r\n") == 0,
	      "authres: dkim=none exactly (\"%s\")", esc(out.data, out.len));
	buf_free(&out);
}

static void test_rfc8463_results(void)
{
	struct dkim_sig_result r[2];
	struct buf out;
	enum ms_status st;
	static const char want[] =
		"Authentication-Results: mx.example.net;\r\n"
		"\tdkim=pass header.d=football.example.com header.i=\"@football.example.com\""
		" header.s=brisbane header.a=ed25519-sha256 header.b=\"/gCrinpc\";\r\n"
		"\tdkim=pass header.d=football.example.com header.i=\"@football.example.com\""
		" header.s=test header.a=rsa-sha256 header.b=F45dVWDf\r\n";

	r[0] = res(DKIM_RES_PASS, NULL, "football.example.com", "@football.example.com",
		   "brisbane", "ed25519-sha256", "/gCrinpc");
	r[1] = res(DKIM_RES_PASS, NULL, "football.example.com", "@football.example.com",
		   "test", "rsa-sha256", "F45dVWDf");
	buf_init(&out, 4096);
	st = authres_format("mx.example.net", r, 2, &out);
	CHECK(st == MS_OK && well_formed(&out, 0), "authres: two passes, well formed");
	CHECK(count(&out, "\r\n\tdkim=pass ") == 2 || count(&out, "\r\n dkim=pass ") == 2,
	      "authres: each resinfo on its own folded line");
	CHECK(has(&out, " header.d=football.example.com") && has(&out, " header.s=brisbane") &&
	      has(&out, " header.s=test") && has(&out, " header.a=ed25519-sha256") &&
	      has(&out, " header.a=rsa-sha256"),
	      "authres: header.d, header.s, header.a as tokens");
	CHECK(has(&out, " header.b=\"/gCrinpc\""),
	      "authres: header.b with '/' is quoted");
	CHECK(has(&out, " header.b=F45dVWDf"), "authres: header.b token unquoted");
	CHECK(has(&out, " header.i=\"@football.example.com\""),
	      "authres: header.i with '@' is quoted (not a MIME token)");
	CHECK(!has(&out, "reason="), "authres: no reason on a plain pass");
	CHECK(strcmp(buf_str(&out), want) == 0, "authres: RFC 8463 results exactly (\"%s\")",
	      esc(out.data, out.len));
	buf_free(&out);
}

static void test_values(void)
{
	static const struct {
		const char *in;
		const char *out;
	} t[] = {
		{ "example.com", "example.com" },
		{ "rsa-sha256", "rsa-sha256" },
		{ "abc+defg", "abc+defg" },             /* '+' is not a tspecial */
		{ "a_b.c-d", "a_b.c-d" },
		{ "a/b", "\"a/b\"" },
		{ "a+b/", "\"a+b/\"" },
		{ "@example.com", "\"@example.com\"" },
		{ "joe@example.com", "\"joe@example.com\"" },
		{ "a b", "\"a b\"" },
		{ "a=b", "\"a=b\"" },
		{ "a;b", "\"a;b\"" },
		{ "a:b", "\"a:b\"" },
		{ "(x)", "\"(x)\"" },
		{ "a,b", "\"a,b\"" },
		{ "[x]", "\"[x]\"" },
		{ "a?", "\"a?\"" },
		{ "<x>", "\"<x>\"" },
		{ "", "\"\"" },
		{ "a\"b", "\"a\\\"b\"" },
		{ "a\\b", "\"a\\\\b\"" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf out;
		enum ms_status st;

		buf_init(&out, 256);
		st = authres_append_value(&out, t[i].in);
		CHECK(st == MS_OK && strcmp(buf_str(&out), t[i].out) == 0,
		      "authres value \"%s\" -> %s (got %s)", esc(t[i].in, strlen(t[i].in)),
		      t[i].out, buf_str(&out));
		buf_free(&out);
	}
	/* 8-bit and control bytes: never a token; the output stays a valid
	 * quoted-string with no CR or LF */
	{
		struct buf out;

		buf_init(&out, 256);
		authres_append_value(&out, "\xc3\xa9t\xc3\xa9");
		CHECK(out.len >= 2 && out.data[0] == '"' && out.data[out.len - 1] == '"',
		      "authres value with 8-bit bytes is quoted (%s)", esc(out.data, out.len));
		buf_reset(&out);
		authres_append_value(&out, "a\r\nb");
		CHECK(!memchr(out.data, '\r', out.len) && !memchr(out.data, '\n', out.len) &&
		      out.data[0] == '"', "authres value: CR LF never reach the output (%s)",
		      esc(out.data, out.len));
		buf_free(&out);
	}
}

static void test_reasons(void)
{
	struct dkim_sig_result r[7];
	struct buf out;
	enum ms_status st;
	size_t k;

	r[0] = res(DKIM_RES_FAIL, "body hash did not verify", "example.com", NULL, "sel",
		   "rsa-sha256", "abc+defg");
	r[1] = res(DKIM_RES_PERMERROR, "bad \"quoted\" \\ thing", "example.com", NULL, "sel",
		   "rsa-sha256", "AAAAAAAA");
	r[2] = res(DKIM_RES_TEMPERROR, "key lookup failed: timeout", "example.org",
		   "joe@example.org", "s1", "ed25519-sha256", "BBBBBBBB");
	r[3] = res(DKIM_RES_NEUTRAL, "signature did not verify (key in testing mode, t=y)",
		   "example.com", NULL, "sel", "rsa-sha256", "CCCCCCCC");
	r[4] = res(DKIM_RES_POLICY, "rsa-sha1", "example.com", NULL, "sel", "rsa-sha1", "DDDDDDDD");
	r[5] = res(DKIM_RES_PERMERROR, "required tag missing: d=\r\ninjected: yes", NULL, NULL,
		   NULL, NULL, "");
	r[6] = res(DKIM_RES_PASS, NULL, "example.com", NULL, "sel", "rsa-sha256", "EEEEEEEE");
	buf_init(&out, 8192);
	buf_puts(&out, "X");                    /* appends, does not replace */
	st = authres_format("mx.example.net", r, 7, &out);
	CHECK(st == MS_OK && out.data[0] == 'X' &&
	      strncmp(buf_str(&out) + 1, "Authentication-Results: ", 24) == 0,
	      "authres: appended to what out holds");
	CHECK(well_formed(&out, 1), "authres: seven results, well formed, no stray CR/LF (\"%s\")",
	      esc(out.data, out.len));
	CHECK(count(&out, "dkim=") == 7, "authres: one dkim= per result");
	{
		/* in order */
		const char *p = buf_str(&out);
		static const char *const order[] = {
			"dkim=fail", "dkim=permerror", "dkim=temperror", "dkim=neutral",
			"dkim=policy", "dkim=permerror", "dkim=pass",
		};
		int ok = 1;

		for (k = 0; k < 7 && ok; k++) {
			p = strstr(p, order[k]);
			ok = p != NULL;
			if (p)
				p++;
		}
		CHECK(ok, "authres: results in the order given, with their names");
	}
	CHECK(has(&out, "dkim=fail reason=\"body hash did not verify\""),
	      "authres: reason is a quoted-string after the result");
	CHECK(has(&out, "reason=\"bad \\\"quoted\\\" \\\\ thing\""),
	      "authres: '\"' and '\\' in a reason are escaped");
	CHECK(has(&out, " header.b=abc+defg"), "authres: header.b with '+' only is a token");
	CHECK(has(&out, " header.i=\"joe@example.org\"") && count(&out, "header.i=") == 1,
	      "authres: header.i only when there is an identity");
	{
		/* the unparsable signature: no header.d at all on its line */
		const char *line = strstr(buf_str(&out), "required tag missing");
		const char *eol = line ? strstr(line, "\r\n") : NULL;
		int has_d = 0;

		if (line && eol) {
			const char *d = strstr(line, "header.d=");

			has_d = d && d < eol;
		}
		CHECK(line && eol && !has_d, "authres: no header.d when the domain is unknown");
	}
	CHECK(!has(&out, "\r\ninjected") && !has(&out, "\ninjected"),
	      "authres: a CR LF in a reason cannot start a new header line");
	buf_free(&out);

	buf_init(&out, 40);
	st = authres_format("mx.example.net", r, 7, &out);
	CHECK(st == MS_ERR_LIMIT, "authres: out too small: MS_ERR_LIMIT");
	buf_free(&out);
}

static void test_authserv(void)
{
	struct buf out;
	struct dkim_sig_result r = res(DKIM_RES_PASS, NULL, "example.com", NULL, "sel",
				       "rsa-sha256", "AAAAAAAA");

	buf_init(&out, 4096);
	authres_format("mx 1", &r, 1, &out);
	CHECK(strncmp(buf_str(&out), "Authentication-Results: \"mx 1\";", 31) == 0,
	      "authres: an authserv-id that is not a token is quoted (\"%s\")",
	      esc(out.data, out.len));
	buf_free(&out);
	CHECK(strcmp(dkim_result_str(DKIM_RES_NONE), "none") == 0 &&
	      strcmp(dkim_result_str(DKIM_RES_PASS), "pass") == 0 &&
	      strcmp(dkim_result_str(DKIM_RES_FAIL), "fail") == 0 &&
	      strcmp(dkim_result_str(DKIM_RES_NEUTRAL), "neutral") == 0 &&
	      strcmp(dkim_result_str(DKIM_RES_POLICY), "policy") == 0 &&
	      strcmp(dkim_result_str(DKIM_RES_TEMPERROR), "temperror") == 0 &&
	      strcmp(dkim_result_str(DKIM_RES_PERMERROR), "permerror") == 0,
	      "dkim_result_str: the RFC 8601 names");
}

/* test_parse_id - the reader of a field already in the message */
static void test_parse_id(void)
{
	static const struct {
		const char *value;
		enum ms_status st;
		const char *id;
	} t[] = {
		{ " mx.example.net; dkim=pass", MS_OK, "mx.example.net" },
		{ "mx.example.net;dkim=pass", MS_OK, "mx.example.net" },
		{ " mx.example.net 1; dkim=pass", MS_OK, "mx.example.net" },
		{ " (comment (nested)) mx.example.net; none", MS_OK, "mx.example.net" },
		{ "\r\n\tmx.example.net;\r\n\tdkim=pass", MS_OK, "mx.example.net" },
		{ " \"mx 1\"; none", MS_OK, "mx 1" },
		{ " \"a\\\"b\"; none", MS_OK, "a\"b" },
		{ " \"unterminated; none", MS_ERR_SYNTAX, "" },
		{ " ; dkim=pass", MS_ERR_SYNTAX, "" },
		{ "", MS_ERR_SYNTAX, "" },
		{ " (never closed mx.example.net; none", MS_ERR_SYNTAX, "" },
		{ " \"\"; none", MS_ERR_SYNTAX, "" },
		{ " mx.example.net(c); none", MS_OK, "mx.example.net" },
	};
	struct buf id;
	size_t i;

	buf_init(&id, 64);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum ms_status st = authres_parse_id((const unsigned char *)t[i].value,
						     strlen(t[i].value), &id);

		CHECK(st == t[i].st && strcmp(buf_str(&id), t[i].id) == 0,
		      "authres_parse_id(\"%s\") = %s \"%s\" (got %s \"%s\")",
		      esc(t[i].value, strlen(t[i].value)), ms_status_str(t[i].st),
		      t[i].id, ms_status_str(st), buf_str(&id));
	}
	{
		char big[200];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		CHECK(authres_parse_id((const unsigned char *)big, strlen(big), &id) ==
		      MS_ERR_LIMIT && id.len == 0,
		      "authres_parse_id: an id longer than the buffer allows is MS_ERR_LIMIT");
	}
	buf_free(&id);
	CHECK(authres_id_eq("MX.Example.NET", "mx.example.net") &&
	      !authres_id_eq("mx.example.net.evil", "mx.example.net"),
	      "authres_id_eq: case-insensitive, whole ids");
}

/* test_claims - which fields claim our id (RFC 8601 section 5), the
 * malformed ones included */
static void test_claims(void)
{
	static const struct {
		const char *value;
		int claims;
	} t[] = {
		{ " mx.example.net; dkim=pass", 1 },
		{ " MX.EXAMPLE.NET.; dkim=pass", 1 },           /* the root dot */
		{ " \"mx.example.net\"; dkim=pass", 1 },
		{ " \" mx.example.net \"; dkim=pass", 1 },
		{ " \"mx.example.net; dkim=pass", 1 },         /* unclosed quote */
		{ " (note mx.example.net; dkim=pass", 1 },      /* unclosed comment */
		{ " (mx.example.net; dkim=pass", 1 },
		{ " ; dkim=pass mx.example.net", 1 },           /* no id at all */
		{ " other.example; dkim=pass header.d=mx.example.net", 0 },
		{ " mx.example.net.evil; dkim=pass", 0 },
		{ " \"other.example; dkim=pass", 0 },
		{ " (c mx.example.network; none", 0 },
		{ " \"xmx.example.net; none", 0 },
		{ " \"a.mx.example.net; none", 0 },
		{ " \"mx.example.net.evil; none", 0 },
		{ " \"mx.example.net-x; none", 0 },
		{ " mx.example.net..; none", 0 },
	};
	struct buf id;
	size_t i;

	buf_init(&id, 64);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(authres_claims_id((const unsigned char *)t[i].value,
					strlen(t[i].value), "mx.example.net",
					&id) == t[i].claims,
		      "authres_claims_id(\"%s\") = %d",
		      esc(t[i].value, strlen(t[i].value)), t[i].claims);
	buf_free(&id);
	CHECK(authres_id_eq("mx.example.net.", "mx.example.net") &&
	      authres_id_eq("mx.example.net", "MX.example.net.") &&
	      !authres_id_eq(".", "") && !authres_id_eq("", ""),
	      "authres_id_eq: one final dot does not count, empty ids match nothing");
}

/* test_methods - other methods' resinfos after the DKIM ones */
static void test_methods(void)
{
	struct authres_method m[2] = {
		{ "spf", "pass", NULL, "smtp.mailfrom", "alice@example.com",
		  "smtp.helo", "mx.example.com" },
		{ "spf", "permerror", "bad \"record\"\r\n", "smtp.mailfrom",
		  "odd local@example.com", "smtp.helo", "[192.0.2.1]" },
	};
	struct buf out;

	buf_init(&out, 4096);
	CHECK(authres_format_with("mx.example.net", NULL, 0, m, 2, &out) == MS_OK &&
	      strcmp(buf_str(&out), "Authentication-Results: mx.example.net;\r\n"
		     "\tdkim=none;\r\n\tspf=pass smtp.mailfrom=alice@example.com "
		     "smtp.helo=mx.example.com;\r\n"
		     "\tspf=permerror reason=\"bad \\\"record\\\"\" "
		     "smtp.mailfrom=\"odd local@example.com\" "
		     "smtp.helo=\"[192.0.2.1]\"\r\n") == 0,
	      "authres: spf after dkim, a mailbox unquoted, anything else quoted, "
	      "control bytes dropped (got %s)", unit_esc(out.data, out.len));
	buf_free(&out);
}

int main(void)
{
	test_methods();
	test_claims();
	test_parse_id();
	test_none();
	test_rfc8463_results();
	test_values();
	test_reasons();
	test_authserv();
	return unit_done();
}
