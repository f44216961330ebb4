/*
 * keymake.c - a DKIM key pair on disk and its DNS record, for keygen
 * and key rotate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base64.h"
#include "buf.h"
#include "cli.h"
#include "crypto.h"
#include "xalloc.h"

#define TXT_STRING_MAX 255

/* km_mkdir - one directory, unless it is there */
static int km_mkdir(const char *path, unsigned mode)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		if (errno != ENOENT || (mkdir(path, mode) != 0 && errno != EEXIST)) {
			cli_error("%s: %s", path, strerror(errno));
			return CLI_IO;
		}
		if (stat(path, &st) != 0) {
			cli_error("%s: %s", path, strerror(errno));
			return CLI_IO;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		cli_error("%s: not a directory", path);
		return CLI_IO;
	}
	return CLI_OK;
}

/* cli_mkdirs - path and the directories above it that are missing */
int cli_mkdirs(const char *path, unsigned mode)
{
	char *copy, *p;
	int rc = CLI_OK;

	if (!*path) {
		cli_error("an empty directory name");
		return CLI_USAGE;
	}
	copy = xstrdup(path);
	for (p = copy + 1; rc == CLI_OK; p++) {
		char c = *p;

		if (c && c != '/')
			continue;
		*p = 0;
		if (p[-1] != '/')
			rc = km_mkdir(copy, mode);
		*p = c;
		if (!c)
			break;
	}
	free(copy);
	return rc;
}

/* cli_zone_line - the zone-file line of record at the key's name */
char *cli_zone_line(const char *domain, const char *selector,
		    const char *record)
{
	size_t len = strlen(record), i;
	struct buf line;
	char *s;

	buf_init(&line, BUF_UNLIMITED);
	buf_printf(&line, "%s._domainkey.%s.\tIN\tTXT\t(", selector, domain);
	for (i = 0; i < len; i += TXT_STRING_MAX)
		buf_printf(&line, " \"%.*s\"", (int)(len - i < TXT_STRING_MAX ?
						    len - i : TXT_STRING_MAX),
			   record + i);
	buf_puts(&line, " )");
	s = xstrdup(buf_str(&line));
	buf_free(&line);
	return s;
}

/* km_join - "DIR/NAME.EXT" */
static char *km_join(const char *dir, const char *name, const char *ext)
{
	size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
	char *s = xmalloc(n);

	snprintf(s, n, "%s/%s%s", dir, name, ext);
	return s;
}

/* km_write_txt - the zone-file line into path */
static int km_write_txt(const char *path, const char *line)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		cli_error("%s: %s", path, strerror(errno));
		return CLI_IO;
	}
	fprintf(f, "%s\n", line);
	if (fclose(f) != 0) {
		cli_error("%s: %s", path, strerror(errno));
		return CLI_IO;
	}
	return CLI_OK;
}

/* cli_key_record - "v=DKIM1; k=TYPE; p=..." of pkey into rec */
int cli_key_record(EVP_PKEY *pkey, struct buf *rec)
{
	struct ms_error err;
	struct buf pub;
	int rc = CLI_OK;

	buf_init(&pub, 64 * 1024);
	if (crypto_public_record(pkey, &pub, &err) != MS_OK) {
		cli_error("%s", err.msg);
		rc = CLI_IO;
	} else {
		buf_printf(rec, "v=DKIM1; k=%s; p=",
			   crypto_key_alg(pkey) == DKIM_ALG_ED25519_SHA256 ?
			   "ed25519" : "rsa");
		base64_encode(pub.data, pub.len, rec);
	}
	buf_free(&pub);
	return rc;
}

/* cli_key_make - a new key for selector at domain in dir */
int cli_key_make(const char *domain, const char *selector, enum dkim_alg alg,
		 unsigned bits, const char *dir, struct cli_newkey *out)
{
	struct ms_error err;
	struct buf rec;
	EVP_PKEY *pkey = NULL;
	int rc = CLI_IO;

	memset(out, 0, sizeof(*out));
	buf_init(&rec, 64 * 1024);
	if (crypto_keygen(alg, bits, &pkey, &err) != MS_OK) {
		cli_error("%s", err.msg);
		goto out;
	}
	if (cli_key_record(pkey, &rec) != CLI_OK)
		goto out;
	out->priv_path = km_join(dir, selector, ".private");
	out->txt_path = km_join(dir, selector, ".txt");
	out->zone_line = cli_zone_line(domain, selector, buf_str(&rec));
	if (crypto_write_private_pem(pkey, out->priv_path, &err) != MS_OK) {
		cli_error("%s", err.msg);
		goto out;
	}
	rc = km_write_txt(out->txt_path, out->zone_line);
	if (rc != CLI_OK)
		unlink(out->priv_path);
out:
	crypto_pkey_free(pkey);
	buf_free(&rec);
	if (rc != CLI_OK)
		cli_newkey_free(out);
	return rc;
}

/* cli_newkey_free - release the strings */
void cli_newkey_free(struct cli_newkey *k)
{
	free(k->priv_path);
	free(k->txt_path);
	free(k->zone_line);
	memset(k, 0, sizeof(*k));
}
