/*
 * keyfile.c - a key source read from a file of "NAME TXT-DATA" lines,
 * zone-file TXT lines accepted.
 *
 * The file is parsed once into (name, record) pairs sorted by name;
 * lookups are a binary search.  Parsing works on a copy owned by the
 * source and never writes into the caller's bytes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "keyfile.h"
#include "ms_limits.h"
#include "xalloc.h"

#define KEYFILE_TTL 86400        /* what a cache may assume of a file */

struct kf_entry {
	char *name;                     /* lower case, no trailing dot */
	unsigned char *rec;
	size_t rec_len;
};

struct keyfile {
	struct keysource base;          /* first: the source is a keyfile */
	struct kf_entry *entries;
	size_t n;
	size_t cap;
};

/* the scanner over the whole file */
struct kf_scan {
	const unsigned char *p;
	size_t len;
	size_t pos;
	unsigned line;
	const char *origin;
	struct ms_error *err;
};

static int kf_is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void kf_skip_blanks(struct kf_scan *s)
{
	while (s->pos < s->len && kf_is_blank(s->p[s->pos]))
		s->pos++;
}

static void kf_skip_line(struct kf_scan *s)
{
	while (s->pos < s->len && s->p[s->pos] != '\n')
		s->pos++;
}

/* kf_word - a bare word at pos; returns its length */
static size_t kf_word(struct kf_scan *s, const unsigned char **w)
{
	size_t start = s->pos;

	while (s->pos < s->len && !kf_is_blank(s->p[s->pos]) &&
	       s->p[s->pos] != '\n' && s->p[s->pos] != '"' &&
	       s->p[s->pos] != '(' && s->p[s->pos] != ')')
		s->pos++;
	*w = s->p + start;
	return s->pos - start;
}

static int kf_word_is(const unsigned char *w, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp((const char *)w, lit, n) == 0;
}

static int kf_all_digits(const unsigned char *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit(w[i]))
			return 0;
	return n > 0;
}

static enum ms_status kf_error(struct kf_scan *s, const char *what)
{
	return ms_error_set(s->err, MS_ERR_SYNTAX, "%s:%u: %s", s->origin,
			    s->line, what);
}

/* kf_quoted - a "..." string at pos (after the quote), appended to out */
static enum ms_status kf_quoted(struct kf_scan *s, struct buf *out)
{
	s->pos++;
	while (s->pos < s->len && s->p[s->pos] != '"') {
		unsigned char c = s->p[s->pos];

		if (c == '\n')
			return kf_error(s, "unterminated quoted string");
		if (c == '\\' && s->pos + 1 < s->len) {
			c = s->p[++s->pos];
			if (isdigit(c)) {
				unsigned v = 0, k;

				for (k = 0; k < 3; k++, s->pos++) {
					if (s->pos >= s->len || !isdigit(s->p[s->pos]))
						return kf_error(s, "bad \\DDD escape");
					v = v * 10 + (unsigned)(s->p[s->pos] - '0');
				}
				if (v > 255)
					return kf_error(s, "bad \\DDD escape");
				s->pos--;
				c = (unsigned char)v;
			}
		}
		if (buf_putc(out, c) != MS_OK)
			return kf_error(s, "key record too long");
		s->pos++;
	}
	if (s->pos >= s->len)
		return kf_error(s, "unterminated quoted string");
	s->pos++;
	return MS_OK;
}

static void kf_add(struct keyfile *kf, const unsigned char *name,
		   size_t name_len, const struct buf *rec)
{
	struct kf_entry *e;
	size_t i;

	if (kf->n == kf->cap) {
		kf->cap = kf->cap ? kf->cap * 2 : 16;
		kf->entries = xrealloc(kf->entries, kf->cap * sizeof(*e));
	}
	e = &kf->entries[kf->n++];
	if (name_len && name[name_len - 1] == '.')
		name_len--;
	e->name = xstrndup((const char *)name, name_len);
	for (i = 0; i < name_len; i++)
		e->name[i] = (char)tolower((unsigned char)e->name[i]);
	e->rec = (unsigned char *)xstrndup(buf_str(rec), rec->len);
	e->rec_len = rec->len;
}

/* kf_record - one record starting at pos (at a name) */
static enum ms_status kf_record(struct kf_scan *s, struct keyfile *kf)
{
	const unsigned char *name, *w;
	size_t name_len, n, save;
	struct buf rec;
	enum ms_status st = MS_OK;
	int paren = 0, quoted = 0;

	name_len = kf_word(s, &name);
	if (name_len == 0)
		return kf_error(s, "expected a key name");
	if (name_len > MS_MAX_DOMAIN + 1)
		return kf_error(s, "key name too long");
	/* optional zone-file fields: TTL, class, type */
	for (;;) {
		kf_skip_blanks(s);
		save = s->pos;
		n = kf_word(s, &w);
		if (n && (kf_all_digits(w, n) || kf_word_is(w, n, "IN") ||
			  kf_word_is(w, n, "TXT")))
			continue;
		s->pos = save;
		break;
	}
	buf_init(&rec, MS_MAX_KEY_RECORD);
	if (s->pos < s->len && (s->p[s->pos] == '"' || s->p[s->pos] == '(')) {
		/* zone-file strings, maybe in parentheses over lines */
		for (;;) {
			kf_skip_blanks(s);
			if (s->pos >= s->len)
				break;
			if (s->p[s->pos] == '\n') {
				if (!paren)
					break;
				s->line++;
				s->pos++;
				continue;
			}
			if (s->p[s->pos] == ';' || s->p[s->pos] == '#') {
				kf_skip_line(s);
				continue;
			}
			if (s->p[s->pos] == '(') {
				if (paren++)
					goto bad_paren;
				s->pos++;
			} else if (s->p[s->pos] == ')') {
				if (!paren--)
					goto bad_paren;
				s->pos++;
			} else if (s->p[s->pos] == '"') {
				st = kf_quoted(s, &rec);
				if (st != MS_OK)
					goto out;
				quoted = 1;
			} else {
				st = kf_error(s, "text outside quotes");
				goto out;
			}
		}
		if (paren) {
			st = kf_error(s, "unclosed parenthesis");
			goto out;
		}
		if (!quoted) {
			st = kf_error(s, "no quoted string");
			goto out;
		}
	} else {
		/* bare text to the end of the line or a '#' comment */
		size_t start = s->pos, end;

		while (s->pos < s->len && s->p[s->pos] != '\n' &&
		       s->p[s->pos] != '#')
			s->pos++;
		end = s->pos;
		while (end > start && kf_is_blank(s->p[end - 1]))
			end--;
		if (end == start) {
			st = kf_error(s, "no record data after the name");
			goto out;
		}
		if (buf_append(&rec, s->p + start, end - start) != MS_OK) {
			st = kf_error(s, "key record too long");
			goto out;
		}
		kf_skip_line(s);
	}
	kf_add(kf, name, name_len, &rec);
out:
	buf_free(&rec);
	return st;
bad_paren:
	st = kf_error(s, "unbalanced parenthesis");
	goto out;
}

static int kf_cmp(const void *a, const void *b)
{
	const struct kf_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void kf_destroy(struct keysource *ks)
{
	struct keyfile *kf = (struct keyfile *)ks;
	size_t i;

	for (i = 0; i < kf->n; i++) {
		free(kf->entries[i].name);
		free(kf->entries[i].rec);
	}
	free(kf->entries);
	free(kf);
}

static void kf_lookup(struct keysource *ks, const char *name,
		      uint64_t deadline_ms, struct arena *arena,
		      struct key_answer *ans)
{
	struct keyfile *kf = (struct keyfile *)ks;
	char key[MS_MAX_DOMAIN + 2];
	size_t n = strlen(name), i, lo = 0, hi = kf->n;

	if (n && name[n - 1] == '.')
		n--;
	if (n > MS_MAX_DOMAIN + 1) {
		ans->status = KEY_NOTFOUND;
		ans->reason = "name too long";
		return;
	}
	for (i = 0; i < n; i++)
		key[i] = (char)tolower((unsigned char)name[i]);
	key[n] = 0;
	while (lo < hi) {               /* first entry not below key */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(kf->entries[mid].name, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < kf->n && strcmp(kf->entries[i].name, key) == 0; i++) {
		if (ans->nrecords == MS_MAX_KEY_RECORDS)
			break;
		ans->records[ans->nrecords] = (unsigned char *)
			arena_memdup(arena, kf->entries[i].rec,
				     kf->entries[i].rec_len);
		ans->record_len[ans->nrecords++] = kf->entries[i].rec_len;
	}
	if (ans->nrecords == 0) {
		ans->status = KEY_NOTFOUND;
		ans->reason = "no key for signature in the key file";
		return;
	}
	ans->status = KEY_FOUND;
	ans->ttl = KEYFILE_TTL;
	ans->dnssec = 0;
}

static const struct keysource_ops kf_ops = {
	.lookup = kf_lookup,
	.destroy = kf_destroy,
};

/* keyfile_parse - parse file contents */
struct keysource *keyfile_parse(const unsigned char *p, size_t len,
				const char *origin, struct ms_error *err)
{
	struct keyfile *kf = xcalloc(1, sizeof(*kf));
	struct kf_scan s = {
		.p = p, .len = len, .pos = 0, .line = 1,
		.origin = origin, .err = err,
	};

	kf->base.ops = &kf_ops;
	while (s.pos < s.len) {
		kf_skip_blanks(&s);
		if (s.pos >= s.len)
			break;
		if (s.p[s.pos] == '\n') {
			s.pos++;
			s.line++;
			continue;
		}
		if (s.p[s.pos] == '#' || s.p[s.pos] == ';') {
			kf_skip_line(&s);
			continue;
		}
		if (kf_record(&s, kf) != MS_OK) {
			kf_destroy(&kf->base);
			return NULL;
		}
	}
	if (kf->n > 1)
		qsort(kf->entries, kf->n, sizeof(*kf->entries), kf_cmp);
	return &kf->base;
}

/* keyfile_open - read and parse path */
struct keysource *keyfile_open(const char *path, struct ms_error *err)
{
	struct keysource *ks = NULL;
	struct buf data;

	buf_init(&data, 64 * 1024 * 1024);
	if (buf_load_file(&data, path, err) == MS_OK)
		ks = keyfile_parse((const unsigned char *)buf_str(&data),
				   data.len, path, err);
	buf_free(&data);
	return ks;
}
