/* SPDX-License-Identifier: MIT */
/*
 * fdb.h - the MAC table of the extended networks (DESIGN.md, "Bridge
 * semantics"; STYLE.md 10).
 *
 * One table holds the MACs of every network of the appliance: (network,
 * MAC) -> side (the LAN port or the tunnel), when it was last seen, how
 * often it moved, and flags (static, gateway, flapping). The bridge asks
 * it two questions per frame: where does the source live (learning), and
 * where does the destination go (forwarding with split horizon). An
 * appliance bridges between exactly two sides, so a side is one bit.
 *
 * Shape, and why:
 *
 * - One table for all networks, not one per network (GitHub issue 10:
 *   4094 networks per appliance). A table per network must be sized for
 *   that network's MAC limit up front: measured, 376 KiB of DPDK memory
 *   per table of 4096 entries (1.5 GiB for 4094, for MACs that mostly
 *   never come), and three DPDK memzones each, so DPDK refused the
 *   ~840th table (RTE_MAX_MEMZONE; docs/architecture.md, "MAC
 *   learning"). One table sized for the appliance (capacity, the global
 *   bound) costs what its entries cost, whatever the number of networks,
 *   and a network added or removed creates or frees no table. Each
 *   network keeps its own bound (its MAC limit), counted here per
 *   network id.
 *
 * - Storage is a DPDK rte_hash created with RTE_HASH_EXTRA_FLAGS_RW_
 *   CONCURRENCY_LF: lookups take no lock and see either the old or the new
 *   table while the single writer (the control thread) adds and deletes.
 *   RTE_HASH_EXTRA_FLAGS_EXT_TABLE makes the capacity exact (no cuckoo
 *   insert failure below it), so the MAC limit and "table full" are
 *   predictable. The entries live in a preallocated array indexed by the
 *   key position rte_hash_add_key() returns: rte_hash_lookup_bulk() yields
 *   positions and the entry is one indexed load away, no pointer to chase.
 *
 * - The key is 8 bytes: the MAC's 6 bytes, then the network id's 2
 *   (l2x_fdb_nkey). It costs nothing: rte_hash rounds each key slot to 16
 *   bytes either way (8-byte header + key, KEY_ALIGNMENT 16), and a worker
 *   makes it with one OR of the network's constant into the MAC. It buys a
 *   compare that is one 64-bit equality (set with rte_hash_set_cmp_func
 *   instead of memcmp), a hash that is one CRC32 instruction
 *   (rte_hash_crc_8byte), and a key the worker can keep in a register and
 *   pass by value. The same MAC in two networks is two entries.
 *
 * - Network ids are the caller's (the dataplane's network slots,
 *   0..nets-1). An id has a MAC limit (l2x_fdb_net_limit) and counts of
 *   its entries. When a network goes, l2x_fdb_net_flush() empties its id
 *   (after the workers stopped using it) so that the id can serve another
 *   network: nothing of the old one stays behind, not even a learn request
 *   still on the ring.
 *
 * - Each entry's side, flags and "valid" bit share one byte (state), read
 *   with acquire and changed with compare-and-swap, so a reader never sees
 *   the side of one write with the flags of another, and a worker's move
 *   can never resurrect an entry the control thread just deleted.
 *
 * - Workers never insert. rte_hash LF allows one writer, and that is the
 *   control thread. A worker that meets an unknown source puts a learn
 *   request (key, side, now) on a multi-producer/single-consumer rte_ring;
 *   the control thread inserts it in l2x_fdb_drain(), where the MAC limits
 *   are enforced. The frame itself is flooded meanwhile, as for any unknown
 *   MAC; a full ring loses the request (counted) and the next frame asks
 *   again. Workers do update entries that exist: refresh last-seen (only
 *   when the coarse second changed, so the cache line stays clean, as
 *   Linux br_fdb.c does) and move the side (only on a real move, counted).
 *   This makes a VM that migrated (RARP/GARP after vMotion) switch sides on
 *   its first frame, without waiting for the control thread.
 *
 * - Static and gateway entries are pinned: they never move and never age. A
 *   frame that claims a pinned MAC from the other side is a conflict (a
 *   second gateway answering, a spoofer or a loop): it is reported so the
 *   caller drops it.
 *
 * - Loops are a real risk on stretched L2: a MAC that moves more than
 *   flap_moves times within flap_window_s seconds gets the FLAPPING flag and
 *   is counted once (flaps). l2x_fdb_age() clears the flag after a quiet
 *   window.
 *
 * - Deleted positions are not reused while a reader may still hold them:
 *   with an RCU QSBR variable, l2x_fdb_del/age/flush put the position on a
 *   deferred list with a token from rte_rcu_qsbr_start(), and it returns to
 *   rte_hash (rte_hash_free_key_with_position) once rte_rcu_qsbr_check()
 *   says every reader passed a quiescent state. Without a QSBR variable
 *   (single-threaded use, tests) positions are freed at once. A deleted
 *   entry's state is cleared first, so a reader that still finds its key in
 *   a bucket treats it as a miss.
 *
 * - Time comes from outside (STYLE.md 11). now_s is a monotonic count of
 *   seconds from any origin; entries keep it modulo 2^32 and compare with
 *   wrap-safe differences, so only intervals below 68 years matter. The
 *   token bucket takes now in ticks of a rate the caller states (TSC cycles
 *   with rte_get_tsc_hz(), or nanoseconds with 1e9).
 *
 * Thread-safety:
 *
 * - Control thread only (one thread per table, never concurrently with
 *   itself): l2x_fdb_create, _destroy, _drain, _age, _add_static, _del,
 *   _flush, _net_limit, _net_flush, _get, _walk, _stats, _net_stats. They
 *   may run while workers look up and learn. Destroy only after every
 *   worker stopped using the table (take it out of the workers' view, then
 *   wait a grace period); the same for _net_flush and the network's id.
 * - Any lcore, lock-free, no allocation (bridge/fdb_fast.c):
 *   l2x_fdb_lookup_bulk, _learn_bulk, _forward_bulk, _forward. Workers that
 *   use a table created with a QSBR variable must be registered on it and
 *   report quiescent states between bursts (rte_rcu_qsbr_quiescent), or
 *   deleted positions are never reused.
 * - struct l2x_fdb_lcore and struct l2x_fdb_tb belong to one lcore each
 *   (the caller's memory): only that lcore writes them; l2x_fdb_stats()
 *   reads the counters with relaxed atomic loads.
 * - Two workers may update the same entry (one learns it local, the other
 *   remote: the flapping case). The side changes by compare-and-swap; the
 *   move counter by atomic add; the flap window fields are best-effort
 *   under such a race.
 */
#ifndef L2X_FDB_H
#define L2X_FDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

/* Longest table name, with its NUL. The name is used in the rte_hash and
 * rte_ring names, which DPDK prefixes (RG_HT_EXT_...) within 32 bytes. */
#define L2X_FDB_NAME_MAX 16
/* Smallest capacity: one rte_hash bucket (RTE_HASH_BUCKET_ENTRIES). */
#define L2X_FDB_CAPACITY_MIN 8
#define L2X_FDB_CAPACITY_MAX (1u << 24)
/* Ageing time: IEEE 802.1D's recommended default, and Linux's. */
#define L2X_FDB_AGING_DEFAULT 300
#define L2X_FDB_AGING_MAX 1000000
#define L2X_FDB_RING_DEFAULT 1024
#define L2X_FDB_RING_MAX (1u << 20)
#define L2X_FDB_FLAP_MOVES_DEFAULT 5
#define L2X_FDB_FLAP_MOVES_MAX 254
#define L2X_FDB_FLAP_WINDOW_DEFAULT 10
#define L2X_FDB_FLAP_WINDOW_MAX 3600
/* Network ids a table can count: 0..nets-1, nets at most this (16 bits of
 * the key). */
#define L2X_FDB_NETS_MAX 65536u
/* "Every network" for l2x_fdb_flush and l2x_fdb_walk. */
#define L2X_FDB_NET_ALL UINT32_MAX
/* Largest burst of the bulk functions: one bit of a uint64_t mask per
 * frame, and rte_hash_lookup_bulk's own limit. */
#define L2X_FDB_BURST_MAX RTE_HASH_LOOKUP_BULK_MAX

/* A table; its layout is at the end of this header, for fdb*.c only. */
struct l2x_fdb;

/* The two sides of the bridge. */
enum l2x_side {
	L2X_SIDE_LAN = 0,    /* the LAN port (trunk or access) */
	L2X_SIDE_TUNNEL = 1, /* the tunnel to the peer appliance */
};

/* Entry flags, as l2x_fdb_lookup_bulk, _get and _walk report them. */
#define L2X_FDB_F_STATIC 0x02	/* configured: never moves, never ages */
#define L2X_FDB_F_GATEWAY 0x04	/* the network's gateway MAC, pinned */
#define L2X_FDB_F_FLAPPING 0x08 /* moved too often lately (loop?) */
#define L2X_FDB_F_PINNED (L2X_FDB_F_STATIC | L2X_FDB_F_GATEWAY)

/* Why the bridge drops a frame: the enum, the JSON key, the text that
 * `l2xctl show stats` prints. The fdb functions report the reason; the
 * caller drops the frame and counts it. */
#define l2x_foreach_fdb_drop(_)                                             \
	_(SRC_INVALID, "src_invalid", "source MAC is multicast or zero")    \
	_(SRC_CONFLICT, "src_conflict",                                     \
	  "source MAC is static or gateway on the other side")              \
	_(SAME_SIDE, "same_side",                                           \
	  "destination is on the side the frame came from (split horizon)") \
	_(BUM_RATE, "bum_rate", "flood over the BUM rate limit")

enum l2x_fdb_drop {
#define L2X_FDB_DROP_ENUM(sym, key, text) L2X_FDB_DROP_##sym,
	l2x_foreach_fdb_drop(L2X_FDB_DROP_ENUM)
#undef L2X_FDB_DROP_ENUM
	    L2X_FDB_DROP_MAX
};
extern const char *const l2x_fdb_drop_key[L2X_FDB_DROP_MAX];
extern const char *const l2x_fdb_drop_text[L2X_FDB_DROP_MAX];

/* Where a frame goes (l2x_fdb_forward). Split horizon: what came from the
 * LAN never goes back to the LAN, what came from the tunnel never goes back
 * into a tunnel. */
enum l2x_fdb_fwd {
	L2X_FDB_FWD_DROP = 0,	  /* destination on the ingress side */
	L2X_FDB_FWD_LAN,	  /* known unicast, to the LAN */
	L2X_FDB_FWD_TUNNEL,	  /* known unicast, into the tunnel */
	L2X_FDB_FWD_FLOOD_LAN,	  /* unknown or BUM from the tunnel */
	L2X_FDB_FWD_FLOOD_TUNNEL, /* unknown or BUM from the LAN: police it */
};

/* Creation parameters. Fields left 0 take the default named. */
struct l2x_fdb_prm {
	const char *name;	   /* 1..L2X_FDB_NAME_MAX-1 chars, unique */
	uint32_t capacity;	   /* entries of all networks together,
				      L2X_FDB_CAPACITY_MIN..._MAX */
	uint32_t nets;		   /* network ids 0..nets-1; 0: 1 */
	uint32_t mac_limit;	   /* each network's dynamic entries at
				      most, until l2x_fdb_net_limit();
				      0: capacity */
	uint32_t aging_s;	   /* 0: L2X_FDB_AGING_DEFAULT */
	uint32_t learn_ring;	   /* learn requests queued; 0: default */
	uint16_t flap_moves;	   /* flapping above this many moves ... */
	uint16_t flap_window_s;	   /* ... within this many seconds */
	int socket;		   /* NUMA socket or SOCKET_ID_ANY */
	struct rte_rcu_qsbr *qsbr; /* workers' QSBR; NULL: free at once */
};

/* Per-lcore event counters, in the caller's memory (one per lcore, or per
 * lcore and network). Written only by its lcore. */
struct l2x_fdb_lcore {
	uint64_t queued;      /* learn requests put on the ring */
	uint64_t ring_full;   /* learn requests lost: ring full */
	uint64_t moves;	      /* entries moved to the other side */
	uint64_t flaps;	      /* entries that became FLAPPING */
	uint64_t conflicts;   /* frames claiming a pinned MAC */
	uint64_t src_invalid; /* multicast or zero source MACs */
} __rte_cache_aligned;

/* A table's counters, summed over the control thread and the lcores given
 * (l2x_fdb_stats). One X-macro yields the fields and their names. */
#define l2x_foreach_fdb_stat(_)                                      \
	_(entries, "MAC entries")                                    \
	_(statics, "static and gateway entries")                     \
	_(learned, "entries learned")                                \
	_(aged, "entries aged out")                                  \
	_(deleted, "entries deleted or flushed")                     \
	_(moves, "moves between LAN and tunnel")                     \
	_(flaps, "MACs flagged as flapping")                         \
	_(conflicts, "frames claiming a static or gateway MAC")      \
	_(src_invalid, "frames with a multicast or zero source MAC") \
	_(limit_refused, "learns refused: MAC limit")                \
	_(full_refused, "learns refused: table full")                \
	_(queued, "learn requests queued")                           \
	_(ring_full, "learn requests lost: ring full")               \
	_(pending_free, "deleted positions waiting for a grace period")

struct l2x_fdb_stats {
#define L2X_FDB_STAT_FIELD(f, text) uint64_t f;
	l2x_foreach_fdb_stat(L2X_FDB_STAT_FIELD)
#undef L2X_FDB_STAT_FIELD
};

/* Name, text and offset in struct l2x_fdb_stats of each counter, in
 * X-macro order; L2X_FDB_STAT_COUNT of them. */
struct l2x_fdb_stat_desc {
	const char *key;
	const char *text;
	size_t offset;
};
#define L2X_FDB_STAT_COUNT (sizeof(struct l2x_fdb_stats) / sizeof(uint64_t))
extern const struct l2x_fdb_stat_desc l2x_fdb_stat_desc[L2X_FDB_STAT_COUNT];

/* One network's counters (l2x_fdb_net_stats). */
struct l2x_fdb_net_stats {
	uint64_t entries;	/* dynamic and pinned */
	uint64_t statics;	/* pinned */
	uint64_t mac_limit;	/* its bound on dynamic entries */
	uint64_t limit_refused; /* learns refused by that bound */
};

/* One entry as the control thread shows it. */
struct l2x_fdb_info {
	uint32_t net; /* network id */
	struct rte_ether_addr mac;
	enum l2x_side side;
	uint8_t flags;	/* L2X_FDB_F_* */
	uint32_t age_s; /* now_s - last seen, 0 if seen "in the future" */
	uint32_t moves; /* since the entry was created */
};

/* What a lookup found for one key. */
struct l2x_fdb_res {
	uint8_t side;  /* enum l2x_side */
	uint8_t flags; /* L2X_FDB_F_* */
};

/* Token bucket for BUM (broadcast, unknown unicast, multicast) floods, one
 * per lcore (and network) in the caller's memory. Credit is kept in
 * tokens * hz so that refill is one multiplication: rate credits per tick. */
struct l2x_fdb_tb {
	uint64_t credit; /* tokens * hz */
	uint64_t cap;	 /* burst * hz */
	uint64_t rate;	 /* tokens (packets) per second; 0: no limit */
	uint64_t hz;	 /* ticks of now per second */
	uint64_t fill;	 /* ticks to fill an empty bucket */
	uint64_t last;	 /* now at the previous refill */
};

/* --- keys ---------------------------------------------------------------*/

/* The table key of a MAC in network 0: its 6 bytes, in order, then two
 * zero bytes (the network id). */
static inline uint64_t l2x_fdb_key(const struct rte_ether_addr *mac)
{
	uint64_t k = 0;

	memcpy(&k, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	return k;
}

/* The key of a MAC in network nid (< L2X_FDB_NETS_MAX): the MAC's bytes,
 * then nid's two. The bytes do not overlap, so a worker ORs the key of
 * l2x_fdb_nkey(nid, NULL) (the network's constant) into l2x_fdb_key(). */
static inline uint64_t l2x_fdb_nkey(uint32_t nid,
				    const struct rte_ether_addr *mac)
{
	uint16_t id = (uint16_t)nid;
	uint64_t k = 0;

	if (mac != NULL)
		memcpy(&k, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	memcpy((uint8_t *)&k + RTE_ETHER_ADDR_LEN, &id, sizeof(id));
	return k;
}

/* The network id of a key. */
static inline uint32_t l2x_fdb_key_net(uint64_t key)
{
	uint16_t id;

	memcpy(&id, (const uint8_t *)&key + RTE_ETHER_ADDR_LEN, sizeof(id));
	return id;
}

/* The key without its network id: the MAC alone (l2x_fdb_key's form). */
static inline uint64_t l2x_fdb_key_strip(uint64_t key)
{
	return key & ~l2x_fdb_nkey(0xffff, NULL);
}

static inline void l2x_fdb_key_mac(uint64_t key, struct rte_ether_addr *mac)
{
	memcpy(mac->addr_bytes, &key, RTE_ETHER_ADDR_LEN);
}

/* Group (multicast or broadcast) address: the I/G bit of IEEE Std 802,
 * the least significant bit of the first byte on the wire. */
static inline bool l2x_fdb_key_is_group(uint64_t key)
{
	uint8_t first;

	memcpy(&first, &key, 1);
	return (first & 1) != 0;
}

/* Never a source: a group address or all zeros (Linux
 * is_valid_ether_addr()). */
static inline bool l2x_fdb_key_bad_src(uint64_t key)
{
	return l2x_fdb_key_strip(key) == 0 || l2x_fdb_key_is_group(key);
}

/* --- control thread (bridge/fdb.c) ------------------------------------- */

/* Create a table. Control thread. Returns 0 and *out, or -EINVAL (bad
 * parameter), -EEXIST (name taken), -ENOMEM. */
int l2x_fdb_create(const struct l2x_fdb_prm *prm, struct l2x_fdb **out);

/* Free a table; NULL is fine. Control thread, after the workers stopped
 * using it. */
void l2x_fdb_destroy(struct l2x_fdb *fdb);

/* Insert what the workers asked to learn: every request queued when the
 * call starts, at most the ring's size. A request for a MAC already present
 * refreshes or moves it like a worker would. New dynamic entries beyond
 * their network's MAC limit are refused (limit_refused), and beyond the
 * capacity (full_refused); a request for a network id >= nets is dropped. An
 * entry's last-seen time is the request's, never later than now_s. Also returns
 * deferred positions whose grace period ended. Control thread. Returns the
 * number of entries inserted. */
unsigned int l2x_fdb_drain(struct l2x_fdb *fdb, uint64_t now_s);

/* Remove dynamic entries not seen for aging_s seconds or more
 * (now_s - seen >= aging_s, as Linux br_fdb.c); static and gateway entries
 * stay. Clears FLAPPING from entries that did not move for a flap window.
 * A worker refreshing an entry while it ages may lose the race; its next
 * frame learns the MAC again. Control thread. Returns the entries removed. */
unsigned int l2x_fdb_age(struct l2x_fdb *fdb, uint64_t now_s);

/* Add or replace a static entry: mac in network nid on side, flags 0 or
 * L2X_FDB_F_GATEWAY (L2X_FDB_F_STATIC is implied and may be given). An
 * existing dynamic entry becomes static in place, keeping its move count.
 * Static entries do not count against the MAC limit. Control thread.
 * Returns 0, -EINVAL (group or zero MAC, bad network, side or flags),
 * -ENOSPC (table full). */
int l2x_fdb_add_static(struct l2x_fdb *fdb, uint32_t nid,
		       const struct rte_ether_addr *mac, enum l2x_side side,
		       unsigned int flags, uint64_t now_s);

/* Remove one entry of network nid, static or dynamic. Control thread.
 * Returns 0, -ENOENT or -EINVAL. */
int l2x_fdb_del(struct l2x_fdb *fdb, uint32_t nid,
		const struct rte_ether_addr *mac);

/* Remove every dynamic entry, or every entry, of network nid or of all
 * (L2X_FDB_NET_ALL) (`l2xctl clear macs`). Visits every position of the
 * table unless the network has no entry. Control thread. Returns the
 * entries removed. */
unsigned int l2x_fdb_flush(struct l2x_fdb *fdb, uint32_t nid,
			   bool only_dynamic);

/* Set the MAC limit of network nid: its dynamic entries at most (1..
 * L2X_FDB_CAPACITY_MAX); entries beyond a lowered limit stay until they
 * age. Control thread. Returns 0 or -EINVAL. */
int l2x_fdb_net_limit(struct l2x_fdb *fdb, uint32_t nid, uint32_t mac_limit);

/* Forget network nid, so that its id can serve another network: the
 * learn requests on the ring are drained first (as l2x_fdb_drain at
 * now_s, those of nid included), then every entry of nid, pinned ones too,
 * is removed and its counters are zeroed; its MAC limit goes back to the
 * table's default. Only once no worker can use nid any more (the network
 * left the workers' view a grace period ago): a frame of it learnt later
 * would come back. Control thread. Returns the entries removed. */
unsigned int l2x_fdb_net_flush(struct l2x_fdb *fdb, uint32_t nid,
			       uint64_t now_s);

/* One entry by network and MAC. Control thread. Returns 0 and *out, or
 * -ENOENT. */
int l2x_fdb_get(const struct l2x_fdb *fdb, uint32_t nid,
		const struct rte_ether_addr *mac, uint64_t now_s,
		struct l2x_fdb_info *out);

/* Called per entry by l2x_fdb_walk; a non-zero return stops the walk after
 * this entry and is returned by it. It may delete the entry it is given,
 * nothing else. */
typedef int (*l2x_fdb_walk_fn)(const struct l2x_fdb_info *info, void *ctx);

/* Positions of the table: l2x_fdb_walk's *pos runs 0..this. */
uint32_t l2x_fdb_positions(const struct l2x_fdb *fdb);

/* Call fn for the entries of network nid, or of every network
 * (L2X_FDB_NET_ALL), in table order (`l2xctl show macs`), from position
 * *pos (0: the start) and visiting at most max_pos positions (0: no bound),
 * so that a large table is shown a page at a time. *pos receives where to
 * go on from: l2x_fdb_positions() when the walk reached the end. Entries
 * added or removed between two pages may be missed or shown, each other
 * entry is shown once. pos NULL: the whole table. Control thread. Returns
 * 0, or the non-zero value fn returned. */
int l2x_fdb_walk(struct l2x_fdb *fdb, uint32_t nid, uint64_t now_s,
		 uint32_t *pos, uint32_t max_pos, l2x_fdb_walk_fn fn,
		 void *ctx);

/* The table's counters (every network) plus the sum of n_lc lcore counter
 * structs (lc may be NULL when n_lc is 0). Control thread. */
void l2x_fdb_stats(const struct l2x_fdb *fdb, const struct l2x_fdb_lcore *lc,
		   unsigned int n_lc, struct l2x_fdb_stats *out);

/* Network nid's counters (zeros for an id >= nets). Control thread. */
void l2x_fdb_net_stats(const struct l2x_fdb *fdb, uint32_t nid,
		       struct l2x_fdb_net_stats *out);

/* Set up a token bucket: rate_pps packets per second on average, bursts of
 * up to burst packets, now counted in hz ticks per second. It starts full.
 * rate_pps 0 turns the limit off. Any thread, setup time. Returns 0,
 * -EINVAL (hz 0, or burst 0 with a rate) or -ERANGE (burst * hz or the rate
 * too large for the 64-bit credit). */
int l2x_fdb_tb_init(struct l2x_fdb_tb *tb, uint64_t rate_pps, uint32_t burst,
		    uint64_t hz, uint64_t now);

/* --- workers (bridge/fdb_fast.c): no lock, no allocation --------------- */

/* Keys are l2x_fdb_nkey()'s: MAC and network id. */

/* Look up n <= L2X_FDB_BURST_MAX keys (more are ignored). Returns the hit
 * mask (bit i: keys[i] found); res[i] is written for hits only. Any lcore.
 */
uint64_t l2x_fdb_lookup_bulk(const struct l2x_fdb *fdb, const uint64_t keys[],
			     unsigned int n, struct l2x_fdb_res res[]);

/* Learn the source MACs of a burst received on side, n <=
 * L2X_FDB_BURST_MAX. Known MAC on the same side: last seen := now_s if the
 * second changed. Known on the other side: moved (counted in lc and the
 * entry), unless pinned: a conflict. Unknown: one learn request per MAC
 * per burst on the ring (queued, or ring_full). Group or zero source: not
 * learned. Returns the mask of frames to drop, with why[i] an enum
 * l2x_fdb_drop for each (SRC_INVALID, SRC_CONFLICT); the caller drops and
 * counts them. Any lcore. */
uint64_t l2x_fdb_learn_bulk(struct l2x_fdb *fdb, const uint64_t src[],
			    unsigned int n, enum l2x_side side, uint64_t now_s,
			    struct l2x_fdb_lcore *lc, uint8_t why[]);

/* Where a frame from side `from` to dst goes, given the lookup result for
 * dst (hit, and dst_side when hit). From the LAN: known local -> DROP (the
 * switch already delivered it), known remote -> TUNNEL, unknown or group ->
 * FLOOD_TUNNEL. From the tunnel: known local -> LAN, known remote -> DROP
 * (never back into a tunnel), unknown or group -> FLOOD_LAN. A group dst
 * floods even if hit. An unknown `from` drops. Pure function. */
enum l2x_fdb_fwd l2x_fdb_forward(enum l2x_side from, uint64_t dst, bool hit,
				 enum l2x_side dst_side);

/* Look up the destinations of a burst from side `from` and decide each
 * frame: fwd[i] is an enum l2x_fdb_fwd. Returns the mask of DROP decisions
 * (reason L2X_FDB_DROP_SAME_SIDE). Group destinations are not looked up.
 * n <= L2X_FDB_BURST_MAX. Any lcore. */
uint64_t l2x_fdb_forward_bulk(const struct l2x_fdb *fdb, enum l2x_side from,
			      const uint64_t dst[], unsigned int n,
			      uint8_t fwd[]);

/* Take up to n tokens at time now; returns how many were granted. A now
 * earlier than the last one adds nothing. The bucket's lcore only. */
unsigned int l2x_fdb_tb_take(struct l2x_fdb_tb *tb, uint64_t now,
			     unsigned int n);

/* Police the floods (FLOOD_LAN, FLOOD_TUNNEL) among fwd[0..n) with tb:
 * returns the mask of floods beyond the bucket, to drop with reason
 * L2X_FDB_DROP_BUM_RATE; the first ones in the burst pass. The bucket's
 * lcore only. */
uint64_t l2x_fdb_bum_police(struct l2x_fdb_tb *tb, uint64_t now,
			    const uint8_t fwd[], unsigned int n);

/* --- internals, shared by bridge/fdb.c and bridge/fdb_fast.c ------------
 * Callers use the functions above; nothing below is API. */

/* state byte: side in bit 0, L2X_FDB_F_* flags, and VALID. */
#define L2X_FDB_ST_SIDE 0x01
#define L2X_FDB_ST_FLAGS (L2X_FDB_F_PINNED | L2X_FDB_F_FLAPPING)
#define L2X_FDB_ST_VALID 0x80

/* One entry, at the position rte_hash gave its key. 16 bytes: four per
 * cache line, written by workers only on a new second or a move. */
struct l2x_fdb_entry {
	uint32_t seen_s;   /* last frame, seconds mod 2^32 */
	uint32_t win_s;	   /* start of the current flap window */
	uint32_t moves;	   /* moves since creation (atomic add) */
	uint8_t state;	   /* VALID | flags | side (acquire / CAS) */
	uint8_t win_moves; /* moves in the flap window, saturating */
	uint16_t reserved;
};
_Static_assert(sizeof(struct l2x_fdb_entry) == 16, "4 entries a line");

/* A worker's learn request, on the ring. */
struct l2x_fdb_req {
	uint64_t key;
	uint32_t now_s;
	uint8_t side;
	uint8_t reserved[3];
};
_Static_assert(sizeof(struct l2x_fdb_req) % 4 == 0, "rte_ring elem size");

/* A position waiting for its grace period. */
struct l2x_fdb_defer {
	uint64_t token; /* rte_rcu_qsbr_start() after the delete */
	uint32_t pos;
};

/* One network id's bound and counts. Control thread. */
struct l2x_fdb_net {
	uint32_t mac_limit;
	uint32_t n_dynamic, n_static;
	uint64_t limit_refused;
};

struct l2x_fdb {
	/* read by workers */
	struct rte_hash *h;
	struct l2x_fdb_entry *ent; /* npos entries */
	struct rte_ring *ring;	   /* learn requests, MP/SC */
	uint32_t flap_moves;
	uint32_t flap_window_s;

	/* control thread only */
	struct rte_rcu_qsbr *qsbr __rte_cache_aligned;
	uint64_t *key_of; /* key at each position, for age/walk */
	struct l2x_fdb_defer *defer;
	uint32_t defer_head, defer_n;
	uint32_t npos; /* positions rte_hash may return: 0..npos-1 */
	uint32_t capacity, mac_limit, aging_s, ring_size;
	uint32_t n_dynamic, n_static; /* all networks */
	uint32_t nets;		      /* network ids 0..nets-1 */
	struct l2x_fdb_net *net;      /* nets of them */
	uint64_t learned, aged, deleted, limit_refused, full_refused;
	struct l2x_fdb_lcore ctl; /* events seen while draining */
	char name[L2X_FDB_NAME_MAX];
	char hname[RTE_HASH_NAMESIZE];
};

/* Outcome of l2x_fdb_entry_learn. */
enum l2x_fdb_learn {
	L2X_FDB_LEARN_OK = 0,	/* refreshed, or moved */
	L2X_FDB_LEARN_CONFLICT, /* pinned on the other side */
	L2X_FDB_LEARN_GONE,	/* deleted meanwhile: treat as unknown */
};

/* Apply a frame from side seen at now to the entry at pos: refresh, move
 * or conflict, counting in lc. Any lcore (drain uses it with fdb->ctl). */
enum l2x_fdb_learn l2x_fdb_entry_learn(struct l2x_fdb *fdb, uint32_t pos,
				       uint8_t side, uint32_t now,
				       struct l2x_fdb_lcore *lc);

/* Add v to a counter that only the calling lcore writes, so that another
 * thread may read it with a relaxed atomic load. */
static inline void l2x_fdb_cnt_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

#endif /* L2X_FDB_H */
