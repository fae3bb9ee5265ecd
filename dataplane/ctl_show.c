/* SPDX-License-Identifier: MIT */
/*
 * ctl_show.c - the JSON text of each SHOW table (control/json.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "dataplane/ctl.h"
#include "dataplane/dp.h"

static void kip(struct l2x_json *j, const char *k, rte_be32_t ip)
{
	char b[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ip, b, sizeof(b));
	l2x_json_kstr(j, k, b);
}

static void kmac(struct l2x_json *j, const char *k,
		 const struct rte_ether_addr *mac)
{
	char b[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(b, sizeof(b), mac);
	for (char *p = b; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	l2x_json_kstr(j, k, b);
}

static void mss_str(const struct l2x_dp_net *n, char *b, size_t len)
{
	if (!n->clamp)
		snprintf(b, len, "off");
	else
		snprintf(b, len, "%u", n->mss.ipv4);
}

/* Where a table's rows start and how many it may hold (SHOW: from 0, no
 * bound; SHOW_PAGE: the request's); where the next page starts. */
struct page {
	uint32_t cursor;   /* in: the first position to look at */
	uint32_t max_rows; /* in: rows at most */
	uint32_t rows;	   /* out: rows written */
	bool more;	   /* out: a next page follows ... */
	uint32_t next;	   /* ... at this position */
};

/* MAC table positions one page visits at most (a page of the MACs of
 * one small network does not scan 16 M positions at once); about 0.1 ms
 * of the control thread. */
#define SHOW_VISIT_MAX 65536u

/* The networks by slot, from the page's cursor (a slot). */
static void show_networks(struct l2x_dp *dp, struct l2x_json *j,
			  struct page *pg)
{
	for (uint32_t i = pg->cursor; i < L2X_DP_NET_SLOTS; i++) {
		const struct l2x_dp_net *n = dp->nets->net[i];
		struct l2x_fdb_net_stats s;
		char mss[16], gw[INET_ADDRSTRLEN + 16] = "-";

		if (n == NULL)
			continue;
		if (pg->rows == pg->max_rows) {
			pg->more = true;
			pg->next = i;
			return;
		}
		pg->rows++;
		l2x_fdb_net_stats(dp->fdb, n->slot, &s);
		mss_str(n, mss, sizeof(mss));
		l2x_json_row(j);
		l2x_json_kstr(j, "network", n->name);
		l2x_json_knum(j, "vlan", dp->trunk ? n->vlan : 0);
		l2x_json_knum(j, "tunnel_id", n->tunnel_id);
		l2x_json_kstr(
		    j, "encap",
		    l2x_config_encap_name(
			(enum l2x_config_encap)dp->cfg->tunnel.encap));
		l2x_json_kstr(j, "mss_clamp", mss);
		if (n->gw_ip) {
			char a[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &n->gw_ip, a, sizeof(a));
			snprintf(gw, sizeof(gw), "%s/%u", a,
				 n->cfg.gateway.len);
		}
		l2x_json_kstr(j, "gateway", gw);
		l2x_json_kstr(j, "gw_side",
			      n->gw_ip == 0		   ? "-"
			      : n->gw_side == L2X_SIDE_LAN ? "local"
							   : "remote");
		l2x_json_knum(j, "macs", s.entries);
		l2x_json_row_end(j);
	}
}

struct macs_ctx {
	struct l2x_json *j;
	const struct l2x_dp_nets *nets;
	struct page *pg;
};

/* One MAC's row; 1 (stop) once the page is full. */
static int mac_row(const struct l2x_fdb_info *in, void *arg)
{
	struct macs_ctx *x = arg;
	const struct l2x_dp_net *n =
	    in->net < L2X_DP_NET_SLOTS ? x->nets->net[in->net] : NULL;
	char fl[40] = "";

	if (in->flags & L2X_FDB_F_STATIC)
		strcat(fl, "static,");
	if (in->flags & L2X_FDB_F_GATEWAY)
		strcat(fl, "gateway,");
	if (in->flags & L2X_FDB_F_FLAPPING)
		strcat(fl, "flapping,");
	if (fl[0])
		fl[strlen(fl) - 1] = '\0';
	else
		strcpy(fl, "-");
	l2x_json_row(x->j);
	/* a network's MACs are flushed when it goes: n is there */
	l2x_json_kstr(x->j, "network", n ? n->name : "?");
	kmac(x->j, "mac", &in->mac);
	l2x_json_kstr(x->j, "side",
		      in->side == L2X_SIDE_LAN ? "lan" : "tunnel");
	l2x_json_kstr(x->j, "flags", fl);
	l2x_json_knum(x->j, "age_s", in->age_s);
	l2x_json_knum(x->j, "moves", in->moves);
	l2x_json_row_end(x->j);
	return ++x->pg->rows == x->pg->max_rows;
}

/* The MACs of one network or all, in table order from the page's cursor
 * (a table position). */
static int show_macs(struct l2x_dp *dp, const char *net, struct l2x_json *j,
		     struct page *pg, char *err, size_t errlen)
{
	struct macs_ctx x = {.j = j, .nets = dp->nets, .pg = pg};
	uint32_t nid = L2X_FDB_NET_ALL, pos = pg->cursor;
	bool paged = pg->max_rows != UINT32_MAX;

	if (net[0]) {
		const struct l2x_dp_net *n = l2x_dp_net_find(dp, net);

		if (n == NULL) {
			snprintf(err, errlen,
				 "network: no extended network named %s", net);
			return ENOENT;
		}
		nid = n->slot;
	}
	l2x_fdb_walk(dp->fdb, nid, l2x_dp_now_s(dp), &pos,
		     paged ? SHOW_VISIT_MAX : 0, mac_row, &x);
	if (pos < l2x_fdb_positions(dp->fdb)) {
		pg->more = true;
		pg->next = pos;
	}
	return 0;
}

static void sa_row(struct l2x_json *j, const struct l2x_sa *sa)
{
	struct l2x_sa_stats st;
	char spi[16];

	l2x_sa_query(sa, &st);
	snprintf(spi, sizeof(spi), "0x%08x", l2x_sa_spi(sa));
	l2x_json_row(j);
	l2x_json_kstr(j, "spi", spi);
	l2x_json_kstr(j, "dir", l2x_sa_dir(sa) == L2X_SA_IN ? "in" : "out");
	l2x_json_kstr(j, "alg", l2x_sa_alg_name(l2x_sa_alg(sa)));
	l2x_json_knum(j, "packets", st.packets);
	l2x_json_knum(j, "bytes", st.bytes);
	l2x_json_knum(j, "seq", st.seq);
	l2x_json_kstr(j, "state",
		      st.hard	? "expired"
		      : st.soft ? "rekey"
				: "installed");
	l2x_json_row_end(j);
}

static void show_sa(struct l2x_dp *dp, struct l2x_json *j)
{
	for (uint32_t i = 0; i < dp->n_sa_in; i++)
		sa_row(j, dp->sa_in[i]);
	if (dp->sa_out)
		sa_row(j, dp->sa_out);
}

static void show_tunnels(struct l2x_dp *dp, struct l2x_json *j)
{
	struct l2x_outer_peer p;

	l2x_outer_tmpl_get_peer(&dp->outer, &p);
	l2x_json_row(j);
	kip(j, "local", dp->local_ip);
	kip(j, "peer", p.ip);
	l2x_json_knum(j, "peer_port", p.port);
	kip(j, "next_hop", dp->nh_ip);
	kmac(j, "next_hop_mac", &p.mac);
	l2x_json_kstr(j, "state",
		      !dp->sa_out ? "no SA"
		      : __atomic_load_n(&dp->nh_ok, __ATOMIC_ACQUIRE)
			  ? "up"
			  : "no next hop");
	l2x_json_knum(j, "nat_updates", dp->nat_updates);
	l2x_json_row_end(j);
}

static void stat_row(struct l2x_json *j, const char *k, uint64_t v,
		     const char *text)
{
	l2x_json_row(j);
	l2x_json_kstr(j, "counter", k);
	l2x_json_knum(j, "value", v);
	l2x_json_kstr(j, "description", text);
	l2x_json_row_end(j);
}

/* The dataplane's DPDK memory: what its heaps hold (pool, MAC table,
 * networks, rings, reassembly) and their size (the EAL's -m). */
static void memory_rows(struct l2x_json *j)
{
	uint64_t used = 0, size = 0;

	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		struct rte_malloc_socket_stats ms;

		if (rte_malloc_get_socket_stats(s, &ms) != 0)
			continue;
		used += ms.heap_allocsz_bytes;
		size += ms.heap_totalsz_bytes;
	}
	stat_row(j, "memory.dpdk_used", used,
		 "bytes of DPDK memory in use (pool, MAC table, networks)");
	stat_row(j, "memory.dpdk_size", size, "bytes of DPDK memory in all");
}

static void show_stats(struct l2x_dp *dp, struct l2x_json *j)
{
	struct l2x_dp_stats st;
	struct l2x_fdb_stats sum = {0};

	l2x_dp_stats_sum(dp, &st);
	for (unsigned int i = 0; i < L2X_DP_CNT_MAX; i++) {
		l2x_json_row(j);
		l2x_json_kstr(j, "counter", l2x_dp_cnt_key[i]);
		l2x_json_knum(j, "value", st.cnt[i]);
		l2x_json_kstr(j, "description", l2x_dp_cnt_text[i]);
		l2x_json_row_end(j);
	}
	l2x_json_row(j);
	l2x_json_kstr(j, "counter", "reloads");
	l2x_json_knum(j, "value", dp->reloads);
	l2x_json_kstr(j, "description", "configuration reloads applied");
	l2x_json_row_end(j);
	l2x_json_row(j);
	l2x_json_kstr(j, "counter", "reloads_refused");
	l2x_json_knum(j, "value", dp->reloads_refused);
	l2x_json_kstr(j, "description", "configuration reloads refused");
	l2x_json_row_end(j);
	stat_row(j, "networks", dp->nets->n, "networks extended");
	memory_rows(j);
	/* one table for every network, and the worker's counters */
	l2x_fdb_stats(dp->fdb, &dp->fdb_lc, 1, &sum);
	for (size_t k = 0; k < L2X_FDB_STAT_COUNT; k++) {
		char name[64];
		const struct l2x_fdb_stat_desc *ds = &l2x_fdb_stat_desc[k];

		snprintf(name, sizeof(name), "fdb.%s", ds->key);
		l2x_json_row(j);
		l2x_json_kstr(j, "counter", name);
		l2x_json_knum(
		    j, "value",
		    *(const uint64_t *)((const char *)&sum + ds->offset));
		l2x_json_kstr(j, "description", ds->text);
		l2x_json_row_end(j);
	}
}

static void drop_row(struct l2x_json *j, const char *key, uint64_t n,
		     const char *text)
{
	if (n == 0)
		return;
	l2x_json_row(j);
	l2x_json_kstr(j, "reason", key);
	l2x_json_knum(j, "count", n);
	l2x_json_kstr(j, "description", text);
	l2x_json_row_end(j);
}

/* What a port lost before the worker saw it: its receive ring full
 * (imissed: the worker was late, or the host stalled it), no mbuf, a
 * receive error, a transmit error. The PMD counts these; the worker
 * cannot. */
static void port_drops(struct l2x_json *j, const char *name, uint16_t port,
		       int64_t afp_missed)
{
	struct rte_eth_stats es;
	char k[48];

	if (rte_eth_stats_get(port, &es) != 0)
		return;
	snprintf(k, sizeof(k), "port.%s.rx_missed", name);
	/* net_af_packet leaves imissed at 0: the kernel's count less the
	 * port's stands in (l2x_dp_afp_missed). */
	drop_row(j, k, afp_missed >= 0 ? (uint64_t)afp_missed : es.imissed,
		 "receive ring full: frame lost in the port");
	snprintf(k, sizeof(k), "port.%s.rx_nombuf", name);
	drop_row(j, k, es.rx_nombuf, "no mbuf for a received frame");
	snprintf(k, sizeof(k), "port.%s.rx_errors", name);
	drop_row(j, k, es.ierrors, "frames the port received in error");
	snprintf(k, sizeof(k), "port.%s.tx_errors", name);
	drop_row(j, k, es.oerrors, "frames the port failed to send");
}

static void show_drops(struct l2x_dp *dp, struct l2x_json *j)
{
	struct l2x_dp_stats st;

	l2x_dp_stats_sum(dp, &st);
	for (unsigned int i = 0; i < L2X_DP_D_MAX; i++)
		if (l2x_dp_drop_key[i] != NULL)
			drop_row(j, l2x_dp_drop_key[i], st.drop[i],
				 l2x_dp_drop_text[i]);
	if (dp->ports_up > 0)
		port_drops(j, "lan", dp->lan_port, l2x_dp_afp_missed(dp, 0));
	if (dp->ports_up > 1)
		port_drops(j, "uplink", dp->up_port, l2x_dp_afp_missed(dp, 1));
	if (dp->ports_up > 2)
		port_drops(j, "tap", dp->tap_port, -1);
}

/* "IPv4 20 + UDP 8 + ESP 8 + ...": the non-zero parts of the
 * overhead, in wire order (mtu.h l2x_foreach_mtu_part). */
static void mtu_parts(const struct l2x_mtu_overhead *oh, char *b, size_t len)
{
	size_t n = 0;

	b[0] = '\0';
#define L2X_X(field, label)                                           \
	if (oh->field && strcmp(#field, "frame_eth") != 0 && n < len) \
		n += (size_t)snprintf(b + n, len - n, "%s%s %u",      \
				      n ? " + " : "", label, oh->field);
	l2x_foreach_mtu_part(L2X_X)
#undef L2X_X
}

/* Per network: the largest frame that crosses without outer
 * fragmentation, the overhead and its parts, the MSS clamp in force. */
static void show_mtu(struct l2x_dp *dp, struct l2x_json *j)
{
	const struct l2x_mtu_plan *p = &dp->plan;
	char parts[512];

	mtu_parts(&p->oh, parts, sizeof(parts));
	for (uint32_t i = 0; i < L2X_DP_NET_SLOTS; i++) {
		const struct l2x_dp_net *n = dp->nets->net[i];

		if (n == NULL)
			continue;
		l2x_json_row(j);
		l2x_json_kstr(j, "network", n->name);
		l2x_json_knum(j, "uplink_mtu", p->mtu);
		l2x_json_knum(j, "max_frame", p->max_frame);
		l2x_json_knum(j, "overhead", p->oh.fixed + p->oh.esp_pad_max);
		l2x_json_knum(j, "mss_ipv4", n->clamp ? n->mss.ipv4 : 0);
		l2x_json_knum(j, "mss_ipv6", n->clamp ? n->mss.ipv6 : 0);
		l2x_json_kstr(j, "parts", parts);
		l2x_json_row_end(j);
	}
}

int l2x_ctl_show_page(struct l2x_dp *dp, const struct l2x_ctl_show_page *req,
		      struct l2x_json *j, char *err, size_t errlen)
{
	struct page pg = {.cursor = req->cursor, .max_rows = req->max_rows};
	int rc = 0;

	l2x_json_begin(j, l2x_ctlmsg_show_str(req->what));
	switch (req->what) {
	case L2X_CTL_SHOW_NETWORKS:
		show_networks(dp, j, &pg);
		break;
	case L2X_CTL_SHOW_MACS:
		rc = show_macs(dp, req->network, j, &pg, err, errlen);
		break;
	default:
		snprintf(err, errlen, "what: %s is not shown in pages",
			 l2x_ctlmsg_show_str(req->what));
		return EINVAL;
	}
	if (pg.more)
		l2x_json_end_next(j, pg.next);
	else
		l2x_json_end(j);
	return rc;
}

int l2x_ctl_show(struct l2x_dp *dp, const struct l2x_ctl_show_req *req,
		 struct l2x_json *j, char *err, size_t errlen)
{
	struct page all = {.max_rows = UINT32_MAX};
	int rc = 0;

	l2x_json_begin(j, l2x_ctlmsg_show_str(req->what));
	switch (req->what) {
	case L2X_CTL_SHOW_NETWORKS:
		show_networks(dp, j, &all);
		break;
	case L2X_CTL_SHOW_MACS:
		rc = show_macs(dp, req->network, j, &all, err, errlen);
		break;
	case L2X_CTL_SHOW_TUNNELS:
		show_tunnels(dp, j);
		break;
	case L2X_CTL_SHOW_SA:
		show_sa(dp, j);
		break;
	case L2X_CTL_SHOW_STATS:
		show_stats(dp, j);
		break;
	case L2X_CTL_SHOW_DROPS:
		show_drops(dp, j);
		break;
	case L2X_CTL_SHOW_MTU:
		show_mtu(dp, j);
		break;
	default:
		snprintf(err, errlen, "what: unknown table %d", req->what);
		return EINVAL;
	}
	l2x_json_end(j);
	return rc;
}
