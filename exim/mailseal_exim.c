/*
 * mailseal_exim.c - the Exim front end: a local_scan() function, built
 * as a shared object for Debian's local_scan_path, or compiled into
 * Exim with LOCAL_SCAN_SOURCE.
 *
 * It only translates.  Facts come from Exim's variables (authenticated
 * id, sender host, $acl_m_mailseal, the message id); the message from
 * header_list and the spool file descriptor; the verdict of the policy
 * engine goes back as header changes and a local_scan return code with
 * return_text.  Every rule lives in common/policy/policy.c.
 *
 * Exim calls local_scan in the process that receives the message (one
 * per SMTP connection, forked from the daemon).  The engine is built
 * there on first use and kept for the later messages of the
 * connection, until the configuration file or a file of its tables
 * (the signing table that `mailseal key` rewrites, sending_rights ...)
 * changes: each message checks (a few stat calls), and the next
 * message after a change is handled by a new engine.  A configuration
 * that fails to load is retried with the next message.  At the end of every call the resolver's worker thread
 * (there is one only with a DNSSEC trust anchor) is stopped, so that no
 * thread outlives local_scan.  Nothing here calls exit().
 *
 * mailseal_prewarm, a ${dlfunc} entry point, lets the daemon build the
 * engine before it forks (docs/exim.md: smtp_accept_max_per_host is
 * expanded in the daemon for every connection): each session process
 * then inherits a started OpenSSL, the loaded configuration and keys,
 * instead of paying for them itself.  An engine opens nothing on the
 * network until a message needs it, and a Redis connection inherited
 * over a fork is dropped and opened anew, so inheriting it is safe.
 * The daemon checks the configuration file's and the tables' time and
 * identity at each call and builds the engine again when one changed.
 *
 * mailseal_spf, a ${dlfunc} entry point for acl_smtp_rcpt, checks SPF
 * before DATA (policy_check_spf) with the same engine, and expands to
 * the engine's reply: "550 5.7.23 text", "451 4.4.3 text" to refuse,
 * "250 RESULT" to accept (docs/exim.md).  Its outcome is kept in the
 * process for the transaction: the later RCPTs reuse it, and
 * local_scan hands it to the engine (facts.spf) instead of checking
 * again.  Exim names no transaction before DATA (message_id comes
 * with the message), so the outcome is bound to what it was computed
 * for: the process (one SMTP session), the exact client address, HELO
 * name and envelope sender, and $rcpt_count (which only grows within
 * a transaction and starts again at 1 with the next MAIL); a call with
 * anything else checks again, and local_scan consumes it, used or not,
 * so that no later message sees it.
 *
 * With farm_stats, what the engine counted (metrics.h) goes to the
 * farm's Redis at the end of each message, and after an SPF refusal
 * at RCPT (policy_push_stats: one round trip; none while Redis is
 * away, and the counts wait for the next message of the process): the
 * process does not live long enough for anything to scrape it.
 */
#ifndef LOCAL_SCAN                      /* Exim's own build defines it */
#define LOCAL_SCAN
#endif
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "local_scan.h"

#include "arena.h"
#include "base64.h"
#include "buf.h"
#include "certinfo.h"
#include "hex.h"
#include "config.h"
#include "filewatch.h"
#include "mslog.h"
#include "numparse.h"
#include "policy.h"
#include "spf.h"

#define MSE_CHUNK (64 * 1024)

/* per process; built in the daemon by mailseal_prewarm, or in the
 * session process by its first message */
static struct policy *mse_policy;
static struct filestamp mse_conf_st;    /* of the file it was built from */
static int mse_conf_absent;

/* the SPF step of the current transaction (mailseal_spf), until the
 * envelope changes or local_scan consumes it; strings in arena */
struct mse_spf_txn {
	int valid;
	const char *ip;                 /* the envelope it was computed for */
	const char *helo;
	const char *sender;
	unsigned long rcpt_count;       /* $rcpt_count at the last call */
	int checked;                    /* outcome holds a result */
	struct spf_outcome outcome;
	const char *reply;              /* what mailseal_spf expands to */
	struct arena arena;
};
static struct mse_spf_txn mse_txn;

int mailseal_prewarm(uschar **yield, int argc, uschar *argv[]);
int mailseal_spf(uschar **yield, int argc, uschar *argv[]);
int mailseal_tls(uschar **yield, int argc, uschar *argv[]);

int local_scan_version_major(void);
int local_scan_version_minor(void);

/* local_scan_version_major - the ABI Debian's loader checks */
int local_scan_version_major(void)
{
	return LOCAL_SCAN_ABI_VERSION_MAJOR;
}

/* local_scan_version_minor - the ABI Debian's loader checks */
int local_scan_version_minor(void)
{
	return LOCAL_SCAN_ABI_VERSION_MINOR;
}

/* mse_log_sink - the library's own messages go to Exim's main log
 * (which puts the message id in front of every line written while a
 * message is being received) */
static void mse_log_sink(enum ms_log_level level, const char *msg)
{
	static const char *const names[] = { "error", "warning", "info" };

	log_write(0, LOG_MAIN, "mailseal: %s: %s", names[level], msg);
}

/* mse_expand - an Exim variable, or "" */
static const char *mse_expand(const char *var)
{
	uschar *v = expand_string(US var);

	return v ? CS v : "";
}

/* mse_config_path - MAILSEAL_CONFIG, or the built-in default */
static const char *mse_config_path(int *explicit)
{
	const char *path = getenv("MAILSEAL_CONFIG");

	*explicit = path && *path;
	return *explicit ? path : MAILSEAL_DEFAULT_CONFIG;
}

/* mse_changed - the file the engine was built from that changed since
 * (the configuration, or a file of its tables), or NULL */
static const char *mse_changed(const char *path)
{
	if (filestamp_changed(path, &mse_conf_st))
		return path;
	return mse_policy ? filewatch_which(policy_files(mse_policy)) : NULL;
}

/* exim_quarantine = header: a held message is marked, not frozen */
static int mse_hold_header;
/* the node's shared cache the daemon mapped (slots; 0: none) */
static size_t mse_node_slots;

/* mse_build - the engine from the configuration file; NULL with why
 * filled when it cannot be loaded.  In the daemon (prewarm), the
 * node's shared cache is mapped first, for every session it forks. */
static struct policy *mse_build(int prewarm, char *why, size_t whylen)
{
	struct ms_config cfg;
	struct ms_error err;
	int explicit, absent;
	const char *path = mse_config_path(&explicit);
	struct policy *p;

	ms_log_set_sink(mse_log_sink);
	filestamp_take(path, &mse_conf_st);
	mse_conf_absent = !mse_conf_st.present;
	config_init(&cfg);
	/* an absent default file means the defaults; a named one must
	 * exist, and one that cannot be read is an error, never absent */
	if (config_load_opt(&cfg, path, !explicit, &absent, &err) != MS_OK) {
		snprintf(why, whylen, "%s", err.msg);
		config_free(&cfg);
		return NULL;
	}
	if (prewarm)
		mse_node_slots = policy_share_node(&cfg);
	p = policy_new(&cfg, &err);
	mse_hold_header = cfg.exim_quarantine == MS_QUARANTINE_HEADER;
	if (p && absent)
		log_write(0, LOG_MAIN, "mailseal: %s does not exist: running "
			  "on built-in defaults (verify only, nothing "
			  "required)", path);
	config_free(&cfg);
	if (!p)
		snprintf(why, whylen, "%s: %s", path, err.msg);
	return p;
}

/* mse_engine - the engine of this process: inherited from the daemon,
 * or built on first use, and again when a file it was built from
 * changed */
static struct policy *mse_engine(char *why, size_t whylen)
{
	const char *changed;
	int explicit;

	if (mse_policy &&
	    (changed = mse_changed(mse_config_path(&explicit))) != NULL) {
		log_write(0, LOG_MAIN, "mailseal: %s changed: building the "
			  "engine again", changed);
		policy_free(mse_policy);
		mse_policy = NULL;
	}
	if (!mse_policy)
		mse_policy = mse_build(0, why, whylen);
	return mse_policy;
}

/* mailseal_prewarm - ${dlfunc{.../mailseal_exim.so}{mailseal_prewarm}{N}}:
 * build (or, when its file changed, rebuild) the engine in the calling
 * process and expand to N (or ""), so that it can stand where Exim
 * expands a number in the daemon.  A configuration that does not load
 * is logged once per change; each session then tries for itself and
 * answers 451 as always.  A build that worked is logged too, once per
 * build, so that an operator sees the option took effect. */
int mailseal_prewarm(uschar **yield, int argc, uschar *argv[])
{
	static int failed;
	char why[MS_ERRMSG_MAX + 64];
	int explicit;

	*yield = argc > 0 ? argv[0] : US"";
	if (mse_policy && !mse_changed(mse_config_path(&explicit))) {
		/* the sessions inherit a fresh copy of the revocations, and
		 * the keys and answers earlier sessions fetched, ready */
		policy_refresh(mse_policy);
		(void)policy_preload(mse_policy);
		return OK;
	}
	if (!mse_policy && failed && !mse_changed(mse_config_path(&explicit)))
		return OK;              /* still broken: said so already */
	policy_free(mse_policy);
	mse_policy = mse_build(1, why, sizeof(why));
	failed = mse_policy == NULL;
	if (mse_policy) {
		policy_prepare(mse_policy);
		policy_refresh(mse_policy);
	}
	if (failed)
		log_write(0, LOG_MAIN, "mailseal: pre-warming in the daemon failed: %s",
			  why);
	else
		log_write(0, LOG_MAIN, "mailseal: pre-warmed in the daemon from %s%s"
			  " (shared cache: %zu slots)",
			  mse_config_path(&explicit),
			  mse_conf_absent ? " (absent: the defaults)" : "",
			  mse_node_slots);
	return OK;
}

/* mse_auth_user - the SMTP AUTH identity of the session, or NULL */
static const char *mse_auth_user(void)
{
	const char *id;

	if (!sender_host_authenticated || !*sender_host_authenticated)
		return NULL;
	id = mse_expand("$authenticated_id");
	return *id ? id : CS sender_host_authenticated;
}

/* mse_rcpt_count - $rcpt_count: the RCPT commands of the current
 * transaction so far (0 before the first, and outside SMTP) */
static unsigned long mse_rcpt_count(void)
{
	const char *s = mse_expand("$rcpt_count");
	uint64_t n;

	if (num_parse_u64((const unsigned char *)s, strlen(s), ULONG_MAX,
			  &n) != MS_OK)
		return 0;
	return (unsigned long)n;
}

/* mse_txn_reset - forget the transaction's SPF step */
static void mse_txn_reset(void)
{
	arena_free(&mse_txn.arena);
	memset(&mse_txn, 0, sizeof(mse_txn));
	arena_init(&mse_txn.arena);
}

/* mse_txn_matches - was the kept SPF step made for this very envelope,
 * in this transaction (as far as $rcpt_count can tell)? */
static int mse_txn_matches(const char *ip, const char *helo,
			   const char *sender, unsigned long rcpt_count)
{
	return mse_txn.valid && rcpt_count >= mse_txn.rcpt_count &&
	       strcmp(ip, mse_txn.ip) == 0 &&
	       strcmp(helo, mse_txn.helo) == 0 &&
	       strcmp(sender, mse_txn.sender) == 0;
}

/* mse_spf_reply - what mailseal_spf expands to for verdict v: the
 * refusal as an SMTP reply, or "250 " and the SPF result ("unchecked"
 * when there is none) */
static const char *mse_spf_reply(const struct policy_verdict *v,
				 int checked, const struct spf_outcome *o,
				 struct arena *a)
{
	char r[POLICY_TEXT_MAX + 32];

	if (v->action != POLICY_ACCEPT)
		snprintf(r, sizeof(r), "%u %s %s", v->code, v->dsn, v->text);
	else
		snprintf(r, sizeof(r), "250 %s",
			 checked ? spf_result_str(o->result) : "unchecked");
	return arena_strdup(a, r);
}

/* mailseal_spf - ${dlfunc{.../mailseal_exim.so}{mailseal_spf}
 * {$sender_host_address}{$sender_helo_name}{$sender_address}
 * [{$authenticated_id}]}, in acl_smtp_rcpt: the SPF step of the
 * envelope, checked once per transaction; expands to "550 5.7.23 ...",
 * "550 5.7.24 ...", "451 4.4.3 ..." (or "451 4.3.5 ..." when the
 * configuration does not load) to refuse, "250 RESULT" to accept.
 * Authenticated sessions (the fourth argument, or Exim's own record)
 * and local submissions (no client address) are not checked. */
int mailseal_spf(uschar **yield, int argc, uschar *argv[])
{
	struct policy_facts f = { 0 };
	struct policy_verdict v;
	struct policy *p;
	const char *ip, *helo, *sender;
	char why[MS_ERRMSG_MAX + 64];
	unsigned long rcpt;

	if (argc < 3 || argc > 4) {
		*yield = US"mailseal_spf: wants {client address}{HELO name}"
			   "{envelope sender}, and optionally {authenticated id}";
		return ERROR;
	}
	ip = CS argv[0];
	helo = CS argv[1];
	sender = CS argv[2];
	f.auth_user = argc > 3 && *argv[3] ? CS argv[3] : mse_auth_user();
	f.local_submission = sender_host_address == NULL || !*ip;
	if ((f.auth_user && *f.auth_user) || f.local_submission) {
		mse_txn_reset();
		*yield = US"250 unchecked";
		return OK;
	}
	rcpt = mse_rcpt_count();
	if (!mse_txn_matches(ip, helo, sender, rcpt)) {
		mse_txn_reset();
		p = mse_engine(why, sizeof(why));
		if (!p) {
			policy_error_verdict(&v, POLICY_ERR_CONFIG, why);
			log_write(0, LOG_MAIN, "mailseal: %s", v.log);
			*yield = string_sprintf("%u %s %s", v.code, v.dsn, v.text);
			return OK;
		}
		/* the outcome points into the envelope it was given (its
		 * domain and sender): give it copies that live as long as
		 * it does, never Exim's strings of this ACL run */
		mse_txn.ip = arena_strdup(&mse_txn.arena, ip);
		mse_txn.helo = arena_strdup(&mse_txn.arena, helo);
		mse_txn.sender = arena_strdup(&mse_txn.arena, sender);
		f.client_ip = mse_txn.ip;
		f.helo = mse_txn.helo;
		f.mail_from = mse_txn.sender;
		mse_txn.checked = policy_check_spf(p, &f, &mse_txn.arena,
						   &mse_txn.outcome, &v);
		policy_idle(p);         /* no thread outlives the call */
		if (mse_txn.checked)
			log_write(0, LOG_MAIN, "mailseal: %s", v.log);
		if (v.action != POLICY_ACCEPT)
			policy_push_stats(p);   /* the transaction ends here */
		mse_txn.reply = mse_spf_reply(&v, mse_txn.checked,
					      &mse_txn.outcome, &mse_txn.arena);
		mse_txn.valid = 1;
	}
	mse_txn.rcpt_count = rcpt;
	*yield = string_sprintf("%s", mse_txn.reply);
	return OK;
}

/* mse_cert - what the engine reads of the client certificate: only of
 * one Exim verified (verified "1"), from its DER in base64; 0, or -1
 * when there is none (a certificate that cannot be read is logged and
 * taken as none) */
static int mse_cert(const char *verified, const char *b64, struct arena *a,
		    struct certinfo *ci)
{
	struct ms_error err;
	struct buf der;
	int rc = -1;

	if (strcmp(verified, "1") != 0 || !*b64)
		return -1;
	buf_init(&der, CERTINFO_MAX_DER);
	if (base64_decode((const unsigned char *)b64, strlen(b64), &der) != MS_OK)
		ms_error_set(&err, MS_ERR_SYNTAX, "not base64");
	else if (certinfo_from_der(der.data, der.len, a, ci, &err) == MS_OK)
		rc = 0;
	if (rc != 0)
		log_write(0, LOG_MAIN, "mailseal: the verified client certificate cannot be read (%s); taken as none",
			  err.msg);
	buf_free(&der);
	return rc;
}

/* mse_client_spki - the public key hash (hex, in a) of the session's
 * verified client certificate, for the farm's record of accepted mail;
 * NULL when there is none */
static const char *mse_client_spki(struct arena *a)
{
	struct certinfo ci;

	/* the certificate is expanded only for a session that has one
	 * Exim verified: most sessions pay one lookup of a variable */
	if (!sender_host_address ||
	    strcmp(mse_expand("$tls_in_certificate_verified"), "1") != 0 ||
	    mse_cert("1", mse_expand("${base64:$tls_in_peercert}"), a,
		     &ci) != 0)
		return NULL;
	return hex_lower(ci.spki, TLSPIN_LEN,
			 arena_alloc(a, 2 * TLSPIN_LEN + 1));
}

/* mailseal_tls - ${dlfunc{.../mailseal_exim.so}{mailseal_tls}
 * {$sender_address}{$tls_in_cipher}{$tls_in_certificate_verified}
 * {${base64:$tls_in_peercert}}}, in acl_smtp_mail or acl_smtp_rcpt:
 * the sending domain's tls_policy (and the older require_tls and
 * tls_pins); expands to "550 5.7.1 ..." (require) or "451 4.7.1 ..."
 * (test, or a configuration that does not load) to refuse, "250 ok"
 * to accept.  The certificate is read only when Exim verified it
 * ($tls_in_peercert may not be the leaf otherwise); its public key
 * hash and DNS names come from the DER (certinfo.h). */
int mailseal_tls(uschar **yield, int argc, uschar *argv[])
{
	struct policy_tls tls = { 0 };
	struct policy_verdict v;
	struct certinfo ci;
	struct arena a;
	struct policy *p;
	char why[MS_ERRMSG_MAX + 64];

	if (argc != 4) {
		*yield = US"mailseal_tls: wants {envelope sender}{$tls_in_cipher}"
			   "{$tls_in_certificate_verified}{${base64:$tls_in_peercert}}";
		return ERROR;
	}
	p = mse_engine(why, sizeof(why));
	if (!p) {
		policy_error_verdict(&v, POLICY_ERR_CONFIG, why);
		log_write(0, LOG_MAIN, "mailseal: %s", v.log);
		*yield = string_sprintf("%u %s %s", v.code, v.dsn, v.text);
		return OK;
	}
	arena_init(&a);
	tls.encrypted = *argv[1] != 0;
	if (mse_cert(CS argv[2], CS argv[3], &a, &ci) == 0) {
		size_t n = 8 + sizeof(ci.issuer) + sizeof(ci.serial);
		char *sid = arena_alloc(&a, n);

		tls.verified_subject = ci.nnames ? ci.names[0] : "verified";
		tls.names = ci.names;
		tls.nnames = ci.nnames;
		tls.spki = ci.spki;
		snprintf(sid, n, "serial:%s:%s", ci.issuer, ci.serial);
		tls.serial_id = sid;    /* a CA's CRL imported by the farm */
	}
	policy_check_sender(p, CS argv[0], &tls, &v);
	if (v.action != POLICY_ACCEPT || v.log_accept)
		log_write(0, LOG_MAIN, "mailseal: %s", v.log);
	*yield = v.action == POLICY_ACCEPT ? US"250 ok"
		 : string_sprintf("%u %s %s", v.code, v.dsn, v.text);
	arena_free(&a);
	return OK;
}

/* mse_feed_message - header_list, the empty line, then the body from
 * the spool file; -1 with errno when the spool cannot be read */
static int mse_feed_message(struct policy_msg *m, int fd)
{
	static unsigned char chunk[MSE_CHUNK];
	header_line *h;
	ssize_t n;

	for (h = header_list; h; h = h->next)
		if (h->type != '*')
			policy_feed(m, (const unsigned char *)h->text,
				    (size_t)h->slen);
	policy_feed(m, (const unsigned char *)"\n", 1);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		policy_feed(m, chunk, (size_t)n);
	}
	return n < 0 ? -1 : 0;
}

/* mse_lf - a CRLF-ended field as Exim keeps headers: LF line ends */
static uschar *mse_lf(const char *field)
{
	size_t n = strlen(field), i, k = 0;
	uschar *s = store_get((int)n + 1, GET_UNTAINTED);

	for (i = 0; i < n; i++)
		if (field[i] != '\r' || field[i + 1] != '\n')
			s[k++] = (uschar)field[i];
	s[k] = 0;
	return s;
}

/* mse_apply_headers - the verdict's removals and additions */
static void mse_apply_headers(const struct policy_verdict *v)
{
	header_line *h;
	size_t idx = 0, r = 0, i;

	for (h = header_list; h && r < v->nremove; h = h->next) {
		if (h->type == '*')
			continue;
		if (idx++ != v->remove[r].index)
			continue;
		if (strncasecmp(CS h->text, v->remove[r].name,
				strlen(v->remove[r].name)) == 0)
			h->type = '*';
		r++;
	}
	/* each goes on top of the previous one: add the last first */
	for (i = v->nadd; i-- > 0;)
		header_add_at_position(FALSE, NULL, FALSE, ' ', "%s",
				       mse_lf(v->add[i].field));
}

/* mse_return - the verdict as local_scan's return code and text; a
 * message to hold is frozen (its reason in the log line Exim writes),
 * or with exim_quarantine = header marked with X-Mailseal-Quarantine
 * for the administrator's routers and filters */
static int mse_return(const struct policy_verdict *v, uschar **return_text)
{
	if (mse_hold_header && v->action == POLICY_ACCEPT) {
		header_line *h;

		/* only ours may say so: a sender's own is dropped */
		for (h = header_list; h; h = h->next)
			if (h->type != '*' &&
			    strncasecmp(CS h->text, "X-Mailseal-Quarantine:",
					22) == 0)
				h->type = '*';
		if (v->quarantine) {
			header_add(' ', "X-Mailseal-Quarantine: %s\n",
				   v->quarantine_why);
			return LOCAL_SCAN_ACCEPT;
		}
	}
	if (v->action == POLICY_ACCEPT && v->quarantine) {
		*return_text = string_sprintf("%s", v->quarantine_why);
		return LOCAL_SCAN_ACCEPT_FREEZE;
	}
	if (v->action == POLICY_ACCEPT)
		return LOCAL_SCAN_ACCEPT;
	*return_text = string_sprintf("%s %s", v->dsn, v->text);
	return v->action == POLICY_REJECT ? LOCAL_SCAN_REJECT
					  : LOCAL_SCAN_TEMPREJECT;
}

/* mse_scan - one message; the SPF step of mailseal_spf when it was
 * made for this message's envelope */
static int mse_scan(int fd, uschar **return_text)
{
	struct policy_verdict v;
	struct policy_facts f = { 0 };
	struct policy_msg *m;
	struct policy *p;
	const char *mode;
	char why[MS_ERRMSG_MAX + 64];
	struct arena cert_arena;
	int mode_val, rc;

	p = mse_engine(why, sizeof(why));
	if (!p) {
		policy_error_verdict(&v, POLICY_ERR_CONFIG, why);
		log_write(0, LOG_MAIN, "mailseal: %s", v.log);
		return mse_return(&v, return_text);
	}
	mode = mse_expand("$acl_m_mailseal");
	mode_val = policy_mode_parse(mode);
	if (mode_val < 0) {
		snprintf(why, sizeof(why),
			 "acl_m_mailseal is \"%.60s\", not sign, verify or skip",
			 mode);
		policy_error_verdict(&v, POLICY_ERR_CONFIG, why);
		log_write(0, LOG_MAIN, "mailseal: %s", v.log);
		return mse_return(&v, return_text);
	}
	f.mode = (enum policy_mode)mode_val;
	f.txid = CS message_id;
	f.auth_user = mse_auth_user();
	f.local_submission = sender_host_address == NULL;
	/* a local submission's caller: sending_rights' identity for it */
	if (f.local_submission)
		f.local_user = mse_expand("$sender_ident");
	f.hostname = mse_expand("$primary_hostname");
	f.rcpt = recipients_count > 0 ? CS recipients_list[0].address : NULL;
	/* the envelope, for SPF (local submissions are never checked) */
	if (sender_host_address) {
		f.client_ip = CS sender_host_address;
		f.helo = mse_expand("$sender_helo_name");
		f.mail_from = mse_expand("$sender_address");
		if (!f.auth_user && mse_txn.checked &&
		    mse_txn_matches(f.client_ip, f.helo, f.mail_from,
				    mse_rcpt_count())) {
			f.spf = &mse_txn.outcome;       /* copied by policy_begin */
		}
	}
	arena_init(&cert_arena);
	f.client_spki = mse_client_spki(&cert_arena);
	m = policy_begin(p, &f);        /* copies what it keeps */
	arena_free(&cert_arena);
	if (mse_feed_message(m, fd) != 0) {
		snprintf(why, sizeof(why), "cannot read the spool file: %s",
			 strerror(errno));
		policy_msg_free(m);
		policy_idle(p);
		policy_error_verdict(&v, POLICY_ERR_LOCAL, why);
		log_write(0, LOG_MAIN, "mailseal: %s", v.log);
		return mse_return(&v, return_text);
	}
	policy_finish(m, &v);
	policy_idle(p);                 /* no thread outlives local_scan */
	if (v.action == POLICY_ACCEPT)
		mse_apply_headers(&v);
	log_write(0, LOG_MAIN, "mailseal: %s", v.log);
	rc = mse_return(&v, return_text);
	policy_msg_free(m);
	policy_push_stats(p);
	return rc;
}

/* local_scan - one message; what mailseal_spf kept for its transaction
 * is used up, whatever the outcome */
int local_scan(int fd, uschar **return_text)
{
	int rc = mse_scan(fd, return_text);

	mse_txn_reset();
	return rc;
}
