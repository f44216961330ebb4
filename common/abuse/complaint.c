/*
 * complaint.c - the rules a complaint must meet to count (complaint.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arf.h"
#include "complaint.h"
#include "hex.h"

/* a signature of the reported message that may stand as evidence */
struct cp_evidence {
	const unsigned char *id;        /* 32 bytes (16 name the record) */
	const char *domain;
	const char *how;                /* "verified", "recorded" */
	struct farm_sig_record rec;     /* the farm's, when it has one */
	int has_rec;
};

/* cp_aligned - may a signature of d stand for author domain a (the
 * same domain or a parent of it, never a bare top-level label)? */
static int cp_aligned(const char *d, const char *a)
{
	size_t dl, al;

	if (!d || !a)
		return 0;
	dl = strlen(d);
	al = strlen(a);
	if (dl == al)
		return strcasecmp(d, a) == 0;
	return dl < al && strchr(d, '.') && a[al - dl - 1] == '.' &&
	       strcasecmp(a + al - dl, d) == 0;
}

static const char *cp_domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at ? at + 1 : NULL;
}

/* cp_verify - the DKIM outcome of msg now; the context holds the
 * results (the caller frees it) */
static struct dkim_verify *cp_verify(const struct complaint_engine *ce,
				     const unsigned char *msg, size_t len,
				     struct dkim_verify_outcome *oc)
{
	struct dkim_verify *m = dkim_verify_begin(ce->verifier);
	struct ms_error err;

	dkim_verify_feed(m, msg, len);
	if (dkim_verify_finish(m, oc, &err) != MS_OK)
		memset(oc, 0, sizeof(*oc));
	return m;
}

/* cp_reporter - who complains, into rep; NULL, or why not known */
static const char *cp_reporter(const struct complaint_engine *ce,
			       const unsigned char *p, size_t len,
			       const struct arf_report *r, const char *user,
			       char *rep, size_t size, char *why, size_t wsize)
{
	struct dkim_verify_outcome oc;
	struct dkim_verify *m;
	const char *dom;
	size_t i;
	int ok = 0;

	if (user && *user) {
		snprintf(rep, size, "user:%s", user);
		return NULL;
	}
	dom = cp_domain_of(r->from);
	if (!dom) {
		snprintf(why, wsize, "unknown reporter: the sender did not authenticate and the report has no readable From");
		return why;
	}
	if (!ce->reporters || !domainlist_match(ce->reporters, dom)) {
		snprintf(why, wsize, "unknown reporter: the sender did not authenticate and %.200s is not in complaint_reporters",
			 dom);
		return why;
	}
	m = cp_verify(ce, p, len, &oc);
	for (i = 0; i < oc.nresults && !ok; i++)
		ok = oc.results[i].result == DKIM_RES_PASS &&
		     cp_aligned(oc.results[i].domain, dom);
	dkim_verify_free(m);
	if (!ok) {
		snprintf(why, wsize, "unknown reporter: the report from %.200s carries no passing DKIM signature aligned with its From",
			 dom);
		return why;
	}
	snprintf(rep, size, "domain:%s", dom);
	return NULL;
}

/* cp_evidence - the signature that stands as evidence, from the
 * results oc of the reported message (From: author); 0 when none */
static int cp_evidence(const struct complaint_engine *ce,
		       const struct dkim_verify_outcome *oc,
		       const char *author, struct arena *a,
		       struct cp_evidence *ev)
{
	int found = 0;
	size_t i;

	for (i = 0; i < oc->nresults; i++) {
		const struct dkim_sig_result *r = &oc->results[i];
		struct cp_evidence c = { 0 };

		if (!r->has_id || !r->domain)
			continue;
		c.id = r->sig_id;
		c.domain = r->domain;
		c.has_rec = ce->farm &&
			    farmcache_sig_record(ce->farm, r->sig_id, a,
						 &c.rec) == FARM_HIT;
		if (r->result == DKIM_RES_PASS)
			c.how = "verified";
		else if (c.has_rec && c.rec.accepted)
			c.how = "recorded";
		else
			continue;
		/* the first that counts, or a later one aligned with From */
		if (!found || (cp_aligned(c.domain, author) &&
			       !cp_aligned(ev->domain, author))) {
			*ev = c;
			found = 1;
		}
	}
	return found;
}

/* cp_protected - is identity id on revocation_protect? */
static int cp_protected(const struct complaint_engine *ce, const char *id)
{
	if (strncmp(id, "domain:", 7) == 0)
		return ce->protect && domainlist_match(ce->protect, id + 7);
	if (strncmp(id, "spki:", 5) == 0 && ce->protect_spki) {
		const char *s = strstr(ce->protect_spki, id + 5);

		return s && (s == ce->protect_spki || s[-1] == ' ' ||
			     s[-1] == ',') &&
		       (s[64] == 0 || s[64] == ' ' || s[64] == ',');
	}
	return 0;
}

/* cp_lower - s in lower case, in a */
static const char *cp_lower(struct arena *a, const char *prefix, const char *s)
{
	size_t n = strlen(prefix) + strlen(s) + 1, i;
	char *out = arena_alloc(a, n);

	snprintf(out, n, "%s%s", prefix, s);
	for (i = strlen(prefix); out[i]; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	return out;
}

enum ms_status complaint_process(const struct complaint_engine *ce,
				 const unsigned char *p, size_t len,
				 const char *reporter,
				 struct complaint_decision *d,
				 struct ms_error *err)
{
	struct rev_complaint c = { 0 };
	struct dkim_verify_outcome oc;
	struct dkim_verify *m;
	struct cp_evidence ev = { 0 };
	struct arf_report r;
	struct ms_error e;
	struct arena a;
	char rep[320], why[400], sig[33];
	unsigned char sig_id[32];
	const char *author;
	size_t i, off;
	enum ms_status st = MS_OK;

	memset(d, 0, sizeof(*d));
	arena_init(&a);
	if (arf_read(p, len, &a, &r, &e) != MS_OK) {
		snprintf(d->text, sizeof(d->text), "not counted: not a complaint report (%s)",
			 e.msg);
		goto out;
	}
	if (cp_reporter(ce, p, len, &r, reporter, rep, sizeof(rep), why,
			sizeof(why))) {
		snprintf(d->text, sizeof(d->text), "not counted: %s", why);
		goto out;
	}
	author = cp_domain_of(arf_from(r.original, r.original_len, &a));
	m = cp_verify(ce, r.original, r.original_len, &oc);
	if (!cp_evidence(ce, &oc, author, &a, &ev)) {
		snprintf(d->text, sizeof(d->text),
			 "not counted: no evidence (reporter %.200s): %s",
			 rep, oc.nresults == 0
			 ? "the reported message carries no DKIM signature"
			 : "no DKIM signature of the reported message passes now, and the farm has no record of accepting it");
		dkim_verify_free(m);
		goto out;
	}
	memcpy(sig_id, ev.id, sizeof(sig_id));  /* ev.id dies with m */
	c.sig_id = sig_id;
	c.reporter = rep;
	c.evidence = ev.how;
	c.feedback_type = r.feedback_type ? r.feedback_type : "";
	c.identities[c.nidentities++] = cp_lower(&a, "domain:", ev.domain);
	if (ev.has_rec && ev.rec.client_spki && strlen(ev.rec.client_spki) == 64)
		c.identities[c.nidentities++] = cp_lower(&a, "spki:",
							 ev.rec.client_spki);
	for (i = 0; i < c.nidentities; i++)
		c.protected_id[i] = cp_protected(ce, c.identities[i]);
	hex_lower(sig_id, 16, sig);
	dkim_verify_free(m);            /* ev lived there: copied */
	if (!ce->farm) {
		st = ms_error_set(err, MS_ERR_TEMP,
				  "complaints are recorded in the farm's Redis: no redis_url, redis_sentinels or redis_cluster");
		goto out;
	}
	if (revstore_complain(ce->farm, &ce->rules, &c, (uint64_t)time(NULL),
			      &d->outcome) != FARM_HIT) {
		st = ms_error_set(err, MS_ERR_TEMP,
				  "the complaint could not be recorded: Redis did not answer (%s)",
				  farmcache_last_error(ce->farm));
		goto out;
	}
	if (!d->outcome.counted) {
		snprintf(d->text, sizeof(d->text),
			 "not counted: a repeat (%.200s already complained about signature %s)",
			 rep, sig);
		goto out;
	}
	d->counted = 1;
	off = (size_t)snprintf(d->text, sizeof(d->text),
			       "counted: complaint %llu by %.120s about signature %s of %.120s (%s)",
			       (unsigned long long)d->outcome.complaint_id, rep,
			       sig, c.identities[0] + 7, ev.how);
	for (i = 0; i < d->outcome.n && off < sizeof(d->text); i++) {
		off += (size_t)snprintf(d->text + off, sizeof(d->text) - off,
					"; %.80s: %llu of %u offences",
					c.identities[i],
					(unsigned long long)d->outcome.id[i].offences,
					ce->rules.threshold);
		if (off < sizeof(d->text) && d->outcome.id[i].state != REV_NONE)
			off += (size_t)snprintf(d->text + off, sizeof(d->text) - off,
						", %s%s (revocation %llu)",
						d->outcome.id[i].changed ? "now " : "",
						rev_state_str(d->outcome.id[i].state),
						(unsigned long long)d->outcome.id[i].revocation_id);
	}
out:
	/* the identities pointed into the arena: the text is a copy */
	arena_free(&a);
	return st;
}
