#!/usr/bin/python3
"""dmarc_diff.py - DMARC scenarios for the differential test against
OpenDMARC (libopendmarc) and Mail::DMARC::PurePerl.

  dmarc_diff.py gen N SEED DIR MAILSEAL
        write, in DIR: zone.txt (mailseal's zone-file form of every
        record), one nsd zone body per top-level zone (TLD.body), the
        signed messages (m/ID.eml), peer.in (what the peers are told:
        ID AUTHOR SPFDOMAIN SPFRESULT then D= S= RESULT triples), and
        cases.json (each case's features and its category)
  dmarc_diff.py mailseal DIR MAILSEAL
        run `mailseal policy` on every case: "ID OUTCOME SPF DKIM..."
        lines in DIR/ms.out
  dmarc_diff.py compare DIR
        the three sets of outcomes side by side: "ok"/"not ok" lines

Every case has its own Organizational Domain cN.TLD under an ordinary
public suffix (com, net, org, co.uk), so the Public Suffix List and the
RFC 9989 DNS Tree Walk find the same one whenever the record is at
cN.TLD.  An outcome is "pass", "none", "temperror" or "fail:POLICY"
with the policy that applies (reject, quarantine, none).

A case is compared when RFC 7489 and RFC 9989 give the same answer for
it; otherwise it is excluded with the reason, decided from the case's
features alone (never from the results):

  org-domain    no record at cN.TLD but one below it: the Tree Walk's
                Organizational Domain is not the PSL's (RFC 9989 4.10,
                RFC 7489 3.2)
  intermediate  no record at the author domain, one at a name between
                it and cN.TLD: the Tree Walk finds it (RFC 9989 4.10),
                RFC 7489 6.6.3 goes straight to the Organizational Domain
  psd           psd=y anywhere, or psd=n on a record below cN.TLD: the
                Tree Walk's Organizational Domain is not the PSL's (RFC
                9989 4.7, 4.10; the tag is unknown to RFC 7489)
  pct           pct<100: RFC 7489 6.6.4 samples, RFC 9989 removed pct
  t=y           RFC 9989 4.7 testing mode lowers the disposition
  np            np= on a record applied to an author domain that does
                not exist (RFC 9989 4.7; unknown to RFC 7489, which
                applies sp=)
  p-invalid     p= missing or invalid, on a record without rua= (RFC
                7489 6.6.3 applies no DMARC, RFC 9989 4.7 reads it as
                p=none) or with sp=, adkim= or aspf= (RFC 7489 6.6.3
                acts as if the record were "v=DMARC1; p=none", RFC 9989
                keeps the other tags)
  temperror     an SPF or DKIM temperror: RFC 9989 makes it a DMARC
                temperror, RFC 7489 counts it as not passing

Where one peer departs from RFC 7489 itself (PEER_DEVIATIONS), that
peer is not compared on those cases; the other one still is.
"""
import json
import os
import random
import re
import subprocess
import sys

TLDS = ["com", "net", "org", "co.uk"]
CLIENT = "192.0.2.1"
REASONS = ["org-domain", "intermediate", "psd", "pct", "t=y", "np",
           "p-invalid", "temperror"]


def pick(r, weighted):
    total = sum(w for _, w in weighted)
    x = r.uniform(0, total)
    for v, w in weighted:
        x -= w
        if x <= 0:
            return v
    return weighted[-1][0]


def dmarc_record(r, org):
    """A DMARC record's tags (a dict) and its text."""
    t = {}
    t["p"] = pick(r, [("reject", 35), ("quarantine", 30), ("none", 25),
                      ("bogus", 5), (None, 5)])
    t["sp"] = pick(r, [(None, 50), ("none", 15), ("quarantine", 17), ("reject", 18)])
    t["adkim"] = pick(r, [(None, 40), ("r", 20), ("s", 40)])
    t["aspf"] = pick(r, [(None, 40), ("r", 20), ("s", 40)])
    t["pct"] = pick(r, [(None, 70), ("100", 15), ("0", 4), ("20", 4), ("50", 4), ("99", 3)])
    t["t"] = pick(r, [(None, 80), ("n", 10), ("y", 10)])
    t["np"] = pick(r, [(None, 80), ("none", 6), ("quarantine", 7), ("reject", 7)])
    t["psd"] = pick(r, [(None, 85), ("n", 10), ("y", 5)])
    t["rua"] = "mailto:dmarc@" + org if r.random() < 0.4 else None
    extra = []
    if r.random() < 0.15:
        extra.append(r.choice(["foo=bar", "xyz=1", "ext=some.thing"]))
    if r.random() < 0.15:
        extra.append(r.choice(["fo=1", "ri=3600", "rf=afrf", "fo=0:d"]))
    if r.random() < 0.04:
        # p= missing or invalid beside a rua= and nothing else that
        # changes the outcome: both RFCs read it as p=none
        t = dict.fromkeys(t)
        t["p"] = r.choice([None, "bogus"])
        t["rua"] = "mailto:dmarc@" + org
        extra = extra[:1]
    tags = ["%s=%s" % (k, v) for k, v in t.items() if v is not None] + extra
    r.shuffle(tags)
    sep = r.choice(["; ", ";", " ; "])
    text = sep.join(["v=DMARC1"] + tags) + r.choice(["", ";"])
    return t, text


class Case:
    def __init__(self, r, i):
        self.r = r
        self.id = "c%d" % i
        tld = r.choice(TLDS)
        self.org = "c%d.%s" % (i, tld)
        self.other = "o%d.%s" % (i, r.choice(TLDS))     # another organization
        self.recs = []                                  # (name, type, data)
        self.features = {}

    def add(self, name, typ, data):
        if (name, typ, data) not in self.recs:
            self.recs.append((name, typ, data))

    def build(self, keytxt):
        r, org = self.r, self.org
        shape = pick(r, [("org", 35), ("sub", 30), ("deep", 25), ("nx", 10)])
        author = {"org": org, "sub": "mail." + org, "deep": "a.b." + org,
                  "nx": "nx." + org}[shape]
        self.author = author
        self.add(org, "A", "192.0.2.80")
        self.add(org, "MX", "10 mx.%s." % org)
        self.add("mx." + org, "A", "192.0.2.81")
        if shape in ("sub", "deep"):
            self.add(author, "A", "192.0.2.82")
        self.add(self.other, "A", "192.0.2.83")
        # DMARC records: at the org domain, the author's own, between
        at = {}
        if r.random() < 0.85:
            at[org] = dmarc_record(r, org)
        if shape in ("sub", "deep") and r.random() < 0.4:
            at[author] = dmarc_record(r, org)
        if shape == "deep" and r.random() < 0.25:
            at["b." + org] = dmarc_record(r, org)
        for name, (_, text) in at.items():
            self.add("_dmarc." + name, "TXT", text)

        # identifiers: the MAIL FROM domain and each DKIM d=
        kinds = [("author", 30), ("org", 25), ("sibling", 15), ("child", 10),
                 ("unrelated", 20)]
        if shape == "nx":
            kinds = [k for k in kinds if k[0] not in ("author", "child")]

        def ident(kind):
            return {"author": author, "org": org, "sibling": "other." + org,
                    "child": "x." + author, "unrelated": self.other}[kind]

        null_sender = r.random() < 0.05
        spf_kind = pick(r, kinds)
        spf_dom = ident(spf_kind)
        spf_res = pick(r, [("pass", 45), ("fail", 30), ("softfail", 7),
                           ("neutral", 5), ("none", 8), ("temperror", 5)])
        spf_text = {"pass": "v=spf1 ip4:%s -all" % CLIENT, "fail": "v=spf1 -all",
                    "softfail": "v=spf1 ~all", "neutral": "v=spf1 ?all"}
        if spf_res == "temperror":
            self.add(spf_dom, "TIMEOUT", None)
        elif spf_res in spf_text:
            self.add(spf_dom, "TXT", spf_text[spf_res])
        if spf_dom not in (org, author, self.other) and spf_res != "temperror":
            self.add(spf_dom, "A", "192.0.2.84")
        if null_sender:
            self.mail_from, self.helo = "", spf_dom
        else:
            self.mail_from = "bounce@" + spf_dom
            # the HELO name: an SPF pass at the author domain, now and
            # then, that must never count for DMARC
            self.helo = "mta." + self.other
            if (spf_dom != author and shape != "nx" and spf_res != "temperror"
                    and r.random() < 0.2):
                self.helo = author
                self.add(author, "TXT", spf_text["pass"])
            else:
                self.add(self.helo, "A", CLIENT)

        self.sigs = []
        nsig = pick(r, [(0, 25), (1, 45), (2, 22), (3, 8)])
        for j in range(nsig):
            d = ident(pick(r, kinds))
            res = pick(r, [("pass", 60), ("fail", 36), ("temperror", 4)])
            sel = "s%d" % j
            if res == "temperror":
                self.add("%s._domainkey.%s" % (sel, d), "TIMEOUT", None)
            else:
                self.add("%s._domainkey.%s" % (sel, d), "TXT", keytxt)
            self.sigs.append((d, sel, res))

        self.features = {
            "shape": shape, "author": author, "org": org,
            "records": {n: t for n, (t, _) in at.items()},
            "texts": {n: x for n, (_, x) in at.items()},
            "spf": [spf_dom, spf_res, spf_kind], "null_sender": null_sender,
            "helo": self.helo, "sigs": self.sigs,
        }
        self.features["category"] = category(self.features)

    def message(self):
        return ("From: Someone <user@%s>\r\nTo: rcpt@mx.example\r\n"
                "Subject: case %s\r\nMessage-ID: <%s@test>\r\n\r\n"
                "Case %s of the DMARC differential test.\r\n"
                % (self.author, self.id, self.id, self.id))


def category(f):
    """'compare', or the first reason RFC 7489 and RFC 9989 part ways."""
    recs, author, org = f["records"], f["author"], f["org"]
    reasons = []
    if recs and org not in recs:
        reasons.append("org-domain")
    if author not in recs and len(recs) > (1 if org in recs else 0):
        reasons.append("intermediate")
    if any(t["psd"] == "y" or (t["psd"] and n != org) for n, t in recs.items()):
        reasons.append("psd")
    applied = recs.get(author) or recs.get(org)
    if applied:
        if applied["pct"] not in (None, "100"):
            reasons.append("pct")
        if applied["t"] == "y":
            reasons.append("t=y")
        if applied["np"] and f["shape"] == "nx":
            reasons.append("np")
        if applied["p"] in (None, "bogus") and (
                not applied["rua"] or applied["sp"] or applied["adkim"] or applied["aspf"]):
            reasons.append("p-invalid")
    if f["spf"][1] == "temperror" or any(s[2] == "temperror" for s in f["sigs"]):
        reasons.append("temperror")
    return reasons[0] if reasons else "compare"


def in_org(d, f):
    return d == f["org"] or d.endswith("." + f["org"])


def applied_record(f):
    return f["records"].get(f["author"]) or f["records"].get(f["org"])


def od_p_refused(f):
    a = applied_record(f)
    return bool(a) and a["p"] in (None, "bogus")


def od_strict(f):
    a = applied_record(f)
    if not a:
        return False
    below = "." + f["author"]
    spf_dom, spf_res, _ = f["spf"]
    return ((a["adkim"] == "s" and any(res == "pass" and d.endswith(below)
                                       for d, _, res in f["sigs"]))
            or (a["aspf"] == "s" and spf_res == "pass" and spf_dom.endswith(below)))


def od_dkim_cleared(f):
    sigs = f["sigs"]
    return any(sigs[i][2] == "pass" and in_org(sigs[i][0], f)
               and sigs[j][2] != "pass" and in_org(sigs[j][0], f)
               for i in range(len(sigs)) for j in range(i + 1, len(sigs)))


def pl_p_invalid(f):
    a = applied_record(f)
    return bool(a) and a["p"] == "bogus"


# Where a peer departs from RFC 7489 itself in a case both RFCs agree
# on: that peer's outcome is not compared there (docs/dmarc.md lists
# each with the RFC's text); the other peer's still is.
PEER_DEVIATIONS = {
    "OpenDMARC": [
        ("p= missing or invalid beside a rua=: the record is refused", od_p_refused),
        ("adkim=s or aspf=s: a passing identifier below the author domain counts as aligned", od_strict),
        ("a failing signature from the author's organization after a passing one hides the pass", od_dkim_cleared),
    ],
    "Mail::DMARC": [
        ("p= invalid beside a rua=: the record is refused", pl_p_invalid),
    ],
}


def txt_quoted(s):
    parts = [s[i:i + 200] for i in range(0, len(s), 200)] or [""]
    return " ".join('"%s"' % p.replace("\\", "\\\\").replace('"', '\\"') for p in parts)


def zone_of(name):
    for tld in sorted(TLDS, key=len, reverse=True):
        if name.endswith("." + tld):
            return tld
    raise ValueError(name)


def gen(n, seed, out, mailseal):
    r = random.Random(seed)
    keys = out + "/keys"
    os.makedirs(keys, exist_ok=True)
    os.makedirs(out + "/m", exist_ok=True)
    for k in ("ka", "kb"):
        subprocess.run([mailseal, "keygen", "-d", "key.example", "-s", k,
                        "-t", "ed25519", "-o", keys], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(keys + "/ka.txt") as f:
        keytxt = re.search(r'\( *"(.*)" *\)', f.read()).group(1)
    cases = [Case(r, i) for i in range(n)]
    zone = []
    bodies = {t: [] for t in TLDS}
    meta = {}
    peer = []
    for c in cases:
        c.build(keytxt)
        for name, typ, data in c.recs:
            if typ == "TIMEOUT":
                zone.append("%s TIMEOUT" % name)
                continue
            shown = txt_quoted(data) if typ == "TXT" else data
            zone.append("%s %s %s" % (name, typ, shown))
            if "._domainkey." not in name:      # the peers never see keys
                bodies[zone_of(name)].append("%s. IN %s %s" % (name, typ, shown))
        path = "%s/m/%s.eml" % (out, c.id)
        with open(path + ".in", "w") as f:
            f.write(c.message())
        argv = [mailseal, "sign"]
        for d, sel, res in c.sigs:
            key = "kb" if res == "fail" else "ka"
            argv += ["-d", d, "-s", sel, "-k", "%s/%s.private" % (keys, key)]
        with open(path, "w") as f:
            if c.sigs:
                subprocess.run(argv + [path + ".in"], check=True, stdout=f)
            else:
                f.write(c.message())
        os.unlink(path + ".in")
        spf_dom, spf_res, _ = c.features["spf"]
        peer.append(" ".join([c.id, c.author, spf_dom, spf_res]
                             + ["%s %s %s" % sig for sig in c.sigs]))
        c.features["mail_from"] = c.mail_from
        meta[c.id] = c.features
    with open(out + "/zone.txt", "w") as f:
        f.write("\n".join(zone) + "\n")
    for t, lines in bodies.items():
        with open("%s/%s.body" % (out, t), "w") as f:
            f.write("\n".join(lines) + "\n")
    with open(out + "/peer.in", "w") as f:
        f.write("\n".join(peer) + "\n")
    with open(out + "/cases.json", "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)


LOG_DMARC = re.compile(r" dmarc=([a-z]+)/([^ (]+)(?:\(([a-z]+)=([a-z]+)[^)]*\))?")
LOG_SPF = re.compile(r" spf=([a-z]+)/")
LOG_DKIM = re.compile(r" dkim=([a-z]+)/([^/ ]+)/([A-Za-z0-9_-]+)")


def run_mailseal(out, mailseal):
    meta = json.load(open(out + "/cases.json"))
    with open(out + "/ms.conf", "w") as f:
        f.write("check_dmarc = yes\nauthserv_id = mx.test\n"
                "on_dmarc_reject = tag\non_dmarc_quarantine = tag\n")
    lines = []
    for cid in sorted(meta, key=lambda c: int(c[1:])):
        f = meta[cid]
        p = subprocess.run([mailseal, "-c", out + "/ms.conf", "policy",
                            "--dns-file", out + "/zone.txt", "--ip", CLIENT,
                            "--helo", f["helo"], "--mail-from", f["mail_from"],
                            "%s/m/%s.eml" % (out, cid)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        log = [l for l in p.stdout.splitlines() if l.startswith("log=")]
        m = LOG_DMARC.search(log[0]) if log else None
        if not m:
            lines.append("%s error %s" % (cid, p.stdout.replace("\n", "|")))
            continue
        res = m.group(1)
        outcome = "fail:" + m.group(4) if res == "fail" else res
        spf = LOG_SPF.search(log[0])
        dkim = ["%s/%s/%s" % x for x in LOG_DKIM.findall(log[0])]
        lines.append(" ".join([cid, outcome, spf.group(1) if spf else "-"] + dkim))
    with open(out + "/ms.out", "w") as f:
        f.write("\n".join(lines) + "\n")


def read_outcomes(path):
    got = {}
    for line in open(path):
        w = line.split()
        if w:
            got[w[0]] = w[1:]
    return got


def compare(out):
    meta = json.load(open(out + "/cases.json"))
    ms = read_outcomes(out + "/ms.out")
    peers = [("OpenDMARC", read_outcomes(out + "/od.out")),
             ("Mail::DMARC", read_outcomes(out + "/pl.out"))]
    order = sorted(meta, key=lambda c: int(c[1:]))
    bad = 0

    def line(ok, text):
        nonlocal bad
        if not ok:
            bad += 1
        print("%s - %s" % ("ok" if ok else "not ok", text))

    # the scenario is what it says: mailseal's own SPF and DKIM results
    # are the ones the peers are told
    wrong = []
    for cid in order:
        f, m = meta[cid], ms.get(cid, ["missing", "-"])
        want_spf = f["spf"][1]
        want_dkim = sorted("%s/%s/%s" % (res, d, s) for d, s, res in f["sigs"])
        have_dkim = sorted(m[2:])
        if m[1] != want_spf or have_dkim != want_dkim:
            wrong.append("%s spf=%s (meant %s) dkim=%s (meant %s)"
                         % (cid, m[1], want_spf, ",".join(have_dkim) or "-",
                            ",".join(want_dkim) or "-"))
    line(not wrong, "mailseal's SPF and DKIM results are the scenario's in %d of %d cases%s"
         % (len(order) - len(wrong), len(order), "" if not wrong else ": " + "; ".join(wrong[:3])))
    errors = [c for c in order if ms.get(c, ["missing"])[0] in ("error", "missing")]
    line(not errors, "mailseal gave a DMARC outcome in every case%s"
         % ("" if not errors else ": " + " ".join(errors[:5])))

    compared = [c for c in order if meta[c]["category"] == "compare"]
    for name, got in peers:
        agree, differ, mine_only = 0, [], list(compared)
        for why, pred in PEER_DEVIATIONS[name]:
            ids = [c for c in mine_only if pred(meta[c])]
            mine_only = [c for c in mine_only if c not in ids]
            same = sum(1 for c in ids if ms[c][0] == got.get(c, ["?"])[0])
            print("# %s departs from RFC 7489 (%s): %d cases not compared with it, "
                  "%d the same anyway" % (name, why, len(ids), same))
        for cid in mine_only:
            mine = ms.get(cid, ["missing"])[0]
            theirs = got.get(cid, ["missing"])[0]
            if mine == theirs:
                agree += 1
            else:
                differ.append((cid, mine, theirs))
        line(not differ, "%d of %d compared cases agree with %s"
             % (agree, len(mine_only), name))
        for cid, mine, theirs in differ:
            f = meta[cid]
            line(False, "%s: mailseal %s, %s %s; author %s, records %s, spf %s, dkim %s"
                 % (cid, mine, name, theirs, f["author"],
                    json.dumps(f["texts"], sort_keys=True),
                    "/".join(f["spf"][:2]) + ("(null sender)" if f["null_sender"] else ""),
                    ",".join("%s/%s" % (d, res) for d, _, res in f["sigs"]) or "-"))
    kinds = {}
    for cid in compared:
        kinds[ms[cid][0]] = kinds.get(ms[cid][0], 0) + 1
    print("# compared: %d cases, %s" % (len(compared), ", ".join(
        "%s %d" % kv for kv in sorted(kinds.items()))))
    for want in ("pass", "none", "fail:reject", "fail:quarantine", "fail:none"):
        line(kinds.get(want, 0) > 0, "the compared cases include %s (%d)"
             % (want, kinds.get(want, 0)))
    for reason in REASONS:
        ids = [c for c in order if meta[c]["category"] == reason]
        same = ["%d" % sum(1 for c in ids if ms.get(c, ["-"])[0] == got.get(c, ["?"])[0])
                for _, got in peers]
        print("# excluded (%s): %d cases; the same outcome anyway: OpenDMARC %s, Mail::DMARC %s"
              % (reason, len(ids), same[0], same[1]))
        line(len(ids) > 0, "the generator covers the known difference %s (%d cases)"
             % (reason, len(ids)))
    return bad


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif cmd == "mailseal":
        run_mailseal(sys.argv[2], sys.argv[3])
    elif cmd == "compare":
        sys.exit(1 if compare(sys.argv[2]) else 0)
    else:
        sys.exit("usage: dmarc_diff.py gen|mailseal|compare ...")
