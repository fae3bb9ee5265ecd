/* SPDX-License-Identifier: MIT */
/*
 * bench_nets.c - `make bench`: what 4094 networks cost (GitHub issue 10).
 *
 * It builds two dataplane contexts as dp.c does, without kernel ports:
 * the LAN, uplink and tap ports are DPDK ring ports the benchmark feeds and
 * drains, one outbound and one inbound SA (AES-256-GCM), the one MAC
 * table with 64k MACs (bridge.mac_table_size 65536, full), and 2 or 4094
 * networks (every VLAN). It prints:
 *
 *  - the per-packet cost of the worker's forwarding path (l2x_fwd_round:
 *    rx burst, VLAN -> network, learning, lookup, GRE, ESP, outer
 *    headers, tx; and back: outer parse, ESP open, tunnel id -> network,
 *    learning, lookup, tag, tx) in cycles and ns per packet, for the same
 *    traffic (two networks, 64-byte frames, bursts of 32) with 2 and with
 *    4094 networks configured, and their ratio; the two are measured
 *    interleaved, median of REPS runs each. Also the worst case for 4094:
 *    every frame of a burst in another network, rotating over all;
 *  - the time of one NET_ADD and one NET_DEL among 4094 networks with
 *    64k MACs, through l2x_ctl_net_add/_del as the control socket calls
 *    them, with a worker running on the other lcore (so the grace period
 *    is a real one): median and largest of 200;
 *  - the time to load 4094 networks at start: the configuration file
 *    parsed (l2x_config_parse of a 4094-network file as the agent renders
 *    it), then the network set made (l2x_dp_nets_set);
 *  - the dataplane's DPDK memory with 2, 256 and 4094 networks and 64k
 *    MACs: mbuf pool, reassembly, MAC table, networks; and what one table
 *    per network (the design before issue 10: 4096 entries each, the
 *    default MAC limit) takes, made here for comparison until DPDK
 *    refuses.
 *
 * Figures only: it never fails on a time (STYLE.md, "Benchmarks print
 * ratios"). Exit status 1 only when the setup itself fails.
 *
 * Usage: bench_nets [-c CPU] (the main lcore; the worker, for the add and
 * remove times, runs on the other CPU of a two-CPU machine).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "control/config.h"
#include "dataplane/ctl.h"
#include "dataplane/dp.h"
#include "dataplane/encap.h"
#include "dataplane/wire.h"
#include "ipsec/sa.h"
#include "ipsec/sa_table.h"

#define BURST L2X_DP_BURST
#define REPS 7
#define BURSTS 4000u	/* per run */
#define FRAME 64u	/* bytes, Ethernet header to the end, no tag */
#define ACTIVE_MACS 16u /* per active network and side */
#define TABLE 65536u	/* bridge.mac_table_size: 64k MACs */
#define SPI_OUT 0x4c320101u
#define SPI_IN 0x4c320202u
#define CHANGES 200

/* A dataplane context and its ring ports. */
struct ctx {
	struct l2x_dp dp;
	struct l2x_config cfg;
	struct rte_ring *rx[3], *tx[3]; /* LAN, uplink, tap */
	struct l2x_sa *peer_out;	/* seals what the uplink receives */
	struct l2x_outer_tmpl peer_outer;
	uint32_t nets;
};

static struct rte_mempool *pool;
static uint8_t key_out[L2X_SA_KEYMAT_LEN], key_in[L2X_SA_KEYMAT_LEN];

static const rte_be32_t local_ip = RTE_BE32(0xc6120102); /* 198.18.1.2 */
static const rte_be32_t peer_ip = RTE_BE32(0xc6120202);	 /* 198.18.2.2 */
static const rte_be32_t in_local = RTE_BE32(0xa9fe6401); /* 169.254... */
static const rte_be32_t in_remote = RTE_BE32(0xa9fe6402);

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t heap_used(void)
{
	uint64_t used = 0;

	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		struct rte_malloc_socket_stats ms;

		if (rte_malloc_get_socket_stats(s, &ms) == 0)
			used += ms.heap_allocsz_bytes;
	}
	return used;
}

static double mib(uint64_t b)
{
	return (double)b / (1024.0 * 1024.0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, unsigned int n)
{
	qsort(v, n, sizeof(v[0]), cmp_u64);
	return v[n / 2];
}

/* MAC kind k (1 local, 2 remote, 3 background) number i of slot s. */
static struct rte_ether_addr mac_of(unsigned int k, uint32_t s, uint32_t i)
{
	return (struct rte_ether_addr){{0x02, (uint8_t)k, (uint8_t)(s >> 8),
					(uint8_t)s, (uint8_t)(i >> 8),
					(uint8_t)i}};
}

/* --- contexts ------------------------------------------------------------*/

static int ring_port(const char *name, struct rte_ring **rx,
		     struct rte_ring **tx, uint16_t *port)
{
	char rn[RTE_RING_NAMESIZE];
	struct rte_eth_conf conf = {0};
	int p;

	snprintf(rn, sizeof(rn), "%s_rx", name);
	*rx = rte_ring_create(rn, 1024, SOCKET_ID_ANY,
			      RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(rn, sizeof(rn), "%s_tx", name);
	*tx = rte_ring_create(rn, 4096, SOCKET_ID_ANY,
			      RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (*rx == NULL || *tx == NULL)
		return -1;
	p = rte_eth_from_rings(name, rx, 1, tx, 1, (unsigned)SOCKET_ID_ANY);
	if (p < 0 || rte_eth_dev_configure((uint16_t)p, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup((uint16_t)p, 0, 1024, SOCKET_ID_ANY, NULL,
				   pool) != 0 ||
	    rte_eth_tx_queue_setup((uint16_t)p, 0, 1024, SOCKET_ID_ANY, NULL) !=
		0 ||
	    rte_eth_dev_start((uint16_t)p) != 0)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

static int sa(uint32_t spi, enum l2x_sa_dir dir, const uint8_t *key,
	      struct l2x_sa **out)
{
	return l2x_sa_create(&(struct l2x_sa_prm){.spi = spi,
						  .dir = dir,
						  .alg = L2X_AEAD_AES256GCM,
						  .key = key,
						  .key_len = L2X_SA_KEYMAT_LEN,
						  .flags = L2X_SA_ESN,
						  .replay_win = 4096},
			     out);
}

/* The context dp.c would make of a file with these networks, but for the
 * ports. tag names the rings, ports and MAC table apart. */
static int ctx_up(struct ctx *c, const char *tag)
{
	struct l2x_dp *dp = &c->dp;
	size_t qsz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	struct l2x_sa_table *t;
	struct l2x_sa *in;
	char name[32];
	const char *port[3] = {"lan", "up", "tap"};
	uint16_t *pid[3] = {&dp->lan_port, &dp->up_port, &dp->tap_port};

	c->cfg.tunnel.encap = L2X_CONFIG_ENCAP_GRE;
	c->cfg.bridge.aging = 300;
	c->cfg.bridge.mac_limit = 4096;
	c->cfg.bridge.bum_pps = 20000;
	c->cfg.bridge.mac_table_size = TABLE;
	dp->cfg = &c->cfg;
	dp->trunk = true;
	dp->pool = pool;
	dp->hz = rte_get_tsc_hz();
	dp->local_ip = local_ip;
	dp->peer_ip_cfg = peer_ip;
	dp->inner_local = in_local;
	dp->inner_remote = in_remote;
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s%s", port[i], tag);
		if (ring_port(name, &c->rx[i], &c->tx[i], pid[i]) != 0)
			return -1;
	}
	if (l2x_mtu_plan(L2X_ENCAP_GRE, L2X_AEAD_AES256GCM, 1500, &dp->plan))
		return -1;
	dp->qsbr = rte_zmalloc("bench_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (dp->qsbr == NULL || rte_rcu_qsbr_init(dp->qsbr, RTE_MAX_LCORE))
		return -1;
	snprintf(name, sizeof(name), "macs%s", tag);
	if (l2x_fdb_create(&(struct l2x_fdb_prm){.name = name,
						 .capacity = TABLE,
						 .nets = L2X_DP_NET_SLOTS,
						 .learn_ring = 8192,
						 .socket = SOCKET_ID_ANY,
						 .qsbr = dp->qsbr},
			   &dp->fdb) != 0)
		return -1;
	if (l2x_outer_tmpl_init(
		&dp->outer,
		&(struct l2x_outer_prm){
		    .src_mac = {{0x02, 0x4c, 0x32, 0, 0, 1}},
		    .src_ip = local_ip,
		    .src_port = L2X_UDP_ENCAP_PORT,
		    .first_id = 1,
		    .peer = {.mac = {{0x02, 0x4c, 0x32, 0, 0, 2}},
			     .ip = peer_ip,
			     .port = L2X_UDP_ENCAP_PORT}}) != 0 ||
	    l2x_outer_tmpl_init(
		&c->peer_outer,
		&(struct l2x_outer_prm){
		    .src_mac = {{0x02, 0x4c, 0x32, 0, 0, 2}},
		    .src_ip = peer_ip,
		    .src_port = L2X_UDP_ENCAP_PORT,
		    .first_id = 1,
		    .peer = {.mac = {{0x02, 0x4c, 0x32, 0, 0, 1}},
			     .ip = local_ip,
			     .port = L2X_UDP_ENCAP_PORT}}) != 0)
		return -1;
	if (sa(SPI_OUT, L2X_SA_OUT, key_out, &dp->sa_out) != 0 ||
	    sa(SPI_IN, L2X_SA_OUT, key_in, &c->peer_out) != 0 ||
	    sa(SPI_IN, L2X_SA_IN, key_in, &in) != 0 ||
	    l2x_sa_table_create(4, &t) != 0 || l2x_sa_table_add(t, in) != 0)
		return -1;
	dp->sa_in[dp->n_sa_in++] = in;
	l2x_sa_table_destroy(l2x_sa_table_swap(&dp->sa_table, t));
	dp->nh_ok = 1;
	return 0;
}

/* n networks vlanV (V = 1..n, tunnel id 10000 + V) into an empty set. */
static struct l2x_config_network *net_list(uint32_t n)
{
	struct l2x_config_network *w = calloc(n, sizeof(*w));

	for (uint32_t i = 0; w && i < n; i++) {
		snprintf(w[i].name, sizeof(w[i].name), "vlan%u", i + 1);
		w[i].vlan = (uint16_t)(i + 1);
		w[i].tunnel_id = 10000 + i + 1;
		w[i].mss_clamp = L2X_CONFIG_MSS_AUTO;
		w[i].mac_limit = 4096;
		w[i].bum_pps = 20000;
	}
	return w;
}

/* n networks; each network's 16 local and 16 remote MACs as static
 * entries, then background MACs spread over them all until the table
 * holds TABLE. Returns the MACs it holds. */
static uint32_t ctx_nets(struct ctx *c, uint32_t n)
{
	struct l2x_config_network *w = net_list(n);
	char err[256];
	uint32_t held = 0;

	if (w == NULL || l2x_dp_nets_set(&c->dp, w, n, err, sizeof(err))) {
		fprintf(stderr, "bench: %u networks: %s\n", n, err);
		free(w);
		return 0;
	}
	free(w);
	c->nets = n;
	for (uint32_t s = 0; s < n; s++)
		for (uint32_t i = 0; i < ACTIVE_MACS; i++) {
			struct rte_ether_addr l = mac_of(1, s, i),
					      r = mac_of(2, s, i);

			held += l2x_fdb_add_static(c->dp.fdb, s, &l,
						   L2X_SIDE_LAN, 0, 0) == 0;
			held += l2x_fdb_add_static(c->dp.fdb, s, &r,
						   L2X_SIDE_TUNNEL, 0, 0) == 0;
		}
	for (uint32_t i = 0; held < TABLE; i++) {
		struct rte_ether_addr b = mac_of(3, i % n, i / n);

		if (l2x_fdb_add_static(c->dp.fdb, i % n, &b,
				       (enum l2x_side)(i & 1), 0, 0) != 0)
			break; /* full */
		held++;
	}
	return held;
}

/* --- traffic -------------------------------------------------------------*/

/* LAN frame: slot s's remote MAC i from its local MAC i, tagged. */
static struct rte_mbuf *lan_frame(uint32_t s, uint32_t i)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *e;
	struct rte_vlan_hdr *v;

	if (m == NULL)
		return NULL;
	e = (struct rte_ether_hdr *)rte_pktmbuf_append(m, FRAME + 4);
	if (e == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(e, 0x5a, FRAME + 4);
	e->dst_addr = mac_of(2, s, i);
	e->src_addr = mac_of(1, s, i);
	e->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
	v = (struct rte_vlan_hdr *)(e + 1);
	v->vlan_tci = rte_cpu_to_be_16((uint16_t)(s + 1)); /* slot s: VLAN */
	v->eth_proto = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	return m;
}

/* Uplink packet: slot s's local MAC i from its remote MAC i, as the peer
 * sends it (GRE key = the tunnel id, ESP, outer headers to us). */
static struct rte_mbuf *up_packet(struct ctx *c, uint32_t s, uint32_t i)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct l2x_inner_tmpl t;
	struct rte_ether_hdr *e;
	uint8_t why;

	if (m == NULL)
		return NULL;
	e = (struct rte_ether_hdr *)rte_pktmbuf_append(m, FRAME);
	if (e == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(e, 0x5a, FRAME);
	e->dst_addr = mac_of(1, s, i);
	e->src_addr = mac_of(2, s, i);
	e->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	if (l2x_inner_tmpl_init(&t, L2X_ENCAP_GRE, 10000 + s + 1, in_remote,
				in_local) != 0 ||
	    l2x_inner_push(m, &t) != 0 ||
	    l2x_esp_seal_burst(c->peer_out, &m, 1, &why) != 1 ||
	    l2x_outer_push(m, &c->peer_outer) != 0) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	return m;
}

enum dir { TO_TUNNEL, FROM_TUNNEL };
enum pattern {
	TWO,	/* two networks, 16 frames each, interleaved */
	SPREAD, /* 32 networks a burst, rotating over all */
};

/* Cycles of one run of BURSTS bursts (only l2x_fwd_round is timed). */
static int run(struct ctx *c, enum dir d, enum pattern p, uint64_t *cyc)
{
	static uint32_t rot;
	struct rte_ring *rx = c->rx[d == TO_TUNNEL ? 0 : 1];
	struct rte_ring *tx = c->tx[d == TO_TUNNEL ? 1 : 0];
	uint64_t t = 0;

	for (unsigned int b = 0; b < BURSTS; b++) {
		struct rte_mbuf *m[BURST], *out[2 * BURST];
		unsigned int k;
		uint64_t t0;

		for (unsigned int i = 0; i < BURST; i++) {
			uint32_t s = p == TWO ? i & 1 : rot++ % c->nets;
			uint32_t mi = (b + i / 2) % ACTIVE_MACS;

			m[i] = d == TO_TUNNEL ? lan_frame(s, mi)
					      : up_packet(c, s, mi);
			if (m[i] == NULL)
				return -1;
		}
		if (rte_ring_enqueue_burst(rx, (void **)m, BURST, NULL) !=
		    BURST)
			return -1;
		t0 = rte_rdtsc_precise();
		k = l2x_fwd_round(&c->dp, t0);
		t += rte_rdtsc_precise() - t0;
		if (k != BURST)
			return -1;
		k = rte_ring_dequeue_burst(tx, (void **)out, RTE_DIM(out),
					   NULL);
		rte_pktmbuf_free_bulk(out, k);
		if (k != BURST) /* every frame forwarded, none dropped */
			return -1;
	}
	*cyc = t;
	return 0;
}

/* ns per packet of the median run. */
static double per_pkt(uint64_t cyc)
{
	return (double)cyc / (BURSTS * BURST) * 1e9 / (double)rte_get_tsc_hz();
}

static int forwarding(struct ctx *two, struct ctx *all)
{
	static const char *const dname[] = {"LAN -> tunnel", "tunnel -> LAN"};
	uint64_t a[REPS], b[REPS], w[REPS];

	printf("\nPer-packet cost of the forwarding path (l2x_fwd_round), %u-B "
	       "frames, bursts of %u,\n64k MACs in the table, median of %d "
	       "runs of %u bursts, 2 and 4094 runs interleaved:\n",
	       FRAME, BURST, REPS, BURSTS);
	printf("%-14s | %12s | %12s | %9s | %s\n", "", "2 networks",
	       "4094 networks", "4094/2", "4094, every frame another network");
	for (int d = 0; d < 2; d++) {
		for (int r = 0; r < REPS; r++)
			if (run(two, (enum dir)d, TWO, &a[r]) ||
			    run(all, (enum dir)d, TWO, &b[r]) ||
			    run(all, (enum dir)d, SPREAD, &w[r])) {
				fprintf(stderr,
					"bench: %s: a frame was not "
					"forwarded\n",
					dname[d]);
				return -1;
			}
		double x = per_pkt(median(a, REPS)),
		       y = per_pkt(median(b, REPS));
		double z = per_pkt(median(w, REPS));

		printf(
		    "%-14s | %9.1f ns | %9.1f ns | %8.3fx | %.1f ns (%.2fx)\n",
		    dname[d], x, y, y / x, z, z / x);
	}
	return 0;
}

/* --- changes among 4094 --------------------------------------------------*/

static int changes(struct ctx *c, unsigned int worker)
{
	uint64_t add[CHANGES], del[CHANGES], hz = rte_get_tsc_hz();
	double add_med, add_max, del_med, del_max;
	struct l2x_ctl_net_add a = {.name = "extra",
				    .vlan = 4094,
				    .tunnel_id = 99999,
				    .mss_clamp = L2X_CTL_MSS_AUTO};
	struct l2x_ctl_net_del d = {.name = "vlan4094"};
	struct l2x_ctl_net_del x = {.name = "extra"};
	char err[256];
	int rc = 0;

	/* a real worker on the other lcore: real grace periods */
	c->dp.stop = 0;
	if (rte_eal_remote_launch(l2x_fwd_main, &c->dp, worker) != 0) {
		fprintf(stderr, "bench: cannot launch a worker\n");
		return -1;
	}
	for (int i = 0; i < CHANGES && rc == 0; i++) {
		uint64_t t0 = rte_rdtsc_precise();

		/* vlan4094 (16 + 16 MACs and its part of the 64k) goes,
		 * another network takes its VLAN, and back */
		rc = l2x_ctl_net_del(&c->dp, &d, err, sizeof(err));
		del[i] = rte_rdtsc_precise() - t0;
		if (rc == 0) {
			t0 = rte_rdtsc_precise();
			rc = l2x_ctl_net_add(&c->dp, &a, err, sizeof(err));
			add[i] = rte_rdtsc_precise() - t0;
		}
		if (rc == 0)
			rc = l2x_ctl_net_del(&c->dp, &x, err, sizeof(err));
		if (rc == 0) {
			struct l2x_ctl_net_add back = {
			    .name = "vlan4094",
			    .vlan = 4094,
			    .tunnel_id = 10000 + 4094,
			    .mss_clamp = L2X_CTL_MSS_AUTO,
			    .mac_limit = 4096};

			rc = l2x_ctl_net_add(&c->dp, &back, err, sizeof(err));
		}
		/* its MACs again, for the next NET_DEL to flush */
		for (uint32_t m = 0; rc == 0 && m < ACTIVE_MACS; m++) {
			const struct l2x_dp_net *n =
			    l2x_dp_net_find(&c->dp, "vlan4094");
			struct rte_ether_addr l = mac_of(1, n->slot, m),
					      r = mac_of(2, n->slot, m);

			(void)l2x_fdb_add_static(c->dp.fdb, n->slot, &l,
						 L2X_SIDE_LAN, 0, 0);
			(void)l2x_fdb_add_static(c->dp.fdb, n->slot, &r,
						 L2X_SIDE_TUNNEL, 0, 0);
		}
	}
	c->dp.stop = 1;
	rte_eal_wait_lcore(worker);
	if (rc != 0) {
		fprintf(stderr, "bench: change refused: %s\n", err);
		return -1;
	}
	printf("\nOne network added / removed among 4094 (64k MACs, a worker "
	       "on lcore %u), %d times:\n",
	       worker, CHANGES);
	/* median() sorts: the largest is last after it */
	add_med = (double)median(add, CHANGES) * 1e3 / (double)hz;
	add_max = (double)add[CHANGES - 1] * 1e3 / (double)hz;
	del_med = (double)median(del, CHANGES) * 1e3 / (double)hz;
	del_max = (double)del[CHANGES - 1] * 1e3 / (double)hz;
	printf("  NET_ADD: median %.3f ms, largest %.3f ms\n", add_med,
	       add_max);
	printf("  NET_DEL: median %.3f ms, largest %.3f ms (its 32 MACs "
	       "flushed)\n",
	       del_med, del_max);
	return 0;
}

/* --- load at start -------------------------------------------------------*/

/* The file the agent renders (control/appliance_render.c's shape) for
 * 4094 networks. */
static char *file_4094(size_t *len)
{
	size_t cap = L2X_CONFIG_FILE_MAX, n;
	char *p = malloc(cap);

	if (p == NULL)
		return NULL;
	n = (size_t)snprintf(
	    p, cap,
	    "appliance: { name: \"ne-a\", role: initiator }\n"
	    "dataplane:\n  lcores: { main: 0, workers: [1] }\n"
	    "  no_huge: true\n  control_socket: \"/run/l2x/ne-a.sock\"\n"
	    "ports:\n  lan: { device: \"net_af_packet0,iface=lan0\", mode: "
	    "trunk }\n  uplink: { device: \"net_af_packet1,iface=wan0\", "
	    "address: 198.18.1.2/24, gateway: 198.18.1.1, mtu: 1500 }\n"
	    "peer:\n  address: 198.18.2.2\n  local_id: \"ne-a\"\n"
	    "  remote_id: \"ne-b\"\n  auth: { psk_file: psk }\n"
	    "tunnel: { encap: gre, inner_local: 169.254.100.1, inner_remote: "
	    "169.254.100.2 }\nnetworks:\n");
	for (uint32_t v = 1; v <= L2X_CONFIG_NETWORKS_MAX; v++)
		n += (size_t)snprintf(
		    p + n, cap - n,
		    "  - { name: \"pg-vlan%u\", vlan: %u, tunnel_id: %u, "
		    "gateway: 198.19.%u.1/24, gateway_side: local, mss_clamp: "
		    "auto }\n",
		    v, v, 5000 + v, v % 250);
	*len = n;
	return p;
}

static int load(struct ctx *c)
{
	struct l2x_config *cfg = calloc(1, sizeof(*cfg));
	struct l2x_config_err cerr;
	size_t len = 0;
	char *text = file_4094(&len), err[256], dir[] = "/tmp/l2xbench-XXXXXX";
	char psk[sizeof(dir) + 8];
	double t0, t1, t2;
	FILE *f;
	int rc;

	if (cfg == NULL || text == NULL || mkdtemp(dir) == NULL)
		return -1;
	/* the PSK file the configuration names: a secret, 0600 */
	snprintf(psk, sizeof(psk), "%s/psk", dir);
	umask(077);
	f = fopen(psk, "w");
	if (f == NULL)
		return -1;
	fputs("0123456789abcdef0123456789abcdef\n", f);
	fclose(f);
	t0 = now_s();
	rc = l2x_config_parse("bench.yaml", text, len, dir, cfg, &cerr);
	t1 = now_s();
	if (rc == 0)
		rc = l2x_dp_nets_set(&c->dp, cfg->networks, cfg->n_networks,
				     err, sizeof(err));
	t2 = now_s();
	if (rc != 0) {
		fprintf(stderr, "bench: load: %s\n", rc < 0 ? cerr.msg : err);
	} else {
		printf(
		    "\nLoad of 4094 networks at start: the file (%zu KiB) "
		    "parsed and checked in %.1f ms, the network set made "
		    "in %.1f ms: %.1f ms\n(the whole start of l2x-dataplane, "
		    "EAL and ports included: net4094_test.sh)\n",
		    len / 1024, (t1 - t0) * 1e3, (t2 - t1) * 1e3,
		    (t2 - t0) * 1e3);
	}
	l2x_config_free(cfg);
	free(cfg);
	free(text);
	unlink(psk);
	rmdir(dir);
	return rc ? -1 : 0;
}

/* --- memory --------------------------------------------------------------*/

/* The tables of the design before issue 10: one MAC table of 4096
 * entries per network, made until n or DPDK refuses; their bytes. */
static uint64_t old_tables(uint32_t n, uint32_t *made)
{
	struct l2x_fdb **f = calloc(n, sizeof(*f));
	uint64_t h0 = heap_used(), used;
	uint32_t level = rte_log_get_global_level();

	/* DPDK logs its refusal (no memzone left); the table says it */
	rte_log_set_global_level(RTE_LOG_EMERG);
	*made = 0;
	for (uint32_t i = 0; f && i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "old%u", i);
		if (l2x_fdb_create(
			&(struct l2x_fdb_prm){.name = name,
					      .capacity = 4096,
					      .socket = SOCKET_ID_ANY},
			&f[i]) != 0)
			break;
		(*made)++;
	}
	used = heap_used() - h0;
	for (uint32_t i = 0; f && i < *made; i++)
		l2x_fdb_destroy(f[i]);
	free(f);
	rte_log_set_global_level(level);
	return used;
}

static int memory(uint64_t pool_b, uint64_t reasm_b)
{
	static const uint32_t ns[] = {2, 256, L2X_CONFIG_NETWORKS_MAX};
	char tag[16];

	printf("\nDPDK memory of the dataplane with 64k MACs (MiB):\n");
	printf("%-8s | %7s | %7s | %9s | %8s | %7s | %s\n", "networks", "pool",
	       "reasm", "MAC table", "networks", "total",
	       "before issue 10: a table per network");
	for (size_t k = 0; k < RTE_DIM(ns); k++) {
		struct ctx *c = calloc(1, sizeof(*c));
		uint64_t h1, h2, old;
		uint32_t made, held;

		if (c == NULL)
			return -1;
		snprintf(tag, sizeof(tag), "m%zu", k);
		if (ctx_up(c, tag) != 0)
			return -1;
		/* what ctx_up makes besides the table (ports, SAs) is not
		 * the dataplane's: count the table alone */
		h1 = heap_used();
		held = ctx_nets(c, ns[k]);
		h2 = heap_used();
		{
			struct l2x_fdb_stats s;

			l2x_fdb_stats(c->dp.fdb, NULL, 0, &s);
			if (held != s.entries || held < TABLE - 64)
				fprintf(stderr, "bench: %u MACs held\n", held);
		}
		old = old_tables(ns[k], &made);
		{
			/* the table: its own allocation, measured apart */
			uint64_t t0 = heap_used(), table;
			struct l2x_fdb *f;

			if (l2x_fdb_create(
				&(struct l2x_fdb_prm){.name = "tablealone",
						      .capacity = TABLE,
						      .nets = L2X_DP_NET_SLOTS,
						      .learn_ring = 8192,
						      .socket = SOCKET_ID_ANY},
				&f) != 0)
				return -1;
			table = heap_used() - t0;
			l2x_fdb_destroy(f);
			printf(
			    "%-8u | %7.1f | %7.1f | %9.1f | %8.2f | %7.1f | ",
			    ns[k], mib(pool_b), mib(reasm_b), mib(table),
			    mib(h2 - h1),
			    mib(pool_b + reasm_b + table + h2 - h1));
		}
		if (made == ns[k])
			printf("%.1f (+ pool, reasm)\n", mib(old));
		else
			printf("refused at table %u: %.1f for %u\n", made + 1,
			       mib(old), made);
		/* nothing of this context is needed any more; its ports and
		 * rings stay (DPDK frees them at exit) */
		l2x_dp_nets_free(&c->dp);
		l2x_fdb_destroy(c->dp.fdb);
	}
	printf("(networks: the network set and the networks' entries; a "
	       "change holds a second set for a grace period)\n");
	return 0;
}

/* --- main ----------------------------------------------------------------*/

static int parse_cpu(int argc, char **argv)
{
	int opt, cpu = 0;

	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt != 'c')
			return -1;
		cpu = atoi(optarg);
	}
	return cpu;
}

int main(int argc, char **argv)
{
	static struct ctx two, all;
	char lcores[48], prefix[48];
	int cpu = parse_cpu(argc, argv);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int other = ncpu > 1 ? (cpu == 0 ? 1 : 0) : cpu;
	uint64_t h0, pool_b, reasm_b;
	struct l2x_reasm *reasm = NULL;
	unsigned int worker;

	if (cpu < 0) {
		fprintf(stderr, "usage: bench_nets [-c CPU]\n");
		return 1;
	}
	snprintf(lcores, sizeof(lcores), "--lcores=0@%d,1@%d", cpu, other);
	snprintf(prefix, sizeof(prefix), "--file-prefix=l2xbnets%d",
		 (int)getpid());
	{
		char *eal[] = {"bench_nets",
			       lcores,
			       "--no-huge",
			       "-m",
			       "2048",
			       "--no-pci",
			       "--no-shconf",
			       "--no-telemetry",
			       "--log-level=*:error",
			       prefix,
			       NULL};

		if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0 ||
		    sodium_init() < 0) {
			fprintf(stderr,
				"bench: EAL or libsodium init failed\n");
			return 1;
		}
	}
	l2x_dp_name_drops();
	randombytes_buf(key_out, sizeof(key_out));
	randombytes_buf(key_in, sizeof(key_in));
	/* the pool and the reassembly table as dp.c makes them */
	h0 = heap_used();
	pool = rte_pktmbuf_pool_create("bench_pool", L2X_DP_POOL_MBUFS,
				       L2X_DP_POOL_CACHE, 0, L2X_MBUF_ROOM,
				       SOCKET_ID_ANY);
	pool_b = heap_used() - h0;
	h0 = heap_used();
	if (pool == NULL ||
	    l2x_reasm_create(
		&(struct l2x_reasm_prm){
		    .max_datagrams = L2X_DP_REASM_DGRAMS,
		    .max_frags = L2X_DP_REASM_FRAGS,
		    .max_size =
			RTE_MIN(65535u, L2X_MBUF_ROOM - RTE_PKTMBUF_HEADROOM -
					    sizeof(struct rte_ether_hdr)),
		    .timeout = 2 * rte_get_tsc_hz(),
		    .pool = pool,
		    .hash_seed = 1,
		    .socket_id = SOCKET_ID_ANY},
		&reasm) != 0) {
		fprintf(stderr, "bench: pool or reassembly failed\n");
		return 1;
	}
	reasm_b = heap_used() - h0;
	printf("4094 networks (GitHub issue 10), CPU %d; worker lcore on CPU "
	       "%d\n",
	       cpu, other);
	if (ctx_up(&two, "2") != 0 || ctx_up(&all, "4094") != 0) {
		fprintf(stderr, "bench: setup failed\n");
		return 1;
	}
	if (ctx_nets(&two, 2) == 0 ||
	    ctx_nets(&all, L2X_CONFIG_NETWORKS_MAX) == 0)
		return 1;
	all.dp.reasm = reasm; /* the worker of changes() expires it */
	if (forwarding(&two, &all) != 0)
		return 1;
	worker = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
	if (worker >= RTE_MAX_LCORE || changes(&all, worker) != 0)
		return 1;
	{
		struct ctx *c = calloc(1, sizeof(*c));

		if (c == NULL || ctx_up(c, "load") != 0 || load(c) != 0)
			return 1;
	}
	if (memory(pool_b, reasm_b) != 0)
		return 1;
	fflush(stdout);
	/* the EAL's runtime folder of this prefix goes with it */
	rte_eal_cleanup();
	return 0;
}
