# lib/keys.sh - what the MTA suites of the key life cycle share
# (tests/exim/t-exim-keys.sh, tests/postfix/t-postfix-keys.sh).  Source
# it after check.sh and nsd.sh; $T is the work directory (the current
# one), $M the mailseal command.
#   keys_start CONF [LINE...]  a key "old" for example.com
#                         (keys/old.private), published by a real nsd
#                         (example.com.records: the test adds to it and
#                         calls nsd_publish), signing.table naming it,
#                         and CONF: the resolver, the table, key_dir,
#                         key_grace = 3s, the authserv-id, then each
#                         LINE; 1 when nsd does not start
#   keys_msg ID           msg/ID.eml from alice@example.com, with
#                         X-Test-Id: ID
#   keys_signed_with TAG WHAT FILE WANT
#                         ok when the signatures of the delivered FILE
#                         are WANT (selectors, sorted, blank-separated),
#                         each passing against the nsd, and no other

keys_start() {
	local conf=$1 line
	shift
	mkdir -p keys msg
	"$M" keygen -d example.com -s old -o keys > /dev/null || return 1
	cp keys/old.txt example.com.records
	nsd_zone example.com 60 example.com.records > example.com.zone
	nsd_start "$T" example.com || return 1
	printf 'example.com old %s/keys/old.private\n' "$T" > signing.table
	{
		printf 'dns_resolver = 127.0.0.1:%s\n' "$NSD_PORT"
		printf 'signing_table = %s/signing.table\n' "$T"
		printf 'key_dir = %s/kd\nkey_grace = 3s\n' "$T"
		printf 'authserv_id = mx-auth.example.com\n'
		for line in "$@"; do printf '%s\n' "$line"; done
	} > "$conf"
	KEYS_CONF=$conf
}

keys_msg() {
	printf 'From: Alice <alice@example.com>\r\nTo: bob@remote.example\r\nSubject: keys %s\r\nMessage-ID: <%s@test.example.org>\r\nX-Test-Id: %s\r\n\r\nHello %s.\r\n' \
		"$1" "$1" "$1" "$1" > "$T/msg/$1.eml"
}

# keys_selectors FILE: the selectors of FILE's signatures that pass
# (mailseal verify against the nsd, on a CRLF copy: Postfix hands
# messages over with LF), sorted, on one line
keys_selectors() {
	sed 's/\r*$/\r/' "$1" > "$T/crlf.eml"
	"$M" -c "$KEYS_CONF" verify "$T/crlf.eml" |
		grep -oE 'dkim=pass header.d=example.com header.s=[^ ]+' |
		sed 's/.*header.s=//' | sort | tr '\n' ' ' | sed 's/ $//'
}

keys_signed_with() {
	local got n
	got=$(keys_selectors "$3")
	n=$(grep -ci '^DKIM-Signature:' "$3")
	if [ "$got" = "$4" ] && [ "$n" = "$(echo "$4" | wc -w)" ]; then ok "$1: $2 signed by $4"
	else nok "$1: $2 - passing: \"$got\" ($n signatures), wanted \"$4\""; fi
}
