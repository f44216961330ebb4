/*
 * peer_opendkim.c - libopendkim (Debian's libopendkim-dev, 2.11) as an
 * interop peer.  The test script compiles it:
 *   cc -o peer_opendkim peer_opendkim.c $(pkg-config --cflags --libs opendkim) -lcrypto
 *
 *   peer_opendkim sign KEY.pem DOMAIN SELECTOR ALG CANON HEADERS OUTDIR FILE...
 *	Signs each FILE and writes OUTDIR/basename(FILE): the new
 *	DKIM-Signature field followed by the file's bytes, unchanged.
 *	KEY.pem: the PEM key that `mailseal keygen` writes (PKCS#8);
 *	ALG: rsa-sha256 | ed25519-sha256; CANON: HEADER/BODY.
 *	HEADERS: colon-separated names, given to libopendkim in its own
 *	terms: every name is a header to sign (each instance the message
 *	has), and a name listed twice or more is also over-signed
 *	(DKIM_OPTS_OVERSIGNHDRS: named once more in h=).
 *	The environment may ask for more: PEER_SIGN_IDENTITY=ADDR adds
 *	i=ADDR (dkim_set_signer), PEER_SIGN_LENGTH=1 adds l= (the whole
 *	body's length, DKIM_LIBFLAGS_SIGNLEN), and PEER_OPENDKIM_MARGIN=N
 *	is passed to dkim_set_margin() (0: the field is not folded).
 *
 *   peer_opendkim verify KEYFILE FILE...
 *	One line per signature: FILE<TAB>SELECTOR:RESULT<TAB>detail,
 *	RESULT pass, fail (the signature or the body hash did not verify)
 *	or invalid (libopendkim could not evaluate it: syntax, key, ...);
 *	a message without signatures gives FILE<TAB>none.
 *	KEYFILE: lines "NAME RECORD", read by libopendkim itself
 *	(DKIM_OPTS_QUERYMETHOD = DKIM_QUERY_FILE): no DNS is used.
 *
 * The messages must have CRLF line ends.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opendkim/dkim.h>

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 65536, n = 0, r;
	unsigned char *p;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
	p = malloc(cap + 1);
	while (p && (r = fread(p + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			p = realloc(p, (cap *= 2) + 1);
	}
	fclose(f);
	if (!p)
		exit(1);
	p[n] = 0;
	*len = n;
	return p;
}

/*
 * feed - hand the message to libopendkim as it wants it: each header
 * field alone without its last CRLF (folded lines keep theirs), the
 * end of the header, then the body.  Returns the dkim_eoh() status.
 */
static DKIM_STAT feed(DKIM *d, const unsigned char *p, size_t len)
{
	size_t i, s = 0, body = len;
	DKIM_STAT st;

	for (i = 0; i + 1 < len; i++) {
		if (p[i] != '\r' || p[i + 1] != '\n')
			continue;
		if (i == s) {                   /* the empty line */
			body = i + 2;
			break;
		}
		if (i + 2 < len && (p[i + 2] == ' ' || p[i + 2] == '\t'))
			continue;               /* folded */
		st = dkim_header(d, (u_char *)p + s, i - s);
		if (st != DKIM_STAT_OK)
			return st;
		s = i + 2;
	}
	st = dkim_eoh(d);
	if (st == DKIM_STAT_OK && body < len)
		(void)dkim_body(d, (u_char *)p + body, len - body);
	return st;
}

static int sign(DKIM_LIB *lib, char **av, int ac)
{
	const char *keyfile = av[0], *domain = av[1], *selector = av[2];
	const char *alg = av[3], *canon = av[4], *outdir = av[6];
	const char *signh[64], *overh[64], *margin = getenv("PEER_OPENDKIM_MARGIN");
	const char *identity = getenv("PEER_SIGN_IDENTITY"), *length = getenv("PEER_SIGN_LENGTH");
	unsigned int flags = 0;
	char *hdrs = strdup(av[5]), *name, *save = NULL;
	int ns = 0, no = 0, i, j, status = 0;
	size_t klen;
	unsigned char *key = slurp(keyfile, &klen);
	dkim_canon_t hc, bc;

	for (name = strtok_r(hdrs, ":", &save); name && ns < 63;
	     name = strtok_r(NULL, ":", &save)) {
		for (j = 0; j < ns && strcasecmp(signh[j], name) != 0; j++)
			;
		if (j < ns) {                   /* named again: over-sign it */
			for (j = 0; j < no && strcasecmp(overh[j], name) != 0; j++)
				;
			if (j == no)
				overh[no++] = name;
		} else {
			signh[ns++] = name;
		}
	}
	signh[ns] = overh[no] = NULL;
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, signh,
			 sizeof(char **)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, overh,
			 sizeof(char **)) != DKIM_STAT_OK) {
		fprintf(stderr, "opendkim: bad header list %s\n", av[5]);
		return 1;
	}
	if (length && strcmp(length, "1") == 0) {
		dkim_options(lib, DKIM_OP_GETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
		flags |= DKIM_LIBFLAGS_SIGNLEN;
		dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
	}
	hc = strncmp(canon, "relaxed/", 8) == 0 ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	bc = strcmp(strchr(canon, '/') ? strchr(canon, '/') : "", "/relaxed") == 0
		? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;

	for (i = 7; i < ac; i++) {
		size_t len, hlen;
		unsigned char *msg = slurp(av[i], &len), *hdr;
		char *copy = strdup(av[i]), out[4096];
		DKIM_STAT st;
		DKIM *d = dkim_sign(lib, (u_char *)"interop", NULL, key,
				    (u_char *)selector, (u_char *)domain, hc, bc,
				    strcmp(alg, "ed25519-sha256") == 0
				    ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256,
				    -1, &st);
		FILE *f;

		if (d && margin)
			dkim_set_margin(d, atoi(margin));
		if (d && identity)
			dkim_set_signer(d, (const u_char *)identity);
		if (!d || feed(d, msg, len) != DKIM_STAT_OK ||
		    dkim_eom(d, NULL) != DKIM_STAT_OK ||
		    dkim_getsighdr_d(d, strlen(DKIM_SIGNHEADER ": "), &hdr,
				     &hlen) != DKIM_STAT_OK) {
			fprintf(stderr, "opendkim cannot sign %s: %s\n", av[i],
				d ? dkim_geterror(d) : dkim_getresultstr(st));
			status = 1;
		} else {
			snprintf(out, sizeof out, "%s/%s", outdir, basename(copy));
			f = fopen(out, "wb");
			if (!f) {
				fprintf(stderr, "%s: %s\n", out, strerror(errno));
				return 1;
			}
			fprintf(f, "%s: ", DKIM_SIGNHEADER);
			fwrite(hdr, 1, hlen, f);
			fputs("\r\n", f);
			fwrite(msg, 1, len, f);
			fclose(f);
		}
		if (d)
			dkim_free(d);
		free(msg);
		free(copy);
	}
	return status;
}

static int verify(DKIM_LIB *lib, char **av, int ac)
{
	dkim_query_t qm = DKIM_QUERY_FILE;
	int i;

	dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &qm, sizeof qm);
	dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, av[0],
		     strlen(av[0]) + 1);
	for (i = 1; i < ac; i++) {
		size_t len;
		unsigned char *msg = slurp(av[i], &len);
		DKIM_STAT st;
		DKIM *d = dkim_verify(lib, (u_char *)"interop", NULL, &st);
		DKIM_SIGINFO **sigs;
		int nsigs = 0, k;

		if (!d)
			return 1;
		st = feed(d, msg, len);
		if (st == DKIM_STAT_OK)
			(void)dkim_eom(d, NULL);
		if (st == DKIM_STAT_NOSIG ||
		    dkim_getsiglist(d, &sigs, &nsigs) != DKIM_STAT_OK || nsigs == 0)
			printf("%s\tnone\n", av[i]);
		for (k = 0; k < nsigs; k++) {
			unsigned int flags = dkim_sig_getflags(sigs[k]);
			int bh = dkim_sig_getbh(sigs[k]);
			int err = dkim_sig_geterror(sigs[k]);
			const char *sel = (const char *)dkim_sig_getselector(sigs[k]);
			const char *res;

			if ((flags & DKIM_SIGFLAG_PASSED) && bh == DKIM_SIGBH_MATCH)
				res = "pass";
			else if (err == DKIM_SIGERROR_OK || err == DKIM_SIGERROR_BADSIG ||
				 bh == DKIM_SIGBH_MISMATCH)
				res = "fail";
			else
				res = "invalid";
			printf("%s\t%s:%s\t%s%s\n", av[i], sel ? sel : "?", res,
			       err == DKIM_SIGERROR_OK ? "" : dkim_sig_geterrorstr(err),
			       bh == DKIM_SIGBH_MISMATCH ? " (body hash mismatch)" : "");
		}
		dkim_free(d);
		free(msg);
	}
	return 0;
}

int main(int argc, char **argv)
{
	DKIM_LIB *lib = dkim_init(NULL, NULL);

	if (!lib)
		return 1;
	if (argc >= 10 && strcmp(argv[1], "sign") == 0)
		return sign(lib, argv + 2, argc - 2);
	if (argc >= 4 && strcmp(argv[1], "verify") == 0)
		return verify(lib, argv + 2, argc - 2);
	fprintf(stderr, "usage: %s sign KEY.pem DOMAIN SELECTOR ALG CANON HEADERS OUTDIR FILE...\n"
		"       %s verify KEYFILE FILE...\n", argv[0], argv[0]);
	return 2;
}
