/*
 * policy.c - the policy engine: role, verdict, header changes, log line.
 *
 * A message that may be signed (authenticated, local, or told to) goes
 * through a reader of our own first: the role can only be decided once
 * the From field is known, and the header block is then handed whole to
 * the signer or the verifier, followed by the body as it streams.  Any
 * other message can only be verified: it goes to the verifier as it
 * comes, and the verifier's reader holds the header block the rules
 * read (one parse of it, not two, on the inbound path).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "arena.h"
#include "authres.h"
#include "buf.h"
#include "crypto.h"
#include "dkim_sign.h"
#include "dkim_verify.h"
#include "dnskeys.h"
#include "dnsqcache.h"
#include "dnsqchain.h"
#include "domainlist.h"
#include "keycache.h"
#include "keychain.h"
#include "ms_limits.h"
#include "msclock.h"
#include "msgreader.h"
#include "nodecache.h"
#include "policy.h"
#include "policy_int.h"
#include "policy_report.h"
#include "policy_spf.h"
#include "signtable.h"
#include "spfheader.h"
#include "tlspins.h"
#include "xalloc.h"

#define POLICY_HOST_MAX 256

/* policy_mode_parse - "sign", "verify", "skip", or "" for auto */
int policy_mode_parse(const char *s)
{
	if (!s || !*s)
		return POLICY_AUTO;
	if (strcmp(s, "sign") == 0)
		return POLICY_SIGN;
	if (strcmp(s, "verify") == 0)
		return POLICY_VERIFY;
	if (strcmp(s, "skip") == 0)
		return POLICY_SKIP;
	return -1;
}

/* policy_tables_load - the files the configuration names */
struct policy_tables *policy_tables_load(const struct ms_config *cfg,
					 struct ms_error *err)
{
	struct policy_tables *t = xcalloc(1, sizeof(*t));

	filewatch_init(&t->files);
	/* each file stamped before it is read: a change made meanwhile is
	 * seen by policy_tables_changed, never missed */
	if (*cfg->signing_table)
		filewatch_add(&t->files, cfg->signing_table);
	if (cfg->require_signed[0] == '/')
		filewatch_add(&t->files, cfg->require_signed);
	if (cfg->require_tls[0] == '/')
		filewatch_add(&t->files, cfg->require_tls);
	if (*cfg->tls_pins)
		filewatch_add(&t->files, cfg->tls_pins);
	if (*cfg->tls_policy)
		filewatch_add(&t->files, cfg->tls_policy);
	if (*cfg->sending_rights)
		filewatch_add(&t->files, cfg->sending_rights);
	if (*cfg->signing_table) {
		t->signtable = signtable_load(cfg->signing_table, err);
		if (!t->signtable)
			goto fail;
	}
	if (*cfg->require_signed) {
		t->require = domainlist_load(cfg->require_signed,
					     "require_signed", err);
		if (!t->require)
			goto fail;
	}
	if (*cfg->require_tls) {
		t->require_tls = domainlist_load(cfg->require_tls,
						 "require_tls", err);
		if (!t->require_tls)
			goto fail;
	}
	if (*cfg->tls_pins) {
		t->pins = tlspins_load(cfg->tls_pins, err);
		if (!t->pins)
			goto fail;
	}
	/* one copy of the farm's revocations for every engine over them */
	if (config_has_redis(cfg))
		t->revs = revset_new(cfg->revocation_refresh);
	/* one in-process DNS cache for every engine over these tables */
	if (policy_spf_on(cfg))
		t->dnsmem = dnsqmem_new(cfg->local_cache_size,
					DNSQCACHE_LOCAL_BYTES);
	if (*cfg->tls_policy) {
		char where[320];

		if (*cfg->require_tls || *cfg->tls_pins) {
			ms_error_set(err, MS_ERR_USAGE,
				     "%s: tls_policy replaces require_tls and tls_pins: "
				     "move their domains into it and remove them "
				     "(docs/tls.md)",
				     config_where(cfg, "tls_policy", where,
						  sizeof(where)));
			goto fail;
		}
		t->tls = tlspolicy_load(cfg->tls_policy, err);
		if (!t->tls)
			goto fail;
	}
	if (*cfg->sending_rights) {
		t->rights = sendrights_load(cfg->sending_rights, err);
		if (!t->rights)
			goto fail;
	}
	return t;
fail:
	policy_tables_free(t);
	return NULL;
}

/* policy_tables_free - release them (NULL is fine) */
void policy_tables_free(struct policy_tables *t)
{
	if (!t)
		return;
	signtable_free(t->signtable);
	domainlist_free(t->require);
	domainlist_free(t->require_tls);
	sendrights_free(t->rights);
	tlspolicy_free(t->tls);
	dnsqmem_free(t->dnsmem);
	revset_free(t->revs);
	tlspins_free(t->pins);
	filewatch_free(&t->files);
	free(t);
}

/* policy_tables_changed - the file of the tables that changed */
const char *policy_tables_changed(const struct policy_tables *t)
{
	return filewatch_which(&t->files);
}

/* policy_tables_files - the files of the tables, as stamped */
const struct filewatch *policy_tables_files(const struct policy_tables *t)
{
	return &t->files;
}

/* policy_files - the files of the engine's tables */
const struct filewatch *policy_files(const struct policy *p)
{
	return &p->tables->files;
}

/* policy_open_dns - the DNS source of SPF and DMARC, when either is
 * on: the configured resolver behind the farm's cache chain (the
 * in-process cache, then Redis over the key chain's connection, when
 * there is one; dnsqchain.h).  Nothing is opened until a message is
 * checked. */
static enum ms_status policy_open_dns(struct policy *p,
				      const struct ms_config *cfg,
				      struct ms_error *err)
{
	if (!policy_spf_on(cfg))       /* DMARC needs SPF: on with either */
		return MS_OK;
	p->own_dns = dnsqchain_open(cfg, p->chain.farm, p->tables->dnsmem,
				    err);
	if (!p->own_dns)
		return err ? err->code : MS_ERR_USAGE;
	p->dns = p->own_dns;
	return MS_OK;
}

/* policy_build - the engine over tables t (or its own, when t is NULL),
 * with keys from ks or from the chain */
static struct policy *policy_build(const struct ms_config *cfg,
				   const struct policy_tables *t,
				   struct keysource *ks, struct ms_error *err)
{
	struct policy *p = xcalloc(1, sizeof(*p));
	struct dkim_verifier_opts vo = { 0 };

	if (!t) {
		p->own_tables = policy_tables_load(cfg, err);
		if (!p->own_tables)
			goto fail;
		t = p->own_tables;
	}
	p->tables = t;
	if (ks) {
		vo.max_sigs = cfg->max_signatures;
		vo.dns_budget_ms = cfg->dns_message_budget_ms;
	} else {
		if (keychain_open(&p->chain, cfg, err) != MS_OK)
			goto fail;
		keychain_verifier_opts(&p->chain, cfg, &vo);
		ks = p->chain.ks;
	}
	p->verifier = dkim_verifier_new(&vo, ks);
	if (*cfg->authserv_id)
		p->authserv_id = xstrdup(cfg->authserv_id);
	if (gethostname(p->hostname, sizeof(p->hostname) - 1) != 0 ||
	    !p->hostname[0])
		strcpy(p->hostname, "localhost");
	p->on_temperror = cfg->on_temperror;
	p->on_signature_fail = cfg->on_signature_fail;
	p->on_bad_from = cfg->on_bad_from;
	p->max_signatures = cfg->max_signatures;
	if (policy_spf_init(&p->spf, cfg, err) != MS_OK)
		goto fail;
	if (policy_dmarc_init(&p->dmarc, cfg, err) != MS_OK)
		goto fail;
	if (policy_open_dns(p, cfg, err) != MS_OK)
		goto fail;
	if (policy_report_init(&p->report, cfg, p->chain.farm, err) != MS_OK)
		goto fail;
	if (p->chain.farm)
		p->revs = p->tables->revs;
	if (pol_count_init(p, cfg, err) != MS_OK)
		goto fail;
	return p;
fail:
	policy_free(p);
	return NULL;
}

/* policy_new - the engine the configuration describes */
struct policy *policy_new(const struct ms_config *cfg, struct ms_error *err)
{
	return policy_build(cfg, NULL, NULL, err);
}

/* policy_new_shared - an engine over tables loaded once */
struct policy *policy_new_shared(const struct ms_config *cfg,
				 const struct policy_tables *t,
				 struct ms_error *err)
{
	return policy_build(cfg, t, NULL, err);
}

/* policy_new_with_keys - the same with keys from ks */
struct policy *policy_new_with_keys(const struct ms_config *cfg,
				    struct keysource *ks,
				    struct ms_error *err)
{
	return policy_build(cfg, NULL, ks, err);
}

/* policy_free - release it all */
void policy_free(struct policy *p)
{
	if (!p)
		return;
	dkim_verifier_free(p->verifier);
	policy_spf_free(&p->spf);
	policy_dmarc_free(&p->dmarc);
	policy_report_free(&p->report);
	dnsq_destroy(p->own_dns);
	if (p->chain.ks)
		keychain_close(&p->chain);
	policy_tables_free(p->own_tables);
	free(p->authserv_id);
	free(p);
}

/* policy_set_dns - SPF lookups from q */
void policy_set_dns(struct policy *p, struct dnsq *q)
{
	p->dns = q;
}

/* policy_prepare - what a forked child can inherit, done now */
void policy_prepare(struct policy *p)
{
	crypto_init();
	(void)policy_warm();
	if (p && p->tables && p->tables->signtable)
		policy_warm_sign();
}

/* policy_share_node - the node's shared cache, before the engines */
size_t policy_share_node(const struct ms_config *cfg)
{
	nodecache_process_init(cfg->shared_cache_size);
	return nodecache_slots(nodecache_process());
}

/* policy_idle - drop the resolver's worker thread until the next use */
void policy_idle(struct policy *p)
{
	if (p && p->chain.ks)
		dnskeys_close(keycache_source(p->chain.ks));
}

/* policy_refresh - the farm's revocations, when they are due */
void policy_refresh(struct policy *p)
{
	if (p && p->revs)
		revset_refresh(p->revs, p->chain.farm, 0);
}

/* policy_cache_stats - the key chain's counters */
void policy_cache_stats(const struct policy *p, struct keychain_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (p && p->chain.ks)
		keychain_stats(&p->chain, out);
}

/* ---- text helpers: verdict.c ---- */

/* ---- the author ---- */

/* msg_read_from - every From field's mailboxes into m->from, and
 * from_bad when the author cannot be told */
static void msg_read_from(struct policy_msg *m)
{
	struct addr_list one;
	struct ms_error err;
	const char *unreadable = NULL;
	size_t i, k, nf = msgreader_nfields(m->hdrs);
	char *why;

	if (m->from_read)
		return;
	m->from_read = 1;
	for (i = 0; i < nf; i++) {
		const unsigned char *v;
		size_t vlen;

		if (!msgreader_field_is(m->hdrs, i, "from", 4))
			continue;
		m->nfrom_fields++;
		v = msgreader_field_value(m->hdrs, i, &vlen);
		if (addr_parse_list(v, vlen, &m->arena, &one, &err) != MS_OK) {
			if (!unreadable)
				unreadable = arena_strdup(&m->arena, err.msg);
			continue;
		}
		for (k = 0; k < one.n && m->from.n < ADDR_MAX; k++) {
			m->from.local[m->from.n] = one.local[k];
			m->from.domain[m->from.n++] = one.domain[k];
		}
	}
	if (m->nfrom_fields == 1 && !unreadable)
		return;
	why = arena_alloc(&m->arena, 320);
	if (m->nfrom_fields == 0)
		snprintf(why, 320, "the message has no From header field");
	else if (m->nfrom_fields > 1)
		snprintf(why, 320, "the message has %zu From header fields",
			 m->nfrom_fields);
	else
		snprintf(why, 320, "the From header field cannot be read (%s)",
			 unreadable);
	m->from_bad = why;
}

/* ---- role ---- */

/* msg_rank_sig - which signatures matter most when a message has more
 * than max_signatures: those that may stand for an author domain (2),
 * then those of require_signed domains (1); the others are verified
 * only as room is left */
static int msg_rank_sig(void *arg, const char *d)
{
	struct policy_msg *m = arg;
	const struct domainlist *req = m->p->tables->require;
	size_t i;

	msg_read_from(m);       /* the header block is complete now */
	for (i = 0; i < m->from.n; i++)
		if (pol_aligned(d, m->from.domain[i]))
			return 2;
	return req && domainlist_match(req, d) ? 1 : 0;
}

/* msg_verify_begin - the verifier's context for this message */
static void msg_verify_begin(struct policy_msg *m)
{
	m->verify = dkim_verify_begin(m->p->verifier);
	if (m->txid)
		dkim_verify_set_txid(m->verify, m->txid);
	dkim_verify_set_rank(m->verify, msg_rank_sig, m);
}

/* keys_cover - does one of the keys the message is signed with stand
 * for author domain a? */
static int keys_cover(const struct policy_msg *m, const char *a)
{
	size_t k;

	for (k = 0; k < m->nkeys; k++)
		if (pol_aligned(m->keys[k]->domain, a))
			return 1;
	return 0;
}

/* msg_uncovered_required - a From mailbox of a require_signed domain
 * that none of our keys stands for (alice@example.com, ceo@bank.example)
 * must not ride on our signature: drop the signer (s), so that the
 * message is verified, and refused, like any other forgery of that
 * domain */
static int msg_uncovered_required(struct policy_msg *m, struct dkim_signer *s)
{
	const struct domainlist *req = m->p->tables->require;
	size_t i;

	for (i = 0; req && i < m->from.n; i++) {
		const char *a = m->from.domain[i];
		char *note;

		if (!domainlist_match(req, a) || keys_cover(m, a))
			continue;
		note = arena_alloc(&m->arena, 320);
		snprintf(note, 320, "From domain %s requires its own signature "
			 "and the signing table has no key of it", a);
		m->sign_note = note;
		dkim_signer_free(s);
		m->nkeys = 0;
		return 1;
	}
	return 0;
}

/* msg_make_signer - a signer with the table's keys for the From
 * domains; NULL (and sign_note) when there is none */
static struct dkim_signer *msg_make_signer(struct policy_msg *m)
{
	const struct signtable_entry *seen[ADDR_MAX];
	struct dkim_signer *s = NULL;
	size_t i, k, nseen = 0;
	struct ms_error err;

	if (!m->p->tables->signtable) {
		m->sign_note = "no signing_table is configured";
		return NULL;
	}
	for (i = 0; i < m->from.n; i++) {
		const struct signtable_entry *e;
		size_t n, dup = 0;

		if (pol_from_has_domain(&m->from, i, m->from.domain[i]))
			continue;
		n = signtable_lookup(m->p->tables->signtable, m->from.domain[i], &e);
		for (k = 0; k < nseen; k++)
			dup |= seen[k] == e;
		if (n == 0 || dup)
			continue;
		seen[nseen++] = e;
		for (k = 0; k < n && m->nkeys < MS_MAX_SIGN_KEYS; k++) {
			struct dkim_sign_key key = {
				.domain = e[k].domain,
				.selector = e[k].selector,
				.pkey = e[k].pkey,
				.hdr_canon = DKIM_CANON_RELAXED,
				.body_canon = DKIM_CANON_RELAXED,
			};

			if (!s)
				s = dkim_signer_new();
			if (dkim_signer_add(s, &key, &err) != MS_OK) {
				/* the table checked these when it loaded */
				m->sign_note = arena_strdup(&m->arena, err.msg);
				dkim_signer_free(s);
				m->nkeys = 0;
				return NULL;
			}
			m->keys[m->nkeys++] = &e[k];
		}
	}
	if (!s) {
		char *note = arena_alloc(&m->arena, 320);

		snprintf(note, 320, "From domain %s is not in the signing table",
			 m->from.n ? m->from.domain[0] : "(none)");
		m->sign_note = note;
		return NULL;
	}
	if (msg_uncovered_required(m, s))
		return NULL;
	return s;
}

/* mr_headers - the header block is complete: decide the role, hand the
 * header block to the signer or verifier */
static void mr_headers(void *arg)
{
	struct policy_msg *m = arg;
	static const unsigned char crlf[2] = { '\r', '\n' };

	if (m->mode == POLICY_SKIP)
		return;         /* only its claims are looked at */
	msg_read_from(m);
	if (m->may_sign && !m->from_bad && pol_rights_refuse(m))
		return;         /* neither signed nor verified: refused */
	if (m->may_sign && !m->from_bad) {
		m->signer = msg_make_signer(m);
		if (m->signer) {
			m->role = POLICY_ROLE_SIGN;
			m->sign = dkim_sign_begin(m->signer, 0);
			dkim_sign_feed(m->sign, m->mr.hdr.data, m->mr.hdr.len);
			dkim_sign_feed(m->sign, crlf, 2);
			return;
		}
	} else if (m->may_sign) {
		m->sign_note = m->from_bad;
	}
	m->role = POLICY_ROLE_VERIFY;
	msg_verify_begin(m);
	dkim_verify_feed(m->verify, m->mr.hdr.data, m->mr.hdr.len);
	dkim_verify_feed(m->verify, crlf, 2);
}

/* mr_body - body bytes go straight to whoever took the header block */
static void mr_body(void *arg, const unsigned char *p, size_t len)
{
	struct policy_msg *m = arg;

	if (m->sign)
		dkim_sign_feed(m->sign, p, len);
	else if (m->verify)
		dkim_verify_feed(m->verify, p, len);
}

/* policy_begin - a context for one message */
struct policy_msg *policy_begin(struct policy *p,
				const struct policy_facts *f)
{
	struct policy_msg *m = xcalloc(1, sizeof(*m));

	m->p = p;
	arena_init(&m->arena);
	m->mode = f->mode;
	m->txid = f->txid ? arena_strdup(&m->arena, f->txid) : NULL;
	m->auth_user = f->auth_user && *f->auth_user
		       ? arena_strdup(&m->arena, f->auth_user) : NULL;
	m->local = f->local_submission;
	m->local_user = f->local_user && *f->local_user
			? arena_strdup(&m->arena, f->local_user) : NULL;
	m->client_ip = f->client_ip ? arena_strdup(&m->arena, f->client_ip) : NULL;
	m->helo = f->helo ? arena_strdup(&m->arena, f->helo) : NULL;
	m->mail_from = f->mail_from ? arena_strdup(&m->arena, f->mail_from) : NULL;
	m->rcpt = f->rcpt ? arena_strdup(&m->arena, f->rcpt) : NULL;
	m->client_spki = f->client_spki && *f->client_spki
			 ? arena_strdup(&m->arena, f->client_spki) : NULL;
	if (f->spf) {
		pol_spf_copy(&m->spf, f->spf, &m->arena);
		m->spf_known = m->spf_checked = 1;
	}
	m->authserv_id = p->authserv_id ? p->authserv_id
			 : f->hostname && *f->hostname
			   ? arena_strdup(&m->arena, f->hostname) : p->hostname;
	m->may_sign = f->mode == POLICY_SIGN ||
		      (f->mode == POLICY_AUTO &&
		       (m->auth_user || f->local_submission));
	if (f->mode == POLICY_AUTO && !m->may_sign &&
	    sendrights_client_known(p->tables->rights, m->client_ip))
		m->may_sign = m->client_submitter = 1;  /* rights.c decides */
	buf_init(&m->fields, MS_MAX_HEADER_BYTES);
	m->role = f->mode == POLICY_SKIP ? POLICY_ROLE_SKIP : POLICY_ROLE_VERIFY;
	if (f->mode != POLICY_SKIP && !m->may_sign) {
		m->direct = 1;
		msg_verify_begin(m);
		m->hdrs = dkim_verify_reader(m->verify);
	} else {
		msgreader_init(&m->mr, mr_headers, mr_body, m);
		m->hdrs = &m->mr;
	}
	return m;
}

/* policy_feed - the next chunk of the message (in skip mode too: its
 * header block is read for Authentication-Results claiming our id) */
void policy_feed(struct policy_msg *m, const unsigned char *p, size_t len)
{
	if (m->direct)
		dkim_verify_feed(m->verify, p, len);
	else if (m->mode != POLICY_SKIP || m->mr.state != MR_BODY)
		(void)msgreader_feed(&m->mr, p, len);
}

/* ---- the verdict ---- */

/* msg_add_fields - split CRLF-ended fields appended at fields[from..]
 * into entries of m->add */
static void msg_add_fields(struct policy_msg *m, size_t from)
{
	const char *s = (const char *)m->fields.data + from;
	const char *end = (const char *)m->fields.data + m->fields.len;

	while (s < end && m->nadd < sizeof(m->add) / sizeof(m->add[0])) {
		const char *e = s, *colon, *val;
		struct policy_header *h = &m->add[m->nadd++];

		/* the field ends at a CRLF not followed by whitespace */
		while (e < end) {
			const char *nl = memchr(e, '\n', (size_t)(end - e));

			e = nl ? nl + 1 : end;
			if (e >= end || (*e != ' ' && *e != '\t'))
				break;
		}
		colon = memchr(s, ':', (size_t)(e - s));
		val = colon + 1;
		if (*val == ' ')
			val++;
		h->field = arena_memdup(&m->arena, s, (size_t)(e - s));
		h->name = arena_memdup(&m->arena, s, (size_t)(colon - s));
		h->value = arena_memdup(&m->arena, val,
					(size_t)(e - val) - 2); /* no CRLF */
		s = e;
	}
}

/* msg_authres - our Authentication-Results field: DKIM, SPF, then
 * DMARC for each author domain */
static enum ms_status msg_authres(struct policy_msg *m,
				  const struct dkim_verify_outcome *oc)
{
	struct authres_method more[1 + MS_DMARC_MAX_AUTHORS];
	size_t n = 0, i;

	if (m->spf_checked)
		more[n++] = (struct authres_method){
			.method = "spf",
			.result = spf_result_str(m->spf.result),
			.prop = "smtp.mailfrom",
			.value = m->spf.sender,
			.prop2 = "smtp.helo",
			.value2 = m->helo,
		};
	for (i = 0; m->dmarc_checked && i < m->dmarc.n; i++) {
		const struct dmarc_outcome *d = &m->dmarc.out[i];
		char *why = NULL;

		if (d->policy_domain && d->result == DMARC_FAIL) {
			why = arena_alloc(&m->arena, 96);
			snprintf(why, 96, "%s=%s%s", d->policy_tag,
				 dmarc_policy_str(d->policy),
				 d->rec.testing ? " t=y" : "");
		}
		more[n++] = (struct authres_method){
			.method = "dmarc",
			.result = dmarc_result_str(d->result),
			.reason = why,
			.prop = "header.from",
			.value = d->author,
		};
	}
	return authres_format_with(m->authserv_id, oc->results, oc->nresults,
				   more, n, &m->fields);
}

/* msg_find_claims - the Authentication-Results fields that claim our
 * authserv-id */
static void msg_find_claims(struct policy_msg *m)
{
	size_t i, nf = msgreader_nfields(m->hdrs), nth = 0;
	struct buf id;

	buf_init(&id, 1024);
	for (i = 0; i < nf; i++) {
		const unsigned char *v;
		size_t vlen;

		if (!msgreader_field_is(m->hdrs, i, "authentication-results", 22))
			continue;
		nth++;
		v = msgreader_field_value(m->hdrs, i, &vlen);
		if (!authres_claims_id(v, vlen, m->authserv_id, &id))
			continue;
		if (!m->remove)
			m->remove = arena_alloc(&m->arena,
						nf * sizeof(*m->remove));
		m->remove[m->nremove].index = i;
		m->remove[m->nremove].nth = nth;
		m->remove[m->nremove++].name = "Authentication-Results";
	}
	buf_free(&id);
}

/* policy_role_str - "sign", "verify", "skip" */
const char *policy_role_str(enum policy_role r)
{
	return r == POLICY_ROLE_SIGN ? "sign"
	       : r == POLICY_ROLE_VERIFY ? "verify" : "skip";
}

/* policy_action_str - "accept", "reject", "tempfail" */
const char *policy_action_str(enum policy_action a)
{
	return a == POLICY_ACCEPT ? "accept"
	       : a == POLICY_REJECT ? "reject" : "tempfail";
}

/* msg_log - the one log line of the message */
static void msg_log(struct policy_msg *m, const struct dkim_verify_outcome *oc,
		    const char *why, struct policy_verdict *v)
{
	struct buf b;
	size_t i;

	buf_init(&b, POLICY_LOG_MAX * 2);
	buf_printf(&b, "role=%s", policy_role_str(v->role));
	if (m->auth_user) {
		buf_puts(&b, " auth=\"");
		pol_put_safe(&b, m->auth_user);
		buf_putc(&b, '"');
	}
	if (m->from.n) {
		buf_puts(&b, " from=");
		pol_put_safe(&b, m->from.domain[0]);
		for (i = 1; i < m->from.n; i++) {
			buf_putc(&b, ',');
			pol_put_safe(&b, m->from.domain[i]);
		}
	}
	for (i = 0; oc && i < oc->nresults; i++) {
		const struct dkim_sig_result *r = &oc->results[i];

		buf_printf(&b, " dkim=%s", dkim_result_str(r->result));
		if (r->domain) {
			buf_puts(&b, "/");
			pol_put_safe(&b, r->domain);
			buf_puts(&b, "/");
			pol_put_safe(&b, r->selector);
		}
		if (r->reason) {
			buf_puts(&b, "(\"");
			pol_put_safe(&b, r->reason);
			buf_puts(&b, "\")");
		}
	}
	if (oc && oc->nresults == 0 && oc->skipped == 0)
		buf_puts(&b, " dkim=none");
	if (oc && oc->skipped)
		buf_printf(&b, " skipped=%zu", oc->skipped);
	if (m->spf_checked) {
		buf_printf(&b, " spf=%s/", spf_result_str(m->spf.result));
		pol_put_safe(&b, m->spf.domain);
	}
	for (i = 0; m->dmarc_checked && i < m->dmarc.n; i++) {
		const struct dmarc_outcome *d = &m->dmarc.out[i];

		buf_printf(&b, " dmarc=%s/", dmarc_result_str(d->result));
		pol_put_safe(&b, d->author);
		if (d->policy_domain)
			buf_printf(&b, "(%s=%s%s%s)", d->policy_tag ? d->policy_tag
				   : "p", dmarc_policy_str(d->policy_tag
							   ? d->policy : d->rec.p),
				   d->by_walk ? ",walk" : "",
				   m->dmarc.exempt[i] ? ",exempt" : "");
		if (d->note) {
			buf_puts(&b, "(\"");
			pol_put_safe(&b, d->note);
			buf_puts(&b, "\")");
		}
	}
	if (m->dmarc_checked && m->dmarc.over)
		buf_printf(&b, " dmarc_over=%zu", m->dmarc.over);
	if (oc && oc->skipped_relevant)
		buf_printf(&b, " skipped_author=%zu", oc->skipped_relevant);
	for (i = 0; v->role == POLICY_ROLE_SIGN && i < m->nkeys; i++) {
		buf_puts(&b, i ? "," : " signed=");
		pol_put_safe(&b, m->keys[i]->domain);
		buf_putc(&b, '/');
		pol_put_safe(&b, m->keys[i]->selector);
	}
	if (m->sign_note && v->role != POLICY_ROLE_SIGN) {
		buf_puts(&b, " unsigned=\"");
		pol_put_safe(&b, m->sign_note);
		buf_putc(&b, '"');
	}
	if (m->nremove)
		buf_printf(&b, " removed_ar=%zu", m->nremove);
	buf_printf(&b, " action=%s", policy_action_str(v->action));
	if (v->action == POLICY_ACCEPT && v->quarantine) {
		buf_puts(&b, " quarantine=\"");
		pol_put_safe(&b, v->quarantine_why);
		buf_putc(&b, '"');
	}
	if (v->action != POLICY_ACCEPT) {
		buf_printf(&b, " code=%u dsn=%s text=\"", v->code, v->dsn);
		pol_put_safe(&b, v->text);
		buf_putc(&b, '"');
	}
	if (why) {
		buf_puts(&b, " error=\"");
		pol_put_safe(&b, why);
		buf_putc(&b, '"');
	}
	if (m->spf_known && m->spf_checked)
		buf_puts(&b, " spf_at=rcpt");   /* checked before DATA */
	pol_copy_out(v->log, sizeof(v->log), &b);
	buf_free(&b);
}

/* policy_finish - end of the message: the verdict */
void policy_finish(struct policy_msg *m, struct policy_verdict *v)
{
	struct dkim_verify_outcome oc = { 0 }, *ocp = NULL;
	struct ms_error err;
	const char *why = NULL;
	enum ms_status vst = MS_OK;
	int verified = 0, exempt;
	size_t start;

	memset(v, 0, sizeof(*v));
	pol_verdict_accept(v);
	v->role = m->role;
	/* one DNS budget for the message: DKIM's keys, then SPF, then
	 * DMARC, from the end of the data on (not while it streams) */
	m->deadline = ms_clock_ms() + m->p->spf.budget_ms;
	if (m->verify)
		dkim_verify_set_deadline(m->verify, m->deadline);
	if (m->direct) {
		/* the verifier reads the header block to its end here */
		vst = dkim_verify_finish(m->verify, &oc, &err);
		verified = 1;
	} else {
		(void)msgreader_finish(&m->mr);
	}
	if (m->hdrs->state == MR_ERROR) {
		pol_verdict_set(v, POLICY_REJECT, 550, "5.6.0",
			    "the message header cannot be processed (%s)",
			    m->hdrs->err.msg);
		goto out;
	}
	msg_find_claims(m);
	if (m->mode == POLICY_SKIP)
		goto out;       /* nothing else: no signature, no verdict */
	if (m->direct)
		msg_read_from(m);
	v->role = m->role;
	if (m->from_bad && m->p->on_bad_from == MS_BADFROM_REJECT) {
		pol_verdict_set(v, POLICY_REJECT, 550, "5.7.1",
			    "%s; exactly one From field with readable addresses is required",
			    m->from_bad);
		goto out;
	}
	if (m->rights_refused) {
		pol_verdict_set(v, POLICY_REJECT, 550, "5.7.1", "%s",
				m->rights_refused);
		goto out;
	}
	if (m->role == POLICY_ROLE_SIGN) {
		start = m->fields.len;
		if (dkim_sign_finish(m->sign, &m->fields, &err) != MS_OK) {
			why = arena_strdup(&m->arena, err.msg);
			pol_verdict_set(v, POLICY_TEMPFAIL, 451, "4.3.0",
				    "the message could not be signed now; try again later");
			goto out;
		}
		msg_add_fields(m, start);
		goto out;
	}
	if (!verified) {
		/* the verifier may have begun at the end of the data */
		dkim_verify_set_deadline(m->verify, m->deadline);
		vst = dkim_verify_finish(m->verify, &oc, &err);
	}
	if (vst != MS_OK) {
		why = arena_strdup(&m->arena, err.msg);
		pol_verdict_set(v, POLICY_TEMPFAIL, 451, "4.3.0",
			    "the message could not be verified now; try again later");
		goto out;
	}
	ocp = &oc;
	if (pol_revoked_signer(m, &oc, v))
		goto out;       /* a local rule: before what senders publish */
	exempt = m->auth_user || m->local ||
		 (m->client_ip && netlist_match(m->p->spf.trusted, m->client_ip));
	if (!m->spf_known)
		m->spf_checked = policy_spf_run(&m->p->spf, m->p->dns,
						m->deadline, m->client_ip, m->helo,
						m->mail_from, exempt,
						&m->arena, &m->spf);
	if (!exempt && !m->from_bad)
		m->dmarc_checked = policy_dmarc_eval(&m->p->dmarc, m->p->dns,
						     &m->from, oc.results,
						     oc.nresults,
						     m->spf_checked ? &m->spf
						     : NULL, m->deadline,
						     &m->arena, &m->dmarc);
	start = m->fields.len;
	if (msg_authres(m, &oc) != MS_OK) {
		why = "the Authentication-Results field is too large";
		pol_verdict_set(v, POLICY_TEMPFAIL, 451, "4.3.0",
			    "the message could not be verified now; try again later");
		goto out;
	}
	if (m->spf_checked && m->p->spf.received &&
	    spf_received_field(&m->spf, m->client_ip, m->helo, m->authserv_id,
			       &m->fields) != MS_OK) {
		why = "the Received-SPF field is too large";
		pol_verdict_set(v, POLICY_TEMPFAIL, 451, "4.3.0",
			    "the message could not be verified now; try again later");
		goto out;
	}
	msg_add_fields(m, start);
	pol_judge(m, &oc, v);
out:
	if (v->action != POLICY_ACCEPT)
		v->quarantine = 0;
	if (v->action == POLICY_ACCEPT) {
		v->add = m->add;
		v->nadd = m->nadd;
		v->remove = m->remove;
		v->nremove = m->nremove;
	}
	msg_log(m, ocp, why, v);
	pol_count_message(m, ocp, v);
	policy_report_record(&m->p->report, m, ocp, v);
	if (ocp && v->action == POLICY_ACCEPT)
		pol_sig_record(m, ocp);
}

/* policy_msg_free - release the context */
void policy_msg_free(struct policy_msg *m)
{
	if (!m)
		return;
	dkim_sign_free(m->sign);
	dkim_signer_free(m->signer);
	dkim_verify_free(m->verify);
	if (!m->direct)
		msgreader_free(&m->mr);
	buf_free(&m->fields);
	arena_free(&m->arena);
	free(m);
}

/* policy_error_verdict - a tempfail for a front end without a verdict */
void policy_error_verdict(struct policy_verdict *v, enum policy_error kind,
			  const char *why)
{
	struct buf b;

	memset(v, 0, sizeof(*v));
	if (kind == POLICY_ERR_CONFIG)
		pol_verdict_set(v, POLICY_TEMPFAIL, 451, "4.3.5",
			    "mail cannot be accepted now (local configuration "
			    "problem); try again later");
	else
		pol_verdict_set(v, POLICY_TEMPFAIL, 451, "4.3.0",
			    "mail cannot be accepted now (local problem); try "
			    "again later");
	buf_init(&b, POLICY_LOG_MAX * 2);
	buf_printf(&b, "role=none action=tempfail code=451 dsn=%s error=\"",
		   v->dsn);
	pol_put_safe(&b, why);
	buf_putc(&b, '"');
	pol_copy_out(v->log, sizeof(v->log), &b);
	buf_free(&b);
	pol_count_error(v);
}

