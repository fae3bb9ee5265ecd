/* SPDX-License-Identifier: MIT */
/*
 * netidx.h - which earlier network has this name, VLAN or tunnel id: the
 * distinctness checks of a list of extended networks in O(1) each.
 *
 * Three places check that the networks of a list are distinct by name,
 * VLAN and tunnel id: the configuration loader (control/config_fields.c),
 * the dataplane's network set (dataplane/dp_net.c) and the appliance
 * agent's plan (control/appliance_net.c). Comparing each network with all
 * before it is 8 million comparisons at 4094 networks (GitHub issue 10),
 * tens of milliseconds on every load, reload and 500 ms pass; this index
 * makes each check one hash probe, so a list of 4094 is checked in well
 * under a millisecond.
 *
 * Shape: open addressing over entry numbers, three tables of a power of
 * two at least twice the entries (so a probe ends at a hole soon), and a
 * direct table for the 4096 VLAN ids. The index keeps pointers to the
 * caller's names: they must stay valid and unchanged while it is used.
 * Names are compared in full (strcmp), never by hash alone.
 *
 * Thread-safety: one index per caller; no global state. Allocates (the
 * control plane and the dataplane's control thread only, never per
 * packet).
 */
#ifndef L2X_NETIDX_H
#define L2X_NETIDX_H

#include <stdint.h>

/* Entries an index takes at most. */
#define L2X_NETIDX_MAX 65535u
/* "None": no earlier entry has it. */
#define L2X_NETIDX_NONE UINT32_MAX

struct l2x_netidx;

/* An empty index for up to max entries (1..L2X_NETIDX_MAX). Returns 0 and
 * *out, -EINVAL or -ENOMEM. */
int l2x_netidx_create(uint32_t max, struct l2x_netidx **out);

/* Free; NULL is accepted. */
void l2x_netidx_destroy(struct l2x_netidx *x);

/* What an entry has in common with the entries added before it: the
 * number of the first one with the same name, VLAN and tunnel id, each
 * L2X_NETIDX_NONE when none. */
struct l2x_netidx_hit {
	uint32_t name, vlan, tid;
};

/*
 * Index entry number i (its name, vlan and tid) and say which earlier
 * entries share them. An entry whose name (VLAN, tunnel id) is taken
 * already is not indexed under it again: the first one stays the one
 * found.
 *   name  NUL-terminated, kept by pointer.
 *   vlan  1..4095 is indexed; 0 (or above 4095) is neither indexed nor
 *         checked (an access port's VLANs need not differ).
 *   tid   any value.
 *   hit   receives the earlier entries; may be NULL.
 * Returns 0, or -ENOSPC when max entries were added already.
 */
int l2x_netidx_add(struct l2x_netidx *x, uint32_t i, const char *name,
		   uint16_t vlan, uint32_t tid, struct l2x_netidx_hit *hit);

/* The first entry added with this name, or L2X_NETIDX_NONE. */
uint32_t l2x_netidx_find_name(const struct l2x_netidx *x, const char *name);

/* The smallest of hit's three (the earliest entry it collides with) and
 * which field names it first, in the order name, vlan, tunnel_id: the
 * word ("name", "vlan", "tunnel_id"), or NULL when hit has none. */
const char *l2x_netidx_first(const struct l2x_netidx_hit *hit, uint32_t *j);

#endif /* L2X_NETIDX_H */
