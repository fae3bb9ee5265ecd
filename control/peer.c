/* SPDX-License-Identifier: MIT */
/*
 * peer.c - what the paired site's manager asks of this one (the /peer
 * endpoints: mesh and extension mirrors, status), and the reconciler
 * that moves this site's extensions through their states (mgr.h, mesh.c).
 *
 * The peer is authenticated by its pinned client certificate before any
 * of this runs (manager.c), but its bodies are still checked field by
 * field: a bug at the other site must not crash this one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "control/apireq.h"
#include "control/mgr.h"

#define S(o, k) json_string_value(json_object_get((o), (k)))
#define I(o, k) json_integer_value(json_object_get((o), (k)))

json_t *l2x_mgr_peer_call_simple(struct l2x_mgr *m, const char *method,
				 const char *prefix, const char *id)
{
	char path[256], err[256];
	json_t *ans = NULL;
	int status;

	snprintf(path, sizeof(path), "%s%s", prefix, id);
	if (l2x_mgr_peer_call(m, method, path, NULL, &status, &ans, err,
			      sizeof(err)) != 0)
		return NULL;
	return ans;
}

static bool is_name(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return n > 0 && n < L2X_AGENT_NAME_LEN &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_.-") == n;
}

/* q has no key but a and b (b may be NULL). */
static bool only_keys(json_t *q, const char *a, const char *b)
{
	const char *k;
	json_t *v;

	json_object_foreach(q, k, v)
	{
		if (strcmp(k, a) != 0 && (b == NULL || strcmp(k, b) != 0))
			return false;
	}
	return true;
}

/* Our side of pair id, as the initiator gets it: {id, appliance,
 * uplinkAddress} of loc. */
static json_t *our_side(json_int_t id, json_t *loc)
{
	return json_pack("{s:I,s:O,s:O}", "id", id, "appliance",
			 json_object_get(loc, "appliance"), "uplinkAddress",
			 json_object_get(loc, "uplinkAddress"));
}

/* This site's side of each of the initiator's new pairs qpairs: an
 * appliance and an uplink address each, appended to pairs (our view) and
 * answer ({id, appliance, uplinkAddress}). 0, or -1 with r answered. */
static int peer_alloc_pairs(struct l2x_mgr *m, json_t *meshes,
			    const char *cprof, json_t *qpairs, json_t *pairs,
			    json_t *answer, struct l2x_http_resp *r)
{
	json_t *taken = json_array(), *mine = json_array(), *p;
	char err[512];
	size_t i;
	int rc = 0;

	json_array_foreach(qpairs, i, p)
	{
		json_t *rem = json_object_get(p, "remote"), *loc;

		if (I(p, "id") <= 0 || !is_name(S(p, "switch")) ||
		    S(rem, "appliance") == NULL ||
		    S(rem, "uplinkAddress") == NULL ||
		    S(p, "innerLocal") == NULL || S(p, "psk") == NULL ||
		    S(p, "innerRemote") == NULL) {
			l2x_mgr_error(r, 400, NULL, "malformed pair %zu", i);
			rc = -1;
			break;
		}
		rc = l2x_mgr_allocate(m, meshes, cprof, S(p, "switch"), 1,
				      taken, mine, err, sizeof(err));
		if (rc != 0) {
			l2x_mgr_error(r, rc == -ENOSPC ? 409 : 422, NULL,
				      "%s: %s", m->conf.name, err);
			rc = -1;
			break;
		}
		loc = json_array_get(mine, json_array_size(mine) - 1);
		json_array_append_new(
		    pairs,
		    json_pack("{s:I,s:s,s:s,s:O,s:{s:s,s:s},s:s,s:s,s:s}", "id",
			      I(p, "id"), "switch", S(p, "switch"),
			      "remoteSwitch",
			      S(p, "remoteSwitch") ? S(p, "remoteSwitch") : "",
			      "local", loc, "remote", "appliance",
			      S(rem, "appliance"), "uplinkAddress",
			      S(rem, "uplinkAddress"), "innerLocal",
			      S(p, "innerLocal"), "innerRemote",
			      S(p, "innerRemote"), "psk", S(p, "psk")));
		json_array_append_new(answer, our_side(I(p, "id"), loc));
	}
	json_decref(taken);
	json_decref(mine);
	return rc;
}

/* POST /peer/serviceMeshes/{name}/pairs {"pairs": [...]}: the initiator
 * scaled out; allocate our side of the new pairs and add them. */
static void peer_pairs_add(struct l2x_mgr *m, const char *name, json_t *q,
			   struct l2x_http_resp *r)
{
	json_t *meshes, *ms, *pairs = json_array(), *answer = json_array(), *p;
	uint64_t rev = 0;
	size_t i;
	int rc;

	pthread_mutex_lock(&m->mesh_lock);
	ms = l2x_mgr_load(m, "serviceMesh", name, &rev);
	if (ms == NULL || !only_keys(q, "pairs", NULL) ||
	    !json_is_array(json_object_get(q, "pairs"))) {
		l2x_mgr_error(r, ms == NULL ? 404 : 400, NULL,
			      ms == NULL ? "no service mesh '%s'"
					 : "malformed pairs of '%s'",
			      name);
		goto out;
	}
	meshes = l2x_mgr_load_all(m, "serviceMesh");
	/* A retry: the pairs we have already are answered as they are. */
	json_array_foreach(json_object_get(q, "pairs"), i, p)
	{
		json_t *have = NULL, *x;
		size_t j;

		json_array_foreach(json_object_get(ms, "pairs"), j,
				   x) if (I(x, "id") == I(p, "id")) have = x;
		if (have != NULL)
			json_array_append_new(
			    answer, our_side(I(p, "id"),
					     json_object_get(have, "local")));
	}
	if (json_array_size(answer) ==
	    json_array_size(json_object_get(q, "pairs"))) {
		json_decref(meshes);
		l2x_mgr_reply(r, 201, json_pack("{s:O}", "pairs", answer));
		goto out;
	}
	json_array_clear(answer);
	rc = peer_alloc_pairs(m, meshes, S(ms, "localComputeProfile"),
			      json_object_get(q, "pairs"), pairs, answer, r);
	json_decref(meshes);
	if (rc != 0)
		goto out;
	json_array_extend(json_object_get(ms, "pairs"), pairs);
	rc = l2x_mgr_save(m, "serviceMesh", name, ms, rev);
	if (rc != 0) {
		l2x_mgr_store_error(r, rc, "the service mesh");
		goto out;
	}
	l2x_mgr_event(m, "serviceMesh", name,
		      "scaled out by the paired site: %zu new pairs",
		      json_array_size(pairs));
	l2x_mgr_reply(r, 201, json_pack("{s:O}", "pairs", answer));
out:
	pthread_mutex_unlock(&m->mesh_lock);
	json_decref(ms);
	json_decref(pairs);
	json_decref(answer);
}

/* DELETE /peer/serviceMeshes/{name}/pairs/{id}: the initiator scaled in
 * and the pair carries nothing any more. */
static void peer_pair_delete(struct l2x_mgr *m, const char *name, json_int_t id,
			     struct l2x_http_resp *r)
{
	json_t *ms, *pairs, *p, *exts, *e;
	uint64_t rev = 0;
	size_t i;
	bool busy = false;

	pthread_mutex_lock(&m->mesh_lock);
	ms = l2x_mgr_load(m, "serviceMesh", name, &rev);
	if (ms == NULL) {
		l2x_mgr_error(r, 404, NULL, "no service mesh '%s'", name);
		goto out;
	}
	exts = l2x_mgr_load_all(m, "networkExtension");
	json_array_foreach(exts, i, e) busy |= I(e, "pair") == id;
	json_decref(exts);
	if (busy) {
		l2x_mgr_error(r, 409, NULL,
			      "pair %lld carries extensions at %s",
			      (long long)id, m->conf.name);
		goto out;
	}
	pairs = json_object_get(ms, "pairs");
	json_array_foreach(pairs, i, p) if (I(p, "id") == id) break;
	if (i == json_array_size(pairs)) {
		l2x_mgr_reply(r, 204, NULL); /* gone already: a retry */
		goto out;
	}
	json_array_remove(pairs, i);
	if (l2x_mgr_save(m, "serviceMesh", name, ms, rev) != 0) {
		l2x_mgr_store_error(r, -ESTALE, "the service mesh");
		goto out;
	}
	l2x_mgr_event(m, "serviceMesh", name,
		      "pair %lld removed by the paired site (scale-in)",
		      (long long)id);
	l2x_mgr_reply(r, 204, NULL);
out:
	pthread_mutex_unlock(&m->mesh_lock);
	json_decref(ms);
}

/* PUT /peer/networkExtensions/{id} {"state": "moving"} or {"state":
 * "extending", "pair": N}: the initiator moves the extension to another
 * pair; "moving" takes it off the old pair here, "extending" puts it on
 * pair N (of its mesh, on its switch). */
static void peer_ext_move(struct l2x_mgr *m, const char *id, json_t *q,
			  struct l2x_http_resp *r)
{
	const char *state = S(q, "state");
	json_t *e, *mesh = NULL, *p, *pair = NULL;
	json_int_t to = I(q, "pair");
	uint64_t rev = 0;
	size_t i;
	int rc;

	if (!only_keys(q, "state", "pair") || state == NULL ||
	    (strcmp(state, "moving") != 0 &&
	     (strcmp(state, "extending") != 0 || to <= 0))) {
		l2x_mgr_error(r, 400, NULL, "malformed move");
		return;
	}
	/* Written over the rev read here: this site's reconciler may write
	 * the record meanwhile (extended), and the later write must not
	 * undo the earlier one. -ESTALE answers 409; the leading site
	 * retries on its next pass. */
	e = l2x_mgr_load(m, "networkExtension", id, &rev);
	if (e == NULL) {
		l2x_mgr_error(r, 404, NULL, "no network extension '%s'", id);
		return;
	}
	if (strcmp(S(e, "state"), "unextending") == 0) {
		l2x_mgr_error(r, 409, NULL, "'%s' is being unextended", id);
		goto out;
	}
	if (strcmp(state, "moving") == 0) {
		if (strcmp(S(e, "state"), "moving") != 0) {
			l2x_mgr_set_state(e, "moving", "");
			if (to > 0) /* where it goes: fast rounds there */
				json_object_set_new(e, "toPair",
						    json_integer(to));
			rc = l2x_mgr_save(m, "networkExtension", id, e, rev);
			if (rc != 0) {
				l2x_mgr_store_error(r, rc, "the extension");
				goto out;
			}
			l2x_mgr_event(m, "networkExtension", id,
				      "moving off pair %lld for the paired "
				      "site",
				      (long long)I(e, "pair"));
		}
		l2x_mgr_reply(r, 204, NULL);
		goto out;
	}
	if (I(e, "pair") == to && strcmp(S(e, "state"), "moving") != 0) {
		l2x_mgr_reply(r, 204, NULL); /* a retry */
		goto out;
	}
	mesh = l2x_mgr_load(m, "serviceMesh", S(e, "mesh"), NULL);
	json_array_foreach(json_object_get(mesh, "pairs"), i,
			   p) if (I(p, "id") == to) pair = p;
	if (pair == NULL || strcmp(S(pair, "switch"), S(e, "switch")) != 0) {
		l2x_mgr_error(
		    r, 409, NULL, "%s has no pair %lld on switch %s in mesh %s",
		    m->conf.name, (long long)to, S(e, "switch"), S(e, "mesh"));
		goto out;
	}
	json_object_set_new(e, "pair", json_integer(to));
	json_object_del(e, "toPair");
	json_object_set_new(e, "startedAt",
			    json_integer((json_int_t)time(NULL)));
	json_object_set_new(e, "moveIn", json_true()); /* till extended */
	l2x_mgr_set_state(e, "extending", "");
	rc = l2x_mgr_save(m, "networkExtension", id, e, rev);
	if (rc != 0) {
		l2x_mgr_store_error(r, rc, "the extension");
		goto out;
	}
	l2x_mgr_event(m, "networkExtension", id,
		      "extending on pair %lld for the paired site (moved)",
		      (long long)to);
	l2x_mgr_reply(r, 204, NULL);
out:
	json_decref(mesh);
	json_decref(e);
}

/* POST /peer/serviceMeshes: allocate this site's side of each pair. */
static void peer_mesh_create(struct l2x_mgr *m, json_t *q,
			     struct l2x_http_resp *r)
{
	json_t *meshes = NULL, *pairs = json_array(), *answer = json_array();
	json_t *p, *doc;
	const char *name = S(q, "name"), *cprof = S(q, "localComputeProfile");
	char now[32];
	size_t i;
	int rc;

	if (!is_name(name) || !is_name(cprof) ||
	    !is_name(S(q, "remoteComputeProfile")) ||
	    !json_is_array(json_object_get(q, "pairs"))) {
		l2x_mgr_error(r, 400, NULL, "malformed service mesh");
		goto out;
	}
	doc = l2x_mgr_load(m, "serviceMesh", name, NULL);
	if (doc != NULL) {
		json_decref(doc);
		l2x_mgr_error(r, 409, "name", "service mesh '%s' exists at %s",
			      name, m->conf.name);
		goto out;
	}
	meshes = l2x_mgr_load_all(m, "serviceMesh");
	json_array_foreach(meshes, i, p)
	{
		if (strcmp(S(p, "role"), "initiator") == 0) {
			l2x_mgr_error(r, 409, NULL,
				      "%s leads the service meshes of this "
				      "pairing (%s)",
				      m->conf.name, S(p, "name"));
			goto out;
		}
	}
	if (peer_alloc_pairs(m, meshes, cprof, json_object_get(q, "pairs"),
			     pairs, answer, r) != 0)
		goto out;
	l2x_mgr_now(now);
	doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[],s:O,s:s,s:s}", "id", name,
			"name", name, "role", "responder",
			"localComputeProfile", cprof, "remoteComputeProfile",
			S(q, "remoteComputeProfile"), "switches", "pairs",
			pairs, "created", now, "auth", "psk");
	rc = l2x_mgr_save(m, "serviceMesh", name, doc, L2X_STORE_ABSENT);
	json_decref(doc);
	if (rc != 0) {
		l2x_mgr_store_error(r, rc, "the service mesh");
		goto out;
	}
	l2x_mgr_event(m, "serviceMesh", name,
		      "created by the paired site with %zu pairs",
		      json_array_size(pairs));
	l2x_mgr_reply(r, 201, json_pack("{s:O}", "pairs", answer));
out:
	json_decref(meshes);
	json_decref(pairs);
	json_decref(answer);
}

/* The fields of an extension record from the other site, typed and in
 * range (its switch, vlan, id, name and tunnel id are checked by the
 * caller). */
static bool ext_fields_ok(json_t *q)
{
	json_t *d = json_object_get(q, "destination");
	json_t *mss = json_object_get(q, "mssClamp");
	json_t *gw = json_object_get(q, "gateway");
	const char *side = S(q, "gatewaySide");
	const char *ms = json_string_value(mss);

	if (!json_is_object(d) || !is_name(S(d, "switch")) ||
	    I(d, "vlan") < 1 || I(d, "vlan") > 4094 ||
	    !is_name(S(q, "portGroup")) ||
	    !json_is_integer(json_object_get(q, "pair")))
		return false;
	if (!(ms != NULL &&
	      (strcmp(ms, "auto") == 0 || strcmp(ms, "off") == 0)) &&
	    !(json_is_integer(mss) && json_integer_value(mss) >= 536 &&
	      json_integer_value(mss) <= 9176))
		return false;
	if (gw == NULL)
		return side == NULL;
	return json_is_string(gw) && json_string_length(gw) <= 18 &&
	       strchr(json_string_value(gw), '/') != NULL && side != NULL &&
	       (strcmp(side, "local") == 0 || strcmp(side, "remote") == 0);
}

/* POST /peer/networkExtensions: mirror an extension on our side of the
 * pair. The record arrives in the initiator's shape with switch, vlan and
 * gatewaySide already seen from here. */
static void peer_ext_create(struct l2x_mgr *m, json_t *q,
			    struct l2x_http_resp *r)
{
	const char *id = S(q, "id"), *sw = S(q, "switch");
	json_t *doc, *swdoc, *mesh = NULL, *exts, *x, *p, *pair = NULL;
	json_int_t vlan = I(q, "vlan");
	bool known = false;
	size_t i;
	int rc;

	if (id == NULL || strlen(id) > 64 || !is_name(sw) ||
	    !is_name(S(q, "name")) || vlan < 1 || vlan > 4094 ||
	    I(q, "tunnelId") < 1 || S(q, "mesh") == NULL) {
		l2x_mgr_error(r, 400, NULL, "malformed network extension");
		return;
	}
	doc = l2x_mgr_load(m, "networkExtension", id, NULL);
	if (doc != NULL) {
		/* A retry of a request we answered already. */
		l2x_mgr_reply(r, 201, doc);
		return;
	}
	swdoc = l2x_mgr_view(m, L2X_MGR_SWITCHES);
	json_array_foreach(swdoc, i, x) known |= strcmp(S(x, "name"), sw) == 0;
	json_decref(swdoc);
	if (!known) {
		l2x_mgr_error(r, 422, "destination.switch",
			      "'%s' is not a switch of %s", sw, m->conf.name);
		return;
	}
	mesh = l2x_mgr_load(m, "serviceMesh", S(q, "mesh"), NULL);
	json_array_foreach(json_object_get(mesh, "pairs"), i,
			   p) if (I(p, "id") == I(q, "pair")) pair = p;
	if (pair == NULL) {
		l2x_mgr_error(r, 409, NULL, "%s has no pair %lld in mesh %s",
			      m->conf.name, (long long)I(q, "pair"),
			      S(q, "mesh"));
		json_decref(mesh);
		return;
	}
	if (strcmp(S(pair, "switch"), sw) != 0) {
		l2x_mgr_error(r, 422, "destination.switch",
			      "the pair's appliance at %s is on switch %s, "
			      "not %s",
			      m->conf.name, S(pair, "switch"), sw);
		json_decref(mesh);
		return;
	}
	json_decref(mesh);
	exts = l2x_mgr_view(m, L2X_MGR_EXTS);
	json_array_foreach(exts, i, x)
	{
		if (strcmp(S(x, "switch"), sw) == 0 && I(x, "vlan") == vlan) {
			l2x_mgr_error(r, 409, "destination.vlan",
				      "VLAN %lld of switch %s at %s is "
				      "extended already (%s)",
				      (long long)vlan, sw, m->conf.name,
				      S(x, "id"));
			json_decref(exts);
			return;
		}
	}
	json_decref(exts);
	/* Only the fields a record has, each of its type: what the other
	 * site sends is not stored blindly. */
	if (!ext_fields_ok(q)) {
		l2x_mgr_error(r, 400, NULL, "malformed network extension");
		return;
	}
	doc = json_pack(
	    "{s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O}", "id",
	    json_object_get(q, "id"), "name", json_object_get(q, "name"),
	    "switch", json_object_get(q, "switch"), "portGroup",
	    json_object_get(q, "portGroup"), "vlan", json_object_get(q, "vlan"),
	    "destination", json_object_get(q, "destination"), "mssClamp",
	    json_object_get(q, "mssClamp"), "tunnelId",
	    json_object_get(q, "tunnelId"), "mesh", json_object_get(q, "mesh"),
	    "pair", json_object_get(q, "pair"));
	if (json_object_get(q, "gateway") != NULL) {
		json_object_set(doc, "gateway", json_object_get(q, "gateway"));
		json_object_set(doc, "gatewaySide",
				json_object_get(q, "gatewaySide"));
	}
	json_object_set_new(doc, "role", json_string("responder"));
	json_object_set_new(doc, "phase", json_string("applied"));
	json_object_set_new(doc, "startedAt",
			    json_integer((json_int_t)time(NULL)));
	l2x_mgr_set_state(doc, "extending", "");
	rc = l2x_mgr_ext_insert(m, doc);
	if (rc != 0) {
		json_decref(doc);
		l2x_mgr_store_error(r, rc, "the network extension");
		return;
	}
	l2x_mgr_event(m, "networkExtension", id,
		      "extending %s (switch %s VLAN %lld) for the paired site",
		      S(q, "name"), sw, (long long)vlan);
	l2x_mgr_reply(r, 201, doc);
}

/* GET /peer/status: this site's view of each pair and extension. */
static json_t *peer_status(struct l2x_mgr *m)
{
	json_t *meshes = l2x_mgr_view(m, L2X_MGR_MESHES);
	json_t *exts = l2x_mgr_view(m, L2X_MGR_EXTS);
	json_t *pairs = json_array(), *held = json_array(), *ms, *p, *e;
	json_t *mgrs = json_array();
	size_t i, j;

	json_array_foreach(meshes, i, ms)
	    json_array_foreach(json_object_get(ms, "pairs"), j, p)
	{
		json_t *st = l2x_mgr_fresh_status(
		    m, S(json_object_get(p, "local"), "appliance"));

		json_array_append_new(
		    pairs, json_pack("{s:I,s:s}", "id", I(p, "id"), "state",
				     l2x_mgr_appl_up(st) ? "up" : "down"));
		json_decref(st);
	}
	json_array_foreach(exts, i, e)
	{
		json_t *pair = l2x_mgr_ext_pair(meshes, e);
		json_t *st = NULL;

		if (pair != NULL)
			st = l2x_mgr_fresh_status(
			    m, S(json_object_get(pair, "local"), "appliance"));
		json_array_append_new(
		    held, json_pack("{s:s,s:s,s:b}", "id", S(e, "id"), "state",
				    S(e, "state"), "held",
				    l2x_mgr_appl_holds(st, S(e, "name"))));
		json_decref(st);
	}
	json_decref(meshes);
	json_decref(exts);
	for (unsigned k = 0; k < m->conf.n_managers; k++)
		json_array_append_new(mgrs, json_string(m->conf.managers[k]));
	return json_pack("{s:s,s:o,s:o,s:o}", "name", m->conf.name, "pairs",
			 pairs, "extensions", held, "managers", mgrs);
}

/* "/peer/serviceMeshes/NAME/REST": NAME into name, REST returned (NULL
 * if path is not of that shape or NAME is not a name). */
static const char *mesh_sub(const char *path, char name[L2X_AGENT_NAME_LEN])
{
	const char *ms = "/peer/serviceMeshes/", *p, *slash;

	if (strncmp(path, ms, strlen(ms)) != 0)
		return NULL;
	p = path + strlen(ms);
	slash = strchr(p, '/');
	if (slash == NULL || (size_t)(slash - p) >= L2X_AGENT_NAME_LEN)
		return NULL;
	memcpy(name, p, (size_t)(slash - p));
	name[slash - p] = '\0';
	return is_name(name) ? slash : NULL;
}

void l2x_mgr_peer(struct l2x_mgr *m, const struct l2x_http_req *req,
		  const char *path, struct l2x_http_resp *r)
{
	const char *ms = "/peer/serviceMeshes", *ne = "/peer/networkExtensions";
	json_t *q = NULL, *doc;

	if (strcmp(path, "/peer/hello") == 0 ||
	    strcmp(path, "/peer/status") == 0) {
		if (strcmp(req->method, "GET") != 0)
			l2x_mgr_error(r, 405, NULL, "use GET");
		else if (strcmp(path, "/peer/hello") == 0)
			l2x_mgr_reply(r, 200,
				      json_pack("{s:s}", "name", m->conf.name));
		else
			l2x_mgr_reply(r, 200, peer_status(m));
		return;
	}
	if (strcmp(req->method, "POST") == 0 ||
	    strcmp(req->method, "PUT") == 0) {
		bool put = strcmp(req->method, "PUT") == 0;
		char name[L2X_AGENT_NAME_LEN];
		const char *sub;

		q = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES,
			       NULL);
		if (!json_is_object(q)) {
			l2x_mgr_error(r, 400, NULL, "malformed JSON");
		} else if (!put && strcmp(path, ms) == 0) {
			peer_mesh_create(m, q, r);
		} else if (!put && strcmp(path, ne) == 0) {
			peer_ext_create(m, q, r);
		} else if (!put && (sub = mesh_sub(path, name)) != NULL &&
			   strcmp(sub, "/pairs") == 0) {
			peer_pairs_add(m, name, q, r);
		} else if (put && strncmp(path, ne, strlen(ne)) == 0 &&
			   path[strlen(ne)] == '/' &&
			   strlen(path + strlen(ne) + 1) <= 64) {
			peer_ext_move(m, path + strlen(ne) + 1, q, r);
		} else {
			l2x_mgr_error(r, 404, NULL, "no such path");
		}
		json_decref(q);
		return;
	}
	if (strcmp(req->method, "DELETE") == 0) {
		char name[L2X_AGENT_NAME_LEN], *end;
		const char *sub = mesh_sub(path, name);
		long long pid;

		if (sub != NULL && strncmp(sub, "/pairs/", 7) == 0) {
			pid = strtoll(sub + 7, &end, 10);
			if (*end != '\0' || pid <= 0)
				l2x_mgr_error(r, 404, NULL, "no such path");
			else
				peer_pair_delete(m, name, (json_int_t)pid, r);
			return;
		}
	}
	if (strcmp(req->method, "DELETE") == 0 &&
	    strncmp(path, ms, strlen(ms)) == 0 && path[strlen(ms)] == '/') {
		const char *id = path + strlen(ms) + 1;

		doc = l2x_mgr_load(m, "serviceMesh", id, NULL);
		if (doc == NULL) {
			l2x_mgr_error(r, 404, NULL, "no service mesh '%s'", id);
			return;
		}
		json_decref(doc);
		l2x_mgr_delete(m, "serviceMesh", id);
		l2x_mgr_event(m, "serviceMesh", id,
			      "deleted by the paired site");
		l2x_mgr_reply(r, 204, NULL);
		return;
	}
	if (strcmp(req->method, "DELETE") == 0 &&
	    strncmp(path, ne, strlen(ne)) == 0 && path[strlen(ne)] == '/') {
		const char *id = path + strlen(ne) + 1;
		uint64_t rev = 0;
		int rc = 0;

		/* Over the rev read (see peer_ext_move): 409 to retry. */
		doc = l2x_mgr_load(m, "networkExtension", id, &rev);
		if (doc == NULL) {
			l2x_mgr_error(r, 404, NULL, "no network extension '%s'",
				      id);
			return;
		}
		if (strcmp(S(doc, "state"), "unextending") != 0) {
			l2x_mgr_set_state(doc, "unextending", "");
			rc = l2x_mgr_save(m, "networkExtension", id, doc, rev);
			if (rc == 0)
				l2x_mgr_event(
				    m, "networkExtension", id,
				    "unextending for the paired site");
		}
		json_decref(doc);
		if (rc != 0)
			l2x_mgr_store_error(r, rc, "the extension");
		else
			l2x_mgr_reply(r, 204, NULL);
		return;
	}
	l2x_mgr_error(r, 404, NULL, "no such path");
}

/* ---- the reconciler
 * ------------------------------------------------------------------ */

/* Keep the paired site's manager URLs in the pairing when they change:
 * https://... strings, at most L2X_AGENT_MANAGERS_MAX, else ignored. The
 * pairing is read again with its rev and written only over that rev: a
 * DELETE /sitePairings that lands meanwhile is not undone (it was, once,
 * in agent_twosite_test: the pairing came back and a new one got 409). */
static void keep_urls(struct l2x_mgr *m, json_t *pairing, json_t *urls)
{
	json_t *u, *p;
	uint64_t rev = 0;
	size_t i;

	if (pairing == NULL || !json_is_array(urls) ||
	    json_array_size(urls) == 0 ||
	    json_array_size(urls) > L2X_AGENT_MANAGERS_MAX ||
	    json_equal(urls, json_object_get(pairing, "urls")))
		return;
	json_array_foreach(urls, i, u)
	{
		if (!json_is_string(u) ||
		    json_string_length(u) >= L2X_AGENT_URL_LEN ||
		    strncmp(json_string_value(u), "https://", 8) != 0 ||
		    strspn(
			json_string_value(u) + 8,
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"0123456789.-:[]") != json_string_length(u) - 8)
			return;
	}
	p = l2x_mgr_load(m, "sitePairing",
			 json_string_value(json_object_get(pairing, "id")),
			 &rev);
	if (p == NULL)
		return; /* deleted meanwhile */
	json_object_set(p, "urls", urls);
	l2x_mgr_save(m, "sitePairing",
		     json_string_value(json_object_get(p, "id")), p, rev);
	json_decref(p);
}

static void refresh_remote(struct l2x_mgr *m)
{
	json_t *pairings = l2x_mgr_load_all(m, "sitePairing"), *ans = NULL;
	char err[256];
	int status;

	if (json_array_size(pairings) > 0 &&
	    l2x_mgr_peer_call(m, "GET", "/peer/status", NULL, &status, &ans,
			      err, sizeof(err)) == 0 &&
	    status == 200 && json_is_object(ans)) {
		keep_urls(m, json_array_get(pairings, 0),
			  json_object_get(ans, "managers"));
		pthread_mutex_lock(&m->lock);
		json_decref(m->remote);
		m->remote = ans;
		m->remote_seen = l2x_mgr_mono();
		pthread_mutex_unlock(&m->lock);
		ans = NULL;
	}
	json_decref(ans);
	json_decref(pairings);
}

/* The other site's view of its extensions ({"id", "state", "held"}) as
 * an object by id: one lookup per extension in a pass, not a walk. */
static json_t *remote_index(json_t *remote)
{
	json_t *idx = json_object(), *x;
	size_t i;

	json_array_foreach(json_object_get(remote, "extensions"), i, x)
	{
		if (S(x, "id") != NULL)
			json_object_set(idx, S(x, "id"), x);
	}
	return idx;
}

bool l2x_mgr_remote_pair_up(json_t *remote, json_int_t pair)
{
	size_t i;
	json_t *x;

	json_array_foreach(json_object_get(remote, "pairs"), i,
			   x) if (I(x, "id") == pair) return S(x, "state") !=
		NULL &&
	    strcmp(S(x, "state"), "up") == 0;
	return false;
}

/* Whether the reconciler has anything to do with an extension in this
 * state: one being created, moved, extended or unextended. An extended
 * or failed one sits still (its pair's health is scale.c's), so a pass
 * over 4094 settled extensions reads none of them again. */
static bool in_motion(json_t *e)
{
	const char *s = S(e, "state");

	return (S(e, "phase") != NULL &&
		strcmp(S(e, "phase"), "remote") == 0) ||
	       (s != NULL &&
		(strcmp(s, "extending") == 0 || strcmp(s, "moving") == 0 ||
		 strcmp(s, "unextending") == 0));
}

/* One extension record read at rev, its pair lock held; meshes and
 * rindex (the other site's extensions by id) are this pass's, read-only.
 * Its own writes go over rev: at the site that does not lead, the /peer
 * handlers write records without the pair lock (peer_ext_move), and
 * whichever writes second must fail rather than undo the first; the next
 * pass reads again. */
static void reconcile_one(struct l2x_mgr *m, json_t *e, uint64_t rev,
			  json_t *meshes, json_t *remote, json_t *rindex,
			  bool remote_fresh)
{
	const char *id = S(e, "id"), *state = S(e, "state");
	bool initiator = strcmp(S(e, "role"), "initiator") == 0;
	json_t *pair = l2x_mgr_ext_pair(meshes, e);
	json_t *st = NULL, *rx, *ans;
	bool held, up;
	char why[256];

	if (pair != NULL)
		st = l2x_mgr_fresh_status(
		    m, S(json_object_get(pair, "local"), "appliance"));
	held = l2x_mgr_appl_holds(st, S(e, "name"));
	up = l2x_mgr_appl_up(st);
	rx = json_object_get(rindex, id);

	if (initiator && strcmp(S(e, "phase"), "remote") == 0) {
		/* Left by a manager that died before answering the POST. */
		json_decref(l2x_mgr_peer_call_simple(
		    m, "DELETE", "/peer/networkExtensions/", id));
		l2x_mgr_ext_remove(m, e);
		l2x_mgr_event(m, "networkExtension", id,
			      "rolled back: the manager stopped while "
			      "creating it");
	} else if (strcmp(state, "moving") == 0) {
		l2x_mgr_move_step(m, e, held, rx, remote_fresh);
	} else if (strcmp(state, "extending") == 0 &&
		   json_object_get(e, "movedFrom") != NULL &&
		   !json_is_true(json_object_get(e, "remoteAck"))) {
		l2x_mgr_move_step(m, e, held, rx, remote_fresh);
	} else if (strcmp(state, "extending") == 0) {
		bool rheld =
		    !initiator ||
		    (rx != NULL && json_is_true(json_object_get(rx, "held")));
		bool rup =
		    !initiator || l2x_mgr_remote_pair_up(remote, I(e, "pair"));

		if (held && up && rheld && rup &&
		    (!initiator || remote_fresh)) {
			long long took =
			    (long long)(time(NULL) - I(e, "startedAt"));

			l2x_mgr_set_state(e, "extended", "");
			json_object_del(e, "startedAt");
			json_object_del(e, "moveIn");
			l2x_mgr_move_done(m, e);
			if (l2x_mgr_save(m, "networkExtension", id, e, rev) ==
			    0)
				l2x_mgr_event(m, "networkExtension", id,
					      "extended in %llds", took);
		} else if (initiator &&
			   time(NULL) - I(e, "startedAt") >
			       (json_int_t)m->conf.extend_timeout) {
			snprintf(why, sizeof(why),
				 "not extended within %u s: %s",
				 m->conf.extend_timeout,
				 st == NULL ? "this site's appliance is not "
					      "reporting"
				 : !held    ? "this site's appliance does not "
					      "hold it"
				 : !up	    ? "the pair's tunnel is not up"
				 : !rheld   ? "the remote appliance does not "
					      "hold it"
					    : "the remote pair is not up");
			l2x_mgr_set_state(e, "failed", why);
			json_object_del(e, "startedAt");
			l2x_mgr_save(m, "networkExtension", id, e, rev);
			json_decref(l2x_mgr_peer_call_simple(
			    m, "DELETE", "/peer/networkExtensions/", id));
			l2x_mgr_event(m, "networkExtension", id, "failed: %s",
				      why);
		}
	} else if (strcmp(state, "unextending") == 0) {
		if (initiator &&
		    !json_is_true(json_object_get(e, "remoteDone"))) {
			char path[128], err[256];
			int status;

			snprintf(path, sizeof(path),
				 "/peer/networkExtensions/%s", id);
			ans = NULL;
			if (l2x_mgr_peer_call(m, "DELETE", path, NULL, &status,
					      &ans, err, sizeof(err)) == 0 &&
			    (status / 100 == 2 || status == 404)) {
				json_object_set_new(e, "remoteDone",
						    json_true());
				l2x_mgr_save(m, "networkExtension", id, e, rev);
			}
			json_decref(ans);
		} else if (!held &&
			   (!initiator || (remote_fresh && rx == NULL))) {
			l2x_mgr_ext_remove(m, e);
			l2x_mgr_event(m, "networkExtension", id, "unextended");
		}
	}
	json_decref(st);
}

bool l2x_mgr_reconcile(struct l2x_mgr *m)
{
	json_t *exts, *meshes, *e, *remote, *rindex;
	bool fresh, busy = false;
	uint64_t rev;
	size_t i;

	refresh_remote(m);
	pthread_mutex_lock(&m->lock);
	remote = json_incref(m->remote);
	fresh = m->remote != NULL && l2x_mgr_mono() - m->remote_seen < 3.0;
	pthread_mutex_unlock(&m->lock);
	rindex = remote_index(remote);
	exts = l2x_mgr_view(m, L2X_MGR_EXTS);
	meshes = l2x_mgr_view(m, L2X_MGR_MESHES);
	json_array_foreach(exts, i, e)
	{
		pthread_mutex_t *lk = l2x_mgr_pair_lock(m, I(e, "pair"));
		json_t *cur;

		if (!in_motion(e))
			continue;
		busy |= l2x_mgr_ext_moving(e);
		/* A request busy with this pair owns its records now. */
		if (pthread_mutex_trylock(lk) != 0)
			continue;
		/* Read again under the lock: the view may be older than a
		 * request that just ended, and the record is written here. */
		cur = l2x_mgr_load(m, "networkExtension", S(e, "id"), &rev);
		if (cur != NULL)
			reconcile_one(m, cur, rev, meshes, remote, rindex,
				      fresh);
		json_decref(cur);
		pthread_mutex_unlock(lk);
	}
	json_decref(exts);
	json_decref(meshes);
	json_decref(rindex);
	l2x_mgr_scale_reconcile(m, remote, fresh);
	json_decref(remote);
	return busy;
}

static void *reconciler(void *arg)
{
	struct l2x_mgr *m = arg;

	bool busy = false;

	while (!m->stopping) {
		usleep(busy ? L2X_MGR_FAST_POLL_MS * 1000 : 500 * 1000);
		busy = !m->stopping && l2x_mgr_leads(m) && l2x_mgr_reconcile(m);
	}
	return NULL;
}

void l2x_mgr_reconcile_start(struct l2x_mgr *m)
{
	pthread_create(&m->reconciler, NULL, reconciler, m);
}
