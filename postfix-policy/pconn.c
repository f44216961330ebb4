/*
 * pconn.c - one client of the policy delegation protocol: read a
 * request, answer with exactly one action, until the client closes.
 *
 * What this stage decides (docs/postfix.md):
 *  - an authenticated transaction (sasl_username) is noted for the
 *    milter side, bound to that transaction (txtable.c), for an MTA
 *    that does not send the milter {auth_authen};
 *  - mail from a require_tls domain must come over TLS with a client
 *    certificate that verified (a non-empty ccert_subject: Postfix
 *    sends the fingerprints for any certificate, the subject only for
 *    one that verified) and, when pinned, one of the pins; otherwise
 *    "550 5.7.1 ..." is the action;
 *  - with check_spf (or check_dmarc), the SPF check of the envelope (client_address,
 *    helo_name, sender) at MAIL, RCPT or DATA, unless sasl_username:
 *    a refusal (550 5.7.23, 550 5.7.24, 451 4.4.3, as the settings
 *    say) is the action.  A transaction is checked once: the
 *    connection (one smtpd process's, so one session at a time)
 *    remembers the outcome for the requests with the same instance,
 *    client address and port, sender and HELO name, and the queue id
 *    once Postfix has one.  The outcome, when accepted, is noted for
 *    the milter side: under the identity alone where Postfix has no
 *    queue id yet (the first RCPT), then under the queue id too
 *    (txtable.c).  In an
 *    event loop the check is made at once when every DNS answer it
 *    needs is in memory (pspf_run_cached: the engines of a
 *    configuration share their in-process cache); otherwise it runs in
 *    pspf's threads and the answer waits (policy_resume); with too many checks in flight or past the wait
 *    limit the answer is DUNNO and the milter side checks at the end of
 *    DATA (it does whenever no note reached it);
 *  - everything else is DUNNO, so the rest of the restriction list
 *    decides.
 * On trouble (a malformed request, no engine) there is no reply: the
 * connection is closed and logged, and Postfix applies its default
 * action, as the protocol prescribes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "hex.h"
#include "msclock.h"
#include "policyd.h"
#include "policyproto.h"
#include "tlspins.h"
#include "xalloc.h"

/* pc_state_ok - a stage before the message content (MAIL, RCPT,
 * DATA): at END-OF-MESSAGE the milter has seen the message already,
 * and a note would only wait for a later transaction */
static int pc_state_ok(const char *state)
{
	static const char *const states[] = { "MAIL", "RCPT", "DATA" };
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(state, states[i]) == 0)
			return 1;
	return 0;
}

/* pc_spki - the request's client certificate key hash for a note: only
 * of a certificate that verified (ccert_subject), only SHA-256, as
 * lower-case hex; "" otherwise */
static void pc_spki(const struct pp_request *rq, char out[TXT_SPKI])
{
	const char *fp = pp_get_or(rq, "ccert_pubkey_fingerprint");
	unsigned char b[TLSPIN_LEN];

	out[0] = 0;
	if (*pp_get_or(rq, "ccert_subject") &&
	    tlspin_parse_hex(fp, strlen(fp), b) == 0)
		hex_lower(b, TLSPIN_LEN, out);
}

/* pc_note_put - a note for the transaction k: the SASL user (or ""),
 * the SPF outcome of tx, when it was checked and accepted, and the
 * client certificate's key hash (spki, or "") */
static void pc_note_put(const struct tx_key *k, const char *user,
			const struct pc_tx *tx, const char *spki)
{
	struct tx_note n;

	memset(&n, 0, sizeof(n));
	if (strlen(user) < sizeof(n.user))
		memcpy(n.user, user, strlen(user) + 1);
	if (tx && tx->checked && tx->spf.known && !*tx->refusal)
		n.spf = tx->spf;
	if (strlen(spki) < sizeof(n.spki))
		memcpy(n.spki, spki, strlen(spki) + 1);
	if (*n.user || n.spf.known || *n.spki)
		txtable_put(k, &n);
}

/* pc_note - what the milter side may use of this request: the SASL
 * user, the SPF outcome of this transaction (tx, or NULL) and the
 * client certificate's key hash, for this transaction only.  Only
 * before the message content; the SASL user only once Postfix has a
 * queue id (from the second RCPT on, or at DATA), the rest before that
 * as an identity note. */
static void pc_note(const struct pp_request *rq, const struct pc_tx *tx)
{
	struct tx_key k = {
		.qid = pp_get_or(rq, "queue_id"),
		.client = pp_get_or(rq, "client_address"),
		.sender = pp_get_or(rq, "sender"),
	};
	char spki[TXT_SPKI];

	if (!*k.qid)
		k.port = pp_get_or(rq, "client_port");  /* an identity note */
	pc_spki(rq, spki);
	if (pc_state_ok(pp_get_or(rq, "protocol_state")))
		pc_note_put(&k, pp_get_or(rq, "sasl_username"), tx, spki);
}

/* pc_spf_wanted - does this request get an SPF check here: check_spf
 * on, a stage before the content, a client address, no SASL login
 * (the engine exempts trusted_networks itself) */
static int pc_spf_wanted(const struct worker *w, const struct pp_request *rq)
{
	return w->gen && policy_spf_on(&w->gen->cfg) &&
	       pc_state_ok(pp_get_or(rq, "protocol_state")) &&
	       *pp_get_or(rq, "client_address") &&
	       !*pp_get_or(rq, "sasl_username");
}

/* pc_tx_same - is the request of the transaction tx remembers?  Every
 * input of the check must be the same, and the same transaction of
 * Postfix (instance); a queue id once known must not change, and one
 * unknown yet is learned (Postfix has none at the first RCPT) */
static int pc_tx_same(struct pc_tx *tx, const struct pp_request *rq)
{
	const char *qid = pp_get_or(rq, "queue_id");

	if (!tx->valid ||
	    strcmp(tx->instance, pp_get_or(rq, "instance")) != 0 ||
	    strcmp(tx->client, pp_get_or(rq, "client_address")) != 0 ||
	    strcmp(tx->port, pp_get_or(rq, "client_port")) != 0 ||
	    strcmp(tx->sender, pp_get_or(rq, "sender")) != 0 ||
	    strcmp(tx->helo, pp_get_or(rq, "helo_name")) != 0 ||
	    (*tx->qid && strcmp(tx->qid, qid) != 0))
		return 0;
	if (!*tx->qid && strlen(qid) < sizeof(tx->qid))
		memcpy(tx->qid, qid, strlen(qid) + 1);
	return 1;
}

/* pc_job_new - a check of this request's envelope; NULL when a value
 * does not fit (not checked here: the milter side checks) */
static struct spf_job *pc_job_new(const struct pp_request *rq)
{
	struct spf_job *j = xcalloc(1, sizeof(*j));
#define PC_CP(f, name) \
	(strlen(pp_get_or(rq, name)) < sizeof(j->f) && \
	 (memcpy(j->f, pp_get_or(rq, name), strlen(pp_get_or(rq, name)) + 1), 1))

	if (PC_CP(instance, "instance") && PC_CP(qid, "queue_id") &&
	    PC_CP(client, "client_address") && PC_CP(port, "client_port") &&
	    PC_CP(helo, "helo_name") && PC_CP(sender, "sender") &&
	    PC_CP(state, "protocol_state")) {
		snprintf(j->client_name, sizeof(j->client_name), "%s",
			 pp_get_or(rq, "client_name"));
		pc_spki(rq, j->spki);
		return j;
	}
#undef PC_CP
	dlog(LOG_INFO, "%s: mailseal: an envelope value too long for the SPF check at %.20s; the milter side checks",
	     *pp_get_or(rq, "queue_id") ? pp_get_or(rq, "queue_id") : "NOQUEUE",
	     pp_get_or(rq, "protocol_state"));
	free(j);
	return NULL;
}

/* pc_finish - a finished check: remembered for the transaction, handed
 * to the milter side when the queue id is known, and the action */
static int pc_finish(struct pc_session *s, const struct spf_job *j,
		     char *action, size_t size)
{
	struct pc_tx *tx = &s->tx;
	struct tx_key k = { j->qid, j->client, j->sender,
			    *j->qid ? "" : j->port };

	if (j->failed)
		return -1;
	memset(tx, 0, sizeof(*tx));
	tx->valid = 1;
	memcpy(tx->instance, j->instance, sizeof(tx->instance));
	memcpy(tx->qid, j->qid, sizeof(tx->qid));
	memcpy(tx->client, j->client, sizeof(tx->client));
	memcpy(tx->port, j->port, sizeof(tx->port));
	memcpy(tx->sender, j->sender, sizeof(tx->sender));
	memcpy(tx->helo, j->helo, sizeof(tx->helo));
	tx->checked = j->checked;
	tx->spf = j->spf;
	memcpy(tx->refusal, j->refusal, sizeof(tx->refusal));
	pc_note_put(&k, "", tx, j->spki);
	snprintf(action, size, "%s", *tx->refusal ? tx->refusal : "DUNNO");
	return 0;
}

/* pc_overloaded - a check not made here: cap checks in flight; logged
 * at most every 10 s */
static void pc_overloaded(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static uint64_t last;
	static unsigned long missed;
	uint64_t now = ms_clock_ms();

	pthread_mutex_lock(&lock);
	missed++;
	if (!last || now - last >= 10000) {
		dlog(LOG_WARNING, "SPF before DATA: too many checks in flight (max_connections); DUNNO, the milter side checks at the end of DATA (%lu since the last warning)",
		     missed);
		missed = 0;
		last = now;
	}
	pthread_mutex_unlock(&lock);
}

/* pc_spf - the SPF step of a request the sender rule accepted: the
 * transaction's outcome when it was checked already, else a check
 * (here, or parked in *jobp with async); action stays DUNNO unless the
 * outcome refuses */
static int pc_spf(struct worker *w, struct pc_session *s,
		  const struct pp_request *rq, char *action, size_t size,
		  const struct pc_async *async, struct spf_job **jobp)
{
	struct spf_job *j;
	int rc;

	if (!pc_spf_wanted(w, rq)) {
		pc_note(rq, NULL);
		return 0;
	}
	if (pc_tx_same(&s->tx, rq)) {
		pc_note(rq, &s->tx);
		if (*s->tx.refusal)
			snprintf(action, size, "%s", s->tx.refusal);
		return 0;
	}
	s->tx.valid = 0;
	j = pc_job_new(rq);
	if (!j)
		return 0;
	if (!async) {
		pspf_run(w, j);
		rc = pc_finish(s, j, action, size);
		free(j);
		return rc;
	}
	if (pspf_run_cached(w, j) == 0) {
		/* every answer was in memory: no thread, no wait */
		rc = pc_finish(s, j, action, size);
		free(j);
		return rc;
	}
	j->done = async->done;
	j->loop = async->loop;
	j->owner = async->owner;
	if (pspf_submit(j) != 0) {
		free(j);
		pc_overloaded();
		return 0;
	}
	*jobp = j;
	return 0;
}

/* pc_digest_check - Postfix hashes client keys with
 * smtpd_tls_fingerprint_digest (SHA-256 only from compatibility level
 * 3.6): a ccert_pubkey_fingerprint of another length can match no pin
 * of tls_policy; said once per process */
static void pc_digest_check(const char *fp)
{
	static atomic_int warned;
	size_t hex = 0;

	if (!fp || !*fp)
		return;
	for (; *fp; fp++)
		hex += *fp != ':';
	if (hex != 64 && atomic_exchange(&warned, 1) == 0)
		dlog(LOG_WARNING, "ccert_pubkey_fingerprint has %zu hex digits, not the 64 of SHA-256: "
		     "tls_policy pins cannot match; set smtpd_tls_fingerprint_digest = sha256 "
		     "in Postfix's main.cf (the default from compatibility_level 3.6)", hex);
}

/* pc_decide - the action for one request, into action; or *jobp, a
 * check that decides it later */
static int pc_decide(struct worker *w, struct pc_session *s,
		     const struct pp_request *rq, char *action, size_t size,
		     const struct pc_async *async, struct spf_job **jobp)
{
	const char *qid = pp_get_or(rq, "queue_id");
	const char *sender = pp_get_or(rq, "sender");
	struct policy_verdict v;
	struct policy_tls tls = { 0 };
	struct buf subject;
	struct policy *p;
	int rc = 0;

	p = worker_engine(w);
	if (!p)
		return -1;
	snprintf(action, size, "DUNNO");
	if (strcmp(pp_get_or(rq, "request"), "smtpd_access_policy") != 0) {
		dlog(LOG_WARNING, "policy request type \"%.60s\" is not smtpd_access_policy: DUNNO",
		     pp_get_or(rq, "request"));
		return 0;
	}
	buf_init(&subject, 4096);
	tls.encrypted = *pp_get_or(rq, "encryption_protocol") != 0;
	if (pp_xtext_decode(pp_get_or(rq, "ccert_subject"), &subject) != MS_OK) {
		dlog(LOG_WARNING, "%s: ccert_subject is not xtext; taken as no verified certificate",
		     *qid ? qid : "NOQUEUE");
		buf_reset(&subject);
	}
	tls.verified_subject = buf_str(&subject);
	tls.cert_fp = pp_get_or(rq, "ccert_fingerprint");
	tls.pubkey_fp = pp_get_or(rq, "ccert_pubkey_fingerprint");
	pc_digest_check(tls.pubkey_fp);
	policy_check_sender(p, sender, &tls, &v);
	if (v.action == POLICY_ACCEPT && v.log_accept)
		dlog(LOG_INFO, "%s: mailseal: %s client=%.100s[%.60s] state=%.20s",
		     *qid ? qid : "NOQUEUE", v.log,
		     pp_get_or(rq, "client_name"),
		     pp_get_or(rq, "client_address"),
		     pp_get_or(rq, "protocol_state"));
	if (v.action == POLICY_ACCEPT) {
		rc = pc_spf(w, s, rq, action, size, async, jobp);
	} else {
		pc_note(rq, NULL);
		snprintf(action, size, "%u %s %s", v.code, v.dsn, v.text);
		dlog(LOG_INFO, "%s: mailseal: %s client=%.100s[%.60s] state=%.20s",
		     *qid ? qid : "NOQUEUE", v.log,
		     pp_get_or(rq, "client_name"),
		     pp_get_or(rq, "client_address"),
		     pp_get_or(rq, "protocol_state"));
	}
	buf_free(&subject);
	return rc;
}

/* policy_answer - the first complete request of p[0..len) answered
 * into out (or parked): the bytes it took, 0 when it is not complete
 * yet, -1 when the connection must be closed without a reply (logged) */
long policy_answer(struct worker *w, struct pc_session *s,
		   const unsigned char *p, size_t len, struct buf *out,
		   const struct pc_async *async, struct spf_job **parked)
{
	struct pp_request rq;
	struct ms_error err;
	struct spf_job *j = NULL;
	size_t end = len ? pp_request_end(p, len) : 0;
	char action[PS_REPLY];
	int rc;

	if (end == 0) {
		if (len > PP_MAX_REQUEST) {
			dlog(LOG_WARNING, "policy client: request longer than %d bytes; closing",
			     PP_MAX_REQUEST);
			return -1;
		}
		return 0;
	}
	if (pp_parse(p, end, &rq, &err) != MS_OK) {
		dlog(LOG_WARNING, "policy client: malformed request (%s); closing",
		     err.msg);
		pp_free(&rq);
		return -1;
	}
	rc = pc_decide(w, s, &rq, action, sizeof(action), async, &j);
	pp_free(&rq);
	if (rc != 0) {
		dlog(LOG_ERR, "policy client: no engine; closing without a reply");
		return -1;
	}
	if (j) {
		*parked = j;
		return (long)end;
	}
	if (pp_reply(out, action) != MS_OK)
		return -1;
	return (long)end;
}

/* policy_resume - the answer of a parked request, its check done */
int policy_resume(struct pc_session *s, const struct spf_job *j,
		  struct buf *out)
{
	char action[PS_REPLY];

	if (pc_finish(s, j, action, sizeof(action)) != 0) {
		dlog(LOG_ERR, "policy client: no engine; closing without a reply");
		return -1;
	}
	return pp_reply(out, action) == MS_OK ? 0 : -1;
}

/* policy_giveup - DUNNO for a parked request whose check took too long */
int policy_giveup(const struct spf_job *j, struct buf *out)
{
	dlog(LOG_WARNING, "%s: mailseal: the SPF check of %.100s[%.60s] took more than %u ms; DUNNO, the milter side checks at the end of DATA",
	     *j->qid ? j->qid : "NOQUEUE", j->client_name, j->client,
	     pspf_limit_ms());
	return pp_reply(out, "DUNNO") == MS_OK ? 0 : -1;
}

/* policy_serve - one policy client until it closes (blocking reads:
 * the spawn(8) mode); a request begun must be complete within
 * packet_timeout */
void policy_serve(struct worker *w, struct conn *c)
{
	struct pc_session *s = xcalloc(1, sizeof(*s));
	struct buf out;
	uint64_t started = 0;           /* first bytes of this request */

	buf_init(&out, 4096);
	for (;;) {
		size_t avail = c->rbuf.len - c->rpos;
		long used = policy_answer(w, s, c->rbuf.data + c->rpos, avail,
					  &out, NULL, NULL);
		int r;

		if (used < 0)
			break;
		if (used == 0) {
			if (avail && !started)
				started = ms_clock_ms();
			c->idle_ok = avail == 0;
			c->deadline = started ? started + policyd_packet_timeout_ms : 0;
			r = conn_fill(c);
			if (r == 0 && avail)
				dlog(LOG_WARNING, "policy client: closed within a request");
			if (r < 0 && started && ms_clock_ms() >= c->deadline)
				dlog(LOG_WARNING, "policy client: a request not complete after %u ms (packet_timeout); closing",
				     policyd_packet_timeout_ms);
			if (r <= 0)
				break;
			continue;
		}
		started = 0;
		conn_consume(c, (size_t)used);
		if (conn_write(c, out.data, out.len) != 0)
			break;
		buf_reset(&out);
	}
	buf_free(&out);
	free(s);
}
