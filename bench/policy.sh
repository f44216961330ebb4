#!/bin/bash
# bench/policy.sh [BUILD_DIR] - the Postfix policy delegation protocol
# alone: requests/s and latency of three policy servers under the same
# load, side by side in one run.
#
#   dunno     bench/dunno_policy.py: a few lines of Python answering DUNNO
#             (threaded: socketserver, a thread per connection)
#   spf       Debian's postfix-policyd-spf-python (policyd-spf, default
#             Debian configuration) run as Postfix runs it: by Postfix's
#             own spawn(8), one process per connection on its stdin and
#             stdout, from a private Postfix instance (tests/postfix/lib.sh)
#             whose master.cf has
#               spfpolicy unix - n n - 0 spawn user=nobody argv=.../policyd-spf CONF
#             the load connects to $queue_directory/private/spfpolicy, as
#             smtpd would
#   mailseal  BUILD_DIR/mailseal-policyd, policy_listen = unix:...,
#             require_tls for one domain with a pinned certificate
#   ms-spf    the same, a second process, with check_spf = yes (SPF at
#             RCPT, docs/postfix.md) and dns_resolver = nsd: the
#             request's client address, HELO and sender checked against
#             records its caches hold after the warm-up (issue 10: the
#             policy side answering SPF at RCPT with a warm cache,
#             against policyd-spf)
#
# Load: bench/policyload.c (compiled here), 64 persistent connections,
# each one request outstanding, RCPT-stage smtpd_access_policy requests
# of the 29 attributes Postfix 3.7 sends, rotating over four kinds of
# client (plain MX, MX over TLS, SASL submission, verified and pinned
# client certificate); every request its own transaction (instance).
# Each run: a warm-up (at least 1 s and until every connection has been
# answered once: spawn starts its children then), then a fixed time.
# Rounds interleave the servers, the order rotating; medians reported,
# with ratios to dunno.
#
# DNS: policyd-spf resolves through /etc/resolv.conf on port 53, so the
# whole benchmark runs in a network namespace of its own where nsd
# answers on 127.0.0.1:53 (rate limiting off) for a test zone that gives
# every sender and HELO domain an SPF record ("v=spf1 ip4:192.0.2.0/24
# -all"; the requests' client addresses are in 192.0.2.0/24, attribute
# values only).  Nothing leaves loopback.
#
# Checks: every reply of every run as expected (dunno, mailseal and
# ms-spf: DUNNO; spf: "prepend Received-SPF: Pass", which needs both SPF
# lookups answered); ms-spf: its log shows one "spf=pass" check per
# request without sasl_username (3 of 4), none other, no overload; once, mailseal with a wrong pin must refuse exactly the
# pinned quarter of the requests with 550 5.7.1.  A failed check marks
# the row INVALID and the exit status 1.
#
# Must run as root (ip netns; Postfix).  Everything it starts is stopped
# and the namespace removed at the end.  Writes its section of
# docs/benchmarks-postfix.md (bench/docsplice.py); raw lines in
# bench/out/policy/.  What the three receive and policy benchmarks share
# is in bench/lib.sh (and bench/reportlib.py for the report).
#
# Knobs (environment): BENCH_POLICY_ROUNDS (5), BENCH_POLICY_SECONDS (5,
# measured seconds per run), BENCH_POLICY_CONNS (64), BENCH_POLICY_SERVERS
# ("dunno spf mailseal ms-spf"; dunno first: the ratios' base), BENCH_POLICY_DOC
# (docs/benchmarks-postfix.md), BENCH_POLICY_PERF (FILE: run mailseal-policyd
# under `perf record -g -o FILE`, for a profile of the run).
set -uo pipefail

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BENCH_NAME=bench-policy
. "$ROOT/bench/lib.sh"

# -- outside: prerequisites (the registry is not reachable from the
# namespace), then the namespace, then this script again inside it ------
if [ -z "${BENCH_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || die "must run as root (network namespace, Postfix)"
	[ -x "$BUILD/mailseal-policyd" ] || die "$BUILD/mailseal-policyd missing: run make first"
	command -v ip > /dev/null || die "missing: iproute2"
	command -v nsd > /dev/null || bench_install nsd
	bench_spf_fetch
	. "$ROOT/tests/postfix/lib.sh"
	postfix_fetch || die "postfix_fetch failed"
	bench_netns mspol "$ROOT/bench/policy.sh" "$BUILD"
fi

ROUNDS=${BENCH_POLICY_ROUNDS:-5}
SECS=${BENCH_POLICY_SECONDS:-5}
CONNS=${BENCH_POLICY_CONNS:-64}
read -r -a SERVERS <<< "${BENCH_POLICY_SERVERS:-dunno spf mailseal ms-spf}"
DOC=${BENCH_POLICY_DOC:-docs/benchmarks-postfix.md}
OUT=$ROOT/bench/out/policy
CERT_FP=6A:1B:0E:7C:53:9F:22:D4:81:3A:C5:6E:97:0B:F8:14:5D:A2:3C:E9:70:4B:1F:86:D3:2E:59:C0:7A:18:B4:E5
PUB_FP=40:06:3D:DA:96:87:8D:6D:B9:29:8B:7B:81:9E:8A:D3:A8:8F:79:54:2C:32:CA:03:8B:FB:7D:B3:9E:0B:DA:59

. "$ROOT/tests/postfix/lib.sh"

bench_places policy                     # T; spawn's child runs as nobody
bench_policyd_copy "$T/mailseal-policyd"
DUNNO_PID="" MSS_PID=""
cleanup() {
	[ -n "$DUNNO_PID" ] && kill "$DUNNO_PID" 2> /dev/null && wait "$DUNNO_PID" 2> /dev/null
	[ -n "$MSS_PID" ] && kill "$MSS_PID" 2> /dev/null && wait "$MSS_PID" 2> /dev/null
	bench_policyd_stop
	nsd_stop
	postfix_cleanup
	rm -rf "$T"
}
bench_trap cleanup
bench_results "$OUT"

# -- the load generator --------------------------------------------------------
bench_cc bench/policyload.c "$T/policyload" -D_DEFAULT_SOURCE -pthread

# -- DNS: nsd on 127.0.0.1:53 of the namespace -----------------------------
spf_records() {
	local d
	for d in sender other bank; do
		echo "$d IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\""
		echo "mail.$d IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\""
		echo "mail.$d IN A 192.0.2.10"
	done
}
bench_dns "$T/dns" <(spf_records)
ans=$(bench_txt bank.example.org)
[[ $ans == *v=spf1* ]] || die "SPF records do not resolve through resolv.conf: $ans"

# -- the servers -------------------------------------------------------------
# policyd-spf (unpacked from Debian's package by the outer part), run by
# spawn(8) as user nobody
bench_spf_copy "$T/spf"

postfix_tmpdir || die "postfix_tmpdir failed"
mkdir "$PF_TMPDIR/pf"
postfix_start "$PF_TMPDIR/pf" \
	--master "spfpolicy unix - n n - 0 spawn user=nobody argv=$PY $T/spf/policyd-spf $T/spf/policyd-spf.conf" \
	spfpolicy_time_limit=3600 || die "postfix_start failed"
SOCK_spf=$PF_QUEUE/private/spfpolicy

SOCK_dunno=$T/dunno.sock
$PY bench/dunno_policy.py "$SOCK_dunno" > "$T/dunno.out" 2>&1 &
DUNNO_PID=$!

SOCK_mailseal=$T/mailseal.sock
echo "bank.example.org $CERT_FP" > "$T/pins"
cat > "$T/mailseal.conf" <<EOF
# bench/policy.sh: the policy side only
policy_listen = unix:$SOCK_mailseal
pid_file =
socket_mode = 0666
require_tls = bank.example.org
tls_pins = $T/pins
EOF
bench_policyd_start "$T/mailseal.conf" "$T/mailseal.log" "${BENCH_POLICY_PERF:-}"

# ms-spf: the same binary, a process of its own, SPF at RCPT; the
# namespace's nsd holds the records (the requests' senders and HELO names)
SOCK_ms_spf=$T/ms-spf.sock
cat > "$T/ms-spf.conf" <<EOF
# bench/policy.sh: the policy side, SPF at RCPT
policy_listen = unix:$SOCK_ms_spf
pid_file =
socket_mode = 0666
require_tls = bank.example.org
tls_pins = $T/pins
check_spf = yes
dns_resolver = 127.0.0.1:53
EOF
"$POLICYD_BIN" -c "$T/ms-spf.conf" -t > /dev/null || die "$T/ms-spf.conf does not check"
"$POLICYD_BIN" -c "$T/ms-spf.conf" -f > "$T/ms-spf.log" 2>&1 &
MSS_PID=$!
for i in $(seq 1 100); do
	[ -S "$SOCK_dunno" ] && [ -S "$SOCK_mailseal" ] && [ -S "$SOCK_ms_spf" ] && break
	sleep 0.05
done
[ -S "$SOCK_dunno" ] || die "dunno_policy.py did not start: $(cat "$T/dunno.out")"
[ -S "$SOCK_mailseal" ] || die "mailseal-policyd did not start: $(cat "$T/mailseal.log")"
[ -S "$SOCK_ms_spf" ] || die "mailseal-policyd (ms-spf) did not start: $(cat "$T/ms-spf.log")"
[ -S "$SOCK_spf" ] || die "no spawn socket $SOCK_spf"

expect_of() { case $1 in spf) echo "prepend Received-SPF: Pass" ;; *) echo DUNNO ;; esac; }
sock_of() { local v=SOCK_${1//-/_}; echo "${!v}"; }
pid_of() { case $1 in dunno) echo "$DUNNO_PID" ;; mailseal) echo "$MS_PID" ;; ms-spf) echo "$MSS_PID" ;; esac; }
# udp_in: UDP datagrams received in the namespace (a DNS lookup is two:
# the query at nsd, the answer at the client)
udp_in() { awk '/^Udp: [0-9]/ { print $2; exit }' /proc/net/snmp; }
# spf_log: ms-spf's check lines so far: "PASS OTHER OVERLOAD"
spf_log() {
	awk '/mailseal: stage=spf spf=pass\// { p++; next } /mailseal: stage=spf spf=/ { o++; next }
		/too many checks in flight|not back within/ { v++ } END { print p + 0, o + 0, v + 0 }' "$T/ms-spf.log"
}

# -- checks once: each server answers as it should ------------------------
for s in "${SERVERS[@]}"; do
	out=$("$T/policyload" -s "$(sock_of "$s")" -c 2 -w 0 -n 8 -t 60 -e "$(expect_of "$s")" 2>&1) ||
		die "$s does not answer as expected: $out"
done
out=$("$T/policyload" -s "$SOCK_mailseal" -c 4 -w 0 -n 400 -e DUNNO \
	-F 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF \
	-P 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF 2>&1)
rej=$(printf '%s\n' "$out" | sed -n 's/.*unexpected=\([0-9]*\).*/\1/p' | tail -1)
printf '%s\n' "$out" | grep -q 'unexpected reply: action=550 5.7.1 mail from bank.example.org' &&
	[ "${rej:-0}" -ge 95 ] && [ "${rej:-0}" -le 105 ] ||
	die "mailseal-policyd does not refuse a wrong pin (want 100 of 400 refused): $out"
echo "CHECK mailseal wrong-pin refused=$rej/400" >> "$RES"

# -- the rounds ----------------------------------------------------------------
run_one() {     # SERVER ROUND: one run, a RUN line in $RES; prints req/s
	local s=$1 r=$2 out rc c0 c1 m0 m1 u0 u1 pid check l0 l1 n
	pid=$(pid_of "$s")
	read -r -a l0 <<< "$(spf_log)"
	c0=$(proc_cpu "$pid"); m0=$(machine_busy); u0=$(udp_in)
	out=$("$T/policyload" -s "$(sock_of "$s")" -c "$CONNS" -T 2 -w 1 -d "$SECS" -t 60 -F "$CERT_FP" -P "$PUB_FP" \
		-e "$(expect_of "$s")" 2> "$T/err.txt")
	rc=$?
	c1=$(proc_cpu "$pid"); m1=$(machine_busy); u1=$(udp_in)
	check=ok
	[ $rc = 0 ] || check="failed($(head -c 200 "$T/err.txt" | tr '\n ' '; '))"
	[ -n "$out" ] || out="requests=0 req_per_s=0 lat_p50_ms=0 lat_p99_ms=0"
	n=$(printf '%s\n' "$out" | sed -n 's/.*requests=\([0-9]*\).*/\1/p' | head -1)
	if [ "$s" = ms-spf ] && [ "$check" = ok ]; then
		# the warm-up's requests are logged too: at least 3/4 of the
		# measured ones (the SASL quarter is not checked), all pass
		read -r -a l1 <<< "$(spf_log)"
		[ $(( (l1[0] - l0[0]) * 4 )) -ge $((${n:-0} * 3)) ] || check="spf_pass_logged=$((l1[0] - l0[0]))/${n:-0}"
		[ $((l1[1] - l0[1])) = 0 ] || check="spf_not_pass=$((l1[1] - l0[1]))"
		[ $((l1[2] - l0[2])) = 0 ] || check="overload=$((l1[2] - l0[2]))"
	fi
	awk -v s="$s" -v r="$r" -v o="$out" -v c="$check" -v sc=$((c1 - c0)) -v mc=$((m1 - m0)) -v tk="$TICK" \
		-v dq=$(( (u1 - u0) / 2 )) -v n="${n:-0}" '
		BEGIN {
			printf "RUN server=%s round=%d %s server_cpu_us=%.1f machine_cpu_us=%.1f dns_queries=%d check=%s\n", s, r, o,
				(s == "spf" || n == 0) ? -1 : sc * 1e6 / tk / n, n ? mc * 1e6 / tk / n : -1, dq, c
		}' >> "$RES"
	printf '%s\n' "$out" | grep -o 'req_per_s=[0-9]*' | cut -d= -f2
}

say "$ROUNDS rounds of ${SECS} s runs, $CONNS connections: ${SERVERS[*]}"
bench_rounds "$ROUNDS" SERVERS round req/s run_one

# -- the report --------------------------------------------------------------
{
	bench_machine
	echo "python=$($PY -c 'import sys; print(sys.version.split()[0])')"
	echo "spf=$SPF_FROM; $(bench_spf_versions)"
	echo "postfix=$(cat "$PF_ROOT/.deb" 2> /dev/null | cut -d' ' -f1)"
	echo "mailseal=$(bench_commit postfix-policy common)"
	echo "policyd=$POLICYD_INFO"
} > "$OUT/machine.txt"

rc=0
bench_py - "$RES" "$OUT/machine.txt" "$ROUNDS" "$SECS" "$CONNS" "${SERVERS[*]}" > "$OUT/section.md" <<'PY' || rc=$?
import sys
from reportlib import check_cell, machine, machine_table, med, num, per_round, results, summary

res, mfile, rounds, secs, conns, servers = sys.argv[1:]
servers = servers.split()
M = machine(mfile)
runs, other = results(res)
checks = other.get("CHECK", [])
LABEL = {
    "dunno": "a) trivial Python server answering DUNNO (`bench/dunno_policy.py`, threaded)",
    "spf": "b) Debian's `policyd-spf` (postfix-policyd-spf-python), one process per connection from Postfix's spawn(8)",
    "mailseal": "c) `mailseal-policyd` (`policy_listen = unix:...`)",
    "ms-spf": "d) `mailseal-policyd` checking SPF at RCPT (`check_spf = yes`), warm cache",
}
bad = False
rows = {}
rr = per_round(runs, "server", servers, "req_per_s")
for s in servers:
    x = [r for r in runs if r["server"] == s]
    f = lambda k: [float(r[k]) for r in x if k in r]
    rows[s] = dict(summary(x, "req_per_s"), scpu=med(f("server_cpu_us")), mcpu=med(f("machine_cpu_us")),
                   gcpu=med(f("cpu_s")), dns=med(f("dns_queries")), rr=rr[s][0], rrs=rr[s][1])
base = rows[servers[0]]
print("## Policy protocol alone (`bench/policy.sh`)")
print()
machine_table(M, [("date", "date"), ("cpu", "CPU"), ("nproc", "cores (nproc)"), ("os", "OS"),
                  ("kernel", "kernel"), ("python", "Python"), ("spf", "SPF server"),
                  ("postfix", "Postfix (spawn(8))"), ("nsd", "nsd"), ("mailseal", "mailseal commit"),
                  ("policyd", "mailseal-policyd"), ("load_at_start", "load average at start")])
print("| server | requests/s (median) | min-max | vs trivial | vs trivial, per round (median) "
      "| latency p50 / p99 (ms) | server CPU µs/request | machine CPU µs/request | DNS queries per run | check |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for s in servers:
    w = rows[s]
    check, invalid = check_cell(w, "every reply as expected")
    bad = bad or invalid
    print("| %s | %s | %s-%s | %.2f | %.2f | %.2f / %.2f | %s | %.0f | %s | %s |" % (
        LABEL[s], num(w["rate"]), num(w["lo"]), num(w["hi"]),
        w["rate"] / base["rate"], w["rr"], w["p50"], w["p99"],
        "%.1f" % w["scpu"] if w["scpu"] >= 0 else "n/a", w["mcpu"],
        num(w["dns"]) if w["dns"] == w["dns"] else "n/a", check))
print()
print("Method:")
print()
print("""- Load: `bench/policyload.c`, two threads with an epoll loop each, %s persistent connections over a unix socket (smtpd
  keeps its policy connections open), one request outstanding on each: write a request, read the whole
  reply, write the next. The requests are `smtpd_access_policy` requests at the RCPT stage with the 29
  attributes, in the order, that Debian's Postfix 3.7 sends (captured from it with
  `tests/postfix/policy_recorder.py`), rotating over four kinds of client: an inbound MX without TLS, one
  over STARTTLS without a client certificate, a SASL-authenticated submission (`sasl_username` set), and a
  client with a verified, pinned certificate (`ccert_subject`, `ccert_issuer` xtext-encoded, both
  fingerprints). Every request is its own transaction (`instance`, `client_port`). Latency: from the first
  byte of a request written to the last byte of its reply read.
- Runs: a warm-up (at least 1 s, and until every connection has been answered once), then %s s measured;
  the requests in flight at the end are awaited and counted.
- a) is the baseline: socketserver's `ThreadingUnixStreamServer`, a thread per connection reading lines;
  its asyncio variant (`bench/dunno_policy.py SOCKET asyncio`, one event loop) answered about a third as
  many requests here, so the threaded one is the stricter baseline.
- b) runs as Postfix runs it: Debian's package cannot be installed next to exim4 (it depends on postfix),
  so its `policyd-spf` script and default `policyd-spf.conf` are unpacked from the .deb (its code is
  `python3-spf-engine`'s), and a private Postfix instance (`tests/postfix/lib.sh`) runs it with Postfix's
  own spawn(8), one process per connection on stdin/stdout: master.cf
  `spfpolicy unix - n n - 0 spawn user=nobody argv=/usr/bin/python3 .../policyd-spf .../policyd-spf.conf`
  (and `spfpolicy_time_limit = 3600`); the load connects to `$queue_directory/private/spfpolicy` as smtpd
  would. Each request costs it two SPF lookups (HELO and MAIL FROM, default configuration) that pyspf asks
  of `/etc/resolv.conf`'s server on port 53, so the whole benchmark runs in a network namespace of its own
  where nsd answers on 127.0.0.1:53 (rate limiting off) for a zone giving every sender and HELO domain
  `v=spf1 ip4:192.0.2.0/24 -all`; the client addresses are in 192.0.2.0/24 (attribute values only: no
  traffic goes there), so every answer is `prepend Received-SPF: Pass`, which needs both lookups answered.
- c) `mailseal-policyd -f` with `policy_listen = unix:...`, `require_tls = bank.example.org` and a
  `tls_pins` line for it (the pinned kind of client matches it); every reply must be DUNNO. Once, a run
  with a wrong pin must see exactly the pinned quarter of the requests refused with `550 5.7.1`.
- d) a second `mailseal-policyd -f` as c), with `check_spf = yes` and `dns_resolver = 127.0.0.1:53` (the
  namespace's nsd): SPF at RCPT (`docs/postfix.md`, *SPF at RCPT*) for each request's `client_address`,
  `helo_name` and `sender`, the three of four kinds without `sasl_username` (a SASL submission is not
  checked, as in production); the sender domains' records pass the requests' client addresses, so every
  reply must be DUNNO, and the daemon's log must show one `stage=spf spf=pass/...` line per checked request
  (warm-up included), none with another result and no overload warning (`too many checks in flight`: past
  `max_connections` checks in flight the daemon answers DUNNO unchecked). Every request is its own
  transaction, so each one is a full SPF evaluation (on the daemon's pool of SPF threads); the warm-up
  fills the DNS caches (the in-process cache of each SPF thread; no Redis), so the measured part asks nsd
  next to nothing (the *DNS queries per run* column: UDP datagrams received in the namespace during the
  whole run, warm-up included, halved; the median of the runs). b) asks DNS for every request: pyspf keeps
  no cache between requests.""" % (conns, secs))
print()
print("Medians of %s rounds; each round runs every server once for %s s (after its warm-up), the "
      "order rotating by one per round. %s persistent connections, one request outstanding on each. "
      "*server CPU* is the server process's user + system time per request (not measured for the "
      "spawned SPF processes); *machine CPU* is all non-idle CPU time of the machine per request "
      "(server, load generator, nsd, kernel, and whatever else ran). Load generator CPU: %s s per run "
      "(median), two threads. *vs trivial, per round*: each round's requests/s over the trivial server's "
      "in the same round, then the median (%s): the background load of a shared machine drifts between "
      "rounds." % (rounds, secs, conns, ", ".join("%s %.2f" % (s, rows[s]["gcpu"]) for s in servers),
                   "; ".join("%s %s" % (s, " ".join("%.2f" % v for v in rows[s]["rrs"])) for s in servers[1:])))
print()
if checks:
    print("Check: " + "; ".join(checks) + " (the wrong pin must refuse the pinned quarter of the requests).")
    print()
if "mailseal" in rows and "dunno" in rows:
    m, d = rows["mailseal"], rows["dunno"]
    print("| target | measured | met |")
    print("|---|---|---|")
    print("| mailseal-policyd at least 1.5x the trivial server's requests/s | %.2fx (%s vs %s); "
          "%.2fx per round (median) | %s |" % (
        m["rate"] / d["rate"], num(m["rate"]), num(d["rate"]), m["rr"],
        "yes" if m["rate"] >= 1.5 * d["rate"] and m["rr"] >= 1.5 else "**no**"))
    print("| ... with p99 under 2 ms | %.2f ms | %s |" % (m["p99"], "yes" if m["p99"] < 2 else "**no**"))
    if "ms-spf" in rows and "spf" in rows:
        q, p = rows["ms-spf"], rows["spf"]
        print("| (issue 10, no number stated) SPF at RCPT, warm cache, %s connections: mailseal-policyd "
              "against policyd-spf | %s vs %s requests/s (%.0fx); p99 %.2f ms vs %.2f ms | |" % (
                  conns, num(q["rate"]), num(p["rate"]), q["rate"] / p["rate"], q["p99"], p["p99"]))
        print("| (for comparison) SPF at RCPT against c) without it | %.2fx of c)'s requests/s, "
              "%.1f vs %.1f µs of server CPU per request | |" % (q["rate"] / m["rate"], q["scpu"], m["scpu"]))
    print()
print("Reproduce: `make && sudo bench/policy.sh build` (or `make bench`); knobs `BENCH_POLICY_ROUNDS`, "
      "`BENCH_POLICY_SECONDS`, `BENCH_POLICY_CONNS`, `BENCH_POLICY_SERVERS`; `BENCH_POLICY_PERF=FILE` runs "
      "mailseal-policyd under `perf record -g` (then `perf report -i FILE`). Raw lines: "
      "`bench/out/policy/results.txt`. Run time of `bench/policy.sh` for this section: %s s." % M.get("elapsed", "?"))
sys.exit(1 if bad else 0)
PY
bench_finish "$DOC" policy "$OUT/section.md" "$rc"
