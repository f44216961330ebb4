#!/bin/bash
# bench/exim.sh [BUILD_DIR] - messages/s that Debian's Exim receives over
# SMTP, with and without mailseal.
#
# Six private Exim daemons (Debian's exim4-daemon-heavy, `-C` configs,
# queue_only: receiving is measured, delivery is not), one per
# configuration:
#
#   plain      no module, Exim's own DKIM verification off
#              (control = dkim_disable_verify)
#   exim       Exim's own DKIM verification, with an acl_smtp_dkim that
#              adds an Authentication-Results field and logs the verdict
#   ms-verify  BUILD_DIR/mailseal_exim.so verifying, Exim's own off
#   ms-sign    the module signing (acl_m_mailseal = sign), Exim's own off
#   exim-spf   Exim's own DKIM verification and its own SPF (the spf ACL
#              condition at RCPT, libspf2), one Authentication-Results
#              field from ${authresults} in the DATA ACL (Debian's
#              heavy daemon has no DMARC: `exim4 -bV`)
#   ms-full    the module with check_spf = yes and check_dmarc = yes:
#              DKIM, SPF and DMARC in local_scan, Exim's own off
#              (issue 10: the module at least as fast as exim-spf)
#
# The sender domain publishes its key, an SPF record allowing 127.0.0.1
# and a DMARC record (p=reject); the MAIL FROM is of that domain, the
# HELO name has an SPF record too.
#
# They run in a network namespace of their own (the script runs itself
# again inside it), with nsd answering on 127.0.0.1:53 and
# /etc/netns/NS/resolv.conf naming it, because Exim's resolver knows
# /etc/resolv.conf and port 53 only.  bench/smtpload.c (compiled here)
# keeps 20 SMTP sessions busy with a corpus of 3-30 KB messages
# (bench/gencorpus.py --sized) signed beforehand (RSA-2048, `mailseal
# sign`) by a domain whose key nsd publishes.  Rounds interleave the
# configurations (the order rotates); medians are reported with each
# one's ratio to plain.
# Every run is checked: every message got 250, and each daemon's log
# shows the work was really done (a DKIM pass per message for exim and
# ms-verify, a signature per message for ms-sign, no DKIM at all for
# plain; DKIM and SPF pass per message for exim-spf, DKIM, SPF and DMARC
# pass per message for ms-full).  A failed check marks the row INVALID and the exit status 1.
#
# Must run as root (ip netns).  The namespace, /etc/netns/NS and the temp
# directories are removed at the end.  Writes docs/benchmarks-exim.md;
# raw lines in bench/out/exim/.  What the three receive and policy
# benchmarks share is in bench/lib.sh (and bench/reportlib.py for the
# report).
#
# Knobs (environment): BENCH_EXIM_ROUNDS (5), BENCH_EXIM_MSGS (5000
# messages per run), BENCH_EXIM_SESSIONS (20), BENCH_EXIM_PER (10
# messages per session), BENCH_EXIM_CONN_ROUNDS (5; the second table,
# one message per session; 0 skips it), BENCH_EXIM_CONN_MSGS (2000),
# BENCH_EXIM_CORPUS (200 messages), BENCH_SEED (20261122),
# BENCH_EXIM_SPOOL (tmpfs: spool and logs on /dev/shm; disk: under /tmp),
# BENCH_EXIM_PREWARM (1: the module's engine built in the daemon by
# mailseal_prewarm; 0: by each session),
# BENCH_EXIM_CONFIGS ("plain exim ms-verify ms-sign exim-spf ms-full"), BENCH_EXIM_DOC
# (docs/benchmarks-exim.md), BENCH_EXIM_KEEP (set: keep the temp
# directories, for a look at the daemons' logs and spools).
set -euo pipefail

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ROUNDS=${BENCH_EXIM_ROUNDS:-5}
MSGS=${BENCH_EXIM_MSGS:-5000}
SESSIONS=${BENCH_EXIM_SESSIONS:-20}
PER=${BENCH_EXIM_PER:-10}
CONN_ROUNDS=${BENCH_EXIM_CONN_ROUNDS:-5}
CONN_MSGS=${BENCH_EXIM_CONN_MSGS:-2000}
NCORPUS=${BENCH_EXIM_CORPUS:-200}
SEED=${BENCH_SEED:-20261122}
SPOOL=${BENCH_EXIM_SPOOL:-tmpfs}
read -r -a CONFIGS <<< "${BENCH_EXIM_CONFIGS:-plain exim ms-verify ms-sign exim-spf ms-full}"
DOC=${BENCH_EXIM_DOC:-docs/benchmarks-exim.md}
WARMUP=500
OUT=bench/out/exim
HOST=mx.bench.example.org               # the daemons' primary_hostname
DOMAIN=sender.example.org               # From domain of every message
SENDER=bench@$DOMAIN                    # MAIL FROM: aligned with From
HELO=client.example.org
CLIENT=192.0.2.1                        # the load's address (see below)
RCPT=postmaster@bench.example.org
MODULE_SRC=$BUILD/mailseal_exim.so
BENCH_NAME=bench-exim
. "$ROOT/bench/lib.sh"

# -- outside: prerequisites, then the namespace and this script again in it
if [ -z "${BENCH_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || die "must run as root (network namespace, Exim's -C)"
	[ -x "$BUILD/mailseal" ] || die "$BUILD/mailseal missing: run make first"
	miss=""
	command -v exim4 > /dev/null || miss="$miss exim4-daemon-heavy"
	command -v nsd > /dev/null || miss="$miss nsd"
	command -v drill > /dev/null || miss="$miss ldnsutils"
	command -v ip > /dev/null || miss="$miss iproute2"
	command -v cc > /dev/null || miss="$miss gcc"
	[ -z "$miss" ] || die "missing:$miss"
	id Debian-exim > /dev/null 2>&1 || die "no user Debian-exim (exim4-base)"
	for c in "${CONFIGS[@]}"; do
		case $c in
		plain | exim | exim-spf) ;;
		ms-verify | ms-sign | ms-full)
			[ -f "$MODULE_SRC" ] || die "$MODULE_SRC missing (needed by $c): run make first"
			if nm -D "$MODULE_SRC" 2>/dev/null | grep __asan_init > /dev/null; then
				die "$MODULE_SRC is a sanitizer build: Exim cannot load it without LD_PRELOAD"
			fi ;;
		*) die "unknown configuration $c" ;;
		esac
	done
	[ "${CONFIGS[0]}" = plain ] || die "the first configuration must be plain (the ratios' base)"
	bench_netns msbench "$ROOT/bench/exim.sh" "$BUILD"
fi

# -- places ----------------------------------------------------------------
bench_places exim "$SPOOL" BENCH_EXIM_SPOOL  # T, RUN; Exim runs as Debian-exim
declare -A PORT EXIM_PID

cleanup() {
	set +e
	local p
	for p in "${EXIM_PID[@]}"; do kill "$p" 2>/dev/null; done
	nsd_stop
	wait 2>/dev/null
	bench_remove "${BENCH_EXIM_KEEP:-}" "$T" "$RUN"
}
bench_trap cleanup
bench_results "$OUT"

# -- the load generator ----------------------------------------------------
bench_cc bench/smtpload.c "$T/smtpload"

# -- keys and corpus -------------------------------------------------------
say "making keys and a corpus of $NCORPUS messages (seed $SEED)"
bench_corpus "$T" "$NCORPUS" "$SEED" "$DOMAIN" sel out

# -- DNS in the namespace ----------------------------------------------------
say "network namespace $BENCH_NS, nsd on 127.0.0.1:53"
# The client: 192.0.2.1 on the namespace's loopback interface, where the
# daemons listen too and smtpload connects (so its source address), not
# 127.0.0.1: libspf2, Exim's SPF, answers "pass" for a loopback client
# without looking anything up ("localhost is always allowed"), which
# would measure no SPF at all.
ip addr add "$CLIENT/32" dev lo || die "cannot add $CLIENT to the namespace's loopback"
cat > "$T/policy.records" <<EOF
sender IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.sender IN TXT "v=DMARC1; p=reject; adkim=r; aspf=r"
client IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
client IN A $CLIENT
EOF
bench_dns "$T/dns" "$T/keys/sel.txt" "$T/keys/out.txt" "$T/policy.records"
# through /etc/resolv.conf, as Exim will ask
ans=$(drill TXT "sel._domainkey.$DOMAIN" 2>&1 || true)
[[ $ans == *v=DKIM1* ]] || die "the key of $DOMAIN does not resolve inside the namespace: $ans"
ans=$(drill TXT "_dmarc.$DOMAIN" 2>&1 || true)
[[ $ans == *v=DMARC1* ]] || die "the DMARC record of $DOMAIN does not resolve inside the namespace: $ans"

# -- the daemons -------------------------------------------------------------
cp "$T/keys/out.private" "$RUN/out.private"
chown Debian-exim "$RUN/out.private"
echo "$DOMAIN out $RUN/out.private" > "$RUN/signing.table"
cat > "$RUN/mailseal.conf" <<EOF
# the module of ms-verify and ms-sign: keys from the namespace's nsd
dns_resolver = 127.0.0.1:53
signing_table = $RUN/signing.table
authserv_id = $HOST
EOF
# ms-full: the same, and SPF and DMARC (refusals as by default: a DMARC
# failure under p=reject would be refused, an SPF fail tagged)
{ cat "$RUN/mailseal.conf"; printf 'check_spf = yes\ncheck_dmarc = yes\n'; } > "$RUN/ms-full.conf"
chmod 644 "$RUN/mailseal.conf" "$RUN/ms-full.conf" "$RUN/signing.table"
for f in mailseal ms-full; do
	"$BUILD/mailseal" -c "$RUN/$f.conf" config check > /dev/null || die "$RUN/$f.conf does not check"
done
if [ -f "$MODULE_SRC" ]; then
	# a copy: a rebuild during the run must not change what is measured
	cp "$MODULE_SRC" "$RUN/mailseal_exim.so"
	chmod 755 "$RUN/mailseal_exim.so"
fi

# exim_conf NAME: the daemon's configuration
exim_conf() {
	local name=$1 d=$RUN/$1 pre=""
	# the engine built in the daemon, inherited by every session
	# (docs/exim.md); BENCH_EXIM_PREWARM=0 leaves it to each session
	[ "${BENCH_EXIM_PREWARM:-1}" = 1 ] && pre=prewarm
	case $name in
	ms-*) bench_exim_main bench/exim.sh "$name" "$d" "<; 127.0.0.1 ; $CLIENT" \
		"$RUN/mailseal_exim.so" $pre ;;
	*) bench_exim_main bench/exim.sh "$name" "$d" "<; 127.0.0.1 ; $CLIENT" ;;
	esac
	echo "queue_only"
	case $name in
	exim) echo "acl_smtp_dkim = acl_dkim" ;;
	exim-spf) echo "acl_smtp_dkim = acl_dkim_log"; echo "acl_smtp_data = acl_data" ;;
	esac
	echo
	echo "begin acl"
	echo "acl_rcpt:"
	case $name in
	exim) echo "  accept" ;;
	exim-spf)
		# Exim's own SPF (libspf2) of the envelope at RCPT: a fail
		# refused, as an administrator would have it; the result in
		# ${authresults} and the log
		cat <<'EOF'
  deny    spf = fail
          message = SPF: $sender_host_address is not allowed to send mail from $sender_address_domain
  accept  logwrite = spf-acl: result=$spf_result ($spf_header_comment)
EOF
		;;
	ms-sign) echo "  accept  control = dkim_disable_verify"
		 echo "          set acl_m_mailseal = sign" ;;
	*) echo "  accept  control = dkim_disable_verify" ;;
	esac
	if [ "$name" = exim ]; then
		cat <<'EOF'

acl_dkim:
  accept  add_header = :at_start:Authentication-Results: $primary_hostname; dkim=$dkim_verify_status header.d=$dkim_cur_signer header.s=$dkim_selector
          logwrite = dkim-acl: d=$dkim_cur_signer s=$dkim_selector status=$dkim_verify_status
EOF
	fi
	if [ "$name" = exim-spf ]; then
		cat <<'EOF'

acl_dkim_log:
  accept  logwrite = dkim-acl: d=$dkim_cur_signer s=$dkim_selector status=$dkim_verify_status

acl_data:
  accept  add_header = :at_start:${authresults{$primary_hostname}}
EOF
	fi
	echo
	echo "begin routers"
}

port=2525
for c in "${CONFIGS[@]}"; do
	d=$RUN/$c
	mkdir -p "$d/spool" "$d/log"
	chown -R Debian-exim:Debian-exim "$d/spool" "$d/log"
	exim_conf "$c" > "$d/exim.conf"
	chmod 644 "$d/exim.conf"
	PORT[$c]=$port
	port=$((port + 1))
	mconf=$RUN/mailseal.conf
	[ "$c" = ms-full ] && mconf=$RUN/ms-full.conf
	bench_exim_start "$c" "$d" "${PORT[$c]}" "$mconf"
done
say "daemons: $(for c in "${CONFIGS[@]}"; do printf '%s=127.0.0.1:%s ' "$c" "${PORT[$c]}"; done)"

# -- one run ---------------------------------------------------------------
# children_cpu PID: CPU seconds (user + system) of the daemon's reaped
# children, i.e. of the SMTP sessions it forked (cutime + cstime)
children_cpu() {
	awk -v hz="$TICK" '{ sub(/^.*\) /, ""); print ($14 + $15) / hz }' "/proc/$1/stat"
}

# udp_counters: the namespace's UDP InDatagrams NoPorts InErrors
# RcvbufErrors (lost DNS packets show here)
udp_counters() {
	awk '/^Udp: [0-9]/ { print $2, $3, $4, $6; exit }' /proc/net/snmp
}

# sessions_gone PID: wait until the daemon has no children (the sessions
# of the previous run have quit and been reaped), at most 5 s
sessions_gone() {
	for _ in $(seq 1 100); do
		[ -z "$(pgrep -P "$1" 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	return 1
}

# check_run NAME N OUT: "ok", or what is wrong with the run just made
check_run() {
	local name=$1 n=$2 out=$3 d=$RUN/$1 log=$RUN/$1/log/mainlog bad="" k
	declare -A v
	for k in accepted failed unsent session_errors; do
		v[$k]=$(printf '%s\n' "$out" | sed -n 1p | grep -o " $k=[0-9]*" | cut -d= -f2 || true)
	done
	[ "${v[accepted]:-0}" = "$n" ] || bad="$bad accepted=${v[accepted]:-?}/$n"
	[ "${v[failed]:-0}" = 0 ] || bad="$bad failed=${v[failed]}"
	[ "${v[unsent]:-0}" = 0 ] || bad="$bad unsent=${v[unsent]}"
	[ "${v[session_errors]:-0}" = 0 ] || bad="$bad session_errors=${v[session_errors]}"
	k=$(grep -c ' <= ' "$log" || true)
	[ "$k" = "$n" ] || bad="$bad received_in_log=$k/$n"
	case $name in
	plain)
		k=$(grep ' <= ' "$log" | grep -c ' DKIM=' || true)
		[ "$k" = 0 ] || bad="$bad exim_verified=$k" ;;
	exim)
		k=$(grep -c "dkim-acl: d=$DOMAIN s=sel status=pass\$" "$log" || true)
		[ "$k" = "$n" ] || bad="$bad dkim_pass=$k/$n" ;;
	exim-spf)
		k=$(grep -c "dkim-acl: d=$DOMAIN s=sel status=pass\$" "$log" || true)
		[ "$k" = "$n" ] || bad="$bad dkim_pass=$k/$n"
		# evaluated from the record, not libspf2's loopback shortcut
		k=$(grep -c "spf-acl: result=pass (.*designates $CLIENT as permitted sender)\$" "$log" || true)
		[ "$k" = "$n" ] || bad="$bad spf_pass=$k/$n"
		# ${authresults}, as Exim spooled it (folded)
		k=$(grep -lzP "\\n[0-9]+[A-Z ] Authentication-Results: \\Q$HOST\\E;(?:(?!\\n[0-9]+[A-Z ] )[\\s\\S])*\\bspf=pass(?:(?!\\n[0-9]+[A-Z ] )[\\s\\S])*\\bdkim=pass header\\.d=\\Q$DOMAIN\\E" \
			"$d"/spool/input/*-H 2>/dev/null | wc -l)
		[ "$k" = "$n" ] || bad="$bad ar_header=$k/$n" ;;
	ms-full)
		k=$(grep -c "mailseal: role=verify .*dkim=pass/$DOMAIN/sel .*spf=pass/$DOMAIN.* dmarc=pass/$DOMAIN.*action=accept" "$log" || true)
		[ "$k" = "$n" ] || bad="$bad mailseal_pass=$k/$n"
		k=$(grep -lzP "\\n[0-9]+[A-Z ] Authentication-Results: \\Q$HOST\\E;\\s+dkim=pass header\\.d=\\Q$DOMAIN\\E [^\\n]*(\\n\\t[^\\n]*)*?spf=pass smtp\\.mailfrom=[^\\n]*(\\n\\t[^\\n]*)*?dmarc=pass header\\.from=\\Q$DOMAIN\\E" \
			"$d"/spool/input/*-H 2>/dev/null | wc -l)
		[ "$k" = "$n" ] || bad="$bad ar_header=$k/$n" ;;
	ms-verify)
		k=$(grep -c "mailseal: role=verify .*dkim=pass/$DOMAIN/sel .*action=accept" "$log" || true)
		[ "$k" = "$n" ] || bad="$bad mailseal_pass=$k/$n"
		# the field as Exim spooled it: folded after the authserv-id
		k=$(grep -lzP "\\n[0-9]+[A-Z ] Authentication-Results: \\Q$HOST\\E;\\s+dkim=pass header\\.d=\\Q$DOMAIN\\E " \
			"$d"/spool/input/*-H 2>/dev/null | wc -l)
		[ "$k" = "$n" ] || bad="$bad ar_header=$k/$n" ;;
	ms-sign)
		k=$(grep -c "mailseal: role=sign .*signed=$DOMAIN/out action=accept" "$log" || true)
		[ "$k" = "$n" ] || bad="$bad mailseal_signed=$k/$n"
		k=$(grep -lzP "\\n[0-9]+[A-Z ] DKIM-Signature: [^\\n]*(\\n\\t[^\\n]*)*?\\bs=out;" \
			"$d"/spool/input/*-H 2>/dev/null | wc -l)
		[ "$k" = "$n" ] || bad="$bad signed_spool=$k/$n" ;;
	esac
	case $name in
	ms-*) ;;
	*) k=$(grep -c 'mailseal:' "$log" || true)
	   [ "$k" = 0 ] || bad="$bad module_ran=$k" ;;
	esac
	case $name in
	exim | exim-spf) ;;
	*)
		k=$(grep ' <= ' "$log" | grep -c ' DKIM=' || true)
		[ "$k" = 0 ] || bad="$bad exim_verified=$k"
		;;
	esac
	if [ -s "$d/log/paniclog" ]; then
		k=$(grep -vc 'exim user lost privilege for using -C option' "$d/log/paniclog" || true)
		[ "$k" = 0 ] || bad="$bad paniclog=$k"
	fi
	echo "${bad:- ok}" | sed 's/^ //; s/ /,/g'
}

# run_one N PER TABLE NAME ROUND: one load run, checked; a RUN line in
# $RES; prints msgs/s
run_one() {
	local n=$1 per=$2 table=$3 name=$4 round=$5 d=$RUN/$4 pid=${EXIM_PID[$4]}
	local out rc c0 c1 chk u0 u1 u2 u3 v0 v1 v2 v3
	sessions_gone "$pid" || say "warning: $name still has sessions from the last run"
	: > "$d/log/mainlog"
	c0=$(children_cpu "$pid")
	read -r u0 u1 u2 u3 <<< "$(udp_counters)"
	rc=0
	out=$("$T/smtpload" -h "$CLIENT" -p "${PORT[$name]}" -c "$SESSIONS" \
		-n "$n" -m "$per" -f "$SENDER" -r "$RCPT" -e "$HELO" "$T/signed" 2> "$d/smtpload.err") || rc=$?
	sessions_gone "$pid" || true
	c1=$(children_cpu "$pid")
	read -r v0 v1 v2 v3 <<< "$(udp_counters)"
	chk=$(check_run "$name" "$n" "$out")
	[ "$rc" = 0 ] || [ "$chk" != ok ] || chk="smtpload_exit=$rc"
	echo "RUN table=$table cfg=$name round=$round per=$per n=$n $(printf '%s\n' "$out" | sed -n 1p) exim_cpu_s=$(awk "BEGIN { print $c1 - $c0 }") udp_in=$((v0 - u0)) udp_noports=$((v1 - u1)) udp_inerrors=$((v2 - u2)) udp_rcvbuferrors=$((v3 - u3)) check=$chk" >> "$RES"
	printf '%s\n' "$out" | tail -n +2 | sed "s/^/DETAIL table=$table cfg=$name round=$round /" >> "$RES"
	if [ "$chk" != ok ]; then
		say "$name ($table, round $round): $chk"
		head -3 "$d/smtpload.err" >&2
		mkdir -p "$OUT/failed-$name"
		cp "$d/log/mainlog" "$OUT/failed-$name/mainlog.$table.$round"
	fi
	find "$d/spool/input" "$d/spool/msglog" -type f -delete
	printf '%s\n' "$out" | sed -n 1p | grep -o 'msgs_per_s=[0-9.]*' | cut -d= -f2
}

# -- end to end, once: one message as each daemon spooled it ----------------
say "warm-up ($WARMUP messages each) and end-to-end checks"
E2E=""
for c in "${CONFIGS[@]}"; do
	d=$RUN/$c
	: > "$d/log/mainlog"
	"$T/smtpload" -h "$CLIENT" -p "${PORT[$c]}" -c "$SESSIONS" -n "$WARMUP" \
		-m "$PER" -f "$SENDER" -r "$RCPT" -e "$HELO" "$T/signed" > "$d/warmup.out" 2>&1 || true
	chk=$(check_run "$c" "$WARMUP" "$(cat "$d/warmup.out")")
	[ "$chk" = ok ] || die "warm-up of $c failed: $chk; $(head -3 "$d/warmup.out")"
	id=$(ls "$d/spool/input" | sed -n 's/-H$//p' | sed -n 1p)
	exim4 -C "$d/exim.conf" -Mvc "$id" > "$T/e2e-$c.eml" 2>/dev/null || die "exim -Mvc $id ($c) failed"
	res=$("$BUILD/mailseal" -c "$RUN/mailseal.conf" verify "$T/e2e-$c.eml" |
		awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^(dkim|header\.s)=/) { printf "%s%s", sep, $i; sep = " " } sep = "; " }')
	# the first Authentication-Results field, unfolded
	ar=$(awk '{ sub(/\r$/, "") } /^$/ { exit }
		f && /^[ \t]/ { sub(/^[ \t]+/, " "); v = v $0; next } f { exit }
		/^Authentication-Results:/ { f = 1; v = $0 } END { print v }' "$T/e2e-$c.eml")
	E2E="$E2E
E2E cfg=$c id=$id verify=[$res] ar=[${ar:-none}]"
	case $c in
	ms-sign) [[ $res == *"dkim=pass header.s=out"* ]] || die "$c: the module's signature does not verify: $res" ;;
	esac
	[[ $res == *"dkim=pass header.s=sel"* ]] || die "$c: the original signature no longer verifies: $res"
	find "$d/spool/input" "$d/spool/msglog" -type f -delete
done
echo "$E2E" | sed '/^$/d' >> "$RES"

# -- the rounds --------------------------------------------------------------
bench_rounds "$ROUNDS" CONFIGS round msgs/s run_one "$MSGS" "$PER" main
bench_rounds "$CONN_ROUNDS" CONFIGS "one message per session, round" msgs/s \
	run_one "$CONN_MSGS" 1 conn

# -- the report --------------------------------------------------------------
{
	bench_machine
	echo "exim=$(exim4 -C "$RUN/plain/exim.conf" -bV 2>/dev/null | sed -n 1p) (Debian exim4-daemon-heavy $(dpkg-query -W -f='${Version}' exim4-daemon-heavy))"
	echo "mailseal=$(bench_commit common exim)"
	echo "module=$(stat -c '%s bytes, built %y' "$MODULE_SRC" 2>/dev/null | cut -d. -f1)"
	echo "corpus=$CORPUS_STATS"
	echo "spool=$SPOOL ($(df -T "$RUN" | awk 'NR == 2 { print $2 }'))"
	echo "load_at_end=$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/machine.txt"

rc=0
bench_py - "$RES" "$OUT/machine.txt" "$ROUNDS" "$MSGS" "$SESSIONS" "$PER" \
	"$CONN_ROUNDS" "$CONN_MSGS" "$SEED" "${CONFIGS[*]}" > "$OUT/report.md" <<'PY' || rc=$?
import os, re, sys
from reportlib import check_cell, code_block, machine, machine_table, med, num, results, summary

res, mfile, rounds, msgs, sessions, per, crounds, cmsgs, seed, cfgs = sys.argv[1:]
cfgs = cfgs.split()
M = machine(mfile)
runs, other = results(res)
details, e2e = other.get("DETAIL", []), other.get("E2E", [])

LABEL = {
    "plain": "a) plain: no module, Exim's DKIM verification off",
    "exim": "b) Exim's built-in DKIM verification (acl_smtp_dkim)",
    "ms-verify": "c) mailseal module verifying (Exim's off)",
    "ms-sign": "d) mailseal module signing, RSA-2048 (Exim's off)",
    "exim-spf": "e) Exim's built-in DKIM and SPF (spf ACL condition at RCPT, ${authresults})",
    "ms-full": "f) mailseal module: DKIM + SPF + DMARC (Exim's off)",
}
bad = False


def table(name, title):
    global bad
    rs = [r for r in runs if r["table"] == name]
    if not rs:
        return
    rows = {}
    for c in cfgs:
        x = [r for r in rs if r["cfg"] == c]
        rows[c] = dict(
            summary(x, "msgs_per_s"),
            ecpu=med([float(r["exim_cpu_s"]) * 1e6 / int(r["n"]) for r in x]),
            gcpu=med([float(r["cpu_s"]) * 1e6 / int(r["n"]) for r in x]),
            dns=med([int(r["udp_in"]) / 2 / int(r["n"]) for r in x]),
            drops=sum(int(r["udp_inerrors"]) + int(r["udp_rcvbuferrors"]) for r in x),
        )
    base = rows[cfgs[0]]
    print("## " + title)
    print()
    print("| configuration | msgs/s (median) | min-max | vs plain | DATA-dot latency p50 / p99 (ms) "
          "| Exim CPU µs/msg | vs plain | DNS lookups/msg | check |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for c in cfgs:
        w = rows[c]
        check, invalid = check_cell(w, "every message 250, work seen in the log")
        bad = bad or invalid
        print("| %s | %s | %s-%s | %.2f | %.2f / %.2f | %.0f | %.2f | %.2f | %s |" % (
            LABEL[c], num(w["rate"]), num(w["lo"]), num(w["hi"]), w["rate"] / base["rate"], w["p50"], w["p99"],
            w["ecpu"], w["ecpu"] / base["ecpu"], w["dns"], check))
    print()
    drops = sum(rows[c]["drops"] for c in cfgs)
    if drops:
        print("UDP datagrams lost in the namespace during these runs: %d." % drops)
        print()
    print("Load generator (smtpload) CPU: %s µs/msg (median over its runs)."
          % ", ".join("%s %.0f" % (c, rows[c]["gcpu"]) for c in cfgs))
    print()
    return rows


print("# Exim receive benchmark: messages/s over SMTP, with and without mailseal")
print()
print("Generated by `bench/exim.sh` (part of `make bench`); do not edit by hand, run it again. "
      "Raw lines of the run are in `bench/out/exim/results.txt`.")
print()
print("## Machine")
print()
machine_table(M, [("date", "date"), ("cpu", "CPU"), ("nproc", "cores (nproc)"), ("os", "OS"),
                  ("kernel", "kernel"), ("exim", "Exim"), ("nsd", "nsd"), ("openssl", "OpenSSL"),
                  ("mailseal", "mailseal commit"), ("module", "build/mailseal_exim.so"),
                  ("spool", "spool and logs"), ("load_at_start", "load average at start"),
                  ("load_at_end", "load average at end")])
c = dict(re.findall(r"(\w+)=(\d+)", M.get("corpus", "")))
print("## Method")
print()
print("""- %d private daemons of Debian's Exim (`exim4 -C CONF -bdf -oX PORT`, all four running
  for the whole benchmark), `queue_only`: a message is received, spooled and logged, never
  delivered. `host_lookup` and `rfc1413_hosts` empty, no TLS, `smtp_accept_max = 200`. The
  configurations differ only as the table says: (a) `control = dkim_disable_verify` in the
  RCPT ACL; (b) Exim's own verification (`exim4-daemon-heavy` verifies every signature unless
  told not to) with an `acl_smtp_dkim` that adds an `Authentication-Results` field and logs
  the verdict, as the module does; (c) `local_scan_path` = the module, verifying (its one
  `mailseal:` log line and `Authentication-Results` field per message), Exim's own off; (d)
  the module signing, `acl_m_mailseal = sign` set in the RCPT ACL, one RSA-2048 key in the
  `signing_table` for the From domain, Exim's own verification off. In (c) and (d) the
  daemon builds the module's engine before it forks (`smtp_accept_max_per_host =
  ${dlfunc{...}{mailseal_prewarm}}`, as docs/exim.md recommends; `BENCH_EXIM_PREWARM=0`
  leaves it to each session). The module's `mailseal.conf`: `dns_resolver = 127.0.0.1:53`,
  the signing table, nothing else (no Redis).
- Sender policy (issue 10): (e) Exim's own DKIM verification as (b) (its `acl_smtp_dkim` only logs the
  verdict) and Exim's own SPF (libspf2: `deny spf = fail` then `accept logwrite = ... $spf_result` in the
  RCPT ACL), one `Authentication-Results` field made by `${authresults{$primary_hostname}}` in the DATA
  ACL (it carries `spf=` and `dkim=`); Debian's `exim4-daemon-heavy` 4.96 has no DMARC (`exim4 -bV`:
  SPF and DKIM, no DMARC), so Exim's side does less work than (f); (f) the module as (c), with
  `check_spf = yes` and `check_dmarc = yes` in its `mailseal.conf` (DKIM, SPF and DMARC in `local_scan`
  at the end of DATA, one `Authentication-Results` field; refusals as by default). The sender domain
  publishes its key, an SPF record allowing the client and a DMARC record (`p=reject`), the MAIL FROM is of
  that domain and the HELO name has an SPF record too, so every method passes. The client is 192.0.2.1, an
  address of the namespace's loopback interface where every daemon listens too (for every configuration):
  from 127.0.0.1, libspf2 answers `pass` without a lookup (*localhost is always allowed*), which would
  measure no SPF at all; (e)'s log line carries libspf2's comment, which must say the record designates
  192.0.2.1.
- DNS: a network namespace of its own holds the daemons, the load generator and `nsd`
  (authoritative for the test zone, on 127.0.0.1:53, rate limiting off); the namespace's
  `/etc/resolv.conf` names it for Exim's resolver; the module asks it as its `dns_resolver`.
  Each SMTP session is a new Exim process. With `mailseal_prewarm` the module's sessions share
  the node's cache (shared memory the daemon maps before it forks, `shared_cache_size`): a key or
  SPF/DMARC answer one session fetched is read from memory by the next, and the daemon takes
  what sessions fetched into its own engine (keys parsed) before it forks the next ones; without
  it, each session asks DNS once for itself. Exim's own verification asks for every message (the
  *DNS lookups/msg* column).""" % len(cfgs))
print("- Spool and logs: %s. There `fsync()` costs nothing, so the numbers are the CPU cost of "
      "receiving. `BENCH_EXIM_SPOOL=disk` puts them under /tmp instead; on a virtual disk the "
      "three fsyncs Exim makes per message before its 250 (data file, header file, spool "
      "directory) then dominate, vary from run to run and hide the differences between the "
      "configurations." % M.get("spool", ""))
print("- Load: `bench/smtpload.c`, one thread and `poll()`, %s concurrent SMTP sessions, %s "
      "messages per session (EHLO, then MAIL, RCPT, DATA per message, each waiting for its "
      "reply; QUIT not waited for), %s messages per run, the corpus sent round-robin. "
      "Latency: from the last byte of a message written to its reply read." % (sessions, per, msgs))
print("- Corpus: %s messages (seed %s; `bench/gencorpus.py`'s headers and bodies: plain, "
      "multipart/alternative and multipart/mixed with base64 attachments), sizes spread evenly "
      "over 3-30 KB: %s to %s bytes, median %s, each signed beforehand by `mailseal sign` "
      "(rsa-sha256, RSA-2048, relaxed/relaxed) for a domain whose key the namespace's nsd "
      "publishes." % (c.get("n"), seed, num(int(c.get("min", 0))), num(int(c.get("max", 0))),
                      num(int(c.get("median", 0)))))
print("- Rounds: %s, each running every configuration once (the order rotates by one per round); "
      "**medians** quoted, min-max of the runs beside them; the ratios are of the medians. A "
      "warm-up run of 500 messages per daemon comes first (not counted)." % rounds)
print("- CPU: *Exim CPU* is the user + system time of the SMTP session processes a daemon "
      "forked during the run (the daemon's reaped children, `/proc/PID/stat` cutime + cstime), "
      "per message: the receiving cost itself, which other load on the machine hardly "
      "disturbs. msgs/s and latency are wall-clock and are disturbed by it: the load averages "
      "above say how busy the machine was (20 sessions of this benchmark alone keep it near "
      "20).")
print("- DNS lookups per message: UDP datagrams received in the namespace during the run "
      "(`/proc/net/snmp`; a lookup is a query to nsd and its answer, two datagrams), halved, per "
      "message. Lost datagrams (UDP InErrors, RcvbufErrors) are counted too and reported below "
      "when there are any.")
print("- Validity: every run must have every message answered 250 at the final dot "
      "(`smtpload` counts every other reply by stage and code) and a `<=` line each in the main "
      "log, and the log must show the work: (a) no `DKIM=` on any `<=` line and no `mailseal:` "
      "line; (b) one `dkim-acl: ... status=pass` line per message; (c) one `mailseal: "
      "role=verify ... dkim=pass/...` line and one `Authentication-Results: ... dkim=pass` "
      "field in the spooled header per message; (d) one `mailseal: role=sign ... signed=...` "
      "line and one `DKIM-Signature` of the domain in the spooled header per message; (e) one "
      "`dkim-acl: ... status=pass` and one `spf-acl: result=pass (... designates 192.0.2.1 as permitted "
      "sender)` line per message, and an "
      "`Authentication-Results` field with `spf=pass` and `dkim=pass` in each spooled header; (f) one "
      "`mailseal: role=verify ... dkim=pass/... spf=pass/... dmarc=pass/... action=accept` line and an "
      "`Authentication-Results` field with `dkim=pass`, `spf=pass` and `dmarc=pass` per message. Once per "
      "daemon, one spooled message (`exim -Mvc`) is verified by `mailseal verify` against the "
      "namespace's DNS: the original signature must still pass, and in (d) the module's too.")
print()
main = table("main", "Results: %s messages per run, %s per session, %s sessions" % (msgs, per, sessions))
conn = table("conn", "One message per session (%s messages per run, %s sessions): the per-session costs"
             % (cmsgs, sessions))
if main and conn:
    # cpu(m) = per_message + per_session / m, from m = PER and m = 1
    k = 1 - 1 / int(per)
    print("## Per session and per message: where the CPU goes")
    print()
    print("Exim CPU per message is *per message + per session / messages per session*; the two "
          "tables (%s and 1 messages per session) give both terms. *extra* is over plain: what "
          "DKIM costs each configuration." % per)
    print()
    print("| configuration | per SMTP session (µs) | extra per session | per message (µs) | extra per message |")
    print("|---|---:|---:|---:|---:|")
    sess = {c: (conn[c]["ecpu"] - main[c]["ecpu"]) / k for c in cfgs}
    msg = {c: conn[c]["ecpu"] - sess[c] for c in cfgs}
    for c in cfgs:
        print("| %s | %.0f | %+.0f | %.0f | %+.0f |" % (LABEL[c], sess[c], sess[c] - sess[cfgs[0]],
                                                     msg[c], msg[c] - msg[cfgs[0]]))
    print()
    warm = os.environ.get("BENCH_EXIM_PREWARM", "1") == "1"
    print("Debian's Exim forks one process per SMTP session. "
          + ("The module's engine (configuration, signing table keys, a started OpenSSL with its "
             "algorithm lookups done) is built in the daemon by `mailseal_prewarm` "
             "(`smtp_accept_max_per_host = ${dlfunc{...}{mailseal_prewarm}}`, docs/exim.md) and "
             "inherited by every session, started: the daemon has verified one message of its own "
             "(policy_warm: OpenSSL's methods fetched, library symbols bound) and holds the keys "
             "and DNS answers earlier sessions fetched, parsed (the node's shared cache, "
             "policy_preload). What a session still pays is the memory it touches for the first "
             "time (page faults on the libraries' code, copy-on-write after the fork) and, for a "
             "key the daemon does not hold yet, the node cache's copy or a DNS lookup and "
             "decoding the key. " if warm else
             "Without `mailseal_prewarm` (BENCH_EXIM_PREWARM=0) the module builds its engine "
             "(configuration, signing table keys, OpenSSL) in each session at its first "
             "message. ")
          + "Exim's own verification has next to no per-session set-up (GnuTLS is started in the "
          "daemon), but asks DNS for every message. The first message of each session waits for "
          "the module's per-session work, which is what its p99 latency shows with %s messages "
          "per session." % per)
    print()
if main and "exim" in main and "ms-verify" in main:
    b, cv, a = main["exim"], main["ms-verify"], main["plain"]
    print("## Against the target")
    print()
    print("| target | measured | met |")
    print("|---|---|---|")
    print("| the module verifying costs Exim less throughput than Exim's own verification | "
          "module keeps %.0f%% of plain, Exim's own %.0f%% | %s |"
          % (100 * cv["rate"] / a["rate"], 100 * b["rate"] / a["rate"],
             "yes" if cv["rate"] > b["rate"] else "no"))
    print("| ... and less CPU per message | module +%.0f µs/msg, Exim's own +%.0f µs/msg over plain | %s |"
          % (cv["ecpu"] - a["ecpu"], b["ecpu"] - a["ecpu"],
             "yes" if cv["ecpu"] < b["ecpu"] else "no"))
    if conn and "exim" in conn and "ms-verify" in conn:
        b1, c1, a1 = conn["exim"], conn["ms-verify"], conn["plain"]
        print("| (issue 11) the same, one message per session | module keeps %.0f%% of plain, Exim's own %.0f%% | %s |"
              % (100 * c1["rate"] / a1["rate"], 100 * b1["rate"] / a1["rate"],
                 "yes" if c1["rate"] >= b1["rate"] else "**no**"))
        print("| (issue 11) ... CPU per message over plain, one message per session | module +%.0f µs/msg, Exim's own +%.0f µs/msg | %s |"
              % (c1["ecpu"] - a1["ecpu"], b1["ecpu"] - a1["ecpu"],
                 "yes" if c1["ecpu"] < b1["ecpu"] else "**no**"))
    if "exim-spf" in main and "ms-full" in main:
        e_, f_ = main["exim-spf"], main["ms-full"]
        print("| (issue 10) the module doing DKIM, SPF and DMARC at least as fast as Exim's built-in DKIM "
              "and SPF | module %s msgs/s (%.0f%% of plain), Exim's own %s msgs/s (%.0f%%): %.2fx | %s |"
              % (num(f_["rate"]), 100 * f_["rate"] / a["rate"], num(e_["rate"]), 100 * e_["rate"] / a["rate"],
                 f_["rate"] / e_["rate"], "yes" if f_["rate"] >= e_["rate"] else "**no**"))
        print("| ... CPU per message | module +%.0f µs/msg, Exim's own +%.0f µs/msg over plain | %s |"
              % (f_["ecpu"] - a["ecpu"], e_["ecpu"] - a["ecpu"], "yes" if f_["ecpu"] <= e_["ecpu"] else "**no**"))
        if conn and "exim-spf" in conn and "ms-full" in conn:
            e1, f1 = conn["exim-spf"], conn["ms-full"]
            print("| ... one message per session | module keeps %.0f%% of plain, Exim's own %.0f%% | %s |"
                  % (100 * f1["rate"] / a1["rate"], 100 * e1["rate"] / a1["rate"],
                     "yes" if f1["rate"] >= e1["rate"] else "**no**"))
    print()
if details:
    print("## Replies other than expected, transport errors")
    print()
    code_block(details)
print("## End-to-end check (one spooled message per daemon, `mailseal verify`)")
print()
code_block(e2e)
print("## Reproduce")
print()
print("    make && sudo bench/exim.sh build      # or: make bench (runs it after bench/run.sh)")
print()
print("Run time of `bench/exim.sh` for this report: %s s." % M.get("elapsed", "?"))
sys.exit(1 if bad else 0)
PY
bench_finish "$DOC" - "$OUT/report.md" "$rc"
