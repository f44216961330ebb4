/*
 * cmd_revoke.c - the administrators' side of revocation, on the farm's
 * Redis (docs/abuse.md):
 *
 *   mailseal revoke add domain DOMAIN [--why TEXT]
 *   mailseal revoke add spki HEX [--why TEXT]
 *   mailseal revoke remove ID [--why TEXT]
 *   mailseal revoke list
 *   mailseal revoke show ID        (with its evidence)
 *   mailseal revoke import-crl FILE [--ca CERT] [--why TEXT]
 *                                  (the serials a CA's CRL revokes)
 *   mailseal revoke export postfix (a check_ccert_access table of the
 *                                  revoked certificate keys)
 *   mailseal complaints list
 *   mailseal complaints show ID
 *
 * A change is audited (who: the Unix login running it) and reaches
 * every node within revocation_refresh.  Exit 0, 1 when Redis did not
 * answer or the id is not known, 2 on a usage error.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "crl.h"
#include "dkim_sig.h"
#include "farmcache.h"
#include "hex.h"
#include "numparse.h"
#include "revstore.h"
#include "tlspins.h"

/* rv_who - "admin:LOGIN" of whoever runs it */
static void rv_who(char *out, size_t size)
{
	const struct passwd *pw = getpwuid(getuid());

	snprintf(out, size, "admin:%s", pw ? pw->pw_name : "unknown");
}

/* rv_id - a decimal id */
static int rv_id(const char *s, uint64_t *id)
{
	return num_parse_u64((const unsigned char *)s, strlen(s), UINT64_MAX,
			     id) == MS_OK && *id > 0 ? 0 : -1;
}

/* rv_why - --why TEXT at argv[i], or "" */
static const char *rv_why(int argc, char **argv, int i)
{
	return i + 1 < argc && strcmp(argv[i], "--why") == 0 ? argv[i + 1] : "";
}

/* rv_identity - "domain:D" or "spki:HEX" (normalized) into out */
static int rv_identity(const char *kind, const char *v, char *out, size_t size)
{
	unsigned char k[TLSPIN_LEN];
	size_t i;

	if (strcmp(kind, "domain") == 0) {
		if (!dkim_domain_valid(v, strlen(v)) || !strchr(v, '.'))
			return -1;
		snprintf(out, size, "domain:%s", v);
		for (i = 7; out[i]; i++)
			if (out[i] >= 'A' && out[i] <= 'Z')
				out[i] = (char)(out[i] - 'A' + 'a');
		return 0;
	}
	if (strcmp(kind, "spki") == 0 && tlspin_parse_hex(v, strlen(v), k) == 0) {
		memcpy(out, "spki:", 5);
		hex_lower(k, TLSPIN_LEN, out + 5);
		return 0;
	}
	return -1;
}

/* rv_evidence - the farm's records of the signatures of "offences" */
static void rv_evidence(struct farmcache *fc, const char *text)
{
	const char *s = strstr(text, "\noffences ");
	struct arena a;

	if (!s && strncmp(text, "offences ", 9) == 0)
		s = text - 1;
	if (!s)
		return;
	s += 10;
	arena_init(&a);
	while (*s && *s != '\n') {
		unsigned char id[16];
		struct farm_sig_record rec;
		size_t n = strcspn(s, " \n"), i;

		if (n == 32) {
			for (i = 0; i < 16; i++) {
				unsigned v;

				if (sscanf(s + 2 * i, "%2x", &v) != 1)
					break;
				id[i] = (unsigned char)v;
			}
			if (i == 16 && farmcache_sig_record(fc, id, &a, &rec) == FARM_HIT)
				printf("evidence %.32s d=%s s=%s aligned=%s ip=%s spki=%s first=%llu accepted=%llu\n",
				       s, rec.domain ? rec.domain : "-",
				       rec.selector ? rec.selector : "-",
				       rec.aligned ? rec.aligned : "-",
				       rec.client_ip ? rec.client_ip : "-",
				       rec.client_spki ? rec.client_spki : "-",
				       (unsigned long long)rec.first,
				       (unsigned long long)rec.accepted);
			else
				printf("evidence %.32s (the farm's record is gone: signature_retention)\n", s);
		}
		s += n;
		while (*s == ' ')
			s++;
	}
	arena_free(&a);
}

static int rv_usage(void)
{
	cli_error("usage: mailseal revoke add domain DOMAIN|spki HEX [--why TEXT] | "
		  "revoke remove ID [--why TEXT] | revoke list | revoke show ID | "
		  "revoke import-crl FILE [--ca CERT] [--why TEXT] | "
		  "revoke export postfix | complaints list | complaints show ID");
	return CLI_USAGE;
}

/* rv_file - a whole file into b; -1 (said) on error */
static int rv_file(const char *path, struct buf *b, size_t max)
{
	struct ms_error err;

	buf_init(b, max);
	if (buf_load_file(b, path, &err) != MS_OK) {
		cli_error("revoke: %s", err.msg);
		buf_free(b);
		return -1;
	}
	return 0;
}

/* rv_import_crl - every serial of a CA's CRL, revoked (the ones known
 * already are left as they are) */
static int rv_import_crl(struct farmcache *fc, int argc, char **argv,
			 const char *who)
{
	const char *path = argv[2], *ca = NULL, *why = "";
	struct buf crl, cab;
	struct crl_list l;
	struct ms_error err;
	struct buf states;
	struct arena a;
	size_t i, added = 0, known = 0;
	int k, rc = CLI_OK;

	for (k = 3; k + 1 < argc; k += 2) {
		if (strcmp(argv[k], "--ca") == 0)
			ca = argv[k + 1];
		else if (strcmp(argv[k], "--why") == 0)
			why = argv[k + 1];
		else
			return rv_usage();
	}
	if (k != argc)
		return rv_usage();
	if (rv_file(path, &crl, CRL_MAX_BYTES) != 0)
		return CLI_IO;
	buf_init(&cab, 1 << 20);
	if (ca && rv_file(ca, &cab, 1 << 20) != 0) {
		buf_free(&crl);
		return CLI_IO;
	}
	arena_init(&a);
	buf_init(&states, BUF_UNLIMITED);
	if (crl_read(crl.data, crl.len, ca ? buf_str(&cab) : NULL, &a, &l,
		     &err) != MS_OK) {
		cli_error("revoke: %s: %s", path, err.msg);
		rc = CLI_USAGE;
		goto out;
	}
	if (revstore_states(fc, &states) != FARM_HIT) {
		cli_error("revoke: Redis did not answer (%s)", farmcache_last_error(fc));
		rc = CLI_IO;
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		char ident[REV_IDENTITY_MAX], line[REV_IDENTITY_MAX + 16];
		char whyb[512];
		uint64_t id;

		snprintf(ident, sizeof(ident), "serial:%s:%s", l.issuer, l.serials[i]);
		snprintf(line, sizeof(line), " revoked %s\n", ident);
		if (strstr(buf_str(&states), line)) {
			known++;
			continue;
		}
		snprintf(whyb, sizeof(whyb), "CRL of %s%s%s", l.issuer_dn,
			 *why ? ": " : "", why);
		if (revstore_set(fc, ident, REV_REVOKED, who, whyb,
				 (uint64_t)time(NULL), &id) != FARM_HIT) {
			cli_error("revoke: Redis did not answer (%s)",
				  farmcache_last_error(fc));
			rc = CLI_IO;
			goto out;
		}
		added++;
	}
	printf("CRL of %s%s: %zu revoked certificates, %zu added, %zu known already\n",
	       l.issuer_dn, ca ? " (its signature checked)" : "", l.n, added, known);
out:
	buf_free(&states);
	arena_free(&a);
	buf_free(&cab);
	buf_free(&crl);
	return rc;
}

/* rv_export_postfix - the revoked certificate keys as a Postfix
 * check_ccert_access table (SHA-256 public key fingerprints, colon
 * form: smtpd_tls_fingerprint_digest = sha256) */
static int rv_export_postfix(struct farmcache *fc)
{
	struct buf states;
	const char *s;
	int rc = CLI_OK;

	buf_init(&states, BUF_UNLIMITED);
	if (revstore_states(fc, &states) != FARM_HIT) {
		cli_error("revoke: Redis did not answer (%s)", farmcache_last_error(fc));
		buf_free(&states);
		return CLI_IO;
	}
	printf("# check_ccert_access table of the keys this mail farm revoked\n"
	       "# (mailseal revoke export postfix; smtpd_tls_fingerprint_digest = sha256)\n");
	for (s = buf_str(&states); *s; ) {
		const char *nl = strchr(s, '\n'), *k = strstr(s, " revoked spki:");
		size_t i;

		if (k && k < nl && nl - (k + 14) == 64) {
			unsigned long long id = strtoull(s, NULL, 10);

			for (i = 0; i < 64; i += 2)
				printf("%s%c%c", i ? ":" : "",
				       k[14 + i] >= 'a' ? k[14 + i] - 32 : k[14 + i],
				       k[15 + i] >= 'a' ? k[15 + i] - 32 : k[15 + i]);
			printf(" REJECT this mail farm revoked this certificate's key (revocation %llu)\n",
			       id);
		}
		s = nl + 1;
	}
	buf_free(&states);
	return rc;
}

int cmd_revoke(const struct ms_config *cfg, int argc, char **argv)
{
	struct farmcache *fc = NULL;
	struct ms_error err;
	struct buf out;
	char who[300], ident[REV_IDENTITY_MAX];
	uint64_t id = 0;
	int complaints = strcmp(argv[0], "complaints") == 0, rc = CLI_OK;
	enum farm_result fr;
	const char *op = argc > 1 ? argv[1] : "";

	if (!complaints && strcmp(op, "add") == 0 && argc >= 4) {
		if (rv_identity(argv[2], argv[3], ident, sizeof(ident)) != 0 ||
		    (argc != 4 && argc != 6))
			return rv_usage();
	} else if ((strcmp(op, "show") == 0 || (!complaints && strcmp(op, "remove") == 0)) &&
		   argc >= 3) {
		if (rv_id(argv[2], &id) != 0 || (argc != 3 && argc != 5))
			return rv_usage();
	} else if (!complaints && strcmp(op, "import-crl") == 0 && argc >= 3) {
		/* its own arguments, below */
	} else if (!complaints && strcmp(op, "export") == 0) {
		if (argc != 3 || strcmp(argv[2], "postfix") != 0)
			return rv_usage();
	} else if (strcmp(op, "list") != 0 || argc != 2) {
		return rv_usage();
	}
	if (farmcache_open(cfg, &fc, &err) != MS_OK) {
		cli_error("%s: %s", argv[0], err.msg);
		return CLI_USAGE;
	}
	if (!fc) {
		cli_error("%s: revocations live in the farm's Redis: set redis_url, redis_sentinels or redis_cluster", argv[0]);
		return CLI_USAGE;
	}
	rv_who(who, sizeof(who));
	if (strcmp(op, "import-crl") == 0 || strcmp(op, "export") == 0) {
		rc = op[0] == 'i' ? rv_import_crl(fc, argc, argv, who)
			: rv_export_postfix(fc);
		farmcache_free(fc);
		return rc;
	}
	buf_init(&out, BUF_UNLIMITED);
	if (strcmp(op, "add") == 0) {
		fr = revstore_set(fc, ident, REV_REVOKED, who, rv_why(argc, argv, 4),
				  (uint64_t)time(NULL), &id);
		if (fr == FARM_HIT)
			printf("revoked %s: revocation %llu\n", ident, (unsigned long long)id);
	} else if (strcmp(op, "remove") == 0) {
		fr = revstore_remove(fc, id, who, rv_why(argc, argv, 3),
				     (uint64_t)time(NULL));
		if (fr == FARM_HIT)
			printf("revocation %llu removed\n", (unsigned long long)id);
		else if (fr == FARM_MISS)
			cli_error("revoke: no revocation %llu in force", (unsigned long long)id);
	} else if (strcmp(op, "list") == 0) {
		fr = complaints ? revstore_complaints(fc, &out) : revstore_states(fc, &out);
		if (fr == FARM_HIT)
			fputs(buf_str(&out), stdout);
	} else {
		fr = revstore_record(fc, complaints ? 'c' : 'r', id, &out);
		if (fr == FARM_HIT) {
			fputs(buf_str(&out), stdout);
			if (!complaints)
				rv_evidence(fc, buf_str(&out));
		} else if (fr == FARM_MISS) {
			cli_error("%s: no %s %llu", argv[0],
				  complaints ? "complaint" : "revocation",
				  (unsigned long long)id);
		}
	}
	if (fr == FARM_ERROR)
		cli_error("%s: Redis did not answer (%s)", argv[0],
			  farmcache_last_error(fc));
	if (fr != FARM_HIT)
		rc = CLI_IO;
	buf_free(&out);
	farmcache_free(fc);
	return rc;
}
