/*
 * sigstore.c - the farm's records of passing signatures in Redis
 * (farmcache.h: farmcache_note_signature, farmcache_sig_details,
 * farmcache_sig_record), over farmcache.c's connection.  Keys are
 * hash-tagged by the signature's id, so that each script touches one
 * slot of a Redis Cluster (redis/SCHEMA.md).
 */
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "farmcache.h"
#include "farmcache_int.h"
#include "hex.h"
#include "numparse.h"

#define FC_SIG_PREFIX "mailseal:sig:{"
#define FC_SIGTX_PREFIX "mailseal:sigtx:{"

/* first seen, last seen and distinct transactions, in one round trip */
static const char fc_sig_script[] =
	"redis.call('PFADD', KEYS[2], ARGV[1])\n"
	"redis.call('HSETNX', KEYS[1], 'first', ARGV[2])\n"
	"redis.call('HSET', KEYS[1], 'last', ARGV[2])\n"
	"redis.call('EXPIRE', KEYS[1], ARGV[3])\n"
	"redis.call('EXPIRE', KEYS[2], ARGV[3])\n"
	"return {redis.call('PFCOUNT', KEYS[2]),"
	" redis.call('HGET', KEYS[1], 'first')}\n";

/* the details of an accepted message's passing signature: the
 * signature's own (d, s, the aligned author domain) set each time, the
 * transaction's (client address, certificate key, time) only by the
 * first accepted transaction that carried it, its originator (a replay
 * from elsewhere does not rewrite who sent it first) */
static const char fc_sigdetail_script[] =
	"for i = 2, #ARGV, 2 do\n"
	"  local f = ARGV[i]\n"
	"  if f == 'ip' or f == 'spki' or f == 'accepted' then\n"
	"    redis.call('HSETNX', KEYS[1], f, ARGV[i + 1])\n"
	"  else\n"
	"    redis.call('HSET', KEYS[1], f, ARGV[i + 1])\n"
	"  end\n"
	"end\n"
	"redis.call('EXPIRE', KEYS[1], ARGV[1])\n"
	"return 1\n";

/* fc_sig_key - "mailseal:sig:{", 16 bytes of id in hex and "}" into k */
static size_t fc_sig_key(char *k, size_t size, const unsigned char *id)
{
	char h[33];

	/* the id is the hash tag */
	return (size_t)snprintf(k, size, "%s%s}", FC_SIG_PREFIX,
				hex_lower(id, 16, h));
}

/* farmcache_note_signature - record a transaction for a signature */
enum farm_result farmcache_note_signature(struct farmcache *fc,
					  const unsigned char *id,
					  const char *txid, uint64_t now,
					  unsigned ttl, struct farm_sig *out)
{
	char k1[64], k2[64], nows[24], ttls[16];
	const char *argv[8];
	size_t lens[8], n1, n2;
	redisReply *r;
	uint64_t first = now;

	/* 128 bits of the hash name it; sigtx: the same id */
	n1 = fc_sig_key(k1, sizeof(k1), id);
	n2 = (size_t)snprintf(k2, sizeof(k2), "%s%s", FC_SIGTX_PREFIX,
			      k1 + strlen(FC_SIG_PREFIX));
	snprintf(nows, sizeof(nows), "%llu", (unsigned long long)now);
	snprintf(ttls, sizeof(ttls), "%u", ttl ? ttl : 1);
	argv[0] = "EVAL";   lens[0] = 4;
	argv[1] = fc_sig_script; lens[1] = sizeof(fc_sig_script) - 1;
	argv[2] = "2";      lens[2] = 1;
	argv[3] = k1;       lens[3] = n1;
	argv[4] = k2;       lens[4] = n2;
	argv[5] = txid;     lens[5] = strlen(txid);
	argv[6] = nows;     lens[6] = strlen(nows);
	argv[7] = ttls;     lens[7] = strlen(ttls);
	r = farmcache_run(fc, 8, argv, lens);
	if (!r)
		return FARM_ERROR;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(r);
		return FARM_ERROR;
	}
	out->count = r->element[0]->integer > 0
		     ? (uint64_t)r->element[0]->integer : 0;
	if (r->element[1]->type == REDIS_REPLY_STRING)
		(void)num_parse_u64((const unsigned char *)r->element[1]->str,
				    r->element[1]->len, UINT64_MAX, &first);
	out->first_seen = first;
	out->last_seen = now;
	freeReplyObject(r);
	return FARM_HIT;
}

/* farmcache_sig_details - what an accepted message adds to the record
 * of its passing signature id */
enum farm_result farmcache_sig_details(struct farmcache *fc,
				       const unsigned char *id,
				       const struct farm_sig_details *d,
				       uint64_t now, unsigned ttl)
{
	const char *argv[5 + 2 * 6];
	size_t lens[5 + 2 * 6];
	char k[64], ttls[16], nows[24];
	const char *fields[6][2] = {
		{ "d", d->domain }, { "s", d->selector },
		{ "aligned", d->aligned }, { "ip", d->client_ip },
		{ "spki", d->client_spki }, { "accepted", nows },
	};
	int argc = 0;
	size_t i;
	redisReply *r;

	snprintf(ttls, sizeof(ttls), "%u", ttl ? ttl : 1);
	snprintf(nows, sizeof(nows), "%llu", (unsigned long long)now);
	argv[argc] = "EVAL";
	lens[argc++] = 4;
	argv[argc] = fc_sigdetail_script;
	lens[argc++] = sizeof(fc_sigdetail_script) - 1;
	argv[argc] = "1";
	lens[argc++] = 1;
	argv[argc] = k;
	lens[argc++] = fc_sig_key(k, sizeof(k), id);
	argv[argc] = ttls;
	lens[argc++] = strlen(ttls);
	for (i = 0; i < 6; i++) {
		if (!fields[i][1] || !*fields[i][1])
			continue;
		argv[argc] = fields[i][0];
		lens[argc++] = strlen(fields[i][0]);
		argv[argc] = fields[i][1];
		lens[argc++] = strlen(fields[i][1]);
	}
	r = farmcache_run(fc, argc, argv, lens);
	if (!r)
		return FARM_ERROR;
	freeReplyObject(r);
	return FARM_HIT;
}

/* farmcache_sig_record - the record of signature id */
enum farm_result farmcache_sig_record(struct farmcache *fc,
				      const unsigned char *id,
				      struct arena *a,
				      struct farm_sig_record *rec)
{
	char k[64];
	size_t i;
	redisReply *r;

	memset(rec, 0, sizeof(*rec));
	r = farmcache_run_array(fc, "HGETALL", k, fc_sig_key(k, sizeof(k), id));
	if (!r)
		return FARM_ERROR;
	if (r->elements % 2) {
		freeReplyObject(r);
		return FARM_ERROR;
	}
	for (i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *f = r->element[i], *v = r->element[i + 1];
		const char *s;

		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		s = arena_memdup(a, v->str, v->len);
		if (strcmp(f->str, "first") == 0)
			(void)num_parse_u64((const unsigned char *)s, v->len,
					    UINT64_MAX, &rec->first);
		else if (strcmp(f->str, "last") == 0)
			(void)num_parse_u64((const unsigned char *)s, v->len,
					    UINT64_MAX, &rec->last);
		else if (strcmp(f->str, "accepted") == 0)
			(void)num_parse_u64((const unsigned char *)s, v->len,
					    UINT64_MAX, &rec->accepted);
		else if (strcmp(f->str, "d") == 0)
			rec->domain = s;
		else if (strcmp(f->str, "s") == 0)
			rec->selector = s;
		else if (strcmp(f->str, "aligned") == 0)
			rec->aligned = s;
		else if (strcmp(f->str, "ip") == 0)
			rec->client_ip = s;
		else if (strcmp(f->str, "spki") == 0)
			rec->client_spki = s;
	}
	freeReplyObject(r);
	return rec->first || rec->accepted ? FARM_HIT : FARM_MISS;
}
