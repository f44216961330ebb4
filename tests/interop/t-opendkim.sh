#!/bin/bash
# t-opendkim.sh - interoperability with libopendkim 2.11 (Debian's
# libopendkim-dev), in both directions: rsa-sha256 and ed25519-sha256,
# the four canonicalizations, every message of msgs/, edits that must and
# must not break a signature, bare-LF input, and messages with several
# signatures (mailseal's, libopendkim's and Mail::DKIM's).  The C driver
# peer_opendkim.c is compiled here; libopendkim reads the key records
# from a file (DKIM_QUERY_FILE).
PEER=opendkim
PEER_CAN_L=1    # can the driver sign with l=?
PEER_ALGS="rsa-sha256 ed25519-sha256"
OTHER=maildkim
. "$(dirname "$0")/lib.sh"
run_suite

# A libopendkim 2.11 bug, shown here so that the workaround in lib.sh
# stays honest: its Ed25519 signatures with simple header
# canonicalization, in the folded DKIM-Signature field it writes by
# default, fail for some messages (plain.eml, with this h= list), in
# libopendkim itself too; lib.sh has it sign those unfolded
# (dkim_set_margin 0), which verify everywhere.  Whatever libopendkim
# gets wrong, mailseal must judge these signatures as libopendkim and
# dkimpy do.
mkdir -p bug
for canon in simple/simple simple/relaxed; do
	d=bug/${canon/\//-}
	mkdir -p "$d"
	peer opendkim sign keys/ed1.private "$DOMAIN" ed1 ed25519-sha256 "$canon" \
		"$PEER_HEADERS" "$d" "$MSGS/plain.eml" "$MSGS/oddws.eml"
done
peer dkimpy verify peerkeys bug/*/*.eml > bug-dkimpy.res
ms_results bug/*/*.eml > bug-ms.res
peer opendkim verify peerkeys bug/*/*.eml > bug-opendkim.res
MSV=() MSD=() PV=() PD=() OV=() OD=()
load bug-ms.res MSV MSD
load bug-opendkim.res PV PD
load bug-dkimpy.res OV OD
OTHER=dkimpy
for f in bug/*/*.eml; do
	v=${PV[$f]-}
	case $f in */plain.eml) v=ed1:fail ;; esac   # the bug itself
	agree "libopendkim's folded ed25519 ${f#bug/}: mailseal, libopendkim and dkimpy agree (${v#ed1:})" \
		"${v:-?}" "$f" "$f" "$f"
done

# Keys from libopendkim's own tool, as a site moving from OpenDKIM has
# them: opendkim-genkey's private key (PKCS#8, and the same key as
# PKCS#1) signs in mailseal, and its record (relative name, h=sha256,
# strings over several lines, a trailing comment) is mailseal's key file
# once the name is made absolute; libopendkim reads the same record.
GENKEY=$(command -v opendkim-genkey || echo /usr/sbin/opendkim-genkey)
mkdir -p og/s8 og/s1 og/p
if "$GENKEY" -D og -d "$DOMAIN" -s odk -b 2048 > og.err 2>&1 &&
   openssl rsa -in og/odk.private -traditional -out og/odk.pkcs1 >> og.err 2>&1; then
	sed "s/^odk\._domainkey\([[:space:]]\)/odk._domainkey.$DOMAIN.\1/" og/odk.txt > og/keyfile
	printf 'odk._domainkey.%s %s\n' "$DOMAIN" "$(grep -o '"[^"]*"' og/odk.txt | tr -d '"\n')" > og/peerkeys
	ms sign -d "$DOMAIN" -s odk -k og/odk.private "$MSGS/plain.eml" > og/s8/plain.eml
	ms sign -d "$DOMAIN" -s odk -k og/odk.pkcs1 "$MSGS/plain.eml" > og/s1/plain.eml
	peer opendkim sign og/odk.private "$DOMAIN" odk rsa-sha256 simple/simple "$PEER_HEADERS" og/p "$MSGS/plain.eml"
	MSV=() MSD=() PV=() PD=()
	(cd og && ms_results s8/plain.eml s1/plain.eml p/plain.eml) > og-ms.res
	(cd og && peer opendkim verify peerkeys s8/plain.eml s1/plain.eml p/plain.eml) > og-opendkim.res
	load og-ms.res MSV MSD
	load og-opendkim.res PV PD
	agree "an opendkim-genkey key (PKCS#8) signs in mailseal: pass in mailseal and libopendkim with opendkim-genkey's record" \
		odk:pass s8/plain.eml
	agree "the same key as PKCS#1 signs in mailseal: pass in mailseal and libopendkim" odk:pass s1/plain.eml
	agree "libopendkim signs with an opendkim-genkey key: pass in mailseal, with opendkim-genkey's record as its key file" \
		odk:pass p/plain.eml
else
	nok "opendkim-genkey makes a key - $(head -c 300 og.err)"
fi
[ $fails = 0 ]
