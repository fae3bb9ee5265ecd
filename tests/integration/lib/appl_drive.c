/* SPDX-License-Identifier: MIT */
/*
 * appl_drive.c - a stand-in for l2x-agent's appliance loop, for
 * tests/integration/appliance_conv_test.sh: every interval it reads the
 * desired state from a file, calls l2x_appl_converge() with it and writes
 * l2x_appl_status() to another file, as the agent does with the
 * manager's GET /appliance/desired and PUT /appliance/status. The test
 * changes the desired state by replacing the file (write + rename).
 *
 *   appl_drive --name NAME --lan DEV [--access] --uplink DEV
 *              --lcores MAIN:WORKER[,WORKER...] [--memory MB] [--no-huge]
 *              --socket PATH --state DIR --dataplane BIN --ike BIN
 *              [--strongswan-conf FILE] --desired FILE --status FILE
 *              [--interval-ms N]
 *
 * A missing desired file is "no mesh"; one that does not parse is
 * reported and the previous desired state is kept (as the agent keeps
 * its last good pull). Each new converge error is printed once on
 * stdout ("appl_drive: converge: ..."). SIGTERM or SIGINT: the children
 * are stopped (l2x_appl_destroy) and the driver exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/appliance.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: appl_drive --name NAME --lan DEV [--access] --uplink "
		"DEV\n"
		"         --lcores MAIN:WORKER[,WORKER...] [--memory MB] "
		"[--no-huge]\n"
		"         --socket PATH --state DIR --dataplane BIN --ike BIN\n"
		"         [--strongswan-conf FILE] --desired FILE --status "
		"FILE\n"
		"         [--interval-ms N]\n");
	return 2;
}

static int copy(char *dst, size_t len, const char *src, const char *what)
{
	if (strlen(src) >= len) {
		fprintf(stderr, "appl_drive: %s: too long\n", what);
		return -1;
	}
	snprintf(dst, len, "%s", src);
	return 0;
}

static int lcores(struct l2x_appl_local *l, const char *s)
{
	char *end;

	l->lcore_main = (uint32_t)strtoul(s, &end, 10);
	if (*end != ':')
		return -1;
	do {
		if (l->n_workers == L2X_CONFIG_WORKERS_MAX)
			return -1;
		l->lcore_workers[l->n_workers++] =
		    (uint32_t)strtoul(end + 1, &end, 10);
	} while (*end == ',');
	return *end == '\0' ? 0 : -1;
}

/* The desired file into d: 1 read, 0 missing, -1 unreadable or bad. */
static int read_desired(const char *path, struct l2x_appl_desired *d, char *err,
			size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;
	int rc;

	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	buf = malloc(1 << 20);
	if (buf == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	rc = l2x_appl_desired_parse(buf, n, d, err, errlen);
	free(buf);
	return rc == 0 ? 1 : -1;
}

static void write_status(struct l2x_appl *a, const char *path)
{
	char tmp[L2X_CONFIG_PATH_LEN + 8];
	json_t *s = NULL;

	if (l2x_appl_status(a, &s) != 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(s, tmp, JSON_SORT_KEYS) == 0)
		rename(tmp, path);
	json_decref(s);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL); /* a signal ends it early: fine */
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"name", required_argument, NULL, 'n'},
	    {"lan", required_argument, NULL, 'l'},
	    {"access", no_argument, NULL, 'A'},
	    {"uplink", required_argument, NULL, 'u'},
	    {"lcores", required_argument, NULL, 'c'},
	    {"memory", required_argument, NULL, 'm'},
	    {"no-huge", no_argument, NULL, 'H'},
	    {"socket", required_argument, NULL, 's'},
	    {"state", required_argument, NULL, 'S'},
	    {"dataplane", required_argument, NULL, 'd'},
	    {"ike", required_argument, NULL, 'i'},
	    {"strongswan-conf", required_argument, NULL, 'w'},
	    {"desired", required_argument, NULL, 'D'},
	    {"status", required_argument, NULL, 'T'},
	    {"interval-ms", required_argument, NULL, 'I'},
	    {NULL, 0, NULL, 0}};
	static struct l2x_appl_local loc;
	static struct l2x_appl_desired cur, next;
	const char *desired = NULL, *status = NULL;
	char err[L2X_APPL_ERR_LEN], last[L2X_APPL_ERR_LEN] = "";
	char perr[L2X_APPL_ERR_LEN], plast[L2X_APPL_ERR_LEN] = "";
	unsigned interval = 500;
	struct l2x_appl *a;
	struct sigaction sa;
	int o, rc = 0;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			rc |= copy(loc.name, sizeof(loc.name), optarg, "name");
			break;
		case 'l':
			rc |= copy(loc.lan_device, sizeof(loc.lan_device),
				   optarg, "lan");
			break;
		case 'A':
			loc.lan_mode = L2X_CONFIG_LAN_ACCESS;
			break;
		case 'u':
			rc |= copy(loc.uplink_device, sizeof(loc.uplink_device),
				   optarg, "uplink");
			break;
		case 'c':
			rc |= lcores(&loc, optarg);
			break;
		case 'm':
			loc.memory_mb = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'H':
			loc.no_huge = true;
			break;
		case 's':
			rc |=
			    copy(loc.control_socket, sizeof(loc.control_socket),
				 optarg, "socket");
			break;
		case 'S':
			rc |= copy(loc.state_dir, sizeof(loc.state_dir), optarg,
				   "state");
			break;
		case 'd':
			rc |= copy(loc.dataplane_bin, sizeof(loc.dataplane_bin),
				   optarg, "dataplane");
			break;
		case 'i':
			rc |= copy(loc.ike_bin, sizeof(loc.ike_bin), optarg,
				   "ike");
			break;
		case 'w':
			rc |= copy(loc.strongswan_conf,
				   sizeof(loc.strongswan_conf), optarg,
				   "strongswan-conf");
			break;
		case 'D':
			desired = optarg;
			break;
		case 'T':
			status = optarg;
			break;
		case 'I':
			interval = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			return usage();
		}
	}
	if (rc != 0 || desired == NULL || status == NULL || optind != argc)
		return usage();
	if (l2x_appl_create(&loc, &a, err, sizeof(err)) != 0) {
		fprintf(stderr, "appl_drive: %s\n", err);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("appl_drive: %s: started\n", loc.name);
	while (!stop) {
		int r = read_desired(desired, &next, perr, sizeof(perr));

		if (r >= 0) {
			l2x_appl_desired_fini(&cur);
			cur = next; /* r == 0: zeroed, no mesh */
			perr[0] = '\0';
		} else if (strcmp(perr, plast) != 0) {
			printf("appl_drive: desired: %s\n", perr);
		}
		snprintf(plast, sizeof(plast), "%s", perr);
		l2x_appl_desired_fini(&next);
		l2x_appl_converge(a, &cur, err, sizeof(err));
		if (strcmp(err, last) != 0 && err[0])
			printf("appl_drive: converge: %s\n", err);
		snprintf(last, sizeof(last), "%s", err);
		write_status(a, status);
		sleep_ms(interval);
	}
	l2x_appl_destroy(a);
	l2x_appl_desired_fini(&cur);
	printf("appl_drive: %s: stopped\n", loc.name);
	return 0;
}
