/* SPDX-License-Identifier: MIT */
/*
 * json.c - the JSON text of a SHOW table (json.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/json.h"

static void put(struct l2x_json *j, const char *s, size_t n)
{
	if (j->oom)
		return;
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 4096;
		char *p;

		while (cap < j->len + n + 1)
			cap *= 2;
		p = realloc(j->p, cap);
		if (p == NULL) {
			j->oom = 1;
			return;
		}
		j->p = p;
		j->cap = cap;
	}
	memcpy(j->p + j->len, s, n);
	j->len += n;
	j->p[j->len] = '\0';
}

static void puts_(struct l2x_json *j, const char *s)
{
	put(j, s, strlen(s));
}

/* A JSON string (RFC 8259 section 7), printable ASCII only. */
static void str(struct l2x_json *j, const char *s)
{
	char e[8];

	put(j, "\"", 1);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\') {
			e[0] = '\\';
			e[1] = (char)*c;
			put(j, e, 2);
		} else if (*c < 0x20 || *c > 0x7e) {
			snprintf(e, sizeof(e), "\\u%04x", *c);
			put(j, e, 6);
		} else {
			put(j, (const char *)c, 1);
		}
	}
	put(j, "\"", 1);
}

void l2x_json_begin(struct l2x_json *j, const char *what)
{
	puts_(j, "{\"what\": ");
	str(j, what);
	puts_(j, ", \"rows\": [");
	j->first_row = 1;
}

void l2x_json_end(struct l2x_json *j)
{
	puts_(j, j->first_row ? "]}\n" : "\n]}\n");
}

void l2x_json_end_next(struct l2x_json *j, uint64_t next)
{
	char b[48];

	snprintf(b, sizeof(b), "%s], \"next\": %" PRIu64 "}\n",
		 j->first_row ? "" : "\n", next);
	puts_(j, b);
}

void l2x_json_row(struct l2x_json *j)
{
	puts_(j, j->first_row ? "\n  {" : ",\n  {");
	j->first_row = 0;
	j->first_key = 1;
}

void l2x_json_row_end(struct l2x_json *j)
{
	puts_(j, "}");
}

static void key(struct l2x_json *j, const char *k)
{
	if (!j->first_key)
		puts_(j, ", ");
	j->first_key = 0;
	str(j, k);
	puts_(j, ": ");
}

void l2x_json_kstr(struct l2x_json *j, const char *k, const char *v)
{
	key(j, k);
	str(j, v);
}

void l2x_json_knum(struct l2x_json *j, const char *k, uint64_t v)
{
	char b[24];

	key(j, k);
	snprintf(b, sizeof(b), "%" PRIu64, v);
	puts_(j, b);
}

void l2x_json_kint(struct l2x_json *j, const char *k, int64_t v)
{
	char b[24];

	key(j, k);
	snprintf(b, sizeof(b), "%" PRId64, v);
	puts_(j, b);
}
