/*
 * test_pfproto.c - the Postfix daemon's protocol codecs: policy
 * delegation requests (ends, attributes, errors, xtext, replies) and
 * milter packets (framing, negotiation, connect, macros, header,
 * replies with '%' and folds); the transaction notes (txtable.c).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "milterproto.h"
#include "policyd.h"
#include "policyproto.h"
#include "unit.h"

#define esc unit_esc

static void test_request_end(void)
{
	static const struct {
		const char *in;
		size_t end;
	} t[] = {
		{ "a=1\nb=2\n\n", 9 },
		{ "a=1\nb=2\n\nc=3\n\n", 9 },
		{ "a=1\r\n\r\n", 7 },
		{ "\n", 1 },
		{ "a=1\nb=2\n", 0 },
		{ "a=1", 0 },
		{ "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t got = pp_request_end((const unsigned char *)t[i].in,
					    strlen(t[i].in));

		CHECK(got == t[i].end, "pp_request_end(\"%s\") = %zu (got %zu)",
		      esc(t[i].in, strlen(t[i].in)), t[i].end, got);
	}
}

static void test_parse(void)
{
	static const struct {
		const char *in;
		enum ms_status st;
		const char *name, *value;       /* one attribute to look up */
	} t[] = {
		{ "request=smtpd_access_policy\nsender=a@b.example\n\n", MS_OK,
		  "sender", "a@b.example" },
		{ "request=x\nsender=\n\n", MS_OK, "sender", "" },
		{ "request=x\r\nccert_subject=a+20b\r\n\r\n", MS_OK,
		  "ccert_subject", "a+20b" },
		{ "request=x\nvalue=a=b=c\n\n", MS_OK, "value", "a=b=c" },
		{ "request=x\nunknown_future_attr=1\n\n", MS_OK, "request", "x" },
		{ "request=x\nrequest=y\n\n", MS_ERR_SYNTAX, NULL, NULL },
		{ "request=x\nnovalue\n\n", MS_ERR_SYNTAX, NULL, NULL },
		{ "Request=x\n\n", MS_ERR_SYNTAX, NULL, NULL },
		{ "=x\n\n", MS_ERR_SYNTAX, NULL, NULL },
		{ "request=x\n\nextra=1\n", MS_ERR_SYNTAX, NULL, NULL },
		{ "request=x\n", MS_ERR_SYNTAX, NULL, NULL },
	};
	struct pp_request rq;
	struct ms_error err;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum ms_status st = pp_parse((const unsigned char *)t[i].in,
					     strlen(t[i].in), &rq, &err);

		CHECK(st == t[i].st && (!t[i].name ||
					(pp_get(&rq, t[i].name) &&
					 !strcmp(pp_get(&rq, t[i].name), t[i].value))),
		      "pp_parse(\"%s\") = %s%s%s", esc(t[i].in, strlen(t[i].in)),
		      ms_status_str(t[i].st), st == t[i].st ? "" : " - got ",
		      st == t[i].st ? "" : ms_status_str(st));
		pp_free(&rq);
	}
	{
		unsigned char nul[] = "request=a\0b\n\n";

		CHECK(pp_parse(nul, sizeof(nul) - 1, &rq, &err) == MS_ERR_SYNTAX,
		      "pp_parse: a NUL in a value is refused");
		pp_free(&rq);
	}
	{
		char big[PP_MAX_REQUEST + 100];

		memset(big, 'x', sizeof(big));
		memcpy(big, "a=", 2);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\n';
		CHECK(pp_parse((unsigned char *)big, sizeof(big), &rq, &err) == MS_ERR_LIMIT,
		      "pp_parse: a request over %d bytes is MS_ERR_LIMIT", PP_MAX_REQUEST);
		pp_free(&rq);
	}
	{
		char many[PP_MAX_ATTRS * 12 + 10];
		size_t off = 0;
		int k;

		for (k = 0; k <= PP_MAX_ATTRS; k++)
			off += (size_t)snprintf(many + off, sizeof(many) - off, "a%d=1\n", k);
		many[off++] = '\n';
		CHECK(pp_parse((unsigned char *)many, off, &rq, &err) == MS_ERR_LIMIT,
		      "pp_parse: more than %d attributes is MS_ERR_LIMIT", PP_MAX_ATTRS);
		pp_free(&rq);
	}
}

static void test_xtext_reply(void)
{
	static const struct {
		const char *in;
		enum ms_status st;
		const char *out;
	} t[] = {
		{ "mailseal+20test+20CA", MS_OK, "mailseal test CA" },
		{ "plain", MS_OK, "plain" },
		{ "", MS_OK, "" },
		{ "a+2", MS_ERR_SYNTAX, "" },
		{ "a+", MS_ERR_SYNTAX, "" },
		{ "a+zz", MS_ERR_SYNTAX, "" },
		{ "a+3d", MS_ERR_SYNTAX, "" },   /* xtext hex is upper case */
		{ "a+3D", MS_OK, "a=" },
	};
	struct buf b;
	size_t i;

	buf_init(&b, 1024);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum ms_status st = pp_xtext_decode(t[i].in, &b);

		CHECK(st == t[i].st && !strcmp(buf_str(&b), t[i].out),
		      "pp_xtext_decode(\"%s\") = \"%s\" (got \"%s\")", t[i].in,
		      t[i].out, buf_str(&b));
	}
	buf_reset(&b);
	CHECK(pp_reply(&b, "550 5.7.1 no") == MS_OK &&
	      !strcmp(buf_str(&b), "action=550 5.7.1 no\n\n"),
	      "pp_reply: action=... and an empty line");
	CHECK(pp_reply(&b, "DUNNO\nx=y") == MS_ERR_SYNTAX,
	      "pp_reply: an action with a newline is refused");
	buf_free(&b);
}

/* pkt - a packet from command and data */
static size_t pkt(unsigned char *out, char cmd, const void *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len + 1);

	memcpy(out, &n, 4);
	out[4] = (unsigned char)cmd;
	memcpy(out + 5, data, len);
	return len + 5;
}

static void test_milter(void)
{
	unsigned char b[512];
	struct milter_packet p;
	const char *s[8], *host, *addr, *name, *value;
	uint32_t v, a, pr;
	unsigned port;
	size_t n, len;
	char fam, stage;
	long used;
	struct buf out;

	len = pkt(b, 'O', "\0\0\0\6\0\0\1\xff\0\x1f\xff\xff", 12);
	used = milter_frame(b, len, &p);
	CHECK(used == (long)len && p.cmd == 'O' &&
	      milter_optneg(&p, &v, &a, &pr) == MS_OK && v == 6 &&
	      a == 0x1ff && pr == 0x1fffff, "milter: OPTNEG frame and values");
	CHECK(milter_frame(b, len - 1, &p) == 0 && milter_frame(b, 3, &p) == 0,
	      "milter: a partial packet needs more bytes");
	memcpy(b, "\0\0\0\0", 4);
	CHECK(milter_frame(b, 8, &p) == -1, "milter: length 0 is an error");
	memcpy(b, "\0\x20\0\0", 4);
	CHECK(milter_frame(b, 8, &p) == -1, "milter: a length past the limit is an error");

	len = pkt(b, 'C', "mx.example\0" "4\x11\x5c" "192.0.2.1", 24);
	milter_frame(b, len, &p);
	CHECK(milter_connect(&p, &host, &fam, &port, &addr) == MS_OK &&
	      !strcmp(host, "mx.example") && fam == '4' && port == 4444 &&
	      !strcmp(addr, "192.0.2.1"), "milter: CONNECT inet");
	len = pkt(b, 'C', "mx.example\0" "4\x11\x5c" "192.0.2.1", 23);
	milter_frame(b, len, &p);
	CHECK(milter_connect(&p, &host, &fam, &port, &addr) == MS_ERR_SYNTAX,
	      "milter: CONNECT without the final NUL is refused");
	len = pkt(b, 'C', "unknown\0U", 9);
	milter_frame(b, len, &p);
	CHECK(milter_connect(&p, &host, &fam, &port, &addr) == MS_OK && fam == 'U' &&
	      !*addr, "milter: CONNECT of unknown family");

	len = pkt(b, 'D', "Mi\0ABC\0{auth_authen}\0alice\0", 27);
	milter_frame(b, len, &p);
	CHECK(milter_macros(&p, &stage, s, 8, &n) == MS_OK && stage == 'M' && n == 4 &&
	      !strcmp(s[2], "{auth_authen}") && !strcmp(s[3], "alice"),
	      "milter: MACRO pairs");
	len = pkt(b, 'D', "Mi\0", 3);
	milter_frame(b, len, &p);
	CHECK(milter_macros(&p, &stage, s, 8, &n) == MS_ERR_SYNTAX,
	      "milter: MACRO with a name and no value is refused");

	len = pkt(b, 'L', "Subject\0 a\n\tb\0", 14);
	milter_frame(b, len, &p);
	CHECK(milter_header(&p, &name, &value) == MS_OK && !strcmp(name, "Subject") &&
	      !strcmp(value, " a\n\tb"), "milter: HEADER name and folded value");
	len = pkt(b, 'L', "\0 a\0", 4);
	milter_frame(b, len, &p);
	CHECK(milter_header(&p, &name, &value) == MS_ERR_SYNTAX,
	      "milter: HEADER with an empty name is refused");
	len = pkt(b, 'L', "Subject\0 a", 10);
	milter_frame(b, len, &p);
	CHECK(milter_header(&p, &name, &value) == MS_ERR_SYNTAX,
	      "milter: HEADER without the final NUL is refused");

	buf_init(&out, 1 << 20);
	{
		static const struct milter_symlist l[] = { { 2, "i {auth_authen}" } };

		milter_put_optneg(&out, 6, 0x111, 0x80, l, 1);
		CHECK(out.len == 5 + 12 + 4 + 16 && out.data[4] == 'O' &&
		      !memcmp(out.data + 17, "\0\0\0\2i {auth_authen}\0", 20),
		      "milter: OPTNEG reply with a macro list for MAIL (%s)",
		      esc(out.data, out.len));
		buf_reset(&out);
	}
	milter_put_reply(&out, 550, "5.7.20", "100% forged\r\n");
	CHECK(out.len == 5 + 24 && out.data[4] == 'y' &&
	      !memcmp(out.data + 5, "550 5.7.20 100%% forged\0", 24),
	      "milter: REPLYCODE doubles '%%' and drops CR LF (%s)",
	      esc(out.data, out.len));
	buf_reset(&out);
	milter_put_header(&out, SMFIR_INSHEADER, 0, "X-A", " v1;\r\n\tv2");
	CHECK(out.len == 5 + 4 + 4 + 9 && out.data[4] == 'i' &&
	      !memcmp(out.data + 9, "X-A\0 v1;\n\tv2\0", 13),
	      "milter: INSHEADER sends folds as LF (%s)", esc(out.data, out.len));
	buf_free(&out);
}

/* the notes the policy side leaves for the milter side: a transaction
 * note (queue id) carries the SASL user and the SPF outcome and is used
 * up by the message that takes it; an identity note (no queue id yet,
 * the first RCPT) the SPF outcome alone, never a user, read by the
 * transactions that began before it was made */
static void test_txtable(void)
{
	struct tx_key tk = { "4AB5C6D7", "192.0.2.7", "a@example.org", "" };
	struct tx_key ik = { "", "192.0.2.7", "a@example.org", "" };
	struct tx_key other = { "", "192.0.2.8", "a@example.org", "" };
	struct tx_note n, got;

	memset(&n, 0, sizeof(n));
	snprintf(n.user, sizeof(n.user), "alice");
	txtable_put(&ik, &n);
	CHECK(!txtable_take(&ik, &got),
	      "txtable: an identity note without an SPF outcome is not kept (a SASL user needs a queue id)");
	n.spf.known = 1;
	n.spf.result = SPF_PASS;
	snprintf(n.spf.helo, sizeof(n.spf.helo), "mx.example.org");
	txtable_put(&ik, &n);
	CHECK(!txtable_take(&other, &got),
	      "txtable: an identity note is not found under another client address");
	memset(&got, 0xff, sizeof(got));
	CHECK(txtable_peek_since(&ik, time(NULL) - 5, &got) && got.spf.known &&
	      got.spf.result == SPF_PASS && !*got.user &&
	      !strcmp(got.spf.helo, "mx.example.org"),
	      "txtable: an identity note holds the SPF outcome and no SASL user");
	CHECK(txtable_peek_since(&ik, time(NULL) - 5, &got),
	      "txtable: an identity note is not used up (sessions of one identity share it)");
	CHECK(!txtable_peek_since(&ik, time(NULL) + 5, &got),
	      "txtable: an identity note made before the transaction began is not read");
	CHECK(!txtable_peek_since(&other, 0, &got),
	      "txtable: ... nor under another client address");
	txtable_drop(&ik);
	{
		struct tx_key p1 = { "", "192.0.2.7", "a@example.org", "4444" };
		struct tx_key p2 = { "", "192.0.2.7", "a@example.org", "5555" };

		txtable_put(&p1, &n);
		CHECK(!txtable_peek_since(&p2, 0, &got) &&
		      txtable_peek_since(&p1, 0, &got),
		      "txtable: an identity note with the client's port is found under that port only");
		txtable_drop(&p1);
	}
	txtable_put(&tk, &n);
	CHECK(!txtable_take(&ik, &got),
	      "txtable: a transaction note is not an identity note");
	CHECK(txtable_take(&tk, &got) && !strcmp(got.user, "alice") &&
	      got.spf.known, "txtable: a transaction note keeps the SASL user and the outcome");
	CHECK(!txtable_take(&tk, &got), "txtable: a transaction note is used up");
}

int main(void)
{
	test_request_end();
	test_parse();
	test_xtext_reply();
	test_milter();
	test_txtable();
	return unit_done();
}
