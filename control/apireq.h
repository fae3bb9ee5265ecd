/* SPDX-License-Identifier: MIT */
/*
 * apireq.h - the JSON bodies of l2x-agent's REST API (/api/v1), turned
 * into plain, fully validated C structs, or into one 400 error that names
 * the field at fault; and the reverse, a struct into its JSON text.
 *
 * Why this shape. Every body the agent accepts is untrusted bytes, from a
 * person's script (POST /switches), the other site's manager (POST
 * /peer/pair) or an appliance (PUT /appliance/status); the appliance in
 * turn trusts nothing in its manager's desired state. So each kind has one
 * validation table (STYLE.md 14, 15: key, type, range, required, default)
 * and one walker reads any body against its table; the checks that span
 * fields (gateway with gatewaySide, rangeStart <= rangeEnd, distinct port
 * groups) run after a table's fields. The result holds no pointer into the
 * JSON: fixed arrays, except a switch's port groups (up to 4094 entries,
 * allocated to the count given), which l2x_apireq_free() releases. The same
 * tables build the JSON text back (l2x_apireq_build()): the manager builds
 * the desired state and its peer/pair and enroll answers, the appliance its
 * status and its enrolment, and parse(build(x)) == x for every kind.
 *
 * Rules, the same for every kind:
 *   - The body is one JSON object (jansson json_loadb: valid UTF-8, no
 *     \u0000, no duplicate key, nothing after the value, at most
 *     JSON_PARSER_MAX_DEPTH levels). Anything else: "malformed JSON at line
 *     L column C: <jansson's text>" or "body: must be a JSON object". The
 *     body size is the HTTP layer's to cap (64 KiB -> 413); nothing here
 *     depends on it.
 *   - Unknown fields are refused, at every level: "unknown field
 *     'destination.foo'". They are found before any value is read.
 *   - Fields are then read in table order (the order of the structs below);
 *     the first error ends the parse. Nested fields are named by their
 *     path: "portGroups[3].vlan", "destination.vlan".
 *   - A missing required field: "name: required". null counts as absent
 *     for an optional field; for a required one it is a wrong type.
 *   - Wrong types: "vlan: must be an integer" (1.0 and "1" are not),
 *     "name: must be a string", "portGroups: must be an array".
 *   - Integers: "vlan: 4095 is outside 1..4094".
 *   - Names: 1..31 characters of [A-Za-z0-9_.-] (config.h's names, the
 *     control protocol's L2X_CTL_NAME_LEN).
 *   - IPv4 addresses: dotted quads, strict (inet_pton: no leading zeros, no
 *     short forms), unicast (not 0/8, 127/8, 224/4, 240/4). ADDR/LEN: a
 *     prefix length 1..32, and for LEN <= 30 not the subnet's network or
 *     broadcast address. The same rules as the configuration file's.
 *   - URLs: exactly "https://HOST:PORT" with an optional "/" after it;
 *     HOST is a dotted quad (as above, but 127/8 is allowed: two managers
 *     may share a host), "[IPv6]" (not ::, not multicast, no zone) or a DNS
 *     name (RFC 1123 labels of [A-Za-z0-9-], 1..63 characters, no '-' at
 *     either end; digits and dots alone are read as IPv4); PORT 1..65535
 *     without leading zeros. At most 255 characters.
 *   - Token IDs: exactly 16 lowercase hex digits (L2X_APITOKEN_ID_LEN),
 *     the public half of a one-use token "ID.SECRET" (apitoken.h). Not a
 *     secret, but a value of the wrong length is not quoted: it may be a
 *     whole token.
 *   - Certificates: one PEM certificate (RFC 7468 section 5: the BEGIN
 *     CERTIFICATE line, base64 lines, the END line, an optional final line
 *     break), 1..8192 characters. Whether it is a valid X.509 certificate
 *     is tlsid's to say, not ours.
 *   - Secrets (the site pairing's token, the PSK, the pairing and
 *     enrolment MACs) are never quoted in a message, and a body holding one
 * never has its text quoted in a malformed-JSON message either (jansson's "near
 * '...'" is cut).
 *
 * Errors carry an HTTP status: 400 for every refusal above, 500 when
 * memory ran out. Their JSON text is l2x_apireq_err_json()'s:
 *   {"error":{"status":400,"message":"vlan: 4095 is outside 1..4094",
 *             "field":"vlan"}}
 * (`field` only when one field is at fault). Messages and fields are
 * printable ASCII: a byte of the body outside it is shown as \xNN, and a
 * quoted value is cut after 48 bytes with "...".
 *
 * Secrets in memory. Structs holding a token, MAC or PSK are wiped by
 * l2x_apireq_free() (sodium_memzero), as is every output of a failed
 * parse; the string values of the parsed jansson tree are wiped before it
 * is freed, and so is the tree l2x_apireq_build() dumps. jansson's own
 * lexer and dump buffers are freed unwiped unless the process installs
 * wiping allocators (json_set_alloc_funcs), which is main()'s choice; the
 * text l2x_apireq_build() returns is the caller's to wipe.
 *
 * Thread-safety: no global state; the tables are const. Call from any
 * thread, one output struct per caller.
 */
#ifndef L2X_APIREQ_H
#define L2X_APIREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/apitoken.h"
#include "control/config.h"

/* ---- limits ------------------------------------------------------------- */

/* Names: 1..31 characters of [A-Za-z0-9_.-] + NUL. */
#define L2X_APIREQ_NAME_LEN L2X_CONFIG_NAME_LEN
/* The site pairing's token (POST /sitePairings): 1..255 characters of
 * RFC 6750 section 2.1's b64token set [A-Za-z0-9-._~+/=] + NUL. */
#define L2X_APIREQ_TOKEN_LEN 256
/* URLs: 1..255 characters + NUL; a host name at most 253 (RFC 1035). */
#define L2X_APIREQ_URL_LEN 256
#define L2X_APIREQ_HOST_LEN 254
/* A PEM certificate: 1..8192 characters + NUL. */
#define L2X_APIREQ_PEM_MAX 8192
/* The pairing and enrolment MACs: 32 bytes, 64 hex digits in the JSON. */
#define L2X_APIREQ_MAC_LEN 32
/* The IKE PSK, decoded: 16..64 bytes (l2x-ike's L2X_IKE_PSK_MIN). */
#define L2X_APIREQ_PSK_MIN 16
#define L2X_APIREQ_PSK_MAX 64
/* IKE identities: 1..127 printable ASCII characters + NUL. */
#define L2X_APIREQ_ID_LEN L2X_CONFIG_ID_LEN
/* Port groups of one switch: 0..4094 (one per VLAN at most). */
#define L2X_APIREQ_PORT_GROUPS_MAX 4094
/* Switches of a compute profile or a service mesh. */
#define L2X_APIREQ_SWITCHES_MAX 64
/* Appliance pairs per switch of a service mesh. */
#define L2X_APIREQ_PAIRS_MAX 16
/* Networks of one appliance: the configuration's maximum. */
#define L2X_APIREQ_NETWORKS_MAX L2X_CONFIG_NETWORKS_MAX
/* desired.pollMs: how soon the appliance should ask again. */
#define L2X_APIREQ_POLL_MS_MIN 100
#define L2X_APIREQ_POLL_MS_MAX 5000
/* The status's last error: 0..255 printable ASCII characters + NUL. */
#define L2X_APIREQ_ERROR_LEN 256
/* Pairing token lifetime, seconds. */
#define L2X_APIREQ_TTL_MIN 60
#define L2X_APIREQ_TTL_MAX 86400
#define L2X_APIREQ_TTL_DEFAULT 900
/* MTUs (network profiles, the uplink). */
#define L2X_APIREQ_MTU_MIN 576
#define L2X_APIREQ_MTU_MAX 9216
#define L2X_APIREQ_MTU_DEFAULT 1500

/* ---- the request kinds -------------------------------------------------- */

/* One per body shape; l2x_apireq_kind_name() gives the API's word. */
enum l2x_apireq_kind {
	L2X_APIREQ_PAIRING_TOKEN,     /* POST /pairingTokens */
	L2X_APIREQ_SITE_PAIRING,      /* POST /sitePairings */
	L2X_APIREQ_SWITCH,	      /* POST /switches, PUT /switches/{name} */
	L2X_APIREQ_NETWORK_PROFILE,   /* POST /networkProfiles */
	L2X_APIREQ_COMPUTE_PROFILE,   /* POST /computeProfiles */
	L2X_APIREQ_SERVICE_MESH,      /* POST /serviceMeshes */
	L2X_APIREQ_NETWORK_EXTENSION, /* POST /networkExtensions */
	L2X_APIREQ_PEER_PAIR,	      /* POST /peer/pair */
	L2X_APIREQ_PEER_PAIR_REPLY,   /* its answer */
	L2X_APIREQ_ENROLL,	      /* POST /enroll */
	L2X_APIREQ_ENROLL_REPLY,      /* its answer */
	L2X_APIREQ_DESIRED,	      /* GET /appliance/desired */
	L2X_APIREQ_STATUS,	      /* PUT /appliance/status */
	L2X_APIREQ_MESH_PATCH,	      /* PATCH /serviceMeshes/{name} */
	L2X_APIREQ_KIND_COUNT,
};

/* ---- values ------------------------------------------------------------- */

enum l2x_apireq_token_kind {
	L2X_APIREQ_TOKEN_SITE = 0,
	L2X_APIREQ_TOKEN_APPLIANCE = 1,
};

/* serviceMesh.auth: only "psk" so far. */
enum l2x_apireq_auth {
	L2X_APIREQ_AUTH_PSK = 0,
};

/* status.dataplane and status.ike. */
enum l2x_apireq_proc {
	L2X_APIREQ_PROC_STOPPED = 0,
	L2X_APIREQ_PROC_STARTING = 1,
	L2X_APIREQ_PROC_RUNNING = 2,
};

/* status.tunnel. */
enum l2x_apireq_link {
	L2X_APIREQ_LINK_DOWN = 0,
	L2X_APIREQ_LINK_UP = 1,
};

/* status.ikeSa. */
enum l2x_apireq_ike_sa {
	L2X_APIREQ_IKE_SA_NONE = 0,
	L2X_APIREQ_IKE_SA_CONNECTING = 1,
	L2X_APIREQ_IKE_SA_ESTABLISHED = 2,
};

/* A checked URL. */
struct l2x_apireq_url {
	char text[L2X_APIREQ_URL_LEN];	/* "https://HOST:PORT", no final '/' */
	char host[L2X_APIREQ_HOST_LEN]; /* an IPv6 host without brackets */
	uint16_t port;			/* 1..65535 */
};

/* ---- people's bodies ---------------------------------------------------- */

/* POST /pairingTokens {"kind", "ttlSeconds"} */
struct l2x_apireq_pairing_token {
	enum l2x_apireq_token_kind kind; /* (R) site | appliance */
	uint32_t ttl_seconds;		 /* 60..86400, default 900 */
};

/* POST /sitePairings {"url", "token"} */
struct l2x_apireq_site_pairing {
	struct l2x_apireq_url url;	  /* (R) the other manager */
	char token[L2X_APIREQ_TOKEN_LEN]; /* (R) secret: its pairing token */
};

/* switch.portGroups[i] {"name", "vlan"}; names and VLANs distinct. */
struct l2x_apireq_port_group {
	char name[L2X_APIREQ_NAME_LEN]; /* (R) */
	uint16_t vlan;			/* (R) 1..4094 */
};

/* POST /switches, PUT /switches/{name} {"name", "portGroups"} */
struct l2x_apireq_switch {
	char name[L2X_APIREQ_NAME_LEN]; /* (R) */
	/* 0..4094 entries, default none; allocated (NULL when none): release
	 * with l2x_apireq_free() or l2x_apireq_switch_free(). */
	struct l2x_apireq_port_group *port_groups;
	uint32_t n_port_groups;
};

/* POST /networkProfiles {"name", "rangeStart", "rangeEnd", "prefix",
 * "gateway", "mtu"}. The range lies in one subnet of the prefix, holds
 * neither its network nor its broadcast address (prefix <= 30) and is in
 * order; the gateway is in that subnet (not its network or broadcast
 * address) and outside the range. Addresses in host order. */
struct l2x_apireq_network_profile {
	char name[L2X_APIREQ_NAME_LEN]; /* (R) */
	uint32_t range_start;		/* (R) */
	uint32_t range_end;		/* (R) >= range_start */
	uint8_t prefix;			/* (R) 1..32 */
	uint32_t gateway;		/* 0 = none */
	uint16_t mtu;			/* 576..9216, default 1500 */
};

/* POST /computeProfiles {"name", "switches", "networkProfile"} */
struct l2x_apireq_compute_profile {
	char name[L2X_APIREQ_NAME_LEN]; /* (R) */
	/* (R) 1..64 distinct switch names */
	char switches[L2X_APIREQ_SWITCHES_MAX][L2X_APIREQ_NAME_LEN];
	uint32_t n_switches;
	char network_profile[L2X_APIREQ_NAME_LEN]; /* (R) */
};

/* serviceMesh.switches[i] {"switch", "remoteSwitch", "appliancePairs"};
 * switches and remote switches distinct within a mesh. */
struct l2x_apireq_mesh_switch {
	char switch_name[L2X_APIREQ_NAME_LEN];	 /* (R) "switch" */
	char remote_switch[L2X_APIREQ_NAME_LEN]; /* (R) */
	uint32_t appliance_pairs;		 /* 1..16, default 1 */
};

/* POST /serviceMeshes {"name", "localComputeProfile",
 * "remoteComputeProfile", "switches", "auth"} */
struct l2x_apireq_service_mesh {
	char name[L2X_APIREQ_NAME_LEN];			  /* (R) */
	char local_compute_profile[L2X_APIREQ_NAME_LEN];  /* (R) */
	char remote_compute_profile[L2X_APIREQ_NAME_LEN]; /* (R) */
	struct l2x_apireq_mesh_switch switches[L2X_APIREQ_SWITCHES_MAX];
	uint32_t n_switches;	   /* (R) 1..64 */
	enum l2x_apireq_auth auth; /* default psk */
};

/* PATCH /serviceMeshes/{name} switches[i] {"switch", "appliancePairs"}:
 * the new pair count of one of the mesh's switches. */
struct l2x_apireq_mesh_scale {
	char switch_name[L2X_APIREQ_NAME_LEN]; /* (R) "switch", distinct */
	uint32_t appliance_pairs;	       /* (R) 1..16 */
};

/* PATCH /serviceMeshes/{name} {"switches", "rebalance", "clearHeld"}:
 * scale out or in (then rebalance those switches), rebalance every
 * switch of the mesh now, release pairs held out after repeated
 * failures. At least one of them (an empty list is none). */
struct l2x_apireq_mesh_patch {
	struct l2x_apireq_mesh_scale switches[L2X_APIREQ_SWITCHES_MAX];
	uint32_t n_switches;			      /* 0..64 */
	bool rebalance;				      /* default false */
	uint32_t clear_held[L2X_APIREQ_SWITCHES_MAX]; /* pair ids, distinct */
	uint32_t n_clear_held;			      /* 0..64 */
};

/* networkExtension.destination {"switch", "vlan"} */
struct l2x_apireq_destination {
	char switch_name[L2X_APIREQ_NAME_LEN]; /* (R) "switch" */
	uint16_t vlan;			       /* (R) 1..4094 */
};

/* POST /networkExtensions {"switch", "portGroup", "destination",
 * "gateway", "gatewaySide", "mssClamp"} */
struct l2x_apireq_network_extension {
	char switch_name[L2X_APIREQ_NAME_LEN];	   /* (R) "switch" */
	char port_group[L2X_APIREQ_NAME_LEN];	   /* (R) */
	struct l2x_apireq_destination destination; /* (R) */
	struct l2x_config_prefix gateway;	   /* ADDR/LEN; len 0 = none */
	/* local | remote: required with gateway, refused without it */
	enum l2x_config_gw_side gateway_side;
	/* "auto" | "off" | 536..9176 (L2X_CONFIG_MSS_*), default auto */
	uint16_t mss_clamp;
};

/* ---- agent-to-agent bodies ---------------------------------------------- */

/* First contact (site pairing, enrolment) runs over TLS that no pin
 * authenticates yet, so the one-use token itself never travels: an active
 * man in the middle would learn it. The caller sends the token's public ID
 * and proves it holds the whole token with a MAC,
 *   mac = HMAC-SHA-256(BLAKE2b-256(token), label | certificate | ...);
 * the answer proves the same back. Checking the MACs is the caller's;
 * here they are 32 bytes, whatever their value. */

/* POST /peer/pair {"tokenId", "name", "url", "certificate", "mac"} */
struct l2x_apireq_peer_pair {
	char token_id[L2X_APITOKEN_ID_LEN + 1];	  /* (R) the token's ID */
	char name[L2X_APIREQ_NAME_LEN];		  /* (R) the calling site */
	struct l2x_apireq_url url;		  /* (R) where it answers */
	char certificate[L2X_APIREQ_PEM_MAX + 1]; /* (R) PEM */
	uint8_t mac[L2X_APIREQ_MAC_LEN];	  /* (R) 64 hex digits */
};

/* The answer to POST /peer/pair {"name", "certificate", "mac"} */
struct l2x_apireq_peer_pair_reply {
	char name[L2X_APIREQ_NAME_LEN];		  /* (R) */
	char certificate[L2X_APIREQ_PEM_MAX + 1]; /* (R) PEM */
	uint8_t mac[L2X_APIREQ_MAC_LEN];	  /* (R) 64 hex digits */
};

/* POST /enroll {"tokenId", "name", "switch", "certificate", "mac"} */
struct l2x_apireq_enroll {
	char token_id[L2X_APITOKEN_ID_LEN + 1];	  /* (R) the token's ID */
	char name[L2X_APIREQ_NAME_LEN];		  /* (R) the appliance */
	char switch_name[L2X_APIREQ_NAME_LEN];	  /* (R) "switch" */
	char certificate[L2X_APIREQ_PEM_MAX + 1]; /* (R) PEM */
	uint8_t mac[L2X_APIREQ_MAC_LEN];	  /* (R) 64 hex digits */
};

/* The answer to POST /enroll {"site", "certificate", "mac"} */
struct l2x_apireq_enroll_reply {
	char site[L2X_APIREQ_NAME_LEN];		  /* (R) the manager's site */
	char certificate[L2X_APIREQ_PEM_MAX + 1]; /* (R) PEM */
	uint8_t mac[L2X_APIREQ_MAC_LEN];	  /* (R) 64 hex digits */
};

/* ---- desired state (manager -> appliance) ------------------------------- */

/* desired.uplink {"address", "gateway", "mtu"}: the gateway is inside the
 * address's subnet and is not the address. */
struct l2x_apireq_uplink {
	struct l2x_config_prefix address; /* (R) ADDR/LEN */
	uint32_t gateway;		  /* 0 = none: the peer is on-link */
	uint16_t mtu;			  /* 576..9216, default 1500 */
};

/* desired.peer {"address", "localId", "remoteId", "role", "psk"}: the
 * address is not the uplink's, and on-link when the uplink has no
 * gateway. */
struct l2x_apireq_peer {
	uint32_t address;		   /* (R) */
	char local_id[L2X_APIREQ_ID_LEN];  /* "" = not given */
	char remote_id[L2X_APIREQ_ID_LEN]; /* "" = not given */
	enum l2x_config_role role;	   /* (R) initiator | responder */
	uint8_t psk[L2X_APIREQ_PSK_MAX];   /* (R) secret: base64 (RFC */
	uint32_t psk_len;		   /* 4648 section 4), 16..64 bytes */
};

/* desired.tunnel {"encap", "innerLocal", "innerRemote"} */
struct l2x_apireq_tunnel {
	enum l2x_config_encap encap; /* gre | vxlan, default gre */
	uint32_t inner_local;	     /* (R) */
	uint32_t inner_remote;	     /* (R) not inner_local */
};

/* desired.networks[i] {"name", "vlan", "tunnelId", "gateway",
 * "gatewaySide", "mssClamp"}: names, VLANs and tunnel ids distinct. */
struct l2x_apireq_network {
	char name[L2X_APIREQ_NAME_LEN]; /* (R) */
	uint16_t vlan;			/* (R) 1..4094 */
	uint32_t tunnel_id; /* (R) 1..4294967295; vxlan: ..16777215 */
	struct l2x_config_prefix gateway;     /* len 0 = none */
	enum l2x_config_gw_side gateway_side; /* with gateway only */
	uint16_t mss_clamp; /* L2X_CONFIG_MSS_*, default auto */
};

/* GET /appliance/desired. uplink, peer and tunnel come together or not at
 * all (absent or null: the appliance is in no mesh pair and runs
 * nothing); the has_ flags say which. */
struct l2x_apireq_desired {
	uint64_t generation; /* (R) 0..2^63-1 */
	uint32_t poll_ms;    /* "pollMs" 100..5000; 0: absent (500 ms) */
	bool has_uplink, has_peer, has_tunnel;
	struct l2x_apireq_uplink uplink;
	struct l2x_apireq_peer peer;
	struct l2x_apireq_tunnel tunnel;
	/* 0..4094 entries, default none */
	struct l2x_apireq_network networks[L2X_APIREQ_NETWORKS_MAX];
	uint32_t n_networks;
};

/* ---- status (appliance -> manager) -------------------------------------- */

/* status.counters: all five required when counters is given. */
struct l2x_apireq_counters {
	uint64_t rx_lan, tx_lan;       /* "rxLan", "txLan" */
	uint64_t rx_tunnel, tx_tunnel; /* "rxTunnel", "txTunnel" */
	uint64_t drops;		       /* "drops" */
};

/* PUT /appliance/status */
struct l2x_apireq_status {
	uint64_t generation;		/* (R) the desired state applied */
	enum l2x_apireq_proc dataplane; /* (R) running|starting|stopped */
	enum l2x_apireq_proc ike;	/* (R) as dataplane */
	enum l2x_apireq_link tunnel;	/* (R) up | down */
	enum l2x_apireq_ike_sa ike_sa;	/* (R) established|connecting|none */
	bool child_sa;			/* (R) "childSa" */
	/* the networks the dataplane holds: 0..4094 distinct names */
	char networks[L2X_APIREQ_NETWORKS_MAX][L2X_APIREQ_NAME_LEN];
	uint32_t n_networks;
	struct l2x_apireq_counters counters; /* default all 0 */
	/* last convergence error, "" = none; printable ASCII (a build
	 * turns any other byte into '?') */
	char error[L2X_APIREQ_ERROR_LEN];
};

/* Every body, for callers that hold any kind (the fuzz harness). */
union l2x_apireq_body {
	struct l2x_apireq_pairing_token pairing_token;
	struct l2x_apireq_site_pairing site_pairing;
	struct l2x_apireq_switch sw;
	struct l2x_apireq_network_profile network_profile;
	struct l2x_apireq_compute_profile compute_profile;
	struct l2x_apireq_service_mesh service_mesh;
	struct l2x_apireq_mesh_patch mesh_patch;
	struct l2x_apireq_network_extension network_extension;
	struct l2x_apireq_peer_pair peer_pair;
	struct l2x_apireq_peer_pair_reply peer_pair_reply;
	struct l2x_apireq_enroll enroll;
	struct l2x_apireq_enroll_reply enroll_reply;
	struct l2x_apireq_desired desired;
	struct l2x_apireq_status status;
};

/* ---- errors ------------------------------------------------------------- */

/* The one error of a refused body (or of any API answer, through
 * l2x_apireq_fail()). */
struct l2x_apireq_err {
	int status;	   /* HTTP status: 400, 500 (or the caller's) */
	char field[96];	   /* path of the field at fault, "" = none */
	char message[200]; /* "FIELD: what is wrong", or a sentence */
};

/*
 * Fill err, for answers other than a parse's (404, 409, ...), in the same
 * shape: message is "FIELD: TEXT" when field is given, else TEXT.
 *   err     the error to fill.
 *   status  the HTTP status.
 *   field   the field at fault, or NULL.
 *   fmt     printf format of TEXT.
 * Returns -EINVAL.
 */
int l2x_apireq_fail(struct l2x_apireq_err *err, int status, const char *field,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * The JSON text of an error: {"error":{"status":S,"message":M,"field":F}},
 * "field" left out when err->field is empty.
 *   err  the error.
 * Returns a NUL-terminated string to free(), or NULL when memory ran out.
 */
char *l2x_apireq_err_json(const struct l2x_apireq_err *err);

/* ---- parse, build, compare, free ---------------------------------------- */

/*
 * Parse and validate a body of the given kind.
 *   kind  which body.
 *   body  the bytes, not necessarily NUL-terminated (NULL when len is 0).
 *   len   their count.
 *   out   the kind's struct (see l2x_apireq_size()); zeroed first, filled
 *         on success (release with l2x_apireq_free()), wiped and zeroed
 *         on failure (nothing to free).
 *   err   filled on failure; may be NULL.
 * Returns 0, -EINVAL (err->status 400) or -ENOMEM (500).
 */
int l2x_apireq_parse(enum l2x_apireq_kind kind, const char *body, size_t len,
		     void *out, struct l2x_apireq_err *err);

/*
 * The JSON text of a body (compact, fields in table order, absent optional
 * fields left out, defaults written). For a struct that
 * l2x_apireq_parse() produced, parsing the text gives the same struct;
 * another struct may build text that does not parse.
 *   kind  which body.
 *   in    the kind's struct.
 * Returns a NUL-terminated string to free() (to wipe first when the kind
 * holds a secret), or NULL when memory ran out or a required enum holds a
 * value that has no word.
 */
char *l2x_apireq_build(enum l2x_apireq_kind kind, const void *in);

/*
 * Whether two structs of a kind hold the same values, field by field
 * (port group arrays by their content, not their address).
 */
bool l2x_apireq_equal(enum l2x_apireq_kind kind, const void *a, const void *b);

/*
 * Release what a parsed struct holds (port group arrays) and wipe it
 * (sodium_memzero); it is then zeroed and may be parsed into again.
 * NULL is accepted.
 */
void l2x_apireq_free(enum l2x_apireq_kind kind, void *p);

/* Size of a kind's struct (0 for a kind outside the enum). */
size_t l2x_apireq_size(enum l2x_apireq_kind kind);

/* The API's word for a kind ("networkExtension"), "?" outside the enum. */
const char *l2x_apireq_kind_name(enum l2x_apireq_kind kind);

/* ---- one function per kind (typed forms of the above) ------------------- */

int l2x_apireq_parse_pairing_token(const char *body, size_t len,
				   struct l2x_apireq_pairing_token *out,
				   struct l2x_apireq_err *err);
int l2x_apireq_parse_site_pairing(const char *body, size_t len,
				  struct l2x_apireq_site_pairing *out,
				  struct l2x_apireq_err *err);
int l2x_apireq_parse_switch(const char *body, size_t len,
			    struct l2x_apireq_switch *out,
			    struct l2x_apireq_err *err);
int l2x_apireq_parse_network_profile(const char *body, size_t len,
				     struct l2x_apireq_network_profile *out,
				     struct l2x_apireq_err *err);
int l2x_apireq_parse_compute_profile(const char *body, size_t len,
				     struct l2x_apireq_compute_profile *out,
				     struct l2x_apireq_err *err);
int l2x_apireq_parse_service_mesh(const char *body, size_t len,
				  struct l2x_apireq_service_mesh *out,
				  struct l2x_apireq_err *err);
int l2x_apireq_parse_mesh_patch(const char *body, size_t len,
				struct l2x_apireq_mesh_patch *out,
				struct l2x_apireq_err *err);
int l2x_apireq_parse_network_extension(const char *body, size_t len,
				       struct l2x_apireq_network_extension *out,
				       struct l2x_apireq_err *err);
int l2x_apireq_parse_peer_pair(const char *body, size_t len,
			       struct l2x_apireq_peer_pair *out,
			       struct l2x_apireq_err *err);
int l2x_apireq_parse_peer_pair_reply(const char *body, size_t len,
				     struct l2x_apireq_peer_pair_reply *out,
				     struct l2x_apireq_err *err);
int l2x_apireq_parse_enroll(const char *body, size_t len,
			    struct l2x_apireq_enroll *out,
			    struct l2x_apireq_err *err);
int l2x_apireq_parse_enroll_reply(const char *body, size_t len,
				  struct l2x_apireq_enroll_reply *out,
				  struct l2x_apireq_err *err);
int l2x_apireq_parse_desired(const char *body, size_t len,
			     struct l2x_apireq_desired *out,
			     struct l2x_apireq_err *err);
int l2x_apireq_parse_status(const char *body, size_t len,
			    struct l2x_apireq_status *out,
			    struct l2x_apireq_err *err);

/* The manager's desired state and the appliance's status as JSON text;
 * as l2x_apireq_build(). The desired text holds the PSK: wipe it. */
char *l2x_apireq_build_desired(const struct l2x_apireq_desired *d);
char *l2x_apireq_build_status(const struct l2x_apireq_status *s);

/* Release a switch's port groups and zero it; NULL is accepted. */
void l2x_apireq_switch_free(struct l2x_apireq_switch *sw);

#endif /* L2X_APIREQ_H */
