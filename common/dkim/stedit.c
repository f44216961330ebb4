/*
 * stedit.c - the signing table's text, line by line, edited.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stedit.h"
#include "xalloc.h"

struct stedit {
	char **line;                    /* without the newline, owned */
	size_t n, cap;
};

/* se_insert - a new line at index i (owned by the editor now) */
static void se_insert(struct stedit *e, size_t i, char *text)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 16;
		e->line = xrealloc(e->line, e->cap * sizeof(*e->line));
	}
	memmove(e->line + i + 1, e->line + i, (e->n - i) * sizeof(*e->line));
	e->line[i] = text;
	e->n++;
}

/* stedit_new - an editor over a copy of text */
struct stedit *stedit_new(const char *text)
{
	struct stedit *e = xcalloc(1, sizeof(*e));
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		se_insert(e, e->n, xstrndup(p, len));
		p += len + (nl != NULL);
	}
	return e;
}

/* stedit_free - release it */
void stedit_free(struct stedit *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->n; i++)
		free(e->line[i]);
	free(e->line);
	free(e);
}

/* se_eq - does the field hold s (case-insensitive or exact)? */
static int se_eq(const struct signtable_field *f, const char *s, int nocase)
{
	size_t n = strlen(s);

	if (f->len != n)
		return 0;
	return nocase ? strncasecmp(f->p, s, n) == 0 : memcmp(f->p, s, n) == 0;
}

/* se_fields - the three fields of line i, and is its signing domain
 * domain (NULL: any)?  0 for a line of another domain, a comment, or a
 * line that is not three fields */
static int se_fields(const struct stedit *e, size_t i, const char *domain,
		     struct signtable_field f[3])
{
	struct signtable_field d;

	if (signtable_fields(e->line[i], strlen(e->line[i]), f, 3) != 3)
		return 0;
	d = f[0];
	if (d.len > 0 && d.p[0] == '.') {
		d.p++;
		d.len--;
	}
	return !domain || se_eq(&d, domain, 1);
}

/* se_is - is line i of domain, with selector and keyfile? */
static int se_is(const struct stedit *e, size_t i, const char *domain,
		 const char *selector, const char *keyfile)
{
	struct signtable_field f[3];

	return se_fields(e, i, domain, f) && se_eq(&f[1], selector, 1) &&
	       se_eq(&f[2], keyfile, 0);
}

/* stedit_keys - the distinct keys of domain's lines */
size_t stedit_keys(const struct stedit *e, const char *domain,
		   struct stedit_key *out, size_t max)
{
	size_t i, k, n = 0;

	for (i = 0; i < e->n; i++) {
		struct signtable_field f[3];
		int seen = 0;

		if (!se_fields(e, i, domain, f))
			continue;
		for (k = 0; k < n && k < max; k++)
			if (out[k].selector.len == f[1].len &&
			    strncasecmp(out[k].selector.p, f[1].p, f[1].len) == 0 &&
			    out[k].keyfile.len == f[2].len &&
			    memcmp(out[k].keyfile.p, f[2].p, f[2].len) == 0)
				seen = 1;
		if (seen)
			continue;
		if (n < max) {
			out[n].selector = f[1];
			out[n].keyfile = f[2];
		}
		n++;
	}
	return n;
}

/* stedit_count - the lines of domain with selector and keyfile */
size_t stedit_count(const struct stedit *e, const char *domain,
		    const char *selector, const char *keyfile)
{
	size_t i, n = 0;

	for (i = 0; i < e->n; i++)
		n += se_is(e, i, domain, selector, keyfile);
	return n;
}

/* stedit_uses - the lines that name keyfile */
size_t stedit_uses(const struct stedit *e, const char *keyfile)
{
	struct signtable_field f[3];
	size_t i, n = 0;

	for (i = 0; i < e->n; i++)
		if (signtable_fields(e->line[i], strlen(e->line[i]), f, 3) == 3 &&
		    se_eq(&f[2], keyfile, 0))
			n++;
	return n;
}

/* se_line - "PATTERN SELECTOR KEYFILE" */
static char *se_line(const char *pattern, size_t plen, const char *selector,
		     const char *keyfile)
{
	size_t n = plen + strlen(selector) + strlen(keyfile) + 3;
	char *s = xmalloc(n);

	memcpy(s, pattern, plen);
	s[plen] = ' ';
	strcpy(s + plen + 1, selector);
	strcat(s, " ");
	strcat(s, keyfile);
	return s;
}

/* se_has - is there a line with this DOMAIN field (as written, but
 * for case), selector and keyfile? */
static int se_has(const struct stedit *e, const struct signtable_field *pattern,
		  const char *selector, const char *keyfile)
{
	struct signtable_field f[3];
	size_t i;

	for (i = 0; i < e->n; i++)
		if (signtable_fields(e->line[i], strlen(e->line[i]), f, 3) == 3 &&
		    f[0].len == pattern->len &&
		    strncasecmp(f[0].p, pattern->p, f[0].len) == 0 &&
		    se_eq(&f[1], selector, 1) && se_eq(&f[2], keyfile, 0))
			return 1;
	return 0;
}

/* stedit_add - the new key's lines beside the old key's */
size_t stedit_add(struct stedit *e, const char *domain,
		  const char *old_selector, const char *old_keyfile,
		  const char *new_selector, const char *new_keyfile)
{
	struct signtable_field f[3];
	size_t i, added = 0;

	if (!old_selector) {
		f[0].p = domain;
		f[0].len = strlen(domain);
		if (se_has(e, &f[0], new_selector, new_keyfile))
			return 0;
		se_insert(e, e->n, se_line(domain, f[0].len, new_selector,
					   new_keyfile));
		return 1;
	}
	for (i = 0; i < e->n; i++) {
		if (!se_is(e, i, domain, old_selector, old_keyfile))
			continue;
		signtable_fields(e->line[i], strlen(e->line[i]), f, 3);
		if (se_has(e, &f[0], new_selector, new_keyfile))
			continue;       /* added by an earlier run */
		se_insert(e, i + 1, se_line(f[0].p, f[0].len, new_selector,
					    new_keyfile));
		added++;
		i++;                    /* past the line just added */
	}
	return added;
}

/* stedit_drop - remove the lines of a key */
size_t stedit_drop(struct stedit *e, const char *domain, const char *selector,
		   const char *keyfile)
{
	size_t i = 0, n = 0;

	while (i < e->n) {
		if (!se_is(e, i, domain, selector, keyfile)) {
			i++;
			continue;
		}
		free(e->line[i]);
		memmove(e->line + i, e->line + i + 1,
			(e->n - i - 1) * sizeof(*e->line));
		e->n--;
		n++;
	}
	return n;
}

/* stedit_text - the table now */
enum ms_status stedit_text(const struct stedit *e, struct buf *out)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (buf_puts(out, e->line[i]) != MS_OK ||
		    buf_putc(out, '\n') != MS_OK)
			return MS_ERR_LIMIT;
	return MS_OK;
}
