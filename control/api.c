/* SPDX-License-Identifier: MIT */
/*
 * api.c - the people's endpoints of the manager (mgr.h): the inventory
 * (switches and their port groups, network profiles, compute profiles),
 * the appliances, the events, and the routing to mesh.c for service
 * meshes and network extensions. Bodies are validated by apireq.c before
 * anything is read from them; answers are built here with jansson.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/apireq.h"
#include "control/config.h"
#include "control/mgr.h"

static bool method(const struct l2x_http_req *req, struct l2x_http_resp *r,
		   const char *allowed)
{
	char m[16];

	snprintf(m, sizeof(m), " %s ", req->method);
	if (strstr(allowed, m) != NULL)
		return true;
	l2x_mgr_error(r, 405, NULL, "%s is not allowed here (allowed:%s)",
		      req->method, allowed);
	return false;
}

static void bad(struct l2x_http_resp *r, const struct l2x_apireq_err *e)
{
	l2x_mgr_error(r, e->status, e->field, "%s", e->message);
}

/* Is name in the JSON array of strings? */
bool l2x_mgr_in_list(json_t *list, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) if (json_is_string(v) &&
					   strcmp(json_string_value(v), name) ==
					       0) return true;
	return false;
}

/* ---- switches
 * ------------------------------------------------------------------ */

static json_t *switch_view(struct l2x_mgr *m, json_t *sw)
{
	json_t *v = json_deep_copy(sw), *names = json_array();
	json_t *all = l2x_mgr_load_all(m, "appliance");
	const char *n = json_string_value(json_object_get(sw, "name"));
	size_t i;
	json_t *a;

	json_array_foreach(
	    all, i,
	    a) if (strcmp(json_string_value(json_object_get(a, "switch")), n) ==
		   0) json_array_append(names, json_object_get(a, "name"));
	json_decref(all);
	json_object_set_new(v, "appliances", names);
	return v;
}

static json_t *switch_doc(const struct l2x_apireq_switch *q)
{
	json_t *pgs = json_array();

	for (uint32_t i = 0; i < q->n_port_groups; i++)
		json_array_append_new(
		    pgs, json_pack("{s:s,s:i}", "name", q->port_groups[i].name,
				   "vlan", q->port_groups[i].vlan));
	return json_pack("{s:s,s:o}", "name", q->name, "portGroups", pgs);
}

/* An extension at this site that uses switch sw (and vlan, if not 0). */
static json_t *extension_on(struct l2x_mgr *m, const char *sw, int vlan)
{
	json_t *all = l2x_mgr_view(m, L2X_MGR_EXTS), *found = NULL;
	size_t i;
	json_t *e;

	json_array_foreach(all, i, e)
	{
		if (found == NULL &&
		    strcmp(json_string_value(json_object_get(e, "switch")),
			   sw) == 0 &&
		    (vlan == 0 ||
		     json_integer_value(json_object_get(e, "vlan")) == vlan))
			found = json_incref(e);
	}
	json_decref(all);
	return found;
}

static void switches(struct l2x_mgr *m, const struct l2x_http_req *req,
		     const char *name, struct l2x_http_resp *r)
{
	struct l2x_apireq_switch q;
	struct l2x_apireq_err e;
	json_t *doc, *all, *out, *ext;
	uint64_t rev;
	size_t i;
	int rc;

	if (name == NULL) {
		if (!method(req, r, " GET POST "))
			return;
		if (strcmp(req->method, "GET") == 0) {
			all = l2x_mgr_load_all(m, "switch");
			out = json_array();
			json_array_foreach(all, i, doc)
			    json_array_append_new(out, switch_view(m, doc));
			json_decref(all);
			l2x_mgr_reply(r, 200, out);
			return;
		}
		if (l2x_apireq_parse_switch(req->body, req->body_len, &q, &e)) {
			bad(r, &e);
			return;
		}
		doc = switch_doc(&q);
		rc = l2x_mgr_save(m, "switch", q.name, doc, L2X_STORE_ABSENT);
		if (rc != 0)
			l2x_mgr_store_error(r, rc, "the switch");
		else
			l2x_mgr_reply(r, 201, switch_view(m, doc));
		if (rc == 0)
			l2x_mgr_event(m, "switch", q.name,
				      "added with %u port groups",
				      q.n_port_groups);
		json_decref(doc);
		l2x_apireq_switch_free(&q);
		return;
	}
	if (!method(req, r, " GET PUT DELETE "))
		return;
	doc = l2x_mgr_load(m, "switch", name, &rev);
	if (doc == NULL) {
		l2x_mgr_error(r, 404, NULL, "no switch '%s'", name);
		return;
	}
	if (strcmp(req->method, "GET") == 0) {
		l2x_mgr_reply(r, 200, switch_view(m, doc));
	} else if (strcmp(req->method, "DELETE") == 0) {
		ext = extension_on(m, name, 0);
		if (ext != NULL) {
			l2x_mgr_error(
			    r, 409, NULL,
			    "switch '%s' has extended networks "
			    "(%s): unextend them first",
			    name,
			    json_string_value(json_object_get(ext, "id")));
			json_decref(ext);
		} else if ((rc = l2x_store_del1(m->store, "switch", name, rev,
						NULL)) != 0) {
			l2x_mgr_store_error(r, rc, "the switch");
		} else {
			l2x_mgr_event(m, "switch", name, "deleted");
			l2x_mgr_reply(r, 204, NULL);
		}
	} else if (l2x_apireq_parse_switch(req->body, req->body_len, &q, &e) !=
		   0) {
		bad(r, &e);
	} else {
		json_t *nd = switch_doc(&q);
		bool ok = strcmp(q.name, name) == 0;

		if (!ok)
			l2x_mgr_error(r, 400, "name",
				      "'%s' is not the switch of the path (%s)",
				      q.name, name);
		/* An extended port group may not go away or change VLAN. */
		all = l2x_mgr_view(m, L2X_MGR_EXTS);
		json_array_foreach(all, i, ext)
		{
			bool kept = false;
			int v = (int)json_integer_value(
			    json_object_get(ext, "vlan"));

			if (!ok || strcmp(json_string_value(
					      json_object_get(ext, "switch")),
					  name) != 0)
				continue;
			for (uint32_t k = 0; k < q.n_port_groups; k++)
				kept |= q.port_groups[k].vlan == v;
			if (!kept) {
				l2x_mgr_error(r, 409, "portGroups",
					      "VLAN %d is extended (%s): "
					      "unextend it first",
					      v,
					      json_string_value(
						  json_object_get(ext, "id")));
				ok = false;
				break; /* one answer */
			}
		}
		json_decref(all);
		if (ok) {
			rc = l2x_mgr_save(m, "switch", name, nd, rev);
			if (rc != 0)
				l2x_mgr_store_error(r, rc, "the switch");
			else
				l2x_mgr_reply(r, 200, switch_view(m, nd));
		}
		json_decref(nd);
		l2x_apireq_switch_free(&q);
	}
	json_decref(doc);
}

/* ---- network and compute profiles
 * ------------------------------------------------- */

static void
generic_one(struct l2x_mgr *m, const struct l2x_http_req *req, const char *kind,
	    const char *what, const char *name, struct l2x_http_resp *r,
	    bool (*in_use)(struct l2x_mgr *, const char *, char *, size_t))
{
	char why[256];
	json_t *doc;

	if (!method(req, r, " GET DELETE "))
		return;
	doc = l2x_mgr_load(m, kind, name, NULL);
	if (doc == NULL) {
		l2x_mgr_error(r, 404, NULL, "no %s '%s'", what, name);
		return;
	}
	if (strcmp(req->method, "GET") == 0) {
		l2x_mgr_reply(r, 200, doc);
		return;
	}
	json_decref(doc);
	if (in_use(m, name, why, sizeof(why))) {
		l2x_mgr_error(r, 409, NULL, "%s '%s' is in use: %s", what, name,
			      why);
		return;
	}
	l2x_mgr_delete(m, kind, name);
	l2x_mgr_event(m, kind, name, "deleted");
	l2x_mgr_reply(r, 204, NULL);
}

static bool np_in_use(struct l2x_mgr *m, const char *name, char *why,
		      size_t len)
{
	json_t *all = l2x_mgr_load_all(m, "computeProfile");
	bool used = false;
	size_t i;
	json_t *c;

	json_array_foreach(
	    all, i, c) if (!used &&
			   strcmp(json_string_value(
				      json_object_get(c, "networkProfile")),
				  name) == 0)
	{
		used = true;
		snprintf(why, len, "compute profile %s uses it",
			 json_string_value(json_object_get(c, "name")));
	}
	json_decref(all);
	return used;
}

static bool cp_in_use(struct l2x_mgr *m, const char *name, char *why,
		      size_t len)
{
	json_t *all = l2x_mgr_load_all(m, "serviceMesh");
	bool used = false;
	size_t i;
	json_t *s;

	json_array_foreach(all, i,
			   s) if (!used &&
				  strcmp(json_string_value(json_object_get(
					     s, "localComputeProfile")),
					 name) == 0)
	{
		used = true;
		snprintf(why, len, "service mesh %s uses it",
			 json_string_value(json_object_get(s, "name")));
	}
	json_decref(all);
	return used;
}

static void network_profiles(struct l2x_mgr *m, const struct l2x_http_req *req,
			     const char *name, struct l2x_http_resp *r)
{
	struct l2x_apireq_network_profile q;
	struct l2x_apireq_err e;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	json_t *doc;
	int rc;

	if (name != NULL) {
		generic_one(m, req, "networkProfile", "network profile", name,
			    r, np_in_use);
		return;
	}
	if (!method(req, r, " GET POST "))
		return;
	if (strcmp(req->method, "GET") == 0) {
		l2x_mgr_reply(r, 200, l2x_mgr_load_all(m, "networkProfile"));
		return;
	}
	if (l2x_apireq_parse_network_profile(req->body, req->body_len, &q,
					     &e) != 0) {
		bad(r, &e);
		return;
	}
	if (q.prefix < 32 && (q.range_start >> (32 - q.prefix)) !=
				 (q.range_end >> (32 - q.prefix))) {
		l2x_mgr_error(r, 400, "rangeEnd",
			      "the range must lie in one /%u subnet", q.prefix);
		return;
	}
	l2x_config_ip(q.range_start, a);
	l2x_config_ip(q.range_end, b);
	doc = json_pack("{s:s,s:s,s:s,s:i,s:i}", "name", q.name, "rangeStart",
			a, "rangeEnd", b, "prefix", q.prefix, "mtu", q.mtu);
	if (q.gateway != 0) {
		l2x_config_ip(q.gateway, g);
		json_object_set_new(doc, "gateway", json_string(g));
	}
	rc = l2x_mgr_save(m, "networkProfile", q.name, doc, L2X_STORE_ABSENT);
	if (rc != 0) {
		json_decref(doc);
		l2x_mgr_store_error(r, rc, "the network profile");
		return;
	}
	l2x_mgr_event(m, "networkProfile", q.name, "added: %s-%s/%u", a, b,
		      q.prefix);
	l2x_mgr_reply(r, 201, doc);
}

static void compute_profiles(struct l2x_mgr *m, const struct l2x_http_req *req,
			     const char *name, struct l2x_http_resp *r)
{
	struct l2x_apireq_compute_profile q;
	struct l2x_apireq_err e;
	json_t *doc, *sws, *np;
	int rc;

	if (name != NULL) {
		generic_one(m, req, "computeProfile", "compute profile", name,
			    r, cp_in_use);
		return;
	}
	if (!method(req, r, " GET POST "))
		return;
	if (strcmp(req->method, "GET") == 0) {
		l2x_mgr_reply(r, 200, l2x_mgr_load_all(m, "computeProfile"));
		return;
	}
	if (l2x_apireq_parse_compute_profile(req->body, req->body_len, &q,
					     &e) != 0) {
		bad(r, &e);
		return;
	}
	np = l2x_mgr_load(m, "networkProfile", q.network_profile, NULL);
	if (np == NULL) {
		l2x_mgr_error(r, 422, "networkProfile",
			      "'%s' is not a network profile of this site",
			      q.network_profile);
		return;
	}
	json_decref(np);
	sws = json_array();
	for (uint32_t i = 0; i < q.n_switches; i++) {
		json_t *sw = l2x_mgr_load(m, "switch", q.switches[i], NULL);
		char field[32];

		if (sw == NULL) {
			snprintf(field, sizeof(field), "switches[%u]", i);
			l2x_mgr_error(r, 422, field,
				      "'%s' is not a switch of this site",
				      q.switches[i]);
			json_decref(sws);
			return;
		}
		json_decref(sw);
		json_array_append_new(sws, json_string(q.switches[i]));
	}
	doc = json_pack("{s:s,s:o,s:s}", "name", q.name, "switches", sws,
			"networkProfile", q.network_profile);
	rc = l2x_mgr_save(m, "computeProfile", q.name, doc, L2X_STORE_ABSENT);
	if (rc != 0) {
		json_decref(doc);
		l2x_mgr_store_error(r, rc, "the compute profile");
		return;
	}
	l2x_mgr_event(m, "computeProfile", q.name, "added");
	l2x_mgr_reply(r, 201, doc);
}

/* ---- appliances
 * ------------------------------------------------------------------- */

json_t *l2x_mgr_appl_view(struct l2x_mgr *m, json_t *a)
{
	const char *name = json_string_value(json_object_get(a, "name"));
	double age = 1e9;
	json_t *st = l2x_mgr_appl_status(m, name, &age);
	json_t *d = l2x_mgr_desired(m, name);
	json_t *up = json_object_get(d, "uplink");
	json_t *v;
	char seen[32] = "";

	v = json_pack("{s:s,s:s,s:s,s:s}", "name", name, "switch",
		      json_string_value(json_object_get(a, "switch")), "health",
		      st == NULL		     ? "enrolled"
		      : age < L2X_MGR_APPL_TIMEOUT_S ? "healthy"
						     : "unhealthy",
		      "enrolledAt",
		      json_string_value(json_object_get(a, "enrolledAt")));
	if (up != NULL)
		json_object_set(v, "uplinkAddress",
				json_object_get(up, "address"));
	if (st != NULL) {
		/* The status was validated (apireq) when it came, but its
		 * optional parts may be absent: the view always has them. */
		json_t *nets = json_object_get(st, "networks");
		json_t *ctr = json_object_get(st, "counters");

		json_object_set_new(v, "networks",
				    json_is_array(nets) ? json_incref(nets)
							: json_array());
		json_object_set(v, "tunnel", json_object_get(st, "tunnel"));
		json_object_set(v, "ikeSa", json_object_get(st, "ikeSa"));
		if (json_is_object(ctr))
			json_object_set(v, "counters", ctr);
		json_object_set(v, "dataplane",
				json_object_get(st, "dataplane"));
		if (json_string_length(json_object_get(st, "error")) > 0)
			json_object_set(v, "error",
					json_object_get(st, "error"));
		json_object_set_new(v, "lastSeenSecondsAgo",
				    json_integer((json_int_t)age));
	} else {
		json_object_set_new(v, "networks", json_array());
		json_object_set_new(v, "tunnel", json_string("down"));
	}
	(void)seen;
	json_decref(st);
	json_decref(d);
	return v;
}

static void appliances(struct l2x_mgr *m, const struct l2x_http_req *req,
		       const char *name, struct l2x_http_resp *r)
{
	json_t *all, *out, *a;
	size_t i;

	if (name == NULL) {
		if (!method(req, r, " GET "))
			return;
		all = l2x_mgr_load_all(m, "appliance");
		out = json_array();
		json_array_foreach(all, i, a)
		    json_array_append_new(out, l2x_mgr_appl_view(m, a));
		json_decref(all);
		l2x_mgr_reply(r, 200, out);
		return;
	}
	if (!method(req, r, " GET DELETE "))
		return;
	a = l2x_mgr_load(m, "appliance", name, NULL);
	if (a == NULL) {
		l2x_mgr_error(r, 404, NULL, "no appliance '%s'", name);
		return;
	}
	if (strcmp(req->method, "GET") == 0) {
		l2x_mgr_reply(r, 200, l2x_mgr_appl_view(m, a));
	} else if (l2x_mgr_appl_in_mesh(m, name)) {
		l2x_mgr_error(r, 409, NULL,
			      "appliance '%s' is in a service mesh: delete "
			      "the mesh first",
			      name);
	} else {
		l2x_mgr_delete(m, "appliance", name);
		l2x_mgr_event(m, "appliance", name, "removed");
		l2x_mgr_reply(r, 204, NULL);
	}
	json_decref(a);
}

/* ---- routing
 * ---------------------------------------------------------------------- */

void l2x_mgr_api(struct l2x_mgr *m, const struct l2x_http_req *req,
		 const char *path, bool read_only, struct l2x_http_resp *r)
{
	static const struct {
		const char *prefix;
		void (*fn)(struct l2x_mgr *, const struct l2x_http_req *,
			   const char *, struct l2x_http_resp *);
	} routes[] = {
	    {"/switches", switches},
	    {"/networkProfiles", network_profiles},
	    {"/computeProfiles", compute_profiles},
	    {"/appliances", appliances},
	    {"/serviceMeshes", l2x_mgr_api_meshes},
	    {"/networkExtensions", l2x_mgr_api_extensions},
	};
	char name[L2X_AGENT_NAME_LEN + 1];

	(void)read_only;
	if (strcmp(path, "/events") == 0) {
		if (method(req, r, " GET "))
			l2x_mgr_reply(r, 200, l2x_mgr_load_all(m, "event"));
		return;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		size_t n = strlen(routes[i].prefix);
		const char *rest = path + n;

		if (strncmp(path, routes[i].prefix, n) != 0)
			continue;
		if (*rest == '\0') {
			routes[i].fn(m, req, NULL, r);
			return;
		}
		if (*rest != '/' || strlen(rest + 1) == 0 ||
		    strlen(rest + 1) >= sizeof(name) || strchr(rest + 1, '/')) {
			break;
		}
		snprintf(name, sizeof(name), "%s", rest + 1);
		routes[i].fn(m, req, name, r);
		return;
	}
	l2x_mgr_error(r, 404, NULL, "no such path: /api/v1%s", path);
}
