/*
 * test_arf.c - the abuse report reader: ARF reports (RFC 5965) and
 * forwarded messages, the reported message handed back byte for byte,
 * the report's fields, and the refusals and limits.
 */
#include <stdio.h>
#include <string.h>

#include "arf.h"
#include "buf.h"
#include "unit.h"

/* the reported message: folded header, trailing spaces and a line that
 * looks like a delimiter of another boundary; every byte must survive */
#define ORIG \
	"DKIM-Signature: v=1; a=rsa-sha256; d=spam.example; s=s1;\r\n" \
	"\tb=AAAA; bh=BBBB; h=from\r\n" \
	"From: Spammer <win@spam.example>\r\n" \
	"Subject: You won   \r\n" \
	"\r\n" \
	"--not-the-boundary\r\n" \
	"Claim it now.  \r\n"

static void nl_to_lf(const char *in, struct buf *out)
{
	for (; *in; in++)
		if (*in != '\r')
			buf_putc(out, *in);
}

static void arf_build(struct buf *b, const char *boundary_param,
		      const char *bd, const char *third_type, const char *cte,
		      const char *orig)
{
	buf_printf(b,
		   "From: Feedback Loop <fbl@isp.example>\r\n"
		   "To: abuse@farm.example\r\n"
		   "Subject: complaint\r\n"
		   "MIME-Version: 1.0\r\n"
		   "Content-Type: multipart/report; report-type=Feedback-Report;\r\n"
		   "\tboundary=%s\r\n"
		   "\r\n"
		   "preamble\r\n"
		   "--%s\r\n"
		   "Content-Type: text/plain\r\n"
		   "\r\n"
		   "A user complained.\r\n"
		   "--%s\r\n"
		   "Content-Type: message/feedback-report\r\n"
		   "\r\n"
		   "Feedback-Type: Abuse\r\n"
		   "User-Agent: SomeGenerator/1.0\r\n"
		   "Version: 1\r\n"
		   "Source-IP: 192.0.2.1\r\n"
		   "Reported-Domain: spam.example\r\n"
		   "\r\n"
		   "--%s   \r\n"
		   "Content-Type: %s\r\n"
		   "%s%s%s"
		   "\r\n"
		   "%s\r\n"
		   "--%s--\r\n"
		   "epilogue\r\n",
		   boundary_param, bd, bd, bd, third_type,
		   cte ? "Content-Transfer-Encoding: " : "", cte ? cte : "",
		   cte ? "\r\n" : "", orig, bd);
}

static void test_arf(void)
{
	struct arf_report r;
	struct ms_error err;
	struct arena a;
	struct buf b, lf;

	arena_init(&a);
	buf_init(&b, 1 << 20);
	arf_build(&b, "\"==b (1)=\"", "==b (1)=", "message/rfc822", NULL, ORIG);
	CHECK(arf_read(b.data, b.len, &a, &r, &err) == MS_OK &&
	      r.kind == ARF_FEEDBACK && r.original_len == strlen(ORIG) &&
	      memcmp(r.original, ORIG, strlen(ORIG)) == 0 && !r.headers_only &&
	      !r.decoded, "ARF: the reported message, byte for byte (quoted boundary, padding after a delimiter)");
	CHECK(r.feedback_type && !strcmp(r.feedback_type, "abuse") &&
	      r.user_agent && !strcmp(r.user_agent, "SomeGenerator/1.0") &&
	      r.source_ip && !strcmp(r.source_ip, "192.0.2.1") &&
	      r.reported_domain && !strcmp(r.reported_domain, "spam.example") &&
	      r.from && !strcmp(r.from, "fbl@isp.example"),
	      "ARF: its fields, and the report's From");
	buf_init(&lf, 1 << 20);
	nl_to_lf((const char *)buf_str(&b), &lf);
	{
		struct buf want;

		buf_init(&want, 1 << 16);
		nl_to_lf(ORIG, &want);
		CHECK(arf_read(lf.data, lf.len, &a, &r, &err) == MS_OK &&
		      r.original_len == want.len &&
		      memcmp(r.original, want.data, want.len) == 0,
		      "ARF with LF line ends: the reported message, byte for byte");
		buf_free(&want);
	}
	buf_reset(&b);
	arf_build(&b, "xyz", "xyz", "text/rfc822-headers", NULL,
		  "From: a@spam.example\r\nSubject: s\r\n");
	CHECK(arf_read(b.data, b.len, &a, &r, &err) == MS_OK && r.headers_only &&
	      r.original_len == strlen("From: a@spam.example\r\nSubject: s\r\n"),
	      "ARF: text/rfc822-headers is the header block only");
	buf_reset(&b);
	arf_build(&b, "xyz", "xyz", "message/rfc822", "base64",
		  "RnJvbTogYUBzcGFtLmV4YW1wbGUNCg0KaGkNCg==");
	CHECK(arf_read(b.data, b.len, &a, &r, &err) == MS_OK && r.decoded &&
	      r.original_len == strlen("From: a@spam.example\r\n\r\nhi\r\n") &&
	      memcmp(r.original, "From: a@spam.example\r\n\r\nhi\r\n", r.original_len) == 0,
	      "ARF: a base64 message/rfc822 is decoded");
	buf_reset(&b);
	arf_build(&b, "xyz", "xyz", "message/rfc822", "Quoted-Printable", ORIG);
	CHECK(arf_read(b.data, b.len, &a, &r, &err) == MS_ERR_UNSUPPORTED &&
	      strstr(err.msg, "quoted-printable"),
	      "ARF: a quoted-printable message is refused (%s)", err.msg);
	buf_free(&lf);
	buf_free(&b);
	arena_free(&a);
}

static void test_forward(void)
{
	static const char fwd[] =
		"From: Alice <alice@farm.example>\r\n"
		"Subject: Fwd: spam\r\n"
		"Content-Type: multipart/mixed; boundary=outer\r\n"
		"\r\n"
		"--outer\r\n"
		"Content-Type: text/plain\r\n"
		"\r\n"
		"This is spam.\r\n"
		"--outer\r\n"
		"Content-Type: multipart/mixed; boundary=\"inner\"\r\n"
		"\r\n"
		"--inner\r\n"
		"Content-Type: image/png\r\n"
		"\r\n"
		"PNG\r\n"
		"--inner\r\n"
		"Content-Type: Message/RFC822; name=\"spam.eml\"\r\n"
		"Content-Disposition: attachment\r\n"
		"\r\n"
		ORIG
		"\r\n"
		"--inner--\r\n"
		"--outer--\r\n";
	static const char noclose[] =
		"Content-Type: multipart/mixed; boundary=b\r\n"
		"\r\n"
		"--b\r\n"
		"Content-Type: message/rfc822\r\n"
		"\r\n"
		"From: x@y.example\r\n\r\nbody\r\n";
	struct arf_report r;
	struct ms_error err;
	struct arena a;
	struct buf b;
	int i;

	arena_init(&a);
	CHECK(arf_read((const unsigned char *)fwd, strlen(fwd), &a, &r, &err) == MS_OK &&
	      r.kind == ARF_FORWARD && r.original_len == strlen(ORIG) &&
	      memcmp(r.original, ORIG, strlen(ORIG)) == 0 && !r.feedback_type &&
	      r.from && !strcmp(r.from, "alice@farm.example"),
	      "forward: the attached message two levels down, byte for byte; no ARF fields");
	CHECK(arf_read((const unsigned char *)noclose, strlen(noclose), &a, &r, &err) == MS_OK &&
	      r.original_len == strlen("From: x@y.example\r\n\r\nbody\r\n"),
	      "forward: without a close delimiter the last part runs to the end");
	{
		static const char plain[] = "From: a@b.example\r\nSubject: s\r\n\r\nspam\r\n";
		static const char nobd[] = "Content-Type: multipart/mixed\r\n\r\n--x\r\n";

		CHECK(arf_read((const unsigned char *)plain, strlen(plain), &a, &r, &err) == MS_ERR_SYNTAX &&
		      strstr(err.msg, "no message/rfc822 part"),
		      "a plain message is no report (%s)", err.msg);
		CHECK(arf_read((const unsigned char *)nobd, strlen(nobd), &a, &r, &err) == MS_ERR_SYNTAX &&
		      strstr(err.msg, "without a boundary"),
		      "a multipart without a boundary is refused (%s)", err.msg);
	}
	buf_init(&b, 1 << 20);
	for (i = 0; i < 6; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i);
	buf_puts(&b, "Content-Type: message/rfc822\r\n\r\nFrom: x@y.example\r\n\r\nz\r\n");
	CHECK(arf_read(b.data, b.len, &a, &r, &err) == MS_ERR_LIMIT &&
	      strstr(err.msg, "nested deeper"), "six nested multiparts: past the depth limit (%s)", err.msg);
	buf_reset(&b);
	buf_puts(&b, "Content-Type: multipart/mixed; boundary=m\r\n\r\n");
	for (i = 0; i < 100; i++)
		buf_puts(&b, "--m\r\nContent-Type: text/plain\r\n\r\nx\r\n");
	buf_puts(&b, "--m--\r\n");
	CHECK(arf_read(b.data, b.len, &a, &r, &err) == MS_ERR_LIMIT &&
	      strstr(err.msg, "MIME parts"), "a hundred parts: past the limit (%s)", err.msg);
	buf_free(&b);
	arena_free(&a);
}

int main(void)
{
	test_arf();
	test_forward();
	return unit_done();
}
