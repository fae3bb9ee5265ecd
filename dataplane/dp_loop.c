/* SPDX-License-Identifier: MIT */
/*
 * dp_loop.c - the control thread's loop (dp.h): control socket, MAC table
 * drain and aging, gateway pinning, next hop, NAT-T keepalives, NAT
 * following.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_launch.h>

#include "dataplane/ctl.h"
#include "dataplane/dp.h"
#include "dataplane/nh.h"

/* Control loop period: socket wait, then the MAC table's drain. */
#define L2X_LOOP_MS 20

/* A kernel UDP socket on the uplink address for NAT-T keepalives (RFC 3948
 * section 2.3): the kernel routes them out of the tap, so it resolves the
 * next hop with ARP on the way; the worker sends them on the uplink.
 * With static SAs nobody else uses UDP 4500 here, so they leave from 4500
 * and keep the NAT mapping of the ESP flow alive. With IKE, l2x-ike's
 * charon owns 4500 (and sends its own keepalives once it detects a NAT):
 * ours then leave from any port and only serve next-hop resolution. */
static int ka_open(struct l2x_dp *dp)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = dp->local_ip,
				 .sin_port = htons(L2X_UDP_ENCAP_PORT)};
	int one = 1,
	    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (dp->cfg->peer.auth.kind != L2X_CONFIG_AUTH_NONE)
		sa.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		sa.sin_port = 0;
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static void ka_send(struct l2x_dp *dp)
{
	static const uint8_t ka = L2X_NATT_KEEPALIVE;
	struct l2x_outer_peer p;
	struct sockaddr_in to = {.sin_family = AF_INET};

	if (dp->ka_fd < 0)
		dp->ka_fd = ka_open(dp);
	if (dp->ka_fd < 0)
		return;
	l2x_outer_tmpl_get_peer(&dp->outer, &p);
	to.sin_addr.s_addr = p.ip;
	to.sin_port = htons(p.port);
	/* errors (no route yet, neighbour unresolved) are retried later */
	(void)sendto(dp->ka_fd, &ka, sizeof(ka), MSG_DONTWAIT,
		     (struct sockaddr *)&to, sizeof(to));
}

/* Apply the peer address and port the worker saw on authenticated ESP. */
static void nat_follow(struct l2x_dp *dp)
{
	uint64_t w = __atomic_exchange_n(&dp->nat_req, 0, __ATOMIC_ACQUIRE);
	struct l2x_outer_peer p;
	rte_be32_t ip = (rte_be32_t)(w >> 16);
	uint16_t port = (uint16_t)w;

	if (!(w & L2X_DP_NAT_VALID) || ip == 0 || port == 0)
		return;
	l2x_outer_tmpl_get_peer(&dp->outer, &p);
	if (p.ip == ip && p.port == port)
		return;
	if (dp->nh_ip == p.ip) /* on-link peer: it is its own next hop */
		dp->nh_ip = ip;
	p.ip = ip;
	p.port = port;
	if (l2x_outer_tmpl_set_peer(&dp->outer, &p) == 0) {
		dp->nat_updates++;
		/* the one counter the control thread writes (never the
		 * worker): still a single writer */
		__atomic_store_n(&dp->st.cnt[L2X_DP_CNT_nat_update],
				 dp->nat_updates, __ATOMIC_RELAXED);
	}
}

/* Pin the gateway MACs the worker saw in legitimate ARP (fwd.c
 * gw_filter) on the owning side with L2X_FDB_F_GATEWAY; a gateway whose
 * MAC changed (failover) replaces the old entry, which is removed. */
static void gw_pin(struct l2x_dp *dp, uint64_t now_s)
{
	for (uint32_t i = 0; i < L2X_DP_NET_SLOTS; i++) {
		struct l2x_dp_net *n = dp->nets->net[i];
		uint64_t w, key;
		struct rte_ether_addr mac;

		if (n == NULL || n->gw_ip == 0)
			continue;
		w = __atomic_exchange_n(&n->gw_req, 0, __ATOMIC_ACQUIRE);
		if (!(w & L2X_DP_GW_VALID))
			continue;
		key = w & ~L2X_DP_GW_VALID;
		if (key == n->gw_pinned)
			continue;
		if (n->gw_pinned != 0) {
			l2x_fdb_key_mac(n->gw_pinned, &mac);
			(void)l2x_fdb_del(dp->fdb, n->slot, &mac);
			n->gw_pinned = 0;
		}
		l2x_fdb_key_mac(key, &mac);
		if (l2x_fdb_add_static(dp->fdb, n->slot, &mac, n->gw_side,
				       L2X_FDB_F_GATEWAY, now_s) == 0)
			n->gw_pinned = key;
	}
}

/* SIGHUP: reload the configuration file; the outcome goes to the log
 * (CONFIG_RELOAD on the control socket answers it instead). */
static void reload(struct l2x_dp *dp)
{
	char err[L2X_CONFIG_ERR_LEN + 128];

	if (l2x_dp_reload(dp, err, sizeof(err)) == 0)
		printf("l2x-dataplane: reloaded %s: %u networks\n",
		       dp->cfg_path, dp->nets->n);
	else
		fprintf(stderr,
			"l2x-dataplane: %s; the running configuration "
			"stays\n",
			err);
	fflush(stdout);
}

/* Read the next hop's MAC; publish it when it changed. Returns whether
 * one is known. */
static bool nh_refresh(struct l2x_dp *dp)
{
	struct rte_ether_addr mac;
	struct l2x_outer_peer p;

	if (l2x_nh_lookup(dp->nh, dp->nh_ip, &mac) != 0)
		return __atomic_load_n(&dp->nh_ok, __ATOMIC_RELAXED);
	l2x_outer_tmpl_get_peer(&dp->outer, &p);
	if (!rte_is_same_ether_addr(&p.mac, &mac) ||
	    !__atomic_load_n(&dp->nh_ok, __ATOMIC_RELAXED)) {
		p.mac = mac;
		if (l2x_outer_tmpl_set_peer(&dp->outer, &p) != 0)
			return false;
		dp->nh_mac = mac;
		__atomic_store_n(&dp->nh_ok, 1, __ATOMIC_RELEASE);
	}
	return true;
}

int l2x_dp_run(struct l2x_dp *dp)
{
	uint64_t last_age = 0, last_ka = 0, last_nh = 0;
	int rc;

	rc = rte_eal_remote_launch(l2x_fwd_main, dp, dp->worker_lcore);
	if (rc) {
		fprintf(stderr,
			"l2x-dataplane: cannot launch worker on lcore "
			"%u: %s\n",
			dp->worker_lcore, strerror(-rc));
		return -1;
	}
	printf("l2x-dataplane: %s up: %u networks, tap %s, control socket "
	       "%s\n",
	       dp->cfg->appliance.name, dp->nets->n, dp->tap_name,
	       dp->cfg->dataplane.control_socket);
	fflush(stdout);
	while (!dp->stop) {
		uint64_t now_ms, now_s;
		bool ok;

		l2x_ctl_poll(dp->ctl, dp, L2X_LOOP_MS);
		now_s = l2x_dp_now_s(dp);
		now_ms = rte_get_tsc_cycles() / (dp->hz / 1000);
		if (dp->reload) {
			dp->reload = 0;
			reload(dp);
		}
		l2x_fdb_drain(dp->fdb, now_s);
		if (now_s != last_age) {
			l2x_fdb_age(dp->fdb, now_s);
			l2x_ctl_sa_tick(dp, now_s);
			last_age = now_s;
		}
		gw_pin(dp, now_s);
		nat_follow(dp);
		ok = __atomic_load_n(&dp->nh_ok, __ATOMIC_RELAXED);
		/* unresolved: look and ask often; resolved: every second */
		if (now_ms - last_nh >= (ok ? 1000u : 200u)) {
			ok = nh_refresh(dp);
			last_nh = now_ms;
		}
		if (now_ms - last_ka >=
		    (ok ? L2X_DP_KEEPALIVE_S * 1000u : 1000u)) {
			ka_send(dp);
			last_ka = now_ms;
		}
	}
	return 0;
}
