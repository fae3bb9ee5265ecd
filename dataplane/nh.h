/* SPDX-License-Identifier: MIT */
/*
 * nh.h - the exception-path interface in the kernel and the next hop
 * towards the peer, through libnl (DESIGN.md, "Exception path").
 *
 * The uplink address lives in the kernel, on the net_tap interface the
 * dataplane creates: the kernel answers ARP and ICMP for it, runs IKE on
 * it, and resolves the next hop with ARP. l2x_nh_tap_setup() gives the
 * tap the uplink's MAC address (so what the kernel sends and what the
 * dataplane sends come from one MAC), the address and prefix, brings it
 * up and adds the default route via the gateway. l2x_nh_lookup() then
 * reads the next hop's MAC from the kernel neighbour table. The kernel
 * resolves it when something is sent towards the peer: the NAT-T
 * keepalives of the control thread (RFC 3948 section 2.3).
 *
 * Thread-safety: control thread only (a netlink socket is not shared).
 */
#ifndef L2X_NH_H
#define L2X_NH_H

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

struct l2x_nh;

/* Open a route netlink socket for the interface ifname. Returns 0 and
 * *out, -ENODEV (no such interface) or -ENOMEM/-EIO. */
int l2x_nh_create(const char *ifname, struct l2x_nh **out);

/* Close it. Accepts NULL. */
void l2x_nh_destroy(struct l2x_nh *nh);

/* Set the interface's MAC to mac, bring it up, add addr/plen (network
 * order address) and, if gw is not 0, a default route via gw. An address
 * or route that exists already is fine. Returns 0 or a negative errno;
 * *what names the step that failed. */
int l2x_nh_tap_setup(struct l2x_nh *nh, const struct rte_ether_addr *mac,
		     rte_be32_t addr, uint8_t plen, rte_be32_t gw,
		     const char **what);

/* The MAC of ip (network order) in the kernel neighbour table of the
 * interface, if resolved (reachable, stale, delay, probe or permanent).
 * Returns 0 and *mac, or -ENOENT. */
int l2x_nh_lookup(struct l2x_nh *nh, rte_be32_t ip, struct rte_ether_addr *mac);

#endif /* L2X_NH_H */
