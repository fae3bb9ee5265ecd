/* SPDX-License-Identifier: MIT */
/*
 * test_agentconf.c - control/agentconf.h: l2x-agent's configuration file.
 * Good files of both roles with their defaults, and a table of bad ones,
 * each with the exact FILE:LINE: FIELD: MESSAGE it must give.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "control/agentconf.h"
#include "tests/unit/testenv.h"
#include "tests/unit/testfs.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/l2x-agentconf.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return l2x_test_rmtree(dir);
}

/* Write text to DIR/agent.yaml and load it. */
static int load(const char *text, struct l2x_agentconf *c, char *err,
		size_t errlen)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/agent.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return l2x_agentconf_load(path, c, err, errlen);
}

static const char mgr[] = "role: manager\n"
			  "name: site-a\n"
			  "state_dir: /var/lib/l2x/agent\n"
			  "listen: 198.18.11.10:8443\n";

static const char appl[] =
    "role: appliance\n"
    "name: ne-a1\n"
    "state_dir: /var/lib/l2x/ne-a1\n"
    "manager: https://198.18.11.10:8443/\n"
    "switch: dvs-a\n"
    "enroll_token_file: /etc/l2x/token\n"
    "dataplane:\n"
    "  binary: /usr/sbin/l2x-dataplane\n"
    "  ike_binary: /usr/sbin/l2x-ike\n"
    "  lan: { device: \"net_af_packet0,iface=lan0\", mode: access }\n"
    "  uplink: { device: \"0000:03:00.0\" }\n"
    "  lcores: { main: 0, workers: [2, 3] }\n"
    "  no_huge: true\n";

static void test_manager(void **state)
{
	struct l2x_agentconf c;
	char err[512] = "";

	(void)state;
	assert_int_equal(load(mgr, &c, err, sizeof(err)), 0);
	assert_int_equal(c.role, L2X_AGENT_MANAGER);
	assert_string_equal(c.name, "site-a");
	assert_string_equal(c.listen_addr, "198.18.11.10");
	assert_int_equal(c.listen_port, 8443);
	/* Defaults: the URL from listen, the store in the state folder. */
	assert_string_equal(c.url, "https://198.18.11.10:8443");
	assert_string_equal(c.store, "sqlite:/var/lib/l2x/agent/agent.db");
	assert_int_equal(c.threads, 4);
	assert_int_equal(c.extend_timeout, 60);
	/* One manager: its id is the site's name, its URL the site's. */
	assert_string_equal(c.manager_id, "site-a");
	assert_int_equal(c.election_ttl, 5);
	assert_int_equal(c.n_managers, 1);
	assert_string_equal(c.managers[0], "https://198.18.11.10:8443");

	/* Several managers on etcd. */
	assert_int_equal(
	    load("role: manager\nname: site-a\nstate_dir: /s\n"
		 "listen: 198.18.11.11:8443\nmanager_id: a2\n"
		 "store: etcd:http://198.18.11.10:2379\nelection_ttl: 3\n"
		 "site_managers: [https://198.18.11.10:8443, "
		 "https://198.18.11.11:8443/]\n",
		 &c, err, sizeof(err)),
	    0);
	assert_string_equal(c.manager_id, "a2");
	assert_string_equal(c.store, "etcd:http://198.18.11.10:2379");
	assert_int_equal(c.election_ttl, 3);
	assert_int_equal(c.n_managers, 2);
	assert_string_equal(c.managers[1], "https://198.18.11.11:8443");

	assert_int_equal(load("role: manager\nname: b\nstate_dir: /s\n"
			      "listen: '[2001:db8::1]:443'\nthreads: 8\n",
			      &c, err, sizeof(err)),
			 0);
	assert_string_equal(c.listen_addr, "2001:db8::1");
	assert_string_equal(c.url, "https://[2001:db8::1]:443");
	assert_int_equal(c.threads, 8);
}

static void test_appliance(void **state)
{
	struct l2x_agentconf c;
	char err[512] = "";

	(void)state;
	assert_int_equal(load(appl, &c, err, sizeof(err)), 0);
	assert_int_equal(c.role, L2X_AGENT_APPLIANCE);
	/* The trailing slash of the URL goes. */
	assert_string_equal(c.manager, "https://198.18.11.10:8443");
	assert_string_equal(c.sw, "dvs-a");
	assert_true(c.dp.lan_access);
	assert_string_equal(c.dp.uplink_device, "0000:03:00.0");
	assert_int_equal(c.dp.n_workers, 2);
	assert_int_equal(c.dp.workers[1], 3);
	assert_int_equal(c.dp.memory_mb, 256);
	assert_true(c.dp.no_huge);
	assert_string_equal(c.dp.control_socket, "/run/l2x/ne-a1.sock");
	assert_int_equal(c.n_managers, 1);

	/* The site's managers, as a list: the first is c.manager. */
	assert_int_equal(
	    load("role: appliance\nname: a\nstate_dir: /s\nswitch: d\n"
		 "manager: [https://m1:1, https://m2:2, https://m3:3]\n"
		 "dataplane: { binary: /b, ike_binary: /i, "
		 "lan: { device: x }, uplink: { device: y } }\n",
		 &c, err, sizeof(err)),
	    0);
	assert_int_equal(c.n_managers, 3);
	assert_string_equal(c.manager, "https://m1:1");
	assert_string_equal(c.managers[2], "https://m3:3");
}

struct bad {
	const char *text;
	const char *err; /* after "DIR/agent.yaml:" */
};

static const struct bad bads[] = {
    {"role: manager\n", "1: name: required"},
    {"role: boss\n", "1: role: must be manager or appliance"},
    {"name: a\nrole: manager\nstate_dir: /s\nlisten: 1.2.3.4:1\nfoo: 1\n",
     "5: document: unknown key 'foo' (allowed: role, name, state_dir, "
     "listen, url, store, threads, extend_timeout, manager, switch, "
     "enroll_token_file, dataplane, manager_id, election_ttl, "
     "site_managers)"},
    {"role: manager\nname: a\nstate_dir: /s\nlisten: 1.2.3.4:1\n"
     "election_ttl: 1\n",
     "5: election_ttl: 1 is outside 2..60"},
    {"role: manager\nname: a\nstate_dir: /s\nlisten: 1.2.3.4:1\n"
     "site_managers: []\n",
     "5: site_managers: at least one URL"},
    {"role: manager\nname: a\nstate_dir: /s\nlisten: 1.2.3.4:1\n"
     "site_managers: [https://a:1, https://b:1, https://c:1, https://d:1, "
     "https://e:1]\n",
     "5: site_managers: at most 4 managers"},
    {"role: manager\nname: a\nstate_dir: /s\nlisten: 1.2.3.4:1\n"
     "site_managers: { a: 1 }\n",
     "5: site_managers: must be a URL or a list of URLs"},
    {"role: manager\nname: a\nstate_dir: /s\nlisten: 1.2.3.4:1\n"
     "manager: https://m:1\n",
     "5: manager: not a setting of the manager role"},
    {"role: appliance\nname: a\nstate_dir: /s\nswitch: d\n"
     "manager: [https://m:1, http://n:2]\n",
     "5: manager: 'http://n:2' must start with https://"},
    {"role: appliance\nname: a\nstate_dir: /s\nelection_ttl: 5\n",
     "4: election_ttl: not a setting of the appliance role"},
    {"role: manager\nrole: manager\n", "2: document: key 'role' given twice"},
    {"role: manager\nname: a b\n",
     "2: name: 'a b' has a space or a non-printable character"},
    {"role: manager\nname: site-a-with-a-name-that-is-too-long\n",
     "2: name: 'site-a-with-a-name-that-is-too-long' must be 1..31 "
     "characters"},
    {"role: manager\nname: a\nstate_dir: rel\n",
     "3: state_dir: 'rel' must be an absolute path"},
    {"role: manager\nname: a\nstate_dir: /s\nlisten: 1.2.3.4\n",
     "4: listen: '1.2.3.4' must be ADDR:PORT"},
    {"role: manager\nname: a\nstate_dir: /s\nlisten: 1.2.3.04:1\n",
     "4: listen: '1.2.3.04' is not an IPv4 address"},
    {"role: manager\nname: a\nstate_dir: /s\nlisten: 1.2.3.4:65536\n",
     "4: listen: port '65536' is outside 1..65535"},
    {"role: manager\nname: a\nstate_dir: /s\nlisten: 1.2.3.4:1\n"
     "threads: 0\n",
     "5: threads: 0 is outside 1..64"},
    {"role: manager\nname: a\nstate_dir: /s\nlisten: 1.2.3.4:1\n"
     "threads: 012\n",
     "5: threads: '012' is not a decimal integer"},
    {"role: manager\nname: a\nstate_dir: /s\nlisten: 1.2.3.4:1\n"
     "url: http://x:1\n",
     "5: url: 'http://x:1' must start with https://"},
    {"role: manager\nname: a\nstate_dir: /s\nlisten: 1.2.3.4:1\n"
     "switch: dvs\n",
     "5: switch: not a setting of the manager role"},
    {"role: manager\nname: a\nstate_dir: /s\n", "1: listen: required"},
    {"role: appliance\nname: a\nstate_dir: /s\nlisten: 1.2.3.4:1\n",
     "4: listen: not a setting of the appliance role"},
    {"role: appliance\nname: a\nstate_dir: /s\nswitch: d\n",
     "1: manager: required"},
    {"role: appliance\nname: a\nstate_dir: /s\nmanager: https://m:1\n"
     "switch: d\ndataplane: { binary: /b, ike_binary: /i, "
     "lan: { device: x, mode: hybrid } }\n",
     "6: dataplane.lan.mode: must be trunk or access"},
    {"role: appliance\nname: a\nstate_dir: /s\nmanager: https://m:1\n"
     "switch: d\ndataplane: { binary: /b, ike_binary: /i, "
     "lan: { device: x }, uplink: { device: y }, "
     "lcores: { main: 1, workers: [1] } }\n",
     "1: dataplane.lcores.workers: lcore 1 is also main"},
    {"role: appliance\nname: a\nstate_dir: /s\nmanager: https://m:1\n"
     "switch: d\ndataplane: { binary: /b, ike_binary: /i, "
     "lan: { device: x } }\n",
     "1: dataplane.uplink.device: required"},
    {"role: [x]\n", "1: role: must be manager or appliance"},
    {"- a\n", "1: document: must be a mapping"},
    {"role: manager\n  bad: indent\n", "2: yaml: mapping values are not "
				       "allowed in this context"},
};

static void test_bad(void **state)
{
	struct l2x_agentconf c;
	char err[512], want[600];

	(void)state;
	for (size_t i = 0; i < L2X_ARRAY_LEN(bads); i++) {
		err[0] = '\0';
		snprintf(want, sizeof(want), "%s/agent.yaml:%s", dir,
			 bads[i].err);
		L2X_CHECK(load(bads[i].text, &c, err, sizeof(err)) == -EINVAL,
			  "case %zu accepted", i);
		L2X_CHECK(strcmp(err, want) == 0,
			  "case %zu: got '%s', want '%s'", i, err, want);
	}
}

static void test_missing_file(void **state)
{
	struct l2x_agentconf c;
	char err[512];

	(void)state;
	assert_int_equal(
	    l2x_agentconf_load("/nonexistent/agent.yaml", &c, err, sizeof(err)),
	    -ENOENT);
	assert_string_equal(err, "/nonexistent/agent.yaml: cannot read: No "
				 "such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_manager),
	    cmocka_unit_test(test_appliance),
	    cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
