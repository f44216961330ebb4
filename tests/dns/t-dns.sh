#!/bin/bash
# t-dns.sh - key lookup in DNS against a real authoritative server (nsd)
# on loopback: keys of each kind, a 4096-bit key in several strings,
# revoked and missing keys, NODATA, several records, and a server that
# stops answering (temperror within the per-message budget, never pass).
# Without dns_trust_anchor the keys are asked through c-ares: TCP after
# a truncated answer, several servers (one unreachable, one silent), a
# REFUSED answer, and no descriptor left to a program run afterwards;
# with one, through libunbound, which validates (DNSSEC).
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
. "$ROOT/tests/lib/nsd.sh"
T=$(mktemp -d)
trap 'nsd_stop; rm -rf "$T"' EXIT
cd "$T"

. "$ROOT/tests/lib/check.sh"
expect() {      # expect NAME PATTERN FILE: FILE has a line matching PATTERN
	if grep -qE "$2" "$3"; then ok "$1"; else nok "$1 - wanted /$2/ in: $(tr '\n' '|' < "$3")"; fi
}

mkdir keys
for s in rsa1:rsa ed1:ed25519 old:rsa twin:rsa; do
	"$M" keygen -d example.com -s "${s%%:*}" -t "${s#*:}" -o keys > /dev/null
done
"$M" keygen -d example.com -s big -b 4096 -o keys > /dev/null
"$M" keygen -d example.com -s twin2 -o keys > /dev/null
{
	nsd_zone example.com 300 keys/rsa1.txt keys/ed1.txt keys/big.txt keys/twin.txt
	sed 's/^twin2\./twin./' keys/twin2.txt          # a second record at twin
	echo 'old._domainkey IN TXT "v=DKIM1; k=rsa; p="'
	echo 'nodata._domainkey IN A 127.0.0.1'
} > example.com.zone
# a DNSSEC-signed zone (ldns-signzone), its trust anchor, and a wrong one
"$M" keygen -d signed.test -s sec -o keys > /dev/null
nsd_signed_zone signed.test 300 keys/sec.txt
if ! nsd_start "$T" example.com signed.test; then
	nok "nsd starts"
	exit 1
fi
ok "nsd serves example.com on 127.0.0.1:$NSD_PORT"
printf 'dns_resolver = 127.0.0.1:%s\n' "$NSD_PORT" > ms.conf

printf 'From: a@example.com\r\nSubject: dns\r\n\r\nhello\r\n' > m.eml
sign() { "$M" sign -d example.com -s "$1" -k "keys/$1.private" m.eml > "$1.eml"; }
for s in rsa1 ed1 big old twin; do sign $s; done
sed 's/s=rsa1;/s=nodata;/' rsa1.eml > nodata.eml
sed 's/s=rsa1;/s=missing;/' rsa1.eml > missing.eml

"$M" -c ms.conf verify rsa1.eml ed1.eml big.eml old.eml twin.eml nodata.eml missing.eml > v.txt 2> e.txt
expect "rsa key from DNS: pass" $'^rsa1.eml\tdkim=pass' v.txt
expect "ed25519 key from DNS: pass" $'^ed1.eml\tdkim=pass' v.txt
expect "4096-bit key in several strings: pass" $'^big.eml\tdkim=pass' v.txt
expect "revoked key (p= empty): permerror" $'^old.eml\tdkim=permerror.*key revoked' v.txt
expect "two records at the key name: permerror" $'^twin.eml\tdkim=permerror.*2 key records' v.txt
expect "NODATA at the key name: permerror" $'^nodata.eml\tdkim=permerror.*no key' v.txt
expect "NXDOMAIN at the key name: permerror" $'^missing.eml\tdkim=permerror.*no key' v.txt

# a server that takes the query and never answers
nsd_freeze
printf 'dns_resolver = 127.0.0.1:%s\ndns_timeout = 700ms\ndns_message_budget = 1s\n' "$NSD_PORT" > slow.conf
"$M" sign -d example.com -s rsa1 -k keys/rsa1.private -d example.com -s ed1 -k keys/ed1.private \
	-d example.com -s big -k keys/big.private m.eml > three.eml
start=$(date +%s%N)
"$M" -c slow.conf verify three.eml > v.txt 2> e.txt
took=$(( ($(date +%s%N) - start) / 1000000 ))
nsd_thaw
[ "$(grep -c 'dkim=temperror' v.txt)" = 3 ] && ok "server not answering: temperror for each signature" \
	|| nok "server not answering: temperror - $(cat v.txt)"
grep -q 'dkim=pass' v.txt && nok "no pass while DNS is down" || ok "no pass while DNS is down"
expect "temperror says the lookup timed out" 'timed out after 700 ms' v.txt
expect "later lookups are cut by the message budget" 'budget is spent|timed out after [0-9]{1,3} ms' v.txt
# the budget is 1 s; allow generous slack for a loaded machine
[ "$took" -lt 4000 ] && ok "three lookups stopped by the 1 s budget (took $took ms)" \
	|| nok "three lookups took $took ms, budget 1 s"

# and once the server answers again, the same message passes
"$M" -c ms.conf verify three.eml > v.txt
[ "$(grep -c 'dkim=pass' v.txt)" = 3 ] && ok "server back: all pass" || nok "server back - $(cat v.txt)"

# nothing listening at the configured address at all
printf 'dns_resolver = 127.0.0.1:%s\ndns_timeout = 300ms\n' "$(free_port)" > dead.conf
"$M" -c dead.conf verify rsa1.eml > v.txt
expect "no DNS server at all: temperror" $'^rsa1.eml\tdkim=temperror' v.txt

# DNSSEC
"$M" sign -d signed.test -s sec -k keys/sec.private m.eml > sec.eml
printf 'dns_resolver = 127.0.0.1:%s\ndns_trust_anchor = %s\n' "$NSD_PORT" "$T/anchor.ds" > secure.conf
printf 'dns_resolver = 127.0.0.1:%s\ndns_trust_anchor = %s\n' "$NSD_PORT" "$T/wrong.ds" > wrong.conf
"$M" -c secure.conf verify sec.eml rsa1.eml > v.txt
expect "signed zone with its trust anchor: pass, dnssec=yes" $'^sec.eml\tdkim=pass.* dnssec=yes' v.txt
if grep -q $'^rsa1.eml.*dnssec=yes' v.txt; then nok "unsigned zone is not marked dnssec"; else ok "unsigned zone is not marked dnssec"; fi
expect "unsigned zone still passes with an anchor configured" $'^rsa1.eml\tdkim=pass' v.txt
"$M" -c ms.conf verify sec.eml > v.txt
if grep -q $'^sec.eml\tdkim=pass' v.txt && ! grep -q dnssec=yes v.txt; then
	ok "signed zone without an anchor: pass, not marked dnssec"
else
	nok "signed zone without an anchor - $(cat v.txt)"
fi
"$M" -c wrong.conf verify sec.eml > v.txt
expect "DNSSEC validation failure (wrong anchor): temperror, never pass" $'^sec.eml\tdkim=temperror.*DNSSEC' v.txt

printf 'dns_resolver = 127.0.0.1:%s\ndns_trust_anchor = /nonexistent/anchor\n' "$NSD_PORT" > ta.conf
"$M" -c ta.conf verify rsa1.eml > v.txt
expect "an unreadable trust anchor: temperror naming it" 'temperror.*nonexistent/anchor' v.txt

# a server whose UDP answers stop at 512 bytes: the 4096-bit key's
# answer comes truncated and c-ares asks again over TCP
nsd_stop
NSD_EXTRA="ipv4-edns-size: 512" nsd_start "$T" example.com signed.test || nok "nsd with 512-byte answers starts"
printf 'dns_resolver = 127.0.0.1:%s\n' "$NSD_PORT" > small.conf
"$M" -c small.conf verify big.eml rsa1.eml > v.txt 2> e.txt
expect "a truncated UDP answer is asked again over TCP: the 4096-bit key passes" $'^big.eml\tdkim=pass' v.txt
expect "... and a small answer still comes over UDP" $'^rsa1.eml\tdkim=pass' v.txt
# the second server is asked when the first one refuses to answer at all
printf 'dns_resolver = 127.0.0.1:%s 127.0.0.1:%s\n' "$(free_port)" "$NSD_PORT" > two.conf
"$M" -c two.conf verify rsa1.eml > v.txt 2> e.txt
expect "the first server unreachable: the second one answers" $'^rsa1.eml\tdkim=pass' v.txt
# a first server that takes the query and never answers: dns_timeout is
# the whole lookup's, shared by the servers, so the second is asked in time
SILENT=$(free_port)
/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
print("up", flush=True); time.sleep(60)' "$SILENT" > silent.up &
SILENT_PID=$!
for i in $(seq 50); do [ -s silent.up ] && break; sleep 0.1; done
printf 'dns_resolver = 127.0.0.1:%s, 127.0.0.1:%s
dns_timeout = 1s
' "$SILENT" "$NSD_PORT" > silent.conf
"$M" -c silent.conf verify rsa1.eml > v.txt 2> e.txt
expect "the first server silent: the second one answers within dns_timeout" $'^rsa1.eml\tdkim=pass' v.txt
printf 'dns_resolver = 127.0.0.1:%s
dns_timeout = 400ms
' "$SILENT" > silent1.conf
"$M" -c silent1.conf verify rsa1.eml > v.txt 2> e.txt
expect "the only server silent: temperror, timed out after dns_timeout" \
	$'^rsa1.eml\tdkim=temperror.*timed out after 400 ms' v.txt
kill "$SILENT_PID" 2> /dev/null; wait "$SILENT_PID" 2> /dev/null

# a zone the server does not serve: it answers REFUSED
sed 's/d=example.com;/d=other.example;/' rsa1.eml > refused.eml
"$M" -c small.conf verify refused.eml > v.txt 2> e.txt
expect "REFUSED: temperror, never pass or permerror" $'^refused.eml\tdkim=temperror' v.txt

# a program the MTA runs after a lookup inherits no descriptor of ours
FDX="$ROOT/${MAILSEAL_BUILD:-build}/tests/farm/fdexec"
if [ -x "$FDX" ]; then
	"$FDX" small.conf rsa1._domainkey.example.com missing._domainkey.example.com > fd.txt 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -q '^lookup rsa1._domainkey.example.com found' fd.txt &&
		grep -q '^lookup missing._domainkey.example.com notfound' fd.txt; then
		ok "c-ares lookups: a program run afterwards inherits nothing"
	else
		nok "c-ares lookups and exec - status $rc: $(tr '\n' '|' < fd.txt)"
	fi
else
	nok "the test helper $FDX is not built (make unit)"
fi
[ $fails = 0 ]
