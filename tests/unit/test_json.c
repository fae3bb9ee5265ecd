/* SPDX-License-Identifier: MIT */
/*
 * test_json.c - control/json.h: the exact text of a SHOW table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "control/json.h"

static void test_empty(void **state)
{
	struct l2x_json j = {0};

	(void)state;
	l2x_json_begin(&j, "sa");
	l2x_json_end(&j);
	assert_false(j.oom);
	assert_string_equal(j.p, "{\"what\": \"sa\", \"rows\": []}\n");
	assert_int_equal(j.len, 27);
	free(j.p);
}

/* A page with a next: after the rows, empty or not. */
static void test_page_next(void **state)
{
	struct l2x_json j = {0};

	(void)state;
	l2x_json_begin(&j, "macs");
	l2x_json_end_next(&j, 0);
	assert_false(j.oom);
	assert_string_equal(
	    j.p, "{\"what\": \"macs\", \"rows\": [], \"next\": 0}\n");
	free(j.p);
	memset(&j, 0, sizeof(j));
	l2x_json_begin(&j, "networks");
	l2x_json_row(&j);
	l2x_json_kstr(&j, "network", "vlan1");
	l2x_json_row_end(&j);
	l2x_json_end_next(&j, 4294967295u);
	assert_string_equal(j.p, "{\"what\": \"networks\", \"rows\": [\n"
				 "  {\"network\": \"vlan1\"}\n], \"next\": "
				 "4294967295}\n");
	free(j.p);
}

static void test_rows(void **state)
{
	struct l2x_json j = {0};

	(void)state;
	l2x_json_begin(&j, "ike");
	l2x_json_row(&j);
	l2x_json_kstr(&j, "name", "web");
	l2x_json_knum(&j, "macs", UINT64_MAX);
	l2x_json_row_end(&j);
	l2x_json_row(&j);
	l2x_json_kint(&j, "rekey_in", -1);
	l2x_json_kint(&j, "min", INT64_MIN);
	l2x_json_row_end(&j);
	l2x_json_end(&j);
	assert_false(j.oom);
	assert_string_equal(j.p, "{\"what\": \"ike\", \"rows\": [\n"
				 "  {\"name\": \"web\", \"macs\": "
				 "18446744073709551615},\n"
				 "  {\"rekey_in\": -1, \"min\": "
				 "-9223372036854775808}\n]}\n");
	free(j.p);
}

/* Quote and backslash escaped, controls and bytes above 0x7e as \u00XX:
 * the text is printable ASCII whatever the string holds. */
static void test_escape(void **state)
{
	struct l2x_json j = {0};

	(void)state;
	l2x_json_begin(&j, "t");
	l2x_json_row(&j);
	l2x_json_kstr(&j, "k\"", "a\\b\n\x7f\xc3\xa9~");
	assert_string_equal(j.p, "{\"what\": \"t\", \"rows\": [\n  {\"k\\\"\": "
				 "\"a\\\\b\\u000a\\u007f\\u00c3\\u00a9~\"");
	free(j.p);
}

/* The buffer grows past its first 4096 bytes intact. */
static void test_grow(void **state)
{
	struct l2x_json j = {0};
	char v[600];

	(void)state;
	memset(v, 'x', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	l2x_json_begin(&j, "t");
	for (int i = 0; i < 20; i++) {
		l2x_json_row(&j);
		l2x_json_kstr(&j, "v", v);
		l2x_json_row_end(&j);
	}
	l2x_json_end(&j);
	assert_false(j.oom);
	assert_true(j.cap >= j.len + 1);
	assert_int_equal(j.len, strlen(j.p));
	/* head, "\n  {" then ",\n  {" x 19, rows of "v": "x...x"}, tail */
	assert_int_equal(j.len, 23 + 4 + 19 * 5 + 20 * (5 + 601 + 1) + 4);
	free(j.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty), cmocka_unit_test(test_page_next),
	    cmocka_unit_test(test_rows),  cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_grow),
	};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
