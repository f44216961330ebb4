#!/bin/bash
# t-cli-config.sh - `mailseal config check` as an administrator meets
# it: comments after values, a resolver written wrong (named by file and
# line), a file the checking user cannot read (an error, never "no
# file"), and the warning that any authenticated or local user can sign
# for every domain of the signing table.
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
T=$(mktemp -d)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0
. "$ROOT/tests/lib/check.sh"

# expect NAME WANT_EXIT ERE -- COMMAND...: exit status and output (both
# streams) matching ERE
expect() {
	local name=$1 want=$2 re=$3 out rc
	shift 4
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" = "$want" ] && printf '%s\n' "$out" | grep -qE -- "$re"; then
		ok "$name"
	else
		nok "$name - exit $rc (wanted $want): $(printf '%s' "$out" | head -c 400 | tr '\n' '|')"
	fi
}

printf 'dns_resolver = 127.0.0.1:5353 # the local cache\ndns_timeout = 300ms   # short\n# a comment line\n' > c1.conf
expect "a comment after a value is not part of it: config check ok" 0 '^c1.conf: ok$' -- "$M" -c c1.conf config check
expect "... and config shows the value without it" 0 '^dns_resolver = 127\.0\.0\.1:5353$' -- "$M" -c c1.conf config

printf '# resolver\n\ndns_resolver = 127.0.0.1:5353 127.0.0.1@53531\n' > c2.conf
expect "a resolver written IP@PORT: config check fails naming file, line and server" 1 \
	'c2\.conf:3: dns_resolver: DNS server "127\.0\.0\.1@53531" is not an IP address' -- "$M" -c c2.conf config check
printf 'dns_resolver = [::1]:53, 127.0.0.1\n' > c3.conf
expect "IPv6 with a port and IPv4 without, comma-separated: ok" 0 ': ok$' -- "$M" -c c3.conf config check

# the multi-tenant warning
mkdir keys && "$M" keygen -d example.com -s s1 -t ed25519 -o keys > /dev/null 2>&1 || nok "test setup: keygen"
printf 'example.com s1 %s/keys/s1.private\n' "$T" > signing.table
printf 'signing_table = %s/signing.table\n' "$T" > c4.conf
expect "with a signing table, config check warns that every user can sign for every domain" 0 \
	'warning: any authenticated user, and any local user through sendmail\(1\), can sign for every domain of' \
	-- "$M" -c c4.conf config check
expect "... and still says ok" 0 '^c4.conf: ok$' -- "$M" -c c4.conf config check
expect "without one, no such warning" 0 '^c1.conf: ok$' -- sh -c "'$M' -c c1.conf config check 2>&1 | grep -v warning"
printf 'alice alice@example.com\n*@example.com example.com\n' > rights
printf 'signing_table = %s/signing.table\nsending_rights = %s/rights\n' "$T" "$T" > c5.conf
expect "with sending_rights too: config check ok" 0 '^c5.conf: ok$' -- "$M" -c c5.conf config check
expect "... and no multi-tenant warning" 1 '^0$' -- sh -c "'$M' -c c5.conf config check 2>&1 | grep -c 'warning: any authenticated'"
printf 'alice alice@example.com\nbob\n' > rights-bad
printf 'signing_table = %s/signing.table\nsending_rights = %s/rights-bad\n' "$T" "$T" > c6.conf
expect "a sending_rights line without a From: config check fails naming file and line" 1 \
	'rights-bad:2: bob has no From address or domain' -- "$M" -c c6.conf config check

# a file the user cannot read is an error, not "absent"
mkdir -m 700 closed
cp c1.conf closed/mailseal.conf
expect "a named file in a directory closed to the user: an error naming it" 1 \
	'closed/mailseal\.conf: Permission denied' -- setpriv --reuid=nobody --regid=nogroup --clear-groups "$M" -c "$T/closed/mailseal.conf" config check
chmod 755 closed
chmod 600 closed/mailseal.conf
expect "a file of mode 0600 owned by root: an error naming it" 1 \
	'closed/mailseal\.conf: Permission denied' -- setpriv --reuid=nobody --regid=nogroup --clear-groups "$M" -c "$T/closed/mailseal.conf" config check
exit $((fails > 0))
