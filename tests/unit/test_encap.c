/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dataplane/encap.[ch]: inner GRE/VXLAN and outer
 * Ethernet/IPv4/UDP templates, their push, and both strict parsers.
 *
 * Checksums are verified with a plain RFC 1071 loop written here, not with
 * DPDK's; byte-exact packets were assembled by hand, their checksums
 * cross-checked with scapy 2.5. Parsers are fed heap buffers of exactly the
 * length they are told, so the sanitized build catches any over-read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_mbuf.h>

#include "dataplane/encap.h"
#include "tests/unit/testenv.h"

#define EXPECT(n, c)                                                         \
	do {                                                                 \
		if (!(c))                                                    \
			fail_msg("case %u: %s (line %d)", (unsigned)(n), #c, \
				 __LINE__);                                  \
	} while (0)
#define EXPECT_EQ(n, a, b)                                                     \
	do {                                                                   \
		unsigned long long a_ = (unsigned long long)(a);               \
		unsigned long long b_ = (unsigned long long)(b);               \
		if (a_ != b_)                                                  \
			fail_msg("case %u: %s = %llu (0x%llx), want %llu "     \
				 "(0x%llx) (line %d)",                         \
				 (unsigned)(n), #a, a_, a_, b_, b_, __LINE__); \
	} while (0)

/* RTE_IPV4 shifts an int by 24: undefined for a >= 128 (UBSan). */
#define IP4(a, b, c, d)                                                   \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
	 (uint32_t)(d))
#define INNER_SRC RTE_BE32(IP4(169, 254, 100, 1))
#define INNER_DST RTE_BE32(IP4(169, 254, 100, 2))
#define UPLINK_A RTE_BE32(IP4(198, 18, 1, 2))
#define UPLINK_B RTE_BE32(IP4(198, 18, 2, 2))
#define NAT_B RTE_BE32(IP4(198, 19, 0, 7))

static const struct rte_ether_addr mac_a = {{0x02, 0, 0, 0, 0x01, 0x01}};
static const struct rte_ether_addr mac_b = {{0x02, 0, 0, 0, 0x02, 0x01}};
static const struct rte_ether_addr mac_gw = {{0x02, 0, 0, 0, 0x03, 0x01}};

/* ---- independent helpers ----------------------------------------------- */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071 section 4.1, big-endian words, with a running sum. */
static uint32_t ref_sum(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Valid when the header, checksum included, sums to all ones. */
static bool ref_ipv4_ok(const uint8_t *ip)
{
	return ref_fold(ref_sum(ip, (size_t)(ip[0] & 0xf) * 4, 0)) == 0xffff;
}

/* Recompute an IPv4 header checksum in place. */
static void ref_ipv4_fix(uint8_t *ip, size_t hl)
{
	wr16(ip + 10, 0);
	wr16(ip + 10, (uint16_t)~ref_fold(ref_sum(ip, hl, 0)));
}

/* UDP checksum over pseudo-header, header and data (RFC 768). */
static bool ref_udp_ok(const uint8_t *ip)
{
	const uint8_t *udp = ip + (ip[0] & 0xf) * 4;
	uint8_t ph[12];
	uint16_t ulen = rd16(udp + 4);

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = ip[9];
	wr16(ph + 10, ulen);
	return ref_fold(ref_sum(udp, ulen, ref_sum(ph, sizeof(ph), 0))) ==
	       0xffff;
}

/* A heap copy of exactly n bytes: ASan reports any read past it. */
static uint8_t *heap(const void *p, size_t n)
{
	uint8_t *h = malloc(n);

	if (n) {
		assert_non_null(h);
		memcpy(h, p, n);
	}
	return h;
}

static enum l2x_encap_err inner_parse_heap(const uint8_t *p, size_t n,
					   struct l2x_inner_info *info)
{
	uint8_t *h = heap(p, n);
	enum l2x_encap_err e = l2x_inner_parse(h, n, info);

	free(h);
	return e;
}

static enum l2x_outer_err outer_parse_heap(const uint8_t *p, size_t n,
					   struct l2x_outer_info *info)
{
	uint8_t *h = heap(p, n);
	enum l2x_outer_err e = l2x_outer_parse(h, n, info);

	free(h);
	return e;
}

/* An mbuf holding len bytes of p after exactly headroom bytes. */
static struct rte_mbuf *mbuf_at(const void *p, size_t len, uint16_t headroom)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(l2x_test_pool());
	char *d;

	assert_non_null(m);
	assert_true(headroom + len <= m->buf_len);
	m->data_off = headroom;
	d = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(d);
	memcpy(d, p, len);
	return m;
}

/* ---- error tables -------------------------------------------------------- */

static void test_err_names(void **state)
{
	(void)state;
	for (int i = 0; i < L2X_ENCAP_ERR_MAX; i++) {
		EXPECT(i, l2x_encap_err_key[i] != NULL);
		EXPECT(i, l2x_encap_err_text[i] != NULL);
		for (int j = 0; j < i; j++)
			EXPECT(i, strcmp(l2x_encap_err_key[i],
					 l2x_encap_err_key[j]) != 0);
	}
	for (int i = 0; i < L2X_OUTER_ERR_MAX; i++) {
		EXPECT(i, l2x_outer_err_key[i] != NULL);
		EXPECT(i, l2x_outer_err_text[i] != NULL);
		for (int j = 0; j < i; j++)
			EXPECT(i, strcmp(l2x_outer_err_key[i],
					 l2x_outer_err_key[j]) != 0);
	}
	assert_string_equal(l2x_encap_err_key[L2X_ENCAP_ERR_GRE_NO_KEY],
			    "GRE_NO_KEY");
	assert_string_equal(l2x_outer_err_key[L2X_OUTER_ERR_ESP_SHORT],
			    "ESP_SHORT");
	assert_string_equal(l2x_encap_err_key[L2X_ENCAP_OK], "OK");
}

/* ---- inner template ------------------------------------------------------ */

static void test_inner_tmpl_init(void **state)
{
	static const struct {
		unsigned n;
		int encap;
		uint32_t id;
		rte_be32_t src, dst;
		int rc;
	} c[] = {
	    {1, L2X_ENCAP_GRE, 0, INNER_SRC, INNER_DST, 0},
	    {2, L2X_ENCAP_GRE, 0xffffffff, INNER_SRC, INNER_DST, 0},
	    {3, L2X_ENCAP_VXLAN, 0, INNER_SRC, INNER_DST, 0},
	    {4, L2X_ENCAP_VXLAN, 0xffffff, INNER_SRC, INNER_DST, 0},
	    {5, L2X_ENCAP_VXLAN, 0x1000000, INNER_SRC, INNER_DST, -EINVAL},
	    {6, L2X_ENCAP_VXLAN, 0xffffffff, INNER_SRC, INNER_DST, -EINVAL},
	    {7, 2, 1, INNER_SRC, INNER_DST, -EINVAL},
	    {8, -1, 1, INNER_SRC, INNER_DST, -EINVAL},
	    {9, L2X_ENCAP_GRE, 1, 0, INNER_DST, -EINVAL},
	    {10, L2X_ENCAP_VXLAN, 1, INNER_SRC, 0, -EINVAL},
	};
	(void)state;

	for (size_t i = 0; i < RTE_DIM(c); i++) {
		struct l2x_inner_tmpl t, before;

		memset(&t, 0xa5, sizeof(t));
		memcpy(&before, &t, sizeof(t));
		int rc = l2x_inner_tmpl_init(&t, (enum l2x_encap)c[i].encap,
					     c[i].id, c[i].src, c[i].dst);
		EXPECT_EQ(c[i].n, rc, c[i].rc);
		if (rc)
			EXPECT(c[i].n, memcmp(&t, &before, sizeof(t)) == 0);
		else
			EXPECT_EQ(c[i].n, t.tunnel_id, c[i].id);
	}
	assert_int_equal(
	    l2x_inner_tmpl_init(NULL, L2X_ENCAP_GRE, 1, INNER_SRC, INNER_DST),
	    -EINVAL);
}

/* Check every field of a pushed inner packet against its inputs. */
static void check_inner(unsigned n, const uint8_t *pkt, size_t len,
			enum l2x_encap e, uint32_t id, const uint8_t *frame,
			size_t flen)
{
	size_t hl = e == L2X_ENCAP_GRE ? 28 : 36;

	EXPECT_EQ(n, len, hl + flen);
	EXPECT_EQ(n, pkt[0], 0x45);	     /* version 4, IHL 5 */
	EXPECT_EQ(n, pkt[1], 0);	     /* TOS */
	EXPECT_EQ(n, rd16(pkt + 2), len);    /* total length */
	EXPECT_EQ(n, rd16(pkt + 4), 0);	     /* ID 0 (RFC 6864) */
	EXPECT_EQ(n, rd16(pkt + 6), 0x4000); /* DF, offset 0 */
	EXPECT_EQ(n, pkt[8], 64);	     /* TTL */
	EXPECT_EQ(n, pkt[9], e == L2X_ENCAP_GRE ? 47 : 17);
	EXPECT(n, ref_ipv4_ok(pkt));
	EXPECT_EQ(n, rd32(pkt + 12), IP4(169, 254, 100, 1));
	EXPECT_EQ(n, rd32(pkt + 16), IP4(169, 254, 100, 2));
	if (e == L2X_ENCAP_GRE) {
		EXPECT_EQ(n, rd16(pkt + 20), 0x2000); /* K only, version 0 */
		EXPECT_EQ(n, rd16(pkt + 22), 0x6558); /* TEB */
		EXPECT_EQ(n, rd32(pkt + 24), id);     /* key */
	} else {
		uint16_t sport = rd16(pkt + 20);

		EXPECT(n, sport >= 49152);
		EXPECT_EQ(n, sport,
			  rte_be_to_cpu_16(l2x_inner_vxlan_sport(pkt + 36)));
		EXPECT_EQ(n, rd16(pkt + 22), 4789);
		EXPECT_EQ(n, rd16(pkt + 24), len - 20);	  /* UDP length */
		EXPECT_EQ(n, rd16(pkt + 26), 0);	  /* checksum 0 */
		EXPECT_EQ(n, rd32(pkt + 28), 0x08000000); /* I flag */
		EXPECT_EQ(n, rd32(pkt + 32), id << 8);	  /* VNI */
	}
	EXPECT(n, memcmp(pkt + hl, frame, flen) == 0);
}

static void test_inner_roundtrip(void **state)
{
	static const uint32_t gre_ids[] = {0, 1, 5001, 0xffffff, 0xffffffff};
	static const uint32_t vx_ids[] = {0, 1, 5001, 0xffffff};
	static const size_t flens[] = {14, 15, 60, 61, 1514, 1518, 9234};
	static uint8_t frame[9234];
	uint64_t seed = 1;
	unsigned n = 0;
	(void)state;

	for (int e = L2X_ENCAP_GRE; e <= L2X_ENCAP_VXLAN; e++) {
		const uint32_t *ids = e == L2X_ENCAP_GRE ? gre_ids : vx_ids;
		size_t nids =
		    e == L2X_ENCAP_GRE ? RTE_DIM(gre_ids) : RTE_DIM(vx_ids);

		for (size_t i = 0; i < nids; i++) {
			struct l2x_inner_tmpl t;

			assert_int_equal(l2x_inner_tmpl_init(&t, e, ids[i],
							     INNER_SRC,
							     INNER_DST),
					 0);
			for (size_t f = 0; f < RTE_DIM(flens); f++, n++) {
				struct l2x_inner_info info;
				struct rte_mbuf *m;
				uint16_t room;
				const uint8_t *pkt;

				l2x_test_fill(&seed, frame, flens[f]);
				m = l2x_test_mbuf(frame, flens[f]);
				room = rte_pktmbuf_headroom(m);
				EXPECT_EQ(n, l2x_inner_push(m, &t), 0);
				EXPECT_EQ(n, rte_pktmbuf_headroom(m),
					  room - t.hdr_len);
				EXPECT_EQ(n, m->pkt_len, m->data_len);
				pkt = rte_pktmbuf_mtod(m, const uint8_t *);
				check_inner(n, pkt, m->data_len, e, ids[i],
					    frame, flens[f]);

				memset(&info, 0xa5, sizeof(info));
				EXPECT_EQ(
				    n,
				    inner_parse_heap(pkt, m->data_len, &info),
				    L2X_ENCAP_OK);
				EXPECT_EQ(n, info.encap, e);
				EXPECT_EQ(n, info.tunnel_id, ids[i]);
				EXPECT_EQ(n, info.src, INNER_SRC);
				EXPECT_EQ(n, info.dst, INNER_DST);
				EXPECT_EQ(n, info.frame_off, t.hdr_len);
				EXPECT_EQ(n, info.frame_len, flens[f]);
				rte_pktmbuf_free(m);
			}
		}
	}
}

static void test_vxlan_sport(void **state)
{
	static uint8_t seen[1 << 14];
	unsigned distinct = 0;
	uint64_t seed = 7;
	uint8_t a[64], b[64];
	(void)state;

	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < 1000; i++) {
		uint16_t p;

		l2x_test_fill(&seed, a, sizeof(a));
		/* same MACs, other bytes differ: same port */
		memcpy(b, a, 12);
		l2x_test_fill(&seed, b + 12, sizeof(b) - 12);
		p = rte_be_to_cpu_16(l2x_inner_vxlan_sport(a));
		EXPECT(i, p >= 49152);
		EXPECT_EQ(i, l2x_inner_vxlan_sport(b),
			  l2x_inner_vxlan_sport(a));
		if (!seen[p - 49152]++)
			distinct++;
	}
	/* 1000 draws over 16384 ports: about 970 distinct expected */
	assert_true(distinct >= 900);
	/* one changed bit in either MAC changes the port (almost always) */
	memset(a, 0, 12);
	unsigned changed = 0;
	for (unsigned bit = 0; bit < 96; bit++) {
		memcpy(b, a, 12);
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		changed += l2x_inner_vxlan_sport(a) != l2x_inner_vxlan_sport(b);
	}
	assert_true(changed >= 90);
}

static void test_inner_push_errors(void **state)
{
	static uint8_t frame[100];
	uint64_t seed = 3;
	(void)state;

	l2x_test_fill(&seed, frame, sizeof(frame));
	for (int e = L2X_ENCAP_GRE; e <= L2X_ENCAP_VXLAN; e++) {
		struct l2x_inner_tmpl t;
		struct rte_mbuf *m, *m2;
		uint8_t *snap;
		unsigned n = (unsigned)e;

		assert_int_equal(
		    l2x_inner_tmpl_init(&t, e, 9, INNER_SRC, INNER_DST), 0);

		/* one byte of headroom short: nothing changes */
		m = mbuf_at(frame, sizeof(frame), t.hdr_len - 1);
		snap = heap(m->buf_addr, m->buf_len);
		EXPECT_EQ(n, l2x_inner_push(m, &t), -ENOSPC);
		EXPECT_EQ(n, m->data_off, t.hdr_len - 1);
		EXPECT_EQ(n, m->data_len, sizeof(frame));
		EXPECT_EQ(n, m->pkt_len, sizeof(frame));
		EXPECT(n, memcmp(snap, m->buf_addr, m->buf_len) == 0);
		free(snap);
		rte_pktmbuf_free(m);

		/* exactly enough */
		m = mbuf_at(frame, sizeof(frame), t.hdr_len);
		EXPECT_EQ(n, l2x_inner_push(m, &t), 0);
		EXPECT_EQ(n, m->data_off, 0);
		check_inner(n, rte_pktmbuf_mtod(m, uint8_t *), m->data_len, e,
			    9, frame, sizeof(frame));
		rte_pktmbuf_free(m);

		/* shorter than an Ethernet header */
		m = mbuf_at(frame, 13, RTE_PKTMBUF_HEADROOM);
		snap = heap(m->buf_addr, m->buf_len);
		EXPECT_EQ(n, l2x_inner_push(m, &t), -EINVAL);
		EXPECT_EQ(n, m->data_len, 13);
		EXPECT(n, memcmp(snap, m->buf_addr, m->buf_len) == 0);
		free(snap);
		rte_pktmbuf_free(m);

		/* chained */
		m = mbuf_at(frame, 50, RTE_PKTMBUF_HEADROOM);
		m2 = mbuf_at(frame + 50, 50, RTE_PKTMBUF_HEADROOM);
		assert_int_equal(rte_pktmbuf_chain(m, m2), 0);
		EXPECT_EQ(n, l2x_inner_push(m, &t), -EINVAL);
		EXPECT_EQ(n, m->data_off, RTE_PKTMBUF_HEADROOM);
		EXPECT_EQ(n, m->pkt_len, 100);
		rte_pktmbuf_free(m);

		/* an inner packet over 65535 bytes (a stand-in mbuf: the
		 * pool's are smaller; push refuses before touching data) */
		struct rte_mbuf big;

		memset(&big, 0, sizeof(big));
		big.nb_segs = 1;
		big.data_off = RTE_PKTMBUF_HEADROOM;
		big.data_len = (uint16_t)(UINT16_MAX - t.hdr_len + 1);
		big.pkt_len = big.data_len;
		EXPECT_EQ(n, l2x_inner_push(&big, &t), -EMSGSIZE);
		EXPECT_EQ(n, big.data_off, RTE_PKTMBUF_HEADROOM);
		big.data_len--;
		big.pkt_len--;
		big.data_off = 0; /* fits, but no headroom */
		EXPECT_EQ(n, l2x_inner_push(&big, &t), -ENOSPC);
	}
}

/* The frame carried by both byte-exact inner packets. */
static const char frame18[] = "02 00 00 00 00 02" /* destination MAC */
			      "02 00 00 00 00 01" /* source MAC */
			      "08 00"		  /* ethertype IPv4 */
			      "de ad be ef";	  /* payload */

static void check_bytes(enum l2x_encap e, const char *want_hex)
{
	uint8_t frame[18], want[128];
	struct l2x_inner_tmpl t;
	struct rte_mbuf *m;
	size_t wn;

	assert_int_equal(l2x_test_hex(frame18, frame, sizeof(frame)), 18);
	wn = l2x_test_hex(want_hex, want, sizeof(want));
	assert_int_equal(l2x_inner_tmpl_init(&t, e, 5001, INNER_SRC, INNER_DST),
			 0);
	m = l2x_test_mbuf(frame, sizeof(frame));
	assert_int_equal(l2x_inner_push(m, &t), 0);
	assert_int_equal(m->data_len, wn);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), want, wn);
	rte_pktmbuf_free(m);
}

static void test_inner_bytes_gre(void **state)
{
	(void)state;
	check_bytes(L2X_ENCAP_GRE,
		    "45"	  /* IPv4, IHL 5 */
		    "00"	  /* TOS */
		    "00 2e"	  /* total length 46 = 20 + 8 + 18 */
		    "00 00"	  /* ID 0 */
		    "40 00"	  /* DF, offset 0 */
		    "40"	  /* TTL 64 */
		    "2f"	  /* protocol 47, GRE */
		    "1e a1"	  /* header checksum */
		    "a9 fe 64 01" /* 169.254.100.1 */
		    "a9 fe 64 02" /* 169.254.100.2 */
		    "20 00"	  /* GRE: K bit only, version 0 */
		    "65 58"	  /* protocol TEB */
		    "00 00 13 89" /* key 5001 */
		    "02 00 00 00 00 02 02 00 00 00 00 01 08 00 de ad be ef");
}

static void test_inner_bytes_vxlan(void **state)
{
	(void)state;
	check_bytes(L2X_ENCAP_VXLAN,
		    "45"	  /* IPv4, IHL 5 */
		    "00"	  /* TOS */
		    "00 36"	  /* total length 54 = 20 + 8 + 8 + 18 */
		    "00 00"	  /* ID 0 */
		    "40 00"	  /* DF, offset 0 */
		    "40"	  /* TTL 64 */
		    "11"	  /* protocol 17, UDP */
		    "1e b7"	  /* header checksum */
		    "a9 fe 64 01" /* 169.254.100.1 */
		    "a9 fe 64 02" /* 169.254.100.2 */
		    "ee b6"	  /* source port: 0xc000 | MAC hash (pinned) */
		    "12 b5"	  /* destination port 4789 */
		    "00 22"	  /* UDP length 34 = 8 + 8 + 18 */
		    "00 00"	  /* UDP checksum 0 (RFC 7348 section 5) */
		    "08 00 00 00" /* VXLAN: I flag, reserved */
		    "00 13 89 00" /* VNI 5001, reserved */
		    "02 00 00 00 00 02 02 00 00 00 00 01 08 00 de ad be ef");
}

/* ---- inner parser -------------------------------------------------------- */

/* A valid inner packet carrying a 60-byte frame: 88 (GRE) or 96 bytes. */
static size_t inner_sample(enum l2x_encap e, uint8_t *out, size_t cap)
{
	uint8_t frame[60];
	struct l2x_inner_tmpl t;
	struct rte_mbuf *m;
	uint64_t seed = 11;
	size_t n;

	l2x_test_fill(&seed, frame, sizeof(frame));
	assert_int_equal(l2x_inner_tmpl_init(&t, e, 5001, INNER_SRC, INNER_DST),
			 0);
	m = l2x_test_mbuf(frame, sizeof(frame));
	assert_int_equal(l2x_inner_push(m, &t), 0);
	n = m->data_len;
	assert_true(n <= cap);
	memcpy(out, rte_pktmbuf_mtod(m, uint8_t *), n);
	rte_pktmbuf_free(m);
	return n;
}

/* What a packet cut to n bytes, with IPv4 (and UDP) lengths rewritten to
 * match, must be refused for. */
static enum l2x_encap_err inner_cut_want(enum l2x_encap e, size_t n)
{
	if (e == L2X_ENCAP_GRE) {
		if (n < 20 + 8)
			return L2X_ENCAP_ERR_GRE_TRUNC;
		return n < 28 + 14 ? L2X_ENCAP_ERR_FRAME_SHORT : L2X_ENCAP_OK;
	}
	if (n < 28)
		return L2X_ENCAP_ERR_UDP_TRUNC;
	if (n < 36)
		return L2X_ENCAP_ERR_VXLAN_TRUNC;
	return n < 36 + 14 ? L2X_ENCAP_ERR_FRAME_SHORT : L2X_ENCAP_OK;
}

static void test_inner_truncation(void **state)
{
	uint8_t pkt[128], cut[128];
	unsigned n = 0;
	(void)state;

	for (int e = L2X_ENCAP_GRE; e <= L2X_ENCAP_VXLAN; e++) {
		size_t len = inner_sample(e, pkt, sizeof(pkt));

		/* the bytes simply end: the IPv4 header or the data its
		 * total length promises is missing */
		for (size_t k = 0; k < len; k++, n++) {
			struct l2x_inner_info info;
			enum l2x_encap_err want = k < 20
						      ? L2X_ENCAP_ERR_IP_TRUNC
						      : L2X_ENCAP_ERR_IP_TOTLEN;

			EXPECT_EQ(n, inner_parse_heap(pkt, k, &info), want);
		}
		/* consistent lengths: each inner layer truncated in turn */
		for (size_t k = 20; k <= len; k++, n++) {
			struct l2x_inner_info info;
			enum l2x_encap_err want = inner_cut_want(e, k);

			memcpy(cut, pkt, k);
			wr16(cut + 2, (uint16_t)k);
			if (e == L2X_ENCAP_VXLAN && k >= 26)
				wr16(cut + 24, (uint16_t)(k - 20));
			ref_ipv4_fix(cut, 20);
			EXPECT_EQ(n, inner_parse_heap(cut, k, &info), want);
			if (want == L2X_ENCAP_OK)
				EXPECT_EQ(n, info.frame_len,
					  k - (e == L2X_ENCAP_GRE ? 28 : 36));
		}
	}
}

static void test_inner_malformed(void **state)
{
	/* One field of a valid 88-byte GRE or 96-byte VXLAN packet set to
	 * val (width 1, 2 or 4 bytes at off); the IPv4 checksum is then
	 * recomputed unless nofix. cut: parse only that many bytes. */
	static const struct {
		unsigned n;
		enum l2x_encap e;
		uint16_t off;
		uint8_t width;
		uint32_t val;
		bool nofix;
		uint16_t cut;
		enum l2x_encap_err want;
		uint32_t frame_len; /* checked when OK */
	} c[] = {
#define G L2X_ENCAP_GRE
#define V L2X_ENCAP_VXLAN
	    {1, G, 0, 0, 0, false, 0, L2X_ENCAP_OK, 60},
	    {2, V, 0, 0, 0, false, 0, L2X_ENCAP_OK, 60},
	    {3, G, 0, 1, 0x65, false, 0, L2X_ENCAP_ERR_IP_VERSION, 0},
	    {4, G, 0, 1, 0x05, false, 0, L2X_ENCAP_ERR_IP_VERSION, 0},
	    {5, V, 0, 1, 0x60, false, 0, L2X_ENCAP_ERR_IP_VERSION, 0},
	    {6, G, 0, 1, 0x44, false, 0, L2X_ENCAP_ERR_IP_IHL, 0},
	    {7, G, 0, 1, 0x40, false, 0, L2X_ENCAP_ERR_IP_IHL, 0},
	    {8, G, 0, 1, 0x4f, false, 40, L2X_ENCAP_ERR_IP_IHL, 0},
	    {9, V, 0, 1, 0x4f, false, 59, L2X_ENCAP_ERR_IP_IHL, 0},
	    {10, G, 2, 2, 89, false, 0, L2X_ENCAP_ERR_IP_TOTLEN, 0},
	    {11, G, 2, 2, 0xffff, false, 0, L2X_ENCAP_ERR_IP_TOTLEN, 0},
	    {12, G, 2, 2, 19, false, 0, L2X_ENCAP_ERR_IP_TOTLEN, 0},
	    {13, V, 2, 2, 0, false, 0, L2X_ENCAP_ERR_IP_TOTLEN, 0},
	    {14, G, 10, 2, 0x1234, true, 0, L2X_ENCAP_ERR_IP_CSUM, 0},
	    {15, V, 12, 1, 0xaa, true, 0, L2X_ENCAP_ERR_IP_CSUM, 0},
	    {16, G, 6, 2, 0x6000, false, 0, L2X_ENCAP_ERR_IP_FRAG, 0},
	    {17, G, 6, 2, 0x2000, false, 0, L2X_ENCAP_ERR_IP_FRAG, 0},
	    {18, V, 6, 2, 0x4001, false, 0, L2X_ENCAP_ERR_IP_FRAG, 0},
	    {19, G, 6, 2, 0x1fff, false, 0, L2X_ENCAP_ERR_IP_FRAG, 0},
	    {20, G, 6, 2, 0x0000, false, 0, L2X_ENCAP_OK, 60}, /* no DF */
	    {21, G, 9, 1, 6, false, 0, L2X_ENCAP_ERR_IP_PROTO, 0},
	    {22, G, 9, 1, 4, false, 0, L2X_ENCAP_ERR_IP_PROTO, 0},
	    {23, V, 9, 1, 50, false, 0, L2X_ENCAP_ERR_IP_PROTO, 0},
	    {24, G, 20, 2, 0xa000, false, 0, L2X_ENCAP_ERR_GRE_FLAGS, 0},
	    {25, G, 20, 2, 0x6000, false, 0, L2X_ENCAP_ERR_GRE_FLAGS, 0},
	    {26, G, 20, 2, 0x3000, false, 0, L2X_ENCAP_ERR_GRE_FLAGS, 0},
	    {27, G, 20, 2, 0x2800, false, 0, L2X_ENCAP_ERR_GRE_FLAGS, 0},
	    {28, G, 20, 2, 0x2400, false, 0, L2X_ENCAP_ERR_GRE_FLAGS, 0},
	    /* bits 6-12 are ignored on receipt (RFC 2784 section 2.3) */
	    {29, G, 20, 2, 0x23f8, false, 0, L2X_ENCAP_OK, 60},
	    {30, G, 20, 2, 0x2001, false, 0, L2X_ENCAP_ERR_GRE_VERSION, 0},
	    {31, G, 20, 2, 0x2007, false, 0, L2X_ENCAP_ERR_GRE_VERSION, 0},
	    {32, G, 20, 2, 0x0000, false, 0, L2X_ENCAP_ERR_GRE_NO_KEY, 0},
	    {33, G, 22, 2, 0x0800, false, 0, L2X_ENCAP_ERR_GRE_PROTO, 0},
	    {34, G, 22, 2, 0x88be, false, 0, L2X_ENCAP_ERR_GRE_PROTO, 0},
	    {35, V, 22, 2, 4790, false, 0, L2X_ENCAP_ERR_UDP_PORT, 0},
	    {36, V, 22, 2, 4500, false, 0, L2X_ENCAP_ERR_UDP_PORT, 0},
	    {37, V, 24, 2, 0, false, 0, L2X_ENCAP_ERR_UDP_LEN, 0},
	    {38, V, 24, 2, 7, false, 0, L2X_ENCAP_ERR_UDP_LEN, 0},
	    {39, V, 24, 2, 77, false, 0, L2X_ENCAP_ERR_UDP_LEN, 0},
	    {40, V, 24, 2, 8, false, 0, L2X_ENCAP_ERR_VXLAN_TRUNC, 0},
	    {41, V, 24, 2, 15, false, 0, L2X_ENCAP_ERR_VXLAN_TRUNC, 0},
	    {42, V, 24, 2, 16, false, 0, L2X_ENCAP_ERR_FRAME_SHORT, 0},
	    {43, V, 24, 2, 29, false, 0, L2X_ENCAP_ERR_FRAME_SHORT, 0},
	    /* UDP shorter than IPv4 allows: the UDP length wins */
	    {44, V, 24, 2, 30, false, 0, L2X_ENCAP_OK, 14},
	    {45, V, 28, 1, 0x00, false, 0, L2X_ENCAP_ERR_VXLAN_FLAGS, 0},
	    {46, V, 28, 1, 0xf7, false, 0, L2X_ENCAP_ERR_VXLAN_FLAGS, 0},
	    /* reserved bits ignored (RFC 7348 section 5) */
	    {47, V, 28, 1, 0xff, false, 0, L2X_ENCAP_OK, 60},
	    {48, V, 29, 2, 0xffff, false, 0, L2X_ENCAP_OK, 60},
	    {49, V, 35, 1, 0xab, false, 0, L2X_ENCAP_OK, 60},
	    /* inner UDP source port and checksum are not checked */
	    {50, V, 20, 2, 0, false, 0, L2X_ENCAP_OK, 60},
	    {51, V, 26, 2, 0xbeef, false, 0, L2X_ENCAP_OK, 60},
	    /* bytes after the total length are ignored */
	    {52, G, 2, 2, 87, false, 0, L2X_ENCAP_OK, 59},
#undef G
#undef V
	};
	(void)state;

	for (size_t i = 0; i < RTE_DIM(c); i++) {
		uint8_t pkt[128];
		size_t len = inner_sample(c[i].e, pkt, sizeof(pkt));
		struct l2x_inner_info info;
		enum l2x_encap_err err;
		uint8_t *f = pkt + c[i].off;

		if (c[i].width == 1)
			f[0] = (uint8_t)c[i].val;
		else if (c[i].width == 2)
			wr16(f, (uint16_t)c[i].val);
		if (!c[i].nofix)
			ref_ipv4_fix(pkt, 20);
		if (c[i].cut)
			len = c[i].cut;
		err = inner_parse_heap(pkt, len, &info);
		EXPECT_EQ(c[i].n, err, c[i].want);
		if (err == L2X_ENCAP_OK) {
			EXPECT_EQ(c[i].n, info.encap, c[i].e);
			EXPECT_EQ(c[i].n, info.tunnel_id, 5001);
			EXPECT_EQ(c[i].n, info.frame_len, c[i].frame_len);
		}
	}
}

static void test_inner_ip_options(void **state)
{
	uint8_t pkt[128], opt[132];
	struct l2x_inner_info info;
	(void)state;

	for (int e = L2X_ENCAP_GRE; e <= L2X_ENCAP_VXLAN; e++) {
		size_t len = inner_sample(e, pkt, sizeof(pkt));

		/* IHL 6: four NOP/EOL option bytes after the fixed header */
		memcpy(opt, pkt, 20);
		memcpy(opt + 20, "\x01\x01\x01\x00", 4);
		memcpy(opt + 24, pkt + 20, len - 20);
		opt[0] = 0x46;
		wr16(opt + 2, (uint16_t)(len + 4));
		ref_ipv4_fix(opt, 24);
		assert_int_equal(inner_parse_heap(opt, len + 4, &info),
				 L2X_ENCAP_OK);
		assert_int_equal(info.frame_off, e == L2X_ENCAP_GRE ? 32 : 40);
		assert_int_equal(info.frame_len, 60);
		assert_memory_equal(opt + info.frame_off,
				    pkt + (e == L2X_ENCAP_GRE ? 28 : 36), 60);
	}
}

/* ---- outer template and push --------------------------------------------- */

static struct l2x_outer_prm outer_prm(uint16_t vlan, uint32_t flags)
{
	return (struct l2x_outer_prm){
	    .src_mac = mac_a,
	    .src_ip = UPLINK_A,
	    .src_port = L2X_UDP_ENCAP_PORT,
	    .vlan = vlan,
	    .first_id = 0x1234,
	    .flags = flags,
	    .peer = {.mac = mac_b, .ip = UPLINK_B, .port = L2X_UDP_ENCAP_PORT},
	};
}

static void test_outer_tmpl_init(void **state)
{
	static const struct {
		unsigned n;
		int field; /* which field to spoil */
		int rc;
	} c[] = {
	    {1, 0, 0},	     {2, 1, -EINVAL}, {3, 2, -EINVAL},
	    {4, 3, -EINVAL}, {5, 4, -EINVAL}, {6, 5, -EINVAL},
	    {7, 6, -EINVAL}, {8, 7, 0},	      {9, 8, -EINVAL},
	};
	(void)state;

	for (size_t i = 0; i < RTE_DIM(c); i++) {
		struct l2x_outer_prm prm = outer_prm(0, 0);
		struct l2x_outer_tmpl t, before;

		switch (c[i].field) {
		case 1:
			prm.src_ip = 0;
			break;
		case 2:
			prm.peer.ip = 0;
			break;
		case 3:
			prm.src_port = 0;
			break;
		case 4:
			prm.peer.port = 0;
			break;
		case 5:
			prm.vlan = 4095;
			break;
		case 6:
			prm.flags = 0x2;
			break;
		case 7:
			prm.vlan = 4094;
			break;
		case 8:
			prm.flags = 0x80000000u;
			break;
		}
		memset(&t, 0x5a, sizeof(t));
		memcpy(&before, &t, sizeof(t));
		EXPECT_EQ(c[i].n, l2x_outer_tmpl_init(&t, &prm), c[i].rc);
		if (c[i].rc)
			EXPECT(c[i].n, memcmp(&t, &before, sizeof(t)) == 0);
	}
	struct l2x_outer_prm prm = outer_prm(0, 0);
	struct l2x_outer_tmpl t;

	assert_int_equal(l2x_outer_tmpl_init(NULL, &prm), -EINVAL);
	assert_int_equal(l2x_outer_tmpl_init(&t, NULL), -EINVAL);
}

/* Check a pushed outer packet field by field. */
static void check_outer(unsigned n, const uint8_t *pkt, size_t len,
			uint16_t vlan, uint16_t id, bool csum,
			const struct rte_ether_addr *dmac, uint32_t dip,
			uint16_t dport, const uint8_t *pay, size_t plen)
{
	size_t l3 = vlan ? 18 : 14;
	const uint8_t *ip = pkt + l3, *udp = ip + 20;

	EXPECT_EQ(n, len, l3 + 28 + plen);
	EXPECT(n, memcmp(pkt, dmac->addr_bytes, 6) == 0);
	EXPECT(n, memcmp(pkt + 6, mac_a.addr_bytes, 6) == 0);
	if (vlan) {
		EXPECT_EQ(n, rd16(pkt + 12), 0x8100);
		EXPECT_EQ(n, rd16(pkt + 14), vlan);
	}
	EXPECT_EQ(n, rd16(pkt + l3 - 2), 0x0800);
	EXPECT_EQ(n, ip[0], 0x45);
	EXPECT_EQ(n, ip[1], 0);
	EXPECT_EQ(n, rd16(ip + 2), 28 + plen);
	EXPECT_EQ(n, rd16(ip + 4), id);
	EXPECT_EQ(n, rd16(ip + 6), 0); /* DF clear, offset 0 */
	EXPECT_EQ(n, ip[8], 64);
	EXPECT_EQ(n, ip[9], 17);
	EXPECT(n, ref_ipv4_ok(ip));
	EXPECT_EQ(n, rd32(ip + 12), IP4(198, 18, 1, 2));
	EXPECT_EQ(n, rd32(ip + 16), dip);
	EXPECT_EQ(n, rd16(udp), 4500);
	EXPECT_EQ(n, rd16(udp + 2), dport);
	EXPECT_EQ(n, rd16(udp + 4), 8 + plen);
	if (csum) {
		EXPECT(n, rd16(udp + 6) != 0);
		EXPECT(n, ref_udp_ok(ip));
	} else {
		EXPECT_EQ(n, rd16(udp + 6), 0); /* RFC 3948 section 2.1 */
	}
	EXPECT(n, memcmp(udp + 8, pay, plen) == 0);
}

static void test_outer_roundtrip(void **state)
{
	static const size_t plens[] = {
	    L2X_OUTER_ESP_MIN, L2X_OUTER_ESP_MIN + 1, 100, 1401, 1438, 9000};
	static const uint16_t vlans[] = {0, 100, 4094};
	static uint8_t pay[9000];
	uint64_t seed = 5;
	unsigned n = 0;
	(void)state;

	for (size_t v = 0; v < RTE_DIM(vlans); v++) {
		for (uint32_t fl = 0; fl <= L2X_OUTER_F_UDP_CSUM; fl++) {
			struct l2x_outer_prm prm = outer_prm(vlans[v], fl);
			struct l2x_outer_tmpl t;
			uint16_t id = prm.first_id;

			assert_int_equal(l2x_outer_tmpl_init(&t, &prm), 0);
			for (size_t i = 0; i < RTE_DIM(plens); i++, n++) {
				struct l2x_outer_info info;
				struct rte_mbuf *m;
				const uint8_t *pkt;

				l2x_test_fill(&seed, pay, plens[i]);
				pay[0] = 0x01; /* SPI != 0 */
				m = l2x_test_mbuf(pay, plens[i]);
				EXPECT_EQ(n, l2x_outer_push(m, &t), 0);
				pkt = rte_pktmbuf_mtod(m, const uint8_t *);
				check_outer(n, pkt, m->data_len, vlans[v], id++,
					    fl, &mac_b, IP4(198, 18, 2, 2),
					    4500, pay, plens[i]);
				EXPECT_EQ(n, t.next_id, id);

				EXPECT_EQ(
				    n,
				    outer_parse_heap(pkt, m->data_len, &info),
				    L2X_OUTER_OK);
				EXPECT_EQ(n, info.cls, L2X_OUTER_ESP);
				EXPECT_EQ(n, info.tagged, vlans[v] != 0);
				EXPECT_EQ(n, info.vlan, vlans[v]);
				EXPECT_EQ(n, info.payload_off,
					  (vlans[v] ? 18 : 14) + 28);
				EXPECT_EQ(n, info.payload_len, plens[i]);
				EXPECT_EQ(n, info.src_ip, UPLINK_A);
				EXPECT_EQ(n, info.dst_ip, UPLINK_B);
				EXPECT_EQ(n, info.sport, 4500);
				rte_pktmbuf_free(m);
			}
		}
	}
}

static void test_outer_id_wraps(void **state)
{
	struct l2x_outer_prm prm = outer_prm(0, 0);
	struct l2x_outer_tmpl t;
	uint8_t pay[40] = {1};
	static const uint16_t want[] = {0xfffe, 0xffff, 0x0000, 0x0001};
	(void)state;

	prm.first_id = 0xfffe;
	assert_int_equal(l2x_outer_tmpl_init(&t, &prm), 0);
	for (size_t i = 0; i < RTE_DIM(want); i++) {
		struct rte_mbuf *m = l2x_test_mbuf(pay, sizeof(pay));

		EXPECT_EQ(i, l2x_outer_push(m, &t), 0);
		EXPECT_EQ(i, rd16(rte_pktmbuf_mtod(m, uint8_t *) + 18),
			  want[i]);
		EXPECT(i, ref_ipv4_ok(rte_pktmbuf_mtod(m, uint8_t *) + 14));
		rte_pktmbuf_free(m);
	}
}

/* A payload whose UDP checksum computes to 0 must carry 0xffff (RFC 768). */
static void test_outer_udp_csum_zero(void **state)
{
	struct l2x_outer_prm prm = outer_prm(0, L2X_OUTER_F_UDP_CSUM);
	struct l2x_outer_tmpl t;
	uint8_t pay[64], ph[12] = {198, 18, 1, 2, 198, 18, 2, 2, 0, 17};
	uint8_t udp[8] = {0x11, 0x94, 0x11, 0x94};
	uint64_t seed = 9;
	uint32_t sum;
	struct rte_mbuf *m;
	const uint8_t *ip;
	(void)state;

	l2x_test_fill(&seed, pay, sizeof(pay));
	wr16(pay + sizeof(pay) - 2, 0);
	wr16(ph + 10, 8 + sizeof(pay));
	wr16(udp + 4, 8 + sizeof(pay));
	sum = ref_sum(pay, sizeof(pay),
		      ref_sum(udp, 8, ref_sum(ph, sizeof(ph), 0)));
	/* make the whole sum 0xffff: the checksum computes to 0 */
	wr16(pay + sizeof(pay) - 2, (uint16_t)~ref_fold(sum));

	assert_int_equal(l2x_outer_tmpl_init(&t, &prm), 0);
	m = l2x_test_mbuf(pay, sizeof(pay));
	assert_int_equal(l2x_outer_push(m, &t), 0);
	ip = rte_pktmbuf_mtod(m, const uint8_t *) + 14;
	assert_int_equal(rd16(ip + 26), 0xffff);
	assert_true(ref_udp_ok(ip));
	rte_pktmbuf_free(m);
}

static void test_outer_push_errors(void **state)
{
	static uint8_t pay[100];
	(void)state;

	memset(pay, 0x42, sizeof(pay));
	for (uint16_t vlan = 0; vlan <= 7; vlan += 7) {
		struct l2x_outer_prm prm =
		    outer_prm(vlan, L2X_OUTER_F_UDP_CSUM);
		struct l2x_outer_tmpl t, before;
		struct rte_mbuf *m, *m2;
		uint8_t *snap;
		unsigned n = vlan;

		assert_int_equal(l2x_outer_tmpl_init(&t, &prm), 0);
		assert_int_equal(t.hdr_len, vlan ? 46 : 42);
		memcpy(&before, &t, sizeof(t));

		m = mbuf_at(pay, sizeof(pay), t.hdr_len - 1);
		snap = heap(m->buf_addr, m->buf_len);
		EXPECT_EQ(n, l2x_outer_push(m, &t), -ENOSPC);
		EXPECT_EQ(n, m->data_off, t.hdr_len - 1);
		EXPECT_EQ(n, m->data_len, sizeof(pay));
		EXPECT_EQ(n, m->pkt_len, sizeof(pay));
		EXPECT(n, memcmp(snap, m->buf_addr, m->buf_len) == 0);
		EXPECT(n, memcmp(&t, &before, sizeof(t)) == 0);
		free(snap);
		rte_pktmbuf_free(m);

		m = mbuf_at(pay, sizeof(pay), t.hdr_len);
		EXPECT_EQ(n, l2x_outer_push(m, &t), 0);
		check_outer(n, rte_pktmbuf_mtod(m, uint8_t *), m->data_len,
			    vlan, 0x1234, true, &mac_b, IP4(198, 18, 2, 2),
			    4500, pay, sizeof(pay));
		rte_pktmbuf_free(m);
		memcpy(&before, &t, sizeof(t));

		m = mbuf_at(pay, 50, RTE_PKTMBUF_HEADROOM);
		m2 = mbuf_at(pay, 50, RTE_PKTMBUF_HEADROOM);
		assert_int_equal(rte_pktmbuf_chain(m, m2), 0);
		EXPECT_EQ(n, l2x_outer_push(m, &t), -EINVAL);
		EXPECT_EQ(n, m->data_off, RTE_PKTMBUF_HEADROOM);
		EXPECT(n, memcmp(&t, &before, sizeof(t)) == 0);
		rte_pktmbuf_free(m);

		struct rte_mbuf big;

		memset(&big, 0, sizeof(big));
		big.nb_segs = 1;
		big.data_off = RTE_PKTMBUF_HEADROOM;
		big.data_len = UINT16_MAX - 28 + 1;
		big.pkt_len = big.data_len;
		EXPECT_EQ(n, l2x_outer_push(&big, &t), -EMSGSIZE);
		EXPECT_EQ(n, big.data_off, RTE_PKTMBUF_HEADROOM);
		EXPECT(n, memcmp(&t, &before, sizeof(t)) == 0);
	}
}

static void test_outer_bytes(void **state)
{
	struct l2x_outer_prm prm = outer_prm(0, L2X_OUTER_F_UDP_CSUM);
	struct l2x_outer_tmpl t;
	uint8_t pay[36], want[128];
	struct rte_mbuf *m;
	size_t wn;
	(void)state;

	assert_int_equal(l2x_test_hex("00 00 01 01"		/* SPI */
				      "00 00 00 01"		/* sequence */
				      "00 00 00 00 00 00 00 01" /* IV */
				      "11 22 33 44"		/* ciphertext */
				      "5a 5a 5a 5a 5a 5a 5a 5a" /* ICV */
				      "5a 5a 5a 5a 5a 5a 5a 5a",
				      pay, sizeof(pay)),
			 36);
	wn = l2x_test_hex(
	    "02 00 00 00 02 01" /* destination MAC: the peer */
	    "02 00 00 00 01 01" /* source MAC: our uplink */
	    "08 00"		/* IPv4 */
	    "45"		/* IPv4, IHL 5 */
	    "00"		/* TOS */
	    "00 40"		/* total length 64 = 20 + 8 + 36 */
	    "12 34"		/* ID: first_id */
	    "00 00"		/* DF clear, offset 0 */
	    "40"		/* TTL 64 */
	    "11"		/* UDP */
	    "d9 50"		/* header checksum */
	    "c6 12 01 02"	/* 198.18.1.2 */
	    "c6 12 02 02"	/* 198.18.2.2 */
	    "11 94"		/* source port 4500 */
	    "11 94"		/* destination port 4500 */
	    "00 2c"		/* UDP length 44 = 8 + 36 */
	    "35 09"		/* UDP checksum (flag set) */
	    "00 00 01 01 00 00 00 01 00 00 00 00 00 00 00 01 11 22 33 44"
	    "5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a",
	    want, sizeof(want));

	assert_int_equal(l2x_outer_tmpl_init(&t, &prm), 0);
	m = l2x_test_mbuf(pay, sizeof(pay));
	assert_int_equal(l2x_outer_push(m, &t), 0);
	assert_int_equal(m->data_len, wn);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), want, wn);
	rte_pktmbuf_free(m);
}

/* NAT moved the peer to another address and port, and the next hop
 * changed: the template follows, the ID counter continues. */
static void test_outer_set_peer(void **state)
{
	struct l2x_outer_peer nat = {.mac = mac_gw, .ip = NAT_B, .port = 61234};
	struct l2x_outer_peer got;
	uint8_t pay[64];
	uint64_t seed = 13;
	(void)state;

	l2x_test_fill(&seed, pay, sizeof(pay));
	for (uint16_t vlan = 0; vlan <= 300; vlan += 300) {
		for (uint32_t fl = 0; fl <= L2X_OUTER_F_UDP_CSUM; fl++) {
			struct l2x_outer_prm prm = outer_prm(vlan, fl);
			struct l2x_outer_tmpl t, before;
			struct rte_mbuf *m;
			unsigned n = vlan + fl;

			assert_int_equal(l2x_outer_tmpl_init(&t, &prm), 0);
			l2x_outer_tmpl_get_peer(&t, &got);
			EXPECT(n, rte_is_same_ether_addr(&got.mac, &mac_b));
			EXPECT_EQ(n, got.ip, UPLINK_B);
			EXPECT_EQ(n, got.port, 4500);
			EXPECT_EQ(n, l2x_outer_tmpl_peer_ip(&t), UPLINK_B);

			m = l2x_test_mbuf(pay, sizeof(pay));
			EXPECT_EQ(n, l2x_outer_push(m, &t), 0);
			rte_pktmbuf_free(m);

			EXPECT_EQ(n, l2x_outer_tmpl_set_peer(&t, &nat), 0);
			l2x_outer_tmpl_get_peer(&t, &got);
			EXPECT(n, rte_is_same_ether_addr(&got.mac, &mac_gw));
			EXPECT_EQ(n, got.ip, NAT_B);
			EXPECT_EQ(n, got.port, 61234);
			EXPECT_EQ(n, l2x_outer_tmpl_peer_ip(&t), NAT_B);

			m = l2x_test_mbuf(pay, sizeof(pay));
			EXPECT_EQ(n, l2x_outer_push(m, &t), 0);
			check_outer(n, rte_pktmbuf_mtod(m, uint8_t *),
				    m->data_len, vlan, 0x1235, fl, &mac_gw,
				    IP4(198, 19, 0, 7), 61234, pay,
				    sizeof(pay));
			rte_pktmbuf_free(m);

			/* refused updates leave the template alone */
			memcpy(&before, &t, sizeof(t));
			struct l2x_outer_peer bad = nat;

			bad.port = 0;
			EXPECT_EQ(n, l2x_outer_tmpl_set_peer(&t, &bad),
				  -EINVAL);
			bad = nat;
			bad.ip = 0;
			EXPECT_EQ(n, l2x_outer_tmpl_set_peer(&t, &bad),
				  -EINVAL);
			EXPECT_EQ(n, l2x_outer_tmpl_set_peer(&t, NULL),
				  -EINVAL);
			EXPECT(n, memcmp(&t, &before, sizeof(t)) == 0);
		}
	}
	assert_int_equal(l2x_outer_tmpl_set_peer(NULL, &nat), -EINVAL);
}

/* The control thread changes the peer while the worker pushes: every
 * packet must carry one peer whole, with valid checksums. A race test can
 * miss a torn copy, never report a false one. */
struct race {
	struct l2x_outer_tmpl *t;
	int stop;
	unsigned updates;
};

static const struct l2x_outer_peer race_peer[2] = {
    {.mac = {{0x02, 0, 0, 0, 0x02, 0x01}}, .ip = UPLINK_B, .port = 4500},
    {.mac = {{0x02, 0, 0, 0, 0x03, 0x01}}, .ip = NAT_B, .port = 61234},
};

static void *race_writer(void *arg)
{
	struct race *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
		l2x_outer_tmpl_set_peer(r->t, &race_peer[++r->updates & 1]);
	return NULL;
}

static void test_outer_set_peer_concurrent(void **state)
{
	struct l2x_outer_prm prm = outer_prm(0, L2X_OUTER_F_UDP_CSUM);
	static struct l2x_outer_tmpl t;
	static struct race r;
	uint8_t pay[40] = {1, 2, 3, 4};
	unsigned seen[2] = {0, 0}, bad = 0;
	struct rte_mbuf *m;
	pthread_attr_t attr;
	pthread_t th;
	(void)state;

	assert_int_equal(l2x_outer_tmpl_init(&t, &prm), 0);
	r = (struct race){.t = &t};
	m = l2x_test_mbuf(pay, sizeof(pay));
	/* The EAL pinned this thread to CPU 0 (-l 0) and a new thread
	 * inherits that: give the writer the other CPUs, so that it really
	 * runs alongside (one CPU: it interleaves by preemption only). */
	assert_int_equal(pthread_attr_init(&attr), 0);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu > 1) {
		cpu_set_t cpus;

		CPU_ZERO(&cpus);
		for (long c = 1; c < ncpu && c < CPU_SETSIZE; c++)
			CPU_SET(c, &cpus);
		assert_int_equal(
		    pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus), 0);
	}
	assert_int_equal(pthread_create(&th, &attr, race_writer, &r), 0);
	pthread_attr_destroy(&attr);
	/* No assertion until the writer is joined: a failed one would leave
	 * it running. */
	for (unsigned i = 0; i < 100000; i++) {
		const uint8_t *p, *ip;
		int k;

		if (l2x_outer_push(m, &t) != 0) {
			bad++;
			break;
		}
		p = rte_pktmbuf_mtod(m, const uint8_t *);
		ip = p + 14;
		k = rd32(ip + 16) == IP4(198, 19, 0, 7);
		if (memcmp(p, race_peer[k].mac.addr_bytes, 6) != 0 ||
		    rd16(ip + 22) != race_peer[k].port || !ref_ipv4_ok(ip) ||
		    !ref_udp_ok(ip))
			bad++;
		seen[k]++;
		rte_pktmbuf_adj(m, 42);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(th, NULL), 0);
	rte_pktmbuf_free(m);
	print_message("      %u updates; packets to peer 0: %u, peer 1: %u\n",
		      r.updates, seen[0], seen[1]);
	assert_int_equal(bad, 0);
}

/* ---- outer parser -------------------------------------------------------- */

/* Frame builder for the classifier table. */
struct ob {
	uint16_t tpid, tci; /* first tag (0: untagged) */
	uint16_t tpid2;	    /* second tag's TPID (0: none) */
	uint16_t ethertype; /* 0: IPv4 */
	uint8_t proto;	    /* 0: UDP */
	uint8_t ihl;	    /* 0: 5 */
	uint16_t frag;	    /* flags and offset */
	uint16_t sport, dport;
	const uint8_t *pay;
	uint16_t plen;
	uint16_t ip_extra; /* bytes in IPv4 after the UDP datagram */
	uint16_t pad;	   /* Ethernet padding after IPv4 */
	uint16_t udp_cksum;
};

static size_t build_outer(uint8_t *f, const struct ob *b, size_t *l3)
{
	size_t o = 12, hl, l4len;
	uint16_t et = b->ethertype ? b->ethertype : 0x0800;
	uint8_t proto = b->proto ? b->proto : 17;
	uint8_t *ip;

	memcpy(f, mac_a.addr_bytes, 6);
	memcpy(f + 6, mac_b.addr_bytes, 6);
	if (b->tpid) {
		wr16(f + o, b->tpid);
		wr16(f + o + 2, b->tci);
		o += 4;
		if (b->tpid2) {
			wr16(f + o, b->tpid2);
			wr16(f + o + 2, b->tci);
			o += 4;
		}
	}
	wr16(f + o, et);
	o += 2;
	*l3 = o;
	if (et != 0x0800) {
		memcpy(f + o, b->pay, b->plen);
		memset(f + o + b->plen, 0, b->pad);
		return o + b->plen + b->pad;
	}
	ip = f + o;
	hl = (size_t)(b->ihl ? b->ihl : 5) * 4;
	l4len = (proto == 17 ? 8u : 0u) + b->plen + b->ip_extra;
	ip[0] = (uint8_t)(0x40 | hl / 4);
	ip[1] = 0;
	wr16(ip + 2, (uint16_t)(hl + l4len));
	wr16(ip + 4, 0x4321);
	wr16(ip + 6, b->frag);
	ip[8] = 61;
	ip[9] = proto;
	memcpy(ip + 12, "\xc6\x13\x00\x07", 4); /* 198.19.0.7: behind NAT */
	memcpy(ip + 16, "\xc6\x12\x01\x02", 4); /* 198.18.1.2: us */
	memset(ip + 20, 1, hl - 20);		/* NOP options */
	ref_ipv4_fix(ip, hl);
	o += hl;
	if (proto == 17) {
		wr16(f + o, b->sport);
		wr16(f + o + 2, b->dport);
		wr16(f + o + 4, (uint16_t)(8 + b->plen));
		wr16(f + o + 6, b->udp_cksum);
		o += 8;
	}
	memcpy(f + o, b->pay, b->plen);
	o += b->plen;
	memset(f + o, 0xee, b->ip_extra);
	o += b->ip_extra;
	memset(f + o, 0, b->pad);
	return o + b->pad;
}

static const uint8_t esp_pay[64] = {0x01, 0x02, 0x03, 0x04, 0, 0, 0, 1};
static const uint8_t ike_pay[32] = {0x11, 0x22, 0x33, 0x44};
static const uint8_t marker_pay[32] = {0, 0, 0, 0, 0x11, 0x22};
static const uint8_t ka_pay[1] = {0xff};
static const uint8_t zero_pay[4];
static const uint8_t ff_pay[2] = {0xff, 0xff};
static const uint8_t arp_pay[28] = {0, 1, 8, 0, 6, 4, 0, 1};
static const uint8_t icmp_pay[8] = {8, 0, 0xf7, 0xff};

static void test_outer_classify(void **state)
{
	/* A frame built from .b, then one byte or word of its IPv4 header
	 * at moff set to mval (mw = 1 or 2; checksum recomputed unless
	 * nofix), optionally parsed only up to cut bytes. */
	static const struct {
		unsigned n;
		struct ob b;
		uint8_t mw;
		uint8_t moff;
		uint16_t mval;
		bool nofix;
		uint16_t cut;
		enum l2x_outer_err err;
		enum l2x_outer_class cls;
		int vlan;     /* -1: untagged */
		int32_t poff; /* -1: not checked */
		int32_t plen; /* -1: not checked */
	} c[] = {
#define UDP4500(p, n) .sport = 4500, .dport = 4500, .pay = (p), .plen = (n)
#define OK_(cl) .err = L2X_OUTER_OK, .cls = (cl)
#define ERR_(e) .err = (e), .poff = -1, .plen = -1
	    /* ESP on 4500; the minimum is header, IV, trailer, ICV */
	    {1, {UDP4500(esp_pay, 34)}, OK_(L2X_OUTER_ESP), -1, 42, 34},
	    {2, {UDP4500(esp_pay, 33)}, ERR_(L2X_OUTER_ERR_ESP_SHORT)},
	    {3, {UDP4500(esp_pay, 64)}, OK_(L2X_OUTER_ESP), -1, 42, 64},
	    /* NAT: the peer's port is not 4500 */
	    {4,
	     {.sport = 61234, .dport = 4500, .pay = esp_pay, .plen = 40},
	     OK_(L2X_OUTER_ESP),
	     -1,
	     42,
	     40},
	    /* RFC 3948 section 2.1: a non-zero checksum is not refused */
	    {5,
	     {UDP4500(esp_pay, 40), .udp_cksum = 0xabcd},
	     OK_(L2X_OUTER_ESP),
	     -1,
	     42,
	     40},
	    /* IKE: UDP 500, or 4500 behind the non-ESP marker */
	    {6,
	     {.sport = 500, .dport = 500, .pay = ike_pay, .plen = 32},
	     OK_(L2X_OUTER_IKE),
	     -1,
	     42,
	     32},
	    {7,
	     {.sport = 500, .dport = 500, .pay = ka_pay, .plen = 1},
	     OK_(L2X_OUTER_IKE),
	     -1,
	     42,
	     1},
	    {8, {UDP4500(marker_pay, 32)}, OK_(L2X_OUTER_IKE), -1, 42, 32},
	    {9, {UDP4500(zero_pay, 4)}, OK_(L2X_OUTER_IKE), -1, 42, 4},
	    /* keepalive: exactly one 0xff byte */
	    {10, {UDP4500(ka_pay, 1)}, OK_(L2X_OUTER_KEEPALIVE), -1, 42, 1},
	    {11, {UDP4500(zero_pay, 1)}, ERR_(L2X_OUTER_ERR_ESP_SHORT)},
	    {12, {UDP4500(ff_pay, 2)}, ERR_(L2X_OUTER_ERR_ESP_SHORT)},
	    {13, {UDP4500(zero_pay, 3)}, ERR_(L2X_OUTER_ERR_ESP_SHORT)},
	    {14, {UDP4500(zero_pay, 0)}, ERR_(L2X_OUTER_ERR_ESP_SHORT)},
	    /* keepalive in a minimum-size frame: padding ignored */
	    {15,
	     {UDP4500(ka_pay, 1), .pad = 17},
	     OK_(L2X_OUTER_KEEPALIVE),
	     -1,
	     42,
	     1},
	    /* UDP shorter than IPv4 allows: UDP length wins */
	    {16,
	     {UDP4500(ka_pay, 1), .ip_extra = 3},
	     OK_(L2X_OUTER_KEEPALIVE),
	     -1,
	     42,
	     1},
	    /* other traffic for the appliance */
	    {17,
	     {.sport = 4500, .dport = 53, .pay = esp_pay, .plen = 40},
	     OK_(L2X_OUTER_EXCEPTION),
	     -1,
	     42,
	     40},
	    {18,
	     {.proto = 1, .pay = icmp_pay, .plen = 8},
	     OK_(L2X_OUTER_EXCEPTION),
	     -1,
	     0,
	     0},
	    {19,
	     {.proto = 6, .pay = esp_pay, .plen = 20},
	     OK_(L2X_OUTER_EXCEPTION),
	     -1,
	     0,
	     0},
	    {20,
	     {.proto = 50, .pay = esp_pay, .plen = 40},
	     OK_(L2X_OUTER_EXCEPTION),
	     -1,
	     0,
	     0},
	    {21,
	     {.ethertype = 0x0806, .pay = arp_pay, .plen = 28},
	     OK_(L2X_OUTER_EXCEPTION),
	     -1,
	     0,
	     0},
	    {22,
	     {.ethertype = 0x86dd, .pay = esp_pay, .plen = 60},
	     OK_(L2X_OUTER_EXCEPTION),
	     -1,
	     0,
	     0},
	    {23,
	     {.ethertype = 0x88a8, .pay = esp_pay, .plen = 60},
	     OK_(L2X_OUTER_EXCEPTION),
	     -1,
	     0,
	     0},
	    /* fragments go to reassembly whatever they carry */
	    {24,
	     {UDP4500(esp_pay, 64), .frag = 0x2000},
	     OK_(L2X_OUTER_FRAGMENT),
	     -1,
	     0,
	     0},
	    {25,
	     {.proto = 17, .pay = esp_pay, .plen = 64, .frag = 0x00b9},
	     OK_(L2X_OUTER_FRAGMENT),
	     -1,
	     0,
	     0},
	    {26,
	     {.proto = 1, .pay = icmp_pay, .plen = 8, .frag = 0x2000},
	     OK_(L2X_OUTER_FRAGMENT),
	     -1,
	     0,
	     0},
	    {27,
	     {UDP4500(esp_pay, 64), .frag = 0x4000},
	     OK_(L2X_OUTER_ESP),
	     -1,
	     42,
	     64}, /* DF alone: whole */
	    /* IPv4 options are skipped */
	    {28,
	     {UDP4500(esp_pay, 40), .ihl = 7},
	     OK_(L2X_OUTER_ESP),
	     -1,
	     50,
	     40},
	    /* tagged uplink */
	    {29,
	     {.tpid = 0x8100, .tci = 100, UDP4500(esp_pay, 40)},
	     OK_(L2X_OUTER_ESP),
	     100,
	     46,
	     40},
	    {30,
	     {.tpid = 0x8100, .tci = 0xe064, UDP4500(esp_pay, 40)},
	     OK_(L2X_OUTER_ESP),
	     100,
	     46,
	     40}, /* PCP 7 */
	    {31,
	     {.tpid = 0x8100, .tci = 4094, UDP4500(marker_pay, 32)},
	     OK_(L2X_OUTER_IKE),
	     4094,
	     46,
	     32},
	    {32,
	     {.tpid = 0x8100,
	      .tci = 7,
	      .ethertype = 0x0806,
	      .pay = arp_pay,
	      .plen = 28},
	     OK_(L2X_OUTER_EXCEPTION),
	     7,
	     0,
	     0},
	    {33,
	     {.tpid = 0x8100, .tci = 7, UDP4500(ka_pay, 1), .pad = 13},
	     OK_(L2X_OUTER_KEEPALIVE),
	     7,
	     46,
	     1},
	    {34,
	     {.tpid = 0x8100, .tci = 5, .tpid2 = 0x8100, UDP4500(esp_pay, 40)},
	     ERR_(L2X_OUTER_ERR_VLAN_STACK)},
	    {35,
	     {.tpid = 0x8100, .tci = 5, .tpid2 = 0x88a8, UDP4500(esp_pay, 40)},
	     ERR_(L2X_OUTER_ERR_VLAN_STACK)},
	    /* malformed IPv4 and UDP */
	    {36,
	     {UDP4500(esp_pay, 40)},
	     1,
	     0,
	     0x65,
	     .err = L2X_OUTER_ERR_IP_VERSION,
	     .poff = -1,
	     .plen = -1},
	    {37,
	     {UDP4500(esp_pay, 40)},
	     1,
	     0,
	     0x44,
	     .err = L2X_OUTER_ERR_IP_IHL,
	     .poff = -1,
	     .plen = -1},
	    {38,
	     {UDP4500(esp_pay, 40)},
	     1,
	     0,
	     0x40,
	     .err = L2X_OUTER_ERR_IP_IHL,
	     .poff = -1,
	     .plen = -1},
	    {39,
	     {UDP4500(esp_pay, 40)},
	     1,
	     0,
	     0x4f,
	     .cut = 14 + 59,
	     .err = L2X_OUTER_ERR_IP_IHL,
	     .poff = -1,
	     .plen = -1},
	    {40,
	     {UDP4500(esp_pay, 40)},
	     2,
	     2,
	     69,
	     .err = L2X_OUTER_ERR_IP_TOTLEN,
	     .poff = -1,
	     .plen = -1},
	    {41,
	     {UDP4500(esp_pay, 40)},
	     2,
	     2,
	     19,
	     .err = L2X_OUTER_ERR_IP_TOTLEN,
	     .poff = -1,
	     .plen = -1},
	    {42,
	     {UDP4500(esp_pay, 40)},
	     2,
	     10,
	     0x0bad,
	     .nofix = true,
	     .err = L2X_OUTER_ERR_IP_CSUM,
	     .poff = -1,
	     .plen = -1},
	    {43,
	     {UDP4500(esp_pay, 40)},
	     2,
	     2,
	     27,
	     .err = L2X_OUTER_ERR_UDP_TRUNC,
	     .poff = -1,
	     .plen = -1},
	    {44,
	     {UDP4500(esp_pay, 40)},
	     2,
	     24,
	     7,
	     .err = L2X_OUTER_ERR_UDP_LEN,
	     .poff = -1,
	     .plen = -1},
	    {45,
	     {UDP4500(esp_pay, 40)},
	     2,
	     24,
	     0,
	     .err = L2X_OUTER_ERR_UDP_LEN,
	     .poff = -1,
	     .plen = -1},
	    {46,
	     {UDP4500(esp_pay, 40)},
	     2,
	     24,
	     49,
	     .err = L2X_OUTER_ERR_UDP_LEN,
	     .poff = -1,
	     .plen = -1},
	    /* a bad checksum is caught on fragments too */
	    {47,
	     {UDP4500(esp_pay, 64), .frag = 0x2000},
	     2,
	     10,
	     0x0bad,
	     .nofix = true,
	     .err = L2X_OUTER_ERR_IP_CSUM,
	     .poff = -1,
	     .plen = -1},
#undef UDP4500
#undef OK_
#undef ERR_
	};
	(void)state;

	for (size_t i = 0; i < RTE_DIM(c); i++) {
		uint8_t f[256];
		size_t l3, len = build_outer(f, &c[i].b, &l3);
		struct l2x_outer_info info;
		enum l2x_outer_err err;
		unsigned n = c[i].n;

		if (c[i].mw == 1)
			f[l3 + c[i].moff] = (uint8_t)c[i].mval;
		else if (c[i].mw == 2)
			wr16(f + l3 + c[i].moff, c[i].mval);
		if (c[i].mw && !c[i].nofix)
			ref_ipv4_fix(f + l3, 20);
		if (c[i].cut)
			len = c[i].cut;
		err = outer_parse_heap(f, len, &info);
		EXPECT_EQ(n, err, c[i].err);
		if (err != L2X_OUTER_OK)
			continue;
		EXPECT_EQ(n, info.cls, c[i].cls);
		EXPECT_EQ(n, info.tagged, c[i].vlan >= 0);
		EXPECT_EQ(n, info.vlan, c[i].vlan >= 0 ? c[i].vlan : 0);
		EXPECT_EQ(n, info.l3_off, l3);
		EXPECT_EQ(n, info.ethertype,
			  c[i].b.ethertype ? c[i].b.ethertype : 0x0800);
		if (c[i].poff >= 0)
			EXPECT_EQ(n, info.payload_off, c[i].poff);
		if (c[i].plen >= 0)
			EXPECT_EQ(n, info.payload_len, c[i].plen);
		if (info.ethertype == 0x0800) {
			/* NAT following reads these */
			EXPECT_EQ(n, info.src_ip, RTE_BE32(IP4(198, 19, 0, 7)));
			EXPECT_EQ(n, info.dst_ip, UPLINK_A);
			EXPECT_EQ(n, info.ip_proto,
				  c[i].b.proto ? c[i].b.proto : 17);
			EXPECT_EQ(n, info.ip_len, rd16(f + l3 + 2));
		}
		if (info.cls == L2X_OUTER_ESP || info.cls == L2X_OUTER_IKE ||
		    info.cls == L2X_OUTER_KEEPALIVE) {
			EXPECT_EQ(n, info.sport, c[i].b.sport);
			EXPECT_EQ(n, info.dport, c[i].b.dport);
		}
	}
}

/* What an ESP frame cut to k bytes, with IPv4 and UDP lengths rewritten to
 * match, must be refused for (l3: IPv4 offset). */
static enum l2x_outer_err outer_cut_want(size_t l3, size_t k)
{
	if (k - l3 < 28)
		return L2X_OUTER_ERR_UDP_TRUNC;
	return k - l3 - 28 < L2X_OUTER_ESP_MIN ? L2X_OUTER_ERR_ESP_SHORT
					       : L2X_OUTER_OK;
}

static void test_outer_truncation(void **state)
{
	unsigned n = 0;
	(void)state;

	for (int tagged = 0; tagged <= 1; tagged++) {
		struct ob b = {.tpid = tagged ? 0x8100 : 0,
			       .tci = 42,
			       .sport = 4500,
			       .dport = 4500,
			       .pay = esp_pay,
			       .plen = 64};
		uint8_t f[256], cut[256];
		size_t l3, len = build_outer(f, &b, &l3);
		struct l2x_outer_info info;

		assert_int_equal(outer_parse_heap(f, len, &info), L2X_OUTER_OK);
		for (size_t k = 0; k < len; k++, n++) {
			enum l2x_outer_err want;

			if (k < l3)
				want = L2X_OUTER_ERR_ETH_TRUNC;
			else if (k < l3 + 20)
				want = L2X_OUTER_ERR_IP_TRUNC;
			else
				want = L2X_OUTER_ERR_IP_TOTLEN;
			EXPECT_EQ(n, outer_parse_heap(f, k, &info), want);
		}
		for (size_t k = l3 + 20; k <= len; k++, n++) {
			enum l2x_outer_err want = outer_cut_want(l3, k);

			memcpy(cut, f, k);
			wr16(cut + l3 + 2, (uint16_t)(k - l3));
			if (k >= l3 + 26)
				wr16(cut + l3 + 24, (uint16_t)(k - l3 - 20));
			ref_ipv4_fix(cut + l3, 20);
			EXPECT_EQ(n, outer_parse_heap(cut, k, &info), want);
			if (want == L2X_OUTER_OK) {
				EXPECT_EQ(n, info.cls, L2X_OUTER_ESP);
				EXPECT_EQ(n, info.payload_len, k - l3 - 28);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_err_names),
	    cmocka_unit_test(test_inner_tmpl_init),
	    cmocka_unit_test(test_inner_roundtrip),
	    cmocka_unit_test(test_vxlan_sport),
	    cmocka_unit_test(test_inner_push_errors),
	    cmocka_unit_test(test_inner_bytes_gre),
	    cmocka_unit_test(test_inner_bytes_vxlan),
	    cmocka_unit_test(test_inner_truncation),
	    cmocka_unit_test(test_inner_malformed),
	    cmocka_unit_test(test_inner_ip_options),
	    cmocka_unit_test(test_outer_tmpl_init),
	    cmocka_unit_test(test_outer_roundtrip),
	    cmocka_unit_test(test_outer_id_wraps),
	    cmocka_unit_test(test_outer_udp_csum_zero),
	    cmocka_unit_test(test_outer_push_errors),
	    cmocka_unit_test(test_outer_bytes),
	    cmocka_unit_test(test_outer_set_peer),
	    cmocka_unit_test(test_outer_set_peer_concurrent),
	    cmocka_unit_test(test_outer_classify),
	    cmocka_unit_test(test_outer_truncation),
	};
	return cmocka_run_group_tests_name("encap", tests, l2x_testenv_up,
					   l2x_testenv_down);
}
