#!/bin/bash
# t-golden.sh - the golden cases: each message in cases/ against the
# verdict lines expected.txt records for it (made by make-cases.sh and
# reviewed by hand against RFC 6376/8301/8463).  One check per case.
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
M=${MAILSEAL:-$ROOT/build/mailseal}
cd "$ROOT/tests/golden"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
for f in $(cd cases && ls | sort); do
	want=$(grep "^cases/$f	" expected.txt)
	got=$(cd cases && "$M" verify --key-file ../keys "$f" | sed 's/^/cases\//')
	if [ -n "$want" ] && [ "$want" = "$got" ]; then
		echo "ok golden $f ($(echo "$want" | sed 's/.*\tdkim=\([a-z]*\).*/\1/' | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}'))"
	else
		echo "not ok golden $f - expected [$(echo "$want" | tr '\n' '|')] got [$(echo "$got" | tr '\n' '|')]"
		fails=$((fails + 1))
	fi
done
# a header block over the limit, made here rather than committed (2 MiB)
{ cat cases/pass-rsa.eml | sed -n '1,/^\r$/p' | head -n -1
  awk 'BEGIN { for (i = 0; i < 1100; i++) printf "X-Filler-%d: %0200d\r\n", i, 0 }'
  printf '\r\nbody\r\n'; } > "$T/huge.eml"
got=$("$M" verify --key-file keys "$T/huge.eml" | cut -f2)
if [ "$got" = 'dkim=permerror reason="more header fields than the limit"' ]; then
	echo "ok golden header block over the limit: one permerror"
else
	echo "not ok golden header block over the limit - got [$got]"
	fails=$((fails + 1))
fi
[ $fails = 0 ]
