/*
 * test_keylife.c - the pieces of the key life cycle: the record check
 * (keycheck), the signing table editor (stedit), the rotation state
 * file (keyrot), atomic replacement (atomicfile), file stamps
 * (filewatch), and the engine's tables telling that their file changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "base64.h"
#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "filewatch.h"
#include "keycheck.h"
#include "keyrot.h"
#include "policy.h"
#include "signtable.h"
#include "stedit.h"
#include "unit.h"

static char dir[] = "/tmp/mailseal-keylife-XXXXXX";

/* record_of - "v=DKIM1; k=TYPE; p=BASE64" of pkey, with extra tags */
static void record_of(EVP_PKEY *pkey, const char *type, const char *extra,
		      struct buf *out)
{
	struct buf pub;
	struct ms_error err;

	buf_init(&pub, 64 * 1024);
	crypto_public_record(pkey, &pub, &err);
	buf_reset(out);
	buf_printf(out, "v=DKIM1; k=%s; %sp=", type, extra);
	base64_encode(pub.data, pub.len, out);
	buf_free(&pub);
}

static enum keycheck_status check_rec(const char *rec, EVP_PKEY *pkey,
				      struct keycheck *kc)
{
	keycheck_record((const unsigned char *)rec, strlen(rec), pkey, kc);
	return kc->status;
}

static void test_keycheck(void)
{
	EVP_PKEY *rsa = NULL, *rsa2 = NULL, *ed = NULL;
	struct key_answer ans;
	struct keycheck kc;
	struct ms_error err;
	struct buf rec;

	crypto_keygen(DKIM_ALG_RSA_SHA256, 1024, &rsa, &err);
	crypto_keygen(DKIM_ALG_RSA_SHA256, 1024, &rsa2, &err);
	crypto_keygen(DKIM_ALG_ED25519_SHA256, 0, &ed, &err);
	buf_init(&rec, 64 * 1024);

	record_of(rsa, "rsa", "", &rec);
	CHECK(check_rec(buf_str(&rec), rsa, &kc) == KEYCHECK_OK && kc.bits == 1024,
	      "keycheck: the key's own rsa record is ok (%s)", kc.reason);
	CHECK(check_rec(buf_str(&rec), rsa2, &kc) == KEYCHECK_MISMATCH,
	      "keycheck: another rsa key is a mismatch (%s)", kc.reason);
	CHECK(check_rec(buf_str(&rec), ed, &kc) == KEYCHECK_WRONG_TYPE,
	      "keycheck: an rsa record for an ed25519 key is the wrong type (%s)",
	      kc.reason);
	record_of(ed, "ed25519", "t=y; ", &rec);
	CHECK(check_rec(buf_str(&rec), ed, &kc) == KEYCHECK_OK && kc.testing,
	      "keycheck: ed25519 with t=y is ok, noted as testing (%s)", kc.reason);
	CHECK(check_rec(buf_str(&rec), rsa, &kc) == KEYCHECK_WRONG_TYPE,
	      "keycheck: an ed25519 record for an rsa key is the wrong type");
	record_of(ed, "ed25519", "h=sha1; ", &rec);
	CHECK(check_rec(buf_str(&rec), ed, &kc) == KEYCHECK_UNUSABLE,
	      "keycheck: h=sha1 only is unusable (%s)", kc.reason);
	record_of(ed, "ed25519", "s=tlsrpt; ", &rec);
	CHECK(check_rec(buf_str(&rec), ed, &kc) == KEYCHECK_UNUSABLE,
	      "keycheck: s= without email is unusable (%s)", kc.reason);
	CHECK(check_rec("v=DKIM1; k=rsa; p=", rsa, &kc) == KEYCHECK_REVOKED,
	      "keycheck: p= empty is revoked (%s)", kc.reason);
	CHECK(check_rec("v=DKIM1; k=dsa; p=AAAA", rsa, &kc) == KEYCHECK_WRONG_TYPE,
	      "keycheck: an unknown k= is the wrong type (%s)", kc.reason);
	CHECK(check_rec("v=DKIM1; k=rsa; p=!!!", rsa, &kc) == KEYCHECK_MALFORMED,
	      "keycheck: bad base64 is malformed (%s)", kc.reason);
	CHECK(check_rec("v=spf1 -all", rsa, &kc) == KEYCHECK_MALFORMED,
	      "keycheck: an SPF record is malformed (%s)", kc.reason);
	CHECK(check_rec("", rsa, &kc) == KEYCHECK_MALFORMED,
	      "keycheck: an empty record is malformed");

	memset(&ans, 0, sizeof(ans));
	ans.status = KEY_NOTFOUND;
	ans.nxdomain = 1;
	keycheck_answer(&ans, rsa, &kc);
	CHECK(kc.status == KEYCHECK_NXDOMAIN && keycheck_absent(kc.status),
	      "keycheck: NXDOMAIN is absent (%s)", kc.reason);
	ans.nxdomain = 0;
	ans.dnssec = ans.validated = 1;
	keycheck_answer(&ans, rsa, &kc);
	CHECK(kc.status == KEYCHECK_NODATA && kc.dnssec && kc.validated,
	      "keycheck: NODATA, the answer's DNSSEC verdict kept");
	ans.status = KEY_TEMPFAIL;
	ans.reason = "timed out";
	keycheck_answer(&ans, rsa, &kc);
	CHECK(kc.status == KEYCHECK_TEMPFAIL && strstr(kc.reason, "timed out") &&
	      !keycheck_absent(kc.status),
	      "keycheck: a temporary failure names why (%s)", kc.reason);
	record_of(rsa, "rsa", "", &rec);
	memset(&ans, 0, sizeof(ans));
	ans.status = KEY_FOUND;
	ans.nrecords = 2;
	ans.records[0] = ans.records[1] = rec.data;
	ans.record_len[0] = ans.record_len[1] = rec.len;
	keycheck_answer(&ans, rsa, &kc);
	CHECK(kc.status == KEYCHECK_MULTIPLE, "keycheck: two records (%s)",
	      kc.reason);
	ans.nrecords = 1;
	keycheck_answer(&ans, rsa, &kc);
	CHECK(kc.status == KEYCHECK_OK, "keycheck: one record, the key's: ok");
	CHECK(strcmp(keycheck_status_str(KEYCHECK_WRONG_TYPE), "wrong-type") == 0,
	      "keycheck: status names");

	buf_free(&rec);
	crypto_pkey_free(rsa);
	crypto_pkey_free(rsa2);
	crypto_pkey_free(ed);
}

static char *edited(struct stedit *e)
{
	struct buf b;
	char *s;

	buf_init(&b, 1 << 20);
	stedit_text(e, &b);
	s = strdup(buf_str(&b));
	buf_free(&b);
	return s;
}

static void test_stedit(void)
{
	const char *table =
		"# signing table\n"
		"example.com   old  /k/old.pem   # dual\n"
		".example.com  old  /k/old.pem\n"
		"example.com   ed   /k/ed.pem\n"
		"other.example old  /k/other.pem\n"
		"\n"
		"broken line\n";
	struct stedit_key keys[4];
	struct stedit *e = stedit_new(table);
	char *s;
	size_t n;

	n = stedit_keys(e, "EXAMPLE.com", keys, 4);
	CHECK(n == 2 && keys[0].selector.len == 3 &&
	      memcmp(keys[0].keyfile.p, "/k/old.pem", 10) == 0 &&
	      memcmp(keys[1].selector.p, "ed", 2) == 0,
	      "stedit: example.com's keys: old (twice, once listed), ed");
	CHECK(stedit_count(e, "example.com", "old", "/k/old.pem") == 2,
	      "stedit: the old key has two lines (example.com, .example.com)");
	CHECK(stedit_uses(e, "/k/old.pem") == 2 && stedit_uses(e, "/k/other.pem") == 1 &&
	      stedit_uses(e, "/k/none.pem") == 0,
	      "stedit: the lines that name a key file, of any domain");
	n = stedit_add(e, "example.com", "old", "/k/old.pem", "new", "/k/new.pem");
	s = edited(e);
	CHECK(n == 2 && strcmp(s,
		"# signing table\n"
		"example.com   old  /k/old.pem   # dual\n"
		"example.com new /k/new.pem\n"
		".example.com  old  /k/old.pem\n"
		".example.com new /k/new.pem\n"
		"example.com   ed   /k/ed.pem\n"
		"other.example old  /k/other.pem\n"
		"\n"
		"broken line\n") == 0,
	      "stedit: a new line beside each line of the old key, the rest "
	      "as written (%s)", unit_esc(s, strlen(s)));
	free(s);
	CHECK(stedit_add(e, "example.com", "old", "/k/old.pem", "new",
			 "/k/new.pem") == 0,
	      "stedit: adding again adds nothing");
	CHECK(stedit_add(e, "example.com", NULL, NULL, "ed2", "/k/ed2.pem") == 1 &&
	      stedit_add(e, "example.com", NULL, NULL, "ed2", "/k/ed2.pem") == 0,
	      "stedit: a key of its own, added once at the end");
	CHECK(stedit_drop(e, "example.com", "old", "/k/old.pem") == 2 &&
	      stedit_drop(e, "example.com", "old", "/k/old.pem") == 0,
	      "stedit: the old key's two lines dropped, once");
	CHECK(stedit_drop(e, "example.com", "ed", "/k/other.pem") == 0,
	      "stedit: a selector with another key file is not dropped");
	s = edited(e);
	CHECK(strcmp(s,
		"# signing table\n"
		"example.com new /k/new.pem\n"
		".example.com new /k/new.pem\n"
		"example.com   ed   /k/ed.pem\n"
		"other.example old  /k/other.pem\n"
		"\n"
		"broken line\n"
		"example.com ed2 /k/ed2.pem\n") == 0,
	      "stedit: the table after the drop (%s)", unit_esc(s, strlen(s)));
	free(s);
	stedit_free(e);
	e = stedit_new("example.com a /k/a.pem");
	s = edited(e);
	CHECK(strcmp(s, "example.com a /k/a.pem\n") == 0,
	      "stedit: a last line without newline gets one");
	free(s);
	stedit_free(e);
}

static int parse_ok(const char *text, struct keyrot *r, struct ms_error *err)
{
	return keyrot_parse((const unsigned char *)text, strlen(text), "rot", r,
			    err) == MS_OK;
}

static void test_keyrot(void)
{
	const char *good =
		"# comment\n"
		"domain example.com\n"
		"state grace\n"
		"started 1773482400\n"
		"since 1773486000\n"
		"key old /k/old.pem 20260314-rsa /k/example.com/20260314-rsa.private\n"
		"key - - 20260314-ed25519 /k/example.com/20260314-ed25519.private\n";
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "domain example.com\nstate grace\nstarted 1\nsince 1\n", "no key line" },
		{ "domain example.com\nstate grace\nsince 1\nkey - - a /a\n", "no started line" },
		{ "domain example.com\ndomain example.org\n", "rot:2: a second domain line" },
		{ "state sleeping\n", "rot:1: state is publish, grace or done" },
		{ "started -1\n", "rot:1: bad time" },
		{ "started 12x\n", "rot:1: bad time" },
		{ "domain exa mple.com\n", "rot:1: domain takes 1 field" },
		{ "domain ex..com\n", "rot:1: bad domain" },
		{ "key - /x a /a\n", "rot:1: an old key is a selector" },
		{ "key a /a b\n", "rot:1: key takes 4 fields" },
		{ "key a /a b /b\nkey c /c b /d\n", "rot:2: new selector b twice" },
		{ "key a /a b..c /b\n", "rot:1: bad selector" },
		{ "frobnicate 1\n", "rot:1: unknown line \"frobnicate\"" },
	};
	struct keyrot r, r2;
	struct ms_error err;
	struct buf b;
	size_t i;

	ms_error_clear(&err);
	CHECK(parse_ok(good, &r, &err) && r.state == KEYROT_GRACE &&
	      r.started == 1773482400 && r.since == 1773486000 && r.nkeys == 2 &&
	      strcmp(r.key[0].old_selector, "old") == 0 &&
	      !r.key[1].old_selector && !r.key[1].old_keyfile &&
	      strcmp(r.key[1].new_keyfile,
		     "/k/example.com/20260314-ed25519.private") == 0,
	      "keyrot: a state file parses (%s)", err.msg);
	buf_init(&b, 1 << 20);
	keyrot_format(&r, &b);
	CHECK(keyrot_parse(b.data, b.len, "fmt", &r2, &err) == MS_OK &&
	      r2.nkeys == 2 && r2.state == r.state && r2.since == r.since &&
	      strcmp(r2.domain, "example.com") == 0 &&
	      strcmp(r2.key[0].new_selector, r.key[0].new_selector) == 0,
	      "keyrot: what it writes reads back the same");
	keyrot_free(&r2);
	keyrot_free(&r);
	buf_free(&b);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!parse_ok(bad[i].text, &r, &err) &&
		      strstr(err.msg, bad[i].want) && r.domain == NULL &&
		      r.nkeys == 0,
		      "keyrot: refused with \"%s\" (%s)", bad[i].want, err.msg);
	CHECK(keyrot_parse((const unsigned char *)"domain a\0b\n", 11, "rot", &r,
			   &err) != MS_OK && strstr(err.msg, "NUL"),
	      "keyrot: a NUL byte is refused");
	CHECK(keyrot_load("/nonexistent/rotation", &r, &err) == MS_ERR_IO &&
	      strstr(err.msg, "/nonexistent/rotation"),
	      "keyrot: a missing file is an I/O error naming it");
}

static void test_files(void)
{
	char path[256], tmpname[256];
	struct filewatch w, w2;
	struct filestamp s;
	struct stat st;
	struct ms_error err;
	unsigned char *data;
	size_t len;

	snprintf(path, sizeof(path), "%s/table", dir);
	filewatch_init(&w);
	filewatch_add(&w, path);
	CHECK(!w.st[0].present && !filewatch_which(&w),
	      "filewatch: a missing file, unchanged while missing");
	memset(&st, 0, sizeof(st));
	CHECK(atomicfile_replace(path, "one\n", 4, 0640, &err) == MS_OK &&
	      stat(path, &st) == 0 && (st.st_mode & 07777) == 0640,
	      "atomicfile: a new file with the mode asked for");
	CHECK(filewatch_which(&w) && strcmp(filewatch_which(&w), path) == 0,
	      "filewatch: a file that came is a change, named");
	filewatch_retake(&w, &w2);
	CHECK(!filewatch_which(&w2), "filewatch: retaken, no change");
	chmod(path, 0604);
	filestamp_take(path, &s);
	ms_error_clear(&err);
	CHECK(atomicfile_replace(path, "two, longer\n", 12, 0600, &err) == MS_OK,
	      "atomicfile: a file replaced (%s)", err.msg);
	data = unit_read_file(path, &len);
	CHECK(data && len == 12 && memcmp(data, "two, longer\n", 12) == 0 &&
	      stat(path, &st) == 0 && (st.st_mode & 07777) == 0604,
	      "atomicfile: the new contents, the old file's mode");
	free(data);
	CHECK(filestamp_changed(path, &s) && filewatch_which(&w2) != NULL,
	      "filewatch: a file replaced by rename is a change");
	snprintf(tmpname, sizeof(tmpname), "%s/nodir/table", dir);
	CHECK(atomicfile_replace(tmpname, "x", 1, 0600, &err) == MS_ERR_IO &&
	      strstr(err.msg, "nodir"),
	      "atomicfile: a missing directory is an error naming it (%s)",
	      err.msg);
	unlink(path);
	CHECK(filewatch_which(&w2) != NULL, "filewatch: a file that went is a change");
	filewatch_free(&w);
	filewatch_free(&w2);
}

/* the tables say when the signing table they were read from changed */
static void test_tables_watch(void)
{
	char key[256], table[256], line[600];
	struct policy_tables *t;
	struct ms_config cfg;
	struct ms_error err;
	EVP_PKEY *pkey = NULL;
	const char *changed;

	snprintf(key, sizeof(key), "%s/ed.pem", dir);
	snprintf(table, sizeof(table), "%s/signing.table", dir);
	crypto_keygen(DKIM_ALG_ED25519_SHA256, 0, &pkey, &err);
	crypto_write_private_pem(pkey, key, &err);
	crypto_pkey_free(pkey);
	snprintf(line, sizeof(line), "example.com ed %s\n", key);
	atomicfile_replace(table, line, strlen(line), 0644, &err);
	config_init(&cfg);
	config_set(&cfg, "signing_table", table, "test", 1, &err);
	t = policy_tables_load(&cfg, &err);
	CHECK(t && !policy_tables_changed(t), "tables: unchanged after loading");
	if (t) {
		atomicfile_replace(table, line, strlen(line), 0644, &err);
		changed = policy_tables_changed(t);
		CHECK(changed && strcmp(changed, table) == 0,
		      "tables: the signing table replaced (same text) is named "
		      "as changed");
		policy_tables_free(t);
	}
	config_free(&cfg);
	unlink(table);
	unlink(key);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		unit_failf("keylife: temp dir", "mkdtemp failed");
		return unit_done();
	}
	test_keycheck();
	test_stedit();
	test_keyrot();
	test_files();
	test_tables_watch();
	rmdir(dir);
	return unit_done();
}
