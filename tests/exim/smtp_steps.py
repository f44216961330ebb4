#!/usr/bin/python3
"""smtp_steps.py [--source IP] PORT STEP... - one SMTP session to
127.0.0.1:PORT that runs the STEPs in order and prints one line per
step: "STEP<TAB>CODE TEXT" (a reply of several lines joined by "|"),
and the time it took in ms as a third field.  A STEP is an SMTP command
as sent ("EHLO client.example.org", "MAIL FROM:<a@b.example>",
"RCPT TO:<c@d.example>", "RSET"), or "DATA @FILE": DATA, and when the
server says 354, FILE's bytes (dot-stuffed) and the final dot; the
printed reply is then the one to the dot.  --source IP connects from
that local address (any of 127.0.0.0/8).  A session the server closes
prints "STEP<TAB>CLOSED" and ends; the script ends with QUIT, without
waiting for its reply (Exim holds it ~200 ms).
"""
import smtplib
import sys
import time

args = sys.argv[1:]
source = None
if args and args[0] == "--source":
    source = (args[1], 0)
    args = args[2:]
port, steps = int(args[0]), args[1:]
s = smtplib.SMTP(timeout=30, source_address=source)
code, text = s.connect("127.0.0.1", port)
print("CONNECT\t%d %s" % (code, text.decode(errors="replace").replace("\n", "|")), flush=True)


def reply_of(step):
    if step.startswith("DATA @"):
        code, text = s.docmd("DATA")
        if code != 354:
            return code, text
        with open(step[6:], "rb") as f:
            body = f.read()
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        body = b"\r\n".join(b"." + l if l.startswith(b".") else l
                            for l in body.split(b"\r\n"))
        s.send(body + b".\r\n")
        return s.getreply()
    verb, _, rest = step.partition(" ")
    return s.docmd(verb, rest)


for step in steps:
    t0 = time.monotonic()
    try:
        code, text = reply_of(step)
    except smtplib.SMTPServerDisconnected:
        print("%s\tCLOSED" % step, flush=True)
        sys.exit(0)
    ms = int((time.monotonic() - t0) * 1000)
    print("%s\t%d %s\t%d" % (step, code, text.decode(errors="replace").replace("\n", "|"), ms),
          flush=True)
try:
    s.sock.sendall(b"QUIT\r\n")
    s.close()
except OSError:
    pass
