#!/usr/bin/python3
"""gencorpus.py - a deterministic corpus of realistic mail for the benchmarks.

    gencorpus.py --seed N --out DIR            the mixed corpus (DIR/msg-NNNN.eml
                                               and DIR/list.txt, one path a line)
    gencorpus.py --seed N --big MB --out FILE  one message of about MB megabytes
    gencorpus.py --seed N --sized N --domain D --out DIR
                                               N messages DIR/msg-NNNN.eml of
                                               3-30 KB once signed, From D

Messages are CRLF (wire form), with a realistic header block (Received
chains, folded fields), bodies of prose with normal word spacing wrapped at
~72 columns, multipart/alternative HTML parts (a few with very long lines)
and multipart/mixed messages with base64 attachments (76-column lines).

The mix (the defaults): 120 messages of about 3 KB, 60 of about 30 KB and
20 of about 300 KB.  Same seed, same bytes.

--sized is the corpus of the receive benchmarks (bench/exim.sh and
bench/postfix.sh, through bench/lib.sh's bench_corpus): sizes spread evenly
over 3-30 KB once the messages are DKIM-signed (the signature adds about
560 bytes), plain, multipart/alternative and multipart/mixed 5:3:2 in a
shuffled order, the From address's domain rewritten to D (the signing
domain).  No list.txt, nothing said.
"""
import argparse
import base64
import os
import random
import re
import sys

CRLF = "\r\n"
SYLL = ["ka", "lo", "mi", "ner", "to", "sa", "ven", "di", "ra", "po", "lu",
        "te", "bro", "an", "es", "qui", "mar", "ol", "ti", "ge", "ston", "wel",
        "ba", "re", "pha", "in", "cor", "da", "ex", "ul", "fen", "ri", "so"]
COMMON = ["the", "of", "and", "to", "a", "in", "is", "it", "that", "for",
          "on", "with", "as", "was", "we", "be", "at", "by", "this", "have",
          "from", "or", "you", "will", "are", "not", "all", "can", "our",
          "meeting", "report", "please", "thanks", "attached", "review",
          "project", "team", "next", "week", "update", "numbers", "budget"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        r = self.r
        self.vocab = COMMON * 6 + ["".join(r.choice(SYLL)
                                           for _ in range(r.randint(1, 4)))
                                   for _ in range(3000)]
        self.names = [(n.capitalize(), s.capitalize()) for n, s in
                      zip(self.words(400), self.words(400))]
        self.domains = ["bench.example", "mail.bench.example",
                        "partner.example.org", "lists.example.net",
                        "corp.example.com"]

    def words(self, n):
        return [self.r.choice(self.vocab) for _ in range(n)]

    def sentence(self):
        w = self.words(self.r.randint(5, 18))
        s = " ".join(w)
        return s[0].upper() + s[1:] + self.r.choice(".........?!")

    def paragraph_text(self, nbytes):
        """prose of about nbytes, single-spaced, as one string"""
        out, n = [], 0
        while n < nbytes:
            s = self.sentence()
            out.append(s)
            n += len(s) + 1
        return " ".join(out)

    @staticmethod
    def wrap(text, width=72):
        lines, cur, n = [], [], 0
        for w in text.split(" "):
            if n + len(w) + (1 if cur else 0) > width and cur:
                lines.append(" ".join(cur))
                cur, n = [], 0
            cur.append(w)
            n += len(w) + (1 if len(cur) > 1 else 0)
        if cur:
            lines.append(" ".join(cur))
        return lines

    def prose(self, nbytes):
        """wrapped paragraphs separated by blank lines; list of lines"""
        lines = []
        left = nbytes
        while left > 0:
            p = min(left, self.r.randint(200, 900))
            lines += self.wrap(self.paragraph_text(p))
            lines.append("")
            left -= p + 2
        # a little of what real mail has: a signature block, a quote
        if self.r.random() < 0.3:
            lines += ["-- ", "%s %s" % self.r.choice(self.names),
                      "Phone: +1 555 %04d" % self.r.randint(0, 9999)]
        return lines

    def html(self, nbytes, longlines):
        """an HTML rendering; longlines: whole paragraphs on one line"""
        lines = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\">",
                 "<style>body { font-family: sans-serif; }</style></head>",
                 "<body>"]
        left = nbytes
        while left > 0:
            p = min(left, self.r.randint(300, 1500) if not longlines
                    else self.r.randint(2000, 9000))
            text = self.paragraph_text(p)
            if longlines:
                lines.append("<p style=\"margin:0 0 12px 0;color:#333333\">"
                             + text + "</p>")
            else:
                lines += ["<p>"] + self.wrap(text, 76) + ["</p>"]
            left -= p + 20
        lines += ["</body></html>"]
        return lines

    def attachment(self, nbytes):
        """base64 lines of nbytes of binary-looking data"""
        raw = self.r.randbytes(nbytes * 3 // 4)
        b = base64.b64encode(raw).decode()
        return [b[i:i + 76] for i in range(0, len(b), 76)]

    def addr(self):
        f, l = self.r.choice(self.names)
        return "%s %s <%s.%s@%s>" % (f, l, f.lower(), l.lower(),
                                     self.r.choice(self.domains))

    def headers(self, i, ctype):
        r = self.r
        h = []
        hops = r.randint(2, 5)
        for k in range(hops):
            h.append("Received: from mx%d.%s (mx%d.%s [192.0.2.%d])\r\n"
                     "\tby mx.bench.example (Postfix) with ESMTPS id %08X\r\n"
                     "\tfor <user%d@bench.example>; Sun, %d Nov 2026 "
                     "%02d:%02d:%02d +0000"
                     % (k, r.choice(self.domains), k, r.choice(self.domains),
                        r.randint(1, 254), r.getrandbits(32), i,
                        r.randint(1, 28), r.randint(0, 23), r.randint(0, 59),
                        r.randint(0, 59)))
        h.append("Return-Path: <bounce-%d@bench.example>" % i)
        h.append("From: " + self.addr())
        to = ", ".join(self.addr() for _ in range(r.randint(1, 4)))
        h.append("To: " + (",\r\n ".join(to.split(", ")) if len(to) > 70
                         else to))
        if r.random() < 0.4:
            h.append("Cc: " + self.addr())
        subj = " ".join(self.words(r.randint(3, 9)))
        h.append("Subject: " + subj[0].upper() + subj[1:])
        h.append("Date: Sun, %d Nov 2026 %02d:%02d:%02d +0000"
                 % (r.randint(1, 28), r.randint(0, 23), r.randint(0, 59),
                    r.randint(0, 59)))
        h.append("Message-ID: <%016x.%d@bench.example>"
                 % (r.getrandbits(64), i))
        if r.random() < 0.3:
            h.append("In-Reply-To: <%016x@partner.example.org>"
                     % r.getrandbits(64))
            h.append("References: <%016x@partner.example.org>\r\n"
                     " <%016x@partner.example.org>"
                     % (r.getrandbits(64), r.getrandbits(64)))
        h.append("MIME-Version: 1.0")
        h.append("Content-Type: " + ctype)
        if ctype.startswith("text/plain"):
            h.append("Content-Transfer-Encoding: 7bit")
        h.append("X-Mailer: BenchMail %d.%d" % (r.randint(1, 9),
                                                r.randint(0, 20)))
        if r.random() < 0.25:
            h.append("List-Unsubscribe: <mailto:unsub-%d@lists.example.net>,"
                     "\r\n <https://lists.example.net/u/%016x>"
                     % (i, r.getrandbits(64)))
        return h

    def boundary(self):
        return "=_bench_%016x" % self.r.getrandbits(64)

    def message(self, i, size, kind, longlines=False):
        """kind: plain | alt | mixed; size: target bytes (approximate)"""
        body = []
        if kind == "plain":
            ctype = "text/plain; charset=utf-8; format=flowed"
            body = self.prose(size - 1000)
        elif kind == "alt":
            b = self.boundary()
            ctype = "multipart/alternative;\r\n\tboundary=\"%s\"" % b
            tsize = (size - 1300) * 2 // 5
            body = ["This is a multi-part message in MIME format.", "",
                    "--" + b, "Content-Type: text/plain; charset=utf-8",
                    "Content-Transfer-Encoding: 7bit", ""]
            body += self.prose(tsize)
            body += ["--" + b, "Content-Type: text/html; charset=utf-8",
                     "Content-Transfer-Encoding: 7bit", ""]
            body += self.html(size - 1300 - tsize, longlines)
            body += ["--" + b + "--", ""]
        else:
            b = self.boundary()
            ctype = "multipart/mixed;\r\n\tboundary=\"%s\"" % b
            tsize = self.r.randint(600, 3000)
            body = ["This is a multi-part message in MIME format.", "",
                    "--" + b, "Content-Type: text/plain; charset=utf-8",
                    "Content-Transfer-Encoding: 7bit", ""]
            body += self.prose(tsize)
            left = size - 1500 - tsize
            nparts = 1 if left < 50000 else self.r.randint(1, 3)
            for k in range(nparts):
                name = "%s-%d.%s" % (self.r.choice(self.vocab), k,
                                     self.r.choice(["pdf", "png", "xlsx",
                                                    "zip", "jpg"]))
                body += ["--" + b,
                         "Content-Type: application/octet-stream;"
                         " name=\"%s\"" % name,
                         "Content-Transfer-Encoding: base64",
                         "Content-Disposition: attachment;",
                         " filename=\"%s\"" % name, ""]
                body += self.attachment(max(left // nparts - 200, 100))
            body += ["--" + b + "--", ""]
        hdr = self.headers(i, ctype)
        return (CRLF.join(hdr) + CRLF + CRLF + CRLF.join(body) + CRLF
                ).encode()


def corpus(seed, out, n_small, n_mid, n_large):
    g = Gen(seed)
    os.makedirs(out, exist_ok=True)
    plan = []
    for _ in range(n_small):
        plan.append(("small", 3000,
                     g.r.choices(["plain", "alt", "mixed"], [6, 3, 1])[0]))
    for _ in range(n_mid):
        plan.append(("mid", 30000,
                     g.r.choices(["plain", "alt", "mixed"], [2, 3, 5])[0]))
    for _ in range(n_large):
        plan.append(("large", 300000,
                     g.r.choices(["plain", "alt", "mixed"], [1, 2, 7])[0]))
    g.r.shuffle(plan)
    paths, total = [], 0
    stats = {}
    for i, (cls, size, kind) in enumerate(plan):
        size = int(size * g.r.uniform(0.7, 1.3))
        longlines = kind == "alt" and g.r.random() < 0.25
        m = g.message(i, size, kind, longlines)
        p = os.path.join(out, "msg-%04d.eml" % i)
        with open(p, "wb") as f:
            f.write(m)
        paths.append(os.path.abspath(p))
        total += len(m)
        k = "%s/%s%s" % (cls, kind, "+longlines" if longlines else "")
        c = stats.setdefault(k, [0, 0])
        c[0] += 1
        c[1] += len(m)
    with open(os.path.join(out, "list.txt"), "w") as f:
        f.write("\n".join(paths) + "\n")
    sys.stderr.write("gencorpus: %d messages, %d bytes in %s\n"
                     % (len(paths), total, out))
    for k in sorted(stats):
        sys.stderr.write("  %-28s %4d msgs %10d bytes\n"
                         % (k, stats[k][0], stats[k][1]))


def sized(seed, out, n, domain):
    """n messages of 3-30 KB once signed, From the signing domain"""
    g = Gen(seed)
    os.makedirs(out, exist_ok=True)
    sizes = [3000 + 27000 * i // max(n - 1, 1) for i in range(n)]
    g.r.shuffle(sizes)
    for i, size in enumerate(sizes):
        kind = g.r.choices(["plain", "alt", "mixed"], [5, 3, 2])[0]
        want = size - 560
        t = want
        for _ in range(8):      # the generator's sizes are approximate
            m = g.message(i, t, kind)
            if abs(len(m) - want) <= max(100, want // 50):
                break
            t += want - len(m)
        m = re.sub(rb"(?m)^From: (.*)<([^@>]*)@[^>]*>",
                   rb"From: \1<\2@" + domain.encode() + rb">", m, count=1)
        with open(os.path.join(out, "msg-%04d.eml" % i), "wb") as f:
            f.write(m)


def big(seed, out, mb):
    """one message of about mb MB: text, HTML, then base64 attachments"""
    g = Gen(seed)
    b = g.boundary()
    size = mb * 1000 * 1000
    lines = ["This is a multi-part message in MIME format.", "",
             "--" + b, "Content-Type: text/plain; charset=utf-8",
             "Content-Transfer-Encoding: 7bit", ""]
    lines += g.prose(200000)
    lines += ["--" + b, "Content-Type: text/html; charset=utf-8",
              "Content-Transfer-Encoding: 7bit", ""]
    lines += g.html(200000, True)
    hdr = g.headers(0, "multipart/mixed;\r\n\tboundary=\"%s\"" % b)
    with open(out, "wb") as f:
        f.write((CRLF.join(hdr) + CRLF + CRLF + CRLF.join(lines) + CRLF)
                .encode())
        left = size - f.tell() - 1000
        k = 0
        while left > 0:
            part = min(left, 8 * 1000 * 1000)
            f.write((CRLF.join(["--" + b,
                                "Content-Type: application/octet-stream;"
                                " name=\"blob%d.bin\"" % k,
                                "Content-Transfer-Encoding: base64", ""])
                     + CRLF).encode())
            f.write((CRLF.join(g.attachment(part)) + CRLF).encode())
            left -= part
            k += 1
        f.write(("--" + b + "--" + CRLF).encode())
        sys.stderr.write("gencorpus: big message %s, %d bytes\n"
                         % (out, f.tell()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--out", required=True)
    ap.add_argument("--small", type=int, default=120)
    ap.add_argument("--mid", type=int, default=60)
    ap.add_argument("--large", type=int, default=20)
    ap.add_argument("--big", type=int, default=0,
                    help="write one message of this many MB to --out")
    ap.add_argument("--sized", type=int, default=0,
                    help="this many messages of 3-30 KB once signed")
    ap.add_argument("--domain", help="with --sized: the From domain")
    a = ap.parse_args()
    if a.sized:
        if not a.domain:
            ap.error("--sized needs --domain")
        sized(a.seed, a.out, a.sized, a.domain)
    elif a.big:
        big(a.seed, a.out, a.big)
    else:
        corpus(a.seed, a.out, a.small, a.mid, a.large)


if __name__ == "__main__":
    main()
