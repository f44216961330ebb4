/*
 * keyrot.c - a key rotation's state file: read, written.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim_sig.h"
#include "keyrot.h"
#include "numparse.h"
#include "signtable.h"
#include "xalloc.h"

/* the lines of the file, each once but `key` */
enum kr_line { KR_DOMAIN, KR_STATE, KR_STARTED, KR_SINCE, KR_KEY, KR_NLINES };

static const struct {
	const char *name;
	size_t nfields;                 /* after the name */
} kr_lines[KR_NLINES] = {
	[KR_DOMAIN] = { "domain", 1 },
	[KR_STATE] = { "state", 1 },
	[KR_STARTED] = { "started", 1 },
	[KR_SINCE] = { "since", 1 },
	[KR_KEY] = { "key", 4 },
};

static const char *const kr_states[] = {
	[KEYROT_PUBLISH] = "publish",
	[KEYROT_GRACE] = "grace",
	[KEYROT_DONE] = "done",
};

/* keyrot_state_str - the state's name */
const char *keyrot_state_str(enum keyrot_state s)
{
	if (s >= KEYROT_PUBLISH && s <= KEYROT_DONE)
		return kr_states[s];
	return "?";
}

/* keyrot_free - release the strings */
void keyrot_free(struct keyrot *r)
{
	size_t i;

	for (i = 0; i < r->nkeys; i++) {
		free(r->key[i].old_selector);
		free(r->key[i].old_keyfile);
		free(r->key[i].new_selector);
		free(r->key[i].new_keyfile);
	}
	free(r->domain);
	memset(r, 0, sizeof(*r));
}

/* keyrot_add_key - one more pair */
enum ms_status keyrot_add_key(struct keyrot *r, const char *old_selector,
			      const char *old_keyfile,
			      const char *new_selector,
			      const char *new_keyfile)
{
	struct keyrot_key *k;

	if (r->nkeys == MS_MAX_SIGN_KEYS)
		return MS_ERR_LIMIT;
	k = &r->key[r->nkeys++];
	k->old_selector = old_selector ? xstrdup(old_selector) : NULL;
	k->old_keyfile = old_selector ? xstrdup(old_keyfile) : NULL;
	k->new_selector = xstrdup(new_selector);
	k->new_keyfile = xstrdup(new_keyfile);
	return MS_OK;
}

/* kr_is - does the field hold s exactly? */
static int kr_is(const struct signtable_field *f, const char *s)
{
	return f->len == strlen(s) && memcmp(f->p, s, f->len) == 0;
}

/* kr_name - a domain or selector field, copied; NULL when it is not one */
static char *kr_name(const struct signtable_field *f)
{
	return dkim_domain_valid(f->p, f->len) ? xstrndup(f->p, f->len) : NULL;
}

/* kr_key - a key line's four fields into r */
static enum ms_status kr_key(struct keyrot *r, const struct signtable_field *f,
			     const char *origin, unsigned lineno,
			     struct ms_error *err)
{
	int none = kr_is(&f[0], "-");
	char *os = NULL, *ns = NULL, *of = NULL, *nf = NULL;
	enum ms_status st = MS_ERR_SYNTAX;
	size_t i;

	if (none != kr_is(&f[1], "-")) {
		ms_error_set(err, st, "%s:%u: an old key is a selector and a "
			     "key file, or \"- -\" for none", origin, lineno);
		return st;
	}
	if ((!none && !(os = kr_name(&f[0]))) || !(ns = kr_name(&f[2]))) {
		ms_error_set(err, st, "%s:%u: bad selector", origin, lineno);
		goto out;
	}
	for (i = 0; i < r->nkeys; i++)
		if (strcasecmp(r->key[i].new_selector, ns) == 0) {
			ms_error_set(err, st, "%s:%u: new selector %s twice",
				     origin, lineno, ns);
			goto out;
		}
	if (!none)
		of = xstrndup(f[1].p, f[1].len);
	nf = xstrndup(f[3].p, f[3].len);
	st = keyrot_add_key(r, os, of, ns, nf);
	if (st != MS_OK)
		ms_error_set(err, st, "%s:%u: more than %d keys", origin, lineno,
			     MS_MAX_SIGN_KEYS);
out:
	free(os);
	free(ns);
	free(of);
	free(nf);
	return st;
}

/* kr_time - a Unix time */
static enum ms_status kr_time(const struct signtable_field *f, uint64_t *out,
			      const char *origin, unsigned lineno,
			      struct ms_error *err)
{
	if (num_parse_u64((const unsigned char *)f->p, f->len, UINT32_MAX * 4ull,
			  out) != MS_OK)
		return ms_error_set(err, MS_ERR_SYNTAX, "%s:%u: bad time "
				    "(seconds since 1970)", origin, lineno);
	return MS_OK;
}

/* kr_line - one line (len bytes) into r; seen counts each kind */
static enum ms_status kr_line(struct keyrot *r, const char *line, size_t len,
			      unsigned seen[KR_NLINES], const char *origin,
			      unsigned lineno, struct ms_error *err)
{
	struct signtable_field f[5];
	size_t nf = signtable_fields(line, len, f, 5), k, s;

	if (nf == 0)
		return MS_OK;
	for (k = 0; k < KR_NLINES; k++)
		if (kr_is(&f[0], kr_lines[k].name))
			break;
	if (k == KR_NLINES)
		return ms_error_set(err, MS_ERR_SYNTAX, "%s:%u: unknown line "
				    "\"%.*s\"", origin, lineno, (int)f[0].len,
				    f[0].p);
	if (nf != kr_lines[k].nfields + 1)
		return ms_error_set(err, MS_ERR_SYNTAX, "%s:%u: %s takes %zu "
				    "field%s", origin, lineno, kr_lines[k].name,
				    kr_lines[k].nfields,
				    kr_lines[k].nfields > 1 ? "s" : "");
	if (k != KR_KEY && seen[k]++)
		return ms_error_set(err, MS_ERR_SYNTAX, "%s:%u: a second %s line",
				    origin, lineno, kr_lines[k].name);
	switch (k) {
	case KR_DOMAIN:
		r->domain = kr_name(&f[1]);
		if (!r->domain)
			return ms_error_set(err, MS_ERR_SYNTAX, "%s:%u: bad domain",
					    origin, lineno);
		return MS_OK;
	case KR_STATE:
		for (s = KEYROT_PUBLISH; s <= KEYROT_DONE; s++)
			if (kr_is(&f[1], kr_states[s]))
				r->state = (enum keyrot_state)s;
		if (!r->state)
			return ms_error_set(err, MS_ERR_SYNTAX, "%s:%u: state is "
					    "publish, grace or done", origin,
					    lineno);
		return MS_OK;
	case KR_STARTED:
		return kr_time(&f[1], &r->started, origin, lineno, err);
	case KR_SINCE:
		return kr_time(&f[1], &r->since, origin, lineno, err);
	default:
		return kr_key(r, f + 1, origin, lineno, err);
	}
}

/* keyrot_parse - a state file into r */
enum ms_status keyrot_parse(const unsigned char *p, size_t len,
			    const char *origin, struct keyrot *r,
			    struct ms_error *err)
{
	const char *text = (const char *)p, *end = text + len;
	unsigned seen[KR_NLINES] = { 0 }, lineno = 0;
	size_t k;

	memset(r, 0, sizeof(*r));
	if (len > KEYROT_MAX_FILE)
		return ms_error_set(err, MS_ERR_LIMIT, "%s: longer than %d bytes",
				    origin, KEYROT_MAX_FILE);
	if (memchr(p, 0, len))
		return ms_error_set(err, MS_ERR_SYNTAX, "%s: NUL byte", origin);
	while (text < end) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		size_t n = nl ? (size_t)(nl - text) : (size_t)(end - text);

		lineno++;
		if (kr_line(r, text, n, seen, origin, lineno, err) != MS_OK)
			goto fail;
		text += n + (nl != NULL);
	}
	for (k = 0; k < KR_KEY; k++)
		if (!seen[k]) {
			ms_error_set(err, MS_ERR_SYNTAX, "%s: no %s line", origin,
				     kr_lines[k].name);
			goto fail;
		}
	if (r->nkeys == 0) {
		ms_error_set(err, MS_ERR_SYNTAX, "%s: no key line", origin);
		goto fail;
	}
	return MS_OK;
fail:
	keyrot_free(r);
	return err ? err->code : MS_ERR_SYNTAX;
}

/* keyrot_load - the state file at path */
enum ms_status keyrot_load(const char *path, struct keyrot *r,
			   struct ms_error *err)
{
	struct buf data;
	enum ms_status st;

	memset(r, 0, sizeof(*r));
	buf_init(&data, KEYROT_MAX_FILE);
	st = buf_load_file(&data, path, err);
	if (st == MS_OK)
		st = keyrot_parse(data.data, data.len, path, r, err);
	buf_free(&data);
	return st;
}

/* keyrot_format - r as a state file */
enum ms_status keyrot_format(const struct keyrot *r, struct buf *out)
{
	size_t i;

	buf_printf(out, "# mailseal key rotation of %s, written by `mailseal "
		   "key` (docs/keys.md)\n", r->domain);
	buf_printf(out, "domain %s\nstate %s\nstarted %llu\nsince %llu\n",
		   r->domain, keyrot_state_str(r->state),
		   (unsigned long long)r->started,
		   (unsigned long long)r->since);
	for (i = 0; i < r->nkeys; i++) {
		const struct keyrot_key *k = &r->key[i];

		if (buf_printf(out, "key %s %s %s %s\n",
			       k->old_selector ? k->old_selector : "-",
			       k->old_selector ? k->old_keyfile : "-",
			       k->new_selector, k->new_keyfile) != MS_OK)
			return MS_ERR_LIMIT;
	}
	return MS_OK;
}
