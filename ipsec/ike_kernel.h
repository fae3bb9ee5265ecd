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
 * What the backend does today (issue 5 wires the rest):
 *   get_spi           a random SPI in 256..2^32-1 (RFC 4303 section 2.1
 *                     reserves 1..255, 0 is never sent) from the rng given
 *                     at registration; returned in network order, as
 *                     charon expects.
 *   get_features      KERNEL_REQUIRE_UDP_ENCAPSULATION: l2x sends ESP in
 *                     UDP 4500 always (RFC 3948), NAT or not, so charon
 *                     forces encapsulation as it does for libipsec.
 *   bypass_socket     TRUE: l2x installs no policy in the kernel, so IKE
 *                     sockets need no bypass.
 *   enable_udp_decap  TRUE: socket-default strips and adds the non-ESP
 *                     marker on 4500 itself, and ESP never reaches the
 *                     kernel (it is the dataplane's).
 *   get_cpi           NOT_SUPPORTED: no IPComp.
 *   add_sa, update_sa, query_sa, del_sa, flush_sas, add_policy,
 *   query_policy, del_policy, flush_policies
 *                     refused (FAILED or NOT_SUPPORTED), each with the log
 *                     line "l2x-ike: <call>: the dataplane control socket
 *                     is not wired yet (issue 5)". Nothing pretends
 *                     success: a CHILD_SA charon believes installed would
 *                     carry no packet.
 * Keys are never logged: add_sa's enc_key/int_key are not read at all.
 *
 * Thread-safety: charon calls the backend from its worker threads at any
 * time; the call counters are atomics. l2x_ike_kernel_register() and
 * l2x_ike_kernel_calls() may be called from any thread; registration
 * happens once, before charon->initialize().
 *
 * Only ipsec/ike_*.c include strongSwan headers (STYLE.md 1): this header
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
 * Copy the call counters into out (zeros before the backend exists). The
 * counters survive the backend, so they can be read after shutdown.
 */
void l2x_ike_kernel_calls(struct l2x_ike_kernel_calls *out);

/* The name of a call ("add_sa"); "?" outside the enum. */
const char *l2x_ike_kernel_call_name(enum l2x_ike_kernel_call c);

#endif /* L2X_IKE_KERNEL_H */
