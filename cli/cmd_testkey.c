/*
 * cmd_testkey.c - mailseal testkey: does DNS publish the public half
 * of a private key?  Asked of the configured resolver (dns_resolver;
 * libunbound, validating, when dns_trust_anchor is set), never of a
 * cache: what a cache remembers is not what DNS publishes now.
 *
 *   mailseal testkey -d DOMAIN -s SELECTOR -k KEYFILE
 *   mailseal testkey                  every key of signing_table
 *
 * One line per key on stdout: "NAME: VERDICT: why (key FILE); DNSSEC:
 * ...".  Exit status: 0 every record holds its key, 1 one does not
 * (or a file could not be read), 3 DNS could not say (ask later), 2
 * usage.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "crypto.h"
#include "dnskeys.h"
#include "keycheck.h"
#include "signtable.h"

/* cli_key_dns - the key source testkey and key ask: DNS itself */
struct keysource *cli_key_dns(const struct ms_config *cfg)
{
	return dnskeys_new(cfg->dns_resolver, cfg->dns_trust_anchor,
			   cfg->dns_timeout_ms);
}

/* tk_dnssec - what the answer says of DNSSEC */
static const char *tk_dnssec(const struct ms_config *cfg,
			     const struct keycheck *kc)
{
	if (!*cfg->dns_trust_anchor)
		return "not DNSSEC-validated (dns_trust_anchor is not set)";
	if (kc->dnssec)
		return "DNSSEC-validated (secure)";
	if (kc->validated)
		return "not DNSSEC-validated: the zone is not signed (insecure)";
	return "not DNSSEC-validated";
}

/* cli_keycheck_print - the line of one verdict */
void cli_keycheck_print(FILE *out, const struct ms_config *cfg,
			const char *domain, const char *selector,
			const char *keyfile, const struct keycheck *kc)
{
	fprintf(out, "%s._domainkey.%s: %s: %s (key %s)", selector, domain,
		keycheck_status_str(kc->status), kc->reason, keyfile);
	if (kc->status != KEYCHECK_TEMPFAIL)
		fprintf(out, "; %s", tk_dnssec(cfg, kc));
	fputc('\n', out);
}

/* cli_keycheck_rc - the exit status of a verdict */
int cli_keycheck_rc(const struct keycheck *kc)
{
	if (kc->status == KEYCHECK_OK)
		return CLI_OK;
	return kc->status == KEYCHECK_TEMPFAIL ? CLI_LATER : CLI_IO;
}

/* cli_worse - two exit statuses as one */
int cli_worse(int a, int b)
{
	if (a == CLI_IO || b == CLI_IO)
		return CLI_IO;
	return a == CLI_LATER || b == CLI_LATER ? CLI_LATER : CLI_OK;
}

/* tk_one - check one key: its verdict printed, its exit status */
static int tk_one(struct keysource *ks, const struct ms_config *cfg,
		  const char *domain, const char *selector,
		  const char *keyfile, EVP_PKEY *pkey)
{
	struct keycheck kc;

	keycheck_lookup(ks, domain, selector, pkey, &kc);
	cli_keycheck_print(stdout, cfg, domain, selector, keyfile, &kc);
	return cli_keycheck_rc(&kc);
}

/* tk_table - every distinct key of the signing table */
static int tk_table(struct keysource *ks, const struct ms_config *cfg)
{
	const struct signtable_entry *e;
	struct signtable *st;
	struct ms_error err;
	size_t n, i, j;
	int rc = CLI_OK;

	if (!*cfg->signing_table) {
		cli_error("testkey: -d, -s and -k name a key; without them, "
			  "the keys of signing_table, which is not set");
		return CLI_USAGE;
	}
	st = signtable_load(cfg->signing_table, &err);
	if (!st) {
		cli_error("testkey: %s", err.msg);
		return CLI_IO;
	}
	e = signtable_entries(st, &n);
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)         /* example.com, .example.com */
			if (strcasecmp(e[j].domain, e[i].domain) == 0 &&
			    strcasecmp(e[j].selector, e[i].selector) == 0 &&
			    strcmp(e[j].keyfile, e[i].keyfile) == 0)
				break;
		if (j == i)
			rc = cli_worse(rc, tk_one(ks, cfg, e[i].domain,
						 e[i].selector, e[i].keyfile,
						 e[i].pkey));
	}
	signtable_free(st);
	return rc;
}

int cmd_testkey(const struct ms_config *cfg, int argc, char **argv)
{
	const char *domain = NULL, *selector = NULL, *keyfile = NULL;
	struct keysource *ks;
	struct ms_error err;
	EVP_PKEY *pkey = NULL;
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (i + 1 >= argc) {
			cli_error("testkey: option %s needs a value", o);
			return CLI_USAGE;
		}
		if (strcmp(o, "-d") == 0)
			domain = argv[++i];
		else if (strcmp(o, "-s") == 0)
			selector = argv[++i];
		else if (strcmp(o, "-k") == 0)
			keyfile = argv[++i];
		else {
			cli_error("testkey: unknown option %s", o);
			return CLI_USAGE;
		}
	}
	if ((domain || selector || keyfile) && !(domain && selector && keyfile)) {
		cli_error("testkey: -d DOMAIN, -s SELECTOR and -k KEYFILE go together");
		return CLI_USAGE;
	}
	if (domain && (!dkim_domain_valid(domain, strlen(domain)) ||
		       !dkim_domain_valid(selector, strlen(selector)))) {
		cli_error("testkey: \"%s\" / \"%s\" is not a valid domain / selector",
			  domain, selector);
		return CLI_USAGE;
	}
	if (keyfile && crypto_load_private_pem(keyfile, &pkey, &err) != MS_OK) {
		cli_error("testkey: %s", err.msg);
		return CLI_IO;
	}
	ks = cli_key_dns(cfg);
	if (domain)
		rc = tk_one(ks, cfg, domain, selector, keyfile, pkey);
	else
		rc = tk_table(ks, cfg);
	keysource_destroy(ks);
	crypto_pkey_free(pkey);
	if (fflush(stdout) != 0)
		rc = CLI_IO;
	return rc;
}
