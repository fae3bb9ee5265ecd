/* SPDX-License-Identifier: MIT */
/*
 * etcd.c - a client of etcd v3's JSON gateway (control/etcd.h).
 *
 * One curl easy handle per client, reused for every request so that its
 * connection stays open (a request to a local etcd is then a fraction of
 * a millisecond of HTTP, not a TCP handshake). Requests and answers carry
 * documents, PSKs among them: their texts are wiped before they are
 * freed. jansson's own copies (the json_t strings) are freed unwiped, as
 * everywhere else in l2x-agent.
 */
#include "control/errf.h"
#include "control/etcd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#define EP_MAX 16
#define EP_LEN 256
#define CONNECT_MS 1000u
#define B64 sodium_base64_VARIANT_ORIGINAL

/* The answer being received. */
struct sink {
	char *p;
	size_t len, cap;
	bool too_big;
};

struct l2x_etcd {
	CURL *h;
	struct curl_slist *hdrs;
	char *ep[EP_MAX]; /* endpoint URLs, no trailing slash */
	size_t n, cur;	  /* cur: the endpoint the next call tries first */
	struct sink in;
	char curlerr[CURL_ERROR_SIZE];
	char why[256];
};

/* What to do after a failed attempt on one endpoint. */
enum next {
	STOP,	 /* a definitive answer: return it */
	NEXT,	 /* never sent: try the next endpoint */
	MOVE_ON, /* sent, no definitive answer: a read tries the next
		  * endpoint; a write returns the error, and the next call
		  * starts at the next endpoint */
};

static int fail(struct l2x_etcd *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct l2x_etcd *c, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return rc;
}

const char *l2x_etcd_why(const struct l2x_etcd *c)
{
	return c->why;
}

/* --- the JSON mapping ------------------------------------------------- */

json_t *l2x_etcd_bytes(const void *p, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n, B64);
	char *b = malloc(len);
	json_t *v;

	if (b == NULL)
		return NULL;
	sodium_bin2base64(b, len, p, n, B64);
	v = json_string(b);
	sodium_memzero(b, len);
	free(b);
	return v;
}

json_t *l2x_etcd_i64(int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRId64, v);
	return json_string(s);
}

int l2x_etcd_bytes_of(const json_t *obj, const char *field, char **p, size_t *n)
{
	const json_t *v = json_object_get(obj, field);
	const char *s, *end = NULL;
	size_t slen, max;
	char *b;

	*p = NULL;
	*n = 0;
	if (v != NULL && !json_is_string(v))
		return -EIO;
	s = v != NULL ? json_string_value(v) : "";
	slen = v != NULL ? json_string_length(v) : 0;
	max = slen / 4 * 3 + 3;
	b = malloc(max + 1);
	if (b == NULL)
		return -ENOMEM;
	if (slen > 0 && (sodium_base642bin((unsigned char *)b, max, s, slen,
					   NULL, n, &end, B64) != 0 ||
			 end != s + slen)) {
		sodium_memzero(b, max + 1);
		free(b);
		*n = 0;
		return -EIO;
	}
	b[*n] = '\0';
	*p = b;
	return 0;
}

int l2x_etcd_i64_of(const json_t *obj, const char *field, int64_t *v)
{
	const json_t *j = json_object_get(obj, field);
	const char *s;
	char *end;

	*v = 0;
	if (j == NULL)
		return 0;
	if (json_is_integer(j)) {
		*v = json_integer_value(j);
		return 0;
	}
	if (!json_is_string(j))
		return -EIO;
	s = json_string_value(j);
	/* digits, an optional '-' first: no space, no '+', no "0x" */
	if (!((s[0] >= '0' && s[0] <= '9') ||
	      (s[0] == '-' && s[1] >= '0' && s[1] <= '9')))
		return -EIO;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' ||
	    (size_t)(end - s) != json_string_length(j)) {
		*v = 0;
		return -EIO;
	}
	return 0;
}

int l2x_etcd_bool_of(const json_t *obj, const char *field, bool *v)
{
	const json_t *j = json_object_get(obj, field);

	*v = false;
	if (j == NULL)
		return 0;
	if (!json_is_boolean(j))
		return -EIO;
	*v = json_is_true(j);
	return 0;
}

int l2x_etcd_rev_of(const json_t *ans, uint64_t *rev)
{
	const json_t *h = json_object_get(ans, "header");
	int64_t r = 0;

	*rev = 0;
	if (h == NULL && json_is_object(json_object_get(ans, "result")))
		h = json_object_get(json_object_get(ans, "result"), "header");
	if (!json_is_object(h) || l2x_etcd_i64_of(h, "revision", &r) < 0 ||
	    r < 0)
		return -EIO;
	*rev = (uint64_t)r;
	return 0;
}

/* --- HTTP --------------------------------------------------------------- */

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud)
{
	struct sink *k = ud;
	size_t n = size * nmemb;

	if (n > L2X_ETCD_ANSWER_MAX - k->len) {
		k->too_big = true;
		return 0; /* curl stops: CURLE_WRITE_ERROR */
	}
	if (k->len + n + 1 > k->cap) {
		size_t cap = k->cap ? k->cap : 4096;
		char *p;

		while (cap < k->len + n + 1)
			cap *= 2;
		/* not realloc: the old block is wiped before it is freed */
		p = malloc(cap);
		if (p == NULL)
			return 0;
		if (k->len > 0)
			memcpy(p, k->p, k->len);
		if (k->p != NULL) {
			sodium_memzero(k->p, k->cap);
			free(k->p);
		}
		k->p = p;
		k->cap = cap;
	}
	memcpy(k->p + k->len, data, n);
	k->len += n;
	k->p[k->len] = '\0';
	return n;
}

/* An etcd message, fit for a sentence: printable, bounded. */
static void clean(char *out, size_t len, const char *msg)
{
	size_t i;

	for (i = 0; i + 1 < len && msg != NULL && msg[i] != '\0'; i++)
		out[i] = msg[i] >= 0x20 && msg[i] < 0x7f ? msg[i] : '?';
	out[i] = '\0';
}

/* A gRPC status (the gateway's "code") as -errno. */
static int grpc_errno(int64_t code, const char *msg)
{
	switch (code) {
	case 3: /* INVALID_ARGUMENT */
		if (strstr(msg, "request is too large") != NULL)
			return -EMSGSIZE;
		if (strstr(msg, "too many operations") != NULL)
			return -E2BIG;
		return -EINVAL;
	case 4: /* DEADLINE_EXCEEDED */
		return -ETIMEDOUT;
	case 5: /* NOT_FOUND */
		return -ENOENT;
	case 7:	 /* PERMISSION_DENIED */
	case 16: /* UNAUTHENTICATED */
		return -EACCES;
	case 8: /* RESOURCE_EXHAUSTED: etcd's space quota */
		return -ENOSPC;
	default: /* UNAVAILABLE (no leader, timed out), ... */
		return -EIO;
	}
}

/* The error an answer carries: unary calls answer {"error": "...",
 * "code": N, "message": "..."} with an HTTP error status; stream calls
 * (keepalive) may answer 200 with {"error": {"grpc_code": N, "message":
 * "..."}}. 0 when there is none. */
static int answer_error(struct l2x_etcd *c, size_t ep, const json_t *ans,
			long http, enum next *nx)
{
	const json_t *e = json_object_get(ans, "error");
	const json_t *src = json_is_object(e) ? e : ans;
	const char *cf = json_is_object(e) ? "grpc_code" : "code";
	int64_t code = -1;
	char msg[128];
	int rc;

	if (e == NULL && http == 200)
		return 0;
	if (json_object_get(src, cf) == NULL ||
	    l2x_etcd_i64_of(src, cf, &code) < 0)
		code = -1;
	clean(msg, sizeof(msg),
	      json_string_value(json_object_get(src, "message")));
	*nx = MOVE_ON;
	if (code < 0)
		return fail(c, http == 404 ? -EPROTO : -EIO,
			    "etcd %s: HTTP %ld, not an etcd v3 JSON gateway "
			    "(etcd 3.4 or later) answer",
			    c->ep[ep], http);
	rc = grpc_errno(code, msg);
	if (code != 14) /* UNAVAILABLE (no leader...): another may answer */
		*nx = STOP;
	return fail(c, rc, "etcd %s: %s", c->ep[ep],
		    msg[0] ? msg : "an error without a message");
}

/* A transfer that failed in curl: was the request sent at all? */
static int transport(struct l2x_etcd *c, size_t ep, CURLcode cc, enum next *nx)
{
	const char *what = c->curlerr[0] ? c->curlerr : curl_easy_strerror(cc);
	long sent = 0;

	/* bytes of request sent by this transfer (0 on a reused connection
	 * too, until it sends: unlike the connect time) */
	curl_easy_getinfo(c->h, CURLINFO_REQUEST_SIZE, &sent);
	*nx = NEXT;
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
		return fail(c, -ECONNREFUSED, "etcd %s: %s", c->ep[ep], what);
	case CURLE_PEER_FAILED_VERIFICATION:
		return fail(c, -EACCES, "etcd %s: %s", c->ep[ep], what);
	case CURLE_OPERATION_TIMEDOUT:
		if (sent == 0) /* timed out connecting */
			return fail(c, -ECONNREFUSED, "etcd %s: %s", c->ep[ep],
				    what);
		*nx = MOVE_ON;
		return fail(c, -ETIMEDOUT, "etcd %s: no answer: %s", c->ep[ep],
			    what);
	default:
		*nx = MOVE_ON;
		if (c->in.too_big)
			return fail(c, -EIO,
				    "etcd %s: an answer larger than %u bytes",
				    c->ep[ep], L2X_ETCD_ANSWER_MAX);
		return fail(c, cc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO,
			    "etcd %s: %s", c->ep[ep], what);
	}
}

/* One attempt on endpoint ep. */
static int once(struct l2x_etcd *c, size_t ep, const char *path,
		const char *body, size_t blen, json_t **ans, enum next *nx)
{
	char url[EP_LEN + 64];
	json_error_t jerr;
	long http = 0;
	json_t *v;
	CURLcode cc;
	int rc;

	snprintf(url, sizeof(url), "%s%s", c->ep[ep], path);
	if (c->in.p != NULL)
		sodium_memzero(c->in.p, c->in.len);
	c->in.len = 0;
	c->in.too_big = false;
	c->curlerr[0] = '\0';
	cc = curl_easy_setopt(c->h, CURLOPT_URL, url);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE,
				      (curl_off_t)blen);
	if (cc == CURLE_OK)
		cc = curl_easy_perform(c->h);
	if (cc != CURLE_OK)
		return transport(c, ep, cc, nx);
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &http);
	v = json_loadb(c->in.p != NULL ? c->in.p : "", c->in.len, 0, &jerr);
	if (!json_is_object(v)) {
		json_decref(v);
		*nx = MOVE_ON;
		return fail(c, http == 404 ? -EPROTO : -EIO,
			    "etcd %s%s: HTTP %ld, an answer that is not a JSON "
			    "object",
			    c->ep[ep], path, http);
	}
	rc = answer_error(c, ep, v, http, nx);
	if (rc < 0) {
		json_decref(v);
		return rc;
	}
	*ans = v;
	return 0;
}

int l2x_etcd_call(struct l2x_etcd *c, const char *path, const json_t *req,
		  enum l2x_etcd_kind kind, json_t **ans)
{
	char *body;
	size_t blen;
	int rc = -ECONNREFUSED;

	*ans = NULL;
	c->why[0] = '\0';
	body = json_dumps(req, JSON_COMPACT);
	if (body == NULL)
		return fail(c, -ENOMEM, "etcd: out of memory");
	blen = strlen(body);
	for (size_t i = 0; i < c->n; i++) {
		size_t ep = (c->cur + i) % c->n;
		enum next nx;

		rc = once(c, ep, path, body, blen, ans, &nx);
		if (rc == 0 || nx == STOP) {
			c->cur = ep;
			break;
		}
		if (nx == MOVE_ON && kind == L2X_ETCD_WRITE) {
			c->cur = (ep + 1) % c->n;
			break;
		}
	}
	if (c->in.p != NULL)
		sodium_memzero(c->in.p, c->in.len);
	sodium_memzero(body, blen);
	free(body);
	return rc;
}

/* --- create and destroy ------------------------------------------------ */

/* One endpoint: http(s)://host[:port], an optional "/" after; no user,
 * path, query or fragment. */
static int add_endpoint(struct l2x_etcd *c, const char *p, size_t len,
			char *err, size_t errlen)
{
	size_t skip = strncmp(p, "http://", 7) == 0    ? 7
		      : strncmp(p, "https://", 8) == 0 ? 8
						       : 0;

	if (len > 0 && p[len - 1] == '/')
		len--;
	if (skip == 0 || len <= skip || len >= EP_LEN)
		return l2x_errf(-EINVAL, err, errlen,
				"store: etcd endpoint '%.*s' is not "
				"http(s)://HOST:PORT",
				(int)(len < 80 ? len : 80), p);
	for (size_t i = skip; i < len; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f || strchr("/?#@,", p[i]))
			return l2x_errf(-EINVAL, err, errlen,
					"store: etcd endpoint '%.*s' is not "
					"http(s)://HOST:PORT",
					(int)(len < 80 ? len : 80), p);
	if (c->n == EP_MAX)
		return l2x_errf(-EINVAL, err, errlen,
				"store: more than %d etcd endpoints", EP_MAX);
	c->ep[c->n] = strndup(p, len);
	if (c->ep[c->n] == NULL)
		return -ENOMEM;
	c->n++;
	return 0;
}

static int parse_endpoints(struct l2x_etcd *c, const char *list, char *err,
			   size_t errlen)
{
	const char *p = list;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int rc = add_endpoint(c, p, len, err, errlen);

		if (rc < 0)
			return rc;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

static CURLcode setup(struct l2x_etcd *c, const struct l2x_etcd_prm *prm)
{
	unsigned ms = prm->timeout_ms ? prm->timeout_ms : L2X_ETCD_TIMEOUT_MS;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                          \
	do {                                                   \
		if (rc == CURLE_OK)                            \
			rc = curl_easy_setopt(c->h, opt, val); \
	} while (0)
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_PROXY, ""); /* never a proxy from the environment */
	SET(CURLOPT_ERRORBUFFER, c->curlerr);
	SET(CURLOPT_TIMEOUT_MS, (long)ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(ms < CONNECT_MS ? ms : CONNECT_MS));
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_HTTPHEADER, c->hdrs);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, &c->in);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)L2X_ETCD_ANSWER_MAX);
	if (prm->cacert != NULL)
		SET(CURLOPT_CAINFO, prm->cacert);
#undef SET
	return rc;
}

int l2x_etcd_create(const struct l2x_etcd_prm *prm, struct l2x_etcd **out,
		    char *err, size_t errlen)
{
	struct l2x_etcd *c;
	struct curl_slist *t;
	int rc;

	*out = NULL;
	if (prm == NULL || prm->endpoints == NULL)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	rc = parse_endpoints(c, prm->endpoints, err, errlen);
	if (rc < 0)
		goto err_free;
	rc = -ENOMEM;
	c->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	/* No "Expect: 100-continue" on large bodies: a round trip saved. */
	t = c->hdrs ? curl_slist_append(c->hdrs, "Expect:") : NULL;
	if (t == NULL)
		goto err_free;
	c->hdrs = t;
	c->h = curl_easy_init();
	if (c->h == NULL)
		goto err_free;
	if (setup(c, prm) != CURLE_OK) {
		rc = l2x_errf(-EIO, err, errlen,
			      "store: libcurl refuses an option (http, https, "
			      "CA file)");
		goto err_free;
	}
	*out = c;
	return 0;

err_free:
	l2x_etcd_destroy(c);
	return rc;
}

void l2x_etcd_destroy(struct l2x_etcd *c)
{
	if (c == NULL)
		return;
	if (c->h != NULL)
		curl_easy_cleanup(c->h);
	curl_slist_free_all(c->hdrs);
	for (size_t i = 0; i < c->n; i++)
		free(c->ep[i]);
	if (c->in.p != NULL) {
		sodium_memzero(c->in.p, c->in.cap);
		free(c->in.p);
	}
	free(c);
}
