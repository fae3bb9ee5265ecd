/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dataplane/mtu.h: overhead figures (known answers and a
 * brute-force cross-check), TCP MSS clamping (a table of segments, every
 * truncation, checksums recomputed from scratch), outer IPv4
 * fragmentation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dataplane/mtu.h"
#include "tests/unit/testenv.h"

static const enum l2x_aead aeads[] = {L2X_AEAD_AES256GCM,
				      L2X_AEAD_CHACHA20POLY1305};

/* ---- overhead figures ------------------------------------------------ */

static void test_overhead_known(void **state)
{
	struct l2x_mtu_overhead o;
	(void)state;

	for (size_t a = 0; a < L2X_ARRAY_LEN(aeads); a++) {
		assert_int_equal(l2x_mtu_overhead(L2X_ENCAP_GRE, aeads[a], &o),
				 0);
		/* DESIGN.md: 20+8+8+8+20+8 (+2..5 trailer) +16 */
		assert_int_equal(o.outer_ipv4, 20);
		assert_int_equal(o.outer_udp, 8);
		assert_int_equal(o.esp_hdr, 8);
		assert_int_equal(o.esp_iv, 8);
		assert_int_equal(o.inner_ipv4, 20);
		assert_int_equal(o.gre, 8);
		assert_int_equal(o.inner_udp, 0);
		assert_int_equal(o.vxlan, 0);
		assert_int_equal(o.esp_trailer, 2);
		assert_int_equal(o.esp_pad_max, 3);
		assert_int_equal(o.esp_icv, 16);
		assert_int_equal(o.frame_eth, 14);
		assert_int_equal(o.esp_align, 4);
		assert_int_equal(o.fixed, 90);

		assert_int_equal(
		    l2x_mtu_overhead(L2X_ENCAP_VXLAN, aeads[a], &o), 0);
		assert_int_equal(o.gre, 0);
		assert_int_equal(o.inner_udp, 8);
		assert_int_equal(o.vxlan, 8);
		assert_int_equal(o.fixed, 98);
	}
	/* The printable parts add up to the whole: every header of the outer
	 * packet, the frame's own Ethernet header and the worst padding. */
	for (int e = 0; e <= 1; e++) {
		unsigned sum = 0, parts = 0;

		assert_int_equal(
		    l2x_mtu_overhead((enum l2x_encap)e, L2X_AEAD_AES256GCM, &o),
		    0);
#define PART(f, label)                          \
	do {                                    \
		assert_true(sizeof(label) > 1); \
		sum += o.f;                     \
		parts++;                        \
	} while (0);
		l2x_foreach_mtu_part(PART)
#undef PART
		    assert_int_equal(parts, 12);
		assert_int_equal(sum, o.fixed + o.frame_eth + o.esp_pad_max);
		/* GRE 20+8+8+8+20+8+14+3+2+16, VXLAN 8 more */
		assert_int_equal(sum, e ? 115 : 107);
	}
	memset(&o, 0x5a, sizeof(o));
	assert_int_equal(
	    l2x_mtu_overhead((enum l2x_encap)2, L2X_AEAD_AES256GCM, &o),
	    -EINVAL);
	assert_int_equal(l2x_mtu_overhead(L2X_ENCAP_GRE, (enum l2x_aead)12, &o),
			 -EINVAL);
	assert_int_equal(o.fixed, 0x5a5a); /* untouched */
}

/* Outer lengths by hand: 60 bytes around the ESP plaintext (outer IPv4
 * 20, UDP 8, ESP 8, IV 8, ICV 16); the plaintext (inner headers + frame +
 * 2-byte trailer) rounded up to 4. */
static void test_outer_len_known(void **state)
{
	static const struct {
		enum l2x_encap encap;
		uint32_t frame, outer;
	} c[] = {
	    /* GRE: plaintext 28 + L + 2 */
	    {L2X_ENCAP_GRE, 14, 104},	 /* 44 -> 44 */
	    {L2X_ENCAP_GRE, 60, 152},	 /* 90 -> 92 */
	    {L2X_ENCAP_GRE, 61, 152},	 /* 91 -> 92 */
	    {L2X_ENCAP_GRE, 62, 152},	 /* 92 -> 92 */
	    {L2X_ENCAP_GRE, 63, 156},	 /* 93 -> 96 */
	    {L2X_ENCAP_GRE, 64, 156},	 /* 94 -> 96: 92 overhead */
	    {L2X_ENCAP_GRE, 1410, 1500}, /* 1440 */
	    {L2X_ENCAP_GRE, 1411, 1504}, /* 1441 -> 1444 */
	    {L2X_ENCAP_GRE, 1514, 1604}, /* 1544 */
	    {L2X_ENCAP_GRE, 9216, 9308}, /* 9246 -> 9248 */
	    /* VXLAN: plaintext 36 + L + 2 */
	    {L2X_ENCAP_VXLAN, 64, 164},	   /* 102 -> 104 */
	    {L2X_ENCAP_VXLAN, 1402, 1500}, /* 1440 */
	    {L2X_ENCAP_VXLAN, 1403, 1504}, /* 1441 -> 1444 */
	    {L2X_ENCAP_VXLAN, 1514, 1612}, /* 1552 */
	};
	struct l2x_mtu_overhead o;
	(void)state;

	for (size_t i = 0; i < L2X_ARRAY_LEN(c); i++) {
		for (size_t a = 0; a < L2X_ARRAY_LEN(aeads); a++) {
			assert_int_equal(
			    l2x_mtu_overhead(c[i].encap, aeads[a], &o), 0);
			uint32_t got = l2x_mtu_outer_len(&o, c[i].frame);
			L2X_CHECK(got == c[i].outer,
				  "case %zu: outer %u want %u", i, got,
				  c[i].outer);
		}
	}
}

/* Largest frame and MSS by hand: plaintext = floor((M - 60) / 4) * 4;
 * frame = plaintext - 2 - inner headers (28 GRE, 36 VXLAN); MSS = frame
 * - 14 - 20 (IPv4) or - 40 (IPv6) - 20. */
static void test_max_frame_mss_known(void **state)
{
	static const struct {
		enum l2x_encap encap;
		uint32_t mtu, frame;
		uint16_t mss4, mss6;
	} c[] = {
	    {L2X_ENCAP_GRE, 576, 486, 432, 412},
	    {L2X_ENCAP_GRE, 1280, 1190, 1136, 1116},
	    {L2X_ENCAP_GRE, 1499, 1406, 1352, 1332},
	    {L2X_ENCAP_GRE, 1500, 1410, 1356, 1336},
	    {L2X_ENCAP_GRE, 9000, 8910, 8856, 8836},
	    {L2X_ENCAP_GRE, 9216, 9126, 9072, 9052},
	    {L2X_ENCAP_VXLAN, 576, 478, 424, 404},
	    {L2X_ENCAP_VXLAN, 1280, 1182, 1128, 1108},
	    {L2X_ENCAP_VXLAN, 1500, 1402, 1348, 1328},
	    {L2X_ENCAP_VXLAN, 1503, 1402, 1348, 1328},
	    {L2X_ENCAP_VXLAN, 9000, 8902, 8848, 8828},
	    {L2X_ENCAP_VXLAN, 9216, 9118, 9064, 9044},
	};
	struct l2x_mtu_overhead o;
	struct l2x_mtu_plan p;
	(void)state;

	for (size_t i = 0; i < L2X_ARRAY_LEN(c); i++) {
		for (size_t a = 0; a < L2X_ARRAY_LEN(aeads); a++) {
			assert_int_equal(
			    l2x_mtu_overhead(c[i].encap, aeads[a], &o), 0);
			uint32_t f = l2x_mtu_max_frame(&o, c[i].mtu);
			uint16_t m4 = l2x_mtu_mss_ipv4(&o, c[i].mtu);
			uint16_t m6 = l2x_mtu_mss_ipv6(&o, c[i].mtu);
			L2X_CHECK(f == c[i].frame, "case %zu: frame %u", i, f);
			L2X_CHECK(m4 == c[i].mss4, "case %zu: mss4 %u", i, m4);
			L2X_CHECK(m6 == c[i].mss6, "case %zu: mss6 %u", i, m6);
			assert_int_equal(
			    l2x_mtu_plan(c[i].encap, aeads[a], c[i].mtu, &p),
			    0);
			L2X_CHECK(p.mtu == c[i].mtu && p.max_frame == f &&
				      p.mss.ipv4 == m4 && p.mss.ipv6 == m6 &&
				      p.oh.fixed == o.fixed,
				  "case %zu: plan", i);
		}
	}
	/* Nothing fits below the fixed part. */
	assert_int_equal(l2x_mtu_overhead(L2X_ENCAP_GRE, aeads[0], &o), 0);
	assert_int_equal(l2x_mtu_max_frame(&o, 60), 0);
	assert_int_equal(l2x_mtu_max_frame(&o, 0), 0);
	assert_int_equal(l2x_mtu_mss_ipv4(&o, 100), 0);
}

/* For every frame length: outer <= MTU iff frame <= max_frame; and for
 * every MTU, max_frame is tight. Padding always 0..3 and aligned. */
static void test_max_frame_brute_force(void **state)
{
	static const uint32_t mtus[] = {576, 1280, 1500, 9000, 9216};
	struct l2x_mtu_overhead o;
	(void)state;

	for (int e = 0; e <= 1; e++) {
		for (size_t a = 0; a < L2X_ARRAY_LEN(aeads); a++) {
			assert_int_equal(
			    l2x_mtu_overhead((enum l2x_encap)e, aeads[a], &o),
			    0);
			for (size_t i = 0;
			     i < L2X_ARRAY_LEN(mtus) + (1600 - 1400 + 1); i++) {
				uint32_t mtu =
				    i < L2X_ARRAY_LEN(mtus)
					? mtus[i]
					: 1400 + (uint32_t)(i - L2X_ARRAY_LEN(
								    mtus));
				uint32_t max = l2x_mtu_max_frame(&o, mtu);

				for (uint32_t l = 14; l <= 9216; l++) {
					int fits =
					    l2x_mtu_outer_len(&o, l) <= mtu;
					L2X_CHECK(
					    fits == (l <= max),
					    "encap %d mtu %u frame %u max %u",
					    e, mtu, l, max);
				}
			}
			for (uint32_t mtu = L2X_MTU_MIN; mtu <= L2X_MTU_MAX;
			     mtu++) {
				uint32_t max = l2x_mtu_max_frame(&o, mtu);
				L2X_CHECK(
				    l2x_mtu_outer_len(&o, max) <= mtu &&
					l2x_mtu_outer_len(&o, max + 1) > mtu,
				    "encap %d mtu %u max %u", e, mtu, max);
			}
			for (uint32_t l = 0; l <= 9216; l++) {
				uint32_t out = l2x_mtu_outer_len(&o, l);
				uint32_t pad = out - o.fixed - l;
				L2X_CHECK(pad <= o.esp_pad_max &&
					      (out - 60) % o.esp_align == 0,
					  "encap %d frame %u pad %u", e, l,
					  pad);
			}
		}
	}
}

static void test_validate(void **state)
{
	static const struct {
		uint32_t mtu;
		int rc;
	} c[] = {{0, -ERANGE}, {575, -ERANGE},	{576, 0},	 {1500, 0},
		 {9216, 0},    {9217, -ERANGE}, {65535, -ERANGE}};
	struct l2x_mtu_plan p;
	(void)state;

	for (size_t i = 0; i < L2X_ARRAY_LEN(c); i++) {
		L2X_CHECK(l2x_mtu_validate(c[i].mtu) == c[i].rc, "case %zu", i);
		L2X_CHECK(l2x_mtu_plan(L2X_ENCAP_GRE, L2X_AEAD_AES256GCM,
				       c[i].mtu, &p) == c[i].rc,
			  "case %zu: plan", i);
	}
	assert_int_equal(
	    l2x_mtu_plan((enum l2x_encap)7, L2X_AEAD_AES256GCM, 1500, &p),
	    -EINVAL);
}

/* ---- MSS clamping ---------------------------------------------------- */

#define CLAMP4 1356
#define CLAMP6 1336
static const struct l2x_mss_clamp clamp = {CLAMP4, CLAMP6};

/* A segment to build. */
struct seg {
	int v6;
	uint8_t flags;	    /* TCP flags, 0x02 SYN */
	const char *opts;   /* TCP options, hex, a multiple of 4 bytes */
	unsigned ip_opt;    /* IPv4: 4-byte option words (IHL - 5) */
	uint16_t frag;	    /* IPv4 fragment_offset field */
	unsigned ext;	    /* IPv6: extension headers before TCP */
	uint8_t ext_type;   /* their type (0, 43, 60, 44) */
	size_t data;	    /* TCP payload bytes */
	size_t eth_pad;	    /* bytes after the IP packet */
	uint8_t proto;	    /* 0: TCP */
	uint16_t ethertype; /* 0: by v6 */
	uint16_t window;
};

/* Independent RFC 1071 sum (no DPDK helper): big-endian 16-bit words,
 * odd tail padded with zero, carries folded. */
static uint32_t sum1071(uint32_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The TCP checksum from scratch over pseudo-header + segment, with the
 * checksum field taken as zero. l3 points at the IP header, tcp at TCP. */
static uint16_t tcp_csum_ref(const uint8_t *l3, int v6, const uint8_t *tcp,
			     size_t seg)
{
	uint8_t ph[40];
	uint32_t s = 0;

	if (!v6) {
		memcpy(ph, l3 + 12, 8);
		ph[8] = 0;
		ph[9] = 6;
		ph[10] = (uint8_t)(seg >> 8);
		ph[11] = (uint8_t)seg;
		s = sum1071(s, ph, 12);
	} else {
		memcpy(ph, l3 + 8, 32);
		s = sum1071(s, ph, 32);
		ph[0] = (uint8_t)(seg >> 24);
		ph[1] = (uint8_t)(seg >> 16);
		ph[2] = (uint8_t)(seg >> 8);
		ph[3] = (uint8_t)seg;
		ph[4] = ph[5] = ph[6] = 0;
		ph[7] = 6;
		s = sum1071(s, ph, 8);
	}
	s = sum1071(s, tcp, 16);
	s = sum1071(s, tcp + 18, seg - 18);
	return (uint16_t)~fold(s);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Build the frame for s with options opts (hex) into buf; returns its
 * length. The TCP checksum is computed from scratch, a window of
 * s->window. */
static size_t build(const struct seg *s, const char *opts, uint8_t *buf,
		    size_t cap)
{
	uint8_t ob[64];
	size_t olen = opts ? l2x_test_hex(opts, ob, sizeof(ob)) : 0;
	size_t l3hl, seg, l4, n;
	uint8_t *l3 = buf + 14, *tcp;
	uint64_t seed = 42;

	assert_true(olen % 4 == 0 && olen <= 40);
	memset(buf, 0, cap);
	memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	put16(buf + 12,
	      s->ethertype ? s->ethertype : (s->v6 ? 0x86dd : 0x0800));
	seg = 20 + olen + s->data;
	if (!s->v6) {
		l3hl = 20 + 4 * s->ip_opt;
		l3[0] = (uint8_t)(0x40 | (l3hl / 4));
		put16(l3 + 2, (uint16_t)(l3hl + seg));
		put16(l3 + 4, 0x4242);
		put16(l3 + 6, s->frag);
		l3[8] = 64;
		l3[9] = s->proto ? s->proto : 6;
		memcpy(l3 + 12, "\xc6\x12\x00\x01\xc6\x12\x01\x01", 8);
		memset(l3 + 20, 1, l3hl - 20); /* NOP options */
		put16(l3 + 10, (uint16_t)~fold(sum1071(0, l3, l3hl)));
		l4 = l3hl;
	} else {
		l3[0] = 0x60;
		l3[7] = 64;
		/* 2001:db8::1 -> 2001:db8::2 */
		memcpy(l3 + 8, "\x20\x01\x0d\xb8", 4);
		l3[23] = 1;
		memcpy(l3 + 24, "\x20\x01\x0d\xb8", 4);
		l3[39] = 2;
		l4 = 40;
		l3[6] = s->ext ? s->ext_type : (s->proto ? s->proto : 6);
		for (unsigned e = 0; e < s->ext; e++) {
			uint8_t *x = l3 + l4;
			x[0] = e + 1 < s->ext ? s->ext_type
					      : (s->proto ? s->proto : 6);
			x[1] = 0;
			x[2] = 1; /* PadN, 4 bytes */
			x[3] = 4;
			l4 += 8;
		}
		put16(l3 + 4, (uint16_t)(l4 - 40 + seg));
	}
	n = 14 + l4 + seg + s->eth_pad;
	assert_true(n <= cap);
	tcp = l3 + l4;
	put16(tcp, 49152);
	put16(tcp + 2, 443);
	memcpy(tcp + 4, "\x11\x22\x33\x44\x00\x00\x00\x00", 8);
	tcp[12] = (uint8_t)((20 + olen) / 4 << 4);
	tcp[13] = s->flags;
	put16(tcp + 14, s->window);
	memcpy(tcp + 20, ob, olen);
	l2x_test_fill(&seed, tcp + 20 + olen, s->data);
	put16(tcp + 16, tcp_csum_ref(l3, s->v6, tcp, seg));
	memset(buf + 14 + l4 + seg, 0xaa, s->eth_pad);
	return n;
}

/* The checksum build() gives s with opts and window w, read back. */
static uint16_t csum_of(struct seg s, const char *opts, uint16_t w)
{
	uint8_t b[256];
	size_t off;

	s.window = w;
	build(&s, opts, b, sizeof(b));
	off = 14 + (s.v6 ? 40 + 8 * s.ext : 20 + 4 * s.ip_opt) + 16;
	return (uint16_t)(b[off] << 8 | b[off + 1]);
}

#define SYN 0x02
#define ACK 0x10
#define LINUX_SYN_OPTS "020405b4 0402 080a0001e24000000000 01 030307"

struct clamp_case {
	const char *name;
	struct seg s;
	const char *after; /* options after clamping; NULL: untouched */
};

static const struct clamp_case clamp_cases[] = {
    {"v4 SYN mss 1460", {.flags = SYN, .opts = "020405b4"}, "0204054c"},
    {"v4 SYN-ACK", {.flags = SYN | ACK, .opts = "020405b4"}, "0204054c"},
    {"v4 ACK only", {.flags = ACK, .opts = "020405b4"}, NULL},
    {"v4 FIN|ACK", {.flags = 0x11, .opts = "020405b4"}, NULL},
    {"v4 mss smaller", {.flags = SYN, .opts = "020404b0"}, NULL},
    {"v4 mss equal", {.flags = SYN, .opts = "0204054c"}, NULL},
    {"v4 mss clamp+1", {.flags = SYN, .opts = "0204054d"}, "0204054c"},
    {"v4 mss 65535", {.flags = SYN, .opts = "0204ffff"}, "0204054c"},
    {"v4 no options", {.flags = SYN}, NULL},
    {"v4 no mss", {.flags = SYN, .opts = "01030307 0402 0101"}, NULL},
    {"v4 linux syn",
     {.flags = SYN, .opts = LINUX_SYN_OPTS},
     "0204054c 0402 080a0001e24000000000 01 030307"},
    {"v4 nop then mss (odd)",
     {.flags = SYN, .opts = "01 020405b4 010101"},
     "01 0204054c 010101"},
    {"v4 3 nops then mss (odd)",
     {.flags = SYN, .opts = "010101 020405b4 00"},
     "010101 0204054c 00"},
    {"v4 wscale then mss (odd)",
     {.flags = SYN, .opts = "030307 020405b4 00"},
     "030307 0204054c 00"},
    {"v4 timestamps then mss",
     {.flags = SYN, .opts = "0101 080a1122334455667788 020405b4"},
     "0101 080a1122334455667788 0204054c"},
    {"v4 sackok then mss",
     {.flags = SYN, .opts = "0402 020405b4 0101"},
     "0402 0204054c 0101"},
    {"v4 two mss",
     {.flags = SYN, .opts = "020405b4 02040600"},
     "0204054c 0204054c"},
    {"v4 mss after EOL ignored",
     {.flags = SYN, .opts = "00 020405b4 000000"},
     NULL},
    {"v4 EOL after mss",
     {.flags = SYN, .opts = "020405b4 00 ff0102"},
     "0204054c 00 ff0102"},
    {"v4 mss len 3", {.flags = SYN, .opts = "020305b4"}, NULL},
    {"v4 mss len 5", {.flags = SYN, .opts = "020505b4 00000000"}, NULL},
    {"v4 opt len 0", {.flags = SYN, .opts = "020405b4 0800 0000"}, NULL},
    {"v4 opt len 1", {.flags = SYN, .opts = "020405b4 0801 0000"}, NULL},
    {"v4 opt past header", {.flags = SYN, .opts = "020405b4 080a1122"}, NULL},
    {"v4 kind without len", {.flags = SYN, .opts = "020405b4 010101 05"}, NULL},
    {"v4 mss cut by header",
     {.flags = SYN, .opts = "0101 0101 0101 0204"},
     NULL},
    {"v4 SYN with data",
     {.flags = SYN, .opts = "020405b4", .data = 33},
     "0204054c"},
    {"v4 eth padding",
     {.flags = SYN, .opts = "020405b4", .eth_pad = 2},
     "0204054c"},
    {"v4 ip options IHL 6",
     {.flags = SYN, .opts = "020405b4", .ip_opt = 1},
     "0204054c"},
    {"v4 ip options IHL 15",
     {.flags = SYN, .opts = "01020405b4010101", .ip_opt = 10},
     "010204054c010101"},
    {"v4 first fragment",
     {.flags = SYN, .opts = "020405b4", .frag = 0x2000},
     "0204054c"},
    {"v4 DF", {.flags = SYN, .opts = "020405b4", .frag = 0x4000}, "0204054c"},
    {"v4 non-first fragment",
     {.flags = SYN, .opts = "020405b4", .frag = 0x2001},
     NULL},
    {"v4 last fragment",
     {.flags = SYN, .opts = "020405b4", .frag = 0x0003},
     NULL},
    {"v4 udp", {.flags = SYN, .opts = "020405b4", .proto = 17}, NULL},
    {"vlan tagged",
     {.flags = SYN, .opts = "020405b4", .ethertype = 0x8100},
     NULL},
    {"arp ethertype",
     {.flags = SYN, .opts = "020405b4", .ethertype = 0x0806},
     NULL},
    {"v6 SYN", {.v6 = 1, .flags = SYN, .opts = "020405a0"}, "02040538"},
    {"v6 SYN-ACK linux",
     {.v6 = 1, .flags = SYN | ACK, .opts = LINUX_SYN_OPTS},
     "02040538 0402 080a0001e24000000000 01 030307"},
    {"v6 mss at clamp4",
     {.v6 = 1, .flags = SYN, .opts = "0204054c"},
     "02040538"},
    {"v6 mss smaller", {.v6 = 1, .flags = SYN, .opts = "02040500"}, NULL},
    {"v6 ACK only", {.v6 = 1, .flags = ACK, .opts = "020405a0"}, NULL},
    {"v6 nop then mss (odd)",
     {.v6 = 1, .flags = SYN, .opts = "01 020405a0 010101"},
     "01 02040538 010101"},
    {"v6 malformed",
     {.v6 = 1, .flags = SYN, .opts = "020405a0 0800 0000"},
     NULL},
    {"v6 hop-by-hop",
     {.v6 = 1, .flags = SYN, .opts = "020405a0", .ext = 1, .ext_type = 0},
     "02040538"},
    {"v6 4 dest-opts",
     {.v6 = 1, .flags = SYN, .opts = "020405a0", .ext = 4, .ext_type = 60},
     "02040538"},
    {"v6 4 routing",
     {.v6 = 1, .flags = SYN, .opts = "020405a0", .ext = 4, .ext_type = 43},
     "02040538"},
    {"v6 5 ext headers: left alone",
     {.v6 = 1, .flags = SYN, .opts = "020405a0", .ext = 5, .ext_type = 60},
     NULL},
    {"v6 fragment header: left alone",
     {.v6 = 1, .flags = SYN, .opts = "020405a0", .ext = 1, .ext_type = 44},
     NULL},
    {"v6 udp", {.v6 = 1, .flags = SYN, .opts = "020405a0", .proto = 17}, NULL},
    {"v6 SYN with odd data",
     {.v6 = 1, .flags = SYN, .opts = "020405a0", .data = 101},
     "02040538"},
};

static void test_clamp_table(void **state)
{
	uint8_t in[256], want[256];
	(void)state;

	for (size_t i = 0; i < L2X_ARRAY_LEN(clamp_cases); i++) {
		const struct clamp_case *c = &clamp_cases[i];
		size_t n = build(&c->s, c->s.opts, in, sizeof(in));
		bool changed;

		if (c->after)
			build(&c->s, c->after, want, sizeof(want));
		else
			memcpy(want, in, sizeof(want));
		changed = l2x_mtu_clamp_mss(in, n, &clamp);
		L2X_CHECK(changed == (c->after != NULL),
			  "case %zu (%s): changed %d", i, c->name, changed);
		/* build() computed the expected checksum from scratch. */
		L2X_CHECK(memcmp(in, want, n) == 0, "case %zu (%s): bytes", i,
			  c->name);
	}
}

/* A zero clamp disables the family. */
static void test_clamp_disabled(void **state)
{
	const struct l2x_mss_clamp off4 = {0, CLAMP6}, off6 = {CLAMP4, 0};
	struct seg s4 = {.flags = SYN, .opts = "020405b4"};
	struct seg s6 = {.v6 = 1, .flags = SYN, .opts = "020405b4"};
	uint8_t b[256];
	size_t n;
	(void)state;

	n = build(&s4, s4.opts, b, sizeof(b));
	assert_false(l2x_mtu_clamp_mss(b, n, &off4));
	assert_true(l2x_mtu_clamp_mss(b, n, &off6));
	n = build(&s6, s6.opts, b, sizeof(b));
	assert_false(l2x_mtu_clamp_mss(b, n, &off6));
	assert_true(l2x_mtu_clamp_mss(b, n, &off4));
}

/* The checksum corner cases of RFC 1624: a result of 0x0000, and an
 * original checksum of 0x0000. The window is chosen to get there (a
 * window of w adds w to the sum, so w = the checksum at window 0 makes
 * the checksum 0x0000). */
static void test_clamp_csum_zero(void **state)
{
	static const struct {
		struct seg s;
		const char *after;
	} c[] = {
	    {{.flags = SYN, .opts = "020405b4"}, "0204054c"},
	    {{.flags = SYN, .opts = "01020405b4010101"}, "010204054c010101"},
	    {{.v6 = 1, .flags = SYN, .opts = "020405b4"}, "02040538"},
	    {{.v6 = 1, .flags = SYN, .opts = "01020405b4010101"},
	     "0102040538010101"},
	};
	uint8_t in[256], want[256];
	(void)state;

	for (size_t i = 0; i < L2X_ARRAY_LEN(c); i++) {
		for (int which = 0; which < 2; which++) {
			struct seg s = c[i].s;
			size_t n;

			/* which 0: zero after clamping; 1: zero before. */
			s.window = csum_of(s, which ? s.opts : c[i].after, 0);
			L2X_CHECK(csum_of(s, which ? s.opts : c[i].after,
					  s.window) == 0,
				  "case %zu.%d: setup", i, which);
			n = build(&s, s.opts, in, sizeof(in));
			build(&s, c[i].after, want, sizeof(want));
			L2X_CHECK(l2x_mtu_clamp_mss(in, n, &clamp),
				  "case %zu.%d: not clamped", i, which);
			L2X_CHECK(memcmp(in, want, n) == 0,
				  "case %zu.%d: checksum differs from scratch",
				  i, which);
		}
	}
}

/* Every truncation of every table frame, in a heap buffer of exactly that
 * length (ASan catches a read past it): never changed, since the IP
 * length no longer fits. Then the same with the IP length fields lowered
 * to the truncation, so that the parse reaches the TCP header and options
 * with too few bytes: nothing past len is touched, and nothing changes
 * unless the whole TCP header is still there. */
static void test_clamp_truncated(void **state)
{
	uint8_t full[256];
	(void)state;

	for (size_t i = 0; i < L2X_ARRAY_LEN(clamp_cases); i++) {
		const struct clamp_case *c = &clamp_cases[i];
		size_t n = build(&c->s, c->s.opts, full, sizeof(full));
		size_t l3hl =
		    c->s.v6 ? 40 + 8 * c->s.ext : 20 + 4 * c->s.ip_opt;
		uint8_t ob[64];
		size_t olen =
		    c->s.opts ? l2x_test_hex(c->s.opts, ob, sizeof(ob)) : 0;
		size_t tcp_end = 14 + l3hl + 20 + olen;

		for (size_t len = 0; len < n; len++) {
			uint8_t *b = malloc(len ? len : 1);
			bool ch;

			assert_non_null(b);
			memcpy(b, full, len);
			ch = l2x_mtu_clamp_mss(b, len, &clamp);
			/* Only Ethernet padding may be cut off. */
			L2X_CHECK(!ch || len >= n - c->s.eth_pad,
				  "case %zu (%s) len %zu: changed", i, c->name,
				  len);
			if (!ch)
				L2X_CHECK(memcmp(b, full, len) == 0,
					  "case %zu len %zu: bytes", i, len);

			/* Lie about the lengths. */
			if (len >= 14 + l3hl) {
				uint8_t *l3 = b + 14;
				size_t ipl = len - 14;

				if (c->s.v6)
					put16(l3 + 4, (uint16_t)(ipl - 40));
				else
					put16(l3 + 2, (uint16_t)ipl);
				ch = l2x_mtu_clamp_mss(b, len, &clamp);
				L2X_CHECK(
				    !ch || len >= tcp_end,
				    "case %zu (%s) len %zu: changed short", i,
				    c->name, len);
			}
			free(b);
		}
	}
}

/* Random option bytes: whatever the parse decides, a valid checksum stays
 * valid (sum over pseudo-header and segment folds to 0xffff) and only the
 * option area and the checksum may change. */
static void test_clamp_random_options(void **state)
{
	uint64_t seed = 0x6d7475;
	uint8_t b[256], orig[256];
	unsigned changed = 0;
	(void)state;

	for (int it = 0; it < 20000; it++) {
		struct seg s = {.v6 = it & 1, .flags = SYN, .opts = NULL};
		uint8_t r[48];
		size_t n, l3hl = s.v6 ? 40 : 20, olen, seg;
		uint8_t *tcp;

		l2x_test_fill(&seed, r, sizeof(r));
		olen = (size_t)(r[0] % 11) * 4;
		n = build(&s, NULL, b, sizeof(b));
		tcp = b + 14 + l3hl;
		/* Grow the header by olen random option bytes, biased
		 * towards MSS options. */
		memmove(tcp + 20 + olen, tcp + 20, n - 14 - l3hl - 20);
		for (size_t k = 0; k < olen; k++)
			tcp[20 + k] = r[1 + k] % 4 == 0 ? 2 : r[1 + k] % 6;
		if (olen >= 4 && r[47] & 1) {
			size_t at = r[46] % (olen - 3);
			memcpy(tcp + 20 + at, "\x02\x04\x05\xb4", 4);
		}
		n += olen;
		seg = 20 + olen;
		tcp[12] = (uint8_t)(seg / 4 << 4);
		if (s.v6)
			put16(b + 14 + 4, (uint16_t)seg);
		else {
			put16(b + 14 + 2, (uint16_t)(20 + seg));
			put16(b + 14 + 10, 0);
			put16(b + 14 + 10,
			      (uint16_t)~fold(sum1071(0, b + 14, 20)));
		}
		put16(tcp + 16, 0);
		put16(tcp + 16, tcp_csum_ref(b + 14, s.v6, tcp, seg));
		memcpy(orig, b, n);

		if (l2x_mtu_clamp_mss(b, n, &clamp))
			changed++;
		L2X_CHECK(tcp_csum_ref(b + 14, s.v6, tcp, seg) ==
			      (uint16_t)(tcp[16] << 8 | tcp[17]),
			  "iteration %d: checksum", it);
		L2X_CHECK(memcmp(b, orig, 14 + l3hl + 16) == 0 &&
			      memcmp(b + 14 + l3hl + 18, orig + 14 + l3hl + 18,
				     2) == 0,
			  "iteration %d: header changed", it);
	}
	/* The generator must have produced clamps, not only rejects. */
	assert_true(changed > 1000);
}

/* ---- fragmentation --------------------------------------------------- */

static const uint8_t eth_hdr[14] = {0x02, 0, 0, 0, 0,	 0xfe, 0x02,
				    0,	  0, 0, 0, 0x01, 0x08, 0x00};

/* An outer packet: Ethernet + IPv4 (IHL 5, UDP, ID 0x1234) + random
 * payload, total IPv4 length tot. Written to buf, returned as an mbuf. */
static struct rte_mbuf *outer_pkt(uint32_t tot, uint16_t fo, uint8_t *buf,
				  uint64_t seed)
{
	uint8_t *ip = buf + 14;

	memcpy(buf, eth_hdr, 14);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)tot);
	put16(ip + 4, 0x1234);
	put16(ip + 6, fo);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, "\xc6\x12\x01\x02\xc6\x12\x02\x02", 8);
	put16(ip + 10, (uint16_t)~fold(sum1071(0, ip, 20)));
	l2x_test_fill(&seed, ip + 20, tot - 20);
	return l2x_test_mbuf(buf, 14 + tot);
}

/* Check fragments f[0..n) of the packet orig (tot IPv4 bytes) against
 * mtu, and that their payloads concatenate to orig's. */
static void check_frags(struct rte_mbuf **f, int n, const uint8_t *orig,
			uint32_t tot, uint32_t mtu, uint16_t fo0, int cs)
{
	uint32_t next = (uint32_t)(fo0 & 0x1fff) * 8, plen = tot - 20;
	uint32_t base = next;

	for (int i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(f[i], const uint8_t *);
		const uint8_t *ip = p + 14;
		uint32_t t = (uint32_t)(ip[2] << 8 | ip[3]);
		uint16_t fo = (uint16_t)(ip[6] << 8 | ip[7]);
		int last = i == n - 1;

		L2X_CHECK(f[i]->nb_segs == 1 &&
			      rte_pktmbuf_pkt_len(f[i]) == 14 + t,
			  "case %d frag %d: length %u", cs, i, t);
		L2X_CHECK(t <= mtu && t > 20, "case %d frag %d: %u > mtu %u",
			  cs, i, t, mtu);
		L2X_CHECK(last || (t - 20) % 8 == 0, "case %d frag %d: not x8",
			  cs, i);
		L2X_CHECK((uint32_t)(fo & 0x1fff) * 8 == next,
			  "case %d frag %d: offset %u want %u", cs, i,
			  (fo & 0x1fff) * 8, next);
		L2X_CHECK(!!(fo & 0x2000) == (!last || (fo0 & 0x2000)),
			  "case %d frag %d: MF", cs, i);
		L2X_CHECK((fo & 0x4000) == 0, "case %d frag %d: DF", cs, i);
		L2X_CHECK(memcmp(p, orig, 14) == 0, "case %d frag %d: ethernet",
			  cs, i);
		L2X_CHECK(memcmp(ip + 4, orig + 14 + 4, 2) == 0 &&
			      memcmp(ip + 8, orig + 14 + 8, 2) == 0 &&
			      memcmp(ip + 12, orig + 14 + 12, 8) == 0 &&
			      ip[0] == 0x45,
			  "case %d frag %d: header fields", cs, i);
		L2X_CHECK(fold(sum1071(0, ip, 20)) == 0xffff,
			  "case %d frag %d: header checksum", cs, i);
		L2X_CHECK(memcmp(ip + 20, orig + 14 + 20 + (next - base),
				 t - 20) == 0,
			  "case %d frag %d: payload", cs, i);
		next += t - 20;
	}
	L2X_CHECK(next - base == plen, "case %d: payload %u of %u", cs,
		  next - base, plen);
}

static void test_fragment_sizes(void **state)
{
	static const uint32_t mtus[] = {576, 1280, 1500};
	static uint8_t orig[L2X_MBUF_ROOM];
	struct rte_mempool *mp = l2x_test_pool();
	unsigned avail = rte_mempool_avail_count(mp);
	int cs = 0;
	(void)state;

	for (size_t k = 0; k < L2X_ARRAY_LEN(mtus); k++) {
		uint32_t mtu = mtus[k], chunk = (mtu - 20) / 8 * 8;
		const uint32_t tots[] = {
		    21,
		    mtu - 1,
		    mtu,
		    mtu + 1,
		    mtu + 7,
		    mtu + 8,
		    20 + chunk + 1,
		    20 + 2 * chunk,
		    20 + 2 * chunk + 1,
		    20 + 3 * chunk,
		    20 + 3 * chunk - 1,
		    9216 + 110, /* a VXLAN jumbo */
		    L2X_MBUF_ROOM - RTE_PKTMBUF_HEADROOM - 14,
		};
		for (size_t t = 0; t < L2X_ARRAY_LEN(tots); t++, cs++) {
			struct rte_mbuf *f[L2X_FRAG_MAX];
			uint32_t tot = tots[t];
			struct rte_mbuf *m = outer_pkt(tot, 0, orig, cs);
			int want = tot <= mtu
				       ? 1
				       : (int)((tot - 20 + chunk - 1) / chunk);
			int n;

			m->port = 3;
			m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4;
			n = l2x_mtu_fragment(m, mtu, mp, f);
			L2X_CHECK(n == want,
				  "case %d (mtu %u tot %u): %d want %d", cs,
				  mtu, tot, n, want);
			L2X_CHECK(f[0] == m, "case %d: first is the original",
				  cs);
			if (n == 1)
				L2X_CHECK(
				    memcmp(rte_pktmbuf_mtod(m, void *), orig,
					   14 + tot) == 0 &&
					rte_pktmbuf_pkt_len(m) == 14 + tot,
				    "case %d: changed though it fits", cs);
			else
				check_frags(f, n, orig, tot, mtu, 0, cs);
			for (int i = 0; i < n; i++) {
				L2X_CHECK(f[i]->port == 3 &&
					      f[i]->packet_type ==
						  (RTE_PTYPE_L2_ETHER |
						   RTE_PTYPE_L3_IPV4),
					  "case %d frag %d: metadata", cs, i);
				rte_pktmbuf_free(f[i]);
			}
		}
	}
	assert_int_equal(rte_mempool_avail_count(mp), avail);
}

/* The largest packet an mbuf holds needs exactly L2X_FRAG_MAX fragments at
 * MTU 576, and every MTU in range needs at most that many. */
static void test_fragment_max(void **state)
{
	static uint8_t orig[L2X_MBUF_ROOM];
	uint32_t tot = L2X_MBUF_ROOM - RTE_PKTMBUF_HEADROOM - 14;
	struct rte_mbuf *f[L2X_FRAG_MAX];
	int n;
	(void)state;

	assert_int_equal(L2X_FRAG_MAX, 17); /* ceil((9413-34) / 552) */
	for (uint32_t mtu = L2X_MTU_MIN; mtu <= L2X_MTU_MAX; mtu += 97) {
		struct rte_mbuf *m = outer_pkt(tot, 0, orig, mtu);

		n = l2x_mtu_fragment(m, mtu, l2x_test_pool(), f);
		L2X_CHECK(n >= 1 && n <= (int)L2X_FRAG_MAX, "mtu %u: %d", mtu,
			  n);
		if (mtu == L2X_MTU_MIN)
			assert_int_equal(n, L2X_FRAG_MAX);
		check_frags(f, n, orig, tot, mtu, 0, (int)mtu);
		for (int i = 0; i < n; i++)
			rte_pktmbuf_free(f[i]);
	}
}

/* A packet that is itself a non-last fragment (offset 800, MF): the
 * pieces keep its offset base and all carry MF. */
static void test_fragment_refragment(void **state)
{
	static uint8_t orig[4096];
	struct rte_mbuf *f[L2X_FRAG_MAX];
	uint16_t fo0[] = {0x2000 | 100, 100};
	(void)state;

	for (size_t i = 0; i < L2X_ARRAY_LEN(fo0); i++) {
		struct rte_mbuf *m = outer_pkt(3000, fo0[i], orig, 9);
		int n = l2x_mtu_fragment(m, 1280, l2x_test_pool(), f);

		assert_int_equal(n, 3);
		check_frags(f, n, orig, 3000, 1280, fo0[i], (int)i);
		for (int k = 0; k < n; k++)
			rte_pktmbuf_free(f[k]);
	}
}

static void test_fragment_refused(void **state)
{
	static uint8_t orig[4096];
	struct rte_mempool *mp = l2x_test_pool();
	unsigned avail = rte_mempool_avail_count(mp);
	struct rte_mbuf *f[L2X_FRAG_MAX], *m;
	static const struct {
		uint32_t mtu;
		uint16_t fo;
		int edit; /* 0 none, 1 IHL 6, 2 ethertype, 3 total len, 4
			     version */
		int rc;
	} c[] = {
	    {1500, 0x4000, 0, -L2X_FRAG_DROP_DF},
	    {1500, 0x6000, 0, -L2X_FRAG_DROP_DF},
	    {575, 0, 0, -L2X_FRAG_DROP_MTU},
	    {9217, 0, 0, -L2X_FRAG_DROP_MTU},
	    {1500, 0, 1, -L2X_FRAG_DROP_NOT_IPV4},
	    {1500, 0, 2, -L2X_FRAG_DROP_NOT_IPV4},
	    {1500, 0, 3, -L2X_FRAG_DROP_NOT_IPV4},
	    {1500, 0, 4, -L2X_FRAG_DROP_NOT_IPV4},
	    /* offset would overflow 13 bits */
	    {1500, 0x1fff, 0, -L2X_FRAG_DROP_NOT_IPV4},
	};
	(void)state;

	for (size_t i = 0; i < L2X_ARRAY_LEN(c); i++) {
		uint8_t *p;
		uint8_t before[4096];

		m = outer_pkt(3000, c[i].fo, orig, i);
		p = rte_pktmbuf_mtod(m, uint8_t *);
		if (c[i].edit == 1)
			p[14] = 0x46;
		if (c[i].edit == 2)
			p[12] = 0x86, p[13] = 0xdd;
		if (c[i].edit == 3)
			put16(p + 16, 2999);
		if (c[i].edit == 4)
			p[14] = 0x65;
		memcpy(before, p, 3014);
		int rc = l2x_mtu_fragment(m, c[i].mtu, mp, f);
		L2X_CHECK(rc == c[i].rc, "case %zu: rc %d want %d", i, rc,
			  c[i].rc);
		L2X_CHECK(memcmp(p, before, 3014) == 0 &&
			      rte_pktmbuf_pkt_len(m) == 3014,
			  "case %zu: packet changed", i);
		rte_pktmbuf_free(m);
	}
	/* DF on a packet that fits is fine. */
	m = outer_pkt(1500, 0x4000, orig, 1);
	assert_int_equal(l2x_mtu_fragment(m, 1500, mp, f), 1);
	rte_pktmbuf_free(m);

	/* A chained mbuf is refused. */
	m = outer_pkt(1000, 0, orig, 1);
	struct rte_mbuf *tail = l2x_test_mbuf(orig, 100);
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	assert_int_equal(l2x_mtu_fragment(m, 576, mp, f),
			 -L2X_FRAG_DROP_NOT_IPV4);
	rte_pktmbuf_free(m);
	assert_int_equal(rte_mempool_avail_count(mp), avail);
}

/* A pool of its own with too few mbufs, then one with too small mbufs:
 * refused, nothing taken from the pool, the packet intact. */
static void test_fragment_pool(void **state)
{
	static uint8_t orig[8192];
	struct rte_mbuf *f[L2X_FRAG_MAX], *m;
	struct rte_mempool *tiny, *small;
	uint8_t *p;
	int rc;
	(void)state;

	tiny = rte_pktmbuf_pool_create("mtu_tiny", 3, 0, 0, L2X_MBUF_ROOM,
				       SOCKET_ID_ANY);
	small = rte_pktmbuf_pool_create(
	    "mtu_small", 16, 0, 0, RTE_PKTMBUF_HEADROOM + 512, SOCKET_ID_ANY);
	assert_non_null(tiny);
	assert_non_null(small);

	/* 5000 bytes at 1500: 4 fragments, 3 from the pool: just enough. */
	m = outer_pkt(5000, 0, orig, 3);
	rc = l2x_mtu_fragment(m, 1500, tiny, f);
	assert_int_equal(rc, 4);
	assert_int_equal(rte_mempool_avail_count(tiny), 0);
	for (int i = 0; i < rc; i++)
		rte_pktmbuf_free(f[i]);
	assert_int_equal(rte_mempool_avail_count(tiny), 3);

	/* 6000 bytes: 5 fragments, 4 from a pool of 3. */
	m = outer_pkt(6000, 0, orig, 4);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	rc = l2x_mtu_fragment(m, 1500, tiny, f);
	assert_int_equal(rc, -L2X_FRAG_DROP_NOMEM);
	assert_int_equal(rte_mempool_avail_count(tiny), 3);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 6014);
	assert_memory_equal(p, orig, 6014);

	rc = l2x_mtu_fragment(m, 1500, small, f);
	assert_int_equal(rc, -L2X_FRAG_DROP_SMALL_MBUF);
	assert_int_equal(rte_mempool_avail_count(small), 16);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 6014);
	assert_memory_equal(p, orig, 6014);
	rte_pktmbuf_free(m);

	rte_mempool_free(tiny);
	rte_mempool_free(small);
}

static void test_drop_names(void **state)
{
	(void)state;
	for (int i = 0; i < L2X_FRAG_DROP_MAX; i++) {
		assert_non_null(l2x_frag_drop_key[i]);
		assert_non_null(l2x_frag_drop_str[i]);
	}
	assert_string_equal(l2x_frag_drop_key[L2X_FRAG_DROP_DF], "DF");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_overhead_known),
	    cmocka_unit_test(test_outer_len_known),
	    cmocka_unit_test(test_max_frame_mss_known),
	    cmocka_unit_test(test_max_frame_brute_force),
	    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_clamp_table),
	    cmocka_unit_test(test_clamp_disabled),
	    cmocka_unit_test(test_clamp_csum_zero),
	    cmocka_unit_test(test_clamp_truncated),
	    cmocka_unit_test(test_clamp_random_options),
	    cmocka_unit_test(test_fragment_sizes),
	    cmocka_unit_test(test_fragment_max),
	    cmocka_unit_test(test_fragment_refragment),
	    cmocka_unit_test(test_fragment_refused),
	    cmocka_unit_test(test_fragment_pool),
	    cmocka_unit_test(test_drop_names),
	};
	return cmocka_run_group_tests_name("mtu", tests, l2x_testenv_up,
					   l2x_testenv_down);
}
