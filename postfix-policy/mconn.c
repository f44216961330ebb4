/*
 * mconn.c - one milter client (a Postfix smtpd or cleanup process):
 * negotiation, macros, envelope, headers, body chunks, end of message.
 *
 * The message goes to the engine as it arrives: each header field is
 * rebuilt as "Name:" + value + CRLF (the value with its leading space,
 * SMFIP_HDR_LEADSPC, and its folds), the end of headers as CRLF, body
 * chunks as they come.  At the end of the message the engine's verdict
 * becomes header changes (removals first, by rank among fields of the
 * name as received; then insertions at the top), a reply code for a
 * rejection or a temporary failure, and one log line under the queue
 * id.  Everything the engine needs from Postfix arrives in macros:
 * {auth_authen} (SASL login: sign), i (queue id), j (host name: the
 * default authserv-id), {daemon_name}.
 *
 * Negotiation asks Postfix not to send DATA and unknown commands, nor
 * RCPT unless DMARC report rows are recorded (check_dmarc, dmarc_reports
 * and a farm Redis: the first RCPT is a row's envelope_to), and not to
 * wait for replies to anything but the end of the
 * message, when it offers that (version 6): one round trip per message.
 * A protocol error closes the connection; Postfix then applies
 * milter_default_action.
 *
 * An MTA that did not take our macro lists (no SMFIF_SETSYMLIST) may
 * not send {auth_authen}: then, and only then, the policy side's note
 * for this very transaction (queue id, client address, envelope sender:
 * txtable.c) stands in for it.  The note's SPF outcome, or that of
 * the identity note the first RCPT left (checked by the
 * policy side before DATA) is handed to the engine, which then does
 * not check again, when the note was made for this very identity
 * (the same HELO name, and client port when known), with or without
 * macro lists; otherwise the engine checks SPF itself.  Deadlines: a packet begun must be whole
 * within packet_timeout, a transaction must end within message_timeout
 * of MAIL, whatever trickle of bytes keeps the idle timeout away.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "milterproto.h"
#include "msclock.h"
#include "policyd.h"
#include "xalloc.h"

#define MC_MACROS 32
#define MC_MACRO_LEN 512

/* what we ask Postfix not to send, and not to wait for */
#define MC_NOSEND (SMFIP_NOUNKNOWN | SMFIP_NODATA)   /* and NORCPT, below */
#define MC_NOREPLY (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | \
		    SMFIP_NR_RCPT | SMFIP_NR_DATA | SMFIP_NR_UNKN | \
		    SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)

struct mc_macro {
	char name[64];
	char value[MC_MACRO_LEN];
};

struct mconn {
	struct worker *w;
	struct conn *c;
	uint32_t proto;                 /* what was agreed */
	int negotiated;
	int symlists;                   /* the MTA took our macro lists */
	int can_hold;                   /* the MTA lets us quarantine */
	struct mc_macro macros[MC_MACROS];
	size_t nmacros;
	char family;                    /* of the SMTP client, from CONNECT */
	unsigned client_port;
	char client_addr[64];
	char client_host[256];
	char helo[256];                 /* of HELO/EHLO, for SPF */
	char sender[TXT_SENDER];        /* of MAIL, without <>; "" for <> */
	int sender_ok;                  /* sender fits: a note may match */
	char rcpt[TXT_SENDER];          /* the first RCPT, "" none (or too long) */
	struct policy_msg *msg;         /* the message being received */
	uint64_t pkt_start;             /* ms: first bytes of an incomplete packet */
	uint64_t msg_start;             /* ms: MAIL of the transaction; 0 = none */
	time_t mail_time;               /* time(NULL) at MAIL; 0 = none */
	struct buf line;                /* one rebuilt header field */
	struct buf out;                 /* replies */
};

/* ---- macros ---- */

static struct mc_macro *mc_macro_slot(struct mconn *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nmacros; i++)
		if (strcmp(m->macros[i].name, name) == 0)
			return &m->macros[i];
	if (m->nmacros == MC_MACROS)
		return NULL;
	return &m->macros[m->nmacros++];
}

static const char *mc_macro(const struct mconn *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nmacros; i++)
		if (strcmp(m->macros[i].name, name) == 0)
			return m->macros[i].value;
	return "";
}

/* mc_set_macro - names may come with or without braces: keep both
 * spellings reachable by storing the bare one */
static void mc_set_macro(struct mconn *m, const char *name, const char *value)
{
	char bare[64];
	size_t n = strlen(name), vl = strlen(value);
	struct mc_macro *s;

	if (n >= 2 && name[0] == '{' && name[n - 1] == '}') {
		name++;
		n -= 2;
	}
	if (n >= sizeof(bare))
		return;
	memcpy(bare, name, n);
	bare[n] = 0;
	s = mc_macro_slot(m, bare);
	if (!s)
		return;
	memcpy(s->name, bare, n + 1);
	if (vl >= sizeof(s->value))
		vl = sizeof(s->value) - 1;
	memcpy(s->value, value, vl);
	s->value[vl] = 0;
}

/* mc_forget - macros of the message stages, at a new message */
static void mc_forget_message_macros(struct mconn *m)
{
	static const char *const names[] = {
		"i", "auth_authen", "auth_type", "auth_author", "mail_addr",
	};
	size_t i, k;

	for (i = 0; i < m->nmacros; i++)
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strcmp(m->macros[i].name, names[k]) == 0)
				m->macros[i].value[0] = 0;
}

/* ---- replies ---- */

static int mc_flush(struct mconn *m)
{
	int r = 0;

	if (m->out.len)
		r = conn_write(m->c, m->out.data, m->out.len);
	buf_reset(&m->out);
	return r;
}

/* mc_continue - SMFIR_CONTINUE unless the agreed protocol says that
 * command gets no reply */
static int mc_continue(struct mconn *m, uint32_t noreply_flag)
{
	if (noreply_flag && (m->proto & noreply_flag))
		return 0;
	milter_put(&m->out, SMFIR_CONTINUE, NULL, 0);
	return mc_flush(m);
}

/* ---- the message ---- */

/* mc_tx_key - this transaction as the policy side names it */
static struct tx_key mc_tx_key(const struct mconn *m)
{
	struct tx_key k = { mc_macro(m, "i"), m->client_addr, m->sender, "" };

	return k;
}

/* mc_end_message - the transaction ends (end of message, abort, a new
 * MAIL): a note the policy side left for it is used up too */
static void mc_end_message(struct mconn *m)
{
	struct tx_key k = mc_tx_key(m);

	if (m->sender_ok)
		txtable_drop(&k);
	policy_msg_free(m->msg);
	m->msg = NULL;
	m->msg_start = 0;
	m->mail_time = 0;
}

/* mc_set_sender - the envelope sender of MAIL ("<addr>" and ESMTP
 * parameters as separate strings), kept bare as the policy side's
 * sender attribute has it */
static void mc_set_sender(struct mconn *m, const char *arg)
{
	size_t n = strlen(arg);

	if (n >= 2 && arg[0] == '<' && arg[n - 1] == '>') {
		arg++;
		n -= 2;
	}
	m->sender_ok = n < sizeof(m->sender);
	if (!m->sender_ok)
		n = 0;
	memcpy(m->sender, arg, n);
	m->sender[n] = 0;
}

/* mc_auth_user - the SASL login of this transaction: the
 * {auth_authen} macro; when the MTA was not told which macros to send
 * (no SMFIF_SETSYMLIST) and sent none, what the policy side noted for
 * this very transaction (note, or NULL).  With our macro lists Postfix
 * sends {auth_authen} whenever there is one: its absence means
 * unauthenticated, and no note may say otherwise. */
static const char *mc_auth_user(const struct mconn *m,
				const struct tx_note *note)
{
	const char *auth = mc_macro(m, "auth_authen");

	if (*auth || m->symlists || !note)
		return auth;
	return note->user;
}

/* mc_spf_note - the policy side's SPF outcome of this transaction into
 * o, when the note has one checked for exactly this identity: the key
 * bound the queue id (or none: an identity note), client address and
 * sender; the HELO name and
 * (when Postfix told the policy side) the client's port must be this
 * session's too, and SPF still on.  In any doubt the engine checks.
 * Whether Postfix took our macro lists does not matter here
 * (txtable.c says why). */
static int mc_spf_note(const struct mconn *m, const struct tx_note *note,
		       struct spf_outcome *o)
{
	char port[TXT_PORT];

	if (!note || !note->spf.known || !m->w->gen ||
	    !policy_spf_on(&m->w->gen->cfg) ||
	    (m->family != '4' && m->family != '6') ||
	    strcmp(note->spf.helo, m->helo) != 0)
		return 0;
	snprintf(port, sizeof(port), "%u", m->client_port);
	if (*note->spf.port && strcmp(note->spf.port, port) != 0)
		return 0;
	tx_spf_outcome(&note->spf, o);
	return 1;
}

/* mc_is_local - was the message submitted on this host?  Postfix's
 * cleanup hands mail from sendmail(1)/pickup to non_smtpd_milters with
 * a made-up connection from "localhost" 127.0.0.1 port 0, which no TCP
 * client can have; a unix-socket client (family 'L') and a
 * milter_macro_daemon_name of "pickup" are local too */
static int mc_is_local(const struct mconn *m)
{
	if (m->family == 'L' || strcmp(mc_macro(m, "daemon_name"), "pickup") == 0)
		return 1;
	return (m->family == '4' || m->family == '6') && m->client_port == 0 &&
	       strcmp(m->client_host, "localhost") == 0 &&
	       (strcmp(m->client_addr, "127.0.0.1") == 0 ||
		strcmp(m->client_addr, "::1") == 0);
}

/* mc_begin_message - the engine context, at the first header field;
 * 0, or -1 when there is no engine */
static int mc_begin_message(struct mconn *m)
{
	struct policy_facts f = { 0 };
	struct policy *p;
	struct tx_key k = mc_tx_key(m), kid = k;
	struct tx_note note, idnote, *have = NULL, *id = NULL;
	char port[TXT_PORT];
	struct spf_outcome spf;
	const char *qid = mc_macro(m, "i");
	const char *auth;

	p = worker_engine(m->w);
	if (!p)
		return -1;
	/* the policy side's note: taken (used up) by this message */
	if (m->sender_ok && txtable_take(&k, &note))
		have = &note;
	/* the identity note, made since MAIL (txtable.c); a second early,
	 * as MAIL needs no reply and Postfix may ask the policy side at
	 * RCPT before this thread has read it */
	kid.qid = "";
	snprintf(port, sizeof(port), "%u", m->client_port);
	if (m->sender_ok && m->mail_time) {
		kid.port = port;        /* Postfix sent client_port */
		if (txtable_peek_since(&kid, m->mail_time - 1, &idnote))
			id = &idnote;
		kid.port = "";          /* it did not */
		if (!id && txtable_peek_since(&kid, m->mail_time - 1, &idnote))
			id = &idnote;
	}
	auth = mc_auth_user(m, have);
	if (!m->msg_start)
		m->msg_start = ms_clock_ms();   /* an MTA that sent no MAIL */
	f.txid = *qid ? qid : NULL;
	f.auth_user = auth;
	f.local_submission = mc_is_local(m);
	f.hostname = mc_macro(m, "j");
	if ((m->family == '4' || m->family == '6') && m->client_addr[0]) {
		/* the envelope, for SPF */
		f.client_ip = m->client_addr;
		f.helo = m->helo;
		f.mail_from = m->sender_ok ? m->sender : NULL;
		if (!*auth && (mc_spf_note(m, have, &spf) ||
			       mc_spf_note(m, id, &spf)))
			f.spf = &spf;   /* the verdict's line says spf_at=rcpt */
	}
	f.rcpt = m->rcpt[0] ? m->rcpt : NULL;
	/* the certificate the policy side saw for this session */
	f.client_spki = have && *have->spki ? have->spki
			: id && *id->spki ? id->spki : NULL;
	f.mode = POLICY_AUTO;
	m->msg = policy_begin(p, &f);
	return 0;
}

/* mc_header - one header field to the engine: "Name:" value CRLF,
 * each LF of a fold made CRLF (the spans between them copied whole) */
static void mc_header(struct mconn *m, const char *name, const char *value)
{
	const char *v = value, *nl;

	buf_reset(&m->line);
	buf_puts(&m->line, name);
	buf_putc(&m->line, ':');
	if (!(m->proto & SMFIP_HDR_LEADSPC))
		buf_putc(&m->line, ' ');
	while ((nl = strchr(v, '\n')) != NULL) {
		size_t n = (size_t)(nl - v);

		if (n && nl[-1] == '\r')
			n--;            /* already CRLF */
		buf_append(&m->line, v, n);
		buf_append(&m->line, "\r\n", 2);
		v = nl + 1;
	}
	buf_puts(&m->line, v);
	buf_append(&m->line, "\r\n", 2);
	policy_feed(m->msg, m->line.data, m->line.len);
}

/* mc_end_of_message - the verdict as milter replies */
static int mc_end_of_message(struct mconn *m)
{
	struct policy_verdict v;
	const char *qid;
	size_t i;

	if (!m->msg) {
		/* a message without header fields */
		if (mc_begin_message(m) != 0)
			goto tempfail;
	}
	qid = mc_macro(m, "i");
	policy_finish(m->msg, &v);
	dlog(LOG_INFO, "%s: mailseal: %s", *qid ? qid : "NOQUEUE", v.log);
	if (v.action == POLICY_ACCEPT) {
		/* the last first: removing one never renumbers those left */
		for (i = v.nremove; i-- > 0;)
			milter_put_header(&m->out, SMFIR_CHGHEADER,
					  (uint32_t)v.remove[i].nth,
					  v.remove[i].name, "");
		/* each insertion at 0 goes above the last: last first */
		for (i = v.nadd; i-- > 0;) {
			buf_reset(&m->line);
			if (m->proto & SMFIP_HDR_LEADSPC)
				buf_putc(&m->line, ' ');
			buf_puts(&m->line, v.add[i].value);
			milter_put_header(&m->out, SMFIR_INSHEADER, 0,
					  v.add[i].name, buf_str(&m->line));
		}
		if (v.quarantine && m->can_hold)
			milter_put(&m->out, SMFIR_QUARANTINE, v.quarantine_why,
				   strlen(v.quarantine_why) + 1);
		else if (v.quarantine)
			dlog(LOG_WARNING, "%s: mailseal: the MTA does not let "
			     "a milter quarantine: not held (%s)",
			     *qid ? qid : "NOQUEUE", v.quarantine_why);
		milter_put(&m->out, SMFIR_CONTINUE, NULL, 0);
	} else {
		milter_put_reply(&m->out, v.code, v.dsn, v.text);
	}
	mc_end_message(m);
	return mc_flush(m);
tempfail:
	{
		struct policy_verdict e;

		policy_error_verdict(&e, POLICY_ERR_CONFIG, "no engine");
		dlog(LOG_ERR, "%s: mailseal: %s", mc_macro(m, "i"), e.log);
		milter_put_reply(&m->out, e.code, e.dsn, e.text);
		return mc_flush(m);
	}
}

/* ---- packets ---- */

/* the macros asked for: the host name and daemon name at connect, the
 * queue id and SASL login at MAIL, the queue id again with the header
 * fields (Postfix may assign it only after the first RCPT) and at the
 * end of the message */
static const struct milter_symlist mc_symlists[] = {
	{ SMFIM_CONNECT, "j {daemon_name}" },
	{ SMFIM_ENVFROM, "i {auth_authen}" },
	{ SMFIM_EOH, "i" },
	{ SMFIM_EOM, "i" },
};

/* mc_wants_rcpt - does the engine record DMARC report rows, which
 * carry the first recipient?  (Otherwise RCPT is one packet per
 * recipient for nothing.) */
static int mc_wants_rcpt(void)
{
	struct generation *g = gen_hold();
	int r = g && g->cfg.check_dmarc == MS_YES &&
		g->cfg.dmarc_reports == MS_YES &&
		config_has_redis(&g->cfg);

	if (g)
		gen_release(g);
	return r;
}

/* mc_optneg - agree on version, actions and what not to send */
static int mc_optneg(struct mconn *m, const struct milter_packet *pkt)
{
	uint32_t version, actions, proto, want;

	if (milter_optneg(pkt, &version, &actions, &proto) != MS_OK ||
	    version < 2) {
		dlog(LOG_WARNING, "milter client: bad negotiation packet; closing");
		return -1;
	}
	if (!(actions & SMFIF_ADDHDRS) || !(actions & SMFIF_CHGHDRS)) {
		dlog(LOG_WARNING, "milter client: the MTA does not let a milter add and change header fields; closing");
		return -1;
	}
	want = (MC_NOSEND | MC_NOREPLY | SMFIP_HDR_LEADSPC |
		(mc_wants_rcpt() ? 0 : SMFIP_NORCPT)) & proto;
	m->proto = want;
	m->negotiated = 1;
	/* only the macros the engine reads, when the MTA lets us say so:
	 * fewer bytes for Postfix to expand and send per message */
	m->symlists = (actions & SMFIF_SETSYMLIST) != 0;
	/* DMARC's quarantine: Postfix's hold queue */
	m->can_hold = (actions & SMFIF_QUARANTINE) != 0;
	if (m->symlists)
		milter_put_optneg(&m->out, version < MILTER_VERSION ? version : MILTER_VERSION,
				  SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_SETSYMLIST |
				  (m->can_hold ? SMFIF_QUARANTINE : 0),
				  want, mc_symlists,
				  sizeof(mc_symlists) / sizeof(mc_symlists[0]));
	else
		milter_put_optneg(&m->out, version < MILTER_VERSION ? version : MILTER_VERSION,
				  SMFIF_ADDHDRS | SMFIF_CHGHDRS |
				  (m->can_hold ? SMFIF_QUARANTINE : 0), want,
				  NULL, 0);
	return mc_flush(m);
}

/* mc_packet - one packet; 0 to go on, 1 the client quit, -1 an error */
static int mc_packet(struct mconn *m, const struct milter_packet *pkt)
{
	const char *s[MILTER_MAX_ARGS];
	const char *name, *value, *host, *addr;
	size_t n, i;
	unsigned port;
	char stage;

	if (!m->negotiated && pkt->cmd != SMFIC_OPTNEG) {
		dlog(LOG_WARNING, "milter client: command '%c' before negotiation; closing",
		     pkt->cmd >= 32 && pkt->cmd < 127 ? pkt->cmd : '?');
		return -1;
	}
	switch (pkt->cmd) {
	case SMFIC_OPTNEG:
		return mc_optneg(m, pkt);
	case SMFIC_MACRO:
		if (milter_macros(pkt, &stage, s, MILTER_MAX_ARGS, &n) != MS_OK)
			goto bad;
		if (stage == SMFIC_MAIL)
			mc_forget_message_macros(m);
		for (i = 0; i + 1 < n; i += 2)
			mc_set_macro(m, s[i], s[i + 1]);
		return 0;               /* macros get no reply */
	case SMFIC_CONNECT:
		if (milter_connect(pkt, &host, &m->family, &port, &addr) != MS_OK)
			goto bad;
		snprintf(m->client_addr, sizeof(m->client_addr), "%s", addr);
		snprintf(m->client_host, sizeof(m->client_host), "%s", host);
		m->client_port = port;
		return mc_continue(m, SMFIP_NR_CONN);
	case SMFIC_HELO:
		/* the HELO name, for SPF's null-sender and %{h} */
		if (milter_strings(pkt, s, MILTER_MAX_ARGS) >= 1)
			snprintf(m->helo, sizeof(m->helo), "%s", s[0]);
		return mc_continue(m, SMFIP_NR_HELO);
	case SMFIC_MAIL:
		if (milter_strings(pkt, s, MILTER_MAX_ARGS) < 1)
			goto bad;
		/* a new transaction: the macros already name it, so what
		 * is left of an old one is not dropped under its key */
		m->sender_ok = 0;
		mc_end_message(m);
		mc_set_sender(m, s[0]);
		m->rcpt[0] = 0;
		m->msg_start = ms_clock_ms();
		m->mail_time = time(NULL);
		return mc_continue(m, SMFIP_NR_MAIL);
	case SMFIC_RCPT:
		if (!m->rcpt[0] && milter_strings(pkt, s, MILTER_MAX_ARGS) >= 1 &&
		    strlen(s[0]) < sizeof(m->rcpt))
			strcpy(m->rcpt, s[0]);
		return mc_continue(m, SMFIP_NR_RCPT);
	case SMFIC_DATA:
		return mc_continue(m, SMFIP_NR_DATA);
	case SMFIC_UNKNOWN:
		return mc_continue(m, SMFIP_NR_UNKN);
	case SMFIC_HEADER:
		if (milter_header(pkt, &name, &value) != MS_OK)
			goto bad;
		if (!m->msg && mc_begin_message(m) != 0)
			return -1;
		mc_header(m, name, value);
		return mc_continue(m, SMFIP_NR_HDR);
	case SMFIC_EOH:
		if (!m->msg && mc_begin_message(m) != 0)
			return -1;
		policy_feed(m->msg, (const unsigned char *)"\r\n", 2);
		return mc_continue(m, SMFIP_NR_EOH);
	case SMFIC_BODY:
		if (!m->msg && mc_begin_message(m) != 0)
			return -1;
		policy_feed(m->msg, pkt->data, pkt->len);
		return mc_continue(m, SMFIP_NR_BODY);
	case SMFIC_BODYEOB:
		if (pkt->len) {         /* a last chunk with the end */
			if (!m->msg && mc_begin_message(m) != 0)
				return -1;
			policy_feed(m->msg, pkt->data, pkt->len);
		}
		return mc_end_of_message(m);
	case SMFIC_ABORT:
		mc_end_message(m);
		return 0;               /* no reply */
	case SMFIC_QUIT:
		return 1;
	case SMFIC_QUIT_NC:
		mc_end_message(m);
		m->sender_ok = 0;
		m->nmacros = 0;
		m->family = 0;
		m->client_port = 0;
		m->client_addr[0] = 0;
		m->client_host[0] = 0;
		m->helo[0] = 0;
		return 0;
	default:
		dlog(LOG_WARNING, "milter client: unknown command 0x%02x; closing",
		     pkt->cmd);
		return -1;
	}
bad:
	dlog(LOG_WARNING, "milter client: malformed '%c' packet (%zu bytes); closing",
	     pkt->cmd, pkt->len);
	return -1;
}

/* mc_deadline - by when what is being received must be complete: the
 * packet begun (packet_timeout) and the transaction (message_timeout),
 * whichever comes first; 0 for none */
static uint64_t mc_deadline(const struct mconn *m)
{
	uint64_t d = 0;

	if (m->pkt_start)
		d = m->pkt_start + policyd_packet_timeout_ms;
	if (m->msg_start) {
		uint64_t md = m->msg_start + policyd_message_timeout_ms;

		if (!d || md < d)
			d = md;
	}
	return d;
}

/* mc_fill - more bytes for an incomplete packet; 0, or -1 to close
 * (end of file, an error, a deadline: logged) */
static int mc_fill(struct mconn *m)
{
	struct conn *c = m->c;
	int r;

	if (c->rpos < c->rbuf.len && !m->pkt_start)
		m->pkt_start = ms_clock_ms();
	/* between messages a shutdown may close us */
	c->idle_ok = m->msg == NULL && c->rpos == c->rbuf.len;
	c->deadline = mc_deadline(m);
	r = conn_fill(c);
	if (r > 0)
		return 0;
	if (r < 0 && c->deadline && ms_clock_ms() >= c->deadline) {
		if (m->msg_start && ms_clock_ms() >= m->msg_start + policyd_message_timeout_ms)
			dlog(LOG_WARNING, "%s: milter client: message not complete after %u ms (message_timeout); closing",
			     *mc_macro(m, "i") ? mc_macro(m, "i") : "NOQUEUE",
			     policyd_message_timeout_ms);
		else
			dlog(LOG_WARNING, "milter client: a packet not complete after %u ms (packet_timeout); closing",
			     policyd_packet_timeout_ms);
	} else if (m->msg) {
		dlog(LOG_WARNING, "%s: milter client went away within a message",
		     mc_macro(m, "i"));
	}
	return -1;
}

/* milter_serve - one milter client until it closes */
void milter_serve(struct worker *w, struct conn *c)
{
	struct mconn *m = xcalloc(1, sizeof(*m));

	m->w = w;
	m->c = c;
	buf_init(&m->line, MILTER_MAX_PACKET * 2 + 16);
	buf_init(&m->out, MILTER_MAX_PACKET * 4);
	for (;;) {
		struct milter_packet pkt;
		long used = milter_frame(c->rbuf.data + c->rpos,
					 c->rbuf.len - c->rpos, &pkt);
		int r;

		if (used < 0) {
			dlog(LOG_WARNING, "milter client: packet length 0 or over %d bytes; closing",
			     MILTER_MAX_PACKET);
			break;
		}
		if (used == 0) {
			if (mc_fill(m) != 0)
				break;
			continue;
		}
		m->pkt_start = 0;
		r = mc_packet(m, &pkt);
		conn_consume(c, (size_t)used);
		if (r != 0)
			break;
	}
	mc_end_message(m);
	buf_free(&m->line);
	buf_free(&m->out);
	free(m);
}
