/* SPDX-License-Identifier: MIT */
/*
 * fuzzenv.h - what the libFuzzer harnesses that need DPDK share: an EAL
 * started once without hugepages, PCI or shared config, and an mbuf pool
 * with L2X_MBUF_ROOM of data room.
 *
 * Thread-safety: libFuzzer runs inputs on one thread; call from it only.
 */
#ifndef L2X_FUZZENV_H
#define L2X_FUZZENV_H

#include <stddef.h>

#include <rte_mbuf.h>

/* Start the EAL and the pool (idempotent); exits the fuzzer on failure. */
struct rte_mempool *l2x_fuzz_pool(void);

/* An mbuf holding a copy of len bytes of p, or NULL if it cannot fit. */
struct rte_mbuf *l2x_fuzz_mbuf(const void *p, size_t len);

#endif /* L2X_FUZZENV_H */
