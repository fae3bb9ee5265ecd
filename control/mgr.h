/* SPDX-License-Identifier: MIT */
/*
 * mgr.h - l2x-agent's manager role (docs/architecture.md, "l2x-agent"):
 * the site's inventory and desired state in a store, the REST API, the
 * pairing with the other site, the service mesh and the placement of
 * network extensions; and the entry of the appliance role.
 *
 * Files. manager.c: start, stop, the store's documents as jansson values,
 * events, tokens, authentication and routing. api.c: the people's
 * inventory endpoints and appliances. mesh.c: service meshes, network
 * extensions, each appliance's desired state. peer.c: the endpoints the
 * paired site calls, and the reconciler thread. pairing.c: site pairing,
 * enrolment, calls to the paired site. applagent.c: the appliance role.
 *
 * State. Everything the manager decides is a document of its store
 * (control/store.h), so a manager killed at any moment restarts with all
 * of it and its reconciler finishes or rolls back what was under way.
 * What appliances report (their status) and what the other site reports
 * is observation, kept in memory only and refreshed every 500 ms / 1 s:
 * losing it loses nothing.
 *
 * Which site leads. The site that creates a service mesh (the on-prem
 * one, HCX's "Connector") owns it and its extensions: extensions are
 * created and deleted there, and the other site (the "cloud" side)
 * mirrors them through /peer calls. Each site's manager drives only its
 * own appliances.
 *
 * Thread-safety: the HTTPS server calls the handler from its thread pool;
 * m->lock guards the in-memory observations; the store has its own lock;
 * operations on one appliance pair are serialised by that pair's mutex
 * (pair id modulo L2X_MGR_PAIR_LOCKS), different pairs run in parallel.
 */
#ifndef L2X_MGR_H
#define L2X_MGR_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "control/agentconf.h"
#include "control/apitoken.h"
#include "control/docview.h"
#include "control/https.h"
#include "control/store.h"
#include "control/tlsid.h"

#define L2X_MGR_TOKEN_TEXT_LEN 128
#define L2X_MGR_PAIR_LOCKS 64
#define L2X_MGR_APPL_MAX 256
/* Pairs the reconciler watches the health of. */
#define L2X_MGR_PAIRS_MAX 1024
/* A pair whose tunnel is down this long (after it was up) has failed. */
#define L2X_MGR_PAIR_DOWN_S 5.0
/* A pair that fails this many times within the window is held out. */
#define L2X_MGR_FAILS_HOLD 3
#define L2X_MGR_FAILS_WINDOW_S 600
/* The appliances' rounds (desired "pollMs") and the reconciler's passes
 * while an extension of theirs is being moved; 500 ms otherwise (not
 * while one is merely extending: a storm of 4094 new extensions would pay
 * for the desired states rebuilt five times as often). */
#define L2X_MGR_FAST_POLL_MS 100
/* An appliance not heard from for this long is unhealthy. */
#define L2X_MGR_APPL_TIMEOUT_S 5
/* Extensions the other site has seen: first tunnel id handed out. */
#define L2X_MGR_TUNNEL_ID_BASE 5001
/* At most this many events are kept. */
#define L2X_MGR_EVENTS_MAX 500

/* What an appliance reported last. The status is read-only once stored:
 * readers share it (l2x_mgr_appl_status() hands out references, never
 * copies: a status of 4094 networks is 140 KiB of JSON, and the
 * reconciler looks at it for every extension). The manager adds one key
 * of its own, "heldSet": the status's networks as an object's keys, so
 * that l2x_mgr_appl_holds() is one hash lookup; views copy named keys
 * only, so it never leaves the manager. */
struct l2x_mgr_appl_rt {
	char name[L2X_AGENT_NAME_LEN];
	json_t *status;	  /* last status document, or NULL */
	double last_seen; /* monotonic seconds */
};

struct l2x_mgr {
	struct l2x_agentconf conf;
	struct l2x_store *store;
	struct l2x_tlsid id;
	struct l2x_https *srv;
	struct l2x_apitoken_cache *tokcache;
	pthread_mutex_t lock; /* appl[], remote */
	struct l2x_mgr_appl_rt appl[L2X_MGR_APPL_MAX];
	unsigned n_appl;
	json_t *remote;	 /* last GET /peer/status answer, or NULL */
	size_t peer_cur; /* the paired site's manager that answered last */
	double remote_seen;
	pthread_mutex_t pair_lock[L2X_MGR_PAIR_LOCKS];
	pthread_mutex_t ev_lock;
	/* Service mesh documents: scale operations, pair health. */
	pthread_mutex_t mesh_lock;
	/* Pair health, the reconciler's own (scale.c). */
	struct l2x_mgr_pair_rt {
		json_int_t id;
		double down_since; /* monotonic s, 0: up */
		bool was_up;
	} pair_rt[L2X_MGR_PAIRS_MAX];
	unsigned n_pair_rt;
	pthread_t reconciler;
	volatile bool stopping;
	/* Shared read-only views of the kinds the hot paths read
	 * (l2x_mgr_view), by enum l2x_mgr_kind. */
	struct l2x_docview *view[3];
	/* leader.c: whether this manager leads its site (atomic), the
	 * leader's URL as last seen (m->lock), the elector thread. */
	bool leader;
	double lead_since; /* monotonic s: observations are fresh after */
	char leader_url[L2X_AGENT_URL_LEN];
	pthread_t elector;
	bool elector_up;
};

/* The mutex that serialises the operations on appliance pair `pair`. */
static inline pthread_mutex_t *l2x_mgr_pair_lock(struct l2x_mgr *m,
						 json_int_t pair)
{
	return &m->pair_lock[(uint64_t)pair % L2X_MGR_PAIR_LOCKS];
}

/* ---- entry points (main.c) ---------------------------------------------- */

int l2x_mgr_token_cli(const struct l2x_agentconf *conf, const char *kind,
		      bool read_only, unsigned ttl,
		      char tok[L2X_MGR_TOKEN_TEXT_LEN], char *err,
		      size_t errlen);
int l2x_mgr_run(const struct l2x_agentconf *conf, volatile sig_atomic_t *stop,
		char *err, size_t errlen);
int l2x_applagent_run(const struct l2x_agentconf *conf,
		      volatile sig_atomic_t *stop, char *err, size_t errlen);

/* ---- shared by manager.c, api.c, pairing.c ------------------------------ */

/* The HTTPS handler: routing and authentication. */
void l2x_mgr_handle(void *arg, const struct l2x_http_req *req,
		    struct l2x_http_resp *resp);

/* Answers: body is stolen (may be NULL); errors in the API's shape. */
void l2x_mgr_reply(struct l2x_http_resp *r, int status, json_t *body);
void l2x_mgr_error(struct l2x_http_resp *r, int status, const char *field,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A store error as an answer: -ENOENT 404, -EEXIST/-ESTALE 409, else 500. */
void l2x_mgr_store_error(struct l2x_http_resp *r, int rc, const char *what);

/* A document of the store as jansson, or NULL when absent (*rev set). */
json_t *l2x_mgr_load(struct l2x_mgr *m, const char *kind, const char *id,
		     uint64_t *rev);
/* Every document of a kind, as an array (never NULL), the caller's own. */
json_t *l2x_mgr_load_all(struct l2x_mgr *m, const char *kind);
/* Every network extension, service mesh or switch as a shared, read-only
 * array (control/docview.h): parsed once per version, so the hot readers
 * cost no parse when nothing changed. Never modify it or what it holds;
 * json_decref() it. Never NULL. */
enum l2x_mgr_kind { L2X_MGR_EXTS, L2X_MGR_MESHES, L2X_MGR_SWITCHES };
json_t *l2x_mgr_view(struct l2x_mgr *m, enum l2x_mgr_kind kind);
/* Write one document (expect_rev as l2x_store_put), or delete it. */
int l2x_mgr_save(struct l2x_mgr *m, const char *kind, const char *id,
		 json_t *doc, uint64_t expect_rev);
int l2x_mgr_delete(struct l2x_mgr *m, const char *kind, const char *id);
/* Record an event (kept in the store, the newest L2X_MGR_EVENTS_MAX). */
void l2x_mgr_event(struct l2x_mgr *m, const char *kind, const char *object,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Now as RFC 3339 UTC text. */
void l2x_mgr_now(char out[32]);
double l2x_mgr_mono(void);

/* The appliances' observations (under m->lock inside). The status is a
 * shared reference: read-only (struct l2x_mgr_appl_rt). */
json_t *l2x_mgr_appl_status(struct l2x_mgr *m, const char *name, double *age);
/* Whether a status names network net among those its appliance holds:
 * one lookup in its "heldSet". False for a NULL status. */
bool l2x_mgr_appl_holds(json_t *status, const char *net);
void l2x_mgr_appl_report(struct l2x_mgr *m, const char *name, json_t *status);
/* The desired state of one of this site's appliances. */
json_t *l2x_mgr_desired(struct l2x_mgr *m, const char *appliance);

/* Calls to the paired site's manager (mutual TLS, its pin). *answer is
 * the parsed JSON answer (NULL when empty). 0 when the call happened (see
 * *status), -errno with err when it did not. */
int l2x_mgr_peer_call(struct l2x_mgr *m, const char *method, const char *path,
		      json_t *body, int *status, json_t **answer, char *err,
		      size_t errlen);

/* What to answer when the other site refused with status: its 4xx but
 * 401/403 (about our certificate, not the caller's token: 502), else
 * 502. */
int l2x_mgr_peer_status(int status);
/* The same, fire and forget: METHOD PREFIX+ID, the answer or NULL. */
json_t *l2x_mgr_peer_call_simple(struct l2x_mgr *m, const char *method,
				 const char *prefix, const char *id);

/* people's endpoints (api.c); path is after /api/v1 */
void l2x_mgr_api(struct l2x_mgr *m, const struct l2x_http_req *req,
		 const char *path, bool read_only, struct l2x_http_resp *r);
/* agent-to-agent and token endpoints (pairing.c) */
void l2x_mgr_api_tokens(struct l2x_mgr *m, const struct l2x_http_req *req,
			const char *path, struct l2x_http_resp *r);
void l2x_mgr_api_pairings(struct l2x_mgr *m, const struct l2x_http_req *req,
			  const char *path, struct l2x_http_resp *r);
void l2x_mgr_peer_pair(struct l2x_mgr *m, const struct l2x_http_req *req,
		       struct l2x_http_resp *r);
void l2x_mgr_enroll(struct l2x_mgr *m, const struct l2x_http_req *req,
		    struct l2x_http_resp *r);
/* /peer/... from the paired site, already authenticated by its pin */
void l2x_mgr_peer(struct l2x_mgr *m, const struct l2x_http_req *req,
		  const char *path, struct l2x_http_resp *r);
/* Create a token of kind "site" | "appliance" | "api" | "api-ro". */
int l2x_mgr_token_new(struct l2x_mgr *m, const char *kind, unsigned ttl,
		      char tok[L2X_MGR_TOKEN_TEXT_LEN], char expires[32]);
/* The key both ends derive from a pairing or enrolment token: BLAKE2b-256
 * of its whole text. The manager that issued it keeps this, not the
 * token. */
#define L2X_MGR_KEY_LEN 32
void l2x_mgr_token_key(const char *token, uint8_t key[L2X_MGR_KEY_LEN]);
/* Take a one-time token of kind by its ID, the caller proving it holds
 * the token: mac must be HMAC(key, label | cert | ""). 0 with the key in
 * key (for the answer's mac; wipe it), or -EACCES with a sentence. */
int l2x_mgr_token_take(struct l2x_mgr *m, const char *kind,
		       const char *token_id, const char *label,
		       const char *cert, const uint8_t mac[32],
		       uint8_t key[L2X_MGR_KEY_LEN], char *err, size_t errlen);
/* mac = HMAC-SHA-256(key, label | a | b) as 64 hex digits (pairing.c). */
void l2x_mgr_pair_mac(const uint8_t key[L2X_MGR_KEY_LEN], const char *label,
		      const char *a, const char *b, char hex[65]);

/* api.c */
bool l2x_mgr_in_list(json_t *list, const char *name);
json_t *l2x_mgr_appl_view(struct l2x_mgr *m, json_t *appliance);

/* mesh.c: service meshes, network extensions, what each appliance must
 * hold, and the reconciler that moves extensions through their states. */
void l2x_mgr_api_meshes(struct l2x_mgr *m, const struct l2x_http_req *req,
			const char *id, struct l2x_http_resp *r);
void l2x_mgr_api_extensions(struct l2x_mgr *m, const struct l2x_http_req *req,
			    const char *id, struct l2x_http_resp *r);
bool l2x_mgr_appl_in_mesh(struct l2x_mgr *m, const char *appliance);
/* The pair with this id among meshes (borrowed from it), and its mesh in
 * *mesh if not NULL; NULL when none. */
json_t *l2x_mgr_find_pair(json_t *meshes, json_int_t id, json_t **mesh);
/* The pair extension e is on, in e's own mesh among meshes (borrowed);
 * NULL when none. */
json_t *l2x_mgr_ext_pair(json_t *meshes, json_t *e);
/* IKE_SA established and the CHILD_SA in the dataplane, per a status. */
bool l2x_mgr_appl_up(json_t *status);
/* A local appliance's status if heard from lately, else NULL. */
json_t *l2x_mgr_fresh_status(struct l2x_mgr *m, const char *name);
/* Choose k appliances of switch sw in compute profile cprof and their
 * uplink addresses, appending {appliance, uplinkAddress, gateway, mtu}
 * to out and their names to taken. 0 or -errno with err. */
int l2x_mgr_allocate(struct l2x_mgr *m, json_t *meshes, const char *cprof,
		     const char *sw, size_t k, json_t *taken, json_t *out,
		     char *err, size_t errlen);
/* A new pair of switch sw (rsw at the other site) with this site's side
 * local {appliance, uplinkAddress, ...}: its id, PSK and inner addresses;
 * appended to pairs (this site's view) and peer_pairs (the other's, to
 * send). 0 or -EIO when the store gives no id. */
int l2x_mgr_new_pair(struct l2x_mgr *m, const char *sw, const char *rsw,
		     json_t *local, json_t *pairs, json_t *peer_pairs);
/* Set each of pairs' "remote" from the other site's answer {"pairs":
 * [{id, appliance, uplinkAddress}]}; -EPROTO with err if one lacks. */
int l2x_mgr_match_remote(json_t *pairs, json_t *ans, char *err, size_t errlen);
/* Write a new extension record with its claim on (switch, VLAN), or
 * remove both: one transaction each. -EEXIST when claimed. */
int l2x_mgr_ext_insert(struct l2x_mgr *m, json_t *e);
void l2x_mgr_ext_remove(struct l2x_mgr *m, json_t *e);
/* state, reason, since of an extension record. */
void l2x_mgr_set_state(json_t *e, const char *state, const char *reason);
/* A service mesh as the API shows it (mesh.c). */
json_t *l2x_mgr_mesh_view(struct l2x_mgr *m, json_t *ms);
/* scale.c: PATCH /serviceMeshes/{id} (scale out or in, rebalance, clear
 * held pairs); a moving extension's next step (its pair lock held; held:
 * the old local appliance holds it, rx: the other site's view of it);
 * the end of a move when it is extended again (e is saved by the
 * caller); pair health, drained pairs' removal and pending rebalances,
 * once per reconciler pass. */
void l2x_mgr_mesh_patch(struct l2x_mgr *m, const struct l2x_http_req *req,
			const char *id, struct l2x_http_resp *r);
void l2x_mgr_move_step(struct l2x_mgr *m, json_t *e, bool held, json_t *rx,
		       bool remote_fresh);
void l2x_mgr_move_done(struct l2x_mgr *m, json_t *e);
void l2x_mgr_scale_reconcile(struct l2x_mgr *m, json_t *remote,
			     bool remote_fresh);
/* leader.c: the site's leader. start: SQLite leads at once; etcd
 * campaigns once, then an elector thread renews or campaigns every
 * election_ttl / 3 (stop joins it, after m->stopping). leads: this
 * manager leads now. not_leader: answer 503 naming the leader. fenced:
 * the store refused a write with -EPERM: step down. site_id: with a
 * shared store, make the site's TLS identity (the first manager's, kept
 * in the store) this manager's; m->id reloaded. */
int l2x_mgr_leader_start(struct l2x_mgr *m);
void l2x_mgr_leader_stop(struct l2x_mgr *m);
bool l2x_mgr_leads(struct l2x_mgr *m);
void l2x_mgr_not_leader(struct l2x_mgr *m, struct l2x_http_resp *r);
void l2x_mgr_fenced(struct l2x_mgr *m);
int l2x_mgr_site_id(struct l2x_mgr *m, const char *tlsdir, char *err,
		    size_t errlen);
/* Finish or roll back what is under way; once at start, then by the
 * reconciler thread every 500 ms, or every L2X_MGR_FAST_POLL_MS while an
 * extension is being moved (l2x_mgr_ext_moving): true then. */
bool l2x_mgr_reconcile(struct l2x_mgr *m);
/* Extension e is being moved: off its old pair ("moving") or onto its new
 * one ("extending" after a move: "movedFrom" at the site that leads it,
 * "moveIn" at the other). scale.c. */
bool l2x_mgr_ext_moving(json_t *e);
/* The paired site's /peer/status answer says pair `pair` is up. */
bool l2x_mgr_remote_pair_up(json_t *remote, json_int_t pair);
void l2x_mgr_reconcile_start(struct l2x_mgr *m);

#endif /* L2X_MGR_H */
