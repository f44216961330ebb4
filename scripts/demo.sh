#!/bin/sh
# demo.sh - the main job, shown: make keys, sign a message with RSA and
# Ed25519 at once, verify it, tamper with it, and see it fail; then
# publish the keys in a real DNS server and verify from two farm nodes
# that share a Redis cache.
#   usage: scripts/demo.sh [path/to/mailseal]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
MAILSEAL=${1:-$here/../build/mailseal}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

step() { printf '\n== %s\n' "$*"; }

step "1. keys for example.com: RSA-2048 (selector rsa2026) and Ed25519 (ed2026)"
"$MAILSEAL" keygen -d example.com -s rsa2026 -t rsa -o . >/dev/null
"$MAILSEAL" keygen -d example.com -s ed2026 -t ed25519 -o . >/dev/null
ls -l rsa2026.private ed2026.private
echo "DNS records to publish:"
cat ed2026.txt
cut -c1-150 rsa2026.txt | sed 's/$/ .../'
cat rsa2026.txt ed2026.txt > keys

step "2. sign $(basename "$here")/demo/sample.eml with both keys in one pass"
"$MAILSEAL" sign -d example.com -s rsa2026 -k rsa2026.private \
	-d example.com -s ed2026 -k ed2026.private \
	"$here/demo/sample.eml" > signed.eml
sed -n '1,/^Subject/p' signed.eml | tr -d '\r'

step "3. verify the signed message (keys from the published records)"
"$MAILSEAL" verify --key-file keys signed.eml

step "4. tamper with the body (\"up 4 %\" becomes \"up 40 %\") and verify again"
sed 's/up 4 %/up 40 %/' signed.eml > tampered-body.eml
"$MAILSEAL" verify --key-file keys tampered-body.eml

step "5. add a second From header above the first and verify again"
{ printf 'From: Mallory <ceo@example.com>\r\n'; cat signed.eml; } > tampered-from.eml
"$MAILSEAL" verify --key-file keys tampered-from.eml

step "6. an unsigned message"
"$MAILSEAL" verify --key-file keys "$here/demo/sample.eml"

step "7. publish the records in a real DNS server (nsd on loopback); verify through DNS, two farm nodes sharing Redis"
. "$here/../tests/lib/nsd.sh"
REDIS_DIR="$work/redis"
. "$here/../tests/lib/redis.sh"
trap 'nsd_stop; redis_stop_all; rm -rf "$work"' EXIT
{
	echo '$ORIGIN example.com.'
	echo '$TTL 3600'
	echo '@ IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 60'
	echo '@ IN NS ns.example.com.'
	echo 'ns IN A 127.0.0.1'
	cat rsa2026.txt ed2026.txt
} > example.com.zone
nsd_start "$work" example.com
redis_start farm
printf 'dns_resolver = 127.0.0.1:%s\nredis_url = redis://127.0.0.1:%s\ncache_secret = demo-farm-secret\n' \
	"$NSD_PORT" "$REDIS_PORT_farm" > mailseal.conf
cat mailseal.conf
echo "-- node A (keys from DNS, then kept in Redis):"
"$MAILSEAL" -c mailseal.conf verify --stats signed.eml tampered-body.eml | tee nodeA.txt
echo "-- node B (same corpus, another process: no DNS query at all):"
"$MAILSEAL" -c mailseal.conf verify --stats signed.eml tampered-body.eml | tee nodeB.txt
grep -q 'dns_queries=0 ' nodeB.txt

# the demo proves something only if the verdicts are the expected ones
"$MAILSEAL" verify --key-file keys signed.eml | grep -c 'dkim=pass' | grep -qx 2
"$MAILSEAL" verify --key-file keys tampered-body.eml | grep -c 'dkim=fail' | grep -qx 2
"$MAILSEAL" verify --key-file keys tampered-from.eml | grep -c 'dkim=fail' | grep -qx 2
printf '\ndemo: signed message passes, tampered copies fail.\n'
