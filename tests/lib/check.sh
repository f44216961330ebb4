# lib/check.sh - the reporting helpers of the test scripts.  Source it;
# each check prints "ok NAME" or "not ok NAME - why" (tests/run counts
# them); end the script with "[ $fails = 0 ]".
fails=0
ok()  { echo "ok $*"; }
nok() { echo "not ok $*"; fails=$((fails + 1)); }
# numbered checks: t_ok NAME / t_nok NAME print "ok N - NAME" (N, in
# CHECK_N so that no script's own N is touched, counts
# up from 1 in the script); oneline [WIDTH]: stdin on one line, for
# the "why" of a check
CHECK_N=0
t_ok()  { CHECK_N=$((CHECK_N + 1)); ok "$CHECK_N - $*"; }
t_nok() { CHECK_N=$((CHECK_N + 1)); nok "$CHECK_N - $*"; }
oneline() { tr '\r\n' '  ' | tr -s ' ' | cut -c1-"${1:-400}"; }
