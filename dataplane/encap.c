/* SPDX-License-Identifier: MIT */
/*
 * encap.c - inner (GRE-TEB, VXLAN) and outer (Ethernet/IPv4/UDP 4500)
 * header templates, their per-packet push, and the strict parsers of both
 * layers. Per-packet file (STYLE.md 2): no allocation, logging, lock or
 * syscall; the template init functions obey the same rule. See encap.h.
 */
#include <errno.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_ip.h>
#include <rte_pause.h>
#include <rte_udp.h>

#include "dataplane/encap.h"

#define IPV4_HDR_LEN sizeof(struct rte_ipv4_hdr)
#define UDP_HDR_LEN sizeof(struct rte_udp_hdr)
#define ETH_HDR_LEN sizeof(struct rte_ether_hdr)
#define VLAN_HDR_LEN sizeof(struct rte_vlan_hdr)
#define IPV4_TTL 64

/* GRE flags word (RFC 2784 section 2, RFC 2890 section 2, with the RFC 1701
 * names): C, R, K, S, s, recursion (3), reserved (5), version (3). RFC 2784
 * section 2.3: a receiver MUST discard a packet where any of bits 1-5 is
 * set (R, s and the first recursion bit, K and S being RFC 2890's now),
 * and MUST ignore bits 6-12. We also refuse C and S: no l2x peer sends a
 * GRE checksum or sequence number, and we would not check them. */
#define GRE_F_CSUM 0x8000
#define GRE_F_ROUTING 0x4000
#define GRE_F_SEQ 0x1000
#define GRE_F_SSR 0x0800
#define GRE_F_RECUR0 0x0400
#define GRE_F_REFUSED \
	(GRE_F_CSUM | GRE_F_ROUTING | GRE_F_SEQ | GRE_F_SSR | GRE_F_RECUR0)
#define GRE_VERSION_MASK 0x0007
#define GRE_BASE_LEN 4 /* flags and protocol, before the key */

/* VXLAN source port range (RFC 7348 section 5): 49152..65535. */
#define VXLAN_SPORT_BASE 0xc000
#define VXLAN_SPORT_BITS 14

const char *const l2x_encap_err_key[L2X_ENCAP_ERR_MAX] = {
    [L2X_ENCAP_OK] = "OK",
#define L2X_X(sym, text) [L2X_ENCAP_ERR_##sym] = #sym,
    l2x_foreach_encap_err(L2X_X)
#undef L2X_X
};

const char *const l2x_encap_err_text[L2X_ENCAP_ERR_MAX] = {
    [L2X_ENCAP_OK] = "ok",
#define L2X_X(sym, text) [L2X_ENCAP_ERR_##sym] = text,
    l2x_foreach_encap_err(L2X_X)
#undef L2X_X
};

const char *const l2x_outer_err_key[L2X_OUTER_ERR_MAX] = {
    [L2X_OUTER_OK] = "OK",
#define L2X_X(sym, text) [L2X_OUTER_ERR_##sym] = #sym,
    l2x_foreach_outer_err(L2X_X)
#undef L2X_X
};

const char *const l2x_outer_err_text[L2X_OUTER_ERR_MAX] = {
    [L2X_OUTER_OK] = "ok",
#define L2X_X(sym, text) [L2X_OUTER_ERR_##sym] = text,
    l2x_foreach_outer_err(L2X_X)
#undef L2X_X
};

/* Unaligned big-endian loads: parsers take any pointer. */
static inline uint16_t ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_16(v);
}

static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

/* Fold a sum of 16-bit words (in memory order) to 16 bits, end-around
 * carry (RFC 1071 section 4.1). */
static inline uint16_t fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* A received IPv4 header sums to 0xffff, checksum included. The usual
 * 20-byte header gets a constant-length (unrolled) sum. */
static inline int ipv4_cksum_ok(const uint8_t *ip, uint32_t hl)
{
	uint16_t s = likely(hl == IPV4_HDR_LEN)
			 ? rte_raw_cksum(ip, IPV4_HDR_LEN)
			 : rte_raw_cksum(ip, hl);

	return s == 0xffff;
}

/* Fill the IPv4 header every template starts from: no options, TOS 0,
 * lengths, ID and checksum 0. */
static void ipv4_base(struct rte_ipv4_hdr *ip, uint8_t proto, uint16_t frag,
		      rte_be32_t src, rte_be32_t dst)
{
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->fragment_offset = rte_cpu_to_be_16(frag);
	ip->time_to_live = IPV4_TTL;
	ip->next_proto_id = proto;
	ip->src_addr = src;
	ip->dst_addr = dst;
}

/* ------------------------------------------------------------------------
 * Inner headers
 * ------------------------------------------------------------------------ */

int l2x_inner_tmpl_init(struct l2x_inner_tmpl *t, enum l2x_encap e,
			uint32_t tunnel_id, rte_be32_t src, rte_be32_t dst)
{
	struct l2x_inner_tmpl n;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)n.hdr;
	uint8_t *l4 = n.hdr + IPV4_HDR_LEN;

	if (t == NULL || src == 0 || dst == 0)
		return -EINVAL;
	memset(&n, 0, sizeof(n));
	switch (e) {
	case L2X_ENCAP_GRE: {
		struct l2x_gre_key_hdr gre = {
		    .flags = rte_cpu_to_be_16(L2X_GRE_FLAG_KEY),
		    .protocol = rte_cpu_to_be_16(L2X_GRE_PROTO_TEB),
		    .key = rte_cpu_to_be_32(tunnel_id),
		};

		ipv4_base(ip, IPPROTO_GRE, RTE_IPV4_HDR_DF_FLAG, src, dst);
		memcpy(l4, &gre, sizeof(gre));
		n.hdr_len = L2X_INNER_GRE_LEN;
		break;
	}
	case L2X_ENCAP_VXLAN: {
		struct rte_udp_hdr udp = {
		    .dst_port = rte_cpu_to_be_16(L2X_VXLAN_PORT),
		};
		struct l2x_vxlan_hdr vx = {
		    .flags = rte_cpu_to_be_32(L2X_VXLAN_FLAG_I),
		    .vni = rte_cpu_to_be_32(tunnel_id << 8),
		};

		if (tunnel_id > L2X_VXLAN_VNI_MAX)
			return -EINVAL;
		ipv4_base(ip, IPPROTO_UDP, RTE_IPV4_HDR_DF_FLAG, src, dst);
		memcpy(l4, &udp, sizeof(udp));
		memcpy(l4 + sizeof(udp), &vx, sizeof(vx));
		n.hdr_len = L2X_INNER_VXLAN_LEN;
		break;
	}
	default:
		return -EINVAL;
	}
	n.ip_sum = rte_raw_cksum(ip, IPV4_HDR_LEN);
	n.encap = (uint8_t)e;
	n.tunnel_id = tunnel_id;
	*t = n;
	return 0;
}

rte_be16_t l2x_inner_vxlan_sport(const uint8_t *frame)
{
	/* Destination and source MAC as a 64- and a 32-bit big-endian
	 * number, so the port does not depend on the host's byte order;
	 * multiplicative hashing moves every input bit into the top bits. */
	uint64_t a;
	uint32_t b;
	uint64_t h;

	memcpy(&a, frame, sizeof(a));
	memcpy(&b, frame + sizeof(a), sizeof(b));
	h = rte_be_to_cpu_64(a) + rte_be_to_cpu_32(b) * 0xff51afd7ed558ccdull;
	h *= 0x9e3779b97f4a7c15ull;
	return rte_cpu_to_be_16(
	    (uint16_t)(VXLAN_SPORT_BASE | (h >> (64 - VXLAN_SPORT_BITS))));
}

int l2x_inner_push(struct rte_mbuf *m, const struct l2x_inner_tmpl *t)
{
	uint32_t flen = rte_pktmbuf_data_len(m);
	uint32_t tot = flen + t->hdr_len;
	struct rte_ipv4_hdr *ip;
	uint8_t *h;

	if (unlikely(m->nb_segs != 1 || flen < ETH_HDR_LEN))
		return -EINVAL;
	if (unlikely(tot > UINT16_MAX))
		return -EMSGSIZE;
	if (unlikely(rte_pktmbuf_headroom(m) < t->hdr_len))
		return -ENOSPC;

	if (t->encap == L2X_ENCAP_VXLAN) {
		rte_be16_t sport =
		    l2x_inner_vxlan_sport(rte_pktmbuf_mtod(m, const uint8_t *));
		struct rte_udp_hdr *udp;

		h = (uint8_t *)rte_pktmbuf_prepend(m, L2X_INNER_VXLAN_LEN);
		memcpy(h, t->hdr, L2X_INNER_VXLAN_LEN);
		udp = (struct rte_udp_hdr *)(h + IPV4_HDR_LEN);
		udp->src_port = sport;
		udp->dgram_len =
		    rte_cpu_to_be_16((uint16_t)(tot - IPV4_HDR_LEN));
	} else {
		h = (uint8_t *)rte_pktmbuf_prepend(m, L2X_INNER_GRE_LEN);
		memcpy(h, t->hdr, L2X_INNER_GRE_LEN);
	}
	ip = (struct rte_ipv4_hdr *)h;
	ip->total_length = rte_cpu_to_be_16((uint16_t)tot);
	/* Incremental: the template's sum plus the one field that changed. */
	ip->hdr_checksum = (rte_be16_t)~fold(t->ip_sum + ip->total_length);
	return 0;
}

static enum l2x_encap_err inner_gre(const uint8_t *g, uint32_t glen,
				    struct l2x_inner_info *out)
{
	uint16_t f;

	if (glen < GRE_BASE_LEN)
		return L2X_ENCAP_ERR_GRE_TRUNC;
	f = ld16(g);
	if (f & GRE_F_REFUSED)
		return L2X_ENCAP_ERR_GRE_FLAGS;
	if (f & GRE_VERSION_MASK)
		return L2X_ENCAP_ERR_GRE_VERSION;
	if (!(f & L2X_GRE_FLAG_KEY))
		return L2X_ENCAP_ERR_GRE_NO_KEY;
	if (ld16(g + 2) != L2X_GRE_PROTO_TEB)
		return L2X_ENCAP_ERR_GRE_PROTO;
	if (glen < sizeof(struct l2x_gre_key_hdr))
		return L2X_ENCAP_ERR_GRE_TRUNC;
	out->encap = L2X_ENCAP_GRE;
	out->tunnel_id = ld32(g + offsetof(struct l2x_gre_key_hdr, key));
	out->frame_off += sizeof(struct l2x_gre_key_hdr);
	out->frame_len = glen - sizeof(struct l2x_gre_key_hdr);
	return L2X_ENCAP_OK;
}

static enum l2x_encap_err inner_vxlan(const uint8_t *u, uint32_t ulen_ip,
				      struct l2x_inner_info *out)
{
	const uint8_t *vx = u + UDP_HDR_LEN;
	uint32_t ulen;

	if (ulen_ip < UDP_HDR_LEN)
		return L2X_ENCAP_ERR_UDP_TRUNC;
	ulen = ld16(u + offsetof(struct rte_udp_hdr, dgram_len));
	if (ulen < UDP_HDR_LEN || ulen > ulen_ip)
		return L2X_ENCAP_ERR_UDP_LEN;
	if (ld16(u + offsetof(struct rte_udp_hdr, dst_port)) != L2X_VXLAN_PORT)
		return L2X_ENCAP_ERR_UDP_PORT;
	if (ulen < UDP_HDR_LEN + sizeof(struct l2x_vxlan_hdr))
		return L2X_ENCAP_ERR_VXLAN_TRUNC;
	if (!(ld32(vx) & L2X_VXLAN_FLAG_I))
		return L2X_ENCAP_ERR_VXLAN_FLAGS;
	out->encap = L2X_ENCAP_VXLAN;
	out->tunnel_id = ld32(vx + offsetof(struct l2x_vxlan_hdr, vni)) >> 8;
	out->frame_off += UDP_HDR_LEN + sizeof(struct l2x_vxlan_hdr);
	out->frame_len = ulen - UDP_HDR_LEN - sizeof(struct l2x_vxlan_hdr);
	return L2X_ENCAP_OK;
}

enum l2x_encap_err l2x_inner_parse(const uint8_t *p, size_t len,
				   struct l2x_inner_info *out)
{
	enum l2x_encap_err err;
	uint32_t hl, tot;

	if (len < IPV4_HDR_LEN)
		return L2X_ENCAP_ERR_IP_TRUNC;
	if ((p[0] >> 4) != IPVERSION)
		return L2X_ENCAP_ERR_IP_VERSION;
	hl = (uint32_t)(p[0] & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if (hl < IPV4_HDR_LEN || hl > len)
		return L2X_ENCAP_ERR_IP_IHL;
	tot = ld16(p + offsetof(struct rte_ipv4_hdr, total_length));
	if (tot < hl || tot > len)
		return L2X_ENCAP_ERR_IP_TOTLEN;
	if (!ipv4_cksum_ok(p, hl))
		return L2X_ENCAP_ERR_IP_CSUM;
	if (ld16(p + offsetof(struct rte_ipv4_hdr, fragment_offset)) &
	    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return L2X_ENCAP_ERR_IP_FRAG;

	memcpy(&out->src, p + offsetof(struct rte_ipv4_hdr, src_addr), 4);
	memcpy(&out->dst, p + offsetof(struct rte_ipv4_hdr, dst_addr), 4);
	out->frame_off = hl;
	switch (p[offsetof(struct rte_ipv4_hdr, next_proto_id)]) {
	case IPPROTO_GRE:
		err = inner_gre(p + hl, tot - hl, out);
		break;
	case IPPROTO_UDP:
		err = inner_vxlan(p + hl, tot - hl, out);
		break;
	default:
		return L2X_ENCAP_ERR_IP_PROTO;
	}
	if (err == L2X_ENCAP_OK && out->frame_len < ETH_HDR_LEN)
		return L2X_ENCAP_ERR_FRAME_SHORT;
	return err;
}

/* ------------------------------------------------------------------------
 * Outer headers
 * ------------------------------------------------------------------------ */

/* Sequence counter of the peer fields (one writer: the control thread;
 * reader: the pushing worker), as Linux seqcount_t and DPDK rte_seqcount
 * (experimental in 22.11, hence not used). */
static inline uint32_t seq_read_begin(const uint32_t *seq)
{
	uint32_t s;

	while (unlikely((s = __atomic_load_n(seq, __ATOMIC_ACQUIRE)) & 1))
		rte_pause();
	return s;
}

static inline int seq_read_retry(const uint32_t *seq, uint32_t s)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(seq, __ATOMIC_RELAXED) != s;
}

/* Write the peer into a header image and compute its partial sums. */
static void outer_apply_peer(uint8_t *hdr, uint16_t l3_off,
			     const struct l2x_outer_peer *peer,
			     uint32_t *ip_sum, uint32_t *udp_sum)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)hdr;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(hdr + l3_off);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	rte_ether_addr_copy(&peer->mac, &eth->dst_addr);
	ip->dst_addr = peer->ip;
	udp->dst_port = rte_cpu_to_be_16(peer->port);
	*ip_sum = rte_raw_cksum(ip, IPV4_HDR_LEN);
	/* pseudo-header source and destination, zero and protocol
	 * (RFC 768), then both ports; the length is added per packet */
	*udp_sum = rte_raw_cksum(&ip->src_addr, 2 * sizeof(rte_be32_t)) +
		   rte_cpu_to_be_16(IPPROTO_UDP) +
		   rte_raw_cksum(udp, 2 * sizeof(rte_be16_t));
}

static int peer_ok(const struct l2x_outer_peer *peer)
{
	return peer != NULL && peer->ip != 0 && peer->port != 0;
}

int l2x_outer_tmpl_init(struct l2x_outer_tmpl *t,
			const struct l2x_outer_prm *prm)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint16_t l3_off;

	if (t == NULL || prm == NULL || !peer_ok(&prm->peer) ||
	    prm->src_ip == 0 || prm->src_port == 0 ||
	    prm->vlan > RTE_ETHER_MAX_VLAN_ID - 1 ||
	    (prm->flags & ~L2X_OUTER_F_UDP_CSUM))
		return -EINVAL;

	memset(t, 0, sizeof(*t));
	eth = (struct rte_ether_hdr *)t->hdr;
	rte_ether_addr_copy(&prm->src_mac, &eth->src_addr);
	if (prm->vlan) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16(prm->vlan);
		vh->eth_proto = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		l3_off = ETH_HDR_LEN + VLAN_HDR_LEN;
	} else {
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		l3_off = ETH_HDR_LEN;
	}
	ip = (struct rte_ipv4_hdr *)(t->hdr + l3_off);
	/* DF clear: l2x fragments the outer packet itself. */
	ipv4_base(ip, IPPROTO_UDP, 0, prm->src_ip, 0);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16(prm->src_port);
	outer_apply_peer(t->hdr, l3_off, &prm->peer, &t->ip_sum, &t->udp_sum);
	t->l3_off = l3_off;
	t->hdr_len = (uint16_t)(l3_off + IPV4_HDR_LEN + UDP_HDR_LEN);
	t->flags = prm->flags;
	t->next_id = prm->first_id;
	return 0;
}

int l2x_outer_tmpl_set_peer(struct l2x_outer_tmpl *t,
			    const struct l2x_outer_peer *peer)
{
	uint8_t hdr[L2X_OUTER_HDR_MAX];
	uint32_t ip_sum, udp_sum, s;

	if (t == NULL || !peer_ok(peer))
		return -EINVAL;
	/* The control thread is the only writer: t->hdr is stable here. */
	memcpy(hdr, t->hdr, sizeof(hdr));
	outer_apply_peer(hdr, t->l3_off, peer, &ip_sum, &udp_sum);

	s = t->seq + 1;
	__atomic_store_n(&t->seq, s, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(t->hdr, hdr, sizeof(hdr));
	t->ip_sum = ip_sum;
	t->udp_sum = udp_sum;
	__atomic_store_n(&t->seq, s + 1, __ATOMIC_RELEASE);
	return 0;
}

rte_be32_t l2x_outer_tmpl_peer_ip(const struct l2x_outer_tmpl *t)
{
	const uint8_t *a =
	    t->hdr + t->l3_off + offsetof(struct rte_ipv4_hdr, dst_addr);
	rte_be32_t ip;
	uint32_t s;

	do {
		s = seq_read_begin(&t->seq);
		memcpy(&ip, a, sizeof(ip));
	} while (unlikely(seq_read_retry(&t->seq, s)));
	return ip;
}

void l2x_outer_tmpl_get_peer(const struct l2x_outer_tmpl *t,
			     struct l2x_outer_peer *peer)
{
	const struct rte_ipv4_hdr *ip =
	    (const struct rte_ipv4_hdr *)(t->hdr + t->l3_off);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);

	rte_ether_addr_copy(&((const struct rte_ether_hdr *)t->hdr)->dst_addr,
			    &peer->mac);
	peer->ip = ip->dst_addr;
	peer->port = rte_be_to_cpu_16(udp->dst_port);
}

int l2x_outer_push(struct rte_mbuf *m, struct l2x_outer_tmpl *t)
{
	uint32_t plen = rte_pktmbuf_data_len(m);
	uint32_t ulen = plen + UDP_HDR_LEN;
	uint32_t tot = ulen + IPV4_HDR_LEN;
	uint16_t hl = t->hdr_len, l3_off = t->l3_off;
	uint32_t ip_sum, udp_sum, s;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint8_t *h;

	if (unlikely(m->nb_segs != 1))
		return -EINVAL;
	if (unlikely(tot > UINT16_MAX))
		return -EMSGSIZE;
	if (unlikely(rte_pktmbuf_headroom(m) < hl))
		return -ENOSPC;

	h = (uint8_t *)rte_pktmbuf_prepend(m, hl);
	do {
		s = seq_read_begin(&t->seq);
		if (likely(hl == L2X_OUTER_HDR_LEN))
			memcpy(h, t->hdr, L2X_OUTER_HDR_LEN);
		else
			memcpy(h, t->hdr, L2X_OUTER_HDR_MAX);
		ip_sum = t->ip_sum;
		udp_sum = t->udp_sum;
	} while (unlikely(seq_read_retry(&t->seq, s)));

	ip = (struct rte_ipv4_hdr *)(h + l3_off);
	udp = (struct rte_udp_hdr *)(ip + 1);
	ip->total_length = rte_cpu_to_be_16((uint16_t)tot);
	ip->packet_id = rte_cpu_to_be_16(t->next_id);
	t->next_id++;
	ip->hdr_checksum =
	    (rte_be16_t)~fold(ip_sum + ip->total_length + ip->packet_id);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)ulen);
	if (t->flags & L2X_OUTER_F_UDP_CSUM) {
		/* the length counts twice: pseudo-header and UDP header */
		uint16_t c = (uint16_t)~fold(udp_sum + 2u * udp->dgram_len +
					     rte_raw_cksum(udp + 1, plen));

		/* RFC 768: a computed 0 is sent as all ones */
		udp->dgram_cksum = c ? c : 0xffff;
	}
	return 0;
}

/* Classify the UDP payload of an unfragmented packet (RFC 3948 sections
 * 2.2, 2.3): ESP and IKE share 4500, IKE behind four zero bytes where the
 * SPI would be (SPI 0 is never sent, RFC 4303 section 2.1), one 0xff byte
 * is a keepalive. */
static enum l2x_outer_err outer_udp(const uint8_t *pay, uint32_t plen,
				    struct l2x_outer_info *out)
{
	if (out->dport == L2X_IKE_PORT) {
		out->cls = L2X_OUTER_IKE;
		return L2X_OUTER_OK;
	}
	if (out->dport != L2X_UDP_ENCAP_PORT) {
		out->cls = L2X_OUTER_EXCEPTION;
		return L2X_OUTER_OK;
	}
	if (plen == L2X_NATT_KEEPALIVE_LEN && pay[0] == L2X_NATT_KEEPALIVE) {
		out->cls = L2X_OUTER_KEEPALIVE;
		return L2X_OUTER_OK;
	}
	if (plen >= sizeof(struct l2x_non_esp_marker) && ld32(pay) == 0) {
		out->cls = L2X_OUTER_IKE;
		return L2X_OUTER_OK;
	}
	if (plen < L2X_OUTER_ESP_MIN)
		return L2X_OUTER_ERR_ESP_SHORT;
	out->cls = L2X_OUTER_ESP;
	return L2X_OUTER_OK;
}

enum l2x_outer_err l2x_outer_parse(const uint8_t *p, size_t len,
				   struct l2x_outer_info *out)
{
	const uint8_t *ip, *udp;
	uint32_t off = ETH_HDR_LEN, avail, hl, tot, ulen;
	uint16_t et;

	memset(out, 0, sizeof(*out));
	if (len < ETH_HDR_LEN)
		return L2X_OUTER_ERR_ETH_TRUNC;
	et = ld16(p + offsetof(struct rte_ether_hdr, ether_type));
	if (et == RTE_ETHER_TYPE_VLAN) {
		if (len < ETH_HDR_LEN + VLAN_HDR_LEN)
			return L2X_OUTER_ERR_ETH_TRUNC;
		out->tagged = 1;
		out->vlan = ld16(p + off) & RTE_VLAN_ID_MASK;
		et = ld16(p + off + offsetof(struct rte_vlan_hdr, eth_proto));
		if (et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ)
			return L2X_OUTER_ERR_VLAN_STACK;
		off += VLAN_HDR_LEN;
	}
	out->ethertype = et;
	out->l3_off = off;
	if (et != RTE_ETHER_TYPE_IPV4) {
		out->cls = L2X_OUTER_EXCEPTION;
		return L2X_OUTER_OK;
	}

	ip = p + off;
	avail = (uint32_t)RTE_MIN(len - off, (size_t)UINT32_MAX);
	if (avail < IPV4_HDR_LEN)
		return L2X_OUTER_ERR_IP_TRUNC;
	if ((ip[0] >> 4) != IPVERSION)
		return L2X_OUTER_ERR_IP_VERSION;
	hl =
	    (uint32_t)(ip[0] & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if (hl < IPV4_HDR_LEN || hl > avail)
		return L2X_OUTER_ERR_IP_IHL;
	tot = ld16(ip + offsetof(struct rte_ipv4_hdr, total_length));
	if (tot < hl || tot > avail)
		return L2X_OUTER_ERR_IP_TOTLEN;
	if (!ipv4_cksum_ok(ip, hl))
		return L2X_OUTER_ERR_IP_CSUM;
	out->ip_len = tot;
	out->ip_proto = ip[offsetof(struct rte_ipv4_hdr, next_proto_id)];
	memcpy(&out->src_ip, ip + offsetof(struct rte_ipv4_hdr, src_addr), 4);
	memcpy(&out->dst_ip, ip + offsetof(struct rte_ipv4_hdr, dst_addr), 4);
	if (ld16(ip + offsetof(struct rte_ipv4_hdr, fragment_offset)) &
	    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
		out->cls = L2X_OUTER_FRAGMENT;
		return L2X_OUTER_OK;
	}
	if (out->ip_proto != IPPROTO_UDP) {
		out->cls = L2X_OUTER_EXCEPTION;
		return L2X_OUTER_OK;
	}

	udp = ip + hl;
	if (tot - hl < UDP_HDR_LEN)
		return L2X_OUTER_ERR_UDP_TRUNC;
	ulen = ld16(udp + offsetof(struct rte_udp_hdr, dgram_len));
	if (ulen < UDP_HDR_LEN || ulen > tot - hl)
		return L2X_OUTER_ERR_UDP_LEN;
	out->sport = ld16(udp + offsetof(struct rte_udp_hdr, src_port));
	out->dport = ld16(udp + offsetof(struct rte_udp_hdr, dst_port));
	out->payload_off = off + hl + UDP_HDR_LEN;
	out->payload_len = ulen - UDP_HDR_LEN;
	return outer_udp(udp + UDP_HDR_LEN, out->payload_len, out);
}
