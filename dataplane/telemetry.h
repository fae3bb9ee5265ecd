/* SPDX-License-Identifier: MIT */
/*
 * telemetry.h - the dataplane's counters through DPDK telemetry (GitHub
 * issue 4, "Counters also through DPDK telemetry"), next to l2xctl's
 * `show stats` and `show drops` on the control socket.
 *
 * DPDK's telemetry library serves JSON on a Unix SOCK_SEQPACKET socket,
 * <rte_eal_get_runtime_dir()>/dpdk_telemetry.v2 (for the dataplane
 * /var/run/dpdk/l2x-<appliance name>/, or the --file-prefix given), from
 * threads of its own. l2x adds three commands:
 *
 *   /l2x/stats  {"rx_lan": N, ...}       every event counter, under the
 *                                        keys of l2x_dp_cnt_key[]
 *   /l2x/drops  {"unknown_vlan": N, ...} every named drop reason with its
 *                                        count, zeros included
 *   /l2x/info   {"name": "ne-a", "role": "initiator"}
 *
 * Drop keys: DPDK 22.11 accepts only [A-Za-z0-9_/] in a dictionary key
 * (rte_tel_data_add_dict_* refuses the rest with -EINVAL), so each other
 * character of l2x_dp_drop_key[] becomes '_': "esp.auth" is "esp_auth"
 * here, as l2x_telemetry_key() computes. l2xctl keeps the dotted form.
 *
 * Socket permissions: DPDK binds the socket with the process umask (0755
 * under the usual 022) inside a runtime folder it makes 0700. Only root
 * may read counters, so l2x_telemetry_register() makes the socket 0600
 * and the folder 0700 when they are wider (and says so on stderr). The
 * socket is never reachable by others in between: its folder is 0700
 * from the start, and /var/run/dpdk too.
 *
 * Thread-safety: l2x_telemetry_register() from the control thread, once,
 * after rte_eal_init(). The callbacks run on DPDK's telemetry threads at
 * any time after that, concurrently with the worker and the control
 * thread. They read only:
 *  - the worker's counters (dp->st), with relaxed atomic loads through
 *    l2x_dp_stats_sum(): single writer, so a value is at worst a burst
 *    old, and the counters are not a consistent snapshot of each other;
 *  - copies taken at registration (drop keys, appliance name and role),
 *    published to the telemetry threads by the spinlock that
 *    rte_telemetry_register_cmd() and the command lookup both take.
 * Nothing the control thread changes after setup is exposed (SA lists,
 * MAC tables, networks added at run time, the peer's address): a
 * telemetry thread reading those would race with it. They stay on the
 * control socket, which the control thread serves itself.
 *
 * One dataplane per process: DPDK 22.11 passes no user pointer to a
 * telemetry callback, so the struct l2x_dp is kept in a static pointer
 * set here; it must live until the process exits (main.c's is static).
 * DPDK has no way to unregister a command.
 */
#ifndef L2X_TELEMETRY_H
#define L2X_TELEMETRY_H

#include <stddef.h>

struct l2x_dp;

/* The telemetry socket's name inside the EAL runtime folder. */
#define L2X_TELEMETRY_SOCKET "dpdk_telemetry.v2"

/* Register /l2x/stats, /l2x/drops and /l2x/info for dp, and make the
 * telemetry socket and its folder root-only. Call after rte_eal_init()
 * and after l2x_dp_drop_key[] is filled; dp->cfg may be NULL (no
 * /l2x/info data then). Without telemetry (--no-telemetry: no socket)
 * the commands are registered and nothing else is done.
 * Returns 0, -EINVAL (dp NULL), -EALREADY (called before in this
 * process), or the -errno of a failed registration or chmod, with the
 * reason on stderr. Control thread. */
int l2x_telemetry_register(struct l2x_dp *dp);

/* The telemetry dictionary key for a drop key: each character outside
 * [A-Za-z0-9_/] replaced by '_', truncated to len - 1. Any thread. */
void l2x_telemetry_key(const char *key, char *out, size_t len);

#endif /* L2X_TELEMETRY_H */
