#!/bin/bash
# t-maildkim.sh - interoperability with Mail::DKIM (Debian's
# libmail-dkim-perl 1.20230212), in both directions: rsa-sha256 (this
# Mail::DKIM has no Ed25519: those checks are skipped, and its verdicts
# on Ed25519 signatures are not asked for), the four canonicalizations,
# every message of msgs/, edits that must and must not break a signature,
# bare-LF input, and messages with several signatures (mailseal's,
# Mail::DKIM's and dkimpy's).  Mail::DKIM looks its keys up through its
# own DNS layer, given a stand-in resolver (peer_maildkim.pl).
PEER=maildkim
PEER_CAN_L=    # can the driver sign with l=?
PEER_ALGS="rsa-sha256"
OTHER=dkimpy
. "$(dirname "$0")/lib.sh"
run_suite

# c= with the header part alone ("c=relaxed", "c=simple"), as Mail::DKIM
# writes when given one word: the body is simple (RFC 6376 3.5).  A
# respaced body line must break both; a respaced Subject only the simple.
mkdir -p c1
for c in relaxed simple; do
	mkdir -p "c1/$c"
	peer maildkim sign keys/rsa1.private "$DOMAIN" rsa1 rsa-sha256 "$c" "$PEER_HEADERS" \
		"c1/$c" "$MSGS/plain.eml" || nok "Mail::DKIM signs with c=$c"
	for kind in hdrspace bodyspace; do edit "$kind" "c1/$c/plain.eml" "c1/$c/$kind.eml"; done
done
MSV=() MSD=() PV=() PD=()
ms_results c1/*/*.eml > c1-ms.res
peer maildkim verify peerkeys c1/*/*.eml > c1-maildkim.res
load c1-ms.res MSV MSD
load c1-maildkim.res PV PD
for c in relaxed simple; do
	[ "$(sig_tag "c1/$c/plain.eml" c)" = "$c/simple" ] && grep -q "c=$c;" "c1/$c/plain.eml" &&
		ok "Mail::DKIM writes the one-word c=$c" || nok "Mail::DKIM writes the one-word c=$c"
	agree "maildkim-signed rsa c=$c plain.eml: pass in mailseal and maildkim" rsa1:pass "c1/$c/plain.eml"
	agree "maildkim-signed rsa c=$c plain.eml, body line respaced: fail (simple body) in mailseal and maildkim" \
		rsa1:fail "c1/$c/bodyspace.eml"
	[ $c = relaxed ] && w=pass || w=fail
	agree "maildkim-signed rsa c=$c plain.eml, Subject respaced: $w in mailseal and maildkim" \
		"rsa1:$w" "c1/$c/hdrspace.eml"
done
echo "# skip $PEER verdicts on the Ed25519 signatures of multi-signed messages: Mail::DKIM 1.20230212 has no Ed25519 (it calls them invalid); its verdicts on the RSA ones were checked"
[ $fails = 0 ]
