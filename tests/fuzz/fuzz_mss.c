/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mss.c - libFuzzer harness for TCP MSS clamping: bridged frames come
 * from any VM on an extended network. The frame sits in a heap buffer of
 * exactly its length, so ASan sees any access past it. Clamping must be
 * idempotent: a second pass over a clamped frame changes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/mtu.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	const struct l2x_mss_clamp clamp = {.ipv4 = 1356, .ipv6 = 1336};
	uint8_t *f = malloc(n ? n : 1);

	if (f == NULL)
		return 0;
	memcpy(f, p, n);
	if (l2x_mtu_clamp_mss(f, n, &clamp) && l2x_mtu_clamp_mss(f, n, &clamp))
		abort(); /* the first pass left an MSS above the clamp */
	free(f);
	return 0;
}
