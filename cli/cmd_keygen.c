/*
 * cmd_keygen.c - mailseal keygen: a private key and its DNS record.
 */
#define _GNU_SOURCE 1 /* asprintf */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "cli.h"
#include "crypto.h"
#include "ms_limits.h"
#include "numparse.h"

#define TXT_STRING_MAX 255

/* keygen_write_txt - the zone-file line for the record */
static int keygen_write_txt(const char *path, const char *domain,
			    const char *selector, const char *record)
{
	size_t len = strlen(record), i;
	FILE *f = fopen(path, "w");

	if (!f) {
		cli_error("%s: %s", path, strerror(errno));
		return CLI_IO;
	}
	fprintf(f, "%s._domainkey.%s.\tIN\tTXT\t(", selector, domain);
	for (i = 0; i < len; i += TXT_STRING_MAX)
		fprintf(f, " \"%.*s\"", (int)(len - i < TXT_STRING_MAX ?
					      len - i : TXT_STRING_MAX),
			record + i);
	fprintf(f, " )\n");
	if (fclose(f) != 0) {
		cli_error("%s: %s", path, strerror(errno));
		return CLI_IO;
	}
	return CLI_OK;
}

int cmd_keygen(const struct ms_config *cfg, int argc, char **argv)
{
	const char *domain = NULL, *selector = NULL, *type = "rsa", *dir = ".";
	uint64_t bits = MS_DEFAULT_RSA_BITS;
	enum dkim_alg alg;
	struct ms_error err;
	struct buf pub, rec;
	EVP_PKEY *pkey = NULL;
	char *priv_path = NULL, *txt_path = NULL;
	int i, rc = CLI_IO;

	for (i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (i + 1 >= argc) {
			cli_error("keygen: option %s needs a value", o);
			return CLI_USAGE;
		}
		if (strcmp(o, "-d") == 0)
			domain = argv[++i];
		else if (strcmp(o, "-s") == 0)
			selector = argv[++i];
		else if (strcmp(o, "-t") == 0)
			type = argv[++i];
		else if (strcmp(o, "-o") == 0)
			dir = argv[++i];
		else if (strcmp(o, "-b") == 0) {
			const char *v = argv[++i];

			if (num_parse_u64((const unsigned char *)v, strlen(v),
					  MS_MAX_RSA_BITS, &bits) != MS_OK ||
			    bits < MS_MIN_RSA_BITS) {
				cli_error("keygen: -b takes %d to %d bits",
					  MS_MIN_RSA_BITS, MS_MAX_RSA_BITS);
				return CLI_USAGE;
			}
		} else {
			cli_error("keygen: unknown option %s", o);
			return CLI_USAGE;
		}
	}
	if (!domain || !selector) {
		cli_error("keygen: -d DOMAIN and -s SELECTOR are required");
		return CLI_USAGE;
	}
	if (!dkim_domain_valid(domain, strlen(domain)) ||
	    !dkim_domain_valid(selector, strlen(selector))) {
		cli_error("keygen: \"%s\" / \"%s\" is not a valid domain / selector",
			  domain, selector);
		return CLI_USAGE;
	}
	if (strcmp(type, "rsa") == 0)
		alg = DKIM_ALG_RSA_SHA256;
	else if (strcmp(type, "ed25519") == 0)
		alg = DKIM_ALG_ED25519_SHA256;
	else {
		cli_error("keygen: -t takes rsa or ed25519");
		return CLI_USAGE;
	}
	buf_init(&pub, 64 * 1024);
	buf_init(&rec, 64 * 1024);
	if (crypto_keygen(alg, (unsigned)bits, &pkey, &err) != MS_OK ||
	    crypto_public_record(pkey, &pub, &err) != MS_OK) {
		cli_error("keygen: %s", err.msg);
		goto out;
	}
	buf_printf(&rec, "v=DKIM1; k=%s; p=",
		   alg == DKIM_ALG_RSA_SHA256 ? "rsa" : "ed25519");
	base64_encode(pub.data, pub.len, &rec);
	if (asprintf(&priv_path, "%s/%s.private", dir, selector) < 0 ||
	    asprintf(&txt_path, "%s/%s.txt", dir, selector) < 0) {
		cli_error("keygen: out of memory");
		goto out;
	}
	if (crypto_write_private_pem(pkey, priv_path, &err) != MS_OK) {
		cli_error("keygen: %s", err.msg);
		goto out;
	}
	rc = keygen_write_txt(txt_path, domain, selector, buf_str(&rec));
	if (rc == CLI_OK)
		printf("%s\n%s\n", priv_path, txt_path);
out:
	crypto_pkey_free(pkey);
	buf_free(&pub);
	buf_free(&rec);
	free(priv_path);
	free(txt_path);
	return rc;
}
