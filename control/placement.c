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
	size_t best = n, on_sw = 0, sick = 0, out = 0;
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
		if (p->draining || p->held) {
			out++;
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
	if (on_sw == sick + out) {
		if (out == 0)
			say(err, errlen,
			    "no healthy appliance pair on switch %s: %zu "
			    "unhealthy",
			    sw, sick);
		else
			say(err, errlen,
			    "no healthy appliance pair on switch %s: %zu "
			    "unhealthy, %zu draining or held",
			    sw, sick, out);
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

/* ---- rebalance ---------------------------------------------------------*/

/* The state of one switch's pairs while moves are planned. */
struct plan {
	const struct l2x_place_pair *p; /* the caller's array */
	size_t idx[L2X_PLACE_SWITCH_PAIRS_MAX];
	uint32_t cnt[L2X_PLACE_SWITCH_PAIRS_MAX];  /* networks as planned */
	uint32_t want[L2X_PLACE_SWITCH_PAIRS_MAX]; /* the target when even */
	size_t k;
	struct l2x_place_move *moves;
	size_t cap, nmoves;
};

static bool must_empty(const struct l2x_place_pair *p)
{
	return !p->healthy || p->draining;
}

static bool takes(const struct l2x_place_pair *p)
{
	return p->healthy && !p->draining && !p->held;
}

/* The lightest taker below its limit (and below its target if capped),
 * as l2x_place_extension orders them, with planned counts; k if none. */
static size_t lightest(const struct plan *pl, bool capped)
{
	size_t best = pl->k;

	for (size_t i = 0; i < pl->k; i++) {
		const struct l2x_place_pair *a = &pl->p[pl->idx[i]], *b;

		if (!takes(a) || pl->cnt[i] >= limit_of(a) ||
		    (capped && pl->cnt[i] >= pl->want[i]))
			continue;
		if (best == pl->k) {
			best = i;
			continue;
		}
		b = &pl->p[pl->idx[best]];
		if (pl->cnt[i] != pl->cnt[best] ? pl->cnt[i] < pl->cnt[best]
		    : a->traffic != b->traffic	? a->traffic < b->traffic
						: a->id < b->id)
			best = i;
	}
	return best;
}

/* Record one move; false when the array is full. */
static bool move(struct plan *pl, size_t from, size_t to)
{
	if (pl->nmoves == pl->cap)
		return false;
	pl->moves[pl->nmoves].from = pl->idx[from];
	pl->moves[pl->nmoves].to = pl->idx[to];
	pl->nmoves++;
	pl->cnt[from]--;
	pl->cnt[to]++;
	return true;
}

/* Donor order: the busiest first, then the one holding more, then the
 * lowest id. */
static bool gives_first(const struct plan *pl, size_t a, size_t b)
{
	const struct l2x_place_pair *x = &pl->p[pl->idx[a]];
	const struct l2x_place_pair *y = &pl->p[pl->idx[b]];

	if (x->traffic != y->traffic)
		return x->traffic > y->traffic;
	if (pl->cnt[a] != pl->cnt[b])
		return pl->cnt[a] > pl->cnt[b];
	return x->id < y->id;
}

/* Who keeps the extra network of an uneven split: the pair holding more,
 * then the less busy, then the lower id. */
static bool keeps_first(const struct plan *pl, size_t a, size_t b)
{
	const struct l2x_place_pair *x = &pl->p[pl->idx[a]];
	const struct l2x_place_pair *y = &pl->p[pl->idx[b]];

	if (pl->cnt[a] != pl->cnt[b])
		return pl->cnt[a] > pl->cnt[b];
	if (x->traffic != y->traffic)
		return x->traffic < y->traffic;
	return x->id < y->id;
}

/* pl's slots in ord[], first() first (insertion sort: k <= 64). */
static void order(const struct plan *pl, size_t *ord,
		  bool (*first)(const struct plan *, size_t, size_t))
{
	for (size_t i = 0; i < pl->k; i++)
		ord[i] = i;
	for (size_t i = 1; i < pl->k; i++) {
		size_t v = ord[i], j = i;

		for (; j > 0 && first(pl, v, ord[j - 1]); j--)
			ord[j] = ord[j - 1];
		ord[j] = v;
	}
}

/* Empty slot i into the takers; returns the networks left behind (none
 * could take them) or -1 when the move array filled up. */
static long drain(struct plan *pl, size_t i, bool capped)
{
	while (pl->cnt[i] > 0) {
		size_t to = lightest(pl, capped);

		if (to == pl->k)
			return (long)pl->cnt[i];
		if (!move(pl, i, to))
			return -1;
	}
	return 0;
}

/* Targets for an even split of every network on the switch over the
 * takers; false if there is no taker. */
static bool targets(struct plan *pl)
{
	size_t ord[L2X_PLACE_SWITCH_PAIRS_MAX], r = 0;
	bool fixed[L2X_PLACE_SWITCH_PAIRS_MAX];
	uint64_t total = 0, q, extra;
	bool again = true;

	/* A held pair that still carries networks (none could take them
	 * when it failed) keeps them: they are not shared out. */
	for (size_t i = 0; i < pl->k; i++) {
		const struct l2x_place_pair *p = &pl->p[pl->idx[i]];

		if (takes(p) || must_empty(p))
			total += pl->cnt[i];
		r += takes(p);
		fixed[i] = !takes(p);
		pl->want[i] = 0;
	}
	if (r == 0)
		return false;
	/* A taker whose limit is at or below the share gets its limit and
	 * the others share the rest, until every other limit is above the
	 * share: so one low limit does not leave the rest uneven. Taking
	 * L <= total / r out leaves the others a share no smaller, so all
	 * found in one pass may be fixed at once; at most k passes. */
	while (again && r > 0) {
		again = false;
		q = total / r;
		for (size_t i = 0; i < pl->k; i++) {
			uint32_t lim = limit_of(&pl->p[pl->idx[i]]);

			if (fixed[i] || lim > q)
				continue;
			pl->want[i] = lim;
			fixed[i] = true;
			total -= lim;
			r--;
			again = true;
		}
	}
	if (r == 0)
		return true; /* every taker is to fill to its limit */
	q = total / r;
	extra = total % r;
	order(pl, ord, keeps_first);
	for (size_t i = 0; i < pl->k; i++) {
		size_t s = ord[i];

		if (fixed[s])
			continue;
		pl->want[s] = (uint32_t)(q + (extra > 0)); /* below its limit */
		if (extra > 0)
			extra--;
	}
	return true;
}

int l2x_place_rebalance(const struct l2x_place_pair *pairs, size_t n,
			const char *sw, bool even, struct l2x_place_move *moves,
			size_t cap, size_t *nmoves, char *err, size_t errlen)
{
	struct plan pl = {.p = pairs, .moves = moves, .cap = cap};
	size_t ord[L2X_PLACE_SWITCH_PAIRS_MAX];
	uint64_t stuck = 0;

	if (sw == NULL || nmoves == NULL || (moves == NULL && cap != 0) ||
	    (pairs == NULL && n != 0)) {
		say(err, errlen, "no switch, pair list or move array given");
		return -EINVAL;
	}
	*nmoves = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_name(pairs[i].sw, sw))
			continue;
		if (pl.k == L2X_PLACE_SWITCH_PAIRS_MAX) {
			say(err, errlen, "switch %s has more than %d pairs", sw,
			    L2X_PLACE_SWITCH_PAIRS_MAX);
			return -E2BIG;
		}
		pl.idx[pl.k] = i;
		pl.cnt[pl.k] = pairs[i].networks;
		pl.k++;
	}
	/* Empty the pairs that must empty, busiest first. With even, each
	 * taker fills only to its target, so no network moves twice. */
	if (even && !targets(&pl))
		even = false; /* no taker: the drain below says so */
	order(&pl, ord, gives_first);
	for (size_t i = 0; i < pl.k; i++) {
		size_t s = ord[i];
		long left;

		if (!must_empty(&pl.p[pl.idx[s]]))
			continue;
		left = drain(&pl, s, even);
		if (left < 0)
			goto full;
		if (left > 0 && even) /* targets capped by limits */
			left = drain(&pl, s, false);
		if (left < 0)
			goto full;
		stuck += (uint64_t)left;
	}
	if (even) {
		order(&pl, ord, gives_first);
		for (size_t i = 0; i < pl.k; i++) {
			size_t s = ord[i];

			if (!takes(&pl.p[pl.idx[s]]))
				continue;
			while (pl.cnt[s] > pl.want[s]) {
				size_t to = lightest(&pl, true);

				if (to == pl.k)
					break;
				if (!move(&pl, s, to))
					goto full;
			}
		}
	}
	*nmoves = pl.nmoves;
	if (stuck > 0) {
		say(err, errlen,
		    "switch %s: %llu networks have no healthy pair to go to",
		    sw, (unsigned long long)stuck);
		return -ENOSPC;
	}
	return 0;
full:
	*nmoves = pl.nmoves;
	say(err, errlen, "switch %s: more than %zu moves needed", sw, cap);
	return -EOVERFLOW;
}

/* ---- health ------------------------------------------------------------*/

enum l2x_place_verdict l2x_place_judge(const struct l2x_place_health *h,
				       const char **why)
{
	bool up =
	    h->reporting && h->local_up && h->remote_fresh && h->remote_up;

	*why = NULL;
	if (h->leading_for < L2X_PLACE_GRACE_S)
		return L2X_PLACE_KEEP;
	if (up)
		return h->sick ? L2X_PLACE_RECOVERED : L2X_PLACE_KEEP;
	if (!h->was_up || h->sick)
		return L2X_PLACE_KEEP;
	if (!h->reporting)
		*why = "its appliance at this site stopped reporting";
	else if (h->down_for >= h->down_limit)
		*why = !h->local_up	  ? "its tunnel is down"
		       : !h->remote_fresh ? "the paired site does not answer"
					  : "the paired site reports it down";
	if (*why == NULL)
		return L2X_PLACE_KEEP;
	return h->fails + 1 >= h->hold_after ? L2X_PLACE_HELD
					     : L2X_PLACE_FAILED;
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
