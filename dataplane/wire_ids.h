/* SPDX-License-Identifier: MIT */
/*
 * wire_ids.h - the ids of l2x's wire formats that the control plane names
 * too: the inner encapsulation of a tunnel and the ESP transform of an SA.
 *
 * They are part of wire.h's vocabulary, but wire.h defines its headers
 * with DPDK's structures, and the control socket's protocol
 * (control/ctlmsg.h), l2x-ike and l2x-agent build without DPDK. So the
 * plain enums live here, with no include at all, and wire.h includes this
 * file: there is one definition of each id for both sides.
 *
 * Thread-safety: declarations only.
 */
#ifndef L2X_WIRE_IDS_H
#define L2X_WIRE_IDS_H

/* Inner encapsulation of a tunnel (DESIGN.md, "Wire format"). */
enum l2x_encap {
	L2X_ENCAP_GRE = 0,   /* inner IPv4 + GRE-TEB, key = tunnel id */
	L2X_ENCAP_VXLAN = 1, /* inner IPv4 + UDP 4789 + VXLAN, VNI = id */
};

/* The ESP transforms l2x speaks: AEAD only, 32-byte key + 4-byte salt,
 * 8-byte IV, 16-byte ICV (wire.h's L2X_ESP_* lengths). The values are the
 * IKEv2 transform ids (RFC 7296 / IANA "Transform Type 1"). */
enum l2x_aead {
	L2X_AEAD_AES256GCM = 20,	/* ENCR_AES_GCM_16, RFC 4106 */
	L2X_AEAD_CHACHA20POLY1305 = 28, /* ENCR_CHACHA20_POLY1305, RFC 7634 */
};

#endif /* L2X_WIRE_IDS_H */
