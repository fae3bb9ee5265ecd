/* SPDX-License-Identifier: MIT */
/*
 * encap.h - the headers l2x builds around a bridged Ethernet frame and the
 * strict parsers of what comes back (DESIGN.md, "Wire format").
 *
 * Two layers, each a prebuilt template plus a per-packet push, and a parser
 * that takes (pointer, length), never reads past the length and returns a
 * reason from an X-macro (STYLE.md 3, 13):
 *
 *   inner (inside ESP):  IPv4 (tunnel endpoints) | GRE-TEB key=id   | frame
 *                        IPv4 (tunnel endpoints) | UDP 4789 | VXLAN | frame
 *   outer (uplink wire): Ethernet [| 802.1Q] | IPv4 (uplink) | UDP 4500 | ESP
 *
 * Everything known at setup is in the template: all header bytes and the
 * one's complement sum of the IPv4 header without its variable fields.
 * Per packet, push copies the template with fixed-size copies, writes the
 * lengths (and the outer IPv4 ID) and finishes the IPv4 header checksum
 * incrementally from that partial sum (RFC 1071 section 2, RFC 1624):
 * two or three additions and a fold, instead of rte_ipv4_cksum()'s pass
 * over the ten header words.
 *
 * Inner header choices:
 * - IPv4: TTL 64, DF set, ID 0. The inner packet is never fragmented (the
 *   outer one is), so it is an atomic datagram and RFC 6864 section 4.1
 *   lets its ID be any value, 0 included.
 * - GRE: only the K bit, version 0, protocol 0x6558 (Transparent Ethernet
 *   Bridging), key = tunnel id (RFC 2784 section 2, RFC 2890 section 2.1):
 *   the framing of Linux gretap and of NSX-T L2VPN.
 * - VXLAN: UDP destination 4789, source port 49152..65535 from a hash of the
 *   inner frame's MAC addresses, UDP checksum 0 (RFC 7348 section 5 allows
 *   both for IPv4), I flag, VNI = tunnel id (24 bits).
 *
 * Outer header choices:
 * - IPv4: TTL 64, DF clear (l2x fragments the outer packet itself when it
 *   exceeds the uplink MTU), ID from a per-template counter, one per packet,
 *   so fragments of different packets do not share an ID until it wraps
 *   (RFC 6864 section 4.1, RFC 791).
 * - UDP: source 4500, destination the peer's port, which NAT may change
 *   (RFC 3948 section 2.1: same ports as IKE). The checksum is sent as 0
 *   as RFC 3948 section 2.1 says senders SHOULD; L2X_OUTER_F_UDP_CSUM
 *   computes the real one for peers that insist.
 * - The parser never checks the outer UDP checksum: RFC 3948 section 2.1
 *   says receivers MUST NOT depend on it being zero, and the ESP ICV
 *   authenticates all the payload l2x uses. IKE and anything else punted
 *   to the kernel is checked there.
 *
 * Thread-safety:
 * - l2x_inner_tmpl_init(), l2x_outer_tmpl_init(): control thread, before
 *   the template is published to a worker.
 * - l2x_inner_push(): any worker; the inner template is read-only after
 *   init and may be shared.
 * - l2x_outer_push(): one worker per outer template (the one owning the
 *   outbound SA, DESIGN.md "Scaling"): it increments the template's ID
 *   counter without atomics.
 * - l2x_outer_tmpl_set_peer(): control thread (a single writer), at any
 *   time, also while a worker pushes: the peer fields are published with
 *   a sequence counter and push re-reads them if an update overlapped
 *   (it waits with rte_pause() while one is half written: a 46-byte copy,
 *   unless the control thread is preempted right there).
 * - The parsers: any thread; they only read their input.
 */
#ifndef L2X_ENCAP_H
#define L2X_ENCAP_H

#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/wire.h"

/* ------------------------------------------------------------------------
 * Inner headers
 * ------------------------------------------------------------------------ */

/* Prebuilt inner headers of one tunnel. Read-only after init. */
struct l2x_inner_tmpl {
	/* IPv4 | GRE or IPv4 | UDP | VXLAN, with total length, UDP length,
	 * UDP source port and IPv4 checksum left 0 */
	uint8_t hdr[L2X_INNER_VXLAN_LEN];
	/* unfolded one's complement sum of the IPv4 header in hdr */
	uint32_t ip_sum;
	/* L2X_INNER_GRE_LEN or L2X_INNER_VXLAN_LEN */
	uint16_t hdr_len;
	/* enum l2x_encap */
	uint8_t encap;
	/* GRE key or VXLAN VNI */
	uint32_t tunnel_id;
};

/* Build the inner template of a tunnel. Control thread.
 *   t:         template to fill
 *   e:         L2X_ENCAP_GRE or L2X_ENCAP_VXLAN
 *   tunnel_id: GRE key (32 bits) or VNI (at most L2X_VXLAN_VNI_MAX)
 *   src, dst:  inner tunnel endpoint addresses, network order, not 0
 * Returns 0, or -EINVAL for a NULL template, an unknown encapsulation, a
 * VNI above 24 bits or an address 0.0.0.0 (t is then unchanged). */
int l2x_inner_tmpl_init(struct l2x_inner_tmpl *t, enum l2x_encap e,
			uint32_t tunnel_id, rte_be32_t src, rte_be32_t dst);

/* Prepend the inner headers to the Ethernet frame that is the whole data
 * of m, a single-segment mbuf, and fill total length, IPv4 checksum and
 * for VXLAN UDP length and source port. Worker, per packet.
 *   m: the frame (at least an Ethernet header)
 *   t: the tunnel's template
 * Returns 0, or with m unchanged: -EINVAL (chained mbuf, or a frame shorter
 * than an Ethernet header), -EMSGSIZE (the inner packet would exceed 65535
 * bytes), -ENOSPC (headroom below t->hdr_len). */
int l2x_inner_push(struct rte_mbuf *m, const struct l2x_inner_tmpl *t);

/* The UDP source port l2x_inner_push() gives a VXLAN packet carrying
 * frame, network order: 49152 + a 14-bit hash of the destination and
 * source MAC addresses (RFC 7348 section 5), so one conversation keeps one
 * port. frame must hold at least 12 bytes. */
rte_be16_t l2x_inner_vxlan_sport(const uint8_t *frame);

/* Why an inner packet (the plaintext of an ESP packet) was refused. */
#define l2x_foreach_encap_err(_)                                              \
	_(IP_TRUNC, "inner IPv4 header truncated")                            \
	_(IP_VERSION, "inner IP version is not 4")                            \
	_(IP_IHL, "inner IPv4 header length below 20 or past the end")        \
	_(IP_TOTLEN,                                                          \
	  "inner IPv4 total length beyond the data or below header")          \
	_(IP_CSUM, "inner IPv4 header checksum bad")                          \
	_(IP_FRAG, "inner IPv4 packet is a fragment")                         \
	_(IP_PROTO, "inner IPv4 protocol neither GRE nor UDP")                \
	_(GRE_TRUNC, "GRE header truncated")                                  \
	_(GRE_FLAGS, "GRE checksum, routing, sequence or recursion bits set") \
	_(GRE_VERSION, "GRE version is not 0")                                \
	_(GRE_NO_KEY, "GRE without key")                                      \
	_(GRE_PROTO, "GRE protocol is not 0x6558 (TEB)")                      \
	_(UDP_TRUNC, "inner UDP header truncated")                            \
	_(UDP_LEN, "inner UDP length inconsistent with IPv4")                 \
	_(UDP_PORT, "inner UDP destination port is not 4789")                 \
	_(VXLAN_TRUNC, "VXLAN header truncated")                              \
	_(VXLAN_FLAGS, "VXLAN I flag clear")                                  \
	_(FRAME_SHORT, "inner frame shorter than an Ethernet header")

enum l2x_encap_err {
	L2X_ENCAP_OK = 0,
#define L2X_X(sym, text) L2X_ENCAP_ERR_##sym,
	l2x_foreach_encap_err(L2X_X)
#undef L2X_X
	    L2X_ENCAP_ERR_MAX
};

/* Indexed by enum l2x_encap_err: the JSON key ("OK", "IP_TRUNC", ...) and
 * the sentence `l2xctl show stats` prints. */
extern const char *const l2x_encap_err_key[L2X_ENCAP_ERR_MAX];
extern const char *const l2x_encap_err_text[L2X_ENCAP_ERR_MAX];

/* What the inner parser found. Offsets are from the start of the input. */
struct l2x_inner_info {
	enum l2x_encap encap;
	uint32_t tunnel_id;  /* GRE key or VNI */
	rte_be32_t src, dst; /* inner tunnel endpoints: the caller checks them
				against the tunnel's */
	uint32_t frame_off;  /* the Ethernet frame */
	uint32_t frame_len;  /* >= sizeof(struct rte_ether_hdr) */
};

/* Parse an inner packet strictly. Any thread, per packet.
 *   p, len: the inner packet (ESP plaintext without trailer)
 *   out:    filled on L2X_ENCAP_OK, unspecified otherwise
 * Bytes after the IPv4 total length, and inside IPv4 after the UDP length,
 * are ignored, as a host ignores them. IPv4 options are skipped. GRE bits
 * 6-12 and VXLAN reserved bits are ignored (RFC 2784 section 2.3,
 * RFC 7348 section 5: "MUST be ignored on receipt"); GRE checksum,
 * routing and sequence numbers are refused: no l2x peer sends them. The
 * inner UDP checksum is not checked: the ESP ICV covers the packet. */
enum l2x_encap_err l2x_inner_parse(const uint8_t *p, size_t len,
				   struct l2x_inner_info *out);

/* ------------------------------------------------------------------------
 * Outer headers
 * ------------------------------------------------------------------------ */

/* Compute the outer UDP checksum instead of sending 0. */
#define L2X_OUTER_F_UDP_CSUM 0x1u

/* The peer side of the outer headers: what NAT and the neighbour table
 * change at run time. */
struct l2x_outer_peer {
	struct rte_ether_addr mac; /* next hop towards the peer */
	rte_be32_t ip;		   /* peer uplink address as seen, not 0 */
	uint16_t port; /* peer UDP port as seen, host order, not 0 */
};

/* Parameters of an outer template; use designated initializers. */
struct l2x_outer_prm {
	struct rte_ether_addr src_mac; /* uplink port MAC */
	rte_be32_t src_ip;	       /* uplink address, not 0 */
	uint16_t src_port;	       /* host order, normally 4500, not 0 */
	uint16_t vlan;		       /* 802.1Q VLAN id of a tagged uplink,
					  1..4094; 0 = untagged */
	uint16_t first_id;	       /* first IPv4 ID (from the caller's
					  random source, STYLE.md 11) */
	uint32_t flags;		       /* L2X_OUTER_F_* */
	struct l2x_outer_peer peer;
};

/* Largest outer header: Ethernet, one 802.1Q tag, IPv4, UDP. */
#define L2X_OUTER_HDR_MAX (L2X_OUTER_HDR_LEN + sizeof(struct rte_vlan_hdr))

/* Prebuilt outer headers towards one peer. 64-byte aligned: the ID counter,
 * written per packet, has its own cache line. */
struct l2x_outer_tmpl {
	/* Sequence counter of the peer fields: odd while the control thread
	 * rewrites hdr, ip_sum and udp_sum. */
	uint32_t seq;
	uint32_t flags;
	/* unfolded sum of the IPv4 header with total length, ID and checksum
	 * 0 */
	uint32_t ip_sum;
	/* unfolded sum of the UDP pseudo-header addresses and protocol plus
	 * both ports (RFC 768): the fixed part of the UDP checksum */
	uint32_t udp_sum;
	uint16_t hdr_len; /* 42, or 46 when tagged */
	uint16_t l3_off;  /* 14 or 18 */
	uint8_t hdr[L2X_OUTER_HDR_MAX];
	/* next IPv4 ID; written by the pushing worker only */
	uint16_t next_id __rte_cache_aligned;
};

/* Build an outer template. Control thread.
 * Returns 0, or -EINVAL for a NULL argument, an address or port 0, a VLAN
 * id above 4094 or an unknown flag (t is then unchanged). */
int l2x_outer_tmpl_init(struct l2x_outer_tmpl *t,
			const struct l2x_outer_prm *prm);

/* Change the peer's MAC, address and port (a NAT mapping change or a new
 * next hop), keeping the ID counter. Control thread only (one writer); safe
 * while a worker pushes with t. Returns 0, or -EINVAL for a NULL argument
 * or an address or port 0 (t is then unchanged). */
int l2x_outer_tmpl_set_peer(struct l2x_outer_tmpl *t,
			    const struct l2x_outer_peer *peer);

/* The peer address t currently sends to (network order), read
 * consistently while the control thread may be changing it (the sequence
 * counter, as l2x_outer_push). Any thread; the worker per packet. */
rte_be32_t l2x_outer_tmpl_peer_ip(const struct l2x_outer_tmpl *t);

/* The peer fields t currently sends to. Control thread. */
void l2x_outer_tmpl_get_peer(const struct l2x_outer_tmpl *t,
			     struct l2x_outer_peer *peer);

/* Prepend the outer headers to the ESP packet that is the whole data of m,
 * a single-segment mbuf; fill lengths, IPv4 ID (then advance the counter)
 * and checksum, and with L2X_OUTER_F_UDP_CSUM the UDP checksum. The owning
 * worker, per packet.
 * Returns 0, or with m and t unchanged: -EINVAL (chained mbuf), -EMSGSIZE
 * (the IPv4 packet would exceed 65535 bytes), -ENOSPC (headroom below
 * t->hdr_len). */
int l2x_outer_push(struct rte_mbuf *m, struct l2x_outer_tmpl *t);

/* What arrived on the uplink. */
enum l2x_outer_class {
	L2X_OUTER_ESP = 0,   /* UDP 4500, SPI != 0: to the SA by SPI */
	L2X_OUTER_IKE,	     /* UDP 500, or 4500 with the non-ESP marker */
	L2X_OUTER_KEEPALIVE, /* UDP 4500, one 0xff byte: absorbed */
	L2X_OUTER_FRAGMENT,  /* IPv4 MF or offset != 0: to reassembly */
	L2X_OUTER_EXCEPTION, /* ARP, ICMP, other IP or UDP: to the kernel */
};

/* Minimum UDP payload taken as ESP: header, IV, the 2-byte trailer and the
 * ICV (RFC 4303 section 2, RFC 4106 section 3). */
#define L2X_OUTER_ESP_MIN \
	(L2X_ESP_HDR_LEN + sizeof(struct l2x_esp_trailer) + L2X_ESP_ICV_LEN)

/* Why a frame from the uplink was dropped. */
#define l2x_foreach_outer_err(_)                                           \
	_(ETH_TRUNC, "Ethernet or 802.1Q header truncated")                \
	_(VLAN_STACK, "more than one VLAN tag")                            \
	_(IP_TRUNC, "IPv4 header truncated")                               \
	_(IP_VERSION, "IP version is not 4")                               \
	_(IP_IHL, "IPv4 header length below 20 or past the frame")         \
	_(IP_TOTLEN, "IPv4 total length beyond the frame or below header") \
	_(IP_CSUM, "IPv4 header checksum bad")                             \
	_(UDP_TRUNC, "UDP header truncated")                               \
	_(UDP_LEN, "UDP length inconsistent with IPv4")                    \
	_(ESP_SHORT, "ESP shorter than header, IV, trailer and ICV")

enum l2x_outer_err {
	L2X_OUTER_OK = 0,
#define L2X_X(sym, text) L2X_OUTER_ERR_##sym,
	l2x_foreach_outer_err(L2X_X)
#undef L2X_X
	    L2X_OUTER_ERR_MAX
};

/* Indexed by enum l2x_outer_err, as for the inner reasons. */
extern const char *const l2x_outer_err_key[L2X_OUTER_ERR_MAX];
extern const char *const l2x_outer_err_text[L2X_OUTER_ERR_MAX];

/* What the outer parser found. Offsets are from the start of the frame;
 * fields past what the class needs are 0. */
struct l2x_outer_info {
	enum l2x_outer_class cls;
	uint16_t ethertype; /* after the tag, if any */
	uint16_t vlan;	    /* VLAN id if tagged */
	uint8_t tagged;	    /* one 802.1Q tag was present */
	uint8_t ip_proto;   /* IPv4 protocol (IPv4 classes) */
	uint16_t sport;	    /* UDP ports, host order (UDP classes) */
	uint16_t dport;
	rte_be32_t src_ip;    /* IPv4 addresses (IPv4 classes): src_ip and */
	rte_be32_t dst_ip;    /* sport are what NAT following needs */
	uint32_t l3_off;      /* IPv4 header (14, or 18 when tagged) */
	uint32_t ip_len;      /* IPv4 total length; later bytes are padding */
	uint32_t payload_off; /* UDP payload: the ESP header for ESP, the
				 marker for IKE on 4500 */
	uint32_t payload_len; /* UDP payload length */
};

/* Classify a frame received on the uplink. Any thread, per packet.
 *   p, len: the frame from the destination MAC on, with its 802.1Q tag if
 *           the port left it inline (a tag stripped into mbuf metadata is
 *           the caller's to report)
 *   out:    filled on L2X_OUTER_OK, unspecified otherwise
 * Ethernet padding after the IPv4 total length is ignored, and so is a UDP
 * payload shorter than the IPv4 one allows. The destination address is not
 * checked: the caller sends what is not for the appliance to the kernel,
 * which drops it. */
enum l2x_outer_err l2x_outer_parse(const uint8_t *p, size_t len,
				   struct l2x_outer_info *out);

#endif /* L2X_ENCAP_H */
