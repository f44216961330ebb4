#!/usr/bin/python3
"""bench_dkimpy.py - dkimpy (Debian's python3-dkim) in process.

    bench_dkimpy.py sign|verify rsa|ed25519 LIST KEYDIR RUNS MINSEC [OUTDIR]
    bench_dkimpy.py check rsa|ed25519 LIST KEYDIR 0 0   verify each once

Same protocol and output lines as the C drivers (bench/benchutil.h).
Keys: the private key is read once and its parse memoized (dkimpy's API
takes the PEM bytes on every sign call); verification answers key lookups
from memory through dnsfunc=, and the parsed public key is memoized too.  Also used, with RUNS 0 and OUTDIR, to sign
the verification corpus ahead of timing.
"""
import functools
import os
import sys
import time

import dkim

DOMAIN = b"bench.example"
SIGN_HDRS = [b"from", b"to", b"cc", b"subject", b"date", b"message-id",
             b"in-reply-to", b"references", b"mime-version", b"content-type",
             b"content-transfer-encoding"]


def header_names(msg):
    """lower-case names of the message's header fields"""
    end = msg.find(b"\r\n\r\n")
    names = set()
    for line in msg[:end].split(b"\r\n"):
        if line[:1] not in (b" ", b"\t") and b":" in line:
            names.add(line.split(b":", 1)[0].strip().lower())
    return names


def main():
    op, alg, listfile, keydir = sys.argv[1:5]
    check_only = op == "check"          # verify once, print CHECK only
    if check_only:
        op = "verify"
    runs, minsec = int(sys.argv[5]), float(sys.argv[6])
    outdir = sys.argv[7] if len(sys.argv) > 7 else None
    ed = alg == "ed25519"
    selector = b"ed2026" if ed else b"rsa2026"
    sigalg = b"ed25519-sha256" if ed else b"rsa-sha256"

    paths = [p for p in open(listfile).read().split("\n") if p]
    msgs = [open(p, "rb").read() for p in paths]
    total = sum(len(m) for m in msgs)

    records = {}
    for line in open(os.path.join(keydir, "keys.opendkim"), "rb"):
        name, rec = line.rstrip(b"\r\n").split(b" ", 1)
        records[name + b"."] = rec
        records[name] = rec

    def dnsfunc(name, timeout=5):
        return records.get(name)

    # parse each public key once (as mailseal's key cache does)
    dkim.load_pk_from_dns = functools.lru_cache(maxsize=8)(
        dkim.load_pk_from_dns)

    if ed:
        privkey = open(os.path.join(keydir, "ed.seed"), "rb").read().strip()
    else:
        privkey = open(os.path.join(keydir, "rsa.pem"), "rb").read()
        # parse the key once, as the other drivers do
        dkim.parse_pem_private_key = functools.lru_cache(maxsize=4)(
            dkim.parse_pem_private_key)

    hdr_cache = [[h for h in SIGN_HDRS if h in header_names(m)] for m in msgs]

    def sign_one(i, m):
        try:
            d = dkim.DKIM(m)
            sig = d.sign(selector, DOMAIN, privkey, signature_algorithm=sigalg,
                         canonicalize=(b"relaxed", b"relaxed"),
                         include_headers=hdr_cache[i])
        except dkim.DKIMException as e:
            sys.stderr.write("dkimpy sign: %s\n" % e)
            return None
        return sig

    def verify_one(i, m):
        try:
            return 1 if dkim.DKIM(m).verify(dnsfunc=dnsfunc) else 0
        except dkim.DKIMException:
            return 0

    if op == "sign":
        def one(i, m):
            return 1 if sign_one(i, m) else 0
    else:
        one = verify_one

    if runs > 0 or check_only:
        ok = sum(one(i, m) for i, m in enumerate(msgs))
        print("CHECK impl=dkimpy op=%s alg=%s msgs=%d ok=%d"
              % ("check" if check_only else op, alg, len(msgs), ok),
              flush=True)
    for r in range(1, runs + 1):
        n = nbytes = ok = 0
        t0 = time.perf_counter()
        while True:
            for i, m in enumerate(msgs):
                ok += one(i, m)
            n += len(msgs)
            nbytes += total
            t = time.perf_counter() - t0
            if t >= minsec:
                break
        print("RUN impl=dkimpy op=%s alg=%s run=%d msgs=%d bytes=%d "
              "secs=%.6f ok=%d" % (op, alg, r, n, nbytes, t, ok), flush=True)
    if outdir and op == "sign":
        for i, (p, m) in enumerate(zip(paths, msgs)):
            sig = sign_one(i, m)
            with open(os.path.join(outdir, os.path.basename(p)), "wb") as f:
                f.write(sig + m)


if __name__ == "__main__":
    main()
