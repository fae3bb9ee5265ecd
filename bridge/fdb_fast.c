/* SPDX-License-Identifier: MIT */
/*
 * fdb_fast.c - the worker side of the MAC table: bulk lookup, learning,
 * the split-horizon decision and the BUM token bucket. Per-packet code
 * (STYLE.md 2): no allocation, lock, log or syscall; the table is changed
 * only through atomics on existing entries and the learn-request ring.
 * The design and the thread rules are in bridge/fdb.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_hash.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "bridge/fdb.h"

/* How often a worker retries a move that raced with another writer before
 * leaving the entry to whoever won. */
#define MOVE_TRIES 4

/* Refresh last-seen only when the second changed (STYLE.md 10), and never
 * backwards: a request drained late must not make an entry look older. */
static inline void touch(struct l2x_fdb_entry *e, uint32_t now)
{
	uint32_t seen = __atomic_load_n(&e->seen_s, __ATOMIC_RELAXED);

	if ((int32_t)(now - seen) > 0)
		__atomic_store_n(&e->seen_s, now, __ATOMIC_RELAXED);
}

/* The flap window after one more move at now; returns the moves in it. */
static inline uint8_t flap_count(const struct l2x_fdb *fdb,
				 const struct l2x_fdb_entry *e, uint32_t now,
				 uint32_t *win)
{
	uint32_t w = __atomic_load_n(&e->win_s, __ATOMIC_RELAXED);
	uint8_t wm = __atomic_load_n(&e->win_moves, __ATOMIC_RELAXED);

	if (wm == 0 || (int32_t)(now - w) >= (int32_t)fdb->flap_window_s ||
	    (int32_t)(now - w) < 0) {
		*win = now;
		return 1;
	}
	*win = w;
	return wm < UINT8_MAX ? (uint8_t)(wm + 1) : wm;
}

enum l2x_fdb_learn l2x_fdb_entry_learn(struct l2x_fdb *fdb, uint32_t pos,
				       uint8_t side, uint32_t now,
				       struct l2x_fdb_lcore *lc)
{
	struct l2x_fdb_entry *e = &fdb->ent[pos];
	uint8_t st = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);

	for (int i = 0; i < MOVE_TRIES; i++) {
		uint32_t win;
		uint8_t wm, next;

		if (unlikely(!(st & L2X_FDB_ST_VALID)))
			return L2X_FDB_LEARN_GONE;
		if (likely((st & L2X_FDB_ST_SIDE) == side)) {
			touch(e, now);
			return L2X_FDB_LEARN_OK;
		}
		if (st & L2X_FDB_F_PINNED) {
			l2x_fdb_cnt_add(&lc->conflicts, 1);
			return L2X_FDB_LEARN_CONFLICT;
		}
		/* A real move. The CAS fails if the control thread deleted
		 * or pinned the entry, or another worker moved it first. */
		wm = flap_count(fdb, e, now, &win);
		next = (uint8_t)((st & ~L2X_FDB_ST_SIDE) | side);
		if (wm > fdb->flap_moves)
			next |= L2X_FDB_F_FLAPPING;
		if (!__atomic_compare_exchange_n(&e->state, &st, next, false,
						 __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
			continue;
		__atomic_store_n(&e->win_s, win, __ATOMIC_RELAXED);
		__atomic_store_n(&e->win_moves, wm, __ATOMIC_RELAXED);
		__atomic_fetch_add(&e->moves, 1, __ATOMIC_RELAXED);
		touch(e, now);
		l2x_fdb_cnt_add(&lc->moves, 1);
		if ((next & ~st) & L2X_FDB_F_FLAPPING)
			l2x_fdb_cnt_add(&lc->flaps, 1);
		return L2X_FDB_LEARN_OK;
	}
	return L2X_FDB_LEARN_OK; /* others keep moving it: leave it to them */
}

uint64_t l2x_fdb_lookup_bulk(const struct l2x_fdb *fdb, const uint64_t keys[],
			     unsigned int n, struct l2x_fdb_res res[])
{
	const void *kp[L2X_FDB_BURST_MAX];
	int32_t pos[L2X_FDB_BURST_MAX];
	uint64_t hit = 0;

	n = RTE_MIN(n, (unsigned int)L2X_FDB_BURST_MAX);
	if (n == 0)
		return 0;
	for (unsigned int i = 0; i < n; i++)
		kp[i] = &keys[i];
	if (rte_hash_lookup_bulk(fdb->h, kp, n, pos) < 0)
		return 0;
	for (unsigned int i = 0; i < n; i++)
		if (pos[i] >= 0)
			rte_prefetch0(&fdb->ent[pos[i]]);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t st;

		if (pos[i] < 0)
			continue;
		st = __atomic_load_n(&fdb->ent[pos[i]].state, __ATOMIC_ACQUIRE);
		if (!(st & L2X_FDB_ST_VALID))
			continue; /* deleted, or not yet published */
		hit |= UINT64_C(1) << i;
		res[i].side = st & L2X_FDB_ST_SIDE;
		res[i].flags = st & L2X_FDB_ST_FLAGS;
	}
	return hit;
}

/* Whether key is among the first n requests of this burst. */
static inline bool requested(const struct l2x_fdb_req *req, unsigned int n,
			     uint64_t key)
{
	for (unsigned int i = 0; i < n; i++)
		if (req[i].key == key)
			return true;
	return false;
}

uint64_t l2x_fdb_learn_bulk(struct l2x_fdb *fdb, const uint64_t src[],
			    unsigned int n, enum l2x_side side, uint64_t now_s,
			    struct l2x_fdb_lcore *lc, uint8_t why[])
{
	const void *kp[L2X_FDB_BURST_MAX];
	int32_t pos[L2X_FDB_BURST_MAX];
	uint8_t idx[L2X_FDB_BURST_MAX];
	struct l2x_fdb_req req[L2X_FDB_BURST_MAX];
	const uint32_t now = (uint32_t)now_s;
	const uint8_t s = side & L2X_FDB_ST_SIDE;
	unsigned int m = 0, nreq = 0, bad = 0;
	uint64_t drop = 0;

	n = RTE_MIN(n, (unsigned int)L2X_FDB_BURST_MAX);
	for (unsigned int i = 0; i < n; i++) {
		if (unlikely(l2x_fdb_key_bad_src(src[i]))) {
			drop |= UINT64_C(1) << i;
			why[i] = L2X_FDB_DROP_SRC_INVALID;
			bad++;
			continue;
		}
		kp[m] = &src[i];
		idx[m++] = (uint8_t)i;
	}
	if (bad)
		l2x_fdb_cnt_add(&lc->src_invalid, bad);
	if (m == 0 || rte_hash_lookup_bulk(fdb->h, kp, m, pos) < 0)
		return drop;
	for (unsigned int j = 0; j < m; j++)
		if (pos[j] >= 0)
			rte_prefetch0(&fdb->ent[pos[j]]);

	for (unsigned int j = 0; j < m; j++) {
		const unsigned int i = idx[j];

		if (likely(pos[j] >= 0)) {
			enum l2x_fdb_learn r;

			r = l2x_fdb_entry_learn(fdb, (uint32_t)pos[j], s, now,
						lc);
			if (likely(r == L2X_FDB_LEARN_OK))
				continue;
			if (r == L2X_FDB_LEARN_CONFLICT) {
				drop |= UINT64_C(1) << i;
				why[i] = L2X_FDB_DROP_SRC_CONFLICT;
				continue;
			}
		}
		if (requested(req, nreq, src[i]))
			continue;
		req[nreq++] = (struct l2x_fdb_req){
		    .key = src[i], .now_s = now, .side = s};
	}
	if (nreq) {
		unsigned int k = rte_ring_mp_enqueue_burst_elem(
		    fdb->ring, req, sizeof(req[0]), nreq, NULL);

		l2x_fdb_cnt_add(&lc->queued, k);
		if (k < nreq)
			l2x_fdb_cnt_add(&lc->ring_full, nreq - k);
	}
	return drop;
}

/* Destination classes, the columns of the decision table. */
enum { DST_FLOOD, DST_LAN, DST_TUNNEL, DST_CLASSES };

static const uint8_t fwd_table[2][DST_CLASSES] = {
    [L2X_SIDE_LAN] =
	{
	    [DST_FLOOD] = L2X_FDB_FWD_FLOOD_TUNNEL,
	    [DST_LAN] = L2X_FDB_FWD_DROP,
	    [DST_TUNNEL] = L2X_FDB_FWD_TUNNEL,
	},
    [L2X_SIDE_TUNNEL] =
	{
	    [DST_FLOOD] = L2X_FDB_FWD_FLOOD_LAN,
	    [DST_LAN] = L2X_FDB_FWD_LAN,
	    [DST_TUNNEL] = L2X_FDB_FWD_DROP,
	},
};

enum l2x_fdb_fwd l2x_fdb_forward(enum l2x_side from, uint64_t dst, bool hit,
				 enum l2x_side dst_side)
{
	unsigned int cls;

	if (unlikely((unsigned int)from > L2X_SIDE_TUNNEL))
		return L2X_FDB_FWD_DROP;
	if (!hit || l2x_fdb_key_is_group(dst))
		cls = DST_FLOOD;
	else
		cls = dst_side == L2X_SIDE_LAN ? DST_LAN : DST_TUNNEL;
	return (enum l2x_fdb_fwd)fwd_table[from][cls];
}

uint64_t l2x_fdb_forward_bulk(const struct l2x_fdb *fdb, enum l2x_side from,
			      const uint64_t dst[], unsigned int n,
			      uint8_t fwd[])
{
	const void *kp[L2X_FDB_BURST_MAX];
	int32_t pos[L2X_FDB_BURST_MAX];
	uint8_t idx[L2X_FDB_BURST_MAX];
	unsigned int m = 0;
	uint64_t drop = 0;

	n = RTE_MIN(n, (unsigned int)L2X_FDB_BURST_MAX);
	if (unlikely((unsigned int)from > L2X_SIDE_TUNNEL)) {
		for (unsigned int i = 0; i < n; i++)
			fwd[i] = L2X_FDB_FWD_DROP;
		return n ? UINT64_MAX >> (64 - n) : 0;
	}
	for (unsigned int i = 0; i < n; i++) {
		fwd[i] = fwd_table[from][DST_FLOOD];
		if (l2x_fdb_key_is_group(dst[i]))
			continue;
		kp[m] = &dst[i];
		idx[m++] = (uint8_t)i;
	}
	if (m == 0 || rte_hash_lookup_bulk(fdb->h, kp, m, pos) < 0)
		return 0;
	for (unsigned int j = 0; j < m; j++)
		if (pos[j] >= 0)
			rte_prefetch0(&fdb->ent[pos[j]]);
	for (unsigned int j = 0; j < m; j++) {
		const unsigned int i = idx[j];
		uint8_t st, f;

		if (pos[j] < 0)
			continue;
		st = __atomic_load_n(&fdb->ent[pos[j]].state, __ATOMIC_ACQUIRE);
		if (!(st & L2X_FDB_ST_VALID))
			continue;
		f = fwd_table[from][(st & L2X_FDB_ST_SIDE) == L2X_SIDE_LAN
					? DST_LAN
					: DST_TUNNEL];
		fwd[i] = f;
		if (f == L2X_FDB_FWD_DROP)
			drop |= UINT64_C(1) << i;
	}
	return drop;
}

unsigned int l2x_fdb_tb_take(struct l2x_fdb_tb *tb, uint64_t now,
			     unsigned int n)
{
	uint64_t k;

	if (tb->rate == 0)
		return n;
	if (now > tb->last) {
		uint64_t dt = now - tb->last;

		/* dt * rate < fill * rate <= cap + rate: no overflow */
		if (dt >= tb->fill)
			tb->credit = tb->cap;
		else
			tb->credit =
			    RTE_MIN(tb->cap, tb->credit + dt * tb->rate);
		tb->last = now;
	}
	k = tb->credit / tb->hz;
	if (k > n)
		k = n;
	tb->credit -= k * tb->hz;
	return (unsigned int)k;
}

static inline bool is_flood(uint8_t fwd)
{
	return fwd == L2X_FDB_FWD_FLOOD_LAN || fwd == L2X_FDB_FWD_FLOOD_TUNNEL;
}

uint64_t l2x_fdb_bum_police(struct l2x_fdb_tb *tb, uint64_t now,
			    const uint8_t fwd[], unsigned int n)
{
	unsigned int floods = 0, pass, seen = 0;
	uint64_t over = 0;

	n = RTE_MIN(n, (unsigned int)L2X_FDB_BURST_MAX);
	for (unsigned int i = 0; i < n; i++)
		floods += is_flood(fwd[i]);
	if (floods == 0)
		return 0;
	pass = l2x_fdb_tb_take(tb, now, floods);
	if (pass == floods)
		return 0;
	for (unsigned int i = 0; i < n; i++)
		if (is_flood(fwd[i]) && seen++ >= pass)
			over |= UINT64_C(1) << i;
	return over;
}
