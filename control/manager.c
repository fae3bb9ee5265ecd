/* SPDX-License-Identifier: MIT */
/*
 * manager.c - the manager role's frame (mgr.h): start and stop, the
 * store's documents as jansson values, events, who may call what, and
 * the appliances' observations.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "control/apireq.h"
#include "control/mgr.h"

/* ---- answers --------------------------------------------------------------
 */

void l2x_mgr_reply(struct l2x_http_resp *r, int status, json_t *body)
{
	r->status = status;
	r->body = NULL;
	if (body != NULL) {
		r->body = json_dumps(body, JSON_COMPACT);
		json_decref(body);
	}
}

void l2x_mgr_error(struct l2x_http_resp *r, int status, const char *field,
		   const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	json_t *e;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e = json_pack("{s:i,s:s}", "status", status, "message", msg);
	if (field != NULL && field[0] != '\0')
		json_object_set_new(e, "field", json_string(field));
	l2x_mgr_reply(r, status, json_pack("{s:o}", "error", e));
}

void l2x_mgr_store_error(struct l2x_http_resp *r, int rc, const char *what)
{
	if (rc == -ENOENT)
		l2x_mgr_error(r, 404, NULL, "%s does not exist", what);
	else if (rc == -EEXIST)
		l2x_mgr_error(r, 409, NULL, "%s already exists", what);
	else if (rc == -ESTALE)
		l2x_mgr_error(r, 409, NULL,
			      "%s changed meanwhile; read it and try again",
			      what);
	else if (rc == -EPERM) /* fenced: another manager leads now */
		l2x_mgr_error(r, 503, NULL,
			      "%s: this manager no longer leads its site; "
			      "retry with the leader",
			      what);
	else
		l2x_mgr_error(r, 500, NULL, "store: %s: %s", what,
			      strerror(-rc));
}

/* ---- documents ------------------------------------------------------------
 */

json_t *l2x_mgr_load(struct l2x_mgr *m, const char *kind, const char *id,
		     uint64_t *rev)
{
	char *text = NULL;
	uint64_t r = 0;
	json_t *doc;

	if (l2x_store_get(m->store, kind, id, &text, &r) != 0)
		return NULL;
	doc = json_loads(text, 0, NULL);
	free(text);
	if (rev != NULL)
		*rev = r;
	return doc;
}

static int load_one(void *arg, const char *id, const char *json, uint64_t rev)
{
	json_t *doc = json_loads(json, 0, NULL);

	(void)id;
	(void)rev;
	if (doc != NULL)
		json_array_append_new(arg, doc);
	return 0;
}

json_t *l2x_mgr_load_all(struct l2x_mgr *m, const char *kind)
{
	json_t *all = json_array();

	l2x_store_list(m->store, kind, load_one, all);
	return all;
}

json_t *l2x_mgr_view(struct l2x_mgr *m, enum l2x_mgr_kind kind)
{
	json_t *a = l2x_docview_get(m->view[kind], NULL);

	return a != NULL ? a : json_array();
}

int l2x_mgr_save(struct l2x_mgr *m, const char *kind, const char *id,
		 json_t *doc, uint64_t expect_rev)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (text == NULL)
		return -ENOMEM;
	rc = l2x_store_put1(m->store, kind, id, text, expect_rev, NULL);
	sodium_memzero(text, strlen(text)); /* may hold a pair's PSK */
	free(text);
	if (rc == -EPERM)
		l2x_mgr_fenced(m);
	return rc;
}

int l2x_mgr_delete(struct l2x_mgr *m, const char *kind, const char *id)
{
	int rc = l2x_store_del1(m->store, kind, id, 0, NULL);

	if (rc == -EPERM)
		l2x_mgr_fenced(m);
	return rc;
}

void l2x_mgr_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

double l2x_mgr_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Events: "event"/<20-digit sequence>, the oldest pruned past the cap. */
void l2x_mgr_event(struct l2x_mgr *m, const char *kind, const char *object,
		   const char *fmt, ...)
{
	struct l2x_store_txn *t;
	char msg[512], now[32], id[32], *text;
	uint64_t seq;
	va_list ap;
	json_t *ev;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l2x_mgr_now(now);
	fprintf(stderr, "l2x-agent[%s]: %s %s: %s\n", m->conf.name, kind,
		object, msg);
	ev = json_pack("{s:s,s:s,s:s,s:s}", "time", now, "kind", kind, "object",
		       object, "message", msg);
	text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	pthread_mutex_lock(&m->ev_lock);
	if (text != NULL && l2x_store_begin(m->store, &t) == 0) {
		if (l2x_store_next_id(t, "event", &seq) == 0) {
			snprintf(id, sizeof(id), "%020llu",
				 (unsigned long long)seq);
			l2x_store_put(t, "event", id, text, L2X_STORE_ABSENT);
			/* The oldest goes, when it is there (a del of a
			 * missing one would fail the whole transaction). */
			snprintf(
			    id, sizeof(id), "%020llu",
			    (unsigned long long)(seq - L2X_MGR_EVENTS_MAX));
			if (seq > L2X_MGR_EVENTS_MAX &&
			    l2x_store_txn_get(t, "event", id, NULL, NULL) == 0)
				l2x_store_del(t, "event", id, 0);
		}
		if (l2x_store_commit(t) != 0)
			fprintf(stderr, "l2x-agent: event not stored\n");
	}
	pthread_mutex_unlock(&m->ev_lock);
	free(text);
}

/* ---- appliances' observations ---------------------------------------------
 */

static struct l2x_mgr_appl_rt *appl_rt(struct l2x_mgr *m, const char *name,
				       bool add)
{
	for (unsigned i = 0; i < m->n_appl; i++)
		if (strcmp(m->appl[i].name, name) == 0)
			return &m->appl[i];
	if (!add || m->n_appl == L2X_MGR_APPL_MAX)
		return NULL;
	snprintf(m->appl[m->n_appl].name, L2X_AGENT_NAME_LEN, "%s", name);
	return &m->appl[m->n_appl++];
}

json_t *l2x_mgr_appl_status(struct l2x_mgr *m, const char *name, double *age)
{
	struct l2x_mgr_appl_rt *a;
	json_t *st = NULL;

	pthread_mutex_lock(&m->lock);
	a = appl_rt(m, name, false);
	if (a != NULL && a->status != NULL) {
		st = json_incref(a->status);
		if (age != NULL)
			*age = l2x_mgr_mono() - a->last_seen;
	}
	pthread_mutex_unlock(&m->lock);
	return st;
}

bool l2x_mgr_appl_holds(json_t *status, const char *net)
{
	return json_object_get(json_object_get(status, "heldSet"), net) != NULL;
}

void l2x_mgr_appl_report(struct l2x_mgr *m, const char *name, json_t *status)
{
	json_t *set = json_object(), *n;
	struct l2x_mgr_appl_rt *a;
	size_t i;

	/* Before it is shared: never changed after. */
	json_array_foreach(json_object_get(status, "networks"), i,
			   n) if (json_is_string(n))
	    json_object_set(set, json_string_value(n), json_true());
	json_object_set_new(status, "heldSet", set);

	pthread_mutex_lock(&m->lock);
	a = appl_rt(m, name, true);
	if (a != NULL) {
		json_decref(a->status);
		a->status = status;
		a->last_seen = l2x_mgr_mono();
	} else {
		json_decref(status);
	}
	pthread_mutex_unlock(&m->lock);
}

/* ---- tokens -----------------------------------------------------------------
 */

static bool token_kind_ok(const char *kind)
{
	return strcmp(kind, "site") == 0 || strcmp(kind, "appliance") == 0 ||
	       strcmp(kind, "api") == 0 || strcmp(kind, "api-ro") == 0;
}

static int token_new_store(struct l2x_store *s, const char *kind, unsigned ttl,
			   char tok[L2X_MGR_TOKEN_TEXT_LEN], char expires[32])
{
	char id[L2X_APITOKEN_ID_LEN + 1], hash[L2X_APITOKEN_HASH_SIZE];
	time_t exp = 0;
	json_t *doc;
	char *text;
	int rc;

	if (!token_kind_ok(kind))
		return -EINVAL;
	rc = l2x_apitoken_generate(tok);
	if (rc == 0)
		rc = l2x_apitoken_id(tok, id);
	if (rc != 0)
		return rc;
	/* API tokens are kept as a password hash; one-time pairing and
	 * enrolment tokens as the key both sides derive from the whole
	 * token (l2x_mgr_token_key), since the holder proves it with a MAC
	 * and never sends the token (pairing.c). */
	if (strncmp(kind, "api", 3) == 0) {
		rc = l2x_apitoken_hash(tok, hash);
	} else {
		uint8_t key[L2X_MGR_KEY_LEN];

		l2x_mgr_token_key(tok, key);
		sodium_bin2hex(hash, sizeof(hash), key, sizeof(key));
		sodium_memzero(key, sizeof(key));
	}
	if (rc != 0)
		goto out;
	expires[0] = '\0';
	if (ttl > 0) {
		struct tm tm;

		exp = time(NULL) + ttl;
		gmtime_r(&exp, &tm);
		strftime(expires, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	doc = json_pack("{s:s,s:s,s:I,s:b}", "kind", kind,
			strncmp(kind, "api", 3) == 0 ? "hash" : "key", hash,
			"expires", (json_int_t)exp, "used", 0);
	sodium_memzero(hash, sizeof(hash));
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	rc = text != NULL
		 ? l2x_store_put1(s, "token", id, text, L2X_STORE_ABSENT, NULL)
		 : -ENOMEM;
	if (text != NULL)
		sodium_memzero(text, strlen(text));
	free(text);
out:
	if (rc != 0)
		sodium_memzero(tok, L2X_MGR_TOKEN_TEXT_LEN);
	return rc;
}

int l2x_mgr_token_new(struct l2x_mgr *m, const char *kind, unsigned ttl,
		      char tok[L2X_MGR_TOKEN_TEXT_LEN], char expires[32])
{
	int rc = token_new_store(m->store, kind, ttl, tok, expires);

	if (rc == 0)
		l2x_mgr_event(m, "token", kind, "a %s token was issued%s%s",
			      kind, expires[0] ? ", valid until " : "",
			      expires);
	return rc;
}

/* Look a token up and check it: 0 with *doc (the stored document), or
 * -EACCES. The sentence never says which part was wrong beyond kind and
 * expiry, which are not secrets. */
static int token_check(struct l2x_mgr *m, const char *tok, json_t **doc,
		       uint64_t *rev, char *err, size_t errlen)
{
	char id[L2X_APITOKEN_ID_LEN + 1];
	const char *hash;
	json_t *d;

	*doc = NULL;
	if (tok == NULL || l2x_apitoken_id(tok, id) != 0) {
		snprintf(err, errlen, "the token is malformed");
		return -EACCES;
	}
	d = l2x_mgr_load(m, "token", id, rev);
	hash = d != NULL ? json_string_value(json_object_get(d, "hash")) : NULL;
	if (hash == NULL || l2x_apitoken_check(m->tokcache, tok, hash) != 0) {
		json_decref(d);
		snprintf(err, errlen, "the token is not valid");
		return -EACCES;
	}
	*doc = d;
	return 0;
}

void l2x_mgr_token_key(const char *token, uint8_t key[L2X_MGR_KEY_LEN])
{
	crypto_generichash(key, L2X_MGR_KEY_LEN, (const unsigned char *)token,
			   strlen(token), NULL, 0);
}

int l2x_mgr_token_take(struct l2x_mgr *m, const char *kind,
		       const char *token_id, const char *label,
		       const char *cert, const uint8_t mac[32],
		       uint8_t key[L2X_MGR_KEY_LEN], char *err, size_t errlen)
{
	char want[65], got[65];
	const char *hex;
	uint64_t rev = 0;
	json_int_t exp;
	json_t *doc;
	size_t klen = 0;
	int rc = -EACCES;

	doc = l2x_mgr_load(m, "token", token_id, &rev);
	hex = json_string_value(json_object_get(doc, "key"));
	if (doc != NULL && json_is_true(json_object_get(doc, "used"))) {
		/* Its key is gone with its use: say so rather than "not
		 * valid", the one thing an operator needs to know. */
		snprintf(err, errlen, "the token was used already");
		goto out;
	}
	if (doc == NULL || hex == NULL ||
	    strcmp(json_string_value(json_object_get(doc, "kind")), kind) !=
		0 ||
	    sodium_hex2bin(key, L2X_MGR_KEY_LEN, hex, strlen(hex), NULL, &klen,
			   NULL) != 0 ||
	    klen != L2X_MGR_KEY_LEN) {
		snprintf(err, errlen, "the token is not valid");
		goto out;
	}
	l2x_mgr_pair_mac(key, label, cert, "", want);
	sodium_bin2hex(got, sizeof(got), mac, 32);
	exp = json_integer_value(json_object_get(doc, "expires"));
	if (sodium_memcmp(want, got, 64) != 0) {
		snprintf(err, errlen, "the token is not valid");
	} else if (exp != 0 && exp < (json_int_t)time(NULL)) {
		snprintf(err, errlen, "the token expired");
	} else {
		/* One use: compare-and-swap on the revision, so two callers
		 * racing with one token cannot both take it; the key goes. */
		json_object_set_new(doc, "used", json_true());
		json_object_del(doc, "key");
		rc = l2x_mgr_save(m, "token", token_id, doc, rev);
		if (rc == -ESTALE) {
			snprintf(err, errlen, "the token was used already");
			rc = -EACCES;
		} else if (rc != 0) {
			snprintf(err, errlen, "the token cannot be taken: %s",
				 strerror(-rc));
		}
	}
out:
	if (rc != 0)
		sodium_memzero(key, L2X_MGR_KEY_LEN);
	json_decref(doc);
	return rc;
}

int l2x_mgr_token_cli(const struct l2x_agentconf *conf, const char *kind,
		      bool read_only, unsigned ttl,
		      char tok[L2X_MGR_TOKEN_TEXT_LEN], char *err,
		      size_t errlen)
{
	struct l2x_store *s;
	char expires[32];
	const char *k = kind;
	int rc;

	if (strcmp(kind, "api") == 0) {
		k = read_only ? "api-ro" : "api";
		ttl = 0;
	} else if (strcmp(kind, "site") != 0 &&
		   strcmp(kind, "appliance") != 0) {
		snprintf(err, errlen,
			 "token: '%s' must be api, site or appliance", kind);
		return -EINVAL;
	}
	if (mkdir(conf->state_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", conf->state_dir,
			 strerror(errno));
		return -errno;
	}
	rc = l2x_store_open(conf->store, &s, err, errlen);
	if (rc != 0)
		return rc;
	rc = token_new_store(s, k, ttl, tok, expires);
	if (rc != 0)
		snprintf(err, errlen, "token: %s", strerror(-rc));
	l2x_store_close(s);
	return rc;
}

/* ---- who may call what
 * -------------------------------------------------------- */

/* A pin that belongs to the paired site. */
static bool is_site_pin(struct l2x_mgr *m, const char *pin)
{
	json_t *all = l2x_mgr_load_all(m, "sitePairing");
	bool ok = false;
	size_t i;
	json_t *p;

	json_array_foreach(all, i, p)
	{
		const char *s =
		    json_string_value(json_object_get(p, "certificatePin"));

		if (s != NULL && strcmp(s, pin) == 0)
			ok = true;
	}
	json_decref(all);
	return ok;
}

/* The enrolled appliance a pin belongs to, or false. */
static bool appl_of_pin(struct l2x_mgr *m, const char *pin,
			char name[L2X_AGENT_NAME_LEN])
{
	json_t *all = l2x_mgr_load_all(m, "appliance");
	bool ok = false;
	size_t i;
	json_t *a;

	json_array_foreach(all, i, a)
	{
		const char *s =
		    json_string_value(json_object_get(a, "certificatePin"));

		if (!ok && s != NULL && strcmp(s, pin) == 0) {
			snprintf(name, L2X_AGENT_NAME_LEN, "%s",
				 json_string_value(json_object_get(a, "name")));
			ok = true;
		}
	}
	json_decref(all);
	return ok;
}

static void appliance_calls(struct l2x_mgr *m, const struct l2x_http_req *req,
			    const char *path, struct l2x_http_resp *r)
{
	char name[L2X_AGENT_NAME_LEN];

	if (req->client_pin == NULL || !appl_of_pin(m, req->client_pin, name)) {
		bool site =
		    req->client_pin != NULL && is_site_pin(m, req->client_pin);

		l2x_mgr_error(r, site ? 403 : 401, NULL,
			      site ? "the paired site may not call an "
				     "appliance's endpoints"
				   : "no enrolled appliance has this client "
				     "certificate");
		return;
	}
	if (strcmp(path, "/appliance/desired") == 0) {
		if (strcmp(req->method, "GET") != 0) {
			l2x_mgr_error(r, 405, NULL, "use GET");
			return;
		}
		l2x_mgr_reply(r, 200, l2x_mgr_desired(m, name));
		return;
	}
	if (strcmp(path, "/appliance/status") == 0) {
		struct l2x_apireq_status *chk;
		struct l2x_apireq_err e;
		json_t *st;

		if (strcmp(req->method, "PUT") != 0) {
			l2x_mgr_error(r, 405, NULL, "use PUT");
			return;
		}
		/* Checked field by field like any body: the manager's
		 * views and the other site read it. */
		chk = calloc(1, sizeof(*chk));
		if (chk == NULL) {
			l2x_mgr_error(r, 500, NULL, "out of memory");
			return;
		}
		if (l2x_apireq_parse_status(req->body, req->body_len, chk,
					    &e) != 0) {
			free(chk);
			l2x_mgr_error(r, e.status, e.field, "%s", e.message);
			return;
		}
		free(chk);
		st = json_loadb(req->body, req->body_len, 0, NULL);
		l2x_mgr_appl_report(m, name, st);
		l2x_mgr_reply(r, 204, NULL);
		return;
	}
	l2x_mgr_error(r, 404, NULL, "no such path");
}

void l2x_mgr_handle(void *arg, const struct l2x_http_req *req,
		    struct l2x_http_resp *r)
{
	struct l2x_mgr *m = arg;
	const char *path = req->path;
	char err[256];
	json_t *tok;
	bool ro;
	int rc;

	if (strncmp(path, "/api/v1/", 8) != 0) {
		l2x_mgr_error(r, 404, NULL, "the API lives under /api/v1/");
		return;
	}
	path += 7; /* keeps the slash */
	/* A manager that does not lead answers reads of the bearer API from
	 * the shared store; everything else is the leader's (leader.c). */
	if (!l2x_mgr_leads(m) && (strcmp(req->method, "GET") != 0 ||
				  strncmp(path, "/peer/", 6) == 0 ||
				  strncmp(path, "/appliance/", 11) == 0)) {
		l2x_mgr_not_leader(m, r);
		return;
	}
	/* Agent-to-agent: a token or a pinned client certificate. */
	if (strcmp(path, "/peer/pair") == 0) {
		l2x_mgr_peer_pair(m, req, r);
		return;
	}
	if (strcmp(path, "/enroll") == 0) {
		l2x_mgr_enroll(m, req, r);
		return;
	}
	if (strncmp(path, "/peer/", 6) == 0) {
		if (req->client_pin == NULL ||
		    !is_site_pin(m, req->client_pin)) {
			char n[L2X_AGENT_NAME_LEN];
			bool appl = req->client_pin != NULL &&
				    appl_of_pin(m, req->client_pin, n);

			l2x_mgr_error(r, appl ? 403 : 401, NULL,
				      appl ? "an appliance may not call the "
					     "paired site's endpoints"
					   : "the client certificate is not "
					     "the paired site's");
			return;
		}
		l2x_mgr_peer(m, req, path, r);
		return;
	}
	if (strncmp(path, "/appliance/", 11) == 0) {
		appliance_calls(m, req, path, r);
		return;
	}
	/* People and scripts: a bearer token. */
	if (req->bearer == NULL) {
		l2x_mgr_error(r, 401, NULL,
			      "an Authorization: Bearer token is required");
		return;
	}
	/* A token not in the cache costs an Argon2id verification (64 MiB,
	 * a third of a second), but only when its ID names a stored token
	 * (a malformed token or an unknown ID fails at once); the cache runs
	 * at most L2X_APITOKEN_VERIFY_SLOTS of them at once, and cached
	 * tokens never wait for them (apitoken.h). */
	rc = token_check(m, req->bearer, &tok, NULL, err, sizeof(err));
	if (rc != 0) {
		l2x_mgr_error(r, 401, NULL, "%s", err);
		return;
	}
	ro = strcmp(json_string_value(json_object_get(tok, "kind")),
		    "api-ro") == 0;
	if (strcmp(json_string_value(json_object_get(tok, "kind")), "api") !=
		0 &&
	    !ro) {
		json_decref(tok);
		l2x_mgr_error(r, 401, NULL, "the token is not an API token");
		return;
	}
	json_decref(tok);
	if (ro && strcmp(req->method, "GET") != 0) {
		l2x_mgr_error(r, 403, NULL, "this token may only read");
		return;
	}
	if (strcmp(path, "/pairingTokens") == 0)
		l2x_mgr_api_tokens(m, req, path, r);
	else if (strncmp(path, "/sitePairings", 13) == 0)
		l2x_mgr_api_pairings(m, req, path, r);
	else
		l2x_mgr_api(m, req, path, ro, r);
}

/* ---- start and stop
 * ------------------------------------------------------------- */

/* The paths whose bodies may be large (l2x_mgr_run). */
static const char *const large[] = {"/api/v1/appliance/", "/api/v1/switches",
				    NULL};

int l2x_mgr_run(const struct l2x_agentconf *conf, volatile sig_atomic_t *stop,
		char *err, size_t errlen)
{
	struct l2x_https_prm prm;
	struct l2x_mgr *m;
	char tlsdir[L2X_AGENT_PATH_LEN + 8];
	int rc;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	m->conf = *conf;
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->ev_lock, NULL);
	pthread_mutex_init(&m->mesh_lock, NULL);
	for (unsigned i = 0; i < L2X_MGR_PAIR_LOCKS; i++)
		pthread_mutex_init(&m->pair_lock[i], NULL);
	if (mkdir(conf->state_dir, 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", conf->state_dir,
			 strerror(errno));
		goto err_free;
	}
	rc = l2x_store_open(conf->store, &m->store, err, errlen);
	if (rc != 0)
		goto err_free;
	if (l2x_docview_new(m->store, "networkExtension",
			    &m->view[L2X_MGR_EXTS]) != 0 ||
	    l2x_docview_new(m->store, "serviceMesh",
			    &m->view[L2X_MGR_MESHES]) != 0 ||
	    l2x_docview_new(m->store, "switch", &m->view[L2X_MGR_SWITCHES]) !=
		0) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto err_store;
	}
	snprintf(tlsdir, sizeof(tlsdir), "%s/tls", conf->state_dir);
	rc = l2x_tlsid_load_or_create(tlsdir, conf->name, &m->id, err, errlen);
	if (rc != 0)
		goto err_store;
	rc = l2x_mgr_site_id(m, tlsdir, err, errlen);
	if (rc != 0)
		goto err_id;
	rc =
	    l2x_apitoken_cache_create(L2X_APITOKEN_CACHE_ENTRIES, &m->tokcache);
	if (rc != 0) {
		snprintf(err, errlen, "token cache: %s", strerror(-rc));
		goto err_id;
	}
	memset(&prm, 0, sizeof(prm));
	prm.addr = conf->listen_addr;
	prm.port = conf->listen_port;
	prm.cert_pem = m->id.cert_pem;
	prm.key_pem = m->id.key_pem;
	prm.threads = conf->threads;
	/* An appliance's status names every network it holds: up to 4094 of
	 * up to 31 characters (about 140 KiB), and a switch may have a port
	 * group per VLAN id (4094 names and VLANs, up to about 400 KiB);
	 * everything else stays under the default 64 KiB. */
	prm.large_prefixes = large;
	prm.large_limit = 512u << 10;
	prm.handler = l2x_mgr_handle;
	prm.arg = m;
	rc = l2x_mgr_leader_start(m);
	if (rc != 0) {
		snprintf(err, errlen, "elector: %s", strerror(-rc));
		goto err_cache;
	}
	/* Reconcile first: what a killed manager left half-done is finished
	 * or rolled back before anyone can call. */
	if (l2x_mgr_leads(m))
		l2x_mgr_reconcile(m);
	rc = l2x_https_start(&prm, &m->srv, err, errlen);
	if (rc != 0) {
		m->stopping = true;
		l2x_mgr_leader_stop(m);
		goto err_cache;
	}
	l2x_mgr_event(m, "manager", conf->name,
		      "manager %s listening on %s (pin %s)%s", conf->manager_id,
		      conf->url, m->id.pin,
		      l2x_mgr_leads(m) ? ", leading" : ", following");
	l2x_mgr_reconcile_start(m);
	while (!*stop)
		usleep(100 * 1000);
	m->stopping = true;
	pthread_join(m->reconciler, NULL);
	l2x_mgr_leader_stop(m);
	l2x_https_stop(m->srv);
	rc = 0;
err_cache:
	l2x_apitoken_cache_destroy(m->tokcache);
err_id:
	l2x_tlsid_fini(&m->id);
err_store:
	for (unsigned i = 0; i < 3; i++)
		l2x_docview_free(m->view[i]);
	l2x_store_close(m->store);
err_free:
	for (unsigned i = 0; i < m->n_appl; i++)
		json_decref(m->appl[i].status);
	json_decref(m->remote);
	free(m);
	return rc;
}
