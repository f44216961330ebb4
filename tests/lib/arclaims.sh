# lib/arclaims.sh - the Authentication-Results cases both MTA suites run
# (tests/exim/t-exim.sh, tests/postfix/t-postfix.sh): an inbound message
# carrying fields that claim our authserv-id gets exactly one A-R of
# ours, the fields claiming our id are gone (exact, folded, in capitals,
# with a version), and another server's field is kept.
#
# Source it after the suite's helpers; it uses mkmsg ID FROM FIELD...,
# code NAME ERE, ar_is NAME FILE ERE, hdr FILE NAME, ok/nok, AUTHSERV,
# and two hooks the suite defines:
#   inbound_send ID        send msg/ID.eml as unauthenticated mail
#   inbound_delivered ID   wait for its delivery; sets D (the file)
# WHO names the front end in the check names ("module", "daemon").

# ar_case ID DESC FIELD...: an unsigned inbound message with those fields
ar_case() {
	local id=$1 desc=$2
	shift 2
	mkmsg "$id" 'Otto <otto@ordinary.example>' "$@"
	inbound_send "$id"
	code "8: $desc: accepted" '^250 '
	if inbound_delivered "$id"; then
		ar_is "8: $desc: exactly one A-R of ours, the $WHO's (dkim=none)" "$D" 'dkim=none'
		hdr "$D" Authentication-Results | grep -q 'header\.s=forged' \
			&& nok "8: $desc: the forged field is still there" || ok "8: $desc: the forged field is gone"
	else
		nok "8: $desc: delivered"
	fi
}

# ar_claims_cases - every case
ar_claims_cases() {
	D=
	ar_case s8-exact "a field with our id" \
		"Authentication-Results: $AUTHSERV; dkim=pass header.d=ordinary.example header.s=forged1" \
		"Authentication-Results: other-mx.example.net; dkim=pass header.d=ordinary.example header.s=kept1"
	[ -n "${D:-}" ] && [ "$(hdr "$D" Authentication-Results | grep -c '^other-mx\.example\.net; .*header\.s=kept1')" = 1 ] \
		&& ok "8: the field of another authserv-id is kept" || nok "8: the other authserv-id's field is gone"
	ar_case s8-folded "a folded field with our id" \
		$'Authentication-Results:\r\n\t'"$AUTHSERV"$';\r\n\tdkim=pass header.d=ordinary.example header.s=forged2'
	ar_case s8-case "our id in capitals (authserv-ids compare as domain names)" \
		"Authentication-Results: $(echo "$AUTHSERV" | tr a-z A-Z); dkim=pass header.s=forged3"
	ar_case s8-version "our id with a version (id 1;)" \
		"Authentication-Results: $AUTHSERV 1; dkim=pass header.s=forged4"
	ar_case s8-two "two fields with our id, another between them" \
		"Authentication-Results: $AUTHSERV; dkim=pass header.s=forged5" \
		"Authentication-Results: other-mx.example.net; dkim=pass header.s=kept2" \
		"Authentication-Results: $AUTHSERV; dkim=pass header.s=forged6"
	[ -n "${D:-}" ] && [ "$(hdr "$D" Authentication-Results | grep -c 'header\.s=kept2')" = 1 ] \
		&& ok "8: ... and the other server's field between them is kept" \
		|| nok "8: the other server's field between ours is gone"
}
