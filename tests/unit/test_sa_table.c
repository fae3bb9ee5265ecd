/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ipsec/sa_table.[ch]: the immutable SPI -> inbound SA
 * table, against a linear reference, at every fill level up to full, and
 * its publication by pointer swap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_byteorder.h>
#include <sodium.h>

#include "ipsec/sa.h"
#include "ipsec/sa_table.h"
#include "tests/unit/testenv.h"

static uint8_t keymat[L2X_SA_KEYMAT_LEN];

static int setup(void **state)
{
	uint64_t seed = 11;

	if (sodium_init() < 0)
		return -1;
	l2x_test_fill(&seed, keymat, sizeof(keymat));
	return l2x_testenv_up(state);
}

static struct l2x_sa *mk(uint32_t spi, enum l2x_sa_dir dir)
{
	struct l2x_sa *sa = NULL;
	struct l2x_sa_prm p = {
	    .spi = spi,
	    .dir = dir,
	    .alg = L2X_AEAD_CHACHA20POLY1305,
	    .key = keymat,
	    .key_len = sizeof(keymat),
	};

	assert_int_equal(l2x_sa_create(&p, &sa), 0);
	return sa;
}

static struct l2x_sa *find(const struct l2x_sa_table *t, uint32_t spi)
{
	return l2x_sa_table_lookup(t, rte_cpu_to_be_32(spi));
}

static void test_create_errors(void **state)
{
	struct l2x_sa_table *t = (struct l2x_sa_table *)state;
	(void)state;

	assert_int_equal(l2x_sa_table_create(0, &t), -EINVAL);
	assert_null(t);
	assert_int_equal(l2x_sa_table_create(L2X_SA_TABLE_MAX + 1, &t),
			 -EINVAL);
	assert_int_equal(l2x_sa_table_create(1, NULL), -EINVAL);
	l2x_sa_table_destroy(NULL);
}

static void test_add_errors(void **state)
{
	struct l2x_sa_table *t;
	struct l2x_sa *in = mk(0x5000, L2X_SA_IN);
	struct l2x_sa *in2 = mk(0x5000, L2X_SA_IN);
	struct l2x_sa *in3 = mk(0x5001, L2X_SA_IN);
	struct l2x_sa *out = mk(0x6000, L2X_SA_OUT);
	(void)state;

	assert_int_equal(l2x_sa_table_create(1, &t), 0);
	assert_null(find(t, 0x5000));
	assert_int_equal(l2x_sa_table_add(t, NULL), -EINVAL);
	assert_int_equal(l2x_sa_table_add(NULL, in), -EINVAL);
	assert_int_equal(l2x_sa_table_add(t, out), -EINVAL);
	assert_int_equal(l2x_sa_table_add(t, in), 0);
	assert_int_equal(l2x_sa_table_add(t, in2), -EEXIST);
	assert_int_equal(l2x_sa_table_add(t, in3), -ENOSPC);
	assert_int_equal(l2x_sa_table_count(t), 1);
	assert_ptr_equal(find(t, 0x5000), in);
	assert_null(find(t, 0x5001));
	assert_null(find(t, 0x6000));
	assert_null(find(t, 0));
	l2x_sa_table_destroy(t);
	l2x_sa_destroy(in);
	l2x_sa_destroy(in2);
	l2x_sa_destroy(in3);
	l2x_sa_destroy(out);
}

/* Fill tables of several capacities to the brim with random SPIs (and
 * clustered ones, which collide in the hash more), checking every lookup
 * against a linear search at every step. */
static void test_fill_against_reference(void **state)
{
	static const uint32_t caps[] = {1, 2, 3, 7, 64, 100, 1000};
	uint64_t seed = 0x1234;
	(void)state;

	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		uint32_t cap = caps[c];
		struct l2x_sa_table *t;
		struct l2x_sa **sas = calloc(cap, sizeof(*sas));
		uint32_t *spis = calloc(cap, sizeof(*spis));

		assert_non_null(sas);
		assert_non_null(spis);
		assert_int_equal(l2x_sa_table_create(cap, &t), 0);
		for (uint32_t i = 0; i < cap; i++) {
			uint32_t spi;

			do {
				l2x_test_fill(&seed, &spi, sizeof(spi));
				if (c % 2)
					spi = 0x10000 + (spi % (4 * cap));
				spi |= 0x100;
				for (uint32_t j = 0; j < i; j++)
					if (spis[j] == spi)
						spi = 0;
			} while (spi == 0);
			spis[i] = spi;
			sas[i] = mk(spi, L2X_SA_IN);
			if (l2x_sa_table_add(t, sas[i]) != 0)
				fail_msg("cap %u: add %u failed", cap, i);
			for (uint32_t j = 0; j <= i; j++)
				if (find(t, spis[j]) != sas[j])
					fail_msg("cap %u after %u adds: SPI "
						 "%#x not found",
						 cap, i + 1, spis[j]);
			for (int k = 0; k < 50; k++) {
				uint32_t probe, j;

				l2x_test_fill(&seed, &probe, sizeof(probe));
				if (k % 2)
					probe = 0x10000 + probe % (8 * cap);
				for (j = 0; j <= i && spis[j] != probe; j++)
					;
				if (find(t, probe) != (j <= i ? sas[j] : NULL))
					fail_msg("cap %u: probe %#x wrong", cap,
						 probe);
			}
		}
		assert_int_equal(l2x_sa_table_count(t), cap);
		assert_true(t->max_probe <= t->mask);
		{
			struct l2x_sa *extra = mk(0xfffffff0, L2X_SA_IN);

			assert_int_equal(l2x_sa_table_add(t, extra), -ENOSPC);
			l2x_sa_destroy(extra);
		}
		l2x_sa_table_destroy(t);
		for (uint32_t i = 0; i < cap; i++)
			l2x_sa_destroy(sas[i]);
		free(sas);
		free(spis);
	}
}

static void test_swap(void **state)
{
	struct l2x_sa_table *cur = NULL, *a, *b, *old;
	struct l2x_sa *s1 = mk(0x7001, L2X_SA_IN);
	struct l2x_sa *s2 = mk(0x7002, L2X_SA_IN);
	(void)state;

	assert_null(l2x_sa_table_current(&cur));
	assert_int_equal(l2x_sa_table_create(4, &a), 0);
	assert_int_equal(l2x_sa_table_add(a, s1), 0);
	old = l2x_sa_table_swap(&cur, a);
	assert_null(old);
	assert_ptr_equal(l2x_sa_table_current(&cur), a);
	/* published: immutable */
	assert_int_equal(l2x_sa_table_add(a, s2), -EBUSY);

	assert_int_equal(l2x_sa_table_create(4, &b), 0);
	assert_int_equal(l2x_sa_table_add(b, s1), 0);
	assert_int_equal(l2x_sa_table_add(b, s2), 0);
	old = l2x_sa_table_swap(&cur, b);
	assert_ptr_equal(old, a);
	assert_ptr_equal(find(l2x_sa_table_current(&cur), 0x7002), s2);
	/* the old table still answers until freed (workers mid-burst) */
	assert_ptr_equal(find(old, 0x7001), s1);
	assert_null(find(old, 0x7002));
	l2x_sa_table_destroy(old);

	old = l2x_sa_table_swap(&cur, NULL);
	assert_ptr_equal(old, b);
	assert_null(l2x_sa_table_current(&cur));
	l2x_sa_table_destroy(old);
	l2x_sa_destroy(s1);
	l2x_sa_destroy(s2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_errors),
	    cmocka_unit_test(test_add_errors),
	    cmocka_unit_test(test_fill_against_reference),
	    cmocka_unit_test(test_swap),
	};
	return cmocka_run_group_tests_name("sa_table", tests, setup,
					   l2x_testenv_down);
}
