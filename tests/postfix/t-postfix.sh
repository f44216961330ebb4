#!/bin/bash
# t-postfix.sh - mailseal-policyd (policy delegation + milter, one
# process) behind Debian's real Postfix 3.7 (run unpacked by
# tests/postfix/lib.sh), driven over SMTP by swaks and small python
# clients, with keys in a real DNS server (nsd) and the farm cache in a
# real redis-server, all on 127.0.0.1 high ports.  The same scenarios,
# verdicts and reply texts as tests/exim/t-exim.sh:
#   1 an authenticated submission (TLS + AUTH) is signed (RSA + Ed25519),
#     checked by dkimpy, Mail::DKIM and mailseal verify against the nsd;
#     a sendmail(1) submission (non_smtpd_milters); the SASL user learned
#     by the policy side when the milter is not sent {auth_authen}
#   2 inbound signed mail gets dkim=pass in one Authentication-Results
#   3 forged From of a require_signed domain: 550 5.7.20 / 5.7.22 at the
#     end of DATA, nothing delivered, nothing bounced
#   4 a tampered message: dkim=fail (tag); 550 5.7.20 (reject; a second
#     daemon and Postfix)
#   5 the DNS server stops answering: 451 4.4.3, accepted once it answers
#   6 Redis stopped: the same verdicts as in 1-3
#   7 broken configurations: the daemon refuses to start, naming the
#     file; SIGHUP with one keeps the old one, naming the file; the
#     daemon down: 451 4.7.1 (milter_default_action = tempfail) and
#     451 4.3.5 (policy); Postfix keeps running
#   8 an Authentication-Results field claiming our authserv-id is
#     removed, one of another id kept
#   9 50 SMTP sessions at once
#  10 require_tls and tls_pins at RCPT (the policy side); 10b tls_policy
#     (require: plain, no certificate, a wrong name, the right name, pins
#     in both forms, another key, self-signed; test mode 451; log mode;
#     subdomains; off), and tls_policy with require_tls refused
#  11 the daemon SIGKILLed during a load run: tempfails only, and no
#     message accepted unsigned or unverified
#  12 malformed policy requests and milter packets on the daemon's own
#     sockets
#  13 SPF (check_spf, a third Postfix P3 and daemon d4): pass, fail
#     (reject 550 5.7.23 / tag), permerror (550 5.7.24), temperror
#     (451 4.4.3), authenticated and trusted_networks not checked, the
#     null sender as postmaster@HELO; a milter probe from 192.0.2.x
#  14 DMARC
#  15 sending_rights (d1 reloaded with a table): alice signs as her own
#     address, is refused 550 5.7.1 as another (log line too); a wildcard
#     identity (*@example.net) signs as example.com and is refused as
#     example.org; sendmail(1) as <local>; inbound mail untouched
#  16 revocation: a domain and a certificate key revoked with `mailseal
#     revoke`: refused at the end of DATA and at RCPT, still with Redis
#     stopped (other mail accepted); accepted once Redis comes back without
#     them
#   and: SIGTERM (clean stop), SIGHUP on an open policy connection, -s.
# The daemon is the build's under test ($MAILSEAL_BUILD: build or
# build/san; it is a normal program, so the ASan pass is meaningful).
# KEEP_T=DIR keeps a copy of the work directory (configs, daemon logs,
# maillogs, delivered mail, SMTP transcripts) in DIR.
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${MAILSEAL_BUILD:-build}
M=${MAILSEAL:-$ROOT/$BUILD/mailseal}
PD=$ROOT/$BUILD/mailseal-policyd
HERE=$ROOT/tests/postfix
EXIM_HERE=$ROOT/tests/exim     # dkimpy_verify.py, maildkim_verify.pl, smtp_burst.py
PY=/usr/bin/python3             # Debian's: python3-dkim, python3-dnspython
START=$(date +%s)
. "$ROOT/tests/lib/check.sh"
. "$HERE/lib.sh"                # also tests/lib/nsd.sh
echo "# daemon under test: $PD"
[ -x "$PD" ] || { nok "the daemon is built - $PD does not exist"; exit 1; }
postfix_fetch || { nok "postfix_fetch unpacks Postfix"; exit 1; }
postfix_tmpdir || exit 1
T=$PF_TMPDIR
REDIS_DIR=$T/redis
. "$ROOT/tests/lib/redis.sh"

. "$HERE/pd.sh"               # pd_start, pd_hup, pd_stop ...
cleanup() {
	local n
	for n in $PD_NAMES; do pd_stop "$n"; done
	for p in ${BG_PIDS:-}; do kill "$p" 2> /dev/null; done
	nsd_stop
	redis_stop_all
	[ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"
	postfix_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$T" || exit 1

AUTHSERV=mx-auth.example.com
T_LAST=$(date +%s%N)
lap() {   # lap NAME: how long the part before took
	local now
	now=$(date +%s%N)
	echo "# ($1: $(( (now - T_LAST) / 1000000 )) ms)"
	T_LAST=$now
}
AUTHSERV_RE='mx-auth\.example\.com'

# --- helpers --------------------------------------------------------------

# mkmsg ID FROM [HEADER...]: msg/ID.eml, CRLF, a unique X-Test-Id; each
# HEADER a whole field; FROM "-" for no From field
mkmsg() {
	local id=$1 from=$2 h
	shift 2
	{
		for h in "$@"; do printf '%s\r\n' "$h"; done
		[ "$from" != - ] && printf 'From: %s\r\n' "$from"
		printf 'To: Rita <rcpt@example.net>\r\n'
		printf 'Subject: mailseal postfix test %s\r\n' "$id"
		printf 'Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n'
		printf 'Message-ID: <%s@test.example.org>\r\n' "$id"
		printf 'X-Test-Id: %s\r\n' "$id"
		printf '\r\n'
		printf 'Hello,\r\n\r\nthis is message %s.\r\n-- \r\nthe test\r\n' "$id"
	} > "$T/msg/$id.eml"
}
# signmsg ID DOMAIN SELECTOR...: msg/ID.eml signed by those keys, in place
signmsg() {
	local id=$1 d=$2 s args=()
	shift 2
	for s in "$@"; do args+=(-d "$d" -s "$s" -k "$T/keys/$d/$s.private"); done
	if "$M" -c "$T/cli.conf" sign "${args[@]}" "$T/msg/$id.eml" > "$T/msg/$id.signed"; then
		mv "$T/msg/$id.signed" "$T/msg/$id.eml"
	else
		nok "test setup: mailseal sign $id ($d $*)"
	fi
}
# send NAME HOW ID [SWAKS-ARGS]: msg/ID.eml to the current Postfix; HOW
# plain, tls (STARTTLS, no cert), auth (TLS + AUTH PLAIN), login (TLS +
# AUTH LOGIN), or a client cert kind (client, selfsigned, other); MAIL
# FROM the From address, RCPT TO rcpt@example.net (bob@remote.example
# for auth/login: relayed); later SWAKS-ARGS override
send() {
	local name=$1 how=$2 id=$3 from
	shift 3
	from=$(sed -n 's/\r$//; s/^From:.*<\([^>]*\)>.*/\1/p; s/^From: *\([^<> ]*@[^<> ]*\) *$/\1/p' \
		"$T/msg/$id.eml" | head -1)
	local a=(--from "${from:-nobody@example.org}" --data "@$T/msg/$id.eml")
	case $how in
	plain) postfix_send_plain "$name" "${a[@]}" --to rcpt@example.net "$@" ;;
	tls) postfix_send_starttls "$name" "${a[@]}" --to rcpt@example.net "$@" ;;
	auth) postfix_send_auth "$name" "${a[@]}" --to bob@remote.example "$@" ;;
	login) postfix_swaks "$name" --tls --auth LOGIN --auth-user "$PF_SASL_USER" \
		--auth-password "$PF_SASL_PASS" "${a[@]}" --to bob@remote.example "$@" ;;
	*) postfix_send_cert "$name" "$how" "${a[@]}" --to rcpt@example.net "$@" ;;
	esac
	QID=$(printf '%s\n' "$PF_DATA_REPLY" | sed -n 's/^250 .*queued as \([0-9A-Za-z]*\).*/\1/p')
}
transcript() { grep -E '^ *(<|->|~>|<~)' "$PF_SWAKS_LOG" | grep -v '^ *<.\?  *[0-9]\{3\}-' | tail -6 | cut -c1-200 | tr '\n' '|'; }
# code NAME ERE: the reply to the final dot matches ERE
code() {
	if printf '%s\n' "$PF_DATA_REPLY" | grep -qE -- "$2"; then ok "$1 ($PF_DATA_REPLY)"
	else nok "$1 - wanted /$2/ at the dot, got \"$PF_DATA_REPLY\"; $(transcript)"; fi
}
# rcode NAME ERE: the reply to RCPT matches ERE
rcode() {
	if printf '%s\n' "$PF_RCPT_REPLY" | grep -qE -- "$2"; then ok "$1 ($PF_RCPT_REPLY)"
	else nok "$1 - wanted /$2/ at RCPT, got \"$PF_RCPT_REPLY\"; $(transcript)"; fi
}
find_msg() { grep -lx "X-Test-Id: $1" "$PF_MAIL"/*.eml 2> /dev/null; }
# delivered ID: wait (10 s) for the message with X-Test-Id ID; sets D
delivered() {
	local i
	D=""
	for i in $(seq 1 200); do
		D=$(find_msg "$1" | head -1)
		[ -n "$D" ] && return 0
		sleep 0.05
	done
	return 1
}
# hdr FILE NAME: the unfolded values of the header fields NAME
hdr() {
	awk -v want="$(printf '%s' "$2" | tr A-Z a-z)" '
		function flush(  i, v) {
			if (cur == "") return
			i = index(cur, ":")
			if (tolower(substr(cur, 1, i - 1)) == want) {
				v = substr(cur, i + 1); sub(/^[ \t]+/, "", v); print v
			}
			cur = ""
		}
		{ sub(/\r$/, "") }
		/^$/ { flush(); exit }
		/^[ \t]/ { x = $0; sub(/^[ \t]+/, " ", x); cur = cur x; next }
		{ flush(); cur = $0 }
		END { flush() }' "$1"
}
our_ar() { hdr "$1" Authentication-Results | grep -iE "^$AUTHSERV_RE( +[0-9]+)? *;"; }
sigs() { hdr "$1" DKIM-Signature; }
nsigs() { sigs "$1" | grep -c .; }
oneline() { tr '\r\n' '  ' | tr -s ' ' | cut -c1-"${1:-400}"; }
first_field() { awk '/^$/ { exit } /^[^ \t]/ { print; exit }' "$1"; }
# ar_is NAME FILE ERE: exactly one A-R of ours, matching ERE
ar_is() {
	local got n
	got=$(our_ar "$2")
	n=$(printf '%s' "$got" | grep -c .)
	if [ "$n" = 1 ] && printf '%s\n' "$got" | grep -qE "$3"; then ok "$1"
	else nok "$1 - $n A-R field(s) of ours: $(printf '%s' "$got" | oneline)"; fi
}
# crlf FILE: a CRLF copy of a delivered message (Postfix's pipe hands it
# over with LF); prints its path
crlf() {
	local out
	out=$T/crlf/$(basename "$(dirname "$(dirname "$1")")")-$(basename "$1")
	sed 's/\r*$/\r/' "$1" > "$out"
	echo "$out"
}
# cli_verify FILE: mailseal's verdicts on FILE, keys from the nsd
cli_verify() { "$M" -c "$T/cli.conf" verify "$(crlf "$1")" 2>&1 | cut -f2- | cut -d' ' -f1-4; }
maillog_mark() { wc -l < "$PF_LOG"; }
maillog_since() { tail -n +"$(($1 + 1))" "$PF_LOG"; }
# rejected TAG HOW ID ERE [SWAKS-ARGS]: ERE at the dot, never delivered
rejected() {
	local tag=$1 how=$2 id=$3 re=$4 before
	shift 4
	before=$(postfix_delivered_count)
	send "$id" "$how" "$id" "$@"
	code "$tag" "$re"
	sleep 0.2
	if [ -z "$(find_msg "$id")" ] && [ "$(postfix_delivered_count)" = "$before" ]; then
		ok "$tag: nothing delivered"
	else
		nok "$tag: delivered anyway"
	fi
}

# --- keys, DNS, Redis -------------------------------------------------------
mkdir msg keys crlf d1 d2 d3 burst load
for spec in example.com:ms-rsa:rsa example.com:ms-ed:ed25519 \
	bank.example:b-rsa:rsa bank.example:b-slow:rsa bank.example:b-wait:rsa bank.example:b-six:rsa \
	other.example:o-rsa:rsa other.example:o-ed:ed25519 other.example:o-six:rsa; do
	d=${spec%%:*} rest=${spec#*:}
	mkdir -p "keys/$d"
	"$M" keygen -d "$d" -s "${rest%%:*}" -t "${rest#*:}" -o "keys/$d" > /dev/null \
		|| { nok "keygen $spec"; exit 1; }
done
for d in example.com bank.example other.example; do
	nsd_zone "$d" 300 "keys/$d"/*.txt > "$d.zone"
done
"$M" keygen -d other.example -s o-late -o keys/other.example > /dev/null   # never published
# SPF (13): the client is 127.0.0.1; a name outside these zones is
# REFUSED by the nsd (a temperror); client.mailseal.test is the HELO
# name of the suite's SMTP client ($PF_HELO)
cat > spf.records <<'EOF_SPF'
pass IN TXT "v=spf1 ip4:127.0.0.1 -all"
fail IN TXT "v=spf1 ip4:192.0.2.1 -all exp=exp.spf.example"
exp IN TXT "%{i} is not one of %{d}'s senders"
broken IN TXT "v=spf1 ip4:127.0.0.1/33 -all"
temp IN TXT "v=spf1 include:spf.elsewhere.invalid -all"
late IN TXT "v=spf1 ip4:127.0.0.1 -all"
EOF_SPF
printf 'client IN TXT "v=spf1 ip4:127.0.0.1 -all"\n' > helo.records
nsd_zone spf.example 300 spf.records > spf.example.zone
nsd_zone mailseal.test 300 helo.records > mailseal.test.zone
# DMARC (14): reject. and quar. publish policies and an SPF record
# without 127.0.0.1; pass. lists it
cat > dmarc.records <<'EOF_DMARC'
_dmarc.reject IN TXT "v=DMARC1; p=reject"
reject IN TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.quar IN TXT "v=DMARC1; p=quarantine"
quar IN TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.pass IN TXT "v=DMARC1; p=reject"
pass IN TXT "v=spf1 ip4:127.0.0.1 -all"
EOF_DMARC
nsd_zone dmarc.example 300 dmarc.records > dmarc.example.zone
nsd_start "$T" example.com bank.example other.example spf.example mailseal.test dmarc.example || { nok "nsd starts"; exit 1; }
redis_start main || { nok "redis-server starts"; exit 1; }
ok "nsd on 127.0.0.1:$NSD_PORT (example.com, bank.example, other.example, spf.example, mailseal.test), redis-server on $REDIS_PORT_main"
printf 'dns_resolver = 127.0.0.1:%s\n' "$NSD_PORT" > cli.conf

lap "keys, DNS, Redis"
# --- two Postfix instances, each with its daemon ---------------------------
# P1 <-> daemon d1 (scenarios 1-3, 4 tag, 6, 8-12); P2 <-> daemon d2,
# whose configuration changes by SIGHUP (4 reject, 5, 7).
# local_header_rewrite_clients is emptied: by default
# (permit_inet_interfaces) a client on 127.0.0.1 counts as local, and
# Postfix's cleanup then adds a missing From: (from the envelope sender)
# before the milter sees the header - no "no From" case could be tested.
# Empty, the test clients are treated as the Internet's.
pf_with() {   # pf_with DIR DAEMON
	mkdir -p "$1"
	postfix_start "$1" --policy "unix:$T/$2/policy.sock" --milter "unix:$T/$2/milter.sock" \
		--non-smtpd-milter "unix:$T/$2/milter.sock" --milter-default-action tempfail \
		--milter-protocol 6 "local_header_rewrite_clients="
}
pf_with "$T/pf1" d1 || { nok "Postfix P1 starts"; exit 1; }
P1=$PF_DIR P1_PORT=$PF_PORT
mkdir -p "$T/pf2"
cp -a "$P1/tls" "$T/pf2/tls"    # the same test CA and certificates (openssl is slow)
pf_with "$T/pf2" d2 || { nok "Postfix P2 starts"; exit 1; }
P2=$PF_DIR P2_PORT=$PF_PORT
postfix_use "$P1"
ok "Postfix instances: P1 on $P1_PORT, P2 on $P2_PORT (check_policy_service + smtpd_milters + non_smtpd_milters, milter_default_action = tempfail)"

# tls_pins: a verified certificate whose fingerprint is not the pinned
# one (wrongpin), the client certificate's fingerprint among two
# (certpin, hex with colons), its public key's (pkpin, lower-case hex
# without colons)
FP_CLIENT=$(postfix_cert_fingerprint "$PF_TLS/client.crt")
FP_OTHER=$(postfix_cert_fingerprint "$PF_TLS/other.crt")
PK_CLIENT=$(openssl x509 -in "$PF_TLS/client.crt" -noout -pubkey | openssl pkey -pubin -outform DER |
	openssl dgst -sha256 -r | cut -d' ' -f1)
{
	echo "# tls_pins for the test"
	echo "wrongpin.example $FP_OTHER"
	echo "certpin.example $FP_OTHER $FP_CLIENT"
	echo "pkpin.example $PK_CLIENT"
} > pins

printf 'example.com ms-rsa %s\nexample.com ms-ed %s\n' \
	"$T/keys/example.com/ms-rsa.private" "$T/keys/example.com/ms-ed.private" > signing.table
printf 'example.com ms-rsa %s\nexample.com ms-ed %s\n' \
	"$T/keys/example.com/ms-rsa.private" "$T/missing/ms-ed.private" > brk-miss.table
mkdir keydir
printf 'example.com ms-rsa %s\nexample.com ms-ed %s\n' \
	"$T/keys/example.com/ms-rsa.private" "$T/keydir" > brk-dir.table
common() {   # common DAEMON
	printf 'dns_resolver = 127.0.0.1:%s\n' "$NSD_PORT"
	printf 'signing_table = %s\n' "$T/signing.table"
	printf 'require_signed = bank.example .bank.example\n'
	printf 'authserv_id = %s\n' "$AUTHSERV"
	printf 'require_tls = secure.example wrongpin.example certpin.example pkpin.example\n'
	printf 'tls_pins = %s\n' "$T/pins"
	printf 'policy_listen = unix:%s\n' "$T/$1/policy.sock"
	printf 'milter_listen = unix:%s\n' "$T/$1/milter.sock"
	printf 'pid_file = %s\n' "$T/$1/pd.pid"
	printf 'socket_mode = 0666\n'
	printf 'revocation_refresh = 1s\n'
}
redis_line() { printf 'redis_url = redis://127.0.0.1:%s\n' "$REDIS_PORT_main"; }
{ common d1; redis_line; echo 'on_signature_fail = tag'; } > d1.conf
{ common d2; redis_line; echo 'on_signature_fail = reject'; } > d2-reject.conf
{ common d2; printf 'dns_timeout = 300ms\ndns_message_budget = 1s\non_temperror = tempfail\n'; } > d2-fast.conf
{ common d2; redis_line; } > d2-good.conf
{ cat d2-good.conf; echo 'this line is not a setting'; } > d2-syntax.conf
sed "s|^signing_table = .*|signing_table = $T/brk-miss.table|" d2-good.conf > d2-miss.conf
sed "s|^signing_table = .*|signing_table = $T/brk-dir.table|" d2-good.conf > d2-dir.conf
{ common d1; redis_line; echo 'on_signature_fail = tag'; } | sed 's/^require_tls = .*/& hup.example/' > d1-hup.conf
for c in d1 d2-reject d2-fast d2-good; do
	if "$M" -c "$c.conf" config check > cc.out 2>&1; then ok "mailseal config check accepts $c.conf"
	else nok "mailseal config check accepts $c.conf - $(oneline < cc.out)"; fi
done
cp d2-reject.conf d2.conf
pd_start d1 "$T/d1.conf" || { nok "daemon d1 starts - $(oneline < d1.log)"; exit 1; }
pd_start d2 "$T/d2.conf" || { nok "daemon d2 starts - $(oneline < d2.log)"; exit 1; }
ok "daemons: d1 (pid $(pd_pid d1)), d2 (pid $(pd_pid d2)), listening on unix sockets mode 0666"
[ "$(cat d1/pd.pid 2> /dev/null)" = "$(pd_pid d1)" ] && [ -S d1/policy.sock ] && [ -S d1/milter.sock ] \
	&& ok "d1: pid file has its pid, both sockets exist" || nok "d1: pid file $(cat d1/pd.pid 2>&1), sockets: $(ls d1)"
grep -q "listening for policy clients on unix:$T/d1/policy.sock" d1.log && grep -q "listening for milter clients on unix:$T/d1/milter.sock" d1.log \
	&& ok "d1 logs both listening addresses" || nok "d1 log: $(oneline < d1.log)"

postfix_use "$P1"
lap "two Postfix instances, each with its daemon"
. "$ROOT/tests/lib/mtacases.sh"     # the cases both MTA suites share
# --- 1. authenticated submission is signed ----------------------------------
# scen1 TAG ID: TLS + AUTH submission from example.com: two signatures that
# mailseal verify passes, no A-R of ours; sets D
scen1() {
	local tag=$1 id=$2 v
	mkmsg "$id" 'Alice <alice@example.com>'
	send "$id" auth "$id"
	code "$tag: TLS + AUTH PLAIN submission from example.com accepted" '^250 '
	if ! delivered "$id"; then nok "$tag: the submission is delivered"; return; fi
	signed_checks "$tag"
}
scen1 1 s1-sub
S1=$D S1_QID=$QID
if [ -n "$S1" ]; then
	v=$("$PY" "$EXIM_HERE/dkimpy_verify.py" "$NSD_PORT" "$(crlf "$S1")" 2>&1 | oneline)
	case $v in
	*"d=example.com s=ms-rsa a=rsa-sha256 pass"*) ok "1: dkimpy (keys from nsd): the RSA signature passes" ;;
	*) nok "1: dkimpy RSA - $v" ;;
	esac
	case $v in
	*"d=example.com s=ms-ed a=ed25519-sha256 pass"*) ok "1: dkimpy (keys from nsd): the Ed25519 signature passes" ;;
	*) nok "1: dkimpy Ed25519 - $v" ;;
	esac
	echo "# Mail::DKIM 1.20230212 (Debian 12) has no Ed25519: only the RSA signature is checked with it"
	v=$(perl "$EXIM_HERE/maildkim_verify.pl" "$NSD_PORT" "$(crlf "$S1")" 2>&1 | oneline)
	case $v in
	*"d=example.com s=ms-rsa a=rsa-sha256 pass"*) ok "1: Mail::DKIM (Net::DNS to nsd): the RSA signature passes" ;;
	*) nok "1: Mail::DKIM RSA - $v" ;;
	esac
	case $(first_field "$S1") in
	DKIM-Signature:*) ok "1: the signatures are at the top, above Postfix's Received" ;;
	*) nok "1: the first field is not a DKIM-Signature: $(first_field "$S1")" ;;
	esac
fi
mkmsg s1-login 'Alice <alice@example.com>'
send s1-login login s1-login
code "1: TLS + AUTH LOGIN submission accepted" '^250 '
delivered s1-login && [ "$(nsigs "$D")" = 2 ] && ok "1: AUTH LOGIN submission signed too" \
	|| nok "1: AUTH LOGIN submission: $(nsigs "${D:-/dev/null}") signatures"
grep -qE "info: $S1_QID: mailseal: role=sign auth=\"alice\" from=example.com signed=example.com/ms-rsa,example.com/ms-ed action=accept" d1.log \
	&& ok "1: the daemon's log line for the submission (queue id $S1_QID, role=sign, auth, signed=, accept)" \
	|| nok "1: no log line '$S1_QID: mailseal: role=sign auth=\"alice\" ...': $(grep mailseal: d1.log | tail -2 | oneline)"
# sendmail(1): pickup -> cleanup -> non_smtpd_milters; docs/policy.md:
# mail submitted on this host (no client address) is signed
mkmsg s1-local 'Alice <alice@example.com>'
postfix_sendmail -f alice@example.com -t < msg/s1-local.eml
if delivered s1-local; then
	ok "1: sendmail(1) submission delivered through non_smtpd_milters"
	qid=$(hdr "$D" Received | sed -n 's/.* id \([0-9A-F]*\);.*/\1/p' | head -1)
	grep -q "info: $qid: mailseal: " d1.log && ok "1: sendmail(1): the daemon saw it (log line for $qid)" \
		|| nok "1: sendmail(1): no daemon log line for $qid"
	[ "$(nsigs "$D")" = 2 ] && ok "1: sendmail(1) submission from example.com is signed (local submission, docs/policy.md)" \
		|| nok "1: sendmail(1) submission from example.com is signed (local submission, docs/policy.md) - $(nsigs "$D") signatures; A-R: $(our_ar "$D" | oneline); log: $(grep "$qid: mailseal:" d1.log | oneline)"
else
	nok "1: sendmail(1) submission delivered"
fi
# the policy side's sasl_username when the milter is not sent
# {auth_authen}: only without macro lists (milter_protocol 2 has no
# SMFIF_SETSYMLIST; with them Postfix sends {auth_authen} whenever there
# is one), and only from a request with the transaction's queue id,
# client and sender before the message (smtpd_data_restrictions: at the
# first RCPT the queue id is not known yet)
postfix_conf "milter_mail_macros = i {mail_addr}" milter_protocol=2 \
	"smtpd_data_restrictions = check_policy_service unix:$T/d1/policy.sock" && postfix_reload
mkmsg s1-nomacro 'Alice <alice@example.com>'
send s1-nomacro auth s1-nomacro
code "1: milter_protocol 2, milter_mail_macros without {auth_authen}: submission accepted" '^250 '
delivered s1-nomacro && [ "$(nsigs "$D")" = 2 ] && grep -q "info: $QID: mailseal: role=sign auth=\"alice\"" d1.log \
	&& ok "1: ... signed all the same, the SASL user learned by the policy side at DATA ($QID: role=sign auth=\"alice\")" \
	|| nok "1: without {auth_authen}: $(nsigs "${D:-/dev/null}") signatures; log: $(grep "$QID: mailseal:" d1.log | oneline)"
postfix_cmd postconf -X milter_mail_macros milter_protocol smtpd_data_restrictions && postfix_conf milter_protocol=6 && postfix_reload

lap "1. authenticated submission is signed"
# --- 2. inbound, validly signed ----------------------------------------------
mkmsg s2-in 'Olga <olga@other.example>'
signmsg s2-in other.example o-rsa
send s2-in plain s2-in
code "2: inbound message signed by other.example, no AUTH: accepted" '^250 '
S2_QID=$QID
if delivered s2-in; then
	ar_is "2: delivered with dkim=pass header.d=other.example in one A-R naming $AUTHSERV" "$D" \
		'dkim=pass.*header\.d=other\.example'
	[ "$(nsigs "$D")" = 1 ] && ok "2: no signature added to inbound mail" || nok "2: $(nsigs "$D") signatures"
	sig_record_is "2" "$D" other.example \
		'^accepted=[0-9]+ aligned=other\.example d=other\.example first=[0-9]+ ip=127\.0\.0\.1 last=[0-9]+ s=o-rsa $'
	case $(first_field "$D") in
	Authentication-Results:*) ok "2: the A-R field is at the top, above Postfix's Received" ;;
	*) nok "2: the first field is not A-R: $(first_field "$D")" ;;
	esac
else
	nok "2: the inbound message is delivered"
fi
mkmsg s2-ed 'Olga <olga@other.example>'
signmsg s2-ed other.example o-ed o-rsa
send s2-ed plain s2-ed
code "2: inbound signed with Ed25519 and RSA: accepted" '^250 '
delivered s2-ed && ar_is "2: dkim=pass for both signatures in one A-R" "$D" \
	'dkim=pass.*dkim=pass' || nok "2: Ed25519+RSA inbound not delivered"
mkmsg s2-bank 'Bank <service@bank.example>'
signmsg s2-bank bank.example b-rsa
send s2-bank plain s2-bank
code "2: require_signed domain with its own valid signature: accepted" '^250 '
delivered s2-bank && ar_is "2: bank.example's message: dkim=pass header.d=bank.example" "$D" \
	'dkim=pass.*header\.d=bank\.example' || nok "2: bank.example's message not delivered"
mkmsg s2-sub 'Bank <alerts@mail.bank.example>'
signmsg s2-sub bank.example b-rsa
send s2-sub plain s2-sub
code "2: From mail.bank.example signed by the parent bank.example: accepted" '^250 '
delivered s2-sub && ar_is "2: ... with dkim=pass header.d=bank.example" "$D" 'dkim=pass.*header\.d=bank\.example' \
	|| nok "2: mail.bank.example's message not delivered"
grep -qE "info: $S2_QID: mailseal: role=verify from=other.example dkim=pass/other.example/o-rsa action=accept" d1.log \
	&& ok "2: the daemon's log line for the inbound message (queue id, verify, pass, accept)" \
	|| nok "2: no log line '$S2_QID: mailseal: role=verify ... pass ... accept'"
[ -n "$(rcli "$REDIS_PORT_main" --scan --pattern 'mailseal:*' | head -1)" ] \
	&& ok "2: the daemon keeps keys in the farm's Redis ($(rcli "$REDIS_PORT_main" DBSIZE) entries)" \
	|| nok "2: nothing in Redis"

lap "2. inbound, validly signed"
# --- 3. forged From of a require_signed domain -------------------------------
mkmsg s3-unsigned 'CEO <ceo@bank.example>'
rejected "3: unsigned From bank.example: 550 5.7.20 at the dot" plain s3-unsigned \
	'^550 5\.7\.20 mail from bank\.example must carry a valid DKIM signature of bank\.example: the message is not signed$'
mkmsg s3-other 'CEO <ceo@bank.example>'
signmsg s3-other other.example o-rsa
rejected "3: From bank.example signed only by other.example: 550 5.7.22" plain s3-other \
	'^550 5\.7\.22 mail from bank\.example must carry a valid DKIM signature of bank\.example: it is signed by other\.example only$'
mkmsg s3-sub 'CEO <ceo@mail.bank.example>'
rejected "3: unsigned From mail.bank.example (.bank.example): 550 5.7.20" plain s3-sub \
	'^550 5\.7\.20 mail from mail\.bank\.example must carry a valid DKIM signature of mail\.bank\.example'
mkmsg s3-tls 'CEO <ceo@bank.example>'
rejected "3: the same over TLS with a verified client certificate, no AUTH: 550 5.7.20" client s3-tls '^550 5\.7\.20 '
mkmsg s3-auth 'CEO <ceo@bank.example>'
rejected "3: an authenticated user writing From bank.example (no key of it): 550 5.7.20" auth s3-auth \
	'^550 5\.7\.20 mail from bank\.example must carry'
postfix_log_grep -q 'milter-reject: END-OF-MESSAGE from localhost\[127\.0\.0\.1\]: 5\.7\.20 mail from bank\.example' \
	&& grep -q 'mailseal: role=verify from=bank.example dkim=none action=reject code=550 dsn=5.7.20' d1.log \
	&& ok "3: Postfix logs the milter-reject, the daemon its reject line" \
	|| nok "3: no 'milter-reject: END-OF-MESSAGE' in the maillog / reject line in the daemon's log"

lap "3. forged From of a require_signed domain"
# --- 4. tampered -----------------------------------------------------------
mkmsg s4-tamper 'Olga <olga@other.example>'
signmsg s4-tamper other.example o-rsa
sed -i 's/^this is message s4-tamper\./this is message s4-tamper, CHANGED./' msg/s4-tamper.eml
grep -q CHANGED msg/s4-tamper.eml || { nok "test setup: tampering"; exit 1; }
case $(cli_verify msg/s4-tamper.eml) in *dkim=fail*) ;; *) nok "test setup: the tampered message does not fail in mailseal verify" ;; esac
send s4-tamper plain s4-tamper
code "4: tampered message, on_signature_fail = tag: accepted" '^250 '
delivered s4-tamper && ar_is "4: delivered with dkim=fail header.d=other.example" "$D" \
	'dkim=fail.*header\.d=other\.example' || nok "4: tampered message not delivered"

lap "4. tampered"
# --- 8. Authentication-Results claiming our authserv-id ------------------------
WHO=daemon
inbound_send() { send "$1" plain "$1"; }
inbound_delivered() { delivered "$1"; }
auth_send() { send "$1" auth "$1"; }
ar_claims_cases
mkmsg s8-sub 'Alice <alice@example.com>' "Authentication-Results: $AUTHSERV; dkim=pass header.s=forged5"
send s8-sub auth s8-sub
code "8: a submission with a field claiming our id: accepted" '^250 '
delivered s8-sub && [ -z "$(hdr "$D" Authentication-Results)" ] && [ "$(nsigs "$D")" = 2 ] \
	&& ok "8: ... signed, and the field is removed on the signing side too" \
	|| nok "8: submission: A-R $(hdr "${D:-/dev/null}" Authentication-Results | oneline), $(nsigs "${D:-/dev/null}") signatures"

lap "8. Authentication-Results claiming our authserv-id"
# --- several From fields, no From --------------------------------------------
mkmsg x-2from 'Olga <olga@other.example>' 'From: Boss <boss@other.example>'
rejected "several From fields: 550 5.7.1" plain x-2from '^550 5\.7\.1 the message has 2 From header fields'
mkmsg x-nofrom -
rejected "no From field: 550 5.7.1" plain x-nofrom '^550 5\.7\.1 ' --from nobody@example.org
mkmsg x-plain 'Alice <alice@example.com>'
send x-plain plain x-plain
code "no AUTH, From example.com (in the signing table), plain SMTP: accepted" '^250 '
delivered x-plain && [ "$(nsigs "$D")" = 0 ] && ar_is "no AUTH: not signed, verified instead (dkim=none)" "$D" 'dkim=none' \
	|| nok "no AUTH: signed ($(nsigs "${D:-/dev/null}") signatures) or not delivered"

lap "several From fields, no From"
# --- 10. require_tls and tls_pins (policy side, at RCPT) ------------------------
# tls10 NAME HOW DOMAIN WANT: MAIL FROM x@DOMAIN; WANT ok or a reason ERE
tls10() {
	local name=$1 how=$2 dom=$3 want=$4 id=s10-$1
	mkmsg "$id" "Sec <sec@$dom>"
	send "$id" "$how" "$id" --to rcpt@example.net
	if [ "$want" = ok ]; then
		[ "$PF_RCPT_CODE/$PF_DATA_CODE" = 250/250 ] && ok "10: $dom, $name: accepted (250 at RCPT and at the dot)" \
			|| nok "10: $dom, $name: accepted - RCPT \"$PF_RCPT_REPLY\", dot \"$PF_DATA_REPLY\""
	else
		rcode "10: $dom, $name: 550 5.7.1 at RCPT" \
			"^550 5\.7\.1 <rcpt@example\.net>: Recipient address rejected: mail from ${dom//./\\.} must arrive over TLS with a verified client certificate; $want\$"
		[ -z "$(find_msg "$id")" ] || nok "10: $dom, $name: delivered anyway"
	fi
}
tls10 "plain SMTP" plain secure.example 'this session is not encrypted'
tls10 "STARTTLS without a client certificate" tls secure.example 'no client certificate that verifies was presented'
tls10 "a self-signed client certificate" selfsigned secure.example 'no client certificate that verifies was presented'
tls10 "a certificate of another CA" other secure.example 'no client certificate that verifies was presented'
tls10 "the CA-signed client certificate" client secure.example ok
tls10 "a verified certificate, not the pinned one" client wrongpin.example 'the client certificate is not one pinned for that domain'
tls10 "the pinned certificate (its fingerprint, second of two pins)" client certpin.example ok
tls10 "the pinned public key (pubkey fingerprint, lower-case, no colons)" client pkpin.example ok
tls10 "a self-signed certificate, pinned domain" selfsigned pkpin.example 'no client certificate that verifies was presented'
tls10 "AUTH over TLS, no client certificate" auth secure.example 'no client certificate that verifies was presented'
mkmsg s10-plainok 'Otto <otto@ordinary.example>'
send s10-plainok plain s10-plainok
code "10: a domain not in require_tls over plain SMTP: accepted" '^250 '
grep -q 'NOQUEUE: mailseal: stage=sender sender_domain=secure.example tls=no cert=none action=reject code=550 dsn=5.7.1 text="mail from secure.example must arrive over TLS' d1.log \
	&& grep -q 'stage=sender sender_domain=wrongpin.example tls=yes cert=verified action=reject' d1.log \
	&& ok "10: the daemon logs each policy rejection (stage=sender ...)" \
	|| nok "10: no 'stage=sender' rejection lines in the daemon's log: $(grep stage=sender d1.log | tail -2 | oneline)"

lap "10. require_tls and tls_pins (policy side, at RCPT)"
# --- 10b. tls_policy (d1 reloaded with a table instead of require_tls/tls_pins)
spki_of() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
MX1_SPKI=$(spki_of "$PF_TLS/mx1.crt")
cat > tls.policy <<EOF
# sending-domain TLS policy (docs/tls.md)
secure.example   require name=mx1.sender.example
pkpin.example    require pin=$MX1_SPKI pin=$(printf '%064d' 0)
colonpin.example require pin=$(printf '%s' "$MX1_SPKI" | tr a-f A-F | sed 's/../&:/g; s/:$//')
trial.example    test    name=mx2.sender.example
watch.example    log     name=mx2.sender.example
.sub.example     require
off.example      off
EOF
{ grep -vE '^(require_tls|tls_pins) = ' d1.conf; printf 'tls_policy = %s/tls.policy\n' "$T"; } > d1-tlspol.conf
"$M" -c d1-tlspol.conf config check > cc.out 2>&1 && ok "10b: config check accepts d1-tlspol.conf" \
	|| nok "10b: config check d1-tlspol.conf - $(oneline < cc.out)"
{ cat d1-tlspol.conf; echo "require_tls = secure.example"; } > d1-both.conf
"$M" -c d1-both.conf config check > cc.out 2>&1
both_rc=$?
[ "$both_rc" != 0 ] && grep -q 'tls_policy replaces require_tls and tls_pins' cc.out \
	&& ok "10b: tls_policy with require_tls: config check fails, saying so" || nok "10b: both: rc $both_rc $(oneline < cc.out)"
# config check asks Postfix's own postconf (this instance's main.cf) and
# warns when a client certificate would grant relaying
pc_check() { env PATH="$PF_ROOT/usr/sbin:$PATH" LD_LIBRARY_PATH="$PF_LIBDIR" MAIL_CONFIG="$PF_CONF" "$M" -c d1-tlspol.conf config check 2>&1; }
! pc_check | grep -q 'permit_tls' && ok "10b: config check, Postfix's restrictions without permit_tls_*: no warning" \
	|| nok "10b: a warning without permit_tls_*: $(pc_check | oneline)"
old_relay=$(postfix_cmd postconf -h smtpd_relay_restrictions)
postfix_conf "smtpd_relay_restrictions = permit_mynetworks, permit_tls_all_clientcerts, permit_sasl_authenticated, defer_unauth_destination"
pc_check | grep -q 'warning: Postfix.s restrictions (postconf) contain permit_tls_all_clientcerts or permit_tls_clientcerts' \
	&& ok "10b: config check warns when Postfix's smtpd_relay_restrictions has permit_tls_all_clientcerts" \
	|| nok "10b: no permit_tls warning: $(pc_check | oneline)"
postfix_conf "smtpd_relay_restrictions = $old_relay"
cp d1.conf d1-legacy.conf
cp d1-tlspol.conf d1.conf
pd_hup d1 || nok "10b: d1 reloads with tls_policy"
# tlsp NAME HOW DOMAIN WANT: WANT ok, or the RCPT reply's ERE
tlsp() {
	local name=$1 how=$2 dom=$3 want=$4 id=s10b-$1
	mkmsg "$id" "Sec <sec@$dom>"
	send "$id" "$how" "$id" --to rcpt@example.net
	if [ "$want" = ok ]; then
		[ "$PF_RCPT_CODE/$PF_DATA_CODE" = 250/250 ] && ok "10b: $dom, $name: accepted" \
			|| nok "10b: $dom, $name: accepted - RCPT \"$PF_RCPT_REPLY\", dot \"$PF_DATA_REPLY\""
	else
		rcode "10b: $dom, $name: refused at RCPT" "^$want"
	fi
}
R='<rcpt@example\.net>: Recipient address rejected: mail from'
tlsp plain plain secure.example "550 5\.7\.1 $R secure\.example must arrive over TLS with a verified client certificate; this session is not encrypted\$"
tlsp nocert tls secure.example "550 5\.7\.1 $R secure\.example .*; no client certificate that verifies was presented\$"
tlsp wrongname client secure.example "550 5\.7\.1 $R secure\.example .*; the client certificate \(mailseal client1\) does not carry a name of that domain's servers\$"
tlsp rightname mx1 secure.example ok
tlsp pin mx1 pkpin.example ok
tlsp colonpin mx1 colonpin.example ok
tlsp otherkey client pkpin.example "550 5\.7\.1 $R pkpin\.example .*; the client certificate's public key is not one pinned for that domain\$"
tlsp selfsigned selfsigned pkpin.example "550 5\.7\.1 $R pkpin\.example .*; no client certificate that verifies was presented\$"
tlsp testmode mx1 trial.example "451 4\.7\.1 $R trial\.example .*does not carry a name of that domain's servers \(tls_policy test mode: deferred, not refused\)\$"
tlsp subdomain plain mail.sub.example "550 5\.7\.1 $R mail\.sub\.example .*not encrypted\$"
tlsp off plain off.example ok
# the farm's record of an accepted signature keeps the certificate's key
# (the policy side saw it at RCPT; the milter records it)
mkmsg s10b-rec 'Olga <olga@other.example>'
signmsg s10b-rec other.example o-rsa
send s10b-rec mx1 s10b-rec --to rcpt@example.net
code "10b: a signed message over TLS with the mx1 certificate: accepted" '^250 '
if delivered s10b-rec; then
	sig_record_is "10b" "$D" other.example "ip=127\\.0\\.0\\.1 .*spki=$MX1_SPKI "
else
	nok "10b: the signed message over TLS is delivered"
fi
MARK_LOG=$(grep -c . d1.log)
tlsp logmode mx1 watch.example ok
tail -n +"$((MARK_LOG + 1))" d1.log | grep -q 'NOQUEUE: mailseal: stage=sender sender_domain=watch.example tls_policy=log tls=yes cert=verified cert_names=mx1.sender.example action=accept would_refuse="the client certificate (mx1.sender.example) does not carry a name' \
	&& ok "10b: log mode: accepted, and the daemon logs what it would have refused" \
	|| nok "10b: log mode line: $(grep 'watch.example' d1.log | tail -1 | oneline)"
grep -q 'stage=sender sender_domain=secure.example tls_policy=require tls=yes cert=verified cert_names=mailseal client1 action=reject code=550' d1.log \
	&& ok "10b: the refusal's log line names the mode and the certificate's name" \
	|| nok "10b: refusal line: $(grep 'tls_policy=require' d1.log | tail -1 | oneline)"
cp d1-legacy.conf d1.conf
pd_hup d1 || nok "10b: d1 reloads back"
lap "10b. tls_policy"
# --- 9. 50 sessions at once ---------------------------------------------------
delivered_count() { postfix_delivered_count; }
wait_delivered() { postfix_wait_delivered "$1" 30; sleep 0.3; }
delivered_file() { find_msg "$1"; }
multi_from_cases
burst_cases "$P1_PORT" '^550 5\.7\.20 mail from bank\.example must carry'

lap "9. 50 sessions at once"
# --- 6. Redis stopped ------------------------------------------------------
# selectors nobody fetched yet (o-six, b-six): the daemon has to ask
# Redis (down) and then the DNS
redis_stop main
scen1 "6 (Redis down)" s6-sub
mkmsg s6-in 'Olga <olga@other.example>'
signmsg s6-in other.example o-six
send s6-in plain s6-in
code "6 (Redis down): inbound signed by other.example (a key not cached) accepted" '^250 '
delivered s6-in && ar_is "6 (Redis down): dkim=pass header.d=other.example" "$D" 'dkim=pass.*header\.d=other\.example' \
	|| nok "6: inbound not delivered"
mkmsg s6-bank 'Bank <service@bank.example>'
signmsg s6-bank bank.example b-six
send s6-bank plain s6-bank
code "6 (Redis down): bank.example with its own valid signature accepted" '^250 '
delivered s6-bank && ar_is "6 (Redis down): dkim=pass header.d=bank.example" "$D" 'dkim=pass.*header\.d=bank\.example' \
	|| nok "6: bank.example's message not delivered"
mkmsg s6-forged 'CEO <ceo@bank.example>'
rejected "6 (Redis down): unsigned From bank.example: 550 5.7.20" plain s6-forged '^550 5\.7\.20 mail from bank\.example must carry'
mkmsg s6-other 'CEO <ceo@bank.example>'
signmsg s6-other other.example o-rsa
rejected "6 (Redis down): From bank.example signed by other.example: 550 5.7.22" plain s6-other '^550 5\.7\.22 '
redis-server "$REDIS_DIR/main/redis.conf" && redis_wait "$REDIS_PORT_main" || nok "6: redis-server restarts"

lap "6. Redis stopped"
# --- 4 (reject), 5, 7: on P2 and d2 -------------------------------------------
postfix_use "$P2"
rejected "4: tampered message, on_signature_fail = reject (P2, d2): 550 5.7.20" plain s4-tamper \
	'^550 5\.7\.20 the DKIM signature of other\.example did not verify \(.*\)$'
mkmsg s4-good 'Olga <olga@other.example>'
signmsg s4-good other.example o-rsa
send s4-good plain s4-good
code "4: on_signature_fail = reject still accepts a valid signature" '^250 '
mkmsg s4-none 'Olga <olga@other.example>'
send s4-none plain s4-none
code "4: on_signature_fail = reject accepts unsigned mail of an ordinary domain" '^250 '

lap "4 (reject), 5, 7: on P2 and d2"
# --- 5. DNS times out ------------------------------------------------------
cp d2-fast.conf d2.conf
pd_hup d2 && grep -q 'info: reloaded' d2.log && ok "5: d2 reloaded (SIGHUP) with dns_timeout 300ms, dns_message_budget 1s, no Redis" \
	|| nok "5: d2 reload - $(tail -2 d2.log | oneline)"
mkmsg s5-slow 'Bank <service@bank.example>'
signmsg s5-slow bank.example b-slow      # a key nobody has fetched yet
nsd_freeze
t0=$(date +%s%N)
before=$(postfix_delivered_count)
send s5-slow plain s5-slow
took=$(( ($(date +%s%N) - t0) / 1000000 ))
nsd_thaw
code "5: DNS not answering: 451 4.4.3 after $took ms" \
	'^451 4\.4\.3 the DKIM signature of bank\.example required for mail from bank\.example could not be verified now \(.*\); try again later$'
[ "$took" -lt 5000 ] && ok "5: ... within 5 s" || nok "5: the 451 took $took ms"
sleep 0.2
[ "$(postfix_delivered_count)" = "$before" ] && ok "5: nothing delivered while DNS was down" || nok "5: delivered while DNS was down"
send s5-slow2 plain s5-slow
code "5: DNS back: the same message is accepted" '^250 '
delivered s5-slow && ar_is "5: ... with dkim=pass header.d=bank.example" "$D" 'dkim=pass.*header\.d=bank\.example' \
	|| nok "5: not delivered after the DNS came back"
mkmsg s5-other 'Olga <olga@other.example>'
signmsg s5-other other.example o-late
nsd_freeze
send s5-other plain s5-other
nsd_thaw
code "5: temperror for a domain not in require_signed: 451 4.4.3 too" \
	'^451 4\.4\.3 the DKIM signature of other\.example could not be verified now \(.*\); try again later$'

# a slow DNS answer holds up only its own message: while one message waits
# for a key that cannot be fetched (a 4 s budget), another one, on its own
# SMTP session, is answered
{ common d2; printf 'dns_timeout = 4s\ndns_message_budget = 4s\non_temperror = tempfail\n'; } > d2-slow.conf
cp d2-slow.conf d2.conf
pd_hup d2 || nok "5: d2 reload (4 s DNS budget)"
mkmsg s5-wait 'Bank <service@bank.example>'
signmsg s5-wait bank.example b-wait
mkmsg s5-quick 'Otto <otto@ordinary.example>'
nsd_freeze
( send s5-wait plain s5-wait; printf '%s\n' "$PF_DATA_REPLY" > "$T/s5-wait.reply" ) &
wpid=$!
sleep 0.5
send s5-quick plain s5-quick
quick=$PF_DATA_REPLY
waiting=no
kill -0 "$wpid" 2> /dev/null && [ ! -s "$T/s5-wait.reply" ] && waiting=yes
wait "$wpid"
nsd_thaw
case $waiting:$quick in
yes:250*) ok "5: a message waiting for DNS does not hold up another session's message ($quick)" ;;
*) nok "5: the other session - waiting=$waiting, its reply \"$quick\"" ;;
esac
grep -qE '^451 4\.4\.3' "$T/s5-wait.reply" && ok "5: ... and the waiting one ends in 451 4.4.3" \
	|| nok "5: the waiting message got \"$(cat "$T/s5-wait.reply")\""
cp d2-fast.conf d2.conf
pd_hup d2 || nok "5: d2 reload back"

lap "5. DNS times out"
# --- 7. broken configuration, unreadable key, daemon down ----------------------
# (the daemon runs as root here, so a key is made unreadable by naming a
# missing file, or a directory, in the signing table - not by its mode)
for c in syntax miss dir; do
	sed "s|$T/d2/|$T/d3/|" "d2-$c.conf" > "d3-$c.conf"
done
# refuses NAME CONF ERE: the daemon exits 1 at start, logging ERE; -t too
refuses() {
	local name=$1 conf=$2 re=$3 rc
	timeout 20 "$PD" -c "$conf" -f > d3.out 2> d3.log
	rc=$?
	if [ $rc = 1 ] && grep -qE -- "$re" d3.log; then
		ok "7: $name: the daemon refuses to start (exit 1), its log names the file ($(grep -E -- "$re" d3.log | head -1 | cut -c1-160))"
	else
		nok "7: $name: the daemon refuses to start - exit $rc, log: $(oneline < d3.log)"
	fi
	[ ! -e d3/policy.sock ] && [ ! -e d3/milter.sock ] && [ ! -e d3/pd.pid ] \
		&& ok "7: $name: no socket and no pid file left" || nok "7: $name: left behind: $(ls d3)"
	timeout 20 "$PD" -c "$conf" -t > d3.out 2> d3.log
	rc=$?
	[ $rc = 1 ] && grep -qE -- "$re" d3.log && ok "7: $name: -t says so too (exit 1)" \
		|| nok "7: $name: -t exit $rc: $(oneline < d3.out) $(oneline < d3.log)"
}
refuses "syntax error in the configuration" "$T/d3-syntax.conf" "error: $T/d3-syntax\\.conf:[0-9]+: "
refuses "a signing table key file that does not exist" "$T/d3-miss.conf" "error: .*$T/missing/ms-ed\\.private: No such file"
refuses "a signing table key file that is a directory" "$T/d3-dir.conf" "error: .*$T/keydir: "
timeout 20 "$PD" -c "$T/d2-good.conf" -t > d3.out 2> d3.log
[ "$(cat d3.out)" = "$T/d2-good.conf: ok" ] && ok "7: -t on a good configuration: \"PATH: ok\", exit 0" \
	|| nok "7: -t on a good configuration: $(oneline < d3.out) $(oneline < d3.log)"

cp d2-good.conf d2.conf
pd_hup d2 || nok "7: d2 reload to the good configuration"
mkmsg s7-base 'Alice <alice@example.com>'
send s7-base auth s7-base
code "7: baseline on d2 (good configuration): submission accepted" '^250 '
delivered s7-base && [ "$(nsigs "$D")" = 2 ] && ok "7: ... and signed" || nok "7: baseline not signed"
# hup_broken DESC CONF ERE: SIGHUP with CONF: logged (naming the file), the old
# configuration kept: a submission is still signed with both keys
hup_broken() {
	local desc=$1 conf=$2 re=$3 mark id
	id=s7-$(echo "$desc" | tr -cd 'a-z')
	cp "$conf" d2.conf
	mark=$(pd_log_lines d2)
	pd_hup d2
	if pd_log_since d2 "$mark" | grep -qE -- "error: reload failed, keeping the running configuration: .*$re"; then
		ok "7: SIGHUP with $desc: logged, naming the file ($(pd_log_since d2 "$mark" | grep 'reload failed' | head -1 | cut -d' ' -f3- | cut -c1-170))"
	else
		nok "7: SIGHUP with $desc: no 'reload failed ... $re' line: $(pd_log_since d2 "$mark" | oneline)"
	fi
	pd_gone "$(pd_pid d2)" && { nok "7: SIGHUP with $desc: the daemon died"; return; }
	mkmsg "$id" 'Alice <alice@example.com>'
	send "$id" auth "$id"
	code "7: SIGHUP with $desc: the old configuration serves on (submission accepted)" '^250 '
	delivered "$id" && [ "$(nsigs "$D")" = 2 ] && ok "7: SIGHUP with $desc: ... signed with both keys" \
		|| nok "7: SIGHUP with $desc: $(nsigs "${D:-/dev/null}") signatures"
}
hup_broken "a syntax error" d2-syntax.conf "$T/d2\\.conf:[0-9]+: "
hup_broken "a key file that does not exist" d2-miss.conf "$T/missing/ms-ed\\.private: No such file"
hup_broken "a key file that is a directory" d2-dir.conf "$T/keydir"
mkmsg s7-in 'Olga <olga@other.example>'
signmsg s7-in other.example o-rsa
send s7-in plain s7-in
code "7: ... and inbound mail is still verified" '^250 '
delivered s7-in && ar_is "7: ... dkim=pass header.d=other.example" "$D" 'dkim=pass.*header\.d=other\.example' || nok "7: inbound not delivered"
cp d2-good.conf d2.conf
pd_hup d2 && tail -1 d2.log | grep -q 'info: reloaded' && ok "7: SIGHUP with the configuration fixed: reloaded" \
	|| nok "7: reload with the fixed configuration: $(tail -1 d2.log)"

# SIGTERM: a clean stop
p=$(pd_pid d2)
kill -TERM "$p"
t0=$(date +%s%N)
for _ in $(seq 1 200); do pd_gone "$p" && break; sleep 0.05; done
wait "$p" 2> /dev/null
rc=$?
took=$(( ($(date +%s%N) - t0) / 1000000 ))
eval "PDPID_d2="
[ "$rc" = 0 ] && ok "SIGTERM: d2 exits with 0 after $took ms" || nok "SIGTERM: d2 exit status $rc ($took ms)"
[ ! -e d2/pd.pid ] && [ ! -e d2/policy.sock ] && [ ! -e d2/milter.sock ] \
	&& ok "SIGTERM: the pid file and both sockets are removed" || nok "SIGTERM: left behind: $(ls d2)"
tail -1 d2.log | grep -q 'info: stopped' && ok "SIGTERM: 'stopped' logged" || nok "SIGTERM: last log line $(tail -1 d2.log)"

# the daemon down (stopped; and one that refuses to start)
down() {   # down TAG
	local tag=$1
	mkmsg "s7-down-$tag" 'Alice <alice@example.com>'
	send "s7-down-$tag" auth "s7-down-$tag"
	# Postfix refuses STARTTLS too while its milter is unavailable
	if [ "$PF_TLS_REPLY" = "454 4.3.0 Try again later" ] && [ -z "$PF_AUTH_REPLY$PF_MAIL_REPLY" ] ||
		[ "$PF_MAIL_REPLY" = "451 4.7.1 Service unavailable - try again later" ]; then
		ok "7: daemon $tag: submission tempfailed by Postfix (milter_default_action = tempfail): ${PF_MAIL_REPLY:-454 4.3.0 to STARTTLS}"
	else
		nok "7: daemon $tag: submission - STARTTLS \"$PF_TLS_REPLY\", MAIL \"$PF_MAIL_REPLY\", dot \"$PF_DATA_REPLY\""
	fi
	mkmsg "s7-down-in-$tag" 'CEO <ceo@bank.example>'
	send "s7-down-in-$tag" plain "s7-down-in-$tag"
	[ "$PF_MAIL_REPLY" = "451 4.7.1 Service unavailable - try again later" ] \
		&& ok "7: daemon $tag: inbound forged From bank.example: 451 4.7.1 at MAIL, not accepted" \
		|| nok "7: daemon $tag: inbound - MAIL \"$PF_MAIL_REPLY\", dot \"$PF_DATA_REPLY\""
}
down "stopped"
timeout 20 "$PD" -c "$T/d2-syntax.conf" -f 2>> d2.log
[ $? = 1 ] && ok "7: d2 with the broken configuration does not start" || nok "7: d2 started with a broken configuration"
down "refusing to start"
postfix_conf "smtpd_milters =" "non_smtpd_milters =" && postfix_reload
mkmsg s7-pol 'Otto <otto@ordinary.example>'
send s7-pol plain s7-pol
[ "$PF_RCPT_REPLY" = "451 4.3.5 <rcpt@example.net>: Recipient address rejected: Server configuration problem" ] \
	&& ok "7: daemon down, policy side (milters off to reach RCPT): 451 4.3.5 Server configuration problem" \
	|| nok "7: daemon down, policy side: RCPT \"$PF_RCPT_REPLY\""
postfix_conf "smtpd_milters = unix:$T/d2/milter.sock" "non_smtpd_milters = unix:$T/d2/milter.sock" && postfix_reload
postfix_log_grep -qE "warning: connect to Milter service unix:$T/d2/milter\\.sock: (No such file or directory|Connection refused)" \
	&& ok "7: Postfix logs the milter it cannot reach" || nok "7: no milter connect warning in the maillog"
kill -0 "$PF_MASTER_PID" 2> /dev/null && postfix_send_plain s7-alive --to rcpt@example.net && [ "${PF_BANNER_REPLY%% *}" = 220 ] \
	&& ok "7: Postfix keeps running (master $PF_MASTER_PID, 220 banner)" || nok "7: Postfix P2 is not running"
pd_start d2 "$T/d2.conf" && ok "7: d2 starts again with the good configuration" || nok "7: d2 restart - $(tail -2 d2.log | oneline)"
mkmsg s7-back 'Alice <alice@example.com>'
send s7-back auth s7-back
code "7: daemon back: submission accepted" '^250 '
delivered s7-back && [ "$(nsigs "$D")" = 2 ] && ok "7: ... and signed" || nok "7: daemon back: not signed"

lap "7. broken configuration, unreadable key, daemon down"
# --- 12. malformed policy requests and milter packets --------------------------
postfix_use "$P1"
mark=$(pd_log_lines d1)
timeout 120 "$PY" "$HERE/pd_probe.py" corpus "unix:$T/d1/policy.sock" "unix:$T/d1/milter.sock" "$(pd_pid d1)" > corpus.out 2>&1
rc=$?
grep -E '^(not )?ok ' corpus.out | sed -E 's/^(not )?ok /&12: /'
fails=$((fails + $(grep -c '^not ok ' corpus.out)))
[ $rc = 0 ] || [ "$(grep -c '^not ok ' corpus.out)" -gt 0 ] || nok "12: the corpus client exited $rc: $(grep -v '^ok ' corpus.out | oneline)"
grep -v -E '^(not )?ok ' corpus.out | sed 's/^/# corpus: /' | head -5
n=$(pd_log_since d1 "$mark" | grep -cE 'policy client: (malformed request|request longer|closed within)')
m=$(pd_log_since d1 "$mark" | grep -cE 'milter client: .*closing')
[ "$n" -ge 10 ] && [ "$m" -ge 15 ] && ok "12: the daemon logged the dropped connections ($n policy, $m milter)" \
	|| nok "12: log lines for dropped connections: $n policy, $m milter"
pd_gone "$(pd_pid d1)" && nok "12: d1 died" || ok "12: d1 is alive after the corpus"
mkmsg s12-after 'Olga <olga@other.example>'
signmsg s12-after other.example o-rsa
send s12-after plain s12-after
code "12: then a real Postfix message still flows" '^250 '
delivered s12-after && ar_is "12: ... with dkim=pass" "$D" 'dkim=pass.*header\.d=other\.example' || nok "12: not delivered"

lap "12. malformed policy requests and milter packets"
# --- 11. the daemon SIGKILLed during a load run -----------------------------------
# 100 messages from 10 concurrent clients, one session each: a quarter
# TLS + AUTH submissions, a quarter inbound signed, a quarter unsigned
# ordinary, a quarter forged From bank.example.  The daemon is killed
# after 20 answers and started again after 32; the tempfailed ones are
# then sent again (a client retrying).  Every answer must be a 250, the
# right 550, or a tempfail; every message in the mailbox must have been
# answered 250, once per copy, and be signed / verified as its kind says.
: > load.spec
declare -A LK
for i in $(seq 1 100); do
	id=$(printf 'l%03d' "$i")
	case $((i % 4)) in
	0) mkmsg "$id" "Alice <alice@example.com>"; LK[$id]=auth; echo "auth $T/load/$id.eml" >> load.spec ;;
	1) mkmsg "$id" "Olga <olga$i@other.example>"; signmsg "$id" other.example o-rsa; LK[$id]=pass
	   echo "plain $T/load/$id.eml" >> load.spec ;;
	2) mkmsg "$id" "Otto <otto$i@ordinary.example>"; LK[$id]=none; echo "plain $T/load/$id.eml" >> load.spec ;;
	3) mkmsg "$id" "CEO <ceo$i@bank.example>"; LK[$id]=forged; echo "plain $T/load/$id.eml" >> load.spec ;;
	esac
	mv "msg/$id.eml" load/
done
load_run() {   # SPEC OUT CONCURRENCY
	timeout 120 "$PY" "$HERE/smtp_load.py" "$P1_PORT" "$PF_TLS/ca.crt" "$PF_SASL_USER" "$PF_SASL_PASS" \
		"$3" rcpt@example.net "$1" "$2"
}
: > load.out
t0=$(date +%s%N)
load_run load.spec load.out 10 > load.err 2>&1 &
LOAD_PID=$!
BG_PIDS="$LOAD_PID"
killed_at="" restarted_at=""
for _ in $(seq 1 1200); do
	n=$(wc -l < load.out)
	if [ -z "$killed_at" ] && [ "$n" -ge 20 ]; then
		kill -KILL "$(pd_pid d1)"
		wait "$(pd_pid d1)" 2> /dev/null
		killed_at=$n
	fi
	if [ -n "$killed_at" ] && [ -z "$restarted_at" ] && [ "$n" -ge 32 ]; then
		pd_start d1 "$T/d1.conf" || nok "11: d1 restarts after SIGKILL - $(tail -2 d1.log | oneline)"
		restarted_at=$(wc -l < load.out)
	fi
	pd_gone "$LOAD_PID" && break
	sleep 0.02
done
wait "$LOAD_PID"
rc=$?
BG_PIDS=""
took=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ -z "$restarted_at" ]; then
	pd_start d1 "$T/d1.conf" || nok "11: d1 restarts after SIGKILL - $(tail -2 d1.log | oneline)"
	restarted_at=end
fi
[ $rc = 0 ] && [ "$(wc -l < load.out)" = 100 ] \
	&& ok "11: load run: 100 messages, 10 clients, every one got an answer ($took ms; SIGKILL after $killed_at, restart after $restarted_at)" \
	|| nok "11: load run exit $rc, $(wc -l < load.out) answers: $(oneline < load.err)"
[ "$(grep -c 'info: started with' d1.log)" -ge 2 ] && [ -S d1/milter.sock ] && [ -S d1/policy.sock ] \
	&& ok "11: d1 restarted after SIGKILL (stale sockets replaced)" || nok "11: d1 restart: $(tail -3 d1.log | oneline)"
# judge LINE-FILE: every answer one of the allowed ones for its kind
declare -A NOK250
judge() {
	local f step c text id bad=""
	while read -r f step c text; do
		id=$(basename "$f" .eml)
		case "$step $c $text" in
		"DATA 250 "*) [ "${LK[$id]}" = forged ] && bad="$bad $id:accepted-forged;"
			NOK250[$id]=$(( ${NOK250[$id]:-0} + 1 )) ;;
		"DATA 550 5.7.20 mail from bank.example must carry"*) [ "${LK[$id]}" = forged ] || bad="$bad $id:$c $text;" ;;
		"TLS 454 4.3.0 "* | "MAIL 451 4.7.1 "* | "RCPT 451 4.7.1 "* | "DATA 451 4.7.1 "* | "RCPT 451 4.3.5 "* | "DATA 451 4.3.5 "*)
			echo "$f" >> "$2" ;;
		*) bad="$bad $id:$step $c $(echo "$text" | cut -c1-80);" ;;
		esac
	done < "$1"
	JUDGE_BAD=$bad
}
: > load.retry
judge load.out load.retry
[ -z "$JUDGE_BAD" ] && ok "11: every answer is 250, the right 550 5.7.20, or a tempfail (451 4.7.1 / 451 4.3.5; 454 4.3.0 to STARTTLS)" \
	|| nok "11: wrong answers:$(echo "$JUDGE_BAD" | cut -c1-600)"
nt=$(grep -c . load.retry)
echo "# 11: tempfailed in the run: $nt ($(cut -d' ' -f2-4 load.out | grep -E ' 45[0-9] ' | sort | uniq -c | tr -s ' ' | tr '\n' ';'))"
[ "$nt" -gt 0 ] && ok "11: Postfix tempfailed what it could not check ($nt messages)" \
	|| nok "11: no tempfail at all: the kill hit nothing"
grep -F -f load.retry load.spec > load.spec2
: > load.out2
load_run load.spec2 load.out2 4 > load.err 2>&1
: > load.retry2
judge load.out2 load.retry2
[ -z "$JUDGE_BAD" ] && [ ! -s load.retry2 ] && [ "$(wc -l < load.out2)" = "$nt" ] \
	&& ok "11: daemon back: the $nt tempfailed ones sent again, each gets its verdict (250 / 550 5.7.20)" \
	|| nok "11: the second run:$(echo "$JUDGE_BAD" | cut -c1-300) still tempfailed: $(wc -l < load.retry2)"
for _ in $(seq 1 100); do postfix_queue_empty > /dev/null && break; sleep 0.2; done
bad="" ndel=0 nsub=0
for id in "${!LK[@]}"; do
	files=$(find_msg "$id")
	n=$(printf '%s' "$files" | grep -c .)
	ndel=$((ndel + n))
	[ "$n" = "${NOK250[$id]:-0}" ] || bad="$bad $id:$n-delivered-${NOK250[$id]:-0}-accepted;"
	for f in $files; do
		case ${LK[$id]} in
		forged) bad="$bad $id:forged-delivered;" ;;
		pass) [ "$(our_ar "$f" | grep -c .)" = 1 ] && our_ar "$f" | grep -q 'dkim=pass.*header\.d=other\.example' \
			|| bad="$bad $id:A-R $(our_ar "$f" | oneline 80);" ;;
		none) [ "$(our_ar "$f" | grep -c .)" = 1 ] && our_ar "$f" | grep -q 'dkim=none' \
			|| bad="$bad $id:A-R $(our_ar "$f" | oneline 80);" ;;
		auth) nsub=$((nsub + 1))
			v=$(cli_verify "$f" | grep -c 'dkim=pass header.d=example.com')
			[ "$(nsigs "$f")" = 2 ] && [ "$v" = 2 ] && [ -z "$(our_ar "$f")" ] \
				|| bad="$bad $id:$(nsigs "$f")-sigs-$v-pass;" ;;
		esac
	done
done
[ -z "$bad" ] && ok "11: from the mailbox: $ndel delivered, each once and only if answered 250; every inbound one with our A-R, all $nsub submissions signed (both pass), no forged one" \
	|| nok "11: from the mailbox:$(echo "$bad" | cut -c1-600)"
[ "$ndel" = 75 ] && ok "11: in the end all 75 good messages delivered" || nok "11: $ndel of 75 good messages delivered"
postfix_log_grep -qE "warning: .*(milter unix:$T/d1/milter\\.sock|$T/d1/policy\\.sock)" \
	&& echo "# 11: Postfix's warnings about the daemon: $(postfix_log_grep -cE "warning: .*$T/d1/") lines, e.g. $(postfix_log_grep -E "warning: .*$T/d1/" | head -1 | cut -d' ' -f5- | cut -c1-160)"

lap "11. the daemon SIGKILLed during a load run"
# --- SIGHUP on an open policy connection; -s -----------------------------------
cp d1-hup.conf d1.conf
out=$(timeout 30 "$PY" "$HERE/pd_probe.py" hup "unix:$T/d1/policy.sock" "$(pd_pid d1)" "$T/d1.log" x@hup.example 2>&1)
case $out in
"before: action=DUNNO"*"after: action=550 5.7.1 mail from hup.example must arrive over TLS with a verified client certificate; this session is not encrypted"*)
	ok "SIGHUP: one policy connection answers before (DUNNO) and after (require_tls hup.example: 550 5.7.1) the reload" ;;
*) nok "SIGHUP on an open policy connection: $(printf '%s' "$out" | oneline)" ;;
esac
{ common d1; redis_line; echo 'on_signature_fail = tag'; } > d1.conf
pd_hup d1 || nok "d1 reload back"
req() { printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nsender=%s\nrecipient=rcpt@example.net\nclient_address=127.0.0.1\n\n' "$1"; }
out=$({ req x@secure.example; req y@example.org; } | timeout 20 "$PD" -c "$T/d1.conf" -s 2> s.err)
rc=$?
[ $rc = 0 ] && [ "$out" = "action=550 5.7.1 mail from secure.example must arrive over TLS with a verified client certificate; this session is not encrypted

action=DUNNO" ] && ok "-s: two requests on stdin, two answers on stdout (550 5.7.1, DUNNO), exit 0 at end of file" \
	|| nok "-s: exit $rc, out: $(printf '%s' "$out" | oneline) err: $(oneline < s.err)"

lap "SIGHUP on an open policy connection; -s"
# --- 13. SPF (check_spf, at the end of the message, milter side) -----------------
# A third Postfix P3 with its own daemon d4 (d1 and d2 keep check_spf off).
# d4's configuration changes by SIGHUP: reject (fail, permerror), tag,
# trusted_networks.  Records in the nsd's spf.example and mailseal.test
# zones; the client is 127.0.0.1, its HELO client.mailseal.test.
spf_conf() {   # spf_conf EXTRA-LINE...
	common d4
	printf 'check_spf = yes\non_temperror = %s\ndns_timeout = 300ms\ndns_message_budget = 1s\n' "${SPF_TEMPERROR:-tempfail}"
	printf '%s\n' "$@"
}
mkdir -p d4 "$T/pf3"
spf_conf 'on_spf_fail = reject' 'on_spf_permerror = reject' > d4-reject.conf
SPF_TEMPERROR=accept spf_conf 'on_spf_fail = tag' 'on_spf_permerror = tag' > d4-tag.conf
spf_conf 'on_spf_fail = reject' 'on_spf_permerror = reject' 'trusted_networks = 192.0.2.0/24 127.0.0.1/32' > d4-trusted.conf
for c in d4-reject d4-tag d4-trusted; do
	"$M" -c "$c.conf" config check > cc.out 2>&1 && ok "13: mailseal config check accepts $c.conf" \
		|| nok "13: mailseal config check accepts $c.conf - $(oneline < cc.out)"
done
cp d4-reject.conf d4.conf
pd_start d4 "$T/d4.conf" || nok "13: daemon d4 (check_spf = yes) starts - $(oneline < d4.log)"
cp -a "$P1/tls" "$T/pf3/tls"
# P3 asks the policy service only at the end of the message, where the
# daemon does not check SPF: this section tests the milter's own check
# (the RCPT-time check and its note: tests/postfix/t-postfix-spf.sh)
mkdir -p "$T/pf3"
if postfix_start "$T/pf3" --policy-eod "unix:$T/d4/policy.sock" --milter "unix:$T/d4/milter.sock" \
	--non-smtpd-milter "unix:$T/d4/milter.sock" --milter-default-action tempfail \
	--milter-protocol 6 "local_header_rewrite_clients="; then
	P3=$PF_DIR P3_PORT=$PF_PORT
	ok "13: Postfix P3 on $P3_PORT with daemon d4 (check_spf = yes)"
else
	nok "13: Postfix P3 starts"
	P3=""
fi
# spf_logline ID-RE: the daemon's line since $SPF_MARK matching ID-RE
spf_logline() { pd_log_since d4 "$SPF_MARK" | grep -E -- "$1" | tail -1; }
# spf_log_is TAG ERE [NOT-ERE]: the daemon's newest mailseal: line since
# $SPF_MARK matches ERE (and not NOT-ERE)
spf_log_is() {
	local l
	l=$(pd_log_since d4 "$SPF_MARK" | grep ': mailseal: ' | tail -1)
	if printf '%s\n' "$l" | grep -qE -- "$2" && { [ -z "${3:-}" ] || ! printf '%s\n' "$l" | grep -qE -- "$3"; }; then
		ok "$1 ($(printf '%s' "$l" | sed 's/^.*mailseal: //' | cut -c1-160))"
	else
		nok "$1 - daemon log line: $(printf '%s' "$l" | oneline)"
	fi
}
if [ -n "$P3" ]; then
postfix_use "$P3"
# pass
SPF_MARK=$(pd_log_lines d4)
mkmsg s13-pass 'Pat <pat@pass.spf.example>'
send s13-pass plain s13-pass
code "13: MAIL FROM pass.spf.example (ip4:127.0.0.1 -all): accepted" '^250 '
delivered s13-pass && ar_is "13: ... A-R: dkim=none, then spf=pass smtp.mailfrom=pat@pass.spf.example" "$D" \
	"^$AUTHSERV_RE; *dkim=none; *spf=pass smtp\\.mailfrom=pat@pass\\.spf\\.example smtp\\.helo=client\\.mailseal\\.test\$" || nok "13: pass: not delivered"
spf_log_is "13: pass: the daemon's log line" \
	"info: $QID: mailseal: role=verify from=pass\\.spf\\.example dkim=none spf=pass/pass\\.spf\\.example action=accept"
# fail, on_spf_fail = reject
SPF_MARK=$(pd_log_lines d4) pfmark=$(maillog_mark)
mkmsg s13-fail 'Fay <fay@fail.spf.example>'
rejected "13: MAIL FROM fail.spf.example (ip4:192.0.2.1 -all), on_spf_fail = reject: 550 5.7.23 with the exp= text" plain s13-fail \
	"^550 5\\.7\\.23 SPF: fail\\.spf\\.example does not allow 127\\.0\\.0\\.1 to send its mail: 127\\.0\\.0\\.1 is not one of fail\\.spf\\.example's senders\$"
maillog_since "$pfmark" | grep -q 'milter-reject: END-OF-MESSAGE from localhost\[127\.0\.0\.1\]: 5\.7\.23 SPF: fail\.spf\.example' \
	&& ok "13: fail: Postfix logs the milter-reject at END-OF-MESSAGE" \
	|| nok "13: fail: no milter-reject 5.7.23 in the maillog: $(maillog_since "$pfmark" | grep -i reject | oneline)"
spf_log_is "13: fail: the daemon's log line (reject 550 5.7.23, spf=fail/fail.spf.example)" \
	'mailseal: role=verify from=fail\.spf\.example dkim=none spf=fail/fail\.spf\.example action=reject code=550 dsn=5\.7\.23'
# permerror, on_spf_permerror = reject
SPF_MARK=$(pd_log_lines d4)
mkmsg s13-perm 'Pete <pete@broken.spf.example>'
rejected "13: MAIL FROM broken.spf.example (ip4:127.0.0.1/33), on_spf_permerror = reject: 550 5.7.24" plain s13-perm \
	'^550 5\.7\.24 SPF: the policy of broken\.spf\.example cannot be evaluated \(.+\)$'
spf_log_is "13: permerror: the daemon's log line" \
	'mailseal: role=verify from=broken\.spf\.example dkim=none spf=permerror/broken\.spf\.example action=reject code=550 dsn=5\.7\.24'
# temperror: an include whose target nsd REFUSES (outside its zones);
# a sender domain outside them; the nsd not answering at all
spf_temp() {   # spf_temp TAG ID ADDR DOMAIN [freeze]
	local tag=$1 id=$2 addr=$3 dom=$4 t0 took
	SPF_MARK=$(pd_log_lines d4)
	mkmsg "$id" "Tim <$addr>"
	t0=$(date +%s%N)
	[ "${5:-}" = freeze ] && nsd_freeze
	rejected "13: $tag: 451 4.4.3" plain "$id" \
		"^451 4\\.4\\.3 the SPF policy of ${dom//./\\.} could not be evaluated now \\(.*\\); try again later\$"
	[ "${5:-}" = freeze ] && nsd_thaw
	took=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$took" -lt 5000 ] && ok "13: $tag: answered within 5 s ($took ms)" || nok "13: $tag: took $took ms"
	spf_log_is "13: $tag: the daemon's log line" \
		"mailseal: role=verify from=${dom//./\\.} dkim=none spf=temperror/${dom//./\\.} action=tempfail code=451 dsn=4\\.4\\.3"
}
rc=$(timeout 10 "$PY" -c '
import sys, dns.message, dns.query, dns.rcode
for n in sys.argv[2:]:
    r = dns.query.udp(dns.message.make_query(n, "TXT"), "127.0.0.1", port=int(sys.argv[1]), timeout=3)
    print(n, dns.rcode.to_text(r.rcode()))' "$NSD_PORT" spf.elsewhere.invalid nowhere.invalid 2>&1 | oneline)
[ "$rc" = "spf.elsewhere.invalid REFUSED nowhere.invalid REFUSED " ] && ok "13: the nsd answers REFUSED for names outside its zones" \
	|| nok "13: the nsd for names outside its zones: $rc"
spf_temp "temp.spf.example includes a name the DNS server refuses" s13-temp tim@temp.spf.example temp.spf.example
spf_temp "a sender domain the DNS server refuses (nowhere.invalid)" s13-refused tim@nowhere.invalid nowhere.invalid
# (a name no earlier test asked about: answers are cached, in the daemon and
# in the farm, for their TTL)
spf_temp "the DNS server not answering (late.spf.example, nsd stopped)" s13-frozen tim@late.spf.example late.spf.example freeze
# an authenticated submission from the failing domain: not checked
SPF_MARK=$(pd_log_lines d4)
mkmsg s13-auth 'Fay <fay@fail.spf.example>'
send s13-auth auth s13-auth
code "13: TLS + AUTH submission, MAIL FROM fail.spf.example: accepted (not SPF-checked)" '^250 '
delivered s13-auth && ! our_ar "$D" | grep -q 'spf=' && ok "13: ... delivered, no spf= result ($(our_ar "$D" | oneline 100))" \
	|| nok "13: authenticated: $(our_ar "${D:-/dev/null}" | oneline)"
spf_log_is "13: authenticated: the daemon's log line has no spf=" "info: $QID: mailseal: .*auth=\"$PF_SASL_USER\".*action=accept" ' spf='
# the null sender: postmaster@HELO
SPF_MARK=$(pd_log_lines d4)
mkmsg s13-null 'Mailer <mailer-daemon@pass.spf.example>'
send s13-null plain s13-null --from '<>'
code "13: MAIL FROM:<>, HELO client.mailseal.test (ip4:127.0.0.1 -all): accepted" '^250 '
delivered s13-null && ar_is "13: ... checked as postmaster@client.mailseal.test: spf=pass" "$D" \
	'dkim=none; *spf=pass smtp\.mailfrom=postmaster@client\.mailseal\.test smtp\.helo=client\.mailseal\.test$' || nok "13: null sender: not delivered"
spf_log_is "13: null sender: the daemon's log line" "info: $QID: mailseal: .*spf=pass/client\\.mailseal\\.test action=accept"
SPF_MARK=$(pd_log_lines d4)
mkmsg s13-nullfail 'Mailer <mailer-daemon@pass.spf.example>'
rejected "13: MAIL FROM:<>, HELO fail.spf.example: 550 5.7.23 for fail.spf.example" plain s13-nullfail \
	'^550 5\.7\.23 SPF: fail\.spf\.example does not allow 127\.0\.0\.1 to send its mail' --from '<>' --ehlo fail.spf.example
spf_log_is "13: null sender, failing HELO: the daemon's log line" 'spf=fail/fail\.spf\.example action=reject code=550 dsn=5\.7\.23'
# two transactions in one SMTP session (RSET in between): each one's own
# MAIL FROM is checked, the HELO name kept
mkmsg s13-two1 'Pat <pat@pass.spf.example>'
mkmsg s13-two2 'Fay <fay@fail.spf.example>'
mkmsg s13-two3 'Mailer <mailer-daemon@pass.spf.example>'
out=$(timeout 60 "$PY" - "$P3_PORT" "$PF_HELO" msg/s13-two1.eml pat@pass.spf.example msg/s13-two2.eml fay@fail.spf.example \
	msg/s13-two3.eml '' <<'PY' 2>&1
import smtplib, sys
port, helo, rest = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
s = smtplib.SMTP("127.0.0.1", port, local_hostname=helo, timeout=30)
s.ehlo()
for i in range(0, len(rest), 2):
    s.mail(rest[i + 1])
    s.rcpt("rcpt@example.net")
    code, msg = s.data(open(rest[i], "rb").read())
    print(code, msg.decode("utf-8", "replace"))
    s.rset()
s.quit()
PY
)
case $(printf '%s' "$out" | tr '\n' '|') in
"250 2.0.0 Ok: queued as "*"|550 5.7.23 SPF: fail.spf.example does not allow 127.0.0.1 to send its mail"*"|250 2.0.0 Ok: queued as "*)
	ok "13: one SMTP session, three transactions (pass.spf.example, fail.spf.example, <>): 250, 550 5.7.23, 250" ;;
*) nok "13: three transactions in one session: $(printf '%s' "$out" | oneline)" ;;
esac
delivered s13-two1 && ar_is "13: ... the first with spf=pass for pat@pass.spf.example" "$D" 'spf=pass smtp\.mailfrom=pat@pass\.spf\.example smtp\.helo=client\.mailseal\.test$' \
	|| nok "13: first transaction not delivered"
delivered s13-two3 && ar_is "13: ... the third (<>) with spf=pass for postmaster@client.mailseal.test (the session's HELO)" "$D" \
	'spf=pass smtp\.mailfrom=postmaster@client\.mailseal\.test smtp\.helo=client\.mailseal\.test$' || nok "13: third transaction not delivered"
[ -z "$(find_msg s13-two2)" ] && ok "13: ... the second is not delivered" || nok "13: the failing transaction was delivered"
# a local submission (sendmail(1), non_smtpd_milters): not checked
SPF_MARK=$(pd_log_lines d4)
mkmsg s13-local 'Fay <fay@fail.spf.example>'
postfix_sendmail -f fay@fail.spf.example -t < msg/s13-local.eml
delivered s13-local && ! our_ar "$D" | grep -q 'spf=' && ok "13: sendmail(1) from fail.spf.example: delivered, not SPF-checked" \
	|| nok "13: sendmail(1): $(our_ar "${D:-/dev/null}" | oneline)"
spf_log_is "13: sendmail(1): the daemon's log line has no spf=" ': mailseal: .*from=fail\.spf\.example.*action=accept' ' spf='
# probe: a milter session from 192.0.2.x (no Postfix)
mkmsg s13-probe 'Fay <fay@fail.spf.example>'
out=$(timeout 30 "$PY" "$HERE/pd_probe.py" milterx "unix:$T/d4/milter.sock" msg/s13-probe.eml @qid=SPF1 @addr=192.0.2.7 \
	@helo=relay.probe.example @sender=fay@fail.spf.example 2>&1)
[ "$out" = "reply 550 5.7.23 SPF: fail.spf.example does not allow 192.0.2.7 to send its mail: 192.0.2.7 is not one of fail.spf.example's senders" ] \
	&& ok "13: probe: CONNECT 192.0.2.7, MAIL FROM fail.spf.example: the daemon replies 550 5.7.23 at the end" \
	|| nok "13: probe 192.0.2.7: $(printf '%s' "$out" | oneline)"
out=$(timeout 30 "$PY" "$HERE/pd_probe.py" milterx "unix:$T/d4/milter.sock" msg/s13-probe.eml @qid=SPF2 @addr=192.0.2.1 \
	@helo=relay.probe.example @sender=fay@fail.spf.example 2>&1)
case $(printf '%s' "$out" | sed 's/\\n[[:space:]]*/ /g' | tr '\n' '|') in
"insheader 0 Authentication-Results: $AUTHSERV; dkim=none; spf=pass smtp.mailfrom=fay@fail.spf.example smtp.helo=relay.probe.example|continue")
	ok "13: probe: CONNECT 192.0.2.1 (the one allowed): spf=pass in the A-R, the message goes on" ;;
*) nok "13: probe 192.0.2.1: $(printf '%s' "$out" | oneline)" ;;
esac
out=$(timeout 30 "$PY" "$HERE/pd_probe.py" milterx "unix:$T/d4/milter.sock" msg/s13-probe.eml @qid=SPF3 @addr=192.0.2.7 \
	@helo=fail.spf.example @sender= 2>&1)
case $out in
"reply 550 5.7.23 SPF: fail.spf.example does not allow 192.0.2.7 to send its mail"*) ok "13: probe: MAIL FROM:<> with HELO fail.spf.example from 192.0.2.7: 550 5.7.23" ;;
*) nok "13: probe null sender: $(printf '%s' "$out" | oneline)" ;;
esac
# on_spf_fail = tag
cp d4-tag.conf d4.conf
pd_hup d4 && tail -1 d4.log | grep -q 'info: reloaded' || nok "13: d4 reload (tag) - $(tail -1 d4.log)"
SPF_MARK=$(pd_log_lines d4)
mkmsg s13-tag 'Fay <fay@fail.spf.example>'
send s13-tag plain s13-tag
code "13: MAIL FROM fail.spf.example, on_spf_fail = tag: accepted" '^250 '
delivered s13-tag && ar_is "13: ... delivered with spf=fail smtp.mailfrom=fay@fail.spf.example" "$D" \
	'dkim=none; *spf=fail smtp\.mailfrom=fay@fail\.spf\.example smtp\.helo=client\.mailseal\.test$' || nok "13: tag: not delivered"
spf_log_is "13: tag: the daemon's log line" "info: $QID: mailseal: role=verify from=fail\\.spf\\.example dkim=none spf=fail/fail\\.spf\\.example action=accept"
SPF_MARK=$(pd_log_lines d4)
mkmsg s13-tagperm 'Pete <pete@broken.spf.example>'
send s13-tagperm plain s13-tagperm
code "13: MAIL FROM broken.spf.example, on_spf_permerror = tag: accepted" '^250 '
delivered s13-tagperm && ar_is "13: ... with spf=permerror" "$D" 'spf=permerror smtp\.mailfrom=pete@broken\.spf\.example smtp\.helo=client\.mailseal\.test$' \
	|| nok "13: tag permerror: not delivered"
SPF_MARK=$(pd_log_lines d4)
mkmsg s13-tagtemp 'Tim <tim@temp.spf.example>'
send s13-tagtemp plain s13-tagtemp
code "13: temperror with on_temperror = accept: accepted" '^250 '
delivered s13-tagtemp && ar_is "13: ... with spf=temperror" "$D" 'dkim=none; *spf=temperror smtp\.mailfrom=tim@temp\.spf\.example smtp\.helo=client\.mailseal\.test$' \
	|| nok "13: on_temperror = accept: not delivered"
spf_log_is "13: on_temperror = accept: the daemon's log line" "info: $QID: mailseal: role=verify from=temp\\.spf\\.example dkim=none spf=temperror/temp\\.spf\\.example action=accept"
# trusted_networks
cp d4-trusted.conf d4.conf
pd_hup d4 && tail -1 d4.log | grep -q 'info: reloaded' || nok "13: d4 reload (trusted) - $(tail -1 d4.log)"
SPF_MARK=$(pd_log_lines d4)
mkmsg s13-trusted 'Fay <fay@fail.spf.example>'
send s13-trusted plain s13-trusted
code "13: trusted_networks = ... 127.0.0.1/32: MAIL FROM fail.spf.example accepted (on_spf_fail = reject)" '^250 '
delivered s13-trusted && ar_is "13: ... A-R without spf=" "$D" 'dkim=none$' || nok "13: trusted: not delivered"
spf_log_is "13: trusted: the daemon's log line has no spf=" "info: $QID: mailseal: role=verify from=fail\\.spf\\.example dkim=none action=accept" ' spf='
cp d4-reject.conf d4.conf
pd_hup d4 || nok "13: d4 reload back"
fi

lap "13. SPF"
# --- 14. DMARC (check_dmarc, on P3 and d4) ---------------------------------------
# the defaults: a p=reject failure refused (550 5.7.1), a p=quarantine
# one held in Postfix's hold queue (the milter's quarantine reply)
if [ -n "$P3" ]; then
postfix_use "$P3"
spf_conf 'check_dmarc = yes' > d4-dmarc.conf
"$M" -c d4-dmarc.conf config check > cc.out 2>&1 && ok "14: mailseal config check accepts d4-dmarc.conf" \
	|| nok "14: mailseal config check accepts d4-dmarc.conf - $(oneline < cc.out)"
cp d4-dmarc.conf d4.conf
pd_hup d4 && tail -1 d4.log | grep -q 'info: reloaded' || nok "14: d4 reload (dmarc) - $(tail -1 d4.log)"
SPF_MARK=$(pd_log_lines d4) pfmark=$(maillog_mark)
mkmsg s14-rej 'Rob <rob@reject.dmarc.example>'
rejected "14: p=reject, unsigned, SPF fail: 550 5.7.1 naming the domain's policy" plain s14-rej \
	'^550 5\.7\.1 DMARC: the policy of reject\.dmarc\.example \(p=reject\) refuses mail from reject\.dmarc\.example'
spf_log_is "14: p=reject: the daemon's log line" 'dmarc=fail/reject\.dmarc\.example\(p=reject\) action=reject code=550 dsn=5\.7\.1'
mkmsg s14-other 'Rob <rob@reject.dmarc.example>'
signmsg s14-other example.com ms-rsa
rejected "14: p=reject, signed by example.com only: 550 5.7.1" plain s14-other '^550 5\.7\.1 DMARC: the policy of reject\.dmarc\.example'
SPF_MARK=$(pd_log_lines d4)
mkmsg s14-pass 'Pia <pia@pass.dmarc.example>'
send s14-pass plain s14-pass
code "14: p=reject, aligned SPF pass: accepted" '^250 '
delivered s14-pass && ar_is "14: ... one A-R: dkim=none, spf=pass, dmarc=pass header.from=pass.dmarc.example" "$D" \
	'dkim=none; *spf=pass smtp\.mailfrom=pia@pass\.dmarc\.example smtp\.helo=client\.mailseal\.test; *dmarc=pass header\.from=pass\.dmarc\.example$' \
	|| nok "14: pass: not delivered"
SPF_MARK=$(pd_log_lines d4) pfmark=$(maillog_mark)
mkmsg s14-quar 'Quinn <quinn@quar.dmarc.example>'
send s14-quar plain s14-quar
code "14: p=quarantine: accepted" '^250 '
sleep 1
q=$(postfix_cmd postqueue -p 2>&1)
if printf '%s\n' "$q" | grep -qE '^[0-9A-F]+!'; then
	ok "14: p=quarantine: the message is in the hold queue ($(printf '%s\n' "$q" | grep -E '^[0-9A-F]+!' | cut -c1-40))"
else
	nok "14: p=quarantine: not held - $(printf '%s' "$q" | oneline)"
fi
maillog_since "$pfmark" | grep -q 'milter-hold: END-OF-MESSAGE from localhost\[127\.0\.0\.1\]: milter triggers HOLD action; from=<quinn@quar\.dmarc\.example>' \
	&& ok "14: Postfix logs milter-hold (it logs no reason of a milter's: ours is in the daemon's line)" \
	|| nok "14: no milter-hold line: $(maillog_since "$pfmark" | grep -i hold | oneline)"
spf_log_is "14: p=quarantine: the daemon's log line" 'dmarc=fail/quar\.dmarc\.example\(p=quarantine\) action=accept quarantine="DMARC'
postfix_cmd postsuper -d ALL hold > /dev/null 2>&1
cp d4-reject.conf d4.conf
pd_hup d4 || nok "14: d4 reload back"
fi
lap "14. DMARC"
# --- 15. sending_rights (on P1 and d1, reloaded with a table) ---------------------
# alice may use alice@example.com; the users of example.net (*@example.net:
# carol@example.net, a second sasldb entry in realm example.net) the whole
# of example.com; sendmail(1) (<local>, Postfix shows no user) example.com
postfix_use "$P1"
printf '# sending rights\nalice alice@example.com\n*@example.net example.com\n<local> example.com\n' > rights
{ cat d1.conf; printf 'sending_rights = %s/rights\n' "$T"; } > d1-rights.conf
"$M" -c d1-rights.conf config check > cc.out 2>&1 && ! grep -q 'warning: any authenticated' cc.out \
	&& ok "15: config check accepts d1-rights.conf, without the multi-tenant warning" \
	|| nok "15: config check d1-rights.conf - $(oneline < cc.out)"
cp d1.conf d1-norights.conf
cp d1-rights.conf d1.conf
pd_hup d1 || nok "15: d1 reloads with sending_rights"
mkmsg sr-ok 'Alice <alice@example.com>'
send sr-ok auth sr-ok
code "15: alice sends From alice@example.com: accepted" '^250 '
delivered sr-ok && [ "$(nsigs "$D")" = 2 ] && ok "15: ... signed by example.com (2 signatures)" \
	|| nok "15: alice as alice@example.com: $(nsigs "${D:-/dev/null}") signatures"
mkmsg sr-no 'Bob <bob@example.com>'
send sr-no auth sr-no
code "15: alice sends From bob@example.com: refused 550 5.7.1 naming the user and the From" \
	'^550[ -]5\.7\.1 user alice may not send mail From: bob@example\.com \(sending_rights\)'
sleep 0.3
[ -z "$(find_msg sr-no)" ] && ok "15: ... nothing delivered" || nok "15: the refused message was delivered"
grep -qE 'mailseal: role=verify auth="alice" from=example\.com unsigned="user alice may not send mail From: bob@example\.com \(sending_rights\)" action=reject code=550 dsn=5\.7\.1' d1.log \
	&& ok "15: ... the daemon's log line says why (unsigned=..., action=reject)" \
	|| nok "15: log: $(grep 'mailseal: role=' d1.log | tail -1 | oneline)"
if saslpasswd2 -p -c -f "$P1/sasldb/sasldb2" -u example.net carol <<< "carol-secret" 2> sasl.err &&
	chown postfix:postfix "$P1/sasldb/sasldb2"; then
	mkmsg sr-wild 'Bob <bob@example.com>'
	PF_SASL_USER=carol@example.net PF_AUTH_PASS=carol-secret send sr-wild auth sr-wild
	code "15: carol@example.net (*@example.net) sends From bob@example.com: accepted" '^250 '
	delivered sr-wild && [ "$(nsigs "$D")" = 2 ] && ok "15: ... signed by example.com" \
		|| nok "15: *@example.net as example.com: $(nsigs "${D:-/dev/null}") signatures"
	mkmsg sr-wild2 'Carol <carol@example.org>'
	PF_SASL_USER=carol@example.net PF_AUTH_PASS=carol-secret send sr-wild2 auth sr-wild2
	code "15: carol@example.net sends From carol@example.org: refused 550 5.7.1" \
		'^550[ -]5\.7\.1 user carol@example\.net may not send mail From: carol@example\.org'
else
	nok "15: saslpasswd2 for carol@example.net - $(oneline < sasl.err)"
fi
mkmsg sr-local 'Alice <alice@example.com>'
postfix_sendmail -f alice@example.com -t < msg/sr-local.eml
delivered sr-local && [ "$(nsigs "$D")" = 2 ] && ok "15: sendmail(1) (<local>) From example.com: signed" \
	|| nok "15: sendmail(1) with <local>: $(nsigs "${D:-/dev/null}") signatures"
mkmsg sr-in 'Olga <olga@example.org>'
send sr-in plain sr-in
code "15: inbound mail (no AUTH) From example.org: not judged by the table, accepted" '^250 '
cp d1-norights.conf d1.conf
pd_hup d1 || nok "15: d1 reloads without sending_rights"
lap "15. sending_rights"
# --- 16. revocation enforced (d1 on the suite's Redis; docs/abuse.md) -------------
postfix_use "$P1"
printf 'redis_url = redis://127.0.0.1:%s\n' "$REDIS_PORT_main" > rv-cli.conf
RV=$("$M" -c rv-cli.conf revoke add domain other.example --why test 2>&1)
RVID=$(printf '%s' "$RV" | sed -n 's/.*revocation \([0-9]*\)$/\1/p')
[ -n "$RVID" ] && ok "16: mailseal revoke add domain other.example ($RV)" || nok "16: revoke add: $RV"
RV=$("$M" -c rv-cli.conf revoke add spki "$MX1_SPKI" 2>&1)
RVK=$(printf '%s' "$RV" | sed -n 's/.*revocation \([0-9]*\)$/\1/p')
sleep 1.3
mkmsg s16-1 'Olga <olga@other.example>'
signmsg s16-1 other.example o-rsa
rejected "16: mail signed by the revoked domain: refused at the end of DATA" plain s16-1 \
	"^550 5\\.7\\.1 mail signed by other\\.example is refused: this mail farm revoked the right of other\\.example to send \\(revocation $RVID\\)"
mkmsg s16-2 'Otto <otto@ordinary.example>'
send s16-2 mx1 s16-2 --to rcpt@example.net
rcode "16: a session presenting the revoked certificate (verified or not): refused at RCPT" \
	"^550 5\\.7\\.1 <rcpt@example\\.net>: Recipient address rejected: the client certificate's key is refused: this mail farm revoked its right to send \\(revocation $RVK\\)"
redis_stop main
sleep 1.3
mkmsg s16-3 'Olga <olga@other.example>'
signmsg s16-3 other.example o-rsa
rejected "16: Redis stopped: the revocation already known is still enforced" plain s16-3 '^550 5\.7\.1 mail signed by other\.example is refused'
mkmsg s16-4 'Otto <otto@ordinary.example>'
send s16-4 plain s16-4
code "16: Redis stopped: other mail is accepted (nothing refused for lack of Redis)" '^250 '
redis-server "$REDIS_DIR/main/redis.conf" && redis_wait "$REDIS_PORT_main" || nok "16: redis-server restarts"
# (this test's Redis keeps nothing on disk: it comes back empty, and the
# daemon's copy follows it within revocation_refresh)
sleep 1.3
mkmsg s16-5 'Olga <olga@other.example>'
signmsg s16-5 other.example o-rsa
send s16-5 plain s16-5
code "16: Redis back without the revocation: accepted again" '^250 '
lap "16. revocation"
# --- at the end -----------------------------------------------------------------
p=$(pd_pid d1)
kill -TERM "$p"
for _ in $(seq 1 200); do pd_gone "$p" && break; sleep 0.05; done
wait "$p" 2> /dev/null
rc=$?
eval "PDPID_d1="
[ "$rc" = 0 ] && [ ! -e d1/pd.pid ] && [ ! -e d1/policy.sock ] && [ ! -e d1/milter.sock ] \
	&& ok "SIGTERM: d1 (with Postfix's idle connections open) exits 0, pid file and sockets removed" \
	|| nok "SIGTERM: d1 exit $rc, left: $(ls d1)"
pd_stop d2
pd_stop d4
# nullsender_mail: delivered with sender <> (a bounce), other than
# 13's null-sender test message
nullsender_mail() {
	local e
	for e in $(grep -l '^sender=$' "$PF_MAIL"/*.env 2> /dev/null); do
		grep -qxE 'X-Test-Id: s13-(null|two3)' "${e%.env}.eml" 2> /dev/null || echo "$e"
	done
}
for P in "$P1" "$P2" ${P3:+"$P3"}; do
	postfix_use "$P"
	n=$(basename "$P")
	postfix_queue_empty && ok "$n: the queue is empty" || nok "$n: the queue is not empty"
	postfix_no_bounce && [ -z "$(nullsender_mail)" ] \
		&& ok "$n: nothing bounced or deferred" || nok "$n: bounces: $(postfix_log_grep -E 'status=(bounced|deferred)' | head -2 | oneline)"
	postfix_log_grep -qE 'fatal|panic' && nok "$n: fatal/panic in the maillog: $(postfix_log_grep -E 'fatal|panic' | head -2 | oneline)" \
		|| ok "$n: no fatal or panic in the maillog"
	kill -0 "$PF_MASTER_PID" 2> /dev/null && ok "$n: Postfix still running" || nok "$n: Postfix is not running"
done
san=$(grep -hE 'Sanitizer|runtime error:' d1.log d2.log d4.log 2> /dev/null | head -3)
[ -z "$san" ] && ok "no sanitizer report in the daemons' logs" || nok "sanitizer: $(printf '%s' "$san" | oneline)"
echo "# daemon log lines: d1 $(wc -l < d1.log) ($(grep -c ': warning: ' d1.log) warnings, $(grep -c ': error: ' d1.log) errors), d2 $(wc -l < d2.log) ($(grep -c ': error: ' d2.log) errors), d4 $(wc -l < d4.log 2> /dev/null)"
lap "end checks"
echo "# t-postfix.sh took $(( $(date +%s) - START )) s"
[ $fails = 0 ]
