/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "dataplane/wire.h"
#include "tests/unit/testenv.h"

static struct rte_mempool *pool;
static int eal_up;
static int telemetry; /* l2x_testenv_up_telemetry(): EAL with telemetry */

int l2x_testenv_up_telemetry(void **state)
{
	if (eal_up && !telemetry) {
		fprintf(stderr, "testenv: EAL already up without telemetry\n");
		return -1;
	}
	telemetry = 1;
	return l2x_testenv_up(state);
}

int l2x_testenv_up(void **state)
{
	char prefix[64];
	(void)state;

	if (!eal_up) {
		snprintf(prefix, sizeof(prefix), "--file-prefix=l2xut%d",
			 (int)getpid());
		char *argv[] = {"l2x-unit",
				"--no-huge",
				"--no-pci",
				"--no-shconf",
				"-m",
				"256",
				telemetry ? "--telemetry" : "--no-telemetry",
				"--log-level=*:error",
				"-l",
				"0",
				prefix,
				NULL};
		int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;

		if (rte_eal_init(argc, argv) < 0) {
			fprintf(stderr, "testenv: rte_eal_init failed\n");
			return -1;
		}
		eal_up = 1;
	}
	if (pool == NULL) {
		pool = rte_pktmbuf_pool_create("l2x_test", 2047, 0, 0,
					       L2X_MBUF_ROOM, SOCKET_ID_ANY);
		if (pool == NULL) {
			fprintf(stderr, "testenv: mbuf pool: %s\n",
				rte_strerror(rte_errno));
			return -1;
		}
	}
	return 0;
}

int l2x_testenv_down(void **state)
{
	(void)state;
	rte_mempool_free(pool);
	pool = NULL;
	if (eal_up) {
		char dir[PATH_MAX];

		/* The EAL leaves its empty runtime folder behind; telemetry
		 * unlinks its sockets only at exit. */
		snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
		rte_eal_cleanup();
		if (telemetry) {
			char sock[PATH_MAX + 32];

			snprintf(sock, sizeof(sock), "%s/dpdk_telemetry.v2",
				 dir);
			unlink(sock);
			snprintf(sock, sizeof(sock), "%s/telemetry", dir);
			unlink(sock);
		}
		rmdir(dir);
		eal_up = 0;
	}
	return 0;
}

struct rte_mempool *l2x_test_pool(void)
{
	return pool;
}

struct rte_mbuf *l2x_test_mbuf(const void *p, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *d;

	assert_non_null(m);
	assert_true(len <= rte_pktmbuf_tailroom(m));
	d = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(d);
	if (len)
		memcpy(d, p, len);
	return m;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t l2x_test_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;

		if (*hex == ' ' || *hex == '\n' || *hex == '\t')
			continue;
		v = hexval((unsigned char)*hex);
		assert_true(v >= 0);
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	assert_true(hi < 0);
	return n;
}

void l2x_test_fill(uint64_t *seed, void *buf, size_t len)
{
	uint8_t *p = buf;
	uint64_t x = *seed ? *seed : 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
	*seed = x;
}
