/* SPDX-License-Identifier: MIT */
/*
 * test_placement.c - control/placement.h: inventories and the placement
 * each one must get, as tables, plus random inventories checked against a
 * naive sort-based reference.
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
		    p[i].networks < lim)
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_extension_table),
	    cmocka_unit_test(test_extension_edges),
	    cmocka_unit_test(test_extension_reference),
	    cmocka_unit_test(test_mesh_table),
	    cmocka_unit_test(test_mesh_same_name),
	    cmocka_unit_test(test_mesh_reference),
	    cmocka_unit_test(test_address_table),
	    cmocka_unit_test(test_address_fill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
