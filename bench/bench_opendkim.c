/*
 * bench_opendkim.c - libopendkim (Debian's libopendkim-dev) in process.
 *
 *   bench_opendkim sign|verify rsa|ed25519 LIST KEYDIR RUNS MINSEC [OUTDIR]
 *
 * Keys come from KEYDIR: the signing key's PEM text is read once (the
 * API takes the key bytes per message and loads them itself, so that
 * cost is part of libopendkim's signing); verification uses the file
 * query method (DKIM_QUERY_FILE) over KEYDIR/keys.opendkim.  With
 * OPENDKIM_KEYCB=1 in the environment, keys are instead answered from
 * memory by a dkim_set_key_lookup callback (no file read per message).
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <opendkim/dkim.h>

#include "benchutil.h"

#define DOMAIN "bench.example"

static const char *sign_hdrs[] = {
	"from", "to", "cc", "subject", "date", "message-id", "in-reply-to",
	"references", "mime-version", "content-type",
	"content-transfer-encoding", NULL
};

struct ctx {
	DKIM_LIB *lib;
	int sign;
	int alg;
	const char *selector;
	unsigned char *key;             /* PEM text, for dkim_sign */
	size_t keylen;
	unsigned long jobs;
};

static char keyrec[8192];

/* key lookup from memory (OPENDKIM_KEYCB=1) */
static DKIM_CBSTAT keycb(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf,
			 size_t buflen)
{
	size_t n = strlen(keyrec);

	(void)dkim;
	(void)sig;
	if (n + 1 > buflen)
		return DKIM_CBSTAT_ERROR;
	memcpy(buf, keyrec, n + 1);
	return DKIM_CBSTAT_CONTINUE;
}

/* feed headers (each field without its final CRLF), then the body */
static size_t chunk = (size_t)-1;      /* BENCH_CHUNK: body piece size */

static int feed(DKIM *d, const struct bmsg *m, size_t *body)
{
	const unsigned char *p = m->data;
	size_t off = bbody_off(p, m->len), hend = off >= 2 ? off - 2 : 0;
	size_t s = 0, i, n;

	for (i = 0; i + 1 < hend; i++) {
		if (p[i] == '\r' && p[i + 1] == '\n' &&
		    (i + 2 >= hend || (p[i + 2] != ' ' && p[i + 2] != '\t'))) {
			if (dkim_header(d, (u_char *)p + s, i - s) !=
			    DKIM_STAT_OK)
				return 0;
			s = i + 2;
			i++;
		}
	}
	if (dkim_eoh(d) != DKIM_STAT_OK)
		return 0;
	for (s = off; s < m->len; s += n) {
		n = m->len - s < chunk ? m->len - s : chunk;
		if (dkim_body(d, (u_char *)p + s, n) != DKIM_STAT_OK)
			return 0;
	}
	*body = off;
	return 1;
}

static int one(void *vc, const struct bmsg *m, FILE *out)
{
	struct ctx *c = vc;
	DKIM_STAT st;
	DKIM *d;
	size_t body;
	char id[32];
	int ok = 0;

	snprintf(id, sizeof id, "job%lu", c->jobs++);
	if (c->sign)
		d = dkim_sign(c->lib, (u_char *)id, NULL, c->key,
			      (u_char *)c->selector, (u_char *)DOMAIN,
			      DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, c->alg,
			      -1, &st);
	else
		d = dkim_verify(c->lib, (u_char *)id, NULL, &st);
	if (!d)
		return 0;
	if (!feed(d, m, &body))
		goto done;
	if (c->sign) {
		unsigned char *hdr;
		size_t len;

		if (dkim_eom(d, NULL) != DKIM_STAT_OK ||
		    dkim_getsighdr_d(d, strlen("DKIM-Signature: "), &hdr,
				     &len) != DKIM_STAT_OK)
			goto done;
		ok = 1;
		if (out) {
			fputs("DKIM-Signature: ", out);
			fwrite(hdr, 1, len, out);
			fputs("\r\n", out);
			fwrite(m->data, 1, m->len, out);
		}
	} else {
		DKIM_SIGINFO *sig;

		st = dkim_eom(d, NULL);
		sig = dkim_getsignature(d);
		ok = st == DKIM_STAT_OK && sig && DKIM_SIG_CHECK(sig);
	}
done:
	dkim_free(d);
	return ok;
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	struct bcorpus corpus;
	char path[4096];
	int ed;

	if (argc < 7)
		bdie("usage: bench_opendkim sign|verify rsa|ed25519 LIST "
		     "KEYDIR RUNS MINSEC [OUTDIR]");
	c.sign = strcmp(argv[1], "sign") == 0;
	ed = strcmp(argv[2], "ed25519") == 0;
	c.alg = ed ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256;
	c.selector = ed ? "ed2026" : "rsa2026";
	bload(argv[3], &corpus);
	if (getenv("BENCH_CHUNK") && atol(getenv("BENCH_CHUNK")) > 0)
		chunk = (size_t)atol(getenv("BENCH_CHUNK"));

	c.lib = dkim_init(NULL, NULL);
	if (!c.lib)
		bdie("dkim_init failed");
	if (c.sign) {
		snprintf(path, sizeof path, "%s/%s.pem", argv[4],
			 ed ? "ed" : "rsa");
		c.key = bslurp(path, &c.keylen);
		if (dkim_options(c.lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS,
				 (void *)sign_hdrs, sizeof(char **)) != DKIM_STAT_OK)
			bdie("DKIM_OPTS_SIGNHDRS");
	} else if (getenv("OPENDKIM_KEYCB") &&
		   strcmp(getenv("OPENDKIM_KEYCB"), "1") == 0) {
		FILE *f;
		char line[8192], *sp;

		snprintf(path, sizeof path, "%s/keys.opendkim", argv[4]);
		f = fopen(path, "r");
		if (!f)
			bdie("keys.opendkim");
		/* both selectors are in the file; take the one we need */
		while (fgets(line, sizeof line, f))
			if (strncmp(line, c.selector, strlen(c.selector)) == 0 &&
			    (sp = strchr(line, ' '))) {
				sp[strcspn(sp, "\r\n")] = 0;
				snprintf(keyrec, sizeof keyrec, "%s", sp + 1);
			}
		fclose(f);
		if (!keyrec[0])
			bdie("no key record");
		dkim_set_key_lookup(c.lib, keycb);
	} else {
		dkim_query_t qm = DKIM_QUERY_FILE;

		snprintf(path, sizeof path, "%s/keys.opendkim", argv[4]);
		if (dkim_options(c.lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD,
				 &qm, sizeof qm) != DKIM_STAT_OK ||
		    dkim_options(c.lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO,
				 path, strlen(path) + 1) != DKIM_STAT_OK)
			bdie("DKIM_QUERY_FILE");
	}
	brun("opendkim", argv[1], argv[2], &corpus, atoi(argv[5]),
	     atof(argv[6]), one, &c, argc > 7 ? argv[7] : NULL);
	dkim_close(c.lib);
	free(c.key);
	bfree(&corpus);
	return 0;
}
