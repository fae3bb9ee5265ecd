/* SPDX-License-Identifier: MIT */
/* sa_table.c - building and publishing the SPI -> inbound SA table. The
 * design is in sa_table.h. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "ipsec/sa.h"
#include "ipsec/sa_table.h"

int l2x_sa_table_create(uint32_t capacity, struct l2x_sa_table **out)
{
	struct l2x_sa_table *t;
	uint32_t slots = 2, bits = 1;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (capacity == 0 || capacity > L2X_SA_TABLE_MAX)
		return -EINVAL;
	/* At most half full keeps probe sequences short. */
	while (slots < 2 * capacity) {
		slots <<= 1;
		bits++;
	}
	t = rte_zmalloc("l2x_sa_table",
			sizeof(*t) + (size_t)slots * sizeof(t->slot[0]),
			RTE_CACHE_LINE_SIZE);
	if (t == NULL)
		return -ENOMEM;
	t->shift = 32 - bits;
	t->mask = slots - 1;
	t->capacity = capacity;
	*out = t;
	return 0;
}

int l2x_sa_table_add(struct l2x_sa_table *t, struct l2x_sa *sa)
{
	uint32_t i, d;

	if (t == NULL || sa == NULL || sa->dir != L2X_SA_IN || sa->spi_be == 0)
		return -EINVAL;
	if (t->published)
		return -EBUSY;
	i = l2x_sa_table_hash(t, sa->spi_be);
	for (d = 0; d <= t->mask; d++) {
		struct l2x_sa_table_slot *s = &t->slot[(i + d) & t->mask];

		if (s->spi == sa->spi_be)
			return -EEXIST;
		if (s->spi == 0)
			break;
	}
	/* Checked after the scan so that a duplicate reads as such even in
	 * a full table. The table is never more than half full, so the scan
	 * above always meets an empty slot. */
	if (t->count >= t->capacity)
		return -ENOSPC;
	t->slot[(i + d) & t->mask].spi = sa->spi_be;
	t->slot[(i + d) & t->mask].sa = sa;
	t->count++;
	if (d > t->max_probe)
		t->max_probe = d;
	return 0;
}

uint32_t l2x_sa_table_count(const struct l2x_sa_table *t)
{
	return t == NULL ? 0 : t->count;
}

struct l2x_sa_table *l2x_sa_table_swap(struct l2x_sa_table **cur,
				       struct l2x_sa_table *next)
{
	if (next != NULL)
		next->published = 1;
	return __atomic_exchange_n(cur, next, __ATOMIC_ACQ_REL);
}

void l2x_sa_table_destroy(struct l2x_sa_table *t)
{
	rte_free(t);
}
