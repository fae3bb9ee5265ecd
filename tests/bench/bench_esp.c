/* SPDX-License-Identifier: MIT */
/*
 * bench_esp.c - `make bench`: what the per-packet modules cost on one core.
 *
 * For AES-256-GCM and ChaCha20-Poly1305 and Ethernet frames of 64, 512,
 * 1400 and 8000 bytes it measures, in bursts of 32 mbufs:
 *  - encap+encrypt: inner IPv4+GRE push, ESP seal burst, outer
 *    Ethernet/IPv4/UDP push: what the LAN->tunnel path does per frame;
 *  - decrypt+decap: outer classify and strip, ESP open burst (SPI lookup,
 *    replay, AEAD, trailer), inner parse and strip;
 * and next to each, the reference: libsodium's raw AEAD alone over the same
 * buffers and lengths (the ESP payload of that frame, 8-byte AAD), measured
 * in the same run, interleaved with ours, so the ratio shows what l2x adds
 * on top of the cipher.
 *
 * Only the work of the path is timed (rdtsc around each burst); putting the
 * mbufs back in place, and sealing the packets the decrypt side opens, is
 * not. Each figure is the median of REPS runs. Figures only: it never
 * fails on a time (STYLE.md, "Benchmarks print ratios").
 */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dataplane/encap.h"
#include "dataplane/wire.h"
#include "ipsec/esp.h"
#include "ipsec/sa.h"
#include "ipsec/sa_table.h"

#define BURST 32
#define REPS 5
#define SPI 0x4c320001u

static const uint16_t sizes[] = {64, 512, 1400, 8000};
static const enum l2x_aead algs[] = {L2X_AEAD_AES256GCM,
				     L2X_AEAD_CHACHA20POLY1305};

struct ctx {
	enum l2x_aead alg;
	uint16_t frame;
	struct rte_mbuf *m[BURST];
	struct l2x_sa *out, *in;
	struct l2x_sa_table *tab;
	struct l2x_inner_tmpl inner;
	struct l2x_outer_tmpl outer;
	uint8_t key[L2X_SA_KEYMAT_LEN];
	crypto_aead_aes256gcm_state gcm;
};

/* Put the burst back to bare frames of c->frame bytes at the headroom. */
static void reset(struct ctx *c)
{
	for (int i = 0; i < BURST; i++) {
		struct rte_mbuf *m = c->m[i];

		m->data_off = RTE_PKTMBUF_HEADROOM;
		m->data_len = c->frame;
		m->pkt_len = c->frame;
	}
}

static int encap_burst(struct ctx *c)
{
	uint8_t why[BURST];

	for (int i = 0; i < BURST; i++)
		if (l2x_inner_push(c->m[i], &c->inner) != 0)
			return -1;
	if (l2x_esp_seal_burst(c->out, c->m, BURST, why) != BURST)
		return -1;
	for (int i = 0; i < BURST; i++)
		if (l2x_outer_push(c->m[i], &c->outer) != 0)
			return -1;
	return 0;
}

static int decap_burst(struct ctx *c)
{
	struct l2x_sa *sa[BURST];
	uint8_t why[BURST];

	for (int i = 0; i < BURST; i++) {
		struct rte_mbuf *m = c->m[i];
		struct l2x_outer_info o;

		if (l2x_outer_parse(rte_pktmbuf_mtod(m, uint8_t *), m->data_len,
				    &o) != L2X_OUTER_OK ||
		    o.cls != L2X_OUTER_ESP)
			return -1;
		rte_pktmbuf_adj(m, (uint16_t)o.payload_off);
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - o.payload_len));
	}
	if (l2x_esp_open_burst(c->tab, c->m, BURST, sa, why) != BURST)
		return -1;
	for (int i = 0; i < BURST; i++) {
		struct rte_mbuf *m = c->m[i];
		struct l2x_inner_info in;

		if (l2x_inner_parse(rte_pktmbuf_mtod(m, uint8_t *), m->data_len,
				    &in) != L2X_ENCAP_OK)
			return -1;
		rte_pktmbuf_adj(m, (uint16_t)in.frame_off);
	}
	return 0;
}

/* The ESP payload l2x encrypts for a frame: inner headers, frame, padding,
 * trailer. The raw reference encrypts exactly this many bytes. */
static uint32_t esp_payload(uint16_t frame)
{
	uint32_t inner = L2X_INNER_GRE_LEN + frame;

	return inner + L2X_ESP_PAD_LEN(inner) + sizeof(struct l2x_esp_trailer);
}

static void raw_seal(struct ctx *c, uint32_t len, uint64_t seq)
{
	uint8_t ad[8] = {0x4c, 0x32, 0, 1}, nonce[12];

	memcpy(nonce, c->key + L2X_ESP_KEY_LEN, 4);
	for (int i = 0; i < BURST; i++) {
		uint8_t *p = rte_pktmbuf_mtod(c->m[i], uint8_t *);

		memcpy(nonce + 4, &seq, 8);
		memcpy(ad + 4, &seq, 4);
		seq++;
		if (c->alg == L2X_AEAD_AES256GCM)
			crypto_aead_aes256gcm_encrypt_detached_afternm(
			    p, p + len, NULL, p, len, ad, sizeof(ad), NULL,
			    nonce, &c->gcm);
		else
			crypto_aead_chacha20poly1305_ietf_encrypt_detached(
			    p, p + len, NULL, p, len, ad, sizeof(ad), NULL,
			    nonce, c->key);
	}
}

static int raw_open(struct ctx *c, uint32_t len, uint64_t seq)
{
	uint8_t ad[8] = {0x4c, 0x32, 0, 1}, nonce[12];
	int bad = 0;

	memcpy(nonce, c->key + L2X_ESP_KEY_LEN, 4);
	for (int i = 0; i < BURST; i++) {
		uint8_t *p = rte_pktmbuf_mtod(c->m[i], uint8_t *);

		memcpy(nonce + 4, &seq, 8);
		memcpy(ad + 4, &seq, 4);
		seq++;
		if (c->alg == L2X_AEAD_AES256GCM)
			bad |= crypto_aead_aes256gcm_decrypt_detached_afternm(
			    p, NULL, p, len, p + len, ad, sizeof(ad), nonce,
			    &c->gcm);
		else
			bad |=
			    crypto_aead_chacha20poly1305_ietf_decrypt_detached(
				p, NULL, p, len, p + len, ad, sizeof(ad), nonce,
				c->key);
	}
	return bad ? -1 : 0;
}

enum what { ENCAP, RAW_SEAL, DECAP, RAW_OPEN, WHATS };

/* Cycles for `bursts` bursts of one kind of work. */
static int run(struct ctx *c, enum what w, unsigned int bursts, uint64_t *cyc)
{
	uint32_t len = esp_payload(c->frame);
	uint64_t t = 0, seq = 1;

	for (unsigned int b = 0; b < bursts; b++, seq += BURST) {
		uint64_t t0;
		int rc;

		reset(c);
		if (w == DECAP && encap_burst(c) != 0)
			return -1;
		if (w == RAW_OPEN) {
			c->m[0]->data_len = (uint16_t)(len + L2X_ESP_ICV_LEN);
			raw_seal(c, len, seq);
		}
		t0 = rte_rdtsc_precise();
		switch (w) {
		case ENCAP:
			rc = encap_burst(c);
			break;
		case RAW_SEAL:
			raw_seal(c, len, seq);
			rc = 0;
			break;
		case DECAP:
			rc = decap_burst(c);
			break;
		default:
			rc = raw_open(c, len, seq);
			break;
		}
		t += rte_rdtsc_precise() - t0;
		if (rc != 0)
			return -1;
	}
	*cyc = t;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int sa_pair(struct ctx *c)
{
	struct l2x_sa_prm prm = {.spi = SPI,
				 .alg = c->alg,
				 .key = c->key,
				 .key_len = sizeof(c->key),
				 .flags = L2X_SA_ESN,
				 .replay_win = 1024};

	l2x_sa_table_destroy(c->tab);
	l2x_sa_destroy(c->out);
	l2x_sa_destroy(c->in);
	c->tab = NULL;
	c->out = c->in = NULL;
	prm.dir = L2X_SA_OUT;
	if (l2x_sa_create(&prm, &c->out) != 0)
		return -1;
	prm.dir = L2X_SA_IN;
	if (l2x_sa_create(&prm, &c->in) != 0 ||
	    l2x_sa_table_create(4, &c->tab) != 0 ||
	    l2x_sa_table_add(c->tab, c->in) != 0)
		return -1;
	return 0;
}

/* Median Mpps of each kind of work for one algorithm and frame size. */
static int measure(struct ctx *c, double mpps[WHATS])
{
	uint64_t hz = rte_get_tsc_hz();
	uint64_t cyc[WHATS][REPS];
	/* about 20 MB of frames per run, at least 2000 bursts */
	unsigned int bursts = RTE_MAX(2000u, 20000000u / (c->frame * BURST));

	for (int r = 0; r < REPS; r++) {
		for (int w = 0; w < WHATS; w++) {
			if (sa_pair(c) != 0 ||
			    run(c, (enum what)w, bursts, &cyc[w][r]) != 0) {
				fprintf(stderr,
					"bench: %s %u B: the path refused a "
					"packet (kind %d)\n",
					l2x_sa_alg_name(c->alg), c->frame, w);
				return -1;
			}
		}
	}
	for (int w = 0; w < WHATS; w++) {
		qsort(cyc[w], REPS, sizeof(cyc[w][0]), cmp_u64);
		mpps[w] = (double)bursts * BURST /
			  ((double)cyc[w][REPS / 2] / (double)hz) / 1e6;
	}
	return 0;
}

static int setup(struct ctx *c, struct rte_mempool *mp)
{
	const uint8_t *frame;

	randombytes_buf(c->key, sizeof(c->key));
	crypto_aead_aes256gcm_beforenm(&c->gcm, c->key);
	if (l2x_inner_tmpl_init(&c->inner, L2X_ENCAP_GRE, 5001,
				rte_cpu_to_be_32(0xa9fe6401),
				rte_cpu_to_be_32(0xa9fe6402)) != 0)
		return -1;
	if (l2x_outer_tmpl_init(
		&c->outer,
		&(struct l2x_outer_prm){
		    .src_mac = {{0x02, 0x4c, 0x32, 0x58, 0x00, 0x01}},
		    .src_ip = rte_cpu_to_be_32(0xc6120102), /* 198.18.1.2 */
		    .src_port = L2X_UDP_ENCAP_PORT,
		    .first_id = 1,
		    .peer = {.mac = {{0x02, 0x4c, 0x32, 0x58, 0x00, 0x02}},
			     .ip = rte_cpu_to_be_32(0xc6120202),
			     .port = L2X_UDP_ENCAP_PORT}}) != 0)
		return -1;
	for (int i = 0; i < BURST; i++) {
		c->m[i] = rte_pktmbuf_alloc(mp);
		if (c->m[i] == NULL)
			return -1;
		frame = rte_pktmbuf_mtod(c->m[i], uint8_t *);
		randombytes_buf((void *)(uintptr_t)frame, 8000);
	}
	return 0;
}

static int parse_cpu(int argc, char **argv)
{
	int opt, cpu = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0;

	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt != 'c')
			return -1;
		cpu = atoi(optarg);
	}
	return cpu;
}

int main(int argc, char **argv)
{
	char lcores[32], prefix[48];
	struct rte_mempool *mp;
	struct ctx c = {0};
	int cpu = parse_cpu(argc, argv);

	if (cpu < 0) {
		fprintf(stderr, "usage: bench_esp [-c CPU]\n");
		return 2;
	}
	snprintf(lcores, sizeof(lcores), "--lcores=0@%d", cpu);
	snprintf(prefix, sizeof(prefix), "--file-prefix=l2xbench%d",
		 (int)getpid());
	char *eal[] = {argv[0],
		       "--no-huge",
		       "--no-pci",
		       "--no-shconf",
		       "-m",
		       "256",
		       "--no-telemetry",
		       "--log-level=*:error",
		       lcores,
		       prefix,
		       NULL};
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0 ||
	    sodium_init() < 0) {
		fprintf(stderr, "bench: EAL or libsodium init failed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("bench", 255, 0, 0, L2X_MBUF_ROOM,
				     SOCKET_ID_ANY);
	if (mp == NULL || setup(&c, mp) != 0) {
		fprintf(stderr, "bench: setup failed\n");
		return 1;
	}
	printf("l2x ESP path vs raw libsodium AEAD, one core (CPU %d), "
	       "GRE inner encapsulation,\nburst %d, ESN, median of %d runs; "
	       "Gbps counts the bridged Ethernet frames.\n\n",
	       cpu, BURST, REPS);
	printf("%-18s %6s | %-20s %-20s %5s | %-20s %-20s %5s\n", "", "",
	       "encap+encrypt", "raw AEAD seal", "ratio", "decrypt+decap",
	       "raw AEAD open", "ratio");
	printf("%-18s %6s | %8s %11s %8s %11s %5s | %8s %11s %8s %11s %5s\n",
	       "algorithm", "frame", "Mpps", "Gbps", "Mpps", "Gbps", "", "Mpps",
	       "Gbps", "Mpps", "Gbps", "");
	for (size_t a = 0; a < RTE_DIM(algs); a++) {
		for (size_t s = 0; s < RTE_DIM(sizes); s++) {
			double mpps[WHATS], g[WHATS];

			c.alg = algs[a];
			c.frame = sizes[s];
			if (measure(&c, mpps) != 0)
				return 1;
			for (int w = 0; w < WHATS; w++)
				g[w] = mpps[w] * c.frame * 8 / 1e3;
			printf("%-18s %5uB | %8.2f %11.2f %8.2f %11.2f %5.2f | "
			       "%8.2f %11.2f %8.2f %11.2f %5.2f\n",
			       l2x_sa_alg_name(c.alg), c.frame, mpps[ENCAP],
			       g[ENCAP], mpps[RAW_SEAL], g[RAW_SEAL],
			       mpps[ENCAP] / mpps[RAW_SEAL], mpps[DECAP],
			       g[DECAP], mpps[RAW_OPEN], g[RAW_OPEN],
			       mpps[DECAP] / mpps[RAW_OPEN]);
		}
	}
	printf("\nTargets (issue 3): encap+encrypt at least 0.80 of raw AEAD "
	       "at 1400 B and 0.60 at 64 B.\n");
	for (int i = 0; i < BURST; i++)
		rte_pktmbuf_free(c.m[i]);
	l2x_sa_table_destroy(c.tab);
	l2x_sa_destroy(c.out);
	l2x_sa_destroy(c.in);
	sodium_memzero(c.key, sizeof(c.key));
	sodium_memzero(&c.gcm, sizeof(c.gcm));
	rte_mempool_free(mp);
	{
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
		rte_eal_cleanup();
		rmdir(dir); /* the EAL leaves its runtime folder behind */
	}
	return 0;
}
