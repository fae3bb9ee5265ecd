/* SPDX-License-Identifier: MIT */
/*
 * mtu.c - overhead figures, computed at setup (control side of mtu.h).
 *
 * Every figure comes from wire.h's sizeof-derived constants, so a change of
 * format changes them all. The per-packet parts are in mtu_fast.c.
 */
#include <errno.h>
#include <string.h>

#include <rte_tcp.h>

#include "dataplane/mtu.h"

#define STR_KEY(sym, str) [L2X_FRAG_DROP_##sym] = #sym,
#define STR_DESC(sym, str) [L2X_FRAG_DROP_##sym] = str,
const char *const l2x_frag_drop_key[L2X_FRAG_DROP_MAX] = {
    [L2X_FRAG_DROP_NONE] = "NONE", l2x_foreach_frag_drop(STR_KEY)};
const char *const l2x_frag_drop_str[L2X_FRAG_DROP_MAX] = {
    [L2X_FRAG_DROP_NONE] = "not dropped", l2x_foreach_frag_drop(STR_DESC)};
#undef STR_KEY
#undef STR_DESC

/* The ESP parameters of each AEAD: one table, unknown entries refused
 * (STYLE.md 15). Both carry an 8-byte IV and a 16-byte ICV today. */
static const struct {
	enum l2x_aead aead;
	uint16_t iv;
	uint16_t icv;
} aead_tab[] = {
    {L2X_AEAD_AES256GCM, L2X_ESP_IV_LEN, L2X_ESP_ICV_LEN},
    {L2X_AEAD_CHACHA20POLY1305, L2X_ESP_IV_LEN, L2X_ESP_ICV_LEN},
};

int l2x_mtu_overhead(enum l2x_encap encap, enum l2x_aead aead,
		     struct l2x_mtu_overhead *out)
{
	struct l2x_mtu_overhead o;
	size_t i;

	memset(&o, 0, sizeof(o));
	for (i = 0; i < sizeof(aead_tab) / sizeof(aead_tab[0]); i++)
		if (aead_tab[i].aead == aead)
			break;
	if (i == sizeof(aead_tab) / sizeof(aead_tab[0]))
		return -EINVAL;
	o.esp_iv = aead_tab[i].iv;
	o.esp_icv = aead_tab[i].icv;

	switch (encap) {
	case L2X_ENCAP_GRE:
		o.gre = sizeof(struct l2x_gre_key_hdr);
		break;
	case L2X_ENCAP_VXLAN:
		o.inner_udp = sizeof(struct rte_udp_hdr);
		o.vxlan = sizeof(struct l2x_vxlan_hdr);
		break;
	default:
		return -EINVAL;
	}
	o.outer_ipv4 = sizeof(struct rte_ipv4_hdr);
	o.outer_udp = sizeof(struct rte_udp_hdr);
	o.esp_hdr = sizeof(struct l2x_esp_hdr);
	o.inner_ipv4 = sizeof(struct rte_ipv4_hdr);
	o.frame_eth = sizeof(struct rte_ether_hdr);
	o.esp_align = L2X_ESP_ALIGN;
	o.esp_pad_max = L2X_ESP_ALIGN - 1;
	o.esp_trailer = sizeof(struct l2x_esp_trailer);
	o.fixed = o.outer_ipv4 + o.outer_udp + o.esp_hdr + o.esp_iv +
		  o.inner_ipv4 + o.gre + o.inner_udp + o.vxlan + o.esp_trailer +
		  o.esp_icv;
	*out = o;
	return 0;
}

/* Bytes before and after the ESP plaintext that is padded: the outer IPv4,
 * UDP, ESP header and IV in front, the ICV behind. */
static uint32_t esp_wrap(const struct l2x_mtu_overhead *o)
{
	return o->outer_ipv4 + o->outer_udp + o->esp_hdr + o->esp_iv +
	       o->esp_icv;
}

/* Inner headers in front of the carried frame, inside ESP. */
static uint32_t inner_hdrs(const struct l2x_mtu_overhead *o)
{
	return o->inner_ipv4 + o->gre + o->inner_udp + o->vxlan;
}

uint32_t l2x_mtu_outer_len(const struct l2x_mtu_overhead *o, uint32_t frame_len)
{
	/* RFC 4303 section 2.4: payload + padding + pad length + next header
	 * ends on a multiple of esp_align. */
	uint32_t plain = inner_hdrs(o) + frame_len + o->esp_trailer;
	uint32_t pad = (o->esp_align - plain % o->esp_align) % o->esp_align;

	return esp_wrap(o) + plain + pad;
}

uint32_t l2x_mtu_max_frame(const struct l2x_mtu_overhead *o, uint32_t mtu)
{
	uint32_t wrap = esp_wrap(o), plain, hdrs;

	if (mtu <= wrap)
		return 0;
	/* The largest padded plaintext that fits, rounded down to the
	 * alignment, then what is left for the frame. */
	plain = (mtu - wrap) / o->esp_align * o->esp_align;
	hdrs = inner_hdrs(o) + o->esp_trailer;
	return plain > hdrs ? plain - hdrs : 0;
}

static uint16_t mss(const struct l2x_mtu_overhead *o, uint32_t mtu,
		    uint32_t ip_hdr)
{
	uint32_t frame = l2x_mtu_max_frame(o, mtu);
	uint32_t hdrs = o->frame_eth + ip_hdr + sizeof(struct rte_tcp_hdr);

	if (frame <= hdrs)
		return 0;
	frame -= hdrs;
	return frame > UINT16_MAX ? UINT16_MAX : (uint16_t)frame;
}

uint16_t l2x_mtu_mss_ipv4(const struct l2x_mtu_overhead *o, uint32_t mtu)
{
	return mss(o, mtu, sizeof(struct rte_ipv4_hdr));
}

uint16_t l2x_mtu_mss_ipv6(const struct l2x_mtu_overhead *o, uint32_t mtu)
{
	return mss(o, mtu, sizeof(struct rte_ipv6_hdr));
}

int l2x_mtu_validate(uint32_t mtu)
{
	return mtu >= L2X_MTU_MIN && mtu <= L2X_MTU_MAX ? 0 : -ERANGE;
}

int l2x_mtu_plan(enum l2x_encap encap, enum l2x_aead aead, uint32_t mtu,
		 struct l2x_mtu_plan *out)
{
	struct l2x_mtu_plan p;
	int rc;

	memset(&p, 0, sizeof(p));
	rc = l2x_mtu_overhead(encap, aead, &p.oh);
	if (rc < 0)
		return rc;
	rc = l2x_mtu_validate(mtu);
	if (rc < 0)
		return rc;
	p.mtu = mtu;
	p.max_frame = l2x_mtu_max_frame(&p.oh, mtu);
	p.mss.ipv4 = l2x_mtu_mss_ipv4(&p.oh, mtu);
	p.mss.ipv6 = l2x_mtu_mss_ipv6(&p.oh, mtu);
	*out = p;
	return 0;
}
