/*
 * dmarcxml.h - the XML of one DMARC aggregate report (RFC 9990): the
 * <feedback> document in the namespace urn:ietf:params:xml:ns:dmarc-2.0,
 * version 1.0, with report_metadata, policy_published and one <record>
 * per row.
 *
 * The rows of one report share one Policy Domain and one published
 * policy (dmarc_row_same_policy): the caller groups them.  Text is
 * escaped (& < > " '); a byte that XML 1.0 cannot carry (a control
 * character but tab, bytes that are not UTF-8) is written as '?', so that any
 * stored value still gives a well-formed document.
 *
 * What the schema we validate against (tests/farm/rfc9990.xsd) does not
 * have is left out or mapped: np= is not written (the published np is
 * kept in the rows), a policy_test_mode reason is written as type
 * "other" with a comment that says so, and sp, which the schema
 * requires, is p's value when the record has none (RFC 9989's default).
 * Nothing here does I/O; the document is appended to a buf.
 */
#ifndef MAILSEAL_DMARCXML_H
#define MAILSEAL_DMARCXML_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "dmarcrow.h"
#include "status.h"

struct dmarc_report_meta {
	const char *org_name;
	const char *email;
	const char *extra_contact;      /* NULL or "": not written */
	const char *report_id;
	uint64_t begin, end;            /* Unix times */
	const char *const *errors;      /* joined into one <error>, may be none */
	size_t nerrors;
};

/* dmarcxml_write - the report of rows[0..n) (n >= 1, one policy) with
 * counts[0..n) into out; MS_ERR_USAGE when n is 0 or the rows differ
 * in policy, MS_ERR_LIMIT when out is full */
enum ms_status dmarcxml_write(const struct dmarc_report_meta *m,
			      const struct dmarc_row *const *rows,
			      const uint64_t *counts, size_t n,
			      struct buf *out);

#endif
