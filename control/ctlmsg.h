/* SPDX-License-Identifier: MIT */
/*
 * ctlmsg.h - the wire protocol of the dataplane's control socket: the
 * specification, and a pure codec for it (parse, check, build).
 *
 * The dataplane (l2x-dataplane) listens on a Unix SOCK_SEQPACKET socket,
 * root-only (mode 0600). l2x-ike installs and removes SAs through it,
 * l2x-agent adds networks, l2xctl shows state (DESIGN.md, "Processes").
 * This file is the only definition of the bytes on that socket; the
 * codec never touches a socket, a clock or the heap, so it is tested
 * and fuzzed alone.
 *
 * Transport. One message per SEQPACKET datagram, never split, never
 * batched: the kernel keeps the boundaries, so a message is exactly the
 * bytes of one recv() and a datagram that is larger than announced or
 * cut short is an error, not a partial read. No message is longer than
 * L2X_CTL_MSG_MAX (64 KiB); receive into a buffer of that size with
 * MSG_TRUNC and refuse a datagram that was truncated.
 *
 * Conversation. A client sends a request (type below 0x80) with a
 * request id of its choosing; the dataplane answers every request with
 * replies (type 0x80 and above) carrying the same id:
 *   SA_ADD SA_UPDATE SA_DEL NET_ADD NET_DEL MACS_CLEAR CONFIG_RELOAD
 *                               -> OK or ERROR
 *   SA_QUERY                    -> SA_INFO or ERROR
 *   SPI_ALLOC                   -> SPI or ERROR
 *   PEER_QUERY                  -> PEER or ERROR
 *   SHOW, SHOW_PAGE             -> SHOW_REPLY... or ERROR; every
 *                                  SHOW_REPLY but the last has MORE set
 * A request the dataplane cannot parse is answered with ERROR, code
 * EPROTO, the parse fault's text (l2x_ctl_fault.text fits ERROR.text by
 * construction) and the request id when the header was readable.
 *
 * Why fixed structs, not TLV. Every message is small, has the same
 * fields every time and no optional parts, so each body is one packed
 * struct of fixed size (STYLE.md 5): the parser checks one size per type,
 * then each field against its range, and there is no attribute walk to
 * get wrong. Change comes with the version: the dataplane, l2x-ike,
 * l2x-agent and l2xctl ship in one appliance image, so a new layout is a
 * new version, and a stale binary gets BAD_VERSION instead of misread
 * bytes. A receiver speaks only L2X_CTL_VERSION.
 *
 * Encoding rules, for every message:
 *   - integers are unsigned and in network byte order (big-endian);
 *     IPv4 addresses are 4 bytes as on the wire (198.18.1.2 is c6 12 01
 *     02); they appear in the parsed structs in host order;
 *   - every field has a valid range, given at the field, and a value
 *     outside it refuses the whole message (nothing is clamped);
 *   - reserved fields, unused flag bits and every byte after a string's
 *     terminating NUL must be zero, so that each message has exactly one
 *     encoding: build(parse(bytes)) == bytes for every accepted message;
 *   - strings live in fixed fields, NUL-terminated within the field.
 *
 * Key material. SA_ADD carries the ESP key and salt. Parsed messages
 * hold it in l2x_ctlmsg.u.sa_add.key: wipe with l2x_ctlmsg_wipe() once
 * installed. A failed parse leaves no key bytes in *out. The bytes
 * built into a caller's buffer, and a received datagram, are the
 * caller's: sodium_memzero() them after send() / after parse. No reply
 * ever carries key material (SA_INFO has counters only).
 *
 * No DPDK. l2xctl, l2x-ike and l2x-agent include this file and link no
 * DPDK, so it includes none of its headers: the wire structs use the
 * l2x_be*_t types below, the ids of transforms and encapsulations come
 * from dataplane/wire_ids.h (which wire.h includes too), and the few
 * sizes it takes from wire.h and DPDK are copied here as numbers that
 * dataplane/ctl.c asserts equal to theirs, so they cannot drift.
 *
 * Thread-safety: every function is pure and reentrant (no global state);
 * call from any thread, one l2x_ctlmsg per caller.
 */
#ifndef L2X_CTLMSG_H
#define L2X_CTLMSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dataplane/wire_ids.h"

/* Fields of the wire structs: they hold the bytes in network order (as
 * DPDK's rte_be*_t do); convert with htobe16()/be16toh() and the like
 * (<endian.h>). Plain integers, so that the structs need no DPDK. */
typedef uint16_t l2x_be16_t;
typedef uint32_t l2x_be32_t;
typedef uint64_t l2x_be64_t;

/* ---- framing ------------------------------------------------------------ */

/* "L2XC" in ASCII, first four bytes of every message. */
#define L2X_CTL_MAGIC 0x4c325843u
/* The one protocol version this build speaks. */
#define L2X_CTL_VERSION 1
/* Largest message, header included: one SEQPACKET datagram. */
#define L2X_CTL_MSG_MAX 65536u

/*
 * Header, 16 bytes, in front of every body.
 *   magic    L2X_CTL_MAGIC.
 *   version  L2X_CTL_VERSION (1); anything else is BAD_VERSION.
 *   type     enum l2x_ctl_type; anything else is UNKNOWN_TYPE.
 *   flags    L2X_CTL_F_MORE, on SHOW_REPLY only; every other bit zero.
 *   length   body bytes after the header: 0..L2X_CTL_BODY_MAX, and exactly
 *            the datagram length minus 16; the size of the type's body
 *            struct (SHOW_REPLY: its fixed part plus the text length).
 *   req_id   any value, chosen by the requester and echoed by each reply.
 */
struct l2x_ctl_hdr {
	l2x_be32_t magic;
	uint8_t version;
	uint8_t type;
	l2x_be16_t flags;
	l2x_be32_t length;
	l2x_be32_t req_id;
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_ctl_hdr) == 16, "control header");

#define L2X_CTL_HDR_LEN (sizeof(struct l2x_ctl_hdr))
#define L2X_CTL_BODY_MAX (L2X_CTL_MSG_MAX - L2X_CTL_HDR_LEN)

/* Header flag: more SHOW_REPLY messages follow for the same request. */
#define L2X_CTL_F_MORE 0x0001u

/* Message types: name, value, printable name. Requests are below 0x80,
 * replies have bit 0x80 set; 0 is never a type. */
#define l2x_foreach_ctl_type(_)                 \
	_(SA_ADD, 0x01, "sa_add")               \
	_(SA_UPDATE, 0x02, "sa_update")         \
	_(SA_DEL, 0x03, "sa_del")               \
	_(SA_QUERY, 0x04, "sa_query")           \
	_(NET_ADD, 0x05, "net_add")             \
	_(NET_DEL, 0x06, "net_del")             \
	_(SHOW, 0x07, "show")                   \
	_(MACS_CLEAR, 0x08, "macs_clear")       \
	_(CONFIG_RELOAD, 0x09, "config_reload") \
	_(SPI_ALLOC, 0x0a, "spi_alloc")         \
	_(PEER_QUERY, 0x0b, "peer_query")       \
	_(SHOW_PAGE, 0x0c, "show_page")         \
	_(OK, 0x81, "ok")                       \
	_(ERROR, 0x82, "error")                 \
	_(SA_INFO, 0x83, "sa_info")             \
	_(SHOW_REPLY, 0x84, "show_reply")       \
	_(SPI, 0x85, "spi")                     \
	_(PEER, 0x86, "peer")

enum l2x_ctl_type {
#define L2X_CTL_TYPE_ENUM(n, v, s) L2X_CTL_MSG_##n = v,
	l2x_foreach_ctl_type(L2X_CTL_TYPE_ENUM)
#undef L2X_CTL_TYPE_ENUM
};
#define L2X_CTL_REPLY_BIT 0x80u

/* ---- field values ------------------------------------------------------- */

/* The smallest SPI on this socket. RFC 4303 section 2.1: 0 is never sent
 * and 1..255 are reserved by IANA for future use; the dataplane's SA
 * refuses them too (l2x_sa_create), so the codec does. */
#define L2X_CTL_SPI_MIN 256u

/* SA direction: inbound SAs open ESP from the peer, outbound SAs seal. */
enum l2x_ctl_dir {
	L2X_CTL_DIR_IN = 0,
	L2X_CTL_DIR_OUT = 1,
};

/* sa_flags: 64-bit extended sequence numbers (RFC 4303 section 2.2.1). */
#define L2X_CTL_SA_ESN 0x01u
/* Largest anti-replay window (RFC 4303 section 3.4.3; DESIGN.md). */
#define L2X_CTL_REPLAY_MAX 4096
/* Key field: 32-byte key followed by the 4-byte salt (RFC 4106 section
 * 8.1, RFC 7634 section 2), the layout IKE's KEYMAT gives. Both AEADs
 * take these lengths (wire.h's L2X_ESP_KEY_LEN and L2X_ESP_SALT_LEN,
 * asserted equal in dataplane/ctl.c). */
#define L2X_CTL_ESP_KEY_LEN 32
#define L2X_CTL_ESP_SALT_LEN 4
#define L2X_CTL_KEY_MAX (L2X_CTL_ESP_KEY_LEN + L2X_CTL_ESP_SALT_LEN)

/* Which side of the tunnel owns an extended network's gateway. */
enum l2x_ctl_gw_side {
	L2X_CTL_GW_NONE = 0, /* no gateway consistency for this network */
	L2X_CTL_GW_LOCAL = 1,
	L2X_CTL_GW_REMOTE = 2,
};

/* mss_clamp: 0 = auto (from the uplink MTU), 1 = off, or a fixed MSS from
 * 536 (RFC 1122 section 4.2.2.6 default) to the largest jumbo frame's
 * (9216 - 20 IPv4 - 20 TCP). The frame and header sizes are wire.h's
 * L2X_MAX_FRAME and DPDK's struct sizes (Ethernet, 802.1Q tag, IPv4 and
 * TCP without options), asserted equal in dataplane/ctl.c. */
#define L2X_CTL_MSS_AUTO 0
#define L2X_CTL_MSS_OFF 1
#define L2X_CTL_MSS_MIN 536
#define L2X_CTL_MAX_FRAME 9234 /* 9216 + Ethernet header + one tag */
#define L2X_CTL_ETHER_HDR_LEN 14
#define L2X_CTL_VLAN_HDR_LEN 4
#define L2X_CTL_IPV4_HDR_LEN 20
#define L2X_CTL_TCP_HDR_LEN 20
#define L2X_CTL_MSS_MAX                                                     \
	(L2X_CTL_MAX_FRAME - L2X_CTL_ETHER_HDR_LEN - L2X_CTL_VLAN_HDR_LEN - \
	 L2X_CTL_IPV4_HDR_LEN - L2X_CTL_TCP_HDR_LEN)
_Static_assert(L2X_CTL_MSS_MAX == 9176, "jumbo MSS");

/* VLAN ids an extended network may use (IEEE 802.1Q: 0 and 4095 are
 * reserved). */
#define L2X_CTL_VLAN_MIN 1
#define L2X_CTL_VLAN_MAX 4094
/* mac_limit: 0 = the dataplane's default, else at most this many. */
#define L2X_CTL_MAC_LIMIT_MAX (1u << 24)

/* Network names: 1..31 characters of [A-Za-z0-9_.-] + NUL in 32 bytes. */
#define L2X_CTL_NAME_LEN 32
/* ERROR text: printable ASCII, at most 199 characters + NUL. */
#define L2X_CTL_TEXT_LEN 200
/* ERROR code: a positive errno value, as netlink replies carry. */
#define L2X_CTL_ERRNO_MAX 4095

/* What SHOW asks for: name, value, the word l2xctl takes. IKE is not
 * the dataplane's: l2x-ike answers it on its own status socket (the
 * control socket's path + ".ike", ipsec/ike/ike_status.h) and the dataplane
 * refuses it with ERROR EINVAL, as l2x-ike refuses every other table. */
#define l2x_foreach_ctl_show(_)    \
	_(NETWORKS, 1, "networks") \
	_(MACS, 2, "macs")         \
	_(TUNNELS, 3, "tunnels")   \
	_(SA, 4, "sa")             \
	_(STATS, 5, "stats")       \
	_(DROPS, 6, "drops")       \
	_(MTU, 7, "mtu")           \
	_(IKE, 8, "ike")

enum l2x_ctl_show {
#define L2X_CTL_SHOW_ENUM(n, v, s) L2X_CTL_SHOW_##n = v,
	l2x_foreach_ctl_show(L2X_CTL_SHOW_ENUM)
#undef L2X_CTL_SHOW_ENUM
};

/* SHOW_PAGE: rows in one page at most. */
#define L2X_CTL_PAGE_ROWS_MAX 4096

/* SA_INFO state bits: a lifetime limit was reached. */
#define L2X_CTL_SA_SOFT_EXPIRED 0x01u
#define L2X_CTL_SA_HARD_EXPIRED 0x02u

/* ---- bodies on the wire ------------------------------------------------- */

/*
 * SA_ADD: install one SA. 112 bytes.
 *   spi            256..2^32-1 (L2X_CTL_SPI_MIN).
 *   dir            enum l2x_ctl_dir: 0 in, 1 out.
 *   alg            enum l2x_aead (wire_ids.h): 20 AES-256-GCM-16 or 28
 *                  ChaCha20-Poly1305, the IKEv2 transform ids.
 *   encap          enum l2x_encap (wire_ids.h): 0 GRE-TEB, 1 VXLAN.
 *   sa_flags       L2X_CTL_SA_ESN; other bits zero.
 *   replay_window  0..4096 packets; 0 turns anti-replay off.
 *   key_len        key + salt bytes the alg takes: 36 for both.
 *   reserved0      zero.
 *   key            key_len bytes of key then salt; the rest zero.
 *   soft_*, hard_* lifetimes in bytes, packets and seconds; 0 = none.
 *                  A soft limit is at most its hard limit when both are
 *                  set (RFC 4301 section 4.4.2.1).
 *   peer_addr      peer's uplink IPv4, unicast: not 0/8, 127/8, 224/3.
 *   local_addr     our uplink IPv4, unicast likewise.
 *   peer_port      peer's UDP port, 1..65535 (4500, or another after NAT).
 *   local_port     our UDP port, 1..65535.
 *   tunnel         1..2^32-1: which configured tunnel this SA carries
 *                  (strongSwan's reqid); it names the inner endpoints.
 */
struct l2x_ctl_w_sa_add {
	l2x_be32_t spi;
	uint8_t dir;
	uint8_t alg;
	uint8_t encap;
	uint8_t sa_flags;
	l2x_be16_t replay_window;
	uint8_t key_len;
	uint8_t reserved0;
	uint8_t key[L2X_CTL_KEY_MAX];
	l2x_be64_t soft_bytes;
	l2x_be64_t hard_bytes;
	l2x_be64_t soft_packets;
	l2x_be64_t hard_packets;
	l2x_be64_t soft_seconds;
	l2x_be64_t hard_seconds;
	l2x_be32_t peer_addr;
	l2x_be32_t local_addr;
	l2x_be16_t peer_port;
	l2x_be16_t local_port;
	l2x_be32_t tunnel;
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_ctl_w_sa_add) == 112, "SA_ADD body");

/* SA_DEL and SA_QUERY: one SA by SPI and direction. 8 bytes.
 *   spi        256..2^32-1.   dir  0 in, 1 out.   reserved0  zero. */
struct l2x_ctl_w_sa_id {
	l2x_be32_t spi;
	uint8_t dir;
	uint8_t reserved0[3];
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_ctl_w_sa_id) == 8, "SA_DEL/QUERY body");

/* SA_UPDATE: the peer's address or port changed (NAT rebinding, RFC 3948
 * section 5; IKEv2 NAT-T / MOBIKE update). 16 bytes.
 *   spi, dir   as SA_DEL.            reserved0, reserved1  zero.
 *   peer_addr  unicast IPv4.         peer_port  1..65535. */
struct l2x_ctl_w_sa_update {
	l2x_be32_t spi;
	uint8_t dir;
	uint8_t reserved0[3];
	l2x_be32_t peer_addr;
	l2x_be16_t peer_port;
	uint8_t reserved1[2];
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_ctl_w_sa_update) == 16, "SA_UPDATE body");

/*
 * NET_ADD: extend a VLAN over a tunnel. 52 bytes.
 *   name       1..31 characters of [A-Za-z0-9_.-], NUL, zeros.
 *   vlan       1..4094.
 *   mss_clamp  0 auto, 1 off, or 536..9176.
 *   tunnel_id  any 32-bit value; the GRE key or VNI. (VXLAN's 24-bit VNI
 *              limit depends on the tunnel's encap: the dataplane checks.)
 *   gw_addr    gateway IPv4: 0 when gw_side is none, else unicast and
 *              (for gw_prefix <= 30) neither its subnet's network nor
 *              broadcast address.
 *   gw_prefix  0 when gw_side is none, else 1..32.
 *   gw_side    enum l2x_ctl_gw_side: 0 none, 1 local, 2 remote.
 *   reserved0  zero.
 *   mac_limit  0 (the dataplane's default) .. 2^24 MAC entries.
 */
struct l2x_ctl_w_net_add {
	char name[L2X_CTL_NAME_LEN];
	l2x_be16_t vlan;
	l2x_be16_t mss_clamp;
	l2x_be32_t tunnel_id;
	l2x_be32_t gw_addr;
	uint8_t gw_prefix;
	uint8_t gw_side;
	uint8_t reserved0[2];
	l2x_be32_t mac_limit;
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_ctl_w_net_add) == 52, "NET_ADD body");

/* NET_DEL: remove a network by name or by VLAN, exactly one of them.
 * 36 bytes.
 *   name       empty (all zero), or a name as in NET_ADD.
 *   vlan       0 (not given) or 1..4094.      reserved0  zero. */
struct l2x_ctl_w_net_del {
	char name[L2X_CTL_NAME_LEN];
	l2x_be16_t vlan;
	uint8_t reserved0[2];
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_ctl_w_net_del) == 36, "NET_DEL body");

/* SHOW: ask for a table as JSON. 36 bytes.
 *   what       enum l2x_ctl_show: 1..8.       reserved0  zero.
 *   network    for MACS: empty (every network) or a name; for every
 *              other what: empty. */
struct l2x_ctl_w_show {
	uint8_t what;
	uint8_t reserved0[3];
	char network[L2X_CTL_NAME_LEN];
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_ctl_w_show) == 36, "SHOW body");

/*
 * SHOW_PAGE: one page of a table that grows with the networks, networks
 * or macs, so that neither answer nor work is large: 4094 networks and
 * 64k MACs are a few hundred KiB to megabytes of JSON, which SHOW builds
 * whole while the dataplane's control thread does nothing else (GitHub
 * issue 10). 44 bytes.
 *   what       NETWORKS (1) or MACS (2).     reserved0  zero.
 *   network    as SHOW's: for MACS empty (every network) or a name; for
 *              NETWORKS empty.
 *   cursor     0: the first page; else the "next" of the page before.
 *              Opaque: the dataplane's position in its table.
 *   max_rows   1..L2X_CTL_PAGE_ROWS_MAX: rows in this page at most.
 *   reserved1  zero.
 * The answer is SHOW_REPLY chunks as for SHOW, of the table's JSON with
 * one member more after the rows, "next": the cursor of the page that
 * follows, left out on the last page. A page may hold fewer rows than
 * max_rows, even none, and still have a next: the dataplane also bounds
 * the table positions one page visits. Entries added or removed between
 * two pages may be missed or shown; each other one is shown once.
 */
struct l2x_ctl_w_show_page {
	uint8_t what;
	uint8_t reserved0[3];
	char network[L2X_CTL_NAME_LEN];
	l2x_be32_t cursor;
	l2x_be16_t max_rows;
	uint8_t reserved1[2];
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_ctl_w_show_page) == 44, "SHOW_PAGE body");

/* MACS_CLEAR: flush the learned MACs of one network. 32 bytes.
 *   network    a name as in NET_ADD (required). */
struct l2x_ctl_w_macs_clear {
	char network[L2X_CTL_NAME_LEN];
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_ctl_w_macs_clear) == 32, "MACS_CLEAR");

/* CONFIG_RELOAD, SPI_ALLOC, PEER_QUERY and OK have an empty body
 * (length 0).
 *
 * SPI_ALLOC asks the dataplane for the SPI of an inbound SA that IKE is
 * about to negotiate (strongSwan's kernel_ipsec_t.get_spi): the receiver
 * chooses its SPIs (RFC 4303 section 2.1), and only the dataplane knows
 * every SA that l2x-ike, static configuration or a restarted l2x-ike
 * installed. It answers SPI with one that no inbound SA uses and that it
 * has not handed out before while the allocation may still be pending;
 * how it keeps them unique and random is the dataplane's. An allocation
 * ends with the inbound SA_ADD that uses it, or with an SA_DEL (dir in)
 * of that SPI when the negotiation failed (l2x-ike sends it: charon
 * deletes the SPIs it got); the answer to that SA_DEL may be OK or
 * ENOENT, both mean released. */

/* SPI: the answer to SPI_ALLOC. 4 bytes.
 *   spi        256..2^32-1 (L2X_CTL_SPI_MIN). */
struct l2x_ctl_w_spi {
	l2x_be32_t spi;
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_ctl_w_spi) == 4, "SPI body");

/* PEER: the answer to PEER_QUERY: where the tunnel's ESP goes now. 8
 * bytes. The dataplane sends to the address and port of the last SA_ADD
 * (outbound) or SA_UPDATE, and moves to the source of authenticated ESP
 * that comes from elsewhere (a NAT that changed its mapping, RFC 3948
 * section 5); before any SA, to peer.address port 4500. l2x-ike asks for
 * it to learn such a move and hand it to charon as the kernel's NAT
 * mapping event (ipsec/ike/ike_natmap.h).
 *   peer_addr  unicast IPv4.    peer_port  1..65535.   reserved0  zero. */
struct l2x_ctl_w_peer {
	l2x_be32_t peer_addr;
	l2x_be16_t peer_port;
	uint8_t reserved0[2];
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_ctl_w_peer) == 8, "PEER body");

/* ERROR: a request was refused. 204 bytes.
 *   code       1..4095, an errno value: EPROTO malformed request, EINVAL
 *              refused value, ENOENT no such SA/network, EEXIST, ENOSPC.
 *   text       the reason as a sentence for a human, like the kernel's
 *              NL_SET_ERR_MSG: 0..199 bytes of printable ASCII (0x20..0x7e),
 *              NUL, zeros. */
struct l2x_ctl_w_error {
	l2x_be32_t code;
	char text[L2X_CTL_TEXT_LEN];
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_ctl_w_error) == 204, "ERROR body");

/* SA_INFO: the answer to SA_QUERY; counters only, never key material.
 * 32 bytes.
 *   spi, dir   as in the query.     alg  enum l2x_aead: 20 or 28.
 *   state      L2X_CTL_SA_SOFT_EXPIRED | L2X_CTL_SA_HARD_EXPIRED; other
 *              bits zero.            reserved0  zero.
 *   packets, bytes  ESP packets and payload bytes through the SA.
 *   last_use   the dataplane's clock in seconds at the last packet, 0 =
 *              never used. */
struct l2x_ctl_w_sa_info {
	l2x_be32_t spi;
	uint8_t dir;
	uint8_t alg;
	uint8_t state;
	uint8_t reserved0;
	l2x_be64_t packets;
	l2x_be64_t bytes;
	l2x_be64_t last_use;
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_ctl_w_sa_info) == 32, "SA_INFO body");

/* SHOW_REPLY: one chunk of the JSON text a SHOW asked for. 4 bytes, then
 * the text to the end of the message.
 *   what       the SHOW's what, 1..8.        reserved0  zero.
 *   text       0..L2X_CTL_SHOW_TEXT_MAX bytes of well-formed UTF-8 (RFC
 *              3629: no overlong forms, no surrogates, at most U+10FFFF)
 *              with no NUL and no control character but tab, LF and CR
 *              (the JSON whitespace; JSON strings escape the others).
 *              Chunks split only between characters (use
 *              l2x_ctlmsg_text_chunk()); the client concatenates chunks
 *              until one arrives without L2X_CTL_F_MORE. */
struct l2x_ctl_w_show_reply {
	uint8_t what;
	uint8_t reserved0[3];
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_ctl_w_show_reply) == 4, "SHOW_REPLY fixed");

#define L2X_CTL_SHOW_TEXT_MAX \
	(L2X_CTL_BODY_MAX - sizeof(struct l2x_ctl_w_show_reply))

/* ---- errors ------------------------------------------------------------- */

/* Why a message was refused: name and the sentence l2x_ctl_err_str()
 * gives. l2x_ctl_fault.text says it for the message at hand. */
#define l2x_foreach_ctl_err(_)                                              \
	_(OK, "no error")                                                   \
	_(SHORT, "message shorter than the 16-byte header")                 \
	_(BAD_MAGIC, "not an l2x control message")                          \
	_(BAD_VERSION, "unsupported protocol version")                      \
	_(TOO_LONG, "message longer than 64 KiB")                           \
	_(LENGTH_MISMATCH, "length field does not match the message size")  \
	_(UNKNOWN_TYPE, "unknown message type")                             \
	_(BAD_FLAGS, "flag bits not defined for this message")              \
	_(BODY_SIZE, "body size is wrong for the message type")             \
	_(RESERVED_NONZERO, "reserved or padding bytes must be zero")       \
	_(BAD_FIELD, "field value out of range")                            \
	_(BAD_NAME, "a network name is 1..31 characters of [A-Za-z0-9_.-]") \
	_(BAD_ALG, "unsupported AEAD algorithm")                            \
	_(BAD_KEY_LEN, "key length does not match the algorithm")           \
	_(BAD_TEXT, "text is not NUL-terminated, printable or valid UTF-8")

enum l2x_ctl_err {
#define L2X_CTL_ERR_ENUM(n, s) L2X_CTL_ERR_##n,
	l2x_foreach_ctl_err(L2X_CTL_ERR_ENUM)
#undef L2X_CTL_ERR_ENUM
	    L2X_CTL_ERR__COUNT
};

/* The detail of a refusal. text fits an ERROR reply's text as it is. */
struct l2x_ctl_fault {
	enum l2x_ctl_err err;
	const char *field; /* wire field name ("vlan"), static; or NULL */
	uint64_t value;	   /* the offending value when it is a number */
	char text[L2X_CTL_TEXT_LEN]; /* "vlan: 4095 is outside 1..4094" */
};

/* ---- parsed messages (host byte order) ---------------------------------- */

struct l2x_ctl_lifetime {
	uint64_t bytes;	  /* 0 = no limit */
	uint64_t packets; /* 0 = no limit */
	uint64_t seconds; /* 0 = no limit */
};

struct l2x_ctl_sa_add {
	uint32_t spi;
	enum l2x_ctl_dir dir;
	enum l2x_aead alg;
	enum l2x_encap encap;
	uint8_t sa_flags; /* L2X_CTL_SA_ESN */
	uint16_t replay_window;
	uint8_t key_len;
	uint8_t key[L2X_CTL_KEY_MAX]; /* secret: l2x_ctlmsg_wipe() */
	struct l2x_ctl_lifetime soft, hard;
	uint32_t peer_addr, local_addr; /* host order */
	uint16_t peer_port, local_port;
	uint32_t tunnel;
};

struct l2x_ctl_sa_id {
	uint32_t spi;
	enum l2x_ctl_dir dir;
};

struct l2x_ctl_sa_update {
	uint32_t spi;
	enum l2x_ctl_dir dir;
	uint32_t peer_addr; /* host order */
	uint16_t peer_port;
};

struct l2x_ctl_net_add {
	char name[L2X_CTL_NAME_LEN];
	uint16_t vlan;
	uint16_t mss_clamp;
	uint32_t tunnel_id;
	uint32_t gw_addr; /* host order */
	uint8_t gw_prefix;
	enum l2x_ctl_gw_side gw_side;
	uint32_t mac_limit;
};

struct l2x_ctl_net_del {
	char name[L2X_CTL_NAME_LEN]; /* "" when by vlan */
	uint16_t vlan;		     /* 0 when by name */
};

struct l2x_ctl_show_req {
	enum l2x_ctl_show what;
	char network[L2X_CTL_NAME_LEN]; /* "" = all; MACS only */
};

struct l2x_ctl_show_page {
	enum l2x_ctl_show what;		/* NETWORKS or MACS */
	char network[L2X_CTL_NAME_LEN]; /* "" = all; MACS only */
	uint32_t cursor;		/* 0: first page */
	uint16_t max_rows;		/* 1..L2X_CTL_PAGE_ROWS_MAX */
};

struct l2x_ctl_macs_clear {
	char network[L2X_CTL_NAME_LEN];
};

struct l2x_ctl_error {
	uint32_t code; /* errno value */
	char text[L2X_CTL_TEXT_LEN];
};

struct l2x_ctl_spi {
	uint32_t spi;
};

struct l2x_ctl_peer {
	uint32_t peer_addr; /* host order */
	uint16_t peer_port;
};

struct l2x_ctl_sa_info {
	uint32_t spi;
	enum l2x_ctl_dir dir;
	enum l2x_aead alg;
	uint8_t state; /* L2X_CTL_SA_SOFT_EXPIRED, _HARD_EXPIRED */
	uint64_t packets, bytes, last_use;
};

struct l2x_ctl_show_reply {
	enum l2x_ctl_show what;
	/* After parse: points into the parsed datagram (valid while it is);
	 * for build: the caller's text. Not NUL-terminated. */
	const char *text;
	size_t text_len;
};

/* One message, either direction. type selects the member of u; OK,
 * CONFIG_RELOAD, SPI_ALLOC and PEER_QUERY use none. */
struct l2x_ctlmsg {
	enum l2x_ctl_type type;
	uint16_t flags; /* L2X_CTL_F_MORE */
	uint32_t req_id;
	union {
		struct l2x_ctl_sa_add sa_add;
		struct l2x_ctl_sa_id sa_id; /* SA_DEL and SA_QUERY */
		struct l2x_ctl_sa_update sa_update;
		struct l2x_ctl_net_add net_add;
		struct l2x_ctl_net_del net_del;
		struct l2x_ctl_show_req show;
		struct l2x_ctl_show_page show_page;
		struct l2x_ctl_macs_clear macs_clear;
		struct l2x_ctl_error error;
		struct l2x_ctl_sa_info sa_info;
		struct l2x_ctl_show_reply show_reply;
		struct l2x_ctl_spi spi;	  /* SPI */
		struct l2x_ctl_peer peer; /* PEER */
	} u;
	struct l2x_ctl_fault fault; /* filled by l2x_ctlmsg_parse() */
};

/* ---- API ---------------------------------------------------------------- */

/*
 * Parse one datagram.
 *   p, len  the datagram exactly as received; never read past p + len.
 *   out     filled: on success the message, out->fault.err = OK; on
 *           failure out->fault (err, field, value, text) and nothing of
 *           the body (no key bytes). out->req_id and out->type are set
 *           whenever the result is not SHORT, BAD_MAGIC or BAD_VERSION,
 *           so that the ERROR reply can echo the request id.
 * Returns L2X_CTL_ERR_OK or the reason.
 */
enum l2x_ctl_err l2x_ctlmsg_parse(const uint8_t *p, size_t len,
				  struct l2x_ctlmsg *out);

/*
 * Check a message as parse would (flags, every field range, names, text)
 * without encoding it.
 *   m      the message; m->fault is ignored.
 *   fault  receives the reason; may be NULL.
 * Returns L2X_CTL_ERR_OK or the reason.
 */
enum l2x_ctl_err l2x_ctlmsg_check(const struct l2x_ctlmsg *m,
				  struct l2x_ctl_fault *fault);

/*
 * Encode a message (magic and version are added).
 *   m    the message; only what its type uses is read; m->fault is
 *        ignored. Strings are copied up to their NUL, the rest zeroed.
 *   buf  where the datagram goes. Holds the SA key after an SA_ADD: the
 *        caller wipes it (sodium_memzero) once sent.
 *   cap  bytes available in buf; L2X_CTL_MSG_MAX always suffices.
 * Returns the message length, -EINVAL if the message would not parse
 * (l2x_ctlmsg_check() says why) or -ENOSPC if cap is too small. On
 * error nothing is written to buf.
 */
ssize_t l2x_ctlmsg_build(const struct l2x_ctlmsg *m, uint8_t *buf, size_t cap);

/* Wipe the whole message, key material included (sodium_memzero). Call
 * after installing an SA_ADD; NULL is accepted. */
void l2x_ctlmsg_wipe(struct l2x_ctlmsg *m);

/*
 * How many bytes of text (well-formed UTF-8, len bytes) the next
 * SHOW_REPLY chunk carries: all of it if it fits L2X_CTL_SHOW_TEXT_MAX,
 * else the longest prefix that fits and ends between characters. Set
 * L2X_CTL_F_MORE on the chunk when the result is less than len.
 */
size_t l2x_ctlmsg_text_chunk(const char *text, size_t len);

/*
 * The SHOW_REPLY messages of one answer: text (len bytes of well-formed
 * UTF-8; an empty text is one empty reply) cut by l2x_ctlmsg_text_chunk(),
 * each with what and req_id, L2X_CTL_F_MORE on all but the last, handed in
 * order to emit(ctx, m), which sends it (the codec itself never touches a
 * socket). Stops at the first emit that returns nonzero.
 * Returns 0, that value, or -1 when the text cannot be cut (a chunk would
 * be empty: not UTF-8).
 */
int l2x_ctlmsg_show_reply_each(
    enum l2x_ctl_show what, uint32_t req_id, const char *text, size_t len,
    int (*emit)(void *ctx, const struct l2x_ctlmsg *m), void *ctx);

/* The sentence for a reason ("not an l2x control message"). Never NULL. */
const char *l2x_ctl_err_str(enum l2x_ctl_err err);
/* "sa_add", "show_reply", ...; "unknown" for other values. Never NULL. */
const char *l2x_ctlmsg_type_str(enum l2x_ctl_type type);
/* "networks", "macs", ...; "unknown" for other values. Never NULL. */
const char *l2x_ctlmsg_show_str(enum l2x_ctl_show what);

#endif /* L2X_CTLMSG_H */
