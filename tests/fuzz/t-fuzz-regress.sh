#!/bin/bash
# t-fuzz-regress.sh - regression replay of the fuzz inputs, in "make check".
#
# Needs no clang, no libFuzzer and no build/fuzz: each target
# tests/fuzz/fuzz_NAME.c is compiled with the normal compiler together
# with tests/fuzz/replay_main.c (a main() that calls
# LLVMFuzzerTestOneInput on every file it is given), linked against the
# library of the build under test ($MAILSEAL_BUILD/libmailseal.a,
# default "build"; with -fsanitize=address,undefined when that
# directory's name ends in "san", as "make SAN=1 check" gives), into a
# temporary directory, and run on the seed corpus tests/fuzz/corpus/NAME/
# and on any saved reproducers in tests/fuzz/crashes/NAME/.  Nothing is
# built in the tree.  The targets' own checks (__builtin_trap) and the
# sanitizers make a regression a failure.
#
# Prints "ok replay NAME (N inputs)" or "not ok replay NAME - why".
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
BUILD=${MAILSEAL_BUILD:-build}
LIB="$BUILD/libmailseal.a"
CC=${CC:-cc}

if [ ! -f "$LIB" ]; then
	echo "not ok replay - $LIB is not built (run make first)"
	exit 1
fi

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

cflags=(-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I postfix-policy -O1 -g)
for d in common/*/; do          # one folder per layer, each on the path
	cflags+=(-I "${d%/}")
done
case "${BUILD%/}" in
*san) cflags+=(-fsanitize=address,undefined -fno-sanitize-recover=all
	       -fno-omit-frame-pointer) ;;
esac
# the libraries the Makefile links the library's users with (-lcrypto;
# the DNS and Redis modules of the archive need the other two)
libs=(-lcrypto -lunbound -lhiredis -lcares -lresolv)
# the Postfix daemon's protocol codecs have their own archive, before it
PFLIB="$BUILD/libmspostfix.a"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

fails=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	dirs=()
	[ -d "tests/fuzz/corpus/$name" ] && dirs+=("tests/fuzz/corpus/$name")
	[ -d "tests/fuzz/crashes/$name" ] && dirs+=("tests/fuzz/crashes/$name")
	if [ ${#dirs[@]} -eq 0 ]; then
		echo "not ok replay $name - no seed corpus in tests/fuzz/corpus/$name"
		fails=$((fails + 1))
		continue
	fi
	if ! "$CC" "${cflags[@]}" -o "$T/$name" "$src" tests/fuzz/replay_main.c \
		"$PFLIB" "$LIB" "${libs[@]}" 2> "$T/$name.cc"; then
		echo "not ok replay $name - does not build: $(head -c 400 "$T/$name.cc" | tr '\n' ' ')"
		fails=$((fails + 1))
		continue
	fi
	if n=$("$T/$name" "${dirs[@]}" 2> "$T/$name.run"); then
		echo "ok replay $name ($n inputs)"
	else
		rc=$?
		last=$(grep '^replay: ' "$T/$name.run" | tail -1 | sed 's/^replay: //')
		why=$(grep -v '^replay: ' "$T/$name.run" | grep -m3 -E 'ERROR|SUMMARY|runtime error|Assertion|No such' | tr '\n' ' ')
		echo "not ok replay $name - status $rc on ${last:-?}: ${why:-see stderr below}"
		grep -E '^==[0-9]+==ERROR|^ +#[0-9]+ |runtime error|^SUMMARY' "$T/$name.run" \
			| head -25 | sed 's/^ */# /'
		fails=$((fails + 1))
	fi
done
[ $fails = 0 ]
