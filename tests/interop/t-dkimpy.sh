#!/bin/bash
# t-dkimpy.sh - interoperability with dkimpy (Debian's python3-dkim, with
# python3-nacl for Ed25519), in both directions: rsa-sha256 and
# ed25519-sha256, the four canonicalizations, every message of msgs/,
# edits that must and must not break a signature, bare-LF input, and
# messages with several signatures (mailseal's, dkimpy's and
# libopendkim's).  The driver is peer_dkimpy.py; lib.sh does the rest.
PEER=dkimpy
PEER_CAN_L=1    # can the driver sign with l=?
PEER_ALGS="rsa-sha256 ed25519-sha256"
OTHER=opendkim
. "$(dirname "$0")/lib.sh"
run_suite
[ $fails = 0 ]
