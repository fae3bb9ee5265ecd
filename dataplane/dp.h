/* SPDX-License-Identifier: MIT */
/*
 * dp.h - the l2x-dataplane appliance context (DESIGN.md, "Processes",
 * "Paths through the dataplane"; GitHub issue 4, MVP).
 *
 * One struct l2x_dp holds everything the process owns: the loaded
 * configuration, the EAL ports (LAN, uplink, and the net_tap exception
 * port that carries the uplink address in the kernel), the mbuf pool, the
 * extended networks with their inner templates, the one MAC table of
 * them all, the outer template towards the peer, the static SAs, and the
 * per-lcore counters.
 *
 * Shape:
 *  - l2x_dp_setup() turns the configuration into EAL arguments, starts the
 *    EAL, creates the pool, the ports and the tables; l2x_dp_run() launches
 *    the worker (fwd.c) on the configured worker lcore and runs the control
 *    loop on the main lcore until l2x_dp_stop() is called (a signal);
 *    l2x_dp_teardown() undoes all of it, wiping the SA keys.
 *  - MVP scope: one worker owns both directions, every port queue, the
 *    outbound SA, the inbound SA table and the reassembly table, so no SA
 *    or queue is shared (DESIGN.md, "Scaling": split by direction first).
 *  - SAs: the configuration's static_sas at setup; SA_ADD, SA_DEL and
 *    SA_QUERY on the control socket (ctl_sa.c) for l2x-ike and tests. One
 *    outbound SA at a time (a new one replaces it), up to
 *    L2X_DP_SA_IN_MAX inbound SAs.
 *
 * Thread-safety (the whole dataplane's rules, STYLE.md 9):
 *  - Control thread (main lcore) writes: the SA pointers (sa_out, and
 *    sa_table rebuilt and swapped; the old ones are freed after
 *    rte_rcu_qsbr_synchronize()), the MAC table's entries (drain,
 *    age, flush: rte_hash LF, deleted positions recycled after an RCU QSBR
 *    grace period, workers report quiescent states between bursts), the
 *    outer template's peer fields (l2x_outer_tmpl_set_peer, seqcount), and
 *    nh_ok (release store once the next-hop MAC is known).
 *  - The worker writes: its counters (single writer, read relaxed by the
 *    control thread), the outer template's IPv4 ID, the SA sequence and
 *    replay state, the reassembly table, and nat_req (a mailbox: the
 *    latest authenticated peer address and port, taken by the control
 *    thread, which applies it to the outer template).
 *  - The network set (dp->nets) is replaced as a whole by the control
 *    thread (setup, NET_ADD, NET_DEL, reload) and freed with the removed
 *    networks after a grace period, when their ids' MACs are flushed
 *    (l2x_fdb_net_flush); the worker loads it once per poll.
 *  - Everything else (templates, ports) is read-only after setup.
 */
#ifndef L2X_DP_H
#define L2X_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "bridge/fdb.h"
#include "control/config.h"
#include "dataplane/encap.h"
#include "dataplane/mtu.h"
#include "dataplane/reasm.h"
#include "ipsec/esp.h"
#include "ipsec/sa.h"
#include "ipsec/sa_table.h"

/* Packets per rx burst and per module call. */
#define L2X_DP_BURST 32
/* The mbuf pool and the reassembly table (dp.c; `make bench` makes the
 * same to print the dataplane's memory). */
#define L2X_DP_POOL_MBUFS 8191u
#define L2X_DP_POOL_CACHE 256u
#define L2X_DP_REASM_DGRAMS 1024u
#define L2X_DP_REASM_FRAGS 64u
/* Fragment mbufs reassembly may hold at once: a quarter of the pool, so
 * forged fragments cannot starve forwarding (reasm.h). */
#define L2X_DP_REASM_HELD (L2X_DP_POOL_MBUFS / 4)
/* NAT-T keepalive period (RFC 3948 section 2.3 suggests 20 s; we also use
 * it to make the kernel resolve the next hop, so it is short). */
#define L2X_DP_KEEPALIVE_S 5
/* BUM policer burst: 50 ms of bum_pps, at least this many frames. */
#define L2X_DP_BUM_BURST_MIN 64u
/* Exception path (to the kernel tap): packets per second and burst. */
#define L2X_DP_EXC_PPS 2000
#define L2X_DP_EXC_BURST 256
/* The tunnel peer's own exception bucket (l2x_fwd_exc_admit): IKE, ICMP
 * from the peer's address and ARP from the next hop, so that a flood from
 * anyone else cannot starve DPD and rekeys (docs/architecture.md,
 * "Exception path: the peer's own bucket"). */
#define L2X_DP_EXC_PEER_PPS 2000
#define L2X_DP_EXC_PEER_BURST 256

/* The dataplane's own drop reasons: _(SYM, key, "text"). */
#define l2x_foreach_dp_drop(_)                                              \
	_(UNKNOWN_VLAN, "unknown_vlan", "VLAN not extended")                \
	_(NO_NETWORK, "no_network", "no network on the access LAN port")    \
	_(UNTAGGED, "untagged", "untagged frame on a trunk LAN port")       \
	_(TAGGED, "tagged", "tagged frame on an access LAN port")           \
	_(SHORT, "short", "frame shorter than its headers")                 \
	_(CHAINED, "chained", "chained mbuf")                               \
	_(NO_SA, "no_sa", "no outbound SA")                                 \
	_(NO_NEXT_HOP, "no_next_hop", "no next hop MAC for the peer yet")   \
	_(HEADROOM, "headroom", "no headroom for the headers")              \
	_(TOO_BIG, "too_big", "packet would exceed 65535 bytes")            \
	_(INNER_ENDPOINT, "inner_endpoint",                                 \
	  "inner endpoints are not the tunnel's")                           \
	_(UNKNOWN_TUNNEL, "unknown_tunnel", "tunnel id not extended")       \
	_(UPLINK_VLAN, "uplink_vlan", "VLAN-tagged frame on the uplink")    \
	_(EXC_RATE, "exception_rate", "exception path over its rate limit") \
	_(EXC_RATE_PEER, "exception_rate_peer",                             \
	  "exception path over the tunnel peer's own rate limit")           \
	_(TX_FULL, "tx_full", "transmit queue full")                        \
	_(DUP_GATEWAY, "dup_gateway",                                       \
	  "ARP for the gateway IP from the side that does not own it")      \
	_(STALE, "stale",                                                   \
	  "queued while the worker was stalled over 1 s: not replayed")

/* Every drop counter, flat: the dataplane's reasons, then each module's
 * (their value 0 is "OK", never counted, so each block starts at 1). */
enum l2x_dp_drop {
	L2X_DP_DROP_NONE = 0,
#define L2X_DP_DROP_ENUM(sym, key, text) L2X_DP_DROP_##sym,
	l2x_foreach_dp_drop(L2X_DP_DROP_ENUM)
#undef L2X_DP_DROP_ENUM
	    L2X_DP_DROP_OWN_MAX,
};
#define L2X_DP_D_ESP L2X_DP_DROP_OWN_MAX
#define L2X_DP_D_OUTER (L2X_DP_D_ESP + L2X_ESP_DROP_MAX)
#define L2X_DP_D_ENCAP (L2X_DP_D_OUTER + L2X_OUTER_ERR_MAX)
#define L2X_DP_D_FRAG (L2X_DP_D_ENCAP + L2X_ENCAP_ERR_MAX)
#define L2X_DP_D_REASM (L2X_DP_D_FRAG + L2X_FRAG_DROP_MAX)
#define L2X_DP_D_FDB (L2X_DP_D_REASM + L2X_REASM_DROP_MAX)
#define L2X_DP_D_MAX (L2X_DP_D_FDB + L2X_FDB_DROP_MAX)

/* Event counters: _(key, "text"). */
#define l2x_foreach_dp_cnt(_)                                         \
	_(rx_lan, "frames received on the LAN port")                  \
	_(rx_uplink, "frames received on the uplink")                 \
	_(rx_tap, "frames received from the kernel (exception path)") \
	_(to_tunnel, "frames sent into the tunnel")                   \
	_(from_tunnel, "frames sent from the tunnel to the LAN")      \
	_(tx_lan, "frames transmitted on the LAN port")               \
	_(tx_uplink, "packets transmitted on the uplink")             \
	_(tx_tap, "frames passed to the kernel (exception path)")     \
	_(tap_peer, "peer frames passed to the kernel (own rate)")    \
	_(fragmented, "outer packets fragmented")                     \
	_(frag_extra, "outer fragments created beyond the first")     \
	_(frag_held, "outer fragments held for reassembly")           \
	_(reassembled, "outer packets reassembled")                   \
	_(keepalive, "NAT-T keepalives absorbed")                     \
	_(mss_clamped, "TCP SYNs with the MSS clamped")               \
	_(nat_update, "peer address or port changes seen")            \
	_(drops, "frames dropped (see show drops)")

enum l2x_dp_cnt {
#define L2X_DP_CNT_ENUM(key, text) L2X_DP_CNT_##key,
	l2x_foreach_dp_cnt(L2X_DP_CNT_ENUM)
#undef L2X_DP_CNT_ENUM
	    L2X_DP_CNT_MAX
};

/* Counters of one lcore; written by it only (plain stores of a single
 * writer), read by the control thread with relaxed loads.
 *
 * Every mbuf a worker receives or creates ends in exactly one counter, so
 * that (STYLE.md 3):
 *
 *   rx_lan + rx_uplink + rx_tap + frag_extra
 *     = tx_lan + tx_uplink + tx_tap + keepalive + frag_held + drops
 *
 * tx_* count what the port accepted (the rest is the drop TX_FULL); a held
 * fragment counts once, when the table takes it (a reassembled packet
 * continues as the fragment that completed it); drops is the sum of
 * drop[]. to_tunnel, from_tunnel, fragmented, reassembled, mss_clamped,
 * nat_update and tap_peer (frames from the peer admitted to the exception
 * path by its own bucket) are events, outside the balance. */
struct l2x_dp_stats {
	uint64_t cnt[L2X_DP_CNT_MAX];
	uint64_t drop[L2X_DP_D_MAX];
} __rte_cache_aligned;

/* Key ("esp.auth", "unknown_vlan") and text of every flat drop index;
 * NULL for the unused 0 of each block. Filled by l2x_dp_setup(). */
extern const char *l2x_dp_drop_key[L2X_DP_D_MAX];
extern const char *l2x_dp_drop_text[L2X_DP_D_MAX];
extern const char *const l2x_dp_cnt_key[L2X_DP_CNT_MAX];
extern const char *const l2x_dp_cnt_text[L2X_DP_CNT_MAX];

/*
 * One extended network. Created by the control thread (setup, NET_ADD,
 * reload) and never changed afterwards but for the gateway mailbox;
 * freed after an RCU grace period once no published network set holds
 * it. Its MACs are in the dataplane's one MAC table (dp->fdb) under its
 * slot: the network id, and its index in every set it is part of.
 */
struct l2x_dp_net {
	char name[L2X_CONFIG_NAME_LEN];
	uint16_t vlan;
	uint16_t slot; /* network id: 0..L2X_DP_NET_SLOTS-1 */
	uint64_t fkey; /* l2x_fdb_nkey(slot, NULL): ORed into MAC keys */
	uint32_t tunnel_id;
	bool clamp; /* mss clamping on */
	struct l2x_mss_clamp mss;
	struct l2x_inner_tmpl inner;
	/* Gateway consistency (DESIGN.md, "Bridge semantics"): the gateway's
	 * IPv4 address (0: none) and the side that owns it. An ARP packet
	 * whose sender IP is gw_ip arriving from the other side is dropped
	 * (DUP_GATEWAY); one from gw_side pins its sender MAC there. */
	rte_be32_t gw_ip;
	enum l2x_side gw_side;
	/* The network as configured (file or NET_ADD; mac_limit effective):
	 * what a reload compares. Control thread. */
	struct l2x_config_network cfg;
	uint64_t gw_pinned; /* control thread: pinned fdb key, 0: none */
	/* Worker -> control mailbox: the gateway MAC seen in a legitimate
	 * ARP (l2x_dp_gw_word), taken by the control thread, which pins it
	 * in the fdb (L2X_FDB_F_GATEWAY). gw_seen is the worker's last
	 * posted word. */
	uint64_t gw_req __rte_cache_aligned;
	uint64_t gw_seen;
	/* The worker's BUM policers (bridge.bum_pps), one per side the
	 * floods come from (enum l2x_side). Worker only. */
	struct l2x_fdb_tb bum[2];
};

/*
 * The set of extended networks the worker sees: immutable once published
 * (dp->nets, one atomic pointer), replaced as a whole by the control
 * thread (l2x_dp_nets_set, l2x_dp_net_add, l2x_dp_net_del) so that adding
 * or removing one network never touches the others' entries or MACs. The
 * worker loads the pointer once per poll round.
 *
 * Networks sit at their slot (net[slot]), which they keep for their life,
 * so a set is copied with the change made: 4094 networks are a 170 KiB
 * copy and an index rebuild, well under a millisecond (make bench). The
 * slots number twice the most networks, so a reload that replaces every
 * network finds a slot for each new one while the old ones still hold
 * theirs. Both lookups are one load from a direct table (VLAN) or a short
 * probe in a half-empty one (tunnel id), whatever the number of networks.
 */
#define L2X_DP_NO_NET 0xffffu
#define L2X_DP_NET_SLOTS 8192u /* >= 2 * L2X_CONFIG_NETWORKS_MAX */
#define L2X_DP_TID_SLOTS 8192u /* >= 2 * L2X_CONFIG_NETWORKS_MAX, power 2 */
#define L2X_DP_TID_SHIFT 19u   /* 32 - log2(L2X_DP_TID_SLOTS) */
_Static_assert(L2X_DP_NET_SLOTS >= 2 * L2X_CONFIG_NETWORKS_MAX &&
		   L2X_DP_NET_SLOTS < L2X_DP_NO_NET,
	       "network slots");
_Static_assert(L2X_DP_TID_SLOTS >= 2 * L2X_CONFIG_NETWORKS_MAX &&
		   (1u << (32 - L2X_DP_TID_SHIFT)) == L2X_DP_TID_SLOTS,
	       "tunnel id slots");
struct l2x_dp_nets {
	uint32_t n;	 /* networks in the set */
	uint16_t access; /* access port: the network's slot, or NO_NET */
	uint16_t vlan2net[4096]; /* VLAN id -> slot, L2X_DP_NO_NET: none */
	struct {
		uint32_t tid;
		uint16_t net; /* slot; L2X_DP_NO_NET: empty */
	} tid2net[L2X_DP_TID_SLOTS];
	struct l2x_dp_net *net[L2X_DP_NET_SLOTS]; /* by slot, NULL: free */
};

/* The home slot of a tunnel id in tid2net (Fibonacci hashing); probing
 * goes on linearly. */
static inline uint32_t l2x_dp_tid_home(uint32_t tid)
{
	return (tid * 0x9e3779b1u) >> L2X_DP_TID_SHIFT;
}

/* The slot of the network with tunnel id tid, or L2X_DP_NO_NET. At most
 * half the table is used, so a miss ends at an empty entry soon. Any
 * thread. */
static inline uint16_t l2x_dp_tid_lookup(const struct l2x_dp_nets *ns,
					 uint32_t tid)
{
	uint32_t i = l2x_dp_tid_home(tid);

	for (uint32_t d = 0; d < L2X_DP_TID_SLOTS; d++) {
		uint32_t s = (i + d) & (L2X_DP_TID_SLOTS - 1);

		if (ns->tid2net[s].net == L2X_DP_NO_NET)
			return L2X_DP_NO_NET;
		if (ns->tid2net[s].tid == tid)
			return ns->tid2net[s].net;
	}
	return L2X_DP_NO_NET;
}

/* Inbound SAs at once (static and SA_ADD): two per rekey overlap. */
#define L2X_DP_SA_IN_MAX 64u
/* SPIs handed out by SPI_ALLOC and not yet installed or released: at
 * most this many, each for at most this long (then forgotten). */
#define L2X_DP_SPI_PENDING_MAX 64u
#define L2X_DP_SPI_PENDING_S 300u
/* An SA past its hard seconds by this much is removed (l2x_ctl_sa_tick). */
#define L2X_DP_SA_REAP_S 10u

struct l2x_ctl;
struct l2x_nh;

struct l2x_dp {
	/* --- read-only after setup ----------------------------------------*/
	const struct l2x_config *cfg;
	uint16_t lan_port, up_port, tap_port;
	unsigned int worker_lcore;
	bool trunk;
	struct rte_mempool *pool;
	uint64_t hz; /* TSC ticks per second */
	rte_be32_t local_ip, peer_ip_cfg;
	rte_be32_t gw_ip_cfg; /* the uplink's gateway, 0: none */
	rte_be32_t inner_local, inner_remote;
	struct rte_ether_addr up_mac;
	struct l2x_mtu_plan plan;
	/* The extended networks: published (atomic pointer), replaced by
	 * the control thread, freed after a QSBR grace period. */
	struct l2x_dp_nets *nets;
	/* Their MACs: one table, keyed by (slot, MAC); the pointer is
	 * read-only after setup, the entries as bridge/fdb.h says. */
	struct l2x_fdb *fdb;
	/* SAs: the control thread replaces them (static SAs at setup, SA_ADD
	 * and SA_DEL later) and frees the old ones after a QSBR grace
	 * period; the worker loads sa_out and sa_table once per burst. */
	struct l2x_sa *sa_out;			/* published (atomic pointer) */
	struct l2x_sa *sa_in[L2X_DP_SA_IN_MAX]; /* control thread's list */
	uint32_t n_sa_in;
	struct {
		uint32_t spi;
		uint64_t since_s;
	} spi_pend[L2X_DP_SPI_PENDING_MAX]; /* SPI_ALLOC, control thread */
	uint32_t n_spi_pend;
	struct l2x_sa_table *sa_table; /* published (atomic pointer) */
	struct rte_rcu_qsbr *qsbr;
	char tap_name[16];

	/* --- shared between the threads -----------------------------------*/
	struct l2x_outer_tmpl outer; /* peer fields: control thread */
	uint8_t nh_ok;		     /* release/acquire */
	volatile int stop;	     /* set by a signal: everybody stops */
	uint64_t nat_req __rte_cache_aligned; /* worker -> control mailbox */

	/* --- worker only ---------------------------------------------------*/
	struct l2x_reasm *reasm;
	struct l2x_fdb_lcore fdb_lc;
	struct l2x_fdb_tb exc_tb;      /* the exception path: everybody */
	struct l2x_fdb_tb exc_peer_tb; /* ... but the peer (fwd.c) */
	uint64_t nat_seen; /* last address/port posted, as in nat_req */
	struct l2x_dp_stats st;

	/* --- control thread only -------------------------------------------*/
	struct l2x_ctl *ctl;
	struct l2x_nh *nh;
	bool eal_up;
	unsigned int ports_up; /* LAN, uplink, tap: how many started */
	/* net_af_packet ports (LAN 0, uplink 1): the kernel interface and
	 * its rx_packets less the port's ipackets when it started; the PMD
	 * does not count what its full ring lost (l2x_dp_afp_missed). */
	struct {
		char ifname[16];
		uint64_t base;
	} afp[2];
	int ka_fd; /* NAT-T keepalive socket */
	rte_be32_t nh_ip;
	struct rte_ether_addr nh_mac;
	uint64_t nat_updates;
	char cfg_path[L2X_CONFIG_PATH_LEN]; /* what a reload reads */
	volatile int reload;		    /* set by SIGHUP */
	uint64_t reloads, reloads_refused;
};

/* Frames a net_af_packet port (0 LAN, 1 uplink) lost in its full receive
 * ring since it started: the kernel interface's rx_packets less what the
 * port delivered (frames still in the ring count until the worker takes
 * them, so exact when the port is idle). -1: not an af_packet port or
 * unreadable. Control thread (reads sysfs). */
int64_t l2x_dp_afp_missed(const struct l2x_dp *dp, unsigned int i);

/* NAT mailbox word: valid bit, address (network order) and port (host). */
#define L2X_DP_NAT_VALID (1ull << 63)
static inline uint64_t l2x_dp_nat_word(rte_be32_t ip, uint16_t port)
{
	return L2X_DP_NAT_VALID | ((uint64_t)ip << 16) | port;
}

/* Gateway mailbox word: valid bit and the MAC's fdb key (l2x_fdb_key). */
#define L2X_DP_GW_VALID (1ull << 63)
static inline uint64_t l2x_dp_gw_word(uint64_t mac_key)
{
	return L2X_DP_GW_VALID | mac_key;
}

/* Fill l2x_dp_drop_key[] and l2x_dp_drop_text[] (idempotent). */
void l2x_dp_name_drops(void);

/* Parse the arguments, load the configuration and start everything. On
 * failure prints why to stderr and returns -1 (bad configuration or
 * arguments: 1 is the exit status). Main. */
int l2x_dp_setup(struct l2x_dp *dp, int argc, char **argv);

/* Launch the worker and run the control loop until l2x_dp_stop().
 * Returns 0. Main lcore. */
int l2x_dp_run(struct l2x_dp *dp);

/* Ask every thread to stop. Async-signal-safe. */
void l2x_dp_stop(struct l2x_dp *dp);

/* Ask the control thread to reload the configuration. Async-signal-safe. */
void l2x_dp_request_reload(struct l2x_dp *dp);

/* Stop ports, free everything, wipe keys, unlink the socket. Main. */
void l2x_dp_teardown(struct l2x_dp *dp);

/* The worker (fwd.c): lcore_function_t for rte_eal_remote_launch, arg is
 * the struct l2x_dp. Returns 0 when dp->stop is set. */
int l2x_fwd_main(void *arg);

/* One poll round of the worker: a burst from each port (LAN, uplink,
 * tap) taken and forwarded, at TSC time now. Returns the frames taken.
 * The worker's loop calls it, then reports its quiescent state; so may a
 * benchmark or a test that drives ports of its own (net_ring). One
 * caller at a time (fwd.c). */
unsigned int l2x_fwd_round(struct l2x_dp *dp, uint64_t now);

/*
 * Read and remove the 802.1Q tag of a LAN frame, inline in the data or
 * stripped into the mbuf (RX_VLAN_STRIPPED: vlan_tci, the flags cleared
 * here); PCP and DEI are ignored. Trunk port: the slot of the tag's
 * VLAN's network; access port: the network's slot for an untagged frame.
 * Otherwise a drop
 * reason ORed with L2X_FWD_DROP_BIT: CHAINED, SHORT, TAGGED (access),
 * NO_NETWORK (access, none configured), UNTAGGED or UNKNOWN_VLAN (trunk).
 * The worker, per packet (fwd.c).
 */
#define L2X_FWD_DROP_BIT 0x10000u
uint32_t l2x_fwd_lan_classify(const struct l2x_dp *dp,
			      const struct l2x_dp_nets *ns, struct rte_mbuf *m);

/*
 * May an uplink frame go to the kernel (the exception path) now? Frames
 * from the tunnel peer take their own token bucket (exc_peer_tb), all
 * others the shared one (exc_tb), so that a flood from spoofed addresses
 * cannot starve the peer's IKE (DPD, rekeys). From the peer means: IPv4
 * from the configured peer address or from the address the outer
 * template sends to (the installed SAs' peer, as SA_ADD and NAT following
 * moved it), or ARP whose sender is one of those or the uplink's gateway
 * (the kernel resolves the next hop for IKE through it). Admitted peer
 * frames count as tap_peer.
 *   p, len: the frame as received (l2x_outer_parse's input)
 *   oi:     what l2x_outer_parse found in it (L2X_OUTER_OK)
 *   now:    TSC ticks (the buckets' clock)
 * Returns 0 to pass it on, else the drop reason: L2X_DP_DROP_EXC_RATE or
 * L2X_DP_DROP_EXC_RATE_PEER. The worker, per packet (fwd.c).
 */
unsigned int l2x_fwd_exc_admit(struct l2x_dp *dp, const uint8_t *p,
			       uint32_t len, const struct l2x_outer_info *oi,
			       uint64_t now);

/*
 * Make the running networks exactly want[0..n): a network whose name and
 * settings are unchanged keeps its entry, slot and MACs; a changed one is
 * replaced (its MACs are learned again); the others are removed or
 * created. All or nothing: the whole set is checked (unique names, VLANs
 * and tunnel ids, the VXLAN VNI range, MAC limits, one network on an
 * access port, at most L2X_CONFIG_NETWORKS_MAX) and every new network made
 * before one atomic switch; on error nothing changed. O(n log n): 4094
 * networks load in milliseconds. Returns 0, or a positive errno (EINVAL,
 * EEXIST, ENOSPC, ENOMEM) with a sentence in err. Waits for an RCU grace
 * period of the worker before flushing the MACs of what went and freeing
 * it. Control thread (dp_net.c).
 */
int l2x_dp_nets_set(struct l2x_dp *dp, const struct l2x_config_network *want,
		    uint32_t n, char *err, size_t errlen);

/*
 * One network more (NET_ADD) or one less (NET_DEL, by name, or by VLAN
 * when name is NULL or ""), checked against the running ones as
 * l2x_dp_nets_set() checks a whole list; the others keep their entries
 * and MACs and never see the change (the set is copied with it and
 * published at once). Returns 0, or a positive errno (EINVAL, EEXIST,
 * ENOSPC, ENOMEM; ENOENT for a delete of no network) with a sentence in
 * err. Control thread (dp_net.c).
 */
int l2x_dp_net_add(struct l2x_dp *dp, const struct l2x_config_network *cn,
		   char *err, size_t errlen);
int l2x_dp_net_del(struct l2x_dp *dp, const char *name, uint16_t vlan,
		   char *err, size_t errlen);

/* The network named name in the running set, or NULL. Control thread. */
struct l2x_dp_net *l2x_dp_net_find(const struct l2x_dp *dp, const char *name);

/* Free every network and the set (teardown; no worker runs). */
void l2x_dp_nets_free(struct l2x_dp *dp);

/* The dataplane's one MAC table (dp->fdb): bridge.mac_table_size entries
 * for all networks, an id per network slot, bridge.aging, the worker's
 * QSBR (dp->qsbr, which may be NULL in tests). Returns 0 or -errno of
 * l2x_fdb_create(). Control thread, setup (dp.c). */
int l2x_dp_fdb_create(struct l2x_dp *dp);

/* Re-read the configuration file and apply it (SIGHUP, CONFIG_RELOAD):
 * the networks as l2x_dp_nets_set(); anything else that differs from the
 * running configuration (ports, addresses, lcores, the peer, the tunnel,
 * static SAs) refuses the whole reload, which a restart applies. Returns
 * 0, or a positive errno with a sentence in err; on error the running
 * configuration stays. Control thread (dp_net.c). */
int l2x_dp_reload(struct l2x_dp *dp, char *err, size_t errlen);

/* Sum of the counters (all lcores). Any thread: relaxed loads (the
 * control thread and DPDK's telemetry threads call it). */
void l2x_dp_stats_sum(const struct l2x_dp *dp, struct l2x_dp_stats *out);

/* Control-thread time in whole seconds (the clock of the MAC table). */
uint64_t l2x_dp_now_s(const struct l2x_dp *dp);

#endif /* L2X_DP_H */
