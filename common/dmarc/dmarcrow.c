/*
 * dmarcrow.c - a report row and its one canonical serialization.
 *
 * Field order: R1, policy_domain p sp np adkim aspf testing discovery
 * rua, source_ip disposition dkim spf, nreasons and (type comment) per
 * reason, header_from envelope_from envelope_to, spf_domain spf_scope
 * spf_result, nsigs and (domain selector result) per signature.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dmarcrow.h"
#include "numparse.h"

#define ROW_TAG "R1"

static const char *const policy_words[] = { "none", "quarantine", "reject",
					    NULL };
static const char *const align_words[] = { "pass", "fail", NULL };
static const char *const discovery_words[] = { "treewalk", "psl", NULL };
static const char *const reason_words[] = { "local_policy", "mailing_list",
					    "other", "policy_test_mode",
					    "trusted_forwarder", NULL };
static const char *const scope_words[] = { "mfrom", "helo", NULL };
static const char *const spf_words[] = { "none", "neutral", "pass", "fail",
					 "softfail", "temperror",
					 "permerror", NULL };
static const char *const dkim_words[] = { "none", "pass", "fail", "policy",
					  "neutral", "temperror",
					  "permerror", NULL };

/* in_words - is s one of words? */
static int in_words(const char *s, const char *const *words)
{
	if (!s)
		return 0;
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

/* name_ok - a domain-like field: at most MS_MAX_DOMAIN bytes, may be
 * empty only when empty_ok */
static int name_ok(const char *s, int empty_ok)
{
	size_t n;

	if (!s)
		return 0;
	n = strlen(s);
	return n <= MS_MAX_DOMAIN && (n > 0 || empty_ok);
}

/* dmarc_row_ip_canon - the canonical text form of an address */
int dmarc_row_ip_canon(const char *ip, char out[46])
{
	unsigned char a[16];
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
						  0, 0xff, 0xff };

	if (!ip)
		return 0;
	if (inet_pton(AF_INET, ip, a) == 1)
		return inet_ntop(AF_INET, a, out, 46) != NULL;
	if (inet_pton(AF_INET6, ip, a) != 1)
		return 0;
	if (memcmp(a, mapped, sizeof(mapped)) == 0)
		return inet_ntop(AF_INET, a + 12, out, 46) != NULL;
	return inet_ntop(AF_INET6, a, out, 46) != NULL;
}

/* ip_ok - an address written as dmarc_row_ip_canon writes it */
static int ip_ok(const char *s)
{
	char canon[46];

	return s && dmarc_row_ip_canon(s, canon) && strcmp(canon, s) == 0;
}

/* dmarc_row_check - can r be serialized? */
const char *dmarc_row_check(const struct dmarc_row *r)
{
	size_t i;

	if (!name_ok(r->policy_domain, 0))
		return "bad policy domain";
	if (!in_words(r->p, policy_words))
		return "bad p";
	if ((!r->sp || (*r->sp && !in_words(r->sp, policy_words))) ||
	    (!r->np || (*r->np && !in_words(r->np, policy_words))))
		return "bad sp or np";
	if ((r->adkim != 'r' && r->adkim != 's') ||
	    (r->aspf != 'r' && r->aspf != 's'))
		return "bad adkim or aspf";
	if (r->testing != 'y' && r->testing != 'n')
		return "bad testing";
	if (!in_words(r->discovery, discovery_words))
		return "bad discovery method";
	if (!r->rua || !*r->rua)
		return "no rua";
	if (!ip_ok(r->source_ip))
		return "bad source address";
	if (!in_words(r->disposition, policy_words))
		return "bad disposition";
	if (!in_words(r->dkim, align_words) || !in_words(r->spf, align_words))
		return "bad alignment result";
	if (r->nreasons > MS_DMARC_ROW_REASONS)
		return "too many reasons";
	for (i = 0; i < r->nreasons; i++)
		if (!in_words(r->reasons[i].type, reason_words) ||
		    !r->reasons[i].comment)
			return "bad reason";
	if (!name_ok(r->header_from, 0) || !name_ok(r->envelope_from, 1) ||
	    !name_ok(r->envelope_to, 1))
		return "bad identifier";
	if (!name_ok(r->spf_domain, 1) || !in_words(r->spf_scope, scope_words) ||
	    !in_words(r->spf_result, spf_words))
		return "bad SPF result";
	if (r->nsigs > MS_DMARC_ROW_SIGS)
		return "too many signatures";
	for (i = 0; i < r->nsigs; i++)
		if (!name_ok(r->sigs[i].domain, 0) ||
		    !name_ok(r->sigs[i].selector, 0) ||
		    !in_words(r->sigs[i].result, dkim_words))
			return "bad DKIM result";
	return NULL;
}

/* put_field - one field, space first, escaped */
static void put_field(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	buf_putc(b, ' ');
	if (!*s) {
		buf_putc(b, '-');
		return;
	}
	if (strcmp(s, "-") == 0) {
		buf_puts(b, "%2D");
		return;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c > 0x20 && c < 0x7f && c != '%') {
			buf_putc(b, c);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

static void put_char(struct buf *b, char c)
{
	char s[2] = { c, 0 };

	put_field(b, s);
}

static void put_count(struct buf *b, size_t n)
{
	char s[24];

	snprintf(s, sizeof(s), "%zu", n);
	put_field(b, s);
}

/* dmarc_row_serialize - the canonical form of r */
enum ms_status dmarc_row_serialize(const struct dmarc_row *r, struct buf *out)
{
	struct buf b;
	enum ms_status st;
	size_t i;

	if (dmarc_row_check(r))
		return MS_ERR_SYNTAX;
	/* three bytes per input byte at most: the limit is checked once */
	buf_init(&b, MS_DMARC_ROW_MAX * 4);
	buf_puts(&b, ROW_TAG);
	put_field(&b, r->policy_domain);
	put_field(&b, r->p);
	put_field(&b, r->sp);
	put_field(&b, r->np);
	put_char(&b, r->adkim);
	put_char(&b, r->aspf);
	put_char(&b, r->testing);
	put_field(&b, r->discovery);
	put_field(&b, r->rua);
	put_field(&b, r->source_ip);
	put_field(&b, r->disposition);
	put_field(&b, r->dkim);
	put_field(&b, r->spf);
	put_count(&b, r->nreasons);
	for (i = 0; i < r->nreasons; i++) {
		put_field(&b, r->reasons[i].type);
		put_field(&b, r->reasons[i].comment);
	}
	put_field(&b, r->header_from);
	put_field(&b, r->envelope_from);
	put_field(&b, r->envelope_to);
	put_field(&b, r->spf_domain);
	put_field(&b, r->spf_scope);
	put_field(&b, r->spf_result);
	put_count(&b, r->nsigs);
	for (i = 0; i < r->nsigs; i++) {
		put_field(&b, r->sigs[i].domain);
		put_field(&b, r->sigs[i].selector);
		put_field(&b, r->sigs[i].result);
	}
	if (b.len > MS_DMARC_ROW_MAX || !b.data)
		st = MS_ERR_LIMIT;
	else
		st = buf_append(out, b.data, b.len);
	buf_free(&b);
	return st;
}

/* a cursor over a serialized row */
struct row_in {
	const unsigned char *p, *end;
	struct arena *a;
	int bad;
};

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* next_field - the next field, decoded, into the arena; "" once bad
 * (canonical form is checked afterwards by serializing again) */
static const char *next_field(struct row_in *in)
{
	const unsigned char *s, *e;
	char *out;
	size_t n = 0;

	if (in->bad || in->p >= in->end || *in->p != ' ') {
		in->bad = 1;
		return "";
	}
	s = ++in->p;
	e = memchr(s, ' ', (size_t)(in->end - s));
	if (!e)
		e = in->end;
	in->p = e;
	if (e == s) {
		in->bad = 1;
		return "";
	}
	if (e - s == 1 && *s == '-')
		return "";
	out = arena_alloc(in->a, (size_t)(e - s) + 1);
	while (s < e) {
		if (*s != '%') {
			out[n++] = (char)*s++;
			continue;
		}
		if (e - s < 3 || hexval(s[1]) < 0 || hexval(s[2]) < 0 ||
		    (hexval(s[1]) == 0 && hexval(s[2]) == 0)) {
			in->bad = 1;
			return "";
		}
		out[n++] = (char)(hexval(s[1]) * 16 + hexval(s[2]));
		s += 3;
	}
	out[n] = 0;
	return out;
}

/* next_char - a one-byte field */
static char next_char(struct row_in *in)
{
	const char *s = next_field(in);

	if (strlen(s) != 1) {
		in->bad = 1;
		return 0;
	}
	return s[0];
}

/* next_count - a small count field, at most max */
static size_t next_count(struct row_in *in, size_t max)
{
	const char *s = next_field(in);
	uint64_t n = 0;

	if (in->bad || num_parse_u64((const unsigned char *)s, strlen(s), max,
				     &n) != MS_OK) {
		in->bad = 1;
		return 0;
	}
	return (size_t)n;
}

/* dmarc_row_parse - a stored row */
enum ms_status dmarc_row_parse(const unsigned char *p, size_t len,
			       struct arena *a, struct dmarc_row *r)
{
	struct row_in in = { .p = p + 2, .end = p + len, .a = a };
	struct buf again;
	enum ms_status st;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (len > MS_DMARC_ROW_MAX || len < 2 || memcmp(p, ROW_TAG, 2) != 0)
		return MS_ERR_SYNTAX;
	r->policy_domain = next_field(&in);
	r->p = next_field(&in);
	r->sp = next_field(&in);
	r->np = next_field(&in);
	r->adkim = next_char(&in);
	r->aspf = next_char(&in);
	r->testing = next_char(&in);
	r->discovery = next_field(&in);
	r->rua = next_field(&in);
	r->source_ip = next_field(&in);
	r->disposition = next_field(&in);
	r->dkim = next_field(&in);
	r->spf = next_field(&in);
	r->nreasons = next_count(&in, MS_DMARC_ROW_REASONS);
	for (i = 0; i < r->nreasons; i++) {
		r->reasons[i].type = next_field(&in);
		r->reasons[i].comment = next_field(&in);
	}
	r->header_from = next_field(&in);
	r->envelope_from = next_field(&in);
	r->envelope_to = next_field(&in);
	r->spf_domain = next_field(&in);
	r->spf_scope = next_field(&in);
	r->spf_result = next_field(&in);
	r->nsigs = next_count(&in, MS_DMARC_ROW_SIGS);
	for (i = 0; i < r->nsigs; i++) {
		r->sigs[i].domain = next_field(&in);
		r->sigs[i].selector = next_field(&in);
		r->sigs[i].result = next_field(&in);
	}
	if (in.bad || in.p != in.end || dmarc_row_check(r))
		return MS_ERR_SYNTAX;
	/* one serialization per row: anything else is not ours */
	buf_init(&again, MS_DMARC_ROW_MAX);
	st = dmarc_row_serialize(r, &again);
	if (st == MS_OK && (again.len != len || memcmp(again.data, p, len) != 0))
		st = MS_ERR_SYNTAX;
	buf_free(&again);
	return st == MS_OK ? MS_OK : MS_ERR_SYNTAX;
}

/* dmarc_row_same_policy - the same published policy? */
int dmarc_row_same_policy(const struct dmarc_row *a, const struct dmarc_row *b)
{
	return strcmp(a->policy_domain, b->policy_domain) == 0 &&
	       strcmp(a->p, b->p) == 0 && strcmp(a->sp, b->sp) == 0 &&
	       strcmp(a->np, b->np) == 0 && a->adkim == b->adkim &&
	       a->aspf == b->aspf && a->testing == b->testing &&
	       strcmp(a->discovery, b->discovery) == 0 &&
	       strcmp(a->rua, b->rua) == 0;
}
