#!/bin/bash
# t-postfix-metrics.sh - mailseal-policyd's /metrics (metrics_listen)
# behind Debian's real Postfix 3.7 (tests/postfix/lib.sh), keys and SPF
# records in a real nsd, the farm's counters in a real redis-server, all
# on 127.0.0.1 high ports:
#   1 /metrics answers Prometheus text (format 0.0.4; Debian's
#     python3-prometheus-client reads it), and what docs/postfix.md's
#     example shows; HEAD, 404, 405, 400
#   2 signed submissions, a forgery (550 5.7.20 at the end of DATA), a
#     signed inbound message and an SPF refusal at RCPT (550 5.7.23):
#     the counters moved by exactly what was sent (messages by role and
#     action, refusals by code, DKIM and SPF results), connections
#     counted; one log line per message with Postfix's queue id
#   3 hostile clients: an oversized request head (431), clients that
#     drip a byte at a time (closed after the 5 s a request has), more
#     connections than the cap (16): mail flows meanwhile, and /metrics
#     answers again once they are gone
#   4 a reload counted (ok, and failed for a broken file)
#   5 farm_stats: the daemon's counts reach Redis (mailseal stats)
# The daemon is the build's under test ($MAILSEAL_BUILD: build or
# build/san).  KEEP_T=DIR keeps a copy of the work directory.
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${MAILSEAL_BUILD:-build}
M=${MAILSEAL:-$ROOT/$BUILD/mailseal}
PD=$ROOT/$BUILD/mailseal-policyd
HERE=$ROOT/tests/postfix
PY=/usr/bin/python3             # Debian's, with python3-prometheus-client
. "$ROOT/tests/lib/check.sh"
. "$HERE/lib.sh"                # also tests/lib/nsd.sh
echo "# daemon under test: $PD"
[ -x "$PD" ] || { nok "the daemon is built - $PD does not exist"; exit 1; }
postfix_fetch || { nok "postfix_fetch unpacks Postfix"; exit 1; }
postfix_tmpdir || exit 1
T=$PF_TMPDIR
REDIS_DIR=$T/redis
. "$ROOT/tests/lib/redis.sh"
. "$HERE/pd.sh"
BG=""
cleanup() {
	local n p
	for p in $BG; do kill "$p" 2> /dev/null; done
	for n in $PD_NAMES; do pd_stop "$n"; done
	nsd_stop
	redis_stop_all
	[ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"
	postfix_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$T" || exit 1

probe() { "$PY" "$HERE/http_probe.py" "$MPORT" "$@"; }
mkmsg() {
	printf 'From: %s\r\nTo: rcpt@example.net\r\nSubject: metrics %s\r\nMessage-ID: <%s@test.example.org>\r\nX-Test-Id: %s\r\n\r\nHello %s.\r\n' \
		"$2" "$1" "$1" "$1" "$1" > "$T/msg/$1.eml"
}
find_msg() { grep -lx "X-Test-Id: $1" "$PF_MAIL"/*.eml 2> /dev/null; }
delivered() {
	for _ in $(seq 1 200); do
		D=$(find_msg "$1" | head -1)
		[ -n "$D" ] && return 0
		sleep 0.05
	done
	return 1
}
# send HOW ID: msg/ID.eml to Postfix (auth: TLS + AUTH as alice, relayed)
send() {
	local from
	from=$(sed -n 's/\r$//; s/^From:.*<\([^>]*\)>.*/\1/p' "$T/msg/$2.eml" | head -1)
	case $1 in
	auth) postfix_send_auth "$2" --from "$from" --to bob@remote.example --data "@$T/msg/$2.eml" ;;
	*) postfix_send_plain "$2" --from "$from" --to rcpt@example.net --data "@$T/msg/$2.eml" ;;
	esac
}
expect() {   # expect NAME GOT ERE
	if printf '%s\n' "$2" | grep -qE -- "$3"; then t_ok "$1 ($(printf '%s' "$2" | oneline 120))"
	else t_nok "$1 - wanted /$3/, got: $(printf '%s' "$2" | oneline)"; fi
}
# scrape FILE: /metrics into FILE; 0 when answered 200
scrape() {
	local r
	r=$(probe get /metrics) || return 1
	mv metrics.prom "$1"
	case $r in "200 "*) return 0 ;; esac
	return 1
}
# val FILE SERIES: the value of one series line (0 when absent)
val() { awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print 0 }' "$1"; }
# moved NAME BEFORE AFTER SERIES=DELTA...: each series moved by DELTA
moved() {
	local what=$1 a=$2 b=$3 kv s d got bad=""
	shift 3
	for kv in "$@"; do
		s=${kv%=*} d=${kv##*=}
		got=$(( $(val "$b" "$s") - $(val "$a" "$s") ))
		[ "$got" = "$d" ] || bad="$bad $s:+$got(want +$d)"
	done
	if [ -z "$bad" ]; then t_ok "$what"; else t_nok "$what -$bad"; fi
}

# --- keys, DNS, Redis, the daemon, Postfix -----------------------------------
mkdir msg keys d
for d in example.com bank.example; do
	mkdir -p "keys/$d"
	"$M" keygen -d "$d" -s mt -t ed25519 -o "keys/$d" > /dev/null || { t_nok "keygen $d"; exit 1; }
done
nsd_zone example.com 300 keys/example.com/*.txt > example.com.zone
nsd_zone bank.example 300 keys/bank.example/*.txt > bank.example.zone
printf 'fail IN TXT "v=spf1 ip4:192.0.2.1 -all"\n' > spf.records
nsd_zone spf.example 300 spf.records > spf.example.zone
nsd_start "$T" example.com bank.example spf.example || { t_nok "nsd starts"; exit 1; }
redis_start main || { t_nok "redis-server starts"; exit 1; }
printf 'example.com mt %s\n' "$T/keys/example.com/mt.private" > signing.table
MPORT=$(free_port)
conf() {
	printf 'dns_resolver = 127.0.0.1:%s\n' "$NSD_PORT"
	printf 'signing_table = %s/signing.table\n' "$T"
	printf 'require_signed = bank.example\nauthserv_id = mx-auth.example.com\n'
	printf 'check_spf = yes\non_spf_fail = reject\n'
	printf 'policy_listen = unix:%s/d/policy.sock\n' "$T"
	printf 'milter_listen = unix:%s/d/milter.sock\n' "$T"
	printf 'metrics_listen = inet:127.0.0.1:%s\n' "$MPORT"
	printf 'pid_file = %s/d/pd.pid\nsocket_mode = 0666\n' "$T"
	printf 'redis_url = redis://127.0.0.1:%s\n' "$REDIS_PORT_main"
	printf 'farm_stats = yes\nfarm_stats_node = pf-a\nfarm_stats_interval = 1s\n'
}
conf > d.conf
printf 'redis_url = redis://127.0.0.1:%s\n' "$REDIS_PORT_main" > cli.conf
"$PD" -c d.conf -t > t.out 2>&1 && t_ok "mailseal-policyd -t accepts metrics_listen" \
	|| t_nok "mailseal-policyd -t - $(oneline < t.out)"
{ conf | grep -v '^metrics_listen'; echo "metrics_listen = unix:$T/m.sock"; } > bad.conf
"$PD" -c bad.conf -t > bad.out 2>&1 && t_nok "-t accepts a unix metrics_listen" \
	|| expect "-t refuses a unix metrics_listen, naming file and line" "$(cat bad.out)" \
		"bad\.conf:[0-9]+: metrics_listen unix:.*expected inet:HOST:PORT"
pd_start d "$T/d.conf" || { t_nok "the daemon starts - $(oneline < d.log)"; exit 1; }
grep -q "serving /metrics on inet:127.0.0.1:$MPORT" d.log && t_ok "the daemon serves /metrics on $MPORT" \
	|| t_nok "no /metrics line in the log - $(oneline < d.log)"
mkdir -p "$T/pf"
postfix_start "$T/pf" --policy-rcpt "unix:$T/d/policy.sock" --milter "unix:$T/d/milter.sock" \
	--milter-default-action tempfail --milter-protocol 6 "local_header_rewrite_clients=" \
	|| { t_nok "Postfix starts"; exit 1; }
t_ok "Postfix on $PF_PORT (policy at RCPT, milter), nsd on $NSD_PORT, redis-server on $REDIS_PORT_main"

# --- 1. the exposition, and what else is answered ------------------------------
r=$(probe get /metrics)
expect "1: GET /metrics: 200 with the text format's content type" "$r" \
	'^200 text/plain;version=0\.0\.4;charset=utf-8 [0-9]+ '
cp metrics.prom m0.prom
parsed=$("$PY" - m0.prom <<'PY' 2>&1
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
need = ["mailseal_messages", "mailseal_results", "mailseal_refusals",
        "mailseal_lookups", "mailseal_lookup_duration_seconds",
        "mailseal_config_reloads", "mailseal_connections"]
missing = [n for n in need if n not in fams]
print("missing" if missing else "all", " ".join(missing),
      fams["mailseal_lookup_duration_seconds"].type if "mailseal_lookup_duration_seconds" in fams else "")
PY
)
expect "1: Prometheus's parser reads every family, the latency as a histogram" "$parsed" '^all +histogram'
# the example of docs/postfix.md: every series and TYPE line is one the
# daemon serves
awk '$0 == "<!-- test: metrics-example -->" { on = 1; next }
	on && /^[^ \t]/ { exit }
	on && /^    / { sub(/^    /, ""); print }' "$ROOT/docs/postfix.md" > example.prom
bad=""
while read -r series rest; do
	case $series in
	'...') ;;
	'#') [ "${rest%% *}" = HELP ] || grep -qxF "# $rest" m0.prom || bad="$bad [# $rest]" ;;
	*) awk -v s="$series" '$1 == s { f = 1 } END { exit !f }' m0.prom || bad="$bad [$series]" ;;
	esac
done < example.prom
[ -s example.prom ] && [ -z "$bad" ] && t_ok "1: docs/postfix.md's example names only what the daemon serves ($(grep -c . example.prom) lines)" \
	|| t_nok "1: docs/postfix.md's example - not served:$bad"
expect "1: HEAD /metrics: 200, no body" "$(probe get /metrics HEAD)" '^200 text/plain;version=0\.0\.4;charset=utf-8 0 '
expect "1: GET /: 404" "$(probe get /)" '^404 '
expect "1: GET /metrics/x: 404" "$(probe get /metrics/x)" '^404 '
expect "1: POST /metrics: 405" "$(probe get /metrics POST)" '^405 '
expect "1: a TLS hello: 400" "$(probe raw 160301020001000101fc0303)" '^400$'
expect "1: HTTP/2 preface: 400" "$(probe raw 505249202a20485454502f322e300d0a0d0a534d0d0a0d0a)" '^400$'

# --- 2. mail, and what it moved ------------------------------------------------
scrape before.prom || t_nok "2: scrape before"
for id in s1 s2; do
	mkmsg "$id" 'Alice <alice@example.com>'
	send auth "$id"
	expect "2: authenticated submission $id accepted" "$PF_DATA_REPLY" '^250 '
done
mkmsg f1 'Bank <info@bank.example>'
send plain f1
expect "2: an unsigned message from require_signed bank.example: 550 5.7.20" "$PF_DATA_REPLY" '^550 5\.7\.20 '
mkmsg v1 'Bank <info@bank.example>'
"$M" sign -d bank.example -s mt -k keys/bank.example/mt.private msg/v1.eml > msg/v1.signed && mv msg/v1.signed msg/v1.eml
send plain v1
expect "2: a signed message from bank.example accepted" "$PF_DATA_REPLY" '^250 '
mkmsg p1 'Fay <fay@fail.spf.example>'
send plain p1
expect "2: SPF fail: 550 5.7.23 at RCPT" "$PF_RCPT_REPLY" '^550 5\.7\.23 '
delivered v1 && grep -q 'dkim=pass' "$D" && t_ok "2: v1 delivered with dkim=pass" || t_nok "2: v1 not delivered with dkim=pass"
scrape after.prom || t_nok "2: scrape after"
moved "2: messages by role and action moved by what was sent" before.prom after.prom \
	'mailseal_messages_total{role="sign",action="accept"}=2' \
	'mailseal_messages_total{role="verify",action="reject"}=1' \
	'mailseal_messages_total{role="verify",action="accept"}=1' \
	'mailseal_messages_total{role="verify",action="tempfail"}=0'
moved "2: refusals by code: one 5.7.20 at DATA, one 5.7.23 at RCPT" before.prom after.prom \
	'mailseal_refusals_total{dsn="5.7.20"}=1' 'mailseal_refusals_total{dsn="5.7.23"}=1' \
	'mailseal_refusals_total{dsn="4.4.3"}=0'
moved "2: results: DKIM pass and none, SPF fail once and none twice (checked at RCPT, not again)" \
	before.prom after.prom \
	'mailseal_results_total{method="dkim",result="pass"}=1' \
	'mailseal_results_total{method="dkim",result="none"}=1' \
	'mailseal_results_total{method="spf",result="fail"}=1' \
	'mailseal_results_total{method="spf",result="none"}=2'
mil=$(( $(val after.prom 'mailseal_connections_total{kind="milter"}') - $(val before.prom 'mailseal_connections_total{kind="milter"}') ))
pol=$(val after.prom 'mailseal_connections_total{kind="policy"}')
[ "$mil" -ge 4 ] && [ "$pol" -ge 1 ] && t_ok "2: connections counted (milter +$mil, policy $pol)" \
	|| t_nok "2: connections: milter +$mil, policy $pol"
dns=$(( $(val after.prom 'mailseal_lookups_total{layer="dns",outcome="answer"}') + $(val after.prom 'mailseal_lookups_total{layer="dns",outcome="notfound"}') ))
hist=$(val after.prom 'mailseal_lookup_duration_seconds_count{layer="dns"}')
[ "$dns" -ge 3 ] && [ "$hist" = "$(( dns + $(val after.prom 'mailseal_lookups_total{layer="dns",outcome="tempfail"}') ))" ] \
	&& t_ok "2: DNS lookups counted ($dns) and each one timed" || t_nok "2: DNS lookups $dns, timed $hist"
n=$(grep -cE 'info: [0-9A-Z]{6,}: mailseal: role=(sign|verify) .*action=' d.log)
[ "$n" = 4 ] && t_ok "2: one log line per message, with Postfix's queue id (4)" \
	|| t_nok "2: $n message lines with a queue id - $(grep 'mailseal: role=' d.log | tail -4 | oneline)"

# --- 3. hostile clients --------------------------------------------------------
expect "3: a request head of 64 KB: 431" "$(probe big 65536)" '^(431|CLOSED)$'
expect "3: a request head of 5000 bytes: 431" "$(probe big 5000)" '^431$'
DRIPS=""
for i in 1 2 3; do
	probe drip 8 > "drip$i.out" 2>&1 &
	DRIPS="$DRIPS $!"
done
BG="$BG $DRIPS"
sleep 0.5                       # accepted: 3 of the 16 places
probe flood 40 7 > flood.out 2>&1 &
FLOOD=$!
BG="$BG $FLOOD"
for _ in $(seq 1 100); do grep -qs connected flood.out && break; sleep 0.1; done
expect "3: 40 idle connections made (the cap is 16: the rest wait in the listen queue)" "$(head -1 flood.out)" '^connected 40$'
mkmsg s3 'Alice <alice@example.com>'
t0=$(date +%s%N)
send auth s3
took=$(( ($(date +%s%N) - t0) / 1000000 ))
expect "3: meanwhile a submission is signed and accepted (${took} ms)" "$PF_DATA_REPLY" '^250 '
mkmsg f2 'Bank <info@bank.example>'
send plain f2
expect "3: meanwhile a forgery is refused" "$PF_DATA_REPLY" '^550 5\.7\.20 '
delivered s3 && grep -q '^DKIM-Signature:' "$D" && t_ok "3: s3 delivered signed" || t_nok "3: s3 not delivered signed"
wait $FLOOD
# the 13 places the drippers left were taken, and closed after 5 s;
# the rest waited in the listen queue
expect "3: the server took 13 of them and closed them after their 5 s" "$(tail -1 flood.out)" '^closed 1[3-6] of 40$'
for p in $DRIPS; do wait "$p"; done
for i in 1 2 3; do
	expect "3: dripping client $i closed by the server" "$(cat "drip$i.out")" '^closed after [4-7]\.'
done
BG=""
ans=""
for _ in $(seq 1 40); do       # the queued ones go within 5 s each
	ans=$(probe get /metrics) && case $ans in "200 "*) break ;; esac
	sleep 0.5
done
expect "3: /metrics answers again once they are gone" "$ans" '^200 '
cp metrics.prom hostile.prom
moved "3: and counted the two messages of the meantime" after.prom hostile.prom \
	'mailseal_messages_total{role="sign",action="accept"}=1' \
	'mailseal_messages_total{role="verify",action="reject"}=1'
kill -0 "$(pd_pid d)" && t_ok "3: the daemon is alive" || t_nok "3: the daemon died - $(tail -3 d.log | oneline)"

# --- 4. reloads ------------------------------------------------------------------
pd_hup d && t_ok "4: SIGHUP reloads" || t_nok "4: SIGHUP"
cp d.conf d.good
echo 'this is not a setting' >> d.conf
pd_hup d && grep -q 'reload failed' d.log && t_ok "4: a broken file: reload failed, logged" || t_nok "4: broken reload"
cp d.good d.conf
scrape reload.prom || t_nok "4: scrape"
moved "4: reloads counted, ok and failed" hostile.prom reload.prom \
	'mailseal_config_reloads_total{result="ok"}=1' 'mailseal_config_reloads_total{result="failed"}=1'

# --- 5. farm_stats: the daemon's counts in Redis ---------------------------------
got=""
for _ in $(seq 1 40); do        # pushed every second
	"$M" -c cli.conf stats --node pf-a > farm.prom 2>&1
	got=$(val farm.prom 'mailseal_messages_total{node="pf-a",role="sign",action="accept"}')
	[ "$got" = 3 ] && break
	sleep 0.25
done
[ "$got" = 3 ] && [ "$(val farm.prom 'mailseal_refusals_total{node="pf-a",dsn="5.7.23"}')" = 1 ] \
	&& [ "$(val farm.prom 'mailseal_messages_total{node="pf-a",role="verify",action="reject"}')" = 2 ] \
	&& t_ok "5: mailseal stats shows the daemon's counts (node pf-a)" \
	|| t_nok "5: mailseal stats --node pf-a - $(grep -E 'messages_total|refusals' farm.prom | grep -v ' 0$' | oneline)"
pd_stop d
grep -q 'info: stopped' d.log && t_ok "the daemon stops cleanly" || t_nok "stop - $(tail -2 d.log | oneline)"
[ $fails = 0 ]
