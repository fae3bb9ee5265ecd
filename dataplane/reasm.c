/* SPDX-License-Identifier: MIT */
/*
 * reasm.c - control side of reasm.h: create and destroy a reassembly
 * table, read its counters. Every byte the table will ever use is
 * allocated here; the per-packet half is reasm_fast.c.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_malloc.h>

#include "dataplane/reasm.h"

#define STR_KEY(sym, str) [L2X_REASM_DROP_##sym] = #sym,
#define STR_DESC(sym, str) [L2X_REASM_DROP_##sym] = str,
const char *const l2x_reasm_drop_key[L2X_REASM_DROP_MAX] = {
    [L2X_REASM_DROP_NONE] = "NONE", l2x_foreach_reasm_drop(STR_KEY)};
const char *const l2x_reasm_drop_str[L2X_REASM_DROP_MAX] = {
    [L2X_REASM_DROP_NONE] = "not dropped", l2x_foreach_reasm_drop(STR_DESC)};
#undef STR_KEY
#undef STR_DESC

/* 576: the datagram every IPv4 host must be able to reassemble (RFC 791
 * section 3.1, "Total Length"). */
#define MAX_SIZE_MIN 576u

static int prm_ok(const struct l2x_reasm_prm *p)
{
	uint32_t room;

	if (p == NULL || p->pool == NULL || p->timeout == 0)
		return 0;
	if (p->max_datagrams < 1 || p->max_datagrams > L2X_REASM_DATAGRAMS_MAX)
		return 0;
	if (p->max_frags < 2 || p->max_frags > L2X_REASM_FRAGS_MAX)
		return 0;
	if (p->max_size < MAX_SIZE_MIN || p->max_size > UINT16_MAX)
		return 0;
	if (p->max_held != 0 &&
	    (p->max_held < p->max_frags ||
	     p->max_held > (uint64_t)p->max_datagrams * p->max_frags))
		return 0;
	room = rte_pktmbuf_data_room_size(p->pool);
	if (room < RTE_PKTMBUF_HEADROOM)
		return 0;
	return sizeof(struct rte_ether_hdr) + p->max_size <=
	       room - RTE_PKTMBUF_HEADROOM;
}

int l2x_reasm_create(const struct l2x_reasm_prm *prm, struct l2x_reasm **out)
{
	struct l2x_reasm *r;
	uint32_t nb, i;
	int sock;

	if (!prm_ok(prm) || out == NULL)
		return -EINVAL;
	sock = prm->socket_id;
	r = rte_zmalloc_socket("l2x_reasm", sizeof(*r), RTE_CACHE_LINE_SIZE,
			       sock);
	if (r == NULL)
		return -ENOMEM;
	r->prm = *prm;
	if (r->prm.max_held == 0)
		r->prm.max_held = prm->max_datagrams * prm->max_frags;
	/* At least twice as many buckets as datagrams: chains stay short. */
	nb = rte_align32pow2(prm->max_datagrams * 2);
	r->mask = nb - 1;
	r->bucket = rte_malloc_socket("l2x_reasm_bucket",
				      (size_t)nb * sizeof(*r->bucket),
				      RTE_CACHE_LINE_SIZE, sock);
	if (r->bucket == NULL)
		goto err_bucket;
	r->d = rte_zmalloc_socket("l2x_reasm_dgram",
				  (size_t)prm->max_datagrams * sizeof(*r->d),
				  RTE_CACHE_LINE_SIZE, sock);
	if (r->d == NULL)
		goto err_dgram;
	r->frags = rte_zmalloc_socket("l2x_reasm_frag",
				      (size_t)prm->max_datagrams *
					  prm->max_frags * sizeof(*r->frags),
				      RTE_CACHE_LINE_SIZE, sock);
	if (r->frags == NULL)
		goto err_frags;

	for (i = 0; i < nb; i++)
		r->bucket[i] = -1;
	for (i = 0; i < prm->max_datagrams; i++) {
		r->d[i].f = r->frags + (size_t)i * prm->max_frags;
		r->d[i].hprev = r->d[i].hnext = r->d[i].older = -1;
		r->d[i].younger =
		    i + 1 < prm->max_datagrams ? (int32_t)(i + 1) : -1;
	}
	r->free_head = 0;
	r->oldest = r->youngest = -1;
	*out = r;
	return 0;

err_frags:
	rte_free(r->d);
err_dgram:
	rte_free(r->bucket);
err_bucket:
	rte_free(r);
	return -ENOMEM;
}

void l2x_reasm_destroy(struct l2x_reasm *r)
{
	int32_t i;

	if (r == NULL)
		return;
	for (i = r->oldest; i >= 0; i = r->d[i].younger)
		for (uint16_t k = 0; k < r->d[i].nfrags; k++)
			rte_pktmbuf_free(r->d[i].f[k].m);
	rte_free(r->frags);
	rte_free(r->d);
	rte_free(r->bucket);
	rte_free(r);
}

void l2x_reasm_stats(const struct l2x_reasm *r, struct l2x_reasm_stats *out)
{
	*out = r->st;
}

uint32_t l2x_reasm_in_flight(const struct l2x_reasm *r)
{
	return r->in_flight;
}

uint32_t l2x_reasm_held(const struct l2x_reasm *r)
{
	return r->nheld;
}
