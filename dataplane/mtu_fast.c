/* SPDX-License-Identifier: MIT */
/*
 * mtu_fast.c - per-packet half of mtu.h: TCP MSS clamping and outer IPv4
 * fragmentation. No allocation except mbufs from a pool, no logging, no
 * locks (STYLE.md 2).
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_tcp.h>

#include "dataplane/mtu.h"

/* TCP option kinds (RFC 9293 section 3.2). */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOLEN_MSS 4
/* IPv6 extension headers walked on the way to TCP (RFC 8200 section 4). */
#define IP6_HOPOPTS 0
#define IP6_ROUTING 43
#define IP6_DSTOPTS 60

#define ETH_LEN sizeof(struct rte_ether_hdr)
#define IP4_LEN sizeof(struct rte_ipv4_hdr)
#define IP6_LEN sizeof(struct rte_ipv6_hdr)
#define TCP_LEN sizeof(struct rte_tcp_hdr)
/* Offsets inside the TCP header (RFC 9293 section 3.1). */
#define TCP_OFF_DOFF offsetof(struct rte_tcp_hdr, data_off)
#define TCP_OFF_FLAGS offsetof(struct rte_tcp_hdr, tcp_flags)
#define TCP_OFF_CKSUM offsetof(struct rte_tcp_hdr, cksum)
/* At most this many 4-byte MSS options fit in 40 bytes of options. */
#define MSS_OPTS_MAX ((60 - TCP_LEN) / TCPOLEN_MSS)

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t swap16(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), one's complement sums with the
 * carries folded back. Unlike eqn. 2 it never yields 0xffff (-0) from a
 * valid checksum, and a result of 0x0000 is a valid TCP checksum that a
 * from-scratch computation also gives (RFC 1624 section 3). */
static inline uint16_t csum_replace16(uint16_t hc, uint16_t m, uint16_t m1)
{
	uint32_t s = (uint32_t)(uint16_t)~hc + (uint16_t)~m + m1;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Walk the whole option list of a TCP header of hl bytes. Returns the
 * number of MSS options (offsets in at[]), or -1 if the list is
 * malformed. */
static int tcp_find_mss(const uint8_t *tcp, size_t hl, size_t at[MSS_OPTS_MAX])
{
	size_t i = TCP_LEN, olen;
	int n = 0;

	while (i < hl) {
		if (tcp[i] == TCPOPT_EOL)
			break;
		if (tcp[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (hl - i < 2)
			return -1;
		olen = tcp[i + 1];
		if (olen < 2 || olen > hl - i)
			return -1;
		if (tcp[i] == TCPOPT_MSS) {
			if (olen != TCPOLEN_MSS || n == MSS_OPTS_MAX)
				return -1;
			at[n++] = i;
		}
		i += olen;
	}
	return n;
}

/* Clamp a TCP segment of seg bytes (header + data, as bounded by IP). The
 * TCP header starts at an even offset of the checksummed data (after a
 * 12- or 40-byte pseudo-header), so an option at an odd offset inside it
 * straddles two checksum words and enters the sum byte-swapped. */
static bool tcp_clamp(uint8_t *tcp, size_t seg, uint16_t clamp)
{
	size_t at[MSS_OPTS_MAX], hl;
	uint16_t ck, old;
	bool changed = false;
	int n, i;

	if (clamp == 0 || seg < TCP_LEN)
		return false;
	if (!(tcp[TCP_OFF_FLAGS] & RTE_TCP_SYN_FLAG))
		return false;
	hl = (size_t)(tcp[TCP_OFF_DOFF] >> 4) * 4;
	if (hl < TCP_LEN || hl > seg)
		return false;
	n = tcp_find_mss(tcp, hl, at);
	if (n <= 0)
		return false;
	ck = rd16(tcp + TCP_OFF_CKSUM);
	for (i = 0; i < n; i++) {
		uint8_t *v = tcp + at[i] + 2;

		old = rd16(v);
		if (old <= clamp)
			continue;
		wr16(v, clamp);
		if ((at[i] & 1) == 0)
			ck = csum_replace16(ck, old, clamp);
		else
			ck = csum_replace16(ck, swap16(old), swap16(clamp));
		changed = true;
	}
	if (changed)
		wr16(tcp + TCP_OFF_CKSUM, ck);
	return changed;
}

static bool clamp_ipv4(uint8_t *l3, size_t rem, uint16_t clamp)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;
	size_t ihl, tot;

	if (rem < IP4_LEN || (l3[0] >> 4) != 4)
		return false;
	ihl = (size_t)(l3[0] & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (ihl < IP4_LEN || tot < ihl || tot > rem)
		return false;
	if (ip->next_proto_id != IPPROTO_TCP)
		return false;
	/* A non-first fragment has no TCP header (RFC 791 section 3.2). */
	if (rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK)
		return false;
	return tcp_clamp(l3 + ihl, tot - ihl, clamp);
}

static bool clamp_ipv6(uint8_t *l3, size_t rem, uint16_t clamp)
{
	size_t off = IP6_LEN, end, elen;
	uint8_t nh;
	int n;

	if (rem < IP6_LEN || (l3[0] >> 4) != 6)
		return false;
	end = IP6_LEN + rd16(l3 + offsetof(struct rte_ipv6_hdr, payload_len));
	if (end == IP6_LEN || end > rem)
		return false;
	nh = l3[offsetof(struct rte_ipv6_hdr, proto)];
	for (n = 0; nh != IPPROTO_TCP; n++) {
		if (n == L2X_MSS_V6_EXT_MAX)
			return false;
		if (nh != IP6_HOPOPTS && nh != IP6_ROUTING && nh != IP6_DSTOPTS)
			return false;
		/* Next header, length in 8-byte units not counting the first
		 * 8 (RFC 8200 section 4.3). */
		if (end - off < 8)
			return false;
		elen = ((size_t)l3[off + 1] + 1) * 8;
		if (elen > end - off)
			return false;
		nh = l3[off];
		off += elen;
	}
	return tcp_clamp(l3 + off, end - off, clamp);
}

bool l2x_mtu_clamp_mss(uint8_t *frame, size_t len,
		       const struct l2x_mss_clamp *clamp)
{
	uint16_t type;

	if (len < ETH_LEN)
		return false;
	type = rd16(frame + offsetof(struct rte_ether_hdr, ether_type));
	if (type == RTE_ETHER_TYPE_IPV4)
		return clamp_ipv4(frame + ETH_LEN, len - ETH_LEN, clamp->ipv4);
	if (type == RTE_ETHER_TYPE_IPV6)
		return clamp_ipv6(frame + ETH_LEN, len - ETH_LEN, clamp->ipv6);
	return false;
}

/* Write the fragment-specific IPv4 fields and the header checksum. */
static void frag_hdr(struct rte_ipv4_hdr *ip, uint32_t payload, uint16_t fo)
{
	ip->total_length = rte_cpu_to_be_16((uint16_t)(IP4_LEN + payload));
	ip->fragment_offset = rte_cpu_to_be_16(fo);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

int l2x_mtu_fragment(struct rte_mbuf *m, uint32_t mtu, struct rte_mempool *mp,
		     struct rte_mbuf *out[L2X_FRAG_MAX])
{
	const uint16_t offmf = RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG;
	uint32_t tot, plen, chunk, n, i, base, off, len;
	struct rte_ipv4_hdr *ip;
	uint16_t fo, keep, last_mf;
	uint8_t *p;

	if (mtu < L2X_MTU_MIN || mtu > L2X_MTU_MAX)
		return -L2X_FRAG_DROP_MTU;
	if (m->nb_segs != 1 || rte_pktmbuf_data_len(m) < ETH_LEN + IP4_LEN)
		return -L2X_FRAG_DROP_NOT_IPV4;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	ip = (struct rte_ipv4_hdr *)(p + ETH_LEN);
	if (rd16(p + offsetof(struct rte_ether_hdr, ether_type)) !=
		RTE_ETHER_TYPE_IPV4 ||
	    ip->version_ihl != RTE_IPV4_VHL_DEF)
		return -L2X_FRAG_DROP_NOT_IPV4;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < IP4_LEN || tot != rte_pktmbuf_data_len(m) - ETH_LEN)
		return -L2X_FRAG_DROP_NOT_IPV4;
	if (tot <= mtu) {
		out[0] = m;
		return 1;
	}
	fo = rte_be_to_cpu_16(ip->fragment_offset);
	if (fo & RTE_IPV4_HDR_DF_FLAG)
		return -L2X_FRAG_DROP_DF;

	chunk = (mtu - IP4_LEN) / RTE_IPV4_HDR_OFFSET_UNITS *
		RTE_IPV4_HDR_OFFSET_UNITS;
	plen = tot - IP4_LEN;
	n = (plen + chunk - 1) / chunk;
	if (n > L2X_FRAG_MAX)
		return -L2X_FRAG_DROP_TOO_MANY;
	base = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) *
	       RTE_IPV4_HDR_OFFSET_UNITS;
	if ((base + (n - 1) * chunk) / RTE_IPV4_HDR_OFFSET_UNITS >
	    RTE_IPV4_HDR_OFFSET_MASK)
		return -L2X_FRAG_DROP_NOT_IPV4;
	keep = fo & (uint16_t)~offmf;
	last_mf = fo & RTE_IPV4_HDR_MF_FLAG;

	if (rte_pktmbuf_alloc_bulk(mp, out + 1, n - 1) != 0)
		return -L2X_FRAG_DROP_NOMEM;
	for (i = 1; i < n; i++) {
		if (rte_pktmbuf_tailroom(out[i]) < ETH_LEN + IP4_LEN + chunk) {
			for (i = 1; i < n; i++)
				rte_pktmbuf_free(out[i]);
			return -L2X_FRAG_DROP_SMALL_MBUF;
		}
	}

	/* Later fragments first, copied from the still intact original. */
	for (i = 1; i < n; i++) {
		struct rte_mbuf *f = out[i];
		uint8_t *d;

		off = i * chunk;
		len = plen - off < chunk ? plen - off : chunk;
		d = (uint8_t *)rte_pktmbuf_append(
		    f, (uint16_t)(ETH_LEN + IP4_LEN + len));
		memcpy(d, p, ETH_LEN + IP4_LEN);
		memcpy(d + ETH_LEN + IP4_LEN, p + ETH_LEN + IP4_LEN + off, len);
		frag_hdr(
		    (struct rte_ipv4_hdr *)(d + ETH_LEN), len,
		    keep |
			(uint16_t)((base + off) / RTE_IPV4_HDR_OFFSET_UNITS) |
			(i + 1 < n ? RTE_IPV4_HDR_MF_FLAG : last_mf));
		f->port = m->port;
		f->packet_type = m->packet_type;
	}
	rte_pktmbuf_trim(m, (uint16_t)(plen - chunk));
	frag_hdr(ip, chunk,
		 keep | (uint16_t)(base / RTE_IPV4_HDR_OFFSET_UNITS) |
		     RTE_IPV4_HDR_MF_FLAG);
	out[0] = m;
	return (int)n;
}
