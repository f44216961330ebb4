#!/usr/bin/python3
"""dns_proxy.py - a UDP DNS proxy in front of a real server, for the
fault campaign: it passes queries on, drops them, or answers late.

  dns_proxy.py PORTFILE UPSTREAM_PORT MODEFILE

Listens on 127.0.0.1 (a free port, written to PORTFILE once bound) and
forwards each query to 127.0.0.1:UPSTREAM_PORT.  MODEFILE, read for
every query, holds "pass", "drop" (the query is never answered) or
"delay SECONDS" (the answer is held that long).  UDP only: the test
zones' answers fit a 512-byte packet.
"""
import os
import socket
import sys
import threading
import time

portfile, upstream, modefile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % sock.getsockname()[1])
os.rename(portfile + ".tmp", portfile)


def mode():
    try:
        words = open(modefile).read().split()
    except OSError:
        return "pass", 0.0
    if not words:
        return "pass", 0.0
    if words[0] == "delay" and len(words) > 1:
        return "delay", float(words[1])
    return words[0], 0.0


def relay(query, client, delay):
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.settimeout(5)
    try:
        up.sendto(query, ("127.0.0.1", upstream))
        answer = up.recv(65535)
    except OSError:
        return
    finally:
        up.close()
    if delay:
        time.sleep(delay)
    sock.sendto(answer, client)


while True:
    query, client = sock.recvfrom(65535)
    m, delay = mode()
    if m == "drop":
        continue
    threading.Thread(target=relay, args=(query, client, delay), daemon=True).start()
