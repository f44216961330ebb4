#!/bin/bash
# memflat.sh - one mailseal-policyd under a long load: MEMFLAT_POLICY
# policy requests (default 1,000,000) and MEMFLAT_MILTER milter messages
# (default 100,000), sent by tests/postfix/memflat.c on the daemon's own
# sockets (no Postfix), with its resident memory (VmRSS), open
# descriptors and threads sampled MEMFLAT_STEPS times (default 20)
# along the way, after a warm-up of MEMFLAT_WARMUP_POLICY requests
# (default 30,000) and MEMFLAT_WARMUP_MILTER messages (default 1,000):
# the daemon has fixed tables (txtable.c's 8192 slots, some 10 MB) whose
# pages become resident as requests first reach them, and caches that
# fill up to their caps; the warm-up gets past that.  "make memflat" runs it at full size on the ASan+UBSan
# build and writes docs/memory.md; t-memflat.sh runs a short version in
# the test suite.
#
# The daemon: a real nsd publishing example.com's key, SPF and DMARC
# records and example.org's; signing for example.com; check_spf and
# check_dmarc on; require_signed example.com.  The messages, in turn: an
# authenticated submission (signed), a message signed by example.com
# (verified: pass), the same with its body changed (fail: refused under
# require_signed), an unsigned one from example.org (SPF fail, DMARC),
# one with no From (refused), and a 128 KB signed one.  Policy requests
# vary the client, sender, queue id and SASL name.
#
# Checked (each an "ok"/"not ok" line):
#  - every request got an action and every message a final reply;
#  - resident memory: growth from the highest sample of the first
#    quarter (step 0, after warm-up, on) to the highest of the last
#    quarter is at most MEMFLAT_RSS_KB (default 4096 kB; more than that over a
#    million requests would be a leak of a few bytes each; 16384 kB for
#    an ASan build, whose allocator holds freed blocks in a quarantine
#    and gives memory back in bursts);
#  - open descriptors: the last sample has no more than the one after
#    warm-up; threads: at most 2 more (the pool starts a worker when a
#    connection arrives before the last one's worker is idle again: a
#    leak of threads would be one per connection);
#  - exit: SIGTERM, then the daemon exits 0 within 30 s, and, for an
#    ASan build (a build directory whose name ends in "san"),
#    LeakSanitizer reports nothing (it checks at the daemon's exit).
# With MEMFLAT_REPORT=FILE the samples and verdicts go to FILE
# (markdown, relative to the tree; MEMFLAT_REPORT_NEW=1 starts it anew,
# else this build's section is appended).
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${MAILSEAL_BUILD:-build}
M=${MAILSEAL:-$ROOT/$BUILD/mailseal}
PD=$ROOT/$BUILD/mailseal-policyd
NPOL=${MEMFLAT_POLICY:-1000000}
NMIL=${MEMFLAT_MILTER:-100000}
STEPS=${MEMFLAT_STEPS:-20}
WPOL=${MEMFLAT_WARMUP_POLICY:-30000}
WMIL=${MEMFLAT_WARMUP_MILTER:-1000}
REPORT=${MEMFLAT_REPORT:-}
. "$ROOT/tests/lib/check.sh"
. "$ROOT/tests/lib/nsd.sh"
[ -x "$PD" ] || { nok "memflat: the daemon is built - $PD does not exist"; exit 1; }
T=$(mktemp -d /tmp/memflat.XXXXXX) || exit 1
PDPID=""
cleanup() {
	[ -n "$PDPID" ] && kill -KILL "$PDPID" 2> /dev/null
	nsd_stop
	[ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$T" || exit 1

san=0
case "${BUILD%/}" in *san) san=1 ;; esac
RSS_BOUND=${MEMFLAT_RSS_KB:-$([ $san = 1 ] && echo 16384 || echo 4096)}

# --- the client -------------------------------------------------------------
if ! cc -std=c11 -O2 -Wall -Wextra -Werror -o memflat "$ROOT/tests/postfix/memflat.c" 2> cc.log; then
	nok "memflat: the client builds - $(oneline < cc.log)"
	exit 1
fi

# --- DNS, keys, configuration ---------------------------------------------------
mkdir -p keys msg
"$M" keygen -d example.com -s mf -o keys > /dev/null || { nok "memflat: keygen"; exit 1; }
{
	cat keys/mf.txt
	echo '@ IN TXT "v=spf1 ip4:127.0.0.0/8 -all"'
	echo '_dmarc IN TXT "v=DMARC1; p=reject"'
} > example.com.records
{
	echo '@ IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
	echo '_dmarc IN TXT "v=DMARC1; p=none"'
} > example.org.records
nsd_zone example.com 3600 example.com.records > example.com.zone
nsd_zone example.org 3600 example.org.records > example.org.zone
nsd_start "$T" example.com example.org || { nok "memflat: nsd starts"; exit 1; }
printf 'example.com mf %s/keys/mf.private\n' "$T" > signing.table
cat > pd.conf <<EOF
signing_table = $T/signing.table
authserv_id = mx.memflat.example
policy_listen = unix:$T/policy.sock
milter_listen = unix:$T/milter.sock
pid_file = $T/pd.pid
socket_mode = 0600
dns_resolver = 127.0.0.1:$NSD_PORT
dns_timeout = 1s
require_signed = example.com
check_spf = yes
check_dmarc = yes
EOF

# --- the messages -----------------------------------------------------------------
msg() {         # NAME FROM SUBJECT [BODY-LINES]
	{
		printf 'From: %s\r\nTo: rcpt@example.net\r\nSubject: %s\r\n' "$2" "$3"
		printf 'Message-ID: <%s@memflat.example>\r\nDate: Wed, 2 Dec 2026 10:00:00 +0000\r\n\r\n' "$1"
		for i in $(seq 1 "${4:-3}"); do printf 'line %s of the body of %s.\r\n' "$i" "$1"; done
	} > "msg/$1.eml"
}
sign() {        # NAME: msg/NAME.eml signed by example.com into msg/NAME.signed
	"$M" sign -d example.com -s mf -k keys/mf.private < "msg/$1.eml" > "msg/$1.signed"
}
msg sub 'Alice <alice@example.com>' 'a submission'
msg good 'Alice <alice@example.com>' 'signed'
msg big 'Alice <alice@example.com>' 'a big one' 3000
msg plain 'Bob <bob@example.org>' 'unsigned'
printf 'To: rcpt@example.net\r\nSubject: no From\r\n\r\nbody\r\n' > msg/nofrom.eml
if ! sign good || ! sign big; then
	nok "memflat: mailseal sign"
	exit 1
fi
sed 's/line 2 of/line two of/' msg/good.signed > msg/bad.signed
MSGS="auth:msg/sub.eml msg/good.signed msg/bad.signed msg/plain.eml msg/nofrom.eml msg/big.signed"

# --- the daemon ------------------------------------------------------------------
if [ "$san" = 1 ]; then
	# a small quarantine, so that freed memory is reused within the run
	export ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=8:abort_on_error=0
	export LSAN_OPTIONS=${LSAN_OPTIONS:-}
fi
"$PD" -c pd.conf -f 2> pd.log &
PDPID=$!
for _ in $(seq 1 200); do
	grep -q 'info: started with' pd.log && break
	kill -0 "$PDPID" 2> /dev/null || break
	sleep 0.05
done
if ! grep -q 'info: started with' pd.log; then
	nok "memflat: the daemon starts - $(oneline < pd.log)"
	exit 1
fi

start=$(date +%s)
./memflat "$T/policy.sock" "$T/milter.sock" "$PDPID" "$NPOL" "$NMIL" "$STEPS" \
	"$WPOL" "$WMIL" $MSGS > load.out 2> load.err
load_rc=$?
took=$(( $(date +%s) - start ))
replies=$(sed -n 's/^replies //p' load.out)
if [ $load_rc = 0 ] && [ -n "$replies" ]; then
	ok "memflat: $NPOL policy requests and $NMIL milter messages answered in ${took}s ($replies)"
else
	nok "memflat: the load - $(grep -m1 '^error' load.out)$(oneline < load.err) (status $load_rc)"
fi

# samples: STEP POLICY MILTER RSS FDS THREADS; the baseline is step 0,
# after the warm-up
grep '^sample ' load.out | cut -d' ' -f2- > samples
base=$(awk '$1 == "0"' samples)
last=$(tail -1 samples)
rss_growth="?"
if [ -n "$base" ] && [ "$(echo "$last" | cut -d' ' -f1)" = "$STEPS" ]; then
	set -- $base
	b_fds=$5 b_thr=$6
	set -- $last
	l_fds=$5 l_thr=$6
	# RSS: the highest of the first quarter of the samples (step 0
	# on) against the highest of the last quarter: a leak raises
	# both the peaks and the troughs, while an allocator giving
	# memory back to the system only makes troughs
	q=$(( (STEPS + 3) / 4 ))
	b_rss=$(awk -v q=$q '$1 != "start" && $1 <= q && $4 > m { m = $4 } END { print m + 0 }' samples)
	l_rss=$(awk -v f=$((STEPS - q + 1)) '$1 != "start" && $1 >= f && $4 > m { m = $4 } END { print m + 0 }' samples)
	rss_growth=$((l_rss - b_rss))
	max_rss=$(awk '$1 != "start" && $4 > m { m = $4 } END { print m + 0 }' samples)
	if [ "$rss_growth" -le "$RSS_BOUND" ]; then
		ok "memflat: resident memory flat (highest ${b_rss} kB in steps 0-$q, ${l_rss} kB in the last $q, growth ${rss_growth} kB <= ${RSS_BOUND} kB; highest of all ${max_rss} kB)"
	else
		nok "memflat: resident memory - grew ${rss_growth} kB (highest ${b_rss} kB in steps 0-$q, ${l_rss} kB in the last $q), more than ${RSS_BOUND} kB"
	fi
	if [ "$l_fds" -le "$b_fds" ]; then
		ok "memflat: open descriptors flat ($b_fds after warm-up, $l_fds at the end)"
	else
		nok "memflat: open descriptors - $b_fds after warm-up, $l_fds at the end"
	fi
	if [ "$l_thr" -le $((b_thr + 2)) ]; then
		ok "memflat: threads flat ($b_thr after warm-up, $l_thr at the end)"
	else
		nok "memflat: threads - $b_thr after warm-up, $l_thr at the end (more than 2 more)"
	fi
else
	nok "memflat: samples - $STEPS steps wanted, got $(wc -l < samples) lines"
fi

# --- stop: SIGTERM, a clean exit, LeakSanitizer --------------------------------------
kill -TERM "$PDPID"
for _ in $(seq 1 600); do kill -0 "$PDPID" 2> /dev/null || break; sleep 0.05; done
if kill -0 "$PDPID" 2> /dev/null; then
	nok "memflat: the daemon exits within 30 s of SIGTERM"
	kill -KILL "$PDPID"
	wait "$PDPID" 2> /dev/null
	exit_rc=killed
else
	wait "$PDPID"
	exit_rc=$?
	if [ "$exit_rc" = 0 ] && grep -q 'info: stopped' pd.log; then
		ok "memflat: SIGTERM: the daemon stops and exits 0"
	else
		nok "memflat: SIGTERM - exit status $exit_rc; $(grep -m3 -E 'ERROR|SUMMARY|runtime error' pd.log | oneline)"
	fi
fi
PDPID=""
lsan="not checked (not an ASan build)"
if [ "$san" = 1 ]; then
	if grep -q -E 'LeakSanitizer|AddressSanitizer|runtime error' pd.log; then
		lsan="REPORTS: $(grep -m2 -E 'SUMMARY|ERROR' pd.log | oneline 300)"
		nok "memflat: sanitizers clean at exit - $lsan"
		grep -E '^==[0-9]+==ERROR|^ +#[0-9]+ |^SUMMARY|runtime error' pd.log | head -40 | sed 's/^ */# /'
	else
		lsan="clean (LeakSanitizer ran at exit, no report)"
		ok "memflat: sanitizers clean at exit (no LeakSanitizer, ASan or UBSan report)"
	fi
fi

# --- the report -----------------------------------------------------------------------
# MEMFLAT_REPORT_NEW=1: the file starts anew with what the run is;
# otherwise this build's section is appended
if [ -n "$REPORT" ] && [ "${MEMFLAT_REPORT_NEW:-0}" = 1 ]; then
	{
		echo "# Memory and descriptors of mailseal-policyd under load"
		echo
		echo "Written by \`make memflat\` (tests/postfix/memflat.sh, client"
		echo "tests/postfix/memflat.c), once with the normal build and once with the"
		echo "ASan+UBSan build; the short version (20,000 requests, 2,000 messages)"
		echo "runs in the test suite as tests/postfix/t-memflat.sh."
		echo
		echo "One daemon per build received $NPOL policy requests (one persistent"
		echo "connection, every 50th request on a connection of its own; clients,"
		echo "senders, queue ids and SASL names vary) and $NMIL milter messages"
		echo "(one connection per SMTP session of 1 to 4 messages): in turn an"
		echo "authenticated submission (signed), a message signed by example.com"
		echo "(pass), the same with its body changed (refused under require_signed),"
		echo "an unsigned one from example.org (SPF fail, DMARC p=none), one without"
		echo "From (refused), and a 128 KB signed one; keys, SPF and DMARC records"
		echo "from a real nsd; check_spf and check_dmarc on; no Redis."
		echo
		echo "VmRSS, open descriptors and threads of the daemon were sampled before"
		echo "a warm-up of $WPOL requests and $WMIL messages (\"start\"), after it"
		echo "(step 0) and after each of $STEPS equal steps of the load, each time"
		echo "once the descriptor count had settled.  The warm-up touches every page"
		echo "of the daemon's fixed tables (the policy-to-milter note table,"
		echo "txtable.c, 8192 slots, some 10 MB, whose pages become resident as"
		echo "notes first land in them) and fills caches to their caps."
		echo
		echo "Bounds: resident memory, from the highest sample of the first quarter"
		echo "of the steps (step 0 on) to the highest of the last quarter, may grow"
		echo "at most 4096 kB with the normal build and 16384 kB with the ASan build (its"
		echo "allocator keeps freed blocks in a quarantine, capped at 8 MB here, and"
		echo "returns memory to the system in bursts: its RSS wanders by several MB"
		echo "from sample to sample); descriptors may not grow at all, threads by"
		echo "at most 2 (a pool worker is started when a connection arrives before"
		echo "the previous connection's worker is idle again).  The ASan build's"
		echo "daemon is stopped with SIGTERM and LeakSanitizer checks at its exit."
		echo
		echo "Machine: $(nproc) cores shared with other work; $(date -u '+%Y-%m-%d')."
	} > "$ROOT/$REPORT"
fi
if [ -n "$REPORT" ]; then
	verdict=pass
	[ "$fails" = 0 ] || verdict="FAIL ($fails checks failed)"
	{
		echo
		echo "## \`$BUILD/mailseal-policyd\`"
		echo
		[ "$san" = 1 ] && echo "\`ASAN_OPTIONS=$ASAN_OPTIONS\`" && echo
		echo "Load of $NPOL requests and $NMIL messages after the warm-up: ${took} s"
		echo "(warm-up included)."
		echo
		echo "| step | policy requests | milter messages | VmRSS (kB) | open fds | threads |"
		echo "|---|---:|---:|---:|---:|---:|"
		awk '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' samples
		echo
		echo "Replies (warm-up included): $replies."
		echo
		echo "RSS growth, highest of steps 0-$q ($b_rss kB) to highest of the last $q"
		echo "($l_rss kB): $rss_growth kB (bound $RSS_BOUND kB).  Descriptors $b_fds at"
		echo "step 0, $l_fds at the end; threads $b_thr and $l_thr."
		echo "Exit on SIGTERM: status $exit_rc.  Sanitizers at exit: $lsan."
		echo
		echo "Verdict: $verdict."
	} >> "$ROOT/$REPORT"
	echo "# report written to $REPORT"
fi
[ $fails = 0 ]
