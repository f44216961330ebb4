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
 *  - everything else is DUNNO, so the rest of the restriction list
 *    decides.
 * On trouble (a malformed request, no engine) there is no reply: the
 * connection is closed and logged, and Postfix applies its default
 * action, as the protocol prescribes.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "msclock.h"
#include "policyd.h"
#include "policyproto.h"

/* pc_note - what the milter side may use of this request: the SASL
 * user, for this transaction only.  Only before the message content
 * (MAIL, RCPT, DATA): at END-OF-MESSAGE the milter has seen the message
 * already, and a note would only wait for a later transaction. */
static void pc_note(const struct pp_request *rq)
{
	static const char *const states[] = { "MAIL", "RCPT", "DATA" };
	const char *state = pp_get_or(rq, "protocol_state");
	struct tx_key k = {
		.qid = pp_get_or(rq, "queue_id"),
		.client = pp_get_or(rq, "client_address"),
		.sender = pp_get_or(rq, "sender"),
	};
	struct tx_note n = { { 0 } };
	size_t i;

	if (!*pp_get_or(rq, "sasl_username"))
		return;
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(state, states[i]) == 0)
			break;
	if (i == sizeof(states) / sizeof(states[0]) ||
	    strlen(pp_get_or(rq, "sasl_username")) >= sizeof(n.user))
		return;
	snprintf(n.user, sizeof(n.user), "%s", pp_get_or(rq, "sasl_username"));
	txtable_put(&k, &n);
}

/* pc_decide - the action for one request, into action */
static int pc_decide(struct worker *w, const struct pp_request *rq,
		     char *action, size_t size)
{
	const char *qid = pp_get_or(rq, "queue_id");
	const char *sender = pp_get_or(rq, "sender");
	struct policy_verdict v;
	struct policy_tls tls = { 0 };
	struct buf subject;
	struct policy *p;

	p = worker_engine(w);
	if (!p)
		return -1;
	if (strcmp(pp_get_or(rq, "request"), "smtpd_access_policy") != 0) {
		dlog(LOG_WARNING, "policy request type \"%.60s\" is not smtpd_access_policy: DUNNO",
		     pp_get_or(rq, "request"));
		snprintf(action, size, "DUNNO");
		return 0;
	}
	pc_note(rq);
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
	policy_check_sender(p, sender, &tls, &v);
	if (v.action == POLICY_ACCEPT) {
		snprintf(action, size, "DUNNO");
	} else {
		snprintf(action, size, "%u %s %s", v.code, v.dsn, v.text);
		dlog(LOG_INFO, "%s: mailseal: %s client=%.100s[%.60s] state=%.20s",
		     *qid ? qid : "NOQUEUE", v.log,
		     pp_get_or(rq, "client_name"),
		     pp_get_or(rq, "client_address"),
		     pp_get_or(rq, "protocol_state"));
	}
	buf_free(&subject);
	return 0;
}

/* policy_answer - the first complete request of p[0..len) answered
 * into out: the bytes it took, 0 when it is not complete yet, -1 when
 * the connection must be closed without a reply (logged) */
long policy_answer(struct worker *w, const unsigned char *p, size_t len,
		   struct buf *out)
{
	struct pp_request rq;
	struct ms_error err;
	size_t end = len ? pp_request_end(p, len) : 0;
	char action[600];
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
	rc = pc_decide(w, &rq, action, sizeof(action));
	pp_free(&rq);
	if (rc != 0) {
		dlog(LOG_ERR, "policy client: no engine; closing without a reply");
		return -1;
	}
	if (pp_reply(out, action) != MS_OK)
		return -1;
	return (long)end;
}

/* policy_serve - one policy client until it closes (blocking reads:
 * the spawn(8) mode); a request begun must be complete within
 * packet_timeout */
void policy_serve(struct worker *w, struct conn *c)
{
	struct buf out;
	uint64_t started = 0;           /* first bytes of this request */

	buf_init(&out, 4096);
	for (;;) {
		size_t avail = c->rbuf.len - c->rpos;
		long used = policy_answer(w, c->rbuf.data + c->rpos, avail, &out);
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
}
