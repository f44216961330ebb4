#!/bin/bash
# t-postfix-harness.sh - the Postfix test harness (lib.sh) against plain
# Debian Postfix 3.7, run unpacked: it starts; plain SMTP, STARTTLS with
# client certificates (CA-signed, self-signed, from another CA), AUTH
# PLAIN over TLS (sasldb) and sendmail(1) deliver, with the headers kept;
# the attributes a policy server (check_policy_service, at RCPT and at end
# of DATA) is sent for each (MTA-NOTES: ccert_subject only for a verified
# certificate, ccert_fingerprint for any); a wrong password gives 535; a
# policy server that is down gives 451 4.3.5; reload applies a change;
# policy REJECTs at RCPT and at end of DATA give their 554s; a second
# instance checks the start options (TCP policy, milter default actions,
# policy default action); the queue is empty, nothing bounced; Postfix
# stops with every process.
set -u
T0=$(date +%s)
. "$(dirname "$0")/../lib/check.sh"
. "$(dirname "$0")/lib.sh"
trap postfix_cleanup EXIT
trap 'exit 1' INT TERM HUP

check() {   # check NAME COMMAND... : ok/not ok by the command's status
	local name=$1
	shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}
has() { grep -q -- "$2" "$1"; }   # has FILE REGEX

if ! postfix_fetch; then
	nok "postfix_fetch unpacks Postfix into $PF_CACHE"
	exit 1
fi
ok "postfix_fetch unpacks Postfix into $PF_CACHE"
t=$(date +%s.%N)
postfix_fetch
check "postfix_fetch again is fast (< 1 s)" \
	awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { exit !(b - a < 1) }'

postfix_tmpdir
D=$PF_TMPDIR
mkdir -p "$D/policy"
chmod 755 "$D/policy"
PLOG=$D/policy/requests
PSOCK=$D/policy/policy.sock
postfix_policy_recorder "unix:$PSOCK" "$PLOG" DUNNO || { nok "policy recorder starts"; exit 1; }
PPID1=$PF_POLICY_PID
if ! postfix_start "$D" --policy "unix:$PSOCK" --policy-try-limit 1; then
	nok "postfix starts"
	exit 1
fi
ok "postfix starts (port $PF_PORT, master $PF_MASTER_PID)"
check "maillog_file is written (daemon started)" postfix_log_grep -q 'master.*daemon started -- version 3\.7'

# --- plain SMTP ---
postfix_send_plain plain --from plain@example.org --to user1@example.com \
	--header "X-Harness: plain-1"
check "plain SMTP: 250 at RCPT and at end of DATA" \
	test "$PF_SWAKS_RC/$PF_RCPT_CODE/$PF_DATA_CODE" = 0/250/250
check "plain SMTP: AUTH is not offered without TLS" \
	eval "! grep -q '250-AUTH' '$PF_SWAKS_LOG'"
if postfix_wait_delivered 1; then
	m=$(postfix_message_file 1)
	check "plain SMTP: delivered with its headers" eval \
		"grep -q '^X-Harness: plain-1$' $m && grep -q '^From: plain@example.org$' $m &&
		 grep -q '^To: user1@example.com$' $m && grep -q '^Subject: test ' $m &&
		 grep -q '^Message-Id: <' $m && grep -q '^Date: ' $m"
	check "plain SMTP: Received: by $PF_HOST first, body kept" eval \
		"head -1 $m | grep -q '^Received: from $PF_HELO (localhost \[127.0.0.1\])' &&
		 grep -q 'by $PF_HOST (Postfix) with ESMTP id' $m &&
		 grep -q '^This is a test mailing$' $m"
	check "plain SMTP: envelope recorded" eval \
		"postfix_message_env 1 | grep -qx 'sender=plain@example.org' &&
		 postfix_message_env 1 | grep -qx 'recipient=user1@example.com'"
else
	nok "plain SMTP: delivered"
fi
n=$(postfix_policy_find "$PLOG" sender=plain@example.org protocol_state=RCPT)
check "policy: RCPT request for the plain session, no TLS attributes" eval \
	"[ -n '$n' ] && [ \"\$(postfix_policy_attr '$PLOG' '$n' recipient)\" = user1@example.com ] &&
	 [ -z \"\$(postfix_policy_attr '$PLOG' '$n' ccert_fingerprint)\" ] &&
	 [ -z \"\$(postfix_policy_attr '$PLOG' '$n' sasl_username)\" ] &&
	 [ -z \"\$(postfix_policy_attr '$PLOG' '$n' encryption_protocol)\" ]"
check "policy: END-OF-MESSAGE request for the plain session" eval \
	"postfix_policy_find '$PLOG' sender=plain@example.org protocol_state=END-OF-MESSAGE > /dev/null"

# --- STARTTLS with client certificates ---
fp_client=$(postfix_cert_fingerprint "$PF_TLS/client.crt")
for kind in client selfsigned other; do
	postfix_send_cert "cert-$kind" "$kind" --from "$kind@example.org" --to "$kind@example.net"
	check "STARTTLS + $kind cert: 220 to STARTTLS, 250 at RCPT and at end of DATA" \
		test "$PF_SWAKS_RC/${PF_TLS_REPLY%% *}/$PF_RCPT_CODE/$PF_DATA_CODE" = 0/220/250/250
done
postfix_send_starttls tls-nocert --from nocert@example.org
check "STARTTLS without a client cert: 250 at end of DATA" test "$PF_SWAKS_RC/$PF_DATA_CODE" = 0/250
postfix_wait_delivered 5 || nok "STARTTLS: 4 more delivered"
check "maillog: the CA-signed client cert is Trusted (verified)" \
	postfix_log_grep -q 'Trusted TLS connection established from localhost\[127.0.0.1\].*client-signature'
check "maillog: the self-signed and other-CA certs are Untrusted" \
	test "$(postfix_log_grep -c 'Untrusted TLS connection established from localhost')" -ge 2
for i in 2 3 4 5; do
	env=$(postfix_message_env "$i" 2> /dev/null)
	case $env in
	*sender=client@*)
		check "Received: names the verified client cert" \
			grep -q 'Client CN "mailseal client1", Issuer "mailseal test CA" (verified OK)' \
			"$(postfix_message_file "$i")" ;;
	*sender=selfsigned@*)
		check "Received: the self-signed cert is not verified" \
			grep -q 'Client CN "self signed client", Issuer "self signed client" (not verified)' \
			"$(postfix_message_file "$i")" ;;
	esac
done
n=$(postfix_policy_find "$PLOG" sender=client@example.org protocol_state=RCPT)
if [ -n "$n" ]; then
	check "policy: CA-signed cert: ccert_subject=mailseal+20client1 (xtext, CN only)" \
		test "$(postfix_policy_attr "$PLOG" "$n" ccert_subject)" = "mailseal+20client1"
	check "policy: CA-signed cert: ccert_issuer=mailseal+20test+20CA" \
		test "$(postfix_policy_attr "$PLOG" "$n" ccert_issuer)" = "mailseal+20test+20CA"
	check "policy: CA-signed cert: ccert_fingerprint is its SHA-256 ($fp_client)" \
		test "$(postfix_policy_attr "$PLOG" "$n" ccert_fingerprint)" = "$fp_client"
	check "policy: CA-signed cert: ccert_pubkey_fingerprint non-empty" \
		test -n "$(postfix_policy_attr "$PLOG" "$n" ccert_pubkey_fingerprint)"
	check "policy: TLS session: encryption_protocol=TLSv1.3" \
		test "$(postfix_policy_attr "$PLOG" "$n" encryption_protocol)" = TLSv1.3
else
	nok "policy: a RCPT request for the CA-signed cert session"
fi
for kind in selfsigned other; do
	n=$(postfix_policy_find "$PLOG" "sender=$kind@example.org" protocol_state=RCPT)
	fp=$(postfix_cert_fingerprint "$PF_TLS/$kind.crt")
	check "policy: $kind cert: empty ccert_subject and ccert_issuer, ccert_fingerprint $fp" \
		eval "[ -n '$n' ] && postfix_policy_attr '$PLOG' '$n' ccert_subject > /dev/null &&
		 [ -z \"\$(postfix_policy_attr '$PLOG' '$n' ccert_subject)\" ] &&
		 [ -z \"\$(postfix_policy_attr '$PLOG' '$n' ccert_issuer)\" ] &&
		 [ \"\$(postfix_policy_attr '$PLOG' '$n' ccert_fingerprint)\" = '$fp' ]"
done
n=$(postfix_policy_find "$PLOG" sender=nocert@example.org protocol_state=RCPT)
check "policy: STARTTLS without cert: no ccert_fingerprint" \
	eval "[ -n '$n' ] && [ -z \"\$(postfix_policy_attr '$PLOG' '$n' ccert_fingerprint)\" ]"
n=$(postfix_policy_find "$PLOG" sender=client@example.org protocol_state=END-OF-MESSAGE)
check "policy: END-OF-MESSAGE request has the cert and the size" \
	eval "[ -n '$n' ] && [ \"\$(postfix_policy_attr '$PLOG' '$n' ccert_fingerprint)\" = '$fp_client' ] &&
	 [ \"\$(postfix_policy_attr '$PLOG' '$n' size)\" -gt 0 ]"

# --- AUTH PLAIN over TLS ---
postfix_send_auth auth --from auth@example.org --to someone@elsewhere.example
check "AUTH PLAIN over TLS: 235, 250 at RCPT (relay allowed) and at end of DATA" \
	test "$PF_SWAKS_RC/$PF_AUTH_CODE/$PF_RCPT_CODE/$PF_DATA_CODE" = 0/235/250/250
n=$(postfix_policy_find "$PLOG" sender=auth@example.org protocol_state=RCPT)
check "policy: AUTH session: sasl_username=$PF_SASL_USER, sasl_method=PLAIN" \
	eval "[ -n '$n' ] && [ \"\$(postfix_policy_attr '$PLOG' '$n' sasl_username)\" = '$PF_SASL_USER' ] &&
	 [ \"\$(postfix_policy_attr '$PLOG' '$n' sasl_method)\" = PLAIN ]"
PF_AUTH_PASS=wrong-password postfix_send_auth auth-bad --from authbad@example.org
check "AUTH PLAIN with a wrong password: 535 5.7.8" \
	eval "[ '$PF_AUTH_CODE' = 535 ] && printf '%s' '$PF_AUTH_REPLY' | grep -q '^535 5\.7\.8'"
check "maillog: the failed AUTH is logged" postfix_log_grep -q 'SASL PLAIN authentication failed'

# --- sendmail(1), the non-SMTP path ---
printf 'From: local@example.org\nTo: local@example.com\nSubject: via sendmail\nX-Harness: sendmail\n\nbody\n' |
	postfix_sendmail -f local@example.org -t
postfix_wait_delivered 7 || nok "sendmail: delivered"
check "sendmail(1): delivered with its headers" eval \
	"grep -l '^X-Harness: sendmail$' $PF_MAIL/*.eml | grep -q . "

check "all 7 messages delivered, no more" test "$(postfix_delivered_count)" = 7

# --- reload ---
postfix_conf "smtpd_banner = \$myhostname ESMTP reloaded-banner"
postfix_reload && postfix_send_plain reload --from reload@example.org
check "postfix_reload: the new banner is used" \
	eval "printf '%s' '$PF_BANNER_REPLY' | grep -q 'reloaded-banner'"
postfix_wait_delivered 8 || nok "after reload: delivered"

# --- policy answers: REJECT at RCPT, REJECT at end of DATA ---
echo "REJECT not at rcpt" > "$PLOG.action.RCPT"
postfix_send_plain reject-rcpt --from rejrcpt@example.org
check "policy REJECT at RCPT: 554 5.7.1 Recipient address rejected" \
	test "$PF_RCPT_REPLY" = "554 5.7.1 <rcpt@example.com>: Recipient address rejected: not at rcpt"
rm -f "$PLOG.action.RCPT"
echo "REJECT not at eod" > "$PLOG.action.END-OF-MESSAGE"
postfix_send_plain reject-eod --from rejeod@example.org
check "policy REJECT at end of DATA: 250 at RCPT, 554 5.7.1 End-of-data rejected" \
	test "$PF_RCPT_CODE/$PF_DATA_REPLY" = "250/554 5.7.1 <END-OF-MESSAGE>: End-of-data rejected: not at eod"
rm -f "$PLOG.action.END-OF-MESSAGE"

# --- a second instance, the start options: policy over TCP at RCPT
# only, a milter that is not there with milter_default_action accept, then
# tempfail after a reload; the policy server gone with
# --policy-default-action ---
D1=$D
postfix_tmpdir
D2=$PF_TMPDIR
PPORT=$(free_port)
PLOG2=$D2/requests
postfix_policy_recorder "inet:127.0.0.1:$PPORT" "$PLOG2" DUNNO || nok "TCP policy recorder starts"
if postfix_start "$D2" --policy-rcpt "inet:127.0.0.1:$PPORT" --milter "unix:$D2/no-milter.sock" \
	--milter-default-action accept --milter-protocol 6 --milter-timeout 5s --policy-timeout 10s \
	--policy-default-action "450 4.3.5 second policy down" --policy-try-limit 1 \
	"smtpd_banner = \$myhostname ESMTP second instance"; then
	ok "a second instance starts (port $PF_PORT)"
	check "second instance: main.cf has the options" eval \
		"[ \"\$(postfix_cmd postconf -h milter_default_action smtpd_milters smtpd_end_of_data_restrictions smtpd_policy_service_timeout milter_command_timeout | tr '\n' ' ')\" = 'accept unix:$D2/no-milter.sock  10s 5s ' ]"
	postfix_send_plain second --from second@example.org --to one@example.com,two@example.net
	check "second instance: milter down + accept: 250 at both RCPTs and at end of DATA" \
		test "$PF_BANNER_REPLY/$(printf '%s\n' "$PF_RCPT_REPLIES" | grep -c '^250 ')/$PF_DATA_CODE" = \
		"220 $PF_HOST ESMTP second instance/2/250"
	check "second instance: one delivery per recipient" eval \
		"postfix_wait_delivered 2 && [ \"\$(cat $D2/mail/1.env $D2/mail/2.env | grep recipient= | sort | tr '\n' ' ')\" = \
		 'recipient=one@example.com recipient=two@example.net ' ] && cmp -s $D2/mail/1.eml $D2/mail/2.eml"
	check "second instance: policy over TCP saw RCPT, no END-OF-MESSAGE" eval \
		"postfix_policy_find '$PLOG2' sender=second@example.org protocol_state=RCPT > /dev/null &&
		 ! postfix_policy_find '$PLOG2' protocol_state=END-OF-MESSAGE > /dev/null"
	postfix_conf milter_default_action=tempfail && postfix_reload
	postfix_send_plain second-tempfail --from tempfail@example.org
	check "second instance: milter down + tempfail: 451 4.7.1 at MAIL" \
		test "$PF_MAIL_REPLY" = "451 4.7.1 Service unavailable - try again later"
	PPID2=$PF_POLICY_PID
	postfix_policy_stop "$PPID2"
	postfix_conf milter_default_action=accept && postfix_reload
	postfix_send_plain second-nopolicy --from nopolicy@example.org
	check "second instance: policy down + --policy-default-action: its reply at RCPT" \
		test "$PF_MAIL_CODE/$PF_RCPT_REPLY" = "250/450 4.3.5 <rcpt@example.com>: Recipient address rejected: second policy down"
	check "second instance: stops" postfix_stop
else
	nok "a second instance starts"
fi
postfix_use "$D1"

# --- the policy server down ---
postfix_policy_stop "$PPID1"
t=$(date +%s)
postfix_send_plain policy-down --from down@example.org
check "policy server down: 451 4.3.5 at RCPT" \
	eval "printf '%s' '$PF_RCPT_REPLY' |
	  grep -qx '451 4\.3\.5 <rcpt@example.com>: Recipient address rejected: Server configuration problem'"
check "policy server down: answered within 5 s" test $(( $(date +%s) - t )) -le 5
check "maillog: the policy problem is logged" \
	postfix_log_grep -q "warning: problem talking to server $PSOCK: Connection refused"

# --- end state ---
sleep 0.2
check "the queue is empty" postfix_queue_empty
check "nothing bounced or deferred" postfix_no_bounce
check "no warnings but the expected ones in the maillog" eval \
	"! grep -E 'warning|fatal|panic|error' '$PF_LOG' |
	   grep -vE 'SASL (PLAIN )?authentication fail|connect to $PSOCK|problem talking to server $PSOCK|not set-gid' | grep -q ."
master=$PF_MASTER_PID
check "postfix_stop: stopped, every process gone" postfix_stop
check "postfix_stop: no live process of its group left" eval \
	"! pgrep -g '$master' | while read p; do grep -v '^[0-9]* ([^)]*) Z ' /proc/\$p/stat; done 2> /dev/null | grep -q ."
check "postfix_stop: the port is closed" eval \
	"! /usr/bin/python3 -c \"import socket; socket.create_connection(('127.0.0.1', $PF_PORT), 1)\" 2> /dev/null"
echo "# took $(( $(date +%s) - T0 )) s"
[ $fails = 0 ]
