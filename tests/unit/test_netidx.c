/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for control/netidx.[ch], the first-seen indexes of network
 * names, VLANs and tunnel ids: its answers against a naive reference that
 * compares each entry with all before it (the quadratic check it
 * replaces, STYLE.md 12), for random lists full of collisions; the
 * bounds; names compared in full, never by hash.
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

#include "control/netidx.h"
#include "tests/unit/testenv.h"

struct ent {
	char name[32];
	uint16_t vlan;
	uint32_t tid;
};

/* The first earlier entry with the same name, VLAN (1..4095 only) and
 * tunnel id, by comparing with every one. */
static struct l2x_netidx_hit naive(const struct ent *e, uint32_t i)
{
	struct l2x_netidx_hit h = {L2X_NETIDX_NONE, L2X_NETIDX_NONE,
				   L2X_NETIDX_NONE};

	for (uint32_t j = i; j-- > 0;) {
		if (strcmp(e[j].name, e[i].name) == 0)
			h.name = j;
		if (e[i].vlan >= 1 && e[i].vlan <= 4095 &&
		    e[j].vlan == e[i].vlan)
			h.vlan = j;
		if (e[j].tid == e[i].tid)
			h.tid = j;
	}
	return h;
}

static void test_bounds(void **state)
{
	struct l2x_netidx *x = (struct l2x_netidx *)(uintptr_t)1;
	struct l2x_netidx_hit h;

	(void)state;
	assert_int_equal(l2x_netidx_create(0, &x), -EINVAL);
	assert_null(x);
	assert_int_equal(l2x_netidx_create(L2X_NETIDX_MAX + 1, &x), -EINVAL);
	assert_int_equal(l2x_netidx_create(1, NULL), -EINVAL);
	assert_int_equal(l2x_netidx_create(2, &x), 0);
	assert_int_equal(l2x_netidx_add(x, 10, "a", 5, 7, &h), 0);
	assert_int_equal(h.name, L2X_NETIDX_NONE);
	assert_int_equal(l2x_netidx_add(x, 20, "a", 5, 8, &h), 0);
	/* the caller's numbers come back */
	assert_int_equal(h.name, 10);
	assert_int_equal(h.vlan, 10);
	assert_int_equal(h.tid, L2X_NETIDX_NONE);
	assert_int_equal(l2x_netidx_add(x, 30, "b", 6, 9, &h), -ENOSPC);
	assert_int_equal(l2x_netidx_find_name(x, "a"), 10);
	assert_int_equal(l2x_netidx_find_name(x, "b"), L2X_NETIDX_NONE);
	l2x_netidx_destroy(x);
	l2x_netidx_destroy(NULL);
}

static void test_first(void **state)
{
	static const struct {
		struct l2x_netidx_hit hit;
		const char *what;
		uint32_t j;
	} cases[] = {
	    {{L2X_NETIDX_NONE, L2X_NETIDX_NONE, L2X_NETIDX_NONE},
	     NULL,
	     L2X_NETIDX_NONE},
	    {{3, 3, 3}, "name", 3},
	    {{4, 3, 3}, "vlan", 3},
	    {{4, 4, 3}, "tunnel_id", 3},
	    {{L2X_NETIDX_NONE, 9, 2}, "tunnel_id", 2},
	    {{0, L2X_NETIDX_NONE, 0}, "name", 0},
	    {{L2X_NETIDX_NONE, 1, L2X_NETIDX_NONE}, "vlan", 1},
	};

	(void)state;
	for (size_t c = 0; c < L2X_ARRAY_LEN(cases); c++) {
		uint32_t j = 12345;
		const char *w = l2x_netidx_first(&cases[c].hit, &j);

		L2X_CHECK((w == NULL) == (cases[c].what == NULL) &&
			      (w == NULL || strcmp(w, cases[c].what) == 0) &&
			      j == cases[c].j,
			  "case %zu: %s %u", c, w ? w : "NULL", j);
	}
}

/* Random lists with many repeats of each key, and VLAN 0 (not indexed):
 * every answer is the reference's. Names share long prefixes and a few
 * collide in the hash table's slots, so equal hashes are common. */
static void test_against_reference(void **state)
{
	static const uint32_t sizes[] = {1, 2, 17, 1000, 4094, 65535};
	uint64_t seed = 0x6c32786e65746978ull;

	(void)state;
	for (size_t z = 0; z < L2X_ARRAY_LEN(sizes); z++) {
		uint32_t n = sizes[z];
		struct ent *e = calloc(n, sizeof(*e));
		struct l2x_netidx *x;

		assert_non_null(e);
		for (uint32_t i = 0; i < n; i++) {
			uint64_t r;

			l2x_test_fill(&seed, &r, sizeof(r));
			snprintf(e[i].name, sizeof(e[i].name),
				 "network-long-name-%u",
				 (uint32_t)(r % (n + 7)));
			e[i].vlan = (uint16_t)((r >> 20) % 4100);
			e[i].tid = (uint32_t)((r >> 40) % (2 * n + 1));
		}
		/* near the end of a large list, the reference is slow */
		assert_int_equal(l2x_netidx_create(n, &x), 0);
		for (uint32_t i = 0; i < n; i++) {
			struct l2x_netidx_hit h, want;

			assert_int_equal(l2x_netidx_add(x, i, e[i].name,
							e[i].vlan, e[i].tid,
							&h),
					 0);
			if (n > 4094 && i % 97 != 0)
				continue;
			want = naive(e, i);
			L2X_CHECK(h.name == want.name && h.vlan == want.vlan &&
				      h.tid == want.tid,
				  "size %u entry %u: %u %u %u, want %u %u %u",
				  n, i, h.name, h.vlan, h.tid, want.name,
				  want.vlan, want.tid);
		}
		for (uint32_t i = 0; i < n; i += 1 + n / 100) {
			struct l2x_netidx_hit want = naive(e, i);
			uint32_t first =
			    want.name == L2X_NETIDX_NONE ? i : want.name;

			while (want.name != L2X_NETIDX_NONE) {
				first = want.name;
				want = naive(e, want.name);
			}
			L2X_CHECK(l2x_netidx_find_name(x, e[i].name) == first,
				  "size %u: %s", n, e[i].name);
		}
		assert_int_equal(l2x_netidx_find_name(x, "nope"),
				 L2X_NETIDX_NONE);
		l2x_netidx_destroy(x);
		free(e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_first),
	    cmocka_unit_test(test_against_reference),
	};

	return cmocka_run_group_tests_name("netidx", tests, NULL, NULL);
}
