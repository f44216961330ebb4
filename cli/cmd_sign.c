/*
 * cmd_sign.c - mailseal sign: add DKIM-Signature fields to messages.
 *
 * The signature must come before the message but depends on all of it,
 * so each message is read twice: once through the signer, then copied
 * out after the new fields.  A message on a pipe is copied to a spool
 * file as the signer reads it (at most --max-spool bytes, 64 MB by
 * default); memory stays constant either way.  Reading stops where the
 * header block breaks a limit: such a message cannot be signed.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* what the signer is fed through, watching the line ends */
struct sign_feed {
	struct dkim_sign *m;
	int lf_only;                    /* -1: no line end seen yet */
	int last;                       /* last byte of the previous chunk */
};

/* sign_feed - one chunk to the signer; the first line end tells the
 * message's style (a CR may end the previous chunk) */
static void sign_feed(void *arg, const unsigned char *p, size_t n)
{
	struct sign_feed *sf = arg;

	if (sf->lf_only < 0 && n > 0) {
		const unsigned char *nl = memchr(p, '\n', n);

		if (nl)
			sf->lf_only = nl > p ? nl[-1] != '\r' : sf->last != '\r';
		sf->last = p[n - 1];
	}
	dkim_sign_feed(sf->m, p, n);
}

/* sign_copy - the n bytes of src from its current offset to out */
static int sign_copy(FILE *src, uint64_t n, FILE *out)
{
	unsigned char *chunk = malloc(MS_IO_CHUNK);
	size_t k;

	if (!chunk)
		return -1;
	while (n > 0) {
		k = fread(chunk, 1, n < MS_IO_CHUNK ? (size_t)n : MS_IO_CHUNK,
			  src);
		if (k == 0 || fwrite(chunk, 1, k, out) != k)
			break;
		n -= k;
	}
	free(chunk);
	return n == 0 ? 0 : -1;
}

/* sign_stream - sign the message in `in`, write it with the fields to
 * out.  A regular file is read twice; anything else (a pipe, a
 * device) is spooled as it is read, at most spool_max bytes. */
static int sign_stream(struct dkim_signer *signer, FILE *in, const char *name,
		       FILE *out, uint64_t spool_max)
{
	struct sign_feed sf = { dkim_sign_begin(signer, 0), -1, 0 };
	struct ms_error err;
	struct buf fields;
	struct stat st;
	FILE *spool = NULL, *src = in;
	off_t start = 0;
	uint64_t total;
	int rc = CLI_IO;
	size_t i;

	buf_init(&fields, BUF_UNLIMITED);
	if (fstat(fileno(in), &st) != 0 || !S_ISREG(st.st_mode) ||
	    (start = ftello(in)) < 0) {
		spool = cli_spool_open(&err);
		if (!spool) {
			cli_error("%s: %s", name, err.msg);
			goto out;
		}
		src = spool;
		start = 0;
	}
	switch (cli_read_message(in, sign_feed, &sf, spool, spool_max, &total,
				 &err)) {
	case CLI_READ_END:
	case CLI_READ_HEADER_LIMIT:     /* finish names the limit */
		break;
	case CLI_READ_SPOOL_FULL:
	case CLI_READ_ERROR:
		cli_error("%s: %s", name, err.msg);
		goto out;
	}
	if (dkim_sign_finish(sf.m, &fields, &err) != MS_OK) {
		cli_error("%s: %s", name, err.msg);
		goto out;
	}
	/* the added fields follow the message's own line ends */
	for (i = 0; i < fields.len; i++) {
		if (sf.lf_only > 0 && fields.data[i] == '\r' &&
		    i + 1 < fields.len && fields.data[i + 1] == '\n')
			continue;
		putc(fields.data[i], out);
	}
	if (fseeko(src, start, SEEK_SET) != 0) {
		cli_error("%s: cannot rewind: %s", name, strerror(errno));
		goto out;
	}
	/* exactly what was signed: a file that grew since is not copied
	 * on, one that shrank is an error */
	if (sign_copy(src, total, out) != 0 || ferror(out) ||
	    fflush(out) != 0) {
		cli_error("%s: %s", name, ferror(src) || ferror(out)
			  ? strerror(errno) : "the file changed while it was signed");
		goto out;
	}
	rc = CLI_OK;
out:
	if (spool)
		fclose(spool);
	dkim_sign_free(sf.m);
	buf_free(&fields);
	return rc;
}

/* sign_to_dir - sign path into dir/basename(path), atomically */
static int sign_to_dir(struct dkim_signer *signer, const char *path,
		       const char *dir, uint64_t spool_max)
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
	rc = sign_stream(signer, in, path, out, spool_max);
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
	uint64_t spool_max = CLI_SPOOL_MAX_DEFAULT;
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
		else if (strcmp(o, "--max-spool") == 0) {
			if (cli_parse_size(v, &spool_max) != 0) {
				cli_error("sign: --max-spool takes a size in bytes, or with k, M or G");
				return CLI_USAGE;
			}
		} else {
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
			if (sign_to_dir(signer, argv[i], out_dir,
					spool_max) != CLI_OK)
				rc = CLI_IO;
		goto out;
	}
	if (argc - first_file > 1) {
		cli_error("sign: one FILE writes to stdout; use --out-dir for many");
		rc = CLI_USAGE;
		goto out;
	}
	if (first_file == argc || strcmp(argv[first_file], "-") == 0) {
		rc = sign_stream(signer, stdin, "stdin", stdout, spool_max);
	} else {
		FILE *in = fopen(argv[first_file], "rb");

		if (!in) {
			cli_error("%s: %s", argv[first_file], strerror(errno));
			rc = CLI_IO;
			goto out;
		}
		rc = sign_stream(signer, in, argv[first_file], stdout,
				 spool_max);
		fclose(in);
	}
out:
	dkim_signer_free(signer);
	return rc;
}
