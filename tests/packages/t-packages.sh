#!/bin/bash
# t-packages.sh - the Debian packages (debian/): built from a copy of the
# tree with dpkg-buildpackage -b (Debian's build dependencies, no
# network), checked by lintian (no error or warning), their contents
# (the command, the Exim module and its conf.d snippet, the daemon, its
# hardened unit, the man pages, the conffiles), then installed into a
# clean root of their own (a fresh dpkg database: dpkg --root --unpack)
# and run from there as systemd would run the unit: mailseal-postfix's
# own postinst (the service user, the sockets' directory) and the
# unit's lines (RuntimeDirectory, ExecStartPre=+, ExecStart as User= with
# SupplementaryGroups=, ExecReload=), in a private mount namespace where
# /var/spool/postfix, /run/mailseal and systemd's state directories are
# the test's own; a signed and a forged message through the installed
# daemon's milter socket (keys in a real nsd).  Nothing is written
# outside the test's directory but the system user mailseal that the
# postinst makes (adduser --system), as a package install would.  The
# packages in a debootstrapped Debian 12 with its own Postfix: `make
# package-test` (not CI: a mirror and minutes; debian/README.source).
# Runs once, for the normal build's pass (MAILSEAL_BUILD=build).
# KEEP_T=DIR keeps a copy of the work directory.
set -u
umask 022
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${MAILSEAL_BUILD:-build}
M=${MAILSEAL:-$ROOT/$BUILD/mailseal}
PROBE="/usr/bin/python3 $ROOT/tests/postfix/pd_probe.py"
. "$ROOT/tests/lib/check.sh"
. "$ROOT/tests/lib/nsd.sh"
. "$ROOT/tests/lib/keys.sh"
if [ "$BUILD" != build ]; then
	ok "# skipped: the packages are built once, in the pass of the normal build"
	exit 0
fi
[ "$(id -u)" = 0 ] || { ok "# skipped: installing into a root and a mount namespace need root"; exit 0; }
for c in dpkg-buildpackage lintian dh unshare adduser; do
	command -v "$c" > /dev/null || { nok "$c is installed (scripts/install-deps.sh)"; exit 1; }
done
getent group postfix > /dev/null || groupadd --system postfix || { nok "group postfix"; exit 1; }
T=$(mktemp -d /tmp/t-packages.XXXXXX) || exit 1
chmod 0755 "$T"
cleanup() {
	local p
	p=$(cat "$T/pd.pid" 2> /dev/null) && [ -n "$p" ] && kill -KILL "$p" 2> /dev/null
	nsd_stop
	[ -n "${KEEP_T:-}" ] && cp -a "$T" "$KEEP_T"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$T" || exit 1

# --- 1. build -----------------------------------------------------------------
mkdir src
(cd "$ROOT" && tar --exclude=./build --exclude=./.git -cf - .) | tar -xf - -C src
start=$(date +%s)
(cd src && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -b -us -uc) > build.log 2>&1
rc=$?
V=$(cd src && dpkg-parsechangelog -S Version)
A=$(dpkg --print-architecture)
debs="mailseal_${V}_$A.deb mailseal-exim_${V}_$A.deb mailseal-postfix_${V}_$A.deb"
missing=""
for d in $debs; do [ -f "$d" ] || missing="$missing $d"; done
[ $rc = 0 ] && [ -z "$missing" ] \
	&& ok "1: dpkg-buildpackage -b builds the three packages ($(($(date +%s) - start)) s)" \
	|| { nok "1: dpkg-buildpackage - status $rc, missing:$missing: $(tail -n 5 build.log | oneline)"; exit 1; }

# --- 2. lintian: no error, no warning ----------------------------------------
lintian --no-tag-display-limit "mailseal_${V}_$A.changes" > lintian.out 2>&1
bad=$(grep -E '^[EW]: ' lintian.out)
[ -z "$bad" ] && ok "2: lintian: no error or warning" \
	|| nok "2: lintian - $(printf '%s' "$bad" | oneline)"

# --- 3. what each package holds ---------------------------------------------
# has DEB PATH...: each path in the package
has() {
	local deb=$1 p list
	shift
	list=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
	for p in "$@"; do printf '%s\n' "$list" | grep -qx -- "$p" || { echo "$p"; return 1; }; done
}
m=$(has "mailseal_${V}_$A.deb" /usr/bin/mailseal /usr/share/man/man1/mailseal.1.gz \
	/etc/mailseal/mailseal.conf /usr/share/doc/mailseal/postfix.md /usr/share/doc/mailseal/keys.md) &&
e=$(has "mailseal-exim_${V}_$A.deb" /usr/lib/mailseal/mailseal_exim.so /etc/exim4/conf.d/main/00_mailseal) &&
p=$(has "mailseal-postfix_${V}_$A.deb" /usr/sbin/mailseal-policyd /lib/systemd/system/mailseal-policyd.service \
	/usr/share/man/man8/mailseal-policyd.8.gz) \
	&& ok "3: the command, the Exim module and snippet, the daemon, its unit, the man pages" \
	|| nok "3: missing: ${m:-}${e:-}${p:-}"
cf=$(dpkg-deb -I "mailseal_${V}_$A.deb" conffiles; dpkg-deb -I "mailseal-exim_${V}_$A.deb" conffiles)
printf '%s\n' "$cf" | grep -qx /etc/mailseal/mailseal.conf && printf '%s\n' "$cf" | grep -qx /etc/exim4/conf.d/main/00_mailseal \
	&& ok "3b: mailseal.conf and the Exim snippet are conffiles" || nok "3b: conffiles - $(printf '%s' "$cf" | oneline)"
dpkg-deb --fsys-tarfile "mailseal-exim_${V}_$A.deb" | tar -xOf - ./etc/exim4/conf.d/main/00_mailseal |
	grep -qx 'local_scan_path = /usr/lib/mailseal/mailseal_exim.so' \
	&& ok "3c: the Exim snippet names the packaged module in local_scan_path" || nok "3c: the Exim snippet"
dpkg-deb --fsys-tarfile "mailseal-postfix_${V}_$A.deb" | tar -xOf - ./lib/systemd/system/mailseal-policyd.service > unit
want="User=mailseal SupplementaryGroups=postfix RuntimeDirectory=mailseal ProtectSystem=full PrivateTmp=yes NoNewPrivileges=yes"
miss=""
for w in $want; do grep -qx "$w" unit || miss="$miss $w"; done
[ -z "$miss" ] && grep -qx 'ExecStart=/usr/sbin/mailseal-policyd -f -c /etc/mailseal/mailseal.conf' unit \
	&& ok "3d: the packaged unit: its own user, group postfix, /run/mailseal, hardened, /usr/sbin" \
	|| nok "3d: the unit lacks$miss: $(oneline < unit)"

# --- 4. installed into a clean root --------------------------------------------
R=$T/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" && : > "$R/var/lib/dpkg/status"
# shellcheck disable=SC2086
dpkg --root="$R" --force-depends --unpack $debs > unpack.log 2>&1
rc=$?
st=$(dpkg --root="$R" -l mailseal mailseal-exim mailseal-postfix 2> /dev/null | awk '/^.U/ { print $2 }' | sort | tr '\n' ' ')
[ $rc = 0 ] && [ "$st" = "mailseal mailseal-exim mailseal-postfix " ] && [ -x "$R/usr/sbin/mailseal-policyd" ] \
	&& ok "4: the three packages unpack into a fresh root (dpkg --root)" \
	|| nok "4: unpack - status $rc, unpacked '$st': $(oneline < unpack.log)"

# the daemon's configuration: the package's conffile (unpacked, not
# configured: still .dpkg-new), plus keys (nsd)
keys_start "$T/keys.conf" 'require_signed = example.com' || { nok "nsd and the key start"; exit 1; }
chmod 0644 keys/old.private
{ cat "$R/etc/mailseal/mailseal.conf.dpkg-new"; cat keys.conf; } > "$R/etc/mailseal/mailseal.conf"

# --- 5. run as systemd runs the unit, in a private mount namespace -----------
mkdir -p varspool run sdstate sdetc
cat > unit.sh <<'EOS'
# the postinst, then the unit's lines; /usr/sbin and /etc/mailseal are
# the root's; stdout: what happened, one "step: ..." a line
set -u
R=$1 T=$2
# nothing is created outside $T: only directories that exist are
# mounted over (/var/spool, /run, systemd's two), and the unit's
# /usr/sbin and /etc/mailseal are read as the root's
for d in /var/spool /run /etc/systemd/system /var/lib/systemd; do
	[ -d "$d" ] || { echo "mount: no $d"; exit 1; }
done
mount --bind "$T/varspool" /var/spool && mount --bind "$T/run" /run &&
	mount --bind "$T/sdetc" /etc/systemd/system &&
	mount --bind "$T/sdstate" /var/lib/systemd || exit 1
mkdir -p /var/spool/postfix /run/mailseal
sh "$R/var/lib/dpkg/info/mailseal-postfix.postinst" configure > "$T/postinst.out" 2>&1
echo "postinst: $?"
U="$R/lib/systemd/system/mailseal-policyd.service"
val() { sed -n "s/^$1=//p" "$U"; }
# RuntimeDirectory= (owner User, RuntimeDirectoryMode=)
chown "$(val User):$(val Group)" /run/mailseal && chmod "$(val RuntimeDirectoryMode)" /run/mailseal
# ExecStartPre=+ (as root)
val ExecStartPre | while read -r l; do sh -c "${l#+}" || echo "execstartpre: failed $l"; done
# ExecStart as User, Group, SupplementaryGroups
inroot() { sed "s|/usr/sbin/|$R/usr/sbin/|g; s|/etc/mailseal/|$R/etc/mailseal/|g"; }
start=$(val ExecStart | inroot)
setpriv --reuid "$(val User)" --regid "$(val Group)" --groups "$(val SupplementaryGroups)" \
	--no-new-privs -- $start 2>> "$T/pd.log" &
pid=$!
echo "$pid" > "$T/pd.pid"
for i in $(seq 1 100); do
	grep -q 'info: started with' "$T/pd.log" && break
	kill -0 "$pid" 2> /dev/null || break
	sleep 0.05
done
echo "started: $(grep -c 'info: started with' "$T/pd.log")"
echo "uid: $(awk '/^Uid:/ { print $2 }' /proc/$pid/status)"
echo "sock: $(stat -c '%U %G %a' /var/spool/postfix/mailseal/milter.sock)"
echo "dir: $(stat -c '%U %G %a' /var/spool/postfix/mailseal)"
echo "rundir: $(stat -c '%U %G %a' /run/mailseal)"
PROBE=$3
$PROBE milter /var/spool/postfix/mailseal/milter.sock "$T/msg/s1.eml" auth_authen=alice > "$T/s1.out" 2>&1
# the signed message, as a receiving server gets it: verified
sig=$(sed -n 's/^insheader 0 DKIM-Signature: //p' "$T/s1.out" | sed 's/\\n/\r\n/g')
{ printf 'DKIM-Signature: %s\r\n' "$sig"; cat "$T/msg/s1.eml"; } > "$T/s1.signed"
$PROBE milter /var/spool/postfix/mailseal/milter.sock "$T/s1.signed" > "$T/v1.out" 2>&1
$PROBE milter /var/spool/postfix/mailseal/milter.sock "$T/msg/f1.eml" > "$T/f1.out" 2>&1
# ExecReload=: -t first; a broken configuration stops the reload there
echo 'frobnicate = 1' >> "$R/etc/mailseal/mailseal.conf"
(set -e; val ExecReload | inroot | while read -r l; do l=${l//\$MAINPID/$pid}; setpriv --reuid "$(val User)" --regid "$(val Group)" --groups "$(val SupplementaryGroups)" -- sh -c "$l" || exit 1; done) > "$T/reload.out" 2>&1
echo "reload-broken: $?"
sed -i '/^frobnicate/d' "$R/etc/mailseal/mailseal.conf"
(set -e; val ExecReload | inroot | while read -r l; do l=${l//\$MAINPID/$pid}; setpriv --reuid "$(val User)" --regid "$(val Group)" --groups "$(val SupplementaryGroups)" -- sh -c "$l" || exit 1; done) >> "$T/reload.out" 2>&1
echo "reload-good: $?"
for i in $(seq 1 100); do grep -q 'info: reloaded' "$T/pd.log" && break; sleep 0.05; done
echo "reloaded: $(grep -c 'info: reloaded' "$T/pd.log")"
kill -TERM "$pid"
for i in $(seq 1 200); do kill -0 "$pid" 2> /dev/null || break; sleep 0.05; done
echo "stopped: $(kill -0 "$pid" 2> /dev/null && echo no || echo yes)"
EOS
keys_msg s1
keys_msg f1
unshare -m --propagation private bash unit.sh "$R" "$T" "$PROBE" > unit.out 2>&1
say() { sed -n "s/^$1: //p" unit.out; }
uid=$(id -u mailseal 2> /dev/null)
[ "$(say postinst)" = 0 ] && [ -n "$uid" ] && [ "$(say dir)" = "mailseal postfix 750" ] \
	&& ok "5: the package's postinst makes the user mailseal and /var/spool/postfix/mailseal (mailseal:postfix 0750)" \
	|| nok "5: postinst - status $(say postinst), uid '$uid', dir $(say dir): $(oneline < postinst.out)"
[ "$(say started)" = 1 ] && [ "$(say uid)" = "$uid" ] && [ "$(say sock)" = "mailseal postfix 660" ] \
	&& [ "$(say rundir)" = "mailseal postfix 750" ] \
	&& ok "5b: the unit's daemon runs as mailseal; sockets in the chroot (group postfix, 0660), /run/mailseal group postfix" \
	|| nok "5b: started $(say started), uid $(say uid), sock $(say sock), rundir $(say rundir): $(oneline < pd.log)"
grep -q '^insheader 0 DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=old;' s1.out \
	&& ok "5c: an authenticated message is signed by the installed daemon" || nok "5c: signing - $(oneline < s1.out)"
grep -q '^insheader 0 Authentication-Results: mx-auth.example.com;.*dkim=pass header.d=example.com header.s=old' v1.out \
	&& grep -qx continue v1.out \
	&& ok "5d: the signed message, received: dkim=pass, accepted" || nok "5d: verifying - $(oneline < v1.out)"
grep -q '^reply 550 5.7.20 ' f1.out \
	&& ok "5e: a forged one (From example.com, unsigned): 550 5.7.20" || nok "5e: forged - $(oneline < f1.out)"
[ "$(say reload-broken)" = 1 ] && grep -q 'unknown setting "frobnicate"' reload.out \
	&& [ "$(say reload-good)" = 0 ] && [ "$(say reloaded)" = 1 ] && [ "$(say stopped)" = yes ] \
	&& ok "5f: ExecReload= refuses a broken configuration (-t), reloads a good one; SIGTERM stops" \
	|| nok "5f: reload broken $(say reload-broken), good $(say reload-good), reloaded $(say reloaded), stopped $(say stopped): $(oneline < reload.out)"
[ $fails = 0 ]
