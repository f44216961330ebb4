#!/usr/bin/python3
# dns_count.py PORT UPSTREAM_PORT LOG DROP_RE - a UDP DNS relay on
# 127.0.0.1:PORT in front of a test server on 127.0.0.1:UPSTREAM_PORT
# that writes one line per question it receives ("NAME TYPE", NAME
# lower-case, without the final dot) to LOG, so that a test can count
# the lookups a process made.  Questions whose name matches the regular
# expression DROP_RE (Python's re.search; "" matches nothing) are
# logged and never answered: a DNS timeout for those names only.
# Every question is relayed from a thread of its own, so that a slow
# or dropped one holds up no other.  Stop it with SIGTERM.
import re
import socket
import sys
import threading

import dns.message
import dns.rdatatype

port, upstream, log_path, drop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
drop_re = re.compile(drop) if drop else None
lock = threading.Lock()
log = open(log_path, "a", buffering=1)

srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.bind(("127.0.0.1", port))


def relay(data, peer):
    try:
        q = dns.message.from_wire(data)
        name = q.question[0].name.to_text().rstrip(".").lower()
        qtype = dns.rdatatype.to_text(q.question[0].rdtype)
    except Exception:               # not a question we can read: relay it
        name, qtype = "?", "?"
    with lock:
        log.write("%s %s\n" % (name, qtype))
    if drop_re and drop_re.search(name):
        return
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.settimeout(5)
    try:
        up.sendto(data, ("127.0.0.1", upstream))
        answer, _ = up.recvfrom(65535)
        srv.sendto(answer, peer)
    except OSError:
        pass
    finally:
        up.close()


while True:
    data, peer = srv.recvfrom(65535)
    threading.Thread(target=relay, args=(data, peer), daemon=True).start()
