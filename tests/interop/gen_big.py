#!/usr/bin/python3
"""gen_big.py - write a large test message (CRLF) to stdout, the same
bytes for the same SEED: gen_big.py SEED KIB

It is made to catch a streaming canonicalizer out: the body runs past any
buffer size, so its line ends, whitespace runs and runs of empty lines
fall across every read boundary.  The body has lines of every length up
to 998 bytes, runs of spaces and tabs inside and at the end of lines,
whitespace-only lines, runs of empty lines in the middle, 8-bit bytes,
and ends in thousands of empty and whitespace-only lines, which the
canonicalizations drop (relaxed) or keep (simple) differently.  The header
has many fields, some folded over many lines.
"""
import random
import sys

seed, kib = int(sys.argv[1]), int(sys.argv[2])
r = random.Random(seed)
out = []
W = [b"mail", b"seal", b"DKIM", b"canon", b"relaxed", b"simple", b"\xc3\xa4\xc3\xb6",
     b"\xe9t\xe9", b"x", b"", b"word", b"0123456789", b"\xff\xfe"]


def ws(lo=1, hi=6):
    return bytes(r.choice(b" \t") for _ in range(r.randint(lo, hi)))


def words(n):
    line = b""
    for _ in range(n):
        line += r.choice(W) + (ws() if r.random() < 0.3 else b" ")
    return line


# the header: ordinary fields, then many Received-like fields, folded
out.append(b"From: Big Sender <big@example.com>")
out.append(b"To: someone@example.net")
out.append(b"Subject: " + words(8).strip())
out.append(b"Date: Sun, 22 Nov 2026 10:00:00 +0000")
out.append(b"Message-ID: <big-%d@example.com>" % seed)
out.append(b"MIME-Version: 1.0")
out.append(b"Content-Type: text/plain; charset=utf-8")
for i in range(40):
    f = b"X-Hop-%d:%s%s" % (i, ws(0, 3), words(r.randint(1, 8)))
    for _ in range(r.randint(0, 4)):
        f += b"\r\n" + ws(1, 4) + b"more " + words(r.randint(1, 6))
    out.append(f)
out.append(b"")

size = 0
while size < kib * 1024:
    k = r.random()
    if k < 0.05:
        line = ws(1, 40)                    # whitespace only
    elif k < 0.1:
        line = b""
    elif k < 0.13:
        out.extend([b""] * r.randint(2, 300))   # a run of empty lines
        continue
    elif k < 0.2:
        line = (b"y" * r.randint(500, 980))[:998]   # long lines
    else:
        line = words(r.randint(1, 40))
    if r.random() < 0.3:
        line += ws(1, 30)                   # trailing whitespace
    line = line[:998]
    out.append(line)
    size += len(line) + 2
out.append(b"the last words")
# the end: empty and whitespace-only lines, thousands of bytes of them
for _ in range(3000):
    out.append(b"" if r.random() < 0.7 else ws(1, 8))
out.extend([b""] * 2000)
sys.stdout.buffer.write(b"\r\n".join(out) + b"\r\n")
