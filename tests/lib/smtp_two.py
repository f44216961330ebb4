#!/usr/bin/python3
"""smtp_two.py PORT USER PASSWORD FROM RCPT MSG1 MSG2 GOFILE - two
messages in one SMTP session to 127.0.0.1:PORT (STARTTLS, not
verified; AUTH PLAIN as USER): MSG1, then, once the file GOFILE exists
(at most 60 s), MSG2.  Prints "1<TAB>CODE TEXT" and "2<TAB>CODE TEXT",
the replies to the final dots, and "waiting" between them, so that a
test can change something while the session stays open.
"""
import os
import smtplib
import ssl
import sys
import time

port, user, password, sender, rcpt, msg1, msg2, go = sys.argv[1:9]
s = smtplib.SMTP("127.0.0.1", int(port), timeout=30)
s.ehlo("client.example.org")
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s.starttls(context=ctx)
s.ehlo("client.example.org")
s.login(user, password)


def send(n, path):
    with open(path, "rb") as f:
        data = f.read()
    code, text = s.mail(sender)
    if code == 250:
        code, text = s.rcpt(rcpt)
    if code in (250, 251):
        code, text = s.data(data)
    print("%d\t%d %s" % (n, code, text.decode(errors="replace").replace("\n", "|")),
          flush=True)


send(1, msg1)
print("waiting", flush=True)
deadline = time.monotonic() + 60
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.05)
send(2, msg2)
try:
    s.sock.sendall(b"QUIT\r\n")
    s.close()
except OSError:
    pass
