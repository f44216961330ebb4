# lib/check.sh - the reporting helpers of the test scripts.  Source it;
# each check prints "ok NAME" or "not ok NAME - why" (tests/run counts
# them); end the script with "[ $fails = 0 ]".
fails=0
ok()  { echo "ok $*"; }
nok() { echo "not ok $*"; fails=$((fails + 1)); }
