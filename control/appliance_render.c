/* SPDX-License-Identifier: MIT */
/*
 * appliance_render.c - the local settings and a desired state into the
 * YAML file of l2x-dataplane and l2x-ike and the PSK file: rendered as
 * text, staged, loaded with l2x_config_load(), installed (appliance.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "control/appliance.h"
#include "control/errf.h"

/* ---- errors ---------------------------------------------------------------*/

#define fail l2x_errf /* errf.h */

#define BAD(...) fail(-EINVAL, err, errlen, __VA_ARGS__)

/* Characters a quoted YAML scalar can carry here: printable ASCII. */
static bool printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* ---- render ---------------------------------------------------------------*/

/* A growing text; on allocation failure it stays failed (oom). */
struct text {
	char *p;
	size_t len, cap;
	bool oom;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->oom)
		return;
	for (;;) {
		size_t room = t->cap - t->len, cap;
		char *np;

		va_start(ap, fmt);
		n = vsnprintf(t->p ? t->p + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = true;
			return;
		}
		if ((size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		cap = t->cap ? t->cap * 2 : 1024;
		while (cap - t->len <= (size_t)n)
			cap *= 2;
		np = realloc(t->p, cap);
		if (np == NULL) {
			t->oom = true;
			return;
		}
		t->p = np;
		t->cap = cap;
	}
}

/* A YAML double-quoted scalar of a printable ASCII string: only '"' and
 * '\' need escaping (YAML 1.1 section 5.7). */
static void quoted(struct text *t, const char *s)
{
	put(t, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			put(t, "\\%c", *s);
		else
			put(t, "%c", *s);
	}
	put(t, "\"");
}

static const char *ip(uint32_t host, char *b)
{
	struct in_addr in = {.s_addr = htonl(host)};

	return inet_ntop(AF_INET, &in, b, INET_ADDRSTRLEN);
}

static void render_head(const struct l2x_appl_local *loc,
			const struct l2x_appl_desired *d, struct text *t)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	put(t, "# Rendered by l2x-agent from the manager's desired state; "
	       "it is rewritten\n# on every change. The schema is at the "
	       "top of control/config.h.\n");
	put(t, "appliance: { name: ");
	quoted(t, loc->name);
	put(t, ", role: %s }\n", l2x_config_role_name(d->peer.role));
	put(t, "dataplane:\n  lcores: { main: %u, workers: [", loc->lcore_main);
	for (uint32_t i = 0; i < loc->n_workers; i++)
		put(t, "%s%u", i ? ", " : "", loc->lcore_workers[i]);
	put(t, "] }\n");
	if (loc->memory_mb != 0)
		put(t, "  memory_mb: %u\n", loc->memory_mb);
	put(t, "  no_huge: %s\n  control_socket: ",
	    loc->no_huge ? "true" : "false");
	quoted(t, loc->control_socket);
	put(t, "\nports:\n  lan: { device: ");
	quoted(t, loc->lan_device);
	put(t, ", mode: %s }\n  uplink: { device: ",
	    l2x_config_lan_mode_name(loc->lan_mode));
	quoted(t, loc->uplink_device);
	put(t, ", address: %s/%u", ip(d->uplink.address.addr, a),
	    d->uplink.address.len);
	if (d->uplink.gateway != 0)
		put(t, ", gateway: %s", ip(d->uplink.gateway, a));
	put(t, ", mtu: %u }\n", d->uplink.mtu);
	put(t, "peer:\n  address: %s\n", ip(d->peer.address, a));
	if (d->peer.local_id[0]) {
		put(t, "  local_id: ");
		quoted(t, d->peer.local_id);
		put(t, "\n");
	}
	if (d->peer.remote_id[0]) {
		put(t, "  remote_id: ");
		quoted(t, d->peer.remote_id);
		put(t, "\n");
	}
	put(t, "  auth: { psk_file: %s }\n", L2X_APPL_PSK);
	put(t, "tunnel: { encap: %s, inner_local: %s, inner_remote: %s }\n",
	    l2x_config_encap_name(d->tunnel.encap),
	    ip(d->tunnel.inner_local, a), ip(d->tunnel.inner_remote, b));
}

static void render_nets(const struct l2x_appl_desired *d, struct text *t)
{
	char a[INET_ADDRSTRLEN];

	if (d->n_networks == 0) {
		put(t, "networks: []\n");
		return;
	}
	put(t, "networks:\n");
	for (uint32_t i = 0; i < d->n_networks; i++) {
		const struct l2x_appl_net *n = &d->networks[i];

		put(t, "  - { name: ");
		quoted(t, n->name);
		put(t, ", vlan: %u, tunnel_id: %u", n->vlan, n->tunnel_id);
		if (n->gateway.len != 0)
			put(t, ", gateway: %s/%u", ip(n->gateway.addr, a),
			    n->gateway.len);
		if (n->gateway_side != L2X_CONFIG_GW_NONE)
			put(t, ", gateway_side: %s",
			    l2x_config_gw_side_name(n->gateway_side));
		if (n->mss_clamp == L2X_CONFIG_MSS_AUTO)
			put(t, ", mss_clamp: auto }\n");
		else if (n->mss_clamp == L2X_CONFIG_MSS_OFF)
			put(t, ", mss_clamp: off }\n");
		else
			put(t, ", mss_clamp: %u }\n", n->mss_clamp);
	}
}

/* The strings the file carries: printable, bounded (a NUL inside the
 * array). */
static int check_strings(const struct l2x_appl_local *loc,
			 const struct l2x_appl_desired *d, char *err,
			 size_t errlen)
{
	const struct {
		const char *what, *s;
		size_t max;
	} v[] = {
	    {"name", loc->name, sizeof(loc->name)},
	    {"lan device", loc->lan_device, sizeof(loc->lan_device)},
	    {"uplink device", loc->uplink_device, sizeof(loc->uplink_device)},
	    {"control socket", loc->control_socket,
	     sizeof(loc->control_socket)},
	    {"peer.localId", d->peer.local_id, sizeof(d->peer.local_id)},
	    {"peer.remoteId", d->peer.remote_id, sizeof(d->peer.remote_id)},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strnlen(v[i].s, v[i].max);

		if (n == v[i].max || !printable(v[i].s, n))
			return BAD("%s: not a printable string of at most "
				   "%zu characters",
				   v[i].what, v[i].max - 1);
	}
	for (uint32_t i = 0; i < d->n_networks; i++) {
		const char *s = d->networks[i].name;
		size_t n = strnlen(s, L2X_CONFIG_NAME_LEN);

		if (n == L2X_CONFIG_NAME_LEN || !printable(s, n))
			return BAD("networks[%u].name: not a printable string "
				   "of at most %u characters",
				   i, L2X_CONFIG_NAME_LEN - 1);
	}
	if (loc->n_workers == 0 || loc->n_workers > L2X_CONFIG_WORKERS_MAX)
		return BAD("lcores: %u workers, expected 1..%u", loc->n_workers,
			   L2X_CONFIG_WORKERS_MAX);
	if (d->n_networks > L2X_CONFIG_NETWORKS_MAX)
		return BAD("networks: %u, expected 0..%u", d->n_networks,
			   L2X_CONFIG_NETWORKS_MAX);
	return 0;
}

int l2x_appl_render(const struct l2x_appl_local *loc,
		    const struct l2x_appl_desired *d, char **head, char **nets,
		    char *err, size_t errlen)
{
	struct text h = {0}, n = {0};
	int rc;

	*head = *nets = NULL;
	if (!d->mesh)
		return BAD("the desired state has no mesh pair: nothing to "
			   "render");
	rc = check_strings(loc, d, err, errlen);
	if (rc != 0)
		return rc;
	render_head(loc, d, &h);
	render_nets(d, &n);
	if (h.oom || n.oom) {
		free(h.p);
		free(n.p);
		return fail(-ENOMEM, err, errlen, "render: out of memory");
	}
	*head = h.p;
	*nets = n.p;
	return 0;
}

/* ---- files ----------------------------------------------------------------*/

/* path := len bytes of data, mode 0600, on disk (fsync) when this
 * returns 0. */
static int write_file(const char *path, const void *data, size_t len, char *err,
		      size_t errlen)
{
	const char *p = data;
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return fail(-errno, err, errlen, "%s: %s", path,
			    strerror(errno));
	if (fchmod(fd, 0600) < 0)
		rc = -errno;
	while (rc == 0 && len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = w < 0 ? -errno : -EIO;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc != 0)
		return fail(rc, err, errlen, "%s: %s", path, strerror(-rc));
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* dir exists as a folder (created 0700). */
static int make_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return fail(-errno, err, errlen, "%s: %s", dir,
			    strerror(errno));
	if (stat(dir, &st) < 0)
		return fail(-errno, err, errlen, "%s: %s", dir,
			    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(-ENOTDIR, err, errlen, "%s: not a folder", dir);
	return 0;
}

struct paths {
	char stage[L2X_CONFIG_PATH_LEN + 8];
	char new_yaml[L2X_CONFIG_PATH_LEN + 32];
	char new_psk[L2X_CONFIG_PATH_LEN + 32];
	char yaml[L2X_CONFIG_PATH_LEN + 32];
	char psk[L2X_CONFIG_PATH_LEN + 32];
};

static void paths_of(const char *dir, struct paths *p)
{
	snprintf(p->stage, sizeof(p->stage), "%s/new", dir);
	snprintf(p->new_yaml, sizeof(p->new_yaml), "%s/new/%s", dir,
		 L2X_APPL_YAML);
	snprintf(p->new_psk, sizeof(p->new_psk), "%s/new/%s", dir,
		 L2X_APPL_PSK);
	snprintf(p->yaml, sizeof(p->yaml), "%s/%s", dir, L2X_APPL_YAML);
	snprintf(p->psk, sizeof(p->psk), "%s/%s", dir, L2X_APPL_PSK);
}

/* The staged files into place: PSK first, so that the file never names
 * a PSK older than itself. */
static int install(const char *dir, const struct paths *p, char *err,
		   size_t errlen)
{
	if (rename(p->new_psk, p->psk) < 0)
		return fail(-errno, err, errlen, "%s: %s", p->psk,
			    strerror(errno));
	if (rename(p->new_yaml, p->yaml) < 0)
		return fail(-errno, err, errlen, "%s: %s", p->yaml,
			    strerror(errno));
	(void)fsync_dir(dir);
	return 0;
}

/* Write, load, install; *cfg filled (by the load) on success. */
static int stage_and_install(const struct l2x_appl_local *loc, const char *head,
			     const char *nets, const char *psk,
			     struct l2x_config *cfg, char *err, size_t errlen)
{
	struct paths p;
	struct l2x_config_err cerr;
	size_t hl = strlen(head), nl = strlen(nets), pl = strlen(psk);
	char *yaml = malloc(hl + nl + 1), *ptext = malloc(pl + 2);
	int rc;

	paths_of(loc->state_dir, &p);
	rc = (yaml && ptext) ? 0 : fail(-ENOMEM, err, errlen, "out of memory");
	if (rc == 0) {
		memcpy(yaml, head, hl);
		memcpy(yaml + hl, nets, nl + 1);
		memcpy(ptext, psk, pl);
		memcpy(ptext + pl, "\n", 2);
		rc = make_dir(loc->state_dir, err, errlen);
	}
	if (rc == 0)
		rc = make_dir(p.stage, err, errlen);
	if (rc == 0)
		rc = write_file(p.new_psk, ptext, pl + 1, err, errlen);
	if (rc == 0)
		rc = write_file(p.new_yaml, yaml, hl + nl, err, errlen);
	if (rc == 0) {
		rc = l2x_config_load(p.new_yaml, cfg, &cerr);
		if (rc != 0)
			rc = fail(rc < 0 ? rc : -EINVAL, err, errlen,
				  "the desired state does not render: %s",
				  cerr.msg);
	}
	if (rc == 0)
		rc = install(loc->state_dir, &p, err, errlen);
	if (rc != 0)
		l2x_config_free(cfg);
	/* whatever happened: no secret left in the staging folder */
	unlink(p.new_psk);
	unlink(p.new_yaml);
	if (ptext != NULL)
		sodium_memzero(ptext, pl + 2);
	free(ptext);
	free(yaml);
	return rc;
}

int l2x_appl_write(const struct l2x_appl_local *loc,
		   const struct l2x_appl_desired *d, struct l2x_config *cfg,
		   char *err, size_t errlen)
{
	struct l2x_config *c = cfg;
	char *head, *nets;
	int rc;

	rc = l2x_appl_render(loc, d, &head, &nets, err, errlen);
	if (rc != 0)
		return rc;
	if (c == NULL)
		c = malloc(sizeof(*c));
	if (c == NULL)
		rc = fail(-ENOMEM, err, errlen, "out of memory");
	else
		rc = stage_and_install(loc, head, nets, d->peer.psk, c, err,
				       errlen);
	if (c != cfg && c != NULL) {
		if (rc == 0)
			l2x_config_free(c);
		free(c);
	}
	free(head);
	free(nets);
	return rc;
}
