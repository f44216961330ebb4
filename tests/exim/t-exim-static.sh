#!/bin/bash
# t-exim-static.sh - the scenarios of t-exim.sh against Exim built from
# Debian's source with the module compiled in (LOCAL_SCAN_SOURCE), as
# "make exim-static" leaves it in build/exim-static/exim.  Like
# t-exim.sh, it runs once (the normal build's pass): the module inside
# is always built over the normal library.
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=$ROOT/build/exim-static/exim
case "${MAILSEAL_BUILD:-build}" in
*san*)
	case " ${MAILSEAL_BUILDS:-} " in
	*" build "*)
		echo "# not repeated for ${MAILSEAL_BUILD}: the static Exim holds the normal build's module, tested in the build pass"
		exit 0 ;;
	esac ;;
esac
if [ ! -x "$BIN" ]; then
	echo "not ok static Exim is built - $BIN is missing (make exim-static)"
	exit 1
fi
if [ "$BIN" -ot "$ROOT/build/libmailseal.a" ] || [ "$BIN" -ot "$ROOT/exim/mailseal_exim.c" ]; then
	echo "not ok static Exim is current - $BIN is older than the module or the library (make exim-static)"
	exit 1
fi
EXIM_STATIC=$BIN exec "$ROOT/tests/exim/t-exim.sh"
