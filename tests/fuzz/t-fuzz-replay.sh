#!/bin/bash
# t-fuzz-replay.sh - every fuzz target's seed corpus replayed through the
# library of the build under test (normal or ASan+UBSan): the seeds are
# regression tests in "make check" too.
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${MAILSEAL_BUILD:-build}
cd "$ROOT"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
flags="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O1 -g -Icommon"
case "$BUILD" in *san*) flags="$flags -fsanitize=address,undefined -fno-sanitize-recover=all" ;; esac
fails=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	# shellcheck disable=SC2086
	if ! cc $flags -o "$T/$name" "$src" tests/fuzz/replay_main.c \
		"$BUILD/libmailseal.a" -lcrypto -lunbound -lhiredis 2> "$T/$name.err"; then
		echo "not ok replay $name - does not build: $(head -c 300 "$T/$name.err")"
		fails=$((fails + 1))
		continue
	fi
	if n=$("$T/$name" "tests/fuzz/corpus/$name" 2> "$T/$name.run"); then
		echo "ok replay $name ($n seeds)"
	else
		echo "not ok replay $name - $(head -c 400 "$T/$name.run")"
		fails=$((fails + 1))
	fi
done
[ $fails = 0 ]
