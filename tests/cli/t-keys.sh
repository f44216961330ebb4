#!/bin/bash
# t-keys.sh - the key life cycle against a real authoritative server
# (nsd) on loopback, as docs/keys.md describes it:
#   keygen   makes its directory, prints the record to publish (pasted
#            as printed into the zone, it is what DNS serves)
#   testkey  ok (RSA, Ed25519, t=y), NXDOMAIN, NODATA, revoked, another
#            key, the wrong type, malformed, two records, h=sha1; exit
#            3 when DNS does not answer; DNSSEC: secure, insecure, and
#            a wrong trust anchor (3, never ok); every key of the
#            signing table at once
#   key      rotate (date-named selectors), step while DNS does not
#            publish (waits, table untouched; a wrong record is an
#            error naming what to publish), step once published (the
#            new lines beside the old, both sign), a new record
#            removed during the grace period (the new keys leave the
#            table), the grace period over (the old keys leave it,
#            revocation records printed), done (revoked or not yet),
#            an old record gone early, a first key (-t), abort, a step
#            interrupted between table and state, the lock, owner,
#            group and mode of the table and keys kept
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
. "$ROOT/tests/lib/nsd.sh"
T=$(mktemp -d)
trap 'nsd_stop; rm -rf "$T"' EXIT
cd "$T" || exit 1
. "$ROOT/tests/lib/check.sh"

# run NAME WANT COMMAND...: exit status WANT; out.txt, err.txt kept
run() {
	local name=$1 want=$2 got
	shift 2
	"$@" > out.txt 2> err.txt
	got=$?
	if [ "$got" = "$want" ]; then ok "$name"
	else nok "$name - exit $got, wanted $want: $(head -c 400 out.txt err.txt | tr '\n' '|')"; fi
}
# has NAME ERE [FILE]: FILE (out.txt) has a line matching ERE
has() {
	if grep -qE -- "$2" "${3:-out.txt}"; then ok "$1"
	else nok "$1 - wanted /$2/ in: $(head -c 600 "${3:-out.txt}" | tr '\n' '|')"; fi
}
hasnt() {
	if grep -qE -- "$2" "${3:-out.txt}"; then nok "$1 - /$2/ in: $(grep -E -- "$2" "${3:-out.txt}" | head -3 | tr '\n' '|')"
	else ok "$1"; fi
}
same() {        # same NAME FILE1 FILE2
	if cmp -s "$2" "$3"; then ok "$1"; else nok "$1 - $(diff "$2" "$3" | head -8 | tr '\n' '|')"; fi
}
pvalue() { grep -o '"[^"]*"' "$1" | tr -d '"\n' | sed 's/.*p=//'; }

# the zones: ZONE.records (edited by the test), served anew by publish
publish() { nsd_publish "$1" 60 "$1.records" || nok "nsd reads $1 again"; }

# --- keygen ------------------------------------------------------------------
run "keygen makes the missing directories of -o" 0 "$M" keygen -d example.com -s old -o keys/a/b
[ -d keys/a/b ] && [ -s keys/a/b/old.private ] && ok "keygen: keys/a/b/old.private written" || nok "keygen: no key in keys/a/b"
grep -v '^;' out.txt > old.line
has "keygen prints the zone-file line of the record" \
	$'^old\\._domainkey\\.example\\.com\\.\tIN\tTXT\t\\( "v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+" "[A-Za-z0-9+/=]+" \\)$'
has "... with comments naming the key and the .txt file" '^; private key keys/a/b/old\.private .*mode 0600'
same "the printed line is the .txt file's" old.line keys/a/b/old.txt
[ "$(pvalue old.line)" = "$(openssl pkey -in keys/a/b/old.private -pubout -outform DER 2> /dev/null | base64 -w0)" ] \
	&& ok "the printed p= is the key's public half (openssl)" || nok "the printed p= is not the key's"
mv keys/a/b/old.* keys/ && rm -r keys/a
run "keygen ed25519" 0 "$M" keygen -d example.com -s olded -t ed25519 -o keys
cp out.txt olded.out
for s in other:rsa small:rsa twin2:rsa; do
	"$M" keygen -d example.com -s "${s%%:*}" -t "${s#*:}" -o keys > /dev/null || nok "keygen ${s%%:*}"
done
"$M" keygen -d example.com -s tiny -b 1024 -o keys > /dev/null
run "keygen -o onto a file: exit 1, named" 1 "$M" keygen -d example.com -s x -o keys/old.txt
has "... not a directory" 'keys/old.txt: not a directory' err.txt

# --- DNS ---------------------------------------------------------------------
OLDP=$(pvalue keys/old.txt)
{
	cat olded.out                           # pasted as keygen printed it
	cat keys/old.txt
	sed 's/^other\./mismatch./' keys/other.txt      # another key at the name
	echo 'revoked._domainkey IN TXT "v=DKIM1; k=rsa; p="'
	echo 'nodata._domainkey IN A 127.0.0.1'
	echo 'malformed._domainkey IN TXT "v=DKIM1; k=rsa; p=!!notbase64"'
	cat keys/old.txt; sed 's/^twin2\./old2./' keys/twin2.txt
	echo "sha1._domainkey IN TXT \"v=DKIM1; h=sha1; k=rsa; p=${OLDP:0:200}\" \"${OLDP:200}\""
	echo "testing._domainkey IN TXT \"v=DKIM1; t=y; k=rsa; p=${OLDP:0:200}\" \"${OLDP:200}\""
} > example.com.records
# the second copy of old's record goes to old2 (two records at old2)
awk 'BEGIN { n = 0 } /^old\._domainkey/ { n++; if (n == 2) sub(/^old\./, "old2.") } { print }' \
	example.com.records > x && mv x example.com.records
nsd_zone example.com 60 example.com.records > example.com.zone
# a DNSSEC-signed zone, its trust anchor, and a wrong one
"$M" keygen -d signed.test -s sec -o keys > /dev/null
nsd_signed_zone signed.test 300 keys/sec.txt
: > new.example.records
nsd_zone new.example 60 new.example.records > new.example.zone
nsd_start "$T" example.com signed.test new.example || { nok "nsd starts"; exit 1; }
ok "nsd on 127.0.0.1:$NSD_PORT"
cat > ms.conf <<EOF
dns_resolver = 127.0.0.1:$NSD_PORT
dns_timeout = 500ms
signing_table = $T/signing.table
key_dir = $T/kd
key_grace = 4s
EOF

# --- testkey ---------------------------------------------------------------------
tk() { "$M" -c ms.conf testkey -d example.com -s "$1" -k "keys/$2.private"; }
run "testkey: the RSA record published: exit 0" 0 tk old old
has "... ok, the key's size, not DNSSEC-validated without an anchor" \
	'^old\._domainkey\.example\.com: ok: the record holds the public key \(rsa, 2048 bits\) \(key keys/old\.private\); not DNSSEC-validated \(dns_trust_anchor is not set\)$'
run "testkey: the Ed25519 record, pasted with keygen's comments: exit 0" 0 tk olded olded
has "... ok (ed25519)" '^olded\._domainkey\.example\.com: ok: .*\(ed25519, 256 bits\)'
run "testkey: t=y: still ok" 0 tk testing old
has "... noted" 'ok: .*t=y \(testing\)'
run "testkey: no such name: exit 1" 1 tk nothing old
has "... nxdomain" '^nothing\._domainkey\.example\.com: nxdomain: no such name \(NXDOMAIN\)'
run "testkey: a name with no TXT record: exit 1" 1 tk nodata old
has "... nodata" '^nodata\._domainkey\.example\.com: nodata: the name has no TXT record \(NODATA\)'
run "testkey: a revoked record: exit 1" 1 tk revoked old
has "... revoked" '^revoked\._domainkey\.example\.com: revoked: the key is revoked \(p= is empty\)'
run "testkey: another key published: exit 1" 1 tk mismatch old
has "... mismatch" '^mismatch\._domainkey\.example\.com: mismatch: the record holds another rsa key'
run "testkey: an Ed25519 record for an RSA key: exit 1" 1 tk olded old
has "... wrong type" 'wrong-type: the record holds an ed25519 key, the private key is rsa'
run "testkey: a record that does not parse: exit 1" 1 tk malformed old
has "... malformed, why" 'malformed: the record does not parse: key record p= is not valid base64'
run "testkey: two records at the name: exit 1" 1 tk old2 old
has "... multiple" 'multiple: 2 TXT records'
run "testkey: h=sha1 only: exit 1" 1 tk sha1 old
has "... unusable" "unusable: the record's h= does not allow sha256"
run "testkey: an unreadable key file: exit 1" 1 tk old missing
has "... named" 'keys/missing\.private' err.txt
run "testkey: -d without -s and -k: exit 2" 2 "$M" -c ms.conf testkey -d example.com
run "testkey: a bad domain: exit 2" 2 "$M" -c ms.conf testkey -d 'exa mple.com' -s x -k keys/old.private
nsd_freeze
printf 'dns_resolver = 127.0.0.1:%s\ndns_timeout = 300ms\n' "$NSD_PORT" > slow.conf
run "testkey: the server does not answer: exit 3 (ask later)" 3 "$M" -c slow.conf testkey -d example.com -s old -k keys/old.private
has "... tempfail, why" '^old\._domainkey\.example\.com: tempfail: DNS gave no answer: DNS lookup timed out after 300 ms'
nsd_thaw
# DNSSEC, through libunbound
printf 'dns_resolver = 127.0.0.1:%s\ndns_trust_anchor = %s\n' "$NSD_PORT" "$T/anchor.ds" > sec.conf
printf 'dns_resolver = 127.0.0.1:%s\ndns_trust_anchor = %s\n' "$NSD_PORT" "$T/wrong.ds" > wrong.conf
run "testkey: a signed zone with its trust anchor: exit 0" 0 "$M" -c sec.conf testkey -d signed.test -s sec -k keys/sec.private
has "... DNSSEC-validated (secure)" '^sec\._domainkey\.signed\.test: ok: .*; DNSSEC-validated \(secure\)$'
run "testkey: an unsigned zone with a trust anchor: exit 0" 0 "$M" -c sec.conf testkey -d example.com -s old -k keys/old.private
has "... insecure" 'ok: .*; not DNSSEC-validated: the zone is not signed \(insecure\)$'
run "testkey: a signed zone without an anchor: exit 0, not validated" 0 "$M" -c ms.conf testkey -d signed.test -s sec -k keys/sec.private
has "... not validated" 'not DNSSEC-validated \(dns_trust_anchor is not set\)$'
run "testkey: a wrong trust anchor: exit 3, never ok" 3 "$M" -c wrong.conf testkey -d signed.test -s sec -k keys/sec.private
has "... the validation failure said" '^sec\._domainkey\.signed\.test: tempfail: DNS gave no answer: DNSSEC validation failed'
# every key of the signing table
printf 'example.com old %s/keys/old.private\n.example.com old %s/keys/old.private\nexample.com olded %s/keys/olded.private\n' \
	"$T" "$T" "$T" > signing.table
run "testkey without arguments: every key of the table published: exit 0" 0 "$M" -c ms.conf testkey
[ "$(grep -c ': ok: ' out.txt)" = 2 ] && ok "... one line per key (the .example.com line is the same key)" \
	|| nok "... $(grep -c ': ok: ' out.txt) ok lines: $(tr '\n' '|' < out.txt)"
printf 'example.com other %s/keys/small.private\n' "$T" >> signing.table
run "... one of them not published: exit 1" 1 "$M" -c ms.conf testkey
has "... that one named" '^other\._domainkey\.example\.com: nxdomain: .*small\.private'
printf 'signing_table = %s/none\n' "$T" > nt.conf
run "testkey without arguments and no signing_table file: exit 1" 1 "$M" -c nt.conf testkey
run "testkey without arguments and no signing_table setting: exit 2" 2 "$M" -c slow.conf testkey

# --- key rotate -----------------------------------------------------------------
DATE=$(date -u +%Y%m%d)
NR=$DATE-rsa NE=$DATE-ed25519
KD=$T/kd/example.com
getent group mail > /dev/null || { nok "test setup: group mail"; exit 1; }
cat > signing.table <<EOF
# the signing table
example.com   old    $T/keys/old.private     # RSA
.example.com  old    $T/keys/old.private
example.com   olded  $T/keys/olded.private
other.example old    $T/keys/old.private
EOF
chgrp mail signing.table keys/old.private keys/olded.private
chmod 0640 signing.table keys/old.private
chmod 0604 keys/olded.private
cp signing.table table.0
INODE0=$(stat -c %i signing.table)
sign_verify() {         # the table signs a message; the selectors that pass
	printf 'From: a@example.com\r\nTo: b@example.net\r\nSubject: k\r\n\r\nhello\r\n' > m.eml
	"$M" -c ms.conf policy --auth alice --message m.eml > s.eml 2> /dev/null
	"$M" -c ms.conf verify s.eml | grep -oE 'dkim=pass header.d=example.com header.s=[^ ]+' |
		sed 's/.*header.s=//' | sort | tr '\n' ' '
}
[ "$(sign_verify)" = "old olded " ] && ok "before: the table signs with old and olded" || nok "before: $(sign_verify)"

run "key step with no rotation: exit 0" 0 "$M" -c ms.conf key step
has "... says none is under way" '^no key rotation under way in '
run "key rotate without -d: exit 2" 2 "$M" -c ms.conf key rotate
run "key rotate -t dsa: exit 2" 2 "$M" -c ms.conf key rotate -d example.com -t dsa
run "key rotate of a domain with no line and no -t: exit 2" 2 "$M" -c ms.conf key rotate -d new.example
has "... says to name the type with -t" 'new.example has no line in the signing table: name the type of its first key with -t' err.txt
run "key rotate -d example.com: exit 0" 0 "$M" -c ms.conf key rotate -d example.com
cp out.txt rotate.out
has "the new RSA selector is named by the date, its record printed" "^$NR\\._domainkey\\.example\\.com\\."$'\t'"IN"$'\t'"TXT"$'\t'"\\( \"v=DKIM1; k=rsa; p="
has "... and the Ed25519 one" "^$NE\\._domainkey\\.example\\.com\\."$'\t'"IN"$'\t'"TXT"$'\t'"\\( \"v=DKIM1; k=ed25519; p="
has "... with what to do next" '^;     mailseal key step -d example\.com$'
[ -s "$KD/$NR.private" ] && [ -s "$KD/$NE.private" ] && ok "the new keys are in key_dir/example.com" || nok "new keys missing: $(ls "$KD")"
[ "$(stat -c '%G %a' "$KD/$NR.private")" = "mail 640" ] && [ "$(stat -c '%G %a' "$KD/$NE.private")" = "mail 600" ] \
	&& ok "each new key has the old one's group and mode (others' rights dropped)" \
	|| nok "new keys: $(stat -c '%n %G %a' "$KD"/*.private | tr '\n' '|')"
same "the table is untouched until DNS publishes the new records" table.0 signing.table
has "the state file says publish" '^state publish$' "$KD/rotation"
run "key rotate again while one is under way: exit 1" 1 "$M" -c ms.conf key rotate -d example.com
has "... says how to move it on or drop it" 'a rotation of example.com is under way \(publish since .*key step -d example.com.*key abort -d example.com' err.txt
run "key status" 0 "$M" -c ms.conf key status
has "... publish, old -> new" "^example.com:   old -> $NR "

run "key step before the records are published: exit 3 (waiting)" 3 "$M" -c ms.conf key step -d example.com
has "... NXDOMAIN said" "^example.com:   $NR\\._domainkey\\.example\\.com: nxdomain"
has "... waiting" '^example.com: waiting for DNS to publish'
run "key step -q while waiting: exit 3" 3 "$M" -c ms.conf key step -q
[ ! -s out.txt ] && ok "... and says nothing" || nok "... -q said: $(tr '\n' '|' < out.txt)"
same "... the table still untouched" table.0 signing.table

# a wrong record at a new name: an error that says what to publish
sed "s/^other\\./$NR./" keys/other.txt >> example.com.records
publish example.com
run "key step with another key at a new name: exit 1" 1 "$M" -c ms.conf key step -d example.com
has "... mismatch said" "^example.com:   $NR\\._domainkey\\.example\\.com: mismatch: "
has "... and the record to publish printed" "^$NR\\._domainkey\\.example\\.com\\."$'\t'"IN"$'\t'"TXT"$'\t'"\\( \"v=DKIM1; k=rsa; p=$(pvalue "$KD/$NR.txt" | cut -c1-40)"
run "key step -q shows a wrong record too: exit 1" 1 "$M" -c ms.conf key step -q
has "... mismatch" 'mismatch'
same "... the table still untouched" table.0 signing.table

# the records published as key rotate printed them
grep -v "^$NR\\." example.com.records > x && mv x example.com.records
cat rotate.out >> example.com.records
publish example.com
cp "$KD/rotation" rotation.publish
run "key step once DNS publishes both: exit 0" 0 "$M" -c ms.conf key step -d example.com
has "... the new keys sign, with the old ones until a date" '^example.com: the new keys are published and sign from now on, with the old ones until 20'
cat > table.1 <<EOF
# the signing table
example.com   old    $T/keys/old.private     # RSA
example.com $NR $KD/$NR.private
.example.com  old    $T/keys/old.private
.example.com $NR $KD/$NR.private
example.com   olded  $T/keys/olded.private
example.com $NE $KD/$NE.private
other.example old    $T/keys/old.private
EOF
same "the new lines beside each line of the old keys, the rest as written" table.1 signing.table
[ "$(stat -c '%G %a' signing.table)" = "mail 640" ] && ok "the table keeps its group and mode" || nok "table: $(stat -c '%G %a' signing.table)"
[ "$(stat -c %i signing.table)" != "$INODE0" ] && ok "the table was replaced (another inode: renamed over)" || nok "the table was written in place"
ls -a . | grep -q '^\.signing\.table\.' && nok "a temporary file is left" || ok "no temporary file left beside the table"
has "the state is grace" '^state grace$' "$KD/rotation"
[ "$(sign_verify)" = "$NE $NR old olded " ] && ok "during the grace period both keys sign (4 signatures pass)" || nok "grace: $(sign_verify)"

# a step stopped between the table and the state: done again, same end
cp "$KD/rotation" rotation.grace
cp rotation.publish "$KD/rotation"
run "a step repeated after it stopped before writing its state: exit 0" 0 "$M" -c ms.conf key step -d example.com
same "... the table is the same (nothing added twice)" table.1 signing.table
has "... the state is grace again" '^state grace$' "$KD/rotation"
cp rotation.grace "$KD/rotation"

run "key step during the grace period: exit 3" 3 "$M" -c ms.conf key step
has "... until when" '^example.com: grace: old and new keys sign until 20'
run "key status in grace" 0 "$M" -c ms.conf key status -d example.com
has "... grace" '^example.com: grace: old and new keys sign since '

# a new record withdrawn during the grace period: the new keys leave
grep -v "^$NE\\." example.com.records > x && mv x example.com.records
publish example.com
run "key step when a new record is no longer published: exit 1" 1 "$M" -c ms.conf key step -q
has "... says so" '^example.com: a new key.s record is no longer published: the new keys left the signing table'
has "... which one" "^example.com:   $NE\\._domainkey\\.example\\.com: nxdomain"
same "... the table is as before the rotation" table.0 signing.table
has "... the state is publish again" '^state publish$' "$KD/rotation"
[ "$(sign_verify)" = "old olded " ] && ok "... only the old keys sign" || nok "after withdrawal: $(sign_verify)"
grep "^$NE\\." rotate.out >> example.com.records
publish example.com
run "published again: key step exit 0" 0 "$M" -c ms.conf key step
same "... the same table as the first time" table.1 signing.table

# the grace period over
sleep 4
run "key step after key_grace: exit 0" 0 "$M" -c ms.conf key step
cp out.txt drop.out
has "... the old keys no longer sign" '^example.com: the old keys no longer sign \(key_grace is over\); revoke their records by publishing:$'
has "... the revocation record of old" $'^old\\._domainkey\\.example\\.com\\.\tIN\tTXT\t\\( "v=DKIM1; p=" \\)$'
has "... and of olded" $'^olded\\._domainkey\\.example\\.com\\.\tIN\tTXT\t\\( "v=DKIM1; p=" \\)$'
has "... olded's key file is no longer named: delete it" "no line of $T/signing.table names $T/keys/olded.private any more"
hasnt "... old's is still named (other.example)" "names $T/keys/old.private any more"
cat > table.2 <<EOF
# the signing table
example.com $NR $KD/$NR.private
.example.com $NR $KD/$NR.private
example.com $NE $KD/$NE.private
other.example old    $T/keys/old.private
EOF
same "the old lines of example.com are gone, other.example's kept" table.2 signing.table
[ "$(sign_verify)" = "$NE $NR " ] && ok "only the new keys sign" || nok "after: $(sign_verify)"
has "the state is done" '^state done$' "$KD/rotation"
run "key step when done: exit 0" 0 "$M" -c ms.conf key step -d example.com
has "... the old records are not revoked yet" '^example.com: old\._domainkey\.example\.com is not revoked yet \(ok: '
run "key step -q when done: exit 0, silent" 0 "$M" -c ms.conf key step -q
[ ! -s out.txt ] && ok "... nothing said" || nok "... said: $(tr '\n' '|' < out.txt)"
# the revocation records published as the step printed them
{ grep -vE '^old(ed)?\._domainkey\.example\.com\.' example.com.records; grep -E '"v=DKIM1; p=" \)$' drop.out; } > x
mv x example.com.records
publish example.com
run "key step after the revocations are published" 0 "$M" -c ms.conf key step -d example.com
has "... old revoked" '^example.com: old\._domainkey\.example\.com: the key is revoked'

# a new rotation of the same domain the same day; abort drops it
run "key rotate again once done: exit 0" 0 "$M" -c ms.conf key rotate -d example.com -t ed25519
has "... the selector of the day is taken: -2" "^$NE-2\\._domainkey\\.example\\.com\\."
hasnt "... only the Ed25519 key rotates (-t)" "k=rsa"
has "... it replaces $NE" "^key $NE $KD/$NE.private $NE-2 " "$KD/rotation"
grep -v '^;' out.txt >> example.com.records
publish example.com
run "key step: exit 0" 0 "$M" -c ms.conf key step -d example.com
has "... $NE-2 joins beside $NE" "^example.com $NE-2 $KD/$NE-2.private$" signing.table
run "key abort during the grace period: exit 0" 0 "$M" -c ms.conf key abort -d example.com
same "... the table is as before" table.2 signing.table
[ ! -e "$KD/$NE-2.private" ] && [ ! -e "$KD/$NE-2.txt" ] && [ ! -e "$KD/rotation" ] \
	&& ok "... the new key files and the state are gone" || nok "... left: $(ls "$KD" | tr '\n' ' ')"
has "... says the record can go" "^example.com: $NE-2\\._domainkey\\.example\\.com can go from DNS"
run "key abort with none under way: exit 1" 1 "$M" -c ms.conf key abort -d example.com

# an old record withdrawn during the grace period: the old key leaves at once
sed -i 's/^key_grace = .*/key_grace = 7d/' ms.conf
run "key rotate -t rsa" 0 "$M" -c ms.conf key rotate -d example.com -t rsa
grep -v '^;' out.txt >> example.com.records
publish example.com
run "key step: grace (7 days)" 0 "$M" -c ms.conf key step -d example.com
grep -v "^$NR\\._domainkey" example.com.records > x && mv x example.com.records
publish example.com
run "the old record withdrawn: key step exit 0" 0 "$M" -c ms.conf key step -d example.com
has "... the old key leaves at once" '^example.com: the old keys no longer sign \(a record of theirs is gone from DNS\)'
hasnt "... the old key is out of the table" "^example.com $NR " signing.table
has "... the new one signs" "^example.com $NR-2 $KD/$NR-2.private$" signing.table

# a first key for a domain: -t, no grace
run "key rotate -d new.example -t ed25519: exit 0" 0 "$M" -c ms.conf key rotate -d new.example -t ed25519
[ "$(stat -c '%G' "$T/kd/new.example/$NE.private")" = mail ] && ok "... the first key takes the table's first key's group" \
	|| nok "... group $(stat -c %G "$T/kd/new.example/$NE.private")"
grep -v '^;' out.txt > new.example.records
publish new.example
run "key step: exit 0" 0 "$M" -c ms.conf key step -d new.example
has "... done at once" '^new.example: the new keys are published and sign from now on; the rotation is done$'
has "... its line at the end of the table" "^new.example $NE $T/kd/new.example/$NE.private$" signing.table

# the lock: a second run waits for the first
flock "$T/kd/.lock" sleep 3 &
LOCKER=$!
sleep 0.3
timeout 1 "$M" -c ms.conf key status > /dev/null 2>&1
[ $? = 124 ] && ok "key commands wait for the one holding key_dir/.lock" || nok "key status did not wait for the lock"
wait "$LOCKER"
# a table that would not load is never written
run "key rotate -d new.example again (its rotation is done)" 0 "$M" -c ms.conf key rotate -d new.example
grep -v '^;' out.txt >> new.example.records
publish new.example
echo "example.org broken" >> signing.table
cp signing.table table.4
run "key step with a broken line in the table: exit 1" 1 "$M" -c ms.conf key step -d new.example
has "... the table as it would be is refused, named by file and line" "the signing table as it would be: $T/signing.table:[0-9]+: expected DOMAIN SELECTOR KEYFILE; left unchanged" err.txt
same "... and left unchanged" table.4 signing.table
has "... the state too" '^state publish$' "$T/kd/new.example/rotation"
[ $fails = 0 ]
