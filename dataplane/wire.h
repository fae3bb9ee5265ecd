/* SPDX-License-Identifier: MIT */
/*
 * wire.h - every l2x on-the-wire structure, packed and size-asserted.
 *
 * The outer packet l2x sends between appliances (DESIGN.md, "Wire format"):
 *
 *   Ethernet | IPv4 | UDP 4500 | ESP hdr | IV 8 |
 *     [ inner IPv4 | GRE-TEB(key) or UDP 4789 + VXLAN | Ethernet frame |
 *       padding | ESP trailer ] | ICV 16
 *
 * Ethernet, IPv4 and UDP use DPDK's rte_ether_hdr, rte_ipv4_hdr and
 * rte_udp_hdr; what DPDK lacks, or defines with bitfields, is here.
 * Overheads are derived from sizeof(), never typed as literals, so that a
 * change of format changes every figure that depends on it.
 *
 * Thread-safety: declarations only.
 */
#ifndef L2X_WIRE_H
#define L2X_WIRE_H

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

/* enum l2x_encap and enum l2x_aead, the ids the control plane shares. */
#include "dataplane/wire_ids.h"

/* UDP port shared by IKE and ESP-in-UDP (RFC 3948 section 2). */
#define L2X_UDP_ENCAP_PORT 4500
/* IKE's own port (RFC 7296 section 2). */
#define L2X_IKE_PORT 500
/* IANA VXLAN port (RFC 7348 section 5). */
#define L2X_VXLAN_PORT 4789
/* GRE protocol type for Transparent Ethernet Bridging (RFC 1701). */
#define L2X_GRE_PROTO_TEB 0x6558
/* ESP next-header value for an inner IPv4 packet (tunnel mode). */
#define L2X_ESP_NH_IPV4 4

/* ESP header (RFC 4303 section 2). SPI 0 is reserved and never sent. */
struct l2x_esp_hdr {
	rte_be32_t spi;
	rte_be32_t seq; /* low 32 bits of the 64-bit sequence number */
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_esp_hdr) == 8, "RFC 4303 section 2");

/* Explicit IV of the AEAD transforms: the 64-bit sequence number
 * (RFC 4106 section 3.1, RFC 7634 section 2). */
#define L2X_ESP_IV_LEN 8
/* Integrity check value of both AEADs with a 16-byte tag. */
#define L2X_ESP_ICV_LEN 16
/* Salt from the key material, first part of the 12-byte nonce. */
#define L2X_ESP_SALT_LEN 4
#define L2X_ESP_KEY_LEN 32
/* Padding aligns the trailer end to 4 bytes (RFC 4303 section 2.4); both
 * AEADs are stream modes and need no more. */
#define L2X_ESP_ALIGN 4

/* ESP trailer, after the padding (RFC 4303 section 2.4-2.6). */
struct l2x_esp_trailer {
	uint8_t pad_len;
	uint8_t next_hdr;
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_esp_trailer) == 2, "RFC 4303 section 2");

/* Non-ESP marker: four zero bytes where the SPI would be mark an IKE
 * message on UDP 4500 (RFC 3948 section 2.2). */
struct l2x_non_esp_marker {
	rte_be32_t zero;
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_non_esp_marker) == 4, "RFC 3948 2.2");

/* NAT-T keepalive: a single 0xff byte (RFC 3948 section 2.3). */
#define L2X_NATT_KEEPALIVE 0xff
#define L2X_NATT_KEEPALIVE_LEN 1

/* GRE header with the key bit set (RFC 2890), carrying an Ethernet frame
 * (protocol 0x6558). The key is the tunnel id of the extended network. */
struct l2x_gre_key_hdr {
	rte_be16_t flags;    /* only L2X_GRE_FLAG_KEY set, version 0 */
	rte_be16_t protocol; /* L2X_GRE_PROTO_TEB */
	rte_be32_t key;	     /* tunnel id */
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_gre_key_hdr) == 8, "RFC 2890 section 2");
#define L2X_GRE_FLAG_KEY 0x2000

/* VXLAN header (RFC 7348 section 5). The VNI is the tunnel id. */
struct l2x_vxlan_hdr {
	rte_be32_t flags; /* 0x08000000: I flag, VNI valid */
	rte_be32_t vni;	  /* VNI << 8 */
} __attribute__((packed));
_Static_assert(sizeof(struct l2x_vxlan_hdr) == 8, "RFC 7348 section 5");
#define L2X_VXLAN_FLAG_I 0x08000000u
#define L2X_VXLAN_VNI_MAX 0xffffffu

/* Fixed parts of the overhead, each from its structures. */
#define L2X_OUTER_HDR_LEN                                             \
	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + \
	 sizeof(struct rte_udp_hdr))
#define L2X_ESP_HDR_LEN (sizeof(struct l2x_esp_hdr) + L2X_ESP_IV_LEN)
#define L2X_INNER_GRE_LEN \
	(sizeof(struct rte_ipv4_hdr) + sizeof(struct l2x_gre_key_hdr))
#define L2X_INNER_VXLAN_LEN                                         \
	(sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) + \
	 sizeof(struct l2x_vxlan_hdr))
/* Largest trailer: 3 padding bytes plus pad length and next header. */
#define L2X_ESP_TRAILER_MAX (L2X_ESP_ALIGN - 1 + sizeof(struct l2x_esp_trailer))

/* Largest Ethernet frame l2x carries (a 9216-byte jumbo MTU plus its
 * Ethernet header and one 802.1Q tag) and the mbuf room that holds it
 * encapsulated and encrypted, so that no packet ever needs a chain. */
#define L2X_MAX_FRAME (9216 + sizeof(struct rte_ether_hdr) + 4)
#define L2X_MBUF_ROOM                                                 \
	(RTE_PKTMBUF_HEADROOM + L2X_OUTER_HDR_LEN + L2X_ESP_HDR_LEN + \
	 L2X_INNER_VXLAN_LEN + L2X_MAX_FRAME + L2X_ESP_TRAILER_MAX +  \
	 L2X_ESP_ICV_LEN + 64)

#endif /* L2X_WIRE_H */
