/* SPDX-License-Identifier: MIT */
/*
 * dp_net.c - the extended networks at run time (dp.h): the network set
 * and its atomic replacement, NET_ADD / NET_DEL (ctl.h) and the
 * configuration reload (SIGHUP, CONFIG_RELOAD). Control thread only.
 *
 * Every change builds a new set and publishes it with one atomic store:
 * l2x_dp_nets_set() from a whole list (setup, reload), l2x_dp_net_add()
 * and _del() from the running set and one network (NET_ADD, NET_DEL).
 * What the new set no longer holds has its MACs flushed and is freed
 * after an RCU QSBR grace period of the worker. A network that is kept
 * keeps its entry, its slot and its MACs, so the others never notice a
 * change. Nothing here compares every network with every other: at 4094
 * networks that alone took longer than a change may (GitHub issue 10).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <sodium.h>

#include "control/netidx.h"
#include "dataplane/ctl.h"
#include "dataplane/dp.h"

/* The MAC table's clock (0 in tests that run without a TSC rate). */
static uint64_t now_s(const struct l2x_dp *dp)
{
	return dp->hz ? rte_get_tsc_cycles() / dp->hz : 0;
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

/* A new network at slot, with its MAC limit set in the one table. */
static int net_create(struct l2x_dp *dp, const struct l2x_config_network *cn,
		      uint16_t slot, struct l2x_dp_net **out, char *err,
		      size_t errlen)
{
	struct l2x_dp_net *n;
	int rc;

	n = rte_zmalloc("l2x_net", sizeof(*n), RTE_CACHE_LINE_SIZE);
	if (n == NULL) {
		snprintf(err, errlen, "network %s: out of memory", cn->name);
		return ENOMEM;
	}
	n->cfg = *cn;
	snprintf(n->name, sizeof(n->name), "%s", cn->name);
	n->vlan = cn->vlan;
	n->slot = slot;
	n->fkey = l2x_fdb_nkey(slot, NULL);
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
	if (rc == 0)
		rc = l2x_fdb_net_limit(dp->fdb, slot, cn->mac_limit);
	if (rc) {
		snprintf(err, errlen, "network %s: %s", cn->name,
			 strerror(-rc));
		rte_free(n);
		return -rc;
	}
	*out = n;
	return 0;
}

/* A network that no set holds any more (a grace period passed): its MACs
 * go, so that its slot can serve another network, then the entry. */
static void net_gone(struct l2x_dp *dp, struct l2x_dp_net *n)
{
	l2x_fdb_net_flush(dp->fdb, n->slot, now_s(dp));
	rte_free(n);
}

/* What one network must be, alone (each field's own range was checked by
 * the configuration loader or the control codec). */
static int net_check(const struct l2x_dp *dp,
		     const struct l2x_config_network *w, char *err,
		     size_t errlen)
{
	if (dp->cfg->tunnel.encap == L2X_CONFIG_ENCAP_VXLAN &&
	    w->tunnel_id > L2X_VXLAN_VNI_MAX) {
		snprintf(err, errlen,
			 "network %s: tunnel_id %u is above the VXLAN VNI "
			 "range (%u)",
			 w->name, w->tunnel_id, L2X_VXLAN_VNI_MAX);
		return EINVAL;
	}
	if (dp->trunk && (w->vlan < 1 || w->vlan > 4094)) {
		snprintf(err, errlen, "network %s: vlan %u is not 1..4094",
			 w->name, w->vlan);
		return EINVAL;
	}
	if (w->mac_limit < 1 || w->mac_limit > L2X_FDB_CAPACITY_MAX) {
		snprintf(err, errlen, "network %s: mac_limit %u is not 1..%u",
			 w->name, w->mac_limit, L2X_FDB_CAPACITY_MAX);
		return EINVAL;
	}
	return 0;
}

/* Room for n networks on this LAN port. */
static int count_check(const struct l2x_dp *dp, uint32_t n, char *err,
		       size_t errlen)
{
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
	return 0;
}

static int collide(const char *name, const char *what, const char *other,
		   char *err, size_t errlen)
{
	snprintf(err, errlen, "network %s: same %s as network %s", name, what,
		 other);
	return EEXIST;
}

/* The checks that involve the whole list: for each network in order, its
 * own values, then the first earlier network it collides with (by name,
 * VLAN on a trunk, or tunnel id). */
static int set_check(const struct l2x_dp *dp,
		     const struct l2x_config_network *w, uint32_t n, char *err,
		     size_t errlen)
{
	struct l2x_netidx *x = NULL;
	int rc = count_check(dp, n, err, errlen);

	if (rc == 0 && n > 0 && l2x_netidx_create(n, &x) != 0) {
		snprintf(err, errlen, "network set: out of memory");
		rc = ENOMEM;
	}
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		struct l2x_netidx_hit hit;
		const char *what;
		uint32_t j;

		rc = net_check(dp, &w[i], err, errlen);
		if (rc)
			break;
		(void)l2x_netidx_add(x, i, w[i].name, dp->trunk ? w[i].vlan : 0,
				     w[i].tunnel_id, &hit);
		what = l2x_netidx_first(&hit, &j);
		if (what)
			rc = collide(w[i].name, what, w[j].name, err, errlen);
	}
	l2x_netidx_destroy(x);
	return rc;
}

/* Fill the set's indexes and count from net[]. */
static void set_index(struct l2x_dp_nets *s)
{
	s->n = 0;
	s->access = L2X_DP_NO_NET;
	memset(s->vlan2net, 0xff, sizeof(s->vlan2net));
	for (uint32_t t = 0; t < L2X_DP_TID_SLOTS; t++)
		s->tid2net[t].net = L2X_DP_NO_NET;
	for (uint32_t i = 0; i < L2X_DP_NET_SLOTS; i++) {
		const struct l2x_dp_net *n = s->net[i];
		uint32_t t;

		if (n == NULL)
			continue;
		t = l2x_dp_tid_home(n->tunnel_id);
		s->vlan2net[n->vlan & 0xfff] = (uint16_t)i;
		while (s->tid2net[t].net != L2X_DP_NO_NET)
			t = (t + 1) & (L2X_DP_TID_SLOTS - 1);
		s->tid2net[t].tid = n->tunnel_id;
		s->tid2net[t].net = (uint16_t)i;
		if (s->access == L2X_DP_NO_NET)
			s->access = (uint16_t)i;
		s->n++;
	}
}

/* A new set holding cur's networks (none when cur is NULL). */
static struct l2x_dp_nets *set_copy(const struct l2x_dp_nets *cur, char *err,
				    size_t errlen)
{
	struct l2x_dp_nets *s =
	    rte_malloc("l2x_nets", sizeof(*s), RTE_CACHE_LINE_SIZE);

	if (s == NULL) {
		snprintf(err, errlen, "network set: out of memory");
		return NULL;
	}
	if (cur)
		memcpy(s->net, cur->net, sizeof(s->net));
	else
		memset(s->net, 0, sizeof(s->net));
	return s;
}

/* The lowest slot free in both cur and s, from *from on. */
static int free_slot(const struct l2x_dp_nets *cur, const struct l2x_dp_nets *s,
		     uint32_t *from, uint16_t *slot)
{
	for (uint32_t i = *from; i < L2X_DP_NET_SLOTS; i++) {
		if (s->net[i] == NULL && (cur == NULL || cur->net[i] == NULL)) {
			*slot = (uint16_t)i;
			*from = i + 1;
			return 0;
		}
	}
	return -ENOSPC; /* cannot happen: twice the most networks */
}

/* Publish s in place of the running set, wait until the worker no longer
 * sees the old one, then drop what only the old one held. */
static void publish(struct l2x_dp *dp, struct l2x_dp_nets *s)
{
	struct l2x_dp_nets *cur = dp->nets;

	set_index(s);
	__atomic_store_n(&dp->nets, s, __ATOMIC_RELEASE);
	if (cur == NULL)
		return;
	rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
	for (uint32_t i = 0; i < L2X_DP_NET_SLOTS; i++)
		if (cur->net[i] != NULL && s->net[i] != cur->net[i])
			net_gone(dp, cur->net[i]);
	rte_free(cur);
}

/* Undo a set that was never published: free the networks cur lacks. */
static void set_undo(struct l2x_dp *dp, const struct l2x_dp_nets *cur,
		     struct l2x_dp_nets *s)
{
	for (uint32_t i = 0; i < L2X_DP_NET_SLOTS; i++)
		if (s->net[i] != NULL &&
		    (cur == NULL || cur->net[i] != s->net[i]))
			net_gone(dp, s->net[i]);
	rte_free(s);
}

int l2x_dp_nets_set(struct l2x_dp *dp, const struct l2x_config_network *want,
		    uint32_t n, char *err, size_t errlen)
{
	const struct l2x_dp_nets *cur = dp->nets;
	struct l2x_netidx *x = NULL;
	struct l2x_dp_nets *s;
	uint32_t from = 0;
	int rc;

	rc = set_check(dp, want, n, err, errlen);
	if (rc)
		return rc;
	s = set_copy(NULL, err, errlen);
	if (s == NULL)
		return ENOMEM;
	/* the running networks by name */
	if (cur && cur->n > 0) {
		if (l2x_netidx_create(cur->n, &x) != 0) {
			rte_free(s);
			snprintf(err, errlen, "network set: out of memory");
			return ENOMEM;
		}
		for (uint32_t i = 0; i < L2X_DP_NET_SLOTS; i++)
			if (cur->net[i])
				(void)l2x_netidx_add(x, i, cur->net[i]->name, 0,
						     0, NULL);
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j =
		    x ? l2x_netidx_find_name(x, want[i].name) : L2X_NETIDX_NONE;
		uint16_t slot;

		if (j != L2X_NETIDX_NONE &&
		    net_same(&cur->net[j]->cfg, &want[i])) {
			s->net[j] = cur->net[j]; /* kept: entry, slot, MACs */
			continue;
		}
		rc = free_slot(cur, s, &from, &slot);
		if (rc == 0)
			rc = net_create(dp, &want[i], slot, &s->net[slot], err,
					errlen);
		else
			snprintf(err, errlen, "network %s: no free slot",
				 want[i].name);
		if (rc) {
			l2x_netidx_destroy(x);
			set_undo(dp, cur, s);
			return rc < 0 ? -rc : rc;
		}
	}
	l2x_netidx_destroy(x);
	publish(dp, s);
	return 0;
}

/* --- one network more or less --------------------------------------------*/

struct l2x_dp_net *l2x_dp_net_find(const struct l2x_dp *dp, const char *name)
{
	const struct l2x_dp_nets *s = dp->nets;

	for (uint32_t i = 0; s && i < L2X_DP_NET_SLOTS; i++)
		if (s->net[i] && strcmp(s->net[i]->name, name) == 0)
			return s->net[i];
	return NULL;
}

/* The first running network (in slot order, the set's list order) that
 * cn collides with, as set_check() would find it in the running list
 * followed by cn. */
static int add_collide(const struct l2x_dp *dp,
		       const struct l2x_config_network *cn, char *err,
		       size_t errlen)
{
	const struct l2x_dp_nets *s = dp->nets;
	const struct l2x_dp_net *byname = l2x_dp_net_find(dp, cn->name);
	uint32_t jn = byname ? byname->slot : L2X_NETIDX_NONE;
	uint32_t jv = L2X_NETIDX_NONE, jt = L2X_NETIDX_NONE, j;
	const char *what;

	if (s && dp->trunk && s->vlan2net[cn->vlan & 0xfff] != L2X_DP_NO_NET)
		jv = s->vlan2net[cn->vlan & 0xfff];
	if (s && l2x_dp_tid_lookup(s, cn->tunnel_id) != L2X_DP_NO_NET)
		jt = l2x_dp_tid_lookup(s, cn->tunnel_id);
	what = l2x_netidx_first(&(struct l2x_netidx_hit){jn, jv, jt}, &j);
	return what ? collide(cn->name, what, s->net[j]->name, err, errlen) : 0;
}

int l2x_dp_net_add(struct l2x_dp *dp, const struct l2x_config_network *cn,
		   char *err, size_t errlen)
{
	const struct l2x_dp_nets *cur = dp->nets;
	struct l2x_dp_nets *s;
	uint32_t from = 0;
	uint16_t slot;
	int rc;

	rc = count_check(dp, (cur ? cur->n : 0) + 1, err, errlen);
	if (rc == 0)
		rc = net_check(dp, cn, err, errlen);
	if (rc == 0)
		rc = add_collide(dp, cn, err, errlen);
	if (rc)
		return rc;
	s = set_copy(cur, err, errlen);
	if (s == NULL)
		return ENOMEM;
	if (free_slot(cur, s, &from, &slot) != 0) {
		rte_free(s);
		snprintf(err, errlen, "network %s: no free slot", cn->name);
		return ENOSPC;
	}
	rc = net_create(dp, cn, slot, &s->net[slot], err, errlen);
	if (rc) {
		rte_free(s);
		return rc;
	}
	publish(dp, s);
	return 0;
}

int l2x_dp_net_del(struct l2x_dp *dp, const char *name, uint16_t vlan,
		   char *err, size_t errlen)
{
	const struct l2x_dp_nets *cur = dp->nets;
	struct l2x_dp_nets *s;

	for (uint32_t i = 0; cur && i < L2X_DP_NET_SLOTS; i++) {
		const struct l2x_dp_net *n = cur->net[i];

		if (n == NULL || (name && name[0] ? strcmp(n->name, name) != 0
						  : n->cfg.vlan != vlan))
			continue;
		s = set_copy(cur, err, errlen);
		if (s == NULL)
			return ENOMEM;
		s->net[i] = NULL;
		publish(dp, s);
		return 0;
	}
	if (name && name[0])
		snprintf(err, errlen, "network: no extended network named %s",
			 name);
	else
		snprintf(err, errlen, "vlan: VLAN %u is not extended", vlan);
	return ENOENT;
}

void l2x_dp_nets_free(struct l2x_dp *dp)
{
	struct l2x_dp_nets *s = dp->nets;

	if (s == NULL)
		return;
	for (uint32_t i = 0; i < L2X_DP_NET_SLOTS; i++)
		rte_free(s->net[i]);
	rte_free(s);
	dp->nets = NULL;
}

/* --- NET_ADD, NET_DEL ----------------------------------------------------*/

int l2x_ctl_net_add(struct l2x_dp *dp, const struct l2x_ctl_net_add *a,
		    char *err, size_t errlen)
{
	struct l2x_config_network cn = {0};

	snprintf(cn.name, sizeof(cn.name), "%s", a->name);
	cn.vlan = a->vlan; /* unused on an access port, but compared */
	cn.tunnel_id = a->tunnel_id;
	cn.gateway.addr = a->gw_addr;
	cn.gateway.len = a->gw_prefix;
	cn.gateway_side = (enum l2x_config_gw_side)a->gw_side;
	cn.mss_clamp = a->mss_clamp;
	cn.mac_limit = a->mac_limit ? a->mac_limit : dp->cfg->bridge.mac_limit;
	cn.bum_pps = dp->cfg->bridge.bum_pps; /* NET_ADD has no field */
	return l2x_dp_net_add(dp, &cn, err, errlen);
}

int l2x_ctl_net_del(struct l2x_dp *dp, const struct l2x_ctl_net_del *d,
		    char *err, size_t errlen)
{
	return l2x_dp_net_del(dp, d->name, d->vlan, err, errlen);
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
	if (a->bridge.mac_table_size != b->bridge.mac_table_size)
		return "bridge.mac_table_size";
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
