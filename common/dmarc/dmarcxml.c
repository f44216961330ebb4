/*
 * dmarcxml.c - the XML of one aggregate report (RFC 9990 section 3 and
 * its schema).
 */
#include <inttypes.h>
#include <string.h>

#include "dmarcxml.h"

#define XML_NS "urn:ietf:params:xml:ns:dmarc-2.0"

/* utf8_len - the length of the valid UTF-8 character XML may carry at
 * p[0..n), or 0 */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp == 0xfffe || cp == 0xffff)
		return 0;
	return len;
}

/* put_text - s escaped as XML character data */
static void put_text(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k;

	while (n) {
		switch (*p) {
		case '&':  buf_puts(b, "&amp;");  k = 1; break;
		case '<':  buf_puts(b, "&lt;");   k = 1; break;
		case '>':  buf_puts(b, "&gt;");   k = 1; break;
		case '"':  buf_puts(b, "&quot;"); k = 1; break;
		case '\'': buf_puts(b, "&apos;"); k = 1; break;
		default:
			k = utf8_len(p, n);
			if (k == 0 || (*p < 0x20 && *p != '\t')) {
				buf_putc(b, '?');
				k = k ? k : 1;
			} else {
				buf_append(b, p, k);
			}
		}
		p += k;
		n -= k;
	}
}

/* put_elem - <name>text</name> on its own line */
static void put_elem(struct buf *b, int indent, const char *name,
		     const char *text)
{
	buf_printf(b, "%*s<%s>", indent, "", name);
	put_text(b, text);
	buf_printf(b, "</%s>\n", name);
}

static void put_open(struct buf *b, int indent, const char *name)
{
	buf_printf(b, "%*s<%s>\n", indent, "", name);
}

static void put_close(struct buf *b, int indent, const char *name)
{
	buf_printf(b, "%*s</%s>\n", indent, "", name);
}

/* put_policy - <policy_published> from a row */
static void put_policy(struct buf *b, const struct dmarc_row *r)
{
	char c[2] = { 0, 0 };

	put_open(b, 2, "policy_published");
	put_elem(b, 4, "domain", r->policy_domain);
	put_elem(b, 4, "discovery_method", r->discovery);
	put_elem(b, 4, "p", r->p);
	put_elem(b, 4, "sp", *r->sp ? r->sp : r->p);
	c[0] = r->adkim;
	put_elem(b, 4, "adkim", c);
	c[0] = r->aspf;
	put_elem(b, 4, "aspf", c);
	c[0] = r->testing;
	put_elem(b, 4, "testing", c);
	put_close(b, 2, "policy_published");
}

/* put_reason - one <reason> */
static void put_reason(struct buf *b, const struct dmarc_row_reason *rs)
{
	int test_mode = strcmp(rs->type, "policy_test_mode") == 0;

	put_open(b, 8, "reason");
	put_elem(b, 10, "type", test_mode ? "other" : rs->type);
	if (test_mode) {
		buf_printf(b, "%*s<comment>policy_test_mode", 10, "");
		if (*rs->comment) {
			buf_puts(b, ": ");
			put_text(b, rs->comment);
		}
		buf_puts(b, "</comment>\n");
	} else if (*rs->comment) {
		put_elem(b, 10, "comment", rs->comment);
	}
	put_close(b, 8, "reason");
}

/* put_record - one <record> */
static void put_record(struct buf *b, const struct dmarc_row *r,
		       uint64_t count)
{
	size_t i;

	put_open(b, 2, "record");
	put_open(b, 4, "row");
	put_elem(b, 6, "source_ip", r->source_ip);
	buf_printf(b, "      <count>%" PRIu64 "</count>\n", count);
	put_open(b, 6, "policy_evaluated");
	put_elem(b, 8, "disposition", r->disposition);
	put_elem(b, 8, "dkim", r->dkim);
	put_elem(b, 8, "spf", r->spf);
	for (i = 0; i < r->nreasons; i++)
		put_reason(b, &r->reasons[i]);
	put_close(b, 6, "policy_evaluated");
	put_close(b, 4, "row");
	put_open(b, 4, "identifiers");
	if (*r->envelope_to)
		put_elem(b, 6, "envelope_to", r->envelope_to);
	put_elem(b, 6, "envelope_from", r->envelope_from);
	put_elem(b, 6, "header_from", r->header_from);
	put_close(b, 4, "identifiers");
	put_open(b, 4, "auth_results");
	for (i = 0; i < r->nsigs; i++) {
		put_open(b, 6, "dkim");
		put_elem(b, 8, "domain", r->sigs[i].domain);
		put_elem(b, 8, "selector", r->sigs[i].selector);
		put_elem(b, 8, "result", r->sigs[i].result);
		put_close(b, 6, "dkim");
	}
	put_open(b, 6, "spf");
	put_elem(b, 8, "domain", r->spf_domain);
	put_elem(b, 8, "scope", r->spf_scope);
	put_elem(b, 8, "result", r->spf_result);
	put_close(b, 6, "spf");
	put_close(b, 4, "auth_results");
	put_close(b, 2, "record");
}

/* dmarcxml_write - one report */
enum ms_status dmarcxml_write(const struct dmarc_report_meta *m,
			      const struct dmarc_row *const *rows,
			      const uint64_t *counts, size_t n,
			      struct buf *out)
{
	size_t i, start = out->len;
	struct buf b;
	enum ms_status st;

	if (n == 0)
		return MS_ERR_USAGE;
	for (i = 1; i < n; i++)
		if (!dmarc_row_same_policy(rows[0], rows[i]))
			return MS_ERR_USAGE;
	buf_init(&b, BUF_UNLIMITED);  /* out's maximum is checked once, below */
	buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	buf_puts(&b, "<feedback xmlns=\"" XML_NS "\">\n");
	put_elem(&b, 2, "version", "1.0");
	put_open(&b, 2, "report_metadata");
	put_elem(&b, 4, "org_name", m->org_name);
	put_elem(&b, 4, "email", m->email);
	if (m->extra_contact && *m->extra_contact)
		put_elem(&b, 4, "extra_contact_info", m->extra_contact);
	put_elem(&b, 4, "report_id", m->report_id);
	put_open(&b, 4, "date_range");
	buf_printf(&b, "      <begin>%" PRIu64 "</begin>\n", m->begin);
	buf_printf(&b, "      <end>%" PRIu64 "</end>\n", m->end);
	put_close(&b, 4, "date_range");
	/* the schema allows one <error>: the lines are joined */
	for (i = 0; i < m->nerrors; i++) {
		if (i == 0)
			buf_puts(&b, "    <error>");
		else
			buf_puts(&b, "; ");
		put_text(&b, m->errors[i]);
		if (i + 1 == m->nerrors)
			buf_puts(&b, "</error>\n");
	}
	put_close(&b, 2, "report_metadata");
	put_policy(&b, rows[0]);
	for (i = 0; i < n; i++)
		put_record(&b, rows[i], counts[i]);
	st = buf_puts(&b, "</feedback>\n");
	/* a buf refuses growth past its maximum: a short document is
	 * never handed out */
	if (st == MS_OK && b.data)
		st = buf_append(out, b.data, b.len);
	buf_free(&b);
	if (st != MS_OK)
		buf_truncate(out, start);
	return st == MS_OK ? MS_OK : MS_ERR_LIMIT;
}
