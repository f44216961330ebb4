/*
 * cmd_keygen.c - mailseal keygen: a private key and its DNS record,
 * printed as a zone-file line to publish.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "crypto.h"
#include "ms_limits.h"
#include "numparse.h"

int cmd_keygen(const struct ms_config *cfg, int argc, char **argv)
{
	const char *domain = NULL, *selector = NULL, *type = "rsa", *dir = ".";
	uint64_t bits = MS_DEFAULT_RSA_BITS;
	enum dkim_alg alg;
	struct cli_newkey k;
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (i + 1 >= argc) {
			cli_error("keygen: option %s needs a value", o);
			return CLI_USAGE;
		}
		if (strcmp(o, "-d") == 0)
			domain = argv[++i];
		else if (strcmp(o, "-s") == 0)
			selector = argv[++i];
		else if (strcmp(o, "-t") == 0)
			type = argv[++i];
		else if (strcmp(o, "-o") == 0)
			dir = argv[++i];
		else if (strcmp(o, "-b") == 0) {
			const char *v = argv[++i];

			if (num_parse_u64((const unsigned char *)v, strlen(v),
					  MS_MAX_RSA_BITS, &bits) != MS_OK ||
			    bits < MS_MIN_RSA_BITS) {
				cli_error("keygen: -b takes %d to %d bits",
					  MS_MIN_RSA_BITS, MS_MAX_RSA_BITS);
				return CLI_USAGE;
			}
		} else {
			cli_error("keygen: unknown option %s", o);
			return CLI_USAGE;
		}
	}
	if (!domain || !selector) {
		cli_error("keygen: -d DOMAIN and -s SELECTOR are required");
		return CLI_USAGE;
	}
	if (!dkim_domain_valid(domain, strlen(domain)) ||
	    !dkim_domain_valid(selector, strlen(selector))) {
		cli_error("keygen: \"%s\" / \"%s\" is not a valid domain / selector",
			  domain, selector);
		return CLI_USAGE;
	}
	if (strcmp(type, "rsa") == 0)
		alg = DKIM_ALG_RSA_SHA256;
	else if (strcmp(type, "ed25519") == 0)
		alg = DKIM_ALG_ED25519_SHA256;
	else {
		cli_error("keygen: -t takes rsa or ed25519");
		return CLI_USAGE;
	}
	rc = cli_mkdirs(dir, 0755);
	if (rc != CLI_OK)
		return rc;
	rc = cli_key_make(domain, selector, alg, (unsigned)bits, dir, &k);
	if (rc != CLI_OK)
		return rc;
	/* what an administrator pastes into the zone: the comments too */
	printf("; private key %s (mode 0600: give it to the user the MTA runs as)\n"
	       "; the record to publish in the %s zone (also in %s):\n%s\n",
	       k.priv_path, domain, k.txt_path, k.zone_line);
	cli_newkey_free(&k);
	return fflush(stdout) == 0 ? CLI_OK : CLI_IO;
}
