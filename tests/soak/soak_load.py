#!/usr/bin/python3
"""soak_load.py - sustained SMTP load for the fault campaign: SESSIONS
concurrent clients, each sending one message per SMTP session, one
session after another, until SECONDS have passed.

  soak_load.py SECONDS SESSIONS PHASE SPECFILE OUT TARGET...

TARGET is "NAME:PORT" (an MTA); client i sends to TARGET i mod count.
SPECFILE has one message kind a line, "KIND MAILFROM FILE": each client
walks the kinds in turn (starting at its own index).  Every message is
FILE with "X-Soak-Id: PHASE-CLIENT-SEQ" put in front of its first line
(a field no signature covers), so that a delivered copy can be found;
MAIL FROM MAILFROM, RCPT TO soak@example.net.

Each message appends one line to OUT, flushed at once:
"ID TARGET KIND STEP CODE MS TEXT": STEP the last step reached
(CONNECT, MAIL, RCPT, DATA: then CODE is the reply to the final dot),
CODE that step's reply code or ERR (no reply: the exception is TEXT),
MS the milliseconds from connect to that reply.  It does not wait for
the reply to QUIT.  A session that gets no answer within 120 s is an
ERR.
"""
import smtplib
import sys
import threading
import time

seconds, sessions, phase = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
specfile, outfile, targets = sys.argv[4], sys.argv[5], sys.argv[6:]
kinds = []
for line in open(specfile):
    if line.strip():
        kind, mailfrom, path = line.split()
        kinds.append((kind, mailfrom, open(path, "rb").read()))
targets = [(t.split(":")[0], int(t.split(":")[1])) for t in targets]
lock = threading.Lock()
out = open(outfile, "a")
deadline = time.monotonic() + seconds


def record(mid, target, kind, step, code, t0, text):
    ms = int((time.monotonic() - t0) * 1000)
    with lock:
        out.write("%s %s %s %s %s %d %s\n" % (mid, target, kind, step, code, ms,
                                              " ".join(str(text).split())))
        out.flush()


def one(mid, target, port, kind, mailfrom, body):
    msg = b"X-Soak-Id: " + mid.encode() + b"\r\n" + body
    step = "CONNECT"
    t0 = time.monotonic()
    try:
        s = smtplib.SMTP("127.0.0.1", port, local_hostname="soak.example.org", timeout=120)
        try:
            s.ehlo("soak.example.org")
            step = "MAIL"
            code, text = s.mail(mailfrom)
            if code != 250:
                return record(mid, target, kind, step, code, t0, text.decode(errors="replace"))
            step = "RCPT"
            code, text = s.rcpt("soak@example.net")
            if code != 250:
                return record(mid, target, kind, step, code, t0, text.decode(errors="replace"))
            step = "DATA"
            code, text = s.data(msg)
            record(mid, target, kind, step, code, t0, text.decode(errors="replace"))
        finally:
            try:
                s.sock.sendall(b"QUIT\r\n")
                s.close()
            except Exception:
                pass
    except smtplib.SMTPResponseException as e:
        record(mid, target, kind, step, e.smtp_code, t0, e.smtp_error.decode(errors="replace"))
    except Exception as e:
        record(mid, target, kind, step, "ERR", t0, "%s: %s" % (type(e).__name__, e))


def client(i):
    target, port = targets[i % len(targets)]
    seq = 0
    while time.monotonic() < deadline:
        kind, mailfrom, body = kinds[(i + seq) % len(kinds)]
        seq += 1
        one("%s-%d-%d" % (phase, i, seq), target, port, kind, mailfrom, body)


threads = [threading.Thread(target=client, args=(i,)) for i in range(sessions)]
for t in threads:
    t.start()
for t in threads:
    t.join()
