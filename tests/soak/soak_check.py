#!/usr/bin/python3
"""soak_check.py - the two invariants of the fault campaign, checked on
every message of one phase, and the phase's numbers.

  soak_check.py PHASE RESULTS ROWS TARGET=AUTHSERV_ID=MAILDIR...

RESULTS is what soak_load.py wrote (the lines of PHASE are read);
each TARGET's delivered messages are the files of MAILDIR (every file,
found again by its X-Soak-Id field), and its Authentication-Results
field is the one that starts with AUTHSERV_ID.

Nothing lost: a message answered 250 was delivered, and a message of a
kind that must be accepted (good, pnone) was never refused (5xx) and
always got a reply; only 4xx may leave a message undelivered.
Nothing accepted unchecked: every delivered message carries our
Authentication-Results with the results its kind must have (good:
dkim=pass header.d=example.com and dmarc=pass; pnone: dmarc=fail), and
none of the kinds that must be refused (forged, forged-other,
tampered) was delivered; a message answered 4xx or 5xx was not
delivered.

Prints "ok ..." / "not ok ..." lines (one per invariant and target,
naming up to 5 offending messages) and appends to ROWS one Markdown
table row per target: phase, target, sent, accepted, tempfailed,
refused, no reply, latency p50/p90/p99 (ms, connect to the last
reply), lost, unchecked.
"""
import os
import re
import sys

phase, results, rows = sys.argv[1], sys.argv[2], sys.argv[3]
targets = [a.split("=", 2) for a in sys.argv[4:]]
MUST_ACCEPT = {"good", "pnone"}
MUST_REFUSE = {"forged", "forged-other", "tampered"}


def headers(path):
    """the unfolded header fields of a message file, names lower-cased"""
    fields = []
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line == "":
                break
            if line[:1] in (" ", "\t") and fields:
                fields[-1] = (fields[-1][0], fields[-1][1] + " " + line.strip())
            elif ":" in line:
                name, value = line.split(":", 1)
                fields.append((name.strip().lower(), value.strip()))
    return fields


def delivered(maildir, authserv):
    """X-Soak-Id -> list of our A-R values (one entry per copy)"""
    found = {}
    for dirpath, _, files in os.walk(maildir):
        for name in files:
            path = os.path.join(dirpath, name)
            if name.endswith(".env"):
                continue
            try:
                fields = headers(path)
            except OSError:
                continue
            ids = [v for n, v in fields if n == "x-soak-id"]
            if not ids:
                continue
            ars = [v for n, v in fields if n == "authentication-results"]
            ours = [v for v in ars if re.match(re.escape(authserv) + r"\s*;", v)]
            if not ours and ars:        # say whose they are
                ours = [None] + ars
            found.setdefault(ids[0], []).append(ours)
    return found


def verified(kind, ars):
    """why the A-R fields of a delivered message of KIND are not what
    its kind must carry, or None"""
    if ars and ars[0] is None:
        return "0 Authentication-Results of ours, only: " + " / ".join(a[:120] for a in ars[1:])
    if len(ars) != 1:
        return "%d Authentication-Results of ours" % len(ars)
    ar = ars[0]
    if kind == "good":
        if not re.search(r"\bdkim=pass\b[^;]*header\.d=example\.com", ar):
            return "no dkim=pass header.d=example.com: " + ar[:200]
        if not re.search(r"\bdmarc=pass\b", ar):
            return "no dmarc=pass: " + ar[:200]
        return None
    if kind == "pnone":
        if not re.search(r"\bdmarc=fail\b", ar):
            return "no dmarc=fail: " + ar[:200]
        return None
    return "a %s message was delivered: %s" % (kind, ar[:200])


def pct(values, p):
    if not values:
        return "-"
    values = sorted(values)
    return str(values[min(len(values) - 1, int(len(values) * p / 100.0))])


sent = {}
for line in open(results):
    parts = line.rstrip("\n").split(" ", 6)
    if len(parts) < 6 or not parts[0].startswith(phase + "-"):
        continue
    mid, target, kind, step, code, ms = parts[:6]
    text = parts[6] if len(parts) > 6 else ""
    sent.setdefault(target, []).append((mid, kind, step, code, int(ms), text))

fails = 0
out = open(rows, "a")
for target, authserv, maildir in targets:
    msgs = sent.get(target, [])
    got = delivered(maildir, authserv)
    lost, unchecked = [], []
    n = {"2": 0, "4": 0, "5": 0, "E": 0}
    lat = []
    for mid, kind, step, code, ms, text in msgs:
        copies = got.get(mid, [])
        if code == "ERR":
            n["E"] += 1
        else:
            n[code[0]] = n.get(code[0], 0) + 1
            lat.append(ms)
        accepted = code.startswith("2") and step == "DATA"
        if accepted and not copies:
            lost.append("%s (%s): 250 but never delivered" % (mid, kind))
        if kind in MUST_ACCEPT and code.startswith("5"):
            lost.append("%s (%s): refused at %s: %s %s" % (mid, kind, step, code, text[:120]))
        if kind in MUST_ACCEPT and code == "ERR" and not copies:
            lost.append("%s (%s): no reply at %s: %s" % (mid, kind, step, text[:120]))
        if copies and not accepted:
            unchecked.append("%s (%s): delivered, though answered %s at %s" % (mid, kind, code, step))
        if len(copies) > 1:
            unchecked.append("%s (%s): delivered %d times" % (mid, kind, len(copies)))
        for ars in copies[:1]:
            why = verified(kind, ars)
            if why:
                unchecked.append("%s (%s): %s" % (mid, kind, why))
    label = "%s %s (%d messages)" % (phase, target, len(msgs))
    for name, bad in (("nothing lost", lost), ("nothing accepted unchecked", unchecked)):
        if bad:
            fails += 1
            print("not ok %s: %s - %d: %s" % (label, name, len(bad), "; ".join(bad[:5])))
        else:
            print("ok %s: %s" % (label, name))
    out.write("| %s | %s | %d | %d | %d | %d | %d | %s | %s | %s | %d | %d |\n" % (
        phase, target, len(msgs), n["2"], n["4"], n["5"], n["E"],
        pct(lat, 50), pct(lat, 90), pct(lat, 99), len(lost), len(unchecked)))
    if not msgs:
        fails += 1
        print("not ok %s: no message was sent" % label)
sys.exit(1 if fails else 0)
