# exim/lib.sh - private Exim daemons (Debian's exim4, `-C` config) on
# loopback, for tests.  Source it after tests/lib/nsd.sh (free_port) and
# tests/lib/check.sh, set EXIM_HOME to an empty directory (every daemon
# lives under it; Debian-exim must be able to reach it: the path down to
# it world-searchable), then:
#
#   exim_tls_init               a test CA, a server certificate for
#                               EXIM_HOST and a client certificate
#                               (EXIM_HOME/tls/{ca,server,client}.{crt,key})
#   exim_start NAME [MODULE MSCONF]
#                               a daemon NAME on 127.0.0.1:EXIM_PORT_NAME;
#                               with MODULE, local_scan_path = MODULE and
#                               MAILSEAL_CONFIG=MSCONF in its environment
#                               (and Exim's own DKIM verification off);
#                               MODULE "static": EXIM_BIN has the module
#                               compiled in (LOCAL_SCAN_SOURCE), so no
#                               local_scan_path.  Without: the same
#                               config, no module.  EXIM_EXTRA_MAIN:
#                               more lines for the main section.
#   exim_stop NAME, exim_stop_all (the caller's EXIT trap)
#   exim_san_pass_done          exit 0 (saying why) in the ASan pass when
#                               the normal build's pass ran too: Exim
#                               loads the normal build's module (t-exim.sh)
#   exim_running NAME           the daemon is alive and answers with 220
#   exim_send NAME FILE [-a|-l] [-t] [-c] [-f FROM] [-r RCPT] [-- SWAKS-ARGS]
#                               one SMTP session with swaks: -t STARTTLS
#                               (the server certificate verified against
#                               the test CA), -a AUTH PLAIN / -l AUTH LOGIN
#                               as EXIM_USER (imply -t), -c present the
#                               client certificate (implies -t); FROM
#                               defaults to the From address, RCPT to
#                               rcpt@example.net.  Sets EXIM_REPLY (the
#                               reply to the final dot, "" if the session
#                               never got there), EXIM_ID (the message id
#                               of a 250) and EXIM_TRANSCRIPT (the file
#                               holding the whole conversation).
#   exim_count NAME             messages delivered so far
#   exim_wait_count NAME N [SECS]   until N are delivered (default 10 s)
#   exim_nth NAME N             the file of the N-th delivered message
#   exim_find NAME STRING       the delivered file(s) containing STRING
#   exim_wait_find NAME STRING [SECS]
#   exim_wait_idle NAME [SECS]  until the queue is empty and no delivery
#                               process of the daemon is left
#   exim_log NAME / exim_paniclog NAME    the log files' paths
#   exim_log_grep NAME ERE      grep -E in the main log
#   exim_panics NAME            paniclog lines other than the expected
#                               "exim user lost privilege for using -C option"
#   exim_bounces NAME           bounces: queue entries from <> and
#                               delivered messages with Return-path: <>
#   hdr FILE NAME               the (unfolded, CR-less) values of the
#                               header fields NAME of a message, one a line
#   docblock NAME [FILE]        the code block of docs/exim.md (or FILE)
#                               marked with a line "<!-- test: NAME -->"
#                               above it, without its indentation; fails
#                               when there is no such block
#
# More for exim_start, each a block of lines: EXIM_EXTRA_RCPT_ACL (at the
# top of the RCPT ACL), EXIM_EXTRA_DATA_ACL (in the DATA ACL, after the
# test's own X-Test-Mailseal line, before its accept), EXIM_EXTRA_ROUTERS (before the router that takes everything),
# EXIM_EXTRA_TRANSPORTS.
#
# Every message goes to one maildir per daemon (EXIM_HOME/NAME/maildir,
# written with CRLF line ends so DKIM verifiers read it as it was), the
# envelope recipient whatever it is: Exim refuses mailbox paths built
# from the recipient.  Mail is accepted for EXIM_LOCAL_DOMAINS, and for
# any domain from an authenticated client (relay).  The ACL variable
# acl_m_mailseal is set per message from a recipient local part
# "MODE+..." (sign+x@..., verify+x@..., skip+x@...) or from an
# "X-Test-Mailseal: MODE" header field (the DATA ACL runs before
# local_scan).  AUTH PLAIN and LOGIN are advertised only over TLS.
# Delivery is immediate.  Spool, logs and pid file are the daemon's own,
# under EXIM_HOME/NAME, owned by Debian-exim (Exim drops root under -C).
# swaks ends the data with one more CRLF than the file has: an empty
# line added to the body, which no DKIM body canonicalization sees.

EXIM_HOST=${EXIM_HOST:-mx.example.com}
EXIM_BIN=${EXIM_BIN:-exim4}     # or an Exim built with the module inside
EXIM_LOCAL_DOMAINS=${EXIM_LOCAL_DOMAINS:-example.com : example.net}
EXIM_USER=${EXIM_USER:-submit-user}
EXIM_PASS=${EXIM_PASS:-s3cret-submission-pw}
EXIM_NAMES=""
EXIM_PANIC_OK='exim user lost privilege for using -C option'

exim_san_pass_done() {
	case "${MAILSEAL_BUILD:-build}" in
	*san*)
		case " ${MAILSEAL_BUILDS:-} " in
		*" build "*)
			echo "# not repeated for ${MAILSEAL_BUILD}: Exim loads the normal build's module, tested in the build pass"
			exit 0 ;;
		esac ;;
	esac
}

exim_tls_init() {
	local d="$EXIM_HOME/tls" n
	mkdir -p "$d" || return 1
	(
		cd "$d" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout ca.key -out ca.crt -days 30 -subj "/O=mailseal test/CN=mailseal test CA" \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
		for n in server client; do
			if [ $n = server ]; then
				subj="/O=mailseal test/CN=$EXIM_HOST"
				ext=$(printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$EXIM_HOST")
			else
				subj="/O=Org/CN=client1"
				ext=$(printf 'subjectAltName=DNS:mx1.sender.example\nextendedKeyUsage=clientAuth\n')
			fi
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
				-keyout $n.key -out $n.csr -subj "$subj"
			openssl x509 -req -in $n.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
				-out $n.crt -days 30 -extfile <(echo "$ext")
		done
	) > "$d/openssl.out" 2>&1 || { sed 's/^/# /' "$d/openssl.out"; return 1; }
	chmod 755 "$d"
	chmod 644 "$d"/*.crt "$d/server.key"     # Exim runs as Debian-exim
}

# exim_conf NAME PORT [MODULE]: write EXIM_HOME/NAME/exim.conf
exim_conf() {
	local name=$1 port=$2 module=${3:-} d="$EXIM_HOME/$1" tls="$EXIM_HOME/tls"
	cat > "$d/exim.conf" <<EOF
# generated by tests/exim/lib.sh for daemon "$name"
primary_hostname = $EXIM_HOST
qualify_domain = ${EXIM_HOST#*.}
domainlist local_domains = $EXIM_LOCAL_DOMAINS
spool_directory = $d/spool
log_file_path = $d/log/%slog
pid_file_path = $d/exim.pid
local_interfaces = <; 127.0.0.1
daemon_smtp_ports = $port
log_selector = +received_recipients +smtp_confirmation +tls_peerdn +smtp_protocol_error +deliver_time
host_lookup =
rfc1413_hosts =
smtp_accept_max = 200
smtp_accept_queue_per_connection = 0
smtp_receive_timeout = 30s
queue_only = false
timeout_frozen_after = 0s
tls_advertise_hosts = *
tls_certificate = $tls/server.crt
tls_privatekey = $tls/server.key
tls_verify_certificates = $tls/ca.crt
tls_try_verify_hosts = *
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data
${EXIM_EXTRA_MAIN:-}
EOF
	if [ "$module" = static ]; then
		cat >> "$d/exim.conf" <<EOF
keep_environment = MAILSEAL_CONFIG
exim_path = $EXIM_BIN
EOF
	elif [ -n "$module" ]; then
		cat >> "$d/exim.conf" <<EOF
keep_environment = MAILSEAL_CONFIG
local_scan_path = $module
EOF
	else
		echo "keep_environment =" >> "$d/exim.conf"
	fi
	cat >> "$d/exim.conf" <<EOF

begin acl
acl_rcpt:
${EXIM_EXTRA_RCPT_ACL:-}
  warn    set acl_m_mailseal = \${if match{\$local_part}{\N^(sign|verify|skip)\+\N}{\$1}{\$acl_m_mailseal}}
EOF
	[ -n "$module" ] && echo "  warn    control = dkim_disable_verify" >> "$d/exim.conf"
	cat >> "$d/exim.conf" <<EOF
  accept  authenticated = *
  accept  domains = +local_domains
  deny    message = relay not permitted

acl_data:
  warn    condition = \${if def:h_X-Test-Mailseal:}
          set acl_m_mailseal = \${lc:\${sg{\$h_X-Test-Mailseal:}{\N\s\N}{}}}
${EXIM_EXTRA_DATA_ACL:-}
  accept

begin routers
${EXIM_EXTRA_ROUTERS:-}
everything:
  driver = accept
  transport = maildir

begin transports
maildir:
  driver = appendfile
  directory = $d/maildir
  maildir_format
  create_directory
  use_crlf
  return_path_add
  envelope_to_add
  user = Debian-exim
  mode = 0644

${EXIM_EXTRA_TRANSPORTS:-}

begin retry
*  *  F,1h,1m

begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and {{eq{\$auth2}{$EXIM_USER}}{eq{\$auth3}{$EXIM_PASS}}}}
  server_set_id = \$auth2
  server_advertise_condition = \${if def:tls_in_cipher}

login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = "Username:: : Password::"
  server_condition = \${if and {{eq{\$auth1}{$EXIM_USER}}{eq{\$auth2}{$EXIM_PASS}}}}
  server_set_id = \$auth1
  server_advertise_condition = \${if def:tls_in_cipher}
EOF
	chmod 644 "$d/exim.conf"
}

exim_pid() { cat "$EXIM_HOME/$1/daemon.pid" 2>/dev/null; }
exim_port() { eval "echo \${EXIM_PORT_$1:-}"; }
exim4c() { local n=$1; shift; "$EXIM_BIN" -C "$EXIM_HOME/$n/exim.conf" "$@"; }

# exim_banner PORT: read the greeting (bash's /dev/tcp, bounded)
exim_banner() {
	timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$1"' && head -c 3 <&3 && printf "QUIT\r\n" >&3' 2>/dev/null
}

exim_running() {
	local pid; pid=$(exim_pid "$1")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(exim_banner "$(exim_port "$1")")" = 220 ]
}

exim_start() {
	local name=$1 module=${2:-} msconf=${3:-} d="$EXIM_HOME/$1" port i pid
	mkdir -p "$d/spool" "$d/log" "$d/maildir/new" "$d/maildir/cur" "$d/maildir/tmp"
	chown -R Debian-exim:Debian-exim "$d/spool" "$d/log" "$d/maildir"
	chmod 755 "$EXIM_HOME" "$d"
	port=$(free_port)
	exim_conf "$name" "$port" "$module"
	if [ -n "$module" ]; then
		MAILSEAL_CONFIG=$msconf "$EXIM_BIN" -C "$d/exim.conf" -bdf -oX "$port" -oP "$d/exim.pid" \
			> "$d/daemon.out" 2>&1 &
	else
		"$EXIM_BIN" -C "$d/exim.conf" -bdf -oX "$port" -oP "$d/exim.pid" > "$d/daemon.out" 2>&1 &
	fi
	pid=$!
	echo "$pid" > "$d/daemon.pid"
	eval "EXIM_PORT_$name=$port"
	EXIM_NAMES="$EXIM_NAMES $name"
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		[ "$(exim_banner "$port")" = 220 ] && return 0
		sleep 0.1
	done
	echo "# exim $name did not start:"
	sed 's/^/#   /' "$d/daemon.out" "$d/log/paniclog" "$d/log/mainlog" 2>/dev/null | tail -20
	return 1
}

# the daemon's children (SMTP sessions, deliveries) and theirs
exim_children() {
	local p c
	for p in "$@"; do
		for c in $(pgrep -P "$p" 2>/dev/null); do echo "$c"; exim_children "$c"; done
	done
}

exim_stop() {
	local name=$1 pid kids i
	pid=$(exim_pid "$name")
	[ -n "$pid" ] || return 0
	kids=$(exim_children "$pid")
	kill "$pid" 2>/dev/null
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# sessions and deliveries it forked are not stopped by its TERM
	for i in $kids; do kill "$i" 2>/dev/null; done
	rm -f "$EXIM_HOME/$name/daemon.pid"
}

exim_stop_all() {
	local n
	for n in $EXIM_NAMES; do exim_stop "$n"; done
	EXIM_NAMES=""
}

# exim_send NAME FILE [-a] [-l] [-t] [-c] [-f FROM] [-r RCPT] [-- SWAKS-ARGS]
EXIM_SEQ=0
exim_send() {
	local name=$1 file=$2 tls="" auth="" cert="" from="" rcpt="rcpt@example.net" out
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		-a) auth=PLAIN tls=1 ;;
		-l) auth=LOGIN tls=1 ;;
		-t) tls=1 ;;
		-c) cert=1 tls=1 ;;
		-f) from=$2; shift ;;
		-r) rcpt=$2; shift ;;
		--) shift; break ;;
		*) echo "exim_send: bad option $1" >&2; return 2 ;;
		esac
		shift
	done
	if [ -z "$from" ]; then         # the envelope sender: the From address
		from=$(hdr "$file" From | head -1 | grep -oE '[^<> ",]+@[^<> ",]+' | head -1)
		from=${from:-nobody@nowhere.example}
	fi
	EXIM_SEQ=$((EXIM_SEQ + 1))
	out="$EXIM_HOME/$name/session-$EXIM_SEQ.txt"
	local args=(--server 127.0.0.1 --port "$(exim_port "$name")" --helo client.example.org
		--from "$from" --to "$rcpt" --data "@$file" --timeout 30)
	[ -n "$tls" ] && args+=(--tls --tls-verify --tls-ca-path "$EXIM_HOME/tls/ca.crt")
	[ -n "$cert" ] && args+=(--tls-cert "$EXIM_HOME/tls/client.crt" --tls-key "$EXIM_HOME/tls/client.key")
	[ -n "$auth" ] && args+=(--auth "$auth" --auth-user "$EXIM_USER" --auth-password "$EXIM_PASS")
	swaks "${args[@]}" "$@" < /dev/null > "$out" 2>&1
	EXIM_TRANSCRIPT=$out
	# the first reply after the client's final "." (swaks: " -> ." or,
	# under TLS, " ~> ."; then "<-  250 ...", "<~  250 ...", "<** 550 ...")
	EXIM_REPLY=$(awk '{ sub(/\r$/, "") }
		/^ [-~]> \.$/ { dot = 1; next }
		dot && /^<[-~*][-~*]? / { sub(/^<[-~*][-~*]? +/, ""); print; exit }' "$out")
	EXIM_ID=$(printf '%s\n' "$EXIM_REPLY" | sed -n 's/^250 .*id=\([0-9A-Za-z-]*\).*/\1/p')
	return 0
}

exim_maildir() { echo "$EXIM_HOME/$1/maildir/new"; }
exim_count() { find "$(exim_maildir "$1")" -type f | wc -l; }

exim_wait_count() {
	local name=$1 n=$2 secs=${3:-10} i
	for i in $(seq 1 $((secs * 20))); do
		[ "$(exim_count "$name")" -ge "$n" ] && return 0
		sleep 0.05
	done
	return 1
}

# in delivery order (modification time, to the nanosecond)
exim_nth() { ls -1tr "$(exim_maildir "$1")" | sed -n "${2}p" | sed "s|^|$(exim_maildir "$1")/|"; }
exim_find() { grep -lF -- "$2" "$(exim_maildir "$1")"/* 2>/dev/null; }

exim_wait_find() {
	local name=$1 s=$2 secs=${3:-10} i
	for i in $(seq 1 $((secs * 20))); do
		exim_find "$name" "$s" > /dev/null && { exim_find "$name" "$s"; return 0; }
		sleep 0.05
	done
	return 1
}

exim_queue() { exim4c "$1" -bp 2>/dev/null; }

exim_wait_idle() {
	local name=$1 secs=${2:-10} i pid
	pid=$(exim_pid "$name")
	for i in $(seq 1 $((secs * 20))); do
		if [ -z "$(exim_queue "$name")" ] && [ -z "$(exim_children "$pid")" ]; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

exim_log() { echo "$EXIM_HOME/$1/log/mainlog"; }
exim_paniclog() { echo "$EXIM_HOME/$1/log/paniclog"; }
exim_log_grep() { grep -E -- "$2" "$(exim_log "$1")" 2>/dev/null; }
exim_panics() {
	[ -f "$(exim_paniclog "$1")" ] || return 0
	grep -vF -- "$EXIM_PANIC_OK" "$(exim_paniclog "$1")"
}

exim_bounces() {
	exim_queue "$1" | grep -F '<>'
	grep -liE '^Return-path: *<>' "$(exim_maildir "$1")"/* 2>/dev/null
	return 0
}

hdr() {         # hdr FILE NAME: unfolded values of header NAME
	awk -v want="$(printf '%s' "$2" | tr 'A-Z' 'a-z')" '
	function flush() { if (cur != "") { n = index(cur, ":"); if (tolower(substr(cur, 1, n - 1)) == want) { v = substr(cur, n + 1); sub(/^[ \t]+/, "", v); print v } } cur = "" }
	{ sub(/\r$/, "") }
	/^$/ { flush(); exit }
	/^[ \t]/ { sub(/^[ \t]+/, ""); cur = cur " " $0; next }
	{ flush(); cur = $0 }
	END { flush() }' "$1"
}

# docblock NAME [FILE]: the block under "<!-- test: NAME -->" (an
# indented block: its 4 spaces removed; or a fenced one)
docblock() {
	local f=${2:-$ROOT/docs/exim.md}
	awk -v want="<!-- test: $1 -->" '
	!on && $0 == want { on = 1; next }
	on == 1 && /^[ \t]*$/ { next }
	on == 1 && /^```/ { on = 3; next }
	on == 1 { on = 2 }
	on == 2 && /^[^ \t]/ && !/^$/ { exit }
	on == 2 { sub(/^    /, ""); buf = buf $0 "\n"; n++; next }
	on == 3 && /^```/ { exit }
	on == 3 { buf = buf $0 "\n"; n++ }
	END { sub(/\n+$/, "\n", buf); printf "%s", buf; exit (n ? 0 : 1) }' "$f"
}
