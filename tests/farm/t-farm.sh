#!/bin/bash
# t-farm.sh - the farm cache with real servers on loopback: two nodes
# sharing Redis, Redis stopped and restarted in the middle of a run, a
# Sentinel failover in the middle of a run, no descriptor left to the
# programs an MTA runs, a key planted in Redis by hand (cache_secret
# makes it harmless), and a validating node that must not take what a
# node without DNSSEC validation cached.
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
T=$(mktemp -d)
REDIS_DIR="$T/redis"
. "$ROOT/tests/lib/nsd.sh"
. "$ROOT/tests/lib/redis.sh"
# (a paused Redis would not stop: it is resumed first)
trap 'redis_resume main; nsd_stop; redis_stop_all; rm -rf "$T"' EXIT
cd "$T"

. "$ROOT/tests/lib/check.sh"
. "$ROOT/tests/lib/farmcorpus.sh"
phased() {      # phased CONF OUT ERR ACTION...: one verify run over the
	# corpus once more than there are ACTIONs; between two passes it
	# waits at a FIFO while the next ACTION runs; stderr (the library's
	# log) to ERR
	local conf=$1 out=$2 err=$3 i pid n=0 args="$files" a
	shift 3
	for a in "$@"; do
		n=$((n + 1))
		rm -f "pause$n.fifo"
		mkfifo "pause$n.fifo"
		args="$args pause$n.fifo $files"
	done
	"$M" -c "$conf" verify --stats $args > "$out" 2> "$err" &
	pid=$!
	n=0
	for a in "$@"; do
		n=$((n + 1))
		for i in $(seq 1 400); do       # this pass done
			[ "$(grep -c 'dkim=' "$out")" -ge $((120 * n + n - 1)) ] && break
			sleep 0.05
		done
		eval "$a"
		timeout 10 sh -c "cat corpus/m1.eml > pause$n.fifo"
	done
	wait "$pid"
}
redis_pid()    { cat "$REDIS_DIR/$1/redis.pid" 2>/dev/null; }
redis_pause()  { kill -STOP "$(redis_pid "$1")"; }
redis_resume() { [ -n "$(redis_pid "$1")" ] && kill -CONT "$(redis_pid "$1")" 2>/dev/null; return 0; }
redis_restart() { redis-server "$REDIS_DIR/$1/redis.conf" && redis_wait "$(eval echo "\$REDIS_PORT_$1")"; }

# --- a corpus signed by 20 domains, keys in a real DNS server -------------
NDOM=20
NMSG=120
farm_corpus $NDOM $NMSG 10

# a DNSSEC-signed zone (ldns-signzone) and its trust anchor: at sec a
# genuine key; at evil a key that was signed, then swapped for an
# attacker's after signing (what a spoofed answer looks like: whoever
# validates sees it bogus, whoever does not sees a key)
mkdir -p dnssec/attacker
for s in sec evil; do "$M" keygen -d signed.test -s $s -o dnssec > /dev/null; done
"$M" keygen -d signed.test -s evil -o dnssec/attacker > /dev/null
nsd_zone signed.test 300 dnssec/sec.txt dnssec/evil.txt > signed.test.unsigned
ksk=$(cd dnssec && ldns-keygen -a ECDSAP256SHA256 -k signed.test)
zsk=$(cd dnssec && ldns-keygen -a ECDSAP256SHA256 signed.test)
ldns-signzone -f signed.test.zone signed.test.unsigned "dnssec/$ksk" "dnssec/$zsk"
cp "dnssec/$ksk.ds" anchor.ds
evil_rr=$(grep -o '"[^"]*"' dnssec/attacker/evil.txt | tr '\n' ' ')
sed -i "s|^\(evil\._domainkey\.signed\.test\.[[:space:]].*IN[[:space:]]TXT[[:space:]]\).*|\1$evil_rr|" signed.test.zone
grep -qF "$(grep -o '"[^"]*"' dnssec/attacker/evil.txt | tail -1)" signed.test.zone \
	|| { nok "the key at evil swapped after signing"; exit 1; }

nsd_start "$T" example.org signed.test || { nok "nsd starts"; exit 1; }
redis_start main || { nok "redis starts"; exit 1; }
ok "nsd and redis-server running"
printf 'dns_resolver = 127.0.0.1:%s\nredis_url = redis://127.0.0.1:%s\n' "$NSD_PORT" "$REDIS_PORT_main" > node.conf
printf 'dns_resolver = 127.0.0.1:%s\n' "$NSD_PORT" > nodns.conf

# baseline: no Redis at all
"$M" -c nodns.conf verify $files > base.txt
[ "$(grep -c 'dkim=pass' base.txt)" = 108 ] && [ "$(grep -c 'dkim=fail' base.txt)" = 12 ] \
	&& ok "baseline without Redis: 108 pass, 12 fail" || nok "baseline - $(sort base.txt | uniq -c | head)"

# --- two nodes ------------------------------------------------------------
"$M" -c node.conf verify --stats $files > nodeA.txt
"$M" -c node.conf verify --stats $files > nodeB.txt
[ "$(stat_of dns_queries nodeA.txt)" = $NDOM ] && ok "node A: one DNS query per domain ($NDOM)" \
	|| nok "node A dns_queries=$(stat_of dns_queries nodeA.txt)"
[ "$(stat_of dns_queries nodeB.txt)" = 0 ] && ok "node B: zero DNS queries" \
	|| nok "node B dns_queries=$(stat_of dns_queries nodeB.txt)"
[ "$(stat_of redis_hits nodeB.txt)" = $NDOM ] && ok "node B: every key from Redis once ($NDOM)" \
	|| nok "node B redis_hits=$(stat_of redis_hits nodeB.txt)"
[ "$(verdicts nodeA.txt)" = "$(verdicts base.txt)" ] && [ "$(verdicts nodeB.txt)" = "$(verdicts base.txt)" ] \
	&& ok "both nodes give the baseline verdicts" || nok "verdicts differ with Redis"
grep -q $'m1.eml\tdkim=pass.* seen=1' nodeB.txt && ok "signature record: the same file counts once (seen=1)" \
	|| nok "seen count - $(grep m1.eml nodeB.txt)"
cp corpus/m1.eml again.eml
"$M" -c node.conf verify again.eml | grep -q 'seen=2' && ok "signature record: another transaction counts (seen=2)" \
	|| nok "seen count for a second transaction"

# --- Redis stopped in the middle of a run, then back ----------------------
rcli "$REDIS_PORT_main" FLUSHALL > /dev/null
midrun node.conf "redis_stop main" mid.txt
if [ "$(verdicts mid.txt)" = "$(verdicts base.txt)" ]; then
	ok "Redis stopped mid-run: the same verdicts ($(grep -c dkim= mid.txt) messages, redis_errors=$(stat_of redis_errors mid.txt))"
else
	nok "Redis stopped mid-run: verdicts changed"
fi
[ "$(stat_of redis_errors mid.txt)" -gt 0 ] && ok "the outage was noticed (redis_errors > 0)" || nok "no redis_errors counted"
redis-server "$REDIS_DIR/main/redis.conf" && redis_wait "$REDIS_PORT_main"
"$M" -c node.conf verify --stats $files > back1.txt
"$M" -c node.conf verify --stats $files > back2.txt
[ "$(stat_of redis_hits back2.txt)" = $NDOM ] && [ "$(stat_of dns_queries back2.txt)" = 0 ] \
	&& ok "Redis back: the cache serves again" || nok "Redis back: redis_hits=$(stat_of redis_hits back2.txt) dns=$(stat_of dns_queries back2.txt)"

# --- an outage is logged once when it begins and once when it ends -------
# (the run waits 1.2 s before its last pass: past the back-off, so that
# Redis is asked again)
outage_check() {        # outage_check NAME OUT ERR
	local un back
	un=$(grep -c 'warning: Redis .* unavailable' "$3")
	back=$(grep -c 'warning: Redis .* is back' "$3")
	[ "$(verdicts "$2")" = "$(verdicts base.txt)" ] && ok "$1: the same verdicts" \
		|| nok "$1: verdicts changed"
	[ "$un" = 1 ] && [ "$back" = 1 ] && ok "$1: one warning when Redis goes, one when it is back" \
		|| nok "$1: $un unavailable / $back back warnings: $(tr '\n' '|' < "$3")"
	[ "$(stat_of redis_outages "$2")" = 1 ] && [ "$(stat_of redis_errors "$2")" -ge 1 ] \
		&& ok "$1: counted (redis_outages=1, redis_errors=$(stat_of redis_errors "$2"), redis_skipped=$(stat_of redis_skipped "$2"))" \
		|| nok "$1: counters $(grep stats "$2")"
}
phased node.conf out1.txt err1.txt "redis_pause main" "redis_resume main; sleep 1.2"
outage_check "Redis paused (SIGSTOP), then resumed" out1.txt err1.txt
[ "$(stat_of redis_timeouts out1.txt)" -ge 1 ] && ok "... the pause counted as a timeout" \
	|| nok "... no timeout counted: $(grep stats out1.txt)"
phased node.conf out2.txt err2.txt "redis_stop main" "redis_restart main; sleep 1.2"
outage_check "Redis killed, then restarted" out2.txt err2.txt
grep -q "Redis 127.0.0.1:$REDIS_PORT_main unavailable ([A-Za-z]" err2.txt \
	&& ok "... the warning names the Redis and why" || nok "... warning: $(cat err2.txt)"
# a Redis that comes and goes: the second outage within a minute is
# counted, not logged
phased node.conf out3.txt err3.txt "redis_stop main" "redis_restart main; sleep 1.2" \
	"redis_stop main" "redis_restart main; sleep 1.2"
[ "$(stat_of redis_outages out3.txt)" = 2 ] && [ "$(grep -c 'unavailable' err3.txt)" = 1 ] \
	&& [ "$(grep -c 'is back' err3.txt)" = 1 ] && ok "two outages within a minute: both counted, one pair of warnings" \
	|| nok "two outages: $(grep stats out3.txt) $(tr '\n' '|' < err3.txt)"
[ "$(verdicts out3.txt)" = "$(verdicts base.txt)" ] && ok "... the same verdicts" || nok "... verdicts changed"
# many processes of one node (Exim's sessions, forked from a daemon that
# built the engine): one pair of warnings for the node, not one a process
FORK="$ROOT/${MAILSEAL_BUILD:-build}/tests/farm/farmfork"
if [ -x "$FORK" ]; then
	"$FORK" node.conf 6 5 sel._domainkey.d2.example.org > fork.txt 2> fork.err &
	fpid=$!
	sleep 1.5
	redis_pause main
	sleep 1
	redis_resume main
	wait $fpid
	frc=$?
	un=$(grep -c 'warning: Redis .* unavailable' fork.err)
	back=$(grep -c 'warning: Redis .* is back' fork.err)
	kids=$(grep -c '^child .* outages=[1-9]' fork.txt)
	[ $frc = 0 ] && [ "$kids" -ge 2 ] && [ "$un" = 1 ] && [ "$back" = 1 ] \
		&& ok "6 processes of one node through an outage ($kids saw it): one warning when Redis goes, one when it is back" \
		|| nok "6 processes (status $frc, $kids saw the outage): $un unavailable / $back back warnings: $(tr '\n' '|' < fork.err)"
else
	nok "the test helper $FORK is not built (make unit)"
fi
"$M" -c node.conf verify --stats $files > quiet.txt 2> quiet.err
[ ! -s quiet.err ] && [ "$(stat_of redis_outages quiet.txt)" = 0 ] && ok "no outage: nothing logged" \
	|| nok "no outage: $(cat quiet.err) $(grep stats quiet.txt)"

# --- Sentinel: master, replica, failover in the middle of a run ------------
redis_start m2 && redis_start r2 replicaof "$REDIS_PORT_m2" && sentinel_start s1 "$REDIS_PORT_m2" \
	|| { nok "sentinel set-up"; exit 1; }
printf 'dns_resolver = 127.0.0.1:%s\nredis_sentinels = 127.0.0.1:%s\nredis_master_name = mailseal\n' \
	"$NSD_PORT" "$REDIS_PORT_s1" > sentinel.conf
"$M" -c sentinel.conf verify --stats $files > s1.txt
[ "$(stat_of redis_errors s1.txt)" = 0 ] && ok "through Sentinel: no Redis errors" || nok "through Sentinel: redis_errors=$(stat_of redis_errors s1.txt)"
promoted() {     # fail over, then wait until the replica is the master
	local i
	# a new Sentinel learns the replicas from the master's INFO (every
	# few seconds): ask for the failover until it is accepted
	for i in $(seq 1 150); do
		[ "$(rcli "$REDIS_PORT_s1" SENTINEL failover mailseal 2>&1)" = OK ] && break
		sleep 0.1
	done
	for i in $(seq 1 150); do
		[ "$(rcli "$REDIS_PORT_r2" ROLE 2>/dev/null | head -1)" = master ] && break
		sleep 0.1
	done
}
midrun sentinel.conf promoted s2.txt
[ "$(verdicts s2.txt)" = "$(verdicts base.txt)" ] && ok "failover mid-run: the same verdicts" \
	|| nok "failover mid-run: verdicts changed"
[ "$(rcli "$REDIS_PORT_r2" ROLE | head -1)" = master ] && ok "the replica was promoted" || nok "the replica was not promoted"
sleep 1.2       # past the client's back-off after the switch
rcli "$REDIS_PORT_r2" DBSIZE > keys-r2.txt
"$M" -c sentinel.conf verify --stats $files > s3.txt
[ "$(stat_of redis_errors s3.txt)" = 0 ] && [ "$(stat_of dns_queries s3.txt)" = 0 ] \
	&& ok "after failover: the new master serves the cache" \
	|| nok "after failover: redis_errors=$(stat_of redis_errors s3.txt) dns=$(stat_of dns_queries s3.txt) keys on r2: $(cat keys-r2.txt)"

# --- a Redis that wants a password, and a database number ----------------
REDIS_EXTRA="requirepass s3cret-pw" redis_start locked || { nok "redis with requirepass starts"; exit 1; }
printf 'dns_resolver = 127.0.0.1:%s\nredis_url = redis://:s3cret-pw@127.0.0.1:%s/3\n' "$NSD_PORT" "$REDIS_PORT_locked" > auth.conf
printf 'dns_resolver = 127.0.0.1:%s\nredis_url = redis://:wrong@127.0.0.1:%s\n' "$NSD_PORT" "$REDIS_PORT_locked" > badauth.conf
"$M" -c auth.conf verify --stats $files > a1.txt
"$M" -c auth.conf verify --stats $files > a2.txt
[ "$(stat_of redis_hits a2.txt)" = $NDOM ] && [ "$(stat_of redis_errors a2.txt)" = 0 ] \
	&& ok "password and database from redis_url: the cache serves" || nok "AUTH/SELECT: $(grep stats a2.txt)"
[ "$(rcli "$REDIS_PORT_locked" -a s3cret-pw --no-auth-warning -n 3 DBSIZE)" -gt 0 ] \
	&& ok "the keys are in database 3" || nok "nothing in database 3"
"$M" -c badauth.conf verify --stats $files > a3.txt 2> /dev/null
[ "$(verdicts a3.txt)" = "$(verdicts base.txt)" ] && [ "$(stat_of redis_errors a3.txt)" -gt 0 ] \
	&& ok "a wrong password: Redis skipped, the same verdicts" || nok "wrong password: $(grep stats a3.txt)"

# a malformed redis_url is refused without showing its password
printf 'redis_url = redis://:pw-in-the-url@127.0.0.1:%s/notadb\n' "$REDIS_PORT_locked" > badurl.conf
"$M" -c badurl.conf verify corpus/m1.eml > bu.txt 2> bu.err
grep -q 'is not redis://' bu.err && ! grep -q 'pw-in-the-url' bu.err \
	&& ok "a malformed redis_url: refused, its password not shown" || nok "malformed redis_url: $(cat bu.err)"

# --- nothing of ours reaches a program the MTA runs ----------------------
# Exim runs deliveries and pipe commands (a .forward's "|program") from
# the process that received the message: a descriptor left open on exec
# is, for them, the farm's Redis session, authenticated.  fdexec looks
# keys up through the chain (DNS, Redis written and read, a signature
# recorded), then runs a program that lists what it inherited.
FDX="$ROOT/${MAILSEAL_BUILD:-build}/tests/farm/fdexec"
fdcheck() {     # fdcheck NAME CONF KEYNAME: the child holds nothing but 0 1 2
	local rc
	"$FDX" "$2" "$3" > fd.txt 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -q "^lookup $3 found" fd.txt && grep -q '^seen [1-9]' fd.txt; then
		ok "$1: a program run afterwards inherits nothing"
	else
		nok "$1 - status $rc: $(tr '\n' '|' < fd.txt)"
	fi
}
if [ -x "$FDX" ]; then
	fdcheck "Redis with a password, DNS through c-ares" auth.conf sel._domainkey.d3.example.org
	fdcheck "Redis found through Sentinel" sentinel.conf sel._domainkey.d4.example.org
	printf 'dns_resolver = 127.0.0.1:%s\ndns_trust_anchor = %s\nredis_url = redis://:s3cret-pw@127.0.0.1:%s\n' \
		"$NSD_PORT" "$T/anchor.ds" "$REDIS_PORT_locked" > fdsec.conf
	fdcheck "a validating resolver (libunbound)" fdsec.conf sec._domainkey.signed.test
else
	nok "the test helper $FDX is not built (make unit)"
fi

# --- poisoning ------------------------------------------------------------
mkdir evil
"$M" keygen -d d1.example.org -s sel -o evil > /dev/null
printf 'From: ceo@d1.example.org\r\nTo: x@example.net\r\nSubject: wire the money\r\n\r\nnow\r\n' > f.eml
"$M" sign -d d1.example.org -s sel -k evil/sel.private f.eml > forged.eml
plant() {       # plant PORT MAC: the attacker's key as a cached answer,
	# with a made-up HMAC (MAC=1) or none (MAC=0)
	/usr/bin/python3 - "$2" "$(grep -o '"[^"]*"' evil/sel.txt | tr -d '"\n')" <<'PY' > planted.bin
import struct, sys, time
rec = sys.argv[2].encode()
v = b"MSK1" + b"F" + b"0" + struct.pack(">Q", int(time.time()) + 3600) + bytes([1])
v += struct.pack(">I", len(rec)) + rec
sys.stdout.buffer.write(v + (b"\0" * 32 if sys.argv[1] == "1" else b""))
PY
	rcli "$1" -x SET mailseal:key:sel._domainkey.d1.example.org < planted.bin > /dev/null
}
plant "$REDIS_PORT_main" 1
printf 'dns_resolver = 127.0.0.1:%s\nredis_url = redis://127.0.0.1:%s\ncache_secret = farm-secret-1\n' \
	"$NSD_PORT" "$REDIS_PORT_main" > secret.conf
"$M" -c secret.conf verify forged.eml > p.txt 2> p.err
grep -q 'dkim=fail' p.txt && ok "planted key with cache_secret: the forgery fails" || nok "planted key: $(cat p.txt)"
grep -q 'HMAC' p.err && ok "the bad cache entry is logged" || nok "no log of the bad entry: $(cat p.err)"
"$M" -c secret.conf verify corpus/m1.eml > p2.txt 2>/dev/null
grep -q 'dkim=pass' p2.txt && ok "the entry is replaced from DNS: genuine mail passes" || nok "genuine mail after poisoning: $(cat p2.txt)"
# the control: the same plant works against a farm without a secret,
# so the test above failed the forgery for the right reason
plant "$REDIS_PORT_main" 0
"$M" -c node.conf verify forged.eml > p3.txt 2>/dev/null
grep -q 'dkim=pass' p3.txt && ok "control: without cache_secret the planted key is trusted (why the secret matters)" \
	|| nok "control without cache_secret: $(cat p3.txt)"
plant "$REDIS_PORT_main" 0
"$M" -c secret.conf verify forged.eml > p4.txt 2>/dev/null
grep -q 'dkim=fail' p4.txt && ok "with cache_secret a plant without any HMAC fails too" || nok "plant without HMAC: $(cat p4.txt)"
# --- DNSSEC: a validating node and one that does not, one Redis ----------
# The key at evil._domainkey.signed.test is bogus to a validator (swapped
# after signing) and a plain key to a node that does not validate: the
# latter must not be able to hand it to the former through the farm.
rcli "$REDIS_PORT_main" FLUSHALL > /dev/null
printf 'From: ceo@signed.test\r\nTo: x@example.net\r\nSubject: pay\r\n\r\nnow\r\n' > s.eml
"$M" sign -d signed.test -s evil -k dnssec/attacker/evil.private s.eml > sforged.eml
"$M" sign -d signed.test -s sec -k dnssec/sec.private s.eml > sgenuine.eml
printf 'dns_resolver = 127.0.0.1:%s\nredis_url = redis://127.0.0.1:%s\ndns_trust_anchor = %s\n' \
	"$NSD_PORT" "$REDIS_PORT_main" "$T/anchor.ds" > valid.conf
printf 'dns_resolver = 127.0.0.1:%s\ndns_trust_anchor = %s\n' "$NSD_PORT" "$T/anchor.ds" > validnoredis.conf
dkim_of() {     # dkim_of FILE: the results, one word each
	grep -v '^stats:' "$1" | sed 's/.*dkim=\([a-z]*\).*/\1/' | tr '\n' ' ' | sed 's/ $//'
}
"$M" -c node.conf verify sforged.eml > d1.txt 2>&1
"$M" -c validnoredis.conf verify sforged.eml > d2.txt 2>&1
[ "$(dkim_of d1.txt)" = pass ] && grep -q 'temperror.*DNSSEC' d2.txt \
	&& ok "set-up: the swapped key passes without validation and fails validation fresh from DNS" \
	|| nok "set-up: $(cat d1.txt d2.txt | tr '\n' '|')"
[ -n "$(rcli "$REDIS_PORT_main" --raw EXISTS mailseal:key:evil._domainkey.signed.test | grep 1)" ] \
	&& ok "the node that does not validate cached the swapped key in Redis" || nok "nothing cached by the node that does not validate"
# twice in one process: neither Redis nor the in-process cache may serve it
"$M" -c valid.conf verify --stats sforged.eml sforged.eml > d3.txt 2>&1
if [ "$(dkim_of d3.txt)" = "temperror temperror" ] && [ "$(grep -c 'DNSSEC' d3.txt)" = 2 ]; then
	ok "the validating node takes no unvalidated key from Redis: DNS, validation fails, temperror (twice)"
else
	nok "the validating node used the unvalidated key: $(tr '\n' '|' < d3.txt)"
fi
[ "$(stat_of dns_queries d3.txt)" = 2 ] && [ "$(stat_of redis_hits d3.txt)" = 0 ] \
	&& [ "$(stat_of redis_unvalidated d3.txt)" = 2 ] \
	&& ok "... asking DNS each time (dns_queries=2, redis_hits=0, redis_unvalidated=2)" || nok "... $(grep stats d3.txt)"
# a validated answer serves both kinds of node
rcli "$REDIS_PORT_main" FLUSHALL > /dev/null
"$M" -c node.conf verify sgenuine.eml > d4.txt 2>&1
"$M" -c valid.conf verify --stats sgenuine.eml > d5.txt 2>&1
grep -q $'dkim=pass.*dnssec=yes' d5.txt && [ "$(stat_of dns_queries d5.txt)" = 1 ] \
	&& ok "a genuine signed key: the validating node asks DNS itself, pass, dnssec=yes" || nok "genuine key, validating node: $(tr '\n' '|' < d5.txt)"
[ "$(rcli "$REDIS_PORT_main" --raw GETRANGE mailseal:key:sec._domainkey.signed.test 5 5)" = 1 ] \
	&& ok "... and its validated answer replaced the unvalidated one in Redis" || nok "the answer in Redis is not marked validated"
"$M" -c node.conf verify --stats sgenuine.eml > d6.txt 2>&1
grep -q $'dkim=pass.*dnssec=yes' d6.txt && [ "$(stat_of redis_hits d6.txt)" = 1 ] && [ "$(stat_of dns_queries d6.txt)" = 0 ] \
	&& ok "the node that does not validate takes the validated answer from Redis" || nok "validated answer for the other node: $(tr '\n' '|' < d6.txt)"
# unsigned zones: a validating node still shares the farm's work
rcli "$REDIS_PORT_main" FLUSHALL > /dev/null
"$M" -c node.conf verify $files > /dev/null
"$M" -c valid.conf verify --stats $files > v1.txt
"$M" -c valid.conf verify --stats $files > v2.txt
"$M" -c node.conf verify --stats $files > v3.txt
[ "$(verdicts v1.txt)" = "$(verdicts base.txt)" ] && [ "$(verdicts v2.txt)" = "$(verdicts base.txt)" ] \
	&& ok "unsigned zones, validating node: the baseline verdicts" || nok "unsigned zones, validating node: verdicts differ"
[ "$(stat_of dns_queries v1.txt)" = $NDOM ] && [ "$(stat_of dns_queries v2.txt)" = 0 ] && [ "$(stat_of redis_hits v2.txt)" = $NDOM ] \
	&& ok "unsigned zones: validated once by the validating node, then served from Redis" \
	|| nok "unsigned zones: dns $(stat_of dns_queries v1.txt) then $(stat_of dns_queries v2.txt), redis_hits $(stat_of redis_hits v2.txt)"
[ "$(stat_of redis_hits v3.txt)" = $NDOM ] && ok "... and to the node that does not validate" || nok "... node A: $(grep stats v3.txt)"
[ $fails = 0 ]
