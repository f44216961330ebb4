/*
 * sender.c - the envelope-stage rules of the policy engine: mail from a
 * require_tls domain must come over TLS with a verified client
 * certificate, and one of its pins when it has some; SPF before DATA.
 */
#include <string.h>

#include "dnsqcache.h"
#include "policy_int.h"

/* sender_domain - the envelope sender's domain in lower case into dom
 * (MS_MAX_DOMAIN + 2 bytes); 0 when there is none to look up */
static int sender_domain(const char *sender, char *dom)
{
	const char *at = sender ? strrchr(sender, '@') : NULL;
	size_t i;

	if (!at || strlen(at + 1) > MS_MAX_DOMAIN)
		return 0;
	for (i = 0; at[i + 1]; i++)
		dom[i] = (char)(at[i + 1] >= 'A' && at[i + 1] <= 'Z'
				? at[i + 1] - 'A' + 'a' : at[i + 1]);
	dom[i] = 0;
	return dom[0] != 0;
}

/* tls_client_of - the tls_policy's view of what the MTA told: the
 * certificate's names and public key hash as the MTA gives them whole
 * (Exim), else its one verified name and its pubkey_fp when that is a
 * SHA-256 (Postfix; another digest leaves the key unknown) */
static void tls_client_of(const struct policy_tls *tls, struct tls_client *c,
			  const char **one, unsigned char spki[TLSPIN_LEN])
{
	const char *fp = tls->pubkey_fp;

	memset(c, 0, sizeof(*c));
	c->encrypted = tls->encrypted;
	c->verified = tls->verified_subject && *tls->verified_subject;
	if (tls->names) {
		c->names = tls->names;
		c->nnames = tls->nnames;
	} else if (c->verified) {
		*one = tls->verified_subject;
		c->names = one;
		c->nnames = 1;
	}
	if (tls->spki)
		c->spki = tls->spki;
	else if (fp && *fp && tlspin_parse_hex(fp, strlen(fp), spki) == 0)
		c->spki = spki;
}

/* check_tls_policy - the tls_policy rule for domain dom */
static void check_tls_policy(const struct policy *p, const char *dom,
			     const struct policy_tls *tls,
			     struct policy_verdict *v)
{
	const struct tlspolicy_entry *e = tlspolicy_find(p->tables->tls, dom);
	unsigned char spki[TLSPIN_LEN];
	struct tls_client c;
	const char *one = NULL, *why;
	char whybuf[256];
	struct buf b;
	size_t i;

	if (!e || e->mode == TLS_MODE_OFF)
		return;
	tls_client_of(tls, &c, &one, spki);
	why = tlspolicy_why(e, &c, whybuf, sizeof(whybuf));
	if (!why)
		return;
	if (e->mode == TLS_MODE_REQUIRE)
		pol_verdict_set(v, POLICY_REJECT, 550, "5.7.1",
			    "mail from %s must arrive over TLS with a verified client "
			    "certificate; %s", dom, why);
	else if (e->mode == TLS_MODE_TEST)
		pol_verdict_set(v, POLICY_TEMPFAIL, 451, "4.7.1",
			    "mail from %s must arrive over TLS with a verified client "
			    "certificate; %s (tls_policy test mode: deferred, not refused)",
			    dom, why);
	buf_init(&b, POLICY_LOG_MAX * 2);
	buf_puts(&b, "stage=sender sender_domain=");
	pol_put_safe(&b, dom);
	buf_printf(&b, " tls_policy=%s tls=%s cert=%s", tls_mode_str(e->mode),
		   c.encrypted ? "yes" : "no",
		   c.verified ? "verified" : tls->cert_fp && *tls->cert_fp
		   ? "unverified" : "none");
	for (i = 0; i < c.nnames && i < 4; i++) {
		buf_puts(&b, i ? "," : " cert_names=");
		pol_put_safe(&b, c.names[i]);
	}
	if (e->mode == TLS_MODE_LOG) {
		v->log_accept = 1;
		buf_puts(&b, " action=accept would_refuse=\"");
		pol_put_safe(&b, why);
		buf_putc(&b, '"');
	} else {
		buf_printf(&b, " action=%s code=%u dsn=%s text=\"",
			   policy_action_str(v->action), v->code, v->dsn);
		pol_put_safe(&b, v->text);
		buf_putc(&b, '"');
	}
	pol_copy_out(v->log, sizeof(v->log), &b);
	buf_free(&b);
}

/* check_revoked_key - is the key of the certificate the client
 * presented revoked by the farm?  (Postfix sends its hash for any
 * certificate presented, verified or not: a revoked key is refused
 * either way; Exim's is read from a verified one.) */
static int check_revoked_key(const struct policy *p,
			     const struct policy_tls *tls,
			     struct policy_verdict *v)
{
	unsigned char spki[TLSPIN_LEN];
	const unsigned char *k = tls->spki;
	const char *fp = tls->pubkey_fp, *what = "spki";
	struct buf b;

	if (!k && fp && *fp && tlspin_parse_hex(fp, strlen(fp), spki) == 0)
		k = spki;
	if (!pol_revoked_key(p, k, v)) {
		if (!pol_revoked_serial(p, tls->serial_id, v))
			return 0;
		what = "serial";
	}
	buf_init(&b, POLICY_LOG_MAX * 2);
	buf_printf(&b, "stage=sender revoked=%s action=reject code=%u dsn=%s text=\"",
		   what, v->code, v->dsn);
	pol_put_safe(&b, v->text);
	buf_putc(&b, '"');
	pol_copy_out(v->log, sizeof(v->log), &b);
	buf_free(&b);
	return 1;
}

/* policy_check_sender - the envelope-stage rule for mail from sender;
 * an accept (the common case, at every RCPT) formats nothing, but for
 * a tls_policy domain in log mode that would have been refused */
void policy_check_sender(const struct policy *p, const char *sender,
			 const struct policy_tls *tls, struct policy_verdict *v)
{
	const struct policy_tables *t = p->tables;
	const char *verified = tls->verified_subject;
	char dom[MS_MAX_DOMAIN + 2];
	const char *why = NULL;
	struct buf b;

	v->action = POLICY_ACCEPT;
	v->role = POLICY_ROLE_VERIFY;
	v->nadd = v->nremove = 0;
	v->add = NULL;
	v->remove = NULL;
	v->log[0] = 0;
	v->log_accept = 0;
	if (check_revoked_key(p, tls, v))
		return;
	if (!sender_domain(sender, dom))
		goto accept;
	if (t->tls) {
		check_tls_policy(p, dom, tls, v);
		if (v->action != POLICY_ACCEPT)
			return;
		pol_verdict_accept(v);
		if (!v->log_accept)
			memcpy(v->log, "stage=sender action=accept", 27);
		return;
	}
	if (!t->require_tls || !domainlist_match(t->require_tls, dom))
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

/* policy_check_spf_cached - the same, from memory alone, or -1 */
int policy_check_spf_cached(const struct policy *p,
			    const struct policy_facts *f, struct arena *a,
			    struct spf_outcome *o, struct policy_verdict *v)
{
	const struct dnsqcache_stats *st = p->dns ? dnsqcache_stats(p->dns)
				      : NULL;
	unsigned long before;
	int r;

	if (!st)
		return -1;      /* not a caching chain: nothing in memory */
	before = st->memory_misses;
	dnsqcache_memory_only(p->dns, 1);
	r = spf_check(p, f, a, o, v);
	dnsqcache_memory_only(p->dns, 0);
	if (st->memory_misses != before)
		return -1;
	if (r)
		pol_count_spf(o, v);
	return r;
}
