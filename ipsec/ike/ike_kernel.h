/* SPDX-License-Identifier: MIT */
/*
 * ike_kernel.h - l2x's kernel-ipsec backend for the charon embedded in
 * l2x-ike (DESIGN.md, "Processes" and "Building against strongSwan").
 *
 * charon hands every SA and policy operation to one kernel_ipsec_t
 * (strongSwan src/libcharon/kernel/kernel_ipsec.h). l2x-ike registers its
 * own as a static plugin feature, PLUGIN_CALLBACK(kernel_ipsec_register,
 * ...) + PLUGIN_PROVIDE(CUSTOM, "kernel-ipsec"), before charon loads its
 * plugins: the first kernel-ipsec constructor wins (kernel_interface.c
 * add_ipsec_interface), so kernel-netlink still provides kernel-net
 * (addresses, routes) but never the XFRM SAs this kernel refuses anyway.
 * In l2x the SAs live in the dataplane and reach it through its control
 * socket (dataplane/ctl.h).
 *
 * The dataplane. l2x_ike_kernel_set_ctl() names the dataplane's control
 * socket (dataplane.control_socket of the appliance file) and the tunnel's
 * inner encapsulation; every SA call then becomes one request on that
 * socket through control/ctlclient.h (one connection, held open, guarded
 * by one lock). Until it is called (l2x-ike without --config, the
 * start-up self-check) get_spi draws SPIs from the rng given at
 * registration and the SA calls are refused.
 *
 * The dataplane may be down (not started yet, restarting): a call then
 * fails with one log line naming the socket and the reason, and the next
 * call connects again. No call blocks a charon thread for much more than a
 * second: the lock is waited for at most L2X_IKE_CTL_LOCK_MS and one
 * request at most L2X_IKE_CTL_TIMEOUT_MS (connect, send and every reply
 * included), after which the connection is dropped and reopened later.
 *
 * The calls, and what the dataplane gets:
 *   get_spi           SPI_ALLOC -> SPI (256..2^32-1, unique among the
 *                     dataplane's inbound SAs), returned in network order.
 *                     Without a control socket: a uniform random SPI in
 *                     256..2^32-1 from the rng (RFC 4303 section 2.1).
 *                     Only ESP.
 *   add_sa            SA_ADD, for exactly what the dataplane does: ESP,
 *                     tunnel mode, UDP encapsulation (RFC 3948), IPv4
 *                     outer addresses, no IPComp, and an AEAD: AES-GCM
 *                     with a 16-byte ICV and a 256-bit key
 *                     (ENCR_AES_GCM_ICV16, RFC 4106) or ChaCha20-Poly1305
 *                     (ENCR_CHACHA20_POLY1305, RFC 7634), with no
 *                     integrity algorithm. enc_key is charon's KEYMAT for
 *                     the SA: key then 4-byte salt (keymat_v2.c appends
 *                     the salt for both), 36 bytes, the SA_ADD key field
 *                     as it is. Anything else is refused with one log
 *                     line saying what, before anything is sent: never
 *                     half-installed. Mapping: inbound -> dir in, peer =
 *                     id->src, local = id->dst; outbound -> dir out, peer
 *                     = id->dst, local = id->src (ports from the hosts,
 *                     4500 when charon gives none); esn -> L2X_CTL_SA_ESN;
 *                     replay_window as it is (0..4096); lifetime rekey ->
 *                     soft, life -> hard, for seconds, bytes and packets
 *                     (0 = none; a rekey above its life is lowered to
 *                     it); reqid -> tunnel; encap from set_ctl.
 *   update_sa         SA_UPDATE with the new peer address and port (NAT
 *                     rebinding, MOBIKE). Our own address cannot change
 *                     in the dataplane: NOT_SUPPORTED, on which charon
 *                     rekeys the CHILD_SA instead; so does a request to
 *                     stop UDP encapsulation.
 *   query_sa          SA_QUERY -> bytes and packets as the dataplane
 *                     counts them. The dataplane's last_use is on its own
 *                     clock (DPDK's TSC), not charon's time_monotonic(),
 *                     so it is used as a change signal: the use time
 *                     returned is the monotonic time at which a query
 *                     first saw last_use move (0 while it is 0). That is
 *                     late by at most the time between two queries, which
 *                     is what DPD and inactivity checks need (charon
 *                     queries when it asks "traffic since?").
 *   del_sa            SA_DEL. An SA the dataplane no longer has (an
 *                     outbound SA replaced by its successor at rekey, a
 *                     restarted dataplane) is gone already: SUCCESS.
 *   flush_sas         SA_DEL for every SA this backend installed.
 *   lifetimes         the dataplane has no way to tell charon that an SA
 *                     expired, so the backend does, as libipsec does:
 *                     a scheduler job raises charon's soft expire (rekey)
 *                     at the rekey time and the hard expire at the life
 *                     time; for SAs with byte or packet limits a job
 *                     queries the SA every L2X_IKE_VOLUME_POLL_S seconds
 *                     and raises soft or hard expire from SA_INFO's state
 *                     bits.
 *   add_policy,       The dataplane carries the tunnel's frames and
 *   del_policy,       nothing else; it has no SPD. The policies charon
 *   flush_policies    installs for a tunnel-mode CHILD_SA (in, out, fwd;
 *                     IPsec, and pass or drop fallbacks) are accepted and
 *                     recorded, so that each del_policy meets its
 *                     add_policy, and change nothing on the wire: which
 *                     frames use the SAs is decided by the dataplane's
 *                     tunnel (DESIGN.md, "Wire format": inner endpoints'
 *                     traffic only, whatever the selectors). An IPsec
 *                     policy in transport or BEET mode is refused (FAILED,
 *                     one log line).
 *   query_policy      NOT_SUPPORTED: charon then takes the use time from
 *                     query_sa.
 *   get_features      KERNEL_REQUIRE_UDP_ENCAPSULATION (ESP always in UDP
 *                     4500, NAT or not, so charon forces encapsulation as
 *                     it does for libipsec) | KERNEL_NO_POLICY_UPDATES (no
 *                     policy depends on the addresses).
 *   bypass_socket     TRUE: no policy exists that IKE would need to bypass.
 *   enable_udp_decap  TRUE: socket-default strips and adds the non-ESP
 *                     marker on 4500 itself, and ESP never reaches the
 *                     kernel (it is the dataplane's).
 *   get_cpi           NOT_SUPPORTED: no IPComp.
 * Keys are never logged at any level: enc_key is read only to copy it
 * into the SA_ADD message, which is wiped (sodium_memzero) after the
 * request, as ctlclient wipes its send buffer.
 *
 * Thread-safety: charon calls the backend from its worker and scheduler
 * threads at any time; one lock guards the connection and the records,
 * the call counters are atomics. l2x_ike_kernel_register(),
 * l2x_ike_kernel_set_ctl() and l2x_ike_kernel_calls() may be called from
 * any thread; registration happens once, before charon->initialize().
 *
 * Only ipsec/ike/ike_*.c include strongSwan headers (STYLE.md 1): this header
 * does not, so its users need none.
 */
#ifndef L2X_IKE_KERNEL_H
#define L2X_IKE_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/* Every kernel_ipsec_t call, for the counters (X-macro, STYLE.md 3). */
#define l2x_foreach_ike_kernel_call(_)      \
	_(GET_FEATURES, "get_features")     \
	_(GET_SPI, "get_spi")               \
	_(GET_CPI, "get_cpi")               \
	_(ADD_SA, "add_sa")                 \
	_(UPDATE_SA, "update_sa")           \
	_(QUERY_SA, "query_sa")             \
	_(DEL_SA, "del_sa")                 \
	_(FLUSH_SAS, "flush_sas")           \
	_(ADD_POLICY, "add_policy")         \
	_(QUERY_POLICY, "query_policy")     \
	_(DEL_POLICY, "del_policy")         \
	_(FLUSH_POLICIES, "flush_policies") \
	_(BYPASS_SOCKET, "bypass_socket")   \
	_(ENABLE_UDP_DECAP, "enable_udp_decap")

enum l2x_ike_kernel_call {
#define L2X_IKE_KERNEL_CALL_ENUM(id, name) L2X_IKE_KERNEL_##id,
	l2x_foreach_ike_kernel_call(L2X_IKE_KERNEL_CALL_ENUM)
#undef L2X_IKE_KERNEL_CALL_ENUM
	    L2X_IKE_KERNEL_CALL_MAX
};

/* Where random bytes come from (STYLE.md 11): fill len bytes of buf.
 * l2x-ike passes libsodium's randombytes_buf (a CSPRNG); a test may fix
 * the bytes. */
struct l2x_ike_rng {
	void (*fill)(void *ctx, void *buf, size_t len);
	void *ctx;
};

/* How long one request to the dataplane may take, and how long a call
 * waits for another one's request to finish: together about a second. */
#define L2X_IKE_CTL_TIMEOUT_MS 500u
#define L2X_IKE_CTL_LOCK_MS 500u
/* How often an SA with byte or packet limits is queried for expiry. */
#define L2X_IKE_VOLUME_POLL_S 10u

/* The call counters of the backend. */
struct l2x_ike_kernel_calls {
	uint64_t calls[L2X_IKE_KERNEL_CALL_MAX];   /* every call, by call */
	uint64_t refused[L2X_IKE_KERNEL_CALL_MAX]; /* of which refused */
};

/*
 * Register the backend with charon as the static plugin feature
 * CUSTOM "kernel-ipsec" of a static plugin named "l2x-kernel-ipsec"
 * (the name `swanctl --stats` lists among the loaded plugins).
 *   rng  the SPI source; copied. Must stay valid until the backend is
 *        destroyed (libcharon_deinit()).
 * Call once, after libcharon_init() and before charon->initialize().
 * Returns 0, -EINVAL (rng or rng->fill NULL), or -EALREADY.
 */
int l2x_ike_kernel_register(const struct l2x_ike_rng *rng);

/*
 * Wire the backend to the dataplane.
 *   ctl_path  the dataplane's control socket (the appliance file's
 *             dataplane.control_socket, struct l2x_config's
 *             dataplane.control_socket); copied. Shorter than sun_path
 *             (108 bytes).
 *   encap     the tunnel's inner encapsulation, the value of enum
 *             l2x_encap (dataplane/wire.h) that struct l2x_config's
 *             tunnel.encap holds: 0 GRE, 1 VXLAN. Every SA_ADD carries
 *             it; the dataplane refuses an SA for another encapsulation.
 * Call after l2x_ike_kernel_register(). Call it after l2x-ike's start-up
 * self-check (whose get_spi must not depend on a running dataplane) and
 * before charon->start(), and again when a reload changes either value:
 * the connection is reopened at the next call. Does not connect: the
 * dataplane may start later.
 * Returns 0, or -EINVAL (ctl_path NULL or empty, encap not 0 or 1) or
 * -ENAMETOOLONG.
 */
int l2x_ike_kernel_set_ctl(const char *ctl_path, unsigned int encap);

/*
 * Ask the dataplane where the tunnel's ESP goes now (PEER_QUERY; ctlmsg.h,
 * PEER), on the backend's connection, for ike_natmap.h. Never waits and
 * never connects: -EBUSY when a call holds the connection, -ENOTCONN when
 * there is none (the backend's next call opens it). Returns 0 with *addr
 * (host order) and *port, or a negative errno.
 */
int l2x_ike_kernel_peer(uint32_t *addr, uint16_t *port);

/*
 * Copy the call counters into out (zeros before the backend exists). The
 * counters survive the backend, so they can be read after shutdown.
 */
void l2x_ike_kernel_calls(struct l2x_ike_kernel_calls *out);

/* The name of a call ("add_sa"); "?" outside the enum. */
const char *l2x_ike_kernel_call_name(enum l2x_ike_kernel_call c);

#endif /* L2X_IKE_KERNEL_H */
