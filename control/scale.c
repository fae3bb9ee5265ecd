/* SPDX-License-Identifier: MIT */
/*
 * scale.c - scale-out and scale-in of a service mesh, the rebalance that
 * follows, moves of network extensions between the pairs of a switch,
 * and the pairs' health: a failed pair's networks go to the healthy ones
 * (mgr.h; docs/architecture.md, "Scaling out").
 *
 * Only the site that leads the mesh (the initiator) decides; the other
 * site follows through /peer calls (peer.c). The decisions themselves
 * are placement.c's pure functions (l2x_place_rebalance); this file reads
 * the store into their inputs and carries their answer out.
 *
 * A move never lets two appliances of one site bridge a VLAN (a loop):
 *   moving     the extension is in no appliance's desired state at either
 *              site; it waits until neither old appliance holds it (an
 *              appliance that stopped reporting holds nothing: it is
 *              dead, or its manager has taken everything from it).
 *   extending  then it is put on the new pair at both sites, and goes
 *              extended as any new extension does.
 * Moves of different networks run at once (the reconciler steps them all
 * every 500 ms). The event of a finished move gives its gap: from the
 * moment it left the old pair to the moment it is extended on the new
 * one, an upper bound of the traffic gap.
 *
 * Health. A pair that was up (or carries an extended network) and whose
 * local appliance stops reporting (L2X_MGR_APPL_TIMEOUT_S), or whose
 * tunnel is down at either site for L2X_MGR_PAIR_DOWN_S, is unhealthy:
 * its networks go to the lightest healthy pairs of its switch, nothing
 * else moves. When it is up again it is healthy but gets nothing back
 * until the next scale or rebalance (no flapping). Failing
 * L2X_MGR_FAILS_HOLD times within L2X_MGR_FAILS_WINDOW_S holds it out
 * (it takes no network) until PATCH {"clearHeld": [id]}.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/apireq.h"
#include "control/mgr.h"
#include "control/placement.h"

#define S(o, k) json_string_value(json_object_get((o), (k)))
#define I(o, k) json_integer_value(json_object_get((o), (k)))
#define B(o, k) json_is_true(json_object_get((o), (k)))

/* Moves planned at once per switch; more follow on the next pass. */
#define MOVES_MAX 256

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool state_is(json_t *e, const char *s)
{
	return S(e, "state") != NULL && strcmp(S(e, "state"), s) == 0;
}

bool l2x_mgr_ext_moving(json_t *e)
{
	return state_is(e, "moving") ||
	       (state_is(e, "extending") &&
		(json_object_get(e, "movedFrom") != NULL || B(e, "moveIn")));
}

static struct l2x_mgr_pair_rt *pair_rt(struct l2x_mgr *m, json_int_t id)
{
	for (unsigned i = 0; i < m->n_pair_rt; i++)
		if (m->pair_rt[i].id == id)
			return &m->pair_rt[i];
	if (m->n_pair_rt == L2X_MGR_PAIRS_MAX)
		return NULL;
	memset(&m->pair_rt[m->n_pair_rt], 0, sizeof(m->pair_rt[0]));
	m->pair_rt[m->n_pair_rt].id = id;
	return &m->pair_rt[m->n_pair_rt++];
}

/* ---- moves -------------------------------------------------------------*/

/* Tell the other site the extension's move step; true when it took it. */
static bool tell_peer(struct l2x_mgr *m, json_t *e)
{
	char path[128], err[256];
	json_t *body, *ans = NULL;
	int status = 0, rc;

	snprintf(path, sizeof(path), "/peer/networkExtensions/%s", S(e, "id"));
	/* Moving, the pair it goes to comes along: the other site's new
	 * appliance takes fast rounds from then on (l2x_mgr_desired). */
	body = state_is(e, "moving")
		   ? json_pack("{s:s,s:I}", "state", "moving", "pair",
			       I(e, "toPair"))
		   : json_pack("{s:s,s:I}", "state", "extending", "pair",
			       I(e, "pair"));
	rc = l2x_mgr_peer_call(m, "PUT", path, body, &status, &ans, err,
			       sizeof(err));
	json_decref(body);
	json_decref(ans);
	return rc == 0 && status / 100 == 2;
}

/* Start moving e (its pair's lock held, e fresh from the store) to pair
 * `to`: off every appliance first. */
static int move_start(struct l2x_mgr *m, json_t *e, json_int_t to,
		      const char *why)
{
	int rc;

	l2x_mgr_set_state(e, "moving", why);
	json_object_set_new(e, "toPair", json_integer(to));
	json_object_set_new(e, "movedFrom", json_integer(I(e, "pair")));
	json_object_set_new(e, "moveStarted", json_real(wall()));
	json_object_set_new(e, "moveReason", json_string(why));
	json_object_set_new(e, "remoteAck", json_false());
	rc = l2x_mgr_save(m, "networkExtension", S(e, "id"), e, 0);
	if (rc != 0)
		return rc;
	l2x_mgr_event(m, "networkExtension", S(e, "id"),
		      "moving %s from pair %lld to pair %lld (%s)",
		      S(e, "name"), (long long)I(e, "pair"), (long long)to,
		      why);
	if (tell_peer(m, e)) {
		json_object_set_new(e, "remoteAck", json_true());
		rc = l2x_mgr_save(m, "networkExtension", S(e, "id"), e, 0);
	}
	return rc;
}

void l2x_mgr_move_step(struct l2x_mgr *m, json_t *e, bool held, json_t *rx,
		       bool remote_fresh)
{
	const char *id = S(e, "id");

	if (strcmp(S(e, "role"), "initiator") != 0)
		return; /* the other site follows our PUTs */
	if (!B(e, "remoteAck")) {
		if (tell_peer(m, e)) {
			json_object_set_new(e, "remoteAck", json_true());
			l2x_mgr_save(m, "networkExtension", id, e, 0);
		}
		return;
	}
	if (!state_is(e, "moving"))
		return;
	/* Off both old appliances? The other site's view must be fresh and
	 * say it moves and its appliance does not hold it. */
	if (held || !remote_fresh || rx == NULL ||
	    strcmp(S(rx, "state") ? S(rx, "state") : "", "moving") != 0 ||
	    json_is_true(json_object_get(rx, "held")))
		return;
	json_object_set_new(e, "pair", json_integer(I(e, "toPair")));
	json_object_del(e, "toPair");
	json_object_set_new(e, "startedAt",
			    json_integer((json_int_t)time(NULL)));
	l2x_mgr_set_state(e, "extending", S(e, "reason"));
	json_object_set_new(e, "remoteAck", json_boolean(tell_peer(m, e)));
	l2x_mgr_save(m, "networkExtension", id, e, 0);
}

void l2x_mgr_move_done(struct l2x_mgr *m, json_t *e)
{
	double gap;

	if (json_object_get(e, "moveStarted") == NULL)
		return;
	gap = wall() - json_real_value(json_object_get(e, "moveStarted"));
	l2x_mgr_event(m, "networkExtension", S(e, "id"),
		      "moved %s from pair %lld to pair %lld in %.2f s (%s)",
		      S(e, "name"), (long long)I(e, "movedFrom"),
		      (long long)I(e, "pair"), gap,
		      S(e, "moveReason") ? S(e, "moveReason") : "");
	json_object_set_new(e, "lastMove",
			    json_pack("{s:I,s:I,s:f}", "from",
				      I(e, "movedFrom"), "to", I(e, "pair"),
				      "gapSeconds", gap));
	json_object_del(e, "moveStarted");
	json_object_del(e, "movedFrom");
	json_object_del(e, "remoteAck");
	json_object_del(e, "moveReason");
}

/* ---- rebalance -----------------------------------------------------------*/

/* Pair p is healthy as the placement sees it: its health is not
 * "unhealthy" and its local appliance reports. */
static bool pair_healthy(struct l2x_mgr *m, json_t *p, uint64_t *traffic)
{
	json_t *st = l2x_mgr_fresh_status(
	    m, S(json_object_get(p, "local"), "appliance"));
	bool ok = st != NULL && (S(p, "health") == NULL ||
				 strcmp(S(p, "health"), "unhealthy") != 0);

	if (st != NULL && traffic != NULL) {
		json_t *c = json_object_get(st, "counters");

		*traffic = (uint64_t)(I(c, "rxTunnel") + I(c, "txTunnel"));
	}
	json_decref(st);
	return ok;
}

/* The pair an extension counts on: where it is going if it moves. */
static json_int_t counted_pair(json_t *e)
{
	return state_is(e, "moving") ? I(e, "toPair") : I(e, "pair");
}

/* Plan and start the moves of switch sw of mesh ms (the initiator's),
 * even as l2x_place_rebalance. Returns the number of moves started. */
static size_t rebalance(struct l2x_mgr *m, json_t *ms, const char *sw,
			bool even, const char *why)
{
	struct l2x_place_pair cand[L2X_PLACE_SWITCH_PAIRS_MAX];
	struct l2x_place_move mv[MOVES_MAX];
	json_t *exts = l2x_mgr_view(m, L2X_MGR_EXTS), *p, *e;
	json_int_t pid[L2X_PLACE_SWITCH_PAIRS_MAX];
	bool *taken = calloc(json_array_size(exts) + 1, sizeof(*taken));
	size_t n = 0, nmv = 0, started = 0, i, j;
	char err[256];
	int rc;

	json_array_foreach(json_object_get(ms, "pairs"), i, p)
	{
		if (strcmp(S(p, "switch"), sw) != 0 ||
		    n == L2X_PLACE_SWITCH_PAIRS_MAX)
			continue;
		memset(&cand[n], 0, sizeof(cand[n]));
		cand[n].id = (uint32_t)I(p, "id");
		snprintf(cand[n].sw, sizeof(cand[n].sw), "%s", sw);
		cand[n].healthy = pair_healthy(m, p, &cand[n].traffic);
		cand[n].draining = B(p, "draining");
		cand[n].held = B(p, "held");
		cand[n].limit = L2X_APIREQ_NETWORKS_MAX;
		json_array_foreach(exts, j, e) cand[n].networks +=
		    counted_pair(e) == I(p, "id") &&
		    !state_is(e, "unextending") && !state_is(e, "failed");
		pid[n] = I(p, "id");
		n++;
	}
	rc = l2x_place_rebalance(cand, n, sw, even, mv, MOVES_MAX, &nmv, err,
				 sizeof(err));
	if (rc == -ENOSPC)
		l2x_mgr_event(m, "serviceMesh", S(ms, "id"), "%s", err);
	/* Which networks: the newest (highest tunnel id) of each donor that
	 * sits still (extended, or extending and not moving). */
	for (size_t k = 0; k < nmv; k++) {
		json_int_t from = pid[mv[k].from], to = pid[mv[k].to];
		json_t *pick = NULL, *cur;
		size_t at = 0;

		json_array_foreach(exts, j, e)
		{
			if (taken == NULL || taken[j] || I(e, "pair") != from ||
			    (!state_is(e, "extended") &&
			     !state_is(e, "extending")) ||
			    strcmp(S(e, "role"), "initiator") != 0)
				continue;
			if (pick == NULL ||
			    I(e, "tunnelId") > I(pick, "tunnelId")) {
				pick = e;
				at = j;
			}
		}
		if (pick == NULL)
			continue;
		taken[at] = true;
		pthread_mutex_lock(l2x_mgr_pair_lock(m, from));
		cur = l2x_mgr_load(m, "networkExtension", S(pick, "id"), NULL);
		if (cur != NULL && I(cur, "pair") == from &&
		    (state_is(cur, "extended") || state_is(cur, "extending")) &&
		    move_start(m, cur, to, why) == 0)
			started++;
		json_decref(cur);
		pthread_mutex_unlock(l2x_mgr_pair_lock(m, from));
	}
	free(taken);
	json_decref(exts);
	return started;
}

/* ---- PATCH /serviceMeshes/{name} --------------------------------------*/

/* Add k pairs on switch sw (entry swe of the mesh's switches): this
 * site's appliances, then the other site's through /peer. */
static int scale_out(struct l2x_mgr *m, json_t *ms, json_t *swe, size_t k,
		     char *err, size_t errlen)
{
	json_t *meshes = l2x_mgr_load_all(m, "serviceMesh");
	json_t *mine = json_array(), *taken = json_array();
	json_t *pairs = json_array(), *peer_pairs = json_array();
	json_t *body = NULL, *ans = NULL;
	char path[160];
	int rc, status = 0;
	size_t i;

	rc = l2x_mgr_allocate(m, meshes, S(ms, "localComputeProfile"),
			      S(swe, "switch"), k, taken, mine, err, errlen);
	for (i = 0; rc == 0 && i < json_array_size(mine); i++)
		rc = l2x_mgr_new_pair(
		    m, S(swe, "switch"), S(swe, "remoteSwitch"),
		    json_array_get(mine, i), pairs, peer_pairs);
	if (rc != 0)
		goto out;
	body = json_pack("{s:O}", "pairs", peer_pairs);
	snprintf(path, sizeof(path), "/peer/serviceMeshes/%s/pairs",
		 S(ms, "id"));
	rc = l2x_mgr_peer_call(m, "POST", path, body, &status, &ans, err,
			       errlen);
	if (rc == 0 && status != 201) {
		const char *msg = S(json_object_get(ans, "error"), "message");

		snprintf(err, errlen, "the remote site: %s",
			 msg != NULL ? msg : "refused");
		rc = -EREMOTEIO;
	}
	if (rc == 0)
		rc = l2x_mgr_match_remote(pairs, ans, err, errlen);
	if (rc == 0)
		json_array_extend(json_object_get(ms, "pairs"), pairs);
out:
	json_decref(meshes);
	json_decref(mine);
	json_decref(taken);
	json_decref(pairs);
	json_decref(peer_pairs);
	json_decref(body);
	json_decref(ans);
	return rc;
}

/* Take k pairs of switch sw out: the unhealthy and held first, then the
 * highest ids. They drain; the reconciler removes them once empty. */
static void scale_in(json_t *ms, const char *sw, size_t k)
{
	json_t *p;
	size_t i;

	for (int pass = 0; pass < 2 && k > 0; pass++) {
		for (i = json_array_size(json_object_get(ms, "pairs"));
		     i-- > 0 && k > 0;) {
			p = json_array_get(json_object_get(ms, "pairs"), i);
			if (strcmp(S(p, "switch"), sw) != 0 || B(p, "draining"))
				continue;
			if (pass == 0 && !B(p, "held") &&
			    (S(p, "health") == NULL ||
			     strcmp(S(p, "health"), "unhealthy") != 0))
				continue;
			json_object_set_new(p, "draining", json_true());
			k--;
		}
	}
}

/* The pairs of sw in ms that are not draining. */
static size_t live_pairs(json_t *ms, const char *sw)
{
	size_t i, n = 0;
	json_t *p;

	json_array_foreach(json_object_get(ms, "pairs"), i, p) n +=
	    strcmp(S(p, "switch"), sw) == 0 && !B(p, "draining");
	return n;
}

void l2x_mgr_mesh_patch(struct l2x_mgr *m, const struct l2x_http_req *req,
			const char *id, struct l2x_http_resp *r)
{
	struct l2x_apireq_mesh_patch q;
	struct l2x_apireq_err e;
	json_t *ms = NULL, *swe = NULL, *p;
	uint64_t rev = 0;
	char err[512], field[64];
	size_t i, j;
	int rc;

	if (l2x_apireq_parse_mesh_patch(req->body, req->body_len, &q, &e)) {
		l2x_mgr_error(r, e.status, e.field, "%s", e.message);
		return;
	}
	pthread_mutex_lock(&m->mesh_lock);
	ms = l2x_mgr_load(m, "serviceMesh", id, &rev);
	if (ms == NULL) {
		l2x_mgr_error(r, 404, NULL, "no service mesh '%s'", id);
		goto out;
	}
	if (strcmp(S(ms, "role"), "initiator") != 0) {
		l2x_mgr_error(r, 409, NULL,
			      "service mesh '%s' is led by the other site: "
			      "scale it there",
			      id);
		goto out;
	}
	/* Check everything before changing anything. */
	for (i = 0; i < q.n_switches; i++) {
		swe = NULL;
		json_array_foreach(json_object_get(ms, "switches"), j, p)
		{
			if (strcmp(S(p, "switch"), q.switches[i].switch_name) ==
			    0)
				swe = p;
		}
		if (swe == NULL) {
			snprintf(field, sizeof(field), "switches[%zu].switch",
				 i);
			l2x_mgr_error(r, 422, field,
				      "switch '%s' is not in service mesh %s",
				      q.switches[i].switch_name, id);
			goto out;
		}
	}
	for (i = 0; i < q.n_clear_held; i++) {
		bool found = false;

		json_array_foreach(json_object_get(ms, "pairs"), j, p) found |=
		    I(p, "id") == q.clear_held[i];
		if (!found) {
			snprintf(field, sizeof(field), "clearHeld[%zu]", i);
			l2x_mgr_error(r, 422, field,
				      "service mesh %s has no pair %u", id,
				      q.clear_held[i]);
			goto out;
		}
	}
	for (i = 0; i < q.n_clear_held; i++) {
		json_array_foreach(json_object_get(ms, "pairs"), j, p)
		{
			if (I(p, "id") != q.clear_held[i] || !B(p, "held"))
				continue;
			json_object_del(p, "held");
			json_object_set_new(p, "failures", json_array());
			l2x_mgr_event(
			    m, "serviceMesh", id,
			    "pair %u cleared: it takes networks again",
			    q.clear_held[i]);
		}
	}
	for (i = 0; i < q.n_switches; i++) {
		const char *sw = q.switches[i].switch_name;
		size_t have = live_pairs(ms, sw), want;

		want = q.switches[i].appliance_pairs;
		swe = NULL;
		json_array_foreach(json_object_get(ms, "switches"), j, p)
		{
			if (strcmp(S(p, "switch"), sw) == 0)
				swe = p;
		}
		if (swe == NULL)
			continue; /* checked above */
		if (want > have) {
			rc = scale_out(m, ms, swe, want - have, err,
				       sizeof(err));
			if (rc != 0) {
				snprintf(field, sizeof(field),
					 "switches[%zu].appliancePairs", i);
				l2x_mgr_error(r,
					      rc == -ENOSPC	 ? 409
					      : rc == -ENOENT	 ? 422
					      : rc == -EREMOTEIO ? 409
								 : 502,
					      field, "%s", err);
				goto out;
			}
			l2x_mgr_event(m, "serviceMesh", id,
				      "switch %s scaled out from %zu to %zu "
				      "pairs",
				      sw, have, want);
		} else if (want < have) {
			scale_in(ms, sw, have - want);
			l2x_mgr_event(m, "serviceMesh", id,
				      "switch %s scaling in from %zu to %zu "
				      "pairs: %zu draining",
				      sw, have, want, have - want);
		}
		json_object_set_new(swe, "appliancePairs",
				    json_integer((json_int_t)want));
		/* Rebalance once the new pairs are up (the reconciler). */
		json_object_set_new(swe, "rebalance", json_true());
	}
	if (q.rebalance)
		json_array_foreach(json_object_get(ms, "switches"), j, swe)
		    json_object_set_new(swe, "rebalance", json_true());
	rc = l2x_mgr_save(m, "serviceMesh", id, ms, rev);
	if (rc != 0) {
		l2x_mgr_store_error(r, rc, "the service mesh");
		goto out;
	}
	l2x_mgr_reply(r, 202, l2x_mgr_mesh_view(m, ms));
out:
	pthread_mutex_unlock(&m->mesh_lock);
	json_decref(ms);
}

/* ---- the reconciler's part ---------------------------------------------*/

/* Pair p's health this pass (the verdict is l2x_place_judge's); true
 * when the mesh document changed, *failed when the pair just failed. */
static bool watch_pair(struct l2x_mgr *m, json_t *ms, json_t *p, json_t *remote,
		       bool remote_fresh, json_t *exts, bool *failed)
{
	struct l2x_mgr_pair_rt *rt = pair_rt(m, I(p, "id"));
	json_t *st = l2x_mgr_fresh_status(
	    m, S(json_object_get(p, "local"), "appliance"));
	json_t *kept = json_array(), *e;
	json_int_t t = (json_int_t)time(NULL);
	struct l2x_place_health h = {0};
	double now = l2x_mgr_mono();
	enum l2x_place_verdict v;
	const char *why;
	bool carries = false;
	size_t i;

	*failed = false;
	if (rt == NULL) {
		json_decref(st);
		json_decref(kept);
		return false;
	}
	json_array_foreach(exts, i, e) carries |=
	    I(e, "pair") == I(p, "id") && state_is(e, "extended");
	json_array_foreach(json_object_get(p, "failures"), i,
			   e) if (json_integer_value(e) >
				  t - L2X_MGR_FAILS_WINDOW_S)
	    json_array_append(kept, e);
	h.leading_for = now - m->lead_since;
	h.reporting = st != NULL;
	h.local_up = l2x_mgr_appl_up(st);
	h.remote_fresh = remote_fresh;
	h.remote_up = l2x_mgr_remote_pair_up(remote, I(p, "id"));
	h.sick =
	    S(p, "health") != NULL && strcmp(S(p, "health"), "unhealthy") == 0;
	h.down_limit = L2X_MGR_PAIR_DOWN_S;
	h.fails = (unsigned)json_array_size(kept);
	h.hold_after = L2X_MGR_FAILS_HOLD;
	json_decref(st);
	if (h.reporting && h.local_up && h.remote_fresh && h.remote_up) {
		rt->was_up = true;
		rt->down_since = 0;
	} else if (rt->down_since == 0) {
		rt->down_since = now;
	}
	h.was_up = rt->was_up || carries;
	h.down_for = rt->down_since != 0 ? now - rt->down_since : 0;
	v = l2x_place_judge(&h, &why);
	if (v == L2X_PLACE_RECOVERED) {
		json_object_set_new(p, "health", json_string("healthy"));
		l2x_mgr_event(m, "serviceMesh", S(ms, "id"),
			      "pair %lld is healthy again (it takes no network "
			      "back until the next rebalance)",
			      (long long)I(p, "id"));
	} else if (v == L2X_PLACE_FAILED || v == L2X_PLACE_HELD) {
		json_array_append_new(kept, json_integer(t));
		json_object_set_new(p, "failures", json_incref(kept));
		json_object_set_new(p, "health", json_string("unhealthy"));
		json_object_set_new(p, "healthReason", json_string(why));
		l2x_mgr_event(m, "serviceMesh", S(ms, "id"),
			      "pair %lld is unhealthy: %s; its networks go to "
			      "the healthy pairs of switch %s",
			      (long long)I(p, "id"), why, S(p, "switch"));
		if (v == L2X_PLACE_HELD && !B(p, "held")) {
			json_object_set_new(p, "held", json_true());
			l2x_mgr_event(m, "serviceMesh", S(ms, "id"),
				      "pair %lld held out: %d failures in %d "
				      "minutes (PATCH clearHeld to release "
				      "it)",
				      (long long)I(p, "id"), L2X_MGR_FAILS_HOLD,
				      L2X_MGR_FAILS_WINDOW_S / 60);
		}
		*failed = true;
	}
	json_decref(kept);
	return v != L2X_PLACE_KEEP;
}

/* Remove a drained pair at both sites; true when it went. */
static bool remove_drained(struct l2x_mgr *m, json_t *ms, size_t at,
			   json_t *exts)
{
	json_t *p = json_array_get(json_object_get(ms, "pairs"), at), *e;
	char path[192], err[256];
	json_t *ans = NULL;
	int status = 0;
	size_t i;

	json_array_foreach(exts, i, e)
	{
		if (I(e, "pair") == I(p, "id") ||
		    (state_is(e, "moving") && I(e, "toPair") == I(p, "id")))
			return false;
	}
	snprintf(path, sizeof(path), "/peer/serviceMeshes/%s/pairs/%lld",
		 S(ms, "id"), (long long)I(p, "id"));
	if (l2x_mgr_peer_call(m, "DELETE", path, NULL, &status, &ans, err,
			      sizeof(err)) != 0 ||
	    (status / 100 != 2 && status != 404)) {
		json_decref(ans);
		return false;
	}
	json_decref(ans);
	l2x_mgr_event(m, "serviceMesh", S(ms, "id"),
		      "pair %lld removed (scale-in): appliance %s is free",
		      (long long)I(p, "id"),
		      S(json_object_get(p, "local"), "appliance"));
	json_array_remove(json_object_get(ms, "pairs"), at);
	return true;
}

/* Every taker of switch sw is up (a scale-out's new pairs included), or
 * long enough has passed. */
static bool switch_ready(struct l2x_mgr *m, json_t *ms, const char *sw,
			 json_t *remote, bool remote_fresh)
{
	size_t i;
	json_t *p;

	json_array_foreach(json_object_get(ms, "pairs"), i, p)
	{
		json_t *st;
		bool up;

		if (strcmp(S(p, "switch"), sw) != 0 || B(p, "draining") ||
		    B(p, "held"))
			continue;
		st = l2x_mgr_fresh_status(
		    m, S(json_object_get(p, "local"), "appliance"));
		up = l2x_mgr_appl_up(st) && remote_fresh &&
		     l2x_mgr_remote_pair_up(remote, I(p, "id"));
		json_decref(st);
		if (!up)
			return false;
	}
	return true;
}

/* The store's revision of mesh ms now (after our own write). */
static bool reload_rev(struct l2x_mgr *m, json_t *ms, uint64_t *rev)
{
	json_t *d = l2x_mgr_load(m, "serviceMesh", S(ms, "id"), rev);

	json_decref(d);
	return d != NULL;
}

void l2x_mgr_scale_reconcile(struct l2x_mgr *m, json_t *remote,
			     bool remote_fresh)
{
	json_t *meshes = l2x_mgr_load_all(m, "serviceMesh"), *ms0;
	size_t i;

	json_array_foreach(meshes, i, ms0)
	{
		json_t *ms, *exts, *p, *swe, *failed_sw = json_array();
		uint64_t rev = 0;
		bool changed = false;
		size_t j;

		if (strcmp(S(ms0, "role"), "initiator") != 0) {
			json_decref(failed_sw);
			continue;
		}
		pthread_mutex_lock(&m->mesh_lock);
		ms = l2x_mgr_load(m, "serviceMesh", S(ms0, "id"), &rev);
		if (ms == NULL) {
			pthread_mutex_unlock(&m->mesh_lock);
			json_decref(failed_sw);
			continue;
		}
		exts = l2x_mgr_view(m, L2X_MGR_EXTS);
		json_array_foreach(json_object_get(ms, "pairs"), j, p)
		{
			bool failed;

			changed |= watch_pair(m, ms, p, remote, remote_fresh,
					      exts, &failed);
			if (failed)
				json_array_append_new(
				    failed_sw, json_string(S(p, "switch")));
		}
		for (j = json_array_size(json_object_get(ms, "pairs"));
		     j-- > 0;) {
			p = json_array_get(json_object_get(ms, "pairs"), j);
			if (B(p, "draining"))
				changed |= remove_drained(m, ms, j, exts);
		}
		if (changed && (l2x_mgr_save(m, "serviceMesh", S(ms, "id"), ms,
					     rev) != 0 ||
				!reload_rev(m, ms, &rev))) {
			pthread_mutex_unlock(&m->mesh_lock);
			json_decref(exts);
			json_decref(ms);
			json_decref(failed_sw);
			continue; /* changed or gone under us: next pass */
		}
		/* Failures first: only the failed pairs' networks move. */
		json_array_foreach(json_object_get(ms, "pairs"), j, p)
		{
			bool sick = S(p, "health") != NULL &&
				    strcmp(S(p, "health"), "unhealthy") == 0;

			if ((sick || B(p, "draining") || B(p, "held")) &&
			    !l2x_mgr_in_list(failed_sw, S(p, "switch")))
				json_array_append_new(
				    failed_sw, json_string(S(p, "switch")));
		}
		json_array_foreach(failed_sw, j, swe)
		    rebalance(m, ms, json_string_value(swe), false, "failure");
		/* Scale and operator rebalances, once the switch is ready. */
		changed = false;
		json_array_foreach(json_object_get(ms, "switches"), j, swe)
		{
			if (!B(swe, "rebalance") ||
			    !switch_ready(m, ms, S(swe, "switch"), remote,
					  remote_fresh))
				continue;
			rebalance(m, ms, S(swe, "switch"), true, "rebalance");
			json_object_del(swe, "rebalance");
			changed = true;
		}
		if (changed)
			l2x_mgr_save(m, "serviceMesh", S(ms, "id"), ms, rev);
		pthread_mutex_unlock(&m->mesh_lock);
		json_decref(exts);
		json_decref(ms);
		json_decref(failed_sw);
	}
	json_decref(meshes);
}
