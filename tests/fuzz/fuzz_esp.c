/* SPDX-License-Identifier: MIT */
/*
 * fuzz_esp.c - libFuzzer harness for ESP decapsulation: whatever arrives on
 * UDP 4500 from the WAN.
 *
 * Each input is a burst of records opened with one inbound SA table holding
 * an AES-256-GCM and a ChaCha20-Poly1305 SA (fresh per input, so the replay
 * window starts the same every time). A record's control byte picks:
 *  - raw: the bytes as they came (SPI, length and ICV checks, replay);
 *  - sealed: the bytes are an attacker-chosen plaintext *including* its own
 *    padding and trailer, sealed with the SA's real key and a fuzzed
 *    sequence number (l2x_esp_seal_raw), so that packets pass the ICV and
 *    reach the padding, next-header, replay-update and ESN paths.
 * Invariants: the burst returns at most n; every good packet is an inner
 * packet shorter than what came in, with the SA that opened it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipsec/esp.h"
#include "ipsec/sa.h"
#include "ipsec/sa_table.h"
#include "tests/fuzz/fuzzenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

#define BURST 8

static const uint8_t keymat[L2X_SA_KEYMAT_LEN] = {
    0x4c, 0x32, 0x58, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65, 0x79, 0x2d,
    0x6e, 0x6f, 0x74, 0x2d, 0x61, 0x2d, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74,
    0x2d, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0xca, 0xfe, 0xba, 0xbe};

static struct l2x_sa *mk(uint32_t spi, enum l2x_aead alg, uint32_t flags,
			 uint32_t win)
{
	struct l2x_sa *sa = NULL;

	if (l2x_sa_create(&(struct l2x_sa_prm){.spi = spi,
					       .dir = L2X_SA_IN,
					       .alg = alg,
					       .key = keymat,
					       .key_len = sizeof(keymat),
					       .flags = flags,
					       .replay_win = win},
			  &sa) != 0)
		abort();
	return sa;
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct rte_mempool *mp = l2x_fuzz_pool();
	struct rte_mbuf *m[BURST], *orig[BURST];
	struct l2x_sa *sa[2], *sa_out[BURST];
	uint32_t inlen[BURST];
	uint8_t why[BURST];
	struct l2x_sa_table *t;
	uint16_t k = 0, good;
	size_t i = 0;

	if (n < 1)
		return 0;
	/* First byte: ESN on either SA, and a small or large window. */
	sa[0] = mk(0x1001, L2X_AEAD_AES256GCM, p[0] & 1 ? L2X_SA_ESN : 0,
		   p[0] & 2 ? 4096 : 32);
	sa[1] = mk(0x2002, L2X_AEAD_CHACHA20POLY1305, p[0] & 4 ? L2X_SA_ESN : 0,
		   64);
	if (l2x_sa_table_create(4, &t) != 0 || l2x_sa_table_add(t, sa[0]) ||
	    l2x_sa_table_add(t, sa[1]))
		abort();
	i = 1;
	while (i + 3 <= n && k < BURST) {
		uint8_t ctl = p[i];
		size_t len = (size_t)p[i + 1] << 8 | p[i + 2];
		struct rte_mbuf *x;

		i += 3;
		len = len < n - i ? len : n - i;
		x = l2x_fuzz_mbuf(p + i, len);
		i += len;
		if (x == NULL)
			continue;
		if (ctl & 1) {
			/* sealed: sequence from the control byte, near the
			 * 2^32 edge when asked */
			const struct l2x_sa *s = sa[(ctl >> 1) & 1];
			uint64_t seq = (uint64_t)(ctl >> 2) +
				       (ctl & 0x80 ? 0xffffffe0ull : 0);

			if (l2x_esp_seal_raw(s, x, seq, NULL) != L2X_ESP_OK) {
				rte_pktmbuf_free(x);
				continue;
			}
		}
		inlen[k] = x->data_len;
		orig[k] = x;
		m[k++] = x;
	}
	if (k > 0) {
		good = l2x_esp_open_burst(t, m, k, sa_out, why);
		if (good > k)
			abort();
		for (uint16_t j = 0; j < good; j++) {
			uint16_t o = 0;

			while (o < k && orig[o] != m[j])
				o++;
			if (o == k ||
			    (sa_out[j] != sa[0] && sa_out[j] != sa[1]) ||
			    m[j]->data_len >= inlen[o])
				abort(); /* lost, or not an inner packet */
		}
		for (uint16_t j = good; j < k; j++)
			if (why[j] == L2X_ESP_OK)
				abort();
		for (uint16_t j = 0; j < k; j++)
			rte_pktmbuf_free(m[j]);
	}
	l2x_sa_table_destroy(t);
	l2x_sa_destroy(sa[0]);
	l2x_sa_destroy(sa[1]);
	(void)mp;
	return 0;
}
