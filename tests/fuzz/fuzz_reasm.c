/* SPDX-License-Identifier: MIT */
/*
 * fuzz_reasm.c - libFuzzer harness for outer IPv4 reassembly: fragments as
 * an attacker on the WAN would send them.
 *
 * The input is a sequence of records. Each starts with a control byte: its
 * low bit picks "raw" (the next bytes, up to a length byte, go in as they
 * are: header validation) or "built" (the harness builds a well-formed
 * Ethernet + IPv4 header with a valid checksum from a few fuzzed fields, so
 * that the fuzzer reaches overlap, duplicate, limit and completion logic).
 * A small table (8 datagrams, 6 fragments each) keeps every limit within
 * reach. Every mbuf is accounted for: at the end of each input the table is
 * destroyed and the pool must hold as many mbufs as before.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>

#include "dataplane/reasm.h"
#include "dataplane/wire.h"
#include "tests/fuzz/fuzzenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

static size_t build(uint8_t *pkt, const uint8_t *p, size_t n, size_t *used)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)pkt;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint8_t f[6] = {0};
	size_t plen;

	memcpy(f, p, n < sizeof(f) ? n : sizeof(f));
	*used = n < sizeof(f) ? n : sizeof(f);
	/* f[0]: id and source selectors, f[1..2]: flags+offset, f[3..4]:
	 * payload length, f[5]: protocol selector */
	plen = ((size_t)f[3] << 8 | f[4]) % 1600;
	memset(eth, 0, sizeof(*eth));
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + plen));
	ip->packet_id = rte_cpu_to_be_16(f[0] & 3);
	ip->fragment_offset =
	    rte_cpu_to_be_16((uint16_t)(f[1] << 8 | f[2]) & 0x3fff);
	ip->time_to_live = 64;
	ip->next_proto_id = (f[5] & 1) ? IPPROTO_UDP : IPPROTO_ESP;
	ip->src_addr = rte_cpu_to_be_32(0xc6120102u + ((f[0] >> 2) & 1));
	ip->dst_addr = rte_cpu_to_be_32(0xc6120202u);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	for (size_t i = 0; i < plen; i++)
		pkt[sizeof(*eth) + sizeof(*ip) + i] = (uint8_t)i;
	return sizeof(*eth) + sizeof(*ip) + plen;
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static uint8_t pkt[2048];
	struct rte_mempool *mp = l2x_fuzz_pool();
	unsigned int before = rte_mempool_avail_count(mp);
	struct l2x_reasm *r;
	uint64_t now = 0;
	size_t i = 0;

	if (l2x_reasm_create(
		&(struct l2x_reasm_prm){.max_datagrams = 8,
					.max_frags = 6,
					.max_size = 9216,
					.timeout = 50,
					.pool = mp,
					.hash_seed = 1,
					.socket_id = SOCKET_ID_ANY},
		&r) != 0)
		abort();
	while (i < n) {
		uint8_t ctl = p[i++];
		size_t len, used = 0;
		struct rte_mbuf *m, *out = NULL;
		int rc;

		if (ctl & 1) {
			len = i < n ? p[i++] : 0;
			len = len < n - i ? len : n - i;
			memcpy(pkt, p + i, len);
			used = len;
		} else {
			len = build(pkt, p + i, n - i, &used);
		}
		i += used;
		now += ctl >> 4; /* time moves on, sometimes past timeout */
		m = l2x_fuzz_mbuf(pkt, len);
		if (m == NULL)
			continue;
		rc = l2x_reasm_insert(r, m, now, &out);
		if (rc == L2X_REASM_DONE)
			rte_pktmbuf_free(out);
		else if (rc < 0)
			rte_pktmbuf_free(m);
		else if (rc != L2X_REASM_HELD)
			abort();
		if (ctl & 2)
			l2x_reasm_expire(r, now);
	}
	l2x_reasm_destroy(r);
	if (rte_mempool_avail_count(mp) != before)
		abort(); /* an mbuf leaked or was freed twice */
	return 0;
}
