/* SPDX-License-Identifier: MIT */
/*
 * ike_status.c - l2x-ike's status socket (ike_status.h): a thread that
 * answers SHOW ike with charon's IKE and child SAs as JSON, and an alert
 * listener that keeps the last error of each connection.
 */
#include "control/ctlmsg.h"
#include "control/json.h"
#include "ipsec/ike/ike_status.h"

#include <daemon.h>
#include <library.h>
#include <threading/mutex.h>
#include <threading/thread.h>

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* Connections whose last error is kept; the oldest entry makes room. */
#define ERR_SLOTS 16
#define ERR_NAME_LEN 64
#define ERR_TEXT_LEN 96
/* A client that sends nothing for this long is dropped (one at a time). */
#define IDLE_MS 2000
#define SUN_PATH_LEN sizeof(((struct sockaddr_un *)0)->sun_path)

struct last_err {
	char name[ERR_NAME_LEN]; /* "" = free slot */
	char text[ERR_TEXT_LEN];
	time_t when; /* time_monotonic() */
};

struct l2x_ike_status {
	listener_t listener; /* first: the alert callback gets &listener */
	mutex_t *lock;	     /* errs[] */
	struct last_err errs[ERR_SLOTS];
	char path[SUN_PATH_LEN];
	int lfd;
	int stop[2]; /* pipe: main writes, the thread wakes and returns */
	thread_t *thread;
	uint8_t rx[L2X_CTL_MSG_MAX];
	uint8_t tx[L2X_CTL_MSG_MAX];
};

/* --- last error per connection (charon's alert bus) --------------------- */

/* The failures worth showing; other alerts (retransmits that may still
 * succeed, a narrowed selector, shutdown) are not errors. */
static const char *alert_text(alert_t a)
{
	switch (a) {
	case ALERT_LOCAL_AUTH_FAILED:
		return "local authentication failed";
	case ALERT_PEER_AUTH_FAILED:
		return "peer authentication failed";
	case ALERT_PEER_ADDR_FAILED:
		return "peer address could not be resolved";
	case ALERT_PEER_INIT_UNREACHABLE:
		return "peer unreachable";
	case ALERT_INVALID_IKE_SPI:
		return "IKE message with an unknown SPI";
	case ALERT_PARSE_ERROR_HEADER:
	case ALERT_PARSE_ERROR_BODY:
		return "malformed IKE message";
	case ALERT_RETRANSMIT_SEND_TIMEOUT:
		return "peer stopped answering (retransmits timed out)";
	case ALERT_HALF_OPEN_TIMEOUT:
		return "half-open IKE_SA timed out";
	case ALERT_PROPOSAL_MISMATCH_IKE:
		return "no acceptable IKE proposal";
	case ALERT_PROPOSAL_MISMATCH_CHILD:
		return "no acceptable ESP proposal";
	case ALERT_TS_MISMATCH:
		return "traffic selectors unacceptable";
	case ALERT_INSTALL_CHILD_SA_FAILED:
		return "installing the CHILD_SA in the dataplane failed";
	case ALERT_INSTALL_CHILD_POLICY_FAILED:
		return "installing the CHILD_SA's policies failed";
	case ALERT_UNIQUE_REPLACE:
		return "replaced by a new IKE_SA of the same peer";
	case ALERT_KEEP_ON_CHILD_SA_FAILURE:
		return "CHILD_SA failed, IKE_SA kept";
	case ALERT_AUTHORIZATION_FAILED:
		return "authorization failed";
	case ALERT_IKE_SA_EXPIRED:
		return "IKE_SA expired (hard lifetime)";
	case ALERT_CERT_EXPIRED:
		return "certificate expired";
	case ALERT_CERT_REVOKED:
		return "certificate revoked";
	case ALERT_CERT_VALIDATION_FAILED:
		return "certificate validation failed";
	case ALERT_CERT_NO_ISSUER:
		return "certificate issuer not found";
	case ALERT_CERT_UNTRUSTED_ROOT:
		return "certificate root not trusted";
	case ALERT_CERT_EXCEEDED_PATH_LEN:
		return "certificate path too long";
	case ALERT_CERT_POLICY_VIOLATION:
		return "certificate policy violation";
	default:
		return NULL;
	}
}

/* Called on charon's threads: a copy under a mutex, nothing more. The
 * alert's arguments (packets, certificates) are not read. */
static bool on_alert(listener_t *l, ike_sa_t *ike_sa, alert_t alert,
		     va_list args)
{
	struct l2x_ike_status *st = (struct l2x_ike_status *)l;
	const char *text = alert_text(alert), *name;
	struct last_err *slot = NULL;

	(void)args;
	if (text == NULL)
		return TRUE;
	name = ike_sa ? ike_sa->get_name(ike_sa) : NULL;
	if (name == NULL || name[0] == '\0')
		name = "-"; /* no IKE_SA yet: a message that did not parse */
	st->lock->lock(st->lock);
	for (int i = 0; i < ERR_SLOTS && slot == NULL; i++)
		if (strncmp(st->errs[i].name, name, ERR_NAME_LEN - 1) == 0)
			slot = &st->errs[i];
	for (int i = 0; i < ERR_SLOTS && slot == NULL; i++)
		if (st->errs[i].name[0] == '\0')
			slot = &st->errs[i];
	if (slot == NULL) {
		slot = &st->errs[0];
		for (int i = 1; i < ERR_SLOTS; i++)
			if (st->errs[i].when < slot->when)
				slot = &st->errs[i];
	}
	snprintf(slot->name, sizeof(slot->name), "%s", name);
	snprintf(slot->text, sizeof(slot->text), "%s", text);
	slot->when = time_monotonic(NULL);
	st->lock->unlock(st->lock);
	return TRUE;
}

/* --- JSON (control/json.h) ---------------------------------------------- */

static void kstr(struct l2x_json *j, const char *k, const char *v)
{
	l2x_json_kstr(j, k, v ? v : "?"); /* enum_to_name() of an unknown */
}

/* --- one row per SA ----------------------------------------------------- */

/* "198.18.1.2:4500" or "[2001:db8::1]:500"; "" without a host. */
static void host_str(host_t *h, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "";
	chunk_t addr;
	int af;

	out[0] = '\0';
	if (h == NULL || h->is_anyaddr(h))
		return;
	af = h->get_family(h);
	addr = h->get_address(h);
	if (inet_ntop(af, addr.ptr, a, sizeof(a)) == NULL)
		return;
	snprintf(out, len, af == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 h->get_port(h));
}

/* "AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519": the transforms
 * negotiated, by strongSwan's names (no printf hook: %P is not a format
 * the compiler can check). */
static void proposal_str(proposal_t *p, bool ike, char *out, size_t len)
{
	static const struct {
		transform_type_t type;
		enum_name_t **names;
	} parts[] = {
	    {ENCRYPTION_ALGORITHM, &encryption_algorithm_names},
	    {INTEGRITY_ALGORITHM, &integrity_algorithm_names},
	    {PSEUDO_RANDOM_FUNCTION, &pseudo_random_function_names},
	    {KEY_EXCHANGE_METHOD, &key_exchange_method_names},
	};
	size_t n = 0;

	out[0] = '\0';
	if (p == NULL)
		return;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		uint16_t alg, ks = 0;
		const char *name;

		if (!ike && parts[i].type != ENCRYPTION_ALGORITHM)
			break;
		if (!p->get_algorithm(p, parts[i].type, &alg, &ks))
			continue;
		name = enum_to_name(*parts[i].names, alg);
		if (n >= len)
			break;
		n += (size_t)snprintf(out + n, len - n, "%s%s", n ? "/" : "",
				      name ? name : "?");
		if (ks && n < len)
			n += (size_t)snprintf(out + n, len - n, "_%u", ks);
	}
}

/* COND_NAT_HERE is charon's check of the peer's NAT_DETECTION_DESTINATION
 * hash against our address: a fact. COND_NAT_THERE checks the peer's
 * NAT_DETECTION_SOURCE hash, which a peer that forces UDP encapsulation
 * fakes on purpose (RFC 7296 section 2.23; strongSwan does it whenever
 * its kernel backend requires encapsulation, as l2x's does), so between
 * two l2x sites it is always set. The peer is reported behind a NAT only
 * when its source port proves it too: not 500 or 4500. A NAT that keeps
 * the port is then missed (the other side still sees "local"). */
static bool nat_there_real(host_t *other)
{
	uint16_t port = other ? other->get_port(other) : 0;

	return port != 0 && port != IKEV2_UDP_PORT && port != IKEV2_NATT_PORT;
}

static long long since(time_t now, time_t t)
{
	return t ? (long long)(now - t) : 0;
}

/* Seconds to t, 0 if past; -1 when t is 0 (nothing scheduled). */
static long long until(time_t now, time_t t)
{
	if (t == 0)
		return -1;
	return t > now ? (long long)(t - now) : 0;
}

static void last_error(struct l2x_ike_status *st, const char *name, time_t now,
		       char *out, size_t len, bool *seen)
{
	out[0] = '\0';
	st->lock->lock(st->lock);
	for (int i = 0; i < ERR_SLOTS; i++) {
		if (st->errs[i].name[0] == '\0' ||
		    strcmp(st->errs[i].name, name) != 0)
			continue;
		snprintf(out, len, "%s, %lld s ago", st->errs[i].text,
			 (long long)(now - st->errs[i].when));
		if (seen)
			seen[i] = true;
	}
	st->lock->unlock(st->lock);
}

struct common {
	uint32_t id;
	char local[64], remote[64];
	const char *nat;
};

static void child_row(struct l2x_json *j, const struct common *c,
		      child_sa_t *ch, time_t now)
{
	char prop[128], spi[16];

	l2x_json_row(j);
	kstr(j, "kind", "child");
	l2x_json_kint(j, "ike_sa", c->id);
	kstr(j, "name", ch->get_name(ch));
	kstr(j, "state", enum_to_name(child_sa_state_names, ch->get_state(ch)));
	kstr(j, "role", "");
	kstr(j, "local", c->local);
	kstr(j, "remote", c->remote);
	kstr(j, "nat", c->nat);
	proposal_str(ch->get_proposal(ch), false, prop, sizeof(prop));
	kstr(j, "proposal", prop);
	snprintf(spi, sizeof(spi), "0x%08x", ntohl(ch->get_spi(ch, TRUE)));
	kstr(j, "spi_in", spi);
	snprintf(spi, sizeof(spi), "0x%08x", ntohl(ch->get_spi(ch, FALSE)));
	kstr(j, "spi_out", spi);
	l2x_json_kint(j, "established", since(now, ch->get_installtime(ch)));
	l2x_json_kint(j, "rekey_in", until(now, ch->get_lifetime(ch, FALSE)));
	kstr(j, "last_error", "");
	l2x_json_row_end(j);
}

static void ike_row(struct l2x_ike_status *st, struct l2x_json *j, ike_sa_t *sa,
		    time_t now, bool *seen)
{
	ike_sa_id_t *id = sa->get_id(sa);
	bool here = sa->has_condition(sa, COND_NAT_HERE);
	bool there = sa->has_condition(sa, COND_NAT_THERE);
	uint64_t ispi = be64toh(id->get_initiator_spi(id));
	uint64_t rspi = be64toh(id->get_responder_spi(id));
	bool init = id->is_initiator(id);
	time_t rekey = sa->get_statistic(sa, STAT_REKEY);
	time_t reauth = sa->get_statistic(sa, STAT_REAUTH);
	struct common c = {.id = sa->get_unique_id(sa)};
	char prop[128], spi[24], err[ERR_TEXT_LEN + 32];
	enumerator_t *e;
	child_sa_t *ch;

	there = there && nat_there_real(sa->get_other_host(sa));
	c.nat = here && there ? "both"
		: here	      ? "local"
		: there	      ? "remote"
			      : "none";
	host_str(sa->get_my_host(sa), c.local, sizeof(c.local));
	host_str(sa->get_other_host(sa), c.remote, sizeof(c.remote));
	if (reauth && (rekey == 0 || reauth < rekey))
		rekey = reauth;

	l2x_json_row(j);
	kstr(j, "kind", "ike");
	l2x_json_kint(j, "ike_sa", c.id);
	kstr(j, "name", sa->get_name(sa));
	kstr(j, "state", enum_to_name(ike_sa_state_names, sa->get_state(sa)));
	kstr(j, "role", init ? "initiator" : "responder");
	kstr(j, "local", c.local);
	kstr(j, "remote", c.remote);
	kstr(j, "nat", c.nat);
	proposal_str(sa->get_proposal(sa), true, prop, sizeof(prop));
	kstr(j, "proposal", prop);
	snprintf(spi, sizeof(spi), "%016llx",
		 (unsigned long long)(init ? ispi : rspi));
	kstr(j, "spi_in", spi);
	snprintf(spi, sizeof(spi), "%016llx",
		 (unsigned long long)(init ? rspi : ispi));
	kstr(j, "spi_out", spi);
	l2x_json_kint(j, "established",
		      since(now, sa->get_statistic(sa, STAT_ESTABLISHED)));
	l2x_json_kint(j, "rekey_in", until(now, rekey));
	last_error(st, sa->get_name(sa), now, err, sizeof(err), seen);
	kstr(j, "last_error", err);
	l2x_json_row_end(j);

	e = sa->create_child_sa_enumerator(sa);
	while (e->enumerate(e, &ch))
		child_row(j, &c, ch, now);
	e->destroy(e);
}

/* A connection with a last error and no IKE_SA (it never came up, or it
 * failed and was destroyed): a "DOWN" row, so the reason is visible. */
static void down_rows(struct l2x_ike_status *st, struct l2x_json *j, time_t now,
		      const bool *seen)
{
	char err[ERR_TEXT_LEN + 32];

	st->lock->lock(st->lock);
	for (int i = 0; i < ERR_SLOTS; i++) {
		if (seen[i] || st->errs[i].name[0] == '\0')
			continue;
		snprintf(err, sizeof(err), "%s, %lld s ago", st->errs[i].text,
			 (long long)(now - st->errs[i].when));
		l2x_json_row(j);
		kstr(j, "kind", "ike");
		l2x_json_kint(j, "ike_sa", 0);
		kstr(j, "name", st->errs[i].name);
		kstr(j, "state", "DOWN");
		kstr(j, "role", "");
		kstr(j, "local", "");
		kstr(j, "remote", "");
		kstr(j, "nat", "none");
		kstr(j, "proposal", "");
		kstr(j, "spi_in", "");
		kstr(j, "spi_out", "");
		l2x_json_kint(j, "established", 0);
		l2x_json_kint(j, "rekey_in", -1);
		kstr(j, "last_error", err);
		l2x_json_row_end(j);
	}
	st->lock->unlock(st->lock);
}

/* The whole table into j (j->oom on failure). */
static void table(struct l2x_ike_status *st, struct l2x_json *j)
{
	bool seen[ERR_SLOTS] = {false};
	time_t now = time_monotonic(NULL);
	enumerator_t *e;
	ike_sa_t *sa;

	l2x_json_begin(j, "ike");
	e = charon->controller->create_ike_sa_enumerator(charon->controller,
							 TRUE);
	while (e->enumerate(e, &sa))
		ike_row(st, j, sa, now, seen);
	e->destroy(e);
	down_rows(st, j, now, seen);
	l2x_json_end(j);
}

/* --- the socket --------------------------------------------------------- */

/* Send one message; -1 if the connection is to be dropped. */
static int send_msg(struct l2x_ike_status *st, int fd,
		    const struct l2x_ctlmsg *m)
{
	ssize_t n = l2x_ctlmsg_build(m, st->tx, sizeof(st->tx));

	if (n < 0)
		return -1;
	return send(fd, st->tx, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

static int send_error(struct l2x_ike_status *st, int fd, uint32_t req_id,
		      uint32_t code, const char *text)
{
	struct l2x_ctlmsg r = {.type = L2X_CTL_MSG_ERROR, .req_id = req_id};

	r.u.error.code = code;
	snprintf(r.u.error.text, sizeof(r.u.error.text), "%s", text);
	return send_msg(st, fd, &r);
}

struct show_to {
	struct l2x_ike_status *st;
	int fd;
};

static int emit_show(void *ctx, const struct l2x_ctlmsg *m)
{
	const struct show_to *t = ctx;

	return send_msg(t->st, t->fd, m);
}

static int answer_show(struct l2x_ike_status *st, int fd, uint32_t req_id)
{
	struct l2x_json j = {0};
	int rc;

	table(st, &j);
	if (j.oom) {
		free(j.p);
		return send_error(st, fd, req_id, ENOMEM,
				  "l2x-ike: out of memory for the table");
	}
	rc = l2x_ctlmsg_show_reply_each(L2X_CTL_SHOW_IKE, req_id, j.p, j.len,
					emit_show, &(struct show_to){st, fd});
	free(j.p);
	return rc;
}

/* One datagram from a client; -1 to drop the connection. */
static int serve(struct l2x_ike_status *st, int fd)
{
	struct l2x_ctlmsg m = {0}; /* req_id 0 when the header is unreadable */
	ssize_t len = recv(fd, st->rx, sizeof(st->rx), MSG_TRUNC);
	char why[L2X_CTL_TEXT_LEN];
	int rc;

	if (len <= 0)
		return -1;
	if ((size_t)len > sizeof(st->rx))
		return send_error(st, fd, 0, EPROTO,
				  l2x_ctl_err_str(L2X_CTL_ERR_TOO_LONG));
	if (l2x_ctlmsg_parse(st->rx, (size_t)len, &m) != L2X_CTL_ERR_OK)
		rc = send_error(st, fd, m.req_id, EPROTO, m.fault.text);
	else if (m.type == L2X_CTL_MSG_SHOW &&
		 m.u.show.what == L2X_CTL_SHOW_IKE)
		rc = answer_show(st, fd, m.req_id);
	else {
		snprintf(why, sizeof(why),
			 "l2x-ike's status socket answers only SHOW ike, "
			 "not %s%s%s (ask the dataplane's control socket)",
			 l2x_ctlmsg_type_str(m.type),
			 m.type == L2X_CTL_MSG_SHOW ? " " : "",
			 m.type == L2X_CTL_MSG_SHOW
			     ? l2x_ctlmsg_show_str(m.u.show.what)
			     : "");
		rc = send_error(st, fd, m.req_id, EINVAL, why);
	}
	/* A stray SA_ADD would leave its key here: wipe both. */
	l2x_ctlmsg_wipe(&m);
	sodium_memzero(st->rx, (size_t)len < sizeof(st->rx) ? (size_t)len
							    : sizeof(st->rx));
	return rc;
}

/* One client at a time, until it closes or is idle for IDLE_MS. Returns
 * false when stop was asked. */
static bool client(struct l2x_ike_status *st, int fd)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = st->stop[0], .events = POLLIN}};
		int n = poll(p, 2, IDLE_MS);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || p[1].revents) /* idle, error or stop */
			return !p[1].revents;
		if (serve(st, fd) < 0)
			return true;
	}
}

static void *run(void *arg)
{
	struct l2x_ike_status *st = arg;
	const struct timeval tmo = {.tv_sec = IDLE_MS / 1000};

	for (;;) {
		struct pollfd p[2] = {{.fd = st->lfd, .events = POLLIN},
				      {.fd = st->stop[0], .events = POLLIN}};
		bool more;
		int fd;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			DBG1(DBG_DMN, "l2x-ike: status socket: poll: %s",
			     strerror(errno));
			return NULL;
		}
		if (p[1].revents)
			return NULL;
		fd = accept4(st->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		/* a client that does not read cannot hold the thread */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
		more = client(st, fd);
		close(fd);
		if (!more)
			return NULL;
	}
}

int l2x_ike_status_start(const char *ctl_path, struct l2x_ike_status **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct l2x_ike_status *st;
	mode_t old;
	int rc;

	if (strlen(ctl_path) + strlen(L2X_IKE_STATUS_SUFFIX) >=
	    sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return -ENOMEM;
	snprintf(st->path, sizeof(st->path), "%s" L2X_IKE_STATUS_SUFFIX,
		 ctl_path);
	memcpy(sa.sun_path, st->path, strlen(st->path) + 1);
	st->stop[0] = st->stop[1] = -1;
	st->lfd =
	    socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (st->lfd < 0 || pipe2(st->stop, O_CLOEXEC) < 0) {
		rc = -errno;
		goto err;
	}
	if (unlink(st->path) < 0 && errno != ENOENT) {
		rc = -errno;
		goto err;
	}
	/* 0600 from the start: no window where others may connect. */
	old = umask(0177);
	rc = bind(st->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || chmod(st->path, 0600) < 0 || listen(st->lfd, 8) < 0) {
		rc = -errno;
		goto err_unlink;
	}
	st->lock = mutex_create(MUTEX_TYPE_DEFAULT);
	st->listener.alert = on_alert;
	charon->bus->add_listener(charon->bus, &st->listener);
	st->thread = thread_create(run, st);
	if (st->thread == NULL) {
		rc = -EAGAIN;
		charon->bus->remove_listener(charon->bus, &st->listener);
		st->lock->destroy(st->lock);
		goto err_unlink;
	}
	DBG1(DBG_DMN, "l2x-ike: status socket %s (l2xctl show ike)", st->path);
	*out = st;
	return 0;
err_unlink:
	unlink(st->path);
err:
	if (st->lfd >= 0)
		close(st->lfd);
	if (st->stop[0] >= 0) {
		close(st->stop[0]);
		close(st->stop[1]);
	}
	free(st);
	return rc;
}

void l2x_ike_status_stop(struct l2x_ike_status *st)
{
	if (st == NULL)
		return;
	if (write(st->stop[1], "x", 1) != 1) {
		/* the thread still runs: leave it its memory */
		DBG1(DBG_DMN,
		     "l2x-ike: status socket: cannot stop its "
		     "thread: %s",
		     strerror(errno));
		return;
	}
	st->thread->join(st->thread);
	charon->bus->remove_listener(charon->bus, &st->listener);
	st->lock->destroy(st->lock);
	close(st->lfd);
	close(st->stop[0]);
	close(st->stop[1]);
	unlink(st->path);
	free(st);
}
