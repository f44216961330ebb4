#!/bin/bash
# t-exim-keys.sh - a key rotation (`mailseal key`, docs/keys.md) taken up
# by the Exim module (build/mailseal_exim.so) inside Debian's real Exim
# 4.96, with the keys in a real nsd, all on loopback; no restart:
#   1 before: authenticated submissions to two daemons (one building its
#     engine per session, one pre-warming it in the daemon with
#     mailseal_prewarm, as docs/exim.md shows) are signed with the old key
#   2 key rotate, records published, key step: the next message signs
#     with both keys, each passing against the nsd: in a new session of
#     either daemon (the pre-warming one built its engine again, logged),
#     and in a session opened before the change and kept open (its
#     second message: the module's log says the table changed); the
#     daemons' pids unchanged
#   3 key_grace over, key step: the next message is signed with the new
#     key alone
# Exim loads the normal build's module (see t-exim.sh): not repeated for
# the ASan pass when the normal pass ran.  KEEP_T=DIR keeps the work
# directory.
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
MOD=$ROOT/build/mailseal_exim.so
HERE=$ROOT/tests/exim
PY=/usr/bin/python3
. "$ROOT/tests/lib/check.sh"
. "$ROOT/tests/lib/nsd.sh"
. "$ROOT/tests/lib/keys.sh"
. "$HERE/lib.sh"
exim_san_pass_done

T=$(mktemp -d)
chmod 755 "$T"                  # Exim runs as Debian-exim and reads in here
EXIM_HOME="$T/exim"
mkdir "$EXIM_HOME"
TWO_PID=""
trap 'exim_stop_all; [ -n "$TWO_PID" ] && kill "$TWO_PID" 2> /dev/null; nsd_stop; [ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP     # so that the EXIT trap stops the servers
cd "$T" || exit 1

for need in "$MOD" "$M"; do
	[ -e "$need" ] || { nok "built - $need is missing"; exit 1; }
done
# submit DAEMON ID: an authenticated submission, delivered; sets D
submit() {
	keys_msg "$2"
	exim_send "$1" "msg/$2.eml" -a -r bob@remote.example
	case $EXIM_REPLY in
	250*) D=$(exim_wait_find "$1" "X-Test-Id: $2" 10 | head -1)
	      [ -n "$D" ] || { nok "$1 $2: delivered"; return 1; } ;;
	*) nok "$1 $2: accepted - \"$EXIM_REPLY\""; return 1 ;;
	esac
}
signed_with() { keys_signed_with "$1" "$2" "$D" "$3"; }   # TAG WHAT WANT

# --- keys, DNS, Exim ----------------------------------------------------------
keys_start ms.conf || { nok "keys and nsd"; exit 1; }
chown Debian-exim keys/old.private      # the new key takes after it
exim_tls_init || { nok "test CA and certificates"; exit 1; }
exim_start per "$MOD" "$T/ms.conf" || { nok "Exim with the module starts (per session)"; exit 1; }
EXIM_EXTRA_MAIN="smtp_accept_max_per_host = \${dlfunc{$MOD}{mailseal_prewarm}}" \
	exim_start warm "$MOD" "$T/ms.conf" || { nok "Exim with the module pre-warmed starts"; exit 1; }
PID_PER=$(exim_pid per) PID_WARM=$(exim_pid warm)
ok "nsd on $NSD_PORT; Exim daemons with the module: per $EXIM_PORT_per, warm $EXIM_PORT_warm (mailseal_prewarm)"

# --- 1. before ------------------------------------------------------------------
submit per per1 && signed_with 1 "per: a submission" old
submit warm warm1 && signed_with 1 "warm: a submission" old
exim_log_grep warm 'mailseal: pre-warmed in the daemon' > /dev/null && ok "1: warm: the engine pre-warmed in the daemon" \
	|| nok "1: warm: no pre-warming line in the log"

# --- 2. rotate: the next message signs with both ---------------------------------
keys_msg open1
keys_msg open2
rm -f go
$PY "$ROOT/tests/lib/smtp_two.py" "$EXIM_PORT_per" "$EXIM_USER" "$EXIM_PASS" alice@example.com \
	bob@remote.example "$T/msg/open1.eml" "$T/msg/open2.eml" "$T/go" > two.out 2>&1 &
TWO_PID=$!
for _ in $(seq 1 200); do grep -q '^waiting' two.out && break; sleep 0.05; done
D=$(exim_wait_find per "X-Test-Id: open1" 10 | head -1)
grep -q $'^1\t250 ' two.out && [ -n "$D" ] && signed_with 2 "per: the first message of a session kept open" old \
	|| nok "2: the kept session's first message - $(oneline < two.out)"
"$M" -c ms.conf key rotate -d example.com > rotate.out 2> rotate.err || nok "2: key rotate - $(oneline < rotate.err)"
NEW=$(grep -v '^;' rotate.out | sed 's/\._domainkey.*//')
[ "$(stat -c %U "$T/kd/example.com/$NEW.private")" = Debian-exim ] && ok "2: the new key belongs to Debian-exim, as the old one" \
	|| nok "2: the new key's owner is $(stat -c %U "$T/kd/example.com/$NEW.private")"
cat rotate.out >> example.com.records
nsd_publish example.com 60 example.com.records || nok "2: nsd reads the new record"
"$M" -c ms.conf key step -d example.com > step.out 2>&1 && ok "2: key step: the new key ($NEW) joins the table" \
	|| nok "2: key step - $(oneline < step.out)"
MARK=$(wc -l < "$(exim_log per)")
touch go
wait "$TWO_PID"
TWO_PID=""
D=$(exim_wait_find per "X-Test-Id: open2" 10 | head -1)
grep -q $'^2\t250 ' two.out && [ -n "$D" ] && signed_with 2 "per: the kept session's next message" "$NEW old" \
	|| nok "2: the kept session's second message - $(oneline < two.out)"
tail -n +"$((MARK + 1))" "$(exim_log per)" | grep -q "mailseal: $T/signing.table changed: building the engine again" \
	&& ok "2: per: the module says the table changed" || nok "2: per: no 'changed' line: $(tail -n +"$((MARK + 1))" "$(exim_log per)" | oneline)"
submit per per2 && signed_with 2 "per: a new session" "$NEW old"
MARK=$(wc -l < "$(exim_log warm)")
submit warm warm2 && signed_with 2 "warm: a new session" "$NEW old"
tail -n +"$((MARK + 1))" "$(exim_log warm)" | grep -q 'mailseal: pre-warmed in the daemon' \
	&& ok "2: warm: the daemon built its engine again" || nok "2: warm: no new pre-warming line"
[ "$(exim_pid per)" = "$PID_PER" ] && [ "$(exim_pid warm)" = "$PID_WARM" ] && kill -0 "$PID_PER" "$PID_WARM" 2> /dev/null \
	&& ok "2: the same Exim daemons, no restart" || nok "2: an Exim daemon was restarted"

# --- 3. the grace period over: the new key alone ----------------------------------
sleep 3
"$M" -c ms.conf key step -d example.com > step.out 2>&1 && grep -q 'the old keys no longer sign' step.out \
	&& ok "3: key step: the old key leaves the table" || nok "3: key step - $(oneline < step.out)"
submit per per3 && signed_with 3 "per: the next message" "$NEW"
submit warm warm3 && signed_with 3 "warm: the next message" "$NEW"
for n in per warm; do
	[ -z "$(exim_panics $n)" ] && ok "$n: nothing in the paniclog" || nok "$n: paniclog: $(exim_panics $n | oneline)"
done
[ $fails = 0 ]
