/* SPDX-License-Identifier: MIT */
/*
 * ike_config.h - the appliance configuration (control/config.h) turned
 * into charon's configuration: one backend (backend_t, registered with
 * charon->backends) serving one peer_cfg, and one credential set
 * (ike_creds.h, registered with lib->credmgr).
 *
 * What l2x_config gives, and what charon gets:
 *   ike_cfg    IKEv2 only. Local: the uplink address, charon's IKE port
 *              (500; 4500 after NAT detection, RFC 7296 section 2.23).
 *              Remote: peer.address port 500, then %any: we initiate to
 *              peer.address, and accept a peer whose packets come from
 *              elsewhere (its NAT's address); the peer's identity and
 *              credentials, not its address, authenticate it.
 *              Proposals: peer.ike_proposals ("a-b-c,d-e-f": one IKE
 *              proposal per comma), each checked against the loaded
 *              crypto plugins, so that a proposal this process cannot
 *              compute is refused at load, not at the first exchange.
 *              IKE fragmentation (RFC 7383) on: certificates exceed a
 *              1280-byte path.
 *   peer_cfg   named appliance.name. Auth both ways: PSK (AUTH_CLASS_PSK)
 *              or public key (AUTH_CLASS_PUBKEY: our certificate, always
 *              sent; the peer's must chain to peer.auth.ca). Identities
 *              as ike_creds.h says. unique=replace, so a restarted peer's
 *              INITIAL_CONTACT (sent by us when the remote identity has
 *              no wildcard) or a new IKE_SA replaces the stale one.
 *              keyingtries 0 (retry for ever: the tunnel heals itself).
 *              IKE lifetime L = peer.ike_lifetime: rekey (no
 *              reauthentication: IKEv2 rekeying keeps the SAs up, a
 *              reauthentication would break them) at 0.9 L minus a random
 *              jitter up to 0.1 L; over time 0.1 L, so no IKE_SA lives
 *              past L. DPD every peer.dpd_delay s (0 = off). MOBIKE off:
 *              the peer's address and port follow its authenticated IKE
 *              requests (a NAT that changes its mapping; RFC 7296, 2.23).
 *   child_cfg  "tunnel", ESP tunnel mode, UDP-encapsulated (the kernel
 *              backend requires it). Proposals: peer.esp_proposals in
 *              their order, each "ALG-esn-noesn": ESN preferred (RFC 4303
 *              section 2.2.1), 32-bit sequence numbers accepted. Without
 *              ESN the dataplane stops sending when the 32-bit counter
 *              would wrap (docs/architecture.md, "Replay window"), so a
 *              packet limit rekeys first: soft 3.6e9, minus a jitter up to
 *              0.4e9, hard 4.0e9 packets (2^32 is 4.29e9). Time: hard L =
 *              peer.child_lifetime, rekey at 0.9 L minus a jitter up to
 *              0.1 L. Replay window peer.replay_window (0 = off).
 *              Traffic selectors: tunnel.inner_local/32 <->
 *              tunnel.inner_remote/32, protocol GRE (47) for encap gre,
 *              UDP for vxlan (any port: the VXLAN source port is a flow
 *              hash, RFC 7348 section 5, and selectors are symmetric, so
 *              "4789 only" would cut one direction). A peer that proposes
 *              0.0.0.0/0 is narrowed to these.
 *              Start, DPD and close action: for appliance.role
 *              initiator start/restart (initiate once charon runs, and
 *              again when DPD declares the peer dead or the peer closes
 *              the CHILD_SA); for responder none/clear (its SAs go, the
 *              initiator comes back), so the two sides never race to
 *              restart. How fast DPD declares a peer dead is l2x-ike's
 *              retransmission settings (ike_main.c).
 *   contact    responder only: when an IKE request from peer.address
 *              names an IKE_SA we do not have (we restarted, the peer did
 *              not) and we have none for the peer, initiate once to where
 *              it came from, with a second peer_cfg that differs only in
 *              keyingtries 1; at most once per 5 s (ike_config.c, "the
 *              responder's contact").
 *
 * Applying twice (SIGHUP): everything is built and checked first; any
 * error leaves the running configuration untouched. Then the credential
 * set's content and the peer_cfg are swapped. If what IKE uses changed
 * (any field above, or a credential file's path), the IKE_SAs of the old
 * configuration are closed and, for an initiator, a new one is started;
 * if not (e.g. only networks changed, or the PSK file's content), the
 * running SAs stay up and new authentications use the new credentials.
 *
 * Thread-safety: create, apply, start and destroy are called from one
 * thread (l2x-ike's main thread). charon's threads read the backend at
 * any time; the peer_cfg pointer is guarded by a read-write lock and
 * handed out by reference.
 *
 * This header includes no strongSwan header, so its users need none.
 */
#ifndef L2X_IKE_CONFIG_H
#define L2X_IKE_CONFIG_H

#include <stddef.h>

#include "control/config.h"

/* The largest message of a failed apply, NUL included. */
#define L2X_IKE_CONFIG_ERR_LEN 768

struct l2x_ike_config;

/*
 * Create the backend and the (empty) credential set and register both
 * with charon. Call after charon->initialize() (it needs the plugins and
 * the IKE socket), before charon->start().
 * Returns 0, -ENOMEM.
 */
int l2x_ike_config_create(struct l2x_ike_config **out);

/*
 * Build charon's configuration from cfg, check it, and put it in place
 * (see "Applying twice" above).
 *   source  names the configuration in messages (its file path).
 *   err     on failure: "SOURCE: FIELD: MESSAGE", with no secret in it.
 * Returns 0; -EINVAL (cfg cannot be applied: no peer.auth, a proposal
 * that does not parse or needs a plugin that is not loaded, a bad
 * credential file); -errno when a credential file cannot be read;
 * -ENOMEM. On failure nothing changed.
 */
int l2x_ike_config_apply(struct l2x_ike_config *ic,
			 const struct l2x_config *cfg, const char *source,
			 char *err, size_t errlen);

/*
 * Mark charon as running and run the start action: an initiator starts
 * its IKE_SA (and CHILD_SA). Call once, after charon->start(); applies
 * after it run their start actions themselves.
 */
void l2x_ike_config_start(struct l2x_ike_config *ic);

/*
 * Unregister and free; the SAs charon still holds keep their references.
 * Call before libcharon_deinit(). NULL is accepted.
 */
void l2x_ike_config_destroy(struct l2x_ike_config *ic);

#endif /* L2X_IKE_CONFIG_H */
