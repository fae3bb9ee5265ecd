#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""POST many network extensions to a manager over one kept-alive HTTPS
connection, one after the other (tests/integration/agent_4094_test.sh):
a process start per call (curl) would cost more than the call itself.

For each VLAN V of FIRST..LAST it POSTs /api/v1/networkExtensions
{"switch": SWITCH, "portGroup": "pgV", "destination": {"switch": RSWITCH,
"vlan": V}} and wants 201; a 503 (a manager that just took the lead) is
retried after 0.5 s, up to 10 times. The manager's certificate is checked
against its pin (curl's sha256//BASE64 form) before the token is sent.

Prints a line per 500 POSTs (the mean time of a POST so far), then
"posted N in S s, M refused" and exits 0 if every POST got 201, else 1
(the first five refusals are printed with their answers).

Usage: extend_many.py URL PIN TOKEN_FILE SWITCH RSWITCH FIRST LAST
"""

import base64
import hashlib
import http.client
import json
import ssl
import sys
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import serialization


def connect(host, port, pin):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # pinned below instead
    c = http.client.HTTPSConnection(host, port, context=ctx, timeout=60)
    c.connect()
    der = c.sock.getpeercert(binary_form=True)
    spki = x509.load_der_x509_certificate(der).public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    got = "sha256//" + base64.b64encode(hashlib.sha256(spki).digest()).decode()
    if got != pin:
        sys.exit("extend_many: the manager's key is not the pinned one")
    return c


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    url, pin, tokf, sw, rsw = sys.argv[1:6]
    first, last = int(sys.argv[6]), int(sys.argv[7])
    with open(tokf, encoding="ascii") as f:
        token = f.read().strip()
    u = urllib.parse.urlparse(url)
    c = connect(u.hostname, u.port, pin)
    hdr = {"Authorization": "Bearer " + token,
           "Content-Type": "application/json"}
    t0 = time.time()
    refused = 0
    for v in range(first, last + 1):
        body = json.dumps({"switch": sw, "portGroup": "pg%d" % v,
                           "destination": {"switch": rsw, "vlan": v}})
        status, answer = 0, b""
        for _ in range(10):
            try:
                c.request("POST", "/api/v1/networkExtensions", body, hdr)
                r = c.getresponse()
                status, answer = r.status, r.read()
            except (OSError, http.client.HTTPException) as e:
                status, answer = 0, str(e).encode()
                c.close()
                c = connect(u.hostname, u.port, pin)
            if status not in (0, 503):
                break
            time.sleep(0.5)
        if status != 201:
            refused += 1
            if refused <= 5:
                print("extend_many: VLAN %d: %d %s" %
                      (v, status, answer[:300].decode(errors="replace")),
                      flush=True)
        n = v - first + 1
        if n % 500 == 0:
            print("extend_many: %d posted, %.1f ms a POST so far" %
                  (n, (time.time() - t0) * 1000 / n), flush=True)
    print("posted %d in %.1f s, %d refused" %
          (last - first + 1, time.time() - t0, refused), flush=True)
    sys.exit(1 if refused else 0)


main()
