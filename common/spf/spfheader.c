/*
 * spfheader.c - the Received-SPF header field.
 */
#include <string.h>

#include "spfheader.h"

#define SPFH_VALUE_MAX 300             /* bytes of one value written */
#define SPFH_FIELD_MAX (12 * SPFH_VALUE_MAX)

/* atext - RFC 5322 atext, and '.' for a dot-atom */
static int atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-/=?^_`{|}~.", c));
}

/* put_text - s as printable ASCII ('?' for anything else), at most
 * SPFH_VALUE_MAX bytes */
static void put_text(struct buf *b, const char *s)
{
	const char *s0 = s;

	for (; s && *s && s - s0 < SPFH_VALUE_MAX; s++) {
		unsigned char c = (unsigned char)*s;

		buf_putc(b, c >= 32 && c < 127 && c != '(' && c != ')' &&
			 c != '\\' ? c : '?');
	}
}

/* put_value - a dot-atom as it is, anything else quoted; at most
 * SPFH_VALUE_MAX bytes of it */
static void put_value(struct buf *b, const char *s)
{
	const char *p;
	int plain = s && *s && *s != '.' && strlen(s) <= SPFH_VALUE_MAX;

	for (p = s; plain && *p; p++)
		plain = atext((unsigned char)*p) && !(p[0] == '.' && p[1] == '.');
	if (plain && p[-1] != '.') {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '"');
	for (p = s; p && *p && p - s < SPFH_VALUE_MAX; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\')
			buf_putc(b, '\\');
		buf_putc(b, c >= 32 && c < 127 ? c : '?');
	}
	buf_putc(b, '"');
}

/* spf_received_field - the whole field */
enum ms_status spf_received_field(const struct spf_outcome *o, const char *ip,
				  const char *helo, const char *receiver,
				  struct buf *out)
{
	const char *dom = o->domain ? o->domain : "";

	/* every value is cut to SPFH_VALUE_MAX: the field fits in this */
	if (buf_reserve(out, SPFH_FIELD_MAX) != MS_OK)
		return MS_ERR_LIMIT;
	buf_printf(out, "Received-SPF: %s (", spf_result_str(o->result));
	put_text(out, receiver);
	buf_puts(out, ": ");
	switch (o->result) {
	case SPF_PASS:
		buf_puts(out, "domain of ");
		put_text(out, dom);
		buf_puts(out, " allows ");
		put_text(out, ip);
		buf_puts(out, " to send its mail");
		break;
	case SPF_FAIL:
		buf_puts(out, "domain of ");
		put_text(out, dom);
		buf_puts(out, " does not allow ");
		put_text(out, ip);
		buf_puts(out, " to send its mail");
		break;
	case SPF_SOFTFAIL:
		buf_puts(out, "domain of ");
		put_text(out, dom);
		buf_puts(out, " discourages mail from ");
		put_text(out, ip);
		break;
	case SPF_NEUTRAL:
		buf_puts(out, "domain of ");
		put_text(out, dom);
		buf_puts(out, " says nothing of ");
		put_text(out, ip);
		break;
	case SPF_NONE:
		buf_puts(out, "no SPF record for ");
		put_text(out, dom);
		break;
	case SPF_TEMPERROR:
		buf_puts(out, "the SPF policy of ");
		put_text(out, dom);
		buf_puts(out, " could not be read now");
		break;
	case SPF_PERMERROR:
		buf_puts(out, "the SPF policy of ");
		put_text(out, dom);
		buf_puts(out, " is broken");
		break;
	}
	buf_puts(out, ")\r\n\tclient-ip=");
	put_value(out, ip ? ip : "");
	buf_puts(out, "; envelope-from=");
	put_value(out, o->sender ? o->sender : "");
	buf_puts(out, ";\r\n\thelo=");
	put_value(out, helo ? helo : "");
	buf_puts(out, "; receiver=");
	put_value(out, receiver ? receiver : "");
	buf_puts(out, "; identity=");
	buf_puts(out, o->identity && !strcmp(o->identity, "helo") ? "helo"
		 : "mailfrom");
	buf_putc(out, ';');
	if (o->mechanism && (o->result == SPF_PASS || o->result == SPF_FAIL ||
			     o->result == SPF_SOFTFAIL ||
			     o->result == SPF_NEUTRAL)) {
		buf_puts(out, "\r\n\tmechanism=");
		put_value(out, o->mechanism);
		buf_putc(out, ';');
	}
	if (o->reason && (o->result == SPF_TEMPERROR ||
			  o->result == SPF_PERMERROR)) {
		buf_puts(out, "\r\n\tproblem=");
		put_value(out, o->reason);
		buf_putc(out, ';');
	}
	return buf_puts(out, "\r\n");
}
