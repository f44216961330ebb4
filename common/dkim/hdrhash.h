/*
 * hdrhash.h - the header hash of a DKIM signature (RFC 6376 section
 * 3.7), the same for signing and verifying.
 *
 * For each name of h=, the last instance not yet used (bottom-up, as
 * section 5.4.2 says) is canonicalized; a name with no instance left
 * contributes nothing.  Then the DKIM-Signature field itself, given
 * with its b= value already removed and without its final CRLF, is
 * canonicalized without a final CRLF.  The SHA-256 of all that is the
 * digest that is signed.
 */
#ifndef MAILSEAL_HDRHASH_H
#define MAILSEAL_HDRHASH_H

#include <stddef.h>
#include "buf.h"
#include "dkim_sig.h"
#include "msgreader.h"
#include "status.h"

/* hdrhash_compute - digest (32 bytes) of the signed headers; scratch is
 * a buf the caller keeps for reuse */
enum ms_status hdrhash_compute(const struct msgreader *mr,
			       enum dkim_canon mode,
			       const char *const *names, size_t nnames,
			       const unsigned char *sigfield, size_t sigfield_len,
			       struct buf *scratch, unsigned char *digest);

#endif
