#!/usr/bin/python3
"""peer_dkimpy.py - dkimpy (Debian's python3-dkim) as an interop peer.

  peer_dkimpy.py sign KEY DOMAIN SELECTOR ALG CANON  < msg > signed
      KEY: RSA PEM, or for ed25519 the base64 of the raw 32-byte seed
  peer_dkimpy.py verify KEYFILE < msg
      KEYFILE: lines "name record"; prints one line per signature:
      pass or fail
"""
import sys
import dkim

# From is over-signed (named twice), so that a From added later breaks it
HEADERS = [b"from", b"from", b"to", b"subject", b"date", b"message-id",
           b"mime-version", b"content-type"]


def main():
    msg = sys.stdin.buffer.read()
    if sys.argv[1] == "sign":
        key, domain, selector, alg, canon = sys.argv[2:7]
        h, b = canon.split("/")
        sig = dkim.sign(msg, selector.encode(), domain.encode(),
                        open(key, "rb").read().strip(),
                        canonicalize=(h.encode(), b.encode()),
                        signature_algorithm=alg.encode(),
                        include_headers=HEADERS)
        sys.stdout.buffer.write(sig + msg)
        return
    keys = {}
    for line in open(sys.argv[2], "rb"):
        name, rec = line.rstrip(b"\r\n").split(b" ", 1)
        keys[name.lower().rstrip(b".")] = rec
    d = dkim.DKIM(msg, minkey=1024)
    n = sum(1 for k, _ in d.headers if k.lower() == b"dkim-signature")

    def dns(name, timeout=5):
        return keys.get(name.lower().rstrip(b"."))
    for i in range(n):
        try:
            ok = d.verify(idx=i, dnsfunc=dns)
        except Exception:
            ok = False
        print("pass" if ok else "fail")


main()
