/* SPDX-License-Identifier: MIT */
/*
 * appliance.h - the appliance role's local half (l2x-agent, role
 * appliance): the manager's desired state for this appliance turned into
 * running processes, and what those processes actually hold reported
 * back (the agent brief's "Desired state" and "Status" documents;
 * STYLE.md 15, "desired state, reconciled").
 *
 * The agent runs l2x-dataplane and l2x-ike as its children, both reading
 * one YAML file (control/config.h) that this module renders. The lead's
 * loop calls l2x_appl_converge() every 500 ms with the latest desired
 * state; each call compares that state with what is running and does
 * the difference, so it is level-triggered: a lost call, a crashed child
 * or a dataplane restarted behind the agent's back heals on the next
 * call with the same desired state, and a call that finds everything in
 * place changes nothing.
 *
 * One pass of l2x_appl_converge():
 *  1. Reap children (waitpid WNOHANG). A dead l2x-dataplane takes
 *     l2x-ike down with it (its SAs died with the dataplane); a dead
 *     child is started again after a back-off (1 s, doubling to 8 s,
 *     back to 1 s once a child has lived L2X_APPL_STABLE_MS).
 *  2. No mesh (desired NULL, or no uplink/peer/tunnel): stop l2x-ike and
 *     l2x-dataplane if they run, remove the PSK file. Done.
 *  3. Render: the local settings (struct l2x_appl_local, fixed for the
 *     agent's life) and the desired state into YAML text and the PSK
 *     text. When either differs from what is on disk, both are written
 *     into STATE/new/, loaded with l2x_config_load() (the same validation
 *     the dataplane applies), then renamed over STATE/psk and
 *     STATE/appliance.yaml (write tmp + fsync + rename). A desired state
 *     that does not render or load is the pass's error, with a sentence,
 *     and changes nothing on disk or running: the last good desired state
 *     stays in force (the pass goes on with it: a dead child is restarted
 *     with the files on disk), or, when there is none yet, the pass ends.
 *  4. Restart both processes when the uplink, peer, tunnel or PSK (every
 *     setting but the networks) differ from what they were started with:
 *     a running dataplane refuses such changes on reload.
 *  5. Start l2x-dataplane if it is not running (stdout and stderr to
 *     STATE/dataplane.log); once its control socket answers, start
 *     l2x-ike (STATE/ike.log, STRONGSWAN_CONF when set).
 *  6. Networks: whenever the control socket answers (our child or not),
 *     SHOW networks is compared with the desired networks and the
 *     difference applied: NET_DEL what is extra or differs, then NET_ADD
 *     what is missing or differed (l2x_appl_plan()). The rendered file
 *     always holds the desired networks, so a restarted dataplane starts
 *     with them.
 *
 * Files in STATE (local.state_dir, created 0700 when missing):
 * appliance.yaml (0600), psk (0600: the desired peer.psk text verbatim,
 * which l2x-ike takes as the key, ipsec/ike/ike_creds.h), dataplane.log,
 * ike.log (each moved to *.log.1 at a start when over 1 MiB), new/ (the
 * staging folder).
 *
 * Children. fork/exec with a signal mask and dispositions reset, stdin
 * /dev/null, no inherited descriptor, and PR_SET_PDEATHSIG SIGTERM: a
 * child outlives no agent. That signal follows the thread that forked,
 * so every converge call must come from one thread that lives as long as
 * the appliance role does. No SIGCHLD handler is installed; children are
 * reaped by the calls themselves.
 *
 * Secrets. The PSK lives in struct l2x_appl_desired (wiped by
 * l2x_appl_desired_fini()), in the appliance's copy of what it rendered
 * (wiped by l2x_appl_stop() and l2x_appl_destroy()) and in STATE/psk,
 * which is removed when the appliance leaves the mesh and by
 * l2x_appl_stop(). Every temporary buffer that held it is wiped with
 * sodium_memzero. It is never logged nor put in an error sentence.
 *
 * Thread-safety: a struct l2x_appl is used by one thread (see Children).
 * The pure functions (parse, render, plan) keep no state and may be
 * called from any thread.
 */
#ifndef L2X_APPLIANCE_H
#define L2X_APPLIANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "control/config.h"

/* Longest PSK text (bytes, NUL excluded). */
#define L2X_APPL_PSK_MAX 512
/* A child that lived this long restarts after 1 s again, not more. */
#define L2X_APPL_STABLE_MS 10000u
#define L2X_APPL_BACKOFF_MIN_MS 1000u
#define L2X_APPL_BACKOFF_MAX_MS 8000u
/* l2x_appl_stop(): SIGTERM, then SIGKILL after this long. */
#define L2X_APPL_STOP_MS 3000u
/* Longest error sentence. */
#define L2X_APPL_ERR_LEN 512
/* The rendered file and the PSK file, in local.state_dir. */
#define L2X_APPL_YAML "appliance.yaml"
#define L2X_APPL_PSK "psk"

/* ---- local settings ------------------------------------------------------ */

/*
 * What the appliance itself knows, from the agent's configuration file:
 * fixed for the life of a struct l2x_appl.
 *   name             appliance.name: 1..31 of [A-Za-z0-9_.-]; also the
 *                    dataplane's DPDK file prefix (l2x-NAME).
 *   lan_device       ports.lan.device (DPDK device argument / PCI address).
 *   lan_mode         ports.lan.mode: trunk, or access (at most one network).
 *   uplink_device    ports.uplink.device.
 *   lcore_main       dataplane.lcores.main.
 *   lcore_workers    dataplane.lcores.workers, n_workers of them (1..16).
 *   memory_mb        dataplane.memory_mb, 0 = the default (256).
 *   no_huge          dataplane.no_huge.
 *   control_socket   dataplane.control_socket (absolute; l2x-ike's status
 *                    socket is this + ".ike").
 *   state_dir        absolute folder of the rendered files and the logs.
 *   dataplane_bin    path of l2x-dataplane.
 *   ike_bin          path of l2x-ike.
 *   strongswan_conf  STRONGSWAN_CONF for l2x-ike; "" = not set.
 */
struct l2x_appl_local {
	char name[L2X_CONFIG_NAME_LEN];
	char lan_device[L2X_CONFIG_DEVICE_LEN];
	enum l2x_config_lan_mode lan_mode;
	char uplink_device[L2X_CONFIG_DEVICE_LEN];
	uint32_t lcore_main;
	uint32_t lcore_workers[L2X_CONFIG_WORKERS_MAX];
	uint32_t n_workers;
	uint32_t memory_mb;
	bool no_huge;
	char control_socket[L2X_CONFIG_SOCKET_LEN];
	char state_dir[L2X_CONFIG_PATH_LEN];
	char dataplane_bin[L2X_CONFIG_PATH_LEN];
	char ike_bin[L2X_CONFIG_PATH_LEN];
	char strongswan_conf[L2X_CONFIG_PATH_LEN];
};

/* ---- desired state ------------------------------------------------------- */

/*
 * One extended network as the manager wants it (desired networks[]) or
 * as the dataplane shows it (SHOW networks).
 *   name          1..31 of [A-Za-z0-9_.-].
 *   vlan          1..4094 (SHOW on an access port: 0).
 *   tunnel_id     GRE key or VXLAN VNI.
 *   gateway       ADDR/LEN, len 0 = none.
 *   gateway_side  NONE without a gateway.
 *   mss_clamp     desired: L2X_CONFIG_MSS_AUTO, _OFF or 536..9176; SHOW:
 *                 _OFF or the clamp in force (auto shows as its value).
 */
struct l2x_appl_net {
	char name[L2X_CONFIG_NAME_LEN];
	uint16_t vlan;
	uint32_t tunnel_id;
	struct l2x_config_prefix gateway;
	enum l2x_config_gw_side gateway_side;
	uint16_t mss_clamp;
};

/*
 * The desired state of this appliance (the brief's JSON, typed).
 *   generation  the manager's revision of it; echoed in the status.
 *   mesh        uplink, peer and tunnel are given (in a mesh pair); when
 *               false the other members but networks are zero and the
 *               appliance runs nothing.
 *   uplink      address ADDR/LEN, gateway (0 = none), mtu (576..9216).
 *   peer        address, IKE identities ("" = none), role, psk (text,
 *               secret).
 *   tunnel      encap and the inner endpoints.
 *   networks    n_networks of them, 0..4094.
 */
struct l2x_appl_desired {
	uint64_t generation;
	uint32_t poll_ms; /* "pollMs": ask again after it; 0: the default */
	bool mesh;
	struct {
		struct l2x_config_prefix address;
		uint32_t gateway;
		uint16_t mtu;
	} uplink;
	struct {
		uint32_t address;
		char local_id[L2X_CONFIG_ID_LEN];
		char remote_id[L2X_CONFIG_ID_LEN];
		enum l2x_config_role role;
		char psk[L2X_APPL_PSK_MAX + 1];
	} peer;
	struct {
		enum l2x_config_encap encap;
		uint32_t inner_local;
		uint32_t inner_remote;
	} tunnel;
	struct l2x_appl_net networks[L2X_CONFIG_NETWORKS_MAX];
	uint32_t n_networks;
};

/*
 * The desired-state JSON into out (zeroed first). Field names are the
 * brief's (camelCase); unknown fields, a wrong type or a value that does
 * not parse are errors naming the field ("networks[1].vlan: 4095 is
 * outside 1..4094"). uplink, peer and tunnel are absent or null together
 * (no mesh). Cross-field rules (a gateway inside the uplink subnet,
 * distinct VLANs) are left to the configuration loader at render time.
 *   json, len  the document (no NUL needed).
 *   out        receives the state; l2x_appl_desired_fini() it whatever
 *              the result (it may hold the PSK).
 *   err        the sentence on failure.
 * Returns 0 or -EINVAL.
 */
int l2x_appl_desired_parse(const char *json, size_t len,
			   struct l2x_appl_desired *out, char *err,
			   size_t errlen);

/* Wipe a desired state (the PSK with it). Accepts NULL. */
void l2x_appl_desired_fini(struct l2x_appl_desired *d);

/* ---- render -------------------------------------------------------------- */

/*
 * The YAML file for l2x-dataplane and l2x-ike, as text (pure; nothing is
 * written). d must be in a mesh. The PSK is not in the text: the file
 * names STATE/psk (relative "psk").
 *   loc, d     the inputs.
 *   head       receives every line but the networks (malloc'd).
 *   nets       receives the networks section (malloc'd). The file is
 *              head followed by nets; head is what the running processes
 *              are compared with (step 4 above).
 *   err        the sentence on failure.
 * Returns 0, -EINVAL (a local string the file cannot carry) or -ENOMEM.
 */
int l2x_appl_render(const struct l2x_appl_local *loc,
		    const struct l2x_appl_desired *d, char **head, char **nets,
		    char *err, size_t errlen);

/*
 * Render, validate and install the files: the text of l2x_appl_render()
 * and the PSK written to STATE/new/, loaded there with l2x_config_load(),
 * then renamed into STATE. Nothing in STATE changes on failure.
 *   loc, d   the inputs (d in a mesh).
 *   cfg      receives the loaded configuration when not NULL
 *            (l2x_config_free() it).
 *   err      the sentence on failure: the loader's FILE:LINE: FIELD:
 *            MESSAGE for a desired state the file cannot hold.
 * Returns 0, -EINVAL or -errno of the file system.
 */
int l2x_appl_write(const struct l2x_appl_local *loc,
		   const struct l2x_appl_desired *d, struct l2x_config *cfg,
		   char *err, size_t errlen);

/* ---- networks: SHOW table -> plan ---------------------------------------- */

/*
 * SHOW networks' JSON ({"what": "networks", "rows": [...]}) into rows.
 *   json, len  the reply text.
 *   rows       room for L2X_CONFIG_NETWORKS_MAX networks.
 *   n          receives the count.
 * Returns 0 or -EPROTO (err says what is wrong with the table).
 */
int l2x_appl_shown_parse(const char *json, size_t len,
			 struct l2x_appl_net *rows, uint32_t *n, char *err,
			 size_t errlen);

/* What "mss_clamp: auto" stands for, from SHOW mtu's JSON (the first
 * row's max_frame less the frame's Ethernet, IPv4 and TCP headers, as
 * dataplane/mtu.c derives it); 0 without a row. */
uint16_t l2x_appl_shown_auto_mss(const char *json, size_t len);

/* What l2x_appl_plan() compares with. trunk: the LAN port is a trunk
 * (SHOW gives VLANs; on an access port it gives 0 and VLANs are not
 * compared). auto_mss: the clamp "auto" stands for on this tunnel
 * (l2x_appl_shown_auto_mss()); 0 = unknown, and auto then matches any
 * clamp but off. */
struct l2x_appl_plan_prm {
	bool trunk;
	uint16_t auto_mss;
};

/* What to do: NET_DEL del[0..n_del) (names), then NET_ADD
 * want[add[0..n_add)] (indices into the desired networks). */
struct l2x_appl_plan {
	char del[L2X_CONFIG_NETWORKS_MAX][L2X_CONFIG_NAME_LEN];
	uint32_t n_del;
	uint32_t add[L2X_CONFIG_NETWORKS_MAX];
	uint32_t n_add;
};

/*
 * The difference between what the dataplane holds (have) and what is
 * desired (want), matched by name: a held network that is not wanted is
 * deleted; one that is wanted with another VLAN, tunnel id, gateway,
 * gateway side or MSS clamp is deleted and added again; a wanted one not
 * held is added. Deletions come first so that an added network never
 * collides with a VLAN or tunnel id about to go. So one network more
 * among 4094 is one NET_ADD, never a reload. O(n): names are matched
 * through an index (control/netidx.h). Pure but for that index's memory.
 * Empty plan: in place. Returns 0, or -ENOMEM (out is then empty).
 */
int l2x_appl_plan(const struct l2x_appl_net *have, uint32_t n_have,
		  const struct l2x_appl_net *want, uint32_t n_want,
		  const struct l2x_appl_plan_prm *prm,
		  struct l2x_appl_plan *out);

struct l2x_ctlclient; /* control/ctlclient.h */

/*
 * SHOW over an open control connection (the dataplane's, or l2x-ike's
 * status socket for L2X_CTL_SHOW_IKE).
 *   what  enum l2x_ctl_show.
 *   text  receives the reply's JSON (free() it); NULL on failure.
 * Returns 0, or a negative errno with err set (the dataplane's refusal:
 * its code; a failed exchange: ctlclient's, the connection then broken).
 */
int l2x_appl_show(struct l2x_ctlclient *c, unsigned what, char **text,
		  char *err, size_t errlen);

/*
 * Bring the dataplane's networks to want: SHOW networks (and SHOW mtu
 * for what auto stands for), l2x_appl_plan(), then each NET_DEL and
 * NET_ADD of the plan. Every step is tried even after one is refused;
 * the first failure is the answer.
 *   c        an open connection to the dataplane.
 *   want     the desired networks, n_want of them.
 *   trunk    the LAN port is a trunk (l2x_appl_plan_prm).
 *   changes  receives how many steps the dataplane accepted.
 * Returns 0, or a negative errno with err set.
 */
int l2x_appl_networks_sync(struct l2x_ctlclient *c,
			   const struct l2x_appl_net *want, uint32_t n_want,
			   bool trunk, uint32_t *changes, char *err,
			   size_t errlen);

/* ---- the running appliance ----------------------------------------------- */

struct l2x_appl;

/*
 * The back-off before restarting a child that died by itself (pure):
 * L2X_APPL_BACKOFF_MIN_MS after its first death or after a life of
 * L2X_APPL_STABLE_MS or more, else twice the previous one, at most
 * L2X_APPL_BACKOFF_MAX_MS.
 *   prev_ms   the previous back-off, 0 = none yet.
 *   lived_ms  how long the child ran.
 */
uint32_t l2x_appl_backoff(uint32_t prev_ms, uint64_t lived_ms);

/*
 * An appliance with nothing running. Checks the local settings (names,
 * absolute paths that fit, executables present) and creates state_dir
 * (0700) when missing.
 *   loc   copied.
 *   out   receives the appliance.
 * Returns 0, -EINVAL (err says which setting), -ENOMEM or -errno.
 */
int l2x_appl_create(const struct l2x_appl_local *loc, struct l2x_appl **out,
		    char *err, size_t errlen);

/* l2x_appl_stop(), then free. Accepts NULL. */
void l2x_appl_destroy(struct l2x_appl *a);

/*
 * One reconciliation pass (the steps at the top). Blocks for at most
 * about L2X_APPL_STOP_MS per process it has to stop, and a few control
 * socket round trips otherwise.
 *   a    the appliance.
 *   d    the latest desired state; NULL = no mesh.
 *   err  the first error of this pass, also kept for the status.
 * Returns 0 when nothing went wrong (which is not "converged": a child may
 * still be starting), or a negative errno with err set; the next call
 * tries again.
 */
int l2x_appl_converge(struct l2x_appl *a, const struct l2x_appl_desired *d,
		      char *err, size_t errlen);

/*
 * The status document of the brief:
 *   {"generation", "dataplane": "running"|"starting"|"stopped",
 *    "ike": likewise, "tunnel": "up"|"down",
 *    "ikeSa": "established"|"connecting"|"none", "childSa": bool,
 *    "networks": [names the dataplane holds],
 *    "counters": {"rxLan", "txLan", "rxTunnel", "txTunnel", "drops"},
 *    "error": the last pass's error or ""}
 * asking the dataplane (SHOW networks, tunnels, stats, drops) and
 * l2x-ike's status socket (SHOW ike) now. A process that does not answer
 * contributes nothing (empty networks, zero counters, "down", "none").
 *   status  receives a new reference.
 * Returns 0 or -ENOMEM.
 */
int l2x_appl_status(struct l2x_appl *a, json_t **status);

/*
 * Stop l2x-ike, then l2x-dataplane (SIGTERM, SIGKILL after
 * L2X_APPL_STOP_MS; reaped), remove STATE/psk and wipe the secrets held
 * in memory. The appliance may converge again afterwards.
 */
void l2x_appl_stop(struct l2x_appl *a);

#endif /* L2X_APPLIANCE_H */
