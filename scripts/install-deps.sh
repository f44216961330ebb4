#!/bin/sh
# install-deps.sh - install the Debian packages mailseal needs.
# Idempotent: packages already present are left alone, and apt is not
# touched at all when nothing is missing.
#
#   install-deps.sh            everything: the build, tests, benchmarks,
#                              demo and the Debian packages' build
#                              (exim4-daemon-heavy: on a Postfix host
#                              apt would remove Postfix for it)
#   install-deps.sh --build    what `make all` needs, no MTA
#   install-deps.sh --policyd  what `make policyd` needs: the command and
#                              the Postfix daemon, no Exim headers
set -eu

# the libraries and tools of the build alone
POLICYD_PKGS="
build-essential pkg-config make gcc
libssl-dev libunbound-dev libhiredis-dev libc-ares-dev zlib1g-dev
"
# the Exim module's header (exim4-dev depends on no Exim daemon)
BUILD_PKGS="$POLICYD_PKGS exim4-dev"

ALL_PKGS="
build-essential pkg-config make gcc clang libclang-rt-14-dev
libssl-dev openssl
python3 python3-dkim python3-nacl python3-dnspython libnet-dns-perl
libmail-dkim-perl libcryptx-perl
opendkim-tools libopendkim-dev
libunbound-dev libhiredis-dev libc-ares-dev nsd ldnsutils redis-server redis-sentinel redis-tools
time
exim4-daemon-heavy exim4-dev swaks libnet-ssleay-perl libio-socket-ssl-perl
procps sasl2-bin libsasl2-modules libsasl2-modules-db libicu72 libnsl2 libdb5.3
opendkim python3-spf-engine iproute2 python3-prometheus-client curl
opendmarc libopendmarc-dev libmail-dmarc-perl publicsuffix libxml2-utils gzip zlib1g-dev
debhelper fakeroot dpkg-dev lintian debootstrap
"

case "${1:-}" in
--policyd) PKGS=$POLICYD_PKGS ;;
--build) PKGS=$BUILD_PKGS ;;
"") PKGS=$ALL_PKGS ;;
*) echo "usage: install-deps.sh [--build | --policyd]" >&2; exit 2 ;;
esac

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
	SUDO="sudo"
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
