/* SPDX-License-Identifier: MIT */
/*
 * test_placement.c - control/placement.h: inventories and the placement
 * each one must get, as tables, plus random inventories checked against a
 * naive sort-based reference, and random rebalances checked for what
 * every plan must be (valid moves, even counts, the fewest moves).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "control/placement.h"
#include "tests/unit/testenv.h"

#define IP(a, b, c, d)                                                    \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
	 (uint32_t)(d))

/* --- extension placement ------------------------------------------------ */

/* A pair: id, switch, networks, traffic, limit, healthy (all up). */
#define P(i, s, nets, tr, lim, h)                                          \
	{                                                                  \
		.id = (i), .sw = (s), .networks = (nets), .traffic = (tr), \
		.limit = (lim), .up = true, .healthy = (h)                 \
	}

/* A pair with its state spelled out: id, switch, networks, traffic, limit,
 * then one of the states below. */
#define PS(i, s, nets, tr, lim, ...)                                       \
	{                                                                  \
		.id = (i), .sw = (s), .networks = (nets), .traffic = (tr), \
		.limit = (lim), .up = true, __VA_ARGS__                    \
	}
#define HEALTHY .healthy = true
#define SICK .healthy = false
#define DRAINING .healthy = true, .draining = true
#define HELD .healthy = true, .held = true

struct ext_case {
	const char *what;
	const char *sw;
	int rc;
	uint32_t want_id; /* rc 0: the chosen pair's id */
	const char *why;  /* rc != 0: the sentence */
	struct l2x_place_pair pairs[6];
	size_t n;
};

/* One case: what, switch asked for, rc, id wanted, sentence wanted, then
 * the inventory (one pair or more). */
#define EXT(what, sw, rc, id, why, ...)                                     \
	{                                                                   \
		what, sw, rc, id, why, {__VA_ARGS__},                       \
		    L2X_ARRAY_LEN(((struct l2x_place_pair[]){__VA_ARGS__})) \
	}

static const struct ext_case ext_cases[] = {
    EXT("fewest networks wins", "sw1", 0, 2, NULL, P(1, "sw1", 5, 0, 0, true),
	P(2, "sw1", 3, 900, 0, true), P(3, "sw1", 7, 0, 0, true)),
    EXT("tie on networks: least traffic", "sw1", 0, 2, NULL,
	P(1, "sw1", 3, 900, 0, true), P(2, "sw1", 3, 100, 0, true),
	P(3, "sw1", 3, 500, 0, true)),
    EXT("tie on networks and traffic: lowest id", "sw1", 0, 4, NULL,
	P(7, "sw1", 3, 100, 0, true), P(4, "sw1", 3, 100, 0, true),
	P(9, "sw1", 3, 100, 0, true)),
    EXT("unknown traffic (0) counts as idle", "sw1", 0, 2, NULL,
	P(1, "sw1", 3, 50, 0, true), P(2, "sw1", 3, 0, 0, true)),
    EXT("unhealthy skipped however light", "sw1", 0, 2, NULL,
	P(1, "sw1", 0, 0, 0, false), P(2, "sw1", 5, 0, 0, true)),
    EXT("pair not up yet but healthy takes networks", "sw1", 0, 1, NULL,
	{.id = 1, .sw = "sw1", .up = false, .healthy = true},
	P(2, "sw1", 4, 0, 0, true)),
    EXT("other switches' pairs ignored", "sw1", 0, 2, NULL,
	P(1, "sw2", 0, 0, 0, true), P(2, "sw1", 50, 0, 0, true),
	P(3, "sw10", 0, 0, 0, true), P(4, "sw", 0, 0, 0, true)),
    EXT("pair at its limit skipped for a heavier one", "sw1", 0, 2, NULL,
	P(1, "sw1", 2, 0, 2, true), P(2, "sw1", 100, 0, 0, true)),
    EXT("default limit: 4093 still takes one", "sw1", 0, 1, NULL,
	P(1, "sw1", 4093, 0, 0, true)),
    EXT("no pair on switch", "sw1", -ENOENT, 0,
	"no appliance pair on switch sw1", P(1, "sw2", 0, 0, 0, true),
	P(2, "sw3", 0, 0, 0, true)),
    EXT("only unhealthy pairs", "sw1", -ENOENT, 0,
	"no healthy appliance pair on switch sw1: 2 unhealthy",
	P(1, "sw1", 0, 0, 0, false), P(2, "sw1", 0, 0, 0, false),
	P(3, "sw2", 0, 0, 0, true)),
    EXT("all at limit", "sw1", -ENOSPC, 0,
	"every pair on switch sw1 carries its limit (10 networks)",
	P(1, "sw1", 10, 0, 10, true), P(2, "sw1", 12, 0, 10, true),
	P(3, "sw1", 0, 0, 0, false), P(4, "sw2", 0, 0, 0, true)),
    EXT("all at limit, limits differ", "sw1", -ENOSPC, 0,
	"every pair on switch sw1 carries its limit (10 to 20 networks)",
	P(1, "sw1", 10, 0, 10, true), P(2, "sw1", 20, 0, 20, true)),
    EXT("default limit reached", "sw1", -ENOSPC, 0,
	"every pair on switch sw1 carries its limit (4094 networks)",
	P(1, "sw1", L2X_PLACE_PAIR_LIMIT, 0, 0, true)),
    EXT("draining skipped however light", "sw1", 0, 2, NULL,
	PS(1, "sw1", 0, 0, 0, DRAINING), PS(2, "sw1", 9, 0, 0, HEALTHY)),
    EXT("held skipped however light", "sw1", 0, 3, NULL,
	PS(1, "sw1", 0, 0, 0, HELD), PS(2, "sw1", 0, 0, 0, SICK),
	PS(3, "sw1", 9, 0, 0, HEALTHY)),
    EXT("only draining or held pairs", "sw1", -ENOENT, 0,
	"no healthy appliance pair on switch sw1: 0 unhealthy, 2 draining or "
	"held",
	PS(1, "sw1", 0, 0, 0, DRAINING), PS(2, "sw1", 0, 0, 0, HELD),
	PS(3, "sw2", 0, 0, 0, HEALTHY)),
    EXT("unhealthy and draining counts as unhealthy", "sw1", -ENOENT, 0,
	"no healthy appliance pair on switch sw1: 2 unhealthy, 1 draining or "
	"held",
	PS(1, "sw1", 0, 0, 0, .draining = true), PS(2, "sw1", 0, 0, 0, SICK),
	PS(3, "sw1", 0, 0, 0, HELD)),
    EXT("draining and held pairs are not 'at limit'", "sw1", -ENOSPC, 0,
	"every pair on switch sw1 carries its limit (3 networks)",
	PS(1, "sw1", 3, 0, 3, HEALTHY), PS(2, "sw1", 0, 0, 0, DRAINING),
	PS(3, "sw1", 0, 0, 0, HELD)),
};

static void test_extension_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < L2X_ARRAY_LEN(ext_cases); c++) {
		const struct ext_case *t = &ext_cases[c];
		char why[160] = "untouched";
		size_t idx = SIZE_MAX;
		int rc;

		rc = l2x_place_extension(t->pairs, t->n, t->sw, &idx, why,
					 sizeof(why));
		L2X_CHECK(rc == t->rc, "case %zu (%s): rc %d, want %d (%s)", c,
			  t->what, rc, t->rc, why);
		if (rc == 0) {
			L2X_CHECK(idx < t->n, "case %zu (%s): idx %zu", c,
				  t->what, idx);
			L2X_CHECK(t->pairs[idx].id == t->want_id,
				  "case %zu (%s): pair %u, want %u", c, t->what,
				  t->pairs[idx].id, t->want_id);
			L2X_CHECK(strcmp(why, "untouched") == 0,
				  "case %zu (%s): err written on success", c,
				  t->what);
		} else {
			L2X_CHECK(strcmp(why, t->why) == 0,
				  "case %zu (%s):\n  got:  %s\n  want: %s", c,
				  t->what, why, t->why);
			L2X_CHECK(idx == SIZE_MAX, "case %zu: idx written", c);
		}
	}
}

/* A switch name array without a NUL is not a name: it matches nothing,
 * not even a string with the same 64 bytes. A NULL or short err buffer is
 * fine; arguments missing are -EINVAL. */
static void test_extension_edges(void **state)
{
	struct l2x_place_pair p = P(1, "", 0, 0, 0, true);
	char name[L2X_PLACE_NAME_LEN + 1], why[8], long_why[64];
	size_t idx;

	(void)state;
	memset(p.sw, 'x', sizeof(p.sw));
	memset(name, 'x', L2X_PLACE_NAME_LEN);
	name[L2X_PLACE_NAME_LEN] = '\0';
	assert_int_equal(l2x_place_extension(&p, 1, name, &idx, NULL, 0),
			 -ENOENT);
	assert_int_equal(
	    l2x_place_extension(&p, 1, name, &idx, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "no appl");
	assert_int_equal(l2x_place_extension(&p, 1, NULL, &idx, NULL, 0),
			 -EINVAL);
	assert_int_equal(l2x_place_extension(&p, 1, "sw1", NULL, NULL, 0),
			 -EINVAL);
	assert_int_equal(l2x_place_extension(NULL, 1, "sw1", &idx, NULL, 0),
			 -EINVAL);
	assert_int_equal(l2x_place_extension(NULL, 0, "sw1", &idx, long_why,
					     sizeof(long_why)),
			 -ENOENT);
	assert_string_equal(long_why, "no appliance pair on switch sw1");
}

/* --- rebalance ---------------------------------------------------------- */

struct reb_case {
	const char *what;
	const char *sw;
	bool even;
	int rc;
	const char *moves; /* the moves by pair id ("from>to", one space
			      apart, in order) */
	const char *why;   /* rc != 0: the sentence */
	struct l2x_place_pair pairs[8];
	size_t n;
};

/* One case: what, switch, even, rc, moves wanted, sentence wanted, then
 * the inventory (one pair or more). */
#define REB(what, sw, even, rc, moves, why, ...)                            \
	{                                                                   \
		what, sw, even, rc, moves, why, {__VA_ARGS__},              \
		    L2X_ARRAY_LEN(((struct l2x_place_pair[]){__VA_ARGS__})) \
	}

static const struct reb_case reb_cases[] = {
    REB("scale-out 1 -> 2 pairs, 6 networks: 3 moves", "sw1", true, 0,
	"1>2 1>2 1>2", NULL, PS(1, "sw1", 6, 0, 0, HEALTHY),
	PS(2, "sw1", 0, 0, 0, HEALTHY)),
    REB("scale-out 1 -> 3 pairs, 7 networks: the old pair keeps the extra",
	"sw1", true, 0, "1>2 1>3 1>2 1>3", NULL, PS(1, "sw1", 7, 0, 0, HEALTHY),
	PS(2, "sw1", 0, 0, 0, HEALTHY), PS(3, "sw1", 0, 0, 0, HEALTHY)),
    REB("scale-in: a draining pair's 3 networks into 2 pairs", "sw1", true, 0,
	"3>1 3>2 3>1", NULL, PS(1, "sw1", 4, 0, 0, HEALTHY),
	PS(2, "sw1", 4, 0, 0, HEALTHY), PS(3, "sw1", 3, 0, 0, DRAINING)),
    REB("scale-in with uneven takers: the drain evens them, no more moves",
	"sw1", true, 0, "3>2 3>2 3>2", NULL, PS(1, "sw1", 5, 0, 0, HEALTHY),
	PS(2, "sw1", 2, 0, 0, HEALTHY), PS(3, "sw1", 3, 0, 0, DRAINING)),
    REB("failure, not even: each network to the lightest, pair 3 untouched",
	"sw1", false, 0, "4>2 4>2 4>2 4>1", NULL,
	PS(1, "sw1", 5, 0, 0, HEALTHY), PS(2, "sw1", 2, 0, 0, HEALTHY),
	PS(3, "sw1", 9, 0, 0, HEALTHY), PS(4, "sw1", 4, 0, 0, SICK)),
    REB("failure, not even: uneven healthy pairs stay uneven", "sw1", false, 0,
	"", NULL, PS(1, "sw1", 9, 0, 0, HEALTHY),
	PS(2, "sw1", 0, 0, 0, HEALTHY)),
    REB("failure: ties on count go to the least traffic", "sw1", false, 0,
	"3>2 3>1", NULL, PS(1, "sw1", 1, 50, 0, HEALTHY),
	PS(2, "sw1", 1, 10, 0, HEALTHY), PS(3, "sw1", 2, 0, 0, SICK)),
    REB("held pair takes nothing", "sw1", false, 0, "3>2 3>2", NULL,
	PS(1, "sw1", 0, 0, 0, HELD), PS(2, "sw1", 3, 0, 0, HEALTHY),
	PS(3, "sw1", 2, 0, 0, SICK)),
    REB("held pair takes nothing, even", "sw1", true, 0, "3>2 3>2", NULL,
	PS(1, "sw1", 0, 0, 0, HELD), PS(2, "sw1", 3, 0, 0, HEALTHY),
	PS(3, "sw1", 2, 0, 0, SICK)),
    REB("held pair keeps what it carries and is out of the evening", "sw1",
	true, 0, "2>3 2>3 2>3", NULL, PS(1, "sw1", 4, 0, 0, HELD),
	PS(2, "sw1", 6, 0, 0, HEALTHY), PS(3, "sw1", 0, 0, 0, HEALTHY)),
    REB("unhealthy held pair gives all", "sw1", false, 0, "1>2 1>2", NULL,
	PS(1, "sw1", 2, 0, 0, .held = true), PS(2, "sw1", 0, 0, 0, HEALTHY)),
    REB("no taker", "sw1", false, -ENOSPC, "",
	"switch sw1: 3 networks have no healthy pair to go to",
	PS(1, "sw1", 2, 0, 0, SICK), PS(2, "sw1", 1, 0, 0, DRAINING),
	PS(3, "sw1", 0, 0, 0, HELD), PS(4, "sw2", 0, 0, 0, HEALTHY)),
    REB("no taker, even", "sw1", true, -ENOSPC, "",
	"switch sw1: 3 networks have no healthy pair to go to",
	PS(1, "sw1", 2, 0, 0, SICK), PS(2, "sw1", 1, 0, 0, DRAINING),
	PS(3, "sw1", 0, 0, 0, HELD), PS(4, "sw2", 0, 0, 0, HEALTHY)),
    REB("takers fill to their limit: the moves that can be made", "sw1", false,
	-ENOSPC, "1>2 1>2",
	"switch sw1: 3 networks have no healthy pair to go to",
	PS(1, "sw1", 5, 0, 0, SICK), PS(2, "sw1", 8, 0, 10, HEALTHY)),
    REB("even with a limit: the others share what it cannot take", "sw1", true,
	0, "1>2 1>3 1>2 1>3 1>3 1>3", NULL, PS(1, "sw1", 10, 0, 0, HEALTHY),
	PS(2, "sw1", 0, 0, 2, HEALTHY), PS(3, "sw1", 0, 0, 0, HEALTHY)),
    REB("other switches' pairs untouched", "sw1", true, 0, "2>5 2>5", NULL,
	PS(1, "sw2", 9, 0, 0, SICK), PS(2, "sw1", 4, 0, 0, HEALTHY),
	PS(3, "sw10", 0, 0, 0, HEALTHY), PS(4, "sw", 0, 0, 0, HEALTHY),
	PS(5, "sw1", 0, 0, 0, HEALTHY), PS(6, "sw2", 0, 0, 0, DRAINING)),
    REB("balanced: nothing to do", "sw1", true, 0, "", NULL,
	PS(1, "sw1", 3, 0, 0, HEALTHY), PS(2, "sw1", 2, 0, 0, HEALTHY),
	PS(3, "sw1", 0, 0, 0, SICK), PS(4, "sw1", 0, 0, 0, DRAINING)),
    REB("no pair on the switch: nothing to do", "sw1", true, 0, "", NULL,
	PS(1, "sw2", 3, 0, 0, SICK)),
    REB("the busiest must-empty pair gives first", "sw1", false, 0,
	"2>3 2>4 1>3 1>4", NULL, PS(1, "sw1", 2, 100, 0, DRAINING),
	PS(2, "sw1", 2, 900, 0, SICK), PS(3, "sw1", 0, 0, 0, HEALTHY),
	PS(4, "sw1", 0, 0, 0, HEALTHY)),
    REB("evening: the busiest taker gives first", "sw1", true, 0,
	"2>3 2>3 1>3 1>3", NULL, PS(1, "sw1", 6, 100, 0, HEALTHY),
	PS(2, "sw1", 6, 900, 0, HEALTHY), PS(3, "sw1", 0, 0, 0, HEALTHY)),
    REB("evening: the least busy of equals keeps the extra", "sw1", true, 0,
	"2>3 2>3 1>3", NULL, PS(1, "sw1", 5, 100, 0, HEALTHY),
	PS(2, "sw1", 5, 900, 0, HEALTHY), PS(3, "sw1", 0, 0, 0, HEALTHY)),
    REB("evening: the one holding more keeps the extra", "sw1", true, 0,
	"2>3 2>3 1>3", NULL, PS(1, "sw1", 4, 0, 0, HEALTHY),
	PS(2, "sw1", 6, 0, 0, HEALTHY), PS(3, "sw1", 0, 0, 0, HEALTHY)),
};

/* moves as "from>to ..." by pair id, into buf. */
static const char *moves_str(const struct l2x_place_pair *p,
			     const struct l2x_place_move *m, size_t nm,
			     char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t j = 0; j < nm; j++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%u>%u",
			 j ? " " : "", p[m[j].from].id, p[m[j].to].id);
	return buf;
}

static void test_rebalance_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < L2X_ARRAY_LEN(reb_cases); c++) {
		const struct reb_case *t = &reb_cases[c];
		struct l2x_place_move m[32];
		char why[160] = "untouched", got[256];
		size_t nm = SIZE_MAX;
		int rc;

		rc = l2x_place_rebalance(t->pairs, t->n, t->sw, t->even, m,
					 L2X_ARRAY_LEN(m), &nm, why,
					 sizeof(why));
		L2X_CHECK(rc == t->rc, "case %zu (%s): rc %d, want %d (%s)", c,
			  t->what, rc, t->rc, why);
		L2X_CHECK(nm <= L2X_ARRAY_LEN(m), "case %zu (%s): nmoves %zu",
			  c, t->what, nm);
		moves_str(t->pairs, m, nm, got, sizeof(got));
		L2X_CHECK(strcmp(got, t->moves) == 0,
			  "case %zu (%s):\n  moves: %s\n  want:  %s", c,
			  t->what, got, t->moves);
		if (rc == 0)
			L2X_CHECK(strcmp(why, "untouched") == 0,
				  "case %zu (%s): err written on success", c,
				  t->what);
		else
			L2X_CHECK(strcmp(why, t->why) == 0,
				  "case %zu (%s):\n  got:  %s\n  want: %s", c,
				  t->what, why, t->why);
	}
}

/* Apply moves to the inventory, as the manager does once they are made. */
static void apply_moves(struct l2x_place_pair *p,
			const struct l2x_place_move *m, size_t nm)
{
	for (size_t j = 0; j < nm; j++) {
		p[m[j].from].networks--;
		p[m[j].to].networks++;
	}
}

/* A move array too small: -EOVERFLOW with the first cap moves; made, the
 * next call goes on from there and completes. cap 0 (moves NULL) asks
 * only whether anything is to do. */
static void test_rebalance_overflow(void **state)
{
	struct l2x_place_pair p[] = {PS(1, "sw1", 6, 0, 0, HEALTHY),
				     PS(2, "sw1", 0, 0, 0, HEALTHY),
				     PS(3, "sw1", 1, 0, 0, SICK)};
	struct l2x_place_move m[2];
	char why[80], got[64];
	size_t nm;

	(void)state;
	assert_int_equal(l2x_place_rebalance(p, 3, "sw1", true, NULL, 0, &nm,
					     why, sizeof(why)),
			 -EOVERFLOW);
	assert_int_equal(nm, 0);
	assert_string_equal(why, "switch sw1: more than 0 moves needed");
	assert_int_equal(
	    l2x_place_rebalance(p, 3, "sw1", true, m, 2, &nm, why, sizeof(why)),
	    -EOVERFLOW);
	assert_string_equal(why, "switch sw1: more than 2 moves needed");
	assert_string_equal(moves_str(p, m, nm, got, sizeof(got)), "3>2 1>2");
	apply_moves(p, m, nm);
	assert_int_equal(
	    l2x_place_rebalance(p, 3, "sw1", true, m, 2, &nm, NULL, 0), 0);
	assert_string_equal(moves_str(p, m, nm, got, sizeof(got)), "1>2");
	apply_moves(p, m, nm);
	assert_int_equal(p[0].networks, 4);
	assert_int_equal(p[1].networks, 3);
	assert_int_equal(p[2].networks, 0);
	assert_int_equal(
	    l2x_place_rebalance(p, 3, "sw1", true, NULL, 0, &nm, NULL, 0), 0);
	assert_int_equal(nm, 0);
}

/* Missing arguments are -EINVAL; more than L2X_PLACE_SWITCH_PAIRS_MAX
 * pairs on the switch is -E2BIG, however many are on other switches. */
static void test_rebalance_edges(void **state)
{
	struct l2x_place_pair p[L2X_PLACE_SWITCH_PAIRS_MAX + 2];
	struct l2x_place_move m[4];
	char why[80];
	size_t nm;

	(void)state;
	for (size_t i = 0; i < L2X_ARRAY_LEN(p); i++)
		p[i] = (struct l2x_place_pair)PS((uint32_t)i + 1, "sw1", 1, 0,
						 0, HEALTHY);
	strcpy(p[0].sw, "sw2");
	/* 65 on sw1 */
	assert_int_equal(l2x_place_rebalance(p, L2X_ARRAY_LEN(p), "sw1", true,
					     m, 4, &nm, why, sizeof(why)),
			 -E2BIG);
	assert_string_equal(why, "switch sw1 has more than 64 pairs");
	/* 64 on sw1, balanced */
	assert_int_equal(l2x_place_rebalance(p, L2X_ARRAY_LEN(p) - 1, "sw1",
					     true, m, 4, &nm, NULL, 0),
			 0);
	assert_int_equal(nm, 0);
	assert_int_equal(
	    l2x_place_rebalance(p, 2, NULL, true, m, 4, &nm, why, sizeof(why)),
	    -EINVAL);
	assert_string_equal(why, "no switch, pair list or move array given");
	assert_int_equal(
	    l2x_place_rebalance(p, 2, "sw1", true, m, 4, NULL, NULL, 0),
	    -EINVAL);
	assert_int_equal(
	    l2x_place_rebalance(p, 2, "sw1", true, NULL, 4, &nm, NULL, 0),
	    -EINVAL);
	assert_int_equal(
	    l2x_place_rebalance(NULL, 2, "sw1", true, m, 4, &nm, NULL, 0),
	    -EINVAL);
	assert_int_equal(
	    l2x_place_rebalance(NULL, 0, "sw1", true, m, 4, &nm, NULL, 0), 0);
	assert_int_equal(nm, 0);
}

/* --- mesh allocation ---------------------------------------------------- */

/* An appliance: name, switch, healthy, in use. */
#define A(nm, s, h, u)                                                 \
	{                                                              \
		.name = (nm), .sw = (s), .healthy = (h), .in_use = (u) \
	}

struct mesh_case {
	const char *what;
	const char *sw;
	size_t k;
	int rc;
	const char *want; /* rc 0: the chosen names, in order, one space
			     apart; else the sentence */
	struct l2x_place_appl appls[8];
	size_t n;
};

/* One case: what, switch, k, rc, names or sentence wanted, then the
 * inventory (one appliance or more). */
#define MESH(what, sw, k, rc, want, ...)                                    \
	{                                                                   \
		what, sw, k, rc, want, {__VA_ARGS__},                       \
		    L2X_ARRAY_LEN(((struct l2x_place_appl[]){__VA_ARGS__})) \
	}

static const struct mesh_case mesh_cases[] = {
    MESH("enough", "sw1", 2, 0, "ne-1 ne-2", A("ne-1", "sw1", true, false),
	 A("ne-2", "sw1", true, false), A("ne-3", "sw1", true, false)),
    MESH("name order, not inventory order", "sw1", 3, 0, "ne-a ne-b ne-c",
	 A("ne-c", "sw1", true, false), A("ne-a", "sw1", true, false),
	 A("ne-d", "sw1", true, false), A("ne-b", "sw1", true, false)),
    MESH("in use skipped", "sw1", 2, 0, "ne-2 ne-4",
	 A("ne-1", "sw1", true, true), A("ne-2", "sw1", true, false),
	 A("ne-3", "sw1", true, true), A("ne-4", "sw1", true, false)),
    MESH("unhealthy skipped", "sw1", 2, 0, "ne-2 ne-4",
	 A("ne-1", "sw1", false, false), A("ne-2", "sw1", true, false),
	 A("ne-3", "sw1", false, false), A("ne-4", "sw1", true, false)),
    MESH("other switches ignored", "sw1", 1, 0, "ne-2",
	 A("ne-1", "sw2", true, false), A("ne-2", "sw1", true, false),
	 A("ne-0", "sw10", true, false)),
    MESH("exactly enough", "sw1", 2, 0, "a b", A("b", "sw1", true, false),
	 A("a", "sw1", true, false)),
    MESH("k = 0 chooses none", "sw1", 0, 0, "", A("a", "sw1", true, false)),
    MESH("not enough", "sw1", 2, -ENOSPC,
	 "switch sw1 has 1 free appliance, the mesh needs 2",
	 A("ne-1", "sw1", true, false), A("ne-2", "sw1", true, true),
	 A("ne-3", "sw1", false, false), A("ne-4", "sw2", true, false)),
    MESH("none free", "sw1", 1, -ENOSPC,
	 "switch sw1 has 0 free appliances, the mesh needs 1",
	 A("ne-1", "sw1", true, true), A("ne-2", "sw1", false, false)),
    MESH("several free, not enough", "sw1", 4, -ENOSPC,
	 "switch sw1 has 3 free appliances, the mesh needs 4",
	 A("a", "sw1", true, false), A("b", "sw1", true, false),
	 A("c", "sw1", true, false)),
};

static void test_mesh_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < L2X_ARRAY_LEN(mesh_cases); c++) {
		const struct mesh_case *t = &mesh_cases[c];
		size_t out[5] = {SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX,
				 SIZE_MAX};
		char why[160] = "untouched", got[160] = "";
		int rc;

		rc = l2x_place_mesh(t->appls, t->n, t->sw, t->k, out, why,
				    sizeof(why));
		L2X_CHECK(rc == t->rc, "case %zu (%s): rc %d, want %d (%s)", c,
			  t->what, rc, t->rc, why);
		if (rc != 0) {
			L2X_CHECK(strcmp(why, t->want) == 0,
				  "case %zu (%s):\n  got:  %s\n  want: %s", c,
				  t->what, why, t->want);
			L2X_CHECK(out[0] == SIZE_MAX, "case %zu: out written",
				  c);
			continue;
		}
		for (size_t j = 0; j < t->k; j++) {
			L2X_CHECK(out[j] < t->n, "case %zu (%s): out[%zu] %zu",
				  c, t->what, j, out[j]);
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
				 "%s%s", j ? " " : "", t->appls[out[j]].name);
		}
		L2X_CHECK(strcmp(got, t->want) == 0,
			  "case %zu (%s): chose '%s', want '%s'", c, t->what,
			  got, t->want);
		L2X_CHECK(out[t->k] == SIZE_MAX, "case %zu (%s): wrote past k",
			  c, t->what);
		L2X_CHECK(strcmp(why, "untouched") == 0,
			  "case %zu (%s): err written on success", c, t->what);
	}
}

/* Two appliances with one name (a broken inventory) are both chosen, in
 * inventory order, not one twice. No appliance at all; missing
 * arguments. */
static void test_mesh_same_name(void **state)
{
	const struct l2x_place_appl a[] = {A("x", "sw1", true, false),
					   A("ne", "sw1", true, false),
					   A("ne", "sw1", true, false)};
	size_t out[3];
	char why[64];

	(void)state;
	assert_int_equal(l2x_place_mesh(a, 3, "sw1", 3, out, NULL, 0), 0);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 2);
	assert_int_equal(out[2], 0);
	assert_int_equal(l2x_place_mesh(a, 3, NULL, 1, out, NULL, 0), -EINVAL);
	assert_int_equal(
	    l2x_place_mesh(NULL, 0, "sw1", 16, out, why, sizeof(why)), -ENOSPC);
	assert_string_equal(
	    why, "switch sw1 has 0 free appliances, the mesh needs 16");
	assert_int_equal(l2x_place_mesh(a, 3, "sw1", 1, NULL, NULL, 0),
			 -EINVAL);
}

/* --- random inventories against a naive reference ----------------------- */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int by_load(const void *a, const void *b)
{
	const struct l2x_place_pair *x = a, *y = b;

	if (x->networks != y->networks)
		return x->networks < y->networks ? -1 : 1;
	if (x->traffic != y->traffic)
		return x->traffic < y->traffic ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Filter to candidates, sort by (networks, traffic, id), take the first. */
static int ref_extension(const struct l2x_place_pair *p, size_t n,
			 const char *sw, uint32_t *id)
{
	struct l2x_place_pair c[32];
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t lim = p[i].limit ? p[i].limit : L2X_PLACE_PAIR_LIMIT;

		if (strcmp(p[i].sw, sw) == 0 && p[i].healthy &&
		    !p[i].draining && !p[i].held && p[i].networks < lim)
			c[m++] = p[i];
	}
	if (m == 0)
		return -1;
	qsort(c, m, sizeof(c[0]), by_load);
	*id = c[0].id;
	return 0;
}

static void test_extension_reference(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		struct l2x_place_pair p[32];
		size_t n = rnd(&seed) % 32, idx;
		uint32_t want = 0;
		int rc, ref;

		for (size_t i = 0; i < n; i++) {
			p[i] = (struct l2x_place_pair){
			    .id = (uint32_t)(rnd(&seed) % 1000),
			    .networks = (uint32_t)(rnd(&seed) % 6),
			    .traffic = rnd(&seed) % 4,
			    .limit = (uint32_t)(rnd(&seed) % 6),
			    .up = rnd(&seed) % 2,
			    .healthy = rnd(&seed) % 4 != 0,
			    .draining = rnd(&seed) % 6 == 0,
			    .held = rnd(&seed) % 6 == 0,
			};
			snprintf(p[i].sw, sizeof(p[i].sw), "sw%u",
				 (unsigned)(rnd(&seed) % 3));
			/* ids unique in a site */
			p[i].id = p[i].id * 32 + (uint32_t)i;
		}
		ref = ref_extension(p, n, "sw1", &want);
		rc = l2x_place_extension(p, n, "sw1", &idx, NULL, 0);
		L2X_CHECK((rc == 0) == (ref == 0), "round %d: rc %d, ref %d",
			  round, rc, ref);
		if (rc == 0)
			L2X_CHECK(p[idx].id == want,
				  "round %d: pair %u, ref %u", round, p[idx].id,
				  want);
	}
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct l2x_place_appl *)a)->name,
		      ((const struct l2x_place_appl *)b)->name);
}

static void test_mesh_reference(void **state)
{
	uint64_t seed = 0x2545f4914f6cdd1dull;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		struct l2x_place_appl a[24], c[24];
		size_t n = rnd(&seed) % 24, k = rnd(&seed) % 6, m = 0;
		size_t out[6];
		int rc;

		for (size_t i = 0; i < n; i++) {
			a[i] = (struct l2x_place_appl){
			    .healthy = rnd(&seed) % 4 != 0,
			    .in_use = rnd(&seed) % 3 == 0,
			};
			/* unique names, random order */
			snprintf(a[i].name, sizeof(a[i].name), "ne-%03u-%02zu",
				 (unsigned)(rnd(&seed) % 1000), i);
			snprintf(a[i].sw, sizeof(a[i].sw), "sw%u",
				 (unsigned)(rnd(&seed) % 2));
			if (a[i].healthy && !a[i].in_use &&
			    strcmp(a[i].sw, "sw1") == 0)
				c[m++] = a[i];
		}
		qsort(c, m, sizeof(c[0]), by_name);
		rc = l2x_place_mesh(a, n, "sw1", k, out, NULL, 0);
		L2X_CHECK(rc == (m >= k ? 0 : -ENOSPC),
			  "round %d: rc %d with %zu free, k %zu", round, rc, m,
			  k);
		for (size_t j = 0; rc == 0 && j < k; j++)
			L2X_CHECK(strcmp(a[out[j]].name, c[j].name) == 0,
				  "round %d: out[%zu] %s, ref %s", round, j,
				  a[out[j]].name, c[j].name);
	}
}

static bool empties(const struct l2x_place_pair *p)
{
	return !p->healthy || p->draining;
}

static bool taker(const struct l2x_place_pair *p)
{
	return p->healthy && !p->draining && !p->held;
}

static uint32_t lim(const struct l2x_place_pair *p)
{
	return p->limit ? p->limit : L2X_PLACE_PAIR_LIMIT;
}

static int by_count_desc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x > y ? -1 : x < y;
}

/* The fewest moves that empty sw1's must-empty pairs and even its takers
 * out (no limits): all the must-empty pairs' networks, and of the takers,
 * sorted by count, what the first total % r hold over q + 1 and the
 * others over q (the extra networks stay where the most are). */
static uint64_t min_moves(const struct l2x_place_pair *p, size_t n)
{
	uint32_t c[32];
	uint64_t total = 0, cost = 0, q, extra;
	size_t r = 0;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(p[i].sw, "sw1") != 0)
			continue;
		if (empties(&p[i])) {
			total += p[i].networks;
			cost += p[i].networks;
		} else if (taker(&p[i])) {
			total += p[i].networks;
			c[r++] = p[i].networks;
		}
	}
	if (r == 0)
		return cost;
	qsort(c, r, sizeof(c[0]), by_count_desc);
	q = total / r;
	extra = total % r;
	for (size_t i = 0; i < r; i++) {
		uint64_t want = q + (i < extra);

		cost += c[i] > want ? c[i] - want : 0;
	}
	return cost;
}

/* The taker on sw1 a failure's next network goes to: below its limit,
 * the fewest networks, then the least traffic, then the lowest id. */
static size_t ref_lightest(const struct l2x_place_pair *p, size_t n)
{
	size_t best = n;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(p[i].sw, "sw1") != 0 || !taker(&p[i]) ||
		    p[i].networks >= lim(&p[i]))
			continue;
		if (best == n || by_load(&p[i], &p[best]) < 0)
			best = i;
	}
	return best;
}

/* A random site of up to 24 pairs, most of them on sw1, ids unique. */
static size_t random_site(uint64_t *seed, struct l2x_place_pair *p, bool limits)
{
	size_t n = rnd(seed) % 25;

	for (size_t i = 0; i < n; i++) {
		p[i] = (struct l2x_place_pair){
		    .id = (uint32_t)(rnd(seed) % 1000) * 32 + (uint32_t)i,
		    .networks = (uint32_t)(rnd(seed) % 12),
		    .traffic = rnd(seed) % 4,
		    .limit = limits ? (uint32_t)(rnd(seed) % 8) : 0,
		    .up = true,
		    .healthy = rnd(seed) % 4 != 0,
		    .draining = rnd(seed) % 6 == 0,
		    .held = rnd(seed) % 6 == 0,
		};
		strcpy(p[i].sw, rnd(seed) % 4 ? "sw1" : "sw2");
	}
	return n;
}

/* Check one call's moves while applying them to p: each stays on sw1,
 * goes to a taker below its limit, from a pair that has a network to
 * give: a must-empty one, or with even a taker. Without even, each goes
 * to the lightest taker. gave/got record who gave and who took. */
static void check_moves(int round, struct l2x_place_pair *p, size_t n,
			bool even, const struct l2x_place_move *m, size_t nm,
			bool *gave, bool *got)
{
	for (size_t j = 0; j < nm; j++) {
		size_t f = m[j].from, t = m[j].to;

		L2X_CHECK(f < n && t < n && f != t,
			  "round %d move %zu: %zu>%zu of %zu", round, j, f, t,
			  n);
		L2X_CHECK(strcmp(p[f].sw, "sw1") == 0 &&
			      strcmp(p[t].sw, "sw1") == 0,
			  "round %d move %zu: off the switch", round, j);
		L2X_CHECK(taker(&p[t]) && p[t].networks < lim(&p[t]),
			  "round %d move %zu: to pair %u, not a taker below "
			  "its limit",
			  round, j, p[t].id);
		L2X_CHECK(empties(&p[f]) || (even && taker(&p[f])),
			  "round %d move %zu: from pair %u, which may not give",
			  round, j, p[f].id);
		L2X_CHECK(p[f].networks > 0,
			  "round %d move %zu: pair %u has nothing to give",
			  round, j, p[f].id);
		if (!even)
			L2X_CHECK(t == ref_lightest(p, n),
				  "round %d move %zu: to pair %u, not the "
				  "lightest",
				  round, j, p[t].id);
		p[f].networks--;
		p[t].networks++;
		gave[f] = true;
		got[t] = true;
	}
}

/* After the last call: no pair both gave and took; other switches' and
 * held healthy pairs untouched; must-empty pairs empty unless -ENOSPC,
 * and then the sentence counts what is left and no taker has room. */
static void check_after(int round, const struct l2x_place_pair *before,
			const struct l2x_place_pair *p, size_t n, int rc,
			const char *why, const bool *gave, const bool *got)
{
	uint64_t left = 0;
	char want[96];

	for (size_t i = 0; i < n; i++) {
		L2X_CHECK(!(gave[i] && got[i]),
			  "round %d: pair %u gave and took", round, p[i].id);
		if (strcmp(p[i].sw, "sw1") != 0 ||
		    (!empties(&p[i]) && !taker(&p[i])))
			L2X_CHECK(p[i].networks == before[i].networks,
				  "round %d: pair %u (%s) changed", round,
				  p[i].id, p[i].sw);
		else if (empties(&p[i]))
			left += p[i].networks;
	}
	if (rc == 0) {
		L2X_CHECK(left == 0, "round %d: %llu networks left behind",
			  round, (unsigned long long)left);
		return;
	}
	L2X_CHECK(rc == -ENOSPC, "round %d: rc %d (%s)", round, rc, why);
	L2X_CHECK(ref_lightest(p, n) == n, "round %d: -ENOSPC with room",
		  round);
	snprintf(want, sizeof(want),
		 "switch sw1: %llu networks have no healthy pair to go to",
		 (unsigned long long)left);
	L2X_CHECK(strcmp(why, want) == 0, "round %d: '%s', want '%s'", round,
		  why, want);
}

/* Random inventories on one switch, no limits, one call: the moves are
 * valid (check_moves, check_after); with even the takers end within one
 * of each other, in the fewest moves. */
static void test_rebalance_property(void **state)
{
	uint64_t seed = 0xd1b54a32d192ed03ull;

	(void)state;
	for (int round = 0; round < 5000; round++) {
		struct l2x_place_pair before[24], p[24];
		struct l2x_place_move m[24 * 12];
		bool gave[24] = {false}, got[24] = {false};
		bool even = rnd(&seed) % 2;
		size_t n = random_site(&seed, before, false), nm;
		uint32_t lo = UINT32_MAX, hi = 0;
		uint64_t out = 0;
		char why[96] = "";
		int rc;

		memcpy(p, before, sizeof(before[0]) * n);
		rc = l2x_place_rebalance(p, n, "sw1", even, m, L2X_ARRAY_LEN(m),
					 &nm, why, sizeof(why));
		check_moves(round, p, n, even, m, nm, gave, got);
		check_after(round, before, p, n, rc, why, gave, got);
		if (!even || rc != 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (strcmp(p[i].sw, "sw1") != 0)
				continue;
			if (before[i].networks > p[i].networks)
				out += before[i].networks - p[i].networks;
			if (!taker(&p[i]))
				continue;
			lo = p[i].networks < lo ? p[i].networks : lo;
			hi = p[i].networks > hi ? p[i].networks : hi;
		}
		L2X_CHECK(lo == UINT32_MAX || hi - lo <= 1,
			  "round %d: takers hold %u to %u", round, lo, hi);
		L2X_CHECK(nm == out, "round %d: %zu moves for %llu out", round,
			  nm, (unsigned long long)out);
		L2X_CHECK(nm == min_moves(before, n),
			  "round %d: %zu moves, the fewest is %llu", round, nm,
			  (unsigned long long)min_moves(before, n));
	}
}

/* Random limits and a small move array, asked again after each batch as
 * the manager does: valid moves, done in a few calls, and with even two
 * takers differ by more than one only if the lighter is at its limit. */
static void test_rebalance_limits(void **state)
{
	uint64_t seed = 0x94d049bb133111ebull;

	(void)state;
	for (int round = 0; round < 5000; round++) {
		struct l2x_place_pair before[24], p[24];
		struct l2x_place_move m[4];
		bool gave[24] = {false}, got[24] = {false};
		bool even = rnd(&seed) % 2;
		size_t n = random_site(&seed, before, true), nm, calls = 0;
		char why[96] = "";
		int rc;

		memcpy(p, before, sizeof(before[0]) * n);
		do {
			size_t cap = 1 + rnd(&seed) % L2X_ARRAY_LEN(m);

			rc = l2x_place_rebalance(p, n, "sw1", even, m, cap, &nm,
						 why, sizeof(why));
			L2X_CHECK(rc != -EOVERFLOW || nm == cap,
				  "round %d: -EOVERFLOW after %zu of %zu",
				  round, nm, cap);
			check_moves(round, p, n, even, m, nm, gave, got);
			L2X_CHECK(++calls <= 24 * 12,
				  "round %d: no end after %zu calls", round,
				  calls);
		} while (rc == -EOVERFLOW);
		check_after(round, before, p, n, rc, why, gave, got);
		for (size_t a = 0; even && a < n; a++)
			for (size_t b = 0; b < n; b++) {
				if (strcmp(p[a].sw, "sw1") != 0 ||
				    strcmp(p[b].sw, "sw1") != 0 ||
				    !taker(&p[a]) || !taker(&p[b]))
					continue;
				L2X_CHECK(p[a].networks <= p[b].networks + 1 ||
					      p[b].networks >= lim(&p[b]),
					  "round %d: pair %u holds %u, pair %u "
					  "%u below its limit %u",
					  round, p[a].id, p[a].networks,
					  p[b].id, p[b].networks, lim(&p[b]));
			}
	}
}

/* --- uplink address pool ------------------------------------------------ */

struct addr_case {
	const char *what;
	struct l2x_place_pool pool;
	int rc;
	uint32_t want;
	const char *why;
	uint32_t used[8]; /* used[0] is a placeholder: the list may be empty */
	size_t nused;
};

#define POOL(s, e, p, g)                                                \
	{                                                               \
		.start = (s), .end = (e), .prefix = (p), .gateway = (g) \
	}

/* One case: what, pool, rc, address or sentence wanted, then the
 * addresses in use (none or more). */
#define ADDR(what, pool, rc, want, why, ...)                          \
	{                                                             \
		what, pool, rc, want, why, {0, __VA_ARGS__},          \
		    L2X_ARRAY_LEN(((uint32_t[]){0, __VA_ARGS__})) - 1 \
	}

static const struct addr_case addr_cases[] = {
    ADDR("first of the pool",
	 POOL(IP(198, 18, 0, 10), IP(198, 18, 0, 20), 24, IP(198, 18, 0, 1)), 0,
	 IP(198, 18, 0, 10), NULL),
    ADDR("skips the gateway",
	 POOL(IP(198, 18, 0, 1), IP(198, 18, 0, 5), 24, IP(198, 18, 0, 1)), 0,
	 IP(198, 18, 0, 2), NULL),
    ADDR("skips the network address and the gateway",
	 POOL(IP(198, 18, 0, 0), IP(198, 18, 0, 5), 24, IP(198, 18, 0, 1)), 0,
	 IP(198, 18, 0, 2), NULL),
    ADDR("skips used, in any order",
	 POOL(IP(198, 18, 0, 10), IP(198, 18, 0, 20), 24, IP(198, 18, 0, 1)), 0,
	 IP(198, 18, 0, 13), NULL, IP(198, 18, 0, 12), IP(198, 18, 0, 10),
	 IP(198, 18, 0, 11), IP(198, 18, 0, 14)),
    ADDR("used outside the pool ignored",
	 POOL(IP(198, 18, 0, 10), IP(198, 18, 0, 20), 24, 0), 0,
	 IP(198, 18, 0, 10), NULL, IP(198, 18, 0, 9), IP(198, 18, 1, 10), 0),
    ADDR("no gateway (0): only network and broadcast skipped",
	 POOL(IP(198, 18, 7, 0), IP(198, 18, 7, 3), 30, 0), 0,
	 IP(198, 18, 7, 1), NULL),
    ADDR("gateway outside the pool changes nothing",
	 POOL(IP(198, 18, 0, 10), IP(198, 18, 0, 20), 24, IP(198, 18, 0, 254)),
	 0, IP(198, 18, 0, 10), NULL),
    ADDR("/31 has no network address (RFC 3021)",
	 POOL(IP(198, 18, 0, 4), IP(198, 18, 0, 5), 31, 0), 0,
	 IP(198, 18, 0, 4), NULL),
    ADDR("/31: the other one when the gateway takes one",
	 POOL(IP(198, 18, 0, 4), IP(198, 18, 0, 5), 31, IP(198, 18, 0, 4)), 0,
	 IP(198, 18, 0, 5), NULL),
    ADDR("/32: the one address",
	 POOL(IP(198, 18, 0, 7), IP(198, 18, 0, 7), 32, 0), 0,
	 IP(198, 18, 0, 7), NULL),
    ADDR("a /15 pool: the first free after the used",
	 POOL(IP(198, 18, 0, 0), IP(198, 19, 255, 255), 15, IP(198, 18, 0, 1)),
	 0, IP(198, 18, 0, 4), NULL, IP(198, 18, 0, 2), IP(198, 18, 0, 3),
	 IP(198, 18, 0, 5)),
    ADDR("skips broadcast: exhausted",
	 POOL(IP(198, 18, 0, 250), IP(198, 18, 0, 255), 24, IP(198, 18, 0, 1)),
	 -ENOSPC, 0, "pool 198.18.0.250..198.18.0.255 is exhausted",
	 IP(198, 18, 0, 250), IP(198, 18, 0, 251), IP(198, 18, 0, 252),
	 IP(198, 18, 0, 253), IP(198, 18, 0, 254)),
    ADDR("exhausted by used and gateway",
	 POOL(IP(198, 18, 0, 1), IP(198, 18, 0, 3), 24, IP(198, 18, 0, 2)),
	 -ENOSPC, 0, "pool 198.18.0.1..198.18.0.3 is exhausted",
	 IP(198, 18, 0, 3), IP(198, 18, 0, 1)),
    ADDR("top of the address space exhausted (no wrap)",
	 POOL(IP(255, 255, 255, 254), IP(255, 255, 255, 255), 31, 0), -ENOSPC,
	 0, "pool 255.255.255.254..255.255.255.255 is exhausted",
	 IP(255, 255, 255, 255), IP(255, 255, 255, 254)),
    ADDR("/32 that is the gateway",
	 POOL(IP(198, 18, 0, 7), IP(198, 18, 0, 7), 32, IP(198, 18, 0, 7)),
	 -ENOSPC, 0, "pool 198.18.0.7..198.18.0.7 is exhausted"),
    ADDR("range outside the prefix refused",
	 POOL(IP(198, 18, 0, 200), IP(198, 18, 1, 10), 24, IP(198, 18, 0, 1)),
	 -EINVAL, 0,
	 "pool 198.18.0.200..198.18.1.10 does not lie in one /24 subnet"),
    ADDR("range across a /25 boundary refused",
	 POOL(IP(198, 18, 0, 100), IP(198, 18, 0, 130), 25, 0), -EINVAL, 0,
	 "pool 198.18.0.100..198.18.0.130 does not lie in one /25 subnet"),
    ADDR("start after end refused",
	 POOL(IP(198, 18, 0, 20), IP(198, 18, 0, 10), 24, 0), -EINVAL, 0,
	 "pool 198.18.0.20..198.18.0.10 ends before it starts"),
    ADDR("prefix 0 refused", POOL(IP(198, 18, 0, 10), IP(198, 18, 0, 20), 0, 0),
	 -EINVAL, 0, "prefix 0 is outside 1..32"),
    ADDR("prefix 33 refused",
	 POOL(IP(198, 18, 0, 10), IP(198, 18, 0, 20), 33, 0), -EINVAL, 0,
	 "prefix 33 is outside 1..32"),
};

static void test_address_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < L2X_ARRAY_LEN(addr_cases); c++) {
		const struct addr_case *t = &addr_cases[c];
		char why[160] = "untouched";
		uint32_t a = 0xdeadbeef;
		int rc;

		rc = l2x_place_address(&t->pool, t->used + 1, t->nused, &a, why,
				       sizeof(why));
		L2X_CHECK(rc == t->rc, "case %zu (%s): rc %d, want %d (%s)", c,
			  t->what, rc, t->rc, why);
		if (rc == 0) {
			L2X_CHECK(a == t->want, "case %zu (%s): %#x, want %#x",
				  c, t->what, a, t->want);
			L2X_CHECK(strcmp(why, "untouched") == 0,
				  "case %zu (%s): err written on success", c,
				  t->what);
		} else {
			L2X_CHECK(strcmp(why, t->why) == 0,
				  "case %zu (%s):\n  got:  %s\n  want: %s", c,
				  t->what, why, t->why);
			L2X_CHECK(a == 0xdeadbeef, "case %zu: addr written", c);
		}
	}
}

/* Handing out a whole /28 pool one address at a time gives each usable
 * address once, in order, then -ENOSPC. */
static void test_address_fill(void **state)
{
	const struct l2x_place_pool pool =
	    POOL(IP(198, 19, 2, 0), IP(198, 19, 2, 15), 28, IP(198, 19, 2, 1));
	uint32_t used[16];
	size_t n = 0;

	(void)state;
	for (;;) {
		uint32_t a;
		int rc = l2x_place_address(&pool, used, n, &a, NULL, 0);

		if (rc == -ENOSPC)
			break;
		assert_int_equal(rc, 0);
		assert_true(n < 13);
		assert_int_equal(a, IP(198, 19, 2, 2) + n);
		used[n++] = a;
	}
	assert_int_equal(n, 13); /* 16 - network - broadcast - gateway */
	assert_int_equal(l2x_place_address(NULL, NULL, 0, used, NULL, 0),
			 -EINVAL);
	assert_int_equal(l2x_place_address(&pool, NULL, 1, used, NULL, 0),
			 -EINVAL);
	assert_int_equal(l2x_place_address(&pool, NULL, 0, NULL, NULL, 0),
			 -EINVAL);
}

/* ---- health --------------------------------------------------------- */

/* One judgement: leading_for, reporting, local_up, remote_fresh,
 * remote_up, was_up, sick, down_for, fails -> verdict and reason piece. */
struct judge_case {
	const char *what;
	struct l2x_place_health h;
	enum l2x_place_verdict want;
	const char *why; /* NULL: none */
};

#define H(a_lead, a_rep, a_lup, a_rf, a_rup, a_was, a_sick, a_down, a_fails) \
	{                                                                    \
		.leading_for = (a_lead), .reporting = (a_rep),               \
		.local_up = (a_lup), .remote_fresh = (a_rf),                 \
		.remote_up = (a_rup), .was_up = (a_was), .sick = (a_sick),   \
		.down_for = (a_down), .down_limit = 5.0, .fails = (a_fails), \
		.hold_after = 3                                              \
	}

static const struct judge_case judge_cases[] = {
    {"up and healthy: nothing", H(60, 1, 1, 1, 1, 1, 0, 0, 0), L2X_PLACE_KEEP,
     NULL},
    {"up again after a failure: recovered", H(60, 1, 1, 1, 1, 1, 1, 0, 1),
     L2X_PLACE_RECOVERED, NULL},
    {"silent appliance: failed at once", H(60, 0, 0, 1, 1, 1, 0, 0.5, 0),
     L2X_PLACE_FAILED, "stopped reporting"},
    {"tunnel down 4.9 s: not yet", H(60, 1, 0, 1, 1, 1, 0, 4.9, 0),
     L2X_PLACE_KEEP, NULL},
    {"tunnel down 5 s: failed", H(60, 1, 0, 1, 1, 1, 0, 5.0, 0),
     L2X_PLACE_FAILED, "its tunnel is down"},
    {"the paired site silent 5 s: failed", H(60, 1, 1, 0, 0, 1, 0, 5.0, 0),
     L2X_PLACE_FAILED, "does not answer"},
    {"the paired site says down 5 s: failed", H(60, 1, 1, 1, 0, 1, 0, 6.0, 0),
     L2X_PLACE_FAILED, "reports it down"},
    {"never up (still coming up): not a failure",
     H(60, 0, 0, 0, 0, 0, 0, 30, 0), L2X_PLACE_KEEP, NULL},
    {"unhealthy already: no second failure", H(60, 0, 0, 1, 1, 1, 1, 30, 1),
     L2X_PLACE_KEEP, NULL},
    {"third failure in the window: held", H(60, 0, 0, 1, 1, 1, 0, 1, 2),
     L2X_PLACE_HELD, "stopped reporting"},
    {"second failure: not held yet", H(60, 1, 0, 1, 1, 1, 0, 9, 1),
     L2X_PLACE_FAILED, "tunnel is down"},
    {"just took the lead: silence is not judged",
     H(9.9, 0, 0, 0, 0, 1, 0, 9.9, 0), L2X_PLACE_KEEP, NULL},
    {"just took the lead: no recovery judged either",
     H(1, 1, 1, 1, 1, 1, 1, 0, 0), L2X_PLACE_KEEP, NULL},
    {"grace over: judged", H(10, 0, 0, 0, 0, 1, 0, 10, 0), L2X_PLACE_FAILED,
     "stopped reporting"},
};

static void test_judge_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < L2X_ARRAY_LEN(judge_cases); i++) {
		const struct judge_case *c = &judge_cases[i];
		const char *why = "unset";
		enum l2x_place_verdict v = l2x_place_judge(&c->h, &why);

		if (v != c->want || (c->why == NULL) != (why == NULL) ||
		    (c->why != NULL && strstr(why, c->why) == NULL))
			fail_msg("%s: verdict %d (want %d), why '%s'", c->what,
				 v, c->want, why != NULL ? why : "(null)");
	}
	print_message("health: %zu judgements as expected\n",
		      L2X_ARRAY_LEN(judge_cases));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_extension_table),
	    cmocka_unit_test(test_extension_edges),
	    cmocka_unit_test(test_extension_reference),
	    cmocka_unit_test(test_rebalance_table),
	    cmocka_unit_test(test_rebalance_overflow),
	    cmocka_unit_test(test_rebalance_edges),
	    cmocka_unit_test(test_rebalance_property),
	    cmocka_unit_test(test_rebalance_limits),
	    cmocka_unit_test(test_judge_table),
	    cmocka_unit_test(test_mesh_table),
	    cmocka_unit_test(test_mesh_same_name),
	    cmocka_unit_test(test_mesh_reference),
	    cmocka_unit_test(test_address_table),
	    cmocka_unit_test(test_address_fill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
