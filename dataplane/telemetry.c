/* SPDX-License-Identifier: MIT */
/*
 * telemetry.c - /l2x/stats, /l2x/drops and /l2x/info on DPDK's telemetry
 * socket (telemetry.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_telemetry.h>

#include "dataplane/dp.h"
#include "dataplane/telemetry.h"

_Static_assert(L2X_DP_CNT_MAX <= RTE_TEL_MAX_DICT_ENTRIES,
	       "every event counter fits one telemetry dictionary");
_Static_assert(L2X_DP_D_MAX <= RTE_TEL_MAX_DICT_ENTRIES,
	       "every drop reason fits one telemetry dictionary");

#define KEY_LEN 48 /* as dp.c's drop keys */
_Static_assert(KEY_LEN <= RTE_TEL_MAX_STRING_LEN, "telemetry key length");

/* Set once by l2x_telemetry_register(), read by the telemetry threads
 * (published by the telemetry library's callback spinlock). */
static const struct l2x_dp *tel_dp;
static char drop_key[L2X_DP_D_MAX][KEY_LEN]; /* "": no such reason */
static char app_name[L2X_CONFIG_NAME_LEN];
static char app_role[16];

void l2x_telemetry_key(const char *key, char *out, size_t len)
{
	size_t i;

	if (len == 0)
		return;
	for (i = 0; key[i] != '\0' && i + 1 < len; i++) {
		char c = key[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '/';

		out[i] = ok ? c : '_';
	}
	out[i] = '\0';
}

static int cmd_stats(const char *cmd, const char *params,
		     struct rte_tel_data *d)
{
	struct l2x_dp_stats s;

	(void)cmd;
	(void)params;
	l2x_dp_stats_sum(tel_dp, &s);
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < L2X_DP_CNT_MAX; i++)
		if (rte_tel_data_add_dict_u64(d, l2x_dp_cnt_key[i], s.cnt[i]))
			return -1; /* DPDK answers {"/l2x/stats":null} */
	return 0;
}

static int cmd_drops(const char *cmd, const char *params,
		     struct rte_tel_data *d)
{
	struct l2x_dp_stats s;

	(void)cmd;
	(void)params;
	l2x_dp_stats_sum(tel_dp, &s);
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < L2X_DP_D_MAX; i++)
		if (drop_key[i][0] != '\0' &&
		    rte_tel_data_add_dict_u64(d, drop_key[i], s.drop[i]))
			return -1;
	return 0;
}

static int cmd_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	if (app_name[0] != '\0' &&
	    (rte_tel_data_add_dict_string(d, "name", app_name) ||
	     rte_tel_data_add_dict_string(d, "role", app_role)))
		return -1;
	return 0;
}

/* Make path at most mode (a socket, or the folder when dir), owned by
 * us. 0, or -errno with the reason on stderr; -ENOENT quietly when
 * path does not exist. */
static int restrict_mode(const char *path, bool dir, mode_t mode)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		int rc = -errno;

		if (rc != -ENOENT)
			fprintf(stderr, "l2x-dataplane: telemetry: %s: %s\n",
				path, strerror(-rc));
		return rc;
	}
	if ((dir ? !S_ISDIR(st.st_mode) : !S_ISSOCK(st.st_mode)) ||
	    st.st_uid != geteuid()) {
		fprintf(stderr,
			"l2x-dataplane: telemetry: %s is not a %s of ours\n",
			path, dir ? "folder" : "socket");
		return -EPERM;
	}
	if ((st.st_mode & 07777 & ~mode) == 0)
		return 0;
	if (chmod(path, mode) != 0) {
		int rc = -errno;

		fprintf(stderr, "l2x-dataplane: telemetry: chmod %o %s: %s\n",
			(unsigned int)mode, path, strerror(-rc));
		return rc;
	}
	/* a socket made under umask 077 is 0700: only worth a word when
	 * others could reach it */
	if (st.st_mode & 077)
		fprintf(stderr,
			"l2x-dataplane: telemetry: %s was mode %o, now %o "
			"(root only)\n",
			path, (unsigned int)(st.st_mode & 07777),
			(unsigned int)mode);
	return 0;
}

/* The runtime folder 0700, the v2 socket (and the legacy v1 one that
 * DPDK opens when a library registered legacy commands) 0600. */
static int restrict_sockets(void)
{
	static const char *const names[] = {L2X_TELEMETRY_SOCKET, "telemetry"};
	const char *dir = rte_eal_get_runtime_dir();
	char path[PATH_MAX];
	int rc;

	rc = restrict_mode(dir, true, 0700);
	if (rc == -ENOENT)
		return 0; /* no runtime folder, no socket */
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     names[i]) >= sizeof(path))
			return -ENAMETOOLONG;
		rc = restrict_mode(path, false, 0600);
		if (rc && rc != -ENOENT) /* ENOENT: telemetry off or no v1 */
			return rc;
	}
	return 0;
}

int l2x_telemetry_register(struct l2x_dp *dp)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
	    {"/l2x/stats", cmd_stats, "l2x event counters. No parameters"},
	    {"/l2x/drops", cmd_drops,
	     "l2x drops by reason ('.' shown as '_'). No parameters"},
	    {"/l2x/info", cmd_info,
	     "l2x appliance name and role. No parameters"},
	};
	int rc;

	if (dp == NULL)
		return -EINVAL;
	if (tel_dp != NULL)
		return -EALREADY;
	rc = restrict_sockets(); /* before anything is served */
	if (rc)
		return rc;
	for (unsigned int i = 0; i < L2X_DP_D_MAX; i++)
		if (l2x_dp_drop_key[i] != NULL)
			l2x_telemetry_key(l2x_dp_drop_key[i], drop_key[i],
					  sizeof(drop_key[i]));
	if (dp->cfg != NULL) {
		snprintf(app_name, sizeof(app_name), "%s",
			 dp->cfg->appliance.name);
		snprintf(app_role, sizeof(app_role), "%s",
			 l2x_config_role_name(dp->cfg->appliance.role));
	}
	tel_dp = dp;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		rc = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn,
						cmds[i].help);
		if (rc) {
			fprintf(stderr,
				"l2x-dataplane: telemetry: register %s: %s\n",
				cmds[i].cmd, strerror(rc < 0 ? -rc : rc));
			return rc < 0 ? rc : -rc;
		}
	}
	return 0;
}
