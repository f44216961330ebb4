#!/bin/bash
# soak.sh - the fault campaign under load (issue 14): sustained SMTP load
# through a real Postfix + mailseal-policyd and a real Exim + the module,
# both on one Redis farm, while faults are injected one phase at a time:
#   baseline          nothing
#   redis-pause       the Redis master stopped (SIGSTOP) for SOAK_PAUSE s
#   redis-restart     the Redis master killed (SIGKILL) and started again
#   failover          a Sentinel failover (cluster: CLUSTER FAILOVER)
#   dns-none          DNS answers nothing (half the phase)
#   dns-slow          every DNS answer 1.5 s late (half the phase)
#   policyd-kill      mailseal-policyd killed (SIGKILL) and started again
#   reloads           twenty configuration reloads of both nodes
#                     (SIGHUP for the daemon; a rewritten file for Exim,
#                     which rereads it per message)
#   config-invalid    both configurations made invalid, then repaired
# For every message the client submitted, two invariants are checked
# (tests/soak/soak_check.py): nothing lost (delivered, or answered 4xx)
# and nothing accepted unchecked (each delivered message carries our
# Authentication-Results with the results its kind must have).  Prints
# "ok"/"not ok" lines; exits 1 when an invariant broke.
#
# The message mix (every message has an expected verdict): good (signed
# by example.com, p=reject, SPF pass), pnone (unsigned, example.org,
# p=none: accepted with dmarc=fail), forged (From example.com, unsigned),
# forged-other (From example.com, signed by example.org), tampered (a
# good one with its body changed): the last three are refused (or 4xx).
# DNS records have a TTL of 2 s, so that the caches do not hide the
# faults of DNS for long.
#
# Environment:
#   SOAK_SECONDS   length of each phase's load (default 180)
#   SOAK_SESSIONS  concurrent SMTP sessions, half to each MTA (default 50)
#   SOAK_PAUSE     how long Redis stays stopped (default 10)
#   SOAK_REDIS     sentinel (a master, a replica and a Sentinel; default)
#                  or cluster (a Redis Cluster of 3 masters, 3 replicas)
#   SOAK_PHASES    the phases to run (default: all, in the order above)
#   SOAK_REPORT    write a Markdown report there (the table of every
#                  phase, the machine, the settings)
#   MAILSEAL_BUILD the build directory (default build)
# Needs root (Exim and Postfix run as their own users).
set -u
umask 022
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$ROOT/${MAILSEAL_BUILD:-build}" && pwd)
M=$BUILD/mailseal
PY=/usr/bin/python3             # Debian's (no pyenv shim in front)
PD=$BUILD/mailseal-policyd
SOAK_SECONDS=${SOAK_SECONDS:-180}
SOAK_SESSIONS=${SOAK_SESSIONS:-50}
SOAK_PAUSE=${SOAK_PAUSE:-10}
SOAK_REDIS=${SOAK_REDIS:-sentinel}
SOAK_PHASES=${SOAK_PHASES:-baseline redis-pause redis-restart failover dns-none dns-slow policyd-kill reloads config-invalid}
. "$ROOT/tests/lib/check.sh"

T=$(mktemp -d /tmp/mailseal-soak.XXXXXX) || exit 1
chmod 755 "$T"                  # Debian-exim and postfix read in here
cd "$T" || exit 1
REDIS_DIR=$T/redis
. "$ROOT/tests/lib/nsd.sh"
. "$ROOT/tests/lib/redis.sh"
EXIM_HOME=$T/exim
. "$ROOT/tests/exim/lib.sh"
. "$ROOT/tests/postfix/lib.sh"
. "$ROOT/tests/postfix/pd.sh"
PROXY_PID="" LOAD_PID=""

cleanup() {
	[ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null && wait "$LOAD_PID" 2>/dev/null
	for n in $REDIS_NAMES; do
		p=$(cat "$REDIS_DIR/$n/redis.pid" 2>/dev/null)
		[ -n "$p" ] && kill -CONT "$p" 2>/dev/null
	done
	exim_stop_all
	postfix_cleanup > /dev/null 2>&1
	for n in $PD_NAMES; do pd_stop "$n"; done
	[ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
	nsd_stop
	redis_stop_all
	[ -n "${SOAK_KEEP:-}" ] && cp -a "$T" "$SOAK_KEEP"
	cd / && rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() { nok "$*"; exit 1; }
# Exim loads the normal build's module (an ASan one would need the
# runtime preloaded into Exim): the ASan pass checks the daemon under it
MOD=$ROOT/build/mailseal_exim.so
for f in "$M" "$PD" "$MOD"; do
	[ -x "$f" ] || [ -f "$f" ] || die "$f is not built"
done
[ "$(id -u)" = 0 ] || die "needs root (Exim and Postfix run as their own users)"

# --- keys, zones, the message kinds -----------------------------------------
mkdir -p keys msgs nsd
"$M" keygen -d example.com -s soak -o keys > /dev/null || die "keygen example.com"
mv keys/soak.private keys/com.private; mv keys/soak.txt keys/com.txt
"$M" keygen -d example.org -s soak -o keys > /dev/null || die "keygen example.org"
mv keys/soak.private keys/org.private; mv keys/soak.txt keys/org.txt
{
	cat keys/com.txt
	echo '@ IN TXT "v=spf1 ip4:127.0.0.1 -all"'
	echo '_dmarc IN TXT "v=DMARC1; p=reject"'
} > com.records
{
	cat keys/org.txt
	echo '@ IN TXT "v=spf1 -all"'
	echo '_dmarc IN TXT "v=DMARC1; p=none"'
} > org.records
nsd_zone example.com 2 com.records > nsd/example.com.zone
nsd_zone example.org 2 org.records > nsd/example.org.zone
nsd_start "$T/nsd" example.com example.org > nsd.out 2>&1 || die "nsd starts: $(oneline < nsd.out)"

msg() {         # msg FROM SUBJECT
	printf 'From: %s\r\nTo: Soak <soak@example.net>\r\nSubject: %s\r\nDate: Wed, 02 Dec 2026 12:00:00 +0000\r\nMessage-ID: <%s@soak.example>\r\n\r\nA message of the fault campaign (%s).\r\nA second line of body.\r\n' \
		"$1" "$2" "$2" "$2"
}
msg 'Alice <alice@example.com>' good > msgs/good.raw
"$M" sign -d example.com -s soak -k keys/com.private msgs/good.raw > msgs/good.eml || die "sign good"
sed 's/second line/2nd line/' msgs/good.eml > msgs/tampered.eml
msg 'Payroll <payroll@example.com>' forged > msgs/forged.eml
msg 'Payroll <payroll@example.com>' forged-other > msgs/forged-other.raw
"$M" sign -d example.org -s soak -k keys/org.private msgs/forged-other.raw > msgs/forged-other.eml || die "sign forged-other"
msg 'News <news@example.org>' pnone > msgs/pnone.eml
cat > kinds <<EOF
good alice@example.com $T/msgs/good.eml
forged bounce@example.org $T/msgs/forged.eml
good alice@example.com $T/msgs/good.eml
tampered bounce@example.org $T/msgs/tampered.eml
pnone news@example.org $T/msgs/pnone.eml
forged-other bounce@example.org $T/msgs/forged-other.eml
EOF

# --- DNS through a proxy that can drop or delay ------------------------------
echo pass > dns.mode
$PY "$ROOT/tests/soak/dns_proxy.py" dns.port "$NSD_PORT" "$T/dns.mode" > proxy.out 2>&1 &
PROXY_PID=$!
for _ in $(seq 1 100); do [ -s dns.port ] && break; sleep 0.05; done
[ -s dns.port ] || die "the DNS proxy starts: $(oneline < proxy.out)"
DNS_PORT=$(cat dns.port)

# --- Redis --------------------------------------------------------------------
if [ "$SOAK_REDIS" = cluster ]; then
	cluster_start c || die "a Redis Cluster starts"
	REDIS_CONF="redis_cluster = $CLUSTER_SEEDS"
else
	redis_start m && redis_start r replicaof "$REDIS_PORT_m" && sentinel_start s "$REDIS_PORT_m" ||
		die "Redis master, replica and Sentinel start"
	# the pause and the kill must not fail over by themselves: only the
	# failover phase does (SENTINEL FAILOVER)
	rcli "$REDIS_PORT_s" SENTINEL SET mailseal down-after-milliseconds 600000 > /dev/null
	REDIS_CONF="redis_sentinels = 127.0.0.1:$REDIS_PORT_s"
fi
redis_name_of() {       # the name of the instance on port $1
	local n
	for n in $REDIS_NAMES; do
		[ "$(eval echo "\${REDIS_PORT_$n:-}")" = "$1" ] && { echo "$n"; return; }
	done
}
redis_master() {        # the name of the master to hurt
	if [ "$SOAK_REDIS" = cluster ]; then
		redis_name_of "$(cluster_master_of 0 "$REDIS_PORT_c1")"
	else
		redis_name_of "$(rcli "$REDIS_PORT_s" SENTINEL get-master-addr-by-name mailseal | sed -n 2p)"
	fi
}
redis_pid() { cat "$REDIS_DIR/$1/redis.pid" 2>/dev/null; }

# --- the two nodes' configurations --------------------------------------------
node_conf() {   # node_conf AUTHSERV-ID [LINE...]
	printf 'dns_resolver = 127.0.0.1:%s\n%s\n' "$DNS_PORT" "$REDIS_CONF"
	printf 'cache_secret = soak-farm-secret\ncheck_spf = yes\ncheck_dmarc = yes\n'
	printf 'authserv_id = %s\n' "$1"
	shift
	printf '%s\n' "$@"
}
mkdir -p pd
node_conf pf.soak.test "policy_listen = unix:$T/pd/policy.sock" \
	"milter_listen = unix:$T/pd/milter.sock" "socket_mode = 0666" \
	"pid_file = $T/pd/policyd.pid" > pd.conf
node_conf ex.soak.test > exim.conf
chmod 644 pd.conf exim.conf
"$PD" -c pd.conf -t > pd-t.out 2>&1 || die "mailseal-policyd -t: $(oneline < pd-t.out)"
"$M" -c exim.conf config check > exim-t.out 2>&1 || die "config check exim.conf: $(oneline < exim-t.out)"
cp pd.conf pd.conf.good; cp exim.conf exim.conf.good

pd_start pd "$T/pd.conf" || die "mailseal-policyd starts: $(tail -3 pd.log | oneline)"
postfix_tmpdir || die "postfix_tmpdir"
postfix_start "$PF_TMPDIR" --policy "unix:$T/pd/policy.sock" --milter "unix:$T/pd/milter.sock" \
	--milter-default-action tempfail --milter-protocol 6 > pf-start.out 2>&1 ||
	die "Postfix starts: $(oneline < pf-start.out)"
exim_tls_init > /dev/null 2>&1 || die "exim_tls_init"
cp "$MOD" "$T/mailseal_exim.so" && chmod 644 "$T/mailseal_exim.so"
exim_start soak "$T/mailseal_exim.so" "$T/exim.conf" > exim-start.out 2>&1 ||
	die "Exim starts: $(oneline < exim-start.out)"
ok "started: nsd (behind a DNS proxy), Redis ($SOAK_REDIS), Postfix + mailseal-policyd, Exim + the module"

# --- phases -------------------------------------------------------------------
S=$SOAK_SECONDS
at() {          # at SECONDS: sleep until that many seconds into the phase
	local now
	now=$(( $(date +%s%N) / 1000000 - PHASE_T0 ))
	local ms
	ms=$(awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }')
	[ "$ms" -gt "$now" ] && sleep "$(awk -v d=$((ms - now)) 'BEGIN { printf "%.3f", d / 1000 }')"
	return 0
}
frac() { awk -v s="$S" -v f="$1" 'BEGIN { printf "%.2f", s * f }'; }
notes() { echo "$*" >> "phase.notes"; }

fault_redis_pause() {
	local n; n=$(redis_master)
	at "$(frac 0.2)"
	kill -STOP "$(redis_pid "$n")"
	sleep "$SOAK_PAUSE"
	kill -CONT "$(redis_pid "$n")"
	notes "Redis master $n stopped for $SOAK_PAUSE s"
}
fault_redis_restart() {
	local n p; n=$(redis_master)
	at "$(frac 0.3)"
	kill -KILL "$(redis_pid "$n")"
	p=$(eval echo "\$REDIS_PORT_$n")
	sleep 2
	redis-server "$REDIS_DIR/$n/redis.conf" && redis_wait "$p" || nok "redis $n restarts"
	[ "$SOAK_REDIS" = cluster ] && cluster_wait_ok "$p"
	notes "Redis master $n killed, started again 2 s later"
}
fault_failover() {
	local n before i
	n=$(redis_master)
	at "$(frac 0.3)"
	if [ "$SOAK_REDIS" = cluster ]; then
		local rep
		rep=$(rcli "$REDIS_PORT_c1" CLUSTER NODES | awk -v m="$(rcli "$(eval echo "\$REDIS_PORT_$n")" CLUSTER MYID)" \
			'$4 == m { split($2, a, "[:@]"); print a[2]; exit }')
		rcli "$rep" CLUSTER FAILOVER > /dev/null
		for i in $(seq 1 100); do
			[ "$(rcli "$rep" ROLE | head -1)" = master ] && break
			sleep 0.1
		done
		notes "CLUSTER FAILOVER: $n's replica ($(redis_name_of "$rep")) promoted"
	else
		for i in $(seq 1 150); do
			[ "$(rcli "$REDIS_PORT_s" SENTINEL failover mailseal 2>&1)" = OK ] && break
			sleep 0.1
		done
		for i in $(seq 1 150); do
			[ "$(redis_master)" != "$n" ] && break
			sleep 0.1
		done
		notes "Sentinel failover: $n -> $(redis_master)"
	fi
	[ "$(redis_master)" != "$n" ] || nok "failover: $n is still the master"
}
fault_dns_none() {
	at "$(frac 0.25)"; echo drop > dns.mode
	at "$(frac 0.75)"; echo pass > dns.mode
	notes "DNS dropped every query from $(frac 0.25) s to $(frac 0.75) s"
}
fault_dns_slow() {
	at "$(frac 0.25)"; echo 'delay 1.5' > dns.mode
	at "$(frac 0.75)"; echo pass > dns.mode
	notes "DNS answered 1.5 s late from $(frac 0.25) s to $(frac 0.75) s"
}
fault_policyd_kill() {
	at "$(frac 0.3)"
	kill -KILL "$(pd_pid pd)"
	wait "$(pd_pid pd)" 2>/dev/null
	sleep 1
	pd_start pd "$T/pd.conf" || nok "mailseal-policyd starts again after SIGKILL: $(tail -3 pd.log | oneline)"
	notes "mailseal-policyd killed (SIGKILL), started again 1 s later"
}
fault_reloads() {
	local i failed=0
	for i in $(seq 1 20); do
		at "$(awk -v s="$S" -v i="$i" 'BEGIN { printf "%.2f", s * 0.9 * i / 21 }')"
		pd_hup pd || failed=$((failed + 1))
		cp exim.conf.good exim.conf.new && touch -d "@$(( $(date +%s) + i ))" exim.conf.new &&
			mv exim.conf.new exim.conf
	done
	[ "$failed" = 0 ] || nok "reloads: $failed of 20 SIGHUPs not answered"
	notes "20 reloads: SIGHUP to mailseal-policyd, Exim's file rewritten ($(grep -c 'info: reloaded' pd.log) reloads logged by the daemon so far)"
}
fault_config_invalid() {
	at "$(frac 0.25)"
	{ cat pd.conf.good; printf 'dns_timeout = forever\n'; } > pd.conf.new && mv pd.conf.new pd.conf
	{ cat exim.conf.good; printf 'dns_timeout = forever\n'; } > exim.conf.new && mv exim.conf.new exim.conf
	pd_hup pd
	grep -q 'reload failed' pd.log && ok "config-invalid: mailseal-policyd keeps its running configuration" ||
		nok "config-invalid: no 'reload failed' in the daemon's log"
	at "$(frac 0.75)"
	# each file replaced whole (rename): a reader never sees half of it
	cp pd.conf.good pd.conf.new && mv pd.conf.new pd.conf
	cp exim.conf.good exim.conf.new && touch -d "@$(( $(date +%s) + 30 ))" exim.conf.new &&
		mv exim.conf.new exim.conf
	pd_hup pd
	notes "both configurations invalid (dns_timeout = forever) from $(frac 0.25) s to $(frac 0.75) s, then repaired"
}

# fault_seen PHASE: the fault had an effect that shows (else the phase
# proved nothing): tempfails where a node could not decide, the Redis
# outage in a node's log
tempfailed() { awk -F'|' -v p="$1" -v t="$2" '$2 ~ " "p" " && $3 ~ " "t" " { gsub(/ /, "", $6); print $6 }' rows.md; }
redis_warnings() { cat pd.log "$(exim_log soak)" 2>/dev/null | grep -c 'Redis.*unavailable'; }
fault_seen() {
	local n
	case $1 in
	dns-none) n=$(( $(tempfailed dns-none postfix) + $(tempfailed dns-none exim) ))
		[ "$n" -gt 0 ] && ok "dns-none: DNS silence seen: $n messages tempfailed" ||
			nok "dns-none: no message tempfailed while DNS said nothing" ;;
	policyd-kill) n=$(tempfailed policyd-kill postfix)
		[ "$n" -gt 0 ] && ok "policyd-kill: Postfix tempfailed $n messages while the daemon was away" ||
			nok "policyd-kill: no tempfail while the daemon was away" ;;
	config-invalid) n=$(tempfailed config-invalid exim)
		[ "$n" -gt 0 ] && ok "config-invalid: Exim tempfailed $n messages while its configuration was invalid" ||
			nok "config-invalid: no tempfail from Exim with an invalid configuration" ;;
	redis-pause|redis-restart) n=$(redis_warnings)
		[ "$n" -gt "$REDIS_WARN" ] && ok "$1: the nodes logged the Redis outage ($((n - REDIS_WARN)) warnings)" ||
			nok "$1: no Redis warning in the nodes' logs"
		REDIS_WARN=$n ;;
	esac
}
REDIS_WARN=0

settle() {      # until both MTAs have delivered what they accepted
	local i
	for i in $(seq 1 120); do
		postfix_queue_empty > /dev/null && exim_wait_idle soak 1 && return 0
		sleep 0.5
	done
	nok "$1: the queues did not drain in 60 s"
}

: > rows.md
: > results
for phase in $SOAK_PHASES; do
	: > phase.notes
	PHASE_T0=$(( $(date +%s%N) / 1000000 ))
	$PY "$ROOT/tests/soak/soak_load.py" "$S" "$SOAK_SESSIONS" "$phase" kinds results \
		"postfix:$PF_PORT" "exim:$(exim_port soak)" > "load-$phase.out" 2>&1 &
	LOAD_PID=$!
	case $phase in
	baseline) ;;
	redis-pause) fault_redis_pause ;;
	redis-restart) fault_redis_restart ;;
	failover) fault_failover ;;
	dns-none) fault_dns_none ;;
	dns-slow) fault_dns_slow ;;
	policyd-kill) fault_policyd_kill ;;
	reloads) fault_reloads ;;
	config-invalid) fault_config_invalid ;;
	*) nok "unknown phase $phase" ;;
	esac
	wait "$LOAD_PID"; LOAD_PID=""
	t_load=$(( $(date +%s%N) / 1000000 - PHASE_T0 ))
	[ -s "load-$phase.out" ] && echo "# load $phase: $(oneline < "load-$phase.out")"
	settle "$phase"
	out=$($PY "$ROOT/tests/soak/soak_check.py" "$phase" results rows.md \
		"postfix=pf.soak.test=$PF_MAIL" "exim=ex.soak.test=$(exim_maildir soak)" 2>&1)
	echo "$out"
	fails=$((fails + $(printf '%s\n' "$out" | grep -c '^not ok')))
	fault_seen "$phase"
	echo "$phase: $(tr '\n' ' ' < phase.notes)" >> notes.md
	echo "# $phase: load ended after $((t_load / 1000)) s, queues drained and checked after $(( ($(date +%s%N) / 1000000 - PHASE_T0) / 1000 )) s"
	kill -0 "$(pd_pid pd)" 2>/dev/null || nok "$phase: mailseal-policyd is gone"
	exim_running soak || nok "$phase: Exim does not answer"
done
p=$(exim_panics soak)
[ -z "$p" ] && ok "Exim's paniclog: nothing" || nok "Exim's paniclog: $(printf '%s' "$p" | oneline)"
grep -qiE 'AddressSanitizer|runtime error|segfault' pd.log && nok "mailseal-policyd's log: $(grep -iE 'AddressSanitizer|runtime error' pd.log | head -3 | oneline)" ||
	ok "mailseal-policyd's log: no crash, no sanitizer report"

if [ -n "${SOAK_REPORT:-}" ]; then
	{
		echo "| phase | MTA | sent | accepted | tempfailed | refused | no reply | p50 ms | p90 ms | p99 ms | lost | unchecked |"
		echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
		cat rows.md
		echo
		echo "What each phase did:"
		echo
		sed 's/^/- /' notes.md
		echo
		echo "Settings: $SOAK_SESSIONS concurrent sessions (half to each MTA), $SOAK_SECONDS s of load per phase, Redis: $SOAK_REDIS, build: ${MAILSEAL_BUILD:-build}."
		echo "Machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr), shared with other work during the run."
		echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC')."
	} > "$SOAK_REPORT"
fi
echo "# the table:"
sed 's/^/# /' rows.md
[ "$fails" = 0 ]
