/*
 * dnsqvalue.h - the value format of a cached DNS answer of the sender
 * policy methods (dnsq.h: SPF, DMARC) in the farm's Redis, and in the
 * in-process cache in front of it.
 *
 *   "MSD" | version '1'
 *   | status (1: 'O' records, 'D' NODATA, 'X' NXDOMAIN)
 *   | type (2 bytes, big-endian: 1 A, 12 PTR, 15 MX, 16 TXT, 28 AAAA)
 *   | flags (1: bit 0 DNSSEC-secure; the others zero)
 *   | expires (8 bytes, big-endian unix time)
 *   | dropped (2 bytes, big-endian: records past DNSQ_MAX_RRS, saturated)
 *   | nrecords (1 byte, 1..DNSQ_MAX_RRS with 'O', 0 otherwise)
 *   | nrecords x record, by type:
 *       A: 4 bytes; AAAA: 16 bytes
 *       MX: preference (2 bytes) | name length (1) | name
 *       PTR: name length (1) | name
 *       TXT: length (2 bytes) | the strings joined
 *   | HMAC-SHA256 (32 bytes) when the farm has a secret
 *
 * Names are 1 to 255 bytes, each printable ASCII other than a space.
 * The HMAC (farmvalue_mac) covers "mailseal-dns", a NUL, the question
 * ("TXT:example.com"), a NUL and every byte before it; the type is also
 * in the value and must be the one asked.  TEMPFAIL is never encoded.
 *
 * dnsqvalue_decode is a parser of untrusted bytes (anything with write
 * access to Redis can put anything there, HMAC or not): it checks every
 * length against what is left, never reads past len, never writes to
 * its input, and copies what it returns into the caller's arena.  A
 * value of another kind or version (a key answer, "MSD0", a later
 * "MSD2") is MS_ERR_UNSUPPORTED, before any HMAC is computed: the
 * caller treats it as a miss.
 */
#ifndef MAILSEAL_DNSQVALUE_H
#define MAILSEAL_DNSQVALUE_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "buf.h"
#include "dnsq.h"
#include "status.h"

/* the largest value: a DNS message (64 KiB) holds no more record data */
#define DNSQVALUE_MAX (65536 + 64)

/* dnsqvalue_encode - append the value of answer ans (OK, NODATA or
 * NXDOMAIN) to question t at name, expiring at expires; MS_ERR_LIMIT
 * when it cannot be represented (a name or text too long: not cached),
 * MS_ERR_UNSUPPORTED for TEMPFAIL; out is unchanged on error */
enum ms_status dnsqvalue_encode(const char *name, enum dnsq_type t,
				const struct dnsq_answer *ans,
				uint64_t expires, const char *secret,
				struct buf *out);
/* dnsqvalue_decode - parse p[0..len), the value of question t at name,
 * into ans (records in arena) and *expires; MS_ERR_UNSUPPORTED for
 * another kind or version, MS_ERR_CRYPTO when the HMAC does not check,
 * MS_ERR_SYNTAX for anything malformed */
enum ms_status dnsqvalue_decode(const char *name, enum dnsq_type t,
				const unsigned char *p, size_t len,
				const char *secret, struct arena *arena,
				struct dnsq_answer *ans, uint64_t *expires);

#endif
