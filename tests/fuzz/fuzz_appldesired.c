/* SPDX-License-Identifier: MIT */
/*
 * fuzz_appldesired.c - libFuzzer harness for the appliance agent's parser
 * of its desired state (control/appliance.h): the manager's answer, which
 * a compromised or broken manager controls. Beyond "no crash, no
 * over-read", an accepted state must render (l2x_appl_render) without
 * failing for a reason other than the sentence it gives.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/appliance.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static struct l2x_appl_desired d;
	static const struct l2x_appl_local loc = {
	    .name = "fuzz",
	    .lan_device = "net_null0",
	    .uplink_device = "net_null1",
	    .n_workers = 1,
	    .lcore_workers = {1},
	    .memory_mb = 256,
	    .control_socket = "/tmp/fuzz.sock",
	    .state_dir = "/tmp",
	    .dataplane_bin = "/bin/true",
	    .ike_bin = "/bin/true",
	};
	char err[L2X_APPL_ERR_LEN], *head = NULL, *nets = NULL;

	memset(&d, 0, sizeof(d));
	if (l2x_appl_desired_parse((const char *)p, n, &d, err, sizeof(err)) ==
	    0) {
		if (d.n_networks > L2X_CONFIG_NETWORKS_MAX)
			abort();
		err[0] = '\0';
		if (l2x_appl_render(&loc, &d, &head, &nets, err, sizeof(err)) !=
			0 &&
		    err[0] == '\0')
			abort(); /* a refusal must say why */
		free(head);
		free(nets);
	} else if (err[0] == '\0') {
		abort();
	}
	l2x_appl_desired_fini(&d);
	return 0;
}
