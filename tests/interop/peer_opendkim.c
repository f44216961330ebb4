/*
 * peer_opendkim.c - libopendkim (Debian's libopendkim-dev) as an interop
 * peer.
 *   peer_opendkim sign KEY.pem DOMAIN SELECTOR ALG CANON < msg > signed
 *   peer_opendkim verify KEYFILE < msg
 *       KEYFILE: lines "name record" (DKIM_QUERY_FILE); prints one line
 *       per signature: pass or fail
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opendkim/dkim.h>

static unsigned char *slurp(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0, r;
	unsigned char *p = malloc(cap + 1);

	while (p && (r = fread(p + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			p = realloc(p, (cap *= 2) + 1);
	}
	if (p)
		p[n] = 0;
	*len = n;
	return p;
}

/* feed - each header field without its CRLF, then the body */
static int feed(DKIM *d, const unsigned char *p, size_t len)
{
	size_t i, s = 0, body = len;

	for (i = 0; i + 1 < len; i++) {
		if (p[i] != '\r' || p[i + 1] != '\n')
			continue;
		if (i == s) {                   /* the empty line */
			body = i + 2;
			break;
		}
		if (i + 2 < len && (p[i + 2] == ' ' || p[i + 2] == '\t'))
			continue;               /* folded */
		if (dkim_header(d, (u_char *)p + s, i - s) != DKIM_STAT_OK)
			return -1;
		s = i + 2;
	}
	if (dkim_eoh(d) != DKIM_STAT_OK)
		return -1;
	if (body < len && dkim_body(d, (u_char *)p + body, len - body) != DKIM_STAT_OK)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	DKIM_STAT st;
	DKIM *d;
	size_t len;
	unsigned char *msg = slurp(stdin, &len);

	if (!lib || !msg || argc < 3)
		return 2;
	if (strcmp(argv[1], "sign") == 0 && argc == 7) {
		/* From over-signed: a From added later breaks the signature */
		const char *over[] = { "from", NULL };
		size_t klen;
		FILE *kf = fopen(argv[2], "rb");
		unsigned char *key = kf ? slurp(kf, &klen) : NULL;
		dkim_canon_t hc, bc;
		unsigned char *hdr;
		size_t hlen;

		dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, over,
			     sizeof(char **));
		hc = strncmp(argv[6], "relaxed", 7) == 0 ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
		bc = strstr(argv[6], "/relaxed") ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
		d = dkim_sign(lib, (u_char *)"interop", NULL, key, (u_char *)argv[4],
			      (u_char *)argv[3], hc, bc,
			      strcmp(argv[5], "ed25519-sha256") == 0
			      ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256,
			      -1, &st);
		if (!d || feed(d, msg, len) != 0 || dkim_eom(d, NULL) != DKIM_STAT_OK ||
		    dkim_getsighdr_d(d, strlen("DKIM-Signature: "), &hdr, &hlen) != DKIM_STAT_OK) {
			fprintf(stderr, "opendkim sign failed: %s\n", d ? dkim_geterror(d) : "");
			return 1;
		}
		fputs("DKIM-Signature: ", stdout);
		fwrite(hdr, 1, hlen, stdout);
		fputs("\r\n", stdout);
		fwrite(msg, 1, len, stdout);
		return 0;
	}
	if (strcmp(argv[1], "verify") == 0) {
		dkim_query_t qm = DKIM_QUERY_FILE;
		DKIM_SIGINFO **sigs;
		int nsigs, i;

		dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &qm, sizeof qm);
		dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, argv[2],
			     strlen(argv[2]) + 1);
		d = dkim_verify(lib, (u_char *)"interop", NULL, &st);
		if (!d || feed(d, msg, len) != 0)
			return 1;
		(void)dkim_eom(d, NULL);
		if (dkim_getsiglist(d, &sigs, &nsigs) != DKIM_STAT_OK)
			return 0;
		for (i = 0; i < nsigs; i++)
			puts((dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_PASSED) &&
			     dkim_sig_getbh(sigs[i]) == DKIM_SIGBH_MATCH ? "pass" : "fail");
		return 0;
	}
	return 2;
}
