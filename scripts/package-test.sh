#!/bin/bash
# package-test.sh - `make package-test`: the Debian packages in a fresh
# Debian 12, as an administrator gets them.  Not CI: it downloads a
# system (debootstrap, about 100 MB from the mirror) and takes minutes;
# tests/packages/t-packages.sh is the CI-sized check.
#   1 the packages built from a copy of the tree (dpkg-buildpackage -b)
#   2 a fresh Debian 12 root (debootstrap --variant=minbase), /proc and
#     /dev mounted; Postfix installed in it by apt, with its own
#     postinst and Debian's main.cf and master.cf ("Internet Site")
#   3 mailseal and mailseal-postfix installed by apt from the built
#     files (dependencies from the mirror; their postinst makes the
#     user mailseal and /var/spool/postfix/mailseal)
#   4 a key for example.com (keygen in the root), published by an nsd
#     on the host's loopback; docs/postfix.md's Debian block run inside
#     the root, as written, `systemctl` standing for what systemd
#     would do: mailseal-policyd started as the packaged unit says
#     (RuntimeDirectory, ExecStartPre=+, ExecStart as User= with
#     SupplementaryGroups=) and supervised (started again when it dies,
#     Restart=on-failure); Postfix started as its unit does
#     (configure-instance.sh, postfix start), smtpd on a high port
#   5 a sendmail(1) message (signed, delivered to a local mailbox), a
#     message signed elsewhere over SMTP (dkim=pass), a forged one (550
#     5.7.20); the daemon killed: the supervisor starts it again and the
#     next message is signed
# systemd itself does not run as init here (a chroot, not a booted
# system).  PACKAGE_TEST_DIR (default /var/tmp/mailseal-package-test) is
# removed first and kept afterwards for a look; DEBIAN_MIRROR overrides
# the mirror.  The last line is "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=${PACKAGE_TEST_DIR:-/var/tmp/mailseal-package-test}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
. "$ROOT/tests/lib/check.sh"
. "$ROOT/tests/lib/nsd.sh"
[ "$(id -u)" = 0 ] || { echo "package-test: run it as root (debootstrap, chroot)"; exit 2; }
for c in debootstrap dpkg-buildpackage swaks; do
	command -v "$c" > /dev/null || { echo "package-test: $c is missing (scripts/install-deps.sh)"; exit 2; }
done
R=$W/root
SUP=""
cleanup() {
	[ -n "$SUP" ] && kill "$SUP" 2> /dev/null
	[ -f "$W/pd.pid" ] && kill -TERM "$(cat "$W/pd.pid")" 2> /dev/null
	[ -d "$R/etc/postfix" ] && chroot "$R" postfix stop > /dev/null 2>&1
	nsd_stop
	sleep 1
	umount "$R/proc" "$R/dev/pts" "$R/dev" 2> /dev/null
	echo
	echo "$((CHECK_N - fails)) passed, $fails failed (kept in $W)"
}
for m in proc dev/pts dev; do umount "$R/$m" 2> /dev/null; done
rm -rf "$W" && mkdir -p "$W/src" "$W/debs" || exit 1
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$W" || exit 1
in_root() { chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }

# --- 1. the packages -------------------------------------------------------
(cd "$ROOT" && tar --exclude=./build --exclude=./.git -cf - .) | tar -xf - -C src
(cd src && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -b -us -uc) > build.log 2>&1 \
	&& cp ./*.deb debs/ && t_ok "the packages build" \
	|| { t_nok "dpkg-buildpackage - $(tail -n 5 build.log | oneline)"; exit 1; }

# --- 2. a fresh Debian 12 with Postfix ---------------------------------------
debootstrap --variant=minbase bookworm "$R" "$MIRROR" > debootstrap.log 2>&1 \
	&& t_ok "debootstrap bookworm" || { t_nok "debootstrap - $(tail -n 3 debootstrap.log | oneline)"; exit 1; }
mount -t proc proc "$R/proc" && mount --bind /dev "$R/dev" && mount --bind /dev/pts "$R/dev/pts" ||
	{ t_nok "mounting /proc and /dev in the root"; exit 1; }
cp /etc/resolv.conf "$R/etc/resolv.conf"
echo mx.example.net > "$R/etc/mailname"
printf 'postfix postfix/main_mailer_type select Internet Site\npostfix postfix/mailname string mx.example.net\n' |
	in_root debconf-set-selections
in_root apt-get update -qq > apt.log 2>&1
in_root apt-get install -y -qq --no-install-recommends postfix procps > apt-postfix.log 2>&1 \
	&& t_ok "apt installs Postfix in the root (its postinst: Debian's main.cf, master.cf)" \
	|| { t_nok "postfix - $(tail -n 3 apt-postfix.log | oneline)"; exit 1; }

# --- 3. the packages, by apt ----------------------------------------------------
mkdir -p "$R/tmp/debs" && cp debs/mailseal_*.deb debs/mailseal-postfix_*.deb "$R/tmp/debs/"
in_root sh -c 'apt-get install -y -qq --no-install-recommends /tmp/debs/mailseal_*.deb /tmp/debs/mailseal-postfix_*.deb' \
	> apt-mailseal.log 2>&1
rc=$?
[ $rc = 0 ] && in_root getent passwd mailseal > /dev/null && [ -d "$R/var/spool/postfix/mailseal" ] \
	&& [ "$(in_root stat -c '%U %G %a' /var/spool/postfix/mailseal)" = "mailseal postfix 750" ] \
	&& t_ok "apt installs mailseal and mailseal-postfix; the postinst makes the user and the sockets' directory" \
	|| { t_nok "mailseal packages - status $rc: $(tail -n 5 apt-mailseal.log | oneline)"; exit 1; }

# --- 4. keys, the Debian block, the daemon as its unit says ------------------------
in_root mailseal keygen -d example.com -s pkg -o /etc/mailseal/keys > keygen.out 2>&1 ||
	{ t_nok "keygen - $(oneline < keygen.out)"; exit 1; }
in_root chgrp mailseal /etc/mailseal/keys/pkg.private && in_root chmod 0640 /etc/mailseal/keys/pkg.private
grep -v '^;' "$R/etc/mailseal/keys/pkg.txt" > example.com.records
nsd_zone example.com 60 example.com.records > example.com.zone
nsd_start "$W" example.com || { t_nok "nsd starts"; exit 1; }
echo 'example.com pkg /etc/mailseal/keys/pkg.private' > "$R/etc/mailseal/signing.table"
cat > "$R/etc/mailseal/mailseal.conf" <<EOC
# what an administrator adds to the packaged file (docs/admin.md)
signing_table = /etc/mailseal/signing.table
require_signed = example.com
authserv_id = mx.example.net
dns_resolver = 127.0.0.1:$NSD_PORT
EOC
PORT=$(free_port)
U=$R/lib/systemd/system/mailseal-policyd.service
val() { sed -n "s/^$1=//p" "$U"; }
# the unit, as systemd runs it: a supervisor that starts it again when it
# dies (Restart=on-failure), until told to stop
cat > "$W/supervise.sh" <<EOS
#!/bin/bash
R=$R W=$W
while [ ! -e "\$W/stop" ]; do
	mkdir -p "\$R/run/mailseal"
	chroot "\$R" chown "$(val User):$(val Group)" /run/mailseal
	chroot "\$R" chmod "$(val RuntimeDirectoryMode)" /run/mailseal
	chroot "\$R" sh -c "$(val ExecStartPre | sed 's/^+//')"
	chroot --userspec="\$(chroot "\$R" id -u $(val User)):\$(chroot "\$R" getent group $(val Group) | cut -d: -f3)" \
		--groups="\$(chroot "\$R" getent group $(val SupplementaryGroups) | cut -d: -f3)" "\$R" \
		env -i PATH=/usr/sbin:/usr/bin $(val ExecStart) >> "\$W/pd.log" 2>&1 &
	echo \$! > "\$W/pd.pid"
	wait \$!
	echo "exited: \$?" >> "\$W/pd.log"
	sleep 0.5
done
EOS
chmod +x "$W/supervise.sh"
awk '/^<!-- debian-block -->$/ { on = 1; next }
     on && /^    / { sub(/^    /, ""); print; seen = 1; next }
     on && /^$/ { next }
     on { exit }' "$ROOT/docs/postfix.md" > "$R/tmp/block.sh"
cat > "$R/tmp/run-block.sh" <<EOB
set -e
systemctl() {
	case "\$1 \$2" in
	"restart mailseal-policyd") touch /tmp/start-daemon
		for i in \$(seq 1 100); do [ -S /var/spool/postfix/mailseal/milter.sock ] && return 0; sleep 0.1; done
		return 1 ;;
	"reload postfix")
		postconf -MX smtp/inet
		postconf -Me "127.0.0.1:$PORT/inet=127.0.0.1:$PORT inet n - y - - smtpd"
		/usr/lib/postfix/configure-instance.sh -
		postfix start ;;
	*) echo "systemctl \$*: not here" >&2; return 1 ;;
	esac
}
. /tmp/block.sh
EOB
# the block's "systemctl restart" waits for the supervisor, which waits for it
( while [ ! -e "$R/tmp/start-daemon" ]; do sleep 0.1; done; exec "$W/supervise.sh" ) &
SUP=$!
in_root bash /tmp/run-block.sh > block.out 2>&1
rc=$?
p=$(cat "$W/pd.pid" 2> /dev/null)
[ $rc = 0 ] && [ "$(awk '/^Uid:/ { print $2 }' "/proc/$p/status" 2> /dev/null)" = "$(in_root id -u mailseal)" ] \
	&& t_ok "docs/postfix.md's Debian block runs in the root; the daemon serves as mailseal" \
	|| { t_nok "the block - status $rc: $(oneline < block.out) / $(oneline < pd.log 2> /dev/null)"; exit 1; }
in_root adduser --quiet --disabled-password --gecos '' rcpt > /dev/null 2>&1
for i in $(seq 1 50); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1).close()" 2> /dev/null && break
	sleep 0.2
done

# --- 5. messages ----------------------------------------------------------------------
msg() {         # msg ID: From alice@example.com, with a Date
	printf 'Date: Wed, 02 Dec 2026 10:00:00 +0000\r\nFrom: Alice <alice@example.com>\r\nTo: rcpt@mx.example.net\r\nSubject: package test %s\r\nMessage-ID: <%s@example.com>\r\nX-Test-Id: %s\r\n\r\nHello %s.\r\n' \
		"$1" "$1" "$1" "$1" > "$W/$1.eml"
}
# got ID: the message ID in rcpt's mailbox (30 s); its lines in $W/ID.got
got() {
	for i in $(seq 1 150); do
		awk -v id="X-Test-Id: $1" '/^From / { n++ } { m[n] = m[n] $0 "\n" } $0 == id { hit = n } END { if (hit) printf "%s", m[hit] }' \
			"$R/var/mail/rcpt" 2> /dev/null > "$W/$1.got"
		[ -s "$W/$1.got" ] && return 0
		sleep 0.2
	done
	return 1
}
msg s1
in_root /usr/sbin/sendmail -f alice@example.com rcpt < "$W/s1.eml"
got s1 && grep -q '^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=pkg;' "$W/s1.got" \
	&& t_ok "sendmail(1): signed by example.com, delivered" \
	|| t_nok "sendmail(1) - $(in_root postqueue -p 2>&1 | oneline) $(tail -n 3 "$R/var/log/mail.log" 2> /dev/null | oneline)"
msg v1
in_root mailseal sign -d example.com -s pkg -k /etc/mailseal/keys/pkg.private < "$W/v1.eml" > "$W/v1.signed"
swaks --server 127.0.0.1 --port "$PORT" --from alice@example.com --to rcpt@mx.example.net --data @"$W/v1.signed" > v1.swaks 2>&1
got v1 && tr '\n' ' ' < "$W/v1.got" | grep -Eq 'Authentication-Results: mx.example.net;[[:space:]]+dkim=pass header.d=example.com header.s=pkg' \
	&& t_ok "a message signed elsewhere, over SMTP: dkim=pass" || t_nok "signed over SMTP - $(grep '<\*\*\|<-  5\|<-  4' v1.swaks | oneline)"
msg f1
swaks --server 127.0.0.1 --port "$PORT" --from alice@example.com --to rcpt@mx.example.net --data @"$W/f1.eml" > f1.swaks 2>&1
grep -q '550 5.7.20 ' f1.swaks && t_ok "a forged one: 550 5.7.20" || t_nok "forged - $(grep '^<' f1.swaks | tail -n 3 | oneline)"
kill -KILL "$p"
for i in $(seq 1 100); do
	q=$(cat "$W/pd.pid"); [ "$q" != "$p" ] && [ -S "$R/var/spool/postfix/mailseal/milter.sock" ] && break; sleep 0.1
done
sleep 0.5
msg s2
in_root /usr/sbin/sendmail -f alice@example.com rcpt < "$W/s2.eml"
got s2 && grep -q '^DKIM-Signature: .*d=example.com; s=pkg;' "$W/s2.got" \
	&& t_ok "the daemon killed: the supervisor starts it again, and the next message is signed" \
	|| t_nok "after a kill - pid $p then $(cat "$W/pd.pid"): $(tail -n 3 pd.log | oneline)"
touch "$W/stop"
[ $fails = 0 ]
