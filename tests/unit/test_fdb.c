/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for bridge/fdb.[ch], the MAC table: learning through the
 * request ring, bulk lookup against a naive linear reference table
 * (STYLE.md 12, after WireGuard selftest/allowedips.c), limits, moves,
 * pinned entries, aging with an injected clock, split horizon, the BUM
 * token bucket, deferred reuse under RCU QSBR, and a reader thread looking
 * up while the control thread changes the table. Then the networks in the
 * one table: keys of (network, MAC), a MAC limit per network under the
 * table's capacity, flush and walk of one network, a network's id
 * forgotten and given to another, and paged walks.
 *
 * The tests before the networks' use network 0 (l2x_fdb_key's keys).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "bridge/fdb.h"
#include "tests/unit/testenv.h"

#define LAN L2X_SIDE_LAN
#define TUN L2X_SIDE_TUNNEL
#define BIT(i) (UINT64_C(1) << (i))

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Unicast, locally administered MAC number i: 02:00:ii:ii:ii:ii. */
static uint64_t mac_key(uint32_t i)
{
	struct rte_ether_addr a = {{0x02, 0x00, (uint8_t)(i >> 24),
				    (uint8_t)(i >> 16), (uint8_t)(i >> 8),
				    (uint8_t)i}};

	return l2x_fdb_key(&a);
}

static uint64_t mac6(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t e,
		     uint8_t f)
{
	struct rte_ether_addr m = {{a, b, c, d, e, f}};

	return l2x_fdb_key(&m);
}

static struct rte_ether_addr key_mac(uint64_t key)
{
	struct rte_ether_addr a;

	l2x_fdb_key_mac(key, &a);
	return a;
}

static struct l2x_fdb_prm prm(const char *name, uint32_t cap)
{
	return (struct l2x_fdb_prm){
	    .name = name, .capacity = cap, .socket = SOCKET_ID_ANY};
}

static struct l2x_fdb *mk(const struct l2x_fdb_prm *p)
{
	struct l2x_fdb *fdb = NULL;
	int rc = l2x_fdb_create(p, &fdb);

	if (rc != 0)
		fail_msg("l2x_fdb_create(%s): %d", p->name, rc);
	return fdb;
}

static uint64_t learn1(struct l2x_fdb *fdb, uint64_t key, enum l2x_side side,
		       uint64_t now, struct l2x_fdb_lcore *lc, uint8_t *why)
{
	uint8_t w[1] = {0xff};
	uint64_t drop = l2x_fdb_learn_bulk(fdb, &key, 1, side, now, lc, w);

	if (why)
		*why = w[0];
	return drop;
}

/* 1 and *r if key is in the table, 0 if not. */
static int look1(const struct l2x_fdb *fdb, uint64_t key, struct l2x_fdb_res *r)
{
	struct l2x_fdb_res tmp;

	return (int)l2x_fdb_lookup_bulk(fdb, &key, 1, r ? r : &tmp);
}

static void expect_entry(const struct l2x_fdb *fdb, uint64_t key,
			 enum l2x_side side, uint8_t flags)
{
	struct l2x_fdb_res r = {0xff, 0xff};

	assert_int_equal(look1(fdb, key, &r), 1);
	assert_int_equal(r.side, side);
	assert_int_equal(r.flags, flags);
}

/* The key of MAC number i in network nid. */
static uint64_t nmac_key(uint32_t nid, uint32_t i)
{
	struct rte_ether_addr a = {{0x02, 0x00, (uint8_t)(i >> 24),
				    (uint8_t)(i >> 16), (uint8_t)(i >> 8),
				    (uint8_t)i}};

	return l2x_fdb_nkey(nid, &a);
}

static struct l2x_fdb_stats stats(const struct l2x_fdb *fdb,
				  const struct l2x_fdb_lcore *lc)
{
	struct l2x_fdb_stats s;

	l2x_fdb_stats(fdb, lc, lc ? 1 : 0, &s);
	return s;
}

/* --- creation --------------------------------------------------------- */

static void test_create_params(void **state)
{
	static const struct {
		const char *name;
		uint32_t cap, limit, aging, ring;
		uint16_t flap_moves, flap_window;
		int rc;
	} cases[] = {
	    {"cp0", 64, 0, 0, 0, 0, 0, 0},
	    {"cp1", L2X_FDB_CAPACITY_MIN, 8, 1, 1, 1, 1, 0},
	    {"cp2", 64, 64, L2X_FDB_AGING_MAX, L2X_FDB_RING_MAX,
	     L2X_FDB_FLAP_MOVES_MAX, L2X_FDB_FLAP_WINDOW_MAX, 0},
	    {"123456789012345", 64, 0, 0, 0, 0, 0, 0}, /* 15 chars */
	    {NULL, 64, 0, 0, 0, 0, 0, -EINVAL},
	    {"", 64, 0, 0, 0, 0, 0, -EINVAL},
	    {"1234567890123456", 64, 0, 0, 0, 0, 0, -EINVAL},
	    {"cp3", L2X_FDB_CAPACITY_MIN - 1, 0, 0, 0, 0, 0, -EINVAL},
	    {"cp4", L2X_FDB_CAPACITY_MAX + 1, 0, 0, 0, 0, 0, -EINVAL},
	    {"cp5", 64, 65, 0, 0, 0, 0, -EINVAL},
	    {"cp6", 64, 0, L2X_FDB_AGING_MAX + 1, 0, 0, 0, -EINVAL},
	    {"cp7", 64, 0, 0, L2X_FDB_RING_MAX + 1, 0, 0, -EINVAL},
	    {"cp8", 64, 0, 0, 0, L2X_FDB_FLAP_MOVES_MAX + 1, 0, -EINVAL},
	    {"cp9", 64, 0, 0, 0, 0, L2X_FDB_FLAP_WINDOW_MAX + 1, -EINVAL},
	};
	(void)state;

	for (unsigned int i = 0; i < RTE_DIM(cases); i++) {
		struct l2x_fdb_prm p = prm(cases[i].name, cases[i].cap);
		struct l2x_fdb *fdb = (struct l2x_fdb *)(uintptr_t)1; /* junk */
		int rc;

		p.mac_limit = cases[i].limit;
		p.aging_s = cases[i].aging;
		p.learn_ring = cases[i].ring;
		p.flap_moves = cases[i].flap_moves;
		p.flap_window_s = cases[i].flap_window;
		rc = l2x_fdb_create(&p, &fdb);
		if (rc != cases[i].rc)
			fail_msg("case %u: rc %d, expected %d", i, rc,
				 cases[i].rc);
		if (rc != 0) {
			if (fdb != NULL)
				fail_msg("case %u: *out not NULL", i);
			continue;
		}
		if (fdb == NULL)
			fail_msg("case %u: no table", i);
		l2x_fdb_destroy(fdb);
	}
}

static void test_create_defaults_and_names(void **state)
{
	struct l2x_fdb_prm p = prm("cdef", 64);
	struct l2x_fdb *fdb = mk(&p), *dup = NULL;
	(void)state;

	assert_int_equal(fdb->mac_limit, 64);
	assert_int_equal(fdb->aging_s, L2X_FDB_AGING_DEFAULT);
	assert_int_equal(fdb->ring_size, L2X_FDB_RING_DEFAULT);
	assert_int_equal(fdb->flap_moves, L2X_FDB_FLAP_MOVES_DEFAULT);
	assert_int_equal(fdb->flap_window_s, L2X_FDB_FLAP_WINDOW_DEFAULT);
	assert_true(fdb->npos >= 64);

	assert_int_equal(l2x_fdb_create(&p, &dup), -EEXIST);
	assert_null(dup);
	assert_int_equal(l2x_fdb_create(NULL, &dup), -EINVAL);
	assert_int_equal(l2x_fdb_create(&p, NULL), -EINVAL);
	l2x_fdb_destroy(fdb);
	/* the name is free again */
	fdb = mk(&p);
	l2x_fdb_destroy(fdb);
	l2x_fdb_destroy(NULL);
}

static void test_names_tables(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < L2X_FDB_DROP_MAX; i++) {
		assert_non_null(l2x_fdb_drop_key[i]);
		assert_non_null(l2x_fdb_drop_text[i]);
		for (unsigned int j = 0; j < i; j++)
			assert_string_not_equal(l2x_fdb_drop_key[i],
						l2x_fdb_drop_key[j]);
	}
	assert_string_equal(l2x_fdb_drop_key[L2X_FDB_DROP_SRC_CONFLICT],
			    "src_conflict");
	assert_int_equal(L2X_FDB_STAT_COUNT, 14);
	for (unsigned int i = 0; i < L2X_FDB_STAT_COUNT; i++) {
		assert_int_equal(l2x_fdb_stat_desc[i].offset,
				 i * sizeof(uint64_t));
		assert_non_null(l2x_fdb_stat_desc[i].text);
		for (unsigned int j = 0; j < i; j++)
			assert_string_not_equal(l2x_fdb_stat_desc[i].key,
						l2x_fdb_stat_desc[j].key);
	}
	assert_string_equal(l2x_fdb_stat_desc[0].key, "entries");
}

/* --- learning --------------------------------------------------------- */

static void test_learn_drain_lookup(void **state)
{
	struct l2x_fdb_prm p = prm("learn", 64);
	struct l2x_fdb *fdb = mk(&p);
	struct l2x_fdb_lcore lc = {0};
	const uint64_t a = mac_key(1), b = mac_key(2), c = mac_key(3);
	struct rte_ether_addr ma = key_mac(a);
	struct l2x_fdb_info info;
	struct l2x_fdb_stats s;
	(void)state;

	assert_int_equal(look1(fdb, a, NULL), 0);
	assert_int_equal(learn1(fdb, a, LAN, 100, &lc, NULL), 0);
	assert_int_equal(lc.queued, 1);
	/* workers never insert: still unknown until the control drains */
	assert_int_equal(look1(fdb, a, NULL), 0);
	assert_int_equal(l2x_fdb_drain(fdb, 100), 1);
	expect_entry(fdb, a, LAN, 0);
	assert_int_equal(l2x_fdb_drain(fdb, 100), 0);

	/* a known MAC asks nothing more */
	assert_int_equal(learn1(fdb, a, LAN, 100, &lc, NULL), 0);
	assert_int_equal(lc.queued, 1);
	assert_int_equal(l2x_fdb_get(fdb, 0, &ma, 110, &info), 0);
	assert_int_equal(info.age_s, 10);
	assert_int_equal(info.side, LAN);
	assert_int_equal(info.moves, 0);
	assert_memory_equal(&info.mac, &ma, sizeof(ma));
	assert_int_equal(learn1(fdb, a, LAN, 105, &lc, NULL), 0);
	assert_int_equal(l2x_fdb_get(fdb, 0, &ma, 110, &info), 0);
	assert_int_equal(info.age_s, 5);
	/* an older frame does not make it look older */
	assert_int_equal(learn1(fdb, a, LAN, 101, &lc, NULL), 0);
	assert_int_equal(l2x_fdb_get(fdb, 0, &ma, 110, &info), 0);
	assert_int_equal(info.age_s, 5);

	/* one request per unknown MAC per burst */
	const uint64_t burst[] = {b, b, c, b, a, c};
	uint8_t why[RTE_DIM(burst)];

	assert_int_equal(
	    l2x_fdb_learn_bulk(fdb, burst, RTE_DIM(burst), TUN, 106, &lc, why),
	    0);
	assert_int_equal(lc.queued, 3);
	assert_int_equal(l2x_fdb_drain(fdb, 106), 2);
	expect_entry(fdb, b, TUN, 0);
	expect_entry(fdb, c, TUN, 0);
	/* a was in the burst from the tunnel: it moved */
	expect_entry(fdb, a, TUN, 0);

	s = stats(fdb, &lc);
	assert_int_equal(s.entries, 3);
	assert_int_equal(s.learned, 3);
	assert_int_equal(s.queued, 3);
	assert_int_equal(s.moves, 1);
	assert_int_equal(s.ring_full, 0);
	l2x_fdb_destroy(fdb);
}

static void test_invalid_source(void **state)
{
	static const uint8_t bad[][6] = {
	    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, /* broadcast */
	    {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, /* IPv4 multicast */
	    {0x33, 0x33, 0x00, 0x00, 0x00, 0x01}, /* IPv6 multicast */
	    {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00}, /* STP */
	    {0x03, 0x00, 0x00, 0x00, 0x00, 0x00}, /* group, local */
	    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, /* zero */
	};
	struct l2x_fdb_prm p = prm("badsrc", 64);
	struct l2x_fdb *fdb = mk(&p);
	struct l2x_fdb_lcore lc = {0};
	uint64_t keys[RTE_DIM(bad) * 2];
	uint8_t why[RTE_DIM(keys)];
	uint64_t want = 0, drop;
	(void)state;

	/* bad sources at even places, good ones between them */
	for (unsigned int i = 0; i < RTE_DIM(bad); i++) {
		struct rte_ether_addr a;

		memcpy(a.addr_bytes, bad[i], 6);
		keys[2 * i] = l2x_fdb_key(&a);
		keys[2 * i + 1] = mac_key(100 + i);
		want |= BIT(2 * i);
		assert_true(l2x_fdb_key_bad_src(keys[2 * i]));
		assert_false(l2x_fdb_key_bad_src(keys[2 * i + 1]));
	}
	memset(why, 0xee, sizeof(why));
	drop = l2x_fdb_learn_bulk(fdb, keys, RTE_DIM(keys), LAN, 1, &lc, why);
	assert_int_equal(drop, want);
	for (unsigned int i = 0; i < RTE_DIM(bad); i++)
		if (why[2 * i] != L2X_FDB_DROP_SRC_INVALID)
			fail_msg("case %u: why %u", i, why[2 * i]);
	assert_int_equal(lc.src_invalid, RTE_DIM(bad));
	assert_int_equal(lc.queued, RTE_DIM(bad));
	assert_int_equal(l2x_fdb_drain(fdb, 1), RTE_DIM(bad));
	for (unsigned int i = 0; i < RTE_DIM(bad); i++) {
		struct rte_ether_addr a;

		if (look1(fdb, keys[2 * i], NULL))
			fail_msg("case %u: group source learned", i);
		/* nor can it be configured */
		memcpy(a.addr_bytes, bad[i], 6);
		assert_int_equal(l2x_fdb_add_static(fdb, 0, &a, LAN, 0, 1),
				 -EINVAL);
	}
	assert_int_equal(stats(fdb, &lc).entries, RTE_DIM(bad));
	l2x_fdb_destroy(fdb);
}

static void test_ring_full(void **state)
{
	struct l2x_fdb_prm p = prm("ringfull", 64);
	struct l2x_fdb *fdb;
	struct l2x_fdb_lcore lc = {0};
	uint64_t keys[32];
	uint8_t why[32];
	(void)state;

	p.learn_ring = 4;
	fdb = mk(&p);
	for (unsigned int i = 0; i < 10; i++)
		keys[i] = mac_key(i + 1);
	assert_int_equal(l2x_fdb_learn_bulk(fdb, keys, 10, LAN, 1, &lc, why),
			 0);
	assert_int_equal(lc.queued, 4);
	assert_int_equal(lc.ring_full, 6);
	/* full ring: nothing more fits, the frames are flooded anyway */
	assert_int_equal(learn1(fdb, mac_key(99), LAN, 1, &lc, NULL), 0);
	assert_int_equal(lc.ring_full, 7);
	assert_int_equal(l2x_fdb_drain(fdb, 1), 4);
	for (unsigned int i = 0; i < 10; i++)
		assert_int_equal(look1(fdb, keys[i], NULL), i < 4);

	/* the next frames ask again */
	assert_int_equal(l2x_fdb_learn_bulk(fdb, keys, 10, LAN, 2, &lc, why),
			 0);
	assert_int_equal(lc.queued, 8);
	assert_int_equal(lc.ring_full, 9);
	assert_int_equal(l2x_fdb_drain(fdb, 2), 4);

	/* 32 frames of one unknown MAC take one slot */
	for (unsigned int i = 0; i < 32; i++)
		keys[i] = mac_key(1000);
	assert_int_equal(l2x_fdb_learn_bulk(fdb, keys, 32, LAN, 3, &lc, why),
			 0);
	assert_int_equal(lc.queued, 9);
	assert_int_equal(stats(fdb, &lc).ring_full, 9);
	assert_int_equal(l2x_fdb_drain(fdb, 3), 1);
	l2x_fdb_destroy(fdb);
}

static void test_full_table(void **state)
{
	struct l2x_fdb_prm p = prm("full1", 16);
	struct l2x_fdb *fdb;
	struct l2x_fdb_lcore lc = {0};
	struct l2x_fdb_stats s;
	uint64_t keys[32];
	uint8_t why[32];
	(void)state;

	/* MAC limit below the capacity */
	p.mac_limit = 10;
	fdb = mk(&p);
	for (unsigned int i = 0; i < 12; i++)
		keys[i] = mac_key(i + 1);
	l2x_fdb_learn_bulk(fdb, keys, 12, LAN, 1, &lc, why);
	assert_int_equal(l2x_fdb_drain(fdb, 1), 10);
	s = stats(fdb, &lc);
	assert_int_equal(s.entries, 10);
	assert_int_equal(s.limit_refused, 2);
	assert_int_equal(s.full_refused, 0);
	for (unsigned int i = 0; i < 12; i++)
		assert_int_equal(look1(fdb, keys[i], NULL), i < 10);
	l2x_fdb_learn_bulk(fdb, keys, 12, LAN, 2, &lc, why);
	assert_int_equal(l2x_fdb_drain(fdb, 2), 0);
	assert_int_equal(stats(fdb, &lc).limit_refused, 4);
	/* existing entries still refresh and move */
	assert_int_equal(learn1(fdb, keys[3], TUN, 3, &lc, NULL), 0);
	expect_entry(fdb, keys[3], TUN, 0);
	/* statics do not count against the limit, only the capacity */
	for (unsigned int i = 0; i < 6; i++) {
		struct rte_ether_addr a = key_mac(mac_key(500 + i));

		assert_int_equal(l2x_fdb_add_static(fdb, 0, &a, TUN, 0, 3), 0);
	}
	struct rte_ether_addr extra = key_mac(mac_key(600));

	assert_int_equal(l2x_fdb_add_static(fdb, 0, &extra, TUN, 0, 3),
			 -ENOSPC);
	assert_int_equal(stats(fdb, &lc).entries, 16);
	for (unsigned int i = 0; i < 10; i++)
		assert_int_equal(look1(fdb, keys[i], NULL), 1);
	/* a free place is used again */
	struct rte_ether_addr gone = key_mac(keys[0]);

	assert_int_equal(l2x_fdb_del(fdb, 0, &gone), 0);
	assert_int_equal(look1(fdb, keys[0], NULL), 0);
	assert_int_equal(learn1(fdb, keys[11], LAN, 4, &lc, NULL), 0);
	assert_int_equal(l2x_fdb_drain(fdb, 4), 1);
	expect_entry(fdb, keys[11], LAN, 0);
	l2x_fdb_destroy(fdb);

	/* capacity reached before the limit */
	p = prm("full2", 16);
	fdb = mk(&p);
	memset(&lc, 0, sizeof(lc));
	for (unsigned int i = 0; i < 4; i++) {
		struct rte_ether_addr a = key_mac(mac_key(700 + i));

		assert_int_equal(l2x_fdb_add_static(fdb, 0, &a, LAN, 0, 1), 0);
	}
	for (unsigned int i = 0; i < 14; i++)
		keys[i] = mac_key(i + 1);
	l2x_fdb_learn_bulk(fdb, keys, 14, TUN, 1, &lc, why);
	assert_int_equal(l2x_fdb_drain(fdb, 1), 12);
	s = stats(fdb, &lc);
	assert_int_equal(s.entries, 16);
	assert_int_equal(s.full_refused, 2);
	assert_int_equal(s.limit_refused, 0);
	for (unsigned int i = 0; i < 14; i++)
		assert_int_equal(look1(fdb, keys[i], NULL), i < 12);
	for (unsigned int i = 0; i < 4; i++)
		expect_entry(fdb, mac_key(700 + i), LAN, L2X_FDB_F_STATIC);
	l2x_fdb_destroy(fdb);
}

static void test_move_counter(void **state)
{
	struct l2x_fdb_prm p = prm("moves", 64);
	struct l2x_fdb *fdb = mk(&p);
	struct l2x_fdb_lcore lc = {0};
	const uint64_t a = mac_key(1), b = mac_key(2);
	struct rte_ether_addr ma = key_mac(a), mb = key_mac(b);
	struct l2x_fdb_info info;
	(void)state;

	learn1(fdb, a, LAN, 10, &lc, NULL);
	l2x_fdb_drain(fdb, 10);
	expect_entry(fdb, a, LAN, 0);
	/* migrated: the first frame from the tunnel moves it at once */
	assert_int_equal(learn1(fdb, a, TUN, 11, &lc, NULL), 0);
	expect_entry(fdb, a, TUN, 0);
	assert_int_equal(lc.moves, 1);
	assert_int_equal(learn1(fdb, a, TUN, 11, &lc, NULL), 0);
	assert_int_equal(lc.moves, 1);
	/* and back */
	assert_int_equal(learn1(fdb, a, LAN, 12, &lc, NULL), 0);
	expect_entry(fdb, a, LAN, 0);
	assert_int_equal(learn1(fdb, a, LAN, 13, &lc, NULL), 0);
	assert_int_equal(lc.moves, 2);
	assert_int_equal(l2x_fdb_get(fdb, 0, &ma, 13, &info), 0);
	assert_int_equal(info.moves, 2);
	assert_int_equal(info.age_s, 0);
	assert_int_equal(info.flags, 0);

	/* two requests before a drain: insert, then move */
	learn1(fdb, b, LAN, 20, &lc, NULL);
	learn1(fdb, b, TUN, 21, &lc, NULL);
	assert_int_equal(l2x_fdb_drain(fdb, 21), 1);
	expect_entry(fdb, b, TUN, 0);
	assert_int_equal(l2x_fdb_get(fdb, 0, &mb, 21, &info), 0);
	assert_int_equal(info.moves, 1);
	assert_int_equal(stats(fdb, &lc).moves, 3);
	l2x_fdb_destroy(fdb);
}

static void test_pinned_entries(void **state)
{
	struct l2x_fdb_prm p = prm("pinned", 64);
	struct l2x_fdb *fdb = mk(&p);
	struct l2x_fdb_lcore lc = {0};
	const uint64_t s = mac_key(1), g = mac_key(2), d = mac_key(3),
		       x = mac_key(4), u = mac_key(5);
	struct rte_ether_addr ms = key_mac(s), mg = key_mac(g), md = key_mac(d),
			      mx = key_mac(x);
	static const struct {
		int key; /* 0: s (static LAN), 1: g (gateway TUNNEL) */
		enum l2x_side from;
		bool conflict;
	} cases[] = {
	    {0, TUN, true},  {0, LAN, false}, {1, LAN, true},
	    {1, TUN, false}, {0, TUN, true},  {1, LAN, true},
	};
	unsigned int conflicts = 0;
	(void)state;

	assert_int_equal(l2x_fdb_add_static(fdb, 0, &ms, LAN, 0, 1), 0);
	assert_int_equal(
	    l2x_fdb_add_static(fdb, 0, &mg, TUN, L2X_FDB_F_GATEWAY, 1), 0);
	for (unsigned int i = 0; i < RTE_DIM(cases); i++) {
		uint64_t key = cases[i].key ? g : s;
		uint8_t why = 0xee;
		uint64_t drop =
		    learn1(fdb, key, cases[i].from, 2 + i, &lc, &why);

		conflicts += cases[i].conflict;
		if (drop != (cases[i].conflict ? 1u : 0u))
			fail_msg("case %u: drop %#llx", i,
				 (unsigned long long)drop);
		if (cases[i].conflict && why != L2X_FDB_DROP_SRC_CONFLICT)
			fail_msg("case %u: why %u", i, why);
		if (lc.conflicts != conflicts || lc.moves != 0)
			fail_msg("case %u: conflicts %llu moves %llu", i,
				 (unsigned long long)lc.conflicts,
				 (unsigned long long)lc.moves);
		expect_entry(fdb, s, LAN, L2X_FDB_F_STATIC);
		expect_entry(fdb, g, TUN, L2X_FDB_F_STATIC | L2X_FDB_F_GATEWAY);
	}
	assert_int_equal(lc.queued, 0);

	/* a mixed burst: only the conflicting frames drop */
	const uint64_t burst[] = {u, s, g, d, s};
	uint8_t why[RTE_DIM(burst)];

	assert_int_equal(
	    l2x_fdb_learn_bulk(fdb, burst, RTE_DIM(burst), TUN, 20, &lc, why),
	    BIT(1) | BIT(4));
	assert_int_equal(why[1], L2X_FDB_DROP_SRC_CONFLICT);
	assert_int_equal(why[4], L2X_FDB_DROP_SRC_CONFLICT);
	assert_int_equal(l2x_fdb_drain(fdb, 20), 2); /* u, d */

	/* bad arguments */
	assert_int_equal(
	    l2x_fdb_add_static(fdb, 0, &ms, (enum l2x_side)2, 0, 1), -EINVAL);
	assert_int_equal(
	    l2x_fdb_add_static(fdb, 0, &ms, LAN, L2X_FDB_F_FLAPPING, 1),
	    -EINVAL);
	assert_int_equal(l2x_fdb_add_static(fdb, 0, &ms, LAN, 0x100, 1),
			 -EINVAL);
	assert_int_equal(l2x_fdb_add_static(NULL, 0, &ms, LAN, 0, 1), -EINVAL);
	assert_int_equal(l2x_fdb_add_static(fdb, 0, NULL, LAN, 0, 1), -EINVAL);

	/* a learned entry pinned in place, on the other side */
	expect_entry(fdb, d, TUN, 0);
	assert_int_equal(stats(fdb, &lc).statics, 2);
	assert_int_equal(
	    l2x_fdb_add_static(fdb, 0, &md, LAN, L2X_FDB_F_STATIC, 21), 0);
	expect_entry(fdb, d, LAN, L2X_FDB_F_STATIC);
	assert_int_equal(stats(fdb, &lc).statics, 3);
	assert_int_equal(stats(fdb, &lc).entries, 4);
	assert_int_equal(learn1(fdb, d, TUN, 22, &lc, NULL), 1);

	/* pinned between a worker's request and the drain */
	learn1(fdb, x, LAN, 30, &lc, NULL);
	assert_int_equal(l2x_fdb_add_static(fdb, 0, &mx, TUN, 0, 30), 0);
	assert_int_equal(l2x_fdb_drain(fdb, 30), 0);
	expect_entry(fdb, x, TUN, L2X_FDB_F_STATIC);
	assert_int_equal(stats(fdb, &lc).conflicts, lc.conflicts + 1);
	l2x_fdb_destroy(fdb);
}

static void test_flapping(void **state)
{
	struct l2x_fdb_prm p = prm("flap", 64);
	struct l2x_fdb *fdb;
	struct l2x_fdb_lcore lc = {0};
	const uint64_t a = mac_key(1), b = mac_key(2);
	struct rte_ether_addr ma = key_mac(a);
	struct l2x_fdb_info info;
	(void)state;

	p.flap_moves = 3;
	p.flap_window_s = 10;
	p.aging_s = 100000;
	fdb = mk(&p);
	learn1(fdb, a, LAN, 0, &lc, NULL);
	learn1(fdb, b, LAN, 0, &lc, NULL);
	l2x_fdb_drain(fdb, 0);

	/* moves 1..3 within the window: not yet, the 4th: flapping */
	for (unsigned int t = 1; t <= 6; t++) {
		struct l2x_fdb_res r;

		learn1(fdb, a, t & 1 ? TUN : LAN, t, &lc, NULL);
		assert_int_equal(look1(fdb, a, &r), 1);
		if (r.side != (t & 1 ? TUN : LAN))
			fail_msg("move %u: side %u", t, r.side);
		if (!!(r.flags & L2X_FDB_F_FLAPPING) != (t > 3))
			fail_msg("move %u: flags %#x", t, r.flags);
		if (lc.flaps != (t > 3))
			fail_msg("move %u: flaps %llu", t,
				 (unsigned long long)lc.flaps);
	}
	assert_int_equal(l2x_fdb_get(fdb, 0, &ma, 6, &info), 0);
	assert_int_equal(info.moves, 6);
	/* the window began at 1: cleared when no move for a whole window */
	l2x_fdb_age(fdb, 21);
	expect_entry(fdb, a, LAN, L2X_FDB_F_FLAPPING);
	l2x_fdb_age(fdb, 22);
	expect_entry(fdb, a, LAN, 0);

	/* the same number of moves, a window apart: never flapping */
	for (unsigned int k = 1; k <= 8; k++) {
		struct l2x_fdb_res r;

		learn1(fdb, b, k & 1 ? TUN : LAN, 100 + 10 * k, &lc, NULL);
		assert_int_equal(look1(fdb, b, &r), 1);
		if (r.flags != 0)
			fail_msg("slow move %u: flags %#x", k, r.flags);
	}
	assert_int_equal(stats(fdb, &lc).flaps, 1);
	assert_int_equal(stats(fdb, &lc).moves, 14);
	l2x_fdb_destroy(fdb);
}

/* --- aging ------------------------------------------------------------ */

static void test_aging(void **state)
{
	/* start just below 2^32: the stored seconds wrap during the test */
	const uint64_t t0 = UINT64_C(0xffffffff) - 100;
	static const struct {
		uint32_t seen, refresh; /* refresh 0: none */
		uint32_t age_at;
		bool pinned, stays;
	} cases[] = {
	    {0, 0, 299, false, true},	 {0, 0, 300, false, false},
	    {0, 0, 301, false, false},	 {5, 0, 304, false, true},
	    {5, 0, 305, false, false},	 {0, 250, 549, false, true},
	    {0, 250, 550, false, false}, {0, 0, 0, false, true},
	    {0, 0, 100000, true, true},	 {200, 0, 499, false, true},
	    {200, 0, 500, false, false},
	};
	(void)state;

	for (unsigned int i = 0; i < RTE_DIM(cases); i++) {
		char name[16];
		struct l2x_fdb_prm p;
		struct l2x_fdb *fdb;
		struct l2x_fdb_lcore lc = {0};
		const uint64_t a = mac_key(1), other = mac_key(2);
		unsigned int n;

		snprintf(name, sizeof(name), "age%u", i);
		p = prm(name, 64);
		p.aging_s = 300;
		fdb = mk(&p);
		if (cases[i].pinned) {
			struct rte_ether_addr m = key_mac(a);

			assert_int_equal(l2x_fdb_add_static(fdb, 0, &m, LAN, 0,
							    t0 + cases[i].seen),
					 0);
		} else {
			learn1(fdb, a, LAN, t0 + cases[i].seen, &lc, NULL);
		}
		/* a witness seen at the aging time never goes */
		learn1(fdb, other, TUN, t0 + cases[i].age_at, &lc, NULL);
		l2x_fdb_drain(fdb, t0 + cases[i].age_at);
		if (cases[i].refresh)
			learn1(fdb, a, LAN, t0 + cases[i].refresh, &lc, NULL);
		n = l2x_fdb_age(fdb, t0 + cases[i].age_at);
		if (n != (cases[i].stays ? 0u : 1u) ||
		    look1(fdb, a, NULL) != cases[i].stays)
			fail_msg("case %u: aged %u, present %d", i, n,
				 look1(fdb, a, NULL));
		if (!look1(fdb, other, NULL))
			fail_msg("case %u: witness aged", i);
		assert_int_equal(stats(fdb, &lc).aged, n);
		l2x_fdb_destroy(fdb);
	}
}

/* --- reference model -------------------------------------------------- */

#define REF_MAX 256
#define REF_RING 48
#define PINNED L2X_FDB_F_PINNED

struct ref_ent {
	uint64_t key;
	uint32_t seen, moves;
	uint8_t side, flags;
};

/* The naive table: a linear array, a FIFO for the requests, counters. */
struct ref {
	struct ref_ent e[REF_MAX];
	unsigned int n, ndyn, cap, limit;
	uint32_t aging;
	struct l2x_fdb_req q[REF_RING];
	unsigned int qn;
	struct l2x_fdb_stats st;
};

static int ref_find(const struct ref *r, uint64_t key)
{
	for (unsigned int i = 0; i < r->n; i++)
		if (r->e[i].key == key)
			return (int)i;
	return -1;
}

static void ref_remove(struct ref *r, unsigned int i)
{
	if (!(r->e[i].flags & PINNED))
		r->ndyn--;
	r->e[i] = r->e[--r->n];
}

static void ref_touch(struct ref_ent *e, uint32_t now)
{
	if ((int32_t)(now - e->seen) > 0)
		e->seen = now;
}

/* A frame from side at now for the known entry e; returns 1 on conflict. */
static int ref_known(struct ref *r, struct ref_ent *e, uint8_t side,
		     uint32_t now)
{
	if (e->side == side) {
		ref_touch(e, now);
		return 0;
	}
	if (e->flags & PINNED) {
		r->st.conflicts++;
		return 1;
	}
	e->side = side;
	e->moves++;
	ref_touch(e, now);
	r->st.moves++;
	return 0;
}

static uint64_t ref_learn(struct ref *r, const uint64_t *keys, unsigned int n,
			  uint8_t side, uint32_t now, uint8_t *why)
{
	uint64_t miss[64], drop = 0;
	unsigned int nm = 0;

	for (unsigned int i = 0; i < n; i++) {
		int k;
		bool dup = false;

		if (l2x_fdb_key_bad_src(keys[i])) {
			drop |= BIT(i);
			why[i] = L2X_FDB_DROP_SRC_INVALID;
			r->st.src_invalid++;
			continue;
		}
		k = ref_find(r, keys[i]);
		if (k >= 0) {
			if (ref_known(r, &r->e[k], side, now)) {
				drop |= BIT(i);
				why[i] = L2X_FDB_DROP_SRC_CONFLICT;
			}
			continue;
		}
		for (unsigned int j = 0; j < nm; j++)
			dup |= miss[j] == keys[i];
		if (!dup)
			miss[nm++] = keys[i];
	}
	for (unsigned int j = 0; j < nm; j++) {
		if (r->qn == REF_RING) {
			r->st.ring_full++;
			continue;
		}
		r->q[r->qn++] = (struct l2x_fdb_req){
		    .key = miss[j], .now_s = now, .side = side};
		r->st.queued++;
	}
	return drop;
}

static int ref_insert(struct ref *r, uint64_t key, uint8_t side, uint8_t flags,
		      uint32_t now)
{
	if (r->n >= r->cap)
		return -ENOSPC;
	r->e[r->n++] = (struct ref_ent){
	    .key = key, .seen = now, .side = side, .flags = flags};
	if (!(flags & PINNED))
		r->ndyn++;
	return 0;
}

static unsigned int ref_drain(struct ref *r, uint32_t now)
{
	unsigned int learned = 0;

	for (unsigned int i = 0; i < r->qn; i++) {
		const struct l2x_fdb_req *q = &r->q[i];
		uint32_t t = (int32_t)(q->now_s - now) > 0 ? now : q->now_s;
		int k = ref_find(r, q->key);

		if (k >= 0) {
			ref_known(r, &r->e[k], q->side, t);
		} else if (r->ndyn >= r->limit) {
			r->st.limit_refused++;
		} else if (ref_insert(r, q->key, q->side, 0, t)) {
			r->st.full_refused++;
		} else {
			r->st.learned++;
			learned++;
		}
	}
	r->qn = 0;
	return learned;
}

static unsigned int ref_age(struct ref *r, uint32_t now)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < r->n;) {
		const struct ref_ent *e = &r->e[i];

		if (!(e->flags & PINNED) &&
		    (int32_t)(now - e->seen) >= (int32_t)r->aging) {
			ref_remove(r, i);
			n++;
		} else {
			i++;
		}
	}
	r->st.aged += n;
	return n;
}

static int ref_static(struct ref *r, uint64_t key, uint8_t side,
		      unsigned int flags, uint32_t now)
{
	int k;

	if (l2x_fdb_key_bad_src(key) || (flags & ~(unsigned int)PINNED))
		return -EINVAL;
	flags = L2X_FDB_F_STATIC | (flags & L2X_FDB_F_GATEWAY);
	k = ref_find(r, key);
	if (k < 0)
		return ref_insert(r, key, side, (uint8_t)flags, now);
	if (!(r->e[k].flags & PINNED))
		r->ndyn--;
	r->e[k].side = side;
	r->e[k].flags = (uint8_t)flags;
	ref_touch(&r->e[k], now);
	return 0;
}

static unsigned int ref_flush(struct ref *r, bool only_dynamic)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < r->n;) {
		if (only_dynamic && (r->e[i].flags & PINNED)) {
			i++;
			continue;
		}
		ref_remove(r, i);
		n++;
	}
	r->st.deleted += n;
	return n;
}

struct walk_cmp {
	const struct ref *r;
	uint32_t now;
	unsigned int seen, op;
};

static int walk_cmp_cb(const struct l2x_fdb_info *in, void *ctx)
{
	struct walk_cmp *w = ctx;
	int k = ref_find(w->r, l2x_fdb_key(&in->mac));
	const struct ref_ent *e;
	int32_t age;

	if (k < 0)
		fail_msg("op %u: walk shows an entry the reference lacks",
			 w->op);
	e = &w->r->e[k];
	age = (int32_t)(w->now - e->seen);
	if (in->side != e->side ||
	    (in->flags & ~L2X_FDB_F_FLAPPING) != e->flags ||
	    in->moves != e->moves || in->age_s != (uint32_t)(age > 0 ? age : 0))
		fail_msg("op %u: walk entry %d: side %u/%u flags %#x/%#x "
			 "moves %u/%u age %u/%d",
			 w->op, k, in->side, e->side, in->flags, e->flags,
			 in->moves, e->moves, in->age_s, age);
	w->seen++;
	return 0;
}

static void compare_all(struct l2x_fdb *fdb, const struct ref *r,
			const struct l2x_fdb_lcore *lc, uint32_t now,
			unsigned int op)
{
	struct walk_cmp w = {.r = r, .now = now, .op = op};
	struct l2x_fdb_stats s;

	assert_int_equal(
	    l2x_fdb_walk(fdb, L2X_FDB_NET_ALL, now, NULL, 0, walk_cmp_cb, &w),
	    0);
	if (w.seen != r->n)
		fail_msg("op %u: walk %u entries, reference %u", op, w.seen,
			 r->n);
	l2x_fdb_stats(fdb, lc, 1, &s);
	if (s.entries != r->n || s.statics != r->n - r->ndyn)
		fail_msg("op %u: %llu entries %llu static, reference %u %u", op,
			 (unsigned long long)s.entries,
			 (unsigned long long)s.statics, r->n, r->n - r->ndyn);
	struct l2x_fdb_stats want = r->st;

	s.flaps = 0; /* not modelled: the threshold is out of reach */
	want.entries = s.entries;
	want.statics = s.statics;
	for (unsigned int i = 0; i < L2X_FDB_STAT_COUNT; i++) {
		uint64_t got, exp;

		memcpy(&got, (const char *)&s + l2x_fdb_stat_desc[i].offset,
		       sizeof(got));
		memcpy(&exp, (const char *)&want + l2x_fdb_stat_desc[i].offset,
		       sizeof(exp));
		if (got != exp)
			fail_msg("op %u: %s %llu, reference %llu", op,
				 l2x_fdb_stat_desc[i].key,
				 (unsigned long long)got,
				 (unsigned long long)exp);
	}
}

/* A burst of 32 lookups, each compared with the reference; then the same
 * keys through forward_bulk, compared with l2x_fdb_forward on the
 * reference's answer. */
static void compare_lookups(const struct l2x_fdb *fdb, const struct ref *r,
			    const uint64_t *pool, unsigned int npool,
			    uint64_t *seed, unsigned int op)
{
	uint64_t keys[32], hit;
	struct l2x_fdb_res res[32];
	uint8_t fwd[32];
	enum l2x_side from = rnd(seed) & 1 ? TUN : LAN;
	uint64_t drop, want_drop = 0;

	for (unsigned int i = 0; i < 32; i++)
		keys[i] = pool[rnd(seed) % npool];
	hit = l2x_fdb_lookup_bulk(fdb, keys, 32, res);
	drop = l2x_fdb_forward_bulk(fdb, from, keys, 32, fwd);
	for (unsigned int i = 0; i < 32; i++) {
		int k = ref_find(r, keys[i]);
		enum l2x_fdb_fwd want;

		if (!!(hit & BIT(i)) != (k >= 0))
			fail_msg("op %u lookup %u: hit %d, reference %d", op, i,
				 !!(hit & BIT(i)), k >= 0);
		if (k >= 0 &&
		    (res[i].side != r->e[k].side ||
		     (res[i].flags & ~L2X_FDB_F_FLAPPING) != r->e[k].flags))
			fail_msg("op %u lookup %u: side %u flags %#x, "
				 "reference %u %#x",
				 op, i, res[i].side, res[i].flags, r->e[k].side,
				 r->e[k].flags);
		want = l2x_fdb_forward(from, keys[i], k >= 0,
				       k >= 0 ? r->e[k].side : LAN);
		if (fwd[i] != want)
			fail_msg("op %u forward %u: %u, reference %u", op, i,
				 fwd[i], want);
		if (want == L2X_FDB_FWD_DROP)
			want_drop |= BIT(i);
	}
	if (drop != want_drop)
		fail_msg("op %u: forward drop mask", op);
}

static void test_against_reference(void **state)
{
	enum { NPOOL = 220, OPS = 12000 };
	static struct ref r;
	uint64_t pool[NPOOL + 4];
	uint64_t seed = 0x5eed0fdb2024ull;
	uint64_t now = UINT64_C(0xffffffff) - 5000; /* wraps on the way */
	struct l2x_fdb_prm p = prm("reference", 128);
	struct l2x_fdb *fdb;
	struct l2x_fdb_lcore lc = {0};
	unsigned int npool = 0;
	(void)state;

	p.mac_limit = 120;
	p.aging_s = 60;
	p.learn_ring = REF_RING;
	p.flap_moves = L2X_FDB_FLAP_MOVES_MAX;
	fdb = mk(&p);
	memset(&r, 0, sizeof(r));
	r.cap = 128;
	r.limit = 120;
	r.aging = 60;

	while (npool < NPOOL) {
		uint64_t k;
		bool dup;

		k = rnd(&seed);
		k = mac6((uint8_t)(k & 0xfe), (uint8_t)(k >> 8),
			 (uint8_t)(k >> 16), (uint8_t)(k >> 24),
			 (uint8_t)(k >> 32), (uint8_t)(k >> 40));
		dup = k == 0;

		for (unsigned int j = 0; j < npool; j++)
			dup |= pool[j] == k;
		if (!dup)
			pool[npool++] = k;
	}
	pool[npool++] = 0;
	pool[npool++] = mac6(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
	pool[npool++] = mac6(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01);
	pool[npool++] = mac6(0x33, 0x33, 0x00, 0x00, 0x00, 0x01);

	for (unsigned int op = 0; op < OPS; op++) {
		unsigned int what = (unsigned int)(rnd(&seed) % 100);
		const uint32_t t = (uint32_t)now;

		if (what < 45) {
			uint64_t keys[32], drop, want;
			uint8_t why[32], want_why[32];
			unsigned int n = 1 + (unsigned int)(rnd(&seed) % 32);
			uint8_t side = rnd(&seed) & 1;

			for (unsigned int i = 0; i < n; i++)
				keys[i] = pool[rnd(&seed) % npool];
			drop = l2x_fdb_learn_bulk(fdb, keys, n, side, now, &lc,
						  why);
			want = ref_learn(&r, keys, n, side, t, want_why);
			if (drop != want)
				fail_msg("op %u: learn drop %#llx, ref %#llx",
					 op, (unsigned long long)drop,
					 (unsigned long long)want);
			for (unsigned int i = 0; i < n; i++)
				if ((drop & BIT(i)) && why[i] != want_why[i])
					fail_msg("op %u: why[%u] %u, ref %u",
						 op, i, why[i], want_why[i]);
		} else if (what < 60) {
			unsigned int a = l2x_fdb_drain(fdb, now);
			unsigned int b = ref_drain(&r, t);

			if (a != b)
				fail_msg("op %u: drained %u, ref %u", op, a, b);
		} else if (what < 70) {
			unsigned int a, b;

			now += rnd(&seed) % 30;
			a = l2x_fdb_age(fdb, now);
			b = ref_age(&r, (uint32_t)now);
			if (a != b)
				fail_msg("op %u: aged %u, ref %u", op, a, b);
		} else if (what < 78) {
			uint64_t k = pool[rnd(&seed) % npool];
			struct rte_ether_addr m = key_mac(k);
			int want = -ENOENT, i = ref_find(&r, k);

			if (i >= 0) {
				ref_remove(&r, (unsigned int)i);
				r.st.deleted++;
				want = 0;
			}
			if (l2x_fdb_del(fdb, 0, &m) != want)
				fail_msg("op %u: del", op);
		} else if (what < 84) {
			static const unsigned int fl[] = {0, L2X_FDB_F_GATEWAY,
							  L2X_FDB_F_STATIC,
							  L2X_FDB_F_FLAPPING};
			uint64_t k = pool[rnd(&seed) % npool];
			struct rte_ether_addr m = key_mac(k);
			uint8_t side = rnd(&seed) & 1;
			unsigned int f = fl[rnd(&seed) % RTE_DIM(fl)];
			int a = l2x_fdb_add_static(fdb, 0, &m, side, f, now);
			int b = ref_static(&r, k, side, f, t);

			if (a != b)
				fail_msg("op %u: static %d, ref %d", op, a, b);
		} else if (what < 85) {
			bool only = rnd(&seed) & 1;
			unsigned int a =
			    l2x_fdb_flush(fdb, L2X_FDB_NET_ALL, only);
			unsigned int b = ref_flush(&r, only);

			if (a != b)
				fail_msg("op %u: flushed %u, ref %u", op, a, b);
		} else {
			now += 1 + rnd(&seed) % 5;
		}
		compare_lookups(fdb, &r, pool, npool, &seed, op);
		if (op % 500 == 499)
			compare_all(fdb, &r, &lc, (uint32_t)now, op);
	}
	print_message(
	    "reference: %llu learned %llu aged %llu moves %llu "
	    "conflicts %llu limit %llu full %llu ring_full\n",
	    (unsigned long long)r.st.learned, (unsigned long long)r.st.aged,
	    (unsigned long long)r.st.moves, (unsigned long long)r.st.conflicts,
	    (unsigned long long)r.st.limit_refused,
	    (unsigned long long)r.st.full_refused,
	    (unsigned long long)r.st.ring_full);
	/* the run must have crossed the paths it claims to test */
	assert_true(now > UINT64_C(0xffffffff));
	assert_true(r.st.learned > 500);
	assert_true(r.st.aged > 100);
	assert_true(r.st.moves > 100);
	assert_true(r.st.conflicts > 10);
	assert_true(r.st.limit_refused > 0);
	assert_true(r.st.full_refused > 0);
	assert_true(r.st.ring_full > 0);
	assert_true(r.st.src_invalid > 0);
	compare_all(fdb, &r, &lc, (uint32_t)now, OPS);
	l2x_fdb_destroy(fdb);
}

/* --- del, flush, get, walk -------------------------------------------- */

struct walk_ctx {
	struct l2x_fdb *fdb;
	unsigned int n, stop_at;
	bool del;
	struct l2x_fdb_info seen[8];
};

static int walk_cb(const struct l2x_fdb_info *in, void *ctx)
{
	struct walk_ctx *w = ctx;

	if (w->n < RTE_DIM(w->seen))
		w->seen[w->n] = *in;
	w->n++;
	if (w->del && l2x_fdb_del(w->fdb, 0, &in->mac) != 0)
		return -1;
	return w->n == w->stop_at ? 7 : 0;
}

static void test_walk_flush_del(void **state)
{
	struct l2x_fdb_prm p = prm("walk", 64);
	struct l2x_fdb *fdb = mk(&p);
	struct l2x_fdb_lcore lc = {0};
	struct walk_ctx w = {.fdb = fdb};
	struct rte_ether_addr m;
	struct l2x_fdb_info info;
	(void)state;

	for (unsigned int i = 0; i < 3; i++)
		learn1(fdb, mac_key(i), i & 1 ? TUN : LAN, 10 + i, &lc, NULL);
	l2x_fdb_drain(fdb, 20);
	for (unsigned int i = 3; i < 5; i++) {
		m = key_mac(mac_key(i));
		assert_int_equal(
		    l2x_fdb_add_static(fdb, 0, &m, TUN,
				       i == 4 ? L2X_FDB_F_GATEWAY : 0, 15),
		    0);
	}
	assert_int_equal(
	    l2x_fdb_walk(fdb, L2X_FDB_NET_ALL, 20, NULL, 0, walk_cb, &w), 0);
	assert_int_equal(w.n, 5);
	for (unsigned int i = 0; i < 5; i++) {
		uint64_t k = l2x_fdb_key(&w.seen[i].mac);
		unsigned int j;

		for (j = 0; j < 5 && mac_key(j) != k; j++)
			;
		if (j == 5)
			fail_msg("walk %u: unknown MAC", i);
		assert_int_equal(w.seen[i].side, j == 3 || j == 4 || (j & 1));
		assert_int_equal(w.seen[i].age_s, j < 3 ? 10 - j : 5);
		assert_int_equal(w.seen[i].flags,
				 j < 3 ? 0
				 : j == 3
				     ? L2X_FDB_F_STATIC
				     : L2X_FDB_F_STATIC | L2X_FDB_F_GATEWAY);
	}
	/* a callback's non-zero return stops the walk */
	w = (struct walk_ctx){.fdb = fdb, .stop_at = 2};
	assert_int_equal(
	    l2x_fdb_walk(fdb, L2X_FDB_NET_ALL, 20, NULL, 0, walk_cb, &w), 7);
	assert_int_equal(w.n, 2);
	assert_int_equal(
	    l2x_fdb_walk(fdb, L2X_FDB_NET_ALL, 20, NULL, 0, NULL, NULL),
	    -EINVAL);

	m = key_mac(mac_key(9));
	assert_int_equal(l2x_fdb_del(fdb, 0, &m), -ENOENT);
	assert_int_equal(l2x_fdb_get(fdb, 0, &m, 20, &info), -ENOENT);
	assert_int_equal(l2x_fdb_flush(fdb, L2X_FDB_NET_ALL, true), 3);
	assert_int_equal(stats(fdb, &lc).entries, 2);
	assert_int_equal(look1(fdb, mac_key(0), NULL), 0);
	expect_entry(fdb, mac_key(3), TUN, L2X_FDB_F_STATIC);
	/* a callback may delete what it is shown */
	w = (struct walk_ctx){.fdb = fdb, .del = true};
	assert_int_equal(
	    l2x_fdb_walk(fdb, L2X_FDB_NET_ALL, 20, NULL, 0, walk_cb, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(stats(fdb, &lc).entries, 0);
	assert_int_equal(stats(fdb, &lc).deleted, 5);
	assert_int_equal(l2x_fdb_flush(fdb, L2X_FDB_NET_ALL, false), 0);

	/* the table works as new */
	learn1(fdb, mac_key(0), LAN, 30, &lc, NULL);
	assert_int_equal(l2x_fdb_drain(fdb, 30), 1);
	m = key_mac(mac_key(3));
	assert_int_equal(l2x_fdb_add_static(fdb, 0, &m, LAN, 0, 30), 0);
	assert_int_equal(l2x_fdb_flush(fdb, L2X_FDB_NET_ALL, false), 2);
	l2x_fdb_destroy(fdb);
}

static void test_stats_sum(void **state)
{
	struct l2x_fdb_prm p = prm("sum", 64);
	struct l2x_fdb *fdb = mk(&p);
	struct l2x_fdb_lcore lc[3];
	struct l2x_fdb_stats s;
	(void)state;

	memset(lc, 0, sizeof(lc));
	for (unsigned int i = 0; i < 3; i++) {
		lc[i].queued = 1 + i;
		lc[i].ring_full = 10 * (i + 1);
		lc[i].moves = 100;
		lc[i].flaps = 2;
		lc[i].conflicts = 3;
		lc[i].src_invalid = 4;
	}
	l2x_fdb_stats(fdb, lc, 3, &s);
	assert_int_equal(s.queued, 6);
	assert_int_equal(s.ring_full, 60);
	assert_int_equal(s.moves, 300);
	assert_int_equal(s.flaps, 6);
	assert_int_equal(s.conflicts, 9);
	assert_int_equal(s.src_invalid, 12);
	l2x_fdb_stats(fdb, NULL, 0, &s);
	assert_int_equal(s.queued, 0);
	l2x_fdb_destroy(fdb);
}

/* --- forwarding ------------------------------------------------------- */

static void test_forward_table(void **state)
{
	enum { BCAST, MCAST, UNKNOWN, HIT_LAN, HIT_TUN, GROUP_HIT };
	static const struct {
		enum l2x_side from;
		int dst;
		enum l2x_fdb_fwd want;
	} cases[] = {
	    {LAN, BCAST, L2X_FDB_FWD_FLOOD_TUNNEL},
	    {LAN, MCAST, L2X_FDB_FWD_FLOOD_TUNNEL},
	    {LAN, UNKNOWN, L2X_FDB_FWD_FLOOD_TUNNEL},
	    {LAN, HIT_LAN, L2X_FDB_FWD_DROP},
	    {LAN, HIT_TUN, L2X_FDB_FWD_TUNNEL},
	    {LAN, GROUP_HIT, L2X_FDB_FWD_FLOOD_TUNNEL},
	    {TUN, BCAST, L2X_FDB_FWD_FLOOD_LAN},
	    {TUN, MCAST, L2X_FDB_FWD_FLOOD_LAN},
	    {TUN, UNKNOWN, L2X_FDB_FWD_FLOOD_LAN},
	    {TUN, HIT_LAN, L2X_FDB_FWD_LAN},
	    {TUN, HIT_TUN, L2X_FDB_FWD_DROP},
	    {TUN, GROUP_HIT, L2X_FDB_FWD_FLOOD_LAN},
	    {(enum l2x_side)2, UNKNOWN, L2X_FDB_FWD_DROP},
	    {(enum l2x_side)2, HIT_TUN, L2X_FDB_FWD_DROP},
	};
	const uint64_t keys[] = {
	    [BCAST] = mac6(0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	    [MCAST] = mac6(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01),
	    [UNKNOWN] = mac_key(1),
	    [HIT_LAN] = mac_key(2),
	    [HIT_TUN] = mac_key(3),
	    [GROUP_HIT] = mac6(0x33, 0x33, 0x00, 0x00, 0x00, 0x01),
	};
	const bool hit[] = {false, false, false, true, true, true};
	const enum l2x_side side[] = {LAN, LAN, LAN, LAN, TUN, TUN};
	struct l2x_fdb_prm p = prm("forward", 64);
	struct l2x_fdb *fdb = mk(&p);
	struct rte_ether_addr m;
	(void)state;

	for (unsigned int i = 0; i < RTE_DIM(cases); i++) {
		int d = cases[i].dst;
		enum l2x_fdb_fwd f =
		    l2x_fdb_forward(cases[i].from, keys[d], hit[d], side[d]);

		if (f != cases[i].want)
			fail_msg("case %u: %u, expected %u", i, f,
				 cases[i].want);
	}

	/* the same through a table and the bulk path */
	m = key_mac(keys[HIT_LAN]);
	assert_int_equal(l2x_fdb_add_static(fdb, 0, &m, LAN, 0, 1), 0);
	m = key_mac(keys[HIT_TUN]);
	assert_int_equal(l2x_fdb_add_static(fdb, 0, &m, TUN, 0, 1), 0);
	for (int from = LAN; from <= 2; from++) {
		uint8_t fwd[RTE_DIM(keys) - 1];
		uint64_t drop, want_drop = 0;

		drop = l2x_fdb_forward_bulk(fdb, (enum l2x_side)from, keys,
					    RTE_DIM(fwd), fwd);
		for (unsigned int i = 0; i < RTE_DIM(cases); i++) {
			int d = cases[i].dst;

			if ((int)cases[i].from != from || d == GROUP_HIT)
				continue;
			if (fwd[d] != cases[i].want)
				fail_msg("bulk case %u: %u", i, fwd[d]);
		}
		for (unsigned int i = 0; i < RTE_DIM(fwd); i++)
			if (fwd[i] == L2X_FDB_FWD_DROP)
				want_drop |= BIT(i);
		assert_int_equal(drop, want_drop);
		assert_int_not_equal(drop, 0);
	}
	l2x_fdb_destroy(fdb);
}

static void test_token_bucket(void **state)
{
	/* 1000 pps, burst 10, now in nanoseconds */
	static const struct {
		uint64_t now;
		unsigned int n, want;
	} steps[] = {
	    {0, 4, 4},
	    {0, 10, 6}, /* the burst is spent */
	    {0, 1, 0},
	    {999999, 1, 0},  /* 0.999999 ms: not a whole token */
	    {1000000, 1, 1}, /* 1 ms: one token */
	    {1000000, 1, 0},
	    {3500000, 5, 2},	      /* 2.5 ms: two, half a token kept */
	    {4000000, 5, 1},	      /* the half plus another half */
	    {5000000000ull, 100, 10}, /* long idle: capped at the burst */
	    {4000000000ull, 1, 0},    /* time going back adds nothing */
	    {5003000000ull, 5, 3},
	};
	struct l2x_fdb_tb tb;
	(void)state;

	assert_int_equal(l2x_fdb_tb_init(&tb, 1000, 10, 1000000000, 0), 0);
	for (unsigned int i = 0; i < RTE_DIM(steps); i++) {
		unsigned int got =
		    l2x_fdb_tb_take(&tb, steps[i].now, steps[i].n);

		if (got != steps[i].want)
			fail_msg("step %u: %u tokens, expected %u", i, got,
				 steps[i].want);
	}

	/* TSC-like clock: 2.5 GHz, 1 pps, burst 1 */
	assert_int_equal(l2x_fdb_tb_init(&tb, 1, 1, 2500000000ull, 7), 0);
	assert_int_equal(l2x_fdb_tb_take(&tb, 7, 3), 1);
	assert_int_equal(l2x_fdb_tb_take(&tb, 7 + 2499999999ull, 1), 0);
	assert_int_equal(l2x_fdb_tb_take(&tb, 7 + 2500000000ull, 1), 1);

	/* no limit */
	assert_int_equal(l2x_fdb_tb_init(&tb, 0, 0, 1000, 0), 0);
	assert_int_equal(l2x_fdb_tb_take(&tb, 0, 64), 64);

	assert_int_equal(l2x_fdb_tb_init(NULL, 1, 1, 1, 0), -EINVAL);
	assert_int_equal(l2x_fdb_tb_init(&tb, 1, 1, 0, 0), -EINVAL);
	assert_int_equal(l2x_fdb_tb_init(&tb, 1, 0, 1000, 0), -EINVAL);
	assert_int_equal(l2x_fdb_tb_init(&tb, 1, UINT32_MAX, UINT64_MAX / 8, 0),
			 -ERANGE);
	assert_int_equal(l2x_fdb_tb_init(&tb, UINT64_MAX / 2, 1, 1, 0),
			 -ERANGE);
}

static void test_bum_police(void **state)
{
	const uint8_t fwd[] = {
	    L2X_FDB_FWD_FLOOD_TUNNEL, L2X_FDB_FWD_TUNNEL,
	    L2X_FDB_FWD_FLOOD_TUNNEL, L2X_FDB_FWD_DROP,
	    L2X_FDB_FWD_FLOOD_TUNNEL, L2X_FDB_FWD_FLOOD_LAN,
	    L2X_FDB_FWD_LAN,
	};
	struct l2x_fdb_tb tb;
	(void)state;

	assert_int_equal(l2x_fdb_tb_init(&tb, 100, 2, 1000, 0), 0);
	/* two floods pass, the two later ones do not; unicast never */
	assert_int_equal(l2x_fdb_bum_police(&tb, 0, fwd, RTE_DIM(fwd)),
			 BIT(4) | BIT(5));
	assert_int_equal(l2x_fdb_bum_police(&tb, 0, fwd, RTE_DIM(fwd)),
			 BIT(0) | BIT(2) | BIT(4) | BIT(5));
	/* 10 ms later: one token */
	assert_int_equal(l2x_fdb_bum_police(&tb, 10, fwd, RTE_DIM(fwd)),
			 BIT(2) | BIT(4) | BIT(5));
	/* nothing to police takes nothing */
	assert_int_equal(l2x_fdb_bum_police(&tb, 1000, fwd + 1, 1), 0);
	assert_int_equal(l2x_fdb_bum_police(&tb, 1000, fwd, RTE_DIM(fwd)),
			 BIT(4) | BIT(5));
}

/* --- RCU -------------------------------------------------------------- */

static struct rte_rcu_qsbr *qsbr_new(unsigned int threads)
{
	size_t sz = rte_rcu_qsbr_get_memsize(threads);
	struct rte_rcu_qsbr *v =
	    rte_zmalloc("test_qsbr", sz, RTE_CACHE_LINE_SIZE);

	assert_non_null(v);
	assert_int_equal(rte_rcu_qsbr_init(v, threads), 0);
	return v;
}

static void test_deferred_reuse(void **state)
{
	struct rte_rcu_qsbr *v = qsbr_new(1);
	struct l2x_fdb_prm p = prm("defer", 8);
	struct l2x_fdb *fdb;
	struct l2x_fdb_lcore lc = {0};
	struct rte_ether_addr m;
	(void)state;

	p.qsbr = v;
	fdb = mk(&p);
	/* a reader (this thread, playing one) is online, mid-burst */
	assert_int_equal(rte_rcu_qsbr_thread_register(v, 0), 0);
	rte_rcu_qsbr_thread_online(v, 0);

	for (unsigned int i = 0; i < 8; i++) {
		m = key_mac(mac_key(i));
		assert_int_equal(l2x_fdb_add_static(fdb, 0, &m, LAN, 0, 1), 0);
	}
	m = key_mac(mac_key(0));
	assert_int_equal(l2x_fdb_del(fdb, 0, &m), 0);
	assert_int_equal(look1(fdb, mac_key(0), NULL), 0);
	assert_int_equal(stats(fdb, &lc).pending_free, 1);
	assert_int_equal(stats(fdb, &lc).entries, 7);
	/* its position must not be reused before the reader is quiescent */
	m = key_mac(mac_key(100));
	assert_int_equal(l2x_fdb_add_static(fdb, 0, &m, TUN, 0, 2), -ENOSPC);
	learn1(fdb, mac_key(101), TUN, 2, &lc, NULL);
	assert_int_equal(l2x_fdb_drain(fdb, 2), 0);
	assert_int_equal(stats(fdb, &lc).full_refused, 1);
	for (unsigned int i = 1; i < 8; i++)
		expect_entry(fdb, mac_key(i), LAN, L2X_FDB_F_STATIC);

	rte_rcu_qsbr_quiescent(v, 0);
	assert_int_equal(l2x_fdb_add_static(fdb, 0, &m, TUN, 0, 3), 0);
	expect_entry(fdb, mac_key(100), TUN, L2X_FDB_F_STATIC);
	assert_int_equal(stats(fdb, &lc).pending_free, 0);

	/* flush defers every position; a drain returns them after a grace */
	assert_int_equal(l2x_fdb_flush(fdb, L2X_FDB_NET_ALL, false), 8);
	assert_int_equal(stats(fdb, &lc).pending_free, 8);
	l2x_fdb_drain(fdb, 4);
	assert_int_equal(stats(fdb, &lc).pending_free, 8);
	rte_rcu_qsbr_quiescent(v, 0);
	l2x_fdb_drain(fdb, 4);
	assert_int_equal(stats(fdb, &lc).pending_free, 0);
	for (unsigned int i = 0; i < 8; i++) {
		m = key_mac(mac_key(200 + i));
		assert_int_equal(l2x_fdb_add_static(fdb, 0, &m, LAN, 0, 5), 0);
	}

	rte_rcu_qsbr_thread_offline(v, 0);
	rte_rcu_qsbr_thread_unregister(v, 0);
	l2x_fdb_destroy(fdb);
	rte_free(v);
}

enum { N_STABLE = 64, N_CHURN = 800 };

struct reader {
	struct l2x_fdb *fdb;
	struct rte_rcu_qsbr *v;
	const uint64_t *stable; /* side: index parity, static if i < 32 */
	const uint64_t *churn;	/* side: index parity, never pinned twice */
	uint64_t clock;		/* shared now, atomic */
	int started, stop;	/* atomic */
	uint64_t loops, wrong, churn_hits, drops;
	struct l2x_fdb_lcore lc;
};

/* The worker: lookups of the stable MACs must always hit with the right
 * side; lookups of churning MACs, if they hit, must have theirs; learning
 * churning MACs from their own side must never drop. */
static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	uint64_t seed = 0xabcdef12345ull;

	if (rte_rcu_qsbr_thread_register(rd->v, 0) != 0) {
		rd->wrong = UINT64_MAX;
		__atomic_store_n(&rd->started, 1, __ATOMIC_RELEASE);
		return NULL;
	}
	rte_rcu_qsbr_thread_online(rd->v, 0);
	__atomic_store_n(&rd->started, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&rd->stop, __ATOMIC_ACQUIRE)) {
		struct l2x_fdb_res res[32];
		uint64_t keys[32], hit, now;
		uint8_t why[32], want[32];
		uint8_t side = rd->loops & 1;

		for (unsigned int b = 0; b < N_STABLE; b += 32) {
			hit = l2x_fdb_lookup_bulk(rd->fdb, rd->stable + b, 32,
						  res);
			for (unsigned int i = 0; i < 32; i++)
				if (!(hit & BIT(i)) ||
				    res[i].side != ((b + i) & 1) ||
				    (res[i].flags & L2X_FDB_F_PINNED) !=
					(b + i < 32 ? L2X_FDB_F_STATIC : 0))
					rd->wrong++;
		}
		for (unsigned int i = 0; i < 32; i++) {
			unsigned int k = (unsigned int)(rnd(&seed) % N_CHURN);

			keys[i] = rd->churn[k];
			want[i] = k & 1;
		}
		hit = l2x_fdb_lookup_bulk(rd->fdb, keys, 32, res);
		for (unsigned int i = 0; i < 32; i++) {
			if (!(hit & BIT(i)))
				continue;
			rd->churn_hits++;
			if (res[i].side != want[i])
				rd->wrong++;
		}
		/* learn churning MACs of this loop's side */
		for (unsigned int i = 0; i < 8; i++)
			keys[i] =
			    rd->churn[2 * (rnd(&seed) % (N_CHURN / 2)) + side];
		now = __atomic_load_n(&rd->clock, __ATOMIC_RELAXED);
		rd->drops += __builtin_popcountll(l2x_fdb_learn_bulk(
		    rd->fdb, keys, 8, side, now, &rd->lc, why));

		rte_rcu_qsbr_quiescent(rd->v, 0);
		rd->loops++;
		if ((rd->loops & 63) == 0)
			sched_yield();
	}
	rte_rcu_qsbr_thread_offline(rd->v, 0);
	rte_rcu_qsbr_thread_unregister(rd->v, 0);
	return NULL;
}

static void test_concurrent_reader(void **state)
{
	enum { ITER = 4000 };
	static uint64_t stable[N_STABLE], churn[N_CHURN];
	static struct reader rd;
	struct rte_rcu_qsbr *v = qsbr_new(1);
	struct l2x_fdb_prm p = prm("concur", 1024);
	struct l2x_fdb_lcore lc = {0};
	struct l2x_fdb_stats s;
	uint64_t seed = 0x1234567ull, now = 1000;
	pthread_t th;
	(void)state;

	p.aging_s = 20;
	p.learn_ring = 512;
	p.qsbr = v;
	memset(&rd, 0, sizeof(rd));
	rd.fdb = mk(&p);
	rd.v = v;
	rd.stable = stable;
	rd.churn = churn;
	rd.clock = now;
	for (unsigned int i = 0; i < N_STABLE; i++)
		stable[i] = mac_key(0x10000 + i);
	for (unsigned int i = 0; i < N_CHURN; i++)
		churn[i] = mac_key(0x20000 + i);
	for (unsigned int i = 0; i < N_STABLE; i++) {
		struct rte_ether_addr m = key_mac(stable[i]);

		if (i < 32)
			assert_int_equal(
			    l2x_fdb_add_static(rd.fdb, 0, &m, i & 1, 0, now),
			    0);
		else
			learn1(rd.fdb, stable[i], i & 1, now, &lc, NULL);
	}
	assert_int_equal(l2x_fdb_drain(rd.fdb, now), 32);

	/* The EAL pinned this thread to lcore 0, and a new thread inherits
	 * that: let the reader run on any CPU, in parallel where there are
	 * several. */
	pthread_attr_t attr;
	cpu_set_t cpus;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&cpus);
	for (long c = 0; c < ncpu && c < CPU_SETSIZE; c++)
		CPU_SET(c, &cpus);
	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(
	    pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus), 0);
	assert_int_equal(pthread_create(&th, &attr, reader_main, &rd), 0);
	pthread_attr_destroy(&attr);
	while (!__atomic_load_n(&rd.started, __ATOMIC_ACQUIRE))
		sched_yield();

	for (unsigned int it = 0; it < ITER; it++) {
		uint64_t keys[32];
		uint8_t why[32];
		unsigned int what = (unsigned int)(rnd(&seed) % 10);
		uint8_t side = rnd(&seed) & 1;

		if (it % 4 == 0)
			__atomic_store_n(&rd.clock, ++now, __ATOMIC_RELAXED);
		if (it % 16 == 0)
			sched_yield(); /* two cores: let the reader run */
		if (what < 4) {
			for (unsigned int i = 0; i < 32; i++)
				keys[i] =
				    churn[2 * (rnd(&seed) % (N_CHURN / 2)) +
					  side];
			assert_int_equal(l2x_fdb_learn_bulk(rd.fdb, keys, 32,
							    side, now, &lc,
							    why),
					 0);
		} else if (what < 6) {
			l2x_fdb_drain(rd.fdb, now);
		} else if (what < 7) {
			for (unsigned int i = 0; i < 16; i++) {
				struct rte_ether_addr m =
				    key_mac(churn[rnd(&seed) % N_CHURN]);

				l2x_fdb_del(rd.fdb, 0, &m);
			}
		} else if (what < 8) {
			/* keep the dynamic stable MACs fresh, then age */
			for (unsigned int s2 = 0; s2 < 2; s2++) {
				for (unsigned int i = 0; i < 16; i++)
					keys[i] = stable[32 + 2 * i + s2];
				assert_int_equal(
				    l2x_fdb_learn_bulk(rd.fdb, keys, 16, s2,
						       now, &lc, why),
				    0);
			}
			l2x_fdb_age(rd.fdb, now);
		} else if (what < 9) {
			unsigned int i = (unsigned int)(rnd(&seed) % N_CHURN);
			struct rte_ether_addr m = key_mac(churn[i]);

			l2x_fdb_add_static(rd.fdb, 0, &m, i & 1, 0, now);
		} else {
			now += 5; /* let churn age faster */
			__atomic_store_n(&rd.clock, now, __ATOMIC_RELAXED);
		}
	}
	__atomic_store_n(&rd.stop, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(th, NULL), 0);

	if (rd.wrong != 0)
		fail_msg("reader saw %llu wrong answers in %llu loops",
			 (unsigned long long)rd.wrong,
			 (unsigned long long)rd.loops);
	assert_true(rd.loops > 0);
	assert_int_equal(rd.drops, 0);
	assert_int_equal(rd.lc.moves, 0);
	assert_int_equal(rd.lc.conflicts, 0);
	assert_int_equal(lc.moves, 0);
	for (unsigned int i = 0; i < N_STABLE; i++)
		expect_entry(rd.fdb, stable[i], i & 1,
			     i < 32 ? L2X_FDB_F_STATIC : 0);
	l2x_fdb_stats(rd.fdb, &rd.lc, 1, &s);
	print_message("concurrent: %llu reader loops, %llu churn hits, "
		      "%llu learned, %llu aged, %llu deleted, %llu refused\n",
		      (unsigned long long)rd.loops,
		      (unsigned long long)rd.churn_hits,
		      (unsigned long long)s.learned, (unsigned long long)s.aged,
		      (unsigned long long)s.deleted,
		      (unsigned long long)(s.full_refused + s.limit_refused));
	assert_true(s.learned > 0 && s.aged > 0 && s.deleted > 0);
	l2x_fdb_destroy(rd.fdb);
	rte_free(v);
}

/* --- networks in the one table ---------------------------------------- */

static void test_net_keys(void **state)
{
	struct rte_ether_addr m = {{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};
	struct rte_ether_addr zero = {{0}}, back;
	const uint64_t k0 = l2x_fdb_key(&m);
	(void)state;

	/* network 0 is l2x_fdb_key's; another ORs its constant in */
	assert_true(l2x_fdb_nkey(0, &m) == k0);
	for (uint32_t nid = 0; nid < L2X_FDB_NETS_MAX; nid += 4093) {
		uint64_t k = l2x_fdb_nkey(nid, &m);

		L2X_CHECK(k == (k0 | l2x_fdb_nkey(nid, NULL)), "nid %u", nid);
		L2X_CHECK(l2x_fdb_key_net(k) == nid, "nid %u: back %u", nid,
			  l2x_fdb_key_net(k));
		L2X_CHECK(l2x_fdb_key_strip(k) == k0, "nid %u: strip", nid);
		l2x_fdb_key_mac(k, &back);
		L2X_CHECK(memcmp(&back, &m, sizeof(m)) == 0, "nid %u: mac",
			  nid);
		L2X_CHECK(!l2x_fdb_key_bad_src(k), "nid %u: good source", nid);
		/* the zero MAC stays bad, whatever network */
		L2X_CHECK(l2x_fdb_key_bad_src(l2x_fdb_nkey(nid, &zero)),
			  "nid %u: zero MAC", nid);
		L2X_CHECK(!l2x_fdb_key_is_group(l2x_fdb_nkey(nid, &zero)),
			  "nid %u: group bit", nid);
	}
	assert_int_equal(l2x_fdb_key_net(l2x_fdb_nkey(0xffff, &m)), 0xffff);
}

/* The same MAC in two networks is two entries; each network counts its
 * own and has its own limit; the capacity bounds them together. */
static void test_net_limits(void **state)
{
	struct l2x_fdb_prm p = prm("netlim", 16);
	struct l2x_fdb *fdb;
	struct l2x_fdb_lcore lc = {0};
	struct l2x_fdb_net_stats ns;
	struct l2x_fdb_stats s;
	struct rte_ether_addr m = key_mac(mac_key(1));
	struct l2x_fdb_info info;
	(void)state;

	p.nets = 4;
	p.mac_limit = 6;
	fdb = mk(&p);
	assert_int_equal(l2x_fdb_net_limit(fdb, 1, 3), 0);
	assert_int_equal(l2x_fdb_net_limit(fdb, 4, 3), -EINVAL); /* >= nets */
	assert_int_equal(l2x_fdb_net_limit(fdb, 1, 0), -EINVAL);
	assert_int_equal(l2x_fdb_net_limit(fdb, 1, L2X_FDB_CAPACITY_MAX + 1),
			 -EINVAL);
	/* MAC 1 in networks 1 and 2: two entries, on two sides */
	assert_int_equal(learn1(fdb, nmac_key(1, 1), LAN, 5, &lc, NULL), 0);
	assert_int_equal(learn1(fdb, nmac_key(2, 1), TUN, 5, &lc, NULL), 0);
	assert_int_equal(l2x_fdb_drain(fdb, 5), 2);
	expect_entry(fdb, nmac_key(1, 1), LAN, 0);
	expect_entry(fdb, nmac_key(2, 1), TUN, 0);
	assert_int_equal(look1(fdb, nmac_key(3, 1), NULL), 0);
	assert_int_equal(look1(fdb, mac_key(1), NULL), 0); /* network 0 */
	assert_int_equal(l2x_fdb_get(fdb, 2, &m, 5, &info), 0);
	assert_int_equal(info.net, 2);
	assert_int_equal(info.side, TUN);
	assert_int_equal(l2x_fdb_get(fdb, 3, &m, 5, &info), -ENOENT);
	assert_int_equal(l2x_fdb_get(fdb, 4, &m, 5, &info), -EINVAL);
	/* network 1 stops at 3, network 2 at the default 6 */
	for (uint32_t i = 2; i <= 8; i++) {
		learn1(fdb, nmac_key(1, i), LAN, 6, &lc, NULL);
		learn1(fdb, nmac_key(2, i), LAN, 6, &lc, NULL);
	}
	l2x_fdb_drain(fdb, 6);
	l2x_fdb_net_stats(fdb, 1, &ns);
	assert_int_equal(ns.entries, 3);
	assert_int_equal(ns.mac_limit, 3);
	assert_int_equal(ns.limit_refused, 5);
	l2x_fdb_net_stats(fdb, 2, &ns);
	assert_int_equal(ns.entries, 6);
	assert_int_equal(ns.limit_refused, 2);
	/* statics count apart, and not against the limit */
	assert_int_equal(
	    l2x_fdb_add_static(fdb, 1,
			       &(struct rte_ether_addr){{2, 9, 9, 9, 9, 9}},
			       TUN, 0, 6),
	    0);
	l2x_fdb_net_stats(fdb, 1, &ns);
	assert_int_equal(ns.entries, 4);
	assert_int_equal(ns.statics, 1);
	/* network 3 (limit 10) meets the capacity first: 16 in all */
	assert_int_equal(l2x_fdb_net_limit(fdb, 3, 10), 0);
	for (uint32_t i = 1; i <= 8; i++)
		learn1(fdb, nmac_key(3, i), LAN, 7, &lc, NULL);
	l2x_fdb_drain(fdb, 7);
	s = stats(fdb, NULL);
	assert_int_equal(s.entries, 16);
	assert_int_equal(s.full_refused, 2);
	assert_int_equal(s.limit_refused, 7);
	/* a request for a network id the table does not count is dropped */
	assert_int_equal(learn1(fdb, nmac_key(9, 1), LAN, 7, &lc, NULL), 0);
	assert_int_equal(l2x_fdb_drain(fdb, 7), 0);
	assert_int_equal(look1(fdb, nmac_key(9, 1), NULL), 0);
	l2x_fdb_net_stats(fdb, 9, &ns);
	assert_int_equal(ns.entries + ns.mac_limit, 0);
	assert_int_equal(l2x_fdb_add_static(fdb, 9, &m, LAN, 0, 7), -EINVAL);
	assert_int_equal(l2x_fdb_del(fdb, 9, &m), -EINVAL);
	l2x_fdb_destroy(fdb);
}

struct collect {
	uint64_t keys[64];
	unsigned int n, stop_every;
};

static int collect_cb(const struct l2x_fdb_info *in, void *ctx)
{
	struct collect *c = ctx;

	if (c->n < RTE_DIM(c->keys))
		c->keys[c->n] = l2x_fdb_nkey(in->net, &in->mac);
	c->n++;
	return c->stop_every && c->n % c->stop_every == 0;
}

static bool has_key(const struct collect *c, uint64_t k)
{
	for (unsigned int i = 0; i < c->n && i < RTE_DIM(c->keys); i++)
		if (c->keys[i] == k)
			return true;
	return false;
}

/* Flush and walk one network; a network's id forgotten (its learn
 * requests on the ring too) and given to another. */
static void test_net_flush_walk(void **state)
{
	struct l2x_fdb_prm p = prm("netflush", 64);
	struct l2x_fdb *fdb;
	struct l2x_fdb_lcore lc = {0};
	struct l2x_fdb_net_stats ns;
	struct collect c = {0};
	uint32_t pos;
	(void)state;

	p.nets = 3;
	fdb = mk(&p);
	for (uint32_t i = 1; i <= 5; i++) {
		learn1(fdb, nmac_key(0, i), LAN, 1, &lc, NULL);
		learn1(fdb, nmac_key(1, i), LAN, 1, &lc, NULL);
	}
	l2x_fdb_drain(fdb, 1);
	assert_int_equal(
	    l2x_fdb_add_static(fdb, 1,
			       &(struct rte_ether_addr){{2, 8, 8, 8, 8, 8}},
			       TUN, L2X_FDB_F_GATEWAY, 1),
	    0);
	/* walk one network: its 6 entries only */
	assert_int_equal(l2x_fdb_walk(fdb, 1, 1, NULL, 0, collect_cb, &c), 0);
	assert_int_equal(c.n, 6);
	for (uint32_t i = 1; i <= 5; i++)
		L2X_CHECK(has_key(&c, nmac_key(1, i)), "mac %u", i);
	/* a network with no entry: nothing, and the walk is at its end */
	c.n = 0;
	pos = 0;
	assert_int_equal(l2x_fdb_walk(fdb, 2, 1, &pos, 0, collect_cb, &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(pos, l2x_fdb_positions(fdb));
	/* paged: 4 rows a page over every network, each entry once */
	c.n = 0;
	c.stop_every = 4;
	pos = 0;
	for (int pages = 0; pos < l2x_fdb_positions(fdb); pages++) {
		assert_true(pages < 10);
		l2x_fdb_walk(fdb, L2X_FDB_NET_ALL, 1, &pos, 0, collect_cb, &c);
	}
	assert_int_equal(c.n, 11);
	for (uint32_t i = 1; i <= 5; i++)
		L2X_CHECK(has_key(&c, nmac_key(0, i)) &&
			      has_key(&c, nmac_key(1, i)),
			  "mac %u", i);
	/* bounded visits: 8 positions a call, every entry once still */
	c.n = 0;
	c.stop_every = 0;
	pos = 0;
	for (int calls = 0; pos < l2x_fdb_positions(fdb); calls++) {
		assert_true(calls <= (int)l2x_fdb_positions(fdb) / 8 + 1);
		l2x_fdb_walk(fdb, 1, 1, &pos, 8, collect_cb, &c);
	}
	assert_int_equal(c.n, 6);
	/* flush one network's dynamic entries: the other keeps its own */
	assert_int_equal(l2x_fdb_flush(fdb, 1, true), 5);
	assert_int_equal(l2x_fdb_flush(fdb, 2, false), 0);
	l2x_fdb_net_stats(fdb, 1, &ns);
	assert_int_equal(ns.entries, 1);
	l2x_fdb_net_stats(fdb, 0, &ns);
	assert_int_equal(ns.entries, 5);

	/* forget network 1: requests already queued for it do not come
	 * back (drained, then removed with the gateway entry), those of
	 * network 0 are taken; its limit goes back to the default */
	assert_int_equal(l2x_fdb_net_limit(fdb, 1, 2), 0);
	learn1(fdb, nmac_key(1, 7), LAN, 2, &lc, NULL);
	learn1(fdb, nmac_key(0, 7), LAN, 2, &lc, NULL);
	assert_int_equal(l2x_fdb_net_flush(fdb, 1, 2), 2);
	l2x_fdb_net_stats(fdb, 1, &ns);
	assert_int_equal(ns.entries, 0);
	assert_int_equal(ns.mac_limit, 64);
	assert_int_equal(look1(fdb, nmac_key(1, 7), NULL), 0);
	expect_entry(fdb, nmac_key(0, 7), LAN, 0);
	assert_int_equal(l2x_fdb_drain(fdb, 2), 0);
	/* the id serves a new network, empty */
	c.n = 0;
	assert_int_equal(l2x_fdb_walk(fdb, 1, 2, NULL, 0, collect_cb, &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(l2x_fdb_net_flush(fdb, 5, 2), 0); /* >= nets */
	l2x_fdb_destroy(fdb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_params),
	    cmocka_unit_test(test_create_defaults_and_names),
	    cmocka_unit_test(test_names_tables),
	    cmocka_unit_test(test_learn_drain_lookup),
	    cmocka_unit_test(test_invalid_source),
	    cmocka_unit_test(test_ring_full),
	    cmocka_unit_test(test_full_table),
	    cmocka_unit_test(test_move_counter),
	    cmocka_unit_test(test_pinned_entries),
	    cmocka_unit_test(test_flapping),
	    cmocka_unit_test(test_aging),
	    cmocka_unit_test(test_against_reference),
	    cmocka_unit_test(test_walk_flush_del),
	    cmocka_unit_test(test_stats_sum),
	    cmocka_unit_test(test_forward_table),
	    cmocka_unit_test(test_token_bucket),
	    cmocka_unit_test(test_bum_police),
	    cmocka_unit_test(test_deferred_reuse),
	    cmocka_unit_test(test_concurrent_reader),
	    cmocka_unit_test(test_net_keys),
	    cmocka_unit_test(test_net_limits),
	    cmocka_unit_test(test_net_flush_walk),
	};
	return cmocka_run_group_tests_name("fdb", tests, l2x_testenv_up,
					   l2x_testenv_down);
}
