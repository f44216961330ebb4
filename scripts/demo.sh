#!/bin/bash
# demo.sh - the main job, shown end to end on loopback:
#   0. keys for example.com (RSA + Ed25519), sign, verify, tamper (the CLI)
#   1. start one nsd (the keys published), one redis-server, Exim (Debian's
#      exim4 with the module: the submission server of example.com) and
#      Postfix (unpacked, private: the inbound server of example.net, with
#      mailseal-policyd as check_policy_service and as its milter)
#   2. an authenticated user submits to Exim for bob@example.net: Exim signs
#      and relays to Postfix, which verifies (dkim=pass) and delivers;
#      the same user claiming another From is refused by Exim (550 5.7.1,
#      sending_rights)
#   3. forgeries sent straight to Postfix: 550 5.7.20 / 5.7.22 during the
#      SMTP transaction; SPF fail refused at RCPT (550 5.7.23); DMARC
#      p=reject (550 5.7.1); nothing delivered, nothing bounced
#   4. what the farm's Redis holds; a third node verifies from it alone
#   5. three users complain about three messages signed by example.org:
#      the farm revokes it, and both Postfix and Exim refuse its next one
#   6. everything started is stopped (EXIT trap, also on failure and ^C)
# Every step checks what it shows: the exit status is 0 only if all did
# what they should (the demo is a smoke test too).  Needs root (Exim and
# Postfix run as their own users), the packages of scripts/install-deps.sh
# and Postfix unpacked (tests/postfix/lib.sh postfix_fetch; run-demo.sh
# does both).
#   usage: scripts/demo.sh [path/to/build/mailseal]
#   DEMO_KEEP=DIR keeps a copy of the work directory (configs, logs, mail).
set -u
umask 022
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
MAILSEAL=$(cd "$(dirname "${1:-$ROOT/build/mailseal}")" && pwd)/$(basename "${1:-mailseal}")
BUILD=$(dirname "$MAILSEAL")
POLICYD=$BUILD/mailseal-policyd
MODULE=$BUILD/mailseal_exim.so
T0=$(date +%s)

# --- output and checks --------------------------------------------------------
FAILS=0 CHECKS=0
step() { printf '\n\033[1m== %s\033[0m\n' "$*" 2>/dev/null; }
[ -t 1 ] || step() { printf '\n== %s\n' "$*"; }
note() { printf '   %s\n' "$@"; }
indent() { sed 's/\r$//; s/^/   | /'; }
ok() { CHECKS=$((CHECKS + 1)); printf '   [ok] %s\n' "$*"; }
bad() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); printf '   [FAILED] %s\n' "$*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
die() { printf '\ndemo: cannot go on: %s\n' "$*"; FAILS=$((FAILS + 1)); exit 1; }

for f in "$MAILSEAL" "$POLICYD" "$MODULE"; do
	[ -f "$f" ] || die "$f is not built (make)"
done
if [ "$(id -u)" != 0 ]; then   # Exim and Postfix run as Debian-exim and postfix
	command -v sudo > /dev/null && exec sudo -- "$0" "$@"
	die "run as root"
fi
for p in nsd redis-server redis-cli exim4 swaks saslpasswd2 openssl python3 pgrep flock runuser; do
	command -v "$p" > /dev/null || die "$p is missing (scripts/install-deps.sh)"
done

W=$(mktemp -d /tmp/mailseal-demo.XXXXXX) || exit 1
chmod 755 "$W"                  # Debian-exim and postfix read in here
cd "$W" || exit 1
REDIS_DIR=$W/redis
. "$ROOT/tests/lib/nsd.sh"
. "$ROOT/tests/lib/redis.sh"
EXIM_HOME=$W/exim
EXIM_HOST=mx.example.com
EXIM_LOCAL_DOMAINS=example.com  # example.net is remote: relayed to Postfix
EXIM_USER=alice
EXIM_PASS=alice-demo-password
. "$ROOT/tests/exim/lib.sh"
MAILSEAL_CACHE=${MAILSEAL_CACHE:-/var/cache/mailseal-test}
PF_HOST=mx.example.net
PF_DOMAINS=example.net
. "$ROOT/tests/postfix/lib.sh"

PD_PID="" PFD=""
exec 7>&1 8>&2                  # the terminal, for the last words
# cleanup: stop what was started, also what a start interrupted half-way
# had already launched (a pid file written, the lib not yet told)
cleanup() {
	trap '' INT TERM HUP
	local left="" p st f m
	for f in "$EXIM_HOME"/*/daemon.pid; do
		[ -f "$f" ] && EXIM_PIDS_ALL="${EXIM_PIDS_ALL:-} $(cat "$f")" && exim_stop "$(basename "$(dirname "$f")")"
	done
	EXIM_NAMES=""
	if [ -n "$PD_PID" ]; then
		kill "$PD_PID" 2>/dev/null
		wait "$PD_PID" 2>/dev/null
	fi
	m=""
	if [ -n "$PFD" ] && [ -f "$PFD/queue/pid/master.pid" ]; then
		m=$(sed -n '1s/ //gp' "$PFD/queue/pid/master.pid")
		PF_MASTER_ALL="${PF_MASTER_ALL:-} $m"
	fi
	postfix_cleanup > /dev/null 2>&1
	# a master started but not yet known to the lib: its cwd is our queue
	if [ -n "$m" ] && [ "$(readlink "/proc/$m/cwd" 2>/dev/null)" = "$PFD/queue" ]; then
		kill -TERM "$m" 2>/dev/null
		sleep 1
	fi
	nsd_stop
	for f in "$REDIS_DIR"/*/redis.pid; do
		[ -f "$f" ] || continue
		p=$(cat "$f")
		REDIS_PID_ALL="${REDIS_PID_ALL:-} $p"
		kill "$p" 2>/dev/null
		for st in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
	done
	redis_stop_all
	[ -n "${DEMO_KEEP:-}" ] && cp -a "$W" "$DEMO_KEEP"
	cd / && rm -rf "$W"
	# (a zombie waiting for init to reap it does not count)
	for p in ${EXIM_PIDS_ALL:-} $PD_PID ${NSD_PID_ALL:-} ${PF_MASTER_ALL:-} ${REDIS_PID_ALL:-}; do
		st=$(sed 's/^.*) //; s/ .*//' "/proc/$p/stat" 2>/dev/null)
		[ -n "$st" ] && [ "$st" != Z ] && left="$left $p"
	done
	if [ -n "$left" ]; then
		printf 'demo: processes still running:%s\n' "$left"
		FAILS=$((FAILS + 1))
	fi
}
finish() {
	local rc=$?
	exec >&7 2>&8           # an interrupt may come while output goes to a file
	cleanup
	if [ "$FAILS" = 0 ] && [ "$rc" = 0 ]; then
		printf '\ndemo: all %d checks passed; nsd, redis-server, Exim, Postfix and mailseal-policyd stopped (%d s)\n' \
			"$CHECKS" "$(( $(date +%s) - T0 ))"
		exit 0
	fi
	if [ "$rc" -gt 128 ]; then
		printf '\ndemo: interrupted (signal %d); everything it started is stopped\n' $((rc - 128))
	else
		printf '\ndemo: FAILED (%d of %d checks failed); everything it started is stopped\n' "$FAILS" "$CHECKS"
		[ "$rc" = 0 ] && rc=1
	fi
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# transcript FILE: swaks' conversation; EHLO extensions and the message
# lines left out (counted)
transcript() {
	awk '{ sub(/\r$/, "") }
	!/^(<|\*|[ ]*[-~]>)/ { next }
	/^<[-~]  250-/ { next }
	data && /^ [-~]> \.$/ { printf " %s> ... the message, %d lines ...\n", substr($0, 2, 1), n; data = 0 }
	data { n++; next }
	/^<[-~]  354 / { data = 1; n = 0 }
	{ print }' "$1"
}
hdr_count() { hdr "$1" "$2" | grep -c -E -- "${3:-.}"; }

# ============================================================================
step "0. keys for example.com: RSA-2048 (selector rsa2026) and Ed25519 (ed2026); sign, verify, tamper"
mkdir -p keys/example.com keys/example.org
"$MAILSEAL" keygen -d example.com -s rsa2026 -t rsa -o keys/example.com > /dev/null || die "keygen"
"$MAILSEAL" keygen -d example.com -s ed2026 -t ed25519 -o keys/example.com > /dev/null || die "keygen"
# a key of another domain, for a forgery signed by someone else (step 3)
"$MAILSEAL" keygen -d example.org -s news2026 -t rsa -o keys/example.org > /dev/null || die "keygen"
note "DNS records to publish (keys/example.com/*.txt):"
cat keys/example.com/ed2026.txt | indent
cut -c1-110 keys/example.com/rsa2026.txt | sed 's/$/ .../' | indent
cat keys/example.com/*.txt > example.com.keys
"$MAILSEAL" sign -d example.com -s rsa2026 -k keys/example.com/rsa2026.private \
	-d example.com -s ed2026 -k keys/example.com/ed2026.private \
	"$HERE/demo/sample.eml" > signed.eml || die "mailseal sign"
note "\$ mailseal sign -d example.com -s rsa2026 -k ... -d example.com -s ed2026 -k ... sample.eml > signed.eml"
note "\$ mailseal verify --key-file example.com.keys signed.eml"
"$MAILSEAL" verify --key-file example.com.keys signed.eml > v-signed.txt
indent < v-signed.txt
sed 's/up 4 %/up 40 %/' signed.eml > tampered.eml
note "the body changed (\"up 4 %\" -> \"up 40 %\"):"
"$MAILSEAL" verify --key-file example.com.keys tampered.eml > v-tampered.txt
indent < v-tampered.txt
check "both signatures pass on the signed message" test "$(grep -c 'dkim=pass' v-signed.txt)" = 2
check "both fail once the body is changed" test "$(grep -c 'dkim=fail' v-tampered.txt)" = 2

# ============================================================================
step "1. start on loopback: nsd, redis-server, Postfix (example.net) + mailseal-policyd, Exim (example.com) + the module"
# SPF (RFC 7208): example.com's mail leaves from this host; example.org
# sends only from 192.0.2.0/24, never from here
mkdir spf
echo '@ IN TXT "v=spf1 ip4:127.0.0.1 -all"' > spf/example.com.txt
echo '@ IN TXT "v=spf1 ip4:192.0.2.0/24 exp=why.example.org -all"' > spf/example.org.txt
echo 'why IN TXT "%{i} is not one of example.org'"'"'s mail servers"' >> spf/example.org.txt
# DMARC (RFC 9989): both domains ask receivers to refuse what does not
# pass with an aligned identifier
echo '_dmarc IN TXT "v=DMARC1; p=reject"' >> spf/example.com.txt
echo '_dmarc IN TXT "v=DMARC1; p=reject; adkim=s"' >> spf/example.org.txt
for d in example.com example.org; do
	nsd_zone "$d" 3600 "keys/$d"/*.txt "spf/$d.txt" > "$d.zone"
done
mkdir nsd
mv example.com.zone example.org.zone nsd/
nsd_start "$W/nsd" example.com example.org > nsd-start.out 2>&1 || { cat nsd-start.out; die "nsd did not start"; }
NSD_PID_ALL=$NSD_PID
note "(\$W: $W, the work directory; removed at the end)"
note "nsd           127.0.0.1:$NSD_PORT  zones example.com (rsa2026, ed2026; SPF ip4:127.0.0.1; DMARC p=reject), example.org (news2026; SPF ip4:192.0.2.0/24; DMARC p=reject)"
redis_start farm || die "redis-server did not start"
REDIS_PID_ALL=$(cat "$REDIS_DIR/farm/redis.pid" 2>/dev/null)
note "redis-server  127.0.0.1:$REDIS_PORT_farm  the farm cache of both nodes"

farm_conf() {
	printf 'dns_resolver = 127.0.0.1:%s\n' "$NSD_PORT"
	printf 'redis_url = redis://127.0.0.1:%s\n' "$REDIS_PORT_farm"
	printf 'cache_secret = demo-farm-secret-shared-by-every-node\n'
	printf 'require_signed = example.com .example.com\n'
	printf 'revocation_refresh = 1s\n'
}

# -- Postfix, the inbound server of example.net, with mailseal-policyd
postfix_fetch > pf-fetch.out 2>&1 || { cat pf-fetch.out; die "Postfix could not be unpacked (tests/postfix/lib.sh postfix_fetch)"; }
postfix_tmpdir || die "postfix_tmpdir"
PFD=$PF_TMPDIR
mkdir -p pd
{
	farm_conf
	printf 'authserv_id = mx.example.net\n'
	printf 'check_spf = yes\non_spf_fail = reject\n'
	printf 'check_dmarc = yes\n'
	printf 'policy_listen = unix:%s/pd/policy.sock\n' "$W"
	printf 'milter_listen = unix:%s/pd/milter.sock\n' "$W"
	printf 'socket_mode = 0666\n'
	printf 'pid_file = %s/pd/mailseal-policyd.pid\n' "$W"
} > postfix-node.conf
"$POLICYD" -c postfix-node.conf -t > pd-check.out 2>&1 || { cat pd-check.out; die "mailseal-policyd -t rejects postfix-node.conf"; }
"$POLICYD" -c postfix-node.conf -f > pd/policyd.log 2>&1 &
PD_PID=$!
for i in $(seq 1 100); do
	[ -S pd/policy.sock ] && [ -S pd/milter.sock ] && break
	kill -0 "$PD_PID" 2>/dev/null || break
	sleep 0.05
done
[ -S pd/milter.sock ] || { cat pd/policyd.log; die "mailseal-policyd did not start"; }
postfix_start "$PFD" --policy "unix:$W/pd/policy.sock" --milter "unix:$W/pd/milter.sock" \
	--milter-default-action tempfail --milter-protocol 6 > pf-start.out 2>&1 ||
	{ cat pf-start.out; die "Postfix did not start"; }
PF_MASTER_ALL=$PF_MASTER_PID
note "Postfix       127.0.0.1:$PF_PORT  mx.example.net, mydestination example.net (Debian's 3.7, unpacked, private main.cf)"
note "  main.cf:"
postfix_cmd postconf smtpd_recipient_restrictions smtpd_end_of_data_restrictions smtpd_milters milter_default_action |
	sed "s|$W|\$W|g" | indent
note "mailseal-policyd  pid $PD_PID, postfix-node.conf:"
sed "s|$W|\$W|g; s/^cache_secret = .*/cache_secret = (set)/" postfix-node.conf | indent

# -- Exim, the submission server of example.com, relaying example.net to Postfix
exim_tls_init || die "test certificates"
chown Debian-exim keys/example.com/*.private
printf 'example.com rsa2026 %s\nexample.com ed2026 %s\n' \
	"$W/keys/example.com/rsa2026.private" "$W/keys/example.com/ed2026.private" > signing.table
# who may use which From: alice her own address only (docs/policy.md)
printf '# IDENTITY  FROM...\nalice alice@example.com\n' > sending-rights
{ farm_conf; printf 'signing_table = %s\nsending_rights = %s\nauthserv_id = mx.example.com\n' \
	"$W/signing.table" "$W/sending-rights"; } > exim-node.conf
"$MAILSEAL" -c exim-node.conf config check > exim-check.out 2>&1 || { cat exim-check.out; die "config check exim-node.conf"; }
# tests/exim/lib.sh delivers everything to a maildir; here example.net
# goes to Postfix instead: a manualroute router and an smtp transport are
# added to the configuration it writes (TLS to Postfix, its test CA)
cat > exim-router.conf <<EOF
to_postfix:
  driver = manualroute
  domains = example.net
  route_list = * 127.0.0.1
  self = send
  transport = smtp_to_postfix
  no_more

EOF
cat > exim-transport.conf <<EOF
smtp_to_postfix:
  driver = smtp
  port = $PF_PORT
  allow_localhost
  hosts_require_tls = *
  tls_verify_certificates = $PF_TLS/ca.crt
  tls_verify_cert_hostnames =

EOF
eval "lib_exim_conf() $(declare -f exim_conf | sed 1d)"
exim_conf() {
	lib_exim_conf "$@" || return 1
	sed -i -e "/^begin routers\$/r $W/exim-router.conf" \
		-e "/^begin transports\$/r $W/exim-transport.conf" "$EXIM_HOME/$1/exim.conf"
}
# the module from a copy in the work directory: Debian-exim may not be
# able to reach a checkout in someone's home
cp "$MODULE" "$W/mailseal_exim.so" && chmod 644 "$W/mailseal_exim.so"
exim_start a "$W/mailseal_exim.so" "$W/exim-node.conf" > exim-start.out 2>&1 || { cat exim-start.out; die "Exim did not start"; }
EXIM_PIDS_ALL=$(exim_pid a)
note "Exim          127.0.0.1:$EXIM_PORT_a  mx.example.com (Debian's exim4 -C, local_scan_path = a copy of build/mailseal_exim.so)"
note "  AUTH PLAIN/LOGIN over STARTTLS for $EXIM_USER; example.net relayed to Postfix (router and transport):"
sed "s|$W|\$W|g" exim-router.conf exim-transport.conf | grep . | indent
note "  exim-node.conf (MAILSEAL_CONFIG):"
sed "s|$W|\$W|g; s/^cache_secret = .*/cache_secret = (set)/" exim-node.conf | indent
note "  signing.table:"
sed "s|$W|\$W|g" signing.table | indent
check "Exim answers with 220" exim_running a
check "Postfix answers with 220" eval "[ \"\$(exim_banner $PF_PORT)\" = 220 ]"

# ============================================================================
step "2. alice submits to Exim (STARTTLS + AUTH) for bob@example.net: Exim signs, relays to Postfix; Postfix verifies"
exim_send a "$HERE/demo/sample.eml" -a -f alice@example.com -r bob@example.net
note "SMTP, client -> Exim (swaks; EHLO extensions left out):"
transcript "$EXIM_TRANSCRIPT" |
	sed 's/^\(.~> AUTH PLAIN\) .*/\1 (credentials)/' | indent
check "Exim accepted the submission (250 at the dot)" eval 'printf "%s" "$EXIM_REPLY" | grep -q "^250 "'
postfix_wait_delivered 1 15 > /dev/null
check "Postfix delivered it" test -f "$(postfix_message_file 1)"
exim_wait_idle a 5
note "Exim's main log (the module signs; the relay to Postfix):"
grep -F "$EXIM_ID" "$(exim_log a)" | grep -E 'mailseal:|=>' | cut -d' ' -f3- | sed 's/ C="250 .*queued as/ C="250 ... queued as/' | indent
note "mailseal-policyd's log (the milter verifies, under Postfix's queue id):"
grep 'mailseal: role=' pd/policyd.log | sed 's/^[^ ]* mailseal-policyd\[[0-9]*\]: //' | indent
M1=$(postfix_message_file 1)
if [ ! -f "$M1" ]; then
	note "Exim's log:"; tail -5 "$(exim_log a)" | indent
	note "mailseal-policyd's log:"; tail -5 pd/policyd.log | indent
	note "Postfix's log:"; tail -5 "$PF_LOG" | indent
	die "the submission did not reach Postfix's mailbox; the rest of the demo needs it"
fi
cp "$M1" delivered.eml
note "the message as Postfix delivered it ($PFD/mail/1.eml):"
indent < delivered.eml
check "it carries 2 DKIM-Signature fields of example.com (rsa-sha256, ed25519-sha256)" eval \
	'[ "$(hdr_count delivered.eml DKIM-Signature "d=example\.com;.*")" = 2 ] &&
	 hdr delivered.eml DKIM-Signature | grep -q "a=rsa-sha256" &&
	 hdr delivered.eml DKIM-Signature | grep -q "a=ed25519-sha256"'
AR=$(hdr delivered.eml Authentication-Results | grep '^mx\.example\.net;')
check "Postfix's Authentication-Results (mx.example.net): dkim=pass for both" eval \
	'[ "$(printf "%s" "$AR" | grep -o "dkim=pass header\.d=example\.com" | wc -l)" = 2 ]'
check "... and spf=pass for the envelope sender alice@example.com (Exim relays from 127.0.0.1)" eval \
	'printf "%s" "$AR" | grep -q "spf=pass smtp\.mailfrom=alice@example\.com"'
check "... and dmarc=pass header.from=example.com (example.com publishes p=reject; its signatures align)" eval \
	'printf "%s" "$AR" | grep -q "dmarc=pass header\.from=example\.com"'
check "the A-R field is the first field, above Postfix's Received" eval \
	'head -1 delivered.eml | grep -q "^Authentication-Results: mx\.example\.net;"'
check "Exim's own Received shows the submission (esmtpsa, authenticated)" eval \
	'hdr delivered.eml Received | grep -q "by mx\.example\.com with esmtpsa"'
check "the envelope: alice@example.com -> bob@example.net" eval \
	'postfix_message_env 1 | grep -qx sender=alice@example.com && postfix_message_env 1 | grep -qx recipient=bob@example.net'
note ""
note "-- alice, authenticated, tries From: payroll@example.com (sending_rights gives her alice@example.com only):"
sed 's/^From: .*/From: Payroll <payroll@example.com>/' "$HERE/demo/sample.eml" > not-hers.eml
exim_send a not-hers.eml -a -f alice@example.com -r bob@example.net
transcript "$EXIM_TRANSCRIPT" | sed 's/^\(.~> AUTH PLAIN\) .*/\1 (credentials)/' | tail -3 | indent
check "Exim refuses it with 550 5.7.1 naming alice and the From (and never signs it)" eval \
	'printf "%s" "$EXIM_REPLY" | grep -q "^550[ -]5\.7\.1 user alice may not send mail From: payroll@example\.com (sending_rights)"'

# ============================================================================
step "3. forgeries sent straight to Postfix, claiming From: ...@example.com; an SPF refusal; a DMARC refusal"
# mkforged FILE: a message that claims to come from example.com's payroll
mkforged() {
	printf 'From: Example Payroll <payroll@example.com>\r\nTo: Bob Example <bob@example.net>\r\nSubject: Urgent: confirm your bank details\r\nDate: Sun, 22 Nov 2026 11:00:00 +0000\r\nMessage-ID: <%s@example.com>\r\n\r\nPlease confirm your account at http://payroll.example.org/login today.\r\n' \
		"$(basename "$1" .eml)" > "$1"
}
mkforged forged-unsigned.eml
mkforged forged-other.eml
"$MAILSEAL" sign -d example.org -s news2026 -k keys/example.org/news2026.private forged-other.eml > forged-other.signed &&
	mv forged-other.signed forged-other.eml || die "sign forged-other.eml"
# the message of step 2, replayed with its body changed
sed 's/up 4 %/up 40 %/; s/$/\r/' delivered.eml > replay-tampered.eml
before=$(postfix_delivered_count)
# forge NAME FILE DESC CODE
forge() {
	local name=$1 file=$2 desc=$3 code=$4
	note ""
	note "-- $desc"
	postfix_send_plain "$name" --from payroll@example.com --to bob@example.net \
		--ehlo mail.attacker.example --data "@$file"
	transcript "$PF_SWAKS_LOG" | indent
	check "refused with $code in reply to the final dot" eval 'case "$PF_DATA_REPLY" in "$code "*) true ;; *) false ;; esac'
}
forge unsigned forged-unsigned.eml "not signed at all" '550 5.7.20'
forge other forged-other.eml "signed, but by example.org (a valid signature of another domain)" '550 5.7.22'
forge tampered replay-tampered.eml "the message of step 2 replayed with its body changed (\"up 40 %\")" '550 5.7.20'
sleep 0.3
note ""
note "mailseal-policyd's log:"
grep 'mailseal: role=.*action=reject' pd/policyd.log | sed 's/^[^ ]* mailseal-policyd\[[0-9]*\]: //; s/ text=.*//' | indent
check "nothing delivered (still $before message in Postfix's mailbox)" test "$(postfix_delivered_count)" = "$before"
check "Postfix's queue is empty" postfix_queue_empty
check "nothing bounced or deferred (Postfix's log)" postfix_no_bounce
check "Exim: nothing queued or bounced" eval '[ -z "$(exim_bounces a)" ] && exim_wait_idle a 2'
check "the rejections are in Postfix's log (milter-reject at END-OF-MESSAGE)" eval \
	'[ "$(postfix_log_grep -c "milter-reject: END-OF-MESSAGE.*5\.7\.2[02] ")" = 3 ]'

note ""
note "-- SPF: a message from example.org's envelope, sent from 127.0.0.1, which example.org's SPF record does not list"
printf 'From: Example News <news@example.org>\r\nTo: Bob Example <bob@example.net>\r\nSubject: This week\r\nDate: Sun, 22 Nov 2026 11:30:00 +0000\r\nMessage-ID: <spf-demo@example.org>\r\n\r\nThe news of the week.\r\n' > spf-forged.eml
postfix_send_plain spf --from news@example.org --to bob@example.net \
	--ehlo mail.attacker.example --data @spf-forged.eml
transcript "$PF_SWAKS_LOG" | indent
check "refused at RCPT, before DATA, with 550 5.7.23 and example.org's own explanation (on_spf_fail = reject)" eval \
	'case "$PF_RCPT_REPLY" in "550 5.7.23 <bob@example.net>: Recipient address rejected: SPF: example.org does not allow 127.0.0.1 to send its mail: 127.0.0.1 is not one of example.org"*) true ;; *) false ;; esac'
sleep 0.2
check "nothing delivered, nothing bounced" eval \
	'[ "$(postfix_delivered_count)" = "$before" ] && postfix_no_bounce'
check "the daemon's log line (the policy side, at RCPT) says spf=fail/example.org" eval \
	'grep -q "NOQUEUE: mailseal: stage=spf spf=fail/example.org .*action=reject code=550 dsn=5.7.23" pd/policyd.log'

note ""
note "-- DMARC: the same From: news@example.org, but an envelope sender whose SPF passes (example.com lists 127.0.0.1):"
note "   SPF passes for example.com, which is not aligned with example.org; example.org publishes p=reject"
printf 'From: Example News <news@example.org>\r\nTo: Bob Example <bob@example.net>\r\nSubject: Your invoice\r\nDate: Sun, 22 Nov 2026 11:40:00 +0000\r\nMessage-ID: <dmarc-demo@example.org>\r\n\r\nPlease pay the attached invoice today.\r\n' > dmarc-forged.eml
postfix_send_plain dmarc --from bounces@example.com --to bob@example.net \
	--ehlo mail.attacker.example --data @dmarc-forged.eml
transcript "$PF_SWAKS_LOG" | indent
check "refused with 550 5.7.1 naming example.org's policy (on_dmarc_reject = reject, the default)" eval \
	'case "$PF_DATA_REPLY" in "550 5.7.1 DMARC: the policy of example.org (p=reject) refuses mail from example.org"*) true ;; *) false ;; esac'
sleep 0.2
check "nothing delivered, nothing bounced" eval \
	'[ "$(postfix_delivered_count)" = "$before" ] && postfix_no_bounce'
check "the daemon's log line says spf=pass/example.com dmarc=fail/example.org(p=reject)" eval \
	'grep -q "mailseal: role=verify from=example.org dkim=none spf=pass/example.com dmarc=fail/example.org(p=reject) action=reject code=550 dsn=5.7.1" pd/policyd.log'

# ============================================================================
step "4. the farm cache in redis-server (redis/SCHEMA.md)"
rc() { rcli "$REDIS_PORT_farm" "$@"; }
note "\$ redis-cli --scan --pattern 'mailseal:*'   (and the TYPE and TTL of each)"
rc --scan --pattern 'mailseal:*' | sort > redis-keys.txt
while read -r k; do
	printf '%-62s %-7s ttl=%ss\n' "$k" "$(rc TYPE "$k")" "$(rc TTL "$k")"
done < redis-keys.txt | indent
note ""
note "the key entries (value: MSK1, found/none, DNSSEC, expiry, TXT records, HMAC-SHA256 under cache_secret):"
for k in $(grep '^mailseal:key:' redis-keys.txt); do
	rc --raw GET "$k" | python3 -c '
import sys, struct, time
v = sys.stdin.buffer.read()
if v.endswith(b"\n"): v = v[:-1]
name = sys.argv[1]
if v[:4] != b"MSK1":
    print("%s: not an MSK1 value" % name); sys.exit(0)
st, sec = chr(v[4]), chr(v[5]); exp, = struct.unpack(">Q", v[6:14]); n = v[14]; p = 15; recs = []
for i in range(n):
    l, = struct.unpack(">I", v[p:p + 4]); recs.append(v[p + 4:p + 4 + l].decode("ascii", "replace")); p += 4 + l
hm = len(v) - p
r = recs[0] if recs else ""
print("%s: %s, dnssec=%s, expires %s, %d record(s): \"%s\"%s" % (name,
    "found" if st == "F" else "no such key", sec,
    time.strftime("%H:%M:%S", time.localtime(exp)), n,
    r if len(r) < 60 else r[:56] + "...", ", HMAC %d bytes" % hm if hm else ""))
' "${k#mailseal:key:}"
done | indent
# the signature ids: first 16 bytes of SHA-256 over each decoded b= value
sigids() {
	hdr "$1" DKIM-Signature | while read -r s; do
		local d a b
		d=$(printf '%s' "$s" | grep -oE '(^|; *)d=[^;]+' | sed 's/.*d=//')
		a=$(printf '%s' "$s" | grep -oE '(^|; *)a=[^;]+' | sed 's/.*a=//')
		b=$(printf '%s' "$s" | tr -d ' \t' | grep -oE '(^|;)b=[^;]*' | sed 's/.*b=//')
		printf '%s %s %s\n' "$(printf '%s' "$b" | base64 -d 2>/dev/null | sha256sum | cut -c1-32)" "$d" "$a"
	done
}
note ""
note "the signature records (id: the first 16 bytes of the SHA-256 of the decoded b= value):"
sigids delivered.eml > sigids.txt
sigids forged-other.eml | sed 's/$/ (the refused forgery of step 3)/' >> sigids.txt
sig_line() {
	local id=$1 first last
	first=$(rc HGET "mailseal:sig:{$id}" first) last=$(rc HGET "mailseal:sig:{$id}" last)
	printf 'mailseal:sig:{%s}  d=%s a=%s%s\n    first=%s last=%s; PFCOUNT mailseal:sigtx:{%s} = %s\n' "$id" "$2" "$3" "${4:+ $4}" \
		"${first:+$(date -d "@$first" +%T)}" "${last:+$(date -d "@$last" +%T)}" "$id" "$(rc PFCOUNT "mailseal:sigtx:{$id}")"
}
while read -r id d a rest; do sig_line "$id" "$d" "$a" "$rest"; done < sigids.txt | indent
check "the farm holds both example.com keys and example.org's" eval \
	'( for s in rsa2026._domainkey.example.com ed2026._domainkey.example.com news2026._domainkey.example.org; do
		grep -qx "mailseal:key:$s" redis-keys.txt || exit 1; done )'
check "key entries live for the DNS TTL (3600 s)" eval \
	'( for k in $(grep "^mailseal:key:" redis-keys.txt); do t=$(rc TTL "$k"); [ "$t" -gt 3500 ] && [ "$t" -le 3600 ] || exit 1; done )'
check "each signature of the delivered message was seen in 1 transaction (Postfix's)" eval \
	'( for id in $(head -2 sigids.txt | cut -d" " -f1); do [ "$(rc PFCOUNT "mailseal:sigtx:{$id}")" = 1 ] || exit 1; done )'
note ""
note "a third node (the mailseal command, same settings) verifies the delivered message: keys from Redis, not DNS"
farm_conf > node-c.conf
note "\$ mailseal -c node-c.conf verify --stats delivered.eml"
"$MAILSEAL" -c node-c.conf verify --stats delivered.eml > node-c.out 2>&1
indent < node-c.out
check "both pass, and not one DNS query (dns_queries=0)" eval \
	'[ "$(grep -c "dkim=pass" node-c.out)" = 2 ] && grep -q "dns_queries=0\b" node-c.out'
check "the signature counters now say 2 transactions" eval \
	'( for id in $(head -2 sigids.txt | cut -d" " -f1); do [ "$(rc PFCOUNT "mailseal:sigtx:{$id}")" = 2 ] || exit 1; done )'

# ============================================================================
step "5. complaints revoke a sender across the farm (docs/abuse.md)"
note "three distinct messages signed by example.org (valid signatures, DMARC aligned) reach Postfix;"
note "three users complain about them; the third complaint revokes example.org on every node"
spam() {        # spam N: a message signed by example.org
	printf 'From: Offers <offers@example.org>\r\nTo: Bob Example <bob@example.net>\r\nSubject: Offer %s: you won\r\nDate: Sun, 22 Nov 2026 12:0%s:00 +0000\r\nMessage-ID: <offer-%s@example.org>\r\n\r\nClaim prize %s at http://prize.example.org/ today.\r\n' \
		"$1" "$1" "$1" "$1" > "offer-$1.raw"
	"$MAILSEAL" sign -d example.org -s news2026 -k keys/example.org/news2026.private "offer-$1.raw" > "offer-$1.eml"
}
before=$(postfix_delivered_count)
for i in 1 2 3; do
	spam "$i" || die "sign offer $i"
	postfix_send_plain "offer$i" --from bounces@example.com --to bob@example.net \
		--ehlo mail.example.org --data "@offer-$i.eml"
done
check "Postfix accepted the three (250 at the dot)" eval '[ "$(postfix_delivered_count)" = $((before + 3)) ]'
for u in bob carol dave; do
	i=$(( $(printf 'bob\ncarol\ndave\n' | grep -n "^$u\$" | cut -d: -f1) ))
	printf 'From: %s@example.net\r\nSubject: spam\r\nContent-Type: multipart/mixed; boundary=f\r\n\r\n--f\r\nContent-Type: message/rfc822\r\n\r\n' "$u" > "report-$u.eml"
	cat "offer-$i.eml" >> "report-$u.eml"
	printf '\r\n--f--\r\n' >> "report-$u.eml"
	note "\$ mailseal -c node-c.conf complaint --reporter $u < report-$u.eml    ($u forwards offer $i)"
	"$MAILSEAL" -c node-c.conf complaint --reporter "$u" < "report-$u.eml" > "complaint-$u.out" 2>&1
	indent < "complaint-$u.out"
done
check "the third complaint revokes example.org (3 of 3 offences)" \
	grep -q 'domain:example.org: 3 of 3 offences, now revoked' complaint-dave.out
note "\$ mailseal -c node-c.conf revoke list"
"$MAILSEAL" -c node-c.conf revoke list > revoke-list.out 2>&1
indent < revoke-list.out
sleep 1.3       # revocation_refresh: every node's copy follows within a second
spam 4
postfix_send_plain offer4 --from bounces@example.com --to bob@example.net \
	--ehlo mail.example.org --data "@offer-4.eml"
note "" "-- a fourth message signed by example.org, to Postfix:"
transcript "$PF_SWAKS_LOG" | tail -4 | indent
check "Postfix refuses it: 550 5.7.1 naming the revocation" eval \
	'case "$PF_DATA_REPLY" in "550 5.7.1 mail signed by example.org is refused: this mail farm revoked the right of example.org to send"*) true ;; *) false ;; esac'
sed 's/bob@example.net/alice@example.com/' offer-4.raw > offer-5.raw
"$MAILSEAL" sign -d example.org -s news2026 -k keys/example.org/news2026.private offer-5.raw > offer-5.eml
exim_send a offer-5.eml -f bounces@example.com -r alice@example.com
note "" "-- and one to Exim, the other node:"
transcript "$EXIM_TRANSCRIPT" | tail -4 | indent
check "Exim refuses it too" eval \
	'printf "%s" "$EXIM_REPLY" | grep -q "^550[ -]5\.7\.1 mail signed by example\.org is refused"'

# ============================================================================
step "6. stop everything"
note "Exim $(exim_pid a), Postfix master $PF_MASTER_PID, mailseal-policyd $PD_PID, nsd $NSD_PID, redis-server $REDIS_PID_ALL (EXIT trap)"
p=$(exim_panics a)
check "Exim's paniclog has only the expected '$EXIM_PANIC_OK'" test -z "$p"
check "mailseal-policyd logged no errors" eval '! grep -qiE ": (error|crit|alert|emerg):" pd/policyd.log'
exit 0
