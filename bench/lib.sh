# bench/lib.sh - what bench/exim.sh, bench/policy.sh and bench/postfix.sh
# share.  Source it (bash) with these set: BENCH_NAME (the prefix of
# say and die), ROOT (the checkout, the current directory), BUILD (the
# build directory), RES (for bench_finish: the results file).  Sourcing it
# also sources tests/lib/nsd.sh and sets PY (/usr/bin/python3), T0 and
# LOAD0 (the start: time, load average).
#
#   say MSG..., die MSG...     a line to stderr; die exits 2
#   bench_py ARGS...           $PY with bench/ on the module path (reportlib)
#   bench_install PKG...       apt-get install PKG... (none: nothing)
#   bench_cc SRC OUT [FLAG...] compile a load generator, warnings as errors
#   bench_places NAME [SPOOL KNOB]
#                              T, a directory under /tmp; with SPOOL, RUN:
#                              under /dev/shm (tmpfs) or T (disk)
#   bench_remove KEEP DIR...   remove DIR... unless KEEP is set
#   bench_trap CMD             CMD at exit; INT and TERM exit 130 (so it runs)
#   bench_results DIR          RES=DIR/results.txt, made empty
#   bench_netns PREFIX SCRIPT ARGS...
#                              outside: bash SCRIPT ARGS in a network
#                              namespace of its own (BENCH_NS set there),
#                              then the namespace removed; exits with it
#   bench_dns DIR [FILE...]    nsd serving example.org
#   bench_txt NAME [PORT]      NAME's TXT record, through resolv.conf or
#                              of 127.0.0.1:PORT
#   bench_corpus DIR N SEED DOMAIN SELECTOR...
#                              keys, corpus, signed corpus; CORPUS_STATS
#   bench_policyd_copy DST, bench_policyd_start CONF LOG [PERF_FILE],
#   bench_policyd_stop         mailseal-policyd: a copy (POLICYD_BIN,
#                              POLICYD_INFO) run as MS_PID (PERF_PID)
#   bench_spf_fetch            (outside the namespace) Debian's policyd-spf
#                              script and configuration, unpacked once
#   bench_spf_copy DIR [LINE...]
#                              DIR/policyd-spf and DIR/policyd-spf.conf
#                              (the default configuration, then LINEs);
#                              SPF_FROM says where they came from;
#                              bench_spf_versions: the packages behind it
#   proc_cpu PID, machine_busy, TICK
#                              CPU ticks of a process, of the machine
#   bench_rounds ROUNDS ARRAY LABEL UNIT CMD...
#                              the interleaved rounds
#   bench_machine, bench_commit DIR...
#                              lines of machine.txt
#   bench_finish DOC SECTION FRAGMENT RC
#                              the report into DOC; the exit status

PY=/usr/bin/python3
T0=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
TICK=$(getconf CLK_TCK)
. "$ROOT/tests/lib/nsd.sh"      # nsd_start, nsd_stop, free_port

say() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
die() { say "$*"; exit 2; }

bench_py() { PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$ROOT/bench" "$PY" "$@"; }

bench_install() {
	[ $# -gt 0 ] || return 0
	say "installing $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
		> /dev/null 2>&1 || die "apt-get install $* failed"
}

bench_cc() {    # SRC OUT [FLAG...]
	local src=$1 out=$2
	shift 2
	say "compiling $src"
	cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L "$@" -Wall -Wextra -Werror -Wshadow \
		-Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wwrite-strings \
		-o "$out" "$src" || die "$(basename "$src" .c) does not compile"
}

bench_places() {        # NAME [SPOOL KNOB]; 755: the servers run as their own users
	case ${2-tmpfs} in
	tmpfs | disk) ;;
	*) die "$3 is tmpfs or disk, not $2" ;;
	esac
	T=$(mktemp -d "/tmp/mailseal-$1-bench.XXXXXX")
	chmod 755 "$T"
	[ $# -gt 1 ] || return 0
	if [ "$2" = tmpfs ]; then
		RUN=$(mktemp -d "/dev/shm/mailseal-$1-bench.XXXXXX")
	else
		RUN=$T/run
		mkdir "$RUN"
	fi
	chmod 755 "$RUN"
}

bench_remove() {        # KEEP DIR...
	local keep=$1
	shift
	if [ -n "$keep" ]; then
		say "kept $(printf '%s and ' "$@" | sed 's/ and $//')"
	else
		rm -rf "$@"
	fi
}

bench_trap() { trap "$1" EXIT; trap 'exit 130' INT TERM; }

bench_results() { mkdir -p "$1"; RES=$1/results.txt; : > "$RES"; }

# bench_netns PREFIX SCRIPT ARGS...: the namespace PREFIX$$ with lo up and
# /etc/netns/PREFIX$$/resolv.conf naming 127.0.0.1 (programs that know
# only /etc/resolv.conf and port 53 ask bench_dns's nsd there); SCRIPT
# runs in it with BENCH_NS=PREFIX$$ and must test BENCH_NS to know it is
# inside.  Does not return.
bench_netns() {
	BENCH_NS=$1$$
	shift
	bench_trap 'ip netns del "$BENCH_NS" 2> /dev/null; rm -rf "/etc/netns/$BENCH_NS"'
	ip netns add "$BENCH_NS" || die "ip netns add failed"
	ip netns exec "$BENCH_NS" ip link set lo up || die "no loopback in the namespace"
	mkdir -p "/etc/netns/$BENCH_NS"
	echo "nameserver 127.0.0.1" > "/etc/netns/$BENCH_NS/resolv.conf"
	BENCH_NS=$BENCH_NS ip netns exec "$BENCH_NS" "$BASH" "$@"
	exit $?
}

# bench_dns DIR [FILE...]: DIR/example.org.zone (SOA, NS, ns A, then the
# lines of each FILE) served by nsd (tests/lib/nsd.sh's nsd_start: a free
# port of 127.0.0.1, NSD_PORT, rate limiting off; in bench_netns's
# namespace 127.0.0.1:53 too, the port resolv.conf can name); nsd_stop
# stops it
bench_dns() {
	local dir=$1
	shift
	mkdir -p "$dir"
	nsd_zone example.org 3600 "$@" > "$dir/example.org.zone"
	NSD_EXTRA=${BENCH_NS:+ip-address: 127.0.0.1@53} nsd_start "$dir" example.org >&2 ||
		die "nsd did not start"
}

bench_txt() {   # NAME [PORT]: the strings of the first TXT record, or the error
	bench_py - "$@" <<'PY' 2>&1
import sys, dns.resolver
r = dns.resolver.Resolver(configure=len(sys.argv) < 3)
if len(sys.argv) > 2:
    r.nameservers, r.port = ["127.0.0.1"], int(sys.argv[2])
print(b"".join(r.resolve(sys.argv[1], "TXT")[0].strings).decode())
PY
}

# bench_corpus DIR N SEED DOMAIN SELECTOR...: a key DIR/keys/SELECTOR.private
# (and .txt, its DNS record) for DOMAIN per SELECTOR (`mailseal keygen`);
# N messages DIR/corpus/msg-NNNN.eml (gencorpus.py --sized: 3-30 KB once
# signed, From DOMAIN); each signed by the first key into DIR/signed/
# (`mailseal sign`, rsa-sha256, RSA-2048, relaxed/relaxed); CORPUS_STATS:
# "n= bytes= min= median= max=" of the signed ones
bench_corpus() {
	local dir=$1 n=$2 seed=$3 domain=$4 s
	shift 4
	mkdir -p "$dir/keys" "$dir/corpus" "$dir/signed"
	for s in "$@"; do
		"$BUILD/mailseal" keygen -d "$domain" -s "$s" -o "$dir/keys" > /dev/null ||
			die "keygen failed"
	done
	bench_py "$ROOT/bench/gencorpus.py" --seed "$seed" --sized "$n" --domain "$domain" \
		--out "$dir/corpus" || die "corpus generation failed"
	"$BUILD/mailseal" sign -d "$domain" -s "$1" -k "$dir/keys/$1.private" \
		--out-dir "$dir/signed" "$dir"/corpus/*.eml || die "signing the corpus failed"
	CORPUS_STATS=$(stat -c %s "$dir"/signed/*.eml | sort -n | awk '
		{ s[NR] = $1; t += $1 }
		END { printf "n=%d bytes=%d min=%d median=%d max=%d", NR, t, s[1], s[int((NR + 1) / 2)], s[NR] }')
	say "corpus: $CORPUS_STATS"
}

# bench_policyd_copy DST: BUILD/mailseal-policyd copied to DST (a rebuild
# during the run must not change what is measured); POLICYD_INFO says
# which build it is
bench_policyd_copy() {
	cp "$BUILD/mailseal-policyd" "$1" || die "cannot copy $BUILD/mailseal-policyd"
	POLICYD_INFO="$(stat -c '%s bytes, built %y' "$BUILD/mailseal-policyd" | cut -d. -f1), sha256 $(sha256sum "$1" | cut -c1-12)"
	POLICYD_BIN=$1
}

# bench_policyd_start CONF LOG [PERF_FILE]: the copy in the foreground
# mode (-f), in the background; MS_PID.  With PERF_FILE, under `perf
# record -g -o PERF_FILE` (PERF_PID; MS_PID is perf's child, so its CPU
# is still the daemon's own).
bench_policyd_start() {
	local i
	MS_PID="" PERF_PID=""
	if [ -n "${3:-}" ]; then
		perf record -e cpu-clock -F 4999 -g -o "$3" -- \
			"$POLICYD_BIN" -c "$1" -f > "$2" 2>&1 &
		PERF_PID=$!
		for i in $(seq 1 100); do
			MS_PID=$(pgrep -P "$PERF_PID" | head -1)
			[ -n "$MS_PID" ] && break
			sleep 0.05
		done
	else
		"$POLICYD_BIN" -c "$1" -f > "$2" 2>&1 &
		MS_PID=$!
	fi
}

bench_policyd_stop() {
	local p=${MS_PID:-${PERF_PID:-}}
	[ -n "$p" ] || return 0
	kill "$p" 2> /dev/null
	wait ${MS_PID:+"$MS_PID"} ${PERF_PID:+"$PERF_PID"} 2> /dev/null
	# a grandchild under perf: wait until it is gone
	for _ in $(seq 1 100); do kill -0 "$p" 2> /dev/null || break; sleep 0.05; done
	MS_PID="" PERF_PID=""
}

# bench_spf_fetch: postfix-policyd-spf-python's /usr/bin/policyd-spf and
# its default policyd-spf.conf, unpacked from the .deb once into
# SPF_CACHE (the package itself cannot be installed next to exim4: it
# depends on postfix); its code is python3-spf-engine's.  Run it outside
# bench_netns's namespace (the registry is not reachable from it).
SPF_CACHE=${MAILSEAL_CACHE:-/var/cache/mailseal-test}/policyd-spf
bench_spf_fetch() {
	$PY -c 'import spf_engine.policyd_spf, dns.resolver' 2> /dev/null || bench_install python3-spf-engine
	[ -s "$SPF_CACHE/root/usr/bin/policyd-spf" ] && return 0
	(
		mkdir -p "$SPF_CACHE/dl" && cd "$SPF_CACHE/dl" && rm -rf ../root ./*.deb &&
			{ chown _apt . 2> /dev/null; true; } &&
			apt-get download postfix-policyd-spf-python > apt.log 2>&1 &&
			dpkg -x postfix-policyd-spf-python_*.deb ../root &&
			basename postfix-policyd-spf-python_*.deb > ../deb
	) || say "apt-get download postfix-policyd-spf-python failed: using the engine's entry point"
}

# bench_spf_copy DIR [LINE...]: the script and configuration into DIR
# (readable by nobody, the user spawn(8) runs it as), LINEs appended to
# the configuration (a later setting overrides an earlier one)
bench_spf_copy() {
	local dir=$1
	shift
	mkdir -p "$dir"
	if [ -s "$SPF_CACHE/root/usr/bin/policyd-spf" ]; then
		cp "$SPF_CACHE/root/usr/bin/policyd-spf" "$dir/policyd-spf"
		cp "$SPF_CACHE/root/etc/postfix-policyd-spf-python/policyd-spf.conf" "$dir/policyd-spf.conf"
		SPF_FROM="policyd-spf and policyd-spf.conf of $(cat "$SPF_CACHE/deb")"
	else
		# what /usr/bin/policyd-spf and the default policyd-spf.conf say
		printf '#!/usr/bin/python3\nimport sys\nfrom spf_engine.policyd_spf import main\nsys.exit(main())\n' \
			> "$dir/policyd-spf"
		printf 'debugLevel = 1\nTestOnly = 1\nHELO_reject = Fail\nMail_From_reject = Fail\nPermError_reject = False\nTempError_Defer = False\nskip_addresses = 127.0.0.0/8,::ffff:127.0.0.0/104,::1\n' \
			> "$dir/policyd-spf.conf"
		SPF_FROM="spf_engine.policyd_spf.main (python3-spf-engine), Debian's default configuration"
	fi
	[ $# -eq 0 ] || printf '%s\n' "$@" >> "$dir/policyd-spf.conf"
	chmod 755 "$dir" "$dir/policyd-spf"
	chmod 644 "$dir/policyd-spf.conf"
}
bench_spf_versions() {
	echo "python3-spf-engine $(dpkg-query -W -f='${Version}' python3-spf-engine), python3-spf $(dpkg-query -W -f='${Version}' python3-spf), python3-dnspython $(dpkg-query -W -f='${Version}' python3-dnspython)"
}

# bench_exim_main SCRIPT NAME DIR INTERFACES [MODULE [prewarm]]: the main
# section every benchmark's Exim daemon shares (hostname, DIR's spool and
# logs, the listening INTERFACES, no lookups, no TLS, no queueing per
# connection, acl_smtp_rcpt = acl_rcpt); with MODULE, local_scan_path
# naming it and MAILSEAL_CONFIG kept, and with "prewarm" the engine built
# in the daemon (mailseal_prewarm, docs/exim.md); without, an empty
# environment.  The caller adds its own options after it.
bench_exim_main() {
	local script=$1 name=$2 d=$3 ifs=$4 module=${5:-}
	cat <<EOF
# $script: configuration "$name"
primary_hostname = $HOST
qualify_domain = bench.example.org
spool_directory = $d/spool
log_file_path = $d/log/%slog
local_interfaces = $ifs
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
smtp_accept_max = 200
smtp_accept_queue_per_connection = 0
smtp_connect_backlog = 128
smtp_receive_timeout = 30s
acl_smtp_rcpt = acl_rcpt
EOF
	if [ -z "$module" ]; then
		echo "keep_environment ="
		return
	fi
	echo "keep_environment = MAILSEAL_CONFIG"
	echo "local_scan_path = $module"
	[ "${6:-}" != prewarm ] ||
		echo "smtp_accept_max_per_host = \${dlfunc{$module}{mailseal_prewarm}}"
}

# bench_exim_start NAME DIR PORT MAILSEAL_CONFIG [reaper]: Debian's Exim
# as a daemon on 127.0.0.1:PORT with DIR/exim.conf (what it says in
# DIR/daemon.out, its pid file DIR/exim.pid), MAILSEAL_CONFIG in its
# environment and nothing else; returns once it answers 220, its pid in
# EXIM_PID[NAME] (an associative array the caller declares).  With
# "reaper" it is made a child subreaper first (PR_SET_CHILD_SUBREAPER,
# kept across exec): processes its children leave behind (the delivery
# processes, which their receiving process does not wait for) are reaped
# by it, not by init, so that its reaped-children time holds them all.
bench_exim_start() {
	local name=$1 d=$2 port=$3 mconf=$4 i
	local -a pre=()
	if [ "${5:-}" = reaper ]; then
		pre=("$PY" -c 'import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")
os.execvp(sys.argv[1], sys.argv[1:])')
	fi
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin MAILSEAL_CONFIG="$mconf" "${pre[@]}" \
		exim4 -C "$d/exim.conf" -bdf -oX "$port" -oP "$d/exim.pid" > "$d/daemon.out" 2>&1 &
	EXIM_PID[$name]=$!
	for i in $(seq 1 50); do
		kill -0 "${EXIM_PID[$name]}" 2> /dev/null || break
		[ "$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -c 3 <&3 && printf 'QUIT\r\n' >&3" 2> /dev/null)" = 220 ] &&
			return 0
		sleep 0.1
	done
	die "exim ($name) did not start: $(cat "$d/daemon.out" "$d/log/paniclog" 2> /dev/null | tail -5)"
}

proc_cpu() {    # PID: its utime + stime and its reaped children's, in ticks (0: none)
	[ -n "$1" ] && awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" 2> /dev/null || echo 0
}
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }     # ticks

# bench_rounds ROUNDS ARRAY LABEL UNIT CMD...: ROUNDS rounds, each running
# `CMD... NAME ROUND` once for every NAME of the array named ARRAY, the
# order rotating by one per round; says "LABEL R/ROUNDS: NAME=OUT ... UNIT"
# after each (OUT: what CMD printed)
bench_rounds() {
	local rounds=$1 label=$3 unit=$4 r k nn line name
	local -n names=$2
	shift 4
	nn=${#names[@]}
	for r in $(seq 1 "$rounds"); do
		line="$label $r/$rounds:"
		for k in $(seq 0 $((nn - 1))); do
			name=${names[$(( (k + r - 1) % nn ))]}
			line="$line $name=$("$@" "$name" "$r")"
		done
		say "$line $unit"
	done
}

# bench_machine: the machine.txt lines of every report
bench_machine() {
	echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "nproc=$(nproc)"
	echo "kernel=$(uname -sr)"
	# shellcheck disable=SC1091
	echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "nsd=$(dpkg-query -W -f='${Version}' nsd)"
	echo "openssl=$(openssl version)"
	echo "load_at_start=$LOAD0"
	echo "elapsed=$(( $(date +%s) - T0 ))"
}

# bench_commit DIR...: the checkout's commit, "HASH DATE", and
# " (+ uncommitted changes in DIR/ or DIR/)" when those have any
bench_commit() {
	local c
	c=$(git log -1 --format='%h %cd' --date=short 2> /dev/null || echo unknown)
	if git --no-optional-locks status --porcelain "$@" 2> /dev/null | grep . > /dev/null; then
		c="$c (+ uncommitted changes in $(printf '%s/ or ' "$@" | sed 's/ or $//'))"
	fi
	echo "$c"
}

# bench_finish DOC SECTION FRAGMENT RC: FRAGMENT (the report) written as
# DOC's section SECTION (bench/docsplice.py), or as the whole of DOC when
# SECTION is "-", and shown; then exit: 1 when RC (the report's status)
# is not 0, some numbers INVALID, else 0
bench_finish() {
	local doc=$1 sec=$2 frag=$3 rc=$4 what=$1
	mkdir -p "$(dirname "$doc")"
	if [ "$sec" = - ]; then
		cp "$frag" "$doc.tmp" && mv "$doc.tmp" "$doc" || die "cannot write $doc"
	else
		bench_py "$ROOT/bench/docsplice.py" "$doc" "$sec" "$frag" || die "cannot write $doc"
		what="the $sec section of $doc"
	fi
	cat "$frag"
	say "wrote $what in $(( $(date +%s) - T0 )) s; raw results in $RES"
	if [ "$rc" != 0 ]; then
		say "some numbers are INVALID (see the check column)"
		exit 1
	fi
	exit 0
}
