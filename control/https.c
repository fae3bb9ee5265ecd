/* SPDX-License-Identifier: MIT */
/*
 * https.c - HTTPS server (libmicrohttpd + GnuTLS) and client (libcurl)
 * for l2x-agent; the contract is in https.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <sodium.h>

#include "control/errf.h"
#include "control/https.h"
#include "control/tlsid.h"

/* TLS 1.3 and 1.2 only, GnuTLS's NORMAL choice of everything else. */
#define PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define START_ERR_LEN 256

/* An error sentence for the caller (errf.h). */
#define say(...) ((void)l2x_errf(0, __VA_ARGS__))

/* ======================================================================
 * Server
 * ====================================================================== */

struct l2x_https {
	struct MHD_Daemon *mhd;
	l2x_https_handler handler;
	void *arg;
	size_t body_limit;
	const char *const *large_prefixes; /* prm's, or NULL */
	size_t large_limit;
	uint16_t port;
	char *cert_pem; /* copies MHD reads from */
	char *key_pem;
	size_t key_len;
	atomic_int starting; /* MHD's messages go to start_err */
	char start_err[START_ERR_LEN];
};

/* One request: made by the URI callback, freed when MHD completes it. */
struct req {
	char *uri; /* raw request target */
	char *body;
	size_t len, cap;
	size_t dropped; /* body bytes read and dropped past the limit */
	int started;	/* the access handler has seen the headers */
	int too_big;
	size_t limit; /* its body's: body_limit or large_limit */
};

/* MHD's messages: kept while starting (the reason start failed), dropped
 * afterwards (handshakes that fail are the client's business). */
static void on_log(void *cls, const char *fmt, va_list ap)
{
	struct l2x_https *s = cls;
	size_t n;

	if (!atomic_load(&s->starting) || s->start_err[0] != '\0')
		return;
	vsnprintf(s->start_err, sizeof(s->start_err), fmt, ap);
	n = strlen(s->start_err);
	while (n > 0 &&
	       (s->start_err[n - 1] == '\n' || s->start_err[n - 1] == '.'))
		s->start_err[--n] = '\0';
}

/* Ask every new TLS session for a client certificate, naming no authority
 * (https.h: why not MHD_OPTION_HTTPS_MEM_TRUST). MHD calls this after
 * gnutls_init() and before the handshake. */
static void on_conn(void *cls, struct MHD_Connection *c, void **sock_ctx,
		    enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *ci;

	(void)cls;
	(void)sock_ctx;
	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci != NULL && ci->tls_session != NULL)
		gnutls_certificate_server_set_request(ci->tls_session,
						      GNUTLS_CERT_REQUEST);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req *r = calloc(1, sizeof(*r));

	(void)cls;
	(void)c;
	if (r == NULL)
		return NULL;
	r->uri = strdup(uri != NULL ? uri : "");
	if (r->uri == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

static void req_free(struct req *r)
{
	if (r == NULL)
		return;
	if (r->body != NULL) {
		sodium_memzero(r->body, r->cap); /* tokens, PSKs */
		free(r->body);
	}
	free(r->uri);
	free(r);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	req_free(*con_cls);
	*con_cls = NULL;
}

/* Queue status with body (malloc'd, taken; NULL for none). */
static enum MHD_Result reply(struct MHD_Connection *c, int status, char *body)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;

	if (status < 200 || status > 599)
		status = 500;
	if (body != NULL)
		resp = MHD_create_response_from_buffer(strlen(body), body,
						       MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(0, (void *)"",
						       MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				    "application/json") != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ok = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* The error shape of the API (the brief, "REST API"). */
static enum MHD_Result reply_error(struct MHD_Connection *c, int status,
				   const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum MHD_Result reply_error(struct MHD_Connection *c, int status,
				   const char *fmt, ...)
{
	char msg[160], *body = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(&body, "{\"error\":{\"status\":%d,\"message\":\"%s\"}}",
		     status, msg) < 0)
		body = NULL;
	return reply(c, status, body);
}

/* The bearer token of Authorization (RFC 6750 2.1; the scheme name is
 * case-insensitive, RFC 9110 11.1), or NULL. */
static const char *bearer_of(struct MHD_Connection *c)
{
	const char *a = MHD_lookup_connection_value(
	    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	if (a == NULL || strncasecmp(a, "Bearer ", 7) != 0)
		return NULL;
	a += 7;
	while (*a == ' ')
		a++;
	return *a != '\0' ? a : NULL;
}

/* The pin of the client's certificate into pin, or NULL. */
static const char *client_pin_of(struct MHD_Connection *c,
				 char pin[L2X_TLSID_PIN_LEN])
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *certs;
	gnutls_session_t ss;
	unsigned int n = 0;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return NULL;
	ss = ci->tls_session;
	if (gnutls_certificate_type_get(ss) != GNUTLS_CRT_X509)
		return NULL;
	certs = gnutls_certificate_get_peers(ss, &n);
	if (certs == NULL || n == 0)
		return NULL;
	if (l2x_tlsid_pin_der(certs[0].data, certs[0].size, pin) < 0)
		return NULL;
	return pin;
}

static const char *addr_of(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	socklen_t sl;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return "";
	sl = ci->client_addr->sa_family == AF_INET6
		 ? sizeof(struct sockaddr_in6)
		 : sizeof(struct sockaddr_in);
	if (getnameinfo(ci->client_addr, sl, buf, (socklen_t)len, NULL, 0,
			NI_NUMERICHOST) != 0)
		return "";
	return buf;
}

/* Headers seen. A declared body over the limit is read and dropped, then
 * refused (on_body, on_request), so that the client, still sending, gets
 * the 413 rather than a reset; one over L2X_HTTPS_DISCARD_MAX is refused
 * at once (MHD then reads no body and closes). A declared body within the
 * limit gets its buffer now. */
static enum MHD_Result on_headers(struct l2x_https *s, struct req *r,
				  struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(
	    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *const *p;
	unsigned long long n;
	char *end;

	r->started = 1;
	r->limit = s->body_limit;
	for (p = s->large_prefixes; p != NULL && *p != NULL; p++)
		if (strncmp(r->uri, *p, strlen(*p)) == 0)
			r->limit = s->large_limit;
	if (cl == NULL)
		return MHD_YES;
	errno = 0;
	n = strtoull(cl, &end, 10);
	if (errno != 0 || end == cl || n > L2X_HTTPS_DISCARD_MAX)
		return reply_error(c, 413, "body over %zu bytes", r->limit);
	if (n > r->limit) {
		r->too_big = 1;
		return MHD_YES;
	}
	if (n > 0) {
		r->body = malloc((size_t)n + 1);
		if (r->body == NULL)
			return reply_error(c, 500, "out of memory");
		r->cap = (size_t)n + 1;
	}
	return MHD_YES;
}

/* Make *buf (cap bytes, len used) hold want bytes: doubling from 4 KiB,
 * at most max. Not realloc(): the old copy is wiped first, since bodies
 * carry tokens and the desired state a PSK. 0 or -ENOMEM. */
static int grow(char **buf, size_t *cap, size_t len, size_t want, size_t max)
{
	size_t c = *cap ? *cap : 4096;
	char *p;

	if (want <= *cap)
		return 0;
	while (c < want)
		c *= 2;
	if (c > max)
		c = max;
	p = malloc(c);
	if (p == NULL)
		return -ENOMEM;
	if (*buf != NULL) {
		memcpy(p, *buf, len);
		sodium_memzero(*buf, *cap);
		free(*buf);
	}
	*buf = p;
	*cap = c;
	return 0;
}

/* A piece of the body: kept while within the limit, dropped after. */
static enum MHD_Result on_body(struct l2x_https *s, struct req *r,
			       const char *data, size_t n)
{
	(void)s;
	if (!r->too_big && n <= r->limit - r->len) {
		if (grow(&r->body, &r->cap, r->len, r->len + n + 1,
			 r->limit + 1) != 0)
			return MHD_NO;
		memcpy(r->body + r->len, data, n);
		r->len += n;
		return MHD_YES;
	}
	if (!r->too_big) {
		r->too_big = 1;
		if (r->body != NULL)
			sodium_memzero(r->body, r->cap);
		free(r->body);
		r->body = NULL;
		r->cap = 0;
		r->dropped = r->len;
		r->len = 0;
	}
	r->dropped += n;
	return r->dropped > L2X_HTTPS_DISCARD_MAX ? MHD_NO : MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_len, void **con_cls)
{
	struct l2x_https *s = cls;
	struct req *r = *con_cls;
	struct l2x_http_resp resp = {.status = 500, .body = NULL};
	struct l2x_http_req q;
	char pin[L2X_TLSID_PIN_LEN], addr[INET6_ADDRSTRLEN + 8];
	char *qm;

	(void)url;
	(void)version;
	if (r == NULL) /* on_uri could not allocate */
		return reply_error(c, 500, "out of memory");
	if (!r->started)
		return on_headers(s, r, c);
	if (*upload_len > 0) {
		enum MHD_Result ok = on_body(s, r, upload, *upload_len);

		*upload_len = 0;
		return ok;
	}
	if (r->too_big)
		return reply_error(c, 413, "body over %zu bytes", r->limit);

	qm = strchr(r->uri, '?');
	if (qm != NULL)
		*qm = '\0';
	if (r->body != NULL)
		r->body[r->len] = '\0';
	q = (struct l2x_http_req){
	    .method = method,
	    .path = r->uri,
	    .query = qm != NULL ? qm + 1 : "",
	    .body = r->body != NULL ? r->body : "",
	    .body_len = r->len,
	    .bearer = bearer_of(c),
	    .client_pin = client_pin_of(c, pin),
	    .remote_addr = addr_of(c, addr, sizeof(addr)),
	};
	s->handler(s->arg, &q, &resp);
	return reply(c, resp.status, resp.body);
}

static int parse_addr(const char *addr, uint16_t port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (addr != NULL && inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		*len = sizeof(*v4);
		return AF_INET;
	}
	if (addr != NULL && inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		*len = sizeof(*v6);
		return AF_INET6;
	}
	return -1;
}

/* Bind a throwaway socket to addr:port, for the exact errno MHD's
 * messages would only paraphrase (in use, not a local address, a
 * privileged port). */
static int probe_bind(const struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1, fd, rc = 0;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				 sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static void server_free(struct l2x_https *s)
{
	if (s == NULL)
		return;
	if (s->key_pem != NULL) {
		sodium_memzero(s->key_pem, s->key_len);
		free(s->key_pem);
	}
	free(s->cert_pem);
	free(s);
}

/* The parameters' sentence-worthy faults, before anything is made:
 * handler, certificate and key (checked here rather than by GnuTLS inside
 * MHD: clearer sentences, and GnuTLS 3.7.9 leaks a certificate object
 * when gnutls_certificate_set_x509_key_mem2() meets a bad one), address,
 * port. Returns the address family, with the address in ss, or -errno. */
static int check_prm(const struct l2x_https_prm *prm,
		     struct sockaddr_storage *ss, socklen_t *sl, char *err,
		     size_t errlen)
{
	char pin[L2X_TLSID_PIN_LEN];
	const char *why = NULL;
	int fam, rc;

	if (prm == NULL || prm->handler == NULL) {
		say(err, errlen, "HTTPS server: no handler");
		return -EINVAL;
	}
	rc = l2x_tlsid_check_pair(prm->cert_pem, prm->key_pem, pin);
	if (rc == -EINVAL)
		why = "the certificate is not one valid PEM certificate";
	else if (rc == -EBADMSG)
		why = "the key is not a valid unencrypted PEM private key";
	else if (rc == -ENOKEY)
		why = "the certificate is not for this key";
	else if (rc < 0)
		why = "out of memory";
	if (why != NULL) {
		say(err, errlen, "HTTPS server: %s", why);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	fam = parse_addr(prm->addr, prm->port, ss, sl);
	if (fam < 0) {
		say(err, errlen,
		    "HTTPS server: '%s' is not an IPv4 or IPv6 address",
		    prm->addr != NULL ? prm->addr : "");
		return -EINVAL;
	}
	if (prm->port != 0 && (rc = probe_bind(ss, *sl)) < 0) {
		say(err, errlen,
		    "HTTPS server: cannot listen on %s port %u: %s", prm->addr,
		    prm->port, strerror(-rc));
		return rc;
	}
	return fam;
}

/* MHD_start_daemon() with s's options; MHD's reason in s->start_err. */
static struct MHD_Daemon *start_mhd(struct l2x_https *s,
				    const struct l2x_https_prm *prm,
				    const struct sockaddr_storage *ss, int fam)
{
	struct MHD_OptionItem pool[2] = {{MHD_OPTION_END, 0, NULL},
					 {MHD_OPTION_END, 0, NULL}};
	unsigned flags =
	    MHD_USE_TLS | MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	struct MHD_Daemon *d;

	/* A pool only for more than one thread (MHD warns about 1). */
	if (prm->threads > 1)
		pool[0] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
						  (intptr_t)prm->threads, NULL};
	if (fam == AF_INET6)
		flags |= MHD_USE_IPv6;
	atomic_store(&s->starting, 1);
	d = MHD_start_daemon(
	    flags, prm->port, NULL, NULL, on_request, s,
	    MHD_OPTION_EXTERNAL_LOGGER, on_log, s, MHD_OPTION_SOCK_ADDR,
	    (const struct sockaddr *)ss, MHD_OPTION_HTTPS_MEM_CERT, s->cert_pem,
	    MHD_OPTION_HTTPS_MEM_KEY, s->key_pem, MHD_OPTION_HTTPS_PRIORITIES,
	    PRIORITIES, MHD_OPTION_ARRAY, pool, MHD_OPTION_CONNECTION_LIMIT,
	    prm->conn_limit ? prm->conn_limit : L2X_HTTPS_CONN_LIMIT,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    prm->timeout_s ? prm->timeout_s : L2X_HTTPS_IDLE_S,
	    MHD_OPTION_NOTIFY_CONNECTION, on_conn, s,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED,
	    on_done, s, MHD_OPTION_END);
	atomic_store(&s->starting, 0);
	return d;
}

int l2x_https_start(const struct l2x_https_prm *prm, struct l2x_https **out,
		    char *err, size_t errlen)
{
	const union MHD_DaemonInfo *di;
	struct sockaddr_storage ss;
	struct l2x_https *s;
	socklen_t sl;
	int fam;

	*out = NULL;
	fam = check_prm(prm, &ss, &sl, err, errlen);
	if (fam < 0)
		return fam;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto err_nomem;
	s->handler = prm->handler;
	s->arg = prm->arg;
	s->body_limit =
	    prm->body_limit ? prm->body_limit : L2X_HTTPS_BODY_LIMIT;
	s->large_prefixes = prm->large_prefixes;
	s->large_limit = prm->large_limit < s->body_limit ? s->body_limit
			 : prm->large_limit > L2X_HTTPS_DISCARD_MAX
			     ? L2X_HTTPS_DISCARD_MAX
			     : prm->large_limit;
	s->cert_pem = strdup(prm->cert_pem);
	s->key_pem = strdup(prm->key_pem);
	if (s->cert_pem == NULL || s->key_pem == NULL)
		goto err_nomem;
	s->key_len = strlen(s->key_pem);
	s->mhd = start_mhd(s, prm, &ss, fam);
	if (s->mhd == NULL) {
		say(err, errlen, "HTTPS server on %s port %u did not start: %s",
		    prm->addr, prm->port,
		    s->start_err[0] ? s->start_err
				    : "libmicrohttpd gave no reason");
		server_free(s);
		return -EIO;
	}
	di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di != NULL ? di->port : prm->port;
	*out = s;
	return 0;
err_nomem:
	say(err, errlen, "HTTPS server: out of memory");
	server_free(s);
	return -ENOMEM;
}

uint16_t l2x_https_port(const struct l2x_https *s)
{
	return s != NULL ? s->port : 0;
}

void l2x_https_stop(struct l2x_https *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->mhd);
	server_free(s);
}

/* ======================================================================
 * Client
 * ====================================================================== */

int l2x_https_global_init(char *err, size_t errlen)
{
	const curl_version_info_data *v;
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK) {
		say(err, errlen, "curl_global_init: %s",
		    curl_easy_strerror(rc));
		return -EIO;
	}
	v = curl_version_info(CURLVERSION_NOW);
	if (v == NULL || !(v->features & CURL_VERSION_SSL)) {
		say(err, errlen, "libcurl was built without TLS");
		curl_global_cleanup();
		return -EIO;
	}
	return 0;
}

void l2x_https_global_fini(void)
{
	curl_global_cleanup();
}

struct sink {
	char *p;
	size_t len, cap;
	int too_big;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud)
{
	struct sink *k = ud;
	size_t n = size * nmemb;

	if (n > L2X_HTTPS_RESP_MAX - k->len) {
		k->too_big = 1;
		return 0; /* CURLE_WRITE_ERROR */
	}
	if (grow(&k->p, &k->cap, k->len, k->len + n + 1,
		 L2X_HTTPS_RESP_MAX + 1) != 0)
		return 0;
	memcpy(k->p + k->len, data, n);
	k->len += n;
	k->p[k->len] = '\0';
	return n;
}

/* A token may go into a header only if it is printable ASCII without
 * spaces: no header injection. */
static int token_ok(const char *t)
{
	if (*t == '\0')
		return 0;
	for (; *t != '\0'; t++)
		if (*t <= 0x20 || *t > 0x7e)
			return 0;
	return 1;
}

static int method_ok(const char *m)
{
	size_t i;

	for (i = 0; m[i] != '\0'; i++)
		if (m[i] < 'A' || m[i] > 'Z' || i >= 16)
			return 0;
	return i > 0;
}

static int check_call(const struct l2x_https_client *c, const char *method,
		      const char *url, char *err, size_t errlen)
{
	if (c == NULL || method == NULL || url == NULL || !method_ok(method)) {
		say(err, errlen, "HTTPS call: bad arguments");
		return -EINVAL;
	}
	if (strncasecmp(url, "https://", 8) != 0) {
		say(err, errlen, "%s: not an https:// URL", url);
		return -EINVAL;
	}
	if (c->pin != NULL && l2x_tlsid_pin_check(c->pin) < 0) {
		say(err, errlen, "%s: '%s' is not a pin (sha256//BASE64)", url,
		    c->pin);
		return -EINVAL;
	}
	if (c->bearer != NULL && !token_ok(c->bearer)) {
		say(err, errlen, "%s: the bearer token has spaces or controls",
		    url);
		return -EINVAL;
	}
	if ((c->cert_path == NULL) != (c->key_path == NULL)) {
		say(err, errlen, "%s: a client certificate needs its key", url);
		return -EINVAL;
	}
	return 0;
}

/* The transport failure rc of a call to url as -errno and a sentence. */
static int failure(CURL *h, CURLcode rc, const struct l2x_https_client *c,
		   const char *url, const struct sink *k, const char *detail,
		   unsigned timeout_ms, char *err, size_t errlen)
{
	long oserr = 0;

	if (*detail == '\0')
		detail = curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		say(err, errlen,
		    "the certificate of %s changed: its key does not match the "
		    "pinned %s (the peer has a new identity; pair or enrol it "
		    "again if that is expected)",
		    url, c->pin);
		return -EKEYREJECTED;
	case CURLE_COULDNT_CONNECT:
		(void)curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
		if (oserr == ECONNREFUSED) {
			say(err, errlen,
			    "cannot connect to %s: connection refused", url);
			return -ECONNREFUSED;
		}
		say(err, errlen, "cannot connect to %s: %s", url, detail);
		return -EHOSTUNREACH;
	case CURLE_COULDNT_RESOLVE_HOST:
		say(err, errlen, "cannot resolve the host of %s: %s", url,
		    detail);
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		say(err, errlen, "%s did not answer within %u ms", url,
		    timeout_ms);
		return -ETIMEDOUT;
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_WRITE_ERROR:
		if (rc == CURLE_FILESIZE_EXCEEDED || k->too_big) {
			say(err, errlen, "the answer from %s is over %u bytes",
			    url, L2X_HTTPS_RESP_MAX);
			return -EFBIG;
		}
		say(err, errlen, "%s: out of memory for the answer", url);
		return -ENOMEM;
	case CURLE_OUT_OF_MEMORY:
		say(err, errlen, "%s: out of memory", url);
		return -ENOMEM;
	case CURLE_SSL_CERTPROBLEM:
		say(err, errlen,
		    "%s: client certificate %s or key %s cannot be used: %s",
		    url, c->cert_path, c->key_path, detail);
		return -EINVAL;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		say(err, errlen, "%s: not a usable https:// URL: %s", url,
		    detail);
		return -EINVAL;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_HTTP2:
		say(err, errlen, "%s: %s", url, detail);
		return -EPROTO;
	default:
		say(err, errlen, "%s: %s", url, detail);
		return -EIO;
	}
}

static CURLcode setup(CURL *h, const struct l2x_https_client *c,
		      const char *method, const char *url, const char *body,
		      struct curl_slist *hdrs, struct sink *k, char *curlerr,
		      unsigned timeout_ms)
{
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(h, opt, val); \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_PROXY, ""); /* never a proxy from the environment */
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, curlerr);
	SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	/* Self-signed peers: the pin is the check (tlsid.h). */
	SET(CURLOPT_SSL_VERIFYPEER, 0L);
	SET(CURLOPT_SSL_VERIFYHOST, 0L);
	/* No CA bundle either: curl's GnuTLS backend would parse the system's
	 * on every connection, verification or not (tens of ms of CPU). */
	SET(CURLOPT_CAINFO, NULL);
	SET(CURLOPT_CAPATH, NULL);
	if (c->pin != NULL)
		SET(CURLOPT_PINNEDPUBLICKEY, c->pin);
	if (c->cert_path != NULL) {
		SET(CURLOPT_SSLCERT, c->cert_path);
		SET(CURLOPT_SSLCERTTYPE, "PEM");
		SET(CURLOPT_SSLKEY, c->key_path);
		SET(CURLOPT_SSLKEYTYPE, "PEM");
	}
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)L2X_HTTPS_RESP_MAX);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, k);
	if (strcmp(method, "HEAD") == 0)
		SET(CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0 || body != NULL)
		SET(CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		SET(CURLOPT_POSTFIELDS, body);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	SET(CURLOPT_HTTPHEADER, hdrs);
#undef SET
	return rc;
}

/* Accept, Content-Type with a body, Authorization with a bearer (*auth
 * holds that line, to be wiped). NULL when out of memory. */
static struct curl_slist *headers(const struct l2x_https_client *c,
				  const char *body, char **auth)
{
	struct curl_slist *l, *t;

	*auth = NULL;
	l = curl_slist_append(NULL, "Accept: application/json");
	if (l == NULL)
		return NULL;
	if (body != NULL) {
		t = curl_slist_append(l, "Content-Type: application/json");
		if (t == NULL)
			goto err;
		l = t;
	}
	if (c->bearer != NULL) {
		if (asprintf(auth, "Authorization: Bearer %s", c->bearer) < 0) {
			*auth = NULL;
			goto err;
		}
		t = curl_slist_append(l, *auth);
		if (t == NULL)
			goto err;
		l = t;
	}
	return l;
err:
	curl_slist_free_all(l);
	return NULL;
}

int l2x_https_call(const struct l2x_https_client *c, const char *method,
		   const char *url, const char *body, int *status,
		   char **resp_body, char *err, size_t errlen)
{
	char curlerr[CURL_ERROR_SIZE] = "", *auth = NULL;
	struct curl_slist *hdrs = NULL;
	struct sink k = {0};
	unsigned timeout_ms;
	long code = 0;
	CURLcode rc;
	CURL *h;
	int ret;

	if (resp_body != NULL)
		*resp_body = NULL;
	*status = 0;
	ret = check_call(c, method, url, err, errlen);
	if (ret < 0)
		return ret;
	timeout_ms = c->timeout_ms ? c->timeout_ms : L2X_HTTPS_TIMEOUT_MS;
	h = curl_easy_init();
	if (h == NULL) {
		say(err, errlen, "%s: cannot make a curl handle", url);
		return -ENOMEM;
	}
	hdrs = headers(c, body, &auth);
	if (hdrs == NULL) {
		ret = -ENOMEM;
		say(err, errlen, "%s: out of memory", url);
		goto out;
	}
	rc = setup(h, c, method, url, body, hdrs, &k, curlerr, timeout_ms);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		ret = failure(h, rc, c, url, &k, curlerr, timeout_ms, err,
			      errlen);
		goto out;
	}
	(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	*status = (int)code;
	if (resp_body != NULL) {
		if (k.p == NULL && (k.p = calloc(1, 1)) == NULL) {
			ret = -ENOMEM;
			say(err, errlen, "%s: out of memory", url);
			goto out;
		}
		*resp_body = k.p;
		k.p = NULL;
	}
	ret = 0;
out:
	if (ret < 0)
		*status = 0;
	if (auth != NULL) {
		sodium_memzero(auth, strlen(auth));
		free(auth);
	}
	if (k.p != NULL) {
		sodium_memzero(k.p, k.cap);
		free(k.p);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return ret;
}
