#!/bin/bash
# t-postfix-spf.sh - SPF before DATA on the policy side of
# mailseal-policyd, and its outcome carried to the milter side, behind
# Debian's real Postfix 3.7 (tests/postfix/lib.sh), with the SPF records
# in a real nsd, all on 127.0.0.1 high ports:
#   1 SPF fail, on_spf_fail = reject: 550 5.7.23 in reply to RCPT TO,
#     nothing after; every recipient refused, one check
#   2 SPF pass: delivered with spf=pass; the milter made no second
#     check (the message's log line says spf_at=rcpt, and
#     with the DNS stopped right after RCPT the message still passes),
#     with check_policy_service at RCPT only (the first RCPT has no
#     queue id: the outcome goes as an identity note); without
#     check_policy_service the milter checks itself (451 with the DNS
#     stopped); the same identity again with the DNS stopped is answered
#     from memory by the policy loop
#   3 the DNS server not answering: 451 4.4.3 at RCPT, within the budget
#   4 many recipients: one check (one log line; the DNS stopped after
#     the first RCPT changes nothing for the others)
#   5 two clients (127.0.0.2 allowed, 127.0.0.3 not) with the same
#     sender and HELO, many sessions at once: each gets its own result;
#     on the daemon's sockets directly, with one queue id for both: a
#     note is never used for another client address, HELO name or port
#   6 overload: past max_connections checks in flight, DUNNO at once
#     (other connections keep being answered), the milter checks later
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
PROBE="$PY $HERE/spf_probe.py"
START=$(date +%s)
. "$ROOT/tests/lib/check.sh"
. "$HERE/lib.sh"                # also tests/lib/nsd.sh
echo "# daemon under test: $PD"
[ -x "$PD" ] || { nok "the daemon is built - $PD does not exist"; exit 1; }
postfix_fetch || { nok "postfix_fetch unpacks Postfix"; exit 1; }
postfix_tmpdir || exit 1
T=$PF_TMPDIR

. "$HERE/pd.sh"               # pd_start, pd_hup, pd_stop ...
cleanup() {
	local n
	for n in $PD_NAMES; do pd_stop "$n"; done
	nsd_stop
	[ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"
	postfix_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$T" || exit 1

oneline() { tr '\r\n' '  ' | tr -s ' ' | cut -c1-"${1:-400}"; }
# mkmsg ID FROM: msg/ID.eml with a unique X-Test-Id
mkmsg() {
	printf 'From: %s\r\nTo: rcpt@example.net\r\nSubject: spf %s\r\nMessage-ID: <%s@test.example.org>\r\nX-Test-Id: %s\r\n\r\nHello %s.\r\n' \
		"$2" "$1" "$1" "$1" "$1" > "$T/msg/$1.eml"
}
find_msgs() { grep -lx "X-Test-Id: $1" "$PF_MAIL"/*.eml 2> /dev/null; }
# wait_msgs ID N: until N messages with X-Test-Id ID are delivered (10 s)
wait_msgs() {
	for _ in $(seq 1 200); do
		[ "$(find_msgs "$1" | grep -c .)" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
# our_ar FILE: the value of our Authentication-Results field, unfolded
our_ar() {
	awk '/^$/ { exit } /^[ \t]/ { if (on) { sub(/^[ \t]+/, " "); v = v $0 }; next }
		{ if (on) { print v; on = 0 } }
		/^Authentication-Results: mx-auth\.example\.com/ { on = 1; v = $0; sub(/^[^:]*: */, "", v) }
		END { if (on) print v }' "$1" | head -1
}
# smtp ID SRC SENDER [@stop=PIDS] RCPT...: one transaction (spf_probe.py)
smtp() {
	local id=$1 src=$2 sender=$3
	shift 3
	OUT=$(timeout 60 $PROBE smtp "$PF_PORT" "$src" client.mailseal.test "$sender" "$T/msg/$id.eml" "$@" 2>&1)
	printf '%s\n' "$OUT" > "$T/smtp-$id.out"
}
out_line() { printf '%s\n' "$OUT" | grep "^$1" | head -1; }
# policy_checks MARK ERE: the policy side's SPF check lines since MARK
policy_checks() { pd_log_since d "$1" | grep -E 'mailseal: stage=spf spf=[a-z]+/[^ ]* ip=' | grep -cE "$2"; }
expect() {   # expect TAG GOT ERE
	if printf '%s\n' "$2" | grep -qE -- "$3"; then ok "$1 ($(printf '%s' "$2" | oneline 160))"
	else nok "$1 - wanted /$3/, got: $(printf '%s' "$2" | oneline)"; fi
}

# --- DNS --------------------------------------------------------------------
mkdir msg d d2
cat > spf.records <<'EOF'
pass IN TXT "v=spf1 ip4:127.0.0.1 -all"
fail IN TXT "v=spf1 ip4:192.0.2.1 -all"
two IN TXT "v=spf1 ip4:127.0.0.2 -all"
timeout IN TXT "v=spf1 ip4:127.0.0.1 -all"
burst IN TXT "v=spf1 ip4:127.0.0.1 -all"
ctl IN TXT "v=spf1 ip4:127.0.0.1 -all"
EOF
# (the engine caches answers in process: a test of a DNS timeout asks
# for a name nothing asked for before: timeout, burst)
printf 'client IN TXT "v=spf1 ip4:127.0.0.1 -all"\n' > helo.records
nsd_zone spf.example 300 spf.records > spf.example.zone
nsd_zone mailseal.test 300 helo.records > mailseal.test.zone
nsd_start "$T" spf.example mailseal.test || { nok "nsd starts"; exit 1; }
ok "nsd on 127.0.0.1:$NSD_PORT (spf.example, mailseal.test)"
NSD_PIDS=$(nsd_pids | tr '\n' ',')

# --- the daemon and Postfix ---------------------------------------------------
conf() {   # conf NAME ON_SPF_FAIL [EXTRA...]
	printf 'dns_resolver = 127.0.0.1:%s\n' "$NSD_PORT"
	printf 'authserv_id = mx-auth.example.com\n'
	printf 'policy_listen = unix:%s\n' "$T/$1/policy.sock"
	printf 'milter_listen = unix:%s\n' "$T/$1/milter.sock"
	printf 'pid_file = %s\n' "$T/$1/pd.pid"
	printf 'socket_mode = 0666\n'
	printf 'check_spf = yes\non_spf_fail = %s\non_temperror = tempfail\n' "$2"
	printf 'dns_timeout = 300ms\ndns_message_budget = 1s\n'
	shift 2
	[ $# -eq 0 ] || printf '%s\n' "$@"
}
conf d reject > d-reject.conf
conf d tag > d-tag.conf
cp d-reject.conf d.conf
pd_start d "$T/d.conf" || { nok "daemon d starts - $(oneline < d.log)"; exit 1; }
POL="unix:$T/d/policy.sock"
mkdir -p "$T/pf"
postfix_start "$T/pf" --policy-rcpt "$POL" --milter "unix:$T/d/milter.sock" \
	--milter-default-action tempfail --milter-protocol 6 "local_header_rewrite_clients=" \
	|| { nok "Postfix starts"; exit 1; }
ok "Postfix on $PF_PORT: check_policy_service at RCPT (only), smtpd_milters; daemon d (check_spf = yes, on_spf_fail = reject)"

# --- 1. SPF fail, on_spf_fail = reject: refused at RCPT --------------------------
MARK=$(pd_log_lines d)
mkmsg s1 'Fay <fay@fail.spf.example>'
smtp s1 127.0.0.1 fay@fail.spf.example rcpt@example.net
expect "1: SPF fail: 550 5.7.23 in reply to RCPT TO" "$(out_line rcpt)" \
	'^rcpt 550 5\.7\.23 <rcpt@example\.net>: Recipient address rejected: SPF: fail\.spf\.example does not allow 127\.0\.0\.1 to send its mail'
expect "1: ... no DATA" "$(out_line data)" '^data skipped$'
sleep 0.3
[ -z "$(find_msgs s1)" ] && ok "1: ... nothing delivered" || nok "1: delivered anyway"
expect "1: the policy side's log line (NOQUEUE, state=RCPT)" "$(pd_log_since d "$MARK" | grep 'stage=spf' | tail -1)" \
	'NOQUEUE: mailseal: stage=spf spf=fail/fail\.spf\.example ip=127\.0\.0\.1 .*action=reject code=550 dsn=5\.7\.23 .*client=localhost\[127\.0\.0\.1\] state=RCPT'
MARK=$(pd_log_lines d)
smtp s1 127.0.0.1 fay@fail.spf.example r1@example.net r2@example.net r3@example.net r4@example.net
n=$(printf '%s\n' "$OUT" | grep -c '^rcpt 550 5\.7\.23 ')
n_checks=$(policy_checks "$MARK" 'spf=fail/fail\.spf\.example')
[ "$n" = 4 ] && [ "$n_checks" = 1 ] && ok "1: four recipients: each refused 550 5.7.23, one check" \
	|| nok "1: four recipients: $n refused, $n_checks checks: $(printf '%s' "$OUT" | oneline)"

# --- 2. SPF pass: delivered, the milter takes the policy side's outcome ----------
MARK=$(pd_log_lines d)
mkmsg s2 'Pat <pat@pass.spf.example>'
smtp s2 127.0.0.1 pat@pass.spf.example "@stop=$NSD_PIDS" rcpt@example.net
nsd_thaw
expect "2: SPF pass: 250 at RCPT" "$(out_line rcpt)" '^rcpt 250 '
expect "2: ... 250 at the end of DATA, with the DNS stopped after RCPT" "$(out_line data)" '^data 250 .*queued as'
QID=$(out_line data | sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p')
if wait_msgs s2 1; then
	expect "2: ... delivered with spf=pass smtp.mailfrom=pat@pass.spf.example" "$(our_ar "$(find_msgs s2)")" \
		'^mx-auth\.example\.com; *dkim=none; *spf=pass smtp\.mailfrom=pat@pass\.spf\.example smtp\.helo=[^;|]*$'
else
	nok "2: not delivered"
fi
expect "2: the milter side took the outcome from the policy side" "$(pd_log_since d "$MARK" | grep "$QID: mailseal: role=")" \
	"^.*info: $QID: mailseal: role=.* spf=pass/pass\\.spf\\.example .* spf_at=rcpt\$"
expect "2: ... and its log line has spf=pass" "$(pd_log_since d "$MARK" | grep "$QID: mailseal: role=")" \
	"$QID: mailseal: role=verify .*spf=pass/pass\\.spf\\.example action=accept"
n_checks=$(policy_checks "$MARK" 'spf=pass/pass\.spf\.example')
[ "$n_checks" = 1 ] && ok "2: one SPF check in all (the policy side's)" || nok "2: $n_checks SPF checks logged"
# the same identity again with the DNS stopped: the policy side's event
# loop answers from the answers in memory (no SPF thread, no wait)
MARK=$(pd_log_lines d)
mkmsg s2c 'Pat <pat@pass.spf.example>'
nsd_freeze
smtp s2c 127.0.0.1 pat@pass.spf.example rcpt@example.net
nsd_thaw
expect "2: the same identity again, the DNS stopped: 250 at RCPT and at the dot" \
	"$(out_line rcpt) | $(out_line data)" '^rcpt 250 .* \| data 250 '
expect "2: ... the policy side answered from memory (its line ends from=memory)" \
	"$(pd_log_since d "$MARK" | grep 'stage=spf' | tail -1)" \
	'stage=spf spf=pass/pass\.spf\.example .*state=RCPT from=memory$'
# control: without check_policy_service at RCPT no note is left, and
# the milter checks itself (with the DNS stopped: 451 at the end of DATA;
# a domain not asked before, so that no answer is in memory)
postfix_conf "smtpd_recipient_restrictions=" && postfix_reload || nok "2: postconf"
MARK=$(pd_log_lines d)
mkmsg s2b 'Pat <pat@ctl.spf.example>'
smtp s2b 127.0.0.1 pat@ctl.spf.example "@stop=$NSD_PIDS" rcpt@example.net
nsd_thaw
expect "2: control, no policy check at RCPT: 250 at RCPT, then the milter checks itself: 451 4.4.3 at the dot (DNS stopped)" \
	"$(out_line rcpt) | $(out_line data)" '^rcpt 250 .* \| data 451 4\.4\.3 '
postfix_conf "smtpd_recipient_restrictions=check_policy_service $POL" && postfix_reload || nok "2: postconf back"

# --- 3. the DNS not answering: 451 4.4.3 at RCPT ------------------------------------
MARK=$(pd_log_lines d)
mkmsg s3 'Tim <tim@timeout.spf.example>'
t0=$(date +%s%N)
nsd_freeze
smtp s3 127.0.0.1 tim@timeout.spf.example rcpt@example.net
nsd_thaw
took=$(( ($(date +%s%N) - t0) / 1000000 ))
expect "3: DNS timeout: 451 4.4.3 in reply to RCPT TO" "$(out_line rcpt)" \
	'^rcpt 451 4\.4\.3 <rcpt@example\.net>: Recipient address rejected: the SPF policy of timeout\.spf\.example could not be evaluated now'
expect "3: ... no DATA" "$(out_line data)" '^data skipped$'
[ "$took" -lt 5000 ] && ok "3: ... answered within 5 s ($took ms; dns_message_budget 1 s)" || nok "3: took $took ms"
expect "3: the policy side's log line" "$(pd_log_since d "$MARK" | grep 'stage=spf' | tail -1)" \
	'stage=spf spf=temperror/timeout\.spf\.example .*action=tempfail code=451 dsn=4\.4\.3'

# --- 4. many recipients: one check --------------------------------------------------
MARK=$(pd_log_lines d)
mkmsg s4 'Pat <pat@pass.spf.example>'
rcpts=""
for i in $(seq 1 12); do rcpts="$rcpts r$i@example.net"; done
# shellcheck disable=SC2086
smtp s4 127.0.0.1 pat@pass.spf.example "@stop=$NSD_PIDS" $rcpts
nsd_thaw
n=$(printf '%s\n' "$OUT" | grep -c '^rcpt 250 ')
[ "$n" = 12 ] && ok "4: twelve recipients accepted, the DNS stopped after the first" \
	|| nok "4: $n of 12 accepted: $(printf '%s' "$OUT" | oneline)"
expect "4: ... 250 at the end of DATA" "$(out_line data)" '^data 250 '
n_checks=$(policy_checks "$MARK" 'spf=pass/pass\.spf\.example')
[ "$n_checks" = 1 ] && ok "4: one SPF check for the twelve" || nok "4: $n_checks checks"
if wait_msgs s4 12; then
	bad=0
	for f in $(find_msgs s4); do
		our_ar "$f" | grep -q 'spf=pass smtp\.mailfrom=pat@pass\.spf\.example smtp\.helo=[^;|]*$' || bad=$((bad + 1))
	done
	[ $bad = 0 ] && ok "4: twelve copies delivered, each with spf=pass" || nok "4: $bad copies without spf=pass"
else
	nok "4: not all twelve delivered ($(find_msgs s4 | grep -c .))"
fi

# --- 5. two clients, one sender and HELO, at once ----------------------------------
cp d-tag.conf d.conf
pd_hup d && tail -1 d.log | grep -q 'info: reloaded' || nok "5: reload (on_spf_fail = tag) - $(tail -1 d.log)"
MARK=$(pd_log_lines d)
pids=""
for i in $(seq 1 8); do
	for ip in 2 3; do
		mkmsg "s5-$ip-$i" "Two <two@two.spf.example>"
		timeout 60 $PROBE smtp "$PF_PORT" "127.0.0.$ip" client.mailseal.test two@two.spf.example \
			"$T/msg/s5-$ip-$i.eml" rcpt@example.net > "smtp-s5-$ip-$i.out" 2>&1 &
		pids="$pids $!"
	done
done
# shellcheck disable=SC2086
wait $pids
bad=0 got=0
for i in $(seq 1 8); do
	for ip in 2 3; do
		want=pass
		[ $ip = 3 ] && want=fail
		if wait_msgs "s5-$ip-$i" 1; then
			got=$((got + 1))
			our_ar "$(find_msgs "s5-$ip-$i")" | grep -q "spf=$want smtp\\.mailfrom=two@two\\.spf\\.example smtp\\.helo=[^;|]*\$" || {
				bad=$((bad + 1)); echo "# s5-$ip-$i: $(our_ar "$(find_msgs "s5-$ip-$i")")"; }
		fi
	done
done
[ $got = 16 ] && [ $bad = 0 ] && ok "5: 16 sessions at once from 127.0.0.2 (pass) and 127.0.0.3 (fail), same sender and HELO: each delivered with its own result" \
	|| nok "5: $got of 16 delivered, $bad with the other client's result"
n=$(pd_log_since d "$MARK" | grep -c 'mailseal: role=.* spf=[a-z]*/two\.spf\.example .* spf_at=rcpt$')
[ "$n" = 16 ] && ok "5: ... all 16 outcomes from the policy side" || nok "5: $n of 16 outcomes from the policy side"
# the daemon's sockets directly: one queue id (SAMEQID) for all
mkmsg s5p 'Two <two@two.spf.example>'
pol() { timeout 20 "$PY" "$HERE/pd_probe.py" policy "$POL" queue_id=SAMEQID sender=two@two.spf.example \
	helo_name=relay.two.example instance=ab.cd.1 "$@" 2>&1; }
mil() { timeout 20 "$PY" "$HERE/pd_probe.py" milterx "unix:$T/d/milter.sock" msg/s5p.eml @qid=SAMEQID \
	@sender=two@two.spf.example "$@" 2>&1 | sed 's/\\n[[:space:]]*/ /g' | tr '\n' '|'; }
MARK=$(pd_log_lines d)
expect "5: probe: policy RCPT from 127.0.0.2 (queue_id SAMEQID): DUNNO" "$(pol client_address=127.0.0.2)" '^action=DUNNO$'
expect "5: probe: a milter session from 127.0.0.3 with the same queue id, sender and HELO: its own check, spf=fail" \
	"$(mil @addr=127.0.0.3 @helo=relay.two.example)" 'spf=fail smtp\.mailfrom=two@two\.spf\.example smtp\.helo=[^;|]*\|continue\|$'
expect "5: probe: ... then from 127.0.0.2 with another HELO: its own check (pass)" "$(mil @addr=127.0.0.2 @helo=other.two.example)" \
	'spf=pass smtp\.mailfrom=two@two\.spf\.example smtp\.helo=[^;|]*\|continue\|$'
n=$(pd_log_since d "$MARK" | grep -c 'SAMEQID: mailseal: role=.* spf_at=rcpt$')
[ "$n" = 0 ] && ok "5: probe: ... neither took the note" || nok "5: probe: $n took the note"
MARK=$(pd_log_lines d)
pol client_address=127.0.0.2 > /dev/null
expect "5: probe: from 127.0.0.2 with its HELO: the note's pass" "$(mil @addr=127.0.0.2 @helo=relay.two.example)" \
	'spf=pass smtp\.mailfrom=two@two\.spf\.example smtp\.helo=[^;|]*\|continue\|$'
n=$(pd_log_since d "$MARK" | grep -c 'SAMEQID: mailseal: role=.* spf=pass/two\.spf\.example .* spf_at=rcpt$')
[ "$n" = 1 ] && ok "5: probe: ... taken from the policy side" || nok "5: probe: $n lines from the policy side"
MARK=$(pd_log_lines d)
pol client_address=127.0.0.3 client_port=4444 > /dev/null
expect "5: probe: a note of 127.0.0.3 port 4444 (fail) for a session from port 5555: its own check" \
	"$(mil @addr=127.0.0.3 @port=5555 @helo=relay.two.example)" 'spf=fail smtp\.mailfrom=two@two\.spf\.example smtp\.helo=[^;|]*\|continue\|$'
pol client_address=127.0.0.3 client_port=4444 > /dev/null
mil @addr=127.0.0.3 @port=4444 @helo=relay.two.example > /dev/null
n=$(pd_log_since d "$MARK" | grep -c 'SAMEQID: mailseal: role=.* spf=fail/two\.spf\.example .* spf_at=rcpt$')
[ "$n" = 1 ] && ok "5: probe: ... the same port takes it (one of the two sessions)" || nok "5: probe: $n took it"

# --- 6. overload: past max_connections checks in flight, DUNNO -----------------------
conf d2 reject 'max_connections = 2' > d2.conf
pd_start d2 "$T/d2.conf" || nok "6: daemon d2 (max_connections = 2) starts - $(oneline < d2.log)"
MARK=$(wc -l < d2.log)
nsd_freeze
out=$(timeout 30 $PROBE burst "unix:$T/d2/policy.sock" 6 burst.spf.example 2>&1)
nsd_thaw
fast=$(printf '%s\n' "$out" | awk '$2 < 700 && $3 == "action=DUNNO"' | grep -c .)
slow=$(printf '%s\n' "$out" | grep -c 'action=451 4\.4\.3 the SPF policy of burst\.spf\.example could not be evaluated now')
[ "$fast" = 4 ] && [ "$slow" = 2 ] \
	&& ok "6: six checks at once, DNS stopped, max_connections 2: four DUNNO at once, two 451 4.4.3 after the budget" \
	|| nok "6: $fast fast DUNNO, $slow 451: $(printf '%s' "$out" | oneline)"
tail -n +"$((MARK + 1))" d2.log | grep -q 'too many checks in flight (max_connections); DUNNO, the milter side checks' \
	&& ok "6: ... logged" || nok "6: no overload warning in d2.log"
MARK=$(wc -l < d2.log)
out=$(timeout 20 "$PY" "$HERE/pd_probe.py" policy "unix:$T/d2/policy.sock" sender=x@pass.spf.example 2>&1)
[ "$out" = "action=DUNNO" ] && tail -n +"$((MARK + 1))" d2.log | grep -q 'stage=spf spf=pass/pass\.spf\.example ip=127\.0\.0\.1 .*action=accept' \
	&& ok "6: ... once the DNS answers, a request is checked again (pass: DUNNO)" || nok "6: later request: $out; $(tail -2 d2.log | oneline)"
pd_stop d2

# --- at the end ---------------------------------------------------------------------
pid=$(pd_pid d)
kill -TERM "$pid"
for _ in $(seq 1 200); do pd_gone "$pid" && break; sleep 0.05; done
wait "$pid" 2> /dev/null
rc=$?
eval "PDPID_d="
[ "$rc" = 0 ] && ok "SIGTERM: the daemon exits 0" || nok "SIGTERM: exit $rc"
postfix_queue_empty && ok "the queue is empty" || nok "the queue is not empty"
postfix_log_grep -qE 'fatal|panic' && nok "fatal/panic in the maillog" || ok "no fatal or panic in the maillog"
san=$(grep -hE 'Sanitizer|runtime error:' d.log d2.log 2> /dev/null | head -3)
[ -z "$san" ] && ok "no sanitizer report in the daemons' logs" || nok "sanitizer: $(printf '%s' "$san" | oneline)"
echo "# t-postfix-spf.sh took $(( $(date +%s) - START )) s"
[ $fails = 0 ]
