/*
 * dmarcrecord.h - the DMARC record parser (RFC 9989 section 4.7).
 *
 *   "v=DMARC1" *( ";" tag-spec ) [ ";" ]   (the tag-list of RFC 6376)
 *
 * A TXT string is a DMARC record when its first tag is v with the
 * value "DMARC1", both exactly (case-sensitive).  Other tag names are
 * matched without regard to case.  Known tags: p sp np (none,
 * quarantine, reject), adkim aspf (r, s), psd (y, n, u), t (y, n), rua
 * ruf (URI lists), fo.  Unknown tags are ignored; so are the removed
 * tags pct, rf and ri (they change nothing).  A known tag with a value
 * it cannot have is ignored and noted (its default applies).  A record
 * without a valid p=, or with an sp= or np= that is not valid, is read
 * as p=none (sp and np none too) when its rua= holds at least one URI
 * that is syntactically one (section 4.10.1: the domain still wants
 * reports); without one it is marked unusable: DMARC does not apply.
 *
 * A string that is not a tag-list at all (a byte outside the grammar,
 * a tag twice, more than MS_MAX_TAGS tags) is not a usable record:
 * dmarc_record_parse says why, and the tree walk discards it as it
 * discards a TXT string that is not DMARC.
 *
 * The record's strings (rua, ruf, fo) are copies in the caller's arena.
 */
#ifndef MAILSEAL_DMARCRECORD_H
#define MAILSEAL_DMARCRECORD_H

#include <stddef.h>
#include "arena.h"

enum dmarc_policy {
	DMARC_P_UNSET = 0,              /* sp, np: not given */
	DMARC_P_NONE,
	DMARC_P_QUARANTINE,
	DMARC_P_REJECT,
};

struct dmarc_record {
	enum dmarc_policy p, sp, np;
	char adkim, aspf;               /* 'r' or 's' */
	char psd;                       /* 'y', 'n' or 'u' (not given) */
	int testing;                    /* t=y */
	const char *rua, *ruf, *fo;     /* as published, or NULL */
	const char *note;               /* a tag that was ignored, or NULL */
	int unusable;                   /* no valid p= (or a bad sp=/np=)
					 * and no valid rua=: no DMARC */
};

enum dmarc_parse {
	DMARC_REC_NOT = 0,              /* not a DMARC record: no v=DMARC1 */
	DMARC_REC_OK,
	DMARC_REC_BAD,                  /* v=DMARC1, but not a tag-list */
};

/* dmarc_record_parse - p[0..len) into *r; for DMARC_REC_BAD, *why (a
 * static or arena string) says what is wrong */
enum dmarc_parse dmarc_record_parse(const unsigned char *p, size_t len,
				    struct arena *a, struct dmarc_record *r,
				    const char **why);
/* dmarc_policy_str - "none", "quarantine", "reject" ("" when unset) */
const char *dmarc_policy_str(enum dmarc_policy p);

#endif
