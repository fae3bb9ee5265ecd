/* SPDX-License-Identifier: MIT */
/*
 * dp_net.c - the extended networks at run time (dp.h): the network set
 * and its atomic replacement, NET_ADD / NET_DEL (ctl.h) and the
 * configuration reload (SIGHUP, CONFIG_RELOAD). Control thread only.
 *
 * Every change goes through one path, l2x_dp_nets_set(): the wanted list
 * of networks is checked as a whole, the new networks are created, a new
 * set is built and published with one atomic store, and what it no longer
 * holds is freed after an RCU QSBR grace period of the worker. A network
 * that is kept keeps its entry and its MAC table, so the others never
 * notice a change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <sodium.h>

#include "dataplane/ctl.h"
#include "dataplane/dp.h"

static uint32_t tid_slot(uint32_t tid)
{
	return (tid * 0x9e3779b1u) >> 22; /* L2X_DP_TID_SLOTS = 1024 */
}

static void net_free(struct l2x_dp_net *n)
{
	if (n == NULL)
		return;
	l2x_fdb_destroy(n->fdb);
	rte_free(n);
}

/* Two configured networks are the same when every setting is (the line
 * in the file is not a setting). */
static bool net_same(const struct l2x_config_network *a,
		     const struct l2x_config_network *b)
{
	return strcmp(a->name, b->name) == 0 && a->vlan == b->vlan &&
	       a->tunnel_id == b->tunnel_id &&
	       a->gateway.addr == b->gateway.addr &&
	       a->gateway.len == b->gateway.len &&
	       a->gateway_side == b->gateway_side &&
	       a->mss_clamp == b->mss_clamp && a->mac_limit == b->mac_limit &&
	       a->bum_pps == b->bum_pps;
}

static int net_create(struct l2x_dp *dp, const struct l2x_config_network *cn,
		      struct l2x_dp_net **out, char *err, size_t errlen)
{
	struct l2x_dp_net *n;
	char fname[L2X_FDB_NAME_MAX];
	int rc;

	n = rte_zmalloc("l2x_net", sizeof(*n), RTE_CACHE_LINE_SIZE);
	if (n == NULL) {
		snprintf(err, errlen, "network %s: out of memory", cn->name);
		return ENOMEM;
	}
	n->cfg = *cn;
	snprintf(n->name, sizeof(n->name), "%s", cn->name);
	n->vlan = cn->vlan;
	n->tunnel_id = cn->tunnel_id;
	if (cn->gateway.len != 0 && cn->gateway_side != L2X_CONFIG_GW_NONE) {
		n->gw_ip = rte_cpu_to_be_32(cn->gateway.addr);
		n->gw_side = cn->gateway_side == L2X_CONFIG_GW_LOCAL
				 ? L2X_SIDE_LAN
				 : L2X_SIDE_TUNNEL;
	}
	if (cn->mss_clamp == L2X_CONFIG_MSS_AUTO) {
		n->clamp = true;
		n->mss = dp->plan.mss;
	} else if (cn->mss_clamp != L2X_CONFIG_MSS_OFF) {
		n->clamp = true;
		n->mss.ipv4 = cn->mss_clamp;
		n->mss.ipv6 = (uint16_t)(cn->mss_clamp - 20);
	}
	for (unsigned int side = 0; side < RTE_DIM(n->bum); side++)
		(void)l2x_fdb_tb_init(
		    &n->bum[side], cn->bum_pps,
		    RTE_MAX(L2X_DP_BUM_BURST_MIN, cn->bum_pps / 20), dp->hz,
		    rte_get_tsc_cycles());
	rc = l2x_inner_tmpl_init(
	    &n->inner, (enum l2x_encap)dp->cfg->tunnel.encap, cn->tunnel_id,
	    dp->inner_local, dp->inner_remote);
	/* rte_hash names must be unique for the process' life */
	snprintf(fname, sizeof(fname), "l2xfdb%u", dp->net_serial++);
	if (rc == 0)
		rc = l2x_fdb_create(
		    &(struct l2x_fdb_prm){
			.name = fname,
			.capacity = RTE_MAX(cn->mac_limit,
					    (uint32_t)L2X_FDB_CAPACITY_MIN),
			.mac_limit = cn->mac_limit,
			.aging_s = dp->cfg->bridge.aging,
			.socket = SOCKET_ID_ANY,
			.qsbr = dp->qsbr,
		    },
		    &n->fdb);
	if (rc) {
		snprintf(err, errlen, "network %s: %s", cn->name,
			 strerror(-rc));
		rte_free(n);
		return -rc;
	}
	*out = n;
	return 0;
}

/* The checks that involve the whole set; each network's own fields were
 * checked by the configuration loader or the control codec. */
static int set_check(const struct l2x_dp *dp,
		     const struct l2x_config_network *w, uint32_t n, char *err,
		     size_t errlen)
{
	bool vxlan = dp->cfg->tunnel.encap == L2X_CONFIG_ENCAP_VXLAN;

	if (n > L2X_CONFIG_NETWORKS_MAX) {
		snprintf(err, errlen, "too many networks (at most %u)",
			 L2X_CONFIG_NETWORKS_MAX);
		return ENOSPC;
	}
	if (!dp->trunk && n > 1) {
		snprintf(err, errlen,
			 "the LAN port is in access mode: one network only");
		return ENOSPC;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (vxlan && w[i].tunnel_id > L2X_VXLAN_VNI_MAX) {
			snprintf(err, errlen,
				 "network %s: tunnel_id %u is above the "
				 "VXLAN VNI range (%u)",
				 w[i].name, w[i].tunnel_id, L2X_VXLAN_VNI_MAX);
			return EINVAL;
		}
		if (dp->trunk && (w[i].vlan < 1 || w[i].vlan > 4094)) {
			snprintf(err, errlen,
				 "network %s: vlan %u is not 1..4094",
				 w[i].name, w[i].vlan);
			return EINVAL;
		}
		for (uint32_t j = 0; j < i; j++) {
			const char *what = NULL;

			if (strcmp(w[i].name, w[j].name) == 0)
				what = "name";
			else if (dp->trunk && w[i].vlan == w[j].vlan)
				what = "vlan";
			else if (w[i].tunnel_id == w[j].tunnel_id)
				what = "tunnel_id";
			if (what) {
				snprintf(err, errlen,
					 "network %s: same %s as network %s",
					 w[i].name, what, w[j].name);
				return EEXIST;
			}
		}
	}
	return 0;
}

static void set_index(struct l2x_dp_nets *s)
{
	memset(s->vlan2net, 0xff, sizeof(s->vlan2net));
	for (uint32_t t = 0; t < L2X_DP_TID_SLOTS; t++)
		s->tid2net[t].net = L2X_DP_NO_NET;
	for (uint32_t i = 0; i < s->n; i++) {
		const struct l2x_dp_net *n = s->net[i];
		uint32_t t = tid_slot(n->tunnel_id);

		s->vlan2net[n->vlan & 0xfff] = (uint16_t)i;
		while (s->tid2net[t].net != L2X_DP_NO_NET)
			t = (t + 1) & (L2X_DP_TID_SLOTS - 1);
		s->tid2net[t].tid = n->tunnel_id;
		s->tid2net[t].net = (uint16_t)i;
	}
}

int l2x_dp_nets_set(struct l2x_dp *dp, const struct l2x_config_network *want,
		    uint32_t n, char *err, size_t errlen)
{
	struct l2x_dp_nets *cur = dp->nets, *s;
	bool kept[L2X_CONFIG_NETWORKS_MAX] = {false};
	int rc;

	rc = set_check(dp, want, n, err, errlen);
	if (rc)
		return rc;
	s = rte_zmalloc("l2x_nets", sizeof(*s), RTE_CACHE_LINE_SIZE);
	if (s == NULL) {
		snprintf(err, errlen, "network set: out of memory");
		return ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct l2x_dp_net *reuse = NULL;

		for (uint32_t j = 0; cur && j < cur->n; j++) {
			if (!kept[j] && net_same(&cur->net[j]->cfg, &want[i])) {
				kept[j] = true;
				reuse = cur->net[j];
				break;
			}
		}
		if (reuse == NULL) {
			rc = net_create(dp, &want[i], &reuse, err, errlen);
			if (rc)
				goto undo;
		}
		s->net[s->n++] = reuse;
	}
	set_index(s);
	__atomic_store_n(&dp->nets, s, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
	for (uint32_t j = 0; cur && j < cur->n; j++)
		if (!kept[j])
			net_free(cur->net[j]);
	rte_free(cur);
	return 0;
undo:
	/* s holds the kept ones (still cur's) and the new ones (freed) */
	for (uint32_t i = 0; i < s->n; i++) {
		bool old = false;

		for (uint32_t j = 0; cur && j < cur->n; j++)
			old |= cur->net[j] == s->net[i];
		if (!old)
			net_free(s->net[i]);
	}
	rte_free(s);
	return rc;
}

/* --- NET_ADD, NET_DEL ----------------------------------------------------*/

/* The running networks as configured, into w; returns how many. */
static uint32_t running(const struct l2x_dp *dp, struct l2x_config_network *w)
{
	const struct l2x_dp_nets *s = dp->nets;
	uint32_t n = s ? s->n : 0;

	for (uint32_t i = 0; i < n; i++)
		w[i] = s->net[i]->cfg;
	return n;
}

int l2x_ctl_net_add(struct l2x_dp *dp, const struct l2x_ctl_net_add *a,
		    char *err, size_t errlen)
{
	struct l2x_config_network w[L2X_CONFIG_NETWORKS_MAX + 1]; /* 17 KiB */
	uint32_t n = running(dp, w);
	struct l2x_config_network *cn = &w[n];

	memset(cn, 0, sizeof(*cn));
	snprintf(cn->name, sizeof(cn->name), "%s", a->name);
	cn->vlan = a->vlan; /* unused on an access port, but compared */
	cn->tunnel_id = a->tunnel_id;
	cn->gateway.addr = a->gw_addr;
	cn->gateway.len = a->gw_prefix;
	cn->gateway_side = (enum l2x_config_gw_side)a->gw_side;
	cn->mss_clamp = a->mss_clamp;
	cn->mac_limit = a->mac_limit ? a->mac_limit : dp->cfg->bridge.mac_limit;
	cn->bum_pps = dp->cfg->bridge.bum_pps; /* NET_ADD has no field */
	return l2x_dp_nets_set(dp, w, n + 1, err, errlen);
}

int l2x_ctl_net_del(struct l2x_dp *dp, const struct l2x_ctl_net_del *d,
		    char *err, size_t errlen)
{
	struct l2x_config_network w[L2X_CONFIG_NETWORKS_MAX];
	uint32_t n = running(dp, w);

	for (uint32_t i = 0; i < n; i++) {
		if (d->name[0] ? strcmp(w[i].name, d->name) != 0
			       : w[i].vlan != d->vlan)
			continue;
		w[i] = w[n - 1];
		return l2x_dp_nets_set(dp, w, n - 1, err, errlen);
	}
	if (d->name[0])
		snprintf(err, errlen, "network: no extended network named %s",
			 d->name);
	else
		snprintf(err, errlen, "vlan: VLAN %u is not extended", d->vlan);
	return ENOENT;
}

/* --- reload ----------------------------------------------------------------*/

/* The first setting outside the networks that a running dataplane cannot
 * change, or NULL when none differs. The peer's IKE settings belong to
 * l2x-ike and are not compared. */
static const char *fixed_diff(const struct l2x_config *a,
			      const struct l2x_config *b)
{
	const struct l2x_config_dataplane *da = &a->dataplane,
					  *db = &b->dataplane;
	const struct l2x_config_uplink *ua = &a->ports.uplink,
				       *ub = &b->ports.uplink;

	if (strcmp(a->appliance.name, b->appliance.name) != 0)
		return "appliance.name";
	if (da->lcores.main != db->lcores.main ||
	    da->lcores.n_workers != db->lcores.n_workers ||
	    memcmp(da->lcores.workers, db->lcores.workers,
		   sizeof(da->lcores.workers[0]) * da->lcores.n_workers) != 0)
		return "dataplane.lcores";
	if (da->memory_mb != db->memory_mb || da->no_huge != db->no_huge)
		return "dataplane memory";
	if (strcmp(da->control_socket, db->control_socket) != 0)
		return "dataplane.control_socket";
	if (strcmp(a->ports.lan.device, b->ports.lan.device) != 0 ||
	    a->ports.lan.mode != b->ports.lan.mode)
		return "ports.lan";
	if (strcmp(ua->device, ub->device) != 0 ||
	    ua->address.addr != ub->address.addr ||
	    ua->address.len != ub->address.len || ua->gateway != ub->gateway ||
	    ua->mtu != ub->mtu)
		return "ports.uplink";
	if (a->peer.address != b->peer.address)
		return "peer.address";
	if (a->peer.replay_window != b->peer.replay_window)
		return "peer.replay_window";
	if (a->peer.n_esp != b->peer.n_esp || a->peer.esp[0] != b->peer.esp[0])
		return "peer.esp";
	if (a->tunnel.encap != b->tunnel.encap ||
	    a->tunnel.inner_local != b->tunnel.inner_local ||
	    a->tunnel.inner_remote != b->tunnel.inner_remote)
		return "tunnel";
	if (a->bridge.aging != b->bridge.aging)
		return "bridge.aging";
	if (a->n_static_sas != b->n_static_sas)
		return "static_sas";
	for (uint32_t i = 0; i < a->n_static_sas; i++) {
		const struct l2x_config_static_sa *x = &a->static_sas[i],
						  *y = &b->static_sas[i];

		if (x->direction != y->direction || x->spi != y->spi ||
		    x->alg != y->alg ||
		    sodium_memcmp(x->key, y->key, sizeof(x->key)) != 0)
			return "static_sas";
	}
	return NULL;
}

int l2x_dp_reload(struct l2x_dp *dp, char *err, size_t errlen)
{
	struct l2x_config_err cerr;
	struct l2x_config *next;
	const char *what;
	char why[L2X_CONFIG_PATH_LEN + 96];
	int rc;

	next = calloc(1, sizeof(*next));
	if (next == NULL) {
		dp->reloads_refused++;
		snprintf(err, errlen, "reload refused: out of memory");
		return ENOMEM;
	}
	if (l2x_config_load(dp->cfg_path, next, &cerr) != 0) {
		dp->reloads_refused++;
		snprintf(err, errlen, "reload refused: %s", cerr.msg);
		free(next);
		return EINVAL;
	}
	what = fixed_diff(dp->cfg, next);
	if (what) {
		snprintf(why, sizeof(why),
			 "%s: %s changed, which needs a restart", dp->cfg_path,
			 what);
		rc = EINVAL;
	} else {
		rc = l2x_dp_nets_set(dp, next->networks, next->n_networks, why,
				     sizeof(why));
	}
	if (rc) {
		dp->reloads_refused++;
		snprintf(err, errlen, "reload refused: %s", why);
		l2x_config_free(next);
		free(next);
		return rc;
	}
	/* the new file is the running configuration now */
	l2x_config_free((struct l2x_config *)dp->cfg);
	free((void *)dp->cfg);
	dp->cfg = next;
	dp->reloads++;
	return 0;
}
