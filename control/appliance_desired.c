/* SPDX-License-Identifier: MIT */
/*
 * appliance_desired.c - the desired-state JSON of one appliance (the
 * agent brief's "Desired state") into struct l2x_appl_desired, with a
 * sentence naming the field at fault (appliance.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "control/apireq.h"
#include "control/appliance.h"
#include "control/errf.h"

/* ---- errors ---------------------------------------------------------------*/

#define fail l2x_errf /* errf.h */

#define BAD(...) fail(-EINVAL, err, errlen, __VA_ARGS__)

/* ---- JSON fields ----------------------------------------------------------*/

/* "peer" + "psk" -> "peer.psk"; "networks[1]" + "vlan" -> ... */
static void field(char *out, size_t len, const char *path, const char *key)
{
	snprintf(out, len, "%s%s%s", path, path[0] ? "." : "", key);
}

/* Every key of obj must be in allowed (NULL-terminated). */
static int known_keys(json_t *obj, const char *path, const char *const *allowed,
		      char *err, size_t errlen)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
	{
		size_t i;

		(void)v;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return BAD("%s%sunknown field '%.64s'", path,
				   path[0] ? ": " : "", k);
	}
	return 0;
}

/* A member, NULL when absent or null. */
static json_t *member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

/* Characters a quoted YAML scalar can carry here: printable ASCII. */
static bool printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* A string member of 1..max-1 printable characters into out ("" when
 * absent and not required). */
static int get_str(json_t *obj, const char *path, const char *key, bool req,
		   char *out, size_t max, char *err, size_t errlen)
{
	json_t *v = member(obj, key);
	char f[96];
	size_t n;

	field(f, sizeof(f), path, key);
	out[0] = '\0';
	if (v == NULL)
		return req ? BAD("%s: missing (required)", f) : 0;
	if (!json_is_string(v))
		return BAD("%s: expected a string", f);
	n = json_string_length(v);
	if (n == 0 || n >= max)
		return BAD("%s: has %zu characters, expected 1..%zu", f, n,
			   max - 1);
	if (!printable(json_string_value(v), n))
		return BAD("%s: has a character outside printable ASCII", f);
	memcpy(out, json_string_value(v), n + 1);
	return 0;
}

static int get_int(json_t *obj, const char *path, const char *key, bool req,
		   uint64_t lo, uint64_t hi, uint64_t *out, char *err,
		   size_t errlen)
{
	json_t *v = member(obj, key);
	char f[96];
	json_int_t x;

	field(f, sizeof(f), path, key);
	if (v == NULL)
		return req ? BAD("%s: missing (required)", f) : 0;
	if (!json_is_integer(v))
		return BAD("%s: expected an integer", f);
	x = json_integer_value(v);
	if (x < 0 || (uint64_t)x < lo || (uint64_t)x > hi)
		return BAD("%s: %lld is outside %llu..%llu", f, (long long)x,
			   (unsigned long long)lo, (unsigned long long)hi);
	*out = (uint64_t)x;
	return 0;
}

/* IPv4 dotted quad (inet_pton: no leading zeros) into host order. */
static int get_addr(json_t *obj, const char *path, const char *key, bool req,
		    uint32_t *out, char *err, size_t errlen)
{
	char s[INET_ADDRSTRLEN + 8], f[96];
	struct in_addr in;
	int rc;

	rc = get_str(obj, path, key, req, s, sizeof(s), err, errlen);
	if (rc != 0 || s[0] == '\0')
		return rc;
	field(f, sizeof(f), path, key);
	if (inet_pton(AF_INET, s, &in) != 1)
		return BAD("%s: '%s' is not an IPv4 address", f, s);
	*out = ntohl(in.s_addr);
	return 0;
}

/* ADDR/LEN, LEN 1..32. */
static int get_prefix(json_t *obj, const char *path, const char *key, bool req,
		      struct l2x_config_prefix *out, char *err, size_t errlen)
{
	char s[INET_ADDRSTRLEN + 8], f[96], *slash, *end;
	struct in_addr in;
	unsigned long len;
	int rc;

	rc = get_str(obj, path, key, req, s, sizeof(s), err, errlen);
	if (rc != 0 || s[0] == '\0')
		return rc;
	field(f, sizeof(f), path, key);
	slash = strchr(s, '/');
	if (slash == NULL)
		return BAD("%s: '%s' is not ADDR/LEN", f, s);
	*slash = '\0';
	if (inet_pton(AF_INET, s, &in) != 1)
		return BAD("%s: '%s' is not an IPv4 address", f, s);
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (slash[1] < '1' || slash[1] > '9' || *end != '\0' || len > 32)
		return BAD("%s: prefix length '%s' is not 1..32", f, slash + 1);
	out->addr = ntohl(in.s_addr);
	out->len = (uint8_t)len;
	return 0;
}

/* One of words (index = value), or absent (dflt). */
static int get_word(json_t *obj, const char *path, const char *key, bool req,
		    const char *const *words, unsigned n, int dflt, int *out,
		    char *err, size_t errlen)
{
	char s[32], f[96];
	int rc;

	rc = get_str(obj, path, key, req, s, sizeof(s), err, errlen);
	if (rc != 0)
		return rc;
	*out = dflt;
	if (s[0] == '\0')
		return 0;
	for (unsigned i = 0; i < n; i++) {
		if (words[i] != NULL && strcmp(s, words[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	field(f, sizeof(f), path, key);
	return BAD("%s: '%s' is not one of the allowed words", f, s);
}

/* ---- desired-state sections ----------------------------------------------*/

static int parse_uplink(json_t *o, struct l2x_appl_desired *d, char *err,
			size_t errlen)
{
	static const char *const keys[] = {"address", "gateway", "mtu", NULL};
	uint64_t mtu = 1500;
	int rc;

	if (!json_is_object(o))
		return BAD("uplink: expected an object");
	rc = known_keys(o, "uplink", keys, err, errlen);
	if (rc == 0)
		rc = get_prefix(o, "uplink", "address", true,
				&d->uplink.address, err, errlen);
	if (rc == 0)
		rc = get_addr(o, "uplink", "gateway", false, &d->uplink.gateway,
			      err, errlen);
	if (rc == 0)
		rc = get_int(o, "uplink", "mtu", false, 576, 9216, &mtu, err,
			     errlen);
	d->uplink.mtu = (uint16_t)mtu;
	return rc;
}

static int parse_peer(json_t *o, struct l2x_appl_desired *d, char *err,
		      size_t errlen)
{
	static const char *const keys[] = {"address", "localId", "remoteId",
					   "role",    "psk",	 NULL};
	static const char *const roles[] = {
	    [L2X_CONFIG_ROLE_INITIATOR] = "initiator",
	    [L2X_CONFIG_ROLE_RESPONDER] = "responder"};
	size_t n;
	int role = 0, rc;

	if (!json_is_object(o))
		return BAD("peer: expected an object");
	rc = known_keys(o, "peer", keys, err, errlen);
	if (rc == 0)
		rc = get_addr(o, "peer", "address", true, &d->peer.address, err,
			      errlen);
	if (rc == 0)
		rc = get_str(o, "peer", "localId", false, d->peer.local_id,
			     sizeof(d->peer.local_id), err, errlen);
	if (rc == 0)
		rc = get_str(o, "peer", "remoteId", false, d->peer.remote_id,
			     sizeof(d->peer.remote_id), err, errlen);
	if (rc == 0)
		rc = get_word(o, "peer", "role", true, roles, 2, 0, &role, err,
			      errlen);
	d->peer.role = (enum l2x_config_role)role;
	if (rc == 0)
		rc = get_str(o, "peer", "psk", true, d->peer.psk,
			     sizeof(d->peer.psk), err, errlen);
	if (rc != 0)
		return rc;
	/* l2x-ike trims white space and wants 16 bytes at least (RFC 7296
	 * section 2.15; ike_creds.h): refuse here what it would refuse
	 * later, without quoting the secret. */
	n = strlen(d->peer.psk);
	if (n < 16)
		return BAD("peer.psk: shorter than 16 characters");
	if (d->peer.psk[0] == ' ' || d->peer.psk[n - 1] == ' ')
		return BAD("peer.psk: begins or ends with a space");
	return 0;
}

static int parse_tunnel(json_t *o, struct l2x_appl_desired *d, char *err,
			size_t errlen)
{
	static const char *const keys[] = {"encap", "innerLocal", "innerRemote",
					   NULL};
	static const char *const encaps[] = {
	    [L2X_CONFIG_ENCAP_GRE] = "gre", [L2X_CONFIG_ENCAP_VXLAN] = "vxlan"};
	int encap = 0, rc;

	if (!json_is_object(o))
		return BAD("tunnel: expected an object");
	rc = known_keys(o, "tunnel", keys, err, errlen);
	if (rc == 0)
		rc = get_word(o, "tunnel", "encap", false, encaps, 2,
			      L2X_CONFIG_ENCAP_GRE, &encap, err, errlen);
	d->tunnel.encap = (enum l2x_config_encap)encap;
	if (rc == 0)
		rc = get_addr(o, "tunnel", "innerLocal", true,
			      &d->tunnel.inner_local, err, errlen);
	if (rc == 0)
		rc = get_addr(o, "tunnel", "innerRemote", true,
			      &d->tunnel.inner_remote, err, errlen);
	return rc;
}

/* mssClamp: "auto" | "off" | 536..9176 (default auto). */
static int get_mss(json_t *o, const char *path, uint16_t *out, char *err,
		   size_t errlen)
{
	static const char *const words[] = {
	    [L2X_CONFIG_MSS_AUTO] = "auto", [L2X_CONFIG_MSS_OFF] = "off"};
	json_t *v = member(o, "mssClamp");
	uint64_t n = 0;
	int w = L2X_CONFIG_MSS_AUTO, rc;

	if (v != NULL && json_is_integer(v)) {
		rc = get_int(o, path, "mssClamp", false, L2X_CONFIG_MSS_MIN,
			     L2X_CONFIG_MSS_MAX, &n, err, errlen);
		*out = (uint16_t)n;
		return rc;
	}
	if (v != NULL && !json_is_string(v))
		return BAD("%s.mssClamp: expected \"auto\", \"off\" or "
			   "536..9176",
			   path);
	rc = get_word(o, path, "mssClamp", false, words, 2, L2X_CONFIG_MSS_AUTO,
		      &w, err, errlen);
	*out = (uint16_t)w;
	return rc;
}

static int parse_net(json_t *o, const char *path, struct l2x_appl_net *n,
		     char *err, size_t errlen)
{
	static const char *const keys[] = {"name",    "vlan",	     "tunnelId",
					   "gateway", "gatewaySide", "mssClamp",
					   NULL};
	static const char *const sides[] = {
	    [L2X_CONFIG_GW_LOCAL] = "local", [L2X_CONFIG_GW_REMOTE] = "remote"};
	uint64_t vlan = 0, tid = 0;
	int side = L2X_CONFIG_GW_NONE, rc;

	if (!json_is_object(o))
		return BAD("%s: expected an object", path);
	rc = known_keys(o, path, keys, err, errlen);
	if (rc == 0)
		rc = get_str(o, path, "name", true, n->name, sizeof(n->name),
			     err, errlen);
	if (rc == 0)
		rc =
		    get_int(o, path, "vlan", true, 1, 4094, &vlan, err, errlen);
	if (rc == 0)
		rc = get_int(o, path, "tunnelId", true, 1, UINT32_MAX, &tid,
			     err, errlen);
	if (rc == 0)
		rc = get_prefix(o, path, "gateway", false, &n->gateway, err,
				errlen);
	if (rc == 0)
		rc = get_word(o, path, "gatewaySide", false, sides, 3,
			      L2X_CONFIG_GW_NONE, &side, err, errlen);
	if (rc == 0)
		rc = get_mss(o, path, &n->mss_clamp, err, errlen);
	n->vlan = (uint16_t)vlan;
	n->tunnel_id = (uint32_t)tid;
	n->gateway_side = (enum l2x_config_gw_side)side;
	return rc;
}

static int parse_networks(json_t *a, struct l2x_appl_desired *d, char *err,
			  size_t errlen)
{
	size_t i;
	json_t *v;

	if (a == NULL)
		return 0;
	if (!json_is_array(a))
		return BAD("networks: expected an array");
	if (json_array_size(a) > L2X_CONFIG_NETWORKS_MAX)
		return BAD("networks: has %zu entries, expected 0..%u",
			   json_array_size(a), L2X_CONFIG_NETWORKS_MAX);
	json_array_foreach(a, i, v)
	{
		char path[32];
		int rc;

		snprintf(path, sizeof(path), "networks[%zu]", i);
		rc = parse_net(v, path, &d->networks[i], err, errlen);
		if (rc != 0)
			return rc;
		d->n_networks = (uint32_t)i + 1;
	}
	return 0;
}

static int parse_root(json_t *root, struct l2x_appl_desired *d, char *err,
		      size_t errlen)
{
	static const char *const keys[] = {"generation", "pollMs", "uplink",
					   "peer",	 "tunnel", "networks",
					   NULL};
	json_t *up, *peer, *tun;
	uint64_t poll = 0;
	int rc;

	if (!json_is_object(root))
		return BAD("the desired state is not a JSON object");
	rc = known_keys(root, "", keys, err, errlen);
	if (rc == 0)
		rc = get_int(root, "", "generation", false, 0, INT64_MAX,
			     &d->generation, err, errlen);
	if (rc == 0)
		rc = get_int(root, "", "pollMs", false, L2X_APIREQ_POLL_MS_MIN,
			     L2X_APIREQ_POLL_MS_MAX, &poll, err, errlen);
	if (rc != 0)
		return rc;
	d->poll_ms = (uint32_t)poll;
	up = member(root, "uplink");
	peer = member(root, "peer");
	tun = member(root, "tunnel");
	if ((up == NULL) != (peer == NULL) || (up == NULL) != (tun == NULL))
		return BAD("uplink, peer and tunnel: give all three (in a mesh "
			   "pair) or none");
	d->mesh = up != NULL;
	if (d->mesh) {
		rc = parse_uplink(up, d, err, errlen);
		if (rc == 0)
			rc = parse_peer(peer, d, err, errlen);
		if (rc == 0)
			rc = parse_tunnel(tun, d, err, errlen);
	}
	if (rc == 0)
		rc = parse_networks(member(root, "networks"), d, err, errlen);
	return rc;
}

int l2x_appl_desired_parse(const char *json, size_t len,
			   struct l2x_appl_desired *out, char *err,
			   size_t errlen)
{
	json_error_t je;
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (json == NULL)
		return BAD("no desired state");
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return BAD("the desired state is not JSON: line %d: %s",
			   je.line, je.text);
	rc = parse_root(root, out, err, errlen);
	json_decref(root);
	if (rc != 0)
		l2x_appl_desired_fini(out);
	return rc;
}

void l2x_appl_desired_fini(struct l2x_appl_desired *d)
{
	if (d != NULL)
		sodium_memzero(d, sizeof(*d));
}
