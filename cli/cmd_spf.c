/*
 * cmd_spf.c - mailseal spf: the SPF result (RFC 7208) of one SMTP
 * client, from the configured resolver or a zone file.
 *
 *   mailseal spf --ip IP [--helo NAME] [--mail-from ADDR]
 *                [--receiver NAME] [--dns-file FILE] [--stats]
 *
 * With --mail-from (an empty ADDR is the null sender) the MAIL FROM
 * identity is checked, else the HELO identity.  The first line is
 * "spf=RESULT smtp.mailfrom=DOMAIN" (or smtp.helo=NAME), as
 * Authentication-Results would carry it; then why, the matching term,
 * the explanation of a fail, and what the lookups counted.  Without
 * --dns-file, lookups go through the engine's chain (dnsqchain.h: the
 * resolver behind the in-process cache and the farm's Redis), and
 * --stats prints what each layer answered.  The exit status is 0
 * whatever the result (cli.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dnsqchain.h"
#include "msclock.h"
#include "spf.h"
#include "zonefile.h"

/* spf_print_safe - untrusted text (a reason, an explanation), as
 * printable ASCII */
static void spf_print_safe(const char *label, const char *s)
{
	if (!s)
		return;
	printf("%s: ", label);
	for (; *s; s++)
		putchar((unsigned char)*s >= 32 && *s != 127 ? *s : '?');
	putchar('\n');
}

/* cmd_spf - mailseal spf */
int cmd_spf(const struct ms_config *cfg, int argc, char **argv)
{
	struct spf_request rq = { 0 };
	const char *dns_file = NULL;
	struct spf_outcome o;
	struct ms_error err;
	struct dnsq *dns;
	struct arena a;
	int i, have_from = 0, stats = 0;

	for (i = 1; i < argc; i++) {
		const char *opt = argv[i];

		if (strcmp(opt, "--stats") == 0) {
			stats = 1;
			continue;
		}
		if (i + 1 >= argc)
			goto usage;
		if (strcmp(opt, "--ip") == 0)
			rq.ip = argv[++i];
		else if (strcmp(opt, "--helo") == 0)
			rq.helo = argv[++i];
		else if (strcmp(opt, "--mail-from") == 0) {
			rq.mail_from = argv[++i];
			have_from = 1;
		} else if (strcmp(opt, "--receiver") == 0)
			rq.receiver = argv[++i];
		else if (strcmp(opt, "--dns-file") == 0)
			dns_file = argv[++i];
		else
			goto usage;
	}
	if (!rq.ip || (!have_from && !rq.helo))
		goto usage;
	dns = dns_file ? zonefile_load(dns_file, &err)
		       : dnsqchain_open(cfg, NULL, NULL, &err);
	if (!dns) {
		cli_error("%s", err.msg);
		return dns_file ? CLI_IO : CLI_USAGE;
	}
	rq.deadline_ms = ms_clock_ms() + cfg->dns_message_budget_ms;
	arena_init(&a);
	if (have_from)
		spf_check_mailfrom(dns, &rq, &a, &o);
	else
		spf_check_helo(dns, &rq, &a, &o);
	printf("spf=%s %s=%s\n", spf_result_str(o.result),
	       have_from ? "smtp.mailfrom" : "smtp.helo",
	       have_from ? o.sender : o.domain);
	if (o.mechanism)
		spf_print_safe("matched", o.mechanism);
	else
		spf_print_safe("why", o.reason);
	spf_print_safe("explanation", o.explanation);
	printf("lookups: %u of %d DNS terms, %u void, %lu queries\n",
	       o.dns_terms, SPF_MAX_DNS_TERMS, o.voids, o.queries);
	if (stats) {
		struct dnsqchain_stats st;

		dnsqchain_stats(dns, &st);
		printf("stats: lookups=%lu local_hits=%lu redis_hits=%lu "
		       "dns_queries=%lu redis_bad=%lu redis_foreign=%lu "
		       "redis_errors=%lu\n", st.lookups, st.local_hits,
		       st.redis_hits, st.dns_queries, st.redis_bad,
		       st.redis_foreign, st.redis_errors);
	}
	arena_free(&a);
	dnsq_destroy(dns);
	return CLI_OK;
usage:
	cli_error("usage: spf --ip IP [--helo NAME] [--mail-from ADDR] "
		  "[--receiver NAME] [--dns-file FILE] [--stats]");
	return CLI_USAGE;
}
