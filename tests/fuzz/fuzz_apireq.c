/* SPDX-License-Identifier: MIT */
/*
 * fuzz_apireq.c - libFuzzer harness for the REST API bodies: anything a
 * person, the other site's manager or an appliance may send. The first
 * byte picks the kind (modulo their count), the rest is the body.
 *
 * Beyond "no crash, no over-read, no leak": a refused body gives status
 * 400 with a non-empty printable message, a zeroed output and an error
 * whose JSON text parses; an accepted body builds to text that parses to
 * the same struct and builds to the same text again (parse(build(x)) == x,
 * the contract the desired state and status rely on, checked for every
 * kind).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control/apireq.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

static bool printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static void check_refused(enum l2x_apireq_kind kind,
			  const struct l2x_apireq_err *err, const void *out)
{
	char *text;
	json_t *j;

	if (err->status != 400 || err->message[0] == '\0' ||
	    !printable(err->message) || !printable(err->field))
		abort(); /* every refusal is a 400 with a reason */
	if (!all_zero(out, l2x_apireq_size(kind)))
		abort(); /* a failed parse leaves nothing behind */
	text = l2x_apireq_err_json(err);
	if (text == NULL)
		abort();
	j = json_loads(text, 0, NULL);
	if (j == NULL)
		abort(); /* the error text is JSON */
	json_decref(j);
	free(text);
}

static void check_round_trip(enum l2x_apireq_kind kind, const void *x,
			     union l2x_apireq_body *y)
{
	struct l2x_apireq_err err;
	char *t1 = l2x_apireq_build(kind, x), *t2;

	if (t1 == NULL)
		abort();
	if (l2x_apireq_parse(kind, t1, strlen(t1), y, &err) != 0)
		abort(); /* built text that does not parse */
	if (!l2x_apireq_equal(kind, x, y))
		abort(); /* parse(build(x)) != x */
	t2 = l2x_apireq_build(kind, y);
	if (t2 == NULL || strcmp(t1, t2) != 0)
		abort(); /* build is not canonical */
	l2x_apireq_free(kind, y);
	free(t1);
	free(t2);
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static union l2x_apireq_body x, y;
	enum l2x_apireq_kind kind;
	struct l2x_apireq_err err;

	if (n == 0)
		return 0;
	kind = (enum l2x_apireq_kind)(p[0] % L2X_APIREQ_KIND_COUNT);
	if (l2x_apireq_parse(kind, (const char *)p + 1, n - 1, &x, &err) != 0) {
		check_refused(kind, &err, &x);
		return 0;
	}
	check_round_trip(kind, &x, &y);
	l2x_apireq_free(kind, &x);
	return 0;
}
