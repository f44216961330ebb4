/*
 * sender.c - the envelope-stage rules of the policy engine: mail from a
 * require_tls domain must come over TLS with a verified client
 * certificate, and one of its pins when it has some; SPF before DATA.
 */
#include <string.h>


#include "policy_int.h"

/* policy_check_sender - the envelope-stage rule for mail from sender;
 * an accept (the common case, at every RCPT) formats nothing */
void policy_check_sender(const struct policy *p, const char *sender,
			 const struct policy_tls *tls, struct policy_verdict *v)
{
	const struct policy_tables *t = p->tables;
	const char *at = sender ? strrchr(sender, '@') : NULL;
	const char *verified = tls->verified_subject;
	char dom[MS_MAX_DOMAIN + 2];
	const char *why = NULL;
	struct buf b;
	size_t i;

	v->action = POLICY_ACCEPT;
	v->role = POLICY_ROLE_VERIFY;
	v->nadd = v->nremove = 0;
	v->add = NULL;
	v->remove = NULL;
	if (!t->require_tls || !at || strlen(at + 1) > MS_MAX_DOMAIN)
		goto accept;
	for (i = 0; at[i + 1]; i++)
		dom[i] = (char)(at[i + 1] >= 'A' && at[i + 1] <= 'Z'
				? at[i + 1] - 'A' + 'a' : at[i + 1]);
	dom[i] = 0;
	if (!dom[0] || !domainlist_match(t->require_tls, dom))
		goto accept;
	if (!tls->encrypted)
		why = "this session is not encrypted";
	else if (!verified || !*verified)
		why = "no client certificate that verifies was presented";
	else if (tlspins_for(t->pins, dom) &&
		 !tlspins_match(t->pins, dom, tls->cert_fp, tls->pubkey_fp))
		why = "the client certificate is not one pinned for that domain";
	if (!why)
		goto accept;
	pol_verdict_set(v, POLICY_REJECT, 550, "5.7.1",
		    "mail from %s must arrive over TLS with a verified client "
		    "certificate; %s", dom, why);
	pol_count_refusal(v);
	buf_init(&b, POLICY_LOG_MAX * 2);
	buf_puts(&b, "stage=sender sender_domain=");
	pol_put_safe(&b, dom);
	buf_printf(&b, " tls=%s cert=%s action=reject code=%u dsn=%s text=\"",
		   tls->encrypted ? "yes" : "no",
		   verified && *verified ? "verified" :
		   tls->cert_fp && *tls->cert_fp ? "unverified" : "none",
		   v->code, v->dsn);
	pol_put_safe(&b, v->text);
	buf_putc(&b, '"');
	pol_copy_out(v->log, sizeof(v->log), &b);
	buf_free(&b);
	return;
accept:
	pol_verdict_accept(v);
	memcpy(v->log, "stage=sender action=accept", 27);
}

/* spf_check - the SPF step before DATA, not counted: a caller that
 * may throw its outcome away (an attempt from memory alone) counts
 * only what it keeps */
static int spf_check(const struct policy *p, const struct policy_facts *f,
		     struct arena *a, struct spf_outcome *o,
		     struct policy_verdict *v)
{
	const char *ip, *helo, *from;
	struct buf b;

	memset(v, 0, sizeof(*v));
	pol_verdict_accept(v);
	v->role = POLICY_ROLE_VERIFY;
	/* the outcome may point into the envelope: copies in a, so that it
	 * lives as long as a does, as the contract says */
	ip = f->client_ip ? arena_strdup(a, f->client_ip) : NULL;
	helo = f->helo ? arena_strdup(a, f->helo) : NULL;
	from = f->mail_from ? arena_strdup(a, f->mail_from) : NULL;
	if (!policy_spf_run(&p->spf, p->dns, 0, ip, helo,
			    from, (f->auth_user && *f->auth_user) ||
			    f->local_submission, a, o)) {
		memcpy(v->log, "stage=spf action=accept checked=no", 35);
		return 0;
	}
	(void)pol_spf_verdict(p, o, f->client_ip, v);
	buf_init(&b, POLICY_LOG_MAX * 2);
	buf_printf(&b, "stage=spf spf=%s/", spf_result_str(o->result));
	pol_put_safe(&b, o->domain);
	buf_puts(&b, " ip=");
	pol_put_safe(&b, f->client_ip);
	if (o->reason) {
		buf_puts(&b, " reason=\"");
		pol_put_safe(&b, o->reason);
		buf_putc(&b, '"');
	}
	buf_printf(&b, " action=%s", policy_action_str(v->action));
	if (v->action != POLICY_ACCEPT) {
		buf_printf(&b, " code=%u dsn=%s text=\"", v->code, v->dsn);
		pol_put_safe(&b, v->text);
		buf_putc(&b, '"');
	}
	pol_copy_out(v->log, sizeof(v->log), &b);
	buf_free(&b);
	return 1;
}

/* policy_check_spf - the SPF step before DATA, counted */
int policy_check_spf(const struct policy *p, const struct policy_facts *f,
		     struct arena *a, struct spf_outcome *o,
		     struct policy_verdict *v)
{
	int checked = spf_check(p, f, a, o, v);

	if (checked)
		pol_count_spf(o, v);
	return checked;
}
