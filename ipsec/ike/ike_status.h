/* SPDX-License-Identifier: MIT */
/*
 * ike_status.h - l2x-ike's status socket: what charon knows about its IKE
 * and child SAs, for `l2xctl show ike` (issue 5).
 *
 * Why a socket of its own. The SAs' state lives in charon, not in the
 * dataplane: asking the dataplane would mean pushing every state change
 * there. So l2x-ike answers for itself, on a root-only (0600) Unix
 * SOCK_SEQPACKET socket next to the dataplane's control socket (its path
 * + ".ike", e.g. /run/l2x/site-a.sock.ike), speaking the same protocol
 * (control/ctlmsg.h). It answers SHOW with what = IKE by SHOW_REPLY
 * chunks, and every other request, or a datagram that does not parse,
 * with ERROR (EINVAL for a request it does not serve, EPROTO with the
 * parser's sentence for a malformed one).
 *
 * The table has the one shape of every l2x table (dataplane/ctl.h):
 *   {"what": "ike", "rows": [{...}, ...]}
 * one row per IKE_SA (kind "ike") followed by one per CHILD_SA of it
 * (kind "child"), every row with the same keys:
 *   kind         "ike" | "child"
 *   ike_sa       charon's unique id of the IKE_SA (a child: its parent's)
 *   name         the connection (IKE: peer config) or child name
 *   state        charon's state name: CREATED CONNECTING ESTABLISHED
 *                PASSIVE REKEYING REKEYED DELETING DESTROYING (IKE);
 *                CREATED ROUTED INSTALLING INSTALLED UPDATING REKEYING
 *                REKEYED RETRYING DELETING DELETED DESTROYING (child);
 *                "DOWN" for a peer that has a last error but no IKE_SA
 *   role         "initiator" | "responder" (IKE rows; "" for a child)
 *   local        our address:port   remote  the peer's address:port
 *   nat          "none" | "local" | "remote" | "both": which side charon
 *                found behind a NAT (RFC 7296 section 2.23, NAT_DETECTION):
 *                local from charon's COND_NAT_HERE; remote only when
 *                COND_NAT_THERE and the peer's port is neither 500 nor
 *                4500, because a peer that forces UDP encapsulation (every
 *                l2x site) fakes its NAT_DETECTION_SOURCE_IP hash
 *   proposal     IKE: ENCR[_KEYSIZE][/INTEG]/PRF/KE; child: ENCR[_KEYSIZE]
 *   spi_in       IKE: the SPI we chose, 16 hex digits; child: the inbound
 *                ESP SPI, 0x%08x (the dataplane's inbound SA)
 *   spi_out      IKE: the peer's SPI; child: the outbound ESP SPI
 *   established  seconds since the IKE_SA was established / the child
 *                installed; 0 when not (yet)
 *   rekey_in     seconds to the next scheduled rekey (IKE: rekey or
 *                reauthentication, whichever comes first); -1 when none
 *                is scheduled
 *   last_error   IKE rows: the last failure charon alerted for this
 *                connection name ("peer authentication failed, 12 s
 *                ago"), "" if none; children: ""
 * No key material is ever read, let alone written.
 *
 * Thread-safety: start and stop from main only, start after
 * charon->start(), stop before libcharon_deinit(). The socket is served
 * by a thread of its own (never a charon worker: a client may be slow);
 * enumerating SAs there waits for SAs that charon has checked out.
 */
#ifndef L2X_IKE_STATUS_H
#define L2X_IKE_STATUS_H

/* Appended to the dataplane's control socket path. */
#define L2X_IKE_STATUS_SUFFIX ".ike"

struct l2x_ike_status;

/*
 * Listen on ctl_path + L2X_IKE_STATUS_SUFFIX (a stale socket there is
 * replaced), mode 0600, register the alert listener and start the thread.
 *   ctl_path  the dataplane's control socket (dataplane.control_socket).
 *   out       receives the server.
 * Returns 0, or -ENAMETOOLONG (the path does not fit sun_path), -ENOMEM or
 * the negative errno of socket/bind/listen.
 */
int l2x_ike_status_start(const char *ctl_path, struct l2x_ike_status **out);

/* Stop the thread, remove the listener, close and unlink the socket,
 * free. Accepts NULL. */
void l2x_ike_status_stop(struct l2x_ike_status *st);

#endif /* L2X_IKE_STATUS_H */
