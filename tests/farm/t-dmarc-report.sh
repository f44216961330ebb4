#!/bin/bash
# t-dmarc-report.sh - DMARC aggregate reports (RFC 9990) from a farm's
# data: two nodes (two `mailseal policy` runs on two configurations)
# share one real Redis on loopback; `mailseal dmarc-report` builds the
# day's reports, each validated against the schema of RFC 9990
# Appendix A (tests/farm/rfc9990.xsd) with xmllint; counts add up over
# both nodes; the row cap's dropped counter is reported; the external
# destination check refuses a rua in another domain without a
# _report._dmarc record and accepts it with one; --send pipes a
# message to a fake sendmail whose attachment decompresses to the
# report; a Redis outage never changes a verdict.  DNS answers come
# from --dns-file zone files.
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
XSD=$ROOT/tests/farm/rfc9990.xsd
T=$(mktemp -d)
REDIS_DIR="$T/redis"
. "$ROOT/tests/lib/nsd.sh"
. "$ROOT/tests/lib/redis.sh"
trap 'redis_stop_all; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP     # so that the EXIT trap stops the servers
cd "$T"

n=0
fails=0
ok()  { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; fails=$((fails + 1)); }
check() {       # check DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}

redis_start main || { echo "not ok 1 - redis-server does not start"; exit 1; }
P=$REDIS_PORT_main

cat > zone <<'EOF'
_dmarc.a.example TXT "v=DMARC1; p=reject; rua=mailto:dmarc@a.example"
a.example TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.b.example TXT "v=DMARC1; p=quarantine; rua=mailto:rep@ext.example"
b.example TXT "v=spf1 ip4:192.0.2.2 -all"
_dmarc.c.example TXT "v=DMARC1; p=none; sp=reject; t=y; rua=mailto:rep@ext2.example"
c.example TXT "v=spf1 ip4:192.0.2.3 -all"
c.example._report._dmarc.ext2.example TXT "v=DMARC1"
_dmarc.d.example TXT "v=DMARC1; p=none; rua=mailto:d@d.example"
d.example TXT "v=spf1 -all"
_dmarc.n.example TXT "v=DMARC1; p=reject"
n.example TXT "v=spf1 ip4:192.0.2.5 -all"
EOF
# the same, and ext.example now takes b.example's reports
{ cat zone; echo 'b.example._report._dmarc.ext.example TXT "v=DMARC1"'; } > zone2

common() {
	printf 'check_dmarc = yes\nredis_url = redis://127.0.0.1:%s\n' "$P"
	printf 'cache_secret = farm-secret\ndmarc_report_max_rows = 3\n'
	printf 'dmarc_report_email = dmarc-reports@rx.example\n'
	printf 'dmarc_report_org = RX Example\n'
	printf 'dmarc_report_sendmail = %s\n' "$T/fake-sendmail"
}
{ common; echo 'authserv_id = node1.rx.example'; } > node1.conf
{ common; echo 'authserv_id = node2.rx.example'; echo 'on_dmarc_reject = tag'; } > node2.conf

msg() {         # msg FILE FROM-DOMAIN
	printf 'From: x@%s\r\nTo: y@rx.example\r\nSubject: t\r\n\r\nhi\r\n' "$2" > "$1"
}
for d in a b c d n; do msg "$d.example.eml" "$d.example"; done
send() {        # send CONF IP DOMAIN: one message, its first line
	"$M" -c "$1" policy --dns-file zone --ip "$2" --mail-from "s@$3" \
		--rcpt "u@rx.example" "$3.eml" | head -1
}

# node 1: a.example 3 passing + 1 forged (refused), b.example 2 forged
for i in 1 2 3; do send node1.conf 192.0.2.1 a.example; done > n1.out
send node1.conf 192.0.2.9 a.example >> n1.out
send node1.conf 192.0.2.9 b.example >> n1.out
send node1.conf 192.0.2.9 b.example >> n1.out
# node 2: a.example 2 passing + 1 forged (tagged: on_dmarc_reject = tag),
# c.example 1, d.example from 5 addresses (cap: 3 rows), n.example (no rua)
send node2.conf 192.0.2.1 a.example > n2.out
send node2.conf 192.0.2.1 a.example >> n2.out
send node2.conf 192.0.2.9 a.example >> n2.out
send node2.conf 192.0.2.8 c.example >> n2.out
for i in 11 12 13 14 15; do send node2.conf "198.51.100.$i" d.example; done >> n2.out
send node2.conf 192.0.2.5 n.example >> n2.out
check "node 1 refused the a.example forgery" grep -q 'action=reject.*dsn=5.7.1' n1.out
check "node 2 tagged it (on_dmarc_reject = tag)" \
	test "$(grep -c 'action=accept' n2.out)" = 10

DAY=$(date -u +%F)
check "Redis holds rows for a, b, c, d, not n (no rua)" test \
	"$(rcli "$P" SMEMBERS "mailseal:dmarc:{$DAY}:domains" | sort | tr '\n' ' ')" = \
	"a.example b.example c.example d.example "
check "rows carry their HMAC (cache_secret)" \
	sh -c "redis-cli -h 127.0.0.1 -p $P HKEYS 'mailseal:dmarc:{$DAY}:rows:a.example' | grep -q ' [0-9a-f]\{32\}\$'"

mkdir out
"$M" -c node1.conf dmarc-report --day "$DAY" --out out > rep.out 2> rep.err
check "dmarc-report exits 0" test $? = 0
check "one report per policy domain" test "$(ls out | wc -l)" = 4
for f in out/*; do
	zcat "$f" > "$f.xml"
	if xmllint --noout --schema "$XSD" "$f.xml" 2> xmllint.err; then
		ok "$(basename "$f") validates against RFC 9990's schema"
	else
		nok "$(basename "$f") does not validate: $(tr '\n' ' ' < xmllint.err)"
	fi
done
A=$(ls out/*'!a.example!'*.xml.gz.xml)
check "file name RECEIVER!DOMAIN!BEGIN!END!ID.xml.gz" \
	sh -c "ls out | grep -qE '^rx\.example!a\.example![0-9]+![0-9]+![0-9a-f]+\.xml\.gz\$'"
# the 192.0.2.1 row: 3 messages on node 1, 2 on node 2
count_of() {    # count_of XML IP DISPOSITION: the count of that row
	python3 - "$@" <<'EOF'
import sys, xml.etree.ElementTree as ET
ns = {'d': 'urn:ietf:params:xml:ns:dmarc-2.0'}
t = ET.parse(sys.argv[1])
total = 0
for r in t.getroot().findall('d:record', ns):
    row = r.find('d:row', ns)
    if row.findtext('d:source_ip', namespaces=ns) == sys.argv[2] and \
       row.findtext('d:policy_evaluated/d:disposition', namespaces=ns) == sys.argv[3]:
        total += int(row.findtext('d:count', namespaces=ns))
print(total)
EOF
}
check "counts add up over both nodes (3 + 2)" test "$(count_of "$A" 192.0.2.1 none)" = 5
check "the refused forgery is a reject row" test "$(count_of "$A" 192.0.2.9 reject)" = 1
check "the tagged forgery is a none row" test "$(count_of "$A" 192.0.2.9 none)" = 1
check "its override reason is local_policy (on_dmarc_reject = tag)" \
	grep -q '<comment>on_dmarc_reject = tag</comment>' "$A"
check "envelope_to is the first recipient's domain" grep -q '<envelope_to>rx.example</envelope_to>' "$A"
C=$(ls out/*'!c.example!'*.xml.gz.xml)
check "c.example: testing y, sp as published" \
	sh -c "grep -q '<testing>y</testing>' '$C' && grep -q '<sp>reject</sp>' '$C'"
D=$(ls out/*'!d.example!'*.xml.gz.xml)
check "d.example: 3 rows kept (dmarc_report_max_rows = 3)" test "$(grep -c '<record>' "$D")" = 3
check "d.example: the 2 dropped messages are reported" \
	sh -c "grep -q 'report d.example .* dropped=2' rep.out && grep -q '<error>2 messages are not itemized' '$D'"

"$M" -c node1.conf dmarc-report --day "$DAY" --out out > again.out 2> again.err
check "a second run refuses to overwrite, naming the file" \
	sh -c "test $? != 0 && grep -q 'out/rx.example!.*File exists' again.err"
check "a day that is not a day is refused" \
	sh -c "! '$M' -c node1.conf dmarc-report --day 2026-02-30 --out out 2>/dev/null"

# --send: a fake sendmail keeps each message
mkdir mails
cat > fake-sendmail <<EOF
#!/bin/sh
[ "\$1" = -t ] || exit 64
cat > "$T/mails/msg.\$\$"
EOF
chmod +x fake-sendmail
mkdir out2
"$M" -c node1.conf dmarc-report --day "$DAY" --out out2 --send --dns-file zone > send.out 2> send.err
check "--send: sent to a.example's own address" grep -q '^sent a.example dmarc@a.example$' send.out
check "--send: b.example's external rua refused without _report._dmarc" \
	grep -q '^refused b.example mailto:rep@ext.example: b.example._report._dmarc.ext.example has no DMARC record' send.out
check "--send: c.example's external rua accepted with its record" \
	grep -q '^sent c.example rep@ext2.example$' send.out
check "--send: 3 messages to the fake sendmail" test "$(ls mails | wc -l)" = 3
mkdir out3
"$M" -c node1.conf dmarc-report --day "$DAY" --out out3 --send --dns-file zone2 > send2.out 2>&1
check "--send: b.example accepted once ext.example publishes the record" \
	grep -q '^sent b.example rep@ext.example$' send2.out
AM=$(grep -l '^To: dmarc@a.example' mails/* | head -1)
python3 - "$AM" "$(ls out2/*'!a.example!'*)" > mail.check <<'EOF'
import sys, email, gzip, re
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
subj = re.sub(r'\s+', ' ', m['Subject'])
print('subject', bool(re.fullmatch(r'Report Domain: a\.example Submitter: rx\.example Report-ID: <[0-9a-f]+\.\d{4}-\d\d-\d\d@rx\.example>', subj)))
print('from', m['From'] == 'dmarc-reports@rx.example')
parts = [p for p in m.walk() if p.get_content_type() == 'application/gzip']
print('gzip', len(parts) == 1)
name = parts[0].get_filename() if parts else ''
print('name', name == sys.argv[2].split('/')[-1])
data = gzip.decompress(parts[0].get_payload(decode=True)) if parts else b''
print('same', data == gzip.decompress(open(sys.argv[2], 'rb').read()))
open('attached.xml', 'wb').write(data)
EOF
check "the message's Subject is RFC 9990's" grep -q '^subject True' mail.check
check "its From is dmarc_report_email" grep -q '^from True' mail.check
check "one application/gzip attachment, named as the file" \
	sh -c "grep -q '^gzip True' mail.check && grep -q '^name True' mail.check"
check "the attachment decompresses to the report" grep -q '^same True' mail.check
check "the attached report validates" xmllint --noout --schema "$XSD" attached.xml

# Redis down: the verdict is the same, the row is lost, no tempfail
redis_stop main
send node1.conf 192.0.2.9 a.example > down.out 2> down.err
check "Redis down: the forgery is still refused (no tempfail)" grep -q 'action=reject.*5.7.1' down.out
send node1.conf 192.0.2.1 a.example > down2.out 2> down2.err
check "Redis down: a good message is still accepted" grep -q '^action=accept' down2.out
check "Redis down: the outage is logged" grep -q 'Redis .* unavailable' down.err

echo "# $n tests, $fails failed"
exit $((fails > 0))
