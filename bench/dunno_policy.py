#!/usr/bin/python3
"""dunno_policy.py SOCKET [asyncio] - the trivial Postfix policy server
that bench/policy.sh measures mailseal-policyd against: it reads each
request (SMTPD_POLICY_README: name=value lines, an empty line) and answers
"action=DUNNO", looking at nothing.

Threaded by default: socketserver's ThreadingUnixStreamServer, a thread
per connection reading lines.  "asyncio" gives one event loop with a
Protocol that counts the empty lines of each chunk read; with 64
persistent clients it answered about a third as many requests per second
as the threaded one here, so the threaded one is the (stricter) baseline.
SOCKET is a unix socket path (made mode 0666).  Prints "ready" once it
listens; SIGTERM stops it.
"""
import asyncio
import os
import signal
import socketserver
import sys

if len(sys.argv) not in (2, 3) or sys.argv[1].startswith("-") or sys.argv[2:] not in ([], ["asyncio"]):
    sys.exit("usage: dunno_policy.py SOCKET [asyncio]")
path = sys.argv[1]
REPLY = b"action=DUNNO\n\n"


class Proto(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buf = transport, b""

    def data_received(self, data):
        self.buf = (self.buf + data).replace(b"\r\n", b"\n")
        n = self.buf.count(b"\n\n")
        if n:
            self.buf = self.buf[self.buf.rfind(b"\n\n") + 2:]
            self.transport.write(REPLY * n)


async def main_async():
    loop = asyncio.get_running_loop()
    server = await loop.create_unix_server(Proto, path)
    os.chmod(path, 0o666)
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    print("ready", flush=True)
    async with server:
        await stop


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            if line in (b"\n", b"\r\n"):
                self.wfile.write(REPLY)
                self.wfile.flush()


def main_threaded():
    socketserver.ThreadingUnixStreamServer.daemon_threads = True
    server = socketserver.ThreadingUnixStreamServer(path, Handler)
    os.chmod(path, 0o666)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    if os.path.exists(path):
        os.unlink(path)
    try:
        if sys.argv[2:3] == ["asyncio"]:
            asyncio.run(main_async())
        else:
            main_threaded()
    finally:
        if os.path.exists(path):
            os.unlink(path)
