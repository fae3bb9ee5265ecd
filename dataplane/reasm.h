/* SPDX-License-Identifier: MIT */
/*
 * reasm.h - reassembly of outer IPv4 fragments at the receiving appliance.
 *
 * The sender fragments an outer ESP-in-UDP packet that exceeds its uplink
 * MTU (mtu.h, l2x_mtu_fragment()); the receiver puts it back together
 * before ESP sees it (DESIGN.md, "Tunnel to LAN: rx on the uplink,
 * reassemble fragments"). Reassembly runs before authentication, on bytes
 * anybody can forge, so its memory is bounded and fixed at setup:
 *
 *  - a table of max_datagrams datagrams in flight, each holding at most
 *    max_frags fragment mbufs, preallocated by l2x_reasm_create(); the
 *    only per-packet allocation is the result mbuf, from a pool;
 *  - a reassembled datagram is at most max_size bytes of IPv4 (and 65535,
 *    RFC 791 section 3.1) and fits one mbuf of the result pool;
 *  - a datagram not complete within timeout is freed (RFC 791 section 3.2
 *    "reassembly timer"; l2x_reasm_expire() from the worker loop, and
 *    lazily on insert).
 *
 * Decisions:
 *
 *  - Key: (source, destination, identification, protocol), RFC 791
 *    section 3.2. Buckets are hashed with a seed from the caller (STYLE.md
 *    11), so that forged IDs cannot be aimed at one chain.
 *  - Overlapping or duplicate fragments drop the whole datagram. RFC 5722
 *    (written for IPv6; its reasoning holds for IPv4) shows that overlaps
 *    let an attacker rewrite bytes a filter already checked and that no
 *    legitimate sender produces them. A duplicate is the same range sent
 *    twice, possibly with other bytes: deciding which copy is true is the
 *    same trap, and only a rare network duplication produces an honest
 *    one, which costs one datagram that the inner TCP resends. RFC 5722
 *    section 4 also discards fragments "not yet received"; we remember
 *    nothing after the drop (bounded memory): later fragments of that
 *    datagram start a new entry, which cannot complete without the
 *    dropped ones and times out.
 *  - Table full: the oldest datagram in flight is evicted (counted as
 *    "evicted") and the new fragment takes its slot. The alternative, to
 *    drop new fragments while the table is full, lets max_datagrams forged
 *    fragments per timeout block every legitimate datagram; eviction makes
 *    the attacker outpace the legitimate sender between its first and last
 *    fragment instead, and our peer sends all fragments of a datagram back
 *    to back.
 *  - A drop for a fragment whose datagram is in the table (overlap,
 *    duplicate, too many, too large, inconsistent end, pool empty) frees
 *    the whole datagram: it can never complete. A malformed fragment (bad
 *    header) is dropped alone; its key is not trusted.
 *  - Only untagged Ethernet + IPv4 is handled (the uplink is untagged);
 *    IPv4 options are allowed, the result carries the offset-0 fragment's
 *    header. The IPv4 header checksum of each fragment is verified.
 *  - Fragment mbufs may be chained; the result is one segment.
 *  - Held fragments have a budget, max_held mbufs (GitHub issue 11, part
 *    5): the table could otherwise hold max_datagrams x max_frags mbufs
 *    (65,536 in the dataplane) of a pool of 8,191 that forwarding needs
 *    too, and forged fragments would starve it. A fragment that would go
 *    over the budget evicts the oldest other datagrams first (counted as
 *    "budget"), by the table-full reasoning above. max_held is at least
 *    max_frags, so one datagram can always complete.
 *
 * Time: `now` and `timeout` are in one unit of the caller's choice (TSC
 * cycles in the dataplane, anything in tests); a datagram expires once
 * now - first_seen >= timeout (unsigned, wrap-safe). `now` must not go
 * backwards.
 *
 * Thread-safety: a table belongs to one lcore (the worker that owns the
 * tunnel-to-LAN direction). create/destroy on the control thread while no
 * worker uses the table; insert/expire on the owning worker only;
 * l2x_reasm_stats() may read from another thread (64-bit counters, read
 * without tearing on the 64-bit targets DPDK supports, not atomically as a
 * set).
 */
#ifndef L2X_REASM_H
#define L2X_REASM_H

#include <stdint.h>

#include <rte_mbuf.h>

/* Why a fragment was dropped: _(SYM, "description"). The enum is
 * L2X_REASM_DROP_<SYM>; 0 is L2X_REASM_DROP_NONE. */
#define l2x_foreach_reasm_drop(_)                                           \
	_(BAD, "malformed fragment: header, checksum, zero length, or "     \
	       "non-last payload not a multiple of 8")                      \
	_(OVERLAP, "overlaps a held fragment (RFC 5722): datagram dropped") \
	_(DUPLICATE, "duplicate fragment: datagram dropped")                \
	_(TOO_MANY, "more than max_frags fragments: datagram dropped")      \
	_(TOO_BIG, "beyond max_size or 65535 bytes: datagram dropped")      \
	_(INCONSISTENT, "disagrees with the last fragment's end: "          \
			"datagram dropped")                                 \
	_(NOMEM, "result mbuf pool empty: datagram dropped")

enum l2x_reasm_drop {
	L2X_REASM_DROP_NONE = 0,
#define L2X_REASM_DROP_ENUM(sym, str) L2X_REASM_DROP_##sym,
	l2x_foreach_reasm_drop(L2X_REASM_DROP_ENUM)
#undef L2X_REASM_DROP_ENUM
	    L2X_REASM_DROP_MAX
};

/* Key ("OVERLAP") and description of each reason, indexed by the enum. */
extern const char *const l2x_reasm_drop_key[L2X_REASM_DROP_MAX];
extern const char *const l2x_reasm_drop_str[L2X_REASM_DROP_MAX];

/* Setup limits. */
#define L2X_REASM_DATAGRAMS_MAX (1u << 20)
#define L2X_REASM_FRAGS_MAX 256u
/* Datagrams expired per insert at most (the rest by l2x_reasm_expire()),
 * so that one packet never pays for a mass expiry. */
#define L2X_REASM_EXPIRE_BATCH 4u

struct l2x_reasm_prm {
	uint32_t max_datagrams; /* datagrams in flight, 1..2^20 */
	uint16_t max_frags;	/* fragments per datagram, 2..256 */
	/* Largest reassembled IPv4 datagram (header + payload), 576..65535;
	 * the Ethernet header plus this must fit the data room of pool (after
	 * RTE_PKTMBUF_HEADROOM). */
	uint32_t max_size;
	uint64_t timeout; /* in the caller's unit of `now`, > 0 */
	/* Fragment mbufs held at once, max_frags..max_datagrams * max_frags;
	 * 0: max_datagrams * max_frags (no budget beyond the table's). */
	uint32_t max_held;
	struct rte_mempool *pool; /* result mbufs */
	uint32_t hash_seed;	  /* random, from the caller */
	int socket_id;		  /* memory placement, or SOCKET_ID_ANY */
};

/* Counters. Per call to l2x_reasm_insert(): exactly one of held,
 * completed, passed, drop[r] grows, so calls = held + completed + passed +
 * sum(drop[1..]). Per datagram: expired, evicted. freed counts held
 * fragments the table let go of without completing (drops, expiry,
 * eviction). */
struct l2x_reasm_stats {
	uint64_t held;	    /* fragment kept, datagram incomplete */
	uint64_t completed; /* fragment completed a datagram */
	uint64_t passed;    /* not a fragment: handed back unchanged */
	uint64_t expired;   /* datagrams timed out */
	uint64_t evicted;   /* datagrams evicted by a full table */
	uint64_t budget;    /* datagrams evicted to stay within max_held */
	uint64_t freed;	    /* held fragments freed without completion */
	uint64_t drop[L2X_REASM_DROP_MAX];
};

struct l2x_reasm;

/* Create a table (all memory allocated here). Returns 0 with *out set, or
 * -EINVAL (prm out of range, pool too small) or -ENOMEM. Control thread. */
int l2x_reasm_create(const struct l2x_reasm_prm *prm, struct l2x_reasm **out);

/* Free every held fragment and the table. Accepts NULL. Control thread,
 * no worker using r. */
void l2x_reasm_destroy(struct l2x_reasm *r);

/* Copy the counters. Any thread. */
void l2x_reasm_stats(const struct l2x_reasm *r, struct l2x_reasm_stats *out);

/* Datagrams in flight. Owning worker (or tests). */
uint32_t l2x_reasm_in_flight(const struct l2x_reasm *r);

/* Fragment mbufs held now (at most max_held). Owning worker (or tests). */
uint32_t l2x_reasm_held(const struct l2x_reasm *r);

/* Results of l2x_reasm_insert() besides -L2X_REASM_DROP_<reason>. */
#define L2X_REASM_HELD 0 /* the table owns m */
#define L2X_REASM_DONE 1 /* *out is a complete datagram */

/*
 * Offer one received packet (Ethernet + IPv4) to the table. Owning worker.
 *
 * Returns:
 *  - L2X_REASM_HELD: m is a fragment the table now owns.
 *  - L2X_REASM_DONE: *out is ready to use. If m was not a fragment (MF
 *    clear and offset 0), *out = m, untouched. Otherwise m completed a
 *    datagram: *out is a new single-segment mbuf from prm.pool holding the
 *    offset-0 fragment's Ethernet header, its IPv4 header with MF and
 *    offset cleared and total length and checksum recomputed, and the
 *    payload in order; m and every held fragment are freed.
 *  - -L2X_REASM_DROP_<reason>: m is the caller's, to free and count.
 * Expires up to L2X_REASM_EXPIRE_BATCH timed-out datagrams first.
 */
int l2x_reasm_insert(struct l2x_reasm *r, struct rte_mbuf *m, uint64_t now,
		     struct rte_mbuf **out);

/* Free every datagram whose first fragment arrived at least timeout
 * before now; returns how many. Owning worker, from its loop. */
uint32_t l2x_reasm_expire(struct l2x_reasm *r, uint64_t now);

/*
 * Internal layout, shared by reasm.c (create/destroy) and reasm_fast.c
 * (per packet) only; callers use the functions above.
 */
struct l2x_reasm_frag {
	struct rte_mbuf *m;
	uint16_t off; /* payload offset in the datagram, bytes */
	uint16_t len; /* payload bytes */
	uint16_t at;  /* payload offset in m: Ethernet + IPv4 header */
};

struct l2x_reasm_dgram {
	rte_be32_t src, dst;
	rte_be16_t id;
	uint8_t proto;
	uint8_t have_last; /* the MF-clear fragment is held: total known */
	uint16_t nfrags;
	uint32_t total;		  /* payload bytes, once have_last */
	uint32_t rcvd;		  /* payload bytes held */
	uint64_t t0;		  /* now of the first fragment */
	uint32_t bucket;	  /* hash bucket while in use */
	int32_t hprev, hnext;	  /* hash chain, -1 ends */
	int32_t older, younger;	  /* age list; free list through younger */
	struct l2x_reasm_frag *f; /* max_frags entries, sorted by off */
};

struct l2x_reasm {
	struct l2x_reasm_prm prm;
	uint32_t mask;		   /* hash buckets - 1 */
	int32_t *bucket;	   /* head datagram of each chain, -1 empty */
	struct l2x_reasm_dgram *d; /* max_datagrams slots */
	struct l2x_reasm_frag *frags;
	int32_t free_head;	  /* free slots, through younger */
	int32_t oldest, youngest; /* age list ends, -1 if empty */
	uint32_t in_flight;
	uint32_t nheld; /* fragment mbufs held, <= prm.max_held */
	struct l2x_reasm_stats st;
};

#endif /* L2X_REASM_H */
