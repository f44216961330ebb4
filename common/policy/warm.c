/*
 * warm.c - the engine's first message, before the fork (policy_warm).
 *
 * A process that forks one child per SMTP session (Exim's daemon, with
 * mailseal_prewarm) hands each child what it has done: what a child
 * does for the first time it pays for itself, every time - symbols of
 * the libraries bound on first call, OpenSSL's method and decoder
 * caches filled, the allocator's arena grown.  Measured on a session
 * that verifies one message with SPF and DMARC, that first time cost
 * more than the message itself.  So the parent verifies one message of
 * its own once: a fixed message of warm.mailseal.invalid (RFC 2606:
 * a name that never exists), signed with RSA-2048 and Ed25519 keys
 * made for nothing else, with SPF and DMARC records, all answered from
 * memory (a zone held here, no DNS, no Redis), through a throw-away
 * engine of default settings with SPF and DMARC on.  Nothing of it is
 * logged, counted (the metrics are put back as they were) or kept: the
 * engine is freed.  The private halves of these keys were discarded
 * when the message was signed; the public halves verify this message
 * and nothing else, and exist only in this engine's memory.
 *
 * Signing has a first time of its own (OpenSSL's signature and key
 * management methods fetched, about 400 us of a forked Exim session at
 * one message per session): policy_warm_sign signs once with a key of
 * each algorithm made for the purpose and thrown away.  Never with the
 * signing table's keys: an RSA key's first private operation makes its
 * blinding values, which every child would then share.
 */
#include <string.h>

#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "dnsqkeys.h"
#include "metrics.h"
#include "policy.h"
#include "zonefile.h"

static const char warm_zone[] =
	"rsa._domainkey.warm.mailseal.invalid 86400 TXT \"v=DKIM1; k="
	"rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAjt0nJMosW"
	"1qOVmnBrELAaND+thL3oQcQcp9C5IoMlr5RA4sGT3WkHN1kSh5bh423E0J25"
	"iIgYELGeHCdnDfSjJ4Px4O3hhdB8JmzCPDwI/Je7v+mQdC3SkMkJi+yrACo4"
	"CyqRS1zEmaVP+aNRAJOFIwTBI/qUOH/goe21uf4JKhRgxjyR9pmCZL1TgvkO"
	"o7j7yuClhwqjJP3uU0nZeKQBMgyM8zyNgAtLFgO09s3V9cfvnRyfXJRDhYMt"
	"rc8kmNrpll13wCETy0eKxRB0I43ot5imsMEyVTWWqWEAYHv6d0ALDYDep3Yc"
	"mc+Ljnbi0u/aHN7bA25+88fPD+LHOaLMQIDAQAB\"\n"
	"ed._domainkey.warm.mailseal.invalid 86400 TXT \"v=DKIM1; k=e"
	"d25519; p=5EgPiRtnLPgQu58W8Qq1sNLo07J++JbOPsWfWDnRROY=\"\n"
	"warm.mailseal.invalid 86400 TXT \"v=spf1 ip4:192.0.2.1 -all\"\n"
	"client.warm.mailseal.invalid 86400 TXT \"v=spf1 ip4:192.0.2.1 -all\"\n"
	"_dmarc.warm.mailseal.invalid 86400 TXT \"v=DMARC1; p=reject\"\n";

static const char warm_message[] =
	"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=warm.mailseal.invalid;\r\n"
	"\ts=rsa; t=1796233525; h=from:from:to:to:cc:subject:subject:date:date:\r\n"
	"\tmessage-id:message-id:in-reply-to:references:reply-to:mime-version:\r\n"
	"\tmime-version:content-type:content-type:content-transfer-encoding; bh=a\r\n"
	"\t4dqVk3M6oW6WwVghD1QCF65Bc84G/dYJToCrW47hCA=; b=WudDZ8ciIpJnqMtG3GgWrks\r\n"
	"\tELA9nGcz2J//0DTZy0HRrI0wyCr3TFI8GRWtrp59sMofxNmyQ8MPaoIbW5k26ImqbHYVIP\r\n"
	"\tu1D54eqW3+e3MtoG7cVx4F2PU+JoDQhvEazYlzd3eytQWhVkl+p87/o7Nd2Y4qvjQorki4\r\n"
	"\ti9gQ6hYnYuuZWUQ3zR8S+PPEZNnVGirFCrg75XE8YeghSDJmg262sFmhR3spS3OFRcwYPp\r\n"
	"\tvx6UZ/woMpq+a5DdPBLriVpD//GGeAO6bhlyeUVXyIO/r8xjW7Q8zdxYJ2t/kSnvMiIN4o\r\n"
	"\tW0uWN+B9mKQlaLShWEr53hIOBSDWqjE9QpIl3gg==\r\n"
	"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
	"\td=warm.mailseal.invalid; s=ed; t=1796233525; h=from:from:to:to:cc:\r\n"
	"\tsubject:subject:date:date:message-id:message-id:in-reply-to:\r\n"
	"\treferences:reply-to:mime-version:mime-version:content-type:\r\n"
	"\tcontent-type:content-transfer-encoding; bh=a4dqVk3M6oW6WwVghD1QCF65Bc8\r\n"
	"\t4G/dYJToCrW47hCA=; b=lRioEacLr0BcCElA5F3Gak6iYUARhIhSqN7ubvSsSYhYm+vUM\r\n"
	"\tn1nCaQVfz3S9NAj4aVZB0Vl7KdMnx/0DwdAAA==\r\n"
	"From: <warm@warm.mailseal.invalid>\r\n"
	"To: <rcpt@warm.mailseal.invalid>\r\n"
	"Subject: warm\r\n"
	"Date: Wed, 02 Dec 2026 12:00:00 +0000\r\n"
	"Message-ID: <warm@warm.mailseal.invalid>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"The engine verifies this message once in the process that forks.\r\n";

/* policy_warm - verify the fixed message once, in this process */
int policy_warm(void)
{
	struct policy_facts f = {
		.txid = "warm", .hostname = "warm.mailseal.invalid",
		.client_ip = "192.0.2.1", .helo = "client.warm.mailseal.invalid",
		.mail_from = "warm@warm.mailseal.invalid",
	};
	struct metrics_snap held;
	struct ms_config cfg;
	struct ms_error err;
	struct policy_verdict v;
	struct policy_msg *m;
	struct policy *p;
	struct dnsq *dns;
	int passed = 0;

	metrics_hold(&held);
	config_init(&cfg);
	if (config_set(&cfg, "check_spf", "yes", "warm", 0, &err) != MS_OK ||
	    config_set(&cfg, "check_dmarc", "yes", "warm", 0, &err) != MS_OK ||
	    config_set(&cfg, "dmarc_reports", "no", "warm", 0, &err) != MS_OK)
		goto out;
	dns = zonefile_parse((const unsigned char *)warm_zone,
			     sizeof(warm_zone) - 1, "warm", &err);
	if (!dns)
		goto out;
	p = policy_new_with_keys(&cfg, dnsqkeys_new(dns), &err);
	if (p) {
		policy_set_dns(p, dns);
		m = policy_begin(p, &f);
		policy_feed(m, (const unsigned char *)warm_message,
			    sizeof(warm_message) - 1);
		policy_finish(m, &v);
		/* both signatures, SPF and DMARC pass: every path was run */
		passed = v.action == POLICY_ACCEPT &&
			 strstr(v.log, "dkim=pass") &&
			 strstr(v.log, "spf=pass") && strstr(v.log, "dmarc=pass");
		policy_msg_free(m);
		policy_free(p);
	}
	dnsq_destroy(dns);
out:
	config_free(&cfg);
	metrics_put_back(&held);
	return passed;
}

/* policy_warm_sign - sign once with a throw-away key of each algorithm */
void policy_warm_sign(void)
{
	static const enum dkim_alg algs[] = {
		DKIM_ALG_RSA_SHA256, DKIM_ALG_ED25519_SHA256,
	};
	unsigned char digest[CRYPTO_SHA256_LEN] = { 0 };
	struct ms_error err;
	struct buf sig;
	size_t i;

	buf_init(&sig, 1024);
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		EVP_PKEY *k = NULL;

		/* the size does not matter to what is cached: the smallest
		 * that OpenSSL makes quickly */
		if (crypto_keygen(algs[i], 1024, &k, &err) != MS_OK)
			continue;
		buf_reset(&sig);
		(void)crypto_sign_digest(k, digest, &sig, &err);
		crypto_pkey_free(k);
	}
	buf_free(&sig);
}
