/* SPDX-License-Identifier: MIT */
/*
 * ctl.c - control socket server (ctl.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <sodium.h>

#include "dataplane/ctl.h"
#include "dataplane/dp.h"
#include "dataplane/wire.h"

/* ctlmsg.h builds without DPDK, so it copies the few sizes it needs from
 * wire.h and DPDK's headers; here, where both are seen, they must agree. */
_Static_assert(L2X_CTL_ESP_KEY_LEN == L2X_ESP_KEY_LEN, "ctlmsg.h key length");
_Static_assert(L2X_CTL_ESP_SALT_LEN == L2X_ESP_SALT_LEN, "ctlmsg.h salt");
_Static_assert(L2X_CTL_MAX_FRAME == L2X_MAX_FRAME, "ctlmsg.h max frame");
_Static_assert(L2X_CTL_ETHER_HDR_LEN == sizeof(struct rte_ether_hdr) &&
		   L2X_CTL_ETHER_HDR_LEN == RTE_ETHER_HDR_LEN,
	       "ctlmsg.h Ethernet header");
_Static_assert(L2X_CTL_VLAN_HDR_LEN == sizeof(struct rte_vlan_hdr),
	       "ctlmsg.h 802.1Q tag");
_Static_assert(L2X_CTL_IPV4_HDR_LEN == sizeof(struct rte_ipv4_hdr),
	       "ctlmsg.h IPv4 header");
_Static_assert(L2X_CTL_TCP_HDR_LEN == sizeof(struct rte_tcp_hdr),
	       "ctlmsg.h TCP header");

/* Connections served at once; more wait in the listen backlog. */
#define L2X_CTL_CONN_MAX 8

struct l2x_ctl {
	int lfd;
	int conn[L2X_CTL_CONN_MAX]; /* -1: free */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint8_t rx[L2X_CTL_MSG_MAX + 1];
	uint8_t tx[L2X_CTL_MSG_MAX];
};

int l2x_ctl_open(const char *path, struct l2x_ctl **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct l2x_ctl *c;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	for (int i = 0; i < L2X_CTL_CONN_MAX; i++)
		c->conn[i] = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c->lfd =
	    socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->lfd < 0) {
		rc = -errno;
		goto err_free;
	}
	/* A stale socket of an earlier run (the path is ours by config). */
	if (unlink(path) < 0 && errno != ENOENT) {
		rc = -errno;
		goto err_close;
	}
	/* 0600 from the start: no window where others may connect. */
	mode_t old = umask(0177);
	rc = bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || chmod(path, 0600) < 0 || listen(c->lfd, 16) < 0) {
		rc = -errno;
		goto err_close;
	}
	*out = c;
	return 0;
err_close:
	close(c->lfd);
err_free:
	free(c);
	return rc;
}

void l2x_ctl_close(struct l2x_ctl *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < L2X_CTL_CONN_MAX; i++)
		if (c->conn[i] >= 0)
			close(c->conn[i]);
	close(c->lfd);
	unlink(c->path);
	sodium_memzero(c->rx, sizeof(c->rx)); /* may have held an SA key */
	free(c);
}

/* Send one message; -1 if the connection is to be dropped. */
static int send_msg(struct l2x_ctl *c, int fd, const struct l2x_ctlmsg *m)
{
	ssize_t n = l2x_ctlmsg_build(m, c->tx, sizeof(c->tx));

	if (n < 0)
		return -1;
	return send(fd, c->tx, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

static int send_error(struct l2x_ctl *c, int fd, uint32_t req_id, int code,
		      const char *text)
{
	struct l2x_ctlmsg r = {.type = L2X_CTL_MSG_ERROR, .req_id = req_id};

	r.u.error.code = (uint32_t)code;
	snprintf(r.u.error.text, sizeof(r.u.error.text), "%s", text);
	/* ERROR text must be printable ASCII: replace anything else */
	for (char *p = r.u.error.text; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	return send_msg(c, fd, &r);
}

static int send_ok(struct l2x_ctl *c, int fd, uint32_t req_id)
{
	struct l2x_ctlmsg r = {.type = L2X_CTL_MSG_OK, .req_id = req_id};

	return send_msg(c, fd, &r);
}

struct show_to {
	struct l2x_ctl *c;
	int fd;
};

static int emit_show(void *ctx, const struct l2x_ctlmsg *m)
{
	const struct show_to *t = ctx;

	return send_msg(t->c, t->fd, m);
}

/* SHOW and SHOW_PAGE: the JSON, sent in SHOW_REPLY chunks. */
static int do_show(struct l2x_ctl *c, int fd, struct l2x_dp *dp,
		   const struct l2x_ctlmsg *m)
{
	bool page = m->type == L2X_CTL_MSG_SHOW_PAGE;
	enum l2x_ctl_show what = page ? m->u.show_page.what : m->u.show.what;
	struct l2x_json j = {0};
	char err[L2X_CTL_TEXT_LEN];
	int rc =
	    page ? l2x_ctl_show_page(dp, &m->u.show_page, &j, err, sizeof(err))
		 : l2x_ctl_show(dp, &m->u.show, &j, err, sizeof(err));

	if (rc == 0 && j.oom)
		rc = ENOMEM, snprintf(err, sizeof(err), "out of memory");
	if (rc) {
		free(j.p);
		return send_error(c, fd, m->req_id, rc, err);
	}
	rc = l2x_ctlmsg_show_reply_each(what, m->req_id, j.p, j.len, emit_show,
					&(struct show_to){c, fd});
	free(j.p);
	return rc;
}

static int do_macs_clear(struct l2x_ctl *c, int fd, struct l2x_dp *dp,
			 const struct l2x_ctlmsg *m)
{
	struct l2x_dp_net *n = l2x_dp_net_find(dp, m->u.macs_clear.network);
	char err[L2X_CTL_TEXT_LEN];

	if (n != NULL) {
		l2x_fdb_flush(dp->fdb, n->slot, true);
		n->gw_pinned = 0; /* pinned again on its next ARP */
		return send_ok(c, fd, m->req_id);
	}
	snprintf(err, sizeof(err), "network: no extended network named %s",
		 m->u.macs_clear.network);
	return send_error(c, fd, m->req_id, ENOENT, err);
}

/* The requests answered by OK or ERROR. */
static int do_change(struct l2x_ctl *c, int fd, struct l2x_dp *dp,
		     const struct l2x_ctlmsg *m)
{
	char err[L2X_CTL_TEXT_LEN] = "";
	int rc;

	switch (m->type) {
	case L2X_CTL_MSG_SA_ADD:
		rc = l2x_ctl_sa_add(dp, &m->u.sa_add, err, sizeof(err));
		break;
	case L2X_CTL_MSG_SA_DEL:
		rc = l2x_ctl_sa_del(dp, &m->u.sa_id, err, sizeof(err));
		break;
	case L2X_CTL_MSG_SA_UPDATE:
		rc = l2x_ctl_sa_update(dp, &m->u.sa_update, err, sizeof(err));
		break;
	case L2X_CTL_MSG_NET_ADD:
		rc = l2x_ctl_net_add(dp, &m->u.net_add, err, sizeof(err));
		break;
	case L2X_CTL_MSG_NET_DEL:
		rc = l2x_ctl_net_del(dp, &m->u.net_del, err, sizeof(err));
		break;
	default: /* CONFIG_RELOAD */
		rc = l2x_dp_reload(dp, err, sizeof(err));
		break;
	}
	if (rc)
		return send_error(c, fd, m->req_id, rc, err);
	return send_ok(c, fd, m->req_id);
}

static int do_sa_query(struct l2x_ctl *c, int fd, struct l2x_dp *dp,
		       const struct l2x_ctlmsg *m)
{
	struct l2x_sa *sa = l2x_ctl_sa_find(dp, &m->u.sa_id);
	struct l2x_ctlmsg r = {.type = L2X_CTL_MSG_SA_INFO,
			       .req_id = m->req_id};
	struct l2x_sa_stats st;
	char err[L2X_CTL_TEXT_LEN];

	if (sa == NULL) {
		snprintf(err, sizeof(err), "spi: no such SA 0x%08x",
			 m->u.sa_id.spi);
		return send_error(c, fd, m->req_id, ENOENT, err);
	}
	l2x_sa_query(sa, &st);
	r.u.sa_info.spi = m->u.sa_id.spi;
	r.u.sa_info.dir = m->u.sa_id.dir;
	r.u.sa_info.alg = l2x_sa_alg(sa);
	r.u.sa_info.state = (st.soft ? L2X_CTL_SA_SOFT_EXPIRED : 0) |
			    (st.hard ? L2X_CTL_SA_HARD_EXPIRED : 0);
	r.u.sa_info.packets = st.packets;
	r.u.sa_info.bytes = st.bytes;
	r.u.sa_info.last_use = st.last_use;
	return send_msg(c, fd, &r);
}

static int do_spi_alloc(struct l2x_ctl *c, int fd, struct l2x_dp *dp,
			const struct l2x_ctlmsg *m)
{
	struct l2x_ctlmsg r = {.type = L2X_CTL_MSG_SPI, .req_id = m->req_id};
	char err[L2X_CTL_TEXT_LEN];
	int rc = l2x_ctl_spi_alloc(dp, &r.u.spi.spi, err, sizeof(err));

	if (rc)
		return send_error(c, fd, m->req_id, rc, err);
	return send_msg(c, fd, &r);
}

/* PEER_QUERY: where ESP goes now (ctlmsg.h, PEER). */
static int do_peer_query(struct l2x_ctl *c, int fd, struct l2x_dp *dp,
			 const struct l2x_ctlmsg *m)
{
	struct l2x_ctlmsg r = {.type = L2X_CTL_MSG_PEER, .req_id = m->req_id};
	struct l2x_outer_peer p;

	l2x_outer_tmpl_get_peer(&dp->outer, &p);
	r.u.peer.peer_addr = rte_be_to_cpu_32(p.ip);
	r.u.peer.peer_port = p.port;
	return send_msg(c, fd, &r);
}

/* Answer one datagram. -1: drop the connection. */
static int handle(struct l2x_ctl *c, int fd, struct l2x_dp *dp, size_t len)
{
	struct l2x_ctlmsg m;
	enum l2x_ctl_err e;
	uint32_t req_id = 0;
	int rc;

	if (len >= L2X_CTL_HDR_LEN) {
		const struct l2x_ctl_hdr *h = (const void *)c->rx;
		req_id = rte_be_to_cpu_32(h->req_id);
	}
	e = l2x_ctlmsg_parse(c->rx, len, &m);
	if (e != L2X_CTL_ERR_OK) {
		rc = send_error(c, fd, req_id, EINVAL,
				m.fault.text[0] ? m.fault.text
						: l2x_ctl_err_str(e));
		l2x_ctlmsg_wipe(&m);
		return rc;
	}
	switch (m.type) {
	case L2X_CTL_MSG_SHOW:
	case L2X_CTL_MSG_SHOW_PAGE:
		rc = do_show(c, fd, dp, &m);
		break;
	case L2X_CTL_MSG_MACS_CLEAR:
		rc = do_macs_clear(c, fd, dp, &m);
		break;
	case L2X_CTL_MSG_SA_ADD:
	case L2X_CTL_MSG_SA_DEL:
	case L2X_CTL_MSG_SA_UPDATE:
	case L2X_CTL_MSG_NET_ADD:
	case L2X_CTL_MSG_NET_DEL:
	case L2X_CTL_MSG_CONFIG_RELOAD:
		rc = do_change(c, fd, dp, &m);
		break;
	case L2X_CTL_MSG_SA_QUERY:
		rc = do_sa_query(c, fd, dp, &m);
		break;
	case L2X_CTL_MSG_SPI_ALLOC:
		rc = do_spi_alloc(c, fd, dp, &m);
		break;
	case L2X_CTL_MSG_PEER_QUERY:
		rc = do_peer_query(c, fd, dp, &m);
		break;
	default:
		if (m.type & L2X_CTL_REPLY_BIT)
			rc = send_error(c, fd, m.req_id, EINVAL,
					"a reply is not a request");
		else
			rc = send_error(c, fd, m.req_id, EOPNOTSUPP,
					"this dataplane does not support "
					"that request yet");
		break;
	}
	l2x_ctlmsg_wipe(&m);
	return rc;
}

static void accept_all(struct l2x_ctl *c)
{
	for (;;) {
		int fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC), i;
		struct timeval tv = {.tv_sec = 2};

		if (fd < 0)
			return;
		for (i = 0; i < L2X_CTL_CONN_MAX && c->conn[i] >= 0; i++)
			;
		if (i == L2X_CTL_CONN_MAX) {
			close(fd); /* busy: the client sees EOF */
			continue;
		}
		/* A client that stops reading cannot stall the dataplane. */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		c->conn[i] = fd;
	}
}

int l2x_ctl_poll(struct l2x_ctl *c, struct l2x_dp *dp, int timeout_ms)
{
	struct pollfd pfd[L2X_CTL_CONN_MAX + 1];
	int slot[L2X_CTL_CONN_MAX + 1], n = 0, rc;

	pfd[n].fd = c->lfd;
	pfd[n++].events = POLLIN;
	for (int i = 0; i < L2X_CTL_CONN_MAX; i++) {
		if (c->conn[i] < 0)
			continue;
		slot[n] = i;
		pfd[n].fd = c->conn[i];
		pfd[n++].events = POLLIN;
	}
	rc = poll(pfd, (nfds_t)n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? -EINTR : 0;
	for (int k = 1; k < n; k++) {
		int i = slot[k], fd = c->conn[i];
		ssize_t len;

		if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		len = recv(fd, c->rx, sizeof(c->rx), MSG_DONTWAIT | MSG_TRUNC);
		if (len < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		/* 0 is the peer's close, or an empty datagram while the peer
		 * is still there: that one is a request, and refused */
		if (len == 0 && !(pfd[k].revents & POLLHUP))
			rc = handle(c, fd, dp, 0);
		else if (len > (ssize_t)sizeof(c->rx))
			rc = send_error(c, fd, 0, EINVAL,
					"message longer than 64 KiB");
		else
			rc = len <= 0 ? -1 : handle(c, fd, dp, (size_t)len);
		if (rc < 0) {
			close(fd);
			c->conn[i] = -1;
		}
	}
	if (pfd[0].revents & POLLIN)
		accept_all(c);
	return 0;
}
