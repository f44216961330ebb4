#!/usr/bin/python3
"""pd_probe.py - talk to mailseal-policyd's sockets directly, as Postfix
would (policy delegation, SMTPD_POLICY_README; milter protocol 6), for
tests.  No Postfix involved.

  pd_probe.py policy SOCK [NAME=VALUE...]
      one request (request=smtpd_access_policy, protocol_state=RCPT and
      the given attributes); prints the reply's action line, or
      "closed" when the connection was dropped without one.

  pd_probe.py milter SOCK FILE [MACRO=VALUE...]
      the message in FILE (CRLF or LF) through a whole milter
      conversation (negotiation, connect, MAIL, headers, body, end);
      macros such as auth_authen=alice are sent with MAIL.  Prints one
      line per reply to the end of the message: "insheader N NAME: VALUE"
      (folds shown as \\n), "chgheader N NAME [VALUE]", "continue",
      "accept", "reply TEXT", "tempfail", "reject", or "closed".

  pd_probe.py hup SOCK PID LOG SENDER
      one policy connection: a request for SENDER, then SIGHUP to PID,
      then (once LOG has one more "reloaded" line) the same request on
      the same connection.  Prints "before: ACTION", "after: ACTION".

  pd_probe.py corpus POLICYSOCK MILTERSOCK PID
      malformed policy requests and milter packets, each on its own
      connection while a good policy request and a good milter message
      are in progress on parallel connections.  For each bad input:
      the bad connection is dropped (or, where that is what the
      protocol asks, answered) within 5 s, the daemon is alive, and the
      parallel connections then get their right answers.  Prints
      "ok NAME" / "not ok NAME - why" lines; exits 1 if any failed.

  pd_probe.py milterx SOCK FILE [@qid=Q] [@actions=N] [@addr=A] [@port=P]
          [@helo=H] [@sender=S] [MACRO=VALUE...]
      as "milter", with the queue id (default PROBE1), the actions
      offered at negotiation (default 0x1FF; 0x11 offers no
      SETSYMLIST), the client address and port of CONNECT (default
      127.0.0.1, 25), the HELO name (default probe.example) and the
      envelope sender (default: From's address; "@sender=" is <>).

  pd_probe.py abort SOCK QID ADDR SENDER
      a transaction (queue id QID at MAIL, no macro lists) aborted before
      its header: negotiation, connect from ADDR, MAIL FROM SENDER,
      SMFIC_ABORT, quit.  Prints "aborted".

  pd_probe.py drip SOCK KIND EVERY LIMIT
      a client that sends one byte every EVERY seconds and never ends
      what it sends: KIND "policy" (a request), "milter" (a packet, after
      negotiation), or "message" (whole packets, but one message that
      never ends).  Prints "closed after N.N s" when the daemon closes
      the connection, "open after LIMIT s" when it has not by then.

  pd_probe.py hold SOCK N SECONDS
      opens N connections, sends nothing, keeps them SECONDS, closes
      them; prints "held K" (K connected).

Paths are unix sockets ("/abs/path", or "unix:/abs/path") or
"inet:HOST:PORT".
"""
import os
import re
import signal
import socket
import struct
import sys
import time

TIMEOUT = 5.0

# ---- transport -------------------------------------------------------------


def connect(spec):
    if spec.startswith("inet:"):
        host, port = spec[5:].rsplit(":", 1)
        s = socket.create_connection((host, int(port)), TIMEOUT)
    else:
        if spec.startswith("unix:"):
            spec = spec[5:]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        s.connect(spec)
    s.settimeout(TIMEOUT)
    return s


def send_all(s, data):
    """False when the peer closed while we were sending."""
    try:
        s.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        x = s.recv(n - len(b))
        if not x:
            raise EOFError("closed")
        b += x
    return b


def wait_closed(s, timeout=TIMEOUT):
    """'closed' when the peer closes (EOF or reset), 'answered: ...' when
    it sends bytes, 'open' when it does neither in time."""
    s.settimeout(timeout)
    try:
        x = s.recv(65536)
    except (ConnectionResetError, BrokenPipeError):
        return "closed"
    except socket.timeout:
        return "open"
    if not x:
        return "closed"
    return "answered: " + x[:200].decode("latin-1").replace("\n", "\\n")


# ---- policy -------------------------------------------------------------


def policy_request(attrs):
    base = {"request": "smtpd_access_policy", "protocol_state": "RCPT",
            "protocol_name": "ESMTP", "client_address": "127.0.0.1",
            "client_name": "localhost", "helo_name": "probe.example",
            "queue_id": "", "recipient": "rcpt@example.net"}
    base.update(attrs)
    return "".join("%s=%s\n" % kv for kv in base.items()).encode() + b"\n"


def policy_read(s):
    """The reply's action line, or 'closed'."""
    buf = b""
    try:
        while b"\n\n" not in buf:
            x = s.recv(4096)
            if not x:
                return "closed"
            buf += x
    except (ConnectionResetError, socket.timeout):
        return "closed"
    for line in buf.split(b"\n"):
        if line.startswith(b"action="):
            return line.decode("utf-8", "replace")
    return "reply without action: %r" % buf[:200]


def policy_once(spec, attrs):
    s = connect(spec)
    try:
        if not send_all(s, policy_request(attrs)):
            return "closed"
        return policy_read(s)
    finally:
        s.close()


# ---- milter ---------------------------------------------------------------

SMFIP = {"C": 0x1000, "H": 0x2000, "M": 0x4000, "R": 0x8000, "T": 0x10000,
         "U": 0x20000, "N": 0x40000, "L": 0x80, "B": 0x80000}
NOSEND = {"C": 0x1, "H": 0x2, "M": 0x4, "R": 0x8, "B": 0x10, "L": 0x20,
          "N": 0x40, "U": 0x100, "T": 0x200}
HDR_LEADSPC = 0x100000


def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd.encode() + data


def read_pkt(s):
    n, = struct.unpack(">I", recv_exact(s, 4))
    d = recv_exact(s, n)
    return d[:1].decode("latin-1"), d[1:]


class Milter:
    """The MTA side of a milter conversation."""

    def __init__(self, spec):
        self.s = connect(spec)
        self.proto = 0
        self.actions = 0x1FF

    def negotiate(self):
        self.s.sendall(pkt("O", struct.pack(">III", 6, self.actions, 0x1FFFFF)))
        cmd, data = read_pkt(self.s)
        if cmd != "O" or len(data) < 12:
            raise RuntimeError("negotiation reply %r %r" % (cmd, data[:20]))
        _, _, self.proto = struct.unpack(">III", data[:12])

    def cmd(self, c, data=b"", macros=None):
        """Send command c (with its macros first) unless negotiated away;
        read its reply unless told not to wait for one."""
        if self.proto & NOSEND.get(c, 0):
            return None
        if macros:
            self.s.sendall(pkt("D", c.encode() + b"".join(
                k.encode() + b"\0" + v.encode() + b"\0" for k, v in macros)))
        self.s.sendall(pkt(c, data))
        if c in SMFIP and self.proto & SMFIP[c]:
            return None
        cmd, d = read_pkt(self.s)
        if cmd != "c":
            raise RuntimeError("reply %r to %r" % (cmd, c))
        return cmd

    def begin(self, sender, macros=(), qid="PROBE1", addr="127.0.0.1", port=25,
              helo="probe.example"):
        self.qid = qid
        self.negotiate()
        self.cmd("C", b"localhost\0" + b"4" + struct.pack(">H", port) + addr.encode() + b"\0",
                 [("j", "mx.probe.example"), ("{daemon_name}", "probe")])
        self.cmd("H", helo.encode() + b"\0")
        self.cmd("M", ("<%s>" % sender).encode() + b"\0",
                 [("{mail_addr}", sender)] + list(macros))
        self.cmd("R", b"<rcpt@example.net>\0")
        self.cmd("T", b"")

    def headers(self, fields):
        for name, value in fields:
            if self.proto & HDR_LEADSPC:
                value = " " + value
            self.cmd("L", name.encode() + b"\0" + value.encode() + b"\0",
                     [("i", self.qid)])
        self.cmd("N", b"", [("i", self.qid)])

    def body(self, data):
        for i in range(0, len(data), 65535):
            self.cmd("B", data[i:i + 65535])

    def end(self):
        """The replies to the end of the message."""
        out = []
        self.s.sendall(pkt("D", b"Ei\0" + self.qid.encode() + b"\0") + pkt("E"))
        while True:
            try:
                c, d = read_pkt(self.s)
            except (EOFError, ConnectionResetError, socket.timeout):
                out.append("closed")
                return out
            if c == "i":
                n, = struct.unpack(">I", d[:4])
                name, value = d[4:].split(b"\0")[:2]
                out.append("insheader %d %s:%s" % (n, name.decode(), value.decode(
                    "utf-8", "replace").replace("\n", "\\n")))
            elif c == "m":
                n, = struct.unpack(">I", d[:4])
                out.append("chgheader %d %s" % (n, d[4:].split(b"\0")[0].decode()))
            elif c == "y":
                out.append("reply " + d.rstrip(b"\0").decode("utf-8", "replace"))
                return out
            else:
                out.append({"c": "continue", "a": "accept", "t": "tempfail",
                            "r": "reject", "d": "discard"}.get(c, "packet " + c))
                return out

    def close(self):
        try:
            self.s.sendall(pkt("Q"))
        except OSError:
            pass
        self.s.close()


def parse_message(raw):
    raw = raw.replace(b"\r\n", b"\n")
    head, _, body = raw.partition(b"\n\n")
    fields = []
    for line in head.decode("utf-8", "replace").split("\n"):
        if line[:1] in (" ", "\t") and fields:
            fields[-1][1] += "\n" + line
        elif ":" in line:
            n, v = line.split(":", 1)
            fields.append([n, v.lstrip(" ")])
    return fields, body.replace(b"\n", b"\r\n")


def milter_message(spec, raw, macros=(), opts=None):
    opts = opts or {}
    fields, body = parse_message(raw)
    sender = "probe@example.org"
    for n, v in fields:
        if n.lower() == "from":
            m = re.search(r"[^<>\s\"]+@[^<>\s\"]+", v)
            if m:
                sender = m.group(0)
    sender = opts.get("sender", sender)
    m = Milter(spec)
    m.actions = int(opts.get("actions", "0x1FF"), 0)
    try:
        m.begin(sender, macros, qid=opts.get("qid", "PROBE1"),
                addr=opts.get("addr", "127.0.0.1"), port=int(opts.get("port", "25")),
                helo=opts.get("helo", "probe.example"))
        m.headers(fields)
        m.body(body)
        return m.end()
    finally:
        m.close()


# ---- the corpus ------------------------------------------------------------

GOOD_POLICY = {"sender": "probe@secure.example"}
GOOD_POLICY_ACTION = ("action=550 5.7.1 mail from secure.example must arrive "
                      "over TLS with a verified client certificate; this "
                      "session is not encrypted")
GOOD_FIELDS = [("From", "Probe <probe@ordinary.example>"),
               ("To", "rcpt@example.net"), ("Subject", "parallel probe"),
               ("Message-ID", "<probe@ordinary.example>")]


def optneg(version=6, actions=0x1FF, proto=0x1FFFFF):
    return pkt("O", struct.pack(">III", version, actions, proto))


def policy_cases():
    base = policy_request({"sender": "a@example.org"})
    yield "policy: a line without '='", b"request=smtpd_access_policy\nno equals sign here\n\n", "closed"
    yield "policy: an empty name (=value)", b"=value\nrequest=smtpd_access_policy\n\n", "closed"
    yield "policy: an upper-case name", b"Request=smtpd_access_policy\n\n", "closed"
    yield "policy: an attribute given twice", \
        b"request=smtpd_access_policy\nsender=a@example.org\nsender=b@example.org\n\n", "closed"
    yield "policy: a NUL byte in a value", \
        b"request=smtpd_access_policy\nsender=a\0b@example.org\n\n", "closed"
    yield "policy: a NUL byte before the name", b"\0request=smtpd_access_policy\n\n", "closed"
    yield "policy: 100 KB request (one 100 KB value, then the empty line)", \
        b"request=smtpd_access_policy\nsender=" + b"a" * 100000 + b"@example.org\n\n", "closed"
    yield "policy: 100 KB of lines without an empty line", \
        b"".join(b"x%d=%s\n" % (i, b"y" * 90) for i in range(1100)), "closed"
    yield "policy: more than 128 attributes", \
        b"".join(b"a%d=1\n" % i for i in range(200)) + b"\n", "closed"
    yield "policy: binary junk", bytes(range(256)) * 4 + b"\n\n", "closed"
    yield "policy: truncated request, then the client's end of file", \
        base[:40], "closed-after-eof"
    yield "policy: bytes after the empty line of one request, no second end", \
        base + b"request=smtpd_acc", "answered"
    yield "policy: an empty request (just the empty line)", b"\n", "answered"
    yield "policy: another request type", b"request=junk_policy\nsender=a@secure.example\n\n", "answered"
    yield "policy: ccert_subject that is not xtext (+ZZ)", policy_request(
        {"sender": "a@secure.example", "encryption_protocol": "TLSv1.3",
         "ccert_subject": "bad+ZZxtext", "ccert_fingerprint": "AA:BB"}), \
        "answered:no client certificate that verifies"
    yield "policy: CRLF line ends", base.replace(b"\n", b"\r\n"), "answered:DUNNO"


def milter_cases():
    on = optneg()
    yield "milter: packet length 0", b"\0\0\0\0", "closed"
    yield "milter: huge length (0x7fffffff)", b"\x7f\xff\xff\xffO", "closed"
    yield "milter: length just over 1 MB", struct.pack(">I", 1024 * 1024 + 1) + b"B" + b"x" * 100, "closed"
    yield "milter: truncated packet (says 100 bytes, has 10), then end of file", \
        struct.pack(">I", 100) + b"O" + b"\0" * 9, "closed-after-eof"
    yield "milter: truncated length field, then end of file", b"\0\0", "closed-after-eof"
    yield "milter: a command before negotiation", pkt("M", b"<a@example.org>\0"), "closed"
    yield "milter: bad optneg (4 bytes of data)", pkt("O", b"\0\0\0\6"), "closed"
    yield "milter: bad optneg (version 1)", optneg(version=1), "closed"
    yield "milter: optneg without the header actions", optneg(actions=0), "closed"
    yield "milter: header without NUL", on + pkt("L", b"From: a@example.org"), "closed-after-optneg"
    yield "milter: header with a name only", on + pkt("L", b"From\0"), "closed-after-optneg"
    yield "milter: header with an empty name", on + pkt("L", b"\0value\0"), "closed-after-optneg"
    yield "milter: unknown command 'Z'", on + pkt("Z", b"junk\0"), "closed-after-optneg"
    yield "milter: macros, odd count of strings", on + pkt("D", b"Mi\0"), "closed-after-optneg"
    yield "milter: macros without the final NUL", on + pkt("D", b"Mi\0ABC"), "closed-after-optneg"
    yield "milter: connect with family 'X'", on + pkt("C", b"host\0X\0\0addr\0"), "closed-after-optneg"
    yield "milter: connect without NULs", on + pkt("C", b"host"), "closed-after-optneg"
    yield "milter: MAIL without NUL", on + pkt("M", b"<a@example.org>"), "closed-after-optneg"
    yield "milter: empty MAIL", on + pkt("M"), "closed-after-optneg"
    yield "milter: random bytes", bytes((i * 7919 + 13) % 256 for i in range(4096)), "closed"
    yield "milter: end of message without any header (no From)", on + pkt("E"), \
        "answered-after-optneg:550 5.7.1"
    many = b"".join(pkt("L", b"X-Many\0 v%d\0" % i) for i in range(1001))
    yield "milter: 1001 header fields (over the 1,000 limit)", \
        on + pkt("L", b"From\0 a@example.org\0") + many + pkt("N") + pkt("E"), \
        "answered-after-optneg:550 5.6.0"
    yield "milter: NUL bytes in the body", on + pkt("L", b"From\0 a@ordinary.example\0") + pkt("N") + \
        pkt("B", b"a\0b\0\r\n") + pkt("E"), "answered-after-optneg:Authentication-Results"


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()[0]
        return st not in ("Z", "X")
    except OSError:
        return False


def corpus(psock, msock, pid):
    fails = 0

    def report(good, name, why=""):
        nonlocal fails
        if good:
            print("ok " + name, flush=True)
        else:
            fails += 1
            print("not ok %s - %s" % (name, why), flush=True)

    cases = [("policy", psock) + c for c in policy_cases()] + \
            [("milter", msock) + c for c in milter_cases()]
    for kind, spec, name, data, want in cases:
        why = []
        # the parallel good connections, opened and half done first
        try:
            gp = connect(psock)
            gm = Milter(msock)
            gm.begin("probe@ordinary.example")
            gm.headers(GOOD_FIELDS)
        except Exception as e:
            report(False, name, "parallel connections could not start: %s" % e)
            continue
        # the bad input
        try:
            b = connect(spec)
            if want.endswith("-after-optneg") or "-after-optneg:" in want:
                pass
            sent = send_all(b, data)
            if want == "closed-after-eof" and sent:
                b.shutdown(socket.SHUT_WR)
            if "after-optneg" in want:
                # the negotiation reply comes first: read and drop it
                try:
                    c, _ = read_pkt(b)
                    if c != "O":
                        why.append("first reply %r, not the negotiation" % c)
                except (EOFError, OSError) as e:
                    why.append("no negotiation reply (%s)" % e)
            if want.startswith("closed"):
                got = wait_closed(b) if sent else "closed"
                if got != "closed":
                    why.append("the bad connection: %s" % got)
            elif kind == "policy":
                got = policy_read(b)
                exp = want.split(":", 1)[1] if ":" in want else ""
                if not got.startswith("action=") or exp not in got:
                    why.append("wanted an answer with %r, got %r" % (exp, got))
            else:
                replies = []
                try:
                    while True:
                        c, d = read_pkt(b)
                        replies.append(c + d[:120].decode("latin-1").replace("\0", "|"))
                        if c in "yctard":
                            break
                except (EOFError, OSError):
                    replies.append("closed")
                exp = want.split(":", 1)[1]
                if not any(exp in r for r in replies):
                    why.append("wanted a reply with %r, got %r" % (exp, replies))
            b.close()
        except Exception as e:
            why.append("bad connection: %s: %s" % (type(e).__name__, e))
        time.sleep(0.05)
        if not alive(pid):
            report(False, name, "the daemon (pid %d) is gone" % pid)
            return 1
        # the parallel connections finish
        try:
            if not send_all(gp, policy_request(GOOD_POLICY)):
                why.append("parallel policy connection dropped")
            else:
                got = policy_read(gp)
                if got != GOOD_POLICY_ACTION:
                    why.append("parallel policy request: %r" % got)
            gp.close()
        except Exception as e:
            why.append("parallel policy: %s" % e)
        try:
            gm.body(b"parallel body\r\n")
            r = gm.end()
            gm.close()
            if not (any(x.startswith("insheader 0 Authentication-Results:") and "dkim=none" in x
                        for x in r) and r[-1] == "continue"):
                why.append("parallel milter message: %r" % r)
        except Exception as e:
            why.append("parallel milter: %s: %s" % (type(e).__name__, e))
        report(not why, name + " -> " + want.split(":")[0].replace("-after-optneg", "").replace(
            "-after-eof", " at end of file"), "; ".join(why))
    report(alive(pid), "the daemon is alive after the whole corpus")
    return 1 if fails else 0


# ---- slow clients ----------------------------------------------------------


def drip(spec, kind, every, limit):
    """One byte (or, for "message", one small packet) every `every`
    seconds; how long until the daemon closes the connection."""
    s = connect(spec)
    if kind == "policy":
        data = policy_request({"sender": "drip@example.org"})
        data = data[:-1]                        # never the empty line
    elif kind == "milter":
        m = Milter.__new__(Milter)
        m.s, m.proto, m.actions = s, 0, 0x1FF
        m.negotiate()
        data = pkt("L", b"X-Drip\0 " + b"d" * 200 + b"\0")
    else:
        m = Milter.__new__(Milter)
        m.s, m.proto, m.actions = s, 0, 0x1FF
        m.begin("drip@example.org")
        m.headers([("From", "drip@ordinary.example")])
        data = None
    t0 = time.time()
    i = 0
    while time.time() - t0 < limit:
        try:
            if data is not None:
                s.sendall(data[i % len(data):i % len(data) + 1])
            else:
                s.sendall(pkt("B", b"x\r\n"))
        except OSError:
            return "closed after %.1f s" % (time.time() - t0)
        i += 1
        s.settimeout(every)
        try:
            x = s.recv(65536)
            if not x:
                return "closed after %.1f s" % (time.time() - t0)
        except socket.timeout:
            pass
        except OSError:
            return "closed after %.1f s" % (time.time() - t0)
    s.close()
    return "open after %d s" % limit


def hold(spec, n, seconds):
    held = []
    for _ in range(n):
        try:
            c = connect(spec)
            held.append(c)
        except OSError:
            break
    print("held %d" % len(held), flush=True)
    time.sleep(seconds)
    for c in held:
        c.close()


# ---- main -----------------------------------------------------------------

def attrs_of(args):
    return dict(a.split("=", 1) for a in args)


def main():
    mode = sys.argv[1]
    if mode == "policy":
        print(policy_once(sys.argv[2], attrs_of(sys.argv[3:])))
    elif mode == "milter":
        raw = open(sys.argv[3], "rb").read()
        for line in milter_message(sys.argv[2], raw, list(attrs_of(sys.argv[4:]).items())):
            print(line)
    elif mode == "milterx":
        raw = open(sys.argv[3], "rb").read()
        args = sys.argv[4:]
        opts = attrs_of(a[1:] for a in args if a.startswith("@"))
        macros = list(attrs_of(a for a in args if not a.startswith("@")).items())
        for line in milter_message(sys.argv[2], raw, macros, opts):
            print(line)
    elif mode == "abort":
        m = Milter(sys.argv[2])
        m.actions = 0x11
        m.begin(sys.argv[5], [("i", sys.argv[3])], qid=sys.argv[3], addr=sys.argv[4])
        m.s.sendall(pkt("A"))
        m.close()
        print("aborted")
    elif mode == "drip":
        print(drip(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])))
    elif mode == "hold":
        hold(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif mode == "hup":
        spec, pid, log, sender = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
        s = connect(spec)
        s.sendall(policy_request({"sender": sender}))
        print("before: " + policy_read(s), flush=True)
        n = open(log, errors="replace").read().count("reloaded")
        os.kill(pid, signal.SIGHUP)
        until = time.time() + 10
        while open(log, errors="replace").read().count("reloaded") == n and time.time() < until:
            time.sleep(0.05)
        if not send_all(s, policy_request({"sender": sender})):
            print("after: closed")
        else:
            print("after: " + policy_read(s))
        s.close()
    elif mode == "corpus":
        sys.exit(corpus(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
