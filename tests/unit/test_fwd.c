/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dataplane/fwd.c's exception path admission,
 * l2x_fwd_exc_admit(): the tunnel peer's frames (IPv4 from the configured
 * peer address or from the address the outer template sends to, ARP from
 * those or from the uplink's gateway) take their own token bucket, so that
 * a flood from anyone else cannot starve them; each bucket's drops have
 * their own reason (exception_rate, exception_rate_peer).
 *
 * And l2x_fwd_lan_classify(): the 802.1Q tag of a LAN frame inline in the
 * data (what a pcap port gives) or stripped into the mbuf (RX_VLAN_STRIPPED)
 * leads to the same network; the drops of a trunk and an access port.
 *
 * Each test builds a dataplane context without ports or worker: a zeroed
 * struct l2x_dp with the addresses, an outer template and the two token
 * buckets at L2X_DP_EXC_PPS / L2X_DP_EXC_PEER_PPS on a clock of 1 MHz
 * that the test drives (STYLE.md 11). Frames are assembled here byte by
 * byte and classified by l2x_outer_parse(), as the worker does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dataplane/dp.h"
#include "dataplane/encap.h"
#include "tests/unit/testenv.h"

/* RTE_IPV4 shifts an int by 24: undefined for a >= 128 (UBSan). */
#define IP4(a, b, c, d)                                                   \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
	 (uint32_t)(d))
#define LOCAL IP4(198, 18, 2, 2)
#define GATEWAY IP4(198, 18, 2, 1)
#define PEER IP4(198, 18, 1, 2)	      /* peer.address in the file */
#define PEER_NAT IP4(198, 18, 3, 1)   /* where the peer's NAT puts it */
#define STRANGER IP4(198, 18, 99, 99) /* a spoofed source */

#define HZ 1000000u /* the test's clock: microseconds */

static const struct rte_ether_addr mac_local = {{0x02, 0, 0, 0, 0x0b, 0x01}};
static const struct rte_ether_addr mac_gw = {{0x02, 0, 0, 0, 0x0b, 0xfe}};

static struct l2x_dp dp; /* large: not on the stack */

/* The context: peer.address PEER, gateway GATEWAY (0: none), the outer
 * template towards PEER:4500 (tagged with vlan if not 0), both buckets
 * full at t = 0. */
static void dp_init(uint32_t gateway, uint16_t vlan)
{
	memset(&dp, 0, sizeof(dp));
	dp.hz = HZ;
	dp.local_ip = rte_cpu_to_be_32(LOCAL);
	dp.peer_ip_cfg = rte_cpu_to_be_32(PEER);
	dp.gw_ip_cfg = rte_cpu_to_be_32(gateway);
	assert_int_equal(
	    l2x_outer_tmpl_init(
		&dp.outer,
		&(struct l2x_outer_prm){
		    .src_mac = mac_local,
		    .src_ip = dp.local_ip,
		    .src_port = 4500,
		    .vlan = vlan,
		    .first_id = 1,
		    .peer = {.mac = mac_gw, .ip = dp.peer_ip_cfg, .port = 4500},
		}),
	    0);
	assert_int_equal(l2x_fdb_tb_init(&dp.exc_tb, L2X_DP_EXC_PPS,
					 L2X_DP_EXC_BURST, HZ, 0),
			 0);
	assert_int_equal(l2x_fdb_tb_init(&dp.exc_peer_tb, L2X_DP_EXC_PEER_PPS,
					 L2X_DP_EXC_PEER_BURST, HZ, 0),
			 0);
}

/* NAT following: the template now sends to addr:port. */
static void move_peer(uint32_t addr, uint16_t port)
{
	struct l2x_outer_peer p;

	l2x_outer_tmpl_get_peer(&dp.outer, &p);
	p.ip = rte_cpu_to_be_32(addr);
	p.port = port;
	assert_int_equal(l2x_outer_tmpl_set_peer(&dp.outer, &p), 0);
}

/* A frame as the uplink receives it. */
struct frame {
	uint8_t b[128];
	uint32_t len;
};

/* IPv4 from src to LOCAL: UDP sport -> dport with an IKE-sized payload
 * (behind the non-ESP marker on 4500), or ICMP when dport is 0. */
static void ipv4_frame(struct frame *f, uint32_t src, uint16_t sport,
		       uint16_t dport)
{
	struct rte_ether_hdr *e = (struct rte_ether_hdr *)f->b;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(e + 1);
	uint16_t l4 = 8 + 32;

	memset(f, 0, sizeof(*f));
	e->dst_addr = mac_local;
	e->src_addr = mac_gw;
	e->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = dport ? IPPROTO_UDP : IPPROTO_ICMP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(LOCAL);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (dport) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);

		u->src_port = rte_cpu_to_be_16(sport);
		u->dst_port = rte_cpu_to_be_16(dport);
		u->dgram_len = rte_cpu_to_be_16(l4);
		/* the payload stays zero: on 4500, the non-ESP marker */
	}
	f->len = (uint32_t)(sizeof(*e) + sizeof(*ip) + l4);
}

/* An ARP reply (op 2) from sender address spa. */
static void arp_frame(struct frame *f, uint32_t spa)
{
	struct rte_ether_hdr *e = (struct rte_ether_hdr *)f->b;
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(e + 1);

	memset(f, 0, sizeof(*f));
	e->dst_addr = mac_local;
	e->src_addr = mac_gw;
	e->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	a->arp_data.arp_sha = mac_gw;
	a->arp_data.arp_sip = rte_cpu_to_be_32(spa);
	a->arp_data.arp_tha = mac_local;
	a->arp_data.arp_tip = rte_cpu_to_be_32(LOCAL);
	f->len = (uint32_t)(sizeof(*e) + sizeof(*a));
}

/* Classify f as the worker does, then ask for admission at now. */
static unsigned int admit(const struct frame *f, uint64_t now)
{
	struct l2x_outer_info oi;

	assert_int_equal(l2x_outer_parse(f->b, f->len, &oi), L2X_OUTER_OK);
	return l2x_fwd_exc_admit(&dp, f->b, f->len, &oi, now);
}

static uint64_t tap_peer(void)
{
	return dp.st.cnt[L2X_DP_CNT_tap_peer];
}

/* Whose bucket each kind of frame takes: tap_peer counts the peer's. */
static void test_whose_bucket(void **state)
{
	enum kind { UDP, ICMP, ARP };
	static const struct {
		unsigned int n;
		uint32_t gateway; /* the uplink's; 0: none */
		uint16_t vlan;	  /* of the uplink (the template's l3_off) */
		bool nat;	  /* the template was moved to PEER_NAT:4501 */
		enum kind kind;
		uint32_t src;
		uint16_t sport, dport;
		bool peer;
	} c[] = {
	    {1, GATEWAY, 0, false, UDP, PEER, 500, 500, true},
	    {2, GATEWAY, 0, false, UDP, PEER, 4500, 4500, true},
	    {3, GATEWAY, 0, false, ICMP, PEER, 0, 0, true},
	    {4, GATEWAY, 0, false, UDP, STRANGER, 500, 500, false},
	    {5, GATEWAY, 0, false, UDP, PEER_NAT, 4501, 4500, false},
	    /* behind NAT: the template's address is the peer's, and the
	     * configured one still is */
	    {6, GATEWAY, 0, true, UDP, PEER_NAT, 4501, 4500, true},
	    {7, GATEWAY, 0, true, UDP, PEER_NAT, 500, 500, true},
	    {8, GATEWAY, 0, true, UDP, PEER, 500, 500, true},
	    {9, GATEWAY, 7, true, UDP, PEER_NAT, 4501, 4500, true},
	    {10, GATEWAY, 0, true, UDP, STRANGER, 4501, 4500, false},
	    /* the gateway's IPv4 is not the peer's; its ARP is the next
	     * hop's */
	    {11, GATEWAY, 0, false, ICMP, GATEWAY, 0, 0, false},
	    {12, GATEWAY, 0, false, ARP, GATEWAY, 0, 0, true},
	    {13, GATEWAY, 0, false, ARP, PEER, 0, 0, true},
	    {14, GATEWAY, 0, true, ARP, PEER_NAT, 0, 0, true},
	    {15, GATEWAY, 0, false, ARP, STRANGER, 0, 0, false},
	    /* no gateway: an ARP probe (sender 0.0.0.0) is nobody's */
	    {16, 0, 0, false, ARP, 0, 0, 0, false},
	    {17, GATEWAY, 0, false, ARP, 0, 0, 0, false},
	};

	(void)state;
	for (unsigned int i = 0; i < L2X_ARRAY_LEN(c); i++) {
		struct frame f;
		uint64_t before;
		unsigned int why;

		dp_init(c[i].gateway, c[i].vlan);
		if (c[i].nat)
			move_peer(PEER_NAT, 4501);
		if (c[i].kind == ARP)
			arp_frame(&f, c[i].src);
		else
			ipv4_frame(&f, c[i].src, c[i].sport, c[i].dport);
		before = tap_peer();
		why = admit(&f, 0);
		L2X_CHECK(why == 0, "case %u: refused (%u)\n", c[i].n, why);
		L2X_CHECK(tap_peer() - before == (c[i].peer ? 1u : 0u),
			  "case %u: tap_peer +%llu, want peer %d\n", c[i].n,
			  (unsigned long long)(tap_peer() - before), c[i].peer);
	}
}

/* A spoofed flood at 50 times the exception rate drains the shared bucket
 * (exception_rate), while the peer's IKE in the middle of it all passes. */
static void test_flood_spares_peer(void **state)
{
	const uint64_t step = 10;     /* us between flood frames: 100000/s */
	const unsigned int n = 20000; /* 0.2 s of flood */
	unsigned int passed = 0, refused = 0, peer_ok = 0, peer_sent = 0;
	struct frame flood, ike;

	(void)state;
	dp_init(GATEWAY, 0);
	move_peer(PEER_NAT, 4501);
	ipv4_frame(&flood, STRANGER, 500, 500);
	ipv4_frame(&ike, PEER_NAT, 4501, 4500);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t now = i * step;
		unsigned int why = admit(&flood, now);

		if (why == 0)
			passed++;
		else if (why == L2X_DP_DROP_EXC_RATE)
			refused++;
		else
			fail_msg("flood frame %u: drop reason %u", i, why);
		if (i % 100 == 50) { /* the peer: 1000/s, right after one */
			peer_sent++;
			why = admit(&ike, now);
			L2X_CHECK(why == 0, "peer frame at %u: refused (%u)\n",
				  i, why);
			peer_ok += why == 0;
		}
	}
	/* the burst, then the rate over 0.2 s (one token of rounding) */
	L2X_CHECK(passed >= L2X_DP_EXC_BURST + L2X_DP_EXC_PPS / 5 - 1 &&
		      passed <= L2X_DP_EXC_BURST + L2X_DP_EXC_PPS / 5 + 1,
		  "flood: %u passed\n", passed);
	assert_int_equal(passed + refused, n);
	assert_int_equal(peer_ok, peer_sent);
	assert_int_equal(tap_peer(), peer_sent);
}

/* The peer's own bucket has its own limit and its own drop reason; it
 * refills at its rate, and leaves the shared bucket alone. */
static void test_peer_over_rate(void **state)
{
	unsigned int ok = 0, over = 0;
	struct frame ike, other;

	(void)state;
	dp_init(GATEWAY, 0);
	ipv4_frame(&ike, PEER, 500, 500);
	ipv4_frame(&other, STRANGER, 500, 500);
	for (unsigned int i = 0; i < 3 * L2X_DP_EXC_PEER_BURST; i++) {
		unsigned int why = admit(&ike, 0);

		if (why == 0)
			ok++;
		else if (why == L2X_DP_DROP_EXC_RATE_PEER)
			over++;
		else
			fail_msg("peer frame %u: drop reason %u", i, why);
	}
	assert_int_equal(ok, L2X_DP_EXC_PEER_BURST);
	assert_int_equal(over, 2 * L2X_DP_EXC_PEER_BURST);
	assert_int_equal(tap_peer(), L2X_DP_EXC_PEER_BURST);
	/* the shared bucket is still full */
	for (unsigned int i = 0; i < L2X_DP_EXC_BURST; i++)
		L2X_CHECK(admit(&other, 0) == 0, "other frame %u refused\n", i);
	assert_int_equal(admit(&other, 0), L2X_DP_DROP_EXC_RATE);
	/* 0.1 s later: a tenth of a second of the peer's rate */
	ok = 0;
	for (unsigned int i = 0; i < L2X_DP_EXC_PEER_PPS; i++)
		ok += admit(&ike, HZ / 10) == 0;
	assert_int_equal(ok, L2X_DP_EXC_PEER_PPS / 10);
}

/* The new reason has its key and text in the drop table. */
static void test_drop_names(void **state)
{
	(void)state;
	l2x_dp_name_drops();
	assert_string_equal(l2x_dp_drop_key[L2X_DP_DROP_EXC_RATE],
			    "exception_rate");
	assert_string_equal(l2x_dp_drop_key[L2X_DP_DROP_EXC_RATE_PEER],
			    "exception_rate_peer");
	assert_non_null(l2x_dp_drop_text[L2X_DP_DROP_EXC_RATE_PEER]);
	assert_string_equal(l2x_dp_cnt_key[L2X_DP_CNT_tap_peer], "tap_peer");
}

/* ---- LAN classification: the 802.1Q tag inline or stripped ------------ */

#define MAC_DST 0x02, 0, 0, 0, 0x0a, 0x01
#define MAC_SRC 0x02, 0, 0, 0, 0x0b, 0x01

static struct l2x_dp_nets nets; /* large: not on the stack */

/* Networks: VLAN 100 -> slot 7, VLAN 4094 -> slot 8191 (n = 2); on an
 * access port the one network is slot 5. */
static void nets_init(void)
{
	memset(&nets, 0, sizeof(nets));
	nets.n = 2;
	for (unsigned int v = 0; v < 4096; v++)
		nets.vlan2net[v] = L2X_DP_NO_NET;
	nets.vlan2net[100] = 7;
	nets.vlan2net[4094] = L2X_DP_NET_SLOTS - 1;
	nets.access = 5;
}

/* A 64-byte frame, with an inline tag TCI (PCP/DEI/VID) when tagged. */
static struct rte_mbuf *lan_frame(bool tagged, uint16_t tci)
{
	uint8_t f[64] = {MAC_DST, MAC_SRC};
	size_t k = 12;

	if (tagged) {
		f[k++] = 0x81;
		f[k++] = 0x00;
		f[k++] = (uint8_t)(tci >> 8);
		f[k++] = (uint8_t)tci;
	}
	f[k++] = 0x08; /* IPv4 */
	f[k++] = 0x00;
	for (; k < sizeof(f); k++)
		f[k] = (uint8_t)k;
	return l2x_test_mbuf(f, sizeof(f));
}

/* The frame after classification is the untagged one: MACs, then IPv4. */
static void assert_untagged(struct rte_mbuf *m, size_t len)
{
	static const uint8_t macs[] = {MAC_DST, MAC_SRC, 0x08, 0x00};

	assert_int_equal(rte_pktmbuf_data_len(m), len);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), macs, sizeof(macs));
}

static uint32_t classify(struct rte_mbuf *m)
{
	return l2x_fwd_lan_classify(&dp, &nets, m);
}

static void test_lan_trunk(void **state)
{
	struct rte_mbuf *m;

	(void)state;
	memset(&dp, 0, sizeof(dp));
	dp.trunk = true;
	nets_init();

	/* inline tag: the network, the tag removed; PCP/DEI ignored */
	m = lan_frame(true, 100);
	assert_int_equal(classify(m), 7);
	assert_untagged(m, 60);
	rte_pktmbuf_free(m);
	m = lan_frame(true, 0xf000 | 4094);
	assert_int_equal(classify(m), L2X_DP_NET_SLOTS - 1);
	assert_untagged(m, 60);
	rte_pktmbuf_free(m);

	/* stripped into the mbuf: the network, the flags cleared, the data
	 * untouched */
	m = lan_frame(false, 0);
	m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	m->vlan_tci = 0xa000 | 4094;
	assert_int_equal(classify(m), L2X_DP_NET_SLOTS - 1);
	assert_false(m->ol_flags &
		     (RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED));
	assert_untagged(m, 64);
	rte_pktmbuf_free(m);

	/* an unknown VLAN, either way; an untagged frame */
	m = lan_frame(true, 300);
	assert_int_equal(classify(m),
			 L2X_FWD_DROP_BIT | L2X_DP_DROP_UNKNOWN_VLAN);
	rte_pktmbuf_free(m);
	m = lan_frame(false, 0);
	m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	m->vlan_tci = 4095;
	assert_int_equal(classify(m),
			 L2X_FWD_DROP_BIT | L2X_DP_DROP_UNKNOWN_VLAN);
	rte_pktmbuf_free(m);
	m = lan_frame(false, 0);
	assert_int_equal(classify(m), L2X_FWD_DROP_BIT | L2X_DP_DROP_UNTAGGED);
	rte_pktmbuf_free(m);

	/* too short: no Ethernet header; a tag cut short */
	m = lan_frame(true, 100);
	rte_pktmbuf_trim(m, 64 - 13);
	assert_int_equal(classify(m), L2X_FWD_DROP_BIT | L2X_DP_DROP_SHORT);
	rte_pktmbuf_free(m);
	m = lan_frame(true, 100);
	rte_pktmbuf_trim(m, 64 - 16);
	assert_int_equal(classify(m), L2X_FWD_DROP_BIT | L2X_DP_DROP_SHORT);
	rte_pktmbuf_free(m);
}

static void test_lan_access(void **state)
{
	struct rte_mbuf *m;

	(void)state;
	memset(&dp, 0, sizeof(dp));
	dp.trunk = false;
	nets_init();

	m = lan_frame(false, 0);
	assert_int_equal(classify(m), 5);
	assert_untagged(m, 64);
	rte_pktmbuf_free(m);
	m = lan_frame(true, 100);
	assert_int_equal(classify(m), L2X_FWD_DROP_BIT | L2X_DP_DROP_TAGGED);
	rte_pktmbuf_free(m);
	m = lan_frame(false, 0);
	m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	m->vlan_tci = 100;
	assert_int_equal(classify(m), L2X_FWD_DROP_BIT | L2X_DP_DROP_TAGGED);
	rte_pktmbuf_free(m);
	nets.n = 0;
	nets.access = L2X_DP_NO_NET;
	m = lan_frame(false, 0);
	assert_int_equal(classify(m),
			 L2X_FWD_DROP_BIT | L2X_DP_DROP_NO_NETWORK);
	rte_pktmbuf_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_whose_bucket),
	    cmocka_unit_test(test_flood_spares_peer),
	    cmocka_unit_test(test_peer_over_rate),
	    cmocka_unit_test(test_drop_names),
	    cmocka_unit_test(test_lan_trunk),
	    cmocka_unit_test(test_lan_access),
	};
	return cmocka_run_group_tests_name("fwd", tests, l2x_testenv_up,
					   l2x_testenv_down);
}
