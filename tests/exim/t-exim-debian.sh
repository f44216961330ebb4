#!/bin/bash
# t-exim-debian.sh - the Debian set-up of docs/exim.md, as written there,
# on Debian's own exim4-config files.  The blocks of docs/exim.md marked
# "test: debian-macros", "test: data-acl" and "test: debian-commands" are
# read from the document itself, so that what it tells a new user and
# what this test runs cannot drift apart:
#   - a copy of /etc/exim4 gets the macros file of each scheme (the
#     default, non-split exim4.conf.localmacros; and conf.d/main/
#     000_localmacros with dc_use_split_config='true') and the DATA ACL
#     file the macros name;
#   - each line of the commands block is run: update-exim4.conf (to a
#     file of the test), the restart (an Exim daemon started with -C on
#     the generated file, on a high loopback port), exim4 -bP
#     local_scan_path (must print the module), mailseal config check as
#     Debian-exim; a line the test does not know is a failure;
#   - signed and forged mail through that daemon: dkim=pass for the
#     signed, 550 for the forged, skip for a forgery to the postmaster
#     alone, 550 when the postmaster is one of its recipients, and no
#     DKIM verification by Exim itself;
#   - SPF before DATA (mailseal_spf): the macro of "test:
#     debian-rcpt-macro" and the RCPT ACL file of "test: rcpt-spf" in
#     both schemes, check_spf with on_spf_fail = reject in mailseal.conf;
#     from 127.0.0.2 (Debian accepts 127.0.0.1, in relay_from_hosts,
#     before the included file): a failing sender refused with 550
#     5.7.23 at RCPT TO, a passing one accepted with spf=pass carried to
#     local_scan (spf_at=rcpt); from 127.0.0.1 the file is never reached;
#   - the traps the document warns of: a conf.d/main file in the default
#     scheme is not read, and keep_environment makes the configuration
#     refused.
# Debian's update-exim4.conf reads exim4.conf.localmacros only when
# /etc/exim4/exim4.conf.localmacros exists, whatever -d says, so each
# scheme's copy is bind-mounted on /etc/exim4 in a private mount
# namespace (unshare -m) for update-exim4.conf and for the daemon: the
# real /etc/exim4 is never written, and no path of the documented blocks
# needs changing but two: the module of this build for
# /usr/local/lib/mailseal/mailseal_exim.so, and the test's directory for
# /etc/mailseal/.  The test adds to the generated file only where the
# daemon keeps its spool and logs, and queue_only (nothing is delivered:
# the headers are read from the spool).
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
MOD=$ROOT/build/mailseal_exim.so
. "$ROOT/tests/lib/check.sh"
. "$ROOT/tests/lib/nsd.sh"
. "$ROOT/tests/exim/lib.sh"
exim_san_pass_done

T=$(mktemp -d)
chmod 755 "$T"                  # Exim runs as Debian-exim and reads in here
EXIM_HOME="$T/exim"
mkdir "$EXIM_HOME"
DEB_PIDS=""
deb_stop_all() {
	local p k
	for p in $DEB_PIDS; do
		k=$(exim_children "$p")
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		for p in $k; do kill "$p" 2>/dev/null; done
	done
	DEB_PIDS=""
}
trap 'deb_stop_all; nsd_stop; [ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"; rm -rf "$T"' EXIT
cd "$T" || exit 1

for need in /etc/exim4/exim4.conf.template /etc/exim4/conf.d /usr/sbin/update-exim4.conf "$MOD"; do
	[ -e "$need" ] || { nok "Debian's exim4-config and the module are installed - $need is missing"; exit 1; }
done
if ! unshare -m --propagation private true 2>/dev/null; then
	nok "a private mount namespace (unshare -m, as root) for a copy of /etc/exim4"
	exit 1
fi

# in_ns DIR CMD...: CMD with DIR mounted on /etc/exim4, in a namespace of its own
in_ns() {
	local d=$1
	shift
	unshare -m --propagation private sh -c 'mount --bind "$0" /etc/exim4 && exec "$@"' "$d" "$@"
}
# mapped: the documented paths that point outside /etc/exim4, for this test
mapped() { sed -e "s|/usr/local/lib/mailseal/mailseal_exim.so|$MOD|g" -e "s|/etc/mailseal/|$T/mailseal/|g"; }
oneline() { tr '\r\n' '  ' | tr -s ' ' | cut -c1-"${1:-400}"; }
code() {
	if printf '%s\n' "$EXIM_REPLY" | grep -qE "$2"; then ok "$1 ($EXIM_REPLY)"
	else nok "$1 - wanted /$2/, got \"$EXIM_REPLY\"; $(grep -E '^(<|.{1,3}>)' "$EXIM_TRANSCRIPT" | tail -4 | tr '\n' '|')"; fi
}

# --- the documented blocks -----------------------------------------------------
MACROS=$(docblock debian-macros) && ok "docs/exim.md has the Debian macros block" \
	|| { nok "docs/exim.md has a block marked 'test: debian-macros'"; exit 1; }
DATA_ACL=$(docblock data-acl) && ok "docs/exim.md has the DATA ACL block" \
	|| { nok "docs/exim.md has a block marked 'test: data-acl'"; exit 1; }
CMDS=$(docblock debian-commands) && ok "docs/exim.md has the Debian commands block" \
	|| { nok "docs/exim.md has a block marked 'test: debian-commands'"; exit 1; }
ACL_FILE=$(printf '%s\n' "$MACROS" | sed -n 's/^CHECK_DATA_LOCAL_ACL_FILE *= *//p')
case $ACL_FILE in
/etc/exim4/?*) ok "the macros name the DATA ACL file $ACL_FILE" ;;
*) nok "the macros name no DATA ACL file under /etc/exim4 (CHECK_DATA_LOCAL_ACL_FILE = '$ACL_FILE')"; exit 1 ;;
esac
RCPT_ACL=$(docblock rcpt-spf) && ok "docs/exim.md has the RCPT ACL block for SPF" \
	|| { nok "docs/exim.md has a block marked 'test: rcpt-spf'"; exit 1; }
RCPT_MACRO=$(docblock debian-rcpt-macro) && ok "docs/exim.md has the Debian macro for the RCPT ACL file" \
	|| { nok "docs/exim.md has a block marked 'test: debian-rcpt-macro'"; exit 1; }
RCPT_FILE=$(printf '%s\n' "$RCPT_MACRO" | sed -n 's/^CHECK_RCPT_LOCAL_ACL_FILE *= *//p')
case $RCPT_FILE in
/etc/exim4/?*) ok "the macro names the RCPT ACL file $RCPT_FILE" ;;
*) nok "the macro names no RCPT ACL file under /etc/exim4 (CHECK_RCPT_LOCAL_ACL_FILE = '$RCPT_FILE')"; exit 1 ;;
esac
for want in update-exim4.conf 'exim4 -bP local_scan_path' 'config check'; do
	printf '%s\n' "$CMDS" | grep -qF -- "$want" && ok "the commands block runs '$want'" \
		|| nok "the commands block does not run '$want'"
done

# --- keys, DNS, mailseal's files ------------------------------------------------
mkdir -p keys/bank.example keys/example.com msg mailseal
for spec in bank.example:b-rsa:rsa example.com:ms-rsa:rsa; do
	d=${spec%%:*} rest=${spec#*:}
	"$M" keygen -d "$d" -s "${rest%%:*}" -t "${rest#*:}" -o "keys/$d" > /dev/null || { nok "keygen $spec"; exit 1; }
done
nsd_zone bank.example 300 keys/bank.example/*.txt > bank.example.zone
# SPF for the RCPT ACL: the client is 127.0.0.2
printf '%s\n' 'pass IN TXT "v=spf1 ip4:127.0.0.2 -all"' 'fail IN TXT "v=spf1 ip4:192.0.2.1 -all"' > spf.rr
nsd_zone spf.example 300 spf.rr > spf.example.zone
nsd_start "$T" bank.example spf.example || { nok "nsd starts"; exit 1; }
cp keys/example.com/ms-rsa.private mailseal/
chown Debian-exim mailseal/ms-rsa.private
chmod 600 mailseal/ms-rsa.private
printf 'example.com ms-rsa %s\n' "$T/mailseal/ms-rsa.private" > mailseal/signing.table
{
	printf 'signing_table = %s\n' "$T/mailseal/signing.table"
	printf 'require_signed = bank.example .bank.example\n'
	printf 'authserv_id = mx.example.com\n'
	printf 'dns_resolver = 127.0.0.1:%s\n' "$NSD_PORT"
	printf 'check_spf = yes\non_spf_fail = reject\n'
} > mailseal/mailseal.conf
printf 'dns_resolver = 127.0.0.1:%s\n' "$NSD_PORT" > cli.conf

# mkmsg ID FROM [HEADER...]: msg/ID.eml
mkmsg() {
	local id=$1 from=$2 h
	shift 2
	{
		for h in "$@"; do printf '%s\r\n' "$h"; done
		printf 'From: %s\r\nTo: <root@localhost>\r\nSubject: debian %s\r\n' "$from" "$id"
		printf 'Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <%s@test.example.org>\r\n\r\n' "$id"
		printf 'Hello,\r\nthis is %s.\r\n' "$id"
	} > "msg/$id.eml"
}
mkmsg signed 'Bank <service@bank.example>'
"$M" -c cli.conf sign -d bank.example -s b-rsa -k keys/bank.example/b-rsa.private msg/signed.eml > msg/s.tmp \
	&& mv msg/s.tmp msg/signed.eml || nok "test setup: mailseal sign"
mkmsg forged 'CEO <ceo@bank.example>'
mkmsg forged-pm 'CEO <ceo@bank.example>' 'Authentication-Results: mx.example.com; dkim=pass header.d=bank.example header.s=forged'
mkmsg spf-pass 'Pat <pat@pass.spf.example>'

# --- a scheme: the copy, the documented files, the documented commands ------------
# setup SCHEME: $T/SCHEME/etc-exim4, a copy of /etc/exim4 with the
# documented macros where SCHEME reads them and the DATA ACL file
setup() {
	local s=$1 e="$T/$1/etc-exim4"
	mkdir -p "$T/$s"
	chmod 755 "$T/$s"
	cp -a /etc/exim4 "$e"
	case $s in
	split)
		sed -i "s/^dc_use_split_config=.*/dc_use_split_config='true'/" "$e/update-exim4.conf.conf"
		printf '%s\n%s\n' "$MACROS" "$RCPT_MACRO" | mapped > "$e/conf.d/main/000_localmacros" ;;
	*)
		sed -i "s/^dc_use_split_config=.*/dc_use_split_config='false'/" "$e/update-exim4.conf.conf"
		printf '%s\n%s\n' "$MACROS" "$RCPT_MACRO" | mapped > "$e/exim4.conf.localmacros" ;;
	esac
	printf '%s\n' "$DATA_ACL" > "$e/${ACL_FILE#/etc/exim4/}"
	printf '%s\n' "$RCPT_ACL" | mapped > "$e/${RCPT_FILE#/etc/exim4/}"
	chmod 644 "$e/${ACL_FILE#/etc/exim4/}" "$e/${RCPT_FILE#/etc/exim4/}"
}

# deb_start SCHEME: the daemon on the generated file (the restart)
deb_start() {
	local s=$1 d="$T/$1" port pid i
	[ -n "$(eval "echo \${EXIM_PORT_$s:-}")" ] && deb_stop "$s"
	mkdir -p "$d/spool" "$d/log" "$EXIM_HOME/$s"
	chown Debian-exim:Debian-exim "$d/spool" "$d/log"
	{
		echo "# tests/exim/t-exim-debian.sh: where this daemon keeps its spool and logs; nothing delivered"
		echo "SPOOLDIR = $d/spool"
		echo "log_file_path = $d/log/%slog"
		echo "queue_only = true"
		cat "$d/exim4.conf"
	} > "$d/run.conf"
	chmod 644 "$d/run.conf"
	port=$(free_port)
	in_ns "$d/etc-exim4" exim4 -C "$d/run.conf" -bdf -oX "$port" -oP "$d/exim.pid" > "$d/daemon.out" 2>&1 &
	pid=$!
	DEB_PIDS="$DEB_PIDS $pid"
	eval "EXIM_PORT_$s=$port DEB_PID_$s=$pid"
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		[ "$(exim_banner "$port")" = 220 ] && return 0
		sleep 0.1
	done
	nok "$s: the Exim daemon on the generated configuration starts - $(cat "$d/daemon.out" "$d/log/paniclog" 2>/dev/null | oneline)"
	return 1
}
deb_stop() {
	local pid k p
	pid=$(eval "echo \${DEB_PID_$1:-}")
	[ -n "$pid" ] || return 0
	k=$(exim_children "$pid")
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	for p in $k; do kill "$p" 2>/dev/null; done
	DEB_PIDS=$(echo "$DEB_PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
	eval "DEB_PID_$1="
}

# run_commands SCHEME: each line of the documented commands block
run_commands() {
	local s=$1 d="$T/$1" line out args
	while IFS= read -r line; do
		case $line in
		''|'#'*) continue ;;
		'sudo update-exim4.conf'|'update-exim4.conf')
			if out=$(in_ns "$d/etc-exim4" update-exim4.conf --check -o "$d/exim4.conf" 2>&1) &&
			   out=$(in_ns "$d/etc-exim4" update-exim4.conf -o "$d/exim4.conf" 2>&1) && [ -s "$d/exim4.conf" ]; then
				ok "$s: update-exim4.conf accepts the configuration and generates it"
			else
				nok "$s: update-exim4.conf - $(printf '%s' "$out" | oneline)"
				return 1
			fi ;;
		*'systemctl restart exim4'*|*'service exim4 restart'*|*'/etc/init.d/exim4 restart'*)
			deb_start "$s" && ok "$s: Exim restarted on the generated configuration (127.0.0.1:$(eval "echo \$EXIM_PORT_$s"))" \
				|| return 1 ;;
		*'exim4 -bP local_scan_path')
			out=$(in_ns "$d/etc-exim4" exim4 -C "$d/exim4.conf" -bP local_scan_path 2>&1)
			[ "$out" = "local_scan_path = $MOD" ] && ok "$s: exim4 -bP local_scan_path names the module" \
				|| nok "$s: exim4 -bP local_scan_path says \"$(printf '%s' "$out" | oneline)\"" ;;
		'sudo -u Debian-exim mailseal '*)
			args=$(printf '%s\n' "${line#sudo -u Debian-exim mailseal }" | mapped)
			# shellcheck disable=SC2086 # the documented words
			if out=$(runuser -u Debian-exim -- "$M" $args 2>&1); then
				ok "$s: mailseal $args, as Debian-exim: $(printf '%s' "$out" | oneline 120)"
			else
				nok "$s: mailseal $args, as Debian-exim - $(printf '%s' "$out" | oneline)"
			fi ;;
		*) nok "$s: the commands block has a step this test does not know: $line" ;;
		esac
	done <<< "$CMDS"
}

# spool_headers SCHEME ID: the message's header lines in the spool,
# without those marked deleted ("NNN* Name: ..." and their continuations)
spool_headers() {
	in_ns "$T/$1/etc-exim4" exim4 -C "$T/$1/run.conf" -Mvh "$2" 2>&1 |
		awk '/^[0-9][0-9][0-9]/ { keep = substr($0, 4, 1) != "*" } keep'
}

# spf_session SCHEME OUT SOURCE STEP...: smtp_steps.py from SOURCE
spf_session() {
	local s=$1 out=$2 src=$3
	shift 3
	/usr/bin/python3 "$ROOT/tests/exim/smtp_steps.py" --source "$src" "$(eval "echo \$EXIM_PORT_$s")" \
		"EHLO client.example.org" "$@" > "$out" 2>&1
}
# spf_want NAME OUT N ERE: the reply to the N-th step (after EHLO) matches
spf_want() {
	local r
	r=$(sed -n "$(($3 + 2))p" "$2" | cut -f2)
	if printf '%s\n' "$r" | grep -qE -- "$4"; then ok "$1 ($r)"
	else nok "$1 - wanted /$4/, got \"$r\"; session: $(oneline 600 < "$2")"; fi
}

for s in nonsplit split; do
	setup "$s"
	run_commands "$s" || continue
	[ -n "$(eval "echo \${DEB_PID_$s:-}")" ] || { nok "$s: the commands block restarts Exim"; continue; }
	log="$T/$s/log/mainlog"

	exim_send "$s" msg/signed.eml -r root@localhost
	code "$s: mail signed by bank.example: accepted" '^250 '
	id=$EXIM_ID
	h=$(spool_headers "$s" "$id")
	printf '%s\n' "$h" | grep -qE 'Authentication-Results: mx\.example\.com;.*' \
		&& printf '%s\n' "$h" | tr -d '\n' | grep -qE 'mx\.example\.com;[^A]*dkim=pass[^A]*header\.d=bank\.example' \
		&& ok "$s: ... with the module's A-R: dkim=pass header.d=bank.example" \
		|| nok "$s: no dkim=pass A-R in the spooled headers: $(printf '%s' "$h" | grep -iA2 'Authentication-Results' | oneline)"
	grep -q "$id.*mailseal:.*dkim=pass" "$log" && ok "$s: the module's log line (dkim=pass)" \
		|| nok "$s: no 'mailseal:' line with dkim=pass for $id: $(grep "$id" "$log" | oneline)"
	grep -q 'DKIM: ' "$log" && nok "$s: Exim verified DKIM itself too (DISABLE_DKIM_VERIFY)" \
		|| ok "$s: Exim's own DKIM verification is off (no 'DKIM:' log line)"

	exim_send "$s" msg/forged.eml -r root@localhost
	code "$s: unsigned From bank.example: refused" '^550 5\.7\.20'

	exim_send "$s" msg/forged-pm.eml -r postmaster@localhost,root@localhost
	code "$s: the forgery to postmaster@ and root@: refused" '^550 5\.7\.20'

	exim_send "$s" msg/forged-pm.eml -r postmaster@localhost
	code "$s: the forgery to postmaster@ alone: accepted (the documented skip)" '^250 '
	id=$EXIM_ID
	grep -q "$id.*mailseal:.*skip" "$log" && ok "$s: the module's log line says skip" \
		|| nok "$s: no 'mailseal:' line with skip for $id: $(grep "$id" "$log" | oneline)"
	spool_headers "$s" "$id" | grep -q 'header\.s=forged' \
		&& nok "$s: the forged A-R claiming mx.example.com reached the postmaster" \
		|| ok "$s: skipped, the forged A-R claiming mx.example.com removed"

	# SPF at RCPT (mailseal_spf in the included RCPT ACL file)
	spf_session "$s" "$s-spf-fail.out" 127.0.0.2 "MAIL FROM:<fred@fail.spf.example>" "RCPT TO:<root@localhost>"
	spf_want "$s: from 127.0.0.2, MAIL FROM fred@fail.spf.example: the documented RCPT ACL refuses with 550 5.7.23 at RCPT TO" \
		"$s-spf-fail.out" 2 '^550 5\.7\.23 SPF: fail\.spf\.example does not allow 127\.0\.0\.2'
	spf_session "$s" "$s-spf-relay.out" 127.0.0.1 "MAIL FROM:<fred@fail.spf.example>" "RCPT TO:<root@localhost>"
	spf_want "$s: from 127.0.0.1 (relay_from_hosts), the same sender: accepted at RCPT, the file is not reached" \
		"$s-spf-relay.out" 2 '^250 '
	n=$(grep -c 'mailseal: stage=spf spf=fail/fail\.spf\.example ip=127\.0\.0\.2 .*action=reject' "$log")
	[ "$n" = 1 ] && ok "$s: one check logged at RCPT, for 127.0.0.2 only" || nok "$s: $n stage=spf lines: $(grep 'stage=spf' "$log" | oneline)"
	spf_session "$s" "$s-spf-pass.out" 127.0.0.2 "MAIL FROM:<pat@pass.spf.example>" "RCPT TO:<root@localhost>" "DATA @msg/spf-pass.eml"
	spf_want "$s: from 127.0.0.2, MAIL FROM pat@pass.spf.example: accepted at RCPT" "$s-spf-pass.out" 2 '^250 '
	spf_want "$s: ... and at the dot" "$s-spf-pass.out" 3 '^250 '
	id=$(sed -n 5p "$s-spf-pass.out" | cut -f2 | sed -n 's/^250 .*id=\([0-9A-Za-z-]*\).*/\1/p')
	grep -qE "$id mailseal: role=verify .*spf=pass/pass\.spf\.example .*spf_at=rcpt" "$log" \
		&& ok "$s: local_scan used the result of the RCPT ACL (spf_at=rcpt)" \
		|| nok "$s: local_scan's line for $id: $(grep "$id.*mailseal:" "$log" | oneline)"
	spool_headers "$s" "$id" | tr -d '\n' | grep -qE 'mx\.example\.com;.*spf=pass smtp\.mailfrom=pat@pass\.spf\.example' \
		&& ok "$s: ... and its A-R has spf=pass smtp.mailfrom=pat@pass.spf.example" \
		|| nok "$s: no spf=pass in the spooled A-R: $(spool_headers "$s" "$id" | grep -iA2 'Authentication-Results' | oneline)"
	deb_stop "$s"
done

# --- the traps docs/exim.md warns of --------------------------------------------
# a file in conf.d/main/ is not read in Debian's default scheme
e="$T/trap1/etc-exim4"
mkdir -p "$T/trap1"
cp -a /etc/exim4 "$e"
sed -i "s/^dc_use_split_config=.*/dc_use_split_config='false'/" "$e/update-exim4.conf.conf"
printf '%s\n' "$MACROS" | mapped > "$e/conf.d/main/000_localmacros"
printf '%s\n' "$DATA_ACL" > "$e/${ACL_FILE#/etc/exim4/}"
in_ns "$e" update-exim4.conf -o "$T/trap1/exim4.conf" > /dev/null 2>&1
out=$(in_ns "$e" exim4 -C "$T/trap1/exim4.conf" -bP local_scan_path 2>&1)
[ "$(printf '%s' "$out" | tr -s ' ')" = "local_scan_path = " ] && ok "trap: in the default scheme, conf.d/main/ is not read (local_scan_path empty), as the docs warn" \
	|| nok "trap: conf.d/main/ in the default scheme gave \"$(printf '%s' "$out" | oneline)\"; the docs' warning is wrong"
# keep_environment set a second time: the configuration is refused
e="$T/trap2/etc-exim4"
mkdir -p "$T/trap2"
cp -a /etc/exim4 "$e"
{ printf '%s\n' "$MACROS" | mapped; echo 'keep_environment = MAILSEAL_CONFIG'; } > "$e/exim4.conf.localmacros"
printf '%s\n' "$DATA_ACL" > "$e/${ACL_FILE#/etc/exim4/}"
if out=$(in_ns "$e" update-exim4.conf --check -o "$T/trap2/exim4.conf" 2>&1); then
	nok "trap: keep_environment in the macros is accepted; the docs' warning is wrong"
else
	ok "trap: keep_environment in the macros makes update-exim4.conf refuse the configuration, as the docs warn ($(printf '%s' "$out" | grep -m1 -i keep_environment | oneline 100))"
fi

[ $fails = 0 ]
