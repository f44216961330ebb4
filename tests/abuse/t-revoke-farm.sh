#!/bin/bash
# t-revoke-farm.sh - the farm of issue 12, end to end on loopback: a
# Postfix node A (Debian's Postfix, unpacked, with mailseal-policyd) and
# an Exim node B (Debian's exim4 with the module, pre-warmed, the RCPT
# ACL of docs/tls.md), one redis-server, keys in nsd, one test CA whose
# certificates both nodes verify:
#   1 a sending server presenting its certificate (mx1, verified) delivers
#     three distinct spams signed by spam.example to A: accepted, each
#     signature recorded with the client's address and certificate key
#   2 three users of the farm complain: one with the command, one through
#     each node's abuse@ address as docs/abuse.md sets it up (Exim's pipe
#     transport, Postfix's pipe(8), the SMTP AUTH identity passed as the
#     reporter); the third complaint revokes domain:spam.example and the
#     sending certificate's key
#   3 B refuses the next message signed by spam.example at the end of
#     DATA, and a session presenting the revoked certificate at RCPT;
#     A refuses them too; other mail still flows through both
#   4 with Redis stopped, B and A go on refusing what they know, and
#     accept everything else
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${MAILSEAL_BUILD:-build}
M=${MAILSEAL:-$ROOT/$BUILD/mailseal}
PD=$ROOT/$BUILD/mailseal-policyd
MOD=$ROOT/build/mailseal_exim.so        # the module is the normal build's
case $BUILD in
*san*) echo "# the Exim module is not run under ASan (tests/exim/lib.sh); this farm test runs on the normal build"
       echo "ok skipped under $BUILD"; exit 0 ;;
esac
. "$ROOT/tests/lib/check.sh"
T=$(mktemp -d /tmp/mailseal-farm.XXXXXX)
chmod 755 "$T"
REDIS_DIR=$T/redis
. "$ROOT/tests/lib/nsd.sh"
. "$ROOT/tests/lib/redis.sh"
EXIM_HOME=$T/exim
. "$ROOT/tests/exim/lib.sh"
. "$ROOT/tests/postfix/lib.sh"
. "$ROOT/tests/postfix/pd.sh"
cleanup() {
	local n
	exim_stop_all
	for n in $PD_NAMES; do pd_stop "$n"; done
	postfix_cleanup > /dev/null 2>&1
	nsd_stop
	redis_stop_all
	[ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$T" || exit 1
oneline() { tr '\r\n' '  ' | tr -s ' ' | cut -c1-"${1:-300}"; }
expect() {      # expect NAME GOT ERE
	if printf '%s\n' "$2" | grep -qE -- "$3"; then ok "$1 ($(printf '%s' "$2" | oneline 160))"
	else nok "$1 - wanted /$3/, got: $(printf '%s' "$2" | oneline)"; fi
}
postfix_fetch > /dev/null || { nok "Postfix unpacked"; exit 1; }
[ -x "$PD" ] && [ -f "$MOD" ] || { nok "the daemon and the module are built"; exit 1; }

# --- keys, DNS, Redis --------------------------------------------------------------
mkdir -p keys/spam.example keys/good.example
"$M" keygen -d spam.example -s s1 -t ed25519 -o keys/spam.example > /dev/null 2>&1 &&
"$M" keygen -d good.example -s g1 -t ed25519 -o keys/good.example > /dev/null 2>&1 || { nok "keygen"; exit 1; }
chmod -R a+rX keys
for d in spam.example:s1 good.example:g1; do
	printf '%s._domainkey IN TXT "%s"\n' "${d##*:}" "$(sed -n 's/.*( "\(.*\)" ).*/\1/p' "keys/${d%%:*}/${d##*:}.txt")" > "${d%%:*}.rr"
	nsd_zone "${d%%:*}" 300 "${d%%:*}.rr" > "${d%%:*}.zone"
done
nsd_start "$T" spam.example good.example || { nok "nsd starts"; exit 1; }
redis_start main || { nok "redis-server starts"; exit 1; }
P=$REDIS_PORT_main
farm() {        # the settings every node shares
	printf 'dns_resolver = 127.0.0.1:%s\nredis_url = redis://127.0.0.1:%s\n' "$NSD_PORT" "$P"
	printf 'revocation_refresh = 1s\ncomplaint_threshold = 3\nauthserv_id = %s\n' "$1"
}
farm mx.farm.example > cli.conf

# --- node A: Postfix + mailseal-policyd ---------------------------------------------
mkdir -p a
{ farm a.farm.example; printf 'policy_listen = unix:%s/a/policy.sock\nmilter_listen = unix:%s/a/milter.sock\npid_file =\nsocket_mode = 0666\n' "$T" "$T"; } > a.conf
pd_start a "$T/a.conf" || { nok "node A's daemon starts - $(oneline < a.log)"; exit 1; }
mkdir -p "$T/pf"
# the abuse address as docs/abuse.md sets it up (this build's command and
# configuration; user nobody, and for Exim, whose test daemons do not run
# as root, Debian-exim)
sub_cmd() { sed "s|/usr/local/bin/mailseal complaint|$M -c $T/cli.conf complaint|; s|user=mailseal|user=nobody|; s|user = mailseal|user = nobody|"; }
PF_ABUSE=$(docblock postfix-abuse "$ROOT/docs/abuse.md" | sub_cmd)
[ -n "$PF_ABUSE" ] && ok "docs/abuse.md has the Postfix pipe (test: postfix-abuse)" || nok "docs/abuse.md: no block 'test: postfix-abuse'"
PF_DOMAINS=farm.example postfix_start "$T/pf" --policy-rcpt "unix:$T/a/policy.sock" --milter "unix:$T/a/milter.sock" \
	--milter-default-action tempfail --milter-protocol 6 --master "$PF_ABUSE" \
	"transport_maps = inline:{abuse@farm.example=mailseal-abuse}" || { nok "node A (Postfix) starts"; exit 1; }
ok "node A: Postfix on $PF_PORT with mailseal-policyd; nsd $NSD_PORT, Redis $P"

# --- node B: Exim + the module, pre-warmed, the RCPT ACL of docs/tls.md ---------------
exim_tls_init || { nok "Exim's TLS material"; exit 1; }
cat "$PF_TLS/ca.crt" >> "$EXIM_HOME/tls/ca.crt"    # one CA for the farm's senders
{ farm b.farm.example; } > b.conf
chmod 644 b.conf cli.conf
warm=$(docblock prewarm "$ROOT/docs/exim.md")
acl=$(docblock rcpt-tls "$ROOT/docs/tls.md")
EXIM_EXTRA_MAIN=${warm//\/usr\/local\/lib\/mailseal\/mailseal_exim.so/$MOD} \
EXIM_EXTRA_RCPT_ACL=${acl//\/usr\/local\/lib\/mailseal\/mailseal_exim.so/$MOD} \
EXIM_EXTRA_ROUTERS=$(docblock exim-abuse-router "$ROOT/docs/abuse.md") \
EXIM_EXTRA_TRANSPORTS=$(docblock exim-abuse-transport "$ROOT/docs/abuse.md" | sub_cmd | sed 's/user = nobody/user = Debian-exim/') \
	exim_start b "$MOD" "$T/b.conf" || { nok "node B (Exim) starts"; exit 1; }
ok "node B: Exim on $EXIM_PORT_b with the module, pre-warmed, mailseal_tls in its RCPT ACL"

msg() {         # msg ID DOMAIN SELECTOR: a message signed by DOMAIN
	printf 'From: Sender <news@%s>\r\nTo: rcpt@example.net\r\nDate: Wed, 02 Dec 2026 12:00:00 +0000\r\nSubject: offer %s\r\nMessage-ID: <%s@%s>\r\nX-Test-Id: %s\r\n\r\nBuy number %s now.\r\n' \
		"$2" "$1" "$1" "$2" "$1" "$1" > "raw-$1.eml"
	"$M" sign -d "$2" -s "$3" -k "keys/$2/$3.private" "raw-$1.eml" > "$1.eml"
}
to_a() {        # to_a ID [cert]: to node A (the mx1 certificate with "cert")
	local extra=()
	[ "${2:-}" = cert ] && extra=(--tls --tls-cert "$PF_TLS/mx1.crt" --tls-key "$PF_TLS/mx1.key")
	postfix_swaks "$1" --from "news@$(sed -n 's/^From: .*@\([^>]*\)>.*/\1/p' "$1.eml" | tr -d '\r')" \
		--to rcpt@example.net --data "@$T/$1.eml" "${extra[@]}"
}
to_b() {        # to_b ID [cert]: to node B
	if [ "${2:-}" = cert ]; then
		exim_send b "$T/$1.eml" -t -- --tls-cert "$PF_TLS/mx1.crt" --tls-key "$PF_TLS/mx1.key"
	else
		exim_send b "$T/$1.eml"
	fi
	B_RCPT=$(awk '/(->|~>) RCPT TO/ { getline; sub(/^ *<[-~*]* +/, ""); print; exit }' "$EXIM_TRANSCRIPT")
}

# --- 1. three distinct spams accepted by A, over TLS with the mx1 certificate --------
for i in 1 2 3; do
	msg "spam$i" spam.example s1
	to_a "spam$i" cert
	expect "1: spam $i signed by spam.example, from the mx1 certificate: accepted by A" "$PF_DATA_REPLY" '^250 '
done
MX1_SPKI=$(openssl x509 -in "$PF_TLS/mx1.crt" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)

# --- 2. three users complain ----------------------------------------------------------
arf() {
	printf 'From: %s@farm.example\r\nSubject: spam\r\nContent-Type: multipart/mixed; boundary=f\r\n\r\n--f\r\nContent-Type: text/plain\r\n\r\nspam\r\n--f\r\nContent-Type: message/rfc822\r\n\r\n' "$1"
	cat "$2"
	printf '\r\n--f--\r\n'
}
ncomplaints() { "$M" -c cli.conf complaints list 2>/dev/null | grep -c .; }
wait_complaints() {     # wait_complaints N: until N are recorded (20 s)
	local i
	for i in $(seq 1 200); do [ "$(ncomplaints)" -ge "$1" ] && return 0; sleep 0.1; done
	return 1
}
# the first by the command itself, the second through node B's abuse
# address (Exim's pipe transport of docs/abuse.md, the user authenticated
# as submit-user), the third through node A's (Postfix's pipe(8), alice)
OUT=$(arf user1 spam1.eml | "$M" -c cli.conf complaint --reporter user1 2>&1)
expect "2: user1's complaint: counted" "$OUT" '^counted: .*domain:spam\.example: 1 of 3 offences'
arf user2 spam2.eml > report2.eml
exim_send b "$T/report2.eml" -a -r abuse@example.com
expect "2: a report sent to B's abuse@ (authenticated): accepted" "$EXIM_REPLY" '^250 '
wait_complaints 2 && ok "2: ... and counted through Exim's pipe transport" || nok "2: B's abuse pipe: $(ncomplaints) complaints; $(exim_log_grep b 'abuse|complaint' | tail -2 | oneline)"
"$M" -c cli.conf complaints list | tail -1 | cut -d' ' -f1 > c2.id
expect "2: ... with the SMTP AUTH identity as the reporter" "$("$M" -c cli.conf complaints show "$(cat c2.id)" | tr '\n' ' ')" 'reporter user:submit-user'
arf user3 spam3.eml > report3.eml
postfix_send_auth r3 --from alice@farm.example --to abuse@farm.example --data "@$T/report3.eml"
expect "2: a report sent to A's abuse@ (authenticated): accepted" "$PF_DATA_REPLY" '^250 '
wait_complaints 3 && ok "2: ... and counted through Postfix's pipe(8)" || nok "2: A's abuse pipe: $(ncomplaints) complaints; $(postfix_log_grep -E 'mailseal-abuse' | tail -2 | oneline)"
"$M" -c cli.conf complaints list | tail -1 | cut -d' ' -f1 > c3.id
expect "2: ... with the SASL user as the reporter" "$("$M" -c cli.conf complaints show "$(cat c3.id)" | tr '\n' ' ')" 'reporter user:alice'
L=$("$M" -c cli.conf revoke list 2>&1)
expect "2: the third complaint revoked spam.example" "$L" ' revoked domain:spam\.example$'
expect "2: ... and the sending certificate's key" "$L" " revoked spki:$MX1_SPKI\$"
sleep 1.3

# --- 3. both nodes refuse --------------------------------------------------------------
msg spam4 spam.example s1
to_b spam4
expect "3: B refuses the next message signed by spam.example at the end of DATA" "$EXIM_REPLY" \
	'^550[ -]5\.7\.1 mail signed by spam\.example is refused: this mail farm revoked'
msg good1 good.example g1
to_b good1 cert
expect "3: B refuses a session presenting the revoked certificate at RCPT" "$B_RCPT" \
	"^550[ -]5\\.7\\.1 the client certificate's key is refused"
to_b good1
expect "3: B accepts other mail" "$EXIM_REPLY" '^250 '
msg spam5 spam.example s1
to_a spam5
expect "3: A refuses the next message signed by spam.example too" "$PF_DATA_REPLY" '^550 5\.7\.1 mail signed by spam\.example is refused'
msg good2 good.example g1
to_a good2 cert
expect "3: A refuses a session presenting the revoked certificate at RCPT" "$PF_RCPT_REPLY" \
	"^550 5\\.7\\.1 .*the client certificate's key is refused"

# --- 4. Redis stopped -------------------------------------------------------------------
redis_stop main
sleep 1.3
msg spam6 spam.example s1
to_b spam6
expect "4: Redis stopped: B still refuses spam.example" "$EXIM_REPLY" '^550[ -]5\.7\.1 mail signed by spam\.example is refused'
msg spam7 spam.example s1
to_a spam7
expect "4: Redis stopped: A still refuses spam.example" "$PF_DATA_REPLY" '^550 5\.7\.1 mail signed by spam\.example is refused'
msg good3 good.example g1
to_b good3
expect "4: Redis stopped: B accepts other mail (nothing refused for lack of Redis)" "$EXIM_REPLY" '^250 '
to_a good3
expect "4: Redis stopped: A accepts other mail" "$PF_DATA_REPLY" '^250 '
grep -hE 'Sanitizer|runtime error:' a.log > /dev/null 2>&1 && nok "sanitizer report in A's log" || ok "no sanitizer report in A's log"
[ -z "$(exim_panics b)" ] && ok "B: nothing in the paniclog" || nok "B paniclog: $(exim_panics b | oneline)"
exit $((fails > 0))
