/* SPDX-License-Identifier: MIT */
/*
 * mtu.h - what fits through the tunnel, and what to do with what does not.
 *
 * Every Ethernet frame l2x carries grows by the ESP-in-UDP and inner
 * encapsulation headers (DESIGN.md, "Wire format"):
 *
 *   outer IPv4 | UDP 4500 | ESP SPI+seq | IV | [ inner IPv4 | GRE-TEB or
 *   UDP+VXLAN | carried frame (its own Ethernet header, no FCS) | padding
 *   0..3 | pad length + next header ] | ICV
 *
 * The module has three parts, split by when they run:
 *
 *  - Figures (mtu.c, control thread, at setup): the overhead breakdown for
 *    an (encapsulation, AEAD) pair, built only from wire.h's sizeof-derived
 *    constants; the exact outer IPv4 length of a frame; the largest frame
 *    that crosses an uplink of IP MTU M unfragmented; the TCP MSS to clamp
 *    to. l2x_mtu_plan() computes all of them once per (tunnel, uplink) so
 *    the per-packet code reads two numbers and computes nothing.
 *
 *  - TCP MSS clamping (mtu_fast.c, worker): SYN and SYN-ACK segments
 *    bridged into the tunnel get their MSS option lowered to the clamp, so
 *    TCP picks segments whose frames cross unfragmented (DESIGN.md, "a frame
 *    that does not fit ... TCP MSS is clamped on bridged SYNs").
 *
 *  - Outer IPv4 fragmentation (mtu_fast.c, worker): a frame that still does
 *    not fit (UDP, ICMP, a host that ignores MSS) is not dropped; its
 *    encrypted outer packet is fragmented (RFC 791 section 3.2,
 *    "Fragmentation") and reassembled by the peer (reasm.h). Fragmenting
 *    outside ESP, not the inner packet, keeps the carried frame intact:
 *    the peer's reassembly happens before decryption, and the bridged
 *    Ethernet frame never has to be split (it has no fragmentation of its
 *    own).
 *
 * Thread-safety: the figure functions are pure and may be called from any
 * thread. l2x_mtu_clamp_mss() and l2x_mtu_fragment() touch only the frame
 * or mbuf passed in (and, for fragmentation, the mempool, which is
 * thread-safe) and may run on any lcore.
 */
#ifndef L2X_MTU_H
#define L2X_MTU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "dataplane/wire.h"

/* Uplink IP MTU range l2x accepts. 576 is the datagram size every IPv4
 * host must accept (RFC 791 section 3.1, "Total Length"); 9216 is the
 * largest jumbo MTU the mbuf room is sized for (wire.h L2X_MAX_FRAME). */
#define L2X_MTU_MIN 576u
#define L2X_MTU_MAX 9216u

/*
 * Overhead breakdown of one (encapsulation, AEAD) pair, in bytes. Each
 * field is one header of the outer packet; a field that the encapsulation
 * does not use is 0. l2x_foreach_mtu_part() names them for `l2xctl show
 * mtu`, in wire order.
 *
 * The outer Ethernet header is not part of the IP MTU and is not listed.
 * The carried frame's own Ethernet header (frame_eth) belongs to the frame
 * length: every "frame length" in this API includes it, without FCS.
 */
struct l2x_mtu_overhead {
	uint16_t outer_ipv4;  /* outer IPv4 header (uplink addresses) */
	uint16_t outer_udp;   /* UDP 4500, ESP-in-UDP (RFC 3948) */
	uint16_t esp_hdr;     /* ESP SPI + sequence (RFC 4303 section 2) */
	uint16_t esp_iv;      /* explicit IV (RFC 4106 / RFC 7634) */
	uint16_t inner_ipv4;  /* inner IPv4 header (tunnel endpoints) */
	uint16_t gre;	      /* GRE-TEB with key (RFC 2890), GRE only */
	uint16_t inner_udp;   /* UDP 4789, VXLAN only */
	uint16_t vxlan;	      /* VXLAN header (RFC 7348), VXLAN only */
	uint16_t frame_eth;   /* the carried frame's Ethernet header */
	uint16_t esp_pad_max; /* ESP padding, 0 .. esp_pad_max bytes */
	uint16_t esp_trailer; /* pad length + next header */
	uint16_t esp_icv;     /* integrity check value */
	/* Sum of every field except frame_eth and esp_pad_max: outer length
	 * = fixed + frame length + padding (l2x_mtu_outer_len()). */
	uint16_t fixed;
	/* The ESP plaintext (inner headers + frame + padding + trailer) is
	 * padded to a multiple of this (RFC 4303 section 2.4). */
	uint16_t esp_align;
};

/* The breakdown fields, in wire order, with a label each:
 * _(field, "label"). */
#define l2x_foreach_mtu_part(_)        \
	_(outer_ipv4, "IPv4")          \
	_(outer_udp, "UDP")            \
	_(esp_hdr, "ESP")              \
	_(esp_iv, "IV")                \
	_(inner_ipv4, "inner IPv4")    \
	_(gre, "GRE")                  \
	_(inner_udp, "inner UDP")      \
	_(vxlan, "VXLAN")              \
	_(frame_eth, "frame Ethernet") \
	_(esp_pad_max, "pad<=")        \
	_(esp_trailer, "ESP trailer")  \
	_(esp_icv, "ICV")

/* Fill *out with the breakdown of (encap, aead). Returns 0, or -EINVAL for
 * an encapsulation or AEAD l2x does not know (out untouched). */
int l2x_mtu_overhead(enum l2x_encap encap, enum l2x_aead aead,
		     struct l2x_mtu_overhead *out);

/* Exact outer IPv4 packet length (IPv4 total length: header to ICV,
 * without the outer Ethernet header) for a carried frame of frame_len
 * bytes, padding included. */
uint32_t l2x_mtu_outer_len(const struct l2x_mtu_overhead *o,
			   uint32_t frame_len);

/* Largest carried frame (Ethernet header included, no FCS) whose outer
 * packet is at most mtu bytes, so crosses the uplink unfragmented; 0 if
 * not even an empty frame fits. */
uint32_t l2x_mtu_max_frame(const struct l2x_mtu_overhead *o, uint32_t mtu);

/* TCP MSS that makes a full segment's frame fit: the largest frame minus
 * the Ethernet header, the IPv4 (20) or IPv6 (40) header and the TCP header
 * (20, RFC 9293 section 3.7.1: MSS counts no options). 0 if none fits. */
uint16_t l2x_mtu_mss_ipv4(const struct l2x_mtu_overhead *o, uint32_t mtu);
uint16_t l2x_mtu_mss_ipv6(const struct l2x_mtu_overhead *o, uint32_t mtu);

/* 0 if mtu is in L2X_MTU_MIN..L2X_MTU_MAX, else -ERANGE. The config reader
 * turns -ERANGE into "file:line: ports.uplink.mtu: N is outside
 * 576..9216". */
int l2x_mtu_validate(uint32_t mtu);

/* MSS clamp values for l2x_mtu_clamp_mss(); 0 disables clamping for that
 * address family. */
struct l2x_mss_clamp {
	uint16_t ipv4;
	uint16_t ipv6;
};

/* Everything per (tunnel, uplink) that the fast path needs, computed once
 * at setup by l2x_mtu_plan(). */
struct l2x_mtu_plan {
	struct l2x_mtu_overhead oh;
	uint32_t mtu;	    /* uplink IP MTU */
	uint32_t max_frame; /* largest frame that crosses unfragmented */
	struct l2x_mss_clamp mss;
};

/* Validate mtu and compute the plan. Returns 0, -EINVAL (unknown encap or
 * AEAD) or -ERANGE (mtu out of range). Control thread, at setup. */
int l2x_mtu_plan(enum l2x_encap encap, enum l2x_aead aead, uint32_t mtu,
		 struct l2x_mtu_plan *out);

/*
 * TCP MSS clamping (RFC 9293 section 3.7.1; the technique of Linux's
 * TCPMSS target and of most VPN gateways).
 *
 * frame/len: one untagged Ethernet frame as carried through the tunnel
 * (the 802.1Q tag is already gone: it became the tunnel id). Frames with
 * any other EtherType than IPv4 or IPv6, including tagged ones, are left
 * alone.
 *
 * If the frame is a TCP segment with SYN set (SYN and SYN-ACK) carrying an
 * MSS option larger than the clamp of its family, the option is lowered to
 * the clamp and the TCP checksum updated incrementally (RFC 1624 eqn. 3).
 * The parse is strict and never reads or writes outside frame[0..len):
 *  - IPv4: version 4, IHL >= 5 and within the total length, total length
 *    within len (Ethernet padding after it is ignored). Non-first fragments
 *    are skipped; a first fragment is clamped if its TCP header is whole.
 *  - IPv6: version 6, payload length within len (0, a jumbogram, is
 *    skipped). Up to L2X_MSS_V6_EXT_MAX hop-by-hop, routing and destination
 *    options headers are walked; any other extension header (fragment,
 *    AH, ESP, ...) or more than that many leaves the frame untouched.
 *  - TCP: data offset >= 5 and within the segment; the option list is
 *    walked to its end (EOL or the data offset) before anything changes.
 *    Any malformed option (length < 2, running past the header, an MSS
 *    option of length != 4) leaves the frame untouched. Every MSS option
 *    present is clamped (a second one is odd, but clamping both leaves the
 *    receiver no larger choice).
 * Returns true if the frame was changed. Any lcore; touches only frame.
 */
#define L2X_MSS_V6_EXT_MAX 4
bool l2x_mtu_clamp_mss(uint8_t *frame, size_t len,
		       const struct l2x_mss_clamp *clamp);

/* l2x_mtu_clamp_mss() on the first segment of an mbuf (the headers of a
 * frame are always there). */
static inline bool l2x_mtu_clamp_mss_mbuf(struct rte_mbuf *m,
					  const struct l2x_mss_clamp *clamp)
{
	return l2x_mtu_clamp_mss(rte_pktmbuf_mtod(m, uint8_t *),
				 rte_pktmbuf_data_len(m), clamp);
}

/*
 * Outer IPv4 fragmentation (RFC 791 section 3.2).
 *
 * The most fragments one outer packet can need: the largest packet an
 * L2X_MBUF_ROOM mbuf holds, split at the smallest MTU (576: 552 payload
 * bytes per fragment). 17 with the current wire.h.
 */
#define L2X_FRAG_PAYLOAD_MIN                           \
	((L2X_MTU_MIN - sizeof(struct rte_ipv4_hdr)) / \
	 RTE_IPV4_HDR_OFFSET_UNITS * RTE_IPV4_HDR_OFFSET_UNITS)
#define L2X_FRAG_MAX                                                   \
	((L2X_MBUF_ROOM - RTE_PKTMBUF_HEADROOM -                       \
	  sizeof(struct rte_ether_hdr) - sizeof(struct rte_ipv4_hdr) + \
	  L2X_FRAG_PAYLOAD_MIN - 1) /                                  \
	 L2X_FRAG_PAYLOAD_MIN)

/* Why an outer packet could not be fragmented: _(SYM, "description").
 * The enum is L2X_FRAG_DROP_<SYM>; 0 is L2X_FRAG_DROP_NONE. */
#define l2x_foreach_frag_drop(_)                                       \
	_(DF, "larger than the uplink MTU with don't-fragment set")    \
	_(NOT_IPV4, "not Ethernet + IPv4 without options, or lengths " \
		    "inconsistent")                                    \
	_(MTU, "MTU outside 576..9216")                                \
	_(TOO_MANY, "needs more than L2X_FRAG_MAX fragments")          \
	_(NOMEM, "mbuf pool empty")                                    \
	_(SMALL_MBUF, "pool mbufs too small for a fragment")

enum l2x_frag_drop {
	L2X_FRAG_DROP_NONE = 0,
#define L2X_FRAG_DROP_ENUM(sym, str) L2X_FRAG_DROP_##sym,
	l2x_foreach_frag_drop(L2X_FRAG_DROP_ENUM)
#undef L2X_FRAG_DROP_ENUM
	    L2X_FRAG_DROP_MAX
};

/* Key ("DF") and description of each reason, indexed by the enum. */
extern const char *const l2x_frag_drop_key[L2X_FRAG_DROP_MAX];
extern const char *const l2x_frag_drop_str[L2X_FRAG_DROP_MAX];

/*
 * Fragment the outer packet m so that every piece is at most mtu bytes of
 * IPv4.
 *
 * m: one outer packet, Ethernet (untagged, EtherType IPv4) + IPv4 with no
 *    options (IHL 5: l2x never sends outer options, and RFC 791's per-option
 *    copy rules are then moot) + payload, all in one segment, IPv4 total
 *    length exactly the rest of the mbuf.
 * mtu: uplink IP MTU, L2X_MTU_MIN..L2X_MTU_MAX.
 * mp: pool for the second and later fragments (one bulk get: either all
 *    are taken or none).
 * out: receives the fragments in offset order; out[0] is m itself.
 *
 * If the packet fits, returns 1 with out[0] = m, unchanged. Otherwise, and
 * if DF is clear, every fragment gets the Ethernet header, the IPv4 header
 * with the same ID, its own total length, fragment offset (a multiple of 8
 * bytes, RFC 791 section 3.1) and MF (set on all but the last, and on the
 * last too if m was itself a non-last fragment), and a header checksum
 * computed in software; m is trimmed to the first fragment. New fragments
 * copy m's port and packet_type, no offload flags. The caller must not ask
 * the NIC for an L4 checksum on m (outer UDP checksum is 0, RFC 3948
 * section 2.1). Returns the fragment count, or -L2X_FRAG_DROP_<reason>
 * with m untouched and still the caller's to free. Any lcore.
 */
int l2x_mtu_fragment(struct rte_mbuf *m, uint32_t mtu, struct rte_mempool *mp,
		     struct rte_mbuf *out[L2X_FRAG_MAX]);

#endif /* L2X_MTU_H */
