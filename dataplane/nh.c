/* SPDX-License-Identifier: MIT */
/*
 * nh.c - exception-path interface setup and next-hop lookup via libnl
 * (nh.h).
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <linux/neighbour.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "dataplane/nh.h"

struct l2x_nh {
	struct nl_sock *sk;
	struct nl_cache *neigh;
	int ifindex;
};

int l2x_nh_create(const char *ifname, struct l2x_nh **out)
{
	struct l2x_nh *nh;
	unsigned int idx = if_nametoindex(ifname);

	if (idx == 0)
		return -ENODEV;
	nh = calloc(1, sizeof(*nh));
	if (nh == NULL)
		return -ENOMEM;
	nh->ifindex = (int)idx;
	nh->sk = nl_socket_alloc();
	if (nh->sk == NULL)
		goto err_free;
	if (nl_connect(nh->sk, NETLINK_ROUTE) < 0)
		goto err_sock;
	if (rtnl_neigh_alloc_cache(nh->sk, &nh->neigh) < 0)
		goto err_sock;
	*out = nh;
	return 0;
err_sock:
	nl_socket_free(nh->sk);
err_free:
	free(nh);
	return -EIO;
}

void l2x_nh_destroy(struct l2x_nh *nh)
{
	if (nh == NULL)
		return;
	nl_cache_free(nh->neigh);
	nl_socket_free(nh->sk);
	free(nh);
}

/* libnl error -> errno; "exists already" is success. */
static int nlerr(int rc)
{
	if (rc >= 0 || rc == -NLE_EXIST)
		return 0;
	return -EIO;
}

static int link_up(struct l2x_nh *nh, const struct rte_ether_addr *mac)
{
	struct rtnl_link *orig = rtnl_link_alloc(), *chg = rtnl_link_alloc();
	struct nl_addr *lla =
	    nl_addr_build(AF_LLC, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	int rc = -ENOMEM;

	if (orig && chg && lla) {
		rtnl_link_set_ifindex(orig, nh->ifindex);
		rtnl_link_set_addr(chg, lla);
		rtnl_link_set_flags(chg, IFF_UP);
		rc = nlerr(rtnl_link_change(nh->sk, orig, chg, 0));
	}
	nl_addr_put(lla);
	rtnl_link_put(chg);
	rtnl_link_put(orig);
	return rc;
}

static int addr_add(struct l2x_nh *nh, rte_be32_t addr, uint8_t plen)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(AF_INET, &addr, sizeof(addr));
	int rc = -ENOMEM;

	if (a && local) {
		nl_addr_set_prefixlen(local, plen);
		rtnl_addr_set_ifindex(a, nh->ifindex);
		rtnl_addr_set_family(a, AF_INET);
		if (rtnl_addr_set_local(a, local) == 0)
			rc = nlerr(rtnl_addr_add(nh->sk, a, 0));
	}
	nl_addr_put(local);
	rtnl_addr_put(a);
	return rc;
}

static int route_add(struct l2x_nh *nh, rte_be32_t gw)
{
	rte_be32_t any = 0;
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *hop = rtnl_route_nh_alloc();
	struct nl_addr *dst = nl_addr_build(AF_INET, &any, sizeof(any));
	struct nl_addr *via = nl_addr_build(AF_INET, &gw, sizeof(gw));
	int rc = -ENOMEM;

	if (r && hop && dst && via) {
		nl_addr_set_prefixlen(dst, 0);
		rtnl_route_set_family(r, AF_INET);
		rtnl_route_set_dst(r, dst);
		rtnl_route_nh_set_ifindex(hop, nh->ifindex);
		rtnl_route_nh_set_gateway(hop, via);
		rtnl_route_add_nexthop(r, hop); /* r owns hop now */
		hop = NULL;
		rc = nlerr(rtnl_route_add(nh->sk, r, NLM_F_CREATE));
	}
	if (hop)
		rtnl_route_nh_free(hop);
	nl_addr_put(via);
	nl_addr_put(dst);
	rtnl_route_put(r);
	return rc;
}

int l2x_nh_tap_setup(struct l2x_nh *nh, const struct rte_ether_addr *mac,
		     rte_be32_t addr, uint8_t plen, rte_be32_t gw,
		     const char **what)
{
	int rc;

	*what = "set link address and up";
	rc = link_up(nh, mac);
	if (rc)
		return rc;
	*what = "add address";
	rc = addr_add(nh, addr, plen);
	if (rc || gw == 0)
		return rc;
	*what = "add default route";
	return route_add(nh, gw);
}

int l2x_nh_lookup(struct l2x_nh *nh, rte_be32_t ip, struct rte_ether_addr *mac)
{
	struct nl_addr *a = nl_addr_build(AF_INET, &ip, sizeof(ip));
	struct rtnl_neigh *n;
	int rc = -ENOENT;

	if (a == NULL)
		return -ENOMEM;
	if (nl_cache_refill(nh->sk, nh->neigh) < 0)
		goto out;
	n = rtnl_neigh_get(nh->neigh, nh->ifindex, a);
	if (n) {
		int st = rtnl_neigh_get_state(n);
		struct nl_addr *ll = rtnl_neigh_get_lladdr(n);

		if ((st & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
			   NUD_PERMANENT)) &&
		    ll && nl_addr_get_len(ll) == RTE_ETHER_ADDR_LEN) {
			memcpy(mac->addr_bytes, nl_addr_get_binary_addr(ll),
			       RTE_ETHER_ADDR_LEN);
			rc = 0;
		}
		rtnl_neigh_put(n);
	}
out:
	nl_addr_put(a);
	return rc;
}
