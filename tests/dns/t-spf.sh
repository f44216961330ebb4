#!/bin/bash
# t-spf.sh - mailseal spf against a real DNS server (nsd on loopback,
# asked through c-ares) and against pyspf (Debian's python3-spf), on
# generated SPF record trees: the same results from the zone file
# (--dns-file) as from the DNS, and pyspf's result for every case, or
# a difference listed in docs/spf.md with the RFC's reason.  Also: a
# server that stops answering gives temperror within the budget.
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
PY=/usr/bin/python3
N=${SPF_DIFF_SCENARIOS:-150}
. "$ROOT/tests/lib/nsd.sh"
T=$(mktemp -d)
trap 'nsd_stop; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP     # so that the EXIT trap stops the servers
cd "$T" || exit 1
fails=0
. "$ROOT/tests/lib/check.sh"

"$PY" "$ROOT/tests/dns/spf_diff.py" gen "$N" 7208 "$T" || { nok "generate the SPF trees"; exit 1; }
if ! NSD_EXTRA="rrl-ratelimit: 0" nsd_start "$T" spf.example; then
	nok "nsd starts"
	exit 1
fi
printf 'dns_resolver = 127.0.0.1:%s\ndns_timeout = 1s\ndns_message_budget = 3s\n' "$NSD_PORT" > ms.conf
ok "nsd serves $(grep -c . cases) SPF cases on 127.0.0.1:$NSD_PORT"

# mailseal over DNS and over the zone file
while read -r id ip sender; do
	printf '%s %s\n' "$id" "$("$M" -c ms.conf spf --ip "$ip" --helo client.example --mail-from "$sender" | head -1 | sed 's/^spf=\([a-z]*\).*/\1/')" >> dns.out
	printf '%s %s\n' "$id" "$("$M" spf --dns-file zone.txt --ip "$ip" --helo client.example --mail-from "$sender" | head -1 | sed 's/^spf=\([a-z]*\).*/\1/')" >> file.out
done < cases
n=$(grep -c . cases)
same=$(paste -d' ' dns.out file.out | awk '$2 == $4' | wc -l)
[ "$same" = "$n" ] && ok "the zone file and the DNS give the same result in all $n cases" \
	|| nok "zone file and DNS differ in $((n - same)) of $n cases: $(paste -d' ' dns.out file.out | awk '$2 != $4' | head -3 | tr '\n' '|')"
for r in pass fail softfail neutral none permerror; do
	c=$(awk -v r="$r" '$2 == r' dns.out | wc -l)
	[ "$c" -gt 0 ] && ok "the trees give $r ($c cases)" || nok "no case gives $r: the generator does not cover it"
done
grep -q ' temperror$' dns.out && nok "temperror with a server that answers: $(grep ' temperror$' dns.out | head -3 | tr '\n' '|')" \
	|| ok "no temperror while the server answers"

# pyspf, the same cases
"$PY" "$ROOT/tests/dns/spf_diff.py" pyspf "$NSD_PORT" cases > py.out 2> py.err
[ "$(grep -c . py.out)" = "$n" ] || nok "pyspf evaluated $(grep -c . py.out) of $n cases: $(tail -2 py.err)"
paste -d' ' dns.out py.out | awk '$2 != $4 { print $1, "mailseal=" $2, "pyspf=" $4 }' > diff.out
agree=$((n - $(grep -c . diff.out)))
if [ ! -s diff.out ]; then
	ok "pyspf gives the same result in all $n cases"
else
	nok "pyspf differs in $(grep -c . diff.out) of $n cases (agree: $agree), e.g. $(head -5 diff.out | tr '\n' '|')"
fi

# a server that stops answering: temperror, within the budget
nsd_freeze
t0=$(date +%s%N)
out=$("$M" -c ms.conf spf --ip 192.0.2.10 --mail-from a@s0.spf.example | head -1)
took=$(( ($(date +%s%N) - t0) / 1000000 ))
nsd_thaw
case $out in
spf=temperror*) ok "DNS not answering: temperror ($out), in $took ms" ;;
*) nok "DNS not answering - got \"$out\"" ;;
esac
[ "$took" -lt 5000 ] && ok "... within the 3 s budget and a margin" || nok "took $took ms"
# mailseal policy with the envelope: one zone file answers the DKIM key
# and SPF; the engine's SPF settings turn the result into the verdict
mkdir keys
"$M" keygen -d s0.spf.example -s k1 -t ed25519 -o keys > /dev/null 2>&1
printf 'From: a@s0.spf.example\r\nSubject: envelope\r\n\r\nhello\r\n' > plain.eml
"$M" sign -d s0.spf.example -s k1 -k keys/k1.private plain.eml > signed.eml
{
	cat zone.txt
	printf 'k1._domainkey.s0.spf.example TXT %s\n' "$(sed -n 's/.*( *\(".*"\) *).*/\1/p' keys/k1.txt | head -1)"
	printf 'okspf.example TXT "v=spf1 ip4:192.0.2.0/24 -all"\n'
} > envelope.zone
grep -q '^k1._domainkey' envelope.zone || nok "test setup: the key record into the zone file ($(cat keys/k1.txt | tr '\n' ' '))"
printf 'check_spf = yes\non_spf_fail = reject\nauthserv_id = mx.test\n' > spf.conf
out=$("$M" -c spf.conf policy --dns-file envelope.zone --ip 192.0.2.9 --helo h.example --mail-from a@okspf.example signed.eml)
case $out in
*"action=accept"*"dkim=pass"*"spf=pass smtp.mailfrom=a@okspf.example"*) ok "policy --dns-file: the key and SPF from one file: dkim=pass, spf=pass in the A-R" ;;
*) nok "policy --dns-file (pass) - $(printf '%s' "$out" | tr '\n' '|')" ;;
esac
out=$("$M" -c spf.conf policy --dns-file envelope.zone --ip 203.0.113.9 --helo h.example --mail-from a@okspf.example signed.eml)
case $out in
*"action=reject code=550 dsn=5.7.23"*"okspf.example does not allow 203.0.113.9"*) ok "policy with on_spf_fail = reject: 550 5.7.23" ;;
*) nok "policy (SPF fail) - $(printf '%s' "$out" | tr '\n' '|')" ;;
esac
out=$("$M" -c spf.conf policy --auth alice --dns-file envelope.zone --ip 203.0.113.9 --mail-from a@okspf.example signed.eml)
case $out in
*"action=accept"*) case $out in *spf=*) nok "an authenticated message was SPF-checked: $out" ;; *) ok "policy --auth: not SPF-checked" ;; esac ;;
*) nok "policy --auth - $(printf '%s' "$out" | tr '\n' '|')" ;;
esac

# DMARC through the same command: p=quarantine held, p=reject refused,
# --message prints the message with its one A-R
{
	cat envelope.zone
	printf '_dmarc.okspf.example TXT "v=DMARC1; p=quarantine"\n'
	printf '_dmarc.s0.spf.example TXT "v=DMARC1; p=reject; adkim=s"\n'
} > dmarc.zone
printf 'check_dmarc = yes\nauthserv_id = mx.test\n' > dmarc.conf
printf 'From: a@okspf.example\r\nSubject: held\r\n\r\nhello\r\n' > quar.eml
out=$("$M" -c dmarc.conf policy --dns-file dmarc.zone --ip 203.0.113.9 --helo h.example --mail-from a@okspf.example quar.eml)
case $out in
"action=accept code=250 dsn=2.0.0 role=verify quarantine=\"DMARC: the policy of okspf.example (p=quarantine)"*"dmarc=fail reason=\"p=quarantine\" header.from=okspf.example"*)
	ok "policy, check_dmarc: p=quarantine failing: accepted with quarantine=\"...\" and dmarc=fail in the A-R" ;;
*) nok "policy (DMARC quarantine) - $(printf '%s' "$out" | tr '\n' '|')" ;;
esac
out=$("$M" -c dmarc.conf policy --dns-file dmarc.zone --ip 192.0.2.9 --helo h.example --mail-from a@okspf.example signed.eml)
case $out in
*"action=accept"*"dkim=pass"*"spf=pass smtp.mailfrom=a@okspf.example smtp.helo=h.example;"*"dmarc=pass header.from=s0.spf.example"*)
	ok "policy, check_dmarc: signed by the From domain (adkim=s): dmarc=pass after dkim= and spf=" ;;
*) nok "policy (DMARC pass) - $(printf '%s' "$out" | tr '\n' '|')" ;;
esac
out=$("$M" -c dmarc.conf policy --dns-file dmarc.zone --ip 192.0.2.9 --helo h.example --mail-from a@okspf.example plain.eml)
case $out in
"action=reject code=550 dsn=5.7.1 role=verify text=\"DMARC: the policy of s0.spf.example (p=reject)"*)
	ok "policy, check_dmarc: unsigned, SPF passes for another domain: 550 5.7.1" ;;
*) nok "policy (DMARC reject) - $(printf '%s' "$out" | tr '\n' '|')" ;;
esac

# the command's own errors
"$M" spf --mail-from a@example.com > /dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && ok "spf without --ip: usage, exit 2" || nok "spf without --ip: exit $rc"
printf 'a.example TXT "v=spf1 -all"\na.example A 1.2.3\n' > bad.zone
out=$("$M" spf --dns-file bad.zone --ip 192.0.2.1 --mail-from x@a.example 2>&1); rc=$?
[ "$rc" = 1 ] && printf '%s' "$out" | grep -q 'bad.zone:2: bad A data' \
	&& ok "a zone file with an error: exit 1, the file and line named" || nok "bad zone file: exit $rc: $out"
out=$("$M" -c /nonexistent/ms.conf spf --dns-file zone.txt --ip 192.0.2.10 --mail-from a@s0.spf.example 2>&1); rc=$?
[ "$rc" = 0 ] && ok "spf --dns-file reads no configuration" || nok "spf --dns-file with a missing -c file: exit $rc: $out"
exit $((fails > 0))
