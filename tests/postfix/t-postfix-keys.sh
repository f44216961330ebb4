#!/bin/bash
# t-postfix-keys.sh - a key rotation (`mailseal key`, docs/keys.md)
# taken up by a running mailseal-policyd behind Debian's real Postfix
# 3.7 (tests/postfix/lib.sh), with the keys in a real nsd, all on
# 127.0.0.1 high ports; no restart and no signal:
#   1 before: an authenticated submission is signed with the old key
#   2 key rotate, records published, key step: the daemon reloads by
#     itself (its log says the table changed), its pid unchanged; the
#     next submission carries both signatures, each passing against
#     the nsd; a session opened before the change and kept open signs
#     its next message with both too; sendmail(1) as well
#   3 key_grace over, key step: the next submission is signed with the
#     new key alone
#   4 a broken table written by hand: logged once, the running tables
#     kept (still signing); fixed: reloaded
# The daemon is the build's under test ($MAILSEAL_BUILD: build or
# build/san).  KEEP_T=DIR keeps a copy of the work directory.
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${MAILSEAL_BUILD:-build}
M=${MAILSEAL:-$ROOT/$BUILD/mailseal}
PD=$ROOT/$BUILD/mailseal-policyd
HERE=$ROOT/tests/postfix
PY=/usr/bin/python3
. "$ROOT/tests/lib/check.sh"
. "$HERE/lib.sh"                # also tests/lib/nsd.sh
. "$ROOT/tests/lib/keys.sh"
echo "# daemon under test: $PD"
[ -x "$PD" ] || { nok "the daemon is built - $PD does not exist"; exit 1; }
postfix_fetch || { nok "postfix_fetch unpacks Postfix"; exit 1; }
postfix_tmpdir || exit 1
T=$PF_TMPDIR

. "$HERE/pd.sh"               # pd_start, pd_stop ...
cleanup() {
	local n
	for n in $PD_NAMES; do pd_stop "$n"; done
	[ -n "${TWO_PID:-}" ] && kill "$TWO_PID" 2> /dev/null
	nsd_stop
	[ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"
	postfix_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$T" || exit 1

find_msg() { grep -lx "X-Test-Id: $1" "$PF_MAIL"/*.eml 2> /dev/null | head -1; }
delivered() {   # delivered ID: wait (10 s) for it; sets D
	D=""
	for _ in $(seq 1 200); do
		D=$(find_msg "$1")
		[ -n "$D" ] && return 0
		sleep 0.05
	done
	return 1
}
# submit ID: an authenticated submission of msg/ID.eml, delivered; D
submit() {
	keys_msg "$1"
	postfix_send_auth "$1" --from alice@example.com --to bob@remote.example --data "@$T/msg/$1.eml"
	case $PF_DATA_REPLY in
	250*) delivered "$1" || { nok "$1: delivered"; return 1; } ;;
	*) nok "$1: accepted - $PF_DATA_REPLY"; return 1 ;;
	esac
}
signed_with() { keys_signed_with "$1" "$2" "$D" "$3"; }   # TAG WHAT WANT
# reloaded MARK: the daemon logged, since line MARK, a reload because
# the table changed (10 s)
reloaded() {
	for _ in $(seq 1 200); do
		pd_log_since d "$1" | grep -q "info: reloaded $T/d.conf: $T/signing.table changed" && return 0
		sleep 0.05
	done
	return 1
}

# --- keys, DNS, the daemon and Postfix -----------------------------------------
keys_start d.conf "milter_listen = unix:$T/d/milter.sock" "pid_file = $T/d/pd.pid" \
	"socket_mode = 0666" || { nok "keys and nsd"; exit 1; }
mkdir d
pd_start d "$T/d.conf" || { nok "the daemon starts - $(oneline < d.log)"; exit 1; }
PID0=$(pd_pid d)
mkdir pf
postfix_start "$T/pf" --milter "unix:$T/d/milter.sock" --non-smtpd-milter "unix:$T/d/milter.sock" \
	--milter-default-action tempfail --milter-protocol 6 "local_header_rewrite_clients=" \
	|| { nok "Postfix starts"; exit 1; }
ok "nsd on $NSD_PORT, mailseal-policyd (pid $PID0), Postfix on $PF_PORT with the daemon as its milter"

# --- 1. before ------------------------------------------------------------------
submit k1 && signed_with 1 "a submission" old

# --- 2. rotate; the new keys sign without a restart ---------------------------
keys_msg k2a
keys_msg k2b
rm -f go
$PY "$ROOT/tests/lib/smtp_two.py" "$PF_PORT" "$PF_SASL_USER" "$PF_SASL_PASS" alice@example.com \
	bob@remote.example "$T/msg/k2a.eml" "$T/msg/k2b.eml" "$T/go" > two.out 2>&1 &
TWO_PID=$!
for _ in $(seq 1 200); do grep -q '^waiting' two.out && break; sleep 0.05; done
grep -q $'^1\t250 ' two.out && delivered k2a && signed_with 2 "the first message of a session kept open" old \
	|| nok "2: the kept session's first message - $(oneline < two.out)"
"$M" -c d.conf key rotate -d example.com > rotate.out 2> rotate.err || nok "2: key rotate - $(oneline < rotate.err)"
NEW=$(grep -v '^;' rotate.out | sed 's/\._domainkey.*//')
cat rotate.out >> example.com.records
nsd_publish example.com 60 example.com.records || nok "2: nsd reads the new record"
MARK=$(pd_log_lines d)
"$M" -c d.conf key step -d example.com > step.out 2>&1 && ok "2: key step: the new key ($NEW) joins the table" \
	|| nok "2: key step - $(oneline < step.out)"
reloaded "$MARK" && ok "2: the daemon reloaded by itself: its log names the changed table" \
	|| nok "2: no reload in the daemon's log: $(pd_log_since d "$MARK" | oneline)"
[ "$(pd_pid d)" = "$PID0" ] && kill -0 "$PID0" 2> /dev/null && ok "2: the same daemon process (pid $PID0), no restart" \
	|| nok "2: the daemon's pid changed"
submit k2 && signed_with 2 "the next submission" "$NEW old"
touch go
wait "$TWO_PID"
TWO_PID=""
grep -q $'^2\t250 ' two.out && delivered k2b && signed_with 2 "the kept session's next message" "$NEW old" \
	|| nok "2: the kept session's second message - $(oneline < two.out)"
keys_msg k2s
postfix_sendmail -f alice@example.com bob@remote.example < msg/k2s.eml
delivered k2s && signed_with 2 "a sendmail(1) submission" "$NEW old" || nok "2: sendmail(1) message not delivered"

# --- 3. the grace period over: the new key alone ----------------------------------
sleep 3
MARK=$(pd_log_lines d)
"$M" -c d.conf key step -d example.com > step.out 2>&1 && grep -q 'the old keys no longer sign' step.out \
	&& ok "3: key step: the old key leaves the table" || nok "3: key step - $(oneline < step.out)"
reloaded "$MARK" && ok "3: the daemon reloaded by itself" || nok "3: no reload: $(pd_log_since d "$MARK" | oneline)"
submit k3 && signed_with 3 "the next submission" "$NEW"

# --- 4. a broken table by hand: logged once, the running one kept ---------------------
MARK=$(pd_log_lines d)
cp signing.table table.good
printf 'example.com broken\n' > table.bad
mv table.bad signing.table
for _ in $(seq 1 200); do pd_log_since d "$MARK" | grep -q 'reload failed' && break; sleep 0.05; done
pd_log_since d "$MARK" | grep -q "reload failed, keeping the running configuration: $T/signing.table changed, but: $T/signing.table:1: expected DOMAIN SELECTOR KEYFILE" \
	&& ok "4: a broken table: the reload fails, naming the file and line" \
	|| nok "4: broken table - $(pd_log_since d "$MARK" | oneline)"
submit k4 && signed_with 4 "a submission meanwhile (the running tables)" "$NEW"
sleep 2
[ "$(pd_log_since d "$MARK" | grep -c 'reload failed')" = 1 ] && ok "4: said once, not every second" \
	|| nok "4: said $(pd_log_since d "$MARK" | grep -c 'reload failed') times"
MARK=$(pd_log_lines d)
cp table.good signing.table
reloaded "$MARK" && ok "4: the table fixed: reloaded" || nok "4: fixed table not reloaded: $(pd_log_since d "$MARK" | oneline)"
submit k5 && signed_with 4 "then" "$NEW"
grep -E 'status=(bounced|deferred)' "$PF_LOG" && nok "nothing bounced or deferred" || ok "nothing bounced or deferred"
pd_stop d                       # its exit: a leak would be reported now
san=$(grep -hE 'Sanitizer|runtime error:' d.log | head -3)
[ -z "$san" ] && ok "no sanitizer report in the daemon's log" || nok "sanitizer: $(printf '%s' "$san" | oneline)"
[ $fails = 0 ]
