#!/usr/bin/python3
"""smtp_burst.py - many SMTP sessions at once against one server.

  smtp_burst.py PORT RCPT FILE...

Opens one session per FILE, all connected before any sends its message
(a barrier), then each sends MAIL FROM (the message's From address, or
<> when it has none), RCPT TO RCPT, DATA with the file.  Prints one line
per file, in argument order: "FILE CODE TEXT" (the reply to the final
dot, its lines joined by spaces), or "FILE ERROR what" when the session
failed before that.  It does not wait for the reply to QUIT (Exim holds
it ~200 ms).  Exits 0 when every session got a reply to its dot.
"""
import re
import smtplib
import sys
import threading

port = int(sys.argv[1])
rcpt = sys.argv[2]
files = sys.argv[3:]
results = [None] * len(files)
barrier = threading.Barrier(len(files), timeout=30)


def sender(msg):
    m = re.search(rb"^From:.*?<?([^<>\s\"]+@[^<>\s\"]+)>?", msg, re.M | re.I)
    return m.group(1).decode() if m else ""


def session(i):
    msg = open(files[i], "rb").read()
    try:
        s = smtplib.SMTP("127.0.0.1", port, local_hostname="burst.example.org",
                         timeout=60)
        barrier.wait()
        s.ehlo("burst.example.org")
        code, text = s.mail(sender(msg))
        if code != 250:
            raise RuntimeError("MAIL %d %s" % (code, text.decode(errors="replace")))
        code, text = s.rcpt(rcpt)
        if code != 250:
            raise RuntimeError("RCPT %d %s" % (code, text.decode(errors="replace")))
        code, text = s.data(msg)
        results[i] = "%d %s" % (code, " ".join(text.decode(errors="replace").split()))
        s.close()
    except Exception as e:
        results[i] = "ERROR %s: %s" % (type(e).__name__, e)
        try:
            barrier.abort()
        except Exception:
            pass


threads = [threading.Thread(target=session, args=(i,)) for i in range(len(files))]
for t in threads:
    t.start()
for t in threads:
    t.join()
for f, r in zip(files, results):
    print("%s %s" % (f, r))
sys.exit(0 if all(r and not r.startswith("ERROR") for r in results) else 1)
