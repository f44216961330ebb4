#!/bin/bash
# t-complaint.sh - abuse complaints and revocation in the farm's Redis,
# with `mailseal complaint` as an abuse@ address's pipe runs it, keys in
# a real nsd and a real redis-server, all on 127.0.0.1 high ports:
#   - a message accepted by a node (mailseal policy, the farm's record of
#     its signature) and reported by three users as three distinct spams
#     of spam.example: counted 1, 2, 3 offences; the third revokes
#     domain:spam.example (revoke list / show with the evidence)
#   - forged complaints count zero: evidence whose signature fails and
#     that the farm never saw, the same reporter twice, an unknown
#     reporter (no --reporter, a domain not in complaint_reporters, a
#     listed domain whose report is not signed), one replayed message
#     reported by many (one offence however many reporters)
#   - evidence whose key was since withdrawn counts when the farm's
#     record shows it was accepted ("recorded"), not otherwise
#   - a reporter domain of complaint_reporters with a report signed and
#     aligned: counted
#   - a protected identity goes to pending, not revoked; so does one past
#     the hourly cap
#   - revoke add / remove by hand, audited
#   - a CA's CRL imported (its signature checked; another CA's refused),
#     the revoked keys exported as a Postfix check_ccert_access table
#   - Redis stopped: exit 75 (the MTA keeps the report and retries)
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
T=$(mktemp -d)
REDIS_DIR="$T/redis"
. "$ROOT/tests/lib/nsd.sh"
. "$ROOT/tests/lib/redis.sh"
trap 'nsd_stop; redis_stop_all; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP
cd "$T" || exit 1

n=0
fails=0
ok()  { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; fails=$((fails + 1)); }
expect() {      # expect NAME GOT ERE
	if printf '%s\n' "$2" | grep -qE -- "$3"; then ok "$1 ($(printf '%s' "$2" | head -c 200))"
	else nok "$1 - wanted /$3/, got: $(printf '%s' "$2" | tr '\n' '|' | head -c 400)"; fi
}

# keys: spam.example (the spammer), isp.example (a feedback loop),
# big.example (a protected sender), other.example (its key is withdrawn
# later)
mkdir keys
for ks in spam.example:s1 isp.example:fbl big.example:b1 other.example:o1 cap.example:c1; do
	mkdir -p "keys/${ks%%:*}" && "$M" keygen -d "${ks%%:*}" -s "${ks##*:}" -t ed25519 -o "keys/${ks%%:*}" > /dev/null 2>&1 \
		|| { nok "keygen $ks"; exit 1; }
done
rec() { sed -n 's/.*( "\(.*\)" ).*/\1/p' "keys/$1/$2.txt"; }
zone() {        # zone DOMAIN SELECTOR...
	local d=$1
	shift
	for s in "$@"; do printf '%s._domainkey IN TXT "%s"\n' "$s" "$(rec "$d" "$s")"; done > "$d.rr"
	nsd_zone "$d" 60 "$d.rr" > "$d.zone"
}
zone spam.example s1
zone isp.example fbl
zone big.example b1
zone other.example o1
zone cap.example c1
nsd_start "$T" spam.example isp.example big.example other.example cap.example || { nok "nsd starts"; exit 1; }
redis_start main || { nok "redis-server starts"; exit 1; }
P=$REDIS_PORT_main
ok "nsd on $NSD_PORT, redis-server on $P"

cat > farm.conf <<EOF
dns_resolver = 127.0.0.1:$NSD_PORT
redis_url = redis://127.0.0.1:$P
complaint_reporters = isp.example
complaint_threshold = 3
revocation_protect = big.example
revocation_max_per_hour = 10
authserv_id = mx.farm.example
EOF
"$M" -c farm.conf config check > cc.out 2>&1 && ok "config check accepts the complaint settings" \
	|| nok "config check: $(tr '\n' ' ' < cc.out)"

# spam N DOMAIN SELECTOR: a signed message (distinct b= per N)
spam() {
	printf 'From: Winner <win@%s>\r\nTo: you@farm.example\r\nSubject: you won %s\r\nMessage-ID: <%s@%s>\r\n\r\nClaim prize number %s now.\r\n' \
		"$2" "$1" "$1" "$2" "$1" > "raw-$1.eml"
	"$M" sign -d "$2" -s "$3" -k "keys/$2/$3.private" "raw-$1.eml" > "spam-$1.eml"
}
# arf FILE FROM ORIGINAL: an ARF report around ORIGINAL
arf() {
	{
		printf 'From: %s\r\nTo: abuse@farm.example\r\nSubject: FW: spam\r\nMIME-Version: 1.0\r\n' "$2"
		printf 'Content-Type: multipart/report; report-type=feedback-report; boundary="b0"\r\n\r\n'
		printf -- '--b0\r\nContent-Type: text/plain\r\n\r\nThis is spam.\r\n'
		printf -- '--b0\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: t/1\r\nVersion: 1\r\n\r\n'
		printf -- '--b0\r\nContent-Type: message/rfc822\r\n\r\n'
		cat "$3"
		printf '\r\n--b0--\r\n'
	} > "$1"
}
complain() {    # complain REPORT [REPORTER]: the decision line; RC
	if [ $# -gt 1 ]; then OUT=$("$M" -c farm.conf complaint --reporter "$2" < "$1" 2>&1)
	else OUT=$("$M" -c farm.conf complaint < "$1" 2>&1); fi
	RC=$?
}
for i in 1 2 3 4 5 6; do spam "$i" spam.example s1 || nok "sign $i"; done

# --- three users, three distinct spams: revoked at the third ----------------
arf r1.eml 'Alice <alice@farm.example>' spam-1.eml
complain r1.eml alice
expect "1st complaint (alice, spam 1): counted, 1 of 3 offences" "$RC $OUT" \
	'^0 counted: complaint [0-9]+ by user:alice about signature [0-9a-f]{32} of spam\.example \(verified\); domain:spam\.example: 1 of 3 offences$'
complain r1.eml alice
expect "the same reporter again: a repeat, not counted" "$RC $OUT" '^0 not counted: a repeat \(user:alice already complained'
arf r2.eml 'Bob <bob@farm.example>' spam-2.eml
complain r2.eml bob
expect "2nd complaint (bob, spam 2): 2 of 3" "$RC $OUT" 'domain:spam\.example: 2 of 3 offences$'
# a replayed spam (spam 1 again) reported by many: still one offence
for u in carol dave erin; do complain r1.eml "$u"; done
expect "spam 1 reported by three more users: counted, but still 2 offences (one per distinct signature)" \
	"$RC $OUT" '^0 counted: .*domain:spam\.example: 2 of 3 offences$'
arf r3.eml 'Frank <frank@farm.example>' spam-3.eml
complain r3.eml frank
expect "3rd distinct spam (frank): 3 of 3, now revoked" "$RC $OUT" \
	'domain:spam\.example: 3 of 3 offences, now revoked \(revocation [0-9]+\)$'
RID=$(printf '%s' "$OUT" | sed -n 's/.*now revoked (revocation \([0-9]*\)).*/\1/p')
L=$("$M" -c farm.conf revoke list 2>&1)
expect "revoke list shows it" "$L" "^$RID revoked domain:spam\\.example\$"
S=$("$M" -c farm.conf revoke show "$RID" 2>&1)
expect "revoke show: how, why, the three offences" "$S" 'how complaints'
expect "... the evidence: the farm's records of the signatures" "$(printf '%s\n' "$S" | grep -c '^evidence [0-9a-f]\{32\} ')" '^3$'
complain r2.eml grace
expect "a later complaint keeps it revoked, not a second revocation" "$RC $OUT" 'revoked \(revocation '"$RID"'\)$'
C=$("$M" -c farm.conf complaints list 2>&1)
expect "complaints list: every counted complaint (7)" "$(printf '%s\n' "$C" | grep -c .)" '^7$'
CID=$(printf '%s\n' "$C" | head -1 | cut -d' ' -f1)
expect "complaints show: reporter, evidence, identities" "$("$M" -c farm.conf complaints show "$CID" 2>&1 | tr '\n' ' ')" \
	'evidence verified .*identities domain:spam\.example .*reporter user:alice'

# --- forged complaints count zero --------------------------------------------
sed 's/Claim prize number 4/Claim prize number 44/' spam-4.eml > tampered.eml
arf r4.eml 'Alice <alice@farm.example>' tampered.eml
complain r4.eml alice
expect "tampered evidence the farm never saw: not counted" "$RC $OUT" '^0 not counted: no evidence'
printf 'From: a@spam.example\r\nSubject: no sig\r\n\r\nx\r\n' > unsigned.eml
arf r5.eml 'Alice <alice@farm.example>' unsigned.eml
complain r5.eml alice
expect "unsigned evidence: not counted" "$RC $OUT" 'not counted: no evidence .*carries no DKIM signature'
arf r6.eml 'Mallory <m@evil.example>' spam-5.eml
complain r6.eml
expect "no --reporter, a domain not in complaint_reporters: not counted" "$RC $OUT" \
	'^0 not counted: unknown reporter: .*evil\.example is not in complaint_reporters'
arf r7.eml 'FBL <fbl@isp.example>' spam-5.eml
complain r7.eml
expect "isp.example (listed) but its report is not signed: not counted" "$RC $OUT" \
	'^0 not counted: unknown reporter: the report from isp\.example carries no passing DKIM signature'
"$M" sign -d isp.example -s fbl -k keys/isp.example/fbl.private r7.eml > r7s.eml
complain r7s.eml
expect "isp.example's report signed and aligned: counted as domain:isp.example" "$RC $OUT" \
	'^0 counted: complaint [0-9]+ by domain:isp\.example about signature'
printf 'not a report at all\r\n' > junk.eml
complain junk.eml alice
expect "not a report: not counted, exit 0" "$RC $OUT" '^0 not counted: not a complaint report'

# --- evidence whose key was withdrawn: only with the farm's record -------------
# (other.example: spam.example is revoked by now, and the node would
# refuse its mail)
spam 7 other.example o1
spam 8 other.example o1
"$M" -c farm.conf policy --txid T7 --ip 192.0.2.7 --hostname mx.farm.example spam-7.eml > pol7.out 2>&1
expect "a message of other.example accepted by a node (its signature recorded)" "$(head -1 pol7.out)" 'action=accept'
zone other.example
# the key's record is gone from DNS, and from the farm's key cache (as
# once its TTL ran out)
rcli "$P" DEL mailseal:key:o1._domainkey.other.example > /dev/null
nsd_stop
nsd_start "$T" spam.example isp.example big.example other.example cap.example || nok "nsd restarts without o1"
sed -i "s/^dns_resolver = .*/dns_resolver = 127.0.0.1:$NSD_PORT/" farm.conf
arf r8.eml 'Ivan <ivan@farm.example>' spam-7.eml
complain r8.eml ivan
expect "key withdrawn, the farm accepted it: counted as recorded" "$RC $OUT" '^0 counted: .*\(recorded\)'
arf r9.eml 'Ivan <ivan@farm.example>' spam-8.eml
complain r9.eml ivan
expect "key withdrawn, the farm never saw it: not counted" "$RC $OUT" '^0 not counted: no evidence'

# --- a protected identity: pending, not revoked ---------------------------------
for i in 1 2 3; do
	printf 'From: news@big.example\r\nSubject: n%s\r\n\r\nnews %s\r\n' "$i" "$i" > braw-$i.eml
	"$M" sign -d big.example -s b1 -k keys/big.example/b1.private braw-$i.eml > big-$i.eml
	arf rb$i.eml "U$i <u$i@farm.example>" big-$i.eml
	complain rb$i.eml "user$i"
done
expect "big.example (revocation_protect): the third offence makes it pending, not revoked" "$RC $OUT" \
	'domain:big\.example: 3 of 3 offences, now pending \(revocation [0-9]+\)$'
expect "... revoke list says pending" "$("$M" -c farm.conf revoke list)" ' pending domain:big\.example$'

# --- the hourly cap: past it, pending ------------------------------------------------
sed 's/^revocation_max_per_hour = .*/revocation_max_per_hour = 0/' farm.conf > capped.conf
for i in 1 2 3; do
	printf 'From: promo@cap.example\r\nSubject: c%s\r\n\r\npromo %s\r\n' "$i" "$i" > craw-$i.eml
	"$M" sign -d cap.example -s c1 -k keys/cap.example/c1.private craw-$i.eml > cap-$i.eml
	arf rc$i.eml "V$i <v$i@farm.example>" cap-$i.eml
	OUT=$("$M" -c capped.conf complaint --reporter "v$i" < rc$i.eml 2>&1)
done
expect "revocation_max_per_hour reached: the third offence makes cap.example pending, not revoked" "$OUT" \
	'domain:cap\.example: 3 of 3 offences, now pending \(revocation [0-9]+\)$'
CAPID=$(printf '%s' "$OUT" | sed -n 's/.*now pending (revocation \([0-9]*\)).*/\1/p')
expect "... revoke show says why: the hourly cap" "$("$M" -c farm.conf revoke show "$CAPID" | tr '\n' ' ')" 'state pending .*why hourly cap'

# --- by hand ---------------------------------------------------------------------
A=$("$M" -c farm.conf revoke add domain Other.Example --why "phishing, ticket 42" 2>&1)
expect "revoke add domain: revoked" "$A" '^revoked domain:other\.example: revocation [0-9]+$'
MID=$(printf '%s' "$A" | sed -n 's/.*revocation \([0-9]*\)$/\1/p')
expect "revoke show: manual, by the admin, why" "$("$M" -c farm.conf revoke show "$MID" | tr '\n' ' ')" \
	'by admin:[^ ]+ how manual .*why phishing, ticket 42'
K=$(printf '%064d' 7)
expect "revoke add spki: revoked" "$("$M" -c farm.conf revoke add spki "$K" 2>&1)" "^revoked spki:$K: revocation [0-9]+\$"
expect "revoke remove: removed" "$("$M" -c farm.conf revoke remove "$MID" --why "cleared" 2>&1)" "^revocation $MID removed\$"
expect "revoke remove again: no such revocation in force, exit 1" "$("$M" -c farm.conf revoke remove "$MID" 2>&1; echo " rc=$?")" 'no revocation [0-9]+ in force'
expect "... exit 1" "$("$M" -c farm.conf revoke remove "$MID" > /dev/null 2>&1; echo "rc=$?")" '^rc=1$'
expect "the audit stream has every change" "$(rcli "$P" XLEN 'mailseal:{rev}:audit')" '^[0-9]+$'
AU=$(rcli "$P" XRANGE 'mailseal:{rev}:audit' - + | tr '\n' ' ')
expect "... with the removal, by whom and why" "$AU" 'event removed revocation '"$MID"' identity domain:other\.example by admin:[^ ]+ why cleared'
expect "bad usage: exit 2" "$("$M" -c farm.conf revoke add domain 'not a domain' 2>&1; echo "rc=$?")" 'rc=2'

# --- a CA's CRL imported; the revoked keys exported for Postfix --------------------
. "$ROOT/tests/lib/crl.sh"
mkdir pki
( cd pki &&
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -subj /CN=fed-ca -days 30 &&
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.crt -subj /CN=other-ca -days 30 &&
  for c in c1 c2; do
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $c.key -out $c.csr -subj /CN=$c &&
	openssl x509 -req -in $c.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $c.crt -days 30 || exit 1
  done ) > pki.log 2>&1 && mkcrl "$T/pki/crl" "$T/pki/ca.crt" "$T/pki/ca.key" "$T/pki/c1.crt" "$T/pki/c2.crt" \
	|| nok "test CA and CRL: $(tail -3 pki.log)"
I=$("$M" -c farm.conf revoke import-crl pki/crl/crl.pem --ca pki/ca.crt --why "federation CRL" 2>&1)
expect "import-crl, its signature checked against the CA: both certificates revoked" "$I" \
	'^CRL of /CN=fed-ca \(its signature checked\): 2 revoked certificates, 2 added, 0 known already$'
expect "import-crl again: known already" "$("$M" -c farm.conf revoke import-crl pki/crl/crl.pem 2>&1)" '2 revoked certificates, 0 added, 2 known already$'
expect "import-crl with another CA: refused, exit 2" "$("$M" -c farm.conf revoke import-crl pki/crl/crl.pem --ca pki/other.crt 2>&1 | tr '\n' ' '; echo "rc=${PIPESTATUS[0]}")" \
	'not issued by that CA.* rc=2$'
SER=$(openssl x509 -in pki/c1.crt -noout -serial | sed 's/.*=//; s/^0*//' | tr A-F a-f)
expect "revoke list: the serial, under its issuer" "$("$M" -c farm.conf revoke list)" " revoked serial:[0-9a-f]{32}:$SER\$"
E=$("$M" -c farm.conf revoke export postfix 2>&1)
expect "export postfix: a check_ccert_access line per revoked key (colon form, REJECT)" "$E" \
	"^$(printf '%s' "$K" | sed 's/../&:/g; s/:$//') REJECT this mail farm revoked this certificate's key \\(revocation [0-9]+\\)\$"

# --- Redis stopped: the report is kept (exit 75) ----------------------------------
redis_stop main
arf r10.eml 'Judy <judy@farm.example>' spam-6.eml
complain r10.eml judy
expect "Redis stopped: exit 75, not decided" "$RC $(printf '%s' "$OUT" | tr '\n' ' ')" '^75 .*the complaint could not be recorded: Redis did not answer'
echo "# $n tests, $fails failed"
exit $((fails > 0))
