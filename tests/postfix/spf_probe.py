#!/usr/bin/python3
"""spf_probe.py - clients for tests/postfix/t-postfix-spf.sh.

  spf_probe.py smtp PORT SRC HELO SENDER MSG [@stop=PID,PID...] RCPT...
      one SMTP transaction to 127.0.0.1:PORT from the local address SRC
      (127.0.0.x), EHLO HELO, MAIL FROM SENDER ("" for <>), each RCPT,
      then MSG as the data when a recipient was accepted.  With @stop,
      those processes get SIGSTOP right after the reply to the first
      RCPT (the caller sends SIGCONT).  Prints "rcpt CODE TEXT" per
      recipient, then "data CODE TEXT" or "data skipped".

  spf_probe.py burst SOCK N SENDER-DOMAIN [NAME=VALUE...]
      N policy connections at once, each one RCPT request (sender
      uN@SENDER-DOMAIN, the given attributes); prints, in the order the
      answers came, "N MS ACTION" (MS: milliseconds from sending).
"""
import os
import signal
import smtplib
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pd_probe  # noqa: E402


def smtp(args):
    port, src, helo, sender, msg = int(args[0]), args[1], args[2], args[3], args[4]
    rest = args[5:]
    stop = []
    if rest and rest[0].startswith("@stop="):
        stop = [int(p) for p in rest[0][6:].split(",") if p]
        rest = rest[1:]
    s = smtplib.SMTP("127.0.0.1", port, local_hostname=helo, timeout=30,
                     source_address=(src, 0))
    s.ehlo()
    code, text = s.mail(sender)
    if code != 250:
        print("mail %d %s" % (code, text.decode("utf-8", "replace")))
    ok = 0
    for i, r in enumerate(rest):
        code, text = s.rcpt(r)
        print("rcpt %d %s" % (code, text.decode("utf-8", "replace").replace("\n", " ")), flush=True)
        ok += code == 250
        if i == 0:
            for p in stop:
                os.kill(p, signal.SIGSTOP)
    if ok:
        try:
            s.putcmd("data")
            code, text = s.getreply()
            if code == 354:
                data = open(msg, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                data = data.replace(b"\r\n.", b"\r\n..")
                s.send(data + b".\r\n")
                code, text = s.getreply()
            print("data %d %s" % (code, text.decode("utf-8", "replace").replace("\n", " ")))
        except smtplib.SMTPServerDisconnected as e:
            print("data disconnected %s" % e)
    else:
        print("data skipped")
    try:
        s.quit()
    except (smtplib.SMTPException, OSError):
        pass


def burst(args):
    spec, n, dom = args[0], int(args[1]), args[2]
    extra = dict(a.split("=", 1) for a in args[3:])
    socks = []
    for i in range(n):
        socks.append(pd_probe.connect(spec))
    out, lock = [], threading.Lock()
    t0 = time.time()

    def one(i):
        s = socks[i]
        s.settimeout(30)
        attrs = {"sender": "u%d@%s" % (i, dom)}
        attrs.update(extra)
        s.sendall(pd_probe.policy_request(attrs))
        a = pd_probe.policy_read(s)
        with lock:
            out.append("%d %d %s" % (i, (time.time() - t0) * 1000, a))
        s.close()

    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for line in out:
        print(line)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "smtp":
        smtp(sys.argv[2:])
    elif sys.argv[1] == "burst":
        burst(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    socket.setdefaulttimeout(30)
    main()
