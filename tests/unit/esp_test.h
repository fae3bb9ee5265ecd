/* SPDX-License-Identifier: MIT */
/*
 * esp_test.h - what the ESP unit tests (test_esp.c, test_esp_drop.c)
 * share: the transform variants they run under, SA and table builders,
 * and one-packet wrappers around the burst API. Test code only.
 */
#ifndef L2X_ESP_TEST_H
#define L2X_ESP_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <rte_mbuf.h>
#include <sodium.h>

#include "dataplane/wire.h"
#include "ipsec/esp.h"
#include "ipsec/sa.h"
#include "ipsec/sa_table.h"
#include "tests/unit/testenv.h"

#define MAXPKT 9400 /* bytes of any packet built here */
#define BURST 32

static uint8_t keymat[L2X_SA_KEYMAT_LEN]; /* set by setup() */

struct variant {
	enum l2x_aead alg;
	uint32_t flags;
};
static const struct variant v_gcm = {L2X_AEAD_AES256GCM, 0};
static const struct variant v_gcm_esn = {L2X_AEAD_AES256GCM, L2X_SA_ESN};
static const struct variant v_chacha = {L2X_AEAD_CHACHA20POLY1305, 0};
static const struct variant v_chacha_esn = {L2X_AEAD_CHACHA20POLY1305,
					    L2X_SA_ESN};

static inline int setup(void **state)
{
	uint64_t seed = 0x5eed;

	if (sodium_init() < 0)
		return -1;
	l2x_test_fill(&seed, keymat, sizeof(keymat));
	return l2x_testenv_up(state);
}

static inline void need_alg(enum l2x_aead alg)
{
	if (alg == L2X_AEAD_AES256GCM && !crypto_aead_aes256gcm_is_available())
		skip(); /* no AES-NI/PCLMUL: SKIPPED, not passed */
}

static inline const struct variant *variant(void **state)
{
	const struct variant *v = *state;

	need_alg(v->alg);
	return v;
}

struct sa_opt {
	enum l2x_aead alg;
	enum l2x_sa_dir dir;
	uint32_t spi;
	uint32_t flags;
	uint64_t initial_seq;
	uint32_t win;
	const uint8_t *key; /* NULL: keymat */
	struct l2x_sa_lifetime soft, hard;
};

static inline struct l2x_sa *sa_new(const struct sa_opt *o)
{
	struct l2x_sa *sa = NULL;
	struct l2x_sa_prm p = {
	    .spi = o->spi ? o->spi : 0x1234,
	    .dir = o->dir,
	    .alg = o->alg,
	    .key = o->key ? o->key : keymat,
	    .key_len = L2X_SA_KEYMAT_LEN,
	    .flags = o->flags,
	    .replay_win = o->win,
	    .soft = o->soft,
	    .hard = o->hard,
	    .initial_seq = o->initial_seq,
	    .now = 1000,
	};
	int rc = l2x_sa_create(&p, &sa);

	if (rc != 0)
		fail_msg("sa_create: %d", rc);
	return sa;
}

/* An SA pair for a variant: out with its next sequence number after
 * `initial`, in with its window top at `initial`. */
static inline void sa_pair(const struct variant *v, uint64_t initial,
			   struct l2x_sa **out, struct l2x_sa **in)
{
	*out = sa_new(&(struct sa_opt){.alg = v->alg,
				       .dir = L2X_SA_OUT,
				       .flags = v->flags,
				       .initial_seq = initial});
	*in = sa_new(&(struct sa_opt){.alg = v->alg,
				      .dir = L2X_SA_IN,
				      .flags = v->flags,
				      .initial_seq = initial});
}

static inline struct l2x_sa_table *table_of(struct l2x_sa *const *sas, int n)
{
	struct l2x_sa_table *t = NULL;

	assert_int_equal(l2x_sa_table_create((uint32_t)n, &t), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(l2x_sa_table_add(t, sas[i]), 0);
	return t;
}

static inline uint8_t *dat(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, uint8_t *);
}

static inline struct rte_mbuf *copy_of(struct rte_mbuf *m)
{
	return l2x_test_mbuf(dat(m), m->data_len);
}

/* An inner IPv4 packet of len bytes (>= 20): 169.254.100.1 -> .2, GRE,
 * random payload. */
static inline void inner_ipv4(uint8_t *p, size_t len, uint64_t *seed)
{
	static const uint8_t hdr[20] = {0x45, 0,  0,   0,   0,	 0,   0x40,
					0,    64, 47,  0,   0,	 169, 254,
					100,  1,  169, 254, 100, 2};

	l2x_test_fill(seed, p, len);
	memcpy(p, hdr, sizeof(hdr));
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
}

static inline size_t hex(const char *s, uint8_t *out, size_t cap)
{
	return l2x_test_hex(s, out, cap);
}

/* Concatenate hex fields into out; returns the length. */
static inline size_t hexcat(uint8_t *out, size_t cap, const char *const *parts,
			    size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		len += hex(parts[i], out + len, cap - len);
	return len;
}

static inline void free_all(struct rte_mbuf **m, int n)
{
	for (int i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
}

/* Open one packet through the burst API; returns its reason. */
static inline uint8_t open1(const struct l2x_sa_table *t, struct rte_mbuf *m,
			    struct l2x_sa **sa)
{
	struct rte_mbuf *v[1] = {m};
	struct l2x_sa *s[1] = {NULL};
	uint8_t why[1] = {0xee};
	uint16_t ok = l2x_esp_open_burst(t, v, 1, s, why);

	if (sa != NULL)
		*sa = ok ? s[0] : NULL;
	return ok ? L2X_ESP_OK : why[0];
}

static inline uint8_t seal1(struct l2x_sa *sa, struct rte_mbuf *m)
{
	struct rte_mbuf *v[1] = {m};
	uint8_t why[1] = {0xee};

	return l2x_esp_seal_burst(sa, v, 1, why) ? L2X_ESP_OK : why[0];
}

/* A packet with sequence number seq, sealed by the core (IV = seq). */
static inline struct rte_mbuf *sealed(const struct l2x_sa *out, uint64_t seq,
				      uint8_t nh)
{
	uint8_t inner[40];
	struct rte_mbuf *m;

	memset(inner, (int)(seq & 0xff), sizeof(inner));
	m = l2x_test_mbuf(inner, sizeof(inner));
	assert_int_equal(l2x_esp_seal_one(out, m, seq, NULL, nh), L2X_ESP_OK);
	return m;
}

static inline uint8_t open_seq(const struct l2x_sa *out,
			       const struct l2x_sa_table *t, uint64_t seq)
{
	struct rte_mbuf *m = sealed(out, seq, L2X_ESP_NH_IPV4);
	uint8_t r = open1(t, m, NULL);

	rte_pktmbuf_free(m);
	return r;
}

#define PER_VARIANT(f)                                        \
	cmocka_unit_test_prestate(f, (void *)&v_gcm),         \
	    cmocka_unit_test_prestate(f, (void *)&v_gcm_esn), \
	    cmocka_unit_test_prestate(f, (void *)&v_chacha),  \
	    cmocka_unit_test_prestate(f, (void *)&v_chacha_esn)

#endif /* L2X_ESP_TEST_H */
