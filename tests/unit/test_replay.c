/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ipsec/replay.h: the anti-replay window of RFC 4303
 * section 3.4.3 and the ESN inference of its Appendix A.2.2, checked
 * against tables of cases and against a naive reference (a set of seen
 * numbers and the rule "new, or inside the window and unseen").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ipsec/replay.h"

static struct l2x_replay *new_window(uint32_t win, bool esn, uint64_t top)
{
	struct l2x_replay *r = malloc(sizeof(*r));

	assert_non_null(r);
	l2x_replay_init(r, win, esn, top);
	return r;
}

/* check, and update when the verdict is OK: what open does once the ICV
 * verified. Returns the verdict. */
static enum l2x_replay_verdict accept(struct l2x_replay *r, uint32_t seql,
				      uint64_t *seq)
{
	uint64_t s = 0;
	enum l2x_replay_verdict v = l2x_replay_check(r, seql, &s);

	if (v == L2X_REPLAY_OK)
		l2x_replay_update(r, s);
	if (seq != NULL)
		*seq = s;
	return v;
}

struct step {
	uint32_t seq;
	enum l2x_replay_verdict want;
};

/* 32-bit sequence numbers, one table per window size; W is the size. */
static void run_steps(uint32_t win, const struct step *st, size_t n)
{
	struct l2x_replay *r = new_window(win, false, 0);

	for (size_t i = 0; i < n; i++) {
		enum l2x_replay_verdict v = accept(r, st[i].seq, NULL);

		if (v != st[i].want)
			fail_msg("W=%u step %zu: seq %u gave %d, want %d", win,
				 i, st[i].seq, v, st[i].want);
	}
	free(r);
}

static void test_window_edges(void **state)
{
	static const uint32_t wins[] = {64, 1024, 4096, 1, 63, 65, 100};
	(void)state;

	for (size_t w = 0; w < sizeof(wins) / sizeof(wins[0]); w++) {
		uint32_t W = wins[w], T = 3 * W + 1000;
		const struct step st[] = {
		    {0, L2X_REPLAY_OLD},     /* never valid */
		    {1, L2X_REPLAY_OK},	     /* first packet */
		    {1, L2X_REPLAY_DUP},     /* replayed */
		    {T, L2X_REPLAY_OK},	     /* jump forward */
		    {T, L2X_REPLAY_DUP},     /* replayed at the top */
		    {T - W, L2X_REPLAY_OLD}, /* just left of the window */
		    {T - W + 1, W == 1 ? L2X_REPLAY_DUP : L2X_REPLAY_OK},
		    {T - W + 1, L2X_REPLAY_DUP}, /* left edge, again */
		    {T - 1, W == 1 ? L2X_REPLAY_OLD : L2X_REPLAY_OK},
		    {T + 1, L2X_REPLAY_OK},	 /* slide by one */
		    {T - W + 1, L2X_REPLAY_OLD}, /* edge fell off */
		    {0, L2X_REPLAY_OLD},
		    {1, L2X_REPLAY_OLD},	 /* seen, now too old too */
		    {UINT32_MAX, L2X_REPLAY_OK}, /* last 32-bit number */
		    {UINT32_MAX, L2X_REPLAY_DUP},
		    {UINT32_MAX - W, L2X_REPLAY_OLD},
		    {UINT32_MAX - W + 1,
		     W == 1 ? L2X_REPLAY_DUP : L2X_REPLAY_OK},
		};

		run_steps(W, st, sizeof(st) / sizeof(st[0]));
	}
}

/* A check alone changes nothing: an unauthenticated packet must not move
 * the window (RFC 4303 3.4.3; the ICV decides). */
static void test_check_does_not_update(void **state)
{
	struct l2x_replay *r = new_window(64, false, 0);
	uint64_t s;
	(void)state;

	assert_int_equal(accept(r, 100, NULL), L2X_REPLAY_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(l2x_replay_check(r, 1000, &s), L2X_REPLAY_OK);
		assert_int_equal(s, 1000);
		assert_int_equal(l2x_replay_check(r, 99, &s), L2X_REPLAY_OK);
	}
	assert_int_equal(l2x_replay_top(r), 100);
	/* 37 would be too old had 1000 been accepted; it was not. */
	assert_int_equal(accept(r, 37, NULL), L2X_REPLAY_OK);
	free(r);
}

/* Jumps of every size across the ring: bits of numbers that fell out of
 * the window never show up as "seen" for the numbers that reuse their
 * bucket. */
static void test_jumps_clear_buckets(void **state)
{
	static const uint32_t wins[] = {64, 1024, 4096, 100};
	(void)state;

	for (size_t w = 0; w < sizeof(wins) / sizeof(wins[0]); w++) {
		uint32_t W = wins[w];
		struct l2x_replay *r = new_window(W, false, 0);
		uint64_t top = 0;

		for (uint32_t jump = 1; jump < 3 * 64 * L2X_REPLAY_BUCKETS;
		     jump = jump * 3 / 2 + 1) {
			/* fill the whole window, then jump */
			for (uint64_t s = top > W ? top - W + 1 : 1; s <= top;
			     s++)
				accept(r, (uint32_t)s, NULL);
			top += jump;
			if (accept(r, (uint32_t)top, NULL) != L2X_REPLAY_OK)
				fail_msg("W=%u jump %u: top refused", W, jump);
			for (uint64_t s = top > W ? top - W + 1 : 1; s < top;
			     s++) {
				uint64_t got;
				enum l2x_replay_verdict v =
				    l2x_replay_check(r, (uint32_t)s, &got);
				/* seen before the jump iff s <= old top */
				enum l2x_replay_verdict want =
				    s <= top - jump ? L2X_REPLAY_DUP
						    : L2X_REPLAY_OK;

				if (v != want)
					fail_msg("W=%u jump %u seq %llu: %d, "
						 "want %d",
						 W, jump, (unsigned long long)s,
						 v, want);
			}
		}
		free(r);
	}
}

/* Random traffic against the naive reference. */
static void test_against_reference(void **state)
{
	static const uint32_t wins[] = {64, 1024, 4096, 32, 1, 77};
	enum { SPAN = 4000000 };
	(void)state;

	for (size_t w = 0; w < sizeof(wins) / sizeof(wins[0]); w++) {
		uint32_t W = wins[w];
		struct l2x_replay *r = new_window(W, false, 0);
		uint8_t *seen = calloc(SPAN + 1, 1);
		uint64_t x = 0x243f6a8885a308d3ull + W, top = 0;

		assert_non_null(seen);
		for (int i = 0; i < 200000; i++) {
			uint64_t s, d;
			enum l2x_replay_verdict want, v;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* mostly near the top, some far behind or ahead */
			switch (x % 8) {
			case 0:
				s = (x >> 8) % (top + 1);
				break;
			case 1:
				s = top + (x >> 8) % 300;
				break;
			default:
				d = (x >> 8) % (2 * (uint64_t)W + 2);
				s = top >= d ? top - d : 0;
				break;
			}
			if (s > SPAN)
				s = SPAN;
			if (s == 0 || (s <= top && top - s >= W))
				want = L2X_REPLAY_OLD;
			else if (s <= top && seen[s])
				want = L2X_REPLAY_DUP;
			else
				want = L2X_REPLAY_OK;
			v = accept(r, (uint32_t)s, NULL);
			if (v != want)
				fail_msg(
				    "W=%u i=%d seq %llu top %llu: %d want %d",
				    W, i, (unsigned long long)s,
				    (unsigned long long)top, v, want);
			if (v == L2X_REPLAY_OK) {
				seen[s] = 1;
				if (s > top)
					top = s;
			}
		}
		free(seen);
		free(r);
	}
}

struct esn_case {
	uint64_t top;
	uint32_t win;
	uint32_t seql;
	enum l2x_replay_verdict want;
	uint64_t seq; /* inferred, when want is OK */
};

/* RFC 4303 Appendix A.2.2, case by case, across 2^32 boundaries. */
static void test_esn_inference_table(void **state)
{
	const uint64_t E = 1ull << 32;
	const struct esn_case c[] = {
	    /* fresh SA: T = 0, case B */
	    {0, 64, 0, L2X_REPLAY_OLD, 0}, /* 64-bit 0 */
	    {0, 64, 1, L2X_REPLAY_OK, 1},
	    {0, 64, 0xffffffff, L2X_REPLAY_OLD, 0}, /* would be < 0 */
	    {0, 64, 0x80000000, L2X_REPLAY_OK, 0x80000000},
	    /* case A: T well inside epoch 0 */
	    {E - 10, 64, 0xfffffff0, L2X_REPLAY_OK, E - 16},
	    {E - 10, 64, 5, L2X_REPLAY_OK, E + 5}, /* next epoch */
	    {E - 10, 64, 0, L2X_REPLAY_OK, E},	   /* low half 0 */
	    {E - 10, 64, 0xffffffff, L2X_REPLAY_OK, E - 1},
	    {E - 10, 64, E - 10 - 63, L2X_REPLAY_OK, E - 73}, /* edge */
	    {E - 10, 64, E - 10 - 64, L2X_REPLAY_OK,
	     2 * E - 74}, /* left of the edge reads as the next epoch */
	    /* case B: T just past a boundary, window straddles it */
	    {E + 5, 64, 3, L2X_REPLAY_OK, E + 3},
	    {E + 5, 64, 0, L2X_REPLAY_OK, E},
	    {E + 5, 64, 0xfffffff0, L2X_REPLAY_OK, E - 16},
	    {E + 5, 64, 0xffffffc6, L2X_REPLAY_OK, E - 58}, /* edge */
	    {E + 5, 64, 0xffffffc5, L2X_REPLAY_OK,
	     E + 0xffffffc5ull}, /* below the edge: far ahead */
	    {E + 5, 64, 6, L2X_REPLAY_OK, E + 6},
	    {E + 5, 4096, 0xfffff100, L2X_REPLAY_OK, E - 0xf00},
	    /* the last epoch */
	    {UINT64_MAX - 1, 64, 0xffffffff, L2X_REPLAY_OK, UINT64_MAX},
	    {UINT64_MAX - 1, 64, 0, L2X_REPLAY_OLD, 0}, /* past 2^64-1 */
	    {UINT64_MAX, 64, 0xffffffff, L2X_REPLAY_OK, UINT64_MAX},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct l2x_replay *r = new_window(c[i].win, true, c[i].top);
		uint64_t s = 0;
		enum l2x_replay_verdict v = l2x_replay_check(r, c[i].seql, &s);

		/* T itself counts as received only once updated; use a
		 * top the window never saw, as a restarted SA would. */
		if (v != c[i].want || (v == L2X_REPLAY_OK && s != c[i].seq))
			fail_msg("case %zu: verdict %d seq %#llx, want %d "
				 "%#llx",
				 i, v, (unsigned long long)s, c[i].want,
				 (unsigned long long)c[i].seq);
		free(r);
	}
}

/*
 * The property Appendix A.2 promises: if the true number s lies in
 * [T - W + 1, T + 2^32 - W], the receiver infers it from its low half.
 * Random T (many near epoch boundaries), random s in that range.
 */
static void test_esn_inference_property(void **state)
{
	static const uint32_t wins[] = {64, 1024, 4096, 1};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	(void)state;

	for (size_t w = 0; w < sizeof(wins) / sizeof(wins[0]); w++) {
		uint32_t W = wins[w];

		for (int i = 0; i < 100000; i++) {
			struct l2x_replay r;
			uint64_t T, s, got = 0, off;
			enum l2x_replay_verdict v;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			T = (x & 1) ? ((x >> 1) & 0xffff) << 32
				    : ((x >> 20) % 8 + 1) << 32;
			T += (x >> 40) % 3 == 0 ? (x >> 8) & 0xffffffff
						: (x >> 8) % (2 * W + 2);
			T -= (x >> 50) % 2 ? W : 0;
			if (T < W)
				T = W; /* keep T - W + 1 >= 1 */
			/* s = T - W + 1 + off, off in [0, 2^32 - 1] */
			off = (x >> 13) & 0xffffffff;
			if (i % 7 == 0)
				off = (i % 2) ? 0 : 0xffffffff; /* both ends */
			s = T - W + 1 + off;
			l2x_replay_init(&r, W, true, T);
			v = l2x_replay_check(&r, (uint32_t)s, &got);
			if (v != L2X_REPLAY_OK || got != s)
				fail_msg("W=%u T=%#llx s=%#llx: verdict %d got "
					 "%#llx",
					 W, (unsigned long long)T,
					 (unsigned long long)s, v,
					 (unsigned long long)got);
		}
	}
}

/* ESN traffic across a boundary: numbers seen before the boundary stay
 * seen after it, numbers after it are new. */
static void test_esn_across_boundary(void **state)
{
	const uint64_t E = 1ull << 32;
	struct l2x_replay *r = new_window(64, true, E - 40);
	uint64_t s;
	(void)state;

	for (uint64_t n = E - 30; n < E + 30; n += 2) {
		assert_int_equal(accept(r, (uint32_t)n, &s), L2X_REPLAY_OK);
		assert_int_equal(s, n);
	}
	assert_int_equal(l2x_replay_top(r), E + 28);
	for (uint64_t n = E - 30; n < E + 30; n++) {
		enum l2x_replay_verdict want =
		    n % 2 == 0 ? L2X_REPLAY_DUP : L2X_REPLAY_OK;

		assert_int_equal(l2x_replay_check(r, (uint32_t)n, &s), want);
		assert_int_equal(s, n);
	}
	/* E - 35 is T - 63, the window's left edge. E - 36 would be left of
	 * it, but RFC 4303 A.2.2 reads such a low half as the current epoch,
	 * 2^32 - 64 ahead: a packet the ICV check will then refuse. */
	assert_int_equal(l2x_replay_check(r, (uint32_t)(E - 35), &s),
			 L2X_REPLAY_OK);
	assert_int_equal(s, E - 35);
	assert_int_equal(l2x_replay_check(r, (uint32_t)(E - 36), &s),
			 L2X_REPLAY_OK);
	assert_int_equal(s, 2 * E - 36);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_window_edges),
	    cmocka_unit_test(test_check_does_not_update),
	    cmocka_unit_test(test_jumps_clear_buckets),
	    cmocka_unit_test(test_against_reference),
	    cmocka_unit_test(test_esn_inference_table),
	    cmocka_unit_test(test_esn_inference_property),
	    cmocka_unit_test(test_esn_across_boundary),
	};
	return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
