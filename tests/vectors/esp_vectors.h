/* SPDX-License-Identifier: MIT */
/*
 * esp_vectors.h - published ESP known answers, bytes labelled by layer.
 *
 * Sources:
 * - RFC 7634 Appendix A, "ESP Example": ChaCha20-Poly1305, tunnel mode,
 *   an ICMP echo request 198.51.100.5 -> 192.0.2.5 (next header 4). The
 *   RFC also shows the outer IPv4 header (203.0.113.153 -> 203.0.113.5);
 *   it is not part of ESP processing and is left out here.
 * - draft-mcgrew-gcm-test-01 (D. McGrew, March 2009), "Test Cases for the
 *   use of GCM and GMAC in IPsec ESP", section 4: every AES-GCM-ESP case
 *   with a 256-bit key. Cases are numbered in document order (as ODP's
 *   test vectors and Linux's testmgr.h count them): 3 (page 9, 32-bit
 *   sequence number), 9, 11 and 14 (pages 14, 16 and 18, extended sequence
 *   numbers; 14 is 2^64 - 1). They are not all tunnel mode: their next
 *   header is 1, and case 9's inner packet is cut to make room for a
 *   2-byte trailer with no padding. The draft's "key" is the 32-byte AES
 *   key; its salt is the first 4 bytes of its "nonce", its IV the other 8.
 *
 * None of these use the sequence number as the IV (l2x does), so the tests
 * run them through the core entry points that take an explicit IV
 * (esp.h). Each field is a hex string for l2x_test_hex(), copied from the
 * source as printed; the tests concatenate the layers.
 */
#ifndef L2X_ESP_VECTORS_H
#define L2X_ESP_VECTORS_H

#include <stdint.h>

#include "dataplane/wire.h"

struct l2x_esp_vector {
	const char *name; /* source and case */
	enum l2x_aead alg;
	/* SA */
	const char *key;  /* 32-byte key */
	const char *salt; /* 4-byte salt: key material = key | salt */
	uint32_t spi;
	uint64_t seq; /* full sequence number */
	int esn;      /* 1: the AAD carries seq's high half */
	/* What the AEAD sees, as published (for a libsodium-only check). */
	const char *aad;
	/* Plaintext: inner packet | padding | pad length | next header */
	const char *inner;
	const char *padding; /* "" when none */
	uint8_t pad_len;
	uint8_t next_hdr;
	/* The ESP packet: header | IV | ciphertext | ICV */
	const char *esp_hdr; /* SPI | low 32 bits of seq */
	const char *iv;
	const char *ciphertext;
	const char *icv;
};

static const struct l2x_esp_vector l2x_esp_vectors[] = {
    {
	.name = "RFC 7634 Appendix A (ChaCha20-Poly1305)",
	.alg = L2X_AEAD_CHACHA20POLY1305,
	.key = "80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f"
	       "90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f",
	.salt = "a0 a1 a2 a3",
	.spi = 0x01020304,
	.seq = 5,
	.esn = 0,
	.aad = "01 02 03 04 00 00 00 05",
	/* IPv4 198.51.100.5 -> 192.0.2.5, ICMP echo request */
	.inner = "45 00 00 54 a6 f2 00 00 40 01 e7 78 c6 33 64 05"
		 "c0 00 02 05"
		 "08 00 5b 7a 3a 08 00 00 55 3b ec 10 00 07 36 27"
		 "08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17"
		 "18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25 26 27"
		 "28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35 36 37",
	.padding = "01 02",
	.pad_len = 2,
	.next_hdr = 4,
	.esp_hdr = "01 02 03 04 00 00 00 05",
	.iv = "10 11 12 13 14 15 16 17",
	.ciphertext = "24 03 94 28 b9 7f 41 7e 3c 13 75 3a 4f 05 08 7b"
		      "67 c3 52 e6 a7 fa b1 b9 82 d4 66 ef 40 7a e5 c6"
		      "14 ee 80 99 d5 28 44 eb 61 aa 95 df ab 4c 02 f7"
		      "2a a7 1e 7c 4c 4f 64 c9 be fe 2f ac c6 38 e8 f3"
		      "cb ec 16 3f ac 46 9b 50 27 73 f6 fb 94 e6 64 da"
		      "91 65 b8 28 29 f6 41 e0",
	.icv = "76 aa a8 26 6b 7f b0 f7 b1 1b 36 99 07 e1 ad 43",
    },
    {
	.name = "draft-mcgrew-gcm-test-01 case 3 (AES-256, 32-bit seq)",
	.alg = L2X_AEAD_AES256GCM,
	.key = "abbccddef00112233445566778899aab"
	       "abbccddef00112233445566778899aab",
	.salt = "11223344",
	.spi = 0x4a2cbfe3,
	.seq = 0x00000002,
	.esn = 0,
	.aad = "4a2cbfe300000002",
	/* IPv4 192.168.1.2 -> 147.137.21.94, TCP SYN: the draft's bytes,
	 * decrypted in memory only, never sent anywhere */
	.inner = "4500003069a6400080062690c0a80102"
		 "9389155e0a9e008b2dc57ee000000000"
		 "7002400020bf0000020405b401010402",
	.padding = "0102",
	.pad_len = 2,
	.next_hdr = 1,
	.esp_hdr = "4a2cbfe3 00000002",
	.iv = "0102030405060708",
	.ciphertext = "ff425c9b724599df7a3bcd510194e00d"
		      "6a78107f1b0b1cbf06efae9d65a5d763"
		      "748a637985771d347f0545659f14e99d"
		      "ef842d8e",
	.icv = "b335f4eecfdbf831824b4c4915956c96",
    },
    {
	.name = "draft-mcgrew-gcm-test-01 case 9 (AES-256, ESN)",
	.alg = L2X_AEAD_AES256GCM,
	.key = "abbccddef00112233445566778899aab"
	       "abbccddef00112233445566778899aab",
	.salt = "73616c74",
	.spi = 0x17405e67,
	.seq = 0x156f3126dd0db99bull,
	.esn = 1,
	.aad = "17405e67156f3126dd0db99b",
	/* 38 bytes of an IPv4/TCP packet; no padding */
	.inner = "45080028732c00004006e9f90a010612"
		 "0a01038f06b88023dd6bafbecb712602"
		 "50101f646d54",
	.padding = "",
	.pad_len = 0,
	.next_hdr = 1,
	.esp_hdr = "17405e67 dd0db99b",
	.iv = "616e640169766563",
	.ciphertext = "f2d69ecdbd5a0d5b8d5ef38bad4da58d"
		      "1f278fde98ef67549d524a3018d9a57f"
		      "f4d3a31ce673119e",
	.icv = "451626c2415771e3b7eebca614c89b35",
    },
    {
	.name = "draft-mcgrew-gcm-test-01 case 11 (AES-256, ESN)",
	.alg = L2X_AEAD_AES256GCM,
	.key = "abbccddef00112233445566778899aab"
	       "abbccddef00112233445566778899aab",
	.salt = "73616c74",
	.spi = 0x17405e67,
	.seq = 0x156f3126dd0db99bull,
	.esn = 1,
	.aad = "17405e67156f3126dd0db99b",
	/* text, not a packet */
	.inner = "636973636f0172756c65730174686501"
		 "6e6574776501646566696e6501746865"
		 "746563686e6f6c6f6769657301746861"
		 "7477696c6c01646566696e65746f6d6f"
		 "72726f77",
	.padding = "0102",
	.pad_len = 2,
	.next_hdr = 1,
	.esp_hdr = "17405e67 dd0db99b",
	.iv = "616e640169766563",
	.ciphertext = "d4b7ed86a1777f2ea13d6973d324c69e"
		      "7b43f826fb56831226508bebd2dceb18"
		      "d0a6df10e5487df074113e14c641024e"
		      "3e6773d91a62ee429b043a10e3efe6b0"
		      "12a49363412364f8",
	.icv = "c0cac587f249e56b11e24f30e44ccc76",
    },
    {
	.name = "draft-mcgrew-gcm-test-01 case 14 (AES-256, ESN 2^64-1)",
	.alg = L2X_AEAD_AES256GCM,
	.key = "6c6567616c697a656d6172696a75616e"
	       "61616e64646f69746265666f72656961",
	.salt = "7475726e",
	.spi = 0x796b6963,
	.seq = 0xffffffffffffffffull,
	.esn = 1,
	.aad = "796b6963ffffffffffffffff",
	/* IPv4 192.168.0.5 -> 192.168.0.1, ICMP echo request: the draft's
	 * bytes, decrypted in memory only, never sent anywhere */
	.inner = "45000030da3a00008001df3bc0a80005"
		 "c0a800010800c6cd0200070061626364"
		 "65666768696a6b6c6d6e6f7071727374",
	.padding = "0102",
	.pad_len = 2,
	.next_hdr = 1,
	.esp_hdr = "796b6963 ffffffff",
	.iv = "333021696765746d",
	.ciphertext = "f97ab2aa356d8edce17644ac8c78e25d"
		      "d24dedbb29ebf1b64a274b39b49c3a86"
		      "4cd3d78ca4ae68a32b42458fb57dbe82"
		      "1dcc63b9",
	.icv = "d0937ba2945f669368661a329fb4c053",
    },
};

#endif /* L2X_ESP_VECTORS_H */
