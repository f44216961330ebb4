#!/bin/bash
# run-fuzz.sh - run every libFuzzer target briefly on a scratch copy of
# its seed corpus.  usage: tests/fuzz/run-fuzz.sh FUZZ_BUILD_DIR
# FUZZ_SECONDS (default 20) per target.  Prints "ok fuzz NAME" or
# "not ok fuzz NAME - ..." and keeps a crashing input under
# tests/fuzz/corpus-work/.
set -u
cd "$(dirname "$0")/../.."
dir=${1:-build/fuzz}
secs=${FUZZ_SECONDS:-20}
fails=0
for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	work="tests/fuzz/corpus-work/$name"
	rm -rf "$work"
	mkdir -p "$work"
	cp tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null
	log="$work.log"
	if "$bin" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 \
		-timeout=10 -artifact_prefix="$work/" "$work" > "$log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1)
		echo "ok fuzz $name (${runs:-done} in ${secs}s)"
	else
		echo "not ok fuzz $name - see $log: $(grep -m1 -E 'ERROR|SUMMARY|Assertion' "$log")"
		fails=$((fails + 1))
	fi
done
[ $fails = 0 ]
