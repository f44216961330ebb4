#!/usr/bin/python3
"""spf_diff.py - SPF record trees for the differential test against pyspf.

  spf_diff.py gen N SEED DIR    write DIR/spf.example.zone (nsd), DIR/zone.txt
                                (mailseal's zone-file form of the same data)
                                and DIR/cases (ID IP SENDER per line)
  spf_diff.py pyspf PORT CASES  pyspf's result of each case, asking the DNS
                                server on 127.0.0.1:PORT: "ID RESULT" lines

Each scenario N gets its own subtree sN.spf.example: a record of random
terms (ip4/ip6 networks around the test clients, a, mx, include and
redirect to child records, exists with macros, void lookups, qualifiers,
all), children down to depth 3, and now and then a fault (two records, a
syntax error, an include of a name without a record, a loop).
"""
import random
import sys

IPS = ["192.0.2.10", "198.51.100.20", "2001:db8::5", "::ffff:192.0.2.10"]
QUALS = ["", "", "+", "-", "~", "?"]


class Gen:
    def __init__(self, rnd):
        self.r = rnd
        self.recs = []          # (relative name, type, data)

    def add(self, name, typ, data):
        self.recs.append((name, typ, data))

    def record(self, name, depth):
        r = self.r
        terms = []
        for _ in range(r.randint(1, 5)):
            q = r.choice(QUALS)
            k = r.randint(0, 9)
            if k == 0:
                terms.append(q + "ip4:192.0.2.%d/%d" % (r.choice([0, 10, 11]), r.choice([24, 30, 32])))
            elif k == 1:
                terms.append(q + "ip4:198.51.100.%d" % r.choice([20, 21]))
            elif k == 2:
                terms.append(q + "ip6:2001:db8::/%d" % r.choice([32, 64, 128]))
            elif k == 3:
                h = "h%d.%s" % (r.randint(0, 99), name)
                self.add(h, "A", r.choice(["192.0.2.10", "192.0.2.99", "198.51.100.20"]))
                if r.random() < 0.3:
                    self.add(h, "AAAA", "2001:db8::5")
                terms.append(q + "a:%s.spf.example%s" % (h, r.choice(["", "/24", "//64", "/30//128"])))
            elif k == 4:
                m = "m%d.%s" % (r.randint(0, 99), name)
                for j in range(r.randint(1, 3)):
                    host = "mx%d.%s" % (j, m)
                    self.add(m, "MX", "%d %s.spf.example." % (10 * j, host))
                    self.add(host, "A", r.choice(["192.0.2.10", "203.0.113.1", "198.51.100.20"]))
                terms.append(q + "mx:%s.spf.example" % m)
            elif k == 5 and depth < 3:
                child = "i%d.%s" % (r.randint(0, 99), name)
                self.record(child, depth + 1)
                terms.append(q + "include:%s.spf.example" % child)
            elif k == 6:
                e = "e.%s" % name
                self.add("192.0.2.10." + e, "A", "127.0.0.2")
                terms.append(q + "exists:%%{i}.%s.spf.example" % e)
            elif k == 7:
                terms.append(q + "a:nx%d.%s.spf.example" % (r.randint(0, 9), name))
            elif k == 8:
                terms.append(q + "exists:%{l}.%{d2}")
            else:
                terms.append(q + "a")
                self.add(name, "A", r.choice(["192.0.2.10", "198.51.100.21"]))
        end = r.randint(0, 5)
        if end <= 2:
            terms.append(["-all", "~all", "?all"][end])
        elif end == 3 and depth < 3:
            child = "r%d.%s" % (r.randint(0, 99), name)
            self.record(child, depth + 1)
            terms.append("redirect=%s.spf.example" % child)
        fault = r.random()
        if fault < 0.04:
            self.add(name, "TXT", "v=spf1 -all")
        elif fault < 0.07:
            terms.insert(r.randint(0, len(terms)), "ip4:999.1.1.1")
        elif fault < 0.10:
            terms.insert(0, "include:none%d.spf.example" % r.randint(0, 9))
        elif fault < 0.12:
            terms.insert(0, "include:%s.spf.example" % name)
        self.add(name, "TXT", "v=spf1 " + " ".join(terms))


def txt_quoted(s):
    parts = [s[i:i + 200] for i in range(0, len(s), 200)] or [""]
    return " ".join('"%s"' % p.replace("\\", "\\\\").replace('"', '\\"') for p in parts)


def gen(n, seed, out):
    rnd = random.Random(seed)
    g = Gen(rnd)
    cases = []
    for i in range(n):
        name = "s%d" % i
        g.record(name, 0)
        for ip in IPS:
            user = rnd.choice(["alice", "bob", "postmaster"])
            cases.append("%d-%s %s %s@%s.spf.example" % (i, ip, ip, user, name))
    for ip in IPS[:2]:          # names without a record: none
        cases.append("none-%s %s alice@nothing.spf.example" % (ip, ip))
        cases.append("nxd-%s %s alice@no.such.spf.example" % (ip, ip))
    g.add("nothing", "TXT", "some other text")
    with open(out + "/spf.example.zone", "w") as z, open(out + "/zone.txt", "w") as m:
        z.write("$ORIGIN spf.example.\n$TTL 300\n")
        z.write("@ IN SOA ns.spf.example. hostmaster.spf.example. 1 3600 600 86400 60\n")
        z.write("@ IN NS ns.spf.example.\nns IN A 127.0.0.1\n")
        m.write("ns.spf.example A 127.0.0.1\n")
        for name, typ, data in g.recs:
            if typ == "TXT":
                z.write("%s IN TXT %s\n" % (name, txt_quoted(data)))
                m.write("%s.spf.example TXT %s\n" % (name, txt_quoted(data)))
            else:
                z.write("%s IN %s %s\n" % (name, typ, data))
                m.write("%s.spf.example %s %s\n" % (name, typ, data))
    with open(out + "/cases", "w") as c:
        c.write("\n".join(cases) + "\n")


def pyspf(port, cases):
    import dns.resolver
    import spf
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = ["127.0.0.1"]
    res.port = port
    res.lifetime = 5
    dns.resolver.default_resolver = res
    for line in open(cases):
        cid, ip, sender = line.split()
        q = spf.query(i=ip, s=sender, h="client.example", querytime=0)
        try:
            result = q.check()[0]
        except Exception as x:      # pyspf's own failures are results too
            result = "exception:" + type(x).__name__
        print(cid, result)


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        pyspf(int(sys.argv[2]), sys.argv[3])
