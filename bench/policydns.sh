#!/bin/bash
# bench/policydns.sh [BUILD_DIR] - DNS queries per message for DKIM + SPF +
# DMARC (issue 10), cold and warm, one node and two, with and without the
# farm's shared Redis.
#
# A node is a private Postfix instance (tests/postfix/lib.sh) with its own
# BUILD_DIR/mailseal-policyd doing DKIM, SPF and DMARC (check_spf = yes,
# check_dmarc = yes; policy service at RCPT, milter), as in
# bench/postfix.sh's ms-full.  Four nodes run: A and B on one Redis
# (redis_url), A and B without Redis.  Every DNS query the daemons make
# goes through tests/exim/dns_count.py, a relay in front of nsd that
# writes one line per question: the queries are counted where they
# arrive, not by mailseal's own counters.
#
# The domains: D sending domains dN.example.org, each with its DKIM key,
# an SPF record that includes another (`include:_spf.dN...`, which allows
# 127.0.0.1) and a DMARC record (p=reject); M messages from each (3-30
# KB, bench/gencorpus.py --sized, signed by `mailseal sign`), each sent
# with MAIL FROM of its own domain by bench/smtpload.c (one session per
# domain, M messages).  Per farm (Redis, no Redis), in this order:
#
#   A cold    fresh daemons, empty Redis: the whole corpus to node A
#   A warm    the whole corpus to node A again (its in-process caches)
#   B         the whole corpus to node B: a second node that has seen
#             nothing, on the Redis A filled (or, without Redis, cold)
#
# Receiving only: every message is put on hold as in bench/postfix.sh;
# every held message must carry dkim=pass, spf=pass and dmarc=pass, else
# the row is INVALID and the exit status 1.
#
# Must run as root (Postfix).  Writes its section ("dns") of
# docs/benchmarks-postfix.md; raw lines in bench/out/policydns/.
#
# Knobs (environment): BENCH_PD_DOMAINS (40), BENCH_PD_PER (5 messages
# per domain), BENCH_SEED (20261122), BENCH_PD_DOC
# (docs/benchmarks-postfix.md), BENCH_PD_KEEP (set: keep the directories).
set -uo pipefail

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
NDOM=${BENCH_PD_DOMAINS:-40}
PER=${BENCH_PD_PER:-5}
SEED=${BENCH_SEED:-20261122}
DOC=${BENCH_PD_DOC:-docs/benchmarks-postfix.md}
OUT=$ROOT/bench/out/policydns
HOST=mx.bench.example.org
HELO=client.example.org
RCPT=postmaster@bench.example.org
BENCH_NAME=bench-policydns
. "$ROOT/bench/lib.sh"

# -- prerequisites ---------------------------------------------------------
[ "$(id -u)" = 0 ] || die "must run as root (Postfix)"
[ -x "$BUILD/mailseal" ] || die "$BUILD/mailseal missing: run make first"
[ -x "$BUILD/mailseal-policyd" ] || die "$BUILD/mailseal-policyd missing: run make first"
need=""
command -v nsd > /dev/null || need="$need nsd"
command -v redis-server > /dev/null || need="$need redis-server"
command -v redis-cli > /dev/null || need="$need redis-tools"
$PY -c 'import dns.message' 2> /dev/null || need="$need python3-dnspython"
# shellcheck disable=SC2086
bench_install $need
command -v cc > /dev/null || die "missing: gcc"
. "$ROOT/tests/postfix/lib.sh"
postfix_fetch || die "postfix_fetch failed"

# -- places ----------------------------------------------------------------
bench_places policydns tmpfs x          # T, RUN
REDIS_DIR=$T/redis
. "$ROOT/tests/lib/redis.sh"
bench_policyd_copy "$RUN/mailseal-policyd"
declare -A DPID PDIR
RELAY_PID=""
cleanup() {
	local p
	postfix_cleanup
	for p in "${DPID[@]}" $RELAY_PID; do kill "$p" 2> /dev/null && wait "$p" 2> /dev/null; done
	redis_stop_all
	nsd_stop
	bench_remove "${BENCH_PD_KEEP:-}" "$T" "$RUN"
}
bench_trap cleanup
bench_results "$OUT"

bench_cc bench/smtpload.c "$T/smtpload"

# -- the domains: keys, records, corpus ------------------------------------
say "$NDOM domains, $PER messages each: keys, records, corpus (seed $SEED)"
mkdir -p "$T/keys" "$T/corpus" "$T/signed"
: > "$T/records"
for i in $(seq 1 "$NDOM"); do
	d=d$i.example.org
	mkdir -p "$T/keys/$i"
	"$BUILD/mailseal" keygen -d "$d" -s sel -o "$T/keys/$i" > /dev/null || die "keygen failed"
	cat "$T/keys/$i/sel.txt" >> "$T/records"
	cat >> "$T/records" <<EOF
d$i IN TXT "v=spf1 include:_spf.d$i.example.org -all"
_spf.d$i IN TXT "v=spf1 ip4:192.0.2.0/24 ip4:127.0.0.1 -all"
_dmarc.d$i IN TXT "v=DMARC1; p=reject"
EOF
	mkdir -p "$T/corpus/$i" "$T/signed/$i"
	bench_py "$ROOT/bench/gencorpus.py" --seed $((SEED + i)) --sized "$PER" --domain "$d" \
		--out "$T/corpus/$i" > /dev/null || die "corpus generation failed"
	"$BUILD/mailseal" sign -d "$d" -s sel -k "$T/keys/$i/sel.private" \
		--out-dir "$T/signed/$i" "$T/corpus/$i"/*.eml || die "signing failed"
done
cat >> "$T/records" <<EOF
client IN TXT "v=spf1 ip4:127.0.0.1 -all"
client IN A 127.0.0.1
EOF
N=$((NDOM * PER))

# -- DNS: nsd, and the counting relay the daemons ask -----------------------
bench_dns "$T/dns" "$T/records"
RELAY_PORT=$(free_port)
: > "$T/queries.log"
$PY "$ROOT/tests/exim/dns_count.py" "$RELAY_PORT" "$NSD_PORT" "$T/queries.log" "" 2> "$T/relay.err" &
RELAY_PID=$!
for _ in $(seq 1 50); do
	ans=$(bench_txt "_dmarc.d1.example.org" "$RELAY_PORT")
	[[ $ans == v=DMARC1* ]] && break
	sleep 0.1
done
[[ $ans == v=DMARC1* ]] || die "the relay does not answer: $ans $(cat "$T/relay.err")"

redis_start farm || die "redis-server did not start"

# -- four nodes -------------------------------------------------------------
NODES=(redis-A redis-B plain-A plain-B)
HOLD="check_sender_access static:HOLD"
for n in "${NODES[@]}"; do
	{
		echo "# bench/policydns.sh: node $n, DKIM + SPF + DMARC"
		echo "policy_listen = unix:$RUN/$n-policy.sock"
		echo "milter_listen = unix:$RUN/$n-milter.sock"
		echo "pid_file ="
		echo "socket_mode = 0666"
		echo "dns_resolver = 127.0.0.1:$RELAY_PORT"
		echo "authserv_id = $HOST"
		echo "check_spf = yes"
		echo "check_dmarc = yes"
		case $n in redis-*) echo "redis_url = redis://127.0.0.1:$REDIS_PORT_farm"
				    echo "cache_secret = bench-policydns" ;; esac
	} > "$RUN/$n.conf"
	"$POLICYD_BIN" -c "$RUN/$n.conf" -t > /dev/null || die "$RUN/$n.conf does not check"
	mkdir "$RUN/pf-$n"
	postfix_start "$RUN/pf-$n" "myhostname=$HOST" "in_flow_delay=0s" "smtpd_tls_security_level=none" \
		"smtpd_peername_lookup=no" "milter_default_action=tempfail" "milter_protocol=6" \
		"smtpd_recipient_restrictions=check_policy_service unix:$RUN/$n-policy.sock, $HOLD" \
		"smtpd_milters=unix:$RUN/$n-milter.sock" || die "postfix_start $n failed"
	PDIR[$n]=$PF_DIR
done

start_daemons() {       # fresh processes: empty in-process caches
	local n p
	for n in "${NODES[@]}"; do
		p=${DPID[$n]:-}
		[ -n "$p" ] && kill "$p" 2> /dev/null && wait "$p" 2> /dev/null
		rm -f "$RUN/$n-policy.sock" "$RUN/$n-milter.sock"
		"$POLICYD_BIN" -c "$RUN/$n.conf" -f > "$RUN/$n.log" 2>&1 &
		DPID[$n]=$!
	done
	for n in "${NODES[@]}"; do
		for _ in $(seq 1 100); do
			[ -S "$RUN/$n-milter.sock" ] && [ -S "$RUN/$n-policy.sock" ] && break
			sleep 0.05
		done
		[ -S "$RUN/$n-milter.sock" ] || die "mailseal-policyd ($n) did not start: $(cat "$RUN/$n.log")"
	done
}

held_with() { find "$PF_QUEUE/hold" -type f -print0 | xargs -0 -r grep -l -- "$1" | wc -l; }
held_clear() { postfix_cmd postsuper -d ALL hold > /dev/null 2>&1; find "$PF_QUEUE/hold" -type f -delete; }

# pass NODE PHASE: the corpus to NODE, one session per domain with MAIL
# FROM of that domain; a RUN line with the queries the relay saw
pass() {
	local node=$1 phase=$2 q0 q1 i out acc=0 a chk=ok p k
	postfix_use "${PDIR[$node]}"
	held_clear
	sleep 0.2
	q0=$(wc -l < "$T/queries.log")
	for i in $(seq 1 "$NDOM"); do
		out=$("$T/smtpload" -p "$PF_PORT" -c 1 -n "$PER" -m "$PER" -f "bench@d$i.example.org" \
			-r "$RCPT" -e "$HELO" "$T/signed/$i" 2>> "$T/smtpload.err")
		a=$(printf '%s\n' "$out" | sed -n 's/.*accepted=\([0-9]*\).*/\1/p' | head -1)
		acc=$((acc + ${a:-0}))
	done
	sleep 0.2                       # the relay's threads write their lines
	q1=$(wc -l < "$T/queries.log")
	tail -n +"$((q0 + 1))" "$T/queries.log" | head -n "$((q1 - q0))" > "$T/q-$node-$phase.log"
	[ "$acc" = "$N" ] || chk="accepted=$acc/$N"
	if [ "$chk" = ok ]; then
		for p in "dkim=pass" "spf=pass" "dmarc=pass"; do
			k=$(held_with "$p")
			[ "$k" = "$N" ] || { chk="${p}_in=$k/$N"; break; }
		done
	fi
	awk -v node="$node" -v phase="$phase" -v n="$N" -v chk="$chk" '
		{ t++ }
		$1 ~ /\._domainkey\./ { key++; next }
		$1 ~ /^_dmarc\./ { dmarc++; next }
		$2 == "TXT" { spf++; next }
		{ other++ }
		END { printf "RUN node=%s phase=%s n=%d queries=%d key=%d spf=%d dmarc=%d other=%d check=%s\n",
			node, phase, n, t, key, spf, dmarc, other, chk }' "$T/q-$node-$phase.log" >> "$RES"
	awk '{ print $2, ($1 ~ /\._domainkey\./ ? "KEY" : $1 ~ /^_dmarc\./ ? "_dmarc.NAME" : $1 ~ /^_spf\./ ? "_spf.NAME" : $1 ~ /^d[0-9]+\./ ? "DOMAIN" : $1) }' \
		"$T/q-$node-$phase.log" | sort | uniq -c | sed "s/^ */QTYPE node=$node phase=$phase count=/" >> "$RES"
	say "$node $phase: $(grep "^RUN node=$node phase=$phase " "$RES" | cut -d" " -f4-)"
	held_clear
}

# -- the passes ----------------------------------------------------------------
for farm in redis plain; do
	rcli "$REDIS_PORT_farm" FLUSHALL > /dev/null
	start_daemons
	pass "$farm-A" cold
	pass "$farm-A" warm
	pass "$farm-B" second
done

# -- the report --------------------------------------------------------------
{
	bench_machine
	echo "postfix=$(postfix_cmd postconf -h mail_version 2> /dev/null) ($(cut -d' ' -f1 "$PF_ROOT/.deb" 2> /dev/null), unpacked)"
	echo "redis=$(redis-server --version | cut -d' ' -f3)"
	echo "mailseal=$(bench_commit postfix-policy common)"
	echo "policyd=$POLICYD_INFO"
} > "$OUT/machine.txt"

rc=0
bench_py - "$RES" "$OUT/machine.txt" "$NDOM" "$PER" > "$OUT/section.md" <<'PY' || rc=$?
import sys
from reportlib import code_block, machine, machine_table, results

res, mfile, ndom, per = sys.argv[1:]
M = machine(mfile)
runs, other = results(res)
bad = False
print("## DNS queries per message: DKIM + SPF + DMARC, cold and warm, one node and two (`bench/policydns.sh`)")
print()
machine_table(M, [("date", "date"), ("cpu", "CPU"), ("nproc", "cores (nproc)"), ("os", "OS"),
                  ("postfix", "Postfix"), ("nsd", "nsd"), ("redis", "Redis"), ("mailseal", "mailseal commit"),
                  ("policyd", "mailseal-policyd"), ("load_at_start", "load average at start")])
print("""Method: four nodes, each a private Postfix instance with its own `mailseal-policyd` doing DKIM, SPF
and DMARC (`check_spf = yes`, `check_dmarc = yes`; policy service at RCPT, milter; as configuration
d of `bench/postfix.sh`; messages put on hold): A and B sharing one Redis (`redis_url`, `cache_secret`), A and
B without Redis. %s sending domains, each publishing its DKIM key, an SPF record `include:`-ing a second
one that allows the client, and a DMARC record (`p=reject`); %s signed messages from each (%s in all),
sent with a MAIL FROM of their own domain, one SMTP session per domain. Every query of every daemon goes
through `tests/exim/dns_count.py`, a relay in front of nsd that logs each question: the counts are taken
where the queries arrive. For each farm: the daemons started afresh (and Redis emptied), the corpus to
node A (*cold*), again to node A (*warm*: its in-process caches), then to node B (*second node*: it has
seen nothing; with Redis, A has filled the farm's cache). Every held message must carry `dkim=pass`,
`spf=pass` and `dmarc=pass`. One pass each (the zone's TTLs, 3,600 s, outlive the benchmark).""" % (
    ndom, per, int(ndom) * int(per)))
print()
print("| farm | node | pass | DNS queries | per message | DKIM keys | SPF (TXT) | DMARC (`_dmarc`) | other | check |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---|")
LAB = {"cold": "A, cold", "warm": "A, warm", "second": "B, after A"}
for r in runs:
    n = int(r["n"])
    ok = r["check"] == "ok"
    bad = bad or not ok
    farm, node = r["node"].split("-")
    print("| %s | %s | %s | %s | %.2f | %s | %s | %s | %s | %s |" % (
        "shared Redis" if farm == "redis" else "no Redis", node, LAB.get(r["phase"], r["phase"]),
        r["queries"], int(r["queries"]) / n, r["key"], r["spf"], r["dmarc"], r["other"],
        "every message dkim, spf and dmarc=pass" if ok else "**INVALID**: " + r["check"]))
print()
for c in [r for r in runs if r["phase"] == "cold"]:
    n = int(c["n"])
    print("%s, node A cold: %.2f queries per message, %.1f per sending domain (%s messages each): "
          "%.1f for its DKIM key, %.1f for its two SPF records (its own and the one it includes), %.1f for "
          "its DMARC record, %.1f other." % (
              "With the shared Redis" if c["node"].startswith("redis") else "Without Redis",
              int(c["queries"]) / n, int(c["queries"]) / int(ndom), per, int(c["key"]) / int(ndom),
              int(c["spf"]) / int(ndom), int(c["dmarc"]) / int(ndom), int(c["other"]) / int(ndom)))
    print()
print("Queries by type and name (NAME: the sending domain):")
print()
code_block(other.get("QTYPE", []))
print("Reproduce: `make && sudo bench/policydns.sh build` (or `make bench`); knobs `BENCH_PD_DOMAINS`, "
      "`BENCH_PD_PER`. Raw lines: `bench/out/policydns/results.txt`. Run time of `bench/policydns.sh` for "
      "this section: %s s." % M.get("elapsed", "?"))
sys.exit(1 if bad else 0)
PY
bench_finish "$DOC" dns "$OUT/section.md" "$rc"
