/*
 * txtable.c - what the policy side learned of a transaction (its SASL
 * user), kept for the milter side of the same process, keyed by
 * Postfix's queue id.
 *
 * A fixed table of slots under one lock: a slot holds one queue id
 * for at most TXT_TTL seconds and a newer entry that hashes to the
 * same slot replaces it.  The milter side also has the {auth_authen}
 * macro; this table is what it falls back on when Postfix is not told
 * to send it, so losing an entry to a collision only loses that
 * fallback.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "policyd.h"

#define TXT_SLOTS 8192
#define TXT_TTL 3600
#define TXT_QID 64
#define TXT_USER 256

struct txt_slot {
	char qid[TXT_QID];
	char user[TXT_USER];
	time_t when;
};

static struct txt_slot txt[TXT_SLOTS];
static pthread_mutex_t txt_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t txt_hash(const char *s)
{
	size_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h % TXT_SLOTS;
}

/* txtable_put - queue id qid was authenticated as user */
void txtable_put(const char *qid, const char *user)
{
	struct txt_slot *s;

	if (!*qid || strlen(qid) >= TXT_QID || strlen(user) >= TXT_USER)
		return;
	s = &txt[txt_hash(qid)];
	pthread_mutex_lock(&txt_lock);
	snprintf(s->qid, sizeof(s->qid), "%s", qid);
	snprintf(s->user, sizeof(s->user), "%s", user);
	s->when = time(NULL);
	pthread_mutex_unlock(&txt_lock);
}

/* txtable_get - the user of qid, 0 when unknown */
int txtable_get(const char *qid, char *user, size_t n)
{
	struct txt_slot *s;
	int found = 0;

	if (!*qid || strlen(qid) >= TXT_QID)
		return 0;
	s = &txt[txt_hash(qid)];
	pthread_mutex_lock(&txt_lock);
	if (strcmp(s->qid, qid) == 0 && time(NULL) - s->when <= TXT_TTL) {
		snprintf(user, n, "%s", s->user);
		found = 1;
	}
	pthread_mutex_unlock(&txt_lock);
	return found;
}
