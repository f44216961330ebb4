#!/bin/bash
# t-hostile.sh - hostile clients against mailseal-policyd while Debian's
# real Postfix 3.7 (tests/postfix/lib.sh) carries mail through it
# (check_policy_service and milter), keys in a real nsd, on loopback.
# Every case ends with a message sent through Postfix: the daemon must
# keep serving it, and what Postfix answers must be a verdict or a 4xx,
# never a 5xx for good mail nor a broken session.
#   1 a signed message: 250, dkim=pass (the reference)
#   2 more connections than the daemon's caps (max_connections 4,
#     max_policy_connections 4), held idle: meanwhile Postfix gets 250
#     or 4xx, never 5xx; once they go, 250
#   3 descriptor exhaustion: the daemon under `ulimit -n 64`, 100 idle
#     policy and 100 idle milter connections: the same, and the daemon
#     lives
#   4 clients dripping a byte every 0.5 s (policy request, milter
#     packet: closed at packet_timeout, 2 s; a milter message of whole
#     packets that never ends: closed at message_timeout, 5 s) while
#     Postfix's message is served
#   5 malformed protocol (pd_probe.py corpus: oversized policy requests
#     and milter packets, commands before negotiation, attributes
#     without the empty line, binary junk ...), then milter commands
#     out of order (DATA-stage packets before MAIL, a body before
#     MAIL, end of message twice): each dropped or answered, the daemon
#     alive, Postfix's next message 250
#   6 through Postfix: a 300 KB header field (Postfix itself shortens
#     it, to about 60 KB here: the length delivered is shown), a 2.5 MB
#     header block, 1000 and 985 signatures (header_size_limit raised so
#     that Postfix passes them on): a verdict each time (250 with our
#     Authentication-Results, or 5xx), at most max_signatures verified
# The daemon is the build's under test ($MAILSEAL_BUILD: build or
# build/san).  KEEP_T=DIR keeps a copy of the work directory.
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${MAILSEAL_BUILD:-build}
M=${MAILSEAL:-$ROOT/$BUILD/mailseal}
PD=$ROOT/$BUILD/mailseal-policyd
PY=/usr/bin/python3
PROBE="$PY $ROOT/tests/postfix/pd_probe.py"
. "$ROOT/tests/lib/check.sh"
. "$ROOT/tests/postfix/lib.sh"
[ -x "$PD" ] || { t_nok "the daemon is built - $PD does not exist"; exit 1; }
T=$(mktemp -d /tmp/t-hostile.XXXXXX) || exit 1
chmod 755 "$T"
. "$ROOT/tests/postfix/pd.sh"
BG=""
cleanup() {
	local p n
	for p in $BG; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	postfix_cleanup > /dev/null 2>&1
	for n in $PD_NAMES; do pd_stop "$n"; done
	nsd_stop
	[ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$T" || exit 1

# --- DNS, the daemon, Postfix ------------------------------------------------------
"$M" keygen -d example.com -s h -o . > /dev/null || { t_nok "keygen"; exit 1; }
{ cat h.txt; echo '@ IN TXT "v=spf1 ip4:127.0.0.1 -all"'; } > com.rr
nsd_zone example.com 300 com.rr > example.com.zone
nsd_start "$T" example.com || { t_nok "nsd starts"; exit 1; }
mkdir -p pd
conf() {        # conf LINE...: the daemon's configuration
	{
		printf 'dns_resolver = 127.0.0.1:%s\nauthserv_id = pf.hostile.test\n' "$NSD_PORT"
		printf 'policy_listen = unix:%s/pd/policy.sock\nmilter_listen = unix:%s/pd/milter.sock\n' "$T" "$T"
		printf 'socket_mode = 0666\npid_file = %s/pd/pd.pid\n' "$T"
		printf 'request_timeout = 5s\npacket_timeout = 2s\nmessage_timeout = 5s\n'
		# the corpus's parallel policy request wants this refusal
		printf 'require_tls = secure.example\n'
		printf '%s\n' "$@"
	} > pd.conf
}
conf 'max_connections = 4' 'max_policy_connections = 4'
pd_start pd "$T/pd.conf" || { t_nok "mailseal-policyd starts: $(tail -3 pd.log | oneline)"; exit 1; }
postfix_tmpdir || { t_nok "postfix_tmpdir"; exit 1; }
postfix_start "$PF_TMPDIR" --policy "unix:$T/pd/policy.sock" --milter "unix:$T/pd/milter.sock" \
	--milter-default-action tempfail --milter-protocol 6 --milter-timeout 10s \
	--policy-timeout 10s header_size_limit=4000000 > pf-start.out 2>&1 ||
	{ t_nok "Postfix starts: $(oneline < pf-start.out)"; exit 1; }

mkdir -p msg
msg() {         # msg NAME: a message of alice@example.com, signed (with a
		# Date: Postfix would add one, and the signature covers its absence)
	printf 'From: Alice <alice@example.com>\r\nTo: soak@example.net\r\nDate: Wed, 02 Dec 2026 12:00:00 +0000\r\nSubject: hostile %s\r\nMessage-ID: <%s@example.com>\r\n\r\nBody of %s.\r\n' \
		"$1" "$1" "$1" > "msg/$1.raw"
	"$M" sign -d example.com -s h -k h.private "msg/$1.raw" > "msg/$1.eml"
}
ar_of() { hdr_pf "$1" | grep '^pf\.hostile\.test;'; }
hdr_pf() {      # unfolded Authentication-Results values of FILE (LF)
	awk '/^$/ { exit } /^[ \t]/ { sub(/^[ \t]+/, ""); cur = cur " " $0; next }
	{ if (cur ~ /^Authentication-Results:/) { sub(/^[^:]*: */, "", cur); print cur } cur = $0 }
	END { if (cur ~ /^Authentication-Results:/) { sub(/^[^:]*: */, "", cur); print cur } }' "$1"
}
# send NAME [FILE]: through Postfix; REPLY (the reply to the last step
# reached), SECS, FILE (the delivered copy or "")
send() {
	local t0 f=${2:-msg/$1.eml} i
	t0=$(date +%s)
	postfix_send_plain "$1" --from alice@example.com --to soak@example.net --data "@$f" --timeout 90
	SECS=$(( $(date +%s) - t0 ))
	REPLY=${PF_DATA_REPLY:-${PF_RCPT_REPLY:-${PF_MAIL_REPLY:-no reply}}}
	FILE=""
	case $REPLY in
	250*)
		for i in $(seq 1 200); do
			FILE=$(grep -lF "Message-ID: <$1@" "$PF_MAIL"/*.eml 2>/dev/null | head -1)
			[ -n "$FILE" ] && break
			sleep 0.05
		done ;;
	esac
}
passes() {      # the delivered copy says dkim=pass for example.com
	case $REPLY in 250*) ar_of "${FILE:-/dev/null}" | grep -q 'dkim=pass header.d=example.com' ;; *) false ;; esac
}
not5xx() {      # LABEL: 250 (with dkim=pass) or 4xx; never 5xx, never silence
	case $REPLY in
	250*) passes && t_ok "$1: 250, dkim=pass (${SECS} s)" || t_nok "$1: 250 without dkim=pass: $(ar_of "${FILE:-/dev/null}" | oneline)" ;;
	4*) t_ok "$1: tempfailed, as it may be: $(printf '%s' "$REPLY" | cut -c1-100) (${SECS} s)" ;;
	*) t_nok "$1: \"$REPLY\" (${SECS} s)" ;;
	esac
}
alive() { kill -0 "$(pd_pid pd)" 2>/dev/null && ! pd_gone "$(pd_pid pd)"; }
verdict() {
	case $REPLY in
	250*)
		if [ -n "$FILE" ] && [ -n "$(ar_of "$FILE")" ]; then
			t_ok "$1: 250, delivered with $(ar_of "$FILE" | grep -oE 'dkim=[a-z]+' | sort | uniq -c | oneline)"
		else
			t_nok "$1: 250 but no Authentication-Results of ours on the delivered copy (${FILE:-not found})"
		fi ;;
	5*) t_ok "$1: refused: $(printf '%s' "$REPLY" | cut -c1-120)" ;;
	*) t_nok "$1: neither a verdict nor a refusal: \"$REPLY\"" ;;
	esac
}

# --- 1 the reference ----------------------------------------------------------------
msg ref; send ref
passes && t_ok "1: a signed message through Postfix: 250, dkim=pass" || t_nok "1: reference: \"$REPLY\""

# --- 2 over the connection caps -----------------------------------------------------
$PROBE hold "unix:$T/pd/milter.sock" 12 8 > hold-m.out 2>&1 & BG="$BG $!"; hm=$!
$PROBE hold "unix:$T/pd/policy.sock" 12 8 > hold-p.out 2>&1 & BG="$BG $!"; hp=$!
sleep 0.5
msg caps; send caps
not5xx "2: 12 idle milter and 12 idle policy connections (caps 4 and 4)"
wait "$hm" "$hp" 2>/dev/null
grep -q 'milter connections busy (max_connections)' pd.log && t_ok "2: ... the daemon said its milter connections were all busy" ||
	t_nok "2: no 'busy' warning: $(tail -3 pd.log | oneline)"
msg caps2; send caps2
passes && alive && t_ok "2: once they are gone: 250, dkim=pass" || t_nok "2: after: \"$REPLY\""

# --- 3 descriptor exhaustion ------------------------------------------------------------
pd_stop pd
conf
( ulimit -n 64; pd_start pd "$T/pd.conf" ) || true
# pd_start in a subshell: find the daemon again by its pid file
for _ in $(seq 1 100); do [ -s pd/pd.pid ] && break; sleep 0.05; done
PDPID_pd=$(tr -dc 0-9 < pd/pd.pid)
[ -n "$PDPID_pd" ] && alive && t_ok "3: the daemon runs with 64 descriptors ($(awk '/Max open files/ { print $4 }' "/proc/$PDPID_pd/limits"))" ||
	{ t_nok "3: the daemon does not start under ulimit -n 64: $(tail -3 pd.log | oneline)"; exit 1; }
$PROBE hold "unix:$T/pd/milter.sock" 100 8 > hold-m3.out 2>&1 & BG="$BG $!"; hm=$!
$PROBE hold "unix:$T/pd/policy.sock" 100 8 > hold-p3.out 2>&1 & BG="$BG $!"; hp=$!
sleep 1
fds=$(ls "/proc/$PDPID_pd/fd" 2>/dev/null | wc -l)
msg fds; send fds
not5xx "3: 100 idle milter and 100 idle policy connections, 64 descriptors ($fds open)"
wait "$hm" "$hp" 2>/dev/null
sleep 0.5
msg fds2; send fds2
passes && alive && t_ok "3: once they are gone: 250, dkim=pass, the daemon alive" || t_nok "3: after: \"$REPLY\", alive: $(alive && echo yes || echo no)"

# --- 4 drips ---------------------------------------------------------------------------------
$PROBE drip "unix:$T/pd/policy.sock" policy 0.5 10 > dr1 2>&1 & BG="$BG $!"; d1=$!
$PROBE drip "unix:$T/pd/milter.sock" milter 0.5 10 > dr2 2>&1 & BG="$BG $!"; d2=$!
$PROBE drip "unix:$T/pd/milter.sock" message 0.5 10 > dr3 2>&1 & BG="$BG $!"; d3=$!
msg drip; send drip
not5xx "4: while three clients drip a byte every 0.5 s"
wait "$d1" "$d2" "$d3" 2>/dev/null
for f in dr1 dr2 dr3; do
	grep -q '^closed after' "$f" && t_ok "4: drip $f: $(cat "$f")" || t_nok "4: drip $f: $(oneline < "$f")"
done

# --- 5 malformed protocol -------------------------------------------------------------
msg mal; send mal > /dev/null &
sp=$!
$PROBE corpus "unix:$T/pd/policy.sock" "unix:$T/pd/milter.sock" "$PDPID_pd" > corpus.out 2>&1
crc=$?
wait "$sp"
sed 's/^\(not \)\{0,1\}ok /&5: corpus: /' corpus.out | grep -E '^(not )?ok '
[ "$crc" = 0 ] || [ "$(grep -c '^not ok' corpus.out)" -gt 0 ] || t_nok "5: corpus exited $crc: $(tail -3 corpus.out | oneline)"
fails=$((fails + $(grep -c '^not ok' corpus.out)))
"$PY" - "$T/pd/milter.sock" > order.out 2>&1 <<'PY'
# milter commands out of order, each on its own connection after a good
# negotiation: the daemon must drop the connection or answer, within 5 s
import socket, struct, sys, time
def pkt(c, d=b""):
    return struct.pack(">I", len(d) + 1) + c.encode() + d
neg = pkt("O", struct.pack(">III", 6, 0x1FF, 0))
cases = {
    "header before MAIL": [pkt("C", b"h\x004\x00\x00\x00127.0.0.1\x00"), pkt("L", b"From\x00 a@example.com\x00")],
    "body before MAIL": [pkt("C", b"h\x004\x00\x00\x00127.0.0.1\x00"), pkt("B", b"body\r\n")],
    "end of message before MAIL": [pkt("C", b"h\x004\x00\x00\x00127.0.0.1\x00"), pkt("E")],
    "MAIL before CONNECT": [pkt("M", b"<a@example.com>\x00")],
    "end of message twice": [pkt("C", b"h\x004\x00\x00\x00127.0.0.1\x00"), pkt("M", b"<a@example.com>\x00"),
                             pkt("L", b"From\x00 a@example.com\x00"), pkt("N"), pkt("E"), pkt("E")],
    "negotiation twice in a message": [pkt("C", b"h\x004\x00\x00\x00127.0.0.1\x00"), pkt("M", b"<a@example.com>\x00"), neg],
}
for name, seq in cases.items():
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
    s.sendall(neg + b"".join(seq))
    t0 = time.monotonic(); got = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                print("ok %s: closed after %.1f s (%d bytes of replies)" % (name, time.monotonic() - t0, len(got))); break
            got += d
    except socket.timeout:
        print("ok %s: answered, still open (%d bytes of replies)" % (name, len(got)) if got else "not ok %s: no reply, not closed in 5 s" % name)
    s.close()
PY
sed 's/^\(not \)\{0,1\}ok /&5: out of order: /' order.out | grep -E '^(not )?ok ' || t_nok "5: out of order: $(oneline < order.out)"
fails=$((fails + $(grep -c '^not ok' order.out)))
alive && t_ok "5: the daemon lives" || t_nok "5: the daemon is gone: $(tail -3 pd.log | oneline)"
msg mal2; send mal2
passes && t_ok "5: then Postfix's next message: 250, dkim=pass" || t_nok "5: after: \"$REPLY\""

# --- 6 big headers and many signatures through Postfix -------------------------------
hostile() { msg "$2"; "$PY" "$ROOT/tests/lib/hostile_msg.py" "$1" "msg/$2.eml" "msg/$2.x" "$3"; send "$2" "msg/$2.x"; }
hostile bigfield big300 300000
verdict "6: a 300 KB field"
[ -n "$FILE" ] && echo "# the X-Big field as delivered: $(awk '/^$/ { exit } /^X-Big:/ { on = 1; n = length($0); next } on && /^[ \t]/ { n += length($0) + 1; next } { on = 0 } END { print n + 0 }' "$FILE") bytes"
hostile bigblock block 2500000
verdict "6: a 2.5 MB header block"
hostile sigs sigs 999
verdict "6: 1000 signatures"
[ "$SECS" -lt 60 ] && t_ok "6: ... answered in $SECS s (< 60)" || t_nok "6: ... took $SECS s"
hostile sigs sigs2 984
verdict "6: 985 signatures"
n=$(ar_of "${FILE:-/dev/null}" | grep -oE 'dkim=(pass|fail|neutral|temperror|permerror)' | wc -l)
[ -n "$FILE" ] && [ "$n" -ge 1 ] && [ "$n" -le 5 ] && t_ok "6: ... at most max_signatures (5) verified: $n" ||
	t_nok "6: ... $n verified results"
alive && t_ok "6: the daemon lives" || t_nok "6: the daemon is gone"
grep -qE 'AddressSanitizer|runtime error' pd.log && t_nok "sanitizer: $(grep -E 'AddressSanitizer|runtime error' pd.log | head -2 | oneline)" ||
	t_ok "no sanitizer report in the daemon's log"
[ "$fails" = 0 ]
