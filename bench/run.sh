#!/bin/bash
# bench/run.sh BUILD_DIR - the benchmarks behind `make bench`.
#
# Single-core (taskset -c 0), in-process sign and verify throughput of
# mailseal (BUILD_DIR/libmailseal.a) side by side with libopendkim, dkimpy
# and Mail::DKIM over one generated corpus, against the OpenSSL limits
# (`openssl speed`), plus peak RSS of `mailseal verify` on one 50 MB
# message.  Everything lands in bench/out/ (gitignored); the summary is
# written to docs/benchmarks.md and printed.
#
# Knobs (environment): BENCH_RUNS (5), BENCH_MINSEC (1.0, seconds per
# timed run), BENCH_SEED (20261122), BENCH_SPEED_SECONDS (2, per openssl
# speed test), BENCH_BIG_MB (50), BENCH_CPU (0), BENCH_DOC
# (docs/benchmarks.md).  Exits 1 if any number is invalid (a driver whose
# signatures did not all pass).
set -euo pipefail

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=bench/out
RUNS=${BENCH_RUNS:-5}
MINSEC=${BENCH_MINSEC:-1.0}
SEED=${BENCH_SEED:-20261122}
SPEED_SECS=${BENCH_SPEED_SECONDS:-2}
BIG_MB=${BENCH_BIG_MB:-50}
CPU=${BENCH_CPU:-0}
DOC=${BENCH_DOC:-docs/benchmarks.md}
PY=/usr/bin/python3     # Debian's, where python3-dkim lives
PIN="taskset -c $CPU"
T0=$(date +%s)

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

# -- prerequisites ---------------------------------------------------------
[ -f "$BUILD/libmailseal.a" ] || die "$BUILD/libmailseal.a missing: run make first"
[ -x "$BUILD/mailseal" ] || die "$BUILD/mailseal missing: run make first"
miss=""
$PY -c 'import dkim, nacl' 2>/dev/null || miss="$miss python3-dkim/python3-nacl"
perl -MMail::DKIM -e1 2>/dev/null || miss="$miss libmail-dkim-perl"
pkg-config --exists opendkim 2>/dev/null || miss="$miss libopendkim-dev"
command -v taskset >/dev/null || miss="$miss util-linux(taskset)"
[ -x /usr/bin/time ] || miss="$miss time"
command -v openssl >/dev/null || miss="$miss openssl"
[ -z "$miss" ] || die "missing:$miss (scripts/install-deps.sh installs them)"

mkdir -p "$OUT"
RES=$OUT/results
rm -rf "$RES" "$OUT/signed-by"
mkdir -p "$RES" "$OUT/bin" "$OUT/signed-by"

# -- keys (kept between runs) ----------------------------------------------
K=$OUT/keys
if [ ! -s "$K/keys.mailseal" ]; then
	say "making keys in $K"
	rm -rf "$K"
	mkdir -p "$K"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$K/rsa.pem" 2>/dev/null
	openssl rsa -in "$K/rsa.pem" -traditional -out "$K/rsa1.pem" 2>/dev/null
	openssl genpkey -algorithm ED25519 -out "$K/ed.pem"
	P=$(openssl pkey -in "$K/rsa.pem" -pubout -outform DER | base64 -w0)
	E=$(openssl pkey -in "$K/ed.pem" -pubout -outform DER | tail -c 32 | base64 -w0)
	openssl pkey -in "$K/ed.pem" -outform DER | tail -c 32 | base64 -w0 > "$K/ed.seed"
	# libopendkim's DKIM_QUERY_FILE format (also read by the script drivers)
	printf 'rsa2026._domainkey.bench.example v=DKIM1; k=rsa; p=%s\n' "$P" > "$K/keys.opendkim"
	printf 'ed2026._domainkey.bench.example v=DKIM1; k=ed25519; p=%s\n' "$E" >> "$K/keys.opendkim"
	# mailseal's key file: NAME "TXT-DATA"
	printf 'rsa2026._domainkey.bench.example. "v=DKIM1; k=rsa; p=%s"\n' "$P" > "$K/keys.mailseal"
	printf 'ed2026._domainkey.bench.example. "v=DKIM1; k=ed25519; p=%s"\n' "$E" >> "$K/keys.mailseal"
	rm -f "$OUT/corpus.stamp" "$OUT/big.stamp"
fi

# -- corpus, and the verification corpora signed once by dkimpy ------------
STAMP="seed=$SEED gen=$(md5sum bench/gencorpus.py | cut -c1-12) keys=$(md5sum "$K/keys.mailseal" | cut -c1-12)"
if [ "$(cat "$OUT/corpus.stamp" 2>/dev/null)" != "$STAMP" ]; then
	say "generating the corpus (seed $SEED)"
	rm -rf "$OUT/corpus" "$OUT/signed-rsa" "$OUT/signed-ed25519"
	$PY bench/gencorpus.py --seed "$SEED" --out "$OUT/corpus" 2> "$OUT/corpus.txt"
	for a in rsa ed25519; do
		say "signing the verification corpus ($a, dkimpy)"
		mkdir -p "$OUT/signed-$a"
		$PY bench/bench_dkimpy.py sign $a "$OUT/corpus/list.txt" "$K" 0 0 "$OUT/signed-$a"
		sed "s#/corpus/#/signed-$a/#" "$OUT/corpus/list.txt" > "$OUT/signed-$a/list.txt"
	done
	echo "$STAMP" > "$OUT/corpus.stamp"
fi
cp "$OUT/corpus.txt" "$RES/corpus.txt"

# -- drivers ---------------------------------------------------------------
say "compiling the drivers"
CFL="-O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra"
SAN=""
if nm "$BUILD/libmailseal.a" 2>/dev/null | grep -q __asan_init; then
	SAN="-fsanitize=address,undefined"
	say "warning: $BUILD is a sanitizer build: its numbers mean little"
fi
# shellcheck disable=SC2086
# common/ has one folder per layer: each is on the include path
INC=$(for d in common/*/; do printf -- '-I%s ' "${d%/}"; done)
# shellcheck disable=SC2086
cc $CFL $SAN $INC -o "$OUT/bin/bench_mailseal" bench/bench_mailseal.c \
	"$BUILD/libmailseal.a" -lcrypto
# shellcheck disable=SC2086
cc $CFL -o "$OUT/bin/bench_floor" bench/bench_floor.c -lcrypto
# shellcheck disable=SC2086,SC2046
cc $CFL $(pkg-config --cflags opendkim) -o "$OUT/bin/bench_opendkim" \
	bench/bench_opendkim.c $(pkg-config --libs opendkim)

driver() {
	case $1 in
	mailseal) echo "$OUT/bin/bench_mailseal" ;;
	floor) echo "env BENCH_FLOOR_READ=0 $OUT/bin/bench_floor" ;;
	floorread) echo "env BENCH_FLOOR_READ=1 $OUT/bin/bench_floor" ;;
	opendkim) echo "$OUT/bin/bench_opendkim" ;;
	dkimpy) echo "$PY bench/bench_dkimpy.py" ;;
	maildkim) echo "perl bench/bench_maildkim.pl" ;;
	esac
}

# -- machine ---------------------------------------------------------------
{
	echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "nproc=$(nproc)"
	echo "pinned=cpu $CPU"
	echo "openssl=$(openssl version)"
	echo "kernel=$(uname -sr)"
	# shellcheck disable=SC1091
	echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cc=$(cc --version | head -1)"
	echo "libopendkim=$(pkg-config --modversion opendkim)"
	echo "dkimpy=$(dpkg-query -W -f='${Version}' python3-dkim 2>/dev/null)"
	echo "maildkim=$(perl -MMail::DKIM -e 'print $Mail::DKIM::VERSION')"
	echo "python=$($PY -c 'import sys; print(sys.version.split()[0])')"
	echo "perl=$(perl -e 'printf "%vd", $^V')"
	echo "mailseal=$(git log -1 --format='%h %cd' --date=short 2>/dev/null || echo unknown)$(git status --porcelain common 2>/dev/null | grep -q . && echo ' (+ uncommitted changes in common/)')"
	echo "seed=$SEED"
	echo "runs=$RUNS"
	echo "minsec=$MINSEC"
	echo "speed_seconds=$SPEED_SECS"
} > "$RES/machine.txt"

# -- OpenSSL limits --------------------------------------------------------
for r in $(seq 1 "$RUNS"); do
	say "openssl speed, run $r/$RUNS"
	$PIN openssl speed -mr -seconds "$SPEED_SECS" -bytes 16384 -evp sha256 \
		2>/dev/null | grep '^+F' | sed "s/^/run=$r /" >> "$RES/openssl.txt"
	$PIN openssl speed -mr -seconds "$SPEED_SECS" rsa2048 ed25519 \
		2>/dev/null | grep '^+F' | sed "s/^/run=$r /" >> "$RES/openssl.txt"
done

# -- sign and verify -------------------------------------------------------
bad=0
for alg in rsa ed25519; do
	for op in sign verify; do
		if [ $op = sign ]; then list=$OUT/corpus/list.txt
		else list=$OUT/signed-$alg/list.txt; fi
		for impl in floor floorread mailseal opendkim dkimpy maildkim; do
			if [ $impl = maildkim ] && [ $alg = ed25519 ]; then
				continue        # Mail::DKIM 1.20230212: no Ed25519
			fi
			f=$RES/$impl-$op-$alg.txt
			say "$impl $op $alg"
			extra=""
			if [ $op = sign ] && [ "${impl#floor}" = "$impl" ]; then
				extra=$OUT/signed-by/$impl-$alg
				mkdir -p "$extra"
			fi
			# shellcheck disable=SC2086,SC2046
			if ! $PIN $(driver $impl) $op $alg "$list" "$K" "$RUNS" \
				"$MINSEC" $extra > "$f" 2> "$f.err"; then
				say "$impl $op $alg failed: $(tail -3 "$f.err")"
				bad=1
			fi
			if [ -n "$extra" ]; then
				# every signature made must verify elsewhere (dkimpy)
				sed "s#/corpus/#/signed-by/$impl-$alg/#" \
					"$OUT/corpus/list.txt" > "$extra/list.txt"
				$PY bench/bench_dkimpy.py check $alg "$extra/list.txt" \
					"$K" 0 0 | sed "s/impl=dkimpy/impl=$impl/" >> "$f"
			fi
		done
	done
done

# -- one big message: wall time and peak RSS of the CLI --------------------
BSTAMP="seed=$SEED mb=$BIG_MB gen=$(md5sum bench/gencorpus.py | cut -c1-12) keys=$(md5sum "$K/keys.mailseal" | cut -c1-12)"
if [ "$(cat "$OUT/big.stamp" 2>/dev/null)" != "$BSTAMP" ]; then
	say "generating a ${BIG_MB} MB message, signing it with dkimpy"
	rm -rf "$OUT/big"
	mkdir -p "$OUT/big/signed"
	$PY bench/gencorpus.py --seed "$SEED" --big "$BIG_MB" --out "$OUT/big/big.eml" 2>/dev/null
	echo "$OUT/big/big.eml" > "$OUT/big/list.txt"
	$PY bench/bench_dkimpy.py sign rsa "$OUT/big/list.txt" "$K" 0 0 "$OUT/big/signed"
	echo "$BSTAMP" > "$OUT/big.stamp"
fi
BIG=$OUT/big/signed/big.eml
for r in $(seq 1 "$RUNS"); do
	t0=$(date +%s%N)
	$PIN /usr/bin/time -v -o "$RES/big-time-$r.txt" "$BUILD/mailseal" verify \
		--key-file "$K/keys.mailseal" "$BIG" > "$RES/big-out-$r.txt" 2>&1 || true
	t1=$(date +%s%N)
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$RES/big-time-$r.txt")
	res=$(grep -o 'dkim=[a-z]*' "$RES/big-out-$r.txt" | head -1)
	echo "BIG run=$r bytes=$(stat -c %s "$BIG") secs=$(awk "BEGIN{print ($t1-$t0)/1e9}") rss_kb=$rss result=${res#dkim=}" >> "$RES/big.txt"
done

echo "elapsed=$(( $(date +%s) - T0 ))" >> "$RES/machine.txt"

# -- the report ------------------------------------------------------------
mkdir -p "$(dirname "$DOC")"
if ! $PY bench/report.py "$RES" > "$DOC.tmp"; then
	bad=1
fi
mv "$DOC.tmp" "$DOC"
cat "$DOC"
say "wrote $DOC in $(( $(date +%s) - T0 )) s; raw results in $RES"
if [ $bad != 0 ]; then
	say "some numbers are INVALID (see the check column)"
	exit 1
fi
