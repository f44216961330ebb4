# lib.sh - the interoperability suite's shared part: source it from a
# t-PEER.sh script after setting
#   PEER       dkimpy | maildkim | opendkim (the peer under test)
#   PEER_ALGS  the algorithms the peer has (rsa-sha256, ed25519-sha256)
#   OTHER      a second peer, for messages that two peers sign
#   PEER_CAN_L 1 when the peer's driver can sign with l=, else empty
# then call run_suite (and peer-specific checks after it), and end with
# "[ $fails = 0 ]".
#
# Everything is done both ways with keys that `mailseal keygen` makes at
# test time (RSA 2048 and Ed25519): the peer signs and mailseal verifies,
# mailseal signs and the peer verifies, and each check wants the SAME
# verdict from both (mailseal's and the peer's own), so a peer that
# accepts its own broken signature, or mailseal that accepts its own, is
# caught too.  The peers get the key records without DNS (see the
# drivers peer_dkimpy.py, peer_maildkim.pl, peer_opendkim.c).
#
# Signing and verifying are batched: each tool runs once per algorithm
# and canonicalization to sign a whole directory of messages, and once
# in all to verify everything, which keeps the suite fast.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${MAILSEAL_ROOT:-$(cd "$HERE/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
MSGS=$HERE/msgs
PY=/usr/bin/python3             # Debian's, which has the dkim module
DOMAIN=example.com
CANONS="simple/simple simple/relaxed relaxed/simple relaxed/relaxed"
# What the peers sign: From, To and Subject over-signed (named once more
# than a message has them), an absent Cc signed as absent, X-Trace (twice
# in multi.eml) named three times, and the odd fields of the messages.
PEER_HEADERS=from:from:to:to:cc:subject:subject:date:message-id:in-reply-to:references:mime-version:content-type:content-transfer-encoding:x-extra:x-empty:x-trace:x-trace:x-trace:x-hop-1:x-hop-2:x-hop-3:x-hop-4

T=$(mktemp -d "${TMPDIR:-/tmp}/interop.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
. "$ROOT/tests/lib/check.sh"

echo '# defaults' > mailseal.conf  # no system configuration gets in
ms() { "$M" -c "$T/mailseal.conf" "$@"; }

sel_of() { case $1 in rsa-sha256) echo rsa1 ;; ed25519-sha256) echo ed1 ;; esac; }
short() { case $1 in rsa-sha256) echo rsa ;; ed25519-sha256) echo ed25519 ;; esac; }
has_alg() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }    # has_alg ALG LIST

# --- the peers --------------------------------------------------------------
# peer NAME sign|verify ARGS...: run a driver (arguments: see the drivers)
peer() {
	local p=$1; shift
	case $p in
	dkimpy) "$PY" "$HERE/peer_dkimpy.py" "$@" ;;
	maildkim) perl "$HERE/peer_maildkim.pl" "$@" ;;
	opendkim) "$T/peer_opendkim" "$@" ;;
	esac
}
algs_of() {
	case $1 in
	maildkim) echo rsa-sha256 ;;    # Mail::DKIM 1.20230212: no Ed25519
	*) echo rsa-sha256 ed25519-sha256 ;;
	esac
}
# peer_ready NAME: is the peer installed and working?  (builds the C driver)
peer_ready() {
	case $1 in
	dkimpy) "$PY" -c 'import dkim, nacl.signing' ;;
	maildkim) perl -MMail::DKIM::Signer -MMail::DKIM::Verifier -MNet::DNS -e 1 ;;
	opendkim) [ -x "$T/peer_opendkim" ] || cc -O1 -o "$T/peer_opendkim" "$HERE/peer_opendkim.c" \
			$(pkg-config --cflags --libs opendkim) -lcrypto ;;
	esac > "$T/ready.err" 2>&1
}
# peer_sign NAME ALG CANON OUTDIR FILE...: the peer signs with our keys
peer_sign() {
	local p=$1 alg=$2 canon=$3 out=$4; shift 4
	local sel; sel=$(sel_of "$alg")
	mkdir -p "$out"
	if [ "$p" = opendkim ] && [ "$alg" = ed25519-sha256 ] && [ "${canon%/*}" = simple ]; then
		# libopendkim 2.11 bug: its Ed25519 signatures with simple
		# header canonicalization, in the folded DKIM-Signature field
		# it writes by default, fail for some messages everywhere,
		# libopendkim included; unfolded they are right.  t-opendkim.sh
		# shows it.
		PEER_OPENDKIM_MARGIN=0 peer "$p" sign "keys/$sel.private" "$DOMAIN" "$sel" "$alg" \
			"$canon" "$PEER_HEADERS" "$out" "$@"
	else
		peer "$p" sign "keys/$sel.private" "$DOMAIN" "$sel" "$alg" "$canon" \
			"$PEER_HEADERS" "$out" "$@"
	fi
}

# --- verdicts -----------------------------------------------------------
# The verifiers' answers are kept as "FILE<TAB>SELECTOR:RESULT<TAB>detail"
# lines, one per signature ("FILE<TAB>none" for no signature), then read
# into associative arrays: FILE -> the sorted SELECTOR:RESULT tokens
# ("ed1:pass rsa1:pass") and FILE -> the details.
declare -A MSV MSD PV PD OV OD

# ms_results FILE...: mailseal's verdicts in that form
ms_results() {
	ms verify --key-file keyfile "$@" 2> ms-verify.err | awk -F'\t' '
	{
		file = $1; rest = $2
		if (!match(rest, /dkim=[a-z]+/)) { print file "\tunparsed\t" rest; next }
		res = substr(rest, RSTART + 5, RLENGTH - 5)
		if (res == "none") { print file "\tnone"; next }
		sel = "?"; why = ""
		if (match(rest, /header\.s=[^ ]+/)) sel = substr(rest, RSTART + 9, RLENGTH - 9)
		if (match(rest, /reason="[^"]*"/)) why = substr(rest, RSTART + 8, RLENGTH - 9)
		print file "\t" sel ":" res "\t" why
	}'
	return "${PIPESTATUS[0]}"
}
# load RESULTS VERDICTS DETAILS [DROP]: read results into the two arrays;
# tokens of selector DROP (a key type the verifier lacks) are left out
load() {
	local -n _v=$2 _d=$3
	local drop=${4:-} f tok why
	while IFS=$'\t' read -r f tok why; do
		[ -n "$drop" ] && [ "${tok%%:*}" = "$drop" ] && { _v[$f]=${_v[$f]-}; continue; }
		_v[$f]="${_v[$f]:+${_v[$f]} }$tok"
		[ -n "$why" ] && _d[$f]="${_d[$f]:+${_d[$f]}; }$tok $why"
	done < <(LC_ALL=C sort -t$'\t' -k1,1 -k2,2 "$1")
	return 0
}
# without SEL TOKENS: the tokens less those of selector SEL
without() {
	local t out=""
	for t in $2; do [ "${t%%:*}" = "$1" ] || out="$out $t"; done
	echo "${out# }"
}

# verdicts_agree NAME MSWANT MSFILE PEERWANT PEERFILE [OTHERWANT OTHERFILE]:
# mailseal's verdict on MSFILE is MSWANT, the peer's on PEERFILE is
# PEERWANT, and the second peer's on OTHERFILE is OTHERWANT (a file "-"
# is not asked).  The wants are sorted SELECTOR:RESULT tokens; a
# verifier without Ed25519 is not asked about ed1.
verdicts_agree() {
	local name=$1 mw=$2 mf=$3 pw=$4 pf=$5 ow=${6:-} of=${7:--} bad="" got
	got=${MSV[$mf]-"(no answer)"}
	[ "$got" = "$mw" ] || bad="mailseal said \"$got\"${MSD[$mf]:+ (${MSD[$mf]})}"
	if [ "$pf" != - ]; then
		has_alg ed25519-sha256 "$PEER_ALGS" || pw=$(without ed1 "$pw")
		got=${PV[$pf]-"(no answer)"}
		[ "$got" = "$pw" ] || bad="${bad:+$bad; }$PEER said \"$got\"${PD[$pf]:+ (${PD[$pf]})}"
	fi
	if [ "$of" != - ]; then
		has_alg ed25519-sha256 "$(algs_of "$OTHER")" || ow=$(without ed1 "$ow")
		got=${OV[$of]-"(no answer)"}
		[ "$got" = "$ow" ] || bad="${bad:+$bad; }$OTHER said \"$got\"${OD[$of]:+ (${OD[$of]})}"
	fi
	if [ -z "$bad" ]; then ok "$name"; else nok "$name - $bad"; fi
}
# agree NAME WANT MSFILE [PEERFILE [OTHERFILE]]: the same verdict WANT
# from mailseal on MSFILE, from the peer on PEERFILE (default MSFILE; "-"
# for none) and with OTHERFILE from the second peer
agree() {
	verdicts_agree "$1" "$2" "$3" "$2" "${4:-$3}" "$2" "${5:--}"
}

# Known deviations of the peers from RFC 6376, where mailseal follows the
# RFC (checked on its own by check_rfc_bodyhash): the body hash of a body
# whose last line has no CRLF (msgs/noeol.eml).  Both RFC 6376 3.4.3
# (simple) and 3.4.4 (relaxed, after removing the line's trailing
# whitespace) add the missing CRLF.
# deviation PEER CANON MSG: prints what the peer gets wrong, if it does
deviation() {
	[ "$3" = noeol.eml ] || return 1
	case $1:${2#*/} in
	dkimpy:relaxed) echo "dkimpy 1.1.4's relaxed body keeps one space of the trailing whitespace of a last line without CRLF" ;;
	opendkim:relaxed) echo "libopendkim 2.11's relaxed body adds no CRLF to a last line without one" ;;
	maildkim:simple) echo "Mail::DKIM 1.20230212's simple body adds no CRLF to a last line without one" ;;
	*) return 1 ;;
	esac
}

# check_rfc_bodyhash: mailseal's bh= for msgs/noeol.eml is the SHA-256 of
# the RFC 6376 canonical body, written out here by hand
check_rfc_bodyhash() {
	local canon want got
	for canon in simple/simple simple/relaxed; do
		if [ "${canon#*/}" = simple ]; then     # the body as it is, CRLF added
			want=$(printf 'first line\r\nthe last line has no line end, only spaces   \r\n' |
				openssl dgst -sha256 -binary | base64)
		else                                    # trailing whitespace gone, CRLF added
			want=$(printf 'first line\r\nthe last line has no line end, only spaces\r\n' |
				openssl dgst -sha256 -binary | base64)
		fi
		got=$(sed -n '1,/^[^ \t]/p' "s/rsa-sha256/$canon/noeol.eml" | tr -d ' \t\r\n' |
			grep -o 'bh=[^;]*' | head -1)
		if [ "bh=$want" = "$got" ]; then
			ok "mailseal's ${canon#*/} body hash of noeol.eml is RFC 6376's (CRLF added)"
		else
			nok "mailseal's ${canon#*/} body hash of noeol.eml is RFC 6376's (CRLF added) - wanted bh=$want, got $got"
		fi
	done
}

# sig_tag FILE TAG: the value of TAG in the topmost DKIM-Signature of
# FILE, whitespace removed (c= as HEADER/BODY)
sig_tag() {
	local v
	v=$(awk '/^DKIM-Signature:/ { on = 1; sub(/^[^:]*:/, ""); printf "%s", $0; next }
		on && /^[ \t]/ { printf "%s", $0; next }
		on { exit }' "$1" | tr -d ' \t\r\n' | tr ';' '\n' | sed -n "s/^$2=//p" | head -1)
	[ "$2" = c ] && [ -n "$v" ] && [ "${v#*/}" = "$v" ] && v=$v/simple
	echo "$v"
}
# check_tags WHO FILE ALG CANON: the signer wrote the a= and c= asked of it
# (without this a driver that ignored its arguments would test less)
check_tags() {
	local a c
	a=$(sig_tag "$2" a) c=$(sig_tag "$2" c)
	if [ "$a $c" = "$3 $4" ]; then ok "$1 signs with a=$3 c=$4 when asked"
	else nok "$1 signs with a=$3 c=$4 when asked - ${2##*/} has a=$a c=$c"; fi
}

# --- building the cases ---------------------------------------------------
# the messages: msgs/*.eml, and big.eml, 400 KiB made by gen_big.py (the
# same bytes every run) to cross every read boundary of a streaming reader
mkdir gen
"$PY" "$HERE/gen_big.py" 1 400 > gen/big.eml || { nok "gen_big.py makes big.eml"; exit 1; }
MSG_PATHS="$(ls "$MSGS"/*.eml) $T/gen/big.eml"
MSG_FILES=$(for f in $MSG_PATHS; do basename "$f"; done)
# the messages that get several signatures: not noeol.eml, which no two
# of the peers hash alike (see deviation)
MULTI_FILES=$(echo "$MSG_FILES" | grep -vx noeol.eml)
MULTI_PATHS=$(echo "$MSG_PATHS" | tr ' ' '\n' | grep -v '/noeol\.eml$')
crlf() { sed 's/\r*$/\r/' "$1"; }       # bare LF -> CRLF (CRLF kept)

# edit KIND IN OUT: a changed copy of a signed plain.eml; fails the
# script if the change did not happen (the check would mean nothing)
edit() {
	local kind=$1 in=$2 out=$3
	case $kind in
	body)           # the body changed
		sed 's/at noon?/at midnight?/' "$in" ;;
	subject)        # a signed header changed
		sed 's/^Subject: Lunch on Friday/Subject: Dinner on Friday/' "$in" ;;
	from)           # a second From (over-signed) added above the first
		printf 'From: Mallory <ceo@example.com>\r\n'; cat "$in" ;;
	hdrspace)       # whitespace and letter case in a header: relaxed survives it
		sed 's/^Subject: Lunch on Friday\r$/SUBJECT:  Lunch \t on\r\n\tFriday  \r/' "$in" ;;
	bodyspace)      # whitespace in the body: relaxed survives it
		sed 's/^shall we have lunch on Friday at noon?\r$/shall  we\thave lunch on Friday at noon? \t\r/' "$in" ;;
	blanklines)     # empty lines added at the end: every canonicalization survives it
		cat "$in"; printf '\r\n\r\n\r\n' ;;
	sigfield)       # a tag added to the (signed) DKIM-Signature field itself
		sed '1s/^DKIM-Signature: v=1;/DKIM-Signature: v=1; foo=bar;/' "$in" ;;
	esac > "$out"
	if cmp -s "$in" "$out"; then
		nok "test setup: the $kind edit of $in changed nothing"
		exit 1
	fi
}
# edit_want KIND CANON: does the signature survive the edit?
edit_want() {
	case $1 in
	body|subject|from|sigfield) echo fail ;;
	hdrspace) [ "${2%/*}" = relaxed ] && echo pass || echo fail ;;
	bodyspace) [ "${2#*/}" = relaxed ] && echo pass || echo fail ;;
	blanklines) echo pass ;;
	esac
}
LF_FILES="oddws.eml trailing.eml big.eml"   # the ones also tried with bare LF
EDITS="body subject from sigfield hdrspace bodyspace blanklines"
edit_label() {
	case $1 in
	body) echo "body changed" ;;
	subject) echo "signed Subject changed" ;;
	from) echo "second From added above the first" ;;
	hdrspace) echo "Subject respaced, refolded, upper-cased" ;;
	bodyspace) echo "body line respaced" ;;
	blanklines) echo "blank lines appended" ;;
	sigfield) echo "a tag added to its DKIM-Signature" ;;
	esac
}

# --- the suite ---------------------------------------------------------------
setup() {
	if [ ! -x "$M" ]; then
		nok "mailseal is built - $M is missing"
		exit 1
	fi
	local p
	for p in "$PEER" "$OTHER"; do
		if ! peer_ready "$p"; then
			nok "the peer $p is installed and works - $(head -c 300 "$T/ready.err")"
			exit 1
		fi
	done
	mkdir keys
	if ! ms keygen -d "$DOMAIN" -s rsa1 -t rsa -b 2048 -o keys > keygen.out 2>&1 ||
	   ! ms keygen -d "$DOMAIN" -s ed1 -t ed25519 -o keys >> keygen.out 2>&1; then
		nok "mailseal keygen makes the test keys - $(head -c 300 keygen.out)"
		exit 1
	fi
	# mailseal reads the zone-file lines keygen wrote, as they are
	cat keys/*.txt > keyfile
	# the peers get the same records as "NAME RECORD", the strings joined
	local s
	for s in rsa1 ed1; do
		printf '%s %s\n' "$(awk '{ sub(/\.$/, "", $1); print $1; exit }' "keys/$s.txt")" \
			"$(grep -o '"[^"]*"' "keys/$s.txt" | tr -d '"\n')"
	done > peerkeys
	echo "# $PEER against $M, keys: $(grep -c . peerkeys) records; messages: $(echo $MSG_FILES)"
}

# make_cases: every signed and edited message, in directories
#   p/ALG/CANON/MSG      the peer signed          s/ALG/CANON/MSG  mailseal signed
#   e/WHO/ALG/CANON/KIND.eml   edits of plain.eml signed by WHO (p or s)
#   lf/...               bare-LF runs             x/...  several signatures
make_cases() {
	local alg canon sel who kind f
	for alg in $PEER_ALGS; do
		sel=$(sel_of "$alg")
		for canon in $CANONS; do
			peer_sign "$PEER" "$alg" "$canon" "p/$alg/$canon" $MSG_PATHS 2> sign.err ||
				nok "$PEER signs $(short $alg) $canon - $(head -c 300 sign.err)"
			mkdir -p "s/$alg/$canon"
			ms sign -d "$DOMAIN" -s "$sel" -k "keys/$sel.private" -a "$alg" -c "$canon" \
				--out-dir "s/$alg/$canon" $MSG_PATHS 2> sign.err ||
				nok "mailseal signs $(short $alg) $canon - $(head -c 300 sign.err)"

			# edits
			for who in p s; do
				[ -f "$who/$alg/$canon/plain.eml" ] || continue
				mkdir -p "e/$who/$alg/$canon"
				for kind in $EDITS; do
					edit "$kind" "$who/$alg/$canon/plain.eml" "e/$who/$alg/$canon/$kind.eml"
				done
			done

			# bare LF: mailseal verifies a bare-LF copy of the peer's
			# signed message; mailseal signs bare-LF input from stdin
			# (its output keeps bare LF; the peer gets it as CRLF)
			mkdir -p "lf/p/$alg/$canon" "lf/s/$alg/$canon" "lf/s-crlf/$alg/$canon"
			for f in $LF_FILES; do
				[ -f "p/$alg/$canon/$f" ] && tr -d '\r' < "p/$alg/$canon/$f" > "lf/p/$alg/$canon/$f"
				tr -d '\r' < "$(echo "$MSG_PATHS" | tr ' ' '\n' | grep "/$f\$")" |
					ms sign -d "$DOMAIN" -s "$sel" -k "keys/$sel.private" -c "$canon" \
					> "lf/s/$alg/$canon/$f" 2> sign.err ||
					nok "mailseal signs bare-LF $f from stdin - $(head -c 300 sign.err)"
				crlf "lf/s/$alg/$canon/$f" > "lf/s-crlf/$alg/$canon/$f"
			done
		done
	done

	# over-signing beyond From: multi.eml has two X-Trace fields, signed
	# three times; a third X-Trace added on top breaks the signature, a
	# field that is not signed does not.  mailseal signs it with its own
	# -H list (and x=, an expiry an hour away).
	for alg in $PEER_ALGS; do
		sel=$(sel_of "$alg")
		mkdir -p "o/s/$alg" "o/p/$alg"
		ms sign -d "$DOMAIN" -s "$sel" -k "keys/$sel.private" -c relaxed/simple -x 3600 \
			-H from:from:to:subject:date:x-trace:x-trace:x-trace "$MSGS/multi.eml" \
			> "o/s/$alg/signed.eml" 2> sign.err ||
			nok "mailseal signs with -H and -x - $(head -c 300 sign.err)"
		[ -f "p/$alg/simple/simple/multi.eml" ] && cp "p/$alg/simple/simple/multi.eml" "o/p/$alg/signed.eml"
		for who in p s; do
			[ -f "o/$who/$alg/signed.eml" ] || continue
			{ printf 'X-Trace: a third hop, added later\r\n'; cat "o/$who/$alg/signed.eml"; } \
				> "o/$who/$alg/added-trace.eml"
			{ printf 'X-Unsigned: added later\r\n'; cat "o/$who/$alg/signed.eml"; } \
				> "o/$who/$alg/added-unsigned.eml"
		done
	done

	# i= (a subdomain's address) and l=: the peer signs with both (l=
	# where its driver can), mailseal with -i; text appended to the body
	# later, as a mailing list does, is covered by l= and breaks the rest
	for alg in $PEER_ALGS; do
		sel=$(sel_of "$alg")
		mkdir -p "il/s/$alg" "il/p/$alg"
		ms sign -d "$DOMAIN" -s "$sel" -k "keys/$sel.private" -i alice@mail.example.com \
			"$MSGS/plain.eml" > "il/s/$alg/signed.eml" 2> sign.err ||
			nok "mailseal signs with -i - $(head -c 300 sign.err)"
		PEER_SIGN_IDENTITY=alice@mail.example.com PEER_SIGN_LENGTH=$PEER_CAN_L \
			peer_sign "$PEER" "$alg" relaxed/relaxed "il/p/$alg/tmp" "$MSGS/plain.eml" 2> sign.err &&
			mv "il/p/$alg/tmp/plain.eml" "il/p/$alg/signed.eml" ||
			nok "$PEER signs with i= and l= - $(head -c 300 sign.err)"
		for who in p s; do
			[ -f "il/$who/$alg/signed.eml" ] || continue
			{ cat "il/$who/$alg/signed.eml"; printf -- '-- \r\nappended by a list\r\n'; } \
				> "il/$who/$alg/appended.eml"
		done
	done

	# several signatures on one message
	mkdir -p x/dual x/dual+peer x/two x/two+ms x/bad
	# mailseal dual-signs (RSA + Ed25519 in one pass)
	ms sign -d "$DOMAIN" -s rsa1 -k keys/rsa1.private -c simple/simple \
		-d "$DOMAIN" -s ed1 -k keys/ed1.private -c relaxed/relaxed \
		--out-dir x/dual $MULTI_PATHS 2> sign.err ||
		nok "mailseal dual-signs - $(head -c 300 sign.err)"
	# the peer signs on top of mailseal's two signatures, with each of its algorithms
	cp x/dual/*.eml x/dual+peer/
	for alg in $PEER_ALGS; do
		mkdir -p "x/tmp-$alg"
		peer_sign "$PEER" "$alg" simple/relaxed "x/tmp-$alg" x/dual+peer/*.eml 2> sign.err &&
			mv "x/tmp-$alg"/*.eml x/dual+peer/ ||
			nok "$PEER signs on top of mailseal - $(head -c 300 sign.err)"
	done
	# two peers sign (the other on top), then mailseal dual-signs on top of both
	mkdir -p x/tmp1
	peer_sign "$PEER" rsa-sha256 relaxed/relaxed x/tmp1 $MULTI_PATHS 2> sign.err ||
		nok "$PEER signs for the two-peer case - $(head -c 300 sign.err)"
	peer_sign "$OTHER" rsa-sha256 simple/simple x/two x/tmp1/*.eml 2> sign.err ||
		nok "$OTHER signs on top of $PEER - $(head -c 300 sign.err)"
	ms sign -d "$DOMAIN" -s ed1 -k keys/ed1.private -c relaxed/simple \
		-d "$DOMAIN" -s rsa1 -k keys/rsa1.private -c simple/relaxed \
		--out-dir x/two+ms x/two/*.eml 2> sign.err ||
		nok "mailseal signs on top of two peers - $(head -c 300 sign.err)"
	# and every signature of such a message fails once it is tampered with
	for kind in body subject from; do
		edit "$kind" x/two+ms/plain.eml "x/bad/$kind.eml"
	done
	# one signature of four broken (a letter of the topmost b= changed):
	# the others still pass
	awk '!done && /^DKIM-Signature:/ { top = 1 }
		top && !done && match($0, /b=[A-Za-z0-9+\/]/) {
			c = substr($0, RSTART + 2, 1)
			$0 = substr($0, 1, RSTART + 1) (c == "A" ? "B" : "A") substr($0, RSTART + 3)
			done = 1
		} { print }' x/two+ms/plain.eml > x/bad/topsig.eml
	cmp -s x/two+ms/plain.eml x/bad/topsig.eml &&
		{ nok "test setup: the b= of x/two+ms/plain.eml was not changed"; exit 1; }
}

# verify_cases: each verifier runs once over every message it must judge
verify_cases() {
	local all drop=""
	all=$(find p s e lf o il x -name '*.eml' ! -path 'lf/s-crlf/*' ! -path 'x/tmp*' | LC_ALL=C sort)
	ms_results $all > ms.res
	local rc=$?
	[ "$rc" = 0 ] || nok "mailseal verify exits 0 on all $(echo "$all" | wc -l) messages - exit $rc: $(head -c 300 ms-verify.err)"
	load ms.res MSV MSD

	has_alg ed25519-sha256 "$PEER_ALGS" || drop=ed1
	all=$(find p s e lf/s-crlf o il x -name '*.eml' ! -path 'x/tmp*' | LC_ALL=C sort)
	peer "$PEER" verify peerkeys $all > peer.res 2> peer.err ||
		nok "$PEER verifies - $(head -c 300 peer.err)"
	load peer.res PV PD "$drop"

	drop=""
	has_alg ed25519-sha256 "$(algs_of "$OTHER")" || drop=ed1
	peer "$OTHER" verify peerkeys x/two/*.eml x/two+ms/*.eml x/bad/*.eml > other.res 2> other.err ||
		nok "$OTHER verifies - $(head -c 300 other.err)"
	load other.res OV OD "$drop"
}

report_cases() {
	local alg canon sel a who kind w f why said=""
	has_alg ed25519-sha256 "$PEER_ALGS" ||
		echo "# skip every ed25519-sha256 check with $PEER: Debian 12's Mail::DKIM 1.20230212 predates its Ed25519 support"
	check_rfc_bodyhash
	for alg in $PEER_ALGS; do
		sel=$(sel_of "$alg") a=$(short "$alg")
		for canon in $CANONS; do
			for f in $MSG_FILES; do
				if why=$(deviation "$PEER" "$canon" "$f"); then
					# each side rejects the other's body hash
					[ "$said" = "$why" ] || echo "# known peer bug, not mailseal's: $why"
					said=$why
					verdicts_agree "$PEER->mailseal $a $canon $f: mailseal fails $PEER's wrong body hash" \
						"$sel:fail" "p/$alg/$canon/$f" "$sel:pass" "p/$alg/$canon/$f"
					verdicts_agree "mailseal->$PEER $a $canon $f: $PEER fails mailseal's right body hash" \
						"$sel:pass" "s/$alg/$canon/$f" "$sel:fail" "s/$alg/$canon/$f"
					continue
				fi
				agree "$PEER->mailseal $a $canon $f" "$sel:pass" "p/$alg/$canon/$f"
				agree "mailseal->$PEER $a $canon $f" "$sel:pass" "s/$alg/$canon/$f"
			done
			check_tags "$PEER" "p/$alg/$canon/plain.eml" "$alg" "$canon"
			check_tags mailseal "s/$alg/$canon/plain.eml" "$alg" "$canon"
			for who in p s; do
				[ -d "e/$who/$alg/$canon" ] || continue
				[ $who = p ] && w="$PEER-signed" || w="mailseal-signed"
				for kind in $EDITS; do
					agree "$w $a $canon plain.eml, $(edit_label $kind): $(edit_want $kind $canon) in mailseal and $PEER" \
						"$sel:$(edit_want $kind $canon)" "e/$who/$alg/$canon/$kind.eml"
				done
			done
			for f in $LF_FILES; do
				agree "$PEER->mailseal $a $canon $f as bare LF" "$sel:pass" "lf/p/$alg/$canon/$f" -
				agree "mailseal->$PEER $a $canon $f signed from bare-LF stdin" "$sel:pass" \
					"lf/s/$alg/$canon/$f" "lf/s-crlf/$alg/$canon/$f"
			done
		done
	done

	for alg in $PEER_ALGS; do
		sel=$(sel_of "$alg") a=$(short "$alg")
		for who in p s; do
			[ -f "o/$who/$alg/signed.eml" ] || continue
			if [ $who = p ]; then
				w="$PEER-signed $a simple/simple multi.eml (X-Trace over-signed)"
			else
				w="mailseal-signed $a relaxed/simple multi.eml (-H ...:x-trace:x-trace:x-trace, -x 3600)"
			fi
			agree "$w: pass in mailseal and $PEER" "$sel:pass" "o/$who/$alg/signed.eml"
			agree "$w, a third X-Trace added: fail in mailseal and $PEER" "$sel:fail" "o/$who/$alg/added-trace.eml"
			agree "$w, an unsigned field added: pass in mailseal and $PEER" "$sel:pass" "o/$who/$alg/added-unsigned.eml"
		done
	done

	local app
	for alg in $PEER_ALGS; do
		sel=$(sel_of "$alg") a=$(short "$alg")
		for who in p s; do
			[ -f "il/$who/$alg/signed.eml" ] || continue
			if [ $who = p ] && [ "$PEER_CAN_L" = 1 ]; then
				w="$PEER-signed $a plain.eml with i= and l=" app=pass
			elif [ $who = p ]; then
				w="$PEER-signed $a plain.eml with i= (its driver has no l=)" app=fail
			else
				w="mailseal-signed $a plain.eml with -i alice@mail.example.com" app=fail
			fi
			agree "$w: pass in mailseal and $PEER" "$sel:pass" "il/$who/$alg/signed.eml"
			agree "$w, text appended to the body: $app in mailseal and $PEER" "$sel:$app" \
				"il/$who/$alg/appended.eml"
		done
	done
	if [ "$(sig_tag "il/s/rsa-sha256/signed.eml" i)" = alice@mail.example.com ]; then
		ok "mailseal -i writes i="
	else
		nok "mailseal -i writes i= - got \"$(sig_tag "il/s/rsa-sha256/signed.eml" i)\""
	fi

	local peer_sigs="" peer_want
	for alg in $PEER_ALGS; do peer_sigs="$peer_sigs $(sel_of "$alg"):pass"; done
	for f in $MULTI_FILES; do
		agree "mailseal dual-signed $f -> $PEER: both pass" "ed1:pass rsa1:pass" "x/dual/$f"
		peer_want=$(echo ed1:pass rsa1:pass $peer_sigs | tr ' ' '\n' | LC_ALL=C sort | tr '\n' ' ')
		agree "$PEER signs on top of mailseal's two signatures, $f: all pass" \
			"${peer_want% }" "x/dual+peer/$f"
		agree "$PEER then $OTHER sign $f: both pass in mailseal, $PEER and $OTHER" \
			"rsa1:pass rsa1:pass" "x/two/$f" "x/two/$f" "x/two/$f"
		agree "$PEER, $OTHER, then mailseal dual-signs $f: four pass everywhere" \
			"ed1:pass rsa1:pass rsa1:pass rsa1:pass" "x/two+ms/$f" "x/two+ms/$f" "x/two+ms/$f"
	done
	for kind in body subject from; do
		agree "four signatures (mailseal, $PEER, $OTHER) on plain.eml, $(edit_label $kind): all fail everywhere" \
			"ed1:fail rsa1:fail rsa1:fail rsa1:fail" "x/bad/$kind.eml" "x/bad/$kind.eml" "x/bad/$kind.eml"
	done
	agree "four signatures on plain.eml, the topmost (mailseal's ed25519) broken: it fails, the others pass everywhere" \
		"ed1:fail rsa1:pass rsa1:pass rsa1:pass" x/bad/topsig.eml x/bad/topsig.eml x/bad/topsig.eml
}

run_suite() {
	setup
	make_cases
	verify_cases
	report_cases
}
