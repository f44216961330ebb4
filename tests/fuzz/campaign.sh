#!/bin/bash
# campaign.sh - a long fuzzing campaign: every libFuzzer target in turn,
# one at a time, for a set time each; what it finds is merged back,
# minimized, into the seed corpora, and its figures go to
# docs/fuzzing.md.  "make fuzz-campaign" runs it; CI keeps its short run
# (run-fuzz.sh).
#
#   usage: tests/fuzz/campaign.sh [FUZZ_BUILD_DIR]     (default build/fuzz)
#   env:   FUZZ_TIME     seconds per target (default 600)
#          FUZZ_RUNS     stop a target after this many executions too
#                        (default: no cap)
#          FUZZ_TOTAL    stop a target once its executions over all
#                        campaigns reach this many (a target already
#                        there is skipped); e.g. 10000000
#          FUZZ_TARGETS  only these targets, e.g. "fuzz_canon fuzz_verify"
#          FUZZ_NICE     nice level of the fuzzer (default 19)
#          FUZZ_KEEP     at most this many new inputs kept per target and
#                        campaign (default 100)
#          FUZZ_KEEP_MAX largest new input kept, in bytes (default 8192)
#
# Each target runs in plain mode (one process: a crash stops it, and the
# crash is what we want to see) on a scratch corpus,
# tests/fuzz/corpus-work/campaign/NAME/, seeded with tests/fuzz/corpus/
# NAME/.  Afterwards "-merge=1" picks from the scratch corpus only the
# inputs that add coverage over the committed seeds, and the smallest of
# those (at most FUZZ_KEEP, none over FUZZ_KEEP_MAX bytes) are added to
# tests/fuzz/corpus/NAME/ under their SHA-1 names: seeds are never
# removed or renamed, the committed corpora stay small, and
# t-fuzz-regress.sh replays all of them.
#
# Figures per target (executions, exec/s, cov and ft from libFuzzer's
# last status line, corpus added, crash) go to
# tests/fuzz/campaign-results.tsv, one line per target, replaced when the
# target runs again.  Its last field is the target's executions over all
# its campaigns: each campaign starts from the corpus the ones before it
# left, so they add up to one long campaign cut into pieces.
# docs/fuzzing.md's results table (between its
# "campaign:begin" and "campaign:end" markers) is regenerated from that
# file.  A crash leaves its input as tests/fuzz/corpus-work/campaign/
# NAME-crash-* and the log as tests/fuzz/corpus-work/campaign/NAME.log;
# fix it, and keep the input under tests/fuzz/crashes/NAME/.
#
# Two campaigns may run at the same time on different targets (one per
# core): they share only the results file and the table, which are
# rewritten under a lock.
#
# Exit status 1 if a target crashed or was not built.
set -u
cd "$(dirname "$0")/../.." || exit 1
dir=${1:-build/fuzz}
secs=${FUZZ_TIME:-600}
runs_cap=${FUZZ_RUNS:-}
total_cap=${FUZZ_TOTAL:-}
nice_level=${FUZZ_NICE:-19}
keep=${FUZZ_KEEP:-100}
keep_max=${FUZZ_KEEP_MAX:-8192}
work=tests/fuzz/corpus-work/campaign
results=tests/fuzz/campaign-results.tsv
doc=docs/fuzzing.md

# max_len: the same per-target sizes as the short run
max_len_of() {
	case "$1" in
	fuzz_tagvalue|fuzz_dkimsig)     echo 8192 ;;
	fuzz_keyrec)                    echo 9000 ;;
	fuzz_base64|fuzz_keyfile)       echo 16384 ;;
	fuzz_canon|fuzz_msgreader)      echo 65536 ;;
	fuzz_verify|fuzz_policy|fuzz_session|fuzz_milterflow) echo 65536 ;;
	*)                              echo 8192 ;;
	esac
}

# total_of NAME - NAME's executions over all campaigns so far (the last
# field of its line; 0 if it never ran)
total_of() {
	awk -F'\t' -v n="$1" '$1 == n { t = $NF } END { print t + 0 }' "$results" 2> /dev/null ||
		echo 0
}

# asan_of NAME - ASAN_OPTIONS for NAME's run.  fuzz_certinfo: OpenSSL
# keeps some allocations across inputs, so libFuzzer runs LeakSanitizer
# over the whole heap after many of them, and the scan's cost grows with
# ASan's quarantine (256 MB by default): a 16 MB quarantine makes the
# target about three times faster.  OpenSSL is not instrumented, and our
# own frees are caught by a quarantine of that size all the same.
asan_of() {
	case "$1" in
	fuzz_certinfo) echo "quarantine_size_mb=16" ;;
	*)             echo "" ;;
	esac
}

# record NAME RUNS FIELDS... - replace NAME's line in the results file;
# its total grows by RUNS
record() {
	local name=$1 total
	total=$(( $(total_of "$name") + $2 ))
	shift
	touch "$results"
	{
		grep -v -P "^\Q$name\E\t" "$results"
		(IFS=$'\t'; echo "$name	$*	$total")
	} | sort > "$results.tmp" && mv "$results.tmp" "$results"
}

# render - docs/fuzzing.md's table from the results file
render() {
	local table
	[ -f "$doc" ] || return 0
	table=$(mktemp)
	{
		echo "| target | executions | exec/s | seconds | cov | ft | corpus (+new) | result | date (UTC) | all campaigns | 10M |"
		echo "|---|---:|---:|---:|---:|---:|---:|---|---|---:|---|"
		awk -F'\t' '{
			ten = ($2 + 0 >= 10000000) ? "in one" : ($11 + 0 >= 10000000) ? "in all" : "no"
			printf "| `%s` | %s | %s | %s | %s | %s | %s (+%s) | %s | %s | %s | %s |\n",
				$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, ten
		}' "$results"
	} > "$table"
	awk -v table="$table" '
		/<!-- campaign:begin -->/ { print; while ((getline l < table) > 0) print l; skip = 1; next }
		/<!-- campaign:end -->/ { skip = 0 }
		!skip { print }
	' "$doc" > "$doc.tmp" && mv "$doc.tmp" "$doc"
	rm -f "$table"
}

targets=${FUZZ_TARGETS:-$(for s in tests/fuzz/fuzz_*.c; do basename "$s" .c; done)}
mkdir -p "$work"
fails=0
for name in $targets; do
	bin="$dir/$name"
	if [ ! -x "$bin" ]; then
		echo "not ok campaign $name - $bin is not built (make fuzz-build)"
		fails=$((fails + 1))
		continue
	fi
	seeds=tests/fuzz/corpus/$name
	scratch=$work/$name
	log=$work/$name.log
	mkdir -p "$seeds" "$scratch"
	cp -p "$seeds"/* "$scratch"/ 2> /dev/null
	max_len=$(max_len_of "$name")
	cap=$runs_cap
	if [ -n "$total_cap" ]; then
		done_runs=$(total_of "$name")
		left=$(( total_cap - done_runs ))
		if [ $left -le 0 ]; then
			echo "ok campaign $name # skip: $done_runs executions over all campaigns"
			continue
		fi
		[ -z "$cap" ] || [ "$cap" -gt $left ] && cap=$left
	fi
	rm -f "$work/$name"-crash-* "$work/$name"-leak-* "$work/$name"-timeout-* "$work/$name"-oom-*
	start=$(date +%s)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}$(asan_of "$name")" \
	nice -n "$nice_level" "$bin" -max_total_time="$secs" ${cap:+-runs="$cap"} \
		-max_len="$max_len" -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$work/$name-" \
		"$scratch" > "$log" 2>&1
	rc=$?
	took=$(( $(date +%s) - start ))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+.*cov: [0-9]+' "$log" | tail -1)
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')

	# merge: the scratch inputs that add coverage over the seeds
	added=0
	if [ $rc -eq 0 ]; then
		merged=$(mktemp -d)
		cp -p "$seeds"/* "$merged"/ 2> /dev/null
		if nice -n "$nice_level" "$bin" -merge=1 -max_len="$max_len" -rss_limit_mb=2048 \
			-timeout=10 "$merged" "$scratch" > "$work/$name.merge.log" 2>&1; then
			for f in $(find "$merged" -type f -size -$((keep_max + 1))c -printf '%s %f\n' \
				   | sort -n | awk '{print $2}'); do
				[ -e "$seeds/$f" ] && continue
				[ $added -ge "$keep" ] && break
				cp "$merged/$f" "$seeds/$f"
				added=$((added + 1))
			done
		fi
		rm -rf "$merged"
	fi
	total=$(find "$seeds" -type f | wc -l)

	art=$(ls "$work/$name"-crash-* "$work/$name"-leak-* "$work/$name"-timeout-* \
		"$work/$name"-oom-* 2> /dev/null | head -1)
	if [ $rc -eq 0 ]; then
		result="no crash"
		echo "ok campaign $name (${runs:-?} execs in ${took}s, ${rate:-?}/s, cov ${cov:-?} ft ${ft:-?}, +$added corpus)"
	else
		why=$(grep -m1 -o -E 'ERROR: [A-Za-z]+: [a-z-]+|runtime error: [^:]*|deadly signal|out-of-memory|timeout' "$log")
		result="CRASH: ${why:-exit $rc} ($(basename "${art:-?}"))"
		echo "not ok campaign $name - $result after ${runs:-?} execs; log $log"
		fails=$((fails + 1))
	fi
	# two campaigns may run at once (one per core, on different
	# targets): the results file and the table are rewritten under a lock
	(
		flock 9
		record "$name" "${runs:-0}" "${rate:-0}" "$took" "${cov:-?}" "${ft:-?}" \
			"$total" "$added" "$result" "$(date -u +%Y-%m-%d)"
		render
	) 9> "$work/.results.lock"
done
# the table once more, for a results file edited by hand
( flock 9; render ) 9> "$work/.results.lock"
[ $fails = 0 ]
