#!/bin/bash
# t-exim-stats.sh - the farm's counters from Exim (farm_stats = yes):
# Debian's real Exim 4.96 with the module as local_scan_path, two
# daemons standing for two nodes of a farm (farm_stats_node exim-a and
# exim-b) sharing one real redis-server, keys in a real nsd, all on
# loopback:
#   1 messages through node a (two signed submissions, a forgery of a
#     require_signed domain refused 550 5.7.20, an unsigned inbound
#     message) and node b (a signed inbound message, twice): `mailseal
#     stats` shows each node's counts and their total, exactly, as
#     Prometheus text (Debian's python3-prometheus-client reads it),
#     with the key lookups by layer (DNS, then Redis for the second
#     process of node b); --node and --total; --forget; the example
#     of docs/exim.md is node a's output
#   2 one log line per message with Exim's message id, as before
#   3 Redis stopped: a signed submission and an inbound message are
#     still accepted (signed, delivered); in one SMTP session whose
#     first message came while Redis was away and whose second comes
#     after it is back, the second push carries both messages and one
#     skipped push (mailseal_stats_pushes_total{result="skipped"})
# KEEP_T=DIR keeps the work directory.
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
MOD=$ROOT/build/mailseal_exim.so
HERE=$ROOT/tests/exim
PY=/usr/bin/python3             # Debian's, with python3-prometheus-client
# Exim loads the normal build's module (see t-exim.sh): not repeated
# for the ASan pass when the normal pass ran
. "$HERE/lib.sh"
exim_san_pass_done

T=$(mktemp -d)
chmod 755 "$T"                  # Exim runs as Debian-exim and reads in here
REDIS_DIR="$T/redis"
. "$ROOT/tests/lib/check.sh"
. "$ROOT/tests/lib/nsd.sh"
. "$ROOT/tests/lib/redis.sh"
EXIM_HOME="$T/exim"
mkdir "$EXIM_HOME" "$T/msg"
SESSION_PID=""
trap 'exec 3>&- 2>/dev/null; [ -n "$SESSION_PID" ] && kill "$SESSION_PID" 2>/dev/null; exim_stop_all; nsd_stop; redis_stop_all; [ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP
cd "$T" || exit 1


for need in "$MOD" "$M"; do
	[ -e "$need" ] || { t_nok "built - $need is missing"; exit 1; }
done

# mkmsg ID FROM: msg/ID.eml, CRLF, a unique X-Test-Id
mkmsg() {
	{
		printf 'From: %s\r\nTo: Rita <rcpt@example.net>\r\n' "$2"
		printf 'Subject: stats %s\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n' "$1"
		printf 'Message-ID: <%s@test.example.org>\r\nX-Test-Id: %s\r\n\r\n' "$1" "$1"
		printf 'Hello,\r\n\r\nmessage %s.\r\n' "$1"
	} > "msg/$1.eml"
}
# code NAME ERE: the reply to the final dot matches
code() {
	if printf '%s\n' "$EXIM_REPLY" | grep -qE "$2"; then t_ok "$1 ($EXIM_REPLY)"
	else t_nok "$1 - wanted /$2/, got \"$EXIM_REPLY\""; fi
}
delivered() { D=$(exim_wait_find "$1" "X-Test-Id: $2" 10 | head -1); [ -n "$D" ]; }

# --- keys, DNS, Redis, two daemons -------------------------------------------
mkdir keys
for d in example.com bank.example; do
	mkdir -p "keys/$d"
	"$M" keygen -d "$d" -s st -t ed25519 -o "keys/$d" > /dev/null || { t_nok "keygen $d"; exit 1; }
	nsd_zone "$d" 300 "keys/$d"/*.txt > "$d.zone"
done
nsd_start "$T" example.com bank.example || { t_nok "nsd starts"; exit 1; }
redis_start main || { t_nok "redis-server starts"; exit 1; }
chown Debian-exim keys/example.com/st.private
printf 'example.com st %s\n' "$T/keys/example.com/st.private" > signing.table
for node in exim-a exim-b; do
	{
		printf 'dns_resolver = 127.0.0.1:%s\n' "$NSD_PORT"
		printf 'signing_table = %s/signing.table\n' "$T"
		printf 'require_signed = bank.example\nauthserv_id = mx-stats.example.com\n'
		printf 'redis_url = redis://127.0.0.1:%s\n' "$REDIS_PORT_main"
		printf 'farm_stats = yes\nfarm_stats_node = %s\n' "$node"
	} > "$node.conf"
	if "$M" -c "$node.conf" config check > cc.out 2>&1; then t_ok "mailseal config check accepts $node.conf"
	else t_nok "config check $node.conf - $(oneline < cc.out)"; fi
done
printf 'redis_url = redis://127.0.0.1:%s\n' "$REDIS_PORT_main" > cli.conf
exim_tls_init || { t_nok "test CA and certificates"; exit 1; }
exim_start a "$MOD" "$T/exim-a.conf" && exim_start b "$MOD" "$T/exim-b.conf" \
	|| { t_nok "Exim daemons with the module start"; exit 1; }
t_ok "nsd on $NSD_PORT, redis-server on $REDIS_PORT_main, Exim a on $EXIM_PORT_a, b on $EXIM_PORT_b"

"$M" -c cli.conf stats > empty.prom 2> empty.err
if [ $? = 0 ] && grep -qx 'mailseal_messages_total{role="sign",action="accept"} 0' empty.prom \
	&& ! grep -q 'node="' empty.prom; then
	t_ok "mailseal stats before any message: the total, all zero, no node"
else
	t_nok "mailseal stats before any message - $(oneline < empty.err) $(head -5 empty.prom | oneline)"
fi

# --- 1. messages through both nodes ------------------------------------------
for id in s1 s2; do
	mkmsg "$id" 'Alice <alice@example.com>'
	exim_send a "msg/$id.eml" -a -r bob@remote.example
	code "1: node a: authenticated submission $id accepted" '^250 '
done
mkmsg f1 'Bank <info@bank.example>'
exim_send a msg/f1.eml
code "1: node a: unsigned mail from require_signed bank.example refused" '^550 5\.7\.20'
mkmsg i1 'Otto <otto@other.example>'
exim_send a msg/i1.eml
code "1: node a: unsigned inbound mail accepted" '^250 '
mkmsg v1 'Bank <info@bank.example>'
if "$M" sign -d bank.example -s st -k keys/bank.example/st.private msg/v1.eml > msg/v1.signed; then
	mv msg/v1.signed msg/v1.eml
else
	t_nok "1: mailseal sign v1"
fi
for i in 1 2; do
	exim_send b msg/v1.eml
	code "1: node b: signed mail from bank.example accepted ($i)" '^250 '
done
delivered a s2 && grep -q '^DKIM-Signature:' "$D" && t_ok "1: the submission is delivered signed" \
	|| t_nok "1: s2 not delivered signed"

"$M" -c cli.conf stats > all.prom 2> all.err
rc=$?
[ $rc = 0 ] && t_ok "mailseal stats exits 0" || t_nok "mailseal stats exits $rc - $(oneline < all.err)"
parsed=$("$PY" - all.prom <<'PY' 2>&1
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = list(text_string_to_metric_families(open(sys.argv[1]).read()))
print(len(fams), sum(len(f.samples) for f in fams))
PY
)
case $parsed in
[1-9]*" "[1-9]*) t_ok "1: Prometheus's own parser reads it (families, samples: $parsed)" ;;
*) t_nok "1: the exposition does not parse - $(printf '%s' "$parsed" | oneline)" ;;
esac
# has NAME LINE...: every LINE is a line of all.prom
has() {
	local what=$1 l miss=""
	shift
	for l in "$@"; do grep -qxF "$l" all.prom || miss="$miss [$l]"; done
	if [ -z "$miss" ]; then t_ok "$what"
	else t_nok "$what - missing:$miss; got: $(grep -F "$(printf '%s' "$1" | cut -d'{' -f1)" all.prom | oneline 600)"; fi
}
has "1: node a: 2 signed, 1 refused, 1 verified" \
	'mailseal_messages_total{node="exim-a",role="sign",action="accept"} 2' \
	'mailseal_messages_total{node="exim-a",role="verify",action="reject"} 1' \
	'mailseal_messages_total{node="exim-a",role="verify",action="accept"} 1' \
	'mailseal_refusals_total{node="exim-a",dsn="5.7.20"} 1' \
	'mailseal_results_total{node="exim-a",method="dkim",result="none"} 2'
has "1: node b: 2 verified with a passing signature" \
	'mailseal_messages_total{node="exim-b",role="verify",action="accept"} 2' \
	'mailseal_messages_total{node="exim-b",role="sign",action="accept"} 0' \
	'mailseal_results_total{node="exim-b",method="dkim",result="pass"} 2'
has "1: node b: the key from DNS for the first process, from Redis for the second" \
	'mailseal_lookups_total{node="exim-b",layer="dns",outcome="answer"} 1' \
	'mailseal_lookups_total{node="exim-b",layer="redis",outcome="miss"} 1' \
	'mailseal_lookups_total{node="exim-b",layer="redis",outcome="hit"} 1' \
	'mailseal_lookups_total{node="exim-b",layer="local",outcome="miss"} 2' \
	'mailseal_lookup_duration_seconds_count{node="exim-b",layer="dns"} 1' \
	'mailseal_lookup_duration_seconds_bucket{node="exim-b",layer="dns",le="+Inf"} 1'
has "1: the farm's total, without a node label" \
	'mailseal_messages_total{role="sign",action="accept"} 2' \
	'mailseal_messages_total{role="verify",action="accept"} 3' \
	'mailseal_messages_total{role="verify",action="reject"} 1' \
	'mailseal_refusals_total{dsn="5.7.20"} 1'
grep -q '^mailseal_connections{' all.prom && t_nok "1: no gauge from Redis - $(grep '^mailseal_connections{' all.prom | oneline)" \
	|| t_ok "1: no connection gauges in the farm's figures (only a daemon has them)"
"$M" -c cli.conf stats --node exim-b > b.prom 2>&1
if grep -qxF 'mailseal_messages_total{node="exim-b",role="verify",action="accept"} 2' b.prom &&
	! grep -q 'node="exim-a"' b.prom && ! grep -q '^mailseal_messages_total{role=' b.prom; then
	t_ok "1: --node exim-b shows that node alone"
else
	t_nok "1: --node exim-b - $(head -4 b.prom | oneline)"
fi
# docs/exim.md's example is node a's output, word for word
"$M" -c cli.conf stats --node exim-a > a.prom 2>&1
if docblock stats-example > example.txt; then
	bad=""
	while IFS= read -r l; do
		case $l in '$ '*|'...') continue ;; esac
		l=${l//node=\"mx1\"/node=\"exim-a\"}
		grep -qxF -- "$l" a.prom || bad="$bad [$l]"
	done < example.txt
	[ -z "$bad" ] && t_ok "1: docs/exim.md's example is what node a shows" \
		|| t_nok "1: docs/exim.md's example - not in the output:$bad"
else
	t_nok "1: docs/exim.md has the example block (test: stats-example)"
fi
"$M" -c cli.conf stats --total > tot.prom 2>&1
if grep -qxF 'mailseal_messages_total{role="verify",action="accept"} 3' tot.prom && ! grep -q 'node="' tot.prom; then
	t_ok "1: --total shows the total alone"
else
	t_nok "1: --total - $(head -4 tot.prom | oneline)"
fi
"$M" -c cli.conf stats --node nosuch > ns.out 2>&1 && t_nok "1: --node of an unknown node exits 0" \
	|| t_ok "1: --node of an unknown node fails: $(oneline < ns.out)"
[ "$(rcli "$REDIS_PORT_main" TTL 'mailseal:{stats}:node:exim-a')" = -1 ] \
	&& [ "$(rcli "$REDIS_PORT_main" SMEMBERS 'mailseal:{stats}:nodes' | sort | tr '\n' ' ')" = "exim-a exim-b " ] \
	&& t_ok "1: redis/SCHEMA.md's keys: the nodes' set, a hash per node, no TTL" \
	|| t_nok "1: keys in Redis - $(rcli "$REDIS_PORT_main" KEYS 'mailseal:{stats}*' | oneline)"

# --- 2. one log line per message, with Exim's id ------------------------------
n=$(grep -cE '^[0-9-]+ [0-9:]+ [0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} mailseal: .*action=' "$(exim_log a)")
[ "$n" = 4 ] && t_ok "2: node a logged one mailseal line per message, with the message id (4)" \
	|| t_nok "2: node a: $n mailseal lines with a message id, wanted 4 - $(grep 'mailseal:' "$(exim_log a)" | tail -3 | oneline)"

# --- 3. Redis away -------------------------------------------------------------
"$M" -c cli.conf stats --forget exim-a > fg.out 2>&1
grep -qx 'forgot node exim-a' fg.out && ! "$M" -c cli.conf stats | grep -q 'node="exim-a"' \
	&& t_ok "3: --forget drops node a's counters" || t_nok "3: --forget - $(oneline < fg.out)"
redis_stop main
mkmsg s3 'Alice <alice@example.com>'
exim_send a msg/s3.eml -a -r bob@remote.example
code "3: Redis stopped: an authenticated submission is accepted" '^250 '
delivered a s3 && grep -q '^DKIM-Signature:' "$D" && t_ok "3: Redis stopped: it is delivered signed" \
	|| t_nok "3: Redis stopped: s3 not delivered signed"
"$M" -c cli.conf stats > down.out 2>&1 && t_nok "3: mailseal stats with Redis away exits 0" \
	|| t_ok "3: mailseal stats with Redis away fails: $(oneline 160 < down.out)"
# one session: a message while Redis is away, another once it is back
mkmsg r1 'Otto <otto@other.example>'
mkmsg r2 'Otto <otto@other.example>'
mkfifo go
"$PY" - "$EXIM_PORT_a" msg/r1.eml msg/r2.eml go > session.out 2>&1 <<'PY' &
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.ehlo("client.example.org")
for i, path in enumerate(sys.argv[2:4]):
    if i:
        open(sys.argv[4]).read()        # until the test says go
    s.sendmail("otto@other.example", ["rcpt@example.net"],
                open(path, "rb").read())
    print("sent", path, flush=True)
s.quit()
PY
SESSION_PID=$!
for i in $(seq 1 100); do grep -q 'sent msg/r1.eml' session.out && break; sleep 0.1; done
grep -q 'sent msg/r1.eml' session.out && t_ok "3: Redis stopped: the first message of a session is accepted" \
	|| t_nok "3: first message of the session - $(oneline < session.out)"
redis-server "$REDIS_DIR/main/redis.conf" && redis_wait "$REDIS_PORT_main" \
	&& t_ok "3: redis-server restarted (empty)" || t_nok "3: redis-server restarts"
sleep 1.2                       # the node's back-off (1 s) ends
echo go > go
wait "$SESSION_PID"
SESSION_PID=""
grep -q 'sent msg/r2.eml' session.out && t_ok "3: Redis back: the second message of the session is accepted" \
	|| t_nok "3: second message of the session - $(oneline < session.out)"
"$M" -c cli.conf stats --node exim-a > back.prom 2>&1
if grep -qxF 'mailseal_messages_total{node="exim-a",role="verify",action="accept"} 2' back.prom &&
	grep -qxF 'mailseal_stats_pushes_total{node="exim-a",result="skipped"} 1' back.prom &&
	grep -qxF 'mailseal_messages_total{node="exim-a",role="sign",action="accept"} 0' back.prom; then
	t_ok "3: the push after the outage carries both messages of the session and its skipped push"
else
	t_nok "3: after the outage - $(grep -E 'messages_total|pushes' back.prom | grep -v ' 0$' | oneline)"
fi
for id in r1 r2; do
	delivered a "$id" || t_nok "3: $id delivered"
done
[ -n "$(exim_panics a)$(exim_panics b)" ] && t_nok "no panic log lines - $(exim_panics a | oneline)" \
	|| t_ok "no panic log lines"
[ $fails = 0 ]
