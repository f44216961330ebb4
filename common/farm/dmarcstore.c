/*
 * dmarcstore.c - the farm's aggregate-report counters: one Lua script
 * to count, three reads to report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "dmarcstore.h"
#include "farmcache_int.h"
#include "numparse.h"

#define DS_PREFIX "mailseal:dmarc:{"
#define DS_MAC_HEX 32                   /* 128 bits of the HMAC */

/* count one message: in its row while the domain has fewer than
 * max_rows rows (or the row exists), else in the dropped counter */
static const char ds_count_script[] =
	"redis.call('SADD', KEYS[2], ARGV[2])\n"
	"redis.call('EXPIRE', KEYS[2], ARGV[4])\n"
	"if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 or\n"
	"   redis.call('HLEN', KEYS[1]) < tonumber(ARGV[3]) then\n"
	"  redis.call('HINCRBY', KEYS[1], ARGV[1], 1)\n"
	"  redis.call('EXPIRE', KEYS[1], ARGV[4])\n"
	"  return 1\n"
	"end\n"
	"redis.call('HINCRBY', KEYS[3], ARGV[2], 1)\n"
	"redis.call('EXPIRE', KEYS[3], ARGV[4])\n"
	"return 0\n";

/* dmarcstore_day_ok - YYYY-MM-DD */
int dmarcstore_day_ok(const char *s)
{
	static const char shape[] = "dddd-dd-dd";
	size_t i;

	if (strlen(s) != sizeof(shape) - 1)
		return 0;
	for (i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != '-')
			return 0;
	return 1;
}

/* ds_key - mailseal:dmarc:{DAY}:what[domain] */
static void ds_key(struct buf *k, const char *day, const char *what,
		   const char *domain)
{
	buf_reset(k);
	buf_puts(k, DS_PREFIX);
	buf_puts(k, day);
	buf_puts(k, "}:");
	buf_puts(k, what);
	if (domain)
		buf_puts(k, domain);
}

/* ds_mac - the hex HMAC of a row, bound to its day and domain */
static enum ms_status ds_mac(const char *secret, const char *day,
			     const char *domain, const unsigned char *row,
			     size_t len, char hex[DS_MAC_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char mac[32];
	struct buf in;
	enum ms_status st;
	size_t i;

	buf_init(&in, BUF_UNLIMITED);
	buf_puts(&in, "mailseal-dmarcrow");
	buf_putc(&in, 0);
	buf_puts(&in, day);
	buf_putc(&in, 0);
	buf_puts(&in, domain);
	buf_putc(&in, 0);
	buf_append(&in, row, len);
	st = crypto_hmac_sha256((const unsigned char *)secret, strlen(secret),
				in.data, in.len, mac);
	buf_free(&in);
	for (i = 0; i < DS_MAC_HEX / 2; i++) {
		hex[2 * i] = digits[mac[i] >> 4];
		hex[2 * i + 1] = digits[mac[i] & 15];
	}
	hex[DS_MAC_HEX] = 0;
	return st;
}

/* dmarcstore_field - the hash field of a row */
enum ms_status dmarcstore_field(const char *secret, const char *day,
				const char *domain, const unsigned char *row,
				size_t len, struct buf *out)
{
	char hex[DS_MAC_HEX + 1];

	if (buf_append(out, row, len) != MS_OK)
		return MS_ERR_LIMIT;
	if (!*secret)
		return MS_OK;
	if (ds_mac(secret, day, domain, row, len, hex) != MS_OK)
		return MS_ERR_CRYPTO;
	buf_putc(out, ' ');
	return buf_puts(out, hex);
}

/* dmarcstore_field_row - a stored field's row, its HMAC checked */
enum ms_status dmarcstore_field_row(const char *secret, const char *day,
				    const char *domain, const unsigned char *p,
				    size_t n, size_t *len)
{
	char hex[DS_MAC_HEX + 1];

	if (!*secret) {
		*len = n;
		return MS_OK;
	}
	if (n < DS_MAC_HEX + 1 || p[n - DS_MAC_HEX - 1] != ' ')
		return MS_ERR_SYNTAX;
	*len = n - DS_MAC_HEX - 1;
	if (ds_mac(secret, day, domain, p, *len, hex) != MS_OK ||
	    !crypto_memeq(hex, p + *len + 1, DS_MAC_HEX))
		return MS_ERR_CRYPTO;
	return MS_OK;
}

/* dmarcstore_count - one message */
enum farm_result dmarcstore_count(struct farmcache *fc, const char *day,
				  const char *domain, const unsigned char *row,
				  size_t len, unsigned max_rows,
				  unsigned ttl, int *itemized)
{
	struct buf k1, k2, k3, field;
	char maxs[16], ttls[16];
	const char *argv[10];
	size_t lens[10];
	redisReply *r;
	enum farm_result res = FARM_ERROR;

	*itemized = 0;
	buf_init(&k1, BUF_UNLIMITED);
	buf_init(&k2, BUF_UNLIMITED);
	buf_init(&k3, BUF_UNLIMITED);
	buf_init(&field, BUF_UNLIMITED);
	ds_key(&k1, day, "rows:", domain);
	ds_key(&k2, day, "domains", NULL);
	ds_key(&k3, day, "dropped", NULL);
	if (dmarcstore_field(farmcache_secret(fc), day, domain, row, len,
			     &field) != MS_OK)
		goto out;
	snprintf(maxs, sizeof(maxs), "%u", max_rows);
	snprintf(ttls, sizeof(ttls), "%u", ttl ? ttl : 1);
	argv[0] = "EVAL";        lens[0] = 4;
	argv[1] = ds_count_script; lens[1] = sizeof(ds_count_script) - 1;
	argv[2] = "3";           lens[2] = 1;
	argv[3] = buf_str(&k1);  lens[3] = k1.len;
	argv[4] = buf_str(&k2);  lens[4] = k2.len;
	argv[5] = buf_str(&k3);  lens[5] = k3.len;
	argv[6] = buf_str(&field); lens[6] = field.len;
	argv[7] = domain;        lens[7] = strlen(domain);
	argv[8] = maxs;          lens[8] = strlen(maxs);
	argv[9] = ttls;          lens[9] = strlen(ttls);
	r = farmcache_run(fc, 10, argv, lens);
	if (r) {
		if (r->type == REDIS_REPLY_INTEGER) {
			*itemized = r->integer == 1;
			res = FARM_HIT;
		}
		freeReplyObject(r);
	}
out:
	buf_free(&k1);
	buf_free(&k2);
	buf_free(&k3);
	buf_free(&field);
	return res;
}

/* dmarcstore_count_parse - a stored count */
enum ms_status dmarcstore_count_parse(const char *p, size_t len, uint64_t *n)
{
	if (len == 0 || p[0] == '0' ||
	    num_parse_u64((const unsigned char *)p, len, INT64_MAX, n) != MS_OK)
		return MS_ERR_SYNTAX;
	return MS_OK;
}

static int ds_cmp_domain(const void *a, const void *b)
{
	return strcmp(((const struct dmarcstore_domain *)a)->domain,
		      ((const struct dmarcstore_domain *)b)->domain);
}

/* ds_read_domain - the rows and the dropped count of one domain */
static enum farm_result ds_read_domain(struct farmcache *fc, const char *day,
				       struct arena *a,
				       struct dmarcstore_domain *d)
{
	const char *secret = farmcache_secret(fc);
	struct buf key;
	const char *argv[3];
	size_t lens[3], i;
	redisReply *r;
	uint64_t n;

	buf_init(&key, BUF_UNLIMITED);
	ds_key(&key, day, "rows:", d->domain);
	r = farmcache_run_array(fc, "HGETALL", buf_str(&key), key.len);
	if (!r) {
		buf_free(&key);
		return FARM_ERROR;
	}
	d->e = arena_alloc(a, (r->elements / 2 + 1) * sizeof(*d->e));
	for (i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *f = r->element[i], *v = r->element[i + 1];
		struct dmarcstore_entry *e = &d->e[d->n];

		if (f->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING ||
		    dmarcstore_field_row(secret, day, d->domain,
					 (const unsigned char *)f->str,
					 f->len, &e->len) != MS_OK ||
		    dmarcstore_count_parse(v->str, v->len, &e->count) != MS_OK) {
			d->bad++;
			continue;
		}
		e->row = (const unsigned char *)arena_memdup(a, f->str, e->len);
		d->n++;
	}
	freeReplyObject(r);
	ds_key(&key, day, "dropped", NULL);
	argv[0] = "HGET";        lens[0] = 4;
	argv[1] = buf_str(&key); lens[1] = key.len;
	argv[2] = d->domain;     lens[2] = strlen(d->domain);
	r = farmcache_run(fc, 3, argv, lens);
	buf_free(&key);
	if (!r)
		return FARM_ERROR;
	if (r->type == REDIS_REPLY_STRING) {
		if (dmarcstore_count_parse(r->str, r->len, &n) == MS_OK)
			d->dropped = n;
		else
			d->bad++;
	}
	freeReplyObject(r);
	return FARM_HIT;
}

/* dmarcstore_read_day - every Policy Domain of a day */
enum farm_result dmarcstore_read_day(struct farmcache *fc, const char *day,
				     struct arena *a,
				     struct dmarcstore_domain **out,
				     size_t *n)
{
	struct dmarcstore_domain *ds;
	struct buf key;
	redisReply *r;
	size_t i;

	*out = NULL;
	*n = 0;
	buf_init(&key, BUF_UNLIMITED);
	ds_key(&key, day, "domains", NULL);
	r = farmcache_run_array(fc, "SMEMBERS", buf_str(&key), key.len);
	buf_free(&key);
	if (!r)
		return FARM_ERROR;
	ds = arena_alloc(a, (r->elements + 1) * sizeof(*ds));
	for (i = 0; i < r->elements; i++) {
		const redisReply *e = r->element[i];

		memset(&ds[*n], 0, sizeof(ds[*n]));
		if (e->type != REDIS_REPLY_STRING || e->len == 0 ||
		    e->len > MS_MAX_DOMAIN || memchr(e->str, 0, e->len))
			continue;       /* not a name we wrote */
		ds[(*n)++].domain = arena_memdup(a, e->str, e->len);
	}
	freeReplyObject(r);
	qsort(ds, *n, sizeof(*ds), ds_cmp_domain);
	for (i = 0; i < *n; i++)
		if (ds_read_domain(fc, day, a, &ds[i]) != FARM_HIT)
			return FARM_ERROR;
	*out = ds;
	return FARM_HIT;
}
