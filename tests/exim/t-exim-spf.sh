#!/bin/bash
# t-exim-spf.sh - mailseal_spf, the module's ${dlfunc} for acl_smtp_rcpt,
# inside Debian's real Exim 4.96 with the module as local_scan_path, the
# RCPT ACL statements of docs/exim.md ("test: rcpt-spf") as written
# there, SPF records in a real DNS server (nsd) behind a relay that logs
# every question (dns_count.py), all on loopback:
#   1 a wrong call (argument count) is an expansion error, not a verdict
#   2 SPF fail, on_spf_fail = reject: 550 5.7.23 at RCPT TO, for every
#     recipient, one lookup; nothing delivered
#   3 pass, three recipients: one lookup at the first RCPT, none for the
#     others and none in local_scan (its log line says spf_at=rcpt);
#     Authentication-Results has spf=pass
#   4 the DNS times out for the sender's domain: 451 4.4.3 at RCPT
#     (on_temperror = tempfail), the second RCPT without a new lookup
#   5 an authenticated submission with a failing envelope sender: not
#     checked (the module's own exemption: the documented statements
#     come before the test ACL's "accept authenticated")
#   6 several messages in one SMTP session: each MAIL FROM gets its own
#     result (pass, fail, another pass); a result kept at RCPT never
#     reaches the local_scan of another envelope (a recipient for which
#     the ACL does not call mailseal_spf) nor of a later message with
#     the same envelope
#   7 a mailseal.conf that does not load: 451 4.3.5 at RCPT (exim -bh)
#   8 the Exim built with the module inside (make exim-static), when it
#     is there (or EXIM_STATIC_BIN): its ${dlfunc} cannot load the
#     module, as docs/exim.md says
# The Debian configuration case (the documented macro on a copy of
# /etc/exim4) is in t-exim-debian.sh.  KEEP_T=DIR keeps the work
# directory.
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
MOD=$ROOT/build/mailseal_exim.so
HERE=$ROOT/tests/exim
PY=/usr/bin/python3             # Debian's, with python3-dnspython
# Exim loads the normal build's module (see t-exim.sh): not repeated
# for the ASan pass when the normal pass ran
. "$ROOT/tests/lib/check.sh"
. "$ROOT/tests/lib/nsd.sh"
. "$HERE/lib.sh"
exim_san_pass_done

T=$(mktemp -d)
chmod 755 "$T"                  # Exim runs as Debian-exim and reads in here
EXIM_HOME="$T/exim"
mkdir "$EXIM_HOME" "$T/msg"
DNSC_PID=""
dnsc_stop() { [ -n "$DNSC_PID" ] && kill "$DNSC_PID" 2>/dev/null && wait "$DNSC_PID" 2>/dev/null; DNSC_PID=""; }
trap 'exim_stop_all; dnsc_stop; nsd_stop; [ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP     # so that the EXIT trap stops the servers
cd "$T" || exit 1
START=$(date +%s)

for need in "$MOD" "$M"; do
	[ -e "$need" ] || { t_nok "built - $need is missing"; exit 1; }
done

# --- DNS: nsd, and the relay that logs every question -------------------------
cat > spf.rr <<'RR'
pass IN TXT "v=spf1 ip4:127.0.0.1 -all"
pass2 IN TXT "v=spf1 ip4:127.0.0.1 -all"
fail IN TXT "v=spf1 ip4:192.0.2.1 -all"
slow IN TXT "v=spf1 ip4:127.0.0.1 -all"
node IN TXT "v=spf1 ip4:127.0.0.1 -all"
node2 IN TXT "v=spf1 ip4:127.0.0.1 -all"
RR
nsd_zone spf.example 300 spf.rr > spf.example.zone
nsd_start "$T" spf.example || { t_nok "nsd starts"; exit 1; }
DNSC_PORT=$(free_port)
DNSLOG=$T/dns.log
: > "$DNSLOG"
"$PY" "$HERE/dns_count.py" "$DNSC_PORT" "$NSD_PORT" "$DNSLOG" '^slow\.spf\.example$' 2> dnsc.err &
DNSC_PID=$!
got=""
for i in $(seq 1 50); do
	got=$("$PY" - "$DNSC_PORT" <<'PY' 2>&1
import sys, dns.message, dns.query, dns.rdatatype
q = dns.message.make_query("pass.spf.example", "TXT")
r = dns.query.udp(q, "127.0.0.1", port=int(sys.argv[1]), timeout=1)
print(" ".join(t.to_text() for a in r.answer for t in a))
PY
	) && break
	sleep 0.1
done
case $got in
*'"v=spf1 ip4:127.0.0.1 -all"'*) t_ok "nsd on $NSD_PORT, the logging relay on $DNSC_PORT answers pass.spf.example TXT" ;;
*) t_nok "the DNS relay answers - $got $(oneline < dnsc.err)"; exit 1 ;;
esac
grep -qx 'pass.spf.example TXT' "$DNSLOG" && t_ok "the relay logged the question" \
	|| { t_nok "the relay's log: $(oneline < "$DNSLOG")"; exit 1; }

# dns_mark / dns_since MARK: the questions asked after the mark
dns_mark() { wc -l < "$DNSLOG"; }
dns_since() { tail -n +"$(($1 + 1))" "$DNSLOG"; }
# dns_count MARK NAME: how many TXT questions for NAME since MARK
dns_count() { dns_since "$1" | grep -cx "$2 TXT"; }
mainlog_lines() { wc -l < "$(exim_log "$1")"; }
mainlog_since() { tail -n +"$(($2 + 1))" "$(exim_log "$1")"; }

# --- mailseal's configuration, the daemon with the documented ACL ------------
{
	printf 'dns_resolver = 127.0.0.1:%s\n' "$DNSC_PORT"
	printf 'authserv_id = mx-spf.example.com\n'
	printf 'check_spf = yes\non_spf_fail = reject\non_spf_permerror = reject\n'
	printf 'on_temperror = tempfail\ndns_timeout = 300ms\ndns_message_budget = 1s\n'
} > spf.conf
if "$M" -c spf.conf config check > cc.out 2>&1; then t_ok "mailseal config check accepts spf.conf"
else t_nok "mailseal config check accepts spf.conf - $(oneline < cc.out)"; fi
RCPT_ACL=$(docblock rcpt-spf) && t_ok "docs/exim.md has the RCPT ACL block (test: rcpt-spf)" \
	|| { t_nok "docs/exim.md has a block marked 'test: rcpt-spf'"; exit 1; }
printf '%s\n' "$RCPT_ACL" | grep -qF '{mailseal_spf}' && t_ok "the block calls mailseal_spf" \
	|| t_nok "the block does not call mailseal_spf"
RCPT_ACL=$(printf '%s\n' "$RCPT_ACL" | sed "s|/usr/local/lib/mailseal/mailseal_exim.so|$MOD|g")

# spf_start NAME: exim_start's daemon (lib.sh) with, at the top of its
# RCPT ACL, "accept local_parts = nocheck" (a recipient for which
# mailseal_spf is not called) and then the documented statements
spf_start() {
	EXIM_EXTRA_RCPT_ACL=$(printf '  accept  local_parts = nocheck\n%s' "$RCPT_ACL") \
		exim_start "$1" "$MOD" "$T/spf.conf"
}
spf_start spf && t_ok "Exim with the module and the documented RCPT ACL on 127.0.0.1:$EXIM_PORT_spf" \
	|| { t_nok "Exim with the module and the documented RCPT ACL starts"; exit 1; }
grep -qF '{mailseal_spf}' "$EXIM_HOME/spf/exim.conf" && exim4c spf -bV > /dev/null 2>&1 \
	&& t_ok "the generated configuration holds the block and Exim accepts it" \
	|| t_nok "the generated configuration - $(exim4c spf -bV 2>&1 | oneline)"

# mkmsg ID FROM: msg/ID.eml, CRLF, a unique X-Test-Id
mkmsg() {
	{
		printf 'From: %s\r\nTo: <rcpt@example.net>\r\nSubject: spf at rcpt %s\r\n' "$2" "$1"
		printf 'Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <%s@test.example.org>\r\n' "$1"
		printf 'X-Test-Id: %s\r\n\r\nHello,\r\nthis is %s.\r\n' "$1" "$1"
	} > "msg/$1.eml"
}
# session OUT STEP...: smtp_steps.py against the daemon, into OUT
session() {
	local out=$1
	shift
	"$PY" "$HERE/smtp_steps.py" "$EXIM_PORT_spf" "EHLO client.example.org" "$@" > "$out" 2>&1
}
# reply OUT N: the reply (code and text) to the N-th step of OUT (after
# CONNECT and EHLO); step_ms OUT N: its time
reply() { sed -n "$(($2 + 2))p" "$1" | cut -f2; }
step_ms() { sed -n "$(($2 + 2))p" "$1" | cut -f3; }
# want NAME OUT N ERE: the N-th step's reply matches ERE
want() {
	local r
	r=$(reply "$2" "$3")
	if printf '%s\n' "$r" | grep -qE -- "$4"; then t_ok "$1 ($r)"
	else t_nok "$1 - wanted /$4/, got \"$r\"; session: $(oneline 600 < "$2")"; fi
}
our_ar() { hdr "$1" Authentication-Results | grep -E '^mx-spf\.example\.com *;'; }
# delivered ID: the first delivered file with X-Test-Id ID; sets D
delivered() { D=$(exim_wait_find spf "X-Test-Id: $1" 10 | head -1); [ -n "$D" ]; }
# ar_has NAME ID ERE: the message ID was delivered with an A-R of ours matching ERE
ar_has() {
	if ! delivered "$2"; then t_nok "$1 - not delivered"; return; fi
	if our_ar "$D" | grep -qE -- "$3"; then t_ok "$1"
	else t_nok "$1 - A-R of ours: $(our_ar "$D" | oneline)"; fi
}
# ls_line MARK ID: the local_scan line of the message ID after MARK
ls_line() { mainlog_since spf "$1" | grep -E "$2 mailseal: role="; }
# id_of OUT N: the message id in the N-th step's 250 reply
id_of() { reply "$1" "$2" | sed -n 's/^250 .*id=\([0-9A-Za-z-]*\).*/\1/p'; }

# --- 1. a wrong call ---------------------------------------------------------------
out=$(exim4c spf -be "\${dlfunc{$MOD}{mailseal_spf}{127.0.0.1}}" 2>&1)
case $out in
*'mailseal_spf: wants'*) t_ok "1: mailseal_spf with one argument: the expansion fails, saying what it wants" ;;
*) t_nok "1: mailseal_spf with one argument gave \"$(printf '%s' "$out" | oneline)\"" ;;
esac
out=$(exim4c spf -be "\${dlfunc{$MOD}{mailseal_spf}{}{x}{a@fail.spf.example}}" 2>&1)
[ "$out" = "250 unchecked" ] && t_ok "1: outside an SMTP session (no client address): 250 unchecked" \
	|| t_nok "1: without a client address: \"$(printf '%s' "$out" | oneline)\""

# --- 2. fail, on_spf_fail = reject: refused at RCPT ----------------------------------
mkmsg fail 'Fred <fred@fail.spf.example>'
m=$(dns_mark) l=$(mainlog_lines spf)
session s2.out "MAIL FROM:<fred@fail.spf.example>" "RCPT TO:<rcpt@example.net>" \
	"RCPT TO:<rcpt2@example.net>" "DATA @msg/fail.eml"
want "2: SPF fail, on_spf_fail = reject: the engine's 550 5.7.23 at RCPT TO" s2.out 2 \
	"^550 5\.7\.23 SPF: fail\.spf\.example does not allow 127\.0\.0\.1 to send its mail"
want "2: the second recipient: the same 550 5.7.23" s2.out 3 '^550 5\.7\.23 SPF: fail\.spf\.example'
want "2: DATA without a recipient is refused by Exim" s2.out 4 '^503 '
n=$(dns_count "$m" fail.spf.example)
[ "$n" = 1 ] && t_ok "2: one TXT lookup of fail.spf.example for both recipients" \
	|| t_nok "2: $n TXT lookups of fail.spf.example: $(dns_since "$m" | oneline)"
n=$(mainlog_since spf "$l" | grep -c 'mailseal: stage=spf spf=fail/fail\.spf\.example ip=127\.0\.0\.1.* action=reject code=550 dsn=5\.7\.23')
[ "$n" = 1 ] && t_ok "2: one module log line for the check (stage=spf spf=fail ... action=reject)" \
	|| t_nok "2: $n stage=spf lines: $(mainlog_since spf "$l" | grep mailseal: | oneline)"
mainlog_since spf "$l" | grep -q 'F=<fred@fail.spf.example> rejected RCPT <rcpt@example.net>: 550 5.7.23 SPF: fail.spf.example' \
	&& t_ok "2: Exim logs the refused RCPT with the engine's text" \
	|| t_nok "2: no 'rejected RCPT' line: $(mainlog_since spf "$l" | oneline)"
sleep 0.3
[ -z "$(exim_find spf 'X-Test-Id: fail')" ] && t_ok "2: nothing delivered" || t_nok "2: the refused message was delivered"

# --- 3. pass, three recipients: one lookup, none in local_scan ---------------------
mkmsg pass 'Pat <pat@pass.spf.example>'
m=$(dns_mark) l=$(mainlog_lines spf)
session s3.out "MAIL FROM:<pat@pass.spf.example>" "RCPT TO:<rcpt@example.net>" \
	"RCPT TO:<rcpt2@example.net>" "RCPT TO:<rcpt3@example.com>" "DATA @msg/pass.eml"
want "3: pass: the first RCPT is accepted" s3.out 2 '^250 '
want "3: the second RCPT is accepted" s3.out 3 '^250 '
want "3: the third RCPT is accepted" s3.out 4 '^250 '
want "3: the message is accepted" s3.out 5 '^250 '
id=$(id_of s3.out 5)
ar_has "3: Authentication-Results: spf=pass smtp.mailfrom=pat@pass.spf.example" pass \
	'spf=pass smtp\.mailfrom=pat@pass\.spf\.example'
n=$(dns_count "$m" pass.spf.example)
[ "$n" = 1 ] && t_ok "3: one TXT lookup of pass.spf.example in the whole transaction (3 RCPTs and local_scan)" \
	|| t_nok "3: $n TXT lookups of pass.spf.example: $(dns_since "$m" | oneline)"
n=$(mainlog_since spf "$l" | grep -c 'mailseal: stage=spf spf=pass/pass\.spf\.example')
[ "$n" = 1 ] && t_ok "3: one check logged at RCPT" || t_nok "3: $n checks logged: $(mainlog_since spf "$l" | grep mailseal: | oneline)"
ls_line "$l" "$id" | grep -qE ' spf=pass/pass\.spf\.example .*action=accept spf_at=rcpt$' \
	&& t_ok "3: local_scan's log line: spf=pass, carried from RCPT (spf_at=rcpt)" \
	|| t_nok "3: local_scan's line for $id: $(ls_line "$l" "$id" | oneline)"

# --- 4. the DNS times out: 451 at RCPT ---------------------------------------------
m=$(dns_mark) l=$(mainlog_lines spf)
session s4.out "MAIL FROM:<sam@slow.spf.example>" "RCPT TO:<rcpt@example.net>" "RCPT TO:<rcpt2@example.net>"
want "4: DNS timeout for slow.spf.example, on_temperror = tempfail: 451 4.4.3 at RCPT" s4.out 2 \
	'^451 4\.4\.3 .*slow\.spf\.example'
want "4: the second RCPT: the same 451 4.4.3" s4.out 3 '^451 4\.4\.3 .*slow\.spf\.example'
ms1=$(step_ms s4.out 2) ms2=$(step_ms s4.out 3)
echo "# 4: the first RCPT took ${ms1:-?} ms (dns_timeout 300ms, budget 1s), the second ${ms2:-?} ms"
reply s4.out 2 | grep -q 'TXT lookup of slow\.spf\.example: timed out' \
	&& t_ok "4: the reply says the lookup timed out" || t_nok "4: the reply: $(reply s4.out 2)"
n=$(dns_count "$m" slow.spf.example)
n2=$(sleep 0.5; dns_count "$m" slow.spf.example)
[ "$n" -ge 1 ] && [ "$n" = "$n2" ] && t_ok "4: the relay dropped $n question(s) for slow.spf.example, none asked for the second RCPT" \
	|| t_nok "4: lookups of slow.spf.example: $n, then $n2: $(dns_since "$m" | oneline)"
mainlog_since spf "$l" | grep -q 'mailseal: stage=spf spf=temperror/slow\.spf\.example.*action=tempfail code=451 dsn=4\.4\.3' \
	&& t_ok "4: the module's log line (spf=temperror, action=tempfail)" \
	|| t_nok "4: no temperror line: $(mainlog_since spf "$l" | grep mailseal: | oneline)"

# --- 5. an authenticated submission is not checked -------------------------------------
mkmsg auth 'Alice <alice@fail.spf.example>'
m=$(dns_mark) l=$(mainlog_lines spf)
exim_tls_init || t_nok "5: test CA and certificates"
exim_send spf msg/auth.eml -a -f alice@fail.spf.example -r bob@remote.example
grep -qE '^<~  250 .*Accepted' "$EXIM_TRANSCRIPT" && grep -q '^ ~> RCPT TO:<bob@remote.example>' "$EXIM_TRANSCRIPT" \
	&& t_ok "5: TLS + AUTH, MAIL FROM alice@fail.spf.example: the RCPT is accepted" \
	|| t_nok "5: AUTH submission RCPT - $(grep -E '^<' "$EXIM_TRANSCRIPT" | tail -4 | oneline)"
case $EXIM_REPLY in 250*) t_ok "5: ... and the message ($EXIM_REPLY)" ;; *) t_nok "5: the message got \"$EXIM_REPLY\"" ;; esac
n=$(dns_count "$m" fail.spf.example)
[ "$n" = 0 ] && t_ok "5: no lookup of fail.spf.example" || t_nok "5: $n lookups of fail.spf.example"
mainlog_since spf "$l" | grep -q 'stage=spf' && t_nok "5: an SPF check was logged: $(mainlog_since spf "$l" | grep stage=spf | oneline)" \
	|| t_ok "5: no SPF check logged"

# --- 6. several messages in one session --------------------------------------------
mkmsg s6a 'Pat <pat@pass.spf.example>'
mkmsg s6b 'Fred <fred@fail.spf.example>'
mkmsg s6c 'Pam <pam@pass2.spf.example>'
m=$(dns_mark) l=$(mainlog_lines spf)
session s6.out "MAIL FROM:<pat@pass.spf.example>" "RCPT TO:<rcpt@example.net>" "DATA @msg/s6a.eml" \
	"MAIL FROM:<fred@fail.spf.example>" "RCPT TO:<rcpt@example.net>" "RSET" \
	"MAIL FROM:<pam@pass2.spf.example>" "RCPT TO:<rcpt@example.net>" "DATA @msg/s6c.eml"
want "6: message 1 (pat@pass.spf.example): RCPT accepted" s6.out 2 '^250 '
want "6: message 1 accepted" s6.out 3 '^250 '
want "6: message 2 (fred@fail.spf.example), same session: 550 5.7.23 at RCPT" s6.out 5 '^550 5\.7\.23 SPF: fail\.spf\.example'
want "6: after RSET, message 3 (pam@pass2.spf.example): RCPT accepted" s6.out 8 '^250 '
want "6: message 3 accepted" s6.out 9 '^250 '
ar_has "6: message 1 has spf=pass smtp.mailfrom=pat@pass.spf.example" s6a 'spf=pass smtp\.mailfrom=pat@pass\.spf\.example'
ar_has "6: message 3 has its own result: spf=pass smtp.mailfrom=pam@pass2.spf.example" s6c 'spf=pass smtp\.mailfrom=pam@pass2\.spf\.example'
n="$(dns_count "$m" pass.spf.example) $(dns_count "$m" fail.spf.example) $(dns_count "$m" pass2.spf.example)"
[ "$n" = "1 1 1" ] && t_ok "6: one lookup per envelope (pass, fail, pass2)" \
	|| t_nok "6: lookups of pass, fail, pass2: $n: $(dns_since "$m" | oneline)"
for k in 3 9; do
	id=$(id_of s6.out $k)
	ls_line "$l" "$id" | grep -q ' spf_at=rcpt$' && t_ok "6: message $id used the RCPT's result" \
		|| t_nok "6: message $id: $(ls_line "$l" "$id" | oneline)"
done
# a result kept at RCPT, then another envelope whose RCPT skips
# mailseal_spf: local_scan checks for itself and refuses at the dot
m=$(dns_mark) l=$(mainlog_lines spf)
session s6d.out "MAIL FROM:<pat@pass.spf.example>" "RCPT TO:<rcpt@example.net>" "RSET" \
	"MAIL FROM:<fred@fail.spf.example>" "RCPT TO:<nocheck@example.net>" "DATA @msg/s6b.eml"
want "6: pass kept at RCPT, RSET, MAIL FROM fred@fail.spf.example to a recipient not checked at RCPT: accepted" s6d.out 5 '^250 '
want "6: ... and refused by local_scan at the dot (not the kept pass): 550 5.7.23" s6d.out 6 '^550 5\.7\.23 SPF: fail\.spf\.example'
n="$(dns_count "$m" pass.spf.example) $(dns_count "$m" fail.spf.example)"
[ "$n" = "1 1" ] && t_ok "6: pass looked up at RCPT, fail in local_scan" || t_nok "6: lookups of pass, fail: $n"
mainlog_since spf "$l" | grep 'mailseal: role=' | grep -q 'spf_at=rcpt' \
	&& t_nok "6: local_scan used a result from RCPT: $(mainlog_since spf "$l" | grep 'mailseal: role=' | oneline)" \
	|| t_ok "6: local_scan's line has no spf_at=rcpt"
# the same envelope in the next message, not checked at RCPT: local_scan
# checks again (what the first message kept was used up)
mkmsg s6e 'Pat <pat@pass.spf.example>'
mkmsg s6f 'Pat <pat@pass.spf.example>'
m=$(dns_mark) l=$(mainlog_lines spf)
session s6e.out "MAIL FROM:<pat@pass.spf.example>" "RCPT TO:<rcpt@example.net>" "DATA @msg/s6e.eml" \
	"MAIL FROM:<pat@pass.spf.example>" "RCPT TO:<nocheck@example.net>" "DATA @msg/s6f.eml"
want "6: message 1 of pat@pass.spf.example accepted" s6e.out 3 '^250 '
want "6: message 2 of the same envelope, not checked at RCPT, accepted" s6e.out 6 '^250 '
id=$(id_of s6e.out 6)
n=$(dns_count "$m" pass.spf.example)
# local_scan's own check of message 2 is answered from the node's DNS
# cache (the same session process): one query reaches the DNS server
[ "$n" = 1 ] && t_ok "6: one DNS query: at RCPT for message 1; local_scan's check of message 2 from the node's DNS cache" \
	|| t_nok "6: $n lookups of pass.spf.example: $(dns_since "$m" | oneline)"
ls_line "$l" "$id" | grep -qE ' spf=pass/pass\.spf\.example .*action=accept$' \
	&& t_ok "6: message 2 was checked by local_scan (no spf_at=rcpt)" \
	|| t_nok "6: message 2's line: $(ls_line "$l" "$id" | oneline)"

# --- 6b. the node's shared cache: what one session learnt, the next reads -----
# Without mailseal_prewarm each session process asks DNS for itself;
# with it, the daemon maps the node's shared cache before it forks and
# a later session's check is answered from there (docs/exim.md)
WARM_LINE=$(docblock prewarm) || t_nok "6b: docs/exim.md has a block marked 'test: prewarm'"
EXIM_EXTRA_RCPT_ACL=$(printf '  accept  local_parts = nocheck\n%s' "$RCPT_ACL") \
EXIM_EXTRA_MAIN=${WARM_LINE//\/usr\/local\/lib\/mailseal\/mailseal_exim.so/$MOD} \
	exim_start spfw "$MOD" "$T/spf.conf" && t_ok "6b: a second daemon, pre-warmed (mailseal_prewarm)" \
	|| t_nok "6b: the pre-warmed daemon starts"
# wsession PORT OUT ADDR: one session, one message from ADDR
wsession() {
	"$PY" "$HERE/smtp_steps.py" "$1" "EHLO client.example.org" "MAIL FROM:<$3>" \
		"RCPT TO:<rcpt@example.net>" "DATA @msg/s6g.eml" > "$2" 2>&1
}
mkmsg s6g 'Nina <nina@node.spf.example>'
m=$(dns_mark)
for i in 1 2 3; do
	wsession "$EXIM_PORT_spfw" "s6w$i.out" nina@node.spf.example
	want "6b: pre-warmed daemon, session $i: accepted" "s6w$i.out" 3 '^250 '
done
n=$(dns_count "$m" node.spf.example)
[ "$n" = 1 ] && t_ok "6b: three sessions of the pre-warmed daemon, one DNS query: the later sessions read the node's shared cache" \
	|| t_nok "6b: $n lookups of node.spf.example in three pre-warmed sessions: $(dns_since "$m" | oneline)"
m=$(dns_mark)
for i in 1 2; do
	wsession "$EXIM_PORT_spf" "s6n$i.out" nina@node2.spf.example
	want "6b: daemon without pre-warming, session $i: accepted" "s6n$i.out" 3 '^250 '
done
n=$(dns_count "$m" node2.spf.example)
[ "$n" = 2 ] && t_ok "6b: without pre-warming each session asks DNS itself (2 queries for 2 sessions)" \
	|| t_nok "6b: $n lookups of node2.spf.example in two sessions without pre-warming"
exim_wait_idle spfw 10 || t_nok "6b: the queue of the pre-warmed daemon does not drain"
p=$(exim_panics spfw)
[ -z "$p" ] && t_ok "6b: the pre-warmed daemon's paniclog has only '$EXIM_PANIC_OK'" \
	|| t_nok "6b: paniclog: $(echo "$p" | sort -u | oneline 600)"

# --- 7. a configuration that does not load (exim -bh: the ACLs, no daemon) ----
out=$(printf 'EHLO client.example.org\r\nMAIL FROM:<fred@fail.spf.example>\r\nRCPT TO:<rcpt@example.net>\r\nQUIT\r\n' |
	MAILSEAL_CONFIG=$T/absent.conf exim4c spf -bh 127.0.0.1 2>&1)
printf '%s\n' "$out" | grep -q '^451[ -]4\.3\.5 mail cannot be accepted now (local configuration problem)' \
	&& t_ok "7: mailseal.conf missing: 451 4.3.5 at RCPT TO" \
	|| t_nok "7: mailseal.conf missing - $(printf '%s\n' "$out" | grep -E '^[245][0-9][0-9]' | oneline)"
printf '%s\n' "$out" | grep -q "^LOG: mailseal: role=none action=tempfail code=451 dsn=4\.3\.5 error=\"$T/absent\.conf: " \
	&& t_ok "7: ... and a log line naming the file" \
	|| t_nok "7: no log line naming $T/absent.conf - $(printf '%s\n' "$out" | grep '^LOG:' | oneline)"

# --- 8. the static Exim ---------------------------------------------------------------
SBIN=${EXIM_STATIC_BIN:-$ROOT/build/exim-static/exim}
if [ -x "$SBIN" ]; then
	out=$("$SBIN" -C /dev/null -be "\${dlfunc{$MOD}{mailseal_spf}{127.0.0.1}{x}{a@b.example}}" 2>&1)
	case $out in
	*'dlopen'*'undefined symbol'*) t_ok "8: the static Exim cannot load the module for \${dlfunc} (undefined symbol), as docs/exim.md says" ;;
	*) t_nok "8: the static Exim's \${dlfunc} of the module gave \"$(printf '%s' "$out" | oneline)\"; docs/exim.md says it cannot" ;;
	esac
else
	echo "# 8: no static Exim ($SBIN: make exim-static); not checked"
fi

# --- at the end -------------------------------------------------------------------------
exim_wait_idle spf 10 || t_nok "the queue does not drain: $(exim_queue spf | oneline)"
p=$(exim_panics spf)
[ -z "$p" ] && t_ok "the paniclog has only '$EXIM_PANIC_OK'" || t_nok "paniclog: $(echo "$p" | sort -u | oneline 600)"
exim_running spf && t_ok "Exim still running" || t_nok "Exim is not running"
echo "# t-exim-spf.sh took $(( $(date +%s) - START )) s"
[ $fails = 0 ]
