/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config.c - libFuzzer harness for the appliance configuration loader:
 * a YAML file an operator (or a tool) wrote. Relative paths resolve in a
 * temporary folder made at start-up holding secrets/psk and two static SA
 * key files (mode 0600, like the shipped examples expect), so inputs get
 * past the secret-file checks to every later section and cross-check.
 * Invariants: a refusal always carries a FILE:LINE message, and a failed
 * load leaves the struct all zero (no key bytes behind).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

static char base[64] = "/tmp/l2x-fuzz-config-XXXXXX";

static void secret(const char *name, const char *text)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/secrets/%s", base, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

static void cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/secrets/psk", base);
	unlink(path);
	snprintf(path, sizeof(path), "%s/secrets/sa-a2b.key", base);
	unlink(path);
	snprintf(path, sizeof(path), "%s/secrets/sa-b2a.key", base);
	unlink(path);
	snprintf(path, sizeof(path), "%s/secrets", base);
	rmdir(path);
	rmdir(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[96];

	(void)argc;
	(void)argv;
	if (mkdtemp(base) == NULL)
		abort();
	snprintf(dir, sizeof(dir), "%s/secrets", base);
	if (mkdir(dir, 0700) != 0)
		abort();
	atexit(cleanup);
	secret("psk", "fuzz-not-a-secret\n");
	secret(
	    "sa-a2b.key",
	    "4c324c324c324c324c324c324c324c324c324c324c324c324c324c324c324c32"
	    "cafebabe\n");
	secret(
	    "sa-b2a.key",
	    "5d435d435d435d435d435d435d435d435d435d435d435d435d435d435d435d43"
	    "cafebabe\n");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static struct l2x_config cfg, zero;
	struct l2x_config_err err;

	memset(&err, 0, sizeof(err));
	if (l2x_config_parse("fuzz.yaml", (const char *)p, n, base, &cfg,
			     &err) == 0) {
		l2x_config_free(&cfg);
		return 0;
	}
	if (strncmp(err.msg, "fuzz.yaml:", 10) != 0)
		abort(); /* an error without its file and line */
	if (memcmp(&cfg, &zero, sizeof(cfg)) != 0)
		abort(); /* a failed load left bytes behind */
	return 0;
}
