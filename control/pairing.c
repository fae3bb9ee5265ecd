/* SPDX-License-Identifier: MIT */
/*
 * pairing.c - trust between agents (mgr.h): one-time tokens, site pairing,
 * appliance enrolment, and the calls to the paired site.
 *
 * Site pairing (HCX's "Site Pairing"). The remote manager B issues a
 * one-time token (`l2x-agent token site` or POST /pairingTokens); the
 * operator gives it with B's URL to the local manager A (POST
 * /sitePairings). The token never travels: both managers derive a key
 * from it, key = BLAKE2b-256(token) (B keeps only that key, and only
 * until the token is used or expires). A calls B's POST /peer/pair over
 * TLS without a pin yet (first contact), presenting its own self-signed
 * certificate and sending the token's public ID, its name, URL and
 * certificate, and mac = HMAC-SHA-256(key, "l2x-pair-req" | A's
 * certificate). B checks the mac, takes the token (one use, not
 * expired), pins A's certificate and answers with its name, its
 * certificate and mac = HMAC-SHA-256(key, "l2x-pair" | A's certificate |
 * B's certificate). Only holders of the token can make either mac, so a
 * machine in the middle of the first contact can neither pose as one side
 * nor swap a certificate: relaying changes nothing, both ends pin the
 * genuine certificates, and the token (256 random bits) is not exposed to
 * a dictionary attack. A then calls B's GET /peer/hello with B's pin: the
 * TLS handshake must show the certificate B's answer named. From then on
 * every call between the managers is mutual TLS with both pins checked:
 * a certificate that changes on a paired URL is refused.
 *
 * Enrolment is the same with an appliance token and the labels
 * "l2x-enroll-req" / "l2x-enroll": the appliance agent POSTs /enroll with
 * its name, switch, certificate and mac, checks the manager's mac and
 * pins the manager's certificate. A name that is enrolled already is
 * refused (DELETE /appliances/NAME first), so a token cannot take over an
 * appliance's identity.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "control/apireq.h"
#include "control/mgr.h"

#define PEER_TIMEOUT_MS 10000L

/* mac = HMAC-SHA-256(key, label | a | b), as hex; key is the token's. */
void l2x_mgr_pair_mac(const uint8_t key[L2X_MGR_KEY_LEN], const char *label,
		      const char *a, const char *b, char hex[65])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, L2X_MGR_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)label,
				      strlen(label) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)a,
				      strlen(a) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)b,
				      strlen(b) + 1);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, 65, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
}

static int call(struct l2x_mgr *m, const char *pin, const char *method,
		const char *url, json_t *body, int *status, json_t **answer,
		char *err, size_t errlen)
{
	struct l2x_https_client c = {
	    .cert_path = m->id.cert_path,
	    .key_path = m->id.key_path,
	    .pin = pin,
	    .timeout_ms = PEER_TIMEOUT_MS,
	};
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	char *resp = NULL;
	int rc;

	*answer = NULL;
	rc = l2x_https_call(&c, method, url, text, status, &resp, err, errlen);
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	if (rc != 0)
		return rc;
	if (resp != NULL && resp[0] != '\0')
		*answer = json_loads(resp, 0, NULL);
	free(resp);
	return 0;
}

int l2x_mgr_peer_status(int status)
{
	if (status >= 400 && status < 500 && status != 401 && status != 403)
		return status;
	return 502;
}

int l2x_mgr_peer_call(struct l2x_mgr *m, const char *method, const char *path,
		      json_t *body, int *status, json_t **answer, char *err,
		      size_t errlen)
{
	json_t *all = l2x_mgr_load_all(m, "sitePairing");
	json_t *p = json_array_get(all, 0), *x;
	char url[L2X_AGENT_URL_LEN + 256];
	int rc;

	*answer = NULL;
	if (p == NULL) {
		json_decref(all);
		snprintf(err, errlen, "this site is not paired");
		return -ENOTCONN;
	}
	/* The paired site's managers: the URL it was paired at, then the
	 * others it says it has (GET /peer/status "managers", kept in
	 * "urls"). One leads; the others answer 503 (leader.c). Start with
	 * the one that answered last, move on when one does not answer or
	 * does not lead. */
	{
		json_t *urls = json_array(), *u;
		size_t n, i, j;

		json_array_append(urls, json_object_get(p, "url"));
		json_array_foreach(json_object_get(p, "urls"), i, u)
		{
			bool dup = false;

			json_array_foreach(urls, j, x) dup |= json_equal(x, u);
			if (!dup && json_is_string(u))
				json_array_append(urls, u);
		}
		n = json_array_size(urls);
		rc = -EHOSTUNREACH;
		for (i = 0; i < n; i++) {
			size_t k = (m->peer_cur + i) % n;

			json_decref(*answer);
			*answer = NULL;
			snprintf(url, sizeof(url), "%s/api/v1%s",
				 json_string_value(json_array_get(urls, k)),
				 path);
			rc = call(m,
				  json_string_value(
				      json_object_get(p, "certificatePin")),
				  method, url, body, status, answer, err,
				  errlen);
			if (rc == 0 && *status != 503) {
				m->peer_cur = k;
				break;
			}
		}
		json_decref(urls);
	}
	json_decref(all);
	return rc;
}

/* ---- POST /pairingTokens
 * ----------------------------------------------------- */

void l2x_mgr_api_tokens(struct l2x_mgr *m, const struct l2x_http_req *req,
			const char *path, struct l2x_http_resp *r)
{
	struct l2x_apireq_err e;
	struct l2x_apireq_pairing_token q;
	char tok[L2X_MGR_TOKEN_TEXT_LEN], expires[32];
	const char *kind;
	int rc;

	(void)path;
	if (strcmp(req->method, "POST") != 0) {
		l2x_mgr_error(r, 405, NULL, "use POST");
		return;
	}
	if (l2x_apireq_parse_pairing_token(req->body, req->body_len, &q, &e) !=
	    0) {
		l2x_mgr_error(r, e.status, e.field, "%s", e.message);
		return;
	}
	kind = q.kind == L2X_APIREQ_TOKEN_SITE ? "site" : "appliance";
	rc = l2x_mgr_token_new(m, kind, q.ttl_seconds, tok, expires);
	if (rc != 0) {
		l2x_mgr_store_error(r, rc, "token");
		return;
	}
	l2x_mgr_reply(r, 201,
		      json_pack("{s:s,s:s,s:s}", "token", tok, "kind", kind,
				"expiresAt", expires));
	sodium_memzero(tok, sizeof(tok));
}

/* ---- site pairing
 * --------------------------------------------------------------- */

static json_t *pairing_view(struct l2x_mgr *m, json_t *p)
{
	json_t *v = json_deep_copy(p);
	double age = 1e9;

	pthread_mutex_lock(&m->lock);
	if (m->remote != NULL)
		age = l2x_mgr_mono() - m->remote_seen;
	pthread_mutex_unlock(&m->lock);
	json_object_set_new(
	    v, "state", json_string(age < 5.0 ? "connected" : "disconnected"));
	json_object_del(v, "urls"); /* the paired site's other managers */
	return v;
}

static void pair_create(struct l2x_mgr *m, const struct l2x_http_req *req,
			struct l2x_http_resp *r)
{
	struct l2x_apireq_err e;
	struct l2x_apireq_site_pairing q;
	char err[512], url[L2X_AGENT_URL_LEN + 64], pin[L2X_TLSID_PIN_LEN];
	char mac[65], now[32], tid[L2X_APITOKEN_ID_LEN + 1];
	uint8_t key[L2X_MGR_KEY_LEN];
	const char *rcert, *rname, *rmac;
	json_t *body, *ans = NULL, *hello = NULL, *all, *doc;
	int status, rc;

	if (l2x_apireq_parse_site_pairing(req->body, req->body_len, &q, &e) !=
	    0) {
		l2x_mgr_error(r, e.status, e.field, "%s", e.message);
		return;
	}
	all = l2x_mgr_load_all(m, "sitePairing");
	if (json_array_size(all) > 0) {
		l2x_mgr_error(r, 409, "url",
			      "this site is paired with %s already; delete "
			      "that pairing first",
			      json_string_value(json_object_get(
				  json_array_get(all, 0), "url")));
		json_decref(all);
		goto out;
	}
	json_decref(all);
	if (l2x_apitoken_id(q.token, tid) != 0) {
		l2x_mgr_error(r, 400, "token", "is not a pairing token");
		goto out;
	}
	l2x_mgr_token_key(q.token, key);
	l2x_mgr_pair_mac(key, "l2x-pair-req", m->id.cert_pem, "", mac);
	body = json_pack("{s:s,s:s,s:s,s:s,s:s}", "tokenId", tid, "name",
			 m->conf.name, "url", m->conf.url, "certificate",
			 m->id.cert_pem, "mac", mac);
	snprintf(url, sizeof(url), "%s/api/v1/peer/pair", q.url.text);
	rc = call(m, NULL, "POST", url, body, &status, &ans, err, sizeof(err));
	json_decref(body);
	if (rc != 0) {
		l2x_mgr_error(r, 502, "url", "%s", err);
		goto out;
	}
	if (status != 201) {
		const char *msg = json_string_value(
		    json_object_get(json_object_get(ans, "error"), "message"));

		l2x_mgr_error(r, status == 401 || status == 403 ? 403 : 502,
			      "token", "the remote manager refused: %s",
			      msg != NULL ? msg : "no reason given");
		goto out;
	}
	rcert = json_string_value(json_object_get(ans, "certificate"));
	rname = json_string_value(json_object_get(ans, "name"));
	rmac = json_string_value(json_object_get(ans, "mac"));
	if (rcert == NULL || rname == NULL || rmac == NULL ||
	    l2x_tlsid_pin_pem(rcert, pin) != 0) {
		l2x_mgr_error(r, 502, "url",
			      "the remote manager's answer is malformed");
		goto out;
	}
	l2x_mgr_pair_mac(key, "l2x-pair", m->id.cert_pem, rcert, mac);
	if (strlen(rmac) != 64 || sodium_memcmp(mac, rmac, 64) != 0) {
		l2x_mgr_error(r, 502, "url",
			      "the answer was not made with the token: "
			      "someone between the sites answered");
		goto out;
	}
	/* The certificate the answer named must be the one TLS shows. */
	snprintf(url, sizeof(url), "%s/api/v1/peer/hello", q.url.text);
	rc = call(m, pin, "GET", url, NULL, &status, &hello, err, sizeof(err));
	json_decref(hello);
	if (rc != 0 || status != 200) {
		l2x_mgr_error(r, 502, "url",
			      "the remote manager's certificate check "
			      "failed: %s",
			      rc != 0 ? err : "refused");
		goto out;
	}
	l2x_mgr_now(now);
	doc =
	    json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", rname, "remoteName", rname,
		      "url", q.url.text, "certificatePin", pin, "since", now);
	rc = l2x_mgr_save(m, "sitePairing", rname, doc, L2X_STORE_ABSENT);
	if (rc != 0) {
		json_decref(doc);
		l2x_mgr_store_error(r, rc, "the site pairing");
		goto out;
	}
	l2x_mgr_event(m, "sitePairing", rname, "paired with %s (pin %s)",
		      q.url.text, pin);
	pthread_mutex_lock(&m->lock);
	json_decref(m->remote);
	m->remote = json_object();
	m->remote_seen = l2x_mgr_mono();
	pthread_mutex_unlock(&m->lock);
	l2x_mgr_reply(r, 201, pairing_view(m, doc));
	json_decref(doc);
out:
	json_decref(ans);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&q, sizeof(q));
}

void l2x_mgr_api_pairings(struct l2x_mgr *m, const struct l2x_http_req *req,
			  const char *path, struct l2x_http_resp *r)
{
	const char *id = path + strlen("/sitePairings");
	json_t *doc, *all, *out;
	size_t i;

	if (*id == '\0') {
		if (strcmp(req->method, "POST") == 0) {
			pair_create(m, req, r);
			return;
		}
		if (strcmp(req->method, "GET") != 0) {
			l2x_mgr_error(r, 405, NULL, "use GET or POST");
			return;
		}
		all = l2x_mgr_load_all(m, "sitePairing");
		out = json_array();
		json_array_foreach(all, i, doc)
		    json_array_append_new(out, pairing_view(m, doc));
		json_decref(all);
		l2x_mgr_reply(r, 200, out);
		return;
	}
	id++;
	doc = l2x_mgr_load(m, "sitePairing", id, NULL);
	if (doc == NULL) {
		l2x_mgr_error(r, 404, NULL, "no site pairing '%s'", id);
		return;
	}
	if (strcmp(req->method, "GET") == 0) {
		l2x_mgr_reply(r, 200, pairing_view(m, doc));
	} else if (strcmp(req->method, "DELETE") == 0) {
		json_t *meshes = l2x_mgr_load_all(m, "serviceMesh");

		if (json_array_size(meshes) > 0) {
			l2x_mgr_error(r, 409, NULL,
				      "the pairing carries service meshes: "
				      "delete them first");
		} else {
			l2x_mgr_delete(m, "sitePairing", id);
			l2x_mgr_event(m, "sitePairing", id, "unpaired");
			l2x_mgr_reply(r, 204, NULL);
		}
		json_decref(meshes);
	} else {
		l2x_mgr_error(r, 405, NULL, "use GET or DELETE");
	}
	json_decref(doc);
}

/* POST /peer/pair, from the manager that pairs with us. */
void l2x_mgr_peer_pair(struct l2x_mgr *m, const struct l2x_http_req *req,
		       struct l2x_http_resp *r)
{
	struct l2x_apireq_err e;
	struct l2x_apireq_peer_pair q;
	char err[256], pin[L2X_TLSID_PIN_LEN], mac[65], now[32];
	uint8_t key[L2X_MGR_KEY_LEN] = {0};
	json_t *all, *doc;
	int rc;

	if (strcmp(req->method, "POST") != 0) {
		l2x_mgr_error(r, 405, NULL, "use POST");
		return;
	}
	if (l2x_apireq_parse_peer_pair(req->body, req->body_len, &q, &e) != 0) {
		l2x_mgr_error(r, e.status, e.field, "%s", e.message);
		return;
	}
	if (l2x_tlsid_pin_pem(q.certificate, pin) != 0) {
		l2x_mgr_error(r, 400, "certificate",
			      "not one valid PEM certificate");
		goto out;
	}
	if (req->client_pin == NULL || strcmp(req->client_pin, pin) != 0) {
		l2x_mgr_error(r, 400, "certificate",
			      "is not the certificate this connection "
			      "presented");
		goto out;
	}
	all = l2x_mgr_load_all(m, "sitePairing");
	doc = json_array_get(all, 0);
	if (doc != NULL &&
	    strcmp(json_string_value(json_object_get(doc, "remoteName")),
		   q.name) != 0) {
		l2x_mgr_error(r, 409, "name",
			      "this site is paired with %s already",
			      json_string_value(json_object_get(doc, "url")));
		json_decref(all);
		goto out;
	}
	json_decref(all);
	rc = l2x_mgr_token_take(m, "site", q.token_id, "l2x-pair-req",
				q.certificate, q.mac, key, err, sizeof(err));
	if (rc != 0) {
		l2x_mgr_error(r, 401, "token", "%s", err);
		goto out;
	}
	l2x_mgr_now(now);
	doc = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", q.name, "remoteName",
			q.name, "url", q.url.text, "certificatePin", pin,
			"since", now);
	rc = l2x_mgr_save(m, "sitePairing", q.name, doc, 0);
	json_decref(doc);
	if (rc != 0) {
		l2x_mgr_store_error(r, rc, "the site pairing");
		goto out;
	}
	l2x_mgr_event(m, "sitePairing", q.name, "paired by %s (pin %s)",
		      q.url.text, pin);
	l2x_mgr_pair_mac(key, "l2x-pair", q.certificate, m->id.cert_pem, mac);
	l2x_mgr_reply(r, 201,
		      json_pack("{s:s,s:s,s:s}", "name", m->conf.name,
				"certificate", m->id.cert_pem, "mac", mac));
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&q, sizeof(q));
}

/* POST /enroll, from an appliance agent. */
void l2x_mgr_enroll(struct l2x_mgr *m, const struct l2x_http_req *req,
		    struct l2x_http_resp *r)
{
	struct l2x_apireq_err e;
	struct l2x_apireq_enroll q;
	char err[256], pin[L2X_TLSID_PIN_LEN], mac[65], now[32];
	uint8_t key[L2X_MGR_KEY_LEN] = {0};
	json_t *doc;
	int rc;

	if (strcmp(req->method, "POST") != 0) {
		l2x_mgr_error(r, 405, NULL, "use POST");
		return;
	}
	if (l2x_apireq_parse_enroll(req->body, req->body_len, &q, &e) != 0) {
		l2x_mgr_error(r, e.status, e.field, "%s", e.message);
		return;
	}
	if (l2x_tlsid_pin_pem(q.certificate, pin) != 0 ||
	    req->client_pin == NULL || strcmp(req->client_pin, pin) != 0) {
		l2x_mgr_error(r, 400, "certificate",
			      "must be the certificate this connection "
			      "presented");
		goto out;
	}
	doc = l2x_mgr_load(m, "appliance", q.name, NULL);
	if (doc != NULL) {
		json_decref(doc);
		l2x_mgr_error(r, 409, "name",
			      "appliance '%s' is enrolled already: delete it "
			      "first (DELETE /appliances/%s)",
			      q.name, q.name);
		goto out;
	}
	rc = l2x_mgr_token_take(m, "appliance", q.token_id, "l2x-enroll-req",
				q.certificate, q.mac, key, err, sizeof(err));
	if (rc != 0) {
		l2x_mgr_error(r, 401, "token", "%s", err);
		goto out;
	}
	l2x_mgr_now(now);
	doc =
	    json_pack("{s:s,s:s,s:s,s:s}", "name", q.name, "switch",
		      q.switch_name, "certificatePin", pin, "enrolledAt", now);
	rc = l2x_mgr_save(m, "appliance", q.name, doc, L2X_STORE_ABSENT);
	json_decref(doc);
	if (rc != 0) {
		l2x_mgr_store_error(r, rc, "the appliance");
		goto out;
	}
	l2x_mgr_event(m, "appliance", q.name, "enrolled on switch %s",
		      q.switch_name);
	l2x_mgr_pair_mac(key, "l2x-enroll", q.certificate, m->id.cert_pem, mac);
	l2x_mgr_reply(r, 201,
		      json_pack("{s:s,s:s,s:s}", "site", m->conf.name,
				"certificate", m->id.cert_pem, "mac", mac));
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&q, sizeof(q));
}
