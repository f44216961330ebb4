/*
 * crypto.c - every use of OpenSSL, through EVP.
 *
 * Each function releases what it created at one "out" label.  Errors
 * from OpenSSL's queue are folded into the caller's ms_error.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "ms_limits.h"

static EVP_MD *crypto_sha256_md;
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

/* crypto_start - OpenSSL without its configuration file: mailseal uses
 * the default provider's SHA-256, RSA and Ed25519 and nothing that file
 * sets, and reading it is about a third of OpenSSL's start-up, paid in
 * every process Exim forks for an SMTP session.  (When OpenSSL started
 * already, in a program that uses it for more, this changes nothing.) */
static void crypto_start(void)
{
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	crypto_sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

#define CRYPTO_READY() pthread_once(&crypto_once, crypto_start)

/* a throw-away 1024-bit RSA public key (SPKI DER) and the Ed25519
 * base point: what crypto_init decodes and verifies against once, so
 * that OpenSSL fetches and caches its decoders and signature methods */
static const unsigned char crypto_warm_rsa[] = {
	  0x30, 0x81, 0x9f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
	  0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x81, 0x8d, 0x00, 0x30, 0x81,
	  0x89, 0x02, 0x81, 0x81, 0x00, 0xbe, 0x01, 0xe9, 0x51, 0x0f, 0x5c, 0xc1,
	  0xc3, 0x37, 0x51, 0xd5, 0xb8, 0x83, 0x37, 0x24, 0x32, 0x47, 0xac, 0xcd,
	  0xfb, 0x4f, 0xdb, 0x1e, 0x71, 0x89, 0x3b, 0xda, 0x32, 0x3c, 0x6a, 0x28,
	  0x3f, 0xf9, 0x1b, 0xe6, 0xf6, 0xdb, 0x77, 0x4a, 0x8e, 0x30, 0x70, 0x5e,
	  0x9b, 0x4b, 0x65, 0x2d, 0xb6, 0xa2, 0x7e, 0x58, 0xc6, 0x01, 0x87, 0x3d,
	  0x71, 0xd8, 0x95, 0xd7, 0xd7, 0x11, 0x16, 0xa6, 0x50, 0xd2, 0x76, 0x9c,
	  0x69, 0xb3, 0x06, 0x18, 0xc2, 0xb2, 0x6d, 0xfd, 0x8a, 0x40, 0x85, 0xe4,
	  0x8e, 0x56, 0xbe, 0xa7, 0xc7, 0xcc, 0xb6, 0xb2, 0x2d, 0xdf, 0xc6, 0x13,
	  0x90, 0x51, 0x71, 0x4b, 0x6d, 0x7a, 0x36, 0x1a, 0x19, 0x47, 0x1b, 0x5d,
	  0x13, 0x27, 0x2e, 0x13, 0x9b, 0xd0, 0xfe, 0xb8, 0x68, 0xc4, 0x8c, 0x9c,
	  0x82, 0xbc, 0x93, 0xa5, 0x2a, 0xd4, 0x04, 0x2c, 0x8c, 0xde, 0xeb, 0xda,
	  0x13, 0x02, 0x03, 0x01, 0x00, 0x01
};
static const unsigned char crypto_warm_ed25519[32] = {
	0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
};

/* crypto_thread_done - OpenSSL's state of the calling thread, released */
void crypto_thread_done(void)
{
	OPENSSL_thread_stop();
}

/* crypto_init - start OpenSSL now, and run each verification path once
 * (on keys of no account; the signatures fail) so that the algorithm
 * lookups OpenSSL does on first use are done and cached too */
void crypto_init(void)
{
	unsigned char digest[CRYPTO_SHA256_LEN] = { 0 }, sig[128] = { 0 };
	EVP_PKEY *k = NULL;

	CRYPTO_READY();
	if (crypto_pubkey_rsa(crypto_warm_rsa, sizeof(crypto_warm_rsa), &k,
			      NULL) == MS_OK) {
		(void)crypto_verify_digest(k, NULL, digest, sig, sizeof(sig));
		EVP_PKEY_free(k);
	}
	k = NULL;
	if (crypto_pubkey_ed25519(crypto_warm_ed25519,
				  sizeof(crypto_warm_ed25519), &k, NULL) == MS_OK) {
		(void)crypto_verify_digest(k, NULL, digest, sig, 64);
		EVP_PKEY_free(k);
	}
	ERR_clear_error();
}

/* crypto_sha256 - the fetched SHA-256 method */
const EVP_MD *crypto_sha256(void)
{
	CRYPTO_READY();
	return crypto_sha256_md ? crypto_sha256_md : EVP_sha256();
}

/* crypto_sha256_ctx - a new digest context, initialised */
EVP_MD_CTX *crypto_sha256_ctx(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx && !EVP_DigestInit_ex(ctx, crypto_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* crypto_last_error - OpenSSL's error queue as one line, then cleared */
const char *crypto_last_error(char *dst, size_t size)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(dst, size, "no detail from OpenSSL");
	else
		ERR_error_string_n(e, dst, size);
	ERR_clear_error();
	return dst;
}

/* crypto_pkey_free - release a key reference */
void crypto_pkey_free(EVP_PKEY *pkey)
{
	EVP_PKEY_free(pkey);
}

/* crypto_pkey_ref - take another reference */
EVP_PKEY *crypto_pkey_ref(EVP_PKEY *pkey)
{
	if (pkey)
		EVP_PKEY_up_ref(pkey);
	return pkey;
}

/* crypto_key_alg - the DKIM algorithm that fits the key */
enum dkim_alg crypto_key_alg(const EVP_PKEY *pkey)
{
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		return DKIM_ALG_RSA_SHA256;
	case EVP_PKEY_ED25519:
		return DKIM_ALG_ED25519_SHA256;
	}
	return DKIM_ALG_UNKNOWN;
}

/* crypto_key_bits - key size in bits */
unsigned crypto_key_bits(const EVP_PKEY *pkey)
{
	int bits = EVP_PKEY_get_bits(pkey);

	return bits > 0 ? (unsigned)bits : 0;
}

/* crypto_key_same - the same public key? */
int crypto_key_same(const EVP_PKEY *a, const EVP_PKEY *b)
{
	int r = EVP_PKEY_eq(a, b);

	ERR_clear_error();      /* keys of two types leave a note */
	return r == 1;
}

static enum ms_status crypto_check_private(EVP_PKEY *pkey, const char *what,
					   struct ms_error *err)
{
	switch (crypto_key_alg(pkey)) {
	case DKIM_ALG_RSA_SHA256:
		if (crypto_key_bits(pkey) < MS_MIN_RSA_BITS)
			return ms_error_set(err, MS_ERR_UNSUPPORTED,
					    "%s: RSA key of %u bits is below %d",
					    what, crypto_key_bits(pkey),
					    MS_MIN_RSA_BITS);
		return MS_OK;
	case DKIM_ALG_ED25519_SHA256:
		return MS_OK;
	default:
		return ms_error_set(err, MS_ERR_UNSUPPORTED,
				    "%s: key is neither RSA nor Ed25519", what);
	}
}

static enum ms_status crypto_load_bio(BIO *bio, const char *what,
				      EVP_PKEY **out, struct ms_error *err)
{
	char detail[160];
	EVP_PKEY *pkey;
	enum ms_status st;

	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (!pkey)
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "%s: no PEM private key (%s)", what,
				    crypto_last_error(detail, sizeof(detail)));
	st = crypto_check_private(pkey, what, err);
	if (st != MS_OK) {
		EVP_PKEY_free(pkey);
		return st;
	}
	*out = pkey;
	return MS_OK;
}

/* crypto_load_private_pem - private key from a PEM file */
enum ms_status crypto_load_private_pem(const char *path, EVP_PKEY **out,
				       struct ms_error *err)
{
	enum ms_status st;
	BIO *bio;
	FILE *f;

	CRYPTO_READY();

	f = fopen(path, "re");          /* e: close on exec */
	if (!f)
		return ms_error_set(err, MS_ERR_IO, "%s: %s", path,
				    strerror(errno));
	bio = BIO_new_fp(f, BIO_CLOSE);
	if (!bio) {
		fclose(f);
		return ms_error_set(err, MS_ERR_CRYPTO, "%s: BIO failed", path);
	}
	st = crypto_load_bio(bio, path, out, err);
	BIO_free(bio);
	return st;
}

/* crypto_load_private_mem - the same from bytes */
enum ms_status crypto_load_private_mem(const unsigned char *p, size_t len,
				       const char *what, EVP_PKEY **out,
				       struct ms_error *err)
{
	enum ms_status st;
	BIO *bio;

	CRYPTO_READY();

	if (len > 1024 * 1024)
		return ms_error_set(err, MS_ERR_LIMIT, "%s: too large", what);
	bio = BIO_new_mem_buf(p, (int)len);
	if (!bio)
		return ms_error_set(err, MS_ERR_CRYPTO, "%s: BIO failed", what);
	st = crypto_load_bio(bio, what, out, err);
	BIO_free(bio);
	return st;
}

/* crypto_pubkey_rsa - RSA public key from DER (SPKI or RSAPublicKey) */
enum ms_status crypto_pubkey_rsa(const unsigned char *der, size_t len,
				 EVP_PKEY **out, struct ms_error *err)
{
	const unsigned char *q = der;
	EVP_PKEY *pkey;
	unsigned bits;

	CRYPTO_READY();

	if (len > MS_MAX_KEY_RECORD)
		return ms_error_set(err, MS_ERR_LIMIT, "public key too long");
	pkey = d2i_PUBKEY(NULL, &q, (long)len);
	if (!pkey || q != der + len) {
		EVP_PKEY_free(pkey);
		q = der;
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)len);
		if (pkey && q != der + len) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
	}
	ERR_clear_error();
	if (!pkey)
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "p= is not an RSA public key");
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "p= holds a key that is not RSA");
	}
	bits = crypto_key_bits(pkey);
	if (bits > MS_MAX_RSA_BITS) {
		EVP_PKEY_free(pkey);
		return ms_error_set(err, MS_ERR_LIMIT,
				    "RSA key of %u bits is above %d", bits,
				    MS_MAX_RSA_BITS);
	}
	*out = pkey;
	return MS_OK;
}

/* crypto_pubkey_ed25519 - Ed25519 public key from its 32 raw bytes */
enum ms_status crypto_pubkey_ed25519(const unsigned char *raw, size_t len,
				     EVP_PKEY **out, struct ms_error *err)
{
	EVP_PKEY *pkey;

	CRYPTO_READY();

	if (len != 32)
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "Ed25519 p= has %zu bytes, not 32", len);
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, len);
	if (!pkey) {
		ERR_clear_error();
		return ms_error_set(err, MS_ERR_SYNTAX,
				    "p= is not an Ed25519 public key");
	}
	*out = pkey;
	return MS_OK;
}

/* crypto_public_record - the p= bytes for a key */
enum ms_status crypto_public_record(EVP_PKEY *pkey, struct buf *out,
				    struct ms_error *err)
{
	unsigned char *der = NULL;
	unsigned char raw[32];
	size_t rawlen = sizeof(raw);
	enum ms_status st;
	int n;

	switch (crypto_key_alg(pkey)) {
	case DKIM_ALG_RSA_SHA256:
		n = i2d_PUBKEY(pkey, &der);
		if (n <= 0)
			return ms_error_set(err, MS_ERR_CRYPTO,
					    "cannot encode the public key");
		st = buf_append(out, der, (size_t)n);
		OPENSSL_free(der);
		return st;
	case DKIM_ALG_ED25519_SHA256:
		if (!EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen))
			return ms_error_set(err, MS_ERR_CRYPTO,
					    "cannot encode the public key");
		return buf_append(out, raw, rawlen);
	default:
		return ms_error_set(err, MS_ERR_UNSUPPORTED,
				    "key is neither RSA nor Ed25519");
	}
}

/* crypto_sign_digest - sign a SHA-256 digest; appends to sig */
enum ms_status crypto_sign_digest(EVP_PKEY *pkey,
				  const unsigned char *digest,
				  struct buf *sig, struct ms_error *err)
{
	enum ms_status st = MS_ERR_CRYPTO;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *mctx = NULL;
	size_t slen = 0;
	char detail[160];

	if (buf_reserve(sig, (size_t)EVP_PKEY_get_size(pkey)) != MS_OK)
		return ms_error_set(err, MS_ERR_LIMIT, "signature too large");
	slen = sig->cap - sig->len - 1;
	switch (crypto_key_alg(pkey)) {
	case DKIM_ALG_RSA_SHA256:
		pctx = EVP_PKEY_CTX_new(pkey, NULL);
		if (!pctx || EVP_PKEY_sign_init(pctx) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_signature_md(pctx, crypto_sha256()) <= 0 ||
		    EVP_PKEY_sign(pctx, sig->data + sig->len, &slen, digest,
				  CRYPTO_SHA256_LEN) <= 0)
			goto out;
		break;
	case DKIM_ALG_ED25519_SHA256:
		mctx = EVP_MD_CTX_new();
		if (!mctx ||
		    EVP_DigestSignInit(mctx, NULL, NULL, NULL, pkey) <= 0 ||
		    EVP_DigestSign(mctx, sig->data + sig->len, &slen, digest,
				   CRYPTO_SHA256_LEN) <= 0)
			goto out;
		break;
	default:
		st = ms_error_set(err, MS_ERR_UNSUPPORTED,
				  "key is neither RSA nor Ed25519");
		goto done;
	}
	sig->len += slen;
	sig->data[sig->len] = 0;
	st = MS_OK;
	goto done;
out:
	ms_error_set(err, MS_ERR_CRYPTO, "signing failed: %s",
		     crypto_last_error(detail, sizeof(detail)));
done:
	EVP_PKEY_CTX_free(pctx);
	EVP_MD_CTX_free(mctx);
	return st;
}

/* crypto_rsa_verify_ctx - a context ready to check rsa-sha256 */
static EVP_PKEY_CTX *crypto_rsa_verify_ctx(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(pkey, NULL);

	if (pctx && (EVP_PKEY_verify_init(pctx) <= 0 ||
		     EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
		     EVP_PKEY_CTX_set_signature_md(pctx, crypto_sha256()) <= 0)) {
		EVP_PKEY_CTX_free(pctx);
		pctx = NULL;
	}
	return pctx;
}

/* crypto_verify_cache_free - release a cache of crypto_verify_digest */
void crypto_verify_cache_free(EVP_PKEY_CTX **cache)
{
	if (cache) {
		EVP_PKEY_CTX_free(*cache);
		*cache = NULL;
	}
}

/* crypto_verify_digest - 1 if sig is good for digest, 0 if not */
int crypto_verify_digest(EVP_PKEY *pkey, EVP_PKEY_CTX **cache,
			 const unsigned char *digest,
			 const unsigned char *sig, size_t sig_len)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *mctx = NULL;
	int ok = 0;

	switch (crypto_key_alg(pkey)) {
	case DKIM_ALG_RSA_SHA256:
		if (cache && *cache)
			pctx = *cache;
		else
			pctx = crypto_rsa_verify_ctx(pkey);
		ok = pctx && EVP_PKEY_verify(pctx, sig, sig_len, digest,
					     CRYPTO_SHA256_LEN) == 1;
		if (cache)
			*cache = pctx;
		else
			EVP_PKEY_CTX_free(pctx);
		break;
	case DKIM_ALG_ED25519_SHA256:
		mctx = EVP_MD_CTX_new();
		ok = mctx &&
		     EVP_DigestVerifyInit(mctx, NULL, NULL, NULL, pkey) > 0 &&
		     EVP_DigestVerify(mctx, sig, sig_len, digest,
				      CRYPTO_SHA256_LEN) == 1;
		EVP_MD_CTX_free(mctx);
		break;
	default:
		break;
	}
	ERR_clear_error();
	return ok;
}

/* crypto_keygen - new RSA (bits) or Ed25519 key */
enum ms_status crypto_keygen(enum dkim_alg alg, unsigned bits,
			     EVP_PKEY **out, struct ms_error *err)
{
	char detail[160];
	EVP_PKEY *pkey = NULL;

	CRYPTO_READY();

	switch (alg) {
	case DKIM_ALG_RSA_SHA256:
		if (bits < MS_MIN_RSA_BITS || bits > MS_MAX_RSA_BITS)
			return ms_error_set(err, MS_ERR_USAGE,
					    "RSA key size must be %d to %d bits",
					    MS_MIN_RSA_BITS, MS_MAX_RSA_BITS);
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
		break;
	case DKIM_ALG_ED25519_SHA256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	default:
		return ms_error_set(err, MS_ERR_USAGE, "unknown key type");
	}
	if (!pkey)
		return ms_error_set(err, MS_ERR_CRYPTO, "key generation failed: %s",
				    crypto_last_error(detail, sizeof(detail)));
	*out = pkey;
	return MS_OK;
}

/* crypto_write_private_pem - PKCS#8 PEM to path, created mode 0600 */
enum ms_status crypto_write_private_pem(EVP_PKEY *pkey, const char *path,
					struct ms_error *err)
{
	char detail[160];
	FILE *f;
	int fd, ok;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return ms_error_set(err, MS_ERR_IO, "%s: %s%s", path,
				    strerror(errno),
				    errno == EEXIST ? " (not overwriting a key)" : "");
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		return ms_error_set(err, MS_ERR_IO, "%s: %s", path,
				    strerror(errno));
	}
	ok = PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		unlink(path);
		return ms_error_set(err, MS_ERR_IO, "%s: cannot write key (%s)",
				    path, crypto_last_error(detail, sizeof(detail)));
	}
	return MS_OK;
}

/* crypto_hmac_sha256 - HMAC-SHA256 of data under key into out[32] */
enum ms_status crypto_hmac_sha256(const unsigned char *key, size_t key_len,
				  const unsigned char *data, size_t len,
				  unsigned char *out)
{
	size_t out_len = 0;

	CRYPTO_READY();

	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len, data,
		       len, out, CRYPTO_SHA256_LEN, &out_len) ||
	    out_len != CRYPTO_SHA256_LEN) {
		ERR_clear_error();
		return MS_ERR_CRYPTO;
	}
	return MS_OK;
}

/* crypto_memeq - constant-time comparison: 1 when equal */
int crypto_memeq(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
