/* SPDX-License-Identifier: MIT */
/*
 * appliance_net.c - the dataplane's networks brought to the desired ones:
 * SHOW networks read, the NET_DEL / NET_ADD plan made (a pure function),
 * and applied over the control socket (appliance.h, step 6).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/appliance.h"
#include "control/errf.h"
#include "control/ctlclient.h"
#include "control/ctlmsg.h"
#include "control/netidx.h"

_Static_assert(L2X_CONFIG_MSS_AUTO == L2X_CTL_MSS_AUTO, "mss auto");
_Static_assert(L2X_CONFIG_MSS_OFF == L2X_CTL_MSS_OFF, "mss off");
_Static_assert((int)L2X_CONFIG_GW_LOCAL == (int)L2X_CTL_GW_LOCAL, "gw");
_Static_assert((int)L2X_CONFIG_GW_REMOTE == (int)L2X_CTL_GW_REMOTE, "gw");
_Static_assert(L2X_CONFIG_NAME_LEN == L2X_CTL_NAME_LEN, "names");

#define fail l2x_errf /* errf.h */

/* ---- SHOW networks --------------------------------------------------------*/

static const char *row_str(json_t *row, const char *key)
{
	return json_string_value(json_object_get(row, key));
}

/* One row: {"network", "vlan", "tunnel_id", "mss_clamp": "off"|"N",
 * "gateway": "-"|"A/L", "gw_side": "-"|"local"|"remote", ...}
 * (dataplane/ctl_show.c). Returns NULL or what is wrong. */
static const char *row_net(json_t *row, struct l2x_appl_net *n)
{
	const char *name = row_str(row, "network");
	const char *mss = row_str(row, "mss_clamp");
	const char *gw = row_str(row, "gateway");
	const char *side = row_str(row, "gw_side");
	json_t *vlan = json_object_get(row, "vlan");
	json_t *tid = json_object_get(row, "tunnel_id");

	memset(n, 0, sizeof(*n));
	if (name == NULL || strlen(name) >= sizeof(n->name))
		return "network";
	snprintf(n->name, sizeof(n->name), "%s", name);
	if (!json_is_integer(vlan) || json_integer_value(vlan) < 0 ||
	    json_integer_value(vlan) > 4094)
		return "vlan";
	n->vlan = (uint16_t)json_integer_value(vlan);
	if (!json_is_integer(tid) || json_integer_value(tid) < 0 ||
	    json_integer_value(tid) > UINT32_MAX)
		return "tunnel_id";
	n->tunnel_id = (uint32_t)json_integer_value(tid);
	if (mss == NULL)
		return "mss_clamp";
	if (strcmp(mss, "off") == 0) {
		n->mss_clamp = L2X_CONFIG_MSS_OFF;
	} else {
		char *end;
		unsigned long v = strtoul(mss, &end, 10);

		if (*mss < '0' || *mss > '9' || *end != '\0' || v > 65535)
			return "mss_clamp";
		n->mss_clamp = (uint16_t)v;
	}
	if (gw == NULL || side == NULL)
		return "gateway";
	if (strcmp(gw, "-") != 0) {
		char a[INET_ADDRSTRLEN + 8], *slash, *end;
		struct in_addr in;
		unsigned long len;

		snprintf(a, sizeof(a), "%s", gw);
		slash = strchr(a, '/');
		if (slash == NULL)
			return "gateway";
		*slash = '\0';
		len = strtoul(slash + 1, &end, 10);
		if (inet_pton(AF_INET, a, &in) != 1 || *end != '\0' ||
		    len < 1 || len > 32)
			return "gateway";
		n->gateway.addr = ntohl(in.s_addr);
		n->gateway.len = (uint8_t)len;
	}
	if (strcmp(side, "local") == 0)
		n->gateway_side = L2X_CONFIG_GW_LOCAL;
	else if (strcmp(side, "remote") == 0)
		n->gateway_side = L2X_CONFIG_GW_REMOTE;
	else if (strcmp(side, "-") != 0)
		return "gw_side";
	return NULL;
}

int l2x_appl_shown_parse(const char *json, size_t len,
			 struct l2x_appl_net *rows, uint32_t *n, char *err,
			 size_t errlen)
{
	json_error_t je;
	json_t *root, *arr, *row;
	const char *what;
	size_t i;
	int rc = 0;

	*n = 0;
	root = json_loadb(json, len, 0, &je);
	if (root == NULL)
		return fail(-EPROTO, err, errlen, "SHOW networks: not JSON: %s",
			    je.text);
	what = row_str(root, "what");
	arr = json_object_get(root, "rows");
	if (what == NULL || strcmp(what, "networks") != 0 ||
	    !json_is_array(arr)) {
		json_decref(root);
		return fail(-EPROTO, err, errlen,
			    "SHOW networks: not a networks table");
	}
	if (json_array_size(arr) > L2X_CONFIG_NETWORKS_MAX) {
		json_decref(root);
		return fail(-EPROTO, err, errlen,
			    "SHOW networks: %zu rows, at most %u expected",
			    json_array_size(arr), L2X_CONFIG_NETWORKS_MAX);
	}
	json_array_foreach(arr, i, row)
	{
		const char *bad =
		    json_is_object(row) ? row_net(row, &rows[i]) : "row";

		if (bad != NULL) {
			rc = fail(-EPROTO, err, errlen,
				  "SHOW networks: row %zu: bad %s", i, bad);
			break;
		}
		*n = (uint32_t)i + 1;
	}
	json_decref(root);
	return rc;
}

/*
 * What "mss_clamp: auto" stands for on this tunnel, from SHOW mtu: the
 * largest frame that crosses unfragmented less the carried frame's
 * Ethernet, IPv4 and TCP headers (14 + 20 + 20), as dataplane/mtu.c
 * derives the IPv4 clamp from the same max_frame (RFC 9293 section
 * 3.7.1: the MSS counts neither IP nor TCP header). 0 when the table has
 * no row (no network) or does not parse.
 */
uint16_t l2x_appl_shown_auto_mss(const char *json, size_t len)
{
	json_t *root = json_loadb(json, len, 0, NULL);
	json_t *row = json_array_get(json_object_get(root, "rows"), 0);
	json_t *mf = json_object_get(row, "max_frame");
	json_int_t v = json_is_integer(mf) ? json_integer_value(mf) : 0;

	json_decref(root);
	return v > 54 && v <= 65535 + 54 ? (uint16_t)(v - 54) : 0;
}

/* ---- the plan -------------------------------------------------------------*/

/* Does the held network h carry what w wants? */
static bool same(const struct l2x_appl_net *h, const struct l2x_appl_net *w,
		 const struct l2x_appl_plan_prm *prm)
{
	if (prm->trunk && h->vlan != w->vlan)
		return false;
	if (h->tunnel_id != w->tunnel_id || h->gateway.len != w->gateway.len ||
	    (w->gateway.len != 0 && h->gateway.addr != w->gateway.addr) ||
	    h->gateway_side != w->gateway_side)
		return false;
	switch (w->mss_clamp) {
	case L2X_CONFIG_MSS_OFF:
		return h->mss_clamp == L2X_CONFIG_MSS_OFF;
	case L2X_CONFIG_MSS_AUTO:
		/* SHOW gives the clamp auto stands for; unknown: any */
		return prm->auto_mss != 0 ? h->mss_clamp == prm->auto_mss
					  : h->mss_clamp != L2X_CONFIG_MSS_OFF;
	default:
		return h->mss_clamp == w->mss_clamp;
	}
}

int l2x_appl_plan(const struct l2x_appl_net *have, uint32_t n_have,
		  const struct l2x_appl_net *want, uint32_t n_want,
		  const struct l2x_appl_plan_prm *prm,
		  struct l2x_appl_plan *out)
{
	bool held[L2X_CONFIG_NETWORKS_MAX] = {false}; /* want[i] in place */
	struct l2x_netidx *x = NULL;

	out->n_del = out->n_add = 0;
	if (n_have > L2X_CONFIG_NETWORKS_MAX)
		n_have = L2X_CONFIG_NETWORKS_MAX;
	if (n_want > L2X_CONFIG_NETWORKS_MAX)
		n_want = L2X_CONFIG_NETWORKS_MAX;
	/* the wanted ones by name: one probe per held network, not a pass
	 * over 4094 of them every 500 ms */
	if (n_want > 0 && l2x_netidx_create(n_want, &x) != 0)
		return -ENOMEM;
	for (uint32_t w = 0; w < n_want; w++)
		(void)l2x_netidx_add(x, w, want[w].name, 0, 0, NULL);
	for (uint32_t h = 0; h < n_have; h++) {
		uint32_t w =
		    x ? l2x_netidx_find_name(x, have[h].name) : L2X_NETIDX_NONE;

		if (w != L2X_NETIDX_NONE && !held[w] &&
		    same(&have[h], &want[w], prm)) {
			held[w] = true;
			continue;
		}
		snprintf(out->del[out->n_del], sizeof(out->del[0]), "%s",
			 have[h].name);
		out->n_del++;
	}
	for (uint32_t w = 0; w < n_want; w++)
		if (!held[w])
			out->add[out->n_add++] = w;
	l2x_netidx_destroy(x);
	return 0;
}

/* ---- over the control socket ----------------------------------------------*/

int l2x_appl_show(struct l2x_ctlclient *c, unsigned what, char **text,
		  char *err, size_t errlen)
{
	struct l2x_ctlmsg m = {.type = L2X_CTL_MSG_SHOW};
	struct l2x_ctl_reply rep;
	int rc;

	*text = NULL;
	m.u.show.what = (enum l2x_ctl_show)what;
	rc = l2x_ctlclient_request(c, &m, &rep);
	if (rc > 0)
		rc = fail(-rc, err, errlen, "SHOW %s: %s",
			  l2x_ctlmsg_show_str(m.u.show.what), rep.error.text);
	else if (rc < 0)
		rc = fail(rc, err, errlen, "SHOW %s: %s",
			  l2x_ctlmsg_show_str(m.u.show.what),
			  l2x_ctlclient_why(c));
	else if (rep.text == NULL)
		rc = fail(-EPROTO, err, errlen, "SHOW %s: no text",
			  l2x_ctlmsg_show_str(m.u.show.what));
	if (rc == 0) {
		*text = rep.text;
		rep.text = NULL;
	}
	l2x_ctl_reply_fini(&rep);
	return rc;
}

/* One NET_DEL or NET_ADD: 0, > 0 refused (err set), < 0 broken. */
static int ask(struct l2x_ctlclient *c, const struct l2x_ctlmsg *m,
	       const char *name, char *err, size_t errlen)
{
	struct l2x_ctl_reply rep;
	const char *verb = m->type == L2X_CTL_MSG_NET_ADD ? "add" : "delete";
	int rc = l2x_ctlclient_request(c, m, &rep);

	if (rc > 0)
		fail(rc, err, errlen,
		     "network %s: the dataplane refused to %s "
		     "it: %s",
		     name, verb, rep.error.text);
	else if (rc < 0)
		fail(rc, err, errlen, "network %s: %s: %s", name, verb,
		     l2x_ctlclient_why(c));
	l2x_ctl_reply_fini(&rep);
	return rc;
}

static void net_add_msg(const struct l2x_appl_net *n, struct l2x_ctlmsg *m)
{
	struct l2x_ctl_net_add *a = &m->u.net_add;

	memset(m, 0, sizeof(*m));
	m->type = L2X_CTL_MSG_NET_ADD;
	snprintf(a->name, sizeof(a->name), "%s", n->name);
	a->vlan = n->vlan;
	a->tunnel_id = n->tunnel_id;
	a->mss_clamp = n->mss_clamp; /* same encoding (asserted above) */
	a->gw_addr = n->gateway.len ? n->gateway.addr : 0;
	a->gw_prefix = n->gateway.len;
	a->gw_side = (enum l2x_ctl_gw_side)n->gateway_side;
	a->mac_limit = 0; /* bridge.mac_limit, as the rendered file has */
}

/* One step of the plan. Counts a change, or keeps the first failure in
 * *first and err. Returns < 0 when the connection broke (the pass ends),
 * else 0. */
static int step(struct l2x_ctlclient *c, const struct l2x_ctlmsg *m,
		const char *name, int *first, uint32_t *changes, char *err,
		size_t errlen)
{
	char why[L2X_APPL_ERR_LEN];
	int rc = ask(c, m, name, why, sizeof(why));

	if (rc == 0) {
		(*changes)++;
		return 0;
	}
	if (*first == 0) {
		*first = rc > 0 ? -rc : rc;
		fail(0, err, errlen, "%s", why);
	}
	return rc < 0 ? rc : 0;
}

int l2x_appl_networks_sync(struct l2x_ctlclient *c,
			   const struct l2x_appl_net *want, uint32_t n_want,
			   bool trunk, uint32_t *changes, char *err,
			   size_t errlen)
{
	struct l2x_appl_plan_prm prm = {.trunk = trunk};
	struct l2x_appl_net *have = NULL;
	struct l2x_appl_plan *plan = NULL;
	struct l2x_ctlmsg m;
	char *text = NULL;
	uint32_t n_have = 0;
	int rc, first = 0;

	*changes = 0;
	rc = l2x_appl_show(c, L2X_CTL_SHOW_NETWORKS, &text, err, errlen);
	if (rc != 0)
		return rc;
	have = calloc(L2X_CONFIG_NETWORKS_MAX, sizeof(*have));
	plan = malloc(sizeof(*plan));
	if (have == NULL || plan == NULL) {
		rc = fail(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	rc = l2x_appl_shown_parse(text, strlen(text), have, &n_have, err,
				  errlen);
	if (rc == 0 && n_have > 0) {
		free(text);
		rc = l2x_appl_show(c, L2X_CTL_SHOW_MTU, &text, err, errlen);
		if (rc == 0)
			prm.auto_mss =
			    l2x_appl_shown_auto_mss(text, strlen(text));
	}
	if (rc != 0)
		goto out;
	if (l2x_appl_plan(have, n_have, want, n_want, &prm, plan) != 0) {
		rc = fail(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	/* Every step is tried; the first failure is the answer. */
	for (uint32_t i = 0; i < plan->n_del && rc == 0; i++) {
		memset(&m, 0, sizeof(m));
		m.type = L2X_CTL_MSG_NET_DEL;
		snprintf(m.u.net_del.name, sizeof(m.u.net_del.name), "%s",
			 plan->del[i]);
		rc = step(c, &m, plan->del[i], &first, changes, err, errlen);
	}
	for (uint32_t i = 0; i < plan->n_add && rc == 0; i++) {
		const struct l2x_appl_net *n = &want[plan->add[i]];

		net_add_msg(n, &m);
		rc = step(c, &m, n->name, &first, changes, err, errlen);
	}
	rc = first;
out:
	free(text);
	free(have);
	free(plan);
	return rc;
}
