/* SPDX-License-Identifier: MIT */
/*
 * ctlclient.h - the client side of the dataplane's control socket: one
 * connection, one request at a time, its replies gathered into one answer.
 * l2xctl and l2x-ike's kernel-ipsec backend both talk to the dataplane
 * through it (DESIGN.md, "Processes"); the bytes are control/ctlmsg.h's.
 *
 * One request, one answer. l2x_ctlclient_request() encodes the request
 * with l2x_ctlmsg_build(), stamps it with the connection's next request id
 * (the caller's req_id is ignored), sends it as one SEQPACKET datagram and
 * reads replies until the conversation of ctlmsg.h is complete:
 *   SA_QUERY                 -> SA_INFO (same SPI and direction)
 *   SPI_ALLOC                -> SPI (256..2^32-1)
 *   SHOW, SHOW_PAGE          -> SHOW_REPLY chunks, the text of each
 *                               appended until one comes without
 *                               L2X_CTL_F_MORE (same what in each)
 *   every other request      -> OK
 *   any request              -> ERROR: its code and text are the answer.
 * Any other reply (another type, another SA, another SHOW what) is a
 * protocol fault, and so is every reply l2x_ctlmsg_parse() refuses or the
 * kernel truncated.
 *
 * A reply with another request id is refused, not skipped. A connection
 * carries one request at a time and is never used again after a timeout
 * (below), so a reply to any earlier request has been read already or
 * has died with the connection: a foreign id can only come from a broken
 * server, and skipping it would risk pairing an answer with the wrong
 * question (an OK for another SA_DEL).
 *
 * Time. Each request has one deadline, timeout_ms after it starts,
 * covering send, every reply chunk and the wait between them, so a server
 * that trickles chunks cannot hold the caller longer. connect() and send()
 * are bounded by the same value (SO_SNDTIMEO; a full listen backlog would
 * otherwise block connect()).
 *
 * Failure. After any failure of the exchange (timeout, connection closed,
 * malformed or unexpected reply) the stream of replies is no longer known
 * to match the requests: the connection is marked broken and every later
 * request returns -ENOTCONN at once. Close it and open a new one (l2x-ike
 * does so on its next call). An ERROR reply is an answer, not a failure:
 * the connection stays usable.
 *
 * Secrets. An SA_ADD carries key and salt. They exist only in the
 * caller's message and in this connection's send buffer, which is wiped
 * (sodium_memzero) right after send() on every path. No reply carries key
 * material.
 *
 * No DPDK: neither its headers nor its libraries (ctlmsg.h has its own
 * byte-order types), so l2xctl, l2x-ike and l2x-agent link none of it.
 *
 * Thread-safety: a connection is used by one thread at a time (callers
 * that share one, like l2x-ike's backend, hold a lock around
 * l2x_ctlclient_request()); different connections are independent.
 */
#ifndef L2X_CTLCLIENT_H
#define L2X_CTLCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/ctlmsg.h"

/* The timeout l2x-ike uses: charon's threads must not wait on the
 * dataplane for longer than about a second (issue 5). */
#define L2X_CTLCLIENT_TIMEOUT_MS 1000u
/* Largest SHOW text gathered from chunks (a bound against a server that
 * never stops sending MORE). */
#define L2X_CTLCLIENT_TEXT_MAX (16u << 20)
/* Longest failure sentence, l2x_ctlclient_why(). */
#define L2X_CTLCLIENT_WHY_LEN 256

struct l2x_ctlclient;

/*
 * The answer to one request. Which members hold data depends on type.
 *   type      OK, ERROR, SA_INFO, SPI or SHOW_REPLY.
 *   error     ERROR: the dataplane's errno value and sentence.
 *   sa_info   SA_INFO: the counters.
 *   spi       SPI: the allocated SPI, host order, 256..2^32-1.
 *   text      SHOW_REPLY: every chunk's text joined, NUL-terminated (the
 *             JSON); heap memory, freed by l2x_ctl_reply_fini(). NULL for
 *             the other types.
 *   text_len  bytes of text, the NUL not counted.
 */
struct l2x_ctl_reply {
	enum l2x_ctl_type type;
	struct l2x_ctl_error error;
	struct l2x_ctl_sa_info sa_info;
	uint32_t spi;
	struct l2x_ctl_peer peer;
	char *text;
	size_t text_len;
};

/*
 * Connect to the control socket at path (AF_UNIX, SOCK_SEQPACKET,
 * SOCK_CLOEXEC).
 *   path        the socket's path; shorter than sun_path (108 bytes).
 *   timeout_ms  the deadline of each request and the bound on connect()
 *               and send(); 1..600000.
 *   out         receives the connection.
 * Returns 0, or a negative errno: -EINVAL (arguments), -ENAMETOOLONG,
 * -ENOMEM, or connect()'s (-ENOENT no socket, -ECONNREFUSED nobody
 * listening, -EACCES not root, -EAGAIN backlog full until the timeout).
 */
int l2x_ctlclient_open(const char *path, unsigned timeout_ms,
		       struct l2x_ctlclient **out);

/*
 * Wrap a connected SOCK_SEQPACKET socket (tests use one end of a
 * socketpair). Takes ownership of fd: it is closed by
 * l2x_ctlclient_close(), and also on failure here.
 * Returns 0, -EINVAL (fd < 0, timeout out of range, out NULL) or -ENOMEM.
 */
int l2x_ctlclient_open_fd(int fd, unsigned timeout_ms,
			  struct l2x_ctlclient **out);

/* Close the socket and free the connection. Accepts NULL. */
void l2x_ctlclient_close(struct l2x_ctlclient *c);

/*
 * Send one request and wait for its answer.
 *   c    an open connection.
 *   req  a request (type below 0x80); req->req_id and req->fault are
 *        ignored. Not modified; an SA_ADD's key stays the caller's to
 *        wipe.
 *   rep  receives the answer (zeroed first); l2x_ctl_reply_fini() it
 *        whatever the result.
 * Returns
 *   0        the expected answer: rep->type is OK, SA_INFO, SPI or
 *            SHOW_REPLY;
 *   > 0      the dataplane refused with ERROR: the value is its errno
 *            code, rep->type is ERROR and rep->error.text says why;
 *   < 0      the exchange failed, and l2x_ctlclient_why() says how:
 *            -EINVAL the request does not encode (nothing sent; the
 *            connection stays usable); -ETIMEDOUT no complete answer
 *            before the deadline; -ECONNRESET the dataplane closed the
 *            connection; -EPROTO a reply was malformed, truncated or not
 *            the answer to this request; -ENOMEM; -ENOTCONN the
 *            connection broke earlier; or send()'s / recv()'s errno.
 *            Every failure but -EINVAL leaves the connection broken.
 */
int l2x_ctlclient_request(struct l2x_ctlclient *c, const struct l2x_ctlmsg *req,
			  struct l2x_ctl_reply *rep);

/* A sentence for the last failure of l2x_ctlclient_request() on c
 * ("timed out after 1000 ms waiting for the reply to sa_add"); "" when
 * the last request succeeded. Valid until the next request. */
const char *l2x_ctlclient_why(const struct l2x_ctlclient *c);

/* True once an exchange failed: the connection is to be closed. */
bool l2x_ctlclient_broken(const struct l2x_ctlclient *c);

/* Free rep->text and zero the reply. Accepts NULL. */
void l2x_ctl_reply_fini(struct l2x_ctl_reply *rep);

#endif /* L2X_CTLCLIENT_H */
