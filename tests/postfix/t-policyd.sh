#!/bin/bash
# t-policyd.sh - mailseal-policyd alone, driven on its own sockets by
# pd_probe.py (no Postfix, no DNS server, no Redis): what an SMTP
# transaction's identity may reach the milter side from the policy
# side; slow clients (one byte now and then) and deadlines; running out
# of descriptors; a second instance; what -t checks.  Small timeouts in
# the test configurations keep every case to a few seconds.
# The daemon is the build's under test ($MAILSEAL_BUILD: build or
# build/san).  KEEP_T=DIR keeps a copy of the work directory.
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${MAILSEAL_BUILD:-build}
M=${MAILSEAL:-$ROOT/$BUILD/mailseal}
PD=$ROOT/$BUILD/mailseal-policyd
PROBE="/usr/bin/python3 $ROOT/tests/postfix/pd_probe.py"
. "$ROOT/tests/lib/check.sh"
[ -x "$PD" ] || { nok "the daemon is built - $PD does not exist"; exit 1; }
T=$(mktemp -d /tmp/t-policyd.XXXXXX) || exit 1
PIDS=""
cleanup() {
	local p
	for p in $PIDS; do kill -KILL "$p" 2> /dev/null; wait "$p" 2> /dev/null; done
	[ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$T" || exit 1
oneline() { tr '\r\n' '  ' | tr -s ' ' | cut -c1-"${1:-400}"; }

# --- helpers --------------------------------------------------------------
gone() {        # PID: exited (or a zombie)
	local st
	st=$(sed 's/^.*) //; s/ .*//' "/proc/$1/stat" 2> /dev/null)
	[ -z "$st" ] || [ "$st" = Z ]
}
# start NAME CONF [ULIMIT-ARGS]: a daemon in the foreground, its log in
# NAME.log, its pid in $PID; 0 once it logged "started with"
start() {
	local n=$1 conf=$2 i
	shift 2
	: > "$n.log"
	if [ $# -gt 0 ]; then
		(ulimit "$@" && exec "$PD" -c "$conf" -f) 2>> "$n.log" &
	else
		"$PD" -c "$conf" -f 2>> "$n.log" &
	fi
	PID=$!
	PIDS="$PIDS $PID"
	for i in $(seq 1 200); do
		grep -q 'info: started with' "$n.log" && return 0
		gone "$PID" && return 1
		sleep 0.05
	done
	return 1
}
# stop PID: SIGTERM, wait (5 s), then SIGKILL
stop() {
	local i
	kill -TERM "$1" 2> /dev/null
	for i in $(seq 1 100); do gone "$1" && break; sleep 0.05; done
	gone "$1" || kill -KILL "$1" 2> /dev/null
	wait "$1" 2> /dev/null
}
# conf NAME [LINE...]: NAME.conf, sockets in NAME/, the signing table
conf() {
	local n=$1
	shift
	mkdir -p "$n"
	{
		printf 'signing_table = %s\n' "$T/signing.table"
		printf 'authserv_id = mx.probe.example\n'
		printf 'policy_listen = unix:%s\n' "$T/$n/policy.sock"
		printf 'milter_listen = unix:%s\n' "$T/$n/milter.sock"
		printf 'pid_file = %s\n' "$T/$n/pd.pid"
		printf 'socket_mode = 0600\n'
		printf 'dns_resolver = 127.0.0.1:9\n'
		printf 'dns_timeout = 100ms\n'
	} | while IFS= read -r d; do    # a LINE given replaces its default
		for l in "$@"; do [ "${l%% =*}" = "${d%% =*}" ] && continue 2; done
		printf '%s\n' "$d"
	done > "$n.conf"
	for l in "$@"; do printf '%s\n' "$l"; done >> "$n.conf"
}
# msg FILE FROM: a small message
msg() {
	printf 'From: %s\r\nTo: rcpt@example.net\r\nSubject: probe\r\nMessage-ID: <%s@probe.example>\r\n\r\nbody\r\n' \
		"$2" "$1" > "$1"
}
signed() { grep -q '^insheader 0 DKIM-Signature:' "$1"; }

for d in example.com tenant-b.example; do
	mkdir -p "keys/$d" && "$M" keygen -d "$d" -s sel -o "keys/$d" > /dev/null || { nok "keygen $d"; exit 1; }
	printf '%s sel %s\n' "$d" "$T/keys/$d/sel.private" >> signing.table
done
msg m-boss 'boss@example.com'
msg m-ceo 'ceo@tenant-b.example'

# --- 1. the policy side's SASL note reaches only its own transaction -------
conf d1 'request_timeout = 5s'
start d1 d1.conf || { nok "d1 starts - $(oneline < d1.log)"; exit 1; }
P=unix:$T/d1/policy.sock MS=unix:$T/d1/milter.sock
# the note the issue reported: planted by any policy client, for a queue id
a=$($PROBE policy "$P" sender=x@evil.example sasl_username=mallory queue_id=QX1 client_address=192.0.2.66)
[ "$a" = action=DUNNO ] && ok "1: a policy request with sasl_username is answered ($a)" || nok "1: policy answer: $a"
# an MTA that negotiated macro lists sends {auth_authen} whenever there
# is one: without it the message is unauthenticated, whatever was noted
$PROBE milterx "$MS" m-ceo @qid=QX1 @addr=192.0.2.66 @sender=x@evil.example > r1 2>&1
! signed r1 && grep -q '^insheader 0 Authentication-Results:' r1 \
	&& ok "1: macro lists negotiated, no {auth_authen}: not signed (the policy side's note is not used)" \
	|| nok "1: macro lists negotiated, no {auth_authen}: $(oneline < r1)"
! grep -q 'QX1: .*role=sign' d1.log && ok "1: ... and not logged as role=sign" || nok "1: log: $(grep QX1 d1.log | oneline)"
# without macro lists (actions 0x11: add and change headers only) the
# note is the fallback, but only for the transaction it was given in:
# another client address, another sender, or a second message with the
# same queue id get nothing
$PROBE policy "$P" sender=x@evil.example sasl_username=mallory queue_id=QX2 client_address=192.0.2.66 > /dev/null
$PROBE milterx "$MS" m-ceo @actions=0x11 @qid=QX2 @addr=192.0.2.77 @sender=x@evil.example > r2 2>&1
! signed r2 && ok "1: no macro lists: a note for another client address is not used" || nok "1: other address: $(oneline < r2)"
$PROBE milterx "$MS" m-ceo @actions=0x11 @qid=QX2 @addr=192.0.2.66 @sender=ceo@tenant-b.example > r3 2>&1
! signed r3 && ok "1: no macro lists: a note for another envelope sender is not used" || nok "1: other sender: $(oneline < r3)"
$PROBE policy "$P" sender=alice@example.com sasl_username=alice queue_id=QX3 client_address=192.0.2.10 > /dev/null
$PROBE milterx "$MS" m-boss @actions=0x11 @qid=QX3 @addr=192.0.2.10 @sender=alice@example.com > r4 2>&1
signed r4 && grep -q 'QX3: mailseal: role=sign auth="alice"' d1.log \
	&& ok "1: no macro lists: the note of the same transaction (queue id, client, sender) signs it" \
	|| nok "1: same transaction: $(oneline < r4); log: $(grep QX3 d1.log | oneline)"
$PROBE milterx "$MS" m-boss @actions=0x11 @qid=QX3 @addr=192.0.2.10 @sender=alice@example.com > r5 2>&1
! signed r5 && ok "1: no macro lists: the note is used up by its message (a second one with the same queue id is not signed)" \
	|| nok "1: second message, same queue id: $(oneline < r5)"
# a note given at END-OF-MESSAGE comes after the milter saw the message:
# it is not kept (it would only wait for a later transaction)
$PROBE policy "$P" sender=alice@example.com sasl_username=alice queue_id=QX4 client_address=192.0.2.10 \
	protocol_state=END-OF-MESSAGE > /dev/null
$PROBE milterx "$MS" m-boss @actions=0x11 @qid=QX4 @addr=192.0.2.10 @sender=alice@example.com > r6 2>&1
! signed r6 && ok "1: a note given at END-OF-MESSAGE is not kept" || nok "1: END-OF-MESSAGE note: $(oneline < r6)"
# an abort uses the note up too
$PROBE policy "$P" sender=alice@example.com sasl_username=alice queue_id=QX5 client_address=192.0.2.10 > /dev/null
$PROBE abort "$MS" QX5 192.0.2.10 alice@example.com > /dev/null
$PROBE milterx "$MS" m-boss @actions=0x11 @qid=QX5 @addr=192.0.2.10 @sender=alice@example.com > r9 2>&1
! signed r9 && ok "1: a transaction aborted before its header uses its note up" || nok "1: after an abort: $(oneline < r9)"
# the issue's repro, step 2: a later session with the same queue id
$PROBE milterx "$MS" m-boss @qid=QX1 @addr=192.0.2.66 @sender=x@evil.example > r7 2>&1
! signed r7 && ok "1: a second unauthenticated session with the queue id of the note: not signed" \
	|| nok "1: second session: $(oneline < r7)"
stop "$PID"

# --- 15c. -t checks what the parser cannot, naming file and line ---------
# tcheck NAME WANT LINE...: -t on a configuration of the good one and
# LINEs (at its end): exit 1 and WANT (a fixed string; @N@ the line of
# the last LINE) in what it says; "ok" for WANT: exit 0
tcheck() {
	local name=$1 want=$2 out rc
	shift 2
	conf tc "$@"
	want=${want//@N@/$(wc -l < tc.conf)}
	out=$(timeout 10 "$PD" -t -c tc.conf 2>&1)
	rc=$?
	if [ "$want" = ok ]; then
		# (run as root without user, -t also warns that it checked as root)
		[ $rc = 0 ] && [ "$(printf '%s\n' "$out" | grep -v 'warning: tc.conf: checked as root')" = "tc.conf: ok" ] && ok "15c: -t: $name" || nok "15c: -t: $name - status $rc: $out"
	else
		[ $rc = 1 ] && printf '%s' "$out" | grep -qF -- "$want" && ok "15c: -t: $name ($want)" \
			|| nok "15c: -t: $name - status $rc, wanted \"$want\": $out"
	fi
}
tcheck "a good configuration" ok 'socket_group = root'
tcheck "an unknown socket_group" "tc.conf:@N@: socket_group no-such-group-xyz: no such group" \
	'socket_group = no-such-group-xyz'
tcheck "policy_listen without a port" "tc.conf:@N@: policy_listen inet:127.0.0.1: expected inet:HOST:PORT" \
	'# a comment' 'policy_listen = inet:127.0.0.1'
tcheck "a port out of range" "tc.conf:@N@: milter_listen inet:127.0.0.1:99999: the port must be a number from 1 to 65535" \
	'milter_listen = inet:127.0.0.1:99999'
tcheck "a relative unix path" "tc.conf:@N@: milter_listen unix:run/m.sock: a unix socket needs an absolute path" \
	'milter_listen = unix:run/m.sock'
tcheck "an unknown scheme" "tc.conf:@N@: policy_listen tcp:1.2.3.4:5: expected unix:/path or inet:HOST:PORT" \
	'policy_listen = tcp:1.2.3.4:5'
tcheck "a host that does not resolve" "tc.conf:@N@: policy_listen inet:no-such-host.invalid:10025: no-such-host.invalid:" \
	'policy_listen = inet:no-such-host.invalid:10025'
conf tc 'socket_group = no-such-group-xyz'
n=$(wc -l < tc.conf)
timeout 10 "$PD" -f -c tc.conf 2> tc.log
rc=$?
[ $rc = 1 ] && grep -qF "tc.conf:$n: socket_group no-such-group-xyz: no such group" tc.log && [ ! -e tc/policy.sock ] \
	&& ok "15c: the daemon does not start with an unknown socket_group, naming file and line" \
	|| nok "15c: start with an unknown group: status $rc: $(oneline < tc.log)"
conf tc "milter_listen = unix:$T/no-such-dir/m.sock"
n=$(wc -l < tc.conf)
timeout 10 "$PD" -f -c tc.conf 2> tc.log
rc=$?
[ $rc = 1 ] && grep -qF "tc.conf:$n: milter_listen unix:$T/no-such-dir/m.sock: No such file or directory" tc.log \
	&& [ ! -e tc/policy.sock ] \
	&& ok "15c: a socket that cannot be bound at start: exit 1, the error names file and line, no socket left" \
	|| nok "15c: bind failure at start: status $rc: $(oneline < tc.log)"

# --- 15b. a second instance refuses to start -------------------------------
conf d2
start d2 d2.conf || nok "15b: d2 starts - $(oneline < d2.log)"
D2=$PID
timeout 10 "$PD" -f -c d2.conf 2> d2b.log
rc=$?
[ $rc = 1 ] && grep -q "already running: pid file $T/d2/pd.pid is locked by process $D2; not starting" d2b.log \
	&& ok "15b: a second instance with the same pid file: exits 1, \"already running\", names the pid" \
	|| nok "15b: second instance: status $rc: $(oneline < d2b.log)"
sed 's|^pid_file = .*|pid_file = '"$T"'/d2/other.pid|' d2.conf > d2c.conf
timeout 10 "$PD" -f -c d2c.conf 2> d2c.log
rc=$?
[ $rc = 1 ] && grep -q "already running: another process answers on unix:$T/d2/policy.sock; not starting" d2c.log \
	&& ok "15b: another pid file, the same sockets: exits 1, \"already running\", names the socket" \
	|| nok "15b: second instance, other pid file: status $rc: $(oneline < d2c.log)"
a=$($PROBE policy "unix:$T/d2/policy.sock" sender=a@example.org)
[ "$a" = action=DUNNO ] && [ "$(cat d2/pd.pid)" = "$D2" ] && [ -S d2/milter.sock ] && ! gone "$D2" \
	&& ok "15b: the running one still answers, its pid file and sockets in place" \
	|| nok "15b: after the second instances: policy $a, pid file $(cat d2/pd.pid 2>&1), $(ls d2)"
kill -KILL "$D2"; wait "$D2" 2> /dev/null
start d2 d2.conf && ok "15b: after a crash (pid file and sockets left, unlocked) the daemon starts" \
	|| nok "15b: restart after SIGKILL: $(tail -3 d2.log | oneline)"
stop "$PID"
[ ! -e d2/pd.pid ] && [ ! -e d2/policy.sock ] && ok "15b: a stopped daemon removes its pid file and sockets" \
	|| nok "15b: left after SIGTERM: $(ls d2)"

# --- 4. a client dripping bytes does not keep its connection --------------
# within() GOT LO HI: GOT is "closed after N s" with LO <= N <= HI
within() {
	case $1 in "closed after "*) ;; *) return 1 ;; esac
	awk -v n="${1#closed after }" -v lo="$2" -v hi="$3" 'BEGIN { n += 0; exit !(n >= lo && n <= hi) }'
}
conf d4 'request_timeout = 3s' 'packet_timeout = 2s' 'message_timeout = 4s'
start d4 d4.conf || nok "4: d4 starts - $(oneline < d4.log)"
D4=$PID
$PROBE drip "unix:$T/d4/policy.sock" policy 0.5 10 > dr1 2>&1 &
$PROBE drip "unix:$T/d4/milter.sock" milter 0.5 10 > dr2 2>&1 &
$PROBE drip "unix:$T/d4/milter.sock" message 0.5 10 > dr3 2>&1 &
wait $(jobs -p | grep -v "^$D4$")
r=$(cat dr1)
within "$r" 1.5 4.5 && grep -q 'policy client: a request not complete after 2000 ms (packet_timeout); closing' d4.log \
	&& ok "4: policy: a request dripped a byte every 0.5 s is closed at packet_timeout (2 s): $r" \
	|| nok "4: policy drip: $r; log: $(grep -i 'policy client' d4.log | oneline)"
r=$(cat dr2)
within "$r" 1.5 4.5 && grep -q 'milter client: a packet not complete after 2000 ms (packet_timeout); closing' d4.log \
	&& ok "4: milter: a packet dripped a byte every 0.5 s is closed at packet_timeout (2 s): $r" \
	|| nok "4: milter drip: $r; log: $(grep -i 'milter client' d4.log | oneline)"
r=$(cat dr3)
within "$r" 3.5 6.5 && grep -q 'PROBE1: milter client: message not complete after 4000 ms (message_timeout); closing' d4.log \
	&& ok "4: milter: a message of whole packets every 0.5 s that never ends is closed at message_timeout (4 s): $r" \
	|| nok "4: milter message drip: $r; log: $(grep -i 'milter client' d4.log | oneline)"
a=$($PROBE policy "unix:$T/d4/policy.sock" sender=a@example.org)
$PROBE milterx "unix:$T/d4/milter.sock" m-boss > r8 2>&1
[ "$a" = action=DUNNO ] && grep -q '^insheader 0 Authentication-Results:' r8 && tail -1 r8 | grep -qx continue \
	&& ok "4: ... and the daemon serves the next clients" || nok "4: after the drips: policy $a, milter $(oneline < r8)"
stop "$D4"
# -s (spawn(8)): one client on stdin; a request dripped a byte every
# 0.5 s ends the process at packet_timeout
t0=$(date +%s%N)
for i in $(seq 1 20); do printf 'r'; sleep 0.5; done 2> /dev/null | timeout 12 "$PD" -s -c d4.conf > /dev/null 2>&1
r="closed after $(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"
within "$r" 1.5 5.5 && ok "4: -s: a request dripped on stdin ends the process at packet_timeout: $r" \
	|| nok "4: -s drip: $r"

# --- 3. out of descriptors, and past the connection caps -----------------
ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }     # utime + stime
nfds() { ls "/proc/$1/fd" 2> /dev/null | wc -l; }
# load NAME SOCK N: N idle connections held 5 s while the daemon $PID is
# watched for 2 s: CPU ticks (1/100 s) used, descriptors, log bytes;
# then, once they are closed, the first answer to a new client (10 s)
load() {
	local n=$1 sock=$2 count=$3 t0 i
	$PROBE hold "$sock" "$count" 5 > "$n.hold" 2>&1 &
	HOLDER=$!
	for i in $(seq 1 100); do [ -s "$n.hold" ] && break; sleep 0.05; done
	sleep 0.5
	t0=$(ticks "$PID")
	sleep 2
	CPU=$(( $(ticks "$PID") - t0 )) FDS=$(nfds "$PID") LOGSZ=$(wc -c < "$n.log")
	wait "$HOLDER"
	SERVED=""
	for i in $(seq 1 50); do
		case $sock in
		*policy.sock) SERVED=$($PROBE policy "$sock" sender=a@example.org 2>&1 | tail -1)
			[ "$SERVED" = action=DUNNO ] && break ;;
		*) SERVED=$($PROBE milterx "$sock" m-boss 2>&1 | tail -1)
			[ "$SERVED" = continue ] && break ;;
		esac
		sleep 0.2
	done
}
# 3a: 120 idle policy connections with 64 descriptors: accept() fails
# with EMFILE; the listener backs off, the warning is rate-limited
conf d3a 'request_timeout = 30s'
start d3a d3a.conf -n 64 || nok "3: d3a starts under ulimit -n 64 - $(oneline < d3a.log)"
grep -qE 'info: open files: limit 64; room for about [0-9]+ client connections' d3a.log \
	&& ok "3: the start-up line says how many connections it can hold: $(grep -o 'open files: .*' d3a.log | head -1)" \
	|| nok "3: no start-up line on descriptors: $(oneline < d3a.log)"
load d3a "unix:$T/d3a/policy.sock" 120
[ "$CPU" -le 40 ] && ok "3: 120 idle policy connections, 64 descriptors: $CPU ticks of CPU in 2 s (at most 40)" \
	|| nok "3: 120 idle policy connections, 64 descriptors: $CPU ticks of CPU in 2 s"
[ "$LOGSZ" -le 20000 ] && ok "3: ... the log stays small ($LOGSZ bytes)" || nok "3: log of $LOGSZ bytes: $(tail -3 d3a.log | oneline)"
grep -q 'warning: accept on unix:.*policy.sock: Too many open files; not accepting for' d3a.log \
	&& ok "3: ... the EMFILE warning says the listener backs off" || nok "3: no back-off warning: $(tail -3 d3a.log | oneline)"
[ "$SERVED" = action=DUNNO ] && ok "3: ... a new policy client is served once they close" || nok "3: after the load: $SERVED"
stop "$PID"
# 3b: max_policy_connections: past it, connections wait in the listen
# queue (no descriptor of the daemon's); they are served once some close
conf d3b 'max_policy_connections = 10' 'request_timeout = 30s'
start d3b d3b.conf || nok "3: d3b starts - $(oneline < d3b.log)"
base=$(nfds "$PID")
load d3b "unix:$T/d3b/policy.sock" 60
[ "$FDS" -le $((base + 10)) ] && ok "3: max_policy_connections 10, 60 connections: the daemon holds 10 ($FDS descriptors, $base before)" \
	|| nok "3: max_policy_connections 10: $FDS descriptors, $base before"
grep -q 'warning: all 10 policy connections in use (max_policy_connections); new ones wait in the listen queue' d3b.log \
	&& [ "$(grep -c 'max_policy_connections' d3b.log)" -le 2 ] && [ "$CPU" -le 40 ] \
	&& ok "3: ... one warning, low CPU ($CPU ticks)" || nok "3: cap warning / CPU $CPU: $(grep -c max_policy d3b.log) lines: $(tail -2 d3b.log | oneline)"
[ "$SERVED" = action=DUNNO ] && ok "3: ... a new policy client is served once they close" || nok "3: after the load: $SERVED"
stop "$PID"
# 3c: 80 milter connections, max_connections = 8, 64 descriptors
conf d3c 'max_connections = 8' 'request_timeout = 30s'
start d3c d3c.conf -n 64 || nok "3: d3c starts - $(oneline < d3c.log)"
base=$(nfds "$PID")
load d3c "unix:$T/d3c/milter.sock" 80
[ "$FDS" -le $((base + 8)) ] && [ "$CPU" -le 40 ] && [ "$LOGSZ" -le 20000 ] \
	&& ok "3: max_connections 8, 80 milter connections, 64 descriptors: 8 held ($FDS descriptors, $base before), $CPU ticks, log $LOGSZ bytes" \
	|| nok "3: max_connections 8: $FDS descriptors ($base before), $CPU ticks, log $LOGSZ bytes: $(tail -2 d3c.log | oneline)"
grep -q 'warning: all 8 milter connections busy (max_connections); new ones wait in the listen queue' d3c.log \
	&& ok "3: ... the warning says they wait in the listen queue" || nok "3: cap warning: $(grep -i busy d3c.log | oneline)"
[ "$SERVED" = continue ] && ok "3: ... a new milter client is served once they close" || nok "3: after the load: $SERVED"
stop "$PID"
# 3d: the soft limit is raised to the hard one at start
conf d3d
start d3d d3d.conf -S -n 64 || nok "3: d3d starts - $(oneline < d3d.log)"
hard=$(ulimit -H -n)
[ "$hard" = unlimited ] && hard=$(cat /proc/sys/fs/nr_open)
soft=$(awk '/^Max open files/ { print $4 }' "/proc/$PID/limits")
[ "$soft" -gt 64 ] && grep -q "info: open files: limit $soft (raised from 64)" d3d.log \
	&& ok "3: a soft descriptor limit of 64 is raised at start (to $soft, hard $hard), and said" \
	|| nok "3: soft limit $soft (hard $hard): $(grep 'open files' d3d.log | oneline)"
stop "$PID"

# --- end: under ASan/UBSan ($MAILSEAL_BUILD build/san) a report goes to
# the daemons' stderr, which is their log
if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' ./*.log > san.hits 2> /dev/null; then
	nok "no sanitizer report in the daemons' logs - $(tr '\n' ' ' < san.hits)"
else
	ok "no sanitizer report in the daemons' logs"
fi
echo "# took $SECONDS s"
[ $fails = 0 ]
