/*
 * stedit.h - edits of the signing table's text (signtable.h) for the
 * key life cycle (`mailseal key`, docs/keys.md): a line added beside
 * each line of a key, the lines of a key removed, every other line,
 * comment and blank line kept as written.
 *
 * It works on text and reads nothing from disk: the caller loads the
 * table, edits it, checks the result with signtable_parse (which loads
 * every key) and writes it with atomicfile_replace.  A line is matched
 * by its fields as signtable_fields reads them: its signing domain (the
 * DOMAIN field without a leading dot), its selector (both
 * case-insensitive) and its key file (exact).  Lines that do not have
 * three fields are kept and never matched.  Every edit is idempotent:
 * a line the table already has is not added again, and removing what
 * is not there removes nothing, so that a step repeated after a crash
 * leaves the same table.
 */
#ifndef MAILSEAL_STEDIT_H
#define MAILSEAL_STEDIT_H

#include <stddef.h>
#include "buf.h"
#include "signtable.h"

struct stedit;

/* a key a domain's lines name: slices of the editor's text, valid
 * until its next edit */
struct stedit_key {
	struct signtable_field selector;
	struct signtable_field keyfile;
};

/* stedit_new - an editor over a copy of text */
struct stedit *stedit_new(const char *text);
/* stedit_free - release it (NULL is fine) */
void stedit_free(struct stedit *e);
/* stedit_keys - the distinct (selector, key file) pairs of the lines
 * whose signing domain is domain (NULL: of every line), in table
 * order, at most max into out; returns how many there are */
size_t stedit_keys(const struct stedit *e, const char *domain,
		   struct stedit_key *out, size_t max);
/* stedit_count - the lines of domain that sign with selector and
 * keyfile */
size_t stedit_count(const struct stedit *e, const char *domain,
		    const char *selector, const char *keyfile);
/* stedit_uses - the lines, of any domain, that name keyfile */
size_t stedit_uses(const struct stedit *e, const char *keyfile);
/* stedit_add - beside (after) each line of domain with old_selector
 * and old_keyfile, a line of the same DOMAIN field with new_selector
 * and new_keyfile, unless the table has that line already; with
 * old_selector NULL, one line "domain new_selector new_keyfile" at the
 * end unless the domain has a line of that key already.  Returns the
 * lines added. */
size_t stedit_add(struct stedit *e, const char *domain,
		  const char *old_selector, const char *old_keyfile,
		  const char *new_selector, const char *new_keyfile);
/* stedit_drop - remove the lines of domain with selector and keyfile;
 * returns how many */
size_t stedit_drop(struct stedit *e, const char *domain,
		   const char *selector, const char *keyfile);
/* stedit_text - the table as it is now, appended to out (each line
 * ends with a newline) */
enum ms_status stedit_text(const struct stedit *e, struct buf *out);

#endif
