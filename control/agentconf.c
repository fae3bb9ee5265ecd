/* SPDX-License-Identifier: MIT */
/*
 * agentconf.c - l2x-agent's configuration file (agentconf.h): libyaml's
 * document API, then one field table per mapping, as config.c does for
 * the appliance file, smaller.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "control/agentconf.h"

struct ld {
	const char *file;
	yaml_document_t doc;
	char *err;
	size_t errlen;
};

static int fail(struct ld *l, const yaml_node_t *n, const char *field,
		const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s:%lu: %s: %s", l->file,
		 n != NULL ? (unsigned long)n->start_mark.line + 1 : 0ul, field,
		 msg);
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
					   : NULL;
}

static bool is_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= L2X_AGENT_NAME_LEN)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_.-") == n;
}

static int get_str(struct ld *l, const yaml_node_t *n, const char *field,
		   char *dst, size_t cap)
{
	const char *s = scalar(n);

	if (s == NULL)
		return fail(l, n, field, "must be a scalar");
	if (strlen(s) == 0 || strlen(s) >= cap)
		return fail(l, n, field, "'%s' must be 1..%zu characters", s,
			    cap - 1);
	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p > '~')
			return fail(l, n, field,
				    "'%s' has a space or a non-printable "
				    "character",
				    s);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int get_name(struct ld *l, const yaml_node_t *n, const char *field,
		    char *dst)
{
	int rc = get_str(l, n, field, dst, L2X_AGENT_NAME_LEN);

	if (rc == 0 && !is_name(dst))
		return fail(l, n, field,
			    "'%s' must be 1..31 characters of [A-Za-z0-9_.-]",
			    dst);
	return rc;
}

static int get_path(struct ld *l, const yaml_node_t *n, const char *field,
		    char *dst)
{
	int rc = get_str(l, n, field, dst, L2X_AGENT_PATH_LEN);

	if (rc == 0 && dst[0] != '/')
		return fail(l, n, field, "'%s' must be an absolute path", dst);
	return rc;
}

static int get_uint(struct ld *l, const yaml_node_t *n, const char *field,
		    unsigned lo, unsigned hi, unsigned *dst)
{
	const char *s = scalar(n);
	char *end;
	unsigned long v;

	if (s == NULL)
		return fail(l, n, field, "must be a scalar");
	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0'))
		return fail(l, n, field, "'%s' is not a decimal integer", s);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return fail(l, n, field, "'%s' is not a decimal integer", s);
	if (v < lo || v > hi)
		return fail(l, n, field, "%s is outside %u..%u", s, lo, hi);
	*dst = (unsigned)v;
	return 0;
}

static int get_bool(struct ld *l, const yaml_node_t *n, const char *field,
		    bool *dst)
{
	const char *s = scalar(n);

	if (s != NULL && strcmp(s, "true") == 0)
		*dst = true;
	else if (s != NULL && strcmp(s, "false") == 0)
		*dst = false;
	else
		return fail(l, n, field, "must be true or false");
	return 0;
}

/* https://HOST:PORT with an optional trailing slash (dropped). */
static int get_url(struct ld *l, const yaml_node_t *n, const char *field,
		   char *dst)
{
	int rc = get_str(l, n, field, dst, L2X_AGENT_URL_LEN);
	const char *colon;

	if (rc != 0)
		return rc;
	if (strncmp(dst, "https://", 8) != 0)
		return fail(l, n, field, "'%s' must start with https://", dst);
	if (dst[strlen(dst) - 1] == '/')
		dst[strlen(dst) - 1] = '\0';
	colon = strrchr(dst + 8, ':');
	if (colon == NULL || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    atoi(colon + 1) < 1 || atoi(colon + 1) > 65535)
		return fail(l, n, field, "'%s' must be https://HOST:PORT", dst);
	return 0;
}

static int get_listen(struct ld *l, const yaml_node_t *n,
		      struct l2x_agentconf *c)
{
	char s[96], *port;
	unsigned char buf[16];
	unsigned p;

	if (get_str(l, n, "listen", s, sizeof(s)) != 0)
		return -EINVAL;
	port = strrchr(s, ':');
	if (port == NULL)
		return fail(l, n, "listen", "'%s' must be ADDR:PORT", s);
	*port++ = '\0';
	if (s[0] == '[' && s[strlen(s) - 1] == ']') {
		s[strlen(s) - 1] = '\0';
		memmove(s, s + 1, strlen(s));
		if (inet_pton(AF_INET6, s, buf) != 1)
			return fail(l, n, "listen", "'%s' is not IPv6", s);
	} else if (inet_pton(AF_INET, s, buf) != 1) {
		return fail(l, n, "listen", "'%s' is not an IPv4 address", s);
	}
	if (strspn(port, "0123456789") != strlen(port) || port[0] == '\0' ||
	    (p = (unsigned)atoi(port)) < 1 || p > 65535)
		return fail(l, n, "listen", "port '%s' is outside 1..65535",
			    port);
	snprintf(c->listen_addr, sizeof(c->listen_addr), "%s", s);
	c->listen_port = (uint16_t)p;
	return 0;
}

/* Walk a mapping: each key must be in keys[] (NULL-terminated), once. */
typedef int (*field_fn)(struct ld *l, const char *key, yaml_node_t *v,
			struct l2x_agentconf *c);

static int walk(struct ld *l, yaml_node_t *map, const char *where,
		const char *const keys[], field_fn fn, struct l2x_agentconf *c)
{
	char seen[32] = {0};

	if (map->type != YAML_MAPPING_NODE)
		return fail(l, map, where, "must be a mapping");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&l->doc, p->value);
		const char *ks = k != NULL ? scalar(k) : NULL;
		size_t i;
		int rc;

		if (ks == NULL || v == NULL)
			return fail(l, k, where, "keys must be scalars");
		for (i = 0; keys[i] != NULL && strcmp(keys[i], ks) != 0; i++)
			;
		if (keys[i] == NULL) {
			char allowed[256] = "";

			for (size_t j = 0; keys[j] != NULL; j++)
				snprintf(allowed + strlen(allowed),
					 sizeof(allowed) - strlen(allowed),
					 "%s%s", j ? ", " : "", keys[j]);
			return fail(l, k, where,
				    "unknown key '%s' (allowed: %s)", ks,
				    allowed);
		}
		if (seen[i]++)
			return fail(l, k, where, "key '%s' given twice", ks);
		rc = fn(l, ks, v, c);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int f_lan(struct ld *l, const char *k, yaml_node_t *v,
		 struct l2x_agentconf *c)
{
	const char *s;

	if (strcmp(k, "device") == 0)
		return get_str(l, v, "dataplane.lan.device", c->dp.lan_device,
			       sizeof(c->dp.lan_device));
	s = scalar(v);
	if (s != NULL && strcmp(s, "trunk") == 0)
		c->dp.lan_access = false;
	else if (s != NULL && strcmp(s, "access") == 0)
		c->dp.lan_access = true;
	else
		return fail(l, v, "dataplane.lan.mode",
			    "must be trunk or access");
	return 0;
}

static int f_uplink(struct ld *l, const char *k, yaml_node_t *v,
		    struct l2x_agentconf *c)
{
	(void)k;
	return get_str(l, v, "dataplane.uplink.device", c->dp.uplink_device,
		       sizeof(c->dp.uplink_device));
}

static int f_lcores(struct ld *l, const char *k, yaml_node_t *v,
		    struct l2x_agentconf *c)
{
	if (strcmp(k, "main") == 0)
		return get_uint(l, v, "dataplane.lcores.main", 0, 127,
				&c->dp.lcore_main);
	if (v->type != YAML_SEQUENCE_NODE)
		return fail(l, v, "dataplane.lcores.workers",
			    "must be a list of lcore ids");
	c->dp.n_workers = 0;
	for (yaml_node_item_t *i = v->data.sequence.items.start;
	     i < v->data.sequence.items.top; i++) {
		yaml_node_t *e = yaml_document_get_node(&l->doc, *i);

		if (c->dp.n_workers == L2X_AGENT_WORKERS_MAX)
			return fail(l, e, "dataplane.lcores.workers",
				    "at most %d workers",
				    L2X_AGENT_WORKERS_MAX);
		if (get_uint(l, e, "dataplane.lcores.workers", 0, 127,
			     &c->dp.workers[c->dp.n_workers]) != 0)
			return -EINVAL;
		c->dp.n_workers++;
	}
	if (c->dp.n_workers == 0)
		return fail(l, v, "dataplane.lcores.workers",
			    "needs at least one worker");
	return 0;
}

static int f_dataplane(struct ld *l, const char *k, yaml_node_t *v,
		       struct l2x_agentconf *c)
{
	static const char *const lan_keys[] = {"device", "mode", NULL};
	static const char *const up_keys[] = {"device", NULL};
	static const char *const lc_keys[] = {"main", "workers", NULL};

	if (strcmp(k, "binary") == 0)
		return get_path(l, v, "dataplane.binary", c->dp.binary);
	if (strcmp(k, "ike_binary") == 0)
		return get_path(l, v, "dataplane.ike_binary", c->dp.ike_binary);
	if (strcmp(k, "lan") == 0)
		return walk(l, v, "dataplane.lan", lan_keys, f_lan, c);
	if (strcmp(k, "uplink") == 0)
		return walk(l, v, "dataplane.uplink", up_keys, f_uplink, c);
	if (strcmp(k, "lcores") == 0)
		return walk(l, v, "dataplane.lcores", lc_keys, f_lcores, c);
	if (strcmp(k, "memory_mb") == 0)
		return get_uint(l, v, "dataplane.memory_mb", 64, 65536,
				&c->dp.memory_mb);
	if (strcmp(k, "no_huge") == 0)
		return get_bool(l, v, "dataplane.no_huge", &c->dp.no_huge);
	if (strcmp(k, "control_socket") == 0) {
		if (get_path(l, v, "dataplane.control_socket",
			     c->dp.control_socket) != 0)
			return -EINVAL;
		if (strlen(c->dp.control_socket) > 107)
			return fail(l, v, "dataplane.control_socket",
				    "at most 107 characters (a socket path)");
		return 0;
	}
	return get_path(l, v, "dataplane.strongswan_conf",
			c->dp.strongswan_conf);
}

/* One URL or a list of 1..L2X_AGENT_MANAGERS_MAX into c->managers. */
static int get_urls(struct ld *l, yaml_node_t *v, const char *field,
		    struct l2x_agentconf *c)
{
	c->n_managers = 0;
	if (v->type == YAML_SCALAR_NODE) {
		c->n_managers = 1;
		return get_url(l, v, field, c->managers[0]);
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return fail(l, v, field, "must be a URL or a list of URLs");
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(&l->doc, *it);

		if (c->n_managers == L2X_AGENT_MANAGERS_MAX)
			return fail(l, e, field, "at most %d managers",
				    L2X_AGENT_MANAGERS_MAX);
		if (get_url(l, e, field, c->managers[c->n_managers]) != 0)
			return -EINVAL;
		c->n_managers++;
	}
	if (c->n_managers == 0)
		return fail(l, v, field, "at least one URL");
	return 0;
}

static int f_top(struct ld *l, const char *k, yaml_node_t *v,
		 struct l2x_agentconf *c)
{
	static const char *const dp_keys[] = {
	    "binary",	       "ike_binary", "lan",	"uplink",
	    "lcores",	       "memory_mb",  "no_huge", "control_socket",
	    "strongswan_conf", NULL};
	const char *s;

	if (strcmp(k, "role") == 0) {
		s = scalar(v);
		if (s != NULL && strcmp(s, "manager") == 0)
			c->role = L2X_AGENT_MANAGER;
		else if (s != NULL && strcmp(s, "appliance") == 0)
			c->role = L2X_AGENT_APPLIANCE;
		else
			return fail(l, v, "role",
				    "must be manager or appliance");
		return 0;
	}
	if (strcmp(k, "name") == 0)
		return get_name(l, v, "name", c->name);
	if (strcmp(k, "state_dir") == 0)
		return get_path(l, v, "state_dir", c->state_dir);
	if (strcmp(k, "listen") == 0)
		return get_listen(l, v, c);
	if (strcmp(k, "url") == 0)
		return get_url(l, v, "url", c->url);
	if (strcmp(k, "store") == 0)
		return get_str(l, v, "store", c->store, sizeof(c->store));
	if (strcmp(k, "threads") == 0)
		return get_uint(l, v, "threads", 1, 64, &c->threads);
	if (strcmp(k, "extend_timeout") == 0)
		return get_uint(l, v, "extend_timeout", 5, 3600,
				&c->extend_timeout);
	if (strcmp(k, "manager") == 0 || strcmp(k, "site_managers") == 0)
		return get_urls(l, v, k, c);
	if (strcmp(k, "manager_id") == 0)
		return get_name(l, v, "manager_id", c->manager_id);
	if (strcmp(k, "election_ttl") == 0)
		return get_uint(l, v, "election_ttl", 2, 60, &c->election_ttl);
	if (strcmp(k, "switch") == 0)
		return get_name(l, v, "switch", c->sw);
	if (strcmp(k, "enroll_token_file") == 0)
		return get_path(l, v, "enroll_token_file",
				c->enroll_token_file);
	return walk(l, v, "dataplane", dp_keys, f_dataplane, c);
}

/* Role-dependent requirements, after the walk. */
static int check(struct ld *l, yaml_node_t *root, struct l2x_agentconf *c)
{
	static const char *const mgr_only[] = {
	    "listen",	      "url",	    "store",	    "threads",
	    "extend_timeout", "manager_id", "election_ttl", "site_managers"};
	static const char *const appl_only[] = {
	    "manager", "switch", "enroll_token_file", "dataplane"};
	const char *const *other;
	size_t n_other;

	if (c->role == 0)
		return fail(l, root, "role", "required");
	if (c->name[0] == '\0')
		return fail(l, root, "name", "required");
	if (c->state_dir[0] == '\0')
		return fail(l, root, "state_dir", "required");
	other = c->role == L2X_AGENT_MANAGER ? appl_only : mgr_only;
	n_other = c->role == L2X_AGENT_MANAGER ? 4 : 8;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&l->doc, p->key);

		for (size_t i = 0; i < n_other; i++)
			if (strcmp(scalar(k), other[i]) == 0)
				return fail(l, k, other[i],
					    "not a setting of the %s role",
					    c->role == L2X_AGENT_MANAGER
						? "manager"
						: "appliance");
	}
	if (c->role == L2X_AGENT_MANAGER) {
		if (c->listen_port == 0)
			return fail(l, root, "listen", "required");
		if (c->url[0] == '\0')
			snprintf(c->url, sizeof(c->url),
				 strchr(c->listen_addr, ':') ? "https://[%s]:%u"
							     : "https://%s:%u",
				 c->listen_addr, c->listen_port);
		if (c->store[0] == '\0')
			snprintf(c->store, sizeof(c->store),
				 "sqlite:%s/agent.db", c->state_dir);
		if (c->manager_id[0] == '\0')
			snprintf(c->manager_id, sizeof(c->manager_id), "%s",
				 c->name);
		if (c->n_managers == 0) {
			snprintf(c->managers[0], sizeof(c->managers[0]), "%s",
				 c->url);
			c->n_managers = 1;
		}
		return 0;
	}
	if (c->n_managers == 0)
		return fail(l, root, "manager", "required");
	snprintf(c->manager, sizeof(c->manager), "%s", c->managers[0]);
	if (c->sw[0] == '\0')
		return fail(l, root, "switch", "required");
	if (c->dp.binary[0] == '\0')
		return fail(l, root, "dataplane.binary", "required");
	if (c->dp.ike_binary[0] == '\0')
		return fail(l, root, "dataplane.ike_binary", "required");
	if (c->dp.lan_device[0] == '\0')
		return fail(l, root, "dataplane.lan.device", "required");
	if (c->dp.uplink_device[0] == '\0')
		return fail(l, root, "dataplane.uplink.device", "required");
	for (unsigned i = 0; i < c->dp.n_workers; i++)
		if (c->dp.workers[i] == c->dp.lcore_main)
			return fail(l, root, "dataplane.lcores.workers",
				    "lcore %u is also main", c->dp.lcore_main);
	if (c->dp.control_socket[0] == '\0')
		snprintf(c->dp.control_socket, sizeof(c->dp.control_socket),
			 "/run/l2x/%s.sock", c->name);
	return 0;
}

int l2x_agentconf_load(const char *file, struct l2x_agentconf *c, char *err,
		       size_t errlen)
{
	static const char *const top_keys[] = {
	    "role",	  "name",	  "state_dir",	       "listen",
	    "url",	  "store",	  "threads",	       "extend_timeout",
	    "manager",	  "switch",	  "enroll_token_file", "dataplane",
	    "manager_id", "election_ttl", "site_managers",     NULL};
	struct ld l = {.file = file, .err = err, .errlen = errlen};
	yaml_parser_t parser;
	yaml_node_t *root;
	FILE *f;
	int rc;

	memset(c, 0, sizeof(*c));
	snprintf(c->file, sizeof(c->file), "%s", file);
	c->threads = 4;
	c->extend_timeout = 60;
	c->election_ttl = 5;
	c->dp.workers[0] = 1;
	c->dp.n_workers = 1;
	c->dp.memory_mb = 256;
	f = fopen(file, "r");
	if (f == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot read: %s", file,
			 strerror(errno));
		return rc;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &l.doc)) {
		snprintf(err, errlen, "%s:%lu: yaml: %s", file,
			 (unsigned long)parser.problem_mark.line + 1,
			 parser.problem != NULL ? parser.problem : "error");
		yaml_parser_delete(&parser);
		fclose(f);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&l.doc);
	if (root == NULL)
		rc = fail(&l, NULL, "document", "empty");
	else
		rc = walk(&l, root, "document", top_keys, f_top, c);
	if (rc == 0)
		rc = check(&l, root, c);
	yaml_document_delete(&l.doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}
