/*
 * farmvalue.h - the value format of a cached key answer in Redis.
 *
 *   "MSK1" | status (1: 'F' found, 'N' no such key)
 *   | DNSSEC ('0' not validated, '1' validated secure, '2' validated
 *     insecure: the node validated and the name needs no signature)
 *   | expires (8 bytes, big-endian unix time) | nrecords (1 byte)
 *   | nrecords x (length: 4 bytes big-endian, bytes)
 *   | HMAC-SHA256 (32 bytes) when the farm has a secret
 *
 * The HMAC covers "mailseal-key", a NUL, the key name, a NUL and every
 * byte before it.  farmvalue_decode is a parser of untrusted bytes
 * (anything with write access to Redis can put anything there): it
 * checks every length and never writes to its input.
 *
 * Each kind of value the farm keeps opens with its own magic and
 * version ("MSK1" here; "MSD1" for the DNS answers of SPF and DMARC,
 * dnsqvalue.h) and its HMAC is keyed by a label of its own, so that a
 * value of one kind can never be read as another; farmvalue_mac is
 * that HMAC for every kind.
 */
#ifndef MAILSEAL_FARMVALUE_H
#define MAILSEAL_FARMVALUE_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "buf.h"
#include "keysource.h"
#include "status.h"

#define FARMVALUE_MAC_LEN 32          /* HMAC-SHA256 */

/* farmvalue_mac - HMAC-SHA256 under secret of label, a NUL, name, a
 * NUL and p[0..len): the trailer of a farm value of kind label */
enum ms_status farmvalue_mac(const char *label, const char *name,
			     const unsigned char *p, size_t len,
			     const char *secret, unsigned char *mac);
/* farmvalue_seal - the value out[start..] complete: its farmvalue_mac
 * under secret appended (nothing without a secret); on failure out is
 * cut back to start (MS_ERR_CRYPTO, MS_ERR_LIMIT) */
enum ms_status farmvalue_seal(const char *label, const char *name,
			      struct buf *out, size_t start,
			      const char *secret);
/* farmvalue_encode - append the value for ans (KEY_FOUND or
 * KEY_NOTFOUND) expiring at expires to out */
enum ms_status farmvalue_encode(const char *name, const struct key_answer *ans,
				uint64_t expires, const char *secret,
				struct buf *out);
/* farmvalue_decode - parse p[0..len) into ans (records copied into
 * arena) and *expires; MS_ERR_SYNTAX for a malformed value,
 * MS_ERR_CRYPTO when the HMAC does not check */
enum ms_status farmvalue_decode(const char *name, const unsigned char *p,
				size_t len, const char *secret,
				struct arena *arena, struct key_answer *ans,
				uint64_t *expires);

#endif
