#!/bin/bash
# t-farm-dns.sh - the farm's cache chain for SPF's DNS answers, with a
# real nsd and a real redis-server on loopback.  Two nodes (separate
# processes: `mailseal spf` and `mailseal policy` runs with the same
# Redis and cache_secret): the second makes no DNS query for the SPF
# (and DMARC) of domains the first has seen (proven twice: its counters say
# dns_queries=0, and nsd is frozen meanwhile, so that any query would
# have been a temperror); a temporary failure is never cached; an
# answer whose TTL has run out is fetched again; a value written under
# another cache_secret, or planted by hand, is ignored.
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
T=$(mktemp -d)
REDIS_DIR="$T/redis"
. "$ROOT/tests/lib/nsd.sh"
. "$ROOT/tests/lib/redis.sh"
trap 'nsd_stop; redis_stop_all; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP     # so that the EXIT trap stops the servers
cd "$T"

. "$ROOT/tests/lib/check.sh"
stat_of() {     # stat_of NAME FILE: the number after NAME= on the stats line
	sed -n "s/^stats: .*\b$1=\([0-9]*\).*/\1/p" "$2"
}
sum_of() {      # sum_of NAME FILE...: the sum over several runs
	local f n=0 v
	for f in "${@:2}"; do
		v=$(stat_of "$1" "$f")
		n=$((n + ${v:-1000000}))
	done
	echo $n
}
spf() {         # spf CONF DOMAIN OUT: one SPF check of a@DOMAIN from 192.0.2.5
	"$M" -c "$1" spf --stats --ip 192.0.2.5 --helo client.example \
		--mail-from "a@$2" > "$3" 2> "$3.err"
}
result() { head -1 "$1" | sed 's/^spf=\([a-z]*\).*/\1/'; }

# --- a zone: five domains whose records take several lookups each --------
N=5
{
	echo 'mx IN A 192.0.2.5'
	echo 'relay IN TXT "v=spf1 ip4:198.51.100.0/24 -all"'
	for d in $(seq 1 $N); do
		echo "d$d IN TXT \"v=spf1 include:relay.spf.test mx a:mx.spf.test -all\""
		echo "d$d IN MX 10 mx.spf.test."
	done
	echo '_dmarc.d1 IN TXT "v=DMARC1; p=none"'
	echo 'fresh IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
	echo 'short 2 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
} > records
nsd_zone spf.test 300 records > spf.test.zone
nsd_zone test 300 > test.zone   # the DMARC walk asks _dmarc.test too
nsd_start "$T" test spf.test || { nok "nsd starts"; exit 1; }
redis_start main || { nok "redis starts"; exit 1; }
ok "nsd and redis-server running"
node() {        # node CONF [SECRET]: a node's configuration
	printf 'dns_resolver = 127.0.0.1:%s\ndns_timeout = 300ms\ndns_message_budget = 1s\nredis_url = redis://127.0.0.1:%s\ncache_secret = %s\ncheck_spf = yes\ncheck_dmarc = yes\n' \
		"$NSD_PORT" "$REDIS_PORT_main" "${2:-the-farm-secret}" > "$1"
}
node a.conf
node b.conf
node x.conf another-secret
printf 'dns_resolver = 127.0.0.1:%s\ndns_timeout = 300ms\n' "$NSD_PORT" > nofarm.conf

# --- node A asks DNS; node B, with nsd frozen, asks Redis ----------------
for d in $(seq 1 $N); do spf a.conf "d$d.spf.test" "a$d.out"; done
spf a.conf nosuch.spf.test a-nx.out
qa=$(sum_of dns_queries a?.out)
[ "$(cat a?.out | grep -c '^spf=pass')" = $N ] && [ "$qa" -ge $((2 * N)) ] \
	&& ok "node A: $N domains pass, $qa DNS queries" \
	|| nok "node A: $(cat a?.out | grep -c '^spf=pass') pass, dns_queries $qa"
[ "$(result a-nx.out)" = none ] && ok "node A: a domain that does not exist: none" \
	|| nok "node A nosuch - $(head -1 a-nx.out)"
[ "$(rcli "$REDIS_PORT_main" EXISTS mailseal:dns:TXT:d1.spf.test)" = 1 ] \
	&& ok "the answers are in Redis (mailseal:dns:TXT:d1.spf.test)" \
	|| nok "no mailseal:dns:TXT:d1.spf.test in Redis: $(rcli "$REDIS_PORT_main" KEYS 'mailseal:dns:*' | tr '\n' ' ')"

printf 'From: a@d1.spf.test\r\nTo: b@example.net\r\nSubject: policy\r\n\r\nhello\r\n' > m.eml
"$M" -c a.conf policy --ip 192.0.2.5 --helo client.example --mail-from a@d2.spf.test m.eml > a-policy.out 2>&1
grep -q 'spf=pass smtp.mailfrom=a@d2.spf.test' a-policy.out && grep -q 'dmarc=fail' a-policy.out \
	&& ok "node A: mailseal policy: spf=pass, dmarc=fail (d2 is not aligned with d1)" \
	|| nok "node A policy - $(tr '\n' '|' < a-policy.out)"

nsd_freeze
for d in $(seq 1 $N); do spf b.conf "d$d.spf.test" "b$d.out"; done
spf b.conf nosuch.spf.test b-nx.out
"$M" -c b.conf policy --ip 192.0.2.5 --helo client.example --mail-from a@d2.spf.test m.eml > b-policy.out 2>&1
nsd_thaw
for d in $(seq 1 $N); do
	[ "$(result "b$d.out")" = "$(result "a$d.out")" ] || nok "node B d$d: $(head -1 "b$d.out") (node A: $(head -1 "a$d.out"))"
done
[ "$(cat b?.out | grep -c '^spf=pass')" = $N ] && ok "node B, nsd frozen: the same $N results as node A"
[ "$(sum_of dns_queries b?.out)" = 0 ] && [ "$(sum_of redis_hits b?.out)" -ge $((3 * N)) ] \
	&& ok "node B: no DNS query, $(sum_of redis_hits b?.out) answers from Redis" \
	|| nok "node B: dns_queries $(sum_of dns_queries b?.out), redis_hits $(sum_of redis_hits b?.out)"
[ "$(result b-nx.out)" = none ] && [ "$(stat_of dns_queries b-nx.out)" = 0 ] \
	&& ok "node B: the NXDOMAIN from Redis too (none, no DNS query)" \
	|| nok "node B nosuch - $(head -1 b-nx.out) $(grep stats: b-nx.out)"
cmp -s a-policy.out b-policy.out \
	&& ok "node B: mailseal policy (the engine's chain), nsd frozen: SPF and DMARC from Redis, the same verdict as node A" \
	|| nok "node B policy - $(tr '\n' '|' < b-policy.out) (node A: $(tr '\n' '|' < a-policy.out))"
# the same question without the farm, nsd frozen: a query is a temperror
nsd_freeze
spf nofarm.conf d1.spf.test nofarm.out
nsd_thaw
[ "$(result nofarm.out)" = temperror ] && ok "control: without Redis, a frozen nsd gives temperror" \
	|| nok "control without Redis - $(head -1 nofarm.out)"

# --- a temporary failure is never cached ---------------------------------
nsd_freeze
spf a.conf fresh.spf.test tf1.out
nsd_thaw
[ "$(result tf1.out)" = temperror ] && ok "nsd frozen: a new domain is temperror" \
	|| nok "nsd frozen - $(head -1 tf1.out)"
[ "$(rcli "$REDIS_PORT_main" EXISTS mailseal:dns:TXT:fresh.spf.test)" = 0 ] \
	&& ok "the temporary failure is not in Redis" \
	|| nok "a temporary failure was stored in Redis"
spf b.conf fresh.spf.test tf2.out
[ "$(result tf2.out)" = pass ] && [ "$(stat_of dns_queries tf2.out)" -ge 1 ] \
	&& ok "nsd back: the next node asks DNS and gets pass" \
	|| nok "after the failure - $(head -1 tf2.out) $(grep stats: tf2.out)"

# --- an answer past its TTL is fetched again ----------------------------
spf a.conf short.spf.test s1.out
spf b.conf short.spf.test s2.out
ttl=$(rcli "$REDIS_PORT_main" TTL mailseal:dns:TXT:short.spf.test)
[ "$(stat_of dns_queries s2.out)" = 0 ] && [ "$(result s2.out)" = pass ] \
	&& ok "a 2 s TTL: the second node takes it from Redis at once" \
	|| nok "short TTL, second node - $(head -1 s2.out) $(grep stats: s2.out)"
[ "${ttl:-99}" -le 2 ] 2>/dev/null && ok "... and Redis keeps it no longer than the TTL ($ttl s left)" \
	|| nok "Redis TTL of a 2 s answer: $ttl"
sleep 3
spf b.conf short.spf.test s3.out
[ "$(stat_of dns_queries s3.out)" = 1 ] && [ "$(stat_of redis_hits s3.out)" = 0 ] && [ "$(result s3.out)" = pass ] \
	&& ok "past the TTL: fetched from DNS again (1 query)" \
	|| nok "past the TTL - $(head -1 s3.out) $(grep stats: s3.out)"

# --- values the farm must not take ---------------------------------------
spf x.conf d1.spf.test x1.out
[ "$(result x1.out)" = pass ] && [ "$(stat_of redis_bad x1.out)" -ge 1 ] && [ "$(stat_of dns_queries x1.out)" -ge 1 ] \
	&& ok "a node with another cache_secret refuses the farm's values and asks DNS" \
	|| nok "another secret - $(head -1 x1.out) $(grep stats: x1.out)"
grep -q 'failed its HMAC check' x1.out.err && ok "... and says so in its log" \
	|| nok "no warning for a value that failed its HMAC: $(cat x1.out.err)"
# a forged answer planted by hand ("every mail source passes", far in
# the future, and 32 bytes where the HMAC goes)
printf 'MSD1O\000\020\000\000\000\000\000\177\377\377\377\000\000\001\000\013v=spf1 +all%032d' 0 \
	| redis-cli -h 127.0.0.1 -p "$REDIS_PORT_main" -x SET mailseal:dns:TXT:d3.spf.test > /dev/null
"$M" -c b.conf spf --stats --ip 203.0.113.9 --helo client.example --mail-from a@d3.spf.test > forged.out 2> forged.err
[ "$(result forged.out)" = fail ] && [ "$(stat_of redis_bad forged.out)" -ge 1 ] \
	&& grep -q 'TXT:d3.spf.test failed its HMAC check' forged.err \
	&& ok "a value planted without the HMAC is ignored (fail, not the planted +all)" \
	|| nok "planted value - $(head -1 forged.out) $(grep stats: forged.out) $(cat forged.err)"
printf 'MSD0whatever' | redis-cli -h 127.0.0.1 -p "$REDIS_PORT_main" -x SET mailseal:dns:TXT:d4.spf.test > /dev/null
spf b.conf d4.spf.test old.out
[ "$(result old.out)" = pass ] && [ "$(stat_of redis_foreign old.out)" -ge 1 ] && [ ! -s old.out.err ] \
	&& ok "a value of an older version is a miss, not a warning" \
	|| nok "older version - $(head -1 old.out) $(grep stats: old.out) $(cat old.out.err)"
[ "$(rcli "$REDIS_PORT_main" GET mailseal:dns:TXT:d4.spf.test | head -c 4)" = MSD1 ] \
	&& ok "... and replaced by the current version" || nok "the old value stayed"

# --- Redis down: DNS serves, nothing fails -------------------------------
redis_stop main
spf a.conf d5.spf.test down.out
[ "$(result down.out)" = pass ] && [ "$(stat_of redis_errors down.out)" -ge 1 ] \
	&& ok "Redis down: pass from DNS (redis_errors $(stat_of redis_errors down.out))" \
	|| nok "Redis down - $(head -1 down.out) $(grep stats: down.out)"
[ $fails = 0 ]
