#!/usr/bin/python3
"""hold_session.py PORT RCPT FILE - one SMTP session that sends FILE and
then stays open: it prints the reply to the final dot ("CODE TEXT") and
waits for a line on stdin (or 20 s) before it QUITs, so that the test
can look at the server's receiving process after local_scan returned.
"""
import re
import select
import smtplib
import sys

port, rcpt, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
msg = open(path, "rb").read()
m = re.search(rb"^From:.*?<?([^<>\s\"]+@[^<>\s\"]+)>?", msg, re.M | re.I)
s = smtplib.SMTP("127.0.0.1", port, timeout=30)
s.ehlo("hold.example")
s.mail(m.group(1).decode() if m else "")
s.rcpt(rcpt)
code, text = s.data(msg)
print(code, text.decode(errors="replace").replace("\n", " "), flush=True)
select.select([sys.stdin], [], [], 20)
s.quit()
