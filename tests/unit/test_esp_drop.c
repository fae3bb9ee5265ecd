/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ipsec/esp.[ch], what ESP must refuse, and why: every bit
 * the ICV covers, every truncation, replays and too-old numbers, ESN
 * inference across 2^32, unknown SPIs, malformed trailers with a valid
 * ICV, next headers, sequence exhaustion, lifetimes, mbuf room; and the
 * burst contract (good first, bad after, order kept, a reason each).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "tests/unit/esp_test.h"

/* Flip single bits in every part the ICV covers: SPI (then no SA has it),
 * sequence number, IV, ciphertext, ICV; and with ESN the high half that
 * is only in the AAD. Each is refused, and the window does not move: the
 * genuine packet still opens afterwards. */
static void test_bit_flips(void **state)
{
	const struct variant *v = variant(state);
	const bool esn = v->flags & L2X_SA_ESN;
	const uint64_t first = esn ? (3ull << 32) + 999 : 999;
	struct l2x_sa *out, *in, *in_wrong_hi = NULL;
	struct l2x_sa_table *t;
	struct rte_mbuf *orig;
	uint8_t inner[100];
	uint64_t seed = 5;
	size_t len;
	struct l2x_sa_stats st;

	/* Without ESN the receiver's window starts at 0, so whatever number a
	 * flip makes is new and reaches the ICV check; with ESN it must sit
	 * near the sender to infer the high half, and RFC 4303 A.2.2 reads
	 * every low half in that case as new or inside the window. */
	sa_pair(v, first, &out, &in);
	if (!esn) {
		l2x_sa_destroy(in);
		in = sa_new(&(struct sa_opt){.alg = v->alg, .dir = L2X_SA_IN});
	}
	t = table_of(&in, 1);
	l2x_test_fill(&seed, inner, sizeof(inner));
	orig = l2x_test_mbuf(inner, sizeof(inner));
	assert_int_equal(seal1(out, orig), L2X_ESP_OK);
	len = orig->data_len;
	assert_int_equal(len, 16 + 100 + 2 + 2 + 16);
	{
		const size_t at[] = {
		    0,	      1,	2,	 3,	  /* SPI */
		    4,	      5,	6,	 7,	  /* sequence number */
		    8,	      11,	15,		  /* IV */
		    16,	      17,	16 + 50, 16 + 99, /* ciphertext */
		    16 + 100, 16 + 101,			  /* padding */
		    len - 18, len - 17,		 /* pad length, next hdr */
		    len - 16, len - 9,	len - 1, /* ICV */
		};

		for (size_t i = 0; i < RTE_DIM(at); i++) {
			for (int bit = 0; bit < 8; bit += 7) {
				struct rte_mbuf *m = copy_of(orig);
				uint8_t r, want = at[i] < 4 ? L2X_ESP_DROP_NO_SA
							    : L2X_ESP_DROP_AUTH;

				dat(m)[at[i]] ^= (uint8_t)(1u << bit);
				r = open1(t, m, NULL);
				if (r != want)
					fail_msg("byte %zu bit %d: %s, want %s",
						 at[i], bit,
						 l2x_esp_drop_name(r),
						 l2x_esp_drop_name(want));
				rte_pktmbuf_free(m);
			}
		}
	}
	if (esn) {
		/* A receiver whose window sits one epoch lower infers high
		 * half 2, not 3: the AAD differs, the ICV fails. */
		struct l2x_sa_table *t2;
		struct rte_mbuf *m = copy_of(orig);

		in_wrong_hi = sa_new(&(struct sa_opt){
		    .alg = v->alg,
		    .dir = L2X_SA_IN,
		    .flags = v->flags,
		    .initial_seq = (2ull << 32) + 900,
		});
		t2 = table_of(&in_wrong_hi, 1);
		assert_int_equal(open1(t2, m, NULL), L2X_ESP_DROP_AUTH);
		rte_pktmbuf_free(m);
		l2x_sa_table_destroy(t2);
	}
	l2x_sa_query(in, &st);
	assert_int_equal(st.packets, 0);
	assert_int_equal(st.seq, esn ? first : 0); /* window never moved */
	assert_int_equal(open1(t, orig, NULL), L2X_ESP_OK);
	assert_memory_equal(dat(orig), inner, sizeof(inner));
	l2x_sa_query(in, &st);
	assert_int_equal(st.packets, 1);
	assert_int_equal(st.seq, first + 1);
	rte_pktmbuf_free(orig);
	l2x_sa_table_destroy(t);
	l2x_sa_destroy(out);
	l2x_sa_destroy(in);
	l2x_sa_destroy(in_wrong_hi);
}

/* Every truncation of a sealed packet, length 0 to full - 1, in one burst:
 * each refused with the reason its length calls for, no read past the
 * data (ASan build), then the genuine packet still opens. */
static void test_truncations(void **state)
{
	const struct variant *v = variant(state);
	struct l2x_sa *out, *in;
	struct l2x_sa_table *t;
	struct rte_mbuf *orig, *m[256];
	struct l2x_sa *sas[256];
	uint8_t why[256], inner[61];
	uint64_t seed = 6;
	uint16_t full;

	sa_pair(v, 0, &out, &in);
	t = table_of(&in, 1);
	l2x_test_fill(&seed, inner, sizeof(inner));
	orig = l2x_test_mbuf(inner, sizeof(inner));
	assert_int_equal(seal1(out, orig), L2X_ESP_OK);
	full = orig->data_len;
	assert_int_equal(full, 16 + 61 + 1 + 2 + 16);
	for (uint16_t l = 0; l < full; l++)
		m[l] = l2x_test_mbuf(dat(orig), l);
	assert_int_equal(l2x_esp_open_burst(t, m, full, sas, why), 0);
	for (uint16_t l = 0; l < full; l++) {
		uint8_t want = l < L2X_ESP_MIN_LEN ? L2X_ESP_DROP_SHORT
			       : (l - L2X_ESP_HDR_LEN - L2X_ESP_ICV_LEN) % 4
				   ? L2X_ESP_DROP_BAD_LEN
				   : L2X_ESP_DROP_AUTH;

		if (why[l] != want)
			fail_msg("length %u: %s, want %s", l,
				 l2x_esp_drop_name(why[l]),
				 l2x_esp_drop_name(want));
		/* order kept: m[l] is still the packet of length l */
		assert_int_equal(m[l]->data_len, l);
	}
	free_all(m, full);
	assert_int_equal(open1(t, orig, NULL), L2X_ESP_OK);
	assert_memory_equal(dat(orig), inner, sizeof(inner));
	rte_pktmbuf_free(orig);
	l2x_sa_table_destroy(t);
	l2x_sa_destroy(out);
	l2x_sa_destroy(in);
}

/* Replayed and too-old numbers, windows of 64, 1024 and 4096. */
static void test_replay_windows(void **state)
{
	static const uint32_t wins[] = {64, 1024, 4096};
	(void)state;

	for (size_t w = 0; w < RTE_DIM(wins); w++) {
		uint32_t W = wins[w];
		uint64_t T = W + 100;
		struct l2x_sa *out = sa_new(&(struct sa_opt){
		    .alg = L2X_AEAD_CHACHA20POLY1305, .dir = L2X_SA_OUT});
		struct l2x_sa *in =
		    sa_new(&(struct sa_opt){.alg = L2X_AEAD_CHACHA20POLY1305,
					    .dir = L2X_SA_IN,
					    .win = W});
		struct l2x_sa_table *t = table_of(&in, 1);
		const struct {
			uint64_t seq;
			uint8_t want;
		} c[] = {
		    {T, L2X_ESP_OK},
		    {T, L2X_ESP_DROP_REPLAY},
		    {T - W, L2X_ESP_DROP_OLD},
		    {T - W + 1, L2X_ESP_OK},
		    {T - W + 1, L2X_ESP_DROP_REPLAY},
		    {1, L2X_ESP_DROP_OLD},
		    {T - 1, L2X_ESP_OK},
		    {T + 5000, L2X_ESP_OK},
		    {T, L2X_ESP_DROP_OLD},
		    {T + 4999, L2X_ESP_OK},
		    {T + 4999, L2X_ESP_DROP_REPLAY},
		    {0, L2X_ESP_DROP_OLD},
		};

		for (size_t i = 0; i < RTE_DIM(c); i++) {
			uint8_t r = open_seq(out, t, c[i].seq);

			if (r != c[i].want)
				fail_msg("W=%u case %zu seq %llu: %s, want %s",
					 W, i, (unsigned long long)c[i].seq,
					 l2x_esp_drop_name(r),
					 l2x_esp_drop_name(c[i].want));
		}
		l2x_sa_table_destroy(t);
		l2x_sa_destroy(out);
		l2x_sa_destroy(in);
	}
}

/* ESN across 2^32: the wire number wraps to 0 while the sender goes on;
 * the receiver infers the high half, in any order inside the window. */
static void test_esn_boundary(void **state)
{
	const struct variant *v = variant(state);
	const uint64_t E = 1ull << 32;
	static const int order[] = {4, 0, 7, 1, 3, 2, 6, 5};
	struct l2x_sa *out, *in;
	struct l2x_sa_table *t;
	struct rte_mbuf *m[8], *c[8];
	struct l2x_sa *sas[8];
	uint8_t why[8];

	assert_true(v->flags & L2X_SA_ESN);
	sa_pair(v, E - 4, &out, &in);
	t = table_of(&in, 1);
	for (int i = 0; i < 8; i++) {
		uint8_t b[30];

		memset(b, i, sizeof(b));
		m[i] = l2x_test_mbuf(b, sizeof(b));
	}
	assert_int_equal(l2x_esp_seal_burst(out, m, 8, why), 8);
	for (int i = 0; i < 8; i++) {
		uint64_t seq = E - 3 + (uint64_t)i;
		rte_be32_t lo = rte_cpu_to_be_32((uint32_t)seq);
		rte_be64_t iv = rte_cpu_to_be_64(seq);

		assert_memory_equal(dat(m[i]) + 4, &lo, 4);
		assert_memory_equal(dat(m[i]) + 8, &iv, 8);
	}
	for (int k = 0; k < 8; k++)
		c[k] = copy_of(m[order[k]]);
	assert_int_equal(l2x_esp_open_burst(t, c, 8, sas, why), 8);
	for (int k = 0; k < 8; k++) {
		assert_int_equal(c[k]->data_len, 30);
		assert_int_equal(dat(c[k])[0], order[k]);
	}
	free_all(c, 8);
	/* every one of them again: replays */
	assert_int_equal(l2x_esp_open_burst(t, m, 8, sas, why), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(why[i], L2X_ESP_DROP_REPLAY);
	free_all(m, 8);
	l2x_sa_table_destroy(t);
	l2x_sa_destroy(out);
	l2x_sa_destroy(in);
}

static void test_unknown_spi(void **state)
{
	struct l2x_sa *out =
	    sa_new(&(struct sa_opt){.alg = L2X_AEAD_CHACHA20POLY1305,
				    .dir = L2X_SA_OUT,
				    .spi = 0x9999});
	struct l2x_sa *in = sa_new(&(struct sa_opt){
	    .alg = L2X_AEAD_CHACHA20POLY1305, .dir = L2X_SA_IN});
	struct l2x_sa_table *t = table_of(&in, 1);
	struct rte_mbuf *m = sealed(out, 1, L2X_ESP_NH_IPV4);
	uint8_t nh;
	(void)state;

	assert_int_equal(open1(t, m, NULL), L2X_ESP_DROP_NO_SA);
	assert_int_equal(open1(NULL, m, NULL), L2X_ESP_DROP_NO_SA);
	/* the core refuses an SA that is not the packet's */
	assert_int_equal(l2x_esp_open_one(in, m, &nh), L2X_ESP_DROP_NO_SA);
	rte_pktmbuf_free(m);
	l2x_sa_table_destroy(t);
	l2x_sa_destroy(out);
	l2x_sa_destroy(in);
}

/* Malformed trailers with a valid ICV, built through the raw core seal. */
static void test_bad_padding(void **state)
{
	const struct {
		const char *pt; /* plaintext: inner | padding | len | nh */
		uint8_t want;
		size_t inner_len;
	} c[] = {
	    {"45000014 00000000 40000000 00000000 00000000 0102 02 04",
	     L2X_ESP_OK, 20},
	    {"45000014 00000000 40000000 00000000 00000000 0103 02 04",
	     L2X_ESP_DROP_BAD_PAD, 0},
	    {"45000014 00000000 40000000 00000000 00000000 0000 02 04",
	     L2X_ESP_DROP_BAD_PAD, 0},
	    {"45000014 00000000 40000000 00000000 00000000 0201 02 04",
	     L2X_ESP_DROP_BAD_PAD, 0},
	    {"45000014 00000000 40000000 00000000 00000000 0102 03 04",
	     L2X_ESP_DROP_BAD_PAD, 0},
	    /* pad length past the start of the plaintext */
	    {"45000014 00000000 40000000 00000000 00000000 0102 ff 04",
	     L2X_ESP_DROP_BAD_PAD, 0},
	    {"0102030405060708090a 0b 04", L2X_ESP_DROP_BAD_PAD, 0},
	    /* all padding, no inner bytes: valid */
	    {"0102030405060708090a 0a 04", L2X_ESP_OK, 0},
	    /* not a multiple of 4 */
	    {"45000014 00000000 40000000 00000000 00000000 00 0102 02 04",
	     L2X_ESP_DROP_BAD_LEN, 0},
	};
	struct l2x_sa *out = sa_new(&(struct sa_opt){
	    .alg = L2X_AEAD_CHACHA20POLY1305, .dir = L2X_SA_OUT});
	struct l2x_sa *in = sa_new(&(struct sa_opt){
	    .alg = L2X_AEAD_CHACHA20POLY1305, .dir = L2X_SA_IN});
	struct l2x_sa_table *t = table_of(&in, 1);
	(void)state;

	for (size_t i = 0; i < RTE_DIM(c) + 2; i++) {
		uint8_t pt[300], r;
		size_t n;
		struct rte_mbuf *m, *again;
		uint8_t want;
		size_t inner_len;

		if (i < RTE_DIM(c)) {
			n = hex(c[i].pt, pt, sizeof(pt));
			want = c[i].want;
			inner_len = c[i].inner_len;
		} else {
			/* 200 bytes of padding (RFC 4303 allows 255), then
			 * the same with one wrong byte in the middle */
			memset(pt, 0x45, 22);
			for (int k = 0; k < 200; k++)
				pt[22 + k] = (uint8_t)(k + 1);
			pt[222] = 200;
			pt[223] = 4;
			n = 224;
			want = L2X_ESP_OK;
			inner_len = 22;
			if (i == RTE_DIM(c) + 1) {
				pt[22 + 100] ^= 0x80;
				want = L2X_ESP_DROP_BAD_PAD;
			}
		}
		m = l2x_test_mbuf(pt, n);
		assert_int_equal(l2x_esp_seal_raw(out, m, i + 1, NULL),
				 L2X_ESP_OK);
		again = copy_of(m);
		r = open1(t, m, NULL);
		if (r != want)
			fail_msg("case %zu: %s, want %s", i,
				 l2x_esp_drop_name(r), l2x_esp_drop_name(want));
		if (r == L2X_ESP_OK)
			assert_int_equal(m->data_len, inner_len);
		/* authentic packets move the window even when their trailer
		 * is bad; the rest do not */
		r = open1(t, again, NULL);
		if (r != (want == L2X_ESP_DROP_BAD_LEN ? L2X_ESP_DROP_BAD_LEN
						       : L2X_ESP_DROP_REPLAY))
			fail_msg("case %zu again: %s", i, l2x_esp_drop_name(r));
		rte_pktmbuf_free(m);
		rte_pktmbuf_free(again);
	}
	l2x_sa_table_destroy(t);
	l2x_sa_destroy(out);
	l2x_sa_destroy(in);
}

static void test_next_header(void **state)
{
	const struct {
		uint8_t nh, want;
	} c[] = {
	    {4, L2X_ESP_OK},	       {41, L2X_ESP_DROP_BAD_NH},
	    {59, L2X_ESP_DROP_DUMMY},  {0, L2X_ESP_DROP_BAD_NH},
	    {47, L2X_ESP_DROP_BAD_NH}, {255, L2X_ESP_DROP_BAD_NH},
	};
	struct l2x_sa *out = sa_new(&(struct sa_opt){
	    .alg = L2X_AEAD_CHACHA20POLY1305, .dir = L2X_SA_OUT});
	struct l2x_sa *in = sa_new(&(struct sa_opt){
	    .alg = L2X_AEAD_CHACHA20POLY1305, .dir = L2X_SA_IN});
	struct l2x_sa_table *t = table_of(&in, 1);
	struct l2x_sa_stats st;
	(void)state;

	for (size_t i = 0; i < RTE_DIM(c); i++) {
		struct rte_mbuf *m = sealed(out, i + 1, c[i].nh);
		uint8_t r = open1(t, m, NULL);

		if (r != c[i].want)
			fail_msg("case %zu nh %u: %s", i, c[i].nh,
				 l2x_esp_drop_name(r));
		rte_pktmbuf_free(m);
	}
	/* only the IPv4 one counts as traffic */
	l2x_sa_query(in, &st);
	assert_int_equal(st.packets, 1);
	l2x_sa_table_destroy(t);
	l2x_sa_destroy(out);
	l2x_sa_destroy(in);
}

/* RFC 4303 3.3.3: the counter never cycles. Without ESN the last number
 * sent is 2^32 - 1, with ESN 2^64 - 1; then SEQ_EXHAUSTED, and the refused
 * packets are left untouched. */
static void test_seq_exhaustion(void **state)
{
	const struct {
		uint32_t flags;
		uint64_t initial;
		int good;
		uint32_t last_wire;
	} c[] = {
	    {0, UINT32_MAX - 2, 2, UINT32_MAX},
	    {0, UINT32_MAX, 0, 0},
	    {L2X_SA_ESN, UINT32_MAX - 2, 5, 2},
	    {L2X_SA_ESN, UINT64_MAX - 1, 1, UINT32_MAX},
	};
	(void)state;

	for (size_t i = 0; i < RTE_DIM(c); i++) {
		struct l2x_sa *out =
		    sa_new(&(struct sa_opt){.alg = L2X_AEAD_CHACHA20POLY1305,
					    .dir = L2X_SA_OUT,
					    .flags = c[i].flags,
					    .initial_seq = c[i].initial});
		struct rte_mbuf *m[5];
		uint8_t why[5], b[20] = {0x45};
		struct l2x_sa_stats st;
		uint16_t ok;

		for (int k = 0; k < 5; k++)
			m[k] = l2x_test_mbuf(b, sizeof(b));
		ok = l2x_esp_seal_burst(out, m, 5, why);
		if (ok != c[i].good)
			fail_msg("case %zu: %u good, want %d", i, ok,
				 c[i].good);
		for (int k = ok; k < 5; k++) {
			assert_int_equal(why[k], L2X_ESP_DROP_SEQ_EXHAUSTED);
			assert_int_equal(m[k]->data_len, sizeof(b));
			assert_memory_equal(dat(m[k]), b, sizeof(b));
		}
		if (ok) {
			rte_be32_t lo = rte_cpu_to_be_32(c[i].last_wire);

			assert_memory_equal(dat(m[ok - 1]) + 4, &lo, 4);
		}
		l2x_sa_query(out, &st);
		assert_int_equal(st.seq, c[i].initial + ok);
		/* and it stays exhausted */
		if (ok < 5)
			assert_int_equal(l2x_esp_seal_burst(out, &m[4], 1, why),
					 0);
		free_all(m, 5);
		l2x_sa_destroy(out);
	}
}

/* Hard packet and byte limits refuse once reached (the crossing packet is
 * the last); soft ones raise the flag and let traffic pass. */
static void test_lifetimes_out(void **state)
{
	const struct {
		struct l2x_sa_lifetime soft, hard;
		int good;
		bool soft_after, hard_after;
	} c[] = {
	    {{0, 0, 0}, {0, 3, 0}, 3, false, true},
	    {{0, 0, 0}, {250, 0, 0}, 3, false, true},
	    {{0, 0, 0}, {300, 0, 0}, 3, false, true},
	    {{0, 0, 0}, {301, 0, 0}, 4, false, true},
	    {{0, 2, 0}, {0, 0, 0}, 5, true, false},
	    {{0, 6, 0}, {0, 0, 0}, 5, false, false},
	    {{500, 0, 0}, {0, 0, 0}, 5, true, false},
	    {{0, 2, 0}, {0, 4, 0}, 4, true, true},
	    {{0, 0, 0}, {0, 5, 0}, 5, false, true},
	};
	(void)state;

	for (size_t i = 0; i < RTE_DIM(c); i++) {
		struct l2x_sa *out =
		    sa_new(&(struct sa_opt){.alg = L2X_AEAD_CHACHA20POLY1305,
					    .dir = L2X_SA_OUT,
					    .soft = c[i].soft,
					    .hard = c[i].hard});
		struct rte_mbuf *m[5];
		uint8_t why[5], b[100] = {0x45};
		struct l2x_sa_stats st;
		uint16_t ok;

		for (int k = 0; k < 5; k++)
			m[k] = l2x_test_mbuf(b, sizeof(b));
		ok = l2x_esp_seal_burst(out, m, 5, why);
		if (ok != c[i].good)
			fail_msg("case %zu: %u good, want %d", i, ok,
				 c[i].good);
		for (int k = ok; k < 5; k++)
			assert_int_equal(why[k], L2X_ESP_DROP_EXPIRED);
		l2x_sa_query(out, &st);
		if (st.soft != c[i].soft_after || st.hard != c[i].hard_after)
			fail_msg("case %zu: soft %d hard %d", i, st.soft,
				 st.hard);
		assert_int_equal(st.packets, ok);
		assert_int_equal(st.bytes, 100u * ok);
		assert_int_equal(l2x_sa_check_time(out, 1001),
				 (st.soft ? L2X_SA_SOFT : 0) |
				     (st.hard ? L2X_SA_HARD : 0));
		free_all(m, 5);
		l2x_sa_destroy(out);
	}
}

/* Inbound: hard packet limit, hard time (control thread), last use. */
static void test_lifetimes_in(void **state)
{
	struct l2x_sa *out = sa_new(&(struct sa_opt){
	    .alg = L2X_AEAD_CHACHA20POLY1305, .dir = L2X_SA_OUT});
	struct l2x_sa *in =
	    sa_new(&(struct sa_opt){.alg = L2X_AEAD_CHACHA20POLY1305,
				    .dir = L2X_SA_IN,
				    .hard = {.packets = 2, .seconds = 60},
				    .soft = {.seconds = 30}});
	struct l2x_sa *in2 =
	    sa_new(&(struct sa_opt){.alg = L2X_AEAD_CHACHA20POLY1305,
				    .dir = L2X_SA_IN,
				    .spi = 0x4321,
				    .hard = {.seconds = 60}});
	struct l2x_sa *out2 =
	    sa_new(&(struct sa_opt){.alg = L2X_AEAD_CHACHA20POLY1305,
				    .dir = L2X_SA_OUT,
				    .spi = 0x4321,
				    .hard = {.seconds = 60}});
	struct l2x_sa *both[2] = {in, in2};
	struct l2x_sa_table *t = table_of(both, 2);
	struct l2x_sa_stats st;
	struct rte_mbuf *m;
	(void)state;

	assert_int_equal(l2x_sa_check_time(in, 1000), 0);
	assert_int_equal(open_seq(out, t, 1), L2X_ESP_OK);
	assert_int_equal(l2x_sa_check_time(in, 1010), 0);
	l2x_sa_query(in, &st);
	assert_int_equal(st.last_use, 1010);
	assert_int_equal(open_seq(out, t, 2), L2X_ESP_OK);
	assert_int_equal(open_seq(out, t, 3), L2X_ESP_DROP_EXPIRED);
	assert_int_equal(l2x_sa_check_time(in, 1020), L2X_SA_HARD);
	l2x_sa_query(in, &st);
	assert_int_equal(st.last_use, 1020);
	assert_int_equal(st.packets, 2);
	/* no traffic since: last use stays */
	assert_int_equal(l2x_sa_check_time(in, 1035),
			 L2X_SA_HARD | L2X_SA_SOFT);
	l2x_sa_query(in, &st);
	assert_int_equal(st.last_use, 1020);

	/* hard seconds: the fast path refuses in both directions */
	assert_int_equal(open_seq(out2, t, 1), L2X_ESP_OK);
	m = l2x_test_mbuf("\x45", 1);
	assert_int_equal(seal1(out2, m), L2X_ESP_OK);
	rte_pktmbuf_free(m);
	assert_int_equal(l2x_sa_check_time(in2, 1059), 0);
	assert_int_equal(l2x_sa_check_time(out2, 1059), 0);
	assert_int_equal(l2x_sa_check_time(in2, 1060), L2X_SA_HARD);
	assert_int_equal(l2x_sa_check_time(out2, 1060), L2X_SA_HARD);
	assert_int_equal(open_seq(out2, t, 2), L2X_ESP_DROP_EXPIRED);
	m = l2x_test_mbuf("\x45", 1);
	assert_int_equal(seal1(out2, m), L2X_ESP_DROP_EXPIRED);
	rte_pktmbuf_free(m);

	l2x_sa_table_destroy(t);
	l2x_sa_destroy(out);
	l2x_sa_destroy(in);
	l2x_sa_destroy(out2);
	l2x_sa_destroy(in2);
}

/* Headroom and tailroom exactly enough, and one byte short; chained
 * mbufs. A refused mbuf is left as it was. */
static void test_room(void **state)
{
	struct l2x_sa *out = sa_new(&(struct sa_opt){
	    .alg = L2X_AEAD_CHACHA20POLY1305, .dir = L2X_SA_OUT});
	struct l2x_sa *in = sa_new(&(struct sa_opt){
	    .alg = L2X_AEAD_CHACHA20POLY1305, .dir = L2X_SA_IN});
	struct l2x_sa_table *t = table_of(&in, 1);
	uint8_t b[61];
	uint64_t seed = 3;
	(void)state;

	l2x_test_fill(&seed, b, sizeof(b));
	for (int short_by = 0; short_by <= 1; short_by++) {
		struct rte_mbuf *m = l2x_test_mbuf(b, sizeof(b));
		uint16_t tail = (uint16_t)(1 + 2 + 16 - short_by);

		/* headroom */
		m->data_off = (uint16_t)(L2X_ESP_HDR_LEN - short_by);
		memcpy(dat(m), b, sizeof(b));
		assert_int_equal(seal1(out, m), short_by
						    ? L2X_ESP_DROP_NO_HEADROOM
						    : L2X_ESP_OK);
		if (short_by) {
			assert_int_equal(m->data_off, L2X_ESP_HDR_LEN - 1);
			assert_int_equal(m->data_len, sizeof(b));
			assert_memory_equal(dat(m), b, sizeof(b));
		} else {
			assert_int_equal(m->data_off, 0);
			assert_int_equal(open1(t, m, NULL), L2X_ESP_OK);
			assert_memory_equal(dat(m), b, sizeof(b));
		}
		rte_pktmbuf_free(m);

		/* tailroom: 1 byte of padding, trailer, ICV */
		m = l2x_test_mbuf(b, sizeof(b));
		m->data_off = (uint16_t)(m->buf_len - sizeof(b) - tail);
		memcpy(dat(m), b, sizeof(b));
		assert_int_equal(rte_pktmbuf_tailroom(m), tail);
		assert_int_equal(seal1(out, m), short_by
						    ? L2X_ESP_DROP_NO_TAILROOM
						    : L2X_ESP_OK);
		if (short_by) {
			assert_int_equal(m->data_len, sizeof(b));
			assert_memory_equal(dat(m), b, sizeof(b));
		} else {
			assert_int_equal(rte_pktmbuf_tailroom(m), 0);
			assert_int_equal(open1(t, m, NULL), L2X_ESP_OK);
			assert_memory_equal(dat(m), b, sizeof(b));
		}
		rte_pktmbuf_free(m);
	}
	{
		struct rte_mbuf *h = l2x_test_mbuf(b, 30);
		struct rte_mbuf *tl = l2x_test_mbuf(b + 30, 31);
		uint8_t nh;

		assert_int_equal(rte_pktmbuf_chain(h, tl), 0);
		assert_int_equal(seal1(out, h), L2X_ESP_DROP_CHAINED);
		assert_int_equal(h->pkt_len, 61);
		assert_int_equal(l2x_esp_open_one(in, h, &nh),
				 L2X_ESP_DROP_CHAINED);
		rte_pktmbuf_free(h);
	}
	l2x_sa_table_destroy(t);
	l2x_sa_destroy(out);
	l2x_sa_destroy(in);
}

/* Sealing with an inbound SA is refused, whole burst. */
static void test_wrong_direction(void **state)
{
	struct l2x_sa *in = sa_new(&(struct sa_opt){
	    .alg = L2X_AEAD_CHACHA20POLY1305, .dir = L2X_SA_IN});
	struct rte_mbuf *m[3];
	uint8_t why[3], b[8] = {0};
	(void)state;

	for (int i = 0; i < 3; i++)
		m[i] = l2x_test_mbuf(b, sizeof(b));
	assert_int_equal(l2x_esp_seal_burst(in, m, 3, why), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(why[i], L2X_ESP_DROP_NO_SA);
	assert_int_equal(l2x_esp_seal_burst(in, m, 0, why), 0);
	free_all(m, 3);
	l2x_sa_destroy(in);
}

/*
 * A mixed open burst over two SAs: the good packets come first in their
 * order with the SA that opened each, the bad ones after in theirs with
 * their reasons, rx = ok + drops.
 */
static void test_open_burst_order(void **state)
{
	struct l2x_sa *o1 =
	    sa_new(&(struct sa_opt){.alg = L2X_AEAD_CHACHA20POLY1305,
				    .dir = L2X_SA_OUT,
				    .spi = 0x1111});
	struct l2x_sa *o2 =
	    sa_new(&(struct sa_opt){.alg = L2X_AEAD_CHACHA20POLY1305,
				    .dir = L2X_SA_OUT,
				    .spi = 0x2222});
	struct l2x_sa *oX =
	    sa_new(&(struct sa_opt){.alg = L2X_AEAD_CHACHA20POLY1305,
				    .dir = L2X_SA_OUT,
				    .spi = 0x3333});
	struct l2x_sa *i1 = sa_new(&(struct sa_opt){
	    .alg = L2X_AEAD_CHACHA20POLY1305, .dir = L2X_SA_IN, .spi = 0x1111});
	struct l2x_sa *i2 = sa_new(&(struct sa_opt){
	    .alg = L2X_AEAD_CHACHA20POLY1305, .dir = L2X_SA_IN, .spi = 0x2222});
	struct l2x_sa *both[2] = {i1, i2};
	struct l2x_sa_table *t = table_of(both, 2);
	/* kind: 1/2 good by SA, S short, N unknown SPI, R replay of the
	 * previous good one of SA 1, A bad ICV */
	static const char kinds[] = "12S1NR2A21SS1";
	enum { N = sizeof(kinds) - 1 };
	struct rte_mbuf *m[N], *orig[N];
	struct l2x_sa *sas[N];
	uint8_t why[N];
	uint64_t s1 = 0, s2 = 0;
	int good = 0, bad = 0;
	uint16_t ok;
	(void)state;

	for (int i = 0; i < N; i++) {
		switch (kinds[i]) {
		case '1':
			m[i] = sealed(o1, ++s1, 4);
			break;
		case '2':
			m[i] = sealed(o2, ++s2, 4);
			break;
		case 'S':
			m[i] = l2x_test_mbuf("\x00\x00\x11\x11", 4);
			break;
		case 'N':
			m[i] = sealed(oX, 1, 4);
			break;
		case 'R':
			m[i] = sealed(o1, s1, 4);
			break;
		default:
			m[i] = sealed(o2, ++s2, 4);
			dat(m[i])[20] ^= 1;
			break;
		}
		orig[i] = m[i];
	}
	ok = l2x_esp_open_burst(t, m, N, sas, why);
	for (int i = 0; i < N; i++) {
		char k = kinds[i];

		if (k == '1' || k == '2') {
			assert_ptr_equal(m[good], orig[i]);
			assert_ptr_equal(sas[good], k == '1' ? i1 : i2);
			good++;
		}
	}
	assert_int_equal(ok, good);
	for (int i = 0; i < N; i++) {
		char k = kinds[i];
		uint8_t want = k == 'S'	  ? L2X_ESP_DROP_SHORT
			       : k == 'N' ? L2X_ESP_DROP_NO_SA
			       : k == 'R' ? L2X_ESP_DROP_REPLAY
					  : L2X_ESP_DROP_AUTH;

		if (k == '1' || k == '2')
			continue;
		assert_ptr_equal(m[ok + bad], orig[i]);
		if (why[ok + bad] != want)
			fail_msg("bad %d: %s", bad,
				 l2x_esp_drop_name(why[ok + bad]));
		bad++;
	}
	assert_int_equal(ok + bad, N);
	free_all(m, N);

	l2x_sa_table_destroy(t);
	l2x_sa_destroy(o1);
	l2x_sa_destroy(o2);
	l2x_sa_destroy(oX);
	l2x_sa_destroy(i1);
	l2x_sa_destroy(i2);
}

/* A mixed seal burst: refused packets (no headroom) move behind the good
 * ones, both sides in their order. */
static void test_seal_burst_order(void **state)
{
	struct l2x_sa *o = sa_new(&(struct sa_opt){
	    .alg = L2X_AEAD_CHACHA20POLY1305, .dir = L2X_SA_OUT});
	struct rte_mbuf *s[6], *so[6];
	uint8_t why[6], b[10] = {0x45};
	(void)state;

	for (int i = 0; i < 6; i++) {
		s[i] = so[i] = l2x_test_mbuf(b, sizeof(b));
		if (i % 3 == 1)
			s[i]->data_off = 0; /* no headroom */
	}
	assert_int_equal(l2x_esp_seal_burst(o, s, 6, why), 4);
	assert_ptr_equal(s[0], so[0]);
	assert_ptr_equal(s[1], so[2]);
	assert_ptr_equal(s[2], so[3]);
	assert_ptr_equal(s[3], so[5]);
	assert_ptr_equal(s[4], so[1]);
	assert_ptr_equal(s[5], so[4]);
	assert_int_equal(why[4], L2X_ESP_DROP_NO_HEADROOM);
	assert_int_equal(why[5], L2X_ESP_DROP_NO_HEADROOM);
	free_all(s, 6);
	l2x_sa_destroy(o);
}

static void test_drop_names(void **state)
{
	(void)state;
	assert_string_equal(l2x_esp_drop_name(L2X_ESP_OK), "ok");
	assert_string_equal(l2x_esp_drop_name(L2X_ESP_DROP_MAX), "?");
	assert_string_equal(l2x_esp_drop_key(255), "?");
	assert_string_equal(l2x_esp_drop_key(L2X_ESP_DROP_AUTH), "auth");
	for (unsigned i = 1; i < L2X_ESP_DROP_MAX; i++) {
		const char *k = l2x_esp_drop_key(i);

		assert_non_null(l2x_esp_drop_name(i));
		assert_true(strlen(l2x_esp_drop_name(i)) > 3);
		assert_true(strlen(k) > 1);
		for (const char *c = k; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || *c == '_');
		for (unsigned j = 1; j < i; j++)
			assert_string_not_equal(k, l2x_esp_drop_key(j));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    PER_VARIANT(test_bit_flips),
	    PER_VARIANT(test_truncations),
	    cmocka_unit_test(test_replay_windows),
	    cmocka_unit_test_prestate(test_esn_boundary, (void *)&v_gcm_esn),
	    cmocka_unit_test_prestate(test_esn_boundary, (void *)&v_chacha_esn),
	    cmocka_unit_test(test_unknown_spi),
	    cmocka_unit_test(test_bad_padding),
	    cmocka_unit_test(test_next_header),
	    cmocka_unit_test(test_seq_exhaustion),
	    cmocka_unit_test(test_lifetimes_out),
	    cmocka_unit_test(test_lifetimes_in),
	    cmocka_unit_test(test_room),
	    cmocka_unit_test(test_wrong_direction),
	    cmocka_unit_test(test_open_burst_order),
	    cmocka_unit_test(test_seal_burst_order),
	    cmocka_unit_test(test_drop_names),
	};
	return cmocka_run_group_tests_name("esp_drop", tests, setup,
					   l2x_testenv_down);
}
