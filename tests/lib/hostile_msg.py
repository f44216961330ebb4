#!/usr/bin/python3
"""hostile_msg.py - hostile messages built around a signed one, for the
hostile-client suites of both MTAs (tests/exim/t-exim-hostile.sh,
tests/postfix/t-hostile.sh).

  hostile_msg.py KIND SIGNED OUT [N]

SIGNED is a message (CRLF) whose first field is a valid DKIM-Signature.
KIND:
  sigs      N copies of that signature, each with its b= value broken,
            put in front of it: the valid signature comes last, after N
            failing ones (N signatures more than any cap)
  bigfield  one more field, X-Big, of N bytes (folded every 70 bytes),
            after the signed fields: no signature covers it
  bigblock  N bytes of extra fields (X-Pad-K, 1000 bytes each) after the
            signed fields
The body and the signed fields are left as they are, so the valid
signature still verifies.
"""
import sys

kind, signed, out = sys.argv[1], sys.argv[2], sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
raw = open(signed, "rb").read()
head, body = raw.split(b"\r\n\r\n", 1)
lines = head.split(b"\r\n")
# the first field (the signature), with its continuation lines
end = 1
while end < len(lines) and lines[end][:1] in (b" ", b"\t"):
    end += 1
sig, rest = lines[:end], lines[end:]
extra = []
if kind == "sigs":
    text = b"\r\n".join(sig)
    i = text.index(b"b=", text.index(b"bh=") + 3)
    for k in range(n):
        # a different, wrong b= for each copy (8 more base64 characters:
        # still valid base64, so each one costs a real verification)
        extra.append(text[:i + 2] + b"AB%06d" % k + text[i + 2:])
    head = b"\r\n".join(extra + sig + rest)
elif kind == "bigfield":
    chunk = b"x" * 69
    folded = [b"X-Big: start"]
    size = 0
    while size < n:
        folded.append(b"\t" + chunk)
        size += 71
    head = b"\r\n".join(sig + rest + folded)
elif kind == "bigblock":
    k = 0
    while len(extra) * 1000 < n:
        k += 1
        extra.append(b"X-Pad-%d: " % k + b"p" * (1000 - len(b"X-Pad-%d: " % k) - 2))
    head = b"\r\n".join(sig + rest + extra)
else:
    sys.exit("unknown kind " + kind)
open(out, "wb").write(head + b"\r\n\r\n" + body)
