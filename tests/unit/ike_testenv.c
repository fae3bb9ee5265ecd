/* SPDX-License-Identifier: MIT */
/*
 * ike_testenv.c - libstrongswan and libcharon in a unit test process
 * (ike_testenv.h).
 */
#include <daemon.h>
#include <library.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ipsec/ike/ike_kernel.h"
#include "tests/unit/ike_testenv.h"
#include "tests/unit/testfs.h"

/* l2x-ike's PLUGINS (ipsec/ike/ike_main.c) without vici (no control socket).
 * libcharon needs a kernel-ipsec, l2x's own (registered before these
 * load, as ike_main.c does), and a kernel-net: kernel-netlink's, which
 * only reads addresses here (CONF below). */
#define TEST_PLUGINS                                                      \
	"random nonce aes sha1 sha2 hmac kdf gmp curve25519 chapoly gcm " \
	"openssl pem pkcs1 pkcs8 x509 pubkey revocation constraints "     \
	"kernel-netlink socket-default"

/* charon: random IKE ports (nothing else binds 500 or 4500); no routing
 * rule, route or virtual IP from kernel-netlink (routing_table = 0: it
 * would add an "ip rule" to the host at load). The pki tool gets its own
 * plugin list: its default also loads tpm, which complains on every run
 * where no TPM is. */
#define CONF                                                              \
	L2X_IKE_TEST_NS " {\n"                                            \
			"\tport = 0\n"                                    \
			"\tport_nat_t = 0\n"                              \
			"\trouting_table = 0\n"                           \
			"\tinstall_routes = no\n"                         \
			"\tinstall_virtual_ip = no\n"                     \
			"\tplugins {\n"                                   \
			"\t\tkernel-netlink {\n"                          \
			"\t\t\troam_events = no\n"                        \
			"\t\t}\n"                                         \
			"\t}\n"                                           \
			"}\n"                                             \
			"pki {\n"                                         \
			"\tload = random nonce sha1 sha2 gmp curve25519 " \
			"openssl pem pkcs1 pkcs8 x509 pubkey\n"           \
			"}\n"

#define LOG_MAX (1024 * 1024)

#ifdef __SANITIZE_ADDRESS__
/* Full malloc stacks under ASan, for LeakSanitizer's suppressions
 * (tests/unit/lsan-ike.supp name strongSwan and OpenSSL frames): OpenSSL
 * has no frame pointers, and the fast unwinder stops inside libcrypto.
 * ASAN_OPTIONS from the environment still apply on top. ASan's printf
 * interceptor warns once per process ("unexpected format specifier ...
 * %N"): strongSwan's log lines use its own printf hooks (%N, %Y, %H),
 * which ASan cannot parse; harmless. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}
#endif

static char dir[64];
static bool lib_up, charon_up;

static struct {
	pthread_mutex_t lock;
	char *text; /* LOG_MAX + 1 bytes */
	size_t len;
} logbuf = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- the logger ---------------------------------------------------------- */

static void log_line(logger_t *l, debug_t group, level_t level, int thread,
		     ike_sa_t *ike_sa, const char *message)
{
	size_t n = strlen(message);

	(void)l;
	(void)group;
	(void)level;
	(void)thread;
	(void)ike_sa;
	pthread_mutex_lock(&logbuf.lock);
	if (logbuf.text != NULL && logbuf.len + n + 1 <= LOG_MAX) {
		memcpy(logbuf.text + logbuf.len, message, n);
		logbuf.len += n;
		logbuf.text[logbuf.len++] = '\n';
		logbuf.text[logbuf.len] = '\0';
	}
	pthread_mutex_unlock(&logbuf.lock);
}

static level_t log_level(logger_t *l, debug_t group)
{
	(void)l;
	(void)group;
	return LEVEL_RAW; /* 3: l2x-ike's log guard drops 4 (ike_main.c) */
}

static logger_t logger = {.log = log_line, .get_level = log_level};

/* The kernel backend's SPIs without a dataplane; no test asks for one. */
static void fill(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	memset(buf, 0x5c, len);
}

static const struct l2x_ike_rng rng = {.fill = fill};

void l2x_ike_test_log_clear(void)
{
	pthread_mutex_lock(&logbuf.lock);
	logbuf.len = 0;
	if (logbuf.text != NULL)
		logbuf.text[0] = '\0';
	pthread_mutex_unlock(&logbuf.lock);
}

bool l2x_ike_test_log_has(const char *needle)
{
	bool has;

	pthread_mutex_lock(&logbuf.lock);
	has = logbuf.text != NULL && strstr(logbuf.text, needle) != NULL;
	pthread_mutex_unlock(&logbuf.lock);
	return has;
}

void l2x_ike_test_log_dump(void)
{
	pthread_mutex_lock(&logbuf.lock);
	fprintf(stderr, "--- charon log\n%s---\n",
		logbuf.text != NULL ? logbuf.text : "");
	pthread_mutex_unlock(&logbuf.lock);
}

int l2x_ike_test_drain(enumerator_t *e, void *first)
{
	void *item, **out = first;
	int n = 0;

	*out = NULL;
	while (e->enumerate(e, &item)) {
		if (n++ == 0)
			*out = item;
	}
	e->destroy(e);
	return n;
}

/* ---- files --------------------------------------------------------------- */

const char *l2x_ike_test_dir(void)
{
	return dir;
}

void l2x_ike_test_path(const char *rel, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s", dir, rel);

	assert_true(n > 0 && (size_t)n < len);
}

static int put_file(const char *rel, const void *data, size_t len, mode_t mode)
{
	char path[256];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) != 0)
		rc = -1;
	close(fd);
	return rc;
}

void l2x_ike_test_put(const char *rel, const void *data, size_t len,
		      mode_t mode)
{
	if (put_file(rel, data, len, mode) != 0)
		fail_msg("writing %s/%s: %s", dir, rel, strerror(errno));
}

/* Run one shell command in the folder; its stderr goes to pki.log. */
static int run(const char *cmd)
{
	char line[1024];
	int st;

	snprintf(line, sizeof(line), "cd %s && { %s; } 2>>pki.log", dir, cmd);
	st = system(line);
	if (st != 0) {
		fprintf(stderr,
			"ike_testenv: '%s' failed (status %d), see %s\n", cmd,
			st, "pki.log");
		snprintf(line, sizeof(line), "cat %s/pki.log >&2", dir);
		if (system(line) != 0)
			fprintf(stderr, "ike_testenv: no pki.log\n");
		return -1;
	}
	return 0;
}

/* The certificates of ike_testenv.h. */
static int make_certs(void)
{
	static const char *const cmds[] = {
	    "pki --gen --type ed25519 --outform pem >ca.key",
	    "pki --self --ca --lifetime 30 --in ca.key --type ed25519 "
	    "--dn '" L2X_IKE_TEST_CA_DN "' --outform pem >ca.crt",
	    "pki --gen --type ed25519 --outform pem >a.key",
	    "pki --pub --in a.key | pki --issue --lifetime 30 --cacert ca.crt "
	    "--cakey ca.key --dn '" L2X_IKE_TEST_A_DN "' "
	    "--san " L2X_IKE_TEST_A_SAN " --san 198.18.1.2 --outform pem "
	    ">a.crt",
	    "pki --gen --type ecdsa --size 256 --outform pem >e.key",
	    "pki --self --lifetime 30 --in e.key --type ecdsa "
	    "--dn 'CN=not a ca' --outform pem >e.crt",
	    "chmod 600 ca.key a.key e.key",
	};

	for (size_t i = 0; i < L2X_IKE_ARRAY_LEN(cmds); i++) {
		if (run(cmds[i]) != 0)
			return -1;
	}
	return 0;
}

/* ---- setup and teardown -------------------------------------------------- */

int l2x_ike_testenv_up(void **state)
{
	char conf[128];

	snprintf(dir, sizeof(dir), "/tmp/l2x-ike-unit-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "ike_testenv: mkdtemp: %s\n", strerror(errno));
		dir[0] = '\0';
		return -1;
	}
	logbuf.text = malloc(LOG_MAX + 1);
	if (logbuf.text == NULL)
		goto err;
	l2x_ike_test_log_clear();
	snprintf(conf, sizeof(conf), "%s/strongswan.conf", dir);
	if (put_file("strongswan.conf", CONF, strlen(CONF), 0644) != 0 ||
	    setenv("STRONGSWAN_CONF", conf, 1) != 0) {
		fprintf(stderr, "ike_testenv: %s: %s\n", conf, strerror(errno));
		goto err;
	}
	if (make_certs() != 0)
		goto err;

	lib_up = true; /* library_deinit() even after a failed init */
	if (!library_init(NULL, L2X_IKE_TEST_NS)) {
		fprintf(stderr, "ike_testenv: library_init failed\n");
		goto err;
	}
	charon_up = true;
	if (!libcharon_init()) {
		fprintf(stderr, "ike_testenv: libcharon_init failed\n");
		goto err;
	}
	charon->bus->add_logger(charon->bus, &logger);
	if (l2x_ike_kernel_register(&rng) != 0 ||
	    !charon->initialize(charon, TEST_PLUGINS)) {
		fprintf(stderr, "ike_testenv: charon->initialize failed\n");
		l2x_ike_test_log_dump();
		goto err;
	}
	return 0;
err:
	/* cmocka runs no group teardown after a failed setup */
	l2x_ike_testenv_down(state);
	return -1;
}

int l2x_ike_testenv_down(void **state)
{
	(void)state;
	if (charon_up) {
		charon->bus->remove_logger(charon->bus, &logger);
		libcharon_deinit();
		charon_up = false;
	}
	if (lib_up) {
		library_deinit();
		lib_up = false;
	}
	pthread_mutex_lock(&logbuf.lock);
	free(logbuf.text);
	logbuf.text = NULL;
	pthread_mutex_unlock(&logbuf.lock);
	if (dir[0] != '\0' && l2x_test_rmtree(dir) != 0)
		return -1;
	dir[0] = '\0';
	return 0;
}
