#!/bin/bash
# t-cli.sh - the mailseal command as an administrator uses it: exit
# codes, errors, files it writes, stdin/stdout, many files, odd input,
# and constant memory on large messages.
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"

. "$ROOT/tests/lib/check.sh"
check() {       # check NAME COMMAND...: passes when the command succeeds
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else nok "$name"; fi
}
status_is() {   # status_is NAME WANT COMMAND...
	local name=$1 want=$2 got; shift 2
	"$@" >out.txt 2>err.txt; got=$?
	if [ "$got" = "$want" ]; then ok "$name"; else
		nok "$name - exit $got, wanted $want: $(head -c 300 err.txt)"; fi
}

msg() {         # msg FILE: a small CRLF message
	printf 'From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: test %s\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nbody of %s\r\n' "$1" "$1" > "$1"
}

# --- usage -----------------------------------------------------------
status_is "no arguments: usage, exit 2" 2 "$M"
status_is "unknown command: exit 2" 2 "$M" frobnicate
status_is "help: exit 0" 0 "$M" --help
status_is "keygen without -d: exit 2" 2 "$M" keygen -s x
status_is "keygen bad type: exit 2" 2 "$M" keygen -d example.com -s x -t dsa
status_is "keygen -b 512: exit 2" 2 "$M" keygen -d example.com -s x -b 512
status_is "keygen bad domain: exit 2" 2 "$M" keygen -d 'exa mple.com' -s x
status_is "sign without key: exit 2" 2 "$M" sign -d example.com -s x
status_is "verify unreadable key file: exit 1" 1 "$M" verify --key-file /nonexistent /dev/null
status_is "verify unknown option: exit 2" 2 "$M" verify --frob x
status_is "verify --max-signatures 0: exit 2" 2 "$M" verify --key-file /dev/null --max-signatures 0

# --- keygen ----------------------------------------------------------
mkdir keys
status_is "keygen rsa" 0 "$M" keygen -d example.com -s rsa1 -o keys
status_is "keygen ed25519" 0 "$M" keygen -d example.com -s ed1 -t ed25519 -o keys
status_is "keygen rsa 4096" 0 "$M" keygen -d example.com -s big -b 4096 -o keys
[ "$(stat -c %a keys/rsa1.private)" = 600 ] && ok "private key mode 0600" || nok "private key mode 0600"
status_is "keygen refuses to overwrite a key" 1 "$M" keygen -d example.com -s rsa1 -o keys
grep -q 'not overwriting' err.txt && ok "overwrite refusal says why" || nok "overwrite refusal says why"
head -c 100 keys/rsa1.private | grep -q 'BEGIN PRIVATE KEY' && ok "private key is PKCS#8 PEM" || nok "private key is PKCS#8 PEM"
longest=$(grep -o '"[^"]*"' keys/big.txt | awk '{ if (length($0) - 2 > m) m = length($0) - 2 } END { print m }')
[ "$longest" -le 255 ] && ok "TXT strings at most 255 bytes ($longest)" || nok "TXT strings at most 255 bytes ($longest)"
[ "$(grep -o '"[^"]*"' keys/big.txt | wc -l)" -ge 3 ] && ok "4096-bit record split into strings" || nok "4096-bit record split into strings"
grep -q '^ed1._domainkey.example.com.	IN	TXT	( "v=DKIM1; k=ed25519; p=' keys/ed1.txt && ok "ed25519 zone line" || nok "ed25519 zone line"
cat keys/*.txt > keyfile
status_is "keygen into a missing dir makes it" 0 "$M" keygen -d example.com -s z -o nonexistent/dir
[ -s nonexistent/dir/z.private ] && grep -q '^z._domainkey.example.com.	IN	TXT	( "v=DKIM1; k=rsa; p=' out.txt \
	&& ok "... the key in it, the record on stdout" || nok "... the key in it, the record on stdout - $(head -c 300 out.txt)"

# openssl agrees the record matches the private key
pub_rec=$(grep -o '"[^"]*"' keys/rsa1.txt | tr -d '"\n' | sed 's/.*p=//')
pub_ssl=$(openssl pkey -in keys/rsa1.private -pubout -outform DER 2>/dev/null | base64 -w0)
[ "$pub_rec" = "$pub_ssl" ] && ok "rsa record p= is the key's SPKI" || nok "rsa record p= is the key's SPKI"

# --- sign and verify -------------------------------------------------
msg m1.eml; msg m2.eml; msg m3.eml
"$M" sign -d example.com -s rsa1 -k keys/rsa1.private m1.eml > s-rsa.eml
check "sign rsa" test -s s-rsa.eml
"$M" verify --key-file keyfile s-rsa.eml > v.txt
grep -q $'^s-rsa.eml\tdkim=pass header.d=example.com header.s=rsa1 header.a=rsa-sha256$' v.txt \
	&& ok "verify rsa: pass line format" || nok "verify rsa: pass line format - $(cat v.txt)"
"$M" sign -d example.com -s ed1 -k keys/ed1.private -c simple/simple m1.eml > s-ed.eml
"$M" verify --key-file keyfile s-ed.eml | grep -q 'dkim=pass.*ed25519-sha256' && ok "sign+verify ed25519 simple/simple" || nok "sign+verify ed25519 simple/simple"
"$M" sign -d example.com -s rsa1 -k keys/rsa1.private -d example.com -s ed1 -k keys/ed1.private -c simple/relaxed m1.eml > s-dual.eml
[ "$(grep -c '^DKIM-Signature:' s-dual.eml)" = 2 ] && ok "dual signing adds two fields" || nok "dual signing adds two fields"
[ "$("$M" verify --key-file keyfile s-dual.eml | grep -c 'dkim=pass')" = 2 ] && ok "dual signatures both pass" || nok "dual signatures both pass"
status_is "sign -a that does not fit the key: exit 2" 2 "$M" sign -d example.com -s ed1 -k keys/ed1.private -a rsa-sha256 m1.eml
status_is "sign -H without from: exit 2" 2 "$M" sign -d example.com -s rsa1 -k keys/rsa1.private -H to:subject m1.eml
status_is "sign bad -c: exit 2" 2 "$M" sign -d example.com -s rsa1 -k keys/rsa1.private -c loose m1.eml
status_is "sign missing key file: exit 1" 1 "$M" sign -d example.com -s rsa1 -k keys/none.private m1.eml
"$M" sign -d example.com -s rsa1 -k keys/rsa1.private -H from:subject -i alice@example.com -x 3600 m1.eml > s-opts.eml
tr -d '\r\n\t ' < s-opts.eml | grep -q 'h=from:subject;' && ok "sign -H gives h= as listed" || nok "sign -H gives h= as listed"
tr -d '\r\n\t ' < s-opts.eml | grep -q 'i=alice@example.com;' && ok "sign -i sets i=" || nok "sign -i sets i="
tr -d '\r\n\t ' < s-opts.eml | grep -q 'x=[0-9]*;' && ok "sign -x sets x=" || nok "sign -x sets x="
"$M" verify --key-file keyfile s-opts.eml | grep -q 'dkim=pass' && ok "signature with -H -i -x passes" || nok "signature with -H -i -x passes"
status_is "sign -i outside d=: exit 2" 2 "$M" sign -d example.com -s rsa1 -k keys/rsa1.private -i alice@example.org m1.eml
awk 'length($0) > 79 { bad = 1 } END { exit bad }' s-dual.eml && ok "signature lines at most 78 columns" || nok "signature lines at most 78 columns"

# stdin and stdout
"$M" sign -d example.com -s rsa1 -k keys/rsa1.private < m1.eml > s-stdin.eml
"$M" verify --key-file keyfile < s-stdin.eml > v.txt
grep -q $'^-\tdkim=pass' v.txt && ok "sign and verify through stdin" || nok "sign and verify through stdin - $(cat v.txt)"

# LF-only messages stay LF-only and verify
tr -d '\r' < m1.eml > lf.eml
"$M" sign -d example.com -s rsa1 -k keys/rsa1.private lf.eml > s-lf.eml
if grep -q $'\r' s-lf.eml; then nok "LF input gives LF output"; else ok "LF input gives LF output"; fi
"$M" verify --key-file keyfile s-lf.eml | grep -q 'dkim=pass' && ok "LF message verifies" || nok "LF message verifies"
sed 's/$/\r/' s-lf.eml > s-lf-crlf.eml
"$M" verify --key-file keyfile s-lf-crlf.eml | grep -q 'dkim=pass' && ok "LF-signed message verifies after CRLF conversion" || nok "LF-signed message verifies after CRLF conversion"

# many files in one process
mkdir out
status_is "sign --out-dir many files" 0 "$M" sign -d example.com -s ed1 -k keys/ed1.private --out-dir out m1.eml m2.eml m3.eml
"$M" verify --key-file keyfile out/m1.eml out/m2.eml out/m3.eml m1.eml > v.txt
[ "$(grep -c 'dkim=pass' v.txt)" = 3 ] && grep -q $'^m1.eml\tdkim=none$' v.txt && ok "verify many files: 3 pass, 1 none" || nok "verify many files - $(cat v.txt)"
status_is "sign --out-dir with a missing file: exit 1" 1 "$M" sign -d example.com -s ed1 -k keys/ed1.private --out-dir out m1.eml missing.eml
[ -s out/m1.eml ] && ok "other files still signed" || nok "other files still signed"
ls -a out | grep -q '\.tmp$' && nok "no temporary files left" || ok "no temporary files left"
status_is "verify with a missing file: exit 1, others processed" 1 "$M" verify --key-file keyfile out/m1.eml missing.eml out/m2.eml
[ "$(grep -c 'dkim=pass' out.txt)" = 2 ] && grep -q 'missing.eml' err.txt && ok "missing file named, others verified" || nok "missing file named, others verified"

# tampering
sed 's/body of m1/body of mX/' s-dual.eml > t-body.eml
[ "$("$M" verify --key-file keyfile t-body.eml | grep -c 'dkim=fail.*body hash')" = 2 ] && ok "tampered body fails" || nok "tampered body fails"
sed 's/^Subject: test m1/Subject: test mX/' s-dual.eml > t-subj.eml
[ "$("$M" verify --key-file keyfile t-subj.eml | grep -c 'dkim=fail.*signature did not verify')" = 2 ] && ok "tampered subject fails" || nok "tampered subject fails"
{ printf 'From: Mallory <m@example.com>\r\n'; cat s-dual.eml; } > t-from.eml
[ "$("$M" verify --key-file keyfile t-from.eml | grep -c 'dkim=fail')" = 2 ] && ok "added From fails (over-signed)" || nok "added From fails (over-signed)"
{ printf 'X-Added: fine\r\n'; cat s-dual.eml; } > t-added.eml
[ "$("$M" verify --key-file keyfile t-added.eml | grep -c 'dkim=pass')" = 2 ] && ok "added unsigned header keeps pass" || nok "added unsigned header keeps pass"

# cap on signatures
cp m1.eml many.eml
for i in 1 2 3 4 5 6 7; do "$M" sign -d example.com -s ed1 -k keys/ed1.private many.eml > many2.eml; mv many2.eml many.eml; done
"$M" verify --key-file keyfile many.eml > v.txt
[ "$(grep -c 'dkim=pass' v.txt)" = 5 ] && [ "$(grep -c 'dkim=policy' v.txt)" = 2 ] && ok "7 signatures: 5 verified, 2 over the cap" || nok "7 signatures cap - $(cat v.txt)"
[ "$("$M" verify --key-file keyfile --max-signatures 7 many.eml | grep -c 'dkim=pass')" = 7 ] && ok "--max-signatures 7 verifies all" || nok "--max-signatures 7 verifies all"

# --- configuration file ----------------------------------------------
printf '# test\nmax_signatures = 2\ndns_timeout = 500ms\n' > ok.conf
"$M" -c ok.conf verify --key-file keyfile many.eml > v.txt
[ "$(grep -c 'dkim=pass' v.txt)" = 2 ] && ok "config max_signatures applies to verify" || nok "config max_signatures applies to verify - $(cat v.txt)"
[ "$("$M" -c ok.conf verify --max-signatures 3 --key-file keyfile many.eml | grep -c 'dkim=pass')" = 3 ] && ok "--max-signatures overrides the config" || nok "--max-signatures overrides the config"
"$M" -c ok.conf config > v.txt
[ "$(cat v.txt)" = "$(printf 'dns_timeout = 500ms\nmax_signatures = 2')" ] && ok "config prints what differs from the defaults" || nok "config prints what differs - $(cat v.txt)"
status_is "config check of a good file" 0 "$M" -c ok.conf config check
printf 'max_signatures = 2\n\nfrobnicate = yes\n' > bad.conf
status_is "config check of a bad file: exit 1" 1 "$M" -c bad.conf config check
grep -q '^bad.conf:3: unknown setting "frobnicate"' err.txt && ok "config error names file:line" || nok "config error names file:line - $(cat err.txt)"
status_is "a bad config stops verify with DNS: exit 2" 2 "$M" -c bad.conf verify m1.eml
grep -q '^mailseal: bad.conf:3: unknown setting "frobnicate"$' err.txt && ok "verify names the bad config line" || nok "verify names the bad config line - $(cat err.txt)"
status_is "a bad config stops policy: exit 2" 2 "$M" -c bad.conf policy --key-file keyfile m1.eml
# a command that needs no setting works whatever the file is
mkdir keys-badconf
status_is "keygen ignores a bad config" 0 "$M" -c bad.conf keygen -d example.com -s kb -t ed25519 -o keys-badconf
[ ! -s err.txt ] && [ -s keys-badconf/kb.private ] && ok "keygen with a bad config: key written, nothing said" || nok "keygen with a bad config - $(cat err.txt)"
status_is "keygen ignores a missing named config" 0 "$M" -c missing.conf keygen -d example.com -s km -t ed25519 -o keys-badconf
status_is "sign ignores a bad config" 0 "$M" -c bad.conf sign -d example.com -s ed1 -k keys/ed1.private m1.eml
grep -q '^DKIM-Signature:' out.txt && [ ! -s err.txt ] && ok "sign with a bad config: signed, nothing said" || nok "sign with a bad config - $(cat err.txt)"
status_is "verify --key-file --max-signatures ignores a bad config" 0 "$M" -c bad.conf verify --key-file keyfile --max-signatures 3 many.eml
[ "$(grep -c 'dkim=pass' out.txt)" = 3 ] && [ ! -s err.txt ] && ok "verify --key-file --max-signatures: config not read" || nok "verify --max-signatures with a bad config - $(cat err.txt)"
status_is "verify --key-file goes on past a bad config" 0 "$M" -c bad.conf verify --key-file keyfile many.eml
[ "$(grep -c 'dkim=pass' out.txt)" = 5 ] && grep -q '^mailseal: warning: bad.conf:3: unknown setting "frobnicate"; verify goes on with the default settings$' err.txt \
	&& ok "verify --key-file with a bad config: warned, default max_signatures" || nok "verify --key-file with a bad config - $(cat out.txt err.txt)"
status_is "an unknown command is named, not the bad config" 2 "$M" -c bad.conf frobnicate
grep -q 'unknown command "frobnicate"' err.txt && ! grep -q frobnicate.*setting err.txt && ok "unknown command named first" || nok "unknown command with a bad config - $(cat err.txt)"
status_is "a usage error of verify comes before the bad config" 2 "$M" -c bad.conf verify --frob x
grep -q 'unknown option --frob' err.txt && ok "verify usage error named first" || nok "verify usage error with a bad config - $(cat err.txt)"
status_is "help ignores a bad config" 0 "$M" -c bad.conf --help
status_is "a named config that is missing: exit 1" 1 "$M" -c missing.conf config check

# config check warns when dns_message_budget reaches Exim's
# local_scan_timeout (Exim's default 5m, or what exim4 -bP says when it
# is on PATH), and never fails for it; a fake exim4 stands in for Exim
mkdir fake-exim no-exim
fake_exim() {   # fake_exim SCRIPT-BODY: fake-exim/exim4 runs it
	printf '#!/bin/sh\n%s\n' "$1" > fake-exim/exim4; chmod +x fake-exim/exim4
}
printf 'dns_message_budget = 300s\n' > budget300.conf
printf 'dns_message_budget = 20s\n' > budget20.conf
status_is "config check: budget 300s without exim4: exit 0" 0 env PATH=$T/no-exim "$M" -c budget300.conf config check
grep -q "^budget300.conf: warning: dns_message_budget = 300s is not below Exim's local_scan_timeout (300s, Exim's default): .*421 local verification problem" err.txt \
	&& grep -q '^budget300.conf: ok$' out.txt && ok "config check warns: budget at Exim's default local_scan_timeout" || nok "config check budget 300s - $(cat err.txt)"
status_is "config check: budget 20s without exim4: exit 0" 0 env PATH=$T/no-exim "$M" -c budget20.conf config check
[ ! -s err.txt ] && ok "config check: a budget under 5m says nothing" || nok "config check budget 20s - $(cat err.txt)"
fake_exim 'echo "local_scan_timeout = 10s"'
status_is "config check: budget 20s, exim4 says 10s: exit 0" 0 env PATH=$T/fake-exim "$M" -c budget20.conf config check
grep -q "dns_message_budget = 20s is not below Exim's local_scan_timeout (10s, from exim4 -bP)" err.txt \
	&& ok "config check compares with exim4 -bP local_scan_timeout" || nok "config check with exim4 10s - $(cat err.txt)"
fake_exim 'echo "local_scan_timeout = 1h2m"'
status_is "config check: budget 300s, exim4 says 1h2m: exit 0" 0 env PATH=$T/fake-exim "$M" -c budget300.conf config check
[ ! -s err.txt ] && ok "config check: exim4's longer local_scan_timeout says nothing" || nok "config check with exim4 1h2m - $(cat err.txt)"
fake_exim 'echo "local_scan_timeout = 0s"'
status_is "config check: exim4 says 0s (no limit): exit 0" 0 env PATH=$T/fake-exim "$M" -c budget300.conf config check
[ ! -s err.txt ] && ok "config check: no local_scan_timeout, no warning" || nok "config check with exim4 0s - $(cat err.txt)"
fake_exim 'echo "exim: unknown option"; exit 1'
status_is "config check: a failing exim4: exit 0" 0 env PATH=$T/fake-exim "$M" -c budget300.conf config check
grep -q "(300s, Exim's default)" err.txt && ok "config check: a failing exim4 means Exim's default" || nok "config check with a failing exim4 - $(cat err.txt)"
fake_exim 'exec /bin/sleep 60'
timeout 20 env PATH=$T/fake-exim "$M" -c budget300.conf config check > out.txt 2> err.txt; rc=$?
[ $rc = 0 ] && grep -q "(300s, Exim's default)" err.txt && ok "config check: an exim4 that hangs is not waited for" || nok "config check with a hanging exim4: exit $rc $(cat err.txt)"

# --- odd input never crashes -----------------------------------------
: > empty.eml
head -c 200000 /dev/urandom > random.bin
printf 'From: a@example.com\r\nSubject: no body, no blank line' > headonly.eml
printf 'DKIM-Signature: v=1; a=rsa-sha256; b=; bh=; d=; h=; s=\r\nFrom: a@example.com\r\n\r\nx\r\n' > badsig.eml
printf 'DKIM-Signature: \xff\xfe\x00\x01\r\nFrom: a@example.com\r\n\r\n' > binsig.eml
awk 'BEGIN { printf "From: a@example.com\r\nX-Long: "; for (i = 0; i < 300000; i++) printf "a"; printf "\r\n\r\nbody\r\n" }' > longhdr.eml
awk 'BEGIN { for (i = 0; i < 1200; i++) printf "X-H%d: v\r\n", i; printf "\r\nbody\r\n" }' > manyhdr.eml
for f in empty.eml random.bin headonly.eml badsig.eml binsig.eml; do
	"$M" verify --key-file keyfile "$f" > v.txt 2> e.txt
	rc=$?
	if [ $rc = 0 ] && [ -s v.txt ]; then ok "odd input $f: verdict, exit 0 ($(cut -f2 v.txt | head -1 | cut -c1-60))"
	else nok "odd input $f: exit $rc $(head -c 200 e.txt)"; fi
done
# a header block over a limit: the verdict, and exit 1 since reading stopped there
for f in longhdr.eml manyhdr.eml; do
	"$M" verify --key-file keyfile "$f" > v.txt 2> e.txt
	rc=$?
	if [ $rc = 1 ] && grep -q 'dkim=permerror.*limit' v.txt && grep -q "^mailseal: $f: .*limit; the rest was not read" e.txt
	then ok "odd input $f: permerror verdict, limit named, exit 1"
	else nok "odd input $f: exit $rc $(head -c 200 v.txt e.txt)"; fi
done
grep -q 'dkim=permerror' <("$M" verify --key-file keyfile badsig.eml) && ok "malformed signature is permerror" || nok "malformed signature is permerror"
grep -q 'dkim=permerror.*limit' <("$M" verify --key-file keyfile longhdr.eml 2>/dev/null) && ok "oversized header field is a permerror naming the limit" || nok "oversized header field is a permerror naming the limit"
status_is "sign a message without From: exit 1" 1 "$M" sign -d example.com -s rsa1 -k keys/rsa1.private empty.eml
grep -q 'no From' err.txt && ok "missing From is named" || nok "missing From is named"
printf 'garbage line\n"unterminated\n' > badkeys
status_is "bad key file: exit 2 with file:line" 2 "$M" verify --key-file badkeys m1.eml
grep -q 'badkeys:2' err.txt && ok "key file error names file:line" || nok "key file error names file:line - $(cat err.txt)"

# --- policy: the MTA front ends' engine on a file --------------------
printf 'example.com rsa1 %s\nexample.com ed1 %s\n' "$T/keys/rsa1.private" "$T/keys/ed1.private" > signing.table
printf 'signing_table = %s\nrequire_signed = example.com\nauthserv_id = mx.test\n' "$T/signing.table" > pol.conf
msg sub.eml
"$M" -c pol.conf policy --key-file keyfile sub.eml > p.txt 2> err.txt
grep -q '^action=reject code=550 dsn=5.7.20 role=verify text="mail from example.com must carry a valid DKIM signature of example.com: the message is not signed"$' p.txt \
	&& ok "policy: unsigned mail of a require_signed domain: 550 5.7.20" || nok "policy: unsigned forgery - $(head -3 p.txt)"
status_is "policy --auth --message: exit 0" 0 "$M" -c pol.conf policy --auth alice --key-file keyfile --message sub.eml
mv out.txt signed-sub.eml
[ "$(grep -c '^DKIM-Signature:' signed-sub.eml)" = 2 ] && ok "policy --auth: signed with both keys of the table" || nok "policy --auth: $(grep -c '^DKIM-Signature:' signed-sub.eml) signatures"
[ "$("$M" verify --key-file keyfile signed-sub.eml | grep -c 'dkim=pass')" = 2 ] && ok "policy --auth: both signatures verify" || nok "policy --auth: signatures do not verify"
"$M" -c pol.conf policy --key-file keyfile signed-sub.eml > p.txt
grep -q '^action=accept code=250 dsn=2.0.0 role=verify$' p.txt && grep -q '^add=Authentication-Results: mx.test;.*dkim=pass' p.txt \
	&& ok "policy: the signed message passes inbound, with A-R" || nok "policy: signed inbound - $(head -3 p.txt | tr '\n' '|')"
{ printf 'Authentication-Results: mx.test; dkim=pass\r\n'; cat sub.eml; } > claim.eml
"$M" policy --mode skip claim.eml > p.txt
grep -q '^action=accept code=250 dsn=2.0.0 role=skip$' p.txt && ! grep -q '^add=\|^remove=' p.txt \
	&& ok "policy --mode skip: nothing changes" || nok "policy --mode skip - $(head -3 p.txt | tr '\n' '|')"
printf 'signing_table = %s\nauthserv_id = mx.test\n' "$T/signing.table" > pol2.conf
"$M" -c pol2.conf policy --key-file keyfile claim.eml > p.txt
grep -q '^remove=Authentication-Results#1$' p.txt && ok "policy: an A-R claiming our authserv-id is removed" || nok "policy: A-R claim - $(head -3 p.txt | tr '\n' '|')"
status_is "policy --mode with a bad value: exit 2" 2 "$M" policy --mode sometimes sub.eml
status_is "policy without a file: exit 2" 2 "$M" policy
printf 'signing_table = %s/missing.table\n' "$T" > pol3.conf
status_is "policy with an unreadable signing table: exit 2, named" 2 "$M" -c pol3.conf policy sub.eml
grep -q 'missing.table' err.txt && ok "the missing signing table is named" || nok "missing table not named: $(cat err.txt)"
status_is "config check loads the signing table: exit 1" 1 "$M" -c pol3.conf config check

# --- input is read no further than it matters -------------------------
# /dev/zero never ends: each command stops where the header block breaks
# its limit (timeout only turns a regression into a failure, not a hang)
timeout 20 "$M" verify --key-file keyfile /dev/zero > v.txt 2> e.txt; rc=$?
[ $rc = 1 ] && grep -q $'^/dev/zero\tdkim=permerror reason="the header block is longer than the limit"$' v.txt \
	&& grep -q '^mailseal: /dev/zero: the header block is longer than the limit; the rest was not read$' e.txt \
	&& ok "verify /dev/zero: ends, permerror, limit named, exit 1" || nok "verify /dev/zero: exit $rc $(head -c 200 v.txt e.txt)"
timeout 20 "$M" verify --key-file keyfile < /dev/zero > v.txt 2> e.txt; rc=$?
[ $rc = 1 ] && grep -q 'limit; the rest was not read' e.txt \
	&& ok "verify < /dev/zero: ends, exit 1" || nok "verify < /dev/zero: exit $rc $(head -c 200 e.txt)"
timeout 20 "$M" policy --key-file keyfile /dev/zero > p.txt 2> e.txt; rc=$?
[ $rc = 1 ] && grep -q '^action=reject code=550 dsn=5.6.0 role=verify text="the message header cannot be processed (the header block is longer than the limit)"$' p.txt \
	&& grep -q '^mailseal: /dev/zero: the header block is longer than the limit; the rest was not read$' e.txt \
	&& ok "policy /dev/zero: ends, 550 5.6.0, exit 1" || nok "policy /dev/zero: exit $rc $(head -c 200 p.txt e.txt)"
timeout 20 "$M" sign -d example.com -s ed1 -k keys/ed1.private /dev/zero > s.txt 2> e.txt; rc=$?
[ $rc = 1 ] && [ ! -s s.txt ] && grep -q '^mailseal: /dev/zero: cannot sign: the header block is longer than the limit$' e.txt \
	&& ok "sign /dev/zero: ends, nothing written, limit named, exit 1" || nok "sign /dev/zero: exit $rc $(head -c 200 e.txt)"
# a 2 GB file (sparse: no disk) whose header block fails at once is not
# read to its end: the file offset the command leaves on its stdin says
# how far it read
truncate -s 2G zero2g.bin
offset() { awk '/^pos:/ { print $2 }' /proc/self/fdinfo/0; }
pos=$( { timeout 60 "$M" verify --key-file keyfile >/dev/null 2>&1; offset; } < zero2g.bin)
[ "$pos" -lt $((16 << 20)) ] && ok "verify stops reading a 2 GB file at the header limit (read $pos bytes)" \
	|| nok "verify read $pos bytes of a 2 GB file whose header block failed"
pos=$( { timeout 60 "$M" sign -d example.com -s ed1 -k keys/ed1.private >/dev/null 2>&1; offset; } < zero2g.bin)
[ "$pos" -lt $((16 << 20)) ] && ok "sign stops reading a 2 GB file at the header limit (read $pos bytes)" \
	|| nok "sign read $pos bytes of a 2 GB file whose header block failed"
rm -f zero2g.bin
# a pipe is spooled as the signer reads it: nothing past the header
# limit, never more than --max-spool (ulimit -f: writing a bigger file
# kills the command), in $TMPDIR, and nothing left there
mkdir spool
head -c 300M /dev/zero | (ulimit -f 8192; TMPDIR=$T/spool timeout 60 "$M" sign -d example.com -s ed1 -k keys/ed1.private > /dev/null 2> e.txt); rc=$?
[ $rc = 1 ] && grep -q 'stdin: cannot sign: the header block is longer than the limit' e.txt \
	&& ok "300 MB on a pipe over the header limit: no big spool file, exit 1" || nok "300 MB on a pipe: exit $rc (153: a file over 8 MB was written) $(head -c 200 e.txt)"
big_msg() {     # big_msg MB: a message with a body of MB megabytes, on stdout
	cat m1.eml; head -c $(($1 << 20)) /dev/zero | tr '\0' 'x' | fold -w 998 | sed 's/$/\r/'
}
big_msg 5 | (ulimit -f 2048; TMPDIR=$T/spool timeout 60 "$M" sign --max-spool 1M -d example.com -s ed1 -k keys/ed1.private > s.txt 2> e.txt); rc=$?
[ $rc = 1 ] && [ ! -s s.txt ] && grep -q '^mailseal: stdin: the message is larger than the spool limit of 1048576 bytes; raise it with --max-spool SIZE$' e.txt \
	&& ok "sign --max-spool 1M: a 5 MB pipe is refused, named, exit 1" || nok "sign --max-spool 1M: exit $rc $(head -c 200 e.txt)"
big_msg 70 | (ulimit -f 70000; TMPDIR=$T/spool timeout 60 "$M" sign -d example.com -s ed1 -k keys/ed1.private > /dev/null 2> e.txt); rc=$?
[ $rc = 1 ] && grep -q 'larger than the spool limit of 67108864 bytes' e.txt \
	&& ok "sign: the default spool limit is 64 MB" || nok "sign: default spool limit: exit $rc $(head -c 200 e.txt)"
big_msg 3 | TMPDIR=$T/spool "$M" sign --max-spool 4M -d example.com -s ed1 -k keys/ed1.private > s-big.eml 2> e.txt
"$M" verify --key-file keyfile s-big.eml | grep -q 'dkim=pass' && ok "sign --max-spool 4M: a 3 MB pipe is signed and verifies" || nok "sign --max-spool 4M: $(head -c 200 e.txt)"
[ -z "$(ls -A spool)" ] && ok "no spool file left in TMPDIR" || nok "spool files left: $(ls -A spool)"
for bad in 0 x -1 1T 5MM; do
	status_is "sign --max-spool $bad: exit 2" 2 "$M" sign --max-spool "$bad" -d example.com -s ed1 -k keys/ed1.private m1.eml
done
cat m1.eml | TMPDIR=$T/none "$M" sign -d example.com -s ed1 -k keys/ed1.private > /dev/null 2> e.txt; rc=$?
[ $rc = 1 ] && grep -q "cannot make a spool file in $T/none (TMPDIR)" e.txt && ok "the spool is made in TMPDIR, named when it cannot be" || nok "spool in TMPDIR: exit $rc $(head -c 200 e.txt)"
TMPDIR=$T/none "$M" sign -d example.com -s ed1 -k keys/ed1.private < m1.eml > s.txt 2> e.txt \
	&& grep -q '^DKIM-Signature:' s.txt && ok "stdin from a regular file is not spooled" || nok "stdin from a regular file: $(head -c 200 e.txt)"
cat sub.eml | "$M" -c pol.conf policy --auth alice --key-file keyfile --message /dev/stdin > s-pipe.eml 2> e.txt
[ "$("$M" verify --key-file keyfile s-pipe.eml | grep -c 'dkim=pass')" = 2 ] && grep -q 'body of sub.eml' s-pipe.eml \
	&& ok "policy --message from a pipe: the whole message, signed" || nok "policy --message from a pipe: $(head -c 200 e.txt)"
cat sub.eml | "$M" -c pol.conf policy --auth alice --key-file keyfile --message --max-spool 100 /dev/stdin > /dev/null 2> e.txt; rc=$?
[ $rc = 1 ] && grep -q 'larger than the spool limit of 100 bytes' e.txt && ok "policy --message --max-spool applies" || nok "policy --max-spool: exit $rc $(head -c 200 e.txt)"
# the line-end style of a message whose first CR and LF fall in two reads
awk 'BEGIN { printf "X-Pad: "; for (i = 0; i < 65536 - 8; i++) printf "p"; printf "\r\nFrom: a@example.com\r\n\r\nbody\r\n" }' > split.eml
cat split.eml | "$M" sign -d example.com -s ed1 -k keys/ed1.private > s-split.eml
head -1 s-split.eml | grep -q $'\r$' && ok "CRLF message split between CR and LF: signature lines end in CRLF" || nok "CRLF split between reads taken for LF-only"

# --- memory does not grow with message size --------------------------
rss() {         # rss SIZE_MB: peak RSS (KB) of verifying a SIZE_MB message
	{ cat out/m1.eml; head -c $(($1 * 1024 * 1024)) /dev/zero | tr '\0' 'x' | fold -w 76 | sed 's/$/\r/'; } > big.eml
	/usr/bin/time -f %M "$M" verify --key-file keyfile big.eml 2>&1 >/dev/null | tail -1
}
small=$(rss 1)
large=$(rss 50)
if [ $((large - small)) -lt 4096 ]; then ok "50 MB message: peak RSS $large KB vs $small KB at 1 MB"
else nok "memory grows with message size: $small KB at 1 MB, $large KB at 50 MB"; fi
"$M" verify --key-file keyfile big.eml | grep -q 'dkim=fail.*body hash' && ok "50 MB appended body fails body hash" || nok "50 MB appended body fails body hash"
rss_sign() {    # rss_sign SIZE_MB: peak RSS (KB) of signing a SIZE_MB message from a pipe
	big_msg "$1" | /usr/bin/time -f %M "$M" sign -d example.com -s ed1 -k keys/ed1.private 2>&1 >/dev/null | tail -1
}
small=$(rss_sign 1)
large=$(rss_sign 50)
if [ $((large - small)) -lt 4096 ]; then ok "sign 50 MB from a pipe: peak RSS $large KB vs $small KB at 1 MB"
else nok "memory grows with message size in sign: $small KB at 1 MB, $large KB at 50 MB"; fi

[ $fails = 0 ]
