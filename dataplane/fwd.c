/* SPDX-License-Identifier: MIT */
/*
 * fwd.c - the worker: every per-packet step of both directions (DESIGN.md,
 * "Paths through the dataplane"). A per-packet file (Makefile FAST_SRCS):
 * no allocation, printing, lock or syscall; drops are counted per reason
 * and freed in bulk at the end of each burst (STYLE.md 2, 3).
 *
 * The one exception to "no syscall" is the idle back-off: after a run of
 * empty polls the loop sleeps in rte_delay_us_sleep() (nanosleep) so that
 * an idle appliance leaves the CPU to others (DESIGN.md, "Idle
 * behaviour"); under load it never sleeps.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "dataplane/dp.h"

/* Idle back-off: spin with rte_pause() for this many empty polls, then
 * sleep, doubling from 8 us up to L2X_FWD_SLEEP_MAX_US. */
#define L2X_FWD_SPIN 256u
#define L2X_FWD_SLEEP_MAX_US 200u
/* A worker that did not run for this long was stopped (a frozen host, a
 * SIGSTOP): what queued meanwhile is stale (l2x_fwd_main). */
#define L2X_FWD_STALL_MS 1000u
/* Room for the uplink tx of one burst: every packet may fragment. */
#define L2X_FWD_TX_MAX (L2X_DP_BURST * L2X_FRAG_MAX)

/* One burst's garbage: dropped mbufs, freed in bulk. */
struct bin {
	struct rte_mbuf *m[L2X_FWD_TX_MAX + L2X_DP_BURST];
	unsigned int n;
};

static inline void drop(struct l2x_dp *dp, struct bin *b, struct rte_mbuf *m,
			unsigned int why)
{
	dp->st.drop[why]++;
	dp->st.cnt[L2X_DP_CNT_drops]++;
	b->m[b->n++] = m;
}

static inline void bin_flush(struct bin *b)
{
	if (b->n)
		rte_pktmbuf_free_bulk(b->m, b->n);
	b->n = 0;
}

/* Transmit n mbufs; what the queue refuses is dropped (TX_FULL). */
static void tx(struct l2x_dp *dp, struct bin *b, uint16_t port,
	       struct rte_mbuf **m, unsigned int n, enum l2x_dp_cnt c)
{
	unsigned int sent = 0;

	while (sent < n) {
		uint16_t k = rte_eth_tx_burst(port, 0, m + sent,
					      (uint16_t)RTE_MIN(n - sent, 64u));
		if (k == 0)
			break;
		sent += k;
	}
	dp->st.cnt[c] += sent;
	for (; sent < n; sent++)
		drop(dp, b, m[sent], L2X_DP_DROP_TX_FULL);
}

/*
 * Bridge decision for the frames m[0..n) of one network, received on
 * side: learn the sources, decide the destinations; frames to drop go to
 * the bin. Returns how many remain, compacted in m. The one MAC table
 * holds every network's MACs: each key is the MAC ORed with the
 * network's constant (its slot), so the cost does not depend on how many
 * networks there are.
 */
static unsigned int bridge(struct l2x_dp *dp, struct bin *b,
			   struct l2x_dp_net *net, struct rte_mbuf **m,
			   unsigned int n, enum l2x_side side, uint64_t now,
			   uint64_t now_s)
{
	uint64_t over;
	/* zeroed: gcc 12 cannot see that the loop below fills [0, n) */
	uint64_t src[L2X_DP_BURST] = {0}, dst[L2X_DP_BURST] = {0}, bad, same;
	uint8_t why[L2X_DP_BURST], fwd[L2X_DP_BURST];
	const uint64_t nk = net->fkey;
	unsigned int k = 0;

	if (n == 0)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		const struct rte_ether_hdr *e =
		    rte_pktmbuf_mtod(m[i], const struct rte_ether_hdr *);
		dst[i] = l2x_fdb_key(&e->dst_addr) | nk;
		src[i] = l2x_fdb_key(&e->src_addr) | nk;
	}
	bad =
	    l2x_fdb_learn_bulk(dp->fdb, src, n, side, now_s, &dp->fdb_lc, why);
	same = l2x_fdb_forward_bulk(dp->fdb, side, dst, n, fwd);
	over = l2x_fdb_bum_police(&net->bum[side], now, fwd, n);
	for (unsigned int i = 0; i < n; i++) {
		if (bad & (1ull << i))
			drop(dp, b, m[i], L2X_DP_D_FDB + why[i]);
		else if (same & (1ull << i))
			drop(dp, b, m[i],
			     L2X_DP_D_FDB + L2X_FDB_DROP_SAME_SIDE);
		else if (over & (1ull << i))
			drop(dp, b, m[i], L2X_DP_D_FDB + L2X_FDB_DROP_BUM_RATE);
		else
			m[k++] = m[i];
	}
	return k;
}

/*
 * The sender IPv4 address of an ARP packet for IPv4 over Ethernet (RFC
 * 826), read from the untagged frame p[0..len): EtherType 0x0806, hardware
 * type 1 (Ethernet; 6, IEEE 802, too, which Linux's arp.c accepts on
 * Ethernet devices), protocol type 0x0800, lengths 6 and 4, and the whole
 * ARP body within len. Returns true and the address (network order) in
 * *spa, the sender hardware address in *sha; false for anything else.
 */
static inline bool arp_sender(const uint8_t *p, uint32_t len, rte_be32_t *spa,
			      const struct rte_ether_addr **sha)
{
	const struct rte_ether_hdr *e = (const void *)p;
	const struct rte_arp_hdr *a;

	if (len < sizeof(*e) + sizeof(*a) ||
	    e->ether_type != RTE_BE16(RTE_ETHER_TYPE_ARP))
		return false;
	a = (const void *)(p + sizeof(*e));
	if ((a->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) &&
	     a->arp_hardware != RTE_BE16(6)) ||
	    a->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    a->arp_hlen != RTE_ETHER_ADDR_LEN || a->arp_plen != sizeof(*spa))
		return false;
	memcpy(spa, &a->arp_data.arp_sip, sizeof(*spa)); /* packed: unaligned */
	*sha = &a->arp_data.arp_sha;
	return true;
}

/*
 * Gateway consistency (DESIGN.md, "Bridge semantics") for the frames
 * m[0..n) of network ni received on side: an ARP packet whose sender IP is
 * the network's gateway (a reply, a gratuitous ARP or a request) is
 * dropped (DUP_GATEWAY) unless it comes from the side that owns the
 * gateway, so no VM learns a second gateway across the tunnel; from the
 * owning side, its source MAC (when it is also the ARP sender's) is posted
 * to the control thread, which pins it (gw_req). IPv6 neighbour discovery
 * is not checked. Returns how many remain, compacted in m.
 */
static unsigned int gw_filter(struct l2x_dp *dp, struct bin *b,
			      struct l2x_dp_net *net, struct rte_mbuf **m,
			      unsigned int n, enum l2x_side side)
{
	unsigned int k = 0;

	if (net->gw_ip == 0)
		return n;
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(m[i], const uint8_t *);
		const struct rte_ether_addr *sha;
		rte_be32_t spa;

		if (!arp_sender(p, rte_pktmbuf_data_len(m[i]), &spa, &sha) ||
		    spa != net->gw_ip) {
			m[k++] = m[i];
			continue;
		}
		if (side != net->gw_side) {
			drop(dp, b, m[i], L2X_DP_DROP_DUP_GATEWAY);
			continue;
		}
		if (rte_is_same_ether_addr(
			sha, &((const struct rte_ether_hdr *)p)->src_addr) &&
		    rte_is_valid_assigned_ether_addr(sha)) {
			uint64_t w = l2x_dp_gw_word(l2x_fdb_key(sha));

			if (w != net->gw_seen) {
				net->gw_seen = w;
				__atomic_store_n(&net->gw_req, w,
						 __ATOMIC_RELEASE);
			}
		}
		m[k++] = m[i];
	}
	return k;
}

uint32_t l2x_fwd_lan_classify(const struct l2x_dp *dp,
			      const struct l2x_dp_nets *ns, struct rte_mbuf *m)
{
	bool tagged = false;
	uint16_t vid = 0;

	if (m->nb_segs != 1)
		return L2X_FWD_DROP_BIT | L2X_DP_DROP_CHAINED;
	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr))
		return L2X_FWD_DROP_BIT | L2X_DP_DROP_SHORT;
	if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
		tagged = true;
		vid = m->vlan_tci & 0xfff;
		m->ol_flags &=
		    ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
	} else {
		uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
		const struct rte_ether_hdr *e = (const void *)p;

		if (e->ether_type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
			const struct rte_vlan_hdr *v =
			    (const void *)(p + sizeof(*e));

			if (rte_pktmbuf_data_len(m) < sizeof(*e) + sizeof(*v))
				return L2X_FWD_DROP_BIT | L2X_DP_DROP_SHORT;
			tagged = true;
			vid = rte_be_to_cpu_16(v->vlan_tci) & 0xfff;
			memmove(p + sizeof(*v), p, 2 * RTE_ETHER_ADDR_LEN);
			rte_pktmbuf_adj(m, sizeof(*v));
		}
	}
	if (!dp->trunk) {
		if (tagged)
			return L2X_FWD_DROP_BIT | L2X_DP_DROP_TAGGED;
		return ns->access != L2X_DP_NO_NET
			   ? ns->access
			   : L2X_FWD_DROP_BIT | L2X_DP_DROP_NO_NETWORK;
	}
	if (!tagged)
		return L2X_FWD_DROP_BIT | L2X_DP_DROP_UNTAGGED;
	if (ns->vlan2net[vid] == L2X_DP_NO_NET)
		return L2X_FWD_DROP_BIT | L2X_DP_DROP_UNKNOWN_VLAN;
	return ns->vlan2net[vid];
}

/* Encapsulate the bridged frames of one network for the tunnel: MSS
 * clamp and inner headers. Appends to out. */
static void inner_encap(struct l2x_dp *dp, struct bin *b,
			const struct l2x_dp_net *net, struct rte_mbuf **m,
			unsigned int n, struct rte_mbuf **out, unsigned int *no)
{
	for (unsigned int i = 0; i < n; i++) {
		int rc;

		if (net->clamp && l2x_mtu_clamp_mss_mbuf(m[i], &net->mss))
			dp->st.cnt[L2X_DP_CNT_mss_clamped]++;
		rc = l2x_inner_push(m[i], &net->inner);
		if (rc == 0)
			out[(*no)++] = m[i];
		else
			drop(dp, b, m[i],
			     rc == -EMSGSIZE ? L2X_DP_DROP_TOO_BIG
			     : rc == -ENOSPC ? L2X_DP_DROP_HEADROOM
					     : L2X_DP_DROP_CHAINED);
	}
}

/* Seal, outer headers, fragment, transmit on the uplink. */
static void to_uplink(struct l2x_dp *dp, struct bin *b, struct rte_mbuf **m,
		      unsigned int n)
{
	struct rte_mbuf *txq[L2X_FWD_TX_MAX];
	struct rte_mbuf *frag[L2X_FRAG_MAX];
	uint8_t why[L2X_DP_BURST];
	unsigned int ntx = 0;
	struct l2x_sa *sa;
	uint16_t good;

	if (n == 0)
		return;
	sa = __atomic_load_n(&dp->sa_out, __ATOMIC_ACQUIRE);
	if (sa == NULL || !__atomic_load_n(&dp->nh_ok, __ATOMIC_ACQUIRE)) {
		for (unsigned int i = 0; i < n; i++)
			drop(dp, b, m[i],
			     sa == NULL ? L2X_DP_DROP_NO_SA
					: L2X_DP_DROP_NO_NEXT_HOP);
		return;
	}
	good = l2x_esp_seal_burst(sa, m, (uint16_t)n, why);
	for (unsigned int i = good; i < n; i++)
		drop(dp, b, m[i], L2X_DP_D_ESP + why[i]);
	for (unsigned int i = 0; i < good; i++) {
		int rc = l2x_outer_push(m[i], &dp->outer), nf;

		if (rc != 0) {
			drop(dp, b, m[i],
			     rc == -EMSGSIZE ? L2X_DP_DROP_TOO_BIG
					     : L2X_DP_DROP_HEADROOM);
			continue;
		}
		nf = l2x_mtu_fragment(m[i], dp->plan.mtu, dp->pool, frag);
		if (nf < 0) {
			drop(dp, b, m[i], L2X_DP_D_FRAG + (unsigned int)-nf);
			continue;
		}
		if (nf > 1) {
			dp->st.cnt[L2X_DP_CNT_fragmented]++;
			dp->st.cnt[L2X_DP_CNT_frag_extra] += (uint64_t)nf - 1;
		}
		dp->st.cnt[L2X_DP_CNT_to_tunnel]++;
		for (int f = 0; f < nf; f++)
			txq[ntx++] = frag[f];
	}
	tx(dp, b, dp->up_port, txq, ntx, L2X_DP_CNT_tx_uplink);
}

/*
 * Bursts are handled per network, so that each MAC table is asked once per
 * burst: move the frames of m[0]'s network (nix[] holds each frame's
 * network) into grp[0..*ng), keep the others in order in m[0..*k).
 * Returns that network.
 */
static inline uint16_t next_group(uint16_t nix[], struct rte_mbuf **m,
				  unsigned int *k, struct rte_mbuf **grp,
				  unsigned int *ng)
{
	uint16_t cur = nix[0];
	unsigned int rest = 0;

	*ng = 0;
	for (unsigned int i = 0; i < *k; i++) {
		if (nix[i] == cur) {
			grp[(*ng)++] = m[i];
		} else {
			nix[rest] = nix[i];
			m[rest++] = m[i];
		}
	}
	*k = rest;
	return cur;
}

/* LAN -> tunnel, one received burst. */
static void lan_burst(struct l2x_dp *dp, const struct l2x_dp_nets *ns,
		      struct bin *b, struct rte_mbuf **m, unsigned int n,
		      uint64_t now, uint64_t now_s)
{
	uint16_t nix[L2X_DP_BURST];
	struct rte_mbuf *grp[L2X_DP_BURST], *enc[L2X_DP_BURST];
	unsigned int k = 0, ne = 0;

	dp->st.cnt[L2X_DP_CNT_rx_lan] += n;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t r = l2x_fwd_lan_classify(dp, ns, m[i]);

		if (r & L2X_FWD_DROP_BIT) {
			drop(dp, b, m[i], r & ~L2X_FWD_DROP_BIT);
			continue;
		}
		nix[k] = (uint16_t)r;
		m[k++] = m[i];
	}
	while (k > 0) {
		unsigned int ng;
		uint16_t cur = next_group(nix, m, &k, grp, &ng);

		struct l2x_dp_net *net = ns->net[cur];

		ng = gw_filter(dp, b, net, grp, ng, L2X_SIDE_LAN);
		ng = bridge(dp, b, net, grp, ng, L2X_SIDE_LAN, now, now_s);
		inner_encap(dp, b, net, grp, ng, enc, &ne);
	}
	to_uplink(dp, b, enc, ne);
}

/* From the peer: its configured address, or the one the outer template
 * sends to (the installed SAs' peer, as SA_ADD and NAT following moved
 * it). */
static inline bool is_peer(const struct l2x_dp *dp, rte_be32_t ip)
{
	return ip != 0 && (ip == dp->peer_ip_cfg ||
			   ip == l2x_outer_tmpl_peer_ip(&dp->outer));
}

/* Frames from the tunnel peer (IPv4 from its address; ARP from it or from
 * the gateway) take their own bucket: a flood from anyone else, spoofed
 * IKE_SA_INITs above all, cannot starve the peer's DPD and rekeys. */
unsigned int l2x_fwd_exc_admit(struct l2x_dp *dp, const uint8_t *p,
			       uint32_t len, const struct l2x_outer_info *oi,
			       uint64_t now)
{
	const struct rte_ether_addr *sha;
	rte_be32_t spa;
	bool peer;

	if (oi->ethertype == RTE_ETHER_TYPE_IPV4)
		peer = is_peer(dp, oi->src_ip);
	else
		peer = oi->ethertype == RTE_ETHER_TYPE_ARP && !oi->tagged &&
		       arp_sender(p, len, &spa, &sha) &&
		       ((spa != 0 && spa == dp->gw_ip_cfg) || is_peer(dp, spa));
	if (!peer)
		return l2x_fdb_tb_take(&dp->exc_tb, now, 1)
			   ? 0
			   : L2X_DP_DROP_EXC_RATE;
	if (l2x_fdb_tb_take(&dp->exc_peer_tb, now, 1) == 0)
		return L2X_DP_DROP_EXC_RATE_PEER;
	dp->st.cnt[L2X_DP_CNT_tap_peer]++;
	return 0;
}

/* Hand a frame to the kernel (tap), within the exception rates. */
static void to_tap(struct l2x_dp *dp, struct bin *b, struct rte_mbuf *m,
		   const struct l2x_outer_info *oi, struct rte_mbuf **tapq,
		   unsigned int *nt, uint64_t now)
{
	unsigned int why =
	    l2x_fwd_exc_admit(dp, rte_pktmbuf_mtod(m, const uint8_t *),
			      rte_pktmbuf_data_len(m), oi, now);

	if (why) {
		drop(dp, b, m, why);
		return;
	}
	tapq[(*nt)++] = m;
}

/* Tag (trunk) and transmit decrypted frames of one network on the LAN. */
static void to_lan(struct l2x_dp *dp, struct bin *b,
		   const struct l2x_dp_net *net, struct rte_mbuf **m,
		   unsigned int n)
{
	struct rte_mbuf *out[L2X_DP_BURST];
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (dp->trunk) {
			struct rte_ether_hdr *e;
			struct rte_vlan_hdr *v;
			uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(
			    m[i], sizeof(struct rte_vlan_hdr));

			if (p == NULL) {
				drop(dp, b, m[i], L2X_DP_DROP_HEADROOM);
				continue;
			}
			/* dst, src move to the front; the TPID takes the
			 * EtherType's place, then the TCI, then (untouched)
			 * the frame's own EtherType: rte_vlan_hdr's eth_proto
			 */
			memmove(p, p + sizeof(*v), 2 * RTE_ETHER_ADDR_LEN);
			e = (struct rte_ether_hdr *)p;
			e->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
			v = (struct rte_vlan_hdr *)(e + 1);
			v->vlan_tci = rte_cpu_to_be_16(net->vlan);
		}
		m[i]->ol_flags = 0;
		out[k++] = m[i];
	}
	dp->st.cnt[L2X_DP_CNT_from_tunnel] += k;
	tx(dp, b, dp->lan_port, out, k, L2X_DP_CNT_tx_lan);
}

/* Decrypted packets: inner headers off, network, bridge, LAN. */
static void from_tunnel(struct l2x_dp *dp, const struct l2x_dp_nets *ns,
			struct bin *b, struct rte_mbuf **m, unsigned int n,
			uint64_t now, uint64_t now_s)
{
	uint16_t nix[L2X_DP_BURST];
	struct rte_mbuf *grp[L2X_DP_BURST];
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct l2x_inner_info ii;
		enum l2x_encap_err e =
		    l2x_inner_parse(rte_pktmbuf_mtod(m[i], const uint8_t *),
				    rte_pktmbuf_data_len(m[i]), &ii);
		uint16_t ni;

		if (e != L2X_ENCAP_OK) {
			drop(dp, b, m[i], L2X_DP_D_ENCAP + e);
			continue;
		}
		if (ii.src != dp->inner_remote || ii.dst != dp->inner_local) {
			drop(dp, b, m[i], L2X_DP_DROP_INNER_ENDPOINT);
			continue;
		}
		ni = l2x_dp_tid_lookup(ns, ii.tunnel_id);
		if (ni == L2X_DP_NO_NET) {
			drop(dp, b, m[i], L2X_DP_DROP_UNKNOWN_TUNNEL);
			continue;
		}
		rte_pktmbuf_adj(m[i], (uint16_t)ii.frame_off);
		rte_pktmbuf_trim(m[i], (uint16_t)(rte_pktmbuf_data_len(m[i]) -
						  ii.frame_len));
		nix[k] = ni;
		m[k++] = m[i];
	}
	while (k > 0) {
		unsigned int ng;
		uint16_t cur = next_group(nix, m, &k, grp, &ng);

		struct l2x_dp_net *net = ns->net[cur];

		ng = gw_filter(dp, b, net, grp, ng, L2X_SIDE_TUNNEL);
		ng = bridge(dp, b, net, grp, ng, L2X_SIDE_TUNNEL, now, now_s);
		to_lan(dp, b, net, grp, ng);
	}
}

/*
 * Classify one uplink frame. Returns true if m (possibly replaced by a
 * reassembled packet) is ESP for us, stripped to the ESP header with the
 * sender's address and port in m->hash.fdir; otherwise m was consumed
 * (held, absorbed, dropped or queued for the kernel).
 */
static bool up_classify(struct l2x_dp *dp, struct bin *b, struct rte_mbuf **mp,
			struct rte_mbuf **tapq, unsigned int *nt, uint64_t now)
{
	struct rte_mbuf *m = *mp;
	struct l2x_outer_info oi;
	enum l2x_outer_err e;

	if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
		drop(dp, b, m, L2X_DP_DROP_UPLINK_VLAN);
		return false;
	}
	for (int pass = 0;; pass++) {
		int rc;

		if (m->nb_segs != 1) {
			drop(dp, b, m, L2X_DP_DROP_CHAINED);
			return false;
		}
		e = l2x_outer_parse(rte_pktmbuf_mtod(m, const uint8_t *),
				    rte_pktmbuf_data_len(m), &oi);
		if (e != L2X_OUTER_OK) {
			drop(dp, b, m, L2X_DP_D_OUTER + e);
			return false;
		}
		if (oi.cls != L2X_OUTER_FRAGMENT || pass > 0 ||
		    oi.dst_ip != dp->local_ip || oi.tagged)
			break;
		rc = l2x_reasm_insert(dp->reasm, m, now, mp);
		if (rc == L2X_REASM_HELD) {
			dp->st.cnt[L2X_DP_CNT_frag_held]++;
			return false;
		}
		if (rc < 0) {
			drop(dp, b, m, L2X_DP_D_REASM + (unsigned int)-rc);
			return false;
		}
		dp->st.cnt[L2X_DP_CNT_reassembled]++;
		m = *mp;
	}
	if (oi.cls == L2X_OUTER_KEEPALIVE && oi.dst_ip == dp->local_ip) {
		dp->st.cnt[L2X_DP_CNT_keepalive]++;
		b->m[b->n++] = m; /* absorbed, not a drop */
		return false;
	}
	if (oi.cls != L2X_OUTER_ESP || oi.dst_ip != dp->local_ip || oi.tagged) {
		/* ARP, ICMP, IKE, anything else: the kernel decides */
		to_tap(dp, b, m, &oi, tapq, nt, now);
		return false;
	}
	m->hash.fdir.lo = oi.src_ip;
	m->hash.fdir.hi = oi.sport;
	rte_pktmbuf_adj(m, (uint16_t)oi.payload_off);
	rte_pktmbuf_trim(m,
			 (uint16_t)(rte_pktmbuf_data_len(m) - oi.payload_len));
	return true;
}

/* Tunnel -> LAN, one received uplink burst. */
static void uplink_burst(struct l2x_dp *dp, const struct l2x_dp_nets *ns,
			 struct bin *b, struct rte_mbuf **m, unsigned int n,
			 uint64_t now, uint64_t now_s)
{
	struct rte_mbuf *esp[L2X_DP_BURST], *tapq[L2X_DP_BURST];
	struct l2x_sa *sa_out[L2X_DP_BURST];
	uint8_t why[L2X_DP_BURST];
	unsigned int ne = 0, nt = 0;
	uint16_t good;

	dp->st.cnt[L2X_DP_CNT_rx_uplink] += n;
	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *x = m[i];

		if (up_classify(dp, b, &x, tapq, &nt, now))
			esp[ne++] = x;
	}
	if (nt)
		tx(dp, b, dp->tap_port, tapq, nt, L2X_DP_CNT_tx_tap);
	if (ne == 0)
		return;
	good = l2x_esp_open_burst(l2x_sa_table_current(&dp->sa_table), esp,
				  (uint16_t)ne, sa_out, why);
	for (unsigned int i = good; i < ne; i++)
		drop(dp, b, esp[i], L2X_DP_D_ESP + why[i]);
	if (good > 0) {
		/* NAT traversal (RFC 3948 section 2.2; RFC 7296 section
		 * 2.23): follow the address and port of the last
		 * authenticated packet. The control thread applies it. */
		const struct rte_mbuf *last = esp[good - 1];
		uint64_t w = l2x_dp_nat_word(last->hash.fdir.lo,
					     (uint16_t)last->hash.fdir.hi);

		if (w != dp->nat_seen) {
			dp->nat_seen = w;
			__atomic_store_n(&dp->nat_req, w, __ATOMIC_RELEASE);
		}
	}
	from_tunnel(dp, ns, b, esp, good, now, now_s);
}

/* What the kernel sends on the tap goes out of the uplink as it is. */
static void tap_burst(struct l2x_dp *dp, struct bin *b, struct rte_mbuf **m,
		      unsigned int n)
{
	dp->st.cnt[L2X_DP_CNT_rx_tap] += n;
	tx(dp, b, dp->up_port, m, n, L2X_DP_CNT_tx_uplink);
}

unsigned int l2x_fwd_round(struct l2x_dp *dp, uint64_t now)
{
	static struct bin b; /* one worker: not on the stack (36 KiB) */
	struct rte_mbuf *m[L2X_DP_BURST];
	uint64_t now_s = now / dp->hz;
	/* one network set per round; the caller's quiescent state after
	 * the round releases it */
	const struct l2x_dp_nets *ns =
	    __atomic_load_n(&dp->nets, __ATOMIC_ACQUIRE);
	unsigned int total = 0;
	uint16_t n;

	n = rte_eth_rx_burst(dp->lan_port, 0, m, L2X_DP_BURST);
	if (n) {
		lan_burst(dp, ns, &b, m, n, now, now_s);
		bin_flush(&b);
		total += n;
	}
	n = rte_eth_rx_burst(dp->up_port, 0, m, L2X_DP_BURST);
	if (n) {
		uplink_burst(dp, ns, &b, m, n, now, now_s);
		bin_flush(&b);
		total += n;
	}
	n = rte_eth_rx_burst(dp->tap_port, 0, m, L2X_DP_BURST);
	if (n) {
		tap_burst(dp, &b, m, n);
		total += n;
	}
	bin_flush(&b);
	return total;
}

/* Drop what the LAN and uplink rings hold: frames queued while the
 * worker was stopped for seconds. Replayed, they would bridge traffic of
 * networks this appliance no longer carries, and the other appliances
 * would learn the remote MACs on the LAN side from them (a network moved
 * while this host was frozen stays broken until the MACs age out).
 * Counted as "stale". Rare: once per stall, not per packet. */
static void flush_stale(struct l2x_dp *dp)
{
	uint16_t ports[2] = {dp->lan_port, dp->up_port};
	struct rte_mbuf *m[L2X_DP_BURST];

	for (unsigned int p = 0; p < 2; p++) {
		for (unsigned int k = 0; k < 4096u / L2X_DP_BURST; k++) {
			uint16_t n =
			    rte_eth_rx_burst(ports[p], 0, m, L2X_DP_BURST);

			if (n == 0)
				break;
			rte_pktmbuf_free_bulk(m, n);
			dp->st.drop[L2X_DP_DROP_STALE] += n;
		}
	}
}

int l2x_fwd_main(void *arg)
{
	struct l2x_dp *dp = arg;
	unsigned int lc = rte_lcore_id(), idle = 0, sleep_us = 8;
	uint64_t next_expire = 0, last = rte_get_tsc_cycles();
	const uint64_t stall = dp->hz / 1000 * L2X_FWD_STALL_MS;

	if (dp->qsbr) {
		rte_rcu_qsbr_thread_register(dp->qsbr, lc);
		rte_rcu_qsbr_thread_online(dp->qsbr, lc);
	}
	while (!dp->stop) {
		uint64_t now = rte_get_tsc_cycles();
		unsigned int total;

		if (now - last > stall)
			flush_stale(dp);
		last = now;
		total = l2x_fwd_round(dp, now);

		if (now >= next_expire) {
			l2x_reasm_expire(dp->reasm, now);
			next_expire = now + dp->hz / 100;
		}
		if (dp->qsbr)
			rte_rcu_qsbr_quiescent(dp->qsbr, lc);
		if (total) {
			idle = 0;
			sleep_us = 8;
		} else if (++idle < L2X_FWD_SPIN) {
			rte_pause();
		} else {
			rte_delay_us_sleep(sleep_us);
			if (sleep_us < L2X_FWD_SLEEP_MAX_US)
				sleep_us *= 2;
		}
	}
	if (dp->qsbr) {
		rte_rcu_qsbr_thread_offline(dp->qsbr, lc);
		rte_rcu_qsbr_thread_unregister(dp->qsbr, lc);
	}
	return 0;
}
