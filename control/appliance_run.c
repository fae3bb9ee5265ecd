/* SPDX-License-Identifier: MIT */
/*
 * appliance_run.c - the appliance role's passes: l2x-dataplane and
 * l2x-ike (appliance_child.c) brought to the desired state one
 * l2x_appl_converge() at a time, and the status document of what they
 * hold (appliance.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "control/appliance.h"
#include "control/errf.h"
#include "control/appliance_priv.h"
#include "control/ctlclient.h"
#include "control/ctlmsg.h"

/* How long a control socket request may take from the agent's loop. */
#define CTL_TIMEOUT_MS 1000u
/* l2x-ike's status socket: the control socket + this (ike_status.h). */
#define IKE_SUFFIX ".ike"

enum { DP, IKE, N_CHILD };

struct l2x_appl {
	struct l2x_appl_local loc;
	char yaml[L2X_CONFIG_PATH_LEN + 32];
	char psk_path[L2X_CONFIG_PATH_LEN + 32];
	char ike_sock[L2X_CONFIG_SOCKET_LEN + sizeof(IKE_SUFFIX)];
	struct l2x_appl_child ch[N_CHILD];
	/* what the files in state_dir hold (NULL head: unknown), the
	 * networks among it as desired: the last good desired state */
	char *head, *nets;
	char psk[L2X_APPL_PSK_MAX + 1];
	struct l2x_appl_net good[L2X_CONFIG_NETWORKS_MAX];
	uint32_t n_good;
	/* what the running processes were started with */
	char *run_head;
	char run_psk[L2X_APPL_PSK_MAX + 1];
	bool mesh;
	uint64_t generation;
	char error[L2X_APPL_ERR_LEN];
};

#define fail l2x_errf /* errf.h */

/* ---- create / destroy -----------------------------------------------------*/

static bool name_ok(const char *s)
{
	size_t n = strnlen(s, L2X_CONFIG_NAME_LEN);

	if (n == 0 || n == L2X_CONFIG_NAME_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '.' || s[i] == '-'))
			return false;
	return true;
}

/* An absolute path that fits max (NUL included). */
static bool abs_path(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	return n > 1 && n < max && s[0] == '/';
}

static int check_local(const struct l2x_appl_local *l, char *err, size_t errlen)
{
	if (!name_ok(l->name))
		return fail(-EINVAL, err, errlen,
			    "name: '%.40s' is not 1..31 of [A-Za-z0-9_.-]",
			    l->name);
	/* room for l2x-ike's ".ike" (sun_path: 108 bytes) */
	if (!abs_path(l->control_socket,
		      L2X_CONFIG_SOCKET_LEN - strlen(IKE_SUFFIX)))
		return fail(-EINVAL, err, errlen,
			    "control socket: not an absolute path of at most "
			    "%zu characters",
			    L2X_CONFIG_SOCKET_LEN - strlen(IKE_SUFFIX) - 1);
	if (!abs_path(l->state_dir, L2X_CONFIG_PATH_LEN - 32))
		return fail(-EINVAL, err, errlen,
			    "state folder: not an absolute path of at most "
			    "%d characters",
			    L2X_CONFIG_PATH_LEN - 33);
	if (access(l->dataplane_bin, X_OK) != 0)
		return fail(-errno, err, errlen, "l2x-dataplane: %s: %s",
			    l->dataplane_bin, strerror(errno));
	if (access(l->ike_bin, X_OK) != 0)
		return fail(-errno, err, errlen, "l2x-ike: %s: %s", l->ike_bin,
			    strerror(errno));
	if (l->strongswan_conf[0] && access(l->strongswan_conf, R_OK) != 0)
		return fail(-errno, err, errlen, "strongswan.conf: %s: %s",
			    l->strongswan_conf, strerror(errno));
	return 0;
}

/* mkdir 0700 unless it is there. */
static int folder(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return fail(-errno, err, errlen, "%s: %s", dir,
			    strerror(errno));
	return 0;
}

int l2x_appl_create(const struct l2x_appl_local *loc, struct l2x_appl **out,
		    char *err, size_t errlen)
{
	char sockdir[L2X_CONFIG_SOCKET_LEN], *slash;
	char env[L2X_CONFIG_PATH_LEN + 32];
	struct l2x_appl *a;
	int rc;

	*out = NULL;
	rc = check_local(loc, err, errlen);
	if (rc != 0)
		return rc;
	rc = folder(loc->state_dir, err, errlen);
	snprintf(sockdir, sizeof(sockdir), "%s", loc->control_socket);
	slash = strrchr(sockdir, '/');
	if (rc == 0 && slash != NULL && slash != sockdir) {
		*slash = '\0';
		rc = folder(sockdir, err, errlen);
	}
	if (rc != 0)
		return rc;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return fail(-ENOMEM, err, errlen, "out of memory");
	a->loc = *loc;
	snprintf(a->yaml, sizeof(a->yaml), "%s/%s", loc->state_dir,
		 L2X_APPL_YAML);
	snprintf(a->psk_path, sizeof(a->psk_path), "%s/%s", loc->state_dir,
		 L2X_APPL_PSK);
	snprintf(a->ike_sock, sizeof(a->ike_sock), "%s%s", loc->control_socket,
		 IKE_SUFFIX);
	snprintf(env, sizeof(env), "STRONGSWAN_CONF=%s", loc->strongswan_conf);
	l2x_appl_child_init(&a->ch[DP], "l2x-dataplane", loc->dataplane_bin,
			    loc->state_dir, "dataplane.log", "");
	l2x_appl_child_init(&a->ch[IKE], "l2x-ike", loc->ike_bin,
			    loc->state_dir, "ike.log",
			    loc->strongswan_conf[0] ? env : "");
	*out = a;
	return 0;
}

/* Forget what the files hold (they are rewritten on the next pass). */
static void forget_files(struct l2x_appl *a)
{
	free(a->head);
	free(a->nets);
	a->head = a->nets = NULL;
	sodium_memzero(a->psk, sizeof(a->psk));
	a->n_good = 0;
}

void l2x_appl_destroy(struct l2x_appl *a)
{
	if (a == NULL)
		return;
	l2x_appl_stop(a);
	sodium_memzero(a, sizeof(*a));
	free(a);
}

/* Reap both; a dead dataplane takes l2x-ike with it (its SAs are gone). */
static void reap(struct l2x_appl *a, uint64_t now, char *err, size_t errlen)
{
	l2x_appl_child_reap(&a->ch[IKE], now, err, errlen);
	if (l2x_appl_child_reap(&a->ch[DP], now, err, errlen))
		l2x_appl_child_stop(&a->ch[IKE], "its dataplane is gone");
}

static void stop_all(struct l2x_appl *a, const char *reason)
{
	l2x_appl_child_stop(&a->ch[IKE], reason);
	l2x_appl_child_stop(&a->ch[DP], reason);
	free(a->run_head);
	a->run_head = NULL;
	sodium_memzero(a->run_psk, sizeof(a->run_psk));
	for (int i = 0; i < N_CHILD; i++)
		a->ch[i].next_ms = 0;
}

void l2x_appl_stop(struct l2x_appl *a)
{
	if (a == NULL)
		return;
	stop_all(a, "the agent stops");
	for (int i = 0; i < N_CHILD; i++)
		a->ch[i].backoff_ms = 0;
	(void)unlink(a->psk_path);
	forget_files(a);
	a->mesh = false;
}

/* ---- files ----------------------------------------------------------------*/

static bool same_str(const char *x, const char *y)
{
	return x != NULL && y != NULL && strcmp(x, y) == 0;
}

/* PSK texts equal, in constant time for equal lengths (only the bytes up
 * to the NUL count: what follows is nobody's business). */
static bool same_psk(const char *x, const char *y)
{
	size_t n = strnlen(x, L2X_APPL_PSK_MAX + 1);

	return n == strnlen(y, L2X_APPL_PSK_MAX + 1) &&
	       sodium_memcmp(x, y, n) == 0;
}

/* dst (L2X_APPL_PSK_MAX + 1 bytes) := the text of src, zero-filled. */
static void copy_psk(char *dst, const char *src)
{
	size_t n = strnlen(src, L2X_APPL_PSK_MAX);

	sodium_memzero(dst, L2X_APPL_PSK_MAX + 1);
	memcpy(dst, src, n);
}

/* The files for d, written when they differ from what is there. */
static int files(struct l2x_appl *a, const struct l2x_appl_desired *d,
		 char *err, size_t errlen)
{
	struct l2x_config *cfg;
	struct stat st;
	char *head, *nets;
	int rc;

	rc = l2x_appl_render(&a->loc, d, &head, &nets, err, errlen);
	if (rc != 0)
		return rc;
	if (same_str(head, a->head) && same_str(nets, a->nets) &&
	    same_psk(a->psk, d->peer.psk) && stat(a->yaml, &st) == 0 &&
	    stat(a->psk_path, &st) == 0) {
		free(head);
		free(nets);
		return 0;
	}
	cfg = malloc(sizeof(*cfg));
	rc = cfg ? l2x_appl_write(&a->loc, d, cfg, err, errlen)
		 : fail(-ENOMEM, err, errlen, "out of memory");
	if (rc != 0) {
		free(cfg);
		free(head);
		free(nets);
		return rc;
	}
	l2x_config_free(cfg);
	free(cfg);
	forget_files(a);
	a->head = head;
	a->nets = nets;
	copy_psk(a->psk, d->peer.psk);
	memcpy(a->good, d->networks, d->n_networks * sizeof(a->good[0]));
	a->n_good = d->n_networks;
	return 0;
}

/* ---- one pass -------------------------------------------------------------*/

/* Record the first error of a pass. */
static void note(char *first, size_t len, int *rc, int r, const char *why)
{
	if (r == 0 || *rc != 0)
		return;
	*rc = r;
	snprintf(first, len, "%s", why);
}

static int start_dataplane(struct l2x_appl *a, uint64_t now, char *err,
			   size_t errlen)
{
	int rc = l2x_appl_child_start(&a->ch[DP], a->yaml, now, err, errlen);

	if (rc == 0) {
		free(a->run_head);
		a->run_head = strdup(a->head);
		copy_psk(a->run_psk, a->psk);
		if (a->run_head == NULL)
			rc = fail(-ENOMEM, err, errlen, "out of memory");
	}
	return rc;
}

/* The last good desired networks, when the control socket answers.
 * Returns whether it did; *rc (err) is the outcome of the changes. */
static bool networks(struct l2x_appl *a, int *rc, char *err, size_t errlen)
{
	struct l2x_ctlclient *c;
	uint32_t changes;

	*rc = 0;
	if (l2x_ctlclient_open(a->loc.control_socket, CTL_TIMEOUT_MS, &c) < 0)
		return false;
	*rc = l2x_appl_networks_sync(c, a->good, a->n_good,
				     a->loc.lan_mode == L2X_CONFIG_LAN_TRUNK,
				     &changes, err, errlen);
	l2x_ctlclient_close(c);
	/* going away or not yet serving: the next pass sees */
	if (*rc == -ECONNRESET || *rc == -ETIMEDOUT || *rc == -ENOTCONN ||
	    *rc == -EPIPE) {
		*rc = 0;
		return false;
	}
	return true;
}

int l2x_appl_converge(struct l2x_appl *a, const struct l2x_appl_desired *d,
		      char *err, size_t errlen)
{
	char first[L2X_APPL_ERR_LEN] = "", why[L2X_APPL_ERR_LEN];
	uint64_t now = l2x_appl_now_ms();
	struct l2x_appl_child *dp = &a->ch[DP], *ike = &a->ch[IKE];
	bool answered;
	int rc = 0, r;

	a->generation = d != NULL ? d->generation : 0;
	why[0] = '\0';
	reap(a, now, why, sizeof(why));
	note(first, sizeof(first), &rc, why[0] ? -ECHILD : 0, why);
	a->mesh = d != NULL && d->mesh;
	if (!a->mesh) {
		stop_all(a, "the appliance is in no mesh pair");
		(void)unlink(a->psk_path);
		forget_files(a);
		goto out;
	}
	/* A desired state that does not render is the error of the pass
	 * and changes nothing: the last good one (the files on disk) stays
	 * in force, a dead child is restarted with it. */
	r = files(a, d, why, sizeof(why));
	if (r != 0) {
		rc = r;
		snprintf(first, sizeof(first), "%s", why);
		if (a->head == NULL)
			goto out; /* none yet: nothing to run */
	}
	if ((dp->pid || ike->pid) &&
	    (!same_str(a->head, a->run_head) || !same_psk(a->psk, a->run_psk)))
		stop_all(a, "uplink, peer, tunnel or PSK changed");
	if (dp->pid == 0 && now >= dp->next_ms) {
		r = start_dataplane(a, now, why, sizeof(why));
		note(first, sizeof(first), &rc, r, why);
	}
	answered = networks(a, &r, why, sizeof(why));
	note(first, sizeof(first), &rc, r, why);
	if (answered && dp->pid != 0 && ike->pid == 0 && now >= ike->next_ms) {
		r = l2x_appl_child_start(ike, a->yaml, now, why, sizeof(why));
		note(first, sizeof(first), &rc, r, why);
	}
out:
	snprintf(a->error, sizeof(a->error), "%s", first);
	if (rc != 0)
		fail(0, err, errlen, "%s", first);
	else if (err != NULL && errlen > 0)
		err[0] = '\0';
	return rc;
}

/* ---- status ---------------------------------------------------------------*/

/* SHOW whats[0..n) over one connection to path: tables[i] is the JSON of
 * each reply (a new reference), NULL for one not answered. */
static void ask(const char *path, const unsigned *whats, json_t **tables,
		size_t n)
{
	struct l2x_ctlclient *c;
	char err[L2X_APPL_ERR_LEN];

	for (size_t i = 0; i < n; i++)
		tables[i] = NULL;
	if (l2x_ctlclient_open(path, CTL_TIMEOUT_MS, &c) < 0)
		return;
	for (size_t i = 0; i < n && !l2x_ctlclient_broken(c); i++) {
		char *text = NULL;

		if (l2x_appl_show(c, whats[i], &text, err, sizeof(err)) == 0)
			tables[i] = json_loads(text, 0, NULL);
		free(text);
	}
	l2x_ctlclient_close(c);
}

static json_t *rows(json_t *table)
{
	json_t *r = json_object_get(table, "rows");

	return json_is_array(r) ? r : NULL;
}

static const char *cell(json_t *row, const char *key)
{
	const char *s = json_string_value(json_object_get(row, key));

	return s ? s : "";
}

static json_int_t counter(json_t *stats, const char *name)
{
	size_t i;
	json_t *row;

	json_array_foreach(rows(stats), i, row)
	{
		if (strcmp(cell(row, "counter"), name) == 0)
			return json_integer_value(
			    json_object_get(row, "value"));
	}
	return 0;
}

static json_int_t drops(json_t *table)
{
	json_int_t sum = 0;
	size_t i;
	json_t *row;

	json_array_foreach(rows(table), i, row)
	{
		sum += json_integer_value(json_object_get(row, "count"));
	}
	return sum;
}

/* IKE_SA and CHILD_SA from SHOW ike (ipsec/ike/ike_status.h). */
static void ike_state(json_t *ike, const char **sa, bool *child)
{
	static const char *const up[] = {"ESTABLISHED", "REKEYING", "REKEYED",
					 NULL};
	static const char *const connecting[] = {"CREATED", "CONNECTING", NULL};
	static const char *const installed[] = {"INSTALLED", "REKEYING",
						"REKEYED", "UPDATING", NULL};
	bool est = false, conn = false;
	size_t i;
	json_t *row;

	*child = false;
	json_array_foreach(rows(ike), i, row)
	{
		const char *kind = cell(row, "kind"), *st = cell(row, "state");
		bool is_child = strcmp(kind, "child") == 0;

		for (int k = 0; !is_child && up[k]; k++)
			est |= strcmp(st, up[k]) == 0;
		for (int k = 0; !is_child && connecting[k]; k++)
			conn |= strcmp(st, connecting[k]) == 0;
		for (int k = 0; is_child && installed[k]; k++)
			*child |= strcmp(st, installed[k]) == 0;
	}
	*sa = est ? "established" : conn ? "connecting" : "none";
}

int l2x_appl_status(struct l2x_appl *a, json_t **status)
{
	static const unsigned dp_whats[] = {
	    L2X_CTL_SHOW_NETWORKS, L2X_CTL_SHOW_TUNNELS, L2X_CTL_SHOW_STATS,
	    L2X_CTL_SHOW_DROPS};
	static const unsigned ike_whats[] = {L2X_CTL_SHOW_IKE};
	json_t *t[4], *ike, *nets, *tun, *stats, *drop;
	json_t *names = json_array(), *row, *s = NULL;
	const char *idle = a->mesh ? "starting" : "stopped", *sa;
	bool child, up = false;
	size_t i;

	ask(a->loc.control_socket, dp_whats, t, 4);
	ask(a->ike_sock, ike_whats, &ike, 1);
	nets = t[0];
	tun = t[1];
	stats = t[2];
	drop = t[3];

	json_array_foreach(rows(nets), i, row)
	{
		json_array_append_new(names, json_string(cell(row, "network")));
	}
	json_array_foreach(rows(tun), i, row)
	{
		up |= strcmp(cell(row, "state"), "up") == 0;
	}
	ike_state(ike, &sa, &child);
	if (names != NULL)
		s = json_pack(
		    "{sI ss ss ss ss sb so s{sI sI sI sI sI} ss}", "generation",
		    (json_int_t)a->generation, "dataplane",
		    nets ? "running" : idle, "ike", ike ? "running" : idle,
		    "tunnel", up ? "up" : "down", "ikeSa", sa, "childSa",
		    (int)child, "networks", names, "counters", "rxLan",
		    counter(stats, "rx_lan"), "txLan", counter(stats, "tx_lan"),
		    "rxTunnel", counter(stats, "from_tunnel"), "txTunnel",
		    counter(stats, "to_tunnel"), "drops", drops(drop), "error",
		    a->error);
	json_decref(nets);
	json_decref(tun);
	json_decref(stats);
	json_decref(drop);
	json_decref(ike);
	*status = s;
	return s != NULL ? 0 : -ENOMEM;
}
