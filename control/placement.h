/* SPDX-License-Identifier: MIT */
/*
 * placement.h - the manager's placement decisions: which appliance pair
 * carries a new network extension, which appliances of a site form a
 * service mesh's pairs on a switch, and which uplink address an appliance
 * gets from a network profile's pool.
 *
 * Why this shape. Each decision is a pure function of a plain inventory
 * the caller builds from its store: no I/O, no globals, no allocation,
 * no clock. The manager's reconcile loop (STYLE.md 15) reads the store,
 * fills these arrays, asks, and writes the answer back in a transaction
 * guarded by the objects' revisions; running it twice with the same store
 * gives the same answer, since every tie is broken by a stable key (pair
 * id, appliance name, address). The functions are table-tested in
 * tests/unit/test_placement.c.
 *
 * Names. Switch and appliance names are NUL-terminated strings in char
 * arrays of L2X_PLACE_NAME_LEN; an array holding no NUL is not a name and
 * matches nothing. Names compare bytewise (strcmp order).
 *
 * Errors. Each function returns 0 or -errno and, when err is not NULL and
 * errlen is not 0, a sentence the caller can show (STYLE.md 7; the API
 * turns it into a 409/422 "message"). err is left untouched on success.
 *
 * Thread-safety: none needed; the functions read only their arguments and
 * write only their outputs, so any thread may call them.
 */
#ifndef L2X_PLACEMENT_H
#define L2X_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Size of a switch or appliance name array, NUL included. */
#define L2X_PLACE_NAME_LEN 64
/* Most pairs on one switch l2x_place_rebalance takes (-E2BIG beyond). */
#define L2X_PLACE_SWITCH_PAIRS_MAX 64
/* Networks one pair carries when its limit is 0: one per VLAN ID
 * (IEEE 802.1Q: 1..4094). */
#define L2X_PLACE_PAIR_LIMIT 4094u

/*
 * One appliance pair of a service mesh, as the extension placement sees
 * it.
 *   id        the pair's id: the last tie-breaker (lowest wins).
 *   sw        the local switch the pair serves.
 *   networks  networks it carries now (extended or extending).
 *   traffic   bytes/s it forwards, 0 if unknown (then it counts as idle).
 *   limit     most networks it may carry; 0 = L2X_PLACE_PAIR_LIMIT.
 *   up        its tunnel is up. Not required: a pair still coming up can
 *             take networks, which it extends once the tunnel is up.
 *   healthy   both appliances report in and the tunnel is not down for
 *             long. An unhealthy pair takes none; l2x_place_rebalance
 *             moves its networks away.
 *   draining  being removed (scale-in): takes none, gives all.
 *   held      failed too often, held out until an operator clears it:
 *             takes none (its networks moved away when it failed).
 */
struct l2x_place_pair {
	uint32_t id;
	char sw[L2X_PLACE_NAME_LEN];
	uint32_t networks;
	uint64_t traffic;
	uint32_t limit;
	bool up;
	bool healthy;
	bool draining;
	bool held;
};

/*
 * Choose the pair that carries a new network extension on switch sw: of
 * the healthy pairs on sw below their limit, neither draining nor held,
 * the one with the fewest
 * networks; ties go to the least traffic, then to the lowest id.
 *   pairs, n  the site's pairs (any switch; pairs may be NULL if n is 0).
 *   sw        the local switch of the port group to extend.
 *   idx       out: the index of the chosen pair in pairs.
 *   err       out: the reason on failure (errlen bytes, may be NULL).
 * Returns 0; -ENOENT if sw has no pair ("no appliance pair on switch X")
 * or only unhealthy, draining or held ones ("no healthy appliance pair
 * on switch X: N unhealthy, D draining or held"); -ENOSPC if every healthy pair
 * on sw is at its limit
 * ("every pair on switch X carries its limit (N networks)"); -EINVAL for
 * a NULL sw or idx.
 */
int l2x_place_extension(const struct l2x_place_pair *pairs, size_t n,
			const char *sw, size_t *idx, char *err, size_t errlen);

/* One network to move from pairs[from] to pairs[to] (indices). */
struct l2x_place_move {
	size_t from;
	size_t to;
};

/*
 * The moves that rebalance switch sw. First every network of a pair that
 * must empty (unhealthy or draining) goes to a pair that may take it
 * (healthy, not draining, not held, below its limit): to the lightest
 * one each time, as l2x_place_extension chooses. Then, if even, the
 * takers are evened out: their counts end within one of each other (a
 * limit permitting), with the fewest moves; the extra network of an
 * uneven split stays with the pairs that hold the most now, and among
 * equals with the least busy, so the busiest pair gives first; moves
 * leave the busiest donors first. Pairs of other switches are ignored.
 * Without even (a failure: no network moves back, none moves between
 * healthy pairs) only the first part runs.
 *   pairs, n  the site's pairs (networks as they are now).
 *   sw        the switch to rebalance.
 *   even      also even out the takers.
 *   moves     out: the moves, in the order to start them (room for cap).
 *   nmoves    out: how many were written.
 *   err       out: the reason on failure (errlen bytes, may be NULL).
 * Returns 0 when the plan is complete (nothing to do gives 0 moves);
 * -ENOSPC when some networks that must leave have nowhere to go ("switch
 * X: N networks have no healthy pair to go to"; the moves that can be
 * made are written); -EOVERFLOW when cap moves were written and more are
 * needed (make them, then ask again); -E2BIG for more than
 * L2X_PLACE_SWITCH_PAIRS_MAX pairs on sw; -EINVAL for a NULL sw, nmoves,
 * or moves with cap > 0. Costs O(moves x pairs on sw).
 */
int l2x_place_rebalance(const struct l2x_place_pair *pairs, size_t n,
			const char *sw, bool even, struct l2x_place_move *moves,
			size_t cap, size_t *nmoves, char *err, size_t errlen);

/*
 * A pair's health, judged once per reconciler pass from what the manager
 * observed (scale.c gathers it). Times in seconds.
 *   leading_for  how long this manager has led (or run): before
 *                L2X_PLACE_GRACE_S nothing is judged (no appliance had the
 *                time to report to it yet)
 *   reporting    its appliance at this site reported lately
 *   local_up     ... and says the tunnel is up
 *   remote_fresh the paired site's view is fresh
 *   remote_up    ... and says its end is up
 *   was_up       it was up since this manager leads, or carries an
 *                extended network (a pair still coming up is not failing)
 *   sick         it is marked unhealthy already
 *   down_for     how long its tunnel has been down (0 while up)
 *   down_limit   how long down is a failure (L2X_MGR_PAIR_DOWN_S)
 *   fails        its failures within the window, before this one
 *   hold_after   failures within the window that hold it out
 */
#define L2X_PLACE_GRACE_S 10.0
struct l2x_place_health {
	double leading_for;
	bool reporting;
	bool local_up;
	bool remote_fresh;
	bool remote_up;
	bool was_up;
	bool sick;
	double down_for;
	double down_limit;
	unsigned fails;
	unsigned hold_after;
};

enum l2x_place_verdict {
	L2X_PLACE_KEEP,	     /* nothing changes */
	L2X_PLACE_RECOVERED, /* unhealthy -> healthy (takes nothing back) */
	L2X_PLACE_FAILED,    /* healthy -> unhealthy: its networks move */
	L2X_PLACE_HELD,	     /* ... and it is held out from now on */
};

/* The verdict on h; *why (not NULL) is set to the failure's reason for
 * FAILED and HELD ("its appliance at this site stopped reporting", "its
 * tunnel is down", "the paired site does not answer", "the paired site
 * reports it down"), else to NULL. An unreported appliance fails at once
 * (its silence was L2X_MGR_APPL_TIMEOUT_S already); a tunnel down only
 * after down_limit. */
enum l2x_place_verdict l2x_place_judge(const struct l2x_place_health *h,
				       const char **why);

/*
 * One enrolled appliance of a site, as the mesh allocation sees it.
 *   name     the appliance's name (unique in the site).
 *   sw       the switch its LAN trunk is on.
 *   healthy  it reports in.
 *   in_use   it is already one side of a mesh pair.
 */
struct l2x_place_appl {
	char name[L2X_PLACE_NAME_LEN];
	char sw[L2X_PLACE_NAME_LEN];
	bool healthy;
	bool in_use;
};

/*
 * Choose k appliances for k new mesh pairs on switch sw: the free
 * (healthy, not in use) appliances on sw, the first k in name order, so a
 * retried mesh creation picks the same ones.
 *   appls, n  the site's enrolled appliances (any switch, any order).
 *   sw        the switch the mesh pairs serve.
 *   k         how many appliances are needed (0 chooses none).
 *   out       out: k indices into appls, in name order (room for k).
 *   err       out: the reason on failure (errlen bytes, may be NULL).
 * Returns 0; -ENOSPC if fewer than k are free ("switch X has N free
 * appliances, the mesh needs K"; out untouched); -EINVAL for a NULL sw,
 * or a NULL out with k > 0.
 */
int l2x_place_mesh(const struct l2x_place_appl *appls, size_t n, const char *sw,
		   size_t k, size_t *out, char *err, size_t errlen);

/*
 * A network profile's uplink pool. Addresses are IPv4 in host byte order.
 *   start, end  the pool, inclusive (start <= end).
 *   prefix      the uplink subnet's length, 1..32; start..end must lie in
 *               one subnet of that length.
 *   gateway     the subnet's gateway, never handed out; 0 = none.
 */
struct l2x_place_pool {
	uint32_t start;
	uint32_t end;
	uint8_t prefix;
	uint32_t gateway;
};

/*
 * The lowest free address of a pool: in start..end and not the gateway,
 * not in used[], and not the subnet's network or broadcast address (for
 * prefixes up to 30; a /31 has neither, RFC 3021 section 2.1, nor a /32).
 * Costs O(nused^2) whatever the pool's size: each address skipped is one
 * of the nused + 3 excluded ones.
 *   pool        the profile's pool.
 *   used, nused addresses already given out (any order, any value; may be
 *               NULL if nused is 0).
 *   addr        out: the address.
 *   err         out: the reason on failure (errlen bytes, may be NULL).
 * Returns 0; -ENOSPC if no address is free ("pool A..B is exhausted");
 * -EINVAL if the pool itself is wrong (prefix outside 1..32, start > end,
 * or a range across subnets: "pool A..B does not lie in one /P subnet"),
 * or for a NULL pool or addr.
 */
int l2x_place_address(const struct l2x_place_pool *pool, const uint32_t *used,
		      size_t nused, uint32_t *addr, char *err, size_t errlen);

#endif /* L2X_PLACEMENT_H */
