/* SPDX-License-Identifier: MIT */
/*
 * agentconf.h - l2x-agent's own configuration file: which role the agent
 * plays and what it needs to play it. One small YAML file per agent,
 * validated at load with `FILE:LINE: FIELD: MESSAGE` errors, as the
 * appliance file (control/config.h) is.
 *
 * The file holds only what is local to the host: the manager's desired
 * state lives in its store, an appliance's comes from its manager. So the
 * file is written once at install and never by the agent.
 *
 * Schema ((R) = required; otherwise the default is given):
 *
 *   role:      manager | appliance                     (R)
 *   name:      NAME                                    (R) the site's name
 *                                   (manager) or the appliance's (appliance)
 *   state_dir: absolute path                           (R) created 0700:
 *                                   the store, the TLS identity, pins
 *   manager role:
 *     listen:  ADDR:PORT | [ADDR6]:PORT                (R) HTTPS address
 *     url:     https://HOST:PORT                       https://listen: how
 *                                   the other site and the appliances reach
 *                                   this manager
 *     store:   sqlite:PATH | PATH                      STATE_DIR/agent.db
 *     threads: 1..64                                   4 HTTPS threads
 *     extend_timeout: 5..3600 s                        60: an extension
 *                                   not extended by then is failed
 *     manager_id: NAME                                 name: this manager
 *                                   among the site's (unique when several
 *                                   share an etcd store)
 *     election_ttl: 2..60 s                            5: the leader's
 *                                   lease; another leads within TTL + 2 s
 *     site_managers: [https://HOST:PORT, ...]          [url]: every
 *                                   manager of this site (1..4), told to
 *                                   the paired site so it follows the
 *                                   leader
 *   appliance role:
 *     manager: https://HOST:PORT | [URL, ...]          (R) its manager, or
 *                                   the site's managers (1..4): it talks
 *                                   to the one that leads
 *     switch:  NAME                                    (R) the distributed
 *                                   switch its LAN trunk is on
 *     enroll_token_file: FILE                          needed until enrolled
 *                                   (mode 0600; l2x-agent token appliance)
 *     dataplane:                                       (R) how to run it
 *       binary:      absolute path                     (R) l2x-dataplane
 *       ike_binary:  absolute path                     (R) l2x-ike
 *       lan:    { device: DEV, mode: trunk | access }  (R) device (R)
 *       uplink: { device: DEV }                        (R)
 *       lcores: { main: 0..127, workers: [0..127] }    main 0, workers [1]
 *       memory_mb: 64..65536                           256
 *       no_huge: true | false                          false
 *       control_socket: absolute path                  /run/l2x/NAME.sock
 *       strongswan_conf: absolute path                 none
 *
 * Thread-safety: no global state; a loaded struct is read-only.
 */
#ifndef L2X_AGENTCONF_H
#define L2X_AGENTCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define L2X_AGENT_NAME_LEN 32
#define L2X_AGENT_PATH_LEN 256
#define L2X_AGENT_URL_LEN 256
#define L2X_AGENT_DEV_LEN 256
#define L2X_AGENT_WORKERS_MAX 16
/* Managers of one site (several share an etcd store). */
#define L2X_AGENT_MANAGERS_MAX 4

enum l2x_agent_role {
	L2X_AGENT_MANAGER = 1,
	L2X_AGENT_APPLIANCE = 2,
};

struct l2x_agentconf {
	char file[L2X_AGENT_PATH_LEN]; /* where it was loaded from */
	enum l2x_agent_role role;
	char name[L2X_AGENT_NAME_LEN];
	char state_dir[L2X_AGENT_PATH_LEN];
	/* manager */
	char listen_addr[96]; /* address text, without brackets */
	uint16_t listen_port;
	char url[L2X_AGENT_URL_LEN];
	char store[L2X_AGENT_PATH_LEN + 32];
	unsigned threads;
	unsigned extend_timeout;
	char manager_id[L2X_AGENT_NAME_LEN];
	unsigned election_ttl;
	/* manager: this site's managers; appliance: its managers */
	char managers[L2X_AGENT_MANAGERS_MAX][L2X_AGENT_URL_LEN];
	unsigned n_managers;
	/* appliance */
	char manager[L2X_AGENT_URL_LEN]; /* managers[0] */
	char sw[L2X_AGENT_NAME_LEN];
	char enroll_token_file[L2X_AGENT_PATH_LEN];
	struct {
		char binary[L2X_AGENT_PATH_LEN];
		char ike_binary[L2X_AGENT_PATH_LEN];
		char lan_device[L2X_AGENT_DEV_LEN];
		bool lan_access;
		char uplink_device[L2X_AGENT_DEV_LEN];
		unsigned lcore_main;
		unsigned workers[L2X_AGENT_WORKERS_MAX];
		unsigned n_workers;
		unsigned memory_mb;
		bool no_huge;
		char control_socket[L2X_AGENT_PATH_LEN];
		char strongswan_conf[L2X_AGENT_PATH_LEN];
	} dp;
};

/* Load and validate FILE into *c. 0, or -EINVAL / -errno with the
 * `FILE:LINE: FIELD: MESSAGE` sentence in err. */
int l2x_agentconf_load(const char *file, struct l2x_agentconf *c, char *err,
		       size_t errlen);

#endif /* L2X_AGENTCONF_H */
