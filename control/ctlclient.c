/* SPDX-License-Identifier: MIT */
/*
 * ctlclient.c - client of the dataplane's control socket (ctlclient.h).
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "control/ctlclient.h"

#define TIMEOUT_MAX_MS 600000u

struct l2x_ctlclient {
	int fd;
	unsigned timeout_ms;
	uint32_t next_id; /* never 0: the id of an unreadable request */
	bool broken;
	char why[L2X_CTLCLIENT_WHY_LEN];
	uint8_t tx[L2X_CTL_MSG_MAX];	 /* wiped after each send */
	uint8_t rx[L2X_CTL_MSG_MAX + 1]; /* + 1: see a too-long datagram */
};

static int set_why(struct l2x_ctlclient *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record why a request failed; returns rc. */
static int set_why(struct l2x_ctlclient *c, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return rc;
}

static int broke(struct l2x_ctlclient *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A failure of the exchange: record why; the connection is not used
 * again. Returns rc. */
static int broke(struct l2x_ctlclient *c, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	c->broken = true;
	return rc;
}

static int set_timeouts(int fd, unsigned ms)
{
	struct timeval tv = {.tv_sec = ms / 1000,
			     .tv_usec = (suseconds_t)(ms % 1000) * 1000};

	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

int l2x_ctlclient_open_fd(int fd, unsigned timeout_ms,
			  struct l2x_ctlclient **out)
{
	struct l2x_ctlclient *c;
	int rc;

	if (fd < 0)
		return -EINVAL;
	if (out == NULL || timeout_ms == 0 || timeout_ms > TIMEOUT_MAX_MS) {
		close(fd);
		return -EINVAL;
	}
	rc = set_timeouts(fd, timeout_ms);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	c->next_id = 1;
	*out = c;
	return 0;
}

int l2x_ctlclient_open(const char *path, unsigned timeout_ms,
		       struct l2x_ctlclient **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len;
	int fd, rc;

	if (path == NULL || out == NULL || timeout_ms == 0 ||
	    timeout_ms > TIMEOUT_MAX_MS)
		return -EINVAL;
	len = strlen(path);
	if (len == 0)
		return -EINVAL;
	if (len >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Before connect(): SO_SNDTIMEO also bounds a connect() that waits
	 * on a full listen backlog (it then fails with EAGAIN). */
	rc = set_timeouts(fd, timeout_ms);
	if (rc == 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		rc = -errno;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return l2x_ctlclient_open_fd(fd, timeout_ms, out);
}

void l2x_ctlclient_close(struct l2x_ctlclient *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	sodium_memzero(c->tx, sizeof(c->tx));
	free(c);
}

const char *l2x_ctlclient_why(const struct l2x_ctlclient *c)
{
	return c->why;
}

bool l2x_ctlclient_broken(const struct l2x_ctlclient *c)
{
	return c->broken;
}

void l2x_ctl_reply_fini(struct l2x_ctl_reply *rep)
{
	if (rep == NULL)
		return;
	free(rep->text);
	memset(rep, 0, sizeof(*rep));
}

/* ---- one exchange -------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The reply type that completes a request of this type (ctlmsg.h,
 * "Conversation"), or 0 for a type that is not a request. */
static enum l2x_ctl_type answer_type(enum l2x_ctl_type req)
{
	switch (req) {
	case L2X_CTL_MSG_SA_QUERY:
		return L2X_CTL_MSG_SA_INFO;
	case L2X_CTL_MSG_SHOW:
	case L2X_CTL_MSG_SHOW_PAGE:
		return L2X_CTL_MSG_SHOW_REPLY;
	case L2X_CTL_MSG_SPI_ALLOC:
		return L2X_CTL_MSG_SPI;
	case L2X_CTL_MSG_PEER_QUERY:
		return L2X_CTL_MSG_PEER;
	case L2X_CTL_MSG_SA_ADD:
	case L2X_CTL_MSG_SA_UPDATE:
	case L2X_CTL_MSG_SA_DEL:
	case L2X_CTL_MSG_NET_ADD:
	case L2X_CTL_MSG_NET_DEL:
	case L2X_CTL_MSG_MACS_CLEAR:
	case L2X_CTL_MSG_CONFIG_RELOAD:
		return L2X_CTL_MSG_OK;
	default:
		return (enum l2x_ctl_type)0;
	}
}

/* Build, stamp and send the request; the send buffer is wiped on every
 * path (an SA_ADD's key is in it). */
static int send_request(struct l2x_ctlclient *c, const struct l2x_ctlmsg *req,
			uint32_t id)
{
	struct l2x_ctl_fault f;
	struct l2x_ctl_hdr *h = (void *)c->tx;
	ssize_t n, sent;
	int e;

	if (l2x_ctlmsg_check(req, &f) != L2X_CTL_ERR_OK)
		return set_why(c, -EINVAL, "%s request does not encode: %s",
			       l2x_ctlmsg_type_str(req->type), f.text);
	n = l2x_ctlmsg_build(req, c->tx, sizeof(c->tx));
	if (n < 0)
		return set_why(c, (int)n, "%s request does not encode: %s",
			       l2x_ctlmsg_type_str(req->type),
			       strerror((int)-n));
	h->req_id = htobe32(id);
	sent = send(c->fd, c->tx, (size_t)n, MSG_NOSIGNAL);
	e = errno;
	sodium_memzero(c->tx, (size_t)n);
	if (sent == n)
		return 0;
	if (sent >= 0) /* SEQPACKET sends all or nothing */
		return broke(c, -EPROTO, "sent %zd of %zd bytes of %s", sent, n,
			     l2x_ctlmsg_type_str(req->type));
	if (e == EAGAIN || e == EWOULDBLOCK)
		return broke(c, -ETIMEDOUT, "timed out after %u ms sending %s",
			     c->timeout_ms, l2x_ctlmsg_type_str(req->type));
	return broke(c, -e, "sending %s: %s", l2x_ctlmsg_type_str(req->type),
		     strerror(e));
}

/* Wait until deadline for one datagram; its length, or a negative
 * errno with the reason recorded. */
static ssize_t recv_reply(struct l2x_ctlclient *c, int64_t deadline,
			  const char *what)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	ssize_t n;

	for (;;) {
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return set_why(c, -ETIMEDOUT,
				       "timed out after %u ms waiting for the "
				       "reply to %s",
				       c->timeout_ms, what);
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return set_why(c, -errno,
				       "waiting for the reply to "
				       "%s: %s",
				       what, strerror(errno));
		if (r == 0)
			continue; /* the deadline check above ends it */
		/* MSG_TRUNC: the datagram's real length, so a reply longer
		 * than any message is seen, not silently cut. */
		n = recv(c->fd, c->rx, sizeof(c->rx), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return set_why(c, -errno,
				       "receiving the reply to %s: %s", what,
				       strerror(errno));
		if (n == 0)
			return set_why(c, -ECONNRESET,
				       "the dataplane closed the connection "
				       "before answering %s",
				       what);
		if ((size_t)n > L2X_CTL_MSG_MAX)
			return set_why(c, -EPROTO,
				       "reply to %s of %zd bytes is longer "
				       "than any message (%u)",
				       what, n, L2X_CTL_MSG_MAX);
		return n;
	}
}

/* Append a SHOW_REPLY chunk to the answer's text. */
static int add_text(struct l2x_ctlclient *c, struct l2x_ctl_reply *rep,
		    const struct l2x_ctl_show_reply *s)
{
	char *p;

	if (rep->text_len + s->text_len > L2X_CTLCLIENT_TEXT_MAX)
		return set_why(c, -EPROTO,
			       "show text exceeds %u bytes: refused",
			       L2X_CTLCLIENT_TEXT_MAX);
	p = realloc(rep->text, rep->text_len + s->text_len + 1);
	if (p == NULL)
		return set_why(c, -ENOMEM, "out of memory for the show text");
	rep->text = p;
	if (s->text_len > 0)
		memcpy(p + rep->text_len, s->text, s->text_len);
	rep->text_len += s->text_len;
	p[rep->text_len] = '\0';
	return 0;
}

/* Take one parsed reply into rep. Returns 1 when the answer is complete,
 * 0 when more chunks follow, or a negative errno. */
static int take(struct l2x_ctlclient *c, const struct l2x_ctlmsg *req,
		const struct l2x_ctlmsg *r, struct l2x_ctl_reply *rep)
{
	const char *what = l2x_ctlmsg_type_str(req->type);
	enum l2x_ctl_type want = answer_type(req->type);
	int rc;

	if (r->type == L2X_CTL_MSG_ERROR) {
		free(rep->text);
		rep->text = NULL;
		rep->text_len = 0;
		rep->type = L2X_CTL_MSG_ERROR;
		rep->error = r->u.error;
		return 1;
	}
	if (r->type != want)
		return set_why(c, -EPROTO, "%s answered with %s, expected %s",
			       what, l2x_ctlmsg_type_str(r->type),
			       l2x_ctlmsg_type_str(want));
	rep->type = r->type;
	switch (r->type) {
	case L2X_CTL_MSG_SA_INFO:
		if (r->u.sa_info.spi != req->u.sa_id.spi ||
		    r->u.sa_info.dir != req->u.sa_id.dir)
			return set_why(c, -EPROTO,
				       "sa_query for SPI 0x%08x dir %u "
				       "answered for SPI 0x%08x dir %u",
				       req->u.sa_id.spi, req->u.sa_id.dir,
				       r->u.sa_info.spi, r->u.sa_info.dir);
		rep->sa_info = r->u.sa_info;
		return 1;
	case L2X_CTL_MSG_SPI:
		rep->spi = r->u.spi.spi; /* >= 256 by the parser */
		return 1;
	case L2X_CTL_MSG_PEER:
		rep->peer = r->u.peer; /* unicast, port > 0 by the parser */
		return 1;
	case L2X_CTL_MSG_SHOW_REPLY: {
		enum l2x_ctl_show asked = req->type == L2X_CTL_MSG_SHOW_PAGE
					      ? req->u.show_page.what
					      : req->u.show.what;

		if (r->u.show_reply.what != asked)
			return set_why(
			    c, -EPROTO, "show %s answered with show_reply %s",
			    l2x_ctlmsg_show_str(asked),
			    l2x_ctlmsg_show_str(r->u.show_reply.what));
		rc = add_text(c, rep, &r->u.show_reply);
		if (rc < 0)
			return rc;
		return (r->flags & L2X_CTL_F_MORE) ? 0 : 1;
	}
	default: /* OK */
		return 1;
	}
}

int l2x_ctlclient_request(struct l2x_ctlclient *c, const struct l2x_ctlmsg *req,
			  struct l2x_ctl_reply *rep)
{
	const char *what = l2x_ctlmsg_type_str(req->type);
	int64_t deadline = now_ms() + c->timeout_ms;
	uint32_t id;
	int rc;

	memset(rep, 0, sizeof(*rep));
	c->why[0] = '\0';
	if (c->broken)
		return set_why(c, -ENOTCONN,
			       "the connection broke on an earlier request: "
			       "reconnect");
	if (answer_type(req->type) == 0)
		return set_why(c, -EINVAL, "%s (0x%02x) is not a request", what,
			       (unsigned)req->type);
	id = c->next_id++;
	if (c->next_id == 0)
		c->next_id = 1;
	rc = send_request(c, req, id);
	if (rc < 0)
		return rc;
	for (;;) {
		struct l2x_ctlmsg r;
		enum l2x_ctl_err e;
		ssize_t n = recv_reply(c, deadline, what);

		if (n < 0) {
			c->broken = true;
			return (int)n;
		}
		e = l2x_ctlmsg_parse(c->rx, (size_t)n, &r);
		if (e != L2X_CTL_ERR_OK)
			return broke(c, -EPROTO, "malformed reply to %s: %s",
				     what, r.fault.text);
		if (!(r.type & L2X_CTL_REPLY_BIT))
			return broke(c, -EPROTO,
				     "%s answered with a request (%s)", what,
				     l2x_ctlmsg_type_str(r.type));
		if (r.req_id != id)
			return broke(c, -EPROTO,
				     "reply %s for request id %" PRIu32
				     " while waiting for %" PRIu32 " (%s)",
				     l2x_ctlmsg_type_str(r.type), r.req_id, id,
				     what);
		rc = take(c, req, &r, rep);
		if (rc < 0) {
			c->broken = true;
			return rc;
		}
		if (rc == 1)
			break;
	}
	if (rep->type == L2X_CTL_MSG_ERROR)
		return (int)rep->error.code; /* 1..4095 by the parser */
	return 0;
}
