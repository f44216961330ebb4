#!/bin/bash
# bench/eximsign.sh [BUILD_DIR] - signing in Exim, received and delivered:
# the mailseal module signing at receipt (local_scan) against Exim's own
# signing in the smtp transport (issue 11: "likewise signing against
# Exim's transport signing").
#
# The two sign at different moments, so neither a receive-only nor a
# delivery-only figure compares them: each message here is received over
# SMTP and delivered at once over SMTP to a sink (bench/smtpsink.c, on
# 127.0.0.1, taking and dropping everything), and a run lasts from the
# first connection of the load to the last message the sink takes.
# Three private Exim daemons (Debian's exim4-daemon-heavy, `-C` configs,
# immediate delivery: no queue_only, smtp_accept_queue_per_connection =
# 0), differing only in:
#
#   plain      no signing
#   exim-sign  Exim's transport signing: dkim_domain, dkim_selector,
#              dkim_private_key on the smtp transport (RSA-2048,
#              dkim_canon relaxed, Exim's default header list)
#   ms-sign    BUILD_DIR/mailseal_exim.so signing at receipt
#              (acl_m_mailseal = sign, the signing table naming the same
#              key; the engine built in the daemon by mailseal_prewarm)
#
# No DNS is asked: signing needs the private key only.  bench/smtpload.c
# (compiled here) keeps 20 SMTP sessions busy with a corpus of 3-30 KB
# unsigned messages (bench/gencorpus.py --sized, the seed and sizes of
# bench/exim.sh); two tables, ten messages per session and one.  Rounds
# interleave the configurations (the order rotates); medians of the
# rounds and each one's ratio to plain are reported.
#
# Every run is checked: every message got 250; the sink took every one;
# in exim-sign and ms-sign each carried a DKIM-Signature with s=out (the
# sink counts them), in plain none did; Exim's log has a delivery per
# message.  And once per configuration a delivered message, as the sink
# took it, is verified with `mailseal verify --key-file`.  A failed check
# marks the row INVALID and the exit status 1.
#
# Must run as root (Exim's -C, its spool as Debian-exim).  Everything it
# starts is stopped and its directories removed at the end.  Writes
# docs/benchmarks-exim-signing.md; raw lines in bench/out/exim-sign/.
#
# Knobs (environment): BENCH_ES_ROUNDS (5), BENCH_ES_MSGS (1500 messages
# per run), BENCH_ES_SESSIONS (20), BENCH_ES_PERS ("10 1": the tables'
# messages per session), BENCH_ES_CORPUS (200 messages), BENCH_SEED
# (20261122), BENCH_ES_SPOOL (tmpfs or disk), BENCH_ES_DOC
# (docs/benchmarks-exim-signing.md), BENCH_ES_KEEP (set: keep the
# directories).
set -euo pipefail

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ROUNDS=${BENCH_ES_ROUNDS:-5}
MSGS=${BENCH_ES_MSGS:-1500}
SESSIONS=${BENCH_ES_SESSIONS:-20}
read -r -a PERS <<< "${BENCH_ES_PERS:-10 1}"
NCORPUS=${BENCH_ES_CORPUS:-200}
SEED=${BENCH_SEED:-20261122}
SPOOL=${BENCH_ES_SPOOL:-tmpfs}
DOC=${BENCH_ES_DOC:-docs/benchmarks-exim-signing.md}
CONFIGS=(plain exim-sign ms-sign)
WARMUP=300
OUT=bench/out/exim-sign
HOST=mx.bench.example.org
DOMAIN=sender.example.org
SENDER=bench@$DOMAIN
HELO=client.example.org
RCPT=someone@elsewhere.example.net
MODULE_SRC=$BUILD/mailseal_exim.so
BENCH_NAME=bench-eximsign
. "$ROOT/bench/lib.sh"

[ "$(id -u)" = 0 ] || die "must run as root (Exim's -C, its spool)"
[ -x "$BUILD/mailseal" ] || die "$BUILD/mailseal missing: run make first"
[ -f "$MODULE_SRC" ] || die "$MODULE_SRC missing: run make first"
if nm -D "$MODULE_SRC" 2> /dev/null | grep __asan_init > /dev/null; then
	die "$MODULE_SRC is a sanitizer build: Exim cannot load it without LD_PRELOAD"
fi
command -v exim4 > /dev/null || die "missing: exim4-daemon-heavy"
command -v cc > /dev/null || die "missing: gcc"
id Debian-exim > /dev/null 2>&1 || die "no user Debian-exim (exim4-base)"

bench_places eximsign "$SPOOL" BENCH_ES_SPOOL  # T, RUN
declare -A PORT EXIM_PID
SINK_PID=""
cleanup() {
	set +e
	local p
	for p in "${EXIM_PID[@]}" $SINK_PID; do kill "$p" 2> /dev/null; done
	wait 2> /dev/null
	bench_remove "${BENCH_ES_KEEP:-}" "$T" "$RUN"
}
bench_trap cleanup
bench_results "$OUT"

bench_cc bench/smtpload.c "$T/smtpload"
bench_cc bench/smtpsink.c "$T/smtpsink"

say "making a key and a corpus of $NCORPUS messages (seed $SEED)"
bench_corpus "$T" "$NCORPUS" "$SEED" "$DOMAIN" out   # $T/corpus: unsigned
cp "$T/keys/out.private" "$RUN/out.private"
chown Debian-exim "$RUN/out.private"
chmod 600 "$RUN/out.private"
echo "$DOMAIN out $RUN/out.private" > "$RUN/signing.table"
printf 'signing_table = %s\nauthserv_id = %s\n' "$RUN/signing.table" "$HOST" > "$RUN/mailseal.conf"
chmod 644 "$RUN/mailseal.conf" "$RUN/signing.table"
"$BUILD/mailseal" -c "$RUN/mailseal.conf" config check > /dev/null || die "$RUN/mailseal.conf does not check"
cp "$MODULE_SRC" "$RUN/mailseal_exim.so"       # a rebuild must not change what is measured
chmod 755 "$RUN/mailseal_exim.so"

SINK_PORT=$(free_port)
"$T/smtpsink" "$SINK_PORT" "$RUN/sink.count" "$RUN/sink.keep" out > "$RUN/sink.log" 2>&1 &
SINK_PID=$!

# exim_conf NAME: the daemon's configuration
exim_conf() {
	local name=$1 d=$RUN/$1
	if [ "$name" = ms-sign ]; then
		bench_exim_main bench/eximsign.sh "$name" "$d" 127.0.0.1 "$RUN/mailseal_exim.so" prewarm
	else
		bench_exim_main bench/eximsign.sh "$name" "$d" 127.0.0.1
	fi
	cat <<EOF

begin acl
acl_rcpt:
  accept  control = dkim_disable_verify
EOF
	[ "$name" = ms-sign ] && echo "          set acl_m_mailseal = sign"
	cat <<EOF

begin routers
sink:
  driver = manualroute
  route_list = * 127.0.0.1
  self = send
  transport = sink_smtp
  no_more

begin transports
sink_smtp:
  driver = smtp
  port = $SINK_PORT
  allow_localhost
  hosts_avoid_tls = *
EOF
	if [ "$name" = exim-sign ]; then
		cat <<EOF
  dkim_domain = $DOMAIN
  dkim_selector = out
  dkim_private_key = $RUN/out.private
  dkim_canon = relaxed
EOF
	fi
	cat <<EOF

begin retry
*  *  F,1h,1m
EOF
}

for c in "${CONFIGS[@]}"; do
	d=$RUN/$c
	mkdir -p "$d/spool" "$d/log"
	chown -R Debian-exim:Debian-exim "$d/spool" "$d/log"
	exim_conf "$c" > "$d/exim.conf"
	chmod 644 "$d/exim.conf"
	PORT[$c]=$(free_port)
	# a subreaper: the reaped-children time of the daemon holds every
	# Exim process of a run, the delivery processes too
	bench_exim_start "$c" "$d" "${PORT[$c]}" "$RUN/mailseal.conf" reaper
done
say "daemons: $(for c in "${CONFIGS[@]}"; do printf '%s=127.0.0.1:%s ' "$c" "${PORT[$c]}"; done); sink 127.0.0.1:$SINK_PORT"

# sink_counts: taken signed last_ns
sink_counts() { od -An -tu8 -w24 -v "$RUN/sink.count" | awk '{ print $1, $2, $3 }'; }
sink_zero() { head -c 24 /dev/zero > "$RUN/sink.zero" && dd if="$RUN/sink.zero" of="$RUN/sink.count" conv=notrunc status=none; }

# drained NAME: wait (at most 120 s) until the daemon's spool is empty
# and its children have exited; 1 if not
drained() {
	local d=$RUN/$1
	for _ in $(seq 1 1200); do
		if [ -z "$(find "$d/spool/input" -type f -name '*-H' 2> /dev/null | head -1)" ] &&
			[ -z "$(pgrep -P "${EXIM_PID[$1]}" 2> /dev/null)" ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# check NAME N OUT TAKEN SIGNED: "ok", or what is wrong
check() {
	local name=$1 n=$2 out=$3 taken=$4 signed=$5 bad="" k log=$RUN/$1/log/mainlog
	k=$(printf '%s\n' "$out" | grep -o ' accepted=[0-9]*' | cut -d= -f2 || true)
	[ "${k:-0}" = "$n" ] || bad="$bad accepted=${k:-0}/$n"
	[ "$taken" = "$n" ] || bad="$bad sink_took=$taken/$n"
	case $name in
	plain) [ "$signed" = 0 ] || bad="$bad signed=$signed" ;;
	*) [ "$signed" = "$n" ] || bad="$bad signed=$signed/$n" ;;
	esac
	k=$(grep -c ' => ' "$log" || true)
	[ "$k" = "$n" ] || bad="$bad delivered_in_log=$k/$n"
	if [ "$name" = ms-sign ]; then
		k=$(grep -c "mailseal: role=sign .*signed=$DOMAIN/out action=accept" "$log" || true)
		[ "$k" = "$n" ] || bad="$bad module_signed=$k/$n"
	fi
	if [ -s "$RUN/$1/log/paniclog" ]; then
		k=$(grep -vc 'exim user lost privilege for using -C option' "$RUN/$1/log/paniclog" || true)
		[ "$k" = 0 ] || bad="$bad paniclog=$k"
	fi
	echo "${bad:- ok}" | sed 's/^ //; s/ /,/g'
}

# run_one N PER TABLE NAME ROUND: one load run, delivered and checked; a
# RUN line in $RES; prints msgs/s
run_one() {
	local n=$1 per=$2 table=$3 name=$4 round=$5 d=$RUN/$4
	local out rc m0 m1 e0 e1 t0 taken signed last chk rate
	drained "$name" || say "warning: $name has not drained its last run"
	: > "$d/log/mainlog"
	sink_zero
	m0=$(machine_busy)
	e0=$(awk '{ print $16 + $17 }' "/proc/${EXIM_PID[$name]}/stat")
	t0=$(date +%s%N)
	rc=0
	out=$("$T/smtpload" -h 127.0.0.1 -p "${PORT[$name]}" -c "$SESSIONS" -n "$n" -m "$per" \
		-f "$SENDER" -r "$RCPT" -e "$HELO" "$T/corpus" 2> "$d/smtpload.err") || rc=$?
	for _ in $(seq 1 1200); do
		read -r taken signed last <<< "$(sink_counts)"
		[ "$taken" -ge "$n" ] && break
		sleep 0.1
	done
	drained "$name" || true
	m1=$(machine_busy)
	e1=$(awk '{ print $16 + $17 }' "/proc/${EXIM_PID[$name]}/stat")
	read -r taken signed last <<< "$(sink_counts)"
	chk=$(check "$name" "$n" "$out" "$taken" "$signed")
	[ "$rc" = 0 ] || [ "$chk" != ok ] || chk="smtpload_exit=$rc"
	rate=$(awk -v n="$taken" -v a="$t0" -v b="$last" 'BEGIN { printf "%.1f", (b > a ? n / ((b - a) / 1e9) : 0) }')
	echo "RUN table=$table cfg=$name round=$round per=$per n=$n delivered_per_s=$rate $(printf '%s\n' "$out" | sed -n 1p | sed 's/msgs_per_s=/received_per_s=/') machine_cpu_us=$(awk -v t="$((m1 - m0))" -v hz="$TICK" -v n="$n" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }') exim_cpu_us=$(awk -v t="$((e1 - e0))" -v hz="$TICK" -v n="$n" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }') check=$chk" >> "$RES"
	if [ "$chk" != ok ]; then
		say "$name ($table, round $round): $chk"
		head -3 "$d/smtpload.err" >&2
		mkdir -p "$OUT/failed-$name"
		cp "$d/log/mainlog" "$OUT/failed-$name/mainlog.$table.$round"
	fi
	echo "$rate"
}

# -- warm-up, and one delivered message of each verified -------------------
say "warm-up ($WARMUP messages each) and end-to-end checks"
for c in "${CONFIGS[@]}"; do
	r=$(run_one "$WARMUP" 10 warmup "$c" 0)
	chk=$(tail -1 "$RES" | grep -o 'check=.*' | cut -d= -f2)
	[ "$chk" = ok ] || die "warm-up of $c failed: $chk"
	res=$("$BUILD/mailseal" verify --key-file "$T/keys/out.txt" "$RUN/sink.keep" 2>&1 || true)
	echo "E2E cfg=$c $(printf '%s' "$res" | tr '\n' ' ')" >> "$RES"
	case $c in
	plain) [[ $res != *dkim=pass* ]] || die "plain: a signature on a delivered message: $res" ;;
	*) [[ $res == *dkim=pass* ]] || die "$c: the delivered message does not verify: $res" ;;
	esac
	say "warm-up $c: $r msgs/s delivered; $res"
done

for per in "${PERS[@]}"; do
	say "table: $per messages per session, $ROUNDS rounds of $MSGS messages"
	bench_rounds "$ROUNDS" CONFIGS "per=$per round" "msgs/s delivered" run_one "$MSGS" "$per" "per$per"
done

# what a new exim4 process costs before it does anything (every delivery
# is one: the receiving process has given up root and execs Exim again)
c0=$(awk '{ print $16 + $17 }' "/proc/$$/stat")
for _ in $(seq 1 50); do exim4 -C "$RUN/plain/exim.conf" -bV > /dev/null 2>&1 || true; done
c1=$(awk '{ print $16 + $17 }' "/proc/$$/stat")
EXEC_US=$(awk -v t="$((c1 - c0))" -v hz="$TICK" 'BEGIN { printf "%.0f", t / hz * 1e6 / 50 }')

{
	bench_machine
	echo "exec_us=$EXEC_US"
	echo "exim=$(exim4 -bV 2> /dev/null | head -1) ($(dpkg-query -W -f='${Package} ${Version}' exim4-daemon-heavy))"
	echo "commit=$(bench_commit common exim bench)"
	echo "corpus=$CORPUS_STATS"
	echo "load_at_end=$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/machine.txt"

rc=0
bench_py - "$RES" "$OUT/machine.txt" "$ROUNDS" "$MSGS" "$SESSIONS" > "$OUT/report.md" <<'PY' || rc=$?
import sys
from reportlib import check_cell, code_block, machine, machine_table, med, num, per_round, results, summary

res, mfile, rounds, msgs, sessions = sys.argv[1:]
M = machine(mfile)
runs, other = results(res)
cfgs = ["plain", "exim-sign", "ms-sign"]
LABEL = {
    "plain": "a) plain: received and delivered, no signing",
    "exim-sign": "b) Exim's own signing, in the smtp transport (RSA-2048)",
    "ms-sign": "c) mailseal module signing at receipt (RSA-2048)",
}
print("# Exim benchmarks: signing, received and delivered")
print()
print("Generated by `bench/eximsign.sh` (part of `make bench`); do not edit by hand, run it again.")
print()
machine_table(M, [("date", "date"), ("cpu", "CPU"), ("nproc", "cores (nproc)"), ("os", "OS"),
                  ("kernel", "kernel"), ("exim", "Exim"), ("openssl", "OpenSSL"),
                  ("commit", "mailseal commit"), ("load_at_start", "load average at start"),
                  ("load_at_end", "load average at end")])
print("%s messages per run, %s concurrent SMTP sessions; corpus: %s (unsigned, From and MAIL FROM of "
      "the signing domain). Each message is received over SMTP and delivered at once over SMTP to a "
      "sink on 127.0.0.1 (`bench/smtpsink.c`) that takes and drops it; *msgs/s* counts messages the "
      "sink took, from the load's first connection to the last message taken. Exim signs in the "
      "delivery process (the smtp transport's `dkim_*` options); the module signs in the receiving "
      "process (`local_scan`, `acl_m_mailseal = sign`); the same key, relaxed/relaxed. *Exim CPU*: "
      "user + system time of every Exim process of the run (the daemon is made a child subreaper, so "
      "that the delivery processes, which their receiving process does not wait for, are reaped by "
      "it: its reaped-children time), per message. *machine "
      "CPU*: all non-idle time of the machine per message (Exim's receiving and delivery processes, "
      "the load generator, the sink, the kernel); the load generator and the sink cost every "
      "configuration the same. Most of a delivered message's cost is Exim's own: each delivery is "
      "a new exim4 process (the receiving process has given up root and execs Exim again), and "
      "starting one costs %s µs of CPU before it does anything (`exim4 -bV`, 50 times, in this "
      "run), against the few hundred µs an RSA-2048 signature costs; so the signing rows differ "
      "from plain by less than the rounds' spread, and the CPU columns say more than the "
      "throughput ones, Exim's own the most." % (msgs, sessions, M.get("corpus", "?"), M.get("exec_us", "?")))
print()
bad = False
rows = {}
for table, per in (("per10", "10"), ("per1", "1")):
    tr = [r for r in runs if r["table"] == table]
    if not tr:
        continue
    rr = per_round(tr, "cfg", cfgs, "delivered_per_s")
    print("## %s message%s per session" % ("One" if per == "1" else "Ten", "" if per == "1" else "s"))
    print()
    print("| configuration | msgs/s delivered (median) | min-max | vs plain | vs plain, per round (median) "
          "| Exim CPU µs/msg | over plain "
          "| machine CPU µs/msg | over plain | check |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    w = {}
    # over plain: each round's difference to plain in the same round, then
    # their median (the machine's background drifts between rounds)
    by_round = {}
    for r in tr:
        by_round.setdefault(r["round"], {})[r["cfg"]] = r
    def over(c, k):
        return med([float(v[c][k]) - float(v["plain"][k]) for v in by_round.values()
                    if c in v and "plain" in v])
    for c in cfgs:
        x = [r for r in tr if r["cfg"] == c]
        w[c] = dict(summary(x, "delivered_per_s"), rr=rr[c][0], rrs=rr[c][1],
                    cpu=med([float(r["machine_cpu_us"]) for r in x]),
                    ecpu=med([float(r["exim_cpu_us"]) for r in x]),
                    d_cpu=over(c, "machine_cpu_us"), d_ecpu=over(c, "exim_cpu_us"))
    for c in cfgs:
        check, invalid = check_cell(w[c], "every message 250, delivered, signed as expected")
        bad = bad or invalid
        print("| %s | %s | %s-%s | %.2f | %.2f | %.0f | %s | %.0f | %s | %s |" % (
            LABEL[c], num(w[c]["rate"]), num(w[c]["lo"]), num(w[c]["hi"]),
            w[c]["rate"] / w["plain"]["rate"], w[c]["rr"], w[c]["ecpu"],
            "-" if c == "plain" else "%+.0f" % w[c]["d_ecpu"], w[c]["cpu"],
            "-" if c == "plain" else "%+.0f" % w[c]["d_cpu"], check))
    print()
    print("Medians of %s rounds (the order rotating by one per round); *over plain*: the median of each "
          "round's difference to plain in that round; throughput per round: %s." % (
        rounds, "; ".join("%s %s" % (c, " ".join("%.2f" % v for v in w[c]["rrs"])) for c in cfgs[1:])))
    print()
    rows[per] = w
print("| target | measured | met |")
print("|---|---|---|")
for per, what in (("1", "one message per session"), ("10", "ten messages per session")):
    if per not in rows:
        continue
    w = rows[per]
    e, m = w["exim-sign"], w["ms-sign"]
    ok = m["rate"] >= e["rate"] and m["rr"] >= e["rr"]
    print("| (issue 11) Exim, %s: the module signing keeps at least as much of plain's throughput as "
          "Exim's transport signing | module %.0f%% (%.0f%% per round), Exim %.0f%% (%.0f%% per round) | %s |" % (
              what, 100 * m["rate"] / w["plain"]["rate"], 100 * m["rr"],
              100 * e["rate"] / w["plain"]["rate"], 100 * e["rr"], "yes" if ok else "**no**"))
    dm, de = m["d_ecpu"], e["d_ecpu"]
    print("| (issue 11) ... Exim's CPU per message over plain below that of Exim's own signing | module %+.0f µs, "
          "Exim's signing %+.0f µs | %s |" % (dm, de, "yes" if dm < de else "**no**"))
print()
print("End to end: one delivered message of each configuration, as the sink took it, verified by "
      "`mailseal verify --key-file` with the published record:")
print()
code_block(other.get("E2E", []))
print("Reproduce: `make && sudo bench/eximsign.sh build` (or `make bench`); knobs `BENCH_ES_ROUNDS`, "
      "`BENCH_ES_MSGS`, `BENCH_ES_SESSIONS`, `BENCH_ES_PERS`, `BENCH_ES_SPOOL`. Raw lines: "
      "`bench/out/exim-sign/results.txt`. Run time: %s s." % M.get("elapsed", "?"))
sys.exit(1 if bad else 0)
PY
bench_finish "$DOC" - "$OUT/report.md" "$rc"
