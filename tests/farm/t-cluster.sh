#!/bin/bash
# t-cluster.sh - the farm cache on a real Redis Cluster on loopback (3
# masters, 3 replicas): two nodes share key answers and signature
# records through it, keys spread over the masters, slots moved under a
# running node (MOVED followed), a slot half-way through a migration
# (ASK followed), and a master killed in the middle of a
# run (its replica takes over): never a changed verdict, never mail
# refused for want of Redis.
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
T=$(mktemp -d)
REDIS_DIR="$T/redis"
. "$ROOT/tests/lib/nsd.sh"
. "$ROOT/tests/lib/redis.sh"
. "$ROOT/tests/lib/check.sh"
. "$ROOT/tests/lib/farmcorpus.sh"
trap 'nsd_stop; redis_stop_all; rm -rf "$T"' EXIT
cd "$T"

# --- a corpus signed by 12 domains, keys in a real DNS server -------------
NDOM=12
NMSG=48
farm_corpus $NDOM $NMSG 8

nsd_start "$T" example.org || { nok "nsd starts"; exit 1; }
cluster_start c || { nok "a Redis Cluster of 6 nodes starts: $(cat "$REDIS_DIR/c.create" 2>/dev/null | tail -3)"; exit 1; }
P1=${CLUSTER_SEEDS%% *}
P1=${P1#127.0.0.1:}
[ "$(cluster_masters "$P1" | wc -l)" = 3 ] && ok "nsd and a Redis Cluster (3 masters, 3 replicas) running" \
	|| nok "cluster: $(rcli "$P1" CLUSTER NODES | oneline)"
printf 'dns_resolver = 127.0.0.1:%s\n' "$NSD_PORT" > nodns.conf
# one seed that is not there, then the cluster's: the map comes from the
# first that answers
printf 'dns_resolver = 127.0.0.1:%s\nredis_cluster = 127.0.0.1:1 %s\n' "$NSD_PORT" "$CLUSTER_SEEDS" > cluster.conf

"$M" -c nodns.conf verify $files > base.txt
[ "$(grep -c 'dkim=pass' base.txt)" = $((NMSG - NMSG / 8)) ] && [ "$(grep -c 'dkim=fail' base.txt)" = $((NMSG / 8)) ] \
	&& ok "baseline without Redis: $((NMSG - NMSG / 8)) pass, $((NMSG / 8)) fail" || nok "baseline - $(sort base.txt | uniq -c | oneline)"

# --- configuration --------------------------------------------------------
printf 'redis_url = redis://127.0.0.1:%s\nredis_cluster = %s\n' "$P1" "$CLUSTER_SEEDS" > both.conf
"$M" -c both.conf verify corpus/m1.eml > both.txt 2> both.err
[ -s both.err ] && grep -q 'redis_cluster cannot be set with redis_url' both.err \
	&& ok "redis_cluster with redis_url: refused" || nok "redis_cluster with redis_url: $(oneline < both.err)"

# --- two nodes ---------------------------------------------------------------
"$M" -c cluster.conf verify --stats $files > nodeA.txt 2> nodeA.err
"$M" -c cluster.conf verify --stats $files > nodeB.txt 2> nodeB.err
[ "$(stat_of dns_queries nodeA.txt)" = $NDOM ] && [ "$(stat_of redis_errors nodeA.txt)" = 0 ] \
	&& ok "node A: one DNS query per domain ($NDOM), no Redis error" \
	|| nok "node A: $(grep stats nodeA.txt) $(oneline < nodeA.err)"
[ "$(stat_of dns_queries nodeB.txt)" = 0 ] && [ "$(stat_of redis_hits nodeB.txt)" = $NDOM ] \
	&& [ "$(stat_of redis_errors nodeB.txt)" = 0 ] \
	&& ok "node B: zero DNS queries, every key from the cluster once ($NDOM)" \
	|| nok "node B: $(grep stats nodeB.txt) $(oneline < nodeB.err)"
[ "$(verdicts nodeA.txt)" = "$(verdicts base.txt)" ] && [ "$(verdicts nodeB.txt)" = "$(verdicts base.txt)" ] \
	&& ok "both nodes give the baseline verdicts" || nok "verdicts differ with the cluster"
used=0
for p in $(cluster_masters "$P1"); do
	[ "$(rcli "$p" DBSIZE)" -gt 0 ] && used=$((used + 1))
done
[ $used = 3 ] && ok "keys on all 3 masters (routed by slot)" || nok "keys on $used masters"
key=mailseal:key:sel._domainkey.d1.example.org
owner=$(cluster_master_of "$(rcli "$P1" CLUSTER KEYSLOT "$key")" "$P1")
[ "$(rcli "$owner" EXISTS "$key")" = 1 ] && ok "a key answer lives on its slot's master" \
	|| nok "$key not on $owner"
grep -q $'m1.eml\tdkim=pass.* seen=1' nodeB.txt && ok "signature record: the same file counts once (seen=1)" \
	|| nok "seen count - $(grep m1.eml nodeB.txt)"
cp corpus/m1.eml again.eml
"$M" -c cluster.conf verify again.eml > again.txt
grep -q 'seen=2' again.txt && ok "signature record: another transaction counts (seen=2)" \
	|| nok "seen count for a second transaction: $(oneline < again.txt)"
sig=$(for p in $(cluster_masters "$P1"); do rcli "$p" --scan --pattern 'mailseal:sig:{*}'; done | head -1)
id=${sig#mailseal:sig:}
sp=$(cluster_master_of "$(rcli "$P1" CLUSTER KEYSLOT "$sig")" "$P1")
[ -n "$sig" ] && [ "$(rcli "$sp" EXISTS "$sig" "mailseal:sigtx:$id")" = 2 ] \
	&& ok "signature record and its transactions share a slot ($sig)" || nok "sig keys: '$sig' on $sp"

# --- the other farm records: revocations ({rev} scripts), node counters
# (a MULTI batch of {stats} keys)
"$M" -c cluster.conf revoke add domain bad.example --why cluster-test > rv.txt 2>&1 \
	&& "$M" -c cluster.conf revoke list 2> rv.err | grep -q 'revoked domain:bad.example' \
	&& ok "a revocation recorded and listed through the cluster" || nok "revocation: $(oneline < rv.txt) $(oneline < rv.err)"
"$M" -c cluster.conf stats --forget no-such-node > st.txt 2>&1 && grep -q 'no counters of node no-such-node' st.txt \
	&& ok "a MULTI batch ({stats}) answered by the cluster" || nok "stats --forget: $(oneline < st.txt)"

# --- slots moved under a running node: MOVED followed ---------------------
# every slot of ours on one master moves to another, between two passes
# of one process (its map is stale)
from=$(cluster_masters "$P1" | head -1)
to=$(cluster_masters "$P1" | sed -n 2p)
moveall() {
	local k
	for k in $(rcli "$from" --scan --pattern 'mailseal:*'); do
		rcli "$from" CLUSTER KEYSLOT "$k"
	done | sort -un > slots.txt
	while read -r s; do cluster_move_slot "$s" "$from" "$to" || return 1; done < slots.txt
}
midrun cluster.conf moveall moved.txt
n=$(wc -l < slots.txt)
[ "$n" -gt 0 ] && [ "$(rcli "$from" --scan --pattern 'mailseal:*' | wc -l)" = 0 ] \
	&& ok "$n slots moved from $from to $to, keys and all" || nok "slots not moved ($n)"
[ "$(stat_of redis_redirects moved.txt)" -gt 0 ] && [ "$(stat_of redis_errors moved.txt)" = 0 ] \
	&& [ "$(stat_of dns_queries moved.txt)" = 0 ] \
	&& ok "MOVED followed: no Redis error, no DNS query ($(grep stats moved.txt | grep -o 'redis_redirects=[0-9]*'))" \
	|| nok "MOVED: $(grep stats moved.txt) $(oneline < moved.txt.err)"
[ "$(verdicts moved.txt)" = "$(verdicts base.txt)" ] && ok "... the same verdicts" || nok "... verdicts changed"

# --- a slot half-way through a migration: ASK followed ---------------------
# the slot of one key answer is MIGRATING from its master to another, the
# key already moved: its master answers ASK, the other serves it after
# ASKING (and MOVED without it)
key=mailseal:key:sel._domainkey.d2.example.org
slot=$(rcli "$P1" CLUSTER KEYSLOT "$key")
src=$(cluster_master_of "$slot" "$P1")
dst=$(cluster_masters "$P1" | grep -vx "$src" | head -1)
rcli "$dst" CLUSTER SETSLOT "$slot" IMPORTING "$(rcli "$src" CLUSTER MYID)" > /dev/null
rcli "$src" CLUSTER SETSLOT "$slot" MIGRATING "$(rcli "$dst" CLUSTER MYID)" > /dev/null
rcli "$src" MIGRATE 127.0.0.1 "$dst" "" 0 5000 KEYS "$key" > /dev/null
rcli "$src" GET "$key" 2>&1 | grep -q "^ASK $slot " \
	&& ok "slot $slot migrating from $src to $dst, its key moved: $src answers ASK" \
	|| nok "ASK set-up: $(rcli "$src" GET "$key" 2>&1 | oneline)"
"$M" -c cluster.conf verify --stats corpus/m1.eml > ask.txt 2> ask.err
[ "$(stat_of redis_redirects ask.txt)" -ge 1 ] && [ "$(stat_of redis_hits ask.txt)" = 1 ] \
	&& [ "$(stat_of dns_queries ask.txt)" = 0 ] && [ "$(stat_of redis_errors ask.txt)" = 0 ] \
	&& ok "ASK followed (ASKING, then the command at $dst): the key from the cluster, no DNS query" \
	|| nok "ASK: $(grep stats ask.txt) $(oneline < ask.err)"
grep -q $'m1.eml\tdkim=pass' ask.txt && ok "... dkim=pass" || nok "... $(oneline < ask.txt)"
for p in $(cluster_masters "$P1"); do
	rcli "$p" CLUSTER SETSLOT "$slot" NODE "$(rcli "$dst" CLUSTER MYID)" > /dev/null
done

# --- a master killed mid-run; its replica takes over ------------------------
victim=$to
for i in 1 2 3 4 5 6; do
	[ "$(eval echo "\$REDIS_PORT_c$i")" = "$victim" ] && vname=c$i
done
[ "$P1" = "$victim" ] && P1=$(cluster_masters "$P1" | grep -vx "$victim" | head -1)
# the second pass starts at once: its commands meet the dead master, then
# (past the back-off) the map that names its replica
midrun cluster.conf 'redis_stop "$vname"' failover.txt
for i in $(seq 1 200); do       # until a replica serves its slots
	[ "$(cluster_masters "$P1" | wc -l)" = 3 ] && ! cluster_masters "$P1" | grep -qx "$victim" && break
	sleep 0.05
done
! cluster_masters "$P1" | grep -qx "$victim" && [ "$(cluster_masters "$P1" | wc -l)" = 3 ] \
	&& ok "master $victim killed, its replica promoted" || nok "no failover: $(rcli "$P1" CLUSTER NODES | oneline)"
[ "$(verdicts failover.txt)" = "$(verdicts base.txt)" ] && ok "failover mid-run: the same verdicts" \
	|| nok "failover mid-run: verdicts changed: $(diff <(verdicts base.txt) <(verdicts failover.txt) | oneline)"
[ "$(stat_of redis_errors failover.txt)" -gt 0 ] && ok "... the dead master was met (redis_errors=$(stat_of redis_errors failover.txt))" \
	|| nok "... the run never met the dead master: $(grep stats failover.txt)"
grep -q 'temperror' failover.txt && nok "failover mid-run: a temperror" || ok "... no temperror: mail never refused for want of Redis"
sleep 1.2       # past the back-off of the run before
"$M" -c cluster.conf verify --stats $files > after.txt 2> after.err
[ "$(stat_of redis_errors after.txt)" = 0 ] && [ "$(stat_of dns_queries after.txt)" = 0 ] \
	&& [ "$(verdicts after.txt)" = "$(verdicts base.txt)" ] \
	&& ok "after failover: a new node finds every key in the cluster, the same verdicts" \
	|| nok "after failover: $(grep stats after.txt) $(oneline < after.err)"

# --- an error reply (a master out of memory) is named in the log -----------
# (it used to read "Redis  unavailable": the failure of a command the
# cluster answered with an error named no place)
for p in $(cluster_masters "$P1"); do rcli "$p" CONFIG SET maxmemory 1 > /dev/null; done
"$M" -c cluster.conf verify --stats corpus/m1.eml > oom.txt 2> oom.err
for p in $(cluster_masters "$P1"); do rcli "$p" CONFIG SET maxmemory 0 > /dev/null; done
grep -q 'Redis cluster[^ ]* unavailable (error reply: OOM' oom.err && ! grep -q 'Redis  ' oom.err \
	&& grep -q $'m1.eml\tdkim=pass' oom.txt \
	&& ok "an OOM error reply: logged as the cluster's, the verdict unchanged" \
	|| nok "OOM error reply: $(oneline < oom.err) $(oneline < oom.txt)"
[ $fails = 0 ]
