#!/bin/bash
# build-exim-static.sh - build Debian bookworm's Exim 4.96 from its Debian
# source package with a local_scan() source file compiled in
# (HAVE_LOCAL_SCAN=yes, LOCAL_SCAN_SOURCE=...), and leave the binary at
# OUTDIR/exim.
#
# Usage:
#   scripts/build-exim-static.sh OUTDIR LOCAL_SCAN_SOURCE.c [EXTRA_CFLAGS [EXTRA_LIBS]]
#
#   OUTDIR             where the binary goes (OUTDIR/exim); created if missing.
#   LOCAL_SCAN_SOURCE  the C file defining local_scan(); it is compiled inside
#                      Exim's tree and its '#include "local_scan.h"' finds
#                      Exim's own header. Quoted includes next to the file
#                      work too.
#   EXTRA_CFLAGS       extra compiler flags for that one file only (e.g.
#                      "-I/src/common/util -I/src/common/policy"); also taken from $EXTRA_CFLAGS.
#   EXTRA_LIBS         extra link arguments for the exim binary (Exim's
#                      EXTRALIBS_EXIM), e.g.
#                      "/work/main/build/libmailseal.a -lcrypto -lunbound -lhiredis -lcares -lresolv";
#                      also taken from $EXTRA_LIBS.
#                      Both end up in a makefile: no '$' or '#' in them.
#
# Environment (all optional):
#   EXIM_SRC_CACHE     where the Debian source is fetched and unpacked and the
#                      build tree lives (default OUTDIR/src). Reused if present.
#   EXIM_SRC_VERSION   Debian version of the exim4 source to use (default: the
#                      installed exim4-daemon-heavy's version if its source can
#                      be fetched, else the newest that can).
#   EXIM_RUN_USER      user/group the binary runs as (EXIM_USER/EXIM_GROUP,
#                      looked up at run time; default Debian-exim, as Debian).
#   EXIM_BUILD_DEPS    Debian packages to install (default: a minimal list, see
#                      BUILD_DEPS below).
#   JOBS               parallel make jobs (default: nproc).
#   VERBOSE=1          show the compiler output (else it goes to
#                      OUTDIR/build.log and its tail is shown on failure).
#
# What it does, each stage timed:
#   1. deb-src   adds /etc/apt/sources.list.d/mailseal-deb-src.sources (deb-src
#                twins of the Debian entries already configured) unless some
#                deb-src for exim4 already works; idempotent.
#   2. deps      apt-get installs the missing build packages (non-interactive).
#   3. fetch     apt-get source exim4 into EXIM_SRC_CACHE (skipped if there).
#   4. configure writes Local/Makefile (Debian's heavy flavour, less the
#                features that need extra libraries: see STATIC.md) and
#                Local/mailseal.mk (the local_scan file, its flags, libs);
#                a file is rewritten only when its content changes, so an
#                unchanged configuration keeps every object file.
#   5. compile   make -jJOBS exim (only the exim binary; no utilities, no
#                eximon, no docs). local_scan.o is always recompiled and the
#                binary relinked, so changes to the module, its headers or
#                the archive are always picked up.
#   6. install   copies the binary to OUTDIR/exim (plus the symlink
#                OUTDIR/exim4 -> exim) and the generated Local/Makefile and
#                Local/mailseal.mk to OUTDIR/Local.*.
#
# The binary is not setuid. Run it as root with -C /abs/config: like Debian's,
# it then drops to EXIM_RUN_USER (see exim/STATIC.md). Its compiled-in
# exim_path is OUTDIR/exim4 (Debian renames the binary; the symlink points at
# OUTDIR/exim), so the daemon re-executes this binary, not /usr/sbin/exim4,
# for deliveries. Setting exim_path in the test config is still clearer.
#
# Must run as root on Debian 12. Exits non-zero with a message naming the
# stage on any failure.

set -Eeuo pipefail

STAGE=setup
BUILD_LOG=
die() {
	echo "build-exim-static: ERROR (stage $STAGE): $*" >&2
	exit 1
}
on_err() {
	rc=$?
	echo "build-exim-static: ERROR: stage '$STAGE' failed (exit $rc) at line $1" >&2
	if [ -n "$BUILD_LOG" ] && [ -s "$BUILD_LOG" ] && [ "${VERBOSE:-0}" != 1 ]; then
		echo "---- last 40 lines of $BUILD_LOG ----" >&2
		tail -n 40 "$BUILD_LOG" >&2
	fi
	exit "$rc"
}
trap 'on_err $LINENO' ERR

now() { date +%s.%N; }
T_ALL=$(now)
T_STAGE=$T_ALL
stage() {
	local t
	t=$(now)
	if [ "$STAGE" != setup ]; then
		awk -v s="$STAGE" -v a="$T_STAGE" -v b="$t" 'BEGIN { printf "build-exim-static: stage %-9s %6.1fs\n", s, b - a }'
	fi
	STAGE=$1
	T_STAGE=$t
}

# write_if_changed FILE: stdin becomes FILE only if it differs (keeps mtime).
write_if_changed() {
	local tmp
	tmp=$(mktemp "$1.XXXXXX")
	cat >"$tmp"
	if [ -f "$1" ] && cmp -s "$tmp" "$1"; then
		rm -f "$tmp"
		return 1
	fi
	chmod 0644 "$tmp"
	mv -f "$tmp" "$1"
	return 0
}

usage() {
	sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

[ $# -ge 2 ] && [ $# -le 4 ] || usage
OUTDIR=$1
SCAN_SRC=$2
EXTRA_CFLAGS=${3-${EXTRA_CFLAGS:-}}
EXTRA_LIBS=${4-${EXTRA_LIBS:-}}

[ "$(id -u)" = 0 ] || die "must run as root (installs packages, sets up apt)"
[ -f "$SCAN_SRC" ] || die "local_scan source not found: $SCAN_SRC"
mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd -P)
SCAN_SRC=$(cd "$(dirname "$SCAN_SRC")" && pwd -P)/$(basename "$SCAN_SRC")
case "$SCAN_SRC$OUTDIR" in
*[\"\\\ \$\#]*) die "paths must not contain spaces, quotes, backslashes, '\$' or '#': $SCAN_SRC, $OUTDIR" ;;
esac
for w in $EXTRA_LIBS; do
	case "$w" in
	-*) ;;
	*) [ -e "$w" ] || die "EXTRA_LIBS names a file that does not exist: $w" ;;
	esac
done
SRC_CACHE=${EXIM_SRC_CACHE:-$OUTDIR/src}
mkdir -p "$SRC_CACHE"
SRC_CACHE=$(cd "$SRC_CACHE" && pwd -P)
RUN_USER=${EXIM_RUN_USER:-Debian-exim}
JOBS=${JOBS:-$(nproc)}
BUILD_LOG=$OUTDIR/build.log

# One build per OUTDIR at a time.
exec 9>"$OUTDIR/.lock"
flock -n 9 || { echo "build-exim-static: waiting for another build in $OUTDIR" >&2; flock 9; }

export DEBIAN_FRONTEND=noninteractive
APT_UPDATED=0
apt_update() {
	if [ "$APT_UPDATED" = 0 ]; then
		apt-get -o DPkg::Lock::Timeout=600 update -qq || die "apt-get update failed"
		APT_UPDATED=1
	fi
}

# ---------------------------------------------------------------- deb-src
stage deb-src
# shellcheck source=/dev/null
. /etc/os-release
CODENAME=${VERSION_CODENAME:-bookworm}
[ "$CODENAME" = bookworm ] || echo "build-exim-static: warning: this is $CODENAME, not bookworm" >&2
SRC_LIST=/etc/apt/sources.list.d/mailseal-deb-src.sources
have_src() { [ -n "$(apt-cache showsrc exim4 2>/dev/null | sed -n 's/^Version: //p' | head -n1)" ]; }
if have_src; then
	echo "build-exim-static: deb-src for exim4 already configured"
else
	# deb-src twins of every enabled Debian entry for this release, in deb822.
	{
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] && [ "$f" != "$SRC_LIST" ] || continue
			awk -v code="$CODENAME" '
				function flush() {
					if (types ~ /(^| )deb( |$)/ && suites ~ code && uris ~ /debian/ && enabled !~ /^[Nn]o/) {
						print "Types: deb-src"; print "URIs: " uris; print "Suites: " suites
						print "Components: " comps
						if (signed != "") print "Signed-By: " signed
						print ""
					}
					types = uris = suites = comps = signed = enabled = ""
				}
				/^[ \t]*$/ { flush(); next }
				/^#/ { next }
				{ k = $1; sub(/:$/, "", k); v = $0; sub(/^[^:]*:[ \t]*/, "", v) }
				k == "Types" { types = v } k == "URIs" { uris = v } k == "Suites" { suites = v }
				k == "Components" { comps = v } k == "Signed-By" { signed = v } k == "Enabled" { enabled = v }
				END { flush() }' "$f"
		done
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			awk -v code="$CODENAME" '
				$1 == "deb" {
					i = 2; opts = ""
					if ($2 ~ /^\[/) { while ($i !~ /\]$/) { opts = opts " " $i; i++ } opts = opts " " $i; i++ }
					if ($(i+1) ~ code && $i ~ /debian/) {
						printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $i, $(i+1)
						for (j = i + 2; j <= NF; j++) printf " %s", $j
						if (match(opts, /signed-by=[^] ]*/)) printf "\nSigned-By: %s", substr(opts, RSTART + 10, RLENGTH - 10)
						printf "\n\n"
					}
				}' "$f"
		done
	} >"$SRC_LIST.new"
	if [ ! -s "$SRC_LIST.new" ]; then
		printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
			"$CODENAME" "$CODENAME" >"$SRC_LIST.new"
	fi
	mv -f "$SRC_LIST.new" "$SRC_LIST"
	echo "build-exim-static: wrote $SRC_LIST"
	apt_update
	have_src || die "still no exim4 source package after adding $SRC_LIST (see: apt-cache showsrc exim4)"
fi

# ---------------------------------------------------------------- deps
stage deps
# Minimal: compiler, dpkg-source, Exim's hard needs (Berkeley DB for hints,
# PCRE2, GnuTLS as Debian uses), and what our module links with.
BUILD_DEPS=${EXIM_BUILD_DEPS:-"build-essential dpkg-dev xz-utils pkg-config libdb5.3-dev libpcre2-dev libgnutls28-dev libssl-dev libunbound-dev libhiredis-dev"}
missing=
for p in $BUILD_DEPS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "build-exim-static: installing:$missing"
	apt_update
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null || die "apt-get install failed for:$missing"
else
	echo "build-exim-static: build packages present"
fi

# ---------------------------------------------------------------- fetch
stage fetch
TREE=
if [ -n "${EXIM_SRC_VERSION:-}" ]; then
	d=$SRC_CACHE/exim4-$EXIM_SRC_VERSION
	[ -f "$d/.unpacked" ] && TREE=$d
else
	for d in "$SRC_CACHE"/exim4-*/; do
		[ -f "$d/.unpacked" ] && TREE=${d%/}
	done
fi
if [ -n "$TREE" ]; then
	echo "build-exim-static: reusing $TREE"
else
	if [ -n "${EXIM_SRC_VERSION:-}" ]; then
		candidates=$EXIM_SRC_VERSION
	else
		# Installed heavy daemon's version first, then newest to oldest.
		inst=$(dpkg-query -W -f='${Version}' exim4-daemon-heavy 2>/dev/null || true)
		all=$(apt-cache showsrc exim4 | sed -n 's/^Version: //p' | sort -u | sort -r -V)
		candidates=$( { [ -n "$inst" ] && echo "$inst"; echo "$all"; } | awk 'NF && !seen[$0]++')
	fi
	[ -n "$candidates" ] || die "no exim4 source version known to apt"
	got=
	for v in $candidates; do
		work=$SRC_CACHE/.fetch
		rm -rf "$work"
		mkdir -p "$work"
		echo "build-exim-static: apt-get source exim4=$v"
		if (cd "$work" && apt-get source -qq "exim4=$v") >"$work.log" 2>&1; then
			dir=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'exim4-*' | head -n1)
			[ -n "$dir" ] && [ -f "$dir/src/EDITME" ] || die "apt-get source exim4=$v left no source tree (log: $work.log)"
			rm -rf "$SRC_CACHE/exim4-$v"
			mv "$dir" "$SRC_CACHE/exim4-$v"
			date -u +%FT%TZ >"$SRC_CACHE/exim4-$v/.unpacked"
			rm -rf "$work"
			got=$v
			break
		fi
		echo "build-exim-static: exim4=$v could not be fetched: $(grep -E '^E:' "$work.log" | head -n1)" >&2
	done
	[ -n "$got" ] || die "could not fetch any exim4 source (tried: ${candidates//$'\n'/ }); last log: $SRC_CACHE/.fetch.log"
	TREE=$SRC_CACHE/exim4-$got
	inst=$(dpkg-query -W -f='${Version}' exim4-daemon-heavy 2>/dev/null || true)
	if [ -n "$inst" ] && [ "$inst" != "$got" ]; then
		echo "build-exim-static: note: source $got differs from installed exim4-daemon-heavy $inst" >&2
	fi
fi
SRC_VERSION=${TREE##*/exim4-}

# ---------------------------------------------------------------- configure
stage configure
cd "$TREE"
mkdir -p Local
# Debian's exim4-daemon-heavy settings (debian/EDITME.exim4-*.diff), less
# DLOPEN_LOCAL_SCAN / -rdynamic / -fvisibility=hidden (the module is linked
# in) and less the features that pull in extra -dev packages (LDAP, MySQL,
# PostgreSQL, SQLite, NIS, Cyrus SASL, PAM, Perl, SPF, IDN, content scanning).
if write_if_changed Local/Makefile <<EOF
# Generated by mailseal scripts/build-exim-static.sh - do not edit.
BIN_DIRECTORY=$OUTDIR
CONFIGURE_FILE=/etc/exim4/exim4.conf:/var/lib/exim4/config.autogenerated
EXIM_USER=ref:$RUN_USER
EXIM_GROUP=ref:$RUN_USER
SPOOL_DIRECTORY=/var/spool/exim4
CFLAGS=-O2 -fno-strict-aliasing -D_FILE_OFFSET_BITS=64 -D_LARGEFILE_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong -Wformat -Werror=format-security
LFLAGS=-Wl,-z,relro -Wl,-z,now
USE_GNUTLS=yes
TLS_LIBS=-lgnutls -lgnutls-dane
SUPPORT_DANE=yes
PCRE2_CONFIG=yes
ROUTER_ACCEPT=yes
ROUTER_DNSLOOKUP=yes
ROUTER_IPLITERAL=yes
ROUTER_MANUALROUTE=yes
ROUTER_QUERYPROGRAM=yes
ROUTER_REDIRECT=yes
ROUTER_IPLOOKUP=yes
TRANSPORT_APPENDFILE=yes
TRANSPORT_AUTOREPLY=yes
TRANSPORT_PIPE=yes
TRANSPORT_SMTP=yes
TRANSPORT_LMTP=yes
SUPPORT_MAILDIR=yes
SUPPORT_MAILSTORE=yes
SUPPORT_MBX=yes
LOOKUP_DBM=yes
LOOKUP_LSEARCH=yes
LOOKUP_DNSDB=yes
LOOKUP_CDB=yes
LOOKUP_DSEARCH=yes
LOOKUP_PASSWD=yes
AUTH_CRAM_MD5=yes
AUTH_DOVECOT=yes
AUTH_EXTERNAL=yes
AUTH_PLAINTEXT=yes
AUTH_SPA=yes
AUTH_TLS=yes
SUPPORT_SRS=yes
SUPPORT_SOCKS=yes
SUPPORT_PROXY=yes
SUPPORT_MOVE_FROZEN_MESSAGES=yes
EXPAND_DLFUNC=yes
FIXED_NEVER_USERS=root
TRUSTED_CONFIG_LIST=/etc/exim4/trusted_configs
WHITELIST_D_MACROS=OUTGOING
HEADERS_CHARSET="UTF-8"
LOG_FILE_PATH=/var/log/exim4/%slog
SYSLOG_LOG_PID=yes
EXICYCLOG_MAX=10
COMPRESS_COMMAND=/bin/gzip
COMPRESS_SUFFIX=gz
ZCAT_COMMAND=zcat
SYSTEM_ALIASES_FILE=/etc/aliases
EXIM_TMPDIR="/tmp"
MAX_NAMED_LIST=32
PID_FILE_PATH=/run/exim4/exim.pid
HAVE_IPV6=YES
HAVE_LOCAL_SCAN=yes
LOCAL_SCAN_SOURCE=Local/mailseal_local_scan.c
include ../Local/mailseal.mk
EOF
then
	echo "build-exim-static: Local/Makefile changed (full rebuild)"
fi
# Volatile settings live in an included file, so changing them never
# regenerates config.h (which would recompile everything).
write_if_changed Local/mailseal.mk <<EOF || true
# Generated by mailseal scripts/build-exim-static.sh - do not edit.
EXTRALIBS_EXIM=$EXTRA_LIBS
local_scan.o: CFLAGS += $EXTRA_CFLAGS
EOF
# Exim's rule compiles ../\$(LOCAL_SCAN_SOURCE), relative to the tree: a
# one-line wrapper includes the real file by absolute path, so its own
# quoted includes resolve next to it.
write_if_changed Local/mailseal_local_scan.c <<EOF || true
/* Generated by mailseal scripts/build-exim-static.sh - do not edit. */
#include "$SCAN_SRC"
EOF

# ---------------------------------------------------------------- compile
stage compile
buildname=build-$(sh scripts/os-type)-$(sh scripts/arch-type)
# No stale binary survives a failed build.
rm -f "$buildname/local_scan.o" "$buildname/exim" "$OUTDIR/exim"
if [ "${VERBOSE:-0}" = 1 ]; then
	make -j"$JOBS" exim 2>&1 | tee "$BUILD_LOG"
else
	echo "build-exim-static: make -j$JOBS exim in $TREE (log: $BUILD_LOG)"
	make -j"$JOBS" exim >"$BUILD_LOG" 2>&1
fi
[ -x "$buildname/exim" ] || die "make finished but $TREE/$buildname/exim is missing (log: $BUILD_LOG)"
nm "$buildname/exim" | grep -c ' T local_scan$' >/dev/null || die "the built exim defines no local_scan()"

# ---------------------------------------------------------------- install
stage install
install -m 0755 "$buildname/exim" "$OUTDIR/exim.new"
mv -f "$OUTDIR/exim.new" "$OUTDIR/exim"
# Debian's patches make the compiled-in exim_path BIN_DIRECTORY/exim4.
ln -sfn exim "$OUTDIR/exim4"
install -m 0644 Local/Makefile "$OUTDIR/Local.Makefile"
install -m 0644 Local/mailseal.mk "$OUTDIR/Local.mailseal.mk"
printf 'exim4 source %s\nlocal_scan %s\nextra cflags %s\nextra libs %s\n' \
	"$SRC_VERSION" "$SCAN_SRC" "$EXTRA_CFLAGS" "$EXTRA_LIBS" >"$OUTDIR/BUILD-INFO"

stage finish
awk -v a="$T_ALL" -v b="$(now)" -v o="$OUTDIR" -v v="$SRC_VERSION" \
	'BEGIN { printf "build-exim-static: total %.1fs -> %s/exim (Debian exim4 %s)\n", b - a, o, v }'
