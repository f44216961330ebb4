# lib/mtacases.sh - the cases both MTA suites run the same way
# (tests/exim/t-exim.sh, tests/postfix/t-postfix.sh):
#   ar_claims_cases   an inbound message carrying fields that claim our
#                     authserv-id gets exactly one A-R of ours, the fields
#                     claiming our id are gone (exact, folded, in
#                     capitals, with a version, two of them), and another
#                     server's field is kept;
#   signed_checks TAG  the delivered submission D carries an RSA and an
#                     Ed25519 signature of example.com (selectors ms-rsa,
#                     ms-ed) that mailseal verify passes, and no A-R of
#                     ours (the suite defines nsigs, sigs, cli_verify);
#   multi_from_cases  an authenticated From with a mailbox of our domain
#                     and one of require_signed bank.example: refused,
#                     never signed, nothing delivered;
#   burst_cases PORT FORGED_ERE
#                     50 SMTP sessions at once (signed, forged and
#                     ordinary mail): every reply right, every delivered
#                     message with the right A-R, no forgery delivered.
#   sig_record_is TAG FILE DOMAIN ERE
#                     the farm's record (Redis: rcli, REDIS_PORT_main) of
#                     FILE's signature of DOMAIN has the fields ERE says.
#
# Source it after the suite's helpers; it uses mkmsg ID FROM FIELD...,
# signmsg ID DOMAIN SELECTOR, code NAME ERE, ar_is NAME FILE ERE,
# hdr FILE NAME, our_ar FILE, oneline, ok/nok, AUTHSERV, PY, and hooks
# the suite defines:
#   auth_send ID           send msg/ID.eml as an authenticated submission
#   inbound_send ID        send msg/ID.eml as unauthenticated mail
#   inbound_delivered ID   wait for its delivery; sets D (the file)
#   delivered_count        messages delivered so far
#   wait_delivered N       until N are delivered (bounded)
#   delivered_file ID      the delivered file(s) of ID (X-Test-Id)
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
	ar_case s8-dot "our id with a final dot (the DNS root)" \
		"Authentication-Results: $AUTHSERV.; dkim=pass header.s=forged7"
	ar_case s8-quote "our id after a quote that never closes" \
		"Authentication-Results: \"$AUTHSERV; dkim=pass header.s=forged8"
	ar_case s8-comment "our id in a comment that never closes" \
		"Authentication-Results: (checked by $AUTHSERV; dkim=pass header.s=forged9"
	ar_case s8-two "two fields with our id, another between them" \
		"Authentication-Results: $AUTHSERV; dkim=pass header.s=forged5" \
		"Authentication-Results: other-mx.example.net; dkim=pass header.s=kept2" \
		"Authentication-Results: $AUTHSERV; dkim=pass header.s=forged6"
	[ -n "${D:-}" ] && [ "$(hdr "$D" Authentication-Results | grep -c 'header\.s=kept2')" = 1 ] \
		&& ok "8: ... and the other server's field between them is kept" \
		|| nok "8: the other server's field between ours is gone"
}

# multi_from_cases - one From field, two mailboxes: ours (example.com,
# which we sign for) and require_signed bank.example's (no key of it).
# Signing it would let bank.example's name ride on our signature.
multi_from_cases() {
	local before
	before=$(delivered_count)
	mkmsg s3-multi 'alice@example.com, CEO <ceo@bank.example>'
	auth_send s3-multi
	code "3: authenticated, From alice@example.com and ceo@bank.example: 550 5.7.20" \
		'^550 5\.7\.20 mail from bank\.example must carry a valid DKIM signature of bank\.example'
	sleep 0.5
	[ "$(delivered_count)" = "$before" ] && [ -z "$(delivered_file s3-multi)" ] \
		&& ok "3: ... and nothing delivered" || nok "3: the two-mailbox From was delivered"
	mkmsg s3-multi-ok 'alice@example.com, Bob <bob@example.com>'
	auth_send s3-multi-ok
	code "3: authenticated, From with two mailboxes of example.com: accepted" '^250 '
}

# burst_cases PORT FORGED_ERE - 50 sessions at once against PORT; a
# forged message's reply must match FORGED_ERE
burst_cases() {
	local port=$1 forged_re=$2 i id r f bad before t0 rc took
	declare -A WANT
	mkdir -p burst
	for i in $(seq 1 50); do
		id=$(printf 'b%02d' "$i")
		case $((i % 3)) in
		0) mkmsg "$id" "Olga <olga$i@other.example>"
		   if [ $((i % 2)) = 0 ]; then signmsg "$id" other.example o-ed; else signmsg "$id" other.example o-rsa; fi
		   WANT[$id]=pass ;;
		1) mkmsg "$id" "CEO <ceo$i@bank.example>"; WANT[$id]=forged ;;
		2) mkmsg "$id" "Otto <otto$i@ordinary.example>"; WANT[$id]=none ;;
		esac
		mv "msg/$id.eml" burst/
	done
	before=$(delivered_count)
	t0=$(date +%s%N)
	timeout 120 "$PY" "$ROOT/tests/exim/smtp_burst.py" "$port" rcpt@example.net burst/*.eml > burst.out 2>&1
	rc=$?
	took=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ $rc = 0 ] && ok "9: 50 sessions at once, every one got a reply to its dot ($took ms)" \
		|| nok "9: burst exit $rc: $(grep -v ' [245][0-9][0-9] ' burst.out | head -3 | oneline)"
	bad=""
	for id in "${!WANT[@]}"; do
		r=$(sed -n "s|^burst/$id.eml ||p" burst.out)
		case ${WANT[$id]} in
		forged) printf '%s\n' "$r" | grep -qE "$forged_re" || bad="$bad $id:$r;" ;;
		*) printf '%s\n' "$r" | grep -qE '^250 ' || bad="$bad $id:$r;" ;;
		esac
	done
	[ -z "$bad" ] && ok "9: every reply right (250 for signed and ordinary, 550 5.7.20 for forged)" \
		|| nok "9: wrong replies:$(echo "$bad" | cut -c1-600)"
	wait_delivered $((before + 33))
	bad=""
	for id in "${!WANT[@]}"; do
		f=$(delivered_file "$id")
		case ${WANT[$id]} in
		forged) [ -z "$f" ] || bad="$bad $id:delivered;" ;;
		pass) [ "$(printf '%s' "$f" | grep -c .)" = 1 ] && [ "$(our_ar "$f" | grep -c .)" = 1 ] &&
			our_ar "$f" | grep -q 'dkim=pass.*header\.d=other\.example' || bad="$bad $id:$(our_ar "${f:-/dev/null}" | oneline 100);" ;;
		none) [ "$(printf '%s' "$f" | grep -c .)" = 1 ] && [ "$(our_ar "$f" | grep -c .)" = 1 ] &&
			our_ar "$f" | grep -q 'dkim=none' || bad="$bad $id:$(our_ar "${f:-/dev/null}" | oneline 100);" ;;
		esac
	done
	[ -z "$bad" ] && ok "9: every delivered message has the right A-R (pass / none), no forged one delivered" \
		|| nok "9: wrong deliveries:$(echo "$bad" | cut -c1-600)"
	[ "$(delivered_count)" = $((before + 33)) ] && ok "9: exactly 33 of the 50 delivered" \
		|| nok "9: $(( $(delivered_count) - before )) delivered, wanted 33"
}

# signed_checks TAG - the delivered submission D is signed as it should be
signed_checks() {
	local tag=$1 v
	if [ "$(nsigs "$D")" = 2 ] && sigs "$D" | grep -q 'a=rsa-sha256' && sigs "$D" | grep -q 'a=ed25519-sha256' \
		&& [ "$(sigs "$D" | grep -c 'd=example.com;')" = 2 ]; then
		ok "$tag: delivered with an RSA and an Ed25519 DKIM-Signature of example.com"
	else
		nok "$tag: signatures - $(sigs "$D" | cut -c1-80 | oneline)"
	fi
	v=$(cli_verify "$D" | sort | oneline)
	case $v in
	*"dkim=pass header.d=example.com header.s=ms-ed"*"dkim=pass header.d=example.com header.s=ms-rsa"*)
		ok "$tag: mailseal verify (keys from nsd): both pass" ;;
	*) nok "$tag: mailseal verify - $v" ;;
	esac
	[ -z "$(our_ar "$D")" ] && ok "$tag: no Authentication-Results of ours on the signing path" \
		|| nok "$tag: A-R added on the signing path: $(our_ar "$D" | oneline)"
}

# sig_record_is TAG FILE DOMAIN ERE - the farm's record of FILE's
# signature of DOMAIN (mailseal:sig:{<first 16 bytes of SHA-256(b=)>} in
# the suite's Redis, $REDIS_PORT_main) has fields matching ERE, written
# "k=v" sorted by name and joined by spaces
sig_record_is() {
	local tag=$1 file=$2 dom=$3 want=$4 id rec
	id=$("$PY" - "$file" "$dom" <<'PYEOF'
import base64, hashlib, re, sys
head = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n').split(b'\n\n', 1)[0].decode('latin-1')
for f in re.split(r'\n(?![ \t])', head):
    name, _, value = f.partition(':')
    if name.strip().lower() != 'dkim-signature':
        continue
    tags = dict((k.strip(), v) for k, _, v in (t.partition('=') for t in re.sub(r'\s+', '', value).split(';')) if k.strip())
    if tags.get('d', '').lower() == sys.argv[2].lower():
        print(hashlib.sha256(base64.b64decode(tags['b'])).hexdigest()[:32])
        break
PYEOF
)
	if [ -z "$id" ]; then
		nok "$tag: no DKIM-Signature of $dom in $file"
		return
	fi
	rec=$(rcli "$REDIS_PORT_main" HGETALL "mailseal:sig:{$id}" | paste - - | awk -F'\t' '{ print $1 "=" $2 }' | sort | tr '\n' ' ')
	printf '%s\n' "$rec" | grep -qE -- "$want" && ok "$tag: the farm's record of the signature (mailseal:sig:{$id}: $rec)" \
		|| nok "$tag: mailseal:sig:{$id} is \"$rec\", wanted /$want/"
}
