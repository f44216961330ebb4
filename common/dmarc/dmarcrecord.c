/*
 * dmarcrecord.c - the DMARC record parser: the tag-list of RFC 6376
 * read by tagvalue.c, then one small handler per known tag.
 */
#include <string.h>
#include <strings.h>

#include "dmarcrecord.h"
#include "tagvalue.h"

typedef int (*dmarc_tag_fn)(const struct tag *t, struct arena *a,
			    struct dmarc_record *r);

/* value_is - the tag's value equals s, without regard to case */
static int value_is(const struct tag *t, const char *s)
{
	return tagvalue_eq_nocase(t, s);
}

/* policy_word - none / quarantine / reject, or DMARC_P_UNSET */
static enum dmarc_policy policy_word(const struct tag *t)
{
	if (value_is(t, "none"))
		return DMARC_P_NONE;
	if (value_is(t, "quarantine"))
		return DMARC_P_QUARANTINE;
	if (value_is(t, "reject"))
		return DMARC_P_REJECT;
	return DMARC_P_UNSET;
}

static int tag_p(const struct tag *t, struct arena *a, struct dmarc_record *r)
{
	(void)a;
	r->p = policy_word(t);
	return r->p != DMARC_P_UNSET;
}

static int tag_sp(const struct tag *t, struct arena *a, struct dmarc_record *r)
{
	(void)a;
	r->sp = policy_word(t);
	return r->sp != DMARC_P_UNSET;
}

static int tag_np(const struct tag *t, struct arena *a, struct dmarc_record *r)
{
	(void)a;
	r->np = policy_word(t);
	return r->np != DMARC_P_UNSET;
}

/* mode - r or s */
static int mode(const struct tag *t, char *out)
{
	if (value_is(t, "r") || value_is(t, "s")) {
		*out = (char)(t->value[0] | 0x20);
		return 1;
	}
	return 0;
}

static int tag_adkim(const struct tag *t, struct arena *a,
		     struct dmarc_record *r)
{
	(void)a;
	return mode(t, &r->adkim);
}

static int tag_aspf(const struct tag *t, struct arena *a,
		    struct dmarc_record *r)
{
	(void)a;
	return mode(t, &r->aspf);
}

static int tag_psd(const struct tag *t, struct arena *a,
		   struct dmarc_record *r)
{
	(void)a;
	if (value_is(t, "y") || value_is(t, "n") || value_is(t, "u")) {
		r->psd = (char)(t->value[0] | 0x20);
		return 1;
	}
	return 0;
}

static int tag_t(const struct tag *t, struct arena *a, struct dmarc_record *r)
{
	(void)a;
	if (value_is(t, "y") || value_is(t, "n")) {
		r->testing = (t->value[0] | 0x20) == 'y';
		return 1;
	}
	return 0;
}

static int tag_rua(const struct tag *t, struct arena *a,
		   struct dmarc_record *r)
{
	r->rua = arena_memdup(a, t->value, t->value_len);
	return 1;
}

static int tag_ruf(const struct tag *t, struct arena *a,
		   struct dmarc_record *r)
{
	r->ruf = arena_memdup(a, t->value, t->value_len);
	return 1;
}

static int tag_fo(const struct tag *t, struct arena *a, struct dmarc_record *r)
{
	r->fo = arena_memdup(a, t->value, t->value_len);
	return 1;
}

static const struct {
	const char *name;
	dmarc_tag_fn fn;
} dmarc_tags[] = {
	{ .name = "p", .fn = tag_p },
	{ .name = "sp", .fn = tag_sp },
	{ .name = "np", .fn = tag_np },
	{ .name = "adkim", .fn = tag_adkim },
	{ .name = "aspf", .fn = tag_aspf },
	{ .name = "psd", .fn = tag_psd },
	{ .name = "t", .fn = tag_t },
	{ .name = "rua", .fn = tag_rua },
	{ .name = "ruf", .fn = tag_ruf },
	{ .name = "fo", .fn = tag_fo },
};

/* uri_ok - does the comma-separated list s hold one URI that is
 * syntactically one: a scheme (a letter, then letters, digits, + - .),
 * a colon and something after it (RFC 3986 section 3.1) */
static int uri_ok(const char *s)
{
	while (s && *s) {
		const char *e = strchr(s, ','), *c = s;

		while (*c == ' ' || *c == '\t')
			c++;
		if ((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z') {
			for (c++; ((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z') ||
			     (*c >= '0' && *c <= '9') || *c == '+' ||
			     *c == '-' || *c == '.'; c++)
				;
			if (*c == ':' && c[1] && c[1] != ',' && c[1] != ' ')
				return 1;
		}
		s = e ? e + 1 : NULL;
	}
	return 0;
}

/* dmarc_record_parse - one TXT string */
enum dmarc_parse dmarc_record_parse(const unsigned char *p, size_t len,
				    struct arena *a, struct dmarc_record *r,
				    const char **why)
{
	struct tag_list tl;
	struct ms_error err;
	size_t i, k;
	int bad_sub = 0;

	memset(r, 0, sizeof(*r));
	r->adkim = r->aspf = 'r';
	r->psd = 'u';
	*why = NULL;
	/* cheap test first: most TXT strings at _dmarc names are DMARC,
	 * but the tag-list parser must not call a SPF record "bad" */
	for (i = 0; i < len && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	if (len - i < 8 || memcmp(p + i, "v", 1) != 0)
		return DMARC_REC_NOT;
	if (tagvalue_parse(p, len, &tl, &err) != MS_OK) {
		/* v=DMARC1 up front but the rest is not a tag-list */
		for (k = i + 1; k < len && (p[k] == ' ' || p[k] == '\t'); k++)
			;
		if (k < len && p[k] == '=') {
			for (k++; k < len && (p[k] == ' ' || p[k] == '\t'); k++)
				;
			if (len - k >= 6 && memcmp(p + k, "DMARC1", 6) == 0 &&
			    (len - k == 6 || p[k + 6] == ';' ||
			     p[k + 6] == ' ' || p[k + 6] == '\t')) {
				*why = arena_strdup(a, err.msg);
				return DMARC_REC_BAD;
			}
		}
		return DMARC_REC_NOT;
	}
	if (tl.count == 0 || tl.tags[0].name_len != 1 ||
	    tl.tags[0].name[0] != 'v' || !tagvalue_eq(&tl.tags[0], "DMARC1"))
		return DMARC_REC_NOT;
	for (i = 1; i < tl.count; i++) {
		const struct tag *t = &tl.tags[i];

		for (k = 0; k < sizeof(dmarc_tags) / sizeof(dmarc_tags[0]); k++) {
			if (strlen(dmarc_tags[k].name) != t->name_len ||
			    strncasecmp(dmarc_tags[k].name,
					(const char *)t->name, t->name_len))
				continue;
			if (dmarc_tags[k].fn(t, a, r))
				break;
			if (dmarc_tags[k].fn == tag_sp ||
			    dmarc_tags[k].fn == tag_np)
				bad_sub = 1;
			if (!r->note) {
				char *n = arena_alloc(a, t->name_len + 40);

				memcpy(n, "unusable value of ", 18);
				memcpy(n + 18, t->name, t->name_len);
				memcpy(n + 18 + t->name_len, "=, ignored", 11);
				r->note = n;
			}
			break;
		}
	}
	if (r->p == DMARC_P_UNSET || bad_sub) {
		/* section 4.10.1: monitoring when reports are asked for,
		 * else no DMARC at all */
		r->p = DMARC_P_NONE;
		r->sp = r->np = DMARC_P_UNSET;
		r->unusable = !uri_ok(r->rua);
	}
	return DMARC_REC_OK;
}

/* dmarc_policy_str - the policy's word */
const char *dmarc_policy_str(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_P_NONE:
		return "none";
	case DMARC_P_QUARANTINE:
		return "quarantine";
	case DMARC_P_REJECT:
		return "reject";
	default:
		return "";
	}
}
