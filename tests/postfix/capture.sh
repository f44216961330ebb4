#!/bin/sh
# capture.sh MAILDIR SENDER RECIPIENT QUEUEID - the delivery agent of the
# test Postfix (a pipe(8) transport, run as user nobody): every message,
# for every recipient, becomes MAILDIR/N.eml, exactly as Postfix hands it
# over (its headers, the Received: line smtpd added; LF line ends; pipe
# flags none, so no Return-Path:/Delivered-To:/From_ line), and MAILDIR/N.env
# holds the envelope.  N counts 1, 2, ... in delivery order (one lock).
# N.eml appears complete (renamed in place) after N.env.
mail=$1
umask 022
exec 9>>"$mail/.lock" || exit 75
flock 9 || exit 75
n=$(cat "$mail/.count" 2>/dev/null)
n=$(( ${n:-0} + 1 ))
cat > "$mail/.$n.tmp" || exit 75
printf 'sender=%s\nrecipient=%s\nqueue_id=%s\n' "$2" "$3" "$4" > "$mail/$n.env" || exit 75
mv "$mail/.$n.tmp" "$mail/$n.eml" || exit 75
echo "$n" > "$mail/.count"
exit 0
