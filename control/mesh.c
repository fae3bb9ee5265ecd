/* SPDX-License-Identifier: MIT */
/*
 * mesh.c - service meshes and network extensions (mgr.h): creation and
 * deletion at the site that leads (the initiator), their mirror at the
 * other site through /peer calls, the desired state of each appliance,
 * and the reconciler that moves extensions through their states.
 *
 * A service mesh is a list of appliance pairs per switch; each pair is one
 * appliance of each site with one IKE peering: the initiator site's
 * appliance is the IKE initiator, the other the responder. The initiator
 * manager allocates its appliances and uplink addresses, generates the
 * pair's PSK and inner tunnel endpoints, and sends them to the other
 * manager, which allocates its own side and answers with it; both store
 * the mesh (each with itself as "local").
 *
 * A network extension goes through:
 *   extending    written at the initiator (phase "remote") before the
 *                other site is asked; the other site records it too; the
 *                phase becomes "applied" when it accepted. Both appliances
 *                of the pair are given the network.
 *   extended     both appliances hold it and the pair's tunnel is up.
 *   unextending  taken out of both appliances' desired state; the record
 *                goes when neither appliance holds the network any more.
 *   failed       not extended within extend_timeout, or refused: taken out
 *                of both appliances (rolled back); the record stays, with
 *                the reason, until it is deleted.
 * A record found in phase "remote" by the reconciler while no request
 * holds its pair's lock was left by a manager that died mid-request: it is
 * rolled back at both sites (the client never got a 201).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "control/apireq.h"
#include "control/config.h"
#include "control/mgr.h"
#include "control/placement.h"

#define S(o, k) json_string_value(json_object_get((o), (k)))
#define I(o, k) json_integer_value(json_object_get((o), (k)))

/* The address of "ADDR" or "ADDR/LEN" (a stored document's), or 0. */
static uint32_t ip_parse(const char *s)
{
	uint32_t a = 0;

	if (s == NULL || !l2x_config_ipv4_scan(s, strcspn(s, "/"), &a))
		return 0;
	return a;
}

/* The appliance is up: its IKE_SA established, l2x-ike's CHILD_SA
 * installed, and its dataplane's tunnel up (it holds the SAs). */
bool l2x_mgr_appl_up(json_t *st)
{
	return st != NULL && S(st, "ikeSa") != NULL &&
	       strcmp(S(st, "ikeSa"), "established") == 0 &&
	       json_is_true(json_object_get(st, "childSa")) &&
	       S(st, "tunnel") != NULL && strcmp(S(st, "tunnel"), "up") == 0;
}

/* Fresh status of a local appliance, or NULL when none or stale. */
json_t *l2x_mgr_fresh_status(struct l2x_mgr *m, const char *name)
{
	double age = 1e9;
	json_t *st = l2x_mgr_appl_status(m, name, &age);

	if (st != NULL && age >= L2X_MGR_APPL_TIMEOUT_S) {
		json_decref(st);
		return NULL;
	}
	return st;
}

/* (mesh, pair) of the pair with this id, borrowed from *meshes. */
json_t *l2x_mgr_find_pair(json_t *meshes, json_int_t id, json_t **mesh)
{
	size_t i, j;
	json_t *ms, *p;

	json_array_foreach(meshes, i, ms)
	{
		json_array_foreach(json_object_get(ms, "pairs"), j, p)
		{
			if (I(p, "id") == id) {
				if (mesh != NULL)
					*mesh = ms;
				return p;
			}
		}
	}
	return NULL;
}

json_t *l2x_mgr_ext_pair(json_t *meshes, json_t *e)
{
	size_t i, j;
	json_t *ms, *p;

	json_array_foreach(meshes, i, ms)
	{
		if (S(ms, "id") == NULL || S(e, "mesh") == NULL ||
		    strcmp(S(ms, "id"), S(e, "mesh")) != 0)
			continue;
		json_array_foreach(json_object_get(ms, "pairs"), j, p)
		{
			if (I(p, "id") == I(e, "pair"))
				return p;
		}
	}
	return NULL;
}

bool l2x_mgr_appl_in_mesh(struct l2x_mgr *m, const char *appliance)
{
	json_t *meshes = l2x_mgr_view(m, L2X_MGR_MESHES);
	bool in = false;
	size_t i, j;
	json_t *ms, *p;

	json_array_foreach(meshes, i, ms)
	    json_array_foreach(json_object_get(ms, "pairs"), j, p) in |=
	    strcmp(S(json_object_get(p, "local"), "appliance"), appliance) == 0;
	json_decref(meshes);
	return in;
}

/* ---- desired state
 * ------------------------------------------------------------- */

static json_t *mss_json(json_t *ext)
{
	return json_incref(json_object_get(ext, "mssClamp"));
}

json_t *l2x_mgr_desired(struct l2x_mgr *m, const char *appliance)
{
	json_t *meshes = l2x_mgr_view(m, L2X_MGR_MESHES);
	json_t *d = json_object(), *nets = json_array(), *mine = NULL;
	json_t *ms = NULL, *p, *exts, *e;
	bool fast = false;
	unsigned char h[8];
	uint64_t gen;
	size_t i, j;
	char *text;

	json_array_foreach(meshes, i, ms)
	{
		json_array_foreach(json_object_get(ms, "pairs"), j, p)
		{
			if (mine == NULL &&
			    strcmp(S(json_object_get(p, "local"), "appliance"),
				   appliance) == 0)
				mine = p;
		}
		if (mine != NULL)
			break;
	}
	if (mine != NULL) {
		json_t *loc = json_object_get(mine, "local");
		json_t *up =
		    json_pack("{s:s,s:I}", "address", S(loc, "uplinkAddress"),
			      "mtu", I(loc, "mtu"));
		char peer[INET_ADDRSTRLEN];

		if (S(loc, "gateway") != NULL)
			json_object_set(up, "gateway",
					json_object_get(loc, "gateway"));
		json_object_set_new(d, "uplink", up);
		l2x_config_ip(ip_parse(S(json_object_get(mine, "remote"),
					 "uplinkAddress")),
			      peer);
		json_object_set_new(
		    d, "peer",
		    json_pack(
			"{s:s,s:s,s:s,s:s,s:s}", "address", peer, "localId",
			appliance, "remoteId",
			S(json_object_get(mine, "remote"), "appliance"), "role",
			strcmp(S(ms, "role"), "initiator") == 0 ? "initiator"
								: "responder",
			"psk", S(mine, "psk")));
		json_object_set_new(
		    d, "tunnel",
		    json_pack("{s:s,s:s,s:s}", "encap", "gre", "innerLocal",
			      S(mine, "innerLocal"), "innerRemote",
			      S(mine, "innerRemote")));
		exts = l2x_mgr_view(m, L2X_MGR_EXTS);
		json_array_foreach(exts, i, e)
		{
			json_t *n;

			/* A network of this pair moving: come back soon (a
			 * move waits for this appliance's round twice). */
			fast |= (I(e, "pair") == I(mine, "id") ||
				 I(e, "toPair") == I(mine, "id")) &&
				l2x_mgr_ext_moving(e);
			if (I(e, "pair") != I(mine, "id") ||
			    (strcmp(S(e, "state"), "extending") != 0 &&
			     strcmp(S(e, "state"), "extended") != 0))
				continue;
			n = json_pack("{s:s,s:I,s:I,s:o}", "name", S(e, "name"),
				      "vlan", I(e, "vlan"), "tunnelId",
				      I(e, "tunnelId"), "mssClamp",
				      mss_json(e));
			if (S(e, "gateway") != NULL) {
				json_object_set(n, "gateway",
						json_object_get(e, "gateway"));
				json_object_set(
				    n, "gatewaySide",
				    json_object_get(e, "gatewaySide"));
			}
			json_array_append_new(nets, n);
		}
		json_decref(exts);
	}
	json_object_set_new(d, "networks", nets);
	/* The generation names the content: an appliance sees a new one
	 * exactly when something it must hold changed. */
	text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	crypto_generichash(h, sizeof(h), (const unsigned char *)text,
			   strlen(text), NULL, 0);
	sodium_memzero(text, strlen(text));
	free(text);
	memcpy(&gen, h, sizeof(gen));
	json_object_set_new(d, "generation",
			    json_integer((json_int_t)(gen >> 1)));
	if (fast) /* not in the generation: the content is the same */
		json_object_set_new(d, "pollMs",
				    json_integer(L2X_MGR_FAST_POLL_MS));
	json_decref(meshes);
	return d;
}

/* ---- service meshes
 * ---------------------------------------------------------------- */

/* Addresses this site's pairs use already. */
static size_t used_addresses(json_t *meshes, uint32_t *used, size_t cap)
{
	size_t n = 0, i, j;
	json_t *ms, *p;

	json_array_foreach(meshes, i, ms)
	    json_array_foreach(json_object_get(ms, "pairs"), j, p) if (n < cap)
		used[n++] =
		    ip_parse(S(json_object_get(p, "local"), "uplinkAddress"));
	return n;
}

/* Choose k appliances on sw and their uplink addresses from the compute
 * profile's network profile. On success appends k objects {appliance,
 * uplinkAddress, gateway, mtu} to out. */
int l2x_mgr_allocate(struct l2x_mgr *m, json_t *meshes, const char *cprof,
		     const char *sw, size_t k, json_t *taken, json_t *out,
		     char *err, size_t errlen)
{
	struct l2x_place_appl *appls;
	struct l2x_place_pool pool;
	json_t *cp, *np, *all, *a;
	uint32_t used[1024];
	size_t n = 0, nused, idx[16], i;
	int rc = 0;

	cp = l2x_mgr_load(m, "computeProfile", cprof, NULL);
	if (cp == NULL) {
		snprintf(err, errlen, "'%s' is not a compute profile of %s",
			 cprof, m->conf.name);
		return -ENOENT;
	}
	if (!l2x_mgr_in_list(json_object_get(cp, "switches"), sw)) {
		snprintf(err, errlen,
			 "switch '%s' is not in compute profile %s", sw, cprof);
		json_decref(cp);
		return -ENOENT;
	}
	np = l2x_mgr_load(m, "networkProfile", S(cp, "networkProfile"), NULL);
	json_decref(cp);
	if (np == NULL) {
		snprintf(err, errlen, "the network profile of %s is gone",
			 cprof);
		return -ENOENT;
	}
	all = l2x_mgr_load_all(m, "appliance");
	appls = calloc(json_array_size(all) + 1, sizeof(*appls));
	json_array_foreach(all, i, a)
	{
		json_t *st = l2x_mgr_fresh_status(m, S(a, "name"));

		snprintf(appls[n].name, sizeof(appls[n].name), "%s",
			 S(a, "name"));
		snprintf(appls[n].sw, sizeof(appls[n].sw), "%s",
			 S(a, "switch"));
		appls[n].healthy = st != NULL;
		appls[n].in_use = l2x_mgr_appl_in_mesh(m, S(a, "name")) ||
				  l2x_mgr_in_list(taken, S(a, "name"));
		json_decref(st);
		n++;
	}
	if (k > 16) {
		rc = -EINVAL;
		snprintf(err, errlen, "at most 16 pairs per switch");
		goto out;
	}
	rc = l2x_place_mesh(appls, n, sw, k, idx, err, errlen);
	if (rc != 0)
		goto out;
	pool.start = ip_parse(S(np, "rangeStart"));
	pool.end = ip_parse(S(np, "rangeEnd"));
	pool.prefix = (uint8_t)I(np, "prefix");
	pool.gateway = ip_parse(S(np, "gateway"));
	nused = used_addresses(meshes, used, 1000);
	/* Addresses handed out in this call count as used too. */
	for (i = 0; i < json_array_size(out) && nused < 1024; i++)
		used[nused++] =
		    ip_parse(S(json_array_get(out, i), "uplinkAddress"));
	for (i = 0; i < k; i++) {
		char addr[INET_ADDRSTRLEN], text[INET_ADDRSTRLEN + 4];
		uint32_t a4;
		json_t *o;

		rc = l2x_place_address(&pool, used, nused, &a4, err, errlen);
		if (rc != 0)
			goto out;
		if (nused < 1024)
			used[nused++] = a4;
		l2x_config_ip(a4, addr);
		snprintf(text, sizeof(text), "%s/%d", addr, (int)pool.prefix);
		o = json_pack("{s:s,s:s,s:I}", "appliance", appls[idx[i]].name,
			      "uplinkAddress", text, "mtu", I(np, "mtu"));
		if (S(np, "gateway") != NULL)
			json_object_set(o, "gateway",
					json_object_get(np, "gateway"));
		json_array_append_new(out, o);
		json_array_append_new(taken, json_string(appls[idx[i]].name));
	}
out:
	free(appls);
	json_decref(all);
	json_decref(np);
	return rc;
}

/* Inner tunnel endpoints of pair p: 169.254.X.Y/.Y+1, distinct per pair. */
static void inner_addrs(json_int_t p, char a[INET_ADDRSTRLEN],
			char b[INET_ADDRSTRLEN])
{
	uint32_t base = (169u << 24) | (254u << 16) |
			((uint32_t)(1 + p / 120) << 8) |
			(uint32_t)(2 * (p % 120) + 1);

	l2x_config_ip(base, a);
	l2x_config_ip(base + 1, b);
}

int l2x_mgr_match_remote(json_t *pairs, json_t *ans, char *err, size_t errlen)
{
	json_t *p, *rp, *x;
	size_t i, j;

	json_array_foreach(pairs, i, p)
	{
		rp = NULL;
		json_array_foreach(json_object_get(ans, "pairs"), j,
				   x) if (I(x, "id") == I(p, "id")) rp = x;
		if (rp == NULL || S(rp, "appliance") == NULL ||
		    S(rp, "uplinkAddress") == NULL) {
			snprintf(err, errlen,
				 "the remote site's answer lacks pair %lld",
				 (long long)I(p, "id"));
			return -EPROTO;
		}
		json_object_set_new(
		    p, "remote",
		    json_pack("{s:s,s:s}", "appliance", S(rp, "appliance"),
			      "uplinkAddress", S(rp, "uplinkAddress")));
	}
	return 0;
}

int l2x_mgr_new_pair(struct l2x_mgr *m, const char *sw, const char *rsw,
		     json_t *local, json_t *pairs, json_t *peer_pairs)
{
	struct l2x_store_txn *t;
	unsigned char psk[32];
	char b64[64], ia[INET_ADDRSTRLEN], ib[INET_ADDRSTRLEN];
	uint64_t id = 0;

	if (l2x_store_begin(m->store, &t) == 0) {
		l2x_store_next_id(t, "pair", &id);
		if (l2x_store_commit(t) != 0)
			id = 0;
	}
	if (id == 0)
		return -EIO;
	randombytes_buf(psk, sizeof(psk));
	sodium_bin2base64(b64, sizeof(b64), psk, sizeof(psk),
			  sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(psk, sizeof(psk));
	inner_addrs((json_int_t)id, ia, ib);
	json_array_append_new(pairs, json_pack("{s:I,s:s,s:s,s:O,s:s,s:s,s:s}",
					       "id", (json_int_t)id, "switch",
					       sw, "remoteSwitch", rsw, "local",
					       local, "innerLocal", ia,
					       "innerRemote", ib, "psk", b64));
	json_array_append_new(
	    peer_pairs,
	    json_pack("{s:I,s:s,s:s,s:O,s:s,s:s,s:s}", "id", (json_int_t)id,
		      "switch", rsw, "remoteSwitch", sw, "remote", local,
		      "innerLocal", ib, "innerRemote", ia, "psk", b64));
	sodium_memzero(b64, sizeof(b64));
	return 0;
}

json_t *l2x_mgr_mesh_view(struct l2x_mgr *m, json_t *ms)
{
	json_t *v = json_deep_copy(ms), *exts, *remote;
	size_t i, j;
	json_t *p, *e, *rp;
	bool all_up = true;

	exts = l2x_mgr_view(m, L2X_MGR_EXTS);
	pthread_mutex_lock(&m->lock);
	remote = json_incref(m->remote);
	pthread_mutex_unlock(&m->lock);
	json_array_foreach(json_object_get(v, "pairs"), i, p)
	{
		json_t *st = l2x_mgr_fresh_status(
		    m, S(json_object_get(p, "local"), "appliance"));
		bool up = l2x_mgr_appl_up(st), remote_up = false;
		json_int_t nets = 0;

		json_array_foreach(json_object_get(remote, "pairs"), j,
				   rp) if (I(rp, "id") == I(p, "id"))
		    remote_up = S(rp, "state") != NULL &&
				strcmp(S(rp, "state"), "up") == 0;
		json_array_foreach(exts, j,
				   e) if (I(e, "pair") == I(p, "id") &&
					  strcmp(S(e, "state"), "moving") != 0)
		    nets++;
		json_object_del(p, "psk");
		json_object_set_new(p, "state",
				    json_string(up && remote_up ? "up"
						: st == NULL	? "deploying"
								: "down"));
		json_object_set_new(p, "networks", json_integer(nets));
		all_up &= up && remote_up;
		json_decref(st);
	}
	json_object_set_new(v, "state", json_string(all_up ? "up" : "down"));
	json_decref(remote);
	json_decref(exts);
	return v;
}

static void mesh_create(struct l2x_mgr *m, const struct l2x_http_req *req,
			struct l2x_http_resp *r)
{
	struct l2x_apireq_service_mesh q;
	struct l2x_apireq_err e;
	json_t *meshes = NULL, *mine = json_array(), *taken = json_array();
	json_t *pairs = json_array(), *peer_pairs = json_array(), *sws;
	json_t *body = NULL, *ans = NULL, *doc = NULL, *p;
	char err[512], field[64], now[32];
	int status, rc;
	size_t i, j;

	if (l2x_apireq_parse_service_mesh(req->body, req->body_len, &q, &e)) {
		l2x_mgr_error(r, e.status, e.field, "%s", e.message);
		goto out;
	}
	doc = l2x_mgr_load(m, "serviceMesh", q.name, NULL);
	if (doc != NULL) {
		l2x_mgr_error(r, 409, "name", "service mesh '%s' exists",
			      q.name);
		goto out;
	}
	meshes = l2x_mgr_load_all(m, "serviceMesh");
	/* One site of a pairing leads every mesh: pair and extension ids come
	 * from the leader's counters and are shared keys at both sites. */
	json_array_foreach(meshes, i, p)
	{
		if (strcmp(S(p, "role"), "responder") == 0) {
			l2x_mgr_error(r, 409, NULL,
				      "the paired site leads the service "
				      "meshes of this pairing (%s): create it "
				      "there",
				      S(p, "name"));
			goto out;
		}
	}
	sws = json_array();
	for (i = 0; i < q.n_switches; i++) {
		size_t before = json_array_size(mine);

		snprintf(field, sizeof(field), "switches[%zu].switch", i);
		rc = l2x_mgr_allocate(m, meshes, q.local_compute_profile,
				      q.switches[i].switch_name,
				      q.switches[i].appliance_pairs, taken,
				      mine, err, sizeof(err));
		if (rc != 0) {
			json_decref(sws);
			l2x_mgr_error(r, rc == -ENOSPC ? 409 : 422, field, "%s",
				      err);
			goto out;
		}
		json_array_append_new(
		    sws,
		    json_pack("{s:s,s:s,s:i}", "switch",
			      q.switches[i].switch_name, "remoteSwitch",
			      q.switches[i].remote_switch, "appliancePairs",
			      (int)q.switches[i].appliance_pairs));
		for (j = before; j < json_array_size(mine); j++) {
			if (l2x_mgr_new_pair(m, q.switches[i].switch_name,
					     q.switches[i].remote_switch,
					     json_array_get(mine, j), pairs,
					     peer_pairs) != 0) {
				json_decref(sws);
				l2x_mgr_error(r, 500, NULL,
					      "store: no pair id");
				goto out;
			}
		}
	}
	/* The other site allocates its side. */
	body = json_pack("{s:s,s:s,s:s,s:O}", "name", q.name,
			 "localComputeProfile", q.remote_compute_profile,
			 "remoteComputeProfile", q.local_compute_profile,
			 "pairs", peer_pairs);
	rc = l2x_mgr_peer_call(m, "POST", "/peer/serviceMeshes", body, &status,
			       &ans, err, sizeof(err));
	if (rc != 0) {
		json_decref(sws);
		l2x_mgr_error(r, rc == -ENOTCONN ? 409 : 502, NULL, "%s", err);
		goto out;
	}
	if (status != 201) {
		const char *msg = S(json_object_get(ans, "error"), "message");

		json_decref(sws);
		l2x_mgr_error(r, l2x_mgr_peer_status(status),
			      "remoteComputeProfile", "the remote site: %s",
			      msg != NULL ? msg : "refused");
		goto out;
	}
	if (l2x_mgr_match_remote(pairs, ans, err, sizeof(err)) != 0) {
		json_decref(sws);
		l2x_mgr_error(r, 502, NULL, "%s", err);
		json_decref(l2x_mgr_peer_call_simple(
		    m, "DELETE", "/peer/serviceMeshes/", q.name));
		goto out;
	}
	l2x_mgr_now(now);
	doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:O,s:s,s:s}", "id", q.name,
			"name", q.name, "role", "initiator",
			"localComputeProfile", q.local_compute_profile,
			"remoteComputeProfile", q.remote_compute_profile,
			"switches", sws, "pairs", pairs, "created", now, "auth",
			"psk");
	rc = l2x_mgr_save(m, "serviceMesh", q.name, doc, L2X_STORE_ABSENT);
	if (rc != 0) {
		l2x_mgr_store_error(r, rc, "the service mesh");
		json_decref(l2x_mgr_peer_call_simple(
		    m, "DELETE", "/peer/serviceMeshes/", q.name));
		goto out;
	}
	l2x_mgr_event(m, "serviceMesh", q.name, "created with %zu pairs",
		      json_array_size(pairs));
	l2x_mgr_reply(r, 201, l2x_mgr_mesh_view(m, doc));
out:
	json_decref(doc);
	json_decref(ans);
	json_decref(body);
	json_decref(meshes);
	json_decref(mine);
	json_decref(taken);
	json_decref(pairs);
	json_decref(peer_pairs);
}

void l2x_mgr_api_meshes(struct l2x_mgr *m, const struct l2x_http_req *req,
			const char *id, struct l2x_http_resp *r)
{
	json_t *all, *out, *ms, *exts, *e;
	size_t i;

	if (id == NULL) {
		if (strcmp(req->method, "POST") == 0) {
			mesh_create(m, req, r);
			return;
		}
		if (strcmp(req->method, "GET") != 0) {
			l2x_mgr_error(r, 405, NULL, "use GET or POST");
			return;
		}
		all = l2x_mgr_load_all(m, "serviceMesh");
		out = json_array();
		json_array_foreach(all, i, ms)
		    json_array_append_new(out, l2x_mgr_mesh_view(m, ms));
		json_decref(all);
		l2x_mgr_reply(r, 200, out);
		return;
	}
	ms = l2x_mgr_load(m, "serviceMesh", id, NULL);
	if (ms == NULL) {
		l2x_mgr_error(r, 404, NULL, "no service mesh '%s'", id);
		return;
	}
	if (strcmp(req->method, "GET") == 0) {
		l2x_mgr_reply(r, 200, l2x_mgr_mesh_view(m, ms));
	} else if (strcmp(req->method, "PATCH") == 0) {
		l2x_mgr_mesh_patch(m, req, id, r);
	} else if (strcmp(req->method, "DELETE") != 0) {
		l2x_mgr_error(r, 405, NULL, "use GET, PATCH or DELETE");
	} else if (strcmp(S(ms, "role"), "initiator") != 0) {
		l2x_mgr_error(r, 409, NULL,
			      "service mesh '%s' is led by the other site: "
			      "delete it there",
			      id);
	} else {
		bool busy = false;

		exts = l2x_mgr_view(m, L2X_MGR_EXTS);
		json_array_foreach(exts, i, e) busy |=
		    strcmp(S(e, "mesh"), id) == 0;
		json_decref(exts);
		if (busy) {
			l2x_mgr_error(r, 409, NULL,
				      "service mesh '%s' carries network "
				      "extensions: unextend them first",
				      id);
		} else {
			json_decref(l2x_mgr_peer_call_simple(
			    m, "DELETE", "/peer/serviceMeshes/", id));
			l2x_mgr_delete(m, "serviceMesh", id);
			l2x_mgr_event(m, "serviceMesh", id, "deleted");
			l2x_mgr_reply(r, 204, NULL);
		}
	}
	json_decref(ms);
}

/* ---- network extensions
 * -------------------------------------------------------------- */

/* One extension per switch and VLAN at a site, kept the etcd way: a claim
 * document "vlanClaim"/"SWITCH/VLAN" created (must be absent) in the same
 * transaction as the record, so two requests racing for one VLAN on two
 * pairs cannot both win. */
static void claim_id(json_t *e, char *out, size_t len)
{
	snprintf(out, len, "%s/%lld", S(e, "switch"), (long long)I(e, "vlan"));
}

int l2x_mgr_ext_insert(struct l2x_mgr *m, json_t *e)
{
	char claim[96], *text = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
	struct l2x_store_txn *t;
	int rc;

	if (text == NULL)
		return -ENOMEM;
	claim_id(e, claim, sizeof(claim));
	rc = l2x_store_begin(m->store, &t);
	if (rc == 0) {
		l2x_store_put(t, "vlanClaim", claim, "{}", L2X_STORE_ABSENT);
		l2x_store_put(t, "networkExtension", S(e, "id"), text,
			      L2X_STORE_ABSENT);
		rc = l2x_store_commit(t);
	}
	free(text);
	return rc;
}

void l2x_mgr_ext_remove(struct l2x_mgr *m, json_t *e)
{
	struct l2x_store_txn *t;
	char claim[96];

	claim_id(e, claim, sizeof(claim));
	if (l2x_store_begin(m->store, &t) != 0)
		return;
	if (l2x_store_txn_get(t, "vlanClaim", claim, NULL, NULL) == 0)
		l2x_store_del(t, "vlanClaim", claim, 0);
	l2x_store_del(t, "networkExtension", S(e, "id"), 0);
	l2x_store_commit(t);
}

static json_t *ext_view(struct l2x_mgr *m, json_t *e)
{
	json_t *v = json_deep_copy(e);

	(void)m;
	json_object_del(v, "phase");
	json_object_del(v, "startedAt");
	json_object_del(v, "remoteDone");
	json_object_del(v, "remoteAck");
	json_object_del(v, "moveStarted");
	json_object_del(v, "moveReason");
	json_object_del(v, "moveIn");
	if (json_string_length(json_object_get(v, "reason")) == 0)
		json_object_del(v, "reason");
	return v;
}

static json_t *mss_of(uint16_t mss)
{
	if (mss == L2X_CONFIG_MSS_AUTO)
		return json_string("auto");
	if (mss == L2X_CONFIG_MSS_OFF)
		return json_string("off");
	return json_integer(mss);
}

void l2x_mgr_set_state(json_t *e, const char *state, const char *reason)
{
	char now[32];

	l2x_mgr_now(now);
	json_object_set_new(e, "state", json_string(state));
	json_object_set_new(e, "reason", json_string(reason));
	json_object_set_new(e, "since", json_string(now));
}

static void ext_create(struct l2x_mgr *m, const struct l2x_http_req *req,
		       struct l2x_http_resp *r)
{
	struct l2x_apireq_network_extension q;
	struct l2x_apireq_err e;
	struct l2x_place_pair cand[256];
	json_t *sws = NULL, *sw = NULL, *meshes = NULL, *exts = NULL;
	json_t *doc = NULL;
	json_t *body = NULL, *ans = NULL, *pg, *ms = NULL, *p, *x;
	const char *pgname = NULL;
	size_t n = 0, i, j, k;
	char err[512], id[32], gw[INET_ADDRSTRLEN + 4];
	struct l2x_store_txn *t;
	uint64_t tid = 0;
	int vlan = 0, status, rc;

	if (l2x_apireq_parse_network_extension(req->body, req->body_len, &q,
					       &e) != 0) {
		l2x_mgr_error(r, e.status, e.field, "%s", e.message);
		return;
	}
	sws = l2x_mgr_view(m, L2X_MGR_SWITCHES);
	json_array_foreach(sws, i, x)
	{
		if (strcmp(S(x, "name"), q.switch_name) == 0)
			sw = x;
	}
	if (sw == NULL) {
		l2x_mgr_error(r, 422, "switch",
			      "'%s' is not a switch of the inventory",
			      q.switch_name);
		goto out;
	}
	json_array_foreach(json_object_get(sw, "portGroups"), i, pg)
	{
		if (strcmp(S(pg, "name"), q.port_group) == 0) {
			pgname = S(pg, "name");
			vlan = (int)I(pg, "vlan");
		}
	}
	if (pgname == NULL) {
		l2x_mgr_error(r, 422, "portGroup",
			      "'%s' is not a port group of switch %s",
			      q.port_group, q.switch_name);
		goto out;
	}
	exts = l2x_mgr_view(m, L2X_MGR_EXTS);
	json_array_foreach(exts, i, x)
	{
		if (strcmp(S(x, "switch"), q.switch_name) == 0 &&
		    I(x, "vlan") == vlan) {
			l2x_mgr_error(r, 409, "portGroup",
				      "VLAN %d of switch %s is extended "
				      "already (%s)",
				      vlan, q.switch_name, S(x, "id"));
			goto out;
		}
		/* The same port group name on another switch is fine: a
		 * network's name must be unique per appliance, and a pair
		 * carries one switch, whose port group names are distinct. */
	}
	/* Placement: the pairs of the meshes this site leads on the switch. */
	meshes = l2x_mgr_view(m, L2X_MGR_MESHES);
	json_array_foreach(meshes, i, ms)
	{
		if (strcmp(S(ms, "role"), "initiator") != 0)
			continue;
		json_array_foreach(json_object_get(ms, "pairs"), j, p)
		{
			json_t *st;

			if (n == 256)
				break;
			memset(&cand[n], 0, sizeof(cand[n]));
			cand[n].id = (uint32_t)I(p, "id");
			snprintf(cand[n].sw, sizeof(cand[n].sw), "%s",
				 S(p, "switch"));
			json_array_foreach(exts, k, x) cand[n].networks +=
			    I(x, strcmp(S(x, "state"), "moving") == 0
				     ? "toPair"
				     : "pair") == I(p, "id");
			cand[n].limit = L2X_APIREQ_NETWORKS_MAX;
			cand[n].draining =
			    json_is_true(json_object_get(p, "draining"));
			cand[n].held = json_is_true(json_object_get(p, "held"));
			st = l2x_mgr_fresh_status(
			    m, S(json_object_get(p, "local"), "appliance"));
			cand[n].healthy =
			    st != NULL &&
			    (S(p, "health") == NULL ||
			     strcmp(S(p, "health"), "unhealthy") != 0);
			cand[n].up = l2x_mgr_appl_up(st);
			if (st != NULL) {
				json_t *c = json_object_get(st, "counters");

				cand[n].traffic = (uint64_t)(I(c, "rxTunnel") +
							     I(c, "txTunnel"));
			}
			json_decref(st);
			n++;
		}
	}
	rc = l2x_place_extension(cand, n, q.switch_name, &k, err, sizeof(err));
	for (i = 0, j = 0; i < n; i++)
		j += strcmp(cand[i].sw, q.switch_name) == 0;
	if (rc != 0 && j > 0 &&
	    l2x_mgr_mono() - m->lead_since < L2X_MGR_APPL_TIMEOUT_S) {
		/* Just started or took the lead: the switch has pairs but
		 * their appliances have not all reported here yet, so
		 * "unhealthy" may only mean "not heard from yet". */
		l2x_mgr_error(r, 503, NULL,
			      "manager %s took the lead of %s moments ago and "
			      "has not heard from every appliance yet: retry",
			      m->conf.manager_id, m->conf.name);
		goto out;
	}
	if (rc != 0) {
		l2x_mgr_error(r, 409, "switch", "%s", err);
		goto out;
	}
	p = l2x_mgr_find_pair(meshes, cand[k].id, &ms);
	pthread_mutex_lock(l2x_mgr_pair_lock(m, I(p, "id")));
	if (l2x_store_begin(m->store, &t) == 0) {
		l2x_store_next_id(t, "tunnel", &tid);
		if (l2x_store_commit(t) != 0)
			tid = 0;
	}
	if (tid == 0) {
		pthread_mutex_unlock(l2x_mgr_pair_lock(m, I(p, "id")));
		l2x_mgr_error(r, 500, NULL, "store: no tunnel id");
		goto out;
	}
	tid += L2X_MGR_TUNNEL_ID_BASE - 1;
	snprintf(id, sizeof(id), "ne-%llu", (unsigned long long)tid);
	doc = json_pack(
	    "{s:s,s:s,s:s,s:s,s:i,s:{s:s,s:i},s:o,s:I,s:s,s:I,"
	    "s:s,s:s,s:I}",
	    "id", id, "name", q.port_group, "switch", q.switch_name,
	    "portGroup", q.port_group, "vlan", vlan, "destination", "switch",
	    q.destination.switch_name, "vlan", (int)q.destination.vlan,
	    "mssClamp", mss_of(q.mss_clamp), "tunnelId", (json_int_t)tid,
	    "mesh", S(ms, "id"), "pair", I(p, "id"), "role", "initiator",
	    "phase", "remote", "startedAt", (json_int_t)time(NULL));
	if (q.gateway.len != 0) {
		char a[INET_ADDRSTRLEN];

		l2x_config_ip(q.gateway.addr, a);
		snprintf(gw, sizeof(gw), "%s/%u", a, q.gateway.len);
		json_object_set_new(doc, "gateway", json_string(gw));
		json_object_set_new(
		    doc, "gatewaySide",
		    json_string(q.gateway_side == L2X_CONFIG_GW_LOCAL
				    ? "local"
				    : "remote"));
	}
	l2x_mgr_set_state(doc, "extending", "");
	rc = l2x_mgr_ext_insert(m, doc);
	if (rc != 0) {
		pthread_mutex_unlock(l2x_mgr_pair_lock(m, I(p, "id")));
		if (rc == -EEXIST)
			l2x_mgr_error(r, 409, "portGroup",
				      "VLAN %d of switch %s is being extended "
				      "by another request",
				      vlan, q.switch_name);
		else
			l2x_mgr_store_error(r, rc, "the network extension");
		goto out;
	}
	/* The other site, with the gateway side seen from there. */
	body = json_deep_copy(doc);
	json_object_set_new(body, "switch",
			    json_string(q.destination.switch_name));
	json_object_set_new(body, "vlan", json_integer(q.destination.vlan));
	json_object_set_new(
	    body, "destination",
	    json_pack("{s:s,s:i}", "switch", q.switch_name, "vlan", vlan));
	if (q.gateway.len != 0)
		json_object_set_new(
		    body, "gatewaySide",
		    json_string(q.gateway_side == L2X_CONFIG_GW_LOCAL
				    ? "remote"
				    : "local"));
	rc = l2x_mgr_peer_call(m, "POST", "/peer/networkExtensions", body,
			       &status, &ans, err, sizeof(err));
	if (rc != 0 || status != 201) {
		const char *msg = S(json_object_get(ans, "error"), "message");

		/* Nothing half-done: the record goes, and so does whatever
		 * the other site may have kept of it. */
		if (rc != 0)
			json_decref(l2x_mgr_peer_call_simple(
			    m, "DELETE", "/peer/networkExtensions/", id));
		l2x_mgr_ext_remove(m, doc);
		pthread_mutex_unlock(l2x_mgr_pair_lock(m, I(p, "id")));
		if (rc != 0)
			l2x_mgr_error(r, 502, NULL, "the remote site: %s", err);
		else
			l2x_mgr_error(r, l2x_mgr_peer_status(status),
				      S(json_object_get(ans, "error"), "field"),
				      "the remote site refused: %s",
				      msg != NULL ? msg : "no reason");
		goto out;
	}
	json_object_set_new(doc, "phase", json_string("applied"));
	rc = l2x_mgr_save(m, "networkExtension", id, doc, 0);
	pthread_mutex_unlock(l2x_mgr_pair_lock(m, I(p, "id")));
	if (rc != 0) {
		l2x_mgr_store_error(r, rc, "the network extension");
		goto out;
	}
	l2x_mgr_event(m, "networkExtension", id,
		      "extending %s (switch %s VLAN %d) on pair %lld, tunnel "
		      "id %llu",
		      q.port_group, q.switch_name, vlan, (long long)I(p, "id"),
		      (unsigned long long)tid);
	l2x_mgr_reply(r, 201, ext_view(m, doc));
out:
	json_decref(sws);
	json_decref(exts);
	json_decref(meshes);
	json_decref(doc);
	json_decref(body);
	json_decref(ans);
}

static void ext_delete(struct l2x_mgr *m, json_t *e, struct l2x_http_resp *r)
{
	const char *id = S(e, "id");
	json_t *ans = NULL;
	int status = 0, rc;
	char err[256], path[96];

	if (strcmp(S(e, "role"), "initiator") != 0) {
		l2x_mgr_error(r, 409, NULL,
			      "network extension '%s' is led by the other "
			      "site: delete it there",
			      id);
		return;
	}
	pthread_mutex_lock(l2x_mgr_pair_lock(m, I(e, "pair")));
	if (strcmp(S(e, "state"), "failed") == 0) {
		/* Rolled back already: only the record is left. */
		l2x_mgr_ext_remove(m, e);
		pthread_mutex_unlock(l2x_mgr_pair_lock(m, I(e, "pair")));
		l2x_mgr_event(m, "networkExtension", id, "deleted");
		l2x_mgr_reply(r, 204, NULL);
		return;
	}
	l2x_mgr_set_state(e, "unextending", "");
	snprintf(path, sizeof(path), "/peer/networkExtensions/%s", id);
	rc = l2x_mgr_peer_call(m, "DELETE", path, NULL, &status, &ans, err,
			       sizeof(err));
	json_decref(ans);
	json_object_set_new(
	    e, "remoteDone",
	    json_boolean(rc == 0 && (status / 100 == 2 || status == 404)));
	rc = l2x_mgr_save(m, "networkExtension", id, e, 0);
	pthread_mutex_unlock(l2x_mgr_pair_lock(m, I(e, "pair")));
	if (rc != 0) {
		l2x_mgr_store_error(r, rc, "the network extension");
		return;
	}
	l2x_mgr_event(m, "networkExtension", id, "unextending");
	l2x_mgr_reply(r, 202, ext_view(m, e));
}

void l2x_mgr_api_extensions(struct l2x_mgr *m, const struct l2x_http_req *req,
			    const char *id, struct l2x_http_resp *r)
{
	json_t *all, *out, *e;
	size_t i;

	if (id == NULL) {
		if (strcmp(req->method, "POST") == 0) {
			ext_create(m, req, r);
			return;
		}
		if (strcmp(req->method, "GET") != 0) {
			l2x_mgr_error(r, 405, NULL, "use GET or POST");
			return;
		}
		all = l2x_mgr_view(m, L2X_MGR_EXTS);
		out = json_array();
		json_array_foreach(all, i, e)
		    json_array_append_new(out, ext_view(m, e));
		json_decref(all);
		l2x_mgr_reply(r, 200, out);
		return;
	}
	e = l2x_mgr_load(m, "networkExtension", id, NULL);
	if (e == NULL) {
		l2x_mgr_error(r, 404, NULL, "no network extension '%s'", id);
		return;
	}
	if (strcmp(req->method, "GET") == 0)
		l2x_mgr_reply(r, 200, ext_view(m, e));
	else if (strcmp(req->method, "DELETE") == 0)
		ext_delete(m, e, r);
	else
		l2x_mgr_error(r, 405, NULL, "use GET or DELETE");
	json_decref(e);
}
