/*
 * domainlist.c - lists of domains with the ".parent" subdomain rule.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dkim_sig.h"
#include "domainlist.h"
#include "xalloc.h"

#define DOMAINLIST_MAX_FILE (16 * 1024 * 1024)

struct domainlist {
	char **entries;
	size_t n;
	size_t cap;
};

/* dl_len - length without a trailing dot */
static size_t dl_len(const char *s)
{
	size_t n = strlen(s);

	return n && s[n - 1] == '.' ? n - 1 : n;
}

/* domain_match - does domain match the one entry pattern? */
int domain_match(const char *pattern, const char *domain)
{
	size_t pl = dl_len(pattern), dl = dl_len(domain);

	if (pl && pattern[0] == '.')    /* subdomains only */
		return dl > pl && strncasecmp(domain + dl - pl, pattern, pl) == 0;
	return pl == dl && strncasecmp(pattern, domain, pl) == 0;
}

static enum ms_status dl_add(struct domainlist *dl, const char *s, size_t n,
			     const char *origin, unsigned line,
			     struct ms_error *err)
{
	const char *d = s;
	size_t dn = n;

	if (dn && d[0] == '.') {
		d++;
		dn--;
	}
	if (dn && d[dn - 1] == '.')
		dn--;
	if (!dkim_domain_valid(d, dn))
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s:%u: \"%.*s\" is not a domain", origin,
				    line, (int)n, s);
	if (dl->n == dl->cap) {
		dl->cap = dl->cap ? dl->cap * 2 : 16;
		dl->entries = xrealloc(dl->entries, dl->cap * sizeof(char *));
	}
	dl->entries[dl->n++] = xstrndup(s, n);
	return MS_OK;
}

/* domainlist_parse - a list from text */
struct domainlist *domainlist_parse(const char *text, const char *origin,
				    struct ms_error *err)
{
	struct domainlist *dl = xcalloc(1, sizeof(*dl));
	const char *p = text;
	unsigned line = 1;

	while (*p) {
		size_t n;

		if (*p == '\n') {
			line++;
			p++;
			continue;
		}
		if (*p == '#') {
			p += strcspn(p, "\n");
			continue;
		}
		n = strcspn(p, " \t\r\n,#");
		if (n && dl_add(dl, p, n, origin, line, err) != MS_OK) {
			domainlist_free(dl);
			return NULL;
		}
		p += n;
		p += strspn(p, " \t\r,");
	}
	return dl;
}

/* domainlist_load - the value of a setting: inline list or /file */
struct domainlist *domainlist_load(const char *value, const char *setting,
				   struct ms_error *err)
{
	struct domainlist *dl = NULL;
	struct buf data;

	if (value[0] != '/')
		return domainlist_parse(value, setting, err);
	buf_init(&data, DOMAINLIST_MAX_FILE);
	if (buf_load_file(&data, value, err) == MS_OK) {
		if (memchr(buf_str(&data), 0, data.len))
			ms_error_set(err, MS_ERR_USAGE, "%s: NUL byte", value);
		else
			dl = domainlist_parse(buf_str(&data), value, err);
	}
	buf_free(&data);
	return dl;
}

/* domainlist_free - release it */
void domainlist_free(struct domainlist *dl)
{
	size_t i;

	if (!dl)
		return;
	for (i = 0; i < dl->n; i++)
		free(dl->entries[i]);
	free(dl->entries);
	free(dl);
}

/* domainlist_size - number of entries */
size_t domainlist_size(const struct domainlist *dl)
{
	return dl ? dl->n : 0;
}

/* domain_match_weight - how specific a match pattern is for domain:
 * 0 for none; an exact entry outweighs any subdomain entry, a longer
 * subdomain entry a shorter one */
size_t domain_match_weight(const char *pattern, const char *domain)
{
	if (!domain_match(pattern, domain))
		return 0;
	return dl_len(pattern) + (pattern[0] == '.' ? 0 : 1000);
}

/* domainlist_match - the most specific matching entry, or NULL */
const char *domainlist_match(const struct domainlist *dl, const char *domain)
{
	const char *best = NULL;
	size_t i, best_weight = 0;

	if (!dl)
		return NULL;
	for (i = 0; i < dl->n; i++) {
		size_t w = domain_match_weight(dl->entries[i], domain);

		if (w > best_weight) {
			best = dl->entries[i];
			best_weight = w;
		}
	}
	return best;
}
