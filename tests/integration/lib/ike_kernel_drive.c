/* SPDX-License-Identifier: MIT */
/*
 * ike_kernel_drive.c - drives l2x-ike's kernel-ipsec backend
 * (ipsec/ike/ike_kernel.[ch]) through charon's own kernel interface, the way
 * charon's CHILD_SA code calls it, against a fake dataplane
 * (tests/integration/lib/fakedp.py); built and run by
 * tests/integration/ike_backend_test.sh, which also checks what the fake
 * received. A test helper: it includes strongSwan headers, as only
 * ipsec/ike/ike_*.c do otherwise (STYLE.md 1), and no DPDK header.
 *
 * Usage: ike_kernel_drive DEAD_SOCKET LIVE_SOCKET
 *   DEAD_SOCKET  a path where no dataplane listens
 *   LIVE_SOCKET  the fake dataplane's socket
 * Prints "ok - ..." or "FAIL - ..." per check and "N passed, M failed";
 * exit status 0 when all passed.
 */
#include <daemon.h>
#include <library.h>
#include <kernel/kernel_listener.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipsec/ike/ike_kernel.h"

static int pass, failed;

static void check(bool ok, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void check(bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("ok   - %s\n", what);
		pass++;
		return;
	}
	printf("FAIL - %s: ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failed++;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	memset(buf, 0x5c, len); /* SPI 0x5c5c5c5c without a dataplane */
}

/* ---- expire events, as charon's kernel_handler receives them ------------ */

static struct {
	pthread_mutex_t lock;
	uint32_t spi[8];
	bool hard[8];
	char dst[8][64];
	int n;
} ev = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Wait until n expire events came or the clock passes until (now_s()):
 * bounded, so that a slow or a fast run checks the same thing. */
static void wait_events(int n, double until)
{
	for (;;) {
		int have;

		pthread_mutex_lock(&ev.lock);
		have = ev.n;
		pthread_mutex_unlock(&ev.lock);
		if (have >= n || now_s() >= until)
			return;
		usleep(50 * 1000);
	}
}

static bool on_expire(kernel_listener_t *l, uint8_t proto, uint32_t spi,
		      host_t *dst, bool hard)
{
	(void)l;
	(void)proto;
	pthread_mutex_lock(&ev.lock);
	if (ev.n < 8) {
		ev.spi[ev.n] = ntohl(spi);
		ev.hard[ev.n] = hard;
		char a[INET6_ADDRSTRLEN] = "?";
		chunk_t c = dst->get_address(dst);

		inet_ntop(dst->get_family(dst), c.ptr, a, sizeof(a));
		snprintf(ev.dst[ev.n], sizeof(ev.dst[0]), "%s:%u", a,
			 dst->get_port(dst));
		ev.n++;
	}
	pthread_mutex_unlock(&ev.lock);
	return TRUE;
}

static kernel_listener_t listener = {.expire = on_expire};

/* ---- SAs as charon's child_sa.c install_internal() hands them ----------- */

/* The made-up key: 32 bytes then a 4-byte salt, all distinct. */
static uint8_t key[36];

static status_t add(uint32_t spi, bool inbound, uint16_t alg, size_t klen,
		    uint16_t integ, ipsec_mode_t mode, bool encap,
		    const char *local, const char *peer, lifetime_cfg_t *lt)
{
	host_t *l = host_create_from_string((char *)local, 4500);
	host_t *p = host_create_from_string((char *)peer, 4500);
	lifetime_cfg_t none = {};
	kernel_ipsec_sa_id_t id = {
	    .src = inbound ? p : l,
	    .dst = inbound ? l : p,
	    .spi = htonl(spi),
	    .proto = IPPROTO_ESP,
	};
	kernel_ipsec_add_sa_t sa = {
	    .reqid = 7,
	    .mode = mode,
	    .lifetime = lt ? lt : &none,
	    .enc_alg = alg,
	    .enc_key = chunk_create(key, klen),
	    .int_alg = integ,
	    .replay_window = 64,
	    .encap = encap,
	    .esn = inbound,
	    .inbound = inbound,
	};
	status_t st = charon->kernel->add_sa(charon->kernel, &id, &sa);

	l->destroy(l);
	p->destroy(p);
	return st;
}

static status_t del(uint32_t spi, const char *src, const char *dst)
{
	host_t *s = host_create_from_string((char *)src, 4500);
	host_t *d = host_create_from_string((char *)dst, 4500);
	kernel_ipsec_sa_id_t id = {
	    .src = s, .dst = d, .spi = htonl(spi), .proto = IPPROTO_ESP};
	kernel_ipsec_del_sa_t data = {};
	status_t st = charon->kernel->del_sa(charon->kernel, &id, &data);

	s->destroy(s);
	d->destroy(d);
	return st;
}

static status_t query(uint32_t spi, const char *src, const char *dst,
		      uint64_t *bytes, uint64_t *packets, time_t *t)
{
	host_t *s = host_create_from_string((char *)src, 4500);
	host_t *d = host_create_from_string((char *)dst, 4500);
	kernel_ipsec_sa_id_t id = {
	    .src = s, .dst = d, .spi = htonl(spi), .proto = IPPROTO_ESP};
	kernel_ipsec_query_sa_t q = {};
	status_t st = charon->kernel->query_sa(charon->kernel, &id, &q, bytes,
					       packets, t);

	s->destroy(s);
	d->destroy(d);
	return st;
}

static status_t update(uint32_t spi, const char *src, const char *dst,
		       const char *nsrc, uint16_t nsport, const char *ndst,
		       uint16_t ndport)
{
	host_t *s = host_create_from_string((char *)src, 4500);
	host_t *d = host_create_from_string((char *)dst, 4500);
	host_t *ns = host_create_from_string((char *)nsrc, nsport);
	host_t *nd = host_create_from_string((char *)ndst, ndport);
	kernel_ipsec_sa_id_t id = {
	    .src = s, .dst = d, .spi = htonl(spi), .proto = IPPROTO_ESP};
	kernel_ipsec_update_sa_t u = {
	    .new_src = ns, .new_dst = nd, .encap = TRUE, .new_encap = TRUE};
	status_t st = charon->kernel->update_sa(charon->kernel, &id, &u);

	s->destroy(s);
	d->destroy(d);
	ns->destroy(ns);
	nd->destroy(nd);
	return st;
}

static status_t policy(bool add, policy_dir_t dir, ipsec_mode_t mode)
{
	traffic_selector_t *a =
	    traffic_selector_create_from_cidr("169.254.100.1/32", 47, 0, 65535);
	traffic_selector_t *b =
	    traffic_selector_create_from_cidr("169.254.100.2/32", 47, 0, 65535);
	ipsec_sa_cfg_t sa = {.mode = mode, .reqid = 7, .esp = {.use = TRUE}};
	kernel_ipsec_policy_id_t id = {.dir = dir, .src_ts = a, .dst_ts = b};
	kernel_ipsec_manage_policy_t m = {
	    .type = POLICY_IPSEC, .prio = POLICY_PRIORITY_DEFAULT, .sa = &sa};
	status_t st = add ? charon->kernel->add_policy(charon->kernel, &id, &m)
			  : charon->kernel->del_policy(charon->kernel, &id, &m);

	a->destroy(a);
	b->destroy(b);
	return st;
}

static status_t get_spi(uint32_t *spi)
{
	host_t *any = host_create_any(AF_INET);
	status_t st;

	st =
	    charon->kernel->get_spi(charon->kernel, any, any, IPPROTO_ESP, spi);
	*spi = ntohl(*spi);
	any->destroy(any);
	return st;
}

/* What charon needs to initialise: its SA managers hash with SHA-1, its
 * receiver needs a socket (on random ports: strongswan.conf port = 0),
 * libcharon a kernel-net (kernel-netlink; its kernel-ipsec loses to ours). */
#define PLUGINS "random nonce sha1 sha2 hmac kdf kernel-netlink socket-default"

#define A "198.18.1.2" /* us */
#define B "198.18.2.2" /* the peer */

static void *hung_query(void *arg)
{
	double t0 = now_s();
	time_t t;
	uint64_t b, p;

	query(0xdead0000, B, A, &b, &p, &t);
	*(double *)arg = now_s() - t0;
	return NULL;
}

static void steps(const char *dead, const char *live)
{
	lifetime_cfg_t lt = {.time = {.rekey = 2, .life = 3},
			     .bytes = {.rekey = 1000, .life = 2000}};
	uint64_t bytes = 0, packets = 0;
	time_t t1 = 0, t2 = 0, t3 = 0;
	uint32_t spi = 0, spi2 = 0;
	double t0, t_add, dt, hung[4];
	pthread_t th[4];
	status_t st;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa1 + 3 * i);

	/* Without a control socket: SPIs from the rng, SAs refused. */
	st = get_spi(&spi);
	check(st == SUCCESS && spi == 0x5c5c5c5c,
	      "without a control socket, get_spi draws from the rng", "%d %08x",
	      st, spi);
	st = add(0xc0000099, TRUE, ENCR_AES_GCM_ICV16, 36, AUTH_UNDEFINED,
		 MODE_TUNNEL, TRUE, A, B, NULL);
	check(st != SUCCESS, "without a control socket, add_sa is refused",
	      "%d", st);

	/* The dataplane is down: fails at once, no hang. */
	check(l2x_ike_kernel_set_ctl(dead, 1) == 0, "set_ctl (dead socket)",
	      "refused");
	check(l2x_ike_kernel_set_ctl("", 1) == -EINVAL &&
		  l2x_ike_kernel_set_ctl(live, 2) == -EINVAL,
	      "set_ctl refuses an empty path and encap 2", "accepted");
	t0 = now_s();
	st = get_spi(&spi);
	dt = now_s() - t0;
	check(st == FAILED && dt < 0.2,
	      "dataplane down: get_spi fails within 0.2 s", "%d after %.3f s",
	      st, dt);

	/* Up. */
	check(l2x_ike_kernel_set_ctl(live, 1) == 0, "set_ctl (live socket)",
	      "refused");
	st = get_spi(&spi);
	check(st == SUCCESS && spi == 0xc0000100,
	      "get_spi: the dataplane's SPI (SPI_ALLOC)", "%d %08x", st, spi);
	t_add = now_s();
	st = add(spi, TRUE, ENCR_AES_GCM_ICV16, 36, AUTH_UNDEFINED, MODE_TUNNEL,
		 TRUE, A, B, &lt);
	check(st == SUCCESS, "add_sa inbound aes256gcm16", "%d", st);
	st = add(0xc1000001, FALSE, ENCR_CHACHA20_POLY1305, 36, AUTH_UNDEFINED,
		 MODE_TUNNEL, TRUE, A, B, NULL);
	check(st == SUCCESS, "add_sa outbound chacha20poly1305", "%d", st);
	st = add(0xc1000001, FALSE, ENCR_CHACHA20_POLY1305, 36, AUTH_UNDEFINED,
		 MODE_TUNNEL, TRUE, A, B, NULL);
	check(st == FAILED, "add_sa of an SA the dataplane has: FAILED", "%d",
	      st);

	/* Refused before anything is sent (the script counts SA_ADDs). */
	check(add(0xc1000002, FALSE, ENCR_AES_GCM_ICV16, 36, AUTH_UNDEFINED,
		  MODE_TRANSPORT, TRUE, A, B, NULL) == NOT_SUPPORTED,
	      "transport mode refused", "accepted");
	check(add(0xc1000003, FALSE, ENCR_AES_CBC, 32, AUTH_HMAC_SHA2_256_128,
		  MODE_TUNNEL, TRUE, A, B, NULL) == NOT_SUPPORTED,
	      "AES-CBC with HMAC refused", "accepted");
	check(add(0xc1000004, FALSE, ENCR_AES_GCM_ICV16, 20, AUTH_UNDEFINED,
		  MODE_TUNNEL, TRUE, A, B, NULL) == NOT_SUPPORTED,
	      "AES-128-GCM (a 20-byte key) refused", "accepted");
	check(add(0xc1000005, FALSE, ENCR_AES_GCM_ICV12, 36, AUTH_UNDEFINED,
		  MODE_TUNNEL, TRUE, A, B, NULL) == NOT_SUPPORTED,
	      "AES-GCM with a 12-byte ICV refused", "accepted");
	check(add(0xc1000006, FALSE, ENCR_AES_GCM_ICV16, 36, AUTH_UNDEFINED,
		  MODE_TUNNEL, FALSE, A, B, NULL) == NOT_SUPPORTED,
	      "ESP without UDP encapsulation refused", "accepted");
	check(add(0xc1000007, FALSE, ENCR_AES_GCM_ICV16, 36, AUTH_UNDEFINED,
		  MODE_TUNNEL, TRUE, "2001:db8::1", "2001:db8::2",
		  NULL) == NOT_SUPPORTED,
	      "IPv6 outer addresses refused", "accepted");

	/* query_sa: the dataplane's counters; the use time moves only when
	 * the dataplane's last_use does (every second query in the fake). */
	st = query(spi, B, A, &bytes, &packets, &t1);
	check(st == SUCCESS && bytes == 500 && packets == 5 &&
		  t1 >= time_monotonic(NULL) - 1 && t1 <= time_monotonic(NULL),
	      "query_sa: bytes, packets, use time now", "%d %llu %llu %ld", st,
	      (unsigned long long)bytes, (unsigned long long)packets, (long)t1);
	sleep(2);
	st = query(spi, B, A, &bytes, &packets, &t2);
	check(st == SUCCESS && t2 == t1,
	      "query_sa: last_use unchanged -> the same use time", "%ld %ld",
	      (long)t2, (long)t1);
	st = query(spi, B, A, &bytes, &packets, &t3);
	check(st == SUCCESS && t3 >= t1 + 2,
	      "query_sa: last_use moved -> a later use time", "%ld %ld",
	      (long)t3, (long)t1);
	st = query(0xc7777777, B, A, &bytes, &packets, &t3);
	check(st == NOT_FOUND, "query_sa of an unknown SA: NOT_FOUND", "%d",
	      st);

	/* NAT rebinding: the outbound SA follows the peer's new port. */
	st = update(0xc1000001, A, B, A, 4500, B, 14500);
	check(st == SUCCESS, "update_sa: new peer port", "%d", st);
	st = update(0xc1000001, A, B, "198.18.1.9", 4500, B, 14500);
	check(st == NOT_SUPPORTED, "update_sa: our address: NOT_SUPPORTED",
	      "%d", st);

	/* Policies: recorded, tunnel mode only. */
	check(policy(TRUE, POLICY_OUT, MODE_TUNNEL) == SUCCESS &&
		  policy(TRUE, POLICY_IN, MODE_TUNNEL) == SUCCESS,
	      "add_policy tunnel mode", "refused");
	check(policy(TRUE, POLICY_OUT, MODE_TRANSPORT) == FAILED,
	      "add_policy transport mode refused", "accepted");
	check(policy(FALSE, POLICY_OUT, MODE_TUNNEL) == SUCCESS &&
		  policy(FALSE, POLICY_OUT, MODE_TUNNEL) == NOT_FOUND,
	      "del_policy meets its add_policy once", "no");

	/* A hung dataplane: a call gives up after ~0.5 s; four at once
	 * each within ~1 s (lock wait + request). */
	t0 = now_s();
	st = query(0xdead0000, B, A, &bytes, &packets, &t3);
	dt = now_s() - t0;
	check(st == FAILED && dt >= 0.4 && dt < 0.8,
	      "hung dataplane: query_sa fails after about 0.5 s",
	      "%d after %.3f s", st, dt);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, hung_query, &hung[i]);
	dt = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		dt = hung[i] > dt ? hung[i] : dt;
	}
	check(dt < 1.3, "hung dataplane: 4 threads each back within 1.3 s",
	      "slowest %.3f s", dt);
	st = get_spi(&spi2);
	check(st == SUCCESS && spi2 == 0xc0000101,
	      "after the timeouts the backend reconnects", "%d %08x", st, spi2);

	/* Deletion. */
	st = del(spi2, B, A);
	check(st == SUCCESS, "del_sa of an allocated, never installed SPI",
	      "%d", st);
	st = del(0xc2222222, A, B);
	check(st == SUCCESS, "del_sa of an SA never installed: nothing sent",
	      "%d", st);
	st = del(0xc1000001, A, B);
	check(st == SUCCESS, "del_sa outbound", "%d", st);

	/* Lifetimes: soft (rekey) at 2 s, hard at 3 s from the add; the
	 * byte limits: soft from the dataplane's state within the poll. */
	wait_events(2, t_add + 6);
	pthread_mutex_lock(&ev.lock);
	check(ev.n >= 2 && ev.spi[0] == spi && !ev.hard[0] &&
		  ev.spi[1] == spi && ev.hard[1] &&
		  strcmp(ev.dst[0], A ":4500") == 0,
	      "soft then hard expire raised from the time lifetime",
	      "%d events, first %08x hard %d dst %s", ev.n, ev.spi[0],
	      ev.hard[0], ev.dst[0]);
	pthread_mutex_unlock(&ev.lock);
	wait_events(3, t_add + L2X_IKE_VOLUME_POLL_S + 4);
	usleep(200 * 1000); /* and nothing more */
	pthread_mutex_lock(&ev.lock);
	check(ev.n == 3 && ev.spi[2] == spi && !ev.hard[2],
	      "soft expire raised from the byte limit (SA_INFO state)",
	      "%d events", ev.n);
	pthread_mutex_unlock(&ev.lock);

	st = charon->kernel->flush_sas(charon->kernel);
	check(st == SUCCESS, "flush_sas", "%d", st);
}

int main(int argc, char **argv)
{
	const struct l2x_ike_rng rng = {.fill = fill};

	if (argc != 3) {
		fprintf(stderr, "usage: %s DEAD_SOCKET LIVE_SOCKET\n", argv[0]);
		return 2;
	}
	if (!library_init(NULL, "l2x-ike-drive") || !libcharon_init()) {
		fprintf(stderr, "library_init/libcharon_init failed\n");
		return 1;
	}
	charon->load_loggers(charon);
	if (l2x_ike_kernel_register(&rng) != 0 ||
	    !charon->initialize(charon, PLUGINS)) {
		fprintf(stderr, "charon failed to initialise\n");
		libcharon_deinit();
		library_deinit();
		return 1;
	}
	charon->kernel->add_listener(charon->kernel, &listener);
	/* receiver, sender, scheduler and watcher each hold a thread for
	 * good: 8 leave four for the scheduled expiry jobs */
	lib->processor->set_threads(lib->processor, 8);
	steps(argv[1], argv[2]);
	charon->kernel->remove_listener(charon->kernel, &listener);
	libcharon_deinit();
	library_deinit();
	printf("%d passed, %d failed\n", pass, failed);
	return failed != 0;
}
