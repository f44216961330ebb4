#!/bin/bash
# t-soak-short.sh - the fault campaign of `make soak` (tests/soak/soak.sh)
# in short: every phase (Redis paused, killed and restarted, a Sentinel
# failover, DNS silent, DNS slow, mailseal-policyd killed, twenty
# reloads, an invalid configuration repaired) with a few seconds of load
# from a few sessions, through the real Postfix + mailseal-policyd and
# Exim + the module; not ok when a message was lost or accepted
# unchecked.  First, the checker itself is shown to catch each kind of
# breach on a made-up phase (a check that cannot fail proves nothing).
set -u
ROOT=${MAILSEAL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/tests/lib/check.sh"
PY=/usr/bin/python3

# --- the checker catches what it must ---------------------------------------
C=$(mktemp -d)
trap 'rm -rf "$C"' EXIT
mkdir -p "$C/mail"
mail() {        # mail FILE ID [A-R VALUE]
	{
		[ -n "${3:-}" ] && printf 'Authentication-Results: %s\n' "$3"
		printf 'X-Soak-Id: %s\nFrom: x@example.com\n\nbody\n' "$2"
	} > "$C/mail/$1"
}
good_ar='pf.soak.test; dkim=pass header.d=example.com header.s=soak; dmarc=pass header.from=example.com'
mail 1 t-0-1 "$good_ar"                 # fine
mail 2 t-0-3                            # delivered without our A-R
mail 3 t-0-4 "$good_ar"                 # a forgery delivered
mail 4 t-0-5 "other.host; dkim=pass header.d=example.com; dmarc=pass"
mail 5 t-0-6 "$good_ar"                 # answered 451, delivered all the same
cat > "$C/results" <<'EOF'
t-0-1 pf good DATA 250 10 ok
t-0-2 pf good DATA 250 10 ok but never delivered
t-0-3 pf good DATA 250 10 ok
t-0-4 pf forged DATA 250 10 ok
t-0-5 pf good DATA 250 10 ok
t-0-6 pf good DATA 451 10 4.4.3 try again
t-0-7 pf good DATA 550 10 5.7.1 refused
t-0-8 pf pnone DATA ERR 10 ConnectionResetError
t-0-9 pf forged DATA 550 10 5.7.1 refused
EOF
out=$($PY "$ROOT/tests/soak/soak_check.py" t "$C/results" "$C/rows" "pf=pf.soak.test=$C/mail")
want_lost="t-0-2 (good): 250 but never delivered; t-0-7 (good): refused at DATA: 550 5.7.1 refused; t-0-8 (pnone): no reply at DATA: ConnectionResetError"
got_lost=$(printf '%s\n' "$out" | sed -n 's/^not ok t pf (9 messages): nothing lost - 3: //p')
[ "$got_lost" = "$want_lost" ] && ok "checker: a message answered 250 and not delivered, a good one refused, one without a reply: lost" ||
	nok "checker: lost - $(printf '%s' "$out" | oneline)"
un=$(printf '%s\n' "$out" | sed -n 's/^not ok t pf (9 messages): nothing accepted unchecked - \([0-9]*\): .*/\1/p')
for why in 't-0-3 (good): 0 Authentication-Results of ours' 't-0-4 (forged): a forged message was delivered' \
	't-0-5 (good): 0 Authentication-Results of ours' 't-0-6 (good): delivered, though answered 451'; do
	printf '%s\n' "$out" | grep -qF "$why" && ok "checker: unchecked caught: $why" || nok "checker: missed \"$why\": $(printf '%s' "$out" | oneline)"
done
[ "$un" = 4 ] && ok "checker: 4 unchecked, no more" || nok "checker: $un unchecked, not 4"
[ "$(cut -d'|' -f4-8 "$C/rows" | tr -d ' ')" = "9|5|1|2|1" ] && ok "checker: the table row counts 9 sent, 5 accepted, 1 tempfailed, 2 refused, 1 without a reply" ||
	nok "checker: row $(cat "$C/rows")"

# --- the campaign, short ------------------------------------------------------
SOAK_SECONDS=${SOAK_SECONDS:-5} SOAK_SESSIONS=${SOAK_SESSIONS:-10} SOAK_PAUSE=${SOAK_PAUSE:-3} \
	"$ROOT/tests/soak/soak.sh" || fails=$((fails + 1))
[ "$fails" = 0 ]
