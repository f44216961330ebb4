/*
 * fuzz_table.h - a signing table for the fuzz targets whose engine
 * signs (fuzz_policy, fuzz_session): one fresh Ed25519 key for
 * example.com, selector "fuzz", in a temporary directory that goes when
 * the process exits normally.  Header-only: each target is one file.
 */
#ifndef MAILSEAL_FUZZ_TABLE_H
#define MAILSEAL_FUZZ_TABLE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "crypto.h"

static char fuzz_dir[] = "/tmp/fuzz_table.XXXXXX";
static char fuzz_key[128], fuzz_table[128], fuzz_extra[128];

static void fuzz_table_cleanup(void)
{
	unlink(fuzz_key);
	unlink(fuzz_table);
	if (fuzz_extra[0])
		unlink(fuzz_extra);
	rmdir(fuzz_dir);
}

/* fuzz_table_make - the key and the table; returns the table's path.
 * extra names one more file the caller puts in the directory (it is
 * removed with the rest), or NULL */
static const char *fuzz_table_make(const char *extra)
{
	struct ms_error err;
	EVP_PKEY *pkey;
	FILE *f;

	if (!mkdtemp(fuzz_dir))
		__builtin_trap();
	atexit(fuzz_table_cleanup);
	snprintf(fuzz_key, sizeof(fuzz_key), "%s/ed.pem", fuzz_dir);
	snprintf(fuzz_table, sizeof(fuzz_table), "%s/signing.table", fuzz_dir);
	if (extra)
		snprintf(fuzz_extra, sizeof(fuzz_extra), "%s/%s", fuzz_dir, extra);
	if (crypto_keygen(DKIM_ALG_ED25519_SHA256, 0, &pkey, &err) != MS_OK ||
	    crypto_write_private_pem(pkey, fuzz_key, &err) != MS_OK)
		__builtin_trap();
	crypto_pkey_free(pkey);
	f = fopen(fuzz_table, "w");
	if (!f)
		__builtin_trap();
	fprintf(f, "example.com fuzz %s\n", fuzz_key);
	fclose(f);
	return fuzz_table;
}

#endif
