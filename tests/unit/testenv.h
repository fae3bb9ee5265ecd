/* SPDX-License-Identifier: MIT */
/*
 * testenv.h - what every l2x unit test shares: a DPDK EAL started without
 * hugepages, PCI or root, one mbuf pool sized for the largest frame
 * (L2X_MBUF_ROOM), and helpers to move bytes in and out of mbufs.
 *
 * Thread-safety: l2x_testenv_up() and _down() from the main thread only,
 * as cmocka group setup and teardown.
 */
#ifndef L2X_TESTENV_H
#define L2X_TESTENV_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#define L2X_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Fail the running test with a message (printf-style: say the case number)
 * and the failed condition. For table-driven tests; needs <cmocka.h>. */
#define L2X_CHECK(cond, ...)                                              \
	do {                                                              \
		if (!(cond)) {                                            \
			print_error(__VA_ARGS__);                         \
			print_error(" [%s:%d: %s]\n", __FILE__, __LINE__, \
				    #cond);                               \
			fail();                                           \
		}                                                         \
	} while (0)

/* Start the EAL (once per process) and the shared mbuf pool. As a cmocka
 * group setup: returns 0, or -1 and the test group fails. */
int l2x_testenv_up(void **state);
/* As l2x_testenv_up(), but the EAL starts DPDK telemetry (its socket in
 * rte_eal_get_runtime_dir(), L2X_TELEMETRY_SOCKET) instead of
 * --no-telemetry. Opt-in for the telemetry test; every other test keeps
 * telemetry off. */
int l2x_testenv_up_telemetry(void **state);
/* Free the pool and stop the EAL (and remove the telemetry sockets). As a
 * cmocka group teardown. */
int l2x_testenv_down(void **state);

/* The shared pool: L2X_MBUF_ROOM bytes of data room per mbuf. */
struct rte_mempool *l2x_test_pool(void);

/* An mbuf holding a copy of len bytes of p at the default headroom.
 * Fails the running test if the pool is empty. */
struct rte_mbuf *l2x_test_mbuf(const void *p, size_t len);

/* Parse a hex string (whitespace ignored) into out; returns the byte count,
 * failing the running test on a bad digit or if it exceeds cap. */
size_t l2x_test_hex(const char *hex, uint8_t *out, size_t cap);

/* Fill buf with reproducible pseudo-random bytes from *seed (xorshift). */
void l2x_test_fill(uint64_t *seed, void *buf, size_t len);

#endif /* L2X_TESTENV_H */
