/* SPDX-License-Identifier: MIT */
/*
 * sa_table.h - SPI -> inbound SA, the lookup of every received ESP packet.
 *
 * The table is immutable once published. The control thread builds a new
 * one whenever the set of inbound SAs changes (create with a capacity, add
 * each SA, swap it in with l2x_sa_table_swap()); workers load the current
 * pointer once per burst and look up without locks, atomics or writes.
 * The old table (and any SA no longer in the new one) is freed by the
 * caller after a grace period, when every worker has reported a quiescent
 * state (rte_rcu_qsbr, dataplane/threads.h). Rebuilding costs O(SAs) on
 * each IKE rekey, a few per hour: nothing next to a lock-free fast path.
 *
 * Shape: open addressing with linear probing over a power-of-two array of
 * 16-byte slots (SPI as on the wire, SA pointer), at most half full.
 * SPI 0 is never a valid key (RFC 4303 section 2.1), so it marks an empty
 * slot. The table records the longest probe sequence of any key it holds
 * and no lookup goes further, so the cost of a lookup for an absent SPI,
 * which anyone on the Internet can send, is bounded and known at build.
 * Inbound SPIs are chosen by us (the receiver picks them in IKE,
 * RFC 7296 section 3.3.1), so keys are spread well by a multiplicative
 * hash of the SPI.
 *
 * Thread-safety: create, add, swap and destroy on the control thread;
 * add refuses a table once it was swapped in. Lookup from any thread on a
 * published table.
 */
#ifndef L2X_SA_TABLE_H
#define L2X_SA_TABLE_H

#include <stdint.h>

#include <rte_byteorder.h>

struct l2x_sa;

/* Most SAs one table holds. */
#define L2X_SA_TABLE_MAX (1u << 20)

struct l2x_sa_table_slot {
	rte_be32_t spi; /* 0: empty */
	uint32_t unused;
	struct l2x_sa *sa;
};

struct l2x_sa_table {
	uint32_t shift;	    /* 32 - log2(slots) */
	uint32_t mask;	    /* slots - 1 */
	uint32_t max_probe; /* longest probe distance of any key */
	uint32_t count;	    /* SAs held */
	uint32_t capacity;  /* SAs it may hold */
	uint32_t published; /* swapped in: no more add */
	struct l2x_sa_table_slot slot[];
};

/* Fibonacci hashing of the SPI as it is on the wire. */
static inline uint32_t l2x_sa_table_hash(const struct l2x_sa_table *t,
					 rte_be32_t spi)
{
	return (uint32_t)((uint32_t)spi * 0x9e3779b1u) >> t->shift;
}

/*
 * The inbound SA with this SPI (as on the wire), or NULL. At most
 * max_probe + 1 slots are read. Any thread, on a published table.
 */
static inline struct l2x_sa *l2x_sa_table_lookup(const struct l2x_sa_table *t,
						 rte_be32_t spi)
{
	uint32_t i = l2x_sa_table_hash(t, spi);

	for (uint32_t d = 0; d <= t->max_probe; d++) {
		const struct l2x_sa_table_slot *s = &t->slot[(i + d) & t->mask];

		/* An empty slot's SA is NULL, so SPI 0 also ends here. */
		if (s->spi == spi)
			return s->sa;
		if (s->spi == 0)
			return NULL;
	}
	return NULL;
}

/*
 * An empty table for up to capacity (1..L2X_SA_TABLE_MAX) SAs. Returns 0
 * and *out, -EINVAL or -ENOMEM. Control thread.
 */
int l2x_sa_table_create(uint32_t capacity, struct l2x_sa_table **out);

/*
 * Add an inbound SA (the table borrows it; it does not own it). Returns 0,
 * -EINVAL (NULL or not inbound), -EEXIST (its SPI is there already),
 * -ENOSPC (capacity reached) or -EBUSY (table already published).
 * Control thread.
 */
int l2x_sa_table_add(struct l2x_sa_table *t, struct l2x_sa *sa);

/* SAs held. Any thread. */
uint32_t l2x_sa_table_count(const struct l2x_sa_table *t);

/*
 * Publish next in *cur with release order (next may be NULL: no inbound
 * SA) and return the table it replaced, which the caller frees with
 * l2x_sa_table_destroy() after a grace period. Control thread.
 */
struct l2x_sa_table *l2x_sa_table_swap(struct l2x_sa_table **cur,
				       struct l2x_sa_table *next);

/* The published table, acquire order, once per burst. Workers. */
static inline const struct l2x_sa_table *
l2x_sa_table_current(struct l2x_sa_table *const *cur)
{
	return __atomic_load_n(cur, __ATOMIC_ACQUIRE);
}

/* Free the table, not its SAs. Accepts NULL. Control thread. */
void l2x_sa_table_destroy(struct l2x_sa_table *t);

#endif /* L2X_SA_TABLE_H */
