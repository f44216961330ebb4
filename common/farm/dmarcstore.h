/*
 * dmarcstore.h - the farm's DMARC aggregate-report counters in Redis
 * (RFC 9990 data; the key schema is in redis/SCHEMA.md).
 *
 * Per UTC day DAY (YYYY-MM-DD) and Policy Domain D:
 *   mailseal:dmarc:{DAY}:rows:D   hash: canonical row (dmarcrow.h),
 *                                 with its HMAC when the farm has a
 *                                 secret -> number of messages
 *   mailseal:dmarc:{DAY}:dropped  hash: D -> messages not itemized
 *                                 because D's hash had max_rows rows
 *   mailseal:dmarc:{DAY}:domains  set of the Policy Domains of DAY
 * All three carry the day as a hash tag: one Lua script updates them
 * atomically, in one slot of a Redis Cluster.  Every write renews their
 * TTL (the retention).
 *
 * dmarcstore_count never blocks mail: it is one short command with the
 * farm's timeout; a failure is FARM_ERROR (the report loses that
 * message, the node's counters count it, farmcache.c logs the outage
 * once).  dmarcstore_read_day reads what the farm holds for a day; the
 * store knows rows only as bytes (the layers above parse them with
 * dmarc_row_parse, as untrusted bytes): it checks each field's HMAC and
 * each count, and a field that fails is not returned but counted (bad).
 */
#ifndef MAILSEAL_DMARCSTORE_H
#define MAILSEAL_DMARCSTORE_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "buf.h"
#include "farmcache.h"

/* one stored row: its bytes (HMAC checked and removed), its count */
struct dmarcstore_entry {
	const unsigned char *row;       /* NUL-terminated copy */
	size_t len;
	uint64_t count;                 /* 1 to INT64_MAX */
};

/* the rows of one Policy Domain of a day */
struct dmarcstore_domain {
	const char *domain;
	struct dmarcstore_entry *e;
	size_t n;
	uint64_t dropped;               /* messages past the row cap */
	size_t bad;                     /* fields failing the HMAC, counts
					 * that are not counts */
};

/* dmarcstore_day_ok - is s a day written YYYY-MM-DD? */
int dmarcstore_day_ok(const char *s);
/* dmarcstore_field - the hash field of row bytes row[0..len) for
 * domain on day: the row, then " " and 32 hex digits of HMAC-SHA256
 * when secret is not "" */
enum ms_status dmarcstore_field(const char *secret, const char *day,
				const char *domain, const unsigned char *row,
				size_t len, struct buf *out);
/* dmarcstore_field_row - the row bytes of a stored field, its HMAC
 * checked: MS_OK with *len set, MS_ERR_CRYPTO for a bad HMAC,
 * MS_ERR_SYNTAX for a field without one when secret is set */
enum ms_status dmarcstore_field_row(const char *secret, const char *day,
				    const char *domain, const unsigned char *p,
				    size_t n, size_t *len);
/* dmarcstore_count_parse - a stored count: 1 to INT64_MAX, digits
 * only, no leading zero */
enum ms_status dmarcstore_count_parse(const char *p, size_t len, uint64_t *n);
/* dmarcstore_count - one message of row (canonical) for domain on day:
 * FARM_HIT with *itemized 1 (counted in its row) or 0 (the domain had
 * max_rows rows: counted as dropped); FARM_ERROR when Redis failed */
enum farm_result dmarcstore_count(struct farmcache *fc, const char *day,
				  const char *domain, const unsigned char *row,
				  size_t len, unsigned max_rows,
				  unsigned ttl, int *itemized);
/* dmarcstore_read_day - every Policy Domain of day, sorted by name,
 * into *out (*n of them, all in arena a) */
enum farm_result dmarcstore_read_day(struct farmcache *fc, const char *day,
				     struct arena *a,
				     struct dmarcstore_domain **out,
				     size_t *n);

#endif
