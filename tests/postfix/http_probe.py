#!/usr/bin/python3
"""http_probe.py PORT COMMAND... - HTTP clients of mailseal-policyd's
/metrics on 127.0.0.1:PORT, polite and hostile; each prints one line.

  get PATH [METHOD]     one request; "STATUS CONTENT-TYPE BYTES SECONDS",
                        the body (GET) in metrics.prom when PATH is /metrics
  raw HEX               the bytes HEX as the request; "STATUS" of the
                        answer, or "CLOSED" when the server closes first
  big N                 a request head of N bytes (one long field);
                        "STATUS" or "CLOSED"
  drip SECONDS          "GET /metrics HTTP/1.1" a byte every 0.2 s; how
                        long until the server closed it: "closed after S"
                        (or "open after SECONDS")
  flood N SECONDS       N connections that send nothing; "connected C"
                        when made, then after SECONDS how many the server
                        closed: "closed K of C"

Every loop is bounded in count and time; nothing but 127.0.0.1 is asked.
"""
import socket
import sys
import time

port = int(sys.argv[1])
cmd, args = sys.argv[2], sys.argv[3:]


def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    return s


def answer(s):
    """the whole answer (the server closes), or b"" """
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data


def status(data):
    if not data:
        return "CLOSED"
    return data.split(b"\r\n", 1)[0].split(b" ")[1].decode()


if cmd == "get":
    path = args[0]
    method = args[1] if len(args) > 1 else "GET"
    t0 = time.monotonic()
    s = conn()
    s.sendall(("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % (method, path)).encode())
    data = answer(s)
    took = time.monotonic() - t0
    head, _, body = data.partition(b"\r\n\r\n")
    ctype = "-"
    for line in head.split(b"\r\n")[1:]:
        if line.lower().startswith(b"content-type:"):
            ctype = line.split(b":", 1)[1].strip().decode().replace(" ", "")
    if path == "/metrics" and method == "GET":
        with open("metrics.prom", "wb") as f:
            f.write(body)
    print(status(data), ctype, len(body), "%.2f" % took)
elif cmd == "raw":
    s = conn()
    s.sendall(bytes.fromhex(args[0]))
    print(status(answer(s)))
elif cmd == "big":
    n = int(args[0])
    s = conn()
    head = b"GET /metrics HTTP/1.1\r\nX-Big: "
    try:
        s.sendall(head + b"a" * (n - len(head) - 4) + b"\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    print(status(answer(s)))
elif cmd == "drip":
    limit = float(args[0])
    s = conn()
    s.settimeout(0.2)
    req = b"GET /metrics HTTP/1.1"
    t0 = time.monotonic()
    i = 0
    while time.monotonic() - t0 < limit:
        try:
            s.send(req[i % len(req):i % len(req) + 1])
        except (BrokenPipeError, ConnectionResetError):
            break
        i += 1
        try:
            if s.recv(1) == b"":
                break
        except socket.timeout:
            continue
        except ConnectionResetError:
            break
    took = time.monotonic() - t0
    print(("closed after %.1f" if took < limit else "open after %.1f") % took)
elif cmd == "flood":
    n, hold = int(args[0]), float(args[1])
    socks = []
    for _ in range(n):
        try:
            socks.append(conn())
        except OSError:
            break
    print("connected", len(socks), flush=True)
    time.sleep(hold)
    closed = 0
    for s in socks:
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except ConnectionResetError:
            closed += 1
        s.close()
    print("closed", closed, "of", len(socks))
else:
    sys.exit("unknown command " + cmd)
