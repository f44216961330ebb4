/*
 * rights.c - the sending_rights rule: a submitter (an SMTP AUTH
 * identity, or a local user) may only use the From addresses the table
 * gives it (common/mail/sendrights.h).  Without a table every
 * submitter may sign for every domain of the signing table.
 *
 * The identity is the SMTP AUTH one when there is one; for a local
 * submission the Unix login the MTA shows (Exim), else
 * SENDRIGHTS_LOCAL (Postfix's sendmail(1) shows none).  Every From
 * mailbox must be allowed: a message with one it may not use is
 * refused (550 5.7.1), never signed, whatever else it has.
 *
 * An SMTP client without AUTH whose address has a `[ADDRESS]` line (an
 * application on localhost: Postfix has no per-message override) is
 * a submitter too, but a weaker one: its message is signed only when
 * every From mailbox is one of its line's, and otherwise verified like
 * any inbound message, not refused (it may be relaying mail).
 */
#include <stdio.h>

#include "policy_int.h"

int pol_rights_refuse(struct policy_msg *m)
{
	const struct sendrights *r = m->p->tables->rights;
	const char *who;
	char *text;
	size_t i;

	if (!r)
		return 0;
	if (m->client_submitter) {
		for (i = 0; i < m->from.n; i++)
			if (!sendrights_client_may(r, m->client_ip,
						   m->from.local[i],
						   m->from.domain[i])) {
				m->may_sign = 0;        /* verified instead */
				break;
			}
		return 0;
	}
	who = m->auth_user ? m->auth_user
	      : m->local_user ? m->local_user : SENDRIGHTS_LOCAL;
	for (i = 0; i < m->from.n; i++) {
		if (sendrights_may(r, who, m->from.local[i], m->from.domain[i]))
			continue;
		text = arena_alloc(&m->arena, POLICY_TEXT_MAX);
		snprintf(text, POLICY_TEXT_MAX,
			 "%s %.100s may not send mail From: %.100s@%.100s "
			 "(sending_rights)",
			 m->auth_user ? "user" : "local user", who,
			 m->from.local[i], m->from.domain[i]);
		m->rights_refused = text;
		m->sign_note = text;
		return 1;
	}
	return 0;
}
