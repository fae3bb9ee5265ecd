/* SPDX-License-Identifier: MIT */
/*
 * config.h - the appliance configuration: one YAML file per appliance,
 * parsed, validated and turned into one plain struct l2x_config
 * (DESIGN.md, "Configuration"; STYLE.md 7, 13, 14).
 *
 * Order of work: parse (libyaml, document API), validate (a field table
 * per mapping: key, type, range, destination, required), produce the
 * struct. Nothing is applied here: l2x-agent turns the struct into control
 * messages, `-n` stops after this step. The struct holds no DPDK or
 * strongSwan type and no pointer: fixed arrays with the maxima below, so
 * it can be copied, compared and wiped as a whole.
 *
 * Errors. The first error found ends the load and is reported as one line
 *     FILE:LINE: FIELD: MESSAGE
 * quoting the bad value, as wireguard-tools' config.c does, e.g.
 *     configs/site-a.yaml:14: networks[1].vlan: 4095 is outside 1..4094
 * FIELD is the path of the key (`peer.auth.psk_file`, `networks[0].name`);
 * it is `document` for the file as a whole and `yaml` for a YAML syntax
 * error (libyaml's own text). LINE is 1-based. Mappings are checked in
 * schema order (the order below), not file order, so that a check that
 * depends on another section (VXLAN ids on tunnel.encap, the peer on the
 * uplink) finds it parsed; within a mapping, unknown and duplicate keys are
 * reported before any value. Only an I/O failure of l2x_config_load() has
 * no line: "FILE: cannot read: REASON".
 *
 * Schema. Every key not listed is an error naming the keys allowed there;
 * a key given twice is an error; a mapping, sequence or scalar where
 * another is expected is an error. Integers are decimal without leading
 * zeros, or hexadecimal with 0x, quoted or not; anything else (`12x`,
 * `-1`, `1.0`) is an error. IPv4 addresses are dotted quads without leading
 * zeros (inet_pton), unicast (not 0/8, 127/8, 224/4, 240/4); ADDR/LEN takes a
 * prefix length 1..32 and the address may not be the subnet's network or
 * broadcast address (for LEN <= 30). Names are 1..31 characters of
 * [A-Za-z0-9_.-]. (R) = required; otherwise the default is given.
 *
 *   appliance:                                  (R)
 *     name:  NAME                               (R)
 *     role:  initiator | responder              (R) IKE role
 *   dataplane:                                  all optional
 *     lcores:
 *       main:    0..127                         0; the control thread
 *       workers: [0..127, ...]                  [1]; 1..16 distinct lcore
 *                                               ids, none equal to main
 *     memory_mb: 64..65536                      256
 *     no_huge:   true | false                   false
 *     control_socket: absolute path             /run/l2x/<name>.sock
 *                                               (at most 107 characters)
 *   ports:                                      (R)
 *     lan:                                      (R)
 *       device: DPDK device argument or PCI address    (R) 1..255 chars,
 *                                               printable, no space
 *       mode:   trunk | access                  trunk; access carries
 *                                               at most one network,
 *                                               untagged (its vlan still
 *                                               names it and matches the
 *                                               peer)
 *     uplink:                                   (R)
 *       device:  as lan.device                  (R)
 *       address: ADDR/LEN                       (R)
 *       gateway: ADDR                           none (peer on-link); inside
 *                                               the uplink subnet, not the
 *                                               uplink address
 *       mtu:     576..9216                      1500
 *   peer:                                       (R)
 *     address:   ADDR                           (R) the peer's uplink; not
 *                                               ours; on-link when the
 *                                               uplink has no gateway
 *     local_id:  1..127 printable characters    none (IKE uses the address)
 *     remote_id: 1..127 printable characters    none
 *     auth:      exactly one form:              required unless static_sas
 *                  { psk_file: FILE }           are given; not with them
 *                  { cert: FILE, key: FILE, ca: FILE }
 *     ike_proposals: strongSwan proposal string aes256gcm16-prfsha256-x25519
 *                    ([a-z0-9_] words joined by '-' and ',')
 *     esp_proposals: list or comma string of    aes256gcm16, chacha20poly1305
 *                    aes256gcm16 | chacha20poly1305, distinct
 *     ike_lifetime:   60..86400 s               3600
 *     child_lifetime: 10..86400 s               1200
 *     dpd_delay:      0..3600 s (0 = off)       10
 *     replay_window:  0..4096 packets (0 = off) 1024 (RFC 4303 3.4.3)
 *   tunnel:                                     (R)
 *     encap:        gre | vxlan                 gre
 *     inner_local:  ADDR                        (R) inner tunnel endpoints,
 *     inner_remote: ADDR                        (R) distinct
 *   bridge:                                     optional: per-network
 *     aging:     10..1000000 s                  300   defaults
 *     mac_limit: 1..16777216                    4096
 *     bum_pps:   0..100000000 (0 = no limit)    20000 broadcast, unknown
 *                                               unicast and multicast
 *                                               flooded per second, per
 *                                               network and direction
 *     mac_table_size: 1024..16777216            65536 MAC entries of all
 *                                               networks together (the
 *                                               one MAC table; about 80
 *                                               bytes of DPDK memory
 *                                               each)
 *   networks:                                   0..4094 entries; none
 *                                               (an appliance with
 *                                               nothing extended yet:
 *                                               NET_ADD adds at run time)
 *     - name:         NAME                      (R) distinct
 *       vlan:         1..4094                   (R) distinct (IEEE 802.1Q)
 *       tunnel_id:    1..4294967295             (R) distinct; with vxlan
 *                                               1..16777215 (the VNI)
 *       gateway:      ADDR/LEN                  none
 *       gateway_side: local | remote            required with gateway, and
 *                                               only with it
 *       mss_clamp:    auto | off | 536..9176    auto
 *       mac_limit:    1..16777216               bridge.mac_limit
 *       bum_pps:      0..100000000              bridge.bum_pps
 *   static_sas:                                 optional, 0..16 entries:
 *     - direction: in | out                     (R) manual keys for bring-up
 *       spi:       256..4294967295              (R) and tests, no IKE; at
 *       alg:       aes256gcm16 | chacha20poly1305 (R) least one per
 *       key_file:  FILE                         (R) direction; SPIs
 *                                               distinct per direction
 *
 * Files. A relative FILE is taken relative to base_dir (by default the
 * configuration file's directory). Secret files (psk_file, key, key_file)
 * must exist, be regular files and have no group or other permission bits
 * (mode & 077 == 0); cert and ca must exist and be regular files. Only the
 * static SA keys are read here: key_file holds 72 hex digits (32-byte key
 * then 4-byte salt, RFC 4106 section 8.1 / RFC 7634 section 2; whitespace
 * allowed), not all zero. The PSK is read by l2x-ike, not here.
 *
 * Secrets. struct l2x_config holds the static SA keys, so
 * l2x_config_free() wipes the whole struct with sodium_memzero(); so does
 * a failed load (and every temporary buffer that held key text).
 *
 * Thread-safety: the functions keep no global state; call them from any
 * thread, one struct l2x_config per caller. A loaded config is read-only.
 */
#ifndef L2X_CONFIG_H
#define L2X_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- limits ------------------------------------------------------------- */

/* Names (appliance, network): 1..31 characters of [A-Za-z0-9_.-] + NUL,
 * the control protocol's L2X_CTL_NAME_LEN. */
#define L2X_CONFIG_NAME_LEN 32
/* IKE identities: 1..127 printable ASCII characters + NUL. */
#define L2X_CONFIG_ID_LEN 128
/* DPDK device arguments ("net_af_packet0,iface=lan0", a PCI address). */
#define L2X_CONFIG_DEVICE_LEN 256
/* ike_proposals string. */
#define L2X_CONFIG_PROPOSAL_LEN 256
/* File paths as resolved against base_dir; the value in the file itself
 * is at most 255 characters. */
#define L2X_CONFIG_PATH_LEN 512
/* control_socket: a Unix socket path (sizeof sun_path). */
#define L2X_CONFIG_SOCKET_LEN 108
#define L2X_CONFIG_LCORE_MAX 127 /* DPDK's RTE_MAX_LCORE - 1 on Debian */
#define L2X_CONFIG_WORKERS_MAX 16
/* Networks of one appliance: every VLAN id (GitHub issue 10). */
#define L2X_CONFIG_NETWORKS_MAX 4094
#define L2X_CONFIG_STATIC_SAS_MAX 16
#define L2X_CONFIG_ESP_MAX 2 /* there are two AEADs */
/* Static SA key material: 32-byte key then 4-byte salt. */
#define L2X_CONFIG_KEY_LEN 36
/* Largest configuration file accepted (bytes): 4094 networks with every
 * key given take about 700 KiB. */
#define L2X_CONFIG_FILE_MAX (2 * 1024 * 1024)
/* bridge.mac_table_size: the MAC entries of all networks together. */
#define L2X_CONFIG_MAC_TABLE_MIN 1024
#define L2X_CONFIG_MAC_TABLE_MAX (1u << 24)
/* Largest error message, terminating NUL included. */
#define L2X_CONFIG_ERR_LEN 512

/* ---- values ------------------------------------------------------------- */

/* IKE role of this appliance. */
enum l2x_config_role {
	L2X_CONFIG_ROLE_INITIATOR = 0,
	L2X_CONFIG_ROLE_RESPONDER = 1,
};

/* LAN port: a trunk of 802.1Q-tagged networks, or one untagged network. */
enum l2x_config_lan_mode {
	L2X_CONFIG_LAN_TRUNK = 0,
	L2X_CONFIG_LAN_ACCESS = 1,
};

/* Which form peer.auth took; NONE when static_sas replace IKE. */
enum l2x_config_auth_kind {
	L2X_CONFIG_AUTH_NONE = 0,
	L2X_CONFIG_AUTH_PSK = 1,
	L2X_CONFIG_AUTH_CERT = 2,
};

/* Inner encapsulation; the values are enum l2x_encap's (wire.h). */
enum l2x_config_encap {
	L2X_CONFIG_ENCAP_GRE = 0,
	L2X_CONFIG_ENCAP_VXLAN = 1,
};

/* ESP AEAD; the values are enum l2x_aead's (wire.h), the IKEv2 transform
 * ids (RFC 4106: 20, RFC 7634: 28). */
enum l2x_config_alg {
	L2X_CONFIG_ALG_AES256GCM16 = 20,
	L2X_CONFIG_ALG_CHACHA20POLY1305 = 28,
};

/* Gateway owner; the values are enum l2x_ctl_gw_side's (ctlmsg.h). */
enum l2x_config_gw_side {
	L2X_CONFIG_GW_NONE = 0,
	L2X_CONFIG_GW_LOCAL = 1,
	L2X_CONFIG_GW_REMOTE = 2,
};

/* Static SA direction; the values are enum l2x_ctl_dir's (ctlmsg.h). */
enum l2x_config_dir {
	L2X_CONFIG_DIR_IN = 0,
	L2X_CONFIG_DIR_OUT = 1,
};

/* mss_clamp: auto (derive from the uplink MTU), off, or 536..9176; the
 * encoding of the control protocol's NET_ADD.mss_clamp. */
#define L2X_CONFIG_MSS_AUTO 0
#define L2X_CONFIG_MSS_OFF 1
#define L2X_CONFIG_MSS_MIN 536
#define L2X_CONFIG_MSS_MAX 9176

/* An IPv4 address with a prefix length; addresses are in host order. */
struct l2x_config_prefix {
	uint32_t addr;
	uint8_t len; /* 1..32; 0 = not given */
};

/* ---- the configuration -------------------------------------------------- */

struct l2x_config_appliance {
	char name[L2X_CONFIG_NAME_LEN];
	enum l2x_config_role role;
};

struct l2x_config_lcores {
	uint32_t main;
	uint32_t workers[L2X_CONFIG_WORKERS_MAX];
	uint32_t n_workers; /* 1..L2X_CONFIG_WORKERS_MAX */
};

struct l2x_config_dataplane {
	struct l2x_config_lcores lcores;
	uint32_t memory_mb;
	bool no_huge;
	char control_socket[L2X_CONFIG_SOCKET_LEN];
};

struct l2x_config_lan {
	char device[L2X_CONFIG_DEVICE_LEN];
	enum l2x_config_lan_mode mode;
};

struct l2x_config_uplink {
	char device[L2X_CONFIG_DEVICE_LEN];
	struct l2x_config_prefix address;
	uint32_t gateway; /* 0 = none: the peer is on-link */
	uint16_t mtu;
};

struct l2x_config_ports {
	struct l2x_config_lan lan;
	struct l2x_config_uplink uplink;
};

/* peer.auth. Paths are resolved against base_dir; unused ones are "". */
struct l2x_config_auth {
	enum l2x_config_auth_kind kind;
	char psk_file[L2X_CONFIG_PATH_LEN];
	char cert[L2X_CONFIG_PATH_LEN];
	char key[L2X_CONFIG_PATH_LEN];
	char ca[L2X_CONFIG_PATH_LEN];
};

struct l2x_config_peer {
	uint32_t address;
	char local_id[L2X_CONFIG_ID_LEN];  /* "" = not given */
	char remote_id[L2X_CONFIG_ID_LEN]; /* "" = not given */
	struct l2x_config_auth auth;
	char ike_proposals[L2X_CONFIG_PROPOSAL_LEN];
	enum l2x_config_alg esp[L2X_CONFIG_ESP_MAX]; /* in preference order */
	uint32_t n_esp;				     /* 1..L2X_CONFIG_ESP_MAX */
	uint32_t ike_lifetime;			     /* seconds */
	uint32_t child_lifetime;		     /* seconds */
	uint32_t dpd_delay;			     /* seconds, 0 = off */
	uint16_t replay_window;			     /* packets, 0 = off */
};

struct l2x_config_tunnel {
	enum l2x_config_encap encap;
	uint32_t inner_local;
	uint32_t inner_remote;
};

struct l2x_config_bridge {
	uint32_t aging;		 /* seconds */
	uint32_t mac_limit;	 /* default of each network's mac_limit */
	uint32_t bum_pps;	 /* default of each network's bum_pps */
	uint32_t mac_table_size; /* MAC entries of all networks together */
};

/* One extended network: VLAN <-> tunnel id. */
struct l2x_config_network {
	char name[L2X_CONFIG_NAME_LEN];
	uint16_t vlan;
	uint32_t tunnel_id;		  /* GRE key or VXLAN VNI */
	struct l2x_config_prefix gateway; /* len 0 = no gateway */
	enum l2x_config_gw_side gateway_side;
	uint16_t mss_clamp; /* L2X_CONFIG_MSS_AUTO, _OFF or 536..9176 */
	uint32_t mac_limit; /* effective: own value or bridge.mac_limit */
	uint32_t bum_pps;   /* effective: own value or bridge.bum_pps */
	uint32_t line;	    /* line of the entry in the file */
};

/* One manually keyed SA. key is secret: wiped by l2x_config_free(). */
struct l2x_config_static_sa {
	enum l2x_config_dir direction;
	uint32_t spi;
	enum l2x_config_alg alg;
	char key_file[L2X_CONFIG_PATH_LEN]; /* resolved */
	uint8_t key[L2X_CONFIG_KEY_LEN];    /* 32-byte key, 4-byte salt */
	uint32_t line;			    /* line of the entry in the file */
};

struct l2x_config {
	struct l2x_config_appliance appliance;
	struct l2x_config_dataplane dataplane;
	struct l2x_config_ports ports;
	struct l2x_config_peer peer;
	struct l2x_config_tunnel tunnel;
	struct l2x_config_bridge bridge;
	struct l2x_config_network networks[L2X_CONFIG_NETWORKS_MAX];
	uint32_t n_networks;
	struct l2x_config_static_sa static_sas[L2X_CONFIG_STATIC_SAS_MAX];
	uint32_t n_static_sas;
};

/* The one error of a failed load. */
struct l2x_config_err {
	uint32_t line;		      /* 1-based; 0 when there is none */
	char msg[L2X_CONFIG_ERR_LEN]; /* "FILE:LINE: FIELD: MESSAGE" */
};

/* ---- API ---------------------------------------------------------------- */

/*
 * Read, parse and validate the configuration file at path.
 *   path  the file; it also names the file in error messages, and its
 *         directory is the base of relative secret paths.
 *   out   filled on success; release with l2x_config_free(). On failure it
 *         is left zeroed (nothing to free, no key bytes).
 *   err   may be NULL; on failure holds the message.
 * Returns 0; -EINVAL for an invalid configuration (or a file that is not
 * a regular file or is larger than L2X_CONFIG_FILE_MAX); -errno when the
 * file cannot be read; -ENOMEM.
 */
int l2x_config_load(const char *path, struct l2x_config *out,
		    struct l2x_config_err *err);

/*
 * Parse and validate a configuration held in memory: the entry point of
 * the fuzz harness. Reads exactly len bytes of buf (no NUL needed).
 *   name      names the file in error messages.
 *   base_dir  resolves relative file paths; NULL = name's directory
 *             ("." when name has no '/').
 *   out, err  as for l2x_config_load().
 * Returns 0, -EINVAL or -ENOMEM.
 */
int l2x_config_parse(const char *name, const char *buf, size_t len,
		     const char *base_dir, struct l2x_config *out,
		     struct l2x_config_err *err);

/* Wipe a configuration, static SA keys included (sodium_memzero). NULL is
 * accepted. The struct may be loaded into again afterwards. */
void l2x_config_free(struct l2x_config *cfg);

/* The configuration-file words for the enum values ("aes256gcm16",
 * "vxlan", ...); "?" for a value outside the enum. */
const char *l2x_config_role_name(enum l2x_config_role v);
const char *l2x_config_lan_mode_name(enum l2x_config_lan_mode v);
const char *l2x_config_encap_name(enum l2x_config_encap v);
const char *l2x_config_alg_name(enum l2x_config_alg v);
const char *l2x_config_gw_side_name(enum l2x_config_gw_side v);
const char *l2x_config_dir_name(enum l2x_config_dir v);

/* The schema's address rules (above), for every validator of the same
 * values: this loader, and the REST API's request bodies
 * (control/apireq.c). Host-order addresses; pure, any thread. */
/* A dotted quad without leading zeros or short forms (inet_pton), len
 * bytes of s (no NUL among them). */
bool l2x_config_ipv4_scan(const char *s, size_t len, uint32_t *out);
/* Not 0/8, 127/8, 224/4, 240/4 (RFC 1122 3.2.1.3, RFC 5771, RFC 1112). */
bool l2x_config_ipv4_unicast(uint32_t addr);
/* The netmask of a prefix length 0..32. */
uint32_t l2x_config_mask(uint8_t len);
/* "network" or "broadcast" when addr is that address of its /len subnet
 * (len <= 30 only: /31 and /32 have neither, RFC 3021), else NULL. */
const char *l2x_config_prefix_edge(uint32_t addr, uint8_t len);
/* The dotted quad of addr into buf. */
const char *l2x_config_ip(uint32_t addr, char buf[16]);

#endif /* L2X_CONFIG_H */
