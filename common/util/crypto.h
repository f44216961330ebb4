/*
 * crypto.h - every use of OpenSSL, through the EVP interface.
 *
 * DKIM signs a SHA-256 digest of the canonical headers: RSA with
 * PKCS#1 v1.5 (rsa-sha256), Ed25519 over the 32 digest bytes
 * (ed25519-sha256, RFC 8463).  Keys are EVP_PKEY objects owned by the
 * caller (EVP_PKEY_free).  The SHA-256 method is fetched once per
 * process; that object is immutable and safe across fork.
 */
#ifndef MAILSEAL_CRYPTO_H
#define MAILSEAL_CRYPTO_H

#include <stddef.h>
#include "buf.h"
#include "dkim_sig.h"
#include "status.h"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_md_st EVP_MD;
typedef struct evp_md_ctx_st EVP_MD_CTX;
typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;

#define CRYPTO_SHA256_LEN 32

/* crypto_sha256 - the fetched SHA-256 method */
const EVP_MD *crypto_sha256(void);
/* crypto_thread_done - release what OpenSSL keeps for the calling
 * thread (its random generator, once it signed); a thread that used
 * the library calls it before it ends */
void crypto_thread_done(void);
/* crypto_init - start OpenSSL now (every entry point does it when it
 * has not been done) and run the verification paths once, so that
 * what OpenSSL looks up on first use is cached; a process about to
 * fork calls it so that its children inherit all that */
void crypto_init(void);
/* crypto_sha256_ctx - a new digest context, initialised */
EVP_MD_CTX *crypto_sha256_ctx(void);

/* crypto_load_private_pem - private key from a PEM file (PKCS#8 or
 * traditional RSA); RSA keys must have MS_MIN_RSA_BITS or more */
enum ms_status crypto_load_private_pem(const char *path, EVP_PKEY **out,
				       struct ms_error *err);
/* crypto_load_private_mem - the same from bytes */
enum ms_status crypto_load_private_mem(const unsigned char *p, size_t len,
				       const char *what, EVP_PKEY **out,
				       struct ms_error *err);
/* crypto_pkey_free - release a key reference (NULL is fine) */
void crypto_pkey_free(EVP_PKEY *pkey);
/* crypto_pkey_ref - take another reference to pkey; returns pkey */
EVP_PKEY *crypto_pkey_ref(EVP_PKEY *pkey);
/* crypto_key_alg - the DKIM algorithm that fits the key */
enum dkim_alg crypto_key_alg(const EVP_PKEY *pkey);
/* crypto_key_bits - key size in bits */
unsigned crypto_key_bits(const EVP_PKEY *pkey);
/* crypto_key_same - 1 when a and b have the same public key (either
 * may hold the private half too) */
int crypto_key_same(const EVP_PKEY *a, const EVP_PKEY *b);

/* crypto_pubkey_rsa - RSA public key from DER (SPKI or RSAPublicKey) */
enum ms_status crypto_pubkey_rsa(const unsigned char *der, size_t len,
				 EVP_PKEY **out, struct ms_error *err);
/* crypto_pubkey_ed25519 - Ed25519 public key from its 32 raw bytes */
enum ms_status crypto_pubkey_ed25519(const unsigned char *raw, size_t len,
				     EVP_PKEY **out, struct ms_error *err);
/* crypto_public_record - the p= bytes for a key: SPKI DER for RSA, the
 * 32 raw bytes for Ed25519 */
enum ms_status crypto_public_record(EVP_PKEY *pkey, struct buf *out,
				    struct ms_error *err);

/* crypto_sign_digest - sign a SHA-256 digest; appends to sig */
enum ms_status crypto_sign_digest(EVP_PKEY *pkey,
				  const unsigned char *digest,
				  struct buf *sig, struct ms_error *err);
/* crypto_verify_digest - 1 if sig is good for digest, 0 if not.
 * cache (may be NULL) keeps an RSA context prepared for pkey from one
 * call to the next, which saves its set-up on every message; it belongs
 * to one key and one thread, and is released with
 * crypto_verify_cache_free. */
int crypto_verify_digest(EVP_PKEY *pkey, EVP_PKEY_CTX **cache,
			 const unsigned char *digest,
			 const unsigned char *sig, size_t sig_len);
/* crypto_verify_cache_free - release a cache of crypto_verify_digest */
void crypto_verify_cache_free(EVP_PKEY_CTX **cache);

/* crypto_keygen - new RSA (bits) or Ed25519 (bits ignored) key */
enum ms_status crypto_keygen(enum dkim_alg alg, unsigned bits,
			     EVP_PKEY **out, struct ms_error *err);
/* crypto_write_private_pem - PKCS#8 PEM to path, created mode 0600 */
enum ms_status crypto_write_private_pem(EVP_PKEY *pkey, const char *path,
					struct ms_error *err);

/* crypto_hmac_sha256 - HMAC-SHA256 of data under key into out[32] */
enum ms_status crypto_hmac_sha256(const unsigned char *key, size_t key_len,
				  const unsigned char *data, size_t len,
				  unsigned char *out);
/* crypto_memeq - constant-time comparison: 1 when equal */
int crypto_memeq(const void *a, const void *b, size_t n);

/* crypto_last_error - OpenSSL's error queue as one line, then cleared */
const char *crypto_last_error(char *dst, size_t size);

#endif
