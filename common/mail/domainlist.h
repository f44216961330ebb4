/*
 * domainlist.h - lists of domains, as require_signed and the signing
 * table name them.
 *
 * An entry "example.com" matches that domain only; ".example.com"
 * matches its subdomains (not example.com itself).  Matching ignores
 * letter case and a trailing dot.  A list comes from a setting's value
 * (entries separated by spaces or commas) or, when the value starts
 * with '/', from a file of entries ('#' comments, one or more per
 * line).
 */
#ifndef MAILSEAL_DOMAINLIST_H
#define MAILSEAL_DOMAINLIST_H

#include <stddef.h>
#include "status.h"

struct domainlist;

/* domainlist_parse - a list from text; origin names it in errors */
struct domainlist *domainlist_parse(const char *text, const char *origin,
				    struct ms_error *err);
/* domainlist_load - the value of a setting: inline list or /file */
struct domainlist *domainlist_load(const char *value, const char *setting,
				   struct ms_error *err);
/* domainlist_free - release it (NULL is fine) */
void domainlist_free(struct domainlist *dl);
/* domainlist_size - number of entries */
size_t domainlist_size(const struct domainlist *dl);
/* domainlist_match - the matching entry (as written, leading dot kept)
 * with the most labels, or NULL */
const char *domainlist_match(const struct domainlist *dl, const char *domain);
/* domain_match - does domain match the one entry pattern? */
int domain_match(const char *pattern, const char *domain);
/* domain_match_weight - 0 when pattern does not match domain, else a
 * weight: the most specific pattern has the largest (an exact entry
 * beats every subdomain entry) */
size_t domain_match_weight(const char *pattern, const char *domain);

#endif
