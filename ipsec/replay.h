/* SPDX-License-Identifier: MIT */
/*
 * replay.h - ESP anti-replay window (RFC 4303 section 3.4.3 and
 * Appendix A), with 64-bit extended sequence numbers (ESN).
 *
 * The receiver remembers T, the highest sequence number it has
 * authenticated, and one bit per number in the W numbers ending at T. A
 * packet left of the window (seq <= T - W) or whose bit is set is refused.
 *
 * Two steps, and the order is the contract (strongSwan
 * src/libipsec/esp_context.h says the same):
 *
 *   1. l2x_replay_check() before decryption: cheap, changes nothing,
 *      refuses replayed and too-old numbers and, with ESN, infers the high
 *      32 bits of the sequence number from the low 32 on the wire
 *      (RFC 4303 Appendix A.2.2). The inferred number goes into the AAD.
 *   2. l2x_replay_update() only after the ICV verified. A forged packet
 *      therefore never moves the window, whatever number it carries.
 *
 * Without ESN the sequence number is the 32 bits on the wire; 0 is never
 * valid (the sender's first packet is 1, RFC 4303 section 3.3.3). With ESN
 * the full 64-bit number 0 is never valid either, but a low half of 0 is
 * (number 2^32 and its multiples).
 *
 * Shape: the bitmap is a ring of 64-bit buckets, as DPDK lib/ipsec's
 * replay window and Linux's xfrm_replay_state_esn are. The ring has a
 * power-of-two number of buckets, at least W/64 + 1, so the W numbers of
 * the window always fall in distinct buckets; moving T forward clears only
 * the buckets T enters, never shifts bits. Check and update are O(1)
 * except that a jump forward clears at most the whole ring (128 words).
 *
 * Window size: 1..L2X_REPLAY_WIN_MAX (4096) numbers, any value, exact
 * (not rounded). l2x never disables anti-replay: ESN inference needs the
 * window, and a dataplane has no reason to accept replays. The SA maps a
 * configured 0 to L2X_REPLAY_WIN_DEFAULT (64, the size RFC 4303 section
 * 3.4.3 prefers).
 *
 * Thread-safety: one writer, the lcore that owns the inbound SA; check and
 * update are called by that lcore only. T is stored with relaxed atomics so
 * the control thread may read it (l2x_replay_top()) while the lcore runs.
 */
#ifndef L2X_REPLAY_H
#define L2X_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>

#define L2X_REPLAY_WIN_MAX 4096u
#define L2X_REPLAY_WIN_DEFAULT 64u
/* Ring buckets for the largest window: power of two >= 4096/64 + 1. */
#define L2X_REPLAY_BUCKETS 128u

/* Verdict of l2x_replay_check(). */
enum l2x_replay_verdict {
	L2X_REPLAY_OK = 0, /* new number: go on to decrypt */
	L2X_REPLAY_DUP,	   /* already received inside the window */
	L2X_REPLAY_OLD,	   /* left of the window, 0, or out of 64 bits */
};

struct l2x_replay {
	uint64_t top;  /* T: highest authenticated number (relaxed atomic) */
	uint32_t win;  /* W: window size in numbers, 1..4096 */
	uint32_t mask; /* ring buckets in use - 1 */
	bool esn;      /* infer the high 32 bits (RFC 4303 Appendix A.2) */
	/* bit (s & 63) of bucket ((s >> 6) & mask) is number s */
	uint64_t bits[L2X_REPLAY_BUCKETS];
};

/*
 * Set up an empty window. win is 1..L2X_REPLAY_WIN_MAX (callers validate;
 * a value outside is clamped); top is the starting T, 0 except in tests
 * that start near a wrap. Control thread, before the SA is published.
 */
static inline void l2x_replay_init(struct l2x_replay *r, uint32_t win, bool esn,
				   uint64_t top)
{
	uint32_t need, nb = 1;

	if (win == 0)
		win = 1;
	if (win > L2X_REPLAY_WIN_MAX)
		win = L2X_REPLAY_WIN_MAX;
	need = (win + 63) / 64 + 1;
	while (nb < need)
		nb <<= 1;
	r->top = top;
	r->win = win;
	r->mask = nb - 1;
	r->esn = esn;
	for (uint32_t i = 0; i < L2X_REPLAY_BUCKETS; i++)
		r->bits[i] = 0;
}

/*
 * Step 1, before decryption. seql is the sequence number field of the ESP
 * header in host order; *seq receives the full number to authenticate (the
 * AAD carries its high half with ESN) and to pass to l2x_replay_update().
 * Changes nothing. Owning lcore only.
 */
static inline enum l2x_replay_verdict
l2x_replay_check(const struct l2x_replay *r, uint32_t seql, uint64_t *seq)
{
	uint64_t s = seql;
	uint64_t top = r->top;

	if (r->esn) {
		/* RFC 4303 Appendix A.2.2, with Tl/Th the halves of T and
		 * bottom = Tl - W + 1 (mod 2^32), the window's left edge. */
		uint32_t tl = (uint32_t)top, th = (uint32_t)(top >> 32);
		uint32_t bottom = tl - (r->win - 1);
		uint32_t sh;

		if (tl >= r->win - 1) {
			/* Case A: the window lies inside one 2^32 epoch. */
			if (seql >= bottom)
				sh = th;
			else if (unlikely(th == UINT32_MAX))
				return L2X_REPLAY_OLD; /* past 2^64 - 1 */
			else
				sh = th + 1;
		} else {
			/* Case B: the window straddles an epoch boundary. */
			if (seql >= bottom) {
				if (unlikely(th == 0))
					return L2X_REPLAY_OLD; /* before 0 */
				sh = th - 1;
			} else {
				sh = th;
			}
		}
		s = (uint64_t)sh << 32 | seql;
	}
	*seq = s;
	if (likely(s > top))
		return L2X_REPLAY_OK;
	if (unlikely(s == 0) || top - s >= r->win)
		return L2X_REPLAY_OLD;
	if ((r->bits[(s >> 6) & r->mask] >> (s & 63)) & 1)
		return L2X_REPLAY_DUP;
	return L2X_REPLAY_OK;
}

/*
 * Step 2, only after the ICV of the packet carrying seq verified: mark seq
 * received and, if it is new on the right, slide the window to it. seq
 * must come from l2x_replay_check() in the same burst. Owning lcore only.
 */
static inline void l2x_replay_update(struct l2x_replay *r, uint64_t seq)
{
	uint64_t b = seq >> 6;

	if (seq > r->top) {
		uint64_t tb = r->top >> 6;
		uint64_t steps = b - tb;

		/* Clear each bucket the window enters; a jump of a whole ring
		 * or more clears them all. */
		if (steps > (uint64_t)r->mask + 1)
			steps = (uint64_t)r->mask + 1;
		for (uint64_t i = 1; i <= steps; i++)
			r->bits[(tb + i) & r->mask] = 0;
		__atomic_store_n(&r->top, seq, __ATOMIC_RELAXED);
	}
	r->bits[b & r->mask] |= 1ull << (seq & 63);
}

/* T, the highest authenticated number. Any thread. */
static inline uint64_t l2x_replay_top(const struct l2x_replay *r)
{
	return __atomic_load_n(&r->top, __ATOMIC_RELAXED);
}

#endif /* L2X_REPLAY_H */
