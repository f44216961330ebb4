/*
 * cmd_sign.c - mailseal sign: add DKIM-Signature fields to messages.
 *
 * The signature must come before the message but depends on all of it,
 * so each message is read twice: once through the signer, then copied
 * out after the new fields.  A message on a pipe is spooled to a
 * temporary file first; memory stays constant either way.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "crypto.h"
#include "dkim_sign.h"
#include "ms_limits.h"
#include "numparse.h"

struct sign_group {
	const char *domain;
	const char *selector;
	const char *keyfile;
	const char *alg;
	const char *canon;
	const char *headers;
	const char *identity;
	uint64_t expire;
};

/* sign_stream - sign the message in `in`, write it with the fields to
 * out; in must be seekable */
static int sign_stream(struct dkim_signer *signer, FILE *in, const char *name,
		       FILE *out)
{
	unsigned char *chunk = malloc(MS_IO_CHUNK);
	struct dkim_sign *m = dkim_sign_begin(signer, 0);
	struct ms_error err;
	struct buf fields;
	int lf_only = -1, rc = CLI_IO;
	size_t n, i;

	buf_init(&fields, BUF_UNLIMITED);
	if (!chunk) {
		cli_error("out of memory");
		goto out;
	}
	while ((n = fread(chunk, 1, MS_IO_CHUNK, in)) > 0) {
		if (lf_only < 0) {
			unsigned char *nl = memchr(chunk, '\n', n);

			if (nl)
				lf_only = !(nl > chunk && nl[-1] == '\r');
		}
		dkim_sign_feed(m, chunk, n);
	}
	if (ferror(in)) {
		cli_error("%s: %s", name, strerror(errno));
		goto out;
	}
	if (dkim_sign_finish(m, &fields, &err) != MS_OK) {
		cli_error("%s: %s", name, err.msg);
		goto out;
	}
	/* the added fields follow the message's own line ends */
	for (i = 0; i < fields.len; i++) {
		if (lf_only > 0 && fields.data[i] == '\r' &&
		    i + 1 < fields.len && fields.data[i + 1] == '\n')
			continue;
		putc(fields.data[i], out);
	}
	if (fseek(in, 0, SEEK_SET) != 0) {
		cli_error("%s: cannot rewind: %s", name, strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, MS_IO_CHUNK, in)) > 0)
		if (fwrite(chunk, 1, n, out) != n)
			break;
	if (ferror(in) || ferror(out) || fflush(out) != 0) {
		cli_error("%s: %s", name, strerror(errno));
		goto out;
	}
	rc = CLI_OK;
out:
	dkim_sign_free(m);
	buf_free(&fields);
	free(chunk);
	return rc;
}

/* sign_spool - copy a pipe into a temporary file */
static FILE *sign_spool(FILE *in)
{
	unsigned char chunk[8192];
	FILE *t = tmpfile();
	size_t n;

	if (!t)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		if (fwrite(chunk, 1, n, t) != n)
			goto fail;
	if (ferror(in) || fflush(t) != 0 || fseek(t, 0, SEEK_SET) != 0)
		goto fail;
	return t;
fail:
	fclose(t);
	return NULL;
}

/* sign_to_dir - sign path into dir/basename(path), atomically */
static int sign_to_dir(struct dkim_signer *signer, const char *path,
		       const char *dir)
{
	char *copy = strdup(path), *base, *dst = NULL, *tmp = NULL;
	FILE *in = NULL, *out = NULL;
	int rc = CLI_IO;
	size_t n;

	if (!copy)
		goto out;
	base = basename(copy);
	n = strlen(dir) + strlen(base) + 32;
	dst = malloc(n);
	tmp = malloc(n);
	if (!dst || !tmp)
		goto out;
	snprintf(dst, n, "%s/%s", dir, base);
	snprintf(tmp, n, "%s/.%s.%ld.tmp", dir, base, (long)getpid());
	in = fopen(path, "rb");
	if (!in) {
		cli_error("%s: %s", path, strerror(errno));
		goto out;
	}
	out = fopen(tmp, "wb");
	if (!out) {
		cli_error("%s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = sign_stream(signer, in, path, out);
	if (fclose(out) != 0 && rc == CLI_OK) {
		cli_error("%s: %s", tmp, strerror(errno));
		rc = CLI_IO;
	}
	out = NULL;
	if (rc == CLI_OK && rename(tmp, dst) != 0) {
		cli_error("%s: %s", dst, strerror(errno));
		rc = CLI_IO;
	}
	if (rc != CLI_OK)
		unlink(tmp);
out:
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	free(copy);
	free(dst);
	free(tmp);
	return rc;
}

static int sign_add_group(struct dkim_signer *signer,
			  const struct sign_group *g)
{
	struct dkim_sign_key key;
	struct ms_error err;
	EVP_PKEY *pkey = NULL;
	enum dkim_alg want;
	int rc = CLI_USAGE;

	if (!g->domain || !g->selector || !g->keyfile) {
		cli_error("sign: each signature needs -d DOMAIN -s SELECTOR -k KEY");
		return CLI_USAGE;
	}
	memset(&key, 0, sizeof(key));
	key.domain = g->domain;
	key.selector = g->selector;
	key.headers = g->headers;
	key.identity = g->identity;
	key.expire_after = g->expire;
	key.hdr_canon = key.body_canon = DKIM_CANON_RELAXED;
	if (g->canon && dkim_canon_parse(g->canon, strlen(g->canon),
					 &key.hdr_canon,
					 &key.body_canon) != MS_OK) {
		cli_error("sign: -c takes simple|relaxed[/simple|relaxed], not \"%s\"",
			  g->canon);
		return CLI_USAGE;
	}
	if (crypto_load_private_pem(g->keyfile, &pkey, &err) != MS_OK) {
		cli_error("sign: %s", err.msg);
		return err.code == MS_ERR_IO ? CLI_IO : CLI_USAGE;
	}
	if (g->alg) {
		if (strcmp(g->alg, "rsa-sha256") == 0)
			want = DKIM_ALG_RSA_SHA256;
		else if (strcmp(g->alg, "ed25519-sha256") == 0)
			want = DKIM_ALG_ED25519_SHA256;
		else {
			cli_error("sign: -a takes rsa-sha256 or ed25519-sha256");
			goto out;
		}
		if (want != crypto_key_alg(pkey)) {
			cli_error("sign: -a %s does not fit the key in %s", g->alg,
				  g->keyfile);
			goto out;
		}
	}
	key.pkey = pkey;
	if (dkim_signer_add(signer, &key, &err) != MS_OK) {
		cli_error("sign: %s", err.msg);
		goto out;
	}
	rc = CLI_OK;
out:
	crypto_pkey_free(pkey);
	return rc;
}

int cmd_sign(const struct ms_config *cfg, int argc, char **argv)
{
	struct sign_group groups[MS_MAX_SIGN_KEYS];
	struct sign_group *g = &groups[0];
	struct dkim_signer *signer = NULL;
	const char *out_dir = NULL;
	size_t ngroups = 1, k;
	int i, rc = CLI_OK, first_file;

	memset(groups, 0, sizeof(groups));
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *o = argv[i], *v;

		if (strcmp(o, "--") == 0) {
			i++;
			break;
		}
		if (i + 1 >= argc) {
			cli_error("sign: option %s needs a value", o);
			return CLI_USAGE;
		}
		v = argv[++i];
		/* a -d, -s or -k already given starts the next signature */
		if ((strcmp(o, "-d") == 0 && g->domain) ||
		    (strcmp(o, "-s") == 0 && g->selector) ||
		    (strcmp(o, "-k") == 0 && g->keyfile)) {
			if (ngroups == MS_MAX_SIGN_KEYS) {
				cli_error("sign: at most %d signatures",
					  MS_MAX_SIGN_KEYS);
				return CLI_USAGE;
			}
			g = &groups[ngroups++];
		}
		if (strcmp(o, "-d") == 0)
			g->domain = v;
		else if (strcmp(o, "-s") == 0)
			g->selector = v;
		else if (strcmp(o, "-k") == 0)
			g->keyfile = v;
		else if (strcmp(o, "-a") == 0)
			g->alg = v;
		else if (strcmp(o, "-c") == 0)
			g->canon = v;
		else if (strcmp(o, "-H") == 0)
			g->headers = v;
		else if (strcmp(o, "-i") == 0)
			g->identity = v;
		else if (strcmp(o, "-x") == 0) {
			if (num_parse_u64((const unsigned char *)v, strlen(v),
					  UINT32_MAX, &g->expire) != MS_OK ||
			    g->expire == 0) {
				cli_error("sign: -x takes a number of seconds");
				return CLI_USAGE;
			}
		} else if (strcmp(o, "--out-dir") == 0)
			out_dir = v;
		else {
			cli_error("sign: unknown option %s", o);
			return CLI_USAGE;
		}
	}
	first_file = i;
	signer = dkim_signer_new();
	for (k = 0; k < ngroups; k++) {
		rc = sign_add_group(signer, &groups[k]);
		if (rc != CLI_OK)
			goto out;
	}
	if (out_dir) {
		if (first_file == argc) {
			cli_error("sign: --out-dir needs FILE arguments");
			rc = CLI_USAGE;
			goto out;
		}
		for (i = first_file; i < argc; i++)
			if (sign_to_dir(signer, argv[i], out_dir) != CLI_OK)
				rc = CLI_IO;
		goto out;
	}
	if (argc - first_file > 1) {
		cli_error("sign: one FILE writes to stdout; use --out-dir for many");
		rc = CLI_USAGE;
		goto out;
	}
	if (first_file == argc || strcmp(argv[first_file], "-") == 0) {
		FILE *t = sign_spool(stdin);

		if (!t) {
			cli_error("stdin: cannot spool: %s", strerror(errno));
			rc = CLI_IO;
			goto out;
		}
		rc = sign_stream(signer, t, "stdin", stdout);
		fclose(t);
	} else {
		FILE *in = fopen(argv[first_file], "rb");

		if (!in) {
			cli_error("%s: %s", argv[first_file], strerror(errno));
			rc = CLI_IO;
			goto out;
		}
		rc = sign_stream(signer, in, argv[first_file], stdout);
		fclose(in);
	}
out:
	dkim_signer_free(signer);
	return rc;
}
