#!/bin/bash
# run-fuzz.sh - run every libFuzzer target for a while.
#
#   usage: tests/fuzz/run-fuzz.sh [FUZZ_BUILD_DIR]     (default build/fuzz)
#   env:   FUZZ_SECONDS  seconds per target (default 20)
#          FUZZ_TARGETS  only these targets, e.g. "fuzz_canon fuzz_verify"
#          FUZZ_FRESH=1  start from the seeds alone (forget earlier finds)
#
# Each target runs on tests/fuzz/corpus-work/NAME/ (gitignored): a
# scratch corpus that starts as a copy of the seeds in
# tests/fuzz/corpus/NAME/ and keeps what earlier runs found, so repeated
# runs go deeper.  The seed corpus itself is never written.  -max_len
# is sized per target (what its parser can meaningfully take), RSS is
# capped at 2 GiB, one input may take at most 10 s.
#
# Prints "ok fuzz NAME (...)" or "not ok fuzz NAME - ..." per target; a
# crash, leak, timeout or out-of-memory leaves its input as
# tests/fuzz/corpus-work/NAME-crash-* (or -leak-, -timeout-, -oom-) and
# the log as tests/fuzz/corpus-work/NAME.log.  Keep a reproducer under
# tests/fuzz/crashes/NAME/ so t-fuzz-regress.sh replays it.  Exit
# status 1 if any target failed or was not built.
set -u
cd "$(dirname "$0")/../.." || exit 1
dir=${1:-build/fuzz}
secs=${FUZZ_SECONDS:-20}
work=tests/fuzz/corpus-work

# max_len: a little over the largest input each parser accepts, or
# enough to cross its internal boundaries (16 KiB canon stage, header
# limits reachable by field count)
max_len_of() {
	case "$1" in
	fuzz_tagvalue|fuzz_dkimsig)     echo 8192 ;;
	fuzz_keyrec)                    echo 9000 ;;    # MS_MAX_KEY_RECORD 8192
	fuzz_base64)                    echo 16384 ;;
	fuzz_keyfile)                   echo 16384 ;;
	fuzz_canon|fuzz_msgreader)      echo 65536 ;;
	fuzz_verify|fuzz_policy|fuzz_session|fuzz_milterflow) echo 65536 ;;
	*)                              echo 8192 ;;
	esac
}

targets=${FUZZ_TARGETS:-$(for s in tests/fuzz/fuzz_*.c; do basename "$s" .c; done)}
mkdir -p "$work"
fails=0
for name in $targets; do
	bin="$dir/$name"
	if [ ! -x "$bin" ]; then
		echo "not ok fuzz $name - $bin is not built (make fuzz-build)"
		fails=$((fails + 1))
		continue
	fi
	corpus="$work/$name"
	[ "${FUZZ_FRESH:-0}" = 1 ] && rm -rf "$corpus"
	mkdir -p "$corpus"
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -p tests/fuzz/corpus/"$name"/* "$corpus"/ 2> /dev/null
	fi
	log="$work/$name.log"
	max_len=$(max_len_of "$name")
	"$bin" -max_total_time="$secs" -max_len="$max_len" -rss_limit_mb=2048 \
		-timeout=10 -print_final_stats=1 \
		-artifact_prefix="$work/$name-" "$corpus" > "$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	files=$(find "$corpus" -type f | wc -l)
	if [ $rc -eq 0 ]; then
		echo "ok fuzz $name (${runs:-?} execs in ${secs}s, ${cov:-cov: ?}, corpus $files, max_len $max_len)"
	else
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		why=$(grep -m1 -E '^==[0-9]+==ERROR|runtime error|deadly signal|ERROR: libFuzzer' "$log")
		echo "not ok fuzz $name - exit $rc after ${runs:-?} execs: ${why:-see $log}; input ${art:-?}; log $log"
		fails=$((fails + 1))
	fi
done
[ $fails = 0 ]
