#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""ESP cross-check against scapy's independent implementation.

Run by tests/unit/test_esp.c under Debian's /usr/bin/python3 (where
python3-scapy installs), in one of two modes:

  esp_scapy.py open FILE
      FILE has one ESP packet sealed by l2x per line:
        ALG KEYMAT SPI ESN SEQ_HIGH ESP_HEX
      (ALG: gcm or chacha; KEYMAT: 36 bytes key|salt in hex; ESN 0/1;
      SEQ_HIGH: high 32 bits of the sequence number, for the AAD).
      For each, scapy wraps the ESP bytes in IPv4/UDP 4500, decrypts them
      with SecurityAssociation(ESP, ..., nat_t_header=UDP(4500, 4500))
      and prints one line:
        ok NEXT_HEADER PAD_LEN PADDING_HEX INNER_HEX
      or "fail WHY".

  esp_scapy.py seal SEED
      scapy seals inner IPv4 packets of several sizes, both transforms,
      with and without ESN, random IVs, and prints one line per packet:
        ALG KEYMAT SPI ESN SEQ INNER_HEX OUTER_HEX
      OUTER_HEX is IPv4 | UDP 4500 | ESP as scapy built it.

If scapy cannot be imported the only line printed is "SKIP why".
"""
import random
import sys

try:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.ipsec import ESP, SecurityAssociation
    from scapy.packet import Raw, raw
except Exception as e:  # noqa: BLE001 - any import failure means skip
    print("SKIP scapy not importable: %s" % e)
    sys.exit(0)

ALGS = {"gcm": "AES-GCM", "chacha": "CHACHA20-POLY1305"}
NAT_T = UDP(sport=4500, dport=4500)


def make_sa(alg, keymat, spi, esn, high, seq=1, tunnel=None):
    return SecurityAssociation(
        ESP, spi=spi, seq_num=seq, crypt_algo=ALGS[alg], crypt_key=keymat,
        tunnel_header=tunnel, nat_t_header=NAT_T, esn_en=bool(esn),
        esn=high)


def open_one(line):
    alg, keyhex, spi, esn, high, esphex = line.split()
    spi, esn, high = int(spi, 0), int(esn), int(high, 0)
    sa = make_sa(alg, bytes.fromhex(keyhex), spi, esn, high)
    outer = IP(raw(IP(src="198.18.1.2", dst="198.18.2.2") / NAT_T /
                   Raw(bytes.fromhex(esphex))))
    if not outer.haslayer(ESP):
        return "fail not-dissected-as-esp"
    # The SA-level path (what a user of scapy calls; it edits the packet
    # it is given, hence the copy) ...
    try:
        dec = sa.decrypt(outer.copy())
        # ... and the layer below it, for padding and raw bytes.
        plain = sa.crypt_algo.decrypt(sa, outer[ESP], sa.crypt_key,
                                      esn_en=bool(esn), esn=high)
    except Exception as e:  # noqa: BLE001
        return "fail decrypt %s" % type(e).__name__
    if dec.proto != plain.nh:
        return "fail next-header-mismatch"
    # scapy 2.5.0's CryptAlgo.decrypt() slices its .padding out of data it
    # has already cut short, so .padding holds inner bytes. Take the
    # padding from the full plaintext, decrypted again by the library
    # scapy uses (python3-cryptography) with the RFC's nonce and AAD.
    full = aead_plaintext(alg, bytes.fromhex(keyhex), bytes.fromhex(esphex),
                          esn, high)
    if full[:len(plain.data)] != bytes(plain.data) or \
            full[-2] != plain.padlen or full[-1] != plain.nh:
        return "fail scapy-and-cryptography-disagree"
    padding = full[len(full) - 2 - plain.padlen:len(full) - 2]
    return "ok %d %d %s %s" % (plain.nh, plain.padlen,
                               padding.hex() or "-",
                               bytes(plain.data).hex() or "-")


def aead_plaintext(alg, keymat, esp, esn, high):
    """Nonce salt|IV, AAD SPI|[seq high|]seq low (RFC 4106 5, RFC 7634
    2.1), decrypted with python3-cryptography."""
    from cryptography.hazmat.primitives.ciphers.aead import (
        AESGCM, ChaCha20Poly1305)
    cls = AESGCM if alg == "gcm" else ChaCha20Poly1305
    aad = esp[:4] + (high.to_bytes(4, "big") if esn else b"") + esp[4:8]
    return cls(keymat[:32]).decrypt(keymat[32:] + esp[8:16], esp[16:], aad)


def seal_all(seed):
    rng = random.Random(seed)
    out = []
    sizes = [20, 21, 22, 23, 24, 64, 100, 1400, 1401, 1402, 1403, 9216]
    for alg in ("gcm", "chacha"):
        for esn in (0, 1):
            for n, size in enumerate(sizes):
                keymat = bytes(rng.getrandbits(8) for _ in range(36))
                spi = rng.randrange(256, 1 << 32)
                if esn:
                    # high half random; around a 2^32 boundary for some
                    high = rng.randrange(1, 1 << 32)
                    low = [0, 1, 0xffffffff][n % 3] if n < 3 else \
                        rng.randrange(0, 1 << 32)
                else:
                    high, low = 0, rng.randrange(1, 1 << 32)
                seq = high << 32 | low
                payload = bytes(rng.getrandbits(8) for _ in range(size - 20))
                inner = IP(src="169.254.100.1", dst="169.254.100.2",
                           proto=47, id=n) / Raw(payload)
                sa = make_sa(alg, keymat, spi, esn, high, seq=low,
                             tunnel=IP(src="198.18.2.2", dst="198.18.1.2"))
                iv = bytes(rng.getrandbits(8) for _ in range(8))
                enc = sa.encrypt(inner, seq_num=low, iv=iv)
                out.append("%s %s %#x %d %#x %s %s" % (
                    alg, keymat.hex(), spi, esn, seq, raw(inner).hex(),
                    raw(enc).hex()))
    return out


def main(argv):
    if len(argv) != 3 or argv[1] not in ("open", "seal"):
        print("usage: esp_scapy.py open FILE | seal SEED", file=sys.stderr)
        return 2
    if argv[1] == "open":
        with open(argv[2]) as f:
            for line in f:
                if line.strip():
                    print(open_one(line))
    else:
        for line in seal_all(int(argv[2])):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
