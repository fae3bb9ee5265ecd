/* SPDX-License-Identifier: MIT */
/*
 * dp.c - setup and teardown of the appliance context (dp.h): arguments,
 * configuration, EAL, pool, ports, tables, SAs. The control loop is in
 * dp_loop.c.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "dataplane/ctl.h"
#include "dataplane/dp.h"
#include "dataplane/nh.h"
#include "dataplane/telemetry.h"

#define L2X_DP_RING_DESC 1024u
#define L2X_DP_EAL_ARGS 32
/* Learn requests queued between two drains (every 20 ms) of all the
 * networks together. */
#define L2X_DP_LEARN_RING 8192u
/* Port MTU asked for: the largest frame an mbuf holds (wire.h). */
#define L2X_DP_PORT_MTU (L2X_MAX_FRAME - RTE_ETHER_HDR_LEN - 4)
/* ethdev's frame overhead over the MTU when a driver gives none. */
#define L2X_DP_FRAME_OVERHEAD (RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN)

const char *l2x_dp_drop_key[L2X_DP_D_MAX];
const char *l2x_dp_drop_text[L2X_DP_D_MAX];

const char *const l2x_dp_cnt_key[L2X_DP_CNT_MAX] = {
#define L2X_X(key, text) #key,
    l2x_foreach_dp_cnt(L2X_X)
#undef L2X_X
};
const char *const l2x_dp_cnt_text[L2X_DP_CNT_MAX] = {
#define L2X_X(key, text) text,
    l2x_foreach_dp_cnt(L2X_X)
#undef L2X_X
};

static const char *const own_key[L2X_DP_DROP_OWN_MAX] = {
#define L2X_X(sym, key, text) [L2X_DP_DROP_##sym] = key,
    l2x_foreach_dp_drop(L2X_X)
#undef L2X_X
};
static const char *const own_text[L2X_DP_DROP_OWN_MAX] = {
#define L2X_X(sym, key, text) [L2X_DP_DROP_##sym] = text,
    l2x_foreach_dp_drop(L2X_X)
#undef L2X_X
};

/* "esp.auth", "outer.ip_csum": module prefix and the module's key in
 * lower case. */
static char key_store[L2X_DP_D_MAX][48];

static void name_block(unsigned int base, unsigned int n, const char *mod,
		       unsigned int first, const char *(*key)(unsigned int),
		       const char *(*text)(unsigned int))
{
	for (unsigned int i = first; i < n; i++) {
		char *k = key_store[base + i];

		snprintf(k, sizeof(key_store[0]), "%s.%s", mod, key(i));
		for (; *k; k++)
			*k = (char)tolower((unsigned char)*k);
		l2x_dp_drop_key[base + i] = key_store[base + i];
		l2x_dp_drop_text[base + i] = text(i);
	}
}

static const char *esp_k(unsigned int i)
{
	return l2x_esp_drop_key(i);
}
static const char *esp_t(unsigned int i)
{
	return l2x_esp_drop_name(i);
}
static const char *out_k(unsigned int i)
{
	return l2x_outer_err_key[i];
}
static const char *out_t(unsigned int i)
{
	return l2x_outer_err_text[i];
}
static const char *enc_k(unsigned int i)
{
	return l2x_encap_err_key[i];
}
static const char *enc_t(unsigned int i)
{
	return l2x_encap_err_text[i];
}
static const char *frg_k(unsigned int i)
{
	return l2x_frag_drop_key[i];
}
static const char *frg_t(unsigned int i)
{
	return l2x_frag_drop_str[i];
}
static const char *rsm_k(unsigned int i)
{
	return l2x_reasm_drop_key[i];
}
static const char *rsm_t(unsigned int i)
{
	return l2x_reasm_drop_str[i];
}
static const char *fdb_k(unsigned int i)
{
	return l2x_fdb_drop_key[i];
}
static const char *fdb_t(unsigned int i)
{
	return l2x_fdb_drop_text[i];
}

void l2x_dp_name_drops(void)
{
	for (unsigned int i = 1; i < L2X_DP_DROP_OWN_MAX; i++) {
		l2x_dp_drop_key[i] = own_key[i];
		l2x_dp_drop_text[i] = own_text[i];
	}
	name_block(L2X_DP_D_ESP, L2X_ESP_DROP_MAX, "esp", 1, esp_k, esp_t);
	name_block(L2X_DP_D_OUTER, L2X_OUTER_ERR_MAX, "outer", 1, out_k, out_t);
	name_block(L2X_DP_D_ENCAP, L2X_ENCAP_ERR_MAX, "inner", 1, enc_k, enc_t);
	name_block(L2X_DP_D_FRAG, L2X_FRAG_DROP_MAX, "frag", 1, frg_k, frg_t);
	name_block(L2X_DP_D_REASM, L2X_REASM_DROP_MAX, "reasm", 1, rsm_k,
		   rsm_t);
	name_block(L2X_DP_D_FDB, L2X_FDB_DROP_MAX, "fdb", 0, fdb_k, fdb_t);
}

uint64_t l2x_dp_now_s(const struct l2x_dp *dp)
{
	return rte_get_tsc_cycles() / dp->hz;
}

void l2x_dp_stats_sum(const struct l2x_dp *dp, struct l2x_dp_stats *out)
{
	/* one worker: its counters, read relaxed */
	for (unsigned int i = 0; i < L2X_DP_CNT_MAX; i++)
		out->cnt[i] = __atomic_load_n(&dp->st.cnt[i], __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < L2X_DP_D_MAX; i++)
		out->drop[i] =
		    __atomic_load_n(&dp->st.drop[i], __ATOMIC_RELAXED);
}

void l2x_dp_stop(struct l2x_dp *dp)
{
	dp->stop = 1;
}

void l2x_dp_request_reload(struct l2x_dp *dp)
{
	dp->reload = 1;
}

/* --- arguments and EAL ---------------------------------------------------*/

struct eal_args {
	char *argv[L2X_DP_EAL_ARGS];
	int argc;
	char buf[L2X_DP_EAL_ARGS][L2X_CONFIG_DEVICE_LEN + 64];
};

static void eal_add(struct eal_args *a, const char *fmt, const char *s)
{
	snprintf(a->buf[a->argc], sizeof(a->buf[0]), fmt, s);
	a->argv[a->argc] = a->buf[a->argc];
	a->argc++;
}

static bool is_vdev(const char *dev)
{
	return strncmp(dev, "net_", 4) == 0;
}

/* net_af_packet receives into a ring of framesz-byte frames (default
 * 2048) and cuts a longer frame short without a word, so a jumbo frame
 * would be forwarded truncated. Unless the device sets framesz, give it
 * frames for the largest frame an mbuf holds (L2X_MAX_FRAME): the kernel
 * puts a frame 34 bytes into a ring frame, the PMD refuses a framesz
 * whose data part (framesz - 32) exceeds the mbuf room, and it indexes
 * ring frames as if contiguous, so blocksz is a page multiple holding
 * whole frames (32 here). */
#define L2X_DP_AFP_FRAMESZ 9344u
/* framecnt: 2048 frames (64 blocks, 19 MB each way) ride out a 400 ms
 * stall of the worker at 5000 frames/s (the PMD's default 512 lost
 * frames under a 110 ms host stall in CI); what still overflows is
 * counted (l2x_dp_afp_missed, port.NAME.rx_missed in show drops). */
#define L2X_DP_AFP_RING ",framesz=9344,blocksz=299008,framecnt=2048"

static bool afp_needs_ring(const char *dev)
{
	return strncmp(dev, "net_af_packet", 13) == 0 &&
	       strstr(dev, "framesz=") == NULL;
}

/* The DPDK port name of a device: a vdev's name is up to its first comma,
 * a PCI device's is its address. */
static void dev_name(const char *dev, char *out, size_t len)
{
	size_t n = strcspn(dev, ",");

	snprintf(out, len, "%.*s", (int)n, dev);
}

static void build_eal(struct l2x_dp *dp, const char *prefix, struct eal_args *a)
{
	const struct l2x_config *c = dp->cfg;
	const char *devs[2] = {c->ports.lan.device, c->ports.uplink.device};
	char num[64];
	bool pci = false;

	eal_add(a, "%s", "l2x-dataplane");
	snprintf(num, sizeof(num), "%u,%u", c->dataplane.lcores.main,
		 c->dataplane.lcores.workers[0]);
	eal_add(a, "%s", "-l");
	eal_add(a, "%s", num);
	snprintf(num, sizeof(num), "%u", c->dataplane.lcores.main);
	eal_add(a, "%s", "--main-lcore");
	eal_add(a, "%s", num);
	eal_add(a, "--file-prefix=%s", prefix);
	if (c->dataplane.no_huge)
		eal_add(a, "%s", "--no-huge");
	snprintf(num, sizeof(num), "%u", c->dataplane.memory_mb);
	eal_add(a, "%s", "-m");
	eal_add(a, "%s", num);
	for (int i = 0; i < 2; i++) {
		if (is_vdev(devs[i])) {
			char vdev[L2X_CONFIG_DEVICE_LEN +
				  sizeof(L2X_DP_AFP_RING)];

			RTE_BUILD_BUG_ON(L2X_DP_AFP_FRAMESZ - 34 <
					 L2X_MAX_FRAME);
			RTE_BUILD_BUG_ON(L2X_DP_AFP_FRAMESZ - 32 >
					 L2X_MBUF_ROOM - RTE_PKTMBUF_HEADROOM);
			snprintf(vdev, sizeof(vdev), "%s%s", devs[i],
				 afp_needs_ring(devs[i]) ? L2X_DP_AFP_RING
							 : "");
			eal_add(a, "--vdev=%s", vdev);
		} else {
			eal_add(a, "%s", "-a");
			eal_add(a, "%s", devs[i]);
			pci = true;
		}
	}
	snprintf(num, sizeof(num), "net_tap0,iface=%s", dp->tap_name);
	eal_add(a, "--vdev=%s", num);
	if (!pci)
		eal_add(a, "%s", "--no-pci");
	eal_add(a, "%s", "--log-level=lib.eal:notice");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: l2x-dataplane --config FILE [--file-prefix P]\n"
		   "  --config FILE       the appliance configuration "
		   "(YAML)\n"
		   "  --file-prefix P     DPDK runtime prefix (default "
		   "l2x-<appliance name>)\n");
}

/* --- ports ---------------------------------------------------------------*/

/* The kernel's count of frames IFNAME received; -1: unreadable. */
static int64_t if_rx_packets(const char *ifname)
{
	char path[64];
	unsigned long long v;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/rx_packets",
		 ifname);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	n = fscanf(f, "%llu", &v);
	fclose(f);
	return n == 1 ? (int64_t)v : -1;
}

static int64_t afp_gap(const struct l2x_dp *dp, unsigned int i)
{
	uint16_t port = i == 0 ? dp->lan_port : dp->up_port;
	struct rte_eth_stats es;
	int64_t k = if_rx_packets(dp->afp[i].ifname);

	if (k < 0 || rte_eth_stats_get(port, &es) != 0)
		return -1;
	return k - (int64_t)es.ipackets;
}

/* Remember the interface behind an af_packet port and where its count
 * starts (frames it received before the port opened are not losses). */
static void afp_track(struct l2x_dp *dp, unsigned int i, const char *dev)
{
	const char *p = strstr(dev, "iface=");
	size_t n;
	int64_t g;

	dp->afp[i].ifname[0] = '\0';
	if (strncmp(dev, "net_af_packet", 13) != 0 || p == NULL)
		return;
	p += 6;
	n = strcspn(p, ",");
	if (n == 0 || n >= sizeof(dp->afp[i].ifname))
		return;
	memcpy(dp->afp[i].ifname, p, n);
	dp->afp[i].ifname[n] = '\0';
	g = afp_gap(dp, i);
	if (g < 0)
		dp->afp[i].ifname[0] = '\0';
	else
		dp->afp[i].base = (uint64_t)g;
}

int64_t l2x_dp_afp_missed(const struct l2x_dp *dp, unsigned int i)
{
	int64_t g;

	if (i > 1 || dp->ports_up <= i || dp->afp[i].ifname[0] == '\0')
		return -1;
	g = afp_gap(dp, i);
	if (g < 0)
		return -1;
	return g > (int64_t)dp->afp[i].base ? g - (int64_t)dp->afp[i].base : 0;
}

static int port_up(struct l2x_dp *dp, const char *dev, bool promisc,
		   uint16_t mtu, uint16_t *out)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	char name[L2X_CONFIG_DEVICE_LEN];
	uint16_t p, nrx = L2X_DP_RING_DESC, ntx = L2X_DP_RING_DESC;
	const char *what;
	int rc;

	dev_name(dev, name, sizeof(name));
	rc = rte_eth_dev_get_port_by_name(name, &p);
	if (rc) {
		fprintf(stderr, "l2x-dataplane: %s: no such port\n", name);
		return rc;
	}
	/* Jumbo frames: a VM MTU up to 9216 bridges whole (one segment per
	 * mbuf, L2X_MBUF_ROOM). A port that cannot take that much gets its
	 * largest MTU, and says so. */
	what = "device info";
	rc = rte_eth_dev_info_get(p, &info);
	if (rc == 0) {
		uint32_t by_len =
		    info.max_rx_pktlen > L2X_DP_FRAME_OVERHEAD
			? info.max_rx_pktlen - L2X_DP_FRAME_OVERHEAD
			: RTE_ETHER_MIN_MTU;

		by_len = RTE_MIN(by_len, (uint32_t)info.max_mtu);
		conf.rxmode.mtu = (uint16_t)RTE_MIN(by_len, (uint32_t)mtu);
		if (conf.rxmode.mtu < mtu)
			fprintf(stderr,
				"l2x-dataplane: %s: MTU %u, the largest the "
				"port reports\n",
				name, conf.rxmode.mtu);
		what = "configure";
		rc = rte_eth_dev_configure(p, 1, 1, &conf);
	}
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(p, &nrx, &ntx);
	if (rc == 0) {
		what = "rx queue";
		rc = rte_eth_rx_queue_setup(p, 0, nrx, rte_eth_dev_socket_id(p),
					    NULL, dp->pool);
	}
	if (rc == 0) {
		what = "tx queue";
		rc = rte_eth_tx_queue_setup(p, 0, ntx, rte_eth_dev_socket_id(p),
					    NULL);
	}
	if (rc == 0) {
		what = "start";
		rc = rte_eth_dev_start(p);
	}
	if (rc == 0 && promisc) {
		what = "promiscuous mode";
		rc = rte_eth_promiscuous_enable(p);
	}
	if (rc) {
		fprintf(stderr,
			"l2x-dataplane: %s: port setup (%s) failed: %s\n", name,
			what, rte_strerror(-rc));
		return rc;
	}
	*out = p;
	return 0;
}

/* --- tables --------------------------------------------------------------*/

int l2x_dp_fdb_create(struct l2x_dp *dp)
{
	return l2x_fdb_create(
	    &(struct l2x_fdb_prm){
		.name = "l2xmacs",
		.capacity = dp->cfg->bridge.mac_table_size,
		.nets = L2X_DP_NET_SLOTS,
		.aging_s = dp->cfg->bridge.aging,
		.learn_ring = L2X_DP_LEARN_RING,
		.socket = SOCKET_ID_ANY,
		.qsbr = dp->qsbr,
	    },
	    &dp->fdb);
}

static int sas_up(struct l2x_dp *dp)
{
	const struct l2x_config *c = dp->cfg;
	struct l2x_sa_table *t = NULL, *old;
	uint32_t n_in = 0;
	int rc;

	for (uint32_t i = 0; i < c->n_static_sas; i++)
		n_in += c->static_sas[i].direction == L2X_CONFIG_DIR_IN;
	if (n_in) {
		rc = l2x_sa_table_create(n_in, &t);
		if (rc)
			return rc;
	}
	for (uint32_t i = 0; i < c->n_static_sas; i++) {
		const struct l2x_config_static_sa *s = &c->static_sas[i];
		bool in = s->direction == L2X_CONFIG_DIR_IN;
		struct l2x_sa *sa;

		if (!in && dp->sa_out) {
			fprintf(stderr,
				"l2x-dataplane: static SA 0x%08x: only one "
				"outbound SA is used, ignored\n",
				s->spi);
			continue;
		}
		rc = l2x_sa_create(
		    &(struct l2x_sa_prm){
			.spi = s->spi,
			.dir = in ? L2X_SA_IN : L2X_SA_OUT,
			.alg = (enum l2x_aead)s->alg,
			.key = s->key,
			.key_len = sizeof(s->key),
			.replay_win = in ? c->peer.replay_window : 0,
			.now = l2x_dp_now_s(dp),
		    },
		    &sa);
		if (rc) {
			fprintf(stderr, "l2x-dataplane: static SA 0x%08x: %s\n",
				s->spi, strerror(-rc));
			l2x_sa_table_destroy(t);
			return rc;
		}
		if (!in) {
			dp->sa_out = sa;
			continue;
		}
		dp->sa_in[dp->n_sa_in++] = sa;
		rc = l2x_sa_table_add(t, sa);
		if (rc) {
			fprintf(stderr, "l2x-dataplane: static SA 0x%08x: %s\n",
				s->spi, strerror(-rc));
			l2x_sa_table_destroy(t);
			return rc;
		}
	}
	old = l2x_sa_table_swap(&dp->sa_table, t);
	l2x_sa_table_destroy(old);
	return 0;
}

static int tables_up(struct l2x_dp *dp)
{
	const struct l2x_config *c = dp->cfg;
	size_t qsz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	enum l2x_aead aead = (enum l2x_aead)c->peer.esp[0];
	int rc;

	for (uint32_t i = 0; i < c->n_static_sas; i++)
		if (c->static_sas[i].direction == L2X_CONFIG_DIR_OUT)
			aead = (enum l2x_aead)c->static_sas[i].alg;
	rc = l2x_mtu_plan((enum l2x_encap)c->tunnel.encap, aead,
			  c->ports.uplink.mtu, &dp->plan);
	if (rc) {
		fprintf(stderr, "l2x-dataplane: uplink mtu %u: %s\n",
			c->ports.uplink.mtu, strerror(-rc));
		return rc;
	}
	dp->qsbr = rte_zmalloc("l2x_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (dp->qsbr == NULL || rte_rcu_qsbr_init(dp->qsbr, RTE_MAX_LCORE))
		return -ENOMEM;
	rc = l2x_dp_fdb_create(dp);
	if (rc) {
		fprintf(stderr, "l2x-dataplane: MAC table of %u entries: %s\n",
			c->bridge.mac_table_size, strerror(-rc));
		return rc;
	}
	{
		char err[L2X_CONFIG_ERR_LEN];

		rc = l2x_dp_nets_set(dp, c->networks, c->n_networks, err,
				     sizeof(err));
		if (rc) {
			fprintf(stderr, "l2x-dataplane: %s\n", err);
			return -rc;
		}
	}
	rc = sas_up(dp);
	if (rc)
		return rc;
	rc = l2x_outer_tmpl_init(
	    &dp->outer,
	    &(struct l2x_outer_prm){
		.src_mac = dp->up_mac,
		.src_ip = dp->local_ip,
		.src_port = L2X_UDP_ENCAP_PORT,
		.first_id = (uint16_t)rte_rand(),
		.peer = {.ip = dp->peer_ip_cfg, .port = L2X_UDP_ENCAP_PORT},
	    });
	if (rc)
		return rc;
	rc = l2x_reasm_create(
	    &(struct l2x_reasm_prm){
		.max_datagrams = L2X_DP_REASM_DGRAMS,
		.max_frags = L2X_DP_REASM_FRAGS,
		.max_held = L2X_DP_REASM_HELD,
		.max_size =
		    RTE_MIN(65535u, L2X_MBUF_ROOM - RTE_PKTMBUF_HEADROOM -
					sizeof(struct rte_ether_hdr)),
		.timeout = 2 * dp->hz,
		.pool = dp->pool,
		.hash_seed = (uint32_t)rte_rand(),
		.socket_id = SOCKET_ID_ANY,
	    },
	    &dp->reasm);
	if (rc) {
		fprintf(stderr, "l2x-dataplane: reassembly: %s\n",
			strerror(-rc));
		return rc;
	}
	rc = l2x_fdb_tb_init(&dp->exc_tb, L2X_DP_EXC_PPS, L2X_DP_EXC_BURST,
			     dp->hz, rte_get_tsc_cycles());
	if (rc)
		return rc;
	return l2x_fdb_tb_init(&dp->exc_peer_tb, L2X_DP_EXC_PEER_PPS,
			       L2X_DP_EXC_PEER_BURST, dp->hz,
			       rte_get_tsc_cycles());
}

/* Turn IPv6 off on the tap: the uplink is IPv4 and the kernel would
 * otherwise send router solicitations and DAD probes out of it. */
static void tap_no_ipv6(const char *ifname)
{
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 ifname);
	f = fopen(path, "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
}

static int exception_up(struct l2x_dp *dp)
{
	const struct l2x_config_uplink *u = &dp->cfg->ports.uplink;
	const char *what = "open netlink";
	uint32_t mask = u->address.len ? ~0u << (32 - u->address.len) : 0;
	int rc;

	tap_no_ipv6(dp->tap_name);
	rc = l2x_nh_create(dp->tap_name, &dp->nh);
	if (rc == 0)
		rc = l2x_nh_tap_setup(dp->nh, &dp->up_mac, dp->local_ip,
				      u->address.len,
				      rte_cpu_to_be_32(u->gateway), &what);
	if (rc) {
		fprintf(stderr, "l2x-dataplane: %s: %s: %s\n", dp->tap_name,
			what, strerror(-rc));
		return rc;
	}
	/* The next hop: the peer itself when on-link, else the gateway. */
	if (u->gateway &&
	    (dp->cfg->peer.address & mask) != (u->address.addr & mask))
		dp->nh_ip = rte_cpu_to_be_32(u->gateway);
	else
		dp->nh_ip = dp->peer_ip_cfg;
	return 0;
}

int l2x_dp_setup(struct l2x_dp *dp, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"file-prefix", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct eal_args ea;
	struct l2x_config_err err;
	struct l2x_config *cfg;
	const char *path = NULL;
	char prefix[64] = "";
	int o, rc;

	memset(dp, 0, sizeof(*dp));
	dp->ka_fd = -1;
	while ((o = getopt_long(argc, argv, "c:p:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			path = optarg;
			break;
		case 'p':
			snprintf(prefix, sizeof(prefix), "%s", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return -1;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return -1;
	dp->cfg = cfg;
	snprintf(dp->cfg_path, sizeof(dp->cfg_path), "%s", path);
	if (l2x_config_load(path, cfg, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	if (prefix[0] == '\0')
		snprintf(prefix, sizeof(prefix), "l2x-%s", cfg->appliance.name);
	snprintf(dp->tap_name, sizeof(dp->tap_name), "l2x-%.11s",
		 cfg->appliance.name);
	dp->trunk = cfg->ports.lan.mode == L2X_CONFIG_LAN_TRUNK;
	dp->local_ip = rte_cpu_to_be_32(cfg->ports.uplink.address.addr);
	dp->peer_ip_cfg = rte_cpu_to_be_32(cfg->peer.address);
	dp->gw_ip_cfg = rte_cpu_to_be_32(cfg->ports.uplink.gateway);
	dp->inner_local = rte_cpu_to_be_32(cfg->tunnel.inner_local);
	dp->inner_remote = rte_cpu_to_be_32(cfg->tunnel.inner_remote);
	l2x_dp_name_drops();

	build_eal(dp, prefix, &ea);
	rc = rte_eal_init(ea.argc, ea.argv);
	if (rc < 0) {
		fprintf(stderr, "l2x-dataplane: EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return -1;
	}
	dp->eal_up = true;
	dp->hz = rte_get_tsc_hz();
	dp->worker_lcore = cfg->dataplane.lcores.workers[0];
	if (cfg->dataplane.lcores.n_workers > 1)
		fprintf(stderr,
			"l2x-dataplane: one worker lcore is used (%u), "
			"the others stay idle\n",
			dp->worker_lcore);
	dp->pool = rte_pktmbuf_pool_create("l2x_pool", L2X_DP_POOL_MBUFS,
					   L2X_DP_POOL_CACHE, 0, L2X_MBUF_ROOM,
					   (int)rte_socket_id());
	if (dp->pool == NULL) {
		fprintf(stderr, "l2x-dataplane: mbuf pool: %s\n",
			rte_strerror(rte_errno));
		return -1;
	}
	if (port_up(dp, cfg->ports.lan.device, true, L2X_DP_PORT_MTU,
		    &dp->lan_port) ||
	    port_up(dp, cfg->ports.uplink.device, false, L2X_DP_PORT_MTU,
		    &dp->up_port))
		return -1;
	dp->ports_up = 2;
	afp_track(dp, 0, cfg->ports.lan.device);
	afp_track(dp, 1, cfg->ports.uplink.device);
	{
		char tap[32];

		snprintf(tap, sizeof(tap), "net_tap0");
		/* the kernel sees the uplink's MTU (IKE sizes by it) */
		if (port_up(dp, tap, false, cfg->ports.uplink.mtu,
			    &dp->tap_port))
			return -1;
		dp->ports_up = 3;
	}
	rte_eth_macaddr_get(dp->up_port, &dp->up_mac);
	if (tables_up(dp) || exception_up(dp))
		return -1;
	rc = l2x_ctl_open(cfg->dataplane.control_socket, &dp->ctl);
	if (rc) {
		fprintf(stderr, "l2x-dataplane: control socket %s: %s\n",
			cfg->dataplane.control_socket, strerror(-rc));
		return -1;
	}
	if (l2x_telemetry_register(dp))
		return -1; /* telemetry.c said why */
	return 0;
}

void l2x_dp_teardown(struct l2x_dp *dp)
{
	struct l2x_sa_table *t;
	uint16_t ports[3] = {dp->lan_port, dp->up_port, dp->tap_port};

	dp->stop = 1;
	if (dp->eal_up)
		rte_eal_mp_wait_lcore();
	for (unsigned int i = 0; i < dp->ports_up; i++) {
		rte_eth_dev_stop(ports[i]);
		rte_eth_dev_close(ports[i]);
	}
	l2x_ctl_close(dp->ctl);
	l2x_nh_destroy(dp->nh);
	if (dp->ka_fd >= 0)
		close(dp->ka_fd);
	l2x_dp_nets_free(dp);
	l2x_fdb_destroy(dp->fdb);
	l2x_reasm_destroy(dp->reasm);
	t = l2x_sa_table_swap(&dp->sa_table, NULL);
	l2x_sa_table_destroy(t);
	for (uint32_t i = 0; i < dp->n_sa_in; i++)
		l2x_sa_destroy(dp->sa_in[i]);
	l2x_sa_destroy(dp->sa_out);
	rte_free(dp->qsbr);
	rte_mempool_free(dp->pool);
	if (dp->cfg) {
		l2x_config_free((struct l2x_config *)dp->cfg);
		free((void *)dp->cfg);
	}
	if (dp->eal_up)
		rte_eal_cleanup();
}
