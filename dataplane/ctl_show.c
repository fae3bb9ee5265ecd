/* SPDX-License-Identifier: MIT */
/*
 * ctl_show.c - the JSON text of each SHOW table (ctl.h has the shape).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "dataplane/ctl.h"
#include "dataplane/dp.h"

static void put(struct l2x_json *j, const char *s, size_t n)
{
	if (j->oom)
		return;
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 4096;
		char *p;

		while (cap < j->len + n + 1)
			cap *= 2;
		p = realloc(j->p, cap);
		if (p == NULL) {
			j->oom = 1;
			return;
		}
		j->p = p;
		j->cap = cap;
	}
	memcpy(j->p + j->len, s, n);
	j->len += n;
	j->p[j->len] = '\0';
}

static void puts_(struct l2x_json *j, const char *s)
{
	put(j, s, strlen(s));
}

/* A JSON string (RFC 8259 section 7): quote, backslash and controls
 * escaped. */
static void str(struct l2x_json *j, const char *s)
{
	put(j, "\"", 1);
	for (; *s; s++) {
		char e[8];
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			e[0] = '\\';
			e[1] = (char)ch;
			put(j, e, 2);
		} else if (ch < 0x20) {
			snprintf(e, sizeof(e), "\\u%04x", ch);
			put(j, e, 6);
		} else {
			put(j, s, 1);
		}
	}
	put(j, "\"", 1);
}

static void row_begin(struct l2x_json *j)
{
	puts_(j, j->first ? "\n  {" : ",\n  {");
	j->first = 0;
}

static void key(struct l2x_json *j, const char *k, int first)
{
	if (!first)
		puts_(j, ", ");
	str(j, k);
	puts_(j, ": ");
}

static void kstr(struct l2x_json *j, const char *k, const char *v, int first)
{
	key(j, k, first);
	str(j, v);
}

static void knum(struct l2x_json *j, const char *k, uint64_t v, int first)
{
	char b[24];

	key(j, k, first);
	snprintf(b, sizeof(b), "%" PRIu64, v);
	puts_(j, b);
}

static void kip(struct l2x_json *j, const char *k, rte_be32_t ip, int first)
{
	char b[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ip, b, sizeof(b));
	kstr(j, k, b, first);
}

static void kmac(struct l2x_json *j, const char *k,
		 const struct rte_ether_addr *mac, int first)
{
	char b[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(b, sizeof(b), mac);
	for (char *p = b; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	kstr(j, k, b, first);
}

static void mss_str(const struct l2x_dp_net *n, char *b, size_t len)
{
	if (!n->clamp)
		snprintf(b, len, "off");
	else
		snprintf(b, len, "%u", n->mss.ipv4);
}

static void show_networks(struct l2x_dp *dp, struct l2x_json *j)
{
	for (uint32_t i = 0; i < dp->nets->n; i++) {
		const struct l2x_dp_net *n = dp->nets->net[i];
		struct l2x_fdb_stats s;
		char mss[16], gw[INET_ADDRSTRLEN + 16] = "-";

		l2x_fdb_stats(n->fdb, NULL, 0, &s);
		mss_str(n, mss, sizeof(mss));
		row_begin(j);
		kstr(j, "network", n->name, 1);
		knum(j, "vlan", dp->trunk ? n->vlan : 0, 0);
		knum(j, "tunnel_id", n->tunnel_id, 0);
		kstr(j, "encap",
		     l2x_config_encap_name(
			 (enum l2x_config_encap)dp->cfg->tunnel.encap),
		     0);
		kstr(j, "mss_clamp", mss, 0);
		if (n->gw_ip) {
			char a[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &n->gw_ip, a, sizeof(a));
			snprintf(gw, sizeof(gw), "%s/%u", a,
				 n->cfg.gateway.len);
		}
		kstr(j, "gateway", gw, 0);
		kstr(j, "gw_side",
		     n->gw_ip == 0		  ? "-"
		     : n->gw_side == L2X_SIDE_LAN ? "local"
						  : "remote",
		     0);
		knum(j, "macs", s.entries, 0);
		puts_(j, "}");
	}
}

struct macs_ctx {
	struct l2x_json *j;
	const char *net;
};

static int mac_row(const struct l2x_fdb_info *in, void *arg)
{
	struct macs_ctx *x = arg;
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
	row_begin(x->j);
	kstr(x->j, "network", x->net, 1);
	kmac(x->j, "mac", &in->mac, 0);
	kstr(x->j, "side", in->side == L2X_SIDE_LAN ? "lan" : "tunnel", 0);
	kstr(x->j, "flags", fl, 0);
	knum(x->j, "age_s", in->age_s, 0);
	knum(x->j, "moves", in->moves, 0);
	puts_(x->j, "}");
	return 0;
}

static int show_macs(struct l2x_dp *dp, const char *net, struct l2x_json *j,
		     char *err, size_t errlen)
{
	uint64_t now_s = l2x_dp_now_s(dp);
	int found = 0;

	for (uint32_t i = 0; i < dp->nets->n; i++) {
		const struct l2x_dp_net *n = dp->nets->net[i];
		struct macs_ctx x = {.j = j, .net = n->name};

		if (net[0] && strcmp(net, n->name) != 0)
			continue;
		found = 1;
		l2x_fdb_walk(n->fdb, now_s, mac_row, &x);
	}
	if (net[0] && !found) {
		snprintf(err, errlen, "network: no extended network named %s",
			 net);
		return ENOENT;
	}
	return 0;
}

static void sa_row(struct l2x_json *j, const struct l2x_sa *sa)
{
	struct l2x_sa_stats st;
	char spi[16];

	l2x_sa_query(sa, &st);
	snprintf(spi, sizeof(spi), "0x%08x", l2x_sa_spi(sa));
	row_begin(j);
	kstr(j, "spi", spi, 1);
	kstr(j, "dir", l2x_sa_dir(sa) == L2X_SA_IN ? "in" : "out", 0);
	kstr(j, "alg", l2x_sa_alg_name(l2x_sa_alg(sa)), 0);
	knum(j, "packets", st.packets, 0);
	knum(j, "bytes", st.bytes, 0);
	knum(j, "seq", st.seq, 0);
	kstr(j, "state",
	     st.hard   ? "expired"
	     : st.soft ? "rekey"
		       : "installed",
	     0);
	puts_(j, "}");
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
	row_begin(j);
	kip(j, "local", dp->local_ip, 1);
	kip(j, "peer", p.ip, 0);
	knum(j, "peer_port", p.port, 0);
	kip(j, "next_hop", dp->nh_ip, 0);
	kmac(j, "next_hop_mac", &p.mac, 0);
	kstr(j, "state",
	     !dp->sa_out				     ? "no SA"
	     : __atomic_load_n(&dp->nh_ok, __ATOMIC_ACQUIRE) ? "up"
							     : "no next hop",
	     0);
	knum(j, "nat_updates", dp->nat_updates, 0);
	puts_(j, "}");
}

static void show_stats(struct l2x_dp *dp, struct l2x_json *j)
{
	struct l2x_dp_stats st;
	struct l2x_fdb_stats sum = {0};

	l2x_dp_stats_sum(dp, &st);
	for (unsigned int i = 0; i < L2X_DP_CNT_MAX; i++) {
		row_begin(j);
		kstr(j, "counter", l2x_dp_cnt_key[i], 1);
		knum(j, "value", st.cnt[i], 0);
		kstr(j, "description", l2x_dp_cnt_text[i], 0);
		puts_(j, "}");
	}
	row_begin(j);
	kstr(j, "counter", "reloads", 1);
	knum(j, "value", dp->reloads, 0);
	kstr(j, "description", "configuration reloads applied", 0);
	puts_(j, "}");
	row_begin(j);
	kstr(j, "counter", "reloads_refused", 1);
	knum(j, "value", dp->reloads_refused, 0);
	kstr(j, "description", "configuration reloads refused", 0);
	puts_(j, "}");
	/* The worker's MAC table counters are per lcore, not per network:
	 * add them once, with the first table. */
	for (uint32_t i = 0; i < dp->nets->n; i++) {
		struct l2x_fdb_stats s;
		uint64_t *d = (uint64_t *)&sum, *a = (uint64_t *)&s;

		l2x_fdb_stats(dp->nets->net[i]->fdb, &dp->fdb_lc,
			      i == 0 ? 1 : 0, &s);
		for (size_t k = 0; k < L2X_FDB_STAT_COUNT; k++)
			d[k] += a[k];
	}
	for (size_t k = 0; k < L2X_FDB_STAT_COUNT; k++) {
		char name[64];
		const struct l2x_fdb_stat_desc *ds = &l2x_fdb_stat_desc[k];

		snprintf(name, sizeof(name), "fdb.%s", ds->key);
		row_begin(j);
		kstr(j, "counter", name, 1);
		knum(j, "value",
		     *(const uint64_t *)((const char *)&sum + ds->offset), 0);
		kstr(j, "description", ds->text, 0);
		puts_(j, "}");
	}
}

static void show_drops(struct l2x_dp *dp, struct l2x_json *j)
{
	struct l2x_dp_stats st;

	l2x_dp_stats_sum(dp, &st);
	for (unsigned int i = 0; i < L2X_DP_D_MAX; i++) {
		if (l2x_dp_drop_key[i] == NULL || st.drop[i] == 0)
			continue;
		row_begin(j);
		kstr(j, "reason", l2x_dp_drop_key[i], 1);
		knum(j, "count", st.drop[i], 0);
		kstr(j, "description", l2x_dp_drop_text[i], 0);
		puts_(j, "}");
	}
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
	for (uint32_t i = 0; i < dp->nets->n; i++) {
		const struct l2x_dp_net *n = dp->nets->net[i];

		row_begin(j);
		kstr(j, "network", n->name, 1);
		knum(j, "uplink_mtu", p->mtu, 0);
		knum(j, "max_frame", p->max_frame, 0);
		knum(j, "overhead", p->oh.fixed + p->oh.esp_pad_max, 0);
		knum(j, "mss_ipv4", n->clamp ? n->mss.ipv4 : 0, 0);
		knum(j, "mss_ipv6", n->clamp ? n->mss.ipv6 : 0, 0);
		kstr(j, "parts", parts, 0);
		puts_(j, "}");
	}
}

int l2x_ctl_show(struct l2x_dp *dp, const struct l2x_ctl_show_req *req,
		 struct l2x_json *j, char *err, size_t errlen)
{
	int rc = 0;

	puts_(j, "{\"what\": ");
	str(j, l2x_ctlmsg_show_str(req->what));
	puts_(j, ", \"rows\": [");
	j->first = 1;
	switch (req->what) {
	case L2X_CTL_SHOW_NETWORKS:
		show_networks(dp, j);
		break;
	case L2X_CTL_SHOW_MACS:
		rc = show_macs(dp, req->network, j, err, errlen);
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
	puts_(j, j->first ? "]}\n" : "\n]}\n");
	return rc;
}
