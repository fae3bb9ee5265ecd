/* SPDX-License-Identifier: MIT */
/*
 * netidx.c - first-seen indexes of network names, VLANs and tunnel ids
 * (netidx.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/netidx.h"

/* Entries are stored in the order they are added; table slots hold
 * entry + 1 (0 is a hole), and id[] maps an entry to the caller's
 * number. */
struct l2x_netidx {
	uint32_t max, n, mask;
	const char **name; /* entry -> its name (max of them) */
	uint32_t *tid;	   /* entry -> its tunnel id */
	uint32_t *id;	   /* entry -> the caller's number */
	uint32_t *by_name; /* mask + 1 slots */
	uint32_t *by_tid;  /* mask + 1 slots */
	uint32_t vlan[4096];
};

/* FNV-1a: names are short, and the full compare decides. */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static uint32_t tid_hash(uint32_t tid)
{
	return tid * 0x9e3779b1u;
}

int l2x_netidx_create(uint32_t max, struct l2x_netidx **out)
{
	struct l2x_netidx *x;
	uint32_t slots = 16;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (max == 0 || max > L2X_NETIDX_MAX)
		return -EINVAL;
	while (slots < 2 * max)
		slots *= 2;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	x->max = max;
	x->mask = slots - 1;
	x->name = calloc(max, sizeof(x->name[0]));
	x->tid = calloc(max, sizeof(x->tid[0]));
	x->id = calloc(max, sizeof(x->id[0]));
	x->by_name = calloc(slots, sizeof(x->by_name[0]));
	x->by_tid = calloc(slots, sizeof(x->by_tid[0]));
	if (x->name == NULL || x->tid == NULL || x->id == NULL ||
	    x->by_name == NULL || x->by_tid == NULL) {
		l2x_netidx_destroy(x);
		return -ENOMEM;
	}
	*out = x;
	return 0;
}

void l2x_netidx_destroy(struct l2x_netidx *x)
{
	if (x == NULL)
		return;
	free(x->name);
	free(x->tid);
	free(x->id);
	free(x->by_name);
	free(x->by_tid);
	free(x);
}

/* The slot of name: where it is, or the hole where it would go. */
static uint32_t name_slot(const struct l2x_netidx *x, const char *name)
{
	uint32_t s = name_hash(name) & x->mask;

	while (x->by_name[s] != 0 &&
	       strcmp(x->name[x->by_name[s] - 1], name) != 0)
		s = (s + 1) & x->mask;
	return s;
}

static uint32_t tid_slot(const struct l2x_netidx *x, uint32_t tid)
{
	uint32_t s = tid_hash(tid) & x->mask;

	while (x->by_tid[s] != 0 && x->tid[x->by_tid[s] - 1] != tid)
		s = (s + 1) & x->mask;
	return s;
}

uint32_t l2x_netidx_find_name(const struct l2x_netidx *x, const char *name)
{
	uint32_t s = name_slot(x, name);

	return x->by_name[s] ? x->id[x->by_name[s] - 1] : L2X_NETIDX_NONE;
}

int l2x_netidx_add(struct l2x_netidx *x, uint32_t i, const char *name,
		   uint16_t vlan, uint32_t tid, struct l2x_netidx_hit *hit)
{
	struct l2x_netidx_hit h = {L2X_NETIDX_NONE, L2X_NETIDX_NONE,
				   L2X_NETIDX_NONE};
	uint32_t e, s;

	if (x->n == x->max)
		return -ENOSPC;
	e = x->n++;
	x->name[e] = name;
	x->tid[e] = tid;
	x->id[e] = i;
	s = name_slot(x, name);
	if (x->by_name[s] != 0)
		h.name = x->id[x->by_name[s] - 1];
	else
		x->by_name[s] = e + 1;
	if (vlan >= 1 && vlan <= 4095) {
		if (x->vlan[vlan] != 0)
			h.vlan = x->id[x->vlan[vlan] - 1];
		else
			x->vlan[vlan] = e + 1;
	}
	s = tid_slot(x, tid);
	if (x->by_tid[s] != 0)
		h.tid = x->id[x->by_tid[s] - 1];
	else
		x->by_tid[s] = e + 1;
	if (hit != NULL)
		*hit = h;
	return 0;
}

const char *l2x_netidx_first(const struct l2x_netidx_hit *hit, uint32_t *j)
{
	uint32_t m = hit->name;

	if (hit->vlan < m)
		m = hit->vlan;
	if (hit->tid < m)
		m = hit->tid;
	*j = m;
	if (m == L2X_NETIDX_NONE)
		return NULL;
	if (hit->name == m)
		return "name";
	if (hit->vlan == m)
		return "vlan";
	return "tunnel_id";
}
