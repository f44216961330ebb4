/*
 * txtable.c - what the policy side learned of an SMTP transaction,
 * handed to the milter side of the same process for that transaction
 * only: the SASL user, and the SPF outcome checked before DATA.
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
 * taken slot replaces the older one.  A lost note only costs work or
 * a fallback, never a wrong result: the SASL user is only the milter
 * side's fallback for an MTA that is not told to send {auth_authen}
 * (mconn.c), so the message is then verified, never signed in someone
 * else's name; without an SPF note the milter side checks SPF itself.
 *
 * The SPF outcome (CVE-2019-20790: a result must never be taken for
 * another identity, session or transaction).  It is a function of the
 * client address, the HELO name and the envelope sender alone (and of
 * DNS).  The key binds the first and the last; the note adds the HELO
 * name and, when Postfix sends it (client_port, 3.8 and later), the
 * client's port, and the milter side uses the outcome only when they
 * equal its own CONNECT and HELO (mconn.c).  So even a queue id that
 * Postfix reused within TXT_TTL for another transaction of the same
 * client, sender and HELO name can only hand over the result of that
 * very identity, which the milter would compute again from the same
 * DNS.  An outcome whose strings do not fit the buffers is not handed
 * over at all (a truncated domain or sender could name another
 * identity): the milter side checks.
 *
 * For the same reason an SPF outcome needs no queue id: Postfix has
 * none at the first RCPT (smtpd_delay_open_until_valid_rcpt), where
 * the check is made, and asking again at DATA only to learn it would
 * cost a policy round trip per message.  A key with an empty queue id
 * is an identity note: it holds the SPF outcome only (never a SASL
 * user, which must be bound to its transaction), and the milter side
 * reads it when the transaction's own note has no SPF outcome, only
 * if it was made since that transaction's MAIL (within a second: the
 * milter side may read MAIL after the policy side answered RCPT), so
 * never an outcome older than the message.  It is not
 * used up: concurrent sessions of one identity (Postfix before 3.8
 * sends no port) share its slot, the later note replacing the earlier,
 * and each reads the outcome of its own identity, made during its own
 * transaction.  Where Postfix sends the client's port, an identity
 * note's key has it too (struct tx_key), so that concurrent sessions
 * of one client, sender and HELO name each have a slot of their own;
 * only such a note carries the session's certificate key hash (for the
 * farm's record of the message's signatures), since without the port
 * two sessions of one client could swap certificates.
 *
 * Unlike the SASL user, the SPF outcome is used whether or not Postfix
 * took the milter's macro lists (SMFIF_SETSYMLIST): with them Postfix's
 * {auth_authen} is the authority on authentication and a note must not
 * contradict it, but nothing in the milter protocol carries an SPF
 * result, so there is no authority to contradict; the binding above
 * is what makes the note safe, in both cases.  Like every note, it can
 * be planted by any client of the policy socket: keep that socket for
 * Postfix alone (docs/postfix.md).
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
	char port[TXT_PORT];
	struct tx_note note;
	time_t when;                    /* 0: empty */
};

static struct txt_slot txt[TXT_SLOTS];
static pthread_mutex_t txt_lock = PTHREAD_MUTEX_INITIALIZER;

/* txt_hash - the slot of a key: every part counts */
static size_t txt_hash(const struct tx_key *k)
{
	const char *parts[4] = { k->qid, k->client, k->sender,
				 k->port ? k->port : "" };
	size_t h = 5381, i;
	const char *s;

	for (i = 0; i < 4; i++) {
		for (s = parts[i]; *s; s++)
			h = h * 33 + (unsigned char)*s;
		h = h * 33 + 0xff;      /* "ab"+"c" is not "a"+"bc" */
	}
	return h % TXT_SLOTS;
}

/* txt_usable - a key that can name a transaction or an identity
 * (queue id ""): parts that fit the slots (a truncated part could
 * match another) */
static int txt_usable(const struct tx_key *k)
{
	return strlen(k->qid) < TXT_QID &&
	       strlen(k->client) < TXT_CLIENT && strlen(k->sender) < TXT_SENDER &&
	       (!k->port || strlen(k->port) < TXT_PORT);
}

static int txt_matches(const struct txt_slot *s, const struct tx_key *k,
		       time_t now)
{
	return s->when && now - s->when <= TXT_TTL &&
	       strcmp(s->qid, k->qid) == 0 && strcmp(s->client, k->client) == 0 &&
	       strcmp(s->sender, k->sender) == 0 &&
	       strcmp(s->port, k->port ? k->port : "") == 0;
}

/* txtable_put - note n for the transaction k (for an identity note,
 * queue id "": its SPF outcome, and the certificate's key hash when the
 * key has the client's port) */
void txtable_put(const struct tx_key *k, const struct tx_note *n)
{
	struct txt_slot *s;

	if (!txt_usable(k) ||
	    (!*k->qid && !n->spf.known && !(*n->spki && k->port && *k->port)))
		return;
	s = &txt[txt_hash(k)];
	pthread_mutex_lock(&txt_lock);
	snprintf(s->qid, sizeof(s->qid), "%s", k->qid);
	snprintf(s->client, sizeof(s->client), "%s", k->client);
	snprintf(s->sender, sizeof(s->sender), "%s", k->sender);
	snprintf(s->port, sizeof(s->port), "%s", k->port ? k->port : "");
	s->note = *n;
	if (!*k->qid) {
		memset(s->note.user, 0, sizeof(s->note.user));
		/* a session's certificate: only with the session's port */
		if (!k->port || !*k->port)
			memset(s->note.spki, 0, sizeof(s->note.spki));
	}
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

/* txtable_peek_since - the note at k into n, left in place, when it
 * was made at or after since (time(NULL) seconds); 0 when none */
int txtable_peek_since(const struct tx_key *k, time_t since,
		       struct tx_note *n)
{
	struct txt_slot *s;
	int found = 0;

	if (!txt_usable(k))
		return 0;
	s = &txt[txt_hash(k)];
	pthread_mutex_lock(&txt_lock);
	if (txt_matches(s, k, time(NULL)) && s->when >= since) {
		*n = s->note;
		found = 1;
	}
	pthread_mutex_unlock(&txt_lock);
	return found;
}

/* txtable_drop - forget the note of transaction k, if any */
void txtable_drop(const struct tx_key *k)
{
	struct tx_note n;

	(void)txtable_take(k, &n);
}

/* tx_copy - s into a buffer of size n; -1 when it does not fit */
static int tx_copy(char *to, size_t n, const char *s)
{
	size_t len = s ? strlen(s) : 0;

	to[0] = 0;
	if (len >= n)
		return -1;
	memcpy(to, s ? s : "", len + 1);
	return 0;
}

/* tx_spf_set - an outcome into fixed buffers, whole or not at all */
int tx_spf_set(struct tx_spf *t, const struct spf_outcome *o,
	       const char *helo, const char *port)
{
	memset(t, 0, sizeof(*t));
	if (tx_copy(t->helo, sizeof(t->helo), helo) != 0 ||
	    tx_copy(t->port, sizeof(t->port), port) != 0 ||
	    tx_copy(t->identity, sizeof(t->identity), o->identity) != 0 ||
	    tx_copy(t->domain, sizeof(t->domain), o->domain) != 0 ||
	    tx_copy(t->sender, sizeof(t->sender), o->sender) != 0 ||
	    tx_copy(t->mechanism, sizeof(t->mechanism), o->mechanism) != 0 ||
	    tx_copy(t->reason, sizeof(t->reason), o->reason) != 0 ||
	    tx_copy(t->explanation, sizeof(t->explanation), o->explanation) != 0) {
		memset(t, 0, sizeof(*t));
		return -1;
	}
	t->result = o->result;
	t->dns_terms = o->dns_terms;
	t->voids = o->voids;
	t->queries = o->queries;
	t->known = 1;
	return 0;
}

/* tx_spf_outcome - the engine's view of a note's outcome: the optional
 * strings NULL when empty, as the checker leaves them */
void tx_spf_outcome(const struct tx_spf *t, struct spf_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->result = t->result;
	o->identity = t->identity;
	o->domain = t->domain;
	o->sender = t->sender;
	o->mechanism = *t->mechanism ? t->mechanism : NULL;
	o->reason = *t->reason ? t->reason : NULL;
	o->explanation = *t->explanation ? t->explanation : NULL;
	o->dns_terms = t->dns_terms;
	o->voids = t->voids;
	o->queries = t->queries;
}
