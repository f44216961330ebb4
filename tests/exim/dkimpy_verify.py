#!/usr/bin/python3
"""dkimpy_verify.py - verify a delivered message with dkimpy, its keys
fetched from a test DNS server (nsd on loopback) by a hand-made query.

  dkimpy_verify.py PORT FILE

One line per DKIM-Signature, top to bottom: "d=DOMAIN s=SELECTOR
a=ALG pass|fail [why]"; "none" for a message without any.  Run it with
Debian's /usr/bin/python3 (python3-dkim, python3-dnspython, python3-nacl).
"""
import logging
import re
import sys

import dkim
import dns.flags
import dns.message
import dns.query
import dns.rdatatype

PORT = int(sys.argv[1])


def txt(name, timeout=5):
    """The TXT record at NAME, its strings joined, from 127.0.0.1:PORT."""
    q = dns.message.make_query(name.decode() if isinstance(name, bytes) else name,
                               dns.rdatatype.TXT)
    r = dns.query.udp(q, "127.0.0.1", port=PORT, timeout=timeout)
    if r.flags & dns.flags.TC:
        r = dns.query.tcp(q, "127.0.0.1", port=PORT, timeout=timeout)
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.TXT:
            return b"".join(rrset[0].strings)
    return None


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


msg = open(sys.argv[2], "rb").read()
log = Collect()
logger = logging.getLogger("dkimpy_verify")
logger.handlers = [log]
logger.setLevel(logging.DEBUG)
logger.propagate = False
d = dkim.DKIM(msg, logger=logger)
sigs = [v for k, v in d.headers if k.lower() == b"dkim-signature"]
if not sigs:
    print("none")
for i, v in enumerate(sigs):
    tags = {}
    for m in re.finditer(rb"(?:^|;)\s*([a-z]+)\s*=\s*([^;]*)", v):
        tags[m.group(1).decode()] = re.sub(rb"\s+", b"", m.group(2)).decode()
    del log.lines[:]
    try:
        good = d.verify(idx=i, dnsfunc=txt)
    except Exception as e:      # a crash is a failure too
        good = False
        log.lines.append("%s: %s" % (type(e).__name__, e))
    print("d=%s s=%s a=%s %s%s" % (tags.get("d"), tags.get("s"), tags.get("a"),
                                    "pass" if good else "fail",
                                    "" if good else " " + " ".join(log.lines[-1:])))
