/* SPDX-License-Identifier: MIT */
/*
 * https.h - the HTTPS server and client every l2x-agent role uses: the
 * manager's REST API and peer endpoints, the appliance's pulls. JSON in,
 * JSON out, mutual TLS with pinned self-signed certificates
 * (control/tlsid.h), so no certificate authority is ever consulted.
 *
 * Server: libmicrohttpd with GnuTLS, its own threads. A request is
 * collected whole (up to body_limit bytes) before the one handler sees
 * it, so handlers are plain functions from a request to a status and a
 * JSON text; routing, authentication and JSON are theirs. The server
 * decides only what must be decided before a handler runs:
 *   - TLS 1.2 or 1.3 only (GnuTLS priority PRIORITIES in https.c).
 *   - A client certificate is requested, never required, and never
 *     verified against anything: GnuTLS checks only that the client holds
 *     its key (CertificateVerify). The handler gets the pin of the
 *     certificate's key, or NULL, and decides (peer endpoints compare it
 *     with the pin stored at pairing/enrolment; people's endpoints use the
 *     bearer token and ignore it). How: libmicrohttpd 0.9.75 requests a
 *     certificate only when MHD_OPTION_HTTPS_MEM_TRUST is given, and that
 *     loads a trust list we do not have: its subjects would be named as
 *     acceptable authorities in every CertificateRequest, meaning nothing
 *     (and inviting strict clients to send no certificate; curl with
 *     GnuTLS 3.7 still sends its own, and GnuTLS does not verify it,
 *     both tried). Instead the server sets GNUTLS_CERT_REQUEST on each
 *     session itself, from the connection-start notification
 *     (MHD_OPTION_NOTIFY_CONNECTION, which MHD calls after gnutls_init()
 *     and before the handshake): the request names no authority, and the
 *     certificate is read back with gnutls_certificate_get_peers() on
 *     MHD_CONNECTION_INFO_GNUTLS_SESSION. Without that call no client
 *     certificate arrives (tried too).
 *   - A body over body_limit is answered 413 without calling the handler
 *     and without buffering it: it is read and dropped, then refused, so
 *     that a client still sending gets the answer and not a reset. Up to
 *     L2X_HTTPS_DISCARD_MAX bytes: a Content-Length above that is refused
 *     at once (and the connection closed), and a chunked body that grows
 *     past it gets the connection closed without an answer.
 *   - The connection limit and the per-connection idle timeout (also
 *     bounding the TLS handshake).
 *
 * Client: libcurl (GnuTLS backend), one easy handle per call, so calls
 * from any number of threads are independent and no TLS session is
 * resumed. The server's certificate is checked by pin only
 * (CURLOPT_PINNEDPUBLICKEY); a pin of NULL is for the first contact of
 * pairing and enrolment only, where the token in the body authenticates
 * and the answer carries the pin to keep. No proxy is ever used, whatever
 * the environment says: agent-to-agent traffic goes straight. The client
 * certificate and key are read from their files on each call: curl's
 * GnuTLS backend takes no PEM from memory (CURLOPT_SSLCERT_BLOB and
 * _SSLKEY_BLOB are for OpenSSL, Schannel, mbedTLS and wolfSSL). No CA
 * bundle is loaded (CURLOPT_CAINFO NULL): curl's GnuTLS backend parses
 * the system's on every connection, verifying or not, some 40 ms of CPU
 * that made 64 parallel callers time out on two cores.
 *
 * Thread-safety: l2x_https_global_init() once, from main() before any
 * thread (curl_global_init() is not thread-safe). Then
 * l2x_https_start/stop from one control thread; the handler runs on the
 * server's threads, up to `threads` calls at once, and must be
 * thread-safe. Each thread serves many connections (epoll), so a handler
 * that blocks holds up the others of its thread: keep handlers short and
 * queue long work (STYLE.md 15, jobs). l2x_https_call() from any thread.
 *
 * Signals: the process should ignore SIGPIPE, so that a peer that goes
 * away mid-send cannot kill it (the unit test does so).
 */
#ifndef L2X_HTTPS_H
#define L2X_HTTPS_H

#include <stddef.h>
#include <stdint.h>

#define L2X_HTTPS_BODY_LIMIT (64u << 10) /* default body_limit */
#define L2X_HTTPS_DISCARD_MAX (1u << 20) /* dropped body, then close */
#define L2X_HTTPS_RESP_MAX (1u << 20)	 /* largest answer a call takes */
#define L2X_HTTPS_TIMEOUT_MS 10000u	 /* default client timeout */
#define L2X_HTTPS_CONN_LIMIT 256u	 /* default conn_limit */
#define L2X_HTTPS_IDLE_S 30u		 /* default timeout_s */

/*
 * One request, as the handler sees it. Every pointer is valid for the
 * handler call only.
 *   method       "GET", "POST", ... as sent
 *   path         the request target before '?', as sent (not
 *                percent-decoded: "/api/v1/switches/a%2Fb" stays so)
 *   query        the text after '?', as sent, or "" when none
 *   body         the body, NUL-terminated ("" when none); body_len its
 *                length (the body may itself hold NULs)
 *   bearer       the token after "Bearer " in Authorization, or NULL
 *   client_pin   "sha256//..." of the client's TLS certificate, or NULL
 *                when it sent none
 *   remote_addr  the client's address, numeric ("127.0.0.1", "::1")
 */
struct l2x_http_req {
	const char *method;
	const char *path;
	const char *query;
	const char *body;
	size_t body_len;
	const char *bearer;
	const char *client_pin;
	const char *remote_addr;
};

/*
 * The handler's answer.
 *   status  200..599; starts at 500, and any other value is sent as 500
 *   body    malloc'd JSON text, NUL-terminated, or NULL for an empty body;
 *           the server frees it. Content-Type is application/json.
 */
struct l2x_http_resp {
	int status;
	char *body;
};

/* Called once per complete request, on a server thread. */
typedef void (*l2x_https_handler)(void *arg, const struct l2x_http_req *req,
				  struct l2x_http_resp *resp);

/*
 * Server parameters; zero fields take the defaults.
 *   addr        IPv4 or IPv6 address to listen on, numeric ("0.0.0.0",
 *               "::" listens on IPv6 only)
 *   port        TCP port; 0 picks a free one (l2x_https_port())
 *   cert_pem    server certificate, PEM (struct l2x_tlsid's cert_pem)
 *   key_pem     its private key, PEM; both are copied
 *   threads     handler threads (pool size), default 1
 *   conn_limit  concurrent connections, default L2X_HTTPS_CONN_LIMIT
 *   timeout_s   idle seconds before a connection is closed, default
 *               L2X_HTTPS_IDLE_S
 *   body_limit  largest body, default L2X_HTTPS_BODY_LIMIT
 *   large_prefixes, large_limit  requests whose target starts with
 *               one of large_prefixes (a NULL-terminated array) may
 *               carry up to large_limit (at least body_limit, at most
 *               L2X_HTTPS_DISCARD_MAX); the array and its strings must
 *               outlive the server; NULL: none
 *   handler     the request handler, required; arg is its first argument
 */
struct l2x_https_prm {
	const char *addr;
	uint16_t port;
	const char *cert_pem;
	const char *key_pem;
	unsigned threads;
	unsigned conn_limit;
	unsigned timeout_s;
	size_t body_limit;
	const char *const *large_prefixes;
	size_t large_limit;
	l2x_https_handler handler;
	void *arg;
};

struct l2x_https;

/*
 * Initialise curl (and with it GnuTLS) for the process. From main(),
 * before any thread. Returns 0, or -EIO with a sentence in err.
 */
int l2x_https_global_init(char *err, size_t errlen);
/* The reverse, at exit, after every call and server has ended. */
void l2x_https_global_fini(void);

/*
 * Start a server listening and answering. The certificate and key are
 * checked first (l2x_tlsid_check_pair()) and copied; prm need not outlive
 * the call. Returns 0 and *out; -EINVAL (no handler, bad or mismatched
 * certificate and key, an address that is not numeric), -EADDRINUSE,
 * -EADDRNOTAVAIL, -EACCES (from binding the port), -ENOMEM, or -EIO when
 * libmicrohttpd refuses; err says which, naming the address. Control
 * thread.
 */
int l2x_https_start(const struct l2x_https_prm *prm, struct l2x_https **out,
		    char *err, size_t errlen);

/* The port it listens on (the chosen one when prm->port was 0). */
uint16_t l2x_https_port(const struct l2x_https *s);

/*
 * Stop listening, wait for running handlers to return, close every
 * connection, free s. Accepts NULL. Control thread, never a handler.
 */
void l2x_https_stop(struct l2x_https *s);

/*
 * Who a client is and how long it waits.
 *   cert_path   client certificate file, PEM (struct l2x_tlsid's
 *               cert_path), or NULL to send none
 *   key_path    its key file, PEM; required with cert_path
 *   pin         the server's pin, "sha256//...", or NULL to accept any
 *               server key (first contact only, see above)
 *   bearer      sent as "Authorization: Bearer BEARER", or NULL
 *   timeout_ms  for the whole call, connect included; 0 means
 *               L2X_HTTPS_TIMEOUT_MS
 */
struct l2x_https_client {
	const char *cert_path;
	const char *key_path;
	const char *pin;
	const char *bearer;
	unsigned timeout_ms;
};

/*
 * One HTTPS request and its answer.
 *   c          who calls, see above
 *   method     "GET", "POST", "PUT", "DELETE", ...
 *   url        "https://HOST:PORT/PATH?QUERY"; other schemes are refused
 *   body       JSON text sent with Content-Type application/json, or NULL
 *              for none
 *   status     the HTTP status on success
 *   resp_body  on success a malloc'd NUL-terminated answer ("" when
 *              empty), free() it; NULL on failure. May be NULL.
 *   err        on failure, a sentence naming the URL
 * Any HTTP status is a success; failures are the transport's:
 *   -EKEYREJECTED  the server's key is not the pinned one ("the
 *                  certificate of URL changed ...", quoting the pin)
 *   -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH (cannot resolve or reach)
 *   -EFBIG         answer over L2X_HTTPS_RESP_MAX
 *   -EINVAL        bad arguments, unusable client certificate or key
 *   -ENOMEM, -EPROTO (TLS or HTTP failure), -EIO (anything else)
 * Any thread, after l2x_https_global_init().
 */
int l2x_https_call(const struct l2x_https_client *c, const char *method,
		   const char *url, const char *body, int *status,
		   char **resp_body, char *err, size_t errlen);

#endif /* L2X_HTTPS_H */
