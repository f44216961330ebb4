#!/bin/sh
# run-demo.sh - on a fresh Debian 12, as root: install what is needed,
# build, and run the demo (the main job: Exim signs an authenticated
# submission, Postfix verifies it through mailseal-policyd and refuses
# forgeries, both nodes sharing one Redis and one DNS server on loopback;
# scripts/demo.sh).  Exit status 0 only if every step of the demo did what
# it should.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
# Postfix conflicts with exim4 as a package: the demo runs Debian's
# Postfix unpacked from its .deb (tests/postfix/lib.sh, cached under
# /var/cache/mailseal-test/postfix), with the few packages it needs
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO bash -c '. tests/postfix/lib.sh && postfix_fetch'
make -j"$(nproc)" all
make demo
