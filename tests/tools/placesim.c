/* SPDX-License-Identifier: MIT */
/*
 * placesim.c - the manager's placement, rebalance and failure logic
 * (control/placement.h, the very functions the manager calls) run against
 * fake appliances, on a simulated site much larger than a test bed holds.
 *
 *   placesim [--switches N] [--pairs N] [--extensions N] [--events N]
 *            [--seed S]
 *
 * Defaults: 50 switches, 20 pairs each, 100,000 extensions, 10,000
 * events, seed 1: the full size, run by `make bench`; `make test` runs a
 * short one (Makefile, PLACESIM_SHORT).
 *
 * The model: one site. Each switch has its pairs (healthy, draining, held,
 * the times of their last failures) and its extensions, one per VLAN
 * (1..4094, unique on the switch), each placed on a pair, moving, or
 * unplaced (no pair could take it). The fake appliance backend is a VLAN
 * set per pair: what that pair's appliances carry. It refuses to add a
 * VLAN another pair of the switch carries, because the manager's rule is
 * remove-before-add (a move removes from the old pair first, the
 * extension is "moving", then adds to the new one), so a VLAN is never on
 * two pairs; the sets are kept apart from the extension records, so the
 * check compares two records, not one with itself.
 *
 * First the extensions are made, one l2x_place_extension each, round the
 * switches. Then the events, drawn from --seed (the same seed, the same
 * run): extend, unextend; a pair fails (unhealthy, l2x_place_rebalance
 * without even; what no pair can take becomes unplaced) and recovers
 * (healthy, takes nothing back); scale-out (new pairs, rebalance even);
 * scale-in (a pair drains, rebalance even, removed once empty; even the
 * last pair that can take may drain, and then waits); a pair that failed
 * 3 times within 600 simulated seconds is held out until an operator
 * clears it (an event too). A recovery, a clear or a scale-out
 * also re-places the unplaced extensions of that switch and finishes a
 * drain that had nowhere to go (the manager's reconcile pass).
 *
 * After every event the switch it touched is checked whole (the others did
 * not change; every switch is checked at the start, every 1000 events and
 * at the end): the pairs' VLAN sets are disjoint, each set's size is the
 * count the inventory gives the placement functions, each placed
 * extension is in its pair's set and no set holds anything else, nothing
 * is left moving; if the switch has a pair that can take networks, every
 * extension is placed; an unhealthy or held pair carries nothing, nor
 * does a draining one unless no pair can take its networks. After each
 * rebalance with even that completes, the takers differ by at most one
 * and the moves were the fewest (no pair both gave and took). A
 * violation prints what and where and exits 1.
 *
 * It prints per decision how long each l2x_place_* call took (only the
 * call, CLOCK_MONOTONIC): count, min, median, p99 and max microseconds;
 * and the checks it made. Figures, not a pass/fail on time (STYLE.md,
 * "Benchmarks print ratios").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/placement.h"

#define VLAN_MAX 4094
#define VWORDS ((VLAN_MAX + 1 + 63) / 64) /* bit v: VLAN v */
/* at[] of a switch: a VLAN not extended, unplaced, moving; else the id
 * of the pair that carries it. Pair ids start at 1. */
#define AT_NONE 0u
#define AT_UNPLACED UINT32_MAX
#define AT_MOVING (UINT32_MAX - 1)
/* Hold-out: this many failures within HOLD_WINDOW simulated seconds. */
#define HOLD_FAILS 3
#define HOLD_WINDOW 600
/* The manager's move batch: small, so that -EOVERFLOW and asking again
 * are exercised on every large rebalance. */
#define MOVE_CAP 64
#define FLAP_RING 8

/* The fake appliance pair behind inv[slot]. */
struct sim_pair {
	uint64_t vlans[VWORDS];	    /* what its appliances carry */
	uint64_t fails[HOLD_FAILS]; /* times of its last failures, a ring */
	unsigned nfails;
	uint32_t rate; /* bytes/s per network: its traffic */
	size_t sw;
};

struct sim_sw {
	char name[L2X_PLACE_NAME_LEN];
	uint32_t pid[L2X_PLACE_SWITCH_PAIRS_MAX]; /* its pairs' ids */
	size_t np;
	uint32_t at[VLAN_MAX + 1];  /* per VLAN, AT_* or a pair id */
	uint16_t vl[VLAN_MAX];	    /* its extended VLANs, dense */
	uint16_t pos[VLAN_MAX + 1]; /* where each is in vl */
	size_t nx;		    /* extensions */
	size_t unplaced;
};

enum dec { D_EXTEND, D_FAIL, D_SCALE_OUT, D_SCALE_IN, D_RECONCILE, D_N };
static const char *const dec_name[D_N] = {
    "extension", "rebalance failure", "rebalance scale-out",
    "rebalance scale-in", "rebalance reconcile"};

struct timing {
	uint64_t *ns;
	size_t n, cap;
	uint64_t moves; /* moves it asked for */
};

enum ev { E_EXTEND, E_UNEXTEND, E_FAIL, E_RECOVER, E_OUT, E_IN, E_CLEAR, E_N };
static const char *const ev_name[E_N] = {"extend",   "unextend",  "failure",
					 "recovery", "scale-out", "scale-in",
					 "clear"};

struct checks {
	uint64_t sweeps, vlans, sets, adds, placed, evacuated, balanced;
};

struct sim {
	struct l2x_place_pair *inv; /* the site's pairs, as the store has */
	struct sim_pair *app;	    /* parallel to inv */
	size_t n, cap;
	size_t *slot; /* by pair id: its index in inv */
	uint32_t next_id, max_id;
	struct sim_sw *sw;
	size_t nsw;
	uint64_t seed, now, event, live;
	const char *doing;
	uint32_t flap[FLAP_RING]; /* recently recovered: fail again soon */
	size_t nflap;
	struct timing t[D_N];
	struct checks c;
	uint64_t evs[E_N], held, overflows, unplaced_drops;
	struct l2x_place_move moves[MOVE_CAP];
};

static uint64_t rnd(struct sim *s)
{
	s->seed ^= s->seed << 13;
	s->seed ^= s->seed >> 7;
	s->seed ^= s->seed << 17;
	return s->seed;
}

static void violation(const struct sim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
static void violation(const struct sim *s, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr,
		"placesim: VIOLATION at event %" PRIu64 " (%s): ", s->event,
		s->doing);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void record(struct timing *t, uint64_t ns)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 1024;
		uint64_t *ns2 = realloc(t->ns, cap * sizeof(*ns2));

		if (ns2 == NULL) {
			fprintf(stderr, "placesim: out of memory\n");
			exit(2);
		}
		t->ns = ns2;
		t->cap = cap;
	}
	t->ns[t->n++] = ns;
}

static bool has(const uint64_t *set, unsigned v)
{
	return set[v / 64] >> (v % 64) & 1;
}

static struct l2x_place_pair *pair_of(struct sim *s, uint32_t id)
{
	return &s->inv[s->slot[id]];
}

static bool takes(const struct l2x_place_pair *p)
{
	return p->healthy && !p->draining && !p->held;
}

static size_t takers(struct sim *s, size_t w)
{
	size_t r = 0;

	for (size_t j = 0; j < s->sw[w].np; j++)
		r += takes(pair_of(s, s->sw[w].pid[j]));
	return r;
}

/* ---- the fake appliance backend ---------------------------------------- */

/* Pair slot starts carrying vlan. The manager removed it from any other
 * pair first; if one still carries it, the VLAN would be on two pairs. */
static void appl_add(struct sim *s, size_t slot, unsigned vlan)
{
	struct sim_sw *w = &s->sw[s->app[slot].sw];

	for (size_t j = 0; j < w->np; j++)
		if (has(s->app[s->slot[w->pid[j]]].vlans, vlan))
			violation(s,
				  "switch %s: VLAN %u added to pair %u while "
				  "pair %u carries it",
				  w->name, vlan, s->inv[slot].id, w->pid[j]);
	s->c.adds++;
	s->app[slot].vlans[vlan / 64] |= 1ull << (vlan % 64);
	s->inv[slot].networks++;
	s->inv[slot].traffic += s->app[slot].rate;
	w->at[vlan] = s->inv[slot].id;
}

static void appl_remove(struct sim *s, size_t slot, unsigned vlan)
{
	if (!has(s->app[slot].vlans, vlan))
		violation(s, "VLAN %u removed from pair %u, which lacks it",
			  vlan, s->inv[slot].id);
	s->app[slot].vlans[vlan / 64] &= ~(1ull << (vlan % 64));
	s->inv[slot].networks--;
	s->inv[slot].traffic -= s->app[slot].rate;
}

/* ---- decisions ---------------------------------------------------------- */

/* Place the extension of VLAN vlan on switch w (extended, unplaced). */
static int place(struct sim *s, size_t w, unsigned vlan)
{
	size_t idx = SIZE_MAX;
	uint64_t t0 = now_ns();
	int rc =
	    l2x_place_extension(s->inv, s->n, s->sw[w].name, &idx, NULL, 0);

	record(&s->t[D_EXTEND], now_ns() - t0);
	if (rc != 0) {
		if (takers(s, w) > 0)
			violation(s,
				  "switch %s: placement refused (%d) with "
				  "a pair able to take it",
				  s->sw[w].name, rc);
		return rc;
	}
	if (idx >= s->n || s->app[idx].sw != w || !takes(&s->inv[idx]))
		violation(s,
			  "switch %s: placed on pair %zu, not a taker of "
			  "the switch",
			  s->sw[w].name, idx);
	s->sw[w].unplaced--;
	appl_add(s, idx, vlan);
	return 0;
}

/* One network from pair slot f to t, remove-before-add. */
static void move_one(struct sim *s, size_t f, size_t t)
{
	struct sim_sw *w = &s->sw[s->app[f].sw];
	unsigned vlan = 0;

	if (s->app[t].sw != s->app[f].sw || !takes(&s->inv[t]))
		violation(s,
			  "move from pair %u to pair %u: not a taker of "
			  "its switch",
			  s->inv[f].id, s->inv[t].id);
	for (size_t k = 0; k < VWORDS && vlan == 0; k++)
		if (s->app[f].vlans[k] != 0)
			vlan = (unsigned)(k * 64 + (unsigned)__builtin_ctzll(
						       s->app[f].vlans[k]));
	if (vlan == 0)
		violation(s, "move from pair %u, which carries nothing",
			  s->inv[f].id);
	appl_remove(s, f, vlan);
	w->at[vlan] = AT_MOVING;
	appl_add(s, t, vlan);
}

/* Pair slot's networks become unplaced: it is down and no pair could
 * take them; the reconcile pass re-places them when one can. */
static void drop(struct sim *s, size_t slot)
{
	struct sim_sw *w = &s->sw[s->app[slot].sw];

	for (unsigned v = 1; v <= VLAN_MAX && s->inv[slot].networks > 0; v++)
		if (has(s->app[slot].vlans, v)) {
			appl_remove(s, slot, v);
			w->at[v] = AT_UNPLACED;
			w->unplaced++;
			s->unplaced_drops++;
		}
}

/* After a rebalance with even on w: the takers within one of each other,
 * and as many moves as networks that left their pairs (before[]: the
 * counts first), so none moved twice and no pair both gave and took. */
static void check_even(struct sim *s, size_t w, const uint32_t *before,
		       uint64_t moves)
{
	uint32_t lo = UINT32_MAX, hi = 0;
	uint64_t out = 0;

	for (size_t j = 0; j < s->sw[w].np; j++) {
		const struct l2x_place_pair *p = pair_of(s, s->sw[w].pid[j]);

		out += before[j] > p->networks ? before[j] - p->networks : 0;
		if (!takes(p))
			continue;
		lo = p->networks < lo ? p->networks : lo;
		hi = p->networks > hi ? p->networks : hi;
	}
	if (lo != UINT32_MAX && hi - lo > 1)
		violation(s, "switch %s: takers hold %u to %u networks",
			  s->sw[w].name, lo, hi);
	if (moves != out)
		violation(s,
			  "switch %s: %" PRIu64 " moves where %" PRIu64
			  " networks left their pairs",
			  s->sw[w].name, moves, out);
	s->c.balanced++;
}

/* Rebalance switch w, making the moves batch by batch as the manager
 * does (-EOVERFLOW: make them, ask again). Without even, what no pair
 * can take is dropped from the unhealthy pairs. */
static int rebalance(struct sim *s, size_t w, bool even, enum dec d)
{
	uint32_t before[L2X_PLACE_SWITCH_PAIRS_MAX];
	uint64_t moves = 0;
	size_t nm;
	int rc;

	for (size_t j = 0; j < s->sw[w].np; j++)
		before[j] = pair_of(s, s->sw[w].pid[j])->networks;
	do {
		uint64_t t0 = now_ns();

		rc = l2x_place_rebalance(s->inv, s->n, s->sw[w].name, even,
					 s->moves, MOVE_CAP, &nm, NULL, 0);
		record(&s->t[d], now_ns() - t0);
		s->overflows += rc == -EOVERFLOW;
		for (size_t k = 0; k < nm; k++)
			move_one(s, s->moves[k].from, s->moves[k].to);
		moves += nm;
	} while (rc == -EOVERFLOW);
	s->t[d].moves += moves;
	if (rc != 0 && rc != -ENOSPC)
		violation(s, "switch %s: rebalance returned %d", s->sw[w].name,
			  rc);
	if (rc == -ENOSPC && takers(s, w) > 0)
		violation(s, "switch %s: -ENOSPC with a pair able to take",
			  s->sw[w].name);
	for (size_t j = 0; rc == -ENOSPC && j < s->sw[w].np; j++)
		if (!pair_of(s, s->sw[w].pid[j])->healthy)
			drop(s, s->slot[s->sw[w].pid[j]]);
	if (even && rc == 0)
		check_even(s, w, before, moves);
	return rc;
}

/* ---- the site's pairs ---------------------------------------------------- */

static void add_pair(struct sim *s, size_t w)
{
	size_t slot = s->n++;
	uint32_t id = s->next_id++;

	if (slot == s->cap || id > s->max_id ||
	    s->sw[w].np == L2X_PLACE_SWITCH_PAIRS_MAX)
		violation(s, "pair table full (a placesim bug)");
	s->inv[slot] =
	    (struct l2x_place_pair){.id = id, .up = true, .healthy = true};
	memcpy(s->inv[slot].sw, s->sw[w].name, L2X_PLACE_NAME_LEN);
	s->app[slot] = (struct sim_pair){
	    .rate = 1000 + (uint32_t)(rnd(s) % 1000), .sw = w};
	s->slot[id] = slot;
	s->sw[w].pid[s->sw[w].np++] = id;
}

/* A drained pair leaves the store: the later slots move down one. */
static void remove_pair(struct sim *s, size_t slot)
{
	struct sim_sw *w = &s->sw[s->app[slot].sw];
	uint32_t id = s->inv[slot].id;
	size_t j = 0;

	while (w->pid[j] != id)
		j++;
	w->pid[j] = w->pid[--w->np];
	memmove(&s->inv[slot], &s->inv[slot + 1],
		(s->n - slot - 1) * sizeof(s->inv[0]));
	memmove(&s->app[slot], &s->app[slot + 1],
		(s->n - slot - 1) * sizeof(s->app[0]));
	s->n--;
	for (size_t i = slot; i < s->n; i++)
		s->slot[s->inv[i].id] = i;
}

static void sweep_drained(struct sim *s, size_t w)
{
	for (size_t j = 0; j < s->sw[w].np;) {
		size_t slot = s->slot[s->sw[w].pid[j]];

		if (s->inv[slot].draining && s->inv[slot].networks == 0)
			remove_pair(s, slot); /* pid[j] is another one now */
		else
			j++;
	}
}

/* The manager's reconcile pass on w once a pair can take again: the
 * unplaced extensions are placed, an unfinished drain goes on. */
static void reconcile(struct sim *s, size_t w)
{
	struct sim_sw *sw = &s->sw[w];

	for (size_t k = 0; k < sw->nx && sw->unplaced > 0; k++)
		if (sw->at[sw->vl[k]] == AT_UNPLACED &&
		    place(s, w, sw->vl[k]) != 0)
			break;
	for (size_t j = 0; j < sw->np; j++)
		if (pair_of(s, sw->pid[j])->draining &&
		    pair_of(s, sw->pid[j])->networks > 0) {
			rebalance(s, w, true, D_RECONCILE);
			break;
		}
	sweep_drained(s, w);
}

/* ---- checks ---------------------------------------------------------------
 */

/* The pairs of w: disjoint VLAN sets, each as large as the inventory's
 * count; none out of service carries anything. Returns their union. */
static void check_sets(struct sim *s, size_t w, uint64_t *all, size_t *n)
{
	struct sim_sw *sw = &s->sw[w];
	size_t r = takers(s, w);

	*n = 0;
	for (size_t j = 0; j < sw->np; j++) {
		size_t slot = s->slot[sw->pid[j]], cnt = 0;
		const struct l2x_place_pair *p = &s->inv[slot];
		const uint64_t *v = s->app[slot].vlans;

		if (slot >= s->n || p->id != sw->pid[j] || s->app[slot].sw != w)
			violation(s, "switch %s: pair %u not in the store",
				  sw->name, sw->pid[j]);
		for (size_t k = 0; k < VWORDS; k++) {
			if (all[k] & v[k])
				violation(s,
					  "switch %s: VLAN %u on two pairs, "
					  "one of them pair %u",
					  sw->name,
					  (unsigned)(k * 64 +
						     (unsigned)__builtin_ctzll(
							 all[k] & v[k])),
					  p->id);
			all[k] |= v[k];
			cnt += (size_t)__builtin_popcountll(v[k]);
		}
		s->c.sets++;
		if (cnt != p->networks)
			violation(s,
				  "pair %u carries %zu VLANs, the store "
				  "says %u",
				  p->id, cnt, p->networks);
		if ((!p->healthy || p->held || (p->draining && r > 0)) &&
		    cnt > 0)
			violation(s,
				  "pair %u (%s) carries %zu networks after "
				  "its evacuation",
				  p->id,
				  !p->healthy ? "unhealthy"
				  : p->held   ? "held"
					      : "draining",
				  cnt);
		s->c.evacuated += !takes(p);
		*n += cnt;
	}
}

/* Switch w whole: its pairs' sets against its extension records. */
static void check_switch(struct sim *s, size_t w)
{
	struct sim_sw *sw = &s->sw[w];
	uint64_t all[VWORDS] = {0};
	size_t carried, placed = 0, unplaced = 0, ext = 0;

	check_sets(s, w, all, &carried);
	for (unsigned v = 1; v <= VLAN_MAX; v++) {
		uint32_t at = sw->at[v];
		size_t slot;

		if (at == AT_MOVING)
			violation(s, "switch %s: VLAN %u still moving",
				  sw->name, v);
		ext += at != AT_NONE;
		if (at != AT_NONE &&
		    (sw->pos[v] >= sw->nx || sw->vl[sw->pos[v]] != v))
			violation(s, "switch %s: VLAN %u not in its list",
				  sw->name, v);
		if (at == AT_NONE || at == AT_UNPLACED) {
			if (has(all, v))
				violation(s,
					  "switch %s: VLAN %u carried but not "
					  "placed",
					  sw->name, v);
			unplaced += at == AT_UNPLACED;
			continue;
		}
		slot = at < s->next_id ? s->slot[at] : s->n;
		if (slot >= s->n || s->inv[slot].id != at ||
		    s->app[slot].sw != w || !has(s->app[slot].vlans, v))
			violation(s,
				  "switch %s: VLAN %u placed on pair %u, "
				  "which does not carry it",
				  sw->name, v, at);
		placed++;
	}
	s->c.vlans += VLAN_MAX;
	if (placed != carried || unplaced != sw->unplaced || ext != sw->nx)
		violation(s,
			  "switch %s: %zu placed, %zu carried, %zu unplaced "
			  "(counted %zu), %zu extensions (listed %zu)",
			  sw->name, placed, carried, unplaced, sw->unplaced,
			  ext, sw->nx);
	if (unplaced > 0 && takers(s, w) > 0)
		violation(s,
			  "switch %s: %zu extensions unplaced, %zu pairs able "
			  "to take them",
			  sw->name, unplaced, takers(s, w));
	s->c.placed += takers(s, w) > 0;
	s->c.sweeps++;
}

static void check_all(struct sim *s)
{
	uint64_t live = 0;

	for (size_t w = 0; w < s->nsw; w++) {
		check_switch(s, w);
		live += s->sw[w].nx;
	}
	if (live != s->live)
		violation(s, "%" PRIu64 " extensions, %" PRIu64 " counted",
			  live, s->live);
}

/* ---- events -------------------------------------------------------------- */

/* A switch from a random start for which ok() holds; SIZE_MAX if none. */
static size_t pick_sw(struct sim *s, bool (*ok)(struct sim *, size_t))
{
	size_t w0 = (size_t)(rnd(s) % s->nsw);

	for (size_t k = 0; k < s->nsw; k++)
		if (ok(s, (w0 + k) % s->nsw))
			return (w0 + k) % s->nsw;
	return SIZE_MAX;
}

/* A pair slot from a random start for which ok() holds; SIZE_MAX if none. */
static size_t pick_pair(struct sim *s,
			bool (*ok)(const struct l2x_place_pair *))
{
	size_t i0 = s->n ? (size_t)(rnd(s) % s->n) : 0;

	for (size_t k = 0; k < s->n; k++)
		if (ok(&s->inv[(i0 + k) % s->n]))
			return (i0 + k) % s->n;
	return SIZE_MAX;
}

static bool has_room(struct sim *s, size_t w)
{
	return s->sw[w].nx < VLAN_MAX;
}

static bool has_ext(struct sim *s, size_t w)
{
	return s->sw[w].nx > 0;
}

static size_t extend_on(struct sim *s, size_t w)
{
	struct sim_sw *sw = &s->sw[w];
	unsigned v = 0;

	for (int k = 0; k < 64 && v == 0; k++) {
		v = 1 + (unsigned)(rnd(s) % VLAN_MAX);
		v = sw->at[v] == AT_NONE ? v : 0;
	}
	for (unsigned u = 1; u <= VLAN_MAX && v == 0; u++)
		v = sw->at[u] == AT_NONE ? u : 0;
	sw->at[v] = AT_UNPLACED;
	sw->unplaced++;
	sw->pos[v] = (uint16_t)sw->nx;
	sw->vl[sw->nx++] = (uint16_t)v;
	s->live++;
	place(s, w, v);
	return w;
}

static size_t ev_extend(struct sim *s)
{
	size_t w = pick_sw(s, has_room);

	return w == SIZE_MAX ? w : extend_on(s, w);
}

static size_t ev_unextend(struct sim *s)
{
	size_t w = pick_sw(s, has_ext), k;
	struct sim_sw *sw;
	unsigned v;

	if (w == SIZE_MAX)
		return w;
	sw = &s->sw[w];
	k = (size_t)(rnd(s) % sw->nx);
	v = sw->vl[k];
	if (sw->at[v] == AT_UNPLACED)
		sw->unplaced--;
	else
		appl_remove(s, s->slot[sw->at[v]], v);
	sw->at[v] = AT_NONE;
	sw->vl[k] = sw->vl[--sw->nx];
	sw->pos[sw->vl[k]] = (uint16_t)k;
	s->live--;
	return w;
}

static bool is_healthy(const struct l2x_place_pair *p)
{
	return p->healthy;
}

/* A pair fails: half the time one that recovered lately (pairs flap),
 * so that some fail HOLD_FAILS times within HOLD_WINDOW and are held. */
static size_t ev_fail(struct sim *s)
{
	size_t slot = SIZE_MAX, w;
	struct sim_pair *a;

	if (s->nflap > 0 && rnd(s) % 2) {
		uint32_t id = s->flap[rnd(s) % s->nflap];

		slot = s->slot[id];
		if (slot >= s->n || s->inv[slot].id != id ||
		    !s->inv[slot].healthy)
			slot = SIZE_MAX;
	}
	if (slot == SIZE_MAX)
		slot = pick_pair(s, is_healthy);
	if (slot == SIZE_MAX)
		return slot;
	a = &s->app[slot];
	w = a->sw;
	s->inv[slot].healthy = false;
	a->fails[a->nfails++ % HOLD_FAILS] = s->now;
	/* the oldest of the last HOLD_FAILS is the next one overwritten */
	if (a->nfails >= HOLD_FAILS && !s->inv[slot].held &&
	    s->now - a->fails[a->nfails % HOLD_FAILS] <= HOLD_WINDOW) {
		s->inv[slot].held = true;
		s->held++;
	}
	rebalance(s, w, false, D_FAIL);
	sweep_drained(s, w);
	return w;
}

static bool is_sick(const struct l2x_place_pair *p)
{
	return !p->healthy;
}

static size_t ev_recover(struct sim *s)
{
	size_t slot = pick_pair(s, is_sick);

	if (slot == SIZE_MAX)
		return slot;
	s->inv[slot].healthy = true; /* takes nothing back */
	s->flap[s->nflap < FLAP_RING ? s->nflap++ : rnd(s) % FLAP_RING] =
	    s->inv[slot].id;
	reconcile(s, s->app[slot].sw);
	return s->app[slot].sw;
}

static bool is_held(const struct l2x_place_pair *p)
{
	return p->held;
}

/* An operator clears a held pair: its failure history too. */
static size_t ev_clear(struct sim *s)
{
	size_t slot = pick_pair(s, is_held);

	if (slot == SIZE_MAX)
		return slot;
	s->inv[slot].held = false;
	s->app[slot].nfails = 0;
	reconcile(s, s->app[slot].sw);
	return s->app[slot].sw;
}

static bool can_grow(struct sim *s, size_t w)
{
	return s->sw[w].np + 2 <= L2X_PLACE_SWITCH_PAIRS_MAX &&
	       s->next_id + 2 <= s->max_id;
}

static size_t ev_scale_out(struct sim *s)
{
	size_t w = pick_sw(s, can_grow);

	if (w == SIZE_MAX)
		return w;
	add_pair(s, w);
	if (rnd(s) % 4 == 0)
		add_pair(s, w);
	reconcile(s, w);
	rebalance(s, w, true, D_SCALE_OUT);
	return w;
}

/* Even the last taker may be drained (an operator scales in while the
 * other pairs are down): the drain then waits for the reconcile pass. */
static bool can_shrink(struct sim *s, size_t w)
{
	return takers(s, w) >= 1;
}

static size_t ev_scale_in(struct sim *s)
{
	size_t w = pick_sw(s, can_shrink), k;

	if (w == SIZE_MAX)
		return w;
	k = takers(s, w) >= 4 && rnd(s) % 4 == 0 ? 2 : 1;
	while (k > 0) {
		struct l2x_place_pair *p =
		    pair_of(s, s->sw[w].pid[rnd(s) % s->sw[w].np]);

		if (takes(p)) {
			p->draining = true;
			k--;
		}
	}
	rebalance(s, w, true, D_SCALE_IN);
	sweep_drained(s, w);
	return w;
}

/* One event; returns the switch it touched. Extend or unextend keep
 * the extensions near their number; an event that cannot happen (no
 * unhealthy pair to recover) becomes one of those. */
static size_t event(struct sim *s, uint64_t target)
{
	static size_t (*const ev[E_N])(struct sim *) = {
	    ev_extend,	  ev_unextend, ev_fail, ev_recover,
	    ev_scale_out, ev_scale_in, ev_clear};
	unsigned r = (unsigned)(rnd(s) % 100);
	enum ev e = r < 60   ? E_EXTEND
		    : r < 72 ? E_FAIL
		    : r < 84 ? E_RECOVER
		    : r < 89 ? E_OUT
		    : r < 94 ? E_IN
			     : E_CLEAR;
	size_t w = SIZE_MAX;

	if (e != E_EXTEND) {
		s->doing = ev_name[e];
		w = ev[e](s);
	}
	if (w == SIZE_MAX) {
		e = rnd(s) % (2 * target + 1) >= s->live ? E_EXTEND
							 : E_UNEXTEND;
		s->doing = ev_name[e];
		w = ev[e](s);
	}
	if (w == SIZE_MAX) {
		e = e == E_EXTEND ? E_UNEXTEND : E_EXTEND;
		s->doing = ev_name[e];
		w = ev[e](s);
	}
	s->evs[e]++;
	return w;
}

/* ---- report ---------------------------------------------------------------
 */

static int by_ns(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of sorted ns[], in microseconds. */
static double pct(const uint64_t *ns, size_t n, unsigned p)
{
	size_t rank = (n * p + 99) / 100;

	return (double)ns[rank > 0 ? rank - 1 : 0] / 1000.0;
}

static void report(struct sim *s, double secs)
{
	size_t sick = 0, held = 0, unplaced = 0;
	char moves[24];

	for (size_t i = 0; i < s->n; i++) {
		sick += !s->inv[i].healthy;
		held += s->inv[i].held;
	}
	for (size_t w = 0; w < s->nsw; w++)
		unplaced += s->sw[w].unplaced;
	printf("events:");
	for (int e = 0; e < E_N; e++)
		printf(" %s %" PRIu64 "%s", ev_name[e], s->evs[e],
		       e == E_N - 1 ? "\n" : ",");
	printf("  %" PRIu64 " pairs held out after %d failures in %d s, "
	       "%" PRIu64 " networks left unplaced by a failure (re-placed "
	       "later), %" PRIu64 " rebalance calls cut by -EOVERFLOW (%d "
	       "moves a batch)\n",
	       s->held, HOLD_FAILS, HOLD_WINDOW, s->unplaced_drops,
	       s->overflows, MOVE_CAP);
	printf("site at the end: %zu pairs (%zu unhealthy, %zu held), %" PRIu64
	       " extensions (%zu unplaced)\n",
	       s->n, sick, held, s->live, unplaced);
	printf("%-20s %8s %8s %8s %8s %8s %8s  (us per call)\n", "decision",
	       "calls", "moves", "min", "median", "p99", "max");
	for (int d = 0; d < D_N; d++) {
		struct timing *t = &s->t[d];

		if (t->n == 0) {
			printf("%-20s %8d\n", dec_name[d], 0);
			continue;
		}
		qsort(t->ns, t->n, sizeof(t->ns[0]), by_ns);
		snprintf(moves, sizeof(moves), "%" PRIu64, t->moves);
		printf("%-20s %8zu %8s %8.2f %8.2f %8.2f %8.2f\n", dec_name[d],
		       t->n, d == D_EXTEND ? "-" : moves, pct(t->ns, t->n, 0),
		       pct(t->ns, t->n, 50), pct(t->ns, t->n, 99),
		       (double)t->ns[t->n - 1] / 1000.0);
	}
	printf("checks: %" PRIu64 " switch sweeps over %" PRIu64
	       " VLAN records and %" PRIu64 " pair VLAN sets (disjoint, "
	       "sized as the store says), %" PRIu64 " with a taker found "
	       "every extension placed, %" PRIu64 " out-of-service pairs "
	       "found empty; %" PRIu64 " adds found the VLAN on no other "
	       "pair; %" PRIu64 " even rebalances balanced within one in the "
	       "fewest moves; 0 violations\n",
	       s->c.sweeps, s->c.vlans, s->c.sets, s->c.placed, s->c.evacuated,
	       s->c.adds, s->c.balanced);
	printf("run: %.2f s\n", secs);
}

/* ---- main ------------------------------------------------------------------
 */

struct opts {
	uint64_t switches, pairs, extensions, events, seed;
};

static int usage(void)
{
	fprintf(stderr, "usage: placesim [--switches N] [--pairs N] "
			"[--extensions N] [--events N] [--seed S]\n");
	return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const char *const name[] = {
	    "--switches", "--pairs", "--extensions", "--events", "--seed"};
	uint64_t *field[] = {&o->switches, &o->pairs, &o->extensions,
			     &o->events, &o->seed};

	for (int i = 1; i < argc; i += 2) {
		size_t f = 0;
		char *end;

		while (f < 5 && strcmp(argv[i], name[f]) != 0)
			f++;
		if (f == 5 || i + 1 == argc || argv[i + 1][0] < '0' ||
		    argv[i + 1][0] > '9')
			return usage();
		errno = 0;
		*field[f] = strtoull(argv[i + 1], &end, 10);
		if (errno != 0 || *end != '\0') {
			fprintf(stderr, "placesim: %s: '%s' is not a number\n",
				name[f], argv[i + 1]);
			return 2;
		}
	}
	if (o->switches < 1 || o->switches > 1000 || o->pairs < 1 ||
	    o->pairs > L2X_PLACE_SWITCH_PAIRS_MAX ||
	    o->extensions > o->switches * VLAN_MAX || o->events > 100000000) {
		fprintf(stderr,
			"placesim: --switches 1..1000, --pairs 1..%d, "
			"--extensions up to %d a switch, --events up to "
			"10^8\n",
			L2X_PLACE_SWITCH_PAIRS_MAX, VLAN_MAX);
		return 2;
	}
	return 0;
}

static void sim_free(struct sim *s)
{
	if (s == NULL)
		return;
	for (int d = 0; d < D_N; d++)
		free(s->t[d].ns);
	free(s->inv);
	free(s->app);
	free(s->slot);
	free(s->sw);
	free(s);
}

static int setup(struct sim *s, const struct opts *o)
{
	s->nsw = (size_t)o->switches;
	s->cap = s->nsw * L2X_PLACE_SWITCH_PAIRS_MAX;
	/* scale-out adds at most 2 pairs an event */
	s->max_id = (uint32_t)(s->nsw * o->pairs + 2 * o->events + 2);
	s->next_id = 1;
	s->inv = calloc(s->cap, sizeof(*s->inv));
	s->app = calloc(s->cap, sizeof(*s->app));
	s->slot = calloc((size_t)s->max_id + 1, sizeof(*s->slot));
	s->sw = calloc(s->nsw, sizeof(*s->sw));
	if (!s->inv || !s->app || !s->slot || !s->sw) {
		fprintf(stderr, "placesim: out of memory\n");
		return 2;
	}
	/* xorshift needs a state other than 0 */
	s->seed = (o->seed + 1) * 0x9e3779b97f4a7c15ull;
	s->seed = s->seed ? s->seed : 1;
	for (size_t w = 0; w < s->nsw; w++) {
		snprintf(s->sw[w].name, L2X_PLACE_NAME_LEN, "dvs-%03zu", w);
		for (uint64_t j = 0; j < o->pairs; j++)
			add_pair(s, w);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {50, 20, 100000, 10000, 1};
	struct sim *s = calloc(1, sizeof(*s));
	uint64_t t0 = now_ns();
	int rc = parse(argc, argv, &o);

	if (rc != 0 || s == NULL || setup(s, &o) != 0) {
		sim_free(s);
		return rc != 0 ? rc : 2;
	}
	printf("placesim: %zu switches x %" PRIu64 " pairs, %" PRIu64
	       " extensions, %" PRIu64 " events, seed %" PRIu64 "\n",
	       s->nsw, o.pairs, o.extensions, o.events, o.seed);
	s->doing = "initial extensions";
	for (uint64_t i = 0; i < o.extensions; i++)
		extend_on(s, (size_t)(i % s->nsw));
	check_all(s);
	for (s->event = 1; s->event <= o.events; s->event++) {
		size_t w;

		s->now += 1 + rnd(s) % 10;
		w = event(s, o.extensions);
		if (w == SIZE_MAX)
			violation(s, "no event possible (a placesim bug)");
		check_switch(s, w);
		if (s->event % 1000 == 0)
			check_all(s);
	}
	s->event--;
	s->doing = "the end";
	check_all(s);
	report(s, (double)(now_ns() - t0) / 1e9);
	sim_free(s);
	return 0;
}
