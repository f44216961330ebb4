/*
 * txtable.c - what the policy side learned of an SMTP transaction,
 * handed to the milter side of the same process for that transaction
 * only (today the SASL user; the note is made to carry more per
 * transaction results of the policy side later, such as SPF).
 *
 * Postfix's two interfaces share no transaction id.  A note is bound to
 * the queue id, the client address and the envelope sender together:
 * Postfix reuses short queue ids, and several Postfix hosts or
 * instances on one inet: daemon share no queue id space, so a queue id
 * alone would let a later, unauthenticated transaction find an earlier
 * one's note.  A note is used up: the milter side takes it (removing
 * it) when the message starts and drops what is left under its key at
 * the end of the message or an abort; one left unused goes after
 * TXT_TTL seconds.
 *
 * A fixed table of slots under one lock: a note that hashes to a
 * taken slot replaces the older one.  This table is only the milter
 * side's fallback for an MTA that is not told to send {auth_authen}
 * (mconn.c), so a lost note only loses that fallback: the message is
 * then verified, never signed in someone else's name.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "policyd.h"

#define TXT_SLOTS 8192

struct txt_slot {
	char qid[TXT_QID];
	char client[TXT_CLIENT];
	char sender[TXT_SENDER];
	struct tx_note note;
	time_t when;                    /* 0: empty */
};

static struct txt_slot txt[TXT_SLOTS];
static pthread_mutex_t txt_lock = PTHREAD_MUTEX_INITIALIZER;

/* txt_hash - the slot of a key: every part counts */
static size_t txt_hash(const struct tx_key *k)
{
	const char *parts[3] = { k->qid, k->client, k->sender };
	size_t h = 5381, i;
	const char *s;

	for (i = 0; i < 3; i++) {
		for (s = parts[i]; *s; s++)
			h = h * 33 + (unsigned char)*s;
		h = h * 33 + 0xff;      /* "ab"+"c" is not "a"+"bc" */
	}
	return h % TXT_SLOTS;
}

/* txt_usable - a key that can name a transaction: a queue id, and
 * parts that fit the slots (a truncated part could match another) */
static int txt_usable(const struct tx_key *k)
{
	return *k->qid && strlen(k->qid) < TXT_QID &&
	       strlen(k->client) < TXT_CLIENT && strlen(k->sender) < TXT_SENDER;
}

static int txt_matches(const struct txt_slot *s, const struct tx_key *k,
		       time_t now)
{
	return s->when && now - s->when <= TXT_TTL &&
	       strcmp(s->qid, k->qid) == 0 && strcmp(s->client, k->client) == 0 &&
	       strcmp(s->sender, k->sender) == 0;
}

/* txtable_put - note n for the transaction k */
void txtable_put(const struct tx_key *k, const struct tx_note *n)
{
	struct txt_slot *s;

	if (!txt_usable(k))
		return;
	s = &txt[txt_hash(k)];
	pthread_mutex_lock(&txt_lock);
	snprintf(s->qid, sizeof(s->qid), "%s", k->qid);
	snprintf(s->client, sizeof(s->client), "%s", k->client);
	snprintf(s->sender, sizeof(s->sender), "%s", k->sender);
	s->note = *n;
	s->when = time(NULL);
	pthread_mutex_unlock(&txt_lock);
}

/* txtable_take - the note of transaction k into n, removed; 0 when
 * there is none (or it is too old) */
int txtable_take(const struct tx_key *k, struct tx_note *n)
{
	struct txt_slot *s;
	int found = 0;

	if (!txt_usable(k))
		return 0;
	s = &txt[txt_hash(k)];
	pthread_mutex_lock(&txt_lock);
	if (txt_matches(s, k, time(NULL))) {
		*n = s->note;
		found = 1;
	}
	if (found)
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&txt_lock);
	return found;
}

/* txtable_drop - forget the note of transaction k, if any */
void txtable_drop(const struct tx_key *k)
{
	struct tx_note n;

	(void)txtable_take(k, &n);
}
