/* SPDX-License-Identifier: MIT */
/*
 * leader.c - which of a site's managers leads (mgr.h; docs/architecture.md,
 * "Several managers on etcd").
 *
 * Why this shape. With the SQLite store there is one manager per site and
 * it leads. With etcd, two or three managers share one store and one of
 * them leads through an etcd lease and an election key
 * (l2x_store_campaign); the store itself fences: once this manager leads,
 * every commit it makes also compares the election key against its own
 * value and lease (l2x_store_guard), so a leader that was paused past its
 * lease and wakes up cannot write anything: its first commit fails with
 * -EPERM and it steps down. The election is etcd's; nothing here is a
 * protocol of our own.
 *
 * Only the leader runs the reconciler and answers writes, the /peer/ and
 * /appliance/ calls and enrolments (appliances and the paired site report
 * their observations to the leader, which keeps them in memory); the
 * others answer reads from the store and 503 with the leader's URL for
 * the rest, so appliance agents and the paired site move to the leader
 * by themselves (they know every manager's URL).
 *
 * The site's TLS identity is one for all its managers (l2x_mgr_site_id):
 * the first one to start puts its certificate and key in the store, the
 * others take them, so the pins the appliances and the paired site hold
 * stay true whichever manager leads.
 *
 * Thread-safety: m->leader is read by any thread (atomic); the elector
 * thread alone campaigns and renews; m->lock guards leader_url.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "control/mgr.h"

/* The election key: kind and id in the store. */
#define ELECTION_KIND "election"
#define ELECTION_ID "leader"

static bool shared_store(const struct l2x_mgr *m)
{
	return strncasecmp(m->conf.store, "etcd:", 5) == 0;
}

bool l2x_mgr_leads(struct l2x_mgr *m)
{
	return __atomic_load_n(&m->leader, __ATOMIC_ACQUIRE);
}

void l2x_mgr_not_leader(struct l2x_mgr *m, struct l2x_http_resp *r)
{
	char url[L2X_AGENT_URL_LEN];

	pthread_mutex_lock(&m->lock);
	snprintf(url, sizeof(url), "%s", m->leader_url);
	pthread_mutex_unlock(&m->lock);
	if (url[0] != '\0')
		l2x_mgr_error(r, 503, NULL,
			      "manager %s does not lead site %s: the leader "
			      "is %s",
			      m->conf.manager_id, m->conf.name, url);
	else
		l2x_mgr_error(r, 503, NULL,
			      "manager %s does not lead site %s, and no "
			      "manager leads it yet",
			      m->conf.manager_id, m->conf.name);
}

static void step_down(struct l2x_mgr *m, const char *why)
{
	if (!__atomic_exchange_n(&m->leader, false, __ATOMIC_ACQ_REL))
		return;
	pthread_mutex_lock(&m->lock);
	m->leader_url[0] = '\0';
	pthread_mutex_unlock(&m->lock);
	/* No event: the store would refuse it (we are fenced). */
	fprintf(stderr, "l2x-agent[%s]: manager %s no longer leads: %s\n",
		m->conf.name, m->conf.manager_id, why);
}

void l2x_mgr_fenced(struct l2x_mgr *m)
{
	step_down(m, "the store refused a write (another manager leads)");
}

/* "ID URL": what the election key holds. */
static void my_value(const struct l2x_mgr *m, char *out, size_t len)
{
	snprintf(out, len, "%s %s", m->conf.manager_id, m->conf.url);
}

/* One election round: renew if leading, else try to lead. */
static void elect(struct l2x_mgr *m)
{
	char me[L2X_AGENT_NAME_LEN + L2X_AGENT_URL_LEN + 2];
	char who[L2X_AGENT_NAME_LEN + L2X_AGENT_URL_LEN + 2] = "";
	const char *sp;
	int rc;

	if (l2x_mgr_leads(m)) {
		rc = l2x_store_keepalive(m->store);
		if (rc != 0)
			step_down(m, rc == -ETIME
					 ? "its lease expired"
					 : "the store does not answer");
		return;
	}
	my_value(m, me, sizeof(me));
	rc = l2x_store_campaign(m->store, ELECTION_KIND "/" ELECTION_ID,
				m->conf.election_ttl, me, who, sizeof(who));
	if (rc == 0)
		rc = l2x_store_guard(m->store, ELECTION_KIND, ELECTION_ID, me);
	if (rc == 0) {
		pthread_mutex_lock(&m->lock);
		snprintf(m->leader_url, sizeof(m->leader_url), "%s",
			 m->conf.url);
		/* Observations made while following are someone else's. */
		json_decref(m->remote);
		m->remote = NULL;
		m->n_pair_rt = 0;
		m->lead_since = l2x_mgr_mono();
		pthread_mutex_unlock(&m->lock);
		__atomic_store_n(&m->leader, true, __ATOMIC_RELEASE);
		l2x_mgr_event(m, "manager", m->conf.name,
			      "manager %s leads site %s", m->conf.manager_id,
			      m->conf.name);
		return;
	}
	sp = strchr(who, ' ');
	pthread_mutex_lock(&m->lock);
	snprintf(m->leader_url, sizeof(m->leader_url), "%s",
		 rc == -EAGAIN && sp != NULL ? sp + 1 : "");
	pthread_mutex_unlock(&m->lock);
}

static void *elector(void *arg)
{
	struct l2x_mgr *m = arg;
	/* Renew three times per TTL. Campaign every 250 ms: the key goes
	 * when the old lease expires (etcd checks every 500 ms), and the next
	 * leader should take it then, well within TTL + 2 s; a campaign that
	 * loses is one small etcd request. */
	useconds_t renew = (useconds_t)m->conf.election_ttl * 1000000u / 3u;

	while (!m->stopping) {
		useconds_t period = l2x_mgr_leads(m) ? renew : 250000u;

		elect(m);
		for (useconds_t t = 0; t < period && !m->stopping; t += 50000)
			usleep(50000);
	}
	if (l2x_mgr_leads(m))
		l2x_store_resign(m->store);
	return NULL;
}

int l2x_mgr_leader_start(struct l2x_mgr *m)
{
	if (!shared_store(m)) {
		/* One manager per SQLite file: it leads. */
		snprintf(m->leader_url, sizeof(m->leader_url), "%s",
			 m->conf.url);
		m->lead_since = l2x_mgr_mono();
		__atomic_store_n(&m->leader, true, __ATOMIC_RELEASE);
		return 0;
	}
	elect(m); /* a lone manager leads before it answers anyone */
	m->elector_up = pthread_create(&m->elector, NULL, elector, m) == 0;
	return m->elector_up ? 0 : -EAGAIN;
}

void l2x_mgr_leader_stop(struct l2x_mgr *m)
{
	if (m->elector_up)
		pthread_join(m->elector, NULL);
	m->elector_up = false;
}

/* ---- the site's TLS identity ------------------------------------------*/

static int write_file(const char *path, const char *text, mode_t mode)
{
	char tmp[L2X_AGENT_PATH_LEN + 16];
	size_t len = strlen(text);
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
		rc = -EIO;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* Wipe the private key a site identity document holds, then free it:
 * jansson frees its strings without wiping them. */
static void identity_free(json_t *doc)
{
	const char *k = json_string_value(json_object_get(doc, "key"));

	if (k != NULL)
		sodium_memzero((char *)k, strlen(k));
	json_decref(doc);
}

int l2x_mgr_site_id(struct l2x_mgr *m, const char *tlsdir, char *err,
		    size_t errlen)
{
	json_t *doc = NULL;
	char *text;
	int rc;

	if (!shared_store(m))
		return 0;
	for (int tries = 0; tries < 3; tries++) {
		doc = l2x_mgr_load(m, "siteIdentity", "tls", NULL);
		if (doc != NULL)
			break;
		/* The first manager of the site: ours becomes the site's. */
		doc = json_pack("{s:s,s:s}", "certificate", m->id.cert_pem,
				"key", m->id.key_pem);
		text = json_dumps(doc, JSON_COMPACT);
		rc = text != NULL
			 ? l2x_store_put1(m->store, "siteIdentity", "tls", text,
					  L2X_STORE_ABSENT, NULL)
			 : -ENOMEM;
		if (text != NULL) {
			sodium_memzero(text, strlen(text));
			free(text);
		}
		if (rc == 0)
			break;
		identity_free(doc);
		doc = NULL;
		if (rc != -EEXIST) {
			snprintf(err, errlen, "site identity: store: %s",
				 strerror(-rc));
			return rc;
		}
	}
	if (doc == NULL) {
		snprintf(err, errlen, "site identity: not in the store");
		return -EIO;
	}
	rc = 0;
	if (strcmp(json_string_value(json_object_get(doc, "certificate")),
		   m->id.cert_pem) != 0) {
		/* Another manager's: take it, then load it as ours. */
		rc = write_file(m->id.key_path,
				json_string_value(json_object_get(doc, "key")),
				0600);
		if (rc == 0)
			rc = write_file(m->id.cert_path,
					json_string_value(json_object_get(
					    doc, "certificate")),
					0644);
		if (rc == 0) {
			l2x_tlsid_fini(&m->id);
			rc = l2x_tlsid_load_or_create(tlsdir, m->conf.name,
						      &m->id, err, errlen);
		} else {
			snprintf(err, errlen, "site identity: %s: %s", tlsdir,
				 strerror(-rc));
		}
	}
	identity_free(doc);
	return rc;
}
