#!/usr/bin/python3
"""peer_dkimpy.py - dkimpy (Debian's python3-dkim) as an interop peer.

Run it with Debian's /usr/bin/python3 (the module is Debian's package).

  peer_dkimpy.py sign KEY.pem DOMAIN SELECTOR ALG CANON HEADERS OUTDIR FILE...
      Signs each FILE and writes OUTDIR/basename(FILE): the new
      DKIM-Signature field followed by the file's bytes, unchanged.
      KEY.pem: the PEM PKCS#8 key that `mailseal keygen` writes (RSA or
      Ed25519; for Ed25519 the 32-byte seed is taken out of it).
      ALG: rsa-sha256 | ed25519-sha256; CANON: HEADER/BODY;
      HEADERS: the h= list, colon-separated; a name listed more times
      than the message has it is over-signed.
      The environment may ask for more: PEER_SIGN_IDENTITY=ADDR adds
      i=ADDR, PEER_SIGN_LENGTH=1 adds l= (the whole body's length).

  peer_dkimpy.py verify KEYFILE FILE...
      One line per signature: FILE<TAB>SELECTOR:VERDICT<TAB>detail,
      VERDICT pass or fail (dkimpy reports no finer verdict); a message
      without signatures gives FILE<TAB>none.
      KEYFILE: lines "NAME RECORD" (NAME = selector._domainkey.domain),
      handed to dkimpy through its dnsfunc= hook: no DNS is used.

The messages must have CRLF line ends (dkimpy works on the raw bytes).
"""
import base64
import logging
import os
import re
import sys

import dkim


class Collect(logging.Handler):
    """Keeps what dkimpy logs, to say why a signature failed."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append((record.levelno, record.getMessage()))

    def why(self):
        """The last of the most serious lines logged."""
        top = max((lv for lv, _ in self.lines), default=0)
        msgs = [m for lv, m in self.lines if lv == top]
        return " ".join(msgs[-1].split())[:200] if msgs else ""


def load_key(path, alg):
    pem = open(path, "rb").read()
    if alg == "rsa-sha256":
        return pem             # dkimpy parses PKCS#1 and PKCS#8 PEM itself
    # Ed25519: dkimpy wants the base64 of the raw seed.  A PKCS#8
    # Ed25519 key (RFC 8410) is 48 bytes of DER ending in the seed.
    der = base64.b64decode(b"".join(
        l for l in pem.splitlines() if l and not l.startswith(b"-----")))
    if len(der) != 48 or der[7:16] != bytes.fromhex("06032b657004220420"):
        sys.exit("%s: not a PKCS#8 Ed25519 key" % path)
    return base64.b64encode(der[16:])


def sign(args):
    key, domain, selector, alg, canon, headers, outdir = args[:7]
    pk = load_key(key, alg)
    hc, bc = canon.encode().split(b"/")
    include = [h.encode() for h in headers.split(":")]
    identity = os.environ.get("PEER_SIGN_IDENTITY")
    length = os.environ.get("PEER_SIGN_LENGTH") == "1"
    status = 0
    for path in args[7:]:
        msg = open(path, "rb").read()
        d = dkim.DKIM(msg)
        try:
            sig = d.sign(selector.encode(), domain.encode(), pk,
                         signature_algorithm=alg.encode(),
                         canonicalize=(hc, bc), include_headers=include,
                         identity=identity.encode() if identity else None,
                         length=length)
        except dkim.DKIMException as e:
            print("dkimpy cannot sign %s: %s" % (path, e), file=sys.stderr)
            status = 1
            continue
        with open(os.path.join(outdir, os.path.basename(path)), "wb") as f:
            f.write(sig + msg)
    return status


def verify(args):
    keys = {}
    for line in open(args[0], "rb"):
        line = line.strip()
        if not line or line.startswith(b"#"):
            continue
        name, rec = line.split(None, 1)
        keys[name.lower().rstrip(b".")] = rec

    def dns(name, timeout=5):
        return keys.get(name.lower().rstrip(b"."))

    for path in args[1:]:
        msg = open(path, "rb").read()
        log = Collect()
        logger = logging.getLogger("peer_dkimpy")
        logger.handlers = [log]
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        d = dkim.DKIM(msg, logger=logger, minkey=1024)
        sigs = [v for k, v in d.headers if k.lower() == b"dkim-signature"]
        if not sigs:
            print("%s\tnone" % path)
        for i, value in enumerate(sigs):
            m = re.search(rb"(?:^|;)\s*s\s*=\s*([^;\s]+)", value)
            sel = m.group(1).decode() if m else "?"
            del log.lines[:]
            try:
                ok = d.verify(idx=i, dnsfunc=dns)
            except Exception as e:          # a crash is a failure too
                ok = False
                log.lines.append((logging.CRITICAL,
                                  "%s: %s" % (type(e).__name__, e)))
            print("%s\t%s:%s\t%s" % (path, sel, "pass" if ok else "fail",
                                     "" if ok else log.why()))
    return 0


def main():
    if len(sys.argv) >= 10 and sys.argv[1] == "sign":
        return sign(sys.argv[2:])
    if len(sys.argv) >= 3 and sys.argv[1] == "verify":
        return verify(sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())
