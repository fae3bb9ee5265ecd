/* SPDX-License-Identifier: MIT */
/*
 * l2x-agent - the control agent (DESIGN.md, "Processes"; docs/
 * architecture.md): one binary, the role its configuration file names.
 *
 *   l2x-agent -c FILE                      run the role (manager or appliance)
 *   l2x-agent -c FILE token api [--read-only]
 *   l2x-agent -c FILE token site|appliance [--ttl SECONDS]
 *   l2x-agent -c FILE pin                  print this agent's certificate pin
 *   l2x-agent -c FILE -n                   check the file and exit
 *
 * `token` (manager role) prints a new token once, on stdout: `api` for
 * people and scripts (bearer; --read-only may only read), `site` for the
 * other site's manager to pair with this one, `appliance` for an
 * appliance to enrol. It writes to the manager's store directly, so it
 * works whether the manager runs or not (the API's POST /pairingTokens
 * does the same for site and appliance tokens).
 *
 * SIGTERM and SIGINT stop the agent cleanly (an appliance agent stops its
 * dataplane and l2x-ike); exit status 0, or 1 with a sentence on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <sys/stat.h>

#include <jansson.h>

#include <sodium.h>

#include "control/agentconf.h"
#include "control/mgr.h"

static volatile sig_atomic_t stop_flag;

/* jansson's buffers hold PSKs and tokens while a document is parsed or
 * built: wipe every block it frees (malloc_usable_size covers it all). */
static void *json_alloc(size_t n)
{
	return malloc(n);
}

static void json_release(void *p)
{
	if (p != NULL) {
		sodium_memzero(p, malloc_usable_size(p));
		free(p);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: l2x-agent -c FILE [-n]\n"
		   "       l2x-agent -c FILE token api [--read-only]\n"
		   "       l2x-agent -c FILE token site|appliance "
		   "[--ttl SECONDS]\n"
		   "       l2x-agent -c FILE pin\n");
}

static int do_token(const struct l2x_agentconf *conf, int argc, char **argv)
{
	char err[512], tok[L2X_MGR_TOKEN_TEXT_LEN];
	bool read_only = false;
	long ttl = 900;
	int rc;

	if (argc < 1) {
		usage(stderr);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--read-only") == 0) {
			read_only = true;
		} else if (strcmp(argv[i], "--ttl") == 0 && i + 1 < argc) {
			char *end;

			ttl = strtol(argv[++i], &end, 10);
			if (*end != '\0' || ttl < 60 || ttl > 86400) {
				fprintf(stderr,
					"l2x-agent: --ttl: '%s' is "
					"outside 60..86400\n",
					argv[i]);
				return 1;
			}
		} else {
			usage(stderr);
			return 1;
		}
	}
	if (conf->role != L2X_AGENT_MANAGER) {
		fprintf(stderr, "l2x-agent: %s: tokens are a manager's\n",
			conf->file);
		return 1;
	}
	rc = l2x_mgr_token_cli(conf, argv[0], read_only, (unsigned)ttl, tok,
			       err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "l2x-agent: %s\n", err);
		return 1;
	}
	printf("%s\n", tok);
	sodium_memzero(tok, sizeof(tok));
	return 0;
}

/* The pin of this agent's TLS identity (created on first use): what
 * l2xctl --pin and the other agents check. */
static int print_pin(const struct l2x_agentconf *conf)
{
	char dir[L2X_AGENT_PATH_LEN + 8], err[512];
	struct l2x_tlsid id;

	if (mkdir(conf->state_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "l2x-agent: %s: %s\n", conf->state_dir,
			strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/tls", conf->state_dir);
	if (l2x_tlsid_load_or_create(dir, conf->name, &id, err, sizeof(err))) {
		fprintf(stderr, "l2x-agent: %s\n", err);
		return 1;
	}
	printf("%s\n", id.pin);
	l2x_tlsid_fini(&id);
	return 0;
}

int main(int argc, char **argv)
{
	struct l2x_agentconf conf;
	const char *file = NULL;
	bool check_only = false;
	char err[512];
	struct sigaction sa;
	int opt, rc;

	while ((opt = getopt(argc, argv, "+c:nh")) != -1) {
		switch (opt) {
		case 'c':
			file = optarg;
			break;
		case 'n':
			check_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (file == NULL) {
		usage(stderr);
		return 1;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "l2x-agent: libsodium failed to start\n");
		return 1;
	}
	umask(077);
	json_set_alloc_funcs(json_alloc, json_release);
	rc = l2x_agentconf_load(file, &conf, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "l2x-agent: %s\n", err);
		return 1;
	}
	if (check_only)
		return 0;
	/* Before any thread: curl's global state is not thread-safe. */
	if (l2x_https_global_init(err, sizeof(err)) != 0) {
		fprintf(stderr, "l2x-agent: %s\n", err);
		return 1;
	}
	if (optind < argc && strcmp(argv[optind], "token") == 0) {
		rc = do_token(&conf, argc - optind - 1, argv + optind + 1);
		l2x_https_global_fini();
		return rc;
	}
	if (optind + 1 == argc && strcmp(argv[optind], "pin") == 0) {
		rc = print_pin(&conf);
		l2x_https_global_fini();
		return rc;
	}
	if (optind < argc) {
		usage(stderr);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if (conf.role == L2X_AGENT_MANAGER)
		rc = l2x_mgr_run(&conf, &stop_flag, err, sizeof(err));
	else
		rc = l2x_applagent_run(&conf, &stop_flag, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "l2x-agent: %s\n", err);
	l2x_https_global_fini();
	return rc != 0 ? 1 : 0;
}
