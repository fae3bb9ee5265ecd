/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dataplane/reasm.h: reassembly in every order against the
 * original bytes, every drop reason from scripted fragment sequences,
 * eviction, expiry with an injected clock, and a seeded soak that must
 * give every mbuf back to the pool.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dataplane/mtu.h"
#include "dataplane/reasm.h"
#include "tests/unit/testenv.h"

/* Largest IPv4 datagram whose frame fits one test-pool mbuf. */
#define MAX_IP (L2X_MBUF_ROOM - RTE_PKTMBUF_HEADROOM - 14)

#define HELD L2X_REASM_HELD
#define DONE L2X_REASM_DONE
#define D(sym) (-L2X_REASM_DROP_##sym)

static struct l2x_reasm_prm prm_default(void)
{
	return (struct l2x_reasm_prm){.max_datagrams = 8,
				      .max_frags = 32,
				      .max_size = MAX_IP,
				      .timeout = 1000,
				      .pool = l2x_test_pool(),
				      .hash_seed = 0x1234567,
				      .socket_id = SOCKET_ID_ANY};
}

static struct l2x_reasm *mk(const struct l2x_reasm_prm *p)
{
	struct l2x_reasm *r = NULL;

	assert_int_equal(l2x_reasm_create(p, &r), 0);
	assert_non_null(r);
	return r;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Independent RFC 1071 header checksum. */
static uint16_t ip_csum(const uint8_t *ip, size_t hl)
{
	uint32_t s = 0;

	for (size_t i = 0; i < hl; i += 2)
		s += get16(ip + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An original datagram: Ethernet + IPv4 (IHL 5 + opt words of NOP
 * options) + random payload, tot IPv4 bytes, in buf. */
static void orig_pkt(uint8_t *buf, uint32_t tot, uint16_t id, uint8_t src,
		     uint8_t proto, unsigned opt, uint64_t seed)
{
	uint8_t *ip = buf + 14;
	uint32_t hl = 20 + 4 * opt;

	memcpy(buf, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00",
	       14);
	memset(ip, 0, hl);
	ip[0] = (uint8_t)(0x40 | hl / 4);
	ip[1] = 0x10;
	put16(ip + 2, (uint16_t)tot);
	put16(ip + 4, id);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, "\xc6\x12\x02\x00\xc6\x12\x01\x02", 8);
	ip[15] = src;
	memset(ip + 20, 1, hl - 20);
	put16(ip + 10, ip_csum(ip, hl));
	l2x_test_fill(&seed, ip + hl, tot - hl);
}

/* A fragment of the original o: payload bytes [off, off + len) with MF
 * mf, followed by pad bytes of Ethernet padding. The first fragment keeps
 * o's IP options, the others do not (options are not copied here). */
static struct rte_mbuf *frag(const uint8_t *o, uint32_t off, uint32_t len,
			     int mf, size_t pad)
{
	static uint8_t b[L2X_MBUF_ROOM];
	uint32_t ohl = (uint32_t)(o[14] & 0xf) * 4;
	uint32_t hl = off == 0 ? ohl : 20;
	uint8_t *ip = b + 14;

	memcpy(b, o, 14 + hl);
	ip[0] = (uint8_t)(0x40 | hl / 4);
	put16(ip + 2, (uint16_t)(hl + len));
	put16(ip + 6, (uint16_t)((mf ? 0x2000 : 0) | off / 8));
	put16(ip + 10, 0);
	put16(ip + 10, ip_csum(ip, hl));
	memcpy(ip + hl, o + 14 + ohl + off, len);
	memset(ip + hl + len, 0xee, pad);
	return l2x_test_mbuf(b, 14 + hl + len + pad);
}

/* out must be the original o with tot IPv4 bytes, byte for byte (o has no
 * fragment bits set). */
static void check_same(struct rte_mbuf *out, const uint8_t *o, uint32_t tot,
		       const char *what, int cs)
{
	L2X_CHECK(out->nb_segs == 1, "%s %d: segments %u", what, cs,
		  out->nb_segs);
	L2X_CHECK(rte_pktmbuf_pkt_len(out) == 14 + tot,
		  "%s %d: length %u want %u", what, cs,
		  rte_pktmbuf_pkt_len(out), 14 + tot);
	L2X_CHECK(memcmp(rte_pktmbuf_mtod(out, void *), o, 14 + tot) == 0,
		  "%s %d: bytes differ", what, cs);
}

static void test_create(void **state)
{
	struct l2x_reasm_prm p;
	struct l2x_reasm *r = NULL;
	struct rte_mempool *small;
	(void)state;

	small = rte_pktmbuf_pool_create(
	    "reasm_small", 4, 0, 0, RTE_PKTMBUF_HEADROOM + 1500, SOCKET_ID_ANY);
	assert_non_null(small);
	static const struct {
		int field;
		uint64_t v;
	} bad[] = {
	    {0, 0},	     {0, (1u << 20) + 1}, {1, 1},     {1, 257},
	    {2, 575},	     {2, MAX_IP + 1},	  {2, 65536}, {3, 0},
	    {4, 0},	     {5, 1487}, /* small pool: 14 + 1487 > 1500 */
	    {6, 31},			/* max_held under max_frags (32) */
	    {6, 8 * 32 + 1},		/* over max_datagrams * max_frags */
	};
	for (size_t i = 0; i < L2X_ARRAY_LEN(bad); i++) {
		p = prm_default();
		switch (bad[i].field) {
		case 0:
			p.max_datagrams = (uint32_t)bad[i].v;
			break;
		case 1:
			p.max_frags = (uint16_t)bad[i].v;
			break;
		case 2:
			p.max_size = (uint32_t)bad[i].v;
			break;
		case 3:
			p.timeout = bad[i].v;
			break;
		case 4:
			p.pool = NULL;
			break;
		case 5:
			p.pool = small;
			p.max_size = (uint32_t)bad[i].v;
			break;
		case 6:
			p.max_held = (uint32_t)bad[i].v;
			break;
		}
		L2X_CHECK(l2x_reasm_create(&p, &r) == -EINVAL, "case %zu", i);
	}
	assert_int_equal(l2x_reasm_create(NULL, &r), -EINVAL);
	p = prm_default();
	p.pool = small;
	p.max_size = 1486;
	r = mk(&p);
	assert_int_equal(l2x_reasm_in_flight(r), 0);
	l2x_reasm_destroy(r);
	p = prm_default();
	p.max_datagrams = 1;
	p.max_frags = 2;
	p.max_size = 576;
	l2x_reasm_destroy(mk(&p));
	l2x_reasm_destroy(NULL);
	rte_mempool_free(small);
}

/* xorshift for shuffles. */
static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

static void shuffle(struct rte_mbuf **f, int n, uint64_t *seed)
{
	for (int i = n - 1; i > 0; i--) {
		int j = (int)(rnd(seed) % (uint32_t)(i + 1));
		struct rte_mbuf *t = f[i];
		f[i] = f[j];
		f[j] = t;
	}
}

/* Fragment with l2x_mtu_fragment(), insert in order, reversed and
 * shuffled: the last insert completes, the result is the original. */
static void test_orders(void **state)
{
	static const uint32_t tots[] = {100, 577, 1500, 3000, 9000, MAX_IP};
	static const uint32_t mtus[] = {576, 1280, 1500};
	static uint8_t o[L2X_MBUF_ROOM];
	struct rte_mempool *mp = l2x_test_pool();
	unsigned avail = rte_mempool_avail_count(mp);
	struct l2x_reasm_prm p = prm_default();
	struct l2x_reasm *r = mk(&p);
	struct l2x_reasm_stats st;
	uint64_t seed = 0x5eed, calls = 0;
	int cs = 0;
	(void)state;

	for (size_t t = 0; t < L2X_ARRAY_LEN(tots); t++) {
		for (size_t k = 0; k < L2X_ARRAY_LEN(mtus); k++) {
			for (int order = 0; order < 5; order++, cs++) {
				struct rte_mbuf *f[L2X_FRAG_MAX], *out = NULL;
				int n, rc = 0;

				orig_pkt(o, tots[t], (uint16_t)cs, 1, 17, 0,
					 (uint64_t)cs);
				n = l2x_mtu_fragment(
				    l2x_test_mbuf(o, 14 + tots[t]), mtus[k], mp,
				    f);
				assert_true(n >= 1);
				if (order == 1)
					for (int i = 0; i < n / 2; i++) {
						struct rte_mbuf *x = f[i];
						f[i] = f[n - 1 - i];
						f[n - 1 - i] = x;
					}
				if (order >= 2)
					shuffle(f, n, &seed);
				for (int i = 0; i < n; i++) {
					rc =
					    l2x_reasm_insert(r, f[i], 10, &out);
					calls++;
					L2X_CHECK(rc ==
						      (i + 1 < n ? HELD : DONE),
						  "case %d frag %d/%d: rc %d",
						  cs, i, n, rc);
				}
				if (n == 1)
					L2X_CHECK(out == f[0],
						  "case %d: not passed through",
						  cs);
				check_same(out, o, tots[t], "order", cs);
				rte_pktmbuf_free(out);
				L2X_CHECK(l2x_reasm_in_flight(r) == 0,
					  "case %d: in flight", cs);
			}
		}
	}
	l2x_reasm_stats(r, &st);
	assert_int_equal(calls, st.held + st.completed + st.passed);
	assert_true(st.completed > 0 && st.passed > 0);
	assert_int_equal(st.freed, 0);
	l2x_reasm_destroy(r);
	assert_int_equal(rte_mempool_avail_count(mp), avail);
}

/* Four datagrams whose keys differ in one field each (ID, source,
 * protocol), fragments interleaved round robin. */
static void test_interleaved(void **state)
{
	static uint8_t o[4][4096];
	struct rte_mempool *mp = l2x_test_pool();
	unsigned avail = rte_mempool_avail_count(mp);
	struct l2x_reasm_prm p = prm_default();
	struct l2x_reasm *r = mk(&p);
	struct rte_mbuf *f[4][L2X_FRAG_MAX];
	int n[4], done = 0;
	(void)state;

	orig_pkt(o[0], 3000, 7, 1, 17, 0, 1);
	orig_pkt(o[1], 3000, 8, 1, 17, 0, 2);
	orig_pkt(o[2], 3000, 7, 2, 17, 0, 3);
	orig_pkt(o[3], 3000, 7, 1, 50, 0, 4);
	for (int d = 0; d < 4; d++) {
		n[d] =
		    l2x_mtu_fragment(l2x_test_mbuf(o[d], 3014), 576, mp, f[d]);
		assert_int_equal(n[d], 6);
	}
	for (int i = 0; i < 6; i++) {
		for (int d = 0; d < 4; d++) {
			struct rte_mbuf *out = NULL;
			int rc = l2x_reasm_insert(r, f[d][i], 1, &out);

			L2X_CHECK(rc == (i < 5 ? HELD : DONE),
				  "dgram %d frag %d", d, i);
			if (rc == DONE) {
				check_same(out, o[d], 3000, "interleaved", d);
				rte_pktmbuf_free(out);
				done++;
			}
		}
		if (i < 5)
			assert_int_equal(l2x_reasm_in_flight(r), 4);
	}
	assert_int_equal(done, 4);
	l2x_reasm_destroy(r);
	assert_int_equal(rte_mempool_avail_count(mp), avail);
}

/* Scripted sequences on a 64-byte payload original. Each step: payload
 * [off, off+len), MF, expected result. A DONE result must hold the
 * original's first `total` payload bytes. */
struct step {
	uint16_t off, len;
	uint8_t mf;
	int rc;
};

struct script {
	const char *name;
	struct step s[6];
	int n;
	uint32_t in_flight; /* after the last step */
	uint64_t freed;	    /* held fragments freed by the table */
};

static const struct script scripts[] = {
    {"in order",
     {{0, 16, 1, HELD}, {16, 16, 1, HELD}, {32, 8, 0, DONE}},
     3,
     0,
     0},
    {"last first",
     {{32, 8, 0, HELD}, {16, 16, 1, HELD}, {0, 16, 1, DONE}},
     3,
     0,
     0},
    {"gap filled last",
     {{0, 8, 1, HELD}, {16, 8, 0, HELD}, {8, 8, 1, DONE}},
     3,
     0,
     0},
    {"single last only", {{8, 8, 0, HELD}}, 1, 1, 0},
    {"overlap into previous",
     {{0, 16, 1, HELD}, {8, 16, 1, D(OVERLAP)}},
     2,
     0,
     1},
    {"overlap into next", {{16, 16, 1, HELD}, {8, 16, 1, D(OVERLAP)}}, 2, 0, 1},
    {"contained", {{0, 32, 1, HELD}, {8, 8, 1, D(OVERLAP)}}, 2, 0, 1},
    {"covering", {{8, 8, 1, HELD}, {0, 32, 1, D(OVERLAP)}}, 2, 0, 1},
    {"same offset shorter", {{0, 16, 1, HELD}, {0, 8, 1, D(OVERLAP)}}, 2, 0, 1},
    {"overlap the last", {{16, 8, 0, HELD}, {8, 16, 1, D(OVERLAP)}}, 2, 0, 1},
    {"overlap of three",
     {{0, 8, 1, HELD},
      {16, 8, 1, HELD},
      {32, 8, 0, HELD},
      {8, 16, 1, D(OVERLAP)}},
     4,
     0,
     3},
    /* RFC 5722: nothing remembered, the rest starts a new datagram */
    {"duplicate, then the rest",
     {{0, 16, 1, HELD}, {0, 16, 1, D(DUPLICATE)}, {16, 8, 0, HELD}},
     3,
     1,
     1},
    {"duplicate last", {{16, 8, 0, HELD}, {16, 8, 0, D(DUPLICATE)}}, 2, 0, 1},
    {"second last elsewhere",
     {{16, 8, 0, HELD}, {32, 8, 0, D(INCONSISTENT)}},
     2,
     0,
     1},
    {"beyond the last",
     {{16, 8, 0, HELD}, {32, 8, 1, D(INCONSISTENT)}},
     2,
     0,
     1},
    {"last before held",
     {{0, 8, 1, HELD}, {24, 8, 1, HELD}, {8, 8, 0, D(INCONSISTENT)}},
     3,
     0,
     2},
    {"non-last not x8", {{0, 12, 1, D(BAD)}}, 1, 0, 0},
    {"bad keeps the datagram",
     {{0, 16, 1, HELD}, {16, 12, 1, D(BAD)}, {16, 8, 0, DONE}},
     3,
     0,
     0},
    {"zero length first", {{0, 0, 1, D(BAD)}}, 1, 0, 0},
    {"zero length last", {{0, 8, 1, HELD}, {8, 0, 0, D(BAD)}}, 2, 1, 0},
    {"odd last ok", {{0, 8, 1, HELD}, {8, 13, 0, DONE}}, 2, 0, 0},
};

static void test_scripts(void **state)
{
	static uint8_t o[256];
	struct rte_mempool *mp = l2x_test_pool();
	unsigned avail = rte_mempool_avail_count(mp);
	(void)state;

	orig_pkt(o, 20 + 64, 99, 1, 17, 0, 5);
	for (size_t i = 0; i < L2X_ARRAY_LEN(scripts); i++) {
		const struct script *sc = &scripts[i];
		struct l2x_reasm_prm p = prm_default();
		struct l2x_reasm *r = mk(&p);
		struct l2x_reasm_stats st;

		for (int k = 0; k < sc->n; k++) {
			const struct step *s = &sc->s[k];
			struct rte_mbuf *m = frag(o, s->off, s->len, s->mf, 0);
			struct rte_mbuf *out = NULL;
			int rc = l2x_reasm_insert(r, m, (uint64_t)k, &out);

			L2X_CHECK(rc == s->rc,
				  "script %zu (%s) step %d: rc %d want %d", i,
				  sc->name, k, rc, s->rc);
			if (rc < 0)
				rte_pktmbuf_free(m);
			if (rc == DONE) {
				const uint8_t *q =
				    rte_pktmbuf_mtod(out, uint8_t *);
				uint32_t total = s->off + s->len;

				for (int j = 0; j < sc->n; j++)
					if (!sc->s[j].mf && sc->s[j].rc >= 0)
						total =
						    sc->s[j].off + sc->s[j].len;
				L2X_CHECK(
				    rte_pktmbuf_pkt_len(out) == 34 + total &&
					get16(q + 16) == 20 + total &&
					get16(q + 20) == 0 &&
					ip_csum(q + 14, 20) == 0 &&
					memcmp(q, o, 16) == 0 &&
					memcmp(q + 18, o + 18, 2) == 0 &&
					memcmp(q + 22, o + 22, 2) == 0 &&
					memcmp(q + 26, o + 26, 8) == 0 &&
					memcmp(q + 34, o + 34, total) == 0,
				    "script %zu (%s): result", i, sc->name);
				rte_pktmbuf_free(out);
			}
		}
		l2x_reasm_stats(r, &st);
		L2X_CHECK(l2x_reasm_in_flight(r) == sc->in_flight,
			  "script %zu (%s): in flight %u", i, sc->name,
			  l2x_reasm_in_flight(r));
		L2X_CHECK(st.freed == sc->freed, "script %zu (%s): freed %lu",
			  i, sc->name, (unsigned long)st.freed);
		uint64_t drops = 0;
		for (int d = 1; d < L2X_REASM_DROP_MAX; d++)
			drops += st.drop[d];
		L2X_CHECK(st.held + st.completed + st.passed + drops ==
			      (uint64_t)sc->n,
			  "script %zu: counters", i);
		l2x_reasm_destroy(r);
		L2X_CHECK(rte_mempool_avail_count(mp) == avail,
			  "script %zu (%s): leak", i, sc->name);
	}
}

/* Malformed packets: each dropped alone, nothing created. Whole packets
 * pass through untouched. */
static void test_bad_packets(void **state)
{
	static uint8_t o[256], b[256];
	struct l2x_reasm_prm p = prm_default();
	struct l2x_reasm *r = mk(&p);
	struct l2x_reasm_stats st;
	(void)state;

	orig_pkt(o, 20 + 64, 1, 1, 17, 0, 6);
	/* Each edit on a first fragment of 16 payload bytes (50 bytes). */
	static const struct {
		const char *name;
		int edit;
		size_t len;
	} c[] = {
	    {"truncated ethernet", 0, 10},
	    {"truncated ip", 0, 33},
	    {"arp ethertype", 1, 50},
	    {"ipv6 version", 2, 50},
	    {"ihl 4", 3, 50},
	    {"bad checksum", 4, 50},
	    {"total > packet", 5, 50},
	    {"total = ihl", 6, 50},
	    {"total < ihl", 7, 50},
	    {"ihl 15, packet short", 8, 50},
	    {"vlan tagged", 9, 50},
	    {"cut payload", 0, 49},
	};
	for (size_t i = 0; i < L2X_ARRAY_LEN(c); i++) {
		struct rte_mbuf *m = frag(o, 0, 16, 1, 0), *out = NULL;
		uint8_t *q;
		int rc;

		memcpy(b, rte_pktmbuf_mtod(m, void *), 50);
		rte_pktmbuf_free(m);
		q = b + 14;
		switch (c[i].edit) {
		case 1:
			put16(b + 12, 0x0806);
			break;
		case 2:
			q[0] = 0x65;
			break;
		case 3:
			q[0] = 0x44;
			break;
		case 4:
			q[10] ^= 1;
			break;
		case 5:
			put16(q + 2, 37);
			break;
		case 6:
			put16(q + 2, 20);
			break;
		case 7:
			put16(q + 2, 12);
			break;
		case 8:
			q[0] = 0x4f;
			break;
		case 9:
			put16(b + 12, 0x8100);
			break;
		}
		if (c[i].edit >= 2 && c[i].edit != 4 && c[i].edit != 9) {
			put16(q + 10, 0);
			put16(q + 10,
			      ip_csum(q, (size_t)(q[0] & 0xf) * 4 > 36
					     ? 20
					     : (size_t)(q[0] & 0xf) * 4));
		}
		m = l2x_test_mbuf(b, c[i].len);
		rc = l2x_reasm_insert(r, m, 0, &out);
		L2X_CHECK(rc == D(BAD), "case %zu (%s): rc %d", i, c[i].name,
			  rc);
		rte_pktmbuf_free(m);
		L2X_CHECK(l2x_reasm_in_flight(r) == 0, "case %zu: in flight",
			  i);
	}
	l2x_reasm_stats(r, &st);
	assert_int_equal(st.drop[L2X_REASM_DROP_BAD], L2X_ARRAY_LEN(c));

	/* Not a fragment: handed back as is, even with a bad checksum (the
	 * IP layer after us checks whole datagrams). */
	struct rte_mbuf *m = l2x_test_mbuf(o, 14 + 84), *out = NULL;
	rte_pktmbuf_mtod(m, uint8_t *)[24] ^= 0xff;
	assert_int_equal(l2x_reasm_insert(r, m, 0, &out), DONE);
	assert_ptr_equal(out, m);
	rte_pktmbuf_free(m);
	l2x_reasm_destroy(r);
}

/* Ethernet padding after a short last fragment, a chained fragment mbuf,
 * and IP options on the first fragment. */
static void test_padding_chain_options(void **state)
{
	static uint8_t o[4096];
	struct rte_mempool *mp = l2x_test_pool();
	unsigned avail = rte_mempool_avail_count(mp);
	struct l2x_reasm_prm p = prm_default();
	struct l2x_reasm *r = mk(&p);
	struct rte_mbuf *out = NULL, *a, *tail;
	uint32_t hl = 20 + 4 * 10;
	(void)state;

	/* Padding: last fragment of 4 bytes in a 60-byte frame. The result
	 * takes the port of the offset-0 fragment. */
	orig_pkt(o, 20 + 20, 2, 1, 17, 0, 7);
	a = frag(o, 0, 16, 1, 0);
	a->port = 5;
	assert_int_equal(l2x_reasm_insert(r, a, 0, &out), HELD);
	assert_int_equal(l2x_reasm_insert(r, frag(o, 16, 4, 0, 22), 0, &out),
			 DONE);
	check_same(out, o, 40, "padding", 0);
	assert_int_equal(out->port, 5);
	rte_pktmbuf_free(out);

	/* Chained: the middle fragment split over two segments. */
	orig_pkt(o, 20 + 2000, 3, 1, 17, 0, 8);
	a = frag(o, 800, 800, 1, 0);
	{
		uint8_t part[1024];
		uint32_t keep = 14 + 20 + 333;

		memcpy(part, rte_pktmbuf_mtod_offset(a, uint8_t *, keep),
		       rte_pktmbuf_pkt_len(a) - keep);
		tail = l2x_test_mbuf(part, rte_pktmbuf_pkt_len(a) - keep);
		rte_pktmbuf_trim(a, (uint16_t)(rte_pktmbuf_pkt_len(a) - keep));
		assert_int_equal(rte_pktmbuf_chain(a, tail), 0);
	}
	assert_int_equal(l2x_reasm_insert(r, frag(o, 0, 800, 1, 0), 0, &out),
			 HELD);
	assert_int_equal(l2x_reasm_insert(r, a, 0, &out), HELD);
	assert_int_equal(l2x_reasm_insert(r, frag(o, 1600, 400, 0, 0), 0, &out),
			 DONE);
	check_same(out, o, 2020, "chain", 0);
	rte_pktmbuf_free(out);

	/* Options: the first fragment's 40 bytes of options are the
	 * result's; later fragments carry none. */
	orig_pkt(o, hl + 1000, 4, 1, 17, 10, 9);
	assert_int_equal(l2x_reasm_insert(r, frag(o, 504, 496, 0, 0), 0, &out),
			 HELD);
	assert_int_equal(l2x_reasm_insert(r, frag(o, 0, 504, 1, 0), 0, &out),
			 DONE);
	check_same(out, o, hl + 1000, "options", 0);
	rte_pktmbuf_free(out);

	l2x_reasm_destroy(r);
	assert_int_equal(rte_mempool_avail_count(mp), avail);
}

static void test_too_many(void **state)
{
	static uint8_t o[256];
	struct rte_mempool *mp = l2x_test_pool();
	unsigned avail = rte_mempool_avail_count(mp);
	struct l2x_reasm_prm p = prm_default();
	struct l2x_reasm *r;
	struct l2x_reasm_stats st;
	struct rte_mbuf *out = NULL, *m;
	(void)state;

	p.max_frags = 4;
	r = mk(&p);
	orig_pkt(o, 20 + 40, 5, 1, 17, 0, 10);
	/* Exactly max_frags completes. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(
		    l2x_reasm_insert(
			r, frag(o, 8 * i, i < 3 ? 8 : 16, i < 3, 0), 0, &out),
		    i < 3 ? HELD : DONE);
	check_same(out, o, 60, "max frags", 0);
	rte_pktmbuf_free(out);
	/* One more is too many: the datagram goes. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(
		    l2x_reasm_insert(r, frag(o, 8 * i, 8, 1, 0), 0, &out),
		    HELD);
	m = frag(o, 32, 8, 0, 0);
	assert_int_equal(l2x_reasm_insert(r, m, 0, &out), D(TOO_MANY));
	rte_pktmbuf_free(m);
	assert_int_equal(l2x_reasm_in_flight(r), 0);
	l2x_reasm_stats(r, &st);
	assert_int_equal(st.freed, 4);
	assert_int_equal(st.drop[L2X_REASM_DROP_TOO_MANY], 1);
	l2x_reasm_destroy(r);
	assert_int_equal(rte_mempool_avail_count(mp), avail);
}

static void test_too_big(void **state)
{
	static uint8_t o[2048];
	struct rte_mempool *mp = l2x_test_pool();
	unsigned avail = rte_mempool_avail_count(mp);
	struct l2x_reasm_prm p = prm_default();
	struct l2x_reasm *r;
	struct l2x_reasm_stats st;
	struct rte_mbuf *out = NULL, *m;
	(void)state;

	p.max_size = 1000;
	r = mk(&p);
	orig_pkt(o, 1100, 6, 1, 17, 0, 11);
	/* Alone: dropped, nothing created. */
	m = frag(o, 976, 8, 1, 0); /* 20 + 984 > 1000 */
	assert_int_equal(l2x_reasm_insert(r, m, 0, &out), D(TOO_BIG));
	rte_pktmbuf_free(m);
	assert_int_equal(l2x_reasm_in_flight(r), 0);
	/* With held fragments: the whole datagram goes. */
	assert_int_equal(l2x_reasm_insert(r, frag(o, 0, 16, 1, 0), 0, &out),
			 HELD);
	m = frag(o, 976, 8, 0, 0);
	assert_int_equal(l2x_reasm_insert(r, m, 0, &out), D(TOO_BIG));
	rte_pktmbuf_free(m);
	assert_int_equal(l2x_reasm_in_flight(r), 0);
	/* The far end of the offset field. */
	{
		uint8_t b[64];

		m = frag(o, 0, 16, 1, 0);
		memcpy(b, rte_pktmbuf_mtod(m, void *), 50);
		rte_pktmbuf_free(m);
		put16(b + 20, 0x3fff); /* MF, offset 65528 */
		put16(b + 24, 0);
		put16(b + 24, ip_csum(b + 14, 20));
		m = l2x_test_mbuf(b, 50);
		assert_int_equal(l2x_reasm_insert(r, m, 0, &out), D(TOO_BIG));
		rte_pktmbuf_free(m);
	}
	/* Exactly max_size completes. */
	orig_pkt(o, 1000, 7, 1, 17, 0, 12);
	assert_int_equal(l2x_reasm_insert(r, frag(o, 0, 976, 1, 0), 0, &out),
			 HELD);
	assert_int_equal(l2x_reasm_insert(r, frag(o, 976, 4, 0, 0), 0, &out),
			 DONE);
	check_same(out, o, 1000, "max size", 0);
	rte_pktmbuf_free(out);
	/* Options on the first fragment push it over only at completion:
	 * m goes back to the caller, the rest is freed. */
	orig_pkt(o, 60 + 980, 8, 1, 17, 10, 13);
	assert_int_equal(l2x_reasm_insert(r, frag(o, 0, 944, 1, 0), 0, &out),
			 HELD);
	m = frag(o, 944, 36, 0, 0);
	assert_int_equal(l2x_reasm_insert(r, m, 0, &out), D(TOO_BIG));
	assert_int_equal(rte_pktmbuf_pkt_len(m), 14 + 20 + 36);
	rte_pktmbuf_free(m);
	assert_int_equal(l2x_reasm_in_flight(r), 0);
	l2x_reasm_stats(r, &st);
	assert_int_equal(st.drop[L2X_REASM_DROP_TOO_BIG], 4);
	assert_int_equal(st.freed, 2);
	l2x_reasm_destroy(r);
	assert_int_equal(rte_mempool_avail_count(mp), avail);
}

/* A full table evicts its oldest datagram. */
static void test_table_full(void **state)
{
	static uint8_t o[6][256];
	struct rte_mempool *mp = l2x_test_pool();
	unsigned avail = rte_mempool_avail_count(mp);
	struct l2x_reasm_prm p = prm_default();
	struct l2x_reasm *r;
	struct l2x_reasm_stats st;
	struct rte_mbuf *out = NULL;
	(void)state;

	p.max_datagrams = 3;
	r = mk(&p);
	for (int d = 0; d < 6; d++)
		orig_pkt(o[d], 20 + 32, (uint16_t)(100 + d), 1, 17, 0,
			 (uint64_t)d);
	for (int d = 0; d < 3; d++)
		assert_int_equal(l2x_reasm_insert(r, frag(o[d], 0, 16, 1, 0),
						  (uint64_t)d, &out),
				 HELD);
	assert_int_equal(l2x_reasm_in_flight(r), 3);
	/* Datagram 3 evicts 0, the oldest. */
	assert_int_equal(l2x_reasm_insert(r, frag(o[3], 0, 16, 1, 0), 3, &out),
			 HELD);
	assert_int_equal(l2x_reasm_in_flight(r), 3);
	l2x_reasm_stats(r, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.freed, 1);
	/* 1, 2, 3 still complete. */
	for (int d = 1; d <= 3; d++) {
		assert_int_equal(
		    l2x_reasm_insert(r, frag(o[d], 16, 16, 0, 0), 4, &out),
		    DONE);
		check_same(out, o[d], 52, "full", d);
		rte_pktmbuf_free(out);
	}
	/* 0's second half now starts a new entry. */
	assert_int_equal(l2x_reasm_insert(r, frag(o[0], 16, 16, 0, 0), 5, &out),
			 HELD);
	assert_int_equal(l2x_reasm_in_flight(r), 1);
	/* Fill up again: 0b (t5), 4 (t6), 5 (t7). The next new datagram
	 * evicts 0b, the oldest, and not 4 or 5. */
	assert_int_equal(l2x_reasm_insert(r, frag(o[4], 0, 16, 1, 0), 6, &out),
			 HELD);
	assert_int_equal(l2x_reasm_insert(r, frag(o[5], 0, 16, 1, 0), 7, &out),
			 HELD);
	l2x_reasm_stats(r, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(l2x_reasm_insert(r, frag(o[1], 0, 16, 1, 0), 8, &out),
			 HELD);
	l2x_reasm_stats(r, &st);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(st.freed, 2);
	assert_int_equal(l2x_reasm_insert(r, frag(o[4], 16, 16, 0, 0), 9, &out),
			 DONE);
	check_same(out, o[4], 52, "full", 4);
	rte_pktmbuf_free(out);
	assert_int_equal(l2x_reasm_insert(r, frag(o[5], 16, 16, 0, 0), 9, &out),
			 DONE);
	check_same(out, o[5], 52, "full", 5);
	rte_pktmbuf_free(out);
	assert_int_equal(l2x_reasm_in_flight(r), 1);
	/* Destroy frees what is still held (o[1]'s first half). */
	l2x_reasm_destroy(r);
	assert_int_equal(rte_mempool_avail_count(mp), avail);
}

/* The budget of held fragments (max_held): a fragment that would go over
 * it evicts the oldest other datagrams, never the one it joins; the
 * count of held mbufs follows holds, completions, drops and expiry; the
 * pool gets everything back. */
static void test_budget(void **state)
{
	static uint8_t o[5][256];
	struct rte_mempool *mp = l2x_test_pool();
	unsigned avail = rte_mempool_avail_count(mp);
	struct l2x_reasm_prm p = prm_default();
	struct l2x_reasm_stats st;
	struct rte_mbuf *out = NULL, *dup;
	struct l2x_reasm *r;
	(void)state;

	p.max_frags = 4;
	p.max_held = 4;
	r = mk(&p);
	/* Five datagrams of 64 bytes, in four fragments of 16. */
	for (int d = 0; d < 5; d++)
		orig_pkt(o[d], 20 + 64, (uint16_t)(200 + d), 1, 17, 0,
			 (uint64_t)d);
	/* A: two fragments, B: two: the budget is spent. */
	for (int d = 0; d < 2; d++)
		for (int f = 0; f < 2; f++)
			assert_int_equal(
			    l2x_reasm_insert(r, frag(o[d], 16 * f, 16, 1, 0),
					     (uint64_t)d, &out),
			    HELD);
	assert_int_equal(l2x_reasm_held(r), 4);
	/* C's first fragment evicts A (the oldest), and only A. */
	assert_int_equal(l2x_reasm_insert(r, frag(o[2], 0, 16, 1, 0), 2, &out),
			 HELD);
	l2x_reasm_stats(r, &st);
	assert_int_equal(st.budget, 1);
	assert_int_equal(st.evicted, 0);
	assert_int_equal(st.freed, 2);
	assert_int_equal(l2x_reasm_in_flight(r), 2);
	assert_int_equal(l2x_reasm_held(r), 3);
	/* B's third fragment fills the budget again; its fourth would go over
	 * it and evicts C, not B, which then completes. */
	assert_int_equal(l2x_reasm_insert(r, frag(o[1], 32, 16, 1, 0), 3, &out),
			 HELD);
	assert_int_equal(l2x_reasm_held(r), 4);
	assert_int_equal(l2x_reasm_insert(r, frag(o[1], 48, 16, 0, 0), 4, &out),
			 DONE);
	check_same(out, o[1], 84, "budget", 1);
	rte_pktmbuf_free(out);
	l2x_reasm_stats(r, &st);
	assert_int_equal(st.budget, 2);
	assert_int_equal(l2x_reasm_held(r), 0);
	assert_int_equal(l2x_reasm_in_flight(r), 0);
	/* A datagram as large as the whole budget still completes. */
	for (int f = 0; f < 3; f++)
		assert_int_equal(
		    l2x_reasm_insert(r, frag(o[3], 16 * f, 16, 1, 0), 5, &out),
		    HELD);
	assert_int_equal(l2x_reasm_held(r), 3);
	assert_int_equal(l2x_reasm_insert(r, frag(o[3], 48, 16, 0, 0), 5, &out),
			 DONE);
	check_same(out, o[3], 84, "budget", 3);
	rte_pktmbuf_free(out);
	/* A drop and an expiry give their mbufs back to the count. */
	assert_int_equal(l2x_reasm_insert(r, frag(o[4], 0, 16, 1, 0), 6, &out),
			 HELD);
	dup = frag(o[4], 0, 16, 1, 0);
	assert_int_equal(l2x_reasm_insert(r, dup, 6, &out), D(DUPLICATE));
	rte_pktmbuf_free(dup); /* a dropped fragment is the caller's */
	assert_int_equal(l2x_reasm_held(r), 0);
	assert_int_equal(l2x_reasm_insert(r, frag(o[4], 16, 16, 1, 0), 7, &out),
			 HELD);
	assert_int_equal(l2x_reasm_expire(r, 7 + p.timeout), 1);
	assert_int_equal(l2x_reasm_held(r), 0);
	l2x_reasm_destroy(r);
	assert_int_equal(rte_mempool_avail_count(mp), avail);
}

/* The clock is the caller's: expiry at exactly timeout, lazily on insert
 * (at most L2X_REASM_EXPIRE_BATCH), and for the datagram an insert finds. */
static void test_timeout(void **state)
{
	static uint8_t o[16][256];
	struct rte_mempool *mp = l2x_test_pool();
	unsigned avail = rte_mempool_avail_count(mp);
	struct l2x_reasm_prm p = prm_default();
	struct l2x_reasm *r;
	struct l2x_reasm_stats st;
	struct rte_mbuf *out = NULL;
	const uint64_t t0 = 1000000;
	(void)state;

	p.timeout = 100;
	p.max_datagrams = 16;
	r = mk(&p);
	for (int d = 0; d < 16; d++)
		orig_pkt(o[d], 20 + 32, (uint16_t)(200 + d), 1, 17, 0,
			 (uint64_t)d);

	assert_int_equal(l2x_reasm_insert(r, frag(o[0], 0, 16, 1, 0), t0, &out),
			 HELD);
	assert_int_equal(
	    l2x_reasm_insert(r, frag(o[1], 0, 16, 1, 0), t0 + 50, &out), HELD);
	assert_int_equal(l2x_reasm_expire(r, t0 + 99), 0);
	assert_int_equal(l2x_reasm_expire(r, t0 + 100), 1);
	assert_int_equal(l2x_reasm_in_flight(r), 1);
	assert_int_equal(l2x_reasm_expire(r, t0 + 149), 0);
	/* 1 completes just before its deadline. */
	assert_int_equal(
	    l2x_reasm_insert(r, frag(o[1], 16, 16, 0, 0), t0 + 149, &out),
	    DONE);
	check_same(out, o[1], 52, "timeout", 1);
	rte_pktmbuf_free(out);
	/* 0's second half comes too late: a new entry, which expires too. */
	assert_int_equal(
	    l2x_reasm_insert(r, frag(o[0], 16, 16, 0, 0), t0 + 150, &out),
	    HELD);
	assert_int_equal(l2x_reasm_expire(r, t0 + 250), 1);
	l2x_reasm_stats(r, &st);
	assert_int_equal(st.expired, 2);

	/* Lazy: six datagrams at t1; an insert at t1 + 100 for the
	 * youngest expires the four oldest (the batch), then finds its own
	 * expired and starts afresh; the fifth stays for expire(). */
	const uint64_t t1 = t0 + 1000;
	for (int d = 2; d < 8; d++)
		assert_int_equal(
		    l2x_reasm_insert(r, frag(o[d], 0, 16, 1, 0), t1, &out),
		    HELD);
	assert_int_equal(
	    l2x_reasm_insert(r, frag(o[7], 16, 16, 0, 0), t1 + 100, &out),
	    HELD);
	l2x_reasm_stats(r, &st);
	assert_int_equal(st.expired, 2 + L2X_REASM_EXPIRE_BATCH + 1);
	assert_int_equal(l2x_reasm_in_flight(r), 2);
	assert_int_equal(l2x_reasm_expire(r, t1 + 100), 1);
	assert_int_equal(l2x_reasm_in_flight(r), 1);
	assert_int_equal(l2x_reasm_expire(r, t1 + 199), 0);
	assert_int_equal(l2x_reasm_expire(r, t1 + 200), 1);
	/* Wrap-safe: now - first_seen is unsigned. */
	assert_int_equal(
	    l2x_reasm_insert(r, frag(o[9], 0, 16, 1, 0), UINT64_MAX - 9, &out),
	    HELD);
	assert_int_equal(l2x_reasm_expire(r, 89), 0);
	assert_int_equal(l2x_reasm_expire(r, 90), 1);
	l2x_reasm_stats(r, &st);
	assert_int_equal(st.freed, st.expired);
	l2x_reasm_destroy(r);
	assert_int_equal(rte_mempool_avail_count(mp), avail);
}

/* The result pool empty: the datagram goes, m is the caller's. */
static void test_nomem(void **state)
{
	static uint8_t o[256];
	struct rte_mempool *mp = l2x_test_pool();
	unsigned avail = rte_mempool_avail_count(mp);
	struct rte_mempool *one;
	struct l2x_reasm_prm p = prm_default();
	struct l2x_reasm *r;
	struct rte_mbuf *out = NULL, *m, *taken;
	(void)state;

	one = rte_pktmbuf_pool_create("reasm_one", 1, 0, 0, L2X_MBUF_ROOM,
				      SOCKET_ID_ANY);
	assert_non_null(one);
	p.pool = one;
	r = mk(&p);
	taken = rte_pktmbuf_alloc(one);
	assert_non_null(taken);
	orig_pkt(o, 20 + 32, 9, 1, 17, 0, 14);
	assert_int_equal(l2x_reasm_insert(r, frag(o, 0, 16, 1, 0), 0, &out),
			 HELD);
	m = frag(o, 16, 16, 0, 0);
	assert_int_equal(l2x_reasm_insert(r, m, 0, &out), D(NOMEM));
	assert_int_equal(l2x_reasm_in_flight(r), 0);
	rte_pktmbuf_free(m);
	/* With the mbuf back, the same datagram completes. */
	rte_pktmbuf_free(taken);
	assert_int_equal(l2x_reasm_insert(r, frag(o, 0, 16, 1, 0), 0, &out),
			 HELD);
	assert_int_equal(l2x_reasm_insert(r, frag(o, 16, 16, 0, 0), 0, &out),
			 DONE);
	assert_ptr_equal(out->pool, one);
	check_same(out, o, 52, "nomem", 0);
	rte_pktmbuf_free(out);
	l2x_reasm_destroy(r);
	assert_int_equal(rte_mempool_avail_count(one), 1);
	rte_mempool_free(one);
	assert_int_equal(rte_mempool_avail_count(mp), avail);
}

/* Seeded soak: datagrams of random sizes fragmented at random MTUs,
 * several in flight, fragments lost, duplicated and reordered, the clock
 * advancing, expiry from the "worker loop". Every completed datagram is
 * its original; the counters add up; the pool gets every mbuf back. */
#define SOAK_RING 64
static void test_soak(void **state)
{
	static uint8_t orig[SOAK_RING][L2X_MBUF_ROOM];
	static uint32_t orig_len[SOAK_RING];
	struct rte_mempool *mp = l2x_test_pool();
	unsigned avail = rte_mempool_avail_count(mp);
	struct l2x_reasm_prm p = prm_default();
	struct l2x_reasm *r;
	struct l2x_reasm_stats st;
	struct rte_mbuf *pend[4 * 2 * L2X_FRAG_MAX];
	uint64_t seed = 0x50a1c, now = 0, calls = 0, done = 0;
	uint16_t id = 0;
	(void)state;

	p.max_datagrams = 6;
	p.max_frags = 24;
	p.timeout = 500;
	r = mk(&p);
	for (int it = 0; it < 1500; it++) {
		int np = 0, nd = 1 + (int)(rnd(&seed) % 4);

		for (int d = 0; d < nd; d++, id++) {
			uint8_t *o = orig[id % SOAK_RING];
			uint32_t tot = 21 + rnd(&seed) % (MAX_IP - 20);
			uint32_t mtu = 576 + rnd(&seed) % 1000;
			struct rte_mbuf *f[L2X_FRAG_MAX];
			int n;

			orig_pkt(o, tot, id, (uint8_t)(rnd(&seed) % 3), 17, 0,
				 id);
			orig_len[id % SOAK_RING] = tot;
			n = l2x_mtu_fragment(l2x_test_mbuf(o, 14 + tot), mtu,
					     mp, f);
			assert_true(n >= 1);
			for (int i = 0; i < n; i++) {
				uint32_t c = rnd(&seed) % 100;

				if (c < 3) { /* lost */
					rte_pktmbuf_free(f[i]);
					continue;
				}
				pend[np++] = f[i];
				if (c < 6) /* duplicated by the network */
					pend[np++] = l2x_test_mbuf(
					    rte_pktmbuf_mtod(f[i], void *),
					    rte_pktmbuf_pkt_len(f[i]));
			}
		}
		shuffle(pend, np, &seed);
		for (int i = 0; i < np; i++) {
			struct rte_mbuf *out = NULL;
			int rc;

			now += rnd(&seed) % 8;
			rc = l2x_reasm_insert(r, pend[i], now, &out);
			calls++;
			if (rc < 0) {
				rte_pktmbuf_free(pend[i]);
				continue;
			}
			if (rc == DONE) {
				const uint8_t *q =
				    rte_pktmbuf_mtod(out, uint8_t *);
				uint16_t oid = get16(q + 18);

				check_same(out, orig[oid % SOAK_RING],
					   orig_len[oid % SOAK_RING], "soak",
					   it);
				rte_pktmbuf_free(out);
				done++;
			}
		}
		if (rnd(&seed) % 4 == 0)
			l2x_reasm_expire(r, now);
	}
	l2x_reasm_stats(r, &st);
	uint64_t drops = 0;
	for (int d = 1; d < L2X_REASM_DROP_MAX; d++)
		drops += st.drop[d];
	assert_int_equal(calls, st.held + st.completed + st.passed + drops);
	assert_int_equal(done, st.completed + st.passed);
	/* The mix exercised the interesting paths. */
	assert_true(st.completed > 1000);
	assert_true(st.drop[L2X_REASM_DROP_DUPLICATE] > 0);
	assert_true(st.expired > 0 && st.evicted > 0);
	print_message("soak: %lu calls, %lu completed, %lu passed, %lu "
		      "duplicate, %lu expired, %lu evicted\n",
		      (unsigned long)calls, (unsigned long)st.completed,
		      (unsigned long)st.passed,
		      (unsigned long)st.drop[L2X_REASM_DROP_DUPLICATE],
		      (unsigned long)st.expired, (unsigned long)st.evicted);
	l2x_reasm_destroy(r);
	assert_int_equal(rte_mempool_avail_count(mp), avail);
}

static void test_drop_names(void **state)
{
	(void)state;
	for (int i = 0; i < L2X_REASM_DROP_MAX; i++) {
		assert_non_null(l2x_reasm_drop_key[i]);
		assert_non_null(l2x_reasm_drop_str[i]);
	}
	assert_string_equal(l2x_reasm_drop_key[L2X_REASM_DROP_OVERLAP],
			    "OVERLAP");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create),
	    cmocka_unit_test(test_orders),
	    cmocka_unit_test(test_interleaved),
	    cmocka_unit_test(test_scripts),
	    cmocka_unit_test(test_bad_packets),
	    cmocka_unit_test(test_padding_chain_options),
	    cmocka_unit_test(test_too_many),
	    cmocka_unit_test(test_too_big),
	    cmocka_unit_test(test_table_full),
	    cmocka_unit_test(test_budget),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_nomem),
	    cmocka_unit_test(test_soak),
	    cmocka_unit_test(test_drop_names),
	};
	return cmocka_run_group_tests_name("reasm", tests, l2x_testenv_up,
					   l2x_testenv_down);
}
