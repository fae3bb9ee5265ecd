/* SPDX-License-Identifier: MIT */
/*
 * esp.c - ESP seal and open, per packet. The design is in esp.h.
 *
 * Per-packet file (Makefile FAST_SRCS): no allocation, printing, lock or
 * syscall. Everything known when the SA was created (transform functions,
 * SPI in wire order, salt, limits as UINT64_MAX when absent) was computed
 * there; here is only what depends on the packet.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_mbuf.h>
#include <sodium.h>

#include "dataplane/wire.h"
#include "ipsec/esp.h"
#include "ipsec/replay.h"
#include "ipsec/sa.h"
#include "ipsec/sa_table.h"

/* Next header of a dummy packet (RFC 4303 section 2.6): IPv6 "no next
 * header", which the receiver discards. */
#define ESP_NH_NONE 59
#define NONCE_LEN (L2X_ESP_SALT_LEN + L2X_ESP_IV_LEN)
#define AAD_ESN_LEN (sizeof(struct l2x_esp_hdr) + sizeof(uint32_t))

static const char *const drop_name[L2X_ESP_DROP_MAX] = {
    [L2X_ESP_OK] = "ok",
#define DROP_NAME(name, key, text) [L2X_ESP_DROP_##name] = text,
    l2x_foreach_esp_drop(DROP_NAME)
#undef DROP_NAME
};

static const char *const drop_key[L2X_ESP_DROP_MAX] = {
    [L2X_ESP_OK] = "ok",
#define DROP_KEY(name, key, text) [L2X_ESP_DROP_##name] = #key,
    l2x_foreach_esp_drop(DROP_KEY)
#undef DROP_KEY
};

const char *l2x_esp_drop_name(unsigned why)
{
	return why < L2X_ESP_DROP_MAX ? drop_name[why] : "?";
}

const char *l2x_esp_drop_key(unsigned why)
{
	return why < L2X_ESP_DROP_MAX ? drop_key[why] : "?";
}

/* --- AEAD primitives, pointed at by sa.c's transform table ------------ */

int l2x_esp_aes256gcm_seal(const union l2x_sa_key *k, uint8_t *c, uint8_t *icv,
			   const uint8_t *p, size_t len, const uint8_t *aad,
			   size_t aad_len, const uint8_t *nonce)
{
	return crypto_aead_aes256gcm_encrypt_detached_afternm(
	    c, icv, NULL, p, len, aad, aad_len, NULL, nonce, &k->gcm);
}

int l2x_esp_aes256gcm_open(const union l2x_sa_key *k, uint8_t *p,
			   const uint8_t *c, size_t len, const uint8_t *icv,
			   const uint8_t *aad, size_t aad_len,
			   const uint8_t *nonce)
{
	return crypto_aead_aes256gcm_decrypt_detached_afternm(
	    p, NULL, c, len, icv, aad, aad_len, nonce, &k->gcm);
}

int l2x_esp_chacha20poly1305_seal(const union l2x_sa_key *k, uint8_t *c,
				  uint8_t *icv, const uint8_t *p, size_t len,
				  const uint8_t *aad, size_t aad_len,
				  const uint8_t *nonce)
{
	return crypto_aead_chacha20poly1305_ietf_encrypt_detached(
	    c, icv, NULL, p, len, aad, aad_len, NULL, nonce, k->raw);
}

int l2x_esp_chacha20poly1305_open(const union l2x_sa_key *k, uint8_t *p,
				  const uint8_t *c, size_t len,
				  const uint8_t *icv, const uint8_t *aad,
				  size_t aad_len, const uint8_t *nonce)
{
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
	    p, NULL, c, len, icv, aad, aad_len, nonce, k->raw);
}

/* --- helpers ------------------------------------------------------------ */

/* Single segment, with pkt_len telling the truth about it. */
static inline bool contiguous(const struct rte_mbuf *m)
{
	return m->nb_segs == 1 && m->pkt_len == m->data_len;
}

/* Can seal prepend the header and append tail bytes in place? */
static inline uint8_t seal_room(const struct rte_mbuf *m, uint32_t tail)
{
	if (unlikely(!contiguous(m)))
		return L2X_ESP_DROP_CHAINED;
	if (unlikely(rte_pktmbuf_headroom(m) < L2X_ESP_HDR_LEN))
		return L2X_ESP_DROP_NO_HEADROOM;
	if (unlikely(rte_pktmbuf_tailroom(m) < tail))
		return L2X_ESP_DROP_NO_TAILROOM;
	return L2X_ESP_OK;
}

/* AAD: the ESP header as it is in the packet, or with ESN the SPI, the
 * high half of seq, the low half (RFC 4106 section 5, RFC 7634 2.1).
 * Returns its length; *ad points at the bytes. */
static inline size_t make_aad(const struct l2x_sa *sa, const uint8_t *hdr,
			      uint64_t seq, uint8_t buf[AAD_ESN_LEN],
			      const uint8_t **ad)
{
	rte_be32_t hi;

	if (likely(!sa->esn)) {
		*ad = hdr;
		return sizeof(struct l2x_esp_hdr);
	}
	hi = rte_cpu_to_be_32((uint32_t)(seq >> 32));
	memcpy(buf, hdr, sizeof(rte_be32_t));
	memcpy(buf + 4, &hi, sizeof(hi));
	memcpy(buf + 8, hdr + 4, sizeof(rte_be32_t));
	*ad = buf;
	return AAD_ESN_LEN;
}

/* Seal m's data as it is. Room was checked by the caller. */
static inline void do_seal(const struct l2x_sa *sa, struct rte_mbuf *m,
			   uint64_t seq, const uint8_t *iv)
{
	uint16_t len = m->data_len;
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *h = p - L2X_ESP_HDR_LEN;
	uint8_t *ivp = h + sizeof(struct l2x_esp_hdr);
	struct l2x_esp_hdr eh = {
	    .spi = sa->spi_be,
	    .seq = rte_cpu_to_be_32((uint32_t)seq),
	};
	uint8_t nonce[NONCE_LEN], aadbuf[AAD_ESN_LEN];
	const uint8_t *ad;
	size_t adlen;

	memcpy(h, &eh, sizeof(eh));
	if (likely(iv == NULL)) {
		rte_be64_t be = rte_cpu_to_be_64(seq);

		memcpy(ivp, &be, L2X_ESP_IV_LEN);
	} else {
		memcpy(ivp, iv, L2X_ESP_IV_LEN);
	}
	memcpy(nonce, sa->salt, L2X_ESP_SALT_LEN);
	memcpy(nonce + L2X_ESP_SALT_LEN, ivp, L2X_ESP_IV_LEN);
	adlen = make_aad(sa, h, seq, aadbuf, &ad);
	sa->seal(&sa->key, p, p + len, p, len, ad, adlen, nonce);
	m->data_off -= L2X_ESP_HDR_LEN;
	m->data_len = (uint16_t)(len + L2X_ESP_HDR_LEN + L2X_ESP_ICV_LEN);
	m->pkt_len = m->data_len;
}

/* Padding 1, 2, 3.. then pad length and next header (RFC 4303 2.4). Room
 * for at least the 3 bytes written first was checked (trailer + ICV). */
static inline void add_trailer(struct rte_mbuf *m, uint32_t pad, uint8_t nh)
{
	static const uint8_t pad_bytes[L2X_ESP_ALIGN - 1] = {1, 2, 3};
	uint8_t *t = rte_pktmbuf_mtod_offset(m, uint8_t *, m->data_len);

	memcpy(t, pad_bytes, sizeof(pad_bytes));
	t[pad] = (uint8_t)pad;
	t[pad + 1] = nh;
	m->data_len =
	    (uint16_t)(m->data_len + pad + sizeof(struct l2x_esp_trailer));
	m->pkt_len = m->data_len;
}

static inline uint8_t seal_one(const struct l2x_sa *sa, struct rte_mbuf *m,
			       uint64_t seq, const uint8_t *iv, uint8_t nh)
{
	uint32_t pad = L2X_ESP_PAD_LEN(m->data_len);
	uint8_t r = seal_room(m, pad + sizeof(struct l2x_esp_trailer) +
				     L2X_ESP_ICV_LEN);

	if (unlikely(r != L2X_ESP_OK))
		return r;
	add_trailer(m, pad, nh);
	do_seal(sa, m, seq, iv);
	return L2X_ESP_OK;
}

uint8_t l2x_esp_seal_raw(const struct l2x_sa *sa, struct rte_mbuf *m,
			 uint64_t seq, const uint8_t *iv)
{
	uint8_t r = seal_room(m, L2X_ESP_ICV_LEN);

	if (r != L2X_ESP_OK)
		return r;
	do_seal(sa, m, seq, iv);
	return L2X_ESP_OK;
}

uint8_t l2x_esp_seal_one(const struct l2x_sa *sa, struct rte_mbuf *m,
			 uint64_t seq, const uint8_t *iv, uint8_t next_hdr)
{
	return seal_one(sa, m, seq, iv, next_hdr);
}

static inline uint8_t open_one(struct l2x_sa *sa, struct rte_mbuf *m,
			       uint8_t *nh)
{
	uint32_t len = m->data_len, clen, pad;
	uint8_t *h = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *c = h + L2X_ESP_HDR_LEN;
	uint8_t nonce[NONCE_LEN], aadbuf[AAD_ESN_LEN];
	const uint8_t *ad;
	size_t adlen;
	struct l2x_esp_hdr eh;
	uint64_t seq;

	if (unlikely(!contiguous(m)))
		return L2X_ESP_DROP_CHAINED;
	if (unlikely(len < L2X_ESP_MIN_LEN))
		return L2X_ESP_DROP_SHORT;
	clen = len - L2X_ESP_HDR_LEN - L2X_ESP_ICV_LEN;
	if (unlikely(clen % L2X_ESP_ALIGN != 0))
		return L2X_ESP_DROP_BAD_LEN;
	memcpy(&eh, h, sizeof(eh));
	if (unlikely(eh.spi != sa->spi_be))
		return L2X_ESP_DROP_NO_SA;
	switch (l2x_replay_check(&sa->replay, rte_be_to_cpu_32(eh.seq), &seq)) {
	case L2X_REPLAY_OK:
		break;
	case L2X_REPLAY_DUP:
		return L2X_ESP_DROP_REPLAY;
	default:
		return L2X_ESP_DROP_OLD;
	}
	memcpy(nonce, sa->salt, L2X_ESP_SALT_LEN);
	memcpy(nonce + L2X_ESP_SALT_LEN, h + sizeof(eh), L2X_ESP_IV_LEN);
	adlen = make_aad(sa, h, seq, aadbuf, &ad);
	if (unlikely(sa->open(&sa->key, c, c, clen, c + clen, ad, adlen,
			      nonce) != 0))
		return L2X_ESP_DROP_AUTH;
	/* Authentic: now, and only now, the window moves. */
	l2x_replay_update(&sa->replay, seq);

	pad = c[clen - 2];
	if (unlikely(pad + sizeof(struct l2x_esp_trailer) > clen))
		return L2X_ESP_DROP_BAD_PAD;
	for (uint32_t i = 0; i < pad; i++)
		if (unlikely(c[clen - 2 - pad + i] != (uint8_t)(i + 1)))
			return L2X_ESP_DROP_BAD_PAD;
	*nh = c[clen - 1];
	m->data_off = (uint16_t)(m->data_off + L2X_ESP_HDR_LEN);
	m->data_len = (uint16_t)(clen - pad - sizeof(struct l2x_esp_trailer));
	m->pkt_len = m->data_len;
	return L2X_ESP_OK;
}

uint8_t l2x_esp_open_one(struct l2x_sa *sa, struct rte_mbuf *m,
			 uint8_t *next_hdr)
{
	return open_one(sa, m, next_hdr);
}

/* --- bursts ------------------------------------------------------------- */

/*
 * Sorting a burst in place, order kept on both sides. Before m[i] is
 * judged, m[0, good) are the good packets and m[good, i) the bad ones with
 * their reasons in why[]. A bad m[i] is already where it belongs; a good
 * one moves in front of the bad ones, which shift up by one. Nothing moves
 * while no packet is bad, which is the case that has to be fast.
 */
static inline void sort_good(struct rte_mbuf *m[], uint8_t why[], uint16_t i,
			     uint16_t good)
{
	struct rte_mbuf *x;

	if (likely(i == good))
		return;
	x = m[i];
	memmove(&m[good + 1], &m[good], (size_t)(i - good) * sizeof(m[0]));
	memmove(&why[good + 1], &why[good], (size_t)(i - good));
	m[good] = x;
}

/* Has sa reached a hard packet or byte limit, or its hard time? */
static inline bool hard_reached(const struct l2x_sa *sa, uint64_t pk,
				uint64_t by)
{
	return pk >= sa->hard_packets || by >= sa->hard_bytes ||
	       __atomic_load_n(&sa->hard_time, __ATOMIC_RELAXED);
}

/* Publish counters and raise the soft/hard flags they reached. */
static inline void count(struct l2x_sa *sa, uint64_t pk, uint64_t by)
{
	__atomic_store_n(&sa->packets, pk, __ATOMIC_RELAXED);
	__atomic_store_n(&sa->bytes, by, __ATOMIC_RELAXED);
	if (unlikely(pk >= sa->soft_packets || by >= sa->soft_bytes) &&
	    !sa->soft_hit)
		__atomic_store_n(&sa->soft_hit, 1, __ATOMIC_RELAXED);
	if (unlikely(pk >= sa->hard_packets || by >= sa->hard_bytes) &&
	    !sa->hard_hit)
		__atomic_store_n(&sa->hard_hit, 1, __ATOMIC_RELAXED);
}

uint16_t l2x_esp_seal_burst(struct l2x_sa *sa, struct rte_mbuf *m[], uint16_t n,
			    uint8_t why[])
{
	uint64_t seq = sa->seq, pk = sa->packets, by = sa->bytes;
	uint8_t dead = L2X_ESP_OK;
	uint16_t good = 0;

	if (unlikely(sa->dir != L2X_SA_OUT))
		dead = L2X_ESP_DROP_NO_SA;
	for (uint16_t i = 0; i < n; i++) {
		uint16_t len = m[i]->data_len;
		uint8_t r = dead;

		if (likely(r == L2X_ESP_OK)) {
			if (unlikely(hard_reached(sa, pk, by)))
				r = L2X_ESP_DROP_EXPIRED;
			else if (unlikely(seq >= sa->seq_max))
				r = L2X_ESP_DROP_SEQ_EXHAUSTED;
			else
				r = seal_one(sa, m[i], seq + 1, NULL,
					     L2X_ESP_NH_IPV4);
		}
		if (unlikely(r != L2X_ESP_OK)) {
			why[i] = r; /* already in place */
			continue;
		}
		seq++;
		pk++;
		by += len;
		sort_good(m, why, i, good++);
	}
	if (good != 0) {
		__atomic_store_n(&sa->seq, seq, __ATOMIC_RELAXED);
		count(sa, pk, by);
	}
	return good;
}

/* Open one packet of a burst: SA by SPI, lifetime, core, next header,
 * counters. */
static inline uint8_t open_pkt(const struct l2x_sa_table *t, struct rte_mbuf *m,
			       struct l2x_sa **sap)
{
	struct l2x_sa *sa;
	rte_be32_t spi;
	uint8_t r, nh = 0;

	/* The SPI must be there to look it up; open_one() checks the rest. */
	if (unlikely(m->data_len < L2X_ESP_MIN_LEN))
		return L2X_ESP_DROP_SHORT;
	memcpy(&spi, rte_pktmbuf_mtod(m, void *), sizeof(spi));
	sa = likely(t != NULL) ? l2x_sa_table_lookup(t, spi) : NULL;
	if (unlikely(sa == NULL))
		return L2X_ESP_DROP_NO_SA;
	if (unlikely(hard_reached(sa, sa->packets, sa->bytes)))
		return L2X_ESP_DROP_EXPIRED;
	r = open_one(sa, m, &nh);
	if (unlikely(r != L2X_ESP_OK))
		return r;
	if (unlikely(nh != L2X_ESP_NH_IPV4))
		return nh == ESP_NH_NONE ? L2X_ESP_DROP_DUMMY
					 : L2X_ESP_DROP_BAD_NH;
	count(sa, sa->packets + 1, sa->bytes + m->data_len);
	*sap = sa;
	return L2X_ESP_OK;
}

uint16_t l2x_esp_open_burst(const struct l2x_sa_table *t, struct rte_mbuf *m[],
			    uint16_t n, struct l2x_sa *sa_out[], uint8_t why[])
{
	uint16_t good = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct l2x_sa *sa = NULL;
		uint8_t r = open_pkt(t, m[i], &sa);

		if (unlikely(r != L2X_ESP_OK)) {
			why[i] = r; /* already in place */
			continue;
		}
		sa_out[good] = sa;
		sort_good(m, why, i, good++);
	}
	return good;
}
