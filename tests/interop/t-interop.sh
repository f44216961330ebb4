#!/bin/bash
# t-interop.sh - interoperability in both directions with three
# independent DKIM implementations from Debian: dkimpy (python3-dkim),
# Mail::DKIM (libmail-dkim-perl) and libopendkim.  Each peer signs and
# mailseal verifies; mailseal signs and each peer verifies; rsa-sha256
# and ed25519-sha256 (where the peer has it), the four canonicalization
# pairs, odd whitespace, trailing blank lines, an empty body, 8-bit and
# MIME bodies, several signatures on one message; tampered copies fail
# everywhere.
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
HERE="$ROOT/tests/interop"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"

. "$ROOT/tests/lib/check.sh"

# --- keys: made by mailseal, handed to every peer in its own form -------
"$M" keygen -d example.com -s rsa1 -o . > /dev/null
"$M" keygen -d example.com -s ed1 -t ed25519 -o . > /dev/null
openssl rsa -in rsa1.private -traditional -out rsa1.pkcs1 2> /dev/null
openssl pkey -in ed1.private -outform DER | tail -c 32 | base64 > ed1.seed
cat rsa1.txt ed1.txt > keyfile                  # mailseal's key file
for s in rsa1 ed1; do                           # "name record" for peers
	printf '%s._domainkey.example.com %s\n' "$s" \
		"$(grep -o '"[^"]*"' "$s.txt" | tr -d '"\n')"
done > peerkeys
cc -O1 -o peer_opendkim "$HERE/peer_opendkim.c" $(pkg-config --cflags --libs opendkim) -lcrypto \
	|| { nok "the libopendkim driver builds"; exit 1; }

# peer_sign PEER ALG CANON IN OUT
peer_sign() {
	local key sel pk
	case $2 in rsa-sha256) key=rsa1; sel=rsa1 ;; *) key=ed1; sel=ed1 ;; esac
	case $1 in
	dkimpy) [ "$2" = rsa-sha256 ] && pk=rsa1.pkcs1 || pk=ed1.seed
		/usr/bin/python3 "$HERE/peer_dkimpy.py" sign "$pk" example.com "$sel" "$2" "$3" < "$4" > "$5" ;;
	maildkim) perl "$HERE/peer_maildkim.pl" sign rsa1.pkcs1 example.com rsa1 "$3" < "$4" > "$5" ;;
	opendkim) ./peer_opendkim sign "$key.private" example.com "$sel" "$2" "$3" < "$4" > "$5" ;;
	esac
}
# peer_verify PEER FILE: the peer's verdicts, space-separated
peer_verify() {
	case $1 in
	dkimpy) /usr/bin/python3 "$HERE/peer_dkimpy.py" verify peerkeys < "$2" ;;
	maildkim) perl "$HERE/peer_maildkim.pl" verify peerkeys < "$2" ;;
	opendkim) ./peer_opendkim verify peerkeys < "$2" ;;
	esac 2> /dev/null | tr '\n' ' ' | sed 's/ $//'
}
ms_verify() { "$M" verify --key-file keyfile "$1" | sed 's/^[^\t]*\t//; s/ .*//; s/dkim=//' | tr '\n' ' ' | sed 's/ $//'; }
expect() {      # expect NAME WANT GOT
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 - wanted \"$2\", got \"$3\""; fi
}

msgs="plain oddws trailing empty eightbit mime"
for peer in dkimpy maildkim opendkim; do
	for alg in rsa-sha256 ed25519-sha256; do
		if [ $peer = maildkim ] && [ $alg = ed25519-sha256 ]; then
			echo "# skip maildkim ed25519-sha256: Mail::DKIM 1.20230212 has no Ed25519"
			continue
		fi
		[ $alg = rsa-sha256 ] && k=rsa1 || k=ed1
		for canon in relaxed/relaxed simple/simple relaxed/simple simple/relaxed; do
			for m in $msgs; do
				# every message in relaxed/relaxed; the others in each pair
				[ $canon != relaxed/relaxed ] && [ $m = mime ] && continue
				in="$HERE/msgs/$m.eml"
				tag="$alg $canon $m"
				if [ $peer = opendkim ] && [ $alg = ed25519-sha256 ] && [ "${canon%/*}" = simple ]; then
					# libopendkim 2.11's ed25519 signatures with simple
					# header canonicalization verify nowhere, not even in
					# libopendkim: every verifier must agree they fail
					peer_sign $peer $alg $canon "$in" p.eml 2> err.txt
					expect "$peer->mailseal $tag (a libopendkim bug): mailseal and dkimpy agree" \
						"fail fail" "$(ms_verify p.eml) $(peer_verify dkimpy p.eml)"
				elif peer_sign $peer $alg $canon "$in" p.eml 2> err.txt; then
					expect "$peer->mailseal $tag" pass "$(ms_verify p.eml)"
				else
					nok "$peer->mailseal $tag - $peer could not sign: $(head -c 200 err.txt)"
				fi
				"$M" sign -d example.com -s $k -k $k.private -c $canon "$in" > s.eml
				expect "mailseal->$peer $tag" pass "$(peer_verify $peer s.eml)"
			done
		done
	done

	# tampered copies fail everywhere: rsa relaxed/relaxed on plain.eml
	peer_sign $peer rsa-sha256 relaxed/relaxed "$HERE/msgs/plain.eml" p.eml
	"$M" sign -d example.com -s rsa1 -k rsa1.private "$HERE/msgs/plain.eml" > s.eml
	for src in p s; do
		sed 's/noon/midnight/' $src.eml > t-body.eml
		sed 's/^Subject: Lunch/Subject: Dinner/' $src.eml > t-subj.eml
		{ printf 'From: Mallory <ceo@example.com>\r\n'; cat $src.eml; } > t-from.eml
		[ $src = p ] && who="$peer-signed" || who="mailseal-signed"
		for t in body subj from; do
			expect "$who, tampered $t: mailseal fails it" fail "$(ms_verify t-$t.eml)"
			expect "$who, tampered $t: $peer fails it" fail "$(peer_verify $peer t-$t.eml)"
		done
	done

	# several signatures on one message: mailseal dual-signs, the peer adds its own
	"$M" sign -d example.com -s rsa1 -k rsa1.private -d example.com -s ed1 -k ed1.private \
		"$HERE/msgs/oddws.eml" > dual.eml
	if [ $peer = maildkim ]; then
		# without Ed25519 it cannot judge that one; the RSA one must pass
		expect "mailseal dual-signed -> $peer: the rsa signature passes" pass \
			"$(peer_verify $peer dual.eml | cut -d' ' -f1)"
	else
		expect "mailseal dual-signed -> $peer: both pass" "pass pass" "$(peer_verify $peer dual.eml)"
	fi
	peer_sign $peer rsa-sha256 simple/relaxed dual.eml triple.eml
	expect "$peer signs on top of two mailseal signatures -> mailseal: three pass" \
		"pass pass pass" "$(ms_verify triple.eml)"
done

# the peers agree among themselves on the same file (a sanity check of
# the drivers, so that a pass above means something)
peer_sign dkimpy rsa-sha256 relaxed/relaxed "$HERE/msgs/plain.eml" p.eml
expect "control: dkimpy-signed passes Mail::DKIM" pass "$(peer_verify maildkim p.eml)"
expect "control: dkimpy-signed passes libopendkim" pass "$(peer_verify opendkim p.eml)"
[ $fails = 0 ]
