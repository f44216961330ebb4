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
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$n.conf"
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
# the issue's repro, step 2: a later session with the same queue id
$PROBE milterx "$MS" m-boss @qid=QX1 @addr=192.0.2.66 @sender=x@evil.example > r7 2>&1
! signed r7 && ok "1: a second unauthenticated session with the queue id of the note: not signed" \
	|| nok "1: second session: $(oneline < r7)"
stop "$PID"

echo "# took $SECONDS s"
[ $fails = 0 ]
