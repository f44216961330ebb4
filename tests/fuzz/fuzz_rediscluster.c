/*
 * fuzz_rediscluster.c - libFuzzer target: what a Redis Cluster node
 * answers, read by hiredis's reader and handed to rcmap_parse (a
 * CLUSTER SLOTS reply) and rc_redirect_parse (the text of an error
 * reply); and the slot of the raw bytes as a key.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "rediscluster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* huge_array - does the input declare an array of 10000 or more
 * elements?  hiredis 0.14's reader (no maxelements) allocates what the
 * count says before any element arrives: not ours to fuzz */
static int huge_array(const uint8_t *p, size_t n)
{
	size_t i, d;

	for (i = 0; i < n; i++) {
		if (p[i] != '*')
			continue;
		for (d = 0; i + 1 + d < n && p[i + 1 + d] >= '0' &&
			    p[i + 1 + d] <= '9'; d++)
			;
		if (d > 4)
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rcmap m;
	redisReader *rd = redisReaderCreate();
	struct rc_addr a;
	unsigned slot, i;
	void *r = NULL;

	if (rc_slot(data, size) >= RC_SLOTS)
		__builtin_trap();
	if (rc_redirect_parse((const char *)data, size, &slot, &a) != RC_NONE &&
	    (slot >= RC_SLOTS || a.port <= 0 || a.port > 65535 ||
	     strlen(a.host) == 0 || strlen(a.host) > RC_MAX_HOST))
		__builtin_trap();
	if (rd && !huge_array(data, size) && redisReaderFeed(rd, (const char *)data, size) == REDIS_OK &&
	    redisReaderGetReply(rd, &r) == REDIS_OK && r) {
		if (rcmap_parse(&m, r) == MS_OK) {
			if (m.nnodes > RC_MAX_NODES)
				__builtin_trap();
			for (i = 0; i < RC_SLOTS; i++)
				if (m.owner[i] > m.nnodes)
					__builtin_trap();
		}
		freeReplyObject(r);
	}
	if (rd)
		redisReaderFree(rd);
	return 0;
}
