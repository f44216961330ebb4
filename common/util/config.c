/*
 * config.c - the configuration file: a table of settings, one parser.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "config.h"
#include "ms_limits.h"
#include "numparse.h"
#include "xalloc.h"

#define CONFIG_MAX_FILE (1024 * 1024)

enum setting_type {
	SET_STRING,
	SET_DURATION_MS,                /* stored in milliseconds */
	SET_SECONDS,                    /* a duration stored in seconds */
	SET_COUNT,
	SET_CHOICE,                     /* one word of choices, stored as its index */
	SET_MODE,                       /* file mode, octal */
};

struct setting {
	const char *name;
	enum setting_type type;
	size_t offset;
	const char *def;
	unsigned long long min, max;    /* numbers: bounds */
	const char *const *choices;     /* SET_CHOICE: the words, NULL-ended */
	int secret;
};

/* the words of each choice, in the order of its enum (config.h) */
static const char *const temperror_words[] = { "tempfail", "accept", NULL };
static const char *const sigfail_words[] = { "tag", "reject", NULL };
static const char *const badfrom_words[] = { "reject", "accept", NULL };
static const char *const yesno_words[] = { "no", "yes", NULL };
static const char *const dmarc_words[] = { "reject", "quarantine", "tag",
					   NULL };
static const char *const quarantine_words[] = { "freeze", "header", NULL };

#define C(n, d, w) { .name = #n, .type = SET_CHOICE, \
	.offset = offsetof(struct ms_config, n), .def = d, .choices = w }
#define S(n, t, d, lo, hi) { .name = #n, .type = t, \
	.offset = offsetof(struct ms_config, n), .def = d, .min = lo, .max = hi }

static const struct setting settings[] = {
	S(dns_resolver, SET_STRING, "", 0, 0),
	S(dns_trust_anchor, SET_STRING, "", 0, 0),
	S(dns_timeout_ms, SET_DURATION_MS, "2s", 10, 60000),
	S(dns_message_budget_ms, SET_DURATION_MS, "5s", 10, 300000),
	S(redis_url, SET_STRING, "", 0, 0),
	S(redis_sentinels, SET_STRING, "", 0, 0),
	S(redis_cluster, SET_STRING, "", 0, 0),
	S(redis_master_name, SET_STRING, "mailseal", 0, 0),
	S(redis_timeout_ms, SET_DURATION_MS, "50ms", 1, 10000),
	{ .name = "cache_secret", .type = SET_STRING,
	  .offset = offsetof(struct ms_config, cache_secret), .def = "",
	  .secret = 1 },
	S(key_cache_max_ttl, SET_SECONDS, "1h", 1, 7 * 86400),
	S(negative_cache_ttl, SET_SECONDS, "60s", 0, 86400),
	S(local_cache_size, SET_COUNT, "10000", 0, 10000000),
	S(shared_cache_size, SET_COUNT, "4096", 0, 1048576),
	S(max_signatures, SET_COUNT, "5", 1, MS_MAX_SIGS),
	S(signing_table, SET_STRING, "", 0, 0),
	S(key_dir, SET_STRING, MAILSEAL_SYSCONFDIR "/keys", 0, 0),
	S(key_grace, SET_SECONDS, "7d", 0, 365 * 86400),
	S(sending_rights, SET_STRING, "", 0, 0),
	S(signature_retention, SET_SECONDS, "7d", 3600, 365 * 86400),
	S(complaint_reporters, SET_STRING, "", 0, 0),
	S(complaint_threshold, SET_COUNT, "3", 1, 1000),
	S(complaint_window, SET_SECONDS, "30d", 3600, 365 * 86400),
	S(revocation_protect, SET_STRING, "", 0, 0),
	S(revocation_max_per_hour, SET_COUNT, "10", 0, 100000),
	S(revocation_refresh, SET_SECONDS, "5s", 1, 3600),
	S(require_signed, SET_STRING, "", 0, 0),
	S(authserv_id, SET_STRING, "", 0, 0),
	C(on_temperror, "tempfail", temperror_words),
	C(on_signature_fail, "tag", sigfail_words),
	C(on_bad_from, "reject", badfrom_words),
	C(check_spf, "no", yesno_words),
	C(on_spf_fail, "tag", sigfail_words),
	C(on_spf_permerror, "tag", sigfail_words),
	S(trusted_networks, SET_STRING, "", 0, 0),
	C(received_spf, "no", yesno_words),
	C(check_dmarc, "no", yesno_words),
	C(on_dmarc_reject, "reject", dmarc_words),
	C(on_dmarc_quarantine, "quarantine", dmarc_words),
	S(dmarc_exempt, SET_STRING, "", 0, 0),
	S(max_author_domains, SET_COUNT, "5", 1, MS_DMARC_MAX_AUTHORS),
	C(exim_quarantine, "freeze", quarantine_words),
	C(dmarc_reports, "yes", yesno_words),
	S(dmarc_report_retention, SET_SECONDS, "7d", 3600, 90 * 86400),
	S(dmarc_report_max_rows, SET_COUNT, "10000", 1, 1000000),
	S(dmarc_report_org, SET_STRING, "", 0, 0),
	S(dmarc_report_email, SET_STRING, "", 0, 0),
	S(dmarc_report_sendmail, SET_STRING, "/usr/sbin/sendmail", 0, 0),
	C(farm_stats, "no", yesno_words),
	S(farm_stats_node, SET_STRING, "", 0, 0),
	S(farm_stats_interval_ms, SET_DURATION_MS, "10s", 1000, 3600000),
	S(require_tls, SET_STRING, "", 0, 0),
	S(tls_pins, SET_STRING, "", 0, 0),
	S(tls_policy, SET_STRING, "", 0, 0),
	S(policy_listen, SET_STRING, "", 0, 0),
	S(milter_listen, SET_STRING, "", 0, 0),
	S(metrics_listen, SET_STRING, "", 0, 0),
	S(pid_file, SET_STRING, "/run/mailseal/mailseal-policyd.pid", 0, 0),
	S(socket_mode, SET_MODE, "0660", 0, 0777),
	S(socket_group, SET_STRING, "", 0, 0),
	S(user, SET_STRING, "", 0, 0),
	S(log_file, SET_STRING, "", 0, 0),
	S(max_connections, SET_COUNT, "256", 1, 4096),
	S(max_policy_connections, SET_COUNT, "1024", 1, 65536),
	S(request_timeout_ms, SET_DURATION_MS, "5m", 1000, 86400000),
	S(packet_timeout_ms, SET_DURATION_MS, "1m", 1000, 3600000),
	S(message_timeout_ms, SET_DURATION_MS, "30m", 1000, 86400000),
};
#undef S
#undef C

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

_Static_assert(NSETTINGS <= sizeof(((struct ms_config *)0)->set),
	       "struct ms_config: set[] too small");
_Static_assert(NSETTINGS <= sizeof(((struct ms_config *)0)->line) /
			    sizeof(((struct ms_config *)0)->line[0]),
	       "struct ms_config: line[] too small");

/* the names in the file drop the _ms of the struct fields */
static int setting_name_len(const struct setting *s)
{
	size_t sl = strlen(s->name);

	if (s->type == SET_DURATION_MS && sl > 3 &&
	    strcmp(s->name + sl - 3, "_ms") == 0)
		sl -= 3;
	return (int)sl;
}

static int setting_name_eq(const struct setting *s, const char *name,
			   size_t n)
{
	return (size_t)setting_name_len(s) == n &&
	       strncmp(s->name, name, n) == 0;
}

static const struct setting *setting_find(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		if (setting_name_eq(&settings[i], name, n))
			return &settings[i];
	return NULL;
}

/* parse_duration - "250ms", "2s", "2", "5m", "1h", "1d" in ms */
static enum ms_status parse_duration(const char *v, unsigned long long *ms)
{
	size_t n = strlen(v), digits = 0;
	unsigned long long mult = 1000;
	uint64_t num;

	while (digits < n && isdigit((unsigned char)v[digits]))
		digits++;
	if (digits == 0)
		return MS_ERR_SYNTAX;
	if (digits == n || strcmp(v + digits, "s") == 0)
		mult = 1000;
	else if (strcmp(v + digits, "ms") == 0)
		mult = 1;
	else if (strcmp(v + digits, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(v + digits, "h") == 0)
		mult = 3600 * 1000;
	else if (strcmp(v + digits, "d") == 0)
		mult = 86400ULL * 1000;
	else
		return MS_ERR_SYNTAX;
	if (num_parse_u64((const unsigned char *)v, digits,
			  UINT64_MAX / mult, &num) != MS_OK)
		return MS_ERR_LIMIT;
	*ms = num * mult;
	return MS_OK;
}

/* setting_bad_choice - the error for a word that is not one of the
 * choices, listing them */
static enum ms_status setting_bad_choice(const struct setting *s,
					 const char *value, const char *origin,
					 unsigned line, struct ms_error *err)
{
	char words[128] = "";
	size_t i;

	for (i = 0; s->choices[i]; i++) {
		if (i)
			strncat(words, " or ", sizeof(words) - strlen(words) - 1);
		strncat(words, s->choices[i], sizeof(words) - strlen(words) - 1);
	}
	return ms_error_set(err, MS_ERR_USAGE, "%s:%u: %s takes %s, not \"%s\"",
			    origin, line, s->name, words, value);
}

static enum ms_status setting_apply(struct ms_config *cfg,
				    const struct setting *s, const char *value,
				    const char *origin, unsigned line,
				    struct ms_error *err)
{
	void *field = (char *)cfg + s->offset;
	unsigned long long v = 0;
	uint64_t num;

	switch (s->type) {
	case SET_STRING:
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return MS_OK;
	case SET_DURATION_MS:
	case SET_SECONDS:
		if (parse_duration(value, &v) != MS_OK)
			goto bad;
		if (s->type == SET_SECONDS) {
			if (v % 1000)
				goto bad;
			v /= 1000;
		}
		break;
	case SET_COUNT:
		if (num_parse_u64((const unsigned char *)value, strlen(value),
				  UINT64_MAX, &num) != MS_OK)
			goto bad;
		v = num;
		break;
	case SET_MODE: {
		size_t i, n = strlen(value);

		if (n == 0 || n > 4)
			goto bad;
		for (i = 0; i < n; i++) {
			if (value[i] < '0' || value[i] > '7')
				goto bad;
			v = v * 8 + (unsigned)(value[i] - '0');
		}
		break;
	}
	case SET_CHOICE:
		for (v = 0; s->choices[v]; v++)
			if (strcmp(s->choices[v], value) == 0)
				break;
		if (!s->choices[v])
			return setting_bad_choice(s, value, origin, line, err);
		*(unsigned *)field = (unsigned)v;
		return MS_OK;
	}
	if (v < s->min || v > s->max)
		goto bad;
	*(unsigned *)field = (unsigned)v;
	return MS_OK;
bad:
	if (s->type == SET_MODE)
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s:%u: %s takes an octal file mode such as 0660, not \"%s\"",
				    origin, line, s->name, value);
	if (s->type == SET_COUNT)
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s:%u: %.*s takes a number from %llu to %llu, not \"%s\"",
				    origin, line, setting_name_len(s), s->name,
				    s->min, s->max, value);
	return ms_error_set(err, MS_ERR_USAGE,
			    "%s:%u: %.*s takes a duration from %llu%s to %llu%s, not \"%s\"",
			    origin, line, setting_name_len(s), s->name, s->min,
			    s->type == SET_SECONDS ? "s" : "ms", s->max,
			    s->type == SET_SECONDS ? "s" : "ms", value);
}

/* config_init - every setting at its default */
void config_init(struct ms_config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NSETTINGS; i++)
		setting_apply(cfg, &settings[i], settings[i].def, "default", 0,
			      NULL);
	memset(cfg->set, 0, sizeof(cfg->set));
	memset(cfg->line, 0, sizeof(cfg->line));
}

/* config_free - release the strings */
void config_free(struct ms_config *cfg)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++) {
		if (settings[i].type == SET_STRING) {
			char **f = (char **)((char *)cfg + settings[i].offset);

			free(*f);
			*f = NULL;
		}
	}
}

/* config_set - one setting by name */
enum ms_status config_set(struct ms_config *cfg, const char *name,
			  const char *value, const char *origin,
			  unsigned line, struct ms_error *err)
{
	const struct setting *s = setting_find(name, strlen(name));
	size_t idx;
	enum ms_status st;

	if (!s)
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s:%u: unknown setting \"%s\"", origin, line,
				    name);
	idx = (size_t)(s - settings);
	if (cfg->set[idx])
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s:%u: \"%s\" is set twice", origin, line,
				    name);
	st = setting_apply(cfg, s, value, origin, line, err);
	if (st == MS_OK) {
		cfg->set[idx] = 1;
		cfg->line[idx] = line;
	}
	return st;
}

/* config_line - the line that set name, 0 when none */
unsigned config_line(const struct ms_config *cfg, const char *name)
{
	const struct setting *s = setting_find(name, strlen(name));

	return s ? cfg->line[s - settings] : 0;
}

static int cfg_is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* cfg_comment_at - where a comment starts in one line of n bytes (n
 * when none): a '#' at its start or after white space.  A comment
 * after a value is cut off, not made part of the value: the value
 * "127.0.0.1:5353 # local" would otherwise pass as a setting and fail
 * only when used. */
static size_t cfg_comment_at(const unsigned char *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i] == '#' && (i == 0 || cfg_is_blank(l[i - 1])))
			return i;
	return n;
}

/* config_entry - the collected "name = value" of one entry */
static enum ms_status config_entry(struct ms_config *cfg, struct buf *entry,
				   const char *origin, unsigned line,
				   struct ms_error *err)
{
	char *s = (char *)entry->data, *eq, *name_end, *value;

	eq = strchr(s, '=');
	if (!eq)
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s:%u: expected \"name = value\"", origin, line);
	name_end = eq;
	while (name_end > s && cfg_is_blank((unsigned char)name_end[-1]))
		name_end--;
	*name_end = 0;
	value = eq + 1;
	while (cfg_is_blank((unsigned char)*value))
		value++;
	if (!*s)
		return ms_error_set(err, MS_ERR_USAGE,
				    "%s:%u: a setting has no name", origin, line);
	return config_set(cfg, s, value, origin, line, err);
}

/* config_parse - the same from bytes */
enum ms_status config_parse(struct ms_config *cfg, const unsigned char *p,
			    size_t len, const char *origin,
			    struct ms_error *err)
{
	struct buf entry;
	enum ms_status st = MS_OK;
	unsigned line = 0, entry_line = 0;
	size_t pos = 0;
	int have = 0;

	buf_init(&entry, CONFIG_MAX_FILE);
	while (pos < len && st == MS_OK) {
		const unsigned char *nl = memchr(p + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - p) : len, s = pos, e = end;

		line++;
		pos = nl ? end + 1 : len;
		e = s + cfg_comment_at(p + s, e - s);
		while (e > s && cfg_is_blank(p[e - 1]))
			e--;
		if (memchr(p + s, 0, e - s)) {
			st = ms_error_set(err, MS_ERR_USAGE,
					  "%s:%u: NUL byte", origin, line);
			break;
		}
		{
			size_t k = s;

			while (k < e && cfg_is_blank(p[k]))
				k++;
			if (k == e || p[k] == '#')
				continue;       /* blank or comment */
			if (k > s) {            /* continuation */
				if (!have) {
					st = ms_error_set(err, MS_ERR_USAGE,
							  "%s:%u: continuation line with nothing to continue",
							  origin, line);
					break;
				}
				buf_putc(&entry, ' ');
				buf_append(&entry, p + k, e - k);
				continue;
			}
		}
		if (have)
			st = config_entry(cfg, &entry, origin, entry_line, err);
		buf_reset(&entry);
		if (buf_append(&entry, p + s, e - s) != MS_OK) {
			st = ms_error_set(err, MS_ERR_LIMIT, "%s:%u: too long",
					  origin, line);
			break;
		}
		have = 1;
		entry_line = line;
	}
	if (st == MS_OK && have)
		st = config_entry(cfg, &entry, origin, entry_line, err);
	buf_free(&entry);
	if (st == MS_OK && *cfg->redis_cluster &&
	    (*cfg->redis_url || *cfg->redis_sentinels))
		st = ms_error_set(err, MS_ERR_USAGE,
				  "%s:%u: redis_cluster cannot be set with %s: a farm uses one of them",
				  origin, config_line(cfg, "redis_cluster"),
				  *cfg->redis_url ? "redis_url" : "redis_sentinels");
	return st;
}

/* config_has_redis - does the configuration name a farm's Redis? */
int config_has_redis(const struct ms_config *cfg)
{
	return *cfg->redis_url || *cfg->redis_sentinels || *cfg->redis_cluster;
}

/* config_load - read path over the current settings */
enum ms_status config_load(struct ms_config *cfg, const char *path,
			   struct ms_error *err)
{
	struct buf data;
	enum ms_status st;

	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	buf_init(&data, CONFIG_MAX_FILE);
	st = buf_load_file(&data, path, err);
	/* no setting needs an empty file (a comment gives the defaults);
	 * one is far likelier a file caught while rewritten in place, and
	 * the defaults would drop every requirement it holds */
	if (st == MS_OK && data.len == 0)
		st = ms_error_set(err, MS_ERR_SYNTAX,
				  "%s: the file is empty (being rewritten in place? write the new version beside it and mv it over; a comment line alone gives every default)",
				  path);
	if (st == MS_OK)
		st = config_parse(cfg, (const unsigned char *)buf_str(&data),
				  data.len, path, err);
	buf_free(&data);
	return st;
}

/* config_load_opt - path, or nothing when optional and absent */
enum ms_status config_load_opt(struct ms_config *cfg, const char *path,
			       int optional, int *absent,
			       struct ms_error *err)
{
	struct stat st;

	*absent = 0;
	if (optional && stat(path, &st) != 0 && errno == ENOENT) {
		*absent = 1;
		return MS_OK;
	}
	return config_load(cfg, path, err);
}

/* config_where - "FILE:LINE: name", or "name (default)" */
const char *config_where(const struct ms_config *cfg, const char *name,
			 char *buf, size_t size)
{
	unsigned line = config_line(cfg, name);

	if (line && cfg->path[0])
		snprintf(buf, size, "%s:%u: %s", cfg->path, line, name);
	else
		snprintf(buf, size, "%s (default)", name);
	return buf;
}

/* config_print - "name = value" lines */
void config_print(const struct ms_config *cfg, FILE *out, int all)
{
	struct ms_config def;
	size_t i;

	config_init(&def);
	for (i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &settings[i];
		const void *field = (const char *)cfg + s->offset;
		const void *dfield = (const char *)&def + s->offset;

		if (!all && (s->type == SET_STRING
			     ? strcmp(*(char *const *)field,
				      *(char *const *)dfield) == 0
			     : *(const unsigned *)field ==
			       *(const unsigned *)dfield))
			continue;
		fprintf(out, "%.*s = ", setting_name_len(s), s->name);
		switch (s->type) {
		case SET_STRING:
			fputs(s->secret && **(char *const *)field ? "(set, not shown)"
				      : *(char *const *)field, out);
			break;
		case SET_DURATION_MS:
			fprintf(out, "%ums", *(const unsigned *)field);
			break;
		case SET_SECONDS:
			fprintf(out, "%us", *(const unsigned *)field);
			break;
		case SET_COUNT:
			fprintf(out, "%u", *(const unsigned *)field);
			break;
		case SET_CHOICE:
			fputs(s->choices[*(const unsigned *)field], out);
			break;
		case SET_MODE:
			fprintf(out, "%04o", *(const unsigned *)field);
			break;
		}
		fputc('\n', out);
	}
	config_free(&def);
}
