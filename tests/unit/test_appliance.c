/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for control/appliance*: the desired-state JSON (good, and
 * every rule's exact sentence), the rendered file (it loads with
 * l2x_config_load() and holds the values; a bad desired state changes no
 * file; zero networks; quoting; the PSK file's mode and text), SHOW
 * networks and SHOW mtu parsing, the NET_DEL/NET_ADD plan (table-driven),
 * the back-off, a fake dataplane on a socketpair brought to the desired
 * networks (and left alone on the second pass), and the child machinery
 * with stand-in programs: start, death and back-off, restart on a peer
 * change, nothing touched by a desired state that does not render, stop
 * on leaving the mesh. No EAL, no root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control/appliance.h"
#include "control/ctlclient.h"
#include "control/ctlmsg.h"
#include "tests/unit/testfs.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char dir[64];
static struct l2x_appl_desired *des; /* big: off the stack */
static struct l2x_config *cfg;

static const char base_json[] =
    "{\"generation\": 7,\n"
    " \"uplink\": {\"address\": \"198.18.1.2/24\", \"gateway\": "
    "\"198.18.1.1\", \"mtu\": 1500},\n"
    " \"peer\": {\"address\": \"198.18.2.2\", \"localId\": \"ne-a-1\", "
    "\"remoteId\": \"ne-b-1\", \"role\": \"initiator\", \"psk\": "
    "\"c2VjcmV0LXByZS1zaGFyZWQta2V5Cg==\"},\n"
    " \"tunnel\": {\"encap\": \"gre\", \"innerLocal\": \"169.254.1.1\", "
    "\"innerRemote\": \"169.254.1.2\"},\n"
    " \"networks\": [{\"name\": \"web\", \"vlan\": 100, \"tunnelId\": 5001, "
    "\"gateway\": \"198.19.100.1/24\", \"gatewaySide\": \"local\", "
    "\"mssClamp\": \"auto\"},\n"
    "  {\"name\": \"db\", \"vlan\": 200, \"tunnelId\": 5002, \"mssClamp\": "
    "1400}]}\n";

struct subst {
	const char *from, *to;
};

/* base_json with the substitutions; each from must occur exactly once. */
static char *build(const struct subst *s, size_t ns, int caseno)
{
	char *doc = malloc(8192);

	assert_non_null(doc);
	snprintf(doc, 8192, "%s", base_json);
	for (size_t i = 0; i < ns && s[i].from != NULL; i++) {
		char *at = strstr(doc, s[i].from), *tail;

		if (at == NULL || strstr(at + 1, s[i].from) != NULL)
			fail_msg("case %d: '%s' is not in the base exactly "
				 "once",
				 caseno, s[i].from);
		tail = strdup(at + strlen(s[i].from));
		assert_non_null(tail);
		snprintf(at, 8192 - (size_t)(at - doc), "%s%s", s[i].to, tail);
		free(tail);
	}
	return doc;
}

static int parse(const char *doc, char *err, size_t errlen)
{
	return l2x_appl_desired_parse(doc, strlen(doc), des, err, errlen);
}

static void local_of(struct l2x_appl_local *l, const char *state)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "ne-a-1");
	snprintf(l->lan_device, sizeof(l->lan_device),
		 "net_af_packet0,iface=lan0");
	l->lan_mode = L2X_CONFIG_LAN_TRUNK;
	snprintf(l->uplink_device, sizeof(l->uplink_device),
		 "net_af_packet1,iface=wan0");
	l->lcore_main = 1;
	l->lcore_workers[0] = 0;
	l->n_workers = 1;
	l->memory_mb = 256;
	l->no_huge = true;
	snprintf(l->control_socket, sizeof(l->control_socket), "%s/ctl.sock",
		 dir);
	snprintf(l->state_dir, sizeof(l->state_dir), "%s/%s", dir, state);
	snprintf(l->dataplane_bin, sizeof(l->dataplane_bin), "%s/fake-dp", dir);
	snprintf(l->ike_bin, sizeof(l->ike_bin), "%s/fake-ike", dir);
}

static void put(const char *rel, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* A whole small file, NUL-terminated ("" when missing). */
static void slurp(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(out, 1, cap - 1, f);
		fclose(f);
	}
	out[n] = '\0';
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/l2x-appl-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	des = calloc(1, sizeof(*des));
	cfg = calloc(1, sizeof(*cfg));
	if (des == NULL || cfg == NULL)
		return -1;
	/* stand-ins for l2x-dataplane and l2x-ike: their pid in a file,
	 * then asleep (exec: the pid is the sleeper's) */
	put("fake-dp",
	    "#!/bin/sh\necho $$ > \"$(dirname \"$0\")/dp.pid.tmp\"\n"
	    "mv \"$(dirname \"$0\")/dp.pid.tmp\" \"$(dirname \"$0\")/dp.pid\"\n"
	    "exec sleep 60\n",
	    0700);
	put("fake-ike", "#!/bin/sh\nexec sleep 60\n", 0700);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	l2x_appl_desired_fini(des);
	free(des);
	free(cfg);
	return l2x_test_rmtree(dir);
}

/* ---- the desired-state JSON ---------------------------------------------- */

static void test_desired_good(void **state)
{
	char err[L2X_APPL_ERR_LEN];
	const struct l2x_appl_net *n;

	(void)state;
	assert_int_equal(parse(base_json, err, sizeof(err)), 0);
	assert_int_equal(des->generation, 7);
	assert_true(des->mesh);
	assert_int_equal(des->uplink.address.addr, 0xc6120102);
	assert_int_equal(des->uplink.address.len, 24);
	assert_int_equal(des->uplink.gateway, 0xc6120101);
	assert_int_equal(des->uplink.mtu, 1500);
	assert_int_equal(des->peer.address, 0xc6120202);
	assert_string_equal(des->peer.local_id, "ne-a-1");
	assert_string_equal(des->peer.remote_id, "ne-b-1");
	assert_int_equal(des->peer.role, L2X_CONFIG_ROLE_INITIATOR);
	assert_string_equal(des->peer.psk, "c2VjcmV0LXByZS1zaGFyZWQta2V5Cg==");
	assert_int_equal(des->tunnel.encap, L2X_CONFIG_ENCAP_GRE);
	assert_int_equal(des->tunnel.inner_local, 0xa9fe0101);
	assert_int_equal(des->tunnel.inner_remote, 0xa9fe0102);
	assert_int_equal(des->n_networks, 2);
	n = &des->networks[0];
	assert_string_equal(n->name, "web");
	assert_int_equal(n->vlan, 100);
	assert_int_equal(n->tunnel_id, 5001);
	assert_int_equal(n->gateway.addr, 0xc6136401);
	assert_int_equal(n->gateway.len, 24);
	assert_int_equal(n->gateway_side, L2X_CONFIG_GW_LOCAL);
	assert_int_equal(n->mss_clamp, L2X_CONFIG_MSS_AUTO);
	n = &des->networks[1];
	assert_int_equal(n->gateway.len, 0);
	assert_int_equal(n->gateway_side, L2X_CONFIG_GW_NONE);
	assert_int_equal(n->mss_clamp, 1400);

	/* no mesh: uplink, peer and tunnel absent or null, networks empty */
	assert_int_equal(parse("{\"generation\": 3, \"uplink\": null, "
			       "\"peer\": null, \"tunnel\": null, "
			       "\"networks\": []}",
			       err, sizeof(err)),
			 0);
	assert_false(des->mesh);
	assert_int_equal(des->generation, 3);
	assert_int_equal(des->poll_ms, 0); /* absent: the agent's 500 ms */
	/* the manager's "come back soon", at both ends of its range */
	assert_int_equal(
	    parse("{\"generation\": 3, \"pollMs\": 100}", err, sizeof(err)), 0);
	assert_int_equal(des->poll_ms, 100);
	assert_int_equal(
	    parse("{\"generation\": 3, \"pollMs\": 5000}", err, sizeof(err)),
	    0);
	assert_int_equal(des->poll_ms, 5000);
	assert_int_equal(parse("{}", err, sizeof(err)), 0);
	assert_false(des->mesh);
	assert_int_equal(des->n_networks, 0);
	l2x_appl_desired_fini(des);
}

struct bad {
	struct subst s[2];
	const char *msg;
};

static const struct bad bad_cases[] = {
    {{{"\"generation\": 7", "\"generation\": -1"}},
     "generation: -1 is outside 0..9223372036854775807"},
    {{{"\"generation\": 7", "\"generation\": 7, \"foo\": 1"}},
     "unknown field 'foo'"},
    {{{"\"generation\": 7", "\"generation\": 7, \"pollMs\": 99"}},
     "pollMs: 99 is outside 100..5000"},
    {{{"\"generation\": 7", "\"generation\": 7, \"pollMs\": 5001"}},
     "pollMs: 5001 is outside 100..5000"},
    {{{"\"generation\": 7", "\"generation\": 7, \"pollMs\": \"1\""}},
     "pollMs: expected an integer"},
    {{{"\"mtu\": 1500", "\"mtu\": 1500, \"bar\": 1"}},
     "uplink: unknown field 'bar'"},
    {{{"\"mtu\": 1500", "\"mtu\": 575"}},
     "uplink.mtu: 575 is outside 576..9216"},
    {{{"\"mtu\": 1500", "\"mtu\": \"1500\""}},
     "uplink.mtu: expected an integer"},
    {{{"\"198.18.1.2/24\"", "\"198.18.1.2\""}},
     "uplink.address: '198.18.1.2' is not ADDR/LEN"},
    {{{"\"198.18.1.2/24\"", "\"198.18.1.2/33\""}},
     "uplink.address: prefix length '33' is not 1..32"},
    {{{"\"198.18.1.2/24\"", "\"198.18.1.02/24\""}},
     "uplink.address: '198.18.1.02' is not an IPv4 address"},
    {{{"\"address\": \"198.18.2.2\"", "\"address\": \"198.18.2\""}},
     "peer.address: '198.18.2' is not an IPv4 address"},
    {{{"\"role\": \"initiator\"", "\"role\": \"both\""}},
     "peer.role: 'both' is not one of the allowed words"},
    {{{"\"role\": \"initiator\", ", ""}}, "peer.role: missing (required)"},
    {{{"\"c2VjcmV0LXByZS1zaGFyZWQta2V5Cg==\"", "\"short\""}},
     "peer.psk: shorter than 16 characters"},
    {{{"\"c2VjcmV0LXByZS1zaGFyZWQta2V5Cg==\"",
       "\"c2VjcmV0LXByZS1zaGFyZWQta2V5\\nCg==\""}},
     "peer.psk: has a character outside printable ASCII"},
    {{{"\"ne-a-1\"", "\"ne\\u0001a\""}},
     "peer.localId: has a character outside printable ASCII"},
    {{{"\"ne-a-1\"", "\"ne\\u00e9\""}},
     "peer.localId: has a character outside printable ASCII"},
    {{{"\"ne-a-1\"", "\"ne\\u0000a\""}},
     "the desired state is not JSON: line 3: \\u0000 is not allowed "
     "without JSON_ALLOW_NUL near '\"ne\\u0000a\"'"},
    {{{"\"encap\": \"gre\"", "\"encap\": \"ipip\""}},
     "tunnel.encap: 'ipip' is not one of the allowed words"},
    {{{"\"innerRemote\": \"169.254.1.2\"", "\"innerRemote\": 7"}},
     "tunnel.innerRemote: expected a string"},
    {{{" \"tunnel\": {", " \"tunnel2\": {"}}, "unknown field 'tunnel2'"},
    {{{"\"tunnel\": {\"encap\": \"gre\", \"innerLocal\": \"169.254.1.1\", "
       "\"innerRemote\": \"169.254.1.2\"},",
       "\"tunnel\": null,"}},
     "uplink, peer and tunnel: give all three (in a mesh pair) or none"},
    {{{"\"vlan\": 200", "\"vlan\": 4095"}},
     "networks[1].vlan: 4095 is outside 1..4094"},
    {{{"\"vlan\": 200, ", ""}}, "networks[1].vlan: missing (required)"},
    {{{"\"tunnelId\": 5002", "\"tunnelId\": 4294967296"}},
     "networks[1].tunnelId: 4294967296 is outside 1..4294967295"},
    {{{"\"mssClamp\": 1400", "\"mssClamp\": 535"}},
     "networks[1].mssClamp: 535 is outside 536..9176"},
    {{{"\"mssClamp\": 1400", "\"mssClamp\": \"maybe\""}},
     "networks[1].mssClamp: 'maybe' is not one of the allowed words"},
    {{{"\"mssClamp\": 1400", "\"mssClamp\": true"}},
     "networks[1].mssClamp: expected \"auto\", \"off\" or 536..9176"},
    {{{"\"gatewaySide\": \"local\"", "\"gatewaySide\": \"middle\""}},
     "networks[0].gatewaySide: 'middle' is not one of the allowed words"},
    {{{"\"name\": \"db\"", "\"name\": \"abcdefghijklmnopqrstuvwxyz012345\""}},
     "networks[1].name: has 32 characters, expected 1..31"},
    {{{"\"name\": \"db\", ", "\"name\": \"db\", \"macs\": 3, "}},
     "networks[1]: unknown field 'macs'"},
    {{{"\"networks\": [", "\"networks\": {\"x\": ["}, {"1400}]}", "1400}]}}"}},
     "networks: expected an array"},
    {{{"\"generation\": 7,", "\"generation\": 7, \"generation\": 8,"}},
     "the desired state is not JSON: line 1: duplicate object key near "
     "'\"generation\"'"},
    {{{"1400}]}", "1400}]"}},
     "the desired state is not JSON: line 7: '}' expected near end of "
     "file"},
};

static void test_desired_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad *b = &bad_cases[i];
		char *doc = build(b->s, ARRAY_SIZE(b->s), (int)i);
		char err[L2X_APPL_ERR_LEN] = "";
		int rc = parse(doc, err, sizeof(err));

		if (rc != -EINVAL || strcmp(err, b->msg) != 0)
			fail_msg("case %zu: rc %d: '%s', want '%s'", i, rc, err,
				 b->msg);
		/* a failed parse leaves nothing, the PSK least of all */
		assert_int_equal(des->peer.psk[0], '\0');
		free(doc);
	}
}

/* ---- render and files ---------------------------------------------------- */

static void path_in(char *out, size_t len, const struct l2x_appl_local *l,
		    const char *file)
{
	snprintf(out, len, "%s/%s", l->state_dir, file);
}

static void test_render_loads(void **state)
{
	struct l2x_appl_local loc;
	char err[L2X_APPL_ERR_LEN], path[600], text[4096];
	struct l2x_config_err cerr;
	struct stat st;

	(void)state;
	local_of(&loc, "render");
	assert_int_equal(parse(base_json, err, sizeof(err)), 0);
	if (l2x_appl_write(&loc, des, NULL, err, sizeof(err)) != 0)
		fail_msg("write: %s", err);
	path_in(path, sizeof(path), &loc, L2X_APPL_YAML);
	if (l2x_config_load(path, cfg, &cerr) != 0)
		fail_msg("load: %s", cerr.msg);
	assert_string_equal(cfg->appliance.name, "ne-a-1");
	assert_int_equal(cfg->appliance.role, L2X_CONFIG_ROLE_INITIATOR);
	assert_int_equal(cfg->dataplane.lcores.main, 1);
	assert_int_equal(cfg->dataplane.lcores.workers[0], 0);
	assert_int_equal(cfg->dataplane.lcores.n_workers, 1);
	assert_true(cfg->dataplane.no_huge);
	assert_int_equal(cfg->dataplane.memory_mb, 256);
	assert_string_equal(cfg->dataplane.control_socket, loc.control_socket);
	assert_string_equal(cfg->ports.lan.device, "net_af_packet0,iface=lan0");
	assert_int_equal(cfg->ports.lan.mode, L2X_CONFIG_LAN_TRUNK);
	assert_string_equal(cfg->ports.uplink.device,
			    "net_af_packet1,iface=wan0");
	assert_int_equal(cfg->ports.uplink.address.addr, 0xc6120102);
	assert_int_equal(cfg->ports.uplink.address.len, 24);
	assert_int_equal(cfg->ports.uplink.gateway, 0xc6120101);
	assert_int_equal(cfg->ports.uplink.mtu, 1500);
	assert_int_equal(cfg->peer.address, 0xc6120202);
	assert_string_equal(cfg->peer.local_id, "ne-a-1");
	assert_string_equal(cfg->peer.remote_id, "ne-b-1");
	assert_int_equal(cfg->peer.auth.kind, L2X_CONFIG_AUTH_PSK);
	path_in(path, sizeof(path), &loc, L2X_APPL_PSK);
	assert_string_equal(cfg->peer.auth.psk_file, path);
	assert_int_equal(cfg->tunnel.encap, L2X_CONFIG_ENCAP_GRE);
	assert_int_equal(cfg->tunnel.inner_local, 0xa9fe0101);
	assert_int_equal(cfg->tunnel.inner_remote, 0xa9fe0102);
	assert_int_equal(cfg->n_networks, 2);
	assert_string_equal(cfg->networks[0].name, "web");
	assert_int_equal(cfg->networks[0].vlan, 100);
	assert_int_equal(cfg->networks[0].tunnel_id, 5001);
	assert_int_equal(cfg->networks[0].gateway.addr, 0xc6136401);
	assert_int_equal(cfg->networks[0].gateway_side, L2X_CONFIG_GW_LOCAL);
	assert_int_equal(cfg->networks[0].mss_clamp, L2X_CONFIG_MSS_AUTO);
	assert_string_equal(cfg->networks[1].name, "db");
	assert_int_equal(cfg->networks[1].gateway.len, 0);
	assert_int_equal(cfg->networks[1].mss_clamp, 1400);
	l2x_config_free(cfg);

	/* the PSK file: mode 0600, the text and a newline */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	slurp(path, text, sizeof(text));
	assert_string_equal(text, "c2VjcmV0LXByZS1zaGFyZWQta2V5Cg==\n");
	path_in(path, sizeof(path), &loc, L2X_APPL_YAML);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* the staging folder is left empty */
	path_in(path, sizeof(path), &loc, "new/" L2X_APPL_PSK);
	assert_int_equal(access(path, F_OK), -1);
	path_in(path, sizeof(path), &loc, "new/" L2X_APPL_YAML);
	assert_int_equal(access(path, F_OK), -1);
	l2x_appl_desired_fini(des);
}

/* Every string the file carries is quoted: a quote, a backslash and YAML
 * punctuation in an IKE identity come back as they were. */
static void test_render_quoting(void **state)
{
	static const struct subst s[] = {
	    {"\"ne-a-1\"", "\"a\\\"b\\\\c: {d}, [e] #f\""},
	    {"\"ne-b-1\"", "\"'g' & *h\""}};
	struct l2x_appl_local loc;
	char err[L2X_APPL_ERR_LEN], path[600];
	struct l2x_config_err cerr;
	char *doc = build(s, ARRAY_SIZE(s), 0);

	(void)state;
	local_of(&loc, "quoting");
	assert_int_equal(parse(doc, err, sizeof(err)), 0);
	free(doc);
	if (l2x_appl_write(&loc, des, NULL, err, sizeof(err)) != 0)
		fail_msg("write: %s", err);
	path_in(path, sizeof(path), &loc, L2X_APPL_YAML);
	if (l2x_config_load(path, cfg, &cerr) != 0)
		fail_msg("load: %s", cerr.msg);
	assert_string_equal(cfg->peer.local_id, "a\"b\\c: {d}, [e] #f");
	assert_string_equal(cfg->peer.remote_id, "'g' & *h");
	l2x_config_free(cfg);
	l2x_appl_desired_fini(des);
}

static void test_render_zero_networks(void **state)
{
	static const struct subst s[] = {
	    {"[{\"name\": \"web\", \"vlan\": 100, \"tunnelId\": 5001, "
	     "\"gateway\": \"198.19.100.1/24\", \"gatewaySide\": \"local\", "
	     "\"mssClamp\": \"auto\"},\n"
	     "  {\"name\": \"db\", \"vlan\": 200, \"tunnelId\": 5002, "
	     "\"mssClamp\": 1400}]",
	     "[]"}};
	struct l2x_appl_local loc;
	char err[L2X_APPL_ERR_LEN], path[600], *head, *nets;
	struct l2x_config_err cerr;
	char *doc = build(s, ARRAY_SIZE(s), 0);

	(void)state;
	assert_int_equal(parse(doc, err, sizeof(err)), 0);
	free(doc);
	assert_int_equal(des->n_networks, 0);
	for (int mode = 0; mode < 2; mode++) {
		local_of(&loc, mode ? "zero-access" : "zero-trunk");
		loc.lan_mode =
		    mode ? L2X_CONFIG_LAN_ACCESS : L2X_CONFIG_LAN_TRUNK;
		assert_int_equal(
		    l2x_appl_render(&loc, des, &head, &nets, err, sizeof(err)),
		    0);
		assert_string_equal(nets, "networks: []\n");
		free(head);
		free(nets);
		if (l2x_appl_write(&loc, des, NULL, err, sizeof(err)) != 0)
			fail_msg("write (mode %d): %s", mode, err);
		path_in(path, sizeof(path), &loc, L2X_APPL_YAML);
		if (l2x_config_load(path, cfg, &cerr) != 0)
			fail_msg("load (mode %d): %s", mode, cerr.msg);
		assert_int_equal(cfg->n_networks, 0);
		assert_int_equal(cfg->ports.lan.mode, (unsigned)mode);
		l2x_config_free(cfg);
	}
	l2x_appl_desired_fini(des);
}

/* Desired states that parse but that the file cannot hold: the loader's
 * sentence, and the files of the good state before stay as they were. */
static const struct bad unrenderable[] = {
    {{{"\"gateway\": \"198.18.1.1\"", "\"gateway\": \"198.18.7.1\""}},
     "ports.uplink.gateway: 198.18.7.1 is outside the uplink subnet "
     "198.18.1.0/24"},
    {{{"\"vlan\": 200", "\"vlan\": 100"}},
     "networks[1].vlan: 100 is already used by networks[0] (web)"},
    {{{"\"innerRemote\": \"169.254.1.2\"", "\"innerRemote\": \"169.254.1.1\""}},
     "tunnel.inner_remote: "},
    {{{"\"gatewaySide\": \"local\", ", ""}},
     "networks[0].gateway_side: missing (required with gateway)"},
    {{{"\"name\": \"db\"", "\"name\": \"d b\""}},
     "networks[1].name: 'd b' has a character outside [A-Za-z0-9_.-]"},
    {{{"\"encap\": \"gre\"", "\"encap\": \"vxlan\""},
      {"\"tunnelId\": 5002", "\"tunnelId\": 16777216"}},
     "networks[1].tunnel_id: 16777216 is outside 1..16777215"},
};

static void test_render_bad_keeps_files(void **state)
{
	struct l2x_appl_local loc;
	char err[L2X_APPL_ERR_LEN], yaml[600], psk[600];
	char before[4096], before_psk[256], after[4096], after_psk[256];
	struct stat st0, st1;

	(void)state;
	local_of(&loc, "keep");
	path_in(yaml, sizeof(yaml), &loc, L2X_APPL_YAML);
	path_in(psk, sizeof(psk), &loc, L2X_APPL_PSK);
	assert_int_equal(parse(base_json, err, sizeof(err)), 0);
	assert_int_equal(l2x_appl_write(&loc, des, NULL, err, sizeof(err)), 0);
	slurp(yaml, before, sizeof(before));
	slurp(psk, before_psk, sizeof(before_psk));
	assert_int_equal(stat(yaml, &st0), 0);
	for (size_t i = 0; i < ARRAY_SIZE(unrenderable); i++) {
		const struct bad *b = &unrenderable[i];
		char *doc = build(b->s, ARRAY_SIZE(b->s), (int)i);
		int rc;

		/* a new PSK too: it must not reach the file either */
		if (parse(doc, err, sizeof(err)) != 0)
			fail_msg("case %zu: parse: %s", i, err);
		snprintf(des->peer.psk, sizeof(des->peer.psk),
			 "another-secret-of-length");
		rc = l2x_appl_write(&loc, des, NULL, err, sizeof(err));
		if (rc != -EINVAL ||
		    strncmp(err, "the desired state does not render: ", 35) !=
			0 ||
		    strstr(err, b->msg) == NULL)
			fail_msg("case %zu: rc %d: '%s', want '...%s'", i, rc,
				 err, b->msg);
		slurp(yaml, after, sizeof(after));
		slurp(psk, after_psk, sizeof(after_psk));
		assert_string_equal(after, before);
		assert_string_equal(after_psk, before_psk);
		assert_int_equal(stat(yaml, &st1), 0);
		assert_int_equal(st1.st_ino, st0.st_ino);
		free(doc);
	}
	/* access mode carries at most one network */
	assert_int_equal(parse(base_json, err, sizeof(err)), 0);
	loc.lan_mode = L2X_CONFIG_LAN_ACCESS;
	assert_int_equal(l2x_appl_write(&loc, des, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "ports.lan.mode: access carries at most "
				    "one network, networks has 2"));
	slurp(yaml, after, sizeof(after));
	assert_string_equal(after, before);
	/* no mesh: nothing to render */
	assert_int_equal(parse("{}", err, sizeof(err)), 0);
	assert_int_equal(l2x_appl_write(&loc, des, NULL, err, sizeof(err)),
			 -EINVAL);
	l2x_appl_desired_fini(des);
}

/* ---- SHOW tables and the plan -------------------------------------------- */

static void test_shown_parse(void **state)
{
	static const char table[] =
	    "{\"what\": \"networks\", \"rows\": ["
	    "{\"network\": \"web\", \"vlan\": 100, \"tunnel_id\": 5001, "
	    "\"encap\": \"gre\", \"mss_clamp\": \"1356\", \"gateway\": "
	    "\"198.19.100.1/24\", \"gw_side\": \"local\", \"macs\": 2}, "
	    "{\"network\": \"db\", \"vlan\": 200, \"tunnel_id\": 5002, "
	    "\"encap\": \"gre\", \"mss_clamp\": \"off\", \"gateway\": \"-\", "
	    "\"gw_side\": \"-\", \"macs\": 0}]}";
	static const struct {
		const char *json, *msg;
	} bad[] = {
	    {"[]", "SHOW networks: not a networks table"},
	    {"{\"what\": \"macs\", \"rows\": []}",
	     "SHOW networks: not a networks table"},
	    {"{\"what\": \"networks\", \"rows\": [3]}",
	     "SHOW networks: row 0: bad row"},
	    {"{\"what\": \"networks\", \"rows\": [{\"network\": \"x\", "
	     "\"vlan\": 5000, \"tunnel_id\": 1}]}",
	     "SHOW networks: row 0: bad vlan"},
	    {"{\"what\": \"networks\", \"rows\": [{\"network\": \"x\", "
	     "\"vlan\": 5, \"tunnel_id\": 1, \"mss_clamp\": \"auto\"}]}",
	     "SHOW networks: row 0: bad mss_clamp"},
	    {"{\"what\": \"networks\", \"rows\": [{\"network\": \"x\", "
	     "\"vlan\": 5, \"tunnel_id\": 1, \"mss_clamp\": \"off\", "
	     "\"gateway\": \"1.2.3.4\", \"gw_side\": \"local\"}]}",
	     "SHOW networks: row 0: bad gateway"},
	    {"{\"what\": \"networks\", \"rows\": [{\"network\": \"x\", "
	     "\"vlan\": 5, \"tunnel_id\": 1, \"mss_clamp\": \"off\", "
	     "\"gateway\": \"-\", \"gw_side\": \"up\"}]}",
	     "SHOW networks: row 0: bad gw_side"},
	};
	/* 4094 rows: 230 KiB, off the stack */
	struct l2x_appl_net *rows =
	    calloc(L2X_CONFIG_NETWORKS_MAX, sizeof(*rows));
	char err[L2X_APPL_ERR_LEN];
	uint32_t n;

	(void)state;
	assert_non_null(rows);
	assert_int_equal(l2x_appl_shown_parse(table, strlen(table), rows, &n,
					      err, sizeof(err)),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].name, "web");
	assert_int_equal(rows[0].vlan, 100);
	assert_int_equal(rows[0].tunnel_id, 5001);
	assert_int_equal(rows[0].mss_clamp, 1356);
	assert_int_equal(rows[0].gateway.addr, 0xc6136401);
	assert_int_equal(rows[0].gateway.len, 24);
	assert_int_equal(rows[0].gateway_side, L2X_CONFIG_GW_LOCAL);
	assert_int_equal(rows[1].mss_clamp, L2X_CONFIG_MSS_OFF);
	assert_int_equal(rows[1].gateway.len, 0);
	assert_int_equal(rows[1].gateway_side, L2X_CONFIG_GW_NONE);
	{
		static const char empty[] =
		    "{\"what\": \"networks\", \"rows\": []}";

		assert_int_equal(l2x_appl_shown_parse(empty, strlen(empty),
						      rows, &n, err,
						      sizeof(err)),
				 0);
	}
	assert_int_equal(n, 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int rc = l2x_appl_shown_parse(bad[i].json, strlen(bad[i].json),
					      rows, &n, err, sizeof(err));

		if (rc != -EPROTO || strcmp(err, bad[i].msg) != 0)
			fail_msg("case %zu: rc %d '%s', want '%s'", i, rc, err,
				 bad[i].msg);
	}
	/* SHOW mtu: max_frame less 14 + 20 + 20 */
	{
		static const char mtu[] =
		    "{\"what\": \"mtu\", \"rows\": [{\"network\": \"web\", "
		    "\"uplink_mtu\": 1500, \"max_frame\": 1410}]}";
		static const char none[] = "{\"what\": \"mtu\", \"rows\": []}";

		assert_int_equal(l2x_appl_shown_auto_mss(mtu, strlen(mtu)),
				 1356);
		assert_int_equal(l2x_appl_shown_auto_mss(none, strlen(none)),
				 0);
	}
	assert_int_equal(l2x_appl_shown_auto_mss("nonsense", 8), 0);
	free(rows);
}

/* Networks for the plan table: short notation. */
#define NET(n, v, t, side, mss)                                    \
	{                                                          \
		.name = n, .vlan = v, .tunnel_id = t,              \
		.gateway = {side ? 0xc6136401 : 0, side ? 24 : 0}, \
		.gateway_side = (enum l2x_config_gw_side)side,     \
		.mss_clamp = mss                                   \
	}
#define AUTO L2X_CONFIG_MSS_AUTO
#define OFF L2X_CONFIG_MSS_OFF

struct plan_case {
	bool trunk;
	struct l2x_appl_net have[4], want[4];
	uint32_t n_have, n_want;
	const char *del; /* names, space separated */
	const char *add; /* names, space separated */
};

static const struct plan_case plan_cases[] = {
    /* 0: in place: nothing to do */
    {true,
     {NET("web", 100, 5001, 1, 1356), NET("db", 200, 5002, 0, OFF)},
     {NET("web", 100, 5001, 1, AUTO), NET("db", 200, 5002, 0, OFF)},
     2,
     2,
     "",
     ""},
    /* 1: the order does not matter */
    {true,
     {NET("db", 200, 5002, 0, 1400), NET("web", 100, 5001, 0, 1356)},
     {NET("web", 100, 5001, 0, AUTO), NET("db", 200, 5002, 0, 1400)},
     2,
     2,
     "",
     ""},
    /* 2: empty dataplane: add all */
    {true,
     {{.vlan = 0}},
     {NET("web", 100, 5001, 0, AUTO), NET("db", 200, 5002, 0, AUTO)},
     0,
     2,
     "",
     "web db"},
    /* 3: nothing wanted: delete all */
    {true,
     {NET("web", 100, 5001, 0, 1356), NET("db", 200, 5002, 0, 1356)},
     {{.vlan = 0}},
     2,
     0,
     "web db",
     ""},
    /* 4: one of three goes, one comes */
    {true,
     {NET("a", 1, 1, 0, 1356), NET("b", 2, 2, 0, 1356),
      NET("c", 3, 3, 0, 1356)},
     {NET("a", 1, 1, 0, AUTO), NET("c", 3, 3, 0, AUTO),
      NET("d", 4, 4, 0, AUTO)},
     3,
     3,
     "b",
     "d"},
    /* 5: another VLAN: delete and add again */
    {true,
     {NET("web", 100, 5001, 0, 1356)},
     {NET("web", 101, 5001, 0, AUTO)},
     1,
     1,
     "web",
     "web"},
    /* 6: another tunnel id */
    {true,
     {NET("web", 100, 5001, 0, 1356)},
     {NET("web", 100, 5009, 0, AUTO)},
     1,
     1,
     "web",
     "web"},
    /* 7: a gateway given */
    {true,
     {NET("web", 100, 5001, 0, 1356)},
     {NET("web", 100, 5001, 1, AUTO)},
     1,
     1,
     "web",
     "web"},
    /* 8: the gateway moves to the other side */
    {true,
     {NET("web", 100, 5001, 1, 1356)},
     {NET("web", 100, 5001, 2, AUTO)},
     1,
     1,
     "web",
     "web"},
    /* 9: auto where the clamp is explicit and different */
    {true,
     {NET("web", 100, 5001, 0, 1400)},
     {NET("web", 100, 5001, 0, AUTO)},
     1,
     1,
     "web",
     "web"},
    /* 10: off where auto is in force */
    {true,
     {NET("web", 100, 5001, 0, 1356)},
     {NET("web", 100, 5001, 0, OFF)},
     1,
     1,
     "web",
     "web"},
    /* 11: an explicit clamp equal to what is shown */
    {true,
     {NET("web", 100, 5001, 0, 1400)},
     {NET("web", 100, 5001, 0, 1400)},
     1,
     1,
     "",
     ""},
    /* 12: a VLAN changing hands: the old holder goes first */
    {true,
     {NET("web", 100, 5001, 0, 1356), NET("db", 200, 5002, 0, 1356)},
     {NET("app", 100, 5003, 0, AUTO), NET("db", 200, 5002, 0, AUTO)},
     2,
     2,
     "web",
     "app"},
    /* 13: access port: SHOW gives VLAN 0, which is not compared */
    {false,
     {NET("web", 0, 5001, 0, 1356)},
     {NET("web", 100, 5001, 0, AUTO)},
     1,
     1,
     "",
     ""},
    /* 14: ... but the tunnel id is */
    {false,
     {NET("web", 0, 5001, 0, 1356)},
     {NET("web", 100, 5002, 0, AUTO)},
     1,
     1,
     "web",
     "web"},
};

/* "a b c" from names */
static void joined(char *out, size_t len, const char (*names)[32], uint32_t n)
{
	size_t k = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < n && k < len; i++)
		k += (size_t)snprintf(out + k, len - k, "%s%s", i ? " " : "",
				      names[i]);
}

static void test_plan(void **state)
{
	struct l2x_appl_plan *p = malloc(sizeof(*p));

	(void)state;
	assert_non_null(p);
	for (size_t i = 0; i < ARRAY_SIZE(plan_cases); i++) {
		const struct plan_case *c = &plan_cases[i];
		const struct l2x_appl_plan_prm prm = {.trunk = c->trunk,
						      .auto_mss = 1356};
		char del[256], add[256], addn[4][32];

		l2x_appl_plan(c->have, c->n_have, c->want, c->n_want, &prm, p);
		joined(del, sizeof(del), (const char(*)[32])p->del, p->n_del);
		for (uint32_t k = 0; k < p->n_add; k++)
			snprintf(addn[k], sizeof(addn[k]), "%s",
				 c->want[p->add[k]].name);
		joined(add, sizeof(add), (const char(*)[32])addn, p->n_add);
		if (strcmp(del, c->del) != 0 || strcmp(add, c->add) != 0)
			fail_msg("case %zu: del '%s' add '%s', want del '%s' "
				 "add '%s'",
				 i, del, add, c->del, c->add);
	}
	/* auto_mss unknown (0): auto matches any clamp but off */
	{
		const struct l2x_appl_plan_prm prm = {.trunk = true};
		const struct l2x_appl_net h[2] = {
		    NET("web", 100, 5001, 0, 1234),
		    NET("db", 200, 5002, 0, OFF)};
		const struct l2x_appl_net w[2] = {
		    NET("web", 100, 5001, 0, AUTO),
		    NET("db", 200, 5002, 0, AUTO)};

		assert_int_equal(l2x_appl_plan(h, 2, w, 2, &prm, p), 0);
		assert_int_equal(p->n_del, 1);
		assert_string_equal(p->del[0], "db");
		assert_int_equal(p->n_add, 1);
		assert_int_equal(p->add[0], 1);
	}
	free(p);
}

/* 4094 networks held, in another order than wanted: in place; one more
 * wanted is one NET_ADD, one fewer one NET_DEL, one changed one of each
 * (never a reload of the rest). */
static void test_plan_4094(void **state)
{
	const uint32_t max = L2X_CONFIG_NETWORKS_MAX;
	struct l2x_appl_plan *p = malloc(sizeof(*p));
	struct l2x_appl_net *have = calloc(max, sizeof(*have));
	struct l2x_appl_net *want = calloc(max, sizeof(*want));
	const struct l2x_appl_plan_prm prm = {.trunk = true, .auto_mss = 1356};

	(void)state;
	assert_non_null(p);
	assert_non_null(have);
	assert_non_null(want);
	for (uint32_t i = 0; i < max; i++) {
		struct l2x_appl_net *w = &want[i], *h = &have[max - 1 - i];

		snprintf(w->name, sizeof(w->name), "vlan%u", i + 1);
		w->vlan = (uint16_t)(i + 1);
		w->tunnel_id = 5000 + i;
		w->mss_clamp = AUTO;
		*h = *w;
		h->mss_clamp = 1356; /* as SHOW gives auto */
	}
	assert_int_equal(l2x_appl_plan(have, max, want, max, &prm, p), 0);
	assert_int_equal(p->n_del + p->n_add, 0);
	/* vlan4094 (have[0]) not held yet: one NET_ADD */
	assert_int_equal(l2x_appl_plan(have + 1, max - 1, want, max, &prm, p),
			 0);
	assert_int_equal(p->n_del, 0);
	assert_int_equal(p->n_add, 1);
	assert_string_equal(want[p->add[0]].name, have[0].name);
	/* vlan1 no longer wanted: one NET_DEL */
	assert_int_equal(l2x_appl_plan(have, max, want + 1, max - 1, &prm, p),
			 0);
	assert_int_equal(p->n_del, 1);
	assert_string_equal(p->del[0], "vlan1");
	assert_int_equal(p->n_add, 0);
	/* vlan2047's tunnel id changed: out and in again */
	want[2046].tunnel_id = 99;
	assert_int_equal(l2x_appl_plan(have, max, want, max, &prm, p), 0);
	assert_int_equal(p->n_del, 1);
	assert_string_equal(p->del[0], "vlan2047");
	assert_int_equal(p->n_add, 1);
	assert_int_equal(p->add[0], 2046);
	free(want);
	free(have);
	free(p);
}

static void test_backoff(void **state)
{
	static const struct {
		uint32_t prev;
		uint64_t lived;
		uint32_t want;
	} t[] = {
	    {0, 0, 1000},	 {1000, 0, 2000},  {2000, 500, 4000},
	    {4000, 0, 8000},	 {8000, 0, 8000},  {8000, 9999, 8000},
	    {8000, 10000, 1000}, {0, 60000, 1000}, {3000, 0, 6000},
	    {5000, 0, 8000},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		if (l2x_appl_backoff(t[i].prev, t[i].lived) != t[i].want)
			fail_msg("case %zu: %u, want %u", i,
				 l2x_appl_backoff(t[i].prev, t[i].lived),
				 t[i].want);
}

/* ---- a fake dataplane: networks over the control protocol ---------------- */

struct fake {
	int fd;
	pthread_t th;
	struct l2x_appl_net nets[8];
	uint32_t n;
	char log[512]; /* "add web; del db; ..." */
	bool bad;
};

static int emit(void *ctx, const struct l2x_ctlmsg *m)
{
	struct fake *f = ctx;
	static __thread uint8_t buf[L2X_CTL_MSG_MAX];
	ssize_t n = l2x_ctlmsg_build(m, buf, sizeof(buf));

	if (n < 0)
		return f->bad = true, -1;
	return send(f->fd, buf, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

static void fake_show(struct fake *f, const struct l2x_ctlmsg *q)
{
	char text[4096];
	size_t k = 0;

	if (q->u.show.what == L2X_CTL_SHOW_MTU) {
		k = (size_t)snprintf(text, sizeof(text),
				     "{\"what\": \"mtu\", \"rows\": [");
		for (uint32_t i = 0; i < f->n; i++)
			k += (size_t)snprintf(text + k, sizeof(text) - k,
					      "%s{\"network\": \"%s\", "
					      "\"max_frame\": 1410}",
					      i ? ", " : "", f->nets[i].name);
	} else {
		k = (size_t)snprintf(text, sizeof(text),
				     "{\"what\": \"networks\", \"rows\": [");
		for (uint32_t i = 0; i < f->n; i++) {
			const struct l2x_appl_net *n = &f->nets[i];
			char mss[16];

			if (n->mss_clamp == OFF)
				snprintf(mss, sizeof(mss), "off");
			else
				snprintf(mss, sizeof(mss), "%u",
					 n->mss_clamp == AUTO ? 1356u
							      : n->mss_clamp);
			k += (size_t)snprintf(
			    text + k, sizeof(text) - k,
			    "%s{\"network\": \"%s\", \"vlan\": %u, "
			    "\"tunnel_id\": %u, \"mss_clamp\": \"%s\", "
			    "\"gateway\": \"%s\", \"gw_side\": \"%s\"}",
			    i ? ", " : "", n->name, n->vlan, n->tunnel_id, mss,
			    n->gateway.len ? "198.19.100.1/24" : "-",
			    n->gateway_side == L2X_CONFIG_GW_LOCAL    ? "local"
			    : n->gateway_side == L2X_CONFIG_GW_REMOTE ? "remote"
								      : "-");
		}
	}
	k += (size_t)snprintf(text + k, sizeof(text) - k, "]}");
	l2x_ctlmsg_show_reply_each(q->u.show.what, q->req_id, text, k, emit, f);
}

static void fake_answer(struct fake *f, const struct l2x_ctlmsg *q)
{
	struct l2x_ctlmsg r = {.type = L2X_CTL_MSG_OK, .req_id = q->req_id};
	size_t k = strlen(f->log);

	if (q->type == L2X_CTL_MSG_SHOW) {
		fake_show(f, q);
		return;
	}
	if (q->type == L2X_CTL_MSG_NET_DEL) {
		snprintf(f->log + k, sizeof(f->log) - k, "del %s; ",
			 q->u.net_del.name);
		for (uint32_t i = 0; i < f->n; i++)
			if (strcmp(f->nets[i].name, q->u.net_del.name) == 0)
				f->nets[i] = f->nets[--f->n];
	} else if (q->type == L2X_CTL_MSG_NET_ADD) {
		const struct l2x_ctl_net_add *a = &q->u.net_add;
		struct l2x_appl_net *n = &f->nets[f->n];

		snprintf(f->log + k, sizeof(f->log) - k, "add %s; ", a->name);
		if (strcmp(a->name, "refused") == 0 || f->n == 8) {
			r.type = L2X_CTL_MSG_ERROR;
			r.u.error.code = EEXIST;
			snprintf(r.u.error.text, sizeof(r.u.error.text),
				 "vlan: 300 is extended as other");
		} else {
			memset(n, 0, sizeof(*n));
			snprintf(n->name, sizeof(n->name), "%s", a->name);
			n->vlan = a->vlan;
			n->tunnel_id = a->tunnel_id;
			n->gateway.addr = a->gw_addr;
			n->gateway.len = a->gw_prefix;
			n->gateway_side = (enum l2x_config_gw_side)a->gw_side;
			n->mss_clamp = a->mss_clamp;
			f->bad |= a->mac_limit != 0;
			f->n++;
		}
	} else {
		f->bad = true;
	}
	emit(f, &r);
}

static void *fake_serve(void *arg)
{
	static __thread uint8_t buf[L2X_CTL_MSG_MAX];
	struct fake *f = arg;

	for (;;) {
		struct l2x_ctlmsg q;
		ssize_t n = recv(f->fd, buf, sizeof(buf), 0);

		if (n <= 0)
			break;
		if (l2x_ctlmsg_parse(buf, (size_t)n, &q) != L2X_CTL_ERR_OK) {
			f->bad = true;
			continue;
		}
		fake_answer(f, &q);
	}
	close(f->fd);
	return NULL;
}

static struct l2x_ctlclient *fake_start(struct fake *f)
{
	struct l2x_ctlclient *c = NULL;
	int sv[2];

	f->log[0] = '\0';
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	f->fd = sv[1];
	assert_int_equal(pthread_create(&f->th, NULL, fake_serve, f), 0);
	assert_int_equal(l2x_ctlclient_open_fd(sv[0], 1000, &c), 0);
	return c;
}

static void fake_stop(struct fake *f, struct l2x_ctlclient *c)
{
	l2x_ctlclient_close(c);
	assert_int_equal(pthread_join(f->th, NULL), 0);
	assert_false(f->bad);
}

static void test_sync(void **state)
{
	static struct fake f;
	struct l2x_ctlclient *c;
	char err[L2X_APPL_ERR_LEN];
	uint32_t changes;
	const struct l2x_appl_net want[] = {NET("web", 100, 5001, 1, AUTO),
					    NET("db", 200, 5002, 0, 1400),
					    NET("app", 300, 5003, 2, OFF)};

	(void)state;
	memset(&f, 0, sizeof(f));
	/* the dataplane holds web as wanted, db with another VLAN, and
	 * old, which is not wanted */
	f.nets[0] = (struct l2x_appl_net)NET("old", 400, 5004, 0, AUTO);
	f.nets[1] = (struct l2x_appl_net)NET("web", 100, 5001, 1, AUTO);
	f.nets[2] = (struct l2x_appl_net)NET("db", 201, 5002, 0, 1400);
	f.n = 3;
	c = fake_start(&f);
	assert_int_equal(l2x_appl_networks_sync(c, want, 3, true, &changes, err,
						sizeof(err)),
			 0);
	assert_string_equal(f.log, "del old; del db; add db; add app; ");
	assert_int_equal(changes, 4);
	/* in place now: the second pass changes nothing */
	f.log[0] = '\0';
	assert_int_equal(l2x_appl_networks_sync(c, want, 3, true, &changes, err,
						sizeof(err)),
			 0);
	assert_string_equal(f.log, "");
	assert_int_equal(changes, 0);
	assert_int_equal(f.n, 3);
	/* a refusal: the rest is still done, the first failure answers */
	{
		const struct l2x_appl_net w2[] = {
		    NET("refused", 300, 5009, 0, AUTO),
		    NET("web", 100, 5001, 1, AUTO)};

		f.log[0] = '\0';
		assert_int_equal(l2x_appl_networks_sync(c, w2, 2, true,
							&changes, err,
							sizeof(err)),
				 -EEXIST);
		assert_string_equal(err, "network refused: the dataplane "
					 "refused to add it: vlan: 300 is "
					 "extended as other");
		assert_string_equal(f.log, "del db; del app; add refused; ");
		assert_int_equal(changes, 2);
	}
	fake_stop(&f, c);
}

/* ---- children ------------------------------------------------------------ */

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The stand-in dataplane's pid, waiting up to 3 s for it; 0 if none. */
static pid_t dp_pid(void)
{
	char path[128], text[32];

	snprintf(path, sizeof(path), "%s/dp.pid", dir);
	for (int i = 0; i < 300; i++) {
		slurp(path, text, sizeof(text));
		if (text[0])
			return (pid_t)atoi(text);
		sleep_ms(10);
	}
	return 0;
}

static bool pid_file(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/dp.pid", dir);
	return access(path, F_OK) == 0;
}

static void forget_pid(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/dp.pid", dir);
	unlink(path);
}

static const char *status_of(struct l2x_appl *a, const char *key)
{
	static char out[L2X_APPL_ERR_LEN];
	json_t *s = NULL;

	assert_int_equal(l2x_appl_status(a, &s), 0);
	snprintf(out, sizeof(out), "%s",
		 json_string_value(json_object_get(s, key)));
	json_decref(s);
	return out;
}

static void test_children(void **state)
{
	static const struct subst moved[] = {
	    {"\"address\": \"198.18.2.2\"", "\"address\": \"198.18.2.3\""}};
	static const struct subst unrenderable_peer[] = {
	    {"\"gateway\": \"198.18.1.1\"", "\"gateway\": \"198.18.9.1\""}};
	struct l2x_appl_local loc;
	struct l2x_appl *a;
	char err[L2X_APPL_ERR_LEN], psk[600], *doc;
	pid_t p1, p2, p3;

	(void)state;
	local_of(&loc, "run");
	path_in(psk, sizeof(psk), &loc, L2X_APPL_PSK);
	/* local settings are checked */
	snprintf(loc.name, sizeof(loc.name), "a b");
	assert_int_equal(l2x_appl_create(&loc, &a, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "name: 'a b' is not 1..31 of [A-Za-z0-9_.-]");
	local_of(&loc, "run");
	snprintf(loc.dataplane_bin, sizeof(loc.dataplane_bin), "%s/none", dir);
	assert_int_equal(l2x_appl_create(&loc, &a, err, sizeof(err)), -ENOENT);
	local_of(&loc, "run");
	if (l2x_appl_create(&loc, &a, err, sizeof(err)) != 0)
		fail_msg("create: %s", err);
	assert_string_equal(status_of(a, "dataplane"), "stopped");

	/* no mesh: nothing runs */
	assert_int_equal(l2x_appl_converge(a, NULL, err, sizeof(err)), 0);
	assert_int_equal(access(psk, F_OK), -1);

	/* a mesh: the dataplane starts; its socket never answers, so
	 * l2x-ike waits and both are "starting" */
	forget_pid();
	assert_int_equal(parse(base_json, err, sizeof(err)), 0);
	if (l2x_appl_converge(a, des, err, sizeof(err)) != 0)
		fail_msg("converge: %s", err);
	p1 = dp_pid();
	assert_true(p1 > 0);
	assert_int_equal(access(psk, F_OK), 0);
	assert_string_equal(status_of(a, "dataplane"), "starting");
	assert_string_equal(status_of(a, "ike"), "starting");
	assert_string_equal(status_of(a, "error"), "");
	/* in place: the next pass starts nothing */
	forget_pid();
	assert_int_equal(l2x_appl_converge(a, des, err, sizeof(err)), 0);
	sleep_ms(200);
	assert_false(pid_file());
	assert_int_equal(kill(p1, 0), 0);

	/* killed: reaped, said, restarted after 1 s, not before */
	assert_int_equal(kill(p1, SIGKILL), 0);
	sleep_ms(100);
	assert_true(l2x_appl_converge(a, des, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "was killed by signal 9"));
	assert_non_null(strstr(err, "restarting in 1000 ms"));
	assert_non_null(strstr(status_of(a, "error"), "signal 9"));
	assert_int_equal(l2x_appl_converge(a, des, err, sizeof(err)), 0);
	sleep_ms(300);
	assert_int_equal(l2x_appl_converge(a, des, err, sizeof(err)), 0);
	sleep_ms(100);
	assert_false(pid_file());
	sleep_ms(800);
	assert_int_equal(l2x_appl_converge(a, des, err, sizeof(err)), 0);
	p2 = dp_pid();
	assert_true(p2 > 0 && p2 != p1);

	/* a desired state that does not render: error, nothing touched */
	doc = build(unrenderable_peer, 1, 0);
	assert_int_equal(parse(doc, err, sizeof(err)), 0);
	free(doc);
	assert_int_equal(l2x_appl_converge(a, des, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ports.uplink.gateway"));
	assert_int_equal(kill(p2, 0), 0);
	/* ... and a death meanwhile heals with the last good files */
	forget_pid();
	assert_int_equal(kill(p2, SIGKILL), 0);
	sleep_ms(100);
	assert_int_equal(l2x_appl_converge(a, des, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ports.uplink.gateway"));
	assert_non_null(strstr(status_of(a, "error"), "ports.uplink.gateway"));
	/* the second death in a short life: 2 s */
	{
		char log[600], text[8192];

		path_in(log, sizeof(log), &loc, "dataplane.log");
		slurp(log, text, sizeof(text));
		assert_non_null(strstr(text, "was killed by signal 9; "
					     "restarting in 2000 ms"));
	}
	sleep_ms(1100);
	assert_int_equal(l2x_appl_converge(a, des, err, sizeof(err)), -EINVAL);
	assert_false(pid_file());
	sleep_ms(1000);
	assert_int_equal(l2x_appl_converge(a, des, err, sizeof(err)), -EINVAL);
	p1 = dp_pid();
	assert_true(p1 > 0 && p1 != p2);
	p2 = p1;

	/* the peer moves: both restart with the new file */
	forget_pid();
	doc = build(moved, 1, 0);
	assert_int_equal(parse(doc, err, sizeof(err)), 0);
	free(doc);
	assert_int_equal(l2x_appl_converge(a, des, err, sizeof(err)), 0);
	p3 = dp_pid();
	assert_true(p3 > 0 && p3 != p2);
	assert_int_equal(kill(p2, 0), -1); /* stopped and reaped */

	/* out of the mesh: stopped, the PSK file gone */
	assert_int_equal(l2x_appl_converge(a, NULL, err, sizeof(err)), 0);
	assert_int_equal(kill(p3, 0), -1);
	assert_int_equal(access(psk, F_OK), -1);
	assert_string_equal(status_of(a, "dataplane"), "stopped");

	/* and back; destroy stops it */
	forget_pid();
	assert_int_equal(parse(base_json, err, sizeof(err)), 0);
	assert_int_equal(l2x_appl_converge(a, des, err, sizeof(err)), 0);
	p1 = dp_pid();
	assert_true(p1 > 0);
	l2x_appl_destroy(a);
	assert_int_equal(kill(p1, 0), -1);
	assert_int_equal(access(psk, F_OK), -1);
	l2x_appl_desired_fini(des);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_desired_good),
	    cmocka_unit_test(test_desired_bad),
	    cmocka_unit_test(test_render_loads),
	    cmocka_unit_test(test_render_quoting),
	    cmocka_unit_test(test_render_zero_networks),
	    cmocka_unit_test(test_render_bad_keeps_files),
	    cmocka_unit_test(test_shown_parse),
	    cmocka_unit_test(test_plan),
	    cmocka_unit_test(test_plan_4094),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_sync),
	    cmocka_unit_test(test_children),
	};
	return cmocka_run_group_tests_name("appliance", tests, setup, teardown);
}
