#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A fake l2x-dataplane control socket, for testing its clients alone.

Speaks the protocol of control/ctlmsg.h on a Unix SOCK_SEQPACKET socket
and keeps an SA table the way the dataplane does, with the answers its
clients depend on:
  SPI_ALLOC   -> SPI 0xc0000100, 0xc0000101, ... (never one in use)
  SA_ADD      -> OK, or ERROR EEXIST for an SPI and direction in use
  SA_UPDATE   -> OK, or ERROR ENOENT
  SA_DEL      -> OK, or ERROR ENOENT
  SA_QUERY    -> SA_INFO: packets = 5, bytes = 500, last_use = 1 + the
                 number of earlier queries of that SA divided by two (so
                 it changes every second query), state = soft expired
                 once hard.bytes is set; or ERROR ENOENT.
                 An SA_QUERY for SPI 0xdead0000 is never answered (a
                 hung dataplane).
  anything else -> ERROR EOPNOTSUPP
Each request is logged as one line to LOG, e.g.
  sa_add spi=c0000100 dir=0 alg=20 encap=1 flags=1 win=64 key=<hex>
         soft=100,0,2 hard=200,0,3 peer=198.18.2.2:4500
         local=198.18.1.2:4500 tunnel=7
(key bytes are logged: the tests use made-up keys and check that they
arrive whole).

Usage: fakedp.py SOCKET LOG      (runs until killed)
"""
import socket
import struct
import sys
import threading

MAGIC = 0x4C325843
HANG_SPI = 0xDEAD0000
EEXIST, ENOENT, EOPNOTSUPP = 17, 2, 95

path, log_path = sys.argv[1], sys.argv[2]
lock = threading.Lock()
sas = {}  # (spi, dir) -> {"hard_bytes": n, "queries": n}
next_spi = [0xC0000100]


def ip(a):
    return socket.inet_ntoa(struct.pack(">I", a))


def msg(t, rid, body=b""):
    return struct.pack(">IBBHII", MAGIC, 1, t, 0, len(body), rid) + body


def ok(rid):
    return msg(0x81, rid)


def error(rid, code, text):
    return msg(0x82, rid, struct.pack(">I", code) + text.encode().ljust(200, b"\0"))


def log(line):
    with open(log_path, "a") as f:
        f.write(line + "\n")


def sa_add(rid, b):
    (spi, d, alg, encap, flags, win, klen, _r, key, sb, hb, sp, hp, ss, hs,
     peer, local, pport, lport, tun) = struct.unpack(">IBBBBHBB36s6QIIHHI", b)
    log("sa_add spi=%08x dir=%d alg=%d encap=%d flags=%d win=%d key=%s "
        "soft=%d,%d,%d hard=%d,%d,%d peer=%s:%d local=%s:%d tunnel=%d"
        % (spi, d, alg, encap, flags, win, key[:klen].hex(), sb, sp, ss,
           hb, hp, hs, ip(peer), pport, ip(local), lport, tun))
    if (spi, d) in sas:
        return error(rid, EEXIST, "spi: 0x%08x is installed already" % spi)
    sas[(spi, d)] = {"hard_bytes": hb, "queries": 0}
    return ok(rid)


def sa_id(b):
    spi, d = struct.unpack(">IB3x", b)
    return spi, d


def sa_query(rid, b):
    spi, d = sa_id(b)
    log("sa_query spi=%08x dir=%d" % (spi, d))
    if spi == HANG_SPI:
        return None
    sa = sas.get((spi, d))
    if sa is None:
        return error(rid, ENOENT, "spi: no such SA 0x%08x" % spi)
    last_use = 1 + sa["queries"] // 2
    sa["queries"] += 1
    state = 1 if sa["hard_bytes"] else 0
    alg = 20
    return msg(0x83, rid, struct.pack(">IBBBBQQQ", spi, d, alg, state, 0,
                                      5, 500, last_use))


def handle(t, rid, b):
    if t == 0x0A:
        spi = next_spi[0]
        next_spi[0] += 1
        log("spi_alloc -> %08x" % spi)
        return msg(0x85, rid, struct.pack(">I", spi))
    if t == 0x01:
        return sa_add(rid, b)
    if t == 0x02:
        spi, d, _r, peer, port, _r2 = struct.unpack(">IB3sIH2s", b)
        log("sa_update spi=%08x dir=%d peer=%s:%d" % (spi, d, ip(peer), port))
        if (spi, d) not in sas:
            return error(rid, ENOENT, "spi: no such SA 0x%08x" % spi)
        return ok(rid)
    if t == 0x03:
        spi, d = sa_id(b)
        log("sa_del spi=%08x dir=%d" % (spi, d))
        if sas.pop((spi, d), None) is None:
            return error(rid, ENOENT, "spi: no such SA 0x%08x" % spi)
        return ok(rid)
    if t == 0x04:
        return sa_query(rid, b)
    log("type %02x" % t)
    return error(rid, EOPNOTSUPP, "not in the fake")


def serve(c):
    with c:
        while True:
            try:
                d = c.recv(70000)
            except OSError:
                return
            if not d:
                return
            magic, ver, t, _f, ln, rid = struct.unpack(">IBBHII", d[:16])
            if magic != MAGIC or ver != 1 or ln != len(d) - 16:
                log("malformed request")
                c.send(error(rid, 71, "malformed"))
                continue
            with lock:
                r = handle(t, rid, d[16:])
            if r is not None:
                try:
                    c.send(r)
                except OSError:
                    return


def main():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.bind(path)
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


main()
