/*
 * bench_floor.c - the floor the signing and verifying drivers are held
 * against, measured in the same run on the same core: per message,
 * SHA-256 of every byte of it once, then one signature operation
 * (sign: the private-key operation over that hash; verify: the
 * public-key check of a signature of it, made before the timed runs).
 * No canonicalization, no parsing: no DKIM implementation can do less.
 *
 *   bench_floor sign|verify rsa|ed25519 LIST KEYDIR RUNS MINSEC
 *
 * Called as bench_floor (impl=floor), the messages are hashed from
 * memory, as every driver's timed loop reads them; with BENCH_FLOOR_READ=1
 * (impl=floorread) each message is read from its file (open, read into
 * one reused buffer, close: the page cache) in the timed loop too, which
 * is the floor as issue 11 words it ("reading the files plus SHA-256 of
 * the same bytes plus the signature checks").  Output lines as
 * benchutil.h says; a verify that fails is not counted as ok.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "benchutil.h"

struct fctx {
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *rsa;              /* RSA: one context, initialized once */
	EVP_MD_CTX *md;                 /* Ed25519: one context, reused */
	int ed;
	int sign;
	int read;                       /* read each file in the loop */
	unsigned char *buf;             /* the reused read buffer */
	size_t cap;
	unsigned char (*sigs)[512];     /* verify: one signature a message */
	size_t *siglen;
	const struct bcorpus *c;
};

/* fl_hash - SHA-256 of p[0..n) */
static void fl_hash(const unsigned char *p, size_t n, unsigned char *md)
{
	unsigned int mdlen = 32;

	if (!EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL))
		bdie("EVP_Digest failed");
}

/* fl_sign - sig of the 32-byte hash md: RSA over the DigestInfo of
 * SHA-256 (EVP_PKEY_sign with a digest set), Ed25519 over the 32 bytes
 * (ed25519-sha256 signs the hash, RFC 8463) */
static size_t fl_sign(struct fctx *f, const unsigned char *md,
		      unsigned char *sig)
{
	size_t len = 512;

	if (f->ed) {
		if (EVP_DigestSignInit(f->md, NULL, NULL, NULL, f->pkey) != 1 ||
		    EVP_DigestSign(f->md, sig, &len, md, 32) != 1)
			bdie("Ed25519 sign failed");
	} else if (EVP_PKEY_sign_init(f->rsa) != 1 ||
		   EVP_PKEY_CTX_set_signature_md(f->rsa, EVP_sha256()) != 1 ||
		   EVP_PKEY_sign(f->rsa, sig, &len, md, 32) != 1) {
		bdie("RSA sign failed");
	}
	return len;
}

/* fl_verify - 1 when sig is md's signature */
static int fl_verify(struct fctx *f, const unsigned char *md,
		     const unsigned char *sig, size_t len)
{
	if (f->ed)
		return EVP_DigestVerifyInit(f->md, NULL, NULL, NULL, f->pkey) == 1 &&
		       EVP_DigestVerify(f->md, sig, len, md, 32) == 1;
	return EVP_PKEY_verify(f->rsa, sig, len, md, 32) == 1;
}

/* fl_bytes - the message's bytes: from memory, or read from its file */
static const unsigned char *fl_bytes(struct fctx *f, const struct bmsg *m)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	if (!f->read)
		return m->data;
	if (m->len > f->cap) {
		f->buf = realloc(f->buf, m->len);
		if (!f->buf)
			bdie("out of memory");
		f->cap = m->len;
	}
	fd = open(m->path, O_RDONLY);
	if (fd < 0)
		bdie("cannot open a corpus file");
	while (got < m->len && (n = read(fd, f->buf + got, m->len - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got != m->len)
		bdie("a corpus file changed size");
	return f->buf;
}

static int one(void *ctx, const struct bmsg *m, FILE *out)
{
	struct fctx *f = ctx;
	unsigned char md[32], sig[512];
	size_t i = (size_t)(m - f->c->m);

	(void)out;
	fl_hash(fl_bytes(f, m), m->len, md);
	if (f->sign)
		return fl_sign(f, md, sig) > 0;
	return fl_verify(f, md, f->sigs[i], f->siglen[i]);
}

int main(int argc, char **argv)
{
	struct fctx f = { 0 };
	struct bcorpus corpus;
	char path[4096];
	const char *impl;
	FILE *fp;
	size_t i;

	if (argc < 7)
		bdie("usage: bench_floor sign|verify rsa|ed25519 LIST KEYDIR "
		     "RUNS MINSEC");
	f.sign = strcmp(argv[1], "sign") == 0;
	f.ed = strcmp(argv[2], "ed25519") == 0;
	f.read = getenv("BENCH_FLOOR_READ") &&
		 strcmp(getenv("BENCH_FLOOR_READ"), "1") == 0;
	impl = f.read ? "floorread" : "floor";
	bload(argv[3], &corpus);
	f.c = &corpus;
	snprintf(path, sizeof path, "%s/%s.pem", argv[4], f.ed ? "ed" : "rsa");
	fp = fopen(path, "r");
	if (!fp || !(f.pkey = PEM_read_PrivateKey(fp, NULL, NULL, NULL)))
		bdie("cannot read the private key");
	fclose(fp);
	f.md = EVP_MD_CTX_new();
	f.rsa = EVP_PKEY_CTX_new(f.pkey, NULL);
	if (!f.md || !f.rsa)
		bdie("out of memory");
	if (!f.sign) {
		/* each message's signature, made before anything is timed */
		f.sigs = calloc(corpus.n, sizeof(*f.sigs));
		f.siglen = calloc(corpus.n, sizeof(*f.siglen));
		if (!f.sigs || !f.siglen)
			bdie("out of memory");
		for (i = 0; i < corpus.n; i++) {
			unsigned char md[32];

			fl_hash(corpus.m[i].data, corpus.m[i].len, md);
			f.siglen[i] = fl_sign(&f, md, f.sigs[i]);
		}
		/* the public-key side: the private key's public half, one
		 * context set up once (the least a verifier can do) */
		if (!f.ed &&
		    (EVP_PKEY_verify_init(f.rsa) != 1 ||
		     EVP_PKEY_CTX_set_signature_md(f.rsa, EVP_sha256()) != 1))
			bdie("RSA verify init failed");
	}
	brun(impl, argv[1], argv[2], &corpus, atoi(argv[5]), atof(argv[6]),
	     one, &f, NULL);
	EVP_PKEY_CTX_free(f.rsa);
	EVP_MD_CTX_free(f.md);
	EVP_PKEY_free(f.pkey);
	free(f.sigs);
	free(f.siglen);
	free(f.buf);
	bfree(&corpus);
	return 0;
}
