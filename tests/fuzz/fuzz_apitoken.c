/* SPDX-License-Identifier: MIT */
/*
 * fuzz_apitoken.c - libFuzzer harness for the bearer token parser: the
 * bytes after "Authorization: Bearer " come from anyone who can reach a
 * manager's port. Beyond "no crash, no over-read", an accepted token must
 * be exactly ID.SECRET as the parser read it (one text per token, which
 * the verification cache relies on), and its ID must be what
 * l2x_apitoken_id() extracts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/apitoken.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	char text[L2X_APITOKEN_SIZE + 1], id[L2X_APITOKEN_ID_LEN + 1];
	char *nul = malloc(n + 1);
	struct l2x_apitoken t;

	if (nul == NULL)
		return 0;
	memcpy(nul, p, n);
	nul[n] = '\0';
	if (l2x_apitoken_parse((const char *)p, n, &t) == 0) {
		snprintf(text, sizeof(text), "%s.%s", t.id, t.secret);
		if (strlen(text) != n || memcmp(text, p, n) != 0)
			abort(); /* accepted bytes that are not canonical */
		if (l2x_apitoken_id(nul, id) != 0 || strcmp(id, t.id) != 0)
			abort();
	} else if (strlen(nul) == n && l2x_apitoken_id(nul, id) == 0) {
		abort(); /* an ID out of a text the parser refused */
	}
	l2x_apitoken_wipe(&t);
	free(nul);
	return 0;
}
