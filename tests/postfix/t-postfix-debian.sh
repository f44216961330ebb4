#!/bin/bash
# t-postfix-debian.sh - docs/postfix.md's "Debian's Postfix: the
# complete set-up" block, run as written on a scratch copy of Debian's
# own Postfix configuration (main.cf.debian, master.cf.dist: smtpd,
# cleanup and pickup chrooted in the queue directory), with the real
# Postfix 3.7 (tests/postfix/lib.sh) and mailseal-policyd started as a
# classic daemon by root with the block's `user = mailseal`:
#   1 the block runs; the daemon serves as mailseal, its sockets in the
#     chroot with group postfix
#   2 sendmail(1): signed (passing against a real nsd), delivered, the
#     queue empty (nothing stuck in maildrop)
#   3 a message signed elsewhere, over SMTP: delivered with dkim=pass
#   4 a forged one (From a require_signed domain, unsigned): 550 5.7.20
#   5 the daemon down: the replies docs/postfix.md lists (451 4.7.1 at
#     MAIL, 454 4.3.0 to STARTTLS), sendmail(1) exits 0 and its message
#     waits in the queue, then goes out signed once the daemon is back;
#     the policy socket alone unreachable: 451 4.3.5 at RCPT
#   6 an application on a listed client address without AUTH
#     (sending_rights [127.0.0.2]): its mail is signed; the same From
#     from another local address still gets 550 5.7.20
# The block's paths are moved into the test's directory (/var/spool/postfix
# to the instance's queue directory, /etc/mailseal to $T/etc); postconf
# is the instance's; `systemctl` stands for starting the daemon and
# Postfix.  It creates the system user mailseal (adduser --system, as the
# block says).  KEEP_T=DIR keeps a copy of the work directory.
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${MAILSEAL_BUILD:-build}
M=${MAILSEAL:-$ROOT/$BUILD/mailseal}
PD=$ROOT/$BUILD/mailseal-policyd
HERE=$ROOT/tests/postfix
. "$ROOT/tests/lib/check.sh"
. "$HERE/lib.sh"                # also tests/lib/nsd.sh
. "$ROOT/tests/lib/keys.sh"
echo "# daemon under test: $PD"
[ -x "$PD" ] || { nok "the daemon is built - $PD does not exist"; exit 1; }
[ "$(id -u)" = 0 ] || { ok "# skipped: Postfix with chrooted daemons needs root"; exit 0; }
command -v adduser > /dev/null || { nok "adduser (Debian's) is installed"; exit 1; }
postfix_fetch || { nok "postfix_fetch unpacks Postfix"; exit 1; }
postfix_tmpdir || exit 1
T=$PF_TMPDIR
cleanup() {
	local p
	p=$(cat "$T/run/pd.pid" 2> /dev/null) && [ -n "$p" ] && kill -TERM "$p" 2> /dev/null
	nsd_stop
	[ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"
	postfix_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$T" || exit 1

# --- the daemon's configuration before the block: keys, nsd, tables --------
mkdir -p etc run
keys_start "$T/etc/mailseal.conf" 'require_signed = example.com' \
	"pid_file = $T/run/pd.pid" "log_file = $T/run/pd.log" ||
	{ nok "nsd and the key start"; exit 1; }
chmod 0644 keys/old.private

# --- Debian's Postfix configuration, made a private instance --------------
# postfix_start makes the instance (TLS files, capture transport, paths);
# its main.cf and master.cf are then replaced by Debian's, with only what
# a private instance on a high port needs on top
mkdir -p pf && chmod 0755 pf
postfix_start "$T/pf" > pf-start.out 2>&1 || { nok "postfix starts - $(oneline < pf-start.out)"; exit 1; }
postfix_stop || { nok "postfix stops"; exit 1; }
DEB=$PF_ROOT/usr/share/postfix
{
	cat "$DEB/main.cf.debian"
	echo "# the private instance (tests/postfix/lib.sh)"
	grep -E '^(config|queue|data|daemon|command|shlib|meta|manpage|sample)_directory|^(sendmail|newaliases|mailq)_path|^(mail_owner|setgid_group|import_environment|export_environment|syslog_name|maillog_file|maillog_file_prefixes|inet_interfaces|inet_protocols|myhostname|mydomain|myorigin|mydestination|mynetworks|relay_domains|alias_maps|alias_database|local_recipient_maps|default_transport|local_transport|relay_transport|virtual_transport|capture_destination_recipient_limit|smtpd_tls_cert_file|smtpd_tls_key_file|smtpd_tls_security_level|smtpd_error_sleep_time) =' pf/conf/main.cf
	# what Debian's postinst adds
	echo 'smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination'
} > main.cf.new
sed "s/^smtp      inet /127.0.0.1:$PF_PORT inet /" "$DEB/master.cf.dist" > master.cf.new
grep -q "^127.0.0.1:$PF_PORT inet  *n  *-  *y " master.cf.new || { nok "Debian's master.cf has a chrooted smtpd - $(grep inet master.cf.new | oneline)"; exit 1; }
grep -A1 '^capture ' pf/conf/master.cf >> master.cf.new
cp main.cf.new pf/conf/main.cf && cp master.cf.new pf/conf/master.cf
# what Debian's postfix service copies into the chroot
mkdir -p "$PF_QUEUE/etc"
for f in localtime hosts host.conf nsswitch.conf resolv.conf services; do
	[ -e "/etc/$f" ] && cp -L "/etc/$f" "$PF_QUEUE/etc/"
done

# --- 1. the block, as written ------------------------------------------------
awk '/^<!-- debian-block -->$/ { on = 1; next }
     on && /^    / { sub(/^    /, ""); print; seen = 1; next }
     on && /^$/ { if (seen) blank = blank "\n"; next }
     on { exit }' "$ROOT/docs/postfix.md" > block.raw
grep -q '^postconf -e' block.raw && grep -q 'mailseal-policyd -t' block.raw ||
	{ nok "docs/postfix.md has the Debian block - $(oneline < block.raw)"; exit 1; }
sed -e "s|/var/spool/postfix|$PF_QUEUE|g" -e "s|/etc/mailseal|$T/etc|g" block.raw > block.sh
postconf() { postfix_cmd postconf "$@"; }
mailseal-policyd() { "$PD" "$@"; }
systemctl() {
	case "$1 $2" in
	"restart mailseal-policyd") "$PD" -c "$T/etc/mailseal.conf" ;;
	"reload postfix") pf_backdate; postfix_cmd postfix start && sleep 0.5 &&
		PF_MASTER_PID=$(sed -n '1s/ //gp' "$PF_QUEUE/pid/master.pid") && pf_save_state &&
		PF_INSTANCES="$PF_INSTANCES $PF_DIR" ;;
	*) echo "systemctl $*: not in this test" >&2; return 1 ;;
	esac
}
( set -e; . ./block.sh ) > block.out 2>&1
rc=$?
postfix_use "$PF_DIR"
PF_INSTANCES="$PF_INSTANCES $PF_DIR"
[ $rc = 0 ] && ok "1: docs/postfix.md's Debian block runs ($(grep -c . block.raw) lines)" \
	|| nok "1: the block - status $rc: $(oneline < block.out) / pd: $(oneline < run/pd.log 2> /dev/null)"
p=$(cat run/pd.pid 2> /dev/null)
uid=$(id -u mailseal 2> /dev/null)
ruid=$(awk '/^Uid:/ { print $2 }' "/proc/$p/status" 2> /dev/null)
sock=$PF_QUEUE/mailseal/milter.sock
[ -n "$uid" ] && [ "$ruid" = "$uid" ] && [ "$(stat -c '%G %a' "$sock" 2> /dev/null)" = "postfix 660" ] \
	&& [ "$(stat -c '%U %G %a' "$PF_QUEUE/mailseal")" = "mailseal postfix 750" ] \
	&& ok "1b: the daemon serves as mailseal; its sockets in the chroot, group postfix" \
	|| nok "1b: daemon uid '$ruid' (mailseal '$uid'), socket $(stat -c '%U %G %a' "$sock" 2>&1), dir $(stat -c '%U %G %a' "$PF_QUEUE/mailseal" 2>&1)"
for i in $(seq 1 100); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $PF_PORT), 1).close()" 2> /dev/null && break
	sleep 0.1
done
postfix_cmd postconf -M smtp/inet "127.0.0.1:$PF_PORT/inet" 2> /dev/null | grep -q ' y  *- ' \
	|| grep -q "^127.0.0.1:$PF_PORT inet  *n  *-  *y " pf/conf/master.cf \
	&& ok "1c: smtpd, cleanup and pickup run chrooted (Debian's master.cf, unchanged)" \
	|| nok "1c: master.cf - $(grep -E '^(127|cleanup|pickup)' pf/conf/master.cf | oneline)"

find_msg() { grep -lx "X-Test-Id: $1" "$PF_MAIL"/*.eml 2> /dev/null | head -1; }
delivered() {   # delivered ID [S]: wait for it; sets D
	D=""
	for _ in $(seq 1 $((${2:-15} * 20))); do
		D=$(find_msg "$1")
		[ -n "$D" ] && return 0
		sleep 0.05
	done
	return 1
}

# --- 2. sendmail(1): signed, delivered, nothing stuck ------------------------
keys_msg s1
postfix_sendmail -f alice@example.com rcpt@example.com < msg/s1.eml
rc=$?
if [ $rc = 0 ] && delivered s1; then
	keys_signed_with "2" "sendmail(1) mail, through chrooted pickup and cleanup," "$D" old
else
	nok "2: sendmail(1) - status $rc, not delivered: $(postfix_log_grep -E 'milter|warning|fatal' | tail -n 5 | oneline)"
fi
postfix_queue_empty && ok "2b: the queue is empty (nothing waits in maildrop)" || nok "2b: the queue is not empty"

# --- 3. a message signed elsewhere, over SMTP: dkim=pass ----------------------
keys_msg v1
# with a Date: Postfix adds one to mail from its own addresses, which
# the signature (h= names date) would not cover
{ printf 'Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n'; cat msg/v1.eml; } > msg/v1.dated
mv msg/v1.dated msg/v1.eml
"$M" sign -d example.com -s old -k keys/old.private msg/v1.eml > msg/v1.signed
postfix_send_plain v1 --from alice@example.com --to rcpt@example.com --data @msg/v1.signed
if [ "$PF_DATA_CODE" = 250 ] && delivered v1 &&
	tr '\n' ' ' < "$D" | grep -Eq 'Authentication-Results: mx-auth.example.com;[[:space:]]+dkim=pass header.d=example.com header.s=old'; then
	ok "3: a signed message over SMTP is delivered with dkim=pass"
else
	nok "3: signed over SMTP - $PF_DATA_REPLY; $(grep -A2 '^Authentication-Results' "${D:-/dev/null}" | oneline)"
fi

# --- 4. a forged one: refused ------------------------------------------------
keys_msg f1
postfix_send_plain f1 --from alice@example.com --to rcpt@example.com --data @msg/f1.eml
case "$PF_DATA_REPLY" in
"550 5.7.20 "*) ok "4: a forged message (From example.com, unsigned) is refused: $PF_DATA_REPLY" ;;
*) nok "4: forged - $PF_DATA_REPLY" ;;
esac

# --- 5. the daemon down: Postfix's replies; sendmail(1) mail waits ------------
kill -TERM "$p"
for i in $(seq 1 100); do kill -0 "$p" 2> /dev/null || break; sleep 0.05; done
postfix_send_plain d1 --from alice@example.com --to rcpt@example.com --data @msg/f1.eml
[ "$PF_MAIL_REPLY" = "451 4.7.1 Service unavailable - try again later" ] \
	&& ok "5: the daemon down: MAIL gets $PF_MAIL_REPLY" || nok "5: MAIL with the daemon down - $PF_MAIL_REPLY"
postfix_send_starttls d2 --from alice@example.com --to rcpt@example.com --data @msg/f1.eml
[ "$PF_TLS_REPLY" = "454 4.3.0 Try again later" ] \
	&& ok "5b: the daemon down: STARTTLS gets $PF_TLS_REPLY" || nok "5b: STARTTLS with the daemon down - $PF_TLS_REPLY"
keys_msg s2
postfix_sendmail -f alice@example.com rcpt@example.com < msg/s2.eml
rc=$?
sleep 2
q=$(postfix_cmd postqueue -p 2>&1)
[ $rc = 0 ] && [ -z "$(find_msg s2)" ] && printf '%s\n' "$q" | grep -q 'alice@example.com' \
	&& ok "5c: sendmail(1) exits 0, its message waits in the queue" \
	|| nok "5c: sendmail with the daemon down - status $rc, queue: $(printf '%s' "$q" | oneline)"
"$PD" -c "$T/etc/mailseal.conf" > pd2.err 2>&1 || nok "5d: the daemon starts again - $(oneline < pd2.err)"
p=$(cat run/pd.pid 2> /dev/null)
postfix_cmd postqueue -f > /dev/null 2>&1
postfix_cmd postfix flush > /dev/null 2>&1
if delivered s2 120; then
	keys_signed_with "5d" "sendmail(1) mail held while the daemon was down, once it is back," "$D" old
else
	nok "5d: the held message - not delivered: $(postfix_cmd postqueue -p 2>&1 | oneline)"
fi
# the policy socket alone out of smtpd's reach (for a client outside
# mynetworks, which permit_mynetworks would let through before it)
postfix_conf 'mynetworks = 127.0.0.2/32' && postfix_reload
chmod 0600 "$PF_QUEUE/mailseal/policy.sock"
postfix_send_plain d3 --from sender@example.org --to rcpt@example.com --data @msg/f1.eml
chmod 0660 "$PF_QUEUE/mailseal/policy.sock"
case "$PF_RCPT_REPLY" in
"451 4.3.5 "*) ok "5e: the policy socket unreachable: RCPT gets $PF_RCPT_REPLY" ;;
*) nok "5e: RCPT with the policy socket unreachable - $PF_RCPT_REPLY" ;;
esac

# --- 6. an application on localhost without AUTH: sending_rights [ADDR] ------
printf '<local> example.com\n[127.0.0.2] example.com\n' > etc/sending-rights
printf 'sending_rights = %s\n' "$T/etc/sending-rights" >> etc/mailseal.conf
n=$(grep -c 'info: reloaded' run/pd.log)
kill -HUP "$p"
for i in $(seq 1 100); do [ "$(grep -c 'info: reloaded' run/pd.log)" -gt "$n" ] && break; sleep 0.05; done
keys_msg a1
postfix_send_plain a1 --local-interface 127.0.0.2 --from alice@example.com --to rcpt@example.com --data @msg/a1.eml
if [ "$PF_DATA_CODE" = 250 ] && delivered a1; then
	keys_signed_with "6" "mail of a client at [127.0.0.2] without AUTH (sending_rights)" "$D" old
else
	nok "6: [127.0.0.2] without AUTH - $PF_DATA_REPLY"
fi
keys_msg a2
postfix_send_plain a2 --local-interface 127.0.0.1 --from alice@example.com --to rcpt@example.com --data @msg/a2.eml
case "$PF_DATA_REPLY" in
"550 5.7.20 "*) ok "6b: the same from 127.0.0.1 (no line) is still refused: $PF_DATA_REPLY" ;;
*) nok "6b: 127.0.0.1 without a line - $PF_DATA_REPLY" ;;
esac
[ $fails = 0 ]
