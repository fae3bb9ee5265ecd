/* SPDX-License-Identifier: MIT */
/*
 * applagent.c - the appliance role of l2x-agent (mgr.h): enrol once with
 * the manager, then every 500 ms pull the desired state (mutual TLS, the
 * manager's pinned certificate), converge the local dataplane and l2x-ike
 * to it (control/appliance.h) and push back what they hold. While a
 * network is being moved off or onto its pair, the manager's answer says
 * "pollMs": 100 and the next round comes that soon: a move is two rounds
 * (off the old pair at both sites, then on the new one), and at 500 ms a
 * round it cost about 0.8-1.1 s of traffic.
 *
 * Enrolment. With no manager pin in STATE_DIR/manager.pin, the agent
 * reads its one-time token from enroll_token_file, POSTs /enroll with its
 * name, switch and certificate (no pin yet: the token authenticates),
 * checks the answer's mac (only a holder of the token can make it: the
 * answer is the manager's), pins the manager's certificate and proves the
 * pin with a pinned call before writing it (0600). Afterwards a manager
 * that shows another certificate is refused at every call, and the agent
 * says so.
 *
 * A manager that cannot be reached changes nothing here: the appliance
 * keeps converging to the last desired state it got (a restarted
 * dataplane or l2x-ike is still brought back), and that state is kept in
 * STATE_DIR/desired.json (0600) for a restart of the agent itself, so a
 * manager outage never takes a network down. Stopping the agent stops
 * its dataplane and l2x-ike (they are its children); starting it again
 * brings them back from the kept state at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "control/appliance.h"
#include "control/mgr.h"

#define POLL_US (500 * 1000)
#define CALL_TIMEOUT_MS 5000u

struct agent {
	const struct l2x_agentconf *conf;
	struct l2x_tlsid id;
	char pin[L2X_TLSID_PIN_LEN];
	char pin_file[L2X_AGENT_PATH_LEN + 16];
	char last_err[512];
	char last_desired_hash[65];
	unsigned cur;	  /* the manager of conf->managers[] talked to */
	unsigned poll_us; /* until the next round: the manager's pollMs */
};

/* That manager did not answer, or does not lead (503): try the next of
 * the site's managers on the next call. They share one TLS identity (one
 * pin), so any of them is the manager this appliance enrolled with. */
static void next_manager(struct agent *a)
{
	if (a->conf->n_managers > 1)
		a->cur = (a->cur + 1) % a->conf->n_managers;
}

/* Say an error once, not every 500 ms. */
static void say(struct agent *a, const char *msg)
{
	if (strcmp(a->last_err, msg) == 0)
		return;
	snprintf(a->last_err, sizeof(a->last_err), "%s", msg);
	if (msg[0] != '\0')
		fprintf(stderr, "l2x-agent[%s]: %s\n", a->conf->name, msg);
}

static int call(struct agent *a, const char *pin, const char *method,
		const char *path, const char *body, int *status, char **resp,
		char *err, size_t errlen)
{
	struct l2x_https_client c = {
	    .cert_path = a->id.cert_path,
	    .key_path = a->id.key_path,
	    .pin = pin,
	    .timeout_ms = CALL_TIMEOUT_MS,
	};
	char url[L2X_AGENT_URL_LEN + 64];

	int rc;

	snprintf(url, sizeof(url), "%s/api/v1%s", a->conf->managers[a->cur],
		 path);
	rc = l2x_https_call(&c, method, url, body, status, resp, err, errlen);
	if (rc != 0 || *status == 503)
		next_manager(a);
	return rc;
}

static int read_token(const char *file, char *tok, size_t cap, char *err,
		      size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	if ((st.st_mode & 077) != 0) {
		close(fd);
		snprintf(err, errlen,
			 "%s: mode %03o: a token file must be 0600", file,
			 (unsigned)(st.st_mode & 0777));
		return -EPERM;
	}
	n = read(fd, tok, cap - 1);
	close(fd);
	if (n <= 0) {
		snprintf(err, errlen, "%s: empty", file);
		return -EINVAL;
	}
	tok[n] = '\0';
	tok[strcspn(tok, " \t\r\n")] = '\0';
	return 0;
}

static int enrol(struct agent *a, char *err, size_t errlen)
{
	char tok[L2X_MGR_TOKEN_TEXT_LEN + 8], mac[65], pin[L2X_TLSID_PIN_LEN];
	char tid[L2X_APITOKEN_ID_LEN + 1];
	uint8_t key[L2X_MGR_KEY_LEN] = {0};
	char *resp = NULL, *text = NULL, e2[256];
	json_t *body, *ans = NULL;
	const char *cert, *rmac;
	int status, rc, fd;

	if (a->conf->enroll_token_file[0] == '\0') {
		snprintf(err, errlen,
			 "not enrolled and no enroll_token_file in %s",
			 a->conf->file);
		return -EINVAL;
	}
	rc = read_token(a->conf->enroll_token_file, tok, sizeof(tok), err,
			errlen);
	if (rc != 0)
		return rc;
	if (l2x_apitoken_id(tok, tid) != 0) {
		snprintf(err, errlen, "%s: not an enrolment token",
			 a->conf->enroll_token_file);
		rc = -EINVAL;
		goto out;
	}
	l2x_mgr_token_key(tok, key);
	l2x_mgr_pair_mac(key, "l2x-enroll-req", a->id.cert_pem, "", mac);
	body = json_pack("{s:s,s:s,s:s,s:s,s:s}", "tokenId", tid, "name",
			 a->conf->name, "switch", a->conf->sw, "certificate",
			 a->id.cert_pem, "mac", mac);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	rc =
	    call(a, NULL, "POST", "/enroll", text, &status, &resp, err, errlen);
	sodium_memzero(text, strlen(text));
	free(text);
	if (rc != 0)
		goto out;
	ans = resp != NULL ? json_loads(resp, 0, NULL) : NULL;
	if (status != 201) {
		const char *msg = json_string_value(
		    json_object_get(json_object_get(ans, "error"), "message"));

		snprintf(err, errlen, "the manager refused the enrolment: %s",
			 msg != NULL ? msg : "no reason");
		rc = -EACCES;
		goto out;
	}
	cert = json_string_value(json_object_get(ans, "certificate"));
	rmac = json_string_value(json_object_get(ans, "mac"));
	if (cert == NULL || rmac == NULL || l2x_tlsid_pin_pem(cert, pin) != 0) {
		snprintf(err, errlen, "the manager's answer is malformed");
		rc = -EPROTO;
		goto out;
	}
	l2x_mgr_pair_mac(key, "l2x-enroll", a->id.cert_pem, cert, mac);
	if (strlen(rmac) != 64 || sodium_memcmp(mac, rmac, 64) != 0) {
		snprintf(err, errlen,
			 "the enrolment answer was not made with the token: "
			 "not the manager");
		rc = -EACCES;
		goto out;
	}
	free(resp);
	resp = NULL;
	rc = call(a, pin, "GET", "/appliance/desired", NULL, &status, &resp, e2,
		  sizeof(e2));
	if (rc != 0 || status != 200) {
		snprintf(err, errlen,
			 "the manager's certificate check failed: %s",
			 rc != 0 ? e2 : "refused");
		rc = -EACCES;
		goto out;
	}
	fd = open(a->pin_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, pin, strlen(pin)) != (ssize_t)strlen(pin) ||
	    fsync(fd) != 0) {
		snprintf(err, errlen, "%s: %s", a->pin_file, strerror(errno));
		rc = -errno;
	}
	if (fd >= 0)
		close(fd);
	if (rc == 0) {
		snprintf(a->pin, sizeof(a->pin), "%s", pin);
		fprintf(stderr,
			"l2x-agent[%s]: enrolled with %s (site %s, pin %s)\n",
			a->conf->name, a->conf->managers[a->cur],
			json_string_value(json_object_get(ans, "site")), pin);
	}
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(tok, sizeof(tok));
	json_decref(ans);
	free(resp);
	return rc;
}

static int load_pin(struct agent *a)
{
	FILE *f = fopen(a->pin_file, "r");
	char buf[L2X_TLSID_PIN_LEN + 4] = "";

	if (f == NULL)
		return -ENOENT;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (l2x_tlsid_pin_check(buf) != 0 || strlen(buf) >= sizeof(a->pin))
		return -EINVAL;
	memcpy(a->pin, buf, strlen(buf) + 1);
	return 0;
}

static void local_settings(const struct l2x_agentconf *c,
			   struct l2x_appl_local *loc)
{
	memset(loc, 0, sizeof(*loc));
	snprintf(loc->name, sizeof(loc->name), "%s", c->name);
	snprintf(loc->lan_device, sizeof(loc->lan_device), "%s",
		 c->dp.lan_device);
	loc->lan_mode =
	    c->dp.lan_access ? L2X_CONFIG_LAN_ACCESS : L2X_CONFIG_LAN_TRUNK;
	snprintf(loc->uplink_device, sizeof(loc->uplink_device), "%s",
		 c->dp.uplink_device);
	loc->lcore_main = c->dp.lcore_main;
	for (unsigned i = 0; i < c->dp.n_workers; i++)
		loc->lcore_workers[i] = c->dp.workers[i];
	loc->n_workers = c->dp.n_workers;
	loc->memory_mb = c->dp.memory_mb;
	loc->no_huge = c->dp.no_huge;
	/* agentconf.c held it to the socket path limit. */
	memcpy(loc->control_socket, c->dp.control_socket,
	       strnlen(c->dp.control_socket, sizeof(loc->control_socket) - 1));
	snprintf(loc->state_dir, sizeof(loc->state_dir), "%s", c->state_dir);
	snprintf(loc->dataplane_bin, sizeof(loc->dataplane_bin), "%s",
		 c->dp.binary);
	snprintf(loc->ike_bin, sizeof(loc->ike_bin), "%s", c->dp.ike_binary);
	snprintf(loc->strongswan_conf, sizeof(loc->strongswan_conf), "%s",
		 c->dp.strongswan_conf);
}

/* The last desired state, kept (0600: it holds the PSK) so that an agent
 * restarted while its manager is unreachable brings the appliance back
 * as it was instead of running nothing. Written only when it changed. */
static void keep_desired(struct agent *a, const char *text)
{
	char path[L2X_AGENT_PATH_LEN + 32], tmp[L2X_AGENT_PATH_LEN + 40];
	size_t n = strlen(text);
	int fd;

	if (strcmp(a->last_desired_hash, "") != 0) {
		char h[65];
		unsigned char b[32];

		crypto_generichash(b, sizeof(b), (const unsigned char *)text, n,
				   NULL, 0);
		sodium_bin2hex(h, sizeof(h), b, sizeof(b));
		if (strcmp(h, a->last_desired_hash) == 0)
			return;
	}
	snprintf(path, sizeof(path), "%s/desired.json", a->conf->state_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, text, n) == (ssize_t)n && fsync(fd) == 0 &&
	    close(fd) == 0 && rename(tmp, path) == 0) {
		unsigned char b[32];

		crypto_generichash(b, sizeof(b), (const unsigned char *)text, n,
				   NULL, 0);
		sodium_bin2hex(a->last_desired_hash,
			       sizeof(a->last_desired_hash), b, sizeof(b));
		return;
	}
	close(fd);
	unlink(tmp);
}

/* The kept desired state, if any, into d. */
static bool kept_desired(struct agent *a, struct l2x_appl_desired *d)
{
	char path[L2X_AGENT_PATH_LEN + 32], err[256];
	char *buf = malloc(1 << 20);
	bool ok = false;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/desired.json", a->conf->state_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (buf != NULL && fd >= 0 && (n = read(fd, buf, (1 << 20) - 1)) > 0) {
		buf[n] = '\0';
		ok = l2x_appl_desired_parse(buf, (size_t)n, d, err,
					    sizeof(err)) == 0;
		if (ok)
			keep_desired(a, buf);
		sodium_memzero(buf, (size_t)n);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

/* One round: desired in, converge, status out. */
static void round_trip(struct agent *a, struct l2x_appl *appl,
		       struct l2x_appl_desired *d, bool *have)
{
	char err[512], cerr[512] = "", *resp = NULL, *text;
	struct l2x_appl_desired *nd;
	json_t *st = NULL;
	int status, rc;

	a->poll_us = POLL_US;
	rc = call(a, a->pin, "GET", "/appliance/desired", NULL, &status, &resp,
		  err, sizeof(err));
	if (rc == 0 && status == 200 && resp != NULL) {
		nd = calloc(1, sizeof(*nd));
		if (nd != NULL &&
		    l2x_appl_desired_parse(resp, strlen(resp), nd, err,
					   sizeof(err)) == 0) {
			l2x_appl_desired_fini(d);
			*d = *nd;
			*have = true;
			err[0] = '\0';
			keep_desired(a, resp);
			a->poll_us = d->poll_ms ? d->poll_ms * 1000u : POLL_US;
		}
		if (nd != NULL) {
			sodium_memzero(nd, sizeof(*nd));
			free(nd);
		}
	} else if (rc == 0) {
		snprintf(err, sizeof(err), "the manager answered %d", status);
	}
	if (resp != NULL) {
		sodium_memzero(resp, strlen(resp));
		free(resp);
		resp = NULL;
	}
	say(a, err);
	if (*have && l2x_appl_converge(appl, d, cerr, sizeof(cerr)) != 0 &&
	    cerr[0] != '\0')
		say(a, cerr);
	if (l2x_appl_status(appl, &st) != 0 || st == NULL)
		return;
	text = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	if (text == NULL)
		return;
	if (call(a, a->pin, "PUT", "/appliance/status", text, &status, &resp,
		 err, sizeof(err)) != 0)
		say(a, err);
	free(resp);
	free(text);
}

int l2x_applagent_run(const struct l2x_agentconf *conf,
		      volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	struct l2x_appl_local loc;
	struct l2x_appl_desired *d;
	struct l2x_appl *appl = NULL;
	struct agent a = {.conf = conf};
	char tlsdir[L2X_AGENT_PATH_LEN + 8];
	bool have = false;
	int rc;

	if (mkdir(conf->state_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", conf->state_dir,
			 strerror(errno));
		return -errno;
	}
	snprintf(tlsdir, sizeof(tlsdir), "%s/tls", conf->state_dir);
	snprintf(a.pin_file, sizeof(a.pin_file), "%s/manager.pin",
		 conf->state_dir);
	rc = l2x_tlsid_load_or_create(tlsdir, conf->name, &a.id, err, errlen);
	if (rc != 0)
		return rc;
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	/* Enrol, retrying while the manager cannot be reached. */
	while (!*stop && load_pin(&a) != 0) {
		rc = enrol(&a, err, errlen);
		if (rc == 0)
			break;
		if (rc == -EACCES || rc == -EPERM || rc == -EINVAL)
			goto out;
		say(&a, err);
		sleep(1);
	}
	local_settings(conf, &loc);
	rc = l2x_appl_create(&loc, &appl, err, errlen);
	if (rc != 0)
		goto out;
	have = kept_desired(&a, d);
	while (!*stop) {
		round_trip(&a, appl, d, &have);
		usleep(a.poll_us);
	}
	rc = 0;
out:
	if (appl != NULL) {
		l2x_appl_stop(appl);
		l2x_appl_destroy(appl);
	}
	if (d != NULL) {
		l2x_appl_desired_fini(d);
		sodium_memzero(d, sizeof(*d));
		free(d);
	}
	l2x_tlsid_fini(&a.id);
	return rc;
}
