/*
 * complaint.h - whether an abuse complaint counts, and counting it.
 *
 * A complaint counts only if all of these hold (docs/abuse.md):
 *  - the reporter is known: an authenticated user of the farm (the MTA
 *    passes the SMTP AUTH identity: "user:NAME"), or, without one, a
 *    domain of complaint_reporters whose report itself carries a DKIM
 *    signature that passes now and is aligned with the report's From
 *    ("domain:D");
 *  - the reported message carries a DKIM signature that passes now
 *    ("verified"), or that the farm's record shows passed when the farm
 *    accepted it ("recorded": a message whose key was since withdrawn,
 *    or a report of its header block only);
 *  - it is not a repeat: one complaint per signature and reporter.
 * The evidence signature is one aligned with the reported message's
 * From when there is one, else the first that counts; its identities
 * are its DKIM domain and, when the farm recorded who sent it, that
 * server's certificate key.  Counting them is revstore_complain's.
 */
#ifndef MAILSEAL_COMPLAINT_H
#define MAILSEAL_COMPLAINT_H

#include <stddef.h>
#include "config.h"
#include "dkim_verify.h"
#include "domainlist.h"
#include "farmcache.h"
#include "revstore.h"
#include "status.h"

struct complaint_engine {
	struct dkim_verifier *verifier; /* over the farm's key chain */
	struct farmcache *farm;         /* NULL: nothing can be recorded */
	const struct domainlist *reporters;     /* complaint_reporters */
	const struct domainlist *protect;       /* domains of
						 * revocation_protect */
	const char *protect_spki;       /* its keys: hex words, or "" */
	struct rev_rules rules;
};

struct complaint_decision {
	int counted;
	char text[640];                 /* one line: what was decided, why */
	struct rev_outcome outcome;     /* when counted */
};

/* complaint_process - decide on the report p[0..len) sent by reporter
 * (an SMTP AUTH identity, or NULL/"" when the sender did not
 * authenticate); MS_OK with d filled whatever the decision, or
 * MS_ERR_TEMP when it could not be recorded (Redis) */
enum ms_status complaint_process(const struct complaint_engine *ce,
				 const unsigned char *p, size_t len,
				 const char *reporter,
				 struct complaint_decision *d,
				 struct ms_error *err);

#endif
