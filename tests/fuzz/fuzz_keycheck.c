/*
 * fuzz_keycheck.c - libFuzzer target: the verdict of testkey and of
 * the key life cycle on what DNS answers at a key's name
 * (keycheck_answer: untrusted TXT records against a private key).
 *
 * Input: the first byte picks the private key (even: RSA, odd:
 * Ed25519, both made once per process); the rest is one or more TXT
 * records separated by NUL bytes (at most MS_MAX_KEY_RECORDS), in
 * which "p=@" stands for "p=" and the picked key's own public half, so
 * that the fuzzer reaches the verdicts past "another key".
 *
 * Checked on every input: a verdict with a name and a reason; "ok"
 * only for a single record that holds the key; "multiple" only for
 * several records.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "crypto.h"
#include "keycheck.h"
#include "ms_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *fk_key[2];
static struct buf fk_pub[2];            /* "p=" and the base64 */

static void fk_init(void)
{
	struct ms_error err;
	struct buf der;
	int i;

	if (fk_key[0])
		return;
	if (crypto_keygen(DKIM_ALG_RSA_SHA256, 1024, &fk_key[0], &err) != MS_OK ||
	    crypto_keygen(DKIM_ALG_ED25519_SHA256, 0, &fk_key[1], &err) != MS_OK)
		__builtin_trap();
	for (i = 0; i < 2; i++) {
		buf_init(&der, 64 * 1024);
		buf_init(&fk_pub[i], 64 * 1024);
		if (crypto_public_record(fk_key[i], &der, &err) != MS_OK)
			__builtin_trap();
		buf_puts(&fk_pub[i], "p=");
		base64_encode(der.data, der.len, &fk_pub[i]);
		buf_free(&der);
	}
}

/* fk_expand - p[0..len) with "p=@" replaced by the key's p= */
static void fk_expand(const unsigned char *p, size_t len,
		      const struct buf *pub, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		if (len - i >= 3 && memcmp(p + i, "p=@", 3) == 0) {
			buf_append(out, pub->data, pub->len);
			i += 3;
		} else {
			buf_putc(out, p[i++]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf rec[MS_MAX_KEY_RECORDS];
	struct key_answer ans;
	struct keycheck kc;
	const uint8_t *p, *end;
	size_t i;
	int k;

	if (size < 1)
		return 0;
	fk_init();
	k = data[0] & 1;
	memset(&ans, 0, sizeof(ans));
	ans.status = KEY_FOUND;
	p = data + 1;
	end = data + size;
	while (ans.nrecords < MS_MAX_KEY_RECORDS) {
		const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
		const uint8_t *e = nul ? nul : end;

		buf_init(&rec[ans.nrecords], 2 * MS_MAX_KEY_RECORD);
		fk_expand(p, (size_t)(e - p), &fk_pub[k], &rec[ans.nrecords]);
		ans.records[ans.nrecords] = rec[ans.nrecords].data;
		ans.record_len[ans.nrecords] = rec[ans.nrecords].len;
		ans.nrecords++;
		if (!nul)
			break;
		p = nul + 1;
	}
	keycheck_answer(&ans, fk_key[k], &kc);
	if (!kc.reason[0] || strcmp(keycheck_status_str(kc.status), "?") == 0)
		__builtin_trap();
	if (kc.status == KEYCHECK_OK && ans.nrecords != 1)
		__builtin_trap();
	if ((kc.status == KEYCHECK_MULTIPLE) != (ans.nrecords > 1))
		__builtin_trap();
	for (i = 0; i < ans.nrecords; i++)
		buf_free(&rec[i]);
	return 0;
}
