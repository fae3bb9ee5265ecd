/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ipsec/sa.[ch]: what an SA accepts at create, what it
 * refuses and why, the wipe, time lifetimes, counters and state. The
 * per-packet limits (sequence exhaustion, packet and byte lifetimes) are
 * driven through ESP in test_esp.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "dataplane/wire.h"
#include "ipsec/sa.h"
#include "tests/unit/testenv.h"

static uint8_t keymat[L2X_SA_KEYMAT_LEN + 1];

static int setup(void **state)
{
	uint64_t seed = 7;

	if (sodium_init() < 0)
		return -1;
	l2x_test_fill(&seed, keymat, sizeof(keymat));
	return l2x_testenv_up(state);
}

static struct l2x_sa_prm base_prm(enum l2x_aead alg)
{
	return (struct l2x_sa_prm){
	    .spi = 0x1000,
	    .dir = L2X_SA_IN,
	    .alg = alg,
	    .key = keymat,
	    .key_len = L2X_SA_KEYMAT_LEN,
	    .now = 100,
	};
}

/* Which transform to use where either would do: ChaCha20-Poly1305 runs on
 * every CPU. */
#define ANY_ALG L2X_AEAD_CHACHA20POLY1305

struct prm_case {
	const char *what;
	void (*edit)(struct l2x_sa_prm *p);
	int want;
};

static void e_none(struct l2x_sa_prm *p)
{
	(void)p;
}
static void e_spi0(struct l2x_sa_prm *p)
{
	p->spi = 0;
}
static void e_spi255(struct l2x_sa_prm *p)
{
	p->spi = 255;
}
static void e_spi256(struct l2x_sa_prm *p)
{
	p->spi = 256;
}
static void e_spimax(struct l2x_sa_prm *p)
{
	p->spi = UINT32_MAX;
}
static void e_dir0(struct l2x_sa_prm *p)
{
	p->dir = 0;
}
static void e_dir3(struct l2x_sa_prm *p)
{
	p->dir = 3;
}
static void e_out(struct l2x_sa_prm *p)
{
	p->dir = L2X_SA_OUT;
}
static void e_alg_cbc(struct l2x_sa_prm *p)
{
	p->alg = 12; /* ENCR_AES_CBC: not AEAD, not ours */
}
static void e_alg_gcm8(struct l2x_sa_prm *p)
{
	p->alg = 18; /* ENCR_AES_GCM_8: 8-byte ICV, not ours */
}
static void e_alg0(struct l2x_sa_prm *p)
{
	p->alg = 0;
}
static void e_key_null(struct l2x_sa_prm *p)
{
	p->key = NULL;
}
static void e_key32(struct l2x_sa_prm *p)
{
	p->key_len = 32; /* salt missing */
}
static void e_key37(struct l2x_sa_prm *p)
{
	p->key_len = 37;
}
static void e_key0(struct l2x_sa_prm *p)
{
	p->key_len = 0;
}
static void e_flags(struct l2x_sa_prm *p)
{
	p->flags = 1u << 7;
}
static void e_esn(struct l2x_sa_prm *p)
{
	p->flags = L2X_SA_ESN;
}
static void e_win4096(struct l2x_sa_prm *p)
{
	p->replay_win = 4096;
}
static void e_win4097(struct l2x_sa_prm *p)
{
	p->replay_win = 4097;
}
static void e_win1(struct l2x_sa_prm *p)
{
	p->replay_win = 1;
}
static void e_seq32(struct l2x_sa_prm *p)
{
	p->initial_seq = UINT32_MAX;
}
static void e_seq33(struct l2x_sa_prm *p)
{
	p->initial_seq = 1ull << 32;
}
static void e_seq33_esn(struct l2x_sa_prm *p)
{
	p->initial_seq = 1ull << 32;
	p->flags = L2X_SA_ESN;
}
static void e_soft_gt_hard_bytes(struct l2x_sa_prm *p)
{
	p->soft.bytes = 2000;
	p->hard.bytes = 1000;
}
static void e_soft_gt_hard_pk(struct l2x_sa_prm *p)
{
	p->soft.packets = 11;
	p->hard.packets = 10;
}
static void e_soft_gt_hard_s(struct l2x_sa_prm *p)
{
	p->soft.seconds = 3601;
	p->hard.seconds = 3600;
}
static void e_soft_eq_hard(struct l2x_sa_prm *p)
{
	p->soft = (struct l2x_sa_lifetime){10, 10, 10};
	p->hard = (struct l2x_sa_lifetime){10, 10, 10};
}
static void e_soft_only(struct l2x_sa_prm *p)
{
	p->soft = (struct l2x_sa_lifetime){10, 10, 10};
}

static void test_create_checks(void **state)
{
	const struct prm_case c[] = {
	    {"defaults", e_none, 0},
	    {"SPI 0 (RFC 4303 2.1)", e_spi0, -EINVAL},
	    {"SPI 255 (reserved)", e_spi255, -EINVAL},
	    {"SPI 256", e_spi256, 0},
	    {"SPI 2^32-1", e_spimax, 0},
	    {"direction 0", e_dir0, -EINVAL},
	    {"direction 3", e_dir3, -EINVAL},
	    {"outbound", e_out, 0},
	    {"AES-CBC", e_alg_cbc, -ENOTSUP},
	    {"AES-GCM-8", e_alg_gcm8, -ENOTSUP},
	    {"transform 0", e_alg0, -ENOTSUP},
	    {"no key", e_key_null, -EINVAL},
	    {"key without salt", e_key32, -EINVAL},
	    {"key 37 bytes", e_key37, -EINVAL},
	    {"key 0 bytes", e_key0, -EINVAL},
	    {"unknown flag", e_flags, -EINVAL},
	    {"ESN", e_esn, 0},
	    {"window 4096", e_win4096, 0},
	    {"window 4097", e_win4097, -EINVAL},
	    {"window 1", e_win1, 0},
	    {"initial seq 2^32-1", e_seq32, 0},
	    {"initial seq 2^32 without ESN", e_seq33, -EINVAL},
	    {"initial seq 2^32 with ESN", e_seq33_esn, 0},
	    {"soft bytes > hard", e_soft_gt_hard_bytes, -EINVAL},
	    {"soft packets > hard", e_soft_gt_hard_pk, -EINVAL},
	    {"soft seconds > hard", e_soft_gt_hard_s, -EINVAL},
	    {"soft = hard", e_soft_eq_hard, 0},
	    {"soft without hard", e_soft_only, 0},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct l2x_sa_prm p = base_prm(ANY_ALG);
		struct l2x_sa *sa = (struct l2x_sa *)&p; /* poison */
		int rc;

		c[i].edit(&p);
		rc = l2x_sa_create(&p, &sa);
		if (rc != c[i].want)
			fail_msg("case %zu (%s): rc %d, want %d", i, c[i].what,
				 rc, c[i].want);
		if (rc == 0) {
			assert_non_null(sa);
			assert_int_equal(l2x_sa_spi(sa), p.spi);
			assert_int_equal(l2x_sa_dir(sa), p.dir);
			assert_int_equal(l2x_sa_alg(sa), p.alg);
		} else if (sa != NULL) {
			fail_msg("case %zu (%s): *out not NULL on error", i,
				 c[i].what);
		}
		l2x_sa_destroy(sa);
	}
	assert_int_equal(l2x_sa_create(NULL, &(struct l2x_sa *){NULL}),
			 -EINVAL);
	{
		struct l2x_sa_prm p = base_prm(ANY_ALG);

		assert_int_equal(l2x_sa_create(&p, NULL), -EINVAL);
	}
	l2x_sa_destroy(NULL);
}

/* AES-256-GCM is refused with -ENOTSUP on a CPU without AES-NI/PCLMUL;
 * here it can only be checked against what libsodium says of this CPU. */
static void test_aes_availability(void **state)
{
	struct l2x_sa_prm p = base_prm(L2X_AEAD_AES256GCM);
	struct l2x_sa *sa = NULL;
	int rc = l2x_sa_create(&p, &sa);
	(void)state;

	if (crypto_aead_aes256gcm_is_available()) {
		assert_int_equal(rc, 0);
		assert_int_equal(l2x_sa_alg(sa), L2X_AEAD_AES256GCM);
	} else {
		assert_int_equal(rc, -ENOTSUP);
		assert_null(sa);
	}
	l2x_sa_destroy(sa);
}

static void test_window_default(void **state)
{
	static const struct {
		uint32_t given, want;
	} c[] = {{0, L2X_REPLAY_WIN_DEFAULT},
		 {1, 1},
		 {32, 32},
		 {64, 64},
		 {100, 100},
		 {4096, 4096}};
	(void)state;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct l2x_sa_prm p = base_prm(ANY_ALG);
		struct l2x_sa *sa;

		p.replay_win = c[i].given;
		assert_int_equal(l2x_sa_create(&p, &sa), 0);
		if (l2x_sa_replay_win(sa) != c[i].want)
			fail_msg("case %zu: window %u, want %u", i,
				 l2x_sa_replay_win(sa), c[i].want);
		l2x_sa_destroy(sa);
	}
}

static void test_alg_names(void **state)
{
	(void)state;
	assert_string_equal(l2x_sa_alg_name(L2X_AEAD_AES256GCM), "aes256gcm16");
	assert_string_equal(l2x_sa_alg_name(L2X_AEAD_CHACHA20POLY1305),
			    "chacha20poly1305");
	assert_null(l2x_sa_alg_name(12));
	assert_null(l2x_sa_alg_name(0));
}

static bool contains(const void *hay, size_t n, const void *needle, size_t k)
{
	return memmem(hay, n, needle, k) != NULL;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/*
 * fini wipes every byte. Checked on caller-owned memory (size/init/fini),
 * where reading the bytes after the wipe is defined behaviour. Before the
 * wipe the key bytes are there (the raw ChaCha20 key; for AES the first
 * round keys of the expansion are the key itself), so the check can fail.
 */
static void test_fini_wipes(void **state)
{
	static const enum l2x_aead algs[] = {L2X_AEAD_CHACHA20POLY1305,
					     L2X_AEAD_AES256GCM};
	size_t n = l2x_sa_size();
	(void)state;

	assert_true(n % RTE_CACHE_LINE_SIZE == 0);
	for (size_t a = 0; a < 2; a++) {
		struct l2x_sa_prm p = base_prm(algs[a]);
		struct l2x_sa *sa = aligned_alloc(RTE_CACHE_LINE_SIZE, n);

		if (algs[a] == L2X_AEAD_AES256GCM &&
		    !crypto_aead_aes256gcm_is_available()) {
			free(sa);
			continue;
		}
		assert_non_null(sa);
		memset(sa, 0xa5, n);
		assert_int_equal(l2x_sa_init(sa, &p), 0);
		assert_true(contains(sa, n, keymat + L2X_ESP_KEY_LEN,
				     L2X_ESP_SALT_LEN));
		if (algs[a] == L2X_AEAD_CHACHA20POLY1305)
			assert_true(contains(sa, n, keymat, L2X_ESP_KEY_LEN));
		else
			assert_true(contains(sa, n, keymat, 16));
		l2x_sa_fini(sa);
		assert_true(all_zero(sa, n));
		free(sa);
	}
	l2x_sa_fini(NULL);
}

/* init refuses memory that is not cache-line aligned, and an error leaves
 * no key byte behind. */
static void test_init_errors(void **state)
{
	size_t n = l2x_sa_size();
	uint8_t *buf = aligned_alloc(RTE_CACHE_LINE_SIZE, n + 64);
	struct l2x_sa_prm p = base_prm(ANY_ALG);
	(void)state;

	assert_non_null(buf);
	memset(buf, 0, n + 64);
	assert_int_equal(l2x_sa_init((struct l2x_sa *)(buf + 16), &p), -EINVAL);
	p.key_len = 32;
	assert_int_equal(l2x_sa_init((struct l2x_sa *)buf, &p), -EINVAL);
	p.key_len = L2X_SA_KEYMAT_LEN;
	p.spi = 1;
	assert_int_equal(l2x_sa_init((struct l2x_sa *)buf, &p), -EINVAL);
	assert_true(all_zero(buf, n + 64));
	assert_int_equal(l2x_sa_init(NULL, &p), -EINVAL);
	assert_int_equal(l2x_sa_init((struct l2x_sa *)buf, NULL), -EINVAL);
	free(buf);
}

/* The per-packet part and the sequence number sit on lines of their own
 * (STYLE 4). */
static void test_layout(void **state)
{
	(void)state;
	assert_true(offsetof(struct l2x_sa, seq) % RTE_CACHE_LINE_SIZE == 0);
	assert_true(offsetof(struct l2x_sa, packets) % RTE_CACHE_LINE_SIZE ==
		    0);
	assert_true(offsetof(struct l2x_sa, seq) >=
		    offsetof(struct l2x_sa, soft_packets) + sizeof(uint64_t));
	assert_true(offsetof(struct l2x_sa, packets) >=
		    offsetof(struct l2x_sa, seq) + RTE_CACHE_LINE_SIZE);
	assert_true(offsetof(struct l2x_sa, key) % 16 == 0);
}

struct time_case {
	struct l2x_sa_lifetime soft, hard;
	uint64_t now;
	unsigned want;
};

/* Time lifetimes from creation at now = 100. */
static void test_check_time(void **state)
{
	const struct time_case c[] = {
	    {{0, 0, 0}, {0, 0, 0}, 1000000, 0},
	    {{0, 0, 60}, {0, 0, 90}, 159, 0},
	    {{0, 0, 60}, {0, 0, 90}, 160, L2X_SA_SOFT},
	    {{0, 0, 60}, {0, 0, 90}, 189, L2X_SA_SOFT},
	    {{0, 0, 60}, {0, 0, 90}, 190, L2X_SA_SOFT | L2X_SA_HARD},
	    {{0, 0, 0}, {0, 0, 90}, 190, L2X_SA_HARD},
	    {{0, 0, 60}, {0, 0, 0}, 5000, L2X_SA_SOFT},
	    {{0, 0, 60}, {0, 0, 90}, 50, 0}, /* clock before creation */
	    /* byte/packet limits alone never trip on time */
	    {{10, 10, 0}, {20, 20, 0}, 1000000, 0},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct l2x_sa_prm p = base_prm(ANY_ALG);
		struct l2x_sa *sa;
		struct l2x_sa_stats st;
		unsigned got;

		p.soft = c[i].soft;
		p.hard = c[i].hard;
		assert_int_equal(l2x_sa_create(&p, &sa), 0);
		assert_int_equal(l2x_sa_check_time(sa, p.now), 0);
		got = l2x_sa_check_time(sa, c[i].now);
		if (got != c[i].want)
			fail_msg("case %zu: state %#x, want %#x", i, got,
				 c[i].want);
		l2x_sa_query(sa, &st);
		assert_int_equal(st.soft, !!(c[i].want & L2X_SA_SOFT));
		assert_int_equal(st.hard, !!(c[i].want & L2X_SA_HARD));
		/* flags stay raised */
		assert_int_equal(l2x_sa_check_time(sa, c[i].now), c[i].want);
		l2x_sa_destroy(sa);
	}
}

/* Stale: hard seconds + grace passed (base_prm creates at now = 100). */
static void test_stale(void **state)
{
	struct l2x_sa_prm p = base_prm(ANY_ALG);
	struct l2x_sa *sa;

	(void)state;
	p.hard = (struct l2x_sa_lifetime){0, 0, 90};
	assert_int_equal(l2x_sa_create(&p, &sa), 0);
	assert_false(l2x_sa_stale(sa, 50, 10));	 /* clock before creation */
	assert_false(l2x_sa_stale(sa, 190, 10)); /* hard, not stale yet */
	assert_false(l2x_sa_stale(sa, 199, 10));
	assert_true(l2x_sa_stale(sa, 200, 10));
	assert_true(l2x_sa_stale(sa, 190, 0));
	l2x_sa_destroy(sa);

	/* byte/packet limits only, or none: never stale */
	p.hard = (struct l2x_sa_lifetime){1000, 10, 0};
	assert_int_equal(l2x_sa_create(&p, &sa), 0);
	assert_false(l2x_sa_stale(sa, 1000000, 0));
	l2x_sa_destroy(sa);
}

static void test_query_fresh(void **state)
{
	struct l2x_sa_prm p = base_prm(ANY_ALG);
	struct l2x_sa *sa;
	struct l2x_sa_stats st;
	(void)state;

	memset(&st, 0xff, sizeof(st));
	p.dir = L2X_SA_OUT;
	p.initial_seq = 41;
	assert_int_equal(l2x_sa_create(&p, &sa), 0);
	l2x_sa_query(sa, &st);
	assert_int_equal(st.packets, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(st.seq, 41);
	assert_int_equal(st.last_use, 0);
	assert_false(st.soft);
	assert_false(st.hard);
	/* no traffic: last use stays 0 */
	l2x_sa_check_time(sa, 500);
	l2x_sa_query(sa, &st);
	assert_int_equal(st.last_use, 0);
	l2x_sa_destroy(sa);

	p.dir = L2X_SA_IN;
	p.initial_seq = 77;
	assert_int_equal(l2x_sa_create(&p, &sa), 0);
	l2x_sa_query(sa, &st);
	assert_int_equal(st.seq, 77);
	l2x_sa_destroy(sa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_checks),
	    cmocka_unit_test(test_aes_availability),
	    cmocka_unit_test(test_window_default),
	    cmocka_unit_test(test_alg_names),
	    cmocka_unit_test(test_fini_wipes),
	    cmocka_unit_test(test_init_errors),
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_check_time),
	    cmocka_unit_test(test_stale),
	    cmocka_unit_test(test_query_fresh),
	};
	return cmocka_run_group_tests_name("sa", tests, setup,
					   l2x_testenv_down);
}
