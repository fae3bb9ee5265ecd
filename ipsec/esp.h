/* SPDX-License-Identifier: MIT */
/*
 * esp.h - ESP per packet: seal an inner IPv4 packet into ESP, open ESP back
 * into it (RFC 4303, tunnel mode, next header 4), with the AEAD transforms
 * of RFC 4106 (AES-256-GCM, 16-byte ICV) and RFC 7634 (ChaCha20-Poly1305).
 *
 * What seal produces, in place in the same mbuf (DESIGN.md "Wire format"):
 *
 *   ESP hdr (SPI, seq low 32) | IV 8 | ciphertext of
 *     [ inner packet | padding 1,2,3.. | pad length | next header ] | ICV 16
 *
 * - IV: the 64-bit sequence number, big-endian. Both RFCs only ask that an
 *   IV never repeat under a key (RFC 4106 section 3.1, RFC 7634 section 2);
 *   the counter guarantees it and costs nothing.
 * - Nonce: salt (4, from the key material) | IV (8).
 * - AAD: SPI | seq (8 bytes), or with ESN SPI | seq high | seq low
 *   (12 bytes) (RFC 4106 section 5, RFC 7634 section 2.1). The high half
 *   is authenticated but never sent.
 * - Padding: the fewest bytes (0..3) that end the ciphertext on a 4-byte
 *   boundary, valued 1, 2, 3 (RFC 4303 section 2.4). Both AEADs are stream
 *   modes and need no more.
 *
 * No payload byte moves: the header goes into headroom, the trailer and
 * ICV into tailroom, and libsodium's detached AEAD works in place. On a
 * refusal the mbuf is left as it was.
 *
 * Open takes an mbuf whose data starts at the ESP header (the caller
 * stripped Ethernet, IPv4 and UDP 4500) and, in this order: length checks
 * (every truncation is a reason, never a read past the data), SA by SPI,
 * hard lifetime, replay check, decrypt and verify in place, replay update
 * (only now: a forged packet never moves the window), padding check
 * (pad bytes 1, 2, 3..; RFC 4303 section 2.4 says the receiver SHOULD
 * inspect them), next header, strip to the inner packet, counters.
 *
 * Bursts (STYLE 3): return how many packets are good, moved to the front
 * in their original order; the bad ones follow, also in order, with why[i]
 * the reason for m[i] (i from the return value to n - 1). The caller frees
 * the bad ones and counts why[] in its per-lcore counters, so that
 * rx = ok + sum(drops). Drop reasons are one X-macro below.
 *
 * The core entry points (l2x_esp_seal_raw/_one, l2x_esp_open_one) are what
 * the bursts are built on, exposed for known-answer tests (published
 * vectors use IVs that are not the sequence number and next headers that
 * are not 4) and for building deliberately malformed packets. They do no
 * sequence-number or lifetime accounting.
 *
 * This file's .c is a per-packet file (Makefile FAST_SRCS): no allocation,
 * printing, lock or syscall.
 *
 * Thread-safety: a seal burst runs on the lcore owning the outbound SA; an
 * open burst on the lcore owning every inbound SA of the table (sa.h).
 */
#ifndef L2X_ESP_H
#define L2X_ESP_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "dataplane/wire.h"
#include "ipsec/sa.h"
#include "ipsec/sa_table.h"

/* Drop reasons: _(NAME, json_key, "what l2xctl show stats prints") */
#define l2x_foreach_esp_drop(_)                                             \
	_(NO_SA, no_sa, "no usable SA for the SPI")                         \
	_(SHORT, too_short, "shorter than ESP header, IV, trailer and ICV") \
	_(BAD_LEN, bad_len, "ciphertext length not a multiple of 4")        \
	_(REPLAY, replay, "replayed sequence number")                       \
	_(OLD, old, "sequence number left of the replay window")            \
	_(AUTH, auth, "ICV check failed")                                   \
	_(BAD_PAD, bad_pad, "padding bytes or pad length invalid")          \
	_(BAD_NH, bad_nh, "next header is not IPv4")                        \
	_(DUMMY, dummy, "dummy packet (next header 59, RFC 4303 2.6)")      \
	_(SEQ_EXHAUSTED, seq_exhausted,                                     \
	  "sequence numbers exhausted, SA must be rekeyed")                 \
	_(EXPIRED, expired, "SA hard lifetime reached")                     \
	_(NO_HEADROOM, no_headroom, "no headroom for ESP header and IV")    \
	_(NO_TAILROOM, no_tailroom, "no tailroom for trailer and ICV")      \
	_(CHAINED, chained, "chained mbuf")

enum l2x_esp_drop {
	L2X_ESP_OK = 0, /* not a drop: what single-packet calls return */
#define L2X_ESP_DROP_ENUM(name, key, text) L2X_ESP_DROP_##name,
	l2x_foreach_esp_drop(L2X_ESP_DROP_ENUM)
#undef L2X_ESP_DROP_ENUM
	    L2X_ESP_DROP_MAX
};

/* Human name and JSON key of a reason; "?" for a value out of range. */
const char *l2x_esp_drop_name(unsigned why);
const char *l2x_esp_drop_key(unsigned why);

/* Minimum ESP packet: header, IV, pad length, next header, ICV. */
#define L2X_ESP_MIN_LEN \
	(L2X_ESP_HDR_LEN + sizeof(struct l2x_esp_trailer) + L2X_ESP_ICV_LEN)
/* Bytes seal adds to an inner packet of len bytes. */
#define L2X_ESP_OVERHEAD(len)                     \
	(L2X_ESP_HDR_LEN + L2X_ESP_PAD_LEN(len) + \
	 sizeof(struct l2x_esp_trailer) + L2X_ESP_ICV_LEN)
/* Padding after an inner packet of len bytes (RFC 4303 section 2.4). */
#define L2X_ESP_PAD_LEN(len)                                          \
	((L2X_ESP_ALIGN -                                             \
	  ((len) + sizeof(struct l2x_esp_trailer)) % L2X_ESP_ALIGN) % \
	 L2X_ESP_ALIGN)

/*
 * Seal up to n inner IPv4 packets with the outbound SA sa, in place, using
 * its next sequence numbers. Returns the good count; see "Bursts" above.
 * Reasons: NO_SA (sa is not outbound), EXPIRED, SEQ_EXHAUSTED, CHAINED,
 * NO_HEADROOM, NO_TAILROOM. A refused packet uses no sequence number.
 * Lcore owning sa.
 */
uint16_t l2x_esp_seal_burst(struct l2x_sa *sa, struct rte_mbuf *m[], uint16_t n,
			    uint8_t why[]);

/*
 * Open up to n ESP packets with the inbound SAs of table t, in place.
 * Returns the good count; sa_out[i] is the SA that authenticated m[i] for
 * the good ones (so the dataplane may learn the peer's NAT address from
 * authenticated packets only). Reasons: CHAINED, SHORT, NO_SA (no table,
 * or no SA with the SPI), EXPIRED, BAD_LEN, REPLAY, OLD, AUTH, BAD_PAD,
 * BAD_NH, DUMMY. On a drop after decryption the packet's bytes are
 * undefined (libsodium may have zeroed them); the caller frees it.
 * Lcore owning the table's SAs.
 */
uint16_t l2x_esp_open_burst(const struct l2x_sa_table *t, struct rte_mbuf *m[],
			    uint16_t n, struct l2x_sa *sa_out[], uint8_t why[]);

/*
 * Core: seal m's data as it is (the caller supplies padding and trailer)
 * with sequence number seq, IV iv (8 bytes; NULL: seq big-endian). Any
 * SA direction. Returns L2X_ESP_OK, CHAINED, NO_HEADROOM or NO_TAILROOM.
 */
uint8_t l2x_esp_seal_raw(const struct l2x_sa *sa, struct rte_mbuf *m,
			 uint64_t seq, const uint8_t *iv);

/*
 * Core: append padding and a trailer with next_hdr to m's data, then
 * l2x_esp_seal_raw(). What the seal burst does per packet, with next
 * header 4 and its own sequence number.
 */
uint8_t l2x_esp_seal_one(const struct l2x_sa *sa, struct rte_mbuf *m,
			 uint64_t seq, const uint8_t *iv, uint8_t next_hdr);

/*
 * Core: open one ESP packet with sa, whose SPI it must carry (else NO_SA):
 * length checks, replay check, decrypt, replay update, padding check,
 * strip. *next_hdr receives the trailer's next header, which this function
 * does not judge. Returns L2X_ESP_OK or a reason. No lifetime check and no
 * counters (the burst does those). Lcore owning sa.
 */
uint8_t l2x_esp_open_one(struct l2x_sa *sa, struct rte_mbuf *m,
			 uint8_t *next_hdr);

/* The AEAD primitives the transform table in sa.c points at: libsodium's
 * detached AEADs with a 12-byte nonce. Per packet. */
int l2x_esp_aes256gcm_seal(const union l2x_sa_key *k, uint8_t *c, uint8_t *icv,
			   const uint8_t *p, size_t len, const uint8_t *aad,
			   size_t aad_len, const uint8_t *nonce);
int l2x_esp_aes256gcm_open(const union l2x_sa_key *k, uint8_t *p,
			   const uint8_t *c, size_t len, const uint8_t *icv,
			   const uint8_t *aad, size_t aad_len,
			   const uint8_t *nonce);
int l2x_esp_chacha20poly1305_seal(const union l2x_sa_key *k, uint8_t *c,
				  uint8_t *icv, const uint8_t *p, size_t len,
				  const uint8_t *aad, size_t aad_len,
				  const uint8_t *nonce);
int l2x_esp_chacha20poly1305_open(const union l2x_sa_key *k, uint8_t *p,
				  const uint8_t *c, size_t len,
				  const uint8_t *icv, const uint8_t *aad,
				  size_t aad_len, const uint8_t *nonce);

#endif /* L2X_ESP_H */
