/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for control/tlsid.[ch] and control/https.[ch]: two TLS
 * identities made in a private folder (mkdtemp), an HTTPS server on
 * 127.0.0.1 with an ephemeral port, and calls to it: what the handler
 * sees (method, path, query, body, bearer, the client's pin), a wrong pin,
 * no client certificate, bodies over the limit (declared, chunked, and
 * declared over the discard bound), garbage on the TCP socket, 64 threads
 * calling at once, and the client's transport failures (refused, timeout,
 * an answer over 1 MiB). The pin is checked against OpenSSL's for a fixed
 * certificate. Raw bytes go through a GnuTLS client session of the test's
 * own, which checks nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include <gnutls/gnutls.h>

#include "control/https.h"
#include "control/tlsid.h"
#include "tests/unit/testfs.h"

#define NTHREADS 64
#define NCALLS 20
#define ERRLEN 512

static char dir[] = "/tmp/l2x-https-XXXXXX";
static char srv_dir[64], cli_dir[64];
static struct l2x_tlsid srv_id, cli_id;
static struct l2x_https *srv;
static char base[64]; /* https://127.0.0.1:PORT */

/* What the handler saw last, and how often it ran. */
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char method[16], path[128], query[128], bearer[128];
	char client_pin[L2X_TLSID_PIN_LEN], remote_addr[64];
	int has_bearer, has_pin;
	size_t body_len;
	char body[256];
} seen;
static atomic_uint calls;

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

/* /status/N answers N; /empty answers 200 and no body; /big 1.5 MiB;
 * everything else 200 and the request body (or "{}"). */
static void handler(void *arg, const struct l2x_http_req *req,
		    struct l2x_http_resp *resp)
{
	(void)arg;
	atomic_fetch_add(&calls, 1);
	pthread_mutex_lock(&seen_lock);
	copy(seen.method, sizeof(seen.method), req->method);
	copy(seen.path, sizeof(seen.path), req->path);
	copy(seen.query, sizeof(seen.query), req->query);
	copy(seen.bearer, sizeof(seen.bearer), req->bearer);
	copy(seen.client_pin, sizeof(seen.client_pin), req->client_pin);
	copy(seen.remote_addr, sizeof(seen.remote_addr), req->remote_addr);
	copy(seen.body, sizeof(seen.body), req->body);
	seen.has_bearer = req->bearer != NULL;
	seen.has_pin = req->client_pin != NULL;
	seen.body_len = req->body_len;
	pthread_mutex_unlock(&seen_lock);

	if (strncmp(req->path, "/status/", 8) == 0) {
		resp->status = atoi(req->path + 8);
		resp->body = strdup("{}");
	} else if (strcmp(req->path, "/empty") == 0) {
		resp->status = 200;
	} else if (strcmp(req->path, "/big") == 0) {
		size_t n = (3u << 20) / 2;

		resp->status = 200;
		resp->body = malloc(n + 1);
		if (resp->body != NULL) {
			memset(resp->body, ' ', n);
			resp->body[0] = '"';
			resp->body[n - 1] = '"';
			resp->body[n] = '\0';
		}
	} else {
		resp->status = 200;
		resp->body = strdup(req->body_len ? req->body : "{}");
	}
}

static void url_of(char *buf, size_t len, const char *path)
{
	snprintf(buf, len, "%s%s", base, path);
}

static const char *const large[] = {"/api/v1/big/", "/api/v1/huge", NULL};

static int setup(void **state)
{
	char err[ERRLEN];
	int rc;

	(void)state;
	signal(SIGPIPE, SIG_IGN); /* as l2x-agent's main() does */
	if (l2x_https_global_init(err, sizeof(err)) < 0 || mkdtemp(dir) == NULL)
		return -1;
	snprintf(srv_dir, sizeof(srv_dir), "%s/server", dir);
	snprintf(cli_dir, sizeof(cli_dir), "%s/client", dir);
	if (l2x_tlsid_load_or_create(srv_dir, "manager-a", &srv_id, err,
				     sizeof(err)) < 0 ||
	    l2x_tlsid_load_or_create(cli_dir, "appliance-1", &cli_id, err,
				     sizeof(err)) < 0) {
		fprintf(stderr, "identity: %s\n", err);
		return -1;
	}
	rc =
	    l2x_https_start(&(struct l2x_https_prm){.addr = "127.0.0.1",
						    .cert_pem = srv_id.cert_pem,
						    .key_pem = srv_id.key_pem,
						    .threads = 4,
						    .timeout_s = 5,
						    .large_prefixes = large,
						    .large_limit = 256u << 10,
						    .handler = handler},
			    &srv, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "start: %s\n", err);
		return -1;
	}
	snprintf(base, sizeof(base), "https://127.0.0.1:%u",
		 l2x_https_port(srv));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	l2x_https_stop(srv);
	l2x_tlsid_fini(&srv_id);
	l2x_tlsid_fini(&cli_id);
	l2x_https_global_fini();
	return l2x_test_rmtree(dir);
}

/* The client with its certificate, pinning the server. */
static struct l2x_https_client client(void)
{
	return (struct l2x_https_client){.cert_path = cli_id.cert_path,
					 .key_path = cli_id.key_path,
					 .pin = srv_id.pin,
					 .timeout_ms = 10000};
}

/* ---- identities ---------------------------------------------------- */

static void test_identity_files(void **state)
{
	struct l2x_tlsid again;
	char err[ERRLEN], pin[L2X_TLSID_PIN_LEN];
	struct stat st;

	(void)state;
	assert_int_equal(stat(cli_id.key_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(cli_dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(strlen(srv_id.pin), L2X_TLSID_PIN_LEN - 1);
	assert_memory_equal(srv_id.pin, "sha256//", 8);
	assert_int_equal(l2x_tlsid_pin_check(srv_id.pin), 0);
	assert_string_not_equal(srv_id.pin, cli_id.pin);
	assert_non_null(strstr(srv_id.cert_pem, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(srv_id.key_pem, "BEGIN PRIVATE KEY"));

	/* Loaded again: the same files, the same pin. */
	assert_int_equal(l2x_tlsid_load_or_create(srv_dir, "manager-a", &again,
						  err, sizeof(err)),
			 0);
	assert_string_equal(again.pin, srv_id.pin);
	assert_string_equal(again.cert_pem, srv_id.cert_pem);
	l2x_tlsid_fini(&again);
	assert_null(again.key_pem);

	assert_int_equal(l2x_tlsid_pin_pem(srv_id.cert_pem, pin), 0);
	assert_string_equal(pin, srv_id.pin);
}

/* A certificate made by l2x_tlsid_load_or_create() (CN=srv) and its pin
 * as OpenSSL computes it, independently of GnuTLS and libsodium:
 *   openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |
 *   openssl dgst -sha256 -binary | base64 */
static const char kat_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBWTCB/6ADAgECAhBYjmRpohgFBTfPTZ60NdWXMAoGCCqGSM49BAMCMA4xDDAK\n"
    "BgNVBAMTA3NydjAeFw0yNjEyMDcxNDI0MDNaFw0zNjEyMDcxNTI0MDNaMA4xDDAK\n"
    "BgNVBAMTA3NydjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABJOlUX2dOyaOx3bX\n"
    "izZKWoCoPi+K4pdNrlnewnOt/T1osktwr5ONtF/j9IxwNWvg16K4F9tAcismw8l3\n"
    "60BBEQKjPzA9MAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeAMB0GA1UdJQQW\n"
    "MBQGCCsGAQUFBwMBBggrBgEFBQcDAjAKBggqhkjOPQQDAgNJADBGAiEA5hQMXPuN\n"
    "CPQ3/460HwHsFoqyvCe3HDBC07dqC7esU0ICIQC5gjmvxAvZgOCS7Qqy31Fx+Qdv\n"
    "OsxlSkhx2sajmayUJg==\n"
    "-----END CERTIFICATE-----\n";
static const char kat_pin[] =
    "sha256//HdM1hrcaN1Tw1VTb8wgjlB4BMBFpe2xyPe3ZkdXBKRU=";

static void test_pin_known(void **state)
{
	char pin[L2X_TLSID_PIN_LEN];

	(void)state;
	assert_int_equal(l2x_tlsid_pin_pem(kat_cert, pin), 0);
	assert_string_equal(pin, kat_pin);
	assert_int_equal(l2x_tlsid_pin_check(kat_pin), 0);
}

static void test_pin_refusals(void **state)
{
	char pin[L2X_TLSID_PIN_LEN], *two = NULL;
	static const char *const bad_pins[] = {
	    "",
	    "sha256//",
	    "sha1//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!=",
	    "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
	    "/etc/passwd",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_pins) / sizeof(bad_pins[0]); i++) {
		if (l2x_tlsid_pin_check(bad_pins[i]) != -EINVAL)
			fail_msg("case %zu: '%s' taken as a pin", i,
				 bad_pins[i]);
	}
	assert_int_equal(l2x_tlsid_pin_check(NULL), -EINVAL);

	assert_int_equal(l2x_tlsid_pin_pem("not a certificate", pin), -EINVAL);
	assert_string_equal(pin, "");
	assert_int_equal(l2x_tlsid_pin_pem(srv_id.key_pem, pin), -EINVAL);
	assert_true(asprintf(&two, "%s%s", srv_id.cert_pem, cli_id.cert_pem) >
		    0);
	assert_int_equal(l2x_tlsid_pin_pem(two, pin), -EINVAL);
	free(two);
	assert_int_equal(
	    l2x_tlsid_check_pair(srv_id.cert_pem, srv_id.key_pem, pin), 0);
	assert_string_equal(pin, srv_id.pin);
	assert_int_equal(
	    l2x_tlsid_check_pair(srv_id.cert_pem, cli_id.key_pem, pin),
	    -ENOKEY);
	assert_int_equal(
	    l2x_tlsid_check_pair(srv_id.key_pem, srv_id.key_pem, pin), -EINVAL);
	assert_int_equal(
	    l2x_tlsid_check_pair(srv_id.cert_pem, srv_id.cert_pem, pin),
	    -EBADMSG);
	assert_int_equal(
	    l2x_tlsid_pin_der((const uint8_t *)"\x30\x03\x02\x01", 4, pin),
	    -EINVAL);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* A new identity in DIR/damaged, its files then damaged case by case. */
static void test_identity_refusals(void **state)
{
	char d[128], cert[160], key[160], err[ERRLEN], *text;
	struct l2x_tlsid id;
	int rc;

	(void)state;
	snprintf(d, sizeof(d), "%s/damaged", dir);
	snprintf(cert, sizeof(cert), "%s/cert.pem", d);
	snprintf(key, sizeof(key), "%s/key.pem", d);
	assert_int_equal(
	    l2x_tlsid_load_or_create(d, "x", &id, err, sizeof(err)), 0);

	/* cert.pem cut in half. */
	text = strdup(id.cert_pem);
	l2x_tlsid_fini(&id);
	assert_non_null(text);
	text[strlen(text) / 2] = '\0';
	write_file(cert, text);
	rc = l2x_tlsid_load_or_create(d, "x", &id, err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, cert));
	assert_non_null(strstr(err, "not one valid PEM certificate"));
	assert_null(id.cert_pem);

	/* A certificate with two base64 characters changed in its DER
	 * header. */
	free(text);
	text = strdup(cli_id.cert_pem);
	assert_non_null(text);
	text[40] = text[40] == 'A' ? '!' : 'A';
	text[41] = '*';
	write_file(cert, text);
	rc = l2x_tlsid_load_or_create(d, "x", &id, err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "cert.pem"));

	/* Another identity's certificate beside this key. */
	write_file(cert, cli_id.cert_pem);
	rc = l2x_tlsid_load_or_create(d, "x", &id, err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "does not certify"));

	/* A key others can read. */
	assert_int_equal(chmod(key, 0644), 0);
	rc = l2x_tlsid_load_or_create(d, "x", &id, err, sizeof(err));
	assert_int_equal(rc, -EACCES);
	assert_non_null(strstr(err, "chmod 600"));

	/* cert.pem without key.pem: never a new key. */
	assert_int_equal(unlink(key), 0);
	rc = l2x_tlsid_load_or_create(d, "x", &id, err, sizeof(err));
	assert_int_equal(rc, -ENOENT);
	assert_non_null(strstr(err, "key.pem"));

	/* Bad names. */
	assert_int_equal(l2x_tlsid_load_or_create(d, "", &id, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(
	    l2x_tlsid_load_or_create(d, "a\nb", &id, err, sizeof(err)),
	    -EINVAL);
	free(text);
}

/* ---- calls --------------------------------------------------------- */

static void test_call(void **state)
{
	struct l2x_https_client c = client();
	char url[128], err[ERRLEN] = "", *resp = NULL;
	const char *body = "{\"name\":\"web\",\"vlan\":100}";
	unsigned before = atomic_load(&calls);
	int status;

	(void)state;
	c.bearer = "tok1.SECRETsecret";
	url_of(url, sizeof(url), "/api/v1/switches/a%2Fb?x=1&y=%20z");
	assert_int_equal(l2x_https_call(&c, "POST", url, body, &status, &resp,
					err, sizeof(err)),
			 0);
	assert_int_equal(status, 200);
	assert_string_equal(resp, body);
	free(resp);
	assert_int_equal(atomic_load(&calls), before + 1);
	assert_string_equal(seen.method, "POST");
	assert_string_equal(seen.path, "/api/v1/switches/a%2Fb");
	assert_string_equal(seen.query, "x=1&y=%20z");
	assert_string_equal(seen.body, body);
	assert_int_equal(seen.body_len, strlen(body));
	assert_true(seen.has_bearer);
	assert_string_equal(seen.bearer, "tok1.SECRETsecret");
	assert_true(seen.has_pin);
	assert_string_equal(seen.client_pin, cli_id.pin);
	assert_string_equal(seen.remote_addr, "127.0.0.1");

	/* GET, no body, no query, no bearer; a handler that sets no body. */
	c.bearer = NULL;
	url_of(url, sizeof(url), "/empty");
	assert_int_equal(l2x_https_call(&c, "GET", url, NULL, &status, &resp,
					err, sizeof(err)),
			 0);
	assert_int_equal(status, 200);
	assert_string_equal(resp, "");
	free(resp);
	assert_string_equal(seen.method, "GET");
	assert_string_equal(seen.query, "");
	assert_int_equal(seen.body_len, 0);
	assert_false(seen.has_bearer);

	/* DELETE; a status of the handler's; one that is no status. */
	url_of(url, sizeof(url), "/status/404");
	assert_int_equal(l2x_https_call(&c, "DELETE", url, NULL, &status, NULL,
					err, sizeof(err)),
			 0);
	assert_int_equal(status, 404);
	assert_string_equal(seen.method, "DELETE");
	url_of(url, sizeof(url), "/status/42");
	assert_int_equal(l2x_https_call(&c, "PUT", url, "{}", &status, NULL,
					err, sizeof(err)),
			 0);
	assert_int_equal(status, 500);
}

static void test_wrong_pin(void **state)
{
	struct l2x_https_client c = client();
	char url[128], err[ERRLEN] = "", *resp = NULL;
	unsigned before = atomic_load(&calls);
	int status = -1;

	(void)state;
	c.pin = cli_id.pin; /* not the server's */
	url_of(url, sizeof(url), "/peer/hello");
	assert_int_equal(l2x_https_call(&c, "GET", url, NULL, &status, &resp,
					err, sizeof(err)),
			 -EKEYREJECTED);
	assert_null(resp);
	assert_int_equal(status, 0);
	assert_non_null(strstr(err, "certificate of"));
	assert_non_null(strstr(err, "changed"));
	assert_non_null(strstr(err, url));
	assert_non_null(strstr(err, cli_id.pin));
	assert_int_equal(atomic_load(&calls), before);

	/* Not a pin at all: refused before any connection. */
	c.pin = "/tmp/somefile";
	assert_int_equal(l2x_https_call(&c, "GET", url, NULL, &status, &resp,
					err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(atomic_load(&calls), before);
}

static void test_no_client_cert(void **state)
{
	struct l2x_https_client c = client();
	char url[128], err[ERRLEN] = "";
	int status;

	(void)state;
	c.cert_path = c.key_path = NULL;
	url_of(url, sizeof(url), "/api/v1/switches");
	assert_int_equal(l2x_https_call(&c, "GET", url, NULL, &status, NULL,
					err, sizeof(err)),
			 0);
	assert_int_equal(status, 200);
	assert_false(seen.has_pin);

	/* First contact: no pin either. */
	c.pin = NULL;
	assert_int_equal(l2x_https_call(&c, "GET", url, NULL, &status, NULL,
					err, sizeof(err)),
			 0);
	assert_int_equal(status, 200);

	/* A certificate without its key. */
	c.cert_path = cli_id.cert_path;
	assert_int_equal(l2x_https_call(&c, "GET", url, NULL, &status, NULL,
					err, sizeof(err)),
			 -EINVAL);
}

static char *filled(size_t n)
{
	char *p = malloc(n + 1);

	assert_non_null(p);
	memset(p, 'x', n);
	p[0] = '"';
	p[n - 1] = '"';
	p[n] = '\0';
	return p;
}

static void test_body_limit(void **state)
{
	struct l2x_https_client c = client();
	char url[128], err[ERRLEN] = "", *resp = NULL;
	char *big = filled(L2X_HTTPS_BODY_LIMIT + 1);
	char *max = filled(L2X_HTTPS_BODY_LIMIT);
	unsigned before;
	int status;

	(void)state;
	url_of(url, sizeof(url), "/api/v1/switches");
	before = atomic_load(&calls);
	assert_int_equal(l2x_https_call(&c, "POST", url, big, &status, &resp,
					err, sizeof(err)),
			 0);
	assert_int_equal(status, 413);
	assert_string_equal(resp, "{\"error\":{\"status\":413,\"message\":"
				  "\"body over 65536 bytes\"}}");
	free(resp);
	assert_int_equal(atomic_load(&calls), before);

	/* Exactly the limit is taken. */
	assert_int_equal(l2x_https_call(&c, "POST", url, max, &status, NULL,
					err, sizeof(err)),
			 0);
	assert_int_equal(status, 200);
	assert_int_equal(seen.body_len, L2X_HTTPS_BODY_LIMIT);
	assert_int_equal(atomic_load(&calls), before + 1);
	free(big);
	free(max);

	/* Under the large prefix: up to large_limit, not one byte more. */
	big = filled((256u << 10) + 1);
	max = filled(256u << 10);
	url_of(url, sizeof(url), "/api/v1/big/status");
	assert_int_equal(l2x_https_call(&c, "PUT", url, max, &status, NULL, err,
					sizeof(err)),
			 0);
	assert_int_equal(status, 200);
	assert_int_equal(seen.body_len, 256u << 10);
	assert_int_equal(l2x_https_call(&c, "PUT", url, big, &status, &resp,
					err, sizeof(err)),
			 0);
	assert_int_equal(status, 413);
	assert_non_null(strstr(resp, "body over 262144 bytes"));
	free(resp);
	/* The second prefix of the list too. */
	url_of(url, sizeof(url), "/api/v1/huge");
	assert_int_equal(l2x_https_call(&c, "PUT", url, max, &status, NULL, err,
					sizeof(err)),
			 0);
	assert_int_equal(status, 200);
	assert_int_equal(seen.body_len, 256u << 10);
	/* A look-alike path is not under it. */
	url_of(url, sizeof(url), "/api/v1/bigger");
	assert_int_equal(l2x_https_call(&c, "PUT", url, max, &status, NULL, err,
					sizeof(err)),
			 0);
	assert_int_equal(status, 413);
	free(big);
	free(max);
}

/* ---- raw bytes ------------------------------------------------------ */

static int tcp_connect(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(l2x_https_port(srv))};
	struct timeval tv = {.tv_sec = 5};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
	assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* TLS by hand (no checks at all), send req in pieces, read the answer
 * until the server closes or 5 s pass; returns its length in out. */
static size_t tls_exchange(const char *const *pieces, size_t npieces,
			   const size_t *lens, char *out, size_t outlen)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	size_t got = 0, i, off;
	ssize_t r;
	int fd = tcp_connect(), rc;

	assert_int_equal(gnutls_certificate_allocate_credentials(&cred), 0);
	assert_int_equal(gnutls_init(&s, GNUTLS_CLIENT), 0);
	assert_int_equal(gnutls_set_default_priority(s), 0);
	assert_int_equal(
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred), 0);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, 5000);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	assert_int_equal(rc, 0);
	for (i = 0; i < npieces; i++)
		for (off = 0; off < lens[i]; off += (size_t)r) {
			r = gnutls_record_send(s, pieces[i] + off,
					       lens[i] - off);
			if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
				r = 0;
				continue;
			}
			if (r < 0)
				goto read; /* the server stopped reading */
		}
read:
	while (got + 1 < outlen) {
		r = gnutls_record_recv(s, out + got, outlen - 1 - got);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		out[got] = '\0';
		if (strstr(out, "\r\n\r\n") != NULL && strchr(out, '}') != NULL)
			break;
	}
	out[got] = '\0';
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
	close(fd);
	return got;
}

static void test_chunked(void **state)
{
	static const char head[] = "POST /chunked HTTP/1.1\r\nHost: t\r\n"
				   "Transfer-Encoding: chunked\r\n\r\n";
	char chunk[8192 + 16], out[4096];
	const char *pieces[16];
	size_t lens[16], n = 0, i;
	unsigned before = atomic_load(&calls);

	(void)state;
	/* Three chunks within the limit: assembled for the handler. */
	pieces[n] = head, lens[n++] = sizeof(head) - 1;
	pieces[n] = "3\r\n{\"a\r\n", lens[n++] = 8;
	pieces[n] = "2\r\n\":\r\n", lens[n++] = 7;
	pieces[n] = "2\r\n1}\r\n0\r\n\r\n", lens[n++] = 12;
	tls_exchange(pieces, n, lens, out, sizeof(out));
	assert_non_null(strstr(out, "HTTP/1.1 200"));
	assert_non_null(strstr(out, "{\"a\":1}"));
	assert_string_equal(seen.body, "{\"a\":1}");
	assert_int_equal(atomic_load(&calls), before + 1);

	/* Eleven 8 KiB chunks: over the limit, dropped, then 413. */
	memcpy(chunk, "2000\r\n", 6);
	memset(chunk + 6, 'z', 8192);
	memcpy(chunk + 6 + 8192, "\r\n", 2);
	n = 0;
	pieces[n] = head, lens[n++] = sizeof(head) - 1;
	for (i = 0; i < 11; i++)
		pieces[n] = chunk, lens[n++] = 8192 + 8;
	pieces[n] = "0\r\n\r\n", lens[n++] = 5;
	tls_exchange(pieces, n, lens, out, sizeof(out));
	assert_non_null(strstr(out, "HTTP/1.1 413"));
	assert_non_null(strstr(out, "application/json"));
	assert_non_null(strstr(out, "{\"error\":{\"status\":413,\"message\":"
				    "\"body over 65536 bytes\"}}"));
	assert_int_equal(atomic_load(&calls), before + 1);
}

/* A Content-Length over L2X_HTTPS_DISCARD_MAX: refused before any body
 * is read. */
static void test_declared_huge(void **state)
{
	static const char head[] = "PUT /huge HTTP/1.1\r\nHost: t\r\n"
				   "Content-Length: 2000000\r\n\r\n";
	const char *pieces[1] = {head};
	size_t lens[1] = {sizeof(head) - 1};
	unsigned before = atomic_load(&calls);
	char out[4096];

	(void)state;
	tls_exchange(pieces, 1, lens, out, sizeof(out));
	assert_non_null(strstr(out, "HTTP/1.1 413"));
	assert_non_null(strstr(out, "\"body over 65536 bytes\""));
	assert_int_equal(atomic_load(&calls), before);
}

static void test_garbage(void **state)
{
	static const unsigned char hello_cut[] = {
	    0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00,
	    0x01, 0xfc, 0x03, 0x03, 0x11, 0x22}; /* ClientHello, cut */
	static const unsigned char huge_record[] = {0x16, 0x03, 0x03,
						    0xff, 0xff, 0x01};
	static const char plain[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct l2x_https_client c = client();
	const char *pieces[1];
	unsigned char noise[512];
	char url[128], err[ERRLEN] = "", buf[256];
	size_t lens[1], i;
	int fd, status;

	(void)state;
	for (i = 0; i < sizeof(noise); i++)
		noise[i] = (unsigned char)(i * 151 + 7);
	/* Noise, a cut ClientHello, a record claiming 64 KiB, plain HTTP,
	 * nothing at all: each then closed. */
	fd = tcp_connect();
	send_all(fd, noise, sizeof(noise));
	close(fd);
	fd = tcp_connect();
	send_all(fd, hello_cut, sizeof(hello_cut));
	close(fd);
	fd = tcp_connect();
	send_all(fd, huge_record, sizeof(huge_record));
	close(fd);
	fd = tcp_connect();
	send_all(fd, plain, sizeof(plain) - 1);
	(void)recv(fd, buf, sizeof(buf), 0); /* an alert, or the close */
	close(fd);
	close(tcp_connect());
	/* A handshake, then half a request, then gone. */
	pieces[0] = "POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"a";
	lens[0] = strlen(pieces[0]);
	{
		/* read nothing back: the server waits for the rest */
		gnutls_certificate_credentials_t cred;
		gnutls_session_t s;
		int rc;

		fd = tcp_connect();
		assert_int_equal(gnutls_certificate_allocate_credentials(&cred),
				 0);
		assert_int_equal(gnutls_init(&s, GNUTLS_CLIENT), 0);
		gnutls_set_default_priority(s);
		gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
		gnutls_transport_set_int(s, fd);
		do
			rc = gnutls_handshake(s);
		while (rc < 0 && !gnutls_error_is_fatal(rc));
		assert_int_equal(rc, 0);
		assert_true(gnutls_record_send(s, pieces[0], lens[0]) > 0);
		gnutls_deinit(s);
		gnutls_certificate_free_credentials(cred);
		close(fd);
	}
	/* The server still answers. */
	url_of(url, sizeof(url), "/after");
	assert_int_equal(l2x_https_call(&c, "GET", url, NULL, &status, NULL,
					err, sizeof(err)),
			 0);
	assert_int_equal(status, 200);
	assert_string_equal(seen.path, "/after");
}

/* ---- many at once --------------------------------------------------- */

struct worker {
	pthread_t th;
	int n;
	int ok;
	char err[ERRLEN];
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct l2x_https_client c = client();
	char url[128], body[64], *resp;
	int i, status;

	for (i = 0; i < NCALLS; i++) {
		snprintf(url, sizeof(url), "%s/api/v1/t%d", base, w->n);
		snprintf(body, sizeof(body), "{\"thread\":%d,\"call\":%d}",
			 w->n, i);
		resp = NULL;
		if (l2x_https_call(&c, "POST", url, body, &status, &resp,
				   w->err, sizeof(w->err)) < 0)
			return NULL;
		if (status != 200 || strcmp(resp, body) != 0) {
			snprintf(w->err, sizeof(w->err),
				 "call %d: status %d, answer %s", i, status,
				 resp);
			free(resp);
			return NULL;
		}
		free(resp);
		w->ok++;
	}
	return NULL;
}

static void test_parallel(void **state)
{
	static struct worker w[NTHREADS];
	unsigned before = atomic_load(&calls);
	int i;

	(void)state;
	for (i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){.n = i};
		assert_int_equal(pthread_create(&w[i].th, NULL, work, &w[i]),
				 0);
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(w[i].th, NULL);
	for (i = 0; i < NTHREADS; i++)
		if (w[i].ok != NCALLS)
			fail_msg("thread %d: %d of %d calls: %s", i, w[i].ok,
				 NCALLS, w[i].err);
	assert_int_equal(atomic_load(&calls), before + NTHREADS * NCALLS);
}

/* ---- the client's failures ------------------------------------------ */

/* A TCP socket on 127.0.0.1 with a free port; listening or not. */
static int local_socket(int do_listen, unsigned *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t sl = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
	*port = ntohs(a.sin_port);
	if (do_listen)
		assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static void test_client_failures(void **state)
{
	struct l2x_https_client c = client();
	char url[128], err[ERRLEN] = "", *resp = (char *)"x";
	unsigned port;
	int fd, status;

	(void)state;
	/* Refused: a bound port nobody listens on. */
	fd = local_socket(0, &port);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/x", port);
	assert_int_equal(l2x_https_call(&c, "GET", url, NULL, &status, &resp,
					err, sizeof(err)),
			 -ECONNREFUSED);
	assert_null(resp);
	assert_non_null(strstr(err, url));
	assert_non_null(strstr(err, "refused"));
	close(fd);

	/* Timeout: a listener that never accepts (the kernel completes the
	 * TCP handshake; TLS then waits). */
	fd = local_socket(1, &port);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/x", port);
	c.timeout_ms = 300;
	assert_int_equal(l2x_https_call(&c, "GET", url, NULL, &status, NULL,
					err, sizeof(err)),
			 -ETIMEDOUT);
	assert_non_null(strstr(err, url));
	assert_non_null(strstr(err, "300 ms"));
	close(fd);
	c.timeout_ms = 10000;

	/* An answer over 1 MiB. */
	url_of(url, sizeof(url), "/big");
	assert_int_equal(l2x_https_call(&c, "GET", url, NULL, &status, &resp,
					err, sizeof(err)),
			 -EFBIG);
	assert_null(resp);
	assert_non_null(strstr(err, url));

	/* Not https, not a method, a bearer with a line break. */
	assert_int_equal(l2x_https_call(&c, "GET", "http://127.0.0.1/", NULL,
					&status, NULL, err, sizeof(err)),
			 -EINVAL);
	url_of(url, sizeof(url), "/x");
	assert_int_equal(l2x_https_call(&c, "get me", url, NULL, &status, NULL,
					err, sizeof(err)),
			 -EINVAL);
	c.bearer = "a\r\nX-Evil: 1";
	assert_int_equal(l2x_https_call(&c, "GET", url, NULL, &status, NULL,
					err, sizeof(err)),
			 -EINVAL);
}

static void test_start_failures(void **state)
{
	struct l2x_https_prm p = {.addr = "127.0.0.1",
				  .port = l2x_https_port(srv),
				  .cert_pem = srv_id.cert_pem,
				  .key_pem = srv_id.key_pem,
				  .handler = handler};
	struct l2x_https *s = (struct l2x_https *)1;
	char err[ERRLEN] = "";

	(void)state;
	/* The port of the running server. */
	assert_int_equal(l2x_https_start(&p, &s, err, sizeof(err)),
			 -EADDRINUSE);
	assert_null(s);
	assert_non_null(strstr(err, "127.0.0.1"));

	p.port = 0;
	p.addr = "localhost";
	assert_int_equal(l2x_https_start(&p, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'localhost'"));

	p.addr = "::1";
	p.cert_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n"
		     "-----END CERTIFICATE-----\n";
	assert_int_equal(l2x_https_start(&p, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(err, "not one valid PEM certificate"));
	p.cert_pem = cli_id.cert_pem; /* not for the server's key */
	assert_int_equal(l2x_https_start(&p, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not for this key"));
	p.cert_pem = srv_id.cert_pem;
	p.key_pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n"
		    "-----END PRIVATE KEY-----\n";
	assert_int_equal(l2x_https_start(&p, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a valid"));
	p.key_pem = srv_id.key_pem;

	/* IPv6 loopback works (when the host has it). */
	if (l2x_https_start(&p, &s, err, sizeof(err)) == 0) {
		struct l2x_https_client c = client();
		char url[128];
		int status;

		snprintf(url, sizeof(url), "https://[::1]:%u/v6",
			 l2x_https_port(s));
		assert_int_equal(l2x_https_call(&c, "GET", url, NULL, &status,
						NULL, err, sizeof(err)),
				 0);
		assert_int_equal(status, 200);
		assert_string_equal(seen.remote_addr, "::1");
		l2x_https_stop(s);
	} else {
		print_message("      (IPv6 case skipped: %s)\n", err);
	}
	l2x_https_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_identity_files),
	    cmocka_unit_test(test_pin_known),
	    cmocka_unit_test(test_pin_refusals),
	    cmocka_unit_test(test_identity_refusals),
	    cmocka_unit_test(test_call),
	    cmocka_unit_test(test_wrong_pin),
	    cmocka_unit_test(test_no_client_cert),
	    cmocka_unit_test(test_body_limit),
	    cmocka_unit_test(test_chunked),
	    cmocka_unit_test(test_declared_huge),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_parallel),
	    cmocka_unit_test(test_client_failures),
	    cmocka_unit_test(test_start_failures),
	};

	return cmocka_run_group_tests_name("https", tests, setup, teardown);
}
