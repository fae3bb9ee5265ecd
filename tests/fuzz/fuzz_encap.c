/* SPDX-License-Identifier: MIT */
/*
 * fuzz_encap.c - libFuzzer harness for the encapsulation parsers: the outer
 * classifier sees every frame on the uplink, the inner parser every
 * decrypted packet (authenticated, but from a peer we only trust to hold
 * the key). The first byte picks the parser; the rest is copied into a heap
 * buffer of exactly its length so ASan sees any read past it.
 * Invariants: what a parser accepts lies inside the buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/encap.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	uint8_t *b;
	size_t len;

	if (n < 1)
		return 0;
	len = n - 1;
	b = malloc(len ? len : 1);
	if (b == NULL)
		return 0;
	memcpy(b, p + 1, len);
	if (p[0] & 1) {
		struct l2x_inner_info in;

		if (l2x_inner_parse(b, len, &in) == L2X_ENCAP_OK &&
		    ((size_t)in.frame_off + in.frame_len > len ||
		     in.frame_len < sizeof(struct rte_ether_hdr)))
			abort();
	} else {
		struct l2x_outer_info out;

		if (l2x_outer_parse(b, len, &out) == L2X_OUTER_OK &&
		    (out.cls == L2X_OUTER_ESP || out.cls == L2X_OUTER_IKE ||
		     out.cls == L2X_OUTER_KEEPALIVE) &&
		    (size_t)out.payload_off + out.payload_len > len)
			abort();
	}
	free(b);
	return 0;
}
