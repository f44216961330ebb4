/*
 * hdrhash.c - the header hash shared by signer and verifier.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "canon.h"
#include "crypto.h"
#include "hdrhash.h"
#include "xalloc.h"

/* hdrhash_compute - digest of the signed headers */
enum ms_status hdrhash_compute(const struct msgreader *mr,
			       enum dkim_canon mode,
			       const char *const *names, size_t nnames,
			       const unsigned char *sigfield, size_t sigfield_len,
			       struct buf *scratch, unsigned char *digest)
{
	size_t nf = msgreader_nfields(mr), i, k, raw_len, mark;
	unsigned char used_small[64], *used;
	const unsigned char *raw;
	enum ms_status st = MS_ERR_LIMIT;
	unsigned int dl = 0;

	used = nf <= sizeof(used_small) ? used_small : xmalloc(nf);
	memset(used, 0, nf);
	buf_reset(scratch);
	for (k = 0; k < nnames; k++) {
		size_t nl = strlen(names[k]);

		for (i = nf; i-- > 0;) {
			if (used[i] || !msgreader_field_is(mr, i, names[k], nl))
				continue;
			used[i] = 1;
			raw = msgreader_field(mr, i, &raw_len);
			if (canon_header(mode, raw, raw_len, scratch) != MS_OK)
				goto out;
			break;
		}
	}
	mark = scratch->len;
	if (canon_header(mode, sigfield, sigfield_len, scratch) != MS_OK)
		goto out;
	if (scratch->len - mark >= 2 &&
	    scratch->data[scratch->len - 2] == '\r' &&
	    scratch->data[scratch->len - 1] == '\n')
		buf_truncate(scratch, scratch->len - 2);
	st = EVP_Digest(scratch->data, scratch->len, digest, &dl,
			crypto_sha256(), NULL) && dl == CRYPTO_SHA256_LEN
	     ? MS_OK : MS_ERR_CRYPTO;
out:
	if (used != used_small)
		free(used);
	return st;
}
