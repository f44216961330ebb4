/*
 * opendmarc_harness.c - OpenDMARC's DMARC outcome (Debian's
 * libopendmarc, RFC 7489 with the Public Suffix List) of each case of
 * the differential test (tests/dns/dmarc_diff.py), for t-dmarc-diff.sh.
 * Compiled by the test into its work directory, never part of a build.
 *
 *   opendmarc_harness PORT PSLFILE < peer.in > od.out
 *
 * Each input line: ID AUTHOR SPFDOMAIN SPFRESULT [DOMAIN SELECTOR RESULT]...
 * The library asks the DNS server on 127.0.0.1:PORT for the policy
 * record (opendmarc_policy_query_dmarc, through its resolver hook), is
 * told the SPF and DKIM results, and says what to enforce.  Each output
 * line: ID OUTCOME, OUTCOME one of pass, none, fail:reject,
 * fail:quarantine, fail:none, or "error:STATUS" when the library
 * refused the record or the query (STATUS is its own word for why).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <opendmarc/dmarc.h>

#define MAX_WORDS 32

/* spf_outcome - a result word as the library's SPF outcome */
static int spf_outcome(const char *w)
{
	if (strcmp(w, "pass") == 0)
		return DMARC_POLICY_SPF_OUTCOME_PASS;
	if (strcmp(w, "none") == 0)
		return DMARC_POLICY_SPF_OUTCOME_NONE;
	if (strcmp(w, "temperror") == 0)
		return DMARC_POLICY_SPF_OUTCOME_TMPFAIL;
	return DMARC_POLICY_SPF_OUTCOME_FAIL;   /* fail softfail neutral */
}

/* dkim_outcome - a result word as the library's DKIM outcome */
static int dkim_outcome(const char *w)
{
	if (strcmp(w, "pass") == 0)
		return DMARC_POLICY_DKIM_OUTCOME_PASS;
	if (strcmp(w, "temperror") == 0)
		return DMARC_POLICY_DKIM_OUTCOME_TMPFAIL;
	return DMARC_POLICY_DKIM_OUTCOME_FAIL;
}

/* enforce_str - what opendmarc_get_policy_to_enforce said, as an outcome */
static const char *enforce_str(int st)
{
	switch (st) {
	case DMARC_POLICY_PASS:
		return "pass";
	case DMARC_POLICY_ABSENT:
		return "none";
	case DMARC_POLICY_REJECT:
		return "fail:reject";
	case DMARC_POLICY_QUARANTINE:
		return "fail:quarantine";
	case DMARC_POLICY_NONE:
		return "fail:none";
	default:
		return NULL;
	}
}

/* evaluate - one case, words[0] the id */
static void evaluate(char **w, int n)
{
	DMARC_POLICY_T *pctx;
	const char *out;
	int st, i;

	pctx = opendmarc_policy_connect_init((u_char *)"192.0.2.1", 0);
	if (!pctx) {
		printf("%s error:connect_init\n", w[0]);
		return;
	}
	st = opendmarc_policy_store_from_domain(pctx, (u_char *)w[1]);
	if (st != DMARC_PARSE_OKAY) {
		printf("%s error:%s\n", w[0], opendmarc_policy_status_to_str(st));
		goto out;
	}
	/* the record first: the DKIM store reads adkim to pick a signature */
	st = opendmarc_policy_query_dmarc(pctx, NULL);
	if (st == DMARC_DNS_ERROR_NO_RECORD || st == DMARC_DNS_ERROR_NXDOMAIN) {
		printf("%s none\n", w[0]);
		goto out;
	}
	if (st != DMARC_PARSE_OKAY) {
		printf("%s error:%d\n", w[0], st);
		goto out;
	}
	opendmarc_policy_store_spf(pctx, (u_char *)w[2], spf_outcome(w[3]),
				   DMARC_POLICY_SPF_ORIGIN_MAILFROM, NULL);
	for (i = 4; i + 2 < n; i += 3)
		opendmarc_policy_store_dkim(pctx, (u_char *)w[i],
					    (u_char *)w[i + 1],
					    dkim_outcome(w[i + 2]), NULL);
	st = opendmarc_get_policy_to_enforce(pctx);
	out = enforce_str(st);
	if (out)
		printf("%s %s\n", w[0], out);
	else
		printf("%s error:%d\n", w[0], st);
out:
	opendmarc_policy_connect_shutdown(pctx);
}

int main(int argc, char **argv)
{
	OPENDMARC_LIB_T lib;
	char line[4096];

	if (argc != 3) {
		fprintf(stderr, "usage: opendmarc_harness PORT PSLFILE\n");
		return 2;
	}
	memset(&lib, 0, sizeof(lib));
	lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
	snprintf((char *)lib.tld_source_file, sizeof(lib.tld_source_file),
		 "%s", argv[2]);
	lib.nscount = 1;
	lib.nsaddr_list[0].sin_family = AF_INET;
	lib.nsaddr_list[0].sin_port = htons((unsigned short)atoi(argv[1]));
	lib.nsaddr_list[0].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (opendmarc_policy_library_init(&lib) != DMARC_PARSE_OKAY) {
		fprintf(stderr, "opendmarc_harness: cannot load %s\n", argv[2]);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		char *w[MAX_WORDS], *save = NULL, *t;
		int n = 0;

		for (t = strtok_r(line, " \t\r\n", &save); t && n < MAX_WORDS;
		     t = strtok_r(NULL, " \t\r\n", &save))
			w[n++] = t;
		if (n >= 4)
			evaluate(w, n);
		fflush(stdout);
	}
	opendmarc_policy_library_shutdown(&lib);
	return 0;
}
