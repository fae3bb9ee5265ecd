/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ctlmsg.c - libFuzzer harness for the control socket codec: any bytes
 * a local client sends. Beyond "no crash, no over-read", every accepted
 * message must rebuild to exactly the same bytes (one encoding per message).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/ctlmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static uint8_t again[L2X_CTL_MSG_MAX];
	struct l2x_ctlmsg m;

	if (l2x_ctlmsg_parse(p, n, &m) == L2X_CTL_ERR_OK) {
		ssize_t k = l2x_ctlmsg_build(&m, again, sizeof(again));

		if (k != (ssize_t)n || memcmp(again, p, n) != 0)
			abort(); /* accepted bytes that are not canonical */
	}
	l2x_ctlmsg_wipe(&m);
	return 0;
}
