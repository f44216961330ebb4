/*
 * keystep.c - `mailseal key step`: a rotation moved on, one step at a
 * time, only as far as DNS and key_grace allow (docs/keys.md):
 *
 *   publish  every new record is seen in DNS  -> the new keys join the
 *            signing table beside the old ones     -> grace (or done,
 *            when no old key is replaced)
 *   grace    key_grace is over, or an old record is gone from DNS, and
 *            every new record is still seen   -> the old keys leave
 *            the table; their revocation records are printed  -> done
 *            a new record no longer seen      -> the new keys leave
 *            the table                         -> publish
 *   done     nothing to do; without -q, says whether the old records
 *            are revoked yet
 *
 * A temporary DNS failure changes nothing (but in publish, where new
 * keys found in the table after an interrupted run leave it: the old
 * ones still sign).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "key.h"
#include "ms_limits.h"

/* what the checks of one side (old or new keys) found */
struct ks_seen {
	int all_ok;                     /* every record holds its key */
	int temp;                       /* one could not be asked */
	int gone;                       /* one is definitely not the key's */
	int wrong;                      /* ... and not absent: another
					 * record is published there */
	struct keycheck kc[MS_MAX_SIGN_KEYS];
};

/* ks_check - the records of the new keys (old = 0) or of the old keys
 * that are replaced (old = 1) */
static int ks_check(struct keyrun *k, const struct keyrot *r, int old,
		    struct ks_seen *seen)
{
	size_t i;

	memset(seen, 0, sizeof(*seen));
	seen->all_ok = 1;
	for (i = 0; i < r->nkeys; i++) {
		const struct keyrot_key *kk = &r->key[i];
		struct keycheck *kc = &seen->kc[i];

		kc->status = KEYCHECK_OK;
		if (old && !kk->old_selector)
			continue;
		if (key_check(k, r->domain, old ? kk->old_selector :
			      kk->new_selector, old ? kk->old_keyfile :
			      kk->new_keyfile, kc) != CLI_OK)
			return CLI_IO;
		if (kc->status == KEYCHECK_OK)
			continue;
		seen->all_ok = 0;
		if (kc->status == KEYCHECK_TEMPFAIL) {
			seen->temp = 1;
		} else {
			seen->gone = 1;
			seen->wrong |= !keycheck_absent(kc->status);
		}
	}
	return CLI_OK;
}

/* ks_show - the verdicts that are not ok, indented under the domain;
 * with -q only when one is definite (not a record still to come, not
 * a DNS failure) */
static void ks_show(const struct keyrun *k, const struct keyrot *r, int old,
		    const struct ks_seen *seen, int definite)
{
	size_t i;

	if (k->quiet && !definite)
		return;
	for (i = 0; i < r->nkeys; i++) {
		const struct keyrot_key *kk = &r->key[i];

		if (seen->kc[i].status == KEYCHECK_OK)
			continue;
		printf("%s:   ", r->domain);
		cli_keycheck_print(stdout, k->cfg, r->domain,
				   old ? kk->old_selector : kk->new_selector,
				   old ? kk->old_keyfile : kk->new_keyfile,
				   &seen->kc[i]);
	}
}

/* ks_add_new - every new key in the table beside the key it replaces
 * (or on a line of its own); the lines added */
static size_t ks_add_new(struct stedit *e, const struct keyrot *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nkeys; i++) {
		const struct keyrot_key *kk = &r->key[i];

		if (kk->old_selector &&
		    stedit_count(e, r->domain, kk->old_selector,
				 kk->old_keyfile) > 0)
			n += stedit_add(e, r->domain, kk->old_selector,
					kk->old_keyfile, kk->new_selector,
					kk->new_keyfile);
		else            /* replaces none, or the old one's lines are gone */
			n += stedit_add(e, r->domain, NULL, NULL,
					kk->new_selector, kk->new_keyfile);
	}
	return n;
}

/* ks_drop - the new keys' (old = 0) or old keys' lines out of the
 * table; how many */
static size_t ks_drop(struct stedit *e, const struct keyrot *r, int old)
{
	size_t i, n = 0;

	for (i = 0; i < r->nkeys; i++) {
		const struct keyrot_key *kk = &r->key[i];

		if (old && kk->old_selector)
			n += stedit_drop(e, r->domain, kk->old_selector,
					 kk->old_keyfile);
		else if (!old)
			n += stedit_drop(e, r->domain, kk->new_selector,
					 kk->new_keyfile);
	}
	return n;
}

/* ks_move - the table (when changed) then the state: state since now */
static int ks_move(struct keyrun *k, struct keyrot *r, struct stedit *e,
		   size_t changed, enum keyrot_state state)
{
	int rc = CLI_OK;

	if (changed)
		rc = key_table_write(k->cfg, e);
	if (rc == CLI_OK && state != r->state) {
		r->state = state;
		r->since = k->now;
		rc = key_state_write(k->cfg, r);
	}
	return rc;
}

/* ks_publish_hint - where the record to publish is */
static void ks_publish_hint(const struct keyrot *r)
{
	size_t i;

	for (i = 0; i < r->nkeys; i++) {
		struct buf rec;
		struct ms_error err;
		EVP_PKEY *pkey = NULL;
		char *line = NULL;

		buf_init(&rec, 64 * 1024);
		if (crypto_load_private_pem(r->key[i].new_keyfile, &pkey,
					    &err) == MS_OK &&
		    cli_key_record(pkey, &rec) == CLI_OK)
			line = cli_zone_line(r->domain, r->key[i].new_selector,
					     buf_str(&rec));
		if (line)
			printf("%s\n", line);
		free(line);
		crypto_pkey_free(pkey);
		buf_free(&rec);
	}
}

static int ks_publish(struct keyrun *k, struct keyrot *r)
{
	struct stedit *e = NULL;
	struct ks_seen seen;
	char until[40];
	size_t i, changed;
	int rc, replaces = 0;

	rc = ks_check(k, r, 0, &seen);
	if (rc != CLI_OK)
		return rc;
	ks_show(k, r, 0, &seen, seen.wrong);
	rc = key_table_load(k->cfg, &e);
	if (rc != CLI_OK)
		return rc;
	if (!seen.all_ok) {
		/* new keys in the table with no record seen: a run stopped
		 * between the table and the state; they leave it */
		changed = ks_drop(e, r, 0);
		rc = ks_move(k, r, e, changed, r->state);
		stedit_free(e);
		if (rc != CLI_OK)
			return rc;
		if (changed)
			key_say(r, "the new keys left the signing table again: "
				"their records are not all seen in DNS");
		if (seen.wrong) {
			key_say(r, "a record published at a new key's name is "
				"not that key's: publish these (also in %s/%s/*.txt):",
				k->cfg->key_dir, r->domain);
			ks_publish_hint(r);
			return CLI_IO;
		}
		if (!k->quiet)
			key_say(r, "waiting for DNS to publish the new keys' records");
		return CLI_LATER;
	}
	changed = ks_add_new(e, r);
	for (i = 0; i < r->nkeys; i++)
		replaces |= r->key[i].old_selector != NULL;
	rc = ks_move(k, r, e, changed, replaces ? KEYROT_GRACE : KEYROT_DONE);
	stedit_free(e);
	if (rc != CLI_OK)
		return rc;
	if (replaces)
		key_say(r, "the new keys are published and sign from now on, "
			"with the old ones until %s (key_grace)",
			key_when(k->now + k->cfg->key_grace, until, sizeof(until)));
	else
		key_say(r, "the new keys are published and sign from now on; "
			"the rotation is done");
	return CLI_OK;
}

/* ks_said_dropped - the old keys left the table: what to revoke */
static void ks_said_dropped(struct keyrun *k, const struct keyrot *r,
			    const struct stedit *e, int early)
{
	size_t i;

	key_say(r, "the old keys no longer sign (%s); revoke their records "
		"by publishing:", early ? "a record of theirs is gone from DNS" :
		"key_grace is over");
	for (i = 0; i < r->nkeys; i++) {
		char *line;

		if (!r->key[i].old_selector)
			continue;
		line = cli_zone_line(r->domain, r->key[i].old_selector,
				     "v=DKIM1; p=");
		printf("%s\n", line);
		free(line);
	}
	for (i = 0; i < r->nkeys; i++)
		if (r->key[i].old_selector &&
		    stedit_uses(e, r->key[i].old_keyfile) == 0)
			key_say(r, "no line of %s names %s any more: delete it "
				"once its record is revoked", k->cfg->signing_table,
				r->key[i].old_keyfile);
}

static int ks_grace(struct keyrun *k, struct keyrot *r)
{
	struct stedit *e = NULL;
	struct ks_seen seen, old;
	char until[40];
	size_t i, changed;
	int rc;

	rc = ks_check(k, r, 0, &seen);
	if (rc != CLI_OK)
		return rc;
	ks_show(k, r, 0, &seen, seen.gone);
	if (seen.temp && !seen.gone) {
		if (!k->quiet)
			key_say(r, "grace: DNS could not say whether the new "
				"records are still published; nothing changed");
		return CLI_LATER;
	}
	rc = key_table_load(k->cfg, &e);
	if (rc != CLI_OK)
		return rc;
	if (seen.gone) {
		/* a new key signs with no record: it leaves the table now,
		 * the old ones go on alone */
		changed = ks_drop(e, r, 0);
		rc = ks_move(k, r, e, changed, KEYROT_PUBLISH);
		stedit_free(e);
		if (rc == CLI_OK)
			key_say(r, "a new key's record is no longer published: "
				"the new keys left the signing table, the old ones "
				"sign alone; back to waiting for DNS");
		return CLI_IO;
	}
	rc = ks_check(k, r, 1, &old);
	if (rc != CLI_OK) {
		stedit_free(e);
		return rc;
	}
	ks_show(k, r, 1, &old, old.gone);
	/* every new key in the table (a run that stopped half-way) */
	changed = ks_add_new(e, r);
	if (k->now < r->since + k->cfg->key_grace && !old.gone) {
		rc = ks_move(k, r, e, changed, r->state);
		stedit_free(e);
		if (rc == CLI_OK && !k->quiet)
			key_say(r, "grace: old and new keys sign until %s",
				key_when(r->since + k->cfg->key_grace, until,
					 sizeof(until)));
		return rc == CLI_OK ? CLI_LATER : rc;
	}
	for (i = 0; i < r->nkeys; i++)
		if (stedit_count(e, r->domain, r->key[i].new_selector,
				 r->key[i].new_keyfile) == 0) {
			cli_error("%s: the new key %s has no line in %s: the old "
				  "keys are not dropped", r->domain,
				  r->key[i].new_selector, k->cfg->signing_table);
			stedit_free(e);
			return CLI_IO;
		}
	changed += ks_drop(e, r, 1);
	rc = ks_move(k, r, e, changed, KEYROT_DONE);
	if (rc == CLI_OK)
		ks_said_dropped(k, r, e, old.gone);
	stedit_free(e);
	return rc;
}

static int ks_done(struct keyrun *k, struct keyrot *r)
{
	size_t i;

	if (k->quiet)
		return CLI_OK;
	key_say(r, "done: the old keys no longer sign");
	for (i = 0; i < r->nkeys; i++) {
		const struct keyrot_key *kk = &r->key[i];
		struct keycheck kc;
		char *line;

		if (!kk->old_selector)
			continue;
		if (key_check(k, r->domain, kk->old_selector, kk->old_keyfile,
			      &kc) != CLI_OK)
			continue;       /* the key file is gone: said */
		if (kc.status == KEYCHECK_REVOKED || keycheck_absent(kc.status)) {
			key_say(r, "%s._domainkey.%s: %s", kk->old_selector,
				r->domain, kc.reason);
			continue;
		}
		key_say(r, "%s._domainkey.%s is not revoked yet (%s: %s); "
			"publish", kk->old_selector, r->domain,
			keycheck_status_str(kc.status), kc.reason);
		line = cli_zone_line(r->domain, kk->old_selector, "v=DKIM1; p=");
		printf("%s\n", line);
		free(line);
	}
	return CLI_OK;
}

/* key_step - one step of r */
int key_step(struct keyrun *k, struct keyrot *r)
{
	switch (r->state) {
	case KEYROT_PUBLISH:
		return ks_publish(k, r);
	case KEYROT_GRACE:
		return ks_grace(k, r);
	case KEYROT_DONE:
		return ks_done(k, r);
	}
	return CLI_IO;
}
