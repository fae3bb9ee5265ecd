#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Fake appliance agents: N of them in one process, for the scenarios that
need the manager's view of many appliances without DPDK
(tests/integration/agent_api_test.sh, tools/bench-agent.sh).

Each fake does on the wire what control/applagent.c does, and nothing on
the host:

  - Identity: a fresh self-signed P-256 certificate (CN = its name), kept
    in a scratch folder removed at exit.
  - Enrolment (control/pairing.c, top comment): it gets one token from
    --token-cmd (one call per appliance; the token never travels), derives
    key = BLAKE2b-256(token) (libsodium's crypto_generichash, no key) and
    POSTs /enroll with {"tokenId": ID half of "ID.SECRET", "name",
    "switch", "certificate": its PEM, "mac"}, where mac = HMAC-SHA-256(key,
    "l2x-enroll-req" NUL cert NUL "" NUL) in hex. The 201 answer must carry
    mac = HMAC-SHA-256(key, "l2x-enroll" NUL cert NUL manager-cert NUL):
    only then is the manager's certificate pinned ("sha256//" + base64 of
    the SHA-256 of its SubjectPublicKeyInfo, curl's --pinnedpubkey form),
    and every later connection's server certificate is checked against the
    pin before a byte is sent.
  - Every 0.5 s: GET /api/v1/appliance/desired with its client
    certificate, then PUT /api/v1/appliance/status saying it holds exactly
    what it was told: generation, every network of desired.networks, the
    tunnel up with its IKE_SA established and CHILD_SA installed. With no
    "peer" in the desired state (in no mesh pair) it runs nothing: tunnel
    down, ikeSa none, childSa false, dataplane and ike stopped.
    Counters: rxLan, txLan and drops stay 0; rxTunnel and txTunnel grow by
    --traffic bytes per network per round (default 0, so the manager's
    placement sees equal traffic and breaks ties by pair id).

Options:
  --manager URL     https://HOST:PORT of the manager, or the site's
                    managers comma-separated (it follows the one that
                    leads) (required)
  --switch SW       the switch every appliance serves (required)
  --names A,B,...   the appliances' names (required)
  --token-cmd CMD   a shell command printing one enrolment token per call,
                    e.g. "l2x-agent -c mgr.yaml token appliance" (required)
  --log FILE        append each answer of the manager, one JSON line as
                    lib/openapi_check.py --log reads ({"method", "path",
                    "status", "body"}): the enrolment's, and a desired or
                    status answer whenever it differs from the last one
                    logged for that appliance. The desired state holds the
                    pair's PSK: give a file in a private folder.
  --traffic N       tunnel bytes per network per round (default 0)
  --interval S      seconds between rounds (default 0.5)
  --down-file FILE  while FILE exists, report the tunnel down (IKE_SA
                    connecting, no CHILD_SA), networks still held

Run it inside the namespace that reaches the manager (ip netns exec NS
fakeappl.py ...). It prints "fakeappl: NAME enrolled (pin ...)" on stderr
per appliance, each error once (not every round), and stops cleanly on
SIGTERM or SIGINT: exit status 0, or 1 if an appliance could not enrol
(refused: the others keep running until the signal).

Thread-safety: one thread per appliance, each with its own connection;
the log file is shared under a lock.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

API = "/api/v1"
CALL_TIMEOUT_S = 5.0


class Refused(Exception):
    """The manager refused the enrolment, or proved nothing: give up."""


class PinMismatch(ssl.SSLError):
    """The server's certificate is not the pinned one."""


def pair_mac(key, label, a, b):
    """HMAC-SHA-256(key, label NUL a NUL b NUL) as lower-case hex
    (l2x_mgr_pair_mac)."""
    msg = b"".join(s.encode() + b"\0" for s in (label, a, b))
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def token_key(token):
    """BLAKE2b-256 of the whole token text, unkeyed (l2x_mgr_token_key)."""
    return hashlib.blake2b(token.encode(), digest_size=32).digest()


def pin_of_cert(cert):
    """curl's --pinnedpubkey form of a certificate's public key."""
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256//" + base64.b64encode(hashlib.sha256(spki).digest()).decode()


def pin_of_pem(pem):
    return pin_of_cert(x509.load_pem_x509_certificate(pem.encode()))


def pin_of_der(der):
    return pin_of_cert(x509.load_der_x509_certificate(der))


def make_identity(name, folder):
    """A self-signed P-256 certificate for name: (cert PEM text, cert
    path, key path), the key file 0600."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    cpath = os.path.join(folder, name + ".crt")
    kpath = os.path.join(folder, name + ".key")
    with open(cpath, "w") as f:
        f.write(pem)
    fd = os.open(kpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return pem, cpath, kpath


class PinnedConnection(http.client.HTTPSConnection):
    """An HTTPS connection that checks the server's certificate against a
    pin right after the handshake, on every (re)connection. pin None is
    first contact: anything is accepted (the token's MAC authenticates
    the answer instead)."""

    def __init__(self, host, port, context, pin):
        super().__init__(host, port, context=context, timeout=CALL_TIMEOUT_S)
        self.pin = pin

    def connect(self):
        super().connect()
        if self.pin is None:
            return
        got = pin_of_der(self.sock.getpeercert(binary_form=True))
        if got != self.pin:
            self.close()
            raise PinMismatch("the manager's certificate changed: pin %s, "
                              "pinned %s" % (got, self.pin))


class Log:
    """Answers for lib/openapi_check.py --log, one JSON line each."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def answer(self, method, path, status, text):
        if self.path is None:
            return
        line = {"method": method, "path": path, "status": status}
        try:
            line["body"] = json.loads(text) if text else None
        except ValueError:
            line["bodyText"] = text
        with self.lock, open(self.path, "a") as f:
            f.write(json.dumps(line) + "\n")


class Appliance(threading.Thread):
    def __init__(self, name, args, folder, log, stop):
        super().__init__(name=name, daemon=True)
        self.appl = name
        self.args = args
        self.log = log
        self.stop = stop
        # One manager, or the site's managers (comma-separated): one
        # leads, the others answer 503; a manager that does not answer or
        # does not lead makes the next one current (as applagent.c).
        self.managers = []
        for u in args.manager.split(","):
            url = urllib.parse.urlsplit(u)
            if url.scheme != "https" or not url.hostname:
                raise ValueError("--manager: must be https://HOST:PORT[,...]")
            self.managers.append((url.hostname, url.port or 443))
        self.cur = 0
        self.host, self.port = self.managers[0]
        self.cert_pem, cpath, kpath = make_identity(name, folder)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        # Self-signed on both ends: trust comes from the pin, not a CA.
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE
        self.ctx.load_cert_chain(cpath, kpath)
        self.pin = None
        self.conn = None
        self.last_err = ""
        self.last_logged = {}
        self.tunnel_bytes = 0
        self.failed = False

    def say(self, msg):
        """An error once, not every round ("" clears it)."""
        if msg == self.last_err:
            return
        self.last_err = msg
        if msg:
            print("fakeappl[%s]: %s" % (self.appl, msg), file=sys.stderr,
                  flush=True)

    def call(self, method, path, body=None):
        """One call on the appliance's connection (opened or reopened as
        needed, pin checked): (status, answer text). Raises OSError or
        http.client.HTTPException when it did not happen."""
        if self.conn is None:
            self.conn = PinnedConnection(self.host, self.port, self.ctx,
                                         self.pin)
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            try:
                self.conn.request(method, API + path, body=data,
                                  headers=headers)
                r = self.conn.getresponse()
                text = r.read().decode("utf-8", "replace")
                if r.getheader("Connection", "").lower() == "close":
                    self.drop()
                return r.status, text
            except PinMismatch:
                self.drop()
                raise
            except (OSError, http.client.HTTPException):
                # A kept-alive connection the server closed meanwhile:
                # once more on a fresh one.
                self.drop()
                if attempt == 1:
                    raise
                self.conn = PinnedConnection(self.host, self.port, self.ctx,
                                             self.pin)
        raise AssertionError("not reached")

    def drop(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def next_manager(self):
        """The current manager failed or does not lead: the next one."""
        self.drop()
        self.cur = (self.cur + 1) % len(self.managers)
        self.host, self.port = self.managers[self.cur]

    def logged(self, method, path, status, text):
        """Log an answer when it differs from the last one for path."""
        if self.last_logged.get(path) != (status, text):
            self.last_logged[path] = (status, text)
            self.log.answer(method, API + path, status, text)

    def enrol(self):
        out = subprocess.run(self.args.token_cmd, shell=True,
                             capture_output=True, text=True, check=False)
        token = out.stdout.strip()
        if out.returncode != 0 or "." not in token:
            raise Refused("--token-cmd gave no token (status %d): %s" %
                          (out.returncode, out.stderr.strip()))
        key = token_key(token)
        body = {"tokenId": token.split(".")[0], "name": self.appl,
                "switch": self.args.switch, "certificate": self.cert_pem,
                "mac": pair_mac(key, "l2x-enroll-req", self.cert_pem, "")}
        while not self.stop.is_set():
            try:
                status, text = self.call("POST", "/enroll", body)
                if status != 503:
                    break
                self.next_manager()  # it does not lead: the next one
            except (OSError, http.client.HTTPException) as e:
                self.say("enrolment: the manager cannot be reached: %s" % e)
                self.next_manager()
                self.stop.wait(1.0)
        else:
            return False
        self.drop()  # the next connection checks the pin
        self.log.answer("POST", API + "/enroll", status, text)
        try:
            ans = json.loads(text)
        except ValueError:
            ans = {}
        if status != 201:
            msg = (ans.get("error") or {}).get("message", "no reason")
            raise Refused("the manager refused the enrolment (%d): %s" %
                          (status, msg))
        cert = ans.get("certificate")
        if not isinstance(cert, str) or not isinstance(ans.get("mac"), str):
            raise Refused("the manager's enrolment answer is malformed")
        want = pair_mac(key, "l2x-enroll", self.cert_pem, cert)
        if not hmac.compare_digest(want, ans["mac"]):
            raise Refused("the enrolment answer was not made with the "
                          "token: not the manager")
        self.pin = pin_of_pem(cert)
        print("fakeappl: %s enrolled with %s (site %s, pin %s)" %
              (self.appl, self.args.manager, ans.get("site"), self.pin),
              file=sys.stderr, flush=True)
        return True

    def status_of(self, desired):
        nets = [n.get("name") for n in desired.get("networks") or []
                if isinstance(n, dict)]
        running = desired.get("peer") is not None
        # --down-file: while it exists, the tunnel is down (IKE retrying),
        # as when the uplink or the other site is cut off.
        up = running and not (self.args.down_file and
                              os.path.exists(self.args.down_file))
        if running:
            self.tunnel_bytes += self.args.traffic * len(nets)
        return {
            "generation": desired.get("generation", 0),
            "dataplane": "running" if running else "stopped",
            "ike": "running" if running else "stopped",
            "tunnel": "up" if up else "down",
            "ikeSa": "established" if up else
                     ("connecting" if running else "none"),
            "childSa": up,
            "networks": nets if running else [],
            "counters": {"rxLan": 0, "txLan": 0,
                         "rxTunnel": self.tunnel_bytes,
                         "txTunnel": self.tunnel_bytes, "drops": 0},
            "error": "",
        }

    def round(self):
        status, text = self.call("GET", "/appliance/desired")
        self.logged("GET", "/appliance/desired", status, text)
        if status == 503:
            self.next_manager()
        if status != 200:
            self.say("GET /appliance/desired: the manager answered %d: %s"
                     % (status, text[:200]))
            return
        desired = json.loads(text)
        st = self.status_of(desired)
        status, text = self.call("PUT", "/appliance/status", st)
        self.logged("PUT", "/appliance/status", status, text)
        if status != 204:
            self.say("PUT /appliance/status: the manager answered %d: %s"
                     % (status, text[:200]))
            return
        self.say("")

    def run(self):
        try:
            if not self.enrol():
                return
        except Refused as e:
            self.say(str(e))
            self.failed = True
            return
        while not self.stop.is_set():
            try:
                self.round()
            except PinMismatch as e:
                self.say(str(e))
            except (OSError, http.client.HTTPException, ValueError) as e:
                self.say("the manager cannot be reached: %s" % e)
                self.next_manager()
            self.stop.wait(self.args.interval)
        self.drop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--manager", required=True)
    ap.add_argument("--switch", required=True)
    ap.add_argument("--names", required=True)
    ap.add_argument("--token-cmd", required=True)
    ap.add_argument("--log")
    ap.add_argument("--traffic", type=int, default=0)
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--down-file", default="")
    args = ap.parse_args()
    names = [n for n in args.names.split(",") if n]
    if not names:
        ap.error("--names: no name")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    folder = tempfile.mkdtemp(prefix="fakeappl.")
    try:
        log = Log(args.log)
        appls = [Appliance(n, args, folder, log, stop) for n in names]
        for a in appls:
            a.start()
        # Sleep in the main thread, where signals arrive.
        while not stop.is_set():
            stop.wait(0.2)
        for a in appls:
            a.join(CALL_TIMEOUT_S * 2 + 1)
        return 1 if any(a.failed for a in appls) else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
