#!/bin/bash
# bench/postfix.sh [BUILD_DIR] - messages/s that Debian's Postfix 3.7
# receives over SMTP, with and without DKIM verification, and with and
# without sender policy (DKIM + SPF + DMARC: mailseal against the classic
# Debian trio, issue 10).
#
# Five private Postfix instances (tests/postfix/lib.sh: Debian's Postfix
# run unpacked, each its own config, queue and port on 127.0.0.1), all
# running for the whole benchmark, differing only in:
#
#   plain     no policy service, no milter
#   mailseal  BUILD_DIR/mailseal-policyd as check_policy_service (RCPT)
#             and as the milter (smtpd_milters, unix sockets), verifying
#   (ms-policy, ms-milter: one of mailseal's two alone; not run unless
#   named in BENCH_PF_CONFIGS)
#   null-milter  bench/nullmilter.c as the milter: the same protocol as
#             mailseal's milter, no work (one fixed field added), so that
#             what Postfix itself spends on a milter shows apart (not run
#             unless named in BENCH_PF_CONFIGS; make bench runs it in both
#             passes)
#   null-eom  the same null milter declining every event but the end of
#             the message (nullmilter eom-only): the least any milter
#             that adds a field costs Postfix (make bench: in its
#             one-message-per-session pass)
#   opendkim  Debian's OpenDKIM (opendkim package) as the milter, run by
#             hand with a private configuration (Mode v, unix socket),
#             its libunbound pointed at nsd by Nameservers 127.0.0.1@PORT
#   ms-full   a second mailseal-policyd with check_spf = yes and
#             check_dmarc = yes: policy service at RCPT
#             (SPF at RCPT, carried to the milter side), and the milter
#             (DKIM, DMARC, one Authentication-Results field)
#   trio      the classic Debian trio: policyd-spf
#             (postfix-policyd-spf-python, spawned by Postfix's spawn(8)
#             as check_policy_service at RCPT: Received-SPF), then the
#             OpenDKIM milter above, then the OpenDMARC milter (opendmarc
#             package, run by hand) reading OpenDKIM's
#             Authentication-Results and policyd-spf's Received-SPF
#             (SPFIgnoreResults false, SPFSelfValidate false)
#
# The sender domain publishes its DKIM key, an SPF record allowing
# 127.0.0.1 and a DMARC record (p=reject); the HELO name an SPF record;
# all in one nsd.  policyd-spf and OpenDMARC (libopendmarc, res_query)
# know only /etc/resolv.conf and port 53, so the benchmark runs in a
# network namespace of its own (bench_netns) where nsd answers on
# 127.0.0.1:53 too; mailseal and OpenDKIM ask it on its high port.
#
# Receiving is measured, not delivery: every message is put on hold
# (check_sender_access static:HOLD, the last RCPT restriction), so it is
# received, run through the milter, written to the queue (hold/) and
# logged, and then left alone: no qmgr or delivery agent competes with
# smtpd for the two cores.  in_flow_delay = 0 (a held message never gives
# smtpd a flow token back).  The held messages are removed between runs.
# The queues live on tmpfs (BENCH_PF_SPOOL=disk: under /tmp).
#
# Keys: `mailseal keygen`; nsd (tests/lib/nsd.sh, a free high port on
# 127.0.0.1, rate limiting off) publishes them; mailseal asks it through
# dns_resolver = 127.0.0.1:PORT, OpenDKIM through Nameservers.
# Corpus: 3-30 KB messages (bench/gencorpus.py --sized, the same seed
# and sizes as bench/exim.sh), each signed beforehand by `mailseal sign`
# (rsa-sha256, RSA-2048).  Load: bench/smtpload.c (compiled here), 20
# concurrent SMTP sessions, 10 messages per session.  Rounds interleave
# the configurations (the order rotates); medians are reported with each
# one's ratio to plain.
#
# Every run is checked: every message got 250 and is in the hold queue;
# plain: no Authentication-Results field in any; mailseal and opendkim:
# an Authentication-Results field with dkim=pass in every one; ms-full:
# dkim=pass, spf=pass and dmarc=pass in every one; trio: OpenDKIM's
# dkim=pass, policyd-spf's "Received-SPF: Pass" and OpenDMARC's
# dmarc=pass in every one.  A failed check marks the row INVALID and the
# exit status 1 (a benchmark of failures measures nothing).
#
# Must run as root (Postfix, ip netns).  Everything it starts is stopped and its
# directories removed at the end.  Writes its section of
# docs/benchmarks-postfix.md (bench/docsplice.py); raw lines in
# bench/out/postfix/.  What the three receive and policy benchmarks share
# is in bench/lib.sh (and bench/reportlib.py for the report).
#
# Knobs (environment): BENCH_PF_ROUNDS (5), BENCH_PF_MSGS (3000 messages
# per run), BENCH_PF_SESSIONS (20), BENCH_PF_PER (10 messages per
# session), BENCH_PF_CORPUS (200 messages), BENCH_SEED (20261122),
# BENCH_PF_SPOOL (tmpfs or disk), BENCH_PF_CONFIGS ("plain null-milter
# mailseal opendkim ms-full trio"; plain first: the ratios' base), BENCH_PF_DOC
# (docs/benchmarks-postfix.md), BENCH_PF_KEEP (set: keep the directories),
# BENCH_PF_PERF (FILE: run mailseal-policyd under `perf record -g -o FILE`).
set -uo pipefail

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BENCH_NAME=bench-postfix
. "$ROOT/bench/lib.sh"
read -r -a CONFIGS <<< "${BENCH_PF_CONFIGS:-plain null-milter mailseal opendkim ms-full trio}"

# -- outside: prerequisites (the registry is not reachable from the
# namespace), then the namespace, then this script again inside it ------
if [ -z "${BENCH_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || die "must run as root (Postfix, network namespace)"
	[ -x "$BUILD/mailseal" ] || die "$BUILD/mailseal missing: run make first"
	[ -x "$BUILD/mailseal-policyd" ] || die "$BUILD/mailseal-policyd missing: run make first"
	[ "${CONFIGS[0]}" = plain ] || die "the first configuration must be plain (the ratios' base)"
	for c in "${CONFIGS[@]}"; do
		case $c in plain | mailseal | opendkim | ms-policy | ms-milter | null-milter | null-eom | ms-full | trio) ;; *) die "unknown configuration $c" ;; esac
	done
	command -v ip > /dev/null || die "missing: iproute2"
	command -v cc > /dev/null || die "missing: gcc"
	need=""
	command -v nsd > /dev/null || need="$need nsd"
	command -v opendkim > /dev/null || need="$need opendkim"
	command -v opendmarc > /dev/null || need="$need opendmarc"
	[ -s /usr/share/publicsuffix/public_suffix_list.dat ] || need="$need publicsuffix"
	$PY -c 'import dns.resolver' 2> /dev/null || need="$need python3-dnspython"
	# shellcheck disable=SC2086
	bench_install $need
	bench_spf_fetch
	. "$ROOT/tests/postfix/lib.sh"
	postfix_fetch || die "postfix_fetch failed"
	bench_netns mspf "$ROOT/bench/postfix.sh" "$BUILD"
fi

ROUNDS=${BENCH_PF_ROUNDS:-5}
MSGS=${BENCH_PF_MSGS:-3000}
SESSIONS=${BENCH_PF_SESSIONS:-20}
PER=${BENCH_PF_PER:-10}
NCORPUS=${BENCH_PF_CORPUS:-200}
SEED=${BENCH_SEED:-20261122}
SPOOL=${BENCH_PF_SPOOL:-tmpfs}
DOC=${BENCH_PF_DOC:-docs/benchmarks-postfix.md}
# one message per session (issue 11's case) is a section of its own, so
# that make bench keeps both
if [ "$PER" = 1 ]; then SECTION=postfix-session; else SECTION=postfix; fi
WARMUP=400
OUT=$ROOT/bench/out/$SECTION
HOST=mx.bench.example.org               # myhostname, authserv-id
DOMAIN=sender.example.org               # From domain of every message
SENDER=bench@$DOMAIN                    # MAIL FROM: aligned with From
HELO=client.example.org
RCPT=postmaster@bench.example.org
PSL=/usr/share/publicsuffix/public_suffix_list.dat
. "$ROOT/tests/postfix/lib.sh"          # unpacked by the outer part

# -- places ----------------------------------------------------------------
bench_places postfix "$SPOOL" BENCH_PF_SPOOL  # T, RUN; smtpd runs as postfix
bench_policyd_copy "$RUN/mailseal-policyd"
OD_PID="" ODM_PID="" MSF_PID="" NM_PID="" NE_PID=""
cleanup() {
	local p
	postfix_cleanup
	for p in $OD_PID $ODM_PID $MSF_PID $NM_PID $NE_PID; do kill "$p" 2> /dev/null && wait "$p" 2> /dev/null; done
	bench_policyd_stop
	nsd_stop
	bench_remove "${BENCH_PF_KEEP:-}" "$T" "$RUN"
}
bench_trap cleanup
bench_results "$OUT"

# -- the load generator ----------------------------------------------------
bench_cc bench/smtpload.c "$T/smtpload"
bench_cc bench/nullmilter.c "$T/nullmilter"

# -- keys and corpus -------------------------------------------------------
say "making a key and a corpus of $NCORPUS messages (seed $SEED)"
bench_corpus "$T" "$NCORPUS" "$SEED" "$DOMAIN" sel

# -- DNS: nsd on a high loopback port (and 127.0.0.1:53 of the namespace)
# the sender domain's SPF allows 127.0.0.1 (and a documentation range);
# its DMARC policy is reject, relaxed alignment; the HELO name has SPF too
cat > "$T/policy.records" <<EOF
sender IN TXT "v=spf1 ip4:192.0.2.0/24 ip4:127.0.0.1 -all"
_dmarc.sender IN TXT "v=DMARC1; p=reject; adkim=r; aspf=r"
client IN TXT "v=spf1 ip4:127.0.0.1 -all"
client IN A 127.0.0.1
EOF
bench_dns "$T/dns" "$T/keys/sel.txt" "$T/policy.records"
ans=$(bench_txt "sel._domainkey.$DOMAIN" "$NSD_PORT")
[[ $ans == *v=DKIM1* ]] || die "the key does not resolve from nsd on port $NSD_PORT: $ans"
for n in "$DOMAIN" "_dmarc.$DOMAIN" "$HELO"; do     # as policyd-spf and OpenDMARC ask
	ans=$(bench_txt "$n")
	[[ $ans == v=spf1* || $ans == v=DMARC1* ]] || die "$n does not resolve through resolv.conf: $ans"
done

# -- the filters -------------------------------------------------------------
cat > "$RUN/mailseal.conf" <<EOF
# bench/postfix.sh: policy service and milter, verifying
policy_listen = unix:$RUN/ms-policy.sock
milter_listen = unix:$RUN/ms-milter.sock
pid_file =
socket_mode = 0666
dns_resolver = 127.0.0.1:$NSD_PORT
authserv_id = $HOST
EOF
"$POLICYD_BIN" -c "$RUN/mailseal.conf" -t > /dev/null || die "$RUN/mailseal.conf does not check"
bench_policyd_start "$RUN/mailseal.conf" "$RUN/mailseal.log" "${BENCH_PF_PERF:-}"

# ms-full: a second process, DKIM + SPF + DMARC (refusals as by default:
# a DMARC failure under p=reject would be refused, an SPF fail tagged)
cat > "$RUN/ms-full.conf" <<EOF
# bench/postfix.sh: policy service (SPF at RCPT) and milter, DKIM + SPF + DMARC
policy_listen = unix:$RUN/msf-policy.sock
milter_listen = unix:$RUN/msf-milter.sock
pid_file =
socket_mode = 0666
dns_resolver = 127.0.0.1:$NSD_PORT
authserv_id = $HOST
check_spf = yes
check_dmarc = yes
EOF
"$POLICYD_BIN" -c "$RUN/ms-full.conf" -t > /dev/null || die "$RUN/ms-full.conf does not check"
"$POLICYD_BIN" -c "$RUN/ms-full.conf" -f > "$RUN/ms-full.log" 2>&1 &
MSF_PID=$!

# OpenDKIM's resolver is libunbound (USE_UNBOUND in opendkim -V); its
# Nameservers setting takes IP@PORT, which reaches nsd on its high port
# (the end-to-end check shows OpenDKIM's dkim=pass).  (The
# other way, ResolverConfiguration naming an unbound.conf with a
# stub-zone, verified too, but this OpenDKIM crashed within a few hundred
# messages of 20 concurrent sessions: "fatal flex scanner internal
# error--end of buffer missed", libunbound's configuration lexer.)
cat > "$RUN/opendkim.conf" <<EOF
# bench/postfix.sh: verify only, unix socket
Mode v
Socket local:$RUN/odkim.sock
UMask 000
PidFile $RUN/opendkim.pid
Background no
Syslog no
AuthservID $HOST
InternalHosts 192.0.2.1
Nameservers 127.0.0.1@$NSD_PORT
EOF
# OpenDMARC (opendmarc.conf(5) of 1.4.2): the results of OpenDKIM
# (TrustedAuthservIDs: its authserv-id) and of policyd-spf (its
# Received-SPF field: SPFIgnoreResults false) are its input, no SPF
# check of its own (SPFSelfValidate false); tags, never rejects
# (RejectFailures false, the default); IgnoreHosts names an address
# other than 127.0.0.1 (its default, which would skip every message
# here); the organizational domain from Debian's public suffix list; its
# DMARC lookups through resolv.conf (the namespace's nsd on port 53).
echo 192.0.2.1 > "$RUN/opendmarc.ignore"
cat > "$RUN/opendmarc.conf" <<EOF
# bench/postfix.sh: the trio's DMARC milter
Socket local:$RUN/odmarc.sock
UMask 000
PidFile $RUN/opendmarc.pid
Background false
Syslog false
AuthservID $HOST
TrustedAuthservIDs $HOST
IgnoreHosts $RUN/opendmarc.ignore
PublicSuffixList $PSL
SPFIgnoreResults false
SPFSelfValidate false
RejectFailures false
FailureReports false
EOF
chmod 644 "$RUN"/*.conf "$RUN/opendmarc.ignore"
opendkim -f -x "$RUN/opendkim.conf" > "$RUN/opendkim.log" 2>&1 &
OD_PID=$!
opendmarc -f -c "$RUN/opendmarc.conf" > "$RUN/opendmarc.log" 2>&1 &
ODM_PID=$!
"$T/nullmilter" "$RUN/null.sock" "$HOST" > "$RUN/nullmilter.log" 2>&1 &
NM_PID=$!
"$T/nullmilter" "$RUN/null-eom.sock" "$HOST" eom-only > "$RUN/nulleom.log" 2>&1 &
NE_PID=$!
for i in $(seq 1 100); do
	[ -S "$RUN/ms-milter.sock" ] && [ -S "$RUN/ms-policy.sock" ] && [ -S "$RUN/odkim.sock" ] &&
		[ -S "$RUN/msf-milter.sock" ] && [ -S "$RUN/msf-policy.sock" ] && [ -S "$RUN/odmarc.sock" ] &&
		[ -S "$RUN/null.sock" ] && [ -S "$RUN/null-eom.sock" ] && break
	sleep 0.05
done
[ -S "$RUN/ms-milter.sock" ] || die "mailseal-policyd did not start: $(cat "$RUN/mailseal.log")"
[ -S "$RUN/msf-milter.sock" ] || die "mailseal-policyd (ms-full) did not start: $(cat "$RUN/ms-full.log")"
[ -S "$RUN/odkim.sock" ] || die "opendkim did not start: $(cat "$RUN/opendkim.log")"
[ -S "$RUN/odmarc.sock" ] || die "opendmarc did not start: $(cat "$RUN/opendmarc.log")"

# policyd-spf: Debian's script and default configuration (bench_spf_copy),
# but not skipping 127.0.0.0/8 (its default skip_addresses): the load
# comes from 127.0.0.1
bench_spf_copy "$T/spf" "skip_addresses = 192.0.2.1/32"

# -- the Postfix instances ---------------------------------------------------
declare -A PDIR
COMMON=(
	"myhostname=$HOST" "in_flow_delay=0s" "default_process_limit=200"
	"smtpd_client_connection_count_limit=0" "smtpd_tls_security_level=none"
	"smtpd_tls_loglevel=0" "smtpd_peername_lookup=no"
	"milter_default_action=tempfail" "milter_protocol=6"
)
HOLD="check_sender_access static:HOLD"
for c in "${CONFIGS[@]}"; do
	d=$RUN/$c
	mkdir "$d"
	case $c in
	plain) extra=("smtpd_recipient_restrictions=$HOLD") ;;
	mailseal) extra=("smtpd_recipient_restrictions=check_policy_service unix:$RUN/ms-policy.sock, $HOLD"
			 "smtpd_milters=unix:$RUN/ms-milter.sock") ;;
	opendkim) extra=("smtpd_recipient_restrictions=$HOLD" "smtpd_milters=unix:$RUN/odkim.sock") ;;
	ms-policy) extra=("smtpd_recipient_restrictions=check_policy_service unix:$RUN/ms-policy.sock, $HOLD") ;;
	ms-milter) extra=("smtpd_recipient_restrictions=$HOLD" "smtpd_milters=unix:$RUN/ms-milter.sock") ;;
	null-milter) extra=("smtpd_recipient_restrictions=$HOLD" "smtpd_milters=unix:$RUN/null.sock") ;;
	null-eom) extra=("smtpd_recipient_restrictions=$HOLD" "smtpd_milters=unix:$RUN/null-eom.sock") ;;
	ms-full) extra=("smtpd_recipient_restrictions=check_policy_service unix:$RUN/msf-policy.sock, $HOLD"
			"smtpd_milters=unix:$RUN/msf-milter.sock") ;;
	trio) extra=(--master "spfpolicy unix - n n - 0 spawn user=nobody argv=$PY $T/spf/policyd-spf $T/spf/policyd-spf.conf"
		     "spfpolicy_time_limit=3600"
		     "smtpd_recipient_restrictions=check_policy_service unix:private/spfpolicy, $HOLD"
		     "smtpd_milters=unix:$RUN/odkim.sock, unix:$RUN/odmarc.sock") ;;
	esac
	postfix_start "$d" "${COMMON[@]}" "${extra[@]}" || die "postfix_start $c failed"
	PDIR[$c]=$PF_DIR
	say "postfix $c on 127.0.0.1:$PF_PORT"
done

pf_cpu() {      # ticks used by the current instance: live processes + reaped
	local p sum=0 v
	for p in $(pgrep -g "$PF_MASTER_PID" 2> /dev/null); do
		v=$(awk -v m=$((p == PF_MASTER_PID)) '{ print $14 + $15 + (m ? $16 + $17 : 0) }' "/proc/$p/stat" 2> /dev/null)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}
filter_pids() {
	case $1 in
	ms-full) echo "$MSF_PID" ;;
	mailseal | ms-*) echo "$MS_PID" ;;
	opendkim) echo "$OD_PID" ;;
	null-milter) echo "$NM_PID" ;;
	null-eom) echo "$NE_PID" ;;
	trio) echo "$OD_PID $ODM_PID" ;;
	esac
}
filter_cpu() {  # PID...: their ticks together
	local p s=0
	for p in "$@"; do s=$((s + $(proc_cpu "$p"))); done
	echo "$s"
}

held_count() { find "$PF_QUEUE/hold" -type f | wc -l; }
held_with() {   # files of the hold queue that contain PATTERN
	find "$PF_QUEUE/hold" -type f -print0 | xargs -0 -r grep -l -- "$1" | wc -l
}
held_clear() { postfix_cmd postsuper -d ALL hold > /dev/null 2>&1; find "$PF_QUEUE/hold" -type f -delete; }

# check CONFIG N SMTPLOAD-LINE: "ok" or what is wrong
check_run() {
	local c=$1 n=$2 out=$3 acc held ar
	acc=$(printf '%s\n' "$out" | sed -n 's/.*accepted=\([0-9]*\).*/\1/p' | head -1)
	[ "${acc:-0}" = "$n" ] || { echo "accepted=${acc:-0}/$n"; return; }
	held=$(held_count)
	[ "$held" = "$n" ] || { echo "held=$held/$n"; return; }
	case $c in
	plain | ms-policy)
		ar=$(held_with "Authentication-Results:")
		[ "$ar" = 0 ] || { echo "Authentication-Results in $ar messages"; return; } ;;
	ms-full)
		for p in "dkim=pass" "spf=pass" "dmarc=pass"; do
			ar=$(held_with "$p")
			[ "$ar" = "$n" ] || { echo "$p in $ar/$n"; return; }
		done ;;
	null-milter | null-eom)
		ar=$(held_with "Authentication-Results: $HOST; none")
		[ "$ar" = "$n" ] || { echo "the null milter's field in $ar/$n"; return; } ;;
	trio)
		for p in "dkim=pass" "Received-SPF: Pass" "dmarc=pass"; do
			ar=$(held_with "$p")
			[ "$ar" = "$n" ] || { echo "$p in $ar/$n"; return; }
		done ;;
	*)
		ar=$(held_with "dkim=pass")
		[ "$ar" = "$n" ] || { echo "dkim=pass in $ar/$n"; return; } ;;
	esac
	echo ok
}

# run_one N PER CONFIG ROUND: one run; a RUN line in $RES; prints msgs/s
run_one() {
	local n=$1 per=$2 c=$3 r=$4 out chk p0 p1 f0 f1 m0 m1 fp
	postfix_use "${PDIR[$c]}"
	held_clear
	read -r -a fp <<< "$(filter_pids "$c")"
	p0=$(pf_cpu); f0=$(filter_cpu "${fp[@]}"); m0=$(machine_busy)
	out=$("$T/smtpload" -p "$PF_PORT" -c "$SESSIONS" -n "$n" -m "$per" \
		-f "$SENDER" -r "$RCPT" -e "$HELO" "$T/signed" 2> "$T/smtpload.err")
	p1=$(pf_cpu); f1=$(filter_cpu "${fp[@]}"); m1=$(machine_busy)
	chk=$(check_run "$c" "$n" "$out")
	[ "$chk" = ok ] || {
		mkdir -p "$OUT/failed-$c"
		cp "$PF_LOG" "$OUT/failed-$c/maillog.$r"
		head -5 "$T/smtpload.err" > "$OUT/failed-$c/smtpload.err.$r"
	}
	awk -v c="$c" -v r="$r" -v n="$n" -v o="$(printf '%s\n' "$out" | head -1)" -v tk="$TICK" \
		-v p=$((p1 - p0)) -v f=$((f1 - f0)) -v m=$((m1 - m0)) -v chk="$(printf '%s' "$chk" | tr ' ' '_')" '
		BEGIN {
			printf "RUN cfg=%s round=%s n=%s %s pf_cpu_us=%.0f filter_cpu_us=%.0f machine_cpu_us=%.0f check=%s\n",
				c, r, n, o, p * 1e6 / tk / n, f * 1e6 / tk / n, m * 1e6 / tk / n, chk
		}' >> "$RES"
	printf '%s\n' "$out" | sed -n 2,20p | sed "s/^/DETAIL cfg=$c round=$r /" >> "$RES"
	printf '%s\n' "$out" | grep -o 'msgs_per_s=[0-9.]*' | cut -d= -f2
}

# -- warm-up, and one message of each configuration looked at ------------
say "warm-up ($WARMUP messages each) and end-to-end checks"
for c in "${CONFIGS[@]}"; do
	postfix_use "${PDIR[$c]}"
	held_clear
	out=$("$T/smtpload" -p "$PF_PORT" -c "$SESSIONS" -n "$WARMUP" -m "$PER" \
		-f "$SENDER" -r "$RCPT" -e "$HELO" "$T/signed" 2>&1)
	chk=$(check_run "$c" "$WARMUP" "$out")
	[ "$chk" = ok ] || die "warm-up of $c failed: $chk; $(printf '%s\n' "$out" | head -3); log: $(tail -5 "$PF_LOG")"
	f=$(find "$PF_QUEUE/hold" -type f | head -1)
	ar=$(postfix_cmd postcat -h -q "$(basename "$f")" 2> /dev/null |
		awk '/^(Authentication-Results|Received-SPF):/ { printf "%s%s", p ? "] [" : "", $0; p = 1; q = 1; next }
			q && /^[ \t]/ { printf " %s", $0; next } { q = 0 }' |
		tr -s ' \t' ' ')
	echo "E2E cfg=$c queue_id=$(basename "$f") ar=[${ar:-none}]" >> "$RES"
done

# DMARC must rest on SPF too, not only on DKIM: one message without a
# signature (the corpus before signing) must still get dmarc=pass, through
# the SPF pass of its aligned MAIL FROM, in ms-full and in the trio (there:
# OpenDMARC reading policyd-spf's Received-SPF)
mkdir -p "$T/unsigned"
cp "$(ls "$T"/corpus/*.eml | head -1)" "$T/unsigned/"
for c in "${CONFIGS[@]}"; do
	case $c in ms-full | trio) ;; *) continue ;; esac
	postfix_use "${PDIR[$c]}"
	held_clear
	out=$("$T/smtpload" -p "$PF_PORT" -c 1 -n 1 -m 1 -f "$SENDER" -r "$RCPT" -e "$HELO" "$T/unsigned" 2>&1)
	[ "$(held_count)" = 1 ] || die "$c: the unsigned message was not received: $(printf '%s\n' "$out" | head -3)"
	f=$(find "$PF_QUEUE/hold" -type f | head -1)
	ar=$(postfix_cmd postcat -h -q "$(basename "$f")" 2> /dev/null |
		awk '/^(Authentication-Results|Received-SPF):/ { printf "%s%s", p ? "] [" : "", $0; p = 1; q = 1; next }
			q && /^[ \t]/ { printf " %s", $0; next } { q = 0 }' |
		tr -s ' \t' ' ')
	[[ $ar == *dmarc=pass* && $ar != *dkim=pass* ]] ||
		die "$c: an unsigned message from an SPF-passing, aligned sender is not dmarc=pass: $ar"
	[[ $ar == *spf=pass* || $ar == *"Received-SPF: Pass"* ]] || die "$c: no SPF pass on the unsigned message: $ar"
	echo "E2E cfg=$c unsigned queue_id=$(basename "$f") ar=[${ar:-none}]" >> "$RES"
	held_clear
done

# -- the rounds --------------------------------------------------------------
bench_rounds "$ROUNDS" CONFIGS round msgs/s run_one "$MSGS" "$PER"
for c in "${CONFIGS[@]}"; do postfix_use "${PDIR[$c]}"; held_clear; done

# -- the report --------------------------------------------------------------
{
	bench_machine
	echo "postfix=$(postfix_cmd postconf -h mail_version 2> /dev/null) ($(cut -d' ' -f1 "$PF_ROOT/.deb" 2> /dev/null), unpacked)"
	echo "opendkim=$(opendkim -V 2> /dev/null | head -1 | sed 's/^opendkim: //') (Debian opendkim $(dpkg-query -W -f='${Version}' opendkim), libunbound $(dpkg-query -W -f='${Version}' libunbound8))"
	echo "opendmarc=$(opendmarc -V 2> /dev/null | head -1 | sed 's/^opendmarc: //') (Debian opendmarc $(dpkg-query -W -f='${Version}' opendmarc), publicsuffix $(dpkg-query -W -f='${Version}' publicsuffix))"
	echo "spf=${SPF_FROM:-not run}; $(bench_spf_versions)"
	echo "load_at_end=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "mailseal=$(bench_commit postfix-policy common)"
	echo "policyd=$POLICYD_INFO"
	echo "corpus=$CORPUS_STATS"
	echo "spool=$SPOOL ($(df -T "$RUN" | awk 'NR == 2 { print $2 }'))"
} > "$OUT/machine.txt"

rc=0
bench_py - "$RES" "$OUT/machine.txt" "$ROUNDS" "$MSGS" "$SESSIONS" "$PER" "$SEED" "${CONFIGS[*]}" \
	> "$OUT/section.md" <<'PY' || rc=$?
import re, sys
from reportlib import check_cell, code_block, machine, machine_table, med, num, per_round, results, summary

res, mfile, rounds, msgs, sessions, per, seed, cfgs = sys.argv[1:]
cfgs = cfgs.split()
M = machine(mfile)
runs, other = results(res)
details, e2e = other.get("DETAIL", []), other.get("E2E", [])
LABEL = {
    "plain": "a) plain: no policy service, no milter",
    "mailseal": "b) mailseal-policyd: policy service (RCPT) + milter, verifying",
    "opendkim": "c) OpenDKIM milter, verifying (Mode v)",
    "ms-policy": "mailseal-policyd as policy service only",
    "ms-milter": "mailseal-policyd as milter only, verifying",
    "null-milter": "a null milter (`bench/nullmilter.c`): mailseal's protocol, no work, one fixed field added",
    "null-eom": "the null milter declining every event but the end of the message (no envelope, headers or body sent)",
    "ms-full": "d) mailseal-policyd: DKIM + SPF + DMARC (policy service at RCPT + milter)",
    "trio": "e) Debian trio: policyd-spf (RCPT) + OpenDKIM milter + OpenDMARC milter",
}
bad = False
rows = {}
rr = per_round(runs, "cfg", cfgs, "msgs_per_s")
for c in cfgs:
    x = [r for r in runs if r["cfg"] == c]
    f = lambda k: [float(r[k]) for r in x if k in r]
    rows[c] = dict(summary(x, "msgs_per_s"),
                   pf=med(f("pf_cpu_us")), flt=med(f("filter_cpu_us")), mach=med(f("machine_cpu_us")),
                   gen=med([float(r["cpu_s"]) * 1e6 / int(r["n"]) for r in x if "cpu_s" in r]),
                   rr=rr[c][0], rrs=rr[c][1])
base = rows[cfgs[0]]
c_ = dict(re.findall(r"(\w+)=(\d+)", M.get("corpus", "")))
print("## Through Postfix, one message per session (`BENCH_PF_PER=1 bench/postfix.sh`)" if per == "1"
      else "## Through Postfix (`bench/postfix.sh`)")
print()
machine_table(M, [("date", "date"), ("cpu", "CPU"), ("nproc", "cores (nproc)"), ("os", "OS"),
                  ("kernel", "kernel"), ("postfix", "Postfix"), ("opendkim", "OpenDKIM"),
                  ("opendmarc", "OpenDMARC"), ("spf", "policyd-spf"), ("nsd", "nsd"),
                  ("openssl", "OpenSSL"), ("mailseal", "mailseal commit"), ("policyd", "mailseal-policyd"),
                  ("spool", "queues"), ("load_at_start", "load average at start"),
                  ("load_at_end", "load average at end")])
print("%s messages per run, %s concurrent SMTP sessions, %s messages per session; corpus of %s "
      "messages, %s to %s bytes (median %s), each DKIM-signed (rsa-sha256, RSA-2048) by a domain "
      "whose key, SPF record (allowing the client, 127.0.0.1) and DMARC record (`p=reject`) nsd "
      "publishes; the MAIL FROM is of the same domain." % (msgs, sessions, per, c_.get("n"), num(int(c_.get("min", 0))),
                                      num(int(c_.get("max", 0))), num(int(c_.get("median", 0)))))
print()
print("Method:")
print()
print("""- %d private instances of Debian's Postfix (`tests/postfix/lib.sh`: the .deb unpacked, never
  installed; each its own configuration, queue and port on 127.0.0.1), all running for the whole
  benchmark. Common settings: `in_flow_delay = 0s`, `default_process_limit = 200`,
  `smtpd_client_connection_count_limit = 0`, `smtpd_peername_lookup = no`, no TLS offered,
  `milter_protocol = 6`, `milter_default_action = tempfail`. They differ only in: (a) nothing more;
  (b) `check_policy_service unix:...` (mailseal-policyd) in `smtpd_recipient_restrictions` and
  `smtpd_milters = unix:...` (the same mailseal-policyd process, `dns_resolver = 127.0.0.1:NSD_PORT`, no
  Redis, no signing table: every message is verified); (c) `smtpd_milters = unix:...` to Debian's OpenDKIM
  run by hand (`opendkim -f -x CONF`: `Mode v`, `Socket local:...`, `InternalHosts 192.0.2.1` so that mail
  from 127.0.0.1 is verified, not signed, `Nameservers 127.0.0.1@NSD_PORT`: its libunbound resolver takes a
  port there; `ResolverConfiguration` with an unbound.conf `stub-zone` verified too, but crashed this
  OpenDKIM within a few hundred messages: *fatal flex scanner internal error--end of buffer missed*);
  (d) a second mailseal-policyd process with `check_spf = yes` and `check_dmarc = yes` (no Redis; refusals
  as by default: a DMARC failure under `p=reject` would be refused), as `check_policy_service` in
  `smtpd_recipient_restrictions` (SPF checked at RCPT, its result carried
  to the milter side: `docs/postfix.md`, *SPF at RCPT*) and as the milter (DKIM, DMARC, one
  `Authentication-Results` field); (e) the classic Debian trio, each as its package ships it, run by hand
  with a private configuration: policyd-spf (postfix-policyd-spf-python's script and default
  `policyd-spf.conf`, unpacked from the .deb as in `bench/policy.sh`, with `skip_addresses` no longer
  covering 127.0.0.0/8) as `check_policy_service unix:private/spfpolicy` at RCPT, spawned by Postfix's
  spawn(8) (`spfpolicy unix - n n - 0 spawn user=nobody argv=...`), adding `Received-SPF`; then
  `smtpd_milters` = the OpenDKIM of (c), then OpenDMARC (`opendmarc -f -c CONF`: `TrustedAuthservIDs`
  = the authserv-id of OpenDKIM's field, `SPFIgnoreResults false` and `SPFSelfValidate false` so that it
  takes SPF from policyd-spf's `Received-SPF` and checks none itself, `IgnoreHosts` a file naming
  192.0.2.1 instead of its default 127.0.0.1, `PublicSuffixList` Debian's, `RejectFailures false`).
  Postfix's cleanup(8) runs the milters in turn on the queue file, so OpenDMARC sees OpenDKIM's field.
- Receiving is measured, not delivery: the last RCPT restriction of every instance is
  `check_sender_access static:HOLD`, so each message is received, passed through the milter, written to
  the queue and logged, then left on hold (no qmgr or delivery agent competes with smtpd for the two
  cores); the held messages are deleted between runs (`postsuper -d ALL hold`). `in_flow_delay = 0`
  because held mail never hands smtpd a flow token back. Queues on tmpfs (`BENCH_PF_SPOOL=disk`: /tmp).
- DNS: nsd (`tests/lib/nsd.sh`) on a free high port of 127.0.0.1, rate limiting off, publishing the
  signing key, the SPF records of the sender domain and of the HELO name, and the sender domain's
  `_dmarc` record; mailseal and OpenDKIM ask it there. policyd-spf (pyspf) and OpenDMARC (libopendmarc's
  `res_query`) know only `/etc/resolv.conf` and port 53, so the whole benchmark runs in a network
  namespace of its own whose `resolv.conf` names 127.0.0.1, where the same nsd answers on port 53 too.
- Load: `bench/smtpload.c`, one thread and poll(), %s concurrent SMTP sessions, %s messages per session
  (EHLO, then MAIL, RCPT, DATA per message, each waiting for its reply), the corpus sent round-robin.
  Latency: from the last byte of a message written to the reply to its dot read.
- Corpus: as `bench/exim.sh` (same seed, same sizes): `bench/gencorpus.py`'s headers and bodies (plain,
  multipart/alternative, multipart/mixed with base64 attachments), sizes spread evenly over 3-30 KB, each
  signed beforehand by `mailseal sign` (rsa-sha256, RSA-2048, relaxed/relaxed).
- Validity, every run: every message answered 250 at its dot and present in the hold queue; (a) no
  `Authentication-Results` field in any; (b) and (c) an `Authentication-Results` field with `dkim=pass`
  in every one (read from the queue files); (d) `dkim=pass`, `spf=pass` and `dmarc=pass` in every one;
  (e) OpenDKIM's `dkim=pass`, policyd-spf's `Received-SPF: Pass` and OpenDMARC's `dmarc=pass` in every
  one. RCPT would be refused with 451 if the policy service did not answer. Once per instance, one held
  message's fields are shown below (`postcat -h`); and once, for (d) and (e), a message without a
  signature (the corpus before signing) must get `dmarc=pass` from the aligned SPF pass alone: proof
  that DMARC takes SPF's result in both.""" % (len(cfgs), sessions, per))
print()
print("| configuration | msgs/s (median) | min-max | vs plain | vs plain, per round (median) "
      "| DATA-dot latency p50 / p99 (ms) | Postfix CPU µs/msg | filter CPU µs/msg "
      "| machine CPU µs/msg | check |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for c in cfgs:
    w = rows[c]
    check, invalid = check_cell(w, "every message 250, held, A-R as expected")
    bad = bad or invalid
    print("| %s | %s | %s-%s | %.2f | %.2f | %.2f / %.2f | %.0f | %s | %.0f | %s |" % (
        LABEL[c], num(w["rate"]), num(w["lo"]), num(w["hi"]),
        w["rate"] / base["rate"], w["rr"], w["p50"], w["p99"], w["pf"],
        "%.0f" % w["flt"] if c != "plain" else "-", w["mach"], check))
print()
print("Medians of %s rounds, each running every configuration once (the order rotating by one per "
      "round), after a warm-up of 400 messages each. *Postfix CPU*: user + system time of the "
      "instance's processes (smtpd, cleanup, ...; those that exited during the run through the "
      "master's reaped-children time; for (e) also the policyd-spf processes spawn(8) runs, while they "
      "live) per message; *filter CPU*: the mailseal-policyd, opendkim or (e) opendkim + opendmarc "
      "process(es); *machine CPU*: all non-idle time of the machine per message (Postfix, the filter, "
      "the load generator, nsd, the kernel, and anything else running). Load generator (smtpload) "
      "CPU: %s µs/msg. *vs plain, per round*: each round's msgs/s over plain's in the same round, "
      "then the median of those (%s); the background load of a shared machine drifts between "
      "rounds, and it moves a round's configurations together." % (
          rounds, ", ".join("%s %.0f" % (c, rows[c]["gen"]) for c in cfgs),
          "; ".join("%s %s" % (c, " ".join("%.2f" % v for v in rows[c]["rrs"])) for c in cfgs[1:])))
print()
if "mailseal" in rows and per == "1":
    m = rows["mailseal"]
    print("| target | measured | met |")
    print("|---|---|---|")
    print("| (issue 11) Postfix keeps at least 85%% of its plain throughput, one message per session, with "
          "mailseal's policy service and milter both active | %.0f%% (ratio of medians), %.0f%% (median of "
          "per-round ratios) | %s |" % (
              100 * m["rate"] / base["rate"], 100 * m["rr"], "yes" if m["rate"] >= 0.85 * base["rate"] and
              m["rr"] >= 0.85 else "**no**"))
    print("| (issue 11) p99 DATA-dot latency added over plain | %+.2f ms (p50 %+.2f ms) | |" % (
        m["p99"] - base["p99"], m["p50"] - base["p50"]))
elif "mailseal" in rows:
    m = rows["mailseal"]
    print("| target | measured | met |")
    print("|---|---|---|")
    print("| Postfix keeps at least 75%% of its plain throughput with mailseal's policy service and "
          "milter both active | %.0f%% (ratio of medians), %.0f%% (median of per-round ratios) | %s |" % (
              100 * m["rate"] / base["rate"], 100 * m["rr"], "yes" if m["rate"] >= 0.75 * base["rate"] and
              m["rr"] >= 0.75 else "**no**"))
    if "opendkim" in rows:
        print("| (for comparison) OpenDKIM's milter alone | %.0f%%, %.0f%% | |" % (
            100 * rows["opendkim"]["rate"] / base["rate"], 100 * rows["opendkim"]["rr"]))
if "ms-full" in rows and per != "1":    # issue 10 asks it at ten per session
    m = rows["ms-full"]
    if "mailseal" not in rows:
        print("| target | measured | met |")
        print("|---|---|---|")
    print("| (issue 10) Postfix keeps at least 70%% of its plain throughput with mailseal doing DKIM, SPF "
          "and DMARC | %.0f%% (ratio of medians), %.0f%% (median of per-round ratios) | %s |" % (
              100 * m["rate"] / base["rate"], 100 * m["rr"],
              "yes" if m["rate"] >= 0.70 * base["rate"] and m["rr"] >= 0.70 else "**no**"))
    if "trio" in rows:
        t = rows["trio"]
        x1, x2 = m["rate"] / t["rate"], m["rr"] / t["rr"]
        print("| (issue 10) ... twice the share the Debian trio keeps | trio keeps %.0f%% (ratio of medians), "
              "%.0f%% (per round); mailseal's share is %.2fx the trio's (%.2fx per round) | %s |" % (
                  100 * t["rate"] / base["rate"], 100 * t["rr"], x1, x2,
                  "yes" if x1 >= 2 and x2 >= 2 else "**no**"))
# what the milter interface itself costs Postfix: the ceiling for any milter
for k, what in (("null-milter", "a null milter, mailseal's protocol and no work: what Postfix's own "
                 "milter client costs"),
                ("null-eom", "the null milter asking for the end of the message only: the least a "
                 "milter that adds a field costs Postfix")):
    if k in rows and ("mailseal" in rows or "ms-full" in rows):
        z = rows[k]
        line = "keeps %.0f%% (%.0f%% per round); Postfix CPU %+.0f µs/msg over plain, the filter %.0f µs/msg" % (
            100 * z["rate"] / base["rate"], 100 * z["rr"], z["pf"] - base["pf"], z["flt"])
        for c in ("mailseal", "ms-full"):
            if c in rows:
                line += "; %s: Postfix %+.0f, the filter %.0f µs/msg" % (
                    c, rows[c]["pf"] - base["pf"], rows[c]["flt"])
        print("| (for comparison) %s | %s | |" % (what, line))
if "mailseal" in rows or "ms-full" in rows:
    print()
if details:
    print("Replies other than expected, transport errors:")
    print()
    code_block(details)
print("End-to-end: the Authentication-Results (and Received-SPF) fields of one held message of each instance "
      "(`postcat -h`); *unsigned*: the message without a signature:")
print()
code_block(e2e)
print("Reproduce: `make && sudo bench/postfix.sh build` (or `make bench`); knobs `BENCH_PF_ROUNDS`, "
      "`BENCH_PF_MSGS`, `BENCH_PF_SESSIONS`, `BENCH_PF_PER`, `BENCH_PF_CONFIGS`, `BENCH_PF_SPOOL`; "
      "`BENCH_PF_PERF=FILE` runs mailseal-policyd under `perf record -g`. Raw lines: "
      "`bench/out/%s/results.txt`. Run time of `bench/postfix.sh` for this section: %s s." % (
          "postfix-session" if per == "1" else "postfix", M.get("elapsed", "?")))
sys.exit(1 if bad else 0)
PY
bench_finish "$DOC" "$SECTION" "$OUT/section.md" "$rc"
