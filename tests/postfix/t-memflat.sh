#!/bin/bash
# t-memflat.sh - the short version of "make memflat": one
# mailseal-policyd of the build under test ($MAILSEAL_BUILD) takes
# 20,000 policy requests and 2,000 milter messages (after memflat.sh's
# warm-up) while its resident memory, descriptors and threads are
# sampled; they must stay within memflat.sh's bounds, and an ASan
# build's daemon must exit on SIGTERM with nothing for LeakSanitizer.
# About 10-20 s.  See tests/postfix/memflat.sh.
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
MEMFLAT_POLICY=${MEMFLAT_POLICY:-20000} MEMFLAT_MILTER=${MEMFLAT_MILTER:-2000} \
	MEMFLAT_REPORT= exec "$ROOT/tests/postfix/memflat.sh"
