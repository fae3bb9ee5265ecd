/* SPDX-License-Identifier: MIT */
/*
 * main.c - l2x-dataplane: the DPDK primary process of an appliance
 * (DESIGN.md, "Processes"; dp.h).
 *
 *   l2x-dataplane --config FILE [--file-prefix P]
 *
 * Exit status: 0 after SIGTERM/SIGINT, 1 on a bad configuration or a
 * setup failure (the reason on stderr, `file:line: field: message` for
 * the configuration).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataplane/dp.h"

static struct l2x_dp the_dp;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		l2x_dp_request_reload(&the_dp);
	else
		l2x_dp_stop(&the_dp);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* what the process creates (control socket, DPDK's runtime files and
	 * telemetry socket) is root-only from the start */
	umask(077);
	rc = l2x_dp_setup(&the_dp, argc, argv);
	if (rc == 0)
		rc = l2x_dp_run(&the_dp);
	l2x_dp_teardown(&the_dp);
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
