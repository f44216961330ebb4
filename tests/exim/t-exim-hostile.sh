#!/bin/bash
# t-exim-hostile.sh - hostile senders and a hostile network against the
# module inside Debian's real Exim 4.96 (local_scan_path), keys in a real
# nsd, the farm's cache in a real redis-server, all on loopback:
#   1 a signed message: 250, dkim=pass (the reference for what follows)
#   2 a field of 200 KB that no signature covers: still 250, dkim=pass;
#     one of 300 KB (past the 256 KB a field may have): a verdict all
#     the same (accepted with our Authentication-Results, or refused
#     with 5xx), never a tempfail or a broken session
#   3 a header block of 2.5 MB (past the 2 MB mailseal reads; Exim's
#     header_maxsize raised to 4 MB so that the module sees it): a
#     verdict, as in 2
#   4 a thousand signatures (999 broken ones in front of the valid
#     one: past the 1000 header fields mailseal reads): a verdict within
#     the deadline and a log line; 985 of them (under that cap): a
#     verdict, at most max_signatures (5) of them verified
#   5 a DNS server that never answers (a UDP socket nobody reads):
#     451 within the configured budget (dns_timeout 1 s, budget 3 s;
#     the limit checked is a generous 30 s), never 250
#   6 Redis stopped (SIGSTOP) while the key is cached there: the message
#     is verified through DNS (250, dkim=pass) and the reply comes well
#     before Exim's own timeouts
# Each check also asks that Exim still answers and its paniclog holds
# nothing new.  KEEP_T=DIR keeps the work directory.
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
MOD=$ROOT/build/mailseal_exim.so
HERE=$ROOT/tests/exim
PY=/usr/bin/python3
. "$ROOT/tests/lib/check.sh"
. "$ROOT/tests/lib/nsd.sh"
. "$ROOT/tests/lib/redis.sh"
. "$HERE/lib.sh"
exim_san_pass_done

T=$(mktemp -d)
chmod 755 "$T"                  # Exim runs as Debian-exim and reads in here
EXIM_HOME="$T/exim"
mkdir "$EXIM_HOME" "$T/msg"
HANG_PID=""
cleanup() {
	local p
	p=$(cat "$REDIS_DIR/farm/redis.pid" 2>/dev/null)
	[ -n "$p" ] && kill -CONT "$p" 2>/dev/null
	exim_stop_all
	[ -n "$HANG_PID" ] && kill "$HANG_PID" 2>/dev/null && wait "$HANG_PID" 2>/dev/null
	nsd_stop
	redis_stop_all
	[ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$T" || exit 1
for need in "$MOD" "$M"; do
	[ -e "$need" ] || { t_nok "built - $need is missing"; exit 1; }
done

# --- DNS, Redis, the module's configuration ---------------------------------
"$M" keygen -d example.com -s h -o . > /dev/null || { t_nok "keygen"; exit 1; }
{ cat h.txt; echo '@ IN TXT "v=spf1 ip4:127.0.0.1 -all"'; } > com.rr
nsd_zone example.com 300 com.rr > example.com.zone
nsd_start "$T" example.com || { t_nok "nsd starts"; exit 1; }
redis_start farm || { t_nok "redis starts"; exit 1; }
# a UDP socket that never answers: the hanging DNS server
HANG_PORT=$(free_port)
"$PY" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
time.sleep(3600)' "$HANG_PORT" &
HANG_PID=$!

conf() {        # conf RESOLVER-PORT: the module's configuration, replaced whole
	{
		printf 'dns_resolver = 127.0.0.1:%s\n' "$1"
		printf 'redis_url = redis://127.0.0.1:%s\n' "$REDIS_PORT_farm"
		printf 'authserv_id = ex.hostile.test\n'
		printf 'dns_timeout = 1s\ndns_message_budget = 3s\n'
	} > ms.conf.new
	chmod 644 ms.conf.new
	touch -d "@$(( $(date +%s) + ${CONF_N:=0} ))" ms.conf.new
	CONF_N=$((CONF_N + 1))
	mv ms.conf.new ms.conf
}
conf "$NSD_PORT"
EXIM_EXTRA_MAIN="header_maxsize = 4M" exim_start h "$MOD" "$T/ms.conf" > start.out 2>&1 ||
	{ t_nok "Exim starts: $(oneline < start.out)"; exit 1; }

msg() {         # msg NAME: a message of alice@example.com, signed
	printf 'From: Alice <alice@example.com>\r\nTo: rcpt@example.net\r\nSubject: hostile %s\r\nMessage-ID: <%s@example.com>\r\n\r\nBody of %s.\r\n' \
		"$1" "$1" "$1" > "msg/$1.raw"
	"$M" sign -d example.com -s h -k h.private "msg/$1.raw" > "msg/$1.eml"
}
ar_of() { hdr "$1" Authentication-Results | grep '^ex\.hostile\.test;'; }
# send NAME FILE: sets REPLY, SECS (whole seconds the session took), FILE
# (the delivered copy, "" when none)
send() {
	local t0 n
	n=$(exim_count h)
	t0=$(date +%s%N)
	exim_send h "$2" -f alice@example.com
	SECS=$(( ($(date +%s%N) - t0) / 1000000000 ))
	REPLY=$EXIM_REPLY
	FILE=""
	case $REPLY in 250*) exim_wait_count h $((n + 1)) 10 && FILE=$(exim_find h "Message-ID: <$1@") ;; esac
}
healthy() {     # NAME: Exim answers, nothing new in the paniclog
	local p
	p=$(exim_panics h)
	exim_running h && [ -z "$p" ] && t_ok "$1: Exim answers, paniclog clean" ||
		t_nok "$1: Exim running: $(exim_running h && echo yes || echo no), paniclog: $(printf '%s' "$p" | oneline)"
}
# verdict NAME: a 250 with our Authentication-Results on the delivered
# copy, or a 5xx; anything else (4xx, no reply, 250 without our field)
# is not ok
verdict() {
	case $REPLY in
	250*)
		if [ -n "$FILE" ] && [ -n "$(ar_of "$FILE")" ]; then
			t_ok "$1: 250, delivered with $(ar_of "$FILE" | grep -oE 'dkim=[a-z]+' | sort | uniq -c | oneline)"
		else
			t_nok "$1: 250 but no Authentication-Results of ours on the delivered copy (${FILE:-not found})"
		fi ;;
	5*) t_ok "$1: refused: $(printf '%s' "$REPLY" | cut -c1-120)" ;;
	*) t_nok "$1: neither a verdict nor a refusal: \"$REPLY\" ($(tail -3 "$EXIM_TRANSCRIPT" | oneline))" ;;
	esac
}

# --- 1 the reference ------------------------------------------------------------
msg ref
send ref msg/ref.eml
case $REPLY in 250*) ar_of "$FILE" | grep -q 'dkim=pass header.d=example.com' ;; *) false ;; esac &&
	t_ok "1: a signed message: 250, dkim=pass" || t_nok "1: reference: \"$REPLY\" $(ar_of "${FILE:-/dev/null}" | oneline)"

# --- 2 big fields ---------------------------------------------------------------
msg big200
"$PY" "$ROOT/tests/lib/hostile_msg.py" bigfield msg/big200.eml msg/big200.x 200000
send big200 msg/big200.x
case $REPLY in 250*) ar_of "$FILE" | grep -q 'dkim=pass header.d=example.com' ;; *) false ;; esac &&
	t_ok "2: a 200 KB field no signature covers: 250, dkim=pass" || t_nok "2: 200 KB field: \"$REPLY\" $(ar_of "${FILE:-/dev/null}" | oneline)"
msg big300
"$PY" "$ROOT/tests/lib/hostile_msg.py" bigfield msg/big300.eml msg/big300.x 300000
send big300 msg/big300.x
verdict "2: a 300 KB field"
healthy 2

# --- 3 a header block past 2 MB ------------------------------------------------
msg block
"$PY" "$ROOT/tests/lib/hostile_msg.py" bigblock msg/block.eml msg/block.x 2500000
send block msg/block.x
verdict "3: a 2.5 MB header block"
healthy 3

# --- 4 a thousand signatures -----------------------------------------------------
msg sigs
"$PY" "$ROOT/tests/lib/hostile_msg.py" sigs msg/sigs.eml msg/sigs.x 999
[ "$(grep -c '^DKIM-Signature:' msg/sigs.x)" = 1000 ] || t_nok "4: the message has $(grep -c '^DKIM-Signature:' msg/sigs.x) signatures, not 1000"
send sigs msg/sigs.x
verdict "4: 1000 signatures"
[ "$SECS" -lt 60 ] && t_ok "4: ... answered within the deadline (${SECS} s < 60 s)" || t_nok "4: ... took $SECS s"
# 985 signatures: under the header-field cap, so the signature cap decides
msg sigs2
"$PY" "$ROOT/tests/lib/hostile_msg.py" sigs msg/sigs2.eml msg/sigs2.x 984
send sigs2 msg/sigs2.x
verdict "4: 985 signatures"
n=$(ar_of "${FILE:-/dev/null}" | grep -oE 'dkim=(pass|fail|neutral|temperror|permerror)' | wc -l)
[ -n "$FILE" ] && [ "$n" -ge 1 ] && [ "$n" -le 5 ] &&
	t_ok "4: ... at most max_signatures (5) of them verified: $n" || t_nok "4: ... $n verified results: $(ar_of "${FILE:-/dev/null}" | cut -c1-300)"
[ "$SECS" -lt 60 ] && t_ok "4: ... answered within the deadline (${SECS} s < 60 s)" || t_nok "4: ... took $SECS s"
line=$(exim_log_grep h 'mailseal: .*hostile sigs|mailseal: role=' | tail -1)
[ -n "$line" ] && t_ok "4: one log line for it: $(printf '%s' "$line" | cut -d' ' -f4- | cut -c1-160)" || t_nok "4: no mailseal log line"
healthy 4

# --- 5 a DNS server that never answers -----------------------------------------
conf "$HANG_PORT"
msg hang
# each SMTP session is a new process (an empty in-process cache); Redis
# emptied: the key must come from DNS
rcli "$REDIS_PORT_farm" FLUSHALL > /dev/null
send hang msg/hang.eml
case $REPLY in 451*) true ;; *) false ;; esac && [ "$SECS" -lt 30 ] &&
	t_ok "5: DNS silent: 451 in ${SECS} s ($(printf '%s' "$REPLY" | cut -c1-80))" ||
	t_nok "5: DNS silent: \"$REPLY\" after $SECS s"
healthy 5
conf "$NSD_PORT"

# --- 6 Redis stopped -----------------------------------------------------------
msg warm
send warm msg/warm.eml          # the key reaches Redis
rp=$(cat "$REDIS_DIR/farm/redis.pid")
kill -STOP "$rp"
msg paused
send paused msg/paused.eml
kill -CONT "$rp"
case $REPLY in 250*) ar_of "$FILE" | grep -q 'dkim=pass header.d=example.com' ;; *) false ;; esac && [ "$SECS" -lt 30 ] &&
	t_ok "6: Redis stopped: 250, dkim=pass (from DNS) in ${SECS} s" ||
	t_nok "6: Redis stopped: \"$REPLY\" after $SECS s $(ar_of "${FILE:-/dev/null}" | oneline)"
grep -q 'Redis.*unavailable\|Redis.*timed out\|redis' "$(exim_log h)" &&
	t_ok "6: ... the outage is in Exim's log: $(grep -i 'redis' "$(exim_log h)" | tail -1 | cut -d' ' -f4- | cut -c1-120)" ||
	t_nok "6: Exim's log does not mention Redis"
healthy 6
[ "$fails" = 0 ]
