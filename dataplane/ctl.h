/* SPDX-License-Identifier: MIT */
/*
 * ctl.h - the dataplane's control socket server (DESIGN.md, "Processes":
 * a Unix socket, root-only, 0600, with the typed messages of
 * control/ctlmsg.h).
 *
 * A SOCK_SEQPACKET socket: one datagram is one message, so framing is the
 * kernel's. Every datagram is parsed strictly by l2x_ctlmsg_parse(); a
 * malformed one is answered with an ERROR carrying the parser's sentence
 * (and the request id when the header was readable), never with a crash.
 * SHOW answers with JSON text cut into SHOW_REPLY chunks (L2X_CTL_F_MORE
 * on all but the last), in the one shape of control/json.h.
 *
 * Thread-safety: control thread only.
 */
#ifndef L2X_CTL_H
#define L2X_CTL_H

#include <stddef.h>

#include "control/ctlmsg.h"
#include "control/json.h"

struct l2x_dp;
struct l2x_ctl;

/* Create the socket at path (a stale one is unlinked first), mode 0600.
 * Returns 0 and *out, or a negative errno. */
int l2x_ctl_open(const char *path, struct l2x_ctl **out);

/* Close every connection, unlink the socket, free. Accepts NULL. */
void l2x_ctl_close(struct l2x_ctl *c);

/* Wait up to timeout_ms for requests and answer them. Returns 0, or
 * -EINTR when a signal interrupted the wait. */
int l2x_ctl_poll(struct l2x_ctl *c, struct l2x_dp *dp, int timeout_ms);

/* --- SA operations (ctl_sa.c) --------------------------------------------*/

struct l2x_sa;

/* Install an SA from SA_ADD (an outbound one replaces the current one and
 * moves the outer headers to its peer address and port). Returns 0, or a
 * positive errno with a sentence in err. Control thread; waits for an RCU
 * grace period of the worker before freeing what it replaced. */
int l2x_ctl_sa_add(struct l2x_dp *dp, const struct l2x_ctl_sa_add *a, char *err,
		   size_t errlen);

/* Remove and wipe an SA (SA_DEL). Returns 0, or ENOENT with err. */
int l2x_ctl_sa_del(struct l2x_dp *dp, const struct l2x_ctl_sa_id *id, char *err,
		   size_t errlen);

/* SA_UPDATE: the peer of an SA moved (NAT). An outbound SA's packets go
 * to the new address and port from now on; for an inbound SA there is
 * nothing to move (the dataplane accepts authenticated ESP from any
 * address and follows it). Returns 0, or ENOENT with err. */
int l2x_ctl_sa_update(struct l2x_dp *dp, const struct l2x_ctl_sa_update *u,
		      char *err, size_t errlen);

/* SPI_ALLOC: a random SPI >= 256 that no inbound SA uses and that is not
 * pending from an earlier SPI_ALLOC; it stays pending until the inbound
 * SA_ADD or SA_DEL that names it, or L2X_DP_SPI_PENDING_S (the oldest is
 * forgotten first when L2X_DP_SPI_PENDING_MAX are pending). Returns 0 and
 * *spi, or a positive errno with err. */
int l2x_ctl_spi_alloc(struct l2x_dp *dp, uint32_t *spi, char *err,
		      size_t errlen);

/* Once a second: time lifetimes and last use of every SA
 * (l2x_sa_check_time: the fast path then drops on an SA past its hard
 * seconds, and SA_INFO.last_use moves with traffic), and removal of an SA
 * whose hard seconds passed L2X_DP_SA_REAP_S ago: l2x-ike deletes its SAs
 * at hard expiry, so such an SA was left by an l2x-ike that died, and
 * would hold its slot and key for ever. Logs each removal. */
void l2x_ctl_sa_tick(struct l2x_dp *dp, uint64_t now_s);

/* The SA with that SPI and direction, or NULL (SA_QUERY). */
struct l2x_sa *l2x_ctl_sa_find(struct l2x_dp *dp,
			       const struct l2x_ctl_sa_id *id);

/* --- networks (dp_net.c) -------------------------------------------------*/

/* NET_ADD: extend one more network (mac_limit 0: bridge.mac_limit);
 * NET_DEL: remove one by name or VLAN. The other networks are not
 * touched (l2x_dp_nets_set). Return 0, or a positive errno with a
 * sentence in err (EEXIST, ENOENT, ENOSPC, EINVAL, ENOMEM). */
int l2x_ctl_net_add(struct l2x_dp *dp, const struct l2x_ctl_net_add *a,
		    char *err, size_t errlen);
int l2x_ctl_net_del(struct l2x_dp *dp, const struct l2x_ctl_net_del *d,
		    char *err, size_t errlen);

/* --- the JSON text of SHOW (ctl_show.c) ---------------------------------*/

/* Build the JSON of req into j. Returns 0, or a positive errno with a
 * sentence in err (ENOENT: no such network). */
int l2x_ctl_show(struct l2x_dp *dp, const struct l2x_ctl_show_req *req,
		 struct l2x_json *j, char *err, size_t errlen);

/* The JSON of one page (SHOW_PAGE): networks by slot from the cursor (a
 * slot), MACs in table order from the cursor (a table position, at most
 * 65536 positions visited); "next" when more follow. Returns as
 * l2x_ctl_show(), EINVAL for another table. */
int l2x_ctl_show_page(struct l2x_dp *dp, const struct l2x_ctl_show_page *req,
		      struct l2x_json *j, char *err, size_t errlen);

#endif /* L2X_CTL_H */
