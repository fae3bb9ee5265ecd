/* SPDX-License-Identifier: MIT */
/*
 * ike_config.c - struct l2x_config -> charon's ike_cfg, peer_cfg,
 * child_cfg and credentials, served by one backend (ike_config.h).
 */
#include <daemon.h>
#include <library.h>

#include <collections/array.h>
#include <processing/jobs/callback_job.h>
#include <threading/rwlock.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ipsec/ike/ike_config.h"
#include "ipsec/ike/ike_creds.h"

#define CHILD_NAME "tunnel"
/* Without ESN the dataplane stops sending at 2^32 - 1 (architecture.md,
 * "Replay window"): rekey by packets well before. */
#define ESP_PACKETS_HARD 4000000000ULL
#define ESP_PACKETS_SOFT 3600000000ULL
/* A responder starts at most one contact IKE_SA per this many seconds. */
#define CONTACT_HOLDOFF_S 5

/* Everything of struct l2x_config that charon's configuration is built
 * from: two applies with equal params (memcmp) build the same config. */
struct ike_params {
	char name[L2X_CONFIG_NAME_LEN];
	enum l2x_config_role role;
	uint32_t local;
	uint32_t peer;
	char local_id[L2X_CONFIG_ID_LEN];
	char remote_id[L2X_CONFIG_ID_LEN];
	struct l2x_config_auth auth;
	char ike_proposals[L2X_CONFIG_PROPOSAL_LEN];
	enum l2x_config_alg esp[L2X_CONFIG_ESP_MAX];
	uint32_t n_esp;
	uint32_t ike_lifetime;
	uint32_t child_lifetime;
	uint32_t dpd_delay;
	uint32_t replay_window;
	enum l2x_config_encap encap;
	uint32_t inner_local;
	uint32_t inner_remote;
};

struct l2x_ike_config {
	backend_t backend;     /* first: charon calls back with &ic->backend */
	listener_t listener;   /* the responder's contact (below) */
	rwlock_t *lock;	       /* guards peer, contact, contact_* */
	peer_cfg_t *peer;      /* NULL until the first apply */
	peer_cfg_t *contact;   /* responder: peer with keyingtries 1; or NULL */
	uint32_t contact_addr; /* its peer.address */
	time_t contact_at;     /* monotonic s of the last contact started */
	mem_cred_t *creds; /* registered with lib->credmgr; content swapped */
	struct ike_params cur;
	bool started;
};

static void params_from(const struct l2x_config *cfg, struct ike_params *p)
{
	const struct l2x_config_peer *pe = &cfg->peer;

	memset(p, 0, sizeof(*p));
	memcpy(p->name, cfg->appliance.name, sizeof(p->name));
	p->role = cfg->appliance.role;
	p->local = cfg->ports.uplink.address.addr;
	p->peer = pe->address;
	memcpy(p->local_id, pe->local_id, sizeof(p->local_id));
	memcpy(p->remote_id, pe->remote_id, sizeof(p->remote_id));
	p->auth = pe->auth;
	memcpy(p->ike_proposals, pe->ike_proposals, sizeof(p->ike_proposals));
	memcpy(p->esp, pe->esp, sizeof(p->esp));
	p->n_esp = pe->n_esp;
	p->ike_lifetime = pe->ike_lifetime;
	p->child_lifetime = pe->child_lifetime;
	p->dpd_delay = pe->dpd_delay;
	p->replay_window = pe->replay_window;
	p->encap = cfg->tunnel.encap;
	p->inner_local = cfg->tunnel.inner_local;
	p->inner_remote = cfg->tunnel.inner_remote;
}

static void addr_str(uint32_t addr, char *s, size_t len)
{
	struct in_addr a = {.s_addr = htonl(addr)};

	if (inet_ntop(AF_INET, &a, s, len) == NULL)
		snprintf(s, len, "?");
}

/* ---- proposals ----------------------------------------------------------- */

/* Is this IKE transform computed by a loaded plugin? ESP transforms are
 * the dataplane's, never checked here. */
static bool transform_available(transform_type_t type, uint16_t alg)
{
	enumerator_t *e;
	const char *plugin;
	bool found = false;
	int a; /* every algorithm enum is an int */

	switch (type) {
	case ENCRYPTION_ALGORITHM:
		e = encryption_algorithm_is_aead(alg)
			? lib->crypto->create_aead_enumerator(lib->crypto)
			: lib->crypto->create_crypter_enumerator(lib->crypto);
		break;
	case INTEGRITY_ALGORITHM:
		e = lib->crypto->create_signer_enumerator(lib->crypto);
		break;
	case PSEUDO_RANDOM_FUNCTION:
		e = lib->crypto->create_prf_enumerator(lib->crypto);
		break;
	case KEY_EXCHANGE_METHOD:
		e = lib->crypto->create_ke_enumerator(lib->crypto);
		break;
	default:
		return true;
	}
	while (e->enumerate(e, &a, &plugin)) {
		if (a == alg) {
			found = true;
			break;
		}
	}
	e->destroy(e);
	return found;
}

static const char *transform_name(transform_type_t type, uint16_t alg)
{
	enum_name_t *names =
	    type == ENCRYPTION_ALGORITHM     ? encryption_algorithm_names
	    : type == INTEGRITY_ALGORITHM    ? integrity_algorithm_names
	    : type == PSEUDO_RANDOM_FUNCTION ? pseudo_random_function_names
					     : key_exchange_method_names;
	const char *s = enum_to_name(names, alg);

	return s != NULL ? s : "an unknown algorithm";
}

static const char *transform_hint(transform_type_t type, uint16_t alg)
{
	if (type == ENCRYPTION_ALGORITHM &&
	    (alg == ENCR_AES_GCM_ICV8 || alg == ENCR_AES_GCM_ICV12 ||
	     alg == ENCR_AES_GCM_ICV16))
		return " (AES-GCM needs the gcm or openssl plugin: Debian "
		       "package libstrongswan-standard-plugins)";
	return "";
}

/* Check every transform of an IKE proposal against the loaded plugins. */
static int proposal_available(proposal_t *prop, const char *text,
			      const char *source, char *err, size_t errlen)
{
	static const transform_type_t types[] = {
	    ENCRYPTION_ALGORITHM, INTEGRITY_ALGORITHM, PSEUDO_RANDOM_FUNCTION,
	    KEY_EXCHANGE_METHOD};

	for (size_t i = 0; i < countof(types); i++) {
		enumerator_t *e = prop->create_enumerator(prop, types[i]);
		uint16_t alg, ks;
		int rc = 0;

		while (rc == 0 && e->enumerate(e, &alg, &ks)) {
			if (transform_available(types[i], alg))
				continue;
			rc = l2x_ike_errf(
			    err, errlen, -EINVAL,
			    "%s: peer.ike_proposals: '%s': %s is not "
			    "provided by any loaded strongSwan plugin%s",
			    source, text, transform_name(types[i], alg),
			    transform_hint(types[i], alg));
		}
		e->destroy(e);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int add_ike_proposals(ike_cfg_t *ike, const char *proposals,
			     const char *source, char *err, size_t errlen)
{
	char buf[L2X_CONFIG_PROPOSAL_LEN];
	enumerator_t *e;
	char *one;
	int rc = 0, n = 0;

	snprintf(buf, sizeof(buf), "%s", proposals);
	e = enumerator_create_token(buf, ",", " ");
	while (rc == 0 && e->enumerate(e, &one)) {
		proposal_t *prop = proposal_create_from_string(PROTO_IKE, one);

		if (prop == NULL) {
			rc = l2x_ike_errf(
			    err, errlen, -EINVAL,
			    "%s: peer.ike_proposals: '%s' is not a "
			    "valid IKE proposal (an AEAD or encryption "
			    "+ integrity, a PRF and a key exchange "
			    "method, joined by '-')",
			    source, one);
			break;
		}
		rc = proposal_available(prop, one, source, err, errlen);
		if (rc != 0) {
			prop->destroy(prop);
			break;
		}
		ike->add_proposal(ike, prop);
		n++;
	}
	e->destroy(e);
	if (rc == 0 && n == 0)
		rc = l2x_ike_errf(err, errlen, -EINVAL,
				  "%s: peer.ike_proposals: no proposal given",
				  source);
	return rc;
}

/* ---- the configuration objects ------------------------------------------- */

static ike_cfg_t *build_ike_cfg(const struct ike_params *p)
{
	char local[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN];
	char remote[INET_ADDRSTRLEN + 8];
	ike_cfg_create_t ike;

	addr_str(p->local, local, sizeof(local));
	addr_str(p->peer, peer, sizeof(peer));
	snprintf(remote, sizeof(remote), "%s,%%any", peer);
	ike = (ike_cfg_create_t){
	    .version = IKEV2,
	    .local = local,
	    .local_port = charon->socket->get_port(charon->socket, FALSE),
	    .remote = remote,
	    .remote_port = IKEV2_UDP_PORT,
	    .fragmentation = FRAGMENTATION_YES,
	    .childless = CHILDLESS_ALLOW,
	};
	return ike_cfg_create(&ike);
}

static auth_cfg_t *build_auth(const struct l2x_ike_creds *c, bool local)
{
	auth_cfg_t *auth = auth_cfg_create();
	identification_t *id = local ? c->local_id : c->remote_id;

	if (c->kind == L2X_CONFIG_AUTH_PSK) {
		auth->add(auth, AUTH_RULE_AUTH_CLASS, AUTH_CLASS_PSK);
	} else {
		auth->add(auth, AUTH_RULE_AUTH_CLASS, AUTH_CLASS_PUBKEY);
		if (local)
			auth->add(auth, AUTH_RULE_SUBJECT_CERT,
				  c->cert->get_ref(c->cert));
		else
			auth->add(auth, AUTH_RULE_CA_CERT,
				  c->ca->get_ref(c->ca));
	}
	auth->add(auth, AUTH_RULE_IDENTITY, id->clone(id));
	return auth;
}

static traffic_selector_t *inner_ts(uint32_t addr, enum l2x_config_encap enc)
{
	uint32_t be = htonl(addr);
	chunk_t a = chunk_create((u_char *)&be, sizeof(be));

	return traffic_selector_create_from_bytes(
	    enc == L2X_CONFIG_ENCAP_VXLAN ? IPPROTO_UDP : IPPROTO_GRE,
	    TS_IPV4_ADDR_RANGE, a, 0, a, 65535);
}

static child_cfg_t *build_child_cfg(const struct ike_params *p)
{
	uint64_t life = p->child_lifetime;
	action_t restart =
	    p->role == L2X_CONFIG_ROLE_INITIATOR ? ACTION_START : ACTION_NONE;
	child_cfg_create_t data = {
	    .mode = MODE_TUNNEL,
	    .lifetime =
		{
		    .time = {.life = life,
			     .rekey = life - life / 10,
			     .jitter = life / 10},
		    .packets = {.life = ESP_PACKETS_HARD,
				.rekey = ESP_PACKETS_SOFT,
				.jitter = ESP_PACKETS_HARD - ESP_PACKETS_SOFT},
		},
	    /* Healing (issue 5): the initiator starts the tunnel and starts
	     * it again when DPD finds the peer dead or the peer closes it;
	     * the responder only clears its SAs then and waits for the
	     * initiator. Both restarting would, without NAT, race to two
	     * IKE_SAs that unique=replace deletes in turn, each delete
	     * restarting the other side again. */
	    .start_action = restart,
	    .dpd_action = restart,
	    .close_action = restart,
	};
	child_cfg_t *child = child_cfg_create(CHILD_NAME, &data);

	for (uint32_t i = 0; i < p->n_esp; i++) {
		char s[64];

		snprintf(s, sizeof(s), "%s-esn-noesn",
			 l2x_config_alg_name(p->esp[i]));
		child->add_proposal(child,
				    proposal_create_from_string(PROTO_ESP, s));
	}
	child->add_traffic_selector(child, TRUE,
				    inner_ts(p->inner_local, p->encap));
	child->add_traffic_selector(child, FALSE,
				    inner_ts(p->inner_remote, p->encap));
	child->set_replay_window(child, p->replay_window);
	return child;
}

/* keyingtries: 0 for the peer_cfg (retry for ever), 1 for a responder's
 * contact (see "start actions"). Takes the reference to ike. */
static peer_cfg_t *build_peer_cfg(const struct ike_params *p, ike_cfg_t *ike,
				  const struct l2x_ike_creds *c,
				  uint32_t keyingtries)
{
	uint32_t life = p->ike_lifetime;
	peer_cfg_create_t data = {
	    .cert_policy = c->kind == L2X_CONFIG_AUTH_CERT ? CERT_ALWAYS_SEND
							   : CERT_SEND_IF_ASKED,
	    .unique = UNIQUE_REPLACE,
	    .keyingtries = keyingtries,
	    .rekey_time = life - life / 10,
	    .reauth_time = 0,
	    .jitter_time = life / 10,
	    .over_time = life / 10,
	    .dpd = p->dpd_delay,
	    /* Without MOBIKE charon follows a NATed peer's new address or
	     * port on its next authenticated IKE request (RFC 7296, section
	     * 2.23); with it, only the MOBIKE initiator may move the IKE_SA,
	     * and a NATed initiator never learns that its mapping changed. */
	    .no_mobike = true,
	};
	peer_cfg_t *peer = peer_cfg_create((char *)p->name, ike, &data);

	peer->add_auth_cfg(peer, build_auth(c, true), TRUE);
	peer->add_auth_cfg(peer, build_auth(c, false), FALSE);
	peer->add_child_cfg(peer, build_child_cfg(p));
	return peer;
}

/* ---- backend_t ----------------------------------------------------------- */

/* A reference to the current peer_cfg, or NULL. */
static peer_cfg_t *current(struct l2x_ike_config *ic)
{
	peer_cfg_t *peer;

	ic->lock->read_lock(ic->lock);
	peer = ic->peer != NULL ? ic->peer->get_ref(ic->peer) : NULL;
	ic->lock->unlock(ic->lock);
	return peer;
}

static void peer_unref(void *peer)
{
	((peer_cfg_t *)peer)->destroy(peer);
}

static enumerator_t *create_peer_cfg_enumerator(backend_t *b,
						identification_t *me,
						identification_t *other)
{
	peer_cfg_t *peer = current((struct l2x_ike_config *)b);

	(void)me;
	(void)other;
	if (peer == NULL)
		return enumerator_create_empty();
	return enumerator_create_single(peer, peer_unref);
}

static enumerator_t *create_ike_cfg_enumerator(backend_t *b, host_t *me,
					       host_t *other)
{
	peer_cfg_t *peer = current((struct l2x_ike_config *)b);

	(void)me;
	(void)other;
	if (peer == NULL)
		return enumerator_create_empty();
	/* The ike_cfg lives as long as the peer_cfg reference we hold. */
	return enumerator_create_cleaner(
	    enumerator_create_single(peer->get_ike_cfg(peer), NULL), peer_unref,
	    peer);
}

static peer_cfg_t *get_peer_cfg_by_name(backend_t *b, char *name)
{
	peer_cfg_t *peer = current((struct l2x_ike_config *)b);

	if (peer != NULL && !streq(peer->get_name(peer), name)) {
		peer->destroy(peer);
		peer = NULL;
	}
	return peer;
}

/* ---- start actions ------------------------------------------------------- */

static void close_sas(const char *name)
{
	enumerator_t *e;
	ike_sa_t *sa;
	array_t *ids = NULL;
	uint32_t id;

	e = charon->controller->create_ike_sa_enumerator(charon->controller,
							 TRUE);
	while (e->enumerate(e, &sa)) {
		if (streq(sa->get_name(sa), (char *)name)) {
			id = sa->get_unique_id(sa);
			array_insert_create_value(&ids, sizeof(id), ARRAY_TAIL,
						  &id);
		}
	}
	e->destroy(e);
	while (array_remove(ids, ARRAY_HEAD, &id)) {
		DBG1(DBG_CFG,
		     "l2x-ike: closing IKE_SA #%u of the replaced "
		     "configuration",
		     id);
		charon->controller->terminate_ike(charon->controller, id, FALSE,
						  NULL, NULL, 0);
	}
	array_destroy(ids);
}

static void initiate(struct l2x_ike_config *ic)
{
	peer_cfg_t *peer = current(ic);
	enumerator_t *e;
	child_cfg_t *child;

	if (peer == NULL)
		return;
	e = peer->create_child_cfg_enumerator(peer);
	if (e->enumerate(e, &child) &&
	    (child->get_start_action(child) & ACTION_START)) {
		DBG1(DBG_CFG, "l2x-ike: initiating '%s' (role initiator)",
		     peer->get_name(peer));
		charon->controller->initiate(
		    charon->controller, peer->get_ref(peer),
		    child->get_ref(child), NULL, NULL, 0, FALSE);
	}
	e->destroy(e);
	peer->destroy(peer);
}

/* ---- the responder's contact --------------------------------------------
 *
 * A responder that restarts has lost its IKE_SA, but the initiator keeps
 * its own and its CHILD_SAs, and sends into them, until its DPD gives up
 * (peer.dpd_delay + 7.1 s) and it starts again. The responder hears of it
 * sooner: the initiator's next IKE request (a DPD sent peer.dpd_delay
 * after the responder went quiet, a rekey) names an IKE_SA this process
 * does not know, and charon raises ALERT_INVALID_IKE_SPI. If the request
 * comes from peer.address and no IKE_SA of ours exists for the peer, the
 * responder initiates once, to the address and port the request came
 * from (the peer's NAT mapping, if it has one): its IKE_AUTH carries
 * INITIAL_CONTACT, and the peer replaces its stale SAs with the new ones
 * (unique=replace). Tunnel back within peer.dpd_delay + one exchange.
 *
 * The request is not authenticated, so what it may cause is bounded: an
 * IKE_SA_INIT to the configured peer's address only (never to a spoofed
 * third party: an initiator's AUTH would give a PSK to an offline
 * dictionary attack), at most one per CONTACT_HOLDOFF_S, and with
 * keyingtries 1 (the contact peer_cfg), so an unanswered contact does not
 * turn the responder into a second initiator retrying for ever (both
 * sides initiating race to two IKE_SAs, see build_child_cfg). */

struct contact {
	peer_cfg_t *peer; /* the contact peer_cfg, a reference */
	host_t *me, *other;
};

static void contact_free(void *data)
{
	struct contact *c = data;

	c->peer->destroy(c->peer);
	c->me->destroy(c->me);
	c->other->destroy(c->other);
	free(c);
}

/* Does an IKE_SA of the peer_cfg named name exist, in any state? */
static bool have_ike_sa(const char *name)
{
	enumerator_t *e;
	ike_sa_t *sa;
	bool found = false;

	e = charon->ike_sa_manager->create_enumerator(charon->ike_sa_manager,
						      TRUE);
	while (!found && e->enumerate(e, &sa))
		found = streq(sa->get_name(sa), (char *)name);
	e->destroy(e);
	return found;
}

static job_requeue_t contact_run(void *data)
{
	struct contact *c = data;
	const char *name = c->peer->get_name(c->peer);
	enumerator_t *e;
	child_cfg_t *child = NULL;
	ike_sa_t *sa;

	if (have_ike_sa(name))
		return JOB_REQUEUE_NONE;
	e = c->peer->create_child_cfg_enumerator(c->peer);
	if (e->enumerate(e, &child))
		child = child->get_ref(child);
	e->destroy(e);
	if (child == NULL)
		return JOB_REQUEUE_NONE;
	sa = charon->ike_sa_manager->checkout_by_config(charon->ike_sa_manager,
							c->peer);
	if (sa == NULL || sa->get_state(sa) != IKE_CREATED) {
		if (sa != NULL) /* one came up meanwhile */
			charon->ike_sa_manager->checkin(charon->ike_sa_manager,
							sa);
		child->destroy(child);
		return JOB_REQUEUE_NONE;
	}
	DBG1(DBG_CFG,
	     "l2x-ike: '%s': the peer at %#H sent an IKE request for an "
	     "IKE_SA we do not have (we restarted?): initiating to it, its "
	     "stale SAs go with our INITIAL_CONTACT",
	     name, c->other);
	sa->set_my_host(sa, c->me->clone(c->me));
	sa->set_other_host(sa, c->other->clone(c->other));
	if (sa->initiate(sa, child, NULL) == SUCCESS)
		charon->ike_sa_manager->checkin(charon->ike_sa_manager, sa);
	else
		charon->ike_sa_manager->checkin_and_destroy(
		    charon->ike_sa_manager, sa);
	return JOB_REQUEUE_NONE;
}

/* listener_t.alert; any thread. Only queues the contact: the job checks
 * the IKE_SAs outside of the message's checkout. */
static bool contact_alert(listener_t *l, ike_sa_t *ike_sa, alert_t alert,
			  va_list args)
{
	struct l2x_ike_config *ic =
	    (struct l2x_ike_config *)((char *)l -
				      offsetof(struct l2x_ike_config,
					       listener));
	struct contact *c;
	message_t *msg;
	host_t *src;
	peer_cfg_t *peer = NULL;
	time_t now;

	(void)ike_sa;
	if (alert != ALERT_INVALID_IKE_SPI)
		return TRUE;
	msg = va_arg(args, message_t *);
	src = msg->get_source(msg);
	if (!msg->get_request(msg) || src->get_family(src) != AF_INET)
		return TRUE;
	now = time_monotonic(NULL);
	ic->lock->write_lock(ic->lock);
	if (ic->contact != NULL && ic->started &&
	    now - ic->contact_at >= CONTACT_HOLDOFF_S) {
		chunk_t a = src->get_address(src);
		uint32_t be = htonl(ic->contact_addr);

		if (a.len == sizeof(be) && memeq(a.ptr, &be, sizeof(be))) {
			peer = ic->contact->get_ref(ic->contact);
			ic->contact_at = now;
		}
	}
	ic->lock->unlock(ic->lock);
	if (peer == NULL)
		return TRUE;
	c = malloc(sizeof(*c));
	if (c == NULL) {
		peer->destroy(peer);
		return TRUE;
	}
	*c = (struct contact){
	    .peer = peer,
	    .me = msg->get_destination(msg)->clone(msg->get_destination(msg)),
	    .other = src->clone(src),
	};
	lib->processor->queue_job(
	    lib->processor,
	    (job_t *)callback_job_create(contact_run, c, contact_free, NULL));
	return TRUE;
}

/* ---- API ----------------------------------------------------------------- */

int l2x_ike_config_create(struct l2x_ike_config **out)
{
	struct l2x_ike_config *ic = calloc(1, sizeof(*ic));

	*out = NULL;
	if (ic == NULL)
		return -ENOMEM;
	ic->backend = (backend_t){
	    .create_peer_cfg_enumerator = create_peer_cfg_enumerator,
	    .create_ike_cfg_enumerator = create_ike_cfg_enumerator,
	    .get_peer_cfg_by_name = get_peer_cfg_by_name,
	};
	ic->listener = (listener_t){.alert = contact_alert};
	ic->lock = rwlock_create(RWLOCK_TYPE_DEFAULT);
	ic->creds = mem_cred_create();
	lib->credmgr->add_set(lib->credmgr, &ic->creds->set);
	charon->backends->add_backend(charon->backends, &ic->backend);
	charon->bus->add_listener(charon->bus, &ic->listener);
	*out = ic;
	return 0;
}

static void log_applied(const struct ike_params *p,
			const struct l2x_ike_creds *c)
{
	char local[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN];
	char il[INET_ADDRSTRLEN], ir[INET_ADDRSTRLEN];

	addr_str(p->local, local, sizeof(local));
	addr_str(p->peer, peer, sizeof(peer));
	addr_str(p->inner_local, il, sizeof(il));
	addr_str(p->inner_remote, ir, sizeof(ir));
	DBG1(DBG_CFG,
	     "l2x-ike: config '%s': %s, %s[%Y] <-> %s[%Y], auth %s, IKE %s "
	     "(lifetime %us), ESP %s%s%s (lifetime %us), %s %s/32 <-> "
	     "%s/32, DPD %us, replay window %u",
	     p->name, l2x_config_role_name(p->role), local, c->local_id, peer,
	     c->remote_id, c->kind == L2X_CONFIG_AUTH_PSK ? "psk" : "pubkey",
	     p->ike_proposals, p->ike_lifetime, l2x_config_alg_name(p->esp[0]),
	     p->n_esp > 1 ? "," : "",
	     p->n_esp > 1 ? l2x_config_alg_name(p->esp[1]) : "",
	     p->child_lifetime, l2x_config_encap_name(p->encap), il, ir,
	     p->dpd_delay, p->replay_window);
}

int l2x_ike_config_apply(struct l2x_ike_config *ic,
			 const struct l2x_config *cfg, const char *source,
			 char *err, size_t errlen)
{
	struct l2x_ike_creds creds;
	struct ike_params p;
	char why[L2X_IKE_CONFIG_ERR_LEN];
	peer_cfg_t *peer, *contact = NULL, *old, *old_contact;
	ike_cfg_t *ike;
	bool changed;
	int rc;

	params_from(cfg, &p);
	if (p.n_esp == 0)
		return l2x_ike_errf(err, errlen, -EINVAL,
				    "%s: peer.esp_proposals: none given",
				    source);
	if (p.n_esp > L2X_CONFIG_ESP_MAX)
		return l2x_ike_errf(
		    err, errlen, -EINVAL,
		    "%s: peer.esp_proposals: %u given, at most %d", source,
		    p.n_esp, L2X_CONFIG_ESP_MAX);
	for (uint32_t i = 0; i < p.n_esp; i++) {
		if (p.esp[i] != L2X_CONFIG_ALG_AES256GCM16 &&
		    p.esp[i] != L2X_CONFIG_ALG_CHACHA20POLY1305)
			return l2x_ike_errf(
			    err, errlen, -EINVAL,
			    "%s: peer.esp_proposals: algorithm %d is "
			    "neither aes256gcm16 nor chacha20poly1305",
			    source, (int)p.esp[i]);
	}
	rc = l2x_ike_creds_load(cfg, &creds, why, sizeof(why));
	if (rc != 0)
		return l2x_ike_errf(err, errlen, rc, "%s: %s", source, why);
	ike = build_ike_cfg(&p);
	rc = add_ike_proposals(ike, p.ike_proposals, source, err, errlen);
	if (rc != 0) {
		ike->destroy(ike);
		l2x_ike_creds_fini(&creds);
		return rc;
	}
	if (p.role == L2X_CONFIG_ROLE_RESPONDER)
		contact = build_peer_cfg(&p, ike->get_ref(ike), &creds, 1);
	peer = build_peer_cfg(&p, ike, &creds, 0);

	/* Checked: put it in place. */
	ic->lock->write_lock(ic->lock);
	old = ic->peer;
	old_contact = ic->contact;
	ic->peer = peer;
	ic->contact = contact;
	ic->contact_addr = p.peer;
	changed = old == NULL || memcmp(&ic->cur, &p, sizeof(p)) != 0;
	ic->lock->unlock(ic->lock);
	DESTROY_IF(old_contact);
	ic->creds->replace_secrets(ic->creds, creds.set, FALSE);
	ic->creds->replace_certs(ic->creds, creds.set, FALSE);
	lib->credmgr->flush_cache(lib->credmgr, CERT_ANY);
	log_applied(&p, &creds);
	l2x_ike_creds_fini(&creds);

	if (old != NULL && changed && ic->started)
		close_sas(ic->cur.name);
	ic->cur = p;
	if (old != NULL)
		old->destroy(old);
	if (ic->started && changed)
		initiate(ic);
	else if (ic->started)
		DBG1(DBG_CFG,
		     "l2x-ike: config '%s' unchanged for IKE: the "
		     "running SAs stay up",
		     p.name);
	return 0;
}

void l2x_ike_config_start(struct l2x_ike_config *ic)
{
	ic->lock->write_lock(ic->lock);
	ic->started = true;
	ic->lock->unlock(ic->lock);
	initiate(ic);
}

void l2x_ike_config_destroy(struct l2x_ike_config *ic)
{
	if (ic == NULL)
		return;
	charon->bus->remove_listener(charon->bus, &ic->listener);
	charon->backends->remove_backend(charon->backends, &ic->backend);
	lib->credmgr->remove_set(lib->credmgr, &ic->creds->set);
	ic->creds->destroy(ic->creds); /* wipes the keys */
	DESTROY_IF(ic->peer);
	DESTROY_IF(ic->contact);
	ic->lock->destroy(ic->lock);
	free(ic);
}
