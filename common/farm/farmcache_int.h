/*
 * farmcache_int.h - for the farm layer's own modules (dmarcstore.c):
 * one command over the farm's connection, with farmcache.c's lazy
 * connect, timeouts, back-off and once-a-node outage log.  Not for the
 * layers above: they use the functions of their module's header.
 */
#ifndef MAILSEAL_FARMCACHE_INT_H
#define MAILSEAL_FARMCACHE_INT_H

#include <stddef.h>
#include <hiredis/hiredis.h>
#include "farmcache.h"

/* farmcache_run - argv with explicit lengths; the reply (the caller
 * frees it) or NULL when Redis is skipped, failed or answered an error
 * (counted, logged as farmcache.c does) */
redisReply *farmcache_run(struct farmcache *fc, int argc, const char **argv,
			  const size_t *lens);
/* farmcache_run_array - CMD KEY (HGETALL, SMEMBERS...), whose reply
 * must be an array: it (the caller frees it), or NULL as farmcache_run
 * or when the reply is of another type */
redisReply *farmcache_run_array(struct farmcache *fc, const char *cmd,
				const char *key, size_t key_len);
/* farmcache_run_many - n commands in one round trip (pipelined): the
 * last one's reply (the caller frees it), or NULL as farmcache_run
 * when Redis is skipped, fails, or answers any of them with an error */
redisReply *farmcache_run_many(struct farmcache *fc, size_t n,
			       const int *argc, const char **const *argv,
			       const size_t *const *lens);

#endif
