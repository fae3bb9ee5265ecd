/* SPDX-License-Identifier: MIT */
/*
 * ike_testenv.h - what the IKE unit tests (test_ike_*.c) share: a private
 * folder (mkdtemp) with a strongswan.conf and test certificates made with
 * strongSwan's `pki`, libstrongswan and libcharon initialised in this
 * process the way l2x-ike does it (ipsec/ike/ike_main.c: library_init(),
 * libcharon_init(), charon->initialize() with a plugin list), and a logger
 * that keeps every line charon logs up to level 3, the most l2x-ike lets
 * through (its log guard drops level 4).
 *
 * Plugins: l2x-ike's PLUGINS (ike_main.c) but vici, with l2x's own
 * kernel-ipsec backend (ike_kernel.h) registered first, as l2x-ike does;
 * socket-default on random ports (port = 0, port_nat_t = 0 in the
 * strongswan.conf), so that ike_cfg's local port is charon's real one;
 * kernel-netlink only for the kernel-net interface libcharon requires,
 * kept from changing the host (no routing rule, route or virtual IP).
 * charon->start() is never called: no worker threads, no IKE_SA is ever
 * initiated, no packet is sent.
 *
 * The certificates (all PEM, made once per process by the group setup):
 *   ca.crt / ca.key        Ed25519 CA "C=CH, O=l2x, CN=l2x unit CA"
 *   a.crt / a.key          Ed25519, issued by the CA, subject
 *                          L2X_IKE_TEST_A_DN, subjectAltNames
 *                          L2X_IKE_TEST_A_SAN and 198.18.1.2
 *   e.crt / e.key          ECDSA P-256, self-signed, not a CA
 * Every .key is mode 0600.
 *
 * This helper includes strongSwan headers, as only ipsec/ike/ike_*.c do
 * otherwise (STYLE.md 1): it is test code, like
 * tests/integration/lib/ike_kernel_drive.c, and includes no DPDK header.
 *
 * Thread-safety: up and down from the main thread, as cmocka group setup
 * and teardown; the logger may be called from any thread.
 */
#ifndef L2X_IKE_TESTENV_H
#define L2X_IKE_TESTENV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define L2X_IKE_TEST_NS "l2x-ike-test" /* library_init() name */
#define L2X_IKE_TEST_A_DN "C=CH, O=l2x, CN=site-a"
#define L2X_IKE_TEST_A_SAN "site-a.l2x.test"
#define L2X_IKE_TEST_CA_DN "C=CH, O=l2x, CN=l2x unit CA"

#define L2X_IKE_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Fail the running test with a message (printf-style: say the case) and
 * the failed condition. For table-driven tests; needs <cmocka.h>. */
#define L2X_IKE_CHECK(cond, ...)                                          \
	do {                                                              \
		if (!(cond)) {                                            \
			print_error(__VA_ARGS__);                         \
			print_error(" [%s:%d: %s]\n", __FILE__, __LINE__, \
				    #cond);                               \
			fail();                                           \
		}                                                         \
	} while (0)

/* Group setup: the folder, strongswan.conf, certificates, then
 * libstrongswan and libcharon. Returns 0, or -1 (said on stderr). */
int l2x_ike_testenv_up(void **state);
/* Group teardown: libcharon and libstrongswan down, the folder removed. */
int l2x_ike_testenv_down(void **state);

/* The private folder. */
const char *l2x_ike_test_dir(void);
/* out = folder + "/" + rel; fails the running test if it does not fit. */
void l2x_ike_test_path(const char *rel, char *out, size_t len);
/* Write len bytes to folder/rel (created or truncated), then chmod mode.
 * Fails the running test on an error. */
void l2x_ike_test_put(const char *rel, const void *data, size_t len,
		      mode_t mode);

/* How many items enumerator e (one pointer per item) gives; *first = the
 * first one (not a new reference) or NULL. e is destroyed before this
 * returns, so before the caller checks anything: a failed cmocka check
 * jumps out of the test, and an enumerator left alive would keep the lock
 * it holds (mem_cred's, peer_cfg's), hanging the tests after it. */
struct enumerator_t;
int l2x_ike_test_drain(struct enumerator_t *e, void *first);

/* The lines logged since the last clear, each ending in '\n'. */
void l2x_ike_test_log_clear(void);
bool l2x_ike_test_log_has(const char *needle);
/* Print the kept lines to stderr (on a failure, for the reader). */
void l2x_ike_test_log_dump(void);

#endif /* L2X_IKE_TESTENV_H */
