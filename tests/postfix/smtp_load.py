#!/usr/bin/python3
"""smtp_load.py - a load of SMTP sessions, some plain, some with STARTTLS
and AUTH PLAIN, from a few concurrent clients, for tests.

  smtp_load.py PORT CAFILE USER PASSWORD CONCURRENCY RCPT SPECFILE OUT

SPECFILE has one message a line, "KIND FILE": KIND "plain" (plain SMTP)
or "auth" (STARTTLS, the server certificate checked against CAFILE,
then AUTH PLAIN as USER).  CONCURRENCY clients take the lines in order,
one SMTP session per message: MAIL FROM the message's From address,
RCPT TO RCPT, DATA.  Each finished message appends one line to OUT,
written and flushed at once (so that a test can watch the progress):
"FILE STEP CODE TEXT", STEP the last step reached (CONNECT, TLS, AUTH,
MAIL, RCPT, DATA: then CODE TEXT is the reply to the final dot) and
CODE TEXT that step's reply (its lines joined by spaces), or CODE
"ERR" with the exception.  It does not wait for the reply to QUIT.
Exits 0 when every message has its line.
"""
import base64
import queue
import re
import smtplib
import ssl
import sys
import threading

port, cafile, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
conc, rcpt, specfile, outfile = int(sys.argv[5]), sys.argv[6], sys.argv[7], sys.argv[8]
work = queue.Queue()
for line in open(specfile):
    if line.strip():
        kind, path = line.split()
        work.put((kind, path))
total = work.qsize()
out_lock = threading.Lock()
done = [0]
out = open(outfile, "a")


def record(path, step, code, text):
    with out_lock:
        out.write("%s %s %s %s\n" % (path, step, code, " ".join(str(text).split())))
        out.flush()
        done[0] += 1


def sender(msg):
    m = re.search(rb"^From:.*?<?([^<>\s\"]+@[^<>\s\"]+)>?", msg, re.M | re.I)
    return m.group(1).decode() if m else ""


def one(kind, path):
    msg = open(path, "rb").read()
    step = "CONNECT"
    try:
        s = smtplib.SMTP("127.0.0.1", port, local_hostname="load.example.org", timeout=60)
        try:
            if kind == "auth":
                step = "TLS"
                ctx = ssl.create_default_context(cafile=cafile)
                ctx.check_hostname = False
                try:
                    s.starttls(context=ctx)
                except smtplib.SMTPResponseException as e:
                    return record(path, step, e.smtp_code, e.smtp_error.decode(errors="replace"))
                s.ehlo("load.example.org")
                step = "AUTH"
                code, text = s.docmd("AUTH", "PLAIN " + base64.b64encode(
                    ("\0%s\0%s" % (user, password)).encode()).decode())
                if code != 235:
                    return record(path, step, code, text.decode(errors="replace"))
            else:
                s.ehlo("load.example.org")
            step = "MAIL"
            code, text = s.mail(sender(msg))
            if code != 250:
                return record(path, step, code, text.decode(errors="replace"))
            step = "RCPT"
            code, text = s.rcpt(rcpt)
            if code != 250:
                return record(path, step, code, text.decode(errors="replace"))
            step = "DATA"
            code, text = s.data(msg)
            record(path, step, code, text.decode(errors="replace"))
        finally:
            try:
                s.sock.sendall(b"QUIT\r\n")
                s.close()
            except Exception:
                pass
    except Exception as e:
        record(path, step, "ERR", "%s: %s" % (type(e).__name__, e))


def client():
    while True:
        try:
            kind, path = work.get_nowait()
        except queue.Empty:
            return
        one(kind, path)


threads = [threading.Thread(target=client) for _ in range(conc)]
for t in threads:
    t.start()
for t in threads:
    t.join()
sys.exit(0 if done[0] == total else 1)
