/* SPDX-License-Identifier: MIT */
/*
 * ike_main.c - l2x-ike: strongSwan's libcharon embedded with l2x's
 * kernel-ipsec backend (DESIGN.md, "Processes" and "Building against
 * strongSwan"; ike_kernel.h).
 *
 * Start-up order, as strongSwan's own charon/charon.c does it:
 *   0. refuse to run with libmd loaded (symbol_check() says why);
 *   1. block SIGINT, SIGTERM and SIGHUP in every thread (charon's threads
 *      inherit the mask; main takes them with sigwaitinfo());
 *   2. --config FILE: load and validate the appliance configuration
 *      (control/config.h); an error is printed as FILE:LINE: FIELD:
 *      MESSAGE and ends the process with status 1;
 *   3. library_init(NULL, "l2x-ike"): settings come from strongswan.conf
 *      (or $STRONGSWAN_CONF) under the section "l2x-ike", so this daemon
 *      is configured apart from a system charon: l2x-ike { port, vici
 *      socket, filelog, load = PLUGINS ... }; then l2x's defaults for the
 *      retransmission of IKE requests (heal_defaults(), below), which
 *      strongswan.conf may override;
 *   4. libcharon_init(), the log guard (below), loggers (stderr at level
 *      1 unless strongswan.conf sets filelog/syslog);
 *   5. the l2x kernel-ipsec backend, as a static plugin feature, before
 *      any plugin loads so that it is the one charon uses;
 *   6. charon->initialize() with l2x-ike.load or PLUGINS below, searched
 *      in Debian's plugin folder (libstrongswan's built-in PLUGINDIR,
 *      /usr/lib/ipsec/plugins);
 *   7. a self-check: charon->kernel->get_spi() must reach the l2x backend,
 *      not kernel-netlink's XFRM one; otherwise status 1;
 *   8. with --config: the configuration applied (ike_config.h: backend,
 *      peer, child, credentials); an error (a credential file, a
 *      proposal no loaded plugin computes) ends the process with status
 *      1 and the message "l2x-ike: FILE: FIELD: MESSAGE" on stderr;
 *   9. charon->start(); the status socket (ike_status.h), the NAT
 *      mapping poll (ike_natmap.h); an initiator then starts its IKE_SA;
 *  10. wait for SIGINT/SIGTERM (shutdown, status 0) or SIGHUP: reload
 *      strongswan.conf (and l2x's retransmission defaults again),
 *      loggers and plugins, then re-read --config FILE
 *      and apply it; a file that does not load or apply is logged
 *      ("l2x-ike: SIGHUP: FILE:LINE: FIELD: MESSAGE, keeping the running
 *      configuration") and the running one stays.
 *
 * Log guard: strongSwan logs key material at level 4 (LEVEL_PRIVATE): the
 * PSK itself ("secret %B" in keymat_v2.c), SKEYSEED and the SK_* keys, the
 * ESP keys, the ASN.1 of parsed private keys. l2x-ike drops every level-4
 * message at the bus (charon->bus->log/vlog), whatever strongswan.conf
 * or a vici client asks for, so "default = 4" logs as much as 3 does and
 * no key reaches a log (issue 5, "Secrets").
 *
 * Usage: l2x-ike [--config FILE]
 * Exit status: 0 after SIGINT/SIGTERM; 1 an error; 2 a usage error.
 */
#include <daemon.h>
#include <library.h>

#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "control/config.h"
#include "ipsec/ike/ike_config.h"
#include "ipsec/ike/ike_kernel.h"
#include "ipsec/ike/ike_natmap.h"
#include "ipsec/ike/ike_status.h"

/* The settings section and logging name (DESIGN.md: "Logging is
 * configured under the name given to library_init()"). */
#define IKE_NAME "l2x-ike"

/* What IKEv2 in l2x needs from Debian's plugin folder: randomness and
 * nonces; IKE crypto (AES, SHA-1/2, HMAC, KDF, X25519 and Ed25519 through
 * curve25519, modp and RSA through gmp, ChaCha20-Poly1305; AES-GCM, the
 * default IKE proposal, through gcm, and ECDSA and the rest through
 * openssl, both from libstrongswan-standard-plugins: a plugin that is not
 * installed is skipped with a log line, and a proposal that needs it is
 * refused at load); certificates and keys; kernel-netlink for addresses
 * and routes (its kernel-ipsec loses to ours); the UDP sockets; vici for
 * the agent. */
#define PLUGINS                                                           \
	"random nonce aes sha1 sha2 hmac kdf gmp curve25519 chapoly gcm " \
	"openssl pem pkcs1 pkcs8 x509 pubkey revocation constraints "     \
	"kernel-netlink socket-default vici"

/* Healing (issue 5): charon declares a peer dead, or an IKE_SA_INIT
 * unanswered, only when its retransmissions give up: request, then waits
 * of timeout * base^n for n = 0 .. tries, which strongSwan's defaults (4 s,
 * 1.8, 5) make 165 s. l2x's tunnel is one point-to-point peer that either
 * answers within a round trip or is gone, so l2x-ike's defaults give up
 * after 1 + 1.4 + 1.96 + 2.74 = 7.1 s: a dead peer is found within
 * peer.dpd_delay + 7.1 s of its last packet, and the initiator, which
 * retries for ever (keyingtries 0), sends an IKE_SA_INIT at least every
 * 2.74 s, so it reaches a peer within 3 s of the WAN coming back.
 * strongswan.conf (l2x-ike.retransmit_*) overrides them. */
static const struct {
	const char *key;
	const char *value;
} heal_settings[] = {
    {"retransmit_timeout", "1.0"},
    {"retransmit_base", "1.4"},
    {"retransmit_tries", "3"},
};

/* The defaults above, under the settings section "l2x-ike" (lib->ns):
 * after library_init() and after each reload, which drops the keys that
 * strongswan.conf does not set. */
static void heal_defaults(void)
{
	for (size_t i = 0; i < sizeof(heal_settings) / sizeof(heal_settings[0]);
	     i++)
		lib->settings->set_default_str(lib->settings, "%s.%s",
					       (char *)heal_settings[i].value,
					       lib->ns, heal_settings[i].key);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " IKE_NAME " [--config FILE]\n"
		   "  --config FILE  the appliance configuration (YAML) to "
		   "load and validate\n"
		   "strongSwan settings: strongswan.conf or $STRONGSWAN_CONF, "
		   "section \"" IKE_NAME "\"\n");
}

/* Step 0. strongSwan's sha1 plugin exports SHA1Update and calls it through
 * the PLT; libmd (a dependency of libbsd) exports one with another
 * context layout, and the first one loaded wins: with libmd in the
 * process every SHA-1 (NAT-D, certificate key ids) runs forever. Refuse to
 * start rather than spin. Returns 0 or -1 (printed). */
static int symbol_check(void)
{
	if (dlsym(RTLD_DEFAULT, "SHA1Update") == NULL)
		return 0;
	fprintf(stderr,
		IKE_NAME ": libmd is loaded into this process (l2x-ike was "
			 "linked with -lbsd?): its SHA1Update would replace "
			 "the one of strongSwan's sha1 plugin and every "
			 "SHA-1 would run forever; link l2x-ike without "
			 "-lbsd (Makefile, the l2x-ike rule)\n");
	return -1;
}

static void rng_fill(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	randombytes_buf(buf, len);
}

/* Step 7: a get_spi through charon's kernel interface must land in our
 * backend. Returns 0 or -1 (logged). */
static int self_check(void)
{
	struct l2x_ike_kernel_calls before, after;
	host_t *any = host_create_any(AF_INET);
	uint32_t spi = 0;
	status_t st;

	if (any == NULL)
		return -1;
	l2x_ike_kernel_calls(&before);
	st = charon->kernel->get_spi(charon->kernel, any, any, IPPROTO_ESP,
				     &spi);
	l2x_ike_kernel_calls(&after);
	any->destroy(any);
	if (after.calls[L2X_IKE_KERNEL_GET_SPI] ==
	    before.calls[L2X_IKE_KERNEL_GET_SPI]) {
		DBG1(DBG_DMN, "l2x-ike: self-check: get_spi did not reach the "
			      "l2x kernel-ipsec backend (another backend is "
			      "loaded first?)");
		return -1;
	}
	if (st != SUCCESS || ntohl(spi) < 256) {
		DBG1(DBG_DMN,
		     "l2x-ike: self-check: the l2x backend's get_spi "
		     "failed (%N)",
		     status_names, st);
		return -1;
	}
	DBG1(DBG_DMN,
	     "l2x-ike: self-check: kernel-ipsec is the l2x backend "
	     "(get_spi gave SPI %.8x)",
	     ntohl(spi));
	return 0;
}

/* The log guard (header comment): level 4 never reaches a logger. */
static void (*bus_vlog)(bus_t *bus, debug_t group, level_t level, char *fmt,
			va_list args);

static void guarded_vlog(bus_t *bus, debug_t group, level_t level, char *fmt,
			 va_list args)
{
	if (level >= LEVEL_PRIVATE)
		return;
	bus_vlog(bus, group, level, fmt, args);
}

static void guarded_log(bus_t *bus, debug_t group, level_t level, char *fmt,
			...)
{
	va_list args;

	if (level >= LEVEL_PRIVATE)
		return;
	va_start(args, fmt);
	bus_vlog(bus, group, level, fmt, args);
	va_end(args);
}

/* Before any other thread exists (libcharon_init() creates the bus). */
static void guard_log(void)
{
	bus_vlog = charon->bus->vlog;
	charon->bus->vlog = guarded_vlog;
	charon->bus->log = guarded_log;
}

/* The running configuration and its source (--config). */
struct ike_state {
	const char *config; /* NULL: none given, nothing applied */
	struct l2x_ike_config *ic;
};

/* SIGHUP, step 10: strongswan.conf, then the appliance configuration. */
static void reload(struct ike_state *st)
{
	static struct l2x_config next; /* large: not on the stack */
	struct l2x_config_err err;
	char why[L2X_IKE_CONFIG_ERR_LEN];

	DBG1(DBG_DMN, "l2x-ike: SIGHUP: reloading strongswan.conf");
	if (lib->settings->load_files(lib->settings, lib->conf, FALSE)) {
		heal_defaults();
		charon->load_loggers(charon);
		lib->plugins->reload(lib->plugins, NULL);
	} else {
		DBG1(DBG_DMN, "l2x-ike: reloading strongswan.conf "
			      "failed, keeping the old settings");
	}
	if (st->config == NULL)
		return;
	if (l2x_config_load(st->config, &next, &err) < 0) {
		DBG1(DBG_DMN,
		     "l2x-ike: SIGHUP: %s, keeping the running "
		     "configuration",
		     err.msg);
		return;
	}
	if (l2x_ike_config_apply(st->ic, &next, st->config, why, sizeof(why)) <
	    0)
		DBG1(DBG_DMN,
		     "l2x-ike: SIGHUP: %s, keeping the running "
		     "configuration",
		     why);
	else if (l2x_ike_kernel_set_ctl(next.dataplane.control_socket,
					(unsigned int)next.tunnel.encap) < 0)
		DBG1(DBG_DMN,
		     "l2x-ike: SIGHUP: dataplane.control_socket %s: "
		     "not a usable path, keeping the old one",
		     next.dataplane.control_socket);
	else
		DBG1(DBG_DMN, "l2x-ike: SIGHUP: configuration %s applied",
		     st->config);
	l2x_config_free(&next);
}

/* Step 10. Returns the signal that ended the wait, or -1. */
static int wait_signals(const sigset_t *set, struct ike_state *st)
{
	for (;;) {
		int sig = sigwaitinfo(set, NULL);

		if (sig == -1) {
			if (errno == EINTR)
				continue;
			DBG1(DBG_DMN, "l2x-ike: waiting for signals failed: %s",
			     strerror(errno));
			return -1;
		}
		if (sig != SIGHUP)
			return sig;
		reload(st);
	}
}

static void log_calls(void)
{
	struct l2x_ike_kernel_calls c;

	l2x_ike_kernel_calls(&c);
	for (int i = 0; i < L2X_IKE_KERNEL_CALL_MAX; i++) {
		if (c.calls[i] == 0)
			continue;
		DBG1(DBG_DMN, "l2x-ike: backend %s: %llu calls, %llu refused",
		     l2x_ike_kernel_call_name(i),
		     (unsigned long long)c.calls[i],
		     (unsigned long long)c.refused[i]);
	}
}

static int parse_args(int argc, char **argv, const char **config)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int o;

	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			*config = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, IKE_NAME ": unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct l2x_config cfg; /* large: not on the stack */
	const struct l2x_ike_rng rng = {.fill = rng_fill};
	struct ike_state st = {0};
	struct l2x_ike_status *status = NULL;
	struct l2x_ike_natmap *natmap = NULL;
	char status_path[108] = ""; /* sun_path */
	level_t levels[DBG_MAX];
	struct l2x_config_err err;
	char why[L2X_IKE_CONFIG_ERR_LEN];
	sigset_t set;
	char *plugins;
	int rc = 1, sig, r;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (parse_args(argc, argv, &st.config) < 0)
		return 2;
	if (symbol_check() < 0)
		return 1;
	if (sodium_init() < 0) {
		fprintf(stderr, IKE_NAME ": libsodium failed to initialise\n");
		return 1;
	}
	if (st.config != NULL) {
		r = l2x_config_load(st.config, &cfg, &err);
		if (r < 0) {
			fprintf(stderr, IKE_NAME ": %s\n", err.msg);
			return 1;
		}
	}

	if (!library_init(NULL, IKE_NAME)) {
		fprintf(stderr, IKE_NAME ": library_init failed\n");
		goto err_lib;
	}
	heal_defaults();
	if (!libcharon_init()) {
		fprintf(stderr, IKE_NAME ": libcharon_init failed\n");
		goto err_charon;
	}
	guard_log();
	for (int g = 0; g < DBG_MAX; g++)
		levels[g] = LEVEL_CTRL;
	charon->set_default_loggers(charon, levels, TRUE);
	charon->load_loggers(charon);

	r = l2x_ike_kernel_register(&rng);
	if (r < 0) {
		DBG1(DBG_DMN,
		     "l2x-ike: registering the kernel-ipsec backend "
		     "failed: %s",
		     strerror(-r));
		goto err_charon;
	}
	plugins =
	    lib->settings->get_str(lib->settings, "%s.load", PLUGINS, lib->ns);
	if (!charon->initialize(charon, plugins)) {
		DBG1(DBG_DMN, "l2x-ike: charon failed to initialise");
		goto err_charon;
	}
	if (self_check() < 0)
		goto err_charon;
	if (st.config != NULL) {
		/* after the self-check: from here get_spi asks the dataplane */
		if (l2x_ike_kernel_set_ctl(cfg.dataplane.control_socket,
					   (unsigned int)cfg.tunnel.encap) <
		    0) {
			DBG1(DBG_DMN,
			     "l2x-ike: dataplane.control_socket %s: "
			     "not a usable path",
			     cfg.dataplane.control_socket);
			goto err_config;
		}
		if (l2x_ike_config_create(&st.ic) < 0) {
			DBG1(DBG_DMN, "l2x-ike: out of memory");
			goto err_charon;
		}
		if (l2x_ike_config_apply(st.ic, &cfg, st.config, why,
					 sizeof(why)) < 0) {
			/* Both: the log may be a file nobody watches. */
			DBG1(DBG_DMN, "l2x-ike: %s", why);
			fprintf(stderr, IKE_NAME ": %s\n", why);
			goto err_config;
		}
		snprintf(status_path, sizeof(status_path), "%s",
			 cfg.dataplane.control_socket);
		l2x_config_free(&cfg); /* applied: no longer needed */
	}

	charon->start(charon);
	DBG1(DBG_DMN, "l2x-ike: started (strongSwan " VERSION ")");
	if (status_path[0] != '\0') {
		r = l2x_ike_status_start(status_path, &status);
		if (r < 0)
			DBG1(DBG_DMN,
			     "l2x-ike: status socket %s" L2X_IKE_STATUS_SUFFIX
			     ": %s (l2xctl show ike will not answer)",
			     status_path, strerror(-r));
	}
	if (st.ic != NULL) {
		r = l2x_ike_natmap_start(&natmap);
		if (r < 0)
			DBG1(DBG_DMN,
			     "l2x-ike: NAT mapping poll: %s (a peer's new NAT "
			     "port reaches IKE only by its own requests)",
			     strerror(-r));
		l2x_ike_config_start(st.ic);
	}
	sig = wait_signals(&set, &st);
	if (sig > 0) {
		DBG1(DBG_DMN, "l2x-ike: %s received, shutting down",
		     sig == SIGINT ? "SIGINT" : "SIGTERM");
		charon->bus->alert(charon->bus, ALERT_SHUTDOWN_SIGNAL, sig);
		rc = 0;
	}
	log_calls();
	l2x_ike_natmap_stop(natmap);
	l2x_ike_status_stop(status);

err_config:
	l2x_ike_config_destroy(st.ic);
err_charon:
	libcharon_deinit();
err_lib:
	library_deinit();
	l2x_config_free(&cfg);
	return rc;
}
