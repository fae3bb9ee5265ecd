/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "dataplane/wire.h"
#include "tests/fuzz/fuzzenv.h"

static struct rte_mempool *pool;
static char runtime_dir[PATH_MAX];

/* The EAL leaves its runtime folder behind: remove it at exit. */
static void cleanup(void)
{
	rte_eal_cleanup();
	rmdir(runtime_dir);
}

struct rte_mempool *l2x_fuzz_pool(void)
{
	char prefix[64];

	if (pool != NULL)
		return pool;
	snprintf(prefix, sizeof(prefix), "--file-prefix=l2xfz%d",
		 (int)getpid());
	char *argv[] = {
	    "l2x-fuzz", "--no-huge", "--no-pci",       "--no-shconf",
	    "-m",	"256",	     "--no-telemetry", "--log-level=*:error",
	    "-l",	"0",	     prefix,	       NULL};
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "fuzzenv: rte_eal_init failed\n");
		exit(1);
	}
	snprintf(runtime_dir, sizeof(runtime_dir), "%s",
		 rte_eal_get_runtime_dir());
	atexit(cleanup);
	pool = rte_pktmbuf_pool_create("l2x_fuzz", 4095, 0, 0, L2X_MBUF_ROOM,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "fuzzenv: pool: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	return pool;
}

struct rte_mbuf *l2x_fuzz_mbuf(const void *p, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(l2x_fuzz_pool());
	char *d;

	if (m == NULL)
		return NULL;
	if (len > rte_pktmbuf_tailroom(m) ||
	    (d = rte_pktmbuf_append(m, (uint16_t)len)) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	if (len)
		memcpy(d, p, len);
	return m;
}
