/* SPDX-License-Identifier: MIT */
/*
 * config_fields.c - the configuration schema as data: one field table per
 * YAML mapping (key, type, range, destination, required), the defaults,
 * and the checks that relate fields to each other. The prose version of
 * these tables is the comment at the top of config.h; keep both in step.
 *
 * Tables are read in their order, which is why ports come before peer
 * (the peer is checked against the uplink subnet) and tunnel and bridge
 * before networks (VXLAN ids, MAC limit defaults).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "control/config.h"
#include "control/config_priv.h"
#include "control/netidx.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Destination of a field: offset and size of member m of struct st. */
#define AT(st, m) .off = offsetof(st, m), .size = sizeof(((st *)0)->m)
#define TABLE(fields, init_fn, check_fn)                               \
	{                                                              \
		.f = fields, .n = ARRAY_SIZE(fields), .init = init_fn, \
		.check = check_fn                                      \
	}

#define NAME_MAX_CHARS (L2X_CONFIG_NAME_LEN - 1)
#define DEVICE_MAX_CHARS (L2X_CONFIG_DEVICE_LEN - 1)
#define MAC_LIMIT_MAX (1u << 24)
#define VNI_MAX 0xffffffu

/* Defaults (config.h lists them with the schema). */
#define DEF_WORKER 1
#define DEF_MEMORY_MB 256
#define DEF_MTU 1500
#define DEF_IKE_PROPOSALS "aes256gcm16-prfsha256-x25519"
#define DEF_IKE_LIFETIME 3600
#define DEF_CHILD_LIFETIME 1200
#define DEF_DPD_DELAY 10
#define DEF_REPLAY_WINDOW 1024
#define DEF_AGING 300
#define DEF_MAC_LIMIT 4096
#define DEF_BUM_PPS 20000
#define DEF_MAC_TABLE_SIZE 65536
#define BUM_PPS_MAX 100000000u
#define DEF_SOCKET_FMT "/run/l2x/%s.sock"

_Static_assert(sizeof(enum l2x_config_role) == sizeof(uint32_t), "enum");
_Static_assert(sizeof(enum l2x_config_alg) == sizeof(uint32_t), "enum");

/* ---- words -------------------------------------------------------------- */

static const struct l2x_cfg_word role_words[] = {
    {"initiator", L2X_CONFIG_ROLE_INITIATOR},
    {"responder", L2X_CONFIG_ROLE_RESPONDER},
    {NULL, 0},
};
static const struct l2x_cfg_word lan_mode_words[] = {
    {"trunk", L2X_CONFIG_LAN_TRUNK},
    {"access", L2X_CONFIG_LAN_ACCESS},
    {NULL, 0},
};
static const struct l2x_cfg_word encap_words[] = {
    {"gre", L2X_CONFIG_ENCAP_GRE},
    {"vxlan", L2X_CONFIG_ENCAP_VXLAN},
    {NULL, 0},
};
/* The only ESP transforms l2x speaks (DESIGN.md, "Wire format"). */
static const struct l2x_cfg_word alg_words[] = {
    {"aes256gcm16", L2X_CONFIG_ALG_AES256GCM16},
    {"chacha20poly1305", L2X_CONFIG_ALG_CHACHA20POLY1305},
    {NULL, 0},
};
static const struct l2x_cfg_word gw_side_words[] = {
    {"local", L2X_CONFIG_GW_LOCAL},
    {"remote", L2X_CONFIG_GW_REMOTE},
    {NULL, 0},
};
static const struct l2x_cfg_word dir_words[] = {
    {"in", L2X_CONFIG_DIR_IN},
    {"out", L2X_CONFIG_DIR_OUT},
    {NULL, 0},
};
static const struct l2x_cfg_word mss_words[] = {
    {"auto", L2X_CONFIG_MSS_AUTO},
    {"off", L2X_CONFIG_MSS_OFF},
    {NULL, 0},
};

const char *l2x_config_role_name(enum l2x_config_role v)
{
	return l2x_cfg_word_name(role_words, v);
}

const char *l2x_config_lan_mode_name(enum l2x_config_lan_mode v)
{
	return l2x_cfg_word_name(lan_mode_words, v);
}

const char *l2x_config_encap_name(enum l2x_config_encap v)
{
	return l2x_cfg_word_name(encap_words, v);
}

const char *l2x_config_alg_name(enum l2x_config_alg v)
{
	return l2x_cfg_word_name(alg_words, v);
}

const char *l2x_config_gw_side_name(enum l2x_config_gw_side v)
{
	return v == L2X_CONFIG_GW_NONE ? "none"
				       : l2x_cfg_word_name(gw_side_words, v);
}

const char *l2x_config_dir_name(enum l2x_config_dir v)
{
	return l2x_cfg_word_name(dir_words, v);
}

/* ---- appliance, dataplane ----------------------------------------------- */

static const struct l2x_cfg_field appliance_fields[] = {
    {.key = "name",
     .type = CFG_STR,
     .flags = CFG_REQ,
     .lo = 1,
     .hi = NAME_MAX_CHARS,
     .cs = CFG_CS_NAME,
     AT(struct l2x_config_appliance, name)},
    {.key = "role",
     .type = CFG_ENUM,
     .flags = CFG_REQ,
     .words = role_words,
     AT(struct l2x_config_appliance, role)},
};

static const struct l2x_cfg_field lcore_elem = {.type = CFG_INT,
						.lo = 0,
						.hi = L2X_CONFIG_LCORE_MAX,
						.size = sizeof(uint32_t)};

static int lcores_check(struct l2x_cfg_ctx *c, void *obj,
			const struct l2x_cfg_lines *l)
{
	const struct l2x_config_lcores *lc = obj;
	char key[24];

	for (uint32_t i = 0; i < lc->n_workers; i++) {
		if (lc->workers[i] != lc->main)
			continue;
		if (!l2x_cfg_given(l, "workers"))
			return l2x_cfg_fail(c, l2x_cfg_line(l, "main"), "main",
					    "%u is the default worker lcore "
					    "(workers: [%u]); give workers",
					    lc->main, DEF_WORKER);
		snprintf(key, sizeof(key), "workers[%u]", i);
		return l2x_cfg_fail(c, l2x_cfg_line(l, "workers"), key,
				    "%u is the main lcore", lc->main);
	}
	return 0;
}

static const struct l2x_cfg_field lcores_fields[] = {
    {.key = "main",
     .type = CFG_INT,
     .lo = 0,
     .hi = L2X_CONFIG_LCORE_MAX,
     AT(struct l2x_config_lcores, main)},
    {.key = "workers",
     .type = CFG_LIST,
     .flags = CFG_DISTINCT,
     .lo = 1,
     .hi = L2X_CONFIG_WORKERS_MAX,
     .elem = &lcore_elem,
     .aux = offsetof(struct l2x_config_lcores, n_workers),
     AT(struct l2x_config_lcores, workers)},
};
static const struct l2x_cfg_table lcores_table =
    TABLE(lcores_fields, NULL, lcores_check);

static const struct l2x_cfg_field dataplane_fields[] = {
    {.key = "lcores",
     .type = CFG_MAP,
     .map = &lcores_table,
     AT(struct l2x_config_dataplane, lcores)},
    {.key = "memory_mb",
     .type = CFG_INT,
     .lo = 64,
     .hi = 65536,
     AT(struct l2x_config_dataplane, memory_mb)},
    {.key = "no_huge",
     .type = CFG_BOOL,
     AT(struct l2x_config_dataplane, no_huge)},
    {.key = "control_socket",
     .type = CFG_SOCKET,
     .lo = 1,
     .hi = L2X_CONFIG_SOCKET_LEN - 1,
     .cs = CFG_CS_NOSPACE,
     AT(struct l2x_config_dataplane, control_socket)},
};

/* ---- ports -------------------------------------------------------------- */

static int lan_check(struct l2x_cfg_ctx *c, void *obj,
		     const struct l2x_cfg_lines *l)
{
	(void)obj;
	c->lan_mode_line = l2x_cfg_line(l, "mode");
	return 0;
}

static const struct l2x_cfg_field lan_fields[] = {
    {.key = "device",
     .type = CFG_STR,
     .flags = CFG_REQ,
     .lo = 1,
     .hi = DEVICE_MAX_CHARS,
     .cs = CFG_CS_NOSPACE,
     AT(struct l2x_config_lan, device)},
    {.key = "mode",
     .type = CFG_ENUM,
     .words = lan_mode_words,
     AT(struct l2x_config_lan, mode)},
};
static const struct l2x_cfg_table lan_table =
    TABLE(lan_fields, NULL, lan_check);

/* The uplink's gateway is a neighbour on the uplink subnet. */
static int uplink_check(struct l2x_cfg_ctx *c, void *obj,
			const struct l2x_cfg_lines *l)
{
	const struct l2x_config_uplink *u = obj;
	uint32_t mask = l2x_config_mask(u->address.len);
	uint32_t line = l2x_cfg_line(l, "gateway");
	char gw[16], net[16];

	if (u->gateway == 0)
		return 0;
	l2x_config_ip(u->gateway, gw);
	l2x_config_ip(u->address.addr & mask, net);
	if (u->gateway == u->address.addr)
		return l2x_cfg_fail(c, line, "gateway",
				    "%s is the uplink's own address", gw);
	if ((u->gateway & mask) != (u->address.addr & mask))
		return l2x_cfg_fail(c, line, "gateway",
				    "%s is outside the uplink subnet %s/%u", gw,
				    net, u->address.len);
	if (u->address.len <= 30 &&
	    ((u->gateway & ~mask) == 0 || (u->gateway & ~mask) == ~mask))
		return l2x_cfg_fail(
		    c, line, "gateway",
		    "%s is the %s address of the uplink "
		    "subnet %s/%u",
		    gw, (u->gateway & ~mask) ? "broadcast" : "network", net,
		    u->address.len);
	return 0;
}

static const struct l2x_cfg_field uplink_fields[] = {
    {.key = "device",
     .type = CFG_STR,
     .flags = CFG_REQ,
     .lo = 1,
     .hi = DEVICE_MAX_CHARS,
     .cs = CFG_CS_NOSPACE,
     AT(struct l2x_config_uplink, device)},
    {.key = "address",
     .type = CFG_PREFIX,
     .flags = CFG_REQ,
     AT(struct l2x_config_uplink, address)},
    {.key = "gateway", .type = CFG_IPV4, AT(struct l2x_config_uplink, gateway)},
    {.key = "mtu",
     .type = CFG_INT,
     .lo = 576,
     .hi = 9216,
     AT(struct l2x_config_uplink, mtu)},
};
static const struct l2x_cfg_table uplink_table =
    TABLE(uplink_fields, NULL, uplink_check);

static const struct l2x_cfg_field ports_fields[] = {
    {.key = "lan",
     .type = CFG_MAP,
     .flags = CFG_REQ,
     .map = &lan_table,
     AT(struct l2x_config_ports, lan)},
    {.key = "uplink",
     .type = CFG_MAP,
     .flags = CFG_REQ,
     .map = &uplink_table,
     AT(struct l2x_config_ports, uplink)},
};

/* ---- peer --------------------------------------------------------------- */

/* Exactly one form: a PSK, or a certificate with its key and CA. */
static int auth_check(struct l2x_cfg_ctx *c, void *obj,
		      const struct l2x_cfg_lines *l)
{
	static const char *const cert_keys[] = {"cert", "key", "ca"};
	struct l2x_config_auth *a = obj;
	const char *given = NULL, *missing = NULL;

	for (unsigned i = 0; i < ARRAY_SIZE(cert_keys); i++) {
		if (!l2x_cfg_given(l, cert_keys[i]))
			missing = missing ? missing : cert_keys[i];
		else
			given = given ? given : cert_keys[i];
	}
	if (l2x_cfg_given(l, "psk_file") && given != NULL)
		return l2x_cfg_fail(c, l2x_cfg_line(l, given), given,
				    "not with psk_file: give psk_file, or "
				    "cert, key and ca");
	if (l2x_cfg_given(l, "psk_file")) {
		a->kind = L2X_CONFIG_AUTH_PSK;
		return 0;
	}
	if (given == NULL)
		return l2x_cfg_fail(c, l->map_line, NULL,
				    "give psk_file, or cert, key and ca");
	if (missing != NULL)
		return l2x_cfg_fail(c, l->map_line, missing,
				    "missing (cert, key and ca go together)");
	a->kind = L2X_CONFIG_AUTH_CERT;
	return 0;
}

static const struct l2x_cfg_field auth_fields[] = {
    {.key = "psk_file",
     .type = CFG_SECRET,
     AT(struct l2x_config_auth, psk_file)},
    {.key = "cert", .type = CFG_FILE, AT(struct l2x_config_auth, cert)},
    {.key = "key", .type = CFG_SECRET, AT(struct l2x_config_auth, key)},
    {.key = "ca", .type = CFG_FILE, AT(struct l2x_config_auth, ca)},
};
static const struct l2x_cfg_table auth_table =
    TABLE(auth_fields, NULL, auth_check);

static const struct l2x_cfg_field alg_elem = {
    .type = CFG_ENUM, .words = alg_words, .size = sizeof(uint32_t)};

/* The peer is another host: on the uplink subnet, or behind its gateway. */
static int peer_check(struct l2x_cfg_ctx *c, void *obj,
		      const struct l2x_cfg_lines *l)
{
	const struct l2x_config_peer *p = obj;
	const struct l2x_config_uplink *u = &c->cfg->ports.uplink;
	uint32_t mask = l2x_config_mask(u->address.len);
	uint32_t line = l2x_cfg_line(l, "address");
	char ip[16], net[16];

	c->peer_line = l->map_line;
	c->auth_line = l2x_cfg_line(l, "auth");
	l2x_config_ip(p->address, ip);
	if (p->address == u->address.addr)
		return l2x_cfg_fail(c, line, "address",
				    "%s is this appliance's uplink address",
				    ip);
	if (u->gateway == 0 && (p->address & mask) != (u->address.addr & mask))
		return l2x_cfg_fail(c, line, "address",
				    "%s is outside the uplink subnet %s/%u and "
				    "ports.uplink has no gateway",
				    ip,
				    l2x_config_ip(u->address.addr & mask, net),
				    u->address.len);
	return 0;
}

static const struct l2x_cfg_field peer_fields[] = {
    {.key = "address",
     .type = CFG_IPV4,
     .flags = CFG_REQ,
     AT(struct l2x_config_peer, address)},
    {.key = "local_id",
     .type = CFG_STR,
     .lo = 1,
     .hi = L2X_CONFIG_ID_LEN - 1,
     .cs = CFG_CS_PRINT,
     AT(struct l2x_config_peer, local_id)},
    {.key = "remote_id",
     .type = CFG_STR,
     .lo = 1,
     .hi = L2X_CONFIG_ID_LEN - 1,
     .cs = CFG_CS_PRINT,
     AT(struct l2x_config_peer, remote_id)},
    {.key = "auth",
     .type = CFG_MAP,
     .map = &auth_table,
     AT(struct l2x_config_peer, auth)},
    {.key = "ike_proposals",
     .type = CFG_STR,
     .lo = 1,
     .hi = L2X_CONFIG_PROPOSAL_LEN - 1,
     .cs = CFG_CS_PROPOSAL,
     AT(struct l2x_config_peer, ike_proposals)},
    {.key = "esp_proposals",
     .type = CFG_LIST,
     .flags = CFG_COMMA | CFG_DISTINCT,
     .lo = 1,
     .hi = L2X_CONFIG_ESP_MAX,
     .elem = &alg_elem,
     .aux = offsetof(struct l2x_config_peer, n_esp),
     AT(struct l2x_config_peer, esp)},
    {.key = "ike_lifetime",
     .type = CFG_INT,
     .lo = 60,
     .hi = 86400,
     AT(struct l2x_config_peer, ike_lifetime)},
    {.key = "child_lifetime",
     .type = CFG_INT,
     .lo = 10,
     .hi = 86400,
     AT(struct l2x_config_peer, child_lifetime)},
    {.key = "dpd_delay",
     .type = CFG_INT,
     .lo = 0,
     .hi = 3600,
     AT(struct l2x_config_peer, dpd_delay)},
    {.key = "replay_window",
     .type = CFG_INT,
     .lo = 0,
     .hi = 4096,
     AT(struct l2x_config_peer, replay_window)},
};
static const struct l2x_cfg_table peer_table =
    TABLE(peer_fields, NULL, peer_check);

/* ---- tunnel, bridge ----------------------------------------------------- */

static int tunnel_check(struct l2x_cfg_ctx *c, void *obj,
			const struct l2x_cfg_lines *l)
{
	const struct l2x_config_tunnel *t = obj;
	char ip[16];

	if (t->inner_local == t->inner_remote)
		return l2x_cfg_fail(c, l2x_cfg_line(l, "inner_remote"),
				    "inner_remote", "%s is also inner_local",
				    l2x_config_ip(t->inner_remote, ip));
	return 0;
}

static const struct l2x_cfg_field tunnel_fields[] = {
    {.key = "encap",
     .type = CFG_ENUM,
     .words = encap_words,
     AT(struct l2x_config_tunnel, encap)},
    {.key = "inner_local",
     .type = CFG_IPV4,
     .flags = CFG_REQ,
     AT(struct l2x_config_tunnel, inner_local)},
    {.key = "inner_remote",
     .type = CFG_IPV4,
     .flags = CFG_REQ,
     AT(struct l2x_config_tunnel, inner_remote)},
};
static const struct l2x_cfg_table tunnel_table =
    TABLE(tunnel_fields, NULL, tunnel_check);

static const struct l2x_cfg_field bridge_fields[] = {
    {.key = "aging",
     .type = CFG_INT,
     .lo = 10,
     .hi = 1000000,
     AT(struct l2x_config_bridge, aging)},
    {.key = "mac_limit",
     .type = CFG_INT,
     .lo = 1,
     .hi = MAC_LIMIT_MAX,
     AT(struct l2x_config_bridge, mac_limit)},
    {.key = "bum_pps",
     .type = CFG_INT,
     .lo = 0,
     .hi = BUM_PPS_MAX,
     AT(struct l2x_config_bridge, bum_pps)},
    {.key = "mac_table_size",
     .type = CFG_INT,
     .lo = L2X_CONFIG_MAC_TABLE_MIN,
     .hi = L2X_CONFIG_MAC_TABLE_MAX,
     AT(struct l2x_config_bridge, mac_table_size)},
};

/* ---- networks ----------------------------------------------------------- */

static void net_init(struct l2x_cfg_ctx *c, void *obj)
{
	struct l2x_config_network *n = obj;

	n->mss_clamp = L2X_CONFIG_MSS_AUTO;
	n->mac_limit = c->cfg->bridge.mac_limit;
	n->bum_pps = c->cfg->bridge.bum_pps;
}

/* Network c->idx against the ones before it (through the context's
 * index: one probe each, not a pass over all of them), and its own
 * gateway. */
static int net_check(struct l2x_cfg_ctx *c, void *obj,
		     const struct l2x_cfg_lines *l)
{
	struct l2x_config_network *n = obj;
	const struct l2x_config_network *nets = c->cfg->networks;
	struct l2x_netidx_hit hit;
	const char *what;
	uint32_t j;

	n->line = l->map_line;
	if (c->nets == NULL &&
	    l2x_netidx_create(L2X_CONFIG_NETWORKS_MAX, &c->nets) != 0)
		return l2x_cfg_fail(c, l->map_line, NULL, "out of memory");
	(void)l2x_netidx_add(c->nets, c->idx, n->name, n->vlan, n->tunnel_id,
			     &hit);
	what = l2x_netidx_first(&hit, &j);
	if (what && strcmp(what, "name") == 0)
		return l2x_cfg_fail(c, l2x_cfg_line(l, "name"), "name",
				    "'%s' is already used by networks[%u]",
				    n->name, j);
	if (what && strcmp(what, "vlan") == 0)
		return l2x_cfg_fail(c, l2x_cfg_line(l, "vlan"), "vlan",
				    "%u is already used by networks[%u] (%s)",
				    n->vlan, j, nets[j].name);
	if (what)
		return l2x_cfg_fail(c, l2x_cfg_line(l, "tunnel_id"),
				    "tunnel_id",
				    "%u is already used by networks[%u] (%s)",
				    n->tunnel_id, j, nets[j].name);
	if (c->cfg->tunnel.encap == L2X_CONFIG_ENCAP_VXLAN &&
	    n->tunnel_id > VNI_MAX)
		return l2x_cfg_fail(c, l2x_cfg_line(l, "tunnel_id"),
				    "tunnel_id",
				    "%u is outside 1..%u (a VXLAN VNI has 24 "
				    "bits)",
				    n->tunnel_id, VNI_MAX);
	if (n->gateway.len != 0 && n->gateway_side == L2X_CONFIG_GW_NONE)
		return l2x_cfg_fail(c, l->map_line, "gateway_side",
				    "missing (required with gateway)");
	if (n->gateway.len == 0 && n->gateway_side != L2X_CONFIG_GW_NONE)
		return l2x_cfg_fail(c, l2x_cfg_line(l, "gateway_side"),
				    "gateway_side", "given without a gateway");
	return 0;
}

static const struct l2x_cfg_field net_fields[] = {
    {.key = "name",
     .type = CFG_STR,
     .flags = CFG_REQ,
     .lo = 1,
     .hi = NAME_MAX_CHARS,
     .cs = CFG_CS_NAME,
     AT(struct l2x_config_network, name)},
    {.key = "vlan",
     .type = CFG_INT,
     .flags = CFG_REQ,
     .lo = 1,
     .hi = 4094,
     AT(struct l2x_config_network, vlan)},
    {.key = "tunnel_id",
     .type = CFG_INT,
     .flags = CFG_REQ,
     .lo = 1,
     .hi = UINT32_MAX,
     AT(struct l2x_config_network, tunnel_id)},
    {.key = "gateway",
     .type = CFG_PREFIX,
     AT(struct l2x_config_network, gateway)},
    {.key = "gateway_side",
     .type = CFG_ENUM,
     .words = gw_side_words,
     AT(struct l2x_config_network, gateway_side)},
    {.key = "mss_clamp",
     .type = CFG_INT,
     .lo = L2X_CONFIG_MSS_MIN,
     .hi = L2X_CONFIG_MSS_MAX,
     .words = mss_words,
     AT(struct l2x_config_network, mss_clamp)},
    {.key = "mac_limit",
     .type = CFG_INT,
     .lo = 1,
     .hi = MAC_LIMIT_MAX,
     AT(struct l2x_config_network, mac_limit)},
    {.key = "bum_pps",
     .type = CFG_INT,
     .lo = 0,
     .hi = BUM_PPS_MAX,
     AT(struct l2x_config_network, bum_pps)},
};
static const struct l2x_cfg_table net_table =
    TABLE(net_fields, net_init, net_check);
static const struct l2x_cfg_field net_elem = {
    .type = CFG_MAP,
    .map = &net_table,
    .size = sizeof(struct l2x_config_network)};

/* ---- static SAs --------------------------------------------------------- */

static int sa_check(struct l2x_cfg_ctx *c, void *obj,
		    const struct l2x_cfg_lines *l)
{
	struct l2x_config_static_sa *sa = obj;
	const struct l2x_config_static_sa *sas = c->cfg->static_sas;

	sa->line = l->map_line;
	for (uint32_t j = 0; j < c->idx; j++)
		if (sas[j].direction == sa->direction && sas[j].spi == sa->spi)
			return l2x_cfg_fail(c, l2x_cfg_line(l, "spi"), "spi",
					    "0x%08x is already used by "
					    "static_sas[%u] (direction %s)",
					    sa->spi, j,
					    l2x_config_dir_name(sa->direction));
	return 0;
}

static const struct l2x_cfg_field sa_fields[] = {
    {.key = "direction",
     .type = CFG_ENUM,
     .flags = CFG_REQ,
     .words = dir_words,
     AT(struct l2x_config_static_sa, direction)},
    /* SPIs 1..255 are reserved by IANA (RFC 4303 section 2.1) */
    {.key = "spi",
     .type = CFG_INT,
     .flags = CFG_REQ,
     .lo = 256,
     .hi = UINT32_MAX,
     AT(struct l2x_config_static_sa, spi)},
    {.key = "alg",
     .type = CFG_ENUM,
     .flags = CFG_REQ,
     .words = alg_words,
     AT(struct l2x_config_static_sa, alg)},
    {.key = "key_file",
     .type = CFG_KEYFILE,
     .flags = CFG_REQ,
     .aux = offsetof(struct l2x_config_static_sa, key),
     AT(struct l2x_config_static_sa, key_file)},
};
static const struct l2x_cfg_table sa_table = TABLE(sa_fields, NULL, sa_check);
static const struct l2x_cfg_field sa_elem = {
    .type = CFG_MAP,
    .map = &sa_table,
    .size = sizeof(struct l2x_config_static_sa)};

/* ---- the file ----------------------------------------------------------- */

static void root_init(struct l2x_cfg_ctx *c, void *obj)
{
	struct l2x_config *cfg = obj;

	(void)c;
	cfg->dataplane.lcores.workers[0] = DEF_WORKER;
	cfg->dataplane.lcores.n_workers = 1;
	cfg->dataplane.memory_mb = DEF_MEMORY_MB;
	cfg->ports.uplink.mtu = DEF_MTU;
	snprintf(cfg->peer.ike_proposals, sizeof(cfg->peer.ike_proposals), "%s",
		 DEF_IKE_PROPOSALS);
	cfg->peer.esp[0] = L2X_CONFIG_ALG_AES256GCM16;
	cfg->peer.esp[1] = L2X_CONFIG_ALG_CHACHA20POLY1305;
	cfg->peer.n_esp = 2;
	cfg->peer.ike_lifetime = DEF_IKE_LIFETIME;
	cfg->peer.child_lifetime = DEF_CHILD_LIFETIME;
	cfg->peer.dpd_delay = DEF_DPD_DELAY;
	cfg->peer.replay_window = DEF_REPLAY_WINDOW;
	cfg->bridge.aging = DEF_AGING;
	cfg->bridge.mac_limit = DEF_MAC_LIMIT;
	cfg->bridge.bum_pps = DEF_BUM_PPS;
	cfg->bridge.mac_table_size = DEF_MAC_TABLE_SIZE;
}

/* Checks across sections, once everything is read. */
static int root_check(struct l2x_cfg_ctx *c, void *obj,
		      const struct l2x_cfg_lines *l)
{
	struct l2x_config *cfg = obj;
	uint32_t dirs[2] = {0, 0};

	if (cfg->dataplane.control_socket[0] == '\0')
		snprintf(cfg->dataplane.control_socket,
			 sizeof(cfg->dataplane.control_socket), DEF_SOCKET_FMT,
			 cfg->appliance.name);
	if (cfg->n_static_sas == 0 &&
	    cfg->peer.auth.kind == L2X_CONFIG_AUTH_NONE)
		return l2x_cfg_fail(c, c->peer_line, "peer.auth",
				    "missing (required unless static_sas are "
				    "given)");
	if (cfg->n_static_sas != 0 &&
	    cfg->peer.auth.kind != L2X_CONFIG_AUTH_NONE)
		return l2x_cfg_fail(c, l2x_cfg_line(l, "static_sas"),
				    "static_sas",
				    "not with peer.auth (line %u): static SAs "
				    "replace IKE",
				    c->auth_line);
	for (uint32_t i = 0; i < cfg->n_static_sas; i++)
		dirs[cfg->static_sas[i].direction & 1]++;
	if (cfg->n_static_sas != 0 && (dirs[0] == 0 || dirs[1] == 0))
		return l2x_cfg_fail(
		    c, l2x_cfg_line(l, "static_sas"), "static_sas",
		    "need at least one SA per direction (in: "
		    "%u, out: %u)",
		    dirs[L2X_CONFIG_DIR_IN], dirs[L2X_CONFIG_DIR_OUT]);
	if (cfg->ports.lan.mode == L2X_CONFIG_LAN_ACCESS && cfg->n_networks > 1)
		return l2x_cfg_fail(c, c->lan_mode_line, "ports.lan.mode",
				    "access carries at most one network, "
				    "networks has %u",
				    cfg->n_networks);
	return 0;
}

#define SUB(name_, fields_) \
	static const struct l2x_cfg_table name_ = TABLE(fields_, NULL, NULL)
SUB(appliance_table, appliance_fields);
SUB(dataplane_table, dataplane_fields);
SUB(ports_table, ports_fields);
SUB(bridge_table, bridge_fields);

static const struct l2x_cfg_field root_fields[] = {
    {.key = "appliance",
     .type = CFG_MAP,
     .flags = CFG_REQ,
     .map = &appliance_table,
     AT(struct l2x_config, appliance)},
    {.key = "dataplane",
     .type = CFG_MAP,
     .map = &dataplane_table,
     AT(struct l2x_config, dataplane)},
    {.key = "ports",
     .type = CFG_MAP,
     .flags = CFG_REQ,
     .map = &ports_table,
     AT(struct l2x_config, ports)},
    {.key = "peer",
     .type = CFG_MAP,
     .flags = CFG_REQ,
     .map = &peer_table,
     AT(struct l2x_config, peer)},
    {.key = "tunnel",
     .type = CFG_MAP,
     .flags = CFG_REQ,
     .map = &tunnel_table,
     AT(struct l2x_config, tunnel)},
    {.key = "bridge",
     .type = CFG_MAP,
     .map = &bridge_table,
     AT(struct l2x_config, bridge)},
    /* optional: an appliance in a mesh pair with nothing extended yet
     * runs an empty dataplane (networks come with NET_ADD or a reload) */
    {.key = "networks",
     .type = CFG_LIST,
     .lo = 0,
     .hi = L2X_CONFIG_NETWORKS_MAX,
     .elem = &net_elem,
     .aux = offsetof(struct l2x_config, n_networks),
     AT(struct l2x_config, networks)},
    {.key = "static_sas",
     .type = CFG_LIST,
     .lo = 0,
     .hi = L2X_CONFIG_STATIC_SAS_MAX,
     .elem = &sa_elem,
     .aux = offsetof(struct l2x_config, n_static_sas),
     AT(struct l2x_config, static_sas)},
};
static const struct l2x_cfg_table root_table =
    TABLE(root_fields, root_init, root_check);

_Static_assert(ARRAY_SIZE(root_fields) <= CFG_FIELDS_MAX, "fields");
_Static_assert(ARRAY_SIZE(peer_fields) <= CFG_FIELDS_MAX, "fields");
_Static_assert(ARRAY_SIZE(net_fields) <= CFG_FIELDS_MAX, "fields");

const struct l2x_cfg_table *l2x_cfg_schema(void)
{
	return &root_table;
}
