#!/bin/bash
# t-exim.sh - the Exim module (build/mailseal_exim.so) inside Debian's real
# Exim 4.96, driven over SMTP by swaks, with keys in a real DNS server
# (nsd) and the farm cache in a real redis-server, all on loopback:
#   - the harness itself, with Exim and no module: TLS, AUTH, relay, delivery
#   1 authenticated submission is signed (RSA + Ed25519), checked by dkimpy,
#     Mail::DKIM and mailseal verify against the DNS server
#   2 inbound signed mail gets dkim=pass in Authentication-Results
#   3 forged From of a require_signed domain: 550 at the end of DATA
#   4 a tampered message: dkim=fail (tag), 550 (on_signature_fail = reject)
#   5 the DNS server stops answering: 451, accepted once it answers again
#   6 Redis stopped: the same verdicts as in 1-3
#   7 a broken mailseal.conf, a key file Exim cannot read: 451, a log line
#     naming the file, Exim keeps running
#   8 an Authentication-Results field claiming our authserv-id is removed
#   9 50 SMTP sessions at once
#  10 SPF (check_spf, on daemons of its own): pass, fail (reject with the
#     exp= text / tag), permerror, temperror (REFUSED, server frozen),
#     not checked for AUTH or trusted_networks, the null sender
#  11 DMARC
#  12 sending_rights: a wildcard identity signs as its domain, an
#     exact line, a From not given refused 550 5.7.1 naming user and
#     From (log line too), two mailboxes, inbound mail untouched
#  13 tls_policy through mailseal_tls in the RCPT ACL of docs/tls.md:
#     plain, no certificate, the right name (SAN), a pin (colon form),
#     another pin, test mode 451, log mode, an unlisted domain
#  14 revocation: a domain revoked with `mailseal revoke` is refused at
#     the end of DATA by a pre-warmed daemon, still with Redis stopped
#     (other mail accepted), accepted again once removed; a revoked
#     certificate key refused at RCPT (mailseal_tls); a certificate that
#     the CA's imported CRL revokes refused at RCPT
#   and: several From fields / no From (550 5.7.1), acl_m_mailseal = skip
#   and sign, no signing without AUTH, the module's log line;
#   mailseal_prewarm as docs/exim.md shows it (no per-host limit, a log
#   line per build); the documented postmaster rule (skip only when the
#   postmaster is the sole recipient); A-R fields that the DATA ACL adds
#   (kept with another id, removed with ours, as the docs say);
#   local_scan_timeout below dns_message_budget (Exim's 421, no
#   mailseal: line); no Redis or DNS socket inherited by a pipe delivery.
# Blocks of docs/exim.md marked "<!-- test: NAME -->" are used as they
# are written there (docblock, lib.sh).
# The module is always the normal build's: see the note on the ASan build
# below.  KEEP_T=DIR keeps a copy of the work directory (configs, logs,
# maildirs, SMTP transcripts) in DIR, for looking into a failure.
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
MOD=$ROOT/build/mailseal_exim.so
# EXIM_STATIC=PATH: the same scenarios against an Exim built with the
# module compiled in (t-exim-static.sh sets it)
if [ -n "${EXIM_STATIC:-}" ]; then
	MOD=static
	EXIM_BIN=$EXIM_STATIC
	echo "# against $EXIM_STATIC (module compiled in with LOCAL_SCAN_SOURCE)"
fi
HERE=$ROOT/tests/exim
PY=/usr/bin/python3             # Debian's: python3-dkim, python3-dnspython

# The ASan+UBSan module (build/san/mailseal_exim.so) would need libasan
# preloaded into Exim, an uninstrumented set-uid-dropping forking daemon:
# not a meaningful run.  Inside Exim the normal module is what is tested;
# when the normal build's pass already ran this suite (MAILSEAL_BUILDS
# names both), the ASan pass does not repeat it (the CLI it would change
# is only used to make keys and check signatures here).
case "${MAILSEAL_BUILD:-build}" in
*san*)
	case " ${MAILSEAL_BUILDS:-} " in
	*" build "*)
		echo "# not repeated for ${MAILSEAL_BUILD}: Exim loads the normal build's module ($MOD), tested in the build pass; ASan inside Exim would need LD_PRELOAD of libasan into the daemon"
		exit 0 ;;
	esac
	echo "# ${MAILSEAL_BUILD} pass: Exim loads the normal build's module $MOD (not the ASan one)" ;;
esac

T=$(mktemp -d)
chmod 755 "$T"                  # Exim runs as Debian-exim and reads in here
REDIS_DIR="$T/redis"
. "$ROOT/tests/lib/check.sh"
. "$ROOT/tests/lib/nsd.sh"
. "$ROOT/tests/lib/redis.sh"
. "$HERE/lib.sh"
EXIM_HOME="$T/exim"
mkdir "$EXIM_HOME"
trap 'exim_stop_all; nsd_stop; redis_stop_all; [ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"; rm -rf "$T"' EXIT
cd "$T" || exit 1
START=$(date +%s)

AUTHSERV=mx-auth.example.com
AUTHSERV_RE='mx-auth\.example\.com'

# --- helpers --------------------------------------------------------------
# mkmsg ID FROM [HEADER...]: msg/ID.eml, CRLF, a unique X-Test-Id; each
# HEADER a whole field ("Name: value"); FROM "-" for no From field
mkmsg() {
	local id=$1 from=$2 h
	shift 2
	{
		for h in "$@"; do printf '%s\r\n' "$h"; done
		[ "$from" != - ] && printf 'From: %s\r\n' "$from"
		printf 'To: Rita <rcpt@example.net>\r\n'
		printf 'Subject: mailseal exim test %s\r\n' "$id"
		printf 'Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n'
		printf 'Message-ID: <%s@test.example.org>\r\n' "$id"
		printf 'X-Test-Id: %s\r\n' "$id"
		printf '\r\n'
		printf 'Hello,\r\n\r\nthis is message %s.\r\n-- \r\nthe test\r\n' "$id"
	} > "msg/$id.eml"
}
# signmsg ID DOMAIN SELECTOR...: msg/ID.eml signed by those keys, in place
signmsg() {
	local id=$1 d=$2 s args=()
	shift 2
	for s in "$@"; do args+=(-d "$d" -s "$s" -k "keys/$d/$s.private"); done
	if "$M" -c cli.conf sign "${args[@]}" "msg/$id.eml" > "msg/$id.signed"; then
		mv "msg/$id.signed" "msg/$id.eml"
	else
		nok "test setup: mailseal sign $id ($d $*)"
	fi
}
# code NAME ERE: the last reply to the final dot (EXIM_REPLY) matches ERE
code() {
	if printf '%s\n' "$EXIM_REPLY" | grep -qE "$2"; then ok "$1 ($EXIM_REPLY)"
	else nok "$1 - wanted /$2/, got \"$EXIM_REPLY\"; $(grep -E '^(<|.{1,3}>)' "$EXIM_TRANSCRIPT" | tail -4 | tr '\n' '|')"; fi
}
# delivered DAEMON ID: wait for the message with X-Test-Id ID; sets D
delivered() {
	D=$(exim_wait_find "$1" "X-Test-Id: $2" 10 | head -1)
	[ -n "$D" ]
}
our_ar() { hdr "$1" Authentication-Results | grep -iE "^$AUTHSERV_RE( +[0-9]+)? *;"; }
sigs() { hdr "$1" DKIM-Signature; }
nsigs() { sigs "$1" | grep -c .; }
oneline() { tr '\r\n' '  ' | tr -s ' ' | cut -c1-"${1:-400}"; }
# ar_is NAME FILE ERE: FILE has exactly one A-R of ours, and it matches ERE
ar_is() {
	local got n
	got=$(our_ar "$2")
	n=$(printf '%s' "$got" | grep -c .)
	if [ "$n" = 1 ] && printf '%s\n' "$got" | grep -qE "$3"; then ok "$1"
	else nok "$1 - $n A-R field(s) of ours: $(printf '%s' "$got" | oneline)"; fi
}
# cli_verify FILE: mailseal's own verdicts on FILE, keys from the nsd
cli_verify() { "$M" -c cli.conf verify "$1" 2>&1 | cut -f2- | cut -d' ' -f1-4; }
# mainlog_since NAME MARK: main log lines after line MARK
mainlog_since() { tail -n +"$(($2 + 1))" "$(exim_log "$1")"; }
mainlog_lines() { wc -l < "$(exim_log "$1")"; }

# --- the harness, with Exim alone -----------------------------------------
mkdir msg
exim_tls_init || { nok "test CA and certificates made with openssl"; exit 1; }
if ! exim_start plain; then
	nok "a private Exim daemon without the module starts"
	exit 1
fi
ok "a private Exim daemon without the module listens on 127.0.0.1:$EXIM_PORT_plain"
mkmsg h-auth 'Alice <alice@example.com>'
exim_send plain msg/h-auth.eml -a -r bob@remote.example
code "plain Exim: TLS + AUTH PLAIN submission to a remote domain is accepted" '^250 '
grep -q '^<~  250-AUTH PLAIN LOGIN' "$EXIM_TRANSCRIPT" && ok "plain Exim: AUTH PLAIN LOGIN advertised after STARTTLS" \
	|| nok "plain Exim: AUTH not advertised over TLS"
grep -q 'TLS peer DN=.*CN=mx.example.com' "$EXIM_TRANSCRIPT" && ok "plain Exim: the server certificate verifies against the test CA" \
	|| nok "plain Exim: server certificate - $(grep 'TLS' "$EXIM_TRANSCRIPT" | oneline)"
delivered plain h-auth && ok "plain Exim: the submission is delivered to the maildir" || nok "plain Exim: submission not delivered"
[ -n "${D:-}" ] && hdr "$D" Received | grep -q 'esmtpsa' && ok "plain Exim: received as esmtpsa" || nok "plain Exim: not esmtpsa"
[ -n "${D:-}" ] && [ "$(exim_nth plain 1)" = "$D" ] && ok "plain Exim: it is the first message in the maildir" \
	|| nok "plain Exim: exim_nth 1 is $(exim_nth plain 1), not ${D:-}"
mkmsg h-login 'Alice <alice@example.com>'
exim_send plain msg/h-login.eml -l -c -r bob@remote.example
code "plain Exim: TLS + client certificate + AUTH LOGIN is accepted" '^250 '
exim_log_grep plain "$EXIM_ID.*CV=yes DN=\"O=Org,CN=client1\" A=login:$EXIM_USER" > /dev/null \
	&& ok "plain Exim: the client certificate verified and AUTH LOGIN logged" || nok "plain Exim: client cert / LOGIN not in the log"
mkmsg h-in 'Olga <olga@other.example>'
exim_send plain msg/h-in.eml
code "plain Exim: inbound without TLS or AUTH to a local domain is accepted" '^250 '
delivered plain h-in && ok "plain Exim: the inbound message is delivered" || nok "plain Exim: inbound not delivered"
mkmsg h-relay 'Olga <olga@other.example>'
exim_send plain msg/h-relay.eml -r bob@remote.example
grep -q '^<\*\* 550 relay not permitted' "$EXIM_TRANSCRIPT" && ok "plain Exim: relay without AUTH is refused at RCPT" \
	|| nok "plain Exim: relay without AUTH - $(grep -E '^<' "$EXIM_TRANSCRIPT" | tail -2 | oneline)"
exim_send plain msg/h-auth.eml -r bob@remote.example -- --auth PLAIN --auth-user "$EXIM_USER" --auth-password "$EXIM_PASS"
if grep -q '^<-  250.AUTH' "$EXIM_TRANSCRIPT" || grep -q '^<.  235' "$EXIM_TRANSCRIPT"; then
	nok "plain Exim: AUTH offered or done without TLS - $(grep -E '^<' "$EXIM_TRANSCRIPT" | oneline)"
else
	ok "plain Exim: no AUTH offered without TLS"
fi
auth_raw=$("$PY" - "$EXIM_PORT_plain" "$EXIM_USER" "$EXIM_PASS" <<'PY' 2>&1
import base64, smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.ehlo("client.example.org")
code, text = s.docmd("AUTH", "PLAIN " + base64.b64encode(
    ("\0%s\0%s" % (sys.argv[2], sys.argv[3])).encode()).decode())
print(code, text.decode())
s.close()
PY
)
case $auth_raw in
503*) ok "plain Exim: AUTH sent anyway without TLS: $auth_raw" ;;
*) nok "plain Exim: AUTH without TLS answered \"$auth_raw\"" ;;
esac
exim_send plain msg/h-auth.eml -r bob@remote.example -- --tls --auth PLAIN --auth-user "$EXIM_USER" --auth-password wrong
grep -q '^<~\* 535' "$EXIM_TRANSCRIPT" && ok "plain Exim: a wrong password gets 535" \
	|| nok "plain Exim: wrong password - $(grep -E '^<' "$EXIM_TRANSCRIPT" | tail -2 | oneline)"
exim_wait_idle plain && ok "plain Exim: the queue drains" || nok "plain Exim: queue not empty: $(exim_queue plain | oneline)"
[ "$(exim_count plain)" = 3 ] && ok "plain Exim: exactly the 3 accepted messages delivered" || nok "plain Exim: $(exim_count plain) delivered, wanted 3"

# --- the module -----------------------------------------------------------
if [ "$MOD" = static ]; then
	ok "the static Exim: $EXIM_BIN"
elif [ ! -f "$MOD" ]; then
	nok "the Exim module is built - $MOD does not exist"
	exit 1
else
	ok "the Exim module exists: $MOD"
fi

# keys, DNS, Redis
mkdir keys
for spec in example.com:ms-rsa:rsa example.com:ms-ed:ed25519 \
	bank.example:b-rsa:rsa bank.example:b-slow:rsa \
	other.example:o-rsa:rsa other.example:o-ed:ed25519; do
	d=${spec%%:*} rest=${spec#*:}
	mkdir -p "keys/$d"
	"$M" keygen -d "$d" -s "${rest%%:*}" -t "${rest#*:}" -o "keys/$d" > /dev/null \
		|| { nok "keygen $spec"; exit 1; }
done
for d in example.com bank.example other.example; do
	nsd_zone "$d" 300 "keys/$d"/*.txt > "$d.zone"
done
# SPF records for section 10 (no daemon before it checks SPF): the
# client is 127.0.0.1, swaks says HELO client.example.org
cat > spf.rr <<'RR'
pass IN TXT "v=spf1 ip4:127.0.0.1 -all"
fail IN TXT "v=spf1 ip4:192.0.2.1 exp=why.spf.example -all"
why IN TXT "%{i} is not one of %{d}'s senders"
broken IN TXT "v=spf1 ip4:127.0.0.1/33 -all"
late IN TXT "v=spf1 ip4:127.0.0.1 -all"
RR
nsd_zone spf.example 300 spf.rr > spf.example.zone
echo 'client IN TXT "v=spf1 ip4:192.0.2.9 -all"' > helo.rr
nsd_zone example.org 300 helo.rr > example.org.zone
# DMARC records for section 11: reject. and quar. publish policies and
# an SPF record that does not list 127.0.0.1; pass. lists it
cat > dmarc.rr <<'RR'
_dmarc.reject IN TXT "v=DMARC1; p=reject"
reject IN TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.quar IN TXT "v=DMARC1; p=quarantine"
quar IN TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.pass IN TXT "v=DMARC1; p=reject"
pass IN TXT "v=spf1 ip4:127.0.0.1 -all"
RR
nsd_zone dmarc.example 300 dmarc.rr > dmarc.example.zone
nsd_start "$T" example.com bank.example other.example spf.example example.org dmarc.example || { nok "nsd starts"; exit 1; }
redis_start main || { nok "redis-server starts"; exit 1; }
ok "nsd on 127.0.0.1:$NSD_PORT (example.com, bank.example, other.example, spf.example, example.org), redis-server on $REDIS_PORT_main"
printf 'dns_resolver = 127.0.0.1:%s\n' "$NSD_PORT" > cli.conf

# the module's files, readable by Debian-exim only where it needs them
chown Debian-exim keys/example.com/*.private
printf 'example.com ms-rsa %s\nexample.com ms-ed %s\n' \
	"$T/keys/example.com/ms-rsa.private" "$T/keys/example.com/ms-ed.private" > signing.table
common() {
	printf 'dns_resolver = 127.0.0.1:%s\n' "$NSD_PORT"
	printf 'signing_table = %s\n' "$1"
	printf 'require_signed = bank.example .bank.example\n'
	printf 'authserv_id = %s\n' "$AUTHSERV"
}
{ common "$T/signing.table"; printf 'redis_url = redis://127.0.0.1:%s\non_signature_fail = tag\n' "$REDIS_PORT_main"; } > ms.conf
{ common "$T/signing.table"; printf 'redis_url = redis://127.0.0.1:%s\non_signature_fail = reject\n' "$REDIS_PORT_main"; } > reject.conf
{ common "$T/signing.table"; printf 'dns_timeout = 300ms\ndns_message_budget = 1s\non_temperror = tempfail\n'; } > fast.conf
mkdir brk
cp keys/example.com/*.private brk/
chown Debian-exim brk/*.private
printf 'example.com ms-rsa %s\nexample.com ms-ed %s\n' "$T/brk/ms-rsa.private" "$T/brk/ms-ed.private" > brk.table
{ common "$T/brk.table"; printf 'redis_url = redis://127.0.0.1:%s\n' "$REDIS_PORT_main"; } > brk.conf
for c in ms reject fast brk; do
	if "$M" -c "$c.conf" config check > cc.out 2>&1; then ok "mailseal config check accepts $c.conf"
	else nok "mailseal config check accepts $c.conf - $(oneline < cc.out)"; fi
done

for n in main:ms reject:reject fast:fast brk:brk; do
	exim_start "${n%%:*}" "$MOD" "$T/${n#*:}.conf" || { nok "Exim with the module starts (${n%%:*})"; exit 1; }
done
ok "Exim daemons with the module: main $EXIM_PORT_main, reject $EXIM_PORT_reject, fast $EXIM_PORT_fast, brk $EXIM_PORT_brk"

. "$ROOT/tests/lib/mtacases.sh"     # the cases both MTA suites share
# --- 1. authenticated submission is signed ----------------------------------
# scen1 TAG DAEMON ID: submit msg/ID.eml with AUTH; two signatures that
# mailseal verify passes, no A-R of ours; sets D (the delivered file)
scen1() {
	local tag=$1 daemon=$2 id=$3 v
	mkmsg "$id" 'Alice <alice@example.com>'
	exim_send "$daemon" "msg/$id.eml" -a -r bob@remote.example
	code "$tag: TLS + AUTH submission from example.com accepted" '^250 '
	if ! delivered "$daemon" "$id"; then nok "$tag: the submission is delivered"; return; fi
	signed_checks "$tag"
}
scen1 "1" main s1-sub
S1=$D S1_ID=$EXIM_ID
v=$("$PY" "$HERE/dkimpy_verify.py" "$NSD_PORT" "$S1" 2>&1 | oneline)
case $v in
*"d=example.com s=ms-rsa a=rsa-sha256 pass"*) ok "1: dkimpy (keys from nsd): the RSA signature passes" ;;
*) nok "1: dkimpy RSA - $v" ;;
esac
case $v in
*"d=example.com s=ms-ed a=ed25519-sha256 pass"*) ok "1: dkimpy (keys from nsd): the Ed25519 signature passes" ;;
*) nok "1: dkimpy Ed25519 - $v" ;;
esac
echo "# Mail::DKIM 1.20230212 (Debian 12) has no Ed25519: only the RSA signature is checked with it"
v=$(perl "$HERE/maildkim_verify.pl" "$NSD_PORT" "$S1" 2>&1 | oneline)
case $v in
*"d=example.com s=ms-rsa a=rsa-sha256 pass"*) ok "1: Mail::DKIM (Net::DNS to nsd): the RSA signature passes" ;;
*) nok "1: Mail::DKIM RSA - $v" ;;
esac
top=$(awk '{ sub(/\r$/, "") } /^$/ { exit } /^[^ \t]/ { print $0 }' "$S1" |
	grep -viE '^(Return-path|Envelope-to):' | head -1)
case $top in
DKIM-Signature:*) ok "1: the signatures are at the top, above Exim's Received" ;;
*) nok "1: the first field is not a DKIM-Signature: $top" ;;
esac
mkmsg s1-login2 'Alice <alice@example.com>'
exim_send main msg/s1-login2.eml -l -r bob@remote.example
code "1: AUTH LOGIN submission accepted" '^250 '
delivered main s1-login2 && [ "$(nsigs "$D")" = 2 ] && ok "1: AUTH LOGIN submission signed too" \
	|| nok "1: AUTH LOGIN submission: $(nsigs "${D:-/dev/null}") signatures"
exim_log_grep main "$S1_ID.*mailseal:.*sign.*accept" > /dev/null \
	&& ok "1: the module's log line for the submission (id, sign, accept)" \
	|| nok "1: no 'mailseal:' log line with $S1_ID, sign, accept: $(exim_log_grep main 'mailseal:' | tail -2 | oneline)"

# --- 2. inbound, validly signed ----------------------------------------------
mkmsg s2-in 'Olga <olga@other.example>'
signmsg s2-in other.example o-rsa
exim_send main msg/s2-in.eml
code "2: inbound message signed by other.example, no AUTH: accepted" '^250 '
S2_ID=$EXIM_ID
if delivered main s2-in; then
	ar_is "2: delivered with dkim=pass header.d=other.example in one A-R naming $AUTHSERV" "$D" \
		'dkim=pass.*header\.d=other\.example'
	[ "$(nsigs "$D")" = 1 ] && ok "2: no signature added to inbound mail" || nok "2: $(nsigs "$D") signatures"
	sig_record_is "2" "$D" other.example \
		'^accepted=[0-9]+ aligned=other\.example d=other\.example first=[0-9]+ ip=127\.0\.0\.1 last=[0-9]+ s=o-rsa $'
	top=$(awk '{ sub(/\r$/, "") } /^$/ { exit } /^[^ \t]/ { print $0 }' "$D" | grep -viE '^(Return-path|Envelope-to):' | head -1)
	case $top in
	Authentication-Results:*) ok "2: the A-R field is at the top" ;;
	*) nok "2: the first field is not A-R: $top" ;;
	esac
else
	nok "2: the inbound message is delivered"
fi
mkmsg s2-ed 'Olga <olga@other.example>'
signmsg s2-ed other.example o-ed o-rsa
exim_send main msg/s2-ed.eml
code "2: inbound signed with Ed25519 and RSA: accepted" '^250 '
delivered main s2-ed && ar_is "2: dkim=pass for both signatures in one A-R" "$D" \
	'dkim=pass.*dkim=pass' || nok "2: Ed25519+RSA inbound not delivered"
mkmsg s2-bank 'Bank <service@bank.example>'
signmsg s2-bank bank.example b-rsa
exim_send main msg/s2-bank.eml
code "2: require_signed domain with its own valid signature: accepted" '^250 '
delivered main s2-bank && ar_is "2: bank.example's message: dkim=pass header.d=bank.example" "$D" \
	'dkim=pass.*header\.d=bank\.example' || nok "2: bank.example's message not delivered"
mkmsg s2-sub 'Bank <alerts@mail.bank.example>'
signmsg s2-sub bank.example b-rsa
exim_send main msg/s2-sub.eml
code "2: From mail.bank.example signed by the parent bank.example: accepted" '^250 '
delivered main s2-sub && ar_is "2: ... with dkim=pass header.d=bank.example" "$D" 'dkim=pass.*header\.d=bank\.example' \
	|| nok "2: mail.bank.example's message not delivered"
exim_log_grep main "$S2_ID.*mailseal:.*verify.*pass.*accept" > /dev/null \
	&& ok "2: the module's log line for the inbound message (id, verify, pass, accept)" \
	|| nok "2: no 'mailseal:' log line with $S2_ID, verify, pass, accept"
[ -n "$(rcli "$REDIS_PORT_main" --scan --pattern 'mailseal:*' | head -1)" ] \
	&& ok "2: the module keeps keys in the farm's Redis ($(rcli "$REDIS_PORT_main" DBSIZE) entries)" \
	|| nok "2: nothing in Redis"
exim_log_grep main 'DKIM: ' > /dev/null && nok "2: Exim verified DKIM itself too (dkim_disable_verify)" \
	|| ok "2: Exim's own DKIM verification is off (no 'DKIM:' log lines)"

# --- 3. forged From of a require_signed domain -------------------------------
# rejected DAEMON TAG ID ERE [SEND-ARGS]: sent, ERE at the dot, never delivered
rejected() {
	local daemon=$1 tag=$2 id=$3 re=$4 before
	shift 4
	before=$(exim_count "$daemon")
	exim_send "$daemon" "msg/$id.eml" "$@"
	code "$tag" "$re"
	exim_wait_idle "$daemon" 5
	if [ -z "$(exim_find "$daemon" "X-Test-Id: $id")" ] && [ "$(exim_count "$daemon")" = "$before" ]; then
		ok "$tag: nothing delivered"
	else
		nok "$tag: delivered anyway"
	fi
}
mkmsg s3-unsigned 'CEO <ceo@bank.example>'
rejected main "3: unsigned From bank.example: 550 5.7.20 at the dot" s3-unsigned '^550 5\.7\.20'
printf '%s\n' "$EXIM_REPLY" | grep -q 'bank\.example' && ok "3: the reply names the domain" || nok "3: the reply does not name bank.example"
mkmsg s3-other 'CEO <ceo@bank.example>'
signmsg s3-other other.example o-rsa
rejected main "3: From bank.example signed only by other.example: 550 5.7.22" s3-other '^550 5\.7\.22'
mkmsg s3-sub 'CEO <ceo@mail.bank.example>'
rejected main "3: unsigned From mail.bank.example (.bank.example): 550 5.7.20" s3-sub '^550 5\.7\.20'
mkmsg s3-tls 'CEO <ceo@bank.example>'
rejected main "3: the same over TLS with a client certificate, no AUTH: 550 5.7.20" s3-tls '^550 5\.7\.20' -c
exim_log_grep main 'rejected by local_scan\(\)' > /dev/null && exim_log_grep main 'mailseal:.*bank\.example.*reject' > /dev/null \
	&& ok "3: the main log has the rejections (Exim's 'rejected by local_scan()' and the module's line)" \
	|| nok "3: no 'rejected by local_scan()' / 'mailseal: ... reject' in the main log"

# --- 4. tampered -----------------------------------------------------------
mkmsg s4-tamper 'Olga <olga@other.example>'
signmsg s4-tamper other.example o-rsa
sed -i 's/^this is message s4-tamper\./this is message s4-tamper, CHANGED./' msg/s4-tamper.eml
grep -q CHANGED msg/s4-tamper.eml || { nok "test setup: tampering"; exit 1; }
case $(cli_verify msg/s4-tamper.eml) in *dkim=fail*) ;; *) nok "test setup: the tampered message does not fail in mailseal verify";; esac
exim_send main msg/s4-tamper.eml
code "4: tampered message, on_signature_fail = tag: accepted" '^250 '
delivered main s4-tamper && ar_is "4: delivered with dkim=fail header.d=other.example" "$D" \
	'dkim=fail.*header\.d=other\.example' || nok "4: tampered message not delivered"
rejected reject "4: tampered message, on_signature_fail = reject: 550 5.7.20" s4-tamper '^550 5\.7\.20'
mkmsg s4-good 'Olga <olga@other.example>'
signmsg s4-good other.example o-rsa
exim_send reject msg/s4-good.eml
code "4: on_signature_fail = reject still accepts a valid signature" '^250 '
mkmsg s4-none 'Olga <olga@other.example>'
exim_send reject msg/s4-none.eml
code "4: on_signature_fail = reject accepts unsigned mail of an ordinary domain" '^250 '

# --- 5. DNS times out ------------------------------------------------------
mkmsg s5-slow 'Bank <service@bank.example>'
signmsg s5-slow bank.example b-slow      # a key nobody has fetched yet
nsd_freeze
t0=$(date +%s%N)
before=$(exim_count fast)
exim_send fast msg/s5-slow.eml
took=$(( ($(date +%s%N) - t0) / 1000000 ))
nsd_thaw
code "5: DNS not answering (dns_timeout 300ms, budget 1s): 451 4.4.3 after $took ms" '^451 4\.4\.3'
exim_wait_idle fast 5
[ "$(exim_count fast)" = "$before" ] && ok "5: nothing delivered while DNS was down" || nok "5: delivered while DNS was down"
exim_send fast msg/s5-slow.eml
code "5: DNS back: the same message is accepted" '^250 '
delivered fast s5-slow && ar_is "5: ... with dkim=pass header.d=bank.example" "$D" 'dkim=pass.*header\.d=bank\.example' \
	|| nok "5: not delivered after the DNS came back"
# a temperror that decides the verdict is a 451 for any domain
# (docs/policy.md): DNS trouble never turns into an unverified accept
mkmsg s5-other 'Olga <olga@other.example>'
"$M" keygen -d other.example -s o-late -o keys/other.example > /dev/null
signmsg s5-other other.example o-late         # never published: NXDOMAIN is not at issue, a frozen server is
nsd_freeze
exim_send fast msg/s5-other.eml
nsd_thaw
code "5: temperror for a domain not in require_signed: 451 4.4.3 too" '^451 4\.4\.3 .*other\.example'


# --- 6. Redis stopped ------------------------------------------------------
redis_stop main
scen1 "6 (Redis down)" main s6-sub
mkmsg s6-in 'Olga <olga@other.example>'
signmsg s6-in other.example o-rsa
exim_send main msg/s6-in.eml
code "6 (Redis down): inbound signed by other.example accepted" '^250 '
delivered main s6-in && ar_is "6 (Redis down): dkim=pass header.d=other.example" "$D" 'dkim=pass.*header\.d=other\.example' \
	|| nok "6: inbound not delivered"
mkmsg s6-bank 'Bank <service@bank.example>'
signmsg s6-bank bank.example b-rsa
exim_send main msg/s6-bank.eml
code "6 (Redis down): bank.example with its own valid signature accepted" '^250 '
delivered main s6-bank && ar_is "6 (Redis down): dkim=pass header.d=bank.example" "$D" 'dkim=pass.*header\.d=bank\.example' \
	|| nok "6: bank.example's message not delivered"
mkmsg s6-forged 'CEO <ceo@bank.example>'
rejected main "6 (Redis down): unsigned From bank.example: 550 5.7.20" s6-forged '^550 5\.7\.20'
mkmsg s6-other 'CEO <ceo@bank.example>'
signmsg s6-other other.example o-rsa
rejected main "6 (Redis down): From bank.example signed by other.example: 550 5.7.22" s6-other '^550 5\.7\.22'
redis-server "$REDIS_DIR/main/redis.conf" && redis_wait "$REDIS_PORT_main" || nok "6: redis-server restarts"

# --- 7. broken config, unreadable key -----------------------------------------
mkmsg s7-base 'Alice <alice@example.com>'
exim_send brk msg/s7-base.eml -a -r bob@remote.example
code "7: baseline on the daemon whose files get broken: accepted" '^250 '
cp brk.conf brk.conf.good
# broken DESC ID FILE-ERE [SEND-ARGS]: 451 4.3, a new log line naming FILE, Exim alive
broken() {
	local desc=$1 id=$2 re=$3 mark
	shift 3
	mark=$(mainlog_lines brk)
	mkmsg "$id" 'Alice <alice@example.com>'
	exim_send brk "msg/$id.eml" "$@"
	code "7: $desc: 451 4.3.x" '^451 4\.3\.'
	sleep 0.2
	if mainlog_since brk "$mark" | grep -E -- "$re" > /dev/null; then
		ok "7: $desc: Exim's main log names the file ($(mainlog_since brk "$mark" | grep -E -- "$re" | head -1 | cut -d' ' -f3- | cut -c1-160))"
	else
		nok "7: $desc: no main log line naming the file - $(mainlog_since brk "$mark" | oneline 600)"
	fi
	exim_running brk && ok "7: $desc: Exim keeps running" || nok "7: $desc: Exim died"
}
echo 'this line is not a setting' >> brk.conf
broken "syntax error in mailseal.conf (submission)" s7-syn1 'brk\.conf' -a -r bob@remote.example
broken "syntax error in mailseal.conf (inbound)" s7-syn2 'brk\.conf'
cp brk.conf.good brk.conf
mkmsg s7-fixed 'Alice <alice@example.com>'
exim_send brk msg/s7-fixed.eml -a -r bob@remote.example
code "7: config fixed: the next message is accepted" '^250 '
delivered brk s7-fixed && [ "$(nsigs "$D")" = 2 ] && ok "7: ... and signed" || nok "7: after the fix: not delivered/signed"
chown root:root brk/ms-rsa.private
chmod 600 brk/ms-rsa.private
broken "key file unreadable by Debian-exim (root, 0600)" s7-key 'ms-rsa\.private' -a -r bob@remote.example
chown Debian-exim brk/ms-rsa.private
mkmsg s7-keyok 'Alice <alice@example.com>'
exim_send brk msg/s7-keyok.eml -a -r bob@remote.example
code "7: key readable again: accepted" '^250 '
delivered brk s7-keyok && [ "$(nsigs "$D")" = 2 ] && ok "7: ... and signed with both keys" || nok "7: key fixed: not delivered/signed"
mv brk.conf brk.conf.away
broken "MAILSEAL_CONFIG names a missing file" s7-gone 'brk\.conf' -a -r bob@remote.example
mv brk.conf.away brk.conf
mkmsg s7-back 'Alice <alice@example.com>'
exim_send brk msg/s7-back.eml -a -r bob@remote.example
code "7: config file back: accepted" '^250 '

# --- the engine pre-warmed in the daemon (mailseal_prewarm) ----------------------
# smtp_accept_max_per_host is expanded in the daemon for each connection;
# ${dlfunc} there builds the engine before the session's fork
# (the line docs/exim.md shows, with the module's path of this build)
if [ "$MOD" != static ]; then
	{ common "$T/signing.table"; } > warm.conf
	warm_line=$(docblock prewarm) || nok "warm: docs/exim.md has a block marked 'test: prewarm'"
	case $warm_line in
	*'{mailseal_prewarm}}'*) ok "warm: the documented line sets no limit per host (no third argument)" ;;
	*) nok "warm: the documented line passes a limit per host: $warm_line" ;;
	esac
	EXIM_EXTRA_MAIN=${warm_line//\/usr\/local\/lib\/mailseal\/mailseal_exim.so/$MOD} \
		exim_start warm "$MOD" "$T/warm.conf" || nok "warm: the daemon with mailseal_prewarm starts"
	mkmsg w1 'Alice <alice@example.com>'
	exim_send warm msg/w1.eml -a -r bob@remote.example
	code "warm: an authenticated submission is accepted" '^250 '
	delivered warm w1 && [ "$(nsigs "$D")" = 2 ] && ok "warm: ... and signed with both keys" \
		|| nok "warm: not delivered or not signed"
	grep -q mailseal_exim.so "/proc/$(exim_pid warm)/maps" \
		&& ok "warm: the daemon itself has the module loaded (the engine is built before the fork)" \
		|| nok "warm: the daemon did not load the module"
	n=$(exim_log_grep warm "mailseal: pre-warmed in the daemon from $T/warm\.conf \(shared cache: 4096 slots\)\$" | grep -c .)
	[ "$n" = 1 ] && ok "warm: the daemon logs once that pre-warming worked, naming the file" \
		|| nok "warm: $n 'pre-warmed in the daemon' lines: $(exim_log_grep warm 'mailseal: pre' | oneline)"
	mkmsg w2 'CEO <ceo@bank.example>'
	exim_send warm msg/w2.eml
	code "warm: a forgery is refused" '^550 5\.7\.20'
	mkmsg w3 'Otto <otto@ordinary.example>'
	exim_send warm msg/w3.eml
	code "warm: unsigned mail of a domain with no requirement is accepted" '^250 '
	# a changed configuration is built again in the daemon
	sleep 1
	{ common "$T/signing.table"; printf 'require_signed = ordinary.example\n'; } | \
		grep -v '^require_signed = bank' > warm.conf.new
	mv warm.conf.new warm.conf
	mkmsg w4 'Otto <otto@ordinary.example>'
	exim_send warm msg/w4.eml
	code "warm: after a configuration change the daemon's engine has the new require_signed" '^550 5\.7\.20 .*ordinary\.example'
	mark=$(mainlog_lines warm)
	echo 'not a setting' >> warm.conf
	mkmsg w5 'Otto <otto@other.example>'
	exim_send warm msg/w5.eml
	code "warm: a broken configuration: 451 4.3.5" '^451 4\.3\.5'
	mainlog_since warm "$mark" | grep -q 'pre-warming in the daemon failed: .*warm\.conf' \
		&& ok "warm: the daemon logs that its configuration does not load, naming the file" \
		|| nok "warm: no log line of the daemon's failure - $(mainlog_since warm "$mark" | oneline 400)"
	exim_running warm && ok "warm: Exim keeps running" || nok "warm: Exim died"
	{ common "$T/signing.table"; } > warm.conf
	mkmsg w6 'Otto <otto@other.example>'
	exim_send warm msg/w6.eml
	code "warm: configuration fixed: accepted again" '^250 '
	n=$(exim_log_grep warm 'mailseal: pre-warmed in the daemon' | grep -c .)
	[ "$n" = 3 ] && ok "warm: one 'pre-warmed' line per build (the first, the change, the fix)" \
		|| nok "warm: $n 'pre-warmed' lines, wanted 3 (first build, changed, fixed)"
fi

# --- 8. Authentication-Results claiming our authserv-id ------------------------
WHO=module
inbound_send() { exim_send main "msg/$1.eml"; }
inbound_delivered() { delivered main "$1"; }
auth_send() { exim_send main "msg/$1.eml" -a -r bob@remote.example; }
ar_claims_cases

# --- several From, no From, skip, sign, no signing without AUTH --------------
mkmsg x-2from 'Olga <olga@other.example>' 'From: Boss <boss@other.example>'
rejected main "several From fields: 550 5.7.1" x-2from '^550 5\.7\.1( |$)'
mkmsg x-nofrom -
rejected main "no From field: 550 5.7.1" x-nofrom '^550 5\.7\.1( |$)'
mkmsg x-skip 'CEO <ceo@bank.example>'
exim_send main msg/x-skip.eml -r skip+x@example.net
code "skip (rcpt skip+x@, acl_m_mailseal = skip): a forged bank.example message passes untouched" '^250 '
X_SKIP_ID=$EXIM_ID
if delivered main x-skip; then
	[ -z "$(our_ar "$D")" ] && [ "$(nsigs "$D")" = 0 ] && ok "skip: no A-R, no signature" \
		|| nok "skip: A-R $(our_ar "$D" | oneline), $(nsigs "$D") signatures"
else
	nok "skip: not delivered"
fi
exim_log_grep main "$X_SKIP_ID.*mailseal:.*skip" > /dev/null \
	&& ok "skip: the module's log line says skip" || nok "skip: no 'mailseal:' log line with $X_SKIP_ID and skip"
mkmsg x-skiphdr 'Alice <alice@example.com>' 'X-Test-Mailseal: skip'
exim_send main msg/x-skiphdr.eml -a -r bob@remote.example
code "skip (set in the DATA ACL from a header): authenticated submission accepted" '^250 '
delivered main x-skiphdr && [ "$(nsigs "$D")" = 0 ] && [ -z "$(our_ar "$D")" ] \
	&& ok "skip: the submission is not signed" || nok "skip: submission signed/tagged anyway"
mkmsg x-plain 'Alice <alice@example.com>'
exim_send main msg/x-plain.eml
code "no AUTH, From example.com (in the signing table), plain SMTP: accepted" '^250 '
delivered main x-plain && [ "$(nsigs "$D")" = 0 ] && ar_is "no AUTH: not signed, verified instead (dkim=none)" "$D" 'dkim=none' \
	|| nok "no AUTH, plain SMTP: signed ($(nsigs "${D:-/dev/null}") signatures) or not delivered"
mkmsg x-cert 'Alice <alice@example.com>'
exim_send main msg/x-cert.eml -c
code "no AUTH, TLS with a verified client certificate: accepted" '^250 '
delivered main x-cert && [ "$(nsigs "$D")" = 0 ] && ar_is "no AUTH over TLS with a client certificate: not signed, verified instead (dkim=none)" "$D" 'dkim=none' \
	|| nok "no AUTH, TLS + client cert: signed ($(nsigs "${D:-/dev/null}") signatures) or not delivered"
mkmsg x-sign 'Alice <alice@example.com>'
exim_send main msg/x-sign.eml -r sign+x@example.net
code "sign (rcpt sign+x@, acl_m_mailseal = sign) without AUTH: accepted" '^250 '
if delivered main x-sign; then
	v=$(cli_verify "$D" | sort | oneline)
	case $v in
	*"dkim=pass header.d=example.com header.s=ms-ed"*"dkim=pass header.d=example.com header.s=ms-rsa"*)
		ok "sign override: signed with both keys, both pass" ;;
	*) nok "sign override: $(nsigs "$D") signatures; mailseal verify: $v" ;;
	esac
else
	nok "sign override: not delivered"
fi

# --- no thread outlives local_scan ----------------------------------------------
# a message signed with a selector nobody has looked up (not published:
# no cache has it) makes the module ask DNS, on the resolver's worker
# thread; once Exim has answered the dot, and while the session is
# still open, every process of the daemon has one thread
mkmsg th1 'Olga <olga@other.example>'
"$M" keygen -d other.example -s o-thr -o keys/other.example > /dev/null
signmsg th1 other.example o-thr
coproc HOLD { "$PY" "$HERE/hold_session.py" "$EXIM_PORT_main" rcpt@example.net msg/th1.eml 2>&1; }
read -r -t 20 held <&"${HOLD[0]}"
threads=""
for p in $(exim_children "$(exim_pid main)"); do
	n=$(awk '/^Threads:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
	[ -n "$n" ] && threads="$threads $p:$n"
done
echo >&"${HOLD[1]}"
wait "$HOLD_PID" 2>/dev/null
case $held in
250*) case $threads in
	*:[02-9]*|*:1[0-9]*) nok "no thread outlives local_scan: processes of the open session:$threads" ;;
	"") nok "no thread outlives local_scan: no receiving process found" ;;
	*) ok "no thread outlives local_scan: one thread in each process of the open session ($threads)" ;;
	esac ;;
*) nok "no thread outlives local_scan: the message got \"$held\"" ;;
esac
exim_log_grep main 'mailseal: .*dkim=permerror/other\.example/o-thr' > /dev/null \
	&& ok "... and that message did ask DNS for its key (permerror: not published)" \
	|| nok "the thread check's message did not reach the resolver: $(exim_log_grep main o-thr | tail -1)"

# --- postmaster alone is skipped, postmaster among others is not ---------------
# the DATA ACL statements docs/exim.md shows (block "data-acl"): a client
# that adds RCPT TO:<postmaster@...> before its victim must not get a
# forgery through
if pm_acl=$(docblock data-acl); then
	ok "postmaster: docs/exim.md has the DATA ACL block (test: data-acl)"
else
	nok "postmaster: docs/exim.md has no block marked 'test: data-acl'"
fi
EXIM_EXTRA_DATA_ACL=$pm_acl exim_start pm "$MOD" "$T/ms.conf" || nok "postmaster: the daemon with the documented DATA ACL starts"
mkmsg pm-both 'CEO <ceo@bank.example>' "Authentication-Results: $AUTHSERV; dkim=pass header.d=bank.example header.s=forged-pm1"
rejected pm "postmaster: forged From bank.example to postmaster@ and a victim: 550 5.7.20" pm-both '^550 5\.7\.20' \
	-r postmaster@example.net,rcpt@example.net
mkmsg pm-last 'CEO <ceo@bank.example>'
rejected pm "postmaster: the victim first, then postmaster@: 550 5.7.20" pm-last '^550 5\.7\.20' \
	-r rcpt@example.net,postmaster@example.net
mkmsg pm-alone 'CEO <ceo@bank.example>' "Authentication-Results: $AUTHSERV; dkim=pass header.d=bank.example header.s=forged-pm2"
exim_send pm msg/pm-alone.eml -r postmaster@example.net
code "postmaster: the same forgery to postmaster@ alone is accepted (skip)" '^250 '
PM_ID=$EXIM_ID
exim_log_grep pm "$PM_ID.*mailseal:.*skip" > /dev/null \
	&& ok "postmaster: the module's log line says skip" || nok "postmaster: no 'mailseal:' line with $PM_ID and skip"
if delivered pm pm-alone; then
	[ "$(nsigs "$D")" = 0 ] && ok "postmaster: skipped, not signed" || nok "postmaster: $(nsigs "$D") signatures"
	hdr "$D" Authentication-Results | grep -q 'header\.s=forged-pm2' \
		&& nok "postmaster: skipped, but the forged A-R claiming $AUTHSERV reached the postmaster" \
		|| ok "postmaster: skipped, and the forged A-R claiming $AUTHSERV is gone"
else
	nok "postmaster: the message to postmaster@ alone is delivered"
fi
mkmsg pm-remote 'Alice <alice@example.com>'
exim_send pm msg/pm-remote.eml -a -r postmaster@remote.example
code "postmaster: a submission to a remote domain's postmaster is accepted" '^250 '
delivered pm pm-remote && [ "$(nsigs "$D")" = 2 ] && ok "postmaster: ... and signed (the rule is for local domains only)" \
	|| nok "postmaster: a submission to postmaster@remote.example was not signed"

# --- Authentication-Results that the DATA ACL adds (docs/exim.md) ---------------
# local_scan cannot tell the ACL's fields from the message's: the docs
# say to give mailseal another authserv-id; with the same id the ACL's
# field goes (removed_ar=1), as the docs say.  (Exim's ${authresults}
# with nothing to report is the id alone, without ";": such a field
# counts as the id's too.)
if ar_acl=$(docblock acl-authresults); then
	ok "ACL A-R: docs/exim.md has the block (test: acl-authresults)"
else
	nok "ACL A-R: docs/exim.md has no block marked 'test: acl-authresults'"
fi
{ common "$T/signing.table"; printf 'authserv_id = %s\n' "$EXIM_HOST"; } | grep -v "^authserv_id = $AUTHSERV\$" > sameid.conf
EXIM_EXTRA_DATA_ACL=$ar_acl exim_start arid "$MOD" "$T/ms.conf" || nok "ACL A-R: the daemon starts"
EXIM_EXTRA_DATA_ACL=$ar_acl exim_start aridsame "$MOD" "$T/sameid.conf" || nok "ACL A-R (same id): the daemon starts"
mkmsg ar-acl 'Olga <olga@other.example>'
signmsg ar-acl other.example o-rsa
exim_send arid msg/ar-acl.eml
code "ACL A-R: a signed inbound message with the ACL's A-R is accepted" '^250 '
ARID_ID=$EXIM_ID
if delivered arid ar-acl; then
	ar_is "ACL A-R: different ids: mailseal's A-R (dkim=pass) is there" "$D" 'dkim=pass.*header\.d=other\.example'
	[ "$(hdr "$D" Authentication-Results | grep -ciE "^$(echo "$EXIM_HOST" | sed 's/\./\\./g')( *;|$)")" = 1 ] \
		&& ok "ACL A-R: different ids: the ACL's field (${EXIM_HOST}) is kept" \
		|| nok "ACL A-R: different ids: the ACL's field is gone: $(hdr "$D" Authentication-Results | oneline)"
	exim_log_grep arid "$ARID_ID.*mailseal:" | grep -qv 'removed_ar=' && ok "ACL A-R: different ids: nothing removed (no removed_ar= in the log line)" \
		|| nok "ACL A-R: different ids: log line - $(exim_log_grep arid "$ARID_ID.*mailseal:" | oneline)"
else
	nok "ACL A-R: delivered"
fi
exim_send aridsame msg/ar-acl.eml
code "ACL A-R (same id): accepted" '^250 '
ARID_ID=$EXIM_ID
if delivered aridsame ar-acl; then
	[ "$(hdr "$D" Authentication-Results | grep -ciE "^$(echo "$EXIM_HOST" | sed 's/\./\\./g')( *;|$)")" = 1 ] \
		&& hdr "$D" Authentication-Results | grep -qiE 'dkim=pass.*header\.d=other\.example' \
		&& ok "ACL A-R (same id): one field with the id, mailseal's (the ACL's is removed, as the docs say)" \
		|| nok "ACL A-R (same id): $(hdr "$D" Authentication-Results | oneline)"
	exim_log_grep aridsame "$ARID_ID.*mailseal:.* removed_ar=1" > /dev/null && ok "ACL A-R (same id): removed_ar=1 in the log, as the docs say" \
		|| nok "ACL A-R (same id): log line - $(exim_log_grep aridsame "$ARID_ID.*mailseal:" | oneline)"
else
	nok "ACL A-R (same id): delivered"
fi

# --- local_scan_timeout below dns_message_budget (docs/exim.md) -----------------
# Exim's timeout comes first: 421 "local verification problem" and no
# mailseal: line for the message
{ common "$T/signing.table"; printf 'dns_timeout = 3s\ndns_message_budget = 4s\n'; } > lst.conf
EXIM_EXTRA_MAIN='local_scan_timeout = 1s' exim_start lst "$MOD" "$T/lst.conf" || nok "lst: the daemon starts"
"$M" keygen -d other.example -s o-lst -o keys/other.example > /dev/null
mkmsg lst1 'Olga <olga@other.example>'
signmsg lst1 other.example o-lst
mark=$(mainlog_lines lst)
nsd_freeze
exim_send lst msg/lst1.eml
nsd_thaw
code "local_scan_timeout 1s < dns_message_budget 4s, DNS frozen: 421 local verification problem" '^421 .*local verification problem'
mainlog_since lst "$mark" | grep -q 'local_scan() function timed out' \
	&& ok "lst: Exim logs 'local_scan() function timed out'" || nok "lst: no timeout line - $(mainlog_since lst "$mark" | oneline 400)"
mainlog_since lst "$mark" | grep -q 'mailseal:' \
	&& nok "lst: a mailseal: line was logged: $(mainlog_since lst "$mark" | grep mailseal: | oneline)" \
	|| ok "lst: no mailseal: line for the message (as the docs say)"

# --- no Redis or DNS socket reaches a pipe delivery ------------------------------
# a pipe transport runs a script that lists the descriptors it
# inherited; the message made the module use Redis (a key it has) and
# DNS (a key nobody published)
{
	mkdir fdl && chown Debian-exim fdl
	cat > fdl/fdlist.sh <<'SH'
#!/bin/sh
# run by Exim's pipe transport: this process's descriptors, then the
# kernel's socket tables (to name the peer of each socket)
cat > /dev/null
{
	for f in /proc/$$/fd/*; do printf '%s %s\n' "${f##*/}" "$(readlink "$f")"; done
	echo ---
	cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null
} > "$1.tmp" && mv "$1.tmp" "$1"
SH
	chmod 755 fdl/fdlist.sh
	EXIM_EXTRA_ROUTERS=$(printf 'fdlist:\n  driver = accept\n  local_parts = fdlist\n  transport = fdlist_pipe\n') \
	EXIM_EXTRA_TRANSPORTS=$(printf 'fdlist_pipe:\n  driver = pipe\n  command = %s %s\n  user = Debian-exim\n' \
		"$T/fdl/fdlist.sh" "$T/fdl/fds.txt") \
		exim_start pipe "$MOD" "$T/ms.conf" || nok "pipe: the daemon with a pipe transport starts"
	"$M" keygen -d other.example -s o-pipe -o keys/other.example > /dev/null
	mkmsg fd1 'Olga <olga@other.example>'
	signmsg fd1 other.example o-rsa o-pipe
	exim_send pipe msg/fd1.eml -r fdlist@example.net
	code "pipe: a message for the pipe address is accepted" '^250 '
	FD_ID=$EXIM_ID
	for i in $(seq 1 100); do [ -s fdl/fds.txt ] && break; sleep 0.1; done
	exim_log_grep pipe "$FD_ID.*mailseal:.*o-pipe" > /dev/null && ok "pipe: the module looked up keys for it (Redis, DNS)" \
		|| nok "pipe: no mailseal: line naming o-pipe - $(exim_log_grep pipe "$FD_ID.*mailseal:" | oneline)"
	if [ -s fdl/fds.txt ]; then
		socks=$(awk '/^---$/ { t = 1; next }
			!t { if ($2 ~ /^socket:\[/) { i = $2; gsub(/[^0-9]/, "", i); fd[i] = $1 }; next }
			($10 in fd) { print fd[$10], $2, $3 }' fdl/fds.txt)
		leak=""
		while read -r fd l r; do
			[ -n "$fd" ] || continue
			lp=$((16#${l##*:})) rp=$((16#${r##*:}))
			case " $lp $rp " in
			*" $REDIS_PORT_main "*) leak="$leak fd $fd: Redis (port $REDIS_PORT_main);" ;;
			*" $NSD_PORT "*) leak="$leak fd $fd: DNS (port $NSD_PORT);" ;;
			*) echo "# pipe: inherited socket fd $fd, ports $lp -> $rp" ;;
			esac
		done <<< "$socks"
		[ -z "$leak" ] && ok "pipe: the pipe command inherited no Redis or DNS socket ($(grep -c 'socket:' fdl/fds.txt) sockets in all)" \
			|| nok "pipe: the pipe command inherited:$leak"
	else
		nok "pipe: the pipe command ran and listed its descriptors"
	fi
}

# --- 9. 50 sessions at once ---------------------------------------------------
delivered_count() { exim_count main; }
wait_delivered() { exim_wait_count main "$1" 60; exim_wait_idle main 30; }
delivered_file() { exim_find main "X-Test-Id: $1"; }
multi_from_cases
burst_cases "$EXIM_PORT_main" '^550 5\.7\.20'

# --- 10. SPF -------------------------------------------------------------------
# daemons of their own (the others keep check_spf off); the records are
# in spf.example and example.org (written before nsd_start); the client
# is 127.0.0.1.  spf: fail and permerror refused, temperror per
# on_temperror (default tempfail); spftag: the defaults (tag);
# spftrust: 127.0.0.1 in trusted_networks
{ common "$T/signing.table"; printf 'check_spf = yes\non_spf_fail = reject\non_spf_permerror = reject\ndns_timeout = 300ms\ndns_message_budget = 1s\n'; } > spf.conf
{ common "$T/signing.table"; printf 'check_spf = yes\n'; } > spftag.conf
{ common "$T/signing.table"; printf 'check_spf = yes\non_spf_fail = reject\ntrusted_networks = 127.0.0.1/32\n'; } > spftrust.conf
for c in spf spftag spftrust; do
	if "$M" -c "$c.conf" config check > cc.out 2>&1; then ok "10: mailseal config check accepts $c.conf"
	else nok "10: mailseal config check accepts $c.conf - $(oneline < cc.out)"; fi
	exim_start "$c" "$MOD" "$T/$c.conf" || nok "10: the Exim daemon with $c.conf starts"
done
# spf_log NAME TAG MARK ERE: a mailseal: line after line MARK matches ERE
spf_log() {
	local l
	l=$(mainlog_since "$1" "$3" | grep 'mailseal:')
	if printf '%s\n' "$l" | grep -qE -- "$4"; then ok "$2: the module's log line ($(printf '%s\n' "$l" | grep -E -- "$4" | head -1 | sed 's/.*mailseal: //' | cut -c1-160))"
	else nok "$2: no mailseal: line matching /$4/ - $(printf '%s' "$l" | oneline 400)"; fi
}
# pass
mark=$(mainlog_lines spf)
mkmsg spf-pass 'Pat <pat@pass.spf.example>'
exim_send spf msg/spf-pass.eml
code "10: MAIL FROM pat@pass.spf.example (ip4:127.0.0.1 -all): accepted" '^250 '
if delivered spf spf-pass; then
	ar_is "10: pass: our A-R has dkim=none, then spf=pass smtp.mailfrom=pat@pass.spf.example" "$D" \
		'dkim=none.*; *spf=pass smtp\.mailfrom=pat@pass\.spf\.example'
else
	nok "10: pass: delivered"
fi
spf_log spf "10: pass" "$mark" " spf=pass/pass\.spf\.example"
# fail, on_spf_fail = reject: the exp= text in the reply
mark=$(mainlog_lines spf)
mkmsg spf-fail 'Fred <fred@fail.spf.example>'
rejected spf "10: fail, on_spf_fail = reject: 550 5.7.23 at the dot" spf-fail \
	"^550 5\.7\.23 SPF: fail\.spf\.example does not allow 127\.0\.0\.1 to send its mail: 127\.0\.0\.1 is not one of fail\.spf\.example's senders"
spf_log spf "10: fail (reject)" "$mark" " spf=fail/fail\.spf\.example.*reject| reject.* spf=fail/fail\.spf\.example"
# fail, tagged
mark=$(mainlog_lines spftag)
exim_send spftag msg/spf-fail.eml
code "10: fail, on_spf_fail = tag (default): accepted" '^250 '
if delivered spftag spf-fail; then
	ar_is "10: fail (tag): delivered with dkim=none, spf=fail smtp.mailfrom=fred@fail.spf.example" "$D" \
		'dkim=none.*; *spf=fail smtp\.mailfrom=fred@fail\.spf\.example'
else
	nok "10: fail (tag): delivered"
fi
spf_log spftag "10: fail (tag)" "$mark" " spf=fail/fail\.spf\.example"
# permerror (ip4:127.0.0.1/33)
mark=$(mainlog_lines spf)
mkmsg spf-perm 'Bea <bea@broken.spf.example>'
rejected spf "10: permerror (ip4:127.0.0.1/33), on_spf_permerror = reject: 550 5.7.24" spf-perm \
	'^550 5\.7\.24 .*broken\.spf\.example'
spf_log spf "10: permerror (reject)" "$mark" " spf=permerror/broken\.spf\.example"
mark=$(mainlog_lines spftag)
exim_send spftag msg/spf-perm.eml
code "10: permerror, on_spf_permerror = tag (default): accepted" '^250 '
delivered spftag spf-perm && ar_is "10: permerror (tag): spf=permerror smtp.mailfrom=bea@broken.spf.example" "$D" \
	'dkim=none.*; *spf=permerror smtp\.mailfrom=bea@broken\.spf\.example' || nok "10: permerror (tag): delivered"
# temperror: a domain outside nsd's zones (nsd answers REFUSED)
rc=$("$PY" - "$NSD_PORT" <<'PY' 2>&1
import sys, dns.message, dns.query, dns.rcode
q = dns.message.make_query("nowhere.example", "TXT")
r = dns.query.udp(q, "127.0.0.1", port=int(sys.argv[1]), timeout=3)
print(dns.rcode.to_text(r.rcode()))
PY
)
[ "$rc" = REFUSED ] && ok "10: nsd answers REFUSED for nowhere.example (dnspython)" \
	|| nok "10: nsd's answer for nowhere.example: $rc"
mark=$(mainlog_lines spf)
mkmsg spf-refused 'Rex <rex@nowhere.example>'
t0=$(date +%s%N)
rejected spf "10: temperror (REFUSED), on_temperror default: 451 4.4.3" spf-refused \
	'^451 4\.4\.3 .*nowhere\.example'
echo "# 10: the REFUSED case took $(( ($(date +%s%N) - t0) / 1000000 )) ms (sending and the idle wait)"
spf_log spf "10: temperror (REFUSED)" "$mark" " spf=temperror/nowhere\.example"
# temperror: the server stops answering (dns_timeout 300ms, budget 1s)
mark=$(mainlog_lines spf)
mkmsg spf-late 'Lea <lea@late.spf.example>'
nsd_freeze
t0=$(date +%s%N)
exim_send spf msg/spf-late.eml
took=$(( ($(date +%s%N) - t0) / 1000000 ))
nsd_thaw
code "10: temperror (DNS frozen): 451 4.4.3 after $took ms" '^451 4\.4\.3 .*late\.spf\.example'
spf_log spf "10: temperror (frozen)" "$mark" " spf=temperror/late\.spf\.example"
exim_send spf msg/spf-late.eml
code "10: DNS back: the same message is accepted" '^250 '
delivered spf spf-late && ar_is "10: ... with spf=pass smtp.mailfrom=lea@late.spf.example" "$D" \
	'spf=pass smtp\.mailfrom=lea@late\.spf\.example' || nok "10: not delivered after the DNS came back"
# authenticated submission with a failing envelope sender: not checked
mark=$(mainlog_lines spf)
mkmsg spf-auth 'Alice <alice@example.com>'
exim_send spf msg/spf-auth.eml -a -f alice@fail.spf.example -r bob@remote.example
code "10: TLS + AUTH submission, MAIL FROM alice@fail.spf.example: accepted" '^250 '
if delivered spf spf-auth; then
	[ "$(nsigs "$D")" = 2 ] && ok "10: AUTH: signed with both keys" || nok "10: AUTH: $(nsigs "$D") signatures"
	hdr "$D" Authentication-Results | grep -q 'spf=' \
		&& nok "10: AUTH: an spf= result in A-R: $(hdr "$D" Authentication-Results | oneline)" \
		|| ok "10: AUTH: no spf= in any A-R"
else
	nok "10: AUTH: delivered"
fi
l=$(mainlog_since spf "$mark" | grep 'mailseal:')
case $l in
*sign*) case $l in *spf=*) nok "10: AUTH: the log line has spf=: $(printf '%s' "$l" | oneline)" ;;
	*) ok "10: AUTH: the log line says sign, no spf=" ;; esac ;;
*) nok "10: AUTH: log line - $(printf '%s' "$l" | oneline)" ;;
esac
# trusted_networks = 127.0.0.1/32: not checked (on_spf_fail = reject there)
mark=$(mainlog_lines spftrust)
exim_send spftrust msg/spf-fail.eml
code "10: trusted_networks 127.0.0.1/32, MAIL FROM fred@fail.spf.example: accepted" '^250 '
if delivered spftrust spf-fail; then
	ar_is "10: trusted: our A-R has dkim=none and no spf=" "$D" '^[^;]*; *dkim=none *$'
else
	nok "10: trusted: delivered"
fi
l=$(mainlog_since spftrust "$mark" | grep 'mailseal:')
case $l in
*spf=*) nok "10: trusted: the log line has spf=: $(printf '%s' "$l" | oneline)" ;;
"") nok "10: trusted: no mailseal: line" ;;
*) ok "10: trusted: the log line has no spf=" ;;
esac
# the null sender: checked as postmaster@HELO (client.example.org: -all for us)
mark=$(mainlog_lines spf)
mkmsg spf-null 'Mailer <mailer-daemon@example.org>'
rejected spf "10: MAIL FROM:<>, HELO client.example.org (ip4:192.0.2.9 -all): 550 5.7.23" spf-null \
	'^550 5\.7\.23 SPF: client\.example\.org does not allow 127\.0\.0\.1' -- --from '<>'
grep -q '^ *-> MAIL FROM:<>' "$EXIM_TRANSCRIPT" && ok "10: null sender: swaks sent MAIL FROM:<>" \
	|| nok "10: null sender: $(grep 'MAIL FROM' "$EXIM_TRANSCRIPT" | oneline)"
spf_log spf "10: null sender" "$mark" " spf=fail/client\.example\.org"
mark=$(mainlog_lines spftag)
exim_send spftag msg/spf-null.eml -- --from '<>'
code "10: MAIL FROM:<>, on_spf_fail = tag: accepted" '^250 '
if delivered spftag spf-null; then
	ar_is "10: null sender (tag): spf=fail smtp.mailfrom=postmaster@client.example.org" "$D" \
		'dkim=none.*; *spf=fail smtp\.mailfrom=postmaster@client\.example\.org'
	rm -f "$D"      # delivered on purpose: not a bounce for the check at the end
else
	nok "10: null sender (tag): delivered"
fi
spf_log spftag "10: null sender (tag)" "$mark" " spf=fail/client\.example\.org"
# a null sender after an address-literal HELO: no domain to check (none),
# no lookup: never a temperror that would tempfail bounces for ever
mark=$(mainlog_lines spf)
mkmsg spf-lit 'Mailer <mailer-daemon@example.org>'
exim_send spf msg/spf-lit.eml -- --from '<>' --helo '[127.0.0.1]'
code "10: MAIL FROM:<> after EHLO [127.0.0.1]: accepted (spf=none)" '^250 '
if delivered spf spf-lit; then
	ar_is "10: address-literal HELO: spf=none" "$D" 'spf=none smtp\.mailfrom="postmaster@\[127\.0\.0\.1\]"'
	rm -f "$D"
else
	nok "10: address-literal HELO: delivered"
fi
spf_log spf "10: address-literal HELO" "$mark" " spf=none/\[127\.0\.0\.1\]"

# --- 11. DMARC -----------------------------------------------------------------
# daemons of their own: dmarc (check_dmarc = yes, the defaults: p=reject
# refused, p=quarantine frozen), dmarchdr (exim_quarantine = header)
{ common "$T/signing.table"; printf 'check_dmarc = yes\n'; } > dmarc.conf
{ common "$T/signing.table"; printf 'check_dmarc = yes\nexim_quarantine = header\n'; } > dmarchdr.conf
for c in dmarc dmarchdr; do
	if "$M" -c "$c.conf" config check > cc.out 2>&1; then ok "11: mailseal config check accepts $c.conf"
	else nok "11: mailseal config check accepts $c.conf - $(oneline < cc.out)"; fi
	exim_start "$c" "$MOD" "$T/$c.conf" || nok "11: the Exim daemon with $c.conf starts"
done
# p=reject, forged: no signature, SPF does not list 127.0.0.1
mark=$(mainlog_lines dmarc)
mkmsg dmarc-rej 'Rob <rob@reject.dmarc.example>'
rejected dmarc "11: p=reject, unsigned, SPF fail: 550 5.7.1 at the dot" dmarc-rej \
	'^550 5\.7\.1 DMARC: the policy of reject\.dmarc\.example \(p=reject\)'
spf_log dmarc "11: p=reject" "$mark" " dmarc=fail/reject\.dmarc\.example\(p=reject\)"
# p=reject, SPF passes for the From domain: accepted, dmarc=pass in the one A-R
mark=$(mainlog_lines dmarc)
mkmsg dmarc-pass 'Pia <pia@pass.dmarc.example>'
exim_send dmarc msg/dmarc-pass.eml
code "11: aligned SPF pass: accepted" '^250 '
if delivered dmarc dmarc-pass; then
	ar_is "11: one A-R with dkim=none, spf=pass and dmarc=pass header.from=pass.dmarc.example" "$D" \
		'dkim=none.*; *spf=pass smtp\.mailfrom=pia@pass\.dmarc\.example.*; *dmarc=pass header\.from=pass\.dmarc\.example'
else
	nok "11: aligned SPF pass: delivered"
fi
# a signature of another domain does not make it pass
mkmsg dmarc-other 'Rob <rob@reject.dmarc.example>'
signmsg dmarc-other example.com ms-rsa
rejected dmarc "11: p=reject, signed by example.com only: 550 5.7.1" dmarc-other \
	'^550 5\.7\.1 DMARC: the policy of reject\.dmarc\.example'
# p=quarantine: accepted and frozen, the reason in the main log
mark=$(mainlog_lines dmarc)
mkmsg dmarc-quar 'Quinn <quinn@quar.dmarc.example>'
exim_send dmarc msg/dmarc-quar.eml
code "11: p=quarantine: accepted" '^250 '
sleep 0.5
q=$(exim_queue dmarc)
if printf '%s\n' "$q" | grep -q 'frozen'; then
	ok "11: p=quarantine: the message is frozen in the queue"
	id=$(printf '%s\n' "$q" | awk '/frozen/ {print $3; exit}')
	mainlog_since dmarc "$mark" | grep -q "frozen by local_scan" \
		&& ok "11: the main log says frozen by local_scan" \
		|| nok "11: no 'frozen by local_scan' line: $(mainlog_since dmarc "$mark" | oneline 600)"
	exim4c dmarc -Mrm "$id" > /dev/null 2>&1
else
	nok "11: p=quarantine: not frozen - queue: $(printf '%s' "$q" | oneline)"
fi
spf_log dmarc "11: p=quarantine" "$mark" ' quarantine="DMARC: the policy of quar\.dmarc\.example'
# exim_quarantine = header: delivered, marked; a sender's own mark dropped
mkmsg dmarc-hdr 'Quinn <quinn@quar.dmarc.example>' 'X-Mailseal-Quarantine: no'
exim_send dmarchdr msg/dmarc-hdr.eml
code "11: p=quarantine, exim_quarantine = header: accepted" '^250 '
if delivered dmarchdr dmarc-hdr; then
	h=$(hdr "$D" X-Mailseal-Quarantine)
	[ "$(printf '%s\n' "$h" | grep -c .)" = 1 ] && printf '%s' "$h" | grep -q 'policy of quar\.dmarc\.example' \
		&& ok "11: delivered with our one X-Mailseal-Quarantine ($h)" \
		|| nok "11: X-Mailseal-Quarantine: $(printf '%s' "$h" | oneline)"
else
	nok "11: header mode: delivered"
fi
mkmsg dmarc-hdr2 'Pia <pia@pass.dmarc.example>' 'X-Mailseal-Quarantine: yes, believe me'
exim_send dmarchdr msg/dmarc-hdr2.eml
if delivered dmarchdr dmarc-hdr2; then
	[ -z "$(hdr "$D" X-Mailseal-Quarantine)" ] && ok "11: header mode: a sender's X-Mailseal-Quarantine is removed" \
		|| nok "11: header mode: $(hdr "$D" X-Mailseal-Quarantine | oneline)"
else
	nok "11: header mode (pass): delivered"
fi

# --- 12. sending_rights ---------------------------------------------------------
# a daemon whose one SMTP AUTH user is carol@example.net; the table gives
# the users of example.net (*@example.net) example.com, and carol alone
# bob@example.org (no key of it: accepted unsigned); anything else is
# refused 550 5.7.1 at the end of DATA, never signed
printf '# sending rights\n*@example.net example.com\ncarol@example.net bob@example.org\nsomeone-else example.org\n' > rights
{ common "$T/signing.table"; printf 'sending_rights = %s/rights\n' "$T"; } > rights.conf
"$M" -c rights.conf config check > cc.out 2>&1 && ! grep -q 'warning: any authenticated' cc.out \
	&& ok "12: config check accepts rights.conf, without the multi-tenant warning" \
	|| nok "12: config check rights.conf - $(oneline < cc.out)"
SAVED_USER=$EXIM_USER
EXIM_USER=carol@example.net
exim_start rights "$MOD" "$T/rights.conf" || nok "12: the Exim daemon with sending_rights starts"
mkmsg sr-ok 'Alice <alice@example.com>'
exim_send rights msg/sr-ok.eml -a -r bob@remote.example
code "12: carol@example.net (*@example.net) sends From alice@example.com: accepted" '^250 '
delivered rights sr-ok && [ "$(nsigs "$D")" = 2 ] && ok "12: ... and signed by example.com (2 signatures)" \
	|| nok "12: *@example.net as example.com: $(nsigs "${D:-/dev/null}") signatures"
mkmsg sr-own 'Bob <bob@example.org>'
exim_send rights msg/sr-own.eml -a -r bob@remote.example
code "12: carol@example.net's own line: From bob@example.org accepted" '^250 '
mkmsg sr-no 'Alice <alice@example.org>'
exim_send rights msg/sr-no.eml -a -r bob@remote.example
code "12: From alice@example.org, not in carol's rights: refused 550 5.7.1 naming the user and the From" \
	'^550[ -]5\.7\.1 user carol@example\.net may not send mail From: alice@example\.org \(sending_rights\)'
sleep 0.5
[ -z "$(exim_wait_find rights 'X-Test-Id: sr-no' 1 | head -1)" ] && ok "12: ... nothing delivered" || nok "12: the refused message was delivered"
exim_log_grep rights 'mailseal: .*unsigned="user carol@example\.net may not send mail From: alice@example\.org \(sending_rights\)" action=reject code=550' > /dev/null \
	&& ok "12: ... the module's log line says why (unsigned=..., action=reject)" \
	|| nok "12: log: $(exim_log_grep rights 'mailseal:' | tail -1 | oneline)"
mkmsg sr-two 'Alice <alice@example.com>, Eve <eve@bank.example>'
exim_send rights msg/sr-two.eml -a -r bob@remote.example
code "12: a From with one allowed and one other mailbox: refused 550 5.7.1" \
	'^550[ -]5\.7\.1 user carol@example\.net may not send mail From: eve@bank\.example'
mkmsg sr-in 'Olga <olga@example.org>'
exim_send rights msg/sr-in.eml
code "12: inbound mail (no AUTH) From example.org: not judged by the table, accepted" '^250 '
EXIM_USER=$SAVED_USER

# --- 13. tls_policy: mailseal_tls in the RCPT ACL (docs/tls.md) ------------------
# the client certificate (tests/exim/lib.sh: CN client1, SAN
# mx1.sender.example, signed by the test CA; Exim asks every client for
# one: tls_try_verify_hosts = *)
# (the static Exim has no ${dlfunc} entry points: docs/tls.md)
if [ "$MOD" != static ]; then
	spki_of() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
	CL_SPKI=$(spki_of "$EXIM_HOME/tls/client.crt")
	cat > tls.policy <<-EOF
	secure.example   require name=mx1.sender.example
	pinned.example   require pin=$(printf '%s' "$CL_SPKI" | tr a-f A-F | sed 's/../&:/g; s/:$//')
	wrongpin.example require pin=$(printf '%064d' 0)
	trial.example    test    name=mx2.sender.example
	watch.example    log     name=mx2.sender.example
	EOF
	{ common "$T/signing.table"; printf 'tls_policy = %s/tls.policy\nredis_url = redis://127.0.0.1:%s\n' "$T" "$REDIS_PORT_main"; } > tlspol.conf
	"$M" -c tlspol.conf config check > cc.out 2>&1 && ok "13: config check accepts tlspol.conf" \
		|| nok "13: config check tlspol.conf - $(oneline < cc.out)"
	TLS_ACL=$(docblock rcpt-tls "$ROOT/docs/tls.md") && [ -n "$TLS_ACL" ] \
		&& ok "13: docs/tls.md has the RCPT ACL block (test: rcpt-tls)" || nok "13: docs/tls.md has a block marked 'test: rcpt-tls'"
	TLS_ACL=$(printf '%s\n' "$TLS_ACL" | sed "s|/usr/local/lib/mailseal/mailseal_exim.so|$MOD|g")
	EXIM_EXTRA_RCPT_ACL=$TLS_ACL exim_start tlspol "$MOD" "$T/tlspol.conf" || nok "13: the Exim daemon with the documented ACL starts"
	# tlsx NAME OPTS DOMAIN WANT: WANT ok, or the RCPT reply's ERE
	tlsx() {
		local name=$1 opts=$2 dom=$3 want=$4 id=tls-$1 rc
		mkmsg "$id" "Sec <sec@$dom>"
		# shellcheck disable=SC2086
		exim_send tlspol "msg/$id.eml" $opts
		# the reply to RCPT TO, its continuation lines joined ("550-5.7.1 a"
		# "550 5.7.1 b" -> "550 5.7.1 a b")
		rc=$(awk '/(->|~>) RCPT TO/ { on = 1; next }
			on { sub(/^ *<[-~*]* +/, "")
			     code = substr($0, 1, 3); rest = substr($0, 5)
			     if (n++) sub(/^[0-9]\.[0-9]+\.[0-9]+ /, "", rest)
			     else { dsn = rest; sub(/ .*/, "", dsn); sub(/^[^ ]* /, "", rest) }
			     text = text (text == "" ? "" : " ") rest
			     if (substr($0, 4, 1) != "-") { print code " " (dsn ~ /^[0-9]\./ ? dsn " " : "") text; exit } }' "$EXIM_TRANSCRIPT")
		if [ "$want" = ok ]; then
			case $rc in 250*) ok "13: $dom, $name: accepted at RCPT ($rc)" ;; *) nok "13: $dom, $name: accepted - RCPT \"$rc\"" ;; esac
		else
			printf '%s\n' "$rc" | grep -qE -- "^$want" && ok "13: $dom, $name: refused at RCPT ($rc)" \
				|| nok "13: $dom, $name - wanted /^$want/, RCPT \"$rc\""
		fi
	}
	tlsx plain "" secure.example '550 5\.7\.1 mail from secure\.example must arrive over TLS with a verified client certificate; this session is not encrypted'
	tlsx nocert -t secure.example '550 5\.7\.1 mail from secure\.example .*; no client certificate that verifies was presented'
	tlsx rightname -c secure.example ok
	tlsx pin -c pinned.example ok
	tlsx wrongpin -c wrongpin.example "550 5\\.7\\.1 mail from wrongpin\\.example .*; the client certificate's public key is not one pinned for that domain"
	tlsx testmode -c trial.example '451 4\.7\.1 mail from trial\.example .*\(tls_policy test mode: deferred, not refused\)'
	tlsx unlisted "" other.example ok
	# the farm's record of an accepted signature keeps the certificate's key
	mkmsg tls-rec 'Olga <olga@other.example>'
	signmsg tls-rec other.example o-rsa
	exim_send tlspol msg/tls-rec.eml -c
	code "13: a signed message over TLS with the client certificate: accepted" '^250 '
	if delivered tlspol tls-rec; then
		sig_record_is "13" "$D" other.example "ip=127\\.0\\.0\\.1 .*spki=$CL_SPKI "
	else
		nok "13: the signed message over TLS is delivered"
	fi
	mark=$(mainlog_lines tlspol)
	tlsx logmode -c watch.example ok
	mainlog_since tlspol "$mark" | grep -q 'mailseal: stage=sender sender_domain=watch.example tls_policy=log tls=yes cert=verified cert_names=mx1.sender.example action=accept would_refuse="the client certificate (mx1.sender.example) does not carry a name' \
		&& ok "13: log mode: accepted, and the module logs what it would have refused" \
		|| nok "13: log mode line: $(mainlog_since tlspol "$mark" | grep 'mailseal:' | tail -1 | oneline)"
	exim_log_grep tlspol 'mailseal: stage=sender sender_domain=wrongpin.example tls_policy=require tls=yes cert=verified cert_names=mx1.sender.example action=reject code=550' > /dev/null \
		&& ok "13: the refusal's log line names the mode and the certificate's name" \
		|| nok "13: refusal line: $(exim_log_grep tlspol 'tls_policy=require' | tail -1 | oneline)"
fi

# --- 14. revocation enforced (the farm's Redis; docs/abuse.md) -------------------
# a daemon pre-warmed (its sessions inherit its copy of the revocations)
# on the suite's Redis, revocation_refresh 1s; revocations made by hand
# with `mailseal revoke` (complaints that make them: tests/abuse)
if [ "$MOD" != static ]; then
	{ common "$T/signing.table"; printf 'redis_url = redis://127.0.0.1:%s\nrevocation_refresh = 1s\n' "$REDIS_PORT_main"; } > rev.conf
	warm_line=$(docblock prewarm)
	EXIM_EXTRA_MAIN=${warm_line//\/usr\/local\/lib\/mailseal\/mailseal_exim.so/$MOD} \
		exim_start rev "$MOD" "$T/rev.conf" || nok "14: the pre-warmed daemon on Redis starts"
	RV=$("$M" -c rev.conf revoke add domain other.example --why "test" 2>&1)
	RVID=$(printf '%s' "$RV" | sed -n 's/.*revocation \([0-9]*\)$/\1/p')
	[ -n "$RVID" ] && ok "14: mailseal revoke add domain other.example ($RV)" || nok "14: revoke add: $RV"
	sleep 1.3
	mkmsg rv-1 'Olga <olga@other.example>'
	signmsg rv-1 other.example o-rsa
	exim_send rev msg/rv-1.eml
	code "14: mail signed by the revoked domain: refused at the end of DATA" \
		"^550[ -]5\\.7\\.1 mail signed by other\\.example is refused: this mail farm revoked the right of other\\.example to send \\(revocation $RVID\\)"
	"$M" -c rev.conf revoke remove "$RVID" > /dev/null 2>&1 && ok "14: mailseal revoke remove $RVID" || nok "14: revoke remove"
	sleep 1.3
	mkmsg rv-4 'Olga <olga@other.example>'
	signmsg rv-4 other.example o-rsa
	exim_send rev msg/rv-4.eml
	code "14: the revocation removed: accepted again" '^250 '
	"$M" -c rev.conf revoke add domain other.example > /dev/null 2>&1 || nok "14: revoke add again"
	sleep 1.3
	mkmsg rv-6 'Olga <olga@other.example>'
	signmsg rv-6 other.example o-rsa
	exim_send rev msg/rv-6.eml
	code "14: revoked again: refused" '^550[ -]5\.7\.1 mail signed by other\.example is refused'
	redis_stop main
	sleep 1.3
	mkmsg rv-2 'Olga <olga@other.example>'
	signmsg rv-2 other.example o-rsa
	exim_send rev msg/rv-2.eml
	code "14: Redis stopped: the revocation already known is still enforced" '^550[ -]5\.7\.1 mail signed by other\.example is refused'
	mkmsg rv-3 'Otto <otto@ordinary.example>'
	exim_send rev msg/rv-3.eml
	code "14: Redis stopped: other mail is accepted (nothing refused for lack of Redis)" '^250 '
	# (this test's Redis keeps nothing on disk: it comes back empty)
	redis-server "$REDIS_DIR/main/redis.conf" && redis_wait "$REDIS_PORT_main" || nok "14: redis-server restarts"
	# a revoked certificate key, at RCPT through mailseal_tls (docs/tls.md)
	RV=$("$M" -c rev.conf revoke add spki "$CL_SPKI" 2>&1)
	RVK=$(printf '%s' "$RV" | sed -n 's/.*revocation \([0-9]*\)$/\1/p')
	mkmsg rv-5 'Sec <sec@unlisted.example>'
	exim_send tlspol msg/rv-5.eml -c
	rc=$(awk '/(->|~>) RCPT TO/ { getline; sub(/^ *<[-~*]* +/, ""); print; exit }' "$EXIM_TRANSCRIPT")
	case $rc in
	"550-5.7.1 the client certificate's key is refused"*|"550 5.7.1 the client certificate's key is refused"*)
		ok "14: a session presenting the revoked certificate: refused at RCPT ($rc)" ;;
	*) nok "14: revoked certificate - RCPT \"$rc\"" ;;
	esac
	"$M" -c rev.conf revoke remove "$RVK" > /dev/null 2>&1 || nok "14: revoke remove $RVK"
	# the test CA's CRL revoking the client certificate, imported
	. "$ROOT/tests/lib/crl.sh"
	mkcrl "$T/crl" "$EXIM_HOME/tls/ca.crt" "$EXIM_HOME/tls/ca.key" "$EXIM_HOME/tls/client.crt" \
		|| nok "14: the test CA's CRL ($(tail -2 "$T/crl/revoke.log" | oneline))"
	IM=$("$M" -c rev.conf revoke import-crl "$T/crl/crl.pem" --ca "$EXIM_HOME/tls/ca.crt" 2>&1)
	case $IM in *"1 revoked certificates, 1 added"*) ok "14: the CA's CRL imported ($IM)" ;; *) nok "14: import-crl: $IM" ;; esac
	mkmsg rv-7 'Sec <sec@unlisted.example>'
	exim_send tlspol msg/rv-7.eml -c
	rc=$(awk '/(->|~>) RCPT TO/ { getline; sub(/^ *<[-~*]* +/, ""); print; exit }' "$EXIM_TRANSCRIPT")
	case $rc in
	"550-5.7.1 the client certificate is refused:"*|"550 5.7.1 the client certificate is refused:"*)
		ok "14: a certificate the imported CRL revokes: refused at RCPT ($rc)" ;;
	*) nok "14: CRL - RCPT \"$rc\"" ;;
	esac
	exim_log_grep tlspol 'mailseal: stage=sender revoked=serial action=reject code=550 dsn=5.7.1 text="the client certificate is refused: its CA revoked it' > /dev/null \
		&& ok "14: ... logged (revoked=serial)" || nok "14: no revoked=serial line: $(exim_log_grep tlspol 'revoked=' | tail -1 | oneline)"
fi

# --- at the end, on every daemon ----------------------------------------------
for n in $EXIM_NAMES; do
	exim_wait_idle "$n" 10 || nok "$n: the queue does not drain: $(exim_queue "$n" | oneline)"
	b=$(exim_bounces "$n")
	[ -z "$b" ] && ok "$n: nothing bounced (no <> in the queue or the maildir)" || nok "$n: bounces: $(echo "$b" | oneline)"
	p=$(exim_panics "$n")
	if [ -z "$p" ]; then
		ok "$n: the paniclog has only '$EXIM_PANIC_OK'"
	elif [ "$n" = brk ]; then
		echo "# brk's paniclog has more (the broken files of 7):"
		printf '%s\n' "$p" | sort | uniq -c | sed 's/^/#   /' | head -10
	else
		nok "$n: paniclog: $(echo "$p" | sort -u | oneline 600)"
	fi
	exim_running "$n" && ok "$n: Exim still running" || nok "$n: Exim is not running"
done
echo "# t-exim.sh took $(( $(date +%s) - START )) s"
[ $fails = 0 ]
