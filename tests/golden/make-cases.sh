#!/bin/bash
# make-cases.sh - (re)create the golden cases: messages whose verdicts
# cover every rule of verification, the key file they need, and the
# test-only private keys they were signed with.  The cases are committed;
# run this only to add or change one, then review expected.txt by hand.
#   usage: tests/golden/make-cases.sh path/to/mailseal
set -eu
M=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")"
rm -rf cases privkeys keys
mkdir cases privkeys
k() { "$M" keygen -d example.com -s "$1" ${2:+-t "$2"} ${3:+-b "$3"} -o privkeys > /dev/null; }
rec() { grep -o '"[^"]*"' "privkeys/$1.txt" | tr -d '"\n'; }
k rsa; k ed ed25519; k old; k two; k tst; k strict; k hsha1; k sother; k mism
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 -out privkeys/small.private 2> /dev/null
{
	echo "# golden keys (test-only; private keys in privkeys/)"
	cat privkeys/rsa.txt privkeys/ed.txt
	echo "old._domainkey.example.com v=DKIM1; p="
	echo "two._domainkey.example.com $(rec two)"
	echo "two._domainkey.example.com $(rec two)"
	echo "tst._domainkey.example.com $(rec tst | sed 's/^v=DKIM1; /v=DKIM1; t=y; /')"
	echo "strict._domainkey.example.com $(rec strict | sed 's/^v=DKIM1; /v=DKIM1; t=s; /')"
	echo "hsha1._domainkey.example.com $(rec hsha1 | sed 's/^v=DKIM1; /v=DKIM1; h=sha1; /')"
	echo "sother._domainkey.example.com $(rec sother | sed 's/^v=DKIM1; /v=DKIM1; s=other; /')"
	echo "mism._domainkey.example.com $(rec ed | sed 's/^v=DKIM1; //')"
	echo "small._domainkey.example.com v=DKIM1; k=rsa; p=$(openssl pkey -in privkeys/small.private -pubout -outform DER | base64 -w0)"
} > keys

printf 'From: Joe <joe@example.com>\r\nTo: Ann <ann@example.net>\r\nSubject: golden\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <golden@example.com>\r\n\r\nHello Ann,\r\n\r\nthe golden files.\r\n' > msg.eml
s() {   # s NAME SELECTOR [sign options]: sign msg.eml into cases/NAME.eml
	local name=$1 sel=$2
	shift 2
	"$M" sign -d example.com -s "$sel" -k "privkeys/$sel.private" "$@" msg.eml > "cases/$name.eml"
}
s pass-rsa rsa
s pass-ed25519 ed -c simple/simple
s pass-dual rsa -d example.com -s ed -k privkeys/ed.private
s pass-lf rsa && sed -i 's/\r$//' cases/pass-lf.eml
s fail-body rsa && sed -i 's/golden files/golden filez/' cases/fail-body.eml
s fail-header ed && sed -i 's/^Subject: golden/Subject: gilded/' cases/fail-header.eml
s fail-added-from rsa && sed -i '1i From: Mallory <ceo@example.com>\r' cases/fail-added-from.eml
s revoked old
s nokey rsa && sed -i 's/s=rsa;/s=gone;/' cases/nokey.eml
s two-records two
s testing-fail tst && sed -i 's/golden files/golden filez/' cases/testing-fail.eml
s testing-pass tst
s strict-subdomain strict -i joe@mail.example.com
s strict-exact strict -i joe@example.com
s key-no-sha256 hsha1
s key-not-email sother
s key-type-mismatch rsa && sed -i 's/s=rsa;/s=mism;/' cases/key-type-mismatch.eml
s expired rsa -x 1
s unknown-alg rsa && sed -i 's/a=rsa-sha256;/a=rsa-md5;/' cases/unknown-alg.eml
s version-2 rsa && sed -i 's/v=1;/v=2;/' cases/version-2.eml
s i-outside-d rsa && sed -i 's/^DKIM-Signature: v=1;/DKIM-Signature: v=1; i=joe@example.org;/' cases/i-outside-d.eml
s h-without-from rsa -H to:subject:from && sed -i 's/h=to:subject:from;/h=to:subject;/' cases/h-without-from.eml
s duplicate-tag rsa && sed -i 's/^DKIM-Signature: v=1;/DKIM-Signature: v=1; v=1;/' cases/duplicate-tag.eml
s bad-base64 rsa && sed -i '0,/ b=/s/ b=/ b=!/' cases/bad-base64.eml
s missing-bh rsa && sed -i 's/ bh=/ xh=/' cases/missing-bh.eml
cp msg.eml cases/unsigned.eml
cp msg.eml cases/seven.eml
for i in 1 2 3 4 5 6 7; do "$M" sign -d example.com -s ed -k privkeys/ed.private cases/seven.eml > t.eml; mv t.eml cases/seven.eml; done
# rsa-sha1 and a 512-bit key: mailseal will not make these; dkimpy does
/usr/bin/python3 - <<'PY'
import dkim
msg = open("msg.eml", "rb").read()
for name, sel, key, alg in (("rsa-sha1", b"rsa", "privkeys/rsa.private", b"rsa-sha1"),
                            ("small-key", b"small", "privkeys/small.private", b"rsa-sha256")):
    k = open(key, "rb").read()
    sig = dkim.sign(msg, sel, b"example.com", k, signature_algorithm=alg,
                    include_headers=[b"from", b"to", b"subject"])
    open("cases/%s.eml" % name, "wb").write(sig + msg)
# l= longer than the body: sign with l=, then cut the body
sig = dkim.sign(msg, b"rsa", b"example.com", open("privkeys/rsa.private", "rb").read(),
                length=True, include_headers=[b"from", b"subject"])
open("cases/length-cut.eml", "wb").write(sig + msg.replace(b"the golden files.\r\n", b""))
# l= shorter than the body: text appended after signing still passes
open("cases/length-appended.eml", "wb").write(sig + msg + b"appended later\r\n")
PY
rm msg.eml
