#!/usr/bin/python3
"""policy_recorder.py LISTEN LOGFILE [ACTION...] - a tiny Postfix policy
server (SMTPD_POLICY_README protocol) for tests.

LISTEN is unix:/abs/path (made mode 0666, so that smtpd, running as user
postfix, can connect) or inet:127.0.0.1:PORT.  Every request is appended
to LOGFILE as its "name=value" lines followed by one empty line, written
and flushed before the answer is sent.  The answer is "action=ACTION"
(default DUNNO; the words of ACTION joined by spaces).  The first line of
LOGFILE.action.STATE (STATE the request's protocol_state: RCPT,
END-OF-MESSAGE, ...) or else of LOGFILE.action, when present, is the
action instead; they are read per request, so a test can change the
answer while the server runs.  It prints "ready" on stdout once it
listens.  TCP_NODELAY is set on TCP connections.
"""
import os
import socket
import socketserver
import sys
import threading

listen, logfile = sys.argv[1], sys.argv[2]
default_action = " ".join(sys.argv[3:]) or "DUNNO"
lock = threading.Lock()


def current_action(attrs):
    state = ""
    for a in attrs:
        if a.startswith("protocol_state="):
            state = a.split("=", 1)[1]
    for name in (logfile + ".action." + state, logfile + ".action"):
        try:
            with open(name) as f:
                line = f.readline().strip()
                if line:
                    return line
        except OSError:
            pass
    return default_action


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        if isinstance(self.connection.getsockname(), tuple):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        attrs = []
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line:
                attrs.append(line)
                continue
            with lock:
                with open(logfile, "a") as f:
                    f.write("\n".join(attrs) + "\n\n")
                    f.flush()
            self.wfile.write(("action=%s\n\n" % current_action(attrs)).encode())
            self.wfile.flush()
            attrs = []


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


if listen.startswith("unix:"):
    path = listen[5:]
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = UnixServer(path, Handler)
    os.chmod(path, 0o666)
elif listen.startswith("inet:"):
    host, port = listen[5:].rsplit(":", 1)
    srv = TCPServer((host, int(port)), Handler)
else:
    sys.exit("policy_recorder: LISTEN must be unix:PATH or inet:HOST:PORT")
open(logfile, "a").close()
print("ready", flush=True)
try:
    srv.serve_forever()
except KeyboardInterrupt:
    pass
