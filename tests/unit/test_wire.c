/* SPDX-License-Identifier: MIT */
/* Unit tests for dataplane/wire.h: the figures every overhead is built on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "dataplane/wire.h"

static void test_fixed_lengths(void **state)
{
	(void)state;
	/* Ethernet 14 + IPv4 20 + UDP 8 (RFC 3948) */
	assert_int_equal(L2X_OUTER_HDR_LEN, 42);
	/* SPI 4 + sequence 4 + IV 8 (RFC 4106 section 3) */
	assert_int_equal(L2X_ESP_HDR_LEN, 16);
	/* inner IPv4 20 + GRE with key 8 (RFC 2890) */
	assert_int_equal(L2X_INNER_GRE_LEN, 28);
	/* inner IPv4 20 + UDP 8 + VXLAN 8 (RFC 7348) */
	assert_int_equal(L2X_INNER_VXLAN_LEN, 36);
	assert_int_equal(L2X_ESP_TRAILER_MAX, 5);
}

static void test_mbuf_room_holds_jumbo(void **state)
{
	(void)state;
	assert_true(L2X_MBUF_ROOM <= UINT16_MAX);
	assert_true(L2X_MBUF_ROOM - RTE_PKTMBUF_HEADROOM >=
		    L2X_OUTER_HDR_LEN + L2X_ESP_HDR_LEN + L2X_INNER_VXLAN_LEN +
			9216 + 18 + L2X_ESP_TRAILER_MAX + L2X_ESP_ICV_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixed_lengths),
	    cmocka_unit_test(test_mbuf_room_holds_jumbo),
	};
	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
