/*
 * addr.h - the address parser for the From field (RFC 5322 3.4,
 * mailbox-list), as the policy engine needs it: the domain of every
 * mailbox, so that "whose mail is this" has one answer or a clear
 * refusal.
 *
 * Accepted: name-addr and addr-spec mailboxes, display names of atoms
 * and quoted strings, comments anywhere (nested, with quoted pairs),
 * folding whitespace, quoted local parts, domain literals, and the
 * obsolete route syntax (ignored).  Groups are refused: From is a
 * mailbox-list.  Domains are returned lower-cased, without a trailing
 * dot, in the caller's arena.  The input is never written to.
 *
 * Errors: MS_ERR_SYNTAX (with a reason) for anything else, including an
 * empty list; MS_ERR_LIMIT past ADDR_MAX mailboxes.
 */
#ifndef MAILSEAL_ADDR_H
#define MAILSEAL_ADDR_H

#include <stddef.h>
#include "arena.h"
#include "status.h"

#define ADDR_MAX 64

struct addr_list {
	size_t n;
	const char *local[ADDR_MAX];    /* as written, quotes kept */
	const char *domain[ADDR_MAX];   /* lower case */
};

/* addr_parse_list - the mailboxes of a From field value */
enum ms_status addr_parse_list(const unsigned char *p, size_t len,
			       struct arena *arena, struct addr_list *out,
			       struct ms_error *err);

#endif
