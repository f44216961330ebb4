/*
 * test_config.c - the configuration file parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

static enum ms_status parse(struct ms_config *cfg, const char *text,
			    struct ms_error *err)
{
	config_init(cfg);
	return config_parse(cfg, (const unsigned char *)text, strlen(text),
			    "test.conf", err);
}

static const struct {
	const char *name;
	const char *text;
	const char *error;              /* NULL: must parse */
} cases[] = {
	{ "empty file", "", NULL },
	{ "comments and blanks", "# c\n\n   # indented comment\n\n", NULL },
	{ "simple setting", "max_signatures = 7\n", NULL },
	{ "no spaces", "max_signatures=7", NULL },
	{ "CRLF lines", "max_signatures = 7\r\ndns_timeout = 3s\r\n", NULL },
	{ "continuation", "redis_sentinels = 127.0.0.1:26379\n  127.0.0.1:26380\n", NULL },
	{ "unknown name", "\n\nfrobnicate = 1\n", "test.conf:3: unknown setting \"frobnicate\"" },
	{ "set twice", "max_signatures = 3\nmax_signatures = 4\n", "test.conf:2: \"max_signatures\" is set twice" },
	{ "no equals sign", "max_signatures 3\n", "test.conf:1: expected \"name = value\"" },
	{ "empty name", " = 3\n", "test.conf:1: continuation line with nothing to continue" },
	{ "empty name at column 0", "= 3\n", "test.conf:1: a setting has no name" },
	{ "number out of range", "max_signatures = 0\n", "test.conf:1: max_signatures takes a number from 1 to 64, not \"0\"" },
	{ "number with sign", "max_signatures = +3\n", "test.conf:1: max_signatures takes" },
	{ "number with junk", "max_signatures = 3x\n", "test.conf:1: max_signatures takes" },
	{ "bad duration unit", "dns_timeout = 3y\n", "test.conf:1: dns_timeout takes a duration" },
	{ "duration too long", "dns_timeout = 2h\n", "test.conf:1: dns_timeout takes a duration" },
	{ "seconds setting in ms", "key_cache_max_ttl = 1500ms\n", "test.conf:1: key_cache_max_ttl takes a duration" },
	{ "struct name not accepted", "dns_timeout_ms = 3\n", "test.conf:1: unknown setting \"dns_timeout_ms\"" },
	{ "continuation first", "  max_signatures = 3\n", "test.conf:1: continuation line with nothing to continue" },
	{ "redis_cluster alone", "redis_cluster = 127.0.0.1:7000 127.0.0.1:7001\n", NULL },
	{ "redis_cluster with redis_url", "redis_url = redis://127.0.0.1\nredis_cluster = 127.0.0.1:7000\n", "test.conf:2: redis_cluster cannot be set with redis_url" },
	{ "redis_cluster with redis_sentinels", "redis_cluster = 127.0.0.1:7000\nredis_sentinels = 127.0.0.1:26379\n", "test.conf:1: redis_cluster cannot be set with redis_sentinels" },
};

int main(void)
{
	struct ms_config cfg;
	struct ms_error err;
	size_t i;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum ms_status st;

		ms_error_clear(&err);
		st = parse(&cfg, cases[i].text, &err);
		if (!cases[i].error)
			CHECK(st == MS_OK, "config: %s parses (%s)", cases[i].name,
			      err.msg);
		else
			CHECK(st != MS_OK && strncmp(err.msg, cases[i].error,
						     strlen(cases[i].error)) == 0,
			      "config: %s rejected with \"%s\" (got \"%s\")",
			      cases[i].name, cases[i].error, err.msg);
		config_free(&cfg);
	}

	/* defaults */
	config_init(&cfg);
	CHECK(cfg.max_signatures == 5, "config: default max_signatures 5");
	CHECK(cfg.dns_timeout_ms == 2000, "config: default dns_timeout 2s");
	CHECK(cfg.redis_timeout_ms == 50, "config: default redis_timeout 50ms");
	CHECK(cfg.key_cache_max_ttl == 3600, "config: default key_cache_max_ttl 1h");
	CHECK(strcmp(cfg.redis_url, "") == 0, "config: default no Redis");
	config_free(&cfg);

	/* values */
	parse(&cfg, "dns_timeout = 250ms\nkey_cache_max_ttl = 2h\nnegative_cache_ttl = 5m\n"
		    "redis_sentinels = a:1\n\tb:2\nredis_url = redis://127.0.0.1:6380/2\n"
		    "cache_secret = s3cret\n", &err);
	CHECK(cfg.dns_timeout_ms == 250, "config: 250ms");
	CHECK(cfg.key_cache_max_ttl == 7200, "config: 2h in seconds");
	CHECK(cfg.negative_cache_ttl == 300, "config: 5m in seconds");
	CHECK(strcmp(cfg.redis_sentinels, "a:1 b:2") == 0,
	      "config: continuation joined with one space (%s)", cfg.redis_sentinels);
	CHECK(strcmp(cfg.redis_url, "redis://127.0.0.1:6380/2") == 0, "config: string kept");
	CHECK(config_line(&cfg, "redis_sentinels") == 4 &&
	      config_line(&cfg, "dns_timeout") == 1 &&
	      config_line(&cfg, "max_signatures") == 0 &&
	      config_line(&cfg, "no_such_setting") == 0,
	      "config_line: the line that set it (a continued value: its first line), 0 for a default");

	/* printing: only what differs, secret masked */
	f = open_memstream(&out, &outlen);
	config_print(&cfg, f, 0);
	fclose(f);
	CHECK(strstr(out, "dns_timeout = 250ms\n") != NULL, "config print: changed duration");
	CHECK(strstr(out, "max_signatures") == NULL, "config print: defaults left out");
	CHECK(strstr(out, "s3cret") == NULL && strstr(out, "cache_secret = (set, not shown)"),
	      "config print: secret masked");
	free(out);
	config_free(&cfg);

	/* a value equal to the default is not printed */
	parse(&cfg, "max_signatures = 5\n", &err);
	f = open_memstream(&out, &outlen);
	config_print(&cfg, f, 0);
	fclose(f);
	CHECK(outlen == 0, "config print: a default written out is not a difference");
	free(out);
	config_free(&cfg);

	/* missing file */
	config_init(&cfg);
	CHECK(config_load(&cfg, "/nonexistent/mailseal.conf", &err) == MS_ERR_IO &&
	      strstr(err.msg, "/nonexistent/mailseal.conf") != NULL,
	      "config: missing file is an I/O error naming it");
	config_free(&cfg);

	/* an empty file: an error naming it (a file being rewritten in
	 * place), where a comment alone gives the defaults */
	{
		char path[] = "/tmp/ms-config-empty-XXXXXX";
		int fd = mkstemp(path), absent = -1;

		config_init(&cfg);
		CHECK(fd >= 0 && config_load_opt(&cfg, path, 1, &absent, &err) == MS_ERR_SYNTAX &&
		      absent == 0 && strstr(err.msg, path) && strstr(err.msg, "empty"),
		      "config: an empty file is an error naming it (%s)", err.msg);
		config_free(&cfg);
		if (fd >= 0 && write(fd, "# defaults\n", 11) == 11) {
			config_init(&cfg);
			CHECK(config_load(&cfg, path, &err) == MS_OK,
			      "config: a file of one comment gives the defaults");
			config_free(&cfg);
		}
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
	}

	/* an optional file: only ENOENT is "absent" */
	{
		int absent = -1;

		config_init(&cfg);
		CHECK(config_load_opt(&cfg, "/nonexistent/mailseal.conf", 1,
				      &absent, &err) == MS_OK && absent == 1,
		      "config: an optional file that does not exist is absent");
		CHECK(config_load_opt(&cfg, "/nonexistent/mailseal.conf", 0,
				      &absent, &err) == MS_ERR_IO && absent == 0,
		      "config: a named file that does not exist is an error");
		CHECK(config_load_opt(&cfg, "/etc/hostname/mailseal.conf", 1,
				      &absent, &err) == MS_ERR_IO && absent == 0 &&
		      strstr(err.msg, "/etc/hostname/mailseal.conf") != NULL,
		      "config: a file that cannot be reached (ENOTDIR) is an error naming it, not absent (%s)",
		      err.msg);
		config_free(&cfg);
	}

	/* comments after values are cut off, also on continuation lines */
	parse(&cfg, "dns_resolver = 127.0.0.1:5353 # local\n"
		    "redis_sentinels = a:1\t# first\n  b:2 # second\n"
		    "cache_secret = pa#ss\n"
		    "max_signatures = 7# no blank before it: part of the value\n",
	      &err);
	CHECK(strcmp(cfg.dns_resolver, "127.0.0.1:5353") == 0,
	      "config: a comment after a value is not part of it (\"%s\")",
	      cfg.dns_resolver);
	CHECK(strcmp(cfg.redis_sentinels, "a:1 b:2") == 0,
	      "config: comments on continued lines cut off (\"%s\")",
	      cfg.redis_sentinels);
	CHECK(strcmp(cfg.cache_secret, "pa#ss") == 0,
	      "config: a # inside a word stays");
	CHECK(strstr(err.msg, "test.conf:5: max_signatures takes") != NULL,
	      "config: a # with no blank before it is part of the value (%s)",
	      err.msg);
	config_free(&cfg);
	return unit_done();
}
