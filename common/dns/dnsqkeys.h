/*
 * dnsqkeys.h - DKIM key lookups (keysource.h) answered by a DNS
 * question source (dnsq.h): the TXT records at the key's name.  Over
 * c-ares (aresq.h) it is how dnskeys.h asks DNS without a trust
 * anchor; with a zone file it serves `mailseal policy --dns-file`, so
 * that one file answers the keys, SPF and DMARC of a dry run.
 */
#ifndef MAILSEAL_DNSQKEYS_H
#define MAILSEAL_DNSQKEYS_H

#include "dnsq.h"
#include "keysource.h"

/* dnsqkeys_new - a key source over q (borrowed: it must outlive it) */
struct keysource *dnsqkeys_new(struct dnsq *q);

#endif
