/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for control/ctlmsg.[ch], the control socket codec: round
 * trips of every message type, known bytes, every truncation, every
 * out-of-range field (one table, case numbers in failures), every
 * reserved byte, the builder's refusals, key wiping, UTF-8 chunks, and
 * a seeded random-mutation loop through the parser on exact-size heap
 * buffers (run under ASan by the san build).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/ctlmsg.h"
#include "tests/unit/testenv.h"

#define IP4(a, b, c, d)                                                   \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
	 (uint32_t)(d))
#define HDR L2X_CTL_HDR_LEN
#define OFF(t, f) offsetof(struct l2x_ctl_w_##t, f)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

typedef void (*make_fn)(struct l2x_ctlmsg *m);

/* ---- sample messages: each valid, each field set to a distinct value -- */

static const char show_json[] = "{\"networks\":[{\"name\":\"web\",\"vlan\":100,"
				"\"note\":\"caf\xc3\xa9 \xe2\x82\xac "
				"\xf0\x9d\x84\x9e\"}]}\n";

static void mk_sa_add(struct l2x_ctlmsg *m)
{
	struct l2x_ctl_sa_add *s = &m->u.sa_add;

	m->type = L2X_CTL_MSG_SA_ADD;
	m->req_id = 0x01020304;
	s->spi = 0xc1234567;
	s->dir = L2X_CTL_DIR_IN;
	s->alg = L2X_AEAD_AES256GCM;
	s->encap = L2X_ENCAP_GRE;
	s->sa_flags = L2X_CTL_SA_ESN;
	s->replay_window = 1024;
	s->key_len = L2X_CTL_KEY_MAX;
	for (unsigned i = 0; i < L2X_CTL_KEY_MAX; i++)
		s->key[i] = (uint8_t)(0xa0 + i); /* no zero byte */
	s->soft = (struct l2x_ctl_lifetime){1ull << 30, 1ull << 20, 3000};
	s->hard = (struct l2x_ctl_lifetime){1ull << 31, 1ull << 21, 3600};
	s->peer_addr = IP4(198, 18, 2, 2);
	s->local_addr = IP4(198, 18, 1, 2);
	s->peer_port = 4500;
	s->local_port = 4501;
	s->tunnel = 7;
}

static void mk_sa_add_chacha(struct l2x_ctlmsg *m)
{
	struct l2x_ctl_sa_add *s = &m->u.sa_add;

	mk_sa_add(m);
	m->req_id = UINT32_MAX;
	s->spi = UINT32_MAX;
	s->dir = L2X_CTL_DIR_OUT;
	s->alg = L2X_AEAD_CHACHA20POLY1305;
	s->encap = L2X_ENCAP_VXLAN;
	s->sa_flags = 0;
	s->replay_window = 0;
	s->soft = (struct l2x_ctl_lifetime){0, 0, 0};
	s->hard = (struct l2x_ctl_lifetime){0, 0, 0};
	s->peer_port = 61234; /* behind NAT */
	s->tunnel = UINT32_MAX;
}

static void mk_sa_add_limits(struct l2x_ctlmsg *m)
{
	struct l2x_ctl_sa_add *s = &m->u.sa_add;

	mk_sa_add(m);
	m->req_id = 0;
	s->spi = L2X_CTL_SPI_MIN;
	s->replay_window = L2X_CTL_REPLAY_MAX;
	s->soft = (struct l2x_ctl_lifetime){UINT64_MAX, 5, 0};
	s->hard = (struct l2x_ctl_lifetime){UINT64_MAX, 0, 1};
	s->peer_addr = IP4(223, 255, 255, 254);
	s->local_addr = IP4(1, 0, 0, 1);
	s->peer_port = 1;
	s->local_port = UINT16_MAX;
	s->tunnel = 1;
}

static void mk_sa_update(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SA_UPDATE;
	m->req_id = 11;
	m->u.sa_update.spi = 0xc7654321;
	m->u.sa_update.dir = L2X_CTL_DIR_OUT;
	m->u.sa_update.peer_addr = IP4(198, 19, 0, 1);
	m->u.sa_update.peer_port = 1024;
}

static void mk_sa_del(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SA_DEL;
	m->req_id = 12;
	m->u.sa_id.spi = 0xc0012345;
	m->u.sa_id.dir = L2X_CTL_DIR_OUT;
}

static void mk_sa_query(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SA_QUERY;
	m->req_id = 13;
	m->u.sa_id.spi = 0x100;
	m->u.sa_id.dir = L2X_CTL_DIR_IN;
}

static void mk_net_add(struct l2x_ctlmsg *m)
{
	struct l2x_ctl_net_add *s = &m->u.net_add;

	m->type = L2X_CTL_MSG_NET_ADD;
	m->req_id = 14;
	strcpy(s->name, "web");
	s->vlan = 100;
	s->mss_clamp = 1360;
	s->tunnel_id = 5001;
	s->gw_addr = IP4(198, 19, 100, 1);
	s->gw_prefix = 24;
	s->gw_side = L2X_CTL_GW_LOCAL;
	s->mac_limit = 4096;
}

static void mk_net_add_min(struct l2x_ctlmsg *m)
{
	struct l2x_ctl_net_add *s = &m->u.net_add;

	m->type = L2X_CTL_MSG_NET_ADD;
	strcpy(s->name, "Ab0_.-zZ9abcdefghijklmnopqrstuv"); /* 31 chars */
	s->vlan = L2X_CTL_VLAN_MIN;
	s->mss_clamp = L2X_CTL_MSS_AUTO;
	s->gw_side = L2X_CTL_GW_NONE;
}

static void mk_net_add_max(struct l2x_ctlmsg *m)
{
	struct l2x_ctl_net_add *s = &m->u.net_add;

	m->type = L2X_CTL_MSG_NET_ADD;
	strcpy(s->name, "x");
	s->vlan = L2X_CTL_VLAN_MAX;
	s->mss_clamp = L2X_CTL_MSS_MAX;
	s->tunnel_id = UINT32_MAX;
	s->gw_addr = IP4(198, 19, 7, 255); /* a host route: no broadcast */
	s->gw_prefix = 32;
	s->gw_side = L2X_CTL_GW_REMOTE;
	s->mac_limit = L2X_CTL_MAC_LIMIT_MAX;
}

static void mk_net_add_mss(struct l2x_ctlmsg *m)
{
	mk_net_add(m);
	m->u.net_add.mss_clamp = L2X_CTL_MSS_MIN;
	m->u.net_add.gw_prefix = 30;
	m->u.net_add.gw_addr = IP4(198, 19, 100, 2);
}

static void mk_net_add_off(struct l2x_ctlmsg *m)
{
	mk_net_add(m);
	m->u.net_add.mss_clamp = L2X_CTL_MSS_OFF;
	m->u.net_add.gw_prefix = 31; /* RFC 3021: both addresses usable */
	m->u.net_add.gw_addr = IP4(198, 19, 100, 0);
}

static void mk_net_del(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_NET_DEL;
	m->req_id = 15;
	strcpy(m->u.net_del.name, "db");
}

static void mk_net_del_vlan(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_NET_DEL;
	m->u.net_del.vlan = 200;
}

static void mk_show_macs(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SHOW;
	m->req_id = 16;
	m->u.show.what = L2X_CTL_SHOW_MACS;
	strcpy(m->u.show.network, "web");
}

static void mk_show_net(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SHOW;
	m->u.show.what = L2X_CTL_SHOW_NETWORKS;
}

static void mk_show_page_macs(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SHOW_PAGE;
	m->req_id = 17;
	m->u.show_page.what = L2X_CTL_SHOW_MACS;
	strcpy(m->u.show_page.network, "web");
	m->u.show_page.cursor = 0x01020304;
	m->u.show_page.max_rows = L2X_CTL_PAGE_ROWS_MAX;
}

static void mk_show_page_net(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SHOW_PAGE;
	m->u.show_page.what = L2X_CTL_SHOW_NETWORKS;
	m->u.show_page.cursor = 0;
	m->u.show_page.max_rows = 1;
}

static void mk_show_mtu(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SHOW;
	m->u.show.what = L2X_CTL_SHOW_MTU;
}

/* l2x-ike's table (its status socket), value 8, the last one. */
static void mk_show_ike(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SHOW;
	m->req_id = 23;
	m->u.show.what = L2X_CTL_SHOW_IKE;
}

static void mk_show_reply_ike(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SHOW_REPLY;
	m->req_id = 23;
	m->u.show_reply.what = L2X_CTL_SHOW_IKE;
	m->u.show_reply.text = "{\"what\": \"ike\", \"rows\": []}";
	m->u.show_reply.text_len = strlen(m->u.show_reply.text);
}

static void mk_macs_clear(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_MACS_CLEAR;
	m->req_id = 17;
	strcpy(m->u.macs_clear.network, "web");
}

static void mk_reload(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_CONFIG_RELOAD;
	m->req_id = 18;
}

static void mk_ok(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_OK;
	m->req_id = 19;
}

static void mk_error(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_ERROR;
	m->req_id = 20;
	m->u.error.code = EINVAL;
	strcpy(m->u.error.text, "vlan: 4095 is outside 1..4094");
}

static void mk_error_long(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_ERROR;
	m->u.error.code = L2X_CTL_ERRNO_MAX;
	memset(m->u.error.text, '~', L2X_CTL_TEXT_LEN - 1);
}

static void mk_sa_info(struct l2x_ctlmsg *m)
{
	struct l2x_ctl_sa_info *s = &m->u.sa_info;

	m->type = L2X_CTL_MSG_SA_INFO;
	m->req_id = 21;
	s->spi = 0xc1234567;
	s->dir = L2X_CTL_DIR_OUT;
	s->alg = L2X_AEAD_CHACHA20POLY1305;
	s->state = L2X_CTL_SA_SOFT_EXPIRED | L2X_CTL_SA_HARD_EXPIRED;
	s->packets = 0x0102030405060708ull;
	s->bytes = UINT64_MAX;
	s->last_use = 1700000000;
}

static void mk_spi_alloc(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SPI_ALLOC;
	m->req_id = 23;
}

static void mk_spi(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SPI;
	m->req_id = 24;
	m->u.spi.spi = 0xc2345678;
}

static void mk_spi_min(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SPI;
	m->u.spi.spi = L2X_CTL_SPI_MIN;
}

static void mk_spi_max(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SPI;
	m->req_id = UINT32_MAX;
	m->u.spi.spi = UINT32_MAX;
}

static void mk_peer_query(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_PEER_QUERY;
	m->req_id = 25;
}

static void mk_peer(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_PEER;
	m->req_id = 26;
	m->u.peer.peer_addr = 0xc6120201; /* 198.18.2.1 */
	m->u.peer.peer_port = 14501;
}

static void mk_show_reply(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SHOW_REPLY;
	m->flags = L2X_CTL_F_MORE;
	m->req_id = 22;
	m->u.show_reply.what = L2X_CTL_SHOW_NETWORKS;
	m->u.show_reply.text = show_json;
	m->u.show_reply.text_len = sizeof(show_json) - 1;
}

static void mk_show_reply_end(struct l2x_ctlmsg *m)
{
	m->type = L2X_CTL_MSG_SHOW_REPLY;
	m->u.show_reply.what = L2X_CTL_SHOW_DROPS;
}

static const struct sample {
	const char *name;
	make_fn make;
} samples[] = {
    {"sa_add", mk_sa_add},
    {"sa_add chacha out vxlan", mk_sa_add_chacha},
    {"sa_add limits", mk_sa_add_limits},
    {"sa_update", mk_sa_update},
    {"sa_del", mk_sa_del},
    {"sa_query", mk_sa_query},
    {"net_add", mk_net_add},
    {"net_add min", mk_net_add_min},
    {"net_add max", mk_net_add_max},
    {"net_add mss 536 /30", mk_net_add_mss},
    {"net_add mss off /31", mk_net_add_off},
    {"net_del name", mk_net_del},
    {"net_del vlan", mk_net_del_vlan},
    {"show macs web", mk_show_macs},
    {"show networks", mk_show_net},
    {"show mtu", mk_show_mtu},
    {"show_page macs web", mk_show_page_macs},
    {"show_page networks", mk_show_page_net},
    {"show ike", mk_show_ike},
    {"show_reply ike", mk_show_reply_ike},
    {"macs_clear", mk_macs_clear},
    {"config_reload", mk_reload},
    {"ok", mk_ok},
    {"error", mk_error},
    {"error 199 chars", mk_error_long},
    {"sa_info", mk_sa_info},
    {"show_reply more", mk_show_reply},
    {"show_reply empty end", mk_show_reply_end},
    {"spi_alloc", mk_spi_alloc},
    {"spi", mk_spi},
    {"spi 256", mk_spi_min},
    {"spi 2^32-1", mk_spi_max},
    {"peer_query", mk_peer_query},
    {"peer", mk_peer},
};

/* ---- helpers ------------------------------------------------------------ */

static uint8_t wbuf[L2X_CTL_MSG_MAX];

static size_t build(make_fn make, struct l2x_ctlmsg *m, uint8_t *buf)
{
	ssize_t n;

	memset(m, 0, sizeof(*m));
	make(m);
	n = l2x_ctlmsg_build(m, buf, L2X_CTL_MSG_MAX);
	if (n < (ssize_t)HDR) {
		struct l2x_ctl_fault f;

		l2x_ctlmsg_check(m, &f);
		fail_msg("build %s: %zd (%s)", l2x_ctlmsg_type_str(m->type), n,
			 f.text);
	}
	return (size_t)n;
}

/* Parse a copy in a heap buffer of exactly len bytes, so that ASan sees
 * any read past the end. The copy is kept until the next call (parsed
 * SHOW_REPLY text points into it). */
static uint8_t *held;

static enum l2x_ctl_err parse_exact(const uint8_t *p, size_t len,
				    struct l2x_ctlmsg *out)
{
	free(held);
	held = malloc(len > 0 ? len : 1);
	assert_non_null(held);
	if (len > 0)
		memcpy(held, p, len);
	return l2x_ctlmsg_parse(held, len, out);
}

static void put_be(uint8_t *p, unsigned width, uint64_t v)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

#define EQ(f)                                                               \
	do {                                                                \
		if ((uint64_t)(a->f) != (uint64_t)(b->f))                   \
			fail_msg("%s: " #f ": 0x%" PRIx64 " != 0x%" PRIx64, \
				 what, (uint64_t)(a->f), (uint64_t)(b->f)); \
	} while (0)
#define STREQ(f)                                                             \
	do {                                                                 \
		if (memcmp(a->f, b->f, sizeof(a->f)) != 0)                   \
			fail_msg("%s: " #f ": \"%.*s\" != \"%.*s\"", what,   \
				 (int)sizeof(a->f), a->f, (int)sizeof(a->f), \
				 b->f);                                      \
	} while (0)

/* Field-by-field comparison of two messages of the same type. */
static void assert_same(const char *what, const struct l2x_ctlmsg *a,
			const struct l2x_ctlmsg *b)
{
	EQ(type);
	EQ(flags);
	EQ(req_id);
	switch (a->type) {
	case L2X_CTL_MSG_SA_ADD:
		EQ(u.sa_add.spi);
		EQ(u.sa_add.dir);
		EQ(u.sa_add.alg);
		EQ(u.sa_add.encap);
		EQ(u.sa_add.sa_flags);
		EQ(u.sa_add.replay_window);
		EQ(u.sa_add.key_len);
		if (memcmp(a->u.sa_add.key, b->u.sa_add.key, L2X_CTL_KEY_MAX))
			fail_msg("%s: key differs", what);
		EQ(u.sa_add.soft.bytes);
		EQ(u.sa_add.soft.packets);
		EQ(u.sa_add.soft.seconds);
		EQ(u.sa_add.hard.bytes);
		EQ(u.sa_add.hard.packets);
		EQ(u.sa_add.hard.seconds);
		EQ(u.sa_add.peer_addr);
		EQ(u.sa_add.local_addr);
		EQ(u.sa_add.peer_port);
		EQ(u.sa_add.local_port);
		EQ(u.sa_add.tunnel);
		break;
	case L2X_CTL_MSG_SA_UPDATE:
		EQ(u.sa_update.spi);
		EQ(u.sa_update.dir);
		EQ(u.sa_update.peer_addr);
		EQ(u.sa_update.peer_port);
		break;
	case L2X_CTL_MSG_SA_DEL:
	case L2X_CTL_MSG_SA_QUERY:
		EQ(u.sa_id.spi);
		EQ(u.sa_id.dir);
		break;
	case L2X_CTL_MSG_NET_ADD:
		STREQ(u.net_add.name);
		EQ(u.net_add.vlan);
		EQ(u.net_add.mss_clamp);
		EQ(u.net_add.tunnel_id);
		EQ(u.net_add.gw_addr);
		EQ(u.net_add.gw_prefix);
		EQ(u.net_add.gw_side);
		EQ(u.net_add.mac_limit);
		break;
	case L2X_CTL_MSG_NET_DEL:
		STREQ(u.net_del.name);
		EQ(u.net_del.vlan);
		break;
	case L2X_CTL_MSG_SHOW:
		EQ(u.show.what);
		STREQ(u.show.network);
		break;
	case L2X_CTL_MSG_SHOW_PAGE:
		EQ(u.show_page.what);
		STREQ(u.show_page.network);
		EQ(u.show_page.cursor);
		EQ(u.show_page.max_rows);
		break;
	case L2X_CTL_MSG_MACS_CLEAR:
		STREQ(u.macs_clear.network);
		break;
	case L2X_CTL_MSG_ERROR:
		EQ(u.error.code);
		STREQ(u.error.text);
		break;
	case L2X_CTL_MSG_SA_INFO:
		EQ(u.sa_info.spi);
		EQ(u.sa_info.dir);
		EQ(u.sa_info.alg);
		EQ(u.sa_info.state);
		EQ(u.sa_info.packets);
		EQ(u.sa_info.bytes);
		EQ(u.sa_info.last_use);
		break;
	case L2X_CTL_MSG_SHOW_REPLY:
		EQ(u.show_reply.what);
		EQ(u.show_reply.text_len);
		if (a->u.show_reply.text_len &&
		    memcmp(a->u.show_reply.text, b->u.show_reply.text,
			   a->u.show_reply.text_len))
			fail_msg("%s: text differs", what);
		break;
	case L2X_CTL_MSG_SPI:
		EQ(u.spi.spi);
		break;
	case L2X_CTL_MSG_PEER:
		EQ(u.peer.peer_addr);
		EQ(u.peer.peer_port);
		break;
	case L2X_CTL_MSG_CONFIG_RELOAD:
	case L2X_CTL_MSG_SPI_ALLOC:
	case L2X_CTL_MSG_PEER_QUERY:
	case L2X_CTL_MSG_OK:
		break;
	}
}

/* A fault text travels as it is in an ERROR reply. */
static void assert_fits_error(size_t case_no, const char *text)
{
	struct l2x_ctlmsg reply = {.type = L2X_CTL_MSG_ERROR};
	uint8_t rbuf[HDR + sizeof(struct l2x_ctl_w_error)];

	reply.u.error.code = EPROTO;
	memcpy(reply.u.error.text, text, sizeof(reply.u.error.text));
	if (l2x_ctlmsg_build(&reply, rbuf, sizeof(rbuf)) != sizeof(rbuf))
		fail_msg("case %zu: \"%s\" does not fit an ERROR", case_no,
			 text);
}

/* ---- round trips and known bytes ---------------------------------------- */

static void test_round_trip(void **state)
{
	struct l2x_ctlmsg m, out;
	uint8_t again[L2X_CTL_MSG_MAX];
	(void)state;

	for (size_t i = 0; i < NELEM(samples); i++) {
		size_t n = build(samples[i].make, &m, wbuf);
		enum l2x_ctl_err err = parse_exact(wbuf, n, &out);

		if (err != L2X_CTL_ERR_OK)
			fail_msg("case %zu %s: %s", i + 1, samples[i].name,
				 out.fault.text);
		assert_int_equal(out.fault.err, L2X_CTL_ERR_OK);
		assert_same(samples[i].name, &m, &out);
		/* One encoding per message: rebuilding gives the same bytes. */
		assert_int_equal(l2x_ctlmsg_build(&out, again, sizeof(again)),
				 n);
		assert_memory_equal(again, wbuf, n);
		l2x_ctlmsg_wipe(&out);
	}
}

static void test_show_every_what(void **state)
{
	struct l2x_ctlmsg m = {0}, out;
	(void)state;

	for (unsigned w = L2X_CTL_SHOW_NETWORKS; w <= L2X_CTL_SHOW_IKE; w++) {
		ssize_t n;

		m.type = L2X_CTL_MSG_SHOW;
		m.u.show.what = (enum l2x_ctl_show)w;
		n = l2x_ctlmsg_build(&m, wbuf, sizeof(wbuf));
		assert_int_equal(n, HDR + sizeof(struct l2x_ctl_w_show));
		assert_int_equal(parse_exact(wbuf, (size_t)n, &out),
				 L2X_CTL_ERR_OK);
		assert_int_equal(out.u.show.what, w);
		assert_string_not_equal(l2x_ctlmsg_show_str(out.u.show.what),
					"unknown");
	}
}

/* The bytes themselves, so that a symmetric mistake (both ends wrong
 * the same way) cannot pass: network byte order, offsets, padding. */
static void test_known_bytes(void **state)
{
	struct l2x_ctlmsg m;
	uint8_t want[128];
	size_t n, k;
	(void)state;

	n = build(mk_sa_del, &m, wbuf);
	k = l2x_test_hex("4c325843 01 03 0000 00000008 0000000c"
			 "c0012345 01 000000",
			 want, sizeof(want));
	assert_int_equal(n, k);
	assert_memory_equal(wbuf, want, k);

	n = build(mk_net_add, &m, wbuf);
	k = l2x_test_hex("4c325843 01 05 0000 00000034 0000000e"
			 "77656200 00000000 00000000 00000000"
			 "00000000 00000000 00000000 00000000"
			 "0064 0550 00001389 c6136401 18 01 0000 00001000",
			 want, sizeof(want));
	assert_int_equal(n, k);
	assert_memory_equal(wbuf, want, k);

	/* SHOW of l2x-ike's table: what = 8 at the body's first byte. */
	n = build(mk_show_ike, &m, wbuf);
	k = l2x_test_hex("4c325843 01 07 0000 00000024 00000017"
			 "08 000000",
			 want, sizeof(want));
	assert_int_equal(n, HDR + sizeof(struct l2x_ctl_w_show));
	assert_memory_equal(wbuf, want, k);
	for (size_t i = k; i < (size_t)n; i++)
		assert_int_equal(wbuf[i], 0);

	n = build(mk_show_reply, &m, wbuf);
	k = l2x_test_hex("4c325843 01 84 0001", want, sizeof(want));
	assert_memory_equal(wbuf, want, k);
	assert_int_equal(n, HDR + 4 + sizeof(show_json) - 1);

	/* SA_ADD: the fields a mistake would most likely shift. */
	n = build(mk_sa_add, &m, wbuf);
	assert_int_equal(n, HDR + 112);
	k = l2x_test_hex("c1234567 00 14 00 01 0400 24 00 a0a1", want,
			 sizeof(want));
	assert_memory_equal(wbuf + HDR, want, k);
	k = l2x_test_hex("00000000 40000000", want, sizeof(want));
	assert_memory_equal(wbuf + HDR + OFF(sa_add, soft_bytes), want, k);
	k = l2x_test_hex("c6120202 c6120102 1194 1195 00000007", want,
			 sizeof(want));
	assert_memory_equal(wbuf + HDR + OFF(sa_add, peer_addr), want, k);
}

/* SPI_ALLOC (empty body) and SPI (4 bytes): the known bytes, every body
 * length but the right one refused as BODY_SIZE, and SPIs below 256
 * refused by the parser and the builder alike. */
static void test_spi_messages(void **state)
{
	static const uint32_t low[] = {0, 1, 2, 127, 255};
	struct l2x_ctlmsg m, out;
	uint8_t want[64];
	size_t n, k;
	(void)state;

	n = build(mk_spi_alloc, &m, wbuf);
	k = l2x_test_hex("4c325843 01 0a 0000 00000000 00000017", want,
			 sizeof(want));
	assert_int_equal(n, k);
	assert_memory_equal(wbuf, want, k);
	n = build(mk_spi, &m, wbuf);
	k = l2x_test_hex("4c325843 01 85 0000 00000004 00000018 c2345678", want,
			 sizeof(want));
	assert_int_equal(n, k);
	assert_memory_equal(wbuf, want, k);

	/* Every body length from 0 to 40 but the type's own. */
	for (int t = 0; t < 2; t++) {
		make_fn make = t == 0 ? mk_spi_alloc : mk_spi;
		size_t good = t == 0 ? 0 : sizeof(struct l2x_ctl_w_spi);

		for (size_t blen = 0; blen <= 40; blen++) {
			enum l2x_ctl_err err;

			build(make, &m, wbuf);
			memset(wbuf + HDR + good, 0, sizeof(wbuf) - HDR - good);
			put_be(wbuf + 8, 4, blen);
			err = parse_exact(wbuf, HDR + blen, &out);
			if (blen == good) {
				L2X_CHECK(err == L2X_CTL_ERR_OK,
					  "type %d len %zu: %s\n", t, blen,
					  out.fault.text);
				continue;
			}
			L2X_CHECK(err == L2X_CTL_ERR_BODY_SIZE,
				  "type %d len %zu: %s\n", t, blen,
				  l2x_ctl_err_str(err));
			L2X_CHECK(strcmp(out.fault.field, "length") == 0,
				  "type %d len %zu: field %s\n", t, blen,
				  out.fault.field);
		}
	}

	/* No SPI below 256, in SPI or in an SA message; 256 is fine. */
	for (size_t i = 0; i < NELEM(low); i++) {
		struct l2x_ctl_fault f;

		memset(&m, 0, sizeof(m));
		mk_spi(&m);
		m.u.spi.spi = low[i];
		L2X_CHECK(l2x_ctlmsg_build(&m, wbuf, sizeof(wbuf)) == -EINVAL,
			  "spi %u built\n", low[i]);
		L2X_CHECK(l2x_ctlmsg_check(&m, &f) == L2X_CTL_ERR_BAD_FIELD &&
			      f.value == low[i] &&
			      strstr(f.text, "RFC 4303") != NULL,
			  "spi %u: %s\n", low[i], f.text);
		memset(&m, 0, sizeof(m));
		mk_sa_add(&m);
		m.u.sa_add.spi = low[i];
		L2X_CHECK(l2x_ctlmsg_build(&m, wbuf, sizeof(wbuf)) == -EINVAL,
			  "sa_add spi %u built\n", low[i]);
		l2x_ctlmsg_wipe(&m);
	}
	memset(&m, 0, sizeof(m));
	mk_sa_update(&m);
	m.u.sa_update.spi = L2X_CTL_SPI_MIN;
	assert_int_equal(l2x_ctlmsg_build(&m, wbuf, sizeof(wbuf)),
			 HDR + sizeof(struct l2x_ctl_w_sa_update));
}

/* What l2x_ctlmsg_show_reply_each hands to emit: the messages, each
 * built and parsed back, their text joined. */
static struct {
	unsigned int n, stop_at;
	uint16_t flags[8];
	char text[3 * L2X_CTL_SHOW_TEXT_MAX];
	size_t len;
} em;

static int emit(void *ctx, const struct l2x_ctlmsg *m)
{
	static uint8_t buf[L2X_CTL_MSG_MAX];
	struct l2x_ctlmsg out;
	ssize_t n = l2x_ctlmsg_build(m, buf, sizeof(buf));

	(void)ctx;
	assert_true(n > 0);
	assert_int_equal(l2x_ctlmsg_parse(buf, (size_t)n, &out),
			 L2X_CTL_ERR_OK);
	assert_int_equal(out.type, L2X_CTL_MSG_SHOW_REPLY);
	assert_int_equal(out.req_id, 77);
	assert_int_equal(out.u.show_reply.what, L2X_CTL_SHOW_MACS);
	assert_true(em.n < 8);
	em.flags[em.n++] = out.flags;
	memcpy(em.text + em.len, out.u.show_reply.text,
	       out.u.show_reply.text_len);
	em.len += out.u.show_reply.text_len;
	return em.n == em.stop_at ? 7 : 0;
}

static int each(const char *text, size_t len, unsigned int stop_at)
{
	memset(&em, 0, sizeof(em));
	em.stop_at = stop_at;
	return l2x_ctlmsg_show_reply_each(L2X_CTL_SHOW_MACS, 77, text, len,
					  emit, NULL);
}

/* A SHOW answer in SHOW_REPLY chunks: MORE on all but the last, the text
 * whole and cut only between characters, emit's error stops it. */
static void test_show_reply_each(void **state)
{
	static char big[2 * L2X_CTL_SHOW_TEXT_MAX + 10];
	(void)state;

	assert_int_equal(each("[]", 2, 0), 0);
	assert_int_equal(em.n, 1);
	assert_int_equal(em.flags[0], 0);
	assert_memory_equal(em.text, "[]", 2);

	assert_int_equal(each(NULL, 0, 0), 0); /* empty: one empty reply */
	assert_int_equal(em.n, 1);
	assert_int_equal(em.len, 0);

	/* three chunks; a 2-byte character across the first cut stays whole */
	memset(big, 'x', sizeof(big));
	big[L2X_CTL_SHOW_TEXT_MAX - 1] = (char)0xc3;
	big[L2X_CTL_SHOW_TEXT_MAX] = (char)0xa9;
	assert_int_equal(each(big, sizeof(big), 0), 0);
	assert_int_equal(em.n, 3);
	assert_int_equal(em.flags[0], L2X_CTL_F_MORE);
	assert_int_equal(em.flags[1], L2X_CTL_F_MORE);
	assert_int_equal(em.flags[2], 0);
	assert_int_equal(em.len, sizeof(big));
	assert_memory_equal(em.text, big, sizeof(big));

	/* emit fails on the second: stop there, its value back */
	assert_int_equal(each(big, sizeof(big), 2), 7);
	assert_int_equal(em.n, 2);

	/* no character boundary within a chunk: refused, nothing loops */
	memset(big, 0x80, sizeof(big));
	assert_int_equal(each(big, sizeof(big), 0), -1);
	assert_int_equal(em.n, 0);
}

/* PEER_QUERY (empty body) and PEER (8 bytes): the known bytes, the body
 * size, and the peer refused unless unicast with a port, reserved bytes
 * zero. */
static void test_peer_messages(void **state)
{
	static const uint32_t bad_addr[] = {0, 0x7f000001, 0xe0000001,
					    0xffffffff};
	struct l2x_ctlmsg m, out;
	struct l2x_ctl_fault f;
	uint8_t want[64];
	size_t n, k;
	(void)state;

	n = build(mk_peer_query, &m, wbuf);
	k = l2x_test_hex("4c325843 01 0b 0000 00000000 00000019", want,
			 sizeof(want));
	assert_int_equal(n, k);
	assert_memory_equal(wbuf, want, k);
	n = build(mk_peer, &m, wbuf);
	k = l2x_test_hex("4c325843 01 86 0000 00000008 0000001a c6120201 38a5 "
			 "0000",
			 want, sizeof(want));
	assert_int_equal(n, k);
	assert_memory_equal(wbuf, want, k);
	assert_int_equal(parse_exact(wbuf, n, &out), L2X_CTL_ERR_OK);
	assert_same("peer", &m, &out);

	/* a body on PEER_QUERY, a short or long PEER */
	build(mk_peer_query, &m, wbuf);
	put_be(wbuf + 8, 4, 4);
	assert_int_equal(parse_exact(wbuf, HDR + 4, &out),
			 L2X_CTL_ERR_BODY_SIZE);
	for (size_t blen = 0; blen <= 12; blen++) {
		if (blen == sizeof(struct l2x_ctl_w_peer))
			continue;
		build(mk_peer, &m, wbuf);
		put_be(wbuf + 8, 4, blen);
		L2X_CHECK(parse_exact(wbuf, HDR + blen, &out) ==
			      L2X_CTL_ERR_BODY_SIZE,
			  "peer body %zu accepted\n", blen);
	}
	/* reserved bytes */
	build(mk_peer, &m, wbuf);
	wbuf[HDR + OFF(peer, reserved0) + 1] = 1;
	assert_int_equal(parse_exact(wbuf, HDR + 8, &out),
			 L2X_CTL_ERR_RESERVED_NONZERO);
	/* not unicast, no port: refused by the builder and the parser */
	for (size_t i = 0; i < NELEM(bad_addr); i++) {
		memset(&m, 0, sizeof(m));
		mk_peer(&m);
		m.u.peer.peer_addr = bad_addr[i];
		L2X_CHECK(l2x_ctlmsg_build(&m, wbuf, sizeof(wbuf)) == -EINVAL,
			  "peer %08x built\n", bad_addr[i]);
		L2X_CHECK(l2x_ctlmsg_check(&m, &f) == L2X_CTL_ERR_BAD_FIELD &&
			      strcmp(f.field, "peer_addr") == 0,
			  "peer %08x: %s\n", bad_addr[i], f.text);
		build(mk_peer, &m, wbuf);
		put_be(wbuf + HDR + OFF(peer, peer_addr), 4, bad_addr[i]);
		L2X_CHECK(parse_exact(wbuf, HDR + 8, &out) ==
			      L2X_CTL_ERR_BAD_FIELD,
			  "peer %08x parsed\n", bad_addr[i]);
	}
	memset(&m, 0, sizeof(m));
	mk_peer(&m);
	m.u.peer.peer_port = 0;
	assert_int_equal(l2x_ctlmsg_check(&m, &f), L2X_CTL_ERR_BAD_FIELD);
	assert_string_equal(f.field, "peer_port");
	build(mk_peer, &m, wbuf);
	put_be(wbuf + HDR + OFF(peer, peer_port), 2, 0);
	assert_int_equal(parse_exact(wbuf, HDR + 8, &out),
			 L2X_CTL_ERR_BAD_FIELD);
}

/* ---- truncation, trailing bytes, header faults -------------------------- */

static void test_every_truncation(void **state)
{
	struct l2x_ctlmsg m, out;
	(void)state;

	for (size_t i = 0; i < NELEM(samples); i++) {
		size_t n = build(samples[i].make, &m, wbuf);

		for (size_t len = 0; len < n; len++) {
			enum l2x_ctl_err want =
			    len < HDR ? L2X_CTL_ERR_SHORT
				      : L2X_CTL_ERR_LENGTH_MISMATCH;
			enum l2x_ctl_err got = parse_exact(wbuf, len, &out);

			if (got != want || out.fault.err != want)
				fail_msg("case %zu %s len %zu: %s, want %s",
					 i + 1, samples[i].name, len,
					 l2x_ctl_err_str(got),
					 l2x_ctl_err_str(want));
			if (!all_zero(&out.u, sizeof(out.u)))
				fail_msg("case %zu len %zu: body not cleared",
					 i + 1, len);
		}
	}
}

static void test_trailing_bytes(void **state)
{
	struct l2x_ctlmsg m, out;
	(void)state;

	for (size_t i = 0; i < NELEM(samples); i++) {
		size_t n = build(samples[i].make, &m, wbuf);
		enum l2x_ctl_err err;

		/* Garbage after the announced body. */
		wbuf[n] = 'x';
		err = parse_exact(wbuf, n + 1, &out);
		if (err != L2X_CTL_ERR_LENGTH_MISMATCH)
			fail_msg("case %zu %s: +1 byte: %s", i + 1,
				 samples[i].name, l2x_ctl_err_str(err));
		/* Announced too: a fixed body is the wrong size; a SHOW_REPLY
		 * simply carries one more character of text. */
		put_be(wbuf + 8, 4, n + 1 - HDR);
		err = parse_exact(wbuf, n + 1, &out);
		if (m.type == L2X_CTL_MSG_SHOW_REPLY) {
			assert_int_equal(err, L2X_CTL_ERR_OK);
			assert_int_equal(out.u.show_reply.text_len,
					 m.u.show_reply.text_len + 1);
		} else if (err != L2X_CTL_ERR_BODY_SIZE) {
			fail_msg("case %zu %s: +1 announced: %s", i + 1,
				 samples[i].name, l2x_ctl_err_str(err));
		}
		/* A fixed body one byte short, announced as such. */
		if (n > HDR && m.type != L2X_CTL_MSG_SHOW_REPLY) {
			put_be(wbuf + 8, 4, n - 1 - HDR);
			err = parse_exact(wbuf, n - 1, &out);
			if (err != L2X_CTL_ERR_BODY_SIZE)
				fail_msg("case %zu %s: -1 announced: %s", i + 1,
					 samples[i].name, l2x_ctl_err_str(err));
		}
	}
	/* SHOW_REPLY shorter than its fixed part. */
	build(mk_show_reply_end, &m, wbuf);
	put_be(wbuf + 8, 4, 3);
	assert_int_equal(parse_exact(wbuf, HDR + 3, &out),
			 L2X_CTL_ERR_BODY_SIZE);
	assert_string_equal(out.fault.field, "length");
}

static const struct hdr_case {
	unsigned off, width;
	uint64_t val;
	enum l2x_ctl_err err;
	const char *field;
	uint64_t value; /* expected fault.value */
} hdr_cases[] = {
    /* 1 */ {0, 1, 'M', L2X_CTL_ERR_BAD_MAGIC, "magic", 0x4d325843},
    {1, 1, '3', L2X_CTL_ERR_BAD_MAGIC, "magic", 0x4c335843},
    {3, 1, 'c', L2X_CTL_ERR_BAD_MAGIC, "magic", 0x4c325863},
    {0, 4, 0x43583c4c, L2X_CTL_ERR_BAD_MAGIC, "magic", 0x43583c4c},
    /* 5 */ {4, 1, 0, L2X_CTL_ERR_BAD_VERSION, "version", 0},
    {4, 1, 2, L2X_CTL_ERR_BAD_VERSION, "version", 2},
    {4, 1, 255, L2X_CTL_ERR_BAD_VERSION, "version", 255},
    /* 8 */ {5, 1, 0, L2X_CTL_ERR_UNKNOWN_TYPE, "type", 0},
    {5, 1, 0x0d, L2X_CTL_ERR_UNKNOWN_TYPE, "type", 0x0d},
    /* 10 */ {5, 1, 0x80, L2X_CTL_ERR_UNKNOWN_TYPE, "type", 0x80},
    {5, 1, 0x87, L2X_CTL_ERR_UNKNOWN_TYPE, "type", 0x87},
    {5, 1, 0xff, L2X_CTL_ERR_UNKNOWN_TYPE, "type", 0xff},
    /* 13: MORE belongs to SHOW_REPLY only */
    {6, 2, L2X_CTL_F_MORE, L2X_CTL_ERR_BAD_FLAGS, "flags", 1},
    {6, 2, 0x8000, L2X_CTL_ERR_BAD_FLAGS, "flags", 0x8000},
    /* 15 */
    {8, 4, L2X_CTL_BODY_MAX + 1, L2X_CTL_ERR_TOO_LONG, "length",
     L2X_CTL_BODY_MAX + 1},
    {8, 4, UINT32_MAX, L2X_CTL_ERR_TOO_LONG, "length", UINT32_MAX},
    {8, 4, 7, L2X_CTL_ERR_LENGTH_MISMATCH, "length", 7},
    {8, 4, 0, L2X_CTL_ERR_LENGTH_MISMATCH, "length", 0},
};

/* Header faults on an SA_DEL; the request id survives every fault after
 * the version check, for the ERROR reply. */
static void test_header_faults(void **state)
{
	struct l2x_ctlmsg m, out;
	(void)state;

	for (size_t i = 0; i < NELEM(hdr_cases); i++) {
		const struct hdr_case *c = &hdr_cases[i];
		size_t n = build(mk_sa_del, &m, wbuf);
		enum l2x_ctl_err err;

		put_be(wbuf + c->off, c->width, c->val);
		err = parse_exact(wbuf, n, &out);
		if (err != c->err || out.fault.err != c->err)
			fail_msg("case %zu: %s (%s), want %s", i + 1,
				 l2x_ctl_err_str(err), out.fault.text,
				 l2x_ctl_err_str(c->err));
		if (out.fault.field == NULL ||
		    strcmp(out.fault.field, c->field) != 0)
			fail_msg("case %zu: field %s, want %s", i + 1,
				 out.fault.field ? out.fault.field : "(null)",
				 c->field);
		if (out.fault.value != c->value)
			fail_msg("case %zu: value 0x%" PRIx64
				 ", want 0x%" PRIx64,
				 i + 1, out.fault.value, c->value);
		if (c->err != L2X_CTL_ERR_BAD_MAGIC &&
		    c->err != L2X_CTL_ERR_BAD_VERSION && out.req_id != m.req_id)
			fail_msg("case %zu: req_id %u lost", i + 1, m.req_id);
		assert_fits_error(i + 1, out.fault.text);
	}
	/* The offending version is in the sentence, too. */
	build(mk_sa_del, &m, wbuf);
	wbuf[4] = 7;
	assert_int_equal(parse_exact(wbuf, HDR + 8, &out),
			 L2X_CTL_ERR_BAD_VERSION);
	assert_non_null(strstr(out.fault.text, "version 7"));
	/* A SHOW_REPLY may carry MORE, but no other bit. */
	build(mk_show_reply, &m, wbuf);
	wbuf[6] = 0x40;
	assert_int_equal(
	    parse_exact(wbuf, HDR + 4 + sizeof(show_json) - 1, &out),
	    L2X_CTL_ERR_BAD_FLAGS);
	/* A datagram larger than any message. */
	memset(wbuf, 0, sizeof(wbuf));
	build(mk_ok, &m, wbuf);
	assert_int_equal(parse_exact(wbuf, sizeof(wbuf), &out),
			 L2X_CTL_ERR_LENGTH_MISMATCH);
}

/* ---- out-of-range fields: one table ------------------------------------- */

enum { BE, FILL };
struct patch {
	uint8_t op;    /* BE: store val big-endian in width bytes */
	uint8_t width; /* FILL: width bytes of val */
	uint16_t off;  /* from the start of the body */
	uint64_t val;
};
/* Layout kept by hand: one case a line, numbered every fifth. */
/* clang-format off */
#define P(o, w, v) {BE, w, o, v}
#define F(o, w, v) {FILL, w, o, v}
#define SA(f) OFF(sa_add, f)
#define SU(f) OFF(sa_update, f)
#define NA(f) OFF(net_add, f)
#define ND(f) OFF(net_del, f)
#define SH(f) OFF(show, f)
#define PG(f) OFF(show_page, f)
#define ER(f) OFF(error, f)
#define SI(f) OFF(sa_info, f)
#define TXT(i) (sizeof(struct l2x_ctl_w_show_reply) + (i))
#define E(x) L2X_CTL_ERR_##x
static const struct field_case {
	make_fn make;
	struct patch p[2];
	enum l2x_ctl_err err;
	const char *field;
} field_cases[] = {
/* 1 */	{mk_sa_add, {P(SA(spi), 4, 0)}, E(BAD_FIELD), "spi"},
	{mk_sa_add, {P(SA(dir), 1, 2)}, E(BAD_FIELD), "dir"},
	{mk_sa_add, {P(SA(dir), 1, 255)}, E(BAD_FIELD), "dir"},
	{mk_sa_add, {P(SA(alg), 1, 0)}, E(BAD_ALG), "alg"},
/* 5 */	{mk_sa_add, {P(SA(alg), 1, 12)}, E(BAD_ALG), "alg"}, /* AES-CBC */
	{mk_sa_add, {P(SA(alg), 1, 19)}, E(BAD_ALG), "alg"}, /* GCM-12 */
	{mk_sa_add, {P(SA(encap), 1, 2)}, E(BAD_FIELD), "encap"},
	{mk_sa_add, {P(SA(sa_flags), 1, 2)}, E(BAD_FLAGS), "sa_flags"},
	{mk_sa_add, {P(SA(sa_flags), 1, 0x81)}, E(BAD_FLAGS), "sa_flags"},
/* 10 */{mk_sa_add, {P(SA(replay_window), 2, L2X_CTL_REPLAY_MAX + 1)}, E(BAD_FIELD), "replay_window"},
	{mk_sa_add, {P(SA(replay_window), 2, 0xffff)}, E(BAD_FIELD), "replay_window"},
	/* key_len 32 leaves the salt past it: refused, never quoted */
	{mk_sa_add, {P(SA(key_len), 1, 32)}, E(RESERVED_NONZERO), "key"},
	{mk_sa_add, {P(SA(key_len), 1, 32), F(SA(key) + 32, 4, 0)}, E(BAD_KEY_LEN), "key_len"},
	{mk_sa_add, {P(SA(key_len), 1, 37)}, E(BAD_KEY_LEN), "key_len"},
/* 15 */{mk_sa_add, {P(SA(key_len), 1, 255)}, E(BAD_KEY_LEN), "key_len"},
	{mk_sa_add, {P(SA(key_len), 1, 0), F(SA(key), 36, 0)}, E(BAD_KEY_LEN), "key_len"},
	{mk_sa_add, {P(SA(reserved0), 1, 1)}, E(RESERVED_NONZERO), "reserved0"},
	{mk_sa_add, {P(SA(soft_bytes), 8, (1ull << 31) + 1)}, E(BAD_FIELD), "soft_bytes"},
	{mk_sa_add, {P(SA(soft_packets), 8, UINT64_MAX)}, E(BAD_FIELD), "soft_packets"},
/* 20 */{mk_sa_add, {P(SA(soft_seconds), 8, 3601)}, E(BAD_FIELD), "soft_seconds"},
	{mk_sa_add, {P(SA(peer_addr), 4, 0)}, E(BAD_FIELD), "peer_addr"},
	{mk_sa_add, {P(SA(peer_addr), 4, IP4(127, 0, 0, 1))}, E(BAD_FIELD), "peer_addr"},
	{mk_sa_add, {P(SA(peer_addr), 4, IP4(224, 0, 0, 1))}, E(BAD_FIELD), "peer_addr"},
	{mk_sa_add, {P(SA(peer_addr), 4, IP4(240, 0, 0, 1))}, E(BAD_FIELD), "peer_addr"},
/* 25 */{mk_sa_add, {P(SA(peer_addr), 4, UINT32_MAX)}, E(BAD_FIELD), "peer_addr"},
	{mk_sa_add, {P(SA(local_addr), 4, IP4(0, 1, 2, 3))}, E(BAD_FIELD), "local_addr"},
	{mk_sa_add, {P(SA(peer_port), 2, 0)}, E(BAD_FIELD), "peer_port"},
	{mk_sa_add, {P(SA(local_port), 2, 0)}, E(BAD_FIELD), "local_port"},
	{mk_sa_add, {P(SA(tunnel), 4, 0)}, E(BAD_FIELD), "tunnel"},
/* 30 */{mk_sa_update, {P(SU(spi), 4, 0)}, E(BAD_FIELD), "spi"},
	{mk_sa_update, {P(SU(dir), 1, 2)}, E(BAD_FIELD), "dir"},
	{mk_sa_update, {P(SU(peer_addr), 4, 0)}, E(BAD_FIELD), "peer_addr"},
	{mk_sa_update, {P(SU(peer_addr), 4, IP4(239, 1, 1, 1))}, E(BAD_FIELD), "peer_addr"},
	{mk_sa_update, {P(SU(peer_port), 2, 0)}, E(BAD_FIELD), "peer_port"},
/* 35 */{mk_sa_del, {P(OFF(sa_id, spi), 4, 0)}, E(BAD_FIELD), "spi"},
	{mk_sa_del, {P(OFF(sa_id, dir), 1, 3)}, E(BAD_FIELD), "dir"},
	{mk_sa_query, {P(OFF(sa_id, spi), 4, 0)}, E(BAD_FIELD), "spi"},
	{mk_sa_query, {P(OFF(sa_id, dir), 1, 0x80)}, E(BAD_FIELD), "dir"},
	{mk_net_add, {F(NA(name), 4, 0)}, E(BAD_NAME), "name"}, /* empty */
/* 40 */{mk_net_add, {F(NA(name), 32, 'a')}, E(BAD_NAME), "name"}, /* no NUL */
	{mk_net_add, {P(NA(name) + 1, 1, ' ')}, E(BAD_NAME), "name"},
	{mk_net_add, {P(NA(name) + 1, 1, '/')}, E(BAD_NAME), "name"},
	{mk_net_add, {P(NA(name) + 2, 1, 0xc3)}, E(BAD_NAME), "name"},
	{mk_net_add, {P(NA(name), 1, 0)}, E(RESERVED_NONZERO), "name"}, /* "\0eb" */
/* 45 */{mk_net_add, {P(NA(vlan), 2, 0)}, E(BAD_FIELD), "vlan"},
	{mk_net_add, {P(NA(vlan), 2, 4095)}, E(BAD_FIELD), "vlan"},
	{mk_net_add, {P(NA(vlan), 2, 0xffff)}, E(BAD_FIELD), "vlan"},
	{mk_net_add, {P(NA(mss_clamp), 2, 2)}, E(BAD_FIELD), "mss_clamp"},
	{mk_net_add, {P(NA(mss_clamp), 2, L2X_CTL_MSS_MIN - 1)}, E(BAD_FIELD), "mss_clamp"},
/* 50 */{mk_net_add, {P(NA(mss_clamp), 2, L2X_CTL_MSS_MAX + 1)}, E(BAD_FIELD), "mss_clamp"},
	{mk_net_add, {P(NA(gw_side), 1, 3)}, E(BAD_FIELD), "gw_side"},
	{mk_net_add, {P(NA(gw_side), 1, L2X_CTL_GW_NONE)}, E(BAD_FIELD), "gw_addr"},
	{mk_net_add, {P(NA(gw_side), 1, L2X_CTL_GW_NONE), P(NA(gw_addr), 4, 0)}, E(BAD_FIELD), "gw_prefix"},
	{mk_net_add, {P(NA(gw_prefix), 1, 0)}, E(BAD_FIELD), "gw_prefix"},
/* 55 */{mk_net_add, {P(NA(gw_prefix), 1, 33)}, E(BAD_FIELD), "gw_prefix"},
	{mk_net_add, {P(NA(gw_addr), 4, IP4(198, 19, 100, 0))}, E(BAD_FIELD), "gw_addr"},
	{mk_net_add, {P(NA(gw_addr), 4, IP4(198, 19, 100, 255))}, E(BAD_FIELD), "gw_addr"},
	{mk_net_add, {P(NA(gw_addr), 4, IP4(224, 0, 0, 5))}, E(BAD_FIELD), "gw_addr"},
	{mk_net_add, {P(NA(gw_addr), 4, 0)}, E(BAD_FIELD), "gw_addr"},
	/* a /30 still has network and broadcast addresses; a /31 has none */
/* 60 */{mk_net_add, {P(NA(gw_prefix), 1, 30), P(NA(gw_addr), 4, IP4(198, 19, 100, 3))}, E(BAD_FIELD), "gw_addr"},
	{mk_net_add, {P(NA(gw_prefix), 1, 30), P(NA(gw_addr), 4, IP4(198, 19, 100, 4))}, E(BAD_FIELD), "gw_addr"},
	{mk_net_add, {P(NA(reserved0) + 1, 1, 1)}, E(RESERVED_NONZERO), "reserved0"},
	{mk_net_add, {P(NA(mac_limit), 4, L2X_CTL_MAC_LIMIT_MAX + 1)}, E(BAD_FIELD), "mac_limit"},
	{mk_net_del, {P(ND(vlan), 2, 100)}, E(BAD_FIELD), "vlan"}, /* both */
/* 65 */{mk_net_del, {F(ND(name), 2, 0)}, E(BAD_FIELD), "name"}, /* neither */
	{mk_net_del, {F(ND(name), 2, 0), P(ND(vlan), 2, 4095)}, E(BAD_FIELD), "vlan"},
	{mk_net_del, {P(ND(name), 1, '*')}, E(BAD_NAME), "name"},
	{mk_net_del, {F(ND(name), 32, 'z')}, E(BAD_NAME), "name"},
	{mk_net_del_vlan, {P(ND(reserved0), 1, 1)}, E(RESERVED_NONZERO), "reserved0"},
/* 70 */{mk_show_macs, {P(SH(what), 1, 0)}, E(BAD_FIELD), "what"},
	{mk_show_macs, {P(SH(what), 1, L2X_CTL_SHOW_IKE + 1)}, E(BAD_FIELD), "what"},
	{mk_show_macs, {P(SH(what), 1, L2X_CTL_SHOW_NETWORKS)}, E(BAD_FIELD), "network"},
	{mk_show_macs, {P(SH(network), 1, '!')}, E(BAD_NAME), "network"},
	{mk_show_macs, {F(SH(network), 32, 'm')}, E(BAD_NAME), "network"},
/* 75 */{mk_show_macs, {P(SH(reserved0) + 2, 1, 0x80)}, E(RESERVED_NONZERO), "reserved0"},
	{mk_macs_clear, {F(0, 4, 0)}, E(BAD_NAME), "network"},
	{mk_macs_clear, {F(0, 32, '1')}, E(BAD_NAME), "network"},
	{mk_macs_clear, {P(0, 1, 0x7f)}, E(BAD_NAME), "network"},
	{mk_error, {P(ER(code), 4, 0)}, E(BAD_FIELD), "code"},
/* 80 */{mk_error, {P(ER(code), 4, L2X_CTL_ERRNO_MAX + 1)}, E(BAD_FIELD), "code"},
	{mk_error, {P(ER(text) + 4, 1, '\n')}, E(BAD_TEXT), "text"},
	{mk_error, {P(ER(text), 1, 0x80)}, E(BAD_TEXT), "text"},
	{mk_error, {F(ER(text), L2X_CTL_TEXT_LEN, 'a')}, E(BAD_TEXT), "text"},
	{mk_error, {P(ER(text) + L2X_CTL_TEXT_LEN - 1, 1, 'a')}, E(RESERVED_NONZERO), "text"},
/* 85 */{mk_sa_info, {P(SI(spi), 4, 0)}, E(BAD_FIELD), "spi"},
	{mk_sa_info, {P(SI(dir), 1, 2)}, E(BAD_FIELD), "dir"},
	{mk_sa_info, {P(SI(alg), 1, 0)}, E(BAD_ALG), "alg"},
	{mk_sa_info, {P(SI(state), 1, 4)}, E(BAD_FLAGS), "state"},
	{mk_sa_info, {P(SI(reserved0), 1, 1)}, E(RESERVED_NONZERO), "reserved0"},
/* 90 */{mk_show_reply, {P(0, 1, 0)}, E(BAD_FIELD), "what"},
	{mk_show_reply, {P(0, 1, L2X_CTL_SHOW_IKE + 1)}, E(BAD_FIELD), "what"},
	{mk_show_reply, {P(1, 1, 1)}, E(RESERVED_NONZERO), "reserved0"},
	{mk_show_reply, {P(TXT(3), 1, 0)}, E(BAD_TEXT), "text"},
	{mk_show_reply, {P(TXT(3), 1, 0x1b)}, E(BAD_TEXT), "text"},
/* 95 */{mk_show_reply, {P(TXT(3), 2, 0xc080)}, E(BAD_TEXT), "text"},
	{mk_show_reply, {P(TXT(0), 1, 0xff)}, E(BAD_TEXT), "text"},
	/* SPIs 1..255 are reserved (RFC 4303 section 2.1) in every message */
	{mk_sa_add, {P(SA(spi), 4, 1)}, E(BAD_FIELD), "spi"},
	{mk_sa_add, {P(SA(spi), 4, L2X_CTL_SPI_MIN - 1)}, E(BAD_FIELD), "spi"},
	{mk_sa_update, {P(SU(spi), 4, 255)}, E(BAD_FIELD), "spi"},
/* 100 */{mk_sa_del, {P(OFF(sa_id, spi), 4, 255)}, E(BAD_FIELD), "spi"},
	{mk_sa_query, {P(OFF(sa_id, spi), 4, 1)}, E(BAD_FIELD), "spi"},
	{mk_sa_info, {P(SI(spi), 4, 255)}, E(BAD_FIELD), "spi"},
	{mk_spi, {P(OFF(spi, spi), 4, 0)}, E(BAD_FIELD), "spi"},
	{mk_spi, {P(OFF(spi, spi), 4, 1)}, E(BAD_FIELD), "spi"},
/* 105 */{mk_spi, {P(OFF(spi, spi), 4, 255)}, E(BAD_FIELD), "spi"},
	/* SHOW IKE (8) takes no network, as every table but MACS */
	{mk_show_macs, {P(SH(what), 1, L2X_CTL_SHOW_IKE)}, E(BAD_FIELD), "network"},
	/* SHOW_PAGE: networks and macs only, 1..4096 rows */
	{mk_show_page_macs, {P(PG(what), 1, 0)}, E(BAD_FIELD), "what"},
/* 110 */{mk_show_page_macs, {P(PG(what), 1, L2X_CTL_SHOW_TUNNELS)}, E(BAD_FIELD), "what"},
	{mk_show_page_macs, {P(PG(what), 1, L2X_CTL_SHOW_NETWORKS)}, E(BAD_FIELD), "network"},
	{mk_show_page_macs, {P(PG(max_rows), 2, 0)}, E(BAD_FIELD), "max_rows"},
	{mk_show_page_macs, {P(PG(max_rows), 2, L2X_CTL_PAGE_ROWS_MAX + 1)}, E(BAD_FIELD), "max_rows"},
	{mk_show_page_macs, {P(PG(network), 1, '!')}, E(BAD_NAME), "network"},
/* 115 */{mk_show_page_net, {P(PG(reserved1) + 1, 1, 2)}, E(RESERVED_NONZERO), "reserved1"},
};
#undef P
#undef F
#undef SA
#undef SU
#undef NA
#undef ND
#undef SH
#undef PG
#undef ER
#undef SI
#undef TXT
#undef E
/* clang-format on */

static void apply(uint8_t *body, const struct patch *p)
{
	if (p->width == 0)
		return;
	if (p->op == FILL)
		memset(body + p->off, (int)p->val, p->width);
	else
		put_be(body + p->off, p->width, p->val);
}

static void test_field_faults(void **state)
{
	struct l2x_ctlmsg m, out;
	(void)state;

	for (size_t i = 0; i < NELEM(field_cases); i++) {
		const struct field_case *c = &field_cases[i];
		size_t n = build(c->make, &m, wbuf), flen;
		enum l2x_ctl_err err;

		apply(wbuf + HDR, &c->p[0]);
		apply(wbuf + HDR, &c->p[1]);
		err = parse_exact(wbuf, n, &out);
		if (err != c->err || out.fault.err != c->err)
			fail_msg("case %zu: %s (%s), want %s", i + 1,
				 l2x_ctl_err_str(err), out.fault.text,
				 l2x_ctl_err_str(c->err));
		if (out.fault.field == NULL ||
		    strcmp(out.fault.field, c->field) != 0)
			fail_msg("case %zu: field %s, want %s (%s)", i + 1,
				 out.fault.field ? out.fault.field : "(null)",
				 c->field, out.fault.text);
		/* "field: sentence", and the request id is kept. */
		flen = strlen(c->field);
		if (strncmp(out.fault.text, c->field, flen) != 0 ||
		    strncmp(out.fault.text + flen, ": ", 2) != 0 ||
		    strlen(out.fault.text) <= flen + 2)
			fail_msg("case %zu: text \"%s\"", i + 1,
				 out.fault.text);
		if (out.req_id != m.req_id || out.type != m.type)
			fail_msg("case %zu: header lost", i + 1);
		if (!all_zero(&out.u, sizeof(out.u)))
			fail_msg("case %zu: body not cleared", i + 1);
		assert_fits_error(i + 1, out.fault.text);
	}
}

/* ---- reserved and padding bytes: every one of them ---------------------- */

static const struct reserved_case {
	make_fn make;
	size_t off, len; /* in the body */
	const char *field;
} reserved_cases[] = {
    {mk_sa_add, OFF(sa_add, reserved0), 1, "reserved0"},
    {mk_sa_update, OFF(sa_update, reserved0), 3, "reserved0"},
    {mk_sa_update, OFF(sa_update, reserved1), 2, "reserved1"},
    {mk_sa_del, OFF(sa_id, reserved0), 3, "reserved0"},
    {mk_sa_query, OFF(sa_id, reserved0), 3, "reserved0"},
    {mk_net_add, OFF(net_add, name) + 4, 28, "name"}, /* after "web" */
    {mk_net_add, OFF(net_add, reserved0), 2, "reserved0"},
    {mk_net_del, OFF(net_del, name) + 3, 29, "name"}, /* after "db" */
    {mk_net_del, OFF(net_del, reserved0), 2, "reserved0"},
    {mk_show_macs, OFF(show, reserved0), 3, "reserved0"},
    {mk_show_macs, OFF(show, network) + 4, 28, "network"},
    {mk_show_net, OFF(show, network) + 1, 31, "network"},
    {mk_show_page_macs, OFF(show_page, reserved0), 3, "reserved0"},
    {mk_show_page_macs, OFF(show_page, network) + 4, 28, "network"},
    {mk_show_page_net, OFF(show_page, reserved1), 2, "reserved1"},
    {mk_macs_clear, OFF(macs_clear, network) + 4, 28, "network"},
    {mk_error, OFF(error, text) + 30, L2X_CTL_TEXT_LEN - 30, "text"},
    {mk_sa_info, OFF(sa_info, reserved0), 1, "reserved0"},
    {mk_show_reply, OFF(show_reply, reserved0), 3, "reserved0"},
};

static void test_reserved_bytes(void **state)
{
	static const uint8_t vals[] = {0x01, 0x80, 0xff};
	struct l2x_ctlmsg m, out;
	(void)state;

	for (size_t i = 0; i < NELEM(reserved_cases); i++) {
		const struct reserved_case *c = &reserved_cases[i];
		size_t n = build(c->make, &m, wbuf);

		/* The case covers padding, not a live byte. */
		assert_true(all_zero(wbuf + HDR + c->off, c->len));
		for (size_t b = 0; b < c->len; b++) {
			for (size_t v = 0; v < NELEM(vals); v++) {
				enum l2x_ctl_err err;

				wbuf[HDR + c->off + b] = vals[v];
				err = parse_exact(wbuf, n, &out);
				wbuf[HDR + c->off + b] = 0;
				if (err != L2X_CTL_ERR_RESERVED_NONZERO ||
				    strcmp(out.fault.field, c->field) != 0)
					fail_msg("case %zu byte %zu = 0x%02x: "
						 "%s",
						 i + 1, b, vals[v],
						 out.fault.text);
			}
		}
		assert_int_equal(parse_exact(wbuf, n, &out), L2X_CTL_ERR_OK);
	}
}

/* ---- the builder -------------------------------------------------------- */

static void test_builder_small_buffer(void **state)
{
	static uint8_t buf[L2X_CTL_MSG_MAX + 1];
	struct l2x_ctlmsg m;
	(void)state;

	for (size_t i = 0; i < NELEM(samples); i++) {
		size_t n = build(samples[i].make, &m, wbuf);
		size_t caps[] = {0, 1, HDR - 1, HDR, n - 1};

		for (size_t k = 0; k < NELEM(caps); k++) {
			if (caps[k] >= n)
				continue;
			memset(buf, 0xa5, n + 1);
			if (l2x_ctlmsg_build(&m, buf, caps[k]) != -ENOSPC)
				fail_msg("case %zu %s cap %zu: not refused",
					 i + 1, samples[i].name, caps[k]);
			for (size_t b = 0; b <= n; b++)
				if (buf[b] != 0xa5)
					fail_msg("case %zu cap %zu: byte %zu "
						 "written",
						 i + 1, caps[k], b);
		}
		/* Exactly enough fits; nothing past the message is touched. */
		memset(buf, 0xa5, n + 1);
		assert_int_equal(l2x_ctlmsg_build(&m, buf, n), n);
		assert_memory_equal(buf, wbuf, n);
		assert_int_equal(buf[n], 0xa5);
	}
	assert_int_equal(l2x_ctlmsg_build(&m, NULL, sizeof(buf)), -EINVAL);
	assert_int_equal(l2x_ctlmsg_build(NULL, buf, sizeof(buf)), -EINVAL);
}

static void bad_key_len(struct l2x_ctlmsg *m)
{
	mk_sa_add(m);
	m->u.sa_add.key_len = L2X_CTL_KEY_MAX + 4; /* would overrun key[] */
}
static void bad_text_len(struct l2x_ctlmsg *m)
{
	mk_show_reply(m);
	m->u.show_reply.text_len = L2X_CTL_SHOW_TEXT_MAX + 1;
}
static void bad_text_null(struct l2x_ctlmsg *m)
{
	mk_show_reply(m);
	m->u.show_reply.text = NULL;
}
static void bad_name_unterminated(struct l2x_ctlmsg *m)
{
	mk_net_add(m);
	memset(m->u.net_add.name, 'n', L2X_CTL_NAME_LEN);
}
static void bad_error_text(struct l2x_ctlmsg *m)
{
	mk_error(m);
	memset(m->u.error.text, 'e', L2X_CTL_TEXT_LEN);
}
static void bad_type(struct l2x_ctlmsg *m)
{
	m->type = (enum l2x_ctl_type)0x142;
}
static void bad_more(struct l2x_ctlmsg *m)
{
	mk_ok(m);
	m->flags = L2X_CTL_F_MORE;
}
static void bad_dir(struct l2x_ctlmsg *m)
{
	mk_sa_update(m);
	m->u.sa_update.dir = (enum l2x_ctl_dir)5;
}
static void bad_what(struct l2x_ctlmsg *m)
{
	mk_show_reply_end(m);
	m->u.show_reply.what = (enum l2x_ctl_show)0;
}
static void bad_utf8(struct l2x_ctlmsg *m)
{
	mk_show_reply(m);
	m->u.show_reply.text = "\xed\xa0\x80"; /* a UTF-16 surrogate */
	m->u.show_reply.text_len = 3;
}

static void test_builder_refuses_invalid(void **state)
{
	static const struct {
		make_fn make;
		enum l2x_ctl_err err;
		const char *field;
	} cases[] = {
	    {bad_key_len, L2X_CTL_ERR_BAD_KEY_LEN, "key_len"},
	    {bad_text_len, L2X_CTL_ERR_BAD_FIELD, "text"},
	    {bad_text_null, L2X_CTL_ERR_BAD_TEXT, "text"},
	    {bad_name_unterminated, L2X_CTL_ERR_BAD_NAME, "name"},
	    {bad_error_text, L2X_CTL_ERR_BAD_TEXT, "text"},
	    {bad_type, L2X_CTL_ERR_UNKNOWN_TYPE, "type"},
	    {bad_more, L2X_CTL_ERR_BAD_FLAGS, "flags"},
	    {bad_dir, L2X_CTL_ERR_BAD_FIELD, "dir"},
	    {bad_what, L2X_CTL_ERR_BAD_FIELD, "what"},
	    {bad_utf8, L2X_CTL_ERR_BAD_TEXT, "text"},
	};
	static uint8_t buf[L2X_CTL_MSG_MAX];
	(void)state;

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct l2x_ctlmsg m = {0};
		struct l2x_ctl_fault f;
		enum l2x_ctl_err err;

		cases[i].make(&m);
		memset(buf, 0xa5, sizeof(buf));
		if (l2x_ctlmsg_build(&m, buf, sizeof(buf)) != -EINVAL)
			fail_msg("case %zu: built", i + 1);
		if (buf[0] != 0xa5 || buf[HDR] != 0xa5)
			fail_msg("case %zu: wrote on refusal", i + 1);
		err = l2x_ctlmsg_check(&m, &f);
		if (err != cases[i].err || f.err != err ||
		    strcmp(f.field, cases[i].field) != 0)
			fail_msg("case %zu: %s (%s)", i + 1,
				 l2x_ctl_err_str(err), f.text);
		assert_int_equal(l2x_ctlmsg_check(&m, NULL), cases[i].err);
	}
}

/* ---- key material ------------------------------------------------------- */

static bool has_key(const struct l2x_ctlmsg *m, const uint8_t *key)
{
	const uint8_t *b = (const uint8_t *)m;

	for (size_t i = 0; i + 4 <= sizeof(*m); i++)
		if (memcmp(b + i, key, 4) == 0 ||
		    memcmp(b + i, key + 32, 4) == 0)
			return true;
	return false;
}

static void test_wipe(void **state)
{
	struct l2x_ctlmsg m, out;
	size_t n = build(mk_sa_add, &m, wbuf);
	(void)state;

	assert_int_equal(parse_exact(wbuf, n, &out), L2X_CTL_ERR_OK);
	assert_memory_equal(out.u.sa_add.key, m.u.sa_add.key, L2X_CTL_KEY_MAX);
	assert_true(has_key(&out, m.u.sa_add.key));
	l2x_ctlmsg_wipe(&out);
	assert_true(all_zero(&out, sizeof(out)));
	l2x_ctlmsg_wipe(NULL);

	/* A refusal after the key was decoded leaves none of it behind. */
	put_be(wbuf + HDR + OFF(sa_add, tunnel), 4, 0);
	assert_int_equal(parse_exact(wbuf, n, &out), L2X_CTL_ERR_BAD_FIELD);
	assert_false(has_key(&out, m.u.sa_add.key));
	assert_true(all_zero(&out.u, sizeof(out.u)));

	/* A wrong key_len exposes the salt as "padding": its position is
	 * reported, never its value. */
	build(mk_sa_add, &m, wbuf);
	wbuf[HDR + OFF(sa_add, key_len)] = 32;
	assert_int_equal(parse_exact(wbuf, n, &out),
			 L2X_CTL_ERR_RESERVED_NONZERO);
	assert_int_equal(out.fault.value, 32);
	assert_null(strstr(out.fault.text, "c0")); /* key[32] = 0xc0 */
	assert_false(has_key(&out, m.u.sa_add.key));
}

/* ---- UTF-8 and chunks ---------------------------------------------------- */

static void test_show_reply_text(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		int bad; /* offset of the refused byte, or -1 */
	} cases[] = {
	    {"", 0, -1},
	    {"{}\t\r\n", 5, -1},
	    {"\x7f", 1, -1},
	    {"\xc2\x80\xdf\xbf", 4, -1},		 /* U+0080, U+07FF */
	    {"\xe0\xa0\x80\xef\xbf\xbf", 6, -1},	 /* U+0800, U+FFFF */
	    {"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 8, -1}, /* U+10000.. */
	    /* 7 */ {"a\x00", 2, 1},
	    {"\x01", 1, 0},
	    {"ab\x80", 3, 2},		 /* lone continuation */
	    /* 10 */ {"\xc0\xaf", 2, 0}, /* overlong '/' */
	    {"\xc1\xbf", 2, 0},
	    {"\xe0\x9f\xbf", 3, 0},		 /* overlong */
	    {"\xed\xa0\x80", 3, 0},		 /* surrogate U+D800 */
	    {"\xf0\x8f\xbf\xbf", 4, 0},		 /* overlong */
	    /* 15 */ {"\xf4\x90\x80\x80", 4, 0}, /* U+110000 */
	    {"\xf5\x80\x80\x80", 4, 0},
	    {"x\xe2\x82", 3, 1},    /* cut at the end */
	    {"\xe2\x28\xa1", 3, 0}, /* bad continuation */
	    {"\xf0\x90\x80", 3, 0},
	    /* 20 */ {"\xff", 1, 0},
	};
	struct l2x_ctlmsg m = {0}, out;
	(void)state;

	for (size_t i = 0; i < NELEM(cases); i++) {
		ssize_t n;
		enum l2x_ctl_err err;

		/* Through the wire (the builder would refuse the bad ones). */
		n = (ssize_t)(HDR + 4 + cases[i].len);
		build(mk_show_reply_end, &m, wbuf);
		memcpy(wbuf + HDR + 4, cases[i].text, cases[i].len);
		put_be(wbuf + 8, 4, 4 + cases[i].len);
		err = parse_exact(wbuf, (size_t)n, &out);
		if (cases[i].bad < 0) {
			if (err != L2X_CTL_ERR_OK)
				fail_msg("case %zu: %s", i + 1, out.fault.text);
			assert_int_equal(out.u.show_reply.text_len,
					 cases[i].len);
			assert_ptr_equal(out.u.show_reply.text,
					 (const char *)held + HDR + 4);
		} else if (err != L2X_CTL_ERR_BAD_TEXT ||
			   out.fault.value != (uint64_t)cases[i].bad) {
			fail_msg("case %zu: %s (%s), want byte %d", i + 1,
				 l2x_ctl_err_str(err), out.fault.text,
				 cases[i].bad);
		}
	}
}

static void test_text_chunks(void **state)
{
	/* 2.5 chunks of text in which 4-byte characters straddle the
	 * boundaries whatever their phase. */
	size_t total = 2 * L2X_CTL_SHOW_TEXT_MAX + 1001, len = 0, off = 0;
	char *text = malloc(total), *back = malloc(total);
	static uint8_t buf[L2X_CTL_MSG_MAX];
	struct l2x_ctlmsg m = {0}, out;
	unsigned chunks = 0;
	(void)state;

	assert_non_null(text);
	assert_non_null(back);
	while (len + 5 <= total) {
		memcpy(text + len, "a\xf0\x9f\x98\x80", 5); /* a U+1F600 */
		len += 5;
	}
	assert_int_equal(l2x_ctlmsg_text_chunk(text, 3), 3);
	assert_int_equal(l2x_ctlmsg_text_chunk(NULL, 0), 0);
	assert_int_equal(l2x_ctlmsg_text_chunk(text, L2X_CTL_SHOW_TEXT_MAX),
			 L2X_CTL_SHOW_TEXT_MAX);
	while (off < len) {
		size_t c = l2x_ctlmsg_text_chunk(text + off, len - off);
		ssize_t n;

		assert_true(c > 0 && c <= L2X_CTL_SHOW_TEXT_MAX);
		assert_true(c == len - off || c > L2X_CTL_SHOW_TEXT_MAX - 4);
		m.type = L2X_CTL_MSG_SHOW_REPLY;
		m.req_id = 99;
		m.flags = c < len - off ? L2X_CTL_F_MORE : 0;
		m.u.show_reply.what = L2X_CTL_SHOW_MACS;
		m.u.show_reply.text = text + off;
		m.u.show_reply.text_len = c;
		n = l2x_ctlmsg_build(&m, buf, sizeof(buf));
		assert_true(n > 0 && (size_t)n <= L2X_CTL_MSG_MAX);
		assert_int_equal(parse_exact(buf, (size_t)n, &out),
				 L2X_CTL_ERR_OK);
		memcpy(back + off, out.u.show_reply.text,
		       out.u.show_reply.text_len);
		off += out.u.show_reply.text_len;
		chunks++;
		assert_int_equal(!!(out.flags & L2X_CTL_F_MORE), off < len);
	}
	assert_int_equal(chunks, 3);
	assert_memory_equal(back, text, len);
	/* A full-size SHOW_REPLY is exactly the largest message. */
	m.flags = 0;
	m.u.show_reply.text = text;
	memset(text, 'j', L2X_CTL_SHOW_TEXT_MAX);
	m.u.show_reply.text_len = L2X_CTL_SHOW_TEXT_MAX;
	assert_int_equal(l2x_ctlmsg_build(&m, buf, sizeof(buf)),
			 L2X_CTL_MSG_MAX);
	assert_int_equal(parse_exact(buf, L2X_CTL_MSG_MAX, &out),
			 L2X_CTL_ERR_OK);
	free(text);
	free(back);
}

/* ---- names of things ---------------------------------------------------- */

static void test_strings(void **state)
{
	(void)state;

	for (int a = 0; a < L2X_CTL_ERR__COUNT; a++) {
		const char *s = l2x_ctl_err_str((enum l2x_ctl_err)a);

		assert_non_null(s);
		assert_true(strlen(s) > 0 && strlen(s) < L2X_CTL_TEXT_LEN);
		for (int b = 0; b < a; b++)
			assert_string_not_equal(
			    s, l2x_ctl_err_str((enum l2x_ctl_err)b));
	}
	assert_string_equal(l2x_ctl_err_str(L2X_CTL_ERR_BAD_MAGIC),
			    "not an l2x control message");
	assert_non_null(l2x_ctl_err_str(L2X_CTL_ERR__COUNT));
	assert_non_null(l2x_ctl_err_str((enum l2x_ctl_err) - 1));
	assert_string_equal(l2x_ctlmsg_type_str(L2X_CTL_MSG_SA_ADD), "sa_add");
	assert_string_equal(l2x_ctlmsg_type_str(L2X_CTL_MSG_SHOW_REPLY),
			    "show_reply");
	assert_string_equal(l2x_ctlmsg_type_str(L2X_CTL_MSG_SPI_ALLOC),
			    "spi_alloc");
	assert_string_equal(l2x_ctlmsg_type_str(L2X_CTL_MSG_SPI), "spi");
	assert_string_equal(l2x_ctlmsg_type_str(L2X_CTL_MSG_PEER_QUERY),
			    "peer_query");
	assert_string_equal(l2x_ctlmsg_type_str(L2X_CTL_MSG_PEER), "peer");
	assert_string_equal(l2x_ctlmsg_type_str((enum l2x_ctl_type)0),
			    "unknown");
	assert_string_equal(l2x_ctlmsg_show_str(L2X_CTL_SHOW_DROPS), "drops");
	assert_string_equal(l2x_ctlmsg_show_str(L2X_CTL_SHOW_IKE), "ike");
	assert_int_equal(L2X_CTL_SHOW_IKE, 8);
	assert_string_equal(l2x_ctlmsg_show_str((enum l2x_ctl_show)9),
			    "unknown");
	assert_string_equal(l2x_ctlmsg_show_str((enum l2x_ctl_show)0),
			    "unknown");
	/* Requests and replies by the reply bit. */
	for (size_t i = 0; i < NELEM(samples); i++) {
		struct l2x_ctlmsg m = {0};
		bool reply;

		samples[i].make(&m);
		reply = m.type == L2X_CTL_MSG_OK ||
			m.type == L2X_CTL_MSG_ERROR ||
			m.type == L2X_CTL_MSG_SA_INFO ||
			m.type == L2X_CTL_MSG_SHOW_REPLY ||
			m.type == L2X_CTL_MSG_SPI || m.type == L2X_CTL_MSG_PEER;
		assert_int_equal(!!(m.type & L2X_CTL_REPLY_BIT), reply);
	}
}

/* ---- random mutations through the parser -------------------------------- */

#define FUZZ_ROUNDS 100000
#define FUZZ_SEED 0x6c32786374ull

static void test_random_bytes(void **state)
{
	static uint8_t buf[L2X_CTL_MSG_MAX + 64], again[L2X_CTL_MSG_MAX];
	uint64_t seed = FUZZ_SEED;
	unsigned ok = 0, refused[L2X_CTL_ERR__COUNT] = {0};
	(void)state;

	for (unsigned r = 0; r < FUZZ_ROUNDS; r++) {
		struct l2x_ctlmsg m, out;
		uint8_t rnd[16];
		size_t n;
		enum l2x_ctl_err err;

		l2x_test_fill(&seed, rnd, sizeof(rnd));
		n = build(samples[rnd[0] % NELEM(samples)].make, &m, buf);
		switch (rnd[1] % 8) {
		case 0: /* random bytes after a valid header prefix */
			n = rnd[2] % 300;
			l2x_test_fill(&seed, buf + 6, n);
			break;
		case 1: /* random bytes, random length */
			n = rnd[2] % 64;
			l2x_test_fill(&seed, buf, n);
			break;
		case 2: /* truncate or extend, announced */
			n = HDR + (rnd[2] | rnd[3] << 8) % 300;
			put_be(buf + 8, 4, n - HDR);
			break;
		default: /* flip one to four bytes */
			for (unsigned k = 0; k <= rnd[2] % 4u; k++) {
				size_t at = (rnd[4 + 2 * k] |
					     (size_t)rnd[5 + 2 * k] << 8) %
					    n;

				buf[at] ^=
				    (uint8_t)(1u << (rnd[3] >> (2 * k) & 7));
				if (rnd[3] & 0x80)
					buf[at] = rnd[12 + k];
			}
			break;
		}
		err = parse_exact(buf, n, &out);
		if ((unsigned)err >= L2X_CTL_ERR__COUNT || out.fault.err != err)
			fail_msg("round %u: result %d", r, (int)err);
		if (err != L2X_CTL_ERR_OK) {
			refused[err]++;
			if (out.fault.text[0] == 0 ||
			    !all_zero(&out.u, sizeof(out.u)))
				fail_msg("round %u: %s", r,
					 l2x_ctl_err_str(err));
			continue;
		}
		/* Whatever is accepted is canonical: it rebuilds to the same
		 * bytes. */
		ok++;
		if (l2x_ctlmsg_build(&out, again, sizeof(again)) !=
			(ssize_t)n ||
		    memcmp(again, buf, n) != 0)
			fail_msg("round %u: accepted %s does not rebuild", r,
				 l2x_ctlmsg_type_str(out.type));
		l2x_ctlmsg_wipe(&out);
	}
	print_message("random: %u accepted, %u short, %u length, %u reserved, "
		      "%u field, %u text of %u\n",
		      ok, refused[L2X_CTL_ERR_SHORT],
		      refused[L2X_CTL_ERR_LENGTH_MISMATCH],
		      refused[L2X_CTL_ERR_RESERVED_NONZERO],
		      refused[L2X_CTL_ERR_BAD_FIELD],
		      refused[L2X_CTL_ERR_BAD_TEXT], FUZZ_ROUNDS);
	/* The loop reached both the accepting and the deep refusing paths. */
	assert_true(ok > 1000);
	assert_true(refused[L2X_CTL_ERR_BAD_FIELD] > 100);
	assert_true(refused[L2X_CTL_ERR_RESERVED_NONZERO] > 100);
	assert_true(refused[L2X_CTL_ERR_BODY_SIZE] > 100);
}

static int teardown(void **state)
{
	(void)state;
	free(held);
	held = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_show_every_what),
	    cmocka_unit_test(test_known_bytes),
	    cmocka_unit_test(test_spi_messages),
	    cmocka_unit_test(test_peer_messages),
	    cmocka_unit_test(test_show_reply_each),
	    cmocka_unit_test(test_every_truncation),
	    cmocka_unit_test(test_trailing_bytes),
	    cmocka_unit_test(test_header_faults),
	    cmocka_unit_test(test_field_faults),
	    cmocka_unit_test(test_reserved_bytes),
	    cmocka_unit_test(test_builder_small_buffer),
	    cmocka_unit_test(test_builder_refuses_invalid),
	    cmocka_unit_test(test_wipe),
	    cmocka_unit_test(test_show_reply_text),
	    cmocka_unit_test(test_text_chunks),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_random_bytes),
	};
	return cmocka_run_group_tests_name("ctlmsg", tests, NULL, teardown);
}
