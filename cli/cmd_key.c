/*
 * cmd_key.c - mailseal key: rotate a domain's keys (docs/keys.md).
 *
 *   mailseal key rotate -d DOMAIN [-t rsa|ed25519]... [-b BITS]
 *   mailseal key step [-d DOMAIN] [-q]
 *   mailseal key status [-d DOMAIN]
 *   mailseal key abort -d DOMAIN
 *
 * This file: the commands, and the files a rotation keeps; keystep.c
 * moves a rotation on (key.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "buf.h"
#include "crypto.h"
#include "key.h"
#include "ms_limits.h"
#include "numparse.h"
#include "signtable.h"
#include "xalloc.h"

#define KEY_STATE "rotation"

/* key_path - KEY_DIR/DOMAIN/NAME */
char *key_path(const struct ms_config *cfg, const char *domain,
	       const char *name)
{
	size_t n = strlen(cfg->key_dir) + strlen(domain) +
		   (name ? strlen(name) : 0) + 3;
	char *s = xmalloc(n);

	snprintf(s, n, "%s/%s%s%s", cfg->key_dir, domain, name ? "/" : "",
		 name ? name : "");
	return s;
}

/* key_when - t as a UTC date and time */
const char *key_when(uint64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, size, "%llu", (unsigned long long)t);
	return buf;
}

/* key_say - "DOMAIN: ..." */
void key_say(const struct keyrot *r, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", r->domain);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* key_table_load - an editor over the signing table */
int key_table_load(const struct ms_config *cfg, struct stedit **e)
{
	struct ms_error err;
	struct buf text;

	buf_init(&text, SIGNTABLE_MAX_FILE);
	if (buf_load_file(&text, cfg->signing_table, &err) != MS_OK) {
		cli_error("%s", err.msg);
		buf_free(&text);
		return CLI_IO;
	}
	if (memchr(text.data, 0, text.len)) {
		cli_error("%s: NUL byte", cfg->signing_table);
		buf_free(&text);
		return CLI_IO;
	}
	*e = stedit_new(buf_str(&text));
	buf_free(&text);
	return CLI_OK;
}

/* key_table_write - check the edited table, then replace it */
int key_table_write(const struct ms_config *cfg, const struct stedit *e)
{
	struct signtable *st;
	struct ms_error err;
	struct buf text;
	int rc = CLI_IO;

	buf_init(&text, SIGNTABLE_MAX_FILE);
	if (stedit_text(e, &text) != MS_OK) {
		cli_error("%s: the edited table would pass %d bytes",
			  cfg->signing_table, SIGNTABLE_MAX_FILE);
		goto out;
	}
	/* what the MTAs will load must load: every line, every key */
	st = signtable_parse(buf_str(&text), cfg->signing_table, &err);
	if (!st) {
		cli_error("the signing table as it would be: %s; left unchanged",
			  err.msg);
		goto out;
	}
	signtable_free(st);
	if (atomicfile_replace(cfg->signing_table, text.data, text.len, 0644,
			       &err) != MS_OK) {
		cli_error("%s; left unchanged", err.msg);
		goto out;
	}
	rc = CLI_OK;
out:
	buf_free(&text);
	return rc;
}

/* key_state_write - the state file, replaced atomically */
int key_state_write(const struct ms_config *cfg, const struct keyrot *r)
{
	char *path = key_path(cfg, r->domain, KEY_STATE);
	struct ms_error err;
	struct buf text;
	int rc = CLI_OK;

	buf_init(&text, KEYROT_MAX_FILE);
	if (keyrot_format(r, &text) != MS_OK ||
	    atomicfile_replace(path, text.data, text.len, 0644, &err) != MS_OK) {
		cli_error("%s", text.len >= KEYROT_MAX_FILE ?
			  "the rotation's state is too large" : err.msg);
		rc = CLI_IO;
	}
	buf_free(&text);
	free(path);
	return rc;
}

/* key_check - a key's record in DNS */
int key_check(struct keyrun *k, const char *domain, const char *selector,
	      const char *keyfile, struct keycheck *kc)
{
	struct ms_error err;
	EVP_PKEY *pkey = NULL;

	if (crypto_load_private_pem(keyfile, &pkey, &err) != MS_OK) {
		cli_error("%s", err.msg);
		return CLI_IO;
	}
	if (!k->ks)
		k->ks = cli_key_dns(k->cfg);
	keycheck_lookup(k->ks, domain, selector, pkey, kc);
	crypto_pkey_free(pkey);
	return CLI_OK;
}

/* key_lock - KEY_DIR/.lock held: one key command at a time; -1 when
 * it cannot be (said) */
static int key_lock(const struct ms_config *cfg)
{
	char *path;
	int fd;

	if (cli_mkdirs(cfg->key_dir, 0755) != CLI_OK)
		return -1;
	path = key_path(cfg, ".lock", NULL);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		cli_error("%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

/* key_domain - -d's value, checked, in lower case (the directory's
 * name); NULL when it is not a domain (said) */
static char *key_domain(const char *s)
{
	char *d;
	size_t i;

	if (!dkim_domain_valid(s, strlen(s)) || strchr(s, '_')) {
		cli_error("key: \"%s\" is not a domain", s);
		return NULL;
	}
	d = xstrdup(s);
	for (i = 0; d[i]; i++)
		d[i] = (char)tolower((unsigned char)d[i]);
	return d;
}

/* key_load_state - the rotation of domain; CLI_OK, CLI_LATER when
 * there is none (nothing said), or an error said */
static int key_load_state(const struct ms_config *cfg, const char *domain,
			  struct keyrot *r)
{
	char *path = key_path(cfg, domain, KEY_STATE);
	struct ms_error err;
	int rc = CLI_OK;

	if (access(path, F_OK) != 0 && errno == ENOENT) {
		rc = CLI_LATER;
	} else if (keyrot_load(path, r, &err) != MS_OK) {
		cli_error("%s", err.msg);
		rc = CLI_IO;
	} else if (strcmp(r->domain, domain) != 0) {
		cli_error("%s: the rotation of %s, not of %s", path, r->domain,
			  domain);
		keyrot_free(r);
		rc = CLI_IO;
	}
	free(path);
	return rc;
}

/* key_domains - the domains with a rotation state in KEY_DIR, sorted;
 * *n of them (a missing KEY_DIR has none) */
static char **key_domains(const struct ms_config *cfg, size_t *n)
{
	struct dirent **list = NULL;
	char **out;
	int i, k;

	*n = 0;
	k = scandir(cfg->key_dir, &list, NULL, alphasort);
	if (k < 0)
		return NULL;
	out = xcalloc((size_t)k + 1, sizeof(*out));
	for (i = 0; i < k; i++) {
		char *path = key_path(cfg, list[i]->d_name, KEY_STATE);

		if (list[i]->d_name[0] != '.' && access(path, F_OK) == 0)
			out[(*n)++] = xstrdup(list[i]->d_name);
		free(path);
		free(list[i]);
	}
	free(list);
	return out;
}

/* ---- key rotate ---- */

/* a key to make: the type, size and old key it replaces */
struct key_plan {
	enum dkim_alg alg;
	unsigned bits;
	char *old_selector;             /* NULL: a key of its own */
	char *old_keyfile;
	char selector[MS_MAX_DOMAIN + 1];
	struct cli_newkey made;
};

static const char *key_type(enum dkim_alg alg)
{
	return alg == DKIM_ALG_ED25519_SHA256 ? "ed25519" : "rsa";
}

/* key_taken - is selector used: a file of it in dir, a line of the
 * domain in the table, or another key of the plan? */
static int key_taken(const char *selector, const char *dir,
		     const struct stedit_key *have, size_t nhave,
		     const struct key_plan *plan, size_t nplan)
{
	size_t i, n = strlen(selector), len = strlen(dir) + n + 16;
	char *path;
	int taken;

	for (i = 0; i < nhave; i++)
		if (have[i].selector.len == n &&
		    strncasecmp(have[i].selector.p, selector, n) == 0)
			return 1;
	for (i = 0; i < nplan; i++)
		if (strcasecmp(plan[i].selector, selector) == 0)
			return 1;
	path = xmalloc(len);
	snprintf(path, len, "%s/%s.private", dir, selector);
	taken = access(path, F_OK) == 0;
	snprintf(path, len, "%s/%s.txt", dir, selector);
	taken |= access(path, F_OK) == 0;
	free(path);
	return taken;
}

/* key_name - the plan's selector: DATE-TYPE, then -2, -3 ... */
static void key_name(struct key_plan *p, const char *date, const char *dir,
		     const struct stedit_key *have, size_t nhave,
		     const struct key_plan *plan, size_t nplan)
{
	unsigned i;

	snprintf(p->selector, sizeof(p->selector), "%s-%s", date,
		 key_type(p->alg));
	for (i = 2; key_taken(p->selector, dir, have, nhave, plan, nplan); i++)
		snprintf(p->selector, sizeof(p->selector), "%s-%s-%u", date,
			 key_type(p->alg), i);
}

/* key_like - the new key file gets the owner, group and mode (less
 * any right of others) of like (the key it replaces, or the table's
 * first key): the MTA reads it as it reads that one */
static int key_like(const char *path, const char *like)
{
	struct stat st;

	if (!like || stat(like, &st) != 0)
		return CLI_OK;          /* mode 0600, ours: said at the end */
	if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    chown(path, st.st_uid, st.st_gid) != 0) {
		cli_error("%s: cannot give it the owner and group of %s (uid %ld, "
			  "gid %ld): %s; run as root or as its owner", path, like,
			  (long)st.st_uid, (long)st.st_gid, strerror(errno));
		return CLI_IO;
	}
	if (chmod(path, st.st_mode & 0770) != 0) {
		cli_error("%s: %s", path, strerror(errno));
		return CLI_IO;
	}
	return CLI_OK;
}

/* key_plan_make - from -t's types and the domain's keys, what to make */
static int key_plan_make(const char *domain, const struct stedit_key *have,
			 size_t nhave, const enum dkim_alg *types,
			 size_t ntypes, unsigned bits, struct key_plan *plan,
			 size_t *nplan)
{
	size_t i, t;

	*nplan = 0;
	for (i = 0; i < nhave; i++) {
		char *file = xstrndup(have[i].keyfile.p, have[i].keyfile.len);
		struct ms_error err;
		EVP_PKEY *pkey = NULL;
		enum dkim_alg alg;

		if (crypto_load_private_pem(file, &pkey, &err) != MS_OK) {
			cli_error("%s", err.msg);
			free(file);
			return CLI_IO;
		}
		alg = crypto_key_alg(pkey);
		for (t = 0; t < ntypes && types[t] != alg; t++)
			;
		if (ntypes == 0 || t < ntypes) {
			struct key_plan *p = &plan[(*nplan)++];

			p->alg = alg;
			p->bits = bits ? bits : crypto_key_bits(pkey);
			p->old_selector = xstrndup(have[i].selector.p,
						   have[i].selector.len);
			p->old_keyfile = file;
			file = NULL;
		}
		free(file);
		crypto_pkey_free(pkey);
	}
	for (t = 0; t < ntypes; t++) {          /* a type the domain lacks */
		for (i = 0; i < *nplan && plan[i].alg != types[t]; i++)
			;
		if (i < *nplan || *nplan == MS_MAX_SIGN_KEYS)
			continue;
		plan[*nplan].alg = types[t];
		plan[*nplan].bits = bits ? bits : MS_DEFAULT_RSA_BITS;
		(*nplan)++;
	}
	if (*nplan == 0) {
		cli_error("key rotate: %s has no %sline in the signing table: "
			  "name the type of its first key with -t", domain,
			  ntypes ? "such " : "");
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* key_path_ok - can the table hold path as a KEYFILE field? */
static int key_path_ok(const char *path)
{
	if (strpbrk(path, " \t\r\n#")) {
		cli_error("key_dir %s: a path with a blank or '#' cannot be "
			  "written in the signing table", path);
		return 0;
	}
	return 1;
}

/* key_rotate_said - keys made, state written: say what to publish */
static void key_rotate_said(const struct keyrot *r, const struct key_plan *plan,
			    size_t n, const char *dir, int owned)
{
	size_t i;

	printf("; %s: rotation started; the new keys are in %s\n", r->domain, dir);
	if (owned)
		printf("; they are mode 0600, yours: give them to the user the "
		       "MTA runs as\n");
	printf("; publish these records in the %s zone, then run\n"
	       ";     mailseal key step -d %s\n"
	       "; (or let cron run `mailseal key step -q`): the new keys sign "
	       "only once DNS\n; publishes them", r->domain, r->domain);
	for (i = 0; i < n && !plan[i].old_selector; i++)
		;
	if (i < n)
		printf(", and the old ones keep signing until then");
	printf(".\n");
	for (i = 0; i < n; i++)
		printf("%s\n", plan[i].made.zone_line);
}

static int key_rotate(struct keyrun *k, const char *domain,
		      const enum dkim_alg *types, size_t ntypes, unsigned bits)
{
	struct key_plan plan[MS_MAX_SIGN_KEYS];
	struct stedit_key have[MS_MAX_SIGN_KEYS], any;
	struct stedit *e = NULL;
	struct keyrot r;
	char date[16], *dir = NULL, *like = NULL;
	size_t nhave, nplan = 0, i;
	struct tm tm;
	time_t now = (time_t)k->now;
	int rc, owned = 0;

	memset(plan, 0, sizeof(plan));
	memset(&r, 0, sizeof(r));
	rc = key_load_state(k->cfg, domain, &r);
	if (rc == CLI_OK && r.state != KEYROT_DONE) {
		char when[40];

		cli_error("key rotate: a rotation of %s is under way (%s since %s): "
			  "`mailseal key step -d %s` moves it on, `mailseal key "
			  "abort -d %s` drops it", domain, keyrot_state_str(r.state),
			  key_when(r.since, when, sizeof(when)), domain, domain);
		keyrot_free(&r);
		return CLI_IO;
	}
	keyrot_free(&r);
	if (rc == CLI_IO)
		return rc;
	rc = key_table_load(k->cfg, &e);
	if (rc != CLI_OK)
		return rc;
	nhave = stedit_keys(e, domain, have, MS_MAX_SIGN_KEYS);
	if (nhave > MS_MAX_SIGN_KEYS) {
		cli_error("key rotate: %s has more than %d keys", domain,
			  MS_MAX_SIGN_KEYS);
		rc = CLI_IO;
		goto out;
	}
	rc = key_plan_make(domain, have, nhave, types, ntypes, bits, plan, &nplan);
	if (rc != CLI_OK)
		goto out;
	dir = key_path(k->cfg, domain, NULL);
	if (!key_path_ok(dir)) {
		rc = CLI_USAGE;
		goto out;
	}
	rc = cli_mkdirs(dir, 0755);
	if (rc != CLI_OK)
		goto out;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y%m%d", &tm);
	r.domain = xstrdup(domain);
	r.state = KEYROT_PUBLISH;
	r.started = r.since = k->now;
	/* a key of its own takes after the table's first key */
	if (stedit_keys(e, NULL, &any, 1) > 0)
		like = xstrndup(any.keyfile.p, any.keyfile.len);
	for (i = 0; rc == CLI_OK && i < nplan; i++) {
		struct key_plan *p = &plan[i];
		const char *model = p->old_keyfile ? p->old_keyfile : like;

		owned |= model == NULL;
		key_name(p, date, dir, have, nhave, plan, i);
		rc = cli_key_make(domain, p->selector, p->alg, p->bits, dir,
				  &p->made);
		if (rc == CLI_OK)
			rc = key_like(p->made.priv_path, model);
		if (rc == CLI_OK)
			keyrot_add_key(&r, p->old_selector, p->old_keyfile,
				       p->selector, p->made.priv_path);
	}
	if (rc == CLI_OK)
		rc = key_state_write(k->cfg, &r);
	if (rc == CLI_OK)
		key_rotate_said(&r, plan, nplan, dir, owned);
	for (i = 0; rc != CLI_OK && i < nplan; i++)     /* nothing left */
		if (plan[i].made.priv_path) {
			unlink(plan[i].made.priv_path);
			unlink(plan[i].made.txt_path);
		}
out:
	for (i = 0; i < nplan; i++) {
		free(plan[i].old_selector);
		free(plan[i].old_keyfile);
		cli_newkey_free(&plan[i].made);
	}
	keyrot_free(&r);
	stedit_free(e);
	free(dir);
	free(like);
	return rc;
}

/* ---- key status, key abort ---- */

static int key_status(struct keyrun *k, struct keyrot *r)
{
	char since[40], until[40];
	size_t i;

	switch (r->state) {
	case KEYROT_PUBLISH:
		key_say(r, "publish: new keys made %s, waiting for DNS to "
			"publish them (`mailseal key step`)",
			key_when(r->since, since, sizeof(since)));
		break;
	case KEYROT_GRACE:
		key_say(r, "grace: old and new keys sign since %s, the old ones "
			"until %s", key_when(r->since, since, sizeof(since)),
			key_when(r->since + k->cfg->key_grace, until,
				 sizeof(until)));
		break;
	case KEYROT_DONE:
		key_say(r, "done: the old keys no longer sign since %s",
			key_when(r->since, since, sizeof(since)));
		break;
	}
	for (i = 0; i < r->nkeys; i++)
		key_say(r, "  %s -> %s (%s)", r->key[i].old_selector ?
			r->key[i].old_selector : "(none)", r->key[i].new_selector,
			r->key[i].new_keyfile);
	return CLI_OK;
}

static int key_abort(struct keyrun *k, struct keyrot *r)
{
	struct stedit *e = NULL;
	char *path;
	size_t i, dropped = 0;
	int rc;

	if (r->state == KEYROT_DONE) {
		cli_error("key abort: the rotation of %s is done: nothing to "
			  "abort", r->domain);
		return CLI_IO;
	}
	rc = key_table_load(k->cfg, &e);
	for (i = 0; rc == CLI_OK && i < r->nkeys; i++)
		dropped += stedit_drop(e, r->domain, r->key[i].new_selector,
				       r->key[i].new_keyfile);
	if (rc == CLI_OK && dropped)
		rc = key_table_write(k->cfg, e);
	stedit_free(e);
	if (rc != CLI_OK)
		return rc;
	path = key_path(k->cfg, r->domain, KEY_STATE);
	if (unlink(path) != 0) {
		cli_error("%s: %s", path, strerror(errno));
		rc = CLI_IO;
	}
	free(path);
	key_say(r, "rotation aborted%s; the old keys sign as before", dropped ?
		" and the new keys dropped from the signing table" : "");
	for (i = 0; rc == CLI_OK && i < r->nkeys; i++) {
		char *txt = xstrdup(r->key[i].new_keyfile), *dot;

		unlink(r->key[i].new_keyfile);
		dot = strrchr(txt, '.');
		if (dot && strcmp(dot, ".private") == 0) {
			strcpy(dot, ".txt");
			unlink(txt);
		}
		free(txt);
		key_say(r, "%s._domainkey.%s can go from DNS; its key %s is "
			"removed", r->key[i].new_selector, r->domain,
			r->key[i].new_keyfile);
	}
	return rc;
}

/* ---- the command ---- */

static void key_usage(void)
{
	cli_error("key: rotate -d DOMAIN [-t rsa|ed25519]... [-b BITS], "
		  "step [-d DOMAIN] [-q], status [-d DOMAIN], abort -d DOMAIN");
}

/* key_each - fn over the rotation of domain, or of every domain with
 * one; the worst exit status */
static int key_each(struct keyrun *k, const char *domain, int must,
		    int (*fn)(struct keyrun *, struct keyrot *))
{
	char **list = NULL;
	size_t n = 0, i;
	int rc = CLI_OK;

	if (domain) {
		list = xcalloc(2, sizeof(*list));
		list[0] = xstrdup(domain);
		n = 1;
	} else {
		list = key_domains(k->cfg, &n);
	}
	for (i = 0; i < n; i++) {
		struct keyrot r;
		int one = key_load_state(k->cfg, list[i], &r);

		if (one == CLI_LATER) {
			if (must) {
				cli_error("key: no rotation of %s (`mailseal key "
					  "rotate -d %s` starts one)", list[i],
					  list[i]);
				one = CLI_IO;
			} else {
				one = CLI_OK;
			}
		} else if (one == CLI_OK) {
			one = fn(k, &r);
			keyrot_free(&r);
		}
		rc = cli_worse(rc, one);
		fflush(stdout);
	}
	if (n == 0 && !k->quiet && !domain)
		printf("no key rotation under way in %s\n", k->cfg->key_dir);
	for (i = 0; list && i < n; i++)
		free(list[i]);
	free(list);
	return rc;
}

int cmd_key(const struct ms_config *cfg, int argc, char **argv)
{
	struct keyrun k = { .cfg = cfg, .now = (uint64_t)time(NULL) };
	enum dkim_alg types[2];
	const char *sub, *dom = NULL;
	char *domain = NULL;
	size_t ntypes = 0;
	uint64_t bits = 0;
	int i, fd, rc;

	if (argc < 2) {
		key_usage();
		return CLI_USAGE;
	}
	sub = argv[1];
	for (i = 2; i < argc; i++) {
		const char *o = argv[i];

		if (strcmp(o, "-q") == 0 && strcmp(sub, "step") == 0) {
			k.quiet = 1;
			continue;
		}
		if (i + 1 >= argc) {
			cli_error("key %s: option %s needs a value", sub, o);
			return CLI_USAGE;
		}
		if (strcmp(o, "-d") == 0) {
			dom = argv[++i];
		} else if (strcmp(o, "-t") == 0 && strcmp(sub, "rotate") == 0) {
			const char *t = argv[++i];

			if (ntypes == 2 || (strcmp(t, "rsa") != 0 &&
					    strcmp(t, "ed25519") != 0)) {
				cli_error("key rotate: -t takes rsa or ed25519, "
					  "each at most once");
				return CLI_USAGE;
			}
			types[ntypes++] = strcmp(t, "rsa") == 0 ?
					  DKIM_ALG_RSA_SHA256 : DKIM_ALG_ED25519_SHA256;
			if (ntypes == 2 && types[0] == types[1]) {
				cli_error("key rotate: -t %s twice", t);
				return CLI_USAGE;
			}
		} else if (strcmp(o, "-b") == 0 && strcmp(sub, "rotate") == 0) {
			const char *v = argv[++i];

			if (num_parse_u64((const unsigned char *)v, strlen(v),
					  MS_MAX_RSA_BITS, &bits) != MS_OK ||
			    bits < MS_MIN_RSA_BITS) {
				cli_error("key rotate: -b takes %d to %d bits",
					  MS_MIN_RSA_BITS, MS_MAX_RSA_BITS);
				return CLI_USAGE;
			}
		} else {
			cli_error("key %s: unknown option %s", sub, o);
			return CLI_USAGE;
		}
	}
	if (strcmp(sub, "rotate") != 0 && strcmp(sub, "step") != 0 &&
	    strcmp(sub, "status") != 0 && strcmp(sub, "abort") != 0) {
		key_usage();
		return CLI_USAGE;
	}
	if (!dom && (strcmp(sub, "rotate") == 0 || strcmp(sub, "abort") == 0)) {
		cli_error("key %s: -d DOMAIN is required", sub);
		return CLI_USAGE;
	}
	if (dom && !(domain = key_domain(dom)))
		return CLI_USAGE;
	if (!*cfg->signing_table) {
		cli_error("key %s: signing_table is not set: the keys a rotation "
			  "changes are the signing table's", sub);
		free(domain);
		return CLI_USAGE;
	}
	if (!*cfg->key_dir) {
		cli_error("key %s: key_dir is empty", sub);
		free(domain);
		return CLI_USAGE;
	}
	/* only a rotation makes key_dir: without it nothing is under way */
	if (strcmp(sub, "rotate") != 0 && access(cfg->key_dir, F_OK) != 0 &&
	    errno == ENOENT) {
		fd = -1;
	} else if ((fd = key_lock(cfg)) < 0) {
		free(domain);
		return CLI_IO;
	}
	if (strcmp(sub, "rotate") == 0)
		rc = key_rotate(&k, domain, types, ntypes, (unsigned)bits);
	else if (strcmp(sub, "step") == 0)
		rc = key_each(&k, domain, 1, key_step);
	else if (strcmp(sub, "status") == 0)
		rc = key_each(&k, domain, 1, key_status);
	else
		rc = key_each(&k, domain, 1, key_abort);
	if (fd >= 0)
		close(fd);
	keysource_destroy(k.ks);
	free(domain);
	if (fflush(stdout) != 0)
		rc = CLI_IO;
	return rc;
}
