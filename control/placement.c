/* SPDX-License-Identifier: MIT */
/*
 * placement.c - the manager's placement decisions (placement.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "control/errf.h"
#include "control/placement.h"

/* An error sentence for the caller (errf.h). */
#define say(...) ((void)l2x_errf(0, __VA_ARGS__))

/* A name array holding name; one without a NUL matches nothing. */
static bool is_name(const char field[L2X_PLACE_NAME_LEN], const char *name)
{
	size_t len = strnlen(field, L2X_PLACE_NAME_LEN);

	return len < L2X_PLACE_NAME_LEN && strcmp(field, name) == 0;
}

static uint32_t limit_of(const struct l2x_place_pair *p)
{
	return p->limit != 0 ? p->limit : L2X_PLACE_PAIR_LIMIT;
}

/* a carries a new network before b: fewer networks, less traffic, lower
 * id. */
static bool lighter(const struct l2x_place_pair *a,
		    const struct l2x_place_pair *b)
{
	if (a->networks != b->networks)
		return a->networks < b->networks;
	if (a->traffic != b->traffic)
		return a->traffic < b->traffic;
	return a->id < b->id;
}

int l2x_place_extension(const struct l2x_place_pair *pairs, size_t n,
			const char *sw, size_t *idx, char *err, size_t errlen)
{
	size_t best = n, on_sw = 0, sick = 0;
	uint32_t lo = UINT32_MAX, hi = 0;

	if (sw == NULL || idx == NULL || (pairs == NULL && n != 0)) {
		say(err, errlen, "no switch or no pair list given");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct l2x_place_pair *p = &pairs[i];

		if (!is_name(p->sw, sw))
			continue;
		on_sw++;
		if (!p->healthy) {
			sick++;
			continue;
		}
		if (p->networks >= limit_of(p)) {
			lo = limit_of(p) < lo ? limit_of(p) : lo;
			hi = limit_of(p) > hi ? limit_of(p) : hi;
			continue;
		}
		if (best == n || lighter(p, &pairs[best]))
			best = i;
	}
	if (best != n) {
		*idx = best;
		return 0;
	}
	if (on_sw == 0) {
		say(err, errlen, "no appliance pair on switch %s", sw);
		return -ENOENT;
	}
	if (on_sw == sick) {
		say(err, errlen,
		    "no healthy appliance pair on switch %s: %zu unhealthy", sw,
		    sick);
		return -ENOENT;
	}
	if (lo == hi)
		say(err, errlen,
		    "every pair on switch %s carries its limit (%u networks)",
		    sw, lo);
	else
		say(err, errlen,
		    "every pair on switch %s carries its limit (%u to %u "
		    "networks)",
		    sw, lo, hi);
	return -ENOSPC;
}

static bool is_free(const struct l2x_place_appl *a, const char *sw)
{
	return a->healthy && !a->in_use && is_name(a->sw, sw) &&
	       strnlen(a->name, L2X_PLACE_NAME_LEN) < L2X_PLACE_NAME_LEN;
}

/* (name, index) order: a total order even if two names are equal. */
static bool before(const struct l2x_place_appl *appls, size_t i, size_t j)
{
	int c = strcmp(appls[i].name, appls[j].name);

	return c < 0 || (c == 0 && i < j);
}

int l2x_place_mesh(const struct l2x_place_appl *appls, size_t n, const char *sw,
		   size_t k, size_t *out, char *err, size_t errlen)
{
	size_t nfree = 0;

	if (sw == NULL || (out == NULL && k != 0) ||
	    (appls == NULL && n != 0)) {
		say(err, errlen, "no switch, appliance list or output given");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		nfree += is_free(&appls[i], sw);
	if (nfree < k) {
		say(err, errlen,
		    "switch %s has %zu free appliance%s, the mesh needs %zu",
		    sw, nfree, nfree == 1 ? "" : "s", k);
		return -ENOSPC;
	}
	/* Selection without a scratch array: each round takes the least
	 * free appliance after the one taken last. O(n * k); k <= 16. */
	for (size_t got = 0; got < k; got++) {
		size_t pick = n;

		for (size_t i = 0; i < n; i++) {
			if (!is_free(&appls[i], sw))
				continue;
			if (got > 0 && !before(appls, out[got - 1], i))
				continue;
			if (pick == n || before(appls, i, pick))
				pick = i;
		}
		out[got] = pick;
	}
	return 0;
}

static uint32_t mask_of(uint8_t prefix)
{
	return prefix == 0 ? 0 : UINT32_MAX << (32 - prefix);
}

/* Dotted quad of a host-order address, in buf (16 bytes). */
static const char *quad(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
		 (a >> 8) & 0xff, a & 0xff);
	return buf;
}

static bool excluded(const struct l2x_place_pool *pool, const uint32_t *used,
		     size_t nused, uint32_t a)
{
	uint32_t m = mask_of(pool->prefix);

	if (pool->gateway != 0 && a == pool->gateway)
		return true;
	if (pool->prefix <= 30 && ((a & ~m) == 0 || (a & ~m) == ~m))
		return true;
	for (size_t i = 0; i < nused; i++)
		if (used[i] == a)
			return true;
	return false;
}

int l2x_place_address(const struct l2x_place_pool *pool, const uint32_t *used,
		      size_t nused, uint32_t *addr, char *err, size_t errlen)
{
	char b1[16], b2[16];
	uint64_t a;

	if (pool == NULL || addr == NULL || (used == NULL && nused != 0)) {
		say(err, errlen, "no pool, address list or output given");
		return -EINVAL;
	}
	if (pool->prefix < 1 || pool->prefix > 32) {
		say(err, errlen, "prefix %u is outside 1..32", pool->prefix);
		return -EINVAL;
	}
	if (pool->start > pool->end) {
		say(err, errlen, "pool %s..%s ends before it starts",
		    quad(pool->start, b1), quad(pool->end, b2));
		return -EINVAL;
	}
	if ((pool->start & mask_of(pool->prefix)) !=
	    (pool->end & mask_of(pool->prefix))) {
		say(err, errlen, "pool %s..%s does not lie in one /%u subnet",
		    quad(pool->start, b1), quad(pool->end, b2), pool->prefix);
		return -EINVAL;
	}
	/* Each step past start skips one distinct excluded address, so the
	 * loop runs at most nused + 4 times whatever the pool's size. */
	for (a = pool->start; a <= pool->end; a++) {
		if (!excluded(pool, used, nused, (uint32_t)a)) {
			*addr = (uint32_t)a;
			return 0;
		}
	}
	say(err, errlen, "pool %s..%s is exhausted", quad(pool->start, b1),
	    quad(pool->end, b2));
	return -ENOSPC;
}
