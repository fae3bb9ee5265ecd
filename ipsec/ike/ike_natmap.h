/* SPDX-License-Identifier: MIT */
/*
 * ike_natmap.h - the kernel's NAT mapping event, for a dataplane that
 * cannot send one.
 *
 * With XFRM, the kernel tells charon when ESP-in-UDP for an SA arrives
 * from a new address or port (XFRM_MSG_MAPPING); charon then moves the
 * IKE_SA there (update_hosts, when the peer is behind a NAT), so that its
 * own requests (DPD, rekeys) follow the peer's new NAT mapping. The l2x
 * dataplane follows such a move for its ESP (it sends to the source of
 * authenticated ESP), but has no way to send charon the event, and
 * without it the IKE_SA stays at the old port until the peer sends an IKE
 * request of its own: an exchange this side starts first goes to the old
 * port, is never answered, and DPD clears the tunnel (issue 5, healing).
 *
 * So a thread asks the dataplane once a second where its ESP goes
 * (l2x_ike_kernel_peer: PEER_QUERY), and when an established IKE_SA's
 * peer is elsewhere on two queries in a row, raises the event for one of
 * its installed CHILD_SAs (charon->kernel->mapping(): what kernel-netlink
 * does for XFRM_MSG_MAPPING). Two in a row: charon's own moves reach the
 * dataplane through update_sa an instant later, and must not be undone.
 * Each new address:port is raised once; charon decides, as for the
 * kernel's event, whether to move (only towards a peer behind a NAT).
 *
 * Thread-safety: start and stop from one thread (l2x-ike's main); the
 * poll runs on its own thread (strongSwan's thread_create).
 */
#ifndef L2X_IKE_NATMAP_H
#define L2X_IKE_NATMAP_H

struct l2x_ike_natmap;

/* Start the poll. Call after charon->start(). Returns 0, -ENOMEM,
 * -EAGAIN (no thread) or a negative errno of pipe(). */
int l2x_ike_natmap_start(struct l2x_ike_natmap **out);

/* Stop and free; NULL is accepted. Call before libcharon_deinit(). */
void l2x_ike_natmap_stop(struct l2x_ike_natmap *nm);

#endif /* L2X_IKE_NATMAP_H */
