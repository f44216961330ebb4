/*
 * rediscluster.h - what mailseal knows of Redis Cluster, over hiredis
 * 0.14 (which knows nothing of it): the slot of a key, the slot map
 * learnt from CLUSTER SLOTS, a connection per master, and the MOVED /
 * ASK redirections.  farmcache.c decides when Redis is asked at all
 * (fork, back-off) and opens connections (timeouts, close-on-exec)
 * through the hooks of struct rc_io; every failure is handed to its
 * fail hook, which must drop this module's connections
 * (rcluster_disconnect).
 *
 * Replies are untrusted: every element is checked for type, count and
 * range; anything unexpected is refused (MS_ERR_SYNTAX) and the map is
 * left as it was.  Only masters are kept: replicas are never written to.
 * A map holds at most RC_MAX_NODES distinct masters, addresses copied
 * in (no pointer into a reply is kept).
 */
#ifndef MAILSEAL_REDISCLUSTER_H
#define MAILSEAL_REDISCLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>
#include "status.h"

#define RC_SLOTS 16384
#define RC_MAX_NODES 64
#define RC_MAX_HOST 255

struct rc_addr {
	char host[RC_MAX_HOST + 1];
	int port;
};

struct rcmap {
	struct rc_addr nodes[RC_MAX_NODES];
	size_t nnodes;
	uint8_t owner[RC_SLOTS];        /* node index + 1; 0: unknown */
};

/* rc_crc16 - CRC16/XMODEM (polynomial 0x1021, init 0), Redis's */
uint16_t rc_crc16(const unsigned char *p, size_t len);
/* rc_slot - the slot of a key: the CRC16 of its {hash tag} (the bytes
 * between the first '{' and the next '}', when not empty) or of the
 * whole key, modulo 16384 */
unsigned rc_slot(const unsigned char *key, size_t len);
/* rc_command_slot - the slot a command's first key names (EVAL and
 * EVALSHA: the first of KEYS, or none with 0 keys; MULTI, EXEC and
 * commands of one word: none): the slot, or -1 when it names no key */
int rc_command_slot(int argc, const char **argv, const size_t *lens);
/* rcmap_parse - a CLUSTER SLOTS reply into *m (its masters only);
 * MS_ERR_SYNTAX (and *m unchanged) when the reply is not one */
enum ms_status rcmap_parse(struct rcmap *m, const redisReply *r);
/* rcmap_node - the master of slot, or NULL when not known */
const struct rc_addr *rcmap_node(const struct rcmap *m, unsigned slot);
/* rcmap_set - slot now served by addr (after a MOVED); MS_ERR_LIMIT
 * when the map has no room for one more node */
enum ms_status rcmap_set(struct rcmap *m, unsigned slot,
			 const struct rc_addr *addr);

enum rc_redirect {
	RC_NONE = 0,                    /* not a redirection */
	RC_MOVED,                       /* the slot lives elsewhere now */
	RC_ASK,                         /* this once: ASKING, then retry */
};
/* rc_redirect_parse - an error reply's text ("MOVED 3999 host:port",
 * "ASK 3999 host:port"): its kind, slot and address; RC_NONE for any
 * other text or a malformed one */
enum rc_redirect rc_redirect_parse(const char *p, size_t len,
				   unsigned *slot, struct rc_addr *addr);


/* what farmcache.c lends: connect (a context, maybe in error, or NULL)
 * and fail (the node skipped; errno_was the errno of the failure, 0
 * when none; where NULL: the cluster as a whole) */
struct rc_io {
	redisContext *(*connect)(void *arg, const struct rc_addr *a);
	void (*fail)(void *arg, const struct rc_addr *where, const char *what,
		     int errno_was);
	void *arg;
	unsigned learn_ms;              /* asking for the map: at most this */
};

struct rcluster;
/* rcluster_new - a cluster known by its seeds (copied); nothing is
 * asked until first use */
struct rcluster *rcluster_new(const struct rc_addr *seeds, size_t nseeds,
			      const struct rc_io *io);
/* rcluster_free - the connections closed, everything released */
void rcluster_free(struct rcluster *rc);
/* rcluster_disconnect - every connection closed (after a fork, or a
 * failure) */
void rcluster_disconnect(struct rcluster *rc);
/* rcluster_ready - the connection to the master of slot (-1: any), the
 * map learnt first when it is not known or a MOVED made it stale; NULL
 * after the fail hook was called */
redisContext *rcluster_ready(struct rcluster *rc, int slot);
/* rcluster_redirect - is error reply r a MOVED (the map updated and
 * marked stale) or an ASK (*ask filled)? */
enum rc_redirect rcluster_redirect(struct rcluster *rc, const redisReply *r,
				   struct rc_addr *ask);
/* rcluster_send - argv to its slot's master, redirections followed
 * (ASKING before a command asked elsewhere), at most max_redirects:
 * the reply, error or not, or NULL after the fail hook was called */
redisReply *rcluster_send(struct rcluster *rc, int argc, const char **argv,
			  const size_t *lens, int max_redirects);
/* rcluster_redirects - MOVED and ASK followed so far */
unsigned long rcluster_redirects(const struct rcluster *rc);

#endif
