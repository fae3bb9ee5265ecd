/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ipsec/esp.[ch], what ESP must produce: known answers from
 * published vectors (tests/vectors/esp_vectors.h) in both directions, round
 * trips at every padding residue up to jumbo frames, and scapy's
 * independent implementation opening what we seal and sealing what we
 * open. The refusals are in test_esp_drop.c.
 *
 * Tests that depend on the transform run once per variant (prestate):
 * AES-256-GCM and ChaCha20-Poly1305, with and without ESN. AES-GCM
 * variants report SKIPPED on a CPU without AES-NI/PCLMUL, scapy tests
 * SKIPPED without Debian's python3-scapy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>
#include <sodium.h>

#include "tests/unit/esp_test.h"
#include "tests/vectors/esp_vectors.h"

/* --- published vectors ---------------------------------------------- */

/* The vectors are self-consistent under libsodium alone (nothing of l2x):
 * catches a mistyped byte before it is blamed on ESP. Also checks that
 * the published AAD is what RFC 4106 5 / RFC 7634 2.1 say. */
static void test_vectors_libsodium(void **state)
{
	(void)state;
	for (size_t i = 0; i < RTE_DIM(l2x_esp_vectors); i++) {
		const struct l2x_esp_vector *v = &l2x_esp_vectors[i];
		uint8_t key[32], nonce[12], aad[12], want_aad[12], ct[256],
		    pt[256], want[256];
		unsigned long long ptlen = 0;
		size_t aadlen, ctlen, wlen, n;
		rte_be32_t w;
		int rc;

		if (v->alg == L2X_AEAD_AES256GCM &&
		    !crypto_aead_aes256gcm_is_available())
			continue;
		assert_int_equal(hex(v->key, key, sizeof(key)), 32);
		assert_int_equal(hex(v->salt, nonce, 4), 4);
		assert_int_equal(hex(v->iv, nonce + 4, 8), 8);
		aadlen = hex(v->aad, aad, sizeof(aad));
		w = rte_cpu_to_be_32(v->spi);
		memcpy(want_aad, &w, 4);
		n = 4;
		if (v->esn) {
			w = rte_cpu_to_be_32((uint32_t)(v->seq >> 32));
			memcpy(want_aad + n, &w, 4);
			n += 4;
		}
		w = rte_cpu_to_be_32((uint32_t)v->seq);
		memcpy(want_aad + n, &w, 4);
		n += 4;
		if (aadlen != n || memcmp(aad, want_aad, n) != 0)
			fail_msg("vector %zu (%s): AAD layout", i, v->name);
		ctlen = hexcat(ct, sizeof(ct),
			       (const char *const[]){v->ciphertext, v->icv}, 2);
		wlen = hexcat(want, sizeof(want),
			      (const char *const[]){v->inner, v->padding}, 2);
		want[wlen++] = v->pad_len;
		want[wlen++] = v->next_hdr;
		if (v->alg == L2X_AEAD_AES256GCM)
			rc = crypto_aead_aes256gcm_decrypt(pt, &ptlen, NULL, ct,
							   ctlen, aad, aadlen,
							   nonce, key);
		else
			rc = crypto_aead_chacha20poly1305_ietf_decrypt(
			    pt, &ptlen, NULL, ct, ctlen, aad, aadlen, nonce,
			    key);
		if (rc != 0 || ptlen != wlen || memcmp(pt, want, wlen) != 0)
			fail_msg("vector %zu (%s): libsodium disagrees", i,
				 v->name);
	}
}

static void vector_keymat(const struct l2x_esp_vector *v, uint8_t *km)
{
	assert_int_equal(hex(v->key, km, 32), 32);
	assert_int_equal(hex(v->salt, km + 32, 4), 4);
}

/* Seal reproduces every vector bit for bit: header, IV, ciphertext with
 * our padding and trailer, ICV. */
static void test_kat_seal(void **state)
{
	(void)state;
	for (size_t i = 0; i < RTE_DIM(l2x_esp_vectors); i++) {
		const struct l2x_esp_vector *v = &l2x_esp_vectors[i];
		uint8_t km[36], inner[256], iv[8], want[512];
		size_t ilen, wlen;
		struct l2x_sa *sa;
		struct rte_mbuf *m;
		uint8_t r;

		if (v->alg == L2X_AEAD_AES256GCM &&
		    !crypto_aead_aes256gcm_is_available())
			continue;
		vector_keymat(v, km);
		sa = sa_new(&(struct sa_opt){
		    .alg = v->alg,
		    .dir = L2X_SA_OUT,
		    .spi = v->spi,
		    .flags = v->esn ? L2X_SA_ESN : 0,
		    .key = km,
		});
		ilen = hex(v->inner, inner, sizeof(inner));
		assert_int_equal(L2X_ESP_PAD_LEN(ilen), v->pad_len);
		hex(v->iv, iv, sizeof(iv));
		wlen = hexcat(want, sizeof(want),
			      (const char *const[]){v->esp_hdr, v->iv,
						    v->ciphertext, v->icv},
			      4);
		m = l2x_test_mbuf(inner, ilen);
		r = l2x_esp_seal_one(sa, m, v->seq, iv, v->next_hdr);
		if (r != L2X_ESP_OK)
			fail_msg("vector %zu (%s): seal %s", i, v->name,
				 l2x_esp_drop_name(r));
		if (m->data_len != wlen || m->pkt_len != wlen ||
		    memcmp(dat(m), want, wlen) != 0)
			fail_msg("vector %zu (%s): sealed bytes differ", i,
				 v->name);
		assert_int_equal(wlen, ilen + L2X_ESP_OVERHEAD(ilen));
		rte_pktmbuf_free(m);
		l2x_sa_destroy(sa);
	}
}

/* Open recovers the plaintext and next header of every vector, with the
 * receiver's window just below the vector's number (so ESN infers the
 * published high half). */
static void test_kat_open(void **state)
{
	(void)state;
	for (size_t i = 0; i < RTE_DIM(l2x_esp_vectors); i++) {
		const struct l2x_esp_vector *v = &l2x_esp_vectors[i];
		uint8_t km[36], inner[256], pkt[512];
		size_t ilen, plen;
		struct l2x_sa *sa;
		struct rte_mbuf *m;
		uint8_t nh = 0, r;

		if (v->alg == L2X_AEAD_AES256GCM &&
		    !crypto_aead_aes256gcm_is_available())
			continue;
		vector_keymat(v, km);
		sa = sa_new(&(struct sa_opt){
		    .alg = v->alg,
		    .dir = L2X_SA_IN,
		    .spi = v->spi,
		    .flags = v->esn ? L2X_SA_ESN : 0,
		    .initial_seq = v->seq - 1,
		    .key = km,
		});
		ilen = hex(v->inner, inner, sizeof(inner));
		plen = hexcat(pkt, sizeof(pkt),
			      (const char *const[]){v->esp_hdr, v->iv,
						    v->ciphertext, v->icv},
			      4);
		m = l2x_test_mbuf(pkt, plen);
		r = l2x_esp_open_one(sa, m, &nh);
		if (r != L2X_ESP_OK)
			fail_msg("vector %zu (%s): open %s", i, v->name,
				 l2x_esp_drop_name(r));
		if (nh != v->next_hdr || m->data_len != ilen ||
		    m->pkt_len != ilen || memcmp(dat(m), inner, ilen) != 0)
			fail_msg("vector %zu (%s): opened bytes differ", i,
				 v->name);
		rte_pktmbuf_free(m);
		/* the same packet again is a replay */
		m = l2x_test_mbuf(pkt, plen);
		assert_int_equal(l2x_esp_open_one(sa, m, &nh),
				 L2X_ESP_DROP_REPLAY);
		rte_pktmbuf_free(m);
		l2x_sa_destroy(sa);
	}
}

/* RFC 7634's example is tunnel mode with next header 4: the whole burst
 * path opens it, SA found by SPI in a table. */
static void test_kat_open_burst(void **state)
{
	const struct l2x_esp_vector *v = &l2x_esp_vectors[0];
	uint8_t km[36], inner[256], pkt[512];
	size_t ilen, plen;
	struct l2x_sa *sa, *got;
	struct l2x_sa_table *t;
	struct rte_mbuf *m;
	(void)state;

	assert_int_equal(v->next_hdr, L2X_ESP_NH_IPV4);
	vector_keymat(v, km);
	sa = sa_new(&(struct sa_opt){
	    .alg = v->alg, .dir = L2X_SA_IN, .spi = v->spi, .key = km});
	t = table_of(&sa, 1);
	ilen = hex(v->inner, inner, sizeof(inner));
	plen = hexcat(
	    pkt, sizeof(pkt),
	    (const char *const[]){v->esp_hdr, v->iv, v->ciphertext, v->icv}, 4);
	m = l2x_test_mbuf(pkt, plen);
	assert_int_equal(open1(t, m, &got), L2X_ESP_OK);
	assert_ptr_equal(got, sa);
	assert_int_equal(m->data_len, ilen);
	assert_memory_equal(dat(m), inner, ilen);
	rte_pktmbuf_free(m);
	l2x_sa_table_destroy(t);
	l2x_sa_destroy(sa);
}

/* --- round trips --------------------------------------------------------- */

static size_t next_size(size_t s)
{
	if (s < 300)
		return s + 1;
	if (s < 9100)
		return s + 97;
	return s + 1;
}

/*
 * Seal then open inner packets of 0..9216 bytes (every size to 300, all
 * four padding residues many times over, then a stride, then the last
 * ones), in bursts. Checks the wire layout of each sealed packet (SPI,
 * sequence number, IV = sequence number, length, alignment) and the
 * counters. ESN variants start 100 below 2^32 so the run crosses it.
 */
static void test_roundtrip(void **state)
{
	const struct variant *v = variant(state);
	uint64_t first = v->flags & L2X_SA_ESN ? (1ull << 32) - 100 : 0;
	uint64_t seed = 42, seq = first, bytes = 0, pkts = 0;
	struct l2x_sa *out, *in;
	struct l2x_sa_table *t;
	static uint8_t copy[BURST][MAXPKT];
	struct l2x_sa_stats st;

	sa_pair(v, first, &out, &in);
	t = table_of(&in, 1);
	for (size_t s = 0; s <= 9216;) {
		struct rte_mbuf *m[BURST];
		struct l2x_sa *sas[BURST];
		uint8_t why[BURST];
		size_t len[BURST];
		int n = 0;

		for (; n < BURST && s <= 9216; n++, s = next_size(s)) {
			len[n] = s;
			l2x_test_fill(&seed, copy[n], s);
			m[n] = l2x_test_mbuf(copy[n], s);
		}
		assert_int_equal(l2x_esp_seal_burst(out, m, (uint16_t)n, why),
				 n);
		for (int i = 0; i < n; i++) {
			const uint8_t *p = dat(m[i]);
			struct l2x_esp_hdr h;
			rte_be64_t iv = rte_cpu_to_be_64(seq + 1 + i);
			size_t clen = len[i] + L2X_ESP_PAD_LEN(len[i]) + 2;

			memcpy(&h, p, sizeof(h));
			if (m[i]->data_len !=
				len[i] + L2X_ESP_OVERHEAD(len[i]) ||
			    clen % 4 != 0 ||
			    h.spi != rte_cpu_to_be_32(0x1234) ||
			    h.seq !=
				rte_cpu_to_be_32((uint32_t)(seq + 1 + i)) ||
			    memcmp(p + 8, &iv, 8) != 0)
				fail_msg("size %zu: sealed layout", len[i]);
		}
		assert_int_equal(
		    l2x_esp_open_burst(t, m, (uint16_t)n, sas, why), n);
		for (int i = 0; i < n; i++) {
			if (m[i]->data_len != len[i] ||
			    memcmp(dat(m[i]), copy[i], len[i]) != 0)
				fail_msg("size %zu: round trip differs",
					 len[i]);
			assert_ptr_equal(sas[i], in);
			bytes += len[i];
		}
		seq += (uint64_t)n;
		pkts += (uint64_t)n;
		free_all(m, n);
	}
	l2x_sa_query(out, &st);
	assert_int_equal(st.packets, pkts);
	assert_int_equal(st.bytes, bytes);
	assert_int_equal(st.seq, seq);
	assert_false(st.soft || st.hard);
	l2x_sa_query(in, &st);
	assert_int_equal(st.packets, pkts);
	assert_int_equal(st.bytes, bytes);
	assert_int_equal(st.seq, seq);
	if (v->flags & L2X_SA_ESN)
		assert_true(seq > (1ull << 32));
	l2x_sa_table_destroy(t);
	l2x_sa_destroy(out);
	l2x_sa_destroy(in);
}

/* --- scapy: an independent implementation ---------------------------- */

#define PYTHON "/usr/bin/python3"
#define SCAPY_HELPER L2X_SRCDIR "/tests/unit/esp_scapy.py"

static const char *alg_word(enum l2x_aead alg)
{
	return alg == L2X_AEAD_AES256GCM ? "gcm" : "chacha";
}

static void put_hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static FILE *run_helper(const char *mode, const char *arg)
{
	char cmd[512];
	FILE *f;

	if (access(PYTHON, X_OK) != 0)
		skip(); /* no Debian python3: SKIPPED */
	snprintf(cmd, sizeof(cmd), "%s %s %s %s", PYTHON, SCAPY_HELPER, mode,
		 arg);
	f = popen(cmd, "r");
	assert_non_null(f);
	return f;
}

/* Read a line; a first line "SKIP ..." means scapy is missing. */
static char *helper_line(FILE *f, char **buf, size_t *cap, int first)
{
	ssize_t n = getline(buf, cap, f);

	if (n <= 0)
		return NULL;
	if ((*buf)[n - 1] == '\n')
		(*buf)[n - 1] = 0;
	if (first && strncmp(*buf, "SKIP", 4) == 0) {
		pclose(f);
		free(*buf);
		*buf = NULL;
		skip();
	}
	return *buf;
}

/* The file l2x's sealed packets go through to scapy; removed by the
 * teardown, which runs even when the test fails. */
static char scapy_tmp[64];

static int rm_scapy_tmp(void **state)
{
	(void)state;
	if (scapy_tmp[0] != 0)
		unlink(scapy_tmp);
	scapy_tmp[0] = 0;
	return 0;
}

struct xcase {
	enum l2x_aead alg;
	int esn;
	size_t len;
	uint8_t pad;
	uint8_t inner[MAXPKT];
};

/* l2x seals, scapy opens: both transforms, with and without ESN (the ESN
 * run crosses 2^32, so the high half in the AAD changes mid-run). */
static void test_scapy_opens_ours(void **state)
{
	static const struct variant *const vs[] = {&v_gcm, &v_gcm_esn,
						   &v_chacha, &v_chacha_esn};
	static const size_t sizes[] = {20,  21,	  22,	23,   24,   64,
				       100, 1400, 1401, 1402, 1403, 9216};
	enum { NC = 4 * 12 };
	struct xcase *xc = calloc(NC, sizeof(*xc));
	int fd, ncase = 0, nline = 0;
	FILE *f, *p;
	uint64_t seed = 99;
	char *line = NULL;
	size_t cap = 0;
	(void)state;

	assert_non_null(xc);
	snprintf(scapy_tmp, sizeof(scapy_tmp), "/tmp/l2x-esp-scapy-XXXXXX");
	fd = mkstemp(scapy_tmp);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (size_t k = 0; k < RTE_DIM(vs); k++) {
		const struct variant *v = vs[k];
		int esn = !!(v->flags & L2X_SA_ESN);
		uint64_t first = esn ? (5ull << 32) - 6 : 0x7ffffff0;
		struct l2x_sa *out;

		if (v->alg == L2X_AEAD_AES256GCM &&
		    !crypto_aead_aes256gcm_is_available())
			continue;
		out = sa_new(&(struct sa_opt){.alg = v->alg,
					      .dir = L2X_SA_OUT,
					      .spi = 0xc0ffee00 + (uint32_t)k,
					      .flags = v->flags,
					      .initial_seq = first});
		for (size_t s = 0; s < RTE_DIM(sizes); s++) {
			struct xcase *x = &xc[ncase++];
			struct rte_mbuf *m;
			uint64_t seq = first + s + 1;

			x->alg = v->alg;
			x->esn = esn;
			x->len = sizes[s];
			x->pad = (uint8_t)L2X_ESP_PAD_LEN(sizes[s]);
			inner_ipv4(x->inner, x->len, &seed);
			m = l2x_test_mbuf(x->inner, x->len);
			assert_int_equal(seal1(out, m), L2X_ESP_OK);
			fprintf(f, "%s ", alg_word(v->alg));
			put_hex(f, keymat, sizeof(keymat));
			fprintf(f, " %#x %d %#x ", 0xc0ffee00 + (unsigned)k,
				esn, (unsigned)(seq >> 32));
			put_hex(f, dat(m), m->data_len);
			fputc('\n', f);
			rte_pktmbuf_free(m);
		}
		l2x_sa_destroy(out);
	}
	assert_int_equal(fclose(f), 0);
	p = run_helper("open", scapy_tmp);
	while (helper_line(p, &line, &cap, nline == 0) != NULL) {
		struct xcase *x = &xc[nline];
		uint8_t got[MAXPKT], padding[4];
		char padhex[16], innerhex[18801]; /* sscanf widths + 1 */
		unsigned nh, padlen;

		assert_true(nline < ncase);
		if (sscanf(line, "ok %u %u %15s %18800s", &nh, &padlen, padhex,
			   innerhex) != 4)
			fail_msg("case %d: scapy says \"%.60s\"", nline, line);
		if (nh != L2X_ESP_NH_IPV4 || padlen != x->pad)
			fail_msg("case %d: nh %u pad %u", nline, nh, padlen);
		if (x->pad) {
			assert_int_equal(hex(padhex, padding, 4), x->pad);
			for (unsigned i = 0; i < x->pad; i++)
				assert_int_equal(padding[i], i + 1);
		}
		if (hex(innerhex, got, sizeof(got)) != x->len ||
		    memcmp(got, x->inner, x->len) != 0)
			fail_msg("case %d (%s esn=%d len %zu): inner differs",
				 nline, alg_word(x->alg), x->esn, x->len);
		nline++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(nline, ncase);
	assert_true(ncase > 0);
	free(line);
	free(xc);
}

/* scapy seals (random IVs: the receiver must not assume IV = seq), l2x
 * opens. */
static void test_ours_opens_scapy(void **state)
{
	FILE *p = run_helper("seal", "7");
	char *line = NULL;
	size_t cap = 0;
	int n = 0, done = 0;
	/* sizes match the sscanf widths below, plus the terminator */
	static char algw[16], kmhex[80], innerhex[18801], outerhex[19001];
	static uint8_t inner[MAXPKT], outer[MAXPKT + 100];
	(void)state;

	while (helper_line(p, &line, &cap, n == 0) != NULL) {
		unsigned long long seq;
		unsigned spi;
		int esn;
		uint8_t km[36];
		size_t ilen, olen;
		struct l2x_sa *sa, *got;
		struct l2x_sa_table *t;
		struct rte_mbuf *m;
		enum l2x_aead alg;
		uint8_t r;

		n++;
		if (sscanf(line, "%15s %79s %x %d %llx %18800s %19000s", algw,
			   kmhex, &spi, &esn, &seq, innerhex, outerhex) != 7)
			fail_msg("line %d: \"%.60s\"", n, line);
		alg = strcmp(algw, "gcm") == 0 ? L2X_AEAD_AES256GCM
					       : L2X_AEAD_CHACHA20POLY1305;
		if (alg == L2X_AEAD_AES256GCM &&
		    !crypto_aead_aes256gcm_is_available())
			continue;
		assert_int_equal(hex(kmhex, km, sizeof(km)), 36);
		ilen = hex(innerhex, inner, sizeof(inner));
		olen = hex(outerhex, outer, sizeof(outer));
		/* IPv4 (no options) | UDP 4500 | ESP */
		assert_true(olen > L2X_OUTER_HDR_LEN);
		assert_int_equal(outer[0], 0x45);
		assert_int_equal(outer[9], 17);
		assert_int_equal(outer[22] << 8 | outer[23],
				 L2X_UDP_ENCAP_PORT);
		sa = sa_new(&(struct sa_opt){.alg = alg,
					     .dir = L2X_SA_IN,
					     .spi = spi,
					     .flags = esn ? L2X_SA_ESN : 0,
					     .initial_seq = seq - 1,
					     .key = km});
		t = table_of(&sa, 1);
		m = l2x_test_mbuf(outer + 28, olen - 28);
		r = open1(t, m, &got);
		if (r != L2X_ESP_OK)
			fail_msg("line %d (%s esn=%d len %zu): %s", n, algw,
				 esn, ilen, l2x_esp_drop_name(r));
		if (got != sa || m->data_len != ilen ||
		    memcmp(dat(m), inner, ilen) != 0)
			fail_msg("line %d: inner differs", n);
		rte_pktmbuf_free(m);
		l2x_sa_table_destroy(t);
		l2x_sa_destroy(sa);
		done++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(n, 48);
	assert_true(done > 0);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors_libsodium),
	    cmocka_unit_test(test_kat_seal),
	    cmocka_unit_test(test_kat_open),
	    cmocka_unit_test(test_kat_open_burst),
	    PER_VARIANT(test_roundtrip),
	    cmocka_unit_test_teardown(test_scapy_opens_ours, rm_scapy_tmp),
	    cmocka_unit_test(test_ours_opens_scapy),
	};
	return cmocka_run_group_tests_name("esp", tests, setup,
					   l2x_testenv_down);
}
