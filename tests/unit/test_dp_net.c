/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dataplane/dp_net.c, the extended networks at run time:
 * l2x_dp_nets_set() (kept networks keep their entry, slot and MACs,
 * changed ones are replaced, all or nothing), the set's indexes
 * (vlan2net, tid2net probed here independently of dp.h's probe), NET_ADD
 * / NET_DEL, the configuration reload with its refusals, and 4094
 * networks: loaded, one added and one removed without touching the
 * others, every one replaced by one reload.
 *
 * Each test builds a dataplane context without ports or worker: a zeroed
 * struct l2x_dp with a configuration loaded from a YAML file in a private
 * folder (mkdtemp), the MTU plan, the inner endpoints, an RCU QSBR
 * variable with no reader registered (a grace period ends at once) and
 * the one MAC table (l2x_dp_fdb_create). The per-test teardown frees
 * what the test left, so ASan's leak check covers dp_net.c's own frees.
 *
 * Every network's MACs are in the one table under its slot: a slot no
 * network holds has no MAC and the table's default limit (check_set), so
 * a removed or replaced network leaves nothing behind for the next one
 * given its slot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include <rte_byteorder.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "control/config.h"
#include "control/ctlmsg.h"
#include "control/netidx.h"
#include "dataplane/ctl.h"
#include "dataplane/dp.h"
#include "dataplane/wire.h"
#include "tests/unit/testenv.h"
#include "tests/unit/testfs.h"

/* ---- files -------------------------------------------------------------- */

static char dir[64];			   /* the private folder */
static char cfg_file[L2X_CONFIG_PATH_LEN]; /* dir/site.yaml */

#define KEY_OUT                                                            \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" \
	"a0a1a2a3"
#define KEY_IN                                                             \
	"f0e1d2c3b4a5968778695a4b3c2d1e0fffeeddccbbaa99887766554433221100" \
	"01020304"
#define KEY_OTHER                                                          \
	"101112131415161718191a1b1c1d1e1f000102030405060708090a0b0c0d0e0f" \
	"b0b1b2b3"

static void put(const char *rel, const char *text, mode_t mode)
{
	char path[L2X_CONFIG_PATH_LEN];
	size_t len = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int group_up(void **state)
{
	if (l2x_testenv_up(state) != 0)
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/l2x-dpnet-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(cfg_file, sizeof(cfg_file), "%s/site.yaml", dir);
	return 0;
}

static int group_down(void **state)
{
	int rc = l2x_test_rmtree(dir);

	return l2x_testenv_down(state) | rc;
}

/* ---- the configuration -------------------------------------------------- */

/* An IPv4 address in host order (RTE_IPV4 shifts an int: UBSan). */
#define IP4(a, b, c, d)                                                   \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
	 (uint32_t)(d))

#define L_WEB                                                                \
	"  - { name: web, vlan: 100, tunnel_id: 5001, gateway: "             \
	"198.19.100.1/24, gateway_side: local, mss_clamp: auto, mac_limit: " \
	"64 }\n"
#define L_DB "  - { name: db, vlan: 200, tunnel_id: 5002, mss_clamp: off }\n"
#define L_APP                                                     \
	"  - { name: app, vlan: 300, tunnel_id: 5003, gateway: "  \
	"198.19.30.1/24, gateway_side: remote, mss_clamp: 1360, " \
	"mac_limit: 16 }\n"
#define L_BRIDGE "bridge: { aging: 300, mac_limit: 32 }\n"
#define L_SA_IN                                                     \
	"  - { direction: in, spi: 0x2001, alg: chacha20poly1305, " \
	"key_file: sa-in.key }\n"

/* Line numbers matter: expected messages quote them. */
static const char base_doc[] =
    /*  1 */
    "appliance: { name: ne-a, role: initiator }\n"
    /*  2 */ "dataplane:\n"
    /*  3 */ "  lcores: { main: 0, workers: [1] }\n"
    /*  4 */ "  memory_mb: 256\n"
    /*  5 */ "  no_huge: true\n"
    /*  6 */ "  control_socket: /run/l2x/ne-a.sock\n"
    /*  7 */ "ports:\n"
    /*  8 */ "  lan: { device: \"net_af_packet0,iface=lan0\", mode: trunk }\n"
    /*  9 */ "  uplink: { device: \"net_af_packet1,iface=wan0\", "
    "address: 198.18.1.2/24, gateway: 198.18.1.1, mtu: 1500 }\n"
    /* 10 */ "peer:\n"
    /* 11 */ "  address: 198.18.2.2\n"
    /* 12 */ "  replay_window: 1024\n"
    /* 13 */
    "tunnel: { encap: gre, inner_local: 169.254.100.1, "
    "inner_remote: 169.254.100.2 }\n"
    /* 14 */ L_BRIDGE
    /* 15 */ "networks:\n"
    /* 16 */ L_WEB
	/* 17 */ L_DB
	    /* 18 */ L_APP
    /* 19 */ "static_sas:\n"
    /* 20 */
    "  - { direction: out, spi: 0x1001, alg: aes256gcm16, "
    "key_file: sa-out.key }\n"
    /* 21 */ L_SA_IN;

/* base_doc with each substitution applied: every `from` must occur
 * exactly once. A NULL `to` ends the list. */
struct subst {
	const char *from, *to;
};

static char *build(const struct subst *s, size_t ns, int caseno)
{
	size_t cap = L2X_CONFIG_FILE_MAX;
	char *doc = malloc(cap);

	assert_non_null(doc);
	snprintf(doc, cap, "%s", base_doc);
	for (size_t i = 0; i < ns && s[i].to != NULL; i++) {
		char *at = strstr(doc, s[i].from), *tail;

		if (at == NULL || strstr(at + 1, s[i].from) != NULL)
			fail_msg("case %d: '%s' is not in the base exactly "
				 "once",
				 caseno, s[i].from);
		tail = strdup(at + strlen(s[i].from));
		assert_non_null(tail);
		snprintf(at, cap - (size_t)(at - doc), "%s%s", s[i].to, tail);
		free(tail);
	}
	return doc;
}

/* Write base_doc with the substitutions as the configuration file. */
static void write_cfg(const struct subst *s, size_t ns, int caseno)
{
	char *doc = build(s, ns, caseno);

	put("site.yaml", doc, 0644);
	free(doc);
}

/* ---- the dataplane context ---------------------------------------------- */

static struct l2x_dp dp;

/* The tunnel id index, probed independently of dp.h's probe. */
static uint16_t tid_home(uint32_t tid)
{
	return (uint16_t)((tid * 0x9e3779b1u) >> L2X_DP_TID_SHIFT);
}

static uint16_t tid_lookup(const struct l2x_dp_nets *ns, uint32_t tid)
{
	for (uint32_t d = 0; d < L2X_DP_TID_SLOTS; d++) {
		uint32_t s = (tid_home(tid) + d) & (L2X_DP_TID_SLOTS - 1);

		if (ns->tid2net[s].net == L2X_DP_NO_NET)
			return L2X_DP_NO_NET;
		if (ns->tid2net[s].tid == tid)
			return ns->tid2net[s].net;
	}
	return L2X_DP_NO_NET;
}

static struct l2x_fdb_net_stats net_stats(uint32_t slot)
{
	struct l2x_fdb_net_stats s;

	l2x_fdb_net_stats(dp.fdb, slot, &s);
	return s;
}

/* The running set is consistent: each network at its slot, found through
 * both indexes there, nothing else in them; no slot without a network
 * holds a MAC or a limit of its own. */
static void check_set(void)
{
	const struct l2x_dp_nets *s = dp.nets;
	uint32_t used = 0, nets = 0, names = 0;
	struct l2x_netidx *x = NULL;

	assert_non_null(s);
	assert_true(s->n <= L2X_CONFIG_NETWORKS_MAX);
	if (s->n > 0)
		assert_int_equal(l2x_netidx_create(s->n, &x), 0);
	for (uint32_t i = 0; i < L2X_DP_NET_SLOTS; i++) {
		const struct l2x_dp_net *n = s->net[i];
		struct l2x_fdb_net_stats st = net_stats(i);
		struct l2x_netidx_hit hit;

		if (n == NULL) {
			L2X_CHECK(st.entries == 0 &&
				      st.mac_limit ==
					  dp.cfg->bridge.mac_table_size,
				  "free slot %u: %llu MACs, limit %llu", i,
				  (unsigned long long)st.entries,
				  (unsigned long long)st.mac_limit);
			continue;
		}
		nets++;
		L2X_CHECK(n->slot == i && n->fkey == l2x_fdb_nkey(i, NULL),
			  "network at slot %u says slot %u", i, n->slot);
		L2X_CHECK(st.mac_limit == n->cfg.mac_limit,
			  "network %s: limit %llu in the table, %u in cfg",
			  n->name, (unsigned long long)st.mac_limit,
			  n->cfg.mac_limit);
		assert_int_equal(
		    l2x_netidx_add(x, names++, n->name, 0, 0, &hit), 0);
		L2X_CHECK(hit.name == L2X_NETIDX_NONE,
			  "network %s twice in the set", n->name);
		L2X_CHECK(strcmp(n->name, n->cfg.name) == 0 &&
			      n->vlan == n->cfg.vlan &&
			      n->tunnel_id == n->cfg.tunnel_id,
			  "network %u (%s): entry differs from its cfg", i,
			  n->name);
		L2X_CHECK(tid_lookup(s, n->tunnel_id) == i,
			  "network %u (%s): tunnel id %u not found", i, n->name,
			  n->tunnel_id);
		L2X_CHECK(n->inner.tunnel_id == n->tunnel_id,
			  "network %u: inner template id %u", i,
			  n->inner.tunnel_id);
		if (dp.trunk)
			L2X_CHECK(s->vlan2net[n->vlan] == i,
				  "network %u (%s): vlan %u maps to %u", i,
				  n->name, n->vlan, s->vlan2net[n->vlan]);
		else
			L2X_CHECK(s->access == i, "access: slot %u, not %u",
				  s->access, i);
	}
	l2x_netidx_destroy(x);
	L2X_CHECK(nets == s->n, "%u networks in slots, n %u", nets, s->n);
	if (nets == 0)
		L2X_CHECK(s->access == L2X_DP_NO_NET, "access: slot %u",
			  s->access);
	for (uint32_t t = 0; t < L2X_DP_TID_SLOTS; t++) {
		if (s->tid2net[t].net == L2X_DP_NO_NET)
			continue;
		used++;
		L2X_CHECK(s->tid2net[t].net < L2X_DP_NET_SLOTS &&
			      s->net[s->tid2net[t].net] != NULL &&
			      s->net[s->tid2net[t].net]->tunnel_id ==
				  s->tid2net[t].tid,
			  "tid slot %u: stray entry", t);
	}
	L2X_CHECK(used == s->n, "%u tid slots used for %u networks", used,
		  s->n);
	if (dp.trunk) {
		used = 0;
		for (uint32_t v = 0; v < 4096; v++) {
			if (s->vlan2net[v] == L2X_DP_NO_NET)
				continue;
			used++;
			L2X_CHECK(s->vlan2net[v] < L2X_DP_NET_SLOTS &&
				      s->net[s->vlan2net[v]] != NULL &&
				      s->net[s->vlan2net[v]]->vlan == v,
				  "vlan %u: stray entry", v);
		}
		L2X_CHECK(used == s->n, "%u vlans mapped for %u networks", used,
			  s->n);
	}
}

/* Load the configuration file and bring the networks up as
 * l2x_dp_setup() does. */
static void dp_up(void)
{
	struct l2x_config *c = calloc(1, sizeof(*c));
	size_t qsz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	struct l2x_config_err cerr;
	enum l2x_aead aead;
	char err[256];
	int rc;

	assert_non_null(c);
	memset(&dp, 0, sizeof(dp));
	dp.hz = rte_get_tsc_hz();
	dp.cfg = c;
	snprintf(dp.cfg_path, sizeof(dp.cfg_path), "%s", cfg_file);
	if (l2x_config_load(dp.cfg_path, c, &cerr) != 0)
		fail_msg("load: %s", cerr.msg);
	dp.trunk = c->ports.lan.mode == L2X_CONFIG_LAN_TRUNK;
	dp.inner_local = rte_cpu_to_be_32(c->tunnel.inner_local);
	dp.inner_remote = rte_cpu_to_be_32(c->tunnel.inner_remote);
	aead = (enum l2x_aead)c->peer.esp[0];
	for (uint32_t i = 0; i < c->n_static_sas; i++)
		if (c->static_sas[i].direction == L2X_CONFIG_DIR_OUT)
			aead = (enum l2x_aead)c->static_sas[i].alg;
	assert_int_equal(l2x_mtu_plan((enum l2x_encap)c->tunnel.encap, aead,
				      c->ports.uplink.mtu, &dp.plan),
			 0);
	dp.qsbr = rte_zmalloc("test_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	assert_non_null(dp.qsbr);
	assert_int_equal(rte_rcu_qsbr_init(dp.qsbr, RTE_MAX_LCORE), 0);
	assert_int_equal(l2x_dp_fdb_create(&dp), 0);
	rc = l2x_dp_nets_set(&dp, c->networks, c->n_networks, err, sizeof(err));
	if (rc != 0)
		fail_msg("initial set: %d %s", rc, err);
	check_set();
}

/* Per-test teardown: whatever the test left (also after a failure). */
static int dp_down(void **state)
{
	(void)state;
	l2x_dp_nets_free(&dp);
	l2x_fdb_destroy(dp.fdb);
	rte_free(dp.qsbr);
	if (dp.cfg != NULL) {
		l2x_config_free((struct l2x_config *)dp.cfg);
		free((void *)dp.cfg);
	}
	memset(&dp, 0, sizeof(dp));
	return 0;
}

/* Base file, loaded: every test starts here (after freeing what a failed
 * setup left: cmocka skips the teardown then). */
static int base_up(void **state)
{
	dp_down(state);
	put("sa-out.key", KEY_OUT "\n", 0600);
	put("sa-in.key", KEY_IN "\n", 0600);
	put("sa-same.key", KEY_OUT "\n", 0600);
	put("sa-other.key", KEY_OTHER "\n", 0600);
	write_cfg(NULL, 0, 0);
	dp_up();
	return 0;
}

static struct l2x_dp_net *net_named(const char *name)
{
	return l2x_dp_net_find(&dp, name);
}

/* The running networks as configured, in slot order. */
static uint32_t running(struct l2x_config_network *w)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < L2X_DP_NET_SLOTS; i++)
		if (dp.nets->net[i])
			w[k++] = dp.nets->net[i]->cfg;
	return k;
}

/* ---- MAC tables --------------------------------------------------------- */

static struct rte_ether_addr mac_n(uint32_t i)
{
	return (struct rte_ether_addr){{0x02, 0x00, (uint8_t)(i >> 24),
					(uint8_t)(i >> 16), (uint8_t)(i >> 8),
					(uint8_t)i}};
}

static struct l2x_fdb_net_stats fdb_stats(const struct l2x_dp_net *n)
{
	return net_stats(n->slot);
}

/* Learn count distinct MACs from the LAN at now_s, as a worker would, and
 * insert them as the control thread does. */
static void learn(const struct l2x_dp_net *n, uint32_t first, uint32_t count,
		  uint64_t now_s)
{
	struct l2x_fdb_lcore lc = {0};

	for (uint32_t i = 0; i < count; i += 32) {
		uint64_t keys[32];
		uint8_t why[32];
		uint32_t k = RTE_MIN(32u, count - i);

		for (uint32_t j = 0; j < k; j++) {
			struct rte_ether_addr a = mac_n(first + i + j);

			keys[j] = l2x_fdb_key(&a) | n->fkey;
		}
		assert_int_equal(l2x_fdb_learn_bulk(dp.fdb, keys, k,
						    L2X_SIDE_LAN, now_s, &lc,
						    why),
				 0);
	}
	assert_int_equal(lc.queued, count);
	l2x_fdb_drain(dp.fdb, now_s);
}

/* The network takes exactly limit dynamic entries (from none). */
static void expect_mac_limit(const struct l2x_dp_net *n, uint32_t limit)
{
	struct l2x_fdb_net_stats s;

	learn(n, 0x100000, limit + 1, 1000);
	s = fdb_stats(n);
	L2X_CHECK(s.entries == limit && s.limit_refused == 1,
		  "%s: %llu entries, limit_refused %llu, want limit %u",
		  n->name, (unsigned long long)s.entries,
		  (unsigned long long)s.limit_refused, limit);
}

static bool has_mac(const struct l2x_dp_net *n, uint32_t i)
{
	struct rte_ether_addr a = mac_n(i);
	struct l2x_fdb_info info;

	return l2x_fdb_get(dp.fdb, n->slot, &a, 1000, &info) == 0;
}

static void add_mac(const struct l2x_dp_net *n, uint32_t i)
{
	struct rte_ether_addr a = mac_n(i);

	assert_int_equal(
	    l2x_fdb_add_static(dp.fdb, n->slot, &a, L2X_SIDE_LAN, 0, 1000), 0);
}

/* ---- "nothing changed" -------------------------------------------------- */

/* The running set, its content, each slot's MAC count and the table's
 * entries in all. */
struct snap {
	const struct l2x_dp_nets *ptr;
	struct l2x_dp_nets *copy;
	uint64_t entries[L2X_DP_NET_SLOTS];
	uint64_t total;
};

static uint64_t table_entries(void)
{
	struct l2x_fdb_stats s;

	l2x_fdb_stats(dp.fdb, NULL, 0, &s);
	return s.entries;
}

static void snap_take(struct snap *sn)
{
	sn->ptr = dp.nets;
	sn->copy = malloc(sizeof(*sn->copy));
	assert_non_null(sn->copy);
	memcpy(sn->copy, dp.nets, sizeof(*sn->copy));
	for (uint32_t i = 0; i < L2X_DP_NET_SLOTS; i++)
		sn->entries[i] = net_stats(i).entries;
	sn->total = table_entries();
}

static void snap_same(const struct snap *sn, int caseno)
{
	L2X_CHECK(dp.nets == sn->ptr, "case %d: the set was replaced", caseno);
	L2X_CHECK(memcmp(dp.nets, sn->copy, sizeof(*sn->copy)) == 0,
		  "case %d: the set changed", caseno);
	for (uint32_t i = 0; i < L2X_DP_NET_SLOTS; i++)
		L2X_CHECK(net_stats(i).entries == sn->entries[i],
			  "case %d: slot %u: %llu MACs, %llu before", caseno, i,
			  (unsigned long long)net_stats(i).entries,
			  (unsigned long long)sn->entries[i]);
	L2X_CHECK(table_entries() == sn->total,
		  "case %d: %llu MACs in the table, %llu before", caseno,
		  (unsigned long long)table_entries(),
		  (unsigned long long)sn->total);
}

static void snap_free(struct snap *sn)
{
	free(sn->copy);
	sn->copy = NULL;
}

static struct l2x_config_network netw(const char *name, uint16_t vlan,
				      uint32_t tid, uint32_t mac_limit)
{
	struct l2x_config_network w = {
	    .vlan = vlan, .tunnel_id = tid, .mac_limit = mac_limit};

	snprintf(w.name, sizeof(w.name), "%s", name);
	return w;
}

/* ---- l2x_dp_nets_set ---------------------------------------------------- */

static void test_initial_set(void **state)
{
	const struct l2x_dp_nets *s = dp.nets;
	const struct l2x_dp_net *web = s->net[0], *db = s->net[1],
				*app = s->net[2];

	(void)state;
	assert_true(dp.trunk);
	assert_int_equal(s->n, 3);
	assert_string_equal(web->name, "web");
	assert_string_equal(db->name, "db");
	assert_string_equal(app->name, "app");
	for (uint32_t i = 0; i < 3; i++)
		L2X_CHECK(memcmp(&s->net[i]->cfg, &dp.cfg->networks[i],
				 sizeof(s->net[i]->cfg)) == 0,
			  "network %u: cfg is not the file's", i);
	assert_int_equal(s->vlan2net[100], 0);
	assert_int_equal(s->vlan2net[200], 1);
	assert_int_equal(s->vlan2net[300], 2);
	assert_int_equal(tid_lookup(s, 5001), 0);
	assert_int_equal(tid_lookup(s, 5002), 1);
	assert_int_equal(tid_lookup(s, 5003), 2);
	{
		static const uint16_t vlans[] = {0,   1,    99,	 101,
						 400, 4094, 4095};
		static const uint32_t tids[] = {0,    1,    100,
						5000, 5004, UINT32_MAX};

		for (size_t i = 0; i < L2X_ARRAY_LEN(vlans); i++)
			L2X_CHECK(s->vlan2net[vlans[i]] == L2X_DP_NO_NET,
				  "vlan %u is mapped", vlans[i]);
		for (size_t i = 0; i < L2X_ARRAY_LEN(tids); i++)
			L2X_CHECK(tid_lookup(s, tids[i]) == L2X_DP_NO_NET,
				  "tid %u is mapped", tids[i]);
	}
	/* gateway consistency: address in network order, owner side */
	assert_int_equal(web->gw_ip, rte_cpu_to_be_32(IP4(198, 19, 100, 1)));
	assert_int_equal(web->gw_side, L2X_SIDE_LAN);
	assert_int_equal(app->gw_ip, rte_cpu_to_be_32(IP4(198, 19, 30, 1)));
	assert_int_equal(app->gw_side, L2X_SIDE_TUNNEL);
	assert_int_equal(db->gw_ip, 0);
	assert_int_equal(web->gw_pinned, 0);
	/* mss clamp: auto from the plan, off, or the configured value */
	assert_true(web->clamp);
	assert_true(dp.plan.mss.ipv4 > 0);
	assert_int_equal(web->mss.ipv4, dp.plan.mss.ipv4);
	assert_int_equal(web->mss.ipv6, dp.plan.mss.ipv6);
	assert_false(db->clamp);
	assert_true(app->clamp);
	assert_int_equal(app->mss.ipv4, 1360);
	assert_int_equal(app->mss.ipv6, 1340);
	/* inner template: the tunnel's encap, the network's id */
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(s->net[i]->inner.encap, L2X_ENCAP_GRE);
		assert_int_equal(s->net[i]->inner.hdr_len, L2X_INNER_GRE_LEN);
	}
	/* MAC tables: empty, the effective mac_limit, bridge.aging */
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(fdb_stats(s->net[i]).entries, 0);
	assert_int_equal(web->cfg.mac_limit, 64);
	assert_int_equal(db->cfg.mac_limit, 32); /* bridge.mac_limit */
	expect_mac_limit(web, 64);
	expect_mac_limit(db, 32);
	expect_mac_limit(app, 16);
	/* bridge.aging, for the one table of all three */
	assert_int_equal(l2x_fdb_age(dp.fdb, 1000 + 299), 0);
	assert_int_equal(l2x_fdb_age(dp.fdb, 1000 + 300), 64 + 32 + 16);
	assert_int_equal(fdb_stats(db).entries, 0);
}

static void test_replace_keeps_unchanged(void **state)
{
	struct l2x_config_network w[3];
	struct l2x_dp_net *web = net_named("web"), *db = net_named("db"),
			  *app = net_named("app");
	const struct l2x_dp_nets *before = dp.nets;
	char err[256] = "";

	(void)state;
	add_mac(web, 1);
	add_mac(web, 2);
	add_mac(db, 3);
	add_mac(app, 4);
	running(w);
	w[1].tunnel_id = 6002; /* db changed */
	w[1].mac_limit = 40;
	assert_int_equal(l2x_dp_nets_set(&dp, w, 3, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	check_set();
	assert_true(dp.nets != before);
	assert_int_equal(dp.nets->n, 3);
	assert_ptr_equal(dp.nets->net[0], web);
	assert_ptr_equal(dp.nets->net[2], app);
	/* the new db takes a new slot: the old one's MACs go with it */
	assert_null(dp.nets->net[1]);
	assert_true(net_named("db") != db);
	db = net_named("db");
	assert_int_equal(db->slot, 3);
	assert_int_equal(db->tunnel_id, 6002);
	assert_int_equal(db->cfg.mac_limit, 40);
	assert_int_equal(db->inner.tunnel_id, 6002);
	assert_int_equal(tid_lookup(dp.nets, 6002), 3);
	assert_int_equal(tid_lookup(dp.nets, 5002), L2X_DP_NO_NET);
	assert_int_equal(net_stats(1).entries, 0);
	/* kept: their MACs; replaced: an empty table with the new limit */
	assert_true(has_mac(web, 1) && has_mac(web, 2));
	assert_true(has_mac(app, 4));
	assert_int_equal(fdb_stats(web).entries, 2);
	assert_int_equal(fdb_stats(db).entries, 0);
	assert_false(has_mac(db, 3));
	expect_mac_limit(db, 40);

	/* the same list again: nothing replaced */
	running(w);
	before = dp.nets;
	assert_int_equal(l2x_dp_nets_set(&dp, w, 3, err, sizeof(err)), 0);
	check_set();
	assert_true(dp.nets != before);
	assert_ptr_equal(dp.nets->net[0], web);
	assert_ptr_equal(dp.nets->net[3], db);
	assert_ptr_equal(dp.nets->net[2], app);

	/* a name change is a change: new entry, new slot, no MACs */
	running(w);
	assert_string_equal(w[1].name, "app"); /* slot order: web app db */
	snprintf(w[1].name, sizeof(w[1].name), "app2");
	assert_int_equal(l2x_dp_nets_set(&dp, w, 3, err, sizeof(err)), 0);
	check_set();
	assert_non_null(net_named("app2"));
	assert_true(net_named("app2") != app);
	assert_int_equal(net_named("app2")->slot, 1);
	assert_int_equal(fdb_stats(net_named("app2")).entries, 0);
	assert_null(net_named("app"));
	assert_int_equal(net_stats(2).entries, 0);
}

/* Every setting of a network makes it a changed one (the line in the file
 * is not a setting). */
static const char *const setting[] = {
    "vlan",	    "tunnel_id", "gateway.addr", "gateway.len",
    "gateway_side", "mss_clamp", "mac_limit",
};

static void edit(struct l2x_config_network *w, size_t c)
{
	switch (c) {
	case 0:
		w->vlan = 101;
		break;
	case 1:
		w->tunnel_id = 7001;
		break;
	case 2:
		w->gateway.addr = IP4(198, 19, 100, 2);
		break;
	case 3:
		w->gateway.len = 25;
		break;
	case 4:
		w->gateway_side = L2X_CONFIG_GW_REMOTE;
		break;
	case 5:
		w->mss_clamp = L2X_CONFIG_MSS_OFF;
		break;
	default:
		w->mac_limit = 65;
		break;
	}
}

static void test_each_setting_replaces(void **state)
{
	struct l2x_config_network orig[3];
	char err[256];

	(void)state;
	running(orig);
	for (size_t c = 0; c < L2X_ARRAY_LEN(setting); c++) {
		struct l2x_config_network w[3];
		struct l2x_dp_net *old[3];
		const struct l2x_dp_net *n;

		memcpy(w, orig, sizeof(w));
		assert_int_equal(l2x_dp_nets_set(&dp, w, 3, err, sizeof(err)),
				 0);
		for (int i = 0; i < 3; i++)
			old[i] = net_named(w[i].name);
		add_mac(old[1], 9);
		edit(&w[0], c);
		w[1].line = 999;
		L2X_CHECK(l2x_dp_nets_set(&dp, w, 3, err, sizeof(err)) == 0,
			  "case %zu (%s): %s", c, setting[c], err);
		check_set();
		n = net_named(w[0].name);
		L2X_CHECK(n != old[0] && n->slot != old[0]->slot &&
			      net_named(w[1].name) == old[1] &&
			      net_named(w[2].name) == old[2],
			  "case %zu (%s): wrong networks replaced", c,
			  setting[c]);
		L2X_CHECK(memcmp(&n->cfg, &w[0], sizeof(w[0])) == 0,
			  "case %zu (%s): new settings not taken", c,
			  setting[c]);
		L2X_CHECK(has_mac(old[1], 9), "case %zu: db lost a MAC", c);
		switch (c) {
		case 2:
			assert_int_equal(
			    n->gw_ip, rte_cpu_to_be_32(IP4(198, 19, 100, 2)));
			break;
		case 4:
			assert_int_equal(n->gw_side, L2X_SIDE_TUNNEL);
			break;
		case 5:
			assert_false(n->clamp);
			break;
		case 6:
			expect_mac_limit(n, 65);
			break;
		}
	}
}

static void test_reorder_remove_add_empty(void **state)
{
	struct l2x_config_network w[4];
	struct l2x_dp_net *web = net_named("web"), *db = net_named("db"),
			  *app = net_named("app");
	char err[256];

	(void)state;
	add_mac(db, 7);
	/* reordered: the same entries at the same slots */
	w[0] = app->cfg;
	w[1] = db->cfg;
	w[2] = web->cfg;
	assert_int_equal(l2x_dp_nets_set(&dp, w, 3, err, sizeof(err)), 0);
	check_set();
	assert_ptr_equal(dp.nets->net[2], app);
	assert_ptr_equal(dp.nets->net[1], db);
	assert_ptr_equal(dp.nets->net[0], web);
	assert_int_equal(dp.nets->vlan2net[300], 2);
	assert_int_equal(dp.nets->vlan2net[100], 0);
	assert_int_equal(tid_lookup(dp.nets, 5001), 0);

	/* web removed, voice added: a slot web never had */
	add_mac(web, 8);
	w[0] = db->cfg;
	w[1] = netw("voice", 400, 5004, 8);
	w[2] = app->cfg;
	assert_int_equal(l2x_dp_nets_set(&dp, w, 3, err, sizeof(err)), 0);
	check_set();
	assert_ptr_equal(dp.nets->net[1], db);
	assert_ptr_equal(dp.nets->net[2], app);
	assert_null(dp.nets->net[0]);
	assert_string_equal(dp.nets->net[3]->name, "voice");
	assert_true(has_mac(db, 7));
	assert_null(net_named("web"));
	assert_int_equal(net_stats(0).entries, 0); /* web's MAC 8 went */
	assert_int_equal(dp.nets->vlan2net[100], L2X_DP_NO_NET);
	assert_int_equal(tid_lookup(dp.nets, 5001), L2X_DP_NO_NET);
	assert_int_equal(dp.nets->vlan2net[400], 3);

	/* no network at all */
	assert_int_equal(l2x_dp_nets_set(&dp, w, 0, err, sizeof(err)), 0);
	check_set();
	assert_int_equal(dp.nets->n, 0);
	assert_int_equal(dp.nets->vlan2net[200], L2X_DP_NO_NET);
	assert_int_equal(tid_lookup(dp.nets, 5002), L2X_DP_NO_NET);
}

static void test_refusals(void **state)
{
	static const struct {
		struct l2x_config_network extra;
		bool change_web; /* also change web: must not happen */
		int rc;
		const char *err;
	} cases[] = {
	    {{.name = "web", .vlan = 400, .tunnel_id = 6000, .mac_limit = 8},
	     false,
	     EEXIST,
	     "network web: same name as network web"},
	    {{.name = "x", .vlan = 200, .tunnel_id = 6000, .mac_limit = 8},
	     false,
	     EEXIST,
	     "network x: same vlan as network db"},
	    {{.name = "x", .vlan = 400, .tunnel_id = 5003, .mac_limit = 8},
	     false,
	     EEXIST,
	     "network x: same tunnel_id as network app"},
	    {{.name = "x", .vlan = 100, .tunnel_id = 5001, .mac_limit = 8},
	     true,
	     EEXIST,
	     "network x: same vlan as network web"},
	    {{.name = "x", .vlan = 0, .tunnel_id = 6000, .mac_limit = 8},
	     false,
	     EINVAL,
	     "network x: vlan 0 is not 1..4094"},
	    {{.name = "x", .vlan = 4095, .tunnel_id = 6000, .mac_limit = 8},
	     true,
	     EINVAL,
	     "network x: vlan 4095 is not 1..4094"},
	    {{.name = "x",
	      .vlan = 400,
	      .tunnel_id = 6000,
	      .mac_limit = L2X_FDB_CAPACITY_MAX + 1},
	     true,
	     EINVAL,
	     "network x: mac_limit 16777217 is not 1..16777216"},
	    {{.name = "x", .vlan = 400, .tunnel_id = 6000, .mac_limit = 0},
	     true,
	     EINVAL,
	     "network x: mac_limit 0 is not 1..16777216"},
	};
	struct l2x_dp_net *web = net_named("web");
	struct snap sn;
	char err[256];

	(void)state;
	add_mac(web, 1);
	snap_take(&sn);
	for (size_t c = 0; c < L2X_ARRAY_LEN(cases); c++) {
		struct l2x_config_network w[4];
		int rc;

		running(w);
		if (cases[c].change_web)
			w[0].mac_limit = 99;
		w[3] = cases[c].extra;
		memset(err, 0, sizeof(err));
		rc = l2x_dp_nets_set(&dp, w, 4, err, sizeof(err));
		L2X_CHECK(rc == cases[c].rc, "case %zu: rc %d, want %d", c, rc,
			  cases[c].rc);
		L2X_CHECK(strcmp(err, cases[c].err) == 0,
			  "case %zu: err '%s'\n  want '%s'", c, err,
			  cases[c].err);
		snap_same(&sn, (int)c);
	}
	/* too many: refused before anything is made */
	{
		struct l2x_config_network *w =
		    calloc(L2X_CONFIG_NETWORKS_MAX + 1, sizeof(*w));

		assert_non_null(w);
		assert_int_equal(l2x_dp_nets_set(&dp, w,
						 L2X_CONFIG_NETWORKS_MAX + 1,
						 err, sizeof(err)),
				 ENOSPC);
		assert_string_equal(err, "too many networks (at most 4094)");
		snap_same(&sn, 100);
		free(w);
	}
	/* a short err buffer: cut, terminated */
	{
		struct l2x_config_network w[4];

		running(w);
		w[3] = cases[0].extra;
		memset(err, 'x', sizeof(err));
		assert_int_equal(l2x_dp_nets_set(&dp, w, 4, err, 8), EEXIST);
		assert_string_equal(err, "network");
		assert_int_equal(err[8], 'x');
		snap_same(&sn, 101);
	}
	check_set();
	assert_true(has_mac(web, 1));
	snap_free(&sn);
}

/* 4094 networks (every VLAN), tunnel ids chosen to collide in tid2net
 * and to wrap around its end; the 4095th refused. */
static void test_full_set_and_collisions(void **state)
{
	const uint32_t last = L2X_DP_TID_SLOTS - 1;
	struct l2x_config_network *w =
	    calloc(L2X_CONFIG_NETWORKS_MAX + 1, sizeof(*w));
	uint32_t n = 0, at_last = 0, at_0 = 0, wrapped = 0, displaced = 0;
	uint32_t unknown_last = 0;
	char err[256];

	(void)state;
	assert_non_null(w);
	for (uint32_t t = 1; n < L2X_CONFIG_NETWORKS_MAX; t++) {
		uint16_t h = tid_home(t);
		bool take;

		if (h == last)
			take = at_last++ < 6;
		else if (h == 0)
			take = at_0++ < 4;
		else
			take = t > 100000 && (t % 7919) == 0;
		if (h == last && !take && unknown_last == 0)
			unknown_last = t;
		if (!take)
			continue;
		w[n] = netw("", (uint16_t)(n + 1), t, 8);
		snprintf(w[n].name, sizeof(w[n].name), "n%u", n);
		n++;
	}
	assert_int_not_equal(unknown_last, 0);
	assert_int_equal(l2x_dp_nets_set(&dp, w, n, err, sizeof(err)), 0);
	check_set();
	assert_int_equal(dp.nets->n, L2X_CONFIG_NETWORKS_MAX);
	for (uint32_t t = 0; t < L2X_DP_TID_SLOTS; t++) {
		uint16_t i = dp.nets->tid2net[t].net;

		if (i == L2X_DP_NO_NET)
			continue;
		displaced += tid_home(dp.nets->tid2net[t].tid) != t;
		wrapped +=
		    tid_home(dp.nets->tid2net[t].tid) == last && t < last;
	}
	assert_true(displaced >= 8);
	assert_true(wrapped >= 5);
	assert_int_equal(tid_lookup(dp.nets, unknown_last), L2X_DP_NO_NET);
	/* every VLAN is taken: none maps nowhere but 0 and 4095 */
	for (uint32_t v = 1; v <= 4094; v++)
		L2X_CHECK(dp.nets->vlan2net[v] != L2X_DP_NO_NET, "vlan %u", v);

	/* NET_ADD of a 4095th */
	{
		struct l2x_ctl_net_add a = {
		    .name = "one-more", .vlan = 4000, .tunnel_id = 0xfffffff0u};
		struct snap sn;

		snap_take(&sn);
		assert_int_equal(l2x_ctl_net_add(&dp, &a, err, sizeof(err)),
				 ENOSPC);
		assert_string_equal(err, "too many networks (at most 4094)");
		snap_same(&sn, 0);
		snap_free(&sn);
		/* the head of the wrapped chain goes, the rest stays found */
		{
			struct l2x_ctl_net_del d = {.name = ""};
			uint32_t i = 0;

			while (dp.nets->net[i] == NULL ||
			       tid_home(dp.nets->net[i]->tunnel_id) != last)
				i++;
			snprintf(d.name, sizeof(d.name), "%s",
				 dp.nets->net[i]->name);
			a.vlan = dp.nets->net[i]->vlan; /* the one free now */
			assert_int_equal(
			    l2x_ctl_net_del(&dp, &d, err, sizeof(err)), 0);
			assert_null(net_named(d.name));
		}
		check_set();
		assert_int_equal(dp.nets->n, L2X_CONFIG_NETWORKS_MAX - 1);
		assert_int_equal(l2x_ctl_net_add(&dp, &a, err, sizeof(err)), 0);
		check_set();
	}
	free(w);
}

/* 4094 networks with MACs: one more and one less touch no other network
 * (same entry, slot and MACs); a removed network's MACs are gone before
 * its slot serves the next one; one reload that changes every network
 * replaces them all (8188 slots in use at the switch). */
static void test_4094_networks(void **state)
{
	const uint32_t max = L2X_CONFIG_NETWORKS_MAX;
	struct l2x_config_network *w = calloc(max, sizeof(*w));
	struct l2x_dp_net **was = calloc(max, sizeof(*was));
	struct l2x_dp_net *gone;
	char err[256];
	uint16_t freed;

	(void)state;
	assert_non_null(w);
	assert_non_null(was);
	for (uint32_t i = 0; i < max; i++) {
		w[i] = netw("", (uint16_t)(i + 1), 100000 + i, 4);
		snprintf(w[i].name, sizeof(w[i].name), "vlan%u", i + 1);
	}
	/* from none: slots 0..4093 in the list's order */
	assert_int_equal(l2x_dp_nets_set(&dp, w, 0, err, sizeof(err)), 0);
	assert_int_equal(l2x_dp_nets_set(&dp, w, max, err, sizeof(err)), 0);
	check_set();
	for (uint32_t i = 0; i < max; i++) {
		was[i] = net_named(w[i].name);
		assert_non_null(was[i]);
		add_mac(was[i], i); /* one MAC each, as its own */
	}
	/* one less: vlan2047's MACs go, the others' stay */
	gone = was[2046];
	freed = gone->slot;
	assert_int_equal(freed, 2046);
	learn(gone, 0x200000, 3, 1000);
	assert_int_equal(fdb_stats(gone).entries, 4);
	assert_int_equal(l2x_dp_net_del(&dp, "vlan2047", 0, err, sizeof(err)),
			 0);
	check_set();
	assert_int_equal(net_stats(freed).entries, 0);
	/* one more, on the free VLAN: the lowest free slot, vlan2047's,
	 * empty */
	assert_int_equal(
	    l2x_ctl_net_add(&dp,
			    &(struct l2x_ctl_net_add){
				.name = "again", .vlan = 2047, .tunnel_id = 99},
			    err, sizeof(err)),
	    0);
	check_set();
	assert_int_equal(net_named("again")->slot, freed);
	assert_false(has_mac(net_named("again"), 2046));
	assert_int_equal(dp.nets->vlan2net[2047], freed);
	for (uint32_t i = 0; i < max; i++) {
		if (i == 2046)
			continue;
		L2X_CHECK(net_named(w[i].name) == was[i] &&
			      was[i]->slot == dp.nets->vlan2net[i + 1] &&
			      has_mac(was[i], i) &&
			      fdb_stats(was[i]).entries == 1,
			  "network %s changed", w[i].name);
	}
	/* every network changed at once: all replaced, slots for each */
	for (uint32_t i = 0; i < max; i++)
		w[i].tunnel_id += 10000;
	assert_int_equal(l2x_dp_nets_set(&dp, w, max, err, sizeof(err)), 0);
	check_set();
	assert_int_equal(dp.nets->n, max);
	for (uint32_t i = 0; i < max; i++)
		L2X_CHECK(fdb_stats(net_named(w[i].name)).entries == 0 &&
			      tid_lookup(dp.nets, 110000 + i) ==
				  net_named(w[i].name)->slot,
			  "network %s", w[i].name);
	free(was);
	free(w);
}

static void test_vxlan_vni(void **state)
{
	struct l2x_config_network w[4];
	struct snap sn;
	char err[256];

	(void)state;
	write_cfg(&(struct subst){"encap: gre", "encap: vxlan"}, 1, 0);
	dp_down(NULL);
	dp_up();
	for (uint32_t i = 0; i < dp.nets->n; i++) {
		assert_int_equal(dp.nets->net[i]->inner.encap, L2X_ENCAP_VXLAN);
		assert_int_equal(dp.nets->net[i]->inner.hdr_len,
				 L2X_INNER_VXLAN_LEN);
	}
	snap_take(&sn);
	running(w);
	w[3] = netw("big", 400, L2X_VXLAN_VNI_MAX + 1, 8);
	assert_int_equal(l2x_dp_nets_set(&dp, w, 4, err, sizeof(err)), EINVAL);
	assert_string_equal(err, "network big: tunnel_id 16777216 is above "
				 "the VXLAN VNI range (16777215)");
	snap_same(&sn, 0);
	{
		struct l2x_ctl_net_add a = {
		    .name = "big", .vlan = 400, .tunnel_id = UINT32_MAX};

		assert_int_equal(l2x_ctl_net_add(&dp, &a, err, sizeof(err)),
				 EINVAL);
		assert_string_equal(err,
				    "network big: tunnel_id 4294967295 is "
				    "above the VXLAN VNI range (16777215)");
		snap_same(&sn, 1);
		a.tunnel_id = L2X_VXLAN_VNI_MAX; /* the largest VNI */
		assert_int_equal(l2x_ctl_net_add(&dp, &a, err, sizeof(err)), 0);
	}
	snap_free(&sn);
	check_set();
	assert_int_equal(net_named("big")->inner.tunnel_id, L2X_VXLAN_VNI_MAX);
	assert_int_equal(tid_lookup(dp.nets, L2X_VXLAN_VNI_MAX), 3);

	/* GRE keys have 32 bits */
	write_cfg(NULL, 0, 0);
	dp_down(NULL);
	dp_up();
	running(w);
	w[3] = netw("big", 400, UINT32_MAX, 8);
	assert_int_equal(l2x_dp_nets_set(&dp, w, 4, err, sizeof(err)), 0);
	check_set();
	assert_int_equal(tid_lookup(dp.nets, UINT32_MAX), 3);
}

/* ---- SHOW and SHOW_PAGE -------------------------------------------------- */

/* One answer's JSON: its rows (a new reference) and its "next" (-1 when
 * it has none). */
static json_t *show_json(struct l2x_json *j, int64_t *next)
{
	json_error_t je;
	json_t *root = json_loadb(j->p, j->len, 0, &je), *rows, *nx;

	if (root == NULL)
		fail_msg("not JSON: %s", je.text);
	assert_false(j->oom);
	rows = json_incref(json_object_get(root, "rows"));
	assert_true(json_is_array(rows));
	nx = json_object_get(root, "next");
	*next = nx ? json_integer_value(nx) : -1;
	assert_true(nx == NULL || json_is_integer(nx));
	json_decref(root);
	free(j->p);
	memset(j, 0, sizeof(*j));
	return rows;
}

/* Every page of a table, max_rows a page: the rows joined (a new
 * reference); *pages receives how many. */
static json_t *all_pages(enum l2x_ctl_show what, const char *net,
			 uint16_t max_rows, unsigned int *pages)
{
	struct l2x_ctl_show_page q = {.what = what, .max_rows = max_rows};
	json_t *all = json_array();
	int64_t next = 0;

	snprintf(q.network, sizeof(q.network), "%s", net);
	*pages = 0;
	do {
		struct l2x_json j = {0};
		char err[256];
		json_t *rows;

		q.cursor = (uint32_t)next;
		assert_int_equal(
		    l2x_ctl_show_page(&dp, &q, &j, err, sizeof(err)), 0);
		rows = show_json(&j, &next);
		L2X_CHECK(json_array_size(rows) <= max_rows,
			  "page %u: %zu rows", *pages, json_array_size(rows));
		json_array_extend(all, rows);
		json_decref(rows);
		(*pages)++;
		assert_true(*pages < 100000);
	} while (next >= 0);
	return all;
}

/* 4094 networks and 6094 MACs, shown whole and a page at a time: each
 * row once, the pages as large as asked, the last without "next". */
static void test_show_pages(void **state)
{
	const uint32_t max = L2X_CONFIG_NETWORKS_MAX;
	struct l2x_config_network *w = calloc(max, sizeof(*w));
	uint8_t *seen = calloc(max + 2000, 1);
	struct l2x_ctl_show_req whole = {.what = L2X_CTL_SHOW_NETWORKS};
	struct l2x_json j = {0};
	unsigned int pages;
	json_t *rows, *row;
	int64_t next;
	size_t i;
	char err[256];

	(void)state;
	assert_non_null(w);
	assert_non_null(seen);
	for (uint32_t k = 0; k < max; k++) {
		w[k] = netw("", (uint16_t)(k + 1), 200000 + k, 4096);
		snprintf(w[k].name, sizeof(w[k].name), "vlan%u", k + 1);
	}
	assert_int_equal(l2x_dp_nets_set(&dp, w, max, err, sizeof(err)), 0);
	for (uint32_t k = 0; k < max; k++)
		add_mac(net_named(w[k].name), k);
	for (uint32_t k = 0; k < 2000; k++)
		add_mac(net_named("vlan1"), max + k);

	/* SHOW networks: every one, no next */
	assert_int_equal(l2x_ctl_show(&dp, &whole, &j, err, sizeof(err)), 0);
	rows = show_json(&j, &next);
	assert_int_equal(json_array_size(rows), max);
	assert_int_equal(next, -1);
	json_decref(rows);

	/* pages of 1000 networks: five, each network once, its MACs */
	rows = all_pages(L2X_CTL_SHOW_NETWORKS, "", 1000, &pages);
	assert_int_equal(pages, 5);
	assert_int_equal(json_array_size(rows), max);
	json_array_foreach(rows, i, row)
	{
		const char *name =
		    json_string_value(json_object_get(row, "network"));
		unsigned v = 0;

		assert_non_null(name);
		assert_int_equal(sscanf(name, "vlan%u", &v), 1);
		L2X_CHECK(v >= 1 && v <= max && !seen[v - 1], "row %zu: %s", i,
			  name);
		seen[v - 1] = 1;
		L2X_CHECK(json_integer_value(json_object_get(row, "macs")) ==
			      (v == 1 ? 2001 : 1),
			  "%s: macs", name);
	}
	json_decref(rows);

	/* pages of 1024 MACs of every network: each once, in its network */
	memset(seen, 0, max + 2000);
	rows = all_pages(L2X_CTL_SHOW_MACS, "", 1024, &pages);
	assert_int_equal(json_array_size(rows), max + 2000);
	assert_true(pages >= 6);
	json_array_foreach(rows, i, row)
	{
		const char *mac =
		    json_string_value(json_object_get(row, "mac"));
		const char *net =
		    json_string_value(json_object_get(row, "network"));
		unsigned b[6], v = 0;
		uint32_t k;
		char want[32];

		assert_non_null(mac);
		assert_non_null(net);
		assert_int_equal(sscanf(mac, "%x:%x:%x:%x:%x:%x", &b[0], &b[1],
					&b[2], &b[3], &b[4], &b[5]),
				 6);
		k = b[2] << 24 | b[3] << 16 | b[4] << 8 | b[5];
		L2X_CHECK(k < max + 2000 && !seen[k], "row %zu: %s", i, mac);
		seen[k] = 1;
		v = k < max ? k + 1 : 1;
		snprintf(want, sizeof(want), "vlan%u", v);
		L2X_CHECK(strcmp(net, want) == 0, "%s in %s, not %s", mac, net,
			  want);
	}
	json_decref(rows);

	/* one network's: its 2001, others' skipped; one with a single MAC */
	rows = all_pages(L2X_CTL_SHOW_MACS, "vlan1", 1024, &pages);
	assert_int_equal(json_array_size(rows), 2001);
	json_decref(rows);
	rows = all_pages(L2X_CTL_SHOW_MACS, "vlan4094", 1, &pages);
	assert_int_equal(json_array_size(rows), 1);
	json_decref(rows);

	/* refusals */
	{
		struct l2x_ctl_show_page q = {.what = L2X_CTL_SHOW_MACS,
					      .network = "nope",
					      .max_rows = 10};

		assert_int_equal(
		    l2x_ctl_show_page(&dp, &q, &j, err, sizeof(err)), ENOENT);
		assert_string_equal(err,
				    "network: no extended network named nope");
		free(j.p);
		memset(&j, 0, sizeof(j));
		q.what = L2X_CTL_SHOW_TUNNELS;
		q.network[0] = '\0';
		assert_int_equal(
		    l2x_ctl_show_page(&dp, &q, &j, err, sizeof(err)), EINVAL);
		assert_string_equal(err, "what: tunnels is not shown in pages");
		free(j.p);
	}
	free(seen);
	free(w);
}

/* ---- NET_ADD, NET_DEL --------------------------------------------------- */

static void test_net_add(void **state)
{
	struct l2x_ctl_net_add a = {.name = "voice",
				    .vlan = 400,
				    .mss_clamp = 1300,
				    .tunnel_id = 5004,
				    .gw_addr = IP4(198, 19, 40, 1),
				    .gw_prefix = 24,
				    .gw_side = L2X_CTL_GW_REMOTE,
				    .mac_limit = 0};
	struct l2x_dp_net *web = net_named("web"), *db = net_named("db"),
			  *app = net_named("app"), *v;
	char err[256] = "";

	(void)state;
	add_mac(web, 1);
	assert_int_equal(l2x_ctl_net_add(&dp, &a, err, sizeof(err)), 0);
	check_set();
	assert_int_equal(dp.nets->n, 4);
	assert_ptr_equal(dp.nets->net[0], web);
	assert_ptr_equal(dp.nets->net[1], db);
	assert_ptr_equal(dp.nets->net[2], app);
	assert_true(has_mac(web, 1));
	v = dp.nets->net[3];
	assert_string_equal(v->name, "voice");
	assert_int_equal(v->vlan, 400);
	assert_int_equal(v->tunnel_id, 5004);
	assert_int_equal(dp.nets->vlan2net[400], 3);
	assert_int_equal(tid_lookup(dp.nets, 5004), 3);
	assert_int_equal(v->gw_ip, rte_cpu_to_be_32(IP4(198, 19, 40, 1)));
	assert_int_equal(v->gw_side, L2X_SIDE_TUNNEL);
	assert_int_equal(v->cfg.gateway.addr, IP4(198, 19, 40, 1));
	assert_int_equal(v->cfg.gateway.len, 24);
	assert_int_equal(v->cfg.gateway_side, L2X_CONFIG_GW_REMOTE);
	assert_true(v->clamp);
	assert_int_equal(v->mss.ipv4, 1300);
	assert_int_equal(v->mss.ipv6, 1280);
	/* mac_limit 0: bridge.mac_limit */
	assert_int_equal(v->cfg.mac_limit, 32);
	expect_mac_limit(v, 32);

	/* its own mac_limit, local gateway, clamp auto and off */
	{
		struct l2x_ctl_net_add b = {.name = "cam",
					    .vlan = 500,
					    .mss_clamp = L2X_CONFIG_MSS_AUTO,
					    .tunnel_id = 5005,
					    .gw_addr = IP4(198, 19, 50, 1),
					    .gw_prefix = 24,
					    .gw_side = L2X_CTL_GW_LOCAL,
					    .mac_limit = 3};
		struct l2x_ctl_net_add c = {.name = "iot",
					    .vlan = 600,
					    .mss_clamp = L2X_CONFIG_MSS_OFF,
					    .tunnel_id = 5006};
		const struct l2x_dp_net *n;

		assert_int_equal(l2x_ctl_net_add(&dp, &b, err, sizeof(err)), 0);
		assert_int_equal(l2x_ctl_net_add(&dp, &c, err, sizeof(err)), 0);
		check_set();
		assert_ptr_equal(dp.nets->net[3], v);
		n = net_named("cam");
		assert_int_equal(n->gw_side, L2X_SIDE_LAN);
		assert_true(n->clamp);
		assert_int_equal(n->mss.ipv4, dp.plan.mss.ipv4);
		expect_mac_limit(n, 3);
		n = net_named("iot");
		assert_false(n->clamp);
		assert_int_equal(n->gw_ip, 0);
		assert_int_equal(n->cfg.mac_limit, 32);
	}

	/* refusals: nothing changes */
	{
		static const struct {
			struct l2x_ctl_net_add a;
			int rc;
			const char *err;
		} bad[] = {
		    {{.name = "web", .vlan = 700, .tunnel_id = 7000},
		     EEXIST,
		     "network web: same name as network web"},
		    {{.name = "x", .vlan = 200, .tunnel_id = 7000},
		     EEXIST,
		     "network x: same vlan as network db"},
		    {{.name = "x", .vlan = 700, .tunnel_id = 5004},
		     EEXIST,
		     "network x: same tunnel_id as network voice"},
		    {{.name = "x", .vlan = 0, .tunnel_id = 7000},
		     EINVAL,
		     "network x: vlan 0 is not 1..4094"},
		    {{.name = "x",
		      .vlan = 700,
		      .tunnel_id = 7000,
		      .mac_limit = L2X_FDB_CAPACITY_MAX + 1},
		     EINVAL,
		     "network x: mac_limit 16777217 is not 1..16777216"},
		    /* name first, then VLAN, then tunnel id, of the first
		     * network (slot order) that collides */
		    {{.name = "app", .vlan = 100, .tunnel_id = 5004},
		     EEXIST,
		     "network app: same vlan as network web"},
		    {{.name = "app", .vlan = 700, .tunnel_id = 5001},
		     EEXIST,
		     "network app: same tunnel_id as network web"},
		    {{.name = "app", .vlan = 700, .tunnel_id = 7000},
		     EEXIST,
		     "network app: same name as network app"},
		};
		struct snap sn;

		snap_take(&sn);
		for (size_t i = 0; i < L2X_ARRAY_LEN(bad); i++) {
			int rc =
			    l2x_ctl_net_add(&dp, &bad[i].a, err, sizeof(err));

			L2X_CHECK(rc == bad[i].rc, "case %zu: rc %d", i, rc);
			L2X_CHECK(strcmp(err, bad[i].err) == 0,
				  "case %zu: err '%s'\n  want '%s'", i, err,
				  bad[i].err);
			snap_same(&sn, (int)i);
		}
		snap_free(&sn);
	}
}

static void test_net_del(void **state)
{
	struct l2x_dp_net *web = net_named("web"), *app = net_named("app");
	struct snap sn;
	char err[256] = "";

	(void)state;
	add_mac(web, 1);
	add_mac(app, 2);
	/* by name */
	assert_int_equal(
	    l2x_ctl_net_del(&dp, &(struct l2x_ctl_net_del){.name = "db"}, err,
			    sizeof(err)),
	    0);
	check_set();
	assert_int_equal(dp.nets->n, 2);
	assert_null(net_named("db"));
	assert_ptr_equal(net_named("web"), web);
	assert_ptr_equal(net_named("app"), app);
	assert_true(has_mac(web, 1) && has_mac(app, 2));
	assert_int_equal(dp.nets->vlan2net[200], L2X_DP_NO_NET);
	assert_int_equal(tid_lookup(dp.nets, 5002), L2X_DP_NO_NET);

	/* unknown name, unknown VLAN, the removed one again */
	snap_take(&sn);
	assert_int_equal(
	    l2x_ctl_net_del(&dp, &(struct l2x_ctl_net_del){.name = "nope"}, err,
			    sizeof(err)),
	    ENOENT);
	assert_string_equal(err, "network: no extended network named nope");
	assert_int_equal(
	    l2x_ctl_net_del(&dp, &(struct l2x_ctl_net_del){.name = "db"}, err,
			    sizeof(err)),
	    ENOENT);
	assert_string_equal(err, "network: no extended network named db");
	assert_int_equal(l2x_ctl_net_del(&dp,
					 &(struct l2x_ctl_net_del){.vlan = 200},
					 err, sizeof(err)),
			 ENOENT);
	assert_string_equal(err, "vlan: VLAN 200 is not extended");
	assert_int_equal(
	    l2x_ctl_net_del(&dp, &(struct l2x_ctl_net_del){.vlan = 4094}, err,
			    sizeof(err)),
	    ENOENT);
	assert_string_equal(err, "vlan: VLAN 4094 is not extended");
	snap_same(&sn, 0);
	snap_free(&sn);

	/* by VLAN */
	assert_int_equal(l2x_ctl_net_del(&dp,
					 &(struct l2x_ctl_net_del){.vlan = 100},
					 err, sizeof(err)),
			 0);
	check_set();
	assert_int_equal(dp.nets->n, 1);
	assert_ptr_equal(dp.nets->net[2], app);
	assert_true(has_mac(app, 2));
	assert_int_equal(dp.nets->vlan2net[300], 2);
	assert_int_equal(net_stats(0).entries, 0); /* web's MAC 1 */

	/* the last one: an empty set; then a network again */
	assert_int_equal(l2x_ctl_net_del(&dp,
					 &(struct l2x_ctl_net_del){.vlan = 300},
					 err, sizeof(err)),
			 0);
	check_set();
	assert_int_equal(dp.nets->n, 0);
	assert_int_equal(
	    l2x_ctl_net_del(&dp, &(struct l2x_ctl_net_del){.name = "app"}, err,
			    sizeof(err)),
	    ENOENT);
	assert_int_equal(
	    l2x_ctl_net_add(&dp,
			    &(struct l2x_ctl_net_add){
				.name = "app", .vlan = 300, .tunnel_id = 5003},
			    err, sizeof(err)),
	    0);
	check_set();
	assert_int_equal(dp.nets->n, 1);
	assert_int_equal(fdb_stats(dp.nets->net[0]).entries, 0);
}

/* ---- access mode -------------------------------------------------------- */

static void test_access_mode(void **state)
{
	const struct subst access[] = {
	    {"mode: trunk", "mode: access"}, {L_DB, ""}, {L_APP, ""}};
	struct l2x_config_network w[2];
	struct l2x_dp_net *web;
	struct snap sn;
	char err[256];

	(void)state;
	write_cfg(access, L2X_ARRAY_LEN(access), 0);
	dp_down(NULL);
	dp_up();
	assert_false(dp.trunk);
	assert_int_equal(dp.nets->n, 1);
	web = dp.nets->net[0];
	add_mac(web, 1);

	snap_take(&sn);
	running(w);
	w[1] = netw("x", 400, 6000, 8);
	assert_int_equal(l2x_dp_nets_set(&dp, w, 2, err, sizeof(err)), ENOSPC);
	assert_string_equal(err,
			    "the LAN port is in access mode: one network only");
	snap_same(&sn, 0);
	assert_int_equal(
	    l2x_ctl_net_add(&dp,
			    &(struct l2x_ctl_net_add){
				.name = "x", .vlan = 400, .tunnel_id = 6000},
			    err, sizeof(err)),
	    ENOSPC);
	assert_string_equal(err,
			    "the LAN port is in access mode: one network only");
	snap_same(&sn, 1);
	/* untagged on the wire, but its configured VLAN still names it */
	assert_int_equal(l2x_ctl_net_del(&dp,
					 &(struct l2x_ctl_net_del){.vlan = 200},
					 err, sizeof(err)),
			 ENOENT);
	assert_string_equal(err, "vlan: VLAN 200 is not extended");
	snap_same(&sn, 2);
	snap_free(&sn);

	/* the one network may change (kept MACs are not expected) */
	running(w);
	w[0].tunnel_id = 6001;
	assert_int_equal(l2x_dp_nets_set(&dp, w, 1, err, sizeof(err)), 0);
	check_set();
	assert_int_equal(dp.nets->n, 1);
	assert_int_equal(net_named("web")->tunnel_id, 6001);
	assert_int_equal(dp.nets->access, net_named("web")->slot);

	/* by name, then NET_ADD: the VLAN is not used (0), any is taken */
	assert_int_equal(
	    l2x_ctl_net_del(&dp, &(struct l2x_ctl_net_del){.name = "web"}, err,
			    sizeof(err)),
	    0);
	check_set();
	assert_int_equal(dp.nets->n, 0);
	assert_int_equal(
	    l2x_ctl_net_add(&dp,
			    &(struct l2x_ctl_net_add){
				.name = "lan", .vlan = 4095, .tunnel_id = 7000},
			    err, sizeof(err)),
	    0);
	check_set();
	assert_int_equal(dp.nets->n, 1);
	assert_int_equal(net_named("lan")->vlan, 4095); /* kept, unused */
	assert_int_equal(tid_lookup(dp.nets, 7000), net_named("lan")->slot);
	assert_int_equal(dp.nets->access, net_named("lan")->slot);
	assert_int_equal(
	    l2x_ctl_net_add(&dp,
			    &(struct l2x_ctl_net_add){
				.name = "lan2", .vlan = 0, .tunnel_id = 7001},
			    err, sizeof(err)),
	    ENOSPC);
}

/* ---- reload ------------------------------------------------------------- */

#define L_VOICE "  - { name: voice, vlan: 400, tunnel_id: 5004 }\n"

static void test_reload_good(void **state)
{
	const struct subst next[] = {
	    {L_BRIDGE, "bridge: { aging: 300, mac_limit: 48 }\n"},
	    {L_APP, L_VOICE}};
	struct l2x_dp_net *web = net_named("web"), *db = net_named("db");
	const struct l2x_config *old = dp.cfg;
	char err[L2X_CONFIG_ERR_LEN + 128] = "";

	(void)state;
	add_mac(web, 1);
	add_mac(db, 2);
	write_cfg(next, L2X_ARRAY_LEN(next), 0);
	assert_int_equal(l2x_dp_reload(&dp, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(dp.reloads, 1);
	assert_int_equal(dp.reloads_refused, 0);
	check_set();
	/* the new file is the running configuration */
	assert_true(dp.cfg != old);
	assert_int_equal(dp.cfg->bridge.mac_limit, 48);
	assert_int_equal(dp.cfg->n_networks, 3);
	assert_string_equal(dp.cfg->networks[2].name, "voice");
	assert_int_equal(dp.nets->n, 3);
	/* web has its own mac_limit: kept; db inherits bridge.mac_limit:
	 * replaced; app removed; voice created */
	assert_ptr_equal(dp.nets->net[0], web);
	assert_true(has_mac(web, 1));
	assert_true(net_named("db") != db);
	assert_null(dp.nets->net[1]);
	db = net_named("db");
	assert_int_equal(db->cfg.mac_limit, 48);
	assert_false(has_mac(db, 2));
	expect_mac_limit(db, 48);
	assert_null(net_named("app"));
	assert_int_equal(dp.nets->vlan2net[300], L2X_DP_NO_NET);
	assert_int_equal(tid_lookup(dp.nets, 5003), L2X_DP_NO_NET);
	assert_non_null(net_named("voice"));
	assert_int_equal(net_named("voice")->cfg.mac_limit, 48);
	assert_int_equal(net_named("voice")->cfg.line, 18);

	/* NET_ADD's default mac_limit is the reloaded bridge.mac_limit */
	assert_int_equal(
	    l2x_ctl_net_add(&dp,
			    &(struct l2x_ctl_net_add){.name = "extra",
						      .vlan = 500,
						      .tunnel_id = 5005},
			    err, sizeof(err)),
	    0);
	assert_int_equal(net_named("extra")->cfg.mac_limit, 48);

	/* the same file again: the file's networks stay, the one added at
	 * run time goes */
	{
		static const char *const names[] = {"web", "db", "voice"};
		struct l2x_dp_net *keep[3];

		for (int i = 0; i < 3; i++)
			keep[i] = net_named(names[i]);
		assert_int_equal(l2x_dp_reload(&dp, err, sizeof(err)), 0);
		check_set();
		assert_int_equal(dp.reloads, 2);
		assert_int_equal(dp.nets->n, 3);
		for (int i = 0; i < 3; i++)
			L2X_CHECK(net_named(names[i]) == keep[i],
				  "network %s replaced", names[i]);
		assert_null(net_named("extra"));
	}
}

/* A network NET_ADD made with the file's settings is the file's network:
 * a reload of the unchanged file keeps it and its MACs. */
static void test_reload_keeps_net_added(void **state)
{
	const struct l2x_ctl_net_add a = {.name = "app",
					  .vlan = 300,
					  .mss_clamp = 1360,
					  .tunnel_id = 5003,
					  .gw_addr = IP4(198, 19, 30, 1),
					  .gw_prefix = 24,
					  .gw_side = L2X_CTL_GW_REMOTE,
					  .mac_limit = 16};
	const struct l2x_ctl_net_add b = {.name = "db",
					  .vlan = 200,
					  .mss_clamp = L2X_CONFIG_MSS_OFF,
					  .tunnel_id = 5002};
	struct l2x_dp_net *keep[3];
	char err[L2X_CONFIG_ERR_LEN + 128];

	(void)state;
	assert_int_equal(
	    l2x_ctl_net_del(&dp, &(struct l2x_ctl_net_del){.name = "app"}, err,
			    sizeof(err)),
	    0);
	assert_int_equal(l2x_ctl_net_del(&dp,
					 &(struct l2x_ctl_net_del){.vlan = 200},
					 err, sizeof(err)),
			 0);
	assert_int_equal(l2x_ctl_net_add(&dp, &b, err, sizeof(err)), 0);
	assert_int_equal(l2x_ctl_net_add(&dp, &a, err, sizeof(err)), 0);
	check_set();
	for (int i = 0; i < 3; i++) {
		keep[i] = dp.nets->net[i];
		add_mac(keep[i], 10 + (uint32_t)i);
	}
	assert_string_equal(keep[1]->name, "db");
	assert_string_equal(keep[2]->name, "app");
	assert_int_equal(l2x_dp_reload(&dp, err, sizeof(err)), 0);
	check_set();
	for (int i = 0; i < 3; i++) {
		L2X_CHECK(net_named(keep[i]->name) == keep[i], "%s replaced",
			  keep[i]->name);
		L2X_CHECK(has_mac(keep[i], 10 + (uint32_t)i), "%s lost its MAC",
			  keep[i]->name);
	}
}

/* Refused: dp.cfg, the set and the networks as they were. */
struct cfg_snap {
	const struct l2x_config *ptr;
	struct l2x_config *copy;
	struct snap nets;
	uint64_t reloads, refused;
};

static void cfg_snap_take(struct cfg_snap *cs)
{
	cs->ptr = dp.cfg;
	cs->copy = malloc(sizeof(*cs->copy));
	assert_non_null(cs->copy);
	memcpy(cs->copy, dp.cfg, sizeof(*cs->copy));
	snap_take(&cs->nets);
	cs->reloads = dp.reloads;
	cs->refused = dp.reloads_refused;
}

static void cfg_snap_same(const struct cfg_snap *cs, int caseno)
{
	L2X_CHECK(dp.cfg == cs->ptr, "case %d: dp.cfg replaced", caseno);
	L2X_CHECK(memcmp(dp.cfg, cs->copy, sizeof(*cs->copy)) == 0,
		  "case %d: dp.cfg changed", caseno);
	snap_same(&cs->nets, caseno);
	L2X_CHECK(dp.reloads == cs->reloads, "case %d: reloads %llu", caseno,
		  (unsigned long long)dp.reloads);
	L2X_CHECK(dp.reloads_refused == cs->refused + 1,
		  "case %d: reloads_refused %llu, want %llu", caseno,
		  (unsigned long long)dp.reloads_refused,
		  (unsigned long long)cs->refused + 1);
}

static void cfg_snap_free(struct cfg_snap *cs)
{
	sodium_memzero(cs->copy, sizeof(*cs->copy)); /* static SA keys */
	free(cs->copy);
	snap_free(&cs->nets);
}

static void test_reload_bad_file(void **state)
{
	static const struct {
		struct subst s;
		const char *msg; /* after "reload refused: FILE" */
	} cases[] = {
	    /* YAML syntax: the flow mapping of db is not closed */
	    {{L_DB,
	      "  - { name: db, vlan: 200, tunnel_id: 5002, mss_clamp: off\n"},
	     ":18: yaml: did not find expected ',' or '}' (while parsing a "
	     "flow mapping at line 17)"},
	    /* valid YAML, invalid configuration */
	    {{L_DB, "  - { name: db, vlan: 100, tunnel_id: 5002 }\n"},
	     ":17: networks[1].vlan: 100 is already used by networks[0] "
	     "(web)"},
	    {{"mtu: 1500", "mtu: 99999"},
	     ":9: ports.uplink.mtu: 99999 is outside 576..9216"},
	};
	char err[L2X_CONFIG_ERR_LEN + 128], want[L2X_CONFIG_ERR_LEN + 128];
	struct cfg_snap cs;

	(void)state;
	for (size_t c = 0; c < L2X_ARRAY_LEN(cases); c++) {
		write_cfg(&cases[c].s, 1, (int)c);
		cfg_snap_take(&cs);
		assert_int_equal(l2x_dp_reload(&dp, err, sizeof(err)), EINVAL);
		snprintf(want, sizeof(want), "reload refused: %s%s", cfg_file,
			 cases[c].msg);
		L2X_CHECK(strcmp(err, want) == 0,
			  "case %zu: err '%s'\n  want '%s'", c, err, want);
		cfg_snap_same(&cs, (int)c);
		cfg_snap_free(&cs);
	}
	/* the file is gone */
	assert_int_equal(unlink(cfg_file), 0);
	cfg_snap_take(&cs);
	assert_int_equal(l2x_dp_reload(&dp, err, sizeof(err)), EINVAL);
	snprintf(want, sizeof(want),
		 "reload refused: %s: cannot read: No such file or directory",
		 cfg_file);
	assert_string_equal(err, want);
	cfg_snap_same(&cs, 100);
	cfg_snap_free(&cs);
	/* fixed again: it applies */
	write_cfg(&(struct subst){L_APP, ""}, 1, 0);
	assert_int_equal(l2x_dp_reload(&dp, err, sizeof(err)), 0);
	check_set();
	assert_int_equal(dp.nets->n, 2);
	assert_int_equal(dp.reloads, 1);
	assert_int_equal(dp.reloads_refused, L2X_ARRAY_LEN(cases) + 1);
}

static void test_reload_fixed_settings(void **state)
{
	static const struct {
		struct subst s;
		const char *what;
	} cases[] = {
	    {{"name: ne-a", "name: ne-b"}, "appliance.name"},
	    {{"workers: [1]", "workers: [2]"}, "dataplane.lcores"},
	    {{"workers: [1]", "workers: [1, 2]"}, "dataplane.lcores"},
	    {{"main: 0", "main: 3"}, "dataplane.lcores"},
	    {{"memory_mb: 256", "memory_mb: 512"}, "dataplane memory"},
	    {{"no_huge: true", "no_huge: false"}, "dataplane memory"},
	    {{"ne-a.sock", "ne-x.sock"}, "dataplane.control_socket"},
	    {{"iface=lan0", "iface=lan1"}, "ports.lan"},
	    {{"iface=wan0", "iface=wan1"}, "ports.uplink"},
	    {{"address: 198.18.1.2/24", "address: 198.18.1.3/24"},
	     "ports.uplink"},
	    {{"address: 198.18.1.2/24", "address: 198.18.1.2/23"},
	     "ports.uplink"},
	    {{"gateway: 198.18.1.1,", "gateway: 198.18.1.254,"},
	     "ports.uplink"},
	    {{"mtu: 1500", "mtu: 1400"}, "ports.uplink"},
	    {{"  address: 198.18.2.2\n", "  address: 198.18.2.3\n"},
	     "peer.address"},
	    {{"replay_window: 1024", "replay_window: 64"},
	     "peer.replay_window"},
	    {{"replay_window: 1024\n",
	      "replay_window: 1024\n  esp_proposals: chacha20poly1305\n"},
	     "peer.esp"},
	    {{"encap: gre", "encap: vxlan"}, "tunnel"},
	    {{"inner_local: 169.254.100.1", "inner_local: 169.254.100.3"},
	     "tunnel"},
	    {{"inner_remote: 169.254.100.2", "inner_remote: 169.254.100.3"},
	     "tunnel"},
	    {{"aging: 300", "aging: 600"}, "bridge.aging"},
	    {{"aging: 300", "aging: 300, mac_table_size: 2048"},
	     "bridge.mac_table_size"},
	    {{"key_file: sa-out.key", "key_file: sa-other.key"}, "static_sas"},
	    {{"spi: 0x1001", "spi: 0x1002"}, "static_sas"},
	    {{"alg: chacha20poly1305", "alg: aes256gcm16"}, "static_sas"},
	    {{L_SA_IN, L_SA_IN "  - { direction: in, spi: 0x2002, alg: "
			       "aes256gcm16, key_file: sa-other.key }\n"},
	     "static_sas"},
	};
	struct l2x_dp_net *web = net_named("web");
	char err[L2X_CONFIG_ERR_LEN + 128], want[L2X_CONFIG_ERR_LEN + 128];

	(void)state;
	add_mac(web, 1);
	for (size_t c = 0; c < L2X_ARRAY_LEN(cases); c++) {
		/* the same file also changes the networks: all or nothing */
		const struct subst s[] = {cases[c].s, {L_APP, L_VOICE}};
		struct cfg_snap cs;
		int rc;

		write_cfg(s, L2X_ARRAY_LEN(s), (int)c);
		cfg_snap_take(&cs);
		rc = l2x_dp_reload(&dp, err, sizeof(err));
		L2X_CHECK(rc == EINVAL, "case %zu (%s): rc %d: %s", c,
			  cases[c].what, rc, rc ? err : "");
		snprintf(want, sizeof(want),
			 "reload refused: %s: %s changed, which needs a "
			 "restart",
			 cfg_file, cases[c].what);
		L2X_CHECK(strcmp(err, want) == 0,
			  "case %zu: err '%s'\n  want '%s'", c, err, want);
		cfg_snap_same(&cs, (int)c);
		cfg_snap_free(&cs);
	}
	assert_int_equal(dp.reloads_refused, L2X_ARRAY_LEN(cases));
	assert_true(has_mac(web, 1));
	assert_non_null(net_named("app"));
	/* the static SA key changed in place, same path */
	put("sa-out.key", KEY_OTHER "\n", 0600);
	write_cfg(NULL, 0, 0);
	assert_int_equal(l2x_dp_reload(&dp, err, sizeof(err)), EINVAL);
	snprintf(want, sizeof(want),
		 "reload refused: %s: static_sas changed, which needs a "
		 "restart",
		 cfg_file);
	assert_string_equal(err, want);
	put("sa-out.key", KEY_OUT "\n", 0600);
	/* back to the running file plus the network change: applied */
	write_cfg(&(struct subst){L_APP, L_VOICE}, 1, 0);
	assert_int_equal(l2x_dp_reload(&dp, err, sizeof(err)), 0);
	check_set();
	assert_int_equal(dp.reloads, 1);
	assert_int_equal(dp.reloads_refused, L2X_ARRAY_LEN(cases) + 1);
	assert_ptr_equal(dp.nets->net[0], web);
	assert_non_null(net_named("voice"));
	assert_null(net_named("app"));
}

/* What a running dataplane does not use may change: the IKE settings
 * (l2x-ike's), a key file's path when its key is the same. */
static void test_reload_other_settings(void **state)
{
	static const struct subst cases[] = {
	    {"role: initiator", "role: responder"},
	    {"replay_window: 1024\n",
	     "replay_window: 1024\n  dpd_delay: 30\n  ike_lifetime: 7200\n"
	     "  local_id: ne-a\n"},
	    {"key_file: sa-out.key", "key_file: sa-same.key"},
	};
	struct l2x_dp_net *keep[3];
	char err[L2X_CONFIG_ERR_LEN + 128];

	(void)state;
	for (int i = 0; i < 3; i++)
		keep[i] = dp.nets->net[i];
	for (size_t c = 0; c < L2X_ARRAY_LEN(cases); c++) {
		int rc;

		write_cfg(&cases[c], 1, (int)c);
		rc = l2x_dp_reload(&dp, err, sizeof(err));
		L2X_CHECK(rc == 0, "case %zu: rc %d: %s", c, rc, err);
		L2X_CHECK(dp.reloads == c + 1, "case %zu: reloads %llu", c,
			  (unsigned long long)dp.reloads);
		check_set();
		for (int i = 0; i < 3; i++)
			L2X_CHECK(dp.nets->net[i] == keep[i],
				  "case %zu: network %d replaced", c, i);
	}
	assert_int_equal(dp.reloads_refused, 0);
	assert_int_equal(dp.cfg->peer.dpd_delay, 10); /* the last file's */
	assert_string_equal(dp.cfg->static_sas[0].key_file + strlen(dir),
			    "/sa-same.key");
}

/* Access mode: a network deleted and added again by NET_ADD with the very
 * settings of the file is kept by a reload of the unchanged file, MACs
 * and all (the VLAN, unused on an access port, is still compared). */
static void test_access_readd_then_reload(void **state)
{
	const struct subst access[] = {
	    {"mode: trunk", "mode: access"}, {L_DB, ""}, {L_APP, ""}};
	struct l2x_ctl_net_add a = {.name = "web",
				    .vlan = 100,
				    .mss_clamp = L2X_CONFIG_MSS_AUTO,
				    .tunnel_id = 5001,
				    .gw_addr = IP4(198, 19, 100, 1),
				    .gw_prefix = 24,
				    .gw_side = L2X_CTL_GW_LOCAL,
				    .mac_limit = 64};
	struct l2x_dp_net *n;
	char err[L2X_CONFIG_ERR_LEN + 128];

	(void)state;
	write_cfg(access, L2X_ARRAY_LEN(access), 0);
	dp_down(NULL);
	dp_up();
	assert_int_equal(l2x_ctl_net_del(&dp,
					 &(struct l2x_ctl_net_del){.vlan = 100},
					 err, sizeof(err)),
			 0);
	assert_int_equal(l2x_ctl_net_add(&dp, &a, err, sizeof(err)), 0);
	n = dp.nets->net[0];
	add_mac(n, 1);
	assert_int_equal(l2x_dp_reload(&dp, err, sizeof(err)), 0);
	assert_ptr_equal(dp.nets->net[0], n); /* kept, with its MACs */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, base_up, dp_down)
	const struct CMUnitTest tests[] = {
	    T(test_initial_set),
	    T(test_replace_keeps_unchanged),
	    T(test_each_setting_replaces),
	    T(test_reorder_remove_add_empty),
	    T(test_refusals),
	    T(test_full_set_and_collisions),
	    T(test_4094_networks),
	    T(test_show_pages),
	    T(test_vxlan_vni),
	    T(test_net_add),
	    T(test_net_del),
	    T(test_access_mode),
	    T(test_access_readd_then_reload),
	    T(test_reload_good),
	    T(test_reload_keeps_net_added),
	    T(test_reload_bad_file),
	    T(test_reload_fixed_settings),
	    T(test_reload_other_settings),
	};
#undef T
	return cmocka_run_group_tests_name("dp_net", tests, group_up,
					   group_down);
}
