/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for control/ctlclient.[ch], the control socket client: a
 * fake dataplane runs in a thread on the other end of a
 * socketpair(AF_UNIX, SOCK_SEQPACKET) (or behind a real listening socket
 * for l2x_ctlclient_open()) and answers each request the way the case
 * says: OK, SA_INFO, SHOW text in chunks, ERROR, a wrong request id, no
 * answer, chunks too slow for the deadline, a truncated, oversized or
 * garbage datagram, a wrong type, SA or SHOW what, or a closed
 * connection. The server records what it received; the test checks it
 * after joining the thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "control/ctlclient.h"
#include "tests/unit/testenv.h"

#define HDR L2X_CTL_HDR_LEN
#define MAX_REQ 8

enum act {
	A_ANSWER,      /* the right answer for the request type */
	A_ERROR,       /* ERROR EEXIST "network: web exists" */
	A_WRONG_ID,    /* the right answer with request id + 1 */
	A_SILENT,      /* no answer at all */
	A_SLOW_CHUNKS, /* SHOW: three chunks, 200 ms apart */
	A_TRUNCATED,   /* the answer with its last byte cut off */
	A_TOO_LONG,    /* one datagram larger than any message */
	A_GARBAGE,     /* 40 bytes of noise */
	A_WRONG_TYPE,  /* OK to any request, SA_INFO to any other */
	A_WRONG_SA,    /* SA_INFO for another SPI */
	A_WRONG_WHAT,  /* SHOW_REPLY with another what */
	A_REQUEST,     /* a request instead of a reply */
	A_CLOSE,       /* close the connection */
};

struct server {
	int fd;
	enum act act;
	pthread_t th;
	unsigned nreq;
	uint32_t ids[MAX_REQ];
	enum l2x_ctl_type types[MAX_REQ];
	uint8_t key[L2X_CTL_KEY_MAX]; /* of the last SA_ADD */
	bool bad_request;	      /* a request did not parse */
};

/* The SHOW text: three chunks' worth, 4-byte characters across the
 * chunk boundaries (l2x_ctlmsg_text_chunk() must step back). */
static char *show_text;
static size_t show_len;

static int make_show_text(void)
{
	size_t cap = 2 * L2X_CTL_SHOW_TEXT_MAX + 777;

	show_text = malloc(cap);
	if (show_text == NULL)
		return -1;
	show_len = 0;
	while (show_len + 5 <= cap) {
		memcpy(show_text + show_len, "x\xf0\x9f\x98\x80", 5);
		show_len += 5;
	}
	return 0;
}

static void send_msg(struct server *s, struct l2x_ctlmsg *m, size_t cut)
{
	static __thread uint8_t buf[L2X_CTL_MSG_MAX];
	ssize_t n = l2x_ctlmsg_build(m, buf, sizeof(buf));

	if (n < 0) {
		s->bad_request = true; /* the fake itself is wrong */
		return;
	}
	(void)!send(s->fd, buf, (size_t)n - cut, MSG_NOSIGNAL);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static void answer_show(struct server *s, const struct l2x_ctlmsg *q,
			unsigned gap_ms)
{
	size_t off = 0;

	do {
		struct l2x_ctlmsg r = {.type = L2X_CTL_MSG_SHOW_REPLY,
				       .req_id = q->req_id};
		size_t k =
		    l2x_ctlmsg_text_chunk(show_text + off, show_len - off);

		r.u.show_reply.what = q->type == L2X_CTL_MSG_SHOW_PAGE
					  ? q->u.show_page.what
					  : q->u.show.what;
		if (s->act == A_WRONG_WHAT)
			r.u.show_reply.what = L2X_CTL_SHOW_MTU;
		r.u.show_reply.text = show_text + off;
		r.u.show_reply.text_len = k;
		off += k;
		r.flags = off < show_len ? L2X_CTL_F_MORE : 0;
		send_msg(s, &r, 0);
		if (gap_ms && off < show_len)
			sleep_ms(gap_ms);
	} while (off < show_len);
}

/* The right answer to q, as the dataplane gives it. */
static void answer(struct server *s, const struct l2x_ctlmsg *q, size_t cut)
{
	struct l2x_ctlmsg r = {.type = L2X_CTL_MSG_OK, .req_id = q->req_id};

	if (s->act == A_WRONG_ID)
		r.req_id = q->req_id + 1;
	switch (q->type) {
	case L2X_CTL_MSG_SHOW:
	case L2X_CTL_MSG_SHOW_PAGE:
		answer_show(s, q, s->act == A_SLOW_CHUNKS ? 200 : 0);
		return;
	case L2X_CTL_MSG_SPI_ALLOC:
		r.type = L2X_CTL_MSG_SPI;
		r.u.spi.spi = 0xc0000000 + s->nreq;
		break;
	case L2X_CTL_MSG_PEER_QUERY:
		r.type = L2X_CTL_MSG_PEER;
		r.u.peer.peer_addr = 0xc6120201; /* 198.18.2.1 */
		r.u.peer.peer_port = 14501;
		break;
	case L2X_CTL_MSG_SA_QUERY:
		r.type = L2X_CTL_MSG_SA_INFO;
		r.u.sa_info.spi = q->u.sa_id.spi;
		if (s->act == A_WRONG_SA)
			r.u.sa_info.spi = q->u.sa_id.spi + 1;
		r.u.sa_info.dir = q->u.sa_id.dir;
		r.u.sa_info.alg = L2X_AEAD_CHACHA20POLY1305;
		r.u.sa_info.state = L2X_CTL_SA_SOFT_EXPIRED;
		r.u.sa_info.packets = 12345;
		r.u.sa_info.bytes = 1ull << 40;
		r.u.sa_info.last_use = 777;
		break;
	default:
		break;
	}
	send_msg(s, &r, cut);
}

static void act(struct server *s, const struct l2x_ctlmsg *q)
{
	struct l2x_ctlmsg r = {.req_id = q->req_id};
	static const uint8_t noise[40] = "L2XC\x01\x81 and then nothing useful";
	static uint8_t big[L2X_CTL_MSG_MAX + 1];

	switch (s->act) {
	case A_ERROR:
		r.type = L2X_CTL_MSG_ERROR;
		r.u.error.code = EEXIST;
		strcpy(r.u.error.text, "network: web exists");
		send_msg(s, &r, 0);
		break;
	case A_SILENT:
		break;
	case A_TRUNCATED:
		answer(s, q, 1);
		break;
	case A_TOO_LONG:
		(void)!send(s->fd, big, sizeof(big), MSG_NOSIGNAL);
		break;
	case A_GARBAGE:
		(void)!send(s->fd, noise, sizeof(noise), MSG_NOSIGNAL);
		break;
	case A_WRONG_TYPE:
		r.type = q->type == L2X_CTL_MSG_SA_QUERY ? L2X_CTL_MSG_OK
							 : L2X_CTL_MSG_SA_INFO;
		r.u.sa_info.spi = 0x1000;
		r.u.sa_info.alg = L2X_AEAD_AES256GCM;
		send_msg(s, &r, 0);
		break;
	case A_REQUEST:
		r.type = L2X_CTL_MSG_CONFIG_RELOAD;
		send_msg(s, &r, 0);
		break;
	case A_CLOSE:
		shutdown(s->fd, SHUT_RDWR);
		break;
	default:
		answer(s, q, 0);
		break;
	}
}

/* Serve until the client closes its end. */
static void *serve(void *arg)
{
	static __thread uint8_t buf[L2X_CTL_MSG_MAX];
	struct server *s = arg;

	for (;;) {
		struct l2x_ctlmsg q;
		ssize_t n = recv(s->fd, buf, sizeof(buf), 0);

		if (n <= 0)
			break;
		if (l2x_ctlmsg_parse(buf, (size_t)n, &q) != L2X_CTL_ERR_OK) {
			s->bad_request = true;
			continue;
		}
		if (s->nreq < MAX_REQ) {
			s->ids[s->nreq] = q.req_id;
			s->types[s->nreq] = q.type;
		}
		s->nreq++;
		if (q.type == L2X_CTL_MSG_SA_ADD)
			memcpy(s->key, q.u.sa_add.key, sizeof(s->key));
		act(s, &q);
		l2x_ctlmsg_wipe(&q);
	}
	close(s->fd);
	return NULL;
}

/* A client on one end of a socketpair, the fake on the other. */
static struct l2x_ctlclient *start(struct server *s, enum act a,
				   unsigned timeout_ms)
{
	struct l2x_ctlclient *c = NULL;
	int sv[2];

	memset(s, 0, sizeof(*s));
	s->act = a;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	s->fd = sv[1];
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
	assert_int_equal(l2x_ctlclient_open_fd(sv[0], timeout_ms, &c), 0);
	assert_non_null(c);
	assert_false(l2x_ctlclient_broken(c));
	return c;
}

static void stop(struct server *s, struct l2x_ctlclient *c)
{
	l2x_ctlclient_close(c);
	assert_int_equal(pthread_join(s->th, NULL), 0);
	assert_false(s->bad_request);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- sample requests ----------------------------------------------------- */

static struct l2x_ctlmsg sa_add(void)
{
	struct l2x_ctlmsg m = {.type = L2X_CTL_MSG_SA_ADD, .req_id = 4242};
	struct l2x_ctl_sa_add *a = &m.u.sa_add;

	a->spi = 0xc0ffee01;
	a->dir = L2X_CTL_DIR_IN;
	a->alg = L2X_AEAD_AES256GCM;
	a->encap = L2X_ENCAP_GRE;
	a->replay_window = 64;
	a->key_len = L2X_CTL_KEY_MAX;
	for (unsigned i = 0; i < L2X_CTL_KEY_MAX; i++)
		a->key[i] = (uint8_t)(0x40 + i);
	a->peer_addr = 0xc6120202;
	a->local_addr = 0xc6120102;
	a->peer_port = 4500;
	a->local_port = 4500;
	a->tunnel = 1;
	return m;
}

static struct l2x_ctlmsg sa_query(void)
{
	struct l2x_ctlmsg m = {.type = L2X_CTL_MSG_SA_QUERY};

	m.u.sa_id.spi = 0xc0ffee01;
	m.u.sa_id.dir = L2X_CTL_DIR_OUT;
	return m;
}

static struct l2x_ctlmsg show(enum l2x_ctl_show what)
{
	struct l2x_ctlmsg m = {.type = L2X_CTL_MSG_SHOW};

	m.u.show.what = what;
	return m;
}

static struct l2x_ctlmsg reload(void)
{
	return (struct l2x_ctlmsg){.type = L2X_CTL_MSG_CONFIG_RELOAD};
}

static struct l2x_ctlmsg spi_alloc(void)
{
	return (struct l2x_ctlmsg){.type = L2X_CTL_MSG_SPI_ALLOC};
}

static struct l2x_ctlmsg peer_query(void)
{
	return (struct l2x_ctlmsg){.type = L2X_CTL_MSG_PEER_QUERY};
}

/* ---- answers ------------------------------------------------------------- */

static void test_answers(void **state)
{
	struct server s;
	struct l2x_ctlclient *c = start(&s, A_ANSWER, 1000);
	struct l2x_ctlmsg add = sa_add(), q = sa_query(), sh = show(3);
	struct l2x_ctlmsg rl = reload(), sp = spi_alloc(), pq = peer_query();
	struct l2x_ctl_reply rep;
	(void)state;

	assert_int_equal(l2x_ctlclient_request(c, &add, &rep), 0);
	assert_int_equal(rep.type, L2X_CTL_MSG_OK);
	assert_null(rep.text);
	assert_string_equal(l2x_ctlclient_why(c), "");
	/* The caller's message is untouched (its key is the caller's). */
	assert_int_equal(add.req_id, 4242);
	assert_int_equal(add.u.sa_add.key[0], 0x40);
	l2x_ctl_reply_fini(&rep);

	assert_int_equal(l2x_ctlclient_request(c, &q, &rep), 0);
	assert_int_equal(rep.type, L2X_CTL_MSG_SA_INFO);
	assert_int_equal(rep.sa_info.spi, 0xc0ffee01);
	assert_int_equal(rep.sa_info.dir, L2X_CTL_DIR_OUT);
	assert_int_equal(rep.sa_info.alg, L2X_AEAD_CHACHA20POLY1305);
	assert_int_equal(rep.sa_info.state, L2X_CTL_SA_SOFT_EXPIRED);
	assert_int_equal(rep.sa_info.packets, 12345);
	assert_int_equal(rep.sa_info.bytes, 1ull << 40);
	assert_int_equal(rep.sa_info.last_use, 777);
	l2x_ctl_reply_fini(&rep);

	/* Three chunks joined into one NUL-terminated text. */
	assert_int_equal(l2x_ctlclient_request(c, &sh, &rep), 0);
	assert_int_equal(rep.type, L2X_CTL_MSG_SHOW_REPLY);
	assert_int_equal(rep.text_len, show_len);
	assert_memory_equal(rep.text, show_text, show_len);
	assert_int_equal(rep.text[show_len], '\0');
	l2x_ctl_reply_fini(&rep);
	assert_null(rep.text);
	assert_int_equal(rep.text_len, 0);

	assert_int_equal(l2x_ctlclient_request(c, &rl, &rep), 0);
	assert_int_equal(rep.type, L2X_CTL_MSG_OK);
	l2x_ctl_reply_fini(&rep);

	/* SPI_ALLOC -> SPI (the fake numbers them by request). */
	assert_int_equal(l2x_ctlclient_request(c, &sp, &rep), 0);
	assert_int_equal(rep.type, L2X_CTL_MSG_SPI);
	assert_int_equal(rep.spi, 0xc0000005);
	l2x_ctl_reply_fini(&rep);

	/* PEER_QUERY -> PEER. */
	assert_int_equal(l2x_ctlclient_request(c, &pq, &rep), 0);
	assert_int_equal(rep.type, L2X_CTL_MSG_PEER);
	assert_int_equal(rep.peer.peer_addr, 0xc6120201);
	assert_int_equal(rep.peer.peer_port, 14501);
	l2x_ctl_reply_fini(&rep);
	assert_false(l2x_ctlclient_broken(c));
	stop(&s, c);

	/* Each request had its own id, never 0, whatever req_id said. */
	assert_int_equal(s.nreq, 6);
	assert_int_equal(s.types[4], L2X_CTL_MSG_SPI_ALLOC);
	assert_int_equal(s.types[5], L2X_CTL_MSG_PEER_QUERY);
	assert_int_equal(s.types[0], L2X_CTL_MSG_SA_ADD);
	assert_int_equal(s.types[3], L2X_CTL_MSG_CONFIG_RELOAD);
	for (unsigned i = 0; i < s.nreq; i++) {
		assert_int_not_equal(s.ids[i], 0);
		for (unsigned k = 0; k < i; k++)
			assert_int_not_equal(s.ids[i], s.ids[k]);
	}
	/* The key arrived whole. */
	assert_memory_equal(s.key, add.u.sa_add.key, L2X_CTL_KEY_MAX);
	l2x_ctl_reply_fini(NULL);
}

/* ERROR is an answer: its code is returned, its text kept, and the
 * connection stays usable. */
static void test_error(void **state)
{
	struct server s;
	struct l2x_ctlclient *c = start(&s, A_ERROR, 1000);
	struct l2x_ctlmsg sh = show(L2X_CTL_SHOW_NETWORKS), rl = reload();
	struct l2x_ctl_reply rep;
	(void)state;

	assert_int_equal(l2x_ctlclient_request(c, &sh, &rep), EEXIST);
	assert_int_equal(rep.type, L2X_CTL_MSG_ERROR);
	assert_int_equal(rep.error.code, EEXIST);
	assert_string_equal(rep.error.text, "network: web exists");
	assert_null(rep.text);
	l2x_ctl_reply_fini(&rep);
	assert_false(l2x_ctlclient_broken(c));
	assert_int_equal(l2x_ctlclient_request(c, &rl, &rep), EEXIST);
	l2x_ctl_reply_fini(&rep);
	stop(&s, c);
	assert_int_equal(s.nreq, 2);
}

/* A request that does not encode is refused before anything is sent;
 * the connection stays usable. So is a reply type given as a request. */
static void test_bad_request(void **state)
{
	struct server s;
	struct l2x_ctlclient *c = start(&s, A_ANSWER, 1000);
	struct l2x_ctlmsg bad = sa_add(), ok = {.type = L2X_CTL_MSG_OK};
	struct l2x_ctlmsg rl = reload();
	struct l2x_ctl_reply rep;
	(void)state;

	bad.u.sa_add.tunnel = 0;
	assert_int_equal(l2x_ctlclient_request(c, &bad, &rep), -EINVAL);
	assert_non_null(strstr(l2x_ctlclient_why(c), "tunnel"));
	assert_false(l2x_ctlclient_broken(c));
	assert_int_equal(l2x_ctlclient_request(c, &ok, &rep), -EINVAL);
	assert_non_null(strstr(l2x_ctlclient_why(c), "not a request"));
	assert_int_equal(l2x_ctlclient_request(c, &rl, &rep), 0);
	l2x_ctl_reply_fini(&rep);
	stop(&s, c);
	assert_int_equal(s.nreq, 1); /* only the reload reached the server */
	assert_int_equal(s.types[0], L2X_CTL_MSG_CONFIG_RELOAD);
}

/* ---- failures: each breaks the connection -------------------------------- */

static const struct fail_case {
	enum act act;
	struct l2x_ctlmsg (*req)(void);
	int rc;
	const char *why; /* a phrase of the reason */
} fail_cases[] = {
    /* 1 */ {A_WRONG_ID, reload, -EPROTO, "request id"},
    {A_TRUNCATED, sa_query, -EPROTO, "malformed reply"},
    {A_TOO_LONG, reload, -EPROTO, "longer than any message"},
    {A_GARBAGE, reload, -EPROTO, "malformed reply"},
    /* 5 */ {A_WRONG_TYPE, sa_query, -EPROTO, "answered with ok"},
    {A_WRONG_TYPE, reload, -EPROTO, "answered with sa_info"},
    {A_WRONG_SA, sa_query, -EPROTO, "answered for SPI"},
    {A_REQUEST, reload, -EPROTO, "with a request"},
    {A_CLOSE, reload, -ECONNRESET, "closed the connection"},
    /* 10 */ {A_SILENT, reload, -ETIMEDOUT, "timed out after 200 ms"},
    {A_WRONG_TYPE, spi_alloc, -EPROTO, "answered with sa_info"},
    {A_TRUNCATED, spi_alloc, -EPROTO, "malformed reply"},
};

static struct l2x_ctlmsg show_macs(void)
{
	return show(L2X_CTL_SHOW_MACS);
}

static void run_fail(size_t i, const struct fail_case *fc)
{
	struct server s;
	struct l2x_ctlclient *c = start(&s, fc->act, 200);
	struct l2x_ctlmsg m = fc->req(), rl = reload();
	struct l2x_ctl_reply rep;
	int64_t t0 = now_ms(), dt;
	int rc = l2x_ctlclient_request(c, &m, &rep);

	dt = now_ms() - t0;
	L2X_CHECK(rc == fc->rc, "case %zu: %d (%s), want %d\n", i, rc,
		  l2x_ctlclient_why(c), fc->rc);
	L2X_CHECK(strstr(l2x_ctlclient_why(c), fc->why) != NULL,
		  "case %zu: why \"%s\" lacks \"%s\"\n", i,
		  l2x_ctlclient_why(c), fc->why);
	L2X_CHECK(l2x_ctlclient_broken(c), "case %zu: not broken\n", i);
	/* Bounded by the deadline, whatever the server does. */
	L2X_CHECK(dt < 200 + 400, "case %zu: took %lld ms\n", i, (long long)dt);
	l2x_ctl_reply_fini(&rep);
	/* A broken connection is not used again. */
	rc = l2x_ctlclient_request(c, &rl, &rep);
	L2X_CHECK(rc == -ENOTCONN, "case %zu: after failure %d\n", i, rc);
	L2X_CHECK(strstr(l2x_ctlclient_why(c), "reconnect") != NULL,
		  "case %zu: %s\n", i, l2x_ctlclient_why(c));
	stop(&s, c);
	L2X_CHECK(s.nreq == 1, "case %zu: server saw %u requests\n", i, s.nreq);
}

static void test_failures(void **state)
{
	(void)state;
	for (size_t i = 0; i < L2X_ARRAY_LEN(fail_cases); i++)
		run_fail(i + 1, &fail_cases[i]);
}

/* A SHOW_REPLY for another table, and a timeout while chunks arrive:
 * the deadline covers the whole answer (3 chunks 200 ms apart take
 * 400 ms, the deadline is 300 ms although each gap is shorter). */
static void test_show_failures(void **state)
{
	struct server s;
	struct l2x_ctlclient *c;
	struct l2x_ctlmsg m = show_macs();
	struct l2x_ctl_reply rep;
	int64_t t0, dt;
	(void)state;

	c = start(&s, A_WRONG_WHAT, 300);
	assert_int_equal(l2x_ctlclient_request(c, &m, &rep), -EPROTO);
	assert_non_null(strstr(l2x_ctlclient_why(c), "show macs answered "
						     "with show_reply mtu"));
	l2x_ctl_reply_fini(&rep);
	stop(&s, c);

	/* SHOW_PAGE: the same answer, the same check of what */
	{
		struct l2x_ctlmsg p = {.type = L2X_CTL_MSG_SHOW_PAGE};

		p.u.show_page.what = L2X_CTL_SHOW_NETWORKS;
		p.u.show_page.cursor = 77;
		p.u.show_page.max_rows = 10;
		c = start(&s, A_ANSWER, 1000);
		assert_int_equal(l2x_ctlclient_request(c, &p, &rep), 0);
		assert_int_equal(rep.type, L2X_CTL_MSG_SHOW_REPLY);
		assert_int_equal(rep.text_len, show_len);
		assert_memory_equal(rep.text, show_text, show_len);
		l2x_ctl_reply_fini(&rep);
		stop(&s, c);
		c = start(&s, A_WRONG_WHAT, 300);
		assert_int_equal(l2x_ctlclient_request(c, &p, &rep), -EPROTO);
		assert_non_null(strstr(l2x_ctlclient_why(c),
				       "show networks answered with "
				       "show_reply mtu"));
		l2x_ctl_reply_fini(&rep);
		stop(&s, c);
	}

	c = start(&s, A_SLOW_CHUNKS, 300);
	t0 = now_ms();
	assert_int_equal(l2x_ctlclient_request(c, &m, &rep), -ETIMEDOUT);
	dt = now_ms() - t0;
	assert_true(dt >= 290 && dt < 700);
	l2x_ctl_reply_fini(&rep);
	assert_true(l2x_ctlclient_broken(c));
	stop(&s, c);

	/* The same slow server within a longer deadline: complete. */
	c = start(&s, A_SLOW_CHUNKS, 1000);
	assert_int_equal(l2x_ctlclient_request(c, &m, &rep), 0);
	assert_int_equal(rep.text_len, show_len);
	assert_memory_equal(rep.text, show_text, show_len);
	l2x_ctl_reply_fini(&rep);
	stop(&s, c);
}

/* ---- l2x_ctlclient_open() over a real socket path ------------------------ */

static void *accept_one(void *arg)
{
	struct server *s = arg;
	int fd = accept(s->fd, NULL, NULL);

	close(s->fd);
	s->fd = fd;
	if (fd >= 0)
		serve(s);
	return NULL;
}

static int bind_at(const char *path, bool do_listen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (do_listen)
		assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void test_open(void **state)
{
	char dir[] = "/tmp/l2x-ctlclient.XXXXXX", path[128], dead[128];
	char longp[200];
	struct l2x_ctlclient *c = NULL;
	struct l2x_ctlmsg rl = reload();
	struct l2x_ctl_reply rep;
	struct server s = {.act = A_ANSWER};
	int fd;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dp.sock", dir);
	snprintf(dead, sizeof(dead), "%s/dead.sock", dir);

	assert_int_equal(l2x_ctlclient_open(path, 1000, &c), -ENOENT);
	fd = bind_at(dead, false); /* a socket nobody listens on */
	assert_int_equal(l2x_ctlclient_open(dead, 1000, &c), -ECONNREFUSED);
	close(fd);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(l2x_ctlclient_open(longp, 1000, &c), -ENAMETOOLONG);
	assert_int_equal(l2x_ctlclient_open("", 1000, &c), -EINVAL);
	assert_int_equal(l2x_ctlclient_open(path, 0, &c), -EINVAL);
	assert_int_equal(l2x_ctlclient_open(path, 600001, &c), -EINVAL);
	assert_int_equal(l2x_ctlclient_open(NULL, 1000, &c), -EINVAL);
	assert_int_equal(l2x_ctlclient_open_fd(-1, 1000, &c), -EINVAL);
	assert_null(c);

	s.fd = bind_at(path, true);
	assert_int_equal(pthread_create(&s.th, NULL, accept_one, &s), 0);
	assert_int_equal(l2x_ctlclient_open(path, 1000, &c), 0);
	assert_int_equal(l2x_ctlclient_request(c, &rl, &rep), 0);
	assert_int_equal(rep.type, L2X_CTL_MSG_OK);
	l2x_ctl_reply_fini(&rep);
	stop(&s, c);
	assert_int_equal(s.nreq, 1);
	l2x_ctlclient_close(NULL);
	unlink(path);
	unlink(dead);
	assert_int_equal(rmdir(dir), 0);
}

static int setup(void **state)
{
	(void)state;
	return make_show_text();
}

static int teardown(void **state)
{
	(void)state;
	free(show_text);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_answers),
	    cmocka_unit_test(test_error),
	    cmocka_unit_test(test_bad_request),
	    cmocka_unit_test(test_failures),
	    cmocka_unit_test(test_show_failures),
	    cmocka_unit_test(test_open),
	};
	return cmocka_run_group_tests_name("ctlclient", tests, setup, teardown);
}
