#!/bin/bash
# t-policyd-admin.sh - mailseal-policyd as an administrator starts it
# (no Postfix, no DNS server): a classic daemon's start that fails says
# why on the terminal and exits 1, one that works exits 0 and logs to
# log_file with timestamps; -f lines carry timestamps; SIGHUP reopens
# the log_file; started as root with `user` it serves as that user, and
# without `user` it says it stays root; -t as root checks the keys as
# the service user; the systemd unit quoted in docs/postfix.md is the
# shipped one, and runs -t before a reload.  The root-only checks are
# skipped (and said) when the suite does not run as root.
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${MAILSEAL_BUILD:-build}
M=${MAILSEAL:-$ROOT/$BUILD/mailseal}
PD=$ROOT/$BUILD/mailseal-policyd
PROBE="/usr/bin/python3 $ROOT/tests/postfix/pd_probe.py"
. "$ROOT/tests/lib/check.sh"
[ -x "$PD" ] || { nok "the daemon is built - $PD does not exist"; exit 1; }
T=$(mktemp -d /tmp/t-policyd-admin.XXXXXX) || exit 1
chmod 0755 "$T"         # the service user reads its configuration here
PIDFILES=""
cleanup() {
	local f p
	for f in $PIDFILES; do
		p=$(cat "$f" 2> /dev/null) && [ -n "$p" ] && kill -KILL "$p" 2> /dev/null
	done
	[ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$T" || exit 1
STAMP='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z mailseal-policyd\[[0-9]+\]: '

# conf NAME [LINE...]: NAME.conf, sockets and pid file in NAME/; a LINE
# given replaces its default
conf() {
	local n=$1 l d
	shift
	mkdir -p "$n"
	chmod 0755 "$n"
	{
		printf 'signing_table = %s\n' "$T/signing.table"
		printf 'authserv_id = mx.admin.example\n'
		printf 'policy_listen = unix:%s\n' "$T/$n/policy.sock"
		printf 'milter_listen = unix:%s\n' "$T/$n/milter.sock"
		printf 'pid_file = %s\n' "$T/$n/pd.pid"
		printf 'dns_resolver = 127.0.0.1:9\n'
	} | while IFS= read -r d; do
		for l in "$@"; do [ "${l%% =*}" = "${d%% =*}" ] && continue 2; done
		printf '%s\n' "$d"
	done > "$n.conf"
	for l in "$@"; do printf '%s\n' "$l"; done >> "$n.conf"
	PIDFILES="$PIDFILES $T/$n/pd.pid"
}
# wait_gone PID: exited within 10 s
wait_gone() {
	local i
	for i in $(seq 1 200); do kill -0 "$1" 2> /dev/null || return 0; sleep 0.05; done
	return 1
}
# stop_pidfile NAME: SIGTERM the daemon of NAME/pd.pid; 0 once it is gone
stop_pidfile() {
	local p
	p=$(cat "$1/pd.pid" 2> /dev/null) || return 1
	kill -TERM "$p" 2> /dev/null
	wait_gone "$p"
}

mkdir -p keys && "$M" keygen -d example.com -s sel -o keys > /dev/null || { nok "keygen"; exit 1; }
chmod 0644 keys/sel.private
printf 'example.com sel %s\n' "$T/keys/sel.private" > signing.table

# --- 1. a daemon's start that fails: why, on the terminal; exit 1 ---------
conf d1 "milter_listen = unix:$T/no-such-dir/milter.sock"
"$PD" -c d1.conf > d1.out 2> d1.err
rc=$?
[ $rc = 1 ] && grep -Eq "${STAMP}error: $T/d1.conf:[0-9]+: milter_listen unix:$T/no-such-dir/milter.sock: No such file or directory" d1.err \
	&& ok "1: a failed start in daemon mode exits 1 and says why on stderr ($(oneline 200 < d1.err))" \
	|| nok "1: failed daemon start - rc $rc, stderr: $(oneline < d1.err)"
# a configuration error before the sockets: the same
printf 'frobnicate = 1\n' > d1b.conf
"$PD" -c d1b.conf 2> d1b.err
rc=$?
[ $rc = 1 ] && grep -q "$T/d1b.conf:1: unknown setting \"frobnicate\"" d1b.err \
	&& ok "1b: a configuration error in daemon mode exits 1 naming file and line" \
	|| nok "1b: configuration error - rc $rc, stderr: $(oneline < d1b.err)"

# --- 2. a daemon that starts: exit 0 once it serves; log_file, stamped ----
conf d2 "log_file = $T/d2.log"
"$PD" -c d2.conf > d2.out 2> d2.err
rc=$?
p=$(cat d2/pd.pid 2> /dev/null)
a=$($PROBE policy "unix:$T/d2/policy.sock" sender=x@example.org 2>&1)
[ $rc = 0 ] && [ -n "$p" ] && kill -0 "$p" 2> /dev/null && [ "$a" = action=DUNNO ] \
	&& ok "2: a daemon start exits 0 with the daemon serving (pid $p)" \
	|| nok "2: daemon start - rc $rc, pid '$p', answer '$a', stderr: $(oneline < d2.err)"
grep -Eq "${STAMP}info: started with $T/d2.conf$" d2.log && ! grep -Evq "$STAMP" d2.log \
	&& ok "2b: every log_file line carries a timestamp" \
	|| nok "2b: log_file - $(oneline < d2.log)"
# the log_file moved away (logrotate): SIGHUP opens a new one
mv d2.log d2.log.1
kill -HUP "$p"
for i in $(seq 1 100); do grep -q 'reloaded' d2.log 2> /dev/null && break; sleep 0.05; done
grep -Eq "${STAMP}info: reloaded $T/d2.conf$" d2.log && ! grep -q reloaded d2.log.1 \
	&& ok "2c: SIGHUP reopens log_file (after a rotation)" \
	|| nok "2c: reopen - new: $(oneline < d2.log 2> /dev/null), old: $(tail -n 2 d2.log.1 | oneline)"
stop_pidfile d2 && [ ! -e d2/pd.pid ] && [ ! -e d2/policy.sock ] \
	&& ok "2d: SIGTERM stops it; pid file and sockets removed" \
	|| nok "2d: stop - $(ls d2 | oneline)"
# with an unwritable log_file the start fails, said on the terminal
conf d2e "log_file = $T/no-such-dir/pd.log"
"$PD" -c d2e.conf 2> d2e.err
rc=$?
[ $rc = 1 ] && grep -q "log_file $T/no-such-dir/pd.log: No such file or directory" d2e.err \
	&& ok "2e: a log_file that cannot be opened stops the start (exit 1, on stderr)" \
	|| nok "2e: bad log_file - rc $rc, $(oneline < d2e.err)"

# --- 3. -f: stderr lines stamped too -------------------------------------
conf d3
"$PD" -c d3.conf -f 2> d3.err &
p3=$!
for i in $(seq 1 200); do grep -q 'started with' d3.err && break; sleep 0.05; done
kill -TERM "$p3"; wait "$p3"
grep -Eq "${STAMP}info: started with d3.conf$" d3.err && ! grep -Evq "$STAMP" d3.err \
	&& ok "3: -f lines carry timestamps" || nok "3: -f - $(oneline < d3.err)"

# --- 4. the service user ------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	ok "4: # skipped: not root (the user setting, -t as the service user)"
	[ $fails = 0 ]
	exit
fi
SU=nobody
uid=$(id -u "$SU")
# started as root with user: serves as that user; the log_file is its
conf d4 "user = $SU" "log_file = $T/d4.log"
"$PD" -c d4.conf 2> d4.err
rc=$?
p=$(cat d4/pd.pid 2> /dev/null)
ruid=$(awk '/^Uid:/ { print $2 " " $3 " " $4 " " $5 }' "/proc/$p/status" 2> /dev/null)
a=$($PROBE policy "unix:$T/d4/policy.sock" sender=x@example.org 2>&1)
[ $rc = 0 ] && [ "$ruid" = "$uid $uid $uid $uid" ] && [ "$a" = action=DUNNO ] \
	&& grep -q "info: running as user $SU (uid $uid)" d4.log \
	&& [ "$(stat -c %u d4.log)" = "$uid" ] \
	&& ok "4: started as root with user = $SU it serves as $SU (uids $ruid); its log_file is $SU's" \
	|| nok "4: user - rc $rc, uids '$ruid', answer '$a', log $(oneline < d4.log), stderr $(oneline < d4.err)"
# the sockets stay reachable through socket_group and socket_mode
stat -c '%a' d4/milter.sock | grep -qx 660 \
	&& ok "4b: the sockets keep socket_mode 0660" || nok "4b: socket mode $(stat -c '%a' d4/milter.sock)"
stop_pidfile d4 || nok "4c: stop d4"
# as root without user: said, not silent
conf d5 "log_file = $T/d5.log"
"$PD" -c d5.conf 2> d5.err
stop_pidfile d5
grep -q "warning: $T/d5.conf: running as root: set user" d5.log \
	&& ok "4c: started as root without user, it says it stays root" \
	|| nok "4c: root warning - $(oneline < d5.log)"
# a user that does not exist: file and line
conf d6 "user = no-such-user-ms"
out=$("$PD" -c d6.conf 2>&1); rc=$?
out2=$("$PD" -t -c d6.conf 2>&1); rc2=$?
[ $rc = 1 ] && [ $rc2 = 1 ] && printf '%s\n' "$out" | grep -q "$T/d6.conf:7: user no-such-user-ms: no such user" \
	&& printf '%s\n' "$out2" | grep -q 'd6.conf:7: user no-such-user-ms: no such user' \
	&& ok "4d: a user that does not exist stops the start and -t, naming file and line" \
	|| nok "4d: no such user - $rc: $(printf '%s' "$out" | oneline) / $rc2: $(printf '%s' "$out2" | oneline)"

# --- 5. -t as root checks the keys as the service user ---------------------
conf d7 "user = $SU"
chmod 0600 keys/sel.private
out=$("$PD" -t -c d7.conf 2>&1); rc=$?
[ $rc = 1 ] && printf '%s\n' "$out" | grep -q "as user $SU: .*$T/keys/sel.private" \
	&& ! printf '%s\n' "$out" | grep -q ': ok$' \
	&& ok "5: -t as root fails on a key $SU cannot read ($(printf '%s' "$out" | oneline 160))" \
	|| nok "5: -t as the user - rc $rc: $(printf '%s' "$out" | oneline)"
chmod 0644 keys/sel.private
out=$("$PD" -t -c d7.conf 2>&1); rc=$?
[ $rc = 0 ] && [ "$out" = "d7.conf: ok" ] \
	&& ok "5b: -t as root passes once $SU can read the key" \
	|| nok "5b: -t - rc $rc: $(printf '%s' "$out" | oneline)"
# without user, -t as root says that it proves nothing for another user
conf d8
chmod 0600 keys/sel.private
out=$("$PD" -t -c d8.conf 2>&1); rc=$?
chmod 0644 keys/sel.private
[ $rc = 0 ] && printf '%s\n' "$out" | grep -q 'warning: d8.conf: checked as root, who can read every file: .*runuser -u mailseal -- mailseal-policyd -t -c d8.conf' \
	&& ok "5c: -t as root without user says to check as the service user" \
	|| nok "5c: -t without user - rc $rc: $(printf '%s' "$out" | oneline)"

# --- 6. the unit: the one the docs quote, -t before a reload -------------------
UNIT=$ROOT/postfix-policy/mailseal-policyd.service
awk '/^<!-- unit: mailseal-policyd.service -->$/ { on = 1; next }
     on && /^    / { sub(/^    /, ""); print; seen = 1; next }
     on && /^$/ && !seen { next }
     on && /^$/ { print; next }
     on { exit }' "$ROOT/docs/postfix.md" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > unit.doc
if [ -s unit.doc ] && diff -u "$UNIT" unit.doc > unit.diff; then
	ok "6: the unit in docs/postfix.md is the shipped file"
else
	nok "6: docs/postfix.md's unit differs from the shipped one - $(oneline < unit.diff)"
fi
reload=$(grep '^ExecReload=' "$UNIT" | oneline)
case "$reload" in
"ExecReload=/usr/local/sbin/mailseal-policyd -t -c /etc/mailseal/mailseal.conf ExecReload=/bin/kill -HUP \$MAINPID ")
	ok "6b: the unit's reload runs -t before SIGHUP" ;;
*) nok "6b: ExecReload - $reload" ;;
esac
if command -v systemd-analyze > /dev/null; then
	mkdir -p unitdir
	sed 's|/usr/local/sbin/mailseal-policyd|'"$PD"'|' "$UNIT" > unitdir/mailseal-policyd.service
	out=$(systemd-analyze verify --man=no unitdir/mailseal-policyd.service 2>&1 | grep -v -e 'Failed to prepare filename' -e 'Unit configuration has fatal error' -e "postfix.service" -e 'postfix.*not found')
	[ -z "$out" ] && ok "6c: systemd-analyze verify finds nothing in the unit" \
		|| nok "6c: systemd-analyze verify - $(printf '%s' "$out" | oneline)"
fi
[ $fails = 0 ]
