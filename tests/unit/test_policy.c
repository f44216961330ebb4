/*
 * test_policy.c - the policy engine, table-driven.
 *
 * Keys: Ed25519 for example.com, bank.example, a.bank.example and
 * other.example, made here by crypto_keygen; the signing table names
 * example.com and bank.example; require_signed is "bank.example
 * .bank.example"; keys are served by keyfile_parse of records built
 * here, behind a wrapper source that answers "temporary failure" for
 * selector "slow" (a DNS timeout without DNS).
 *
 * Each case gives the facts, the message (signed beforehand by the
 * named domain, tampered or not) and the configuration's on_* values,
 * and expects the action, code, enhanced code, role, the header fields
 * added (by name) and removed (by rank), and words of the text and log.
 * Messages are also fed a byte at a time: the verdict must not change.
 * Each verdict is counted once (metrics.h): its role and action, its
 * refusal's code, its results.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base64.h"
#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "dkim_sign.h"
#include "keyfile.h"
#include "metrics.h"
#include "policy.h"
#include "sendrights.h"
#include "unit.h"
#include "zonefile.h"

static char dir[] = "/tmp/test_policy.XXXXXX";
static struct keysource *files;

/* ---- keys ---- */

struct tkey {
	const char *domain;
	const char *selector;
	EVP_PKEY *pkey;
};

static struct tkey tkeys[] = {
	{ "example.com", "ed", NULL },
	{ "bank.example", "b", NULL },
	{ "a.bank.example", "sub", NULL },
	{ "other.example", "o", NULL },
	{ "bank.example", "slow", NULL },       /* its lookups fail for now */
};
#define NKEYS (sizeof(tkeys) / sizeof(tkeys[0]))

static EVP_PKEY *key_of(const char *domain, const char *selector)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (!strcmp(tkeys[i].domain, domain) &&
		    !strcmp(tkeys[i].selector, selector))
			return tkeys[i].pkey;
	return NULL;
}

/* every key lookup takes this long (the shared DNS budget's test) */
static unsigned key_delay_ms;

/* slow_lookup - "slow" selectors fail, the rest come from the file */
static void slow_lookup(struct keysource *ks, const char *name,
			uint64_t deadline_ms, struct arena *arena,
			struct key_answer *ans)
{
	(void)ks;
	if (key_delay_ms)
		usleep(key_delay_ms * 1000);
	if (strncmp(name, "slow.", 5) == 0) {
		memset(ans, 0, sizeof(*ans));
		ans->status = KEY_TEMPFAIL;
		ans->reason = "DNS timed out";
		return;
	}
	keysource_lookup_until(files, name, deadline_ms, arena, ans);
}

static void slow_destroy(struct keysource *ks)
{
	(void)ks;
}

static const struct keysource_ops slow_ops = { slow_lookup, slow_destroy };
static struct keysource slow_source = { &slow_ops };

static int setup_keys(void)
{
	struct buf rec, b64, file, table;
	struct ms_error err;
	char path[256];
	size_t i;

	buf_init(&rec, 1 << 16);
	buf_init(&b64, 1 << 16);
	buf_init(&file, 1 << 20);
	buf_init(&table, 1 << 16);
	for (i = 0; i < NKEYS; i++) {
		if (crypto_keygen(DKIM_ALG_ED25519_SHA256, 0, &tkeys[i].pkey,
				  &err) != MS_OK)
			return -1;
		buf_reset(&rec);
		buf_reset(&b64);
		if (crypto_public_record(tkeys[i].pkey, &rec, &err) != MS_OK ||
		    base64_encode(rec.data, rec.len, &b64) != MS_OK)
			return -1;
		buf_printf(&file, "%s._domainkey.%s v=DKIM1; k=ed25519; p=%s\n",
			   tkeys[i].selector, tkeys[i].domain, buf_str(&b64));
		snprintf(path, sizeof(path), "%s/%s-%s.pem", dir,
			 tkeys[i].domain, tkeys[i].selector);
		if (crypto_write_private_pem(tkeys[i].pkey, path, &err) != MS_OK)
			return -1;
	}
	files = keyfile_parse(file.data, file.len, "test keys", &err);
	buf_printf(&table, "example.com ed %s/example.com-ed.pem\n"
		   "bank.example b %s/bank.example-b.pem\n", dir, dir);
	snprintf(path, sizeof(path), "%s/signing.table", dir);
	{
		FILE *f = fopen(path, "w");

		if (!f)
			return -1;
		fputs(buf_str(&table), f);
		fclose(f);
	}
	buf_free(&rec);
	buf_free(&b64);
	buf_free(&file);
	buf_free(&table);
	return files ? 0 : -1;
}

/* ---- messages ---- */

#define BODY "Hello,\r\n\r\nthe engine decides.\r\n"

/* sign_one - a signature of "domain/selector" over plain, put on top
 * of those in sigs */
static void sign_one(struct buf *sigs, const struct buf *plain,
		     const char *signer)
{
	char dom[64], sel[32];
	struct dkim_signer *s = dkim_signer_new();
	struct dkim_sign_key k = { 0 };
	struct dkim_sign *m;
	struct ms_error err;
	struct buf one;

	buf_init(&one, 1 << 16);
	sscanf(signer, "%63[^/]/%31[^,*]", dom, sel);
	k.domain = dom;
	k.selector = sel;
	k.pkey = key_of(dom, sel);
	k.hdr_canon = k.body_canon = DKIM_CANON_RELAXED;
	if (dkim_signer_add(s, &k, &err) != MS_OK)
		fprintf(stderr, "signer %s: %s\n", signer, err.msg);
	m = dkim_sign_begin(s, 0);
	dkim_sign_feed(m, plain->data, plain->len);
	dkim_sign_finish(m, &one, &err);
	dkim_sign_free(m);
	dkim_signer_free(s);
	buf_append(&one, sigs->data, sigs->len);
	buf_reset(sigs);
	buf_append(sigs, one.data, one.len);
	buf_free(&one);
}

/* make_msg - headers (with \n line ends turned to CRLF) + BODY, signed
 * by signer when given: "domain/selector", several separated by commas
 * (each later one on top), "domain/selector*N" N times; the body
 * changed after signing when tamper is set */
static void make_msg(struct buf *out, const char *headers, const char *signer,
		     int tamper)
{
	struct buf plain, sigs;
	const char *p;

	buf_init(&plain, 1 << 20);
	buf_init(&sigs, 1 << 16);
	for (p = headers; *p; p++) {
		if (*p == '\n')
			buf_putc(&plain, '\r');
		buf_putc(&plain, *p);
	}
	buf_puts(&plain, "\r\n" BODY);
	for (p = signer; p && *p;) {
		const char *end = strchr(p, ','), *star = strchr(p, '*');
		int times = star && (!end || star < end) ? atoi(star + 1) : 1;

		while (times-- > 0)
			sign_one(&sigs, &plain, p);
		p = end ? end + 1 : NULL;
	}
	buf_append(out, sigs.data, sigs.len);
	buf_append(out, plain.data, plain.len);
	if (tamper)
		buf_puts(out, "P.S. added later\r\n");
	buf_free(&plain);
	buf_free(&sigs);
}

/* ---- cases ---- */

struct pcase {
	const char *name;
	const char *auth;               /* auth user or NULL */
	int local;
	enum policy_mode mode;
	const char *headers;
	const char *signer;             /* "domain/selector" or NULL */
	int tamper;
	unsigned on_temperror, on_signature_fail, on_bad_from;
	/* expected */
	enum policy_action action;
	unsigned code;
	const char *dsn;
	enum policy_role role;
	const char *added;              /* names, comma-separated, top first */
	const char *removed;            /* ranks: "1", "1,3" or "" */
	const char *text_has;           /* words of the reply text, or NULL */
	const char *log_has;            /* words of the log line, or NULL */
	const char *ar_has;             /* words of the added A-R, or NULL */
};

#define FROM_BANK "From: Teller <teller@bank.example>\nTo: you@local.test\nSubject: s\n"
#define FROM_SUB "From: teller@a.bank.example\nTo: you@local.test\nSubject: s\n"
#define FROM_EX "From: alice@example.com\nTo: you@local.test\nSubject: s\n"
#define FROM_OTHER "From: o@other.example\nTo: you@local.test\nSubject: s\n"

static const struct pcase cases[] = {
	/* the signing side */
	{ "authenticated, From in the signing table: signed", "alice", 0,
	  POLICY_AUTO, FROM_EX, NULL, 0, 0, 0, 0,
	  POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_SIGN, "DKIM-Signature", "",
	  NULL, "signed=example.com/ed", NULL },
	{ "local submission, From in the signing table: signed", NULL, 1,
	  POLICY_AUTO, FROM_EX, NULL, 0, 0, 0, 0,
	  POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_SIGN, "DKIM-Signature", "",
	  NULL, "role=sign", NULL },
	{ "unauthenticated, From in the signing table: verified, not signed",
	  NULL, 0, POLICY_AUTO, FROM_EX, NULL, 0, 0, 0, 0,
	  POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_VERIFY,
	  "Authentication-Results", "", NULL, "dkim=none", "dkim=none" },
	{ "override sign without AUTH: signed", NULL, 0, POLICY_SIGN, FROM_EX,
	  NULL, 0, 0, 0, 0, POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_SIGN,
	  "DKIM-Signature", "", NULL, NULL, NULL },
	{ "override verify with AUTH: verified", "alice", 0, POLICY_VERIFY,
	  FROM_EX, NULL, 0, 0, 0, 0, POLICY_ACCEPT, 250, "2.0.0",
	  POLICY_ROLE_VERIFY, "Authentication-Results", "", NULL, NULL, NULL },
	{ "override skip: untouched but for A-R claiming our id", "alice", 0,
	  POLICY_SKIP,
	  FROM_BANK "Authentication-Results: mx.test; dkim=pass\n"
	  "Authentication-Results: other.host; dkim=pass\n", NULL, 0,
	  0, 0, 0, POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_SKIP, "", "1",
	  NULL, "removed_ar=1", NULL },
	{ "override skip, unauthenticated: no verdict, claims removed", NULL,
	  0, POLICY_SKIP,
	  FROM_BANK "Authentication-Results: mx.test.; dkim=pass\n", NULL, 0,
	  0, 0, 0, POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_SKIP, "", "1",
	  NULL, "removed_ar=1", NULL },
	{ "authenticated, From with our domain and a require_signed one: 550",
	  "alice", 0, POLICY_AUTO,
	  "From: alice@example.com, ceo@a.bank.example\nSubject: s\n", NULL,
	  0, 0, 0, 0, POLICY_REJECT, 550, "5.7.20", POLICY_ROLE_VERIFY, "", "",
	  "mail from a.bank.example must carry",
	  "unsigned=\"From domain a.bank.example requires its own signature",
	  NULL },
	{ "authenticated, From with two domains we both sign for: signed",
	  "alice", 0, POLICY_AUTO,
	  "From: alice@example.com, teller@bank.example\nSubject: s\n", NULL,
	  0, 0, 0, 0, POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_SIGN,
	  "DKIM-Signature,DKIM-Signature", "", NULL,
	  "signed=example.com/ed,bank.example/b", NULL },
	{ "authenticated, From not in the table: verified, logged", "alice", 0,
	  POLICY_AUTO, FROM_OTHER, NULL, 0, 0, 0, 0,
	  POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_VERIFY,
	  "Authentication-Results", "", NULL,
	  "unsigned=\"From domain other.example is not in the signing table\"",
	  NULL },
	{ "authenticated, forging a require_signed From it has no key for: 550",
	  "alice", 0, POLICY_AUTO, FROM_SUB, NULL, 0, 0, 0, 0,
	  POLICY_REJECT, 550, "5.7.20", POLICY_ROLE_VERIFY, "", "",
	  "mail from a.bank.example must carry", NULL, NULL },
	/* require_signed */
	{ "require_signed, unsigned: 550 5.7.20", NULL, 0, POLICY_AUTO,
	  FROM_BANK, NULL, 0, 0, 0, 0, POLICY_REJECT, 550, "5.7.20",
	  POLICY_ROLE_VERIFY, "", "", "the message is not signed",
	  "action=reject", NULL },
	{ "require_signed, signed by its own domain: pass", NULL, 0,
	  POLICY_AUTO, FROM_BANK, "bank.example/b", 0, 0, 0, 0,
	  POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_VERIFY,
	  "Authentication-Results", "", NULL, "dkim=pass/bank.example/b",
	  "dkim=pass header.d=bank.example header.s=b" },
	{ "require_signed subdomain, signed by the parent: pass", NULL, 0,
	  POLICY_AUTO, FROM_SUB, "bank.example/b", 0, 0, 0, 0,
	  POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_VERIFY,
	  "Authentication-Results", "", NULL, NULL, "dkim=pass" },
	{ "require_signed parent, signed by a subdomain only: 5.7.22", NULL, 0,
	  POLICY_AUTO, FROM_BANK, "a.bank.example/sub", 0, 0, 0, 0,
	  POLICY_REJECT, 550, "5.7.22", POLICY_ROLE_VERIFY, "", "",
	  "it is signed by a.bank.example only", NULL, NULL },
	{ "require_signed, signed by another domain: 5.7.22", NULL, 0,
	  POLICY_AUTO, FROM_BANK, "other.example/o", 0, 0, 0, 0,
	  POLICY_REJECT, 550, "5.7.22", POLICY_ROLE_VERIFY, "", "",
	  "signed by other.example only", NULL, NULL },
	{ "require_signed, its signature tampered: 5.7.20", NULL, 0,
	  POLICY_AUTO, FROM_BANK, "bank.example/b", 1, 0, 0, 0,
	  POLICY_REJECT, 550, "5.7.20", POLICY_ROLE_VERIFY, "", "",
	  "the signature of bank.example did not verify", "dkim=fail", NULL },
	{ "require_signed, another domain's signature failed: 5.7.20", NULL, 0,
	  POLICY_AUTO, FROM_BANK, "other.example/o", 1, 0, 0, 0,
	  POLICY_REJECT, 550, "5.7.20", POLICY_ROLE_VERIFY, "", "",
	  "no signature of bank.example verified", NULL, NULL },
	{ "require_signed, key lookup temporarily failing: 451 4.4.3", NULL, 0,
	  POLICY_AUTO, FROM_BANK, "bank.example/slow", 0, 0, 0, 0,
	  POLICY_TEMPFAIL, 451, "4.4.3", POLICY_ROLE_VERIFY, "", "",
	  "try again later", "dkim=temperror", NULL },
	{ "require_signed, temperror with on_temperror=accept: tagged", NULL,
	  0, POLICY_AUTO, FROM_BANK, "bank.example/slow", 0,
	  MS_TEMPERROR_ACCEPT, 0, 0, POLICY_ACCEPT, 250, "2.0.0",
	  POLICY_ROLE_VERIFY, "Authentication-Results", "", NULL, NULL,
	  "dkim=temperror" },
	/* domains not in require_signed */
	{ "ordinary domain, signature passes: tagged pass", NULL, 0,
	  POLICY_AUTO, FROM_OTHER, "other.example/o", 0, 0, 0, 0,
	  POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_VERIFY,
	  "Authentication-Results", "", NULL, NULL,
	  "dkim=pass header.d=other.example" },
	{ "ordinary domain, tampered, on_signature_fail=tag: tagged fail", NULL,
	  0, POLICY_AUTO, FROM_OTHER, "other.example/o", 1, 0, 0, 0,
	  POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_VERIFY,
	  "Authentication-Results", "", NULL, NULL,
	  "dkim=fail reason=\"body hash did not verify\"" },
	{ "ordinary domain, tampered, on_signature_fail=reject: 550 5.7.20",
	  NULL, 0, POLICY_AUTO, FROM_OTHER, "other.example/o", 1, 0,
	  MS_SIGFAIL_REJECT, 0, POLICY_REJECT, 550, "5.7.20",
	  POLICY_ROLE_VERIFY, "", "",
	  "the DKIM signature of other.example did not verify", NULL, NULL },
	{ "ordinary domain, unsigned: tagged none", NULL, 0, POLICY_AUTO,
	  FROM_OTHER, NULL, 0, 0, MS_SIGFAIL_REJECT, 0, POLICY_ACCEPT, 250,
	  "2.0.0", POLICY_ROLE_VERIFY, "Authentication-Results", "", NULL,
	  NULL, "dkim=none" },
	{ "ordinary domain, temperror: 451 4.4.3", NULL, 0, POLICY_AUTO,
	  FROM_OTHER, "bank.example/slow", 0, 0, 0, 0, POLICY_TEMPFAIL, 451,
	  "4.4.3", POLICY_ROLE_VERIFY, "", "", "could not be verified now",
	  NULL, NULL },
	/* the author */
	{ "two From fields: 550 5.7.1", NULL, 0, POLICY_AUTO,
	  "From: o@other.example\nFrom: teller@bank.example\nSubject: s\n",
	  "other.example/o", 0, 0, 0, 0, POLICY_REJECT, 550, "5.7.1",
	  POLICY_ROLE_VERIFY, "", "", "the message has 2 From header fields",
	  NULL, NULL },
	{ "two From fields, on_bad_from=accept: require_signed still applies",
	  NULL, 0, POLICY_AUTO,
	  "From: o@other.example\nFrom: teller@bank.example\nSubject: s\n",
	  "other.example/o", 0, 0, 0, MS_BADFROM_ACCEPT, POLICY_REJECT, 550,
	  "5.7.22", POLICY_ROLE_VERIFY, "", "", "mail from bank.example",
	  NULL, NULL },
	{ "two From fields, authenticated: not signed, 550 5.7.1", "alice", 0,
	  POLICY_AUTO, "From: a@example.com\nFrom: b@example.com\n", NULL, 0,
	  0, 0, 0, POLICY_REJECT, 550, "5.7.1", POLICY_ROLE_VERIFY, "", "",
	  NULL, "unsigned=", NULL },
	{ "no From field: 550 5.7.1", NULL, 0, POLICY_AUTO,
	  "To: you@local.test\nSubject: s\n", NULL, 0, 0, 0, 0, POLICY_REJECT,
	  550, "5.7.1", POLICY_ROLE_VERIFY, "", "",
	  "the message has no From header field", NULL, NULL },
	{ "no From field, on_bad_from=accept: tagged", NULL, 0, POLICY_AUTO,
	  "To: you@local.test\nSubject: s\n", NULL, 0, 0, 0, MS_BADFROM_ACCEPT,
	  POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_VERIFY,
	  "Authentication-Results", "", NULL, NULL, NULL },
	{ "unreadable From: 550 5.7.1", NULL, 0, POLICY_AUTO,
	  "From: <teller@bank.example\nSubject: s\n", NULL, 0, 0, 0, 0,
	  POLICY_REJECT, 550, "5.7.1", POLICY_ROLE_VERIFY, "", "",
	  "the From header field cannot be read", NULL, NULL },
	{ "From with two mailboxes, one of them require_signed: 550", NULL, 0,
	  POLICY_AUTO, "From: o@other.example, teller@bank.example\n",
	  "other.example/o", 0, 0, 0, 0, POLICY_REJECT, 550, "5.7.22",
	  POLICY_ROLE_VERIFY, "", "", "mail from bank.example", NULL, NULL },
	/* Authentication-Results claims */
	{ "A-R claiming our id removed, another kept", NULL, 0, POLICY_AUTO,
	  FROM_OTHER "Authentication-Results: other.host; dkim=pass\n"
	  "Authentication-Results: mx.test; dkim=pass header.d=bank.example\n"
	  "Authentication-Results: (c) \"MX.Test\"; dkim=pass\n",
	  NULL, 0, 0, 0, 0, POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_VERIFY,
	  "Authentication-Results", "2,3", NULL, "removed_ar=2",
	  "mx.test;" },
	{ "A-R claiming our id removed from a signed submission too", "alice",
	  0, POLICY_AUTO,
	  FROM_EX "Authentication-Results: mx.test; dkim=pass\n", NULL, 0, 0,
	  0, 0, POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_SIGN,
	  "DKIM-Signature", "1", NULL, NULL, NULL },
	{ "A-R claims: a final dot, an unclosed quote, an unclosed comment",
	  NULL, 0, POLICY_AUTO,
	  FROM_OTHER "Authentication-Results: mx.test.; dkim=pass\n"
	  "Authentication-Results: \"mx.test; dkim=pass\n"
	  "Authentication-Results: (note mx.test; dkim=pass\n"
	  "Authentication-Results: \"other.host; dkim=pass\n"
	  "Authentication-Results: \" MX.test \"; dkim=pass\n",
	  NULL, 0, 0, 0, 0, POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_VERIFY,
	  "Authentication-Results", "1,2,3,5", NULL, "removed_ar=4", NULL },
	/* max_signatures (5): the author's signatures first */
	{ "five other signatures above the author's: the author's is verified",
	  NULL, 0, POLICY_AUTO, FROM_BANK,
	  "bank.example/b,other.example/o*5", 0, 0, 0, 0, POLICY_ACCEPT, 250,
	  "2.0.0", POLICY_ROLE_VERIFY, "Authentication-Results", "", NULL,
	  "dkim=pass/bank.example/b", "dkim=pass header.d=bank.example" },
	{ "five other signatures above a parent domain's: it is verified", NULL,
	  0, POLICY_AUTO, FROM_SUB, "bank.example/b,other.example/o*6", 0, 0,
	  0, 0, POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_VERIFY,
	  "Authentication-Results", "", NULL, "skipped=2", NULL },
	{ "six failing signatures of the author: the sixth unchecked, 451",
	  NULL, 0, POLICY_AUTO, FROM_BANK, "bank.example/b*6", 1, 0, 0, 0,
	  POLICY_TEMPFAIL, 451, "4.7.0", POLICY_ROLE_VERIFY, "", "",
	  "1 that may be of bank.example were not verified",
	  "skipped_author=1", NULL },
	{ "six failing author signatures, on_signature_fail=reject: 451", NULL,
	  0, POLICY_AUTO, FROM_OTHER, "other.example/o*6", 1, 0,
	  MS_SIGFAIL_REJECT, 0, POLICY_TEMPFAIL, 451, "4.7.0",
	  POLICY_ROLE_VERIFY, "", "", "max_signatures 5", NULL, NULL },
	{ "A-R with an id that only starts like ours kept", NULL, 0,
	  POLICY_AUTO, FROM_OTHER "Authentication-Results: mx.test.evil; none\n",
	  NULL, 0, 0, 0, 0, POLICY_ACCEPT, 250, "2.0.0", POLICY_ROLE_VERIFY,
	  "Authentication-Results", "", NULL, NULL, NULL },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static struct policy *make_policy(const struct pcase *c)
{
	struct ms_config cfg;
	struct ms_error err;
	struct policy *p;
	char path[256];

	config_init(&cfg);
	snprintf(path, sizeof(path), "%s/signing.table", dir);
	config_set(&cfg, "signing_table", path, "test", 1, &err);
	config_set(&cfg, "require_signed", "bank.example .bank.example", "test",
		   2, &err);
	config_set(&cfg, "authserv_id", "mx.test", "test", 3, &err);
	cfg.on_temperror = c->on_temperror;
	cfg.on_signature_fail = c->on_signature_fail;
	cfg.on_bad_from = c->on_bad_from;
	p = policy_new_with_keys(&cfg, &slow_source, &err);
	if (!p)
		fprintf(stderr, "policy_new: %s\n", err.msg);
	config_free(&cfg);
	return p;
}

/* run - the verdict for msg, fed in chunks of `chunk` bytes; writes a
 * summary of it into sum for comparisons */
static void run(struct policy *p, const struct pcase *c, const struct buf *msg,
		size_t chunk, struct policy_verdict *v, char *sum, size_t sumlen)
{
	struct policy_facts f = { .txid = "T1", .auth_user = c->auth,
				  .local_submission = c->local,
				  .hostname = "ignored.host", .mode = c->mode };
	struct policy_msg *m = policy_begin(p, &f);
	size_t i, off = 0;

	for (i = 0; i < msg->len; i += chunk)
		policy_feed(m, msg->data + i,
			    msg->len - i < chunk ? msg->len - i : chunk);
	policy_finish(m, v);
	off += (size_t)snprintf(sum, sumlen, "%d %u %s %d add=", v->action,
				v->code, v->dsn, v->role);
	for (i = 0; i < v->nadd && off < sumlen; i++)
		off += (size_t)snprintf(sum + off, sumlen - off, "%s%s",
					i ? "," : "", v->add[i].name);
	if (off < sumlen)
		off += (size_t)snprintf(sum + off, sumlen - off, " rm=");
	for (i = 0; i < v->nremove && off < sumlen; i++)
		off += (size_t)snprintf(sum + off, sumlen - off, "%s%zu",
					i ? "," : "", v->remove[i].nth);
	/* the A-R text, for ar_has */
	for (i = 0; i < v->nadd && off < sumlen; i++)
		if (!strcasecmp(v->add[i].name, "Authentication-Results"))
			off += (size_t)snprintf(sum + off, sumlen - off,
						" AR[%s]", v->add[i].value);
	policy_msg_free(m);
}

/* counted_once - what the verdict v was counted as between the
 * snapshots: its role and action once and no other message, its
 * refusal's code once (none for an accept), dkim results for a
 * verified message; "" when right, else what is wrong */
static const char *counted_once(const struct policy_verdict *v,
				const struct metrics_snap *before,
				const struct metrics_snap *after)
{
	static const enum metric_role roles[] = { MROLE_SKIP, MROLE_SIGN,
						   MROLE_VERIFY };
	struct metrics_snap d;
	enum metric_action a = v->action == POLICY_REJECT ? MACT_REJECT
			       : v->action == POLICY_TEMPFAIL ? MACT_TEMPFAIL
			       : v->quarantine ? MACT_QUARANTINE : MACT_ACCEPT;
	uint64_t msgs = 0, refusals = 0, dkim = 0;
	unsigned i;

	metrics_delta(after, before, &d);
	for (i = 0; i < MROLE_N * MACT_N; i++)
		msgs += d.v[MSLOT_MESSAGES + i];
	for (i = 0; i < MREF_N; i++)
		refusals += d.v[MSLOT_REFUSAL(i)];
	for (i = 0; i < MRES_N; i++)
		dkim += d.v[MSLOT_RESULT(MMETH_DKIM, i)];
	if (msgs != 1 || d.v[MSLOT_MESSAGE(roles[v->role], a)] != 1)
		return "not one message of its role and action";
	if (v->action == POLICY_ACCEPT ? refusals != 0
	    : refusals != 1 || d.v[MSLOT_REFUSAL(metrics_refusal_of(v->dsn))] != 1)
		return "its refusal not counted once by its code";
	if (v->role == POLICY_ROLE_SIGN && dkim != 0)
		return "a signed message counted DKIM results";
	if (v->role == POLICY_ROLE_VERIFY && v->action == POLICY_ACCEPT &&
	    dkim == 0)
		return "a verified message counted no DKIM result";
	return "";
}

static void check_case(const struct pcase *c)
{
	struct policy *p = make_policy(c);
	struct policy_verdict v, v1;
	struct metrics_snap before, after;
	const char *counted;
	struct buf msg;
	char sum[4096], sum1[4096], want[512];
	size_t i, off;

	if (!p) {
		unit_failf(c->name, "no engine");
		return;
	}
	buf_init(&msg, 1 << 22);
	make_msg(&msg, c->headers, c->signer, c->tamper);
	metrics_snapshot(&before);
	run(p, c, &msg, msg.len, &v, sum, sizeof(sum));
	metrics_snapshot(&after);
	counted = counted_once(&v, &before, &after);
	CHECK(!*counted, "%s: counted once%s%s", c->name, *counted ? ": " : "",
	      counted);
	off = (size_t)snprintf(want, sizeof(want), "%d %u %s %d add=%s rm=%s",
			       c->action, c->code, c->dsn, c->role, c->added,
			       c->removed);
	(void)off;
	CHECK(strncmp(sum, want, strlen(want)) == 0 &&
	      (sum[strlen(want)] == 0 || sum[strlen(want)] == ' '),
	      "%s (%s)%s%s", c->name, want,
	      strncmp(sum, want, strlen(want)) ? " - got " : "",
	      strncmp(sum, want, strlen(want)) ? unit_esc(sum, strlen(sum)) : "");
	if (c->text_has)
		CHECK(strstr(v.text, c->text_has) != NULL,
		      "%s: reply text has \"%s\"%s%s", c->name, c->text_has,
		      strstr(v.text, c->text_has) ? "" : " - got: ",
		      strstr(v.text, c->text_has) ? "" : v.text);
	if (c->log_has)
		CHECK(strstr(v.log, c->log_has) != NULL,
		      "%s: log has \"%s\"%s%s", c->name, c->log_has,
		      strstr(v.log, c->log_has) ? "" : " - got: ",
		      strstr(v.log, c->log_has) ? "" : v.log);
	if (c->ar_has)
		CHECK(strstr(sum, c->ar_has) != NULL,
		      "%s: A-R has \"%s\"%s%s", c->name, c->ar_has,
		      strstr(sum, c->ar_has) ? "" : " - got: ",
		      strstr(sum, c->ar_has) ? "" : unit_esc(sum, strlen(sum)));
	/* the same verdict a byte at a time (the signature's t= may not
	 * change within a second, so compare without the fields' text) */
	run(p, c, &msg, 1, &v1, sum1, sizeof(sum1));
	CHECK(v1.action == v.action && v1.code == v.code &&
	      !strcmp(v1.dsn, v.dsn) && v1.nadd == v.nadd &&
	      v1.nremove == v.nremove && !strcmp(v1.text, v.text),
	      "%s: same verdict fed a byte at a time", c->name);
	/* log lines are one printable line */
	for (i = 0; v.log[i]; i++)
		if ((unsigned char)v.log[i] < 32 || (unsigned char)v.log[i] > 126)
			break;
	CHECK(v.log[i] == 0 && i > 0, "%s: log is one printable line", c->name);
	buf_free(&msg);
	policy_free(p);
}

/* signed_then_verified - what the signing side adds verifies on the
 * receiving side, and passes require_signed */
static void check_round_trip(void)
{
	static const struct pcase sub = { .name = "submission", .auth = "bob",
					  .headers = FROM_BANK };
	static const struct pcase in = { .name = "inbound",
					  .headers = FROM_BANK };
	struct policy *p = make_policy(&sub);
	struct policy_verdict v;
	struct buf msg, signed_msg;
	char sum[4096];
	size_t i;

	buf_init(&msg, 1 << 20);
	buf_init(&signed_msg, 1 << 20);
	make_msg(&msg, FROM_BANK, NULL, 0);
	run(p, &sub, &msg, msg.len, &v, sum, sizeof(sum));
	CHECK(v.role == POLICY_ROLE_SIGN && v.nadd == 1,
	      "round trip: the submission is signed (%s)", sum);
	{
		/* run freed the context; sign again and keep the field */
		struct policy_facts f = { .auth_user = "bob" };
		struct policy_msg *m = policy_begin(p, &f);

		policy_feed(m, msg.data, msg.len);
		policy_finish(m, &v);
		for (i = 0; i < v.nadd; i++)
			buf_puts(&signed_msg, v.add[i].field);
		policy_msg_free(m);
	}
	buf_append(&signed_msg, msg.data, msg.len);
	run(p, &in, &signed_msg, signed_msg.len, &v, sum, sizeof(sum));
	CHECK(v.action == POLICY_ACCEPT && strstr(sum, "dkim=pass header.d=bank.example"),
	      "round trip: the receiving side passes it (%s)", unit_esc(sum, strlen(sum)));
	buf_free(&msg);
	buf_free(&signed_msg);
	policy_free(p);
}

/* check_limits - a header block past the limits gets a verdict */
static void check_limits(void)
{
	static const struct pcase c = { .name = "limits" };
	struct policy *p = make_policy(&c);
	struct policy_verdict v;
	struct buf msg;
	char sum[4096];
	int i;

	buf_init(&msg, 1 << 24);
	buf_puts(&msg, "From: a@other.example\r\n");
	for (i = 0; i < 1200; i++)
		buf_printf(&msg, "X-Filler-%d: x\r\n", i);
	buf_puts(&msg, "\r\nbody\r\n");
	run(p, &c, &msg, msg.len, &v, sum, sizeof(sum));
	CHECK(v.action == POLICY_REJECT && v.code == 550 && !strcmp(v.dsn, "5.6.0"),
	      "1200 header fields: 550 5.6.0 (%s: %s)", sum, v.text);
	buf_free(&msg);
	policy_free(p);
}

/* check_config_errors - what the loader names */
static void check_config_errors(void)
{
	struct ms_config cfg;
	struct ms_error err;
	struct policy *p;
	struct policy_verdict v;
	char path[300];

	config_init(&cfg);
	config_set(&cfg, "signing_table", "/nonexistent/signing.table", "t", 1,
		   &err);
	p = policy_new_with_keys(&cfg, &slow_source, &err);
	CHECK(!p && strstr(err.msg, "/nonexistent/signing.table"),
	      "a missing signing table is an error naming it (%s)", err.msg);
	policy_free(p);
	config_free(&cfg);

	snprintf(path, sizeof(path), "%s/bad.table", dir);
	{
		FILE *f = fopen(path, "w");

		fprintf(f, "example.com ed %s/missing.pem\n", dir);
		fclose(f);
	}
	config_init(&cfg);
	config_set(&cfg, "signing_table", path, "t", 1, &err);
	p = policy_new_with_keys(&cfg, &slow_source, &err);
	CHECK(!p && strstr(err.msg, "missing.pem") && strstr(err.msg, ":1:"),
	      "an unreadable key is an error naming the table line and the key (%s)",
	      err.msg);
	policy_free(p);
	config_free(&cfg);

	/* a resolver written wrong is found when the engine is built,
	 * naming the file and line, not at the first lookup */
	snprintf(path, sizeof(path), "%s/resolver.conf", dir);
	{
		FILE *f = fopen(path, "w");

		fprintf(f, "# test\ndns_resolver = 127.0.0.1:5353 127.0.0.1@53531\n");
		fclose(f);
	}
	config_init(&cfg);
	CHECK(config_load(&cfg, path, &err) == MS_OK, "resolver.conf loads");
	p = policy_new(&cfg, &err);
	CHECK(!p && strstr(err.msg, "resolver.conf:2: dns_resolver") &&
	      strstr(err.msg, "127.0.0.1@53531"),
	      "a malformed dns_resolver is an error naming file, line and server (%s)",
	      err.msg);
	policy_free(p);
	config_free(&cfg);
	config_init(&cfg);
	config_set(&cfg, "dns_resolver", "127.0.0.1:5353, [::1]:53 ::1", "t", 1,
		   &err);
	p = policy_new(&cfg, &err);
	CHECK(p != NULL, "dns_resolver with IPv4:port, [IPv6]:port and IPv6 is fine (%s)",
	      p ? "" : err.msg);
	policy_free(p);
	config_free(&cfg);

	config_init(&cfg);
	CHECK(config_set(&cfg, "on_temperror", "bounce", "t", 4, &err) != MS_OK &&
	      strstr(err.msg, "tempfail or accept"),
	      "on_temperror takes tempfail or accept (%s)", err.msg);
	CHECK(config_set(&cfg, "on_signature_fail", "reject", "t", 5, &err) == MS_OK &&
	      cfg.on_signature_fail == MS_SIGFAIL_REJECT,
	      "on_signature_fail = reject is read");
	config_free(&cfg);

	policy_error_verdict(&v, POLICY_ERR_CONFIG, "x.conf:3: bad \"thing\"\n");
	CHECK(v.action == POLICY_TEMPFAIL && v.code == 451 &&
	      !strcmp(v.dsn, "4.3.5") && !strstr(v.text, "x.conf") &&
	      strstr(v.log, "x.conf:3") && !strchr(v.log, '\n'),
	      "config error verdict: 451 4.3.5, the file in the log only (%s)",
	      v.log);
	CHECK(policy_mode_parse("sign") == POLICY_SIGN &&
	      policy_mode_parse("") == POLICY_AUTO &&
	      policy_mode_parse("Sign") == -1, "override values parse strictly");
}

/* check_sender - require_tls and tls_pins at the envelope stage */
static void check_sender(void)
{
	static const char fp_ok[] =
		"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
		"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
	static const char fp_other[] =
		"0000000000000000000000000000000000000000000000000000000000000000";
	static const struct {
		const char *name, *sender;
		int encrypted;
		const char *subject, *cert_fp, *pubkey_fp;
		enum policy_action action;
		const char *text_has;
	} t[] = {
		{ "require_tls domain over plain SMTP: 550 5.7.1", "a@bank.example",
		  0, NULL, NULL, NULL, POLICY_REJECT, "not encrypted" },
		{ "require_tls domain over TLS, no certificate: 550 5.7.1",
		  "a@bank.example", 1, NULL, NULL, NULL, POLICY_REJECT,
		  "no client certificate that verifies" },
		{ "require_tls domain, certificate that did not verify: 550 5.7.1",
		  "a@bank.example", 1, "", fp_ok, NULL, POLICY_REJECT,
		  "no client certificate that verifies" },
		{ "require_tls domain, verified certificate, unpinned domain: accepted",
		  "A@Bank.Example", 1, "client1", fp_other, NULL, POLICY_ACCEPT, NULL },
		{ "pinned domain, the pinned certificate: accepted", "a@pin.example",
		  1, "client1", fp_ok, NULL, POLICY_ACCEPT, NULL },
		{ "pinned domain, the pinned public key: accepted", "a@pin.example",
		  1, "client1", fp_other, fp_ok, POLICY_ACCEPT, NULL },
		{ "pinned domain, another certificate: 550 5.7.1", "a@sub.pin.example",
		  1, "client1", fp_other, fp_other, POLICY_REJECT, "not one pinned" },
		{ "a domain without the requirement, plain SMTP: accepted",
		  "a@other.example", 0, NULL, NULL, NULL, POLICY_ACCEPT, NULL },
		{ "the null sender: accepted", "", 0, NULL, NULL, NULL, POLICY_ACCEPT,
		  NULL },
	};
	struct ms_config cfg;
	struct ms_error err;
	struct policy *p;
	char pins[300];
	FILE *f;
	size_t i;

	snprintf(pins, sizeof(pins), "%s/pins", dir);
	f = fopen(pins, "w");
	fprintf(f, "# pins\npin.example %s\n.pin.example %s\n", fp_ok, fp_ok);
	fclose(f);
	config_init(&cfg);
	config_set(&cfg, "require_tls", "bank.example pin.example .pin.example",
		   "t", 1, &err);
	config_set(&cfg, "tls_pins", pins, "t", 2, &err);
	p = policy_new_with_keys(&cfg, &slow_source, &err);
	CHECK(p != NULL, "an engine with require_tls and tls_pins (%s)", p ? "" : err.msg);
	for (i = 0; p && i < sizeof(t) / sizeof(t[0]); i++) {
		struct policy_tls tls = { .encrypted = t[i].encrypted,
					  .verified_subject = t[i].subject,
					  .cert_fp = t[i].cert_fp,
					  .pubkey_fp = t[i].pubkey_fp };
		struct policy_verdict v;
		struct metrics_snap before, after;

		metrics_snapshot(&before);
		policy_check_sender(p, t[i].sender, &tls, &v);
		metrics_snapshot(&after);
		CHECK(after.v[MSLOT_REFUSAL(MREF_5_7_1)] -
		      before.v[MSLOT_REFUSAL(MREF_5_7_1)] ==
		      (v.action == POLICY_ACCEPT ? 0u : 1u),
		      "%s: a refusal counted as 5.7.1, an accept not", t[i].name);
		CHECK(v.action == t[i].action &&
		      (v.action == POLICY_ACCEPT ||
		       (v.code == 550 && !strcmp(v.dsn, "5.7.1") &&
			strstr(v.text, t[i].text_has) &&
			strstr(v.text, "must arrive over TLS with a verified client certificate"))) &&
		      strstr(v.log, "stage=sender"),
		      "%s (%s)", t[i].name, v.action == POLICY_ACCEPT ? "accept" : v.text);
	}
	policy_free(p);
	config_free(&cfg);
	f = fopen(pins, "w");
	fprintf(f, "pin.example ABCD\n");
	fclose(f);
	config_init(&cfg);
	config_set(&cfg, "tls_pins", pins, "t", 1, &err);
	p = policy_new_with_keys(&cfg, &slow_source, &err);
	CHECK(!p && strstr(err.msg, ":1:") && strstr(err.msg, "64 hex digits"),
	      "a bad pin is an error naming the file and line (%s)", p ? "" : err.msg);
	policy_free(p);
	config_free(&cfg);
}

/* ---- engines from settings, for the SPF and DMARC cases ---- */

/* engine_with - an engine (keys from slow_source, DNS from dns) with
 * authserv_id mx.test and the settings "name=value;..." of base, then
 * of more; NULL (err set) when it cannot be built */
static struct policy *engine_with(const char *base, const char *more,
				  struct dnsq *dns, struct ms_error *err)
{
	const char *parts[2] = { base, more };
	struct ms_config cfg;
	struct policy *p;
	size_t i;

	config_init(&cfg);
	config_set(&cfg, "authserv_id", "mx.test", "t", 1, err);
	for (i = 0; i < 2; i++) {
		char set[300], *tok, *save = NULL;

		snprintf(set, sizeof(set), "%s", parts[i] ? parts[i] : "");
		for (tok = strtok_r(set, ";", &save); tok;
		     tok = strtok_r(NULL, ";", &save)) {
			char *eq = strchr(tok, '=');

			*eq = 0;
			if (config_set(&cfg, tok, eq + 1, "t", 2, err) != MS_OK)
				fprintf(stderr, "%s\n", err->msg);
		}
	}
	p = policy_new_with_keys(&cfg, &slow_source, err);
	config_free(&cfg);
	if (p)
		policy_set_dns(p, dns);
	return p;
}

/* added - the value of the field the verdict adds under name, or NULL */
static const char *added(const struct policy_verdict *v, const char *name)
{
	size_t k;

	for (k = 0; k < v->nadd; k++)
		if (!strcasecmp(v->add[k].name, name))
			return v->add[k].value;
	return NULL;
}

/* ---- SPF ---- */

static const char spf_zone[] =
	"spf-pass.example TXT \"v=spf1 ip4:192.0.2.0/24 exp=why.spf-pass.example -all\"\n"
	"why.spf-pass.example TXT \"%{i} is not a sender of %{d}\"\n"
	"spf-perm.example TXT \"v=spf1 frobnicate -all\"\n"
	"spf-temp.example TIMEOUT\n";

struct spfcase {
	const char *name;
	const char *settings;           /* name=value;... */
	const char *auth;
	const char *ip, *from;
	enum policy_action action;
	const char *dsn;
	const char *ar_has, *text_has, *log_has;
	int ar_has_spf;
};

static const struct spfcase spfcases[] = {
	{ "SPF pass: tagged in the A-R", "check_spf=yes", NULL, "192.0.2.5",
	  "a@spf-pass.example", POLICY_ACCEPT, "2.0.0",
	  "spf=pass smtp.mailfrom=a@spf-pass.example", NULL,
	  "spf=pass/spf-pass.example", 1 },
	{ "SPF fail, on_spf_fail=tag: tagged", "check_spf=yes", NULL,
	  "203.0.113.5", "a@spf-pass.example", POLICY_ACCEPT, "2.0.0",
	  "spf=fail smtp.mailfrom=a@spf-pass.example", NULL, NULL, 1 },
	{ "SPF fail, on_spf_fail=reject: 550 5.7.23 with the explanation",
	  "check_spf=yes;on_spf_fail=reject", NULL, "203.0.113.5",
	  "a@spf-pass.example", POLICY_REJECT, "5.7.23", NULL,
	  "spf-pass.example does not allow 203.0.113.5 to send its mail: 203.0.113.5 is not a sender of spf-pass.example",
	  "spf=fail/spf-pass.example", 0 },
	{ "SPF permerror, tagged by default", "check_spf=yes", NULL,
	  "192.0.2.5", "a@spf-perm.example", POLICY_ACCEPT, "2.0.0",
	  "spf=permerror smtp.mailfrom=a@spf-perm.example", NULL, NULL, 1 },
	{ "SPF permerror, on_spf_permerror=reject: 550 5.7.24",
	  "check_spf=yes;on_spf_permerror=reject", NULL, "192.0.2.5",
	  "a@spf-perm.example", POLICY_REJECT, "5.7.24", NULL, "frobnicate",
	  NULL, 0 },
	{ "SPF temperror: 451 4.4.3", "check_spf=yes", NULL, "192.0.2.5",
	  "a@spf-temp.example", POLICY_TEMPFAIL, "4.4.3", NULL,
	  "the SPF policy of spf-temp.example could not be evaluated now", NULL, 0 },
	{ "SPF temperror, on_temperror=accept: tagged",
	  "check_spf=yes;on_temperror=accept", NULL, "192.0.2.5",
	  "a@spf-temp.example", POLICY_ACCEPT, "2.0.0", "spf=temperror", NULL,
	  NULL, 1 },
	{ "SPF: the null sender is checked as postmaster@HELO", "check_spf=yes",
	  NULL, "192.0.2.5", "", POLICY_ACCEPT, "2.0.0",
	  "spf=pass smtp.mailfrom=postmaster@spf-pass.example", NULL, NULL, 1 },
	{ "SPF: an authenticated client is not checked",
	  "check_spf=yes;on_spf_fail=reject", "alice", "203.0.113.5",
	  "a@spf-pass.example", POLICY_ACCEPT, "2.0.0", NULL, NULL, NULL, 0 },
	{ "SPF: trusted_networks are not checked",
	  "check_spf=yes;on_spf_fail=reject;trusted_networks=10.0.0.0/8, 203.0.113.0/24",
	  NULL, "203.0.113.5", "a@spf-pass.example", POLICY_ACCEPT, "2.0.0",
	  NULL, NULL, NULL, 0 },
	{ "SPF: trusted_networks match an IPv4-mapped client",
	  "check_spf=yes;on_spf_fail=reject;trusted_networks=203.0.113.5",
	  NULL, "::ffff:203.0.113.5", "a@spf-pass.example", POLICY_ACCEPT,
	  "2.0.0", NULL, NULL, NULL, 0 },
	{ "SPF: check_spf=no: not checked", "on_spf_fail=reject", NULL,
	  "203.0.113.5", "a@spf-pass.example", POLICY_ACCEPT, "2.0.0", NULL,
	  NULL, NULL, 0 },
	{ "SPF: no envelope from the front end: not checked",
	  "check_spf=yes;on_spf_fail=reject", NULL, "203.0.113.5", NULL,
	  POLICY_ACCEPT, "2.0.0", NULL, NULL, NULL, 0 },
};

static void check_spf(void)
{
	struct ms_error err;
	struct dnsq *dns = zonefile_parse((const unsigned char *)spf_zone,
					  sizeof(spf_zone) - 1, "spf zone", &err);
	size_t i;

	CHECK(dns != NULL, "the SPF test zone loads");
	if (!dns)
		return;
	for (i = 0; i < sizeof(spfcases) / sizeof(spfcases[0]); i++) {
		const struct spfcase *c = &spfcases[i];
		struct policy_facts f = { .txid = "T1", .auth_user = c->auth,
					  .hostname = "h", .mode = POLICY_AUTO,
					  .client_ip = c->ip,
					  .helo = "spf-pass.example",
					  .mail_from = c->from };
		const char *ar;
		struct policy_verdict v;
		struct policy_msg *m;
		struct policy *p;
		struct buf msg;
		struct metrics_snap before, after, d;
		uint64_t spf_counted;
		unsigned k;

		p = engine_with(c->settings, NULL, dns, &err);
		if (!p) {
			unit_failf(c->name, "policy_new: %s", err.msg);
			continue;
		}
		buf_init(&msg, 1 << 20);
		make_msg(&msg, FROM_OTHER, NULL, 0);
		metrics_snapshot(&before);
		m = policy_begin(p, &f);
		policy_feed(m, msg.data, msg.len);
		policy_finish(m, &v);
		metrics_snapshot(&after);
		metrics_delta(&after, &before, &d);
		for (k = spf_counted = 0; k < MRES_N; k++)
			spf_counted += d.v[MSLOT_RESULT(MMETH_SPF, k)];
		/* checked: the log line says spf= */
		CHECK(spf_counted == (strstr(v.log, " spf=") ? 1u : 0u),
		      "%s: SPF results counted: %llu", c->name,
		      (unsigned long long)spf_counted);
		ar = added(&v, "Authentication-Results");
		CHECK(v.action == c->action && !strcmp(v.dsn, c->dsn) &&
		      (!c->ar_has || (ar && strstr(ar, c->ar_has))) &&
		      (c->ar_has_spf || !ar || !strstr(ar, "spf=")) &&
		      (!c->text_has || strstr(v.text, c->text_has)) &&
		      (!c->log_has || strstr(v.log, c->log_has)),
		      "%s (got %s %s; A-R %s; text %s; log %s)", c->name,
		      policy_action_str(v.action), v.dsn,
		      ar ? unit_esc(ar, strlen(ar)) : "-", v.text, v.log);
		policy_msg_free(m);
		policy_free(p);
		buf_free(&msg);
	}
	{
		struct ms_config cfg;
		struct policy *p;

		config_init(&cfg);
		config_set(&cfg, "trusted_networks", "10.0.0.0/8 10.1.2.3/33", "t.conf", 7, &err);
		p = policy_new_with_keys(&cfg, &slow_source, &err);
		CHECK(!p && strstr(err.msg, "trusted_networks") && strstr(err.msg, "10.1.2.3/33"),
		      "a bad trusted_networks entry is an error naming it (%s)", err.msg);
		policy_free(p);
		config_free(&cfg);
	}
	dnsq_destroy(dns);
}

/* ---- DMARC ---- */

static const char dmarc_zone[] =
	"_dmarc.bank.example TXT \"v=DMARC1; p=reject\"\n"
	"bank.example TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
	"_dmarc.other.example TXT \"v=DMARC1; p=quarantine\"\n"
	"_dmarc.tmo.example TIMEOUT\n";

#define FROM_TWO "From: o@other.example, t@bank.example\nSender: o@other.example\nTo: you@local.test\nSubject: s\n"
#define FROM_TMO "From: a@tmo.example\nTo: you@local.test\nSubject: s\n"

struct dcase {
	const char *name;
	const char *settings;           /* name=value;... besides check_dmarc */
	const char *auth;
	const char *headers, *signer;
	const char *ip, *from;
	enum policy_action action;
	const char *dsn;
	int quarantine;
	const char *ar_has, *text_has, *log_has, *ar_not;
};

static const struct dcase dcases[] = {
	{ "DMARC p=reject forged: 550 5.7.1 naming the policy", "", NULL,
	  FROM_BANK, NULL, "203.0.113.5", "a@bank.example", POLICY_REJECT,
	  "5.7.1", 0, NULL, "policy of bank.example (p=reject)",
	  "dmarc=fail/bank.example(p=reject)", NULL },
	{ "DMARC: aligned DKIM pass", "", NULL, FROM_BANK, "bank.example/b",
	  "203.0.113.5", "a@elsewhere.example", POLICY_ACCEPT, "2.0.0", 0,
	  "dmarc=pass header.from=bank.example", NULL,
	  "dmarc=pass/bank.example", NULL },
	{ "DMARC: aligned SPF pass", "", NULL, FROM_BANK, NULL, "192.0.2.5",
	  "a@bank.example", POLICY_ACCEPT, "2.0.0", 0,
	  "dmarc=pass header.from=bank.example", NULL, NULL, NULL },
	{ "DMARC: relaxed alignment of the parent's signature", "", NULL,
	  FROM_SUB, "bank.example/b", "203.0.113.5", "", POLICY_ACCEPT,
	  "2.0.0", 0, "dmarc=pass header.from=a.bank.example", NULL,
	  "dmarc=pass/a.bank.example(p=reject,walk)", NULL },
	{ "DMARC: an unaligned signature does not pass", "", NULL, FROM_BANK,
	  "other.example/o", "203.0.113.5", "", POLICY_REJECT, "5.7.1", 0,
	  NULL, NULL, NULL, NULL },
	{ "DMARC p=quarantine: accepted and held", "", NULL, FROM_OTHER, NULL,
	  "203.0.113.5", "", POLICY_ACCEPT, "2.0.0", 1,
	  "dmarc=fail reason=\"p=quarantine\" header.from=other.example", NULL,
	  "quarantine=\"DMARC: the policy of other.example", NULL },
	{ "DMARC p=quarantine, on_dmarc_quarantine=tag: not held",
	  "on_dmarc_quarantine=tag", NULL, FROM_OTHER, NULL, "203.0.113.5",
	  "", POLICY_ACCEPT, "2.0.0", 0, "dmarc=fail", NULL, NULL, NULL },
	{ "DMARC p=reject, on_dmarc_reject=quarantine: held",
	  "on_dmarc_reject=quarantine", NULL, FROM_BANK, NULL, "203.0.113.5",
	  "", POLICY_ACCEPT, "2.0.0", 1, "dmarc=fail", NULL, NULL, NULL },
	{ "DMARC p=reject, on_dmarc_reject=tag: tagged only",
	  "on_dmarc_reject=tag", NULL, FROM_BANK, NULL, "203.0.113.5", "",
	  POLICY_ACCEPT, "2.0.0", 0, "dmarc=fail", NULL, NULL, NULL },
	{ "DMARC: an exempt author domain is tagged only",
	  "dmarc_exempt=bank.example", NULL, FROM_BANK, NULL, "203.0.113.5",
	  "", POLICY_ACCEPT, "2.0.0", 0, "dmarc=fail", NULL,
	  "dmarc=fail/bank.example(p=reject,exempt)", NULL },
	{ "DMARC: two author domains, the strictest failing policy decides",
	  "", NULL, FROM_TWO, "other.example/o", "203.0.113.5", "",
	  POLICY_REJECT, "5.7.1", 0, NULL, "policy of bank.example",
	  "dmarc=pass/other.example", NULL },
	{ "DMARC: more author domains than max_author_domains: refused",
	  "max_author_domains=1", NULL, FROM_TWO, "other.example/o",
	  "203.0.113.5", "", POLICY_REJECT, "5.7.1", 0, NULL,
	  "more than 1 domains", "dmarc_over=1", NULL },
	{ "DMARC: a DNS timeout is 451 4.4.3, never a pass", "", NULL,
	  FROM_TMO, NULL, "203.0.113.5", "", POLICY_TEMPFAIL, "4.4.3", 0,
	  NULL, "DMARC policy of tmo.example", "dmarc=temperror/tmo.example",
	  NULL },
	{ "DMARC: a DNS timeout with on_temperror=accept: tagged",
	  "on_temperror=accept", NULL, FROM_TMO, NULL, "203.0.113.5", "",
	  POLICY_ACCEPT, "2.0.0", 0, "dmarc=temperror", NULL, NULL, NULL },
	{ "DMARC: authenticated submissions are not evaluated", "", "alice",
	  FROM_BANK, NULL, "203.0.113.5", "", POLICY_ACCEPT, "2.0.0", 0,
	  NULL, NULL, NULL, "dmarc=" },
	{ "DMARC: trusted_networks are not evaluated",
	  "trusted_networks=203.0.113.0/24", NULL, FROM_BANK, NULL,
	  "203.0.113.5", "", POLICY_ACCEPT, "2.0.0", 0, NULL, NULL, NULL,
	  "dmarc=" },
	{ "DMARC: check_dmarc=no: nothing", "check_dmarc=no", NULL, FROM_BANK,
	  NULL, "203.0.113.5", "", POLICY_ACCEPT, "2.0.0", 0, NULL, NULL,
	  NULL, "dmarc=" },
	{ "DMARC: require_signed is stronger", "require_signed=bank.example",
	  NULL, FROM_BANK, NULL, "192.0.2.5", "a@bank.example", POLICY_REJECT,
	  "5.7.20", 0, NULL, NULL, "dmarc=pass/bank.example", NULL },
};

static void check_dmarc(void)
{
	struct ms_error err;
	struct dnsq *dns = zonefile_parse((const unsigned char *)dmarc_zone,
					  sizeof(dmarc_zone) - 1, "dmarc zone",
					  &err);
	size_t i;

	CHECK(dns != NULL, "the DMARC test zone loads");
	if (!dns)
		return;
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *c = &dcases[i];
		struct policy_facts f = { .txid = "T1", .auth_user = c->auth,
					  .hostname = "h", .mode = POLICY_VERIFY,
					  .client_ip = c->ip,
					  .helo = "helo.example",
					  .mail_from = c->from };
		const char *ar;
		struct policy_verdict v;
		struct policy_msg *m;
		struct policy *p;
		struct buf msg;

		p = engine_with(strstr(c->settings, "check_dmarc") ? NULL
				: "check_dmarc=yes", c->settings, dns, &err);
		if (!p) {
			unit_failf(c->name, "policy_new: %s", err.msg);
			continue;
		}
		buf_init(&msg, 1 << 20);
		make_msg(&msg, c->headers, c->signer, 0);
		m = policy_begin(p, &f);
		policy_feed(m, msg.data, msg.len);
		policy_finish(m, &v);
		ar = added(&v, "Authentication-Results");
		CHECK(v.action == c->action && !strcmp(v.dsn, c->dsn) &&
		      v.quarantine == c->quarantine &&
		      (!c->ar_has || (ar && strstr(ar, c->ar_has))) &&
		      (!c->ar_not || !ar || !strstr(ar, c->ar_not)) &&
		      (!c->text_has || strstr(v.text, c->text_has)) &&
		      (!c->log_has || strstr(v.log, c->log_has)),
		      "%s (got %s %s q=%d; A-R %s; text %s; log %s)", c->name,
		      policy_action_str(v.action), v.dsn, v.quarantine,
		      ar ? unit_esc(ar, strlen(ar)) : "-", v.text, v.log);
		policy_msg_free(m);
		policy_free(p);
		buf_free(&msg);
	}
	{
		/* one DNS budget per message: key lookups that spend it leave
		 * SPF none (a temperror), where a budget of its own would
		 * have let it pass */
		struct policy_facts f = { .txid = "T2", .hostname = "h",
					  .mode = POLICY_VERIFY,
					  .client_ip = "192.0.2.5",
					  .helo = "helo.example",
					  .mail_from = "a@bank.example" };
		struct ms_config cfg;
		struct policy_verdict v;
		struct policy_msg *m;
		struct policy *p;
		struct buf msg;

		config_init(&cfg);
		config_set(&cfg, "check_spf", "yes", "t", 1, &err);
		config_set(&cfg, "dns_message_budget", "300ms", "t", 2, &err);
		p = policy_new_with_keys(&cfg, &slow_source, &err);
		config_free(&cfg);
		if (p) {
			policy_set_dns(p, dns);
			buf_init(&msg, 1 << 20);
			make_msg(&msg, FROM_BANK, "bank.example/b", 0);
			key_delay_ms = 350;
			m = policy_begin(p, &f);
			policy_feed(m, msg.data, msg.len);
			policy_finish(m, &v);
			key_delay_ms = 0;
			CHECK(v.action == POLICY_TEMPFAIL && !strcmp(v.dsn, "4.4.3") &&
			      strstr(v.log, "spf=temperror/bank.example"),
			      "one DNS budget for DKIM and SPF: the keys spent it, SPF is a temperror (%s)",
			      v.log);
			policy_msg_free(m);
			m = policy_begin(p, &f);
			policy_feed(m, msg.data, msg.len);
			policy_finish(m, &v);
			CHECK(v.action == POLICY_ACCEPT && strstr(v.log, "spf=pass/bank.example"),
			      "... and with fast keys SPF passes (%s)", v.log);
			policy_msg_free(m);
			policy_free(p);
			buf_free(&msg);
		} else {
			unit_failf("budget", "policy_new: %s", err.msg);
		}
	}
	dnsq_destroy(dns);
}

/* ---- Received-SPF (received_spf = yes) ---- */

static void check_received_spf(void)
{
	static const struct {
		const char *ip, *from, *want;
	} c[] = {
		{ "192.0.2.5", "a@spf-pass.example",
		  "Received-SPF: pass (mx.test: domain of spf-pass.example allows 192.0.2.5 to send its mail)\r\n"
		  "\tclient-ip=192.0.2.5; envelope-from=\"a@spf-pass.example\";\r\n"
		  "\thelo=spf-pass.example; receiver=mx.test; identity=mailfrom;\r\n"
		  "\tmechanism=\"ip4:192.0.2.0/24\";\r\n" },
		{ "203.0.113.5", "\"odd one\"@spf-pass.example",
		  "Received-SPF: fail (mx.test: domain of spf-pass.example does not allow 203.0.113.5 to send its mail)\r\n"
		  "\tclient-ip=203.0.113.5; envelope-from=\"\\\"odd one\\\"@spf-pass.example\";\r\n" },
		{ "192.0.2.5", "a@spf-temp.example",
		  "Received-SPF: temperror (mx.test: the SPF policy of spf-temp.example could not be read now)" },
	};
	struct ms_error err;
	struct dnsq *dns = zonefile_parse((const unsigned char *)spf_zone,
					  sizeof(spf_zone) - 1, "spf zone", &err);
	size_t i;

	for (i = 0; dns && i < sizeof(c) / sizeof(c[0]); i++) {
		struct policy_facts f = { .txid = "T1", .hostname = "h",
					  .mode = POLICY_VERIFY, .client_ip = c[i].ip,
					  .helo = "spf-pass.example",
					  .mail_from = c[i].from };
		const char *got = NULL;
		struct policy_verdict v;
		struct policy_msg *m;
		struct policy *p;
		struct buf msg;
		size_t k;

		p = engine_with("check_spf=yes;received_spf=yes;on_temperror=accept",
				NULL, dns, &err);
		if (!p) {
			unit_failf("received_spf", "policy_new: %s", err.msg);
			break;
		}
		buf_init(&msg, 1 << 20);
		make_msg(&msg, FROM_OTHER, NULL, 0);
		m = policy_begin(p, &f);
		policy_feed(m, msg.data, msg.len);
		policy_finish(m, &v);
		for (k = 0; k < v.nadd; k++)
			if (!strcasecmp(v.add[k].name, "Received-SPF"))
				got = v.add[k].field;
		CHECK(got && !strncmp(got, c[i].want, strlen(c[i].want)),
		      "received_spf = yes: %s from %s (got %s)", c[i].from, c[i].ip,
		      got ? unit_esc(got, strlen(got)) : "no field");
		policy_msg_free(m);
		policy_free(p);
		buf_free(&msg);
	}
	if (dns) {
		/* an outcome the front end checked before DATA: used as it is,
		 * no lookup, and the log line says so */
		struct spf_outcome known = { .result = SPF_PASS,
					     .identity = "mailfrom",
					     .domain = "spf-temp.example",
					     .sender = "a@spf-temp.example" };
		struct policy_facts f = { .txid = "T1", .hostname = "h",
					  .mode = POLICY_VERIFY,
					  .client_ip = "192.0.2.5",
					  .helo = "spf-pass.example",
					  .mail_from = "a@spf-temp.example",
					  .spf = &known };
		struct policy_verdict v;
		struct policy_msg *m;
		struct policy *p = engine_with("check_spf=yes", NULL, dns, &err);
		struct buf msg;
		unsigned long q0 = dns->queries;

		buf_init(&msg, 1 << 20);
		make_msg(&msg, FROM_OTHER, NULL, 0);
		m = policy_begin(p, &f);
		policy_feed(m, msg.data, msg.len);
		policy_finish(m, &v);
		CHECK(v.action == POLICY_ACCEPT && dns->queries == q0 &&
		      strstr(v.log, " spf=pass/spf-temp.example ") &&
		      strlen(v.log) > 12 &&
		      !strcmp(v.log + strlen(v.log) - 12, " spf_at=rcpt"),
		      "facts.spf: the outcome from before DATA, no lookup, spf_at=rcpt at the end of the line (%s)",
		      v.log);
		policy_msg_free(m);
		policy_free(p);
		buf_free(&msg);
	}
	dnsq_destroy(dns);
}

/* check_rights - sending_rights: a submitter signs only with the From
 * addresses the table gives it; any other is refused 550 5.7.1 naming
 * the From and the user, and never signed; inbound mail is untouched */
static void check_rights(void)
{
	static const struct {
		const char *name, *auth, *local_user;
		int local;
		const char *from;
		int signed_ok;          /* 1 signed, 2 allowed, 0 refused,
					 * 3 verified (and accepted) */
		const char *text;       /* part of the refusal text */
		const char *client;     /* the SMTP client's address */
	} t[] = {
		{ "own address", "alice", NULL, 0, "alice@bank.example", 1, NULL, NULL },
		{ "own address, letter case", "alice", NULL, 0, "Alice@Bank.Example", 1, NULL, NULL },
		{ "another address of the domain", "alice", NULL, 0, "teller@bank.example", 0,
		  "user alice may not send mail From: teller@bank.example", NULL },
		{ "another domain", "alice", NULL, 0, "alice@example.com", 0,
		  "From: alice@example.com", NULL },
		{ "identity letter case counts", "Alice", NULL, 0, "alice@bank.example", 0,
		  "user Alice may not", NULL },
		{ "wildcard identity *@corp.example", "carol@corp.example", NULL, 0,
		  "teller@bank.example", 1, NULL, NULL },
		{ "... its domain's letter case ignored", "carol@CORP.example", NULL, 0,
		  "teller@bank.example", 1, NULL, NULL },
		{ "... not for another domain's users", "carol@corp.example.evil", NULL, 0,
		  "teller@bank.example", 0, "user carol@corp.example.evil", NULL },
		{ "... subdomain entry (allowed; no key of it: unsigned)",
		  "carol@corp.example", NULL, 0, "x@a.bank.example", 2, NULL, NULL },
		{ "not in the table", "mallory", NULL, 0, "alice@bank.example", 0,
		  "user mallory may not", NULL },
		{ "local submission, no user shown: <local>", NULL, NULL, 1,
		  "teller@bank.example", 1, NULL, NULL },
		{ "local submission by a user not in the table", NULL, "eve", 1,
		  "teller@bank.example", 0, "local user eve may not send mail From: teller@bank.example", NULL },
		{ "two mailboxes, one not allowed", "alice", NULL, 0,
		  "alice@bank.example, x@example.com", 0, "From: x@example.com", NULL },
		{ "client [127.0.0.1] without AUTH, a From of its line", NULL, NULL, 0,
		  "app@bank.example", 1, NULL, "127.0.0.1" },
		{ "client in [10.0.0.0/8], its one address", NULL, NULL, 0,
		  "teller@bank.example", 1, NULL, "10.1.2.3" },
		{ "... another address of the domain: verified, not refused", NULL, NULL, 0,
		  "app@bank.example", 3, NULL, "10.1.2.3" },
		{ "client [127.0.0.1], a From not of its line: verified", NULL, NULL, 0,
		  "x@example.com", 3, NULL, "127.0.0.1" },
		{ "client [127.0.0.1], two mailboxes, one not of its line: verified", NULL, NULL, 0,
		  "app@bank.example, x@example.com", 3, NULL, "127.0.0.1" },
		{ "a client with no line: verified", NULL, NULL, 0,
		  "teller@bank.example", 3, NULL, "192.0.2.1" },
		{ "an AUTH user from a listed client: its own line", "mallory", NULL, 0,
		  "app@bank.example", 0, "user mallory may not", "127.0.0.1" },
	};
	struct ms_config cfg;
	struct ms_error err;
	struct policy *p;
	struct policy_verdict v;
	char path[300], rights[300];
	struct buf msg;
	size_t i;
	FILE *f;

	snprintf(rights, sizeof(rights), "%s/rights", dir);
	f = fopen(rights, "w");
	if (!f) {
		unit_failf("rights", "cannot write %s", rights);
		return;
	}
	fputs("# who may use which From\n"
	      "alice alice@bank.example\n"
	      "*@corp.example bank.example, .bank.example\n"
	      "<local> bank.example\n"
	      "[127.0.0.1] bank.example\n"
	      "[10.0.0.0/8] teller@bank.example\n", f);
	fclose(f);
	config_init(&cfg);
	snprintf(path, sizeof(path), "%s/signing.table", dir);
	config_set(&cfg, "signing_table", path, "test", 1, &err);
	config_set(&cfg, "sending_rights", rights, "test", 2, &err);
	p = policy_new_with_keys(&cfg, &slow_source, &err);
	config_free(&cfg);
	CHECK(p != NULL, "rights: the engine loads the table (%s)", p ? "" : err.msg);
	if (!p)
		return;
	buf_init(&msg, 1 << 16);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct policy_facts fa = { .txid = "R1", .auth_user = t[i].auth,
					   .local_submission = t[i].local,
					   .local_user = t[i].local_user,
					   .client_ip = t[i].client,
					   .mode = POLICY_AUTO };
		struct policy_msg *m;

		buf_reset(&msg);
		buf_printf(&msg, "From: %s\r\nTo: you@local.test\r\nSubject: s\r\n\r\nbody\r\n",
			   t[i].from);
		m = policy_begin(p, &fa);
		policy_feed(m, msg.data, msg.len);
		policy_finish(m, &v);
		if (t[i].signed_ok == 3)
			CHECK(v.action == POLICY_ACCEPT && v.role == POLICY_ROLE_VERIFY &&
			      !strstr(v.log, "sending_rights"),
			      "rights: %s: verified, accepted (%s)", t[i].name, v.log);
		else if (t[i].signed_ok == 2)
			CHECK(v.action == POLICY_ACCEPT && !strstr(v.log, "sending_rights"),
			      "rights: %s: accepted (%s)", t[i].name, v.log);
		else if (t[i].signed_ok)
			CHECK(v.action == POLICY_ACCEPT && v.role == POLICY_ROLE_SIGN &&
			      v.nadd == 1, "rights: %s: signed (%s)", t[i].name, v.log);
		else
			CHECK(v.action == POLICY_REJECT && v.code == 550 &&
			      !strcmp(v.dsn, "5.7.1") && strstr(v.text, t[i].text) &&
			      v.nadd == 0 && strstr(v.log, "action=reject") &&
			      !strstr(v.log, " signed="),
			      "rights: %s: refused 550 5.7.1, not signed (%s | %s)",
			      t[i].name, v.text, v.log);
		policy_msg_free(m);
	}
	{
		/* inbound mail: the table does not apply */
		struct policy_facts fa = { .txid = "R2", .mode = POLICY_AUTO };
		struct policy_msg *m = policy_begin(p, &fa);

		buf_reset(&msg);
		buf_puts(&msg, "From: x@example.com\r\n\r\nbody\r\n");
		policy_feed(m, msg.data, msg.len);
		policy_finish(m, &v);
		CHECK(v.action == POLICY_ACCEPT && v.role == POLICY_ROLE_VERIFY,
		      "rights: inbound mail is verified, not judged by the table (%s)", v.log);
		policy_msg_free(m);
	}
	buf_free(&msg);
	policy_free(p);
	{
		static const struct {
			const char *text, *want;
		} bad[] = {
			{ "alice\n", "r:1: alice has no From address or domain" },
			{ "# c\n*foo example.com\n", "r:2: \"*foo\" is not an identity" },
			{ "bob example.com bad@@\n", "r:1: \"bad@@\" is not an address" },
			{ "bob exa mple.com x..y\n", "r:1: \"x..y\" is not" },
			{ "[mx.example] example.com\n", "r:1: \"[mx.example]\" is not a client address" },
			{ "\n[10.0.0.0/33] example.com\n", "r:2: \"[10.0.0.0/33]\" is not a client address" },
			{ "[] example.com\n", "r:1: \"[]\" is not a client address" },
			{ "[127.0.0.1\n", "r:1: \"[127.0.0.1\" is not a client address" },
		};
		struct sendrights *r;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			r = sendrights_parse(bad[i].text, "r", &err);
			CHECK(!r && strstr(err.msg, bad[i].want),
			      "rights: table error names the line: %s", r ? "(parsed)" : err.msg);
			sendrights_free(r);
		}
		r = sendrights_parse("bob example.com\n", "r", &err);
		CHECK(r && sendrights_size(r) == 1 &&
		      !sendrights_may(r, "<local>", "x", "example.com") &&
		      !sendrights_may(r, "", "x", "example.com"),
		      "rights: <local> and an empty identity match no named line");
		sendrights_free(r);
		r = sendrights_parse("* example.com\n", "r", &err);
		CHECK(r && sendrights_may(r, "anyone", "x", "example.com") &&
		      !sendrights_may(r, "<local>", "x", "example.com"),
		      "rights: * is every authenticated identity, not <local>");
		sendrights_free(r);
		r = sendrights_parse("[127.0.0.1] example.com\n[::1] example.com\n", "r", &err);
		CHECK(r && !sendrights_may(r, "[127.0.0.1]", "x", "example.com") &&
		      sendrights_client_may(r, "127.0.0.1", "x", "example.com") &&
		      sendrights_client_may(r, "::1", "x", "example.com") &&
		      sendrights_client_known(r, "::ffff:127.0.0.1") &&
		      !sendrights_client_known(r, "127.0.0.2") &&
		      !sendrights_client_may(r, "127.0.0.1", "x", "example.org"),
		      "rights: a [ADDRESS] line matches that client only, never an AUTH identity spelled so");
		sendrights_free(r);
		r = sendrights_parse("* example.com\n", "r", &err);
		CHECK(r && !sendrights_client_known(r, "127.0.0.1"),
		      "rights: * is no client");
		sendrights_free(r);
	}
}

int main(void)
{
	size_t i;

	if (!mkdtemp(dir) || setup_keys() != 0) {
		unit_failf("setup", "cannot make keys in %s", dir);
		return unit_done();
	}
	for (i = 0; i < NCASES; i++)
		check_case(&cases[i]);
	check_round_trip();
	check_limits();
	check_config_errors();
	check_sender();
	check_spf();
	check_dmarc();
	check_received_spf();
	check_rights();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	keysource_destroy(files);
	for (i = 0; i < NKEYS; i++)
		crypto_pkey_free(tkeys[i].pkey);
	return unit_done();
}
