/*
 * sendrights.h - who may send as which From: the sending_rights table.
 *
 * One line per identity, `IDENTITY FROM...` ('#' starts a comment):
 *
 *   alice                alice@example.com
 *   bob@example.org      example.org
 *   *@example.net        example.net .example.net
 *   <local>              example.com
 *
 * IDENTITY is an SMTP AUTH identity as the MTA reports it, compared
 * exactly (letter case counts); `*@DOMAIN` is every identity ending in
 * @DOMAIN (the domain's letter case ignored); `*` is every identity;
 * `<local>` is a local submission for which the MTA shows no user
 * (Postfix's sendmail(1)); where it shows one (Exim), the Unix login is
 * the identity.  FROM is an address (`alice@example.com`: that address
 * only, letter case ignored), a domain (`example.org`: any address of
 * it) or `.DOMAIN` (any address of its subdomains).  An identity may
 * use every From that any of its matching lines lists; one that no line
 * matches may use none.
 *
 * `[ADDRESS]` or `[ADDRESS/LENGTH]` (IPv4 or IPv6) is not an identity
 * but the SMTP clients at those addresses that send without AUTH (an
 * application on localhost): their mail is signed when every From
 * mailbox is one the line lists, and verified like inbound mail
 * otherwise (never refused for it).  Such a line never matches an AUTH
 * identity, nor does `*` match a client.
 */
#ifndef MAILSEAL_SENDRIGHTS_H
#define MAILSEAL_SENDRIGHTS_H

#include <stddef.h>
#include "status.h"

#define SENDRIGHTS_LOCAL "<local>"

struct sendrights;

/* sendrights_parse - the table from text; origin (a file name) names
 * it in errors, with the line */
struct sendrights *sendrights_parse(const char *text, const char *origin,
				    struct ms_error *err);
/* sendrights_load - the table from the file at path */
struct sendrights *sendrights_load(const char *path, struct ms_error *err);
/* sendrights_free - release it (NULL is fine) */
void sendrights_free(struct sendrights *r);
/* sendrights_size - lines held */
size_t sendrights_size(const struct sendrights *r);
/* sendrights_may - may identity use the From address local@domain
 * (local as written, domain in lower case)?  1 yes, 0 no */
int sendrights_may(const struct sendrights *r, const char *identity,
		   const char *local, const char *domain);

/* sendrights_client_known - has the table a [ADDRESS] line for the
 * client address ip (text)?  1 yes, 0 no */
int sendrights_client_known(const struct sendrights *r, const char *ip);
/* sendrights_client_may - may the SMTP client at ip, without AUTH, use
 * the From address local@domain?  1 yes, 0 no */
int sendrights_client_may(const struct sendrights *r, const char *ip,
			  const char *local, const char *domain);

#endif
