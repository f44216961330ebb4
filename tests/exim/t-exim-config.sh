#!/bin/bash
# t-exim-config.sh - the default configuration file as Exim's user sees
# it: one that cannot be read is an error (451 4.3.5, a log line naming
# the file), never "absent"; one that does not exist means the built-in
# defaults, said once in the log.
#
# The default path is compiled in (SYSCONFDIR), so this builds the
# module and the command once more, into the test's own directory, with
# SYSCONFDIR there; nothing under /etc is touched.  Exim (Debian's,
# run with -C) drops to Debian-exim, like the installed one: a
# configuration directory of mode 0700 owned by root is what "install
# -d -m 0700 /etc/mailseal" gives an administrator.
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
case "${MAILSEAL_BUILD:-build}" in
*san*)
	echo "# not repeated for ${MAILSEAL_BUILD}: Exim loads a normal build's module"
	exit 0 ;;
esac
HERE=$ROOT/tests/exim
fails=0
T=$(mktemp -d)
chmod 755 "$T"
. "$ROOT/tests/lib/check.sh"
. "$ROOT/tests/lib/nsd.sh"
. "$HERE/lib.sh"
EXIM_HOME="$T/exim"
mkdir "$EXIM_HOME"
trap 'exim_stop_all; [ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"; rm -rf "$T"' EXIT
cd "$T" || exit 1

ETC=$T/etc/mailseal
B=$T/build
if ! make -s -C "$ROOT" BUILD="$B" SYSCONFDIR="$ETC" "$B/mailseal" "$B/mailseal_exim.so" > make.out 2>&1; then
	nok "a module and command with SYSCONFDIR=$ETC build - $(tail -3 make.out | tr '\n' ' ')"
	exit 1
fi
M=$B/mailseal
mkdir -p "$ETC"
printf 'require_signed = bank.example\nauthserv_id = mx.example.com\ndns_timeout = 300ms\n' > "$ETC/mailseal.conf"
chmod 644 "$ETC/mailseal.conf"

mkdir msg
forged() {
	printf 'From: ceo@bank.example\r\nTo: rcpt@example.net\r\nSubject: %s\r\nMessage-ID: <%s@t>\r\n\r\nbody\r\n' \
		"$1" "$1" > "msg/$1.eml"
}
as_exim() { setpriv --reuid=Debian-exim --regid=Debian-exim --clear-groups "$@"; }
lastlog() { grep 'mailseal:' "$(exim_log cfg)" | tail -1; }

# the directory closed to Debian-exim
chmod 700 "$ETC"
if ! exim_start cfg "$B/mailseal_exim.so" ""; then
	nok "Exim starts with the module (default configuration path)"
	exit 1
fi
forged f1
exim_send cfg msg/f1.eml
case $EXIM_REPLY in
451*4.3.5*) ok "an unreadable configuration directory: 451 4.3.5 ($EXIM_REPLY)" ;;
*) nok "an unreadable configuration directory - wanted 451 4.3.5, got \"$EXIM_REPLY\"" ;;
esac
if lastlog | grep -q "$ETC/mailseal.conf: Permission denied"; then
	ok "the log line names the file and why"
else
	nok "the log line names the file - got: $(lastlog)"
fi
[ "$(exim_count cfg)" = 0 ] && ok "nothing delivered" || nok "a message was delivered"

out=$(as_exim "$M" config check 2>&1); rc=$?
if [ "$rc" != 0 ] && printf '%s' "$out" | grep -q "$ETC/mailseal.conf: Permission denied"; then
	ok "config check as Debian-exim fails, naming the file ($out)"
else
	nok "config check as Debian-exim - exit $rc: $out"
fi

# opened: the rule it holds applies
chmod 755 "$ETC"
forged f2
exim_send cfg msg/f2.eml
case $EXIM_REPLY in
550*5.7.20*) ok "the configuration readable again: the forgery is refused ($EXIM_REPLY)" ;;
*) nok "readable configuration - wanted 550 5.7.20, got \"$EXIM_REPLY\"" ;;
esac
out=$(as_exim "$M" config check 2>/dev/null); rc=$?
[ "$rc" = 0 ] && [ "$out" = "$ETC/mailseal.conf: ok" ] && ok "config check as Debian-exim: ok" \
	|| nok "config check as Debian-exim - exit $rc: $out"

# caught empty, as while cp rewrites it in place: 451, never the
# defaults (which would let the forgery through)
cp -p "$ETC/mailseal.conf" "$ETC/full.conf"
: > "$ETC/mailseal.conf"
forged f4
mark=$(wc -l < "$(exim_log cfg)")
exim_send cfg msg/f4.eml
case $EXIM_REPLY in
451*4.3.5*) ok "an empty configuration file: 451 4.3.5, not the defaults ($EXIM_REPLY)" ;;
*) nok "an empty configuration file - wanted 451 4.3.5, got \"$EXIM_REPLY\"" ;;
esac
tail -n +"$((mark + 1))" "$(exim_log cfg)" | grep -q "$ETC/mailseal.conf: the file is empty" \
	&& ok "... the log names the file and says it is empty" \
	|| nok "... no log line about the empty file: $(tail -n +"$((mark + 1))" "$(exim_log cfg)" | grep mailseal | head -3 | tr '\n' '|')"
mv "$ETC/full.conf" "$ETC/mailseal.conf"

# gone: the built-in defaults, and the log says so
mv "$ETC/mailseal.conf" "$ETC/old.conf"
forged f3
mark=$(wc -l < "$(exim_log cfg)")
exim_send cfg msg/f3.eml
case $EXIM_REPLY in
250*) ok "no configuration file: the defaults (nothing required): 250" ;;
*) nok "no configuration file - wanted 250, got \"$EXIM_REPLY\"" ;;
esac
if tail -n +"$((mark + 1))" "$(exim_log cfg)" | grep -q "mailseal: $ETC/mailseal.conf does not exist: running on built-in defaults"; then
	ok "the log says the built-in defaults are in use"
else
	nok "no line about the built-in defaults: $(tail -n +"$((mark + 1))" "$(exim_log cfg)" | grep mailseal | head -3 | tr '\n' '|')"
fi
out=$(as_exim "$M" config check 2>/dev/null); rc=$?
[ "$rc" = 0 ] && [ "$out" = "(no configuration file: defaults): ok" ] \
	&& ok "config check without a file: the defaults" || nok "config check without a file - exit $rc: $out"

[ -z "$(exim_panics cfg)" ] && ok "no panic" || nok "panics: $(exim_panics cfg | head -3)"
exit $((fails > 0))
