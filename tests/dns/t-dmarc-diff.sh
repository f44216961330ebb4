#!/bin/bash
# t-dmarc-diff.sh - mailseal's DMARC (RFC 9989) against two independent
# implementations of RFC 7489 from Debian: OpenDMARC (libopendmarc,
# through a small C harness compiled here) and Mail::DMARC::PurePerl.
# tests/dns/dmarc_diff.py generates the cases (author domains, records,
# the SPF identity, DKIM signatures); mailseal evaluates each with
# `mailseal policy --dns-file`, the peers ask a real nsd on loopback
# serving the same records.  Where the two RFCs give the same answer,
# every outcome must agree; the cases where they part ways by design
# are counted by reason (docs/dmarc.md, "Differential tests").
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
PY=/usr/bin/python3
N=${DMARC_DIFF_CASES:-600}
SEED=${DMARC_DIFF_SEED:-9989}
PSL=/usr/share/publicsuffix/public_suffix_list.dat
. "$ROOT/tests/lib/nsd.sh"
T=$(mktemp -d)
# DMARC_DIFF_KEEP=1 keeps the work directory (cases, zones, outcomes)
trap 'nsd_stop; [ -n "${DMARC_DIFF_KEEP:-}" ] && echo "# kept $T" || rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP     # so that the EXIT trap stops the servers
cd "$T" || exit 1
fails=0
. "$ROOT/tests/lib/check.sh"

for need in "$PSL" /usr/include/opendmarc/dmarc.h /usr/share/perl5/Mail/DMARC/PurePerl.pm; do
	[ -e "$need" ] || { nok "$need is missing (scripts/install-deps.sh)"; exit 1; }
done
if ! cc -std=c11 -D_DEFAULT_SOURCE -Wall -Werror -o od-harness \
	"$ROOT/tests/dns/opendmarc_harness.c" -lopendmarc 2> cc.err; then
	nok "the OpenDMARC harness compiles: $(tr '\n' ' ' < cc.err)"
	exit 1
fi
"$PY" "$ROOT/tests/dns/dmarc_diff.py" gen "$N" "$SEED" "$T" "$M" \
	|| { nok "generate the DMARC cases"; exit 1; }
zones=""
for body in *.body; do
	z=${body%.body}
	nsd_zone "$z" 300 "$body" > "$z.zone"
	zones="$zones $z"
done
# shellcheck disable=SC2086
if ! nsd_start "$T" $zones; then
	nok "nsd starts"
	exit 1
fi
ok "nsd serves the $N cases' records (${zones# }) on 127.0.0.1:$NSD_PORT"

"$PY" "$ROOT/tests/dns/dmarc_diff.py" mailseal "$T" "$M" \
	|| { nok "mailseal policy on every case"; exit 1; }
./od-harness "$NSD_PORT" "$PSL" < peer.in > od.out 2> od.err
[ "$(grep -c . od.out)" = "$N" ] && ok "OpenDMARC evaluated all $N cases" \
	|| nok "OpenDMARC evaluated $(grep -c . od.out) of $N cases: $(tail -2 od.err)"
perl "$ROOT/tests/dns/maildmarc_harness.pl" "$NSD_PORT" < peer.in > pl.out 2> pl.err
[ "$(grep -c . pl.out)" = "$N" ] && ok "Mail::DMARC evaluated all $N cases" \
	|| nok "Mail::DMARC evaluated $(grep -c . pl.out) of $N cases: $(tail -2 pl.err)"

out=$("$PY" "$ROOT/tests/dns/dmarc_diff.py" compare "$T")
printf '%s\n' "$out"
fails=$((fails + $(printf '%s\n' "$out" | grep -c '^not ok')))
exit $((fails > 0))
