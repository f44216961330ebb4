/*
 * fuzz_policy.c - libFuzzer target: a whole message through the policy
 * engine, as the MTA front ends feed it.
 *
 * The first input byte picks the facts and settings (override mode,
 * authenticated or not, on_temperror, on_signature_fail, on_bad_from,
 * check_spf with on_spf_fail/on_spf_permerror = reject, check_dmarc with
 * its actions); the second the
 * envelope (client address, MAIL FROM) for SPF, answered by a zone file
 * whose explanations carry macros; the rest is the message, fed in
 * three pieces.  Keys come from the
 * golden key file (golden_keys.h); the signing table has one Ed25519
 * key for example.com, made at start-up in a temporary directory, so
 * that the signing side reads untrusted messages too; require_signed
 * is "example.com .example.com".
 *
 * Checked: the code and enhanced code agree with the action; the text
 * and log line are one printable line; added fields are CRLF-ended
 * fields with a name; removals are in order, of existing fields, and
 * only of Authentication-Results.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "fuzz_table.h"
#include "golden_keys.h"
#include "keyfile.h"
#include "policy.h"
#include "zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NVARIANTS 64

static struct policy *engines[NVARIANTS];
static struct keysource *ks;
static struct dnsq *zone;

static const char spf_zone[] =
	"pass.example TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
	"fail.example TXT \"v=spf1 -all exp=e.fail.example\"\n"
	"e.fail.example TXT \"%{s} from %{i} (%{c}) at %{t} via %{r}: %{l}%%%_%-\"\n"
	"perm.example TXT \"v=spf1 frob\"\n"
	"temp.example TIMEOUT\n"
	"h.example TXT \"v=spf1 include:fail.example ?all\"\n"
	"_dmarc.example.com TXT \"v=DMARC1; p=reject; sp=quarantine; np=none\"\n"
	"_dmarc.example.net TXT \"v=DMARC1; p=quarantine; adkim=s; t=y\"\n"
	"_dmarc.example.org TIMEOUT\n"
	"_dmarc.pass.example TXT \"v=DMARC1; p=reject\"\n"
	"_dmarc.fail.example TXT \"v=DMARC1; p=reject\"\n"
	"_dmarc.fail.example TXT \"v=DMARC1; p=none\"\n";

static int printable_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 32 || (unsigned char)*s > 126)
			return 0;
	return 1;
}

static void setup(void)
{
	struct ms_error err;
	const char *table;
	int i;

	ks = keyfile_parse((const unsigned char *)keys, sizeof(keys) - 1,
			   "fuzz-keys", &err);
	if (!ks)
		__builtin_trap();
	table = fuzz_table_make(NULL);
	zone = zonefile_parse((const unsigned char *)spf_zone,
			      sizeof(spf_zone) - 1, "fuzz-zone", &err);
	if (!zone)
		__builtin_trap();
	for (i = 0; i < NVARIANTS; i++) {
		struct ms_config cfg;

		config_init(&cfg);
		if (config_set(&cfg, "signing_table", table, "fuzz", 1, &err) ||
		    config_set(&cfg, "require_signed", "example.com .example.com",
			       "fuzz", 2, &err) ||
		    config_set(&cfg, "authserv_id", "mx.example.net", "fuzz", 3,
			       &err))
			__builtin_trap();
		cfg.on_temperror = (unsigned)(i & 1);
		cfg.on_signature_fail = (unsigned)((i >> 1) & 1);
		cfg.on_bad_from = (unsigned)((i >> 2) & 1);
		cfg.check_spf = (unsigned)((i >> 3) & 1);
		cfg.on_spf_fail = cfg.on_spf_permerror = (unsigned)((i >> 4) & 1);
		cfg.check_dmarc = (unsigned)((i >> 5) & 1);
		cfg.on_dmarc_reject = (unsigned)((i >> 1) % 3);
		cfg.on_dmarc_quarantine = (unsigned)((i >> 2) % 3);
		engines[i] = policy_new_with_keys(&cfg, ks, &err);
		if (!engines[i])
			__builtin_trap();
		policy_set_dns(engines[i], zone);
		config_free(&cfg);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_facts f = { .txid = "fuzz", .hostname = "mx.example.net" };
	struct policy_verdict v;
	struct policy_msg *m;
	unsigned sel;
	size_t a, b, i;

	if (!ks)
		setup();
	static const char *const ips[] = { "192.0.2.7", "203.0.113.9",
					   "::ffff:192.0.2.7", "2001:db8::1" };
	static const char *const froms[] = { "a@pass.example", "b@fail.example",
					     "", "c@perm.example", "d@temp.example",
					     "e@[192.0.2.1]", "f", NULL };

	if (size < 2)
		return 0;
	sel = data[0];
	f.client_ip = ips[data[1] & 3];
	f.mail_from = froms[(data[1] >> 2) & 7];
	f.helo = (data[1] & 0x20) ? "h.example" : "[192.0.2.7]";
	data += 2;
	size -= 2;
	f.mode = (enum policy_mode)(sel & 3);
	f.auth_user = (sel & 4) ? "fuzzer" : NULL;
	m = policy_begin(engines[((sel >> 3) | ((data[-1] >> 6) & 1) << 5) %
				 NVARIANTS], &f);
	a = size / 3;
	b = size - size / 3;
	policy_feed(m, data, a);
	policy_feed(m, data + a, b - a);
	policy_feed(m, data + b, size - b);
	policy_finish(m, &v);
	switch (v.action) {
	case POLICY_ACCEPT:
		if (v.code != 250 || v.dsn[0] != '2')
			__builtin_trap();
		break;
	case POLICY_REJECT:
		if (v.code / 100 != 5 || v.dsn[0] != '5' || v.nadd || v.nremove)
			__builtin_trap();
		break;
	case POLICY_TEMPFAIL:
		if (v.code / 100 != 4 || v.dsn[0] != '4' || v.nadd || v.nremove)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	if (!printable_line(v.text) || !printable_line(v.log) || !v.log[0] ||
	    !printable_line(v.quarantine_why) ||
	    (v.quarantine && (v.action != POLICY_ACCEPT || !v.quarantine_why[0])))
		__builtin_trap();
	for (i = 0; i < v.nadd; i++) {
		size_t n = strlen(v.add[i].field);

		if (!v.add[i].name[0] || n < 2 || v.add[i].field[n - 2] != '\r' ||
		    v.add[i].field[n - 1] != '\n')
			__builtin_trap();
	}
	for (i = 0; i < v.nremove; i++)
		if ((i && v.remove[i].index <= v.remove[i - 1].index) ||
		    strcasecmp(v.remove[i].name, "Authentication-Results") ||
		    v.remove[i].nth == 0)
			__builtin_trap();
	policy_msg_free(m);
	return 0;
}
